/* trace.c — see trace.h. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int sb_trace_open(sb_trace_t *t, const char *path, sb_err_t *err)
{
    t->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (t->fd < 0)
        return sb_err_errno(err, errno, "cannot open trace %s", path);
    return 0;
}

void sb_trace_close(sb_trace_t *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

int sb_trace_emit(sb_trace_t *t, const char *event, json_t *fields)
{
    json_t *o = fields != NULL ? fields : json_object();
    json_object_set_new(o, "t_ns", json_integer(sb_clock_now_ns()));
    json_object_set_new(o, "pid", json_integer(getpid()));
    json_object_set_new(o, "event", json_string(event));
    char buf[SB_TRACE_LINE_BYTES_MAX];
    size_t n = json_dumpb(o, buf, sizeof buf - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (n == 0 || n >= sizeof buf - 1 || t->fd < 0)
        return -1;
    buf[n++] = '\n';
    /* One write() per line: O_APPEND makes it atomic with respect to other
     * writers of the same file. */
    ssize_t w = write(t->fd, buf, n);
    return w == (ssize_t)n ? 0 : -1;
}

int sb_trace_write_lines(sb_trace_t *t, const char *lines, size_t len)
{
    if (t->fd < 0)
        return -1;
    ssize_t w = write(t->fd, lines, len);
    return w == (ssize_t)len ? 0 : -1;
}

/* A bounded line reader: a line longer than SB_TRACE_LINE_BYTES_MAX is an
 * error, found without reading it whole (getline would allocate as much as
 * the file holds). Lines may hold NUL bytes; the length says where they end. */
typedef struct line_reader {
    const char *path;
    FILE *f;
    char *buf;                  /* SB_TRACE_LINE_BYTES_MAX + 1 bytes */
    size_t start, end;          /* unread bytes: buf[start, end) */
    bool eof;
    char *kept;                 /* a copy of one line, as long as buf */
    size_t kept_len;
    int64_t line_no;            /* of the line last returned */
} line_reader_t;

static void reader_close(line_reader_t *r)
{
    free(r->buf);
    free(r->kept);
    if (r->f != NULL)
        fclose(r->f);
}

static int reader_open(line_reader_t *r, const char *path, sb_err_t *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = fopen(path, "r");
    if (r->f == NULL)
        return sb_err_errno(err, errno, "cannot open trace %s", path);
    r->buf = malloc(SB_TRACE_LINE_BYTES_MAX + 1);
    r->kept = malloc(SB_TRACE_LINE_BYTES_MAX + 1);
    if (r->buf == NULL || r->kept == NULL) {
        reader_close(r);
        return sb_err_set(err, "out of memory reading trace %s", path);
    }
    return 0;
}

/* 1 and *line, *len (the newline included when there is one) for the next
 * line; 0 at the end of the file; -1 for a line too long. */
static int next_line(line_reader_t *r, const char **line, size_t *len)
{
    const size_t cap = SB_TRACE_LINE_BYTES_MAX + 1;
    for (;;) {
        const char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl != NULL || (r->eof && r->start < r->end)) {
            *line = r->buf + r->start;
            *len = nl != NULL ? (size_t)(nl - *line) + 1 : r->end - r->start;
            r->start += *len;
            r->line_no++;
            return 1;
        }
        if (r->eof)
            return 0;
        if (r->start > 0) { /* keep the partial line, make room after it */
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        if (r->end == cap)
            return -1;
        size_t n = fread(r->buf + r->end, 1, cap - r->end, r->f);
        r->end += n;
        if (n == 0)
            r->eof = true;
    }
}

static void reader_keep(line_reader_t *r, const char *line, size_t len)
{
    memcpy(r->kept, line, len);
    r->kept_len = len;
}

