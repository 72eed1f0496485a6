/* test_cut.c — the consistent-cut checker, on hand-written traces.
 *
 * The job graph is source-0 →(0) map-0 →(1) filter-0 →(2) sink-0. Every
 * history starts from a clean run and breaks one rule on purpose: each check
 * passes on the clean run and fails, saying where and why, on the broken
 * one. The traces go through a file and sb_trace_read, as in `snapbed check`. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "cut.h"

/* --------------------------------------------------------------- traces */

typedef struct history {
    FILE *out;          /* an in-memory stream until checked */
    char *text;
    size_t len;
    int64_t t_ns;
    sb_cut_report_t r;
    sb_err_t err;
} history_t;

static void begin(history_t *h)
{
    memset(h, 0, sizeof *h);
    h->out = open_memstream(&h->text, &h->len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->out);
    h->t_ns = 1000000000;
}

/* One event: `fields` is the rest of the JSON object, without braces. */
__attribute__((format(printf, 3, 4))) static void ev(history_t *h, const char *event,
                                                     const char *fields, ...)
{
    h->t_ns += 1000;
    fprintf(h->out, "{\"t_ns\":%" PRId64 ",\"pid\":7,\"event\":\"%s\"", h->t_ns, event);
    va_list ap;
    va_start(ap, fields);
    if (fields[0] != '\0') {
        fputc(',', h->out);
        vfprintf(h->out, fields, ap);
    }
    va_end(ap);
    fputs("}\n", h->out);
}

