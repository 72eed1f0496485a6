/* s3.c — see s3.h. */
#include "s3.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "curl_body.h"
#include "s3_parse.h"

#define URL_BYTES_MAX 4096
#define QUERY_BYTES_MAX 2048
#define LIST_PAGES_MAX 100000     /* bound on pagination loops */

/* The three listings this client reads, as s3_parse.h describes them. */
static const sb_s3_page_t LIST_OBJECTS_PAGE = { "ListObjectsV2", "Contents", "Key", NULL,
                                                "NextContinuationToken", NULL };
static const sb_s3_page_t LIST_PARTS_PAGE = { "ListParts", "Part", "PartNumber", "ETag",
                                              "NextPartNumberMarker", NULL };
static const sb_s3_page_t LIST_UPLOADS_PAGE = { "ListMultipartUploads", "Upload", "Key",
                                                "UploadId", "NextKeyMarker",
                                                "NextUploadIdMarker" };

struct sb_s3 {
    sb_s3_config_t cfg;
    char sigv4[128];               /* "aws:amz:<region>:s3" */
};

/* ------------------------------------------------------ curl handles */

static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static pthread_key_t tl_key;

static void tl_free(void *h)
{
    curl_easy_cleanup(h);
}

static void tl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    pthread_key_create(&tl_key, tl_free);
}

/* This thread's handle: reused, so its connections are reused. */
static CURL *thread_handle(void)
{
    pthread_once(&tl_once, tl_init);
    CURL *h = pthread_getspecific(tl_key);
    if (h == NULL) {
        h = curl_easy_init();
        if (h != NULL)
            pthread_setspecific(tl_key, h);
    }
    return h;
}

/* ------------------------------------------------------------ config */

static void env_copy(char *dst, size_t len, const char *name, const char *fallback)
{
    const char *v = getenv(name);
    snprintf(dst, len, "%s", v != NULL && v[0] != '\0' ? v : fallback);
}

int sb_s3_config_from_env(sb_s3_config_t *c, sb_err_t *err)
{
    memset(c, 0, sizeof *c);
    char fallback[64];
    env_copy(fallback, sizeof fallback, "AWS_DEFAULT_REGION", "us-east-1");
    env_copy(c->region, sizeof c->region, "AWS_REGION", fallback);
    char aws[SB_S3_ENDPOINT_BYTES_MAX];
    snprintf(aws, sizeof aws, "https://s3.%s.amazonaws.com", c->region);
    env_copy(c->endpoint, sizeof c->endpoint, "S3_ENDPOINT", aws);
    env_copy(c->access_key, sizeof c->access_key, "AWS_ACCESS_KEY_ID", "");
    env_copy(c->secret_key, sizeof c->secret_key, "AWS_SECRET_ACCESS_KEY", "");
    size_t n = strlen(c->endpoint);
    while (n > 0 && c->endpoint[n - 1] == '/')
        c->endpoint[--n] = '\0';
    if (c->access_key[0] == '\0' || c->secret_key[0] == '\0')
        return sb_err_set(err, "no S3 credentials: set AWS_ACCESS_KEY_ID and "
                          "AWS_SECRET_ACCESS_KEY (or s3.access-key and s3.secret-key)");
    return 0;
}

sb_s3_t *sb_s3_new(const sb_s3_config_t *c, sb_err_t *err)
{
    pthread_once(&tl_once, tl_init);
    sb_s3_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        sb_err_set(err, "out of memory");
        return NULL;
    }
    s->cfg = *c;
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", c->region);
    return s;
}

void sb_s3_free(sb_s3_t *s)
{
    if (s == NULL)
        return;
    /* Scrub the secret before the memory goes back. */
    memset(s->cfg.secret_key, 0, sizeof s->cfg.secret_key);
    free(s);
}

/* ------------------------------------------------------- encoding */

/* RFC 3986 unreserved characters stay; '/' stays in paths. */
static void encode(const char *in, bool keep_slash, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < len; p++) {
        unsigned char ch = *p;
        bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
                     ch == '~' || (keep_slash && ch == '/');
        if (plain) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}

/* ------------------------------------------------------- requests */

