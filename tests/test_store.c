/* test_store.c — the object store (store.h), as a specification.
 *
 * The contract every backend keeps runs once per backend of a table
 * (file:// on a fresh folder under /tmp, mem:// on a fresh namespace with a
 * prefix), as the suites "store contract <scheme>"; the suite "store" holds
 * what only file:// does (its folder, temporary files, inodes) and opening.
 * Objects appear whole or not at all; multipart uploads are the sink's
 * two-phase commit, so completing must be idempotent (never rewriting a
 * published object) and aborting must leave nothing behind. mem:// alone is
 * specified in test_store_mem.c. */
#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "store.h"

/* ------------------------------------------------------------- fixture -- */

typedef struct fixture {
    char dir[64];                       /* file://: the temporary folder */
    char name[64];                      /* mem://: the namespace */
    char uri[128];                      /* file://<dir>/store, mem://<name>/store */
    sb_store_t st;
    sb_err_t err;
} fixture_t;

/* A backend under test: how to open and close a fresh store, and whether an
 * upload is still staged (its parts kept, waiting for complete or abort). */
typedef struct backend {
    const char *suite;
    void (*open)(fixture_t *f);
    void (*close)(fixture_t *f);
    bool (*staged)(fixture_t *f, const char *upload_id);
} backend_t;

static const backend_t *backend;        /* the one the running suite tests */

static void fx_open_uri(fixture_t *f)
{
    int rc = sb_store_open(&f->st, f->uri, "/nonexistent-base", &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    cannot open %s: %s\n", f->uri, f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void file_open(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-store-XXXXXX");
    snprintf(f->uri, sizeof f->uri, "file://%s/store", f->dir);
    fx_open_uri(f);
}

static void file_close(fixture_t *f)
{
    temp_dir_remove(f->dir);
}

static bool path_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void upload_path(const fixture_t *f, const char *upload_id, char *buf, size_t len)
{
    snprintf(buf, len, "%s/" SB_STORE_UPLOADS_DIR "/%s", f->st.root, upload_id);
}

static bool file_staged(fixture_t *f, const char *upload_id)
{
    char dir[SB_STORE_PATH_BYTES_MAX + 64];
    upload_path(f, upload_id, dir, sizeof dir);
    return path_exists(dir);
}

static void mem_open(fixture_t *f)
{
    static int stores;
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "test-store-%d", ++stores);
    snprintf(f->uri, sizeof f->uri, "mem://%s/store", f->name);
    fx_open_uri(f);
}

static void mem_close(fixture_t *f)
{
    CU_ASSERT_EQUAL(sb_store_mem_drop(f->name), 0);
}

static bool mem_staged(fixture_t *f, const char *upload_id)
{
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f->st, "", &u, &f->err), 0);
    bool staged = false;
    for (size_t i = 0; i < u.count; i++)
        staged = staged || strcmp(u.items[i].upload_id, upload_id) == 0;
    sb_store_uploads_free(&u);
    return staged;
}

static const backend_t file_backend = { "store contract file://", file_open, file_close,
                                        file_staged };
static const backend_t mem_backend = { "store contract mem://", mem_open, mem_close,
                                       mem_staged };

static void fx_open(fixture_t *f)
{
    backend->open(f);
}

static void fx_close(fixture_t *f)
{
    backend->close(f);
}