/* Writes the history (and `tail`, raw) to a trace.jsonl and checks it. */
static int check_with_tail(history_t *h, const char *tail)
{
    fclose(h->out);
    char dir[64], path[96];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-cut-XXXXXX");
    snprintf(path, sizeof path, "%s/trace.jsonl", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(h->text, 1, h->len, f);
    fputs(tail, f);
    fclose(f);
    free(h->text);
    int rc = sb_cut_check_file(path, &h->r, &h->err);
    temp_dir_remove(dir);
    return rc;
}

/* Checks a history that must be checkable. */
static void check(history_t *h)
{
    int rc = check_with_tail(h, "");
    if (rc != 0)
        fprintf(stderr, "\n    sb_cut_check_file: %s\n", h->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static const sb_cut_check_t *found(const history_t *h, sb_cut_check_kind_t k)
{
    return &h->r.checks[k];
}

/* ------------------------------------------------------------ the run */

static void job_graph(history_t *h, int attempt)
{
    ev(h, "job_graph", "\"tasks\":[{\"name\":\"source-0\",\"kind\":\"source\",\"subtask\":0},"
       "{\"name\":\"map-0\",\"kind\":\"map\",\"subtask\":0},"
       "{\"name\":\"filter-0\",\"kind\":\"filter\",\"subtask\":0},"
       "{\"name\":\"sink-0\",\"kind\":\"sink\",\"subtask\":0}],"
       "\"channels\":[{\"channel\":0,\"from\":\"source-0\",\"to\":\"map-0\"},"
       "{\"channel\":1,\"from\":\"map-0\",\"to\":\"filter-0\"},"
       "{\"channel\":2,\"from\":\"filter-0\",\"to\":\"sink-0\"}],"
       "\"mode\":\"EXACTLY_ONCE\",\"unaligned\":false,\"aligned_timeout_ns\":0,\"attempt\":%d",
       attempt);
}

/* A worker incarnation's start: its graph, its restore, where the source
 * begins reading partition 0. */
static void start(history_t *h, int attempt, int64_t restored, int64_t offset)
{
    job_graph(h, attempt);
    ev(h, "restore", "\"checkpoint\":%" PRId64 ",\"next_checkpoint\":%" PRId64 ",\"attempt\":%d,"
       "\"completed\":true", restored, restored + 1, attempt);
    ev(h, "source_started", "\"task\":\"source-0\",\"offsets\":{\"0\":%" PRId64 "}", offset);
}

static void source_snapshot(history_t *h, int64_t id, int64_t offset, int64_t emitted)
{
    ev(h, "snapshot", "\"task\":\"source-0\",\"checkpoint\":%" PRId64 ",\"unaligned\":false,"
       "\"inputs\":[],\"outputs\":[[0,%" PRId64 "]],\"offsets\":{\"0\":%" PRId64 "}", id, emitted,
       offset);
}

static void operator_snapshot(history_t *h, const char *task, int64_t id, bool unaligned,
                              int input, int64_t read, int output, int64_t emitted)
{
    ev(h, "snapshot", "\"task\":\"%s\",\"checkpoint\":%" PRId64 ",\"unaligned\":%s,\"inputs\":"
       "[[%d,%" PRId64 "]],\"outputs\":[[%d,%" PRId64 "]]", task, id,
       unaligned ? "true" : "false", input, read, output, emitted);
}

static void sink_snapshot(history_t *h, int64_t id, int64_t read)
{
    ev(h, "snapshot", "\"task\":\"sink-0\",\"checkpoint\":%" PRId64 ",\"unaligned\":false,"
       "\"inputs\":[[2,%" PRId64 "]],\"outputs\":[],\"pending\":[\"part-000-%012" PRId64 "\"]",
       id, read, id);
}

static void channel_state(history_t *h, const char *task, int64_t id, int channel,
                          int64_t from, int64_t to, int64_t records)
{
    ev(h, "channel_state", "\"task\":\"%s\",\"checkpoint\":%" PRId64 ",\"ranges\":[[%d,%" PRId64
       ",%" PRId64 "]],\"records\":%" PRId64 ",\"bytes\":%" PRId64, task, id, channel, from, to,
       records, records * 20);
}

static void completed(history_t *h, int64_t id)
{
    ev(h, "checkpoint_completed", "\"checkpoint\":%" PRId64 ",\"state_bytes\":100,\"final\":false",
       id);
}

/* The supervisor's line after it killed worker attempt 0. */
static void killed(history_t *h)
{
    ev(h, "crash", "\"attempt\":0,\"injected\":true");
}

static void commit(history_t *h, int64_t id, bool published)
{
    ev(h, "sink_commit", "\"task\":\"sink-0\",\"checkpoint\":%" PRId64 ",\"key\":\"part-000-%012"
       PRId64 "\",\"published\":%s,\"completed_checkpoint\":%" PRId64, id, id,
       published ? "true" : "false", id);
}

/* A clean aligned checkpoint: the source has emitted n records since its
 * start at offset `from`, every operator has read all that was sent, the
 * filter keeps half. */
static void aligned_checkpoint(history_t *h, int64_t id, int64_t from, int64_t n)
{
    ev(h, "checkpoint_triggered", "\"checkpoint\":%" PRId64 ",\"final\":false", id);
    source_snapshot(h, id, from + n, n);
    operator_snapshot(h, "map-0", id, false, 0, n, 1, n);
    operator_snapshot(h, "filter-0", id, false, 1, n, 2, n / 2);
    sink_snapshot(h, id, n / 2);
}

/* Start, two checkpoints published, the end. */
static void clean_run(history_t *h)
{
    start(h, 0, 0, 0);
    aligned_checkpoint(h, 1, 0, 10);
    completed(h, 1);
    commit(h, 1, true);
    aligned_checkpoint(h, 2, 0, 20);
    completed(h, 2);
    commit(h, 2, true);
}

/* Where each subtask stands at the cut of checkpoint 1, the only one of a
 * single incarnation; the sink has read all the filter emitted. */
typedef struct cut_positions {
    int64_t offset_start, offset, source_out;
    int64_t map_in, map_out, filter_in, filter_out;
    bool map_unaligned;             /* then map-0 recorded (range_from, range_to] */
    int64_t range_from, range_to;
    int64_t range_records;          /* as its trace line counts them, if not 0 */
    bool unpublished;               /* the sink never commits */
} cut_positions_t;

static void single_checkpoint(history_t *h, const cut_positions_t *p)
{
    begin(h);
    start(h, 0, 0, p->offset_start);
    source_snapshot(h, 1, p->offset, p->source_out);
    operator_snapshot(h, "map-0", 1, p->map_unaligned, 0, p->map_in, 1, p->map_out);
    if (p->map_unaligned)
        channel_state(h, "map-0", 1, 0, p->range_from, p->range_to,
                      p->range_records ? p->range_records : p->range_to - p->range_from);
    operator_snapshot(h, "filter-0", 1, false, 1, p->filter_in, 2, p->filter_out);
    sink_snapshot(h, 1, p->filter_out);
    completed(h, 1);
    if (!p->unpublished)
        commit(h, 1, true);
    check(h);
}

/* Exactly `violations`, all of `kind`, the first one saying `needle`. */
static void assert_only(const history_t *h, sb_cut_check_kind_t kind, int64_t violations,
                        const char *needle)
{
    CU_ASSERT_EQUAL(found(h, kind)->violations, violations);
    CU_ASSERT_EQUAL(h->r.violations, violations);
    CU_ASSERT_EQUAL(h->r.first_kind, (int)kind);
    CU_ASSERT_FALSE(sb_cut_report_ok(&h->r));
    ASSERT_HAS(found(h, kind)->first, needle);
}

/* ------------------------------------------------------- the cut itself */

static void test_aligned_checkpoints_are_consistent_cuts(void)
{
    history_t h;
    begin(&h);
    clean_run(&h);
    ev(&h, "job_finished", "\"checkpoint\":2");
    check(&h);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(h.r.violations, 0);
    CU_ASSERT_EQUAL(h.r.first_kind, -1);
    CU_ASSERT_EQUAL(h.r.checkpoints_checked, 2);
    CU_ASSERT_EQUAL(h.r.incarnations, 1);
    CU_ASSERT_EQUAL(h.r.channels_checked, 6);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_SNAPSHOTS)->checked, 8);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_ORPHANS)->checked, 6);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_CHANNEL_STATE)->checked, 6);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_ACCOUNTING)->checked, 6); /* the sink emits nothing */
    CU_ASSERT_EQUAL(found(&h, SB_CUT_EARLY_PUBLISH)->checked, 2);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_UNPUBLISHED)->checked, 2);
    CU_ASSERT_FALSE(h.r.trace_truncated);
    char line[SB_CUT_DETAIL_BYTES_MAX];
    sb_cut_report_summary(&h.r, line, sizeof line);
    ASSERT_HAS(line, "2 completed checkpoints are consistent cuts (6 channels checked)");
}

/* Only completed checkpoints are checked: an aborted one may be partial. */
static void test_an_aborted_checkpoint_is_not_checked(void)
{
    history_t h;
    begin(&h);
    clean_run(&h);
    ev(&h, "checkpoint_triggered", "\"checkpoint\":3,\"final\":false");
    source_snapshot(&h, 3, 30, 30);
    operator_snapshot(&h, "map-0", 3, false, 0, 35, 1, 35); /* would be an orphan */
    ev(&h, "checkpoint_aborted", "\"checkpoint\":3,\"reason\":\"timeout\"");
    check(&h);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(h.r.checkpoints_checked, 2);
}

/* The worker dies after every subtask snapshotted checkpoint 3 (its
 * coordinator may have made it durable, and the next worker may restore
 * it) but before its completion reached the trace: its cut is checked
 * all the same. A cut that is not whole (a subtask never snapshotted) is
 * not judged, and a whole consistent one passes. */
