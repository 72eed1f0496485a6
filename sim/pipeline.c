/* pipeline.c — see pipeline.h.
 *
 * Invariants the driver keeps, because the barrier handler asserts them:
 * - per channel, records are delivered (EV_DELIVER) in the order they were
 *   sent (with fifo: false, in the order of their own delivery times, see
 *   push), announcements (EV_ANNOUNCE) in the order barriers were sent,
 *   and no record or end marker is delivered before an announcement sent
 *   earlier on the same channel (its delivery time is at least the
 *   announcement's, and at equal times the earlier-scheduled event goes
 *   first): so a receiver has always heard of a barrier before it can read
 *   past its position — with fifo: false too, since at most the records
 *   sent before a barrier can be delivered before its announcement;
 * - a subtask reads at most one record per step and only from an input the
 *   handler does not block, after handing the handler every barrier due at
 *   the input's read position;
 * - records in a channel = sent - read <= capacity, except right after a
 *   restore: a replayed channel state is emitted whole before anything
 *   else (as the runtime replays before it reads), whatever the room.
 * A crash clears the event queue: nothing of a dead incarnation happens
 * after it. One that comes inside a handler (a crash point, reached
 * through the subtask layer, the coordinator, the sink or the restore)
 * stops that handler at once: the layer returns false, the callers check
 * `running`, and wake() schedules nothing for a dead incarnation. A failed subtask (crash: task) is dead until the failover: it
 * reads, processes, forwards and acknowledges nothing, and every event
 * addressed to it is dropped; what it sent before it died still arrives.
 * A delay spike adds its `extra` to a send's drawn delay before the FIFO
 * max, so order on a channel is kept. */
#include "pipeline.h"

#include <assert.h>
#include <jansson.h>
#include <stdatomic.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "barrier.h"
#include "checkpoint_store.h"
#include "chstate.h"
#include "coordinator.h"
#include "crashpoint.h"
#include "simstore.h"
#include "sink.h"
#include "store.h"
#include "subtask.h"
#include "subtask_script.h"
#include "topology.h"
#include "verdict.h"

#define ANN_RING 32            /* announcements in transit on one channel */
#define TRIGGERS_RING 64       /* trigger times of recent checkpoints, by id */
#define KILLS_MAX 64           /* random kills planned in one run */
#define RANDOM_KILL_FROM 0.10  /* seeded kills fall in this share of the input, */
#define RANDOM_KILL_TO 0.90    /* as snapbed run plans them (cli/run.c) */

enum {
    EV_RESTART = 1,            /* a: -; start the next incarnation */
    EV_FAULT,                  /* a: fault index */
    EV_COORD_TICK,
    EV_SAMPLE,
    EV_TRIGGER,                /* a: source task, b: checkpoint */
    EV_SOURCE_EMIT,            /* a: source task */
    EV_STEP,                   /* a: task */
    EV_DELIVER,                /* a: channel: its next record is there */
    EV_DELIVER_END,            /* a: channel: its end of input is there */
    EV_ANNOUNCE,               /* a: channel: its next announcement */
    EV_ALIGN_TICK,             /* a: task: the alignment timeout may have passed */
    EV_ACK,                    /* a: task, b: checkpoint */
    EV_NOTIFY,                 /* a: sink task, b: completed checkpoint */
    EV_FAULT_END,              /* a: fault index: a spike's or slow's window is over */
    EV_DETECT,                 /* a: fault index: a failed task is noticed; failover */
    EV_DECLINE,                /* a: task, b: checkpoint it cannot take part in */
};

typedef struct chan {
    sb_simstore_rec_t *q;      /* records sent, not read, in delivery order: the
                                  receiver's positions read+1..sent */
    int64_t *q_due;            /* their delivery times (same ring) */
    size_t q_head, q_count, q_cap;
    int64_t pushed, delivered, consumed;
    int64_t last_delivery_ns, last_announce_ns;
    sb_barrier_announcement_t ann[ANN_RING];
    int ann_head, ann_count;
    bool end_sent, end_delivered;
    int64_t end_position;
    bool sender_waiting;       /* the sender found it full */
} chan_t;

/* What a snapshot took, kept until it is persisted at the ack. */
typedef struct taken {
    int64_t processed, next_offset;
    json_t *sink_state;        /* runtime/sink.c's pending list */
} taken_t;

typedef struct task {
    sb_pipeline_t *p;
    int index;
    const sb_topology_task_t *topo;
    const sb_simscenario_stage_t *stage;
    sb_barrier_t *barrier;     /* non-sources */
    bool scheduled;            /* an EV_STEP or EV_SOURCE_EMIT is queued */
    bool dead;                 /* failed (crash: task) until the failover */
    int64_t busy_until_ns;
    unsigned rr[SB_TOPOLOGY_GROUPS_MAX]; /* round-robin, per consuming stage */
    int64_t processed;
    /* source */
    int64_t next_offset, next_emit_ns;
    bool finished, ended;
    /* operators and sinks */
    bool input_ended;
    /* sink: the runtime's two-phase commit (runtime/sink.c) on mem:// */
    sb_sink_t sink;
    const char *sink_value;    /* what every output line carries */
    size_t sink_value_len;
    bool done;
    /* checkpoints: the protocol's part (runtime/subtask.h), what the
     * snapshot took, the channel state recorded since, input by input */
    sb_subtask_t sub;
    taken_t taken;
    sb_simstore_recs_t capture[SB_SIMSCENARIO_INPUTS_MAX];
    int64_t timeout_tick_id;
} task_t;

struct sb_pipeline {
    const sb_simscenario_t *s;
    sb_engine_t *e;
    sb_topology_t topo;
    /* What survives a crash, as a real run's storage does: runtime/
     * checkpoint_store.c and runtime/sink.c on mem://NAME (this pipeline's
     * own namespace): NAME/checkpoints and NAME/output. */
    sb_cpstore_t cps;
    sb_store_t output;
    char store_name[32];       /* NAME */
    int64_t ckpt_bytes[TRIGGERS_RING]; /* by id: what its snapshots hold */
    int64_t next_id;           /* the next incarnation's first checkpoint id */
    sb_barrier_config_t bcfg;
    task_t tasks[SB_SIMSCENARIO_TASKS_MAX];
    chan_t chans[SB_SIMSCENARIO_CHANNELS_MAX];
    sb_coord_t coord;
    int attempt;               /* -1 before the first incarnation */
    int pid;
    bool running;              /* an incarnation is up */
    bool finished;
    int sources_finished, sinks_done;
    int64_t final_id;
    int64_t trigger_ns[TRIGGERS_RING];
    bool fault_fired[SB_SIMSCENARIO_FAULTS_MAX];
    bool fault_ended[SB_SIMSCENARIO_FAULTS_MAX]; /* spike, slow: fault_ended traced */
    uint64_t seed;
    /* crash points: hits in this incarnation, per fault (as a worker counts) */
    int64_t point_hits[SB_SIMSCENARIO_FAULTS_MAX];
    /* random kills: seeded shares of the input, in order; one at a time */
    struct { int fault; double fraction; bool fired; } kills[KILLS_MAX];
    int kills_count, kills_next;
    int64_t paused_until_ns;   /* pause: the job is frozen until then; 0 none */
    sb_pipeline_stats_t stats;
};

#define TB(p) (&(p)->e->trace)
#define NOW(p) ((p)->e->now_ns)

/* ------------------------------------------------------------ tracing */

static void tr_begin(sb_pipeline_t *p, const char *event, int pid)
{
    sb_tracebuf_begin(TB(p), event, NOW(p), pid);
}

/* A worker event about a task (and a checkpoint, if id > 0); the caller
 * adds fields and ends the line. */
static void tr_task(sb_pipeline_t *p, const char *event, const task_t *t, int64_t id)
{
    tr_begin(p, event, p->pid);
    sb_tracebuf_printf(TB(p), ",\"task\":\"%s\"", t->topo->name);
    if (id > 0)
        sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64, id);
}

static void tr_task_line(sb_pipeline_t *p, const char *event, const task_t *t, int64_t id)
{
    tr_task(p, event, t, id);
    sb_tracebuf_end(TB(p));
}

static void tr_record(sb_pipeline_t *p, const char *event, const task_t *t, int channel,
                      int64_t position, sb_simstore_rec_t rec)
{
    if (!p->s->trace_records)
        return;
    tr_task(p, event, t, 0);
    sb_tracebuf_printf(TB(p), ",\"channel\":%d,\"first\":%" PRId64 ",\"ids\":[\"%d:%" PRId64
                       "\"]", channel, position, (int)rec.partition, rec.offset);
    sb_tracebuf_end(TB(p));
}

/* ------------------------------------------------------------ channels */

static chan_t *in_chan(sb_pipeline_t *p, const task_t *t, int ci)
{
    return &p->chans[t->topo->inputs[ci]];
}

static bool chan_full(const sb_pipeline_t *p, const chan_t *ch)
{
    return ch->pushed - ch->consumed >= p->s->channel_capacity;
}

static int q_grow(chan_t *ch)
{
    if (ch->q_cap >= SB_SIMSTORE_RECORDS_MAX)
        return -1;
    size_t cap = ch->q_cap == 0 ? 64 : ch->q_cap * 2;
    sb_simstore_rec_t *q = malloc(cap * sizeof *q);
    int64_t *due = malloc(cap * sizeof *due);
    if (q == NULL || due == NULL) {
        free(q);
        free(due);
        return -1;
    }
    for (size_t k = 0; k < ch->q_count; k++) {
        q[k] = ch->q[(ch->q_head + k) & (ch->q_cap - 1)];
        due[k] = ch->q_due[(ch->q_head + k) & (ch->q_cap - 1)];
    }
    free(ch->q);
    free(ch->q_due);
    ch->q = q;
    ch->q_due = due;
    ch->q_cap = cap;
    ch->q_head = 0;
    return 0;
}

/* Queues a record due at due_ns, behind every queued record due no later
 * (a FIFO channel's records come due in sending order, so it goes last).
 * It never passes a delivered record: those were due by now. */
