/* test_exactly_once.c — the exactly-once checker, on hand-made runs. */
#include <string.h>

#include "cu_helpers.h"
#include "exactly_once.h"

/* Two partitions: 0 holds offsets [0, 10), 1 holds [100, 110). */
static sb_eo_t *eo_two_partitions(bool check_order)
{
    static const int64_t low[2] = {0, 100};
    static const int64_t high[2] = {10, 110};
    sb_eo_t *c = sb_eo_new(2, low, high, check_order);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static void eo_expect(sb_eo_t *c, int32_t partition, int64_t offset, const char *value)
{
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL_FATAL(sb_eo_expect(c, partition, offset, value, strlen(value), &err), 0);
}

static void eo_line(sb_eo_t *c, const char *line)
{
    sb_err_t err = {{0}};
    int rc = sb_eo_observe_line(c, line, strlen(line), &err);
    if (rc != 0)
        fprintf(stderr, "\nunexpected parse error: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Expects 0:0..0:2 = A0..A2 and 1:100..1:101 = B0..B1. */
static void eo_expect_small(sb_eo_t *c)
{
    eo_expect(c, 0, 0, "A0");
    eo_expect(c, 0, 1, "A1");
    eo_expect(c, 0, 2, "A2");
    eo_expect(c, 1, 100, "B0");
    eo_expect(c, 1, 101, "B1");
}

static bool eo_has_example(const sb_eo_id_t *examples, int count, int32_t partition,
                           int64_t offset)
{
    for (int i = 0; i < count; i++)
        if (examples[i].partition == partition && examples[i].offset == offset)
            return true;
    return false;
}

static void test_perfect_run_passes(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "1:100 B0");
    eo_line(c, "0:2 A2");
    sb_eo_begin_stream(c);
    eo_line(c, "0:1 A1");
    eo_line(c, "1:101 B1");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.expected, 5);
    CU_ASSERT_EQUAL(r.observed, 5);
    CU_ASSERT_EQUAL(r.distinct, 5);
    CU_ASSERT_EQUAL(r.lost + r.duplicated + r.unexpected + r.out_of_order, 0);
    char text[256];
    sb_eo_report_describe(&r, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "no violations");
    sb_eo_free(c);
}

static void test_lost_record_is_reported_with_its_id(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 A1");
    eo_line(c, "0:2 A2");
    eo_line(c, "1:100 B0");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.lost, 1);
    CU_ASSERT_EQUAL(r.distinct, 4);
    CU_ASSERT_EQUAL(r.duplicated + r.unexpected + r.out_of_order, 0);
    CU_ASSERT_EQUAL_FATAL(r.lost_examples_count, 1);
    CU_ASSERT_EQUAL(r.lost_examples[0].partition, 1);
    CU_ASSERT_EQUAL(r.lost_examples[0].offset, 101);
    sb_eo_free(c);
}

static void test_record_in_two_streams_is_duplicated(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 A1");
    eo_line(c, "1:100 B0");
    eo_line(c, "1:101 B1");
    sb_eo_begin_stream(c);
    eo_line(c, "0:1 A1"); /* replayed after a restore */
    eo_line(c, "0:2 A2");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.duplicated, 1);
    CU_ASSERT_EQUAL(r.lost + r.unexpected + r.out_of_order, 0);
    CU_ASSERT_EQUAL(r.observed, 6);
    CU_ASSERT_EQUAL(r.distinct, 5);
    CU_ASSERT_EQUAL_FATAL(r.duplicated_examples_count, 1);
    CU_ASSERT_EQUAL(r.duplicated_examples[0].partition, 0);
    CU_ASSERT_EQUAL(r.duplicated_examples[0].offset, 1);
    sb_eo_free(c);
}