static void crash_after_snapshots(history_t *h, bool whole, int64_t map_in)
{
    begin(h);
    clean_run(h);
    ev(h, "checkpoint_triggered", "\"checkpoint\":3,\"final\":false");
    source_snapshot(h, 3, 30, 30);
    operator_snapshot(h, "map-0", 3, false, 0, map_in, 1, map_in);
    operator_snapshot(h, "filter-0", 3, false, 1, map_in, 2, map_in / 2);
    if (whole)
        sink_snapshot(h, 3, map_in / 2);
    killed(h);
    check(h);
}

static void test_a_whole_cut_is_checked_at_a_crash_before_its_completion(void)
{
    history_t h;
    crash_after_snapshots(&h, true, 25); /* map-0 read 25 of 30: 26..30 in flight */
    assert_only(&h, SB_CUT_CHANNEL_STATE, 1, "chk-3, channel 0 (source-0 → map-0): records "
                "26..30 were in flight");
    crash_after_snapshots(&h, true, 30);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(h.r.checkpoints_checked, 3);
    crash_after_snapshots(&h, false, 25); /* the sink never snapshotted: not a cut */
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(h.r.checkpoints_checked, 2);
}

/* map-0 snapshots unaligned after reading 7 of the 10 records the source
 * sent before its own snapshot: records 8..10 are its channel state. */
static void test_unaligned_channel_state_is_the_records_in_flight(void)
{
    history_t h;
    single_checkpoint(&h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 7,
                                              .map_out = 7, .filter_in = 7, .filter_out = 3,
                                              .map_unaligned = true, .range_from = 7,
                                              .range_to = 10 });
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(h.r.channels_checked, 3);
}

static void test_a_record_received_before_the_cut_but_sent_after_it_is_an_orphan(void)
{
    history_t h;
    single_checkpoint(&h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 12,
                                              .map_out = 12, .filter_in = 12, .filter_out = 6 });
    assert_only(&h, SB_CUT_ORPHANS, 1, "chk-1, channel 0 (source-0 → map-0)");
    const char *d = found(&h, SB_CUT_ORPHANS)->first;
    ASSERT_HAS(d, "records 11..12 are orphans");
    ASSERT_HAS(d, "map-0 had read 12 records before its snapshot");
    ASSERT_HAS(d, "source-0 had emitted only 10 before its own");
}

static void test_an_aligned_snapshot_must_leave_nothing_in_flight(void)
{
    history_t h; /* map-0 read 7 of 10: 8..10 unrecorded */
    single_checkpoint(&h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 7,
                                              .map_out = 7, .filter_in = 7, .filter_out = 3 });
    assert_only(&h, SB_CUT_CHANNEL_STATE, 1, "chk-1, channel 0 (source-0 → map-0): records "
                "8..10 were in flight");
    const char *d = found(&h, SB_CUT_CHANNEL_STATE)->first;
    ASSERT_HAS(d, "map-0 had read 7, source-0 had emitted 10");
    ASSERT_HAS(d, "aligned snapshot recorded no channel state");
}

/* One unaligned checkpoint whose channel state on channel 0 is (from, to]
 * while (7, 10] was in flight. */
static void wrong_range(history_t *h, int64_t from, int64_t to, int64_t records)
{
    single_checkpoint(h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 7,
                                             .map_out = 7, .filter_in = 7, .filter_out = 3,
                                             .map_unaligned = true, .range_from = from,
                                             .range_to = to, .range_records = records });
}

static void test_an_unaligned_channel_state_that_misses_records_is_named(void)
{
    history_t h;
    wrong_range(&h, 8, 10, 0);
    assert_only(&h, SB_CUT_CHANNEL_STATE, 1, "chk-1, channel 0 (source-0 → map-0)");
    const char *d = found(&h, SB_CUT_CHANNEL_STATE)->first;
    ASSERT_HAS(d, "recorded records 9..10, but records 8..10 were in flight");
    ASSERT_HAS(d, "not recorded: record 8");
}

static void test_an_unaligned_channel_state_with_records_never_in_flight_is_named(void)
{
    history_t h;
    wrong_range(&h, 7, 12, 0);
    assert_only(&h, SB_CUT_CHANNEL_STATE, 1, "recorded records 8..12");
    const char *d = found(&h, SB_CUT_CHANNEL_STATE)->first;
    ASSERT_HAS(d, "recorded though not in flight: records 11..12");
    CU_ASSERT_PTR_NULL(strstr(d, "not recorded:"));
}

static void test_a_channel_state_count_must_match_its_ranges(void)
{
    history_t h;
    wrong_range(&h, 7, 10, 5);
    assert_only(&h, SB_CUT_CHANNEL_STATE, 1, "map-0: its channel state counts 5 "
               "records, but its ranges span 3");
}

static void test_every_subtask_has_one_snapshot_of_a_completed_checkpoint(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    source_snapshot(&h, 1, 10, 10);
    operator_snapshot(&h, "map-0", 1, false, 0, 10, 1, 10);
    operator_snapshot(&h, "filter-0", 1, false, 1, 10, 2, 5);
    completed(&h, 1); /* sink-0 never snapshotted */
    check(&h);
    assert_only(&h, SB_CUT_SNAPSHOTS, 1, "chk-1 completed, but there is no snapshot "
               "of it from sink-0");
}

/* ---------------------------------------------------------- accounting */

static void test_a_source_accounts_for_every_record_it_emitted(void)
{
    history_t h; /* 11 offsets, 10 records */
    single_checkpoint(&h, &(cut_positions_t){ .offset_start = 100, .offset = 111,
                                              .source_out = 10, .map_in = 10, .map_out = 10,
                                              .filter_in = 10, .filter_out = 5 });
    assert_only(&h, SB_CUT_ACCOUNTING, 1, "chk-1, source-0: its offsets advanced 11 "
               "records past where it started, but it emitted 10 before its snapshot");
}

