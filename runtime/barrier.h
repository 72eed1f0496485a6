/* barrier.h — the barrier handler: the pure protocol core of one subtask.
 *
 * No threads, clocks or I/O. The driver (a runtime thread, or the simulator)
 * tells it what happened on which input channel and what time it is; it
 * answers with actions. A bug found by driving it in the simulator is a bug
 * in the runtime.
 *
 * Positions. Every record on a channel has a position: 1 for the first one
 * the sender pushed, 2 for the next, and so on. A barrier sits between two
 * records; its position is the number of records the sender pushed before
 * it. The sender announces every barrier on a priority path the moment it
 * emits it (sb_barrier_on_announce), and the driver reports how many records
 * it has consumed from each input (sb_barrier_on_records). When an input's
 * read position reaches an announced barrier, that barrier has arrived "in
 * band", exactly where an in-band barrier would have been read. This is
 * Flink's barrier announcement: the receiver learns of a barrier early, and
 * decides whether to wait for it or to let it overtake.
 *
 * Aligned (EXACTLY_ONCE): the first barrier of checkpoint N to arrive in
 * band starts the alignment; each input that delivered barrier N is blocked
 * (the driver stops reading it) until barrier N has come on every input that
 * has not ended. Then the subtask snapshots, forwards barrier N on all
 * outputs, and every input is unblocked. A barrier of a newer checkpoint
 * arriving mid-alignment abandons the older one (it is subsumed, as in
 * Flink) and starts the new.
 *
 * Unaligned (execution.checkpointing.unaligned): the first announcement of
 * checkpoint N is taken at once: the subtask snapshots, forwards barrier N,
 * and from then on records the channel state of N on the receiving side, as
 * in Chandy–Lamport: on every input, the records after the read position at
 * the snapshot and up to that input's barrier N. On the input that carried
 * the first barrier these are the records the barrier overtook; on the
 * others they are what arrives before their barrier. sb_barrier_capture
 * tells the driver each input's range; once every range is bounded (every
 * input announced its barrier, or ended), the channel state is complete and
 * the subtask acknowledges. Nothing is ever blocked. A record in flight
 * across the cut is in exactly one range, the receiver's: senders record
 * nothing.
 *
 * Alignment timeout (execution.checkpointing.aligned-checkpoint-timeout, with
 * unaligned on): a checkpoint starts aligned and is switched to unaligned in
 * a subtask once more than the timeout has passed since it was triggered
 * (Flink's rule: the timeout is on the checkpoint's start delay). Inputs that
 * already delivered the barrier capture nothing; the others capture from
 * the switch to their barrier. A switched subtask forwards its barrier
 * flagged unaligned, so downstream takes it at once too.
 *
 * The final checkpoint of a bounded run is always aligned: after it no
 * checkpoint will commit what its channel state would hand to the sink.
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

#include "vocab.h"

#define SB_BARRIER_INPUTS_MAX 64
#define SB_BARRIER_PENDING_MAX 16   /* announced barriers per input not yet reached */
#define SB_BARRIER_OPEN INT64_MAX   /* a capture range's end before its barrier is known */

_Static_assert(SB_BARRIER_INPUTS_MAX <= 64, "inputs are a 64-bit mask in the actions");

/* What a sender says about a barrier it has just emitted on a channel. */
typedef struct sb_barrier_announcement {
    int64_t checkpoint_id;
    int64_t position;            /* records pushed on the channel before it */
    int64_t trigger_ns;          /* when the coordinator triggered it */
    bool unaligned;              /* the sender took it unaligned: overtake */
    bool final;                  /* the final checkpoint: always aligned */
} sb_barrier_announcement_t;

typedef struct sb_barrier_config {
    sb_checkpointing_mode_t mode;
    bool unaligned;              /* execution.checkpointing.unaligned */
    int64_t aligned_timeout_ns;  /* ...aligned-checkpoint-timeout; 0 = none */
} sb_barrier_config_t;

