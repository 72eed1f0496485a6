/* test_sim_scenario.c — sim scenario files and the job graph built from
 * them: defaults, the example of the issue, every rule of the topology,
 * and errors that name the file, the line and the key. */
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "shrink.h"
#include "simscenario.h"
#include "topology.h"

static sb_simscenario_t *parse_ok(const char *yaml)
{
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_err_t err = { { 0 } };
    int rc = sb_simscenario_parse(s, "t.yaml", yaml, &err);
    if (rc != 0)
        fprintf(stderr, "\n    unexpected error: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return s;
}

/* Parses a scenario that must be refused; checks the message. */
static void parse_fails(const char *yaml, const char *needle)
{
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_simscenario_parse(s, "t.yaml", yaml, &err), -1);
    ASSERT_HAS(err.msg, needle);
    free(s);
}

#define CHAIN "pipeline:\n  stages:\n    - { name: source, parallelism: 2 }\n" \
              "    - { name: sink, parallelism: 1, input: rebalance }\n"
#define STAGES "pipeline:\n  stages:\n"

static void test_the_issue_example_parses_with_its_values(void)
{
    sb_simscenario_t *s = parse_ok(
        "name: diamond\n"
        "input: { records: 4000 }\n"
        "execution.checkpointing.unaligned: true\n"
        "execution.checkpointing.aligned-checkpoint-timeout: 2ms\n"
        "execution.checkpointing.interval: 5ms\n"
        "sim:\n"
        "  source_interval: 100us\n"
        "  channel: { delay: uniform, min: 50us, max: 500us, capacity: 64 }\n"
        "pipeline:\n"
        "  stages:\n"
        "    - { name: source, parallelism: 2 }\n"
        "    - { name: map, parallelism: 2, input: rebalance }\n"
        "    - { name: filter, parallelism: 3, input: hash }\n"
        "    - { name: sink, parallelism: 2, input: rebalance }\n"
        "faults:\n"
        "  - { do: crash, at: 12ms }\n");
    CU_ASSERT_STRING_EQUAL(s->name, "diamond");
    CU_ASSERT_EQUAL(s->protocol, SB_SIM_TIMEOUT);
    CU_ASSERT_EQUAL(s->aligned_timeout_ns, 2000000);
    CU_ASSERT_EQUAL(s->records, 2000); /* per source subtask */
    CU_ASSERT_EQUAL(s->source_interval_ns, 100000);
    CU_ASSERT_EQUAL(s->checkpoint_interval_ns, 5000000);
    CU_ASSERT_EQUAL(s->channel_delay.kind, SB_RNG_UNIFORM);
    CU_ASSERT_EQUAL(s->channel_delay.min_ns, 50000);
    CU_ASSERT_EQUAL(s->channel_delay.max_ns, 500000);
    CU_ASSERT_EQUAL(s->channel_capacity, 64);
    CU_ASSERT_EQUAL(s->stages_count, 4);
    CU_ASSERT_EQUAL(s->stages[2].kind, SB_STAGE_FILTER);
    CU_ASSERT_EQUAL(s->stages[2].keep_every, 4); /* the default rule */
    CU_ASSERT_EQUAL(s->stages[2].input, SB_CONNECTION_HASH);
    CU_ASSERT_EQUAL(s->stages[2].from_count, 1);
    CU_ASSERT_EQUAL(s->stages[2].from[0], 1);
    CU_ASSERT_EQUAL(s->faults_count, 1);
    CU_ASSERT_EQUAL(s->faults[0].kind, SB_SIM_FAULT_CRASH_JOB);
    CU_ASSERT_EQUAL(s->faults[0].at_ns, 12000000);
    free(s);
}

static void test_defaults_fill_every_key_not_given(void)
{
    sb_simscenario_t *s = parse_ok("name: d\n" CHAIN);
    /* The shared keys: the same defaults as a real run (runtime/scenario.c). */
    sb_scenario_t real;
    sb_scenario_defaults(&real);
    CU_ASSERT_EQUAL(s->protocol, SB_SIM_ALIGNED);
    CU_ASSERT_EQUAL(s->records * 2, real.records); /* two source subtasks */
    CU_ASSERT_EQUAL(s->checkpoint_interval_ns, real.checkpoint_interval_ns);
    CU_ASSERT_EQUAL(s->checkpoint_interval_ns, INT64_C(500000000));
    CU_ASSERT_EQUAL(s->checkpoint_timeout_ns, real.checkpoint_timeout_ns);
    CU_ASSERT_EQUAL(s->tolerable_failed, real.tolerable_failed_checkpoints);
    CU_ASSERT_EQUAL(s->tolerable_failed, 0);
    CU_ASSERT_EQUAL(s->restart_delay_ns, real.restart_delay_ns);
    CU_ASSERT_EQUAL(s->max_concurrent, real.max_concurrent_checkpoints);
    CU_ASSERT_EQUAL(s->trace_records, real.trace_records);
    CU_ASSERT_FALSE(s->trace_records);
    CU_ASSERT_EQUAL(s->mutant, SB_MUTANT_NONE);
    CU_ASSERT_EQUAL(s->faults_count, 0);
    /* The simulator's own keys. */
    CU_ASSERT_EQUAL(s->channel_capacity, 64);
    CU_ASSERT_EQUAL(s->source_interval_ns, 100000);
    CU_ASSERT_EQUAL(s->seed, 1);
    /* Time enough for the input at its pace: 100000 records per source
     * subtask, one every 100us, is 10s of virtual time. */
    CU_ASSERT(s->max_time_ns >= INT64_C(40) * 1000000000);
    free(s);
    /* A short input keeps the floor of 10s. */
    s = parse_ok("name: d\ninput: { records: 20 }\n" CHAIN);
    CU_ASSERT_EQUAL(s->max_time_ns, INT64_C(10) * 1000000000);
    free(s);
}

static void test_every_mutant_of_the_fault_harness_parses_and_others_are_refused(void)
{
    static const struct { const char *name; sb_mutant_t m; } known[] = {
        { "none", SB_MUTANT_NONE },
        { "commit-before-complete", SB_MUTANT_COMMIT_BEFORE_COMPLETE },
        { "snapshot-on-first-barrier", SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER },
        { "source-snapshot-late", SB_MUTANT_SOURCE_SNAPSHOT_LATE },
        { "restore-latest-triggered", SB_MUTANT_RESTORE_LATEST_TRIGGERED },
        { "drop-pending-on-restore", SB_MUTANT_DROP_PENDING_ON_RESTORE },
        { "overwrite-published", SB_MUTANT_OVERWRITE_PUBLISHED },
        { "drop-channel-state", SB_MUTANT_DROP_CHANNEL_STATE },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, "name: m\nmutant: %s\n" CHAIN, known[i].name);
        sb_simscenario_t *s = parse_ok(yaml);
        CU_ASSERT_EQUAL(s->mutant, known[i].m);
        free(s);
    }
    parse_fails("name: m\nmutant: commit-twice\n" CHAIN,
                "t.yaml:2: mutant: unknown mutant 'commit-twice' (known: "
                "commit-before-complete,");
}

static void test_fifo_false_makes_pipeline_channels_reorder(void)
{
    sb_simscenario_t *s = parse_ok("name: m\n" CHAIN);
    CU_ASSERT(s->fifo);
    free(s);
    s = parse_ok("name: m\nsim:\n  fifo: false\n" CHAIN);
    CU_ASSERT_FALSE(s->fifo);
    free(s);
    parse_fails("name: m\nsim:\n  fifo: sometimes\n" CHAIN,
                "t.yaml:3: sim.fifo: expected true or false, got 'sometimes'");
}

/* The one walker's messages. (A missing name is no longer an error: as in a
 * real run, the scenario is named after its file.) */
static void test_errors_name_file_line_and_key(void)
{
    parse_fails("name: x\ninput:\n  recrods: 5\n" CHAIN,
                "t.yaml:3: input.recrods: unknown key (did you mean 'records'?)");
    parse_fails("name: x\nsim:\n  sorce_interval: 5us\n" CHAIN,
                "t.yaml:3: sim.sorce_interval: unknown key (did you mean 'source_interval'?)");
    parse_fails("name: x\ninput:\n  records: many\n" CHAIN,
                "t.yaml:3: input.records: expected an integer, got 'many'");
    parse_fails("name: x\nsim:\n  source_interval: 10 parsecs\n" CHAIN,
                "t.yaml:3: sim.source_interval: bad duration");
    parse_fails("name: x\nsim:\n  channel: { delay: gaussian }\n" CHAIN,
                "t.yaml:3: sim.channel.delay: unknown delay 'gaussian' (fixed, uniform, exponential)");
    parse_fails("name: x\ninput:\n  records: 5\n  records: 6\n" CHAIN,
                "t.yaml:4: input.records: duplicate key (first given at line 3)");
    parse_fails("name: x\nsim:\n  seed: 5\n  seed: 6\n" CHAIN,
                "t.yaml:4: sim.seed: duplicate key (first given at line 3)");
    /* fuzzing finding 10: a pace slower than a record a second per source
     * subtask became a sim.source_interval the written-back file refused */
    parse_fails("name: x\npipeline:\n  parallelism: 2\n  source: { records_per_s: 1 }\n",
                "t.yaml:4: pipeline.source.records_per_s: 1 over 2 source subtasks is one "
                "record every 2 s per subtask");
    parse_fails("name: x\nfaults:\n  - { do: crash }\n" CHAIN,
                "t.yaml:3: faults[0]: give exactly one of 'at' or 'random'");
    sb_simscenario_t *s = parse_ok(CHAIN);
    CU_ASSERT_STRING_EQUAL(s->name, "t"); /* t.yaml */
    free(s);
}

