/* test_sim_run.c — whole simulated runs, as a specification: the same
 * seed gives the same trace byte for byte and another seed another trace;
 * correct protocols (aligned, unaligned, aligned with timeout) pass
 * exactly-once and every cut check through crashes and backpressure; the
 * mutants and the at-least-once control are caught; a job that cannot
 * finish is reported, not waited for. Scenarios are teaching-size, so the
 * suite stays fast under the sanitizers. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "explore.h"
#include "shrink.h"
#include "sim.h"
#include "sim_fixture.h"
#include "simscenario.h"

typedef struct run {
    sb_simscenario_t s;
    sb_sim_t *sim;
    sb_sim_verdict_t v;
    sb_pipeline_stats_t st;
} run_t;

static run_t *run(const char *yaml, uint64_t seed)
{
    run_t *r = calloc(1, sizeof *r);
    sim_fixture_run(yaml, seed, &r->s, &r->sim, &r->v);
    sb_sim_stats(r->sim, &r->st);
    return r;
}

static void run_free(run_t *r)
{
    sb_sim_free(r->sim);
    free(r);
}

/* Shows why a run that should pass did not. */
static void expect_ok(const run_t *r)
{
    if (!r->v.ok) {
        char line[1024] = "";
        if (r->v.cuts_checked)
            sb_cut_report_summary(&r->v.cuts, line, sizeof line);
        fprintf(stderr, "\n    finished %d (%s), eo lost %lld dup %lld, cuts: %s %s\n",
                r->v.finished, r->v.run_error, (long long)r->v.eo.lost,
                (long long)r->v.eo.duplicated, line, r->v.cuts_error);
    }
    CU_ASSERT(r->v.finished);
    CU_ASSERT(r->v.eo_ok);
    CU_ASSERT(r->v.cuts_checked);
    CU_ASSERT(r->v.cuts_ok);
    CU_ASSERT(r->v.ok);
}

/* The simulator's teaching-size settings, stated: a key not given takes
 * the same default in sim as in a real run (Flink's), too slow for a run
 * of a few milliseconds. */
#define TEACHING                                                               \
    "execution.checkpointing.timeout: 1s\n"                                    \
    "execution.checkpointing.tolerable-failed-checkpoints: 10\n"               \
    "restart-strategy.fixed-delay.delay: 1ms\n"                                \
    "trace: records\n"

/* The checkpointing protocols, in the Flink keys. */
#define ALIGNED ""
#define UNALIGNED "execution.checkpointing.unaligned: true\n"
#define TIMEOUT(d) UNALIGNED "execution.checkpointing.aligned-checkpoint-timeout: " d "\n"
#define AT_LEAST_ONCE "execution.checkpointing.mode: AT_LEAST_ONCE\n"

/* The keys the test jobs share: 300 records per source subtask (two of
 * them), small channels. `top` adds top-level keys (the protocol, a
 * mutant), `sim` keys of the sim: section. */
#define SMALL_JOB(name, top, sim)                                              \
    "name: " name "\n" top TEACHING                                            \
    "input: { records: 600 }\n"                                                \
    "execution.checkpointing.interval: 3ms\n"                                  \
    "sim:\n"                                                                   \
    "  source_interval: 100us\n"                                               \
    "  channel: { delay: uniform, min: 50us, max: 500us, capacity: 16 }\n" sim \
    "pipeline:\n"                                                              \
    "  stages:\n"

#define TWO_CRASHES                                                            \
    "faults:\n"                                                                \
    "  - { do: crash, at: 9ms }\n"                                             \
    "  - { do: crash, at: 21ms }\n"

#define DIAMOND_SIM(top, sim)                                                  \
    SMALL_JOB("diamond", top, sim)                                             \
    "    - { name: source, parallelism: 2 }\n"                                 \
    "    - { name: map, parallelism: 2, input: rebalance }\n"                  \
    "    - { name: filter, parallelism: 3, input: hash, keep_every: 2 }\n"     \
    "    - { name: sink, parallelism: 2, input: rebalance, process_time: 150us }\n" \
    TWO_CRASHES
#define DIAMOND(top) DIAMOND_SIM(top, "")

/* ------------------------------------------------------------ determinism */

static void test_same_seed_gives_a_byte_identical_trace(void)
{
    run_t *a = run(DIAMOND(UNALIGNED), 7), *b = run(DIAMOND(UNALIGNED), 7);
    const sb_tracebuf_t *ta = sb_sim_trace(a->sim), *tb = sb_sim_trace(b->sim);
    CU_ASSERT(ta->len > 10000);
    CU_ASSERT_EQUAL(ta->len, tb->len);
    CU_ASSERT(ta->len == tb->len && memcmp(ta->data, tb->data, ta->len) == 0);
    CU_ASSERT_EQUAL(sb_sim_events(a->sim), sb_sim_events(b->sim));
    run_free(a);
    run_free(b);
}

