/* exactly_once.c — the exactly-once checker (see exactly_once.h).
 *
 * State is dense per partition, indexed by (offset - low): an expected flag,
 * a saturating seen-count, and the expected value as (start, length) in one
 * shared byte arena. Nothing is allocated per observed record, so millions of
 * output lines cost one parse and a few array reads each.
 *
 * Rules, as the checker applies them:
 * - An observed record whose id is outside the id space, is not expected, or
 *   whose value differs from the expected one is unexpected. A wrong-valued
 *   copy does not count as a sighting of the expected record, so if the right
 *   value never shows up the id is also lost.
 * - Each extra correct copy of an expected record is one duplicate (seen 3
 *   times -> 2 duplicates), whether the copies are in one stream or several.
 * - Out of order (only when check_order): within the current stream, a record
 *   whose offset is <= the last offset observed for its partition in that
 *   stream. "Last" is the previous record, not the maximum: 1,2,5,3,4 has one
 *   violation (3). A duplicate re-read that goes backwards in one stream is
 *   therefore both duplicated and out of order. Records of a partition in two
 *   different streams never constrain each other. Ids outside the id space
 *   have no order slot and are only unexpected.
 * - Values longer than SB_EO_VALUE_BYTES_MAX cannot be expected (error); an
 *   observed value that long can never match and is unexpected. */
#include "exactly_once.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_EO_ARENA_BYTES_MIN 4096
#define SB_EO_SEEN_MAX UINT16_MAX
#define SB_EO_LINE_QUOTE_BYTES_MAX 80 /* bytes of a bad line quoted in errors */

typedef struct sb_eo_partition {
    int64_t low;              /* first offset of the id space */
    int64_t high;             /* one past the last offset */
    uint8_t *expected;        /* [high - low]: 1 when expected */
    uint16_t *seen;           /* [high - low]: correct copies seen, saturating */
    uint8_t *value_len;       /* [high - low]: bytes of the expected value */
    uint64_t *value_start;    /* [high - low]: index into the arena */
    uint64_t last_stream;     /* stream of last_offset; 0 = none yet */
    int64_t last_offset;      /* last offset observed in last_stream */
} sb_eo_partition_t;

struct sb_eo {
    int partitions;
    sb_eo_partition_t *part;  /* [partitions] */
    bool check_order;
    bool finished;
    uint64_t stream;          /* current stream, starting at 1 */
    char *arena;              /* expected values, back to back */
    uint64_t arena_bytes;
    uint64_t arena_bytes_cap;
    sb_eo_report_t report;    /* counts gathered while observing */
};

static void sb_eo_example_add(sb_eo_id_t *examples, int *count,
                              int32_t partition, int64_t offset)
{
    assert(*count >= 0 && *count <= SB_EO_EXAMPLES_MAX);
    if (*count == SB_EO_EXAMPLES_MAX)
        return;
    examples[*count].partition = partition;
    examples[*count].offset = offset;
    (*count)++;
}

static void sb_eo_partition_free(sb_eo_partition_t *p)
{
    free(p->expected);
    free(p->seen);
    free(p->value_len);
    free(p->value_start);
}

static int sb_eo_partition_init(sb_eo_partition_t *p, int64_t low, int64_t high)
{
    assert(low >= 0);
    assert(low <= high);
    p->low = low;
    p->high = high;
    p->last_stream = 0;
    p->last_offset = -1;
    uint64_t span = (uint64_t)(high - low);
    if (span > SIZE_MAX / sizeof(uint64_t))
        return -1;
    size_t n = span == 0 ? 1 : (size_t)span; /* calloc(0) may return NULL */
    p->expected = calloc(n, sizeof *p->expected);
    p->seen = calloc(n, sizeof *p->seen);
    p->value_len = calloc(n, sizeof *p->value_len);
    p->value_start = calloc(n, sizeof *p->value_start);
    if (p->expected == NULL || p->seen == NULL || p->value_len == NULL ||
        p->value_start == NULL)
        return -1;
    return 0;
}