static void test_delay_distributions_need_their_parameters(void)
{
    parse_fails("name: x\nsim:\n  channel: { delay: uniform, min: 5us }\n" CHAIN,
                "a uniform delay needs min and max");
    parse_fails("name: x\nsim:\n  channel: { delay: uniform, min: 5us, max: 1us }\n" CHAIN,
                "max is below min");
    parse_fails("name: x\nsim:\n  channel: { delay: exponential, min: 5us }\n" CHAIN,
                "an exponential delay needs mean");
    sb_simscenario_t *s = parse_ok("name: x\nsim:\n  channel: { delay: fixed, min: 7us }\n" CHAIN);
    CU_ASSERT_EQUAL(s->channel_delay.min_ns, 7000);
    CU_ASSERT_EQUAL(s->channel_delay.max_ns, 7000);
    free(s);
}

/* The protocol is the Flink keys': the alignment timeout needs unaligned
 * checkpoints (sim's old protocol: timeout without aligned_timeout cannot
 * be written any more), and unaligned ones need EXACTLY_ONCE. */
static void test_protocol_timeout_and_aligned_timeout_go_together(void)
{
    parse_fails("name: x\nexecution.checkpointing.aligned-checkpoint-timeout: 1ms\n" CHAIN,
                "t.yaml:2: execution.checkpointing.aligned-checkpoint-timeout: the alignment "
                "timeout switches checkpoints to unaligned");
    parse_fails("name: x\nexecution.checkpointing.mode: AT_LEAST_ONCE\n"
                "execution.checkpointing.unaligned: true\n" CHAIN,
                "t.yaml:3: execution.checkpointing.unaligned: unaligned checkpoints need "
                "execution.checkpointing.mode: EXACTLY_ONCE");
    sb_simscenario_t *s = parse_ok("name: x\nexecution.checkpointing.unaligned: true\n" CHAIN);
    CU_ASSERT_EQUAL(s->protocol, SB_SIM_UNALIGNED);
    CU_ASSERT_EQUAL(s->aligned_timeout_ns, 0);
    free(s);
    s = parse_ok("name: x\nexecution.checkpointing.mode: AT_LEAST_ONCE\n" CHAIN);
    CU_ASSERT_EQUAL(s->protocol, SB_SIM_AT_LEAST_ONCE);
    free(s);
}

static void test_topology_rules_are_enforced(void)
{
    parse_fails("name: x\n" STAGES "    - { name: map }\n    - { name: sink }\n",
                "the first stage must be a source");
    parse_fails("name: x\n" STAGES "    - { name: source }\n    - { name: map }\n",
                "a source first and at least one sink");
    parse_fails("name: x\n" STAGES "    - { name: source }\n    - { name: sink }\n"
                "    - { name: map }\n", "reads from the sink 'sink' (a sink feeds nothing)");
    parse_fails("name: x\n" STAGES "    - { name: source, parallelism: 2 }\n"
                "    - { name: sink, input: forward }\n", "input: forward needs the parallelism");
    parse_fails("name: x\n" STAGES "    - { name: source }\n    - { name: sink, from: nope }\n",
                "from: 'nope' is not a stage listed before this one");
    parse_fails("name: x\n" STAGES "    - { name: mapper }\n    - { name: sink }\n",
                "stage 'mapper' needs kind:");
    parse_fails("name: x\n" STAGES "    - { name: source }\n    - { name: source }\n"
                "    - { name: sink }\n", "a second stage named 'source'");
    parse_fails("name: x\n" STAGES "    - { name: source }\n"
                "    - { name: map, keep_every: 3 }\n    - { name: sink }\n",
                "keep_every is for filter stages");
    parse_fails("name: x\n" STAGES "    - { name: source, parallelism: 65 }\n"
                "    - { name: sink }\n", "must be between 1 and");
    parse_fails("name: x\n" STAGES "    - { name: source, parallelism: 16 }\n"
                "    - { name: map, parallelism: 16, input: rebalance }\n"
                "    - { name: filter, parallelism: 16, input: rebalance }\n"
                "    - { name: map2, kind: map, parallelism: 16, input: rebalance }\n"
                "    - { name: map3, kind: map, parallelism: 16, input: rebalance }\n"
                "    - { name: map4, kind: map, parallelism: 16, input: rebalance }\n"
                "    - { name: map5, kind: map, parallelism: 16, input: rebalance }\n"
                "    - { name: sink, parallelism: 16, input: rebalance }\n",
                "channels, more than");
}

static void test_without_input_a_stage_reads_forward_at_equal_parallelism_else_round_robin(void)
{
    sb_simscenario_t *s = parse_ok("name: x\n" STAGES "    - { name: source, parallelism: 2 }\n"
                                   "    - { name: map, parallelism: 2 }\n    - { name: sink }\n");
    CU_ASSERT_EQUAL(s->stages[1].input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s->stages[2].input, SB_CONNECTION_REBALANCE);
    free(s);
}

static void expect_same(const sb_simscenario_t *a, const sb_simscenario_t *b)
{
    CU_ASSERT_STRING_EQUAL(a->name, b->name);
    CU_ASSERT_EQUAL(a->protocol, b->protocol);
    CU_ASSERT_EQUAL(a->aligned_timeout_ns, b->aligned_timeout_ns);
    CU_ASSERT_EQUAL(a->records, b->records);
    CU_ASSERT_EQUAL(a->source_interval_ns, b->source_interval_ns);
    CU_ASSERT_EQUAL(a->checkpoint_interval_ns, b->checkpoint_interval_ns);
    CU_ASSERT_EQUAL(a->checkpoint_timeout_ns, b->checkpoint_timeout_ns);
    CU_ASSERT_EQUAL(a->max_concurrent, b->max_concurrent);
    CU_ASSERT_EQUAL(a->min_pause_ns, b->min_pause_ns);
    CU_ASSERT_EQUAL(a->tolerable_failed, b->tolerable_failed);
    CU_ASSERT_EQUAL(memcmp(&a->channel_delay, &b->channel_delay, sizeof a->channel_delay), 0);
    CU_ASSERT_EQUAL(a->channel_capacity, b->channel_capacity);
    CU_ASSERT_EQUAL(a->rpc_delay.min_ns, b->rpc_delay.min_ns);
    CU_ASSERT_EQUAL(a->restart_delay_ns, b->restart_delay_ns);
    CU_ASSERT_EQUAL(a->coordinator_tick_ns, b->coordinator_tick_ns);
    CU_ASSERT_EQUAL(a->sample_interval_ns, b->sample_interval_ns);
    CU_ASSERT_EQUAL(a->trace_records, b->trace_records);
    CU_ASSERT_EQUAL(a->seed, b->seed);
    CU_ASSERT_EQUAL(a->max_time_ns, b->max_time_ns);
    CU_ASSERT_EQUAL(a->max_events, b->max_events);
    CU_ASSERT_EQUAL(a->mutant, b->mutant);
    CU_ASSERT_EQUAL(a->fifo, b->fifo);
    CU_ASSERT_EQUAL_FATAL(a->stages_count, b->stages_count);
    for (int i = 0; i < a->stages_count; i++) {
        const sb_simscenario_stage_t *x = &a->stages[i], *y = &b->stages[i];
        CU_ASSERT_STRING_EQUAL(x->name, y->name);
        CU_ASSERT_EQUAL(x->kind, y->kind);
        CU_ASSERT_EQUAL(x->parallelism, y->parallelism);
        CU_ASSERT_EQUAL(x->kind == SB_STAGE_SOURCE || x->input == y->input, true);
        CU_ASSERT_EQUAL(x->from_count, y->from_count);
        CU_ASSERT_EQUAL(memcmp(x->from, y->from, sizeof x->from), 0);
        CU_ASSERT_EQUAL(x->keep_every, y->keep_every);
        CU_ASSERT_EQUAL(x->process_ns, y->process_ns);
    }
    CU_ASSERT_EQUAL(a->failure_detection_ns, b->failure_detection_ns);
    CU_ASSERT_EQUAL_FATAL(a->faults_count, b->faults_count);
    for (int i = 0; i < a->faults_count; i++) {
        const sb_simscenario_fault_t *x = &a->faults[i], *y = &b->faults[i];
        CU_ASSERT_EQUAL(x->kind, y->kind);
        CU_ASSERT_EQUAL(x->at_ns, y->at_ns);
        CU_ASSERT_EQUAL(x->for_ns, y->for_ns);
        CU_ASSERT_EQUAL(x->extra_ns, y->extra_ns);
        CU_ASSERT_EQUAL(x->process_ns, y->process_ns);
        CU_ASSERT_STRING_EQUAL(x->task, y->task);
        CU_ASSERT_EQUAL(x->stage, y->stage);
        CU_ASSERT_EQUAL(x->subtask, y->subtask);
        CU_ASSERT_EQUAL(x->process, y->process);
        CU_ASSERT_STRING_EQUAL(x->from, y->from);
        CU_ASSERT_STRING_EQUAL(x->to, y->to);
        CU_ASSERT_EQUAL(x->from_index, y->from_index);
        CU_ASSERT_EQUAL(x->to_index, y->to_index);
    }
}