static void test_another_seed_gives_another_trace(void)
{
    run_t *a = run(DIAMOND(UNALIGNED), 7), *b = run(DIAMOND(UNALIGNED), 8);
    const sb_tracebuf_t *ta = sb_sim_trace(a->sim), *tb = sb_sim_trace(b->sim);
    CU_ASSERT(ta->len != tb->len || memcmp(ta->data, tb->data, ta->len) != 0);
    run_free(a);
    run_free(b);
}

/* ------------------------------------------------------------ correct runs */

static void test_aligned_run_with_crashes_is_exactly_once_and_consistent(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        run_t *r = run(DIAMOND(ALIGNED), seed);
        expect_ok(r);
        CU_ASSERT_EQUAL(r->st.crashes, 2);
        CU_ASSERT_EQUAL(r->st.incarnations, 3);
        CU_ASSERT(r->st.restores >= 1);
        CU_ASSERT_EQUAL(r->st.channel_state_records, 0); /* aligned: none */
        CU_ASSERT_EQUAL(r->v.eo.expected, 300); /* 600 in, every 2nd kept */
        CU_ASSERT(r->v.cuts.checkpoints_checked >= 3);
        run_free(r);
    }
}

static void test_unaligned_run_records_and_replays_channel_state(void)
{
    int64_t replayed = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        run_t *r = run(DIAMOND(UNALIGNED), seed);
        expect_ok(r);
        CU_ASSERT(r->st.channel_state_records > 0); /* the slow sinks back up */
        replayed += r->st.replayed_records;
        CU_ASSERT(r->v.cuts.checks[SB_CUT_CHANNEL_STATE].checked > 0);
        run_free(r);
    }
    CU_ASSERT(replayed > 0);
}

static void test_aligned_with_timeout_switches_and_stays_correct(void)
{
    run_t *r = run(DIAMOND(TIMEOUT("300us")), 3);
    expect_ok(r);
    const sb_tracebuf_t *t = sb_sim_trace(r->sim);
    CU_ASSERT_PTR_NOT_NULL(strstr(t->data, "\"event\":\"alignment_timeout\""));
    run_free(r);
}

static void test_fan_in_of_four_sources_aligns_at_the_sink(void)
{
    run_t *r = run("name: fan\n" TEACHING "input: { records: 800 }\n"
                   "execution.checkpointing.interval: 2ms\n"
                   "sim:\n  channel: { delay: exponential, min: 20us, mean: 150us, capacity: 8 }\n"
                   "pipeline:\n  stages:\n    - { name: source, parallelism: 4 }\n"
                   "    - { name: sink, parallelism: 1 }\n"
                   "faults:\n  - { do: crash, at: 11ms }\n", 5);
    expect_ok(r);
    CU_ASSERT_EQUAL(r->v.eo.expected, 800);
    CU_ASSERT_PTR_NOT_NULL(strstr(sb_sim_trace(r->sim)->data, "\"event\":\"alignment_started\""));
    run_free(r);
}

static void test_trace_has_what_the_checkers_and_pictures_read(void)
{
    run_t *r = run(DIAMOND(UNALIGNED), 2);
    const char *d = sb_sim_trace(r->sim)->data;
    static const char *events[] = {
        "run_started", "worker_started", "job_graph", "restore", "source_started",
        "checkpoint_triggered", "barrier_sent", "barrier_received", "barrier_reached",
        "snapshot", "channel_state", "ack", "checkpoint_completed", "sink_stage",
        "sink_commit", "crash", "channel_state_restored", "source_finished", "sample",
        "send", "recv", "job_finished", "run_finished",
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"event\":\"%s\"", events[i]);
        if (strstr(d, needle) == NULL)
            fprintf(stderr, "\n    no %s event\n", events[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(d, needle));
    }
    CU_ASSERT_EQUAL(r->v.cuts.incarnations, 3);
    run_free(r);
}

/* ------------------------------------------------------------ negative controls */

static void test_snapshot_on_first_barrier_mutant_breaks_the_cut(void)
{
    run_t *r = run(DIAMOND(ALIGNED "mutant: snapshot-on-first-barrier\n"), 1);
    CU_ASSERT(r->v.finished);
    CU_ASSERT(r->v.cuts_checked);
    CU_ASSERT_FALSE(r->v.cuts_ok);
    CU_ASSERT(r->v.cuts.checks[SB_CUT_CHANNEL_STATE].violations > 0);
    CU_ASSERT_FALSE(r->v.ok);
    run_free(r);
}

