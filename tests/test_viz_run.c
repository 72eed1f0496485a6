/* test_viz_run.c — drawing a run's pictures (viz/viz.h): which
 * checkpoints, which files in which formats, bad input told apart from a
 * failure; and the Graphviz helpers (viz/gv.h) they rest on. */
#include <stdlib.h>
#include <sys/stat.h>

#include "gv.h"
#include "test_viz_fixture.h"
#include "viz.h"

/* ------------------------------------------------------------ helpers */

static void test_format_lists_parse_into_a_set_and_unknown_words_are_named(void)
{
    unsigned f = 0;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_gv_formats_parse("svg", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SB_GV_SVG);
    CU_ASSERT_EQUAL(sb_gv_formats_parse("png,dot,svg", &f, &err), 0);
    CU_ASSERT_EQUAL(f, SB_GV_SVG | SB_GV_PNG | SB_GV_DOT);
    CU_ASSERT_EQUAL(sb_gv_formats_parse("svg,jpg", &f, &err), -1);
    ASSERT_HAS(err.msg, "unknown format 'jpg'");
    CU_ASSERT_EQUAL(sb_gv_formats_parse("", &f, &err), -1);
    ASSERT_HAS(err.msg, "no format");
}

static void test_heat_runs_from_green_through_yellow_to_red_and_clamps(void)
{
    char c[16];
    sb_gv_heat(0, false, c, sizeof c);
    CU_ASSERT_STRING_EQUAL(c, "#2bd92b");
    sb_gv_heat(0.5, false, c, sizeof c);
    CU_ASSERT_STRING_EQUAL(c, "#d9d92b");
    sb_gv_heat(1, false, c, sizeof c);
    CU_ASSERT_STRING_EQUAL(c, "#d92b2b");
    sb_gv_heat(7, false, c, sizeof c);
    CU_ASSERT_STRING_EQUAL(c, "#d92b2b");
    sb_gv_heat(-1, false, c, sizeof c);
    CU_ASSERT_STRING_EQUAL(c, "#2bd92b");
}