static void test_record_twice_in_one_stream_is_duplicated(void)
{
    sb_eo_t *c = eo_two_partitions(false);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 A1");
    eo_line(c, "0:2 A2");
    eo_line(c, "1:100 B0");
    eo_line(c, "1:101 B1");
    eo_line(c, "0:2 A2");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.duplicated, 1);
    CU_ASSERT_EQUAL(r.lost + r.unexpected + r.out_of_order, 0);
    CU_ASSERT_EQUAL_FATAL(r.duplicated_examples_count, 1);
    CU_ASSERT_EQUAL(r.duplicated_examples[0].partition, 0);
    CU_ASSERT_EQUAL(r.duplicated_examples[0].offset, 2);
    sb_eo_free(c);
}

static void test_each_extra_copy_is_one_duplicate(void)
{
    sb_eo_t *c = eo_two_partitions(false);
    eo_expect(c, 0, 5, "X");
    sb_eo_begin_stream(c);
    eo_line(c, "0:5 X");
    eo_line(c, "0:5 X");
    eo_line(c, "0:5 X");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.duplicated, 2);
    CU_ASSERT_EQUAL(r.distinct, 1);
    CU_ASSERT_EQUAL(r.observed, 3);
    CU_ASSERT_EQUAL(r.lost, 0);
    sb_eo_free(c);
}

/* The seen-count saturates; the duplicate count must not. */
static void test_duplicates_are_counted_past_the_seen_count_limit(void)
{
    sb_eo_t *c = eo_two_partitions(false);
    eo_expect(c, 0, 0, "X");
    sb_eo_begin_stream(c);
    const int64_t copies = 70000;
    for (int64_t i = 0; i < copies; i++)
        sb_eo_observe(c, 0, 0, "X", 1);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.duplicated, copies - 1);
    CU_ASSERT_EQUAL(r.distinct, 1);
    CU_ASSERT_EQUAL(r.lost, 0);
    sb_eo_free(c);
}

/* Documented: a re-read that goes backwards in one stream is both. */
static void test_backward_reread_in_one_stream_is_duplicated_and_out_of_order(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 A1");
    eo_line(c, "0:2 A2");
    eo_line(c, "0:1 A1");
    eo_line(c, "1:100 B0");
    eo_line(c, "1:101 B1");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.duplicated, 1);
    CU_ASSERT_EQUAL(r.out_of_order, 1);
    CU_ASSERT_EQUAL_FATAL(r.out_of_order_examples_count, 1);
    CU_ASSERT_EQUAL(r.out_of_order_examples[0].partition, 0);
    CU_ASSERT_EQUAL(r.out_of_order_examples[0].offset, 1);
    sb_eo_free(c);
}

static void eo_observe_swapped(sb_eo_t *c)
{
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:2 A2");
    eo_line(c, "1:100 B0");
    eo_line(c, "0:1 A1"); /* behind 0:2 in the same stream */
    eo_line(c, "1:101 B1");
}

static void test_reordering_within_a_stream_is_out_of_order_when_checked(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    eo_observe_swapped(c);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.out_of_order, 1);
    CU_ASSERT_EQUAL(r.lost + r.duplicated + r.unexpected, 0);
    CU_ASSERT_EQUAL_FATAL(r.out_of_order_examples_count, 1);
    CU_ASSERT_EQUAL(r.out_of_order_examples[0].partition, 0);
    CU_ASSERT_EQUAL(r.out_of_order_examples[0].offset, 1);
    sb_eo_free(c);
}

static void test_reordering_within_a_stream_passes_when_not_checked(void)
{
    sb_eo_t *c = eo_two_partitions(false);
    eo_expect_small(c);
    eo_observe_swapped(c);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.out_of_order, 0);
    CU_ASSERT_EQUAL(r.out_of_order_examples_count, 0);
    sb_eo_free(c);
}

