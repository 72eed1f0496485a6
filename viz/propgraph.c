/* propgraph.c — see propgraph.h. */
#include "propgraph.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv.h"

/* ----------------------------------------------------------- extraction */

static const sb_ckstats_subtask_t *ack_of(const sb_ckstats_checkpoint_t *st, const char *task)
{
    for (int i = 0; st != NULL && i < st->subtasks_count; i++)
        if (strcmp(st->subtasks[i].task, task) == 0)
            return &st->subtasks[i];
    return NULL;
}

static void fill_node(sb_propgraph_node_t *n, const sb_runtrace_task_t *task,
                      const sb_runtrace_checkpoint_t *c, const sb_ckstats_checkpoint_t *st)
{
    *n = (sb_propgraph_node_t){ .snapshot_ns = -1, .ack_ns = -1, .alignment_ns = -1,
                                .state_bytes = -1 };
    snprintf(n->task, sizeof n->task, "%s", task->name);
    snprintf(n->kind, sizeof n->kind, "%s", task->kind);
    const sb_runtrace_snapshot_t *s = sb_runtrace_snapshot_of(c, task->name);
    if (s != NULL) {
        n->snapshot_ns = s->t_ns - c->trigger_ns;
        n->unaligned = s->unaligned;
    }
    const sb_ckstats_subtask_t *a = ack_of(st, task->name);
    if (a != NULL) {
        n->ack_ns = a->ack_ns;
        n->alignment_ns = a->alignment_ns;
        n->state_bytes = a->state_bytes;
        n->timed_out = a->timed_out;
        n->unaligned = n->unaligned || a->unaligned;
    }
}

/* The first arrival of the barrier on the channel (one per channel). */
static const sb_runtrace_barrier_t *barrier_on(const sb_runtrace_checkpoint_t *c,
                                               const char *receiver, int channel)
{
    for (int64_t i = 0; i < c->barriers_count; i++)
        if (c->barriers[i].channel == channel && strcmp(c->barriers[i].task, receiver) == 0)
            return &c->barriers[i];
    return NULL;
}