static void test_a_map_emits_one_record_per_record_read(void)
{
    history_t h;
    single_checkpoint(&h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 10,
                                              .map_out = 9, .filter_in = 9, .filter_out = 5 });
    assert_only(&h, SB_CUT_ACCOUNTING, 1, "chk-1, map-0: read 10 and replayed 0 "
               "records, but emitted 9 before its snapshot");
}

static void test_a_filter_emits_at_most_one_record_per_record_read(void)
{
    history_t h;
    single_checkpoint(&h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 10,
                                              .map_out = 10, .filter_in = 10, .filter_out = 11 });
    assert_only(&h, SB_CUT_ACCOUNTING, 1, "filter-0: read 10 and replayed 0 records, "
               "but emitted 11");
}

/* A fan-out: source-0 →(0) map-0, which feeds filter-0 (1) and audit-0
 * (2); filter-0 feeds sink-0 (3) and keep-0 (4). Each consuming stage
 * gets every record, so map-0 emits n on both of its channels and
 * filter-0 the same count on both of its: each stage is accounted for on
 * its own. The receivers read all that was sent (aligned cuts). */
typedef struct fan_out_positions {
    int64_t n, to_filter, to_audit, to_sink, to_keep;
} fan_out_positions_t;

static void fan_out_checkpoint(history_t *h, const fan_out_positions_t *p)
{
    begin(h);
    ev(h, "job_graph", "\"tasks\":[{\"name\":\"source-0\",\"kind\":\"source\",\"subtask\":0},"
       "{\"name\":\"map-0\",\"kind\":\"map\",\"subtask\":0},"
       "{\"name\":\"filter-0\",\"kind\":\"filter\",\"subtask\":0},"
       "{\"name\":\"audit-0\",\"kind\":\"sink\",\"subtask\":0},"
       "{\"name\":\"sink-0\",\"kind\":\"sink\",\"subtask\":0},"
       "{\"name\":\"keep-0\",\"kind\":\"sink\",\"subtask\":0}],"
       "\"channels\":[{\"channel\":0,\"from\":\"source-0\",\"to\":\"map-0\"},"
       "{\"channel\":1,\"from\":\"map-0\",\"to\":\"filter-0\"},"
       "{\"channel\":2,\"from\":\"map-0\",\"to\":\"audit-0\"},"
       "{\"channel\":3,\"from\":\"filter-0\",\"to\":\"sink-0\"},"
       "{\"channel\":4,\"from\":\"filter-0\",\"to\":\"keep-0\"}],"
       "\"mode\":\"EXACTLY_ONCE\",\"unaligned\":false,\"aligned_timeout_ns\":0,\"attempt\":0");
    ev(h, "restore", "\"checkpoint\":0,\"next_checkpoint\":1,\"attempt\":0,\"completed\":true");
    ev(h, "source_started", "\"task\":\"source-0\",\"offsets\":{\"0\":0}");
    source_snapshot(h, 1, p->n, p->n);
    ev(h, "snapshot", "\"task\":\"map-0\",\"checkpoint\":1,\"unaligned\":false,\"inputs\":"
       "[[0,%" PRId64 "]],\"outputs\":[[1,%" PRId64 "],[2,%" PRId64 "]]", p->n, p->to_filter,
       p->to_audit);
    ev(h, "snapshot", "\"task\":\"filter-0\",\"checkpoint\":1,\"unaligned\":false,\"inputs\":"
       "[[1,%" PRId64 "]],\"outputs\":[[3,%" PRId64 "],[4,%" PRId64 "]]", p->to_filter,
       p->to_sink, p->to_keep);
    const struct { const char *task; int channel; int64_t read; } sinks[] = {
        { "audit-0", 2, p->to_audit }, { "sink-0", 3, p->to_sink }, { "keep-0", 4, p->to_keep },
    };
    for (int k = 0; k < 3; k++)
        ev(h, "snapshot", "\"task\":\"%s\",\"checkpoint\":1,\"unaligned\":false,\"inputs\":"
           "[[%d,%" PRId64 "]],\"outputs\":[],\"pending\":[]", sinks[k].task, sinks[k].channel,
           sinks[k].read);
    completed(h, 1);
    ev(h, "job_finished", "\"checkpoint\":1");
    check(h);
}

static void test_a_fanned_out_stream_is_accounted_for_per_consuming_stage(void)
{
    history_t h;
    fan_out_checkpoint(&h, &(fan_out_positions_t){ .n = 10, .to_filter = 10, .to_audit = 10,
                                                    .to_sink = 5, .to_keep = 5 });
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(found(&h, SB_CUT_ACCOUNTING)->checked, 3);
    /* a branch short of a record */
    fan_out_checkpoint(&h, &(fan_out_positions_t){ .n = 10, .to_filter = 10, .to_audit = 9,
                                                    .to_sink = 5, .to_keep = 5 });
    assert_only(&h, SB_CUT_ACCOUNTING, 1, "chk-1, map-0: read 10 and replayed 0 records, but "
               "emitted 9 to audit before its snapshot (a map emits one record per record)");
    /* one more on one branch hides one fewer on the other in a sum */
    fan_out_checkpoint(&h, &(fan_out_positions_t){ .n = 10, .to_filter = 11, .to_audit = 9,
                                                    .to_sink = 5, .to_keep = 5 });
    CU_ASSERT_EQUAL(found(&h, SB_CUT_ACCOUNTING)->violations, 2);
}

static void test_a_fanned_out_filter_sends_every_stage_the_same_records(void)
{
    history_t h;
    fan_out_checkpoint(&h, &(fan_out_positions_t){ .n = 10, .to_filter = 10, .to_audit = 10,
                                                    .to_sink = 5, .to_keep = 4 });
    assert_only(&h, SB_CUT_ACCOUNTING, 1, "chk-1, filter-0: emitted 4 records to keep but 5 "
               "to sink before its snapshot (each consuming stage gets every record)");
}