typedef struct request {
    const char *op;              /* for messages: "PUT", "ListObjectsV2", … */
    const char *method;
    const char *bucket;
    const char *key;             /* NULL: the bucket itself */
    const char *query;           /* sorted, encoded; NULL for none */
    const void *body;
    size_t body_len;
    const char *content_type;
} request_t;

typedef struct response {
    long status;
    sb_curl_body_t body;
    char request_id[128];
    char code[64];
    char message[256];
} response_t;

static void response_free(response_t *r)
{
    free(r->body.data);
    memset(r, 0, sizeof *r);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    response_t *r = ctx;
    size_t len = size * n;
    static const char name[] = "x-amz-request-id:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        const char *v = data + sizeof name - 1;
        while (*v == ' ')
            v++;
        size_t vl = len - (size_t)(v - data);
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
            vl--;
        snprintf(r->request_id, sizeof r->request_id, "%.*s", (int)vl, v);
    }
    return len;
}

/* ---------------------------------------------------------- XML */

static xmlNode *xml_child(xmlNode *parent, const char *name)
{
    for (xmlNode *n = parent ? parent->children : NULL; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return n;
    return NULL;
}

/* Copies the text of parent's child `name`; "" when absent. */
static void xml_text(xmlNode *parent, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    xmlNode *c = xml_child(parent, name);
    if (c == NULL)
        return;
    xmlChar *t = xmlNodeGetContent(c);
    if (t != NULL) {
        snprintf(out, len, "%s", (const char *)t);
        xmlFree(t);
    }
}

static xmlDoc *xml_parse(const char *body, size_t len)
{
    /* xmlReadMemory takes an int: a body past INT_MAX is not XML to us (the
     * client reads at most SB_S3_BODY_BYTES_MAX anyway). */
    if (body == NULL || len == 0 || len > INT32_MAX)
        return NULL;
    return xmlReadMemory(body, (int)len, "s3.xml", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* S3 reports errors as <Error><Code/><Message/><RequestId/></Error>, and
 * CompleteMultipartUpload may do so with status 200. */
bool sb_s3_parse_error(const char *body, size_t len, sb_s3_error_body_t *out)
{
    memset(out, 0, sizeof *out);
    xmlDoc *doc = xml_parse(body, len);
    if (doc == NULL)
        return false;
    xmlNode *root = xmlDocGetRootElement(doc);
    bool is_error = root != NULL && strcmp((const char *)root->name, "Error") == 0;
    if (is_error) {
        xml_text(root, "Code", out->code, sizeof out->code);
        xml_text(root, "Message", out->message, sizeof out->message);
        xml_text(root, "RequestId", out->request_id, sizeof out->request_id);
    }
    xmlFreeDoc(doc);
    return is_error;
}

/* The header's request id wins over the body's. */
static bool parse_error(response_t *r)
{
    sb_s3_error_body_t e;
    if (!sb_s3_parse_error(r->body.data, r->body.len, &e))
        return false;
    snprintf(r->code, sizeof r->code, "%s", e.code);
    snprintf(r->message, sizeof r->message, "%s", e.message);
    if (r->request_id[0] == '\0')
        snprintf(r->request_id, sizeof r->request_id, "%s", e.request_id);
    return true;
}

void sb_s3_parse_upload_id(const char *body, size_t len, char *out, size_t out_len)
{
    xmlDoc *doc = xml_parse(body, len);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xml_text(root, "UploadId", out, out_len);
    xmlFreeDoc(doc);
}

/* ------------------------------------------------------- perform */

static bool retryable(const response_t *r)
{
    if (r->status >= 500)
        return true;
    return strcmp(r->code, "SlowDown") == 0 || strcmp(r->code, "RequestTimeout") == 0 ||
           strcmp(r->code, "InternalError") == 0;
}

static int64_t backoff_ns(int attempt)
{
    /* Exponential with full jitter between half and one and a half. */
    int64_t ms = (int64_t)SB_S3_BACKOFF_MS_BASE << (attempt < 10 ? attempt : 10);
    if (ms > SB_S3_BACKOFF_MS_MAX)
        ms = SB_S3_BACKOFF_MS_MAX;
    static _Thread_local uint64_t seed;
    if (seed == 0)
        seed = (uint64_t)sb_clock_now_ns() | 1;
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    double jitter = 0.5 + (double)(seed % 1000) / 1000.0;
    return (int64_t)((double)ms * jitter) * SB_NS_PER_MS;
}

static void describe_target(const request_t *q, char *buf, size_t len)
{
    snprintf(buf, len, "s3://%s%s%s", q->bucket, q->key ? "/" : "", q->key ? q->key : "");
}

static CURLcode send_once(sb_s3_t *s, CURL *h, const request_t *q, response_t *r,
                          char *curl_err)
{
    char path[URL_BYTES_MAX / 2], url[URL_BYTES_MAX];
    encode(q->key ? q->key : "", true, path, sizeof path);
    snprintf(url, sizeof url, "%s/%s%s%s%s%s", s->cfg.endpoint, q->bucket, q->key ? "/" : "",
             path, q->query ? "?" : "", q->query ? q->query : "");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, s->cfg.access_key);
    curl_easy_setopt(h, CURLOPT_PASSWORD, s->cfg.secret_key);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)SB_S3_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)SB_S3_REQUEST_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    r->body.max = SB_S3_BODY_BYTES_MAX;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sb_curl_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    struct curl_slist *hdr = NULL;
    /* curl 7.88 does not add it; SigV4 requires it. */
    hdr = curl_slist_append(hdr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    char ctype[128];
    snprintf(ctype, sizeof ctype, "Content-Type: %s",
             q->content_type ? q->content_type : "application/octet-stream");
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
        if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "POST") == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
            /* No "Expect:" override here: curl 7.88 signs the emptied
             * header yet does not send it, and the signature then fails. */
            hdr = curl_slist_append(hdr, ctype);
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdr);
    return rc;
}

