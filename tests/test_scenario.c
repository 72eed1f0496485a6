/* test_scenario.c — the scenario file format, as a specification.
 *
 * Valid documents must fill every field as written or defaulted; invalid ones
 * must fail with "FILE:LINE: KEY: what is wrong", so most tests check the
 * exact line and dotted key in the message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_helpers.h"
#include "input.h"
#include "scenario.h"

#define MS(n) ((int64_t)(n) * 1000 * 1000)
#define S(n) (MS(n) * 1000)

/* Checks a message contains `needle`, and shows the message when it does not. */
#define ASSERT_STARTS(msg, head)                                             \
    do {                                                                     \
        if (strncmp((msg), (head), strlen(head)) != 0)                       \
            fprintf(stderr, "\n    message: %s\n    expected start: %s\n",   \
                    (msg), (head));                                          \
        CU_ASSERT_EQUAL(strncmp((msg), (head), strlen(head)), 0);            \
    } while (0)

static int parse(sb_scenario_t *s, const char *yaml, sb_err_t *err)
{
    memset(err, 0, sizeof *err);
    int rc = sb_scenario_parse(s, "scenarios/x.yaml", yaml, err);
    if (rc != 0 && err->msg[0] == '\0')
        fprintf(stderr, "\n    failure without a message\n");
    return rc;
}

/* Parses a document expected to be valid; prints the error if it is not. */
static int parse_ok(sb_scenario_t *s, const char *yaml)
{
    sb_err_t err;
    int rc = parse(s, yaml, &err);
    if (rc != 0)
        fprintf(stderr, "\n    unexpected error: %s\n", err.msg);
    return rc;
}

/* Parses a document expected to be invalid; the message is left in *err. */
static void parse_bad(const char *yaml, sb_err_t *err)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL(parse(&s, yaml, err), -1);
}

/* ------------------------------------------------------------ defaults -- */

static void test_empty_document_takes_every_default(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "# only a comment\n"), 0);
    CU_ASSERT_STRING_EQUAL(s.path, "scenarios/x.yaml");
    CU_ASSERT_STRING_EQUAL(s.name, "x");
    CU_ASSERT_STRING_EQUAL(s.description, "");
    CU_ASSERT_STRING_EQUAL(s.topic, "input-topic");
    CU_ASSERT_EQUAL(s.partitions, 4);
    CU_ASSERT_EQUAL(s.records, 200000);
    CU_ASSERT_EQUAL(s.seed, 42u);
    CU_ASSERT_EQUAL(s.record_bytes, 0);
    CU_ASSERT_EQUAL(s.map_fn, SB_MAP_UPPERCASE);
    CU_ASSERT_STRING_EQUAL(s.filter_prefix, "A");
    CU_ASSERT_FALSE(s.count_enabled);
    CU_ASSERT_STRING_EQUAL(s.sink_uri, "file://output");
    CU_ASSERT_EQUAL(s.checkpoint_interval_ns, MS(500));
    CU_ASSERT_EQUAL(s.mode, SB_MODE_EXACTLY_ONCE);
    CU_ASSERT_EQUAL(s.checkpoint_timeout_ns, S(600));
    CU_ASSERT_EQUAL(s.max_concurrent_checkpoints, 1);
    CU_ASSERT_EQUAL(s.min_pause_ns, 0);
    CU_ASSERT_EQUAL(s.tolerable_failed_checkpoints, 0);
    CU_ASSERT_STRING_EQUAL(s.checkpoints_dir, "file://checkpoints");
    CU_ASSERT_EQUAL(s.num_retained, 1);
    CU_ASSERT_EQUAL(s.restart_attempts, 10);
    CU_ASSERT_EQUAL(s.restart_delay_ns, MS(100));
    CU_ASSERT_EQUAL(s.faults_count, 0);
    CU_ASSERT_TRUE(s.expect_exactly_once);
}

static void test_empty_document_gives_parallelism_one_and_forward_inputs(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, ""), 0);
    const sb_stage_t *stages[] = { &s.source, &s.map, &s.filter, &s.sink };
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(stages[i]->parallelism, 1);
        CU_ASSERT_FALSE(stages[i]->input_set);
    }
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s.filter.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s.sink.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_EQUAL(s.count.parallelism, 1);
    CU_ASSERT_EQUAL(s.count.input, SB_CONNECTION_HASH);
}

static void test_defaults_leave_stage_parallelism_unset(void)
{
    sb_scenario_t s;
    memset(&s, 0xab, sizeof s);
    sb_scenario_defaults(&s);
    CU_ASSERT_EQUAL(s.source.parallelism, 0);
    CU_ASSERT_EQUAL(s.sink.parallelism, 0);
    CU_ASSERT_FALSE(s.map.input_set);
    CU_ASSERT_STRING_EQUAL(s.path, "");
    CU_ASSERT_EQUAL(s.partitions, 4);
    CU_ASSERT_EQUAL(s.checkpoint_interval_ns, MS(500));
}

static void test_name_defaults_to_file_base_name_without_yaml(void)
{
    sb_scenario_t s;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(
        sb_scenario_parse(&s, "a/b/crash-after-commit.yaml", "", &err), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "crash-after-commit");
    CU_ASSERT_EQUAL_FATAL(sb_scenario_parse(&s, "plain", "", &err), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "plain");
}

/* ------------------------------------------------------ full document -- */

static const char full_yaml[] =
    "name: crash-after-commit\n"                                   /* 1 */
    "description: \"Kill the worker after checkpoint 3\"\n"
    "input:\n"
    "  topic: orders.v1\n"
    "  partitions: 8\n"                                            /* 5 */
    "  records: 1000\n"
    "  seed: 7\n"
    "pipeline:\n"
    "  parallelism: 2\n"
    "  source: { parallelism: 4 }\n"                               /* 10 */
    "  map: { fn: identity, parallelism: 4, input: forward }\n"
    "  filter: { fn: \"startswith:B\", parallelism: 2, input: hash }\n"
    "  count: { enabled: true, parallelism: 3 }\n"
    "  sink: { uri: \"s3://bucket/out\", parallelism: 3, input: rebalance }\n"
    "execution.checkpointing.interval: 2s\n"                       /* 15 */
    "execution.checkpointing.mode: AT_LEAST_ONCE\n"
    "execution.checkpointing.timeout: 1h\n"
    "execution.checkpointing.max-concurrent-checkpoints: 2\n"
    "execution.checkpointing.min-pause: 250us\n"
    "execution.checkpointing.tolerable-failed-checkpoints: 3\n"    /* 20 */
    "execution.checkpointing.unaligned: false\n"
    "state.checkpoints.dir: s3://bucket/chk\n"
    "state.checkpoints.num-retained: 5\n"
    "restart-strategy: fixed-delay\n"
    "restart-strategy.fixed-delay.attempts: 0\n"                   /* 25 */
    "restart-strategy.fixed-delay.delay: 1min\n"
    "faults:\n"
    "  - do: crash\n"
    "    random: 3\n"
    "  - do: crash\n"                                              /* 30 */
    "    at: 2s\n"
    "  - do: crash\n"
    "    at: { checkpoint: 3, point: coordinator.after_complete }\n"
    "expect:\n"
    "  exactly_once: no\n";                                        /* 35 */