static void test_drop_channel_state_mutant_loses_records_and_skips_replay(void)
{
    int caught = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        run_t *r = run(DIAMOND(UNALIGNED "mutant: drop-channel-state\n"), seed);
        if (!r->v.ok) {
            caught++;
            CU_ASSERT(r->v.eo.lost > 0 || r->v.cuts.checks[SB_CUT_REPLAY].violations > 0);
        }
        CU_ASSERT_EQUAL(r->st.replayed_records, 0);
        CU_ASSERT_EQUAL(r->v.eo.duplicated, 0);
        run_free(r);
    }
    CU_ASSERT(caught >= 3);
}

static void test_at_least_once_control_is_caught(void)
{
    run_t *r = run(DIAMOND(AT_LEAST_ONCE), 1);
    CU_ASSERT(r->v.finished);
    CU_ASSERT_FALSE(r->v.ok);
    CU_ASSERT(r->v.eo.duplicated > 0 || r->v.cuts.checks[SB_CUT_ORPHANS].violations > 0);
    run_free(r);
}

/* The mutants of the fault harness (runtime/job.c, runtime/sink.c), each
 * run beside the same scenario without it on the same seed: the mutant
 * is caught by its own check, the correct twin passes. */

/* Slow sinks, two checkpoints in flight and a slow RPC path: every crash
 * falls while a checkpoint is in flight (sinks' snapshots taken, not
 * completed). */
#define IN_FLIGHT(extra)                                                       \
    "name: in-flight\n" extra TEACHING                                         \
    "input: { records: 600 }\n"                                                \
    "execution.checkpointing.interval: 2ms\n"                                  \
    "execution.checkpointing.max-concurrent-checkpoints: 2\n"                  \
    "sim:\n"                                                                   \
    "  rpc_delay: 400us\n"                                                     \
    "  channel: { delay: uniform, min: 50us, max: 500us, capacity: 16 }\n"     \
    "pipeline:\n"                                                              \
    "  stages:\n"                                                              \
    "    - { name: source, parallelism: 2 }\n"                                 \
    "    - { name: map, parallelism: 2, input: rebalance }\n"                  \
    "    - { name: sink, parallelism: 2, input: hash, process_time: 150us }\n" \
    "faults:\n"                                                                \
    "  - { do: crash, at: 5300us }\n"                                          \
    "  - { do: crash, at: 11700us }\n"                                         \
    "  - { do: crash, at: 17900us }\n"

/* A 1 ms RPC path; each crash falls just after a checkpoint completed,
 * before the sinks hear of it (their epoch of it is still pending). */
#define NOT_YET_TOLD(extra)                                                    \
    "name: not-yet-told\n" extra TEACHING                                      \
    "input: { records: 600 }\n"                                                \
    "execution.checkpointing.interval: 2ms\n"                                  \
    "sim:\n"                                                                   \
    "  rpc_delay: 1ms\n"                                                       \
    "  channel: { delay: uniform, min: 50us, max: 300us, capacity: 16 }\n"     \
    "pipeline:\n"                                                              \
    "  stages:\n"                                                              \
    "    - { name: source, parallelism: 2 }\n"                                 \
    "    - { name: map, parallelism: 2, input: rebalance }\n"                  \
    "    - { name: sink, parallelism: 2, input: hash }\n"                      \
    "faults:\n"                                                                \
    "  - { do: crash, at: 5ms }\n"                                             \
    "  - { do: crash, at: 11ms }\n"                                            \
    "  - { do: crash, at: 17ms }\n"

#define TWIN_SEEDS 4

/* What a wrong scenario's runs showed over seeds 1..TWIN_SEEDS. */
typedef struct tally {
    int caught;                  /* runs whose `check` found violations */
    int eo_broken;               /* runs that failed exactly-once */
    int64_t lost, duplicated;
} tally_t;

/* Runs both scenarios on each seed: the correct one must pass; the wrong
 * one must finish, and whenever `check` catches it, its first violation
 * says `why` and the run fails. */
static tally_t twins(const char *correct_yaml, const char *wrong_yaml, sb_cut_check_kind_t check,
                     const char *why)
{
    tally_t t = { 0 };
    for (uint64_t seed = 1; seed <= TWIN_SEEDS; seed++) {
        run_t *ok = run(correct_yaml, seed), *r = run(wrong_yaml, seed);
        expect_ok(ok);
        CU_ASSERT(r->v.finished);
        if (r->v.cuts.checks[check].violations > 0) {
            t.caught++;
            ASSERT_HAS(r->v.cuts.checks[check].first, why);
            CU_ASSERT_FALSE(r->v.ok);
        }
        t.eo_broken += !r->v.eo_ok;
        t.lost += r->v.eo.lost;
        t.duplicated += r->v.eo.duplicated;
        run_free(r);
        run_free(ok);
    }
    return t;
}