/* Sends a request, retrying what S3 says is safe to retry. Returns 0 with
 * the final response (any status), or -1 when no response could be had. */
static int perform(sb_s3_t *s, const request_t *q, response_t *r, sb_err_t *err)
{
    CURL *h = thread_handle();
    char target[URL_BYTES_MAX];
    describe_target(q, target, sizeof target);
    if (h == NULL)
        return sb_err_set(err, "S3 %s %s: cannot create a curl handle", q->op, target);
    for (int attempt = 0;; attempt++) {
        response_free(r);
        char curl_err[CURL_ERROR_SIZE] = "";
        CURLcode rc = send_once(s, h, q, r, curl_err);
        bool last = attempt + 1 >= SB_S3_ATTEMPTS_MAX;
        if (rc != CURLE_OK) {
            if (r->body.too_big)
                return sb_err_set(err, "S3 %s %s: response larger than %u MiB", q->op, target,
                                  SB_S3_BODY_BYTES_MAX >> 20);
            if (last)
                return sb_err_set(err, "S3 %s %s: cannot reach %s: %s (%s) after %d attempts",
                                  q->op, target, s->cfg.endpoint, curl_easy_strerror(rc),
                                  curl_err[0] ? curl_err : "no detail", attempt + 1);
        } else {
            parse_error(r);
            if (!retryable(r) || last)
                return 0;
        }
        sb_clock_sleep_ns(backoff_ns(attempt));
    }
}

static int fail(const request_t *q, const response_t *r, sb_err_t *err)
{
    char target[URL_BYTES_MAX];
    describe_target(q, target, sizeof target);
    return sb_err_set(err, "S3 %s %s: HTTP %ld %s%s%s (request id %s)", q->op, target, r->status,
                      r->code[0] ? r->code : "(no error code)", r->message[0] ? ": " : "",
                      r->message, r->request_id[0] ? r->request_id : "none");
}

static bool ok_status(const response_t *r)
{
    return r->status >= 200 && r->status < 300 && r->code[0] == '\0';
}

/* perform(), and any answer but a success is an error. */
static int perform_ok(sb_s3_t *s, const request_t *q, response_t *r, sb_err_t *err)
{
    int rc = perform(s, q, r, err);
    if (rc == 0 && !ok_status(r))
        rc = fail(q, r, err);
    return rc;
}

/* ------------------------------------------------------- objects */