/* Out of order compares with the previous record, not the maximum. */
static void test_out_of_order_counts_each_step_backwards(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    for (int64_t o = 1; o <= 5; o++)
        eo_expect(c, 0, o, "V");
    sb_eo_begin_stream(c);
    eo_line(c, "0:1 V");
    eo_line(c, "0:2 V");
    eo_line(c, "0:5 V");
    eo_line(c, "0:3 V");
    eo_line(c, "0:4 V");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.out_of_order, 1);
    CU_ASSERT_EQUAL_FATAL(r.out_of_order_examples_count, 1);
    CU_ASSERT_EQUAL(r.out_of_order_examples[0].offset, 3);
    sb_eo_free(c);
}

static void test_same_partition_interleaved_across_streams_is_in_order(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    for (int64_t o = 0; o < 6; o++)
        eo_expect(c, 0, o, "V");
    /* Subtask 1 wrote 0:3..0:5, subtask 2 wrote 0:0..0:2: each stream is in
     * order, though the second starts below where the first ended. */
    sb_eo_begin_stream(c);
    eo_line(c, "0:3 V");
    eo_line(c, "0:4 V");
    eo_line(c, "0:5 V");
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 V");
    eo_line(c, "0:1 V");
    eo_line(c, "0:2 V");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.out_of_order, 0);
    CU_ASSERT_EQUAL(r.distinct, 6);
    sb_eo_free(c);
}

static void test_wrong_value_is_unexpected_and_the_record_lost(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 a1");     /* map was not applied */
    eo_line(c, "0:2 A");      /* a prefix of the expected value */
    eo_line(c, "1:100 B0");
    eo_line(c, "1:101 B1x");  /* the expected value is a prefix of it */
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.unexpected, 3);
    CU_ASSERT_EQUAL(r.lost, 3);
    CU_ASSERT_EQUAL(r.distinct, 2);
    CU_ASSERT_EQUAL(r.duplicated, 0);
    CU_ASSERT_EQUAL_FATAL(r.unexpected_examples_count, 3);
    CU_ASSERT_EQUAL(r.unexpected_examples[0].offset, 1);
    CU_ASSERT_EQUAL(r.unexpected_examples[1].offset, 2);
    CU_ASSERT_EQUAL(r.unexpected_examples[2].offset, 101);
    CU_ASSERT_TRUE(eo_has_example(r.lost_examples, r.lost_examples_count, 0, 1));
    CU_ASSERT_TRUE(eo_has_example(r.lost_examples, r.lost_examples_count, 0, 2));
    CU_ASSERT_TRUE(eo_has_example(r.lost_examples, r.lost_examples_count, 1, 101));
    sb_eo_free(c);
}

static void test_ids_outside_the_id_space_are_unexpected(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 A1");
    eo_line(c, "0:2 A2");
    eo_line(c, "1:100 B0");
    eo_line(c, "1:101 B1");
    eo_line(c, "2:0 A0");      /* no partition 2 */
    eo_line(c, "1:99 B0");     /* below low */
    eo_line(c, "1:110 B0");    /* at high, which is exclusive */
    eo_line(c, "0:10 A0");
    sb_eo_observe(c, -1, 0, "A0", 2);
    sb_eo_observe(c, 0, -5, "A0", 2);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.unexpected, 6);
    CU_ASSERT_EQUAL(r.observed, 11);
    CU_ASSERT_EQUAL(r.lost + r.duplicated + r.out_of_order, 0);
    CU_ASSERT_EQUAL_FATAL(r.unexpected_examples_count, SB_EO_EXAMPLES_MAX);
    CU_ASSERT_EQUAL(r.unexpected_examples[0].partition, 2);
    CU_ASSERT_EQUAL(r.unexpected_examples[0].offset, 0);
    CU_ASSERT_EQUAL(r.unexpected_examples[1].partition, 1);
    CU_ASSERT_EQUAL(r.unexpected_examples[1].offset, 99);
    CU_ASSERT_EQUAL(r.unexpected_examples[4].partition, -1);
    sb_eo_free(c);
}

