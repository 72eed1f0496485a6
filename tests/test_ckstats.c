/* test_ckstats.c — checkpoint statistics from a trace, as a specification.
 *
 * Each test writes a small trace.jsonl by hand and reads it back: statuses
 * (completed, aborted with the coordinator's reason, aborted "worker
 * crashed" when the worker died first, unfinished "run ended"), per
 * checkpoint figures summed or maximised over the acks, nearest-rank
 * percentiles over completed checkpoints only, the JSON file and the table. */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckstats.h"
#include "cu_helpers.h"
#include "cu_tmpdir.h"

#define MS 1000000LL
#define T0 5000000000LL /* run_started: CLOCK_MONOTONIC is far from 0 */

typedef struct fixture {
    char dir[64];
    char path[96]; /* <dir>/trace.jsonl */
    FILE *trace;
    sb_ckstats_t st;
    sb_err_t err;
} fixture_t;

static void fx_open(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-ckstats-XXXXXX");
    snprintf(f->path, sizeof f->path, "%s/trace.jsonl", f->dir);
    f->trace = fopen(f->path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->trace);
}

static void fx_close(fixture_t *f)
{
    if (f->trace != NULL)
        fclose(f->trace);
    sb_ckstats_free(&f->st);
    temp_dir_remove(f->dir);
}

/* Appends one line (a newline is added). */
__attribute__((format(printf, 2, 3))) static void line(fixture_t *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f->trace, fmt, ap);
    va_end(ap);
    fputc('\n', f->trace);
}

static void run_started(fixture_t *f)
{
    line(f, "{\"t_ns\":%lld,\"pid\":1,\"event\":\"run_started\",\"scenario\":\"t\"}", T0);
}

static void triggered(fixture_t *f, int64_t id, int64_t at_ms)
{
    line(f,
         "{\"t_ns\":%lld,\"pid\":2,\"event\":\"checkpoint_triggered\",\"checkpoint\":%" PRId64
         ",\"final\":false}",
         T0 + at_ms * MS, id);
}

static void completed(fixture_t *f, int64_t id, int64_t at_ms)
{
    line(f,
         "{\"t_ns\":%lld,\"pid\":2,\"event\":\"checkpoint_completed\",\"checkpoint\":%" PRId64
         ",\"state_bytes\":0,\"final\":false}",
         T0 + at_ms * MS, id);
}

static void aborted(fixture_t *f, int64_t id, int64_t at_ms, const char *reason)
{
    line(f,
         "{\"t_ns\":%lld,\"pid\":2,\"event\":\"checkpoint_aborted\",\"checkpoint\":%" PRId64
         ",\"reason\":\"%s\"}",
         T0 + at_ms * MS, id, reason);
}

static void crash(fixture_t *f, int64_t at_ms)
{
    line(f, "{\"t_ns\":%lld,\"pid\":1,\"event\":\"crash\",\"attempt\":1,\"signal\":9}",
         T0 + at_ms * MS);
}

typedef struct ack {
    const char *task;
    int64_t id, at_ms;
    int64_t start_delay_ns, alignment_ns, sync_ns, async_ns;
    int64_t state_bytes, inflight_records, inflight_bytes;
    bool unaligned, timed_out;
} ack_t;

static void ack(fixture_t *f, ack_t a)
{
    line(f,
         "{\"t_ns\":%lld,\"pid\":2,\"event\":\"ack\",\"task\":\"%s\",\"checkpoint\":%" PRId64
         ",\"trigger_ns\":0,\"start_delay_ns\":%" PRId64 ",\"alignment_ns\":%" PRId64
         ",\"sync_ns\":%" PRId64 ",\"async_ns\":%" PRId64 ",\"state_bytes\":%" PRId64
         ",\"inflight_records\":%" PRId64 ",\"inflight_bytes\":%" PRId64
         ",\"unaligned\":%s,\"timed_out\":%s}",
         T0 + a.at_ms * MS, a.task, a.id, a.start_delay_ns, a.alignment_ns, a.sync_ns,
         a.async_ns, a.state_bytes, a.inflight_records, a.inflight_bytes,
         a.unaligned ? "true" : "false", a.timed_out ? "true" : "false");
}