int sb_s3_check_bucket(sb_s3_t *s, const char *bucket, sb_err_t *err)
{
    request_t q = { "ListObjectsV2", "GET", bucket, NULL, "list-type=2&max-keys=1", NULL, 0,
                    NULL };
    response_t r = { 0 };
    int rc = perform(s, &q, &r, err);
    if (rc == 0 && !ok_status(&r)) {
        if (r.status == 404 || strcmp(r.code, "NoSuchBucket") == 0)
            rc = sb_err_set(err, "bucket %s does not exist at %s", bucket, s->cfg.endpoint);
        else if (r.status == 403 || r.status == 401)
            rc = sb_err_set(err, "S3 at %s refused the credentials for bucket %s: HTTP %ld %s "
                            "(check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
                            s->cfg.endpoint, bucket, r.status, r.code[0] ? r.code : "");
        else
            rc = fail(&q, &r, err);
    }
    response_free(&r);
    return rc;
}

int sb_s3_put(sb_s3_t *s, const char *bucket, const char *key, const void *data, size_t len,
              sb_err_t *err)
{
    request_t q = { "PUT", "PUT", bucket, key, NULL, data, len, NULL };
    response_t r = { 0 };
    int rc = perform_ok(s, &q, &r, err);
    response_free(&r);
    return rc;
}

int sb_s3_get(sb_s3_t *s, const char *bucket, const char *key, char **data, size_t *len,
              sb_err_t *err)
{
    request_t q = { "GET", "GET", bucket, key, NULL, NULL, 0, NULL };
    response_t r = { 0 };
    int rc = perform(s, &q, &r, err);
    if (rc == 0 && r.status == 404 && strcmp(r.code, "NoSuchBucket") != 0) {
        response_free(&r);
        return 0;
    }
    if (rc == 0 && !ok_status(&r))
        rc = fail(&q, &r, err);
    if (rc != 0) {
        response_free(&r);
        return -1;
    }
    if (r.body.data == NULL) {
        r.body.data = calloc(1, 1);
        if (r.body.data == NULL)
            return sb_err_set(err, "out of memory");
    }
    *data = r.body.data;
    *len = r.body.len;
    return 1;
}

int sb_s3_head(sb_s3_t *s, const char *bucket, const char *key, sb_err_t *err)
{
    request_t q = { "HEAD", "HEAD", bucket, key, NULL, NULL, 0, NULL };
    response_t r = { 0 };
    int rc = perform(s, &q, &r, err);
    if (rc == 0)
        rc = r.status == 404 ? 0 : ok_status(&r) ? 1 : fail(&q, &r, err);
    response_free(&r);
    return rc;
}

int sb_s3_delete(sb_s3_t *s, const char *bucket, const char *key, sb_err_t *err)
{
    request_t q = { "DELETE", "DELETE", bucket, key, NULL, NULL, 0, NULL };
    response_t r = { 0 };
    int rc = perform(s, &q, &r, err);
    /* Deleting what is not there is success in S3, and here. */
    if (rc == 0 && !ok_status(&r) && r.status != 404)
        rc = fail(&q, &r, err);
    response_free(&r);
    return rc;
}

/* Calls fn for each <tag><Key>…</Key>…</tag> child of the root. */
static int each_entry(xmlNode *root, const char *tag, const char *field1, const char *field2,
                      sb_s3_entry_fn fn, void *ctx)
{
    for (xmlNode *n = root->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, tag) != 0)
            continue;
        char a[1024], b[SB_S3_UPLOAD_ID_BYTES_MAX * 2];
        xml_text(n, field1, a, sizeof a);
        b[0] = '\0';
        if (field2 != NULL)
            xml_text(n, field2, b, sizeof b);
        int rc = fn(a, b, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

typedef struct key_adapter {
    sb_s3_key_fn fn;
    void *ctx;
} key_adapter_t;

static int call_key(const char *a, const char *b, void *ctx)
{
    (void)b;
    key_adapter_t *k = ctx;
    return k->fn(a, k->ctx);
}

int sb_s3_parse_page(const char *body, size_t len, const sb_s3_page_t *page,
                     sb_s3_entry_fn fn, void *ctx, char *out1, size_t out1_len, char *out2,
                     size_t out2_len, sb_err_t *err)
{
    out1[0] = '\0';
    if (out2 != NULL)
        out2[0] = '\0';
    xmlDoc *doc = xml_parse(body, len);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL) {
        xmlFreeDoc(doc);
        return SB_S3_PAGE_UNREADABLE;
    }
    int rc = each_entry(root, page->tag, page->field1, page->field2, fn, ctx);
    char truncated[16];
    xml_text(root, "IsTruncated", truncated, sizeof truncated);
    if (rc == 0 && strcmp(truncated, "true") == 0) {
        xml_text(root, page->next1, out1, out1_len);
        if (page->next2 != NULL && out2 != NULL)
            xml_text(root, page->next2, out2, out2_len);
        if (out1[0] == '\0')
            rc = sb_err_set(err, "S3 %s: truncated listing without %s", page->op, page->next1);
    }
    xmlFreeDoc(doc);
    return rc;
}

