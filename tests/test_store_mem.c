/* test_store_mem.c — what mem:// promises beyond the contract every
 * backend keeps (test_store.c runs that contract on mem:// too): namespaces
 * shared by handles with different prefixes, dropping, deterministic upload
 * ids, sorted listings at scale, counts, and writers on several threads.
 *
 * Every test uses namespaces of its own and drops them. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "store.h"

static void open_ok(sb_store_t *st, const char *uri)
{
    sb_err_t err = { { 0 } };
    int rc = sb_store_open(st, uri, "/nonexistent-base", &err);
    if (rc != 0)
        fprintf(stderr, "\n    cannot open %s: %s\n", uri, err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void put_ok(sb_store_t *st, const char *key, const char *text)
{
    sb_err_t err = { { 0 } };
    int rc = sb_store_put(st, key, text, strlen(text), &err);
    if (rc != 0)
        fprintf(stderr, "\n    put %s: %s\n", key, err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* The object's bytes (malloc'd), or NULL when there is none. */
static char *get_text(sb_store_t *st, const char *key)
{
    sb_err_t err = { { 0 } };
    char *data = NULL;
    size_t len = 0;
    int got = sb_store_get(st, key, &data, &len, &err);
    CU_ASSERT_NOT_EQUAL_FATAL(got, -1);
    return got == 1 ? data : NULL;
}

static void assert_text(sb_store_t *st, const char *key, const char *want)
{
    char *text = get_text(st, key);
    CU_ASSERT_PTR_NOT_NULL(text);
    if (text != NULL)
        CU_ASSERT_STRING_EQUAL(text, want);
    free(text);
}

static void list_ok(sb_store_t *st, const char *prefix, sb_store_list_t *l)
{
    sb_err_t err = { { 0 } };
    int rc = sb_store_list(st, prefix, l, &err);
    if (rc != 0)
        fprintf(stderr, "\n    list '%s': %s\n", prefix, err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Asserts that a listing under `prefix` is exactly `want`, in order. */
static void assert_listing(sb_store_t *st, const char *prefix, const char *const *want,
                           size_t n)
{
    sb_store_list_t l;
    list_ok(st, prefix, &l);
    CU_ASSERT_EQUAL(l.count, n);
    for (size_t i = 0; i < l.count && i < n; i++)
        CU_ASSERT_STRING_EQUAL(l.keys[i], want[i]);
    sb_store_list_free(&l);
}

/* ---------------------------------------------------------- namespaces -- */

/* The sink, the checkpoint store and the verifier share one NAME. */
static void test_handles_on_one_name_see_each_others_objects_under_their_prefixes(void)
{
    sb_store_t sink, cps, all;
    open_ok(&sink, "mem://shared-1/sink");
    open_ok(&cps, "mem://shared-1/checkpoints/");
    open_ok(&all, "mem://shared-1");
    put_ok(&sink, "part-000-1", "records");
    put_ok(&cps, "chk-1/_metadata", "metadata");
    assert_text(&all, "sink/part-000-1", "records");
    assert_text(&all, "checkpoints/chk-1/_metadata", "metadata");
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_store_exists(&cps, "part-000-1", &err), 0);
    CU_ASSERT_EQUAL(sb_store_exists(&sink, "chk-1/_metadata", &err), 0);
    put_ok(&all, "sink/part-000-2", "more");
    static const char *const in_sink[] = { "part-000-1", "part-000-2" };
    assert_listing(&sink, "", in_sink, 2);
    static const char *const in_all[] = { "checkpoints/chk-1/_metadata", "sink/part-000-1",
                                          "sink/part-000-2" };
    assert_listing(&all, "", in_all, 3);
    /* Another NAME is another namespace. */
    sb_store_t other;
    open_ok(&other, "mem://shared-2/sink");
    CU_ASSERT_EQUAL(sb_store_exists(&other, "part-000-1", &err), 0);
    CU_ASSERT_EQUAL(sb_store_mem_drop("shared-1"), 0);
    CU_ASSERT_EQUAL(sb_store_mem_drop("shared-2"), 0);
}

static void test_uploads_of_one_handle_are_listed_by_another_under_its_prefix(void)
{
    sb_store_t sink, all;
    open_ok(&sink, "mem://shared-3/sink");
    open_ok(&all, "mem://shared-3");
    sb_err_t err = { { 0 } };
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&sink, "part-000-1", id, sizeof id, &err), 0);
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&all, "sink/", &u, &err), 0);
    CU_ASSERT_EQUAL_FATAL(u.count, 1);
    CU_ASSERT_STRING_EQUAL(u.items[0].key, "sink/part-000-1");
    CU_ASSERT_STRING_EQUAL(u.items[0].upload_id, id);
    sb_store_uploads_free(&u);
    /* Completed through the other handle, under the other handle's key. */
    CU_ASSERT_EQUAL(sb_store_upload_complete(&all, "sink/part-000-1", id, 0, &err),
                    SB_STORE_OK);
    CU_ASSERT_EQUAL(sb_store_exists(&sink, "part-000-1", &err), 1);
    CU_ASSERT_EQUAL(sb_store_mem_drop("shared-3"), 0);
}

