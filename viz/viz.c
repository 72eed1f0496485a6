/* viz.c — see viz.h. The trace is read once; each picture is extracted,
 * turned into a graph, laid out once and rendered in every format asked. */
#include "viz.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clpictures.h"
#include "cltrace.h"
#include "conserve.h"
#include "fsutil.h"
#include "gantt.h"
#include "gv.h"
#include "propgraph.h"
#include "run_timeline.h"
#include "runtrace.h"
#include "spacetime.h"

#define PATH_BYTES_MAX 4096

int64_t sb_viz_pick(const int64_t *ids, int64_t n, int max, int64_t *out)
{
    assert(max > 0);
    if (n <= max) {
        memcpy(out, ids, (size_t)n * sizeof *ids);
        return n;
    }
    int64_t head = max / 2, tail = max - head;
    memcpy(out, ids, (size_t)head * sizeof *ids);
    memcpy(out + head, ids + n - tail, (size_t)tail * sizeof *ids);
    return max;
}

typedef struct drawing {
    const sb_viz_opts_t *o;
    sb_viz_report_t *report;
    sb_gv_t *gv;
    sb_err_t *err;
} drawing_t;

/* Lays out g, renders it as <out_dir>/<stem>.<format> for each format,
 * and frees it. */
static int render(drawing_t *d, Agraph_t *g, const char *engine, const char *stem)
{
    if (sb_gv_layout(d->gv, g, engine, d->err) != 0) {
        agclose(g);
        return -1;
    }
    int rc = 0;
    for (unsigned f = 1; f <= SB_GV_DOT && rc == 0; f <<= 1) {
        if ((d->o->formats & f) == 0)
            continue;
        char path[PATH_BYTES_MAX];
        if (snprintf(path, sizeof path, "%s/%s.%s", d->o->out_dir, stem,
                     sb_gv_format_name((sb_gv_format_t)f)) >= (int)sizeof path) {
            rc = sb_err_set(d->err, "picture path too long in %s", d->o->out_dir);
            break;
        }
        rc = sb_gv_render_file(d->gv, g, (sb_gv_format_t)f, path, d->err);
        if (rc == 0) {
            d->report->files_written++;
            if (d->o->on_file != NULL)
                d->o->on_file(path, d->o->ctx);
        }
    }
    sb_gv_free_layout(d->gv, g);
    agclose(g);
    return rc;
}

/* A Flink run's trace holds what Flink reports per subtask, not snapbed's
 * own barriers, positions and records: only its Gantt charts can be drawn. */
static bool from_flink(const sb_runtrace_t *rt, int64_t id)
{
    const sb_runtrace_incarnation_t *inc =
        sb_runtrace_incarnation_of(rt, sb_runtrace_checkpoint(rt, id));
    return inc != NULL && strcmp(inc->engine, "flink") == 0;
}

static int draw_gantt(drawing_t *d, const sb_runtrace_t *rt, int64_t id)
{
    char stem[64];
    sb_gantt_t gantt;
    int rc = sb_gantt_build(rt, id, &gantt, d->err);
    snprintf(stem, sizeof stem, "chk-%" PRId64 "-gantt", id);
    if (rc == 0)
        rc = render(d, sb_gantt_graph(&gantt), SB_GANTT_ENGINE, stem);
    sb_gantt_free(&gantt);
    return rc;
}

