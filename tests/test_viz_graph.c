/* test_viz_graph.c — the barrier propagation graph (viz/propgraph.h):
 * figures per subtask and channel relative to the trigger, records across
 * the cut per channel, the slowest path; and its rendering, in memory. */
#include <stdlib.h>

#include "gv.h"
#include "propgraph.h"
#include "test_viz_fixture.h"

#define US 1000LL

static int node_of(const sb_propgraph_t *pg, const char *task)
{
    for (int i = 0; i < pg->nodes_count; i++)
        if (strcmp(pg->nodes[i].task, task) == 0)
            return i;
    return -1;
}

static const sb_propgraph_edge_t *edge_of(const sb_propgraph_t *pg, int channel)
{
    for (int i = 0; i < pg->edges_count; i++)
        if (pg->edges[i].channel == channel)
            return &pg->edges[i];
    return NULL;
}

static void build(vfx_t *x, int64_t id, sb_propgraph_t *pg)
{
    CU_ASSERT_EQUAL_FATAL(vfx_load(x), 0);
    CU_ASSERT_EQUAL_FATAL(sb_propgraph_build(&x->rt, id, pg, &x->err), 0);
}

/* Renders into memory as `format`; the caller frees the text. */
static char *render(const sb_propgraph_t *pg, sb_gv_format_t format)
{
    sb_err_t err;
    sb_gv_t *gv = sb_gv_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gv);
    Agraph_t *g = sb_propgraph_graph(pg);
    char *text = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sb_gv_layout(gv, g, SB_PROPGRAPH_ENGINE, &err), 0);
    CU_ASSERT_EQUAL(sb_gv_render_data(gv, g, format, &text, &len, &err), 0);
    CU_ASSERT_EQUAL(strlen(text), len);
    sb_gv_free_layout(gv, g);
    agclose(g);
    sb_gv_free(gv);
    return text;
}

