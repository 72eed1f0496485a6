/* test_flink_stats.c — Flink's checkpoint statistics as snapbed trace
 * events, as a specification.
 *
 * The fixture tests/fixtures/flink-stats/rest.json is a bundle in the
 * shapes of Flink 1.20's REST API: a job of two vertices ("Source: kafka ->
 * Map -> Filter -> Sink: Writer" at parallelism 2, "Sink: Committer" at 1),
 * checkpoint 1 failed while tasks deployed, 2 and 3 completed (2's details
 * lost, its history entry kept), 4 failed with one subtask acked when a
 * TaskManager was lost, a restore of 3, and 5 completed. t0_epoch_ms is
 * 1700000000000, so Flink's "T0 + 2000 ms" is t_ns 2e9. Then the pipeline
 * the Flink driver runs: merge with the driver's events, trace.jsonl,
 * checkpoints.json, the pictures and report.html. */
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ckstats.h"
#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "flink_stats.h"
#include "gv.h"
#include "report.h"
#include "viz.h"

#define FIXTURE "tests/fixtures/flink-stats/rest.json"
#define MS 1000000LL
#define T0_MS 1700000000000LL
#define PID 4242

static json_t *fixture(void)
{
    json_error_t jerr;
    json_t *b = json_load_file(FIXTURE, 0, &jerr);
    if (b == NULL)
        fprintf(stderr, "\n    cannot load %s: %s (run from the repository root)\n", FIXTURE,
                jerr.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    return b;
}

static json_t *events_of(const json_t *bundle)
{
    sb_err_t err = { { 0 } };
    json_t *ev = sb_flink_stats_events(bundle, PID, &err);
    if (ev == NULL)
        fprintf(stderr, "\n    error: %s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    return ev;
}

/* The n-th (0-based) event named `name` with that task (NULL: any) and
 * checkpoint (0: any); NULL if none. */
static const json_t *find(const json_t *events, const char *name, const char *task,
                          int64_t checkpoint, int n)
{
    size_t i;
    const json_t *e;
    json_array_foreach(events, i, e) {
        const char *ev = json_string_value(json_object_get(e, "event"));
        const char *t = json_string_value(json_object_get(e, "task"));
        if (strcmp(ev, name) != 0 || (task != NULL && (t == NULL || strcmp(t, task) != 0)))
            continue;
        if (checkpoint != 0 && json_integer_value(json_object_get(e, "checkpoint")) != checkpoint)
            continue;
        if (n-- == 0)
            return e;
    }
    return NULL;
}

static int count(const json_t *events, const char *name, int64_t checkpoint)
{
    int n = 0;
    while (find(events, name, NULL, checkpoint, n) != NULL)
        n++;
    return n;
}

static int64_t int_at(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* An error from the bundle, its message in err. */
static void expect_error(const json_t *bundle, sb_err_t *err)
{
    memset(err, 0, sizeof *err);
    json_t *ev = sb_flink_stats_events(bundle, PID, err);
    CU_ASSERT_PTR_NULL(ev);
    json_decref(ev);
}

/* Sets a member of the fixture by a path of object keys ("subtasks", "2",
 * VERTEX, ...); the last key gets v (stolen). */
static void set_path(json_t *root, json_t *v, int depth, const char *const *keys)
{
    json_t *o = root;
    for (int i = 0; i < depth - 1; i++)
        o = json_object_get(o, keys[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    json_object_set_new(o, keys[depth - 1], v);
}

#define SRC "cbc357ccb763df2852fee8c4fc7d55f2"
#define WRITER0 "source-map-filter-writer-0"
#define WRITER1 "source-map-filter-writer-1"
#define COMMITTER0 "committer-0"

/* ------------------------------------------------------------- events */

static void test_events_are_in_t_ns_order_and_begin_with_the_job_graph(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(ev, 0), "event")),
                           "job_graph");
    int64_t prev = -1;
    size_t i;
    const json_t *e;
    json_array_foreach(ev, i, e) {
        CU_ASSERT(int_at(e, "t_ns") >= prev);
        CU_ASSERT_EQUAL(int_at(e, "pid"), PID);
        prev = int_at(e, "t_ns");
    }
    const json_t *g = json_array_get(ev, 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(g, "engine")), "flink");
    CU_ASSERT_EQUAL(int_at(g, "t_ns"), 500 * MS); /* the job's start-time */
    const json_t *tasks = json_object_get(g, "tasks");
    CU_ASSERT_EQUAL(json_array_size(tasks), 3);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tasks, 0), "name")),
                           WRITER0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(tasks, 2), "name")),
                           COMMITTER0);
    CU_ASSERT_PTR_NOT_NULL(find(ev, "job_finished", NULL, 0, 0));
    json_decref(ev);
    json_decref(b);
}

