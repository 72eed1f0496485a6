/* job.c — the worker's job graph, its subtask threads and the coordinator
 * driver. See job.h.
 *
 * Threads and what they own:
 * - one thread per subtask: its barrier handler, its operator state, the
 *   producer side of its output channels and the consumer side of its
 *   inputs (every channel is single-producer single-consumer);
 * - the coordinator thread: the pure coordinator (coordinator.h), the
 *   checkpoint storage writes of _triggered and _metadata, and the trigger
 *   rings towards the sources (it is their only producer).
 * Subtasks talk to the coordinator through a mutex-protected ack queue
 * (acks are per checkpoint, not per record) and read its decisions from
 * atomics (completed id, final id, stop). */
#include "job.h"

#include <assert.h>
#include <ck_ring.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "barrier.h"
#include "channel.h"
#include "checkpoint_store.h"
#include "chstate.h"
#include "clock.h"
#include "coordinator.h"
#include "input.h"
#include "kafka.h"
#include "progress.h"
#include "sink.h"
#include "store_fault.h"
#include "store.h"
#include "subtask.h"
#include "subtask_script.h"
#include "trace.h"

/* A padded input value (input.record_bytes) must travel whole. */
_Static_assert(SB_VALUE_BYTES_MAX >= SB_INPUT_RECORD_BYTES_MAX,
               "a channel record must hold the largest input value");

#define SB_TASKS_MAX SB_COORD_TASKS_MAX
#define SB_CHANNELS_MAX 1024
#define SB_TRIGGER_RING_SLOTS 64          /* power of two */
#define SB_ACK_QUEUE_MAX 1024
#define SB_COORD_TICK_NS (1 * SB_NS_PER_MS)
#define SB_SAMPLE_EVERY_NS (100 * SB_NS_PER_MS)  /* "sample" trace events */
#define SB_REC_BUF_BYTES (256 * 1024)             /* a task's record trace buffer */
#define SB_REC_LINE_BYTES_MAX (200 + SB_BATCH_RECORDS_MAX * 48)
#define SB_SOURCE_POLL_BATCH SB_BATCH_RECORDS_MAX /* messages per poll round:
                                                    one output item's worth */


typedef struct job job_t;

/* The consumer side of one input channel, beyond the barrier handler's
 * view: items taken off the ring but not processed yet (an unaligned
 * barrier's overtaken records are copied from here). */
typedef struct input_state {
    sb_item_t *held[SB_CHANNEL_RING_SLOTS];
    int held_head, held_count;
} input_state_t;

typedef struct task {
    job_t *job;
    int index;                      /* global task index: the coordinator's */
    sb_stage_kind_t kind;
    int subtask;
    char name[32];
    pthread_t thread;
    bool started;

    sb_channel_t *inputs[SB_BARRIER_INPUTS_MAX];
    int inputs_count;
    sb_channel_t *outputs[SB_SCENARIO_PARALLELISM_MAX];
    sb_item_t *out_items[SB_SCENARIO_PARALLELISM_MAX];
    int outputs_count;
    sb_connection_t out_connection;
    unsigned rebalance_next;
    sb_barrier_t barrier;
    input_state_t in[SB_BARRIER_INPUTS_MAX];
    sb_subtask_t sub;               /* the protocol's part (subtask.h) */
    json_t *state;                  /* taken at the snapshot, written at the ack */
    sb_chstate_t chstate;           /* being captured for work.id */
    sb_chstate_t replay;            /* restored: replayed before any input */
    char *rec_buf;                  /* record trace lines not yet written */
    size_t rec_len;
    int64_t replay_id;              /* the checkpoint it came from, or 0 */
    bool first_record_traced;       /* sink: "first_record" written */
    size_t filter_prefix_len;       /* filter: strlen of the prefix, once */

    /* source */
    rd_kafka_t *consumer;
    rd_kafka_queue_t *consumer_queue; /* the queue rd_kafka_consumer_poll reads */
    int partitions[SB_JOB_PARTITIONS_MAX];
    int partitions_count;
    int64_t next_offset[SB_JOB_PARTITIONS_MAX]; /* indexed by partition */
    ck_ring_t triggers;
    ck_ring_buffer_t trigger_slots[SB_TRIGGER_RING_SLOTS];
    int64_t trigger_ids[SB_TRIGGER_RING_SLOTS]; /* storage the ring points into */
    int64_t trigger_ns[SB_TRIGGER_RING_SLOTS];  /* when each was triggered */
    unsigned trigger_next;
    bool finished;
    double records_per_s;           /* this subtask's share; 0 = unlimited */
    int64_t rate_start_ns;
    int64_t rate_emitted;

    /* throttles set by the fault harness (progress.h) */
    double throttle_records, throttle_bytes; /* credit */
    int64_t throttle_last_ns;

    /* count */
    json_t *counts;

    /* sink */
    sb_sink_t sink;
} task_t;

typedef struct ack {
    int task;
    sb_subtask_ack_t a;
} ack_t;

struct job {
    const sb_job_params_t *p;
    const sb_scenario_t *s;
    sb_trace_t trace;
    sb_cpstore_t cps;
    sb_store_t sink_store;
    sb_progress_t *progress;

    task_t tasks[SB_TASKS_MAX];
    int tasks_count;
    int sources_count;
    sb_channel_t *channels;
    int channels_count;

    int64_t restored_id;
    int64_t first_id;
    bool unrestorable;              /* no completed checkpoint is whole */
    bool cps_open, sink_open;

    pthread_mutex_t lock;           /* guards acks and error */
    ack_t acks[SB_ACK_QUEUE_MAX];
    int acks_count;
    sb_err_t error;                 /* the first failure */

    _Atomic int64_t completed_id;
    _Atomic int64_t final_id;
    _Atomic int sources_finished;
    atomic_bool stop;               /* failure: every thread winds down */
    atomic_bool tasks_done;
    pthread_t coordinator;
    bool scripted;                  /* sb_job_script_run: the script's clock */
    int64_t script_now_ns;
    const sb_script_t *script;      /* ... its crash-point fault */
    bool script_crashed;            /* ... which fired: the incarnation is dead */
};

/* ---------------------------------------------------------------- errors */

static void job_fail(job_t *job, const sb_err_t *e)
{
    pthread_mutex_lock(&job->lock);
    if (job->error.msg[0] == '\0')
        job->error = *e;
    pthread_mutex_unlock(&job->lock);
    atomic_store(&job->stop, true);
}

static bool stopping(job_t *job)
{
    return atomic_load_explicit(&job->stop, memory_order_relaxed);
}

static void rec_flush(task_t *t);

static void trace_task(job_t *job, const char *event, task_t *t, int64_t id, json_t *extra)
{
    rec_flush(t); /* the task's record events come before this one */
    json_t *o = extra != NULL ? extra : json_object();
    json_object_set_new(o, "task", json_string(t->name));
    if (id > 0)
        json_object_set_new(o, "checkpoint", json_integer(id));
    sb_trace_emit(&job->trace, event, o);
}

/* ------------------------------------------------------- record trace */

/* With `trace: records`, every batch a subtask sends or receives becomes one
 * line: task, channel, the position of its first record on that channel and
 * the record ids. Lines collect in the task's own buffer (no lock, no
 * syscall per batch) and go out whole, and always before the task's next
 * checkpoint event, so that each subtask's events keep their order. */
static void rec_flush(task_t *t)
{
    if (t->rec_len > 0)
        sb_trace_write_lines(&t->job->trace, t->rec_buf, t->rec_len);
    t->rec_len = 0;
}

static void rec_batch(task_t *t, const char *event, const sb_channel_t *ch, int64_t first,
                      const sb_record_t *records, int count)
{
    if (t->rec_buf == NULL)
        return;
    if (t->rec_len + SB_REC_LINE_BYTES_MAX > SB_REC_BUF_BYTES)
        rec_flush(t);
    char *p = t->rec_buf + t->rec_len;
    p += sprintf(p, "{\"event\":\"%s\",\"t_ns\":%" PRId64 ",\"pid\":%d,\"task\":\"%s\","
                 "\"channel\":%d,\"first\":%" PRId64 ",\"ids\":[", event, sb_clock_now_ns(),
                 (int)getpid(), t->name, ch->index, first);
    for (int i = 0; i < count; i++)
        p += sprintf(p, "%s\"%d:%" PRId64 "\"", i ? "," : "", (int)records[i].partition,
                     records[i].offset);
    p += sprintf(p, "]}\n");
    t->rec_len = (size_t)(p - t->rec_buf);
}

/* Every push of a record batch goes through here (the record trace). */
static void push_records(task_t *t, int o, sb_item_t *it)
{
    rec_batch(t, "send", t->outputs[o], t->outputs[o]->pushed + 1, it->records, it->count);
    sb_channel_push(t->outputs[o], it);
}

/* ------------------------------------------------------------- throttles */

static const sb_stage_t *stage_of(const sb_scenario_t *s, sb_stage_kind_t k);
_Static_assert((int)SB_STAGE_SOURCE == SB_STAGE_SOURCE && (int)SB_STAGE_SINK == SB_STAGE_SINK &&
               (int)SB_STAGE_COUNT == SB_STAGE_COUNT, "task kinds index the stage throttles");

/* The stage's share for one subtask of a throttle the supervisor set.
 * Returns how many records this subtask may take now: 0 when stalled or
 * out of credit, INT32_MAX when not throttled. Credit accrues with time
 * and is capped at one batch, so a throttle cannot be saved up. */
