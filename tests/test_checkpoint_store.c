/* test_checkpoint_store.c — checkpoint storage, as a specification.
 *
 * A checkpoint is completed once its _metadata exists; the latest completed
 * is the highest id with one; the highest id with anything at all is the
 * highest ever triggered, which must survive every clean-up so that ids
 * never repeat. Ids above 9 are used on purpose: keys sort as text
 * ("chk-10" < "chk-9"), ids must not. */
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_store.h"
#include "cu_helpers.h"
#include "cu_tmpdir.h"

#define JOB "job-1"

typedef struct fixture {
    char dir[64];
    sb_cpstore_t cs;
    sb_err_t err;
} fixture_t;

/* Opens a checkpoint store at file://checkpoints relative to a fresh folder. */
static void fx_open(fixture_t *f, int num_retained)
{
    memset(f, 0, sizeof *f);
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-cpstore-XXXXXX");
    int rc = sb_cpstore_open(&f->cs, "file://checkpoints", f->dir, JOB, num_retained,
                             &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    open: %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void fx_close(fixture_t *f)
{
    temp_dir_remove(f->dir);
}

static void scan(fixture_t *f, int64_t *latest, int64_t *max_id)
{
    *latest = *max_id = -7; /* must be overwritten */
    int rc = sb_cpstore_scan(&f->cs, latest, max_id, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    scan: %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void trigger(fixture_t *f, int64_t id)
{
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_mark_triggered(&f->cs, id, &f->err), 0);
}

static void snapshot(fixture_t *f, int64_t id, const char *task)
{
    json_t *state = json_pack("{s:I,s:s}", "checkpoint", (json_int_t)id, "task", task);
    size_t bytes = 0;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_write_snapshot(&f->cs, id, task, state, &bytes, &f->err),
                          0);
    json_decref(state);
}

static void complete(fixture_t *f, int64_t id)
{
    json_t *meta = json_pack("{s:I}", "checkpoint", (json_int_t)id);
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_write_metadata(&f->cs, id, meta, &f->err), 0);
    json_decref(meta);
}

/* A checkpoint that went all the way: triggered, two snapshots, metadata. */
static void full_checkpoint(fixture_t *f, int64_t id)
{
    trigger(f, id);
    snapshot(f, id, "source-0");
    snapshot(f, id, "sink-0");
    complete(f, id);
}

/* A checkpoint that was triggered and half snapshotted, then abandoned. */
static void abandoned_checkpoint(fixture_t *f, int64_t id)
{
    trigger(f, id);
    snapshot(f, id, "source-0");
}

/* Keys stored for checkpoint `id` (0 when it is gone entirely). */
static size_t keys_of(fixture_t *f, int64_t id)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, JOB "/chk-%" PRId64 "/", id);
    sb_store_list_t l;
    CU_ASSERT_EQUAL_FATAL(sb_store_list(&f->cs.store, prefix, &l, &f->err), 0);
    size_t n = l.count;
    sb_store_list_free(&l);
    return n;
}

static bool has_metadata(fixture_t *f, int64_t id)
{
    char key[64];
    snprintf(key, sizeof key, JOB "/chk-%" PRId64 "/_metadata", id);
    return sb_store_exists(&f->cs.store, key, &f->err) == 1;
}

static void retain(fixture_t *f)
{
    int rc = sb_cpstore_retain(&f->cs, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    retain: %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* ---------------------------------------------------------------- scan -- */

static void test_scan_on_an_empty_store_finds_nothing(void)
{
    fixture_t f;
    fx_open(&f, 1);
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 0);
    CU_ASSERT_EQUAL(max_id, 0);
    fx_close(&f);
}

static void test_mark_triggered_raises_max_id_but_not_latest_completed(void)
{
    fixture_t f;
    fx_open(&f, 1);
    int64_t latest, max_id;
    trigger(&f, 3);
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 0);
    CU_ASSERT_EQUAL(max_id, 3);
    trigger(&f, 12);
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 0);
    CU_ASSERT_EQUAL(max_id, 12);
    fx_close(&f);
}

static void test_snapshots_alone_do_not_complete_a_checkpoint(void)
{
    fixture_t f;
    fx_open(&f, 1);
    abandoned_checkpoint(&f, 4);
    snapshot(&f, 4, "sink-0");
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 0);
    CU_ASSERT_EQUAL(max_id, 4);
    fx_close(&f);
}

static void test_metadata_makes_a_checkpoint_completed(void)
{
    fixture_t f;
    fx_open(&f, 1);
    trigger(&f, 5);
    complete(&f, 5);
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 5);
    CU_ASSERT_EQUAL(max_id, 5);
    json_t *meta = NULL;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_read_metadata(&f.cs, 5, &meta, &f.err), 0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(meta, "checkpoint")), 5);
    json_decref(meta);
    fx_close(&f);
}

static void test_reading_missing_metadata_is_an_error_naming_the_checkpoint(void)
{
    fixture_t f;
    fx_open(&f, 1);
    trigger(&f, 6);
    json_t *meta = NULL;
    CU_ASSERT_EQUAL(sb_cpstore_read_metadata(&f.cs, 6, &meta, &f.err), -1);
    CU_ASSERT_PTR_NULL(meta);
    ASSERT_HAS(f.err.msg, "chk-6/_metadata: missing");
    fx_close(&f);
}