static void test_commit_before_complete_publishes_early_and_duplicates_after_a_crash(void)
{
    tally_t t = twins(IN_FLIGHT(""), IN_FLIGHT("mutant: commit-before-complete\n"),
                      SB_CUT_EARLY_PUBLISH, "before any checkpoint >=");
    CU_ASSERT_EQUAL(t.caught, TWIN_SEEDS);
    CU_ASSERT_EQUAL(t.lost, 0);
    CU_ASSERT(t.duplicated > 0); /* a crash after a sink published, before completion */
}

static void test_source_snapshot_late_leaves_a_record_out_of_the_cut_and_loses_it(void)
{
    tally_t t = twins(DIAMOND(ALIGNED),
                      DIAMOND(ALIGNED "mutant: source-snapshot-late\n"),
                      SB_CUT_CHANNEL_STATE, "(source-");
    CU_ASSERT_EQUAL(t.caught, TWIN_SEEDS);
    CU_ASSERT_EQUAL(t.duplicated, 0);
    CU_ASSERT(t.lost > 0);
}

static void test_restore_latest_triggered_restores_an_incomplete_checkpoint(void)
{
    tally_t t = twins(IN_FLIGHT(""), IN_FLIGHT("mutant: restore-latest-triggered\n"),
                      SB_CUT_RESTORES, "which never completed");
    CU_ASSERT_EQUAL(t.caught, TWIN_SEEDS);
    CU_ASSERT_EQUAL(t.eo_broken, TWIN_SEEDS); /* sources resume past output no sink holds */
    CU_ASSERT(t.lost > 0);
}

static void test_drop_pending_on_restore_loses_the_staged_output(void)
{
    tally_t t = twins(NOT_YET_TOLD(""), NOT_YET_TOLD("mutant: drop-pending-on-restore\n"),
                      SB_CUT_UNPUBLISHED, "was never published");
    CU_ASSERT_EQUAL(t.caught, TWIN_SEEDS);
    CU_ASSERT_EQUAL(t.eo_broken, TWIN_SEEDS);
    CU_ASSERT(t.lost > 0);
    CU_ASSERT_EQUAL(t.duplicated, 0);
}

static void test_overwrite_published_is_caught_by_the_publish_check_alone(void)
{
    tally_t t = twins(DIAMOND(ALIGNED),
                      DIAMOND(ALIGNED "mutant: overwrite-published\n"),
                      SB_CUT_DOUBLE_PUBLISH, "was published twice");
    CU_ASSERT(t.caught >= 3);
    CU_ASSERT_EQUAL(t.eo_broken, 0); /* the same bytes again: the output is right */
}

static void test_channels_that_reorder_break_fifo_and_exactly_once(void)
{
    tally_t t = twins(DIAMOND(ALIGNED), DIAMOND_SIM(ALIGNED, "  fifo: false\n"), SB_CUT_FIFO,
                      "(as sent), received");
    CU_ASSERT_EQUAL(t.caught, TWIN_SEEDS);
    CU_ASSERT(t.eo_broken >= 1); /* a record on the wrong side of a restored cut */
}

/* ------------------------------------------------------------ fan-out */

/* map fans out to filter and enrich; both merge into sink; enrich also
 * feeds audit: three paths from the source (sink via filter: 0, sink via
 * enrich: 1, audit: 2). */
#define FAN_OUT(top)                                                           \
    SMALL_JOB("fan-out", top, "")                                              \
    "    - { name: source, parallelism: 2 }\n"                                 \
    "    - { name: map, parallelism: 2 }\n"                                    \
    "    - { name: filter, from: map, parallelism: 3, input: hash, keep_every: 3 }\n" \
    "    - { name: enrich, kind: map, from: map, input: rebalance }\n"         \
    "    - { name: sink, from: [filter, enrich], parallelism: 2, input: rebalance,"  \
    " process_time: 100us }\n"                                                 \
    "    - { name: audit, kind: sink, from: enrich }\n"                        \
    TWO_CRASHES

static void test_fan_out_run_is_exactly_once_and_consistent(void)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        run_t *r = run(FAN_OUT(ALIGNED), seed);
        expect_ok(r);
        CU_ASSERT(r->st.restores >= 1);
        run_free(r);
    }
    run_t *r = run(FAN_OUT(UNALIGNED), 1);
    expect_ok(r);
    CU_ASSERT(r->st.channel_state_records > 0);
    run_free(r);
}

/* The recv lines of tasks whose name starts with `task` for record `id`. */
static int recv_lines(const char *trace, const char *task, const char *id)
{
    char want_task[64], want_id[64];
    snprintf(want_task, sizeof want_task, "\"task\":\"%s", task);
    snprintf(want_id, sizeof want_id, "\"ids\":[\"%s\"]", id);
    int n = 0;
    for (const char *line = trace; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char buf[512];
        if (len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            n += strstr(buf, "\"event\":\"recv\"") != NULL && strstr(buf, want_task) != NULL &&
                 strstr(buf, want_id) != NULL;
        }
        line += len + (end != NULL);
    }
    return n;
}