/* A record the filter should have dropped: in the id space, never expected. */
static void test_id_not_expected_is_unexpected(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:1 A1");
    eo_line(c, "0:2 A2");
    eo_line(c, "0:3 ZEBRA");
    eo_line(c, "1:100 B0");
    eo_line(c, "1:101 B1");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.unexpected, 1);
    CU_ASSERT_EQUAL(r.lost + r.duplicated + r.out_of_order, 0);
    CU_ASSERT_EQUAL_FATAL(r.unexpected_examples_count, 1);
    CU_ASSERT_EQUAL(r.unexpected_examples[0].partition, 0);
    CU_ASSERT_EQUAL(r.unexpected_examples[0].offset, 3);
    sb_eo_free(c);
}

static void test_malformed_lines_are_rejected(void)
{
    static const char *const bad[] = {
        "",
        "0",
        "0:",
        "0:5",
        "0:5 ",                      /* empty value */
        "0:5  A",                    /* two spaces */
        ":5 A",                      /* no partition */
        "0: A",                      /* no offset */
        "0 :5 A",
        "0:5A",                      /* no space */
        "0;5 A",
        "a:5 A",
        "0:x A",
        "-1:5 A",
        "+1:5 A",
        "0:-5 A",
        "0:5\tA",
        "0:5 A\r",                   /* CR left by the caller */
        "0:5 A\n",                   /* newline left by the caller */
        "0:5 A\tB",
        " 0:5 A",
        "2147483648:5 A",            /* partition above INT32_MAX */
        "0:9223372036854775808 A",   /* offset above INT64_MAX */
        "0:99999999999999999999999 A",
    };
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect(c, 0, 5, "A");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_err_t err = {{0}};
        int rc = sb_eo_observe_line(c, bad[i], strlen(bad[i]), &err);
        if (rc == 0)
            fprintf(stderr, "\naccepted malformed line #%zu '%s'\n", i, bad[i]);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "malformed output line"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "<partition>:<offset> <VALUE>"));
    }
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.observed, 0); /* nothing half-parsed was observed */
    CU_ASSERT_EQUAL(r.lost, 1);
    sb_eo_free(c);
}

static void test_malformed_line_error_quotes_the_line(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    sb_err_t err = {{0}};
    const char *line = "7:xyz HELLO";
    CU_ASSERT_EQUAL(sb_eo_observe_line(c, line, strlen(line), &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'7:xyz HELLO'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "offset"));
    line = "0:1 A\r";
    CU_ASSERT_EQUAL(sb_eo_observe_line(c, line, strlen(line), &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'0:1 A\\x0d'"));
    sb_eo_free(c);
}

static void test_line_is_parsed_up_to_its_length_only(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect(c, 0, 5, "AB");
    eo_expect(c, 1, 107, "A B");
    sb_eo_begin_stream(c);
    const char buf[] = "0:5 AB\n1:107 A B\n";
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_eo_observe_line(c, buf, 6, &err), 0);
    CU_ASSERT_EQUAL(sb_eo_observe_line(c, buf + 7, 9, &err), 0);
    /* Leading zeros are digits like any other. */
    eo_line(c, "00:0005 AB");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.distinct, 2);
    CU_ASSERT_EQUAL(r.duplicated, 1);
    CU_ASSERT_EQUAL(r.unexpected + r.lost, 0);
    sb_eo_free(c);
}

static void test_expecting_the_same_id_twice_is_an_error(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_eo_expect(c, 1, 104, "A", 1, &err), 0);
    CU_ASSERT_EQUAL(sb_eo_expect(c, 1, 104, "A", 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "1:104"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "twice"));
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.expected, 1);
    sb_eo_free(c);
}