static void test_full_document_sets_input_and_top_level_fields(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, full_yaml), 0);
    CU_ASSERT_STRING_EQUAL(s.name, "crash-after-commit");
    CU_ASSERT_STRING_EQUAL(s.description, "Kill the worker after checkpoint 3");
    CU_ASSERT_STRING_EQUAL(s.topic, "orders.v1");
    CU_ASSERT_EQUAL(s.partitions, 8);
    CU_ASSERT_EQUAL(s.records, 1000);
    CU_ASSERT_EQUAL(s.seed, 7u);
    CU_ASSERT_FALSE(s.expect_exactly_once);
}

static void test_full_document_sets_pipeline_fields(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, full_yaml), 0);
    CU_ASSERT_EQUAL(s.source.parallelism, 4);
    CU_ASSERT_EQUAL(s.map_fn, SB_MAP_IDENTITY);
    CU_ASSERT_EQUAL(s.map.parallelism, 4);
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_FORWARD);
    CU_ASSERT_TRUE(s.map.input_set);
    CU_ASSERT_STRING_EQUAL(s.filter_prefix, "B");
    CU_ASSERT_EQUAL(s.filter.parallelism, 2);
    CU_ASSERT_EQUAL(s.filter.input, SB_CONNECTION_HASH);
    CU_ASSERT_TRUE(s.count_enabled);
    CU_ASSERT_EQUAL(s.count.parallelism, 3);
    CU_ASSERT_EQUAL(s.count.input, SB_CONNECTION_HASH);
    CU_ASSERT_FALSE(s.count.input_set);
    CU_ASSERT_STRING_EQUAL(s.sink_uri, "s3://bucket/out");
    CU_ASSERT_EQUAL(s.sink.parallelism, 3);
    CU_ASSERT_EQUAL(s.sink.input, SB_CONNECTION_REBALANCE);
}

static void test_full_document_sets_checkpointing_and_restart_fields(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, full_yaml), 0);
    CU_ASSERT_EQUAL(s.checkpoint_interval_ns, S(2));
    CU_ASSERT_EQUAL(s.mode, SB_MODE_AT_LEAST_ONCE);
    CU_ASSERT_EQUAL(s.checkpoint_timeout_ns, S(3600));
    CU_ASSERT_EQUAL(s.max_concurrent_checkpoints, 2);
    CU_ASSERT_EQUAL(s.min_pause_ns, 250 * 1000);
    CU_ASSERT_EQUAL(s.tolerable_failed_checkpoints, 3);
    CU_ASSERT_STRING_EQUAL(s.checkpoints_dir, "s3://bucket/chk");
    CU_ASSERT_EQUAL(s.num_retained, 5);
    CU_ASSERT_EQUAL(s.restart_attempts, 0);
    CU_ASSERT_EQUAL(s.restart_delay_ns, S(60));
}

static void test_full_document_sets_faults_in_order_with_lines(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, full_yaml), 0);
    CU_ASSERT_EQUAL_FATAL(s.faults_count, 3);
    CU_ASSERT_EQUAL(s.faults[0].kind, SB_FAULT_CRASH);
    CU_ASSERT_EQUAL(s.faults[0].trigger, SB_TRIGGER_RANDOM);
    CU_ASSERT_EQUAL(s.faults[0].count, 3);
    CU_ASSERT_EQUAL(s.faults[0].line, 28);
    CU_ASSERT_EQUAL(s.faults[1].trigger, SB_TRIGGER_AT_TIME);
    CU_ASSERT_EQUAL(s.faults[1].at_ns, S(2));
    CU_ASSERT_EQUAL(s.faults[1].line, 30);
    CU_ASSERT_EQUAL(s.faults[2].trigger, SB_TRIGGER_CRASH_POINT);
    CU_ASSERT_EQUAL(s.faults[2].checkpoint_id, 3);
    CU_ASSERT_EQUAL(s.faults[2].point, SB_POINT_COORDINATOR_AFTER_COMPLETE);
    CU_ASSERT_EQUAL(s.faults[2].line, 32);
}

/* --------------------------------------------------------- shorthands -- */

static void test_stage_shorthands_equal_their_mapping_forms(void)
{
    sb_scenario_t a, b;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&a,
        "pipeline:\n"
        "  map: identity\n"
        "  filter: \"startswith:Z\"\n"
        "  count: true\n"
        "  sink: file://out/x\n"), 0);
    CU_ASSERT_EQUAL_FATAL(parse_ok(&b,
        "pipeline:\n"
        "  map: { fn: identity }\n"
        "  filter: { fn: \"startswith:Z\" }\n"
        "  count: { enabled: true }\n"
        "  sink: { uri: file://out/x }\n"), 0);
    CU_ASSERT_EQUAL(a.map_fn, SB_MAP_IDENTITY);
    CU_ASSERT_EQUAL(b.map_fn, SB_MAP_IDENTITY);
    CU_ASSERT_STRING_EQUAL(a.filter_prefix, "Z");
    CU_ASSERT_STRING_EQUAL(b.filter_prefix, "Z");
    CU_ASSERT_TRUE(a.count_enabled);
    CU_ASSERT_TRUE(b.count_enabled);
    CU_ASSERT_STRING_EQUAL(a.sink_uri, "file://out/x");
    CU_ASSERT_STRING_EQUAL(b.sink_uri, "file://out/x");
}

static void test_filter_all_keeps_everything(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "pipeline: { filter: all }\n"), 0);
    CU_ASSERT_STRING_EQUAL(s.filter_prefix, "");
}

static void test_count_mapping_enables_count_unless_disabled(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(
        parse_ok(&s, "pipeline: { count: { parallelism: 2 } }\n"), 0);
    CU_ASSERT_TRUE(s.count_enabled);
    CU_ASSERT_EQUAL(s.count.parallelism, 2);
    CU_ASSERT_EQUAL_FATAL(
        parse_ok(&s, "pipeline: { count: { enabled: false } }\n"), 0);
    CU_ASSERT_FALSE(s.count_enabled);
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "pipeline: { count: no }\n"), 0);
    CU_ASSERT_FALSE(s.count_enabled);
}

static void test_unknown_map_function_lists_known_ones(void)
{
    sb_err_t err;
    parse_bad("pipeline:\n  map: lowercase\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: pipeline.map: unknown map "
                           "function 'lowercase'");
    ASSERT_HAS(err.msg, "uppercase, identity");
}

/* -------------------------------------------------------- connections -- */

