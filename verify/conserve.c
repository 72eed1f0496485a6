/* conserve.c — see conserve.h. */
#include "conserve.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct chan_end {
    int from, to;                        /* process numbers; -1: no such channel */
} chan_end_t;

/* One snapshot in flight: what each process and channel recorded. */
typedef struct snap {
    int64_t id;                          /* 0: a free slot */
    int records[SB_CONSERVE_PROCESSES_MAX];
    int64_t balance[SB_CONSERVE_PROCESSES_MAX];
    int64_t *sent_at;                    /* [channels]: the sender's count at its record */
    int64_t *recv_at;                    /* [channels]: the receiver's count at its record */
    int *chan_records;                   /* [channels] */
    int64_t *chan_msgs, *chan_tokens;    /* [channels] */
} snap_t;

struct sb_conserve {
    bool graph_seen;
    int processes;
    int channels;                        /* channel numbers are 0 … channels-1 */
    chan_end_t ends[SB_CONSERVE_CHANNELS_MAX];
    snap_t snaps[SB_CONSERVE_SNAPSHOTS_MAX];
    int64_t tokens;                      /* each process's initial balance */
    /* The newest completed snapshot, which a rollback must restore. */
    int64_t last_id;                     /* 0: none (the initial state) */
    int64_t last_balance[SB_CONSERVE_PROCESSES_MAX];
    int64_t last_chan_tokens[SB_CONSERVE_CHANNELS_MAX];
    bool failed;
    sb_err_t err;
    sb_conserve_report_t r;
};

static const char *const check_names[SB_CONSERVE_CHECKS_COUNT_] = {
    [SB_CONSERVE_RECORDED] = "recorded",
    [SB_CONSERVE_CONSERVATION] = "conservation",
    [SB_CONSERVE_ORPHANS] = "orphans",
    [SB_CONSERVE_CHANNEL_STATE] = "channel state",
    [SB_CONSERVE_RESTORES] = "restores",
};

const char *sb_conserve_check_name(sb_conserve_check_t k)
{
    assert((unsigned)k < SB_CONSERVE_CHECKS_COUNT_);
    return check_names[k];
}

sb_conserve_t *sb_conserve_new(void)
{
    sb_conserve_t *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->r.first_kind = -1;
    return c;
}

static void snap_release(snap_t *s)
{
    free(s->sent_at);
    free(s->recv_at);
    free(s->chan_records);
    free(s->chan_msgs);
    free(s->chan_tokens);
    memset(s, 0, sizeof *s);
}

void sb_conserve_free(sb_conserve_t *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < SB_CONSERVE_SNAPSHOTS_MAX; i++)
        snap_release(&c->snaps[i]);
    free(c);
}

__attribute__((format(printf, 2, 3)))
static void fail(sb_conserve_t *c, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err.msg, sizeof c->err.msg, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void violate(sb_conserve_t *c, sb_conserve_check_t k, const char *fmt, ...)
{
    if (c->r.violations[k]++ > 0)
        return;
    if (c->r.first_kind < 0)
        c->r.first_kind = (int)k;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->r.first[k], sizeof c->r.first[k], fmt, ap);
    va_end(ap);
}

static int64_t num(json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(ev, key));
}

/* ------------------------------------------------------------ events */

