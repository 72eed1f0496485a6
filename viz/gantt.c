/* gantt.c — see gantt.h. */
#include "gantt.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv.h"

const char *sb_gantt_phase_name(sb_gantt_phase_t p)
{
    switch (p) {
    case SB_GANTT_START_DELAY: return "start delay";
    case SB_GANTT_ALIGNMENT: return "alignment";
    case SB_GANTT_SYNC: return "sync";
    case SB_GANTT_ASYNC: return "async";
    case SB_GANTT_PHASES_: break;
    }
    return "?";
}

/* ----------------------------------------------------------- extraction */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static void row_from_ack(sb_gantt_row_t *row, const sb_ckstats_subtask_t *a)
{
    const int64_t len[SB_GANTT_PHASES_] = {
        [SB_GANTT_START_DELAY] = a->start_delay_ns,
        [SB_GANTT_ALIGNMENT] = a->alignment_ns,
        [SB_GANTT_SYNC] = a->sync_ns,
        [SB_GANTT_ASYNC] = a->async_ns,
    };
    int64_t at = 0;
    for (int p = 0; p < SB_GANTT_PHASES_; p++) {
        row->from_ns[p] = at;
        at += max64(len[p], 0); /* a negative figure in a trace draws nothing */
        row->to_ns[p] = at;
    }
    row->acked = true;
    row->ack_ns = a->ack_ns;
    row->state_bytes = a->state_bytes;
    row->unaligned = a->unaligned;
    row->timed_out = a->timed_out;
}

static const sb_ckstats_subtask_t *ack_of(const sb_ckstats_checkpoint_t *st, const char *task)
{
    for (int i = 0; i < st->subtasks_count; i++)
        if (strcmp(st->subtasks[i].task, task) == 0)
            return &st->subtasks[i];
    return NULL;
}

static bool in_order(const char *const *order, int n, const char *task)
{
    for (int i = 0; i < n; i++)
        if (strcmp(order[i], task) == 0)
            return true;
    return false;
}

static void add_row(sb_gantt_t *out, const char *task, const sb_ckstats_subtask_t *a)
{
    sb_gantt_row_t *row = &out->rows[out->rows_count++];
    *row = (sb_gantt_row_t){ .ack_ns = -1 };
    snprintf(row->task, sizeof row->task, "%s", task);
    if (a != NULL)
        row_from_ack(row, a);
}

int sb_gantt_from_stats(const sb_ckstats_checkpoint_t *st, const char *const *order,
                        int order_count, sb_gantt_t *out, sb_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->critical = -1;
    out->checkpoint = st->id;
    out->status = st->status;
    out->duration_ns = st->duration_ns;
    snprintf(out->reason, sizeof out->reason, "%s", st->reason);
    out->rows = calloc((size_t)order_count + (size_t)st->subtasks_count + 1, sizeof *out->rows);
    if (out->rows == NULL)
        return sb_err_set(err, "out of memory for checkpoint %" PRId64 "'s Gantt chart", st->id);
    for (int i = 0; i < order_count; i++)
        add_row(out, order[i], ack_of(st, order[i]));
    for (int i = 0; i < st->subtasks_count; i++)
        if (!in_order(order, order_count, st->subtasks[i].task))
            add_row(out, st->subtasks[i].task, &st->subtasks[i]);
    out->span_ns = max64(out->duration_ns, 0);
    for (int i = 0; i < out->rows_count; i++) {
        const sb_gantt_row_t *row = &out->rows[i];
        if (!row->acked)
            continue;
        out->span_ns = max64(out->span_ns, max64(row->ack_ns, row->to_ns[SB_GANTT_ASYNC]));
        if (row->ack_ns >= 0 && (out->critical < 0 || row->ack_ns > out->rows[out->critical].ack_ns))
            out->critical = i;
    }
    if (out->critical >= 0)
        out->rows[out->critical].critical = true;
    return 0;
}

int sb_gantt_build(const sb_runtrace_t *rt, int64_t checkpoint, sb_gantt_t *out, sb_err_t *err)
{
    memset(out, 0, sizeof *out);
    const sb_ckstats_checkpoint_t *st = sb_runtrace_stats(rt, checkpoint);
    if (st == NULL)
        return sb_err_set(err, "checkpoint %" PRId64 " is not in the trace", checkpoint);
    const sb_runtrace_incarnation_t *inc =
        sb_runtrace_incarnation_of(rt, sb_runtrace_checkpoint(rt, checkpoint));
    int n = inc != NULL ? inc->tasks_count : 0;
    const char **order = calloc((size_t)n + 1, sizeof *order);
    if (order == NULL)
        return sb_err_set(err, "out of memory for checkpoint %" PRId64 "'s Gantt chart",
                          checkpoint);
    for (int i = 0; i < n; i++)
        order[i] = inc->tasks[i].name;
    int rc = sb_gantt_from_stats(st, order, n, out, err);
    free(order);
    return rc;
}