static void test_input_defaults_to_forward_on_equal_parallelism_else_rebalance(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s,
        "pipeline:\n"
        "  parallelism: 2\n"
        "  map: { parallelism: 4 }\n"
        "  sink: { parallelism: 4 }\n"), 0);
    CU_ASSERT_EQUAL(s.source.parallelism, 2);
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_REBALANCE);   /* 2 -> 4 */
    CU_ASSERT_EQUAL(s.filter.parallelism, 2);
    CU_ASSERT_EQUAL(s.filter.input, SB_CONNECTION_REBALANCE);/* 4 -> 2 */
    CU_ASSERT_EQUAL(s.sink.input, SB_CONNECTION_REBALANCE);  /* 2 -> 4 */
}

static void test_count_input_defaults_to_hash_even_on_equal_parallelism(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "pipeline: { count: true }\n"), 0);
    CU_ASSERT_EQUAL(s.count.parallelism, s.filter.parallelism);
    CU_ASSERT_EQUAL(s.count.input, SB_CONNECTION_HASH);
    CU_ASSERT_EQUAL(s.sink.input, SB_CONNECTION_FORWARD);
}

static void test_pipeline_parallelism_may_follow_the_stages(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s,
        "pipeline:\n"
        "  map: { input: forward }\n"
        "  parallelism: 3\n"), 0);
    CU_ASSERT_EQUAL(s.source.parallelism, 3);
    CU_ASSERT_EQUAL(s.map.parallelism, 3);
    CU_ASSERT_EQUAL(s.map.input, SB_CONNECTION_FORWARD);
}

static void test_forward_between_unequal_parallelism_names_the_input_key(void)
{
    sb_err_t err;
    parse_bad("pipeline:\n"
              "  source: { parallelism: 1 }\n"
              "  map:\n"
              "    parallelism: 2\n"
              "    input: forward\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:5: pipeline.map.input: forward "
                           "needs equal parallelism");
    ASSERT_HAS(err.msg, "map has 2 and source before it has 1");
}

static void test_forward_into_sink_skips_a_disabled_count(void)
{
    sb_err_t err;
    parse_bad("pipeline:\n"
              "  filter: { parallelism: 3 }\n"
              "  sink: { input: forward }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:3: pipeline.sink.input:");
    ASSERT_HAS(err.msg, "filter before it has 3");
}

static void test_unknown_connection_lists_known_ones(void)
{
    sb_err_t err;
    parse_bad("pipeline: { map: { input: broadcast } }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: pipeline.map.input: unknown "
                           "connection 'broadcast'");
    ASSERT_HAS(err.msg, "forward, rebalance, hash");
}

static void test_source_has_no_input_key(void)
{
    sb_err_t err;
    parse_bad("pipeline:\n  source: { input: hash }\n", &err);
    ASSERT_STARTS(err.msg,
                  "scenarios/x.yaml:2: pipeline.source.input: unknown key");
}

/* ---------------------------------------------------------- durations -- */

static void test_duration_parse_accepts_units_and_bare_milliseconds(void)
{
    static const struct { const char *text; int64_t ns; } cases[] = {
        { "500ms", MS(500) },   { "2s", S(2) },     { "10min", S(600) },
        { "1h", S(3600) },      { "250us", 250000 }, { "7ns", 7 },
        { "100 ms", MS(100) },  { "1500", MS(1500) }, { "0", 0 },
        { "0ms", 0 },           { "9223372036854775807ns", INT64_MAX },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ns = -1;
        CU_ASSERT_EQUAL(sb_duration_parse_ns(cases[i].text, &ns), 0);
        CU_ASSERT_EQUAL(ns, cases[i].ns);
    }
}

static void test_duration_parse_rejects_bad_text(void)
{
    static const char *const cases[] = {
        "", "fast", "-5ms", "+5ms", "1.5s", " 10ms", "10ms ", "10 ", "ms",
        "10m", "10sec", "10 m s", "10MS",
        "99999999999999999999ms",   /* the number overflows */
        "9223372036854775807s",     /* the product overflows */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ns = 12345;
        CU_ASSERT_EQUAL(sb_duration_parse_ns(cases[i], &ns), -1);
        CU_ASSERT_EQUAL(ns, 12345);
    }
    int64_t ns = 0;
    CU_ASSERT_EQUAL(sb_duration_parse_ns(NULL, &ns), -1);
}

static void test_bad_duration_names_file_line_key_and_examples(void)
{
    sb_err_t err;
    parse_bad("name: x\n"
              "input:\n"
              "  partitions: 4\n"
              "pipeline:\n"
              "  parallelism: 2\n"
              "execution.checkpointing.mode: EXACTLY_ONCE\n"
              "execution.checkpointing.interval: fast\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg,
        "scenarios/x.yaml:7: execution.checkpointing.interval: bad duration "
        "'fast' (use e.g. 500ms, 2s, 10min)");
}

static void test_zero_interval_is_rejected_but_zero_pause_is_not(void)
{
    sb_scenario_t s;
    sb_err_t err;
    parse_bad("execution.checkpointing.interval: 0ms\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: execution.checkpointing."
                           "interval: must be more than 0");
    CU_ASSERT_EQUAL(parse_ok(&s, "execution.checkpointing.min-pause: 0\n"), 0);
}

/* ------------------------------------------------------- unknown keys -- */

static void test_unknown_top_level_key_names_line_and_key(void)
{
    sb_err_t err;
    parse_bad("name: x\n"
              "restart: fixed-delay\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: restart: unknown key");
    ASSERT_HAS(err.msg, "restart-strategy");   /* the known keys are listed */
}

static void test_unknown_top_level_key_suggests_a_close_one(void)
{
    sb_err_t err;
    parse_bad("execution.checkpointing.intervall: 1s\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg,
        "scenarios/x.yaml:1: execution.checkpointing.intervall: unknown key "
        "(did you mean 'execution.checkpointing.interval'?)");
}

static void test_unknown_nested_key_names_line_and_dotted_key(void)
{
    sb_err_t err;
    parse_bad("name: x\n"
              "pipeline:\n"
              "  paralelism: 2\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:3: pipeline.paralelism: "
                           "unknown key");
    ASSERT_HAS(err.msg, "did you mean 'parallelism'");
}

static void test_unknown_key_inside_a_fault_names_its_index(void)
{
    sb_err_t err;
    parse_bad("faults:\n"
              "  - do: crash\n"
              "    at: 1s\n"
              "  - do: crash\n"
              "    at: { checkpoint: 2, point: sink.after_snapshot, when: x }\n",
              &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:5: faults[1].at.when: unknown "
                           "key");
}

