/* test_verdict.c — the trace-only checks of the verdict, on hand-made
 * histories, and which job graphs promise per-partition order.
 *
 * Each history is a list of trace events fed in file order, as
 * sb_verdict_compute does; every check must pass on a clean history and
 * fail, saying why, on one broken on purpose. */
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "job.h"
#include "kafka.h"
#include "scenario.h"
#include "store.h"
#include "verdict.h"

/* ------------------------------------------------------------ histories -- */

static sb_trace_checks_t *checks_new(void)
{
    sb_trace_checks_t *tc = sb_trace_checks_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
    return tc;
}

/* Feeds one event and drops it (the checks do not keep a reference). */
static void feed(sb_trace_checks_t *tc, json_t *ev)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    sb_trace_checks_event(tc, ev);
    json_decref(ev);
}

static void completed(sb_trace_checks_t *tc, int64_t t_ns, int64_t id)
{
    feed(tc, json_pack("{s:s,s:I,s:I}", "event", "checkpoint_completed", "t_ns",
                       (json_int_t)t_ns, "checkpoint", (json_int_t)id));
}

static void aborted(sb_trace_checks_t *tc, int64_t t_ns, int64_t id)
{
    feed(tc, json_pack("{s:s,s:I,s:I,s:s}", "event", "checkpoint_aborted", "t_ns",
                       (json_int_t)t_ns, "checkpoint", (json_int_t)id, "reason", "timeout"));
}

static void crash(sb_trace_checks_t *tc, int64_t t_ns)
{
    feed(tc, json_pack("{s:s,s:I}", "event", "crash", "t_ns", (json_int_t)t_ns));
}

static void restore(sb_trace_checks_t *tc, int64_t t_ns, int64_t id, int attempt)
{
    feed(tc, json_pack("{s:s,s:I,s:I,s:i}", "event", "restore", "t_ns", (json_int_t)t_ns,
                       "checkpoint", (json_int_t)id, "attempt", attempt));
}

static void commit(sb_trace_checks_t *tc, int64_t t_ns, const char *key, int64_t id,
                   bool published)
{
    feed(tc, json_pack("{s:s,s:I,s:s,s:I,s:b,s:s}", "event", "sink_commit", "t_ns",
                       (json_int_t)t_ns, "key", key, "checkpoint", (json_int_t)id,
                       "published", published, "task", "sink-0"));
}

/* Finishes into a zeroed verdict; frees the checks. */
static void finish(sb_trace_checks_t *tc, int crashes_injected, sb_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    v->crashes_injected = crashes_injected; /* read by finish */
    v->eo_ok = true;                        /* only the trace checks matter here */
    v->leftovers.ok = true;
    sb_trace_checks_finish(tc, v);
    sb_trace_checks_free(tc);
}

/* Start, two checkpoints, a kill after 2, restore from 2, the sink
 * re-publishes 2's part, one more checkpoint. */
static void clean_history(sb_trace_checks_t *tc)
{
    restore(tc, 5, 0, 0);
    completed(tc, 10, 1);
    commit(tc, 11, "part-000-000000000001", 1, true);
    completed(tc, 20, 2);
    crash(tc, 25);
    restore(tc, 30, 2, 1);
    commit(tc, 31, "part-000-000000000002", 2, true);
    completed(tc, 40, 3);
    commit(tc, 41, "part-000-000000000003", 3, true);
}

static void test_clean_history_passes(void)
{
    sb_trace_checks_t *tc = checks_new();
    clean_history(tc);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.restores.ok);
    CU_ASSERT_TRUE(v.publishes.ok);
    CU_ASSERT_TRUE(v.crashes.ok);
    CU_ASSERT_TRUE(v.liveness.ok);
    CU_ASSERT_TRUE(sb_verdict_ok(&v));
    CU_ASSERT_EQUAL(v.crashes_seen, 1);
    CU_ASSERT_EQUAL(v.checkpoints_completed, 3);
    CU_ASSERT_EQUAL(v.checkpoints_aborted, 0);
    CU_ASSERT_EQUAL(v.restores_count, 1); /* the first start is not a restore */
    CU_ASSERT_EQUAL(v.restored_from[0], 2);
}