/* Parses one page: calls back per entry and returns the next page's marker
 * fields (empty when this was the last page). */
static int list_page(const request_t *q, response_t *r, const sb_s3_page_t *page,
                     sb_s3_entry_fn fn, void *ctx, char *out1, size_t out1_len, char *out2,
                     size_t out2_len, sb_err_t *err)
{
    int rc = sb_s3_parse_page(r->body.data, r->body.len, page, fn, ctx, out1, out1_len, out2,
                              out2_len, err);
    if (rc == SB_S3_PAGE_UNREADABLE) {
        char target[URL_BYTES_MAX];
        describe_target(q, target, sizeof target);
        return sb_err_set(err, "S3 %s %s: unreadable XML answer (request id %s)", q->op, target,
                          r->request_id[0] ? r->request_id : "none");
    }
    return rc;
}

int sb_s3_list(sb_s3_t *s, const char *bucket, const char *prefix, sb_s3_key_fn fn, void *ctx,
               sb_err_t *err)
{
    char token[1024] = "", enc_token[3 * 1024], enc_prefix[3 * 1024];
    encode(prefix, false, enc_prefix, sizeof enc_prefix);
    key_adapter_t ka = { fn, ctx };
    for (int page = 0; page < LIST_PAGES_MAX; page++) {
        char query[QUERY_BYTES_MAX * 4];
        encode(token, false, enc_token, sizeof enc_token);
        /* Sorted: continuation-token < list-type < prefix. */
        snprintf(query, sizeof query, "%s%s%slist-type=2&prefix=%s",
                 token[0] ? "continuation-token=" : "", token[0] ? enc_token : "",
                 token[0] ? "&" : "", enc_prefix);
        request_t q = { "ListObjectsV2", "GET", bucket, NULL, query, NULL, 0, NULL };
        response_t r = { 0 };
        int rc = perform_ok(s, &q, &r, err);
        if (rc == 0)
            rc = list_page(&q, &r, &LIST_OBJECTS_PAGE, call_key, &ka, token, sizeof token,
                           NULL, 0, err);
        response_free(&r);
        if (rc != 0)
            return rc;
        if (token[0] == '\0')
            return 0;
    }
    return sb_err_set(err, "S3 ListObjectsV2 s3://%s/%s: more than %d pages", bucket, prefix,
                      LIST_PAGES_MAX);
}

/* ------------------------------------------------------- multipart */

int sb_s3_upload_create(sb_s3_t *s, const char *bucket, const char *key, char *upload_id,
                        size_t upload_id_len, sb_err_t *err)
{
    request_t q = { "CreateMultipartUpload", "POST", bucket, key, "uploads=", NULL, 0, NULL };
    response_t r = { 0 };
    int rc = perform_ok(s, &q, &r, err);
    if (rc == 0) {
        sb_s3_parse_upload_id(r.body.data, r.body.len, upload_id, upload_id_len);
        if (upload_id[0] == '\0')
            rc = sb_err_set(err, "S3 CreateMultipartUpload s3://%s/%s: no UploadId in the answer "
                            "(request id %s)", bucket, key, r.request_id);
    }
    response_free(&r);
    return rc;
}