/* Formats s and parses it back: the same values. */
static void expect_round_trip(const sb_simscenario_t *s)
{
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    sb_simscenario_t *back = parse_ok(text);
    expect_same(s, back);
    if (s->model == SB_SIM_MODEL_CLASSIC)
        CU_ASSERT_EQUAL(s->restart_delay_ns, back->restart_delay_ns);
    free(back);
    free(text);
}

#define DIAMOND STAGES "    - { name: source, parallelism: 2 }\n" \
                "    - { name: map, parallelism: 2, input: rebalance }\n" \
                "    - { name: sink, parallelism: 2, input: rebalance }\n"
#define CLASSIC "sim:\n  model: chandy-lamport\n"

static void test_pipeline_faults_parse_with_their_values_and_round_trip(void)
{
    sb_simscenario_t *s = parse_ok(
        "name: f\nsim:\n  failure_detection: 3ms\n" DIAMOND "faults:\n"
        "  - { do: { crash: task, task: map-1 }, at: 12ms }\n"
        "  - { do: { delay: spike, extra: 2ms, from: map, to: sink }, at: 10ms, for: 5ms }\n"
        "  - { do: { delay: spike, extra: 250us }, at: 1ms, for: 1ms }\n"
        "  - { do: { slow: sink-0, process_time: 300us }, at: 10ms, for: 20ms }\n"
        "  - { do: crash, at: 40ms }\n");
    CU_ASSERT_EQUAL(s->failure_detection_ns, 3000000);
    CU_ASSERT_EQUAL(s->faults[0].kind, SB_SIM_FAULT_CRASH_TASK);
    CU_ASSERT_EQUAL(s->faults[0].stage, 1);
    CU_ASSERT_EQUAL(s->faults[0].subtask, 1);
    CU_ASSERT_EQUAL(s->faults[1].kind, SB_SIM_FAULT_DELAY_SPIKE);
    CU_ASSERT_EQUAL(s->faults[1].for_ns, 5000000);
    CU_ASSERT_EQUAL(s->faults[1].extra_ns, 2000000);
    CU_ASSERT_EQUAL(s->faults[1].from_index, 1);
    CU_ASSERT_EQUAL(s->faults[1].to_index, 2);
    CU_ASSERT_EQUAL(s->faults[2].from_index, -1); /* every channel */
    CU_ASSERT_EQUAL(s->faults[2].to_index, -1);
    CU_ASSERT_EQUAL(s->faults[3].kind, SB_SIM_FAULT_SLOW);
    CU_ASSERT_EQUAL(s->faults[3].stage, 2);
    CU_ASSERT_EQUAL(s->faults[3].process_ns, 300000);
    CU_ASSERT_EQUAL(s->faults[4].kind, SB_SIM_FAULT_CRASH_JOB);
    expect_round_trip(s);
    free(s);
    s = parse_ok("name: d\n" DIAMOND);
    CU_ASSERT_EQUAL(s->failure_detection_ns, 1000000); /* the default */
    free(s);
}

static void test_classic_faults_parse_and_round_trip(void)
{
    sb_simscenario_t *s = parse_ok(
        "name: c\n" CLASSIC "  processes: 4\nrestart-strategy.fixed-delay.delay: 2ms\n"
        "faults:\n  - { do: { crash: process, process: 2 }, at: 3ms }\n"
        "  - { do: { delay: spike, extra: 1ms, from: 1, to: 2 }, at: 1ms, for: 2ms }\n");
    CU_ASSERT_EQUAL(s->faults[0].kind, SB_SIM_FAULT_CRASH_PROCESS);
    CU_ASSERT_EQUAL(s->faults[0].process, 2);
    CU_ASSERT_EQUAL(s->faults[1].from_index, 1);
    CU_ASSERT_EQUAL(s->faults[1].to_index, 2);
    CU_ASSERT_EQUAL(s->restart_delay_ns, 2000000);
    expect_round_trip(s);
    free(s);
}

#define FAULT(f) "name: x\n" DIAMOND "faults:\n  - " f "\n"
#define CL_FAULT(f) "name: x\n" CLASSIC "faults:\n  - " f "\n"

static void test_fault_errors_name_the_rule(void)
{
    parse_fails(FAULT("{ do: { crash: task, task: map-2 }, at: 1ms }"),
                "t.yaml:8: faults[0]: unknown task 'map-2' (a task is STAGE-N, N below the "
                "stage's parallelism: source-0..1, map-0..1, sink-0..1)");
    parse_fails(FAULT("{ do: { crash: task, task: reduce-0 }, at: 1ms }"),
                "unknown task 'reduce-0'");
    parse_fails(FAULT("{ do: { crash: task }, at: 1ms }"),
                "faults[0]: the keys of a crash: task fault: do: { crash: task, task: STAGE-N }");
    parse_fails(FAULT("{ do: { delay: spike, extra: 1ms }, at: 1ms }"),
                "a delay: spike fault needs 'for: D'");
    parse_fails(FAULT("{ do: { slow: map-0 }, at: 1ms, for: 1ms }"),
                "the keys of a slow fault: do: { slow: STAGE-N, process_time: D }");
    parse_fails(FAULT("{ do: { slow: source-0, process_time: 1ms }, at: 1ms, for: 1ms }"),
                "a source has no process_time");
    parse_fails(FAULT("{ do: { delay: spike, extra: 1ms }, at: 1ms, for: -1ms }"),
                "faults[0].for: bad duration '-1ms'");
    parse_fails(FAULT("{ do: { delay: spike, extra: 1ms }, at: 1ms, for: 0ms }"),
                "faults[0].for: must be more than 0");
    parse_fails(FAULT("{ do: crash, at: 1ms, for: 1ms }"),
                "a crash takes no 'for', 'count' or 'after'");
    parse_fails(FAULT("{ do: { crash: task, task: map-0, slow: map-0 }, at: 1ms }"),
                "t.yaml:8: faults[0].do.slow: one fault does one thing: 'crash' and 'slow' are "
                "two actions");
    parse_fails(FAULT("{ do: { delay: spike, extra: 1ms, from: filter }, at: 1ms, for: 1ms }"),
                "no stage 'filter' (stages: source, map, sink)");
    parse_fails(FAULT("{ do: { crash: process, process: 1 }, at: 1ms }"),
                "do: { crash: process } is a fault of model: chandy-lamport");
    parse_fails(CL_FAULT("{ do: { slow: P1, process_time: 1ms }, at: 1ms, for: 1ms }"),
                "do: { slow: STAGE-N } is not a fault of model: chandy-lamport (it knows do: "
                "{ crash: process } and do: { delay: spike })");
    parse_fails(CL_FAULT("{ do: crash, at: 1ms }"),
                "do: crash is not a fault of model: chandy-lamport");
    parse_fails("name: x\n" CLASSIC "  processes: 3\nfaults:\n"
                "  - { do: { crash: process, process: 3 }, at: 1ms }\n",
                "no process 3 (processes are 0..2)");
    parse_fails(CL_FAULT("{ do: { delay: spike, extra: 1ms, to: seven }, at: 1ms, for: 1ms }"),
                "no process 'seven'");
    parse_fails("name: x\n" CLASSIC "  failure_detection: 1ms\n",
                "t.yaml:4: sim.failure_detection: not a key of model: chandy-lamport");
}

/* A description with what YAML does not allow raw (found by fuzzing: a
 * "\\a" in double quotes became a BEL written raw) parses back the same. */
