/* test_sim_narrate.c — the teaching narration: one line per event that
 * says what happened and, while a subtask aligns, which channels it still
 * waits for. */
#include <jansson.h>
#include <string.h>

#include "cu_helpers.h"
#include "narrate.h"

static const char *JOB_GRAPH =
    "{\"event\":\"job_graph\",\"t_ns\":1000,\"pid\":1,\"tasks\":["
    "{\"name\":\"source-0\",\"kind\":\"source\",\"subtask\":0},"
    "{\"name\":\"source-1\",\"kind\":\"source\",\"subtask\":1},"
    "{\"name\":\"source-2\",\"kind\":\"source\",\"subtask\":2},"
    "{\"name\":\"sink-0\",\"kind\":\"sink\",\"subtask\":0}],\"channels\":["
    "{\"channel\":0,\"from\":\"source-0\",\"to\":\"sink-0\"},"
    "{\"channel\":1,\"from\":\"source-1\",\"to\":\"sink-0\"},"
    "{\"channel\":2,\"from\":\"source-2\",\"to\":\"sink-0\"}],"
    "\"mode\":\"EXACTLY_ONCE\",\"unaligned\":false,\"aligned_timeout_ns\":0,\"attempt\":0}";

static sb_narrate_kind_t tell(sb_narrate_t *n, const char *json, char *line)
{
    json_t *ev = json_loads(json, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    sb_narrate_kind_t k = sb_narrate_event(n, ev, line, SB_NARRATE_LINE_BYTES_MAX);
    json_decref(ev);
    return k;
}

static void test_an_aligning_subtask_says_which_channels_it_still_waits_for(void)
{
    sb_narrate_t *n = sb_narrate_new();
    char line[SB_NARRATE_LINE_BYTES_MAX];
    CU_ASSERT_EQUAL(tell(n, JOB_GRAPH, line), SB_NARRATE_LINE);
    ASSERT_HAS(line, "4 subtasks, 3 channels");
    tell(n, "{\"event\":\"barrier_reached\",\"t_ns\":13400000,\"task\":\"sink-0\","
            "\"checkpoint\":3,\"channel\":1,\"position\":40}", line);
    ASSERT_HAS(line, "t=   13.399 ms");
    ASSERT_HAS(line, "sink-0 receives barrier 3 on source-1→sink-0");
    ASSERT_HAS(line, "blocks that channel; still waiting for source-0→sink-0, source-2→sink-0");
    tell(n, "{\"event\":\"barrier_reached\",\"t_ns\":13500000,\"task\":\"sink-0\","
            "\"checkpoint\":3,\"channel\":0,\"position\":41}", line);
    ASSERT_HAS(line, "still waiting for source-2→sink-0");
    tell(n, "{\"event\":\"barrier_reached\",\"t_ns\":13600000,\"task\":\"sink-0\","
            "\"checkpoint\":3,\"channel\":2,\"position\":38}", line);
    ASSERT_HAS(line, "the last one it waited for");
    /* The next checkpoint starts counting again. */
    tell(n, "{\"event\":\"barrier_reached\",\"t_ns\":23600000,\"task\":\"sink-0\","
            "\"checkpoint\":4,\"channel\":2,\"position\":80}", line);
    ASSERT_HAS(line, "still waiting for source-0→sink-0, source-1→sink-0");
    sb_narrate_free(n);
}

static void test_overtaken_records_and_channel_state_are_counted(void)
{
    sb_narrate_t *n = sb_narrate_new();
    char line[SB_NARRATE_LINE_BYTES_MAX];
    tell(n, JOB_GRAPH, line);
    tell(n, "{\"event\":\"barrier_received\",\"t_ns\":2000,\"task\":\"sink-0\",\"checkpoint\":2,"
            "\"channel\":2,\"position\":50,\"read\":45,\"unaligned\":true}", line);
    ASSERT_HAS(line, "sink-0 hears of barrier 2 on source-2→sink-0");
    ASSERT_HAS(line, "so 5 records are still ahead of it");
    tell(n, "{\"event\":\"channel_state\",\"t_ns\":2100,\"task\":\"sink-0\",\"checkpoint\":2,"
            "\"ranges\":[[0,7,7],[2,45,50]],\"records\":5,\"bytes\":80}", line);
    ASSERT_HAS(line, "records 46..50 on source-2→sink-0 (5 in flight across the cut");
    sb_narrate_free(n);
}

static void test_records_are_not_told_and_checkpoint_ends_are_marked(void)
{
    sb_narrate_t *n = sb_narrate_new();
    char line[SB_NARRATE_LINE_BYTES_MAX];
    tell(n, JOB_GRAPH, line);
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"send\",\"t_ns\":5,\"task\":\"source-0\",\"channel\":0,"
                            "\"first\":1,\"ids\":[\"0:0\"]}", line), SB_NARRATE_SKIP);
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"checkpoint_completed\",\"t_ns\":9,\"checkpoint\":1,"
                            "\"state_bytes\":64,\"final\":false}", line),
                    SB_NARRATE_CHECKPOINT_END);
    ASSERT_HAS(line, "checkpoint 1 COMPLETED");
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"checkpoint_aborted\",\"t_ns\":9,\"checkpoint\":2,"
                            "\"reason\":\"timeout\"}", line), SB_NARRATE_CHECKPOINT_END);
    ASSERT_HAS(line, "checkpoint 2 ABORTED (timeout)");
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"crash\",\"t_ns\":10,\"attempt\":0}", line),
                    SB_NARRATE_LINE);
    ASSERT_HAS(line, "CRASH: worker attempt 0 is killed");
    sb_narrate_free(n);
}