int sb_s3_upload_part(sb_s3_t *s, const char *bucket, const char *key, const char *upload_id,
                      int part_number, const void *data, size_t len, sb_err_t *err)
{
    if (part_number < 1 || part_number > SB_S3_PARTS_MAX)
        return sb_err_set(err, "part number %d out of range 1..%d", part_number, SB_S3_PARTS_MAX);
    char enc[SB_S3_UPLOAD_ID_BYTES_MAX * 3], query[QUERY_BYTES_MAX];
    encode(upload_id, false, enc, sizeof enc);
    snprintf(query, sizeof query, "partNumber=%d&uploadId=%s", part_number, enc);
    request_t q = { "UploadPart", "PUT", bucket, key, query, data, len, NULL };
    response_t r = { 0 };
    int rc = perform_ok(s, &q, &r, err);
    response_free(&r);
    return rc;
}

typedef struct parts {
    int count;
    char etag[SB_S3_PARTS_MAX + 1][80]; /* indexed by part number */
    bool seen[SB_S3_PARTS_MAX + 1];
    int max_number;
} parts_t;

static int on_part(const char *number, const char *etag, void *ctx)
{
    parts_t *p = ctx;
    int n = atoi(number);
    if (n < 1 || n > SB_S3_PARTS_MAX)
        return 0;
    if (!p->seen[n])
        p->count++;
    p->seen[n] = true;
    snprintf(p->etag[n], sizeof p->etag[n], "%s", etag);
    if (n > p->max_number)
        p->max_number = n;
    return 0;
}

/* ListParts, all pages. Returns 1 if the upload does not exist. */
static int list_parts(sb_s3_t *s, const char *bucket, const char *key, const char *upload_id,
                      parts_t *parts, sb_err_t *err)
{
    char enc[SB_S3_UPLOAD_ID_BYTES_MAX * 3], marker[32] = "";
    encode(upload_id, false, enc, sizeof enc);
    for (int page = 0; page < LIST_PAGES_MAX; page++) {
        char query[QUERY_BYTES_MAX];
        /* Sorted: part-number-marker < uploadId. */
        snprintf(query, sizeof query, "%s%s%suploadId=%s", marker[0] ? "part-number-marker=" : "",
                 marker, marker[0] ? "&" : "", enc);
        request_t q = { "ListParts", "GET", bucket, key, query, NULL, 0, NULL };
        response_t r = { 0 };
        int rc = perform(s, &q, &r, err);
        if (rc == 0 && (r.status == 404 || strcmp(r.code, "NoSuchUpload") == 0)) {
            response_free(&r);
            return 1;
        }
        if (rc == 0 && !ok_status(&r))
            rc = fail(&q, &r, err);
        if (rc == 0)
            rc = list_page(&q, &r, &LIST_PARTS_PAGE, on_part, parts, marker, sizeof marker,
                           NULL, 0, err);
        response_free(&r);
        if (rc != 0)
            return -1;
        if (marker[0] == '\0')
            return 0;
    }
    return sb_err_set(err, "S3 ListParts s3://%s/%s: too many pages", bucket, key);
}

static char *complete_body(const parts_t *p, int parts)
{
    size_t cap = 128 + (size_t)parts * 160;
    char *b = malloc(cap);
    if (b == NULL)
        return NULL;
    size_t o = (size_t)snprintf(b, cap, "<CompleteMultipartUpload>");
    for (int n = 1; n <= parts; n++)
        o += (size_t)snprintf(b + o, cap - o,
                              "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n,
                              p->etag[n]);
    snprintf(b + o, cap - o, "</CompleteMultipartUpload>");
    return b;
}

/* The upload is gone: completed before (the object exists) or never was. */
static int already_completed(sb_s3_t *s, const char *bucket, const char *key,
                             const char *upload_id, sb_err_t *err)
{
    int exists = sb_s3_head(s, bucket, key, err);
    if (exists < 0)
        return -1;
    if (exists == 0)
        return sb_err_set(err, "cannot complete upload %s of s3://%s/%s: no such upload and "
                          "no object", upload_id, bucket, key);
    return 1;
}