static void test_format_escapes_control_characters_of_the_description(void)
{
    sb_simscenario_t *s = parse_ok("name: esc\n"
                                   "description: \"bell \\a, tab \\t, del \\x7f, c1 \\u0080 "
                                   "nel \\u0085 ls \\u2028 bom \\ufeff end\"\n");
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    sb_simscenario_t *back = parse_ok(text);
    CU_ASSERT_STRING_EQUAL(back->description, s->description);
    CU_ASSERT_PTR_NOT_NULL(strstr(s->description, "\a"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\\x07"));
    free(back);
    free(text);
    free(s);
}

static void test_format_writes_a_file_that_parses_back_to_the_same_scenario(void)
{
    sb_simscenario_t *s = parse_ok(
        "name: round-trip\ndescription: a \"quoted\" one\n"
        "execution.checkpointing.unaligned: true\n"
        "execution.checkpointing.aligned-checkpoint-timeout: 1500us\n"
        "input: { records: 231 }\n"
        "execution.checkpointing.max-concurrent-checkpoints: 3\n"
        "trace: checkpoints\nmutant: restore-latest-triggered\n"
        "sim:\n"
        "  channel: { delay: exponential, min: 3us, mean: 250us, max: 2ms, capacity: 9 }\n"
        "  seed: 99\n  fifo: false\n"
        "pipeline:\n  stages:\n    - { name: clicks, kind: source, parallelism: 2 }\n"
        "    - { name: views, kind: source }\n"
        "    - { name: map, parallelism: 2, from: [clicks, views], input: hash }\n"
        "    - { name: filter, keep_every: 5, process_time: 7us }\n"
        "    - { name: sink }\n"
        "    - { name: audit, kind: sink, from: map, input: rebalance }\n" /* fan-out */
        "faults:\n  - { do: crash, at: 3ms }\n"
        "  - { do: crash, at: 4100us }\n");
    CU_ASSERT_EQUAL(s->records, 77); /* 231 over three source subtasks */
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    sb_simscenario_t *back = parse_ok(text);
    expect_same(s, back);
    CU_ASSERT_STRING_EQUAL(back->description, "a \"quoted\" one");
    CU_ASSERT_EQUAL(sb_simscenario_format(s, text, 40), -1); /* too small: refused */
    free(back);
    free(text);
    free(s);
}

static void test_classic_scenarios_parse_with_their_graph(void)
{
    sb_simscenario_t *s = parse_ok("name: r\n" CLASSIC "  processes: 3\n");
    CU_ASSERT_EQUAL(s->model, SB_SIM_MODEL_CLASSIC);
    CU_ASSERT_EQUAL(s->classic.edges_count, 3); /* a ring by default */
    CU_ASSERT_EQUAL(s->classic.edges[2][0], 2);
    CU_ASSERT_EQUAL(s->classic.edges[2][1], 0);
    CU_ASSERT_EQUAL(s->classic.initiators_count, 1);
    CU_ASSERT(s->classic.fifo);
    CU_ASSERT_EQUAL(s->classic.duration_ns, 4 * s->classic.snapshot_interval_ns);
    free(s);
    s = parse_ok("name: c\n" CLASSIC "  processes: 4\n  graph: complete\n"
                 "  initiators: [1, 3]\n  fifo: false\n");
    CU_ASSERT_EQUAL(s->classic.edges_count, 12);
    CU_ASSERT_EQUAL(s->classic.initiators[1], 3);
    CU_ASSERT_FALSE(s->classic.fifo);
    free(s);
    s = parse_ok("name: b\n" CLASSIC "  graph: bidirectional-ring\n");
    CU_ASSERT_EQUAL(s->classic.edges_count, 8);
    free(s);
}

static void test_classic_rules_are_enforced(void)
{
    parse_fails("name: x\n" CLASSIC "input:\n  records: 5\n",
                "t.yaml:5: input: not a key of model: chandy-lamport");
    parse_fails("name: x\n" CLASSIC "  source_interval: 5us\n",
                "t.yaml:4: sim.source_interval: not a key of model: chandy-lamport");
    parse_fails("name: x\nsim:\n  processes: 3\n" CHAIN,
                "t.yaml:3: sim.processes: a key of model: chandy-lamport");
    parse_fails("name: x\n" CLASSIC CHAIN, "a chandy-lamport scenario has processes");
    parse_fails("name: x\n" CLASSIC "  processes: 3\n"
                "  graph: [[0, 1], [1, 2]]\n  initiators: [1]\n",
                "process 0 cannot be reached from initiator 1");
    parse_fails("name: x\n" CLASSIC "  processes: 3\n"
                "  graph: [[0, 1], [1, 1]]\n", "a process does not send to itself");
    parse_fails("name: x\n" CLASSIC "  processes: 3\n"
                "  graph: [[0, 1], [1, 0], [0, 1]]\n", "channel [0, 1] twice");
    parse_fails("name: x\n" CLASSIC "  processes: 3\n  initiators: [5]\n",
                "no process 5");
    parse_fails("name: x\n" CLASSIC "mutant: snapshot-on-first-barrier\n",
                "knows none and drop-channel-state");
}

/* ------------------------------------------------------------ topology */

/* The topology of a scenario that must parse; *s gets the scenario. */
static sb_topology_t *topology_of(const char *yaml, sb_simscenario_t **s)
{
    *s = parse_ok(yaml);
    sb_topology_t *t = malloc(sizeof *t);
    sb_topology_build(t, *s);
    return t;
}

static void test_topology_wires_channels_as_the_runtime_numbers_them(void)
{
    sb_simscenario_t *s;
    sb_topology_t *t = topology_of(        "name: w\npipeline:\n  stages:\n"
        "    - { name: source, parallelism: 2 }\n"
        "    - { name: map, parallelism: 2, input: forward }\n"
        "    - { name: sink, parallelism: 3, input: rebalance }\n", &s);
    CU_ASSERT_EQUAL(t->tasks_count, 7);
    CU_ASSERT_EQUAL(t->channels_count, 2 + 6);
    CU_ASSERT_EQUAL(t->sources_count, 2);
    CU_ASSERT_EQUAL(t->sinks_count, 3);
    CU_ASSERT_STRING_EQUAL(t->tasks[0].name, "source-0");
    CU_ASSERT_STRING_EQUAL(t->tasks[3].name, "map-1");
    CU_ASSERT_STRING_EQUAL(t->tasks[6].name, "sink-2");
    /* forward: source-i -> map-i, channels 0 and 1 */
    CU_ASSERT_EQUAL(t->channels[1].from, 1);
    CU_ASSERT_EQUAL(t->channels[1].to, 3);
    /* rebalance: map-0 -> sink-0,1,2 (2,3,4), map-1 -> sink-0,1,2 (5,6,7) */
    CU_ASSERT_EQUAL(t->tasks[2].outputs_count, 3);
    CU_ASSERT_EQUAL(t->tasks[2].outputs[2], 4);
    CU_ASSERT_EQUAL(t->channels[5].from, 3);
    CU_ASSERT_EQUAL(t->channels[5].to, 4);
    CU_ASSERT_EQUAL(t->channels[5].to_input, 1); /* sink-0's second input */
    CU_ASSERT_EQUAL(t->tasks[4].inputs_count, 2);
    CU_ASSERT_EQUAL(t->tasks[4].inputs[0], 2);
    CU_ASSERT_EQUAL(t->tasks[4].inputs[1], 5);
    CU_ASSERT_EQUAL(t->tasks[0].partition, 0);
    CU_ASSERT_EQUAL(t->tasks[1].partition, 1);
    CU_ASSERT_EQUAL(t->tasks[2].partition, -1);
    free(t);
    free(s);
}

static void test_topology_merges_stages_and_keeps_each_path_to_the_sink(void)
{
    sb_simscenario_t *s;
    sb_topology_t *t = topology_of(        "name: m\npipeline:\n  stages:\n"
        "    - { name: a, kind: source, parallelism: 2 }\n"
        "    - { name: b, kind: source }\n"
        "    - { name: fa, kind: filter, from: a, input: forward, parallelism: 2, keep_every: 2 }\n"
        "    - { name: filter, from: [fa, b], input: hash, keep_every: 3 }\n"
        "    - { name: sink }\n", &s);
    CU_ASSERT_EQUAL(t->sources_count, 3);
    CU_ASSERT_EQUAL(t->tasks[2].partition, 2); /* b-0 after a-0, a-1 */
    /* filter-0 reads fa-0, fa-1 and b-0 */
    const sb_topology_task_t *f = &t->tasks[5];
    CU_ASSERT_STRING_EQUAL(f->name, "filter-0");
    CU_ASSERT_EQUAL(f->inputs_count, 3);
    /* a's records pass fa (every 2nd) and filter (every 3rd); b's only filter */
    CU_ASSERT(sb_topology_keeps(t, s, 0, 0, 6, NULL));
    CU_ASSERT_FALSE(sb_topology_keeps(t, s, 0, 0, 3, NULL));
    CU_ASSERT_FALSE(sb_topology_keeps(t, s, 0, 0, 4, NULL));
    CU_ASSERT(sb_topology_keeps(t, s, 1, 0, 3, NULL));
    CU_ASSERT_FALSE(sb_topology_keeps(t, s, 1, 0, 4, NULL));
    CU_ASSERT_EQUAL(t->paths_max, 1); /* no fan-out: ids are the partitions */
    CU_ASSERT_EQUAL(sb_topology_virtual_partition(t, 2, 0), 2);
    free(t);
    free(s);
}

static void test_fan_out_rules_are_enforced(void)
{
    /* b is listed after a reads it: from: may only name earlier stages,
     * which is what keeps the graph free of cycles. */
    parse_fails("name: x\npipeline:\n  stages:\n    - { name: source }\n"
                "    - { name: a, kind: map, from: b }\n    - { name: b, kind: map, from: a }\n"
                "    - { name: sink, from: b }\n",
                "from: 'b' is not a stage listed before this one (stages come upstream first: "
                "the graph has no cycle)");
    parse_fails("name: x\npipeline:\n  stages:\n    - { name: source }\n"
                "    - { name: a, kind: map, from: a }\n    - { name: sink }\n",
                "from: 'a' is not a stage listed before this one");
    parse_fails("name: x\npipeline:\n  stages:\n    - { name: source }\n"
                "    - { name: a, kind: map, from: source }\n"
                "    - { name: b, kind: map, from: source }\n    - { name: sink, from: a }\n",
                "t.yaml:6: pipeline.stages: 'b' feeds no stage");
    parse_fails("name: x\npipeline:\n  stages:\n    - { name: source }\n    - { name: sink }\n"
                "    - { name: audit, kind: sink, from: sink }\n",
                "t.yaml:6: pipeline.stages[2]: reads from the sink 'sink' (a sink feeds nothing)");
    parse_fails("name: x\npipeline:\n  stages:\n    - { name: source }\n    - { name: s2, kind: source }\n"
                "    - { name: sink, from: [source, s2] }\n"
                "    - { name: other, kind: source, from: sink }\n",
                "a source reads no stage");
    /* Four layers of two-way fan-out and merge: 2^4 = 16 paths fit, 2^5 not. */
    char yaml[2048];
    int o = snprintf(yaml, sizeof yaml, "name: x\npipeline:\n  stages:\n    - { name: s, kind: source }\n");
    const char *prev = "s";
    char names[6][2][8], both[6][32];
    for (int l = 0; l < 5; l++) {
        for (int k = 0; k < 2; k++) {
            snprintf(names[l][k], sizeof names[l][k], "m%d%d", l, k);
            o += snprintf(yaml + o, sizeof yaml - (size_t)o,
                          "    - { name: %s, kind: map, from: %s%s%s }\n", names[l][k],
                          l == 0 ? "" : "[", prev, l == 0 ? "" : "]");
        }
        snprintf(both[l], sizeof both[l], "%s, %s", names[l][0], names[l][1]);
        prev = both[l];
        if (l == 3) {
            char four[2048];
            snprintf(four, sizeof four, "%s    - { name: sink, from: [%s] }\n", yaml, prev);
            sb_simscenario_t *ok = parse_ok(four);
            free(ok);
        }
    }
    snprintf(yaml + o, sizeof yaml - (size_t)o, "    - { name: sink, from: [%s] }\n", prev);
    parse_fails(yaml, "32 paths lead from 's' to the sinks, more than 16");
}

static void test_topology_fans_out_into_groups_and_numbers_the_paths(void)
{
    sb_simscenario_t *s;
    sb_topology_t *t = topology_of(        "name: f\npipeline:\n  stages:\n"
        "    - { name: source, parallelism: 2 }\n"
        "    - { name: map, parallelism: 2 }\n"
        "    - { name: filter, from: map, parallelism: 3, input: hash, keep_every: 3 }\n"
        "    - { name: enrich, kind: map, from: map, input: rebalance }\n"
        "    - { name: sink, from: [filter, enrich], parallelism: 2, input: rebalance }\n"
        "    - { name: audit, kind: sink, from: enrich }\n", &s);
    /* source 2, map 2, filter 3, enrich 1, sink 2, audit 1 */
    CU_ASSERT_EQUAL(t->tasks_count, 11);
    /* map: 2 forward; filter: 2x3; enrich: 2x1; sink: 3x2 + 1x2; audit: 1 */
    CU_ASSERT_EQUAL(t->channels_count, 2 + 6 + 2 + 8 + 1);
    CU_ASSERT_EQUAL(t->sinks_count, 3);
    CU_ASSERT_EQUAL(t->tasks[8].sink, 0); /* sink-0, sink-1, audit-0: 0, 1, 2 */
    CU_ASSERT_EQUAL(t->tasks[10].sink, 2);
    CU_ASSERT_STRING_EQUAL(t->tasks[10].name, "audit-0");
    CU_ASSERT_EQUAL(t->tasks[2].sink, -1);
    /* map-0 feeds two stages: filter (3 channels, hash) then enrich (1) */
    const sb_topology_task_t *m = &t->tasks[2];
    CU_ASSERT_STRING_EQUAL(m->name, "map-0");
    CU_ASSERT_EQUAL(m->groups_count, 2);
    CU_ASSERT_EQUAL(m->outputs_count, 4);
    CU_ASSERT_EQUAL(m->groups[0].stage, 2);
    CU_ASSERT_EQUAL(m->groups[0].count, 3);
    CU_ASSERT_EQUAL(m->groups[0].connection, SB_CONNECTION_HASH);
    CU_ASSERT_EQUAL(m->groups[1].stage, 3);
    CU_ASSERT_EQUAL(m->groups[1].first, 3);
    CU_ASSERT_EQUAL(m->groups[1].count, 1);
    CU_ASSERT_EQUAL(m->groups[1].connection, SB_CONNECTION_REBALANCE);
    /* channels in the runtime's order: filter's (2..7) come before enrich's */
    CU_ASSERT_EQUAL(m->outputs[0], 2);
    CU_ASSERT_EQUAL(m->outputs[3], 8);
    CU_ASSERT_EQUAL(t->channels[8].to, 7); /* enrich-0 */
    /* one channel per consuming stage: the route stays in its group */
    for (int64_t off = 0; off < 50; off++) {
        int o = sb_topology_route(m, 0, 0, off, 0);
        CU_ASSERT(o >= 0 && o < 3);
        CU_ASSERT_EQUAL(sb_topology_route(m, 1, 0, off, (unsigned)off), 3);
    }
    /* enrich-0 feeds sink (2 channels) then audit (1) */
    CU_ASSERT_EQUAL(t->tasks[7].groups_count, 2);
    CU_ASSERT_EQUAL(t->tasks[7].groups[1].path_base, 1);
    /* paths: filter->sink 0, enrich->sink 1, enrich->audit 2 */
    CU_ASSERT_EQUAL(t->paths[0], 3);
    CU_ASSERT_EQUAL(t->paths[3], 2);
    CU_ASSERT_EQUAL(t->paths_max, 3);
    CU_ASSERT_EQUAL(m->groups[0].path_base, 0);
    CU_ASSERT_EQUAL(m->groups[1].path_base, 1);
    CU_ASSERT_EQUAL(sb_topology_virtual_partition(t, 1, 2), 5);
    int sink = -1;
    CU_ASSERT(sb_topology_keeps(t, s, 0, 0, 3, &sink));
    CU_ASSERT_EQUAL(sink, 4);
    CU_ASSERT_FALSE(sb_topology_keeps(t, s, 0, 0, 4, NULL));
    CU_ASSERT(sb_topology_keeps(t, s, 0, 1, 4, &sink));
    CU_ASSERT_EQUAL(sink, 4);
    CU_ASSERT(sb_topology_keeps(t, s, 0, 2, 4, &sink));
    CU_ASSERT_EQUAL(sink, 5);
    free(t);
    free(s);
}

static void test_routing_forward_rebalance_hash(void)
{
    /* One group of three channels after a group of two: indexes are the
     * sender's outputs, within the group asked for. */
    sb_topology_task_t t = { .groups_count = 2 };
    t.groups[0] = (sb_topology_group_t){ .connection = SB_CONNECTION_HASH, .first = 0, .count = 2 };
    t.groups[1] = (sb_topology_group_t){ .connection = SB_CONNECTION_REBALANCE, .first = 2,
                                         .count = 3 };
    CU_ASSERT_EQUAL(sb_topology_route(&t, 1, 0, 9, 0), 2);
    CU_ASSERT_EQUAL(sb_topology_route(&t, 1, 0, 9, 4), 3);
    t.groups[1] = (sb_topology_group_t){ .connection = SB_CONNECTION_FORWARD, .first = 2,
                                         .count = 1 };
    CU_ASSERT_EQUAL(sb_topology_route(&t, 1, 3, 9, 7), 2);
    CU_ASSERT(sb_topology_route(&t, 0, 3, 9, 7) < 2);
    t.groups_count = 1;
    t.groups[0] = (sb_topology_group_t){ .connection = SB_CONNECTION_HASH, .first = 0, .count = 4 };
    int hits[4] = { 0 };
    for (int64_t off = 0; off < 4000; off++) {
        int o = sb_topology_route(&t, 0, 1, off, 0);
        CU_ASSERT(o >= 0 && o < 4);
        CU_ASSERT_EQUAL(o, sb_topology_route(&t, 0, 1, off, 99)); /* by key alone */
        hits[o]++;
    }
    for (int o = 0; o < 4; o++)
        CU_ASSERT(hits[o] > 800);
}

/* ------------------------------------------------- the one language */

/* The short form's job (source -> map -> filter [-> count] -> sink, each
 * reading the one before) with faults a real run has too: what snapbed run
 * runs as well. */
static bool linear_for_both(const sb_simscenario_t *s)
{
    static const char *const names[] = { "source", "map", "filter", "count", "sink" };
    bool count = s->stages_count == 5;
    if (s->model != SB_SIM_MODEL_PIPELINE || (s->stages_count != 4 && !count))
        return false;
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        if (strcmp(st->name, names[i < 3 || count ? i : i + 1]) != 0 ||
            (i > 0 && (st->from_count != 1 || st->from[0] != i - 1)))
            return false;
    }
    for (int i = 0; i < s->faults_count; i++)
        if (s->faults[i].kind == SB_SIM_FAULT_CRASH_TASK || s->faults[i].kind == SB_SIM_FAULT_SLOW ||
            s->faults[i].kind == SB_SIM_FAULT_DELAY_SPIKE)
            return false;
    return true;
}

/* Every file of scenarios/ (globbed now, so a new one is covered): it
 * parses; one that the simulator can run formats to a text that parses back
 * to the same values; one for snapbed run only is refused by the simulator
 * with one sentence naming the command it is for. */
static void test_every_scenario_file_parses_and_round_trips_through_format(void)
{
    glob_t g;
    CU_ASSERT_EQUAL_FATAL(glob("scenarios/*.yaml", 0, NULL, &g), 0);
    CU_ASSERT_EQUAL(glob("scenarios/*/*.yaml", GLOB_APPEND, NULL, &g), 0);
    CU_ASSERT(g.gl_pathc >= 50);
    sb_scenario_t *sc = malloc(sizeof *sc);
    sb_simscenario_t *s = malloc(sizeof *s);
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    int simulated = 0, refused = 0, linears = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *file = g.gl_pathv[i];
        sb_err_t err = { { 0 } };
        int rc = sb_scenario_load(sc, file, &err);
        if (rc != 0)
            fprintf(stderr, "\n    %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        rc = sb_simscenario_from_scenario(s, sc, NULL, 0, &err);
        if (sc->runs == SB_RUNS_REAL_ONLY) {
            CU_ASSERT_EQUAL(rc, -1);
            ASSERT_HAS(err.msg, " is for snapbed run only: ");
            CU_ASSERT_PTR_NULL(strchr(err.msg, '\n'));
            refused++;
            continue;
        }
        if (rc != 0)
            fprintf(stderr, "\n    %s\n", err.msg);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
        sb_simscenario_t *back = malloc(sizeof *back);
        rc = sb_simscenario_parse(back, file, text, &err);
        if (rc != 0)
            fprintf(stderr, "\n    %s: %s\n", file, err.msg);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        expect_same(s, back);
        CU_ASSERT_EQUAL(s->restart_delay_ns, back->restart_delay_ns);
        free(back);
        simulated++;
        /* Which command the written file is for: both when the job is
         * linear and has no sim-only fault, else snapbed sim only. */
        bool linear = linear_for_both(s);
        sb_scenario_t *again = malloc(sizeof *again);
        rc = sb_scenario_parse(again, file, text, &err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        if (linear) {
            CU_ASSERT_PTR_NULL(strstr(text, "stages:"));
            CU_ASSERT_PTR_NULL(strstr(text, "\nmode:"));
            if (again->runs != SB_RUNS_BOTH)
                fprintf(stderr, "\n    %s: formatted, snapbed run refuses it: %s\n", file,
                        again->runs_why);
            CU_ASSERT_EQUAL(again->runs, SB_RUNS_BOTH);
            linears++;
        } else {
            CU_ASSERT(strstr(text, "stages:") != NULL || s->model == SB_SIM_MODEL_CLASSIC);
            CU_ASSERT_EQUAL(again->runs, SB_RUNS_SIM_ONLY);
            CU_ASSERT(again->runs_why[0] != '\0');
            CU_ASSERT_PTR_NULL(strchr(again->runs_why, '\n'));
        }
        /* A file both commands run, with no fault the simulator makes up
         * (a throttle becomes slow faults), stays one both commands run. */
        bool throttled = false;
        for (int f = 0; f < sc->faults_count; f++)
            throttled |= sc->faults[f].kind == SB_FAULT_THROTTLE;
        if (sc->runs == SB_RUNS_BOTH && !throttled)
            CU_ASSERT(linear);
        free(again);
    }
    CU_ASSERT(simulated >= 40);
    CU_ASSERT(refused >= 5);
    CU_ASSERT(linears >= 15);
    free(text);
    free(s);
    free(sc);
    globfree(&g);
}

static sb_scenario_t *parse_shared(const char *path, const char *text)
{
    sb_scenario_t *sc = malloc(sizeof *sc);
    sb_err_t err = { { 0 } };
    int rc = sb_scenario_parse(sc, path, text, &err);
    if (rc != 0)
        fprintf(stderr, "\n    unexpected error: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return sc;
}

/* What snapbed sim --shrink writes for a linear job with a crash point: the
 * short form, no mode: sim, and both commands accept it (snapbed run
 * refuses a file whose runs is SB_RUNS_SIM_ONLY; snapbed sim converts it). */
static void test_a_shrunk_linear_job_formats_to_a_file_both_commands_run(void)
{
    sb_simscenario_t *s = parse_ok(
        "name: linear\ninput: { records: 3000 }\n"
        "execution.checkpointing.interval: 4ms\nmutant: commit-before-complete\n"
        "pipeline:\n  parallelism: 2\n  source: { records_per_s: 20000 }\n"
        "  filter: { parallelism: 1 }\n"
        "faults:\n  - { do: crash, at: { point: sink.after_commit, checkpoint: 3 } }\n"
        "  - { do: crash, at: 13ms }\n  - { do: pause, at: 20ms, for: 2ms }\n");
    /* as shrink and cli/sim.c leave it: fewer records, a fault dropped,
     * another name and description */
    s->records /= 2;
    s->faults[1] = s->faults[2];
    s->faults_count = 2;
    snprintf(s->name, sizeof s->name, "linear-shrunk");
    snprintf(s->description, sizeof s->description, "t.yaml, seed 7, shrunk by snapbed sim "
             "--shrink");
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    CU_ASSERT_PTR_NULL(strstr(text, "stages:"));
    CU_ASSERT_PTR_NULL(strstr(text, "\nmode:"));
    ASSERT_HAS(text, "  filter: { parallelism: 1, input: rebalance, fn: \"startswith:A\" }\n");
    ASSERT_HAS(text, "do: crash, at: { point: sink.after_commit, checkpoint: 3 }");
    sb_scenario_t *sc = parse_shared("shrunk.yaml", text);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_BOTH);          /* snapbed run takes it */
    CU_ASSERT_EQUAL(sc->stages_count, 0);
    CU_ASSERT_EQUAL(sc->records, 1500);
    CU_ASSERT_EQUAL(sc->source.parallelism, 2);
    CU_ASSERT_EQUAL(sc->filter.parallelism, 1);
    CU_ASSERT_EQUAL(sc->sink.input, SB_CONNECTION_REBALANCE);
    CU_ASSERT_EQUAL(sc->source_records_per_s, 20000); /* the real run's pace */
    CU_ASSERT_EQUAL(sc->faults[0].trigger, SB_TRIGGER_CRASH_POINT);
    CU_ASSERT_EQUAL(sc->faults[0].point, SB_POINT_SINK_AFTER_COMMIT);
    CU_ASSERT_EQUAL(sc->faults[0].checkpoint_id, 3);
    sb_simscenario_t *back = malloc(sizeof *back);
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_from_scenario(back, sc, NULL, 0, &err), 0);
    expect_same(s, back);                                /* snapbed sim takes it too */
    CU_ASSERT_EQUAL(back->faults[0].kind, SB_SIM_FAULT_CRASH_POINT);
    CU_ASSERT_EQUAL(back->faults[0].point, SB_POINT_SINK_AFTER_COMMIT);
    CU_ASSERT_EQUAL(back->faults[0].point_trigger, SB_POINT_AT_CHECKPOINT);
    CU_ASSERT_EQUAL(back->faults[0].checkpoint_id, 3);
    CU_ASSERT_EQUAL(back->faults[1].kind, SB_SIM_FAULT_PAUSE);
    free(back);
    free(sc);
    free(s);

    /* count, a filter keeping every 5th, process times, more source
     * subtasks than Kafka's default partitions */
    s = parse_ok("name: wide\ninput: { records: 600, partitions: 8 }\n"
                 "pipeline:\n  source: { parallelism: 6 }\n  map: { parallelism: 6 }\n"
                 "  filter: { parallelism: 3, input: hash }\n  count: { parallelism: 3 }\n"
                 "  sink: { parallelism: 1 }\n"
                 "sim:\n  keep_every: 5\n  process_time: { map: 20us, count: 7us }\n"
                 "  source_interval: 70us\n"
                 "faults:\n  - { do: crash, random: 2 }\n"
                 "  - { do: crash, at: { point: sink.after_commit, hit: 2 } }\n");
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    CU_ASSERT_PTR_NULL(strstr(text, "stages:"));
    sc = parse_shared("shrunk.yaml", text);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_BOTH);
    CU_ASSERT(sc->count_enabled);
    CU_ASSERT(sc->partitions >= 6);
    back = malloc(sizeof *back);
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_from_scenario(back, sc, NULL, 0, &err), 0);
    expect_same(s, back);
    CU_ASSERT_EQUAL(back->stages[2].keep_every, 5);
    CU_ASSERT_EQUAL(back->stages[3].process_ns, 7000);
    CU_ASSERT_EQUAL(back->faults[0].count, 2);
    CU_ASSERT_EQUAL(back->faults[1].hit, 2);
    free(back);
    free(sc);
    free(s);
    free(text);
}

