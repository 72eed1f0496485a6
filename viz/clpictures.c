/* clpictures.c — see clpictures.h. Positions are pinned (space-time) or
 * left to dot (the graph); the window and the even sampling are
 * spacetime.h's, the drawing primitives gv.h's. */
#include "clpictures.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv.h"
#include "spacetime.h"

#define X0_PT 70.0
#define WIDTH_PT 1000.0
#define LANE_PT 44.0
#define MARGIN 0.20
#define MARKER_COLOR "#6a3d9a"
#define CUT_COLOR "#e31a1c"
#define RECORDED_COLOR "#1f77b4"
#define WRONG_COLOR "#d62728"
#define PLAIN_COLOR "#9e9e9e"

static const char *const class_ids[SB_CLCLASS_COUNT_] = {
    [SB_CLCLASS_BEFORE] = "before", [SB_CLCLASS_AFTER] = "after",
    [SB_CLCLASS_RECORDED] = "recorded", [SB_CLCLASS_MISSED] = "missed",
    [SB_CLCLASS_ORPHAN] = "orphan", [SB_CLCLASS_EXTRA] = "extra",
};

/* A message of the snapshot's picture: channel ch, sent as number s. */
typedef struct pick {
    int ch;
    int64_t s;
    sb_clclass_t cls;
} pick_t;

static bool crosses(sb_clclass_t c)
{
    return c != SB_CLCLASS_BEFORE && c != SB_CLCLASS_AFTER;
}

/* Whether m is of snapshot k's generation: the others (before a rollback
 * it came after, or after one that discarded it) are not its messages. */
static bool of_snapshot(const sb_cltrace_t *t, int k, const sb_clmsg_t *m)
{
    return m->generation == t->snapshots[k].generation;
}

void sb_clpictures_count(const sb_cltrace_t *t, int k, int64_t counts[SB_CLCLASS_COUNT_])
{
    memset(counts, 0, SB_CLCLASS_COUNT_ * sizeof counts[0]);
    const sb_clsnapshot_t *snap = &t->snapshots[k];
    for (int ch = 0; ch < t->channels_count; ch++)
        for (int64_t i = 0; i < t->channels[ch].count; i++)
            if (of_snapshot(t, k, &t->channels[ch].msgs[i]))
                counts[sb_cltrace_class(&snap->cuts[ch], i + 1, &t->channels[ch].msgs[i])]++;
}

void sb_clpictures_table(FILE *f, const sb_cltrace_t *t, const int64_t *ids, int64_t n,
                         const char *prefix, const char *ext)
{
    fprintf(f, "<p>%" PRId64 " tokens in the system; channels %s.</p>\n<table><tr><th>snapshot"
            "<th>balances<th>channels<th>sum<th>recorded<th>missed<th>orphans<th>extra"
            "<th>pictures</tr>\n", t->total, t->fifo ? "FIFO" : "not FIFO");
    for (int64_t i = 0; i < n; i++) {
        const sb_clsnapshot_t *s = &t->snapshots[ids[i]];
        int64_t held = 0, chans = 0, c[SB_CLCLASS_COUNT_];
        for (int p = 0; p < t->processes; p++)
            held += s->record_ns[p] >= 0 ? s->balance[p] : 0;
        for (int ch = 0; ch < t->channels_count; ch++)
            chans += s->cuts[ch].messages > 0 ? s->cuts[ch].tokens : 0;
        sb_clpictures_count(t, (int)ids[i], c);
        fprintf(f, "<tr><td>%" PRId64 "<td>%" PRId64 "<td>%" PRId64 "<td%s>%" PRId64 "<td>%"
                PRId64 "<td>%" PRId64 "<td>%" PRId64 "<td>%" PRId64 "<td>"
                "<a href=\"%ssnap-%" PRId64 "-spacetime.%s\">space-time</a> "
                "<a href=\"%ssnap-%" PRId64 "-graph.%s\">markers</a></tr>\n", ids[i], held, chans,
                held + chans == t->total ? "" : " class=\"bad\"", held + chans,
                c[SB_CLCLASS_RECORDED], c[SB_CLCLASS_MISSED], c[SB_CLCLASS_ORPHAN],
                c[SB_CLCLASS_EXTRA], prefix, ids[i], ext, prefix, ids[i], ext);
    }
    fprintf(f, "</table>\n");
}

