/* simstore.h — what survives a simulated crash: checkpoint storage.
 *
 * A crash in the simulator throws away every subtask, channel and the
 * coordinator; this store stays, as checkpoint storage and S3 stay when a
 * real worker is killed. It holds:
 * - checkpoints: per checkpoint id, each subtask's snapshot (a source's next
 *   offset, an operator's count of records processed, a sink's pending
 *   uploads as runtime/sink.c lists them, and the channel state recorded
 *   by an unaligned snapshot), and
 *   whether the checkpoint completed. Only completed checkpoints are ever
 *   restored; the newest one is kept, older ones are freed (retention 1),
 *   incomplete ones are freed when they are aborted or their incarnation
 *   dies — unless keep_incomplete is set (the restore-latest-triggered
 *   mutant): then, as in the runtime's storage, they stay until a newer
 *   checkpoint completes, and a restore may (wrongly) pick one.
 * The sinks' output is not here: the simulator's sinks are runtime/sink.c,
 * committing through the mem:// object store (store.h), which also
 * survives a crash.
 * Every array has a named bound; crossing one fails the run. */
#ifndef SB_SIMSTORE_H
#define SB_SIMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SB_SIMSTORE_SLOTS 32                 /* checkpoints held at once */
#define SB_SIMSTORE_RECORDS_MAX ((size_t)1 << 28) /* in one vector */

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
    json_t *sink_state;                      /* sink: runtime/sink.c's snapshot
                                                (its pending uploads); owned */
    sb_simstore_recs_t channel_state;        /* input by input, in order */
    int64_t state_bytes;
} sb_simstore_snapshot_t;

typedef struct sb_simstore_checkpoint {
    int64_t id;                              /* 0: a free slot */
    bool completed;
    sb_simstore_snapshot_t *tasks;           /* [tasks] */
} sb_simstore_checkpoint_t;

typedef struct sb_simstore {
    int tasks;
    sb_simstore_checkpoint_t slots[SB_SIMSTORE_SLOTS];
    int64_t latest_completed;                /* 0: none */
    int64_t max_triggered;                   /* ids never repeat */
    bool keep_incomplete;                    /* see the top of this file */
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

#endif