#define LINEAR_MUTANT(pipeline)                                                  \
    "name: lin\nmutant: commit-before-complete\ninput: { records: 600 }\n"            \
    "execution.checkpointing.interval: 3ms\nexecution.checkpointing.timeout: 1s\n"   \
    "execution.checkpointing.tolerable-failed-checkpoints: 10\n"                     \
    "restart-strategy.fixed-delay.delay: 1ms\n" pipeline                             \
    "faults:\n  - { do: crash, at: { point: sink.after_commit, checkpoint: 3 } }\n"  \
    "  - { do: crash, at: 21ms }\n"

/* Shrinking a file both commands run gives a file both commands run: the
 * map and the filter stay; the same job written as pipeline.stages (for
 * snapbed sim only) may lose them. */
static void test_shrink_keeps_a_file_both_commands_run_one_both_commands_run(void)
{
    sb_simscenario_t *s = parse_ok(LINEAR_MUTANT("pipeline:\n  parallelism: 2\n"));
    CU_ASSERT(s->runs_both);
    CU_ASSERT(sb_simscenario_short_form(s));
    sb_simscenario_t *small = malloc(sizeof *small);
    sb_shrink_report_t rep;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_shrink_run(s, 1, small, &rep, NULL, NULL, &err), 1);
    CU_ASSERT(rep.events_after < rep.events_before);
    CU_ASSERT_EQUAL(small->stages_count, 4);
    CU_ASSERT(sb_simscenario_short_form(small));
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT_FATAL(sb_simscenario_format(small, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    CU_ASSERT_PTR_NULL(strstr(text, "stages:"));
    sb_scenario_t *sc = parse_shared("shrunk.yaml", text);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_BOTH);
    free(sc);
    free(s);
    s = parse_ok(LINEAR_MUTANT(STAGES "    - { name: source, parallelism: 2 }\n"
                               "    - { name: map, parallelism: 2 }\n"
                               "    - { name: filter, parallelism: 2 }\n"
                               "    - { name: sink, parallelism: 2 }\n"));
    CU_ASSERT_FALSE(s->runs_both);
    CU_ASSERT_EQUAL_FATAL(sb_shrink_run(s, 1, small, &rep, NULL, NULL, &err), 1);
    CU_ASSERT(small->stages_count <= 4);
    free(text);
    free(small);
    free(s);
}

