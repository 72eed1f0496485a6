/* classic.c — see classic.h.
 *
 * Messages of a channel are kept in a vector indexed by their sequence
 * number on that channel (markers included); a delivery event names the
 * channel and the sequence number, so a non-FIFO channel can deliver them
 * in any order. Per process and snapshot the state is a few words plus,
 * per incoming channel, what was recorded on it, and the recorded messages
 * themselves (a rollback puts them back in flight).
 *
 * A process crash (faults: crash: process) is recovered by the classic
 * global rollback: the run stops (the event queue is cleared: messages in
 * flight are lost, snapshots in progress abandoned); restart_delay later
 * every process takes back its state in the newest completed snapshot
 * (the initial state if none), every channel's recorded messages go back
 * in flight, and transfers and the snapshots not yet started go on. */
#include "classic.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PROCESSES_MAX SB_SIMSCENARIO_PROCESSES_MAX
#define SNAPSHOTS_MAX SB_SIMSCENARIO_SNAPSHOTS_MAX
#define MESSAGES_MAX (1 << 24)   /* per channel, markers included */

_Static_assert(PROCESSES_MAX <= 64, "incoming channels of a process are a 64-bit mask");
_Static_assert(SNAPSHOTS_MAX <= 64, "the snapshots a process records are a 64-bit mask");

enum {
    EV_TRANSFER = 1,             /* a: process: it sends tokens */
    EV_INITIATE,                 /* a: process, b: snapshot */
    EV_DELIVER,                  /* a: channel, b: sequence number */
    EV_FAULT,                    /* a: fault index */
    EV_FAULT_END,                /* a: fault index: a spike's window is over */
    EV_ROLLBACK,                 /* a: the fault that crashed a process */
};

/* A message recorded in a channel's state: which input, how many tokens. */
typedef struct held {
    int input;
    int64_t tokens;
} held_t;

typedef struct msg {
    int64_t tokens;              /* 0 for a marker */
    int snapshot;                /* markers: the snapshot */
    bool marker;
    int64_t position;            /* token messages sent on the channel before it */
} msg_t;

typedef struct chan {
    int from, to;
    int to_input;                /* its index among the receiver's inputs */
    msg_t *msgs;
    int64_t count, cap;
    int64_t sent, received;      /* token messages */
    int64_t last_delivery_ns;    /* FIFO: no delivery before the previous one */
} chan_t;

/* A process's part of one snapshot. */
typedef struct part {
    bool recorded, done;
    uint64_t marker_in;          /* inputs whose marker came */
    int64_t *from;               /* [inputs]: received count when recording began */
    int64_t *msgs, *tokens;      /* [inputs]: recorded so far */
    int64_t balance;             /* the recorded state */
    int64_t *sent_at;            /* [outputs]: messages sent when it recorded */
    held_t *held;                /* the recorded messages, in the order received */
    int64_t held_count, held_cap;
} part_t;

typedef struct process {
    int64_t balance;
    int inputs[PROCESSES_MAX], inputs_count;    /* channel indexes */
    int outputs[PROCESSES_MAX], outputs_count;
    part_t parts[SNAPSHOTS_MAX + 1];         /* by snapshot number, from 1 */
    uint64_t recording;                       /* snapshots k (bit k-1) recorded, not done */
} process_t;

struct sb_classic {
    const sb_simscenario_t *s;
    const sb_simscenario_classic_t *cl;
    sb_engine_t *e;
    int pid;
    process_t procs[PROCESSES_MAX];
    chan_t *chans;
    int chans_count;
    int done_count[SNAPSHOTS_MAX + 1];          /* processes done, per snapshot */
    bool started[SNAPSHOTS_MAX + 1];            /* an initiator recorded */
    bool completed[SNAPSHOTS_MAX + 1];
    int last_completed;                         /* 0: none */
    bool down;                                  /* between a crash and its rollback */
    bool fault_fired[SB_SIMSCENARIO_FAULTS_MAX];
    bool fault_ended[SB_SIMSCENARIO_FAULTS_MAX];
    sb_classic_stats_t stats;
};