/* Entries of a folder other than . and .., or -1 if it cannot be read. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Writes a file under the store root behind the store's back. */
static void write_raw(const fixture_t *f, const char *rel, const char *text)
{
    char path[SB_STORE_PATH_BYTES_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", f->st.root, rel);
    FILE *fp = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs(text, fp);
    fclose(fp);
}

static void put_ok(fixture_t *f, const char *key, const char *text)
{
    int rc = sb_store_put(&f->st, key, text, strlen(text), &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    put %s: %s\n", key, f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Asserts the object holds exactly `text`. */
static void assert_object(fixture_t *f, const char *key, const char *text)
{
    char *data = NULL;
    size_t len = 0;
    int got = sb_store_get(&f->st, key, &data, &len, &f->err);
    CU_ASSERT_EQUAL(got, 1);
    if (got == 1) {
        CU_ASSERT_EQUAL(len, strlen(text));
        CU_ASSERT_STRING_EQUAL(data, text);
    }
    free(data);
}

/* Creates an upload of `key` holding the given parts (numbered from 1). */
static void stage(fixture_t *f, const char *key, const char *const *parts, int n,
                  char *upload_id, size_t upload_id_len)
{
    int rc = sb_store_upload_create(&f->st, key, upload_id, upload_id_len, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    upload_create %s: %s\n", key, f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_FATAL(upload_id[0] != '\0');
    for (int i = 0; i < n; i++) {
        rc = sb_store_upload_part(&f->st, "k", upload_id, i + 1, parts[i], strlen(parts[i]),
                                  &f->err);
        if (rc != 0)
            fprintf(stderr, "\n    upload_part %d: %s\n", i + 1, f->err.msg);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
    }
}

static void list_ok(fixture_t *f, const char *prefix, sb_store_list_t *l)
{
    int rc = sb_store_list(&f->st, prefix, l, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    list '%s': %s\n", prefix, f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static const char *const two_parts[] = { "hello ", "world\n" };

/* -------------------------------------------------------- put and get -- */

static void test_put_then_get_returns_the_bytes_and_exists(void)
{
    fixture_t f;
    fx_open(&f);
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "a/b/c.txt", &f.err), 0);
    put_ok(&f, "a/b/c.txt", "some bytes");
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "a/b/c.txt", &f.err), 1);
    assert_object(&f, "a/b/c.txt", "some bytes");
    fx_close(&f);
}

static void test_put_of_empty_object_then_get_returns_zero_bytes(void)
{
    fixture_t f;
    fx_open(&f);
    CU_ASSERT_EQUAL_FATAL(sb_store_put(&f.st, "empty", "", 0, &f.err), 0);
    char *data = NULL;
    size_t len = 99;
    CU_ASSERT_EQUAL(sb_store_get(&f.st, "empty", &data, &len, &f.err), 1);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_PTR_NOT_NULL(data);
    if (data != NULL)
        CU_ASSERT_EQUAL(data[0], '\0');
    free(data);
    fx_close(&f);
}

static void test_put_replaces_an_object_whole(void)
{
    fixture_t f;
    fx_open(&f);
    put_ok(&f, "k", "first version, rather long");
    put_ok(&f, "k", "second");
    assert_object(&f, "k", "second");
    fx_close(&f);
}

static void test_get_of_a_missing_key_returns_zero_and_leaves_data_alone(void)
{
    fixture_t f;
    fx_open(&f);
    char *data = NULL;
    size_t len = 7;
    CU_ASSERT_EQUAL(sb_store_get(&f.st, "no/such/key", &data, &len, &f.err), 0);
    CU_ASSERT_PTR_NULL(data);
    CU_ASSERT_EQUAL(len, 7);
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "no/such/key", &f.err), 0);
    fx_close(&f);
}

static void test_delete_removes_the_object_and_deleting_a_missing_key_is_fine(void)
{
    fixture_t f;
    fx_open(&f);
    put_ok(&f, "x/y", "data");
    put_ok(&f, "x/z", "other");
    CU_ASSERT_EQUAL(sb_store_delete(&f.st, "x/y", &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "x/y", &f.err), 0);
    char *data = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(sb_store_get(&f.st, "x/y", &data, &len, &f.err), 0);
    free(data);
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "x/z", &f.err), 1);
    CU_ASSERT_EQUAL(sb_store_delete(&f.st, "x/y", &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_delete(&f.st, "never/was", &f.err), 0);
    fx_close(&f);
}

/* ------------------------------------------------------------- listing -- */

static void test_list_returns_sorted_keys_under_a_prefix_recursively(void)
{
    fixture_t f;
    fx_open(&f);
    put_ok(&f, "run/chk-2/_metadata", "m");
    put_ok(&f, "run/chk-10/a.json", "a");
    put_ok(&f, "run/chk-2/b.json", "b");
    put_ok(&f, "run/chk-10/deep/er/c.json", "c");
    put_ok(&f, "runaway", "not under run/");
    put_ok(&f, "other/chk-1/_metadata", "o");
    sb_store_list_t l;
    list_ok(&f, "run/", &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 4);
    CU_ASSERT_STRING_EQUAL(l.keys[0], "run/chk-10/a.json");
    CU_ASSERT_STRING_EQUAL(l.keys[1], "run/chk-10/deep/er/c.json");
    CU_ASSERT_STRING_EQUAL(l.keys[2], "run/chk-2/_metadata");
    CU_ASSERT_STRING_EQUAL(l.keys[3], "run/chk-2/b.json");
    sb_store_list_free(&l);
    CU_ASSERT_PTR_NULL(l.keys);
    CU_ASSERT_EQUAL(l.count, 0);
    fx_close(&f);
}

static void test_list_prefix_may_end_inside_a_name(void)
{
    fixture_t f;
    fx_open(&f);
    put_ok(&f, "part-000-1", "a");
    put_ok(&f, "part-001-1", "b");
    put_ok(&f, "part-000-2", "c");
    put_ok(&f, "pa", "too short to match");
    put_ok(&f, "parts/x", "no: 'parts/' is not 'part-'");
    sb_store_list_t l;
    list_ok(&f, "part-000-", &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 2);
    CU_ASSERT_STRING_EQUAL(l.keys[0], "part-000-1");
    CU_ASSERT_STRING_EQUAL(l.keys[1], "part-000-2");
    sb_store_list_free(&l);
    list_ok(&f, "part-", &l);
    CU_ASSERT_EQUAL(l.count, 3);
    sb_store_list_free(&l);
    fx_close(&f);
}