/* "completed", "abandoned", …, and after which rollback: for the labels. */
static const char *status(const sb_clsnapshot_t *snap, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s", snap->completed_ns >= 0 ? "completed"
                                     : snap->abandoned_ns >= 0 ? "abandoned at a crash"
                                                               : "not completed");
    if (snap->generation > 0 && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, ", after rollback %d", snap->generation);
    return buf;
}

/* ------------------------------------------------------------ window */

typedef struct frame {
    const sb_cltrace_t *t;
    int k;
    int64_t start_ns;          /* the snapshot's first record: "+0" */
    sb_spacetime_window_t w;
} frame_t;

static double x_of(const frame_t *f, int64_t ns)
{
    double span = (double)(f->w.to_ns - f->w.from_ns);
    return X0_PT + (span > 0 ? (double)(ns - f->w.from_ns) / span * WIDTH_PT : 0);
}

static double y_of(int process)
{
    return -process * LANE_PT;
}

static bool in_window(const frame_t *f, int64_t ns)
{
    return ns >= f->w.from_ns && ns <= f->w.to_ns;
}

/* The snapshot from its first record to its completion (or its last
 * marker), widened for the messages that cross its cut, within its
 * generation (a rollback on either side is at most the window's edge). */
static void frame_of(const sb_cltrace_t *t, int k, frame_t *f)
{
    const sb_clsnapshot_t *snap = &t->snapshots[k];
    int64_t start = INT64_MAX, end = -1, must_from = -1, must_to = -1;
    for (int p = 0; p < t->processes; p++)
        if (snap->record_ns[p] >= 0 && snap->record_ns[p] < start)
            start = snap->record_ns[p];
    for (int ch = 0; ch < t->channels_count; ch++) {
        const sb_clcut_t *cut = &snap->cuts[ch];
        if (cut->marker.recv_ns > end)
            end = cut->marker.recv_ns;
        for (int64_t i = 0; i < t->channels[ch].count; i++) {
            const sb_clmsg_t *m = &t->channels[ch].msgs[i];
            if (!of_snapshot(t, k, m) || !crosses(sb_cltrace_class(cut, i + 1, m)))
                continue;
            if (must_from < 0 || m->send_ns < must_from)
                must_from = m->send_ns;
            int64_t to = m->recv_ns >= 0 ? m->recv_ns : t->end_ns;
            if (to > must_to)
                must_to = to;
        }
    }
    if (start == INT64_MAX)
        start = 0;
    if (snap->completed_ns > end)
        end = snap->completed_ns;
    if (end < start)
        end = start;
    sb_spacetime_window_in_t in = {
        .trigger_ns = start, .end_ns = end, .margin = MARGIN, .must_from_ns = must_from,
        .must_to_ns = must_to, .context_from_ns = -1, .context_to_ns = -1,
        .inc_from_ns = snap->generation_from_ns,
        .inc_to_ns = snap->generation_to_ns >= 0 ? snap->generation_to_ns : t->end_ns,
    };
    *f = (frame_t){ .t = t, .k = k, .start_ns = start };
    sb_spacetime_window(&in, &f->w);
}

/* ------------------------------------------------------------ space-time */

static void draw_lanes(Agraph_t *g, const frame_t *f)
{
    char name[64];
    for (int p = 0; p < f->t->processes; p++) {
        snprintf(name, sizeof name, "lane_%d_l", p);
        Agnode_t *a = sb_gv_point(g, name, X0_PT, y_of(p));
        snprintf(name, sizeof name, "lane_%d_r", p);
        Agnode_t *b = sb_gv_point(g, name, X0_PT + WIDTH_PT, y_of(p));
        Agedge_t *e = sb_gv_edge(g, a, b);
        sb_gv_set(e, "dir", "none");
        sb_gv_set(e, "color", "#777777");
        Agnode_t *n = sb_gv_node(g, "lane_%d_name", p);
        sb_gv_set(n, "shape", "plaintext");
        sb_gv_set(n, "label", "P%d", p);
        sb_gv_pin(n, X0_PT - 30, y_of(p));
    }
}