static void test_the_known_keys_list_cuts_no_name(void)
{
    sb_err_t err;
    parse_bad("name: x\nzzzzzzzzzzzzzzzzzzz: 1\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: zzzzzzzzzzzzzzzzzzz: unknown key (known: name, ");
    const char *list = strstr(err.msg, "(known: ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    /* Every listed name is a whole key; a list that does not fit ends in ", …)". */
    char names[SB_ERR_MSG_BYTES_MAX];
    snprintf(names, sizeof names, "%s", list + strlen("(known: "));
    char *end = strrchr(names, ')');
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    *end = '\0';
    ASSERT_HAS(err.msg, ", \u2026)");
    static const char *const whole[] = {
        "name", "mode", "sim", "description", "input", "pipeline", "restart-strategy",
        "execution.checkpointing.interval", "execution.checkpointing.mode",
        "execution.checkpointing.timeout", "execution.checkpointing.max-concurrent-checkpoints",
        "execution.checkpointing.min-pause", "execution.checkpointing.tolerable-failed-checkpoints",
        "execution.checkpointing.unaligned", "execution.checkpointing.aligned-checkpoint-timeout",
        "state.checkpoints.dir", "state.checkpoints.num-retained",
        "restart-strategy.fixed-delay.attempts", "restart-strategy.fixed-delay.delay",
        "\u2026",
    };
    for (char *name = strtok(names, ","); name != NULL; name = strtok(NULL, ",")) {
        while (*name == ' ')
            name++;
        bool known = false;
        for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
            known = known || strcmp(name, whole[i]) == 0;
        if (!known)
            fprintf(stderr, "\n    not a whole key: '%s'\n", name);
        CU_ASSERT(known);
    }
}

static void test_old_dialect_keys_name_the_new_key(void)
{
    sb_err_t err;
    parse_bad("name: x\nsim:\n  checkpoint_interval: 5ms\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:3: sim.checkpoint_interval: not a key any "
                           "more: use execution.checkpointing.interval (docs/scenarios.md)");
    parse_bad("checkpoint_interval: 5ms\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:1: checkpoint_interval: not a key any "
                           "more: use execution.checkpointing.interval (docs/scenarios.md)");
    parse_bad("records: 10\n", &err);
    ASSERT_HAS(err.msg, "records: not a key any more: use input.records");
    parse_bad("sim:\n  records: 10\n", &err);
    ASSERT_HAS(err.msg, "sim.records: not a key any more: use input.records");
    parse_bad("protocol: unaligned\n", &err);
    ASSERT_HAS(err.msg, "protocol: not a key any more: use execution.checkpointing.unaligned");
    parse_bad("sim:\n  protocol: unaligned\n", &err);
    ASSERT_HAS(err.msg, "sim.protocol: not a key any more: use execution.checkpointing.");
    parse_bad("stages: []\n", &err);
    ASSERT_HAS(err.msg, "stages: not a key any more: use pipeline.stages");
    parse_bad("sim:\n  stages: []\n", &err);
    ASSERT_HAS(err.msg, "sim.stages: not a key any more: use pipeline.stages");
    parse_bad("sim:\n  faults: []\n", &err);
    ASSERT_HAS(err.msg, "sim.faults: not a key any more: use faults at the top level");
    parse_bad("sim:\n  restart_delay: 1ms\n", &err);
    ASSERT_HAS(err.msg, "sim.restart_delay: not a key any more: use "
               "restart-strategy.fixed-delay.delay");
    parse_bad("source_interval: 1ms\n", &err);
    ASSERT_HAS(err.msg, "source_interval: not a key any more: use sim.source_interval");
    /* A real key of the same name elsewhere is untouched. */
    parse_bad("input:\n  recordz: 10\n", &err);
    ASSERT_HAS(err.msg, "input.recordz: unknown key (did you mean 'records'?)");
}

static void test_duplicate_key_is_an_error_naming_the_first(void)
{
    sb_err_t err;
    parse_bad("input:\n"
              "  partitions: 4\n"
              "  partitions: 8\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:3: input.partitions: "
                                    "duplicate key (first given at line 2)");
}

/* --------------------------------------------------------- wrong types -- */

static void test_word_where_integer_expected_is_a_type_error(void)
{
    sb_err_t err;
    parse_bad("name: x\n"
              "input:\n"
              "  topic: t\n"
              "  partitions: four\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:4: input.partitions: "
                                    "expected an integer, got 'four'");
}

static void test_quoted_integer_is_a_type_error(void)
{
    sb_err_t err;
    parse_bad("input: { records: \"10\" }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: input.records: expected an "
                           "integer, got the quoted string '10'");
}

static void test_scalar_where_mapping_expected_is_a_type_error(void)
{
    sb_err_t err;
    parse_bad("name: x\ninput: 3\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:2: input: expected a "
                                    "mapping, got '3'");
}

static void test_list_where_string_expected_is_a_type_error(void)
{
    sb_err_t err;
    parse_bad("description: [a, b]\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:1: description: "
                                    "expected a string, got a list");
}

static void test_booleans_accept_true_false_yes_no_only(void)
{
    sb_scenario_t s;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "expect: { exactly_once: false }\n"), 0);
    CU_ASSERT_FALSE(s.expect_exactly_once);
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "expect: { exactly_once: yes }\n"), 0);
    CU_ASSERT_TRUE(s.expect_exactly_once);
    parse_bad("expect:\n  exactly_once: 1\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:2: expect.exactly_once: "
                                    "expected true or false, got '1'");
}

static void test_unknown_mode_lists_known_ones(void)
{
    sb_err_t err;
    parse_bad("execution.checkpointing.mode: AT_MOST_ONCE\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: execution.checkpointing.mode:"
                           " unknown mode 'AT_MOST_ONCE'");
    ASSERT_HAS(err.msg, "EXACTLY_ONCE, AT_LEAST_ONCE");
}

static void test_unaligned_and_alignment_timeout_are_read(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "execution.checkpointing.unaligned: false\n"), 0);
    CU_ASSERT_FALSE(s.unaligned);
    CU_ASSERT_EQUAL(s.aligned_checkpoint_timeout_ns, 0);
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "execution.checkpointing.unaligned: true\n"
                                       "execution.checkpointing.aligned-checkpoint-timeout: 30ms\n"),
                          0);
    CU_ASSERT_TRUE(s.unaligned);
    CU_ASSERT_EQUAL(s.aligned_checkpoint_timeout_ns, 30000000);
}

static void test_alignment_timeout_without_unaligned_is_rejected(void)
{
    sb_err_t err;
    parse_bad("name: t\nexecution.checkpointing.aligned-checkpoint-timeout: 1s\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: execution.checkpointing.aligned-checkpoint-"
                           "timeout: the alignment timeout switches checkpoints to unaligned");
    ASSERT_HAS(err.msg, "execution.checkpointing.unaligned: true");
}

static void test_unaligned_at_least_once_is_rejected(void)
{
    sb_err_t err;
    parse_bad("execution.checkpointing.unaligned: true\n"
              "execution.checkpointing.mode: AT_LEAST_ONCE\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:1: execution.checkpointing.unaligned: "
                                    "unaligned checkpoints need execution.checkpointing.mode: "
                                    "EXACTLY_ONCE");
}