static void on_graph(sb_conserve_t *c, json_t *ev)
{
    /* Snapshots size their per-channel arrays from the graph: a second
     * graph would change the count under them. */
    if (c->graph_seen) {
        fail(c, "cl_graph appears twice");
        return;
    }
    c->graph_seen = true;
    c->processes = (int)num(ev, "processes");
    c->r.total = num(ev, "total");
    c->tokens = num(ev, "tokens");
    for (int p = 0; p < SB_CONSERVE_PROCESSES_MAX; p++)
        c->last_balance[p] = c->tokens;
    json_t *chans = json_object_get(ev, "channels");
    if (c->processes < 1 || c->processes > SB_CONSERVE_PROCESSES_MAX ||
        json_array_size(chans) > SB_CONSERVE_CHANNELS_MAX) {
        fail(c, "cl_graph: %d processes and %zu channels, past the checker's %d and %d",
             c->processes, json_array_size(chans), SB_CONSERVE_PROCESSES_MAX,
             SB_CONSERVE_CHANNELS_MAX);
        return;
    }
    c->channels = (int)json_array_size(chans);
    size_t i;
    json_t *ch;
    json_array_foreach(chans, i, ch) {
        int n = (int)num(ch, "channel"), from = (int)num(ch, "from"), to = (int)num(ch, "to");
        if (n != (int)i || from < 0 || to < 0 || from >= c->processes || to >= c->processes) {
            fail(c, "cl_graph: channel %zu is malformed", i);
            return;
        }
        c->ends[i] = (chan_end_t){ .from = from, .to = to };
    }
}

/* The snapshot's slot, taken on its first event. */
static snap_t *snap_get(sb_conserve_t *c, int64_t id)
{
    if (!c->graph_seen) {
        fail(c, "snapshot %" PRId64 " before the cl_graph event", id);
        return NULL;
    }
    /* Ids start at 1; 0 marks a free slot (its arrays not allocated). */
    if (id < 1) {
        fail(c, "snapshot %" PRId64 ": snapshot ids start at 1", id);
        return NULL;
    }
    snap_t *free_slot = NULL;
    for (int i = 0; i < SB_CONSERVE_SNAPSHOTS_MAX; i++) {
        if (c->snaps[i].id == id)
            return &c->snaps[i];
        if (c->snaps[i].id == 0 && free_slot == NULL)
            free_slot = &c->snaps[i];
    }
    if (free_slot == NULL) {
        fail(c, "more than %d snapshots in flight", SB_CONSERVE_SNAPSHOTS_MAX);
        return NULL;
    }
    size_t n = (size_t)(c->channels > 0 ? c->channels : 1);
    free_slot->sent_at = malloc(n * sizeof(int64_t));
    free_slot->recv_at = malloc(n * sizeof(int64_t));
    free_slot->chan_records = calloc(n, sizeof(int));
    free_slot->chan_msgs = calloc(n, sizeof(int64_t));
    free_slot->chan_tokens = calloc(n, sizeof(int64_t));
    if (free_slot->sent_at == NULL || free_slot->recv_at == NULL ||
        free_slot->chan_records == NULL || free_slot->chan_msgs == NULL ||
        free_slot->chan_tokens == NULL) {
        snap_release(free_slot);
        fail(c, "out of memory");
        return NULL;
    }
    for (size_t k = 0; k < n; k++)
        free_slot->sent_at[k] = free_slot->recv_at[k] = -1;
    free_slot->id = id;
    return free_slot;
}

/* [[channel, count], …] into at[] for the channels where `self` is the
 * sender (sent) or the receiver (received). */
static void counts(sb_conserve_t *c, json_t *pairs, int64_t *at, int self, bool as_sender)
{
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p) {
        int ch = (int)json_integer_value(json_array_get(p, 0));
        if (ch < 0 || ch >= c->channels ||
            (as_sender ? c->ends[ch].from : c->ends[ch].to) != self) {
            fail(c, "P%d lists channel %d, which is not one of its %s", self, ch,
                 as_sender ? "outputs" : "inputs");
            return;
        }
        at[ch] = json_integer_value(json_array_get(p, 1));
    }
}

static void on_recorded(sb_conserve_t *c, json_t *ev)
{
    int p = (int)num(ev, "process");
    snap_t *s = snap_get(c, num(ev, "snapshot"));
    if (s == NULL)
        return;
    if (p < 0 || p >= c->processes) {
        fail(c, "cl_recorded names process %d", p);
        return;
    }
    if (s->records[p]++ > 0)
        return; /* counted, reported at completion */
    s->balance[p] = num(ev, "balance");
    counts(c, json_object_get(ev, "sent"), s->sent_at, p, true);
    counts(c, json_object_get(ev, "received"), s->recv_at, p, false);
}

