/* test_chstate.c — the channel state of one subtask in one checkpoint, as a
 * specification.
 *
 * The encoding is pinned byte for byte on a tiny case written by hand; the
 * rest checks that what is encoded decodes to the same records, input by
 * input and in order, that `records` and `bytes` agree with the encoding,
 * and that every malformed buffer (cut short anywhere, bad magic, stray
 * bytes, an unknown input, an oversized value) is an error naming the
 * object, never a crash. Appending to an input out of range is a programmer
 * error and is not tested here. */
#include <stdint.h>
#include <string.h>

#include "chstate.h"
#include "cu_helpers.h"

#define HEADER_BYTES 10        /* "SBCS1\n", u32 sections */
#define SECTION_BYTES 12       /* u32 input, u64 records */
#define RECORD_HEAD_BYTES 14   /* i32 partition, i64 offset, u16 value length */

static sb_record_t record(int32_t partition, int64_t offset, const char *value, uint16_t len)
{
    sb_record_t r;
    memset(&r, 0, sizeof r);
    r.partition = partition;
    r.offset = offset;
    r.value_len = len;
    memcpy(r.value, value, len);
    return r;
}

/* Same id and value; the bytes past value_len do not count. */
static bool record_equal(const sb_record_t *a, const sb_record_t *b)
{
    return a->partition == b->partition && a->offset == b->offset &&
           a->value_len == b->value_len && memcmp(a->value, b->value, a->value_len) == 0;
}

static void append_ok(sb_chstate_t *cs, int input, sb_record_t r)
{
    sb_err_t err = { "" };
    int rc = sb_chstate_append(cs, input, &r, &err);
    if (rc != 0)
        fprintf(stderr, "\n    append: %s\n", err.msg);
    CU_ASSERT_EQUAL(rc, 0);
}

/* Checkpoint 7 over 3 inputs: input 0 empty; input 1 one record (partition
 * 2, offset 1<<40 | 3, value "ab"); input 2 one record with an empty value
 * (partition 0, offset 5). */
static void tiny_state(sb_chstate_t *cs)
{
    sb_chstate_reset(cs, 7, 3);
    append_ok(cs, 1, record(2, (INT64_C(1) << 40) | 3, "ab", 2));
    append_ok(cs, 2, record(0, 5, "", 0));
}

static const unsigned char tiny_bytes[] = {
    'S', 'B', 'C', 'S', '1', '\n',
    2, 0, 0, 0,                               /* sections */
    1, 0, 0, 0,                               /* input 1 */
    1, 0, 0, 0, 0, 0, 0, 0,                   /* 1 record */
    2, 0, 0, 0,                               /* partition 2 */
    3, 0, 0, 0, 0, 1, 0, 0,                   /* offset 1<<40 | 3 */
    2, 0,                                     /* value length */
    'a', 'b',
    2, 0, 0, 0,                               /* input 2 */
    1, 0, 0, 0, 0, 0, 0, 0,                   /* 1 record */
    0, 0, 0, 0,                               /* partition 0 */
    5, 0, 0, 0, 0, 0, 0, 0,                   /* offset 5 */
    0, 0,                                     /* empty value */
};

/* Offsets of the parts of tiny_bytes, for the truncation messages. */
enum {
    TINY_SECTION1 = HEADER_BYTES,                              /* 10 */
    TINY_RECORD1 = TINY_SECTION1 + SECTION_BYTES,              /* 22 */
    TINY_VALUE1 = TINY_RECORD1 + RECORD_HEAD_BYTES,            /* 36 */
    TINY_SECTION2 = TINY_VALUE1 + 2,                           /* 38 */
    TINY_RECORD2 = TINY_SECTION2 + SECTION_BYTES,              /* 50 */
};

static int decode(sb_chstate_t *cs, int inputs, const void *buf, size_t len, sb_err_t *err)
{
    sb_chstate_reset(cs, 7, inputs);
    err->msg[0] = '\0';
    return sb_chstate_decode(cs, buf, len, "ck/7/chstate-3", err);
}

static void test_encoding_of_a_tiny_state_is_byte_exact(void)
{
    sb_chstate_t cs = { 0 };
    tiny_state(&cs);
    CU_ASSERT_EQUAL(cs.records, 2);
    CU_ASSERT_EQUAL(cs.bytes, sizeof tiny_bytes);
    char *buf = NULL;
    size_t len = 0;
    sb_err_t err = { "" };
    CU_ASSERT_EQUAL_FATAL(sb_chstate_encode(&cs, &buf, &len, &err), 0);
    CU_ASSERT_EQUAL(len, sizeof tiny_bytes);
    CU_ASSERT_EQUAL(memcmp(buf, tiny_bytes, sizeof tiny_bytes), 0);
    free(buf);
    sb_chstate_free(&cs);
}

