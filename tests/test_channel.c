/* test_channel.c — the bounded SPSC channel and its priority path for
 * barrier announcements, as a specification.
 *
 * Single-threaded tests pin the numbering (an item's position is the
 * records pushed before it), the fixed pool of items (backpressure), and
 * the announcement ring. One two-thread test checks the ordering the
 * runtime depends on: once the consumer has dequeued an item at position p,
 * every announcement at a position <= p is already readable. Overfilling a
 * ring or a barrier id going backwards are asserts and are not tested. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "channel.h"
#include "clock.h"
#include "cu_helpers.h"

static sb_item_t *acquire_filled(sb_channel_t *ch, sb_item_kind_t kind, int count)
{
    sb_item_t *it = sb_channel_acquire(ch, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(it);
    CU_ASSERT_EQUAL(it->count, 0);
    it->kind = kind;
    it->count = count;
    for (int i = 0; i < count; i++) {
        it->records[i].partition = 1;
        it->records[i].offset = 100 + i;
        it->records[i].value_len = 0;
    }
    return it;
}

static sb_barrier_announcement_t announcement(int64_t id)
{
    sb_barrier_announcement_t a = { .checkpoint_id = id, .position = -1 };
    return a;
}

static void test_new_channel_has_every_item_free_and_nothing_queued(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 3), 0);
    CU_ASSERT_EQUAL(ch.index, 3);
    CU_ASSERT_EQUAL(ch.pushed, 0);
    CU_ASSERT_EQUAL(atomic_load(&ch.waits), 0);
    CU_ASSERT_TRUE(sb_channel_can_acquire(&ch));
    CU_ASSERT_PTR_NULL(sb_channel_poll(&ch));
    sb_barrier_announcement_t a;
    CU_ASSERT_FALSE(sb_channel_poll_announcement(&ch, &a));
    sb_channel_destroy(&ch);
    CU_ASSERT_PTR_NULL(ch.items);
}

static void test_items_come_out_in_push_order_with_their_records(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    sb_item_t *pushed[3];
    for (int i = 0; i < 3; i++) {
        pushed[i] = acquire_filled(&ch, SB_ITEM_RECORDS, i + 1);
        pushed[i]->records[0].offset = 1000 + i;
        sb_channel_push(&ch, pushed[i]);
    }
    for (int i = 0; i < 3; i++) {
        sb_item_t *it = sb_channel_poll(&ch);
        CU_ASSERT_PTR_EQUAL_FATAL(it, pushed[i]);
        CU_ASSERT_EQUAL(it->kind, SB_ITEM_RECORDS);
        CU_ASSERT_EQUAL(it->count, i + 1);
        CU_ASSERT_EQUAL(it->records[0].offset, 1000 + i);
        sb_channel_release(&ch, it);
    }
    CU_ASSERT_PTR_NULL(sb_channel_poll(&ch));
    /* A released item comes back emptied. */
    sb_item_t *again = sb_channel_acquire(&ch, NULL);
    CU_ASSERT_PTR_NOT_NULL(again);
    CU_ASSERT_EQUAL(again->count, 0);
    sb_channel_destroy(&ch);
}

static void test_position_counts_records_pushed_before_the_item(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    static const struct {
        sb_item_kind_t kind;
        int count;
        int64_t position;
    } plan[] = {
        { SB_ITEM_RECORDS, 3, 0 },
        { SB_ITEM_RECORDS, 0, 3 },
        { SB_ITEM_RECORDS, SB_BATCH_RECORDS_MAX, 3 },
        { SB_ITEM_RECORDS, 5, 3 + SB_BATCH_RECORDS_MAX },
        { SB_ITEM_END_OF_INPUT, 0, 8 + SB_BATCH_RECORDS_MAX },
    };
    enum { N = sizeof plan / sizeof plan[0] };
    for (int i = 0; i < N; i++) {
        sb_item_t *it = acquire_filled(&ch, plan[i].kind, plan[i].count);
        it->position = -77; /* overwritten by push */
        sb_channel_push(&ch, it);
    }
    CU_ASSERT_EQUAL(ch.pushed, 8 + SB_BATCH_RECORDS_MAX);
    for (int i = 0; i < N; i++) {
        sb_item_t *it = sb_channel_poll(&ch);
        CU_ASSERT_PTR_NOT_NULL_FATAL(it);
        CU_ASSERT_EQUAL(it->kind, plan[i].kind);
        CU_ASSERT_EQUAL(it->position, plan[i].position);
        sb_channel_release(&ch, it);
    }
    sb_channel_destroy(&ch);
}

