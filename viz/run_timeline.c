/* run_timeline.c — see run_timeline.h. */
#include "run_timeline.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv.h"

/* ----------------------------------------------------------- extraction */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static void *alloc_array(int64_t n, size_t size)
{
    return calloc((size_t)n + 1, size);
}

static void build_checkpoints(sb_run_timeline_t *tl, const sb_runtrace_t *rt)
{
    const sb_ckstats_t *st = &rt->stats;
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        const sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        if (c->trigger_ns < 0)
            continue; /* ckstats' trigger_ns is already since the origin */
        sb_run_timeline_checkpoint_t *out = &tl->checkpoints[tl->checkpoints_count++];
        *out = (sb_run_timeline_checkpoint_t){
            .id = c->id,
            .from_ns = c->trigger_ns,
            .to_ns = c->duration_ns >= 0 ? c->trigger_ns + c->duration_ns : tl->span_ns,
            .status = c->status,
            .unaligned = c->unaligned,
        };
        snprintf(out->reason, sizeof out->reason, "%s", c->reason);
    }
}

static void build_bands_and_marks(sb_run_timeline_t *tl, const sb_runtrace_t *rt)
{
    for (int64_t i = 0; i < rt->faults_count; i++) {
        const sb_runtrace_fault_t *f = &rt->faults[i];
        sb_run_timeline_band_t *b = &tl->bands[tl->bands_count++];
        *b = (sb_run_timeline_band_t){
            .from_ns = f->started_ns - rt->origin_ns,
            .to_ns = f->ended_ns >= 0 ? f->ended_ns - rt->origin_ns : tl->span_ns,
            .open = f->ended_ns < 0,
        };
        snprintf(b->label, sizeof b->label, "fault %d: %s (%s)", f->fault, f->kind, f->detail);
    }
    for (int64_t i = 0; i < rt->marks_count; i++) {
        const sb_runtrace_mark_t *m = &rt->marks[i];
        sb_run_timeline_mark_t *out = &tl->marks[tl->marks_count++];
        *out = (sb_run_timeline_mark_t){ .kind = m->kind, .t_ns = m->t_ns - rt->origin_ns };
        snprintf(out->label, sizeof out->label, "%s", m->text);
    }
}

/* Throughput from consecutive samples of one incarnation; fill as is. */
static void build_series(sb_run_timeline_t *tl, const sb_runtrace_t *rt)
{
    for (int64_t i = 0; i < rt->samples_count; i++) {
        const sb_runtrace_sample_t *s = &rt->samples[i];
        int64_t t = s->t_ns - rt->origin_ns;
        tl->fill_max[tl->fill_count] = (sb_run_timeline_point_t){ t, s->fill_max, s->incarnation };
        tl->fill_mean[tl->fill_count] = (sb_run_timeline_point_t){ t, s->fill_mean, s->incarnation };
        tl->fill_count++;
        const sb_runtrace_sample_t *prev = NULL;
        for (int64_t j = i - 1; j >= 0; j--)
            if (rt->samples[j].incarnation == s->incarnation) {
                prev = &rt->samples[j];
                break;
            }
        if (prev == NULL || s->t_ns <= prev->t_ns || s->read < prev->read)
            continue;
        double rate = (double)(s->read - prev->read) * 1e9 / (double)(s->t_ns - prev->t_ns);
        tl->throughput[tl->throughput_count++] =
            (sb_run_timeline_point_t){ t, rate, s->incarnation };
        if (rate > tl->throughput_max)
            tl->throughput_max = rate;
    }
}

static int sink_lane(sb_run_timeline_t *tl, const char *task)
{
    for (int i = 0; i < tl->sink_lanes_count; i++)
        if (strcmp(tl->sink_lanes[i], task) == 0)
            return i;
    if (tl->sink_lanes_count == SB_RUN_TIMELINE_SINK_LANES_MAX)
        return -1;
    snprintf(tl->sink_lanes[tl->sink_lanes_count], sizeof tl->sink_lanes[0], "%s", task);
    return tl->sink_lanes_count++;
}