static void test_aborted_checkpoints_are_counted_and_harmless(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    aborted(tc, 20, 2);
    aborted(tc, 30, 3);
    completed(tc, 40, 4);
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_EQUAL(v.checkpoints_completed, 2);
    CU_ASSERT_EQUAL(v.checkpoints_aborted, 2);
    CU_ASSERT_TRUE(sb_verdict_ok(&v));
}

/* With concurrent checkpoints, 4 may complete after 5: 5 stays the newest. */
static void test_a_late_completion_does_not_lower_the_newest_completed(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 5);
    completed(tc, 11, 4);
    commit(tc, 12, "part-000-000000000005", 5, true);
    crash(tc, 20);
    restore(tc, 30, 5, 1);
    completed(tc, 40, 6);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.publishes.ok);
    CU_ASSERT_TRUE(v.restores.ok);
    CU_ASSERT_EQUAL(v.checkpoints_completed, 3);
}

/* A second run into the first run's sink location finds every object
 * published: it publishes nothing, and the output read back is not its own. */
static void test_an_object_already_published_before_any_crash_is_another_runs(void)
{
    sb_trace_checks_t *tc = checks_new();
    restore(tc, 5, 0, 0);
    completed(tc, 10, 1);
    commit(tc, 11, "part-000-000000000001", 1, false);
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_FALSE(v.publishes.ok);
    ASSERT_HAS(v.publishes.detail, "part-000-000000000001 was already in the sink when this "
                                   "run first committed it");
    CU_ASSERT_FALSE(sb_verdict_ok(&v));
    /* After a worker of this run died, the same commit is a re-commit. */
    tc = checks_new();
    completed(tc, 10, 1);
    feed(tc, json_pack("{s:s,s:I,s:i}", "event", "worker_failed", "t_ns", (json_int_t)12,
                       "exit_code", 1));
    commit(tc, 20, "part-000-000000000001", 1, false);
    finish(tc, 0, &v);
    CU_ASSERT_TRUE(v.publishes.ok);
}

/* -------------------------------------------------------------- restores -- */

static void test_restore_from_an_older_checkpoint_is_a_violation_naming_both_ids(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 3);
    completed(tc, 20, 5);
    crash(tc, 25);
    restore(tc, 30, 3, 1);
    completed(tc, 40, 6);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_FALSE(v.restores.ok);
    ASSERT_HAS(v.restores.detail, "chk-3");
    ASSERT_HAS(v.restores.detail, "chk-5");
    CU_ASSERT_FALSE(sb_verdict_ok(&v));
    CU_ASSERT_TRUE(v.publishes.ok);
    CU_ASSERT_TRUE(v.crashes.ok);
    CU_ASSERT_TRUE(v.liveness.ok);
}

static void test_the_first_violation_is_the_one_reported(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 3);
    completed(tc, 20, 5);
    crash(tc, 25);
    restore(tc, 30, 4, 1);
    completed(tc, 40, 7);
    crash(tc, 45);
    restore(tc, 50, 1, 2);
    completed(tc, 60, 8);
    sb_verdict_t v;
    finish(tc, 2, &v);
    CU_ASSERT_FALSE(v.restores.ok);
    ASSERT_HAS(v.restores.detail, "attempt 1 restored from chk-4");
    CU_ASSERT_PTR_NULL(strstr(v.restores.detail, "chk-1 "));
    CU_ASSERT_EQUAL(v.restores_count, 2);
    CU_ASSERT_EQUAL(v.restored_from[0], 4);
    CU_ASSERT_EQUAL(v.restored_from[1], 1);
}

