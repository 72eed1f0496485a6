/* channel.c — see channel.h. */
#include "channel.h"

#include <assert.h>
#include <sched.h>
#include <stdlib.h>

#include "clock.h"

CK_RING_PROTOTYPE(sb_announce, sb_announcement_slot)

int sb_channel_init(sb_channel_t *ch, int index)
{
    ck_ring_init(&ch->full, SB_CHANNEL_RING_SLOTS);
    ck_ring_init(&ch->empty, SB_CHANNEL_RING_SLOTS);
    ck_ring_init(&ch->announce, SB_CHANNEL_ANNOUNCE_SLOTS);
    ch->items = calloc(SB_CHANNEL_ITEMS, sizeof *ch->items);
    if (ch->items == NULL)
        return -1;
    for (int i = 0; i < SB_CHANNEL_ITEMS; i++) {
        bool ok = ck_ring_enqueue_spsc(&ch->empty, ch->empty_slots, &ch->items[i]);
        assert(ok);
        (void)ok;
    }
    ch->index = index;
    ch->last_barrier_id = 0;
    ch->pushed = 0;
    atomic_store(&ch->waits, 0);
    return 0;
}

void sb_channel_destroy(sb_channel_t *ch)
{
    free(ch->items);
    ch->items = NULL;
}

sb_item_t *sb_channel_acquire(sb_channel_t *ch, const atomic_bool *stop)
{
    void *p;
    unsigned idle = 0;
    while (!ck_ring_dequeue_spsc(&ch->empty, ch->empty_slots, &p)) {
        if (stop != NULL && atomic_load_explicit(stop, memory_order_relaxed))
            return NULL;
        if (idle == 0)
            atomic_fetch_add_explicit(&ch->waits, 1, memory_order_relaxed);
        sb_channel_backoff(idle++);
    }
    sb_item_t *item = p;
    item->count = 0;
    return item;
}

bool sb_channel_can_acquire(sb_channel_t *ch)
{
    return ck_ring_size(&ch->empty) > 0;
}

void sb_channel_push(sb_channel_t *ch, sb_item_t *item)
{
    assert(item->kind == SB_ITEM_RECORDS || item->kind == SB_ITEM_END_OF_INPUT);
    item->position = ch->pushed;
    if (item->kind == SB_ITEM_RECORDS)
        ch->pushed += item->count;
    /* Cannot fail: the channel owns fewer items than the ring has slots. */
    bool ok = ck_ring_enqueue_spsc(&ch->full, ch->full_slots, item);
    assert(ok);
    (void)ok;
}

bool sb_channel_announce(sb_channel_t *ch, sb_barrier_announcement_t a, const atomic_bool *stop)
{
    /* Barrier ids on one channel only go up: a broken invariant. */
    assert(a.checkpoint_id > ch->last_barrier_id);
    ch->last_barrier_id = a.checkpoint_id;
    struct sb_announcement_slot slot = { a };
    slot.a.position = ch->pushed;
    unsigned idle = 0;
    while (!ck_ring_enqueue_spsc_sb_announce(&ch->announce, ch->announce_slots, &slot)) {
        if (stop != NULL && atomic_load_explicit(stop, memory_order_relaxed))
            return false;
        sb_channel_backoff(idle++);
    }
    return true;
}

bool sb_channel_poll_announcement(sb_channel_t *ch, sb_barrier_announcement_t *out)
{
    struct sb_announcement_slot slot;
    if (!ck_ring_dequeue_spsc_sb_announce(&ch->announce, ch->announce_slots, &slot))
        return false;
    *out = slot.a;
    return true;
}

sb_item_t *sb_channel_poll(sb_channel_t *ch)
{
    void *p;
    if (!ck_ring_dequeue_spsc(&ch->full, ch->full_slots, &p))
        return NULL;
    return p;
}

void sb_channel_release(sb_channel_t *ch, sb_item_t *item)
{
    bool ok = ck_ring_enqueue_spsc(&ch->empty, ch->empty_slots, item);
    assert(ok);
    (void)ok;
}

void sb_channel_backoff(unsigned idle_rounds)
{
    if (idle_rounds < 4) {
        sched_yield();
        return;
    }
    int64_t ns = 20000LL << (idle_rounds < 10 ? idle_rounds - 4 : 6);
    if (ns > SB_NS_PER_MS)
        ns = SB_NS_PER_MS;
    sb_clock_sleep_ns(ns);
}
