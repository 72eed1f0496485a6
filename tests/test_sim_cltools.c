/* test_sim_cltools.c — the tools on a classic Chandy–Lamport trace file:
 * the snapshot checker as `snapbed check` runs it (sim/conserve.h), the
 * trace read for pictures (viz/cltrace.h) and the pictures themselves
 * (viz/clpictures.h), on a tiny hand-written trace.
 *
 * The fixture: P0 and P1 on a ring of two (channel 0: P0→P1, channel 1:
 * P1→P0), 10 tokens each. P0 sends 3 to P1, then initiates snapshot 1
 * (balance 7). P1 receives the 3, sends 2 back (balance 11), then gets
 * the marker and records 11. The 2 arrive at P0 after it recorded and
 * before P1's marker: channel 1's state is that message. 7 + 11 + 2 = 20.
 * With `drop` the channel state is recorded empty (the mutant): 18. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "clpictures.h"
#include "cltrace.h"
#include "conserve.h"
#include "cu_helpers.h"
#include "cu_tmpdir.h"

typedef struct fixture {
    char dir[64];
    char path[96];
} fixture_t;

static void write_trace(fixture_t *fx, bool drop, bool finished, bool cut_last)
{
    temp_dir_make(fx->dir, sizeof fx->dir, "/tmp/sb-cltools-XXXXXX");
    snprintf(fx->path, sizeof fx->path, "%s/trace.jsonl", fx->dir);
    FILE *f = fopen(fx->path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
        "{\"event\":\"run_started\",\"t_ns\":0,\"pid\":1000,\"model\":\"chandy-lamport\"}\n"
        "{\"event\":\"cl_graph\",\"t_ns\":0,\"processes\":2,\"tokens\":10,\"total\":20,"
        "\"fifo\":true,\"channels\":[{\"channel\":0,\"from\":0,\"to\":1},"
        "{\"channel\":1,\"from\":1,\"to\":0}]}\n"
        "{\"event\":\"cl_send\",\"t_ns\":10,\"process\":0,\"channel\":0,\"seq\":1,\"tokens\":3}\n"
        "{\"event\":\"cl_recorded\",\"t_ns\":20,\"process\":0,\"snapshot\":1,\"balance\":7,"
        "\"initiator\":true,\"sent\":[[0,1]],\"received\":[[1,0]]}\n"
        "{\"event\":\"marker_sent\",\"t_ns\":20,\"process\":0,\"snapshot\":1,\"channel\":0,"
        "\"position\":1}\n"
        "{\"event\":\"cl_recv\",\"t_ns\":30,\"process\":1,\"channel\":0,\"seq\":1,"
        "\"sent_seq\":1,\"tokens\":3}\n"
        "{\"event\":\"cl_send\",\"t_ns\":35,\"process\":1,\"channel\":1,\"seq\":1,\"tokens\":2}\n"
        "{\"event\":\"marker_received\",\"t_ns\":40,\"process\":1,\"snapshot\":1,\"channel\":0}\n"
        "{\"event\":\"cl_recorded\",\"t_ns\":40,\"process\":1,\"snapshot\":1,\"balance\":11,"
        "\"initiator\":false,\"sent\":[[1,1]],\"received\":[[0,1]]}\n"
        "{\"event\":\"marker_sent\",\"t_ns\":40,\"process\":1,\"snapshot\":1,\"channel\":1,"
        "\"position\":1}\n"
        "{\"event\":\"cl_channel_recorded\",\"t_ns\":40,\"process\":1,\"snapshot\":1,"
        "\"channel\":0,\"messages\":0,\"tokens\":0,\"from\":1,\"to\":1}\n"
        "{\"event\":\"cl_recv\",\"t_ns\":45,\"process\":0,\"channel\":1,\"seq\":1,"
        "\"sent_seq\":1,\"tokens\":2}\n"
        "{\"event\":\"restore\",\"t_ns\":47,\"process\":1}\n"
        "{\"event\":\"marker_received\",\"t_ns\":50,\"process\":0,\"snapshot\":1,\"channel\":1}\n"
        "{\"event\":\"cl_channel_recorded\",\"t_ns\":50,\"process\":0,\"snapshot\":1,"
        "\"channel\":1,\"messages\":%d,\"tokens\":%d,\"from\":0,\"to\":1}\n"
        "{\"event\":\"cl_snapshot_completed\",\"t_ns\":50,\"snapshot\":1}\n",
        drop ? 0 : 1, drop ? 0 : 2);
    if (finished)
        fprintf(f, "{\"event\":\"run_finished\",\"t_ns\":60,\"pid\":1000}\n");
    if (cut_last)
        fprintf(f, "{\"event\":\"cl_se");
    fclose(f);
}

static void test_check_accepts_a_trace_that_conserves_the_tokens(void)
{
    fixture_t fx;
    write_trace(&fx, false, true, false);
    bool classic = false;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_conserve_trace_is_classic(fx.path, &classic, &err), 0);
    CU_ASSERT_TRUE(classic);
    sb_conserve_report_t r;
    CU_ASSERT_EQUAL_FATAL(sb_conserve_check_file(fx.path, &r, &err), 0);
    CU_ASSERT_TRUE(sb_conserve_report_ok(&r));
    CU_ASSERT_EQUAL(r.snapshots_checked, 1);
    CU_ASSERT_EQUAL(r.total, 20);
    CU_ASSERT_EQUAL(r.checked[SB_CONSERVE_CHANNEL_STATE], 2);
    temp_dir_remove(fx.dir);
}

/* The negative control: the same run with its channel state dropped. */
static void test_check_names_the_lost_channel_state(void)
{
    fixture_t fx;
    write_trace(&fx, true, true, false);
    sb_conserve_report_t r;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_conserve_check_file(fx.path, &r, &err), 0);
    CU_ASSERT_FALSE(sb_conserve_report_ok(&r));
    CU_ASSERT_EQUAL(r.first_kind, SB_CONSERVE_CONSERVATION);
    ASSERT_HAS(r.first[SB_CONSERVE_CONSERVATION], "18 in all, but there are 20");
    ASSERT_HAS(r.first[SB_CONSERVE_CHANNEL_STATE], "channel P1→P0: 1 message was in flight");
    temp_dir_remove(fx.dir);
}

