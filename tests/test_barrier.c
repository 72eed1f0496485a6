/* test_barrier.c — the barrier handler, as a specification.
 *
 * Each test drives one handler through arrivals on its inputs and checks the
 * actions it answers and which inputs it leaves blocked. Blocked inputs are
 * compared as a string, one character per input: 'B' blocked, '.' readable.
 * Programmer errors (a barrier id going backwards, a barrier after end of
 * input) are asserts and are not tested here: CUnit cannot catch a crash. */
#include <string.h>

#include "barrier.h"
#include "cu_helpers.h"

static sb_barrier_actions_t on_barrier(sb_barrier_t *h, int channel, int64_t id)
{
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a); /* the handler must fill every field */
    sb_barrier_on_barrier(h, channel, id, &a);
    return a;
}

static sb_barrier_actions_t on_end(sb_barrier_t *h, int channel)
{
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a);
    sb_barrier_on_end_of_input(h, channel, &a);
    return a;
}

/* "B.B": inputs 0 and 2 blocked, input 1 readable. */
static const char *blocked(const sb_barrier_t *h)
{
    static char map[SB_BARRIER_INPUTS_MAX + 1];
    for (int i = 0; i < h->inputs; i++)
        map[i] = sb_barrier_is_blocked(h, i) ? 'B' : '.';
    map[h->inputs] = '\0';
    return map;
}

/* The handler asked for nothing at all. */
#define ASSERT_NO_ACTION(a)                                                  \
    do {                                                                     \
        CU_ASSERT_FALSE((a).alignment_started);                              \
        CU_ASSERT_FALSE((a).snapshot);                                       \
        CU_ASSERT_FALSE((a).forward);                                        \
        CU_ASSERT_FALSE((a).alignment_ended);                                \
        CU_ASSERT_EQUAL((a).checkpoint_id, 0);                               \
        CU_ASSERT_EQUAL((a).abandoned_id, 0);                                \
        CU_ASSERT_FALSE((a).end_of_input);                                   \
    } while (0)

/* Barrier `id` started an alignment that is still waiting. */
#define ASSERT_STARTED_ONLY(a, id)                                           \
    do {                                                                     \
        CU_ASSERT_TRUE((a).alignment_started);                               \
        CU_ASSERT_EQUAL((a).checkpoint_id, (id));                            \
        CU_ASSERT_FALSE((a).snapshot);                                       \
        CU_ASSERT_FALSE((a).forward);                                        \
        CU_ASSERT_FALSE((a).alignment_ended);                                \
        CU_ASSERT_FALSE((a).end_of_input);                                   \
    } while (0)

/* Checkpoint `id` is aligned: snapshot, forward, unblock. */
#define ASSERT_SNAPSHOT(a, id)                                               \
    do {                                                                     \
        CU_ASSERT_TRUE((a).snapshot);                                        \
        CU_ASSERT_TRUE((a).forward);                                         \
        CU_ASSERT_TRUE((a).alignment_ended);                                 \
        CU_ASSERT_EQUAL((a).checkpoint_id, (id));                            \
    } while (0)

/* ------------------------------------------------------------ one input -- */

static void test_single_input_snapshots_and_forwards_on_first_barrier(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 1, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 0, 1);
    CU_ASSERT_TRUE(a.alignment_started);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_FALSE(a.end_of_input);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".");
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
}

static void test_single_input_snapshots_every_checkpoint_in_turn(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 1, SB_MODE_EXACTLY_ONCE);
    for (int64_t id = 3; id <= 6; id++) {
        sb_barrier_actions_t a = on_barrier(&h, 0, id);
        ASSERT_SNAPSHOT(a, id);
        CU_ASSERT_STRING_EQUAL(blocked(&h), ".");
    }
    CU_ASSERT_EQUAL(h.last_snapshot_id, 6);
}

static void test_nothing_is_blocked_before_any_barrier(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    CU_ASSERT_EQUAL(h.aligning_id, 0);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 0);
}

/* ---------------------------------------------------------------- aligned -- */

static void test_aligned_two_inputs_snapshot_only_when_both_delivered(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 1, 4);
    ASSERT_STARTED_ONLY(a, 4);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B");
    a = on_barrier(&h, 0, 4);
    CU_ASSERT_FALSE(a.alignment_started);
    ASSERT_SNAPSHOT(a, 4);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
}

static void test_aligned_blocks_only_channels_that_delivered_the_barrier(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 2, 1);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..B");
    a = on_barrier(&h, 0, 1);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.B");
}

static void test_aligned_three_inputs_snapshot_only_when_all_delivered(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 0, 2);
    CU_ASSERT_FALSE(a.snapshot);
    a = on_barrier(&h, 1, 2);
    CU_ASSERT_FALSE(a.snapshot);
    CU_ASSERT_FALSE(a.forward);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 0);
    a = on_barrier(&h, 2, 2);
    ASSERT_SNAPSHOT(a, 2);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 2);
}

