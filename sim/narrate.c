/* narrate.c — see narrate.h. */
#include "narrate.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASKS_MAX 128
#define CHANNELS_MAX 1024
#define INPUTS_MAX 64
#define NAME_BYTES_MAX 32
#define WAITING_SHOWN_MAX 4   /* channels named in "still waiting for" */

typedef struct ntask {
    char name[NAME_BYTES_MAX];
    int inputs[INPUTS_MAX];   /* channel numbers */
    int inputs_count;
    int64_t aligning_id;      /* the checkpoint whose barriers `reached` counts */
    uint64_t reached;         /* inputs (bits) whose barrier arrived */
    int64_t snapshot_id;      /* its newest snapshot */
    int64_t marker_snapshot;  /* classic: the snapshot whose first marker came… */
    int marker_channel;       /* … on this channel */
} ntask_t;

typedef struct nchan {
    int number;
    int from, to;             /* task indexes */
} nchan_t;

struct sb_narrate {
    ntask_t tasks[TASKS_MAX];
    int tasks_count;
    nchan_t chans[CHANNELS_MAX];
    int chans_count;
    bool unaligned;           /* the job's checkpoints may be unaligned */
    bool classic;             /* a classic Chandy–Lamport run: processes P0, P1, … */
    bool origin_set;
    int64_t origin_ns;
};

sb_narrate_t *sb_narrate_new(void)
{
    return calloc(1, sizeof(sb_narrate_t));
}

void sb_narrate_free(sb_narrate_t *n)
{
    free(n);
}

/* ------------------------------------------------------------ helpers */

typedef struct line {
    char *buf;
    size_t len, used;
} line_t;

__attribute__((format(printf, 2, 3)))
static void say(line_t *l, const char *fmt, ...)
{
    if (l->used >= l->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->buf + l->used, l->len - l->used, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->used += (size_t)k < l->len - l->used ? (size_t)k : l->len - l->used - 1;
}

static int64_t num(json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(ev, key));
}

static const char *str(json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s != NULL ? s : "?";
}

static bool flag(json_t *ev, const char *key)
{
    return json_is_true(json_object_get(ev, key));
}

static int task_index(const sb_narrate_t *n, const char *name)
{
    for (int i = 0; i < n->tasks_count; i++)
        if (strcmp(n->tasks[i].name, name) == 0)
            return i;
    return -1;
}

static const nchan_t *chan(const sb_narrate_t *n, int number)
{
    for (int i = 0; i < n->chans_count; i++)
        if (n->chans[i].number == number)
            return &n->chans[i];
    return NULL;
}

/* "source-0→map-1", or "channel 7" when the job graph does not say. */
static void say_chan(line_t *l, const sb_narrate_t *n, int number)
{
    const nchan_t *c = chan(n, number);
    if (c == NULL)
        say(l, "channel %d", number);
    else
        say(l, "%s→%s", n->tasks[c->from].name, n->tasks[c->to].name);
}


/* Channel `number` from task `from` to task `to` (indexes; a negative or
 * unknown one, or a full table, leaves it out), and one more input of `to`:
 * what both graph events (job_graph, cl_graph) describe. */
static void add_channel(sb_narrate_t *n, int number, int from, int to)
{
    if (n->chans_count == CHANNELS_MAX || from < 0 || to < 0 || from >= n->tasks_count ||
        to >= n->tasks_count)
        return;
    n->chans[n->chans_count++] = (nchan_t){ .number = number, .from = from, .to = to };
    ntask_t *t = &n->tasks[to];
    if (t->inputs_count < INPUTS_MAX)
        t->inputs[t->inputs_count++] = number;
}

static void job_graph(sb_narrate_t *n, json_t *ev)
{
    memset(n->tasks, 0, sizeof n->tasks);
    n->tasks_count = n->chans_count = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(ev, "tasks"), i, v) {
        if (n->tasks_count == TASKS_MAX)
            break;
        snprintf(n->tasks[n->tasks_count++].name, NAME_BYTES_MAX, "%s", str(v, "name"));
    }
    json_array_foreach(json_object_get(ev, "channels"), i, v) {
        add_channel(n, (int)num(v, "channel"), task_index(n, str(v, "from")),
                    task_index(n, str(v, "to")));
    }
    n->unaligned = flag(ev, "unaligned");
}

