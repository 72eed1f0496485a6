/* cut.c — see cut.h.
 *
 * The checker follows the trace one worker incarnation at a time: a
 * `job_graph` opens one (its tasks and channels), a `crash`, `worker_failed`
 * or `job_finished` closes it. Snapshots and channel state are kept per
 * checkpoint in flight and checked when the checkpoint completes: every
 * subtask traces its snapshot and channel state before its ack, and the
 * coordinator completes only after every ack, so nothing of a completed
 * checkpoint can follow its completion. A subtask replays its restored
 * channel state before it reads any input, so its `channel_state_restored`
 * comes before any snapshot it takes in that incarnation. The record
 * trace's send and recv lines are matched position by position on each
 * channel as they come, keeping only the ids one side has written and the
 * other not yet: the lag between two buffers, not the run's history. */
#include "cut.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "twophase.h"
#include "vocab.h"

/* The task kinds of vocab.h, under this file's short names. */
typedef enum task_kind {
    KIND_SOURCE = SB_STAGE_SOURCE, KIND_MAP = SB_STAGE_MAP, KIND_FILTER = SB_STAGE_FILTER,
    KIND_COUNT = SB_STAGE_COUNT, KIND_SINK = SB_STAGE_SINK
} task_kind_t;

typedef struct cut_task {
    char name[SB_CUT_TASK_BYTES_MAX];
    task_kind_t kind;
    int stage;                 /* tasks named "<stage>-<subtask>" share it */
    json_t *start_offsets;     /* sources: partition -> next offset at start */
    bool snapshotted;          /* took a snapshot in this incarnation */
    bool replayed_seen;        /* traced channel_state_restored */
    int64_t replayed;          /* records replayed in this incarnation */
    int64_t replay_expected;   /* records in its channel state of the restored
                                  checkpoint; -1 when the trace does not say */
} cut_task_t;

typedef struct cut_channel {
    int index;                 /* the channel number of the trace */
    int from, to;              /* task indexes */
} cut_channel_t;

/* A record id of the record trace; partition -1 marks a hole: a position
 * a gap skipped, reported once and then compared with nothing. */
typedef struct fifo_id {
    int64_t offset;
    int32_t partition;
} fifo_id_t;

/* One channel's send and recv lines so far. Each side's lines come in
 * order, but the two sides buffer their lines apart, so either may lead in
 * the file: the queue holds the leading side's ids at the positions the
 * other has not reached, (min(sent, received), max(sent, received)]. */
typedef struct fifo_queue {
    int64_t sent, received;    /* positions each side's lines reached */
    fifo_id_t *ids;            /* a ring of `capacity` */
    size_t head, count, capacity;
} fifo_queue_t;

/* A checkpoint in flight in the current incarnation. */
typedef struct cut_open {
    int64_t id;                /* 0: a free slot */
    json_t *snapshots[SB_CUT_TASKS_MAX];     /* each task's first snapshot */
    int snapshots_count[SB_CUT_TASKS_MAX];
    json_t *channel_states[SB_CUT_TASKS_MAX];
} cut_open_t;

typedef struct incarnation {
    bool open;
    int attempt;
    int64_t restored_id;       /* 0: fresh start or no restore yet */
    int tasks_count;
    cut_task_t tasks[SB_CUT_TASKS_MAX];
    int channels_count;
    cut_channel_t channels[SB_CUT_CHANNELS_MAX];
    cut_open_t open_checkpoints[SB_CUT_OPEN_MAX];
    fifo_queue_t fifo[SB_CUT_CHANNELS_MAX];  /* by channel slot */
} incarnation_t;

struct sb_cut_checker {
    incarnation_t inc;
    sb_twophase_t twophase;
    json_t *channel_state_records; /* "N" -> {task: records} of every checkpoint */
    json_t *pending;               /* upload key -> where a completed checkpoint
                                      listed it as pending */
    int64_t fifo_held;             /* ids in all the FIFO queues */
    bool job_graph_seen;
    bool finished;                 /* sb_cut_finish was called */
    int64_t events;
    bool failed;
    sb_err_t err;                  /* why the trace cannot be checked */
    sb_cut_report_t report;
};

static const struct {
    const char *name;
    const char *rule;
} CHECKS[SB_CUT_CHECKS_COUNT_] = {
    [SB_CUT_SNAPSHOTS] = { "snapshots", "every subtask took one snapshot of each completed "
                                        "checkpoint" },
    [SB_CUT_ORPHANS] = { "orphans", "no record was received before the receiver's snapshot "
                                    "but sent after the sender's" },
    [SB_CUT_CHANNEL_STATE] = { "channel state", "the recorded channel state is exactly the "
                                                "records in flight across the cut" },
    [SB_CUT_ACCOUNTING] = { "accounting", "source offsets and operator reads account for "
                                          "every record emitted" },
    [SB_CUT_FIFO] = { "FIFO", "on each channel the records received are the records sent, "
                              "in order" },
    [SB_CUT_REPLAY] = { "replay", "every restore replayed the channel state it recorded" },
    [SB_CUT_RESTORES] = { "restores", "every restore used the newest completed checkpoint" },
    [SB_CUT_EARLY_PUBLISH] = { "early publish", "no output was published before a "
                                                "checkpoint covering it completed" },
    [SB_CUT_DOUBLE_PUBLISH] = { "double publish", "no output was published twice" },
    [SB_CUT_UNPUBLISHED] = { "unpublished", "every upload staged by a completed checkpoint "
                                            "was committed" },
};

const char *sb_cut_check_name(sb_cut_check_kind_t kind)
{
    assert((unsigned)kind < SB_CUT_CHECKS_COUNT_);
    return CHECKS[kind].name;
}

const char *sb_cut_check_rule(sb_cut_check_kind_t kind)
{
    assert((unsigned)kind < SB_CUT_CHECKS_COUNT_);
    return CHECKS[kind].rule;
}

/* ------------------------------------------------------------ findings */

static void violate(sb_cut_checker_t *c, sb_cut_check_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void violate(sb_cut_checker_t *c, sb_cut_check_kind_t kind, const char *fmt, ...)
{
    sb_cut_report_t *r = &c->report;
    sb_cut_check_t *k = &r->checks[kind];
    r->violations++;
    if (k->violations++ > 0)
        return; /* keep the first */
    if (r->first_kind < 0)
        r->first_kind = (int)kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->first, sizeof k->first, fmt, ap);
    va_end(ap);
}

static void fail(sb_cut_checker_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(sb_cut_checker_t *c, const char *fmt, ...)
{
    if (c->failed)
        return; /* keep the first */
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err.msg, sizeof c->err.msg, fmt, ap);
    va_end(ap);
}

