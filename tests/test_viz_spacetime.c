/* test_viz_spacetime.c — the space-time diagram (viz/spacetime.h): the
 * window (core and context), even sampling, lanes, barrier arrows, batches
 * classified against the cut (channel state, unrecorded, orphans), the
 * arrow limit taking crossing batches first; and its rendering. */
#include <stdlib.h>

#include "gv.h"
#include "spacetime.h"
#include "test_viz_fixture.h"

#define US 1000LL
#define MS 1000000LL

/* ------------------------------------------------------------- window */

static sb_spacetime_window_in_t window_in(int64_t trigger, int64_t end)
{
    return (sb_spacetime_window_in_t){
        .trigger_ns = trigger, .end_ns = end, .margin = 0.2, .must_from_ns = -1,
        .must_to_ns = -1, .context_from_ns = -1, .context_to_ns = -1, .inc_from_ns = -1,
        .inc_to_ns = -1,
    };
}

static void test_core_is_the_checkpoint_with_a_fifth_of_its_duration_each_side(void)
{
    sb_spacetime_window_in_t in = window_in(100 * MS, 110 * MS);
    sb_spacetime_window_t w;
    sb_spacetime_window(&in, &w);
    CU_ASSERT_EQUAL(w.core_from_ns, 98 * MS);
    CU_ASSERT_EQUAL(w.core_to_ns, 112 * MS);
    CU_ASSERT_EQUAL(w.from_ns, w.core_from_ns); /* nothing asks for more */
    CU_ASSERT_EQUAL(w.to_ns, w.core_to_ns);
}

static void test_a_very_short_checkpoint_still_gets_a_one_millisecond_core(void)
{
    sb_spacetime_window_in_t in = window_in(100 * MS, 100 * MS);
    sb_spacetime_window_t w;
    sb_spacetime_window(&in, &w);
    CU_ASSERT_EQUAL(w.core_to_ns - w.core_from_ns, 1 * MS);
    CU_ASSERT(w.core_from_ns < 100 * MS && w.core_to_ns > 100 * MS);
}

static void test_crossing_batches_and_context_widen_the_window_but_not_the_core(void)
{
    sb_spacetime_window_in_t in = window_in(100 * MS, 110 * MS);
    in.must_from_ns = 90 * MS;
    in.context_to_ns = 130 * MS;
    in.context_from_ns = 95 * MS; /* later than must: must wins */
    sb_spacetime_window_t w;
    sb_spacetime_window(&in, &w);
    CU_ASSERT_EQUAL(w.core_from_ns, 98 * MS);
    CU_ASSERT_EQUAL(w.core_to_ns, 112 * MS);
    CU_ASSERT_EQUAL(w.from_ns, 90 * MS);
    CU_ASSERT_EQUAL(w.to_ns, 130 * MS);
}

static void test_the_window_stays_inside_the_incarnation_but_keeps_the_checkpoint(void)
{
    sb_spacetime_window_in_t in = window_in(100 * MS, 110 * MS);
    in.must_from_ns = 50 * MS;
    in.context_to_ns = 200 * MS;
    in.inc_from_ns = 99 * MS;  /* the worker started just before the trigger */
    in.inc_to_ns = 105 * MS;   /* and the trace of it ends inside the checkpoint */
    sb_spacetime_window_t w;
    sb_spacetime_window(&in, &w);
    CU_ASSERT_EQUAL(w.from_ns, 99 * MS);
    CU_ASSERT_EQUAL(w.core_from_ns, 99 * MS);
    CU_ASSERT_EQUAL(w.core_to_ns, 110 * MS); /* the end itself stays in view */
    CU_ASSERT_EQUAL(w.to_ns, 110 * MS);
}