static int throttle_allowance(task_t *t)
{
    const sb_throttle_t *th = &t->job->progress->throttle[t->kind];
    if (!atomic_load_explicit(&th->active, memory_order_relaxed)) {
        t->throttle_last_ns = 0;
        return INT32_MAX;
    }
    int64_t rps = atomic_load(&th->records_per_s), bps = atomic_load(&th->bytes_per_s);
    if (rps == 0 && bps == 0)
        return 0; /* stalled */
    int par = stage_of(t->job->s, t->kind)->parallelism;
    int64_t now = sb_clock_now_ns();
    if (t->throttle_last_ns == 0) {
        t->throttle_last_ns = now;
        t->throttle_records = t->throttle_bytes = 0;
    }
    double secs = (double)(now - t->throttle_last_ns) / 1e9;
    t->throttle_last_ns = now;
    int allowed = INT32_MAX;
    if (rps > 0) {
        t->throttle_records += secs * (double)rps / par;
        if (t->throttle_records > SB_BATCH_RECORDS_MAX)
            t->throttle_records = SB_BATCH_RECORDS_MAX;
        allowed = t->throttle_records >= 1 ? (int)t->throttle_records : 0;
    }
    if (bps > 0) {
        t->throttle_bytes += secs * (double)bps / par;
        if (t->throttle_bytes > 64.0 * 1024)
            t->throttle_bytes = 64.0 * 1024;
        if (t->throttle_bytes <= 0)
            allowed = 0;
    }
    return allowed;
}

static void throttle_charge(task_t *t, int records, size_t bytes)
{
    t->throttle_records -= records;
    t->throttle_bytes -= (double)bytes;
}

/* --------------------------------------------------------------- outputs */

static uint32_t hash_value(const char *v, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a: stable across runs and processes */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)v[i]) * 16777619u;
    return h;
}

static int output_for(task_t *t, const sb_record_t *r)
{
    switch (t->out_connection) {
    case SB_CONNECTION_FORWARD:
        return 0;
    case SB_CONNECTION_REBALANCE:
        return (int)(t->rebalance_next++ % (unsigned)t->outputs_count);
    case SB_CONNECTION_HASH:
        return (int)(hash_value(r->value, r->value_len) % (uint32_t)t->outputs_count);
    }
    return 0;
}

/* Returns false when the job is stopping (the acquire gave up). */
static bool emit(task_t *t, const sb_record_t *r)
{
    int o = output_for(t, r);
    sb_item_t *it = t->out_items[o];
    if (it == NULL) {
        it = sb_channel_acquire(t->outputs[o], &t->job->stop);
        if (it == NULL)
            return false;
        it->kind = SB_ITEM_RECORDS;
        t->out_items[o] = it;
    }
    /* Only the bytes of the value in use: a slot has room for a padded
     * input.record_bytes value, most values are a short word. */
    memcpy(&it->records[it->count++], r, offsetof(sb_record_t, value) + r->value_len);
    if (it->count == SB_BATCH_RECORDS_MAX) {
        push_records(t, o, it);
        t->out_items[o] = NULL;
    }
    return true;
}

static void flush_outputs(task_t *t)
{
    for (int o = 0; o < t->outputs_count; o++) {
        sb_item_t *it = t->out_items[o];
        if (it != NULL && it->count > 0) {
            push_records(t, o, it);
            t->out_items[o] = NULL;
        }
    }
}

/* Whether every output can take a whole input item's worth of records
 * without waiting. A subtask reads an input item only then: one blocked in
 * the middle of an item could not read barrier announcements, and an
 * unaligned barrier must get through a backpressured subtask at once. */
static bool outputs_ready(task_t *t)
{
    for (int o = 0; o < t->outputs_count; o++) {
        const sb_item_t *it = t->out_items[o];
        if (!(it != NULL && it->count == 0) && !sb_channel_can_acquire(t->outputs[o]))
            return false;
    }
    return true;
}

/* End of input follows every record on every output. */
static bool broadcast_end(task_t *t)
{
    flush_outputs(t);
    for (int o = 0; o < t->outputs_count; o++) {
        sb_item_t *it = t->out_items[o];
        if (it == NULL)
            it = sb_channel_acquire(t->outputs[o], &t->job->stop);
        if (it == NULL)
            return false;
        t->out_items[o] = NULL;
        it->kind = SB_ITEM_END_OF_INPUT;
        it->count = 0;
        sb_channel_push(t->outputs[o], it);
    }
    return true;
}

/* ----------------------------------------------------------- snapshots */

static bool is_final_checkpoint(job_t *job, int64_t id)
{
    return id == atomic_load(&job->final_id);
}

/* A named crash point: the worker's hook (the fault harness) may kill the
 * process here; the runtime itself knows nothing of fault plans. */
static bool crash_point(job_t *job, sb_crash_point_t point, int64_t id, bool final)
{
    return job->p->on_crash_point != NULL &&
           job->p->on_crash_point(job->p->crash_ctx, point, id, final);
}

/* The next offset of each of the source's partitions. */
static json_t *source_offsets(const task_t *t)
{
    json_t *offsets = json_object();
    for (int i = 0; i < t->partitions_count; i++) {
        char k[16];
        snprintf(k, sizeof k, "%d", t->partitions[i]);
        json_object_set_new(offsets, k, json_integer(t->next_offset[t->partitions[i]]));
    }
    return offsets;
}

/* A JSON value as one more field of a trace event. */
static void fields_add_json(sb_subtask_fields_t *f, const char *key, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    sb_subtask_fields_add(f, ",\"%s\":%s", key, text != NULL ? text : "null");
    free(text);
}

/* The subtask layer's operations (subtask.h) on threads, rings and
 * checkpoint storage. ctx is the task. */

static int64_t op_now_ns(void *ctx)
{
    const task_t *t = ctx;
    return t->job->scripted ? t->job->script_now_ns : sb_clock_now_ns();
}

/* The operator state at the cut (copied when the subtask goes on changing
 * it before the ack); the sink stages its epoch first. */
static int op_take_state(void *ctx, int64_t id, bool unaligned, sb_subtask_fields_t *cut,
                         sb_err_t *err)
{
    (void)id, (void)err;
    task_t *t = ctx;
    json_decref(t->state);
    switch (t->kind) {
    case SB_STAGE_SOURCE: t->state = json_pack("{s:o}", "offsets", source_offsets(t)); break;
    case SB_STAGE_COUNT:
        t->state = json_pack("{s:o}", "counts", unaligned ? json_deep_copy(t->counts)
                                                          : json_incref(t->counts));
        break;
    case SB_STAGE_SINK: t->state = sb_sink_state(&t->sink); break;
    default: t->state = json_object(); break; /* stateless */
    }
    if (unaligned)
        sb_chstate_reset(&t->chstate, id, t->inputs_count);
    if (t->kind == SB_STAGE_SOURCE)
        fields_add_json(cut, "offsets", json_object_get(t->state, "offsets"));
    return 0;
}

/* Emitted on output o: pushed, or still in the output batch. */
static void op_output_cut(void *ctx, int o, int *channel, int64_t *emitted)
{
    task_t *t = ctx;
    const sb_item_t *it = t->out_items[o];
    *channel = t->outputs[o]->index;
    *emitted = t->outputs[o]->pushed + (it != NULL ? it->count : 0);
}

/* A barrier goes to every output after the records before it: they are
 * pushed first, so its announced position counts them (FIFO per channel is
 * what makes the cut consistent). */
static bool op_forward_barrier(void *ctx, const sb_barrier_announcement_t *a)
{
    task_t *t = ctx;
    flush_outputs(t);
    for (int o = 0; o < t->outputs_count; o++)
        if (!sb_channel_announce(t->outputs[o], *a, &t->job->stop))
            return false;
    return true;
}

static void held_push(input_state_t *in, sb_item_t *it)
{
    assert(in->held_count < SB_CHANNEL_RING_SLOTS);
    in->held[(in->held_head + in->held_count++) % SB_CHANNEL_RING_SLOTS] = it;
}

static sb_item_t *held_at(const input_state_t *in, int k)
{
    return in->held[(in->held_head + k) % SB_CHANNEL_RING_SLOTS];
}

static void held_pop(input_state_t *in)
{
    in->held_head = (in->held_head + 1) % SB_CHANNEL_RING_SLOTS;
    in->held_count--;
}

/* Copies the records of `it` at positions in (from, to]. */
static int capture_item(task_t *t, int c, const sb_item_t *it, int64_t from, int64_t to,
                        sb_err_t *err)
{
    for (int i = 0; i < it->count; i++) {
        int64_t pos = it->position + i + 1;
        if (pos <= from)
            continue;
        if (pos > to)
            break;
        if (sb_chstate_append(&t->chstate, c, &it->records[i], err) != 0)
            return -1;
    }
    return 0;
}

/* From the item being read, or from what is still queued: the items held
 * off the ring, then the ring itself (pushed before the barrier was
 * announced, so they must be there). */
static int op_capture(void *ctx, int c, int64_t from, int64_t to, const void *reading,
                      sb_err_t *err)
{
    task_t *t = ctx;
    if (reading != NULL)
        return capture_item(t, c, reading, from, to, err);
    input_state_t *in = &t->in[c];
    int64_t covered = sb_barrier_position(&t->barrier, c); /* held items start here */
    for (int k = 0; covered < to; k++) {
        if (k == in->held_count) {
            sb_item_t *more = sb_channel_poll(t->inputs[c]);
            assert(more != NULL);
            if (more == NULL)
                break;
            held_push(in, more);
        }
        const sb_item_t *it = held_at(in, k);
        if (it->kind != SB_ITEM_RECORDS)
            break;
        if (capture_item(t, c, it, from, to, err) != 0)
            return -1;
        covered = it->position + it->count;
    }
    return 0;
}