static void test_check_refuses_a_trace_cut_short_with_its_line(void)
{
    fixture_t fx;
    write_trace(&fx, false, false, true);
    sb_conserve_report_t r;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_conserve_check_file(fx.path, &r, &err), -1);
    ASSERT_HAS(err.msg, "trace.jsonl:17: the line is cut short");
    temp_dir_remove(fx.dir);
    write_trace(&fx, false, false, false);
    CU_ASSERT_EQUAL(sb_conserve_check_file(fx.path, &r, &err), -1);
    ASSERT_HAS(err.msg, "trace.jsonl:17: the trace ends without run_finished");
    temp_dir_remove(fx.dir);
}

/* Found by fuzzing: snapshot id 0 matched a free slot whose arrays were
 * never allocated (UBSan: offset on a null pointer); a second cl_graph
 * would change the channel count under snapshots already sized. */
static void test_snapshot_zero_and_a_second_graph_are_refused(void)
{
    static const char *const graph =
        "{\"event\":\"cl_graph\",\"processes\":2,\"tokens\":10,\"total\":20,"
        "\"channels\":[{\"channel\":0,\"from\":0,\"to\":1},"
        "{\"channel\":1,\"from\":1,\"to\":0}]}";
    static const char *const zero =
        "{\"event\":\"cl_recorded\",\"process\":0,\"snapshot\":0,\"balance\":0,"
        "\"sent\":[[0,5]],\"received\":[[1,5]]}";
    for (int second_graph = 0; second_graph < 2; second_graph++) {
        sb_conserve_t *c = sb_conserve_new();
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        const char *lines[] = { graph, second_graph ? graph : zero };
        for (int i = 0; i < 2; i++) {
            json_t *ev = json_loads(lines[i], 0, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
            sb_conserve_event(c, ev);
            json_decref(ev);
        }
        sb_conserve_report_t r;
        sb_err_t err = { { 0 } };
        int rc = sb_conserve_finish(c, &r, &err);
        CU_ASSERT_TRUE(rc != 0 || !sb_conserve_report_ok(&r));
        const char *said = rc != 0 ? err.msg : r.first[r.first_kind];
        ASSERT_HAS(said, second_graph ? "cl_graph appears twice" : "snapshot ids start at 1");
        sb_conserve_free(c);
    }
}

static void test_a_pipeline_trace_is_not_classic(void)
{
    fixture_t fx;
    temp_dir_make(fx.dir, sizeof fx.dir, "/tmp/sb-cltools-XXXXXX");
    snprintf(fx.path, sizeof fx.path, "%s/trace.jsonl", fx.dir);
    FILE *f = fopen(fx.path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "{\"event\":\"run_started\",\"t_ns\":0,\"pid\":1000,\"simulated\":true,"
               "\"protocol\":\"aligned\"}\n");
    fclose(f);
    bool classic = true;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_conserve_trace_is_classic(fx.path, &classic, &err), 0);
    CU_ASSERT_FALSE(classic);
    temp_dir_remove(fx.dir);
}

