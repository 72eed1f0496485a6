/* flink_rest.h — a small client of Apache Flink's REST API (the
 * JobManager's, docs/flink.md): upload and run a job jar, read a job's
 * state, its checkpoint statistics and its exceptions, cancel it.
 *
 * Answers are outside bytes: each is read into at most
 * SB_FLINK_REST_BODY_MAX bytes and must parse as JSON; an error names the
 * method, the URL, the HTTP status and Flink's own "errors" text. */
#ifndef SB_FLINK_REST_H
#define SB_FLINK_REST_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

#define SB_FLINK_REST_BODY_MAX (16u << 20)
#define SB_FLINK_JOB_ID_BYTES 33      /* 32 hex digits */

typedef struct sb_flink_rest {
    char base[160];                   /* http://HOST:PORT */
    long timeout_ms;                  /* per request; uploads take 10x */
} sb_flink_rest_t;

/* address: HOST:PORT of the REST API. Sends nothing. */
int sb_flink_rest_init(sb_flink_rest_t *r, const char *address, sb_err_t *err);

/* GET base+path; *out is the parsed answer (the caller decrefs). A status
 * other than 200 is an error, and *http (when not NULL) says which one
 * (0: no answer at all). */
int sb_flink_rest_get(const sb_flink_rest_t *r, const char *path, json_t **out, long *http,
                      sb_err_t *err);

/* POST a JSON body (NULL: none) to base+path; 200 and 202 are success. */
int sb_flink_rest_post(const sb_flink_rest_t *r, const char *path, const json_t *body,
                       json_t **out, sb_err_t *err);

/* PATCH base+path (cancelling a job: /jobs/ID?mode=cancel). */
int sb_flink_rest_patch(const sb_flink_rest_t *r, const char *path, sb_err_t *err);

/* POST /jars/upload of the jar at `path`; jar_id gets the id Flink gave it
 * (the last part of the answer's "filename"). */
int sb_flink_rest_upload_jar(const sb_flink_rest_t *r, const char *path, char *jar_id,
                             size_t len, sb_err_t *err);

/* POST /jars/JAR/run: main() of entry_class runs in the JobManager with
 * args; job_id gets the id of the job it submitted. */
int sb_flink_rest_run_jar(const sb_flink_rest_t *r, const char *jar_id, const char *entry_class,
                          const json_t *args, char job_id[SB_FLINK_JOB_ID_BYTES], sb_err_t *err);

/* Whether a job id is 32 hex digits (it goes into URLs). */
int sb_flink_job_id_valid(const char *id);

#endif