static void test_announce_fills_the_position_and_keeps_the_other_fields(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    sb_channel_push(&ch, acquire_filled(&ch, SB_ITEM_RECORDS, 3));
    sb_barrier_announcement_t a = {
        .checkpoint_id = 5, .position = 999, .trigger_ns = 123456789, .unaligned = true,
        .final = false,
    };
    CU_ASSERT_TRUE(sb_channel_announce(&ch, a, NULL));
    sb_channel_push(&ch, acquire_filled(&ch, SB_ITEM_RECORDS, 4));
    sb_barrier_announcement_t b = {
        .checkpoint_id = 6, .position = 0, .trigger_ns = 42, .unaligned = false, .final = true,
    };
    CU_ASSERT_TRUE(sb_channel_announce(&ch, b, NULL));

    sb_barrier_announcement_t got;
    CU_ASSERT_TRUE_FATAL(sb_channel_poll_announcement(&ch, &got));
    CU_ASSERT_EQUAL(got.checkpoint_id, 5);
    CU_ASSERT_EQUAL(got.position, 3);
    CU_ASSERT_EQUAL(got.trigger_ns, 123456789);
    CU_ASSERT_TRUE(got.unaligned);
    CU_ASSERT_FALSE(got.final);
    CU_ASSERT_TRUE_FATAL(sb_channel_poll_announcement(&ch, &got));
    CU_ASSERT_EQUAL(got.checkpoint_id, 6);
    CU_ASSERT_EQUAL(got.position, 7);
    CU_ASSERT_EQUAL(got.trigger_ns, 42);
    CU_ASSERT_FALSE(got.unaligned);
    CU_ASSERT_TRUE(got.final);
    CU_ASSERT_FALSE(sb_channel_poll_announcement(&ch, &got));
    /* Announcements do not consume items: both are still queued. */
    for (int i = 0; i < 2; i++) {
        sb_item_t *it = sb_channel_poll(&ch);
        CU_ASSERT_PTR_NOT_NULL_FATAL(it);
        sb_channel_release(&ch, it);
    }
    sb_channel_destroy(&ch);
}

static void test_announcements_come_out_in_order(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    for (int64_t id = 1; id <= 10; id++) {
        if (id % 3 == 0)
            sb_channel_push(&ch, acquire_filled(&ch, SB_ITEM_RECORDS, (int)id));
        CU_ASSERT_TRUE(sb_channel_announce(&ch, announcement(id * 10), NULL));
    }
    int64_t position = 0, got_ids = 0;
    for (int64_t id = 1; id <= 10; id++) {
        if (id % 3 == 0)
            position += id;
        sb_barrier_announcement_t got;
        CU_ASSERT_TRUE_FATAL(sb_channel_poll_announcement(&ch, &got));
        CU_ASSERT_EQUAL(got.checkpoint_id, id * 10);
        CU_ASSERT_EQUAL(got.position, position);
        got_ids++;
    }
    CU_ASSERT_EQUAL(got_ids, 10);
    sb_channel_destroy(&ch);
}

static void test_can_acquire_is_false_exactly_when_every_item_is_out(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    sb_item_t *out[SB_CHANNEL_ITEMS];
    for (int i = 0; i < SB_CHANNEL_ITEMS; i++) {
        CU_ASSERT_TRUE(sb_channel_can_acquire(&ch));
        out[i] = acquire_filled(&ch, SB_ITEM_RECORDS, 1);
        for (int j = 0; j < i; j++)
            CU_ASSERT_PTR_NOT_EQUAL(out[i], out[j]);
        /* Half still with the producer, half queued to the consumer. */
        if (i % 2 == 0)
            sb_channel_push(&ch, out[i]);
    }
    CU_ASSERT_FALSE(sb_channel_can_acquire(&ch));
    CU_ASSERT_EQUAL(atomic_load(&ch.waits), 0);
    for (int i = 1; i < SB_CHANNEL_ITEMS; i += 2)
        sb_channel_push(&ch, out[i]);
    CU_ASSERT_FALSE(sb_channel_can_acquire(&ch));

    sb_item_t *it = sb_channel_poll(&ch);
    CU_ASSERT_PTR_EQUAL_FATAL(it, out[0]);
    sb_channel_release(&ch, it);
    CU_ASSERT_TRUE(sb_channel_can_acquire(&ch));
    CU_ASSERT_PTR_EQUAL(sb_channel_acquire(&ch, NULL), out[0]);
    CU_ASSERT_FALSE(sb_channel_can_acquire(&ch));
    sb_channel_destroy(&ch);
}

