/* store_s3.c — the s3:// backend of the object store (store.h), on the S3
 * client (s3.h). Store keys are relative to the store's prefix; the client
 * sees full keys "<prefix>/<key>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "store_key.h"
#include "store_list.h"

static int s3store_open(sb_store_t *st, const char *bucket_and_prefix, const char *base_dir,
                        sb_err_t *err)
{
    (void)base_dir;
    if (sb_store_key_split(bucket_and_prefix, st->bucket, sizeof st->bucket, st->prefix,
                           sizeof st->prefix) != 0)
        return sb_err_set(err, "store '%s' names no valid bucket", st->uri);
    sb_s3_config_t cfg;
    if (sb_s3_config_from_env(&cfg, err) != 0)
        return sb_err_wrap(err, "store %s", st->uri);
    st->s3 = sb_s3_new(&cfg, err);
    return st->s3 != NULL ? 0 : -1;
}

static void s3store_close(sb_store_t *st)
{
    sb_s3_free(st->s3);
    st->s3 = NULL;
}

static int s3store_check(sb_store_t *st, sb_err_t *err)
{
    return sb_s3_check_bucket(st->s3, st->bucket, err);
}

static void full_key(const sb_store_t *st, const char *key, char *buf, size_t len)
{
    sb_store_key_full(st->prefix, key, buf, len);
}

static void s3store_path(const sb_store_t *st, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "s3://%s/%s%s%s", st->bucket, st->prefix, st->prefix[0] ? "/" : "",
             key);
}

static int s3store_put(sb_store_t *st, const char *key, const void *data, size_t len, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_put(st->s3, st->bucket, k, data, len, err);
}

static int s3store_get(sb_store_t *st, const char *key, char **data, size_t *len, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_get(st->s3, st->bucket, k, data, len, err);
}

static int s3store_exists(sb_store_t *st, const char *key, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_head(st->s3, st->bucket, k, err);
}

static int s3store_delete(sb_store_t *st, const char *key, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_delete(st->s3, st->bucket, k, err);
}

typedef struct list_ctx {
    const sb_store_t *st;
    sb_store_list_t *out;
    size_t cap;
    sb_err_t *err;
} list_ctx_t;

static int on_key(const char *full, void *ctx)
{
    list_ctx_t *c = ctx;
    const char *rel = sb_store_key_relative(c->st->prefix, full);
    return rel == NULL ? 0 : sb_store_list_push(c->out, &c->cap, rel, c->err);
}

static int s3store_list(sb_store_t *st, const char *prefix, sb_store_list_t *out, sb_err_t *err)
{
    out->keys = NULL;
    out->count = 0;
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, prefix, k, sizeof k);
    list_ctx_t c = { st, out, 0, err };
    if (sb_s3_list(st->s3, st->bucket, k, on_key, &c, err) != 0) {
        sb_store_list_free(out);
        return -1;
    }
    /* S3 sorts by UTF-8 bytes already; sorting again costs little and
     * makes the order the interface promises independent of the server. */
    sb_store_list_sort(out);
    return 0;
}

static int s3store_upload_create(sb_store_t *st, const char *key, char *upload_id,
                                 size_t upload_id_len, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_upload_create(st->s3, st->bucket, k, upload_id, upload_id_len, err);
}

static int s3store_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                               int part_number, const void *data, size_t len, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_upload_part(st->s3, st->bucket, k, upload_id, part_number, data, len, err);
}

static int s3store_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                                   int parts, sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    int rc = sb_s3_upload_complete(st->s3, st->bucket, k, upload_id, parts, err);
    return rc < 0 ? -1 : rc == 1 ? SB_STORE_ALREADY : SB_STORE_OK;
}

static int s3store_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                                sb_err_t *err)
{
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, key, k, sizeof k);
    return sb_s3_upload_abort(st->s3, st->bucket, k, upload_id, err);
}

typedef struct uploads_ctx {
    const sb_store_t *st;
    sb_store_uploads_t *out;
    size_t cap;
    sb_err_t *err;
} uploads_ctx_t;

static int on_upload(const char *full, const char *upload_id, void *ctx)
{
    uploads_ctx_t *c = ctx;
    const char *rel = sb_store_key_relative(c->st->prefix, full);
    return rel == NULL ? 0 : sb_store_uploads_push(c->out, &c->cap, rel, upload_id, c->err);
}

static int s3store_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                                sb_err_t *err)
{
    out->items = NULL;
    out->count = 0;
    char k[SB_STORE_PATH_BYTES_MAX];
    full_key(st, prefix, k, sizeof k);
    uploads_ctx_t c = { st, out, 0, err };
    if (sb_s3_uploads_list(st->s3, st->bucket, k, on_upload, &c, err) != 0) {
        sb_store_uploads_free(out);
        return -1;
    }
    return 0;
}

/* An S3 PUT is atomic: a crash leaves no temporary object there, so there
 * is nothing to sweep and no leftover besides uploads in progress. */
const sb_store_ops_t sb_store_s3_ops = {
    .open = s3store_open,
    .close = s3store_close,
    .check = s3store_check,
    .path = s3store_path,
    .put = s3store_put,
    .get = s3store_get,
    .exists = s3store_exists,
    .delete = s3store_delete,
    .list = s3store_list,
    .upload_create = s3store_upload_create,
    .upload_part = s3store_upload_part,
    .upload_complete = s3store_upload_complete,
    .upload_abort = s3store_upload_abort,
    .uploads_list = s3store_uploads_list,
    .sweep_temporaries = NULL,
    .leftovers = NULL,
};