int sb_s3_upload_complete(sb_s3_t *s, const char *bucket, const char *key,
                          const char *upload_id, int parts, sb_err_t *err)
{
    if (parts < 1 || parts > SB_S3_PARTS_MAX)
        return sb_err_set(err, "cannot complete s3://%s/%s with %d parts", bucket, key, parts);
    parts_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return sb_err_set(err, "out of memory");
    int rc = list_parts(s, bucket, key, upload_id, p, err);
    if (rc == 1) {
        free(p);
        return already_completed(s, bucket, key, upload_id, err);
    }
    if (rc == 0 && (p->count != parts || p->max_number != parts))
        rc = sb_err_set(err, "cannot complete upload %s of s3://%s/%s: %d parts expected, "
                        "%d found", upload_id, bucket, key, parts, p->count);
    char *body = rc == 0 ? complete_body(p, parts) : NULL;
    free(p);
    if (rc != 0)
        return -1;
    if (body == NULL)
        return sb_err_set(err, "out of memory");
    char enc[SB_S3_UPLOAD_ID_BYTES_MAX * 3], query[QUERY_BYTES_MAX];
    encode(upload_id, false, enc, sizeof enc);
    snprintf(query, sizeof query, "uploadId=%s", enc);
    request_t q = { "CompleteMultipartUpload", "POST", bucket, key, query, body, strlen(body),
                    "application/xml" };
    response_t r = { 0 };
    rc = perform(s, &q, &r, err);
    free(body);
    if (rc == 0 && (r.status == 404 || strcmp(r.code, "NoSuchUpload") == 0)) {
        /* Completed by an earlier attempt whose answer was lost. */
        response_free(&r);
        return already_completed(s, bucket, key, upload_id, err);
    }
    if (rc == 0 && !ok_status(&r))
        rc = fail(&q, &r, err);
    response_free(&r);
    return rc;
}

int sb_s3_upload_abort(sb_s3_t *s, const char *bucket, const char *key, const char *upload_id,
                       sb_err_t *err)
{
    char enc[SB_S3_UPLOAD_ID_BYTES_MAX * 3], query[QUERY_BYTES_MAX];
    encode(upload_id, false, enc, sizeof enc);
    snprintf(query, sizeof query, "uploadId=%s", enc);
    request_t q = { "AbortMultipartUpload", "DELETE", bucket, key, query, NULL, 0, NULL };
    response_t r = { 0 };
    int rc = perform(s, &q, &r, err);
    /* An upload already gone is aborted enough. */
    if (rc == 0 && !ok_status(&r) && r.status != 404 && strcmp(r.code, "NoSuchUpload") != 0)
        rc = fail(&q, &r, err);
    response_free(&r);
    return rc;
}

int sb_s3_uploads_list(sb_s3_t *s, const char *bucket, const char *prefix, sb_s3_upload_fn fn,
                       void *ctx, sb_err_t *err)
{
    char key_marker[1024] = "", id_marker[SB_S3_UPLOAD_ID_BYTES_MAX] = "";
    char enc_prefix[3 * 1024], enc_key[3 * 1024], enc_id[3 * SB_S3_UPLOAD_ID_BYTES_MAX];
    encode(prefix, false, enc_prefix, sizeof enc_prefix);
    for (int page = 0; page < LIST_PAGES_MAX; page++) {
        encode(key_marker, false, enc_key, sizeof enc_key);
        encode(id_marker, false, enc_id, sizeof enc_id);
        char query[QUERY_BYTES_MAX * 8];
        /* Sorted: key-marker < prefix < upload-id-marker < uploads. */
        snprintf(query, sizeof query, "%s%s%sprefix=%s&%s%s%suploads=",
                 key_marker[0] ? "key-marker=" : "", key_marker[0] ? enc_key : "",
                 key_marker[0] ? "&" : "", enc_prefix, id_marker[0] ? "upload-id-marker=" : "",
                 id_marker[0] ? enc_id : "", id_marker[0] ? "&" : "");
        request_t q = { "ListMultipartUploads", "GET", bucket, NULL, query, NULL, 0, NULL };
        response_t r = { 0 };
        int rc = perform_ok(s, &q, &r, err);
        if (rc == 0)
            rc = list_page(&q, &r, &LIST_UPLOADS_PAGE, fn, ctx, key_marker, sizeof key_marker,
                           id_marker, sizeof id_marker, err);
        response_free(&r);
        if (rc != 0)
            return rc;
        if (key_marker[0] == '\0')
            return 0;
    }
    return sb_err_set(err, "S3 ListMultipartUploads s3://%s/%s: more than %d pages", bucket,
                      prefix, LIST_PAGES_MAX);
}