/* Writes the channel state (if any) and the snapshot that references it. */
static int op_persist(void *ctx, int64_t id, bool unaligned, sb_subtask_persisted_t *out,
                      sb_err_t *err)
{
    task_t *t = ctx;
    job_t *job = t->job;
    assert(t->state != NULL);
    if (unaligned && t->chstate.records > 0) {
        size_t len = 0;
        if (sb_cpstore_write_channel_state(&job->cps, id, t->name, &t->chstate, t->state, &len,
                                           err) != 0)
            return -1;
        out->inflight_records = (int64_t)t->chstate.records;
        out->inflight_bytes = (int64_t)len;
    }
    size_t bytes = 0;
    int rc = sb_cpstore_write_snapshot(&job->cps, id, t->name, t->state, &bytes, err);
    json_decref(t->state);
    t->state = NULL;
    out->state_bytes = (int64_t)bytes;
    return rc;
}

static void op_ack(void *ctx, const sb_subtask_ack_t *a)
{
    task_t *t = ctx;
    job_t *job = t->job;
    pthread_mutex_lock(&job->lock);
    /* Bounded: at most max-concurrent checkpoints times tasks are pending. */
    assert(job->acks_count < SB_ACK_QUEUE_MAX);
    job->acks[job->acks_count++] = (ack_t){ .task = t->index, .a = *a };
    pthread_mutex_unlock(&job->lock);
}

static void op_fail(void *ctx, const sb_err_t *err)
{
    task_t *t = ctx;
    job_fail(t->job, err);
}

/* To worker.log, as cli/worker.c writes a failure: one line (the error
 * names the subtask and the file). */
static void op_warn(void *ctx, const sb_err_t *err)
{
    task_t *t = ctx;
    fprintf(stderr, "snapbed worker (attempt %d): %s\n", t->job->p->attempt, err->msg);
}

/* One line, one write(); the task's record events go first. */
static void op_emit(void *ctx, const char *event, int64_t id, const char *fields, size_t len)
{
    task_t *t = ctx;
    rec_flush(t);
    char line[SB_SUBTASK_FIELDS_BYTES_MAX + 256];
    int n = snprintf(line, sizeof line, "{\"event\":\"%s\",\"t_ns\":%" PRId64 ",\"pid\":%d,"
                     "\"task\":\"%s\"", event, sb_clock_now_ns(), (int)getpid(), t->name);
    if (id > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, ",\"checkpoint\":%" PRId64, id);
    if (len > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, ",%.*s", (int)len, fields);
    n += snprintf(line + n, sizeof line - (size_t)n, "}\n");
    assert((size_t)n < sizeof line);
    sb_trace_write_lines(&t->job->trace, line, (size_t)n);
}

/* A real crash does not return. */
static bool op_crash_point(void *ctx, sb_crash_point_t point, int64_t id, bool final)
{
    task_t *t = ctx;
    return crash_point(t->job, point, id, final);
}

static int op_sink_commit(void *ctx, int64_t upto, sb_err_t *err)
{
    task_t *t = ctx;
    return sb_sink_commit(&t->sink, upto, err);
}

static int write_final_counts(task_t *t, sb_err_t *err);

static bool op_end_of_input(void *ctx)
{
    task_t *t = ctx;
    flush_outputs(t);
    sb_err_t err = { { 0 } };
    if (t->kind == SB_STAGE_COUNT && write_final_counts(t, &err) != 0) {
        sb_err_wrap(&err, "%s: writing final counts", t->name);
        job_fail(t->job, &err);
        return false;
    }
    return broadcast_end(t);
}

static int source_consume(task_t *t, bool *got, bool ignore_rate);

static bool op_emit_more(void *ctx)
{
    bool got;
    return source_consume(ctx, &got, true) == 0;
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
    .unblocked = NULL,
    .warn = op_warn,
};

static void subtask_init(task_t *t)
{
    int channels[SB_BARRIER_INPUTS_MAX];
    for (int c = 0; c < t->inputs_count; c++)
        channels[c] = t->inputs[c]->index;
    sb_subtask_config_t cfg = { .name = t->name, .kind = t->kind, .mutant = t->job->s->mutant,
                                .inputs_count = t->inputs_count,
                                .outputs_count = t->outputs_count, .input_channel = channels,
                                .barrier = t->kind == SB_STAGE_SOURCE ? NULL : &t->barrier,
                                .sink = t->kind == SB_STAGE_SINK ? &t->sink : NULL };
    sb_subtask_init(&t->sub, &cfg, &subtask_ops, t);
}

/* ------------------------------------------------------------- the sink */

/* Between two uploads of one commit: the mid-commit crash point. */
static bool sink_on_published(void *ctx, int64_t checkpoint_id)
{
    task_t *t = ctx;
    return !crash_point(t->job, SB_POINT_SINK_MID_COMMIT, checkpoint_id,
                        is_final_checkpoint(t->job, checkpoint_id));
}

static void sink_poll_notifications(task_t *t)
{
    int64_t done = atomic_load(&t->job->completed_id);
    if (done > t->sink.committed_upto)
        sb_subtask_completed(&t->sub, done, is_final_checkpoint(t->job, done));
}

static bool sink_append(task_t *t, const sb_record_t *r)
{
    sb_err_t err = { { 0 } };
    if (sb_sink_append(&t->sink, r->partition, r->offset, r->value, r->value_len, &err) == 0)
        return true;
    job_fail(t->job, &err);
    return false;
}

/* -------------------------------------------------------- the operators */

/* ASCII upper-case eight bytes at a time (SWAR): the map's cost per record
 * was a compare and jump per byte of a ~100-byte value. In each byte, with
 * the top bit cleared (a), a + 0x1f sets the top bit iff a >= 'a' and
 * a + 0x05 sets it iff a > 'z'; neither sum carries into the next byte. A
 * byte whose own top bit is set is not ASCII and is kept, as are bytes
 * outside 'a'..'z' (verify/verdict.c computes the same function). */
static void uppercase(char *v, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, top = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, v + i, 8);
        uint64_t a = x & ~top;
        uint64_t lower = (a + ones * (0x80 - 'a')) & ~(a + ones * (0x80 - 'z' - 1)) & ~x & top;
        x ^= lower >> 2; /* 0x80 >> 2 is 0x20, the case bit */
        memcpy(v + i, &x, 8);
    }
    for (; i < len; i++)
        if (v[i] >= 'a' && v[i] <= 'z')
            v[i] = (char)(v[i] - 'a' + 'A');
}

static bool process_record(task_t *t, sb_record_t *r)
{
    const sb_scenario_t *s = t->job->s;
    switch (t->kind) {
    case SB_STAGE_MAP:
        if (s->map_fn == SB_MAP_UPPERCASE)
            uppercase(r->value, r->value_len);
        return emit(t, r);
    case SB_STAGE_FILTER:
        if (r->value_len < t->filter_prefix_len ||
            memcmp(r->value, s->filter_prefix, t->filter_prefix_len) != 0)
            return true;
        return emit(t, r);
    case SB_STAGE_COUNT: {
        char key[SB_VALUE_BYTES_MAX + 1];
        memcpy(key, r->value, r->value_len);
        key[r->value_len] = '\0';
        json_t *c = json_object_get(t->counts, key);
        if (c == NULL)
            json_object_set_new(t->counts, key, json_integer(1));
        else
            json_integer_set(c, json_integer_value(c) + 1);
        return emit(t, r);
    }
    case SB_STAGE_SINK:
        return sink_append(t, r);
    case SB_STAGE_SOURCE:
    case SB_STAGE_COUNT_:
        break;
    }
    assert(!"sources do not process records");
    return false;
}

static int write_final_counts(task_t *t, sb_err_t *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/counts", t->job->p->run_dir);
    sb_store_t st;
    char uri[1100];
    snprintf(uri, sizeof uri, "file://%s", path);
    if (sb_store_open(&st, uri, "/", err) != 0)
        return -1;
    char key[64];
    snprintf(key, sizeof key, "%s.json", t->name);
    char *text = json_dumps(t->counts, JSON_SORT_KEYS | JSON_INDENT(1));
    int rc = sb_store_put(&st, key, text, strlen(text), err);
    free(text);
    return rc;
}

/* Gives the layer every barrier input c's sender has announced so far. */
static bool drain_announcements(task_t *t, int c)
{
    sb_barrier_announcement_t ann;
    while (sb_channel_poll_announcement(t->inputs[c], &ann))
        if (!sb_subtask_announce(&t->sub, c, &ann))
            return false;
    return true;
}

/* The next item of input c; it stays queued in `held` until processed. */
static sb_item_t *peek_item(task_t *t, int c)
{
    input_state_t *in = &t->in[c];
    if (in->held_count == 0) {
        sb_item_t *it = sb_channel_poll(t->inputs[c]);
        if (it == NULL)
            return NULL;
        held_push(in, it);
    }
    return held_at(in, 0);
}

static int process_item(task_t *t, int c, sb_item_t *it, bool *ended)
{
    if (it->kind == SB_ITEM_END_OF_INPUT) {
        sb_channel_release(t->inputs[c], it);
        return sb_subtask_end_of_input(&t->sub, c, ended) ? 1 : -1;
    }
    rec_batch(t, "recv", t->inputs[c], it->position + 1, it->records, it->count);
    /* Once per sink subtask and incarnation, so recovery time can be read
     * off the trace (bench/recovery.sh): when output flows again. */
    if (t->kind == SB_STAGE_SINK && !t->first_record_traced && it->count > 0) {
        t->first_record_traced = true;
        trace_task(t->job, "first_record", t, 0,
                   json_pack("{s:i,s:I}", "partition", (int)it->records[0].partition,
                             "offset", (json_int_t)it->records[0].offset));
    }
    /* In flight across the cut: copied before the operator changes them. */
    sb_subtask_capture_read(&t->sub, c, it->position, it->count, it);
    bool ok = true;
    size_t bytes = 0;
    for (int i = 0; i < it->count && ok; i++) {
        bytes += it->records[i].value_len + sizeof it->records[i].offset;
        ok = process_record(t, &it->records[i]);
    }
    int n = it->count;
    throttle_charge(t, n, bytes);
    sb_channel_release(t->inputs[c], it);
    if (!ok)
        return -1;
    return sb_subtask_records_read(&t->sub, c, n) ? 1 : -1;
}