static void test_empty_state_encodes_as_the_header_alone(void)
{
    sb_chstate_t cs = { 0 };
    sb_chstate_reset(&cs, 1, 4);
    CU_ASSERT_EQUAL(cs.records, 0);
    CU_ASSERT_EQUAL(cs.bytes, HEADER_BYTES);
    char *buf = NULL;
    size_t len = 0;
    sb_err_t err = { "" };
    CU_ASSERT_EQUAL_FATAL(sb_chstate_encode(&cs, &buf, &len, &err), 0);
    CU_ASSERT_EQUAL(len, HEADER_BYTES);
    CU_ASSERT_EQUAL(memcmp(buf, "SBCS1\n\0\0\0\0", HEADER_BYTES), 0);
    CU_ASSERT_EQUAL(decode(&cs, 4, buf, len, &err), 0);
    CU_ASSERT_EQUAL(cs.records, 0);
    CU_ASSERT_EQUAL(cs.bytes, HEADER_BYTES);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(cs.in[i].count, 0);
    free(buf);
    sb_chstate_free(&cs);
}

/* The records of input i in the round trip: none on inputs 0 and 4, empty
 * values on 1, 32-byte values on 2 (past the first 1024 of capacity), a
 * mix on 3; offsets around 1<<40. */
static size_t round_trip_count(int input)
{
    static const size_t counts[] = { 0, 3, 1500, 77, 0 };
    return counts[input];
}

static sb_record_t round_trip_record(int input, size_t k)
{
    char value[SB_VALUE_BYTES_MAX];
    for (int j = 0; j < SB_VALUE_BYTES_MAX; j++)
        value[j] = (char)(input * 31 + (int)k + j);
    uint16_t len = input == 1 ? 0 : input == 2 ? SB_VALUE_BYTES_MAX : (uint16_t)(k % 33);
    return record((int32_t)(k % 5), (INT64_C(1) << 40) + (int64_t)(k * 3) + input, value, len);
}

static void test_round_trip_keeps_every_input_in_order(void)
{
    enum { INPUTS = 5 };
    sb_chstate_t cs = { 0 }, back = { 0 };
    sb_chstate_reset(&cs, 12, INPUTS);
    size_t records = 0, bytes = HEADER_BYTES;
    /* Interleaved across inputs, as records arrive on a subtask. */
    for (size_t k = 0; k < 1500; k++)
        for (int i = 0; i < INPUTS; i++) {
            if (k >= round_trip_count(i))
                continue;
            sb_record_t r = round_trip_record(i, k);
            append_ok(&cs, i, r);
            records++;
            bytes += RECORD_HEAD_BYTES + r.value_len + (k == 0 ? SECTION_BYTES : 0);
        }
    CU_ASSERT_EQUAL(cs.records, records);
    CU_ASSERT_EQUAL(cs.bytes, bytes);

    char *buf = NULL;
    size_t len = 0;
    sb_err_t err = { "" };
    CU_ASSERT_EQUAL_FATAL(sb_chstate_encode(&cs, &buf, &len, &err), 0);
    CU_ASSERT_EQUAL(len, cs.bytes);
    sb_chstate_reset(&back, 12, INPUTS);
    int rc = sb_chstate_decode(&back, buf, len, "ck/12/chstate-0", &err);
    if (rc != 0)
        fprintf(stderr, "\n    decode: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(back.checkpoint_id, 12);
    CU_ASSERT_EQUAL(back.records, records);
    CU_ASSERT_EQUAL(back.bytes, len);
    for (int i = 0; i < INPUTS; i++) {
        CU_ASSERT_EQUAL_FATAL(back.in[i].count, round_trip_count(i));
        size_t bad = 0;
        for (size_t k = 0; k < back.in[i].count; k++) {
            sb_record_t want = round_trip_record(i, k);
            bad += !record_equal(&back.in[i].records[k], &want);
        }
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(buf);
    sb_chstate_free(&cs);
    sb_chstate_free(&back);
}

static void test_every_truncation_is_an_error_naming_the_object(void)
{
    sb_chstate_t cs = { 0 };
    sb_err_t err;
    for (size_t n = 0; n < sizeof tiny_bytes; n++) {
        CU_ASSERT_EQUAL(decode(&cs, 3, tiny_bytes, n, &err), -1);
        ASSERT_HAS(err.msg, "ck/7/chstate-3: ");
        ASSERT_HAS(err.msg, "cut short");
    }
    sb_chstate_free(&cs);
}

static void test_truncation_message_says_where_it_was_cut(void)
{
    static const struct {
        size_t len;
        const char *msg;
    } cases[] = {
        { 0, "ck/7/chstate-3: channel state cut short in the header at byte 0" },
        { 3, "ck/7/chstate-3: channel state cut short in the header at byte 0" },
        { 9, "ck/7/chstate-3: channel state cut short in the header at byte 0" },
        { TINY_SECTION1, "ck/7/chstate-3: channel state cut short in a section header at byte 10" },
        { TINY_RECORD1, "ck/7/chstate-3: channel state cut short in a record at byte 22" },
        { TINY_VALUE1 + 1, "ck/7/chstate-3: channel state cut short in a record's value at byte 36" },
        { TINY_SECTION2 + 11, "ck/7/chstate-3: channel state cut short in a section header at byte 38" },
        { TINY_RECORD2 + 13, "ck/7/chstate-3: channel state cut short in a record at byte 50" },
    };
    sb_chstate_t cs = { 0 };
    sb_err_t err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CU_ASSERT_EQUAL(decode(&cs, 3, tiny_bytes, cases[i].len, &err), -1);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fprintf(stderr, "\n    cut at %zu: %s\n    expected:  %s\n", cases[i].len, err.msg,
                    cases[i].msg);
        CU_ASSERT_STRING_EQUAL(err.msg, cases[i].msg);
    }
    sb_chstate_free(&cs);
}

static void test_bad_magic_is_an_error(void)
{
    unsigned char buf[sizeof tiny_bytes];
    memcpy(buf, tiny_bytes, sizeof buf);
    buf[4] = '2'; /* "SBCS2\n": a format this code does not know */
    sb_chstate_t cs = { 0 };
    sb_err_t err;
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof buf, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "ck/7/chstate-3: not a channel state (bad magic)");
    sb_chstate_free(&cs);
}