static void fill_edge(sb_propgraph_edge_t *e, const sb_runtrace_channel_t *ch,
                      const sb_runtrace_checkpoint_t *c, const sb_runtrace_incarnation_t *inc)
{
    *e = (sb_propgraph_edge_t){ .channel = ch->channel, .from = ch->from, .to = ch->to,
                                .arrival_ns = -1 };
    const sb_runtrace_barrier_t *b = barrier_on(c, inc->tasks[ch->to].name, ch->channel);
    if (b != NULL) {
        e->arrival_ns = b->t_ns - c->trigger_ns;
        e->unaligned = b->unaligned;
        e->queued_records = b->position > b->read && b->read >= 0 ? b->position - b->read : 0;
    }
    int64_t ranges[SB_RUNTRACE_CUT_RANGES_MAX][2];
    sb_cutclass_channel_t cut;
    sb_runtrace_channel_cut(c, inc, ch, ranges, &cut);
    e->cut_known = cut.sent >= 0 && cut.read >= 0;
    if (!e->cut_known)
        return;
    /* Every record the channel carried up to the later of the two cuts. */
    int64_t upto = cut.sent > cut.read ? cut.sent : cut.read;
    sb_cutclass_counts_t counts = { { 0 } };
    sb_cutclass_count(&cut, 1, upto, &counts);
    e->recorded_records = counts.n[SB_CUTCLASS_RECORDED];
    e->unrecorded_records = counts.n[SB_CUTCLASS_UNRECORDED];
    e->orphan_records = counts.n[SB_CUTCLASS_ORPHAN];
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The end of the slowest path: the latest ack, else the latest snapshot. */
static int slowest_end(const sb_propgraph_t *pg)
{
    int best = -1;
    for (int i = 0; i < pg->nodes_count; i++)
        if (pg->nodes[i].ack_ns >= 0 &&
            (best < 0 || pg->nodes[i].ack_ns > pg->nodes[best].ack_ns))
            best = i;
    if (best >= 0)
        return best;
    for (int i = 0; i < pg->nodes_count; i++)
        if (pg->nodes[i].snapshot_ns >= 0 &&
            (best < 0 || pg->nodes[i].snapshot_ns > pg->nodes[best].snapshot_ns))
            best = i;
    return best;
}

/* The input whose barrier the subtask waited for: the latest arrival no
 * later than its snapshot (aligned: the last barrier; unaligned: the
 * first), else the latest arrival at all; -1 when none arrived. */
static int waited_for(const sb_propgraph_t *pg, int node)
{
    int64_t snap = pg->nodes[node].snapshot_ns;
    int best = -1, best_any = -1;
    for (int i = 0; i < pg->edges_count; i++) {
        const sb_propgraph_edge_t *e = &pg->edges[i];
        if (e->to != node || e->arrival_ns < 0)
            continue;
        if (best_any < 0 || e->arrival_ns > pg->edges[best_any].arrival_ns)
            best_any = i;
        if ((snap < 0 || e->arrival_ns <= snap) &&
            (best < 0 || e->arrival_ns > pg->edges[best].arrival_ns))
            best = i;
    }
    return best >= 0 ? best : best_any;
}

static void mark_slowest_path(sb_propgraph_t *pg)
{
    pg->slowest_end = slowest_end(pg);
    int node = pg->slowest_end;
    /* The job graph is acyclic; the bound holds even if a trace said not. */
    for (int steps = 0; node >= 0 && steps <= pg->nodes_count; steps++) {
        pg->nodes[node].slowest_path = true;
        int e = waited_for(pg, node);
        if (e < 0 || pg->edges[e].slowest_path)
            break;
        pg->edges[e].slowest_path = true;
        node = pg->edges[e].from;
    }
}

int sb_propgraph_build(const sb_runtrace_t *rt, int64_t checkpoint, sb_propgraph_t *pg,
                       sb_err_t *err)
{
    memset(pg, 0, sizeof *pg);
    pg->slowest_end = -1;
    const sb_runtrace_checkpoint_t *c = sb_runtrace_checkpoint(rt, checkpoint);
    if (c == NULL || c->trigger_ns < 0)
        return sb_err_set(err, "checkpoint %" PRId64 " %s", checkpoint,
                          c == NULL ? "is not in the trace" : "was never triggered in the trace");
    const sb_runtrace_incarnation_t *inc = sb_runtrace_incarnation_of(rt, c);
    if (inc == NULL)
        return sb_err_set(err, "checkpoint %" PRId64 ": its worker wrote no job graph",
                          checkpoint);
    const sb_ckstats_checkpoint_t *st = sb_runtrace_stats(rt, checkpoint);
    pg->checkpoint = checkpoint;
    pg->status = st != NULL ? st->status : SB_CKSTATS_UNFINISHED;
    snprintf(pg->reason, sizeof pg->reason, "%s", st != NULL ? st->reason : "");
    pg->duration_ns = st != NULL ? st->duration_ns : -1;
    pg->attempt = inc->attempt;
    pg->unaligned_config = inc->unaligned;
    pg->nodes = calloc((size_t)inc->tasks_count + 1, sizeof *pg->nodes);
    pg->edges = calloc((size_t)inc->channels_count + 1, sizeof *pg->edges);
    if (pg->nodes == NULL || pg->edges == NULL)
        return sb_err_set(err, "out of memory for checkpoint %" PRId64 "'s graph", checkpoint);
    for (int i = 0; i < inc->tasks_count; i++) {
        fill_node(&pg->nodes[pg->nodes_count++], &inc->tasks[i], c, st);
        pg->slowest_ns = max64(pg->slowest_ns, pg->nodes[i].snapshot_ns);
    }
    for (int i = 0; i < inc->channels_count; i++) {
        fill_edge(&pg->edges[pg->edges_count++], &inc->channels[i], c, inc);
        pg->slowest_ns = max64(pg->slowest_ns, pg->edges[i].arrival_ns);
    }
    mark_slowest_path(pg);
    return 0;
}

void sb_propgraph_free(sb_propgraph_t *pg)
{
    free(pg->nodes);
    free(pg->edges);
    memset(pg, 0, sizeof *pg);
}

/* ------------------------------------------------------------ rendering */

#define LABEL_BYTES_MAX 2048
#define PENWIDTH_SLOWEST 4.0
#define PENWIDTH_NORMAL 1.2

static double fraction_of(const sb_propgraph_t *pg, int64_t ns)
{
    return pg->slowest_ns > 0 ? (double)ns / (double)pg->slowest_ns : 0;
}

static void node_label(const sb_propgraph_node_t *n, char *buf, size_t len)
{
    char name[96], snap[32], align[32], state[32];
    sb_gv_escape(n->task, name, sizeof name);
    int o = snprintf(buf, len, "<b>%s</b>", name);
    if (n->snapshot_ns >= 0) {
        sb_gv_fmt_ms(n->snapshot_ns, snap, sizeof snap);
        o += snprintf(buf + o, len - (size_t)o, "<br/>snapshot +%s", snap);
    } else {
        o += snprintf(buf + o, len - (size_t)o, "<br/>no snapshot");
    }
    if (n->alignment_ns >= 0) {
        sb_gv_fmt_ms(n->alignment_ns, align, sizeof align);
        sb_gv_fmt_bytes(n->state_bytes, state, sizeof state);
        o += snprintf(buf + o, len - (size_t)o, "<br/>align %s<br/>state %s", align, state);
    } else {
        o += snprintf(buf + o, len - (size_t)o, "<br/>no ack");
    }
    if (n->unaligned)
        snprintf(buf + o, len - (size_t)o, "<br/><i>unaligned%s</i>",
                 n->timed_out ? " (timed out)" : "");
}

static void add_node(Agraph_t *g, const sb_propgraph_t *pg, const sb_propgraph_node_t *n)
{
    Agnode_t *v = agnode(g, (char *)n->task, 1);
    char label[LABEL_BYTES_MAX], fill[16], line[16];
    node_label(n, label, sizeof label);
    sb_gv_set_html(v, "label", "%s", label);
    sb_gv_set(v, "shape", "box");
    if (n->snapshot_ns >= 0) {
        sb_gv_heat(fraction_of(pg, n->snapshot_ns), true, fill, sizeof fill);
        sb_gv_heat(fraction_of(pg, n->snapshot_ns), false, line, sizeof line);
    } else {
        snprintf(fill, sizeof fill, "#eeeeee");
        snprintf(line, sizeof line, "#999999");
    }
    sb_gv_set(v, "style", "filled,rounded%s", n->unaligned ? ",dashed" : "");
    sb_gv_set(v, "fillcolor", "%s", fill);
    sb_gv_set(v, "color", "%s", line);
    sb_gv_set(v, "penwidth", "%.1f", n->slowest_path ? PENWIDTH_SLOWEST : PENWIDTH_NORMAL);
    sb_gv_set(v, "tooltip", "%s: %s", n->task, n->kind);
}

static void edge_label(const sb_propgraph_edge_t *e, char *buf, size_t len)
{
    char at[32];
    int o = 0;
    if (e->arrival_ns >= 0) {
        sb_gv_fmt_ms(e->arrival_ns, at, sizeof at);
        o = snprintf(buf, len, "barrier +%s", at);
        if (e->queued_records > 0)
            o += snprintf(buf + o, len - (size_t)o, " (%" PRId64 " queued ahead)",
                          e->queued_records);
    } else {
        o = snprintf(buf, len, "no barrier");
    }
    if (!e->cut_known) {
        snprintf(buf + o, len - (size_t)o, "<br/>cut unknown");
        return;
    }
    o += snprintf(buf + o, len - (size_t)o, "<br/>channel state %" PRId64, e->recorded_records);
    if (e->unrecorded_records > 0)
        o += snprintf(buf + o, len - (size_t)o,
                      "<br/><font color=\"#cc0000\"><b>%" PRId64
                      " in flight, not recorded</b></font>",
                      e->unrecorded_records);
    if (e->orphan_records > 0)
        snprintf(buf + o, len - (size_t)o,
                 "<br/><font color=\"#cc0000\"><b>%" PRId64 " orphans</b></font>",
                 e->orphan_records);
}

static void add_edge(Agraph_t *g, const sb_propgraph_t *pg, const sb_propgraph_edge_t *e)
{
    Agnode_t *from = agnode(g, (char *)pg->nodes[e->from].task, 0);
    Agnode_t *to = agnode(g, (char *)pg->nodes[e->to].task, 0);
    assert(from != NULL && to != NULL);
    char name[32], label[LABEL_BYTES_MAX], color[16];
    snprintf(name, sizeof name, "ch%d", e->channel);
    Agedge_t *ed = agedge(g, from, to, name, 1);
    edge_label(e, label, sizeof label);
    sb_gv_set_html(ed, "label", "%s", label);
    sb_gv_set(ed, "id", "%s", name);
    if (e->arrival_ns >= 0)
        sb_gv_heat(fraction_of(pg, e->arrival_ns), false, color, sizeof color);
    else
        snprintf(color, sizeof color, "#999999");
    bool bad = e->unrecorded_records > 0 || e->orphan_records > 0;
    sb_gv_set(ed, "color", "%s", color);
    sb_gv_set(ed, "style", "%s", e->arrival_ns < 0 ? "dashed" : bad ? "bold" : "solid");
    sb_gv_set(ed, "penwidth", "%.1f", e->slowest_path ? PENWIDTH_SLOWEST : PENWIDTH_NORMAL);
    sb_gv_set(ed, "tooltip", "channel %d: %s -> %s", e->channel, pg->nodes[e->from].task,
              pg->nodes[e->to].task);
}

static void graph_label(Agraph_t *g, const sb_propgraph_t *pg)
{
    char took[32], top[32], status[SB_CKSTATS_REASON_BYTES_MAX + 64], reason[256];
    if (pg->status == SB_CKSTATS_COMPLETED) {
        sb_gv_fmt_ms(pg->duration_ns, took, sizeof took);
        snprintf(status, sizeof status, "completed in %s", took);
    } else {
        sb_gv_escape(pg->reason, reason, sizeof reason);
        snprintf(status, sizeof status, "%s%s%s", sb_ckstats_status_name(pg->status),
                 reason[0] != '\0' ? ": " : "", reason);
    }
    sb_gv_fmt_ms(pg->slowest_ns, top, sizeof top);
    const char *end = pg->slowest_end >= 0 ? pg->nodes[pg->slowest_end].task : "none";
    sb_gv_set_html(g, "label",
                   "<b>checkpoint %" PRId64 ": barrier propagation</b> (%s; %s job, worker "
                   "attempt %d)<br/>nodes: snapshot time after the trigger, alignment, state; "
                   "edges: barrier announcement (records still queued ahead of it), records captured "
                   "as channel state<br/>colour: delay "
                   "after the trigger, green (0) to red (%s); thick: the slowest path, to %s; "
                   "dashed border: unaligned snapshot",
                   pg->checkpoint, status, pg->unaligned_config ? "unaligned" : "aligned",
                   pg->attempt, top, end);
}

Agraph_t *sb_propgraph_graph(const sb_propgraph_t *pg)
{
    char name[64];
    snprintf(name, sizeof name, "chk_%" PRId64 "_graph", pg->checkpoint);
    Agraph_t *g = sb_gv_graph(name);
    sb_gv_set(g, "rankdir", "LR");
    sb_gv_set(g, "labelloc", "t");
    sb_gv_set(g, "nodesep", "0.3");
    sb_gv_set(g, "ranksep", "1.1");
    graph_label(g, pg);
    for (int i = 0; i < pg->nodes_count; i++)
        add_node(g, pg, &pg->nodes[i]);
    for (int i = 0; i < pg->edges_count; i++)
        add_edge(g, pg, &pg->edges[i]);
    return g;
}