static void test_trigger_and_ack_times_count_from_t0_epoch_ms(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    const json_t *trig = find(ev, "checkpoint_triggered", NULL, 3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(trig);
    CU_ASSERT_EQUAL(int_at(trig, "t_ns"), 3000 * MS);
    const json_t *ack = find(ev, "ack", WRITER1, 3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
    CU_ASSERT_EQUAL(int_at(ack, "t_ns"), 3060 * MS);
    CU_ASSERT_EQUAL(int_at(ack, "trigger_ns"), 3000 * MS);
    json_decref(ev);
    json_decref(b);
}

static void test_an_ack_carries_flinks_subtask_figures_in_ns_and_as_they_came(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    const json_t *ack = find(ev, "ack", WRITER0, 2, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
    CU_ASSERT_EQUAL(int_at(ack, "start_delay_ns"), 10 * MS);
    CU_ASSERT_EQUAL(int_at(ack, "alignment_ns"), 5 * MS);
    CU_ASSERT_EQUAL(int_at(ack, "sync_ns"), 2 * MS);
    CU_ASSERT_EQUAL(int_at(ack, "async_ns"), 60 * MS);
    CU_ASSERT_EQUAL(int_at(ack, "state_bytes"), 1024);
    const json_t *f = json_object_get(ack, "flink");
    CU_ASSERT_EQUAL(int_at(f, "async_ms"), 60);
    CU_ASSERT_EQUAL(int_at(f, "start_delay_ms"), 10);
    CU_ASSERT_EQUAL(int_at(f, "checkpointed_size"), 1024);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "vertex")), SRC);
    /* Checkpoint 5's unaligned subtask persisted 4 KiB of in-flight data. */
    const json_t *u = find(ev, "ack", WRITER0, 5, 0);
    CU_ASSERT(json_is_true(json_object_get(u, "unaligned")));
    CU_ASSERT_EQUAL(int_at(u, "inflight_bytes"), 4096);
    CU_ASSERT_EQUAL(int_at(json_object_get(u, "flink"), "persisted_data"), 4096);
    json_decref(ev);
    json_decref(b);
}

static void test_phases_become_barrier_alignment_and_snapshot_events_before_the_ack(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    /* writer-0 of checkpoint 2: barrier at +10 ms, aligned until +15 ms. */
    CU_ASSERT_EQUAL(int_at(find(ev, "barrier_reached", WRITER0, 2, 0), "t_ns"), 2010 * MS);
    CU_ASSERT_EQUAL(int_at(find(ev, "alignment_started", WRITER0, 2, 0), "t_ns"), 2010 * MS);
    CU_ASSERT_EQUAL(int_at(find(ev, "alignment_ended", WRITER0, 2, 0), "t_ns"), 2015 * MS);
    CU_ASSERT_EQUAL(int_at(find(ev, "snapshot", WRITER0, 2, 0), "t_ns"), 2015 * MS);
    /* No alignment reported, no alignment events. */
    CU_ASSERT_PTR_NULL(find(ev, "alignment_started", WRITER1, 2, 0));
    CU_ASSERT_PTR_NOT_NULL(find(ev, "snapshot", WRITER1, 2, 0));
    json_decref(ev);
    json_decref(b);
}