void sb_gantt_free(sb_gantt_t *g)
{
    free(g->rows);
    memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------ rendering */

#define X0_PT 130.0       /* the bars start here; row names to the left */
#define WIDTH_PT 760.0
#define ROW_PT 24.0
#define BAR_PT 14.0
#define LABEL_MIN_PT 44.0 /* a phase at least this wide shows its duration */

static const char *const phase_colors[SB_GANTT_PHASES_] = {
    [SB_GANTT_START_DELAY] = "#c8c8c8",
    [SB_GANTT_ALIGNMENT] = "#f5a623",
    [SB_GANTT_SYNC] = "#4a90e2",
    [SB_GANTT_ASYNC] = "#7ed321",
};

static double x_of(const sb_gantt_t *gantt, int64_t ns)
{
    double span = gantt->span_ns > 0 ? (double)gantt->span_ns : 1;
    return X0_PT + (double)ns / span * WIDTH_PT;
}

static double y_of(int row)
{
    return -row * ROW_PT;
}

/* A box from x0 to x1 centred on y, drawn in creation order. */
static Agnode_t *pinned_box(Agraph_t *g, const char *name, double x0, double x1, double y,
                     double height)
{
    Agnode_t *n = agnode(g, (char *)name, 1);
    double w = x1 - x0 > 0.72 ? x1 - x0 : 0.72;
    sb_gv_set(n, "shape", "box");
    sb_gv_set(n, "fixedsize", "true");
    sb_gv_set(n, "width", "%.4f", w / 72);
    sb_gv_set(n, "height", "%.4f", height / 72);
    sb_gv_set(n, "style", "filled");
    sb_gv_set(n, "label", "%s", "");
    sb_gv_pin(n, x0 + w / 2, y);
    return n;
}

static void draw_row_name(Agraph_t *g, const sb_gantt_row_t *row, int i)
{
    char name[96];
    snprintf(name, sizeof name, "%s_name", row->task);
    Agnode_t *n = agnode(g, name, 1);
    sb_gv_set(n, "shape", "plaintext");
    sb_gv_set(n, "fixedsize", "true");
    sb_gv_set(n, "width", "%.3f", (X0_PT - 10) / 72);
    sb_gv_set(n, "height", "%.3f", BAR_PT / 72);
    /* "\r" right-justifies the line inside the node's width. */
    sb_gv_set(n, "label", "%s%s%s\\r", row->task,
              row->unaligned ? (row->timed_out ? " (timed out)" : " (unaligned)") : "",
              row->acked ? "" : " (no ack)");
    if (row->critical) {
        sb_gv_set(n, "fontcolor", "#b00000");
        sb_gv_set(n, "fontname", SB_GV_FONT "-Bold");
    }
    sb_gv_pin(n, (X0_PT - 10) / 2, y_of(i));
}

static void draw_phases(Agraph_t *g, const sb_gantt_t *gantt, const sb_gantt_row_t *row, int i)
{
    char name[96], took[32], at[32];
    for (int p = 0; p < SB_GANTT_PHASES_; p++) {
        if (row->to_ns[p] <= row->from_ns[p])
            continue;
        double x0 = x_of(gantt, row->from_ns[p]), x1 = x_of(gantt, row->to_ns[p]);
        snprintf(name, sizeof name, "%s_%s", row->task, sb_gantt_phase_name(p));
        Agnode_t *n = pinned_box(g, name, x0, x1, y_of(i), BAR_PT);
        sb_gv_set(n, "fillcolor", "%s", phase_colors[p]);
        sb_gv_set(n, "color", "%s", row->critical ? "#b00000" : phase_colors[p]);
        sb_gv_fmt_ms(row->to_ns[p] - row->from_ns[p], took, sizeof took);
        sb_gv_set(n, "tooltip", "%s: %s %s", row->task, sb_gantt_phase_name(p), took);
        if (x1 - x0 >= LABEL_MIN_PT) {
            sb_gv_set(n, "label", "%s", took);
            sb_gv_set(n, "fontsize", "8");
        }
    }
    if (row->ack_ns < 0)
        return;
    snprintf(name, sizeof name, "%s_ack", row->task);
    Agnode_t *ack = agnode(g, name, 1);
    sb_gv_set(ack, "shape", "diamond");
    sb_gv_set(ack, "style", "filled");
    sb_gv_set(ack, "fillcolor", "%s", row->critical ? "#b00000" : "#333333");
    sb_gv_set(ack, "color", "%s", row->critical ? "#b00000" : "#333333");
    sb_gv_set(ack, "fixedsize", "true");
    sb_gv_set(ack, "width", "0.12");
    sb_gv_set(ack, "height", "0.16");
    sb_gv_set(ack, "label", "%s", "");
    sb_gv_fmt_ms(row->ack_ns, at, sizeof at);
    sb_gv_set(ack, "tooltip", "%s: ack +%s", row->task, at);
    sb_gv_pin(ack, x_of(gantt, row->ack_ns), y_of(i));
}

/* A dashed vertical line at time ns across the rows. */
static void vline(Agraph_t *g, const sb_gantt_t *gantt, const char *id, int64_t ns,
                  const char *color)
{
    char name[64];
    double x = x_of(gantt, ns);
    snprintf(name, sizeof name, "%s_top", id);
    Agnode_t *top = sb_gv_point(g, name, x, y_of(0) + ROW_PT / 2);
    snprintf(name, sizeof name, "%s_bottom", id);
    Agnode_t *bottom = sb_gv_point(g, name, x, y_of(gantt->rows_count - 1) - ROW_PT / 2);
    Agedge_t *e = sb_gv_edge(g, top, bottom);
    sb_gv_set(e, "dir", "none");
    sb_gv_set(e, "style", "dashed");
    sb_gv_set(e, "color", "%s", color);
}

static void graph_label(Agraph_t *g, const sb_gantt_t *gantt)
{
    char status[SB_CKSTATS_REASON_BYTES_MAX + 64], took[32], at[32], crit[160], reason[256];
    if (gantt->status == SB_CKSTATS_COMPLETED) {
        sb_gv_fmt_ms(gantt->duration_ns, took, sizeof took);
        snprintf(status, sizeof status, "completed in %s (dashed red line)", took);
    } else {
        sb_gv_escape(gantt->reason, reason, sizeof reason);
        snprintf(status, sizeof status, "%s%s%s", sb_ckstats_status_name(gantt->status),
                 reason[0] != '\0' ? ": " : "", reason);
    }
    if (gantt->critical >= 0) {
        const sb_gantt_row_t *row = &gantt->rows[gantt->critical];
        sb_gv_fmt_ms(row->ack_ns, at, sizeof at);
        snprintf(crit, sizeof crit, "critical path: %s, the last ack, at +%s", row->task, at);
    } else {
        snprintf(crit, sizeof crit, "no subtask acked");
    }
    char legend[1024];
    int o = snprintf(legend, sizeof legend, "<table border=\"0\" cellspacing=\"4\"><tr>");
    for (int p = 0; p < SB_GANTT_PHASES_; p++)
        o += snprintf(legend + o, sizeof legend - (size_t)o,
                      "<td bgcolor=\"%s\" width=\"14\"> </td><td>%s</td>", phase_colors[p],
                      sb_gantt_phase_name(p));
    snprintf(legend + o, sizeof legend - (size_t)o, "<td>&#9670; ack</td></tr></table>");
    char text[1024];
    snprintf(text, sizeof text,
             "<b>checkpoint %" PRId64 ": Gantt chart</b> (%s)<br/>time after the trigger per "
             "subtask; %s",
             gantt->checkpoint, status, crit);
    sb_gv_set_titled_legend(g, text, legend);
}

Agraph_t *sb_gantt_graph(const sb_gantt_t *gantt)
{
    char name[64];
    snprintf(name, sizeof name, "chk_%" PRId64 "_gantt", gantt->checkpoint);
    Agraph_t *g = sb_gv_graph(name);
    sb_gv_set(g, "labelloc", "t");
    sb_gv_set(g, "outputorder", "edgesfirst");
    graph_label(g, gantt);
    if (gantt->critical >= 0) {
        /* The highlight first, so that it lies under the bars. */
        Agnode_t *band = pinned_box(g, "critical_band", 0, X0_PT + WIDTH_PT + 10,
                             y_of(gantt->critical), ROW_PT - 2);
        sb_gv_set(band, "fillcolor", "#fff1c1");
        sb_gv_set(band, "color", "#fff1c1");
    }
    for (int i = 0; i < gantt->rows_count; i++) {
        draw_row_name(g, &gantt->rows[i], i);
        draw_phases(g, gantt, &gantt->rows[i], i);
    }
    int64_t span = gantt->span_ns > 0 ? gantt->span_ns : 1;
    vline(g, gantt, "trigger", 0, "#666666");
    if (gantt->status == SB_CKSTATS_COMPLETED && gantt->duration_ns >= 0)
        vline(g, gantt, "completed", gantt->duration_ns, "#b00000");
    sb_gv_time_axis(g, "axis", X0_PT, WIDTH_PT, y_of(gantt->rows_count - 1) - ROW_PT, 0, span,
                    true, 10);
    return g;
}