/* The messages to draw: every crossing one, then the others in the window
 * sampled evenly up to the limit. Returns how many (picks malloc'd). */
static int64_t pick_messages(const frame_t *f, int64_t arrows_max, pick_t **out,
                             int64_t *in_window_out)
{
    const sb_cltrace_t *t = f->t;
    int64_t cap = 0;
    for (int ch = 0; ch < t->channels_count; ch++)
        cap += t->channels[ch].count;
    pick_t *all = malloc((size_t)(cap > 0 ? cap : 1) * sizeof *all);
    *out = all;
    if (all == NULL)
        return 0;
    int64_t n = 0, crossing = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int ch = 0; ch < t->channels_count; ch++)
            for (int64_t i = 0; i < t->channels[ch].count; i++) {
                const sb_clmsg_t *m = &t->channels[ch].msgs[i];
                if (!of_snapshot(t, f->k, m))
                    continue;
                sb_clclass_t c = sb_cltrace_class(&f->t->snapshots[f->k].cuts[ch], i + 1, m);
                bool wanted = pass == 0 ? crosses(c)
                                        : !crosses(c) && in_window(f, m->send_ns) &&
                                              m->recv_ns >= 0 && in_window(f, m->recv_ns);
                if (wanted)
                    all[n++] = (pick_t){ .ch = ch, .s = i + 1, .cls = c };
            }
        /* crossing ones come first */
    for (int64_t i = 0; i < n && crosses(all[i].cls); i++)
        crossing++;
    *in_window_out = n;
    int64_t room = arrows_max > crossing ? arrows_max - crossing : 0;
    int64_t rest = n - crossing, kept = crossing;
    for (int64_t i = 0; i < rest; i++)
        if (sb_spacetime_keep(i, rest, room))
            all[kept++] = all[crossing + i];
    return kept;
}

static void style_message(Agedge_t *e, sb_clclass_t c)
{
    bool wrong = sb_clclass_wrong(c);
    sb_gv_set(e, "color", "%s", wrong ? WRONG_COLOR
                                : c == SB_CLCLASS_RECORDED ? RECORDED_COLOR : PLAIN_COLOR);
    sb_gv_set(e, "penwidth", "%s", wrong ? "3" : c == SB_CLCLASS_RECORDED ? "2" : "0.7");
    sb_gv_set(e, "arrowsize", "0.5");
}

static int64_t draw_messages(Agraph_t *g, const frame_t *f, int64_t arrows_max,
                             int64_t *in_window_out)
{
    pick_t *picks = NULL;
    int64_t n = pick_messages(f, arrows_max, &picks, in_window_out);
    char name[64], at[32];
    for (int64_t i = 0; i < n; i++) {
        const sb_clchannel_t *c = &f->t->channels[picks[i].ch];
        const sb_clmsg_t *m = &c->msgs[picks[i].s - 1];
        int64_t recv = m->recv_ns >= 0 ? m->recv_ns : f->w.to_ns;
        snprintf(name, sizeof name, "m%" PRId64 "s", i);
        Agnode_t *a = sb_gv_point(g, name, x_of(f, m->send_ns), y_of(c->from));
        snprintf(name, sizeof name, "m%" PRId64 "r", i);
        Agnode_t *b = sb_gv_point(g, name, x_of(f, recv), y_of(c->to));
        Agedge_t *e = sb_gv_edge(g, a, b);
        sb_gv_set(e, "id", "msg%" PRId64 "_%s", i, class_ids[picks[i].cls]);
        style_message(e, picks[i].cls);
        if (m->recv_ns < 0)
            sb_gv_set(e, "style", "dashed");
        sb_gv_fmt_ms(m->send_ns - f->start_ns, at, sizeof at);
        sb_gv_set(e, "tooltip", "P%d→P%d message %" PRId64 ", %" PRId64 " tokens, %s %s; %s",
                  c->from, c->to, picks[i].s, m->tokens,
                  m->replayed ? "put back in flight by the rollback" : "sent", at,
                  sb_clclass_name(picks[i].cls));
    }
    free(picks);
    return n;
}

