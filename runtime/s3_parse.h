/* s3_parse.h — internal to the S3 client: the parsers of S3's XML answers
 * (error bodies, CreateMultipartUpload, the listing pages of ListObjectsV2,
 * ListParts and ListMultipartUploads), on a body already received.
 *
 * They read bytes a server sends, so they are fuzzed on their own
 * (tests/fuzz/fuzz_s3xml.c) without curl or a server; that is the only
 * reason they are not static in s3.c. s3.h stays the client's API: only
 * s3.c and the tests include this header. */
#ifndef SB_S3_PARSE_H
#define SB_S3_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The fields of <Error><Code/><Message/><RequestId/></Error>. */
typedef struct sb_s3_error_body {
    char code[64];
    char message[256];
    char request_id[128];
} sb_s3_error_body_t;

/* true, and *out filled ("" for an absent field), when body is an S3
 * error document; false for anything else (other XML, not XML, empty). */
bool sb_s3_parse_error(const char *body, size_t len, sb_s3_error_body_t *out);

/* The <UploadId> of a CreateMultipartUpload answer into out ("" when the
 * body has none or is not XML). */
void sb_s3_parse_upload_id(const char *body, size_t len, char *out, size_t out_len);

/* One listing page: entries <tag><field1/><field2/></tag> under the root,
 * and when <IsTruncated>true</IsTruncated> the next page's markers. */
typedef struct sb_s3_page {
    const char *op;               /* "ListObjectsV2", for messages */
    const char *tag, *field1, *field2;  /* field2 may be NULL */
    const char *next1, *next2;          /* next2 may be NULL */
} sb_s3_page_t;

typedef int (*sb_s3_entry_fn)(const char *a, const char *b, void *ctx);

#define SB_S3_PAGE_UNREADABLE 1   /* not XML, or no root element */

/* Calls fn per entry (field2's text is "" when field2 is NULL) and fills
 * next1/next2 (empty on the last page; out2 may be NULL). Returns 0,
 * SB_S3_PAGE_UNREADABLE (err untouched: the caller names the request),
 * fn's nonzero return, or -1 for a truncated page without its marker. */
int sb_s3_parse_page(const char *body, size_t len, const sb_s3_page_t *page,
                     sb_s3_entry_fn fn, void *ctx, char *out1, size_t out1_len, char *out2,
                     size_t out2_len, sb_err_t *err);

#endif
