/* channel.h — a bounded single-producer single-consumer channel between two
 * subtasks.
 *
 * Items (a batch of records, or end-of-input) travel through a ck_ring from
 * producer to consumer; emptied items travel back through a
 * second ring, so the channel owns a fixed number of items and nothing is
 * allocated per record. When every item is in flight the producer waits:
 * that is backpressure, and it propagates upstream hop by hop to the source.
 * Waiting backs off to short sleeps instead of spinning, so a blocked writer
 * does not burn one of the machine's two cores.
 *
 * Barriers take a priority path: a second, small ring of announcements
 * ("barrier N after record P", see barrier.h) that the consumer reads
 * before any record. An aligned receiver waits until it has read up to P;
 * an unaligned one acts at once, and the records it has not read yet are
 * the ones the barrier overtook. Records are numbered per channel: the
 * n-th record pushed has position n, and an item knows the position before
 * its first record. */
#ifndef SB_CHANNEL_H
#define SB_CHANNEL_H

#include <ck_ring.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "barrier.h"

#define SB_VALUE_BYTES_MAX 112       /* longest record value carried: room for
                                        input.record_bytes; a record is 128 bytes */
#define SB_BATCH_RECORDS_MAX 256     /* records per item */
#define SB_CHANNEL_RING_SLOTS 32     /* ck_ring size: must be a power of two */
#define SB_CHANNEL_ITEMS (SB_CHANNEL_RING_SLOTS - 1) /* ck_ring keeps one free */
#define SB_CHANNEL_ANNOUNCE_SLOTS 64 /* barrier announcements: power of two */

_Static_assert((SB_CHANNEL_RING_SLOTS & (SB_CHANNEL_RING_SLOTS - 1)) == 0,
               "ck_ring sizes must be powers of two");

/* A record's id is (partition, offset) in the input topic. */
typedef struct sb_record {
    int64_t offset;
    int32_t partition;
    uint16_t value_len;
    char value[SB_VALUE_BYTES_MAX];
} sb_record_t;

typedef enum sb_item_kind {
    SB_ITEM_RECORDS = 1,
    SB_ITEM_END_OF_INPUT,
} sb_item_kind_t;

typedef struct sb_item {
    sb_item_kind_t kind;
    int count;                       /* SB_ITEM_RECORDS */
    int64_t position;                /* records pushed before this item */
    sb_record_t records[SB_BATCH_RECORDS_MAX];
} sb_item_t;

/* ck_ring stores announcements by value (CK_RING_PROTOTYPE needs a struct
 * tag), so the producer never reuses memory the consumer may still read. */
struct sb_announcement_slot {
    sb_barrier_announcement_t a;
};

typedef struct sb_channel {
    ck_ring_t full;
    ck_ring_t empty;
    ck_ring_buffer_t full_slots[SB_CHANNEL_RING_SLOTS];
    ck_ring_buffer_t empty_slots[SB_CHANNEL_RING_SLOTS];
    ck_ring_t announce;
    struct sb_announcement_slot announce_slots[SB_CHANNEL_ANNOUNCE_SLOTS];
    sb_item_t *items;                /* SB_CHANNEL_ITEMS of them */
    int index;                       /* channel number within the job */
    int64_t pushed;                  /* producer side: records pushed */
    int64_t last_barrier_id;         /* producer side: ids only go up */
    _Atomic int64_t waits;           /* times the producer found no item */
} sb_channel_t;

int sb_channel_init(sb_channel_t *ch, int index);
void sb_channel_destroy(sb_channel_t *ch);

/* Producer: an empty item, waiting while none is free (backpressure). Returns
 * NULL only when *stop becomes true. */
sb_item_t *sb_channel_acquire(sb_channel_t *ch, const atomic_bool *stop);
/* Producer: whether an acquire would return at once. */
bool sb_channel_can_acquire(sb_channel_t *ch);
/* Producer: hands a filled item to the consumer. Never blocks. */
void sb_channel_push(sb_channel_t *ch, sb_item_t *item);
/* Producer: announces barrier `a` (its position is filled in: every record
 * pushed so far is before it; push any partly filled item first). Waits
 * only if the consumer has not read 63 announcements; returns false if
 * *stop became true meanwhile. */
bool sb_channel_announce(sb_channel_t *ch, sb_barrier_announcement_t a, const atomic_bool *stop);

/* Consumer: the next announcement, if any. Read them before each item:
 * an item pushed after an announcement is never seen before it. */
bool sb_channel_poll_announcement(sb_channel_t *ch, sb_barrier_announcement_t *out);

/* Consumer: the next item, or NULL if none is queued. */
sb_item_t *sb_channel_poll(sb_channel_t *ch);
/* Consumer: returns an item after use. */
void sb_channel_release(sb_channel_t *ch, sb_item_t *item);

/* A waiting helper: call with the number of idle rounds so far; it yields,
 * then sleeps a little longer each time, up to 1 ms. */
void sb_channel_backoff(unsigned idle_rounds);

#endif