static void test_keep_spreads_exactly_the_kept_items_evenly(void)
{
    int kept = 0;
    bool k[10];
    for (int i = 0; i < 10; i++) {
        k[i] = sb_spacetime_keep(i, 10, 5);
        kept += k[i];
    }
    CU_ASSERT_EQUAL(kept, 5);
    for (int i = 0; i + 1 < 10; i++)
        CU_ASSERT_NOT_EQUAL(k[i], k[i + 1]); /* every other one */
    CU_ASSERT_TRUE(sb_spacetime_keep(3, 4, 4));
    CU_ASSERT_TRUE(sb_spacetime_keep(3, 4, 9));
    CU_ASSERT_FALSE(sb_spacetime_keep(0, 4, 0));
    kept = 0;
    for (int i = 0; i < 1000; i++)
        kept += sb_spacetime_keep(i, 1000, 400);
    CU_ASSERT_EQUAL(kept, 400);
}

/* ------------------------------------------------------------- build */

/* The unaligned story with batches of every kind on ch1 and ch0. */
static void story_with_batches(vfx_t *x, const char *ranges, const char *map_inputs)
{
    vfx_story_unaligned(x, ranges, map_inputs);
    vfx_batch(x, 0, 1, 1, 10, 500, 600);    /* before the cut */
    vfx_batch(x, 0, 1, 11, 5, 800, 1400);   /* before: read by 15 */
    vfx_batch(x, 0, 1, 16, 5, 1150, 1800);  /* in flight: (15, 20] */
    vfx_batch(x, 0, 1, 21, 5, 1300, 2000);  /* after */
    vfx_batch(x, 0, 0, 1, 10, 700, 900);    /* before */
    vfx_batch(x, 0, 0, 11, 2, 1120, 1400);  /* after, or orphans if read by 12 */
    vfx_batch(x, 0, 2, 1, 30, 1400, 1600);  /* before */
}

static void build(vfx_t *x, int64_t arrows_max, sb_spacetime_t *st)
{
    CU_ASSERT_EQUAL_FATAL(vfx_load(x), 0);
    sb_spacetime_limits_t limits;
    sb_spacetime_limits_default(&limits);
    if (arrows_max > 0)
        limits.arrows_max = arrows_max;
    CU_ASSERT_EQUAL_FATAL(sb_spacetime_build(&x->rt, 1, &limits, st, &x->err), 0);
}

static const sb_spacetime_arrow_t *batch_at(const sb_spacetime_t *st, int channel, int64_t first)
{
    for (int64_t i = 0; i < st->batches_count; i++)
        if (st->batches[i].channel == channel && st->batches[i].first == first)
            return &st->batches[i];
    return NULL;
}