static void test_stray_trailing_bytes_are_an_error(void)
{
    unsigned char buf[sizeof tiny_bytes + 3];
    memcpy(buf, tiny_bytes, sizeof tiny_bytes);
    memset(buf + sizeof tiny_bytes, 0, 3);
    sb_chstate_t cs = { 0 };
    sb_err_t err;
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof tiny_bytes + 1, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "ck/7/chstate-3: 1 stray bytes after the channel state");
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof buf, &err), -1);
    ASSERT_HAS(err.msg, "3 stray bytes");
    /* The exact length decodes. */
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof tiny_bytes, &err), 0);
    CU_ASSERT_EQUAL(cs.records, 2);
    sb_chstate_free(&cs);
}

static void test_section_for_an_input_the_subtask_lacks_is_an_error(void)
{
    sb_chstate_t cs = { 0 };
    sb_err_t err;
    /* The tiny state has a section for input 2; a subtask with 2 inputs. */
    CU_ASSERT_EQUAL(decode(&cs, 2, tiny_bytes, sizeof tiny_bytes, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg,
                           "ck/7/chstate-3: channel state for input 2, but the subtask has 2");
    /* An input number that is negative as an int is out of range too. */
    unsigned char buf[sizeof tiny_bytes];
    memcpy(buf, tiny_bytes, sizeof buf);
    memset(buf + TINY_SECTION1, 0xff, 4);
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof buf, &err), -1);
    ASSERT_HAS(err.msg, "ck/7/chstate-3: channel state for input 4294967295");
    /* Past SB_BARRIER_INPUTS_MAX, even with a subtask claiming more. */
    memcpy(buf, tiny_bytes, sizeof buf);
    buf[TINY_SECTION1] = SB_BARRIER_INPUTS_MAX;
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof buf, &err), -1);
    ASSERT_HAS(err.msg, "channel state for input 64, but the subtask has 3");
    sb_chstate_free(&cs);
}

static void test_value_longer_than_the_maximum_is_an_error(void)
{
    unsigned char buf[sizeof tiny_bytes];
    memcpy(buf, tiny_bytes, sizeof buf);
    buf[TINY_VALUE1 - 2] = SB_VALUE_BYTES_MAX + 1;
    sb_chstate_t cs = { 0 };
    sb_err_t err;
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof buf, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg,
                           "ck/7/chstate-3: record of 113 bytes in channel state (at most 112)");
    /* A u16 length far past the buffer is rejected as too long, not read. */
    buf[TINY_VALUE1 - 2] = 0xff;
    buf[TINY_VALUE1 - 1] = 0xff;
    CU_ASSERT_EQUAL(decode(&cs, 3, buf, sizeof buf, &err), -1);
    ASSERT_HAS(err.msg, "record of 65535 bytes");
    sb_chstate_free(&cs);
}