static void test_restart_strategy_other_than_fixed_delay_is_rejected(void)
{
    sb_err_t err;
    parse_bad("restart-strategy: exponential-delay\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: restart-strategy: unknown "
                           "restart strategy 'exponential-delay'");
}

static void test_uri_needs_file_or_s3_scheme(void)
{
    sb_err_t err;
    parse_bad("state.checkpoints.dir: /tmp/chk\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: state.checkpoints.dir: "
                           "expected file://PATH or s3://BUCKET/PREFIX");
    parse_bad("pipeline: { sink: \"s3://\" }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: pipeline.sink: 's3://' names no bucket");
    parse_bad("pipeline: { sink: \"s3:///prefix\" }\n", &err);
    ASSERT_HAS(err.msg, "names no bucket");
    parse_bad("pipeline: { sink: \"hdfs://nn/out\" }\n", &err);
    ASSERT_HAS(err.msg, "got 'hdfs://nn/out' (no other scheme is supported)");
}

/* A relative path is the run folder's; '..' out of it would let a rerun
 * find the first run's output and be judged on it. */
static void test_relative_file_uri_may_not_leave_the_run_folder(void)
{
    sb_err_t err;
    parse_bad("pipeline: { sink: \"file://../out\" }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: pipeline.sink: 'file://../out' leaves the "
                           "run folder");
    parse_bad("state.checkpoints.dir: file://a/../../chk\n", &err);
    ASSERT_HAS(err.msg, "leaves the run folder");
    parse_bad("state.checkpoints.dir: file://.\n", &err);
    ASSERT_HAS(err.msg, "names the run folder itself");
    parse_bad("pipeline: { sink: \"file:///tmp/a/../../etc\" }\n", &err);
    ASSERT_HAS(err.msg, "has '..' in an absolute path");
    parse_bad("pipeline: { sink: \"file:///\" }\n", &err);
    ASSERT_HAS(err.msg, "names the root folder itself");
    sb_scenario_t s;
    CU_ASSERT_EQUAL(parse_ok(&s, "pipeline: { sink: \"file://a/../b/./out\" }\n"
                                 "state.checkpoints.dir: file:///tmp/shared/chk\n"), 0);
    char why[256];
    CU_ASSERT_EQUAL(sb_scenario_uri_check("file://out/..", why, sizeof why), -1);
    CU_ASSERT_EQUAL(sb_scenario_uri_check("s3://bucket", why, sizeof why), 0);
}

/* libyaml caps neither: deep flow nesting takes its scanner quadratic time
 * and aliases multiply what a walker visits. */
static void test_deep_nesting_and_many_aliases_are_refused_early(void)
{
    enum { DEPTH = 100000 };
    char *deep = malloc(2 * DEPTH + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
    size_t n = (size_t)snprintf(deep, 16, "name: ");
    memset(deep + n, '[', DEPTH);
    memset(deep + n + DEPTH, ']', DEPTH);
    deep[n + 2 * DEPTH] = '\0';
    sb_err_t err;
    parse_bad(deep, &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: nested more than 32 levels deep");
    free(deep);
    char bomb[4096];
    size_t used = (size_t)snprintf(bomb, sizeof bomb, "a0: &a0 [x, x]\n");
    for (int i = 1; i < 12; i++)
        used += (size_t)snprintf(bomb + used, sizeof bomb - used,
                                 "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                                 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    parse_bad(bomb, &err);
    ASSERT_HAS(err.msg, "more than 64 aliases");
    sb_scenario_t s;
    CU_ASSERT_EQUAL(parse_ok(&s, "pipeline: { map: &p { parallelism: 2 }, filter: *p }\n"
                                 "input: { partitions: 2 }\n"), 0);
    CU_ASSERT_EQUAL(s.filter.parallelism, 2);
}

static void test_topic_and_name_must_be_words(void)
{
    sb_err_t err;
    parse_bad("input: { topic: \"my topic\" }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: input.topic: invalid topic "
                           "name 'my topic'");
    parse_bad("name: a/b\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: name: invalid name 'a/b'");
}

/* -------------------------------------------------------------- ranges -- */

static void test_partitions_outside_range_are_rejected(void)
{
    sb_err_t err;
    parse_bad("input:\n  partitions: 0\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:2: input.partitions: "
                                    "must be between 1 and 64, got 0");
    parse_bad("input:\n  partitions: 65\n", &err);
    ASSERT_HAS(err.msg, "must be between 1 and 64, got 65");
}

static void test_record_bytes_is_read_and_bounded_by_the_channel_record(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "input:\n  record_bytes: 100\n"), 0);
    CU_ASSERT_EQUAL(s.record_bytes, 100);
    sb_err_t err;
    parse_bad("input:\n  record_bytes: 113\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:2: input.record_bytes: "
                                    "must be between 0 and 112, got 113");
    parse_bad("input:\n  record_bytes: -1\n", &err);
    ASSERT_HAS(err.msg, "must be between 0 and 112, got -1");
}

/* The padded value keeps the word in front (the filter's verdict), has
 * exactly record_bytes bytes and is the same on every call. */
static void test_record_bytes_pads_the_word_deterministically(void)
{
    char a[SB_INPUT_RECORD_BYTES_MAX], b[SB_INPUT_RECORD_BYTES_MAX];
    for (int64_t i = 0; i < 200; i++) {
        size_t wlen;
        const char *w = sb_input_word(42, i, &wlen);
        CU_ASSERT_EQUAL(sb_input_value(42, i, 0, a), wlen);
        CU_ASSERT_EQUAL(memcmp(a, w, wlen), 0);
        CU_ASSERT_EQUAL(sb_input_value(42, i, 100, a), 100u);
        CU_ASSERT_EQUAL(memcmp(a, w, wlen), 0);
        CU_ASSERT_EQUAL(a[wlen], '-');
        for (size_t k = wlen + 1; k < 100; k++)
            CU_ASSERT(a[k] >= 'a' && a[k] <= 'z');
        CU_ASSERT_EQUAL(sb_input_value(42, i, 100, b), 100u);
        CU_ASSERT_EQUAL(memcmp(a, b, 100), 0);
        /* Too short to pad: the bare word, never cut. */
        CU_ASSERT_EQUAL(sb_input_value(42, i, (int)wlen, a), wlen);
    }
}

static void test_parallelism_records_and_retained_outside_range_are_rejected(void)
{
    sb_err_t err;
    parse_bad("pipeline: { map: { parallelism: 17 } }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: pipeline.map.parallelism: "
                           "must be between 1 and 16, got 17");
    parse_bad("input: { records: 0 }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:1: input.records: must be between "
                           "1 and 10000000, got 0");
    parse_bad("input: { records: 1099511627776 }\n", &err);
    ASSERT_HAS(err.msg, "input.records: must be between 1 and 10000000, got 1099511627776");
    parse_bad("state.checkpoints.num-retained: 0\n", &err);
    ASSERT_HAS(err.msg, "state.checkpoints.num-retained: must be at least 1");
    parse_bad("input: { seed: -1 }\n", &err);
    ASSERT_HAS(err.msg, "input.seed: expected a non-negative integer");
}

static void test_source_parallelism_above_partitions_is_rejected(void)
{
    sb_err_t err;
    parse_bad("input:\n"
              "  partitions: 2\n"
              "pipeline:\n"
              "  source: { parallelism: 4 }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:4: pipeline.source.parallelism: "
                           "4 source subtasks but input.partitions is 2");
}

static void test_source_parallelism_from_pipeline_default_names_that_key(void)
{
    sb_err_t err;
    parse_bad("pipeline:\n"
              "  parallelism: 3\n"
              "input:\n"
              "  partitions: 2\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: pipeline.parallelism: 3 "
                           "source subtasks");
}

/* ------------------------------------------------------------- faults -- */

static void test_crash_point_fault_accepts_final(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s,
        "faults:\n"
        "  - at: { checkpoint: final, point: sink.after_snapshot }\n"
        "    do: crash\n"), 0);
    CU_ASSERT_EQUAL_FATAL(s.faults_count, 1);
    CU_ASSERT_EQUAL(s.faults[0].kind, SB_FAULT_CRASH);
    CU_ASSERT_EQUAL(s.faults[0].trigger, SB_TRIGGER_CRASH_POINT);
    CU_ASSERT_EQUAL(s.faults[0].checkpoint_id, SB_CHECKPOINT_FINAL);
    CU_ASSERT_EQUAL(s.faults[0].point, SB_POINT_SINK_AFTER_SNAPSHOT);
    CU_ASSERT_EQUAL(s.faults[0].line, 2);
}