static void test_completed_checkpoint_ends_at_trigger_plus_end_to_end_duration(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    const json_t *c = find(ev, "checkpoint_completed", NULL, 2, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(int_at(c, "t_ns"), 2120 * MS);
    CU_ASSERT_EQUAL(int_at(c, "state_bytes"), 3584);
    CU_ASSERT_EQUAL(int_at(json_object_get(c, "flink"), "end_to_end_ms"), 120);
    json_decref(ev);
    json_decref(b);
}

static void test_failed_checkpoint_is_aborted_with_the_first_line_of_its_message(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    const json_t *a = find(ev, "checkpoint_aborted", NULL, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(int_at(a, "t_ns"), 1050 * MS); /* its failure_timestamp */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "reason")),
                           "Task local checkpoint failure.");
    CU_ASSERT_EQUAL(count(ev, "ack", 1), 0); /* no subtask details */
    json_decref(ev);
    json_decref(b);
}

static void test_pending_subtasks_of_a_failed_checkpoint_have_no_ack(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    CU_ASSERT_EQUAL(count(ev, "ack", 4), 1);
    CU_ASSERT_PTR_NOT_NULL(find(ev, "ack", WRITER0, 4, 0));
    CU_ASSERT_EQUAL(int_at(find(ev, "checkpoint_aborted", NULL, 4, 0), "t_ns"), 3500 * MS);
    json_decref(ev);
    json_decref(b);
}

static void test_lost_details_fall_back_to_the_history_entry(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    /* details."2" is null; checkpoints.history still has 2. */
    CU_ASSERT_PTR_NOT_NULL(find(ev, "checkpoint_triggered", NULL, 2, 0));
    CU_ASSERT_EQUAL(count(ev, "ack", 2), 3);
    json_decref(ev);
    json_decref(b);
}

static void test_a_restore_starts_a_new_job_graph_then_restores_its_checkpoint(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    const json_t *r = find(ev, "restore", NULL, 0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(int_at(r, "checkpoint"), 3);
    CU_ASSERT_EQUAL(int_at(r, "attempt"), 1);
    CU_ASSERT_EQUAL(int_at(r, "t_ns"), 6000 * MS);
    const json_t *g = find(ev, "job_graph", NULL, 0, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(int_at(g, "t_ns"), 6000 * MS);
    CU_ASSERT_EQUAL(int_at(g, "attempt"), 1);
    /* The graph comes first at that time. */
    size_t gi = 0, ri = 0, i;
    const json_t *e;
    json_array_foreach(ev, i, e) {
        gi = e == g ? i : gi;
        ri = e == r ? i : ri;
    }
    CU_ASSERT(gi < ri);
    json_decref(ev);
    json_decref(b);
}

static void test_the_drivers_restore_list_adds_restores_without_repeating_the_latest(void)
{
    json_t *b = fixture();
    json_t *list = json_pack("[{s:i,s:I},{s:i,s:I}]", "id", 2, "restore_timestamp",
                             (json_int_t)(T0_MS + 2500), "id", 3, "restore_timestamp",
                             (json_int_t)(T0_MS + 6000));
    json_object_set_new(b, "restores", list);
    json_t *ev = events_of(b);
    CU_ASSERT_EQUAL(count(ev, "restore", 0), 2);
    CU_ASSERT_EQUAL(int_at(find(ev, "restore", NULL, 0, 0), "checkpoint"), 2);
    CU_ASSERT_EQUAL(int_at(find(ev, "restore", NULL, 0, 1), "attempt"), 2);
    json_decref(ev);
    json_decref(b);
}

static void test_exception_history_becomes_task_failed_of_its_subtask(void)
{
    json_t *b = fixture(), *ev = events_of(b);
    const json_t *f = find(ev, "task_failed", NULL, 0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(int_at(f, "t_ns"), 3500 * MS);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "task")), WRITER1); /* (2/2) */
    ASSERT_HAS(json_string_value(json_object_get(f, "exception")), "Heartbeat of TaskManager");
    /* The driver's crash lines stay the only ones. */
    CU_ASSERT_EQUAL(count(ev, "crash", 0), 0);
    json_decref(ev);
    json_decref(b);
}