typedef struct sb_barrier_actions {
    int64_t checkpoint_id;       /* the checkpoint the flags below are about */
    int64_t abandoned_id;        /* an older checkpoint given up, or 0 */
    int64_t dropped_id;          /* an announcement dropped: queue full */
    bool alignment_started;      /* first in-band barrier of checkpoint_id */
    bool timed_out;              /* the alignment timeout switched it */
    bool snapshot;               /* take the snapshot of checkpoint_id now */
    bool unaligned;              /* ... unaligned: its channel state follows */
    bool forward;                /* then forward barrier checkpoint_id */
    bool alignment_ended;        /* every input is unblocked again */
    uint64_t arrived;            /* inputs whose barrier of checkpoint_id was
                                    just reached in band (read up to it) */
    uint64_t capture_bounded;    /* inputs whose capture range just got its
                                    end: the driver may copy it now */
    bool channel_state_complete; /* every range of checkpoint_id is bounded:
                                    once copied, the subtask can ack */
    bool end_of_input;           /* every input has ended: forward it */
    bool again;                  /* another barrier waits at this position:
                                    call sb_barrier_on_records(h, c, 0, …) */
} sb_barrier_actions_t;

typedef struct sb_barrier_input {
    int64_t position;            /* records consumed */
    sb_barrier_announcement_t pending[SB_BARRIER_PENDING_MAX]; /* by position */
    int pending_head, pending_count;
    int64_t last_announced_id;
    bool ended;
    bool received;               /* the current checkpoint's barrier arrived */
    bool capturing;              /* records in (capture_from, capture_to] */
    int64_t capture_from, capture_to;
} sb_barrier_input_t;

typedef struct sb_barrier {
    sb_barrier_config_t cfg;
    bool mutant_no_alignment;    /* SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER */
    int inputs;
    int ended_count;
    /* The current checkpoint: at most one at a time, as in Flink. */
    int64_t current_id;          /* 0 if none yet */
    int64_t current_trigger_ns;
    bool current_final;
    bool current_done;           /* snapshot taken and channel state complete */
    bool current_unaligned;      /* snapshot taken unaligned */
    bool current_snapshotted;
    int received_count;
    int64_t last_snapshot_id;
    /* The newest checkpoint announced but not started: the timeout's watch. */
    int64_t announced_id;
    int64_t announced_trigger_ns;
    bool announced_final;
    sb_barrier_input_t in[SB_BARRIER_INPUTS_MAX];
} sb_barrier_t;

void sb_barrier_init(sb_barrier_t *h, int inputs, const sb_barrier_config_t *cfg);

/* The deliberate bug of the snapshot-on-first-barrier mutant: snapshot and
 * forward on the first barrier of a checkpoint, without waiting for the
 * other inputs. A correct checker must catch it. */
void sb_barrier_set_mutant_no_alignment(sb_barrier_t *h);

/* The sender of input `channel` announced a barrier (priority path). */
void sb_barrier_on_announce(sb_barrier_t *h, int channel, const sb_barrier_announcement_t *a,
                            int64_t now_ns, sb_barrier_actions_t *out);

/* The driver consumed `records` more records from `channel`. It never reads
 * past an announced barrier in one step (senders never batch across one). */
void sb_barrier_on_records(sb_barrier_t *h, int channel, int64_t records,
                           sb_barrier_actions_t *out);

/* End of input arrived on `channel`: it will deliver nothing more. */
void sb_barrier_on_end_of_input(sb_barrier_t *h, int channel, sb_barrier_actions_t *out);

/* Time passes: the alignment timeout. */
void sb_barrier_on_tick(sb_barrier_t *h, int64_t now_ns, sb_barrier_actions_t *out);

/* A barrier read in band, announced at the current position (a sender
 * without a priority path; tests and the simulator). */
void sb_barrier_on_barrier(sb_barrier_t *h, int channel, int64_t checkpoint_id,
                           sb_barrier_actions_t *out);

/* Whether the driver must leave `channel` unread for now. */
bool sb_barrier_is_blocked(const sb_barrier_t *h, int channel);

/* Whether a barrier waits at `channel`'s read position and may arrive now
 * (its input was blocked by an alignment that has since ended): the driver
 * then calls sb_barrier_on_records(h, channel, 0, …). */
bool sb_barrier_is_due(const sb_barrier_t *h, int channel);

/* Whether records of `channel` belong to a channel state: if so, those at
 * positions in (*from, *to] are in the channel state of *checkpoint_id
 * (*to is SB_BARRIER_OPEN until the input's barrier is known). */
bool sb_barrier_capture(const sb_barrier_t *h, int channel, int64_t *checkpoint_id,
                        int64_t *from, int64_t *to);

/* Records consumed from `channel` so far. */
int64_t sb_barrier_position(const sb_barrier_t *h, int channel);

#endif