static void test_expecting_outside_the_id_space_is_an_error(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_eo_expect(c, 2, 0, "A", 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2:0"));
    CU_ASSERT_EQUAL(sb_eo_expect(c, -1, 0, "A", 1, &err), -1);
    CU_ASSERT_EQUAL(sb_eo_expect(c, 1, 99, "A", 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "[100, 110)"));
    CU_ASSERT_EQUAL(sb_eo_expect(c, 1, 110, "A", 1, &err), -1);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.expected, 0);
    sb_eo_free(c);
}

static void test_expecting_a_value_longer_than_the_limit_is_an_error(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    char value[SB_EO_VALUE_BYTES_MAX + 1];
    memset(value, 'A', sizeof value);
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_eo_expect(c, 0, 0, value, SB_EO_VALUE_BYTES_MAX + 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "0:0"));
    CU_ASSERT_EQUAL(sb_eo_expect(c, 0, 1, value, SB_EO_VALUE_BYTES_MAX, &err), 0);
    sb_eo_begin_stream(c);
    sb_eo_observe(c, 0, 1, value, SB_EO_VALUE_BYTES_MAX);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.expected, 1);
    sb_eo_free(c);
}

static void test_describe_names_counts_and_example_ids(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A0");
    eo_line(c, "0:0 A0");
    eo_line(c, "0:2 A2");
    eo_line(c, "1:100 B0");
    eo_line(c, "1:109 B9");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    char text[512];
    sb_eo_report_describe(&r, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "lost 2 (e.g. 0:1, 1:101); duplicated 1 (e.g. 0:0); "
                                 "unexpected 1 (e.g. 1:109); out of order 1 (e.g. 0:0)");
    sb_eo_free(c);
}

static void test_examples_keep_the_first_ids_found_and_describe_elides_the_rest(void)
{
    static const int64_t low[1] = {0};
    static const int64_t high[1] = {20};
    sb_eo_t *c = sb_eo_new(1, low, high, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    for (int64_t o = 0; o < 20; o++)
        eo_expect(c, 0, o, "V");
    sb_eo_begin_stream(c);
    eo_line(c, "0:19 V");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.lost, 19);
    CU_ASSERT_EQUAL_FATAL(r.lost_examples_count, SB_EO_EXAMPLES_MAX);
    for (int i = 0; i < SB_EO_EXAMPLES_MAX; i++)
        CU_ASSERT_EQUAL(r.lost_examples[i].offset, i);
    char text[512];
    sb_eo_report_describe(&r, text, sizeof text);
    CU_ASSERT_STRING_EQUAL(text, "lost 19 (e.g. 0:0, 0:1, 0:2, 0:3, 0:4, ...); "
                                 "duplicated 0; unexpected 0; out of order 0");
    sb_eo_free(c);
}

static void test_describe_truncates_to_the_buffer(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect_small(c);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    char text[16];
    memset(text, 'x', sizeof text);
    sb_eo_report_describe(&r, text, 10);
    CU_ASSERT_EQUAL(strlen(text), 9);
    CU_ASSERT_NSTRING_EQUAL(text, "lost 5 (e", 9);
    CU_ASSERT_EQUAL(text[10], 'x'); /* nothing written past len */
    sb_eo_free(c);
}

