/* subtask.h — one subtask's part of the checkpoint protocol, written once
 * for both drivers.
 *
 * The barrier handler (barrier.h) decides; this layer carries the
 * decisions out: it opens and closes the subtask's work on a checkpoint,
 * keeps the per-input bookkeeping of an unaligned channel state, takes and
 * finishes snapshots, forwards barriers, acknowledges, runs the source's
 * trigger path, switches the protocol mutants that live here and reaches
 * the crash points, and it writes the protocol's trace events (barrier_
 * reached, alignment_*, snapshot, channel_state, ack, …) in one order.
 *
 * It has no threads, clocks, channels or storage of its own. Each driver
 * hands it a table of operations (sb_subtask_ops_t): runtime/job.c with
 * real threads, ck_ring channels, the monotonic clock and checkpoint
 * storage; sim/pipeline.c with virtual time and its event queue. So the
 * order of what a subtask does at a checkpoint is the same in the engine
 * and in the simulator by construction, and tests/test_conformance.c
 * drives one script through both to keep it so.
 *
 * Positions are the barrier handler's: records on an input are numbered
 * from 1; a capture range (from, to] names positions. */
#ifndef SB_SUBTASK_H
#define SB_SUBTASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "barrier.h"
#include "err.h"
#include "sink.h"
#include "vocab.h"

#define SB_SUBTASK_NAME_BYTES_MAX 32
#define SB_SUBTASK_FIELDS_BYTES_MAX 65536  /* one trace event's fields */

/* A trace event's fields as JSON text without braces: "\"a\":1,\"b\":2".
 * Formatted once here, written by either driver as it is. */
typedef struct sb_subtask_fields {
    char text[SB_SUBTASK_FIELDS_BYTES_MAX];
    size_t len;
    bool overflow;                   /* a field did not fit */
} sb_subtask_fields_t;

void sb_subtask_fields_add(sb_subtask_fields_t *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The subtask's part of one checkpoint, from its first barrier (or the
 * trigger, for a source) to its ack: the figures Flink reports. */
typedef struct sb_subtask_work {
    int64_t id;                      /* 0: none open */
    int64_t trigger_ns, started_ns, snapshot_ns, synced_ns;
    bool unaligned, timed_out, final;
    bool overflow;                   /* channel state past its bound: declined */
    char storage_error[256];         /* staging its output failed: declined
                                        ("" none) */
} sb_subtask_work_t;

typedef struct sb_subtask_ack {
    int64_t checkpoint_id;
    int64_t state_bytes, inflight_records, inflight_bytes;
    bool unaligned;
    bool declined;                   /* the subtask cannot take its part */
} sb_subtask_ack_t;

/* What persisting a snapshot wrote. */
typedef struct sb_subtask_persisted {
    int64_t state_bytes;
    int64_t inflight_records, inflight_bytes;
} sb_subtask_persisted_t;

/* The driver's side. Every operation gets the driver's ctx. An operation
 * returning bool returns false when the subtask must stop (the job is
 * failing or the incarnation died); an int one returns -1 with err filled
 * on a failure the layer reports through fail. */
typedef struct sb_subtask_ops {
    int64_t (*now_ns)(void *ctx);
    /* The synchronous part of a snapshot: take the operator state (a
     * sink's epoch is already staged: take sb_sink_state); append to `cut`
     * the state's own fields of the cut (a source's "offsets"). */
    int (*take_state)(void *ctx, int64_t id, bool unaligned, sb_subtask_fields_t *cut,
                      sb_err_t *err);
    /* Output o's channel and the records emitted on it so far. */
    void (*output_cut)(void *ctx, int o, int *channel, int64_t *emitted);
    bool (*forward_barrier)(void *ctx, const sb_barrier_announcement_t *a);
    /* Copies the records of input c at positions (from, to] into the
     * channel state being recorded: from `reading`, the item the driver is
     * reading, or, when it is NULL, from what is still queued. Returns -1
     * past the channel state's bound (err says), else 0. */
    int (*capture)(void *ctx, int c, int64_t from, int64_t to, const void *reading,
                       sb_err_t *err);
    /* Writes the snapshot taken by take_state and, if unaligned, the
     * channel state captured since. */
    int (*persist)(void *ctx, int64_t id, bool unaligned, sb_subtask_persisted_t *out,
                   sb_err_t *err);
    void (*ack)(void *ctx, const sb_subtask_ack_t *a);
    void (*fail)(void *ctx, const sb_err_t *err);
    /* One trace event about this subtask (and checkpoint id if > 0). */
    void (*emit)(void *ctx, const char *event, int64_t id, const char *fields, size_t len);
    /* A crash point was reached. Returns true when the incarnation died
     * there (the simulator); a real crash never returns. May be NULL. */
    bool (*crash_point)(void *ctx, sb_crash_point_t point, int64_t id, bool final);
    /* The sink publishes every pending epoch <= upto (the mutant that
     * commits before the checkpoint completes uses it). Returns 0, -1 with
     * err, or > 0 (SB_SINK_STOPPED) when the incarnation died between two
     * uploads (sink.mid_commit): the layer then stops at once. */
    int (*sink_commit)(void *ctx, int64_t upto, sb_err_t *err);
    /* Every input ended: flush and send end of input downstream. */
    bool (*end_of_input)(void *ctx);
    /* A source emits one more batch (the source-snapshot-late mutant). */
    bool (*emit_more)(void *ctx);
    /* Inputs may be readable again (may be NULL). */
    void (*unblocked)(void *ctx);
    /* A problem that fails a checkpoint but not the job (storage refused
     * this subtask's part), for the operator's log: the trace has it too,
     * but a worker's log must name the file that failed. May be NULL. */
    void (*warn)(void *ctx, const sb_err_t *err);
} sb_subtask_ops_t;