static int q_push(chan_t *ch, sb_simstore_rec_t rec, int64_t due_ns)
{
    if (ch->q_count == ch->q_cap && q_grow(ch) != 0)
        return -1;
    size_t mask = ch->q_cap - 1, k = ch->q_count++;
    size_t delivered = (size_t)(ch->delivered - ch->consumed);
    for (; k > 0 && ch->q_due[(ch->q_head + k - 1) & mask] > due_ns; k--) {
        assert(k > delivered);
        ch->q[(ch->q_head + k) & mask] = ch->q[(ch->q_head + k - 1) & mask];
        ch->q_due[(ch->q_head + k) & mask] = ch->q_due[(ch->q_head + k - 1) & mask];
    }
    ch->q[(ch->q_head + k) & mask] = rec;
    ch->q_due[(ch->q_head + k) & mask] = due_ns;
    return 0;
}

/* The record at `position` (read < position <= sent). */
static sb_simstore_rec_t q_at(const chan_t *ch, int64_t position)
{
    int64_t k = position - ch->consumed - 1;
    assert(k >= 0 && (size_t)k < ch->q_count);
    return ch->q[(ch->q_head + (size_t)k) & (ch->q_cap - 1)];
}

static sb_simstore_rec_t q_pop(chan_t *ch)
{
    assert(ch->q_count > 0);
    sb_simstore_rec_t rec = ch->q[ch->q_head];
    ch->q_head = (ch->q_head + 1) & (ch->q_cap - 1);
    ch->q_count--;
    return rec;
}

/* Whether fault f (a spike) delays channel c. */
static bool spike_hits(const sb_pipeline_t *p, const sb_simscenario_fault_t *f, int c)
{
    const sb_topology_channel_t *ch = &p->topo.channels[c];
    return (f->from_index < 0 || p->topo.tasks[ch->from].stage == f->from_index) &&
           (f->to_index < 0 || p->topo.tasks[ch->to].stage == f->to_index);
}

/* A send's delay on channel c: the distribution's draw, plus the extra of
 * every spike on now. The spikes draw nothing: a scenario without one
 * draws exactly what it drew before. */
static int64_t channel_delay(sb_pipeline_t *p, int c)
{
    int64_t d = sb_rng_draw(&p->e->rng, &p->s->channel_delay);
    for (int i = 0; i < p->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &p->s->faults[i];
        if (f->kind == SB_SIM_FAULT_DELAY_SPIKE && sb_simscenario_fault_active(f, NOW(p)) &&
            spike_hits(p, f, c))
            d += f->extra_ns;
    }
    return d;
}

static int64_t max3(int64_t a, int64_t b, int64_t c)
{
    int64_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* Sends a record: FIFO behind every record and announcement before it.
 * With fifo: false it is due at its own send time + delay, and may overtake
 * records sent before it — never an announcement: the receiver then counts
 * positions in the order records arrive, so a barrier "after P records" may
 * come after a record sent behind it (an orphan) and before one sent ahead
 * of it (in flight, recorded nowhere): what Chandy–Lamport's FIFO
 * assumption rules out. The record trace shows it (send and recv ids at a
 * position differ). */
static void push(sb_pipeline_t *p, task_t *t, int c, sb_simstore_rec_t rec)
{
    chan_t *ch = &p->chans[c];
    int64_t sent_ns = NOW(p) + channel_delay(p, c);
    int64_t d = p->s->fifo ? max3(sent_ns, ch->last_delivery_ns, ch->last_announce_ns)
                           : (sent_ns > ch->last_announce_ns ? sent_ns : ch->last_announce_ns);
    if (q_push(ch, rec, d) != 0) {
        sb_engine_fail(p->e, "channel %d holds more than %zu records", c,
                       (size_t)SB_SIMSTORE_RECORDS_MAX);
        return;
    }
    ch->pushed++;
    if (d > ch->last_delivery_ns)
        ch->last_delivery_ns = d; /* the end of input comes after every record */
    sb_engine_at(p->e, d, EV_DELIVER, c, 0);
    tr_record(p, "send", t, c, ch->pushed, rec);
}

/* Announces a barrier on the priority path: it may overtake queued
 * records, never an earlier announcement. */
static void announce(sb_pipeline_t *p, int c, const sb_barrier_announcement_t *a)
{
    chan_t *ch = &p->chans[c];
    if (ch->ann_count == ANN_RING) {
        sb_engine_fail(p->e, "more than %d barriers in transit on channel %d", ANN_RING, c);
        return;
    }
    ch->ann[(ch->ann_head + ch->ann_count++) % ANN_RING] = *a;
    int64_t d = NOW(p) + channel_delay(p, c);
    if (d < ch->last_announce_ns)
        d = ch->last_announce_ns;
    ch->last_announce_ns = d;
    sb_engine_at(p->e, d, EV_ANNOUNCE, c, 0);
}

static void send_end(sb_pipeline_t *p, task_t *t)
{
    for (int o = 0; o < t->topo->outputs_count; o++) {
        int c = t->topo->outputs[o];
        chan_t *ch = &p->chans[c];
        assert(!ch->end_sent);
        ch->end_sent = true;
        ch->end_position = ch->pushed;
        int64_t d = max3(NOW(p) + channel_delay(p, c), ch->last_delivery_ns,
                         ch->last_announce_ns);
        ch->last_delivery_ns = d;
        sb_engine_at(p->e, d, EV_DELIVER_END, c, 0);
    }
}

/* ------------------------------------------------------------ scheduling */

static bool is_source(const task_t *t)
{
    return t->topo->kind == SB_STAGE_SOURCE;
}

/* The task runs again as soon as it may (now, or when it is no longer
 * busy); one wake-up queued at a time. */
static void wake(sb_pipeline_t *p, task_t *t)
{
    if (t->scheduled || t->dead || !p->running)
        return; /* !running: it died in this very handler (a crash point) */
    t->scheduled = true;
    if (is_source(t))
        sb_engine_at(p->e, t->next_emit_ns > NOW(p) ? t->next_emit_ns : NOW(p), EV_SOURCE_EMIT,
                     t->index, 0);
    else
        sb_engine_at(p->e, t->busy_until_ns > NOW(p) ? t->busy_until_ns : NOW(p), EV_STEP,
                     t->index, 0);
}

/* A record left channel c: its sender may have been waiting for room. */
static void room_made(sb_pipeline_t *p, int c)
{
    chan_t *ch = &p->chans[c];
    if (!ch->sender_waiting)
        return;
    ch->sender_waiting = false;
    wake(p, &p->tasks[p->topo.channels[c].from]);
}

static const char *sink_value(const sb_pipeline_t *p, int stage, size_t *len);
static bool crash_point_hit(sb_pipeline_t *p, sb_crash_point_t point, int64_t id, bool final);

/* ------------------------------------------------------------ checkpoints */

/* The subtask layer (runtime/subtask.h) carries out the barrier handler's
 * decisions; these are its operations in virtual time. ctx is the task. */

static void capture_clear(task_t *t)
{
    for (int ci = 0; ci < t->topo->inputs_count; ci++)
        t->capture[ci].n = 0;
}

static int64_t op_now_ns(void *ctx)
{
    const task_t *t = ctx;
    return NOW(t->p);
}

/* The state at the cut: a source's next offset, a count of records
 * processed, a sink's pending uploads (its epoch staged first). */
static int op_take_state(void *ctx, int64_t id, bool unaligned, sb_subtask_fields_t *cut,
                         sb_err_t *err)
{
    (void)id, (void)err;
    task_t *t = ctx;
    if (t->topo->kind == SB_STAGE_SINK) {
        json_decref(t->taken.sink_state);
        t->taken.sink_state = sb_sink_state(&t->sink);
    }
    t->taken.processed = t->processed;
    t->taken.next_offset = t->next_offset;
    if (unaligned)
        capture_clear(t);
    if (is_source(t))
        sb_subtask_fields_add(cut, ",\"offsets\":{\"%d\":%" PRId64 "}", t->topo->partition,
                              t->next_offset);
    return 0;
}

static void op_output_cut(void *ctx, int o, int *channel, int64_t *emitted)
{
    const task_t *t = ctx;
    *channel = t->topo->outputs[o];
    *emitted = t->p->chans[*channel].pushed;
}

static bool op_forward_barrier(void *ctx, const sb_barrier_announcement_t *a)
{
    task_t *t = ctx;
    sb_barrier_announcement_t each = *a;
    for (int o = 0; o < t->topo->outputs_count; o++) {
        int c = t->topo->outputs[o];
        each.position = t->p->chans[c].pushed;
        announce(t->p, c, &each);
    }
    return true;
}

/* The record being read, or the records still in the channel. */
static int op_capture(void *ctx, int ci, int64_t from, int64_t to, const void *reading,
                      sb_err_t *err)
{
    task_t *t = ctx;
    const chan_t *ch = in_chan(t->p, t, ci);
    assert(reading != NULL ? to == from + 1 : to <= ch->pushed && from >= ch->consumed);
    for (int64_t pos = from + 1; pos <= to; pos++) {
        sb_simstore_rec_t rec = reading != NULL ? *(const sb_simstore_rec_t *)reading
                                                : q_at(ch, pos);
        if (sb_simstore_recs_push(&t->capture[ci], rec) != 0)
            return sb_err_set(err, "%s: channel state past %zu records", t->topo->name,
                              (size_t)SB_SIMSTORE_RECORDS_MAX);
    }
    return 0;
}

/* Stores the snapshot and its channel state, input by input, in order. */
/* The captured records, input by input in order, as runtime/chstate.c
 * encodes a real channel state, written next to the snapshot, which
 * references it. */
static int write_channel_state(sb_pipeline_t *p, task_t *t, int64_t id, json_t *state,
                               sb_subtask_persisted_t *out, sb_err_t *err)
{
    int64_t records = 0;
    for (int ci = 0; ci < t->topo->inputs_count; ci++)
        records += (int64_t)t->capture[ci].n;
    if (records == 0)
        return 0;
    sb_chstate_t cs;
    memset(&cs, 0, sizeof cs);
    sb_chstate_reset(&cs, id, t->topo->inputs_count);
    int rc = 0;
    for (int ci = 0; ci < t->topo->inputs_count && rc == 0; ci++)
        for (size_t k = 0; k < t->capture[ci].n && rc == 0; k++) {
            sb_record_t r = { .offset = t->capture[ci].v[k].offset,
                              .partition = t->capture[ci].v[k].partition };
            rc = sb_chstate_append(&cs, ci, &r, err);
        }
    size_t len = 0;
    if (rc == 0)
        rc = sb_cpstore_write_channel_state(&p->cps, id, t->topo->name, &cs, state, &len, err);
    sb_chstate_free(&cs);
    if (rc != 0)
        return rc;
    out->inflight_records = records;
    out->inflight_bytes = (int64_t)len;
    p->stats.channel_state_records += records;
    return 0;
}

static int op_persist(void *ctx, int64_t id, bool unaligned, sb_subtask_persisted_t *out,
                      sb_err_t *err)
{
    task_t *t = ctx;
    sb_pipeline_t *p = t->p;
    json_t *state = json_pack("{s:I,s:I}", "next_offset", (json_int_t)t->taken.next_offset,
                              "processed", (json_int_t)t->taken.processed);
    if (t->taken.sink_state != NULL)
        json_object_update(state, t->taken.sink_state); /* "pending" */
    int rc = 0;
    if (unaligned && (rc = write_channel_state(p, t, id, state, out, err)) != 0) {
        json_decref(state);
        return rc;
    }
    size_t bytes = 0;
    rc = sb_cpstore_write_snapshot(&p->cps, id, t->topo->name, state, &bytes, err);
    json_decref(state);
    out->state_bytes = (int64_t)bytes;
    p->ckpt_bytes[id % TRIGGERS_RING] += out->state_bytes + out->inflight_bytes;
    return rc;
}

static void op_ack(void *ctx, const sb_subtask_ack_t *a)
{
    task_t *t = ctx;
    sb_pipeline_t *p = t->p;
    sb_engine_after(p->e, sb_rng_draw(&p->e->rng, &p->s->rpc_delay),
                    a->declined ? EV_DECLINE : EV_ACK, t->index, a->checkpoint_id);
}

static void op_fail(void *ctx, const sb_err_t *err)
{
    task_t *t = ctx;
    sb_engine_fail(t->p->e, "%s", err->msg);
}

static void op_emit(void *ctx, const char *event, int64_t id, const char *fields, size_t len)
{
    task_t *t = ctx;
    tr_task(t->p, event, t, id);
    if (len > 0)
        sb_tracebuf_printf(TB(t->p), ",%.*s", (int)len, fields);
    sb_tracebuf_end(TB(t->p));
}

static bool op_crash_point(void *ctx, sb_crash_point_t point, int64_t id, bool final);

static bool sink_on_published(void *ctx, int64_t checkpoint_id);
static void sink_check_done(sb_pipeline_t *p, task_t *t);

static int op_sink_commit(void *ctx, int64_t upto, sb_err_t *err)
{
    task_t *t = ctx;
    int rc = sb_sink_commit(&t->sink, upto, err);
    if (rc == 0)
        sink_check_done(t->p, t);
    return rc; /* SB_SINK_STOPPED: it died mid-commit, the layer stops */
}


static bool op_end_of_input(void *ctx)
{
    task_t *t = ctx;
    t->input_ended = true;
    send_end(t->p, t);
    sink_check_done(t->p, t);
    return true;
}

static bool source_emit_one(sb_pipeline_t *p, task_t *t);

static bool op_emit_more(void *ctx)
{
    task_t *t = ctx;
    if (!t->finished)
        source_emit_one(t->p, t);
    return true;
}

static void op_unblocked(void *ctx)
{
    task_t *t = ctx;
    wake(t->p, t);
}

static const sb_subtask_ops_t subtask_ops = {
    .now_ns = op_now_ns,
    .take_state = op_take_state,
    .output_cut = op_output_cut,
    .forward_barrier = op_forward_barrier,
    .capture = op_capture,
    .persist = op_persist,
    .ack = op_ack,
    .fail = op_fail,
    .emit = op_emit,
    .crash_point = op_crash_point,
    .sink_commit = op_sink_commit,
    .end_of_input = op_end_of_input,
    .emit_more = op_emit_more,
    .unblocked = op_unblocked,
};

static void subtask_init(sb_pipeline_t *p, task_t *t)
{
    if (!is_source(t))
        sb_barrier_init(t->barrier, t->topo->inputs_count, &p->bcfg);
    capture_clear(t);
    sb_subtask_config_t cfg = { .name = t->topo->name, .kind = t->topo->kind,
                                .mutant = p->s->mutant, .inputs_count = t->topo->inputs_count,
                                .outputs_count = t->topo->outputs_count,
                                .input_channel = t->topo->inputs,
                                .barrier = is_source(t) ? NULL : t->barrier,
                                .sink = t->topo->kind == SB_STAGE_SINK ? &t->sink : NULL };
    sb_subtask_init(&t->sub, &cfg, &subtask_ops, t);
}

/* ------------------------------------------------------------ the sink */

static bool timed_fault(const sb_simscenario_fault_t *f);

static void job_finished(sb_pipeline_t *p)
{
    tr_begin(p, "job_finished", p->pid);
    sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64, p->coord.last_completed_id);
    sb_tracebuf_end(TB(p));
    p->finished = true;
    p->running = false;
    p->stats.finished = true;
    /* Faults that wait for a crash point or a share of the input and never
     * came: reported like a timed fault due after the end. */
    for (int i = 0; i < p->s->faults_count; i++)
        if (!timed_fault(&p->s->faults[i]) && !p->fault_fired[i])
            p->stats.faults_unfired++;
    for (int k = p->kills_next; k < p->kills_count; k++)
        if (p->fault_fired[p->kills[k].fault])
            p->stats.faults_unfired++; /* one of its kills did not come */
    sb_engine_stop(p->e);
}