static void test_unknown_crash_point_lists_the_valid_ones(void)
{
    sb_err_t err;
    parse_bad("faults:\n"
              "  - do: crash\n"
              "    at: { checkpoint: 3, point: sink.before_lunch }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:3: faults[0].at.point: unknown "
                           "crash point 'sink.before_lunch'");
    ASSERT_HAS(err.msg, "source.after_barrier");
    ASSERT_HAS(err.msg, "sink.after_snapshot");
    ASSERT_HAS(err.msg, "coordinator.after_complete");
    ASSERT_HAS(err.msg, "sink.after_commit");
}

static void test_crash_point_checkpoint_must_be_positive_or_final(void)
{
    sb_err_t err;
    parse_bad("faults:\n"
              "  - do: crash\n"
              "    at: { checkpoint: 0, point: sink.after_snapshot }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:3: faults[0].at.checkpoint: "
                           "must be at least 1, got 0");
    parse_bad("faults:\n"
              "  - do: crash\n"
              "    at: { checkpoint: last, point: sink.after_snapshot }\n",
              &err);
    ASSERT_HAS(err.msg, "expected a checkpoint id (1, 2, ...) or final, "
                        "got 'last'");
}

static void test_crash_point_needs_both_checkpoint_and_point(void)
{
    sb_err_t err;
    parse_bad("faults:\n  - { do: crash, at: { checkpoint: 2 } }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: faults[0].at: missing "
                           "'point'");
}

static void test_fault_needs_do_crash_and_exactly_one_trigger(void)
{
    sb_err_t err;
    parse_bad("faults:\n  - at: 2s\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: faults[0]: missing 'do'");
    parse_bad("faults:\n  - { do: crash }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: faults[0]: give exactly one "
                           "of 'at' or 'random'");
    parse_bad("faults:\n  - { do: crash, at: 2s, random: 1 }\n", &err);
    ASSERT_HAS(err.msg, "give exactly one of 'at' or 'random'");
    parse_bad("faults:\n  - { do: latency, at: 2s }\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:2: faults[0].do: unknown action "
                           "'latency'");
}

static void test_fault_at_time_needs_a_duration(void)
{
    sb_err_t err;
    parse_bad("faults:\n  - do: crash\n    at: soon\n", &err);
    CU_ASSERT_STRING_EQUAL(err.msg, "scenarios/x.yaml:3: faults[0].at: bad "
                           "duration 'soon' (use e.g. 500ms, 2s, 10min)");
}

static void test_more_faults_than_the_limit_are_rejected(void)
{
    char yaml[4096];
    size_t used = (size_t)snprintf(yaml, sizeof yaml, "faults:\n");
    for (int i = 0; i <= SB_SCENARIO_FAULTS_MAX; i++)
        used += (size_t)snprintf(yaml + used, sizeof yaml - used,
                                 "  - { do: crash, random: 1 }\n");
    CU_ASSERT_FATAL(used < sizeof yaml);
    sb_err_t err;
    parse_bad(yaml, &err);
    ASSERT_HAS(err.msg, "faults: more than 32 faults");
}

/* ------------------------------------------------------ syntax & files -- */

static void test_yaml_syntax_error_names_file_and_line(void)
{
    sb_err_t err;
    parse_bad("name: x\n"
              "input:\n"
              "  partitions: 4\n"
              " records: 5\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:4: YAML syntax error: ");
}

static void test_unclosed_quote_names_where_the_scalar_started(void)
{
    sb_err_t err;
    parse_bad("name: x\ndescription: \"abc\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:3: YAML syntax error: ");
    ASSERT_HAS(err.msg, "quoted scalar at line 2");
}

static void test_second_document_is_rejected(void)
{
    sb_err_t err;
    parse_bad("name: x\n---\nname: y\n", &err);
    ASSERT_STARTS(err.msg, "scenarios/x.yaml:3: a scenario is one YAML "
                           "document");
}

static void test_failed_parse_leaves_the_scenario_untouched(void)
{
    sb_scenario_t s;
    sb_err_t err;
    memset(&s, 0x5a, sizeof s);
    CU_ASSERT_EQUAL(parse(&s, "input: { partitions: 8 }\nbogus: 1\n", &err),
                    -1);
    CU_ASSERT_EQUAL(s.partitions, 0x5a5a5a5a);
}