static void test_acquire_with_stop_set_and_no_free_item_returns_null_at_once(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    atomic_bool stop = true;
    /* With a free item, stop does not matter. */
    for (int i = 0; i < SB_CHANNEL_ITEMS; i++)
        CU_ASSERT_PTR_NOT_NULL(sb_channel_acquire(&ch, &stop));
    int64_t start_ns = sb_clock_now_ns();
    CU_ASSERT_PTR_NULL(sb_channel_acquire(&ch, &stop));
    CU_ASSERT(sb_clock_now_ns() - start_ns < 100 * SB_NS_PER_MS);
    sb_channel_destroy(&ch);
}

static void test_announce_into_a_full_ring_with_stop_set_returns_false(void)
{
    sb_channel_t ch;
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&ch, 0), 0);
    atomic_bool stop = true;
    /* With room, stop does not matter; ck_ring keeps one slot free. */
    for (int64_t id = 1; id < SB_CHANNEL_ANNOUNCE_SLOTS; id++)
        CU_ASSERT_TRUE(sb_channel_announce(&ch, announcement(id), &stop));
    int64_t start_ns = sb_clock_now_ns();
    CU_ASSERT_FALSE(sb_channel_announce(&ch, announcement(SB_CHANNEL_ANNOUNCE_SLOTS), &stop));
    CU_ASSERT(sb_clock_now_ns() - start_ns < 100 * SB_NS_PER_MS);

    /* Reading one makes room again; the refused one was never queued. */
    sb_barrier_announcement_t got;
    CU_ASSERT_TRUE(sb_channel_poll_announcement(&ch, &got));
    CU_ASSERT_EQUAL(got.checkpoint_id, 1);
    CU_ASSERT_TRUE(sb_channel_announce(&ch, announcement(SB_CHANNEL_ANNOUNCE_SLOTS + 1), &stop));
    for (int64_t id = 2; id < SB_CHANNEL_ANNOUNCE_SLOTS; id++) {
        CU_ASSERT_TRUE_FATAL(sb_channel_poll_announcement(&ch, &got));
        CU_ASSERT_EQUAL(got.checkpoint_id, id);
    }
    CU_ASSERT_TRUE(sb_channel_poll_announcement(&ch, &got));
    CU_ASSERT_EQUAL(got.checkpoint_id, SB_CHANNEL_ANNOUNCE_SLOTS + 1);
    CU_ASSERT_FALSE(sb_channel_poll_announcement(&ch, &got));
    sb_channel_destroy(&ch);
}

/* --- two threads ------------------------------------------------------- */

#define STRESS_RECORDS 200000
#define STRESS_BATCHES_MAX STRESS_RECORDS
#define STRESS_BARRIERS_MAX 1024
#define STRESS_TIMEOUT_NS (10 * SB_NS_PER_S)
#define STRESS_SPIN_ROUNDS 100000u /* consumer idle rounds that only yield */

/* Decided before the threads start, so both read it without racing: the
 * batch sizes, and after which batch each barrier is announced (at most a
 * few per batch, some at position 0 and at the end). */
typedef struct stress_plan {
    int batches;
    int batch_records[STRESS_BATCHES_MAX];
    int barriers;
    int barrier_after_batch[STRESS_BARRIERS_MAX]; /* -1: before any batch */
    int64_t barrier_position[STRESS_BARRIERS_MAX];
} stress_plan_t;

typedef struct stress {
    sb_channel_t ch;
    atomic_bool stop;
    const stress_plan_t *plan;
    _Atomic int64_t records_read; /* by the consumer: lets the producer wait */
    bool producer_stopped;
} stress_t;

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void stress_record(sb_record_t *r, int64_t n)
{
    r->partition = (int32_t)(n % 7);
    r->offset = n;
    r->value_len = (uint16_t)(n % (SB_VALUE_BYTES_MAX + 1));
    for (int j = 0; j < r->value_len; j++)
        r->value[j] = (char)(n + j);
}

static bool stress_record_ok(const sb_record_t *r, int64_t n)
{
    sb_record_t want;
    stress_record(&want, n);
    return r->partition == want.partition && r->offset == want.offset &&
           r->value_len == want.value_len && memcmp(r->value, want.value, r->value_len) == 0;
}