/* ---------------------------------------------- missing and bad members */

static void test_a_bundle_with_only_t0_gives_an_empty_job_graph(void)
{
    json_t *b = json_pack("{s:I,s:n,s:n}", "t0_epoch_ms", (json_int_t)T0_MS, "job",
                          "checkpoints");
    json_t *ev = events_of(b);
    CU_ASSERT_EQUAL(json_array_size(ev), 1);
    CU_ASSERT_EQUAL(json_array_size(json_object_get(json_array_get(ev, 0), "tasks")), 0);
    json_decref(ev);
    json_decref(b);
}

static void test_vertices_known_only_from_subtask_details_are_named_by_their_id(void)
{
    json_t *b = fixture();
    json_object_del(b, "job");
    json_t *ev = events_of(b);
    const json_t *tasks = json_object_get(json_array_get(ev, 0), "tasks");
    CU_ASSERT_EQUAL(json_array_size(tasks), 3);
    CU_ASSERT_PTR_NOT_NULL(find(ev, "ack", "vertex-cbc357cc-1", 3, 0));
    json_decref(ev);
    json_decref(b);
}

static void test_a_member_of_the_wrong_type_is_an_error_naming_it(void)
{
    sb_err_t err;
    static const char *const HISTORY[] = { "checkpoints", "history" };
    static const char *const DETAILS[] = { "details" };
    static const char *const SUB2[] = { "subtasks", "2" };
    static const char *const TRIGGER3[] = { "details", "3", "trigger_timestamp" };
    static const char *const ENTRIES[] = { "exceptions", "exceptionHistory", "entries" };
    static const struct {
        const char *const *keys;
        int depth;
        const char *says;
    } CASES[] = {
        { HISTORY, 2, "checkpoints.history is of the wrong type" },
        { DETAILS, 1, "details is of the wrong type" },
        { SUB2, 2, "subtasks.2 is of the wrong type" },
        { TRIGGER3, 3, "checkpoint 3: \"trigger_timestamp\" is of another type" },
        { ENTRIES, 3, "exceptions.exceptionHistory.entries is of the wrong type" },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        json_t *b = fixture();
        set_path(b, json_string("garbage"), CASES[i].depth, CASES[i].keys);
        expect_error(b, &err);
        ASSERT_HAS(err.msg, CASES[i].says);
        json_decref(b);
    }
    json_t *nb = json_array();
    expect_error(nb, &err);
    ASSERT_HAS(err.msg, "not a JSON object");
    json_decref(nb);
}

static void test_huge_counts_are_refused_before_anything_is_allocated(void)
{
    sb_err_t err;
    json_t *b = fixture();
    json_t *list = json_array();
    for (int i = 0; i <= SB_FLINK_STATS_SUBTASKS_MAX; i++)
        json_array_append_new(list, json_pack("{s:i,s:s}", "index", i, "status",
                                              "pending_or_failed"));
    json_object_set_new(json_object_get(json_object_get(json_object_get(b, "subtasks"), "3"), SRC),
                        "subtasks", list);
    expect_error(b, &err);
    ASSERT_HAS(err.msg, "subtasks.3." SRC);
    json_decref(b);

    b = fixture();
    json_object_set_new(json_array_get(json_object_get(json_object_get(b, "job"), "vertices"), 0),
                        "parallelism", json_integer(1000000000));
    expect_error(b, &err);
    ASSERT_HAS(err.msg, "job.vertices[0]: parallelism 1000000000");
    json_decref(b);

    b = fixture();
    json_object_set_new(json_object_get(json_object_get(b, "details"), "3"), "end_to_end_duration",
                        json_integer(INT64_MAX));
    expect_error(b, &err);
    ASSERT_HAS(err.msg, "checkpoint 3: \"end_to_end_duration\"");
    json_decref(b);
}