/* The classic model's graph: processes P0, P1, … and their channels. */
static void cl_graph(sb_narrate_t *n, json_t *ev)
{
    memset(n->tasks, 0, sizeof n->tasks);
    n->tasks_count = n->chans_count = 0;
    n->classic = true;
    int processes = (int)num(ev, "processes");
    for (int p = 0; p < processes && p < TASKS_MAX; p++)
        snprintf(n->tasks[n->tasks_count++].name, NAME_BYTES_MAX, "P%d", p);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(ev, "channels"), i, v) {
        add_channel(n, (int)num(v, "channel"), (int)num(v, "from"), (int)num(v, "to"));
    }
}

static void say_inputs(line_t *l, const sb_narrate_t *n, int p, int except)
{
    if (p < 0 || p >= n->tasks_count)
        return;
    const ntask_t *t = &n->tasks[p];
    int said = 0;
    for (int i = 0; i < t->inputs_count; i++) {
        if (t->inputs[i] == except)
            continue;
        say(l, "%s", said++ ? ", " : "");
        say_chan(l, n, t->inputs[i]);
    }
    if (said == 0)
        say(l, "no channel");
}

/* Classic Chandy–Lamport's events (classic.h). */
static bool classic_event(line_t *l, sb_narrate_t *n, const char *name, json_t *ev)
{
    int p = (int)num(ev, "process");
    int64_t k = num(ev, "snapshot");
    if (strcmp(name, "cl_graph") == 0) {
        cl_graph(n, ev);
        say(l, "the graph: %d processes, %d channels (%s), %" PRId64 " tokens each, %" PRId64
            " in all", n->tasks_count, n->chans_count, flag(ev, "fifo") ? "FIFO" : "NOT FIFO",
            num(ev, "tokens"), num(ev, "total"));
    } else if (strcmp(name, "cl_recorded") == 0) {
        bool initiator = flag(ev, "initiator");
        int64_t balance = num(ev, "balance");
        say(l, "P%d records its state for snapshot %" PRId64 ": %" PRId64 " token%s%s; records ",
            p, k, balance, balance == 1 ? "" : "s", initiator ? " (it initiates)" : "");
        int except = -1;
        if (!initiator && p >= 0 && p < n->tasks_count && n->tasks[p].marker_snapshot == k)
            except = n->tasks[p].marker_channel;
        say_inputs(l, n, p, except);
        say(l, " until the marker comes on each");
    } else if (strcmp(name, "marker_sent") == 0) {
        say(l, "P%d sends marker %" PRId64 " on ", p, k);
        say_chan(l, n, (int)num(ev, "channel"));
        say(l, " (after %" PRId64 " messages)", num(ev, "position"));
    } else if (strcmp(name, "marker_received") == 0) {
        if (flag(ev, "first") && p >= 0 && p < n->tasks_count) {
            n->tasks[p].marker_snapshot = k;
            n->tasks[p].marker_channel = (int)num(ev, "channel");
        }
        say(l, "P%d receives marker %" PRId64 " on ", p, k);
        say_chan(l, n, (int)num(ev, "channel"));
        say(l, flag(ev, "first") ? ": its first of this snapshot, so that channel's state is "
                                   "empty" : ": it stops recording that channel");
    } else if (strcmp(name, "cl_channel_recorded") == 0) {
        int64_t msgs = num(ev, "messages");
        say(l, "P%d's record of ", p);
        say_chan(l, n, (int)num(ev, "channel"));
        if (msgs == 0)
            say(l, " for snapshot %" PRId64 ": empty", k);
        else
            say(l, " for snapshot %" PRId64 ": %" PRId64 " message%s, %" PRId64 " tokens in "
                "flight across the cut", k, msgs, msgs == 1 ? "" : "s", num(ev, "tokens"));
    } else if (strcmp(name, "cl_crash") == 0) {
        say(l, "CRASH: P%d loses its state; everything stops: messages in flight are lost, "
            "snapshots in progress abandoned", p);
    } else if (strcmp(name, "cl_snapshot_abandoned") == 0) {
        say(l, "snapshot %" PRId64 " is abandoned: it was in progress when the crash came", k);
    } else if (strcmp(name, "cl_restore") == 0) {
        say(l, k > 0 ? "ROLLBACK to snapshot %" PRId64 ", the newest completed: every process "
                       "takes back its recorded balance, every channel's recorded messages go "
                       "back in flight (%" PRId64 " tokens in all)"
                     : "ROLLBACK to the initial state (snapshot %" PRId64 ": none completed "
                       "yet; %" PRId64 " tokens in all)", k, num(ev, "tokens"));
    } else if (strcmp(name, "cl_snapshot_done") == 0) {
        say(l, "P%d is done with snapshot %" PRId64 ": a marker came on every incoming channel",
            p, k);
    } else {
        return false;
    }
    return true;
}