/* ------------------------------------------------------------- replay */

/* Attempt 0: chk-1 is unaligned, map-0's channel state holds 3 records
 * (8..10); the worker is killed. Attempt 1 restores chk-1: the source
 * resumes at offset 10, map-0 replays what its trace line says (`replayed`
 * records, or no line when negative). When `snapshot_after`, it completes
 * chk-2 with map-0's output counting the replayed records. */
static void restore_with_replay(history_t *h, int64_t replayed, bool snapshot_after)
{
    begin(h);
    start(h, 0, 0, 0);
    source_snapshot(h, 1, 10, 10);
    operator_snapshot(h, "map-0", 1, true, 0, 7, 1, 7);
    channel_state(h, "map-0", 1, 0, 7, 10, 3);
    operator_snapshot(h, "filter-0", 1, false, 1, 7, 2, 3);
    sink_snapshot(h, 1, 3);
    completed(h, 1);
    commit(h, 1, true);
    killed(h);
    start(h, 1, 1, 10);
    if (replayed >= 0)
        ev(h, "channel_state_restored", "\"task\":\"map-0\",\"checkpoint\":1,\"records\":%"
           PRId64 ",\"bytes\":60", replayed);
    if (snapshot_after) {
        int64_t out = 5 + (replayed > 0 ? replayed : 0);
        source_snapshot(h, 2, 15, 5);
        operator_snapshot(h, "map-0", 2, false, 0, 5, 1, out);
        operator_snapshot(h, "filter-0", 2, false, 1, out, 2, 2);
        sink_snapshot(h, 2, 2);
        completed(h, 2);
        commit(h, 2, true);
        ev(h, "job_finished", "\"checkpoint\":2");
    }
    check(h);
}

static void test_a_restore_replays_the_channel_state_it_recorded(void)
{
    history_t h;
    restore_with_replay(&h, 3, true);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(found(&h, SB_CUT_REPLAY)->checked, 1);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_RESTORES)->checked, 1);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_ACCOUNTING)->checked, 6); /* map-0: 5 read + 3 replayed */
    CU_ASSERT_EQUAL(h.r.incarnations, 2);
}

static void test_a_restore_that_drops_the_channel_state_is_caught(void)
{
    history_t h;
    restore_with_replay(&h, -1, true);
    /* map-0 replayed nothing, so its output of 5 is its 5 reads: no
     * accounting violation, only the missing replay. */
    assert_only(&h, SB_CUT_REPLAY, 1, "after the restore from chk-1 (worker attempt "
               "1), map-0 never replayed the 3 in-flight records of its channel state of chk-1");
}

static void test_a_restore_that_replays_another_count_is_caught(void)
{
    history_t h;
    restore_with_replay(&h, 2, true);
    assert_only(&h, SB_CUT_REPLAY, 1, "map-0 replayed 2 records, but its channel "
               "state of chk-1 held 3");
}

/* Killed again before map-0 had to replay: the trace cannot tell. */
static void test_a_replay_cut_short_by_a_crash_is_not_judged(void)
{
    history_t h;
    restore_with_replay(&h, -1, false);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(found(&h, SB_CUT_REPLAY)->checked, 0);
    CU_ASSERT_EQUAL(h.r.replays_unchecked, 1);
}

/* ------------------------------------------------------------ restores */

static void test_restoring_a_checkpoint_that_never_completed_is_caught(void)
{
    history_t h;
    begin(&h);
    clean_run(&h);
    aligned_checkpoint(&h, 3, 0, 30); /* every snapshot, but no completion */
    killed(&h);
    job_graph(&h, 1);
    ev(&h, "restore", "\"checkpoint\":3,\"next_checkpoint\":4,\"attempt\":1,\"completed\":false");
    check(&h);
    assert_only(&h, SB_CUT_RESTORES, 1, "attempt 1 restored from chk-3, which never "
               "completed");
}

/* ------------------------------------------------------ two-phase commit */

static void test_publishing_before_the_checkpoint_completes_is_caught(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    aligned_checkpoint(&h, 1, 0, 10);
    commit(&h, 1, true);
    completed(&h, 1);
    check(&h);
    assert_only(&h, SB_CUT_EARLY_PUBLISH, 1, "part-000-000000000001 was published for "
               "chk-1 before any checkpoint >= 1 completed");
}

static void test_publishing_the_same_object_twice_is_caught(void)
{
    history_t h;
    begin(&h);
    clean_run(&h);
    killed(&h);
    start(&h, 1, 2, 20);
    commit(&h, 2, false); /* already there: fine */
    commit(&h, 2, true);  /* written again: not */
    check(&h);
    assert_only(&h, SB_CUT_DOUBLE_PUBLISH, 1, "part-000-000000000002 was published "
               "twice");
}

/* Checkpoint 1 completes, the worker is killed before the sink commits
 * it, attempt 1 restores it and commits it again or (when `forgets`)
 * forgets the pending upload. */
static void restored_before_commit(history_t *h, bool forgets)
{
    begin(h);
    start(h, 0, 0, 0);
    aligned_checkpoint(h, 1, 0, 10);
    completed(h, 1);
    killed(h);
    start(h, 1, 1, 10);
    if (!forgets)
        commit(h, 1, false); /* the first publication's line was lost */
    check(h);
}

static void test_staged_output_that_is_never_published_is_caught(void)
{
    history_t h;
    restored_before_commit(&h, true);
    assert_only(&h, SB_CUT_UNPUBLISHED, 1, "staged output of chk-1 (pending in sink-0's "
                "snapshot), part-000-000000000001, was never published");
}

