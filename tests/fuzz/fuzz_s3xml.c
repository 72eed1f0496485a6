/* fuzz_s3xml.c — libFuzzer harness: the S3 client's parsers of the XML a
 * server answers (runtime/s3_parse.h): error bodies, CreateMultipartUpload's
 * UploadId, and the pages of ListObjectsV2, ListParts and
 * ListMultipartUploads, each on the same bytes. A server is outside input:
 * a proxy, a misbehaving S3 clone or a fault may send anything. */
#include "fuzz_common.h"
#include "s3.h"
#include "s3_parse.h"

static const sb_s3_page_t PAGES[] = {
    { "ListObjectsV2", "Contents", "Key", NULL, "NextContinuationToken", NULL },
    { "ListParts", "Part", "PartNumber", "ETag", "NextPartNumberMarker", NULL },
    { "ListMultipartUploads", "Upload", "Key", "UploadId", "NextKeyMarker",
      "NextUploadIdMarker" },
};

/* Stops after a few entries sometimes, as a caller's error would. */
static int on_entry(const char *a, const char *b, void *ctx)
{
    int *n = ctx;
    return (++*n > 1000 || (a[0] == '!' && b[0] == '\0')) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_planted(data, size);
    const char *body = (const char *)data;
    sb_s3_error_body_t e;
    (void)sb_s3_parse_error(body, size, &e);
    char upload_id[SB_S3_UPLOAD_ID_BYTES_MAX];
    sb_s3_parse_upload_id(body, size, upload_id, sizeof upload_id);
    for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++) {
        /* The client's own marker buffers: token 1024, part marker 32. */
        char next1[1024], next2[SB_S3_UPLOAD_ID_BYTES_MAX];
        size_t next1_len = i == 1 ? 32 : sizeof next1;
        int entries = 0;
        sb_err_t err = { { 0 } };
        (void)sb_s3_parse_page(body, size, &PAGES[i], on_entry, &entries, next1, next1_len,
                               PAGES[i].next2 != NULL ? next2 : NULL, sizeof next2, &err);
    }
    return 0;
}