static void stress_plan(stress_plan_t *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    int64_t total = 0, next_barrier = 0; /* the first at position 0 */
    while (total < STRESS_RECORDS) {
        int batch = p->batches;
        if (total >= next_barrier) {
            int burst = xorshift(&seed) % 8 == 0 ? 2 : 1; /* two at one position */
            for (int k = 0; k < burst && p->barriers < STRESS_BARRIERS_MAX - 1; k++) {
                p->barrier_after_batch[p->barriers] = batch - 1;
                p->barrier_position[p->barriers++] = total;
            }
            next_barrier = total + 500 + (int64_t)(xorshift(&seed) % 1000);
        }
        int n = 1 + (int)(xorshift(&seed) % SB_BATCH_RECORDS_MAX);
        if (n > STRESS_RECORDS - total)
            n = (int)(STRESS_RECORDS - total);
        p->batch_records[p->batches++] = n;
        total += n;
    }
    /* The last one after every record, just before the end of input. */
    p->barrier_after_batch[p->barriers] = p->batches - 1;
    p->barrier_position[p->barriers++] = total;
}

/* Waits until the consumer has read every record pushed, so that it is
 * polling an empty channel when the next barrier and item come: the moment
 * an announcement overtaking nothing must still be read before the item. */
static bool stress_wait_caught_up(stress_t *s, int64_t pushed)
{
    unsigned idle = 0;
    while (atomic_load(&s->records_read) < pushed) {
        if (atomic_load(&s->stop))
            return false;
        sb_channel_backoff(idle++);
    }
    return true;
}

static void *stress_producer(void *arg)
{
    stress_t *s = arg;
    const stress_plan_t *p = s->plan;
    int64_t n = 0;
    int barrier = 0;
    for (int b = -1; b < p->batches; b++) {
        if (b >= 0) {
            sb_item_t *it = sb_channel_acquire(&s->ch, &s->stop);
            if (it == NULL)
                goto stopped;
            it->kind = SB_ITEM_RECORDS;
            for (int i = 0; i < p->batch_records[b]; i++)
                stress_record(&it->records[i], n++);
            it->count = p->batch_records[b];
            sb_channel_push(&s->ch, it);
        }
        for (; barrier < p->barriers && p->barrier_after_batch[barrier] == b; barrier++) {
            /* Most barriers with the consumer behind (the announcement
             * overtakes records, the producer meets backpressure), every
             * fourth with it caught up. */
            if (barrier % 4 == 3 && !stress_wait_caught_up(s, n))
                goto stopped;
            if (!sb_channel_announce(&s->ch, announcement(barrier + 1), &s->stop))
                goto stopped;
        }
    }
    sb_item_t *end = sb_channel_acquire(&s->ch, &s->stop);
    if (end == NULL)
        goto stopped;
    end->kind = SB_ITEM_END_OF_INPUT;
    sb_channel_push(&s->ch, end);
    return NULL;
stopped:
    s->producer_stopped = true;
    return NULL;
}

typedef struct stress_seen {
    int64_t records;             /* received, in order */
    int barriers;                /* announcements read, in order */
    char failure[256];           /* the first thing that went wrong */
} stress_seen_t;

#define STRESS_FAIL(seen, ...)                                               \
    do {                                                                     \
        snprintf((seen)->failure, sizeof (seen)->failure, __VA_ARGS__);      \
        return false;                                                        \
    } while (0)

static bool stress_drain(stress_t *s, stress_seen_t *seen)
{
    const stress_plan_t *p = s->plan;
    sb_barrier_announcement_t a;
    while (sb_channel_poll_announcement(&s->ch, &a)) {
        int k = seen->barriers;
        if (k >= p->barriers)
            STRESS_FAIL(seen, "announcement %lld past the %d planned",
                        (long long)a.checkpoint_id, p->barriers);
        if (a.checkpoint_id != k + 1)
            STRESS_FAIL(seen, "announcement %lld where %d was due", (long long)a.checkpoint_id,
                        k + 1);
        if (a.position != p->barrier_position[k])
            STRESS_FAIL(seen, "announcement %d at position %lld, pushed after %lld records",
                        k + 1, (long long)a.position, (long long)p->barrier_position[k]);
        seen->barriers++;
    }
    return true;
}

/* The consumer, as the runtime runs it: poll an item, then read the
 * announcements, then handle the item. Returns false at the first failure. */