static void test_missing_file_names_path_and_reason(void)
{
    sb_scenario_t s;
    sb_err_t err;
    CU_ASSERT_EQUAL(
        sb_scenario_load(&s, "/nonexistent-snapbed/none.yaml", &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot read scenario "
        "/nonexistent-snapbed/none.yaml: No such file or directory");
}

static void test_load_reads_a_file_and_names_it_in_errors(void)
{
    char dir[] = "/tmp/snapbed-scenario-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[sizeof dir + 32];
    snprintf(path, sizeof path, "%s/quick.yaml", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("input:\n  partitions: 2\n", f);
    fclose(f);
    sb_scenario_t s;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_scenario_load(&s, path, &err), 0);
    CU_ASSERT_STRING_EQUAL(s.path, path);
    CU_ASSERT_STRING_EQUAL(s.name, "quick");
    CU_ASSERT_EQUAL(s.partitions, 2);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("input:\n  partitions: many\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(sb_scenario_load(&s, path, &err), -1);
    char head[sizeof path + 8];
    snprintf(head, sizeof head, "%s:2: ", path);
    ASSERT_STARTS(err.msg, head);
    unlink(path);
    rmdir(dir);
}

/* A string in a test may mean "all defaults"; a file with no key is the
 * wrong file. */
static void test_load_of_an_empty_file_is_refused(void)
{
    char dir[] = "/tmp/snapbed-scenario-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[sizeof dir + 32];
    snprintf(path, sizeof path, "%s/empty.yaml", dir);
    const char *texts[] = { "", "# only a comment\n", "~\n" };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(texts[i], f);
        fclose(f);
        sb_scenario_t s;
        sb_err_t err;
        CU_ASSERT_EQUAL(sb_scenario_load(&s, path, &err), -1);
        ASSERT_HAS(err.msg, ": the scenario is empty (no key)");
    }
    unlink(path);
    rmdir(dir);
}

static void test_load_of_a_directory_fails_with_the_reason(void)
{
    sb_scenario_t s;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_scenario_load(&s, "/tmp", &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot read scenario /tmp: Is a directory");
}

/* --------------------------------------------------------------- names -- */

static void test_names_round_trip(void)
{
    for (int p = SB_POINT_SOURCE_AFTER_BARRIER; p <= SB_POINT_SINK_AFTER_COMMIT; p++)
        CU_ASSERT_EQUAL(sb_crash_point_from_name(sb_crash_point_name(p)), p);
    CU_ASSERT_STRING_EQUAL(sb_crash_point_name(SB_POINT_SINK_AFTER_SNAPSHOT),
                           "sink.after_snapshot");
    CU_ASSERT_STRING_EQUAL(sb_crash_point_name(SB_POINT_SINK_AFTER_COMMIT),
                           "sink.after_commit");
    CU_ASSERT_EQUAL(sb_crash_point_from_name("sink.before_lunch"), SB_POINT_NONE);
    CU_ASSERT_EQUAL(sb_crash_point_from_name(NULL), SB_POINT_NONE);
    CU_ASSERT_STRING_EQUAL(sb_mode_name(SB_MODE_EXACTLY_ONCE), "EXACTLY_ONCE");
    CU_ASSERT_STRING_EQUAL(sb_mode_name(SB_MODE_AT_LEAST_ONCE),
                           "AT_LEAST_ONCE");
    CU_ASSERT_STRING_EQUAL(sb_connection_name(SB_CONNECTION_FORWARD), "forward");
    CU_ASSERT_STRING_EQUAL(sb_connection_name(SB_CONNECTION_REBALANCE),
                           "rebalance");
    CU_ASSERT_STRING_EQUAL(sb_connection_name(SB_CONNECTION_HASH), "hash");
}

/* --------------------------------------------------------- engine: flink */

static void test_engine_flink_takes_its_keys_and_runs_only_for_run(void)
{
    sb_scenario_t s;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&s, "engine: flink\n"
                                       "flink: { taskmanagers: 3, slots: 2, sink: at-least-once }\n"
                                       "kafka: { brokers: 3 }\n"
                                       "pipeline: { parallelism: 2 }\n"
                                       "faults:\n"
                                       "  - do: crash\n    at: 2s\n    target: taskmanager-2\n"
                                       "  - do: crash\n    at: { point: coordinator.after_complete,"
                                       " checkpoint: 3 }\n"
                                       "  - do: pause\n    at: 1s\n    for: 1s\n"
                                       "  - do: pause\n    at: 3s\n    for: 1s\n"
                                       "    target: jobmanager\n"
                                       "  - do: { broker: kill, id: 3 }\n    at: 1s\n    for: 2s\n"
                                       "  - do: { broker: partition, id: 2 }\n    at: 4s\n"
                                       "    for: 2s\n"),
                          0);
    CU_ASSERT_EQUAL(s.engine, SB_ENGINE_FLINK);
    CU_ASSERT_EQUAL(s.flink.taskmanagers, 3);
    CU_ASSERT_EQUAL(s.flink.slots, 2);
    CU_ASSERT_EQUAL(s.flink.sink, SB_FLINK_SINK_AT_LEAST_ONCE);
    CU_ASSERT_EQUAL(s.kafka_brokers, 3);
    CU_ASSERT_STRING_EQUAL(s.faults[0].target, "taskmanager-2");
    CU_ASSERT_EQUAL(s.runs, SB_RUNS_REAL_ONLY);
    ASSERT_HAS(s.runs_why, "engine: flink");
    sb_scenario_t j;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&j, "engine: flink\n"
                                       "flink:\n  job: { jar: a/b.jar, class: x.Y, "
                                       "args: [--in, \"{topic}\", \"--out={out}\"] }\n"
                                       "  oracle: cat\n"), 0);
    CU_ASSERT_STRING_EQUAL(j.flink.job_jar, "a/b.jar");
    CU_ASSERT_STRING_EQUAL(j.flink.job_class, "x.Y");
    CU_ASSERT_EQUAL(j.flink.job_args_count, 3);
    CU_ASSERT_STRING_EQUAL(j.flink.job_args[2], "--out={out}");
    CU_ASSERT_STRING_EQUAL(j.flink.oracle, "cat");
    sb_scenario_t d;
    CU_ASSERT_EQUAL_FATAL(parse_ok(&d, "name: plain\n"), 0);
    CU_ASSERT_EQUAL(d.engine, SB_ENGINE_SNAPBED);
    CU_ASSERT_EQUAL(d.flink.taskmanagers, 2);
    CU_ASSERT_EQUAL(d.flink.sink, SB_FLINK_SINK_EXACTLY_ONCE);
    CU_ASSERT_EQUAL(d.kafka_brokers, 1);
}

