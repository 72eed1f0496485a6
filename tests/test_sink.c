/* test_sink.c — the sink's two-phase commit on the file:// store: staged
 * output is invisible until its checkpoint completes, commits publish once,
 * and a restore publishes the restored checkpoint's pending output and
 * aborts everything else. */
#include <CUnit/CUnit.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "sink.h"
#include "store.h"

typedef struct fixture {
    char dir[64];
    sb_store_t store;
    sb_sink_t sink;
} fixture_t;

static void fixture_open(fixture_t *f)
{
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-sink-XXXXXX");
    char uri[96];
    snprintf(uri, sizeof uri, "file://%s", f->dir);
    sb_err_t err;
    CU_ASSERT_FATAL(sb_store_open(&f->store, uri, "/", &err) == 0);
    sb_sink_init(&f->sink, &f->store, NULL, 1, "sink-1");
}

static void fixture_close(fixture_t *f)
{
    sb_sink_destroy(&f->sink);
    temp_dir_remove(f->dir);
}

static int published(fixture_t *f)
{
    sb_store_list_t l;
    sb_err_t err;
    CU_ASSERT_FATAL(sb_store_list(&f->store, "part-", &l, &err) == 0);
    int n = (int)l.count;
    sb_store_list_free(&l);
    return n;
}

static char *object(fixture_t *f, int64_t id)
{
    char key[64];
    sb_sink_key(1, id, key, sizeof key);
    char *data = NULL;
    size_t len = 0;
    sb_err_t err;
    if (sb_store_get(&f->store, key, &data, &len, &err) != 1)
        return NULL;
    return data;
}

static void append(fixture_t *f, int32_t p, int64_t off, const char *v)
{
    sb_err_t err;
    CU_ASSERT_FATAL(sb_sink_append(&f->sink, p, off, v, strlen(v), &err) == 0);
}

