/* cltrace.c — see cltrace.h. One pass over the file; messages are kept
 * per channel in the order they were sent, across rollbacks. */
#include "cltrace.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct loader {
    sb_cltrace_t *t;
    const char *path;
    int line;
    bool graph_seen;
    int generation;              /* rollbacks so far */
    int64_t generation_from_ns;  /* the latest rollback's time */
    sb_err_t *err;
} loader_t;

static const char *const class_names[SB_CLCLASS_COUNT_] = {
    [SB_CLCLASS_BEFORE] = "before the cut",
    [SB_CLCLASS_AFTER] = "after the cut",
    [SB_CLCLASS_RECORDED] = "in flight, recorded as channel state",
    [SB_CLCLASS_MISSED] = "in flight across the cut, not recorded",
    [SB_CLCLASS_ORPHAN] = "orphan: received before the cut, sent after it",
    [SB_CLCLASS_EXTRA] = "recorded as channel state, but sent after the cut",
};

const char *sb_clclass_name(sb_clclass_t c)
{
    assert((unsigned)c < SB_CLCLASS_COUNT_);
    return class_names[c];
}

bool sb_clclass_wrong(sb_clclass_t c)
{
    return c == SB_CLCLASS_MISSED || c == SB_CLCLASS_ORPHAN || c == SB_CLCLASS_EXTRA;
}

sb_clclass_t sb_cltrace_class(const sb_clcut_t *cut, int64_t sent_as, const sb_clmsg_t *m)
{
    if (m->generation != cut->generation)
        return m->generation < cut->generation ? SB_CLCLASS_BEFORE : SB_CLCLASS_AFTER;
    bool sent_before = sent_as <= cut->sent;
    bool received = m->recv_index > 0;
    bool recv_before = received && m->recv_index <= cut->received;
    int64_t m_count = cut->messages > 0 ? cut->messages : 0;
    bool in_state = received && m->recv_index > cut->received &&
                    m->recv_index <= cut->received + m_count;
    if (sent_before)
        return recv_before ? SB_CLCLASS_BEFORE : in_state ? SB_CLCLASS_RECORDED
                                                           : SB_CLCLASS_MISSED;
    return recv_before ? SB_CLCLASS_ORPHAN : in_state ? SB_CLCLASS_EXTRA : SB_CLCLASS_AFTER;
}

