/* store.c — the object store interface (store.h): opens a store by picking
 * its backend's table of operations (store_impl.h) from the URI's scheme,
 * then hands each operation to that table. No branch here depends on which
 * backend it is. */
#include "store.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "store_impl.h"

typedef struct scheme {
    const char *prefix;                 /* "file://" */
    const sb_store_ops_t *ops;
} scheme_t;

static const scheme_t schemes[] = {
    { "file://", &sb_store_file_ops },
    { "s3://", &sb_store_s3_ops },
    { "mem://", &sb_store_mem_ops },
};

static void assert_complete(const sb_store_ops_t *o)
{
    assert(o->open != NULL && o->path != NULL && o->put != NULL && o->get != NULL);
    assert(o->exists != NULL && o->delete != NULL && o->list != NULL);
    assert(o->upload_create != NULL && o->upload_part != NULL);
    assert(o->upload_complete != NULL && o->upload_abort != NULL);
    assert(o->uploads_list != NULL);
    (void)o;
}

int sb_store_open(sb_store_t *st, const char *uri, const char *base_dir, sb_err_t *err)
{
    memset(st, 0, sizeof *st);
    snprintf(st->uri, sizeof st->uri, "%s", uri);
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncmp(uri, schemes[i].prefix, n) != 0)
            continue;
        st->ops = schemes[i].ops;
        assert_complete(st->ops);
        return st->ops->open(st, uri + n, base_dir, err);
    }
    return sb_err_set(err,
                      "unsupported store '%s': use file://DIR, s3://BUCKET/PREFIX or "
                      "mem://NAME/PREFIX",
                      uri);
}

void sb_store_close(sb_store_t *st)
{
    /* A store whose open failed early has no backend. */
    if (st->ops != NULL && st->ops->close != NULL)
        st->ops->close(st);
}

int sb_store_check(sb_store_t *st, sb_err_t *err)
{
    return st->ops->check != NULL ? st->ops->check(st, err) : 0;
}

void sb_store_path(const sb_store_t *st, const char *key, char *buf, size_t len)
{
    st->ops->path(st, key, buf, len);
}

int sb_store_put(sb_store_t *st, const char *key, const void *data, size_t len, sb_err_t *err)
{
    return st->ops->put(st, key, data, len, err);
}

int sb_store_get(sb_store_t *st, const char *key, char **data, size_t *len, sb_err_t *err)
{
    return st->ops->get(st, key, data, len, err);
}

int sb_store_exists(sb_store_t *st, const char *key, sb_err_t *err)
{
    return st->ops->exists(st, key, err);
}

int sb_store_delete(sb_store_t *st, const char *key, sb_err_t *err)
{
    return st->ops->delete(st, key, err);
}

int sb_store_list(sb_store_t *st, const char *prefix, sb_store_list_t *out, sb_err_t *err)
{
    return st->ops->list(st, prefix, out, err);
}

int sb_store_upload_create(sb_store_t *st, const char *key, char *upload_id,
                           size_t upload_id_len, sb_err_t *err)
{
    return st->ops->upload_create(st, key, upload_id, upload_id_len, err);
}

int sb_store_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                         int part_number, const void *data, size_t len, sb_err_t *err)
{
    return st->ops->upload_part(st, key, upload_id, part_number, data, len, err);
}

int sb_store_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                             int parts, sb_err_t *err)
{
    return st->ops->upload_complete(st, key, upload_id, parts, err);
}

int sb_store_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                          sb_err_t *err)
{
    return st->ops->upload_abort(st, key, upload_id, err);
}

int sb_store_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                          sb_err_t *err)
{
    return st->ops->uploads_list(st, prefix, out, err);
}

int sb_store_sweep_temporaries(sb_store_t *st, const char *prefix, sb_err_t *err)
{
    return st->ops->sweep_temporaries != NULL ? st->ops->sweep_temporaries(st, prefix, err)
                                              : 0;
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
    if (st->ops->leftovers == NULL)
        return 0;
    size_t other = 0;
    char other_example[SB_STORE_KEY_BYTES_MAX + 32] = "";
    if (st->ops->leftovers(st, prefix, &other, other_example, sizeof other_example, err) != 0)
        return -1;
    if (*count == 0 && other > 0 && example != NULL)
        snprintf(example, example_len, "%s", other_example);
    *count += other;
    return 0;
}
