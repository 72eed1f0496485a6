/* test_conformance.c — one protocol, two drivers.
 *
 * Each script (runtime/subtask_script.h) is what one map subtask hears:
 * records arriving on its inputs, barrier announcements, ends of input,
 * the clock passing an alignment timeout. It is played through the real
 * driver (runtime/job.c: real channels, the real operator loop) and
 * through the simulator's (sim/pipeline.c: its channel queues and step),
 * and the subject's protocol trace events must be the same sequence,
 * field for field, times and byte sizes aside. Both drivers carry out the
 * barrier handler's decisions through runtime/subtask.c; a driver that
 * reorders what it tells the layer (reads before it copies, copies after
 * it reads, ticks late, hears announcements after records) shows up here
 * as the first event where the two differ.
 *
 * The scripts cover aligned alignment across three inputs, unaligned
 * overtaking with channel state on both sides of the cut, the alignment
 * timeout switching mid-alignment, a newer barrier abandoning an older
 * alignment, at-least-once, and the snapshot-on-first-barrier mutant. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "job.h"
#include "pipeline.h"
#include "subtask_script.h"

#define EVENTS_MAX 512

/* What is compared of an event: its name, checkpoint and positional fields.
 * Times (t_ns, *_ns), pids and byte sizes differ by nature between the
 * drivers (the runtime writes JSON snapshots, the simulator counts 16 bytes
 * a record); positions, ranges and record counts must not. */
static const char *const kept_fields[] = {
    "event", "checkpoint", "channel", "position", "read", "unaligned", "ranges", "records",
    "inputs", "outputs", "inflight_records", "timed_out", "reason",
};

typedef struct events {
    char *line[EVENTS_MAX];
    int count;
} events_t;

static void events_free(events_t *e)
{
    for (int i = 0; i < e->count; i++)
        free(e->line[i]);
    e->count = 0;
}

