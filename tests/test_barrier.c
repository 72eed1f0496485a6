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

static void init_mode(sb_barrier_t *h, int inputs, sb_checkpointing_mode_t mode)
{
    sb_barrier_config_t cfg = { .mode = mode };
    sb_barrier_init(h, inputs, &cfg);
}

/* The checkpoint being aligned, 0 if none. */
static int64_t aligning(const sb_barrier_t *h)
{
    return h->current_id != 0 && !h->current_snapshotted ? h->current_id : 0;
}

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
/* Only an in-band arrival to report: barrier `id` reached on `inputs`. */
#define ASSERT_ARRIVED_ONLY(a, id, inputs)                                   \
    do {                                                                     \
        CU_ASSERT_EQUAL((a).arrived, (inputs));                              \
        CU_ASSERT_EQUAL((a).checkpoint_id, (id));                            \
        CU_ASSERT_FALSE((a).alignment_started);                              \
        CU_ASSERT_FALSE((a).snapshot);                                       \
        CU_ASSERT_FALSE((a).forward);                                        \
        CU_ASSERT_FALSE((a).channel_state_complete);                         \
        CU_ASSERT_EQUAL((a).abandoned_id, 0);                                \
    } while (0)

#define ASSERT_NO_ACTION(a)                                                  \
    do {                                                                     \
        CU_ASSERT_FALSE((a).alignment_started);                              \
        CU_ASSERT_FALSE((a).snapshot);                                       \
        CU_ASSERT_FALSE((a).forward);                                        \
        CU_ASSERT_FALSE((a).alignment_ended);                                \
        CU_ASSERT_EQUAL((a).checkpoint_id, 0);                               \
        CU_ASSERT_EQUAL((a).abandoned_id, 0);                                \
        CU_ASSERT_FALSE((a).end_of_input);                                   \
        CU_ASSERT_EQUAL((a).dropped_id, 0);                                  \
        CU_ASSERT_FALSE((a).timed_out);                                      \
        CU_ASSERT_FALSE((a).unaligned);                                      \
        CU_ASSERT_EQUAL((a).capture_bounded, 0);                             \
        CU_ASSERT_FALSE((a).channel_state_complete);                         \
        CU_ASSERT_FALSE((a).again);                                          \
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
/* ------------------------------------- announcements and unaligned helpers */

#define MS (1000 * 1000LL) /* nanoseconds */

static void init_cfg(sb_barrier_t *h, int inputs, bool unaligned, int64_t aligned_timeout_ns)
{
    sb_barrier_config_t cfg = { .mode = SB_MODE_EXACTLY_ONCE,
                                .unaligned = unaligned,
                                .aligned_timeout_ns = aligned_timeout_ns };
    sb_barrier_init(h, inputs, &cfg);
}

/* The sender of `channel` announces barrier `id` after `position` records,
 * triggered at `trigger_ns`; it reaches the handler at `now_ns`. */
static sb_barrier_actions_t announce_at(sb_barrier_t *h, int channel, int64_t id,
                                        int64_t position, int64_t trigger_ns, int64_t now_ns)
{
    sb_barrier_announcement_t an = { .checkpoint_id = id, .position = position,
                                     .trigger_ns = trigger_ns };
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a);
    sb_barrier_on_announce(h, channel, &an, now_ns, &a);
    return a;
}

/* The same, at time 0 for a checkpoint triggered at 0 (no timeout involved). */
static sb_barrier_actions_t announce(sb_barrier_t *h, int channel, int64_t id, int64_t position)
{
    return announce_at(h, channel, id, position, 0, 0);
}

static sb_barrier_actions_t announce_flagged(sb_barrier_t *h, int channel,
                                             sb_barrier_announcement_t an, int64_t now_ns)
{
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a);
    sb_barrier_on_announce(h, channel, &an, now_ns, &a);
    return a;
}

static sb_barrier_actions_t on_records(sb_barrier_t *h, int channel, int64_t records)
{
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a);
    sb_barrier_on_records(h, channel, records, &a);
    return a;
}

static sb_barrier_actions_t on_tick(sb_barrier_t *h, int64_t now_ns)
{
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a);
    sb_barrier_on_tick(h, now_ns, &a);
    return a;
}

/* Input `channel`'s capture range: "-" if none, "3 (10,25]" for records
 * 11..25 in the channel state of checkpoint 3, "3 (10,open)" before its
 * barrier is known. */
static const char *capture(const sb_barrier_t *h, int channel)
{
    static char s[80];
    int64_t id = -1, from = -1, to = -1;
    if (!sb_barrier_capture(h, channel, &id, &from, &to))
        return "-";
    if (to == SB_BARRIER_OPEN)
        snprintf(s, sizeof s, "%lld (%lld,open)", (long long)id, (long long)from);
    else
        snprintf(s, sizeof s, "%lld (%lld,%lld]", (long long)id, (long long)from, (long long)to);
    return s;
}

/* Checkpoint `id` taken unaligned: snapshot and forward at once, flagged. */
#define ASSERT_SNAPSHOT_UNALIGNED(a, id)                                     \
    do {                                                                     \
        CU_ASSERT_TRUE((a).snapshot);                                        \
        CU_ASSERT_TRUE((a).forward);                                         \
        CU_ASSERT_TRUE((a).unaligned);                                       \
        CU_ASSERT_EQUAL((a).checkpoint_id, (id));                            \
        CU_ASSERT_FALSE((a).end_of_input);                                   \
        CU_ASSERT_FALSE((a).again);                                          \
    } while (0)