/* Barriers first, then one item from an unblocked input. Returns 1 if it
 * took an item, 0 if none was ready, -1 to stop. */
static int operator_step(task_t *t, bool *ended)
{
    for (int c = 0; c < t->inputs_count; c++)
        if (!t->barrier.in[c].ended && !drain_announcements(t, c))
            return -1;
    if (!sb_subtask_tick(&t->sub) || !sb_subtask_arrive_due(&t->sub))
        return -1;
    if (throttle_allowance(t) == 0 || !outputs_ready(t))
        return 0; /* the input channels fill up, upstream waits */
    for (int k = 0; k < t->inputs_count; k++) {
        int c = (int)((t->rebalance_next + (unsigned)k) % (unsigned)t->inputs_count);
        if (t->barrier.in[c].ended || sb_barrier_is_blocked(&t->barrier, c))
            continue;
        sb_item_t *it = peek_item(t, c);
        if (it == NULL)
            continue;
        /* Every announcement made before this item was pushed is readable
         * now: the handler must see a barrier before the records after it. */
        if (!drain_announcements(t, c))
            return -1;
        if (sb_barrier_is_blocked(&t->barrier, c))
            continue;
        assert(it == held_at(&t->in[c], 0));
        assert(it->position == sb_barrier_position(&t->barrier, c));
        held_pop(&t->in[c]);
        return process_item(t, c, it, ended);
    }
    return 0;
}

/* After a restore, the recovered channel state goes first, input by input,
 * in the order it was in flight; then new input. */
static bool replay_channel_state(task_t *t)
{
    if (t->replay_id == 0)
        return true;
    size_t n = 0;
    for (int c = 0; c < t->replay.inputs; c++)
        for (size_t k = 0; k < t->replay.in[c].count; k++) {
            sb_record_t r = t->replay.in[c].records[k];
            if (!process_record(t, &r))
                return false;
            n++;
        }
    flush_outputs(t);
    trace_task(t->job, "channel_state_restored", t, t->replay_id,
               json_pack("{s:I,s:I}", "records", (json_int_t)n, "bytes",
                         (json_int_t)t->replay.bytes));
    sb_chstate_free(&t->replay);
    t->replay_id = 0;
    return true;
}

/* The sink finishes once the final checkpoint's output is committed. */
static void sink_await_final_commit(task_t *t)
{
    unsigned idle = 0;
    while (!stopping(t->job)) {
        sink_poll_notifications(t);
        if (t->sink.pending_count == 0 && t->sink.committed_upto >= t->sub.last_snapshot_id) {
            sb_err_t err = { { 0 } };
            if (sb_sink_abort_orphans(&t->sink, &err) != 0)
                job_fail(t->job, &err);
            return;
        }
        sb_channel_backoff(idle++);
    }
}

static void *operator_thread(void *arg)
{
    task_t *t = arg;
    unsigned idle = 0;
    bool ended = false;
    if (!replay_channel_state(t))
        return NULL;
    while (!stopping(t->job) && !ended) {
        int rc = operator_step(t, &ended);
        if (rc < 0)
            break;
        if (t->kind == SB_STAGE_SINK)
            sink_poll_notifications(t);
        if (rc > 0) {
            idle = 0;
            continue;
        }
        t->rebalance_next++;
        flush_outputs(t);
        sb_channel_backoff(idle++);
    }
    rec_flush(t);
    if (ended && t->kind == SB_STAGE_SINK)
        sink_await_final_commit(t);
    return NULL;
}

/* ----------------------------------------------------------- the source */

static void source_publish_progress(task_t *t)
{
    sb_progress_t *pg = t->job->progress;
    for (int i = 0; i < t->partitions_count; i++) {
        int p = t->partitions[i];
        atomic_store_explicit(&pg->next_offset[p], t->next_offset[p], memory_order_relaxed);
    }
}

static bool source_all_done(const task_t *t)
{
    for (int i = 0; i < t->partitions_count; i++) {
        int p = t->partitions[i];
        if (t->next_offset[p] < t->job->p->input.high[p])
            return false;
    }
    return true;
}

/* Emits a barrier for every trigger queued by the coordinator, after the
 * source's snapshot (subtask.h). Returns 1 when the final barrier went out
 * (the source is done), -1 to stop. */
static int source_serve_triggers(task_t *t)
{
    job_t *job = t->job;
    void *p;
    while (ck_ring_dequeue_spsc(&t->triggers, t->trigger_slots, &p)) {
        int64_t *slot = p;
        int64_t id = *slot, trigger_ns = t->trigger_ns[slot - t->trigger_ids];
        flush_outputs(t);
        if (!sb_subtask_source_trigger(&t->sub, id, trigger_ns, is_final_checkpoint(job, id)))
            return -1;
        int64_t final_id = atomic_load(&job->final_id);
        if (final_id != 0 && id >= final_id)
            return broadcast_end(t) ? 1 : -1;
    }
    return 0;
}

/* How many records the rate limit lets the source emit now. */
static int source_allowance(task_t *t)
{
    if (t->records_per_s <= 0)
        return SB_SOURCE_POLL_BATCH;
    int64_t now = sb_clock_now_ns();
    if (t->rate_start_ns == 0)
        t->rate_start_ns = now;
    double allowed = t->records_per_s * (double)(now - t->rate_start_ns) / 1e9;
    double left = allowed - (double)t->rate_emitted;
    if (left <= 0)
        return 0;
    return left >= SB_SOURCE_POLL_BATCH ? SB_SOURCE_POLL_BATCH : (int)left;
}

static int source_consume(task_t *t, bool *got, bool ignore_rate)
{
    job_t *job = t->job;
    *got = false;
    int allowance = ignore_rate ? SB_SOURCE_POLL_BATCH : source_allowance(t);
    int throttled = ignore_rate ? INT32_MAX : throttle_allowance(t);
    if (throttled < allowance)
        allowance = throttled;
    if (allowance <= 0)
        return 0;
    /* One batch call per round instead of one poll per message: the queue
     * lock and the clock reads are paid per batch. Whatever is queued now,
     * else wait up to 1 ms for the batch to fill (the idle wait). */
    rd_kafka_message_t *ms[SB_SOURCE_POLL_BATCH];
    ssize_t got_n = rd_kafka_consume_batch_queue(t->consumer_queue, 0, ms, (size_t)allowance);
    if (got_n == 0)
        got_n = rd_kafka_consume_batch_queue(t->consumer_queue, 1, ms, (size_t)allowance);
    if (got_n < 0) {
        sb_err_t err;
        sb_err_set(&err, "%s: consuming %s from %s: %s", t->name, job->p->input.topic,
                   job->p->input.bootstrap, rd_kafka_err2name(rd_kafka_last_error()));
        job_fail(job, &err);
        return -1;
    }
    int rc = 0;
    for (ssize_t n = 0; n < got_n; n++) {
        rd_kafka_message_t *m = ms[n];
        if (rc != 0 || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            sb_err_t err;
            sb_err_set(&err, "%s: consuming %s [%d] from %s: %s (%s)", t->name,
                       job->p->input.topic, (int)m->partition, job->p->input.bootstrap,
                       rd_kafka_message_errstr(m), rd_kafka_err2name(m->err));
            rd_kafka_message_destroy(m);
            job_fail(job, &err);
            rc = -1;
            continue;
        }
        int32_t part = m->partition;
        int64_t end = job->p->input.high[part];
        /* Bounded run: records past the recorded end are not input. */
        if (m->offset >= t->next_offset[part] && m->offset < end) {
            sb_record_t r;
            r.partition = part;
            r.offset = m->offset;
            r.value_len = (uint16_t)(m->len < SB_VALUE_BYTES_MAX ? m->len : SB_VALUE_BYTES_MAX);
            memcpy(r.value, m->payload, r.value_len);
            t->next_offset[part] = m->offset + 1;
            t->rate_emitted++;
            throttle_charge(t, 1, m->len + sizeof m->offset);
            *got = true;
            if (!emit(t, &r))
                rc = -1;
        }
        rd_kafka_message_destroy(m);
    }
    return rc;
}

static void *source_thread(void *arg)
{
    task_t *t = arg;
    job_t *job = t->job;
    unsigned idle = 0;
    while (!stopping(job)) {
        int rc = source_serve_triggers(t);
        if (rc != 0)
            break;
        bool got = false;
        if (!t->finished && outputs_ready(t) && source_consume(t, &got, false) != 0)
            break;
        source_publish_progress(t);
        if (!t->finished && source_all_done(t)) {
            t->finished = true;
            flush_outputs(t);
            trace_task(job, "source_finished", t, 0, NULL);
            atomic_fetch_add(&job->sources_finished, 1);
        }
        if (got) {
            idle = 0;
            continue;
        }
        flush_outputs(t);
        if (t->finished || t->records_per_s > 0 || !got)
            sb_channel_backoff(idle < 8 ? idle++ : idle); /* sleeps of at most 0.32 ms */
    }
    rec_flush(t);
    return NULL;
}