static void test_empty_expected_and_empty_output_is_ok(void)
{
    sb_eo_t *c = sb_eo_new(0, NULL, NULL, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    sb_eo_begin_stream(c);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.expected, 0);
    CU_ASSERT_EQUAL(r.observed, 0);
    sb_eo_free(c);

    /* Partitions with nothing in them, and nothing expected. */
    static const int64_t low[2] = {0, 7};
    static const int64_t high[2] = {0, 7};
    c = sb_eo_new(2, low, high, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    sb_eo_finish(c, &r);
    CU_ASSERT_TRUE(sb_eo_report_ok(&r));
    sb_eo_free(c);
}

static void test_output_with_nothing_expected_is_unexpected(void)
{
    sb_eo_t *c = sb_eo_new(0, NULL, NULL, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    sb_eo_begin_stream(c);
    eo_line(c, "0:0 A");
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_FALSE(sb_eo_report_ok(&r));
    CU_ASSERT_EQUAL(r.unexpected, 1);
    sb_eo_free(c);
}

static void test_empty_value_can_be_expected_and_observed(void)
{
    sb_eo_t *c = eo_two_partitions(true);
    eo_expect(c, 0, 0, "");
    sb_eo_begin_stream(c);
    sb_eo_observe(c, 0, 0, "", 0);
    sb_eo_observe(c, 0, 1, "", 0);
    sb_eo_report_t r;
    sb_eo_finish(c, &r);
    CU_ASSERT_EQUAL(r.distinct, 1);
    CU_ASSERT_EQUAL(r.unexpected, 1);
    CU_ASSERT_EQUAL(r.lost, 0);
    sb_eo_free(c);
}

void test_exactly_once_register(void)
{
    static const sb_test_case_t cases[] = {
        {"perfect_run_passes", test_perfect_run_passes},
        {"lost_record_is_reported_with_its_id", test_lost_record_is_reported_with_its_id},
        {"record_in_two_streams_is_duplicated", test_record_in_two_streams_is_duplicated},
        {"record_twice_in_one_stream_is_duplicated",
         test_record_twice_in_one_stream_is_duplicated},
        {"each_extra_copy_is_one_duplicate", test_each_extra_copy_is_one_duplicate},
        {"duplicates_are_counted_past_the_seen_count_limit",
         test_duplicates_are_counted_past_the_seen_count_limit},
        {"backward_reread_in_one_stream_is_duplicated_and_out_of_order",
         test_backward_reread_in_one_stream_is_duplicated_and_out_of_order},
        {"reordering_within_a_stream_is_out_of_order_when_checked",
         test_reordering_within_a_stream_is_out_of_order_when_checked},
        {"reordering_within_a_stream_passes_when_not_checked",
         test_reordering_within_a_stream_passes_when_not_checked},
        {"out_of_order_counts_each_step_backwards",
         test_out_of_order_counts_each_step_backwards},
        {"same_partition_interleaved_across_streams_is_in_order",
         test_same_partition_interleaved_across_streams_is_in_order},
        {"wrong_value_is_unexpected_and_the_record_lost",
         test_wrong_value_is_unexpected_and_the_record_lost},
        {"ids_outside_the_id_space_are_unexpected",
         test_ids_outside_the_id_space_are_unexpected},
        {"id_not_expected_is_unexpected", test_id_not_expected_is_unexpected},
        {"malformed_lines_are_rejected", test_malformed_lines_are_rejected},
        {"malformed_line_error_quotes_the_line", test_malformed_line_error_quotes_the_line},
        {"line_is_parsed_up_to_its_length_only", test_line_is_parsed_up_to_its_length_only},
        {"expecting_the_same_id_twice_is_an_error",
         test_expecting_the_same_id_twice_is_an_error},
        {"expecting_outside_the_id_space_is_an_error",
         test_expecting_outside_the_id_space_is_an_error},
        {"expecting_a_value_longer_than_the_limit_is_an_error",
         test_expecting_a_value_longer_than_the_limit_is_an_error},
        {"describe_names_counts_and_example_ids", test_describe_names_counts_and_example_ids},
        {"examples_keep_the_first_ids_found_and_describe_elides_the_rest",
         test_examples_keep_the_first_ids_found_and_describe_elides_the_rest},
        {"describe_truncates_to_the_buffer", test_describe_truncates_to_the_buffer},
        {"empty_expected_and_empty_output_is_ok", test_empty_expected_and_empty_output_is_ok},
        {"output_with_nothing_expected_is_unexpected",
         test_output_with_nothing_expected_is_unexpected},
        {"empty_value_can_be_expected_and_observed",
         test_empty_value_can_be_expected_and_observed},
        {NULL, NULL},
    };
    sb_test_add_suite("exactly_once", cases);
}
