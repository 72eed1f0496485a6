/* barrier.c — see barrier.h. */
#include "barrier.h"

#include <assert.h>
#include <string.h>

void sb_barrier_init(sb_barrier_t *h, int inputs, const sb_barrier_config_t *cfg)
{
    assert(inputs >= 1 && inputs <= SB_BARRIER_INPUTS_MAX);
    memset(h, 0, sizeof *h);
    h->inputs = inputs;
    h->cfg = *cfg;
}

void sb_barrier_set_mutant_no_alignment(sb_barrier_t *h)
{
    h->mutant_no_alignment = true;
}

/* ------------------------------------------------ announced barriers */

static sb_barrier_announcement_t *pending_head(sb_barrier_input_t *in)
{
    return in->pending_count > 0 ? &in->pending[in->pending_head] : NULL;
}

static void pending_pop(sb_barrier_input_t *in)
{
    in->pending_head = (in->pending_head + 1) % SB_BARRIER_PENDING_MAX;
    in->pending_count--;
}

/* Queues an announcement; when the queue is full the oldest one goes (a
 * checkpoint that far behind has long timed out). Returns its id, or 0. */
static int64_t pending_push(sb_barrier_input_t *in, const sb_barrier_announcement_t *a)
{
    int64_t dropped = 0;
    if (in->pending_count == SB_BARRIER_PENDING_MAX) {
        dropped = pending_head(in)->checkpoint_id;
        pending_pop(in);
    }
    in->pending[(in->pending_head + in->pending_count) % SB_BARRIER_PENDING_MAX] = *a;
    in->pending_count++;
    return dropped;
}

static const sb_barrier_announcement_t *pending_find(const sb_barrier_input_t *in, int64_t id)
{
    for (int k = 0; k < in->pending_count; k++) {
        const sb_barrier_announcement_t *a =
            &in->pending[(in->pending_head + k) % SB_BARRIER_PENDING_MAX];
        if (a->checkpoint_id == id)
            return a;
    }
    return NULL;
}

/* ------------------------------------------------ the current checkpoint */

static bool is_stale(const sb_barrier_t *h, int64_t id)
{
    return id <= h->last_snapshot_id || (h->current_id != 0 && id < h->current_id);
}

/* Whether a barrier should overtake (be taken unaligned) right now. */
static bool wants_unaligned(const sb_barrier_t *h, bool final, bool flagged, int64_t trigger_ns,
                            int64_t now_ns)
{
    if (!h->cfg.unaligned || final || h->cfg.mode != SB_MODE_EXACTLY_ONCE)
        return false;
    if (flagged || h->cfg.aligned_timeout_ns <= 0)
        return true;
    return now_ns - trigger_ns > h->cfg.aligned_timeout_ns;
}

static void start_checkpoint(sb_barrier_t *h, int64_t id, int64_t trigger_ns, bool final,
                             sb_barrier_actions_t *out)
{
    if (h->current_id != 0 && !h->current_done)
        out->abandoned_id = h->current_id;
    h->current_id = id;
    h->current_trigger_ns = trigger_ns;
    h->current_final = final;
    h->current_done = h->current_unaligned = h->current_snapshotted = false;
    h->received_count = 0;
    for (int i = 0; i < h->inputs; i++) {
        h->in[i].received = false;
        h->in[i].capturing = false;
    }
    if (h->announced_id <= id)
        h->announced_id = 0;
    out->checkpoint_id = id;
}

/* The channel state is complete once every capture range has its end. */
static void check_channel_state(sb_barrier_t *h, sb_barrier_actions_t *out)
{
    if (!h->current_snapshotted || h->current_done)
        return;
    for (int i = 0; i < h->inputs; i++)
        if (h->in[i].capturing && h->in[i].capture_to == SB_BARRIER_OPEN)
            return;
    h->current_done = true;
    out->channel_state_complete = true;
    out->checkpoint_id = h->current_id;
}

static void take_snapshot(sb_barrier_t *h, sb_barrier_actions_t *out)
{
    out->snapshot = out->forward = true;
    out->checkpoint_id = h->current_id;
    h->current_snapshotted = true;
    h->last_snapshot_id = h->current_id;
}

static void snapshot_aligned(sb_barrier_t *h, sb_barrier_actions_t *out)
{
    take_snapshot(h, out);
    out->alignment_ended = true;
    check_channel_state(h, out); /* nothing captured: complete at once */
}

/* Snapshot now; every input whose barrier has not arrived captures from
 * its read position to its barrier (bounded at once if announced). */
