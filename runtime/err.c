/* err.c — see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sb_err_set(sb_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int sb_err_errno(sb_err_t *err, int errno_value, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    char head[SB_ERR_MSG_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    snprintf(err->msg, sizeof err->msg, "%s: %s", head, strerror(errno_value));
    return -1;
}

int sb_err_wrap(sb_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    char head[SB_ERR_MSG_BYTES_MAX];
    char old[SB_ERR_MSG_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
    return -1;
}