/* ------------------------------------------------------------ checkpoints */

/* "…; blocks that channel; still waiting for a→b, c→b" while aligning. */
static void say_alignment(line_t *l, sb_narrate_t *n, ntask_t *t, int64_t id, int channel)
{
    if (t->aligning_id != id) {
        t->aligning_id = id;
        t->reached = 0;
    }
    int waiting[INPUTS_MAX], w = 0;
    for (int ci = 0; ci < t->inputs_count; ci++) {
        if (t->inputs[ci] == channel)
            t->reached |= 1ull << ci;
        else if (!(t->reached & (1ull << ci)))
            waiting[w++] = t->inputs[ci];
    }
    if (t->snapshot_id >= id) {
        say(l, "; it has snapshotted already");
        return;
    }
    if (w == 0) {
        say(l, t->inputs_count > 1 ? "; the last one it waited for" : "");
        return;
    }
    say(l, "; blocks that channel; still waiting for ");
    for (int k = 0; k < w && k < WAITING_SHOWN_MAX; k++) {
        say(l, "%s", k ? ", " : "");
        say_chan(l, n, waiting[k]);
    }
    if (w > WAITING_SHOWN_MAX)
        say(l, " and %d more", w - WAITING_SHOWN_MAX);
}

static void say_positions(line_t *l, json_t *pairs, const char *verb)
{
    int64_t total = 0;
    size_t i, count = json_array_size(pairs);
    json_t *p;
    json_array_foreach(pairs, i, p)
        total += json_integer_value(json_array_get(p, 1));
    if (count > 0)
        say(l, "%s %" PRId64 " record%s%s", verb, total, total == 1 ? "" : "s",
            count > 1 ? " in all" : "");
}

static void snapshot(line_t *l, sb_narrate_t *n, json_t *ev, int64_t id)
{
    int i = task_index(n, str(ev, "task"));
    if (i >= 0 && id > n->tasks[i].snapshot_id)
        n->tasks[i].snapshot_id = id;
    bool unaligned = flag(ev, "unaligned");
    say(l, "%s snapshots checkpoint %" PRId64 "%s: ", str(ev, "task"), id,
        unaligned ? " UNALIGNED (at once, not waiting for its other barriers)" : "");
    say_positions(l, json_object_get(ev, "inputs"), "it has read");
    if (json_array_size(json_object_get(ev, "inputs")) > 0 &&
        json_array_size(json_object_get(ev, "outputs")) > 0)
        say(l, ", ");
    say_positions(l, json_object_get(ev, "outputs"), "sent");
    json_t *offsets = json_object_get(ev, "offsets");
    const char *partition;
    json_t *offset;
    json_object_foreach(offsets, partition, offset)
        say(l, "; next offset of partition %s: %" JSON_INTEGER_FORMAT, partition,
            json_integer_value(offset));
    size_t pending = json_array_size(json_object_get(ev, "pending"));
    if (json_object_get(ev, "pending") != NULL)
        say(l, "; %zu upload%s pending", pending, pending == 1 ? "" : "s");
}

