/* tracebuf.h — trace lines collected in memory.
 *
 * The simulator's loop does no I/O: each trace event is appended to this
 * buffer as one JSON line, and the caller writes the buffer out (or checks
 * it) after the run. Lines are formatted by hand, not through jansson: the
 * loop may write millions of them, and the bytes must be the same on every
 * run of a seed. The buffer grows by doubling up to SB_TRACEBUF_BYTES_MAX;
 * past it the buffer stops taking lines and says so (`overflow`), and the
 * run is an error, never a silently shortened trace. */
#ifndef SB_TRACEBUF_H
#define SB_TRACEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_TRACEBUF_BYTES_MAX ((size_t)1 << 30)
#define SB_TRACEBUF_LINE_BYTES_MAX 65536

typedef struct sb_tracebuf {
    char *data;
    size_t len, cap;
    int64_t lines;
    bool overflow;               /* a line did not fit: the trace is unusable */
} sb_tracebuf_t;

void sb_tracebuf_init(sb_tracebuf_t *b);
void sb_tracebuf_free(sb_tracebuf_t *b);

/* Appends printf-formatted text (no newline added). */
void sb_tracebuf_printf(sb_tracebuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens a line: {"event":"E","t_ns":T,"pid":P — the caller adds
 * ,"field":value pairs with sb_tracebuf_printf and closes it. */
void sb_tracebuf_begin(sb_tracebuf_t *b, const char *event, int64_t t_ns, int pid);
/* Closes a line: }\n. */
void sb_tracebuf_end(sb_tracebuf_t *b);

/* Calls fn on each line (without its newline), in order; stops at the
 * first non-zero return, which it returns. */
int sb_tracebuf_each_line(const sb_tracebuf_t *b, int (*fn)(const char *line, size_t len, void *ctx),
                          void *ctx);

#endif