static int draw_checkpoint(drawing_t *d, const sb_runtrace_t *rt, int64_t id)
{
    char stem[64];
    if (from_flink(rt, id))
        return draw_gantt(d, rt, id);
    sb_propgraph_t pg;
    int rc = sb_propgraph_build(rt, id, &pg, d->err);
    snprintf(stem, sizeof stem, "chk-%" PRId64 "-graph", id);
    if (rc == 0)
        rc = render(d, sb_propgraph_graph(&pg), SB_PROPGRAPH_ENGINE, stem);
    sb_propgraph_free(&pg);
    if (rc != 0)
        return -1;

    sb_spacetime_limits_t limits;
    sb_spacetime_limits_default(&limits);
    if (d->o->arrows_max > 0)
        limits.arrows_max = d->o->arrows_max;
    sb_spacetime_t st;
    rc = sb_spacetime_build(rt, id, &limits, &st, d->err);
    snprintf(stem, sizeof stem, "chk-%" PRId64 "-spacetime", id);
    if (rc == 0)
        rc = render(d, sb_spacetime_graph(&st), SB_SPACETIME_ENGINE, stem);
    sb_spacetime_free(&st);
    if (rc != 0)
        return -1;
    return draw_gantt(d, rt, id);
}

static int draw_timeline(drawing_t *d, const sb_runtrace_t *rt)
{
    sb_run_timeline_t tl;
    int rc = sb_run_timeline_build(rt, &tl, d->err);
    if (rc == 0)
        rc = render(d, sb_run_timeline_graph(&tl), SB_RUN_TIMELINE_ENGINE, "timeline");
    sb_run_timeline_free(&tl);
    return rc;
}

/* The checkpoints to draw, into *ids_out (malloc'd). */
static sb_viz_status_t choose(const sb_viz_opts_t *o, const sb_runtrace_t *rt, int64_t **ids_out,
                              int64_t *n_out, sb_viz_report_t *report, sb_err_t *err)
{
    const sb_ckstats_t *st = &rt->stats;
    int64_t *ids = calloc((size_t)st->checkpoints_count + 1, sizeof *ids);
    int64_t *picked = calloc((size_t)st->checkpoints_count + 1, sizeof *picked);
    if (ids == NULL || picked == NULL) {
        free(ids);
        free(picked);
        sb_err_set(err, "out of memory choosing checkpoints");
        return SB_VIZ_FAILED;
    }
    *ids_out = picked;
    if (o->checkpoint > 0) {
        free(ids);
        const sb_runtrace_checkpoint_t *c = sb_runtrace_checkpoint(rt, o->checkpoint);
        if (c == NULL || c->trigger_ns < 0) {
            sb_err_set(err, "%s: no checkpoint %" PRId64 " in the trace (it has %" PRId64
                            " checkpoints%s)",
                       o->trace_path, o->checkpoint, st->checkpoints_count,
                       st->checkpoints_count > 0 ? "; see checkpoints.json or the timeline" : "");
            return SB_VIZ_BAD_INPUT;
        }
        if (sb_runtrace_incarnation_of(rt, c) == NULL) {
            sb_err_set(err, "%s: checkpoint %" PRId64 " comes before its worker's job graph "
                            "(lines out of order, or not a snapbed trace)",
                       o->trace_path, o->checkpoint);
            return SB_VIZ_BAD_INPUT;
        }
        picked[0] = o->checkpoint;
        *n_out = 1;
        return SB_VIZ_OK;
    }
    int64_t n = 0;
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        const sb_runtrace_checkpoint_t *c = sb_runtrace_checkpoint(rt, st->checkpoints[i].id);
        if (st->checkpoints[i].status != SB_CKSTATS_COMPLETED || c == NULL)
            continue;
        /* A worker writes its job graph before any checkpoint: without
         * one, the lines are out of order (or not a snapbed trace), which
         * is the input's fault, not a picture that failed. */
        if (sb_runtrace_incarnation_of(rt, c) == NULL) {
            free(ids);
            sb_err_set(err, "%s: checkpoint %" PRId64 " comes before its worker's job graph "
                            "(lines out of order, or not a snapbed trace)",
                       o->trace_path, st->checkpoints[i].id);
            return SB_VIZ_BAD_INPUT;
        }
        ids[n++] = st->checkpoints[i].id;
    }
    int max = o->checkpoints_max > 0 ? o->checkpoints_max : SB_VIZ_CHECKPOINTS_MAX;
    *n_out = sb_viz_pick(ids, n, max, picked);
    if (*n_out < n)
        snprintf(report->note, sizeof report->note,
                 "%" PRId64 " completed checkpoints: pictures of the first %d (chk-%" PRId64
                 "..%" PRId64 ") and the last %d (chk-%" PRId64 "..%" PRId64
                 "); --checkpoint N draws any other",
                 n, max / 2, picked[0], picked[max / 2 - 1], max - max / 2, picked[max / 2],
                 picked[*n_out - 1]);
    else if (n == 0)
        snprintf(report->note, sizeof report->note,
                 "no completed checkpoint in the trace: the timeline only");
    free(ids);
    return SB_VIZ_OK;
}

