/* test_faults.c — the fault schedule as the scenario parser reads it, and
 * the crash-point triggers (checkpoint, k-th hit, seeded probability). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crashpoint.h"
#include "cu_helpers.h"
#include "progress.h"
#include "scenario.h"
#include "timeline.h"

#define MS(n) ((int64_t)(n) * 1000000)

static int parse(sb_scenario_t *s, const char *yaml, sb_err_t *err)
{
    return sb_scenario_parse(s, "f.yaml", yaml, err);
}

static void test_timed_faults_parse_with_at_and_for(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    int rc = parse(&s,
                   "faults:\n"
                   "  - do: pause\n    at: 600ms\n    for: 1500ms\n"
                   "  - do: { throttle: sink, records_per_s: 3000 }\n    at: 1s\n    for: 2s\n"
                   "  - do: { stall: map }\n    at: 2s\n    for: 500ms\n"
                   "  - do: { broker: down, id: 2 }\n    at: 1s\n    for: 400ms\n"
                   "  - do: { broker: errors, request: fetch, error: REQUEST_TIMED_OUT, count: 7 }\n"
                   "    at: 3s\n"
                   "  - do: { network: s3, latency_ms: 30, http_error_fraction: 0.25 }\n"
                   "    at: 1s\n    for: 1s\n"
                   "  - do: crash-loop\n    at: 1s\n    count: 4\n    after: 150ms\n",
                   &err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(s.faults_count, 7);
    CU_ASSERT_EQUAL(s.faults[0].kind, SB_FAULT_PAUSE);
    CU_ASSERT_EQUAL(s.faults[0].at_ns, MS(600));
    CU_ASSERT_EQUAL(s.faults[0].for_ns, MS(1500));
    CU_ASSERT_EQUAL(s.faults[1].kind, SB_FAULT_THROTTLE);
    CU_ASSERT_EQUAL(s.faults[1].stage, SB_STAGE_SINK);
    CU_ASSERT_EQUAL(s.faults[1].records_per_s, 3000);
    CU_ASSERT_EQUAL(s.faults[2].stage, SB_STAGE_MAP);
    CU_ASSERT_EQUAL(s.faults[2].records_per_s, 0); /* a stall */
    CU_ASSERT_EQUAL(s.faults[2].bytes_per_s, 0);
    CU_ASSERT_EQUAL(s.faults[3].broker, SB_BROKER_DOWN);
    CU_ASSERT_EQUAL(s.faults[3].broker_id, 2);
    CU_ASSERT_EQUAL(s.faults[4].broker, SB_BROKER_ERRORS);
    CU_ASSERT_EQUAL(s.faults[4].request_api, 1);
    CU_ASSERT_EQUAL(s.faults[4].error_code, 7);
    CU_ASSERT_EQUAL(s.faults[4].error_count, 7);
    CU_ASSERT_EQUAL(s.faults[5].kind, SB_FAULT_NETWORK);
    CU_ASSERT_EQUAL(s.faults[5].network.latency_ms, 30);
    CU_ASSERT_DOUBLE_EQUAL(s.faults[5].network.http_error_fraction, 0.25, 1e-9);
    CU_ASSERT_EQUAL(s.faults[5].network.http_error_status, 503);
    CU_ASSERT_FALSE(s.faults[5].network.kafka);
    CU_ASSERT_EQUAL(s.faults[6].kind, SB_FAULT_CRASH_LOOP);
    CU_ASSERT_EQUAL(s.faults[6].count, 4);
    CU_ASSERT_EQUAL(s.faults[6].after_ns, MS(150));
}

static void test_a_pause_without_for_is_refused(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: pause\n    at: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "f.yaml:2: faults[0]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs 'for: D'"));
}

static void test_a_throttle_at_a_crash_point_is_refused(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { throttle: sink, records_per_s: 5 }\n"
                              "    at: { point: sink.after_commit, checkpoint: 2 }\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "needs 'at: TIME'"));
}

static void test_unknown_stage_broker_fault_and_error_are_named(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { stall: joiner }\n    at: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown stage 'joiner'"));
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: melt }\n    at: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown broker fault 'melt'"));
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: errors, request: fetch, error: OOPS }\n"
                              "    at: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown Kafka error 'OOPS'"));
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: down }\n    at: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "{ broker: down, id: N }"));
}

