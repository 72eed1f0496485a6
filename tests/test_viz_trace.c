/* test_viz_trace.c — a run's trace loaded for the pictures
 * (viz/runtrace.h): job graphs per incarnation, batches matched by
 * channel and first position within an incarnation, each checkpoint's cut,
 * and the run-level events; malformed input named by its line. */
#include <stdlib.h>

#include "runtrace.h"
#include "test_viz_fixture.h"

static void test_job_graph_gives_tasks_in_order_and_channels_by_task_index(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_job_graph_fan_in(&x, 0, 100, true);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_EQUAL_FATAL(x.rt.incarnations_count, 1);
    const sb_runtrace_incarnation_t *inc = &x.rt.incarnations[0];
    CU_ASSERT_EQUAL(inc->pid, VFX_WORKER);
    CU_ASSERT_TRUE(inc->unaligned);
    CU_ASSERT_EQUAL_FATAL(inc->tasks_count, 4);
    CU_ASSERT_STRING_EQUAL(inc->tasks[2].name, "map-0");
    CU_ASSERT_STRING_EQUAL(inc->tasks[2].kind, "map");
    CU_ASSERT_EQUAL_FATAL(inc->channels_count, 3);
    const sb_runtrace_channel_t *ch = sb_runtrace_channel(inc, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
    CU_ASSERT_EQUAL(ch->from, 1);
    CU_ASSERT_EQUAL(ch->to, 2);
    CU_ASSERT_PTR_NULL(sb_runtrace_channel(inc, 7));
    CU_ASSERT_EQUAL(sb_runtrace_task_index(inc, "sink-0"), 3);
    CU_ASSERT_EQUAL(sb_runtrace_task_index(inc, "nope"), -1);
    CU_ASSERT_EQUAL(x.rt.origin_ns, vfx_ns(0));
    vfx_close(&x);
}

static void test_batches_are_matched_by_channel_and_first_position_and_sorted_by_send(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_job_graph_fan_in(&x, 0, 0, false);
    /* Lines of different tasks come in any order. */
    vfx_batch_line(&x, 0, "recv", "map-0", 0, 4, 2, 700);
    vfx_batch_line(&x, 0, "send", "source-0", 0, 1, 3, 300);
    vfx_batch_line(&x, 0, "send", "source-0", 0, 4, 2, 500);
    vfx_batch_line(&x, 0, "recv", "map-0", 0, 1, 3, 400);
    vfx_batch_line(&x, 0, "send", "source-1", 1, 1, 1, 350); /* never received */
    vfx_batch_line(&x, 0, "recv", "sink-0", 2, 1, 1, 900);   /* its send was lost */
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    const sb_runtrace_incarnation_t *inc = &x.rt.incarnations[0];
    CU_ASSERT_TRUE(x.rt.records_traced);
    CU_ASSERT_EQUAL_FATAL(inc->batches_count, 4);
    CU_ASSERT_EQUAL(inc->sends_unmatched, 1);
    CU_ASSERT_EQUAL(inc->recvs_unmatched, 1);
    const sb_runtrace_batch_t *b = inc->batches;
    CU_ASSERT(b[0].channel == 0 && b[0].first == 1 && b[0].count == 3);
    CU_ASSERT(b[0].send_ns == vfx_ns(300) && b[0].recv_ns == vfx_ns(400));
    CU_ASSERT(b[1].channel == 1 && b[1].recv_ns == -1);
    CU_ASSERT(b[2].channel == 0 && b[2].first == 4 && b[2].recv_ns == vfx_ns(700));
    CU_ASSERT(b[3].channel == 2 && b[3].send_ns == -1 && b[3].recv_ns == vfx_ns(900));
    vfx_close(&x);
}

static void test_positions_restart_per_incarnation_so_batches_never_match_across_them(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_job_graph_fan_in(&x, 0, 0, false);
    vfx_batch_line(&x, 0, "send", "source-0", 0, 1, 2, 100);
    vfx_crash(&x, 0, 200);
    vfx_job_graph_fan_in(&x, 1, 300, false);
    vfx_batch_line(&x, 1, "recv", "map-0", 0, 1, 2, 400);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_EQUAL_FATAL(x.rt.incarnations_count, 2);
    CU_ASSERT_EQUAL(x.rt.incarnations[0].sends_unmatched, 1);
    CU_ASSERT_EQUAL(x.rt.incarnations[1].recvs_unmatched, 1);
    CU_ASSERT_TRUE(x.rt.incarnations[0].crashed);
    CU_ASSERT_EQUAL(x.rt.incarnations[0].end_ns, vfx_ns(200));
    CU_ASSERT_FALSE(x.rt.incarnations[1].crashed);
    CU_ASSERT_EQUAL(x.rt.incarnations[1].end_ns, vfx_ns(400));
    vfx_close(&x);
}

static void test_a_checkpoint_keeps_its_cut_barriers_and_ranges(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    vfx_channel_state(&x, 0, "map-0", 1, 2050, "[[1,18,20]]");
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    const sb_runtrace_checkpoint_t *c = sb_runtrace_checkpoint(&x.rt, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NULL(sb_runtrace_checkpoint(&x.rt, 2));
    CU_ASSERT_EQUAL(c->trigger_ns, vfx_ns(1000));
    CU_ASSERT_PTR_EQUAL(sb_runtrace_incarnation_of(&x.rt, c), &x.rt.incarnations[0]);
    CU_ASSERT_EQUAL(c->snapshots_count, 4);
    CU_ASSERT_EQUAL(c->barriers_count, 3);
    CU_ASSERT_EQUAL(c->aligns_count, 2);
    const sb_runtrace_snapshot_t *map = sb_runtrace_snapshot_of(c, "map-0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(map);
    CU_ASSERT_EQUAL(map->t_ns, vfx_ns(2000));
    CU_ASSERT_EQUAL(sb_runtrace_cut_position(c, map, true, 0), 10);
    CU_ASSERT_EQUAL(sb_runtrace_cut_position(c, map, true, 1), 20);
    CU_ASSERT_EQUAL(sb_runtrace_cut_position(c, map, false, 2), 30);
    CU_ASSERT_EQUAL(sb_runtrace_cut_position(c, map, false, 0), -1);
    /* The channel's cut joins the sender's output and the receiver's input. */
    const sb_runtrace_incarnation_t *inc = &x.rt.incarnations[0];
    int64_t ranges[SB_RUNTRACE_CUT_RANGES_MAX][2];
    sb_cutclass_channel_t cut;
    sb_runtrace_channel_cut(c, inc, sb_runtrace_channel(inc, 1), ranges, &cut);
    CU_ASSERT_EQUAL(cut.sent, 20);
    CU_ASSERT_EQUAL(cut.read, 20);
    CU_ASSERT_EQUAL_FATAL(cut.ranges_count, 1);
    CU_ASSERT_EQUAL(cut.ranges[0][0], 18);
    CU_ASSERT_EQUAL(cut.ranges[0][1], 20);
    const sb_ckstats_checkpoint_t *st = sb_runtrace_stats(&x.rt, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(st->status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_EQUAL(st->subtasks_count, 4);
    vfx_close(&x);
}

static void test_a_checkpoint_belongs_to_the_incarnation_that_triggered_it(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_job_graph_fan_in(&x, 0, 0, false);
    vfx_crash(&x, 0, 100);
    vfx_job_graph_fan_in(&x, 1, 200, false);
    vfx_triggered(&x, 1, 3, 300);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    const sb_runtrace_checkpoint_t *c = sb_runtrace_checkpoint(&x.rt, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->incarnation, 1);
    CU_ASSERT_EQUAL(sb_runtrace_incarnation_of(&x.rt, c)->attempt, 1);
    vfx_close(&x);
}

static void test_samples_give_the_fullest_and_mean_fill_fraction(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_job_graph_fan_in(&x, 0, 0, false);
    vfx_sample(&x, 0, 100, 42, "[0,5,10]", 10);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_EQUAL_FATAL(x.rt.samples_count, 1);
    const sb_runtrace_sample_t *s = &x.rt.samples[0];
    CU_ASSERT_EQUAL(s->read, 42);
    CU_ASSERT_EQUAL(s->incarnation, 0);
    CU_ASSERT_DOUBLE_EQUAL(s->fill_max, 1.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(s->fill_mean, 0.5, 1e-9);
    vfx_close(&x);
}

static void test_faults_pair_start_and_end_by_index_and_an_unended_one_stays_open(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_fault(&x, true, 0, "throttle", 100);
    vfx_fault(&x, true, 1, "latency", 150);
    vfx_fault(&x, false, 0, "throttle", 300);
    vfx_fault(&x, false, 5, "stray", 350); /* ends nothing */
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_EQUAL_FATAL(x.rt.faults_count, 2);
    CU_ASSERT_STRING_EQUAL(x.rt.faults[0].kind, "throttle");
    CU_ASSERT_EQUAL(x.rt.faults[0].started_ns, vfx_ns(100));
    CU_ASSERT_EQUAL(x.rt.faults[0].ended_ns, vfx_ns(300));
    CU_ASSERT_EQUAL(x.rt.faults[1].ended_ns, -1);
    vfx_close(&x);
}

static void test_sink_part_files_follow_their_key_from_stage_to_commit_or_abort(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_job_graph_fan_in(&x, 0, 0, false);
    vfx_sink(&x, 0, "sink_stage", "sink-0", 1, "part-000-1", 100);
    vfx_sink(&x, 0, "sink_stage", "sink-0", 2, "part-000-2", 200);
    vfx_sink(&x, 0, "sink_commit", "sink-0", 1, "part-000-1", 300);
    vfx_sink(&x, 0, "sink_commit", "sink-0", 1, "part-000-1", 400); /* again: the first counts */
    vfx_sink(&x, 0, "sink_abort", "sink-0", 0, "part-000-2", 500);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_EQUAL_FATAL(x.rt.parts_count, 2);
    const sb_runtrace_part_t *p = &x.rt.parts[0];
    CU_ASSERT_STRING_EQUAL(p->task, "sink-0");
    CU_ASSERT_EQUAL(p->checkpoint, 1);
    CU_ASSERT_EQUAL(p->staged_ns, vfx_ns(100));
    CU_ASSERT_EQUAL(p->committed_ns, vfx_ns(300));
    CU_ASSERT_EQUAL(p->aborted_ns, -1);
    CU_ASSERT_EQUAL(x.rt.parts[1].committed_ns, -1);
    CU_ASSERT_EQUAL(x.rt.parts[1].aborted_ns, vfx_ns(500));
    vfx_close(&x);
}

static void test_crashes_restores_and_crash_points_become_marks(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_job_graph_fan_in(&x, 0, 10, false);
    vfx_line(&x, "{\"fault\":0,\"point\":\"sink.mid_commit\",\"checkpoint\":4,\"hit\":1,"
                 "\"t_ns\":%lld,\"pid\":%d,\"event\":\"fault_fired\"}",
             vfx_ns(90), VFX_WORKER);
    vfx_crash(&x, 0, 100);
    vfx_restore(&x, 1, 3, 200);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_EQUAL_FATAL(x.rt.marks_count, 3);
    CU_ASSERT_EQUAL(x.rt.marks[0].kind, SB_RUNTRACE_MARK_CRASH_POINT);
    ASSERT_HAS(x.rt.marks[0].text, "sink.mid_commit");
    CU_ASSERT_EQUAL(x.rt.marks[1].kind, SB_RUNTRACE_MARK_CRASH);
    ASSERT_HAS(x.rt.marks[1].text, "Killed");
    CU_ASSERT_EQUAL(x.rt.marks[2].kind, SB_RUNTRACE_MARK_RESTORE);
    CU_ASSERT_EQUAL(x.rt.marks[2].checkpoint, 3);
    vfx_close(&x);
}

static void test_a_last_line_cut_by_a_crash_is_tolerated(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    fputs("{\"checkpoint\":2,\"final\":fal", x.f);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    CU_ASSERT_TRUE(x.rt.truncated);
    CU_ASSERT_PTR_NULL(sb_runtrace_checkpoint(&x.rt, 2));
    vfx_close(&x);
}

static void test_a_channel_naming_an_unknown_task_is_an_error_naming_the_line(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_job_graph(&x, 0, 10, VFX_TASKS_FAN_IN,
                  "[{\"channel\":0,\"from\":\"source-0\",\"to\":\"ghost\"}]", false);
    CU_ASSERT_EQUAL(vfx_load(&x), -1);
    ASSERT_HAS(x.err.msg, "trace.jsonl:2");
    ASSERT_HAS(x.err.msg, "ghost");
    vfx_close(&x);
}

static void test_an_event_without_t_ns_is_an_error_naming_the_line(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_line(&x, "{\"event\":\"sample\",\"pid\":1}");
    CU_ASSERT_EQUAL(vfx_load(&x), -1);
    ASSERT_HAS(x.err.msg, ":2: sample without an integer \"t_ns\"");
    vfx_close(&x);
}

static void test_a_missing_trace_names_its_path(void)
{
    sb_runtrace_t rt;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_runtrace_load(&rt, "/nonexistent/trace.jsonl", &err), -1);
    ASSERT_HAS(err.msg, "/nonexistent/trace.jsonl");
    sb_runtrace_free(&rt);
}

void test_viz_trace_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_job_graph_gives_tasks_in_order_and_channels_by_task_index),
        T(test_batches_are_matched_by_channel_and_first_position_and_sorted_by_send),
        T(test_positions_restart_per_incarnation_so_batches_never_match_across_them),
        T(test_a_checkpoint_keeps_its_cut_barriers_and_ranges),
        T(test_a_checkpoint_belongs_to_the_incarnation_that_triggered_it),
        T(test_samples_give_the_fullest_and_mean_fill_fraction),
        T(test_faults_pair_start_and_end_by_index_and_an_unended_one_stays_open),
        T(test_sink_part_files_follow_their_key_from_stage_to_commit_or_abort),
        T(test_crashes_restores_and_crash_points_become_marks),
        T(test_a_last_line_cut_by_a_crash_is_tolerated),
        T(test_a_channel_naming_an_unknown_task_is_an_error_naming_the_line),
        T(test_an_event_without_t_ns_is_an_error_naming_the_line),
        T(test_a_missing_trace_names_its_path),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_trace", cases);
}