/* The rules of twophase.h that an event broke, as cut checks. */
static void note_twophase(sb_cut_checker_t *c, unsigned rules)
{
    static const sb_cut_check_kind_t as_cut[SB_TWOPHASE_RULES_COUNT_] = {
        [SB_TWOPHASE_RESTORE_OLDER] = SB_CUT_RESTORES,
        [SB_TWOPHASE_RESTORE_INCOMPLETE] = SB_CUT_RESTORES,
        [SB_TWOPHASE_EARLY_PUBLISH] = SB_CUT_EARLY_PUBLISH,
        [SB_TWOPHASE_DOUBLE_PUBLISH] = SB_CUT_DOUBLE_PUBLISH,
        [SB_TWOPHASE_RESTORE_DAMAGED] = SB_CUT_RESTORES,
    };
    for (int rule = 0; rule < SB_TWOPHASE_RULES_COUNT_; rule++)
        if (rules & (1u << rule))
            violate(c, as_cut[rule], "%s", c->twophase.detail[rule]);
}

/* ---------------------------------------------------------- event fields */

static int64_t int_field(json_t *ev, const char *name)
{
    return json_integer_value(json_object_get(ev, name));
}

static const char *str_field(json_t *ev, const char *name)
{
    return json_string_value(json_object_get(ev, name));
}

/* The position listed for `channel` in a snapshot's [[channel, position]]. */
static bool position_of(json_t *pairs, int channel, int64_t *position)
{
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p) {
        if (json_integer_value(json_array_get(p, 0)) == channel) {
            *position = json_integer_value(json_array_get(p, 1));
            return true;
        }
    }
    return false;
}

static int64_t positions_sum(json_t *pairs)
{
    int64_t sum = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p)
        sum += json_integer_value(json_array_get(p, 1));
    return sum;
}