static void test_messages_are_classed_by_their_place_across_the_cut(void)
{
    fixture_t fx;
    write_trace(&fx, false, true, false);
    sb_cltrace_t t;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_cltrace_load(&t, fx.path, &err), 0);
    CU_ASSERT_TRUE(t.records_traced);
    CU_ASSERT_EQUAL(t.marks_count, 1); /* the unknown restore event, kept as a mark */
    CU_ASSERT_STRING_EQUAL(t.marks[0].event, "restore");
    const sb_clsnapshot_t *s = &t.snapshots[1];
    CU_ASSERT_EQUAL(s->completed_ns, 50);
    CU_ASSERT_TRUE(s->initiator[0]);
    CU_ASSERT_EQUAL(sb_cltrace_class(&s->cuts[0], 1, &t.channels[0].msgs[0]),
                    SB_CLCLASS_BEFORE);
    CU_ASSERT_EQUAL(sb_cltrace_class(&s->cuts[1], 1, &t.channels[1].msgs[0]),
                    SB_CLCLASS_RECORDED);
    /* The same message, had the receiver recorded nothing: missed. */
    sb_clcut_t dropped = s->cuts[1];
    dropped.messages = 0;
    CU_ASSERT_EQUAL(sb_cltrace_class(&dropped, 1, &t.channels[1].msgs[0]), SB_CLCLASS_MISSED);
    /* Sent after the sender recorded, received before the receiver did. */
    sb_clcut_t early = { .sent = 0, .received = 1, .messages = 0 };
    CU_ASSERT_EQUAL(sb_cltrace_class(&early, 1, &t.channels[1].msgs[0]), SB_CLCLASS_ORPHAN);
    sb_clcut_t extra = { .sent = 0, .received = 0, .messages = 1 };
    CU_ASSERT_EQUAL(sb_cltrace_class(&extra, 1, &t.channels[1].msgs[0]), SB_CLCLASS_EXTRA);
    sb_cltrace_free(&t);
    temp_dir_remove(fx.dir);
}

/* Edges of g whose id starts with prefix; red ones counted apart. */
static int edges_with(Agraph_t *g, const char *prefix, int *red)
{
    int n = 0;
    *red = 0;
    for (Agnode_t *v = agfstnode(g); v != NULL; v = agnxtnode(g, v))
        for (Agedge_t *e = agfstout(g, v); e != NULL; e = agnxtout(g, e)) {
            const char *id = agget(e, "id");
            if (id == NULL || strncmp(id, prefix, strlen(prefix)) != 0)
                continue;
            n++;
            const char *color = agget(e, "color");
            *red += color != NULL && strcmp(color, "#d62728") == 0;
        }
    return n;
}

