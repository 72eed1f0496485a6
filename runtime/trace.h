/* trace.h — trace.jsonl, one JSON object a line.
 *
 * Every line is written with a single write() to a file opened with
 * O_APPEND, so the supervisor, every worker incarnation and every thread can
 * share the file without interleaving inside a line. Each event carries
 * "t_ns" (CLOCK_MONOTONIC), "pid" and "event". Events are per checkpoint and
 * per task, not per record, so a syscall per event is cheap enough. */
#ifndef SB_TRACE_H
#define SB_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define SB_TRACE_LINE_BYTES_MAX 65536

typedef struct sb_trace {
    int fd;
} sb_trace_t;

int sb_trace_open(sb_trace_t *t, const char *path, sb_err_t *err);
void sb_trace_close(sb_trace_t *t);

/* Adds t_ns, pid and event to `fields` (which it takes ownership of; may be
 * NULL) and appends the line. Returns -1 if the write fails. */
int sb_trace_emit(sb_trace_t *t, const char *event, json_t *fields);

/* Appends complete lines (each ending in '\n', each one JSON object with
 * t_ns, pid and event) with one write(): a writer's own buffer of record
 * events, flushed whole so that no line is ever split. */
int sb_trace_write_lines(sb_trace_t *t, const char *lines, size_t len);

/* Reads a trace, calling fn for each complete line's JSON object. A final
 * line cut short by a crash is skipped (*truncated_out set to 1); a malformed
 * line elsewhere is an error naming the line number, and so are a line
 * longer than SB_TRACE_LINE_BYTES_MAX and a line equal to the one before it
 * (no writer writes one: every line has its own t_ns). */
typedef int (*sb_trace_visit_fn)(json_t *event, void *ctx);
int sb_trace_read(const char *path, sb_trace_visit_fn fn, void *ctx,
                  int *truncated_out, sb_err_t *err);

/* The event a finished run writes last: the supervisor's (or the
 * simulator's) verdict line, after every worker has ended. A trace whose
 * last complete line is another event is incomplete: cut short, or its run
 * is still going (docs/trace.md). */
#define SB_TRACE_LAST_EVENT "run_finished"

typedef struct sb_trace_end {
    int64_t lines;             /* complete lines */
    char last_event[64];       /* the last complete line's event; "?" when
                                  it has none, "" when there is no line */
    bool cut;                  /* a cut line follows the last complete one */
    bool finished;             /* last_event is SB_TRACE_LAST_EVENT */
} sb_trace_end_t;

/* Where a trace ends: counts its lines and reads the last. -1 (err) when
 * it cannot be read or a line is longer than SB_TRACE_LINE_BYTES_MAX. */
int sb_trace_end(const char *path, sb_trace_end_t *end, sb_err_t *err);

/* One sentence for an unfinished trace: "PATH ends at line N (EVENT)
 * without run_finished: the trace is incomplete (...)". */
void sb_trace_end_describe(const char *path, const sb_trace_end_t *end, char *buf, size_t len);

#endif