/* The range (from, to] a channel_state event lists for `channel`. */
static bool range_of(json_t *channel_state, int channel, int64_t *from, int64_t *to)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(channel_state, "ranges"), i, r) {
        if (json_integer_value(json_array_get(r, 0)) == channel) {
            *from = json_integer_value(json_array_get(r, 1));
            *to = json_integer_value(json_array_get(r, 2));
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------- descriptions */

static void describe_channel(const incarnation_t *inc, const cut_channel_t *ch, char *buf,
                             size_t len)
{
    snprintf(buf, len, "channel %d (%s → %s)", ch->index, inc->tasks[ch->from].name,
             inc->tasks[ch->to].name);
}

/* "records a..b" for the positions (from, to], or "no records". */
static void describe_span(int64_t from, int64_t to, char *buf, size_t len)
{
    if (to <= from)
        snprintf(buf, len, "no records");
    else if (to == from + 1)
        snprintf(buf, len, "record %" PRId64, to);
    else
        snprintf(buf, len, "records %" PRId64 "..%" PRId64, from + 1, to);
}

/* ------------------------------------------------- record trace: FIFO */

/* A record id of the record trace, "partition:offset". */
static bool id_parse(const char *s, fifo_id_t *id)
{
    if (s == NULL)
        return false;
    char *end;
    long partition = strtol(s, &end, 10);
    if (end == s || *end != ':' || partition < 0 || partition > INT32_MAX)
        return false;
    const char *o = end + 1;
    long long offset = strtoll(o, &end, 10);
    if (end == o || *end != '\0' || offset < 0)
        return false;
    id->partition = (int32_t)partition;
    id->offset = offset;
    return true;
}

static bool id_is_hole(fifo_id_t id)
{
    return id.partition < 0;
}

static bool id_equal(fifo_id_t a, fifo_id_t b)
{
    return a.partition == b.partition && a.offset == b.offset;
}

static void id_format(fifo_id_t id, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRId32 ":%" PRId64, id.partition, id.offset);
}

/* The slot of channel number `index` in the job graph, or -1. */
static int channel_slot(const incarnation_t *inc, int64_t index)
{
    for (int i = 0; i < inc->channels_count; i++)
        if (inc->channels[i].index == index)
            return i;
    return -1;
}

static void fifo_release(sb_cut_checker_t *c, fifo_queue_t *q)
{
    c->fifo_held -= (int64_t)q->count;
    free(q->ids);
    memset(q, 0, sizeof *q);
    assert(c->fifo_held >= 0);
}

/* Appends the id of the side ahead; fails the trace past the bound. */
static bool fifo_push(sb_cut_checker_t *c, fifo_queue_t *q, fifo_id_t id)
{
    if (c->fifo_held >= SB_CUT_FIFO_IDS_MAX) {
        fail(c, "event %" PRId64 ": more than %d record ids sent and not yet received (or "
             "received before their send lines) in worker attempt %d: the checker holds at "
             "most that many", c->events, SB_CUT_FIFO_IDS_MAX, c->inc.attempt);
        return false;
    }
    if (q->count == q->capacity) {
        size_t capacity = q->capacity == 0 ? 64 : q->capacity * 2;
        fifo_id_t *ids = malloc(capacity * sizeof *ids);
        if (ids == NULL) {
            fail(c, "out of memory for %zu record ids of the FIFO check", capacity);
            return false;
        }
        for (size_t i = 0; i < q->count; i++) /* unwrap the ring */
            ids[i] = q->ids[(q->head + i) % q->capacity];
        free(q->ids);
        q->ids = ids;
        q->capacity = capacity;
        q->head = 0;
    }
    q->ids[(q->head + q->count) % q->capacity] = id;
    q->count++;
    if (++c->fifo_held > c->report.fifo_held_max)
        c->report.fifo_held_max = c->fifo_held;
    return true;
}

static fifo_id_t fifo_pop(sb_cut_checker_t *c, fifo_queue_t *q)
{
    assert(q->count > 0);
    fifo_id_t id = q->ids[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    c->fifo_held--;
    return id;
}

/* One more position on one side of channel slot `ch`: compared with the
 * other side's id there when that side is ahead, else queued until it
 * catches up. A hole (a position a gap skipped, already reported) is
 * compared with nothing. */
static void fifo_step(sb_cut_checker_t *c, int ch, bool is_send, fifo_id_t id)
{
    fifo_queue_t *q = &c->inc.fifo[ch];
    int64_t *mine = is_send ? &q->sent : &q->received;
    int64_t theirs = is_send ? q->received : q->sent;
    assert((int64_t)q->count == (*mine > theirs ? *mine - theirs : theirs - *mine));
    if (*mine >= theirs) {
        if (fifo_push(c, q, id))
            (*mine)++;
        return;
    }
    (*mine)++;
    fifo_id_t other = fifo_pop(c, q);
    if (id_is_hole(id) || id_is_hole(other))
        return;
    c->report.checks[SB_CUT_FIFO].checked++;
    fifo_id_t sent = is_send ? id : other, received = is_send ? other : id;
    if (id_equal(sent, received))
        return;
    char channel[160], want[32], got[32];
    describe_channel(&c->inc, &c->inc.channels[ch], channel, sizeof channel);
    id_format(sent, want, sizeof want);
    id_format(received, got, sizeof got);
    violate(c, SB_CUT_FIFO, "worker attempt %d, %s, position %" PRId64 ": expected %s (as "
            "sent), received %s", c->inc.attempt, channel, *mine, want, got);
}

/* A line whose first position is not the next one on its side: positions
 * skipped (a gap) or given again (a repeat). */
static void fifo_misnumbered(sb_cut_checker_t *c, int ch, bool is_send, int64_t next,
                             int64_t first, size_t n)
{
    const incarnation_t *inc = &c->inc;
    const cut_channel_t *cc = &inc->channels[ch];
    const char *who = inc->tasks[is_send ? cc->from : cc->to].name;
    char channel[160], span[64];
    describe_channel(inc, cc, channel, sizeof channel);
    if (first > next) {
        describe_span(next - 1, first - 1, span, sizeof span);
        violate(c, SB_CUT_FIFO, "worker attempt %d, %s: %s never %s %s (its %s jump from "
                "position %" PRId64 " to %" PRId64 ")", inc->attempt, channel, who,
                is_send ? "sent" : "received", span, is_send ? "sends" : "receives",
                next - 1, first);
        return;
    }
    int64_t last = first - 1 + (int64_t)n < next - 1 ? first - 1 + (int64_t)n : next - 1;
    describe_span(first - 1, last, span, sizeof span);
    violate(c, SB_CUT_FIFO, "worker attempt %d, %s: %s %s %s again (its %s had reached "
            "position %" PRId64 ")", inc->attempt, channel, who, is_send ? "sent" : "received",
            span, is_send ? "sends" : "receives", next - 1);
}

/* A send or recv line: one batch of records on one channel. */
static void on_batch(sb_cut_checker_t *c, json_t *ev, bool is_send)
{
    c->report.fifo_traced = true;
    int ch = channel_slot(&c->inc, int_field(ev, "channel"));
    const char *task = str_field(ev, "task");
    json_t *ids = json_object_get(ev, "ids");
    int64_t first = int_field(ev, "first");
    if (ch < 0 || task == NULL || first < 1 || !json_is_array(ids)) {
        fail(c, "event %" PRId64 " (%s) needs a task, a channel of the job graph of worker "
             "attempt %d, a first position from 1 and ids", c->events, is_send ? "send" : "recv",
             c->inc.attempt);
        return;
    }
    const cut_channel_t *cc = &c->inc.channels[ch];
    const char *owner = c->inc.tasks[is_send ? cc->from : cc->to].name;
    if (strcmp(task, owner) != 0) {
        fail(c, "event %" PRId64 " (%s) by %s on channel %d, whose %s is %s", c->events,
             is_send ? "send" : "recv", task, cc->index, is_send ? "sender" : "receiver", owner);
        return;
    }
    const fifo_queue_t *q = &c->inc.fifo[ch];
    int64_t next = (is_send ? q->sent : q->received) + 1;
    size_t n = json_array_size(ids), skip = 0;
    if (first != next)
        fifo_misnumbered(c, ch, is_send, next, first, n);
    if (first < next) /* compare only the positions not seen yet */
        skip = next - first < (int64_t)n ? (size_t)(next - first) : n;
    for (int64_t p = next; p < first && !c->failed; p++)
        fifo_step(c, ch, is_send, (fifo_id_t){ .partition = -1 });
    for (size_t i = skip; i < n && !c->failed; i++) {
        fifo_id_t id;
        if (!id_parse(json_string_value(json_array_get(ids, i)), &id)) {
            fail(c, "event %" PRId64 " (%s): id %zu is not \"partition:offset\"", c->events,
                 is_send ? "send" : "recv", i);
            return;
        }
        fifo_step(c, ch, is_send, id);
    }
}

/* The incarnation ends with records received whose send lines never came:
 * a killed worker may have lost them, a finished one may not. */
static void fifo_end(sb_cut_checker_t *c, bool finished)
{
    const incarnation_t *inc = &c->inc;
    for (int ch = 0; ch < inc->channels_count; ch++) {
        const fifo_queue_t *q = &inc->fifo[ch];
        if (q->received <= q->sent)
            continue; /* sends not received: still in flight when it ended */
        int64_t unmatched = 0, first_position = 0;
        fifo_id_t first = { .partition = -1 };
        for (size_t i = 0; i < q->count; i++) {
            fifo_id_t id = q->ids[(q->head + i) % q->capacity];
            if (id_is_hole(id))
                continue;
            if (unmatched++ == 0) {
                first = id;
                first_position = q->sent + 1 + (int64_t)i;
            }
        }
        if (unmatched == 0)
            continue;
        if (!finished) {
            c->report.fifo_unmatched += unmatched;
            continue;
        }
        const cut_channel_t *cc = &inc->channels[ch];
        char channel[160], span[64], id[32];
        describe_channel(inc, cc, channel, sizeof channel);
        describe_span(q->sent, q->received, span, sizeof span);
        id_format(first, id, sizeof id);
        violate(c, SB_CUT_FIFO, "worker attempt %d, %s: %s received %s, but %s's send lines "
                "stop at position %" PRId64 " and the job finished (position %" PRId64
                ": received %s, never sent)", inc->attempt, channel, inc->tasks[cc->to].name,
                span, inc->tasks[cc->from].name, q->sent, first_position, id);
    }
}

/* ---------------------------------------------------------- incarnation */

static int task_index(const incarnation_t *inc, const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < inc->tasks_count; i++)
        if (strcmp(inc->tasks[i].name, name) == 0)
            return i;
    return -1;
}

static bool kind_parse(const char *s, task_kind_t *kind)
{
    int k = sb_stage_kind_from_name(s);
    if (k < 0)
        return false;
    *kind = (task_kind_t)k;
    return true;
}

static void open_release(cut_open_t *cp)
{
    for (int i = 0; i < SB_CUT_TASKS_MAX; i++) {
        json_decref(cp->snapshots[i]);
        json_decref(cp->channel_states[i]);
    }
    memset(cp, 0, sizeof *cp);
}

static cut_open_t *open_find(incarnation_t *inc, int64_t id)
{
    for (int i = 0; i < SB_CUT_OPEN_MAX; i++)
        if (inc->open_checkpoints[i].id == id)
            return &inc->open_checkpoints[i];
    return NULL;
}

/* The checkpoint's slot, taken on its first event; NULL (and the trace
 * fails) when full or when the event names no checkpoint: ids start at 1,
 * and 0 marks a free slot. */
static cut_open_t *open_get(sb_cut_checker_t *c, int64_t id)
{
    if (id <= 0) {
        fail(c, "event %" PRId64 " has no checkpoint number (a positive \"checkpoint\")",
             c->events);
        return NULL;
    }
    cut_open_t *cp = open_find(&c->inc, id);
    if (cp == NULL && (cp = open_find(&c->inc, 0)) != NULL)
        cp->id = id;
    if (cp == NULL)
        fail(c, "more than %d checkpoints in flight at once in worker attempt %d "
             "(at chk-%" PRId64 ")", SB_CUT_OPEN_MAX, c->inc.attempt, id);
    return cp;
}

/* The length of the stage part of a task name: up to its last '-'. */
static size_t stage_len(const char *name)
{
    const char *dash = strrchr(name, '-');
    return dash != NULL ? (size_t)(dash - name) : strlen(name);
}

/* The stage number of a task about to be added: that of an earlier task
 * of the same stage, else the next one. */
static int stage_of(const incarnation_t *inc, const char *name)
{
    size_t n = stage_len(name);
    int stages = 0;
    for (int i = 0; i < inc->tasks_count; i++) {
        const char *other = inc->tasks[i].name;
        if (stage_len(other) == n && strncmp(other, name, n) == 0)
            return inc->tasks[i].stage;
        if (inc->tasks[i].stage >= stages)
            stages = inc->tasks[i].stage + 1;
    }
    return stages;
}

static void job_graph_parse(sb_cut_checker_t *c, json_t *ev)
{
    incarnation_t *inc = &c->inc;
    json_t *tasks = json_object_get(ev, "tasks"), *channels = json_object_get(ev, "channels");
    if (json_array_size(tasks) > SB_CUT_TASKS_MAX ||
        json_array_size(channels) > SB_CUT_CHANNELS_MAX) {
        fail(c, "the job graph of worker attempt %d has %zu tasks and %zu channels, more "
             "than the checker's %d and %d", inc->attempt, json_array_size(tasks),
             json_array_size(channels), SB_CUT_TASKS_MAX, SB_CUT_CHANNELS_MAX);
        return;
    }
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        cut_task_t *task = &inc->tasks[inc->tasks_count];
        const char *name = str_field(t, "name");
        if (name == NULL || strlen(name) >= sizeof task->name ||
            !kind_parse(str_field(t, "kind"), &task->kind)) {
            fail(c, "the job graph of worker attempt %d: task %zu has no name or kind snapbed "
                 "knows", inc->attempt, i);
            return;
        }
        snprintf(task->name, sizeof task->name, "%s", name);
        task->replay_expected = -1;
        task->stage = stage_of(inc, name);
        inc->tasks_count++;
    }
    json_array_foreach(channels, i, t) {
        cut_channel_t *ch = &inc->channels[inc->channels_count];
        ch->index = (int)int_field(t, "channel");
        ch->from = task_index(inc, str_field(t, "from"));
        ch->to = task_index(inc, str_field(t, "to"));
        if (ch->from < 0 || ch->to < 0) {
            fail(c, "the job graph of worker attempt %d: channel %d joins a task it does not "
                 "list", inc->attempt, ch->index);
            return;
        }
        inc->channels_count++;
    }
}