sb_eo_t *sb_eo_new(int partitions, const int64_t *low, const int64_t *high,
                   bool check_order)
{
    assert(partitions >= 0);
    assert(partitions == 0 || (low != NULL && high != NULL));
    sb_eo_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->check_order = check_order;
    c->stream = 1;
    c->part = calloc(partitions == 0 ? 1 : (size_t)partitions, sizeof *c->part);
    if (c->part == NULL) {
        free(c);
        return NULL;
    }
    for (int p = 0; p < partitions; p++) {
        c->partitions = p + 1; /* so that sb_eo_free releases a partial init */
        if (sb_eo_partition_init(&c->part[p], low[p], high[p]) != 0) {
            sb_eo_free(c);
            return NULL;
        }
    }
    c->partitions = partitions;
    return c;
}

void sb_eo_free(sb_eo_t *c)
{
    if (c == NULL)
        return;
    for (int p = 0; p < c->partitions; p++)
        sb_eo_partition_free(&c->part[p]);
    free(c->part);
    free(c->arena);
    free(c);
}

/* The partition's slot for the id, or NULL when the id is outside the space. */
static sb_eo_partition_t *sb_eo_partition_of(sb_eo_t *c, int32_t partition,
                                             int64_t offset)
{
    if (partition < 0 || partition >= c->partitions)
        return NULL;
    sb_eo_partition_t *p = &c->part[partition];
    if (offset < p->low || offset >= p->high)
        return NULL;
    return p;
}

static int sb_eo_arena_reserve(sb_eo_t *c, size_t bytes)
{
    if (c->arena_bytes + bytes <= c->arena_bytes_cap)
        return 0;
    uint64_t cap = c->arena_bytes_cap == 0 ? SB_EO_ARENA_BYTES_MIN : c->arena_bytes_cap;
    while (cap < c->arena_bytes + bytes)
        cap *= 2;
    if (cap > SIZE_MAX)
        return -1;
    char *arena = realloc(c->arena, (size_t)cap);
    if (arena == NULL)
        return -1;
    c->arena = arena;
    c->arena_bytes_cap = cap;
    return 0;
}

int sb_eo_expect(sb_eo_t *c, int32_t partition, int64_t offset,
                 const char *value, size_t value_len, sb_err_t *err)
{
    assert(c != NULL);
    assert(!c->finished);
    assert(value != NULL || value_len == 0);
    sb_eo_partition_t *p = sb_eo_partition_of(c, partition, offset);
    if (p == NULL) {
        if (partition < 0 || partition >= c->partitions)
            return sb_err_set(err, "cannot expect record %d:%lld: partition outside "
                              "the id space (%d partitions)",
                              (int)partition, (long long)offset, c->partitions);
        return sb_err_set(err, "cannot expect record %d:%lld: offset outside the id "
                          "space of partition %d [%lld, %lld)",
                          (int)partition, (long long)offset, (int)partition,
                          (long long)c->part[partition].low,
                          (long long)c->part[partition].high);
    }
    size_t i = (size_t)(offset - p->low);
    if (p->expected[i])
        return sb_err_set(err, "cannot expect record %d:%lld twice",
                          (int)partition, (long long)offset);
    if (value_len > SB_EO_VALUE_BYTES_MAX)
        return sb_err_set(err, "cannot expect record %d:%lld: value of %zu bytes "
                          "is longer than the %d bytes kept for comparison",
                          (int)partition, (long long)offset, value_len,
                          SB_EO_VALUE_BYTES_MAX);
    if (sb_eo_arena_reserve(c, value_len) != 0)
        return sb_err_errno(err, ENOMEM, "cannot expect record %d:%lld: growing the "
                            "value arena beyond %llu bytes",
                            (int)partition, (long long)offset,
                            (unsigned long long)c->arena_bytes);
    if (value_len > 0)
        memcpy(c->arena + c->arena_bytes, value, value_len);
    p->value_start[i] = c->arena_bytes;
    p->value_len[i] = (uint8_t)value_len;
    p->expected[i] = 1;
    c->arena_bytes += value_len;
    c->report.expected++;
    return 0;
}