static void snapshot_unaligned(sb_barrier_t *h, sb_barrier_actions_t *out)
{
    out->alignment_ended = h->received_count > 0;
    take_snapshot(h, out);
    out->unaligned = true;
    h->current_unaligned = true;
    for (int i = 0; i < h->inputs; i++) {
        sb_barrier_input_t *in = &h->in[i];
        if (in->ended || in->received)
            continue; /* its barrier came in band: nothing in flight before it */
        in->capturing = true;
        in->capture_from = in->position;
        in->capture_to = SB_BARRIER_OPEN;
        const sb_barrier_announcement_t *a = pending_find(in, h->current_id);
        if (a != NULL) {
            in->capture_to = a->position;
            in->received = true;
            h->received_count++;
            out->capture_bounded |= 1ull << i;
        }
    }
    check_channel_state(h, out);
}

static void complete_if_aligned(sb_barrier_t *h, sb_barrier_actions_t *out)
{
    if (h->current_id == 0 || h->current_snapshotted)
        return;
    for (int i = 0; i < h->inputs; i++)
        if (!h->in[i].received && !h->in[i].ended)
            return;
    snapshot_aligned(h, out);
}

/* Barrier `a` reached in band on input c (its position was just read). */
static void arrive(sb_barrier_t *h, int c, const sb_barrier_announcement_t *a,
                   sb_barrier_actions_t *out)
{
    out->arrived |= 1ull << c;
    out->checkpoint_id = a->checkpoint_id; /* what `arrived` is about */
    if (a->checkpoint_id > h->current_id) {
        start_checkpoint(h, a->checkpoint_id, a->trigger_ns, a->final, out);
        out->alignment_started = true;
        if (h->mutant_no_alignment) {
            take_snapshot(h, out);
            check_channel_state(h, out);
            return;
        }
    }
    assert(a->checkpoint_id == h->current_id && !h->in[c].received);
    h->in[c].received = true;
    h->received_count++;
    complete_if_aligned(h, out);
}

/* Every announced barrier at input c's read position has arrived. One
 * call acts on one checkpoint; `again` asks the driver to call back. */
static void arrive_due(sb_barrier_t *h, int c, sb_barrier_actions_t *out)
{
    sb_barrier_input_t *in = &h->in[c];
    sb_barrier_announcement_t *head;
    while ((head = pending_head(in)) != NULL && head->position == in->position) {
        /* A blocked input is not read: the barriers behind the one it
         * delivered arrive once the alignment is over (sb_barrier_is_due). */
        if (sb_barrier_is_blocked(h, c))
            return;
        sb_barrier_announcement_t a = *head;
        bool stale = is_stale(h, a.checkpoint_id);
        if (!stale && out->checkpoint_id != 0 && out->checkpoint_id != a.checkpoint_id) {
            out->again = true;
            return;
        }
        pending_pop(in);
        if (!stale)
            arrive(h, c, &a, out);
    }
}

/* ------------------------------------------------------------- events */

void sb_barrier_on_announce(sb_barrier_t *h, int channel, const sb_barrier_announcement_t *a,
                            int64_t now_ns, sb_barrier_actions_t *out)
{
    memset(out, 0, sizeof *out);
    assert(channel >= 0 && channel < h->inputs);
    sb_barrier_input_t *in = &h->in[channel];
    assert(!in->ended);
    /* FIFO channels carry barrier ids in increasing order, never behind
     * what the receiver has already read. */
    assert(a->checkpoint_id > in->last_announced_id);
    assert(a->position >= in->position);
    in->last_announced_id = a->checkpoint_id;
    int64_t id = a->checkpoint_id;

    if (id == h->current_id && h->current_unaligned && !h->current_done) {
        /* Unaligned and capturing: this barrier bounds the input's range. */
        if (in->capturing && in->capture_to == SB_BARRIER_OPEN) {
            in->capture_to = a->position;
            in->received = true;
            h->received_count++;
            out->capture_bounded |= 1ull << channel;
            out->checkpoint_id = id;
            check_channel_state(h, out);
        }
        return;
    }
    if (is_stale(h, id))
        return;
    out->dropped_id = pending_push(in, a);
    bool take = wants_unaligned(h, a->final, a->unaligned, a->trigger_ns, now_ns);
    if (id == h->current_id && !h->current_snapshotted) {
        if (take) {
            out->timed_out = !a->unaligned && h->cfg.aligned_timeout_ns > 0;
            snapshot_unaligned(h, out);
        }
    } else if (id > h->current_id) {
        if (take) {
            start_checkpoint(h, id, a->trigger_ns, a->final, out);
            out->timed_out = !a->unaligned && h->cfg.aligned_timeout_ns > 0;
            snapshot_unaligned(h, out);
        } else if (id > h->announced_id) {
            h->announced_id = id;
            h->announced_trigger_ns = a->trigger_ns;
            h->announced_final = a->final;
        }
    }
    arrive_due(h, channel, out);
}