static void incarnation_begin(sb_cut_checker_t *c, json_t *ev)
{
    assert(!c->inc.open);
    memset(&c->inc, 0, sizeof c->inc);
    c->inc.open = true;
    c->inc.attempt = (int)int_field(ev, "attempt");
    c->job_graph_seen = true;
    c->report.incarnations++;
    job_graph_parse(c, ev);
}

/* After a restore from N, a subtask whose channel state of N held records
 * must replay exactly them. It does so before it reads any input: if it
 * took a snapshot in this incarnation, or the job finished, it must have;
 * if the worker died before either, the trace cannot tell. */
static void check_replays(sb_cut_checker_t *c, bool finished)
{
    incarnation_t *inc = &c->inc;
    for (int i = 0; i < inc->tasks_count; i++) {
        const cut_task_t *t = &inc->tasks[i];
        if (t->replay_expected <= 0 && !t->replayed_seen)
            continue;
        if (!t->replayed_seen && !t->snapshotted && !finished) {
            c->report.replays_unchecked++;
            continue;
        }
        c->report.checks[SB_CUT_REPLAY].checked++;
        if (!t->replayed_seen)
            violate(c, SB_CUT_REPLAY, "after the restore from chk-%" PRId64 " (worker attempt "
                    "%d), %s never replayed the %" PRId64 " in-flight records of its channel "
                    "state of chk-%" PRId64, inc->restored_id, inc->attempt, t->name,
                    t->replay_expected, inc->restored_id);
        else if (t->replay_expected >= 0 && t->replayed != t->replay_expected)
            violate(c, SB_CUT_REPLAY, "after the restore from chk-%" PRId64 " (worker attempt "
                    "%d), %s replayed %" PRId64 " records, but its channel state of chk-%"
                    PRId64 " held %" PRId64, inc->restored_id, inc->attempt, t->name,
                    t->replayed, inc->restored_id, t->replay_expected);
    }
}

static void incarnation_release(sb_cut_checker_t *c)
{
    incarnation_t *inc = &c->inc;
    for (int i = 0; i < inc->channels_count; i++)
        fifo_release(c, &inc->fifo[i]);
    for (int i = 0; i < SB_CUT_OPEN_MAX; i++)
        open_release(&inc->open_checkpoints[i]);
    for (int i = 0; i < inc->tasks_count; i++)
        json_decref(inc->tasks[i].start_offsets);
    inc->open = false;
}

static void check_completed(sb_cut_checker_t *c, cut_open_t *cp, bool traced);

/* Whether every subtask snapshotted cp once, with its channel state when
 * the snapshot was unaligned: the cut is whole, completed or not. */
static bool cut_whole(const incarnation_t *inc, const cut_open_t *cp)
{
    for (int i = 0; i < inc->tasks_count; i++) {
        if (cp->snapshots_count[i] != 1)
            return false;
        if (json_is_true(json_object_get(cp->snapshots[i], "unaligned")) &&
            cp->channel_states[i] == NULL)
            return false;
    }
    return true;
}

/* A worker that dies after its coordinator made a checkpoint durable but
 * before its completion reached the trace leaves that checkpoint open
 * here, yet the next worker restores it: a whole cut is checked all the
 * same, as the protocol must keep it consistent from the last snapshot on
 * (its two-phase bookkeeping waits for a traced completion). */