#define TB(c) (&(c)->e->trace)
#define NOW(c) ((c)->e->now_ns)

/* ------------------------------------------------------------ tracing */

static void tr_begin(sb_classic_t *c, const char *event)
{
    sb_tracebuf_begin(TB(c), event, NOW(c), c->pid);
}

static void tr_proc(sb_classic_t *c, const char *event, int p, int snapshot)
{
    tr_begin(c, event);
    sb_tracebuf_printf(TB(c), ",\"process\":%d", p);
    if (snapshot > 0)
        sb_tracebuf_printf(TB(c), ",\"snapshot\":%d", snapshot);
}

/* ------------------------------------------------------------ channels */

/* The extra delay of the spikes on now that hit channel x (they draw
 * nothing: a run without one is the run it was). */
static int64_t spike_ns(const sb_classic_t *c, const chan_t *x)
{
    int64_t extra = 0;
    for (int i = 0; i < c->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &c->s->faults[i];
        if (f->kind == SB_SIM_FAULT_DELAY_SPIKE && sb_simscenario_fault_active(f, NOW(c)) &&
            (f->from_index < 0 || f->from_index == x->from) &&
            (f->to_index < 0 || f->to_index == x->to))
            extra += f->extra_ns;
    }
    return extra;
}

/* Appends m to channel ch and schedules its delivery; its sequence number,
 * or -1 (the run failed). */
static int64_t enqueue(sb_classic_t *c, int ch, msg_t m)
{
    chan_t *x = &c->chans[ch];
    if (x->count == x->cap) {
        int64_t cap = x->cap == 0 ? 64 : x->cap * 2;
        msg_t *v = cap <= MESSAGES_MAX ? realloc(x->msgs, (size_t)cap * sizeof *v) : NULL;
        if (v == NULL) {
            sb_engine_fail(c->e, "channel P%d→P%d: more than %d messages", x->from, x->to,
                           MESSAGES_MAX);
            return -1;
        }
        x->msgs = v;
        x->cap = cap;
    }
    m.position = x->sent;
    int64_t seq = x->count;
    x->msgs[x->count++] = m;
    int64_t d = NOW(c) + sb_rng_draw(&c->e->rng, &c->s->channel_delay) + spike_ns(c, x);
    if (c->cl->fifo) {
        if (d < x->last_delivery_ns)
            d = x->last_delivery_ns;
        x->last_delivery_ns = d;
    }
    sb_engine_at(c->e, d, EV_DELIVER, ch, seq);
    if (!m.marker)
        x->sent++;
    return seq;
}

static void send(sb_classic_t *c, int ch, msg_t m)
{
    chan_t *x = &c->chans[ch];
    if (enqueue(c, ch, m) < 0)
        return;
    if (m.marker) {
        c->stats.markers++;
        tr_proc(c, "marker_sent", x->from, m.snapshot);
        sb_tracebuf_printf(TB(c), ",\"channel\":%d,\"position\":%" PRId64, ch, x->sent);
        sb_tracebuf_end(TB(c));
        return;
    }
    c->stats.transfers++;
    if (c->s->trace_records) {
        tr_proc(c, "cl_send", x->from, 0);
        sb_tracebuf_printf(TB(c), ",\"channel\":%d,\"seq\":%" PRId64 ",\"tokens\":%" PRId64, ch,
                           x->sent, m.tokens);
        sb_tracebuf_end(TB(c));
    }
}

/* ------------------------------------------------------------ snapshots */

