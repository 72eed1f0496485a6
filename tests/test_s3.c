/* test_s3.c — the S3 client against a real S3 server that checks
 * signatures (SeaweedFS in the real lane: scripts/s3.sh).
 *
 * Runs only when SNAPBED_S3_TEST_ENDPOINT names the server (with
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and SNAPBED_S3_TEST_BUCKET, an
 * existing bucket); `make test-real` sets them. Without a server the suite
 * is not registered, and says so. Every test works under its own prefix. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cu_helpers.h"
#include "s3.h"
#include "store.h"

#define MIB (1024 * 1024)
#define PAGINATION_KEYS 1005 /* more than one ListObjectsV2 page (1000) */

static sb_s3_config_t cfg;
static char bucket[64];
static char run_prefix[64];

static sb_s3_t *client(void)
{
    sb_err_t err;
    sb_s3_t *s = sb_s3_new(&cfg, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

static void key_of(const char *test, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s/%s", run_prefix, test, name);
}

static int count_key(const char *key, void *ctx)
{
    (void)key;
    (*(int *)ctx)++;
    return 0;
}

static void test_put_get_head_delete_roundtrip(void)
{
    sb_s3_t *s = client();
    sb_err_t err;
    char key[256];
    key_of("roundtrip", "object with space+plus", key, sizeof key);
    CU_ASSERT_EQUAL(sb_s3_head(s, bucket, key, &err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_s3_put(s, bucket, key, "hello s3", 8, &err), 0);
    CU_ASSERT_EQUAL(sb_s3_head(s, bucket, key, &err), 1);
    char *data = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sb_s3_get(s, bucket, key, &data, &len, &err), 1);
    CU_ASSERT_EQUAL(len, 8);
    CU_ASSERT_STRING_EQUAL(data, "hello s3");
    free(data);
    CU_ASSERT_EQUAL(sb_s3_delete(s, bucket, key, &err), 0);
    CU_ASSERT_EQUAL(sb_s3_head(s, bucket, key, &err), 0);
    data = NULL;
    CU_ASSERT_EQUAL(sb_s3_get(s, bucket, key, &data, &len, &err), 0);
    CU_ASSERT_PTR_NULL(data);
    CU_ASSERT_EQUAL(sb_s3_delete(s, bucket, key, &err), 0); /* absent: still fine */
    sb_s3_free(s);
}

static void test_list_paginates_beyond_one_page(void)
{
    sb_s3_t *s = client();
    sb_err_t err;
    char prefix[128];
    key_of("pagination", "", prefix, sizeof prefix);
    for (int i = 0; i < PAGINATION_KEYS; i++) {
        char key[256];
        snprintf(key, sizeof key, "%sk%05d", prefix, i);
        if (sb_s3_put(s, bucket, key, "x", 1, &err) != 0) {
            CU_FAIL_FATAL("put failed");
        }
    }
    int n = 0;
    CU_ASSERT_EQUAL(sb_s3_list(s, bucket, prefix, count_key, &n, &err), 0);
    CU_ASSERT_EQUAL(n, PAGINATION_KEYS);
    /* Through the store: relative keys, sorted. */
    char uri[256];
    snprintf(uri, sizeof uri, "s3://%s/%s", bucket, prefix);
    sb_store_t st;
    CU_ASSERT_EQUAL_FATAL(sb_store_open(&st, uri, "/", &err), 0);
    sb_store_list_t l;
    CU_ASSERT_EQUAL_FATAL(sb_store_list(&st, "k0100", &l, &err), 0);
    CU_ASSERT_EQUAL(l.count, 5); /* k01000 … k01004 */
    if (l.count == 5) {
        CU_ASSERT_STRING_EQUAL(l.keys[0], "k01000");
        CU_ASSERT_STRING_EQUAL(l.keys[4], "k01004");
    }
    sb_store_list_free(&l);
    sb_store_close(&st);
    sb_s3_free(s);
}

static char *pattern(size_t len, char seed)
{
    char *b = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    for (size_t i = 0; i < len; i++)
        b[i] = (char)('a' + (seed + i / 4096) % 26);
    return b;
}

static void test_multipart_with_parts_of_5_mib_publishes_the_concatenation(void)
{
    sb_s3_t *s = client();
    sb_err_t err;
    char key[256];
    key_of("multipart", "big", key, sizeof key);
    char id[SB_S3_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_s3_upload_create(s, bucket, key, id, sizeof id, &err), 0);
    size_t sizes[3] = { 5 * MIB, 5 * MIB, 1234 };
    char *parts[3];
    for (int i = 0; i < 3; i++) {
        parts[i] = pattern(sizes[i], (char)i);
        CU_ASSERT_EQUAL(sb_s3_upload_part(s, bucket, key, id, i + 1, parts[i], sizes[i], &err),
                        0);
    }
    CU_ASSERT_EQUAL(sb_s3_head(s, bucket, key, &err), 0); /* invisible until complete */
    CU_ASSERT_EQUAL(sb_s3_upload_complete(s, bucket, key, id, 3, &err), 0);
    char *data = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sb_s3_get(s, bucket, key, &data, &len, &err), 1);
    CU_ASSERT_EQUAL(len, sizes[0] + sizes[1] + sizes[2]);
    if (len == sizes[0] + sizes[1] + sizes[2]) {
        CU_ASSERT(memcmp(data, parts[0], sizes[0]) == 0);
        CU_ASSERT(memcmp(data + sizes[0], parts[1], sizes[1]) == 0);
        CU_ASSERT(memcmp(data + sizes[0] + sizes[1], parts[2], sizes[2]) == 0);
    }
    free(data);
    /* Completing again (a crash between complete and ack): idempotent. */
    CU_ASSERT_EQUAL(sb_s3_upload_complete(s, bucket, key, id, 3, &err), 1);
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    sb_s3_free(s);
}

static int find_upload(const char *key, const char *upload_id, void *ctx)
{
    (void)key;
    const char **want = ctx;
    if (strcmp(upload_id, want[0]) == 0)
        want[1] = "found";
    return 0;
}

static void test_uploads_are_listed_until_aborted(void)
{
    sb_s3_t *s = client();
    sb_err_t err;
    char key[256], prefix[128];
    key_of("abort", "staged", key, sizeof key);
    key_of("abort", "", prefix, sizeof prefix);
    char id[SB_S3_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_s3_upload_create(s, bucket, key, id, sizeof id, &err), 0);
    CU_ASSERT_EQUAL(sb_s3_upload_part(s, bucket, key, id, 1, "tiny", 4, &err), 0);
    const char *want[2] = { id, NULL };
    CU_ASSERT_EQUAL(sb_s3_uploads_list(s, bucket, prefix, find_upload, want, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(want[1]);
    CU_ASSERT_EQUAL(sb_s3_upload_abort(s, bucket, key, id, &err), 0);
    want[1] = NULL;
    CU_ASSERT_EQUAL(sb_s3_uploads_list(s, bucket, prefix, find_upload, want, &err), 0);
    CU_ASSERT_PTR_NULL(want[1]);
    CU_ASSERT_EQUAL(sb_s3_head(s, bucket, key, &err), 0);
    /* Completing an aborted upload: no upload and no object is an error. */
    CU_ASSERT_EQUAL(sb_s3_upload_complete(s, bucket, key, id, 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no such upload"));
    sb_s3_free(s);
}

static void test_complete_with_a_missing_part_is_refused(void)
{
    sb_s3_t *s = client();
    sb_err_t err;
    char key[256];
    key_of("missing-part", "obj", key, sizeof key);
    char id[SB_S3_UPLOAD_ID_BYTES_MAX];
    CU_ASSERT_EQUAL_FATAL(sb_s3_upload_create(s, bucket, key, id, sizeof id, &err), 0);
    CU_ASSERT_EQUAL(sb_s3_upload_part(s, bucket, key, id, 1, "only one", 8, &err), 0);
    CU_ASSERT_EQUAL(sb_s3_upload_complete(s, bucket, key, id, 2, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "2 parts expected, 1 found"));
    CU_ASSERT_EQUAL(sb_s3_upload_abort(s, bucket, key, id, &err), 0);
    sb_s3_free(s);
}

static void test_wrong_secret_is_a_clear_auth_error_without_the_secret(void)
{
    sb_s3_config_t bad = cfg;
    snprintf(bad.secret_key, sizeof bad.secret_key, "wrong-secret-do-not-print");
    sb_err_t err;
    sb_s3_t *s = sb_s3_new(&bad, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sb_s3_check_bucket(s, bucket, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "refused the credentials"));
    CU_ASSERT_PTR_NULL(strstr(err.msg, "wrong-secret-do-not-print"));
    char key[256];
    key_of("auth", "x", key, sizeof key);
    CU_ASSERT_EQUAL(sb_s3_put(s, bucket, key, "x", 1, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "HTTP 403"));
    sb_s3_free(s);
}

static void test_missing_bucket_is_named(void)
{
    sb_s3_t *s = client();
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_s3_check_bucket(s, "snapbed-no-such-bucket", &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bucket snapbed-no-such-bucket does not exist"));
    CU_ASSERT_EQUAL(sb_s3_check_bucket(s, bucket, &err), 0);
    sb_s3_free(s);
}

static void test_unreachable_endpoint_is_a_clear_error(void)
{
    sb_s3_config_t off = cfg;
    snprintf(off.endpoint, sizeof off.endpoint, "http://127.0.0.1:1");
    sb_err_t err;
    sb_s3_t *s = sb_s3_new(&off, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sb_s3_check_bucket(s, bucket, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot reach http://127.0.0.1:1"));
    sb_s3_free(s);
}

void test_s3_register(void)
{
    const char *endpoint = getenv("SNAPBED_S3_TEST_ENDPOINT");
    if (endpoint == NULL || endpoint[0] == '\0') {
        printf("s3 suite: not run (no SNAPBED_S3_TEST_ENDPOINT; `make test-real` runs it)\n");
        return;
    }
    setenv("S3_ENDPOINT", endpoint, 1);
    sb_err_t err;
    if (sb_s3_config_from_env(&cfg, &err) != 0) {
        fprintf(stderr, "s3 suite: %s\n", err.msg);
        exit(2);
    }
    const char *b = getenv("SNAPBED_S3_TEST_BUCKET");
    snprintf(bucket, sizeof bucket, "%s", b ? b : "snapbed-test");
    snprintf(run_prefix, sizeof run_prefix, "unit-%ld-%d", (long)time(NULL), (int)getpid());
    static const sb_test_case_t cases[] = {
        { "put get head delete roundtrip", test_put_get_head_delete_roundtrip },
        { "list paginates beyond one page", test_list_paginates_beyond_one_page },
        { "multipart with parts of 5 MiB publishes the concatenation",
          test_multipart_with_parts_of_5_mib_publishes_the_concatenation },
        { "uploads are listed until aborted", test_uploads_are_listed_until_aborted },
        { "complete with a missing part is refused", test_complete_with_a_missing_part_is_refused },
        { "wrong secret is a clear auth error without the secret",
          test_wrong_secret_is_a_clear_auth_error_without_the_secret },
        { "missing bucket is named", test_missing_bucket_is_named },
        { "unreachable endpoint is a clear error", test_unreachable_endpoint_is_a_clear_error },
        { NULL, NULL },
    };
    sb_test_add_suite("s3 (real server)", cases);
}