static void test_latest_completed_is_the_highest_with_metadata_not_the_highest_triggered(void)
{
    fixture_t f;
    fx_open(&f, 5);
    full_checkpoint(&f, 2);
    full_checkpoint(&f, 10);
    full_checkpoint(&f, 9);
    abandoned_checkpoint(&f, 11);
    trigger(&f, 12);
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 10);
    CU_ASSERT_EQUAL(max_id, 12);
    fx_close(&f);
}

static void test_scan_ignores_other_jobs_and_foreign_keys(void)
{
    fixture_t f;
    fx_open(&f, 1);
    full_checkpoint(&f, 2);
    sb_store_t *st = &f.cs.store;
    CU_ASSERT_EQUAL(sb_store_put(st, "job-10/chk-50/_metadata", "{}", 2, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_put(st, "other/chk-60/_metadata", "{}", 2, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_put(st, JOB "/chk-x/_metadata", "{}", 2, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_put(st, JOB "/chk-70", "not a folder", 12, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_put(st, JOB "/chk-0/_metadata", "{}", 2, &f.err), 0);
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 2);
    CU_ASSERT_EQUAL(max_id, 2);
    fx_close(&f);
}

/* ----------------------------------------------------------- snapshots -- */

static void test_snapshot_write_then_read_round_trips(void)
{
    fixture_t f;
    fx_open(&f, 1);
    json_t *state = json_pack("{s:[I,I],s:{s:i},s:s,s:b}", "offsets", (json_int_t)17,
                              (json_int_t)4000000000LL, "counts", "ALPHA", 3, "note",
                              "quote \" and \n newline", "final", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(state);
    size_t bytes = 0;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_write_snapshot(&f.cs, 7, "map-1", state, &bytes, &f.err),
                          0);
    CU_ASSERT(bytes > 0);
    /* Framed: a header line, then the JSON (ckframe.h). */
    char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    char *stored = NULL;
    size_t stored_len = 0;
    CU_ASSERT_EQUAL_FATAL(sb_store_get(&f.cs.store, JOB "/chk-7/map-1.json", &stored,
                                       &stored_len, &f.err), 1);
    CU_ASSERT_EQUAL(bytes, stored_len);
    CU_ASSERT_EQUAL(strncmp(stored, "SBCK 1 ", 7), 0);
    CU_ASSERT(stored_len > strlen(text));
    CU_ASSERT_EQUAL(memcmp(stored + stored_len - strlen(text), text, strlen(text)), 0);
    free(stored);
    free(text);

    json_t *back = NULL;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_read_snapshot(&f.cs, 7, "map-1", &back, &f.err), 1);
    CU_ASSERT_TRUE(json_equal(state, back));
    json_decref(back);
    json_decref(state);
    fx_close(&f);
}

static void test_reading_an_absent_snapshot_returns_zero(void)
{
    fixture_t f;
    fx_open(&f, 1);
    snapshot(&f, 7, "map-1");
    json_t *back = NULL;
    CU_ASSERT_EQUAL(sb_cpstore_read_snapshot(&f.cs, 7, "map-2", &back, &f.err), 0);
    CU_ASSERT_PTR_NULL(back);
    CU_ASSERT_EQUAL(sb_cpstore_read_snapshot(&f.cs, 8, "map-1", &back, &f.err), 0);
    CU_ASSERT_PTR_NULL(back);
    fx_close(&f);
}

static void test_corrupt_snapshot_is_an_error_naming_the_key(void)
{
    fixture_t f;
    fx_open(&f, 1);
    CU_ASSERT_EQUAL(sb_store_put(&f.cs.store, JOB "/chk-3/sink-0.json", "{\"a\":", 5, &f.err),
                    0);
    json_t *back = NULL;
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(sb_cpstore_read_snapshot(&f.cs, 3, "sink-0", &back, &f.err), -1);
    ASSERT_HAS(f.err.msg, "chk-3/sink-0.json: not a snapbed checkpoint file (bad magic)");
    fx_close(&f);
}

/* -------------------------------------------------------------- retain -- */

static void test_retain_keeps_the_newest_completed_and_removes_older_ones(void)
{
    fixture_t f;
    fx_open(&f, 2);
    full_checkpoint(&f, 8);
    full_checkpoint(&f, 9);
    full_checkpoint(&f, 10);
    full_checkpoint(&f, 11);
    retain(&f);
    CU_ASSERT_EQUAL(keys_of(&f, 8), 0);
    CU_ASSERT_EQUAL(keys_of(&f, 9), 0);
    CU_ASSERT_EQUAL(keys_of(&f, 10), 4);
    CU_ASSERT_EQUAL(keys_of(&f, 11), 4);
    CU_ASSERT_TRUE(has_metadata(&f, 10));
    CU_ASSERT_TRUE(has_metadata(&f, 11));
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 11);
    CU_ASSERT_EQUAL(max_id, 11);
    fx_close(&f);
}

static void test_retain_removes_abandoned_checkpoints_below_the_latest_completed(void)
{
    fixture_t f;
    fx_open(&f, 2);
    full_checkpoint(&f, 1);
    abandoned_checkpoint(&f, 2);
    full_checkpoint(&f, 3);
    abandoned_checkpoint(&f, 4);
    full_checkpoint(&f, 5);
    abandoned_checkpoint(&f, 6); /* in flight: above the latest completed */
    retain(&f);
    CU_ASSERT_EQUAL(keys_of(&f, 1), 0);   /* completed, beyond num_retained */
    CU_ASSERT_EQUAL(keys_of(&f, 2), 0);   /* abandoned below 5 */
    CU_ASSERT_EQUAL(keys_of(&f, 4), 0);   /* abandoned between retained ones */
    CU_ASSERT_EQUAL(keys_of(&f, 3), 4);
    CU_ASSERT_EQUAL(keys_of(&f, 5), 4);
    CU_ASSERT_EQUAL(keys_of(&f, 6), 2);   /* untouched */
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 5);
    CU_ASSERT_EQUAL(max_id, 6);
    fx_close(&f);
}