/* Closes the trace and reads it; returns sb_ckstats_from_trace's result. */
static int load(fixture_t *f)
{
    fclose(f->trace);
    f->trace = NULL;
    return sb_ckstats_from_trace(&f->st, f->path, &f->err);
}

/* The checkpoint with this id; the test stops if there is none. */
static const sb_ckstats_checkpoint_t *find(const fixture_t *f, int64_t id)
{
    const sb_ckstats_checkpoint_t *c = NULL;
    for (int64_t i = 0; i < f->st.checkpoints_count && c == NULL; i++)
        if (f->st.checkpoints[i].id == id)
            c = &f->st.checkpoints[i];
    return c;
}

/* Checkpoints 1..n completed, checkpoint i taking i ms end to end. */
static void completed_1_to_n_ms(fixture_t *f, int n)
{
    for (int i = 1; i <= n; i++) {
        triggered(f, i, i * 1000);
        ack(f, (ack_t){ .task = "map-0", .id = i, .at_ms = i * 1000,
                        .alignment_ns = i * 10000, .start_delay_ns = i * 1000 });
        completed(f, i, i * 1000 + i);
    }
}

/* ------------------------------------------------------------ statuses */

static void test_completed_aligned_checkpoint_sums_state_and_takes_max_alignment_of_its_acks(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 100);
    ack(&f, (ack_t){ .task = "map-0", .id = 1, .at_ms = 103, .start_delay_ns = 2 * MS,
                     .alignment_ns = 1 * MS, .sync_ns = 10, .async_ns = 20,
                     .state_bytes = 300 });
    ack(&f, (ack_t){ .task = "map-1", .id = 1, .at_ms = 105, .start_delay_ns = 1 * MS,
                     .alignment_ns = 4 * MS, .state_bytes = 200 });
    completed(&f, 1, 107);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);

    CU_ASSERT_EQUAL_FATAL(f.st.checkpoints_count, 1);
    const sb_ckstats_checkpoint_t *c = &f.st.checkpoints[0];
    CU_ASSERT_EQUAL(c->id, 1);
    CU_ASSERT_EQUAL(c->status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_STRING_EQUAL(c->reason, "");
    CU_ASSERT_EQUAL(c->trigger_ns, 100 * MS);      /* since run_started */
    CU_ASSERT_EQUAL(c->duration_ns, 7 * MS);       /* trigger -> completed */
    CU_ASSERT_EQUAL(c->alignment_max_ns, 4 * MS);
    CU_ASSERT_EQUAL(c->start_delay_max_ns, 2 * MS);
    CU_ASSERT_EQUAL(c->state_bytes, 500);          /* the acks', not the completion's 0 */
    CU_ASSERT_FALSE(c->unaligned);
    CU_ASSERT_FALSE(c->timed_out);
    CU_ASSERT_EQUAL(c->inflight_bytes, 0);
    CU_ASSERT_EQUAL_FATAL(c->subtasks_count, 2);
    CU_ASSERT_STRING_EQUAL(c->subtasks[0].task, "map-0");
    CU_ASSERT_EQUAL(c->subtasks[0].ack_ns, 3 * MS);
    CU_ASSERT_EQUAL(c->subtasks[0].sync_ns, 10);
    CU_ASSERT_EQUAL(c->subtasks[0].async_ns, 20);
    CU_ASSERT_STRING_EQUAL(c->subtasks[1].task, "map-1");
    CU_ASSERT_EQUAL(c->subtasks[1].ack_ns, 5 * MS);
    CU_ASSERT_FALSE(f.st.truncated);
    fx_close(&f);
}

static void test_unaligned_acks_mark_the_checkpoint_and_sum_in_flight_data(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 0);
    ack(&f, (ack_t){ .task = "map-0", .id = 1, .at_ms = 1, .inflight_records = 3,
                     .inflight_bytes = 30, .unaligned = true, .timed_out = true });
    ack(&f, (ack_t){ .task = "map-1", .id = 1, .at_ms = 2 }); /* aligned */
    ack(&f, (ack_t){ .task = "sink-0", .id = 1, .at_ms = 3, .inflight_records = 4,
                     .inflight_bytes = 40, .unaligned = true });
    completed(&f, 1, 4);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    const sb_ckstats_checkpoint_t *c = find(&f, 1);
    CU_ASSERT_TRUE(c->unaligned);
    CU_ASSERT_TRUE(c->timed_out);
    CU_ASSERT_EQUAL(c->inflight_records, 7);
    CU_ASSERT_EQUAL(c->inflight_bytes, 70);
    fx_close(&f);
}