static void test_list_with_no_match_is_empty_not_an_error(void)
{
    fixture_t f;
    fx_open(&f);
    sb_store_list_t l;
    list_ok(&f, "", &l);
    CU_ASSERT_EQUAL(l.count, 0);
    sb_store_list_free(&l);
    put_ok(&f, "a", "1");
    list_ok(&f, "b/", &l);
    CU_ASSERT_EQUAL(l.count, 0);
    sb_store_list_free(&l);
    fx_close(&f);
}

static void test_list_never_shows_uploads_in_progress(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-1", two_parts, 2, id, sizeof id);
    put_ok(&f, "dir/visible", "v");
    sb_store_list_t l;
    list_ok(&f, "", &l);
    CU_ASSERT_EQUAL(l.count, 1);
    if (l.count >= 1)
        CU_ASSERT_STRING_EQUAL(l.keys[0], "dir/visible");
    for (size_t i = 0; i < l.count; i++)
        CU_ASSERT_PTR_NULL(strstr(l.keys[i], SB_STORE_UPLOADS_DIR));
    sb_store_list_free(&l);
    list_ok(&f, SB_STORE_UPLOADS_DIR "/", &l);
    CU_ASSERT_EQUAL(l.count, 0);
    sb_store_list_free(&l);
    list_ok(&f, "part-", &l);
    CU_ASSERT_EQUAL(l.count, 0);
    sb_store_list_free(&l);
    fx_close(&f);
}

/* ---------------------------------------------------------------- keys -- */

static void test_invalid_keys_are_rejected_with_the_key_in_the_message(void)
{
    static const char *const bad[] = { "", "/etc/passwd", "..", "../escape",
                                       "a/../../escape", "a/.." };
    fixture_t f;
    fx_open(&f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *key = bad[i];
        char *data = NULL;
        size_t len = 0;
        char id[SB_STORE_UPLOAD_ID_BYTES_MAX] = "";
        memset(&f.err, 0, sizeof f.err);
        CU_ASSERT_EQUAL(sb_store_put(&f.st, key, "x", 1, &f.err), -1);
        ASSERT_HAS(f.err.msg, "invalid object key");
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", key);
        ASSERT_HAS(f.err.msg, quoted);
        CU_ASSERT_EQUAL(sb_store_get(&f.st, key, &data, &len, &f.err), -1);
        CU_ASSERT_PTR_NULL(data);
        CU_ASSERT_EQUAL(sb_store_exists(&f.st, key, &f.err), -1);
        CU_ASSERT_EQUAL(sb_store_delete(&f.st, key, &f.err), -1);
        CU_ASSERT_EQUAL(sb_store_upload_create(&f.st, key, id, sizeof id, &f.err), -1);
        CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, key, "u1", 1, &f.err), -1);
    }
    /* Nothing escaped the store's folder (file://), and nothing was staged. */
    char escaped[128];
    snprintf(escaped, sizeof escaped, "%s/escape", f.dir);
    CU_ASSERT_FALSE(f.dir[0] != '\0' && path_exists(escaped));
    sb_store_list_t l;
    list_ok(&f, "", &l);
    CU_ASSERT_EQUAL(l.count, 0);
    sb_store_list_free(&l);
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    fx_close(&f);
}

static void test_overlong_key_is_rejected(void)
{
    fixture_t f;
    fx_open(&f);
    char key[SB_STORE_KEY_BYTES_MAX + 8];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    CU_ASSERT_EQUAL(sb_store_put(&f.st, key, "x", 1, &f.err), -1);
    ASSERT_HAS(f.err.msg, "invalid object key");
    fx_close(&f);
}

/* ----------------------------------------------------------- multipart -- */

static void test_complete_publishes_the_concatenation_of_the_parts(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "out/part-000-1", two_parts, 2, id, sizeof id);
    /* Parts are invisible until the upload completes. */
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "out/part-000-1", &f.err), 0);
    int rc = sb_store_upload_complete(&f.st, "out/part-000-1", id, 2, &f.err);
    if (rc < 0)
        fprintf(stderr, "\n    complete: %s\n", f.err.msg);
    CU_ASSERT_EQUAL(rc, SB_STORE_OK);
    assert_object(&f, "out/part-000-1", "hello world\n");
    /* The parts are gone and the upload is no longer listed. */
    CU_ASSERT_FALSE(backend->staged(&f, id));
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    sb_store_list_t l;
    list_ok(&f, "", &l);
    CU_ASSERT_EQUAL_FATAL(l.count, 1);
    CU_ASSERT_STRING_EQUAL(l.keys[0], "out/part-000-1");
    sb_store_list_free(&l);
    fx_close(&f);
}