static void test_a_broker_pause_or_kill_needs_for(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: pause }\n    at: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "{ broker: pause | kill } with 'for'"));
    CU_ASSERT_EQUAL_FATAL(parse(&s, "faults:\n  - do: { broker: pause }\n    at: 1s\n"
                                    "    for: 2s\n", &err), 0);
    CU_ASSERT_EQUAL(s.faults[0].broker, SB_BROKER_PAUSE);
    CU_ASSERT_EQUAL(s.faults[0].for_ns, MS(2000));
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: kill }\n    at: 1s\n", &err), -1);
    CU_ASSERT_EQUAL_FATAL(parse(&s, "faults:\n  - do: { broker: kill }\n    at: 1s\n"
                                    "    for: 2s\n", &err), 0);
    CU_ASSERT_EQUAL(s.faults[0].broker, SB_BROKER_KILL);
}

/* A partition cuts a real broker off the network: it names the broker and
 * lasts 'for'; the embedded Kafka has no network to cut, and a real one
 * needs the commands that cut and heal. */
static void test_a_broker_partition_needs_a_real_broker_and_its_commands(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: partition }\n    at: 1s\n"
                              "    for: 1s\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "{ broker: partition, id: N } with 'for'"));
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { broker: partition, id: 2 }\n    at: 1s\n",
                          &err), -1);
    CU_ASSERT_EQUAL_FATAL(parse(&s, "faults:\n  - do: { broker: partition, id: 2 }\n"
                                    "    at: 0s\n    for: 1s\n", &err), 0);
    CU_ASSERT_EQUAL(s.faults[0].broker, SB_BROKER_PARTITION);
    CU_ASSERT_EQUAL(s.faults[0].broker_id, 2);

    unsetenv("SNAPBED_KAFKA_PARTITION");
    unsetenv("SNAPBED_KAFKA_HEAL");
    CU_ASSERT_EQUAL(sb_timeline_check(&s, true, false, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "f.yaml:2: faults[0]: the embedded Kafka has no "
                                           "network to cut"));
    CU_ASSERT_EQUAL(sb_timeline_check(&s, false, false, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "set SNAPBED_KAFKA_PARTITION and SNAPBED_KAFKA_HEAL"));

    /* Applied: the cut runs when the fault starts and the heal when it
     * ends, each with the broker's id in place of %d. */
    char dir[] = "/tmp/snapbed-partition-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char log[64], cut[160], heal[160];
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(cut, sizeof cut, "echo cut %%d >>%s", log);
    snprintf(heal, sizeof heal, "echo heal %%d >>%s", log);
    setenv("SNAPBED_KAFKA_PARTITION", cut, 1);
    setenv("SNAPBED_KAFKA_HEAL", heal, 1);
    CU_ASSERT_EQUAL(sb_timeline_check(&s, false, false, &err), 0);
    sb_trace_t trace = { .fd = -1 };
    static sb_progress_t progress; /* zeroed: no worker ready */
    sb_timeline_t tl;
    sb_timeline_init(&tl, &s, &trace, &progress, NULL, "t", NULL);
    sb_timeline_tick(&tl, 0, 0, 0);
    CU_ASSERT_TRUE(sb_timeline_fired(&tl, 0));
    sb_timeline_tick(&tl, 0, MS(1500), MS(1500));
    sb_timeline_finish(&tl);
    unsetenv("SNAPBED_KAFKA_PARTITION");
    unsetenv("SNAPBED_KAFKA_HEAL");
    char got[64] = "";
    FILE *f = fopen(log, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    CU_ASSERT_STRING_EQUAL(got, "cut 2\nheal 2\n");
    unlink(log);
    rmdir(dir);
}

static void test_network_faults_go_toward_s3_or_kafka(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(parse(&s, "faults:\n  - do: { network: kafka, reset_probability: 0.1 }\n"
                                    "    at: 1s\n    for: 1s\n", &err), 0);
    CU_ASSERT_TRUE(s.faults[0].network.kafka);
    CU_ASSERT_DOUBLE_EQUAL(s.faults[0].network.reset_probability, 0.1, 1e-12);
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: { network: zookeeper }\n    at: 1s\n", &err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "toward s3 or kafka"));
}

