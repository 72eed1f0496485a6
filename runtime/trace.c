/* trace.c — see trace.h. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
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

int sb_trace_read(const char *path, sb_trace_visit_fn fn, void *ctx,
                  int *truncated_out, sb_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sb_err_errno(err, errno, "cannot open trace %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int line_no = 0, rc = 0;
    if (truncated_out != NULL)
        *truncated_out = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        line_no++;
        bool complete = len > 0 && line[len - 1] == '\n';
        json_error_t jerr;
        json_t *ev = json_loadb(line, (size_t)len, 0, &jerr);
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
        rc = fn(ev, ctx);
        json_decref(ev);
        if (rc != 0)
            break;
    }
    free(line);
    fclose(f);
    return rc;
}
