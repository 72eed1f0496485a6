/* channel.c — records/s through one runtime channel (runtime/channel.h)
 * between a producer and a consumer thread, against a plain mutex+condvar
 * bounded queue of the same capacity moving the same records.
 *
 *   bench_channel --queue ck|mutex --items K --records N [--batch B]
 *
 * Both queues move items of B records (the job's batch, 256 by default) and
 * recycle emptied items back to the producer, as the runtime channel does,
 * so the only difference is the synchronisation. K is how many items may be
 * in flight: the channel owns SB_CHANNEL_ITEMS of them, and the benchmark
 * takes all but K out of circulation before starting (acquired, never
 * pushed), which is how a "tiny ring" is made without a second build of
 * the channel. With K = SB_CHANNEL_ITEMS the ring is rarely full or empty
 * and the steady state seldom waits (the run counts how often each side
 * had to); with K = 1 the writer finds the ring full
 * after every item and the reader finds it empty: every handoff goes through
 * the blocking path (sb_channel_backoff, the runtime's own wait: yields,
 * then sleeps from 20 us up). The mutex queue waits on its condition
 * variables instead, woken by the other side.
 *
 * Prints one JSON object: the figures of one run. bench/channel.sh runs it
 * several times, interleaved, and takes medians. The consumer checks that
 * every record arrives once, in order, with its value: a failed check is an
 * error (exit 1), never a figure. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "clock.h"

#define QUEUE_ITEMS_MAX SB_CHANNEL_ITEMS

typedef enum queue_kind { QUEUE_CK, QUEUE_MUTEX } queue_kind_t;

/* The mutex+condvar baseline: two bounded FIFOs of item pointers (filled
 * items forward, emptied items back) under one lock, each side waiting on
 * a condition variable when it can do nothing. */
typedef struct mq_fifo {
    sb_item_t *slot[QUEUE_ITEMS_MAX];
    int head, count;
} mq_fifo_t;

typedef struct mq {
    pthread_mutex_t lock;
    pthread_cond_t filled, emptied;
    mq_fifo_t full, empty;
    sb_item_t *items;
} mq_t;

typedef struct bench {
    queue_kind_t kind;
    int items;                  /* in flight */
    int batch;                  /* records per item */
    int64_t records;
    sb_channel_t ch;
    mq_t mq;
    int64_t producer_waits;     /* handoffs where the writer had to wait */
    int64_t consumer_waits;     /* polls that found nothing */
    int64_t start_ns, end_ns;
    const char *error;          /* set by the consumer on a failed check */
} bench_t;

static void fifo_put(mq_fifo_t *f, sb_item_t *it)
{
    f->slot[(f->head + f->count) % QUEUE_ITEMS_MAX] = it;
    f->count++;
}

static sb_item_t *fifo_take(mq_fifo_t *f)
{
    sb_item_t *it = f->slot[f->head];
    f->head = (f->head + 1) % QUEUE_ITEMS_MAX;
    f->count--;
    return it;
}

static int mq_init(mq_t *q, int items)
{
    memset(q, 0, sizeof *q);
    q->items = calloc((size_t)items, sizeof *q->items);
    if (q->items == NULL)
        return -1;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->filled, NULL);
    pthread_cond_init(&q->emptied, NULL);
    for (int i = 0; i < items; i++)
        fifo_put(&q->empty, &q->items[i]);
    return 0;
}

static sb_item_t *mq_acquire(mq_t *q, int64_t *waits)
{
    pthread_mutex_lock(&q->lock);
    if (q->empty.count == 0)
        (*waits)++;
    while (q->empty.count == 0)
        pthread_cond_wait(&q->emptied, &q->lock);
    sb_item_t *it = fifo_take(&q->empty);
    pthread_mutex_unlock(&q->lock);
    it->count = 0;
    return it;
}

static void mq_push(mq_t *q, sb_item_t *it)
{
    pthread_mutex_lock(&q->lock);
    fifo_put(&q->full, it);
    pthread_cond_signal(&q->filled);
    pthread_mutex_unlock(&q->lock);
}

static sb_item_t *mq_take(mq_t *q, int64_t *waits)
{
    pthread_mutex_lock(&q->lock);
    if (q->full.count == 0)
        (*waits)++;
    while (q->full.count == 0)
        pthread_cond_wait(&q->filled, &q->lock);
    sb_item_t *it = fifo_take(&q->full);
    pthread_mutex_unlock(&q->lock);
    return it;
}

static void mq_release(mq_t *q, sb_item_t *it)
{
    pthread_mutex_lock(&q->lock);
    fifo_put(&q->empty, it);
    pthread_cond_signal(&q->emptied);
    pthread_mutex_unlock(&q->lock);
}

/* Record i of the run: what the producer writes and the consumer expects. */
static const char *const words[] = { "apple", "barrier", "channel", "snapshot" };

static void record_make(sb_record_t *r, int64_t i)
{
    const char *w = words[i & 3];
    r->offset = i;
    r->partition = (int32_t)(i & 3);
    r->value_len = (uint16_t)strlen(w);
    memcpy(r->value, w, r->value_len);
}

static sb_item_t *producer_acquire(bench_t *b)
{
    if (b->kind == QUEUE_MUTEX)
        return mq_acquire(&b->mq, &b->producer_waits);
    return sb_channel_acquire(&b->ch, NULL);
}

static void producer_push(bench_t *b, sb_item_t *it)
{
    if (b->kind == QUEUE_MUTEX)
        mq_push(&b->mq, it);
    else
        sb_channel_push(&b->ch, it);
}