static void check_whole_open_cuts(sb_cut_checker_t *c)
{
    for (int i = 0; i < SB_CUT_OPEN_MAX; i++) {
        cut_open_t *cp = &c->inc.open_checkpoints[i];
        if (cp->id > 0 && cut_whole(&c->inc, cp))
            check_completed(c, cp, false);
    }
}

static void incarnation_end(sb_cut_checker_t *c, bool finished)
{
    if (!c->inc.open)
        return;
    if (!finished)
        check_whole_open_cuts(c);
    check_replays(c, finished);
    fifo_end(c, finished);
    incarnation_release(c);
}

/* ------------------------------------------------- a completed checkpoint */

/* The positions in (a, b] that are not in (c, d], as at most two spans. */
static void describe_minus(int64_t a, int64_t b, int64_t c, int64_t d, char *buf, size_t len)
{
    buf[0] = '\0';
    if (a >= b)
        return;
    if (c >= d) { /* (c, d] is empty */
        describe_span(a, b, buf, len);
        return;
    }
    char left[64] = "", right[64] = "";
    if (c > a)
        describe_span(a, c < b ? c : b, left, sizeof left);
    if (d < b)
        describe_span(d > a ? d : a, b, right, sizeof right);
    snprintf(buf, len, "%s%s%s", left, left[0] && right[0] ? " and " : "", right);
}

/* An unaligned snapshot's recorded range (from, to] against the records
 * really in flight (r, s]: which were missed, which were recorded wrongly. */
static void check_range(sb_cut_checker_t *c, int64_t id, const char *channel, int64_t r,
                        int64_t s, int64_t from, int64_t to)
{
    if (from == r && to == s)
        return;
    char want[64], got[64], missed[140], extra[140];
    describe_span(r, s, want, sizeof want);
    describe_span(from, to, got, sizeof got);
    describe_minus(r, s, from, to, missed, sizeof missed);
    describe_minus(from, to, r, s, extra, sizeof extra);
    violate(c, SB_CUT_CHANNEL_STATE, "chk-%" PRId64 ", %s: the channel state recorded %s, but "
            "%s were in flight across the cut%s%s%s%s", id, channel, got, want,
            missed[0] ? "; not recorded: " : "", missed,
            extra[0] ? "; recorded though not in flight: " : "", extra);
}

static void check_channel(sb_cut_checker_t *c, const cut_open_t *cp, const cut_channel_t *ch)
{
    const incarnation_t *inc = &c->inc;
    json_t *sender = cp->snapshots[ch->from], *receiver = cp->snapshots[ch->to];
    if (sender == NULL || receiver == NULL)
        return; /* a missing snapshot is its own violation */
    char channel[160];
    describe_channel(inc, ch, channel, sizeof channel);
    const char *from_name = inc->tasks[ch->from].name, *to_name = inc->tasks[ch->to].name;
    int64_t s, r;
    if (!position_of(json_object_get(sender, "outputs"), ch->index, &s) ||
        !position_of(json_object_get(receiver, "inputs"), ch->index, &r)) {
        violate(c, SB_CUT_SNAPSHOTS, "chk-%" PRId64 ", %s: the snapshot of %s does not list "
                "the channel", cp->id, channel,
                position_of(json_object_get(sender, "outputs"), ch->index, &s) ? to_name
                                                                               : from_name);
        return;
    }
    c->report.channels_checked++;
    c->report.checks[SB_CUT_ORPHANS].checked++;
    c->report.checks[SB_CUT_CHANNEL_STATE].checked++;
    char span[64];
    if (r > s) {
        describe_span(s, r, span, sizeof span);
        violate(c, SB_CUT_ORPHANS, "chk-%" PRId64 ", %s: %s %s orphan%s — %s had read %" PRId64
                " records before its snapshot, %s had emitted only %" PRId64 " before its own",
                cp->id, channel, span, r - s == 1 ? "is an" : "are", r - s == 1 ? "" : "s",
                to_name, r, from_name, s);
        return;
    }
    int64_t from, to;
    json_t *state = cp->channel_states[ch->to];
    if (json_is_true(json_object_get(receiver, "unaligned")) && state != NULL &&
        range_of(state, ch->index, &from, &to)) {
        check_range(c, cp->id, channel, r, s, from, to);
    } else if (r != s) {
        describe_span(r, s, span, sizeof span);
        violate(c, SB_CUT_CHANNEL_STATE, "chk-%" PRId64 ", %s: %s %s in flight across the cut "
                "(%s had read %" PRId64 ", %s had emitted %" PRId64 "), but %s's %s snapshot "
                "recorded no channel state for it", cp->id, channel, span,
                r + 1 == s ? "was" : "were", to_name, r, from_name, s, to_name,
                json_is_true(json_object_get(receiver, "unaligned")) ? "unaligned" : "aligned");
    }
}

/* The records a channel_state event counts must be those its ranges span:
 * the replay check trusts the count. */
static void check_channel_state_size(sb_cut_checker_t *c, int64_t id, const cut_task_t *t,
                                     json_t *state)
{
    int64_t spanned = 0, records = int_field(state, "records");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(state, "ranges"), i, r)
        spanned += json_integer_value(json_array_get(r, 2)) -
                   json_integer_value(json_array_get(r, 1));
    if (spanned != records)
        violate(c, SB_CUT_CHANNEL_STATE, "chk-%" PRId64 ", %s: its channel state counts %"
                PRId64 " records, but its ranges span %" PRId64, id, t->name, records, spanned);
}

/* How far a source's offsets advanced since it started, into *advanced;
 * false (and a violation) when that cannot be told. */
static bool source_advanced(sb_cut_checker_t *c, int64_t id, const cut_task_t *t, json_t *snap,
                            int64_t *advanced)
{
    if (t->start_offsets == NULL) {
        violate(c, SB_CUT_ACCOUNTING, "chk-%" PRId64 ", %s: no source_started in worker "
                "attempt %d, so its offsets cannot be accounted for", id, t->name,
                c->inc.attempt);
        return false;
    }
    *advanced = 0;
    const char *partition;
    json_t *offset;
    json_object_foreach(json_object_get(snap, "offsets"), partition, offset) {
        json_t *start = json_object_get(t->start_offsets, partition);
        if (start == NULL || json_integer_value(offset) < json_integer_value(start)) {
            violate(c, SB_CUT_ACCOUNTING, "chk-%" PRId64 ", %s: partition %s is at offset %"
                    JSON_INTEGER_FORMAT ", %s", id, t->name, partition,
                    json_integer_value(offset), start == NULL ? "but the source did not start "
                    "reading it" : "before where the source started");
            return false;
        }
        *advanced += json_integer_value(offset) - json_integer_value(start);
    }
    return true;
}