/* Only a capture range got its end: no snapshot, no alignment. */
#define ASSERT_BOUNDED_ONLY(a, id, mask, complete)                           \
    do {                                                                     \
        CU_ASSERT_EQUAL((a).checkpoint_id, (id));                            \
        CU_ASSERT_EQUAL((a).capture_bounded, (mask));                        \
        CU_ASSERT_EQUAL((a).channel_state_complete, (complete));             \
        CU_ASSERT_FALSE((a).snapshot);                                       \
        CU_ASSERT_FALSE((a).forward);                                        \
        CU_ASSERT_FALSE((a).alignment_started);                              \
        CU_ASSERT_FALSE((a).alignment_ended);                                \
        CU_ASSERT_FALSE((a).timed_out);                                      \
        CU_ASSERT_EQUAL((a).abandoned_id, 0);                                \
        CU_ASSERT_FALSE((a).again);                                          \
    } while (0)

/* ------------------------------------------------------------ one input -- */

static void test_single_input_snapshots_and_forwards_on_first_barrier(void)
{
    sb_barrier_t h;
    init_mode(&h, 1, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 1, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    CU_ASSERT_EQUAL(aligning(&h), 0);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 0);
}

/* ---------------------------------------------------------------- aligned -- */

static void test_aligned_two_inputs_snapshot_only_when_both_delivered(void)
{
    sb_barrier_t h;
    init_mode(&h, 2, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 2, 1);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..B");
    a = on_barrier(&h, 0, 1);
    ASSERT_ARRIVED_ONLY(a, 1, 1u);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.B");
}

static void test_aligned_three_inputs_snapshot_only_when_all_delivered(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 1, 1);
    on_barrier(&h, 2, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".BB");
    sb_barrier_actions_t a = on_barrier(&h, 0, 1);
    CU_ASSERT_TRUE(a.alignment_ended);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    CU_ASSERT_EQUAL(aligning(&h), 0);
}

static void test_alignment_started_only_on_first_and_ended_only_on_last_barrier(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 2, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    sb_barrier_actions_t a = on_barrier(&h, 1, 6);
    CU_ASSERT_EQUAL(a.abandoned_id, 5);
    ASSERT_STARTED_ONLY(a, 6);
    CU_ASSERT_EQUAL(aligning(&h), 6);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 0);
}

static void test_abandoning_unblocks_channels_that_delivered_only_the_older_barrier(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    on_barrier(&h, 2, 5);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.B");
    on_barrier(&h, 1, 6);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B.");
}

static void test_late_barrier_of_abandoned_checkpoint_is_ignored_and_does_not_block(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 5);
    on_barrier(&h, 1, 6);
    sb_barrier_actions_t a = on_barrier(&h, 2, 5);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B.");
    CU_ASSERT_EQUAL(aligning(&h), 6);
}

static void test_newer_checkpoint_completes_once_every_input_delivered_it(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 3, SB_MODE_AT_LEAST_ONCE);
    on_barrier(&h, 0, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    on_barrier(&h, 2, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "...");
    CU_ASSERT_EQUAL(aligning(&h), 1); /* it does track the checkpoint */
}

static void test_at_least_once_snapshots_only_when_the_last_barrier_arrives(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_AT_LEAST_ONCE);
    sb_barrier_actions_t a = on_barrier(&h, 1, 1);
    ASSERT_STARTED_ONLY(a, 1);
    a = on_barrier(&h, 0, 1);
    ASSERT_ARRIVED_ONLY(a, 1, 1u);
    a = on_barrier(&h, 2, 1);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
}

static void test_at_least_once_fast_input_may_deliver_the_next_barrier_first(void)
{
    /* Unblocked, input 0 runs ahead to barrier 2 before input 1 delivered
     * barrier 1: checkpoint 1 is abandoned for 2, as in aligned mode. */
    sb_barrier_t h;
    init_mode(&h, 2, SB_MODE_AT_LEAST_ONCE);
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
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 2, SB_MODE_EXACTLY_ONCE);
    on_end(&h, 0);
    sb_barrier_actions_t a = on_barrier(&h, 1, 3);
    CU_ASSERT_TRUE(a.alignment_started);
    ASSERT_SNAPSHOT(a, 3);
    CU_ASSERT_FALSE(a.end_of_input);
}

static void test_end_of_input_flag_only_when_every_input_ended(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 1, SB_MODE_EXACTLY_ONCE);
    on_barrier(&h, 0, 1);
    sb_barrier_actions_t a = on_end(&h, 0);
    CU_ASSERT_TRUE(a.end_of_input);
    CU_ASSERT_FALSE(a.snapshot);
}

static void test_input_ending_mid_alignment_completes_it(void)
{
    sb_barrier_t h;
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 3, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 2, SB_MODE_AT_LEAST_ONCE);
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
    init_mode(&h, 2, SB_MODE_EXACTLY_ONCE);
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
    init_mode(&h, 2, SB_MODE_EXACTLY_ONCE);
    h.last_snapshot_id = 5;
    sb_barrier_actions_t a = on_barrier(&h, 0, 4);
    ASSERT_NO_ACTION(a);
    a = on_barrier(&h, 1, 5);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    CU_ASSERT_EQUAL(aligning(&h), 0);
    a = on_barrier(&h, 0, 6);
    ASSERT_STARTED_ONLY(a, 6);
}

/* ------------------------------------------- announcements, aligned -- */

