/* store.h — the object store interface used by the sink and by checkpoint
 * storage.
 *
 * Keys are relative paths ("run/chk-3/_metadata"). Objects become visible
 * atomically and whole. Multipart uploads are the sink's two-phase commit: an
 * upload's parts are invisible until it is completed, completing is
 * idempotent (an upload already completed reports SB_STORE_ALREADY), and
 * aborting discards the parts.
 *
 * The `file://DIR` backend keeps objects as files under DIR, publishes by
 * rename(2) and emulates multipart uploads in DIR/_uploads/<upload id>/.
 * The `s3://BUCKET/PREFIX` backend keeps them under PREFIX/ in the bucket,
 * through the S3 client (s3.h), configured from the environment
 * (S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
 * The `mem://NAME/PREFIX` backend keeps them in memory, in the process-wide
 * namespace NAME that every handle opened on NAME shares (under its own
 * PREFIX), until sb_store_mem_drop(NAME); it is deterministic (upload ids
 * count per NAME), for the simulator and for tests.
 *
 * Each backend is a table of operations (store_impl.h) chosen once by
 * sb_store_open from the URI's scheme; the functions below dispatch. */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stddef.h>

#include "err.h"
#include "s3.h"

#define SB_STORE_PATH_BYTES_MAX 1024
#define SB_STORE_KEY_BYTES_MAX 512
#define SB_STORE_UPLOAD_ID_BYTES_MAX 128
#define SB_STORE_LIST_MAX 1000000       /* keys returned by one listing */
#define SB_STORE_UPLOADS_DIR "_uploads"

#define SB_STORE_MEM_NAME_BYTES_MAX 64 /* NAME of mem://NAME, with its NUL */

struct sb_store_ops;
struct sb_store_mem;
struct sb_fileio;

typedef struct sb_store {
    const struct sb_store_ops *ops;     /* the backend, set by sb_store_open */
    char uri[SB_STORE_PATH_BYTES_MAX];  /* as given, for messages */
    char root[SB_STORE_PATH_BYTES_MAX]; /* file://: absolute directory */
    sb_s3_t *s3;                        /* s3://: the client, else NULL */
    char bucket[SB_STORE_MEM_NAME_BYTES_MAX]; /* s3://: the bucket;
                                                 mem://: the NAME */
    char prefix[SB_STORE_PATH_BYTES_MAX]; /* s3://, mem://: key prefix, no
                                             slashes at either end; may be
                                             empty */
    struct sb_store_mem *mem;           /* mem://: the namespace, else NULL */
    struct sb_fileio *io;               /* file://: its system calls (fileio.h);
                                           NULL: the plain ones. A fault layer
                                           (store_fault.h) sets it; it is
                                           released when the store closes */
} sb_store_t;

typedef struct sb_store_list {
    char **keys;                         /* sorted */
    size_t count;
} sb_store_list_t;

typedef struct sb_store_upload {
    char upload_id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    char key[SB_STORE_KEY_BYTES_MAX];
} sb_store_upload_t;

typedef struct sb_store_uploads {
    sb_store_upload_t *items;
    size_t count;
} sb_store_uploads_t;

enum { SB_STORE_OK = 0, SB_STORE_ALREADY = 1 };

/* Opens `uri`: file://DIR (a relative DIR is taken relative to `base_dir`;
 * the directory is created), s3://BUCKET[/PREFIX] (nothing is checked
 * until sb_store_check) or mem://NAME[/PREFIX] (NAME is created when
 * absent). */
int sb_store_open(sb_store_t *st, const char *uri, const char *base_dir, sb_err_t *err);
void sb_store_close(sb_store_t *st);

/* Can the store be used? For s3://, whether the endpoint answers, the
 * credentials are accepted and the bucket exists (one clear sentence when
 * not). For file://, whether the directory is writable. mem:// always can. */
int sb_store_check(sb_store_t *st, sb_err_t *err);

int sb_store_put(sb_store_t *st, const char *key, const void *data, size_t len,
                 sb_err_t *err);
/* Returns 1 and fills *data (malloc'd, NUL-terminated) if the object exists,
 * 0 if it does not, -1 on error. */
int sb_store_get(sb_store_t *st, const char *key, char **data, size_t *len,
                 sb_err_t *err);
int sb_store_exists(sb_store_t *st, const char *key, sb_err_t *err);
int sb_store_delete(sb_store_t *st, const char *key, sb_err_t *err);
/* Keys of completed objects under `prefix` (recursively), sorted. */
int sb_store_list(sb_store_t *st, const char *prefix, sb_store_list_t *out,
                  sb_err_t *err);
void sb_store_list_free(sb_store_list_t *l);

int sb_store_upload_create(sb_store_t *st, const char *key, char *upload_id,
                           size_t upload_id_len, sb_err_t *err);
int sb_store_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                         int part_number, const void *data, size_t len, sb_err_t *err);
/* Returns SB_STORE_OK when it published the object now, SB_STORE_ALREADY
 * when the upload had been completed before, -1 on error. */
int sb_store_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                             int parts, sb_err_t *err);
int sb_store_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                          sb_err_t *err);
/* Uploads in progress whose key starts with `prefix`. */
int sb_store_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                          sb_err_t *err);
void sb_store_uploads_free(sb_store_uploads_t *u);

/* Removes temporary objects under prefix left by writes a crash cut short
 * (file:// only; a no-op on s3:// and mem://). */
int sb_store_sweep_temporaries(sb_store_t *st, const char *prefix, sb_err_t *err);

/* Leftovers once a job has finished: multipart uploads still in progress
 * and temporary objects, under `prefix`. *count receives how many, and
 * `example` (may be NULL) names one. */
int sb_store_leftovers(sb_store_t *st, const char *prefix, size_t *count, char *example,
                       size_t example_len, sb_err_t *err);

/* Where an object lives: a path (file://) or an s3:// or mem:// URL, for
 * messages. */
void sb_store_path(const sb_store_t *st, const char *key, char *buf, size_t len);

/* ------------------------------------------------ mem:// namespaces -- */

#define SB_STORE_MEM_NAMES_MAX 4096     /* namespaces alive at once */

typedef struct sb_store_mem_stats {
    size_t objects;                     /* completed objects */
    size_t bytes;                       /* their sizes, summed */
    size_t uploads;                     /* multipart uploads in progress */
} sb_store_mem_stats_t;

/* Frees the namespace NAME and everything in it; handles opened on it must
 * not be used afterwards (the next open of NAME starts empty). Returns 0,
 * or -1 when there is no namespace NAME. */
int sb_store_mem_drop(const char *name);
/* What the namespace NAME holds, under every prefix. Returns 0, or -1 when
 * there is no namespace NAME. */
int sb_store_mem_stats(const char *name, sb_store_mem_stats_t *out);

#endif