static void test_staged_output_is_invisible_until_its_checkpoint_completes(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    append(&f, 0, 1, "APPLE");
    append(&f, 2, 7, "AMBER");
    CU_ASSERT(sb_sink_stage(&f.sink, 4, &err) == 0);
    CU_ASSERT_EQUAL(f.sink.pending_count, 1);
    CU_ASSERT_EQUAL(published(&f), 0);
    CU_ASSERT(sb_sink_commit(&f.sink, 3, &err) == 0); /* an older checkpoint */
    CU_ASSERT_EQUAL(published(&f), 0);
    CU_ASSERT(sb_sink_commit(&f.sink, 4, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 1);
    CU_ASSERT_EQUAL(f.sink.pending_count, 0);
    char *data = object(&f, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_STRING_EQUAL(data, "0:1 APPLE\n2:7 AMBER\n");
    free(data);
    fixture_close(&f);
}

static void test_an_empty_epoch_stages_nothing(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    CU_ASSERT(sb_sink_stage(&f.sink, 2, &err) == 0);
    CU_ASSERT_EQUAL(f.sink.pending_count, 0);
    CU_ASSERT(sb_sink_commit(&f.sink, 2, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 0);
    CU_ASSERT_EQUAL(f.sink.committed_upto, 2);
    fixture_close(&f);
}

static void test_a_completed_checkpoint_commits_every_older_pending_epoch(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    append(&f, 0, 1, "A1");
    CU_ASSERT(sb_sink_stage(&f.sink, 5, &err) == 0); /* 5 will be subsumed */
    append(&f, 0, 2, "A2");
    CU_ASSERT(sb_sink_stage(&f.sink, 6, &err) == 0);
    append(&f, 0, 3, "A3");
    CU_ASSERT(sb_sink_stage(&f.sink, 7, &err) == 0);
    CU_ASSERT(sb_sink_commit(&f.sink, 6, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 2);
    CU_ASSERT_EQUAL(f.sink.pending_count, 1);
    CU_ASSERT_EQUAL(f.sink.pending[0].checkpoint_id, 7);
    fixture_close(&f);
}

static void test_restore_publishes_pending_output_of_the_restored_checkpoint(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    append(&f, 1, 10, "AXIS");
    CU_ASSERT(sb_sink_stage(&f.sink, 3, &err) == 0);
    json_t *state = sb_sink_state(&f.sink); /* the snapshot of checkpoint 3 */
    /* The worker dies before hearing that 3 completed; a new one restores. */
    sb_sink_t fresh;
    sb_sink_init(&fresh, &f.store, NULL, 1, "sink-1");
    CU_ASSERT(sb_sink_restore(&fresh, state, 3, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 1);
    char *data = object(&f, 3);
    CU_ASSERT_PTR_NOT_NULL(data);
    CU_ASSERT_STRING_EQUAL(data, "1:10 AXIS\n");
    free(data);
    CU_ASSERT_EQUAL(fresh.committed_upto, 3);
    sb_sink_destroy(&fresh);
    json_decref(state);
    fixture_close(&f);
}

static void test_restore_after_a_commit_already_done_does_not_publish_twice(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    append(&f, 1, 10, "AXIS");
    CU_ASSERT(sb_sink_stage(&f.sink, 3, &err) == 0);
    json_t *state = sb_sink_state(&f.sink);
    CU_ASSERT(sb_sink_commit(&f.sink, 3, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 1);
    sb_sink_t fresh;
    sb_sink_init(&fresh, &f.store, NULL, 1, "sink-1");
    CU_ASSERT(sb_sink_restore(&fresh, state, 3, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 1);
    char *data = object(&f, 3);
    CU_ASSERT_STRING_EQUAL(data, "1:10 AXIS\n");
    free(data);
    sb_sink_destroy(&fresh);
    json_decref(state);
    fixture_close(&f);
}

static void test_restore_aborts_output_staged_for_checkpoints_that_never_completed(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    append(&f, 0, 1, "A1");
    CU_ASSERT(sb_sink_stage(&f.sink, 2, &err) == 0);
    json_t *state = sb_sink_state(&f.sink); /* snapshot of 2 */
    append(&f, 0, 2, "A2");
    CU_ASSERT(sb_sink_stage(&f.sink, 3, &err) == 0); /* 3 never completes */
    sb_sink_t fresh;
    sb_sink_init(&fresh, &f.store, NULL, 1, "sink-1");
    CU_ASSERT(sb_sink_restore(&fresh, state, 2, &err) == 0);
    sb_store_uploads_t u;
    CU_ASSERT(sb_store_uploads_list(&f.store, "", &u, &err) == 0);
    CU_ASSERT_EQUAL(u.count, 0);
    sb_store_uploads_free(&u);
    CU_ASSERT_EQUAL(published(&f), 1);
    char *three = object(&f, 3);
    CU_ASSERT_PTR_NULL(three);
    free(three);
    sb_sink_destroy(&fresh);
    json_decref(state);
    fixture_close(&f);
}

static void test_restore_leaves_other_subtasks_uploads_alone(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    sb_sink_t other;
    sb_sink_init(&other, &f.store, NULL, 0, "sink-0");
    CU_ASSERT(sb_sink_append(&other, 0, 1, "A", 1, &err) == 0);
    CU_ASSERT(sb_sink_stage(&other, 2, &err) == 0);
    CU_ASSERT(sb_sink_restore(&f.sink, NULL, 0, &err) == 0);
    sb_store_uploads_t u;
    CU_ASSERT(sb_store_uploads_list(&f.store, "", &u, &err) == 0);
    CU_ASSERT_EQUAL(u.count, 1);
    sb_store_uploads_free(&u);
    sb_sink_destroy(&other);
    fixture_close(&f);
}

static void test_restore_rejects_a_malformed_snapshot(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    json_t *bad = json_pack("{s:[{s:s}]}", "pending", "key", "part-001-000000000002");
    CU_ASSERT(sb_sink_restore(&f.sink, bad, 2, &err) == -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "malformed pending upload"));
    json_decref(bad);
    fixture_close(&f);
}

static void test_orphans_are_aborted_and_pending_uploads_kept(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    /* A retried CreateMultipartUpload whose first answer was lost leaves an
     * upload nobody knows, for the same key. */
    char orphan[SB_STORE_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_store_upload_create(&f.store, "part-001-000000000005", orphan,
                                                 sizeof orphan, &err), 0);
    append(&f, 0, 1, "A1");
    CU_ASSERT(sb_sink_stage(&f.sink, 5, &err) == 0);
    CU_ASSERT_EQUAL(sb_sink_abort_orphans(&f.sink, &err), 0);
    sb_store_uploads_t u;
    CU_ASSERT_EQUAL_FATAL(sb_store_uploads_list(&f.store, "", &u, &err), 0);
    CU_ASSERT_EQUAL(u.count, 1);
    if (u.count == 1)
        CU_ASSERT_STRING_EQUAL(u.items[0].upload_id, f.sink.pending[0].upload_id);
    sb_store_uploads_free(&u);
    CU_ASSERT(sb_sink_commit(&f.sink, 5, &err) == 0);
    CU_ASSERT_EQUAL(published(&f), 1);
    fixture_close(&f);
}

static void test_sink_keys_sort_by_subtask_then_checkpoint(void)
{
    char a[64], b[64], c[64];
    sb_sink_key(0, 99, a, sizeof a);
    sb_sink_key(0, 100, b, sizeof b);
    sb_sink_key(1, 2, c, sizeof c);
    CU_ASSERT(strcmp(a, b) < 0);
    CU_ASSERT(strcmp(b, c) < 0);
    int st = -1;
    int64_t id = -1;
    CU_ASSERT_EQUAL(sb_sink_key_parse(b, &st, &id), 1);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_EQUAL(id, 100);
    CU_ASSERT_EQUAL(sb_sink_key_parse("part-001-000000000002.tmp-5", &st, &id), 0);
    CU_ASSERT_EQUAL(sb_sink_key_parse("other", &st, &id), 0);
}

/* The line is "<partition>:<offset> <value>\n" in plain decimal, at the
 * limits of both numbers too (the sink formats them by hand). */
static void test_output_lines_write_partition_and_offset_in_decimal(void)
{
    fixture_t f;
    fixture_open(&f);
    sb_err_t err;
    append(&f, 0, 0, "A");
    append(&f, 31, 1234567890123, "AB");
    append(&f, 2147483647, INT64_MAX, "");
    CU_ASSERT(sb_sink_stage(&f.sink, 1, &err) == 0);
    CU_ASSERT(sb_sink_commit(&f.sink, 1, &err) == 0);
    char *data = object(&f, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_STRING_EQUAL(data, "0:0 A\n31:1234567890123 AB\n"
                                 "2147483647:9223372036854775807 \n");
    free(data);
    fixture_close(&f);
}

void test_sink_register(void)
{
    static const sb_test_case_t cases[] = {
        { "staged output is invisible until its checkpoint completes",
          test_staged_output_is_invisible_until_its_checkpoint_completes },
        { "an empty epoch stages nothing", test_an_empty_epoch_stages_nothing },
        { "a completed checkpoint commits every older pending epoch",
          test_a_completed_checkpoint_commits_every_older_pending_epoch },
        { "restore publishes pending output of the restored checkpoint",
          test_restore_publishes_pending_output_of_the_restored_checkpoint },
        { "restore after a commit already done does not publish twice",
          test_restore_after_a_commit_already_done_does_not_publish_twice },
        { "restore aborts output staged for checkpoints that never completed",
          test_restore_aborts_output_staged_for_checkpoints_that_never_completed },
        { "restore leaves other subtasks' uploads alone",
          test_restore_leaves_other_subtasks_uploads_alone },
        { "restore rejects a malformed snapshot", test_restore_rejects_a_malformed_snapshot },
        { "orphans are aborted and pending uploads kept",
          test_orphans_are_aborted_and_pending_uploads_kept },
        { "output lines write partition and offset in decimal",
          test_output_lines_write_partition_and_offset_in_decimal },
        { "sink keys sort by subtask then checkpoint",
          test_sink_keys_sort_by_subtask_then_checkpoint },
        { NULL, NULL },
    };
    sb_test_add_suite("sink", cases);
}