static void test_retain_never_removes_the_highest_triggered_id(void)
{
    fixture_t f;
    fx_open(&f, 1);
    full_checkpoint(&f, 9);
    full_checkpoint(&f, 10);
    retain(&f);
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 10);
    CU_ASSERT_EQUAL(max_id, 10);
    CU_ASSERT_EQUAL(keys_of(&f, 9), 0);

    /* Triggered only, above the latest completed: its id stays burnt. */
    trigger(&f, 11);
    retain(&f);
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 10);
    CU_ASSERT_EQUAL(max_id, 11);
    CU_ASSERT_EQUAL(keys_of(&f, 11), 1);
    fx_close(&f);
}

static void test_retain_with_nothing_completed_removes_nothing(void)
{
    fixture_t f;
    fx_open(&f, 1);
    abandoned_checkpoint(&f, 1);
    abandoned_checkpoint(&f, 2);
    retain(&f);
    CU_ASSERT_EQUAL(keys_of(&f, 1), 2);
    CU_ASSERT_EQUAL(keys_of(&f, 2), 2);
    int64_t latest, max_id;
    scan(&f, &latest, &max_id);
    CU_ASSERT_EQUAL(latest, 0);
    CU_ASSERT_EQUAL(max_id, 2);
    fx_close(&f);
}

static void test_num_retained_below_one_keeps_one(void)
{
    fixture_t f;
    fx_open(&f, 0);
    CU_ASSERT_EQUAL(f.cs.num_retained, 1);
    full_checkpoint(&f, 1);
    full_checkpoint(&f, 2);
    retain(&f);
    CU_ASSERT_EQUAL(keys_of(&f, 1), 0);
    CU_ASSERT_EQUAL(keys_of(&f, 2), 4);
    fx_close(&f);
}

static void test_retain_leaves_other_jobs_alone(void)
{
    fixture_t f;
    fx_open(&f, 1);
    CU_ASSERT_EQUAL(sb_store_put(&f.cs.store, "job-10/chk-1/_metadata", "{}", 2, &f.err), 0);
    full_checkpoint(&f, 1);
    full_checkpoint(&f, 2);
    retain(&f);
    CU_ASSERT_EQUAL(sb_store_exists(&f.cs.store, "job-10/chk-1/_metadata", &f.err), 1);
    fx_close(&f);
}

static void test_open_with_a_bad_uri_names_the_setting(void)
{
    sb_cpstore_t cs;
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_cpstore_open(&cs, "ftp://host/x", "/tmp", JOB, 1, &err), -1);
    ASSERT_HAS(err.msg, "state.checkpoints.dir");
    ASSERT_HAS(err.msg, "ftp://host/x");
}

void test_checkpoint_store_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_scan_on_an_empty_store_finds_nothing),
        T(test_mark_triggered_raises_max_id_but_not_latest_completed),
        T(test_snapshots_alone_do_not_complete_a_checkpoint),
        T(test_metadata_makes_a_checkpoint_completed),
        T(test_reading_missing_metadata_is_an_error_naming_the_checkpoint),
        T(test_latest_completed_is_the_highest_with_metadata_not_the_highest_triggered),
        T(test_scan_ignores_other_jobs_and_foreign_keys),
        T(test_snapshot_write_then_read_round_trips),
        T(test_reading_an_absent_snapshot_returns_zero),
        T(test_corrupt_snapshot_is_an_error_naming_the_key),
        T(test_retain_keeps_the_newest_completed_and_removes_older_ones),
        T(test_retain_removes_abandoned_checkpoints_below_the_latest_completed),
        T(test_retain_never_removes_the_highest_triggered_id),
        T(test_retain_with_nothing_completed_removes_nothing),
        T(test_num_retained_below_one_keeps_one),
        T(test_retain_leaves_other_jobs_alone),
        T(test_open_with_a_bad_uri_names_the_setting),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("checkpoint_store", cases);
}