static bool stress_consume(stress_t *s, stress_seen_t *seen)
{
    const stress_plan_t *p = s->plan;
    int64_t deadline_ns = sb_clock_now_ns() + STRESS_TIMEOUT_NS;
    unsigned idle = 0;
    for (;;) {
        sb_item_t *it = sb_channel_poll(&s->ch);
        if (it == NULL) {
            if (!stress_drain(s, seen))
                return false;
            if (sb_clock_now_ns() > deadline_ns)
                STRESS_FAIL(seen, "timed out after %lld records", (long long)seen->records);
            /* Yield rather than sleep at first: polling at the head of the
             * channel is where an ordering slip would show. */
            sb_channel_backoff(idle++ < STRESS_SPIN_ROUNDS ? 0 : idle);
            continue;
        }
        idle = 0;
        if (!stress_drain(s, seen))
            return false;
        /* Every barrier at or before this item must be readable by now. */
        if (seen->barriers < p->barriers && p->barrier_position[seen->barriers] <= it->position)
            STRESS_FAIL(seen, "item at position %lld dequeued before announcement %d at %lld",
                        (long long)it->position, seen->barriers + 1,
                        (long long)p->barrier_position[seen->barriers]);
        if (it->position != seen->records)
            STRESS_FAIL(seen, "item at position %lld after %lld records",
                        (long long)it->position, (long long)seen->records);
        if (it->kind == SB_ITEM_END_OF_INPUT) {
            sb_channel_release(&s->ch, it);
            if (seen->records != STRESS_RECORDS || seen->barriers != p->barriers)
                STRESS_FAIL(seen, "end of input after %lld records and %d announcements",
                            (long long)seen->records, seen->barriers);
            return true;
        }
        if (it->kind != SB_ITEM_RECORDS || it->count < 1 || it->count > SB_BATCH_RECORDS_MAX)
            STRESS_FAIL(seen, "item of kind %d with %d records", it->kind, it->count);
        for (int i = 0; i < it->count; i++, seen->records++)
            if (!stress_record_ok(&it->records[i], seen->records))
                STRESS_FAIL(seen, "record %lld arrived as offset %lld",
                            (long long)seen->records, (long long)it->records[i].offset);
        sb_channel_release(&s->ch, it);
        atomic_store(&s->records_read, seen->records);
    }
}

static void test_two_threads_deliver_every_record_once_in_order_behind_its_barriers(void)
{
    static stress_plan_t plan; /* ~1 MB: not on the stack */
    stress_plan(&plan, 0x5eed5eedULL);
    CU_ASSERT_FATAL(plan.barriers > 100);
    stress_t *s = calloc(1, sizeof *s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sb_channel_init(&s->ch, 0), 0);
    atomic_init(&s->stop, false);
    atomic_init(&s->records_read, 0);
    s->plan = &plan;

    pthread_t producer;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&producer, NULL, stress_producer, s), 0);
    stress_seen_t seen = { 0 };
    bool ok = stress_consume(s, &seen);
    if (!ok) {
        fprintf(stderr, "\n    consumer: %s\n", seen.failure);
        atomic_store(&s->stop, true); /* the producer may be waiting on us */
    }
    pthread_join(producer, NULL);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_FALSE(s->producer_stopped);
    CU_ASSERT_EQUAL(seen.records, STRESS_RECORDS);
    CU_ASSERT_EQUAL(seen.barriers, plan.barriers);
    CU_ASSERT_EQUAL(s->ch.pushed, STRESS_RECORDS);
    /* Every item came back (after a failure some may still be queued). */
    if (ok) {
        for (int i = 0; i < SB_CHANNEL_ITEMS; i++)
            CU_ASSERT_PTR_NOT_NULL(sb_channel_acquire(&s->ch, NULL));
        CU_ASSERT_FALSE(sb_channel_can_acquire(&s->ch));
    }
    sb_channel_destroy(&s->ch);
    free(s);
}

void test_channel_register(void)
{
#define T(f) { #f, f }
    static const sb_test_case_t cases[] = {
        T(test_new_channel_has_every_item_free_and_nothing_queued),
        T(test_items_come_out_in_push_order_with_their_records),
        T(test_position_counts_records_pushed_before_the_item),
        T(test_announce_fills_the_position_and_keeps_the_other_fields),
        T(test_announcements_come_out_in_order),
        T(test_can_acquire_is_false_exactly_when_every_item_is_out),
        T(test_acquire_with_stop_set_and_no_free_item_returns_null_at_once),
        T(test_announce_into_a_full_ring_with_stop_set_returns_false),
        T(test_two_threads_deliver_every_record_once_in_order_behind_its_barriers),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("channel", cases);
}
