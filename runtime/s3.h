/* s3.h — an S3 client on libcurl, for the common S3 API (AWS S3, MinIO,
 * SeaweedFS, …).
 *
 * Requests are signed by curl's built-in SigV4 (CURLOPT_AWS_SIGV4) with
 * path-style addressing (ENDPOINT/BUCKET/KEY). curl 7.88 neither adds the
 * x-amz-content-sha256 header nor sorts query parameters before signing, so
 * this client sends the header itself and always writes query parameters in
 * sorted order. Responses are parsed with libxml2.
 *
 * Each thread has its own curl handle (kept in thread-local storage and
 * reused, so connections are reused); a client may be shared by threads.
 * Failed requests are retried with exponential backoff and jitter on
 * connection errors, 5xx, SlowDown and RequestTimeout; other 4xx are not
 * retried. Errors name the operation, bucket and key, the HTTP status, the
 * S3 error code and message and the request id — never the credentials. */
#ifndef SB_S3_H
#define SB_S3_H

#include <stddef.h>

#include "err.h"

#define SB_S3_ENDPOINT_BYTES_MAX 256
#define SB_S3_CREDENTIAL_BYTES_MAX 256
#define SB_S3_UPLOAD_ID_BYTES_MAX 128
#define SB_S3_ATTEMPTS_MAX 5             /* tries of one request */
#define SB_S3_BACKOFF_MS_BASE 100
#define SB_S3_BACKOFF_MS_MAX 2000
#define SB_S3_CONNECT_TIMEOUT_MS 3000
#define SB_S3_REQUEST_TIMEOUT_MS 60000
#define SB_S3_BODY_BYTES_MAX (1u << 30)  /* largest response body read */
#define SB_S3_PARTS_MAX 10000            /* S3's limit per upload */

typedef struct sb_s3_config {
    char endpoint[SB_S3_ENDPOINT_BYTES_MAX];   /* http://127.0.0.1:18333 */
    char region[64];
    char access_key[SB_S3_CREDENTIAL_BYTES_MAX];
    char secret_key[SB_S3_CREDENTIAL_BYTES_MAX];
} sb_s3_config_t;

/* From S3_ENDPOINT (else https://s3.<region>.amazonaws.com), AWS_REGION
 * (else AWS_DEFAULT_REGION, else us-east-1), AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (required). */
int sb_s3_config_from_env(sb_s3_config_t *c, sb_err_t *err);

typedef struct sb_s3 sb_s3_t;

sb_s3_t *sb_s3_new(const sb_s3_config_t *c, sb_err_t *err);
void sb_s3_free(sb_s3_t *s);

/* Bucket reachable with these credentials? One clear sentence otherwise:
 * unreachable endpoint, wrong credentials, missing bucket. */
int sb_s3_check_bucket(sb_s3_t *s, const char *bucket, sb_err_t *err);

int sb_s3_put(sb_s3_t *s, const char *bucket, const char *key, const void *data, size_t len,
              sb_err_t *err);
/* 1 and *data (malloc'd, NUL-terminated) if found, 0 if absent, -1. */
int sb_s3_get(sb_s3_t *s, const char *bucket, const char *key, char **data, size_t *len,
              sb_err_t *err);
/* 1 if the object exists, 0 if not, -1. */
int sb_s3_head(sb_s3_t *s, const char *bucket, const char *key, sb_err_t *err);
int sb_s3_delete(sb_s3_t *s, const char *bucket, const char *key, sb_err_t *err);

/* Every key under prefix (ListObjectsV2, all pages), in S3's order. */
typedef int (*sb_s3_key_fn)(const char *key, void *ctx);
int sb_s3_list(sb_s3_t *s, const char *bucket, const char *prefix, sb_s3_key_fn fn, void *ctx,
               sb_err_t *err);

int sb_s3_upload_create(sb_s3_t *s, const char *bucket, const char *key, char *upload_id,
                        size_t upload_id_len, sb_err_t *err);
int sb_s3_upload_part(sb_s3_t *s, const char *bucket, const char *key, const char *upload_id,
                      int part_number, const void *data, size_t len, sb_err_t *err);
/* Lists the upload's parts (for their ETags) and completes it, expecting
 * exactly `parts` parts. Returns 0 when it published the object now, 1 when
 * the upload no longer exists but the object does (completed before: the
 * commit is idempotent), -1 on error. */
int sb_s3_upload_complete(sb_s3_t *s, const char *bucket, const char *key,
                          const char *upload_id, int parts, sb_err_t *err);
int sb_s3_upload_abort(sb_s3_t *s, const char *bucket, const char *key, const char *upload_id,
                       sb_err_t *err);
/* Multipart uploads in progress under prefix (all pages). */
typedef int (*sb_s3_upload_fn)(const char *key, const char *upload_id, void *ctx);
int sb_s3_uploads_list(sb_s3_t *s, const char *bucket, const char *prefix, sb_s3_upload_fn fn,
                       void *ctx, sb_err_t *err);

#endif