static void test_nodes_carry_snapshot_times_after_the_trigger_and_their_ack_figures(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    CU_ASSERT_EQUAL(pg.status, SB_CKSTATS_COMPLETED);
    CU_ASSERT_EQUAL(pg.duration_ns, 2000 * US);
    CU_ASSERT_EQUAL_FATAL(pg.nodes_count, 4);
    const sb_propgraph_node_t *map = &pg.nodes[node_of(&pg, "map-0")];
    CU_ASSERT_EQUAL(map->snapshot_ns, 1000 * US);
    CU_ASSERT_EQUAL(map->alignment_ns, 400 * US);
    CU_ASSERT_EQUAL(map->state_bytes, 8);
    CU_ASSERT_EQUAL(map->ack_ns, 1100 * US);
    CU_ASSERT_FALSE(map->unaligned);
    CU_ASSERT_EQUAL(pg.slowest_ns, 1400 * US); /* sink-0's snapshot */
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_edges_carry_the_barrier_announcement_and_records_queued_ahead_of_it(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    CU_ASSERT_EQUAL_FATAL(pg.edges_count, 3);
    const sb_propgraph_edge_t *ch1 = edge_of(&pg, 1);
    CU_ASSERT_EQUAL(ch1->arrival_ns, 900 * US);
    CU_ASSERT_EQUAL(ch1->queued_records, 2); /* announced at 18, barrier after 20 */
    CU_ASSERT_TRUE(ch1->cut_known);
    CU_ASSERT_EQUAL(ch1->recorded_records, 0);
    CU_ASSERT_EQUAL(ch1->unrecorded_records, 0);
    CU_ASSERT_EQUAL(ch1->orphan_records, 0);
    CU_ASSERT_EQUAL(edge_of(&pg, 0)->queued_records, 0);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_an_unaligned_snapshot_records_the_in_flight_records_as_channel_state(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, "[[1,15,20]]", "[[0,10],[1,15]]");
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    const sb_propgraph_edge_t *ch1 = edge_of(&pg, 1);
    CU_ASSERT_EQUAL(ch1->recorded_records, 5);
    CU_ASSERT_EQUAL(ch1->unrecorded_records, 0);
    CU_ASSERT_TRUE(ch1->unaligned);
    CU_ASSERT_TRUE(pg.nodes[node_of(&pg, "map-0")].unaligned);
    CU_ASSERT_TRUE(pg.unaligned_config);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_in_flight_records_without_channel_state_show_as_unrecorded(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, NULL, "[[0,10],[1,15]]");
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    CU_ASSERT_EQUAL(edge_of(&pg, 1)->recorded_records, 0);
    CU_ASSERT_EQUAL(edge_of(&pg, 1)->unrecorded_records, 5);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_records_read_beyond_the_senders_cut_show_as_orphans(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, "[[1,15,20]]", "[[0,12],[1,15]]"); /* read 12 of ch0, sent 10 */
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    CU_ASSERT_EQUAL(edge_of(&pg, 0)->orphan_records, 2);
    CU_ASSERT_EQUAL(edge_of(&pg, 1)->orphan_records, 0);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_slowest_path_runs_back_from_the_last_ack_through_the_last_barrier_waited_for(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    CU_ASSERT_EQUAL(pg.slowest_end, node_of(&pg, "sink-0"));
    /* Aligned: map-0 waited for ch1's barrier (the later one). */
    CU_ASSERT_TRUE(pg.nodes[node_of(&pg, "sink-0")].slowest_path);
    CU_ASSERT_TRUE(edge_of(&pg, 2)->slowest_path);
    CU_ASSERT_TRUE(pg.nodes[node_of(&pg, "map-0")].slowest_path);
    CU_ASSERT_TRUE(edge_of(&pg, 1)->slowest_path);
    CU_ASSERT_TRUE(pg.nodes[node_of(&pg, "source-1")].slowest_path);
    CU_ASSERT_FALSE(edge_of(&pg, 0)->slowest_path);
    CU_ASSERT_FALSE(pg.nodes[node_of(&pg, "source-0")].slowest_path);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_an_unaligned_subtask_waited_only_for_the_barrier_that_arrived_before_its_snapshot(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, "[[1,15,20]]", "[[0,10],[1,15]]");
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    /* ch1's barrier came after map-0's snapshot: the path goes by ch0. */
    CU_ASSERT_TRUE(edge_of(&pg, 0)->slowest_path);
    CU_ASSERT_FALSE(edge_of(&pg, 1)->slowest_path);
    CU_ASSERT_TRUE(pg.nodes[node_of(&pg, "source-0")].slowest_path);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_a_checkpoint_not_in_the_trace_is_an_error(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    CU_ASSERT_EQUAL_FATAL(vfx_load(&x), 0);
    sb_propgraph_t pg;
    CU_ASSERT_EQUAL(sb_propgraph_build(&x.rt, 9, &pg, &x.err), -1);
    ASSERT_HAS(x.err.msg, "checkpoint 9 is not in the trace");
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_dot_output_has_the_nodes_channel_edges_delay_colours_and_thick_slowest_path(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    char *dot = render(&pg, SB_GV_DOT);
    ASSERT_HAS(dot, "rankdir=LR");
    ASSERT_HAS(dot, "\"source-0\"");
    ASSERT_HAS(dot, "\"map-0\" -> \"sink-0\"");
    ASSERT_HAS(dot, "id=ch2");
    ASSERT_HAS(dot, "penwidth=4.0");
    ASSERT_HAS(dot, "snapshot +1.00 ms");
    ASSERT_HAS(dot, "barrier +0.90 ms (2 queued ahead)");
    char red[16];
    sb_gv_heat(1.0, false, red, sizeof red); /* sink-0 is the slowest */
    ASSERT_HAS(dot, red);
    free(dot);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

static void test_svg_output_marks_unaligned_nodes_dashed_and_names_orphans(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, "[[1,15,20]]", "[[0,12],[1,15]]");
    sb_propgraph_t pg;
    build(&x, 1, &pg);
    char *svg = render(&pg, SB_GV_SVG);
    ASSERT_HAS(svg, "<svg");
    ASSERT_HAS(svg, "<title>map&#45;0</title>");
    ASSERT_HAS(svg, "stroke-dasharray");
    ASSERT_HAS(svg, "2 orphans");
    ASSERT_HAS(svg, "channel state 5");
    ASSERT_HAS(svg, "unaligned");
    free(svg);
    sb_propgraph_free(&pg);
    vfx_close(&x);
}

void test_viz_graph_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_nodes_carry_snapshot_times_after_the_trigger_and_their_ack_figures),
        T(test_edges_carry_the_barrier_announcement_and_records_queued_ahead_of_it),
        T(test_an_unaligned_snapshot_records_the_in_flight_records_as_channel_state),
        T(test_in_flight_records_without_channel_state_show_as_unrecorded),
        T(test_records_read_beyond_the_senders_cut_show_as_orphans),
        T(test_slowest_path_runs_back_from_the_last_ack_through_the_last_barrier_waited_for),
        T(test_an_unaligned_subtask_waited_only_for_the_barrier_that_arrived_before_its_snapshot),
        T(test_a_checkpoint_not_in_the_trace_is_an_error),
        T(test_dot_output_has_the_nodes_channel_edges_delay_colours_and_thick_slowest_path),
        T(test_svg_output_marks_unaligned_nodes_dashed_and_names_orphans),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_graph", cases);
}