static void test_crash_point_triggers_parse_exactly_one_kind(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(parse(&s, "faults:\n  - do: crash\n"
                                    "    at: { point: sink.mid_commit, hit: 3 }\n"
                                    "  - do: crash\n"
                                    "    at: { point: source.after_barrier, probability: 0.05 }\n",
                                &err), 0);
    CU_ASSERT_EQUAL(s.faults[0].point_trigger, SB_POINT_AT_HIT);
    CU_ASSERT_EQUAL(s.faults[0].hit, 3);
    CU_ASSERT_EQUAL(s.faults[1].point_trigger, SB_POINT_WITH_PROBABILITY);
    CU_ASSERT_DOUBLE_EQUAL(s.faults[1].probability, 0.05, 1e-12);
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: crash\n"
                              "    at: { point: sink.mid_commit, hit: 3, checkpoint: 2 }\n", &err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "exactly one of 'checkpoint'"));
    CU_ASSERT_EQUAL(parse(&s, "faults:\n  - do: crash\n"
                              "    at: { point: sink.mid_commit, probability: 1.5 }\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "probability in (0, 1]"));
}

static void test_mutants_parse_and_unknown_ones_are_listed(void)
{
    sb_scenario_t s;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(parse(&s, "mutant: overwrite-published\n", &err), 0);
    CU_ASSERT_EQUAL(s.mutant, SB_MUTANT_OVERWRITE_PUBLISHED);
    CU_ASSERT_EQUAL(parse(&s, "mutant: bug\n", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "commit-before-complete"));
}

static sb_fault_t point_fault(sb_point_trigger_t trig)
{
    sb_fault_t f;
    memset(&f, 0, sizeof f);
    f.kind = SB_FAULT_CRASH;
    f.trigger = SB_TRIGGER_CRASH_POINT;
    f.point = SB_POINT_SINK_MID_COMMIT;
    f.point_trigger = trig;
    return f;
}

static void test_checkpoint_trigger_fires_at_that_checkpoint_or_the_final_one(void)
{
    sb_fault_t f = point_fault(SB_POINT_AT_CHECKPOINT);
    f.checkpoint_id = 4;
    CU_ASSERT_FALSE(sb_crashpoints_due(&f, 1, 3, false, 1));
    CU_ASSERT_TRUE(sb_crashpoints_due(&f, 2, 4, false, 1));
    f.checkpoint_id = SB_CHECKPOINT_FINAL;
    CU_ASSERT_FALSE(sb_crashpoints_due(&f, 1, 9, false, 1));
    CU_ASSERT_TRUE(sb_crashpoints_due(&f, 2, 10, true, 1));
}

static void test_hit_trigger_fires_on_the_kth_hit_only(void)
{
    sb_fault_t f = point_fault(SB_POINT_AT_HIT);
    f.hit = 3;
    int fired = 0;
    for (int64_t hit = 1; hit <= 10; hit++)
        if (sb_crashpoints_due(&f, hit, hit, false, 1)) {
            fired++;
            CU_ASSERT_EQUAL(hit, 3);
        }
    CU_ASSERT_EQUAL(fired, 1);
}

static void test_probability_trigger_is_seeded_and_near_its_rate(void)
{
    sb_fault_t f = point_fault(SB_POINT_WITH_PROBABILITY);
    f.probability = 0.1;
    int a = 0, b = 0, same = 0;
    for (int64_t hit = 1; hit <= 10000; hit++) {
        bool x = sb_crashpoints_due(&f, hit, 1, false, 42);
        bool y = sb_crashpoints_due(&f, hit, 1, false, 42);
        a += x;
        b += sb_crashpoints_due(&f, hit, 1, false, 43);
        same += x == y;
    }
    CU_ASSERT_EQUAL(same, 10000);          /* same seed, same decisions */
    CU_ASSERT(a > 800 && a < 1200);        /* about 10 % */
    CU_ASSERT(b > 800 && b < 1200);
    CU_ASSERT_NOT_EQUAL(a, b);             /* another seed, other moments */
}

void test_faults_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_timed_faults_parse_with_at_and_for),
        T(test_a_pause_without_for_is_refused),
        T(test_a_throttle_at_a_crash_point_is_refused),
        T(test_unknown_stage_broker_fault_and_error_are_named),
        T(test_a_broker_pause_or_kill_needs_for),
        T(test_a_broker_partition_needs_a_real_broker_and_its_commands),
        T(test_network_faults_go_toward_s3_or_kafka),
        T(test_crash_point_triggers_parse_exactly_one_kind),
        T(test_mutants_parse_and_unknown_ones_are_listed),
        T(test_checkpoint_trigger_fires_at_that_checkpoint_or_the_final_one),
        T(test_hit_trigger_fires_on_the_kth_hit_only),
        T(test_probability_trigger_is_seeded_and_near_its_rate),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("faults", cases);
}