/* The subject's events of a trace file, normalised. */
static void events_read(const char *path, events_t *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[65536];
    while (fgets(line, sizeof line, f) != NULL) {
        json_t *ev = json_loads(line, 0, NULL);
        CU_ASSERT_PTR_NOT_NULL(ev);
        const char *task = json_string_value(json_object_get(ev, "task"));
        if (task != NULL && strcmp(task, "map-0") == 0 && out->count < EVENTS_MAX) {
            json_t *kept = json_object();
            for (size_t k = 0; k < sizeof kept_fields / sizeof kept_fields[0]; k++) {
                json_t *v = json_object_get(ev, kept_fields[k]);
                if (v != NULL)
                    json_object_set(kept, kept_fields[k], v);
            }
            out->line[out->count++] = json_dumps(kept, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(kept);
        }
        json_decref(ev);
    }
    fclose(f);
}

/* Plays the script through both drivers and compares. Returns the number
 * of events compared (so a test can also check that something happened). */
static int play_both(const sb_script_t *sc)
{
    char dir[64], real_trace[128], sim_trace[128];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-conformance-XXXXXX");
    snprintf(real_trace, sizeof real_trace, "%s/trace.jsonl", dir);
    snprintf(sim_trace, sizeof sim_trace, "%s/sim-trace.jsonl", dir);
    sb_err_t err = { { 0 } };
    int rc = sb_job_script_run(sc, dir, &err);
    if (rc != 0)
        fprintf(stderr, "\n  runtime driver: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    rc = sb_pipeline_script_run(sc, sim_trace, &err);
    if (rc != 0)
        fprintf(stderr, "\n  simulator driver: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    events_t real, sim;
    events_read(real_trace, &real);
    events_read(sim_trace, &sim);
    int n = real.count < sim.count ? real.count : sim.count;
    int differ = -1;
    for (int i = 0; i < n && differ < 0; i++)
        if (strcmp(real.line[i], sim.line[i]) != 0)
            differ = i;
    if (differ < 0 && real.count != sim.count)
        differ = n;
    if (differ >= 0)
        fprintf(stderr, "\n  event %d differs:\n    runtime:   %s\n    simulator: %s\n",
                differ + 1, differ < real.count ? real.line[differ] : "(none)",
                differ < sim.count ? sim.line[differ] : "(none)");
    CU_ASSERT_EQUAL(differ, -1);
    CU_ASSERT_EQUAL(real.count, sim.count);
    events_free(&real);
    events_free(&sim);
    temp_dir_remove(dir);
    return n;
}

/* How many of the script's subject events are named `event`, in the
 * simulator's trace (the two are equal when play_both passed). */
static int count_event(const sb_script_t *sc, const char *event)
{
    char dir[64], path[128];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-conformance-XXXXXX");
    snprintf(path, sizeof path, "%s/sim-trace.jsonl", dir);
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_pipeline_script_run(sc, path, &err), 0);
    events_t ev;
    events_read(path, &ev);
    int n = 0;
    char needle[64];
    snprintf(needle, sizeof needle, "\"event\":\"%s\"", event);
    for (int i = 0; i < ev.count; i++)
        n += strstr(ev.line[i], needle) != NULL;
    events_free(&ev);
    temp_dir_remove(dir);
    return n;
}

#define R(c, k) { .op = SB_SCRIPT_RECORDS, .input = (c), .n = (k) }
#define B(c, id) { .op = SB_SCRIPT_BARRIER, .input = (c), .n = (id) }
#define BU(c, id) { .op = SB_SCRIPT_BARRIER, .input = (c), .n = (id), .unaligned = true }
#define END(c) { .op = SB_SCRIPT_END, .input = (c) }
#define CLOCK(ns) { .op = SB_SCRIPT_CLOCK, .input = -1, .n = (ns) }
#define RUN { .op = SB_SCRIPT_RUN, .input = -1 }
#define SCRIPT(list) .steps = (list), .steps_count = (int)(sizeof(list) / sizeof((list)[0]))

/* Three inputs; barrier 1 arrives on each at a different moment, with
 * records queued behind it on the blocked inputs; then barrier 2 the same
 * way in another order; then the ends. */
static const sb_script_step_t aligned_three[] = {
    R(0, 5), R(1, 3), R(2, 7), RUN,
    B(0, 1), R(0, 4), RUN,
    R(1, 2), B(1, 1), R(1, 6), RUN,
    R(2, 1), B(2, 1), RUN,          /* the last barrier arrives as a record is read */
    R(2, 3), B(2, 2), R(2, 2), RUN,
    B(0, 2), B(1, 2), RUN,
    R(0, 1), END(0), END(1), RUN, END(2), RUN,
};

static void test_aligned_checkpoints_across_three_inputs_trace_the_same_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 3, .mode = SB_MODE_EXACTLY_ONCE, SCRIPT(aligned_three) };
    CU_ASSERT(play_both(&sc) > 10);
    CU_ASSERT_EQUAL(count_event(&sc, "snapshot"), 2);
    CU_ASSERT_EQUAL(count_event(&sc, "alignment_started"), 2);
}

/* Unaligned: records queued on both inputs when barrier 1 is announced on
 * input 0 only; it overtakes them; input 1's barrier comes later behind
 * more records. Both sides of the cut hold channel state. */
static const sb_script_step_t unaligned_two[] = {
    R(0, 4), R(1, 2), RUN,
    R(0, 6), BU(0, 1), R(0, 3), R(1, 5), RUN,
    R(1, 4), BU(1, 1), R(1, 2), RUN,
    R(0, 2), BU(0, 2), BU(1, 2), RUN,
    END(0), END(1), RUN,
};

static void test_unaligned_channel_state_is_captured_the_same_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 2, .mode = SB_MODE_EXACTLY_ONCE, .unaligned = true,
                       SCRIPT(unaligned_two) };
    CU_ASSERT(play_both(&sc) > 8);
    CU_ASSERT_EQUAL(count_event(&sc, "channel_state"), 2);
}

/* Aligned until the clock passes the timeout mid-alignment: the subtask
 * switches to unaligned and captures the blocked input's backlog. */
static const sb_script_step_t timeout_two[] = {
    R(0, 3), R(1, 3), RUN,
    B(0, 1), R(0, 5), R(1, 4), RUN,
    CLOCK(50 * 1000 * 1000), R(1, 2), RUN,
    B(1, 1), RUN,
    END(0), END(1), RUN,
};

static void test_alignment_timeout_switches_the_same_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 2, .mode = SB_MODE_EXACTLY_ONCE, .unaligned = true,
                       .aligned_timeout_ns = 20 * 1000 * 1000, SCRIPT(timeout_two) };
    CU_ASSERT(play_both(&sc) > 6);
    CU_ASSERT_EQUAL(count_event(&sc, "alignment_timeout"), 1);
}