/* A sink is done once its input ended and the final checkpoint's output
 * is committed; the job, once every sink is. */
static void sink_check_done(sb_pipeline_t *p, task_t *t)
{
    if (t->topo->kind != SB_STAGE_SINK || t->done || !t->input_ended ||
        t->sink.pending_count > 0 || t->sink.committed_upto < t->sub.last_snapshot_id)
        return;
    t->done = true;
    if (++p->sinks_done == p->topo.sinks_count)
        job_finished(p);
}

/* Between two uploads of one commit: the mid-commit crash point. */
static bool sink_on_published(void *ctx, int64_t checkpoint_id)
{
    task_t *t = ctx;
    return !crash_point_hit(t->p, SB_POINT_SINK_MID_COMMIT, checkpoint_id,
                            checkpoint_id == t->p->final_id);
}

/* The sink's own events (sink_stage, sink_commit, sink_abort), in virtual
 * time: the fields are runtime/sink.c's. */
static void sink_emit(void *ctx, const char *event, json_t *fields)
{
    task_t *t = ctx;
    char *text = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(fields);
    tr_task(t->p, event, t, 0);
    size_t n = text != NULL ? strlen(text) : 0;
    if (n > 2) /* {"a":1} -> ,"a":1 */
        sb_tracebuf_printf(TB(t->p), ",%.*s", (int)(n - 2), text + 1);
    sb_tracebuf_end(TB(t->p));
    free(text);
}

/* ------------------------------------------------------------ records */

static bool keeps(const task_t *t, sb_simstore_rec_t rec)
{
    return t->topo->kind != SB_STAGE_FILTER || rec.offset % t->stage->keep_every == 0;
}

/* One copy of a record on its way out: the channel and the copy, whose
 * virtual partition names its path (topology.h). */
typedef struct emit {
    int channel;
    sb_simstore_rec_t rec;
} emit_t;

/* Where a record goes: one copy per consuming stage (fan-out replicates),
 * each routed by that stage's connection; none from a sink or when a
 * filter drops it. Returns the number of copies. */
static int route(const task_t *t, sb_simstore_rec_t rec, emit_t *out)
{
    if (t->topo->kind == SB_STAGE_SINK || !keeps(t, rec))
        return 0;
    for (int g = 0; g < t->topo->groups_count; g++) {
        sb_simstore_rec_t copy = rec;
        copy.partition += t->topo->groups[g].path_base;
        int o = sb_topology_route(t->topo, g, copy.partition, copy.offset, t->rr[g]);
        out[g] = (emit_t){ .channel = t->topo->outputs[o], .rec = copy };
    }
    return t->topo->groups_count;
}

/* A subtask reads (or a source emits) only when every channel it will
 * write to has room: else it waits, marked on each full one, so that the
 * first consumer to make room wakes it (backpressure from any consumer). */
static bool room_for(sb_pipeline_t *p, const emit_t *out, int n)
{
    bool room = true;
    for (int k = 0; k < n; k++)
        if (chan_full(p, &p->chans[out[k].channel])) {
            p->chans[out[k].channel].sender_waiting = true;
            room = false;
        }
    return room;
}

/* The operator's work on one record, emitted at once. */
static void process(sb_pipeline_t *p, task_t *t, sb_simstore_rec_t rec, const emit_t *out,
                    int n)
{
    t->processed++;
    if (t->topo->kind == SB_STAGE_SINK) {
        sb_err_t err = { { 0 } };
        if (sb_sink_append(&t->sink, rec.partition, rec.offset, t->sink_value,
                           t->sink_value_len, &err) != 0)
            sb_engine_fail(p->e, "%s", err.msg);
        return;
    }
    for (int g = 0; g < n; g++) {
        if (t->topo->groups[g].connection == SB_CONNECTION_REBALANCE)
            t->rr[g]++;
        push(p, t, out[g].channel, out[g].rec);
    }
}

/* Whether input ci has something to read now: a record, or its end. */
static bool readable(sb_pipeline_t *p, task_t *t, int ci)
{
    const chan_t *ch = in_chan(p, t, ci);
    if (t->barrier->in[ci].ended || sb_barrier_is_blocked(t->barrier, ci) ||
        sb_barrier_is_due(t->barrier, ci))
        return false;
    return ch->delivered > ch->consumed || (ch->end_delivered && ch->consumed == ch->end_position);
}