/* The negative control of the time checks: the JobManager stamps both the
 * trigger and the acks, so an ack before its trigger is a broken answer. */
static void test_an_ack_before_its_trigger_is_an_error_naming_checkpoint_and_subtask(void)
{
    sb_err_t err;
    json_t *b = fixture();
    json_t *list = json_object_get(
        json_object_get(json_object_get(json_object_get(b, "subtasks"), "3"), SRC), "subtasks");
    json_t *s = json_array_get(list, 1);
    json_object_set_new(s, "ack_timestamp", json_integer(T0_MS + 2990));
    expect_error(b, &err);
    ASSERT_HAS(err.msg, "subtasks.3." SRC ".subtasks[1]");
    ASSERT_HAS(err.msg, "10 ms before checkpoint 3's trigger_timestamp");
    json_decref(b);
}

static void test_a_time_before_t0_is_an_error(void)
{
    sb_err_t err;
    json_t *b = fixture();
    json_object_set_new(b, "t0_epoch_ms", json_integer(T0_MS + 1500));
    expect_error(b, &err);
    ASSERT_HAS(err.msg, "precedes t0_epoch_ms");
    json_decref(b);
    b = fixture();
    json_object_del(b, "t0_epoch_ms");
    expect_error(b, &err);
    ASSERT_HAS(err.msg, "t0_epoch_ms");
    json_decref(b);
}

/* -------------------------------------------------------------- names */

static void test_task_names_are_short_stable_and_fit_the_trace_readers(void)
{
    char buf[SB_FLINK_STATS_TASK_BYTES_MAX];
    sb_flink_stats_task_name("Source: kafka -> Map -> Filter -> Sink: Writer", 0, buf,
                             sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "source-map-filter-writer-0");
    sb_flink_stats_task_name("Sink: Committer", 1, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "committer-1");
    sb_flink_stats_task_name("", 2, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "task-2");
    sb_flink_stats_task_name("Source: a -> Very Long Operator Name With Words -> Sink: X", 4095,
                             buf, sizeof buf);
    CU_ASSERT(strlen(buf) < SB_FLINK_STATS_TASK_BYTES_MAX);
    ASSERT_HAS(buf, "-4095");
}

static void test_two_chains_that_shorten_alike_get_distinct_task_names(void)
{
    json_t *b = json_pack("{s:I,s:{s:[{s:s,s:s,s:i},{s:s,s:s,s:i}]}}", "t0_epoch_ms",
                          (json_int_t)T0_MS, "job", "vertices", "id", "a1", "name", "Map",
                          "parallelism", 1, "id", "b2", "name", "map", "parallelism", 1);
    json_t *ev = events_of(b);
    const json_t *tasks = json_object_get(json_array_get(ev, 0), "tasks");
    const char *n0 = json_string_value(json_object_get(json_array_get(tasks, 0), "name"));
    const char *n1 = json_string_value(json_object_get(json_array_get(tasks, 1), "name"));
    CU_ASSERT_STRING_EQUAL(n0, "map-0");
    CU_ASSERT_STRING_NOT_EQUAL(n0, n1);
    json_decref(ev);
    json_decref(b);
}

/* ----------------------------------------------------- merge and write */

static json_t *driver_events(void)
{
    return json_pack("[{s:i,s:s,s:s,s:i,s:s},{s:I,s:s,s:i,s:i,s:s,s:b,s:i},"
                     "{s:I,s:s,s:b,s:b}]",
                     "t_ns", 0, "event", "run_started", "scenario", "flink-kill-tm", "seed", 7,
                     "mode", "EXACTLY_ONCE",
                     "t_ns", (json_int_t)(3400 * MS), "event", "crash", "attempt", 0, "signal", 9,
                     "signal_name", "SIGKILL", "injected", true, "fault", 0,
                     "t_ns", (json_int_t)(8000 * MS), "event", "run_finished", "verified_ok",
                     true, "expectation_met", true);
}