static void test_staged_output_committed_after_a_restore_counts(void)
{
    history_t h;
    restored_before_commit(&h, false);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(found(&h, SB_CUT_UNPUBLISHED)->checked, 1);
}

/* ------------------------------------------------------- reading traces */

static void test_a_last_line_cut_by_a_crash_is_tolerated(void)
{
    history_t h;
    begin(&h);
    clean_run(&h);
    CU_ASSERT_EQUAL_FATAL(check_with_tail(&h, "{\"t_ns\":9,\"pid\":7,\"event\":\"snaps"), 0);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_TRUE(h.r.trace_truncated);
    CU_ASSERT_EQUAL(h.r.checkpoints_checked, 2);
}

static void test_a_trace_without_a_job_graph_cannot_be_checked(void)
{
    history_t h;
    begin(&h);
    ev(&h, "restore", "\"checkpoint\":0,\"next_checkpoint\":1,\"attempt\":0");
    source_snapshot(&h, 1, 10, 10);
    completed(&h, 1);
    CU_ASSERT_EQUAL(check_with_tail(&h, ""), -1);
    ASSERT_HAS(h.err.msg, "no job_graph event");
    ASSERT_HAS(h.err.msg, "older snapbed");
}

static void test_an_empty_trace_cannot_be_checked(void)
{
    history_t h;
    begin(&h);
    CU_ASSERT_EQUAL(check_with_tail(&h, ""), -1);
    ASSERT_HAS(h.err.msg, "no job_graph event");
}

static void test_a_missing_trace_is_an_error(void)
{
    sb_cut_report_t r;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_cut_check_file("/nonexistent/trace.jsonl", &r, &err), -1);
    ASSERT_HAS(err.msg, "/nonexistent/trace.jsonl");
}

static void test_a_task_the_job_graph_does_not_list_is_an_error(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    operator_snapshot(&h, "map-7", 1, false, 0, 1, 1, 1);
    CU_ASSERT_EQUAL(check_with_tail(&h, ""), -1);
    ASSERT_HAS(h.err.msg, "map-7");
}

/* Found as a user would: `snapbed check` on these two lines aborted on an
 * assert (exit 134). A checkpoint event without a number is bad input. */
static void test_a_checkpoint_event_without_a_number_is_an_error_not_an_abort(void)
{
    history_t h;
    begin(&h);
    CU_ASSERT_EQUAL(check_with_tail(&h, "{\"event\":\"job_graph\"}\n"
                                        "{\"event\":\"checkpoint_triggered\"}\n"), -1);
    ASSERT_HAS(h.err.msg, "event 2 has no checkpoint number");
}

static void test_a_checkpoint_number_of_zero_or_less_is_an_error(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    ev(&h, "checkpoint_completed", "\"checkpoint\":-3");
    CU_ASSERT_EQUAL(check_with_tail(&h, ""), -1);
    ASSERT_HAS(h.err.msg, "no checkpoint number");
}

/* A snapshot line written twice is named as a repeated line, not as a
 * subtask that took two snapshots. */
static void test_an_event_line_written_twice_is_named_as_such(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    operator_snapshot(&h, "map-0", 1, false, 0, 1, 1, 1);
    char again[512]; /* the same line: its writer's t_ns and pid too */
    snprintf(again, sizeof again, "{\"t_ns\":%" PRId64 ",\"pid\":7,\"event\":\"snapshot\",",
             h.t_ns);
    fflush(h.out);
    const char *last = strstr(h.text, again);
    CU_ASSERT_PTR_NOT_NULL_FATAL(last);
    snprintf(again, sizeof again, "%s", last);
    CU_ASSERT_EQUAL(check_with_tail(&h, again), -1);
    ASSERT_HAS(h.err.msg, "line 5 repeats line 4");
    ASSERT_HAS(h.err.msg, "written twice");
    CU_ASSERT(strstr(h.err.msg, "snapshots") == NULL);
}

/* ---------------------------------------------------------------- FIFO */

/* A record trace line: `side` "send" or "recv", by `task` on `channel`,
 * the batch's first position and its ids, "0:3 0:4" (space-separated). */
static void batch(history_t *h, const char *side, const char *task, int channel, int64_t first,
                  const char *ids)
{
    char quoted[512] = "", *p = quoted;
    const char *id = ids;
    while (*id != '\0') {
        size_t n = strcspn(id, " ");
        p += snprintf(p, sizeof quoted - (size_t)(p - quoted), "%s\"%.*s\"",
                      p == quoted ? "" : ",", (int)n, id);
        id += n + (id[n] == ' ');
    }
    ev(h, side, "\"task\":\"%s\",\"channel\":%d,\"first\":%" PRId64 ",\"ids\":[%s]", task,
       channel, first, quoted);
}

/* Lines on channel 0 (source-0 → map-0): "send 1 0:0 0:1" is source-0's
 * batch whose first record, at position 1, is 0:0; "recv 3 0:2" map-0's. */
static void channel0_lines(history_t *h, const char *const *lines)
{
    for (; *lines != NULL; lines++) {
        bool send = strncmp(*lines, "send ", 5) == 0;
        char *ids;
        int64_t first = strtoll(*lines + 5, &ids, 10);
        batch(h, send ? "send" : "recv", send ? "source-0" : "map-0", 0, first, ids + 1);
    }
}

/* Worker attempt 0 with these lines on channel 0, then the job finishes. */
static void channel0_run(history_t *h, const char *const *lines)
{
    begin(h);
    start(h, 0, 0, 0);
    channel0_lines(h, lines);
    ev(h, "job_finished", "\"checkpoint\":0");
    check(h);
}

/* The full report, to free. */
static char *report_text(const sb_cut_report_t *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    sb_cut_report_print(r, f);
    fclose(f);
    return text;
}

