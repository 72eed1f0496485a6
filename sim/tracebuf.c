/* tracebuf.c — see tracebuf.h. */
#include "tracebuf.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACEBUF_CAP_MIN (64 * 1024)

void sb_tracebuf_init(sb_tracebuf_t *b)
{
    memset(b, 0, sizeof *b);
}

void sb_tracebuf_free(sb_tracebuf_t *b)
{
    free(b->data);
    sb_tracebuf_init(b);
}

/* Room for `more` bytes plus a NUL; false once past the bound. */
static bool reserve(sb_tracebuf_t *b, size_t more)
{
    if (b->overflow)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap == 0 ? TRACEBUF_CAP_MIN : b->cap;
    while (cap < b->len + more + 1 && cap < SB_TRACEBUF_BYTES_MAX)
        cap *= 2;
    if (cap > SB_TRACEBUF_BYTES_MAX)
        cap = SB_TRACEBUF_BYTES_MAX;
    char *d = cap >= b->len + more + 1 ? realloc(b->data, cap) : NULL;
    if (d == NULL) {
        b->overflow = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

/* Formats straight into the buffer; when the piece does not fit, grows the
 * buffer and formats again. */
static void vappend(sb_tracebuf_t *b, const char *fmt, va_list ap)
{
    if (!reserve(b, 256))
        return;
    va_list again;
    va_copy(again, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    assert(n >= 0);
    if ((size_t)n >= SB_TRACEBUF_LINE_BYTES_MAX) {
        b->overflow = true; /* a longer piece is a bug in the caller */
    } else if ((size_t)n < room) {
        b->len += (size_t)n;
    } else if (reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void sb_tracebuf_printf(sb_tracebuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(b, fmt, ap);
    va_end(ap);
}

void sb_tracebuf_begin(sb_tracebuf_t *b, const char *event, int64_t t_ns, int pid)
{
    sb_tracebuf_printf(b, "{\"event\":\"%s\",\"t_ns\":%" PRId64 ",\"pid\":%d", event, t_ns, pid);
}

void sb_tracebuf_end(sb_tracebuf_t *b)
{
    if (!reserve(b, 2))
        return;
    b->data[b->len++] = '}';
    b->data[b->len++] = '\n';
    b->data[b->len] = '\0';
    b->lines++;
}

int sb_tracebuf_each_line(const sb_tracebuf_t *b, int (*fn)(const char *line, size_t len, void *ctx),
                          void *ctx)
{
    size_t at = 0;
    while (at < b->len) {
        const char *nl = memchr(b->data + at, '\n', b->len - at);
        size_t end = nl != NULL ? (size_t)(nl - b->data) : b->len;
        int rc = fn(b->data + at, end - at, ctx);
        if (rc != 0)
            return rc;
        at = end + 1;
    }
    return 0;
}
