/* store.c — the object store interface (store.h): opens a store from its
 * URI and hands each operation to its backend, file:// (store_file.c) or
 * s3:// (store_s3.c). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_impl.h"

#define FILE_SCHEME "file://"
#define S3_SCHEME "s3://"

int sb_store_open(sb_store_t *st, const char *uri, const char *base_dir, sb_err_t *err)
{
    memset(st, 0, sizeof *st);
    snprintf(st->uri, sizeof st->uri, "%s", uri);
    if (strncmp(uri, FILE_SCHEME, strlen(FILE_SCHEME)) == 0)
        return sb_fstore_open(st, uri + strlen(FILE_SCHEME), base_dir, err);
    if (strncmp(uri, S3_SCHEME, strlen(S3_SCHEME)) == 0)
        return sb_s3store_open(st, uri + strlen(S3_SCHEME), err);
    return sb_err_set(err, "unsupported store '%s': use file://DIR or s3://BUCKET/PREFIX", uri);
}

void sb_store_close(sb_store_t *st)
{
    if (st->s3 != NULL)
        sb_s3store_close(st);
}

int sb_store_check(sb_store_t *st, sb_err_t *err)
{
    if (st->s3 != NULL)
        return sb_s3store_check(st, err);
    if (access(st->root, W_OK) != 0)
        return sb_err_set(err, "store %s: cannot write to %s", st->uri, st->root);
    return 0;
}

void sb_store_path(const sb_store_t *st, const char *key, char *buf, size_t len)
{
    if (st->s3 != NULL)
        snprintf(buf, len, "s3://%s/%s%s%s", st->bucket, st->prefix, st->prefix[0] ? "/" : "",
                 key);
    else
        sb_fstore_path(st, key, buf, len);
}

int sb_store_put(sb_store_t *st, const char *key, const void *data, size_t len, sb_err_t *err)
{
    return st->s3 ? sb_s3store_put(st, key, data, len, err) : sb_fstore_put(st, key, data, len, err);
}

int sb_store_get(sb_store_t *st, const char *key, char **data, size_t *len, sb_err_t *err)
{
    return st->s3 ? sb_s3store_get(st, key, data, len, err) : sb_fstore_get(st, key, data, len, err);
}

int sb_store_exists(sb_store_t *st, const char *key, sb_err_t *err)
{
    return st->s3 ? sb_s3store_exists(st, key, err) : sb_fstore_exists(st, key, err);
}

int sb_store_delete(sb_store_t *st, const char *key, sb_err_t *err)
{
    return st->s3 ? sb_s3store_delete(st, key, err) : sb_fstore_delete(st, key, err);
}

int sb_store_list(sb_store_t *st, const char *prefix, sb_store_list_t *out, sb_err_t *err)
{
    return st->s3 ? sb_s3store_list(st, prefix, out, err) : sb_fstore_list(st, prefix, out, err);
}

int sb_store_upload_create(sb_store_t *st, const char *key, char *upload_id,
                           size_t upload_id_len, sb_err_t *err)
{
    return st->s3 ? sb_s3store_upload_create(st, key, upload_id, upload_id_len, err)
                  : sb_fstore_upload_create(st, key, upload_id, upload_id_len, err);
}

int sb_store_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                         int part_number, const void *data, size_t len, sb_err_t *err)
{
    return st->s3 ? sb_s3store_upload_part(st, key, upload_id, part_number, data, len, err)
                  : sb_fstore_upload_part(st, upload_id, part_number, data, len, err);
}

int sb_store_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                             int parts, sb_err_t *err)
{
    return st->s3 ? sb_s3store_upload_complete(st, key, upload_id, parts, err)
                  : sb_fstore_upload_complete(st, key, upload_id, parts, err);
}

int sb_store_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                          sb_err_t *err)
{
    return st->s3 ? sb_s3store_upload_abort(st, key, upload_id, err)
                  : sb_fstore_upload_abort(st, upload_id, err);
}

int sb_store_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                          sb_err_t *err)
{
    return st->s3 ? sb_s3store_uploads_list(st, prefix, out, err)
                  : sb_fstore_uploads_list(st, prefix, out, err);
}

int sb_store_sweep_temporaries(sb_store_t *st, const char *prefix, sb_err_t *err)
{
    /* An S3 PUT is atomic: a crash leaves no temporary object there. */
    return st->s3 ? 0 : sb_fstore_sweep_temporaries(st, prefix, err);
}

int sb_store_leftovers(sb_store_t *st, const char *prefix, size_t *count, char *example,
                       size_t example_len, sb_err_t *err)
{
    *count = 0;
    if (example != NULL && example_len > 0)
        example[0] = '\0';
    sb_store_uploads_t u;
    if (sb_store_uploads_list(st, prefix, &u, err) != 0)
        return -1;
    *count = u.count;
    if (u.count > 0 && example != NULL)
        snprintf(example, example_len, "upload %s of %s in progress", u.items[0].upload_id,
                 u.items[0].key);
    sb_store_uploads_free(&u);
    if (st->s3 != NULL)
        return 0;
    size_t tmp = 0;
    char tmp_example[SB_STORE_KEY_BYTES_MAX + 32] = "";
    if (sb_fstore_leftovers(st, prefix, &tmp, tmp_example, sizeof tmp_example, err) != 0)
        return -1;
    if (*count == 0 && tmp > 0 && example != NULL)
        snprintf(example, example_len, "%s", tmp_example);
    *count += tmp;
    return 0;
}

int sb_store_list_push(sb_store_list_t *l, size_t *cap, const char *key, sb_err_t *err)
{
    if (l->count >= SB_STORE_LIST_MAX)
        return sb_err_set(err, "listing exceeds %d keys", SB_STORE_LIST_MAX);
    if (l->count == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        char **k = realloc(l->keys, n * sizeof *k);
        if (k == NULL)
            return sb_err_set(err, "out of memory listing keys");
        l->keys = k;
        *cap = n;
    }
    l->keys[l->count] = strdup(key);
    if (l->keys[l->count] == NULL)
        return sb_err_set(err, "out of memory listing keys");
    l->count++;
    return 0;
}

int sb_store_uploads_push(sb_store_uploads_t *u, size_t *cap, const char *key,
                          const char *upload_id, sb_err_t *err)
{
    if (u->count == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        sb_store_upload_t *items = realloc(u->items, n * sizeof *items);
        if (items == NULL)
            return sb_err_set(err, "out of memory listing uploads");
        u->items = items;
        *cap = n;
    }
    sb_store_upload_t *it = &u->items[u->count++];
    snprintf(it->upload_id, sizeof it->upload_id, "%s", upload_id);
    snprintf(it->key, sizeof it->key, "%s", key);
    return 0;
}
