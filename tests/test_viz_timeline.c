/* test_viz_timeline.c — the run's timeline (viz/run_timeline.h):
 * checkpoint bars, fault bands, marks, throughput per incarnation, channel
 * fill, sink part lanes, all since the run's origin; and its rendering. */
#include <stdlib.h>

#include "gv.h"
#include "run_timeline.h"
#include "test_viz_fixture.h"

#define US 1000LL

/* A run with a crash: incarnation 0 completes checkpoint 1 and dies with 2
 * open; incarnation 1 restores 1 and completes 3. A throttle from 500 us
 * to 4000 us; samples in both incarnations; part files of sink-0. */
static void story_run(vfx_t *x)
{
    vfx_run_started(x);
    vfx_job_graph_fan_in(x, 0, 100, false);
    vfx_fault(x, true, 0, "throttle", 500);
    vfx_sample(x, 0, 1000, 100, "[0,0,0]", 10);
    vfx_triggered(x, 0, 1, 1000);
    vfx_sink(x, 0, "sink_stage", "sink-0", 1, "part-000-1", 1200);
    vfx_completed(x, 0, 1, 1500);
    vfx_sink(x, 0, "sink_commit", "sink-0", 1, "part-000-1", 1600);
    vfx_sample(x, 0, 2000, 300, "[5,10,0]", 10); /* 200 records in 1 ms */
    vfx_triggered(x, 0, 2, 2000);
    vfx_sink(x, 0, "sink_stage", "sink-0", 2, "part-000-2", 2100);
    vfx_crash(x, 0, 2500);
    vfx_job_graph_fan_in(x, 1, 3000, false);
    vfx_restore(x, 1, 1, 3000);
    vfx_sink(x, 1, "sink_abort", "sink-0", 0, "part-000-2", 3100);
    vfx_sample(x, 1, 3500, 50, "[0,0,0]", 10); /* a new count: no rate across */
    vfx_sample(x, 1, 4500, 150, "[2,0,0]", 10); /* 100 records in 1 ms */
    vfx_fault(x, false, 0, "throttle", 4000);
    vfx_triggered(x, 1, 3, 4600);
    vfx_completed(x, 1, 3, 4800);
    vfx_sink(x, 1, "sink_stage", "sink-1", 3, "part-001-3", 4700);
    vfx_line(x, "{\"t_ns\":%lld,\"pid\":%d,\"event\":\"run_finished\"}", vfx_ns(5000),
             VFX_SUPERVISOR);
}

static void build(vfx_t *x, sb_run_timeline_t *tl)
{
    CU_ASSERT_EQUAL_FATAL(vfx_load(x), 0);
    CU_ASSERT_EQUAL_FATAL(sb_run_timeline_build(&x->rt, tl, &x->err), 0);
}