/* A DAG with a merge, or a linear job with a fault only the simulator has,
 * keeps pipeline.stages and mode: sim; snapbed run refuses the file with
 * its one sentence. */
static void test_a_merge_or_a_sim_only_fault_formats_to_a_file_for_snapbed_sim_only(void)
{
    sb_simscenario_t *s = parse_ok(
        "name: merge\n" STAGES "    - { name: clicks, kind: source, parallelism: 2 }\n"
        "    - { name: views, kind: source }\n"
        "    - { name: map, parallelism: 2, from: [clicks, views], input: rebalance }\n"
        "    - { name: filter, parallelism: 2 }\n    - { name: sink, input: rebalance }\n"
        "faults:\n  - { do: crash, at: { point: sink.after_commit, checkpoint: 3 } }\n");
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    ASSERT_HAS(text, "mode: sim\n");
    ASSERT_HAS(text, "pipeline:\n  stages:\n");
    ASSERT_HAS(text, "from: [clicks, views]");
    sb_scenario_t *sc = parse_shared("shrunk.yaml", text);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_SIM_ONLY);
    CU_ASSERT_STRING_EQUAL(sc->runs_why, "the real engine runs source -> map -> filter "
                           "[-> count] -> sink only (pipeline's short form), not pipeline.stages");
    free(sc);
    expect_round_trip(s);
    free(s);

    s = parse_ok("name: slow\npipeline:\n  parallelism: 2\n"
                 "faults:\n  - { do: { slow: map-1, process_time: 1ms }, at: 5ms, for: 2ms }\n");
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    ASSERT_HAS(text, "mode: sim\n");
    ASSERT_HAS(text, "pipeline:\n  stages:\n");
    sc = parse_shared("shrunk.yaml", text);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_SIM_ONLY);
    CU_ASSERT_PTR_NULL(strchr(sc->runs_why, '\n'));
    free(sc);
    expect_round_trip(s);
    free(s);

    /* a linear job without a filter is not the short form's */
    s = parse_ok("name: nofilter\n" DIAMOND);
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, SB_SIMSCENARIO_TEXT_MAX) > 0);
    ASSERT_HAS(text, "pipeline:\n  stages:\n");
    free(s);
    free(text);
}