typedef struct sb_subtask {
    const sb_subtask_ops_t *ops;
    void *ctx;
    sb_barrier_t *barrier;           /* NULL for a source */
    sb_sink_t *sink;                 /* a sink subtask's two-phase commit, else NULL */
    int64_t last_snapshot_id;        /* a sink: the newest checkpoint it staged for */
    char name[SB_SUBTASK_NAME_BYTES_MAX];
    sb_stage_kind_t kind;
    sb_mutant_t mutant;
    int inputs_count, outputs_count;
    int input_channel[SB_BARRIER_INPUTS_MAX]; /* channel ids, for the trace */
    sb_subtask_work_t work;
    /* Per input: the checkpoint being captured and how far its range has
     * been copied. */
    int64_t capture_id[SB_BARRIER_INPUTS_MAX];
    int64_t captured_upto[SB_BARRIER_INPUTS_MAX];
    int64_t captured_records;
    bool input_ended;                /* every input has ended */
} sb_subtask_t;

typedef struct sb_subtask_config {
    const char *name;
    sb_stage_kind_t kind;
    sb_mutant_t mutant;
    int inputs_count, outputs_count;
    const int *input_channel;        /* inputs_count ids */
    sb_barrier_t *barrier;           /* initialised by the caller; NULL for a source */
    sb_sink_t *sink;                 /* a sink subtask's; NULL for the others */
} sb_subtask_config_t;

/* Sets the subtask up for a new incarnation. Arms the barrier handler's
 * mutant (snapshot on the first barrier) when the scenario has it. */
void sb_subtask_init(sb_subtask_t *st, const sb_subtask_config_t *cfg,
                     const sb_subtask_ops_t *ops, void *ctx);

/* The sender of input c announced a barrier: traced, handed to the
 * handler, its actions carried out. */
bool sb_subtask_announce(sb_subtask_t *st, int c, const sb_barrier_announcement_t *a);

/* The driver is about to read records (first, first + count] of input c:
 * the part of them in a channel state being recorded is copied first
 * (before the operator changes them). `reading` goes to ops->capture. */
void sb_subtask_capture_read(sb_subtask_t *st, int c, int64_t first, int64_t count,
                             const void *reading);

/* The driver read `count` records of input c. */
bool sb_subtask_records_read(sb_subtask_t *st, int c, int64_t count);

/* End of input arrived on c. *ended: every input has ended. */
bool sb_subtask_end_of_input(sb_subtask_t *st, int c, bool *ended);

/* Time passes (the alignment timeout). */
bool sb_subtask_tick(sb_subtask_t *st);

/* Hands the handler every barrier due at an input's read position, until
 * none is (one arriving may end an alignment and unblock another input). */
bool sb_subtask_arrive_due(sb_subtask_t *st);

/* A source's checkpoint trigger: its snapshot (its offsets) is taken and
 * acknowledged before its barrier leaves; then the source-after-barrier
 * crash point. */
bool sb_subtask_source_trigger(sb_subtask_t *st, int64_t id, int64_t trigger_ns, bool final);

/* Checkpoint `upto` completed (`final`: the final one): a sink
 * publishes, then the sink-after-commit crash point. Returns false to
 * stop (the job failed or the incarnation died). */
bool sb_subtask_completed(sb_subtask_t *st, int64_t upto, bool final);

/* Reaches a crash point. Returns false when the incarnation died there
 * (the simulator; a real crash never returns): the caller stops at once. */
bool sb_subtask_crash_point(sb_subtask_t *st, sb_crash_point_t point, int64_t id, bool final);

#endif