static void *producer(void *arg)
{
    bench_t *b = arg;
    sb_record_t r;
    b->start_ns = sb_clock_now_ns();
    for (int64_t i = 0; i < b->records;) {
        sb_item_t *it = producer_acquire(b);
        it->kind = SB_ITEM_RECORDS;
        /* The job's emit copies a whole record into the item the same way. */
        for (; it->count < b->batch && i < b->records; i++) {
            record_make(&r, i);
            it->records[it->count++] = r;
        }
        producer_push(b, it);
    }
    sb_item_t *end = producer_acquire(b);
    end->kind = SB_ITEM_END_OF_INPUT;
    end->count = 0;
    producer_push(b, end);
    return NULL;
}

static sb_item_t *consumer_take(bench_t *b, unsigned *idle)
{
    if (b->kind == QUEUE_MUTEX)
        return mq_take(&b->mq, &b->consumer_waits);
    for (;;) {
        sb_item_t *it = sb_channel_poll(&b->ch);
        if (it != NULL) {
            *idle = 0;
            return it;
        }
        if (*idle == 0)
            b->consumer_waits++; /* once per wait, as the mutex side counts */
        sb_channel_backoff((*idle)++); /* as a subtask waits for input */
    }
}

static void consumer_release(bench_t *b, sb_item_t *it)
{
    if (b->kind == QUEUE_MUTEX)
        mq_release(&b->mq, it);
    else
        sb_channel_release(&b->ch, it);
}

static void *consumer(void *arg)
{
    bench_t *b = arg;
    int64_t next = 0;
    unsigned idle = 0;
    for (;;) {
        sb_item_t *it = consumer_take(b, &idle);
        if (it->kind == SB_ITEM_END_OF_INPUT) {
            b->end_ns = sb_clock_now_ns();
            consumer_release(b, it);
            break;
        }
        for (int k = 0; k < it->count; k++, next++) {
            const sb_record_t *r = &it->records[k];
            if (r->offset != next || r->partition != (int32_t)(next & 3) ||
                r->value_len != strlen(words[next & 3]) ||
                memcmp(r->value, words[next & 3], r->value_len) != 0) {
                b->error = "a record arrived out of order or changed";
                b->end_ns = sb_clock_now_ns();
                return NULL; /* the producer may now wait forever: main exits */
            }
        }
        consumer_release(b, it);
    }
    if (next != b->records)
        b->error = "end of input arrived before every record";
    return NULL;
}

static int setup(bench_t *b, char *why, size_t why_bytes)
{
    if (b->kind == QUEUE_MUTEX) {
        if (mq_init(&b->mq, b->items) != 0)
            return snprintf(why, why_bytes, "cannot allocate %d items: %s", b->items,
                            strerror(errno)), -1;
        return 0;
    }
    if (sb_channel_init(&b->ch, 0) != 0)
        return snprintf(why, why_bytes, "cannot allocate the channel's items: %s",
                        strerror(errno)), -1;
    /* Out of circulation: the channel now owns only b->items items. */
    for (int i = b->items; i < SB_CHANNEL_ITEMS; i++)
        (void)sb_channel_acquire(&b->ch, NULL);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_channel --queue ck|mutex --items K --records N [--batch B]\n"
               "  K in 1..%d items in flight, B in 1..%d records per item (default %d)\n",
            SB_CHANNEL_ITEMS, SB_BATCH_RECORDS_MAX, SB_BATCH_RECORDS_MAX);
}

int main(int argc, char **argv)
{
    static bench_t b = { .kind = QUEUE_CK, .items = SB_CHANNEL_ITEMS,
                         .batch = SB_BATCH_RECORDS_MAX, .records = 10000000 };
    static const struct option opts[] = {
        { "queue", required_argument, NULL, 'q' }, { "items", required_argument, NULL, 'k' },
        { "records", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            if (strcmp(optarg, "ck") != 0 && strcmp(optarg, "mutex") != 0) {
                fprintf(stderr, "bench_channel: --queue %s: expected ck or mutex\n", optarg);
                return 2;
            }
            b.kind = strcmp(optarg, "ck") == 0 ? QUEUE_CK : QUEUE_MUTEX;
            break;
        case 'k': b.items = atoi(optarg); break;
        case 'n': b.records = atoll(optarg); break;
        case 'b': b.batch = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || b.items < 1 || b.items > SB_CHANNEL_ITEMS || b.batch < 1 ||
        b.batch > SB_BATCH_RECORDS_MAX || b.records < 1) {
        usage(stderr);
        return 2;
    }
    char why[256];
    if (setup(&b, why, sizeof why) != 0) {
        fprintf(stderr, "bench_channel: %s\n", why);
        return 1;
    }
    pthread_t tp, tc;
    if (pthread_create(&tc, NULL, consumer, &b) != 0 ||
        pthread_create(&tp, NULL, producer, &b) != 0) {
        fprintf(stderr, "bench_channel: cannot start the producer and consumer threads\n");
        return 1;
    }
    pthread_join(tc, NULL);
    if (b.error != NULL) {
        fprintf(stderr, "bench_channel: %s queue: %s\n", b.kind == QUEUE_CK ? "ck" : "mutex",
                b.error);
        return 1;
    }
    pthread_join(tp, NULL);
    if (b.kind == QUEUE_CK)
        b.producer_waits = atomic_load(&b.ch.waits);
    double s = (double)(b.end_ns - b.start_ns) / 1e9;
    printf("{\"queue\": \"%s\", \"items\": %d, \"batch\": %d, \"records\": %lld, "
           "\"seconds\": %.6f, \"records_per_s\": %.0f, \"producer_waits\": %lld, "
           "\"consumer_waits\": %lld}\n",
           b.kind == QUEUE_CK ? "ck" : "mutex", b.items, b.batch,
(long long)b.records, s,
           (double)b.records / s, (long long)b.producer_waits, (long long)b.consumer_waits);
    return 0;
}