/* The output folder and a Graphviz context, once the input is good. */
static sb_gv_t *open_output(const sb_viz_opts_t *o, sb_viz_status_t *status, sb_err_t *err)
{
    if (*status != SB_VIZ_OK)
        return NULL;
    sb_gv_t *gv = sb_fs_mkdir_p(o->out_dir, err) == 0 ? sb_gv_new(err) : NULL;
    if (gv == NULL)
        *status = SB_VIZ_FAILED;
    return gv;
}

/* ------------------------------------------------ classic Chandy–Lamport */

/* The snapshots to draw: the one asked for, else the completed ones. */
static sb_viz_status_t choose_snapshots(const sb_viz_opts_t *o, const sb_cltrace_t *t,
                                        int64_t *picked, int64_t *n_out,
                                        sb_viz_report_t *report, sb_err_t *err)
{
    if (o->checkpoint > 0) {
        if (o->checkpoint > SB_CLTRACE_SNAPSHOTS_MAX || !t->snapshots[o->checkpoint].seen) {
            sb_err_set(err, "%s: no snapshot %" PRId64 " in the trace", o->trace_path,
                       o->checkpoint);
            return SB_VIZ_BAD_INPUT;
        }
        picked[0] = o->checkpoint;
        *n_out = 1;
        return SB_VIZ_OK;
    }
    int64_t ids[SB_CLTRACE_SNAPSHOTS_MAX], n = 0;
    for (int k = 1; k <= SB_CLTRACE_SNAPSHOTS_MAX; k++)
        if (t->snapshots[k].seen && t->snapshots[k].completed_ns >= 0)
            ids[n++] = k;
    int max = o->checkpoints_max > 0 ? o->checkpoints_max : SB_VIZ_CHECKPOINTS_MAX;
    *n_out = sb_viz_pick(ids, n, max, picked);
    if (*n_out < n)
        snprintf(report->note, sizeof report->note, "%" PRId64 " completed snapshots: pictures "
                 "of the first %d and the last %d; --checkpoint K draws any other", n, max / 2,
                 max - max / 2);
    else if (n == 0)
        snprintf(report->note, sizeof report->note, "no completed snapshot in the trace");
    return SB_VIZ_OK;
}