static void record_state(sb_classic_t *c, int p, int k, bool initiator)
{
    process_t *q = &c->procs[p];
    part_t *pt = &q->parts[k];
    pt->recorded = true;
    pt->balance = q->balance;
    q->recording |= 1ull << (k - 1);
    c->started[k] = true;
    tr_proc(c, "cl_recorded", p, k);
    sb_tracebuf_printf(TB(c), ",\"balance\":%" PRId64 ",\"initiator\":%s,\"sent\":[",
                       q->balance, initiator ? "true" : "false");
    for (int o = 0; o < q->outputs_count; o++) {
        pt->sent_at[o] = c->chans[q->outputs[o]].sent;
        sb_tracebuf_printf(TB(c), "%s[%d,%" PRId64 "]", o ? "," : "", q->outputs[o],
                           c->chans[q->outputs[o]].sent);
    }
    sb_tracebuf_printf(TB(c), "],\"received\":[");
    for (int i = 0; i < q->inputs_count; i++) {
        int ch = q->inputs[i];
        pt->from[i] = c->chans[ch].received;
        sb_tracebuf_printf(TB(c), "%s[%d,%" PRId64 "]", i ? "," : "", ch, c->chans[ch].received);
    }
    sb_tracebuf_printf(TB(c), "]");
    sb_tracebuf_end(TB(c));
    for (int o = 0; o < q->outputs_count; o++)
        send(c, q->outputs[o], (msg_t){ .marker = true, .snapshot = k });
}

/* The state of input i of p in snapshot k is final (its marker came). */
static void record_channel(sb_classic_t *c, int p, int k, int i)
{
    process_t *q = &c->procs[p];
    part_t *pt = &q->parts[k];
    bool drop = c->s->mutant == SB_MUTANT_DROP_CHANNEL_STATE; /* the deliberate bug */
    pt->marker_in |= 1ull << i;
    tr_proc(c, "cl_channel_recorded", p, k);
    sb_tracebuf_printf(TB(c), ",\"channel\":%d,\"messages\":%" PRId64 ",\"tokens\":%" PRId64
                       ",\"from\":%" PRId64 ",\"to\":%" PRId64, q->inputs[i],
                       drop ? 0 : pt->msgs[i], drop ? 0 : pt->tokens[i], pt->from[i],
                       c->chans[q->inputs[i]].received);
    sb_tracebuf_end(TB(c));
}

static void check_done(sb_classic_t *c, int p, int k)
{
    process_t *q = &c->procs[p];
    part_t *pt = &q->parts[k];
    uint64_t all = q->inputs_count == 64 ? UINT64_MAX : (1ull << q->inputs_count) - 1;
    if (pt->done || !pt->recorded || pt->marker_in != all)
        return;
    pt->done = true;
    q->recording &= ~(1ull << (k - 1));
    tr_proc(c, "cl_snapshot_done", p, k);
    sb_tracebuf_end(TB(c));
    if (++c->done_count[k] < c->cl->processes)
        return;
    c->stats.snapshots_completed++;
    c->completed[k] = true;
    if (k > c->last_completed)
        c->last_completed = k;
    tr_begin(c, "cl_snapshot_completed");
    sb_tracebuf_printf(TB(c), ",\"snapshot\":%d", k);
    sb_tracebuf_end(TB(c));
}

static void initiate(sb_classic_t *c, int p, int k)
{
    if (c->procs[p].parts[k].recorded)
        return; /* a marker of k came first: it has recorded already */
    record_state(c, p, k, true);
    check_done(c, p, k); /* a process without inputs is done at once */
}

static void on_marker(sb_classic_t *c, int p, int i, const msg_t *m)
{
    process_t *q = &c->procs[p];
    part_t *pt = &q->parts[m->snapshot];
    chan_t *x = &c->chans[q->inputs[i]];
    tr_proc(c, "marker_received", p, m->snapshot);
    sb_tracebuf_printf(TB(c), ",\"channel\":%d,\"position\":%" PRId64 ",\"read\":%" PRId64
                       ",\"first\":%s", q->inputs[i], m->position, x->received,
                       pt->recorded ? "false" : "true");
    sb_tracebuf_end(TB(c));
    if (pt->marker_in & (1ull << i)) {
        sb_engine_fail(c->e, "P%d got marker %d twice on one channel", p, m->snapshot);
        return;
    }
    if (!pt->recorded)
        record_state(c, p, m->snapshot, false); /* this channel's state: empty */
    record_channel(c, p, m->snapshot, i);
    check_done(c, p, m->snapshot);
}

/* Keeps a recorded message for a rollback (the mutant keeps none: it
 * records no channel state at all). */