static void draw_cut_and_markers(Agraph_t *g, const frame_t *f)
{
    const sb_clsnapshot_t *snap = &f->t->snapshots[f->k];
    Agnode_t *points[SB_CLTRACE_PROCESSES_MAX] = { 0 }, *prev = NULL;
    char at[32];
    for (int p = 0; p < f->t->processes; p++) {
        if (snap->record_ns[p] < 0)
            continue;
        Agnode_t *n = sb_gv_node(g, "rec_%d", p);
        sb_gv_set(n, "shape", "%s", snap->initiator[p] ? "diamond" : "circle");
        sb_gv_set(n, "style", "filled");
        sb_gv_set(n, "fillcolor", CUT_COLOR);
        sb_gv_set(n, "color", CUT_COLOR);
        sb_gv_set(n, "fixedsize", "true");
        sb_gv_set(n, "width", "%s", snap->initiator[p] ? "0.18" : "0.12");
        sb_gv_set(n, "label", "%s", "");
        sb_gv_set(n, "xlabel", "%" PRId64, snap->balance[p]);
        sb_gv_fmt_ms(snap->record_ns[p] - f->start_ns, at, sizeof at);
        sb_gv_set(n, "tooltip", "P%d records its balance, %" PRId64 " tokens, at +%s%s", p,
                  snap->balance[p], at, snap->initiator[p] ? " (initiator)" : "");
        sb_gv_pin(n, x_of(f, snap->record_ns[p]), y_of(p));
        if (prev != NULL) {
            Agedge_t *e = sb_gv_edge(g, prev, n);
            sb_gv_set(e, "dir", "none");
            sb_gv_set(e, "style", "dashed");
            sb_gv_set(e, "color", CUT_COLOR);
            sb_gv_set(e, "penwidth", "2");
        }
        points[p] = prev = n;
    }
    char name[64];
    for (int ch = 0; ch < f->t->channels_count; ch++) {
        const sb_clchannel_t *c = &f->t->channels[ch];
        const sb_clmarker_t *mk = &snap->cuts[ch].marker;
        if (mk->send_ns < 0 || points[c->from] == NULL)
            continue;
        int64_t recv = mk->recv_ns >= 0 ? mk->recv_ns : f->w.to_ns;
        snprintf(name, sizeof name, "marker_%d_r", ch);
        Agedge_t *e = sb_gv_edge(g, points[c->from], sb_gv_point(g, name, x_of(f, recv),
                                                                  y_of(c->to)));
        sb_gv_set(e, "id", "marker%d", ch);
        sb_gv_set(e, "color", MARKER_COLOR);
        sb_gv_set(e, "style", "dashed");
        sb_gv_set(e, "penwidth", "1.6");
        sb_gv_set(e, "arrowhead", "empty");
        sb_gv_set(e, "tooltip", "marker %d on P%d→P%d", f->k, c->from, c->to);
    }
}

/* Events of other kinds in the window: a cross (a crash red, the rollback
 * that restores the snapshot's state blue). */