/* The completion line of 4 was lost with the worker, its _metadata was not. */
static void test_restore_above_the_newest_completed_in_the_trace_is_allowed(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 3);
    crash(tc, 25);
    restore(tc, 30, 4, 1);
    commit(tc, 31, "part-000-000000000004", 4, true);
    completed(tc, 40, 5);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.restores.ok);
    CU_ASSERT_TRUE(v.publishes.ok);
    CU_ASSERT_TRUE(sb_verdict_ok(&v));
}

static void test_restore_from_nothing_after_a_completion_is_a_violation(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 2);
    crash(tc, 25);
    restore(tc, 30, 0, 1);
    completed(tc, 40, 3);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_FALSE(v.restores.ok);
    ASSERT_HAS(v.restores.detail, "chk-0");
    ASSERT_HAS(v.restores.detail, "chk-2");
}

/* ------------------------------------------------------------- publishes -- */

static void test_publish_above_the_newest_completed_is_a_violation(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 2);
    commit(tc, 11, "part-001-000000000003", 3, true);
    completed(tc, 20, 3);
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_FALSE(v.publishes.ok);
    ASSERT_HAS(v.publishes.detail, "part-001-000000000003");
    ASSERT_HAS(v.publishes.detail, "chk-3");
    ASSERT_HAS(v.publishes.detail, "chk-2");
    CU_ASSERT_FALSE(sb_verdict_ok(&v));
    CU_ASSERT_TRUE(v.restores.ok);
}

static void test_publish_before_any_completion_is_a_violation(void)
{
    sb_trace_checks_t *tc = checks_new();
    commit(tc, 5, "part-000-000000000001", 1, true);
    completed(tc, 10, 1);
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_FALSE(v.publishes.ok);
}

static void test_publish_of_an_older_checkpoint_is_fine(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 4);
    commit(tc, 11, "part-000-000000000003", 3, true);
    commit(tc, 12, "part-000-000000000004", 4, true);
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_TRUE(v.publishes.ok);
}

static void test_same_key_published_twice_is_a_violation(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    commit(tc, 11, "part-000-000000000001", 1, true);
    crash(tc, 15);
    restore(tc, 20, 1, 1);
    commit(tc, 21, "part-000-000000000001", 1, true);
    completed(tc, 30, 2);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_FALSE(v.publishes.ok);
    ASSERT_HAS(v.publishes.detail, "part-000-000000000001");
    ASSERT_HAS(v.publishes.detail, "twice");
    CU_ASSERT_FALSE(sb_verdict_ok(&v));
}

static void test_other_keys_of_the_same_checkpoint_are_not_duplicates(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    commit(tc, 11, "part-000-000000000001", 1, true);
    commit(tc, 12, "part-001-000000000001", 1, true);
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_TRUE(v.publishes.ok);
}

/* After a restore, the store reports SB_STORE_ALREADY for what the crashed
 * incarnation published: published=false is not a second publication. */
static void test_unpublished_commit_of_an_already_committed_key_is_fine(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    commit(tc, 11, "part-000-000000000001", 1, true);
    crash(tc, 15);
    restore(tc, 20, 1, 1);
    commit(tc, 21, "part-000-000000000001", 1, false);
    completed(tc, 30, 2);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.publishes.ok);
    CU_ASSERT_TRUE(sb_verdict_ok(&v));
}

static void test_an_object_the_sink_never_committed_is_a_violation(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    commit(tc, 11, "part-000-000000000001", 1, true);
    sb_trace_checks_object(tc, "part-000-000000000001");
    sb_trace_checks_object(tc, "part-001-000000000001"); /* written behind its back */
    sb_verdict_t v;
    finish(tc, 0, &v);
    CU_ASSERT_FALSE(v.publishes.ok);
    ASSERT_HAS(v.publishes.detail, "part-001-000000000001");
    ASSERT_HAS(v.publishes.detail, "never committed");
}

/* A crash between publishing and tracing it loses the published=true line;
 * the restore's re-commit (published=false) still accounts for the object. */