static void channel_state(line_t *l, const sb_narrate_t *n, json_t *ev, int64_t id)
{
    say(l, "%s records the channel state of checkpoint %" PRId64 ": ", str(ev, "task"), id);
    size_t i;
    json_t *r;
    int shown = 0;
    json_array_foreach(json_object_get(ev, "ranges"), i, r) {
        int64_t from = json_integer_value(json_array_get(r, 1));
        int64_t to = json_integer_value(json_array_get(r, 2));
        if (to <= from)
            continue;
        say(l, "%s", shown++ ? ", " : "");
        if (to == from + 1)
            say(l, "record %" PRId64 " on ", to);
        else
            say(l, "records %" PRId64 "..%" PRId64 " on ", from + 1, to);
        say_chan(l, n, (int)json_integer_value(json_array_get(r, 0)));
    }
    if (shown == 0)
        say(l, "nothing was in flight");
    else
        say(l, " (%" PRId64 " in flight across the cut, kept for a restore)", num(ev, "records"));
}

/* ------------------------------------------------------------ events */

static bool checkpoint_event(line_t *l, sb_narrate_t *n, const char *name, json_t *ev)
{
    int64_t id = num(ev, "checkpoint");
    const char *task = str(ev, "task");
    if (strcmp(name, "checkpoint_triggered") == 0) {
        say(l, "the coordinator triggers checkpoint %" PRId64 "%s: the sources will snapshot "
            "and send barrier %" PRId64, id, flag(ev, "final") ? " (the final one)" : "", id);
    } else if (strcmp(name, "barrier_sent") == 0) {
        say(l, "%s sends barrier %" PRId64 " on ", task, id);
        say_chan(l, n, (int)num(ev, "channel"));
        say(l, " after record %" PRId64 "%s", num(ev, "position"),
            flag(ev, "unaligned") ? " (unaligned: it will overtake queued records)" : "");
    } else if (strcmp(name, "barrier_received") == 0) {
        int64_t ahead = num(ev, "position") - num(ev, "read");
        say(l, "%s hears of barrier %" PRId64 " on ", task, id);
        say_chan(l, n, (int)num(ev, "channel"));
        say(l, ": it comes after record %" PRId64 "; %s has read %" PRId64, num(ev, "position"),
            task, num(ev, "read"));
        if (ahead > 0)
            say(l, ", so %" PRId64 " record%s still ahead of it", ahead, ahead == 1 ? " is" : "s are");
    } else if (strcmp(name, "barrier_reached") == 0) {
        int i = task_index(n, task);
        say(l, "%s receives barrier %" PRId64 " on ", task, id);
        say_chan(l, n, (int)num(ev, "channel"));
        say(l, " (it has read up to it)");
        if (i >= 0)
            say_alignment(l, n, &n->tasks[i], id, (int)num(ev, "channel"));
    } else if (strcmp(name, "alignment_started") == 0) {
        say(l, "%s starts aligning checkpoint %" PRId64 ": it stops reading each input whose "
            "barrier came, until all have", task, id);
    } else if (strcmp(name, "alignment_ended") == 0) {
        say(l, "%s's alignment of checkpoint %" PRId64 " is over: it reads every input again",
            task, id);
    } else if (strcmp(name, "alignment_timeout") == 0) {
        say(l, "%s stops aligning checkpoint %" PRId64 ": past the aligned-checkpoint timeout, "
            "it goes unaligned", task, id);
    } else if (strcmp(name, "alignment_abandoned") == 0) {
        say(l, "%s abandons checkpoint %" PRId64 ": a newer checkpoint's barrier came", task, id);
    } else if (strcmp(name, "barrier_dropped") == 0) {
        say(l, "%s drops barrier %" PRId64 ": too many announced ahead of its reading", task, id);
    } else if (strcmp(name, "snapshot") == 0) {
        snapshot(l, n, ev, id);
    } else if (strcmp(name, "channel_state") == 0) {
        channel_state(l, n, ev, id);
    } else if (strcmp(name, "ack") == 0) {
        say(l, "%s acknowledges checkpoint %" PRId64 " (%.3f ms after the trigger)", task, id,
            (double)(num(ev, "t_ns") - num(ev, "trigger_ns")) / 1e6);
    } else {
        return false;
    }
    return true;
}

/* How long a pause lasts: its for_ns, or the ns its detail names ("the
 * worker is stopped (SIGSTOP) for N ns"); -1 when neither says. */