static void on_channel(sb_conserve_t *c, json_t *ev)
{
    int ch = (int)num(ev, "channel");
    snap_t *s = snap_get(c, num(ev, "snapshot"));
    if (s == NULL)
        return;
    if (ch < 0 || ch >= c->channels) {
        fail(c, "cl_channel_recorded names channel %d", ch);
        return;
    }
    s->chan_records[ch]++;
    s->chan_msgs[ch] += num(ev, "messages");
    s->chan_tokens[ch] += num(ev, "tokens");
}

/* ------------------------------------------------------------ a completed snapshot */

static void check_channel(sb_conserve_t *c, const snap_t *s, int ch)
{
    int from = c->ends[ch].from, to = c->ends[ch].to;
    int64_t sent = s->sent_at[ch], recv = s->recv_at[ch], recorded = s->chan_msgs[ch];
    c->r.checked[SB_CONSERVE_ORPHANS]++;
    c->r.checked[SB_CONSERVE_CHANNEL_STATE]++;
    if (recv > sent) {
        violate(c, SB_CONSERVE_ORPHANS, "snapshot %" PRId64 ", channel P%d→P%d: P%d had received %"
                PRId64 " messages when it recorded its state, P%d had sent only %" PRId64
                " when it recorded its own: %" PRId64 " received before the cut, sent after it",
                s->id, from, to, to, recv, from, sent, recv - sent);
        return;
    }
    if (recorded != sent - recv)
        violate(c, SB_CONSERVE_CHANNEL_STATE, "snapshot %" PRId64 ", channel P%d→P%d: %" PRId64
                " message%s in flight across the cut (P%d had sent %" PRId64 ", P%d had received %"
                PRId64 "), but %" PRId64 " recorded", s->id, from, to, sent - recv,
                sent - recv == 1 ? " was" : "s were", from, sent, to, recv, recorded);
}

static void check_snapshot(sb_conserve_t *c, snap_t *s)
{
    c->r.snapshots_checked++;
    int64_t sum = 0, in_channels = 0;
    bool whole = true;
    for (int p = 0; p < c->processes; p++) {
        c->r.checked[SB_CONSERVE_RECORDED]++;
        if (s->records[p] != 1) {
            violate(c, SB_CONSERVE_RECORDED, "snapshot %" PRId64 ": P%d recorded its state %d "
                    "times", s->id, p, s->records[p]);
            whole = false;
        }
        sum += s->balance[p];
    }
    for (int ch = 0; ch < c->channels; ch++) {
        c->r.checked[SB_CONSERVE_RECORDED]++;
        if (s->chan_records[ch] != 1) {
            violate(c, SB_CONSERVE_RECORDED, "snapshot %" PRId64 ": channel P%d→P%d's state was "
                    "recorded %d times", s->id, c->ends[ch].from, c->ends[ch].to,
                    s->chan_records[ch]);
            whole = false;
        }
        in_channels += s->chan_tokens[ch];
    }
    c->r.checked[SB_CONSERVE_CONSERVATION]++;
    if (sum + in_channels != c->r.total)
        violate(c, SB_CONSERVE_CONSERVATION, "snapshot %" PRId64 ": the processes hold %" PRId64
                " tokens and the channels %" PRId64 ", %" PRId64 " in all, but there are %" PRId64
                " (%+" PRId64 ")", s->id, sum, in_channels, sum + in_channels, c->r.total,
                sum + in_channels - c->r.total);
    for (int ch = 0; ch < c->channels && whole; ch++)
        check_channel(c, s, ch);
}

/* A completed snapshot becomes what a rollback must restore. */
static void remember(sb_conserve_t *c, const snap_t *s)
{
    if (s->id < c->last_id)
        return;
    c->last_id = s->id;
    memcpy(c->last_balance, s->balance, sizeof c->last_balance);
    for (int ch = 0; ch < c->channels; ch++)
        c->last_chan_tokens[ch] = s->chan_tokens[ch];
}