static void hold(sb_classic_t *c, part_t *pt, int i, int64_t tokens)
{
    if (c->s->mutant == SB_MUTANT_DROP_CHANNEL_STATE)
        return;
    if (pt->held_count == pt->held_cap) {
        int64_t cap = pt->held_cap == 0 ? 16 : pt->held_cap * 2;
        held_t *v = cap <= MESSAGES_MAX ? realloc(pt->held, (size_t)cap * sizeof *v) : NULL;
        if (v == NULL) {
            sb_engine_fail(c->e, "a channel state of more than %d messages", MESSAGES_MAX);
            return;
        }
        pt->held = v;
        pt->held_cap = cap;
    }
    pt->held[pt->held_count++] = (held_t){ .input = i, .tokens = tokens };
}

static void on_tokens(sb_classic_t *c, int p, int i, const msg_t *m)
{
    process_t *q = &c->procs[p];
    chan_t *x = &c->chans[q->inputs[i]];
    q->balance += m->tokens;
    x->received++;
    if (c->s->trace_records) {
        tr_proc(c, "cl_recv", p, 0);
        /* seq counts receives; sent_seq names the message (cl_send's seq), so
         * that a reader can pair them on a channel that reorders. */
        sb_tracebuf_printf(TB(c), ",\"channel\":%d,\"seq\":%" PRId64 ",\"sent_seq\":%" PRId64
                           ",\"tokens\":%" PRId64, q->inputs[i], x->received, m->position + 1,
                           m->tokens);
        sb_tracebuf_end(TB(c));
    }
    /* Recorded on every snapshot that records this channel now. */
    for (uint64_t bits = q->recording; bits != 0; bits &= bits - 1) {
        part_t *pt = &q->parts[__builtin_ctzll(bits) + 1];
        if (!(pt->marker_in & (1ull << i))) {
            pt->msgs[i]++;
            pt->tokens[i] += m->tokens;
            hold(c, pt, i, m->tokens);
        }
    }
}

/* ------------------------------------------------------------ events */

static void transfer(sb_classic_t *c, int p)
{
    process_t *q = &c->procs[p];
    if (NOW(c) > c->cl->duration_ns)
        return;
    if (q->balance > 0 && q->outputs_count > 0) {
        int o = (int)sb_rng_below(&c->e->rng, (uint64_t)q->outputs_count);
        int64_t most = q->balance < c->cl->transfer_max ? q->balance : c->cl->transfer_max;
        int64_t tokens = 1 + (int64_t)sb_rng_below(&c->e->rng, (uint64_t)most);
        q->balance -= tokens;
        send(c, q->outputs[o], (msg_t){ .tokens = tokens });
    }
    int64_t next = NOW(c) + 1 + sb_rng_exponential(&c->e->rng, c->cl->transfer_interval_ns);
    if (next <= c->cl->duration_ns)
        sb_engine_at(c->e, next, EV_TRANSFER, p, 0);
}

static void deliver(sb_classic_t *c, int ch, int64_t seq)
{
    chan_t *x = &c->chans[ch];
    assert(seq >= 0 && seq < x->count);
    const msg_t *m = &x->msgs[seq];
    if (m->marker)
        on_marker(c, x->to, x->to_input, m);
    else
        on_tokens(c, x->to, x->to_input, m);
}

/* ------------------------------------------------------------ faults */

/* fault_started / fault_ended of a spike, as the pipeline traces them. */
static void trace_spike(sb_classic_t *c, int i, bool started)
{
    const sb_simscenario_fault_t *f = &c->s->faults[i];
    sb_tracebuf_begin(TB(c), started ? "fault_started" : "fault_ended", NOW(c), 1000);
    sb_tracebuf_printf(TB(c), ",\"fault\":%d,\"kind\":\"delay_spike\",\"from\":\"%s\","
                       "\"to\":\"%s\",\"extra_ns\":%" PRId64 ",\"detail\":\"+%" PRId64
                       " ns on channels P%s -> P%s\"", i, f->from, f->to, f->extra_ns,
                       f->extra_ns, f->from[0] ? f->from : "*", f->to[0] ? f->to : "*");
    sb_tracebuf_end(TB(c));
}