static int64_t pause_ns(json_t *ev)
{
    json_t *for_ns = json_object_get(ev, "for_ns");
    if (json_is_integer(for_ns))
        return json_integer_value(for_ns);
    const char *detail = json_string_value(json_object_get(ev, "detail"));
    const char *at = detail != NULL ? strstr(detail, " for ") : NULL;
    long long ns = -1;
    char unit[4] = "";
    if (at != NULL && sscanf(at, " for %lld %3s", &ns, unit) == 2 && strcmp(unit, "ns") == 0)
        return ns;
    return -1;
}

/* A pause's, a delay spike's or a slow subtask's window opens or closes. */
static void fault_window(line_t *l, const sb_narrate_t *n, const char *name, json_t *ev)
{
    bool started = strcmp(name, "fault_started") == 0, classic = n->classic;
    const char *from = str(ev, "from"), *to = str(ev, "to");
    const char *any = classic ? "any process" : "any stage";
    if (strcmp(str(ev, "kind"), "pause") == 0) {
        int64_t ns = pause_ns(ev);
        if (!started)
            say(l, "the pause is over: the worker goes on where it stopped");
        else if (ns >= 0)
            say(l, "PAUSE: the worker is stopped for %.3f ms (SIGSTOP): its subtasks and "
                "coordinator do nothing meanwhile; what is in flight to it still arrives",
                (double)ns / 1e6);
        else
            say(l, "PAUSE: the worker is stopped (SIGSTOP): its subtasks and coordinator do "
                "nothing meanwhile; what is in flight to it still arrives");
        return;
    }
    if (strcmp(str(ev, "kind"), "slow") == 0) {
        if (started)
            say(l, "SLOW: %s now takes %.3f ms per record; with bounded channels its inputs "
                "fill and backpressure reaches upstream", str(ev, "task"),
                (double)num(ev, "process_ns") / 1e6);
        else
            say(l, "%s is back to its stage's pace", str(ev, "task"));
        return;
    }
    if (!started) {
        say(l, "the delay spike is over");
        return;
    }
    say(l, "DELAY SPIKE: everything sent on channels from %s%s to %s%s takes %.3f ms more "
        "(FIFO order kept)", classic && from[0] ? "P" : "", from[0] ? from : any,
        classic && to[0] ? "P" : "", to[0] ? to : any, (double)num(ev, "extra_ns") / 1e6);
}