/* Which command a file is for, and the one sentence of the other. */
static void test_a_file_for_one_command_is_refused_by_the_other_in_one_sentence(void)
{
    sb_scenario_t *sc = malloc(sizeof *sc);
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml", "name: x\n" DIAMOND "faults:\n"
                                            "  - { do: { crash: task, task: map-1 }, at: 5ms }\n",
                                            &err), 0);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_SIM_ONLY);
    /* pipeline.stages comes first: the real engine runs the short form only */
    ASSERT_HAS(sc->runs_why, "not pipeline.stages");
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml", "name: x\nfaults:\n"
                                            "  - { do: { slow: map-0, process_time: 1ms }, at: "
                                            "5ms, for: 1ms }\n", &err), 0);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_SIM_ONLY);
    CU_ASSERT_STRING_EQUAL(sc->runs_why, "faults[0] (slow) has no real counterpart");
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml", "name: x\nfaults:\n"
                                            "  - { do: { broker: rtt, ms: 5 }, at: 1s, "
                                            "for: 1s }\n", &err), 0);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_REAL_ONLY);
    sb_simscenario_t *s = malloc(sizeof *s);
    CU_ASSERT_EQUAL(sb_simscenario_from_scenario(s, sc, NULL, 0, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "t.yaml is for snapbed run only: faults[0] (broker) needs "
                           "Kafka");
    /* A shared file runs in both; mode: narrows it, never widens it. */
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml", "name: x\nmode: sim\n", &err), 0);
    CU_ASSERT_EQUAL(sc->runs, SB_RUNS_SIM_ONLY);
    CU_ASSERT_STRING_EQUAL(sc->runs_why, "it says mode: sim");
    CU_ASSERT_EQUAL(sb_scenario_parse(sc, "t.yaml", "name: x\nmode: sim\nfaults:\n"
                                      "  - { do: { broker: rtt, ms: 5 }, at: 1s, for: 1s }\n",
                                      &err), -1);
    ASSERT_HAS(err.msg, "t.yaml:2: mode: this scenario is for snapbed run only: faults[0] "
               "(broker) needs Kafka");
    CU_ASSERT_EQUAL(sb_scenario_parse(sc, "t.yaml", "name: x\nmode: always\n", &err), -1);
    ASSERT_HAS(err.msg, "t.yaml:2: mode: unknown mode 'always' (sim, run, both)");
    CU_ASSERT_EQUAL(sb_scenario_parse(sc, "t.yaml", "name: x\nfaults:\n"
                                      "  - { do: { slow: map-0, process_time: 1ms }, at: 5ms, "
                                      "for: 1ms }\n  - { do: crash-loop, at: 1s, count: 2, "
                                      "after: 100ms }\n", &err), -1);
    ASSERT_HAS(err.msg, "neither command can run this");
    free(s);
    free(sc);
}

/* What the simulator maps or ignores, one note a line. */
static void test_the_simulator_notes_what_it_maps_or_ignores(void)
{
    sb_scenario_t *sc = malloc(sizeof *sc);
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_err_t err = { { 0 } };
    char notes[SB_SIMSCENARIO_NOTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml",
        "name: x\ninput: { records: 1000, topic: words }\n"
        "pipeline:\n  parallelism: 2\n  source: { records_per_s: 20000 }\n  count: true\n"
        "state.checkpoints.num-retained: 2\n"
        "faults:\n  - { do: { throttle: sink, records_per_s: 1000 }, at: 5ms, for: 5ms }\n",
        &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_from_scenario(s, sc, notes, sizeof notes, &err), 0);
    ASSERT_HAS(notes, "note: pipeline.source.records_per_s 20000 is simulated as one record "
               "every 100000ns per source subtask (sim.source_interval)\n");
    ASSERT_HAS(notes, "note: pipeline.count is simulated as a map");
    ASSERT_HAS(notes, "note: faults[0]: throttle sink is simulated as a slow fault on each of "
               "its subtasks (process_time 2000us)\n");
    ASSERT_HAS(notes, "note: snapbed sim ignores what only a real run means: input.topic\n");
    CU_ASSERT_EQUAL(s->num_retained, 2); /* checkpoint storage is the runtime's: it retains */
    CU_ASSERT_EQUAL(s->source_interval_ns, 100000);
    CU_ASSERT_EQUAL(s->faults_count, 2); /* one slow fault per sink subtask */
    /* A file that states only what both commands mean gets no note. */
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml", "name: x\n" CHAIN, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_from_scenario(s, sc, notes, sizeof notes, &err), 0);
    CU_ASSERT_STRING_EQUAL(notes, "");
    free(s);
    free(sc);
}

