/* barrier.c — see barrier.h. */
#include "barrier.h"

#include <assert.h>
#include <string.h>

void sb_barrier_init(sb_barrier_t *h, int inputs, sb_checkpointing_mode_t mode)
{
    assert(inputs >= 1 && inputs <= SB_BARRIER_INPUTS_MAX);
    memset(h, 0, sizeof *h);
    h->inputs = inputs;
    h->mode = mode;
}

static void reset_alignment(sb_barrier_t *h)
{
    h->aligning_id = 0;
    h->received_count = 0;
    memset(h->received, 0, sizeof h->received);
}

/* Barrier aligning_id is complete once every input that has not ended has
 * delivered it. */
static void complete_if_aligned(sb_barrier_t *h, sb_barrier_actions_t *out)
{
    if (h->aligning_id == 0)
        return;
    int waiting = 0;
    for (int i = 0; i < h->inputs; i++)
        if (!h->received[i] && !h->ended[i])
            waiting++;
    if (waiting > 0)
        return;
    out->snapshot = true;
    out->forward = true;
    out->alignment_ended = true;
    out->checkpoint_id = h->aligning_id;
    h->last_snapshot_id = h->aligning_id;
    reset_alignment(h);
}

void sb_barrier_set_mutant_no_alignment(sb_barrier_t *h)
{
    h->mutant_no_alignment = true;
}

void sb_barrier_on_barrier(sb_barrier_t *h, int channel, int64_t checkpoint_id,
                           sb_barrier_actions_t *out)
{
    memset(out, 0, sizeof *out);
    assert(channel >= 0 && channel < h->inputs);
    assert(!h->ended[channel]);
    /* FIFO channels deliver barrier ids in increasing order. */
    assert(checkpoint_id > h->last_id[channel]);
    h->last_id[channel] = checkpoint_id;

    if (checkpoint_id <= h->last_snapshot_id)
        return; /* a late barrier of a checkpoint already taken */
    if (h->aligning_id != 0 && checkpoint_id < h->aligning_id)
        return; /* a late barrier of a checkpoint abandoned for a newer one */
    if (h->aligning_id != 0 && checkpoint_id > h->aligning_id) {
        out->abandoned_id = h->aligning_id;
        reset_alignment(h);
    }
    if (h->aligning_id == 0 && h->mutant_no_alignment) {
        out->snapshot = out->forward = true;
        out->checkpoint_id = checkpoint_id;
        h->last_snapshot_id = checkpoint_id;
        return;
    }
    if (h->aligning_id == 0) {
        h->aligning_id = checkpoint_id;
        out->alignment_started = true;
        out->checkpoint_id = checkpoint_id;
    }
    assert(!h->received[channel]);
    h->received[channel] = true;
    h->received_count++;
    complete_if_aligned(h, out);
}

void sb_barrier_on_end_of_input(sb_barrier_t *h, int channel,
                                sb_barrier_actions_t *out)
{
    memset(out, 0, sizeof *out);
    assert(channel >= 0 && channel < h->inputs);
    assert(!h->ended[channel]);
    h->ended[channel] = true;
    h->ended_count++;
    complete_if_aligned(h, out);
    if (h->ended_count == h->inputs)
        out->end_of_input = true;
}

bool sb_barrier_is_blocked(const sb_barrier_t *h, int channel)
{
    assert(channel >= 0 && channel < h->inputs);
    if (h->mode == SB_MODE_AT_LEAST_ONCE)
        return false;
    return h->aligning_id != 0 && h->received[channel];
}