static void test_classic_markers_and_recordings_are_told(void)
{
    sb_narrate_t *n = sb_narrate_new();
    char line[SB_NARRATE_LINE_BYTES_MAX];
    tell(n, "{\"event\":\"cl_graph\",\"t_ns\":0,\"processes\":3,\"tokens\":10,\"total\":30,"
            "\"fifo\":true,\"channels\":[{\"channel\":0,\"from\":0,\"to\":1},"
            "{\"channel\":1,\"from\":2,\"to\":1},{\"channel\":2,\"from\":1,\"to\":0},"
            "{\"channel\":3,\"from\":1,\"to\":2}]}", line);
    ASSERT_HAS(line, "3 processes, 4 channels (FIFO), 10 tokens each, 30 in all");
    tell(n, "{\"event\":\"marker_received\",\"t_ns\":5,\"process\":1,\"snapshot\":2,"
            "\"channel\":0,\"position\":4,\"read\":4,\"first\":true}", line);
    ASSERT_HAS(line, "P1 receives marker 2 on P0→P1: its first of this snapshot");
    tell(n, "{\"event\":\"cl_recorded\",\"t_ns\":5,\"process\":1,\"snapshot\":2,"
            "\"balance\":1,\"initiator\":false}", line);
    ASSERT_HAS(line, "P1 records its state for snapshot 2: 1 token; records P2→P1 until");
    tell(n, "{\"event\":\"cl_channel_recorded\",\"t_ns\":9,\"process\":1,\"snapshot\":2,"
            "\"channel\":1,\"messages\":2,\"tokens\":7}", line);
    ASSERT_HAS(line, "P1's record of P2→P1 for snapshot 2: 2 messages, 7 tokens in flight");
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"cl_snapshot_completed\",\"t_ns\":9,"
                            "\"snapshot\":2}", line), SB_NARRATE_CHECKPOINT_END);
    ASSERT_HAS(line, "snapshot 2 COMPLETE");
    sb_narrate_free(n);
}

static void test_a_pause_and_a_crash_point_are_told_as_such(void)
{
    sb_narrate_t *n = sb_narrate_new();
    char line[SB_NARRATE_LINE_BYTES_MAX];
    tell(n, JOB_GRAPH, line);
    /* As sim/pipeline.c traces a pause window. */
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"fault_started\",\"t_ns\":3000000,\"fault\":0,"
                            "\"kind\":\"pause\",\"detail\":\"the worker is stopped (SIGSTOP) "
                            "for 2000000 ns\"}", line), SB_NARRATE_LINE);
    ASSERT_HAS(line, "PAUSE: the worker is stopped for 2.000 ms");
    CU_ASSERT_PTR_NULL(strstr(line, "DELAY SPIKE"));
    tell(n, "{\"event\":\"fault_ended\",\"t_ns\":5000000,\"fault\":0,\"kind\":\"pause\","
            "\"detail\":\"the worker is stopped (SIGSTOP) for 2000000 ns\"}", line);
    ASSERT_HAS(line, "the pause is over");
    CU_ASSERT_PTR_NULL(strstr(line, "spike"));
    /* A crash point fires: the worker kills itself there. */
    CU_ASSERT_EQUAL(tell(n, "{\"event\":\"fault_fired\",\"t_ns\":5900000,\"fault\":1,"
                            "\"point\":\"sink.after_snapshot\",\"checkpoint\":1,\"hit\":1}",
                         line), SB_NARRATE_LINE);
    ASSERT_HAS(line, "CRASH POINT: the worker kills itself at sink.after_snapshot (checkpoint 1, "
               "hit 1)");
    /* A random kill is the supervisor's crash. */
    tell(n, "{\"event\":\"crash\",\"t_ns\":9000000,\"attempt\":1,\"signal\":9,"
            "\"signal_name\":\"SIGKILL\",\"injected\":true,\"fault\":2}", line);
    ASSERT_HAS(line, "CRASH: worker attempt 1 is killed");
    sb_narrate_free(n);
}

void test_sim_narrate_register(void)
{
    static const sb_test_case_t cases[] = {
        { "an aligning subtask says which channels it still waits for",
          test_an_aligning_subtask_says_which_channels_it_still_waits_for },
        { "overtaken records and channel state are counted",
          test_overtaken_records_and_channel_state_are_counted },
        { "records are not told and checkpoint ends are marked",
          test_records_are_not_told_and_checkpoint_ends_are_marked },
        { "classic markers and recordings are told",
          test_classic_markers_and_recordings_are_told },
        { "a pause and a crash point are told as such",
          test_a_pause_and_a_crash_point_are_told_as_such },
        { NULL, NULL },
    };
    sb_test_add_suite("sim narration", cases);
}