static void test_fan_out_delivers_a_record_once_per_path(void)
{
    run_t *r = run(FAN_OUT(ALIGNED), 1);
    expect_ok(r);
    /* Per source: every 3rd record along path 0, all along paths 1 and 2. */
    CU_ASSERT_EQUAL(r->v.eo.expected, 2 * (100 + 300 + 300));
    CU_ASSERT_EQUAL(r->v.eo.observed, r->v.eo.expected);
    CU_ASSERT_EQUAL(r->v.eo.duplicated, 0);
    /* Record 0:3 of partition 0 reaches sink as 0:3 (via filter) and 1:3
     * (via enrich), audit as 2:3; partition 1's copies are 3:…, 4:…, 5:… */
    const char *d = sb_sim_trace(r->sim)->data;
    CU_ASSERT(recv_lines(d, "sink-", "0:3") >= 1);
    CU_ASSERT(recv_lines(d, "sink-", "1:3") >= 1);
    CU_ASSERT(recv_lines(d, "audit-", "2:3") >= 1);
    CU_ASSERT(recv_lines(d, "audit-", "5:299") >= 1);
    CU_ASSERT_EQUAL(recv_lines(d, "sink-", "0:4"), 0); /* the filter drops it */
    CU_ASSERT(recv_lines(d, "filter-", "0:4") >= 1);
    CU_ASSERT_EQUAL(recv_lines(d, "audit-", "1:3"), 0); /* path 1 ends at sink */
    CU_ASSERT_EQUAL(recv_lines(d, "", "6:0"), 0);       /* 2 sources x 3 paths */
    run_free(r);
}

static void test_fan_out_mutants_are_caught(void)
{
    run_t *r = run(FAN_OUT(ALIGNED "mutant: snapshot-on-first-barrier\n"), 1);
    CU_ASSERT(r->v.finished);
    CU_ASSERT(r->v.cuts.checks[SB_CUT_CHANNEL_STATE].violations > 0);
    CU_ASSERT_FALSE(r->v.ok);
    run_free(r);
    int lost = 0, duplicated = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        r = run(FAN_OUT(UNALIGNED "mutant: drop-channel-state\n"), seed);
        lost += r->v.eo.lost > 0;
        CU_ASSERT_EQUAL(r->v.eo.duplicated, 0);
        CU_ASSERT_EQUAL(r->v.eo.unexpected, 0);
        run_free(r);
        r = run(FAN_OUT(AT_LEAST_ONCE), seed);
        duplicated += r->v.eo.duplicated > 0;
        CU_ASSERT_EQUAL(r->v.eo.lost, 0);
        run_free(r);
    }
    CU_ASSERT(lost >= 2);
    CU_ASSERT(duplicated >= 2);
}

/* ------------------------------------------------------------ liveness */

static void test_a_job_that_cannot_finish_is_a_liveness_failure(void)
{
    /* Checkpoints time out long before they can complete: every one
     * fails, the job fails over and over, and never ends. */
    run_t *r = run("name: stuck\ninput: { records: 100 }\n"
                   "execution.checkpointing.interval: 1ms\n"
                   "execution.checkpointing.timeout: 10us\n"
                   "execution.checkpointing.tolerable-failed-checkpoints: 0\n"
                   "restart-strategy.fixed-delay.delay: 1ms\ntrace: records\n"
                   "sim:\n  max_time: 50ms\n"
                   "pipeline:\n  stages:\n    - { name: source }\n    - { name: sink }\n", 1);
    CU_ASSERT_FALSE(r->v.finished);
    CU_ASSERT(r->v.liveness_failed);
    CU_ASSERT_FALSE(r->v.ok);
    ASSERT_HAS(r->v.run_error, "did not finish within 50 ms");
    CU_ASSERT(r->st.failures > 0);
    run_free(r);
}

/* ------------------------------------------------------------ exploring */

static sb_simscenario_t *scenario(const char *yaml)
{
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_parse(s, "t.yaml", yaml, &err), 0);
    return s;
}

static void test_explore_runs_every_seed_and_finds_no_violation_in_a_correct_protocol(void)
{
    sb_simscenario_t *s = scenario(DIAMOND(ALIGNED));
    sb_explore_report_t r;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_explore_run(s, 1, 6, 3, &r, &err), 0);
    CU_ASSERT_EQUAL(r.runs, 6);
    CU_ASSERT_EQUAL(r.violated, 0);
    CU_ASSERT_EQUAL(r.failures_count, 0);
    CU_ASSERT(r.events > 6 * 1000);
    sb_explore_report_free(&r);
    free(s);
}