static int64_t num(json_t *ev, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(ev, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

__attribute__((format(printf, 2, 3)))
static int bad(loader_t *l, const char *fmt, ...)
{
    char why[SB_ERR_MSG_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return sb_err_set(l->err, "%s:%d: %s", l->path, l->line, why);
}

static int on_graph(loader_t *l, json_t *ev)
{
    sb_cltrace_t *t = l->t;
    json_t *chans = json_object_get(ev, "channels");
    t->processes = (int)num(ev, "processes", 0);
    t->total = num(ev, "total", 0);
    t->fifo = json_is_true(json_object_get(ev, "fifo"));
    size_t n = json_array_size(chans);
    if (l->graph_seen || t->processes < 1 || t->processes > SB_CLTRACE_PROCESSES_MAX ||
        n > SB_CLTRACE_CHANNELS_MAX)
        return bad(l, "cl_graph: a second one, or %d processes and %zu channels (at most %d "
                   "and %d)", t->processes, n, SB_CLTRACE_PROCESSES_MAX, SB_CLTRACE_CHANNELS_MAX);
    l->graph_seen = true;
    t->channels = calloc(n > 0 ? n : 1, sizeof *t->channels);
    if (t->channels == NULL)
        return bad(l, "out of memory");
    t->channels_count = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(chans, i);
        int from = (int)num(c, "from", -1), to = (int)num(c, "to", -1);
        if (num(c, "channel", -1) != (int64_t)i || from < 0 || to < 0 ||
            from >= t->processes || to >= t->processes)
            return bad(l, "cl_graph: channel %zu is malformed", i);
        t->channels[i] = (sb_clchannel_t){ .from = from, .to = to };
    }
    return 0;
}

static int channel_of(loader_t *l, json_t *ev, sb_clchannel_t **out)
{
    int64_t ch = num(ev, "channel", -1);
    if (!l->graph_seen)
        return bad(l, "an event of a channel before cl_graph: not a classic trace");
    if (ch < 0 || ch >= l->t->channels_count)
        return bad(l, "no channel %lld", (long long)ch);
    *out = &l->t->channels[ch];
    return (int)ch;
}

static sb_clsnapshot_t *snapshot_of(loader_t *l, json_t *ev)
{
    int64_t k = num(ev, "snapshot", -1);
    if (!l->graph_seen || k < 1 || k > SB_CLTRACE_SNAPSHOTS_MAX) {
        bad(l, "snapshot %lld: before cl_graph, or not in 1..%d", (long long)k,
            SB_CLTRACE_SNAPSHOTS_MAX);
        return NULL;
    }
    sb_clsnapshot_t *s = &l->t->snapshots[k];
    if (s->seen)
        return s;
    s->cuts = malloc((size_t)(l->t->channels_count > 0 ? l->t->channels_count : 1) *
                     sizeof *s->cuts);
    if (s->cuts == NULL) {
        bad(l, "out of memory");
        return NULL;
    }
    s->seen = true;
    s->completed_ns = -1;
    s->abandoned_ns = -1;
    s->generation = l->generation;
    s->generation_from_ns = l->generation_from_ns;
    s->generation_to_ns = -1;
    for (int p = 0; p < SB_CLTRACE_PROCESSES_MAX; p++)
        s->record_ns[p] = -1;
    for (int c = 0; c < l->t->channels_count; c++)
        s->cuts[c] = (sb_clcut_t){ .sent = -1, .received = -1, .messages = -1,
                                   .generation = l->generation, .marker = { -1, -1 } };
    return s;
}

static int on_send(loader_t *l, json_t *ev, int64_t t_ns)
{
    sb_clchannel_t *c;
    if (channel_of(l, ev, &c) < 0)
        return -1;
    int64_t seq = num(ev, "seq", -1);
    if (seq < 1 || seq + c->send_offset != c->count + 1)
        return bad(l, "cl_send: seq %lld, expected %lld", (long long)seq,
                   (long long)(c->count + 1 - c->send_offset));
    if (c->count == c->cap) {
        int64_t cap = c->cap == 0 ? 64 : c->cap * 2;
        sb_clmsg_t *v = cap <= SB_CLTRACE_MESSAGES_MAX
                            ? realloc(c->msgs, (size_t)cap * sizeof *v) : NULL;
        if (v == NULL)
            return bad(l, "more than %d messages on one channel", SB_CLTRACE_MESSAGES_MAX);
        c->msgs = v;
        c->cap = cap;
    }
    c->msgs[c->count++] = (sb_clmsg_t){
        .send_ns = t_ns, .recv_ns = -1, .tokens = num(ev, "tokens", 0),
        .generation = l->generation, .replayed = json_is_true(json_object_get(ev, "replayed")),
    };
    l->t->records_traced = true;
    return 0;
}

static int on_recv(loader_t *l, json_t *ev, int64_t t_ns)
{
    sb_clchannel_t *c;
    if (channel_of(l, ev, &c) < 0)
        return -1;
    int64_t seq = num(ev, "seq", -1);
    int64_t sent_seq = num(ev, "sent_seq", seq); /* older traces: FIFO, the same */
    int64_t index = seq + c->recv_offset, s = sent_seq + c->send_offset;
    if (sent_seq < 1 || s > c->count || seq < 1)
        return bad(l, "cl_recv: message %lld was never sent", (long long)sent_seq);
    if (c->msgs[s - 1].generation != l->generation)
        return bad(l, "cl_recv: message %lld was sent before the rollback", (long long)sent_seq);
    c->msgs[s - 1].recv_ns = t_ns;
    c->msgs[s - 1].recv_index = index;
    if (index > c->received)
        c->received = index;
    return 0;
}

/* [[channel, count], …] into the snapshot's cuts. */
static int counts(loader_t *l, sb_clsnapshot_t *s, json_t *pairs, bool sent)
{
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p) {
        int64_t ch = json_integer_value(json_array_get(p, 0));
        if (ch < 0 || ch >= l->t->channels_count)
            return bad(l, "cl_recorded: no channel %lld", (long long)ch);
        int64_t n = json_integer_value(json_array_get(p, 1));
        const sb_clchannel_t *c = &l->t->channels[ch];
        if (sent)
            s->cuts[ch].sent = n + c->send_offset;
        else
            s->cuts[ch].received = n + c->recv_offset;
    }
    return 0;
}

static int on_recorded(loader_t *l, json_t *ev, int64_t t_ns)
{
    sb_clsnapshot_t *s = snapshot_of(l, ev);
    int64_t p = num(ev, "process", -1);
    if (s == NULL)
        return -1;
    if (p < 0 || p >= l->t->processes)
        return bad(l, "cl_recorded: no process %lld", (long long)p);
    if (s->record_ns[p] >= 0)
        return 0; /* recorded twice: the checker says so; the first is drawn */
    s->record_ns[p] = t_ns;
    s->balance[p] = num(ev, "balance", 0);
    s->initiator[p] = json_is_true(json_object_get(ev, "initiator"));
    if (counts(l, s, json_object_get(ev, "sent"), true) != 0)
        return -1;
    return counts(l, s, json_object_get(ev, "received"), false);
}

static int on_snapshot_event(loader_t *l, const char *name, json_t *ev, int64_t t_ns)
{
    sb_clsnapshot_t *s = snapshot_of(l, ev);
    if (s == NULL)
        return -1;
    if (strcmp(name, "cl_snapshot_completed") == 0) {
        s->completed_ns = t_ns;
        return 0;
    }
    if (strcmp(name, "cl_snapshot_abandoned") == 0) {
        s->abandoned_ns = t_ns;
        return 0;
    }
    sb_clchannel_t *c;
    int ch = channel_of(l, ev, &c);
    if (ch < 0)
        return -1;
    sb_clcut_t *cut = &s->cuts[ch];
    if (strcmp(name, "marker_sent") == 0)
        cut->marker.send_ns = t_ns;
    else if (strcmp(name, "marker_received") == 0)
        cut->marker.recv_ns = t_ns;
    else if (cut->messages < 0) { /* cl_channel_recorded */
        cut->messages = num(ev, "messages", 0);
        cut->tokens = num(ev, "tokens", 0);
    }
    return 0;
}

/* A rollback: a new generation, and each channel's numbering restarts
 * from the base count of its [channel, messages, tokens, base]. */
static int on_restore(loader_t *l, json_t *ev, int64_t t_ns)
{
    sb_cltrace_t *t = l->t;
    json_t *chans = json_object_get(ev, "channels");
    if (!l->graph_seen || (int)json_array_size(chans) != t->channels_count)
        return bad(l, "cl_restore: before cl_graph, or not one entry per channel");
    for (int ch = 0; ch < t->channels_count; ch++) {
        json_t *e = json_array_get(chans, (size_t)ch);
        json_t *base = json_array_get(e, 3);
        if (json_integer_value(json_array_get(e, 0)) != ch || !json_is_integer(base) ||
            json_integer_value(base) < 0)
            return bad(l, "cl_restore: channel %d has no [channel, messages, tokens, base] "
                       "entry (a trace from before bases were traced cannot be drawn)", ch);
        sb_clchannel_t *c = &t->channels[ch];
        c->send_offset = c->count - json_integer_value(base);
        c->recv_offset = c->received - json_integer_value(base);
    }
    for (int k = 1; k <= SB_CLTRACE_SNAPSHOTS_MAX; k++)
        if (t->snapshots[k].seen && t->snapshots[k].generation == l->generation)
            t->snapshots[k].generation_to_ns = t_ns;
    l->generation++;
    l->generation_from_ns = t_ns;
    return 0;
}

static void on_other(loader_t *l, const char *name, json_t *ev, int64_t t_ns)
{
    static const char *const skipped[] = { "run_started", "run_finished", "cl_snapshot_done" };
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (strcmp(name, skipped[i]) == 0)
            return;
    sb_cltrace_t *t = l->t;
    if (t->marks_count == SB_CLTRACE_MARKS_MAX)
        return;
    sb_clmark_t *m = &t->marks[t->marks_count++];
    m->ns = t_ns;
    m->process = (int)num(ev, "process", -1);
    snprintf(m->event, sizeof m->event, "%s", name);
}

static int visit(json_t *ev, void *ctx)
{
    loader_t *l = ctx;
    l->line++;
    const char *name = json_string_value(json_object_get(ev, "event"));
    int64_t t_ns = num(ev, "t_ns", -1);
    if (name == NULL || t_ns < 0)
        return bad(l, "an event without \"event\" or \"t_ns\"");
    if (t_ns > l->t->end_ns)
        l->t->end_ns = t_ns;
    if (strcmp(name, "cl_graph") == 0)
        return on_graph(l, ev);
    if (strcmp(name, "cl_send") == 0)
        return on_send(l, ev, t_ns);
    if (strcmp(name, "cl_recv") == 0)
        return on_recv(l, ev, t_ns);
    if (strcmp(name, "cl_recorded") == 0)
        return on_recorded(l, ev, t_ns);
    if (strcmp(name, "marker_sent") == 0 || strcmp(name, "marker_received") == 0 ||
        strcmp(name, "cl_channel_recorded") == 0 || strcmp(name, "cl_snapshot_completed") == 0 ||
        strcmp(name, "cl_snapshot_abandoned") == 0)
        return on_snapshot_event(l, name, ev, t_ns);
    if (strcmp(name, "cl_restore") == 0 && on_restore(l, ev, t_ns) != 0)
        return -1;
    on_other(l, name, ev, t_ns);
    return 0;
}

int sb_cltrace_load(sb_cltrace_t *t, const char *path, sb_err_t *err)
{
    memset(t, 0, sizeof *t);
    loader_t l = { .t = t, .path = path, .err = err };
    int truncated = 0;
    if (sb_trace_read(path, visit, &l, &truncated, err) != 0)
        return -1;
    if (!l.graph_seen)
        return sb_err_set(err, "%s: no cl_graph event: not a classic Chandy–Lamport trace", path);
    t->generations = l.generation + 1;
    return 0;
}

void sb_cltrace_free(sb_cltrace_t *t)
{
    for (int c = 0; c < t->channels_count; c++)
        free(t->channels[c].msgs);
    free(t->channels);
    for (int k = 0; k <= SB_CLTRACE_SNAPSHOTS_MAX; k++)
        free(t->snapshots[k].cuts);
    memset(t, 0, sizeof *t);
}