static void test_engine_flink_refuses_what_only_snapbeds_engine_does(void)
{
    static const struct { const char *yaml, *says; } cases[] = {
        { "engine: flunk\n", "scenarios/x.yaml:1: engine: unknown engine 'flunk'" },
        { "flink: { taskmanagers: 2 }\n", "scenarios/x.yaml:1: flink: is for engine: flink" },
        { "kafka: { brokers: 3 }\n", "kafka.brokers: is for engine: flink" },
        { "engine: flink\nkafka: { brokers: 2 }\n", "not 2" },
        { "engine: flink\nflink: { taskmanagers: 9 }\n", "flink.taskmanagers" },
        { "engine: flink\nflink: { sink: maybe }\n", "unknown Flink sink 'maybe'" },
        { "engine: flink\nflink: { address: nowhere }\n", "expected HOST:PORT" },
        { "engine: flink\nmutant: skip-fsync\n", "negative controls on Flink" },
        { "engine: flink\npipeline: { count: true }\n", "pipeline.count is snapbed's engine" },
        { "engine: flink\npipeline: { sink: 's3://b/p' }\n", "local folders (file://)" },
        { "engine: flink\npipeline: { parallelism: 2, map: { parallelism: 1 } }\n",
          "one parallelism" },
        { "engine: flink\nfaults:\n  - do: { stall: map }\n    at: 1s\n    for: 1s\n",
          "faults[0]: engine: flink takes crash, pause" },
        { "engine: flink\nfaults:\n  - do: crash\n    at: { point: sink.after_commit, "
          "checkpoint: 2 }\n", "the one crash point is" },
        { "engine: flink\nfaults:\n  - do: crash\n    at: 1s\n    target: jobmanager\n",
          "high availability (ZooKeeper, not set up by snapbed) a killed JobManager loses the job "
          "instead of restoring it; target a taskmanager-N, or pause the JobManager" },
        { "engine: flink\nfaults:\n  - do: crash\n    at: 1s\n    target: taskmanager-2\n",
          "unknown target 'taskmanager-2' (taskmanager-0 to taskmanager-1)" },
        { "engine: flink\nflink: { address: '127.0.0.1:8081' }\nfaults:\n  - do: crash\n"
          "    at: 1s\n", "not snapbed's to signal" },
        { "faults:\n  - do: crash\n    at: 1s\n    target: taskmanager-0\n",
          "names a Flink process" },
        { "engine: flink\nfaults:\n  - do: { broker: kill, id: 3 }\n    at: 1s\n    for: 1s\n",
          "broker id 3, but kafka.brokers is 1" },
        { "engine: flink\nfaults:\n  - do: { broker: partition, id: 1 }\n    at: 1s\n"
          "    for: 1s\n", "it needs kafka.brokers: 3" },
        { "engine: flink\nflink: { job: { jar: j.jar } }\n", "names its jar and its entry class" },
        { "engine: flink\nflink: { job: { jar: j.jar, class: C, args: [\"{topc}\"] } }\n",
          "flink.job.args[0]: unknown placeholder '{topc}' (known: {bootstrap}" },
        { "engine: flink\nflink: { job: { jar: j.jar, class: C, args: x } }\n",
          "expected a list of arguments" },
        { "engine: flink\nflink: { sink: at-least-once, job: { jar: j.jar, class: C } }\n",
          "a job of your own (flink.job) has its own" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_err_t err;
        parse_bad(cases[i].yaml, &err);
        if (strstr(err.msg, cases[i].says) == NULL)
            fprintf(stderr, "\n    case %zu: '%s' lacks '%s'\n", i, err.msg, cases[i].says);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].says));
    }
}

void test_scenario_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_empty_document_takes_every_default),
        T(test_engine_flink_takes_its_keys_and_runs_only_for_run),
        T(test_engine_flink_refuses_what_only_snapbeds_engine_does),
        T(test_relative_file_uri_may_not_leave_the_run_folder),
        T(test_deep_nesting_and_many_aliases_are_refused_early),
        T(test_load_of_an_empty_file_is_refused),
        T(test_empty_document_gives_parallelism_one_and_forward_inputs),
        T(test_defaults_leave_stage_parallelism_unset),
        T(test_name_defaults_to_file_base_name_without_yaml),
        T(test_full_document_sets_input_and_top_level_fields),
        T(test_full_document_sets_pipeline_fields),
        T(test_full_document_sets_checkpointing_and_restart_fields),
        T(test_full_document_sets_faults_in_order_with_lines),
        T(test_stage_shorthands_equal_their_mapping_forms),
        T(test_filter_all_keeps_everything),
        T(test_count_mapping_enables_count_unless_disabled),
        T(test_unknown_map_function_lists_known_ones),
        T(test_input_defaults_to_forward_on_equal_parallelism_else_rebalance),
        T(test_count_input_defaults_to_hash_even_on_equal_parallelism),
        T(test_pipeline_parallelism_may_follow_the_stages),
        T(test_forward_between_unequal_parallelism_names_the_input_key),
        T(test_forward_into_sink_skips_a_disabled_count),
        T(test_unknown_connection_lists_known_ones),
        T(test_source_has_no_input_key),
        T(test_duration_parse_accepts_units_and_bare_milliseconds),
        T(test_duration_parse_rejects_bad_text),
        T(test_bad_duration_names_file_line_key_and_examples),
        T(test_zero_interval_is_rejected_but_zero_pause_is_not),
        T(test_unknown_top_level_key_names_line_and_key),
        T(test_unknown_top_level_key_suggests_a_close_one),
        T(test_unknown_nested_key_names_line_and_dotted_key),
        T(test_unknown_key_inside_a_fault_names_its_index),
        T(test_the_known_keys_list_cuts_no_name),
        T(test_old_dialect_keys_name_the_new_key),
        T(test_duplicate_key_is_an_error_naming_the_first),
        T(test_word_where_integer_expected_is_a_type_error),
        T(test_quoted_integer_is_a_type_error),
        T(test_scalar_where_mapping_expected_is_a_type_error),
        T(test_list_where_string_expected_is_a_type_error),
        T(test_booleans_accept_true_false_yes_no_only),
        T(test_unknown_mode_lists_known_ones),
        T(test_unaligned_and_alignment_timeout_are_read),
        T(test_alignment_timeout_without_unaligned_is_rejected),
        T(test_unaligned_at_least_once_is_rejected),
        T(test_restart_strategy_other_than_fixed_delay_is_rejected),
        T(test_uri_needs_file_or_s3_scheme),
        T(test_topic_and_name_must_be_words),
        T(test_partitions_outside_range_are_rejected),
        T(test_record_bytes_is_read_and_bounded_by_the_channel_record),
        T(test_record_bytes_pads_the_word_deterministically),
        T(test_parallelism_records_and_retained_outside_range_are_rejected),
        T(test_source_parallelism_above_partitions_is_rejected),
        T(test_source_parallelism_from_pipeline_default_names_that_key),
        T(test_crash_point_fault_accepts_final),
        T(test_unknown_crash_point_lists_the_valid_ones),
        T(test_crash_point_checkpoint_must_be_positive_or_final),
        T(test_crash_point_needs_both_checkpoint_and_point),
        T(test_fault_needs_do_crash_and_exactly_one_trigger),
        T(test_fault_at_time_needs_a_duration),
        T(test_more_faults_than_the_limit_are_rejected),
        T(test_yaml_syntax_error_names_file_and_line),
        T(test_unclosed_quote_names_where_the_scalar_started),
        T(test_second_document_is_rejected),
        T(test_failed_parse_leaves_the_scenario_untouched),
        T(test_missing_file_names_path_and_reason),
        T(test_load_reads_a_file_and_names_it_in_errors),
        T(test_load_of_a_directory_fails_with_the_reason),
        T(test_names_round_trip),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("scenario", cases);
}