static int source_open(task_t *t, sb_err_t *err)
{
    job_t *job = t->job;
    char group[256];
    snprintf(group, sizeof group, "snapbed-%s", job->p->job_name);
    t->consumer = sb_kafka_consumer_new(job->p->input.bootstrap, group, err);
    if (t->consumer == NULL)
        return -1;
    t->consumer_queue = rd_kafka_queue_get_consumer(t->consumer);
    if (t->consumer_queue == NULL)
        return sb_err_set(err, "%s: no consumer queue on the Kafka client for %s", t->name,
                          job->p->input.bootstrap);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(t->partitions_count);
    for (int i = 0; i < t->partitions_count; i++) {
        int p = t->partitions[i];
        if (t->next_offset[p] < job->p->input.high[p])
            rd_kafka_topic_partition_list_add(tp, job->p->input.topic, p)->offset =
                t->next_offset[p];
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(t->consumer, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return sb_err_set(err, "%s: cannot assign %s on %s: %s", t->name, job->p->input.topic,
                          job->p->input.bootstrap, rd_kafka_err2name(e));
    return 0;
}

/* --------------------------------------------------------- coordinator */

/* What the acks of one checkpoint add up to, for its _metadata. */
typedef struct ack_totals {
    int64_t id;
    size_t state_bytes, inflight_records, inflight_bytes;
    bool unaligned;
    bool has_channel_state[SB_TASKS_MAX];
} ack_totals_t;

typedef struct state_sizes {
    ack_totals_t slot[SB_COORD_PENDING_MAX * 2];
} state_sizes_t;

static void sizes_add(state_sizes_t *s, const ack_t *ack)
{
    const sb_subtask_ack_t *a = &ack->a;
    ack_totals_t *t = &s->slot[(size_t)a->checkpoint_id % (sizeof s->slot / sizeof s->slot[0])];
    if (t->id != a->checkpoint_id) {
        memset(t, 0, sizeof *t);
        t->id = a->checkpoint_id;
    }
    t->state_bytes += (size_t)a->state_bytes;
    t->inflight_records += (size_t)a->inflight_records;
    t->inflight_bytes += (size_t)a->inflight_bytes;
    t->unaligned |= a->unaligned;
    t->has_channel_state[ack->task] = a->inflight_records > 0;
}

static ack_totals_t sizes_get(const state_sizes_t *s, int64_t id)
{
    const ack_totals_t *t = &s->slot[(size_t)id % (sizeof s->slot / sizeof s->slot[0])];
    if (t->id == id)
        return *t;
    return (ack_totals_t){ .id = id };
}

/* Returns -1 when the id could not be burned in storage: no barrier went
 * out, and the caller declines the checkpoint. */
static int coord_trigger(job_t *job, int64_t id, bool is_final, sb_err_t *err)
{
    /* Burn the id in storage before any barrier carries it. */
    if (sb_cpstore_mark_triggered(&job->cps, id, err) != 0)
        return sb_err_wrap(err, "triggering checkpoint %" PRId64, id);
    if (is_final)
        atomic_store(&job->final_id, id);
    int64_t trigger_ns = sb_clock_now_ns();
    sb_trace_emit(&job->trace, "checkpoint_triggered",
                  json_pack("{s:I,s:b}", "checkpoint", (json_int_t)id, "final", is_final));
    for (int i = 0; i < job->tasks_count; i++) {
        task_t *t = &job->tasks[i];
        if (t->kind != SB_STAGE_SOURCE)
            continue;
        unsigned slot = t->trigger_next++ % SB_TRIGGER_RING_SLOTS;
        t->trigger_ids[slot] = id;
        t->trigger_ns[slot] = trigger_ns;
        bool ok = ck_ring_enqueue_spsc(&t->triggers, t->trigger_slots, &t->trigger_ids[slot]);
        assert(ok); /* bounded by max-concurrent checkpoints */
        (void)ok;
    }
    return 0;
}

static int coord_complete(job_t *job, int64_t id, const ack_totals_t *totals, sb_err_t *err)
{
    size_t state_bytes = totals->state_bytes;
    (void)crash_point(job, SB_POINT_COORDINATOR_BEFORE_METADATA, id,
                       id == atomic_load(&job->final_id));
    json_t *tasks = json_array();
    for (int i = 0; i < job->tasks_count; i++)
        json_array_append_new(tasks, json_string(job->tasks[i].name));
    /* Where the in-flight records of an unaligned checkpoint are. */
    json_t *channel_tasks = json_array();
    for (int i = 0; i < job->tasks_count; i++)
        if (totals->has_channel_state[i])
            json_array_append_new(channel_tasks, json_sprintf("%s/chk-%" PRId64 "/%s.channel",
                                                              job->p->job_name, id,
                                                              job->tasks[i].name));
    json_t *meta = json_pack("{s:I,s:o,s:I,s:s,s:b,s:{s:I,s:I,s:o}}", "checkpoint",
                             (json_int_t)id, "tasks", tasks, "state_bytes",
                             (json_int_t)state_bytes, "mode", sb_mode_name(job->s->mode),
                             "unaligned", totals->unaligned, "channel_state", "records",
                             (json_int_t)totals->inflight_records, "bytes",
                             (json_int_t)totals->inflight_bytes, "objects", channel_tasks);
    int rc = sb_cpstore_write_metadata(&job->cps, id, meta, err);
    json_decref(meta);
    if (rc != 0)
        return sb_err_wrap(err, "completing checkpoint %" PRId64, id);
    bool is_final = id == atomic_load(&job->final_id);
    sb_trace_emit(&job->trace, "checkpoint_completed",
                  json_pack("{s:I,s:I,s:b}", "checkpoint", (json_int_t)id, "state_bytes",
                            (json_int_t)state_bytes, "final", is_final));
    (void)crash_point(job, SB_POINT_COORDINATOR_AFTER_COMPLETE, id, is_final);
    atomic_store(&job->completed_id, id);
    atomic_store(&job->progress->last_completed_id, id);
    atomic_fetch_add(&job->progress->checkpoints_completed, 1);
    /* Old checkpoints left behind waste space but harm nothing: traced,
     * not a failure of this checkpoint. */
    sb_err_t rerr = { { 0 } };
    if (sb_cpstore_retain(&job->cps, &rerr) != 0)
        sb_trace_emit(&job->trace, "retain_failed",
                      json_pack("{s:I,s:s}", "checkpoint", (json_int_t)id, "error", rerr.msg));
    return 0;
}

static void coord_apply(job_t *job, sb_coord_t *c, const sb_coord_out_t *out,
                        const state_sizes_t *sizes);

/* Persisting a completed checkpoint failed: it did not complete. Counted as
 * a failed checkpoint (tolerable-failed-checkpoints decides). */
static void coord_persist_failed(job_t *job, sb_coord_t *c, int64_t id, const sb_err_t *e,
                                 const state_sizes_t *sizes)
{
    sb_trace_emit(&job->trace, "checkpoint_aborted",
                  json_pack("{s:I,s:s,s:s}", "checkpoint", (json_int_t)id, "reason",
                            "persist_failed", "error", e->msg));
    sb_coord_out_t out;
    sb_coord_fail(c, id, sb_clock_now_ns(), &out);
    if (out.job_failed)
        job_fail(job, e);
    coord_apply(job, c, &out, sizes);
}

static void coord_apply(job_t *job, sb_coord_t *c, const sb_coord_out_t *out,
                        const state_sizes_t *sizes)
{
    for (int i = 0; i < out->aborts; i++) {
        int64_t id = out->aborted_id[i];
        sb_trace_emit(&job->trace, "checkpoint_aborted",
                      json_pack("{s:I,s:s}", "checkpoint", (json_int_t)id, "reason",
                                sb_coord_abort_reason_name(out->aborted_reason[i])));
        if (id == atomic_load(&job->final_id)) {
            sb_err_t err;
            sb_err_set(&err, "the final checkpoint %" PRId64 " was aborted (%s)", id,
                       sb_coord_abort_reason_name(out->aborted_reason[i]));
            job_fail(job, &err);
        }
    }
    if (out->job_failed) {
        sb_err_t err;
        sb_err_set(&err, "more than %d consecutive checkpoints failed "
                   "(execution.checkpointing.tolerable-failed-checkpoints)",
                   job->s->tolerable_failed_checkpoints);
        job_fail(job, &err);
    }
    if (out->completed_id != 0) {
        sb_err_t err = { { 0 } };
        ack_totals_t totals = sizes_get(sizes, out->completed_id);
        if (coord_complete(job, out->completed_id, &totals, &err) != 0)
            coord_persist_failed(job, c, out->completed_id, &err, sizes);
    }
    sb_err_t terr = { { 0 } };
    if (out->trigger_id != 0 &&
        coord_trigger(job, out->trigger_id, out->trigger_is_final, &terr) != 0) {
        /* A failed write is a failed checkpoint (the disk may be full), not
         * a failed job: tolerable-failed-checkpoints decides. */
        sb_trace_emit(&job->trace, "checkpoint_declined",
                      json_pack("{s:I,s:s,s:s}", "checkpoint", (json_int_t)out->trigger_id,
                                "reason", "storage", "error", terr.msg));
        sb_coord_out_t next;
        sb_coord_decline(c, out->trigger_id, sb_clock_now_ns(), &next);
        coord_apply(job, c, &next, sizes);
    }
}

/* For the timeline: input read so far and how full each channel is (items
 * queued, of SB_CHANNEL_ITEMS). Sampled from another thread's ring, so a
 * figure may be one item off: good enough to see backpressure. */
static void trace_sample(job_t *job)
{
    int64_t read = 0;
    for (int p = 0; p < job->p->input.partitions; p++)
        read += atomic_load_explicit(&job->progress->next_offset[p], memory_order_relaxed) -
                job->p->input.low[p];
    json_t *fill = json_array();
    for (int i = 0; i < job->channels_count; i++)
        json_array_append_new(fill, json_integer((json_int_t)ck_ring_size(&job->channels[i].full)));
    sb_trace_emit(&job->trace, "sample", json_pack("{s:I,s:o,s:i}", "read", (json_int_t)read,
                                                   "fill", fill, "items", SB_CHANNEL_ITEMS));
}

static void *coordinator_thread(void *arg)
{
    job_t *job = arg;
    const sb_scenario_t *s = job->s;
    sb_coord_config_t cfg = {
        .interval_ns = s->checkpoint_interval_ns,
        .timeout_ns = s->checkpoint_timeout_ns,
        .max_concurrent = s->max_concurrent_checkpoints,
        .min_pause_ns = s->min_pause_ns,
        .tolerable_failed = s->tolerable_failed_checkpoints,
        .tasks = job->tasks_count,
    };
    sb_coord_t c;
    sb_coord_init(&c, &cfg, job->first_id, sb_clock_now_ns());
    state_sizes_t sizes;
    memset(&sizes, 0, sizeof sizes);
    ack_t acks[SB_ACK_QUEUE_MAX];
    int64_t last_sample_ns = 0;
    while (!atomic_load(&job->tasks_done) && !stopping(job)) {
        pthread_mutex_lock(&job->lock);
        int n = job->acks_count;
        memcpy(acks, job->acks, (size_t)n * sizeof acks[0]);
        job->acks_count = 0;
        pthread_mutex_unlock(&job->lock);
        sb_coord_out_t out;
        for (int i = 0; i < n; i++) {
            if (acks[i].a.declined)
                sb_coord_decline(&c, acks[i].a.checkpoint_id, sb_clock_now_ns(), &out);
            else {
                sizes_add(&sizes, &acks[i]);
                sb_coord_ack(&c, acks[i].a.checkpoint_id, acks[i].task, sb_clock_now_ns(), &out);
            }
            coord_apply(job, &c, &out, &sizes);
        }
        if (!c.final_requested && atomic_load(&job->sources_finished) == job->sources_count)
            sb_coord_request_final(&c);
        sb_coord_tick(&c, sb_clock_now_ns(), &out);
        coord_apply(job, &c, &out, &sizes);
        int64_t now = sb_clock_now_ns();
        if (now - last_sample_ns >= SB_SAMPLE_EVERY_NS) {
            trace_sample(job);
            last_sample_ns = now;
        }
        sb_clock_sleep_ns(SB_COORD_TICK_NS);
    }
    return NULL;
}

/* ------------------------------------------------------- building it */

static const sb_stage_t *stage_of(const sb_scenario_t *s, sb_stage_kind_t k)
{
    switch (k) {
    case SB_STAGE_SOURCE: return &s->source;
    case SB_STAGE_MAP: return &s->map;
    case SB_STAGE_FILTER: return &s->filter;
    case SB_STAGE_COUNT: return &s->count;
    case SB_STAGE_SINK: return &s->sink;
    case SB_STAGE_COUNT_: break;
    }
    return NULL;
}

static task_t *add_task(job_t *job, sb_stage_kind_t kind, int subtask)
{
    assert(job->tasks_count < SB_TASKS_MAX);
    task_t *t = &job->tasks[job->tasks_count];
    memset(t, 0, sizeof *t);
    t->job = job;
    t->index = job->tasks_count++;
    t->kind = kind;
    t->subtask = subtask;
    snprintf(t->name, sizeof t->name, "%s-%d", sb_stage_kind_name(kind), subtask);
    if (kind == SB_STAGE_FILTER)
        t->filter_prefix_len = strlen(job->s->filter_prefix);
    return t;
}

static sb_channel_t *add_channel(job_t *job, sb_err_t *err)
{
    if (job->channels_count == SB_CHANNELS_MAX) {
        sb_err_set(err, "the job graph needs more than %d channels", SB_CHANNELS_MAX);
        return NULL;
    }
    sb_channel_t *ch = &job->channels[job->channels_count];
    if (sb_channel_init(ch, job->channels_count) != 0) {
        sb_err_set(err, "out of memory allocating channel %d", job->channels_count);
        return NULL;
    }
    job->channels_count++;
    return ch;
}

/* Connects stage `up` (tasks [u0, u0+un)) to stage `down` ([d0, d0+dn)). */
static int connect_stages(job_t *job, int u0, int un, int d0, int dn, sb_connection_t conn,
                          sb_err_t *err)
{
    for (int i = 0; i < un; i++) {
        task_t *u = &job->tasks[u0 + i];
        u->out_connection = conn;
        for (int j = 0; j < dn; j++) {
            if (conn == SB_CONNECTION_FORWARD && i != j)
                continue;
            task_t *d = &job->tasks[d0 + j];
            sb_channel_t *ch = add_channel(job, err);
            if (ch == NULL)
                return -1;
            u->outputs[u->outputs_count++] = ch;
            d->inputs[d->inputs_count++] = ch;
        }
    }
    return 0;
}

static int build_graph(job_t *job, sb_err_t *err)
{
    const sb_scenario_t *s = job->s;
    sb_stage_kind_t stages[5] = { SB_STAGE_SOURCE, SB_STAGE_MAP, SB_STAGE_FILTER, SB_STAGE_COUNT, SB_STAGE_SINK };
    int first[5], count[5], n = 0;
    job->channels = calloc(SB_CHANNELS_MAX, sizeof *job->channels);
    if (job->channels == NULL)
        return sb_err_set(err, "out of memory allocating channels");
    for (int k = 0; k < 5; k++) {
        if (stages[k] == SB_STAGE_COUNT && !s->count_enabled)
            continue;
        const sb_stage_t *st = stage_of(s, stages[k]);
        first[n] = job->tasks_count;
        count[n] = st->parallelism;
        for (int i = 0; i < st->parallelism; i++)
        {
            task_t *t = add_task(job, stages[k], i);
            if (t->kind == SB_STAGE_SINK)
            {
                sb_sink_init(&t->sink, &job->sink_store, &job->trace, i, t->name);
                t->sink.mutant_overwrite = s->mutant == SB_MUTANT_OVERWRITE_PUBLISHED;
                t->sink.on_published = sink_on_published;
                t->sink.on_published_ctx = t;
            }
        }
        if (n > 0 && connect_stages(job, first[n - 1], count[n - 1], first[n], count[n],
                                    st->input, err) != 0)
            return -1;
        n++;
    }
    job->sources_count = s->source.parallelism;
    for (int i = 0; i < job->tasks_count && s->trace_records; i++) {
        job->tasks[i].rec_buf = malloc(SB_REC_BUF_BYTES);
        if (job->tasks[i].rec_buf == NULL)
            return sb_err_set(err, "out of memory for the record trace");
    }
    for (int i = 0; i < job->tasks_count; i++) {
        task_t *t = &job->tasks[i];
        if (t->kind == SB_STAGE_SOURCE)
            continue;
        sb_barrier_config_t bc = { .mode = s->mode, .unaligned = s->unaligned,
                                   .aligned_timeout_ns = s->aligned_checkpoint_timeout_ns };
        sb_barrier_init(&t->barrier, t->inputs_count, &bc);
    }
    for (int i = 0; i < job->tasks_count; i++)
        subtask_init(&job->tasks[i]);
    /* Partitions go to sources round-robin: p -> source p mod parallelism. */
    for (int p = 0; p < job->p->input.partitions; p++) {
        task_t *t = &job->tasks[p % s->source.parallelism];
        t->partitions[t->partitions_count++] = p;
        t->next_offset[p] = job->p->input.low[p];
    }
    for (int i = 0; i < job->sources_count; i++) {
        task_t *t = &job->tasks[i];
        ck_ring_init(&t->triggers, SB_TRIGGER_RING_SLOTS);
        t->records_per_s = (double)s->source_records_per_s * t->partitions_count /
                           job->p->input.partitions;
    }
    return 0;
}

/* ------------------------------------------------------------ restore */

static int restore_source(job_t *job, task_t *t, json_t *state, sb_err_t *err)
{
    json_t *offsets = json_object_get(state, "offsets");
    for (int i = 0; i < t->partitions_count; i++) {
        int p = t->partitions[i];
        char k[16];
        snprintf(k, sizeof k, "%d", p);
        json_t *o = json_object_get(offsets, k);
        if (!json_is_integer(o))
            return sb_err_set(err, "%s: checkpoint %" PRId64 " has no offset for partition %d",
                              t->name, job->restored_id, p);
        t->next_offset[p] = json_integer_value(o);
    }
    return 0;
}

/* The in-flight records of an unaligned checkpoint, replayed first. */
static int restore_channel_state(job_t *job, task_t *t, json_t *state, sb_err_t *err)
{
    if (job->s->mutant == SB_MUTANT_DROP_CHANNEL_STATE)
        return 0; /* the mutant's deliberate bug: in-flight records forgotten */
    size_t len = 0;
    int got = sb_cpstore_read_channel_state(&job->cps, state, job->restored_id, t->inputs_count,
                                            &t->replay, &len, err);
    if (got < 0)
        return sb_err_wrap(err, "%s", t->name);
    if (got > 0)
        t->replay_id = job->restored_id;
    return 0;
}

static int restore_task(job_t *job, task_t *t, sb_err_t *err)
{
    if (t->kind == SB_STAGE_COUNT)
        t->counts = json_object();
    if (job->restored_id == 0)
        return t->kind == SB_STAGE_SINK ? sb_sink_restore(&t->sink, NULL, 0, err) : 0;
    json_t *state = NULL;
    int got = sb_cpstore_read_snapshot(&job->cps, job->restored_id, t->name, &state, err);
    if (got < 0)
        return -1;
    if (got == 0 && job->s->mutant == SB_MUTANT_RESTORE_LATEST_TRIGGERED)
        return t->kind == SB_STAGE_SINK ? sb_sink_restore(&t->sink, NULL, 0, err) : 0;
    if (got == 0)
        return sb_err_set(err, "checkpoint %" PRId64 " has no snapshot for %s: was it taken "
                          "with another job graph?", job->restored_id, t->name);
    if (t->kind == SB_STAGE_SINK && job->s->mutant == SB_MUTANT_DROP_PENDING_ON_RESTORE) {
        json_decref(state);
        return sb_sink_restore(&t->sink, NULL, job->restored_id, err); /* forgets them */
    }
    int rc = restore_channel_state(job, t, state, err);
    if (rc == 0 && t->kind == SB_STAGE_SOURCE)
        rc = restore_source(job, t, state, err);
    else if (rc == 0 && t->kind == SB_STAGE_COUNT) {
        json_t *c = json_object_get(state, "counts");
        if (json_is_object(c))
            json_object_update(t->counts, c);
    } else if (rc == 0 && t->kind == SB_STAGE_SINK) {
        rc = sb_sink_restore(&t->sink, state, job->restored_id, err);
        if (rc == 0)
            (void)crash_point(job, SB_POINT_DURING_RESTORE, job->restored_id,
                               false);
    }
    json_decref(state);
    return rc;
}

/* Each completed checkpoint the restore refused, before the restore event:
 * which file, why, and which checkpoint it tried next (0: none). */
static void trace_fallbacks(job_t *job, const sb_cpstore_restore_t *r)
{
    for (int i = 0; i < r->refused_count; i++)
        sb_trace_emit(&job->trace, SB_EV_RESTORE_FALLBACK,
                      json_pack("{s:I,s:s,s:s,s:I,s:i}", "checkpoint",
                                (json_int_t)r->refused[i].checkpoint, "file", r->refused[i].file,
                                "reason", r->refused[i].reason, "next",
                                (json_int_t)r->refused[i].next, "attempt", job->p->attempt));
}

static int restore(job_t *job, sb_err_t *err)
{
    /* Writes a crash cut short left temporaries; nothing reads them. */
    char prefix[SB_STORE_KEY_BYTES_MAX];
    snprintf(prefix, sizeof prefix, "%s/", job->p->job_name);
    if (sb_store_sweep_temporaries(&job->cps.store, prefix, err) != 0 ||
        sb_store_sweep_temporaries(&job->sink_store, "", err) != 0)
        return -1;
    /* The choice is checkpoint_store.c's, shared with the simulator. */
    const char *names[SB_TASKS_MAX];
    for (int i = 0; i < job->tasks_count; i++)
        names[i] = job->tasks[i].name;
    int64_t published = 0;
    bool verify = job->s->mutant != SB_MUTANT_RESTORE_UNVERIFIED;
    job->cps.trust_frames = !verify; /* the mutant's deliberate bug */
    sb_cpstore_restore_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sb_err_set(err, "out of memory choosing a checkpoint to restore");
    if (sb_sink_published_upto(&job->sink_store, &published, err) != 0 ||
        sb_cpstore_pick_restore(&job->cps, names, job->tasks_count, published, verify, r,
                                err) != 0) {
        free(r);
        return -1;
    }
    trace_fallbacks(job, r);
    if (r->none_whole) {
        sb_cpstore_restore_failure(r, err->msg, sizeof err->msg);
        job->unrestorable = true;
        free(r);
        return -1;
    }
    int64_t latest = r->id, max_id = r->max_id;
    if (job->s->mutant == SB_MUTANT_RESTORE_LATEST_TRIGGERED)
        latest = max_id; /* the deliberate bug: maybe never completed */
    job->restored_id = latest;
    job->first_id = max_id + 1;
    /* Whether storage holds the restored checkpoint's _metadata now: a fact
     * the verdict needs, since retention may delete it before the run ends. */
    bool completed = latest == 0;
    if (latest > 0) {
        json_t *meta = NULL;
        sb_err_t ignored;
        completed = sb_cpstore_read_metadata(&job->cps, latest, &meta, &ignored) == 0 ||
                    (!verify && latest == r->id);
        json_decref(meta);
    }
    /* Traced first: the sinks' re-publishing below belongs to this restore. */
    json_t *ev = json_pack("{s:I,s:I,s:i,s:b,s:i}", "checkpoint", (json_int_t)latest,
                           "next_checkpoint", (json_int_t)job->first_id, "attempt",
                           job->p->attempt, "completed", completed, "fallbacks",
                           r->refused_count);
    if (r->completed_list[0] != '\0')
        json_object_set_new(ev, "completed_list", json_string(r->completed_list));
    sb_trace_emit(&job->trace, SB_EV_RESTORE, ev);
    free(r);
    for (int i = 0; i < job->tasks_count; i++)
        if (restore_task(job, &job->tasks[i], err) != 0)
            return sb_err_wrap(err, "restoring from checkpoint %" PRId64, latest);
    return 0;
}

/* --------------------------------------------------------------- run */

/* The job graph, once per incarnation: checkers and pictures read the
 * trace alone, so it says which subtask is at each end of each channel. */
static void trace_job_graph(job_t *job)
{
    json_t *tasks = json_array(), *channels = json_array();
    for (int i = 0; i < job->tasks_count; i++) {
        const task_t *t = &job->tasks[i];
        json_array_append_new(tasks, json_pack("{s:s,s:s,s:i}", "name", t->name, "kind",
                                               sb_stage_kind_name(t->kind), "subtask", t->subtask));
        for (int o = 0; o < t->outputs_count; o++) {
            const sb_channel_t *ch = t->outputs[o];
            const char *to = NULL;
            for (int j = 0; j < job->tasks_count && to == NULL; j++)
                for (int c = 0; c < job->tasks[j].inputs_count; c++)
                    if (job->tasks[j].inputs[c] == ch)
                        to = job->tasks[j].name;
            json_array_append_new(channels, json_pack("{s:i,s:s,s:s}", "channel", ch->index,
                                                      "from", t->name, "to", to));
        }
    }
    const sb_scenario_t *s = job->s;
    sb_trace_emit(&job->trace, "job_graph",
                  json_pack("{s:o,s:o,s:s,s:b,s:I,s:i}", "tasks", tasks, "channels", channels,
                            "mode", sb_mode_name(s->mode), "unaligned", s->unaligned,
                            "aligned_timeout_ns", (json_int_t)s->aligned_checkpoint_timeout_ns,
                            "attempt", job->p->attempt));
}

static int open_everything(job_t *job, sb_err_t *err)
{
    const sb_job_params_t *p = job->p;
    char path[1024];
    snprintf(path, sizeof path, "%s/trace.jsonl", p->run_dir);
    if (sb_trace_open(&job->trace, path, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/progress.bin", p->run_dir);
    job->progress = sb_progress_map(path, job->scripted, err); /* the supervisor's, or
                                                                   the script's own */
    if (job->progress == NULL)
        return -1;
    if (sb_cpstore_open(&job->cps, p->checkpoints_uri, p->run_dir, p->job_name,
                        job->s->num_retained, err) != 0)
        return -1;
    job->cps_open = true;
    if (sb_store_open(&job->sink_store, p->sink_uri, p->run_dir, err) != 0)
        return sb_err_wrap(err, "pipeline.sink");
    job->sink_open = true;
    /* The scenario's storage faults (and the skip-fsync mutant), on the
     * file:// stores; released when the stores close. */
    if (sb_store_fault_attach(&job->cps.store, job->s, SB_STORAGE_CHECKPOINTS, p->run_dir,
                              &job->trace, err) != 0 ||
        sb_store_fault_attach(&job->sink_store, job->s, SB_STORAGE_SINK, p->run_dir,
                              &job->trace, err) != 0)
        return -1;
    return 0;
}

static int start_threads(job_t *job, sb_err_t *err)
{
    for (int i = 0; i < job->tasks_count; i++) {
        task_t *t = &job->tasks[i];
        void *(*fn)(void *) = t->kind == SB_STAGE_SOURCE ? source_thread : operator_thread;
        int e = pthread_create(&t->thread, NULL, fn, t);
        if (e != 0)
            return sb_err_errno(err, e, "cannot start thread for %s", t->name);
        t->started = true;
    }
    int e = pthread_create(&job->coordinator, NULL, coordinator_thread, job);
    if (e != 0)
        return sb_err_errno(err, e, "cannot start the checkpoint coordinator thread");
    return 0;
}

static void cleanup(job_t *job)
{
    for (int i = 0; i < job->tasks_count; i++) {
        task_t *t = &job->tasks[i];
        if (t->consumer_queue != NULL)
            rd_kafka_queue_destroy(t->consumer_queue);
        if (t->consumer != NULL) {
            rd_kafka_consumer_close(t->consumer);
            rd_kafka_destroy(t->consumer);
        }
        json_decref(t->counts);
        sb_sink_destroy(&t->sink);
        json_decref(t->state);
        sb_chstate_free(&t->chstate);
        sb_chstate_free(&t->replay);
        free(t->rec_buf);
    }
    for (int i = 0; i < job->channels_count; i++)
        sb_channel_destroy(&job->channels[i]);
    free(job->channels);
    if (job->cps_open)
        sb_store_close(&job->cps.store);
    if (job->sink_open)
        sb_store_close(&job->sink_store);
    sb_progress_unmap(job->progress);
    sb_trace_close(&job->trace);
    pthread_mutex_destroy(&job->lock);
}

int sb_job_run(const sb_job_params_t *p, sb_err_t *err)
{
    job_t *job = calloc(1, sizeof *job);
    if (job == NULL)
        return sb_err_set(err, "out of memory");
    job->p = p;
    job->s = p->scenario;
    job->trace.fd = -1;
    pthread_mutex_init(&job->lock, NULL);
    int rc = open_everything(job, err);
    if (rc == 0)
        rc = build_graph(job, err);
    if (rc == 0)
        trace_job_graph(job);
    if (rc == 0)
        rc = restore(job, err);
    for (int i = 0; i < job->tasks_count && rc == 0; i++)
        if (job->tasks[i].kind == SB_STAGE_SOURCE) {
            rc = source_open(&job->tasks[i], err);
            source_publish_progress(&job->tasks[i]);
            trace_task(job, "source_started", &job->tasks[i], 0,
                       json_pack("{s:o}", "offsets", source_offsets(&job->tasks[i])));
        }
    if (rc == 0) {
        atomic_store(&job->progress->ready, 1);
        rc = start_threads(job, err);
        if (rc != 0)
            atomic_store(&job->stop, true);
    }
    for (int i = 0; i < job->tasks_count; i++)
        if (job->tasks[i].started)
            pthread_join(job->tasks[i].thread, NULL);
    atomic_store(&job->tasks_done, true);
    if (rc == 0)
        pthread_join(job->coordinator, NULL);
    if (rc == 0 && job->error.msg[0] != '\0') {
        *err = job->error;
        rc = -1;
    }
    if (rc == 0)
        sb_trace_emit(&job->trace, "job_finished",
                      json_pack("{s:I}", "checkpoint", (json_int_t)atomic_load(&job->completed_id)));
    if (rc != 0 && job->unrestorable)
        rc = SB_JOB_UNRESTORABLE;
    cleanup(job);
    free(job);
    return rc;
}

/* ------------------------------------------------------- input.json */

int sb_job_input_save(const sb_job_input_t *in, const char *path, sb_err_t *err)
{
    json_t *low = json_array(), *high = json_array();
    for (int i = 0; i < in->partitions; i++) {
        json_array_append_new(low, json_integer(in->low[i]));
        json_array_append_new(high, json_integer(in->high[i]));
    }
    json_t *o = json_pack("{s:s,s:s,s:i,s:o,s:o}", "bootstrap", in->bootstrap, "topic", in->topic,
                          "partitions", in->partitions, "low", low, "high", high);
    int rc = json_dump_file(o, path, JSON_INDENT(2));
    json_decref(o);
    if (rc != 0)
        return sb_err_errno(err, errno, "cannot write %s", path);
    return 0;
}

int sb_job_input_load(sb_job_input_t *in, const char *path, sb_err_t *err)
{
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (o == NULL)
        return sb_err_set(err, "cannot read %s: %s", path, jerr.text);
    memset(in, 0, sizeof *in);
    const char *bootstrap = NULL, *topic = NULL;
    json_t *low = NULL, *high = NULL;
    int rc = 0;
    if (json_unpack_ex(o, &jerr, 0, "{s:s,s:s,s:i,s:o,s:o}", "bootstrap", &bootstrap, "topic",
                       &topic, "partitions", &in->partitions, "low", &low, "high", &high) != 0 ||
        in->partitions < 1 || in->partitions > SB_JOB_PARTITIONS_MAX ||
        json_array_size(low) != (size_t)in->partitions ||
        json_array_size(high) != (size_t)in->partitions) {
        rc = sb_err_set(err, "%s: malformed input description: %s", path, jerr.text);
    } else {
        snprintf(in->bootstrap, sizeof in->bootstrap, "%s", bootstrap);
        snprintf(in->topic, sizeof in->topic, "%s", topic);
        for (int i = 0; i < in->partitions; i++) {
            in->low[i] = json_integer_value(json_array_get(low, (size_t)i));
            in->high[i] = json_integer_value(json_array_get(high, (size_t)i));
        }
    }
    json_decref(o);
    return rc;
}

void sb_job_run_uri(const char *uri, const char *run_id, char *out, size_t len)
{
    bool shared = strncmp(uri, "s3://", 5) == 0 || strncmp(uri, "file:///", 8) == 0;
    size_t l = strlen(uri);
    while (l > 0 && uri[l - 1] == '/')
        l--;
    if (shared)
        snprintf(out, len, "%.*s/%s", (int)l, uri, run_id);
    else
        snprintf(out, len, "%s", uri);
}

/* ------------------------------------------------- the conformance script */

/* The output's far end: takes what the subject sends, so it never waits. */
static void script_drain(sb_channel_t *ch)
{
    sb_barrier_announcement_t a;
    while (sb_channel_poll_announcement(ch, &a))
        ;
    sb_item_t *it;
    while ((it = sb_channel_poll(ch)) != NULL)
        sb_channel_release(ch, it);
}

static int script_push(job_t *job, sb_channel_t *ch, sb_item_kind_t kind, int64_t n,
                       int64_t *next_offset, sb_err_t *err)
{
    do {
        if (!sb_channel_can_acquire(ch))
            return sb_err_set(err, "script: channel %d is full: add a run step", ch->index);
        sb_item_t *it = sb_channel_acquire(ch, &job->stop);
        it->kind = kind;
        it->count = 0;
        for (; kind == SB_ITEM_RECORDS && it->count < SB_BATCH_RECORDS_MAX && n > 0; n--) {
            sb_record_t *r = &it->records[it->count++];
            r->partition = ch->index;
            r->offset = (*next_offset)++;
            r->value_len = 1;
            r->value[0] = 'a';
        }
        sb_channel_push(ch, it);
    } while (n > 0);
    return 0;
}

/* The script's crash-point fault: the incarnation dies there, without
 * the process dying (the real hook raises SIGKILL). */
static bool script_crash_point(void *ctx, sb_crash_point_t point, int64_t id, bool final)
{
    (void)final;
    job_t *job = ctx;
    const sb_script_t *sc = job->script;
    if (job->script_crashed || sc->crash_point == SB_POINT_NONE || point != sc->crash_point ||
        id != sc->crash_checkpoint)
        return false;
    job->script_crashed = true;
    return true;
}

/* Runs the subject until a step takes nothing (bounded). Returns 1 when
 * the incarnation died at the script's crash point. */
static int script_run(task_t *t, sb_err_t *err)
{
    for (int round = 0; round < 100000; round++) {
        bool ended = false;
        int rc = operator_step(t, &ended);
        flush_outputs(t);
        script_drain(t->outputs[0]);
        pthread_mutex_lock(&t->job->lock);
        t->job->acks_count = 0; /* no coordinator: acks go nowhere */
        pthread_mutex_unlock(&t->job->lock);
        if (t->job->script_crashed)
            return 1;
        if (rc < 0)
            return sb_err_set(err, "script: the subject failed: %s", t->job->error.msg);
        if (rc == 0 || ended)
            return 0;
    }
    return sb_err_set(err, "script: the subject never went idle");
}

static int script_play(job_t *job, task_t *t, const sb_script_t *sc, sb_err_t *err)
{
    int64_t next_offset[SB_SCRIPT_INPUTS_MAX] = { 0 };
    for (int i = 0; i < sc->steps_count; i++) {
        const sb_script_step_t *st = &sc->steps[i];
        sb_channel_t *in = st->input >= 0 && st->input < sc->inputs ? t->inputs[st->input] : NULL;
        int rc = 0;
        switch (st->op) {
        case SB_SCRIPT_RECORDS:
            rc = script_push(job, in, SB_ITEM_RECORDS, st->n, &next_offset[st->input], err);
            break;
        case SB_SCRIPT_BARRIER: {
            sb_barrier_announcement_t a = { .checkpoint_id = st->n, .unaligned = st->unaligned };
            if (!sb_channel_announce(in, a, &job->stop))
                rc = sb_err_set(err, "script: announcement ring of channel %d full", in->index);
            break;
        }
        case SB_SCRIPT_END: rc = script_push(job, in, SB_ITEM_END_OF_INPUT, 0, NULL, err); break;
        case SB_SCRIPT_CLOCK: job->script_now_ns = st->n; break;
        case SB_SCRIPT_RUN: rc = script_run(t, err); break;
        }
        if (rc > 0)
            return 0; /* it died: nothing more of this incarnation */
        if (rc != 0)
            return sb_err_wrap(err, "step %d", i + 1);
    }
    return 0;
}

int sb_job_script_run(const sb_script_t *sc, const char *dir, sb_err_t *err)
{
    assert(sc->inputs >= 1 && sc->inputs <= SB_SCRIPT_INPUTS_MAX);
    job_t *job = calloc(1, sizeof *job);
    sb_scenario_t *s = calloc(1, sizeof *s);
    sb_job_params_t *p = calloc(1, sizeof *p);
    if (job == NULL || s == NULL || p == NULL) {
        free(job), free(s), free(p);
        return sb_err_set(err, "out of memory");
    }
    sb_scenario_defaults(s);
    s->mode = sc->mode;
    s->unaligned = sc->unaligned;
    s->aligned_checkpoint_timeout_ns = sc->aligned_timeout_ns;
    s->mutant = sc->mutant;
    s->trace_records = false;
    *p = (sb_job_params_t){ .scenario = s, .run_dir = dir, .job_name = "script",
                            .checkpoints_uri = "file://checkpoints", .sink_uri = "file://output" };
    job->p = p;
    job->s = s;
    job->trace.fd = -1;
    job->scripted = true;
    job->script = sc;
    p->on_crash_point = script_crash_point;
    p->crash_ctx = job;
    pthread_mutex_init(&job->lock, NULL);
    int rc = open_everything(job, err);
    if (rc == 0 && (job->channels = calloc(SB_SCRIPT_INPUTS_MAX + 1, sizeof *job->channels)) == NULL)
        rc = sb_err_set(err, "out of memory");
    task_t *t = NULL;
    if (rc == 0) {
        t = add_task(job, SB_STAGE_MAP, 0);
        for (int c = 0; c <= sc->inputs && rc == 0; c++) {
            sb_channel_t *ch = add_channel(job, err);
            if (ch == NULL)
                rc = -1;
            else if (c < sc->inputs)
                t->inputs[t->inputs_count++] = ch;
            else
                t->outputs[t->outputs_count++] = ch;
        }
    }
    if (rc == 0) {
        t->out_connection = SB_CONNECTION_FORWARD;
        sb_barrier_config_t bc = { .mode = s->mode, .unaligned = s->unaligned,
                                   .aligned_timeout_ns = s->aligned_checkpoint_timeout_ns };
        sb_barrier_init(&t->barrier, t->inputs_count, &bc);
        subtask_init(t);
        rc = script_play(job, t, sc, err);
    }
    cleanup(job);
    free(job);
    free(s);
    free(p);
    return rc;
}