static void test_an_upload_cannot_be_completed_as_another_key(void)
{
    sb_store_t st;
    open_ok(&st, "mem://other-key/p");
    sb_err_t err = { { 0 } };
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&st, "part-000-1", id, sizeof id, &err), 0);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&st, "part-000-2", id, 0, &err), -1);
    ASSERT_HAS(err.msg, id);
    ASSERT_HAS(err.msg, "p/part-000-1");
    CU_ASSERT_EQUAL(sb_store_exists(&st, "part-000-2", &err), 0);
    CU_ASSERT_EQUAL(sb_store_upload_complete(&st, "part-000-1", id, 0, &err), SB_STORE_OK);
    CU_ASSERT_EQUAL(sb_store_mem_drop("other-key"), 0);
}

static void test_drop_frees_the_namespace_and_a_later_open_starts_empty(void)
{
    sb_store_t st;
    open_ok(&st, "mem://dropped/p");
    put_ok(&st, "a", "1");
    sb_err_t err = { { 0 } };
    char first[SB_STORE_UPLOAD_ID_BYTES_MAX], again[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&st, "b", first, sizeof first, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_part(&st, "b", first, 1, "x", 1, &err), 0);
    CU_ASSERT_EQUAL(sb_store_mem_drop("dropped"), 0);
    sb_store_mem_stats_t stats;
    CU_ASSERT_EQUAL(sb_store_mem_stats("dropped", &stats), -1);
    CU_ASSERT_EQUAL(sb_store_mem_drop("dropped"), -1);

    open_ok(&st, "mem://dropped/p");
    CU_ASSERT_EQUAL(sb_store_exists(&st, "a", &err), 0);
    assert_listing(&st, "", NULL, 0);
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&st, "", &u, &err), 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    /* Upload ids count from the start again. */
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&st, "b", again, sizeof again, &err), 0);
    CU_ASSERT_STRING_EQUAL(again, first);
    CU_ASSERT_EQUAL(sb_store_mem_drop("dropped"), 0);
}

static void test_drop_of_an_unknown_name_is_an_error(void)
{
    CU_ASSERT_EQUAL(sb_store_mem_drop("never-opened"), -1);
    sb_store_mem_stats_t stats;
    CU_ASSERT_EQUAL(sb_store_mem_stats("never-opened", &stats), -1);
}

static void test_stats_count_objects_bytes_and_uploads_in_progress(void)
{
    sb_store_t st;
    open_ok(&st, "mem://counted/p");
    sb_store_mem_stats_t s;
    CU_ASSERT_EQUAL_FATAL(sb_store_mem_stats("counted", &s), 0);
    CU_ASSERT_EQUAL(s.objects, 0);
    CU_ASSERT_EQUAL(s.bytes, 0);
    put_ok(&st, "a", "123");
    put_ok(&st, "b", "12345");
    put_ok(&st, "a", "1234567"); /* replaces: 7 bytes, not 10 */
    sb_err_t err = { { 0 } };
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&st, "c", id, sizeof id, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_mem_stats("counted", &s), 0);
    CU_ASSERT_EQUAL(s.objects, 2);
    CU_ASSERT_EQUAL(s.bytes, 12);
    CU_ASSERT_EQUAL(s.uploads, 1);
    CU_ASSERT_EQUAL(sb_store_delete(&st, "b", &err), 0);
    CU_ASSERT_EQUAL(sb_store_upload_abort(&st, "c", id, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_mem_stats("counted", &s), 0);
    CU_ASSERT_EQUAL(s.objects, 1);
    CU_ASSERT_EQUAL(s.bytes, 7);
    CU_ASSERT_EQUAL(s.uploads, 0);
    CU_ASSERT_EQUAL(sb_store_mem_drop("counted"), 0);
}

/* ------------------------------------------------------ names and paths -- */

static void test_path_is_the_mem_url_of_name_prefix_and_key(void)
{
    sb_store_t st;
    char where[256];
    open_ok(&st, "mem://paths/run/a/");
    sb_store_path(&st, "part-000-1", where, sizeof where);
    CU_ASSERT_STRING_EQUAL(where, "mem://paths/run/a/part-000-1");
    open_ok(&st, "mem://paths");
    sb_store_path(&st, "part-000-1", where, sizeof where);
    CU_ASSERT_STRING_EQUAL(where, "mem://paths/part-000-1");
    CU_ASSERT_EQUAL(sb_store_mem_drop("paths"), 0);
}