static void test_aligned_announcement_ahead_waits_for_the_read_position(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, false, 0);
    sb_barrier_actions_t a = announce(&h, 0, 1, 5);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    a = on_records(&h, 0, 3);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_EQUAL(aligning(&h), 0);
    a = on_records(&h, 0, 2); /* read position 5: barrier 1 arrives in band */
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
    a = announce(&h, 1, 1, 4);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
    a = on_records(&h, 1, 4);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_FALSE(a.timed_out);
    CU_ASSERT_EQUAL(a.capture_bounded, 0);
    CU_ASSERT_TRUE(a.channel_state_complete); /* aligned: nothing to capture */
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "-");
}

static void test_aligned_announcement_at_the_read_position_arrives_at_once(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, false, 0);
    on_records(&h, 1, 7);
    sb_barrier_actions_t a = announce(&h, 1, 1, 7);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B");
}

static void test_aligned_announced_newer_checkpoint_abandons_the_aligning_one(void)
{
    /* Input 1's sender skipped checkpoint 1 (its upstream abandoned it). */
    sb_barrier_t h;
    init_cfg(&h, 2, false, 0);
    announce(&h, 0, 1, 2);
    sb_barrier_actions_t a = on_records(&h, 0, 2);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
    a = announce(&h, 1, 2, 4);
    ASSERT_NO_ACTION(a); /* ahead: not arrived yet */
    CU_ASSERT_EQUAL(aligning(&h), 1);
    a = on_records(&h, 1, 4);
    CU_ASSERT_EQUAL(a.abandoned_id, 1);
    ASSERT_STARTED_ONLY(a, 2);
    CU_ASSERT_EQUAL(aligning(&h), 2);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".B");
    announce(&h, 0, 2, 6);
    a = on_records(&h, 0, 4);
    ASSERT_SNAPSHOT(a, 2);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 2);
}

static void test_aligned_blocked_input_holds_the_next_barrier_until_the_alignment_ends(void)
{
    /* Input 0 delivered barrier 1 and is blocked; barrier 2 right behind it
     * must not arrive (and abandon 1) while the input is not being read. */
    sb_barrier_t h;
    init_cfg(&h, 2, false, 0);
    announce(&h, 0, 1, 3);
    sb_barrier_actions_t a = on_records(&h, 0, 3);
    ASSERT_STARTED_ONLY(a, 1);
    a = announce(&h, 0, 2, 3);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_EQUAL(aligning(&h), 1);
    CU_ASSERT_FALSE(sb_barrier_is_due(&h, 0)); /* blocked: not read */
    a = announce(&h, 1, 1, 0);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_TRUE(sb_barrier_is_due(&h, 0)); /* unblocked: 2 is next */
    CU_ASSERT_FALSE(sb_barrier_is_due(&h, 1));
    a = on_records(&h, 0, 0);
    ASSERT_STARTED_ONLY(a, 2);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
}

static void test_arrived_names_the_inputs_that_reached_their_barrier_in_band(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, false, 0);
    announce(&h, 1, 1, 4);
    sb_barrier_actions_t a = on_records(&h, 1, 3);
    CU_ASSERT_EQUAL(a.arrived, 0);
    a = on_records(&h, 1, 1);
    CU_ASSERT_EQUAL(a.arrived, 2u); /* input 1 */
    CU_ASSERT_EQUAL(a.checkpoint_id, 1);
    a = announce(&h, 0, 1, 0);      /* at the read position: arrives at once */
    CU_ASSERT_EQUAL(a.arrived, 1u);
    CU_ASSERT_EQUAL(a.checkpoint_id, 1);
    CU_ASSERT_TRUE(a.snapshot);
    /* Unaligned: an overtaking barrier is taken, not reached. */
    sb_barrier_t u;
    init_cfg(&u, 1, true, 0);
    a = announce(&u, 0, 1, 9);
    CU_ASSERT_TRUE(a.snapshot);
    CU_ASSERT_EQUAL(a.arrived, 0);
}

static void test_aligned_two_barriers_at_one_position_arrive_one_call_each(void)
{
    sb_barrier_t h;
    init_cfg(&h, 1, false, 0);
    sb_barrier_actions_t a = announce(&h, 0, 1, 5);
    ASSERT_NO_ACTION(a);
    a = announce(&h, 0, 2, 5);
    ASSERT_NO_ACTION(a);
    a = on_records(&h, 0, 5);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_TRUE(a.again);
    a = on_records(&h, 0, 0);
    ASSERT_SNAPSHOT(a, 2);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_FALSE(a.again);
    a = on_records(&h, 0, 0);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 2);
}

static void test_aligned_announcement_queue_full_drops_the_oldest(void)
{
    sb_barrier_t h;
    init_cfg(&h, 1, false, 0);
    sb_barrier_actions_t a;
    for (int64_t id = 1; id <= SB_BARRIER_PENDING_MAX; id++) {
        a = announce(&h, 0, id, id);
        ASSERT_NO_ACTION(a);
    }
    a = announce(&h, 0, SB_BARRIER_PENDING_MAX + 1, 100);
    CU_ASSERT_EQUAL(a.dropped_id, 1);
    CU_ASSERT_FALSE(a.snapshot);
    a = on_records(&h, 0, 1); /* where barrier 1 was: forgotten */
    ASSERT_NO_ACTION(a);
    a = on_records(&h, 0, 1);
    ASSERT_SNAPSHOT(a, 2);
}

/* ----------------------------------------------------- unaligned -- */