/* A task's emitted positions summed per consuming stage (the stage of each
 * channel's receiver): a stream read by several stages is replicated, so
 * each stage's sum is accounted for on its own. Channels the job graph
 * lacks count together as one more stage. Returns the number of stages (at
 * least 1: a task with no outputs emitted 0). */
static int emitted_per_stage(const incarnation_t *inc, json_t *outputs, int64_t *emitted,
                             int *stage)
{
    int n = 0;
    size_t i;
    json_t *pair;
    json_array_foreach(outputs, i, pair) {
        int slot = channel_slot(inc, json_integer_value(json_array_get(pair, 0)));
        int st = slot >= 0 ? inc->tasks[inc->channels[slot].to].stage : SB_CUT_TASKS_MAX;
        int g = 0;
        while (g < n && stage[g] != st)
            g++;
        if (g == n) {
            stage[n] = st;
            emitted[n++] = 0;
        }
        emitted[g] += json_integer_value(json_array_get(pair, 1));
    }
    if (n == 0) {
        stage[0] = -1;
        emitted[n++] = 0;
    }
    return n;
}

/* " (to STAGE)" when a task feeds several stages, else "". */
static void describe_to(const incarnation_t *inc, int stages, int stage, char *buf, size_t len)
{
    buf[0] = '\0';
    if (stages < 2)
        return;
    for (int i = 0; i < inc->tasks_count; i++)
        if (inc->tasks[i].stage == stage) {
            snprintf(buf, len, " to %.*s", (int)stage_len(inc->tasks[i].name),
                     inc->tasks[i].name);
            return;
        }
    snprintf(buf, len, " on channels the job graph lacks");
}

/* Each consuming stage's count is checked on its own: a source's offsets
 * advanced by it; a map or count emitted one record per record read or
 * replayed, a filter at most one; and every stage got as many as the
 * first (a replicated stream). */
static void check_accounting(sb_cut_checker_t *c, int64_t id, const cut_task_t *t, json_t *snap)
{
    if (t->kind == KIND_SINK)
        return; /* emits nothing downstream */
    c->report.checks[SB_CUT_ACCOUNTING].checked++;
    int64_t emitted[SB_CUT_TASKS_MAX + 1], advanced = 0;
    int stage[SB_CUT_TASKS_MAX + 1];
    int n = emitted_per_stage(&c->inc, json_object_get(snap, "outputs"), emitted, stage);
    if (t->kind == KIND_SOURCE && !source_advanced(c, id, t, snap, &advanced))
        return;
    int64_t read = positions_sum(json_object_get(snap, "inputs"));
    bool one_each = t->kind == KIND_MAP || t->kind == KIND_COUNT;
    for (int g = 0; g < n; g++) {
        char to[SB_CUT_TASK_BYTES_MAX + 40], to0[SB_CUT_TASK_BYTES_MAX + 40];
        describe_to(&c->inc, n, stage[g], to, sizeof to);
        if (t->kind == KIND_SOURCE && advanced != emitted[g])
            violate(c, SB_CUT_ACCOUNTING, "chk-%" PRId64 ", %s: its offsets advanced %" PRId64
                    " records past where it started, but it emitted %" PRId64 "%s before its "
                    "snapshot", id, t->name, advanced, emitted[g], to);
        else if (t->kind != KIND_SOURCE &&
                 (one_each ? emitted[g] != read + t->replayed : emitted[g] > read + t->replayed))
            violate(c, SB_CUT_ACCOUNTING, "chk-%" PRId64 ", %s: read %" PRId64 " and replayed %"
                    PRId64 " records, but emitted %" PRId64 "%s before its snapshot (a %s emits "
                    "%s record per record)", id, t->name, read, t->replayed, emitted[g], to,
                    t->kind == KIND_MAP ? "map" : t->kind == KIND_COUNT ? "count" : "filter",
                    one_each ? "one" : "at most one");
        else if (g > 0 && emitted[g] != emitted[0]) {
            describe_to(&c->inc, n, stage[0], to0, sizeof to0);
            violate(c, SB_CUT_ACCOUNTING, "chk-%" PRId64 ", %s: emitted %" PRId64 " records%s "
                    "but %" PRId64 "%s before its snapshot (each consuming stage gets every "
                    "record)", id, t->name, emitted[g], to, emitted[0], to0);
        }
    }
}

/* Uploads the sink staged up to this cut: each must be committed by the
 * end of the run. */
static void remember_pending(sb_cut_checker_t *c, int64_t id, const cut_task_t *t, json_t *snap)
{
    size_t i;
    json_t *key;
    json_array_foreach(json_object_get(snap, "pending"), i, key) {
        const char *k = json_string_value(key);
        if (k == NULL || json_object_get(c->pending, k) != NULL ||
            json_object_size(c->pending) >= SB_CUT_REMEMBERED_MAX)
            continue;
        char where[96];
        snprintf(where, sizeof where, "chk-%" PRId64 " (pending in %s's snapshot)", id, t->name);
        json_object_set_new(c->pending, k, json_string(where));
    }
}

static void check_completed(sb_cut_checker_t *c, cut_open_t *cp, bool traced)
{
    const incarnation_t *inc = &c->inc;
    c->report.checkpoints_checked++;
    for (int i = 0; i < inc->tasks_count; i++) {
        const cut_task_t *t = &inc->tasks[i];
        c->report.checks[SB_CUT_SNAPSHOTS].checked++;
        if (cp->snapshots_count[i] != 1) {
            if (cp->snapshots_count[i] == 0)
                violate(c, SB_CUT_SNAPSHOTS, "chk-%" PRId64 " completed, but there is no "
                        "snapshot of it from %s", cp->id, t->name);
            else
                violate(c, SB_CUT_SNAPSHOTS, "chk-%" PRId64 ": %s took %d snapshots of it",
                        cp->id, t->name, cp->snapshots_count[i]);
        }
    }
    for (int i = 0; i < inc->channels_count; i++)
        check_channel(c, cp, &inc->channels[i]);
    for (int i = 0; i < inc->tasks_count; i++) {
        if (cp->snapshots[i] == NULL)
            continue;
        check_accounting(c, cp->id, &inc->tasks[i], cp->snapshots[i]);
        if (cp->channel_states[i] != NULL)
            check_channel_state_size(c, cp->id, &inc->tasks[i], cp->channel_states[i]);
        if (traced && inc->tasks[i].kind == KIND_SINK)
            remember_pending(c, cp->id, &inc->tasks[i], cp->snapshots[i]);
    }
}

/* ---------------------------------------------------------------- events */

