/* exactly_once.h — the exactly-once checker, pure (no I/O).
 *
 * A record's id is (partition, offset) in the input topic. The caller feeds
 * the expected output — filter(map(input)), record by record — and then the
 * actual output: every record of every published sink object, stream by
 * stream (one stream per sink subtask, its objects in checkpoint order, the
 * lines of each object in order). The checker reports records lost (expected,
 * never seen), duplicated (seen more than once; counted once per extra copy),
 * unexpected (an id that is not expected, or a value that differs from the
 * expected one) and out of order (within one stream, a partition's offsets
 * must increase; only checked when the caller says the job graph promises
 * it). Memory is proportional to the id space (offsets are dense per
 * partition), not to a hash of ids. */
#ifndef SB_EXACTLY_ONCE_H
#define SB_EXACTLY_ONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SB_EO_EXAMPLES_MAX 5       /* ids kept per kind of violation */
#define SB_EO_VALUE_BYTES_MAX 128  /* longest value kept for comparison (above the
                                      runtime's, so a padded input fits) */

typedef struct sb_eo_id {
    int32_t partition;
    int64_t offset;
} sb_eo_id_t;

typedef struct sb_eo_report {
    int64_t expected;        /* records expected in the output */
    int64_t observed;        /* records read from published objects */
    int64_t distinct;        /* expected ids seen at least once */
    int64_t lost;
    int64_t duplicated;
    int64_t unexpected;
    int64_t out_of_order;
    sb_eo_id_t lost_examples[SB_EO_EXAMPLES_MAX];
    sb_eo_id_t duplicated_examples[SB_EO_EXAMPLES_MAX];
    sb_eo_id_t unexpected_examples[SB_EO_EXAMPLES_MAX];
    sb_eo_id_t out_of_order_examples[SB_EO_EXAMPLES_MAX];
    int lost_examples_count, duplicated_examples_count;
    int unexpected_examples_count, out_of_order_examples_count;
} sb_eo_report_t;

typedef struct sb_eo sb_eo_t;

/* The id space: partition p holds offsets [low[p], high[p]). */
sb_eo_t *sb_eo_new(int partitions, const int64_t *low, const int64_t *high,
                   bool check_order);
void sb_eo_free(sb_eo_t *c);

/* An expected output record. Returns -1 if the id is outside the id space or
 * expected twice. */
int sb_eo_expect(sb_eo_t *c, int32_t partition, int64_t offset,
                 const char *value, size_t value_len, sb_err_t *err);

/* Starts a new output stream (a sink subtask); order is checked per stream. */
void sb_eo_begin_stream(sb_eo_t *c);

/* One record read from a published object, in order. */
void sb_eo_observe(sb_eo_t *c, int32_t partition, int64_t offset,
                   const char *value, size_t value_len);

/* Parses one output line "<partition>:<offset> <VALUE>" (no newline) and
 * observes it. Returns -1 on a malformed line. */
int sb_eo_observe_line(sb_eo_t *c, const char *line, size_t len, sb_err_t *err);

/* Computes the report; may be called once, after all streams. */
void sb_eo_finish(sb_eo_t *c, sb_eo_report_t *r);

/* True when nothing was lost, duplicated, unexpected or out of order. */
bool sb_eo_report_ok(const sb_eo_report_t *r);

/* Writes a one-paragraph description of the violations with example ids,
 * e.g. "lost 3 (0:17, 2:40, …); duplicated 12 (1:5, …)". */
void sb_eo_report_describe(const sb_eo_report_t *r, char *buf, size_t len);

#endif
