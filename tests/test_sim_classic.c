/* test_sim_classic.c — classic Chandy–Lamport in the simulator, as a
 * specification: on FIFO channels every snapshot conserves the tokens,
 * whatever the graph (ring, complete, cycles), the initiators and the
 * overlap of snapshots; without FIFO, or without channel recording, the
 * checker finds snapshots that do not; the checker itself, on synthetic
 * events, names what is wrong. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "conserve.h"
#include "cu_helpers.h"
#include "sim.h"
#include "sim_fixture.h"

typedef struct crun {
    sb_simscenario_t s;
    sb_sim_t *sim;
    sb_sim_verdict_t v;
    sb_classic_stats_t st;
} crun_t;

static crun_t *crun(const char *yaml, uint64_t seed)
{
    crun_t *r = calloc(1, sizeof *r);
    sim_fixture_run(yaml, seed, &r->s, &r->sim, &r->v);
    sb_sim_classic_stats(r->sim, &r->st);
    return r;
}

static void crun_free(crun_t *r)
{
    sb_sim_free(r->sim);
    free(r);
}

#define CL_INTERVAL(graph, interval, extra)                                   \
    "name: cl\nsim:\n  model: chandy-lamport\n  processes: 5\n"              \
    "  graph: " graph "\n  tokens: 100\n  transfer_interval: 50us\n"         \
    "  snapshots: 3\n  snapshot_interval: " interval "\n"                    \
    "  channel: { delay: uniform, min: 100us, max: 900us }\n" extra
#define CL(graph, extra) CL_INTERVAL(graph, "2ms", extra)

static void expect_conserved(const crun_t *r)
{
    if (!r->v.ok) {
        char why[1024];
        sb_sim_verdict_why(&r->v, why, sizeof why);
        fprintf(stderr, "\n    %s\n", why);
    }
    CU_ASSERT(r->v.finished);
    CU_ASSERT(r->v.conserve_checked);
    CU_ASSERT(r->v.conserve_ok);
    CU_ASSERT(r->v.ok);
}

static void test_fifo_snapshots_conserve_the_tokens_on_every_graph(void)
{
    static const char *graphs[] = { "ring", "bidirectional-ring", "complete",
                                    "[[0, 1], [1, 2], [2, 0], [2, 3], [3, 4], [4, 2], [1, 4]]" };
    for (size_t g = 0; g < sizeof graphs / sizeof graphs[0]; g++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            char yaml[1024];
            snprintf(yaml, sizeof yaml, CL("%s", ""), graphs[g]);
            crun_t *r = crun(yaml, seed);
            expect_conserved(r);
            CU_ASSERT_EQUAL(r->st.snapshots_completed, 3);
            CU_ASSERT_EQUAL(r->v.conserve.total, 500);
            CU_ASSERT(r->st.transfers > 100);
            crun_free(r);
        }
}

static void test_two_initiators_and_overlapping_snapshots_still_conserve(void)
{
    crun_t *r = crun(CL_INTERVAL("complete", "300us", "  initiators: [0, 3]\n"), 4);
    expect_conserved(r);
    CU_ASSERT_EQUAL(r->st.snapshots_completed, 3);
    /* Every process recorded each snapshot once, two of them as initiators. */
    CU_ASSERT_EQUAL(r->v.conserve.violations[SB_CONSERVE_RECORDED], 0);
    crun_free(r);
}

static void test_without_fifo_some_snapshot_does_not_conserve(void)
{
    int broken = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        crun_t *r = crun(CL("ring", "  fifo: false\n"), seed);
        CU_ASSERT(r->v.finished);
        broken += !r->v.conserve_ok;
        crun_free(r);
    }
    CU_ASSERT(broken >= 4);
}

static void test_dropping_channel_state_is_caught(void)
{
    crun_t *r = crun(CL("bidirectional-ring", "mutant: drop-channel-state\n"), 1);
    CU_ASSERT_FALSE(r->v.conserve_ok);
    CU_ASSERT(r->v.conserve.violations[SB_CONSERVE_CONSERVATION] > 0);
    CU_ASSERT(r->v.conserve.violations[SB_CONSERVE_CHANNEL_STATE] > 0);
    crun_free(r);
}

#define CRASH "  snapshot_interval: 3ms\nrestart-strategy.fixed-delay.delay: 1ms\nfaults:\n" \
              "  - { do: { crash: process, process: 2 }, at: 12ms }\n" \
              "  - { do: { delay: spike, extra: 1ms, from: 1 }, at: 2ms, for: 2ms }\n"