/* The time a record takes: its stage's, or a slow fault's while it is on. */
static int64_t process_ns(const sb_pipeline_t *p, const task_t *t)
{
    int64_t ns = t->stage->process_ns;
    for (int i = 0; i < p->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &p->s->faults[i];
        if (f->kind == SB_SIM_FAULT_SLOW && f->stage == t->topo->stage &&
            f->subtask == t->topo->subtask && sb_simscenario_fault_active(f, NOW(p)))
            ns = f->process_ns;
    }
    return ns;
}

static void read_end(sb_pipeline_t *p, task_t *t, int ci)
{
    sb_subtask_end_of_input(&t->sub, ci, NULL);
    wake(p, t);
}

static void read_record(sb_pipeline_t *p, task_t *t, int ci)
{
    int c = t->topo->inputs[ci];
    chan_t *ch = &p->chans[c];
    sb_simstore_rec_t rec = q_at(ch, ch->consumed + 1);
    emit_t out[SB_TOPOLOGY_GROUPS_MAX];
    int n = route(t, rec, out);
    if (!room_for(p, out, n))
        return; /* backpressure: read it later */
    q_pop(ch);
    int64_t position = ++ch->consumed;
    tr_record(p, "recv", t, c, position, rec);
    sb_subtask_capture_read(&t->sub, ci, position - 1, 1, &rec); /* in flight across the cut */
    process(p, t, rec, out, n);
    room_made(p, c);
    t->busy_until_ns = NOW(p) + process_ns(p, t);
    sb_subtask_records_read(&t->sub, ci, 1);
    wake(p, t);
}

/* An operator or sink runs: barriers due first, then one item from an
 * input chosen at random among the readable ones. */
static void step(sb_pipeline_t *p, task_t *t)
{
    t->scheduled = false;
    if (t->busy_until_ns > NOW(p)) {
        wake(p, t);
        return;
    }
    if (!sb_subtask_arrive_due(&t->sub) || t->input_ended)
        return;
    int ready[SB_SIMSCENARIO_INPUTS_MAX], n = 0;
    for (int ci = 0; ci < t->topo->inputs_count; ci++)
        if (readable(p, t, ci))
            ready[n++] = ci;
    if (n == 0)
        return; /* a delivery or an announcement wakes it */
    int ci = n == 1 ? ready[0] : ready[sb_rng_below(&p->e->rng, (uint64_t)n)];
    const chan_t *ch = in_chan(p, t, ci);
    if (ch->delivered == ch->consumed)
        read_end(p, t, ci);
    else
        read_record(p, t, ci);
}

/* ------------------------------------------------------------ sources */

static void source_finish(sb_pipeline_t *p, task_t *t)
{
    t->finished = true;
    p->sources_finished++;
    tr_task_line(p, "source_finished", t, 0);
}

/* Emits the source's next record if its channel has room; false when it
 * is full (the sender then waits for room). */
static bool source_emit_one(sb_pipeline_t *p, task_t *t)
{
    sb_simstore_rec_t rec = {
        .partition = sb_topology_virtual_partition(&p->topo, t->topo->partition, 0),
        .offset = t->next_offset };
    emit_t out[SB_TOPOLOGY_GROUPS_MAX];
    int n = route(t, rec, out);
    if (!room_for(p, out, n))
        return false;
    t->next_offset++;
    p->stats.records_emitted++;
    process(p, t, rec, out, n);
    if (t->next_offset == p->s->records)
        source_finish(p, t);
    return true;
}

static bool random_kill_due(sb_pipeline_t *p);

static void source_emit(sb_pipeline_t *p, task_t *t)
{
    t->scheduled = false;
    if (t->finished || t->ended || random_kill_due(p))
        return;
    if (NOW(p) < t->next_emit_ns) {
        wake(p, t);
        return;
    }
    if (!source_emit_one(p, t) || t->finished)
        return;
    t->next_emit_ns = NOW(p) + p->s->source_interval_ns;
    wake(p, t);
}

/* The coordinator's trigger reached a source: its snapshot (offsets) is
 * taken and acknowledged before its barrier leaves, as in the runtime. */
static void source_trigger(sb_pipeline_t *p, task_t *t, int64_t id)
{
    if (t->ended)
        return;
    bool final = id == p->final_id;
    if (!sb_subtask_source_trigger(&t->sub, id, p->trigger_ns[id % TRIGGERS_RING], final))
        return;
    if (final) {
        t->ended = true;
        send_end(p, t);
    }
}

/* ------------------------------------------------------------ coordinator */

static void failover(sb_pipeline_t *p, bool injected, int fault);

static void coord_complete(sb_pipeline_t *p, int64_t id)
{
    if (crash_point_hit(p, SB_POINT_COORDINATOR_BEFORE_METADATA, id, id == p->final_id))
        return;
    /* The commit point, then retention, as runtime/job.c completes one. */
    int64_t bytes = p->ckpt_bytes[id % TRIGGERS_RING];
    json_t *meta = json_pack("{s:I,s:I,s:b}", "checkpoint", (json_int_t)id, "state_bytes",
                             (json_int_t)bytes, "unaligned", p->bcfg.unaligned);
    sb_err_t err = { { 0 } };
    int rc = sb_cpstore_write_metadata(&p->cps, id, meta, &err);
    json_decref(meta);
    if (rc != 0 || sb_cpstore_retain(&p->cps, &err) != 0) {
        sb_engine_fail(p->e, "completing checkpoint %" PRId64 ": %s", id, err.msg);
        return;
    }
    tr_begin(p, "checkpoint_completed", p->pid);
    sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64 ",\"state_bytes\":%" PRId64
                       ",\"final\":%s", id, bytes, id == p->final_id ? "true" : "false");
    sb_tracebuf_end(TB(p));
    p->stats.checkpoints_completed++;
    p->stats.last_completed = id;
    if (crash_point_hit(p, SB_POINT_COORDINATOR_AFTER_COMPLETE, id, id == p->final_id))
        return;
    for (int i = 0; i < p->topo.tasks_count; i++)
        if (p->tasks[i].topo->kind == SB_STAGE_SINK)
            sb_engine_after(p->e, sb_rng_draw(&p->e->rng, &p->s->rpc_delay), EV_NOTIFY, i, id);
}

static void coord_trigger(sb_pipeline_t *p, int64_t id, bool final)
{
    if (final)
        p->final_id = id;
    sb_err_t err = { { 0 } };
    if (sb_cpstore_mark_triggered(&p->cps, id, &err) != 0) {
        sb_engine_fail(p->e, "triggering checkpoint %" PRId64 ": %s", id, err.msg);
        return;
    }
    p->trigger_ns[id % TRIGGERS_RING] = NOW(p);
    p->ckpt_bytes[id % TRIGGERS_RING] = 0;
    tr_begin(p, "checkpoint_triggered", p->pid);
    sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64 ",\"final\":%s", id,
                       final ? "true" : "false");
    sb_tracebuf_end(TB(p));
    p->stats.checkpoints_triggered++;
    for (int i = 0; i < p->topo.tasks_count; i++)
        if (is_source(&p->tasks[i]))
            sb_engine_after(p->e, sb_rng_draw(&p->e->rng, &p->s->rpc_delay), EV_TRIGGER, i, id);
}

static void coord_apply(sb_pipeline_t *p, const sb_coord_out_t *out)
{
    bool final_aborted = false;
    for (int i = 0; i < out->aborts; i++) {
        int64_t id = out->aborted_id[i];
        tr_begin(p, "checkpoint_aborted", p->pid);
        sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64 ",\"reason\":\"%s\"", id,
                           sb_coord_abort_reason_name(out->aborted_reason[i]));
        sb_tracebuf_end(TB(p));
        p->stats.checkpoints_aborted++;
        final_aborted |= id == p->final_id;
    }
    if (out->job_failed || final_aborted) {
        failover(p, false, -1);
        return;
    }
    if (out->completed_id != 0)
        coord_complete(p, out->completed_id);
    if (out->trigger_id != 0 && p->running)
        coord_trigger(p, out->trigger_id, out->trigger_is_final);
}

static void coord_tick(sb_pipeline_t *p)
{
    if (!p->coord.final_requested && p->sources_finished == p->topo.sources_count)
        sb_coord_request_final(&p->coord);
    sb_coord_out_t out;
    sb_coord_tick(&p->coord, NOW(p), &out);
    coord_apply(p, &out);
    if (p->running && !p->coord.final_completed)
        sb_engine_after(p->e, p->s->coordinator_tick_ns, EV_COORD_TICK, 0, 0);
}

static void coord_ack(sb_pipeline_t *p, int task, int64_t id)
{
    sb_coord_out_t out;
    sb_coord_ack(&p->coord, id, task, NOW(p), &out);
    coord_apply(p, &out);
}

static void coord_decline(sb_pipeline_t *p, int task, int64_t id)
{
    (void)task;
    sb_coord_out_t out;
    sb_coord_decline(&p->coord, id, NOW(p), &out);
    coord_apply(p, &out);
}

static void sample(sb_pipeline_t *p)
{
    int64_t read = 0;
    for (int i = 0; i < p->topo.tasks_count; i++)
        if (is_source(&p->tasks[i]))
            read += p->tasks[i].next_offset;
    tr_begin(p, "sample", p->pid);
    sb_tracebuf_printf(TB(p), ",\"read\":%" PRId64 ",\"fill\":[", read);
    for (int c = 0; c < p->topo.channels_count; c++)
        sb_tracebuf_printf(TB(p), "%s%" PRId64, c ? "," : "",
                           p->chans[c].pushed - p->chans[c].consumed);
    sb_tracebuf_printf(TB(p), "],\"items\":%d", p->s->channel_capacity);
    sb_tracebuf_end(TB(p));
    sb_engine_after(p->e, p->s->sample_interval_ns, EV_SAMPLE, 0, 0);
}

/* ------------------------------------------------------------ incarnations */