static void test_unaligned_single_input_announcement_overtakes_at_once(void)
{
    sb_barrier_t h;
    init_cfg(&h, 1, true, 0);
    on_records(&h, 0, 10);
    sb_barrier_actions_t a = announce(&h, 0, 1, 25);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_FALSE(a.alignment_ended); /* nothing was ever blocked */
    CU_ASSERT_FALSE(a.timed_out);
    CU_ASSERT_EQUAL(a.abandoned_id, 0);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_TRUE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(blocked(&h), ".");
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (10,25]");
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
}

static void test_unaligned_overtaken_barrier_is_dropped_silently_when_reached(void)
{
    sb_barrier_t h;
    init_cfg(&h, 1, true, 0);
    on_records(&h, 0, 10);
    announce(&h, 0, 1, 25);
    sb_barrier_actions_t a = on_records(&h, 0, 15);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_EQUAL(sb_barrier_position(&h, 0), 25);
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (10,25]");
    a = on_records(&h, 0, 0);
    ASSERT_NO_ACTION(a);
}

static void test_unaligned_other_input_captures_until_its_barrier_is_announced(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    on_records(&h, 0, 2);
    on_records(&h, 1, 7);
    sb_barrier_actions_t a = announce(&h, 0, 1, 5);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_FALSE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (2,5]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (7,open)");
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");

    a = on_records(&h, 1, 20); /* read on: the range keeps its start */
    ASSERT_NO_ACTION(a);
    CU_ASSERT_EQUAL(sb_barrier_position(&h, 1), 27);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (7,open)");

    a = announce(&h, 1, 1, 40);
    ASSERT_BOUNDED_ONLY(a, 1, 1u << 1, true);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (2,5]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (7,40]");
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
}

static void test_unaligned_input_reaching_its_barrier_late_changes_nothing(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    announce(&h, 0, 1, 5);
    announce(&h, 1, 1, 3);
    sb_barrier_actions_t a = on_records(&h, 1, 3);
    ASSERT_NO_ACTION(a);
    a = on_records(&h, 0, 5);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (0,5]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (0,3]");
    CU_ASSERT_EQUAL(h.last_snapshot_id, 1);
}

static void test_unaligned_barrier_at_the_read_position_captures_nothing(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    on_records(&h, 0, 4);
    sb_barrier_actions_t a = announce(&h, 0, 1, 4);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (4,4]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (0,open)");
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
}

static void test_unaligned_next_checkpoint_abandons_one_still_capturing(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    on_records(&h, 0, 2);
    on_records(&h, 1, 3);
    announce(&h, 0, 1, 5);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (3,open)");
    on_records(&h, 0, 3);
    on_records(&h, 1, 4);

    sb_barrier_actions_t a = announce(&h, 0, 2, 9);
    CU_ASSERT_EQUAL(a.abandoned_id, 1);
    ASSERT_SNAPSHOT_UNALIGNED(a, 2);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_FALSE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "2 (5,9]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "2 (7,open)");

    a = announce(&h, 1, 1, 10); /* the abandoned checkpoint's: stale */
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "2 (7,open)");

    a = announce(&h, 1, 2, 12);
    ASSERT_BOUNDED_ONLY(a, 2, 1u << 1, true);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "2 (7,12]");
    CU_ASSERT_EQUAL(h.last_snapshot_id, 2);
}

static void test_unaligned_next_checkpoint_recaptures_records_not_read_yet(void)
{
    /* Checkpoint 1 is complete, but input 0 has not read up to barrier 1
     * when checkpoint 2 is snapshotted: records 1..5 are in neither
     * snapshot's state, so they are in both channel states. */
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    announce(&h, 0, 1, 5);
    sb_barrier_actions_t a = announce(&h, 1, 1, 0);
    CU_ASSERT_TRUE(a.channel_state_complete);
    a = announce(&h, 0, 2, 8);
    CU_ASSERT_EQUAL(a.abandoned_id, 0); /* 1 was complete */
    ASSERT_SNAPSHOT_UNALIGNED(a, 2);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "2 (0,8]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "2 (0,open)");
}

static void test_unaligned_end_of_input_bounds_an_open_capture(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    on_records(&h, 1, 4);
    announce(&h, 0, 1, 3);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (4,open)");
    on_records(&h, 1, 2);
    sb_barrier_actions_t a = on_end(&h, 1);
    ASSERT_BOUNDED_ONLY(a, 1, 1u << 1, true);
    CU_ASSERT_FALSE(a.end_of_input);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (4,6]");

    on_records(&h, 0, 3);
    a = on_end(&h, 0);
    CU_ASSERT_TRUE(a.end_of_input);
    CU_ASSERT_FALSE(a.snapshot);
    CU_ASSERT_FALSE(a.channel_state_complete); /* reported once, above */
    CU_ASSERT_EQUAL(a.capture_bounded, 0);
}

static void test_unaligned_end_of_input_names_the_checkpoint_of_the_range_it_bounds(void)
{
    sb_barrier_t h;
    init_cfg(&h, 3, true, 0);
    announce(&h, 0, 1, 0);
    on_records(&h, 1, 4);
    sb_barrier_actions_t a = on_end(&h, 1);
    ASSERT_BOUNDED_ONLY(a, 1, 1u << 1, false); /* input 2 still open */
    CU_ASSERT_FALSE(a.end_of_input);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (0,4]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 2), "1 (0,open)");
}

static void test_unaligned_input_ended_before_the_snapshot_captures_nothing(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    on_end(&h, 1);
    sb_barrier_actions_t a = announce(&h, 0, 1, 3);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_TRUE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "-");
}