static void test_nice_steps_are_one_two_or_five_times_a_power_of_ten(void)
{
    CU_ASSERT_DOUBLE_EQUAL(sb_gv_nice_step(10, 10), 1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sb_gv_nice_step(12, 10), 2, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sb_gv_nice_step(0.04, 10), 0.005, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(sb_gv_nice_step(70, 10), 10, 1e-12);
}

static void test_labels_escape_html_and_format_times_and_sizes(void)
{
    char b[64];
    sb_gv_escape("a<b & \"c\">", b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "a&lt;b &amp; &quot;c&quot;&gt;");
    sb_gv_escape("&&&&", b, 10); /* cut at an entity boundary, never inside */
    CU_ASSERT_STRING_EQUAL(b, "&amp;");
    sb_gv_fmt_ms(1234567, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "1.23 ms");
    sb_gv_fmt_ms(25500000, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "25.5 ms");
    sb_gv_fmt_bytes(2048, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "2.0 KiB");
}

static void test_a_layout_error_from_graphviz_becomes_an_error_value(void)
{
    sb_err_t err;
    sb_gv_t *gv = sb_gv_new(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gv);
    Agraph_t *g = sb_gv_graph("broken");
    Agnode_t *n = agnode(g, "n", 1);
    sb_gv_set(n, "pos", "%s", "not a position");
    CU_ASSERT_EQUAL(sb_gv_layout(gv, g, "nop", &err), -1);
    ASSERT_HAS(err.msg, "Graphviz cannot lay out broken with nop");
    ASSERT_HAS(err.msg, "position");
    agclose(g);
    g = sb_gv_graph("fine");
    CU_ASSERT_EQUAL(sb_gv_layout(gv, g, "no-such-engine", &err), -1);
    ASSERT_HAS(err.msg, "no-such-engine");
    agclose(g);
    sb_gv_free(gv);
}

/* ------------------------------------------------------------- choice */

static void test_pick_keeps_all_up_to_the_limit_then_the_first_and_last_halves(void)
{
    int64_t ids[25], out[25];
    for (int i = 0; i < 25; i++)
        ids[i] = i + 1;
    CU_ASSERT_EQUAL(sb_viz_pick(ids, 20, 20, out), 20);
    CU_ASSERT_EQUAL(out[19], 20);
    CU_ASSERT_EQUAL(sb_viz_pick(ids, 25, 20, out), 20);
    CU_ASSERT_EQUAL(out[0], 1);
    CU_ASSERT_EQUAL(out[9], 10);
    CU_ASSERT_EQUAL(out[10], 16);
    CU_ASSERT_EQUAL(out[19], 25);
    CU_ASSERT_EQUAL(sb_viz_pick(ids, 25, 5, out), 5); /* odd: 2 first, 3 last */
    CU_ASSERT_EQUAL(out[1], 2);
    CU_ASSERT_EQUAL(out[2], 23);
}

/* --------------------------------------------------------------- runs */

typedef struct files {
    int count;
    char last[256];
} files_t;

static void on_file(const char *path, void *ctx)
{
    files_t *f = ctx;
    f->count++;
    snprintf(f->last, sizeof f->last, "%s", path);
}

static bool exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* Three completed checkpoints and an aborted one. */
static void story_four_checkpoints(vfx_t *x)
{
    vfx_story_aligned(x); /* checkpoint 1 */
    for (int id = 2; id <= 3; id++) {
        int64_t t = id * 10000;
        vfx_triggered(x, 0, id, t);
        vfx_snapshot(x, 0, "source-0", id, t + 100, false, "[]", "[[0,10]]");
        vfx_ack(x, 0, (vfx_ack_t){ "source-0", id, t + 200, 100, 0, 10, 10, 20, false, false });
        vfx_completed(x, 0, id, t + 300);
    }
    vfx_triggered(x, 0, 4, 40000);
    vfx_aborted(x, 0, 4, 40500, "expired");
}

static void test_every_completed_checkpoint_gets_three_pictures_and_the_run_a_timeline(void)
{
    vfx_t x;
    vfx_open(&x);
    story_four_checkpoints(&x);
    fclose(x.f);
    x.f = NULL;
    char out[128];
    snprintf(out, sizeof out, "%s/viz/deeper", x.dir);
    files_t files = { 0 };
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = out, .formats = SB_GV_SVG,
                        .timeline = true, .on_file = on_file, .ctx = &files };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL_FATAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_OK);
    CU_ASSERT_EQUAL(report.checkpoints_drawn, 3);
    CU_ASSERT_EQUAL(report.files_written, 10);
    CU_ASSERT_EQUAL(files.count, 10);
    CU_ASSERT_STRING_EQUAL(report.note, "");
    CU_ASSERT_TRUE(exists(out, "chk-1-graph.svg"));
    CU_ASSERT_TRUE(exists(out, "chk-1-spacetime.svg"));
    CU_ASSERT_TRUE(exists(out, "chk-3-gantt.svg"));
    CU_ASSERT_TRUE(exists(out, "timeline.svg"));
    CU_ASSERT_FALSE(exists(out, "chk-4-graph.svg")); /* aborted: not by default */
    ASSERT_HAS(files.last, "timeline.svg");
    vfx_close(&x);
}

static void test_past_the_limit_the_report_says_which_checkpoints_were_drawn(void)
{
    vfx_t x;
    vfx_open(&x);
    story_four_checkpoints(&x);
    fclose(x.f);
    x.f = NULL;
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = x.dir, .formats = SB_GV_SVG,
                        .checkpoints_max = 2 };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL_FATAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_OK);
    CU_ASSERT_EQUAL(report.checkpoints_drawn, 2);
    ASSERT_HAS(report.note, "3 completed checkpoints");
    ASSERT_HAS(report.note, "chk-1..1");
    ASSERT_HAS(report.note, "chk-3..3");
    CU_ASSERT_FALSE(exists(x.dir, "chk-2-graph.svg"));
    CU_ASSERT_FALSE(exists(x.dir, "timeline.svg"));
    vfx_close(&x);
}