static void test_pipeline_parallelism_is_the_default_of_pipeline_stages(void)
{
    sb_simscenario_t *s = parse_ok("name: x\npipeline:\n  parallelism: 3\n  stages:\n"
                                   "    - { name: source }\n    - { name: map }\n"
                                   "    - { name: sink, parallelism: 1 }\n");
    CU_ASSERT_EQUAL(s->stages[0].parallelism, 3);
    CU_ASSERT_EQUAL(s->stages[1].parallelism, 3);
    CU_ASSERT_EQUAL(s->stages[1].input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s->stages[2].parallelism, 1);
    free(s);
    s = parse_ok("name: x\n" STAGES "    - { name: source }\n    - { name: sink }\n");
    CU_ASSERT_EQUAL(s->stages[0].parallelism, 1); /* without it: 1 */
    CU_ASSERT_EQUAL(s->stages[1].parallelism, 1);
    free(s);
}

static void test_max_time_applies_in_both_models(void)
{
    sb_simscenario_t *s = parse_ok("name: c\n" CLASSIC "  max_time: 1ms\n");
    CU_ASSERT_EQUAL(s->max_time_ns, 1000000);
    free(s);
    s = parse_ok("name: c\n" CLASSIC);
    CU_ASSERT_EQUAL(s->max_time_ns, INT64_C(10000000000)); /* the classic default */
    free(s);
    s = parse_ok("name: x\n" CHAIN "sim:\n  max_time: 3ms\n");
    CU_ASSERT_EQUAL(s->max_time_ns, 3000000);
    free(s);
}

static void test_fault_messages_use_the_words_of_the_file(void)
{
    parse_fails(FAULT("{ do: { crash: process, process: 1 }, at: 1ms }"),
                "t.yaml:8: faults[0]: do: { crash: process } is a fault of model: chandy-lamport "
                "(a pipeline knows do: crash at a time, a crash point, random kills, do: pause, "
                "a throttle or stall, do: { crash: task }, do: { slow: STAGE-N } and do: { delay: "
                "spike })");
    parse_fails(CL_FAULT("{ do: pause, at: 1ms, for: 1ms }"),
                "do: pause is not a fault of model: chandy-lamport (it knows do: { crash: "
                "process } and do: { delay: spike })");
    parse_fails(CL_FAULT("{ do: crash, at: { point: sink.after_snapshot, checkpoint: 1 } }"),
                "crash point is not a fault of model: chandy-lamport");
    parse_fails(CL_FAULT("{ do: { throttle: sink, records_per_s: 10 }, at: 1ms, for: 1ms }"),
                "a throttle or stall is not a fault of model: chandy-lamport (it knows do: { "
                "crash: process } and do: { delay: spike })");
    CU_ASSERT_STRING_EQUAL(sb_simscenario_fault_kind_name(SB_SIM_FAULT_CRASH_TASK),
                           "do: { crash: task }");
    CU_ASSERT_STRING_EQUAL(sb_simscenario_fault_kind_name(SB_SIM_FAULT_CRASH_RANDOM),
                           "random kills");
}

static void test_the_simulator_notes_partitions_seed_map_and_secret_key(void)
{
    sb_scenario_t *sc = malloc(sizeof *sc);
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_err_t err = { { 0 } };
    char notes[SB_SIMSCENARIO_NOTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml",
        "name: x\ninput: { records: 1000, partitions: 8, seed: 7 }\n"
        "pipeline:\n  parallelism: 2\n  map: identity\n"
        "s3.secret-key: hush\n", &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_from_scenario(s, sc, notes, sizeof notes, &err), 0);
    ASSERT_HAS(notes, "note: snapbed sim ignores what only a real run means: s3.*, input.seed "
               "(the simulated records are their offsets), pipeline.map.fn (the simulated map "
               "passes every record on unchanged)\n");
    ASSERT_HAS(notes, "note: input.partitions 8 is simulated as one virtual partition per "
               "source subtask (2)\n");
    /* Defaults, or partitions equal to the source subtasks: no note. */
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(sc, "t.yaml",
        "name: x\ninput: { partitions: 2, seed: 42 }\npipeline:\n  parallelism: 2\n"
        "  map: uppercase\n", &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_simscenario_from_scenario(s, sc, notes, sizeof notes, &err), 0);
    CU_ASSERT_PTR_NULL(strstr(notes, "ignores"));
    CU_ASSERT_PTR_NULL(strstr(notes, "input.partitions"));
    free(s);
    free(sc);
}

static void test_a_crash_at_0s_is_accepted_as_in_a_real_run(void)
{
    sb_simscenario_t *s = parse_ok("name: x\ninput: { records: 100 }\n"
                                   "faults:\n  - { do: crash, at: 0s }\n");
    CU_ASSERT_EQUAL(s->faults_count, 1);
    CU_ASSERT_EQUAL(s->faults[0].kind, SB_SIM_FAULT_CRASH_JOB);
    CU_ASSERT_EQUAL(s->faults[0].at_ns, 0);
    CU_ASSERT(s->runs_both);
    char text[SB_SIMSCENARIO_TEXT_MAX];
    CU_ASSERT_FATAL(sb_simscenario_format(s, text, sizeof text) > 0);
    ASSERT_HAS(text, "do: crash, at: 0s");
    sb_simscenario_t *back = parse_ok(text);
    CU_ASSERT_EQUAL(back->faults[0].at_ns, 0);
    free(back);
    free(s);
}

void test_sim_scenario_register(void)
{
    static const sb_test_case_t cases[] = {
        { "the issue's example parses with its values",
          test_the_issue_example_parses_with_its_values },
        { "defaults fill every key not given", test_defaults_fill_every_key_not_given },
        { "every mutant of the fault harness parses and others are refused",
          test_every_mutant_of_the_fault_harness_parses_and_others_are_refused },
        { "fifo: false makes pipeline channels reorder",
          test_fifo_false_makes_pipeline_channels_reorder },
        { "errors name file, line and key", test_errors_name_file_line_and_key },
        { "delay distributions need their parameters",
          test_delay_distributions_need_their_parameters },
        { "protocol timeout and aligned_timeout go together",
          test_protocol_timeout_and_aligned_timeout_go_together },
        { "topology rules are enforced", test_topology_rules_are_enforced },
        { "without input: a stage reads forward at equal parallelism, else round-robin",
          test_without_input_a_stage_reads_forward_at_equal_parallelism_else_round_robin },
        { "classic scenarios parse with their graph",
          test_classic_scenarios_parse_with_their_graph },
        { "classic rules are enforced", test_classic_rules_are_enforced },
        { "pipeline faults parse with their values and round-trip",
          test_pipeline_faults_parse_with_their_values_and_round_trip },
        { "classic faults parse and round-trip", test_classic_faults_parse_and_round_trip },
        { "fault errors name the rule", test_fault_errors_name_the_rule },
        { "format writes a file that parses back to the same scenario",
          test_format_writes_a_file_that_parses_back_to_the_same_scenario },
        { "format escapes control characters of the description",
          test_format_escapes_control_characters_of_the_description },
        { "topology wires channels as the runtime numbers them",
          test_topology_wires_channels_as_the_runtime_numbers_them },
        { "topology merges stages and keeps each path to the sink",
          test_topology_merges_stages_and_keeps_each_path_to_the_sink },
        { "routing: forward, rebalance, hash", test_routing_forward_rebalance_hash },
        { "fan-out rules are enforced", test_fan_out_rules_are_enforced },
        { "topology fans out into groups and numbers the paths",
          test_topology_fans_out_into_groups_and_numbers_the_paths },
        { "every scenario file parses and round-trips through format",
          test_every_scenario_file_parses_and_round_trips_through_format },
        { "a shrunk linear job formats to a file both commands run",
          test_a_shrunk_linear_job_formats_to_a_file_both_commands_run },
        { "shrink keeps a file both commands run one both commands run",
          test_shrink_keeps_a_file_both_commands_run_one_both_commands_run },
        { "a merge or a sim-only fault formats to a file for snapbed sim only",
          test_a_merge_or_a_sim_only_fault_formats_to_a_file_for_snapbed_sim_only },
        { "a file for one command is refused by the other in one sentence",
          test_a_file_for_one_command_is_refused_by_the_other_in_one_sentence },
        { "the simulator notes what it maps or ignores",
          test_the_simulator_notes_what_it_maps_or_ignores },
        { "pipeline.parallelism is the default of pipeline.stages",
          test_pipeline_parallelism_is_the_default_of_pipeline_stages },
        { "sim.max_time applies in both models", test_max_time_applies_in_both_models },
        { "fault messages use the words of the file",
          test_fault_messages_use_the_words_of_the_file },
        { "the simulator notes partitions, seed, map and the secret key",
          test_the_simulator_notes_partitions_seed_map_and_secret_key },
        { "a crash at 0s is accepted as in a real run",
          test_a_crash_at_0s_is_accepted_as_in_a_real_run },
        { NULL, NULL },
    };
    sb_test_add_suite("sim scenario and topology", cases);
}