static void test_a_duplicated_ack_line_counts_once(void)
{
    fixture_t f;
    fx_open(&f);
    triggered(&f, 1, 0);
    ack_t a = { .task = "map-0", .id = 1, .at_ms = 1, .state_bytes = 10 };
    ack(&f, a);
    a.at_ms = 2;
    ack(&f, a);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    const sb_ckstats_checkpoint_t *c = find(&f, 1);
    CU_ASSERT_EQUAL(c->subtasks_count, 1);
    CU_ASSERT_EQUAL(c->state_bytes, 10);
    CU_ASSERT_EQUAL(c->subtasks[0].ack_ns, 1 * MS); /* the first wins */
    fx_close(&f);
}

static void test_completion_state_bytes_count_when_no_subtask_acked(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 0);
    line(&f, "{\"t_ns\":%lld,\"event\":\"checkpoint_completed\",\"checkpoint\":1,"
             "\"state_bytes\":777,\"final\":true}", T0 + 2 * MS);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    const sb_ckstats_checkpoint_t *c = find(&f, 1);
    CU_ASSERT_EQUAL(c->state_bytes, 777);
    CU_ASSERT_TRUE(c->final);
    CU_ASSERT_EQUAL(c->subtasks_count, 0);
    CU_ASSERT_EQUAL(c->alignment_max_ns, -1); /* unknown, not zero */
    fx_close(&f);
}

static void test_acks_are_the_state_bytes_source_even_after_the_completion_line(void)
{
    fixture_t f;
    fx_open(&f);
    triggered(&f, 1, 0);
    line(&f, "{\"t_ns\":%lld,\"event\":\"checkpoint_completed\",\"checkpoint\":1,"
             "\"state_bytes\":777}", T0 + 2 * MS);
    ack(&f, (ack_t){ .task = "map-0", .id = 1, .at_ms = 3, .state_bytes = 10 });
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    CU_ASSERT_EQUAL(find(&f, 1)->state_bytes, 10);
    fx_close(&f);
}

static void test_aborted_checkpoint_carries_its_reason_and_duration(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    aborted(&f, 1, 40, "timeout");
    triggered(&f, 2, 50);
    line(&f, "{\"t_ns\":%lld,\"event\":\"checkpoint_aborted\",\"checkpoint\":2,"
             "\"reason\":\"persist_failed\",\"error\":\"disk full\"}", T0 + 60 * MS);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    const sb_ckstats_checkpoint_t *c1 = find(&f, 1), *c2 = find(&f, 2);
    CU_ASSERT_EQUAL(c1->status, SB_CKSTATS_ABORTED);
    CU_ASSERT_STRING_EQUAL(c1->reason, "timeout");
    CU_ASSERT_EQUAL(c1->duration_ns, 30 * MS);
    CU_ASSERT_EQUAL(c2->status, SB_CKSTATS_ABORTED);
    CU_ASSERT_STRING_EQUAL(c2->reason, "persist_failed: disk full");
    fx_close(&f);
}

static void test_checkpoint_open_at_a_crash_is_aborted_worker_crashed(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    completed(&f, 1, 12);
    triggered(&f, 2, 20);
    ack(&f, (ack_t){ .task = "map-0", .id = 2, .at_ms = 21 });
    crash(&f, 25);
    line(&f, "{\"t_ns\":%lld,\"event\":\"restore\",\"checkpoint\":1,\"attempt\":2}",
         T0 + 30 * MS);
    triggered(&f, 3, 40); /* the new incarnation: a fresh id */
    completed(&f, 3, 41);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    /* restore's "checkpoint" names no new checkpoint */
    CU_ASSERT_EQUAL_FATAL(f.st.checkpoints_count, 3);
    CU_ASSERT_EQUAL(find(&f, 1)->status, SB_CKSTATS_COMPLETED); /* closed before: untouched */
    const sb_ckstats_checkpoint_t *c = find(&f, 2);
    CU_ASSERT_EQUAL(c->status, SB_CKSTATS_ABORTED);
    CU_ASSERT_STRING_EQUAL(c->reason, "worker crashed");
    CU_ASSERT_EQUAL(c->duration_ns, 5 * MS); /* trigger -> crash */
    CU_ASSERT_EQUAL(c->subtasks_count, 1);
    CU_ASSERT_EQUAL(find(&f, 3)->status, SB_CKSTATS_COMPLETED);
    fx_close(&f);
}