static void test_merge_is_by_t_ns_driver_first_and_run_finished_last(void)
{
    json_t *b = fixture(), *ev = events_of(b), *drv = driver_events();
    sb_err_t err = { { 0 } };
    json_t *m = sb_flink_stats_merge(drv, ev, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(json_array_size(m), json_array_size(ev) + 3);
    const json_t *first = json_array_get(m, 0), *last = json_array_get(m, json_array_size(m) - 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "event")), "run_started");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(last, "event")), "run_finished");
    /* The crash at 3400 ms comes before checkpoint 4's trigger at the same time. */
    size_t i, crash = 0, trig = 0;
    const json_t *e;
    json_array_foreach(m, i, e) {
        if (e == find(m, "crash", NULL, 0, 0))
            crash = i;
        if (e == find(m, "checkpoint_triggered", NULL, 4, 0))
            trig = i;
    }
    CU_ASSERT(crash > 0 && crash + 1 == trig);
    /* job_finished (8000 ms) stays before run_finished (8000 ms). */
    const json_t *before_last = json_array_get(m, json_array_size(m) - 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(before_last, "event")),
                           "job_finished");
    json_t *bad = json_pack("[{s:s}]", "event", "crash");
    CU_ASSERT_PTR_NULL(sb_flink_stats_merge(bad, ev, &err));
    ASSERT_HAS(err.msg, "driver's event 0 has no integer \"t_ns\"");
    json_decref(bad);
    json_decref(m);
    json_decref(drv);
    json_decref(ev);
    json_decref(b);
}

static void test_write_trace_refuses_a_repeated_line_and_a_shapeless_event(void)
{
    char dir[64], path[128];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-flinkstats-XXXXXX");
    snprintf(path, sizeof path, "%s/trace.jsonl", dir);
    sb_err_t err = { { 0 } };
    json_t *twice = json_pack("[{s:i,s:i,s:s},{s:i,s:i,s:s}]", "t_ns", 1, "pid", 2, "event",
                              "x", "t_ns", 1, "pid", 2, "event", "x");
    CU_ASSERT_EQUAL(sb_flink_stats_write_trace(twice, path, &err), -1);
    ASSERT_HAS(err.msg, "event 1 repeats event 0");
    json_t *shapeless = json_pack("[{s:s}]", "event", "x");
    CU_ASSERT_EQUAL(sb_flink_stats_write_trace(shapeless, path, &err), -1);
    ASSERT_HAS(err.msg, "event 0 is not a JSON object with an integer \"t_ns\"");
    struct stat st;
    CU_ASSERT_NOT_EQUAL(stat(path, &st), 0); /* nothing written */
    json_decref(twice);
    json_decref(shapeless);
    temp_dir_remove(dir);
}

/* --------------------------------------------- checkpoints.json, report */

typedef struct run {
    char dir[64];
    char path[128];
} run_t;

static void path_in(char *buf, size_t len, const run_t *r, const char *rel)
{
    snprintf(buf, len, "%s/%s", r->dir, rel);
}

/* A Flink run folder as the driver leaves it: trace.jsonl (the driver's
 * events merged with Flink's), summary.json, checkpoints.json. */