static void test_one_checkpoint_in_every_format_even_an_aborted_one(void)
{
    vfx_t x;
    vfx_open(&x);
    story_four_checkpoints(&x);
    fclose(x.f);
    x.f = NULL;
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = x.dir, .checkpoint = 4,
                        .formats = SB_GV_SVG | SB_GV_PNG | SB_GV_DOT };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL_FATAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_OK);
    CU_ASSERT_EQUAL(report.files_written, 9);
    CU_ASSERT_TRUE(exists(x.dir, "chk-4-graph.png"));
    CU_ASSERT_TRUE(exists(x.dir, "chk-4-spacetime.dot"));
    CU_ASSERT_TRUE(exists(x.dir, "chk-4-gantt.svg"));
    vfx_close(&x);
}

static void test_an_unknown_checkpoint_and_an_unreadable_trace_are_bad_input(void)
{
    vfx_t x;
    vfx_open(&x);
    story_four_checkpoints(&x);
    fclose(x.f);
    x.f = NULL;
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = x.dir, .checkpoint = 99,
                        .formats = SB_GV_SVG };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_BAD_INPUT);
    ASSERT_HAS(x.err.msg, "no checkpoint 99 in the trace (it has 4 checkpoints");
    o.checkpoint = 0;
    o.trace_path = "/nonexistent/trace.jsonl";
    CU_ASSERT_EQUAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_BAD_INPUT);
    ASSERT_HAS(x.err.msg, "/nonexistent/trace.jsonl");
    vfx_close(&x);
}

static void test_an_unwritable_folder_is_a_failure_naming_it(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_story_aligned(&x);
    fclose(x.f);
    x.f = NULL;
    char out[128];
    snprintf(out, sizeof out, "%s/trace.jsonl/viz", x.dir); /* under a file */
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = out, .formats = SB_GV_SVG };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_FAILED);
    ASSERT_HAS(x.err.msg, "trace.jsonl");
    vfx_close(&x);
}

static void test_a_trace_without_completed_checkpoints_still_gets_its_timeline(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_run_started(&x);
    vfx_job_graph_fan_in(&x, 0, 100, false);
    vfx_crash(&x, 0, 500);
    fclose(x.f);
    x.f = NULL;
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = x.dir, .formats = SB_GV_DOT,
                        .timeline = true };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL_FATAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_OK);
    CU_ASSERT_EQUAL(report.files_written, 1);
    ASSERT_HAS(report.note, "no completed checkpoint");
    CU_ASSERT_TRUE(exists(x.dir, "timeline.dot"));
    vfx_close(&x);
}

static void test_a_checkpoint_triggered_as_its_worker_started_and_the_trace_ended_still_draws(void)
{
    vfx_t x;
    vfx_open(&x);
    vfx_job_graph_fan_in(&x, 0, 100, false);
    vfx_triggered(&x, 0, 1, 100); /* same instant, and the last line */
    fclose(x.f);
    x.f = NULL;
    sb_viz_opts_t o = { .trace_path = x.path, .out_dir = x.dir, .checkpoint = 1,
                        .formats = SB_GV_SVG, .timeline = true };
    sb_viz_report_t report;
    CU_ASSERT_EQUAL(sb_viz_run(&o, &report, &x.err), SB_VIZ_OK);
    CU_ASSERT_EQUAL(report.files_written, 4);
    vfx_close(&x);
}

void test_viz_run_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_format_lists_parse_into_a_set_and_unknown_words_are_named),
        T(test_heat_runs_from_green_through_yellow_to_red_and_clamps),
        T(test_nice_steps_are_one_two_or_five_times_a_power_of_ten),
        T(test_labels_escape_html_and_format_times_and_sizes),
        T(test_a_layout_error_from_graphviz_becomes_an_error_value),
        T(test_pick_keeps_all_up_to_the_limit_then_the_first_and_last_halves),
        T(test_every_completed_checkpoint_gets_three_pictures_and_the_run_a_timeline),
        T(test_past_the_limit_the_report_says_which_checkpoints_were_drawn),
        T(test_one_checkpoint_in_every_format_even_an_aborted_one),
        T(test_an_unknown_checkpoint_and_an_unreadable_trace_are_bad_input),
        T(test_an_unwritable_folder_is_a_failure_naming_it),
        T(test_a_trace_without_completed_checkpoints_still_gets_its_timeline),
        T(test_a_checkpoint_triggered_as_its_worker_started_and_the_trace_ended_still_draws),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_run", cases);
}
