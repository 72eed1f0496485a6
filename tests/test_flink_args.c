/* test_flink_args.c — the placeholders of a user's Flink job arguments
 * (runtime/flink_args.h): known ones expand, unknown and unclosed ones are
 * refused, and a result that does not fit is refused, not cut. */
#include <string.h>

#include "cu_helpers.h"
#include "flink_args.h"

static const char *const values[SB_FLINK_ARG_COUNT_] = {
    [SB_FLINK_ARG_BOOTSTRAP] = "127.0.0.1:9092,127.0.0.1:9094",
    [SB_FLINK_ARG_TOPIC] = "in-run1",
    [SB_FLINK_ARG_OUT] = "/runs/r/output",
    [SB_FLINK_ARG_CHECKPOINTS] = "file:///runs/r/checkpoints",
    [SB_FLINK_ARG_PARALLELISM] = "2",
    [SB_FLINK_ARG_CHECKPOINT_INTERVAL_MS] = "500",
    [SB_FLINK_ARG_CHECKPOINT_MODE] = "EXACTLY_ONCE",
    [SB_FLINK_ARG_RECORDS_PER_S] = "0",
    [SB_FLINK_ARG_JOB_NAME] = "r-1a2b3c",
};

static void test_placeholders_expand_anywhere_in_an_argument(void)
{
    char out[256];
    CU_ASSERT_EQUAL(sb_flink_arg_expand("--brokers={bootstrap}", values, out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "--brokers=127.0.0.1:9092,127.0.0.1:9094");
    CU_ASSERT_EQUAL(sb_flink_arg_expand("{out}/{job_name}-{parallelism}", values, out,
                                        sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "/runs/r/output/r-1a2b3c-2");
    CU_ASSERT_EQUAL(sb_flink_arg_expand("plain", values, out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "plain");
    char bad[64] = "";
    CU_ASSERT_EQUAL(sb_flink_arg_check("{checkpoints}{checkpoint_mode}", bad, sizeof bad), 0);
}

static void test_unknown_unclosed_and_too_long_are_refused(void)
{
    char bad[64] = "", out[16];
    CU_ASSERT_EQUAL(sb_flink_arg_check("--x={bootstrp}", bad, sizeof bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "{bootstrp}");
    CU_ASSERT_EQUAL(sb_flink_arg_check("{topic", bad, sizeof bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "{topic");
    CU_ASSERT_EQUAL(sb_flink_arg_expand("{nope}", values, out, sizeof out), -1);
    /* the negative control of the bound: 16 bytes cannot hold the brokers */
    CU_ASSERT_EQUAL(sb_flink_arg_expand("{bootstrap}", values, out, sizeof out), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(sb_flink_args_known(), "{checkpoint_interval_ms}"));
}

void test_flink_args_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_placeholders_expand_anywhere_in_an_argument),
        T(test_unknown_unclosed_and_too_long_are_refused),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("flink_args", cases);
}