/* The task an incarnation's event names; NULL (and the trace fails) when
 * its job graph does not list it. */
static cut_task_t *event_task(sb_cut_checker_t *c, json_t *ev, int *index)
{
    int i = task_index(&c->inc, str_field(ev, "task"));
    if (i < 0) {
        fail(c, "event %" PRId64 " (%s) names task '%s', which the job graph of worker "
             "attempt %d does not list", c->events, str_field(ev, "event"),
             str_field(ev, "task") ? str_field(ev, "task") : "", c->inc.attempt);
        return NULL;
    }
    if (index != NULL)
        *index = i;
    return &c->inc.tasks[i];
}

static void on_restore(sb_cut_checker_t *c, json_t *ev)
{
    note_twophase(c, sb_twophase_restore(&c->twophase, ev));
    int64_t id = int_field(ev, "checkpoint");
    c->inc.restored_id = id;
    if (id <= 0)
        return;
    char key[32];
    snprintf(key, sizeof key, "%" PRId64, id);
    const char *name;
    json_t *records;
    json_object_foreach(json_object_get(c->channel_state_records, key), name, records) {
        int i = task_index(&c->inc, name);
        if (i >= 0)
            c->inc.tasks[i].replay_expected = json_integer_value(records);
    }
}

static void on_snapshot(sb_cut_checker_t *c, json_t *ev, bool channel_state)
{
    int i;
    cut_task_t *t = event_task(c, ev, &i);
    cut_open_t *cp = t != NULL ? open_get(c, int_field(ev, "checkpoint")) : NULL;
    if (cp == NULL)
        return;
    if (channel_state) {
        if (cp->channel_states[i] == NULL)
            cp->channel_states[i] = json_incref(ev);
        return;
    }
    t->snapshotted = true;
    if (cp->snapshots_count[i]++ == 0)
        cp->snapshots[i] = json_incref(ev);
}

/* The size of every channel state, for the restores that replay it. */
static void remember_channel_state(sb_cut_checker_t *c, json_t *ev)
{
    char key[32];
    snprintf(key, sizeof key, "%" PRId64, int_field(ev, "checkpoint"));
    json_t *tasks = json_object_get(c->channel_state_records, key);
    if (tasks == NULL) {
        if (json_object_size(c->channel_state_records) >= SB_CUT_REMEMBERED_MAX)
            return;
        tasks = json_object();
        json_object_set_new(c->channel_state_records, key, tasks);
    }
    const char *task = str_field(ev, "task");
    if (task != NULL)
        json_object_set_new(tasks, task, json_integer(int_field(ev, "records")));
}

static void on_channel_state_restored(sb_cut_checker_t *c, json_t *ev)
{
    cut_task_t *t = event_task(c, ev, NULL);
    if (t == NULL)
        return;
    int64_t id = int_field(ev, "checkpoint");
    if (id != c->inc.restored_id)
        violate(c, SB_CUT_REPLAY, "%s replayed channel state of chk-%" PRId64 " in worker "
                "attempt %d, which restored from chk-%" PRId64, t->name, id, c->inc.attempt,
                c->inc.restored_id);
    t->replayed_seen = true;
    t->replayed += int_field(ev, "records");
}

static void on_completed(sb_cut_checker_t *c, json_t *ev)
{
    int64_t id = int_field(ev, "checkpoint");
    sb_twophase_completed(&c->twophase, id);
    cut_open_t *cp = open_get(c, id);
    if (cp == NULL)
        return;
    check_completed(c, cp, true);
    open_release(cp);
}

static void on_aborted(sb_cut_checker_t *c, json_t *ev)
{
    cut_open_t *cp = open_find(&c->inc, int_field(ev, "checkpoint"));
    if (cp != NULL)
        open_release(cp);
}

/* The events of a worker incarnation, which need its job graph. */
static void on_incarnation_event(sb_cut_checker_t *c, const char *name, json_t *ev)
{
    if (!c->inc.open) {
        if (!c->job_graph_seen)
            fail(c, "the trace has no job_graph event before its first %s: it was written "
                 "by an older snapbed that did not record the job graph; run the scenario "
                 "again to check its cuts", name);
        else
            fail(c, "event %" PRId64 " (%s) comes after its worker's end (crash, worker_failed "
                 "or job_finished) and before the next job_graph", c->events, name);
        return;
    }
    if (strcmp(name, "send") == 0 || strcmp(name, "recv") == 0) {
        on_batch(c, ev, name[0] == 's'); /* first: most lines of a record trace */
    } else if (strcmp(name, "restore") == 0) {
        on_restore(c, ev);
    } else if (strcmp(name, "source_started") == 0) {
        cut_task_t *t = event_task(c, ev, NULL);
        if (t != NULL && t->start_offsets == NULL)
            t->start_offsets = json_incref(json_object_get(ev, "offsets"));
    } else if (strcmp(name, "checkpoint_triggered") == 0) {
        open_get(c, int_field(ev, "checkpoint"));
    } else if (strcmp(name, "snapshot") == 0) {
        on_snapshot(c, ev, false);
    } else if (strcmp(name, "channel_state") == 0) {
        remember_channel_state(c, ev);
        on_snapshot(c, ev, true);
    } else if (strcmp(name, "channel_state_restored") == 0) {
        on_channel_state_restored(c, ev);
    } else if (strcmp(name, "checkpoint_completed") == 0) {
        on_completed(c, ev);
    } else if (strcmp(name, "checkpoint_aborted") == 0) {
        on_aborted(c, ev);
    }
}