/* --------------------------------------------------- alignment timeout -- */

static void test_unaligned_timeout_switches_an_alignment_on_tick(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    const int64_t t0 = 1000;
    on_records(&h, 0, 3);
    on_records(&h, 1, 6);
    sb_barrier_actions_t a = announce_at(&h, 0, 1, 3, t0, t0 + 10 * MS);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_FALSE(a.timed_out);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");

    a = on_tick(&h, t0 + 50 * MS);
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");

    a = on_tick(&h, t0 + 150 * MS);
    CU_ASSERT_TRUE(a.timed_out);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_TRUE(a.alignment_ended);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_EQUAL(a.capture_bounded, 0);
    CU_ASSERT_FALSE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-"); /* its barrier came in band */
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (6,open)");

    a = on_tick(&h, t0 + 200 * MS);
    ASSERT_NO_ACTION(a);
    on_records(&h, 1, 4);
    a = announce_at(&h, 1, 1, 12, t0, t0 + 210 * MS);
    ASSERT_BOUNDED_ONLY(a, 1, 1u << 1, true);
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (6,12]");
}

static void test_unaligned_timeout_bounds_at_once_a_barrier_announced_ahead(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    const int64_t t0 = 1000;
    on_records(&h, 0, 3);
    on_records(&h, 1, 6);
    announce_at(&h, 0, 1, 3, t0, t0 + 10 * MS);
    sb_barrier_actions_t a = announce_at(&h, 1, 1, 12, t0, t0 + 20 * MS);
    ASSERT_NO_ACTION(a); /* ahead of input 1's read position: wait */
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");

    a = on_tick(&h, t0 + 150 * MS);
    CU_ASSERT_TRUE(a.timed_out);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_TRUE(a.alignment_ended);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 1);
    CU_ASSERT_TRUE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (6,12]");

    a = on_records(&h, 1, 6); /* reaching barrier 1: already dealt with */
    ASSERT_NO_ACTION(a);
}

static void test_unaligned_timeout_takes_a_checkpoint_only_announced(void)
{
    /* No barrier of checkpoint 1 has arrived in band anywhere yet. */
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    on_records(&h, 1, 2);
    sb_barrier_actions_t a = announce_at(&h, 0, 1, 10, 0, 10 * MS);
    ASSERT_NO_ACTION(a);
    a = on_tick(&h, 100 * MS);
    ASSERT_NO_ACTION(a); /* not more than the timeout yet */
    a = on_tick(&h, 100 * MS + 1);
    CU_ASSERT_TRUE(a.timed_out);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_FALSE(a.alignment_ended);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_FALSE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (0,10]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (2,open)");
}

static void test_unaligned_announcement_after_the_timeout_is_taken_at_once(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    const int64_t t0 = 1000;
    sb_barrier_actions_t a = announce_at(&h, 0, 1, 5, t0, t0 + 100 * MS + 1);
    CU_ASSERT_TRUE(a.timed_out);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_FALSE(a.alignment_ended);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_FALSE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (0,5]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (0,open)");
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
}

static void test_unaligned_announcement_within_the_timeout_waits_aligned(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    const int64_t t0 = 1000;
    sb_barrier_actions_t a = announce_at(&h, 0, 1, 5, t0, t0 + 100 * MS); /* not more */
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-");
    a = on_records(&h, 0, 5);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
}

static void test_unaligned_flagged_announcement_is_taken_at_once_despite_the_timeout(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    sb_barrier_announcement_t an = { .checkpoint_id = 1, .position = 5, .trigger_ns = 1000,
                                     .unaligned = true };
    sb_barrier_actions_t a = announce_flagged(&h, 0, an, 1000);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_FALSE(a.timed_out); /* upstream switched, not this subtask */
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 0);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "1 (0,5]");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (0,open)");
}

static void test_unaligned_flagged_announcement_mid_alignment_switches_it(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    announce_at(&h, 0, 1, 0, 1000, 1000);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
    sb_barrier_announcement_t an = { .checkpoint_id = 1, .position = 5, .trigger_ns = 1000,
                                     .unaligned = true };
    sb_barrier_actions_t a = announce_flagged(&h, 1, an, 2000);
    ASSERT_SNAPSHOT_UNALIGNED(a, 1);
    CU_ASSERT_FALSE(a.timed_out);
    CU_ASSERT_FALSE(a.alignment_started);
    CU_ASSERT_TRUE(a.alignment_ended);
    CU_ASSERT_EQUAL(a.capture_bounded, 1u << 1);
    CU_ASSERT_TRUE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "1 (0,5]");
}

/* ----------------------------------------------- the final checkpoint -- */

static void test_unaligned_final_checkpoint_is_not_taken_unaligned(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 0);
    sb_barrier_announcement_t an = { .checkpoint_id = 1, .position = 5, .final = true };
    sb_barrier_actions_t a = announce_flagged(&h, 0, an, 0);
    ASSERT_NO_ACTION(a);
    a = on_records(&h, 0, 5);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
    an.position = 0;
    a = announce_flagged(&h, 1, an, 0);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_TRUE(a.channel_state_complete);
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "-");
}