static void test_an_object_only_recommitted_after_a_restore_is_accounted_for(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    crash(tc, 15);
    restore(tc, 20, 1, 1);
    commit(tc, 21, "part-000-000000000001", 1, false);
    completed(tc, 30, 2);
    sb_trace_checks_object(tc, "part-000-000000000001");
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.publishes.ok);
}

static void restore_marked(sb_trace_checks_t *tc, int64_t t_ns, int64_t id, bool completed)
{
    feed(tc, json_pack("{s:s,s:I,s:I,s:i,s:b}", "event", "restore", "t_ns", (json_int_t)t_ns,
                       "checkpoint", (json_int_t)id, "attempt", 1, "completed", completed));
}

static void test_restore_of_a_checkpoint_without_metadata_is_a_violation(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 3);
    crash(tc, 15);
    restore_marked(tc, 20, 5, false); /* 5 was triggered, never completed */
    completed(tc, 30, 6);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_FALSE(v.restores.ok);
    ASSERT_HAS(v.restores.detail, "chk-5, which never completed");
}

/* The completion's trace line was lost to the crash, but storage had the
 * _metadata when the worker restored: fine, even if retention deletes it
 * before the run ends. */
static void test_restore_of_a_completed_checkpoint_missing_from_the_trace_is_fine(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 3);
    crash(tc, 15);
    restore_marked(tc, 20, 4, true);
    completed(tc, 30, 6);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.restores.ok);
}

/* -------------------------------------------------------------- crashes -- */

static void test_more_crashes_seen_than_injected_fails(void)
{
    sb_trace_checks_t *tc = checks_new();
    clean_history(tc);
    crash(tc, 45);
    restore(tc, 50, 3, 2);
    completed(tc, 60, 4);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_EQUAL(v.crashes_seen, 2);
    CU_ASSERT_FALSE(v.crashes.ok);
    ASSERT_HAS(v.crashes.detail, "2 crashes seen, 1 injected");
    CU_ASSERT_FALSE(sb_verdict_ok(&v));
    CU_ASSERT_TRUE(v.liveness.ok);
}

static void test_fewer_crashes_seen_than_injected_fails(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    sb_verdict_t v;
    finish(tc, 2, &v);
    CU_ASSERT_EQUAL(v.crashes_seen, 0);
    CU_ASSERT_FALSE(v.crashes.ok);
    ASSERT_HAS(v.crashes.detail, "0 crashes seen, 2 injected");
}

static void test_crashes_seen_equal_to_injected_passes(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    crash(tc, 11);
    restore(tc, 12, 1, 1);
    crash(tc, 13);
    restore(tc, 14, 1, 2);
    completed(tc, 20, 2);
    sb_verdict_t v;
    finish(tc, 2, &v);
    CU_ASSERT_TRUE(v.crashes.ok);
    CU_ASSERT_EQUAL(v.restores_count, 2);
    CU_ASSERT_TRUE(sb_verdict_ok(&v));
}

/* ------------------------------------------------------------- liveness -- */

static void test_liveness_fails_when_nothing_completes_after_the_last_crash(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    completed(tc, 20, 2);
    crash(tc, 30);
    restore(tc, 40, 2, 1);
    aborted(tc, 50, 3);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_FALSE(v.liveness.ok);
    ASSERT_HAS(v.liveness.detail, "after the last crash");
    CU_ASSERT_FALSE(sb_verdict_ok(&v));
    CU_ASSERT_TRUE(v.restores.ok);
    CU_ASSERT_TRUE(v.crashes.ok);
}

static void test_liveness_passes_when_a_checkpoint_completes_after_the_last_crash(void)
{
    sb_trace_checks_t *tc = checks_new();
    completed(tc, 10, 1);
    crash(tc, 30);
    restore(tc, 40, 1, 1);
    completed(tc, 50, 2);
    sb_verdict_t v;
    finish(tc, 1, &v);
    CU_ASSERT_TRUE(v.liveness.ok);
}