void sb_eo_begin_stream(sb_eo_t *c)
{
    assert(c != NULL);
    assert(!c->finished);
    /* Bumping the stream number invalidates every partition's last offset at
     * once, without a pass over the partitions. */
    c->stream++;
}

static void sb_eo_check_order(sb_eo_t *c, sb_eo_partition_t *p,
                              int32_t partition, int64_t offset)
{
    sb_eo_report_t *r = &c->report;
    if (p->last_stream == c->stream && offset <= p->last_offset) {
        r->out_of_order++;
        sb_eo_example_add(r->out_of_order_examples, &r->out_of_order_examples_count,
                          partition, offset);
    }
    p->last_stream = c->stream;
    p->last_offset = offset;
}

static void sb_eo_unexpected(sb_eo_report_t *r, int32_t partition, int64_t offset)
{
    r->unexpected++;
    sb_eo_example_add(r->unexpected_examples, &r->unexpected_examples_count,
                      partition, offset);
}

void sb_eo_observe(sb_eo_t *c, int32_t partition, int64_t offset,
                   const char *value, size_t value_len)
{
    assert(c != NULL);
    assert(!c->finished);
    assert(value != NULL || value_len == 0);
    sb_eo_report_t *r = &c->report;
    r->observed++;
    sb_eo_partition_t *p = sb_eo_partition_of(c, partition, offset);
    if (p == NULL) {
        sb_eo_unexpected(r, partition, offset);
        return;
    }
    if (c->check_order)
        sb_eo_check_order(c, p, partition, offset);
    size_t i = (size_t)(offset - p->low);
    if (!p->expected[i] || p->value_len[i] != value_len ||
        (value_len > 0 && memcmp(c->arena + p->value_start[i], value, value_len) != 0)) {
        sb_eo_unexpected(r, partition, offset);
        return;
    }
    if (p->seen[i] == 0) {
        r->distinct++;
    } else {
        r->duplicated++;
        sb_eo_example_add(r->duplicated_examples, &r->duplicated_examples_count,
                          partition, offset);
    }
    if (p->seen[i] < SB_EO_SEEN_MAX)
        p->seen[i]++;
}

/* Quotes up to SB_EO_LINE_QUOTE_BYTES_MAX bytes of a line for an error
 * message, escaping bytes that would garble it. */
static void sb_eo_line_quote(const char *line, size_t len, char *out, size_t out_len)
{
    assert(out_len >= 4 * SB_EO_LINE_QUOTE_BYTES_MAX + 4);
    size_t o = 0;
    size_t n = len < SB_EO_LINE_QUOTE_BYTES_MAX ? len : SB_EO_LINE_QUOTE_BYTES_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '\'' || ch == '\\')
            o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    if (n < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    assert(o < out_len);
    out[o] = '\0';
}

static int sb_eo_line_malformed(const char *line, size_t len, const char *why,
                                sb_err_t *err)
{
    char quoted[4 * SB_EO_LINE_QUOTE_BYTES_MAX + 4];
    sb_eo_line_quote(line, len, quoted, sizeof quoted);
    return sb_err_set(err, "malformed output line '%s': expected "
                      "'<partition>:<offset> <VALUE>' (%s)", quoted, why);
}

/* Parses decimal digits at line[*at] up to a value of max; advances *at.
 * Returns -1 on no digits or overflow. */
static int sb_eo_parse_digits(const char *line, size_t len, size_t *at,
                              int64_t max, int64_t *out)
{
    size_t i = *at;
    int64_t v = 0;
    while (i < len && line[i] >= '0' && line[i] <= '9') {
        int d = line[i] - '0';
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
        i++;
    }
    if (i == *at)
        return -1;
    *at = i;
    *out = v;
    return 0;
}

