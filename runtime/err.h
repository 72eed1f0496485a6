/* err.h — errors as values.
 *
 * A function that can fail returns 0 on success and -1 on failure, and fills
 * an sb_err_t with one sentence of context: what was attempted, on what
 * (file, key, partition, URL) and why (errno text, Kafka error name).
 * Library code never prints; the caller decides what to do with the text. */
#ifndef SB_ERR_H
#define SB_ERR_H

#include <stddef.h>

#define SB_ERR_MSG_BYTES_MAX 1024

typedef struct sb_err {
    char msg[SB_ERR_MSG_BYTES_MAX];
} sb_err_t;

/* Formats the message; returns -1 so that callers can `return sb_err_set(…)`. */
int sb_err_set(sb_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like sb_err_set, appending ": <strerror(errno_value)>". */
int sb_err_errno(sb_err_t *err, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with more context ("while X: <old>"). */
int sb_err_wrap(sb_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
