/* spacetime.c — see spacetime.h.
 *
 * Batches are classified by position (cutclass.h), never by time: a
 * record's place relative to the cut is exact, while send and receive
 * times come from different threads' buffered lines. Times only place the
 * arrows. */
#include "spacetime.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gv.h"

#define WINDOW_MIN_NS 1000000LL /* 1 ms */

void sb_spacetime_limits_default(sb_spacetime_limits_t *l)
{
    l->arrows_max = SB_SPACETIME_ARROWS_MAX;
    l->margin = SB_SPACETIME_MARGIN;
    l->context_batches = SB_SPACETIME_CONTEXT_BATCHES;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t clip(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void sb_spacetime_window(const sb_spacetime_window_in_t *in, sb_spacetime_window_t *out)
{
    assert(in->end_ns >= in->trigger_ns && in->margin >= 0);
    int64_t pad = (int64_t)((double)(in->end_ns - in->trigger_ns) * in->margin);
    int64_t from = in->trigger_ns - pad, to = in->end_ns + pad;
    if (to - from < WINDOW_MIN_NS) {
        int64_t grow = (WINDOW_MIN_NS - (to - from) + 1) / 2;
        from -= grow;
        to += grow;
    }
    bool inc = in->inc_from_ns >= 0 && in->inc_to_ns >= in->inc_from_ns;
    /* An incarnation cut short still keeps the checkpoint itself in view. */
    int64_t lo = inc ? min64(in->inc_from_ns, in->trigger_ns) : INT64_MIN;
    int64_t hi = inc ? max64(in->inc_to_ns, in->end_ns) : INT64_MAX;
    out->core_from_ns = clip(from, lo, hi);
    out->core_to_ns = clip(to, lo, hi);
    int64_t wfrom = out->core_from_ns, wto = out->core_to_ns;
    if (in->must_from_ns >= 0)
        wfrom = min64(wfrom, in->must_from_ns);
    if (in->context_from_ns >= 0)
        wfrom = min64(wfrom, in->context_from_ns);
    if (in->must_to_ns >= 0)
        wto = max64(wto, in->must_to_ns);
    if (in->context_to_ns >= 0)
        wto = max64(wto, in->context_to_ns);
    out->from_ns = clip(wfrom, lo, out->core_from_ns);
    out->to_ns = clip(wto, out->core_to_ns, hi);
}

bool sb_spacetime_keep(int64_t i, int64_t n, int64_t keep)
{
    assert(i >= 0 && i < n);
    if (keep >= n)
        return true;
    if (keep <= 0)
        return false;
    /* Item i is kept when floor(i * keep / n) steps up at it. */
    return (i + 1) * keep / n > i * keep / n;
}

/* ----------------------------------------------------------- extraction */

static int64_t checkpoint_end(const sb_runtrace_checkpoint_t *c, const sb_ckstats_checkpoint_t *s)
{
    int64_t end = c->trigger_ns;
    for (int i = 0; s != NULL && i < s->subtasks_count; i++)
        if (s->subtasks[i].ack_ns >= 0)
            end = max64(end, c->trigger_ns + s->subtasks[i].ack_ns);
    if (s != NULL && s->duration_ns >= 0)
        end = max64(end, c->trigger_ns + s->duration_ns);
    for (int64_t i = 0; i < c->snapshots_count; i++)
        end = max64(end, c->snapshots[i].t_ns);
    return end;
}

/* A subtask is blocked (aligning) from its alignment_started to the
 * alignment's end (ended, timed out or abandoned). A start without an end
 * (the snapshot-on-first-barrier mutant never aligns) draws nothing. */
static void blocked_interval(const sb_runtrace_checkpoint_t *c, sb_spacetime_lane_t *lane)
{
    lane->blocked_from_ns = -1;
    lane->blocked_to_ns = -1;
    int64_t started = -1, ended = -1;
    for (int64_t i = 0; i < c->aligns_count; i++) {
        const sb_runtrace_align_t *a = &c->aligns[i];
        if (strcmp(a->task, lane->name) != 0)
            continue;
        if (a->kind == SB_RUNTRACE_ALIGN_STARTED && started < 0)
            started = a->t_ns;
        else if (a->kind != SB_RUNTRACE_ALIGN_STARTED && ended < 0)
            ended = a->t_ns;
    }
    if (started >= 0 && ended > started) {
        lane->blocked_from_ns = started;
        lane->blocked_to_ns = ended;
    }
}

static int build_lanes(sb_spacetime_t *st, const sb_runtrace_checkpoint_t *c,
                       const sb_runtrace_incarnation_t *inc, sb_err_t *err)
{
    st->lanes = calloc((size_t)inc->tasks_count + 1, sizeof *st->lanes);
    if (st->lanes == NULL)
        return sb_err_set(err, "out of memory for checkpoint %" PRId64 "'s lanes", c->id);
    sb_spacetime_lane_t *coord = &st->lanes[st->lanes_count++];
    snprintf(coord->name, sizeof coord->name, "coordinator");
    coord->snapshot_ns = -1;
    coord->blocked_from_ns = coord->blocked_to_ns = -1;
    for (int i = 0; i < inc->tasks_count; i++) {
        sb_spacetime_lane_t *lane = &st->lanes[st->lanes_count++];
        snprintf(lane->name, sizeof lane->name, "%s", inc->tasks[i].name);
        const sb_runtrace_snapshot_t *s = sb_runtrace_snapshot_of(c, lane->name);
        lane->snapshot_ns = s != NULL ? s->t_ns : -1;
        lane->unaligned = s != NULL && s->unaligned;
        blocked_interval(c, lane);
    }
    return 0;
}

static const sb_runtrace_barrier_t *barrier_on(const sb_runtrace_checkpoint_t *c,
                                               const char *receiver, int channel)
{
    for (int64_t i = 0; i < c->barriers_count; i++)
        if (c->barriers[i].channel == channel && strcmp(c->barriers[i].task, receiver) == 0)
            return &c->barriers[i];
    return NULL;
}

/* Triggers to the sources (tasks without inputs), then one announcement per
 * channel whose sender snapshotted and whose receiver got the barrier. */
static int build_barriers(sb_spacetime_t *st, const sb_runtrace_checkpoint_t *c,
                          const sb_runtrace_incarnation_t *inc, sb_err_t *err)
{
    st->barriers = calloc((size_t)inc->tasks_count + (size_t)inc->channels_count + 1,
                          sizeof *st->barriers);
    if (st->barriers == NULL)
        return sb_err_set(err, "out of memory for checkpoint %" PRId64 "'s barriers", c->id);
    for (int t = 0; t < inc->tasks_count; t++) {
        bool has_input = false;
        for (int i = 0; i < inc->channels_count; i++)
            has_input = has_input || inc->channels[i].to == t;
        const sb_spacetime_lane_t *lane = &st->lanes[t + 1];
        if (has_input || lane->snapshot_ns < 0)
            continue;
        st->barriers[st->barriers_count++] = (sb_spacetime_arrow_t){
            .from_lane = SB_SPACETIME_COORDINATOR, .to_lane = t + 1,
            .from_ns = c->trigger_ns, .to_ns = lane->snapshot_ns, .channel = -1,
        };
    }
    for (int i = 0; i < inc->channels_count; i++) {
        const sb_runtrace_channel_t *ch = &inc->channels[i];
        const sb_spacetime_lane_t *sender = &st->lanes[ch->from + 1];
        const sb_runtrace_barrier_t *b = barrier_on(c, inc->tasks[ch->to].name, ch->channel);
        if (sender->snapshot_ns < 0 || b == NULL)
            continue;
        st->barriers[st->barriers_count++] = (sb_spacetime_arrow_t){
            .from_lane = ch->from + 1, .to_lane = ch->to + 1,
            .from_ns = sender->snapshot_ns, .to_ns = b->t_ns, .channel = ch->channel,
            .first = b->position, .cls = SB_CUTCLASS_UNKNOWN,
        };
    }
    return 0;
}

static bool crosses(sb_cutclass_t cls)
{
    return cls == SB_CUTCLASS_RECORDED || cls == SB_CUTCLASS_UNRECORDED ||
           cls == SB_CUTCLASS_ORPHAN;
}

/* Every batch of the incarnation classified, counted, and the extent of
 * the ones that cross the cut. */
typedef struct classified {
    sb_cutclass_t *cls;           /* per batch of the incarnation */
    int64_t must_from_ns, must_to_ns;
} classified_t;

static int classify_batches(sb_spacetime_t *st, const sb_runtrace_checkpoint_t *c,
                            const sb_runtrace_incarnation_t *inc, classified_t *out,
                            sb_err_t *err)
{
    out->must_from_ns = out->must_to_ns = -1;
    out->cls = calloc((size_t)inc->batches_count + 1, sizeof *out->cls);
    sb_cutclass_channel_t *cuts = calloc((size_t)inc->channels_count + 1, sizeof *cuts);
    int64_t(*ranges)[SB_RUNTRACE_CUT_RANGES_MAX][2] =
        calloc((size_t)inc->channels_count + 1, sizeof *ranges);
    if (out->cls == NULL || cuts == NULL || ranges == NULL) {
        free(cuts);
        free(ranges);
        return sb_err_set(err, "out of memory classifying checkpoint %" PRId64 "'s batches",
                          c->id);
    }
    for (int i = 0; i < inc->channels_count; i++)
        sb_runtrace_channel_cut(c, inc, &inc->channels[i], ranges[i], &cuts[i]);
    for (int64_t i = 0; i < inc->batches_count; i++) {
        const sb_runtrace_batch_t *b = &inc->batches[i];
        const sb_runtrace_channel_t *ch = sb_runtrace_channel(inc, b->channel);
        sb_cutclass_counts_t counts = { { 0 } };
        if (ch != NULL && b->first >= 0)
            sb_cutclass_count(&cuts[ch - inc->channels], b->first, b->count, &counts);
        else
            counts.n[SB_CUTCLASS_UNKNOWN] = b->count;
        for (int k = 0; k < SB_CUTCLASS_COUNT_; k++)
            st->records.n[k] += counts.n[k];
        out->cls[i] = sb_cutclass_of(&counts);
        if (!crosses(out->cls[i]) || b->send_ns < 0 || b->recv_ns < 0)
            continue;
        out->must_from_ns = out->must_from_ns < 0 ? b->send_ns : min64(out->must_from_ns, b->send_ns);
        out->must_to_ns = max64(out->must_to_ns, b->recv_ns);
    }
    free(cuts);
    free(ranges);
    return 0;
}

/* The send time of the k-th whole batch sent before the core, and the
 * receive time of the k-th received after it (-1: fewer, or k = 0). */
static void context_bounds(const sb_runtrace_incarnation_t *inc, const sb_spacetime_window_t *w,
                           int64_t k, int64_t *from_out, int64_t *to_out)
{
    *from_out = *to_out = -1;
    int64_t before = 0, after = 0;
    /* Batches are sorted by send time: walk back from the core for the
     * first bound; receive times are not sorted, so scan for the second. */
    for (int64_t i = inc->batches_count - 1; i >= 0 && k > 0 && before < k; i--) {
        const sb_runtrace_batch_t *b = &inc->batches[i];
        if (b->send_ns < 0 || b->recv_ns < 0 || b->send_ns >= w->core_from_ns)
            continue;
        *from_out = b->send_ns;
        before++;
    }
    int64_t *recvs = k > 0 ? calloc((size_t)k, sizeof *recvs) : NULL;
    if (recvs == NULL)
        return; /* no context is a smaller picture, not a wrong one */
    /* The k earliest receives after the core, kept sorted in recvs. */
    for (int64_t i = 0; i < inc->batches_count; i++) {
        const sb_runtrace_batch_t *b = &inc->batches[i];
        if (b->send_ns < 0 || b->recv_ns <= w->core_to_ns)
            continue;
        if (after == k && b->recv_ns >= recvs[k - 1])
            continue;
        int64_t j = after < k ? after++ : k - 1;
        while (j > 0 && recvs[j - 1] > b->recv_ns) {
            recvs[j] = recvs[j - 1];
            j--;
        }
        recvs[j] = b->recv_ns;
    }
    if (after > 0)
        *to_out = recvs[after - 1];
    free(recvs);
}

static bool in_window(const sb_spacetime_t *st, const sb_runtrace_batch_t *b)
{
    return b->send_ns >= st->window.from_ns && b->recv_ns <= st->window.to_ns;
}

static sb_spacetime_arrow_t batch_arrow(const sb_runtrace_incarnation_t *inc,
                                        const sb_runtrace_batch_t *b, sb_cutclass_t cls)
{
    const sb_runtrace_channel_t *ch = sb_runtrace_channel(inc, b->channel);
    assert(ch != NULL);
    return (sb_spacetime_arrow_t){
        .from_lane = ch->from + 1, .to_lane = ch->to + 1, .from_ns = b->send_ns,
        .to_ns = b->recv_ns, .channel = b->channel, .first = b->first, .count = b->count,
        .cls = cls,
    };
}

/* The batches to draw: whole ones inside the window; crossing ones first,
 * then the others sampled evenly up to the limit; kept in time order. */
static int select_batches(sb_spacetime_t *st, const sb_runtrace_incarnation_t *inc,
                          const sb_cutclass_t *cls, int64_t arrows_max, sb_err_t *err)
{
    int64_t crossing = 0, normal = 0;
    for (int64_t i = 0; i < inc->batches_count; i++) {
        const sb_runtrace_batch_t *b = &inc->batches[i];
        if (b->send_ns < 0 || b->recv_ns < 0) {
            st->batches_half++;
            continue;
        }
        if (sb_runtrace_channel(inc, b->channel) == NULL || !in_window(st, b))
            continue;
        st->batches_in_window++;
        crosses(cls[i]) ? crossing++ : normal++;
    }
    int64_t keep_crossing = min64(crossing, arrows_max);
    int64_t keep_normal = min64(normal, arrows_max - keep_crossing);
    st->batches = calloc((size_t)(keep_crossing + keep_normal) + 1, sizeof *st->batches);
    if (st->batches == NULL)
        return sb_err_set(err, "out of memory for %" PRId64 " batch arrows",
                          keep_crossing + keep_normal);
    int64_t seen_crossing = 0, seen_normal = 0;
    for (int64_t i = 0; i < inc->batches_count; i++) {
        const sb_runtrace_batch_t *b = &inc->batches[i];
        if (b->send_ns < 0 || b->recv_ns < 0 || sb_runtrace_channel(inc, b->channel) == NULL ||
            !in_window(st, b))
            continue;
        bool keep = crosses(cls[i]) ? sb_spacetime_keep(seen_crossing++, crossing, keep_crossing)
                                    : sb_spacetime_keep(seen_normal++, normal, keep_normal);
        if (keep)
            st->batches[st->batches_count++] = batch_arrow(inc, b, cls[i]);
    }
    assert(st->batches_count == keep_crossing + keep_normal);
    return 0;
}

int sb_spacetime_build(const sb_runtrace_t *rt, int64_t checkpoint,
                       const sb_spacetime_limits_t *limits, sb_spacetime_t *st, sb_err_t *err)
{
    memset(st, 0, sizeof *st);
    const sb_runtrace_checkpoint_t *c = sb_runtrace_checkpoint(rt, checkpoint);
    if (c == NULL || c->trigger_ns < 0)
        return sb_err_set(err, "checkpoint %" PRId64 " %s", checkpoint,
                          c == NULL ? "is not in the trace" : "was never triggered in the trace");
    const sb_runtrace_incarnation_t *inc = sb_runtrace_incarnation_of(rt, c);
    if (inc == NULL)
        return sb_err_set(err, "checkpoint %" PRId64 ": its worker wrote no job graph",
                          checkpoint);
    const sb_ckstats_checkpoint_t *s = sb_runtrace_stats(rt, checkpoint);
    st->checkpoint = checkpoint;
    st->status = s != NULL ? s->status : SB_CKSTATS_UNFINISHED;
    st->attempt = inc->attempt;
    st->trigger_ns = c->trigger_ns;
    st->end_ns = checkpoint_end(c, s);
    st->records_traced = inc->batches_count > 0;
    if (build_lanes(st, c, inc, err) != 0 || build_barriers(st, c, inc, err) != 0)
        return -1;
    classified_t cl;
    if (classify_batches(st, c, inc, &cl, err) != 0) {
        free(cl.cls);
        return -1;
    }
    sb_spacetime_window_in_t win = {
        .trigger_ns = st->trigger_ns, .end_ns = st->end_ns, .margin = limits->margin,
        .must_from_ns = cl.must_from_ns, .must_to_ns = cl.must_to_ns,
        .context_from_ns = -1, .context_to_ns = -1,
        .inc_from_ns = inc->start_ns, .inc_to_ns = inc->end_ns,
    };
    /* The context is counted around the core, so the core comes first. */
    sb_spacetime_window(&win, &st->window);
    context_bounds(inc, &st->window, limits->context_batches, &win.context_from_ns,
                   &win.context_to_ns);
    sb_spacetime_window(&win, &st->window);
    int rc = select_batches(st, inc, cl.cls, limits->arrows_max, err);
    free(cl.cls);
    return rc;
}

void sb_spacetime_free(sb_spacetime_t *st)
{
    free(st->lanes);
    free(st->barriers);
    free(st->batches);
    memset(st, 0, sizeof *st);
}

/* ------------------------------------------------------------ rendering */

#define X0_PT 110.0    /* time starts here; lane names to the left */
#define WIDTH_PT 1000.0
#define LANE_PT 44.0

typedef struct style {
    const char *id;    /* in element ids */
    const char *color;
    double penwidth;
    const char *extra; /* more style */
} style_t;

static const style_t class_styles[SB_CUTCLASS_COUNT_] = {
    [SB_CUTCLASS_UNKNOWN] = { "unknown", "#cccccc", 0.6, "dotted" },
    [SB_CUTCLASS_BEFORE] = { "before", "#9e9e9e", 0.7, "solid" },
    [SB_CUTCLASS_AFTER] = { "after", "#9e9e9e", 0.7, "solid" },
    [SB_CUTCLASS_RECORDED] = { "recorded", "#1f77b4", 1.8, "solid" },
    [SB_CUTCLASS_UNRECORDED] = { "unrecorded", "#ff7f0e", 2.2, "solid" },
    [SB_CUTCLASS_ORPHAN] = { "orphan", "#d62728", 3.0, "solid" },
};

#define BARRIER_COLOR "#6a3d9a"
#define CUT_COLOR "#e31a1c"

#define CONTEXT_SHARE 0.18 /* of the width, for each side's context */

/* x of the window's four bounds: from, core_from, core_to, to. A context
 * side is drawn at the core's scale when that fits in CONTEXT_SHARE of the
 * width, else compressed into it: of the four cases (each side at scale or
 * compressed) the one that is consistent is taken, the most linear first. */
static void bounds_x(const sb_spacetime_t *st, double xs[4])
{
    const sb_spacetime_window_t *w = &st->window;
    double left_ns = (double)(w->core_from_ns - w->from_ns);
    double core_ns = (double)(w->core_to_ns - w->core_from_ns);
    double right_ns = (double)(w->to_ns - w->core_to_ns);
    double cap = CONTEXT_SHARE * WIDTH_PT, left = 0, right = 0;
    for (int c = 0; c < 4; c++) {
        bool squeeze_left = c & 1, squeeze_right = c & 2;
        double fixed = (squeeze_left ? cap : 0) + (squeeze_right ? cap : 0);
        double scaled = core_ns + (squeeze_left ? 0 : left_ns) + (squeeze_right ? 0 : right_ns);
        double scale = (WIDTH_PT - fixed) / (scaled > 0 ? scaled : 1);
        bool ok_left = squeeze_left ? left_ns * scale > cap : left_ns * scale <= cap;
        bool ok_right = squeeze_right ? right_ns * scale > cap : right_ns * scale <= cap;
        left = squeeze_left ? cap : left_ns * scale;
        right = squeeze_right ? cap : right_ns * scale;
        if (ok_left && ok_right)
            break;
    }
    xs[0] = X0_PT;
    xs[1] = X0_PT + left;
    xs[2] = X0_PT + WIDTH_PT - right;
    xs[3] = X0_PT + WIDTH_PT;
}

/* Piecewise linear: the core at full scale, each context compressed. */
static double x_of(const sb_spacetime_t *st, int64_t ns)
{
    const sb_spacetime_window_t *w = &st->window;
    const int64_t ts[4] = { w->from_ns, w->core_from_ns, w->core_to_ns, w->to_ns };
    double xs[4];
    bounds_x(st, xs);
    int k = ns < ts[1] ? 0 : ns <= ts[2] ? 1 : 2;
    double span = (double)(ts[k + 1] - ts[k]);
    if (span <= 0)
        return xs[k];
    return xs[k] + (double)(ns - ts[k]) / span * (xs[k + 1] - xs[k]);
}

static double y_of(int lane)
{
    return -lane * LANE_PT;
}

static void draw_lanes(Agraph_t *g, const sb_spacetime_t *st)
{
    char name[96];
    for (int l = 0; l < st->lanes_count; l++) {
        snprintf(name, sizeof name, "lane_%d_l", l);
        Agnode_t *a = sb_gv_point(g, name, X0_PT, y_of(l));
        snprintf(name, sizeof name, "lane_%d_r", l);
        Agnode_t *b = sb_gv_point(g, name, X0_PT + WIDTH_PT, y_of(l));
        Agedge_t *e = sb_gv_edge(g, a, b);
        sb_gv_set(e, "dir", "none");
        sb_gv_set(e, "color", "%s", l == SB_SPACETIME_COORDINATOR ? "#bbbbbb" : "#777777");
        snprintf(name, sizeof name, "lane_%d_name", l);
        Agnode_t *n = agnode(g, name, 1);
        sb_gv_set(n, "shape", "plaintext");
        sb_gv_set(n, "fixedsize", "true");
        sb_gv_set(n, "width", "%.3f", (X0_PT - 10) / 72);
        sb_gv_set(n, "height", "0.2");
        sb_gv_set(n, "label", "%s\\r", st->lanes[l].name);
        sb_gv_pin(n, (X0_PT - 10) / 2, y_of(l));
        const sb_spacetime_lane_t *lane = &st->lanes[l];
        if (lane->blocked_from_ns < 0)
            continue;
        /* The alignment: the subtask blocked the inputs that delivered. */
        snprintf(name, sizeof name, "align_%d_a", l);
        Agnode_t *p = sb_gv_point(g, name, x_of(st, lane->blocked_from_ns), y_of(l));
        snprintf(name, sizeof name, "align_%d_b", l);
        Agnode_t *q = sb_gv_point(g, name, x_of(st, lane->blocked_to_ns), y_of(l));
        Agedge_t *bar = sb_gv_edge(g, p, q);
        sb_gv_set(bar, "dir", "none");
        sb_gv_set(bar, "penwidth", "7");
        sb_gv_set(bar, "color", "#f5a62399");
        sb_gv_set(bar, "tooltip", "%s aligning (inputs that delivered the barrier blocked)",
                  lane->name);
    }
}

static void draw_batches(Agraph_t *g, const sb_spacetime_t *st)
{
    char name[64], sent[32], got[32];
    for (int64_t i = 0; i < st->batches_count; i++) {
        const sb_spacetime_arrow_t *a = &st->batches[i];
        const style_t *s = &class_styles[a->cls];
        snprintf(name, sizeof name, "b%" PRId64 "s", i);
        Agnode_t *from = sb_gv_point(g, name, x_of(st, a->from_ns), y_of(a->from_lane));
        snprintf(name, sizeof name, "b%" PRId64 "r", i);
        Agnode_t *to = sb_gv_point(g, name, x_of(st, a->to_ns), y_of(a->to_lane));
        Agedge_t *e = sb_gv_edge(g, from, to);
        sb_gv_set(e, "id", "batch%" PRId64 "_%s", i, s->id);
        sb_gv_set(e, "color", "%s", s->color);
        sb_gv_set(e, "penwidth", "%.1f", s->penwidth);
        sb_gv_set(e, "style", "%s", s->extra);
        sb_gv_set(e, "arrowsize", "0.4");
        sb_gv_fmt_ms(a->from_ns - st->trigger_ns, sent, sizeof sent);
        sb_gv_fmt_ms(a->to_ns - st->trigger_ns, got, sizeof got);
        sb_gv_set(e, "tooltip",
                  "channel %d, records %" PRId64 "..%" PRId64 ": sent %s, received %s after the "
                  "trigger; %s",
                  a->channel, a->first, a->first + a->count - 1, sent, got,
                  sb_cutclass_name(a->cls));
    }
}

static Agnode_t *snapshot_node(Agraph_t *g, const sb_spacetime_t *st, int l)
{
    const sb_spacetime_lane_t *lane = &st->lanes[l];
    char name[32], at[32];
    snprintf(name, sizeof name, "snap_%d", l);
    Agnode_t *n = agnode(g, name, 1);
    sb_gv_set(n, "shape", lane->unaligned ? "square" : "circle");
    sb_gv_set(n, "style", "filled");
    sb_gv_set(n, "fillcolor", "%s", CUT_COLOR);
    sb_gv_set(n, "color", "%s", CUT_COLOR);
    sb_gv_set(n, "fixedsize", "true");
    sb_gv_set(n, "width", "0.11");
    sb_gv_set(n, "label", "%s", "");
    sb_gv_fmt_ms(lane->snapshot_ns - st->trigger_ns, at, sizeof at);
    sb_gv_set(n, "tooltip", "%s: %ssnapshot +%s", lane->name, lane->unaligned ? "unaligned " : "",
              at);
    sb_gv_pin(n, x_of(st, lane->snapshot_ns), y_of(l));
    return n;
}

/* Snapshot points last, so that the cut and barriers are drawn on top. */
static void draw_cut_and_barriers(Agraph_t *g, const sb_spacetime_t *st)
{
    Agnode_t *trigger = sb_gv_node(g, "trigger");
    sb_gv_set(trigger, "shape", "invtriangle");
    sb_gv_set(trigger, "style", "filled");
    sb_gv_set(trigger, "fillcolor", BARRIER_COLOR);
    sb_gv_set(trigger, "color", BARRIER_COLOR);
    sb_gv_set(trigger, "fixedsize", "true");
    sb_gv_set(trigger, "width", "0.13");
    sb_gv_set(trigger, "label", "%s", "");
    sb_gv_set(trigger, "xlabel", "trigger");
    sb_gv_pin(trigger, x_of(st, st->trigger_ns), y_of(SB_SPACETIME_COORDINATOR));
    Agnode_t *snaps[SB_RUNTRACE_TASKS_MAX + 1] = { 0 };
    Agnode_t *prev = NULL;
    int cuts = 0;
    for (int l = 1; l < st->lanes_count; l++) {
        if (st->lanes[l].snapshot_ns < 0)
            continue;
        snaps[l] = snapshot_node(g, st, l);
        if (prev != NULL) {
            Agedge_t *e = sb_gv_edge(g, prev, snaps[l]);
            sb_gv_set(e, "id", "cut%d", cuts++);
            sb_gv_set(e, "dir", "none");
            sb_gv_set(e, "color", CUT_COLOR);
            sb_gv_set(e, "style", "dashed");
            sb_gv_set(e, "penwidth", "2");
        }
        prev = snaps[l];
    }
    for (int i = 0; i < st->barriers_count; i++) {
        const sb_spacetime_arrow_t *a = &st->barriers[i];
        Agnode_t *from = a->from_lane == SB_SPACETIME_COORDINATOR ? trigger : snaps[a->from_lane];
        char name[32];
        snprintf(name, sizeof name, "barrier_%d_to", i);
        Agnode_t *to = sb_gv_point(g, name, x_of(st, a->to_ns), y_of(a->to_lane));
        assert(from != NULL);
        Agedge_t *e = sb_gv_edge(g, from, to);
        sb_gv_set(e, "id", "barrier%d", i);
        sb_gv_set(e, "color", BARRIER_COLOR);
        sb_gv_set(e, "penwidth", "1.4");
        sb_gv_set(e, "arrowsize", "0.6");
        sb_gv_set(e, "style", "%s", a->channel < 0 ? "dotted" : "solid");
        if (a->channel >= 0)
            sb_gv_set(e, "tooltip", "barrier on channel %d (after record %" PRId64 ")",
                      a->channel, a->first);
    }
}

static void graph_label(Agraph_t *g, const sb_spacetime_t *st)
{
    char note[1024];
    const sb_cutclass_counts_t *r = &st->records;
    if (!st->records_traced)
        snprintf(note, sizeof note,
                 "no record trace: barriers and snapshots only (run with --trace records to "
                 "see the records)");
    else
        snprintf(note, sizeof note,
                 "records across the cut (whole incarnation): %" PRId64
                 " channel state, %" PRId64 " in flight not recorded, %" PRId64
                 " orphans; %" PRId64 " batches in the window",
                 r->n[SB_CUTCLASS_RECORDED], r->n[SB_CUTCLASS_UNRECORDED],
                 r->n[SB_CUTCLASS_ORPHAN], st->batches_in_window);
    char sampled[128] = "";
    if (st->records_traced && st->batches_count < st->batches_in_window)
        snprintf(sampled, sizeof sampled,
                 ", sampled evenly: %" PRId64 " drawn (those crossing the cut first)",
                 st->batches_count);
    char half[96] = "";
    if (st->batches_half > 0)
        snprintf(half, sizeof half, "; %" PRId64 " batches with one side lost (crash)",
                 st->batches_half);
    char legend[1024];
    int o = snprintf(legend, sizeof legend,
                     "<table border=\"0\" cellspacing=\"3\"><tr>"
                     "<td><font color=\"%s\">&#9679;</font> snapshot (&#9632; unaligned)</td>"
                     "<td><font color=\"%s\">- - cut</font></td>"
                     "<td><font color=\"%s\">&#8594; barrier</font></td>"
                     "<td bgcolor=\"#f5a62399\">aligning</td>",
                     CUT_COLOR, CUT_COLOR, BARRIER_COLOR);
    if (st->records_traced)
        snprintf(legend + o, sizeof legend - (size_t)o,
                 "<td><font color=\"%s\">&#8594; batch</font></td>"
                 "<td><font color=\"%s\">&#8594; channel state</font></td>"
                 "<td><font color=\"%s\">&#8594; in flight, not recorded</font></td>"
                 "<td><font color=\"%s\"><b>&#8594; orphan</b></font></td>",
                 class_styles[SB_CUTCLASS_BEFORE].color, class_styles[SB_CUTCLASS_RECORDED].color,
                 class_styles[SB_CUTCLASS_UNRECORDED].color,
                 class_styles[SB_CUTCLASS_ORPHAN].color);
    size_t l = strlen(legend);
    snprintf(legend + l, sizeof legend - l, "</tr></table>");
    char text[2048];
    snprintf(text, sizeof text,
             "<b>checkpoint %" PRId64 ": space-time diagram</b> (%s, worker attempt %d); time "
             "after the trigger<br/>%s%s%s",
             st->checkpoint, sb_ckstats_status_name(st->status), st->attempt, note, sampled,
             half);
    sb_gv_set_titled_legend(g, text, legend);
}

/* The context sides: a shaded ground (drawn first) and how compressed. */
static void draw_context_grounds(Agraph_t *g, const sb_spacetime_t *st)
{
    const sb_spacetime_window_t *w = &st->window;
    double xs[4];
    bounds_x(st, xs);
    double top = y_of(0) + LANE_PT / 2, bottom = y_of(st->lanes_count - 1) - LANE_PT / 2;
    double core_scale = (double)(w->core_to_ns - w->core_from_ns) / (xs[2] - xs[1]);
    for (int side = 0; side < 2; side++) {
        double x0 = side == 0 ? xs[0] : xs[2], x1 = side == 0 ? xs[1] : xs[3];
        int64_t span = side == 0 ? w->core_from_ns - w->from_ns : w->to_ns - w->core_to_ns;
        if (x1 <= x0)
            continue;
        char name[32];
        snprintf(name, sizeof name, "context_%d", side);
        Agnode_t *n = agnode(g, name, 1);
        sb_gv_set(n, "shape", "box");
        sb_gv_set(n, "fixedsize", "true");
        sb_gv_set(n, "width", "%.4f", (x1 - x0) / 72);
        sb_gv_set(n, "height", "%.4f", (top - bottom) / 72);
        sb_gv_set(n, "style", "filled");
        sb_gv_set(n, "fillcolor", "#f3f3f3");
        sb_gv_set(n, "color", "#f3f3f3");
        sb_gv_set(n, "fontsize", "8");
        sb_gv_set(n, "fontcolor", "#888888");
        sb_gv_set(n, "labelloc", "t");
        double factor = core_scale > 0 ? (double)span / (x1 - x0) / core_scale : 1;
        if (factor > 1.05)
            sb_gv_set(n, "label", "context, time compressed %.0fx", factor);
        else
            sb_gv_set(n, "label", "context");
        sb_gv_pin(n, (x0 + x1) / 2, (top + bottom) / 2);
    }
}

static void draw_axes(Agraph_t *g, const sb_spacetime_t *st)
{
    const sb_spacetime_window_t *w = &st->window;
    double xs[4], y = y_of(st->lanes_count - 1) - LANE_PT * 0.6;
    bounds_x(st, xs);
    int64_t t = st->trigger_ns;
    /* A core of no width: a trace that ends at the trigger it starts with. */
    if (w->core_to_ns > w->core_from_ns)
        sb_gv_time_axis(g, "axis", xs[1], xs[2] - xs[1], y, w->core_from_ns - t,
                        w->core_to_ns - t, true, 8);
    if (xs[1] > xs[0])
        sb_gv_time_axis(g, "axis_l", xs[0], xs[1] - xs[0], y, w->from_ns - t,
                        w->core_from_ns - t, true, 2);
    if (xs[3] > xs[2])
        sb_gv_time_axis(g, "axis_r", xs[2], xs[3] - xs[2], y, w->core_to_ns - t, w->to_ns - t,
                        true, 2);
}

Agraph_t *sb_spacetime_graph(const sb_spacetime_t *st)
{
    char name[64];
    snprintf(name, sizeof name, "chk_%" PRId64 "_spacetime", st->checkpoint);
    Agraph_t *g = sb_gv_graph(name);
    sb_gv_set(g, "labelloc", "t");
    /* Nodes first: the context grounds lie under the arrows. */
    sb_gv_set(g, "outputorder", "nodesfirst");
    graph_label(g, st);
    draw_context_grounds(g, st);
    draw_lanes(g, st);
    draw_batches(g, st);
    draw_cut_and_barriers(g, st);
    draw_axes(g, st);
    return g;
}