static void test_a_uri_without_a_valid_name_is_an_error(void)
{
    char long_uri[SB_STORE_MEM_NAME_BYTES_MAX + 16];
    snprintf(long_uri, sizeof long_uri, "mem://%0*d/p", SB_STORE_MEM_NAME_BYTES_MAX, 7);
    const char *const bad[] = { "mem://", "mem:///prefix", long_uri };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_store_t st;
        sb_err_t err = { { 0 } };
        CU_ASSERT_EQUAL(sb_store_open(&st, bad[i], "/", &err), -1);
        ASSERT_HAS(err.msg, bad[i]);
        ASSERT_HAS(err.msg, "names no memory store");
    }
}

/* ---------------------------------------------------------- determinism -- */

/* A fixed sequence of calls on mem://NAME, written down as text: every
 * upload id and every listing, in order. */
static void run_sequence(const char *name, char *out, size_t out_len)
{
    char uri[64];
    snprintf(uri, sizeof uri, "mem://%s/seq", name);
    sb_store_t st;
    open_ok(&st, uri);
    sb_err_t err = { { 0 } };
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < 6; i++) {
        char key[32], id[SB_STORE_UPLOAD_ID_BYTES_MAX];
        snprintf(key, sizeof key, "part-%03d-%d", (i * 7) % 5, i);
        CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&st, key, id, sizeof id, &err), 0);
        CU_ASSERT_EQUAL_FATAL(sb_store_upload_part(&st, key, id, 1, key, strlen(key), &err), 0);
        if (i % 3 == 1) {
            CU_ASSERT_EQUAL(sb_store_upload_abort(&st, key, id, &err), 0);
        } else if (i % 3 == 2) {
            CU_ASSERT_EQUAL(sb_store_upload_complete(&st, key, id, 1, &err), SB_STORE_OK);
        }
        used += (size_t)snprintf(out + used, out_len - used, "%s %s\n", id, key);
    }
    sb_store_list_t l;
    list_ok(&st, "", &l);
    for (size_t i = 0; i < l.count; i++)
        used += (size_t)snprintf(out + used, out_len - used, "object %s\n", l.keys[i]);
    sb_store_list_free(&l);
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&st, "", &u, &err), 0);
    for (size_t i = 0; i < u.count; i++)
        used += (size_t)snprintf(out + used, out_len - used, "upload %s %s\n",
                                 u.items[i].upload_id, u.items[i].key);
    sb_store_uploads_free(&u);
    CU_ASSERT_FATAL(used < out_len);
}

static void test_upload_ids_and_listings_are_the_same_for_the_same_calls(void)
{
    char a[4096], b[4096];
    run_sequence("seq-a", a, sizeof a);
    run_sequence("seq-b", b, sizeof b);
    CU_ASSERT_STRING_EQUAL(a, b);
    /* Ids count per NAME from 1, whatever other names did before. */
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "mem-000001 part-000-0\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "mem-000006 part-000-5\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "upload mem-000001 part-000-0\nupload mem-000004"));
    CU_ASSERT_EQUAL(sb_store_mem_drop("seq-a"), 0);
    CU_ASSERT_EQUAL(sb_store_mem_drop("seq-b"), 0);
}

#define MANY_KEYS 3000

static void test_listing_of_keys_put_in_scrambled_order_is_sorted(void)
{
    sb_store_t st;
    open_ok(&st, "mem://scrambled/p");
    /* i * 1103 mod MANY_KEYS visits every i once (1103 is prime to 3000). */
    for (int i = 0; i < MANY_KEYS; i++) {
        char key[32];
        snprintf(key, sizeof key, "k/%d", (i * 1103) % MANY_KEYS);
        put_ok(&st, key, "v");
    }
    sb_store_list_t l;
    list_ok(&st, "k/", &l);
    CU_ASSERT_EQUAL_FATAL(l.count, MANY_KEYS);
    for (size_t i = 1; i < l.count; i++)
        if (strcmp(l.keys[i - 1], l.keys[i]) >= 0)
            CU_FAIL("listing not strictly sorted");
    CU_ASSERT_STRING_EQUAL(l.keys[0], "k/0");
    CU_ASSERT_STRING_EQUAL(l.keys[l.count - 1], "k/999");
    sb_store_list_free(&l);
    list_ok(&st, "k/29", &l);
    CU_ASSERT_EQUAL(l.count, 111); /* k/29, k/290 … k/299, k/2900 … k/2999 */
    sb_store_list_free(&l);
    CU_ASSERT_EQUAL(sb_store_mem_drop("scrambled"), 0);
}

