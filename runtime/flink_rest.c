/* flink_rest.c — see flink_rest.h. One curl handle per request: the
 * driver polls a few times a second, and a fresh handle keeps no state
 * between a JobManager that went away and the next one. */
#include "flink_rest.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_body.h"

#define CONNECT_TIMEOUT_MS 2000L
#define REQUEST_TIMEOUT_MS 10000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int sb_flink_rest_init(sb_flink_rest_t *r, const char *address, sb_err_t *err)
{
    memset(r, 0, sizeof *r);
    const char *colon = address != NULL ? strrchr(address, ':') : NULL;
    if (colon == NULL || colon == address || colon[1] == '\0' ||
        strlen(address) > sizeof r->base - 16)
        return sb_err_set(err, "Flink's REST address must be HOST:PORT, got '%s'",
                          address != NULL ? address : "");
    for (const char *c = address; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != ':' && *c != '-')
            return sb_err_set(err, "Flink's REST address '%s' has a character that is not "
                              "part of HOST:PORT", address);
    snprintf(r->base, sizeof r->base, "http://%s", address);
    r->timeout_ms = REQUEST_TIMEOUT_MS;
    pthread_once(&curl_once, curl_init_once);
    return 0;
}

/* Flink's error answers are {"errors": ["text", ...]}: the first line of
 * the first one is what a user needs (the rest is a Java stack). */
static void flink_error_text(const sb_curl_body_t *b, char *buf, size_t len)
{
    buf[0] = '\0';
    if (b->data == NULL)
        return;
    json_t *o = json_loadb(b->data, b->len, 0, NULL);
    json_t *e = json_is_object(o) ? json_object_get(o, "errors") : NULL;
    const char *t = json_is_array(e) ? json_string_value(json_array_get(e, 0)) : NULL;
    if (t != NULL) {
        /* the last "Caused by"-like line is often the real cause, but the
         * first is the one Flink addressed to the caller */
        size_t n = strcspn(t, "\n");
        snprintf(buf, len, ": %.*s", (int)(n < 300 ? n : 300), t);
    } else {
        size_t n = strcspn(b->data, "\n");
        snprintf(buf, len, ": %.*s", (int)(n < 200 ? n : 200), b->data);
    }
    json_decref(o);
}

typedef struct request {
    const char *method;               /* GET, POST, PATCH */
    const char *path;
    const char *json;                 /* POST body, or NULL */
    const char *upload;               /* a file for multipart "jarfile" */
} request_t;

static int perform(const sb_flink_rest_t *r, const request_t *q, json_t **out, long *http_out,
                   sb_err_t *err)
{
    if (out != NULL)
        *out = NULL;
    if (http_out != NULL)
        *http_out = 0;
    char url[1024];
    if ((size_t)snprintf(url, sizeof url, "%s%s", r->base, q->path) >= sizeof url)
        return sb_err_set(err, "Flink REST path too long: %.64s…", q->path);
    CURL *h = curl_easy_init();
    if (h == NULL)
        return sb_err_set(err, "%s %s: cannot create a curl handle", q->method, url);
    sb_curl_body_t b = { .max = SB_FLINK_REST_BODY_MAX };
    struct curl_slist *headers = NULL;
    curl_mime *mime = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, q->upload != NULL ? 10 * r->timeout_ms : r->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sb_curl_body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never an environment proxy: loopback only */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (q->upload != NULL) {
        mime = curl_mime_init(h);
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, "jarfile");
        curl_mime_type(part, "application/x-java-archive");
        if (curl_mime_filedata(part, q->upload) != CURLE_OK) {
            curl_mime_free(mime);
            curl_easy_cleanup(h);
            return sb_err_set(err, "cannot read the job jar %s", q->upload);
        }
        curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    } else if (strcmp(q->method, "GET") != 0) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->json != NULL ? q->json : "");
    }
    CURLcode cc = curl_easy_perform(h);
    long http = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    curl_slist_free_all(headers);
    curl_mime_free(mime);
    curl_easy_cleanup(h);
    if (http_out != NULL)
        *http_out = http;
    int rc = 0;
    if (b.too_big)
        rc = sb_err_set(err, "%s %s: the answer is larger than %u MiB", q->method, url,
                        SB_FLINK_REST_BODY_MAX >> 20);
    else if (cc != CURLE_OK)
        rc = sb_err_set(err, "%s %s: %s", q->method, url, curl_easy_strerror(cc));
    else if (http != 200 && http != 201 && http != 202) {
        char why[360];
        flink_error_text(&b, why, sizeof why);
        rc = sb_err_set(err, "%s %s: HTTP %ld%s", q->method, url, http, why);
    } else if (out != NULL) {
        json_error_t je;
        *out = json_loadb(b.data != NULL ? b.data : "", b.len, 0, &je);
        if (*out == NULL)
            rc = sb_err_set(err, "%s %s: the answer is not JSON (%s at line %d)", q->method,
                            url, je.text, je.line);
    }
    free(b.data);
    return rc;
}