static bool job_event(line_t *l, sb_narrate_t *n, const char *name, json_t *ev)
{
    int64_t id = num(ev, "checkpoint");
    const char *task = str(ev, "task");
    if (strcmp(name, "run_started") == 0) {
        say(l, "run of %s, seed %" PRId64 ", %s", str(ev, "scenario"), num(ev, "seed"),
            str(ev, "mode"));
    } else if (strcmp(name, "worker_started") == 0) {
        say(l, "worker attempt %" PRId64 " starts", num(ev, "attempt"));
    } else if (strcmp(name, "job_graph") == 0) {
        job_graph(n, ev);
        say(l, "the job: %d subtasks, %d channels; checkpoints %s%s", n->tasks_count,
            n->chans_count, str(ev, "mode"), n->unaligned ? ", unaligned" : ", aligned");
    } else if (strcmp(name, "restore") == 0) {
        if (id == 0)
            say(l, "no completed checkpoint: every subtask starts from nothing");
        else
            say(l, "restore from checkpoint %" PRId64 ", the newest completed one: every subtask "
                "takes back its snapshot; new checkpoints are numbered from %" PRId64, id,
                num(ev, "next_checkpoint"));
    } else if (strcmp(name, "source_started") == 0) {
        const char *partition;
        json_t *offset;
        say(l, "%s starts reading", task);
        json_object_foreach(json_object_get(ev, "offsets"), partition, offset)
            say(l, " partition %s at offset %" JSON_INTEGER_FORMAT, partition,
                json_integer_value(offset));
    } else if (strcmp(name, "source_finished") == 0) {
        say(l, "%s has read all its input", task);
    } else if (strcmp(name, "channel_state_restored") == 0) {
        say(l, "%s replays the %" PRId64 " in-flight records of checkpoint %" PRId64 " before "
            "reading anything new", task, num(ev, "records"), id);
    } else if (strcmp(name, "sink_stage") == 0) {
        say(l, "%s stages what it received since its last snapshot as %s: invisible until a "
            "checkpoint >= %" PRId64 " completes", task, str(ev, "key"), id);
    } else if (strcmp(name, "sink_commit") == 0) {
        say(l, flag(ev, "published") ? "%s publishes %s (output of checkpoint %" PRId64 ")"
                                     : "%s finds %s already published (checkpoint %" PRId64 ")",
            task, str(ev, "key"), id);
    } else if (strcmp(name, "sink_abort") == 0) {
        say(l, "%s aborts %s: no completed checkpoint knows it; its records come again",
            task, str(ev, "key"));
    } else if (strcmp(name, "crash") == 0 && json_object_get(ev, "task") != NULL) {
        say(l, "FAILOVER: the job notices that %s failed; attempt %" PRId64 " is cancelled "
            "whole (subtasks, channels, records in flight), storage stays", task,
            num(ev, "attempt"));
    } else if (strcmp(name, "crash") == 0) {
        say(l, "CRASH: worker attempt %" PRId64 " is killed; subtasks, channels and records in "
            "flight are gone, storage stays", num(ev, "attempt"));
    } else if (strcmp(name, "fault_fired") == 0 && json_object_get(ev, "point") != NULL) {
        say(l, "CRASH POINT: the worker kills itself at %s", str(ev, "point"));
        if (id > 0)
            say(l, " (checkpoint %" PRId64 ", hit %" PRId64 ")", id, num(ev, "hit"));
        else
            say(l, " (hit %" PRId64 ")", num(ev, "hit"));
    } else if (strcmp(name, "task_failed") == 0) {
        say(l, "TASK FAILED: %s dies; it reads, forwards and acknowledges nothing more, so its "
            "inputs fill up and no checkpoint can complete until the job fails over", task);
    } else if (strcmp(name, "fault_started") == 0 || strcmp(name, "fault_ended") == 0) {
        fault_window(l, n, name, ev);
    } else if (strcmp(name, "worker_failed") == 0) {
        say(l, "worker attempt %" PRId64 " fails (too many failed checkpoints); it restarts",
            num(ev, "attempt"));
    } else if (strcmp(name, "job_finished") == 0) {
        say(l, "the job is finished: every sink committed the final checkpoint");
    } else if (strcmp(name, "run_finished") == 0) {
        say(l, "verdict: %s", flag(ev, "verified_ok") ? "OK" : "VIOLATED");
    } else {
        return false;
    }
    return true;
}

sb_narrate_kind_t sb_narrate_event(sb_narrate_t *n, json_t *ev, char *buf, size_t len)
{
    assert(len > 0);
    buf[0] = '\0';
    const char *name = json_string_value(json_object_get(ev, "event"));
    if (name == NULL)
        return SB_NARRATE_SKIP;
    int64_t t = num(ev, "t_ns");
    if (!n->origin_set) {
        n->origin_set = true;
        n->origin_ns = t;
    }
    line_t l = { .buf = buf, .len = len };
    say(&l, "t=%9.3f ms  ", (double)(t - n->origin_ns) / 1e6);
    if (strcmp(name, "checkpoint_completed") == 0) {
        say(&l, "checkpoint %" PRId64 " COMPLETED: every subtask acknowledged; together their "
            "snapshots and channel states are one consistent global state", num(ev, "checkpoint"));
        return SB_NARRATE_CHECKPOINT_END;
    }
    if (strcmp(name, "cl_snapshot_completed") == 0) {
        say(&l, "snapshot %" PRId64 " COMPLETE: every process recorded its state and its "
            "incoming channels", num(ev, "snapshot"));
        return SB_NARRATE_CHECKPOINT_END;
    }
    if (strcmp(name, "checkpoint_aborted") == 0) {
        say(&l, "checkpoint %" PRId64 " ABORTED (%s)", num(ev, "checkpoint"), str(ev, "reason"));
        return SB_NARRATE_CHECKPOINT_END;
    }
    if (checkpoint_event(&l, n, name, ev) || job_event(&l, n, name, ev) ||
        classic_event(&l, n, name, ev))
        return SB_NARRATE_LINE;
    buf[0] = '\0';
    return SB_NARRATE_SKIP;
}