/* The restored balances and channels against the newest completed
 * snapshot, and against the total. */
static void on_restore(sb_conserve_t *c, json_t *ev)
{
    int64_t id = num(ev, "snapshot"), sum = 0;
    json_t *balances = json_object_get(ev, "balances"), *chans = json_object_get(ev, "channels");
    if (!c->graph_seen || (int)json_array_size(balances) != c->processes ||
        (int)json_array_size(chans) != c->channels) {
        fail(c, "cl_restore: not one balance per process and one entry per channel");
        return;
    }
    c->r.checked[SB_CONSERVE_RESTORES]++;
    if (id != c->last_id)
        violate(c, SB_CONSERVE_RESTORES, "the rollback restored snapshot %" PRId64 ", but the "
                "newest completed one is %" PRId64, id, c->last_id);
    for (int p = 0; p < c->processes; p++) {
        int64_t b = json_integer_value(json_array_get(balances, (size_t)p));
        sum += b;
        if (b != c->last_balance[p])
            violate(c, SB_CONSERVE_RESTORES, "the rollback to snapshot %" PRId64 " gave P%d %"
                    PRId64 " tokens; it had recorded %" PRId64, id, p, b, c->last_balance[p]);
    }
    for (int ch = 0; ch < c->channels; ch++) {
        int64_t t = json_integer_value(json_array_get(json_array_get(chans, (size_t)ch), 2));
        int64_t want = c->last_id > 0 ? c->last_chan_tokens[ch] : 0;
        sum += t;
        if (t != want)
            violate(c, SB_CONSERVE_RESTORES, "the rollback to snapshot %" PRId64 " put %" PRId64
                    " tokens back on channel P%d→P%d; %" PRId64 " were recorded there", id, t,
                    c->ends[ch].from, c->ends[ch].to, want);
    }
    if (sum != c->r.total)
        violate(c, SB_CONSERVE_RESTORES, "the rollback to snapshot %" PRId64 " restored %" PRId64
                " tokens, but there are %" PRId64 " (%+" PRId64 ")", id, sum, c->r.total,
                sum - c->r.total);
}

void sb_conserve_event(sb_conserve_t *c, json_t *ev)
{
    const char *name = json_string_value(json_object_get(ev, "event"));
    if (name == NULL || c->failed)
        return;
    if (strcmp(name, "cl_graph") == 0) {
        on_graph(c, ev);
    } else if (strcmp(name, "cl_recorded") == 0) {
        on_recorded(c, ev);
    } else if (strcmp(name, "cl_channel_recorded") == 0) {
        on_channel(c, ev);
    } else if (strcmp(name, "cl_snapshot_completed") == 0) {
        snap_t *s = snap_get(c, num(ev, "snapshot"));
        if (s == NULL)
            return;
        check_snapshot(c, s);
        remember(c, s);
        snap_release(s);
    } else if (strcmp(name, "cl_snapshot_abandoned") == 0) {
        snap_t *s = snap_get(c, num(ev, "snapshot"));
        if (s != NULL)
            snap_release(s);
    } else if (strcmp(name, "cl_restore") == 0) {
        on_restore(c, ev);
    }
}

int sb_conserve_finish(sb_conserve_t *c, sb_conserve_report_t *out, sb_err_t *err)
{
    if (!c->failed && !c->graph_seen)
        fail(c, "the trace has no cl_graph event: not a classic Chandy–Lamport run");
    if (c->failed) {
        *err = c->err;
        return -1;
    }
    *out = c->r;
    return 0;
}