static void test_unaligned_final_checkpoint_is_never_switched_by_the_timeout(void)
{
    sb_barrier_t h;
    init_cfg(&h, 2, true, 100 * MS);
    sb_barrier_announcement_t an = { .checkpoint_id = 1, .position = 5, .trigger_ns = 0,
                                     .final = true };
    sb_barrier_actions_t a = announce_flagged(&h, 0, an, 1000 * MS);
    ASSERT_NO_ACTION(a);
    a = on_tick(&h, 2000 * MS); /* announced only */
    ASSERT_NO_ACTION(a);
    a = on_records(&h, 0, 5);
    ASSERT_STARTED_ONLY(a, 1);
    a = on_tick(&h, 3000 * MS); /* aligning */
    ASSERT_NO_ACTION(a);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "B.");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "-");
}

/* ------------------------------------------------------- at-least-once -- */

static void test_at_least_once_ignores_the_unaligned_config(void)
{
    sb_barrier_t h;
    sb_barrier_config_t cfg = { .mode = SB_MODE_AT_LEAST_ONCE, .unaligned = true,
                                .aligned_timeout_ns = 100 * MS };
    sb_barrier_init(&h, 2, &cfg);
    sb_barrier_actions_t a = announce_at(&h, 0, 1, 0, 0, 1000 * MS);
    ASSERT_STARTED_ONLY(a, 1);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_FALSE(a.timed_out);
    CU_ASSERT_STRING_EQUAL(blocked(&h), "..");
    a = on_tick(&h, 2000 * MS);
    ASSERT_NO_ACTION(a);
    a = announce_at(&h, 1, 1, 5, 0, 2000 * MS);
    ASSERT_NO_ACTION(a); /* ahead: not overtaking */
    CU_ASSERT_STRING_EQUAL(capture(&h, 0), "-");
    CU_ASSERT_STRING_EQUAL(capture(&h, 1), "-");
    a = on_records(&h, 1, 5);
    ASSERT_SNAPSHOT(a, 1);
    CU_ASSERT_FALSE(a.unaligned);
    CU_ASSERT_EQUAL(a.capture_bounded, 0);
}


/* ------------------------------------------- property: random valid runs -- */

/* A model of the senders and of a driver, and what the handler said so far.
 * Each sender pushes records and emits every triggered checkpoint's barrier
 * in order, announcing it on the priority path, which arrives after a random
 * delay but never after the receiver reaches the barrier in band. The driver
 * reads random chunks, never across a barrier, never a blocked input. */
#define P_INPUTS_MAX 3
#define P_IDS_MAX 1024

typedef struct p_sender {
    int64_t pushed;
    int emitted;                 /* barriers 1..emitted sent */
    int announced;               /* announcements 1..announced delivered */
    int64_t bpos[P_IDS_MAX];     /* position of barrier id */
    bool flagged[P_IDS_MAX];     /* its upstream took it unaligned */
    bool ended;                  /* sent end of input */
    bool eoi_read;               /* the handler was told */
} p_sender_t;

typedef struct p_run {
    sb_barrier_t h;
    int inputs;
    bool timeout;                /* an alignment timeout: aligned phases */
    uint64_t rng;
    int step;
    int64_t now;
    int triggered;
    int64_t final_id;            /* the last one triggered, when ending */
    int64_t trigger_ns[P_IDS_MAX];
    p_sender_t s[P_INPUTS_MAX];
    int64_t last_snapshot;
    bool snapshotted[P_IDS_MAX], completed[P_IDS_MAX], abandoned[P_IDS_MAX];
    int64_t cut[P_IDS_MAX][P_INPUTS_MAX];   /* read positions at the snapshot */
    int64_t prev_from[P_INPUTS_MAX], prev_to[P_INPUTS_MAX]; /* last completed range */
    int n_completed, n_unaligned, n_captured, n_abandoned, n_timed_out, n_end_of_input;
    int failures;
} p_run_t;

#define P_CHECK(r, cond)                                                      \
    do {                                                                      \
        if (!(cond) && (r)->failures++ < 8)                                   \
            fprintf(stderr, "\n    step %d: %s", (r)->step, #cond);           \
    } while (0)

static uint32_t p_rand(p_run_t *r, uint32_t n)
{
    r->rng = r->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->rng >> 33) % n;
}

/* Where input i's capture for checkpoint id must end, once known. */
static bool p_bound(const p_run_t *r, int i, int64_t id, int64_t *to)
{
    const p_sender_t *s = &r->s[i];
    if (s->announced >= id)
        *to = s->bpos[id];
    else if (s->eoi_read)
        *to = s->pushed;
    else
        return false;
    return true;
}