static void test_aligned_unblocks_every_channel_after_snapshot(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 1, 1);
    on_barrier(&h, 2, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".BB");
    sb_barrier_actions_t a = on_barrier(&h, 0, 1);
    CU_ASSERT_TRUE(a.alignment_ended);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    CU_ASSERT_EQUAL(h.aligning_id, 0);
}

static void test_alignment_started_only_on_first_and_ended_only_on_last_barrier(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 0, 1);
    CU_ASSERT_TRUE(a.alignment_started);
    CU_ASSERT_FALSE(a.alignment_ended);
    a = on_barrier(&h, 1, 1);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_FALSE(a.alignment_ended);
    a = on_barrier(&h, 2, 1);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_TRUE(a.alignment_ended);
}

static void test_next_checkpoint_aligns_afresh_after_a_snapshot(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 1);
    on_barrier(&h, 1, 1);
    sb_barrier_actions_t a = on_barrier(&h, 1, 2);
    ASSERT_STARTED_ONLY(a, 2);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B");
    a = on_barrier(&h, 0, 2);
    ASSERT_SNAPSHOT(a, 2);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
}

/* ------------------------------------------ two checkpoints in flight -- */

static void test_newer_barrier_mid_alignment_abandons_the_older_checkpoint(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    sb_barrier_actions_t a = on_barrier(&h, 1, 6);
    CU_ASSERT_EQUAL(a.abandoned_id, 5);
    ASSERT_STARTED_ONLY(a, 6);
    CU_ASSERT_EQUAL(h.aligning_id, 6);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 0);
}

static void test_abandoning_unblocks_channels_that_delivered_only_the_older_barrier(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    on_barrier(&h, 2, 5);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.B");
    on_barrier(&h, 1, 6);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B.");
}

static void test_late_barrier_of_abandoned_checkpoint_is_ignored_and_does_not_block(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    on_barrier(&h, 1, 6);
    sb_barrier_actions_t a = on_barrier(&h, 2, 5);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B.");
    CU_ASSERT_EQUAL(h.aligning_id, 6);
}

static void test_newer_checkpoint_completes_once_every_input_delivered_it(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    on_barrier(&h, 1, 6);
    on_barrier(&h, 2, 5); /* late, ignored */
    sb_barrier_actions_t a = on_barrier(&h, 0, 6);
    CU_ASSERT_FALSE(a.snapshot);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "BB.");
    a = on_barrier(&h, 2, 6);
    ASSERT_SNAPSHOT(a, 6);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 6);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
}

/* ----------------------------------------------------------- at-least-once -- */

static void test_at_least_once_never_blocks_any_channel(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_AT_LEAST_ONCE);
    on_barrier(&h, 0, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    on_barrier(&h, 2, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    CU_ASSERT_EQUAL(h.aligning_id, 1); /* it does track the checkpoint */
}

static void test_at_least_once_snapshots_only_when_the_last_barrier_arrives(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_AT_LEAST_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 1, 1);
    ASSERT_STARTED_ONLY(a, 1);
    a = on_barrier(&h, 0, 1);
    ASSERT_NO_ACTION(a);
    a = on_barrier(&h, 2, 1);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
}

static void test_at_least_once_fast_input_may_deliver_the_next_barrier_first(void)
{
    /* Unblocked, input 0 runs ahead to barrier 2 before input 1 delivered
     * barrier 1: checkpoint 1 is abandoned for 2, as in aligned mode. */
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_AT_LEAST_ONCE);
    on_barrier(&h, 0, 1);
    sb_barrier_actions_t a = on_barrier(&h, 0, 2);
    CU_ASSERT_EQUAL(a.abandoned_id, 1);
    ASSERT_STARTED_ONLY(a, 2);
    a = on_barrier(&h, 1, 1);
    ASSERT_NO_ACTION(a);
    a = on_barrier(&h, 1, 2);
    ASSERT_SNAPSHOT(a, 2);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
}

/* ---------------------------------------------------------- end of input -- */

static void test_end_of_input_counts_as_delivered_for_alignment(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_end(&h, 1);
    ASSERT_NO_ACTION(a);
    a = on_barrier(&h, 0, 1);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B..");
    a = on_barrier(&h, 2, 1);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_FALSE(a.end_of_input);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
}

static void test_last_live_input_snapshots_on_its_barrier_alone(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_EXACTLY_ONCE);
    on_end(&h, 0);
    sb_barrier_actions_t a = on_barrier(&h, 1, 3);
    CU_ASSERT_TRUE(a.alignment_started);
    ASSERT_SNAPSHOT(a, 3);
    CU_ASSERT_FALSE(a.end_of_input);
}