static void make_run(run_t *r, bool flink_graph)
{
    temp_dir_make(r->dir, sizeof r->dir, "/tmp/sb-flinkrun-XXXXXX");
    json_t *b = fixture(), *ev = events_of(b), *drv = driver_events();
    if (!flink_graph) {
        size_t i;
        json_t *e;
        json_array_foreach(ev, i, e)
            json_object_del(e, "engine");
    }
    sb_err_t err = { { 0 } };
    json_t *m = sb_flink_stats_merge(drv, ev, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    path_in(r->path, sizeof r->path, r, "trace.jsonl");
    CU_ASSERT_EQUAL_FATAL(sb_flink_stats_write_trace(m, r->path, &err), 0);
    char p[160];
    sb_ckstats_t st;
    path_in(p, sizeof p, r, "checkpoints.json");
    CU_ASSERT_EQUAL(sb_ckstats_from_trace(&st, r->path, &err), 0);
    CU_ASSERT_EQUAL(sb_ckstats_write_json(&st, p, &err), 0);
    sb_ckstats_free(&st);
    json_t *summary = json_pack("{s:s,s:s,s:b,s:b,s:s,s:{s:b,s:i}}", "scenario", "flink-kill-tm",
                                "engine", "flink", "verified_ok", true, "expectation_met", true,
                                "mode", "EXACTLY_ONCE", "exactly_once", "ok", true, "records_in",
                                100);
    path_in(p, sizeof p, r, "summary.json");
    CU_ASSERT_EQUAL(json_dump_file(summary, p, 0), 0);
    json_decref(summary);
    json_decref(m);
    json_decref(drv);
    json_decref(ev);
    json_decref(b);
}

static void test_checkpoints_json_of_a_flink_run_has_flinks_durations_and_figures(void)
{
    run_t r;
    make_run(&r, true);
    char p[160];
    path_in(p, sizeof p, &r, "checkpoints.json");
    json_error_t jerr;
    json_t *root = json_load_file(p, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    const json_t *s = json_object_get(root, "summary");
    CU_ASSERT_EQUAL(int_at(s, "completed_count"), 3);
    CU_ASSERT_EQUAL(int_at(s, "aborted_count"), 2);
    CU_ASSERT_EQUAL(int_at(s, "duration_ns_p50"), 90 * MS);  /* of 80, 90, 120 ms */
    CU_ASSERT_EQUAL(int_at(s, "duration_ns_p99"), 120 * MS);
    CU_ASSERT_EQUAL(int_at(s, "alignment_ns_max"), 5 * MS);
    const json_t *list = json_object_get(root, "checkpoints");
    CU_ASSERT_EQUAL(json_array_size(list), 5);
    const json_t *c2 = json_array_get(list, 1), *c4 = json_array_get(list, 3);
    CU_ASSERT_EQUAL(int_at(c2, "duration_ns"), 120 * MS);
    CU_ASSERT_EQUAL(int_at(c2, "trigger_ns"), 2000 * MS); /* run_started is t_ns 0 */
    CU_ASSERT_EQUAL(int_at(c2, "state_bytes"), 3584);
    CU_ASSERT_EQUAL(int_at(json_object_get(c2, "flink"), "end_to_end_ms"), 120);
    const json_t *sub = json_array_get(json_object_get(c2, "subtasks"), 0);
    CU_ASSERT_EQUAL(int_at(sub, "ack_ns"), 100 * MS);
    CU_ASSERT_EQUAL(int_at(json_object_get(sub, "flink"), "sync_ms"), 2);
    /* Checkpoint 4 failed in Flink when its TaskManager was lost. */
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c4, "status")), "aborted");
    json_decref(root);
    temp_dir_remove(r.dir);
}

static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

static bool exists(const run_t *r, const char *rel)
{
    char p[160];
    struct stat st;
    path_in(p, sizeof p, r, rel);
    return stat(p, &st) == 0;
}

