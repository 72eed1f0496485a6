/* curl_body.h — an answer's body collected in memory by a curl write
 * callback, for the S3 client (runtime/s3.c) and Flink's REST client
 * (runtime/flink_rest.c): it grows by doubling, stays NUL-terminated, and
 * stops the transfer once body and NUL would pass `max` (answers are
 * outside bytes: a bound, not what the server says it will send). */
#ifndef SB_CURL_BODY_H
#define SB_CURL_BODY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sb_curl_body {
    char *data;                   /* NULL until a byte arrived */
    size_t len, cap;
    size_t max;                   /* set before the transfer */
    bool too_big;                 /* the bound stopped the transfer */
} sb_curl_body_t;

/* CURLOPT_WRITEFUNCTION, with CURLOPT_WRITEDATA an sb_curl_body_t. Returns
 * less than it was given (curl then fails with CURLE_WRITE_ERROR) past the
 * bound or when memory runs out. */
size_t sb_curl_body_write(char *data, size_t size, size_t n, void *body);

/* Frees the data; the bound is kept, so the body can take the next answer. */
void sb_curl_body_reset(sb_curl_body_t *b);

#endif