/* ------------------------------------------------------------ job graph -- */

static void parse_ok(sb_scenario_t *s, const char *yaml)
{
    sb_err_t err = {{0}};
    int rc = sb_scenario_parse(s, "scenarios/x.yaml", yaml, &err);
    if (rc != 0)
        fprintf(stderr, "\n    unexpected error: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void test_forward_only_graph_keeps_order(void)
{
    sb_scenario_t s;
    parse_ok(&s, "pipeline:\n  parallelism: 2\n");
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s.filter.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s.sink.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_TRUE(sb_verdict_graph_keeps_order(&s));
}

static void test_one_rebalance_keeps_order(void)
{
    sb_scenario_t s;
    parse_ok(&s, "pipeline:\n  parallelism: 2\n  map: { input: rebalance }\n");
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_REBALANCE);
    CU_ASSERT_TRUE(sb_verdict_graph_keeps_order(&s));
}

static void test_rebalance_then_hash_does_not_keep_order(void)
{
    sb_scenario_t s;
    parse_ok(&s, "pipeline:\n"
                 "  parallelism: 2\n"
                 "  map: { input: rebalance }\n"
                 "  sink: { input: hash }\n");
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_REBALANCE);
    CU_ASSERT_EQUAL(s.sink.input, SB_CONNECTION_HASH);
    CU_ASSERT_FALSE(sb_verdict_graph_keeps_order(&s));
    parse_ok(&s, "pipeline:\n"
                 "  parallelism: 2\n"
                 "  filter: { input: hash }\n"
                 "  sink: { input: rebalance }\n");
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_FALSE(sb_verdict_graph_keeps_order(&s));
}

/* count reads by hash: one shuffle, so order holds; a second one breaks it. */
static void test_hash_into_count_is_the_one_allowed_shuffle(void)
{
    sb_scenario_t s;
    parse_ok(&s, "pipeline:\n  parallelism: 2\n  count: true\n");
    CU_ASSERT_EQUAL(s.count.input, SB_CONNECTION_HASH);
    CU_ASSERT_TRUE(sb_verdict_graph_keeps_order(&s));
    parse_ok(&s, "pipeline:\n"
                 "  parallelism: 2\n"
                 "  count: true\n"
                 "  sink: { input: rebalance }\n");
    CU_ASSERT_FALSE(sb_verdict_graph_keeps_order(&s));
}

/* A disabled count stage is not in the graph, whatever its input says. */
static void test_disabled_count_does_not_count_as_a_shuffle(void)
{
    sb_scenario_t s;
    parse_ok(&s, "pipeline:\n  parallelism: 2\n  filter: { input: rebalance }\n");
    CU_ASSERT_FALSE(s.count_enabled);
    CU_ASSERT_EQUAL(s.count.input, SB_CONNECTION_HASH);
    CU_ASSERT_TRUE(sb_verdict_graph_keeps_order(&s));
}

/* Flink's FileSink: part-<uuid>-<counter>; hidden files are not output.
 * The uuid has dashes of its own. */
static void test_flink_file_names_parse_from_the_right(void)
{
    size_t uuid = 0;
    int64_t counter = -1;
    CU_ASSERT_TRUE(sb_verdict_flink_key_parse("part-5b1c2d3e-aaaa-bbbb-cccc-0123456789ab-12",
                                              &uuid, &counter));
    CU_ASSERT_EQUAL(uuid, 36);
    CU_ASSERT_EQUAL(counter, 12);
    CU_ASSERT_TRUE(sb_verdict_flink_key_parse("part-x-0", &uuid, &counter));
    CU_ASSERT_EQUAL(uuid, 1);
    CU_ASSERT_EQUAL(counter, 0);
    static const char *const bad[] = {
        ".part-x-0.inprogress.1234", "part-0", "part--0", "part-x-", "part-x--1", "part-x-a",
        "part-x-1.tmp", "other-x-1", "part-x-1/y", "part-x-99999999999999999999", "part-x- 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool parsed = sb_verdict_flink_key_parse(bad[i], &uuid, &counter);
        if (parsed)
            fprintf(stderr, "\n    '%s' parsed\n", bad[i]);
        CU_ASSERT_FALSE(parsed);
    }
}