static void test_batches_are_classified_against_the_cut_by_position(void)
{
    vfx_t x;
    vfx_open(&x);
    story_with_batches(&x, "[[1,15,20]]", "[[0,12],[1,15]]");
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT_TRUE(st.records_traced);
    CU_ASSERT_EQUAL(st.batches_count, 7);
    CU_ASSERT_EQUAL(batch_at(&st, 1, 1)->cls, SB_CUTCLASS_BEFORE);
    CU_ASSERT_EQUAL(batch_at(&st, 1, 16)->cls, SB_CUTCLASS_RECORDED);
    CU_ASSERT_EQUAL(batch_at(&st, 1, 21)->cls, SB_CUTCLASS_AFTER);
    CU_ASSERT_EQUAL(batch_at(&st, 0, 11)->cls, SB_CUTCLASS_ORPHAN);
    CU_ASSERT_EQUAL(st.records.n[SB_CUTCLASS_RECORDED], 5);
    CU_ASSERT_EQUAL(st.records.n[SB_CUTCLASS_ORPHAN], 2);
    CU_ASSERT_EQUAL(st.records.n[SB_CUTCLASS_UNRECORDED], 0);
    CU_ASSERT_EQUAL(st.records.n[SB_CUTCLASS_BEFORE], 10 + 5 + 10 + 30);
    /* Arrows go from the sender's lane to the receiver's (lane = task + 1). */
    CU_ASSERT_EQUAL(batch_at(&st, 1, 16)->from_lane, 2);
    CU_ASSERT_EQUAL(batch_at(&st, 1, 16)->to_lane, 3);
    CU_ASSERT_EQUAL(batch_at(&st, 1, 16)->from_ns, vfx_ns(1150));
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_in_flight_batches_without_channel_state_are_unrecorded(void)
{
    vfx_t x;
    vfx_open(&x);
    story_with_batches(&x, NULL, "[[0,10],[1,15]]");
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT_EQUAL(batch_at(&st, 1, 16)->cls, SB_CUTCLASS_UNRECORDED);
    CU_ASSERT_EQUAL(batch_at(&st, 0, 11)->cls, SB_CUTCLASS_AFTER);
    CU_ASSERT_EQUAL(st.records.n[SB_CUTCLASS_UNRECORDED], 5);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_past_the_arrow_limit_crossing_batches_are_kept_first(void)
{
    vfx_t x;
    vfx_open(&x);
    story_with_batches(&x, "[[1,15,20]]", "[[0,12],[1,15]]");
    sb_spacetime_t st;
    build(&x, 3, &st);
    CU_ASSERT_EQUAL(st.batches_in_window, 7);
    CU_ASSERT_EQUAL_FATAL(st.batches_count, 3);
    CU_ASSERT_PTR_NOT_NULL(batch_at(&st, 1, 16));
    CU_ASSERT_PTR_NOT_NULL(batch_at(&st, 0, 11));
    /* Still in time order. */
    for (int64_t i = 0; i + 1 < st.batches_count; i++)
        CU_ASSERT(st.batches[i].from_ns <= st.batches[i + 1].from_ns);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_the_window_widens_to_show_every_batch_crossing_the_cut_whole(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, "[[1,15,20]]", "[[0,10],[1,15]]");
    vfx_batch(&x, 0, 1, 16, 5, 300, 9000); /* in flight for a long time */
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT(st.window.from_ns <= vfx_ns(300));
    CU_ASSERT(st.window.to_ns >= vfx_ns(9000));
    CU_ASSERT_EQUAL(st.batches_count, 1);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_lanes_hold_the_coordinator_then_the_subtasks_with_their_snapshots(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT_FALSE(st.records_traced);
    CU_ASSERT_EQUAL_FATAL(st.lanes_count, 5);
    CU_ASSERT_STRING_EQUAL(st.lanes[0].name, "coordinator");
    CU_ASSERT_STRING_EQUAL(st.lanes[3].name, "map-0");
    CU_ASSERT_EQUAL(st.lanes[3].snapshot_ns, vfx_ns(2000));
    /* map-0 aligned from its first barrier to the alignment's end. */
    CU_ASSERT_EQUAL(st.lanes[3].blocked_from_ns, vfx_ns(1500));
    CU_ASSERT_EQUAL(st.lanes[3].blocked_to_ns, vfx_ns(1950));
    CU_ASSERT_EQUAL(st.lanes[4].blocked_from_ns, -1);
    CU_ASSERT_EQUAL(st.trigger_ns, vfx_ns(1000));
    CU_ASSERT_EQUAL(st.end_ns, vfx_ns(3000)); /* the completion, after the last ack */
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_an_alignment_that_never_ends_draws_no_blocked_bar(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_unaligned(&x, NULL, "[[0,10],[1,15]]");
    vfx_align(&x, 0, "alignment_started", "map-0", 1, 1500);
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT_EQUAL(st.lanes[3].blocked_from_ns, -1);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_barriers_run_from_the_trigger_to_sources_and_from_each_senders_snapshot(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT_EQUAL_FATAL(st.barriers_count, 5); /* 2 triggers + 3 channels */
    const sb_spacetime_arrow_t *t0 = &st.barriers[0];
    CU_ASSERT_EQUAL(t0->from_lane, SB_SPACETIME_COORDINATOR);
    CU_ASSERT_EQUAL(t0->to_lane, 1);
    CU_ASSERT_EQUAL(t0->channel, -1);
    CU_ASSERT_EQUAL(t0->to_ns, vfx_ns(1100));
    const sb_spacetime_arrow_t *ch1 = &st.barriers[3];
    CU_ASSERT_EQUAL(ch1->channel, 1);
    CU_ASSERT_EQUAL(ch1->from_lane, 2);
    CU_ASSERT_EQUAL(ch1->from_ns, vfx_ns(1200)); /* source-1's snapshot */
    CU_ASSERT_EQUAL(ch1->to_ns, vfx_ns(1900));   /* map-0's barrier_received */
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_half_batches_are_counted_not_drawn(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    vfx_batch_line(&x, 0, "send", "source-0", 0, 1, 3, 1300);
    sb_spacetime_t st;
    build(&x, 0, &st);
    CU_ASSERT_TRUE(st.records_traced);
    CU_ASSERT_EQUAL(st.batches_half, 1);
    CU_ASSERT_EQUAL(st.batches_count, 0);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

/* ---------------------------------------------------------- rendering */

static char *render_svg(const sb_spacetime_t *st)
{
    sb_err_t err;
    sb_gv_t *gv = sb_gv_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gv);
    Agraph_t *g = sb_spacetime_graph(st);
    CU_ASSERT_EQUAL_FATAL(sb_gv_layout(gv, g, SB_SPACETIME_ENGINE, &err), 0);
    char *svg = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(sb_gv_render_data(gv, g, SB_GV_SVG, &svg, &len, &err), 0);
    sb_gv_free_layout(gv, g);
    agclose(g);
    sb_gv_free(gv);
    return svg;
}

static void test_svg_draws_the_cut_through_the_snapshots_and_orphans_red(void)
{
    vfx_t x;
    vfx_open(&x);
    story_with_batches(&x, "[[1,15,20]]", "[[0,12],[1,15]]");
    sb_spacetime_t st;
    build(&x, 0, &st);
    char *svg = render_svg(&st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    ASSERT_HAS(svg, "<title>snap_1</title>");
    ASSERT_HAS(svg, "<title>snap_4</title>");
    ASSERT_HAS(svg, "id=\"cut0\"");
    ASSERT_HAS(svg, "id=\"cut2\""); /* four snapshots, three segments */
    ASSERT_HAS(svg, "stroke=\"#e31a1c\" stroke-width=\"2\" stroke-dasharray");
    ASSERT_HAS(svg, "_orphan\"");
    ASSERT_HAS(svg, "stroke=\"#d62728\" stroke-width=\"3\"");
    ASSERT_HAS(svg, "_recorded\"");
    ASSERT_HAS(svg, "stroke=\"#1f77b4\"");
    ASSERT_HAS(svg, "2 orphans");
    free(svg);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

static void test_svg_without_record_trace_says_so(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    sb_spacetime_t st;
    build(&x, 0, &st);
    char *svg = render_svg(&st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    ASSERT_HAS(svg, "no record trace: barriers and snapshots only");
    ASSERT_HAS(svg, "id=\"barrier0\"");
    free(svg);
    sb_spacetime_free(&st);
    vfx_close(&x);
}

void test_viz_spacetime_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_core_is_the_checkpoint_with_a_fifth_of_its_duration_each_side),
        T(test_a_very_short_checkpoint_still_gets_a_one_millisecond_core),
        T(test_crossing_batches_and_context_widen_the_window_but_not_the_core),
        T(test_the_window_stays_inside_the_incarnation_but_keeps_the_checkpoint),
        T(test_keep_spreads_exactly_the_kept_items_evenly),
        T(test_batches_are_classified_against_the_cut_by_position),
        T(test_in_flight_batches_without_channel_state_are_unrecorded),
        T(test_past_the_arrow_limit_crossing_batches_are_kept_first),
        T(test_the_window_widens_to_show_every_batch_crossing_the_cut_whole),
        T(test_lanes_hold_the_coordinator_then_the_subtasks_with_their_snapshots),
        T(test_an_alignment_that_never_ends_draws_no_blocked_bar),
        T(test_barriers_run_from_the_trigger_to_sources_and_from_each_senders_snapshot),
        T(test_half_batches_are_counted_not_drawn),
        T(test_svg_draws_the_cut_through_the_snapshots_and_orphans_red),
        T(test_svg_without_record_trace_says_so),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_spacetime", cases);
}