int sb_eo_observe_line(sb_eo_t *c, const char *line, size_t len, sb_err_t *err)
{
    assert(c != NULL);
    assert(line != NULL || len == 0);
    size_t at = 0;
    int64_t partition = 0;
    int64_t offset = 0;
    if (sb_eo_parse_digits(line, len, &at, INT32_MAX, &partition) != 0)
        return sb_eo_line_malformed(line, len, "partition is not a decimal number "
                                    "up to 2147483647", err);
    if (at == len || line[at] != ':')
        return sb_eo_line_malformed(line, len, "no ':' after the partition", err);
    at++;
    if (sb_eo_parse_digits(line, len, &at, INT64_MAX, &offset) != 0)
        return sb_eo_line_malformed(line, len, "offset is not a decimal number "
                                    "up to 9223372036854775807", err);
    if (at == len || line[at] != ' ')
        return sb_eo_line_malformed(line, len, "no space after the offset", err);
    at++;
    if (at == len)
        return sb_eo_line_malformed(line, len, "empty value", err);
    if (line[at] == ' ')
        return sb_eo_line_malformed(line, len, "more than one space before the value",
                                    err);
    /* A control byte in the value is a newline or CR left by the caller, or a
     * binary object read as text: either way not an output line. */
    for (size_t i = at; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch < 0x20 || ch == 0x7f)
            return sb_eo_line_malformed(line, len, "control byte in the value", err);
    }
    sb_eo_observe(c, (int32_t)partition, offset, line + at, len - at);
    return 0;
}

void sb_eo_finish(sb_eo_t *c, sb_eo_report_t *r)
{
    assert(c != NULL);
    assert(r != NULL);
    assert(!c->finished);
    c->finished = true;
    sb_eo_report_t *cr = &c->report;
    for (int32_t pi = 0; pi < c->partitions; pi++) {
        const sb_eo_partition_t *p = &c->part[pi];
        size_t span = (size_t)(p->high - p->low);
        for (size_t i = 0; i < span; i++) {
            if (p->expected[i] && p->seen[i] == 0) {
                cr->lost++;
                sb_eo_example_add(cr->lost_examples, &cr->lost_examples_count, pi,
                                  p->low + (int64_t)i);
            }
        }
    }
    assert(cr->distinct + cr->lost == cr->expected);
    assert(cr->distinct + cr->duplicated + cr->unexpected == cr->observed);
    *r = *cr;
}

bool sb_eo_report_ok(const sb_eo_report_t *r)
{
    assert(r != NULL);
    return r->lost == 0 && r->duplicated == 0 && r->unexpected == 0 &&
           r->out_of_order == 0;
}

/* Appends to buf at *used, truncating silently at len (snprintf semantics). */
static void sb_eo_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void sb_eo_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *used += (size_t)n < len - *used ? (size_t)n : len - *used;
}

static void sb_eo_describe_kind(char *buf, size_t len, size_t *used, const char *name,
                                int64_t count, const sb_eo_id_t *examples,
                                int examples_count)
{
    sb_eo_append(buf, len, used, "%s%s %lld", *used == 0 ? "" : "; ", name,
                 (long long)count);
    if (examples_count == 0)
        return;
    for (int i = 0; i < examples_count; i++)
        sb_eo_append(buf, len, used, "%s%d:%lld", i == 0 ? " (e.g. " : ", ",
                     (int)examples[i].partition, (long long)examples[i].offset);
    sb_eo_append(buf, len, used, "%s)", count > examples_count ? ", ..." : "");
}

void sb_eo_report_describe(const sb_eo_report_t *r, char *buf, size_t len)
{
    assert(r != NULL);
    assert(buf != NULL || len == 0);
    if (len == 0)
        return;
    buf[0] = '\0';
    if (sb_eo_report_ok(r)) {
        snprintf(buf, len, "no violations");
        return;
    }
    size_t used = 0;
    sb_eo_describe_kind(buf, len, &used, "lost", r->lost, r->lost_examples,
                        r->lost_examples_count);
    sb_eo_describe_kind(buf, len, &used, "duplicated", r->duplicated,
                        r->duplicated_examples, r->duplicated_examples_count);
    sb_eo_describe_kind(buf, len, &used, "unexpected", r->unexpected,
                        r->unexpected_examples, r->unexpected_examples_count);
    sb_eo_describe_kind(buf, len, &used, "out of order", r->out_of_order,
                        r->out_of_order_examples, r->out_of_order_examples_count);
}
