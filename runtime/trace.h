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
 * line elsewhere is an error naming the line number. */
typedef int (*sb_trace_visit_fn)(json_t *event, void *ctx);
int sb_trace_read(const char *path, sb_trace_visit_fn fn, void *ctx,
                  int *truncated_out, sb_err_t *err);

#endif