static void test_parts_are_concatenated_in_part_number_order(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&f.st, "k", id, sizeof id, &f.err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_part(&f.st, "k", id, 2, "second", 6, &f.err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_part(&f.st, "k", id, 1, "first-", 6, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "k", id, 2, &f.err), SB_STORE_OK);
    assert_object(&f, "k", "first-second");
    fx_close(&f);
}

static void test_completing_again_reports_already_and_does_not_rewrite(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-1", two_parts, 2, id, sizeof id);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_complete(&f.st, "part-000-1", id, 2, &f.err),
                          SB_STORE_OK);
    int rc = sb_store_upload_complete(&f.st, "part-000-1", id, 2, &f.err);
    if (rc < 0)
        fprintf(stderr, "\n    second complete: %s\n", f.err.msg);
    CU_ASSERT_EQUAL(rc, SB_STORE_ALREADY);
    assert_object(&f, "part-000-1", "hello world\n");
    fx_close(&f);
}

/* A restored sink may stage the same checkpoint again under the same key:
 * the published object wins and the new upload is discarded. */
static void test_completing_a_new_upload_of_a_published_key_keeps_the_object(void)
{
    fixture_t f;
    fx_open(&f);
    char first[SB_STORE_UPLOAD_ID_BYTES_MAX], second[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-1", two_parts, 2, first, sizeof first);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_complete(&f.st, "part-000-1", first, 2, &f.err),
                          SB_STORE_OK);
    static const char *const other[] = { "something else entirely\n" };
    stage(&f, "part-000-1", other, 1, second, sizeof second);
    CU_ASSERT_STRING_NOT_EQUAL(first, second);
    CU_ASSERT_TRUE(backend->staged(&f, second));
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-1", second, 1, &f.err),
                    SB_STORE_ALREADY);
    assert_object(&f, "part-000-1", "hello world\n");
    CU_ASSERT_FALSE(backend->staged(&f, second));
    fx_close(&f);
}

static void test_completing_a_missing_upload_without_object_is_an_error(void)
{
    fixture_t f;
    fx_open(&f);
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-9", "u-nope", 1, &f.err), -1);
    ASSERT_HAS(f.err.msg, "u-nope");
    ASSERT_HAS(f.err.msg, "part-000-9");
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "part-000-9", &f.err), 0);
    fx_close(&f);
}

static void test_complete_with_a_missing_part_fails_and_publishes_nothing(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "out/k", two_parts, 2, id, sizeof id);
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "out/k", id, 3, &f.err), -1);
    ASSERT_HAS(f.err.msg, "part 3 missing");
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "out/k", &f.err), 0);
    /* The upload is still there and can be completed with the right count. */
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "out/k", id, 2, &f.err), SB_STORE_OK);
    assert_object(&f, "out/k", "hello world\n");
    fx_close(&f);
}

static void test_part_numbers_outside_1_to_10000_are_rejected(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&f.st, "k", id, sizeof id, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_upload_part(&f.st, "k", id, 0, "x", 1, &f.err), -1);
    ASSERT_HAS(f.err.msg, "part number 0");
    CU_ASSERT_EQUAL(sb_store_upload_part(&f.st, "k", id, 10001, "x", 1, &f.err), -1);
    CU_ASSERT_EQUAL(sb_store_upload_part(&f.st, "k", id, 10000, "x", 1, &f.err), 0);
    fx_close(&f);
}

static void test_part_for_an_unknown_upload_is_an_error(void)
{
    fixture_t f;
    fx_open(&f);
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(sb_store_upload_part(&f.st, "k", "u-unknown", 1, "x", 1, &f.err), -1);
    ASSERT_HAS(f.err.msg, "u-unknown");
    CU_ASSERT_FALSE(backend->staged(&f, "u-unknown"));
    fx_close(&f);
}

static void test_abort_removes_the_parts_and_the_object_never_appears(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-3", two_parts, 2, id, sizeof id);
    CU_ASSERT_TRUE_FATAL(backend->staged(&f, id));
    CU_ASSERT_EQUAL(sb_store_upload_abort(&f.st, "k", id, &f.err), 0);
    CU_ASSERT_FALSE(backend->staged(&f, id));
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "part-000-3", &f.err), 0);
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    /* Neither a late part nor a late completion can bring it back. */
    CU_ASSERT_EQUAL(sb_store_upload_part(&f.st, "k", id, 3, "late", 4, &f.err), -1);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-3", id, 2, &f.err), -1);
    CU_ASSERT_EQUAL(sb_store_exists(&f.st, "part-000-3", &f.err), 0);
    /* Aborting twice is harmless. */
    CU_ASSERT_EQUAL(sb_store_upload_abort(&f.st, "k", id, &f.err), 0);
    fx_close(&f);
}