/* On Flink a TaskManager kill does not end a checkpoint in flight: the
 * JobManager completes it or aborts it, and the trace says which. The
 * negative control is the test above: the same lines without the Flink
 * job graph abort it. */
static void test_a_flink_checkpoint_open_at_a_taskmanager_kill_completes(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    line(&f, "{\"t_ns\":%lld,\"pid\":1,\"event\":\"job_graph\",\"engine\":\"flink\","
         "\"tasks\":[]}", T0 + 1 * MS);
    triggered(&f, 8, 20);
    crash(&f, 25);
    completed(&f, 8, 30);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    CU_ASSERT_EQUAL_FATAL(f.st.checkpoints_count, 1);
    CU_ASSERT_EQUAL(find(&f, 8)->status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_EQUAL(find(&f, 8)->duration_ns, 10 * MS);
    fx_close(&f);
}

static void test_checkpoint_open_at_the_end_is_unfinished_run_ended(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    completed(&f, 1, 11);
    triggered(&f, 2, 20);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    const sb_ckstats_checkpoint_t *c = find(&f, 2);
    CU_ASSERT_EQUAL(c->status, SB_CKSTATS_UNFINISHED);
    CU_ASSERT_STRING_EQUAL(c->reason, "run ended");
    CU_ASSERT_EQUAL(c->duration_ns, -1);
    CU_ASSERT_EQUAL(c->trigger_ns, 20 * MS);
    fx_close(&f);
}

static void test_a_later_terminal_event_does_not_change_the_first(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    completed(&f, 1, 11);
    aborted(&f, 1, 12, "subsumed");
    crash(&f, 13);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    CU_ASSERT_EQUAL(find(&f, 1)->status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_EQUAL(find(&f, 1)->duration_ns, 1 * MS);
    fx_close(&f);
}

static void test_checkpoints_are_sorted_by_id_whatever_the_line_order(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    ack(&f, (ack_t){ .task = "map-0", .id = 5, .at_ms = 1 }); /* its trigger line is lost */
    triggered(&f, 3, 2);
    triggered(&f, 4, 3);
    line(&f, "{\"t_ns\":%lld,\"event\":\"alignment_abandoned\",\"task\":\"map-0\","
             "\"checkpoint\":4}", T0 + 4 * MS);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    CU_ASSERT_EQUAL_FATAL(f.st.checkpoints_count, 3);
    CU_ASSERT_EQUAL(f.st.checkpoints[0].id, 3);
    CU_ASSERT_EQUAL(f.st.checkpoints[1].id, 4);
    CU_ASSERT_EQUAL(f.st.checkpoints[2].id, 5);
    CU_ASSERT_EQUAL(f.st.checkpoints[1].abandoned_count, 1);
    CU_ASSERT_EQUAL(f.st.checkpoints[2].trigger_ns, -1);
    /* No trigger line: the ack's own trigger_ns (0 here) is no time either. */
    CU_ASSERT_EQUAL(f.st.checkpoints[2].subtasks[0].ack_ns, -1);
    fx_close(&f);
}

static void test_origin_is_the_first_line_without_run_started(void)
{
    fixture_t f;
    fx_open(&f);
    line(&f, "{\"t_ns\":%lld,\"event\":\"worker_started\"}", T0 + 1 * MS);
    triggered(&f, 1, 3);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    CU_ASSERT_EQUAL(find(&f, 1)->trigger_ns, 2 * MS);
    fx_close(&f);
}

/* ------------------------------------------------------- trace errors */

static void test_truncated_last_line_is_tolerated(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    completed(&f, 1, 12);
    fputs("{\"t_ns\":5100000000,\"event\":\"checkpoint_trig", f.trace);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    CU_ASSERT_TRUE(f.st.truncated);
    CU_ASSERT_EQUAL(f.st.checkpoints_count, 1);
    CU_ASSERT_EQUAL(find(&f, 1)->status, SB_CKSTATS_COMPLETED);
    fx_close(&f);
}

static void test_non_integer_checkpoint_is_an_error_naming_the_line(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    line(&f, "{\"t_ns\":%lld,\"event\":\"checkpoint_completed\",\"checkpoint\":\"1\"}",
         T0 + 11 * MS);
    completed(&f, 1, 12);
    CU_ASSERT_EQUAL(load(&f), -1);
    ASSERT_HAS(f.err.msg, f.path);
    ASSERT_HAS(f.err.msg, ":3:");
    ASSERT_HAS(f.err.msg, "checkpoint_completed");
    ASSERT_HAS(f.err.msg, "\"checkpoint\"");
    fx_close(&f);
}

static void test_missing_checkpoint_in_an_ack_is_an_error(void)
{
    fixture_t f;
    fx_open(&f);
    line(&f, "{\"t_ns\":1,\"event\":\"ack\",\"task\":\"map-0\"}");
    CU_ASSERT_EQUAL(load(&f), -1);
    ASSERT_HAS(f.err.msg, ":1:");
    ASSERT_HAS(f.err.msg, "ack");
    fx_close(&f);
}

static void test_line_without_event_is_an_error_naming_the_line(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    line(&f, "{\"t_ns\":1,\"pid\":2}");
    CU_ASSERT_EQUAL(load(&f), -1);
    ASSERT_HAS(f.err.msg, ":2:");
    ASSERT_HAS(f.err.msg, "event");
    fx_close(&f);
}

static void test_checkpoint_triggered_twice_is_an_error(void)
{
    fixture_t f;
    fx_open(&f);
    triggered(&f, 1, 10);
    triggered(&f, 1, 20);
    CU_ASSERT_EQUAL(load(&f), -1);
    ASSERT_HAS(f.err.msg, ":2:");
    ASSERT_HAS(f.err.msg, "triggered twice");
    fx_close(&f);
}

static void test_missing_optional_fields_read_as_zero(void)
{
    fixture_t f;
    fx_open(&f);
    triggered(&f, 1, 10);
    line(&f, "{\"t_ns\":%lld,\"event\":\"ack\",\"checkpoint\":1,\"task\":\"map-0\"}",
         T0 + 12 * MS);
    line(&f, "{\"t_ns\":%lld,\"event\":\"checkpoint_completed\",\"checkpoint\":1}",
         T0 + 13 * MS);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    const sb_ckstats_checkpoint_t *c = find(&f, 1);
    CU_ASSERT_EQUAL(c->status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_EQUAL(c->alignment_max_ns, 0);
    CU_ASSERT_EQUAL(c->state_bytes, 0);
    CU_ASSERT_EQUAL(c->subtasks[0].ack_ns, 2 * MS);
    CU_ASSERT_FALSE(c->subtasks[0].unaligned);
    fx_close(&f);
}

static void test_missing_trace_names_the_path(void)
{
    sb_ckstats_t st;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_ckstats_from_trace(&st, "/nonexistent/trace.jsonl", &err), -1);
    ASSERT_HAS(err.msg, "/nonexistent/trace.jsonl");
    sb_ckstats_free(&st);
}

/* ------------------------------------------------------------ summary */

static void test_percentiles_are_nearest_rank_over_1_to_100_ms(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    completed_1_to_n_ms(&f, 100);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(&f.st, &s);
    CU_ASSERT_EQUAL(s.completed_count, 100);
    CU_ASSERT_EQUAL(s.duration_ns.p50, 50 * MS);
    CU_ASSERT_EQUAL(s.duration_ns.p99, 99 * MS);
    CU_ASSERT_EQUAL(s.duration_ns.max, 100 * MS);
    CU_ASSERT_EQUAL(s.alignment_ns.p50, 50 * 10000);
    CU_ASSERT_EQUAL(s.alignment_ns.max, 100 * 10000);
    CU_ASSERT_EQUAL(s.start_delay_ns.p99, 99 * 1000);
    fx_close(&f);
}

static void test_p99_of_ten_values_is_the_max(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    completed_1_to_n_ms(&f, 10);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(&f.st, &s);
    CU_ASSERT_EQUAL(s.duration_ns.p50, 5 * MS);
    CU_ASSERT_EQUAL(s.duration_ns.p99, 10 * MS);
    CU_ASSERT_EQUAL(s.duration_ns.max, 10 * MS);
    fx_close(&f);
}

/* Negative control: a slow aborted checkpoint and an unfinished one must not
 * reach the percentiles, only the counts. */
static void test_summary_counts_aborted_apart_from_the_percentiles(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    completed_1_to_n_ms(&f, 3);
    triggered(&f, 4, 5000);
    ack(&f, (ack_t){ .task = "map-0", .id = 4, .at_ms = 5001, .alignment_ns = 900 * MS,
                     .inflight_bytes = 1 << 20, .unaligned = true });
    aborted(&f, 4, 15000, "timeout");
    triggered(&f, 5, 15001);
    crash(&f, 15002);
    triggered(&f, 6, 16000);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(&f.st, &s);
    CU_ASSERT_EQUAL(s.completed_count, 3);
    CU_ASSERT_EQUAL(s.aborted_count, 2);
    CU_ASSERT_EQUAL(s.unfinished_count, 1);
    /* The crashed one took 1 ms: counted in, it would lower both ranks. */
    CU_ASSERT_EQUAL(s.duration_ns.p50, 2 * MS);
    CU_ASSERT_EQUAL(s.duration_ns.p99, 3 * MS);
    CU_ASSERT_EQUAL(s.duration_ns.max, 3 * MS);         /* not 10 s */
    CU_ASSERT_EQUAL(s.alignment_ns.max, 3 * 10000);     /* not 900 ms */
    CU_ASSERT_EQUAL(s.unaligned_count, 0);
    CU_ASSERT_EQUAL(s.inflight_bytes_total, 0);         /* never persisted */
    CU_ASSERT_EQUAL_FATAL(s.aborted_reasons_count, 2);
    CU_ASSERT_STRING_EQUAL(s.aborted_reasons[0].reason, "timeout");
    CU_ASSERT_EQUAL(s.aborted_reasons[0].count, 1);
    CU_ASSERT_STRING_EQUAL(s.aborted_reasons[1].reason, "worker crashed");
    fx_close(&f);
}

static void test_summary_without_completed_checkpoints_has_no_percentiles(void)
{
    fixture_t f;
    fx_open(&f);
    triggered(&f, 1, 10);
    aborted(&f, 1, 20, "timeout");
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(&f.st, &s);
    CU_ASSERT_EQUAL(s.completed_count, 0);
    CU_ASSERT_EQUAL(s.duration_ns.p50, -1);
    CU_ASSERT_EQUAL(s.duration_ns.p99, -1);
    CU_ASSERT_EQUAL(s.duration_ns.max, -1);
    fx_close(&f);
}

static void test_abort_reasons_group_by_their_head(void)
{
    fixture_t f;
    fx_open(&f);
    for (int i = 1; i <= 2; i++) {
        triggered(&f, i, i * 10);
        line(&f, "{\"t_ns\":%lld,\"event\":\"checkpoint_aborted\",\"checkpoint\":%d,"
                 "\"reason\":\"persist_failed\",\"error\":\"error %d\"}",
             T0 + (i * 10 + 1) * MS, i, i);
    }
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(&f.st, &s);
    CU_ASSERT_EQUAL_FATAL(s.aborted_reasons_count, 1);
    CU_ASSERT_STRING_EQUAL(s.aborted_reasons[0].reason, "persist_failed");
    CU_ASSERT_EQUAL(s.aborted_reasons[0].count, 2);
    fx_close(&f);
}

/* --------------------------------------------------------------- JSON */

static void test_write_json_has_the_summary_and_per_subtask_fields(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 100);
    ack(&f, (ack_t){ .task = "map-0", .id = 1, .at_ms = 103, .start_delay_ns = 2 * MS,
                     .alignment_ns = 1 * MS, .sync_ns = 11, .async_ns = 22,
                     .state_bytes = 300, .inflight_records = 5, .inflight_bytes = 50,
                     .unaligned = true, .timed_out = true });
    completed(&f, 1, 107);
    triggered(&f, 2, 200);
    aborted(&f, 2, 300, "timeout");
    triggered(&f, 3, 400);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    char out[128];
    snprintf(out, sizeof out, "%s/checkpoints.json", f.dir);
    CU_ASSERT_EQUAL_FATAL(sb_ckstats_write_json(&f.st, out, &f.err), 0);

    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0); /* renamed away */
    json_error_t jerr;
    json_t *root = json_load_file(out, 0, &jerr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    json_t *sum = json_object_get(root, "summary");
    CU_ASSERT_TRUE(json_is_object(sum));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "completed_count")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "aborted_count")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "unfinished_count")), 1);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "duration_ns_p50")), 7 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "duration_ns_p99")), 7 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "alignment_ns_max")), 1 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "start_delay_ns_max")), 2 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sum, "inflight_bytes_total")), 50);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(
                        json_object_get(sum, "aborted_reasons"), "timeout")), 1);

    json_t *cps = json_object_get(root, "checkpoints");
    CU_ASSERT_EQUAL_FATAL(json_array_size(cps), 3);
    json_t *c1 = json_array_get(cps, 0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(c1, "id")), 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c1, "status")), "completed");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(c1, "trigger_ns")), 100 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(c1, "duration_ns")), 7 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(c1, "state_bytes")), 300);
    CU_ASSERT_TRUE(json_is_true(json_object_get(c1, "unaligned")));
    json_t *sub = json_array_get(json_object_get(c1, "subtasks"), 0);
    CU_ASSERT_TRUE_FATAL(json_is_object(sub));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(sub, "task")), "map-0");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "ack_ns")), 3 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "start_delay_ns")), 2 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "alignment_ns")), 1 * MS);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "sync_ns")), 11);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "async_ns")), 22);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "inflight_records")), 5);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "inflight_bytes")), 50);
    CU_ASSERT_TRUE(json_is_true(json_object_get(sub, "timed_out")));
    json_t *c2 = json_array_get(cps, 1);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c2, "reason")), "timeout");
    json_t *c3 = json_array_get(cps, 2);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c3, "status")), "unfinished");
    CU_ASSERT_TRUE(json_is_null(json_object_get(c3, "duration_ns")));
    json_decref(root);
    fx_close(&f);
}