static void test_end_of_input_flag_only_when_every_input_ended(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_end(&h, 2);
    CU_ASSERT_FALSE(a.end_of_input);
    a = on_end(&h, 0);
    CU_ASSERT_FALSE(a.end_of_input);
    a = on_end(&h, 1);
    CU_ASSERT_TRUE(a.end_of_input);
    CU_ASSERT_FALSE(a.snapshot);
    CU_ASSERT_FALSE(a.forward);
    CU_ASSERT_EQUAL(a.checkpoint_id, 0);
}

static void test_single_input_end_of_input_is_forwarded_at_once(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 1, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 1);
    sb_barrier_actions_t a = on_end(&h, 0);
    CU_ASSERT_TRUE(a.end_of_input);
    CU_ASSERT_FALSE(a.snapshot);
}

static void test_input_ending_mid_alignment_completes_it(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 7);
    on_barrier(&h, 2, 7);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.B");
    sb_barrier_actions_t a = on_end(&h, 1);
    CU_ASSERT_FALSE(a.alignment_started);
    ASSERT_SNAPSHOT(a, 7);
    CU_ASSERT_FALSE(a.end_of_input);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 7);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
}

static void test_input_ending_mid_alignment_waits_for_the_inputs_still_live(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 7);
    sb_barrier_actions_t a = on_end(&h, 1);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B..");
    a = on_barrier(&h, 2, 7);
    ASSERT_SNAPSHOT(a, 7);
}

static void test_at_least_once_input_ending_after_its_barrier_still_waits_for_others(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_AT_LEAST_ONCE);
    on_barrier(&h, 0, 1);
    sb_barrier_actions_t a = on_end(&h, 0);
    ASSERT_NO_ACTION(a);
    a = on_barrier(&h, 1, 1);
    ASSERT_SNAPSHOT(a, 1);
    a = on_end(&h, 1);
    CU_ASSERT_TRUE(a.end_of_input);
}

/* ------------------------------------------------ last snapshot bookkeeping -- */

static void test_last_snapshot_id_is_the_newest_checkpoint_snapshotted(void)
{
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 1);
    on_barrier(&h, 1, 1);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
    on_barrier(&h, 0, 2);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1); /* 2 is only aligning */
    on_barrier(&h, 1, 3);                   /* abandons 2 */
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
    on_barrier(&h, 0, 3);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 3);
}

static void test_barrier_not_newer_than_last_snapshot_is_ignored(void)
{
    /* Through the calls alone a live input can never deliver such a barrier
     * (it must have delivered the snapshotted one first, and ids rise per
     * input), so the handler is set up as one that has taken snapshot 5. */
    sb_barrier_t h;
    sb_barrier_init(&h, 2, SB_MODE_EXACTLY_ONCE);
    h.last_snapshot_id = 5;
    sb_barrier_actions_t a = on_barrier(&h, 0, 4);
    ASSERT_NO_ACTION(a);
    a = on_barrier(&h, 1, 5);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    CU_ASSERT_EQUAL(h.aligning_id, 0);
    a = on_barrier(&h, 0, 6);
    ASSERT_STARTED_ONLY(a, 6);
}

void test_barrier_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_single_input_snapshots_and_forwards_on_first_barrier),
        T(test_single_input_snapshots_every_checkpoint_in_turn),
        T(test_nothing_is_blocked_before_any_barrier),
        T(test_aligned_two_inputs_snapshot_only_when_both_delivered),
        T(test_aligned_blocks_only_channels_that_delivered_the_barrier),
        T(test_aligned_three_inputs_snapshot_only_when_all_delivered),
        T(test_aligned_unblocks_every_channel_after_snapshot),
        T(test_alignment_started_only_on_first_and_ended_only_on_last_barrier),
        T(test_next_checkpoint_aligns_afresh_after_a_snapshot),
        T(test_newer_barrier_mid_alignment_abandons_the_older_checkpoint),
        T(test_abandoning_unblocks_channels_that_delivered_only_the_older_barrier),
        T(test_late_barrier_of_abandoned_checkpoint_is_ignored_and_does_not_block),
        T(test_newer_checkpoint_completes_once_every_input_delivered_it),
        T(test_at_least_once_never_blocks_any_channel),
        T(test_at_least_once_snapshots_only_when_the_last_barrier_arrives),
        T(test_at_least_once_fast_input_may_deliver_the_next_barrier_first),
        T(test_end_of_input_counts_as_delivered_for_alignment),
        T(test_last_live_input_snapshots_on_its_barrier_alone),
        T(test_end_of_input_flag_only_when_every_input_ended),
        T(test_single_input_end_of_input_is_forwarded_at_once),
        T(test_input_ending_mid_alignment_completes_it),
        T(test_input_ending_mid_alignment_waits_for_the_inputs_still_live),
        T(test_at_least_once_input_ending_after_its_barrier_still_waits_for_others),
        T(test_last_snapshot_id_is_the_newest_checkpoint_snapshotted),
        T(test_barrier_not_newer_than_last_snapshot_is_ignored),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("barrier", cases);
}