static void draw_marks(Agraph_t *g, const frame_t *f)
{
    for (int i = 0; i < f->t->marks_count; i++) {
        const sb_clmark_t *m = &f->t->marks[i];
        if (!in_window(f, m->ns))
            continue;
        for (int p = 0; p < f->t->processes; p++) {
            if (m->process >= 0 && m->process != p)
                continue;
            Agnode_t *n = sb_gv_node(g, "mark_%d_%d", i, p);
            sb_gv_set(n, "shape", "Mcircle");
            sb_gv_set(n, "fixedsize", "true");
            sb_gv_set(n, "width", "0.16");
            sb_gv_set(n, "label", "%s", "");
            sb_gv_set(n, "xlabel", "%s", m->event);
            if (strcmp(m->event, "cl_crash") == 0 || strcmp(m->event, "cl_restore") == 0) {
                sb_gv_set(n, "style", "filled");
                sb_gv_set(n, "fillcolor", "%s", m->event[3] == 'c' ? WRONG_COLOR
                                                                   : RECORDED_COLOR);
            }
            sb_gv_set(n, "tooltip", "%s on P%d", m->event, p);
            sb_gv_pin(n, x_of(f, m->ns), y_of(p));
        }
    }
}

static void spacetime_label(Agraph_t *g, const frame_t *f, int64_t drawn, int64_t in_window)
{
    const sb_cltrace_t *t = f->t;
    const sb_clsnapshot_t *snap = &t->snapshots[f->k];
    int64_t counts[SB_CLCLASS_COUNT_], held = 0, in_channels = 0;
    sb_clpictures_count(t, f->k, counts);
    for (int p = 0; p < t->processes; p++)
        held += snap->record_ns[p] >= 0 ? snap->balance[p] : 0;
    for (int ch = 0; ch < t->channels_count; ch++)
        in_channels += snap->cuts[ch].messages > 0 ? snap->cuts[ch].tokens : 0;
    char note[512];
    if (!t->records_traced)
        snprintf(note, sizeof note, "no token messages in the trace (trace: records shows them)");
    else
        snprintf(note, sizeof note, "%" PRId64 " recorded as channel state, %" PRId64
                 " in flight not recorded, %" PRId64 " orphans, %" PRId64 " recorded though sent "
                 "after the cut; %" PRId64 " of %" PRId64 " messages in the window drawn",
                 counts[SB_CLCLASS_RECORDED], counts[SB_CLCLASS_MISSED],
                 counts[SB_CLCLASS_ORPHAN], counts[SB_CLCLASS_EXTRA], drawn, in_window);
    char text[1024], st[64];
    snprintf(text, sizeof text, "<b>snapshot %d: space-time diagram</b> (%s%s); time after its "
             "first record<br/>balances %" PRId64 " + channels %" PRId64 " = %" PRId64
             " of %" PRId64 " tokens%s<br/>%s", f->k,
             status(snap, st, sizeof st), t->fifo ? "" : ", channels not FIFO", held, in_channels, held + in_channels,
             t->total, held + in_channels == t->total ? "" : " <b>(not conserved)</b>", note);
    char legend[768];
    snprintf(legend, sizeof legend,
             "<table border=\"0\" cellspacing=\"3\"><tr>"
             "<td><font color=\"%s\">&#9679; record (&#9670; initiator), balance</font></td>"
             "<td><font color=\"%s\">- - cut</font></td>"
             "<td><font color=\"%s\">- -&#9655; marker</font></td>"
             "<td><font color=\"%s\">&#8594; tokens</font></td>"
             "<td><font color=\"%s\">&#8594; channel state</font></td>"
             "<td><font color=\"%s\"><b>&#8594; crosses the cut unrecorded / orphan</b></font>"
             "</td></tr></table>", CUT_COLOR, CUT_COLOR, MARKER_COLOR, PLAIN_COLOR,
             RECORDED_COLOR, WRONG_COLOR);
    sb_gv_set_titled_legend(g, text, legend);
}