static int cmp_lanes(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void build_parts(sb_run_timeline_t *tl, const sb_runtrace_t *rt)
{
    for (int64_t i = 0; i < rt->parts_count; i++)
        if (rt->parts[i].task[0] != '\0')
            sink_lane(tl, rt->parts[i].task);
    qsort(tl->sink_lanes, (size_t)tl->sink_lanes_count, sizeof tl->sink_lanes[0], cmp_lanes);
    for (int64_t i = 0; i < rt->parts_count; i++) {
        const sb_runtrace_part_t *p = &rt->parts[i];
        int lane = sink_lane(tl, p->task);
        if (lane < 0) {
            tl->parts_unlaned++;
            continue;
        }
        sb_run_timeline_part_t *out = &tl->parts[tl->parts_count++];
        *out = (sb_run_timeline_part_t){
            .lane = lane,
            .checkpoint = p->checkpoint,
            .staged_ns = p->staged_ns >= 0 ? p->staged_ns - rt->origin_ns : -1,
            .committed_ns = p->committed_ns >= 0 ? p->committed_ns - rt->origin_ns : -1,
            .aborted_ns = p->aborted_ns >= 0 ? p->aborted_ns - rt->origin_ns : -1,
        };
        snprintf(out->key, sizeof out->key, "%s", p->key);
    }
}

int sb_run_timeline_build(const sb_runtrace_t *rt, sb_run_timeline_t *tl, sb_err_t *err)
{
    memset(tl, 0, sizeof *tl);
    tl->span_ns = max64(rt->end_ns - rt->origin_ns, 1);
    tl->checkpoints = alloc_array(rt->stats.checkpoints_count, sizeof *tl->checkpoints);
    tl->bands = alloc_array(rt->faults_count, sizeof *tl->bands);
    tl->marks = alloc_array(rt->marks_count, sizeof *tl->marks);
    tl->throughput = alloc_array(rt->samples_count, sizeof *tl->throughput);
    tl->fill_max = alloc_array(rt->samples_count, sizeof *tl->fill_max);
    tl->fill_mean = alloc_array(rt->samples_count, sizeof *tl->fill_mean);
    tl->parts = alloc_array(rt->parts_count, sizeof *tl->parts);
    if (tl->checkpoints == NULL || tl->bands == NULL || tl->marks == NULL ||
        tl->throughput == NULL || tl->fill_max == NULL || tl->fill_mean == NULL ||
        tl->parts == NULL)
        return sb_err_set(err, "out of memory for the run's timeline");
    build_checkpoints(tl, rt);
    build_bands_and_marks(tl, rt);
    build_series(tl, rt);
    build_parts(tl, rt);
    return 0;
}

void sb_run_timeline_free(sb_run_timeline_t *tl)
{
    free(tl->checkpoints);
    free(tl->bands);
    free(tl->marks);
    free(tl->throughput);
    free(tl->fill_max);
    free(tl->fill_mean);
    free(tl->parts);
    memset(tl, 0, sizeof *tl);
}

/* ------------------------------------------------------------ rendering */

#define X0_PT 130.0
#define WIDTH_PT 1000.0
#define ROW_PT 20.0
#define BAR_PT 10.0
#define PLOT_THROUGHPUT_PT 60.0
#define PLOT_FILL_PT 40.0
#define GAP_PT 16.0
#define BAR_MIN_PT 2.0
#define ID_LABEL_GAP_PT 16.0 /* checkpoint ids closer than this are left out */

#define COLOR_COMPLETED "#2ca02c"
#define COLOR_ABORTED "#d62728"
#define COLOR_UNFINISHED "#9e9e9e"
#define COLOR_PENDING "#f5a623"
#define COLOR_FAULT "#ff7f0e30"

/* Vertical layout, top to bottom; y grows upwards in Graphviz. */
typedef struct rows {
    double checkpoints;
    double worker;
    double throughput;  /* the plot's baseline */
    double fill;
    double sinks;       /* the first sink lane */
    double bottom;
} rows_t;

static rows_t rows_of(const sb_run_timeline_t *tl)
{
    rows_t r;
    r.checkpoints = 0;
    r.worker = r.checkpoints - ROW_PT - GAP_PT;
    r.throughput = r.worker - ROW_PT / 2 - GAP_PT - PLOT_THROUGHPUT_PT;
    r.fill = r.throughput - GAP_PT - PLOT_FILL_PT;
    r.sinks = r.fill - GAP_PT - ROW_PT / 2;
    r.bottom = r.sinks - (tl->sink_lanes_count > 0 ? tl->sink_lanes_count - 1 : 0) * ROW_PT -
               ROW_PT / 2;
    return r;
}

static double x_of(const sb_run_timeline_t *tl, int64_t ns)
{
    return X0_PT + (double)ns / (double)tl->span_ns * WIDTH_PT;
}

static Agnode_t *pinned_box(Agraph_t *g, const char *name, double x0, double x1, double y,
                            double height, const char *fill)
{
    Agnode_t *n = agnode(g, (char *)name, 1);
    double w = x1 - x0 > BAR_MIN_PT ? x1 - x0 : BAR_MIN_PT;
    sb_gv_set(n, "shape", "box");
    sb_gv_set(n, "fixedsize", "true");
    sb_gv_set(n, "width", "%.4f", w / 72);
    sb_gv_set(n, "height", "%.4f", height / 72);
    sb_gv_set(n, "style", "filled");
    sb_gv_set(n, "fillcolor", "%s", fill);
    sb_gv_set(n, "color", "%s", fill);
    sb_gv_set(n, "label", "%s", "");
    sb_gv_pin(n, x0 + w / 2, y);
    return n;
}

static Agnode_t *text(Agraph_t *g, const char *name, double x, double y, const char *label,
                      const char *fontsize)
{
    Agnode_t *n = agnode(g, (char *)name, 1);
    sb_gv_set(n, "shape", "plaintext");
    sb_gv_set(n, "label", "%s", label);
    sb_gv_set(n, "fontsize", "%s", fontsize);
    sb_gv_set(n, "width", "0.1");
    sb_gv_set(n, "height", "0.1");
    sb_gv_set(n, "margin", "0");
    sb_gv_pin(n, x, y);
    return n;
}

static void row_name(Agraph_t *g, const char *id, double y, const char *label)
{
    char name[64];
    snprintf(name, sizeof name, "row_%s", id);
    Agnode_t *n = agnode(g, name, 1);
    sb_gv_set(n, "shape", "plaintext");
    sb_gv_set(n, "fixedsize", "true");
    sb_gv_set(n, "width", "%.3f", (X0_PT - 10) / 72);
    sb_gv_set(n, "height", "0.3");
    sb_gv_set(n, "label", "%s\\r", label);
    sb_gv_pin(n, (X0_PT - 10) / 2, y);
}

static Agedge_t *line(Agraph_t *g, const char *id, double x0, double y0, double x1, double y1,
                      const char *color)
{
    char name[96];
    snprintf(name, sizeof name, "%s_a", id);
    Agnode_t *a = sb_gv_point(g, name, x0, y0);
    snprintf(name, sizeof name, "%s_b", id);
    Agnode_t *b = sb_gv_point(g, name, x1, y1);
    Agedge_t *e = sb_gv_edge(g, a, b);
    sb_gv_set(e, "dir", "none");
    sb_gv_set(e, "color", "%s", color);
    return e;
}

static void draw_bands(Agraph_t *g, const sb_run_timeline_t *tl, const rows_t *r)
{
    char name[64];
    double top = r->checkpoints + ROW_PT / 2, height = top - r->bottom;
    for (int64_t i = 0; i < tl->bands_count; i++) {
        const sb_run_timeline_band_t *b = &tl->bands[i];
        snprintf(name, sizeof name, "fault_%" PRId64, i);
        Agnode_t *n = pinned_box(g, name, x_of(tl, b->from_ns), x_of(tl, b->to_ns),
                                 top - height / 2, height, COLOR_FAULT);
        sb_gv_set(n, "tooltip", "%s%s", b->label, b->open ? " (never ended)" : "");
        snprintf(name, sizeof name, "fault_%" PRId64 "_label", i);
        char label[32];
        snprintf(label, sizeof label, "fault %" PRId64, i);
        Agnode_t *t = text(g, name, x_of(tl, b->from_ns) + 18, r->worker + ROW_PT / 2 + 2,
                           label, "7");
        sb_gv_set(t, "fontcolor", "#b35900");
        sb_gv_set(t, "tooltip", "%s", b->label);
    }
}

static void draw_checkpoints(Agraph_t *g, const sb_run_timeline_t *tl, const rows_t *r)
{
    char name[64], label[32], took[32];
    double last_label_x = -1e9;
    for (int64_t i = 0; i < tl->checkpoints_count; i++) {
        const sb_run_timeline_checkpoint_t *c = &tl->checkpoints[i];
        const char *color = c->status == SB_CKSTATS_COMPLETED ? COLOR_COMPLETED
                            : c->status == SB_CKSTATS_ABORTED ? COLOR_ABORTED
                                                              : COLOR_UNFINISHED;
        snprintf(name, sizeof name, "chk_%" PRId64, c->id);
        double x0 = x_of(tl, c->from_ns), x1 = x_of(tl, c->to_ns);
        Agnode_t *n = pinned_box(g, name, x0, x1, r->checkpoints, BAR_PT, color);
        sb_gv_fmt_ms(c->to_ns - c->from_ns, took, sizeof took);
        sb_gv_set(n, "tooltip", "checkpoint %" PRId64 ": %s%s%s after %s%s", c->id,
                  sb_ckstats_status_name(c->status), c->reason[0] != '\0' ? " — " : "",
                  c->reason, took, c->unaligned ? " (unaligned)" : "");
        if (c->status == SB_CKSTATS_ABORTED) {
            snprintf(name, sizeof name, "chk_%" PRId64 "_x", c->id);
            Agnode_t *x = text(g, name, x0, r->checkpoints + BAR_PT, "&#10007;", "10");
            sb_gv_set(x, "fontcolor", COLOR_ABORTED);
        }
        if (x0 - last_label_x < ID_LABEL_GAP_PT)
            continue;
        last_label_x = x0;
        snprintf(name, sizeof name, "chk_%" PRId64 "_id", c->id);
        snprintf(label, sizeof label, "%" PRId64, c->id);
        text(g, name, x0, r->checkpoints - BAR_PT - 1, label, "7");
    }
}

static void draw_marks(Agraph_t *g, const sb_run_timeline_t *tl, const rows_t *r)
{
    char name[64];
    for (int64_t i = 0; i < tl->marks_count; i++) {
        const sb_run_timeline_mark_t *m = &tl->marks[i];
        const char *glyph = "", *color = "#333333", *what = "";
        switch (m->kind) {
        case SB_RUNTRACE_MARK_WORKER_STARTED: glyph = "&#9656;"; color = "#555555"; what = "worker started"; break;
        case SB_RUNTRACE_MARK_CRASH: glyph = "&#10007;"; color = COLOR_ABORTED; what = "crash"; break;
        case SB_RUNTRACE_MARK_RESTORE: glyph = "&#8634;"; color = "#1f77b4"; what = "restore"; break;
        case SB_RUNTRACE_MARK_CRASH_POINT: glyph = "&#9889;"; color = "#b35900"; what = "crash point"; break;
        case SB_RUNTRACE_MARK_JOB_FINISHED: glyph = "&#10003;"; color = COLOR_COMPLETED; what = "job finished"; break;
        }
        snprintf(name, sizeof name, "%s_%" PRId64,
                 m->kind == SB_RUNTRACE_MARK_CRASH ? "crash" : "mark", i);
        /* Restores sit a little lower and crash points a little higher than
         * crashes: they come close together. */
        double y = r->worker - (m->kind == SB_RUNTRACE_MARK_RESTORE ? 6 : 0) +
                   (m->kind == SB_RUNTRACE_MARK_CRASH_POINT ? 8 : 0);
        Agnode_t *n = text(g, name, x_of(tl, m->t_ns), y, glyph, "11");
        sb_gv_set(n, "fontcolor", "%s", color);
        sb_gv_set(n, "tooltip", "%s: %s", what, m->label);
        if (m->kind == SB_RUNTRACE_MARK_CRASH) {
            snprintf(name, sizeof name, "crash_%" PRId64 "_line", i);
            Agedge_t *e = line(g, name, x_of(tl, m->t_ns), r->checkpoints + ROW_PT / 2,
                               x_of(tl, m->t_ns), r->bottom, COLOR_ABORTED);
            sb_gv_set(e, "style", "dotted");
        }
    }
}

/* A polyline per incarnation; y from 0 (baseline) to `height` at vmax. */
static void draw_series(Agraph_t *g, const sb_run_timeline_t *tl, const char *id,
                        const sb_run_timeline_point_t *pts, int64_t n, double vmax,
                        double baseline, double height, const char *color, const char *style)
{
    char name[64];
    Agnode_t *prev = NULL;
    int prev_inc = -2;
    for (int64_t i = 0; i < n; i++) {
        double v = vmax > 0 ? pts[i].value / vmax : 0;
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        snprintf(name, sizeof name, "%s_%" PRId64, id, i);
        Agnode_t *p = sb_gv_point(g, name, x_of(tl, pts[i].t_ns), baseline + v * height);
        if (prev != NULL && pts[i].incarnation == prev_inc) {
            Agedge_t *e = sb_gv_edge(g, prev, p);
            sb_gv_set(e, "dir", "none");
            sb_gv_set(e, "color", "%s", color);
            sb_gv_set(e, "style", "%s", style);
            sb_gv_set(e, "penwidth", "1.3");
        }
        prev = p;
        prev_inc = pts[i].incarnation;
    }
}

static void draw_plots(Agraph_t *g, const sb_run_timeline_t *tl, const rows_t *r)
{
    char label[96];
    line(g, "throughput_axis", X0_PT, r->throughput, X0_PT + WIDTH_PT, r->throughput, "#bbbbbb");
    snprintf(label, sizeof label, "input records/s\\r(max %.0f)", tl->throughput_max);
    row_name(g, "throughput", r->throughput + PLOT_THROUGHPUT_PT / 2, label);
    draw_series(g, tl, "tp", tl->throughput, tl->throughput_count, tl->throughput_max,
                r->throughput, PLOT_THROUGHPUT_PT, "#1f77b4", "solid");
    line(g, "fill_axis", X0_PT, r->fill, X0_PT + WIDTH_PT, r->fill, "#bbbbbb");
    line(g, "fill_full", X0_PT, r->fill + PLOT_FILL_PT, X0_PT + WIDTH_PT, r->fill + PLOT_FILL_PT,
         "#eeeeee");
    row_name(g, "fill", r->fill + PLOT_FILL_PT / 2, "channel fill 0..1\\r(max; mean dashed)");
    draw_series(g, tl, "fmax", tl->fill_max, tl->fill_count, 1.0, r->fill, PLOT_FILL_PT,
                "#9467bd", "solid");
    draw_series(g, tl, "fmean", tl->fill_mean, tl->fill_count, 1.0, r->fill, PLOT_FILL_PT,
                "#9467bd", "dashed");
}

static void draw_parts(Agraph_t *g, const sb_run_timeline_t *tl, const rows_t *r)
{
    char name[64], label[96];
    for (int l = 0; l < tl->sink_lanes_count; l++) {
        snprintf(name, sizeof name, "sink_%d", l);
        snprintf(label, sizeof label, "%s part files", tl->sink_lanes[l]);
        row_name(g, name, r->sinks - l * ROW_PT, label);
    }
    for (int64_t i = 0; i < tl->parts_count; i++) {
        const sb_run_timeline_part_t *p = &tl->parts[i];
        if (p->staged_ns < 0 && p->committed_ns < 0)
            continue;
        double y = r->sinks - p->lane * ROW_PT;
        int64_t from = p->staged_ns >= 0 ? p->staged_ns : p->committed_ns;
        int64_t to = p->committed_ns >= 0   ? p->committed_ns
                     : p->aborted_ns >= 0 ? p->aborted_ns
                                          : tl->span_ns;
        snprintf(name, sizeof name, "part_%" PRId64, i);
        const char *fill = p->committed_ns >= 0 ? COLOR_PENDING : COLOR_UNFINISHED;
        Agnode_t *n = pinned_box(g, name, x_of(tl, from), x_of(tl, to), y, BAR_PT, fill);
        sb_gv_set(n, "tooltip", "%s (checkpoint %" PRId64 "): %s", p->key, p->checkpoint,
                  p->committed_ns >= 0 ? "pending, then published"
                  : p->aborted_ns >= 0 ? "pending, then aborted"
                                       : "pending, never published in the trace");
        if (p->committed_ns < 0 && p->aborted_ns < 0)
            continue;
        snprintf(name, sizeof name, "part_%" PRId64 "_end", i);
        Agnode_t *end = text(g, name, x_of(tl, to), y,
                             p->committed_ns >= 0 ? "&#9670;" : "&#10007;", "8");
        sb_gv_set(end, "fontcolor", "%s", p->committed_ns >= 0 ? COLOR_COMPLETED : COLOR_ABORTED);
        sb_gv_set(end, "tooltip", "%s %s", p->key, p->committed_ns >= 0 ? "published" : "aborted");
    }
    /* Completions as faint lines through the sink lanes: commits follow them. */
    for (int64_t i = 0; tl->sink_lanes_count > 0 && i < tl->checkpoints_count; i++) {
        const sb_run_timeline_checkpoint_t *c = &tl->checkpoints[i];
        if (c->status != SB_CKSTATS_COMPLETED)
            continue;
        snprintf(name, sizeof name, "completed_%" PRId64, c->id);
        Agedge_t *e = line(g, name, x_of(tl, c->to_ns), r->checkpoints - BAR_PT / 2,
                           x_of(tl, c->to_ns), r->bottom, "#2ca02c66");
        sb_gv_set(e, "style", "dotted");
    }
}

static void graph_label(Agraph_t *g, const sb_run_timeline_t *tl)
{
    int64_t completed = 0, aborted = 0;
    for (int64_t i = 0; i < tl->checkpoints_count; i++) {
        completed += tl->checkpoints[i].status == SB_CKSTATS_COMPLETED;
        aborted += tl->checkpoints[i].status == SB_CKSTATS_ABORTED;
    }
    int64_t crashes = 0;
    for (int64_t i = 0; i < tl->marks_count; i++)
        crashes += tl->marks[i].kind == SB_RUNTRACE_MARK_CRASH;
    char took[32];
    sb_gv_fmt_ms(tl->span_ns, took, sizeof took);
    char text[512], legend[2048];
    snprintf(text, sizeof text,
             "<b>run timeline</b> (%s; %" PRId64 " checkpoints completed, %" PRId64
             " aborted, %" PRId64 " crashes, %" PRId64 " faults); time since the run started",
             took, completed, aborted, crashes, tl->bands_count);
    snprintf(
        legend, sizeof legend,
        "<table border=\"0\" cellspacing=\"3\"><tr>"
        "<td bgcolor=\"%s\" width=\"12\"> </td><td>checkpoint completed</td>"
        "<td bgcolor=\"%s\" width=\"12\"> </td><td>aborted &#10007;</td>"
        "<td bgcolor=\"#ffe0c0\" width=\"12\"> </td><td>fault</td>"
        "<td><font color=\"%s\">&#10007;</font> crash <font color=\"#1f77b4\">&#8634;</font> "
        "restore <font color=\"#b35900\">&#9889;</font> crash point</td>"
        "<td bgcolor=\"%s\" width=\"12\"> </td><td>part file pending, "
        "<font color=\"%s\">&#9670;</font> published</td></tr></table>",
        COLOR_COMPLETED, COLOR_ABORTED, COLOR_ABORTED, COLOR_PENDING, COLOR_COMPLETED);
    sb_gv_set_titled_legend(g, text, legend);
}

Agraph_t *sb_run_timeline_graph(const sb_run_timeline_t *tl)
{
    Agraph_t *g = sb_gv_graph("run_timeline");
    sb_gv_set(g, "labelloc", "t");
    /* Bands and bars (nodes) first; lines and series on top. */
    sb_gv_set(g, "outputorder", "nodesfirst");
    graph_label(g, tl);
    rows_t r = rows_of(tl);
    draw_bands(g, tl, &r);
    row_name(g, "checkpoints", r.checkpoints, "checkpoints");
    row_name(g, "worker", r.worker, "worker");
    draw_checkpoints(g, tl, &r);
    draw_marks(g, tl, &r);
    draw_plots(g, tl, &r);
    draw_parts(g, tl, &r);
    sb_gv_time_axis(g, "axis", X0_PT, WIDTH_PT, r.bottom - 6, 0, tl->span_ns, false, 10);
    return g;
}