static void trace_job_graph(sb_pipeline_t *p)
{
    tr_begin(p, "job_graph", p->pid);
    sb_tracebuf_printf(TB(p), ",\"tasks\":[");
    for (int i = 0; i < p->topo.tasks_count; i++) {
        const sb_topology_task_t *t = &p->topo.tasks[i];
        sb_tracebuf_printf(TB(p), "%s{\"name\":\"%s\",\"kind\":\"%s\",\"subtask\":%d}",
                           i ? "," : "", t->name, sb_stage_kind_name(t->kind), t->subtask);
    }
    sb_tracebuf_printf(TB(p), "],\"channels\":[");
    for (int c = 0; c < p->topo.channels_count; c++) {
        const sb_topology_channel_t *ch = &p->topo.channels[c];
        sb_tracebuf_printf(TB(p), "%s{\"channel\":%d,\"from\":\"%s\",\"to\":\"%s\"}", c ? "," : "",
                           c, p->topo.tasks[ch->from].name, p->topo.tasks[ch->to].name);
    }
    sb_tracebuf_printf(TB(p), "],\"mode\":\"%s\",\"unaligned\":%s,\"aligned_timeout_ns\":%"
                       PRId64 ",\"attempt\":%d", sb_mode_name(p->bcfg.mode),
                       p->bcfg.unaligned ? "true" : "false", p->bcfg.aligned_timeout_ns,
                       p->attempt);
    sb_tracebuf_end(TB(p));
}

static void reset_channels(sb_pipeline_t *p)
{
    for (int c = 0; c < p->topo.channels_count; c++) {
        chan_t *ch = &p->chans[c];
        sb_simstore_rec_t *q = ch->q;
        int64_t *due = ch->q_due;
        size_t cap = ch->q_cap;
        memset(ch, 0, sizeof *ch);
        ch->q = q;
        ch->q_due = due;
        ch->q_cap = cap;
    }
}

static void reset_task(sb_pipeline_t *p, task_t *t)
{
    t->scheduled = t->finished = t->ended = t->input_ended = t->done = t->dead = false;
    t->busy_until_ns = t->next_emit_ns = 0;
    memset(t->rr, 0, sizeof t->rr);
    t->processed = t->next_offset = 0;
    if (t->topo->kind == SB_STAGE_SINK) {
        sb_sink_destroy(&t->sink);
        sb_sink_init(&t->sink, &p->output, NULL, t->topo->sink, t->topo->name);
        t->sink.emit = sink_emit;
        t->sink.emit_ctx = t;
        t->sink.mutant_overwrite = p->s->mutant == SB_MUTANT_OVERWRITE_PUBLISHED;
        t->sink.on_published = sink_on_published;
        t->sink.on_published_ctx = t;
    }
    t->timeout_tick_id = 0;
    subtask_init(p, t);
}

/* A restored sink publishes what its snapshot left pending (that checkpoint
 * completed) and aborts what no completed checkpoint knows: runtime/sink.c's
 * restore. The drop-pending-on-restore mutant forgets the pending list, so
 * it aborts those uploads too. */
static bool restore_sink(sb_pipeline_t *p, task_t *t, json_t *snapshot, int64_t id)
{
    json_t *state = p->s->mutant != SB_MUTANT_DROP_PENDING_ON_RESTORE ? snapshot : NULL;
    sb_err_t err = { { 0 } };
    int rc = sb_sink_restore(&t->sink, state, id, &err);
    if (rc < 0)
        sb_engine_fail(p->e, "%s: restoring from checkpoint %" PRId64 ": %s", t->topo->name, id,
                       err.msg);
    /* Then the during-restore crash point, as in the runtime: this sink
     * re-published its pending output, others may not have yet. */
    return rc == 0 && !crash_point_hit(p, SB_POINT_DURING_RESTORE, id, false);
}

/* The recovered channel state goes first, in the order it was in flight,
 * before any input is read (and before any barrier is heard). */
static void replay(sb_pipeline_t *p, task_t *t, json_t *snapshot, int64_t id)
{
    size_t len = 0;
    sb_chstate_t cs;
    memset(&cs, 0, sizeof cs);
    sb_err_t err = { { 0 } };
    if (sb_cpstore_read_channel_state(&p->cps, snapshot, id, t->topo->inputs_count, &cs, &len,
                                      &err) < 0) {
        sb_engine_fail(p->e, "%s: %s", t->topo->name, err.msg);
        sb_chstate_free(&cs);
        return;
    }
    emit_t out[SB_TOPOLOGY_GROUPS_MAX];
    size_t n = 0;
    for (int c = 0; c < cs.inputs; c++)
        for (size_t k = 0; k < cs.in[c].count; k++, n++) {
            sb_simstore_rec_t rec = { .partition = cs.in[c].records[k].partition,
                                      .offset = cs.in[c].records[k].offset };
            process(p, t, rec, out, route(t, rec, out));
        }
    tr_task(p, "channel_state_restored", t, id);
    sb_tracebuf_printf(TB(p), ",\"records\":%zu,\"bytes\":%zu", n, len);
    sb_tracebuf_end(TB(p));
    p->stats.replayed_records += (int64_t)n;
    sb_chstate_free(&cs);
}

/* Whether subtask t replays its restored channel state: not when a mutant
 * forgets it (drop-channel-state; drop-pending-on-restore's sink, which
 * the runtime restores before it reads its channel state). */
static bool replays(const sb_pipeline_t *p, const task_t *t)
{
    if (p->s->mutant == SB_MUTANT_DROP_CHANNEL_STATE)
        return false;
    return t->topo->kind != SB_STAGE_SINK || p->s->mutant != SB_MUTANT_DROP_PENDING_ON_RESTORE;
}

/* What a new incarnation starts from, as runtime/job.c's restore finds it
 * in storage: the newest completed checkpoint (the restore-latest-
 * triggered mutant: the newest triggered one, where a subtask may have no
 * snapshot and starts empty). Returns false when the incarnation died
 * restoring (a crash point) or the run failed. */
static bool restore(sb_pipeline_t *p)
{
    /* The choice is runtime/checkpoint_store.c's, as the worker makes it. */
    const char *names[SB_SIMSCENARIO_TASKS_MAX];
    for (int i = 0; i < p->topo.tasks_count; i++)
        names[i] = p->tasks[i].topo->name;
    bool verify = p->s->mutant != SB_MUTANT_RESTORE_UNVERIFIED;
    p->cps.trust_frames = !verify;
    int64_t published = 0;
    sb_cpstore_restore_t r;
    sb_err_t err = { { 0 } };
    if (sb_sink_published_upto(&p->output, &published, &err) != 0 ||
        sb_cpstore_pick_restore(&p->cps, names, p->topo.tasks_count, published, verify, &r,
                                &err) != 0) {
        sb_engine_fail(p->e, "restoring: %s", err.msg);
        return false;
    }
    for (int i = 0; i < r.refused_count; i++) {
        json_t *reason = json_string(r.refused[i].reason);
        char *quoted = json_dumps(reason, JSON_ENCODE_ANY); /* escaped, as the runtime's */
        tr_begin(p, SB_EV_RESTORE_FALLBACK, p->pid);
        sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64 ",\"file\":\"%s\",\"reason\":%s"
                           ",\"next\":%" PRId64 ",\"attempt\":%d", r.refused[i].checkpoint,
                           r.refused[i].file, quoted != NULL ? quoted : "\"\"",
                           r.refused[i].next, p->attempt);
        sb_tracebuf_end(TB(p));
        free(quoted);
        json_decref(reason);
    }
    if (r.none_whole) {
        char why[SB_ERR_MSG_BYTES_MAX];
        sb_cpstore_restore_failure(&r, why, sizeof why);
        sb_engine_fail(p->e, "%s", why);
        return false;
    }
    int64_t id = r.id, max_id = r.max_id;
    if (p->s->mutant == SB_MUTANT_RESTORE_LATEST_TRIGGERED)
        id = max_id; /* the mutant: maybe never completed */
    p->next_id = max_id + 1;
    bool completed = id == 0;
    if (id > 0) {
        json_t *meta = NULL;
        completed = sb_cpstore_read_metadata(&p->cps, id, &meta, &err) == 0 ||
                    (!verify && id == r.id);
        json_decref(meta);
    }
    tr_begin(p, "restore", p->pid);
    sb_tracebuf_printf(TB(p), ",\"checkpoint\":%" PRId64 ",\"next_checkpoint\":%" PRId64
                       ",\"attempt\":%d,\"completed\":%s,\"fallbacks\":%d", id, p->next_id,
                       p->attempt, completed ? "true" : "false", r.refused_count);
    sb_tracebuf_end(TB(p));
    if (id > 0)
        p->stats.restores++;
    json_t *states[SB_SIMSCENARIO_TASKS_MAX] = { NULL };
    bool ok = true;
    for (int i = 0; i < p->topo.tasks_count && ok; i++) {
        task_t *t = &p->tasks[i];
        int got = id > 0 ? sb_cpstore_read_snapshot(&p->cps, id, t->topo->name, &states[i], &err)
                         : 0;
        if (got < 0 || (got == 0 && id > 0 && p->s->mutant != SB_MUTANT_RESTORE_LATEST_TRIGGERED)) {
            sb_engine_fail(p->e, "restoring %s from checkpoint %" PRId64 ": %s", t->topo->name,
                           id, got < 0 ? err.msg : "no snapshot");
            ok = false;
            break;
        }
        t->next_offset = json_integer_value(json_object_get(states[i], "next_offset"));
        t->processed = json_integer_value(json_object_get(states[i], "processed"));
        if (t->topo->kind == SB_STAGE_SINK && !restore_sink(p, t, states[i], id))
            ok = false; /* it died (or failed) restoring */
    }
    for (int i = 0; i < p->topo.tasks_count && ok; i++) {
        task_t *t = &p->tasks[i];
        if (!is_source(t))
            continue;
        tr_task(p, "source_started", t, 0);
        sb_tracebuf_printf(TB(p), ",\"offsets\":{\"%d\":%" PRId64 "}", t->topo->partition,
                           t->next_offset);
        sb_tracebuf_end(TB(p));
    }
    for (int i = 0; i < p->topo.tasks_count && ok; i++)
        if (json_object_get(states[i], "channel_state") != NULL && replays(p, &p->tasks[i]))
            replay(p, &p->tasks[i], states[i], id);
    for (int i = 0; i < p->topo.tasks_count; i++)
        json_decref(states[i]);
    return ok && !p->e->failed;
}

