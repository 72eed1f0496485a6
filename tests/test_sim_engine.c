/* test_sim_engine.c — the simulator's engine parts, as a specification:
 * the generator's sequence for a seed is fixed forever (a recorded seed
 * must replay the same run), the event queue orders by time and breaks
 * ties by the order events were scheduled, the trace buffer keeps lines
 * whole, and the loop stops at its limits. */
#include <string.h>

#include "cu_helpers.h"
#include "engine.h"
#include "eventq.h"
#include "rng.h"
#include "tracebuf.h"

/* ------------------------------------------------------------ rng */

static void test_rng_splitmix64_sequence_for_seed_0_is_the_reference_one(void)
{
    /* The published SplitMix64 outputs for state 0. */
    sb_rng_t r;
    sb_rng_seed(&r, 0);
    CU_ASSERT_EQUAL(sb_rng_next(&r), 0xe220a8397b1dcdafull);
    CU_ASSERT_EQUAL(sb_rng_next(&r), 0x6e789e6aa1b965f4ull);
    CU_ASSERT_EQUAL(sb_rng_next(&r), 0x06c45d188009454full);
    CU_ASSERT_EQUAL(sb_rng_next(&r), 0xf88bb8a8724c81ecull);
}

static void test_rng_same_seed_same_sequence_other_seed_other_sequence(void)
{
    sb_rng_t a, b, c;
    sb_rng_seed(&a, 42);
    sb_rng_seed(&b, 42);
    sb_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sb_rng_next(&a);
        CU_ASSERT_EQUAL(x, sb_rng_next(&b));
        differ += x != sb_rng_next(&c);
    }
    CU_ASSERT(differ > 990);
}

static void test_rng_below_and_between_stay_in_range_and_cover_it(void)
{
    sb_rng_t r;
    sb_rng_seed(&r, 7);
    int seen[5] = { 0 };
    for (int i = 0; i < 5000; i++) {
        uint64_t x = sb_rng_below(&r, 5);
        CU_ASSERT(x < 5);
        if (x < 5)
            seen[x]++;
        int64_t y = sb_rng_between(&r, -3, 3);
        CU_ASSERT(y >= -3 && y <= 3);
    }
    for (int k = 0; k < 5; k++)
        CU_ASSERT(seen[k] > 800 && seen[k] < 1200);
    CU_ASSERT_EQUAL(sb_rng_below(&r, 1), 0);
    CU_ASSERT_EQUAL(sb_rng_between(&r, 9, 9), 9);
}

static void test_rng_distributions_respect_their_bounds_and_fixed_draws_nothing(void)
{
    sb_rng_t r, untouched;
    sb_rng_seed(&r, 3);
    untouched = r;
    sb_rng_dist_t fixed = { .kind = SB_RNG_FIXED, .min_ns = 250, .max_ns = 250 };
    CU_ASSERT_EQUAL(sb_rng_draw(&r, &fixed), 250);
    CU_ASSERT_EQUAL(r.state, untouched.state);
    sb_rng_dist_t uni = { .kind = SB_RNG_UNIFORM, .min_ns = 50, .max_ns = 500 };
    sb_rng_dist_t ex = { .kind = SB_RNG_EXPONENTIAL, .min_ns = 20, .mean_ns = 100, .max_ns = 900 };
    double sum = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t u = sb_rng_draw(&r, &uni), e = sb_rng_draw(&r, &ex);
        CU_ASSERT(u >= 50 && u <= 500);
        CU_ASSERT(e >= 20 && e <= 900);
        sum += (double)e;
    }
    double mean = sum / 20000;
    CU_ASSERT(mean > 110 && mean < 130); /* 20 + about 100 */
}

/* ------------------------------------------------------------ event queue */

static void test_eventq_pops_in_time_order(void)
{
    sb_eventq_t q;
    sb_eventq_init(&q);
    int64_t times[] = { 50, 10, 40, 30, 20, 60, 0 };
    for (int i = 0; i < 7; i++)
        CU_ASSERT_EQUAL(sb_eventq_push(&q, times[i], 1, i, 0), 0);
    sb_event_t ev;
    int64_t last = -1;
    int n = 0;
    while (sb_eventq_pop(&q, &ev)) {
        CU_ASSERT(ev.t_ns > last);
        last = ev.t_ns;
        n++;
    }
    CU_ASSERT_EQUAL(n, 7);
    sb_eventq_free(&q);
}

static void test_eventq_ties_come_out_in_the_order_they_were_scheduled(void)
{
    sb_eventq_t q;
    sb_eventq_init(&q);
    /* Interleave two times, many ties each, pushed in a scrambled order. */
    for (int i = 0; i < 200; i++)
        sb_eventq_push(&q, (i * 7) % 2 == 0 ? 100 : 5, 0, i, 0);
    sb_event_t ev;
    int last_a[2] = { -1, -1 };
    int64_t last_t = 0;
    while (sb_eventq_pop(&q, &ev)) {
        CU_ASSERT(ev.t_ns >= last_t);
        last_t = ev.t_ns;
        int k = ev.t_ns == 100;
        CU_ASSERT(ev.a > last_a[k]); /* FIFO among equal times */
        last_a[k] = ev.a;
    }
    sb_eventq_free(&q);
}

