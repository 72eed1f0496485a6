/* simstore.h — what survives a simulated crash: checkpoint storage and the
 * sink's object store.
 *
 * A crash in the simulator throws away every subtask, channel and the
 * coordinator; this store stays, as checkpoint storage and S3 stay when a
 * real worker is killed. It holds:
 * - checkpoints: per checkpoint id, each subtask's snapshot (a source's next
 *   offset, an operator's count of records processed, a sink's pending
 *   epochs, and the channel state recorded by an unaligned snapshot), and
 *   whether the checkpoint completed. Only completed checkpoints are ever
 *   restored; the newest one is kept, older ones are freed (retention 1),
 *   incomplete ones are freed when they are aborted or their incarnation
 *   dies — unless keep_incomplete is set (the restore-latest-triggered
 *   mutant): then, as in the runtime's storage, they stay until a newer
 *   checkpoint completes, and a restore may (wrongly) pick one.
 * - sink epochs: the records a sink subtask received between two
 *   snapshots, staged under a key derived from (subtask, checkpoint id) as
 *   the runtime's sink does, published at most once, or aborted.
 * Every array has a named bound; crossing one fails the run. */
#ifndef SB_SIMSTORE_H
#define SB_SIMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_SIMSTORE_SLOTS 32                 /* checkpoints held at once */
#define SB_SIMSTORE_PENDING_MAX 64           /* epochs staged, not committed, per sink */
#define SB_SIMSTORE_EPOCHS_MAX (1 << 22)
#define SB_SIMSTORE_RECORDS_MAX ((size_t)1 << 28) /* in one vector */
#define SB_SIMSTORE_KEY_BYTES_MAX 40

/* A record's id: partition and offset in the (simulated) input. */
typedef struct sb_simstore_rec {
    int64_t offset;
    int32_t partition;
} sb_simstore_rec_t;

typedef struct sb_simstore_recs {
    sb_simstore_rec_t *v;
    size_t n, cap;
} sb_simstore_recs_t;

/* Appends; -1 past SB_SIMSTORE_RECORDS_MAX or out of memory. */
int sb_simstore_recs_push(sb_simstore_recs_t *r, sb_simstore_rec_t rec);
void sb_simstore_recs_free(sb_simstore_recs_t *r);

typedef struct sb_simstore_snapshot {
    bool taken;
    int64_t next_offset;                     /* source */
    int64_t processed;                       /* operators and sinks */
    int64_t pending[SB_SIMSTORE_PENDING_MAX];/* sink: checkpoint ids staged */
    int pending_count;
    sb_simstore_recs_t channel_state;        /* input by input, in order */
    int64_t state_bytes;
} sb_simstore_snapshot_t;

typedef struct sb_simstore_checkpoint {
    int64_t id;                              /* 0: a free slot */
    bool completed;
    sb_simstore_snapshot_t *tasks;           /* [tasks] */
} sb_simstore_checkpoint_t;

typedef struct sb_simstore_epoch {
    int sink;                                /* task index */
    int subtask;                             /* the number in its key (topology.h) */
    int64_t checkpoint;
    sb_simstore_recs_t recs;
    bool published, aborted;
    int64_t publish_order;                   /* 1, 2, …: across all sinks */
    int rewrites;                            /* written again once published
                                                (overwrite-published mutant) */
} sb_simstore_epoch_t;

typedef struct sb_simstore {
    int tasks;
    sb_simstore_checkpoint_t slots[SB_SIMSTORE_SLOTS];
    int64_t latest_completed;                /* 0: none */
    int64_t max_triggered;                   /* ids never repeat */
    bool keep_incomplete;                    /* see the top of this file */
    sb_simstore_epoch_t *epochs;
    size_t epochs_count, epochs_cap;
    int64_t publications;
} sb_simstore_t;

void sb_simstore_init(sb_simstore_t *st, int tasks);
void sb_simstore_free(sb_simstore_t *st);

/* The snapshot of `task` in checkpoint `id`, to fill (its slot is taken on
 * first use); NULL when every slot is held. */
sb_simstore_snapshot_t *sb_simstore_put(sb_simstore_t *st, int64_t id, int task);

/* The snapshot of `task` in a completed checkpoint, or NULL. */
const sb_simstore_snapshot_t *sb_simstore_get(const sb_simstore_t *st, int64_t id, int task);

/* The snapshot of `task` in checkpoint `id`, completed or not, or NULL
 * (the restore-latest-triggered mutant reads incomplete ones). */
const sb_simstore_snapshot_t *sb_simstore_get_any(const sb_simstore_t *st, int64_t id, int task);

/* Whether checkpoint `id` completed (false for 0 and for ids not held). */
bool sb_simstore_completed(const sb_simstore_t *st, int64_t id);

/* The newest checkpoint held with at least one snapshot, completed or not
 * (what the runtime's storage scan calls the newest id); 0 if none. */
int64_t sb_simstore_newest_held(const sb_simstore_t *st);

/* Checkpoint `id` completed (its _metadata is written): it becomes the one
 * a restore uses, and older checkpoints are freed. */
void sb_simstore_complete(sb_simstore_t *st, int64_t id);

/* Checkpoint `id` will never complete (aborted): freed, unless
 * keep_incomplete. */
void sb_simstore_discard(sb_simstore_t *st, int64_t id);

/* The incarnation died: every checkpoint not completed is freed, unless
 * keep_incomplete. */
void sb_simstore_discard_incomplete(sb_simstore_t *st);

/* "part-SSS-CCCCCCCCCCCC", the runtime's sink object name. */
void sb_simstore_key(int subtask, int64_t checkpoint, char *buf, size_t len);

/* Stages a sink's epoch (takes the records); -1 past the bound. */
int sb_simstore_stage(sb_simstore_t *st, int sink, int subtask, int64_t checkpoint,
                      sb_simstore_recs_t *recs);

/* Publishes a staged epoch; returns 1 when it was published now, 0 when it
 * had been already (a commit repeated after a restore), -1 when no such
 * epoch was staged. */
int sb_simstore_publish(sb_simstore_t *st, int sink, int64_t checkpoint);

/* Writes a published epoch again (same key, same records): returns 1 and
 * counts it in the epoch's rewrites, or -1 when it was not published. */
int sb_simstore_overwrite(sb_simstore_t *st, int sink, int64_t checkpoint);

/* Aborts every epoch of `sink` neither published nor listed in
 * pending[0..n); calls fn for each (to trace it). */
void sb_simstore_abort_orphans(sb_simstore_t *st, int sink, const int64_t *pending, int n,
                               void (*fn)(void *ctx, const sb_simstore_epoch_t *e), void *ctx);

#endif