/* Checks what the handler answered and the state it is left in. */
static void p_observe(p_run_t *r, const sb_barrier_actions_t *a)
{
    sb_barrier_t *h = &r->h;
    P_CHECK(r, a->dropped_id == 0);
    if (a->abandoned_id != 0) {
        P_CHECK(r, !r->completed[a->abandoned_id]);
        r->abandoned[a->abandoned_id] = true;
        r->n_abandoned++;
    }
    if (a->snapshot) {
        int64_t id = a->checkpoint_id;
        P_CHECK(r, id >= 1 && id <= r->triggered);
        P_CHECK(r, id > r->last_snapshot); /* never twice, never backwards */
        P_CHECK(r, a->forward);
        P_CHECK(r, !a->unaligned || id != r->final_id);
        P_CHECK(r, !a->timed_out || (r->timeout && a->unaligned));
        r->last_snapshot = id;
        r->snapshotted[id] = true;
        r->n_unaligned += a->unaligned;
        r->n_timed_out += a->timed_out;
        for (int i = 0; i < r->inputs; i++)
            r->cut[id][i] = sb_barrier_position(h, i);
    }
    for (int i = 0; i < r->inputs; i++) {
        int64_t id, from, to, want = -1;
        bool capturing = sb_barrier_capture(h, i, &id, &from, &to);
        if ((a->capture_bounded >> i) & 1) {
            P_CHECK(r, capturing && id == a->checkpoint_id && to != SB_BARRIER_OPEN);
            r->n_captured++;
        }
        if (!capturing)
            continue;
        P_CHECK(r, id == r->last_snapshot && r->snapshotted[id]);
        P_CHECK(r, from == r->cut[id][i]); /* from the read position at the snapshot */
        if (to != SB_BARRIER_OPEN)
            P_CHECK(r, p_bound(r, i, id, &want) && to == want); /* ...to its barrier */
        else
            P_CHECK(r, !p_bound(r, i, id, &want));
        P_CHECK(r, from <= to);
    }
    if (a->channel_state_complete) {
        int64_t id = a->checkpoint_id;
        P_CHECK(r, id == r->last_snapshot && !r->completed[id] && !r->abandoned[id]);
        r->completed[id] = true;
        r->n_completed++;
        for (int i = 0; i < r->inputs; i++) {
            int64_t cid, from, to, want = -1;
            if (!sb_barrier_capture(h, i, &cid, &from, &to)) {
                /* Its barrier came in band before the snapshot, or it ended. */
                P_CHECK(r, r->s[i].eoi_read ||
                               (r->s[i].announced >= id && r->s[i].bpos[id] == r->cut[id][i]));
                continue;
            }
            P_CHECK(r, cid == id && p_bound(r, i, id, &want));
            P_CHECK(r, r->cut[id][i] <= from && from <= to && to <= want);
            /* Successive checkpoints' ranges move forward on each input; they
             * overlap where the next snapshot came before the read position
             * reached the previous barrier. */
            P_CHECK(r, from >= r->prev_from[i] && to >= r->prev_to[i]);
            r->prev_from[i] = from;
            r->prev_to[i] = to;
        }
    }
    if (a->end_of_input)
        r->n_end_of_input++;
    for (int i = 0; i < r->inputs; i++) {
        if (!sb_barrier_is_blocked(h, i))
            continue;
        /* Only while aligning, and exactly at the barrier it delivered. */
        int64_t cur = h->current_id;
        P_CHECK(r, (r->timeout || cur == r->final_id) && aligning(h) == cur);
        P_CHECK(r, r->s[i].announced >= cur &&
                       sb_barrier_position(h, i) == r->s[i].bpos[cur]);
    }
}

static void p_announce(p_run_t *r, int i)
{
    p_sender_t *s = &r->s[i];
    int64_t id = ++s->announced;
    sb_barrier_announcement_t an = { .checkpoint_id = id, .position = s->bpos[id],
                                     .trigger_ns = r->trigger_ns[id],
                                     .unaligned = s->flagged[id],
                                     .final = id == r->final_id };
    sb_barrier_actions_t a;
    memset(&a, 0xab, sizeof a);
    sb_barrier_on_announce(&r->h, i, &an, r->now, &a);
    p_observe(r, &a);
}

/* The driver reads input i, if it may. */
static void p_read(p_run_t *r, int i)
{
    p_sender_t *s = &r->s[i];
    if (s->eoi_read || sb_barrier_is_blocked(&r->h, i))
        return;
    sb_barrier_actions_t a;
    if (sb_barrier_is_due(&r->h, i)) {
        /* A barrier that waited behind an alignment arrives first. */
        memset(&a, 0xab, sizeof a);
        sb_barrier_on_records(&r->h, i, 0, &a);
        p_observe(r, &a);
        return;
    }
    int64_t pos = sb_barrier_position(&r->h, i);
    if (s->announced < s->emitted && s->bpos[s->announced + 1] == pos) {
        p_announce(r, i); /* the barrier itself is next in band */
        return;
    }
    int64_t limit = s->pushed;
    for (int id = s->emitted; id >= 1 && s->bpos[id] > pos; id--)
        limit = s->bpos[id]; /* the nearest barrier ahead */
    if (limit > pos) {
        memset(&a, 0xab, sizeof a);
        sb_barrier_on_records(&r->h, i, 1 + (int64_t)p_rand(r, (uint32_t)(limit - pos)), &a);
        p_observe(r, &a);
        while (a.again) {
            memset(&a, 0xab, sizeof a);
            sb_barrier_on_records(&r->h, i, 0, &a);
            p_observe(r, &a);
        }
    } else if (s->ended && s->announced == s->emitted) {
        memset(&a, 0xab, sizeof a);
        sb_barrier_on_end_of_input(&r->h, i, &a);
        s->eoi_read = true;
        p_observe(r, &a);
    }
}

/* Barriers sent but not read yet on input i. */
static int p_in_flight(const p_run_t *r, int i)
{
    int n = 0;
    int64_t pos = sb_barrier_position(&r->h, i);
    for (int id = r->s[i].emitted; id >= 1 && r->s[i].bpos[id] >= pos; id--)
        n++;
    return n;
}