#define CL_CRASH(extra) \
    "name: cl\nsim:\n  model: chandy-lamport\n  processes: 5\n  graph: ring\n"   \
    "  tokens: 100\n  transfer_interval: 50us\n  snapshots: 5\n"                 \
    "  channel: { delay: uniform, min: 100us, max: 900us }\n" CRASH extra

static void test_a_rollback_restores_the_newest_snapshot_and_conserves_the_tokens(void)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        crun_t *r = crun(CL_CRASH(""), seed);
        expect_conserved(r);
        CU_ASSERT_EQUAL(r->st.crashes, 1);
        CU_ASSERT_EQUAL(r->st.rollbacks, 1);
        CU_ASSERT_EQUAL(r->v.conserve.checked[SB_CONSERVE_RESTORES], 1);
        CU_ASSERT_EQUAL(r->v.conserve.violations[SB_CONSERVE_RESTORES], 0);
        /* Snapshots go on after the rollback, and conserve too. */
        CU_ASSERT(r->st.snapshots_completed >= 3);
        CU_ASSERT_EQUAL(r->st.snapshots_completed + r->st.snapshots_abandoned, 5);
        const char *d = sb_sim_trace(r->sim)->data;
        ASSERT_HAS(d, "\"event\":\"cl_restore\"");
        ASSERT_HAS(d, "\"tokens\":500");
        crun_free(r);
    }
}

static void test_a_rollback_without_recorded_channel_state_loses_tokens(void)
{
    crun_t *r = crun(CL_CRASH("mutant: drop-channel-state\n"), 1);
    CU_ASSERT_FALSE(r->v.conserve_ok);
    CU_ASSERT(r->v.conserve.violations[SB_CONSERVE_RESTORES] > 0);
    ASSERT_HAS(r->v.conserve.first[SB_CONSERVE_RESTORES], "tokens, but there are 500");
    crun_free(r);
}

static void test_same_seed_same_trace(void)
{
    crun_t *a = crun(CL("complete", ""), 9), *b = crun(CL("complete", ""), 9);
    const sb_tracebuf_t *ta = sb_sim_trace(a->sim), *tb = sb_sim_trace(b->sim);
    CU_ASSERT(ta->len == tb->len && memcmp(ta->data, tb->data, ta->len) == 0);
    crun_free(a);
    crun_free(b);
}

/* ------------------------------------------------------------ the checker */

static void feed(sb_conserve_t *c, const char *json)
{
    json_t *ev = json_loads(json, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    sb_conserve_event(c, ev);
    json_decref(ev);
}

/* Two processes, one channel each way, 10 tokens each; snapshot 1. */
static void two_processes(sb_conserve_t *c)
{
    feed(c, "{\"event\":\"cl_graph\",\"processes\":2,\"total\":20,\"channels\":["
            "{\"channel\":0,\"from\":0,\"to\":1},{\"channel\":1,\"from\":1,\"to\":0}]}");
}

static void test_checker_accepts_a_snapshot_with_tokens_in_flight(void)
{
    sb_conserve_t *c = sb_conserve_new();
    two_processes(c);
    /* P0 had sent one message (3 tokens) that P1 had not received when it
     * recorded: it is in the channel's state. */
    feed(c, "{\"event\":\"cl_recorded\",\"process\":0,\"snapshot\":1,\"balance\":7,"
            "\"sent\":[[0,1]],\"received\":[[1,0]]}");
    feed(c, "{\"event\":\"cl_recorded\",\"process\":1,\"snapshot\":1,\"balance\":10,"
            "\"sent\":[[1,0]],\"received\":[[0,0]]}");
    feed(c, "{\"event\":\"cl_channel_recorded\",\"process\":1,\"snapshot\":1,\"channel\":0,"
            "\"messages\":1,\"tokens\":3}");
    feed(c, "{\"event\":\"cl_channel_recorded\",\"process\":0,\"snapshot\":1,\"channel\":1,"
            "\"messages\":0,\"tokens\":0}");
    feed(c, "{\"event\":\"cl_snapshot_completed\",\"snapshot\":1}");
    sb_conserve_report_t r;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_conserve_finish(c, &r, &err), 0);
    CU_ASSERT(sb_conserve_report_ok(&r));
    CU_ASSERT_EQUAL(r.snapshots_checked, 1);
    char line[1024];
    sb_conserve_report_summary(&r, line, sizeof line);
    ASSERT_HAS(line, "1 snapshot conserves the 20 tokens");
    sb_conserve_free(c);
}

