/* barrier.h — the barrier handler: the pure protocol core of one subtask.
 *
 * No threads, clocks or I/O. The driver (a runtime thread, or the simulator)
 * tells it what arrived on which input channel; it answers with actions.
 *
 * Aligned (EXACTLY_ONCE): the first barrier of checkpoint N starts the
 * alignment; each input that delivered barrier N is blocked (the driver stops
 * reading it) until barrier N has come on every input that has not ended.
 * Then the subtask snapshots, forwards barrier N on all outputs, and every
 * input is unblocked. A barrier of a newer checkpoint arriving mid-alignment
 * abandons the older one (it is subsumed, as in Flink) and starts the new.
 *
 * At-least-once: nothing is ever blocked; the snapshot is taken when barrier
 * N has arrived on every input, so records that came after barrier N on a
 * fast input are inside the snapshot and will be replayed after a restore:
 * duplicates, by design — the negative control of the exactly-once checker.
 */
#ifndef SB_BARRIER_H
#define SB_BARRIER_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

#define SB_BARRIER_INPUTS_MAX 64

typedef struct sb_barrier_actions {
    bool alignment_started;      /* first barrier of checkpoint_id arrived */
    bool snapshot;               /* take the snapshot of checkpoint_id now */
    bool forward;                /* then forward barrier checkpoint_id */
    bool alignment_ended;        /* every input is unblocked again */
    int64_t checkpoint_id;
    int64_t abandoned_id;        /* an older alignment given up, or 0 */
    bool end_of_input;           /* every input has ended: forward it */
} sb_barrier_actions_t;

typedef struct sb_barrier {
    sb_checkpointing_mode_t mode;
    bool mutant_no_alignment;    /* SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER */
    int inputs;
    int64_t aligning_id;         /* checkpoint being aligned, 0 if none */
    int received_count;          /* inputs that delivered aligning_id */
    int ended_count;
    int64_t last_snapshot_id;    /* newest checkpoint snapshotted */
    int64_t last_id[SB_BARRIER_INPUTS_MAX]; /* newest barrier per input */
    bool received[SB_BARRIER_INPUTS_MAX];
    bool ended[SB_BARRIER_INPUTS_MAX];
} sb_barrier_t;

void sb_barrier_init(sb_barrier_t *h, int inputs, sb_checkpointing_mode_t mode);

/* The deliberate bug of the snapshot-on-first-barrier mutant: snapshot and
 * forward on the first barrier of a checkpoint, without waiting for the
 * other inputs. A correct checker must catch it. */
void sb_barrier_set_mutant_no_alignment(sb_barrier_t *h);

/* Barrier `checkpoint_id` arrived on input `channel`. */
void sb_barrier_on_barrier(sb_barrier_t *h, int channel, int64_t checkpoint_id,
                           sb_barrier_actions_t *out);

/* End of input arrived on `channel`: it will deliver nothing more. */
void sb_barrier_on_end_of_input(sb_barrier_t *h, int channel,
                                sb_barrier_actions_t *out);

/* Whether the driver must leave `channel` unread for now. */
bool sb_barrier_is_blocked(const sb_barrier_t *h, int channel);

#endif