/* The two sides buffer their lines apart: either may lead in the file, and
 * batches need not match. The checker holds only the leading side's ids. */
static void test_fifo_holds_when_every_record_arrives_in_the_order_sent(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    channel0_lines(&h, (const char *[]){ "send 1 0:0 0:1 0:2", "recv 1 0:0 0:1",
                                         "recv 3 0:2 0:3 0:4", /* before their send line */
                                         "send 4 0:3 0:4", NULL });
    batch(&h, "send", "map-0", 1, 1, "0:0 0:1 0:2 0:3 0:4");
    batch(&h, "recv", "filter-0", 1, 1, "0:0 0:1 0:2 0:3 0:4");
    batch(&h, "send", "filter-0", 2, 1, "0:1 0:3");
    batch(&h, "recv", "sink-0", 2, 1, "0:1 0:3");
    ev(&h, "job_finished", "\"checkpoint\":0");
    check(&h);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_TRUE(h.r.fifo_traced);
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 12);
    CU_ASSERT_EQUAL(h.r.fifo_held_max, 5);
    CU_ASSERT_EQUAL(h.r.fifo_unmatched, 0);
    char line[SB_CUT_DETAIL_BYTES_MAX];
    sb_cut_report_summary(&h.r, line, sizeof line);
    ASSERT_HAS(line, "; FIFO held for 12 records");
}

/* Memory: a long run holds one side's lead, not its history. */
static void test_fifo_keeps_only_the_records_not_yet_matched(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    for (int64_t i = 0; i < 1000; i++) {
        char ids[32];
        snprintf(ids, sizeof ids, "0:%" PRId64 " 0:%" PRId64, 2 * i, 2 * i + 1);
        batch(&h, "send", "source-0", 0, 2 * i + 1, ids);
        batch(&h, "recv", "map-0", 0, 2 * i + 1, ids);
    }
    ev(&h, "job_finished", "\"checkpoint\":0");
    check(&h);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 2000);
    CU_ASSERT_EQUAL(h.r.fifo_held_max, 2);
}

static void test_fifo_names_records_received_in_another_order(void)
{
    history_t h;
    channel0_run(&h, (const char *[]){ "send 1 0:0 0:1 0:2 0:3", "recv 1 0:0 0:2 0:1 0:3",
                                       NULL });
    assert_only(&h, SB_CUT_FIFO, 2, "worker attempt 0, channel 0 (source-0 → map-0), "
                "position 2: expected 0:1 (as sent), received 0:2");
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 4);
}

static void test_fifo_names_a_gap_in_the_receives(void)
{
    history_t h;
    channel0_run(&h, (const char *[]){ "send 1 0:0 0:1 0:2 0:3 0:4", "recv 1 0:0 0:1",
                                       "recv 4 0:3 0:4", NULL });
    assert_only(&h, SB_CUT_FIFO, 1, "worker attempt 0, channel 0 (source-0 → map-0): map-0 "
                "never received record 3 (its receives jump from position 2 to 4)");
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 4); /* the rest still match */
}

static void test_fifo_names_a_gap_in_the_sends(void)
{
    history_t h;
    channel0_run(&h, (const char *[]){ "recv 1 0:0 0:1 0:2 0:3 0:4", "send 1 0:0",
                                       "send 4 0:3 0:4", NULL });
    assert_only(&h, SB_CUT_FIFO, 1, "channel 0 (source-0 → map-0): source-0 never sent "
                "records 2..3 (its sends jump from position 1 to 4)");
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 3);
}

static void test_fifo_names_a_record_received_twice(void)
{
    history_t h;
    channel0_run(&h, (const char *[]){ "send 1 0:0 0:1 0:2", "recv 1 0:0 0:1",
                                       "recv 2 0:1 0:2", NULL }); /* position 2 again */
    assert_only(&h, SB_CUT_FIFO, 1, "channel 0 (source-0 → map-0): map-0 received record 2 "
                "again (its receives had reached position 2)");
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 3);
}

/* A SIGKILL loses what the sender still buffered: its receiver's lines may
 * name records whose send lines never reached the file. Positions restart
 * with the next incarnation. */
static void test_a_receive_whose_send_line_a_kill_lost_is_tolerated(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    channel0_lines(&h, (const char *[]){ "send 1 0:0 0:1", "recv 1 0:0 0:1 0:2 0:3", NULL });
    killed(&h);
    start(&h, 1, 0, 0);
    channel0_lines(&h, (const char *[]){ "send 1 0:0 0:1", "recv 1 0:0 0:1", NULL });
    ev(&h, "job_finished", "\"checkpoint\":0");
    check(&h);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_EQUAL(found(&h, SB_CUT_FIFO)->checked, 4);
    CU_ASSERT_EQUAL(h.r.fifo_unmatched, 2);
    char *text = report_text(&h.r);
    ASSERT_HAS(text, "2 received records not checked: their send lines were lost when the "
               "worker was killed");
    free(text);
}

/* A finished worker wrote every line: nothing may be received unsent. */
static void test_a_receive_without_its_send_in_a_finished_run_is_a_violation(void)
{
    history_t h;
    channel0_run(&h, (const char *[]){ "send 1 0:0 0:1", "recv 1 0:0 0:1 0:2 0:3", NULL });
    assert_only(&h, SB_CUT_FIFO, 1, "worker attempt 0, channel 0 (source-0 → map-0): map-0 "
                "received records 3..4, but source-0's send lines stop at position 2 and the "
                "job finished (position 3: received 0:2, never sent)");
    CU_ASSERT_EQUAL(h.r.fifo_unmatched, 0);
}