static void test_append_past_the_byte_limit_fails_naming_the_checkpoint(void)
{
    sb_chstate_t cs = { 0 };
    sb_err_t err = { "" };
    sb_record_t r = record(0, 1, "", 0);
    /* The first record of an input costs its section header too: 26 bytes.
     * Exactly at the limit still fits. */
    sb_chstate_reset(&cs, 42, 1);
    cs.bytes = SB_CHSTATE_BYTES_MAX - (SECTION_BYTES + RECORD_HEAD_BYTES);
    CU_ASSERT_EQUAL(sb_chstate_append(&cs, 0, &r, &err), 0);
    CU_ASSERT_EQUAL(cs.bytes, SB_CHSTATE_BYTES_MAX);
    CU_ASSERT_EQUAL(sb_chstate_append(&cs, 0, &r, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "the channel state of checkpoint 42 exceeds 256 MiB");
    CU_ASSERT_EQUAL(cs.records, 1);
    CU_ASSERT_EQUAL(cs.in[0].count, 1);

    sb_chstate_reset(&cs, 43, 1);
    cs.bytes = SB_CHSTATE_BYTES_MAX - 5;
    err.msg[0] = '\0';
    CU_ASSERT_EQUAL(sb_chstate_append(&cs, 0, &r, &err), -1);
    ASSERT_HAS(err.msg, "checkpoint 43");
    CU_ASSERT_EQUAL(cs.records, 0);
    CU_ASSERT_EQUAL(cs.in[0].count, 0);
    CU_ASSERT_EQUAL(cs.bytes, SB_CHSTATE_BYTES_MAX - 5);
    sb_chstate_free(&cs);
}

static void test_reset_empties_but_keeps_memory(void)
{
    sb_chstate_t cs = { 0 };
    tiny_state(&cs);
    sb_record_t *kept = cs.in[1].records;
    size_t cap = cs.in[1].cap;
    CU_ASSERT_PTR_NOT_NULL(kept);
    sb_chstate_reset(&cs, 8, 2);
    CU_ASSERT_EQUAL(cs.checkpoint_id, 8);
    CU_ASSERT_EQUAL(cs.inputs, 2);
    CU_ASSERT_EQUAL(cs.records, 0);
    CU_ASSERT_EQUAL(cs.bytes, HEADER_BYTES);
    CU_ASSERT_EQUAL(cs.in[1].count, 0);
    CU_ASSERT_EQUAL(cs.in[2].count, 0);
    CU_ASSERT_PTR_EQUAL(cs.in[1].records, kept);
    CU_ASSERT_EQUAL(cs.in[1].cap, cap);

    /* Appending works again, and only the new record is encoded. */
    append_ok(&cs, 1, record(2, (INT64_C(1) << 40) | 3, "ab", 2));
    CU_ASSERT_PTR_EQUAL(cs.in[1].records, kept);
    char *buf = NULL;
    size_t len = 0;
    sb_err_t err = { "" };
    CU_ASSERT_EQUAL_FATAL(sb_chstate_encode(&cs, &buf, &len, &err), 0);
    CU_ASSERT_EQUAL(len, TINY_SECTION2);
    CU_ASSERT_EQUAL(len, cs.bytes);
    CU_ASSERT_EQUAL(memcmp(buf, "SBCS1\n\1\0\0\0", HEADER_BYTES), 0);
    CU_ASSERT_EQUAL(memcmp(buf + HEADER_BYTES, tiny_bytes + HEADER_BYTES, len - HEADER_BYTES), 0);
    free(buf);
    sb_chstate_free(&cs);
}

static void test_free_is_idempotent(void)
{
    sb_chstate_t never = { 0 };
    sb_chstate_free(&never);
    sb_chstate_t cs = { 0 };
    tiny_state(&cs);
    sb_chstate_free(&cs);
    for (int i = 0; i < SB_BARRIER_INPUTS_MAX; i++) {
        CU_ASSERT_PTR_NULL(cs.in[i].records);
        CU_ASSERT_EQUAL(cs.in[i].count, 0);
        CU_ASSERT_EQUAL(cs.in[i].cap, 0);
    }
    sb_chstate_free(&cs);
    /* And it can be used again after a reset. */
    tiny_state(&cs);
    CU_ASSERT_EQUAL(cs.records, 2);
    sb_chstate_free(&cs);
}

void test_chstate_register(void)
{
#define T(f) { #f, f }
    static const sb_test_case_t cases[] = {
        T(test_encoding_of_a_tiny_state_is_byte_exact),
        T(test_empty_state_encodes_as_the_header_alone),
        T(test_round_trip_keeps_every_input_in_order),
        T(test_every_truncation_is_an_error_naming_the_object),
        T(test_truncation_message_says_where_it_was_cut),
        T(test_bad_magic_is_an_error),
        T(test_stray_trailing_bytes_are_an_error),
        T(test_section_for_an_input_the_subtask_lacks_is_an_error),
        T(test_value_longer_than_the_maximum_is_an_error),
        T(test_append_past_the_byte_limit_fails_naming_the_checkpoint),
        T(test_reset_empties_but_keeps_memory),
        T(test_free_is_idempotent),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("chstate", cases);
}