static void test_checkpoints_are_bars_since_the_run_started_with_their_status(void)
{
    vfx_t x;
    vfx_open(&x);
    story_run(&x);
    sb_run_timeline_t tl;
    build(&x, &tl);
    CU_ASSERT_EQUAL(tl.span_ns, 5000 * US);
    CU_ASSERT_EQUAL_FATAL(tl.checkpoints_count, 3);
    CU_ASSERT_EQUAL(tl.checkpoints[0].from_ns, 1000 * US);
    CU_ASSERT_EQUAL(tl.checkpoints[0].to_ns, 1500 * US);
    CU_ASSERT_EQUAL(tl.checkpoints[0].status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_EQUAL(tl.checkpoints[1].status, SB_CKSTATS_ABORTED);
    CU_ASSERT_STRING_EQUAL(tl.checkpoints[1].reason, "worker crashed");
    CU_ASSERT_EQUAL(tl.checkpoints[1].to_ns, 2500 * US);
    CU_ASSERT_EQUAL(tl.checkpoints[2].id, 3);
    sb_run_timeline_free(&tl);
    vfx_close(&x);
}

static void test_faults_are_bands_and_crashes_and_restores_are_marks(void)
{
    vfx_t x;
    vfx_open(&x);
    story_run(&x);
    sb_run_timeline_t tl;
    build(&x, &tl);
    CU_ASSERT_EQUAL_FATAL(tl.bands_count, 1);
    CU_ASSERT_EQUAL(tl.bands[0].from_ns, 500 * US);
    CU_ASSERT_EQUAL(tl.bands[0].to_ns, 4000 * US);
    CU_ASSERT_FALSE(tl.bands[0].open);
    ASSERT_HAS(tl.bands[0].label, "throttle");
    CU_ASSERT_EQUAL_FATAL(tl.marks_count, 2);
    CU_ASSERT_EQUAL(tl.marks[0].kind, SB_RUNTRACE_MARK_CRASH);
    CU_ASSERT_EQUAL(tl.marks[0].t_ns, 2500 * US);
    CU_ASSERT_EQUAL(tl.marks[1].kind, SB_RUNTRACE_MARK_RESTORE);
    ASSERT_HAS(tl.marks[1].label, "chk-1");
    sb_run_timeline_free(&tl);
    vfx_close(&x);
}

static void test_a_fault_still_on_at_the_end_reaches_the_end(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_fault(&x, true, 2, "latency", 100);
    vfx_line(&x, "{\"t_ns\":%lld,\"pid\":%d,\"event\":\"run_finished\"}", vfx_ns(900),
             VFX_SUPERVISOR);
    sb_run_timeline_t tl;
    build(&x, &tl);
    CU_ASSERT_EQUAL_FATAL(tl.bands_count, 1);
    CU_ASSERT_TRUE(tl.bands[0].open);
    CU_ASSERT_EQUAL(tl.bands[0].to_ns, 900 * US);
    sb_run_timeline_free(&tl);
    vfx_close(&x);
}

static void test_throughput_comes_from_read_deltas_within_one_incarnation(void)
{
    vfx_t x;
    vfx_open(&x);
    story_run(&x);
    sb_run_timeline_t tl;
    build(&x, &tl);
    CU_ASSERT_EQUAL_FATAL(tl.throughput_count, 2);
    CU_ASSERT_EQUAL(tl.throughput[0].t_ns, 2000 * US);
    CU_ASSERT_DOUBLE_EQUAL(tl.throughput[0].value, 200000.0, 1e-6); /* 200 per ms */
    CU_ASSERT_EQUAL(tl.throughput[0].incarnation, 0);
    CU_ASSERT_DOUBLE_EQUAL(tl.throughput[1].value, 100000.0, 1e-6);
    CU_ASSERT_EQUAL(tl.throughput[1].incarnation, 1);
    CU_ASSERT_DOUBLE_EQUAL(tl.throughput_max, 200000.0, 1e-6);
    CU_ASSERT_EQUAL_FATAL(tl.fill_count, 4);
    CU_ASSERT_DOUBLE_EQUAL(tl.fill_max[1].value, 1.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(tl.fill_mean[1].value, 0.5, 1e-9);
    sb_run_timeline_free(&tl);
    vfx_close(&x);
}

static void test_part_files_get_a_lane_per_sink_subtask_from_stage_to_commit_or_abort(void)
{
    vfx_t x;
    vfx_open(&x);
    story_run(&x);
    sb_run_timeline_t tl;
    build(&x, &tl);
    CU_ASSERT_EQUAL_FATAL(tl.sink_lanes_count, 2);
    CU_ASSERT_STRING_EQUAL(tl.sink_lanes[0], "sink-0");
    CU_ASSERT_STRING_EQUAL(tl.sink_lanes[1], "sink-1");
    CU_ASSERT_EQUAL_FATAL(tl.parts_count, 3);
    const sb_run_timeline_part_t *p = &tl.parts[0];
    CU_ASSERT_EQUAL(p->lane, 0);
    CU_ASSERT_EQUAL(p->staged_ns, 1200 * US);
    CU_ASSERT_EQUAL(p->committed_ns, 1600 * US);
    CU_ASSERT_EQUAL(tl.parts[1].committed_ns, -1);
    CU_ASSERT_EQUAL(tl.parts[1].aborted_ns, 3100 * US);
    CU_ASSERT_EQUAL(tl.parts[2].lane, 1);
    CU_ASSERT_EQUAL(tl.parts[2].committed_ns, -1); /* never published in the trace */
    sb_run_timeline_free(&tl);
    vfx_close(&x);
}

static void test_svg_has_checkpoint_bars_the_fault_band_the_crash_and_the_parts(void)
{
    vfx_t x;
    vfx_open(&x);
    story_run(&x);
    sb_run_timeline_t tl;
    build(&x, &tl);
    sb_err_t err;
    sb_gv_t *gv = sb_gv_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gv);
    Agraph_t *g = sb_run_timeline_graph(&tl);
    CU_ASSERT_EQUAL_FATAL(sb_gv_layout(gv, g, SB_RUN_TIMELINE_ENGINE, &err), 0);
    char *svg = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sb_gv_render_data(gv, g, SB_GV_SVG, &svg, &len, &err), 0);
    ASSERT_HAS(svg, "<title>chk_1</title>");
    ASSERT_HAS(svg, "<title>chk_2_x</title>"); /* aborted */
    ASSERT_HAS(svg, "<title>fault_0</title>");
    ASSERT_HAS(svg, "<title>crash_");
    ASSERT_HAS(svg, "<title>part_0</title>");
    ASSERT_HAS(svg, "1 aborted, 1 crashes, 1 faults");
    free(svg);
    sb_gv_free_layout(gv, g);
    agclose(g);
    sb_gv_free(gv);
    sb_run_timeline_free(&tl);
    vfx_close(&x);
}

void test_viz_timeline_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_checkpoints_are_bars_since_the_run_started_with_their_status),
        T(test_faults_are_bands_and_crashes_and_restores_are_marks),
        T(test_a_fault_still_on_at_the_end_reaches_the_end),
        T(test_throughput_comes_from_read_deltas_within_one_incarnation),
        T(test_part_files_get_a_lane_per_sink_subtask_from_stage_to_commit_or_abort),
        T(test_svg_has_checkpoint_bars_the_fault_band_the_crash_and_the_parts),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_timeline", cases);
}