static void test_explore_reports_the_same_failing_seeds_whatever_the_threads(void)
{
    sb_simscenario_t *s = scenario(DIAMOND(UNALIGNED "mutant: drop-channel-state\n"));
    sb_explore_report_t one, three;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_explore_run(s, 10, 5, 1, &one, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_explore_run(s, 10, 5, 3, &three, &err), 0);
    CU_ASSERT(one.violated >= 3);
    CU_ASSERT_EQUAL(one.violated, three.violated);
    CU_ASSERT_EQUAL(one.failures_count, three.failures_count);
    for (int64_t i = 0; i < one.failures_count && i < three.failures_count; i++) {
        CU_ASSERT_EQUAL(one.failures[i].seed, three.failures[i].seed);
        CU_ASSERT_STRING_EQUAL(one.failures[i].why, three.failures[i].why);
        CU_ASSERT(i == 0 || one.failures[i].seed > one.failures[i - 1].seed);
    }
    /* A failing seed replays alone with the same verdict. */
    if (one.failures_count > 0) {
        run_t *r = run(DIAMOND(UNALIGNED "mutant: drop-channel-state\n"),
                       one.failures[0].seed);
        char why[SB_EXPLORE_WHY_BYTES_MAX];
        sb_sim_verdict_why(&r->v, why, sizeof why);
        CU_ASSERT_STRING_EQUAL(why, one.failures[0].why);
        run_free(r);
    }
    sb_explore_report_free(&one);
    sb_explore_report_free(&three);
    free(s);
}

/* ------------------------------------------------------------ shrinking */

static void test_shrink_makes_a_failing_run_smaller_and_it_still_fails_the_same_way(void)
{
    sb_simscenario_t *s = scenario(DIAMOND(UNALIGNED "mutant: drop-channel-state\n"));
    sb_simscenario_t *small = malloc(sizeof *small);
    sb_shrink_report_t rep;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_shrink_run(s, 1, small, &rep, NULL, NULL, &err), 1);
    CU_ASSERT(rep.steps > 0);
    CU_ASSERT(rep.runs <= SB_SHRINK_RUNS_MAX);
    CU_ASSERT(rep.events_after < rep.events_before / 4);
    CU_ASSERT(small->records < s->records);
    ASSERT_HAS(rep.why, "exactly-once");
    /* The shrunk scenario, written and read back, replays the failure. */
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT_FATAL(sb_simscenario_format(small, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    run_t *r = run(text, 1);
    CU_ASSERT_FALSE(r->v.eo_ok);
    CU_ASSERT_EQUAL(sb_sim_events(r->sim), rep.events_after);
    char why[SB_SHRINK_WHY_BYTES_MAX];
    sb_sim_verdict_why(&r->v, why, sizeof why);
    CU_ASSERT_STRING_EQUAL(why, rep.why);
    run_free(r);
    free(text);
    free(small);
    free(s);
}

static void test_shrink_leaves_a_passing_run_alone(void)
{
    sb_simscenario_t *s = scenario(DIAMOND(ALIGNED));
    sb_simscenario_t *out = malloc(sizeof *out);
    sb_shrink_report_t rep;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_shrink_run(s, 2, out, &rep, NULL, NULL, &err), 0);
    CU_ASSERT_EQUAL(rep.runs, 1);
    CU_ASSERT_EQUAL(out->records, s->records);
    free(out);
    free(s);
}

/* ------------------------------------------------------------ faults */

/* What the fault tests read from a trace, one event at a time. */
typedef struct seen {
    const char *task;                  /* the subtask watched */
    int64_t failed_ns, failover_ns;    /* task_failed, its crash (-1: none) */
    int64_t newest_completed;          /* before the failover */
    int64_t restored;                  /* the restore after it */
    int64_t acked[64];                 /* checkpoints the watched task acked before failing */
    int acked_count;
    int completed_between;             /* completions not acked by it before it failed */
    int inputs[16], inputs_count;      /* channels into the watched task */
    int64_t fill_max;                  /* on those channels, in samples */
    int64_t sent_ns[16][2048];         /* record sends by channel and position */
    int64_t extra_ns, window_from_ns, window_to_ns;
    int in_window, in_window_late;     /* records sent in the window; those >= extra late */
} seen_t;

static bool was_acked(const seen_t *w, int64_t id)
{
    for (int i = 0; i < w->acked_count; i++)
        if (w->acked[i] == id)
            return true;
    return false;
}

static void see_job_graph(seen_t *w, json_t *ev)
{
    size_t i;
    json_t *c;
    w->inputs_count = 0;
    json_array_foreach(json_object_get(ev, "channels"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "to")), w->task) == 0 &&
            w->inputs_count < 16)
            w->inputs[w->inputs_count++] = (int)json_integer_value(json_object_get(c, "channel"));
}