static void test_a_flink_run_folder_draws_gantt_and_timeline_and_reports_why_not_the_rest(void)
{
    run_t r;
    make_run(&r, true);
    char viz[160], report[160];
    path_in(viz, sizeof viz, &r, "viz");
    sb_viz_opts_t o = { .trace_path = r.path, .out_dir = viz, .formats = SB_GV_SVG,
                        .timeline = true };
    sb_viz_report_t vr;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_viz_run(&o, &vr, &err), SB_VIZ_OK);
    CU_ASSERT_EQUAL(vr.checkpoints_drawn, 3);
    CU_ASSERT(exists(&r, "viz/chk-2-gantt.svg") && exists(&r, "viz/timeline.svg"));
    CU_ASSERT(!exists(&r, "viz/chk-2-graph.svg") && !exists(&r, "viz/chk-2-spacetime.svg"));
    ASSERT_HAS(vr.note, "a Flink run");
    CU_ASSERT_EQUAL(sb_report_write(r.dir, &err), 0);
    path_in(report, sizeof report, &r, SB_REPORT_FILE);
    CU_ASSERT(file_has(report, "id=\"chk-2\""));
    CU_ASSERT(file_has(report, "id=\"chk-4\""));
    CU_ASSERT(file_has(report, "chk-5-gantt.svg"));
    CU_ASSERT(file_has(report, "not available for Flink runs: needs snapbed's own trace of "
                               "records and barriers"));
    CU_ASSERT(file_has(report, "source-map-filter-writer-1 failed: java.util.concurrent."
                               "TimeoutException"));
    temp_dir_remove(r.dir);
}

/* The switch's negative control: a job graph not marked "flink" is
 * snapbed's own, and its report does not say the pictures are missing. */
static void test_a_job_graph_not_marked_flink_gets_no_flink_sentence(void)
{
    run_t r;
    make_run(&r, false);
    sb_err_t err = { { 0 } };
    char report[160];
    CU_ASSERT_EQUAL(sb_report_write(r.dir, &err), 0);
    path_in(report, sizeof report, &r, SB_REPORT_FILE);
    CU_ASSERT(file_has(report, "id=\"chk-2\""));
    CU_ASSERT(!file_has(report, "not available for Flink runs"));
    temp_dir_remove(r.dir);
}

void test_flink_stats_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_events_are_in_t_ns_order_and_begin_with_the_job_graph),
        T(test_trigger_and_ack_times_count_from_t0_epoch_ms),
        T(test_an_ack_carries_flinks_subtask_figures_in_ns_and_as_they_came),
        T(test_phases_become_barrier_alignment_and_snapshot_events_before_the_ack),
        T(test_completed_checkpoint_ends_at_trigger_plus_end_to_end_duration),
        T(test_failed_checkpoint_is_aborted_with_the_first_line_of_its_message),
        T(test_pending_subtasks_of_a_failed_checkpoint_have_no_ack),
        T(test_lost_details_fall_back_to_the_history_entry),
        T(test_a_restore_starts_a_new_job_graph_then_restores_its_checkpoint),
        T(test_the_drivers_restore_list_adds_restores_without_repeating_the_latest),
        T(test_exception_history_becomes_task_failed_of_its_subtask),
        T(test_a_bundle_with_only_t0_gives_an_empty_job_graph),
        T(test_vertices_known_only_from_subtask_details_are_named_by_their_id),
        T(test_a_member_of_the_wrong_type_is_an_error_naming_it),
        T(test_huge_counts_are_refused_before_anything_is_allocated),
        T(test_an_ack_before_its_trigger_is_an_error_naming_checkpoint_and_subtask),
        T(test_a_time_before_t0_is_an_error),
        T(test_task_names_are_short_stable_and_fit_the_trace_readers),
        T(test_two_chains_that_shorten_alike_get_distinct_task_names),
        T(test_merge_is_by_t_ns_driver_first_and_run_finished_last),
        T(test_write_trace_refuses_a_repeated_line_and_a_shapeless_event),
        T(test_checkpoints_json_of_a_flink_run_has_flinks_durations_and_figures),
        T(test_a_flink_run_folder_draws_gantt_and_timeline_and_reports_why_not_the_rest),
        T(test_a_job_graph_not_marked_flink_gets_no_flink_sentence),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("flink_stats", cases);
}