static void test_without_a_record_trace_fifo_is_not_checked(void)
{
    history_t h;
    begin(&h);
    clean_run(&h);
    ev(&h, "job_finished", "\"checkpoint\":2");
    check(&h);
    CU_ASSERT_TRUE(sb_cut_report_ok(&h.r));
    CU_ASSERT_FALSE(h.r.fifo_traced);
    char *text = report_text(&h.r);
    ASSERT_HAS(text, "  FIFO            not checked (no record trace)\n");
    free(text);
    char line[SB_CUT_DETAIL_BYTES_MAX];
    sb_cut_report_summary(&h.r, line, sizeof line);
    CU_ASSERT_PTR_NULL(strstr(line, "FIFO"));
}

static void test_a_batch_by_a_task_that_is_not_the_channels_sender_is_an_error(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    batch(&h, "send", "map-0", 0, 1, "0:0");
    CU_ASSERT_EQUAL(check_with_tail(&h, ""), -1);
    ASSERT_HAS(h.err.msg, "(send) by map-0 on channel 0, whose sender is source-0");
}

static void test_a_record_id_that_is_not_partition_offset_is_an_error(void)
{
    history_t h;
    begin(&h);
    start(&h, 0, 0, 0);
    channel0_lines(&h, (const char *[]){ "send 1 0:0 zero", NULL });
    CU_ASSERT_EQUAL(check_with_tail(&h, ""), -1);
    ASSERT_HAS(h.err.msg, "(send): id 1 is not \"partition:offset\"");
}

/* ---------------------------------------------------------------- report */

static void test_the_report_names_the_first_violation_of_each_check(void)
{
    history_t h; /* orphans on channel 0, 11..12 unrecorded on 1, nothing published */
    single_checkpoint(&h, &(cut_positions_t){ .offset = 10, .source_out = 10, .map_in = 12,
                                              .map_out = 12, .filter_in = 10, .filter_out = 5,
                                              .unpublished = true });
    CU_ASSERT_EQUAL(h.r.violations, 3); /* + the unpublished output */
    CU_ASSERT_EQUAL(h.r.first_kind, SB_CUT_ORPHANS);
    char *text = report_text(&h.r);
    ASSERT_HAS(text, "orphans         VIOLATED      1 of 3; first: chk-1, channel 0");
    ASSERT_HAS(text, "channel state   VIOLATED      1 of 3; first: chk-1, channel 1 "
               "(map-0 → filter-0): records 11..12 were in flight");
    ASSERT_HAS(text, "unpublished     VIOLATED");
    ASSERT_HAS(text, "RESULT: VIOLATED — 3 violations");
    free(text);
    char line[SB_CUT_DETAIL_BYTES_MAX];
    sb_cut_report_summary(&h.r, line, sizeof line);
    ASSERT_HAS(line, "3 violations; first (orphans): chk-1, channel 0 (source-0 → map-0)");
}

void test_cut_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_aligned_checkpoints_are_consistent_cuts),
        T(test_an_aborted_checkpoint_is_not_checked),
        T(test_a_whole_cut_is_checked_at_a_crash_before_its_completion),
        T(test_unaligned_channel_state_is_the_records_in_flight),
        T(test_a_record_received_before_the_cut_but_sent_after_it_is_an_orphan),
        T(test_an_aligned_snapshot_must_leave_nothing_in_flight),
        T(test_an_unaligned_channel_state_that_misses_records_is_named),
        T(test_an_unaligned_channel_state_with_records_never_in_flight_is_named),
        T(test_a_channel_state_count_must_match_its_ranges),
        T(test_every_subtask_has_one_snapshot_of_a_completed_checkpoint),
        T(test_a_source_accounts_for_every_record_it_emitted),
        T(test_a_map_emits_one_record_per_record_read),
        T(test_a_filter_emits_at_most_one_record_per_record_read),
        T(test_a_fanned_out_stream_is_accounted_for_per_consuming_stage),
        T(test_a_fanned_out_filter_sends_every_stage_the_same_records),
        T(test_a_restore_replays_the_channel_state_it_recorded),
        T(test_a_restore_that_drops_the_channel_state_is_caught),
        T(test_a_restore_that_replays_another_count_is_caught),
        T(test_a_replay_cut_short_by_a_crash_is_not_judged),
        T(test_fifo_holds_when_every_record_arrives_in_the_order_sent),
        T(test_fifo_keeps_only_the_records_not_yet_matched),
        T(test_fifo_names_records_received_in_another_order),
        T(test_fifo_names_a_gap_in_the_receives),
        T(test_fifo_names_a_gap_in_the_sends),
        T(test_fifo_names_a_record_received_twice),
        T(test_a_receive_whose_send_line_a_kill_lost_is_tolerated),
        T(test_a_receive_without_its_send_in_a_finished_run_is_a_violation),
        T(test_without_a_record_trace_fifo_is_not_checked),
        T(test_a_batch_by_a_task_that_is_not_the_channels_sender_is_an_error),
        T(test_a_record_id_that_is_not_partition_offset_is_an_error),
        T(test_restoring_a_checkpoint_that_never_completed_is_caught),
        T(test_publishing_before_the_checkpoint_completes_is_caught),
        T(test_publishing_the_same_object_twice_is_caught),
        T(test_staged_output_that_is_never_published_is_caught),
        T(test_staged_output_committed_after_a_restore_counts),
        T(test_a_last_line_cut_by_a_crash_is_tolerated),
        T(test_a_trace_without_a_job_graph_cannot_be_checked),
        T(test_an_empty_trace_cannot_be_checked),
        T(test_a_missing_trace_is_an_error),
        T(test_a_task_the_job_graph_does_not_list_is_an_error),
        T(test_a_checkpoint_event_without_a_number_is_an_error_not_an_abort),
        T(test_a_checkpoint_number_of_zero_or_less_is_an_error),
        T(test_an_event_line_written_twice_is_named_as_such),
        T(test_the_report_names_the_first_violation_of_each_check),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("cut", cases);
}