Agraph_t *sb_clpictures_spacetime(const sb_cltrace_t *t, int k, int64_t arrows_max)
{
    frame_t f;
    frame_of(t, k, &f);
    char name[64];
    snprintf(name, sizeof name, "snap_%d_spacetime", k);
    Agraph_t *g = sb_gv_graph(name);
    sb_gv_set(g, "labelloc", "t");
    draw_lanes(g, &f);
    int64_t in_window = 0;
    int64_t drawn = draw_messages(g, &f, arrows_max > 0 ? arrows_max : SB_CLPICTURES_ARROWS_MAX,
                                  &in_window);
    draw_cut_and_markers(g, &f);
    draw_marks(g, &f);
    if (f.w.to_ns > f.w.from_ns)
        sb_gv_time_axis(g, "axis", X0_PT, WIDTH_PT, y_of(t->processes - 1) - LANE_PT * 0.6,
                        f.w.from_ns - f.start_ns, f.w.to_ns - f.start_ns, true, 8);
    spacetime_label(g, &f, drawn, in_window);
    return g;
}

/* ------------------------------------------------------------ graph */

Agraph_t *sb_clpictures_graph(const sb_cltrace_t *t, int k)
{
    const sb_clsnapshot_t *snap = &t->snapshots[k];
    frame_t f;
    frame_of(t, k, &f);
    int64_t slowest = 1;
    for (int ch = 0; ch < t->channels_count; ch++)
        if (snap->cuts[ch].marker.recv_ns - f.start_ns > slowest)
            slowest = snap->cuts[ch].marker.recv_ns - f.start_ns;
    char name[64], at[32], color[16], st[64];
    snprintf(name, sizeof name, "snap_%d_graph", k);
    Agraph_t *g = sb_gv_graph(name);
    sb_gv_set(g, "rankdir", "LR");
    for (int p = 0; p < t->processes; p++) {
        Agnode_t *n = sb_gv_node(g, "P%d", p);
        sb_gv_set(n, "shape", "%s", snap->initiator[p] ? "doublecircle" : "circle");
        if (snap->record_ns[p] < 0) {
            sb_gv_set_html(n, "label", "P%d<br/><font point-size=\"9\">no record</font>", p);
            continue;
        }
        sb_gv_fmt_ms(snap->record_ns[p] - f.start_ns, at, sizeof at);
        sb_gv_set_html(n, "label", "<b>P%d</b><br/><font point-size=\"9\">+%s<br/>%" PRId64
                       " tokens</font>", p, at, snap->balance[p]);
    }
    for (int ch = 0; ch < t->channels_count; ch++) {
        const sb_clchannel_t *c = &t->channels[ch];
        const sb_clcut_t *cut = &snap->cuts[ch];
        int64_t wrong = 0;
        for (int64_t i = 0; i < c->count; i++)
            wrong += of_snapshot(t, k, &c->msgs[i]) &&
                     sb_clclass_wrong(sb_cltrace_class(cut, i + 1, &c->msgs[i]));
        Agedge_t *e = sb_gv_edge(g, sb_gv_node(g, "P%d", c->from), sb_gv_node(g, "P%d", c->to));
        sb_gv_set(e, "id", "ch%d", ch);
        if (cut->marker.recv_ns >= 0) {
            sb_gv_heat((double)(cut->marker.recv_ns - f.start_ns) / (double)slowest, false,
                       color, sizeof color);
            sb_gv_fmt_ms(cut->marker.recv_ns - f.start_ns, at, sizeof at);
        } else {
            snprintf(color, sizeof color, "#999999");
            snprintf(at, sizeof at, "never");
        }
        sb_gv_set(e, "color", "%s", wrong > 0 ? WRONG_COLOR : color);
        sb_gv_set(e, "penwidth", "%s", wrong > 0 ? "3.5" : "2");
        sb_gv_set_html(e, "label", "<font point-size=\"9\">marker +%s<br/>%" PRId64 " msgs, %"
                       PRId64 " tokens%s</font>", at, cut->messages > 0 ? cut->messages : 0,
                       cut->messages > 0 ? cut->tokens : 0, wrong > 0 ? "<br/><b>wrong</b>" : "");
    }
    sb_gv_set_html(g, "label", "<b>snapshot %d: marker propagation</b> (%s); marker arrival "
                   "after the first record, green early to red late; red bold: a message "
                   "crossed the cut unrecorded or as an orphan", k, status(snap, st, sizeof st));
    sb_gv_set(g, "labelloc", "t");
    return g;
}