/* Files are read per uuid (a subtask's attempt) in counter order (10
 * after 9, not after 1), so the order check sees each partition's offsets
 * rise; a duplicate in a later file is a duplicate. */
static void test_flink_output_is_read_per_subtask_in_counter_order(void)
{
    sb_store_t st;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_store_open(&st, "mem://verdict-flink/out", "/", &err), 0);
    char key[64], line[32];
    for (int c = 0; c < 12; c++) {
        snprintf(key, sizeof key, "part-u-%d", c);
        snprintf(line, sizeof line, "0:%d A\n", c);
        CU_ASSERT_EQUAL(sb_store_put(&st, key, line, strlen(line), &err), 0);
    }
    CU_ASSERT_EQUAL(sb_store_put(&st, ".part-u-12.inprogress.x", "0:12 A\n", 7, &err), 0);
    int64_t low[1] = { 0 }, high[1] = { 12 };
    sb_eo_t *eo = sb_eo_new(1, low, high, true);
    for (int o = 0; o < 12; o++)
        sb_eo_expect(eo, 0, o, "A", 1, &err);
    int64_t objects = 0;
    CU_ASSERT_EQUAL(sb_verdict_observe_flink_output(&st, eo, &objects, &err), 0);
    CU_ASSERT_EQUAL(objects, 12);
    sb_eo_report_t r;
    sb_eo_finish(eo, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    sb_eo_free(eo);
    /* the negative control: the same record again in a later file */
    CU_ASSERT_EQUAL(sb_store_put(&st, "part-v-1", "0:5 A\n", 6, &err), 0);
    eo = sb_eo_new(1, low, high, true);
    for (int o = 0; o < 12; o++)
        sb_eo_expect(eo, 0, o, "A", 1, &err);
    objects = 0;
    CU_ASSERT_EQUAL(sb_verdict_observe_flink_output(&st, eo, &objects, &err), 0);
    sb_eo_finish(eo, &r);
    CU_ASSERT_EQUAL(r.duplicated, 1);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    sb_eo_free(eo);
    sb_store_close(&st);
}

/* flink.oracle end to end on the embedded Kafka: the oracle's lines are
 * the expected output. The job's files hold what `grep ' b'` keeps; an
 * oracle that says the same passes, one that keeps "a" words fails (the
 * negative control), and a failing oracle command is an error. */
static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int oracle_verdict(const char *dir, const sb_job_input_t *in, const char *oracle,
                          sb_verdict_t *v, sb_err_t *err)
{
    sb_scenario_t s;
    char yaml[512];
    snprintf(yaml, sizeof yaml, "engine: flink\nflink: { oracle: \"%s\" }\n", oracle);
    if (sb_scenario_parse(&s, "scenarios/o.yaml", yaml, err) != 0)
        return -1;
    char sink[1100];
    snprintf(sink, sizeof sink, "file://%s/output", dir);
    sb_verdict_params_t p = { &s, dir, sink, "file://checkpoints", "o", in, 0,
                              SB_ENGINE_FLINK };
    return sb_verdict_compute(&p, v, err);
}