static void incarnation_start(sb_pipeline_t *p)
{
    p->attempt++;
    p->pid = SB_PIPELINE_WORKER_PID_BASE + p->attempt;
    p->stats.incarnations++;
    tr_begin(p, "worker_started", SB_PIPELINE_SUPERVISOR_PID);
    sb_tracebuf_printf(TB(p), ",\"attempt\":%d,\"worker_pid\":%d", p->attempt, p->pid);
    sb_tracebuf_end(TB(p));
    reset_channels(p);
    for (int i = 0; i < p->topo.tasks_count; i++)
        reset_task(p, &p->tasks[i]);
    p->sources_finished = p->sinks_done = 0;
    p->final_id = 0;
    p->running = true;
    for (int i = 0; i < p->s->faults_count; i++)
        p->point_hits[i] = 0; /* a worker counts hits per incarnation */
    trace_job_graph(p);
    if (!restore(p))
        return;
    sb_coord_config_t cfg = {
        .interval_ns = p->s->checkpoint_interval_ns,
        .timeout_ns = p->s->checkpoint_timeout_ns,
        .max_concurrent = p->s->max_concurrent,
        .min_pause_ns = p->s->min_pause_ns,
        .tolerable_failed = p->s->tolerable_failed,
        .tasks = p->topo.tasks_count,
    };
    sb_coord_init(&p->coord, &cfg, p->next_id, NOW(p));
    for (int i = 0; i < p->topo.tasks_count; i++) {
        task_t *t = &p->tasks[i];
        if (is_source(t) && t->next_offset >= p->s->records)
            source_finish(p, t); /* restored past its end */
        else if (is_source(t))
            wake(p, t);
    }
    sb_engine_after(p->e, p->s->coordinator_tick_ns, EV_COORD_TICK, 0, 0);
    sb_engine_after(p->e, p->s->sample_interval_ns, EV_SAMPLE, 0, 0);
}

/* Whether a fault fires at its `at` (else at a crash point or at a share
 * of the input). */
static bool timed_fault(const sb_simscenario_fault_t *f)
{
    return f->kind != SB_SIM_FAULT_CRASH_POINT && f->kind != SB_SIM_FAULT_CRASH_RANDOM;
}

/* Faults not yet fired (or, for a spike or slow, not yet over) are due
 * again after a failover cleared the queue: they are about time, not about
 * an incarnation. */
static void reschedule_faults(sb_pipeline_t *p)
{
    for (int i = 0; i < p->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &p->s->faults[i];
        if (!timed_fault(f))
            continue; /* crash points and random kills are not about time */
        if (!p->fault_fired[i])
            sb_engine_at(p->e, f->at_ns > NOW(p) ? f->at_ns : NOW(p), EV_FAULT, i, 0);
        else if (f->for_ns > 0 && !p->fault_ended[i])
            sb_engine_at(p->e, f->at_ns + f->for_ns > NOW(p) ? f->at_ns + f->for_ns : NOW(p),
                         EV_FAULT_END, i, 0);
    }
}

/* The whole job goes down (a crash, a failed task noticed, or a failure):
 * every subtask, channel and the coordinator are lost; storage stays. It
 * comes back after restart_delay. */
static void failover(sb_pipeline_t *p, bool injected, int fault)
{
    tr_begin(p, injected ? "crash" : "worker_failed", SB_PIPELINE_SUPERVISOR_PID);
    if (injected && p->s->faults[fault].kind == SB_SIM_FAULT_CRASH_TASK) {
        /* Flink's full restart: not a signal, the job fails over as a whole. */
        sb_tracebuf_printf(TB(p), ",\"attempt\":%d,\"signal\":0,\"signal_name\":\"task %s "
                           "failed\",\"injected\":true,\"fault\":%d,\"task\":\"%s\"", p->attempt,
                           p->s->faults[fault].task, fault, p->s->faults[fault].task);
        p->stats.crashes++;
    } else if (injected) {
        sb_tracebuf_printf(TB(p), ",\"attempt\":%d,\"signal\":9,\"signal_name\":\"SIGKILL\","
                           "\"injected\":true,\"fault\":%d", p->attempt, fault);
        p->stats.crashes++;
    } else {
        sb_tracebuf_printf(TB(p), ",\"attempt\":%d,\"exit_code\":1", p->attempt);
        p->stats.failures++;
    }
    sb_tracebuf_end(TB(p));
    sb_eventq_clear(&p->e->queue);
    p->paused_until_ns = 0; /* a dead process is not stopped */
    reschedule_faults(p);
    p->running = false;
    sb_engine_after(p->e, p->s->restart_delay_ns, EV_RESTART, 0, 0);
}

static task_t *fault_task(sb_pipeline_t *p, const sb_simscenario_fault_t *f)
{
    for (int i = 0; i < p->topo.tasks_count; i++)
        if (p->topo.tasks[i].stage == f->stage && p->topo.tasks[i].subtask == f->subtask)
            return &p->tasks[i];
    assert(!"a fault's task is not in the topology");
    return NULL;
}

/* fault_started / fault_ended, as the runtime's timeline faults trace them. */
static void trace_window(sb_pipeline_t *p, int i, bool started)
{
    const sb_simscenario_fault_t *f = &p->s->faults[i];
    char a[32] = "", b[32] = "";
    tr_begin(p, started ? "fault_started" : "fault_ended", SB_PIPELINE_SUPERVISOR_PID);
    if (f->kind == SB_SIM_FAULT_PAUSE) {
        sb_tracebuf_printf(TB(p), ",\"fault\":%d,\"kind\":\"pause\",\"detail\":\"the worker "
                           "is stopped (SIGSTOP) for %" PRId64 " ns\"", i, f->for_ns);
    } else if (f->kind == SB_SIM_FAULT_SLOW) {
        sb_tracebuf_printf(TB(p), ",\"fault\":%d,\"kind\":\"slow\",\"task\":\"%s\","
                           "\"process_ns\":%" PRId64 ",\"detail\":\"%s processes each record in "
                           "%" PRId64 " ns\"", i, f->task, f->process_ns, f->task, f->process_ns);
    } else {
        snprintf(a, sizeof a, "%s", f->from[0] ? f->from : "any stage");
        snprintf(b, sizeof b, "%s", f->to[0] ? f->to : "any stage");
        sb_tracebuf_printf(TB(p), ",\"fault\":%d,\"kind\":\"delay_spike\",\"from\":\"%s\","
                           "\"to\":\"%s\",\"extra_ns\":%" PRId64 ",\"detail\":\"+%" PRId64
                           " ns on channels %s -> %s\"", i, f->from, f->to, f->extra_ns,
                           f->extra_ns, a, b);
    }
    sb_tracebuf_end(TB(p));
}

/* A subtask dies: it stays dead until the failure is noticed. */
static void task_fail(sb_pipeline_t *p, int i)
{
    task_t *t = fault_task(p, &p->s->faults[i]);
    t->dead = true;
    tr_task(p, "task_failed", t, 0);
    sb_tracebuf_printf(TB(p), ",\"fault\":%d,\"attempt\":%d", i, p->attempt);
    sb_tracebuf_end(TB(p));
    sb_engine_after(p->e, p->s->failure_detection_ns, EV_DETECT, i, 0);
}

static void on_fault(sb_pipeline_t *p, int i)
{
    assert(i >= 0 && i < p->s->faults_count && !p->fault_fired[i]);
    const sb_simscenario_fault_t *f = &p->s->faults[i];
    p->fault_fired[i] = true;
    if (f->kind == SB_SIM_FAULT_DELAY_SPIKE || f->kind == SB_SIM_FAULT_SLOW) {
        /* Windows are about time: on whether the job is up or down. */
        trace_window(p, i, true);
        sb_engine_at(p->e, f->at_ns + f->for_ns, EV_FAULT_END, i, 0);
        return;
    }
    if (!p->running || p->finished) {
        p->stats.faults_unfired++;
        return;
    }
    if (f->kind == SB_SIM_FAULT_PAUSE) {
        /* The whole worker stops: what it would do meanwhile waits (see
         * sb_pipeline_handle); what is in flight to it still arrives. */
        trace_window(p, i, true);
        p->paused_until_ns = f->at_ns + f->for_ns;
        sb_engine_at(p->e, p->paused_until_ns, EV_FAULT_END, i, 0);
        return;
    }
    if (f->kind == SB_SIM_FAULT_CRASH_TASK)
        task_fail(p, i);
    else
        failover(p, true, i);
}

static void on_fault_end(sb_pipeline_t *p, int i)
{
    if (p->fault_ended[i])
        return;
    p->fault_ended[i] = true;
    if (p->s->faults[i].kind == SB_SIM_FAULT_PAUSE)
        p->paused_until_ns = 0;
    trace_window(p, i, false);
}

/* Whether the event is the worker's own work, which waits while it is
 * stopped (pause): its subtasks, its coordinator and their messages. */