static void test_upload_ids_that_are_not_plain_names_are_rejected(void)
{
    fixture_t f;
    fx_open(&f);
    put_ok(&f, "part-000-1", "published");
    static const char *const bad[] = { "", ".", "..", "../x", "a/b", ".hidden" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&f.err, 0, sizeof f.err);
        CU_ASSERT_EQUAL(sb_store_upload_abort(&f.st, "k", bad[i], &f.err), -1);
        ASSERT_HAS(f.err.msg, "invalid upload id");
        CU_ASSERT_EQUAL(sb_store_upload_part(&f.st, "k", bad[i], 1, "x", 1, &f.err), -1);
        CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-2", bad[i], 1, &f.err), -1);
    }
    /* Above all, aborting ".." must not have emptied the store. */
    assert_object(&f, "part-000-1", "published");
    fx_close(&f);
}

static void test_abort_leaves_other_uploads_alone(void)
{
    fixture_t f;
    fx_open(&f);
    char a[SB_STORE_UPLOAD_ID_BYTES_MAX], b[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-1", two_parts, 2, a, sizeof a);
    stage(&f, "part-000-2", two_parts, 1, b, sizeof b);
    CU_ASSERT_EQUAL(sb_store_upload_abort(&f.st, "k", a, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-2", b, 1, &f.err),
                    SB_STORE_OK);
    assert_object(&f, "part-000-2", "hello ");
    fx_close(&f);
}

static const sb_store_upload_t *find_upload(const sb_store_uploads_t *u, const char *id)
{
    for (size_t i = 0; i < u->count; i++)
        if (strcmp(u->items[i].upload_id, id) == 0)
            return &u->items[i];
    return NULL;
}

static void test_uploads_list_filters_by_key_prefix(void)
{
    fixture_t f;
    fx_open(&f);
    char a[SB_STORE_UPLOAD_ID_BYTES_MAX], b[SB_STORE_UPLOAD_ID_BYTES_MAX],
        c[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-000000000001", two_parts, 1, a, sizeof a);
    stage(&f, "part-001-000000000001", two_parts, 1, b, sizeof b);
    stage(&f, "counts/part-000", two_parts, 0, c, sizeof c);

    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "part-000-", &u, &f.err), 0);
    CU_ASSERT_EQUAL_FATAL(u.count, 1);
    CU_ASSERT_STRING_EQUAL(u.items[0].upload_id, a);
    CU_ASSERT_STRING_EQUAL(u.items[0].key, "part-000-000000000001");
    sb_store_uploads_free(&u);
    CU_ASSERT_PTR_NULL(u.items);

    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "part-", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 2);
    CU_ASSERT_PTR_NOT_NULL(find_upload(&u, a));
    CU_ASSERT_PTR_NOT_NULL(find_upload(&u, b));
    CU_ASSERT_PTR_NULL(find_upload(&u, c));
    sb_store_uploads_free(&u);

    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 3);
    const sb_store_upload_t *uc = find_upload(&u, c);
    CU_ASSERT_PTR_NOT_NULL(uc);
    if (uc != NULL)
        CU_ASSERT_STRING_EQUAL(uc->key, "counts/part-000");
    sb_store_uploads_free(&u);

    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "nothing-", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    fx_close(&f);
}

static void test_upload_ids_are_unique(void)
{
    fixture_t f;
    fx_open(&f);
    char a[SB_STORE_UPLOAD_ID_BYTES_MAX], b[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&f.st, "k", a, sizeof a, &f.err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&f.st, "k", b, sizeof b, &f.err), 0);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    fx_close(&f);
}

/* ---------------------------------------------------- leftovers, sweep -- */

static void test_leftovers_count_uploads_in_progress_and_name_one(void)
{
    fixture_t f;
    fx_open(&f);
    size_t count = 99;
    char example[256] = "stale";
    CU_ASSERT_EQUAL_FATAL(sb_store_leftovers(&f.st, "", &count, example, sizeof example,
                                             &f.err), 0);
    CU_ASSERT_EQUAL(count, 0);
    CU_ASSERT_STRING_EQUAL(example, "");
    char a[SB_STORE_UPLOAD_ID_BYTES_MAX], b[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "out/part-000-1", two_parts, 1, a, sizeof a);
    stage(&f, "elsewhere/part-000-1", two_parts, 1, b, sizeof b);
    put_ok(&f, "out/published", "not a leftover");
    CU_ASSERT_EQUAL_FATAL(sb_store_leftovers(&f.st, "out/", &count, example, sizeof example,
                                             &f.err), 0);
    CU_ASSERT_EQUAL(count, 1);
    ASSERT_HAS(example, a);
    ASSERT_HAS(example, "out/part-000-1");
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "out/part-000-1", a, 1, &f.err), SB_STORE_OK);
    CU_ASSERT_EQUAL_FATAL(sb_store_leftovers(&f.st, "", &count, NULL, 0, &f.err), 0);
    CU_ASSERT_EQUAL(count, 1); /* elsewhere/ */
    fx_close(&f);
}