void sb_barrier_on_records(sb_barrier_t *h, int channel, int64_t records,
                           sb_barrier_actions_t *out)
{
    memset(out, 0, sizeof *out);
    assert(channel >= 0 && channel < h->inputs && records >= 0);
    sb_barrier_input_t *in = &h->in[channel];
    assert(!in->ended);
    in->position += records;
    assert(pending_head(in) == NULL || in->position <= pending_head(in)->position);
    arrive_due(h, channel, out);
}

void sb_barrier_on_end_of_input(sb_barrier_t *h, int channel, sb_barrier_actions_t *out)
{
    memset(out, 0, sizeof *out);
    assert(channel >= 0 && channel < h->inputs);
    sb_barrier_input_t *in = &h->in[channel];
    assert(!in->ended);
    in->ended = true;
    in->pending_count = 0;
    h->ended_count++;
    if (in->capturing && in->capture_to == SB_BARRIER_OPEN) {
        /* Its sender ended without this barrier: all it sent is captured. */
        in->capture_to = in->position;
        out->capture_bounded |= 1ull << channel;
        out->checkpoint_id = h->current_id;
    }
    complete_if_aligned(h, out);
    check_channel_state(h, out);
    if (h->ended_count == h->inputs)
        out->end_of_input = true;
}

void sb_barrier_on_tick(sb_barrier_t *h, int64_t now_ns, sb_barrier_actions_t *out)
{
    memset(out, 0, sizeof *out);
    if (!h->cfg.unaligned || h->cfg.aligned_timeout_ns <= 0 ||
        h->cfg.mode != SB_MODE_EXACTLY_ONCE)
        return;
    int64_t d = h->cfg.aligned_timeout_ns;
    if (h->current_id != 0 && !h->current_snapshotted && !h->current_final &&
        now_ns - h->current_trigger_ns > d) {
        out->timed_out = true;
        out->checkpoint_id = h->current_id;
        snapshot_unaligned(h, out);
        return;
    }
    if (h->announced_id > h->current_id && !h->announced_final &&
        now_ns - h->announced_trigger_ns > d) {
        start_checkpoint(h, h->announced_id, h->announced_trigger_ns, false, out);
        out->timed_out = true;
        snapshot_unaligned(h, out);
    }
}

void sb_barrier_on_barrier(sb_barrier_t *h, int channel, int64_t checkpoint_id,
                           sb_barrier_actions_t *out)
{
    sb_barrier_announcement_t a = { .checkpoint_id = checkpoint_id,
                                    .position = h->in[channel].position };
    sb_barrier_on_announce(h, channel, &a, 0, out);
}

/* ------------------------------------------------------------ queries */

bool sb_barrier_is_blocked(const sb_barrier_t *h, int channel)
{
    assert(channel >= 0 && channel < h->inputs);
    if (h->cfg.mode == SB_MODE_AT_LEAST_ONCE)
        return false;
    return h->current_id != 0 && !h->current_snapshotted && h->in[channel].received;
}

bool sb_barrier_capture(const sb_barrier_t *h, int channel, int64_t *checkpoint_id,
                        int64_t *from, int64_t *to)
{
    assert(channel >= 0 && channel < h->inputs);
    const sb_barrier_input_t *in = &h->in[channel];
    if (!in->capturing)
        return false;
    *checkpoint_id = h->current_id;
    *from = in->capture_from;
    *to = in->capture_to;
    return true;
}

bool sb_barrier_is_due(const sb_barrier_t *h, int channel)
{
    assert(channel >= 0 && channel < h->inputs);
    const sb_barrier_input_t *in = &h->in[channel];
    return !in->ended && in->pending_count > 0 &&
           in->pending[in->pending_head].position == in->position &&
           !sb_barrier_is_blocked(h, channel);
}

int64_t sb_barrier_position(const sb_barrier_t *h, int channel)
{
    assert(channel >= 0 && channel < h->inputs);
    return h->in[channel].position;
}