int sb_flink_rest_get(const sb_flink_rest_t *r, const char *path, json_t **out, long *http,
                      sb_err_t *err)
{
    request_t q = { "GET", path, NULL, NULL };
    return perform(r, &q, out, http, err);
}

int sb_flink_rest_post(const sb_flink_rest_t *r, const char *path, const json_t *body,
                       json_t **out, sb_err_t *err)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    request_t q = { "POST", path, text, NULL };
    int rc = perform(r, &q, out, NULL, err);
    free(text);
    return rc;
}

int sb_flink_rest_patch(const sb_flink_rest_t *r, const char *path, sb_err_t *err)
{
    request_t q = { "PATCH", path, NULL, NULL };
    return perform(r, &q, NULL, NULL, err);
}

int sb_flink_rest_upload_jar(const sb_flink_rest_t *r, const char *path, char *jar_id,
                             size_t len, sb_err_t *err)
{
    request_t q = { "POST", "/jars/upload", NULL, path };
    json_t *o = NULL;
    if (perform(r, &q, &o, NULL, err) != 0)
        return -1;
    const char *file = json_string_value(json_object_get(o, "filename"));
    const char *slash = file != NULL ? strrchr(file, '/') : NULL;
    const char *id = slash != NULL ? slash + 1 : file;
    int rc = 0;
    if (id == NULL || id[0] == '\0' || strlen(id) >= len || strchr(id, '?') != NULL)
        rc = sb_err_set(err, "POST %s/jars/upload: no usable \"filename\" in the answer",
                        r->base);
    else
        snprintf(jar_id, len, "%s", id);
    json_decref(o);
    return rc;
}

int sb_flink_job_id_valid(const char *id)
{
    if (id == NULL || strlen(id) != SB_FLINK_JOB_ID_BYTES - 1)
        return 0;
    for (const char *c = id; *c; c++)
        if (!isxdigit((unsigned char)*c))
            return 0;
    return 1;
}

int sb_flink_rest_run_jar(const sb_flink_rest_t *r, const char *jar_id, const char *entry_class,
                          const json_t *args, char job_id[SB_FLINK_JOB_ID_BYTES], sb_err_t *err)
{
    char path[512];
    for (const char *c = jar_id; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            return sb_err_set(err, "jar id '%.64s' is not one Flink gives", jar_id);
    snprintf(path, sizeof path, "/jars/%s/run", jar_id);
    json_t *body = json_pack("{s:s,s:O}", "entryClass", entry_class, "programArgsList", args);
    json_t *o = NULL;
    int rc = sb_flink_rest_post(r, path, body, &o, err);
    json_decref(body);
    if (rc != 0)
        return -1;
    const char *id = json_string_value(json_object_get(o, "jobid"));
    if (!sb_flink_job_id_valid(id))
        rc = sb_err_set(err, "POST %s%s: the answer has no job id (\"jobid\")", r->base, path);
    else
        snprintf(job_id, SB_FLINK_JOB_ID_BYTES, "%s", id);
    json_decref(o);
    return rc;
}