static void test_sweep_keeps_objects_and_uploads(void)
{
    fixture_t f;
    fx_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "out/part-000-1", two_parts, 2, id, sizeof id);
    put_ok(&f, "out/kept", "kept");
    CU_ASSERT_EQUAL(sb_store_sweep_temporaries(&f.st, "", &f.err), 0);
    assert_object(&f, "out/kept", "kept");
    CU_ASSERT_TRUE(backend->staged(&f, id));
    fx_close(&f);
}

/* -------------------------------------------------------- file:// only -- */

static void test_file_path_of_an_object_is_its_file(void)
{
    fixture_t f;
    file_open(&f);
    put_ok(&f, "a/b/c.txt", "some bytes");
    char path[SB_STORE_PATH_BYTES_MAX], want[SB_STORE_PATH_BYTES_MAX];
    sb_store_path(&f.st, "a/b/c.txt", path, sizeof path);
    snprintf(want, sizeof want, "%s/store/a/b/c.txt", f.dir);
    CU_ASSERT_STRING_EQUAL(path, want);
    CU_ASSERT_TRUE(path_exists(path));
    file_close(&f);
}

static void test_file_list_never_shows_temporary_files(void)
{
    fixture_t f;
    file_open(&f);
    put_ok(&f, "dir/visible", "v");
    write_raw(&f, "visible.tmp-123-0", "a temporary file at the root");
    write_raw(&f, "dir/visible.tmp-77", "a temporary file below");
    sb_store_list_t l;
    list_ok(&f, "", &l);
    CU_ASSERT_EQUAL(l.count, 1);
    for (size_t i = 0; i < l.count; i++)
        CU_ASSERT_PTR_NULL(strstr(l.keys[i], ".tmp-"));
    sb_store_list_free(&l);
    file_close(&f);
}

static void test_file_sweep_removes_temporary_files_under_the_prefix_only(void)
{
    fixture_t f;
    file_open(&f);
    put_ok(&f, "dir/visible", "v");
    put_ok(&f, "other/visible", "v");
    write_raw(&f, "dir/visible.tmp-77", "cut short");
    write_raw(&f, "other/visible.tmp-78", "cut short too");
    size_t count = 0;
    CU_ASSERT_EQUAL_FATAL(sb_store_leftovers(&f.st, "", &count, NULL, 0, &f.err), 0);
    CU_ASSERT_EQUAL(count, 2);
    CU_ASSERT_EQUAL(sb_store_sweep_temporaries(&f.st, "dir/", &f.err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_leftovers(&f.st, "", &count, NULL, 0, &f.err), 0);
    CU_ASSERT_EQUAL(count, 1);
    assert_object(&f, "dir/visible", "v");
    file_close(&f);
}

static ino_t inode_of(fixture_t *f, const char *key)
{
    char path[SB_STORE_PATH_BYTES_MAX];
    sb_store_path(&f->st, key, path, sizeof path);
    struct stat sb;
    CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
    return sb.st_ino;
}

static void test_file_completing_again_keeps_the_same_file(void)
{
    fixture_t f;
    file_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX], again[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "part-000-1", two_parts, 2, id, sizeof id);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_complete(&f.st, "part-000-1", id, 2, &f.err),
                          SB_STORE_OK);
    ino_t before = inode_of(&f, "part-000-1");
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-1", id, 2, &f.err),
                    SB_STORE_ALREADY);
    CU_ASSERT_EQUAL(inode_of(&f, "part-000-1"), before);
    stage(&f, "part-000-1", two_parts, 1, again, sizeof again);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "part-000-1", again, 1, &f.err),
                    SB_STORE_ALREADY);
    CU_ASSERT_EQUAL(inode_of(&f, "part-000-1"), before);
    file_close(&f);
}

/* A worker killed between the rename and the removal of the staging folder
 * leaves both; the next incarnation completes again. */