static void test_checker_names_a_double_counted_message(void)
{
    sb_conserve_t *c = sb_conserve_new();
    two_processes(c);
    /* P1 received P0's message before recording, but P0 recorded before
     * sending it: the 3 tokens are in both balances. */
    feed(c, "{\"event\":\"cl_recorded\",\"process\":0,\"snapshot\":1,\"balance\":10,"
            "\"sent\":[[0,0]],\"received\":[[1,0]]}");
    feed(c, "{\"event\":\"cl_recorded\",\"process\":1,\"snapshot\":1,\"balance\":13,"
            "\"sent\":[[1,0]],\"received\":[[0,1]]}");
    feed(c, "{\"event\":\"cl_channel_recorded\",\"process\":1,\"snapshot\":1,\"channel\":0,"
            "\"messages\":0,\"tokens\":0}");
    feed(c, "{\"event\":\"cl_channel_recorded\",\"process\":0,\"snapshot\":1,\"channel\":1,"
            "\"messages\":0,\"tokens\":0}");
    feed(c, "{\"event\":\"cl_snapshot_completed\",\"snapshot\":1}");
    sb_conserve_report_t r;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_conserve_finish(c, &r, &err), 0);
    CU_ASSERT_FALSE(sb_conserve_report_ok(&r));
    ASSERT_HAS(r.first[SB_CONSERVE_CONSERVATION], "23 in all, but there are 20 (+3)");
    ASSERT_HAS(r.first[SB_CONSERVE_ORPHANS], "channel P0→P1: P1 had received 1 messages");
    sb_conserve_free(c);
}

static void test_checker_names_a_rollback_to_an_older_snapshot(void)
{
    sb_conserve_t *c = sb_conserve_new();
    two_processes(c);
    feed(c, "{\"event\":\"cl_recorded\",\"process\":0,\"snapshot\":1,\"balance\":10,"
            "\"sent\":[[0,0]],\"received\":[[1,0]]}");
    feed(c, "{\"event\":\"cl_recorded\",\"process\":1,\"snapshot\":1,\"balance\":10,"
            "\"sent\":[[1,0]],\"received\":[[0,0]]}");
    feed(c, "{\"event\":\"cl_channel_recorded\",\"process\":1,\"snapshot\":1,\"channel\":0,"
            "\"messages\":0,\"tokens\":0}");
    feed(c, "{\"event\":\"cl_channel_recorded\",\"process\":0,\"snapshot\":1,\"channel\":1,"
            "\"messages\":0,\"tokens\":0}");
    feed(c, "{\"event\":\"cl_snapshot_completed\",\"snapshot\":1}");
    /* Back to the start although snapshot 1 had completed: the tokens add
     * up, but it is not the newest state the run could keep. */
    feed(c, "{\"event\":\"cl_restore\",\"snapshot\":0,\"balances\":[10,10],"
            "\"channels\":[[0,0,0],[1,0,0]]}");
    sb_conserve_report_t r;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_conserve_finish(c, &r, &err), 0);
    CU_ASSERT_EQUAL(r.violations[SB_CONSERVE_RESTORES], 1);
    ASSERT_HAS(r.first[SB_CONSERVE_RESTORES], "restored snapshot 0, but the newest completed one "
               "is 1");
    sb_conserve_free(c);
}

static void test_checker_refuses_a_trace_without_a_graph(void)
{
    sb_conserve_t *c = sb_conserve_new();
    sb_conserve_report_t r;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_conserve_finish(c, &r, &err), -1);
    ASSERT_HAS(err.msg, "no cl_graph");
    sb_conserve_free(c);
}

void test_sim_classic_register(void)
{
    static const sb_test_case_t cases[] = {
        { "a rollback restores the newest snapshot and conserves the tokens",
          test_a_rollback_restores_the_newest_snapshot_and_conserves_the_tokens },
        { "a rollback without recorded channel state loses tokens",
          test_a_rollback_without_recorded_channel_state_loses_tokens },
        { "the checker names a rollback to an older snapshot",
          test_checker_names_a_rollback_to_an_older_snapshot },
        { "FIFO snapshots conserve the tokens on every graph",
          test_fifo_snapshots_conserve_the_tokens_on_every_graph },
        { "two initiators and overlapping snapshots still conserve",
          test_two_initiators_and_overlapping_snapshots_still_conserve },
        { "without FIFO some snapshot does not conserve",
          test_without_fifo_some_snapshot_does_not_conserve },
        { "dropping channel state is caught", test_dropping_channel_state_is_caught },
        { "same seed, same trace", test_same_seed_same_trace },
        { "checker accepts a snapshot with tokens in flight",
          test_checker_accepts_a_snapshot_with_tokens_in_flight },
        { "checker names a double-counted message",
          test_checker_names_a_double_counted_message },
        { "checker refuses a trace without a graph", test_checker_refuses_a_trace_without_a_graph },
        { NULL, NULL },
    };
    sb_test_add_suite("sim classic Chandy-Lamport", cases);
}
