/* test_viz_cut.c — where a channel's records lie relative to a cut
 * (viz/cutclass.h), from positions: before, after, in flight (recorded as
 * channel state or not), orphan, unknown. */
#include <stdint.h>

#include "cu_helpers.h"
#include "cutclass.h"

static sb_cutclass_counts_t count(int64_t sent, int64_t read, const int64_t (*ranges)[2],
                                  int ranges_count, int64_t first, int64_t n)
{
    sb_cutclass_channel_t ch = { .sent = sent, .read = read, .ranges = ranges,
                                 .ranges_count = ranges_count };
    sb_cutclass_counts_t c = { { 0 } };
    sb_cutclass_count(&ch, first, n, &c);
    return c;
}

static void test_aligned_cut_has_records_before_and_after_and_nothing_in_flight(void)
{
    /* sent == read == 10: positions 1..10 before, 11..20 after. */
    sb_cutclass_counts_t c = count(10, 10, NULL, 0, 1, 20);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_BEFORE], 10);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_AFTER], 10);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_RECORDED], 0);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 0);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_ORPHAN], 0);
}

static void test_records_sent_before_and_read_after_the_cut_are_channel_state_when_recorded(void)
{
    /* Read up to 5, sent up to 9, recorded (5, 9]. */
    static const int64_t ranges[][2] = { { 5, 9 } };
    sb_cutclass_counts_t c = count(9, 5, ranges, 1, 1, 12);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_BEFORE], 5);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_RECORDED], 4);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 0);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_AFTER], 3);
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_RECORDED);
}

static void test_in_flight_records_outside_the_recorded_ranges_are_unrecorded(void)
{
    /* In flight (5, 9]; only (5, 7] recorded: 8 and 9 would be lost. */
    static const int64_t ranges[][2] = { { 5, 7 } };
    sb_cutclass_counts_t c = count(9, 5, ranges, 1, 6, 4);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_RECORDED], 2);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 2);
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_UNRECORDED);
}

static void test_in_flight_records_without_any_channel_state_are_all_unrecorded(void)
{
    sb_cutclass_counts_t c = count(9, 5, NULL, 0, 1, 9);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_BEFORE], 5);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 4);
}

static void test_records_read_before_the_cut_but_sent_after_it_are_orphans(void)
{
    /* Sent up to 5 before the sender's snapshot, but the receiver had
     * read up to 8 at its own: 6, 7, 8 are orphans. */
    sb_cutclass_counts_t c = count(5, 8, NULL, 0, 1, 10);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_BEFORE], 5);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_ORPHAN], 3);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_AFTER], 2);
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_ORPHAN);
}

static void test_a_cut_with_a_side_missing_makes_every_record_unknown(void)
{
    sb_cutclass_counts_t c = count(-1, 5, NULL, 0, 1, 7);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNKNOWN], 7);
    c = count(5, -1, NULL, 0, 1, 7);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNKNOWN], 7);
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_UNKNOWN);
}

static void test_ranges_outside_the_in_flight_span_record_nothing(void)
{
    /* A range beyond what was in flight does not make records recorded. */
    static const int64_t ranges[][2] = { { 20, 30 } };
    sb_cutclass_counts_t c = count(9, 5, ranges, 1, 1, 40);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_RECORDED], 0);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 4);
}

static void test_overlapping_ranges_count_a_record_once(void)
{
    static const int64_t ranges[][2] = { { 5, 9 }, { 6, 9 } };
    sb_cutclass_counts_t c = count(9, 5, ranges, 2, 6, 4);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_RECORDED], 4);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 0);
}

static void test_a_batch_is_drawn_in_its_most_telling_class(void)
{
    sb_cutclass_counts_t c = { { 0 } };
    c.n[SB_CUTCLASS_BEFORE] = 5;
    c.n[SB_CUTCLASS_AFTER] = 1;
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_BEFORE);
    c.n[SB_CUTCLASS_AFTER] = 6;
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_AFTER);
    c.n[SB_CUTCLASS_RECORDED] = 1;
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_RECORDED);
    c.n[SB_CUTCLASS_UNRECORDED] = 1;
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_UNRECORDED);
    c.n[SB_CUTCLASS_ORPHAN] = 1;
    CU_ASSERT_EQUAL(sb_cutclass_of(&c), SB_CUTCLASS_ORPHAN);
}

static void test_counts_add_up_across_batches(void)
{
    sb_cutclass_channel_t ch = { .sent = 9, .read = 5 };
    sb_cutclass_counts_t c = { { 0 } };
    sb_cutclass_count(&ch, 1, 3, &c);
    sb_cutclass_count(&ch, 4, 4, &c);
    sb_cutclass_count(&ch, 8, 0, &c); /* an empty batch adds nothing */
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_BEFORE], 5);
    CU_ASSERT_EQUAL(c.n[SB_CUTCLASS_UNRECORDED], 2);
}

void test_viz_cut_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_aligned_cut_has_records_before_and_after_and_nothing_in_flight),
        T(test_records_sent_before_and_read_after_the_cut_are_channel_state_when_recorded),
        T(test_in_flight_records_outside_the_recorded_ranges_are_unrecorded),
        T(test_in_flight_records_without_any_channel_state_are_all_unrecorded),
        T(test_records_read_before_the_cut_but_sent_after_it_are_orphans),
        T(test_a_cut_with_a_side_missing_makes_every_record_unknown),
        T(test_ranges_outside_the_in_flight_span_record_nothing),
        T(test_overlapping_ranges_count_a_record_once),
        T(test_a_batch_is_drawn_in_its_most_telling_class),
        T(test_counts_add_up_across_batches),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_cut", cases);
}