static void test_crash_after_rename_before_cleanup_reports_already_and_cleans_up(void)
{
    fixture_t f;
    file_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "out/part-001-4", two_parts, 2, id, sizeof id);
    put_ok(&f, "out/part-001-4", "hello world\n"); /* the rename happened */
    char path[SB_STORE_PATH_BYTES_MAX];
    sb_store_path(&f.st, "out/part-001-4", path, sizeof path);
    struct stat before, after;
    CU_ASSERT_EQUAL_FATAL(stat(path, &before), 0);
    char dir[SB_STORE_PATH_BYTES_MAX + 64];
    upload_path(&f, id, dir, sizeof dir);
    CU_ASSERT_TRUE_FATAL(path_exists(dir));

    int rc = sb_store_upload_complete(&f.st, "out/part-001-4", id, 2, &f.err);
    if (rc < 0)
        fprintf(stderr, "\n    complete: %s\n", f.err.msg);
    CU_ASSERT_EQUAL(rc, SB_STORE_ALREADY);
    CU_ASSERT_FALSE(path_exists(dir));
    CU_ASSERT_EQUAL_FATAL(stat(path, &after), 0);
    CU_ASSERT_EQUAL(after.st_ino, before.st_ino);
    assert_object(&f, "out/part-001-4", "hello world\n");
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.st, "", &u, &f.err), 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    file_close(&f);
}

static void test_file_failed_complete_leaves_no_temporary_file(void)
{
    fixture_t f;
    file_open(&f);
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    stage(&f, "out/k", two_parts, 2, id, sizeof id);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&f.st, "out/k", id, 3, &f.err), -1);
    char dir[SB_STORE_PATH_BYTES_MAX];
    sb_store_path(&f.st, "out", dir, sizeof dir);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    file_close(&f);
}

/* ---------------------------------------------------------------- open -- */

static void test_relative_file_uri_resolves_against_base_dir(void)
{
    char base[64];
    temp_dir_make(base, sizeof base, "/tmp/sb-store-XXXXXX");
    sb_store_t st;
    sb_err_t err = {{0}};
    int rc = sb_store_open(&st, "file://out/objects/", base, &err);
    if (rc != 0)
        fprintf(stderr, "\n    open: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    char want[128];
    snprintf(want, sizeof want, "%s/out/objects", base);
    CU_ASSERT_STRING_EQUAL(st.root, want);
    CU_ASSERT_STRING_EQUAL(st.uri, "file://out/objects/");
    struct stat sb;
    CU_ASSERT_TRUE(stat(want, &sb) == 0 && S_ISDIR(sb.st_mode));
    CU_ASSERT_EQUAL(sb_store_put(&st, "k", "v", 1, &err), 0);
    char file[160];
    snprintf(file, sizeof file, "%s/k", want);
    CU_ASSERT_TRUE(path_exists(file));
    temp_dir_remove(base);
}

static void test_absolute_file_uri_ignores_base_dir(void)
{
    char dir[64];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-store-XXXXXX");
    char uri[128];
    snprintf(uri, sizeof uri, "file://%s/abs", dir);
    sb_store_t st;
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL_FATAL(sb_store_open(&st, uri, "/somewhere/else", &err), 0);
    char want[128];
    snprintf(want, sizeof want, "%s/abs", dir);
    CU_ASSERT_STRING_EQUAL(st.root, want);
    CU_ASSERT_TRUE(path_exists(want));
    temp_dir_remove(dir);
}

static void test_unknown_uri_is_an_error_with_a_clear_message(void)
{
    sb_store_t st;
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_store_open(&st, "ftp://host/prefix", "/tmp", &err), -1);
    ASSERT_HAS(err.msg, "ftp://host/prefix");
    ASSERT_HAS(err.msg, "file://");
    ASSERT_HAS(err.msg, "s3://");
    ASSERT_HAS(err.msg, "mem://");
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(sb_store_open(&st, "/tmp/plain/path", "/tmp", &err), -1);
    ASSERT_HAS(err.msg, "/tmp/plain/path");
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(sb_store_open(&st, "file://", "/tmp", &err), -1);
    ASSERT_HAS(err.msg, "no directory");
}

/* The S3 credentials of the environment, saved and put back around a test
 * that changes them. */
typedef struct saved_credentials {
    char *key, *secret;
} saved_credentials_t;

static char *env_dup(const char *name)
{
    const char *v = getenv(name);
    return v != NULL ? strdup(v) : NULL;
}

static void env_put_back(const char *name, char *value)
{
    if (value != NULL)
        setenv(name, value, 1);
    else
        unsetenv(name);
    free(value);
}

static saved_credentials_t credentials_save(void)
{
    saved_credentials_t c = { env_dup("AWS_ACCESS_KEY_ID"), env_dup("AWS_SECRET_ACCESS_KEY") };
    return c;
}

static void credentials_restore(saved_credentials_t *c)
{
    env_put_back("AWS_ACCESS_KEY_ID", c->key);
    env_put_back("AWS_SECRET_ACCESS_KEY", c->secret);
}

static void test_s3_uri_without_credentials_names_the_variables_and_no_secret(void)
{
    saved_credentials_t saved = credentials_save();
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SECRET_ACCESS_KEY", "do-not-print-me", 1);
    sb_store_t st;
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_store_open(&st, "s3://bucket/prefix", "/tmp", &err), -1);
    ASSERT_HAS(err.msg, "s3://bucket/prefix");
    ASSERT_HAS(err.msg, "AWS_ACCESS_KEY_ID");
    CU_ASSERT_PTR_NULL(strstr(err.msg, "do-not-print-me"));
    credentials_restore(&saved);
}