/* index.html: per snapshot drawn, its sums and classes, and its pictures. */
static int write_index(drawing_t *d, const sb_cltrace_t *t, const int64_t *ids, int64_t n)
{
    char path[PATH_BYTES_MAX], tmp[PATH_BYTES_MAX + 8];
    snprintf(path, sizeof path, "%s/index.html", d->o->out_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return sb_err_errno(d->err, errno, "cannot create %s", tmp);
    const char *ext = sb_gv_format_name((d->o->formats & SB_GV_SVG) ? SB_GV_SVG
                                        : (d->o->formats & SB_GV_PNG) ? SB_GV_PNG : SB_GV_DOT);
    fprintf(f, "<!doctype html><meta charset=\"utf-8\"><title>snapshots</title>\n"
            "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}"
            ".bad{color:#d62728;font-weight:bold}</style>\n<h1>Chandy–Lamport snapshots</h1>\n");
    sb_clpictures_table(f, t, ids, n, "", ext);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return sb_err_errno(d->err, errno, "cannot write %s", path);
    d->report->files_written++;
    if (d->o->on_file != NULL)
        d->o->on_file(path, d->o->ctx);
    return 0;
}

static int draw_snapshot(drawing_t *d, const sb_cltrace_t *t, int k)
{
    char stem[64];
    snprintf(stem, sizeof stem, "snap-%d-spacetime", k);
    if (render(d, sb_clpictures_spacetime(t, k, d->o->arrows_max),
               SB_CLPICTURES_SPACETIME_ENGINE, stem) != 0)
        return -1;
    snprintf(stem, sizeof stem, "snap-%d-graph", k);
    return render(d, sb_clpictures_graph(t, k), SB_CLPICTURES_GRAPH_ENGINE, stem);
}

static sb_viz_status_t run_classic(const sb_viz_opts_t *o, sb_viz_report_t *report,
                                   sb_err_t *err)
{
    sb_cltrace_t *t = malloc(sizeof *t);
    if (t == NULL) {
        sb_err_set(err, "out of memory reading %s", o->trace_path);
        return SB_VIZ_FAILED;
    }
    int64_t ids[SB_CLTRACE_SNAPSHOTS_MAX], n = 0;
    sb_viz_status_t status = SB_VIZ_OK;
    if (sb_cltrace_load(t, o->trace_path, err) != 0)
        status = SB_VIZ_BAD_INPUT;
    if (status == SB_VIZ_OK)
        status = choose_snapshots(o, t, ids, &n, report, err);
    sb_gv_t *gv = open_output(o, &status, err);
    drawing_t d = { .o = o, .report = report, .gv = gv, .err = err };
    for (int64_t i = 0; status == SB_VIZ_OK && i < n; i++) {
        if (draw_snapshot(&d, t, (int)ids[i]) != 0)
            status = SB_VIZ_FAILED;
        else
            report->checkpoints_drawn++;
    }
    if (status == SB_VIZ_OK && o->timeline && write_index(&d, t, ids, n) != 0)
        status = SB_VIZ_FAILED;
    sb_gv_free(gv);
    sb_cltrace_free(t);
    free(t);
    return status;
}

sb_viz_status_t sb_viz_run(const sb_viz_opts_t *o, sb_viz_report_t *report, sb_err_t *err)
{
    memset(report, 0, sizeof *report);
    assert(o->formats != 0);
    bool classic = false;
    if (sb_conserve_trace_is_classic(o->trace_path, &classic, err) != 0)
        return SB_VIZ_BAD_INPUT;
    report->classic = classic;
    if (classic)
        return run_classic(o, report, err);
    sb_runtrace_t rt;
    if (sb_runtrace_load(&rt, o->trace_path, err) != 0) {
        sb_runtrace_free(&rt);
        return SB_VIZ_BAD_INPUT;
    }
    int64_t *ids = NULL, n = 0;
    sb_viz_status_t status = choose(o, &rt, &ids, &n, report, err);
    if (status == SB_VIZ_OK && report->note[0] == '\0' && rt.incarnations_count > 0 &&
        strcmp(rt.incarnations[0].engine, "flink") == 0)
        snprintf(report->note, sizeof report->note, "a Flink run: Gantt charts and the "
                 "timeline only (propagation graphs and space-time diagrams need snapbed's own "
                 "trace of records and barriers)");
    sb_gv_t *gv = open_output(o, &status, err);
    drawing_t d = { .o = o, .report = report, .gv = gv, .err = err };
    for (int64_t i = 0; status == SB_VIZ_OK && i < n; i++) {
        if (draw_checkpoint(&d, &rt, ids[i]) != 0)
            status = SB_VIZ_FAILED;
        else
            report->checkpoints_drawn++;
    }
    if (status == SB_VIZ_OK && o->timeline && draw_timeline(&d, &rt) != 0)
        status = SB_VIZ_FAILED;
    sb_gv_free(gv);
    free(ids);
    sb_runtrace_free(&rt);
    return status;
}