static void test_eventq_random_pushes_and_pops_agree_with_a_sorted_order(void)
{
    sb_eventq_t q;
    sb_eventq_init(&q);
    sb_rng_t r;
    sb_rng_seed(&r, 11);
    int64_t last_t = -1;
    uint64_t last_seq = 0;
    for (int round = 0; round < 5000; round++) {
        if (sb_rng_below(&r, 3) != 0 || sb_eventq_size(&q) == 0) {
            int64_t base = last_t < 0 ? 0 : last_t;
            sb_eventq_push(&q, base + (int64_t)sb_rng_below(&r, 20), 0, 0, 0);
            continue;
        }
        sb_event_t ev;
        CU_ASSERT(sb_eventq_pop(&q, &ev));
        CU_ASSERT(ev.t_ns > last_t || (ev.t_ns == last_t && ev.seq > last_seq));
        last_t = ev.t_ns;
        last_seq = ev.seq;
    }
    sb_eventq_free(&q);
}

static void test_eventq_clear_drops_everything_and_keeps_numbering(void)
{
    sb_eventq_t q;
    sb_eventq_init(&q);
    sb_eventq_push(&q, 5, 0, 0, 0);
    sb_eventq_push(&q, 6, 0, 0, 0);
    sb_eventq_clear(&q);
    CU_ASSERT_EQUAL(sb_eventq_size(&q), 0);
    CU_ASSERT_PTR_NULL(sb_eventq_peek(&q));
    sb_eventq_push(&q, 1, 0, 0, 0);
    CU_ASSERT_EQUAL(sb_eventq_peek(&q)->seq, 2);
    sb_eventq_free(&q);
}

/* ------------------------------------------------------------ trace buffer */

static int count_line(const char *line, size_t len, void *ctx)
{
    (void)line;
    CU_ASSERT(len > 0);
    (*(int *)ctx)++;
    return 0;
}

static void test_tracebuf_lines_are_whole_json_objects(void)
{
    sb_tracebuf_t b;
    sb_tracebuf_init(&b);
    for (int i = 0; i < 3000; i++) { /* past the first growth */
        sb_tracebuf_begin(&b, "ack", 1000 + i, 7);
        sb_tracebuf_printf(&b, ",\"task\":\"map-%d\"", i);
        sb_tracebuf_end(&b);
    }
    CU_ASSERT_FALSE(b.overflow);
    CU_ASSERT_EQUAL(b.lines, 3000);
    const char *first = "{\"event\":\"ack\",\"t_ns\":1000,\"pid\":7,\"task\":\"map-0\"}\n";
    CU_ASSERT_NSTRING_EQUAL(b.data, first, strlen(first));
    int lines = 0;
    sb_tracebuf_each_line(&b, count_line, &lines);
    CU_ASSERT_EQUAL(lines, 3000);
    sb_tracebuf_free(&b);
}

/* ------------------------------------------------------------ the loop */

typedef struct ticker {
    sb_engine_t *e;
    int handled;
    int64_t times[8];
} ticker_t;

static void tick(void *model, const sb_event_t *ev)
{
    ticker_t *t = model;
    if (t->handled < 8)
        t->times[t->handled] = ev->t_ns;
    t->handled++;
    sb_engine_after(t->e, 10, 0, 0, 0); /* forever */
}

static void test_engine_stops_a_run_that_never_ends_at_its_time_limit(void)
{
    sb_engine_t e;
    sb_engine_init(&e, 1, 95, 1000000);
    ticker_t t = { .e = &e };
    sb_engine_at(&e, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(sb_engine_run(&e, tick, &t), -1);
    CU_ASSERT(e.limit_hit);
    CU_ASSERT_EQUAL(t.handled, 10); /* t = 0, 10, …, 90 */
    CU_ASSERT_EQUAL(t.times[3], 30);
    ASSERT_HAS(e.err.msg, "did not finish");
    sb_engine_free(&e);
}

static void test_engine_stops_at_its_event_limit(void)
{
    sb_engine_t e;
    sb_engine_init(&e, 1, INT64_MAX / 2, 25);
    ticker_t t = { .e = &e };
    sb_engine_at(&e, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(sb_engine_run(&e, tick, &t), -1);
    CU_ASSERT_EQUAL(t.handled, 25);
    CU_ASSERT_EQUAL(e.events, 25);
    sb_engine_free(&e);
}

void test_sim_engine_register(void)
{
    static const sb_test_case_t cases[] = {
        { "rng: SplitMix64 sequence for seed 0 is the reference one",
          test_rng_splitmix64_sequence_for_seed_0_is_the_reference_one },
        { "rng: same seed same sequence, other seed other sequence",
          test_rng_same_seed_same_sequence_other_seed_other_sequence },
        { "rng: below and between stay in range and cover it",
          test_rng_below_and_between_stay_in_range_and_cover_it },
        { "rng: distributions respect their bounds; fixed draws nothing",
          test_rng_distributions_respect_their_bounds_and_fixed_draws_nothing },
        { "eventq: pops in time order", test_eventq_pops_in_time_order },
        { "eventq: ties come out in the order they were scheduled",
          test_eventq_ties_come_out_in_the_order_they_were_scheduled },
        { "eventq: random pushes and pops agree with a sorted order",
          test_eventq_random_pushes_and_pops_agree_with_a_sorted_order },
        { "eventq: clear drops everything and keeps numbering",
          test_eventq_clear_drops_everything_and_keeps_numbering },
        { "tracebuf: lines are whole JSON objects", test_tracebuf_lines_are_whole_json_objects },
        { "engine: a run that never ends stops at its time limit",
          test_engine_stops_a_run_that_never_ends_at_its_time_limit },
        { "engine: stops at its event limit", test_engine_stops_at_its_event_limit },
        { NULL, NULL },
    };
    sb_test_add_suite("sim engine", cases);
}