static void pictures(bool drop, int *marker_edges, int *red_msgs, int *red_channels,
                     int *recorded)
{
    fixture_t fx;
    write_trace(&fx, drop, true, false);
    sb_cltrace_t t;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_cltrace_load(&t, fx.path, &err), 0);
    Agraph_t *st = sb_clpictures_spacetime(&t, 1, 0);
    int red = 0;
    *marker_edges = edges_with(st, "marker", &red);
    edges_with(st, "msg", red_msgs);
    int ignored;
    *recorded = edges_with(st, "msg0_recorded", &ignored) + edges_with(st, "msg1_recorded",
                                                                       &ignored);
    agclose(st);
    Agraph_t *g = sb_clpictures_graph(&t, 1);
    CU_ASSERT_EQUAL(edges_with(g, "ch", red_channels), 2);
    agclose(g);
    sb_cltrace_free(&t);
    temp_dir_remove(fx.dir);
}

static void test_pictures_draw_one_marker_per_channel_and_channel_state(void)
{
    int markers, red_msgs, red_channels, recorded;
    pictures(false, &markers, &red_msgs, &red_channels, &recorded);
    CU_ASSERT_EQUAL(markers, 2);
    CU_ASSERT_EQUAL(recorded, 1);
    CU_ASSERT_EQUAL(red_msgs, 0);
    CU_ASSERT_EQUAL(red_channels, 0);
}

static void test_pictures_draw_the_lost_channel_state_red(void)
{
    int markers, red_msgs, red_channels, recorded;
    pictures(true, &markers, &red_msgs, &red_channels, &recorded);
    CU_ASSERT_EQUAL(markers, 2);
    CU_ASSERT_EQUAL(recorded, 0);
    CU_ASSERT_EQUAL(red_msgs, 1);
    CU_ASSERT_EQUAL(red_channels, 1);
}

/* A crash and a rollback. Snapshot 1 as in write_trace; then P0 sends 4
 * (seq 2 on channel 0), lost in flight when P1 crashes. The rollback
 * restores snapshot 1 (7, 11, and the 2 on channel 1 back in flight:
 * channel 0 numbers again from 1, channel 1 from 0, so the replayed
 * message is seq 1 again). After it P0 sends 1 (seq 2 again), initiates
 * snapshot 2 (balance 6), then gets the replayed 2; P1 gets the 1, records
 * 12 with its marker; P0 records the 2 as channel 1's state. 6 + 12 + 2 =
 * 20. With `drop` that state is recorded empty. */
