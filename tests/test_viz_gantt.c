/* test_viz_gantt.c — the checkpoint Gantt chart (viz/gantt.h): phases from
 * the acks laid end to end from the trigger, the critical path (the last
 * ack), rows in job-graph order; and its rendering, in memory. */
#include <stdlib.h>

#include "gantt.h"
#include "gv.h"
#include "test_viz_fixture.h"

#define US 1000LL

static sb_ckstats_subtask_t ack(const char *task, int64_t ack_us, int64_t sd_us, int64_t al_us,
                                int64_t sync_us, int64_t async_us)
{
    sb_ckstats_subtask_t s = {
        .ack_ns = ack_us * US, .start_delay_ns = sd_us * US, .alignment_ns = al_us * US,
        .sync_ns = sync_us * US, .async_ns = async_us * US, .state_bytes = 7,
    };
    snprintf(s.task, sizeof s.task, "%s", task);
    return s;
}

static sb_ckstats_checkpoint_t checkpoint(sb_ckstats_subtask_t *subtasks, int n)
{
    return (sb_ckstats_checkpoint_t){
        .id = 4, .status = SB_CKSTATS_COMPLETED, .trigger_ns = 0, .duration_ns = 900 * US,
        .subtasks = subtasks, .subtasks_count = n, .subtasks_cap = n,
    };
}

static void test_phases_follow_each_other_from_the_trigger_with_the_acks_figures(void)
{
    sb_ckstats_subtask_t subs[] = { ack("map-0", 600, 100, 200, 50, 150) };
    sb_ckstats_checkpoint_t c = checkpoint(subs, 1);
    const char *order[] = { "map-0" };
    sb_gantt_t g;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_gantt_from_stats(&c, order, 1, &g, &err), 0);
    CU_ASSERT_EQUAL_FATAL(g.rows_count, 1);
    const sb_gantt_row_t *r = &g.rows[0];
    CU_ASSERT_TRUE(r->acked);
    CU_ASSERT_EQUAL(r->from_ns[SB_GANTT_START_DELAY], 0);
    CU_ASSERT_EQUAL(r->to_ns[SB_GANTT_START_DELAY], 100 * US);
    CU_ASSERT_EQUAL(r->from_ns[SB_GANTT_ALIGNMENT], 100 * US);
    CU_ASSERT_EQUAL(r->to_ns[SB_GANTT_ALIGNMENT], 300 * US);
    CU_ASSERT_EQUAL(r->to_ns[SB_GANTT_SYNC], 350 * US);
    CU_ASSERT_EQUAL(r->to_ns[SB_GANTT_ASYNC], 500 * US);
    CU_ASSERT_EQUAL(r->ack_ns, 600 * US);
    CU_ASSERT_EQUAL(g.span_ns, 900 * US); /* the completion is later than the ack */
    sb_gantt_free(&g);
}

static void test_the_critical_path_is_the_subtask_whose_ack_came_last(void)
{
    sb_ckstats_subtask_t subs[] = {
        ack("source-0", 200, 50, 0, 10, 100),
        ack("sink-0", 800, 500, 0, 100, 100),
        ack("map-0", 600, 300, 50, 10, 100),
    };
    sb_ckstats_checkpoint_t c = checkpoint(subs, 3);
    const char *order[] = { "source-0", "map-0", "sink-0" };
    sb_gantt_t g;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_gantt_from_stats(&c, order, 3, &g, &err), 0);
    CU_ASSERT_EQUAL(g.critical, 2);
    CU_ASSERT_TRUE(g.rows[2].critical);
    CU_ASSERT_FALSE(g.rows[0].critical);
    CU_ASSERT_FALSE(g.rows[1].critical);
    CU_ASSERT_STRING_EQUAL(g.rows[1].task, "map-0"); /* job-graph order, not ack order */
    sb_gantt_free(&g);
}