/* Barrier 2 overtakes an alignment of barrier 1 that never finished:
 * checkpoint 1 is abandoned, 2 is taken. */
static const sb_script_step_t abandon_two[] = {
    R(0, 2), R(1, 2), RUN,
    B(0, 1), R(0, 3), RUN,
    R(1, 1), B(1, 2), RUN,
    B(0, 2), RUN,
    END(0), END(1), RUN,
};

static void test_a_newer_barrier_abandons_an_alignment_the_same_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 2, .mode = SB_MODE_EXACTLY_ONCE, SCRIPT(abandon_two) };
    CU_ASSERT(play_both(&sc) > 4);
    CU_ASSERT_EQUAL(count_event(&sc, "alignment_abandoned"), 1);
}

static void test_at_least_once_traces_the_same_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 3, .mode = SB_MODE_AT_LEAST_ONCE, SCRIPT(aligned_three) };
    CU_ASSERT(play_both(&sc) > 8);
}

static void test_the_snapshot_on_first_barrier_mutant_traces_the_same_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 3, .mode = SB_MODE_EXACTLY_ONCE,
                       .mutant = SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER, SCRIPT(aligned_three) };
    CU_ASSERT(play_both(&sc) > 8);
    CU_ASSERT_EQUAL(count_event(&sc, "snapshot"), 2);
    CU_ASSERT_EQUAL(count_event(&sc, "alignment_ended"), 0); /* it never waits */
}

/* A crash at a crash point: the incarnation dies there in both drivers,
 * and nothing of it happens after (the rest of the script is not played).
 * operator.after_snapshot of checkpoint 1 comes after its ack is traced,
 * before the ack reaches the coordinator: checkpoint 2 never starts. */
static void test_a_crash_point_stops_the_subtask_at_the_same_event_in_both_drivers(void)
{
    sb_script_t sc = { .inputs = 3, .mode = SB_MODE_EXACTLY_ONCE,
                       .crash_point = SB_POINT_OPERATOR_AFTER_SNAPSHOT, .crash_checkpoint = 1,
                       SCRIPT(aligned_three) };
    CU_ASSERT(play_both(&sc) > 5);
    CU_ASSERT_EQUAL(count_event(&sc, "ack"), 1);
    CU_ASSERT_EQUAL(count_event(&sc, "snapshot"), 1);
    sb_script_t whole = sc; /* the control: without the crash, both come */
    whole.crash_point = SB_POINT_NONE;
    CU_ASSERT_EQUAL(count_event(&whole, "snapshot"), 2);
}

/* Unaligned: the crash comes once the channel state is written and acked. */
static void test_a_crash_point_in_an_unaligned_checkpoint_stops_both_drivers_alike(void)
{
    sb_script_t sc = { .inputs = 2, .mode = SB_MODE_EXACTLY_ONCE, .unaligned = true,
                       .crash_point = SB_POINT_OPERATOR_AFTER_SNAPSHOT, .crash_checkpoint = 1,
                       SCRIPT(unaligned_two) };
    CU_ASSERT(play_both(&sc) > 3);
    CU_ASSERT_EQUAL(count_event(&sc, "channel_state"), 1);
    CU_ASSERT_EQUAL(count_event(&sc, "ack"), 1);
}

void test_conformance_register(void)
{
#define T(f) { #f, f }
    static const sb_test_case_t cases[] = {
        T(test_aligned_checkpoints_across_three_inputs_trace_the_same_in_both_drivers),
        T(test_unaligned_channel_state_is_captured_the_same_in_both_drivers),
        T(test_alignment_timeout_switches_the_same_in_both_drivers),
        T(test_a_newer_barrier_abandons_an_alignment_the_same_in_both_drivers),
        T(test_at_least_once_traces_the_same_in_both_drivers),
        T(test_the_snapshot_on_first_barrier_mutant_traces_the_same_in_both_drivers),
        T(test_a_crash_point_stops_the_subtask_at_the_same_event_in_both_drivers),
        T(test_a_crash_point_in_an_unaligned_checkpoint_stops_both_drivers_alike),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("conformance", cases);
}