static void test_flink_oracle_gives_the_expected_output(void)
{
    sb_kafka_mock_t mock = { 0 };
    sb_err_t err = { { 0 } };
    char dir[256];
    temp_dir_make(dir, sizeof dir, "/tmp/snapbed-oracle-XXXXXX");
    sb_job_input_t in = { .partitions = 1 };
    snprintf(in.topic, sizeof in.topic, "oracle-in");
    CU_ASSERT_EQUAL_FATAL(sb_kafka_mock_start(&mock, &err), 0);
    snprintf(in.bootstrap, sizeof in.bootstrap, "%s", mock.bootstrap);
    CU_ASSERT_EQUAL_FATAL(sb_kafka_topic_create(&mock, in.bootstrap, in.topic, 1, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_kafka_produce_input(in.bootstrap, in.topic, 1, 200, 3, 0, NULL,
                                                 NULL, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_kafka_watermarks(in.bootstrap, in.topic, 1, in.low, in.high,
                                              &err), 0);
    char path[400], cmd[600];
    snprintf(path, sizeof path, "%s/trace.jsonl", dir);
    CU_ASSERT_EQUAL(write_file(path, ""), 0);
    snprintf(path, sizeof path, "%s/output", dir);
    mkdir(path, 0755);
    /* the "job": the input's b-words, as the oracle will say, in one file */
    sb_verdict_t *v = calloc(1, sizeof *v);
    /* nothing committed yet: every record the oracle expects is lost */
    CU_ASSERT_EQUAL_FATAL(oracle_verdict(dir, &in, "cat", v, &err), 0);
    CU_ASSERT_EQUAL(v->eo.expected, 200);
    CU_ASSERT_EQUAL(v->eo.lost, 200);
    snprintf(cmd, sizeof cmd, "grep ' b' %s/oracle-input.txt > %s/output/part-u-0", dir, dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    /* an uncommitted file of a failed attempt: shown, not output, not judged */
    snprintf(path, sizeof path, "%s/output/.part-u-1.inprogress.x", dir);
    CU_ASSERT_EQUAL(write_file(path, "0:0 x\n"), 0);
    CU_ASSERT_EQUAL(oracle_verdict(dir, &in, "grep \\\" b\\\"", v, &err), 0);
    CU_ASSERT_TRUE(v->eo_ok);
    CU_ASSERT_TRUE(v->leftovers.ok);
    ASSERT_HAS(v->leftovers.detail, "1 uncommitted file of failed attempts");
    CU_ASSERT_TRUE(v->eo.expected > 0);
    CU_ASSERT_EQUAL(v->eo.observed, v->eo.expected);
    CU_ASSERT_EQUAL(v->records_in, 200);
    CU_ASSERT_TRUE(v->publishes.ok); /* no flink/rest.json: Flink's clock unknown */
    ASSERT_HAS(v->publishes.detail, "not checked: no flink/rest.json");
    /* Publish times: the file's last write (mtime), then a completion,
     * then its rename (ctime, now). */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, t0 = now_ms - 100000;
    snprintf(path, sizeof path, "%s/flink", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/flink/rest.json", dir);
    char text[256];
    snprintf(text, sizeof text, "{\"t0_epoch_ms\": %lld}\n", (long long)t0);
    CU_ASSERT_EQUAL(write_file(path, text), 0);
    static const struct { int64_t written_ago_ms, completed_ago_ms; bool ok; const char *says; }
    times[] = {
        { 10000, 5000, true, "each of 1 file renamed into place after a checkpoint" },
        /* commit-early: renamed as the checkpoint was taken, completed later */
        { 10000, -5000, false, "ms before the first checkpoint that completed after that write" },
        /* at-least-once: written in place long after the last completion */
        { 0, 50000, false, "no checkpoint completed after that write" },
        /* written before the oldest checkpoint Flink's bounded history
         * lists (a trigger 5 s ago, below): not judged */
        { 10000, 4000, true, "1 written before the oldest checkpoint in Flink's history" },
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        snprintf(path, sizeof path, "%s/output/part-u-0", dir);
        struct timespec ts[2] = { now, now };
        ts[1].tv_sec -= times[i].written_ago_ms / 1000;
        CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, ts, 0), 0);
        snprintf(path, sizeof path, "%s/trace.jsonl", dir);
        int64_t done = (now_ms - times[i].completed_ago_ms - t0) * 1000000LL;
        if (i == 3) /* the history begins after the file's last write */
            snprintf(text, sizeof text, "{\"t_ns\":%lld,\"pid\":1,\"event\":"
                     "\"checkpoint_triggered\",\"checkpoint\":1}\n", (long long)(done - 1000000000LL));
        else
            text[0] = '\0';
        snprintf(text + strlen(text), sizeof text - strlen(text), "{\"t_ns\":%lld,\"pid\":1,"
                 "\"event\":\"checkpoint_completed\",\"checkpoint\":1}\n", (long long)done);
        CU_ASSERT_EQUAL(write_file(path, text), 0);
        CU_ASSERT_EQUAL(oracle_verdict(dir, &in, "grep \\\" b\\\"", v, &err), 0);
        CU_ASSERT_EQUAL(v->publishes.ok, times[i].ok);
        if (strstr(v->publishes.detail, times[i].says) == NULL)
            fprintf(stderr, "\n    case %zu: '%s' lacks '%s'\n", i, v->publishes.detail,
                    times[i].says);
        ASSERT_HAS(v->publishes.detail, times[i].says);
    }
    /* negative control: an oracle that expects the a-words */
    CU_ASSERT_EQUAL(oracle_verdict(dir, &in, "grep \\\" a\\\"", v, &err), 0);
    CU_ASSERT_FALSE(v->eo_ok);
    CU_ASSERT_TRUE(v->eo.lost > 0 && v->eo.unexpected > 0);
    /* a command that fails is an error naming it */
    CU_ASSERT_EQUAL(oracle_verdict(dir, &in, "exit 3", v, &err), -1);
    ASSERT_HAS(err.msg, "flink.oracle `exit 3` exited with 3");
    free(v);
    sb_kafka_mock_stop(&mock);
    rm_rf(dir);
}

void test_verdict_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_clean_history_passes),
        T(test_flink_file_names_parse_from_the_right),
        T(test_flink_output_is_read_per_subtask_in_counter_order),
        T(test_flink_oracle_gives_the_expected_output),
        T(test_an_object_already_published_before_any_crash_is_another_runs),
        T(test_aborted_checkpoints_are_counted_and_harmless),
        T(test_a_late_completion_does_not_lower_the_newest_completed),
        T(test_restore_from_an_older_checkpoint_is_a_violation_naming_both_ids),
        T(test_the_first_violation_is_the_one_reported),
        T(test_restore_above_the_newest_completed_in_the_trace_is_allowed),
        T(test_restore_from_nothing_after_a_completion_is_a_violation),
        T(test_publish_above_the_newest_completed_is_a_violation),
        T(test_publish_before_any_completion_is_a_violation),
        T(test_publish_of_an_older_checkpoint_is_fine),
        T(test_same_key_published_twice_is_a_violation),
        T(test_other_keys_of_the_same_checkpoint_are_not_duplicates),
        T(test_unpublished_commit_of_an_already_committed_key_is_fine),
        T(test_an_object_the_sink_never_committed_is_a_violation),
        T(test_restore_of_a_checkpoint_without_metadata_is_a_violation),
        T(test_restore_of_a_completed_checkpoint_missing_from_the_trace_is_fine),
        T(test_an_object_only_recommitted_after_a_restore_is_accounted_for),
        T(test_more_crashes_seen_than_injected_fails),
        T(test_fewer_crashes_seen_than_injected_fails),
        T(test_crashes_seen_equal_to_injected_passes),
        T(test_liveness_fails_when_nothing_completes_after_the_last_crash),
        T(test_liveness_passes_when_a_checkpoint_completes_after_the_last_crash),
        T(test_forward_only_graph_keeps_order),
        T(test_one_rebalance_keeps_order),
        T(test_rebalance_then_hash_does_not_keep_order),
        T(test_hash_into_count_is_the_one_allowed_shuffle),
        T(test_disabled_count_does_not_count_as_a_shuffle),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("verdict", cases);
}