static void test_write_json_in_a_missing_folder_names_the_path(void)
{
    sb_ckstats_t st = { 0 };
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_ckstats_write_json(&st, "/nonexistent/dir/checkpoints.json", &err), -1);
    ASSERT_HAS(err.msg, "/nonexistent/dir/checkpoints.json.tmp");
}

/* -------------------------------------------------------------- table */

static char *table_of(const sb_ckstats_t *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    sb_ckstats_print_table(st, out);
    fclose(out);
    return text;
}

static int lines_in(const char *text)
{
    int n = 0;
    for (const char *p = text; *p != '\0'; p++)
        n += *p == '\n';
    return n;
}

static void test_print_table_shows_counts_percentiles_and_in_flight_data(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    completed_1_to_n_ms(&f, 100);
    triggered(&f, 101, 200000);
    ack(&f, (ack_t){ .task = "map-0", .id = 101, .at_ms = 200001, .inflight_records = 10,
                     .inflight_bytes = 2048, .unaligned = true });
    ack(&f, (ack_t){ .task = "map-1", .id = 101, .at_ms = 200001, .inflight_records = 2,
                     .inflight_bytes = 1024, .unaligned = true });
    completed(&f, 101, 200050);
    triggered(&f, 102, 300000);
    aborted(&f, 102, 310000, "timeout");
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    char *text = table_of(&f.st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    ASSERT_HAS(text, "checkpoints: 101 completed, 1 aborted (timeout), 0 unfinished");
    ASSERT_HAS(text, "p50");
    ASSERT_HAS(text, "p99");
    ASSERT_HAS(text, "duration");
    /* 1..100 ms and 50 ms: nearest ranks 51 and 100 of 101 */
    ASSERT_HAS(text, "50.0 ms");
    ASSERT_HAS(text, "99.0 ms");
    ASSERT_HAS(text, "100.0 ms");
    ASSERT_HAS(text, "alignment");
    ASSERT_HAS(text, "start delay");
    ASSERT_HAS(text, "in-flight data persisted: 12 records, 3.0 KiB over 1 unaligned "
                     "checkpoint (max 3.0 KiB in one)");
    CU_ASSERT(lines_in(text) <= 8);
    free(text);
    fx_close(&f);
}

static void test_print_table_with_no_checkpoints_says_so_in_one_line(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    char *text = table_of(&f.st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "checkpoints: none in the trace\n");
    free(text);
    fx_close(&f);
}

static void test_print_table_lists_several_abort_reasons_with_counts(void)
{
    fixture_t f;
    fx_open(&f);
    run_started(&f);
    triggered(&f, 1, 10);
    aborted(&f, 1, 20, "timeout");
    triggered(&f, 2, 30);
    aborted(&f, 2, 40, "timeout");
    triggered(&f, 3, 50);
    crash(&f, 60);
    CU_ASSERT_EQUAL_FATAL(load(&f), 0);
    char *text = table_of(&f.st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "checkpoints: 0 completed, 3 aborted (2 timeout, 1 worker "
                                 "crashed), 0 unfinished\n");
    free(text);
    fx_close(&f);
}

/* The report's table uses the same forms: plain ASCII, unknown as "-". */
static void test_times_and_sizes_are_formatted_in_ascii_with_units(void)
{
    static const struct {
        int64_t ns;
        const char *text;
    } TIMES[] = { { -1, "-" }, { 0, "0 ns" }, { 999, "999 ns" }, { 3000, "3.0 us" },
                  { 20000000, "20.0 ms" }, { 1250000000, "1.25 s" } };
    static const struct {
        int64_t bytes;
        const char *text;
    } SIZES[] = { { 500, "500 B" }, { 2048, "2.0 KiB" }, { 3145728, "3.0 MiB" },
                  { 1073741824, "1.0 GiB" } };
    char buf[32];
    for (size_t i = 0; i < sizeof TIMES / sizeof TIMES[0]; i++) {
        sb_ckstats_format_ns(buf, sizeof buf, TIMES[i].ns);
        CU_ASSERT_STRING_EQUAL(buf, TIMES[i].text);
    }
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
        sb_ckstats_format_bytes(buf, sizeof buf, SIZES[i].bytes);
        CU_ASSERT_STRING_EQUAL(buf, SIZES[i].text);
    }
}