static void see_record(seen_t *w, json_t *ev, bool send, int64_t t)
{
    int64_t c = json_integer_value(json_object_get(ev, "channel"));
    int64_t pos = json_integer_value(json_object_get(ev, "first"));
    if (c < 0 || c >= 16 || pos < 0 || pos >= 2048)
        return;
    if (send) {
        w->sent_ns[c][pos] = t;
        return;
    }
    int64_t at = w->sent_ns[c][pos];
    if (at >= w->window_from_ns && at < w->window_to_ns) {
        w->in_window++;
        w->in_window_late += t - at >= w->extra_ns;
    }
}

static int see(const char *line, size_t len, void *ctx)
{
    seen_t *w = ctx;
    json_t *ev = json_loadb(line, len, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    const char *name = json_string_value(json_object_get(ev, "event"));
    const char *task = json_string_value(json_object_get(ev, "task"));
    int64_t t = json_integer_value(json_object_get(ev, "t_ns"));
    int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
    bool mine = task != NULL && strcmp(task, w->task) == 0;
    if (strcmp(name, "job_graph") == 0)
        see_job_graph(w, ev);
    else if (strcmp(name, "task_failed") == 0 && mine)
        w->failed_ns = t;
    else if (strcmp(name, "crash") == 0 && mine && w->failover_ns < 0)
        w->failover_ns = t;
    else if (strcmp(name, "ack") == 0 && mine && w->failed_ns < 0 && w->acked_count < 64)
        w->acked[w->acked_count++] = id;
    else if (strcmp(name, "checkpoint_completed") == 0 && w->failover_ns < 0) {
        w->newest_completed = id;
        w->completed_between += w->failed_ns >= 0 && !was_acked(w, id);
    } else if (strcmp(name, "restore") == 0 && w->failover_ns >= 0 && w->restored < 0)
        w->restored = id;
    else if (strcmp(name, "sample") == 0)
        for (int i = 0; i < w->inputs_count; i++) {
            int64_t f = json_integer_value(json_array_get(json_object_get(ev, "fill"),
                                                          (size_t)w->inputs[i]));
            w->fill_max = f > w->fill_max ? f : w->fill_max;
        }
    else if (strcmp(name, "send") == 0 || strcmp(name, "recv") == 0)
        see_record(w, ev, name[0] == 's', t);
    json_decref(ev);
    return 0;
}

static seen_t *watch(const run_t *r, const char *task)
{
    seen_t *w = calloc(1, sizeof *w);
    w->task = task;
    w->failed_ns = w->failover_ns = w->restored = -1;
    sb_tracebuf_each_line(sb_sim_trace(r->sim), see, w);
    return w;
}

#define FAULTY(faults)                                                         \
    "name: faulty\n" TEACHING "input: { records: 600 }\n"                      \
    "execution.checkpointing.interval: 2ms\n"                                  \
    "sim:\n  channel: { delay: uniform, min: 50us, max: 500us, capacity: 8 }\n" \
    "  failure_detection: 2ms\n"                                              \
    "pipeline:\n  stages:\n    - { name: source, parallelism: 2 }\n"          \
    "    - { name: map, parallelism: 2, input: rebalance }\n"                  \
    "    - { name: sink, parallelism: 2, input: rebalance }\n"                 \
    "faults:" faults "\n"

static void test_a_task_crash_fails_the_job_over_to_the_newest_completed_checkpoint(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        run_t *r = run(FAULTY("\n  - { do: { crash: task, task: map-1 }, at: 12ms }"), seed);
        expect_ok(r);
        seen_t *w = watch(r, "map-1");
        CU_ASSERT_EQUAL(w->failed_ns, 12000000);
        CU_ASSERT_EQUAL(w->failover_ns, 14000000); /* failure_detection later */
        CU_ASSERT(w->newest_completed > 0);
        CU_ASSERT_EQUAL(w->restored, w->newest_completed);
        /* Between the failure and the failover nothing completes that
         * needed the dead subtask's acknowledgement. */
        CU_ASSERT_EQUAL(w->completed_between, 0);
        CU_ASSERT_EQUAL(r->st.crashes, 1);
        CU_ASSERT_EQUAL(r->st.incarnations, 2);
        free(w);
        run_free(r);
    }
}

static void test_a_slow_subtask_fills_its_inputs_where_the_same_run_without_it_does_not(void)
{
    run_t *slow = run(FAULTY("\n  - { do: { slow: map-0, process_time: 500us }, at: 5ms, for: 10ms }"), 3);
    run_t *plain = run(FAULTY(" []"), 3);
    expect_ok(slow);
    expect_ok(plain);
    seen_t *ws = watch(slow, "map-0"), *wp = watch(plain, "map-0");
    CU_ASSERT_EQUAL(ws->fill_max, 8); /* at capacity: backpressure */
    CU_ASSERT(wp->fill_max < 8);
    CU_ASSERT(sb_sim_virtual_ns(slow->sim) > sb_sim_virtual_ns(plain->sim));
    free(ws);
    free(wp);
    run_free(slow);
    run_free(plain);
}