static void test_a_subtask_without_ack_gets_an_empty_row_and_unknown_acks_are_appended(void)
{
    sb_ckstats_subtask_t subs[] = { ack("stray-9", 300, 10, 0, 10, 10) };
    sb_ckstats_checkpoint_t c = checkpoint(subs, 1);
    c.status = SB_CKSTATS_ABORTED;
    c.duration_ns = 100 * US;
    const char *order[] = { "source-0" };
    sb_gantt_t g;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_gantt_from_stats(&c, order, 1, &g, &err), 0);
    CU_ASSERT_EQUAL_FATAL(g.rows_count, 2);
    CU_ASSERT_FALSE(g.rows[0].acked);
    CU_ASSERT_EQUAL(g.rows[0].ack_ns, -1);
    CU_ASSERT_STRING_EQUAL(g.rows[1].task, "stray-9");
    CU_ASSERT_EQUAL(g.critical, 1);
    CU_ASSERT_EQUAL(g.span_ns, 300 * US); /* the ack is later than the abort */
    sb_gantt_free(&g);
}

static void test_negative_figures_draw_no_phase(void)
{
    sb_ckstats_subtask_t subs[] = { ack("map-0", 100, -5, 20, 0, 30) };
    sb_ckstats_checkpoint_t c = checkpoint(subs, 1);
    const char *order[] = { "map-0" };
    sb_gantt_t g;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_gantt_from_stats(&c, order, 1, &g, &err), 0);
    CU_ASSERT_EQUAL(g.rows[0].to_ns[SB_GANTT_START_DELAY], 0);
    CU_ASSERT_EQUAL(g.rows[0].to_ns[SB_GANTT_ALIGNMENT], 20 * US);
    CU_ASSERT_EQUAL(g.rows[0].from_ns[SB_GANTT_SYNC], g.rows[0].to_ns[SB_GANTT_SYNC]);
    sb_gantt_free(&g);
}

static void test_build_from_a_trace_uses_the_job_graph_order(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    sb_gantt_t g;
    CU_ASSERT_EQUAL_FATAL(sb_gantt_build(&x.rt, 1, &g, &x.err), 0);
    CU_ASSERT_EQUAL_FATAL(g.rows_count, 4);
    CU_ASSERT_STRING_EQUAL(g.rows[0].task, "source-0");
    CU_ASSERT_STRING_EQUAL(g.rows[3].task, "sink-0");
    CU_ASSERT_EQUAL(g.critical, 3);
    CU_ASSERT_EQUAL(g.rows[3].ack_ns, 1700 * US);
    sb_gantt_free(&g);
    CU_ASSERT_EQUAL(sb_gantt_build(&x.rt, 2, &g, &x.err), -1);
    ASSERT_HAS(x.err.msg, "checkpoint 2");
    sb_gantt_free(&g);
    vfx_close(&x);
}

static void test_svg_has_a_box_per_phase_the_acks_and_the_critical_highlight(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    sb_gantt_t gantt;
    CU_ASSERT_EQUAL_FATAL(sb_gantt_build(&x.rt, 1, &gantt, &x.err), 0);
    sb_err_t err;
    sb_gv_t *gv = sb_gv_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gv);
    Agraph_t *g = sb_gantt_graph(&gantt);
    CU_ASSERT_EQUAL_FATAL(sb_gv_layout(gv, g, SB_GANTT_ENGINE, &err), 0);
    char *svg = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sb_gv_render_data(gv, g, SB_GV_SVG, &svg, &len, &err), 0);
    ASSERT_HAS(svg, "<title>map&#45;0_alignment</title>");
    ASSERT_HAS(svg, "<title>sink&#45;0_ack</title>");
    ASSERT_HAS(svg, "<title>critical_band</title>");
    ASSERT_HAS(svg, "critical path: sink&#45;0");
    ASSERT_HAS(svg, "<title>completed_top&#45;&gt;completed_bottom</title>");
    ASSERT_HAS(svg, "#f5a623"); /* the alignment colour */
    free(svg);
    sb_gv_free_layout(gv, g);
    agclose(g);
    sb_gv_free(gv);
    sb_gantt_free(&gantt);
    vfx_close(&x);
}

void test_viz_gantt_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_phases_follow_each_other_from_the_trigger_with_the_acks_figures),
        T(test_the_critical_path_is_the_subtask_whose_ack_came_last),
        T(test_a_subtask_without_ack_gets_an_empty_row_and_unknown_acks_are_appended),
        T(test_negative_figures_draw_no_phase),
        T(test_build_from_a_trace_uses_the_job_graph_order),
        T(test_svg_has_a_box_per_phase_the_acks_and_the_critical_highlight),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_gantt", cases);
}