static bool is_incarnation_event(const char *name)
{
    static const char *names[] = { "send", "recv", "restore", "source_started",
                                   "checkpoint_triggered", "snapshot", "channel_state",
                                   "channel_state_restored", "checkpoint_completed",
                                   "checkpoint_aborted" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

void sb_cut_event(sb_cut_checker_t *c, json_t *ev)
{
    assert(c != NULL && ev != NULL);
    assert(!c->finished);
    const char *name = str_field(ev, "event");
    c->events++;
    if (name == NULL || c->failed)
        return;
    if (strcmp(name, "job_graph") == 0) {
        incarnation_end(c, false);
        incarnation_begin(c, ev);
    } else if (strcmp(name, "crash") == 0 || strcmp(name, "worker_failed") == 0) {
        incarnation_end(c, false);
    } else if (strcmp(name, "job_finished") == 0) {
        incarnation_end(c, true);
    } else if (strcmp(name, "sink_commit") == 0) {
        note_twophase(c, sb_twophase_sink_commit(&c->twophase, ev));
    } else if (strcmp(name, SB_EV_RESTORE_FALLBACK) == 0) {
        sb_twophase_fallback(&c->twophase, ev);
    } else if (strcmp(name, SB_EV_CHECKPOINT_DAMAGED) == 0) {
        sb_twophase_damaged(&c->twophase, ev);
    } else if (is_incarnation_event(name)) {
        on_incarnation_event(c, name, ev);
    }
}

/* ------------------------------------------------------------- the run */

sb_cut_checker_t *sb_cut_new(void)
{
    sb_cut_checker_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->channel_state_records = json_object();
    c->pending = json_object();
    if (sb_twophase_init(&c->twophase) != 0 || c->channel_state_records == NULL ||
        c->pending == NULL) {
        sb_cut_free(c);
        return NULL;
    }
    c->report.first_kind = -1;
    return c;
}

void sb_cut_free(sb_cut_checker_t *c)
{
    if (c == NULL)
        return;
    if (c->inc.open)
        incarnation_release(c);
    sb_twophase_free(&c->twophase);
    json_decref(c->channel_state_records);
    json_decref(c->pending);
    free(c);
}

static void check_unpublished(sb_cut_checker_t *c)
{
    const char *key;
    json_t *where;
    json_object_foreach(c->pending, key, where) {
        /* A checkpoint no restore could use (refused, damaged) leaves its
         * staged output to be aborted: the restore before it went back. */
        long long listed_by = 0;
        const char *why;
        if (sscanf(json_string_value(where), "chk-%lld", &listed_by) == 1 &&
            sb_twophase_bad(&c->twophase, (int64_t)listed_by, &why))
            continue;
        c->report.checks[SB_CUT_UNPUBLISHED].checked++;
        if (!sb_twophase_committed(&c->twophase, key))
            violate(c, SB_CUT_UNPUBLISHED, "staged output of %s, %s, was never published",
                    json_string_value(where), key);
    }
}

int sb_cut_finish(sb_cut_checker_t *c, sb_cut_report_t *out, sb_err_t *err)
{
    assert(!c->finished); /* once: it closes the run */
    c->finished = true;
    if (!c->failed && !c->job_graph_seen)
        fail(c, "the trace has no job_graph event: it was written by an older snapbed that "
             "did not record the job graph; run the scenario again to check its cuts");
    if (c->failed) {
        *err = c->err;
        return -1;
    }
    incarnation_end(c, false); /* the trace ends: the worker's end is unknown */
    check_unpublished(c);
    c->report.checks[SB_CUT_RESTORES].checked = c->twophase.restores;
    c->report.checks[SB_CUT_EARLY_PUBLISH].checked = c->twophase.publications;
    c->report.checks[SB_CUT_DOUBLE_PUBLISH].checked = c->twophase.publications;
    *out = c->report;
    return 0;
}

static int visit(json_t *ev, void *ctx)
{
    sb_cut_event(ctx, ev);
    return 0;
}

int sb_cut_check_file(const char *trace_path, sb_cut_report_t *out, sb_err_t *err)
{
    sb_cut_checker_t *c = sb_cut_new();
    if (c == NULL)
        return sb_err_set(err, "out of memory for the cut checker");
    int truncated = 0;
    int rc = sb_trace_read(trace_path, visit, c, &truncated, err);
    if (rc == 0 && sb_cut_finish(c, out, err) != 0)
        rc = sb_err_wrap(err, "%s", trace_path);
    if (rc == 0)
        out->trace_truncated = truncated != 0;
    sb_cut_free(c);
    return rc;
}

/* -------------------------------------------------------------- report */

void sb_cut_report_print(const sb_cut_report_t *r, FILE *f)
{
    fprintf(f, "consistent cuts: %" PRId64 " completed checkpoint%s in %d worker "
            "incarnation%s, %" PRId64 " channel cuts%s\n", r->checkpoints_checked,
            r->checkpoints_checked == 1 ? "" : "s", r->incarnations,
            r->incarnations == 1 ? "" : "s", r->channels_checked,
            r->trace_truncated ? " (the trace's last line was cut short and skipped)" : "");
    for (int k = 0; k < SB_CUT_CHECKS_COUNT_; k++) {
        const sb_cut_check_t *ch = &r->checks[k];
        if (k == SB_CUT_FIFO && !r->fifo_traced)
            fprintf(f, "  %-15s not checked (no record trace)\n", CHECKS[k].name);
        else if (ch->violations == 0)
            fprintf(f, "  %-15s OK       %6" PRId64 " checked: %s\n", CHECKS[k].name,
                    ch->checked, CHECKS[k].rule);
        else
            fprintf(f, "  %-15s VIOLATED %6" PRId64 " of %" PRId64 "; first: %s\n",
                    CHECKS[k].name, ch->violations, ch->checked, ch->first);
    }
    if (r->replays_unchecked > 0)
        fprintf(f, "  %-15s %" PRId64 " restored subtask%s not checked: the worker died "
                "before %s had to replay\n", "", r->replays_unchecked,
                r->replays_unchecked == 1 ? "" : "s", r->replays_unchecked == 1 ? "it" : "they");
    if (r->fifo_unmatched > 0)
        fprintf(f, "  %-15s %" PRId64 " received record%s not checked: %s send line%s lost when "
                "the worker was killed\n", "", r->fifo_unmatched, r->fifo_unmatched == 1 ? "" : "s",
                r->fifo_unmatched == 1 ? "its" : "their", r->fifo_unmatched == 1 ? " was" : "s were");
    if (sb_cut_report_ok(r))
        fprintf(f, "RESULT: OK — every completed checkpoint is a consistent cut; 0 violations\n");
    else
        fprintf(f, "RESULT: VIOLATED — %" PRId64 " violation%s\n", r->violations,
                r->violations == 1 ? "" : "s");
}

void sb_cut_report_summary(const sb_cut_report_t *r, char *buf, size_t len)
{
    if (sb_cut_report_ok(r)) {
        bool one = r->checkpoints_checked == 1;
        int n = snprintf(buf, len, "%" PRId64 " completed checkpoint%s %s consistent cut%s (%"
                         PRId64 " channels checked)", r->checkpoints_checked, one ? "" : "s",
                         one ? "is a" : "are", one ? "" : "s", r->channels_checked);
        if (r->fifo_traced && n >= 0 && (size_t)n < len)
            snprintf(buf + n, len - (size_t)n, "; FIFO held for %" PRId64 " records",
                     r->checks[SB_CUT_FIFO].checked);
        return;
    }
    assert(r->first_kind >= 0 && r->first_kind < SB_CUT_CHECKS_COUNT_);
    snprintf(buf, len, "%" PRId64 " violation%s; first (%s): %s", r->violations,
             r->violations == 1 ? "" : "s", CHECKS[r->first_kind].name,
             r->checks[r->first_kind].first);
}