/* After the last next_line (which returned `got`): the error it ended on. */
static int reader_status(const line_reader_t *r, int got, sb_err_t *err)
{
    if (got < 0)
        return sb_err_set(err, "%s:%" PRId64 ": trace line longer than %d bytes (no writer "
                          "writes one)", r->path, r->line_no + 1, SB_TRACE_LINE_BYTES_MAX);
    if (ferror(r->f))
        return sb_err_errno(err, EIO, "cannot read trace %s", r->path);
    return 0;
}

int sb_trace_read(const char *path, sb_trace_visit_fn fn, void *ctx,
                  int *truncated_out, sb_err_t *err)
{
    line_reader_t r;
    if (reader_open(&r, path, err) != 0)
        return -1;
    const char *line;
    size_t len;
    int rc = 0, got;
    if (truncated_out != NULL)
        *truncated_out = 0;
    while ((got = next_line(&r, &line, &len)) > 0) {
        int line_no = (int)r.line_no;
        bool complete = line[len - 1] == '\n';
        /* Every line carries its writer's clock and pid, so no two lines of
         * a trace are equal: one equal to the line before it was written
         * twice (a copy, a replayed buffer), and would be misread as two
         * events (two snapshots, a record sent again). */
        if (complete && len == r.kept_len && memcmp(line, r.kept, len) == 0) {
            rc = sb_err_set(err, "%s:%d: line %d repeats line %d: the same event written "
                            "twice", path, line_no, line_no, line_no - 1);
            break;
        }
        json_error_t jerr;
        json_t *ev = json_loadb(line, len, 0, &jerr);
        if (ev == NULL || !json_is_object(ev)) {
            /* jansson leaves jerr.text empty when the line parsed. */
            const char *why = ev == NULL ? jerr.text : "not a JSON object";
            json_decref(ev);
            if (!complete) {
                /* The last line, cut by a crash: tolerated. */
                if (truncated_out != NULL)
                    *truncated_out = 1;
                break;
            }
            rc = sb_err_set(err, "%s:%d: malformed trace line: %s", path, line_no, why);
            break;
        }
        if (!complete) {
            /* Parsed but unterminated: a crash cut the newline; keep it. */
            if (truncated_out != NULL)
                *truncated_out = 1;
        }
        reader_keep(&r, line, len);
        rc = fn(ev, ctx);
        json_decref(ev);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = reader_status(&r, got, err);
    reader_close(&r);
    return rc;
}

int sb_trace_end(const char *path, sb_trace_end_t *end, sb_err_t *err)
{
    memset(end, 0, sizeof *end);
    line_reader_t r;
    if (reader_open(&r, path, err) != 0)
        return -1;
    const char *line;
    size_t len;
    int got;
    /* Only the last complete line is parsed: the rest is counted. */
    while ((got = next_line(&r, &line, &len)) > 0) {
        if (line[len - 1] != '\n') {
            end->cut = true;
            break;
        }
        end->lines++;
        reader_keep(&r, line, len);
    }
    int rc = reader_status(&r, got, err);
    if (r.kept_len > 0) {
        json_t *ev = json_loadb(r.kept, r.kept_len, 0, NULL);
        const char *name = json_string_value(json_object_get(ev, "event"));
        snprintf(end->last_event, sizeof end->last_event, "%s", name != NULL ? name : "?");
        json_decref(ev);
    }
    reader_close(&r);
    end->finished = strcmp(end->last_event, SB_TRACE_LAST_EVENT) == 0;
    return rc;
}

void sb_trace_end_describe(const char *path, const sb_trace_end_t *end, char *buf, size_t len)
{
    if (end->lines == 0)
        snprintf(buf, len, "%s holds no complete line: the trace is incomplete (the run "
                 "never started, or the file was cut)", path);
    else
        snprintf(buf, len, "%s ends at line %" PRId64 " (%s)%s without %s: the trace is "
                 "incomplete (cut short, or its run has not finished)", path, end->lines,
                 end->last_event, end->cut ? " and a cut line after it" : "",
                 SB_TRACE_LAST_EVENT);
}