/* After the queue was cleared: the faults still to come, and the ends of
 * the spikes still on. */
static void reschedule_faults(sb_classic_t *c)
{
    for (int i = 0; i < c->s->faults_count; i++) {
        const sb_simscenario_fault_t *f = &c->s->faults[i];
        int64_t end_ns = f->at_ns + f->for_ns;
        if (!c->fault_fired[i])
            sb_engine_at(c->e, f->at_ns > NOW(c) ? f->at_ns : NOW(c), EV_FAULT, i, 0);
        else if (f->kind == SB_SIM_FAULT_DELAY_SPIKE && !c->fault_ended[i])
            sb_engine_at(c->e, end_ns > NOW(c) ? end_ns : NOW(c), EV_FAULT_END, i, 0);
    }
}

/* Process f->process crashes: the whole run stops until the rollback. */
static void crash(sb_classic_t *c, int i)
{
    const sb_simscenario_fault_t *f = &c->s->faults[i];
    c->stats.crashes++;
    tr_proc(c, "cl_crash", f->process, 0);
    sb_tracebuf_printf(TB(c), ",\"fault\":%d,\"restore_from\":%d", i, c->last_completed);
    sb_tracebuf_end(TB(c));
    for (int k = 1; k <= c->cl->snapshots; k++)
        if (c->started[k] && !c->completed[k]) {
            c->completed[k] = true; /* abandoned: it never will */
            c->stats.snapshots_abandoned++;
            tr_begin(c, "cl_snapshot_abandoned");
            sb_tracebuf_printf(TB(c), ",\"snapshot\":%d", k);
            sb_tracebuf_end(TB(c));
        }
    c->down = true;
    sb_eventq_clear(&c->e->queue);
    reschedule_faults(c);
    sb_engine_after(c->e, c->s->restart_delay_ns, EV_ROLLBACK, i, 0);
}

static void on_fault(sb_classic_t *c, int i)
{
    const sb_simscenario_fault_t *f = &c->s->faults[i];
    c->fault_fired[i] = true;
    if (f->kind == SB_SIM_FAULT_DELAY_SPIKE) {
        trace_spike(c, i, true);
        sb_engine_at(c->e, f->at_ns + f->for_ns, EV_FAULT_END, i, 0);
    } else if (c->down) {
        c->stats.faults_unfired++; /* it is down already */
    } else {
        crash(c, i);
    }
}

static void on_fault_end(sb_classic_t *c, int i)
{
    if (c->fault_ended[i])
        return;
    c->fault_ended[i] = true;
    trace_spike(c, i, false);
}

/* Channel ch as the snapshot `k` left it (k = 0: the start): its counts
 * at the cut, and its recorded messages back in flight. The channel's
 * numbering (cl_send and cl_recv seq, cl_recorded's counts, marker
 * positions) restarts from *base, the receiver's count at the cut: the
 * messages put back in flight are numbers base + 1 … base + *msgs. */
static void restore_channel(sb_classic_t *c, int ch, int k, int64_t *base, int64_t *msgs,
                            int64_t *tokens)
{
    chan_t *x = &c->chans[ch];
    const part_t *recv = k > 0 ? &c->procs[x->to].parts[k] : NULL;
    x->count = 0;
    x->last_delivery_ns = 0;
    x->received = recv != NULL ? recv->from[x->to_input] : 0;
    x->sent = x->received;
    *base = x->received;
    *msgs = *tokens = 0;
    for (int64_t h = 0; recv != NULL && h < recv->held_count; h++)
        if (recv->held[h].input == x->to_input) {
            enqueue(c, ch, (msg_t){ .tokens = recv->held[h].tokens });
            ++*msgs;
            *tokens += recv->held[h].tokens;
        }
}

/* The messages restore_channel put back in flight on ch (all the channel
 * holds now), traced as sends so that a reader can pair their cl_recv. */