void sb_conserve_report_summary(const sb_conserve_report_t *r, char *buf, size_t len)
{
    if (sb_conserve_report_ok(r)) {
        int64_t restores = r->checked[SB_CONSERVE_RESTORES];
        int n = snprintf(buf, len, "%" PRId64 " snapshot%s conserve%s the %" PRId64 " tokens (%"
                         PRId64 " channel cuts checked)", r->snapshots_checked,
                         r->snapshots_checked == 1 ? "" : "s",
                         r->snapshots_checked == 1 ? "s" : "", r->total,
                         r->checked[SB_CONSERVE_CHANNEL_STATE]);
        if (restores > 0 && n > 0 && (size_t)n < len)
            snprintf(buf + n, len - (size_t)n, "; %" PRId64 " rollback%s restored them all",
                     restores, restores == 1 ? "" : "s");
        return;
    }
    int64_t total = 0;
    for (int k = 0; k < SB_CONSERVE_CHECKS_COUNT_; k++)
        total += r->violations[k];
    snprintf(buf, len, "%" PRId64 " violation%s; first (%s): %s", total, total == 1 ? "" : "s",
             check_names[r->first_kind], r->first[r->first_kind]);
}

void sb_conserve_report_print(const sb_conserve_report_t *r, FILE *f)
{
    fprintf(f, "snapshots: %" PRId64 " completed, %" PRId64 " tokens in the system\n",
            r->snapshots_checked, r->total);
    for (int k = 0; k < SB_CONSERVE_CHECKS_COUNT_; k++) {
        if (r->violations[k] == 0)
            fprintf(f, "  %-15s OK       %6" PRId64 " checked\n", check_names[k], r->checked[k]);
        else
            fprintf(f, "  %-15s VIOLATED %6" PRId64 " of %" PRId64 "; first: %s\n",
                    check_names[k], r->violations[k], r->checked[k], r->first[k]);
    }
}

/* ------------------------------------------------------------ files */

int sb_conserve_trace_is_classic(const char *path, bool *classic, sb_err_t *err)
{
    *classic = false;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sb_err_errno(err, errno, "cannot open trace %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    fclose(f);
    json_t *ev = len > 0 ? json_loadb(line, (size_t)len, 0, NULL) : NULL;
    free(line);
    const char *name = json_string_value(json_object_get(ev, "event"));
    const char *model = json_string_value(json_object_get(ev, "model"));
    *classic = name != NULL && model != NULL && strcmp(name, "run_started") == 0 &&
               strcmp(model, "chandy-lamport") == 0;
    json_decref(ev);
    return 0;
}

typedef struct file_feed {
    sb_conserve_t *c;
    const char *path;
    int line;                            /* of the event being fed */
    bool finished;                       /* run_finished seen */
    sb_err_t *err;
} file_feed_t;

static int feed_line(json_t *ev, void *ctx)
{
    file_feed_t *f = ctx;
    f->line++;
    const char *name = json_string_value(json_object_get(ev, "event"));
    if (name != NULL && strcmp(name, "run_finished") == 0)
        f->finished = true;
    sb_conserve_event(f->c, ev);
    if (f->c->failed)
        return sb_err_set(f->err, "%s:%d: %s", f->path, f->line, f->c->err.msg);
    return 0;
}

int sb_conserve_check_file(const char *path, sb_conserve_report_t *out, sb_err_t *err)
{
    sb_conserve_t *c = sb_conserve_new();
    if (c == NULL)
        return sb_err_set(err, "out of memory for the snapshot checker");
    file_feed_t f = { .c = c, .path = path, .err = err };
    int truncated = 0;
    int rc = sb_trace_read(path, feed_line, &f, &truncated, err);
    if (rc == 0 && truncated && !f.finished)
        rc = sb_err_set(err, "%s:%d: the line is cut short: a simulated run writes its trace "
                        "whole, so this one was damaged or copied while it was written", path,
                        f.line + 1);
    else if (rc == 0 && !f.finished)
        rc = sb_err_set(err, "%s:%d: the trace ends without run_finished: it was cut short "
                        "(a simulated run writes its trace whole)", path, f.line + 1);
    if (rc == 0 && sb_conserve_finish(c, out, err) != 0)
        rc = sb_err_wrap(err, "%s", path);
    sb_conserve_free(c);
    return rc;
}