static void test_a_delay_spike_delays_what_is_sent_in_its_window(void)
{
    run_t *spiked = run(FAULTY("\n  - { do: { delay: spike, extra: 3ms }, at: 5ms, for: 1ms }"), 2);
    run_t *plain = run(FAULTY(" []"), 2);
    expect_ok(spiked);
    expect_ok(plain);
    seen_t *ws = calloc(1, sizeof *ws), *wp = calloc(1, sizeof *wp);
    *ws = (seen_t){ .task = "none", .failed_ns = -1, .failover_ns = -1, .restored = -1,
                    .extra_ns = 3000000, .window_from_ns = 5000000, .window_to_ns = 6000000 };
    *wp = *ws;
    sb_tracebuf_each_line(sb_sim_trace(spiked->sim), see, ws);
    sb_tracebuf_each_line(sb_sim_trace(plain->sim), see, wp);
    CU_ASSERT(ws->in_window > 10);
    CU_ASSERT_EQUAL(ws->in_window_late, ws->in_window); /* every one of them */
    CU_ASSERT(wp->in_window > 10);
    CU_ASSERT(wp->in_window_late < wp->in_window);     /* the control: not all late */
    free(ws);
    free(wp);
    run_free(spiked);
    run_free(plain);
}

void test_sim_run_register(void)
{
    static const sb_test_case_t cases[] = {
        { "same seed gives a byte-identical trace", test_same_seed_gives_a_byte_identical_trace },
        { "a task crash fails the job over to the newest completed checkpoint",
          test_a_task_crash_fails_the_job_over_to_the_newest_completed_checkpoint },
        { "a slow subtask fills its inputs where the same run without it does not",
          test_a_slow_subtask_fills_its_inputs_where_the_same_run_without_it_does_not },
        { "a delay spike delays what is sent in its window",
          test_a_delay_spike_delays_what_is_sent_in_its_window },
        { "another seed gives another trace", test_another_seed_gives_another_trace },
        { "aligned run with crashes is exactly-once and consistent",
          test_aligned_run_with_crashes_is_exactly_once_and_consistent },
        { "unaligned run records and replays channel state",
          test_unaligned_run_records_and_replays_channel_state },
        { "aligned with timeout switches and stays correct",
          test_aligned_with_timeout_switches_and_stays_correct },
        { "fan-in of four sources aligns at the sink",
          test_fan_in_of_four_sources_aligns_at_the_sink },
        { "trace has what the checkers and pictures read",
          test_trace_has_what_the_checkers_and_pictures_read },
        { "snapshot-on-first-barrier mutant breaks the cut",
          test_snapshot_on_first_barrier_mutant_breaks_the_cut },
        { "drop-channel-state mutant loses records and skips replay",
          test_drop_channel_state_mutant_loses_records_and_skips_replay },
        { "at-least-once control is caught", test_at_least_once_control_is_caught },
        { "commit-before-complete publishes early and duplicates after a crash",
          test_commit_before_complete_publishes_early_and_duplicates_after_a_crash },
        { "source-snapshot-late leaves a record out of the cut and loses it",
          test_source_snapshot_late_leaves_a_record_out_of_the_cut_and_loses_it },
        { "restore-latest-triggered restores an incomplete checkpoint",
          test_restore_latest_triggered_restores_an_incomplete_checkpoint },
        { "drop-pending-on-restore loses the staged output",
          test_drop_pending_on_restore_loses_the_staged_output },
        { "overwrite-published is caught by the publish check alone",
          test_overwrite_published_is_caught_by_the_publish_check_alone },
        { "channels that reorder break FIFO and exactly-once",
          test_channels_that_reorder_break_fifo_and_exactly_once },
        { "fan-out run is exactly-once and consistent",
          test_fan_out_run_is_exactly_once_and_consistent },
        { "fan-out delivers a record once per path", test_fan_out_delivers_a_record_once_per_path },
        { "fan-out mutants are caught", test_fan_out_mutants_are_caught },
        { "a job that cannot finish is a liveness failure",
          test_a_job_that_cannot_finish_is_a_liveness_failure },
        { "explore runs every seed and finds no violation in a correct protocol",
          test_explore_runs_every_seed_and_finds_no_violation_in_a_correct_protocol },
        { "explore reports the same failing seeds whatever the threads",
          test_explore_reports_the_same_failing_seeds_whatever_the_threads },
        { "shrink makes a failing run smaller and it still fails the same way",
          test_shrink_makes_a_failing_run_smaller_and_it_still_fails_the_same_way },
        { "shrink leaves a passing run alone", test_shrink_leaves_a_passing_run_alone },
        { NULL, NULL },
    };
    sb_test_add_suite("sim runs", cases);
}