static void trace_replayed(sb_classic_t *c, int ch)
{
    const chan_t *x = &c->chans[ch];
    for (int64_t i = 0; i < x->count; i++) {
        tr_proc(c, "cl_send", x->from, 0);
        sb_tracebuf_printf(TB(c), ",\"channel\":%d,\"seq\":%" PRId64 ",\"tokens\":%" PRId64
                           ",\"replayed\":true", ch, x->msgs[i].position + 1, x->msgs[i].tokens);
        sb_tracebuf_end(TB(c));
    }
}

/* The classic global rollback to the newest completed snapshot. */
static void rollback(sb_classic_t *c, int fault)
{
    int k = c->last_completed;
    int64_t sum = 0;
    c->down = false;
    c->stats.rollbacks++;
    tr_begin(c, "cl_restore");
    sb_tracebuf_printf(TB(c), ",\"snapshot\":%d,\"fault\":%d,\"balances\":[", k, fault);
    for (int p = 0; p < c->cl->processes; p++) {
        process_t *q = &c->procs[p];
        q->balance = k > 0 ? q->parts[k].balance : c->cl->tokens;
        q->recording = 0;
        sum += q->balance;
        sb_tracebuf_printf(TB(c), "%s%" PRId64, p ? "," : "", q->balance);
    }
    sb_tracebuf_printf(TB(c), "],\"channels\":[");
    for (int ch = 0; ch < c->chans_count; ch++) {
        int64_t base, msgs, tokens;
        restore_channel(c, ch, k, &base, &msgs, &tokens);
        sum += tokens;
        sb_tracebuf_printf(TB(c), "%s[%d,%" PRId64 ",%" PRId64 ",%" PRId64 "]", ch ? "," : "",
                           ch, msgs, tokens, base);
    }
    sb_tracebuf_printf(TB(c), "],\"tokens\":%" PRId64, sum);
    sb_tracebuf_end(TB(c));
    for (int ch = 0; ch < c->chans_count && c->s->trace_records; ch++)
        trace_replayed(c, ch);
    const sb_simscenario_classic_t *cl = c->cl;
    for (int p = 0; p < cl->processes; p++)
        sb_engine_after(c->e, 1 + sb_rng_exponential(&c->e->rng, cl->transfer_interval_ns),
                        EV_TRANSFER, p, 0);
    for (int s = 1; s <= cl->snapshots; s++)
        for (int i = 0; i < cl->initiators_count && !c->started[s]; i++)
            sb_engine_at(c->e, s * cl->snapshot_interval_ns > NOW(c) ? s * cl->snapshot_interval_ns
                                                                     : NOW(c),
                         EV_INITIATE, cl->initiators[i], s);
}

void sb_classic_handle(void *model, const sb_event_t *ev)
{
    sb_classic_t *c = model;
    switch (ev->kind) {
    case EV_TRANSFER: transfer(c, ev->a); return;
    case EV_INITIATE: initiate(c, ev->a, (int)ev->b); return;
    case EV_DELIVER: deliver(c, ev->a, ev->b); return;
    case EV_FAULT: on_fault(c, ev->a); return;
    case EV_FAULT_END: on_fault_end(c, ev->a); return;
    case EV_ROLLBACK: rollback(c, ev->a); return;
    }
    assert(!"unknown event kind");
}

/* ------------------------------------------------------------ building */

static int build(sb_classic_t *c)
{
    const sb_simscenario_classic_t *cl = c->cl;
    c->chans = calloc((size_t)(cl->edges_count > 0 ? cl->edges_count : 1), sizeof *c->chans);
    if (c->chans == NULL)
        return -1;
    c->chans_count = cl->edges_count;
    for (int e = 0; e < cl->edges_count; e++) {
        chan_t *x = &c->chans[e];
        x->from = cl->edges[e][0];
        x->to = cl->edges[e][1];
        process_t *u = &c->procs[x->from], *v = &c->procs[x->to];
        assert(u->outputs_count < PROCESSES_MAX && v->inputs_count < PROCESSES_MAX);
        u->outputs[u->outputs_count++] = e;
        x->to_input = v->inputs_count;
        v->inputs[v->inputs_count++] = e;
    }
    for (int p = 0; p < cl->processes; p++) {
        process_t *q = &c->procs[p];
        q->balance = cl->tokens;
        size_t n = (size_t)(q->inputs_count > 0 ? q->inputs_count : 1);
        for (int k = 1; k <= cl->snapshots; k++) {
            part_t *pt = &q->parts[k];
            pt->from = calloc(n, sizeof *pt->from);
            pt->msgs = calloc(n, sizeof *pt->msgs);
            pt->tokens = calloc(n, sizeof *pt->tokens);
            pt->sent_at = calloc((size_t)(q->outputs_count > 0 ? q->outputs_count : 1),
                                 sizeof *pt->sent_at);
            if (pt->from == NULL || pt->msgs == NULL || pt->tokens == NULL || pt->sent_at == NULL)
                return -1;
        }
    }
    return 0;
}