static bool worker_work(const sb_event_t *ev)
{
    switch (ev->kind) {
    case EV_COORD_TICK: case EV_TRIGGER: case EV_SOURCE_EMIT: case EV_STEP: case EV_ANNOUNCE:
    case EV_ALIGN_TICK: case EV_ACK: case EV_DECLINE: case EV_NOTIFY:
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------ events */

static void on_announce(sb_pipeline_t *p, int c)
{
    chan_t *ch = &p->chans[c];
    assert(ch->ann_count > 0);
    sb_barrier_announcement_t a = ch->ann[ch->ann_head];
    ch->ann_head = (ch->ann_head + 1) % ANN_RING;
    ch->ann_count--;
    task_t *t = &p->tasks[p->topo.channels[c].to];
    int ci = p->topo.channels[c].to_input;
    if (t->dead)
        return; /* it hears nothing */
    if (p->bcfg.aligned_timeout_ns > 0 && a.checkpoint_id > t->timeout_tick_id) {
        /* The timeout is on the checkpoint's start delay: check just past it. */
        int64_t at = a.trigger_ns + p->bcfg.aligned_timeout_ns + 1;
        t->timeout_tick_id = a.checkpoint_id;
        sb_engine_at(p->e, at > NOW(p) ? at : NOW(p), EV_ALIGN_TICK, t->index, a.checkpoint_id);
    }
    sb_subtask_announce(&t->sub, ci, &a);
    wake(p, t);
}

static void on_align_tick(sb_pipeline_t *p, task_t *t)
{
    sb_subtask_tick(&t->sub);
    wake(p, t);
}

/* Whether an event is addressed to a dead subtask, which drops it. */
static bool to_dead_task(const sb_pipeline_t *p, const sb_event_t *ev)
{
    switch (ev->kind) {
    case EV_TRIGGER: case EV_SOURCE_EMIT: case EV_STEP: case EV_ALIGN_TICK: case EV_NOTIFY:
        return p->tasks[ev->a].dead;
    default:
        return false;
    }
}

void sb_pipeline_handle(void *model, const sb_event_t *ev)
{
    sb_pipeline_t *p = model;
    if (p->paused_until_ns > NOW(p) && worker_work(ev)) {
        /* In the order they came: equal times keep the order of scheduling. */
        sb_engine_at(p->e, p->paused_until_ns, ev->kind, ev->a, ev->b);
        return;
    }
    if (to_dead_task(p, ev)) {
        p->tasks[ev->a].scheduled = false;
        return;
    }
    switch (ev->kind) {
    case EV_RESTART: incarnation_start(p); return;
    case EV_FAULT: on_fault(p, ev->a); return;
    case EV_FAULT_END: on_fault_end(p, ev->a); return;
    case EV_DETECT: failover(p, true, ev->a); return;
    case EV_COORD_TICK: coord_tick(p); return;
    case EV_SAMPLE: sample(p); return;
    case EV_TRIGGER: source_trigger(p, &p->tasks[ev->a], ev->b); return;
    case EV_SOURCE_EMIT: source_emit(p, &p->tasks[ev->a]); return;
    case EV_STEP: step(p, &p->tasks[ev->a]); return;
    case EV_DELIVER: {
        chan_t *ch = &p->chans[ev->a];
        assert(ch->delivered < ch->pushed);
        ch->delivered++;
        wake(p, &p->tasks[p->topo.channels[ev->a].to]);
        return;
    }
    case EV_DELIVER_END:
        p->chans[ev->a].end_delivered = true;
        wake(p, &p->tasks[p->topo.channels[ev->a].to]);
        return;
    case EV_ANNOUNCE: on_announce(p, ev->a); return;
    case EV_ALIGN_TICK: on_align_tick(p, &p->tasks[ev->a]); return;
    case EV_ACK: coord_ack(p, ev->a, ev->b); return;
    case EV_NOTIFY: sb_subtask_completed(&p->tasks[ev->a].sub, ev->b, ev->b == p->final_id); return;
    case EV_DECLINE: coord_decline(p, ev->a, ev->b); return;
    }
    assert(!"unknown event kind");
}

/* ------------------------------------------------------------ crash points */

/* A named crash point was reached: a crash-point fault whose moment it is
 * kills the incarnation here, as the worker kills itself (fault_fired,
 * then the supervisor's crash). Its hits are counted per incarnation and
 * its moment chosen by faultinject/crashpoint.h's own rule, seeded per
 * incarnation and fault. Each fault fires once per run. Returns true when
 * the incarnation died: the caller stops at once. */
static bool crash_point_hit(sb_pipeline_t *p, sb_crash_point_t point, int64_t id, bool final)
{
    if (!p->running)
        return false;
    for (int i = 0; i < p->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &p->s->faults[i];
        if (f->kind != SB_SIM_FAULT_CRASH_POINT || f->point != point || p->fault_fired[i])
            continue;
        int64_t hit = ++p->point_hits[i];
        sb_fault_t rule = { .kind = SB_FAULT_CRASH, .trigger = SB_TRIGGER_CRASH_POINT,
                            .point = point, .point_trigger = f->point_trigger,
                            .checkpoint_id = f->checkpoint_id, .hit = f->hit,
                            .probability = f->probability };
        uint64_t seed = sb_rng_mix(p->seed ^ sb_rng_mix((uint64_t)p->attempt + 1)) ^ (uint64_t)i;
        if (!sb_crashpoints_due(&rule, hit, id, final, seed))
            continue;
        p->fault_fired[i] = true;
        tr_begin(p, "fault_fired", p->pid);
        sb_tracebuf_printf(TB(p), ",\"fault\":%d,\"point\":\"%s\",\"checkpoint\":%" PRId64
                           ",\"hit\":%" PRId64, i, sb_crash_point_name(point), id, hit);
        sb_tracebuf_end(TB(p));
        failover(p, true, i);
        return true;
    }
    return false;
}

static bool op_crash_point(void *ctx, sb_crash_point_t point, int64_t id, bool final)
{
    const task_t *t = ctx;
    return !t->p->running || crash_point_hit(t->p, point, id, final);
}

/* Random kills (`random: N`): planned as snapbed run plans them, N seeded
 * shares of the input in [10 %, 90 %), in order; a kill is due once the
 * sources have read its share. One at a time: the next one waits for a
 * later emit, so each incarnation dies at most once here. */
static void plan_kills(sb_pipeline_t *p)
{
    uint64_t rng = p->seed ^ 0x6b696c6cULL;
    for (int i = 0; i < p->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &p->s->faults[i];
        for (int k = 0; f->kind == SB_SIM_FAULT_CRASH_RANDOM && k < f->count &&
                        p->kills_count < KILLS_MAX; k++) {
            rng = sb_rng_mix(rng + 1);
            double u = (double)(rng >> 11) / (double)(1ULL << 53);
            p->kills[p->kills_count].fault = i;
            p->kills[p->kills_count].fraction =
                RANDOM_KILL_FROM + u * (RANDOM_KILL_TO - RANDOM_KILL_FROM);
            p->kills_count++;
        }
    }
    for (int a = 1; a < p->kills_count; a++) /* insertion sort: a handful */
        for (int b = a; b > 0 && p->kills[b].fraction < p->kills[b - 1].fraction; b--) {
            __typeof__(p->kills[0]) tmp = p->kills[b];
            p->kills[b] = p->kills[b - 1];
            p->kills[b - 1] = tmp;
        }
}

static bool random_kill_due(sb_pipeline_t *p)
{
    if (p->kills_next >= p->kills_count || !p->running || p->stats.records_in <= 0)
        return false;
    int64_t read = 0;
    for (int i = 0; i < p->topo.tasks_count; i++)
        if (is_source(&p->tasks[i]))
            read += p->tasks[i].next_offset;
    if ((double)read < p->kills[p->kills_next].fraction * (double)p->stats.records_in)
        return false;
    p->kills[p->kills_next].fired = true;
    int fault = p->kills[p->kills_next++].fault;
    p->fault_fired[fault] = true;
    failover(p, true, fault);
    return true;
}

/* ------------------------------------------------------------ public */

sb_pipeline_t *sb_pipeline_new(const sb_simscenario_t *s, sb_engine_t *e)
{
    sb_pipeline_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->s = s;
    p->e = e;
    p->attempt = -1;
    sb_topology_build(&p->topo, s);
    p->bcfg = (sb_barrier_config_t){
        .mode = s->protocol == SB_SIM_AT_LEAST_ONCE ? SB_MODE_AT_LEAST_ONCE : SB_MODE_EXACTLY_ONCE,
        .unaligned = s->protocol == SB_SIM_UNALIGNED || s->protocol == SB_SIM_TIMEOUT,
        .aligned_timeout_ns = s->protocol == SB_SIM_TIMEOUT ? s->aligned_timeout_ns : 0,
    };
    for (int i = 0; i < p->topo.tasks_count; i++) {
        task_t *t = &p->tasks[i];
        t->index = i;
        t->p = p;
        t->topo = &p->topo.tasks[i];
        t->stage = &s->stages[t->topo->stage];
        if (!is_source(t) && (t->barrier = malloc(sizeof *t->barrier)) == NULL) {
            sb_pipeline_free(p);
            return NULL;
        }
        if (t->topo->kind == SB_STAGE_SINK)
            t->sink_value = sink_value(p, t->topo->stage, &t->sink_value_len);
    }
    /* Storage: a mem:// namespace of this pipeline's own (explore runs
     * pipelines on several threads at once). */
    static _Atomic uint64_t pipelines;
    snprintf(p->store_name, sizeof p->store_name, "sim-%" PRIu64,
             atomic_fetch_add(&pipelines, 1) + 1);
    char output[64], checkpoints[64];
    snprintf(output, sizeof output, "mem://%s/output", p->store_name);
    snprintf(checkpoints, sizeof checkpoints, "mem://%s/checkpoints", p->store_name);
    sb_err_t err = { { 0 } };
    if (sb_store_open(&p->output, output, "/", &err) != 0 ||
        sb_cpstore_open(&p->cps, checkpoints, "/", "sim", s->num_retained, &err) != 0) {
        sb_pipeline_free(p);
        return NULL;
    }
    p->next_id = 1;
    p->stats.records_in = (int64_t)p->topo.sources_count * s->records;
    return p;
}

void sb_pipeline_free(sb_pipeline_t *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->topo.tasks_count; i++) {
        task_t *t = &p->tasks[i];
        free(t->barrier);
        sb_sink_destroy(&t->sink);
        json_decref(t->taken.sink_state);
        for (int ci = 0; ci < SB_SIMSCENARIO_INPUTS_MAX; ci++)
            sb_simstore_recs_free(&t->capture[ci]);
    }
    for (int c = 0; c < p->topo.channels_count; c++) {
        free(p->chans[c].q);
        free(p->chans[c].q_due);
    }
    if (p->store_name[0] != '\0') {
        sb_store_close(&p->output);
        sb_store_close(&p->cps.store);
        sb_store_mem_drop(p->store_name);
    }
    free(p);
}

void sb_pipeline_start(sb_pipeline_t *p, uint64_t seed)
{
    tr_begin(p, "run_started", SB_PIPELINE_SUPERVISOR_PID);
    sb_tracebuf_printf(TB(p), ",\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"mode\":\"%s\","
                       "\"protocol\":\"%s\",\"simulated\":true", p->s->name, seed,
                       sb_mode_name(p->bcfg.mode), sb_simscenario_protocol_name(p->s->protocol));
    sb_tracebuf_end(TB(p));
    tr_begin(p, "input_ready", SB_PIPELINE_SUPERVISOR_PID);
    sb_tracebuf_printf(TB(p), ",\"topic\":\"sim\",\"partitions\":%d,\"records\":%" PRId64,
                       p->topo.sources_count, p->stats.records_in);
    sb_tracebuf_end(TB(p));
    p->seed = seed;
    plan_kills(p);
    sb_engine_at(p->e, 0, EV_RESTART, 0, 0); /* first: a fault at 0 comes after the start */
    for (int i = 0; i < p->s->faults_count; i++)
        if (timed_fault(&p->s->faults[i]))
            sb_engine_at(p->e, p->s->faults[i].at_ns, EV_FAULT, i, 0);
}

void sb_pipeline_stats(const sb_pipeline_t *p, sb_pipeline_stats_t *out)
{
    *out = p->stats;
}

/* The name of the sink stage a copy must reach, as the checker's value:
 * with several sink stages, a copy published by another one is unexpected;
 * with one, any sink is the right one and the value is empty. */
static const char *sink_value(const sb_pipeline_t *p, int stage, size_t *len)
{
    /* The sink stage's name: an output line needs a value, and with
     * several sinks it tells which one a record reached. */
    const char *v = p->s->stages[stage].name;
    *len = strlen(v);
    return v;
}

/* Expected: for each source's record, one copy per path (a virtual
 * partition, topology.h) whose filters all keep it. */
static int expect_output(const sb_pipeline_t *p, sb_eo_t *eo, sb_err_t *err)
{
    for (int i = 0; i < p->topo.tasks_count; i++) {
        const sb_topology_task_t *t = &p->topo.tasks[i];
        if (t->kind != SB_STAGE_SOURCE)
            continue;
        for (int path = 0; path < p->topo.paths[t->stage]; path++)
            for (int64_t off = 0; off < p->s->records; off++) {
                int sink;
                size_t len;
                if (!sb_topology_keeps(&p->topo, p->s, t->stage, path, off, &sink))
                    continue;
                const char *v = sink_value(p, sink, &len);
                if (sb_eo_expect(eo, sb_topology_virtual_partition(&p->topo, t->partition, path),
                                 off, v, len, err) != 0)
                    return -1;
            }
    }
    return 0;
}

int sb_pipeline_check_output(const sb_pipeline_t *p, sb_eo_report_t *out, sb_err_t *err)
{
    int n = p->topo.sources_count * p->topo.paths_max;
    int64_t *low = calloc((size_t)n, sizeof *low), *high = calloc((size_t)n, sizeof *high);
    sb_eo_t *eo = NULL;
    if (low != NULL && high != NULL) {
        for (int k = 0; k < n; k++)
            high[k] = p->s->records;
        eo = sb_eo_new(n, low, high, false);
    }
    free(low);
    free(high);
    if (eo == NULL)
        return sb_err_set(err, "out of memory for the exactly-once checker");
    if (expect_output(p, eo, err) != 0) {
        sb_eo_free(eo);
        return -1;
    }
    /* One stream per sink subtask: its published objects in checkpoint
     * order, read back as a real run's are. */
    int64_t objects = 0;
    if (sb_verdict_observe_output((sb_store_t *)&p->output, eo, &objects, err) != 0) {
        sb_eo_free(eo);
        return -1;
    }
    sb_eo_finish(eo, out);
    sb_eo_free(eo);
    return 0;
}

/* ------------------------------------------------- the conformance script */

/* The simulated job a script plays on: `inputs` source subtasks, each on
 * its own channel into map-0 (channels 0 .. inputs-1), and map-0's one
 * output into a sink (channel `inputs`). The sources do nothing by
 * themselves: the script sends for them. */
static void script_scenario(const sb_script_t *sc, sb_simscenario_t *s)
{
    sb_simscenario_defaults(s);
    snprintf(s->name, sizeof s->name, "script");
    s->protocol = sc->mode == SB_MODE_AT_LEAST_ONCE ? SB_SIM_AT_LEAST_ONCE
                  : !sc->unaligned                  ? SB_SIM_ALIGNED
                  : sc->aligned_timeout_ns > 0      ? SB_SIM_TIMEOUT
                                                    : SB_SIM_UNALIGNED;
    s->aligned_timeout_ns = sc->aligned_timeout_ns;
    s->mutant = sc->mutant;
    s->trace_records = false;
    s->channel_capacity = SB_SIMSCENARIO_CAPACITY_MAX;
    s->stages_count = 3;
    s->stages[0] = (sb_simscenario_stage_t){ .name = "source", .kind = SB_STAGE_SOURCE,
                                              .parallelism = sc->inputs, .keep_every = 1 };
    s->stages[1] = (sb_simscenario_stage_t){ .name = "map", .kind = SB_STAGE_MAP, .parallelism = 1,
                                              .input = SB_CONNECTION_REBALANCE, .input_set = true,
                                              .from = { 0 }, .from_count = 1, .keep_every = 1 };
    s->stages[2] = (sb_simscenario_stage_t){ .name = "sink", .kind = SB_STAGE_SINK, .parallelism = 1,
                                              .input = SB_CONNECTION_FORWARD, .input_set = true,
                                              .from = { 1 }, .from_count = 1, .keep_every = 1 };
    if (sc->crash_point != SB_POINT_NONE)
        s->faults[s->faults_count++] = (sb_simscenario_fault_t){
            .kind = SB_SIM_FAULT_CRASH_POINT, .point = sc->crash_point,
            .point_trigger = SB_POINT_AT_CHECKPOINT, .checkpoint_id = sc->crash_checkpoint };
}

/* What runtime/job.c's operator loop does, in the same order: every
 * announcement input by input, the clock tick, then barriers due and one
 * record, until nothing is readable. */
static int script_run(sb_pipeline_t *p, task_t *t, sb_err_t *err)
{
    for (int ci = 0; ci < t->topo->inputs_count && p->running; ci++) {
        int c = t->topo->inputs[ci];
        while (p->chans[c].ann_count > 0 && p->running)
            on_announce(p, c);
    }
    for (int round = 0; round < 1000000; round++) {
        if (!p->running)
            return 1; /* it died at the script's crash point */
        sb_subtask_tick(&t->sub);
        if (!p->running)
            return 1;
        int64_t before = 0, after = 0;
        for (int ci = 0; ci < t->topo->inputs_count; ci++)
            before += in_chan(p, t, ci)->consumed;
        bool ended = t->input_ended;
        step(p, t);
        if (!p->running)
            return 1;
        for (int ci = 0; ci < t->topo->inputs_count; ci++)
            after += in_chan(p, t, ci)->consumed;
        if (p->e->failed)
            return sb_err_set(err, "script: %s", p->e->err.msg);
        if (after == before && ended == t->input_ended)
            return 0;
    }
    return sb_err_set(err, "script: the subject never went idle");
}

static int script_play(sb_pipeline_t *p, const sb_script_t *sc, sb_err_t *err)
{
    task_t *map = &p->tasks[sc->inputs];
    assert(strcmp(map->topo->name, "map-0") == 0);
    int64_t next_offset[SB_SCRIPT_INPUTS_MAX] = { 0 };
    for (int i = 0; i < sc->steps_count; i++) {
        const sb_script_step_t *st = &sc->steps[i];
        if (st->op != SB_SCRIPT_CLOCK && st->op != SB_SCRIPT_RUN &&
            (st->input < 0 || st->input >= sc->inputs))
            return sb_err_set(err, "step %d: no input %d", i + 1, st->input);
        task_t *src = &p->tasks[st->input < 0 ? 0 : st->input];
        chan_t *ch = &p->chans[st->input < 0 ? 0 : st->input];
        int rc = 0;
        switch (st->op) {
        case SB_SCRIPT_RECORDS:
            for (int64_t k = 0; k < st->n; k++)
                push(p, src, st->input, (sb_simstore_rec_t){ .partition = st->input,
                                                             .offset = next_offset[st->input]++ });
            ch->delivered = ch->pushed;
            break;
        case SB_SCRIPT_BARRIER:
            announce(p, st->input, &(sb_barrier_announcement_t){
                                       .checkpoint_id = st->n, .position = ch->pushed,
                                       .unaligned = st->unaligned });
            break;
        case SB_SCRIPT_END:
            send_end(p, src);
            ch->end_delivered = true;
            break;
        case SB_SCRIPT_CLOCK: p->e->now_ns = st->n; break;
        case SB_SCRIPT_RUN: rc = script_run(p, map, err); break;
        }
        if (rc > 0)
            return 0; /* it died: nothing more of this incarnation */
        if (rc != 0)
            return sb_err_wrap(err, "step %d", i + 1);
    }
    return 0;
}

int sb_pipeline_script_run(const sb_script_t *sc, const char *trace_path, sb_err_t *err)
{
    assert(sc->inputs >= 1 && sc->inputs <= SB_SCRIPT_INPUTS_MAX);
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_engine_t *e = malloc(sizeof *e);
    if (s == NULL || e == NULL) {
        free(s), free(e);
        return sb_err_set(err, "out of memory");
    }
    script_scenario(sc, s);
    sb_engine_init(e, 1, s->max_time_ns, s->max_events);
    sb_pipeline_t *p = sb_pipeline_new(s, e);
    int rc = p == NULL ? sb_err_set(err, "cannot build the script's job") : 0;
    if (rc == 0) {
        p->attempt = 0;
        p->pid = SB_PIPELINE_WORKER_PID_BASE;
        p->running = true;
        reset_channels(p);
        for (int i = 0; i < p->topo.tasks_count; i++)
            reset_task(p, &p->tasks[i]);
        rc = script_play(p, sc, err);
    }
    if (rc == 0) {
        FILE *f = fopen(trace_path, "w");
        if (f == NULL || fwrite(e->trace.data, 1, e->trace.len, f) != e->trace.len)
            rc = sb_err_errno(err, errno, "writing %s", trace_path);
        if (f != NULL && fclose(f) != 0 && rc == 0)
            rc = sb_err_errno(err, errno, "writing %s", trace_path);
    }
    if (p != NULL)
        sb_pipeline_free(p);
    sb_engine_free(e);
    free(e);
    free(s);
    return rc;
}