void test_ckstats_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_completed_aligned_checkpoint_sums_state_and_takes_max_alignment_of_its_acks),
        T(test_unaligned_acks_mark_the_checkpoint_and_sum_in_flight_data),
        T(test_a_duplicated_ack_line_counts_once),
        T(test_completion_state_bytes_count_when_no_subtask_acked),
        T(test_acks_are_the_state_bytes_source_even_after_the_completion_line),
        T(test_aborted_checkpoint_carries_its_reason_and_duration),
        T(test_checkpoint_open_at_a_crash_is_aborted_worker_crashed),
        T(test_a_flink_checkpoint_open_at_a_taskmanager_kill_completes),
        T(test_checkpoint_open_at_the_end_is_unfinished_run_ended),
        T(test_a_later_terminal_event_does_not_change_the_first),
        T(test_checkpoints_are_sorted_by_id_whatever_the_line_order),
        T(test_origin_is_the_first_line_without_run_started),
        T(test_truncated_last_line_is_tolerated),
        T(test_non_integer_checkpoint_is_an_error_naming_the_line),
        T(test_missing_checkpoint_in_an_ack_is_an_error),
        T(test_line_without_event_is_an_error_naming_the_line),
        T(test_checkpoint_triggered_twice_is_an_error),
        T(test_missing_optional_fields_read_as_zero),
        T(test_missing_trace_names_the_path),
        T(test_percentiles_are_nearest_rank_over_1_to_100_ms),
        T(test_p99_of_ten_values_is_the_max),
        T(test_summary_counts_aborted_apart_from_the_percentiles),
        T(test_summary_without_completed_checkpoints_has_no_percentiles),
        T(test_abort_reasons_group_by_their_head),
        T(test_write_json_has_the_summary_and_per_subtask_fields),
        T(test_write_json_in_a_missing_folder_names_the_path),
        T(test_print_table_shows_counts_percentiles_and_in_flight_data),
        T(test_print_table_with_no_checkpoints_says_so_in_one_line),
        T(test_print_table_lists_several_abort_reasons_with_counts),
        T(test_times_and_sizes_are_formatted_in_ascii_with_units),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("ckstats", cases);
}