static void p_step(p_run_t *r, bool ending)
{
    int i = (int)p_rand(r, (uint32_t)r->inputs);
    p_sender_t *s = &r->s[i];
    r->now += p_rand(r, 3 * MS);
    switch (p_rand(r, 12)) {
    case 0: case 1: /* the sender pushes records */
        if (!s->ended)
            s->pushed += p_rand(r, 6);
        break;
    case 2: { /* the coordinator triggers a checkpoint; the final one last */
        bool room = r->final_id == 0 && r->triggered < P_IDS_MAX - 1 && p_rand(r, 3) == 0;
        for (int k = 0; k < r->inputs; k++)
            room = room && p_in_flight(r, k) < SB_BARRIER_PENDING_MAX / 2;
        if (room)
            r->trigger_ns[++r->triggered] = r->now;
        if (room && ending)
            r->final_id = r->triggered;
        break;
    }
    case 3: case 4: /* the sender emits its next barrier */
        if (!s->ended && s->emitted < r->triggered) {
            s->emitted++;
            s->bpos[s->emitted] = s->pushed;
            s->flagged[s->emitted] = r->timeout && p_rand(r, 6) == 0;
        }
        break;
    case 5: /* an announcement arrives */
        if (s->announced < s->emitted)
            p_announce(r, i);
        break;
    case 6: { /* time passes */
        sb_barrier_actions_t a;
        memset(&a, 0xab, sizeof a);
        sb_barrier_on_tick(&r->h, r->now, &a);
        p_observe(r, &a);
        break;
    }
    case 7:
        if (ending)
            s->ended = true;
        break;
    default:
        p_read(r, i);
        break;
    }
}

static void p_run(int inputs, int64_t timeout_ns, uint64_t seed)
{
    static p_run_t run;
    p_run_t *r = &run;
    memset(r, 0, sizeof *r);
    r->inputs = inputs;
    r->timeout = timeout_ns > 0;
    r->rng = seed;
    init_cfg(&r->h, inputs, true, timeout_ns);
    for (r->step = 0; r->step < 6000; r->step++)
        p_step(r, r->step >= 5000);
    for (int i = 0; i < inputs; i++)
        r->s[i].ended = true;
    int guard = 0;
    for (bool all = false; !all && guard < 100000; guard++, r->step++) {
        p_step(r, true);
        all = true;
        for (int i = 0; i < inputs; i++)
            all = all && r->s[i].eoi_read;
    }
    P_CHECK(r, guard < 100000);
    P_CHECK(r, r->n_end_of_input == 1);
    for (int64_t id = 1; id <= r->triggered; id++)
        P_CHECK(r, !r->snapshotted[id] || r->completed[id] || r->abandoned[id]);
    if (r->failures > 0)
        fprintf(stderr, "\n    inputs %d, timeout %lld, seed %llu: %d failures\n", inputs,
                (long long)timeout_ns, (unsigned long long)seed, r->failures);
    CU_ASSERT_EQUAL(r->failures, 0);
    /* The run went through what it is meant to. */
    CU_ASSERT(r->n_completed >= 20);
    CU_ASSERT(r->n_unaligned >= 10);
    CU_ASSERT(r->n_captured >= 10);
    if (r->timeout) {
        CU_ASSERT(r->n_timed_out >= 5);
        CU_ASSERT(r->n_unaligned < r->n_completed + r->n_abandoned); /* some aligned */
    }
}

static void test_unaligned_random_runs_capture_exactly_the_records_in_flight(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        p_run(2, 0, seed);
        p_run(3, 0, seed * 7919);
    }
}

static void test_unaligned_random_runs_with_alignment_timeout(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        p_run(2, 60 * MS, seed);
        p_run(3, 60 * MS, seed * 7919);
    }
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
        T(test_aligned_announcement_ahead_waits_for_the_read_position),
        T(test_aligned_announcement_at_the_read_position_arrives_at_once),
        T(test_aligned_announced_newer_checkpoint_abandons_the_aligning_one),
        T(test_aligned_blocked_input_holds_the_next_barrier_until_the_alignment_ends),
        T(test_arrived_names_the_inputs_that_reached_their_barrier_in_band),
        T(test_aligned_two_barriers_at_one_position_arrive_one_call_each),
        T(test_aligned_announcement_queue_full_drops_the_oldest),
        T(test_unaligned_single_input_announcement_overtakes_at_once),
        T(test_unaligned_overtaken_barrier_is_dropped_silently_when_reached),
        T(test_unaligned_other_input_captures_until_its_barrier_is_announced),
        T(test_unaligned_input_reaching_its_barrier_late_changes_nothing),
        T(test_unaligned_barrier_at_the_read_position_captures_nothing),
        T(test_unaligned_next_checkpoint_abandons_one_still_capturing),
        T(test_unaligned_next_checkpoint_recaptures_records_not_read_yet),
        T(test_unaligned_end_of_input_bounds_an_open_capture),
        T(test_unaligned_end_of_input_names_the_checkpoint_of_the_range_it_bounds),
        T(test_unaligned_input_ended_before_the_snapshot_captures_nothing),
        T(test_unaligned_timeout_switches_an_alignment_on_tick),
        T(test_unaligned_timeout_bounds_at_once_a_barrier_announced_ahead),
        T(test_unaligned_timeout_takes_a_checkpoint_only_announced),
        T(test_unaligned_announcement_after_the_timeout_is_taken_at_once),
        T(test_unaligned_announcement_within_the_timeout_waits_aligned),
        T(test_unaligned_flagged_announcement_is_taken_at_once_despite_the_timeout),
        T(test_unaligned_flagged_announcement_mid_alignment_switches_it),
        T(test_unaligned_final_checkpoint_is_not_taken_unaligned),
        T(test_unaligned_final_checkpoint_is_never_switched_by_the_timeout),
        T(test_at_least_once_ignores_the_unaligned_config),
        T(test_unaligned_random_runs_capture_exactly_the_records_in_flight),
        T(test_unaligned_random_runs_with_alignment_timeout),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("barrier", cases);
}