static void test_s3_uri_splits_bucket_and_prefix(void)
{
    saved_credentials_t saved = credentials_save();
    setenv("AWS_ACCESS_KEY_ID", "k", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    sb_store_t st;
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_store_open(&st, "s3://my-bucket/runs/a/", "/tmp", &err), 0);
    CU_ASSERT_STRING_EQUAL(st.bucket, "my-bucket");
    CU_ASSERT_STRING_EQUAL(st.prefix, "runs/a");
    char where[256];
    sb_store_path(&st, "part-000-1", where, sizeof where);
    CU_ASSERT_STRING_EQUAL(where, "s3://my-bucket/runs/a/part-000-1");
    sb_store_close(&st);
    CU_ASSERT_EQUAL(sb_store_open(&st, "s3://only-bucket", "/tmp", &err), 0);
    CU_ASSERT_STRING_EQUAL(st.prefix, "");
    sb_store_close(&st);
    CU_ASSERT_EQUAL(sb_store_open(&st, "s3:///no-bucket", "/tmp", &err), -1);
    ASSERT_HAS(err.msg, "no valid bucket");
    credentials_restore(&saved);
}

/* The contract, once per backend: the suite's initialisation picks it. */
static const sb_test_case_t contract_cases[] = {
#define T(fn) { #fn, fn }
    T(test_put_then_get_returns_the_bytes_and_exists),
    T(test_put_of_empty_object_then_get_returns_zero_bytes),
    T(test_put_replaces_an_object_whole),
    T(test_get_of_a_missing_key_returns_zero_and_leaves_data_alone),
    T(test_delete_removes_the_object_and_deleting_a_missing_key_is_fine),
    T(test_list_returns_sorted_keys_under_a_prefix_recursively),
    T(test_list_prefix_may_end_inside_a_name),
    T(test_list_with_no_match_is_empty_not_an_error),
    T(test_list_never_shows_uploads_in_progress),
    T(test_invalid_keys_are_rejected_with_the_key_in_the_message),
    T(test_overlong_key_is_rejected),
    T(test_complete_publishes_the_concatenation_of_the_parts),
    T(test_parts_are_concatenated_in_part_number_order),
    T(test_completing_again_reports_already_and_does_not_rewrite),
    T(test_completing_a_new_upload_of_a_published_key_keeps_the_object),
    T(test_completing_a_missing_upload_without_object_is_an_error),
    T(test_complete_with_a_missing_part_fails_and_publishes_nothing),
    T(test_part_numbers_outside_1_to_10000_are_rejected),
    T(test_part_for_an_unknown_upload_is_an_error),
    T(test_abort_removes_the_parts_and_the_object_never_appears),
    T(test_abort_leaves_other_uploads_alone),
    T(test_upload_ids_that_are_not_plain_names_are_rejected),
    T(test_uploads_list_filters_by_key_prefix),
    T(test_upload_ids_are_unique),
    T(test_leftovers_count_uploads_in_progress_and_name_one),
    T(test_sweep_keeps_objects_and_uploads),
    { NULL, NULL },
};

static int use_file(void)
{
    backend = &file_backend;
    return 0;
}

static int use_mem(void)
{
    backend = &mem_backend;
    return 0;
}

static const struct {
    const backend_t *backend;
    CU_InitializeFunc use;
} contract_backends[] = {
    { &file_backend, use_file },
    { &mem_backend, use_mem },
};

void test_store_register(void)
{
    static const sb_test_case_t cases[] = {
        T(test_file_path_of_an_object_is_its_file),
        T(test_file_list_never_shows_temporary_files),
        T(test_file_sweep_removes_temporary_files_under_the_prefix_only),
        T(test_file_completing_again_keeps_the_same_file),
        T(test_crash_after_rename_before_cleanup_reports_already_and_cleans_up),
        T(test_file_failed_complete_leaves_no_temporary_file),
        T(test_relative_file_uri_resolves_against_base_dir),
        T(test_absolute_file_uri_ignores_base_dir),
        T(test_unknown_uri_is_an_error_with_a_clear_message),
        T(test_s3_uri_without_credentials_names_the_variables_and_no_secret),
        T(test_s3_uri_splits_bucket_and_prefix),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("store", cases);
    for (size_t i = 0; i < sizeof contract_backends / sizeof contract_backends[0]; i++) {
        const char *name = contract_backends[i].backend->suite;
        sb_test_add_suite(name, contract_cases);
        CU_set_suite_initfunc(CU_get_suite(name), contract_backends[i].use);
    }
}