static void write_rollback_trace(fixture_t *fx, bool drop, bool base)
{
    write_trace(fx, false, false, false);
    FILE *f = fopen(fx->path, "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
        "{\"event\":\"cl_send\",\"t_ns\":55,\"process\":0,\"channel\":0,\"seq\":2,\"tokens\":4}\n"
        "{\"event\":\"cl_crash\",\"t_ns\":60,\"process\":1,\"fault\":0,\"restore_from\":1}\n"
        "{\"event\":\"cl_restore\",\"t_ns\":70,\"snapshot\":1,\"fault\":0,\"balances\":[7,11],"
        "\"channels\":[[0,0,0%s],[1,1,2%s]],\"tokens\":20}\n"
        "{\"event\":\"cl_send\",\"t_ns\":70,\"process\":1,\"channel\":1,\"seq\":1,\"tokens\":2,"
        "\"replayed\":true}\n"
        "{\"event\":\"cl_send\",\"t_ns\":80,\"process\":0,\"channel\":0,\"seq\":2,\"tokens\":1}\n"
        "{\"event\":\"cl_recorded\",\"t_ns\":90,\"process\":0,\"snapshot\":2,\"balance\":6,"
        "\"initiator\":true,\"sent\":[[0,2]],\"received\":[[1,0]]}\n"
        "{\"event\":\"marker_sent\",\"t_ns\":90,\"process\":0,\"snapshot\":2,\"channel\":0,"
        "\"position\":2}\n"
        "{\"event\":\"cl_recv\",\"t_ns\":95,\"process\":0,\"channel\":1,\"seq\":1,"
        "\"sent_seq\":1,\"tokens\":2}\n"
        "{\"event\":\"cl_recv\",\"t_ns\":100,\"process\":1,\"channel\":0,\"seq\":2,"
        "\"sent_seq\":2,\"tokens\":1}\n"
        "{\"event\":\"marker_received\",\"t_ns\":110,\"process\":1,\"snapshot\":2,\"channel\":0}\n"
        "{\"event\":\"cl_recorded\",\"t_ns\":110,\"process\":1,\"snapshot\":2,\"balance\":12,"
        "\"initiator\":false,\"sent\":[[1,1]],\"received\":[[0,2]]}\n"
        "{\"event\":\"marker_sent\",\"t_ns\":110,\"process\":1,\"snapshot\":2,\"channel\":1,"
        "\"position\":1}\n"
        "{\"event\":\"cl_channel_recorded\",\"t_ns\":110,\"process\":1,\"snapshot\":2,"
        "\"channel\":0,\"messages\":0,\"tokens\":0,\"from\":2,\"to\":2}\n"
        "{\"event\":\"marker_received\",\"t_ns\":120,\"process\":0,\"snapshot\":2,\"channel\":1}\n"
        "{\"event\":\"cl_channel_recorded\",\"t_ns\":120,\"process\":0,\"snapshot\":2,"
        "\"channel\":1,\"messages\":%d,\"tokens\":%d,\"from\":0,\"to\":1}\n"
        "{\"event\":\"cl_snapshot_completed\",\"t_ns\":120,\"snapshot\":2}\n"
        "{\"event\":\"run_finished\",\"t_ns\":130,\"pid\":1000}\n",
        base ? ",1" : "", base ? ",0" : "", drop ? 0 : 1, drop ? 0 : 2);
    fclose(f);
}

static void test_a_rollback_starts_a_new_generation_of_messages(void)
{
    fixture_t fx;
    write_rollback_trace(&fx, false, true);
    sb_conserve_report_t r;
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL_FATAL(sb_conserve_check_file(fx.path, &r, &err), 0);
    CU_ASSERT_TRUE(sb_conserve_report_ok(&r));
    CU_ASSERT_EQUAL(r.snapshots_checked, 2);
    CU_ASSERT_EQUAL(r.checked[SB_CONSERVE_RESTORES], 1);
    sb_cltrace_t t;
    CU_ASSERT_EQUAL_FATAL(sb_cltrace_load(&t, fx.path, &err), 0);
    CU_ASSERT_EQUAL(t.generations, 2);
    CU_ASSERT_EQUAL(t.snapshots[1].generation, 0);
    CU_ASSERT_EQUAL(t.snapshots[1].generation_to_ns, 70);
    CU_ASSERT_EQUAL(t.snapshots[2].generation, 1);
    CU_ASSERT_EQUAL(t.snapshots[2].generation_from_ns, 70);
    /* Numbering grows across the rollback: 3 sends on channel 0, 2 on 1. */
    CU_ASSERT_EQUAL_FATAL(t.channels[0].count, 3);
    CU_ASSERT_EQUAL_FATAL(t.channels[1].count, 2);
    CU_ASSERT_TRUE(t.channels[1].msgs[1].replayed);
    CU_ASSERT_EQUAL(t.channels[1].msgs[1].recv_index, 2);
    CU_ASSERT_EQUAL(t.channels[0].msgs[1].recv_ns, -1); /* lost at the crash */
    const sb_clcut_t *c0 = &t.snapshots[2].cuts[0], *c1 = &t.snapshots[2].cuts[1];
    CU_ASSERT_EQUAL(c0->sent, 3);
    CU_ASSERT_EQUAL(c1->received, 1);
    /* The lost message is no business of snapshot 2; snapshot 2's messages
     * come after snapshot 1. */
    CU_ASSERT_EQUAL(sb_cltrace_class(c0, 2, &t.channels[0].msgs[1]), SB_CLCLASS_BEFORE);
    CU_ASSERT_EQUAL(sb_cltrace_class(c1, 2, &t.channels[1].msgs[1]), SB_CLCLASS_RECORDED);
    CU_ASSERT_EQUAL(sb_cltrace_class(&t.snapshots[1].cuts[0], 3, &t.channels[0].msgs[2]),
                    SB_CLCLASS_AFTER);
    for (int k = 1; k <= 2; k++) {
        int64_t counts[SB_CLCLASS_COUNT_];
        sb_clpictures_count(&t, k, counts);
        CU_ASSERT_EQUAL(counts[SB_CLCLASS_RECORDED], 1);
        CU_ASSERT_EQUAL(counts[SB_CLCLASS_MISSED] + counts[SB_CLCLASS_ORPHAN] +
                        counts[SB_CLCLASS_EXTRA], 0);
    }
    /* Snapshot 2's picture: its generation's two messages, none red. */
    Agraph_t *st = sb_clpictures_spacetime(&t, 2, 0);
    int red = 0;
    CU_ASSERT_EQUAL(edges_with(st, "msg", &red), 2);
    CU_ASSERT_EQUAL(red, 0);
    agclose(st);
    sb_cltrace_free(&t);
    temp_dir_remove(fx.dir);
}