/* -------------------------------------------------------------- threads -- */

#define WRITERS 4
#define WRITES_PER_WRITER 200

typedef struct writer {
    int index;
    int failures;                       /* counted here: CUnit is not thread-safe */
    char last_error[SB_ERR_MSG_BYTES_MAX];
} writer_t;

static void writer_fail(writer_t *w, const sb_err_t *err)
{
    w->failures++;
    snprintf(w->last_error, sizeof w->last_error, "%s", err->msg);
}

/* Puts under its own prefix and a shared key, commits an upload now and
 * then, and lists its own prefix, which must hold what it has written. */
static void *writer_run(void *arg)
{
    writer_t *w = arg;
    char uri[64];
    snprintf(uri, sizeof uri, "mem://threads/w%d", w->index);
    sb_store_t own, shared;
    sb_err_t err = { { 0 } };
    if (sb_store_open(&own, uri, "/", &err) != 0 ||
        sb_store_open(&shared, "mem://threads", "/", &err) != 0) {
        writer_fail(w, &err);
        return NULL;
    }
    for (int i = 0; i < WRITES_PER_WRITER; i++) {
        char key[32], text[32], id[SB_STORE_UPLOAD_ID_BYTES_MAX];
        snprintf(key, sizeof key, "obj-%04d", i);
        snprintf(text, sizeof text, "writer %d write %d", w->index, i);
        if (sb_store_put(&own, key, text, strlen(text), &err) != 0 ||
            sb_store_put(&shared, "last", text, strlen(text), &err) != 0)
            writer_fail(w, &err);
        if (i % 10 == 0) {
            snprintf(key, sizeof key, "upl-%04d", i);
            if (sb_store_upload_create(&own, key, id, sizeof id, &err) != 0 ||
                sb_store_upload_part(&own, key, id, 1, text, strlen(text), &err) != 0 ||
                sb_store_upload_complete(&own, key, id, 1, &err) != SB_STORE_OK)
                writer_fail(w, &err);
            sb_store_list_t l;
            if (sb_store_list(&own, "obj-", &l, &err) != 0)
                writer_fail(w, &err);
            else if (l.count != (size_t)i + 1)
                w->failures++;
            sb_store_list_free(&l);
        }
    }
    return NULL;
}

static void test_writers_on_several_threads_are_safe(void)
{
    pthread_t threads[WRITERS];
    writer_t writers[WRITERS];
    sb_store_t st;
    open_ok(&st, "mem://threads");
    for (int i = 0; i < WRITERS; i++) {
        writers[i] = (writer_t){ .index = i };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, writer_run, &writers[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(threads[i], NULL);
        if (writers[i].failures != 0)
            fprintf(stderr, "\n    writer %d: %d failures, last: %s\n", i,
                    writers[i].failures, writers[i].last_error);
        CU_ASSERT_EQUAL(writers[i].failures, 0);
    }
    sb_store_mem_stats_t s;
    CU_ASSERT_EQUAL_FATAL(sb_store_mem_stats("threads", &s), 0);
    CU_ASSERT_EQUAL(s.objects, WRITERS * (WRITES_PER_WRITER + WRITES_PER_WRITER / 10) + 1);
    CU_ASSERT_EQUAL(s.uploads, 0);
    /* The shared key holds one writer's last write, whole. */
    char *last = get_text(&st, "last");
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    int writer = -1, write = -1;
    CU_ASSERT_EQUAL(sscanf(last, "writer %d write %d", &writer, &write), 2);
    CU_ASSERT_EQUAL(write, WRITES_PER_WRITER - 1);
    free(last);
    CU_ASSERT_EQUAL(sb_store_mem_drop("threads"), 0);
}

void test_store_mem_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_handles_on_one_name_see_each_others_objects_under_their_prefixes),
        T(test_uploads_of_one_handle_are_listed_by_another_under_its_prefix),
        T(test_an_upload_cannot_be_completed_as_another_key),
        T(test_drop_frees_the_namespace_and_a_later_open_starts_empty),
        T(test_drop_of_an_unknown_name_is_an_error),
        T(test_stats_count_objects_bytes_and_uploads_in_progress),
        T(test_path_is_the_mem_url_of_name_prefix_and_key),
        T(test_a_uri_without_a_valid_name_is_an_error),
        T(test_upload_ids_and_listings_are_the_same_for_the_same_calls),
        T(test_listing_of_keys_put_in_scrambled_order_is_sorted),
        T(test_writers_on_several_threads_are_safe),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("store mem://", cases);
}