sb_classic_t *sb_classic_new(const sb_simscenario_t *s, sb_engine_t *e)
{
    assert(s->model == SB_SIM_MODEL_CLASSIC);
    assert(s->classic.snapshots <= SNAPSHOTS_MAX);
    sb_classic_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->s = s;
    c->cl = &s->classic;
    c->e = e;
    c->pid = 1001;
    c->stats.total = s->classic.tokens * s->classic.processes;
    if (build(c) != 0) {
        sb_classic_free(c);
        return NULL;
    }
    return c;
}

void sb_classic_free(sb_classic_t *c)
{
    if (c == NULL)
        return;
    for (int p = 0; p < PROCESSES_MAX; p++)
        for (int k = 0; k <= SNAPSHOTS_MAX; k++) {
            free(c->procs[p].parts[k].from);
            free(c->procs[p].parts[k].msgs);
            free(c->procs[p].parts[k].tokens);
            free(c->procs[p].parts[k].sent_at);
            free(c->procs[p].parts[k].held);
        }
    for (int ch = 0; ch < c->chans_count; ch++)
        free(c->chans[ch].msgs);
    free(c->chans);
    free(c);
}

static void trace_graph(sb_classic_t *c)
{
    tr_begin(c, "cl_graph");
    sb_tracebuf_printf(TB(c), ",\"processes\":%d,\"tokens\":%" PRId64 ",\"total\":%" PRId64
                       ",\"fifo\":%s,\"channels\":[", c->cl->processes, c->cl->tokens,
                       c->stats.total, c->cl->fifo ? "true" : "false");
    for (int ch = 0; ch < c->chans_count; ch++)
        sb_tracebuf_printf(TB(c), "%s{\"channel\":%d,\"from\":%d,\"to\":%d}", ch ? "," : "", ch,
                           c->chans[ch].from, c->chans[ch].to);
    sb_tracebuf_printf(TB(c), "]");
    sb_tracebuf_end(TB(c));
}

void sb_classic_start(sb_classic_t *c, uint64_t seed)
{
    sb_tracebuf_begin(TB(c), "run_started", 0, 1000);
    sb_tracebuf_printf(TB(c), ",\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"mode\":\"CHANDY_LAMPORT"
                       "\",\"model\":\"chandy-lamport\",\"simulated\":true", c->s->name, seed);
    sb_tracebuf_end(TB(c));
    trace_graph(c);
    const sb_simscenario_classic_t *cl = c->cl;
    for (int p = 0; p < cl->processes; p++)
        sb_engine_at(c->e, 1 + sb_rng_exponential(&c->e->rng, cl->transfer_interval_ns),
                     EV_TRANSFER, p, 0);
    for (int k = 1; k <= cl->snapshots; k++)
        for (int i = 0; i < cl->initiators_count; i++)
            sb_engine_at(c->e, k * cl->snapshot_interval_ns, EV_INITIATE, cl->initiators[i], k);
    for (int i = 0; i < c->s->faults_count; i++)
        sb_engine_at(c->e, c->s->faults[i].at_ns, EV_FAULT, i, 0);
}

void sb_classic_stats(const sb_classic_t *c, sb_classic_stats_t *out)
{
    *out = c->stats;
    out->finished = c->stats.snapshots_completed + c->stats.snapshots_abandoned ==
                    c->cl->snapshots;
}