/* The negative control: after the rollback the replayed message is not
 * recorded, and snapshot 2 misses it. */
static void test_a_snapshot_after_a_rollback_that_drops_its_state_misses_a_message(void)
{
    fixture_t fx;
    write_rollback_trace(&fx, true, true);
    sb_cltrace_t t;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_cltrace_load(&t, fx.path, &err), 0);
    int64_t counts[SB_CLCLASS_COUNT_];
    sb_clpictures_count(&t, 2, counts);
    CU_ASSERT_EQUAL(counts[SB_CLCLASS_MISSED], 1);
    CU_ASSERT_EQUAL(counts[SB_CLCLASS_RECORDED], 0);
    Agraph_t *st = sb_clpictures_spacetime(&t, 2, 0);
    int red = 0;
    edges_with(st, "msg", &red);
    CU_ASSERT_EQUAL(red, 1);
    agclose(st);
    sb_cltrace_free(&t);
    temp_dir_remove(fx.dir);
}

static void test_a_rollback_without_base_counts_is_refused_with_its_line(void)
{
    fixture_t fx;
    write_rollback_trace(&fx, false, false);
    sb_cltrace_t t;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_cltrace_load(&t, fx.path, &err), -1);
    ASSERT_HAS(err.msg, "trace.jsonl:19: cl_restore: channel 0 has no [channel, messages, "
               "tokens, base]");
    sb_cltrace_free(&t);
    temp_dir_remove(fx.dir);
}

void test_sim_cltools_register(void)
{
    static const sb_test_case_t cases[] = {
        { "check accepts a trace that conserves the tokens",
          test_check_accepts_a_trace_that_conserves_the_tokens },
        { "check names the lost channel state", test_check_names_the_lost_channel_state },
        { "check refuses a trace cut short, with its line",
          test_check_refuses_a_trace_cut_short_with_its_line },
        { "snapshot 0 and a second cl_graph are refused",
          test_snapshot_zero_and_a_second_graph_are_refused },
        { "a pipeline trace is not classic", test_a_pipeline_trace_is_not_classic },
        { "messages are classed by their place across the cut",
          test_messages_are_classed_by_their_place_across_the_cut },
        { "pictures draw one marker per channel and channel state",
          test_pictures_draw_one_marker_per_channel_and_channel_state },
        { "pictures draw the lost channel state red",
          test_pictures_draw_the_lost_channel_state_red },
        { "a rollback starts a new generation of messages",
          test_a_rollback_starts_a_new_generation_of_messages },
        { "a snapshot after a rollback that drops its state misses a message",
          test_a_snapshot_after_a_rollback_that_drops_its_state_misses_a_message },
        { "a rollback without base counts is refused, with its line",
          test_a_rollback_without_base_counts_is_refused_with_its_line },
        { NULL, NULL },
    };
    sb_test_add_suite("sim classic tools (check, pictures)", cases);
}
