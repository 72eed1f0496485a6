/* store_mem.c — the mem://NAME/PREFIX backend of the object store (store.h):
 * objects and multipart uploads in memory, for the deterministic simulator
 * and for tests.
 *
 * NAME is a namespace shared by every handle opened on it (each under its
 * own PREFIX), kept in a process-wide registry until sb_store_mem_drop.
 * Locks: the registry's mutex guards the registry (the simulator opens and
 * drops namespaces from several threads); each namespace's own mutex guards
 * its contents (sink threads write to one NAME at once). The registry's is
 * taken before a namespace's, never the other way round.
 *
 * Invariants: objects are sorted by full key ("<prefix>/<key>"), so a
 * lookup is a binary search and a listing is one sorted run; uploads are
 * sorted by id, which is a counter per namespace ("mem-000001", ...), so
 * the same calls give the same ids and listings byte for byte; an upload's
 * parts are sorted by number and invisible until it is completed; a
 * completion publishes the object and removes the upload under one lock,
 * so objects appear whole. Every array has a bound; reaching it is an
 * error. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "store_key.h"
#include "store_list.h"

#define MEM_OBJECTS_MAX SB_STORE_LIST_MAX /* objects in one namespace */
#define MEM_UPLOADS_MAX 100000          /* uploads in progress in one namespace */
#define MEM_UPLOAD_ID_PREFIX "mem-"
#define MEM_FULL_KEY_BYTES_MAX (SB_STORE_PATH_BYTES_MAX + SB_STORE_KEY_BYTES_MAX)

/* A growable array of `size`-byte items, at most a given number. */
typedef struct mem_vec {
    void *items;
    size_t count, cap;
} mem_vec_t;

typedef struct mem_object {
    char *key;                          /* full key, under the handle's prefix */
    char *data;                         /* len bytes and a NUL */
    size_t len;
} mem_object_t;

typedef struct mem_part {
    int number;
    char *data;
    size_t len;
} mem_part_t;

typedef struct mem_upload {
    unsigned long long id;              /* the number of "mem-NNNNNN" */
    char *key;                          /* full key */
    mem_vec_t parts;                    /* mem_part_t, sorted by number */
} mem_upload_t;

struct sb_store_mem {
    char name[SB_STORE_MEM_NAME_BYTES_MAX];
    pthread_mutex_t lock;               /* guards everything below */
    mem_vec_t objects;                  /* mem_object_t, sorted by key */
    size_t bytes;                       /* sizes of the objects, summed */
    mem_vec_t uploads;                  /* mem_upload_t, sorted by id */
    unsigned long long upload_id_last;  /* the last id handed out */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static mem_vec_t registry;              /* struct sb_store_mem *, sorted by name */

/* ---------------------------------------------------- sorted arrays -- */

static void *vec_at(const mem_vec_t *v, size_t size, size_t i)
{
    return (char *)v->items + i * size;
}

/* The first index whose item is not below `key`; *found: whether equal. */
static size_t vec_lower_bound(const mem_vec_t *v, size_t size, const void *key,
                              int (*cmp)(const void *key, const void *item), bool *found)
{
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(key, vec_at(v, size, mid)) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < v->count && cmp(key, vec_at(v, size, lo)) == 0;
    return lo;
}

static int vec_insert(mem_vec_t *v, size_t size, size_t at, const void *item, size_t max,
                      const char *what, sb_err_t *err)
{
    if (v->count >= max)
        return sb_err_set(err, "cannot add one more %s: %zu is the most", what, max);
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *items = realloc(v->items, cap * size);
        if (items == NULL)
            return sb_err_set(err, "out of memory adding a %s", what);
        v->items = items;
        v->cap = cap;
    }
    memmove(vec_at(v, size, at + 1), vec_at(v, size, at), (v->count - at) * size);
    memcpy(vec_at(v, size, at), item, size);
    v->count++;
    return 0;
}

static void vec_remove(mem_vec_t *v, size_t size, size_t at)
{
    memmove(vec_at(v, size, at), vec_at(v, size, at + 1), (v->count - at - 1) * size);
    v->count--;
}

static int cmp_object(const void *key, const void *item)
{
    return strcmp(key, ((const mem_object_t *)item)->key);
}

static int cmp_upload(const void *key, const void *item)
{
    unsigned long long a = *(const unsigned long long *)key, b = ((const mem_upload_t *)item)->id;
    return a < b ? -1 : a > b;
}

static int cmp_part(const void *key, const void *item)
{
    int a = *(const int *)key, b = ((const mem_part_t *)item)->number;
    return a < b ? -1 : a > b;
}

static int cmp_namespace(const void *key, const void *item)
{
    return strcmp(key, (*(struct sb_store_mem *const *)item)->name);
}

/* ------------------------------------------------------- namespaces -- */

static void upload_free(mem_upload_t *u)
{
    for (size_t i = 0; i < u->parts.count; i++)
        free(((mem_part_t *)vec_at(&u->parts, sizeof(mem_part_t), i))->data);
    free(u->parts.items);
    free(u->key);
}

/* Removes the upload at index `at` of m, with its parts. */
static void upload_remove(struct sb_store_mem *m, size_t at)
{
    upload_free(vec_at(&m->uploads, sizeof(mem_upload_t), at));
    vec_remove(&m->uploads, sizeof(mem_upload_t), at);
}

static void namespace_free(struct sb_store_mem *m)
{
    for (size_t i = 0; i < m->objects.count; i++) {
        mem_object_t *o = vec_at(&m->objects, sizeof *o, i);
        free(o->key);
        free(o->data);
    }
    free(m->objects.items);
    for (size_t i = 0; i < m->uploads.count; i++)
        upload_free(vec_at(&m->uploads, sizeof(mem_upload_t), i));
    free(m->uploads.items);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* The namespace `name`, created when absent. Called with registry_lock. */
static struct sb_store_mem *namespace_get(const char *name, sb_err_t *err)
{
    bool found;
    size_t at = vec_lower_bound(&registry, sizeof(struct sb_store_mem *), name, cmp_namespace,
                                &found);
    if (found)
        return *(struct sb_store_mem **)vec_at(&registry, sizeof(struct sb_store_mem *), at);
    struct sb_store_mem *m = calloc(1, sizeof *m);
    if (m == NULL) {
        sb_err_set(err, "out of memory creating mem://%s", name);
        return NULL;
    }
    snprintf(m->name, sizeof m->name, "%s", name);
    pthread_mutex_init(&m->lock, NULL);
    if (vec_insert(&registry, sizeof m, at, &m, SB_STORE_MEM_NAMES_MAX, "memory store",
                   err) != 0) {
        namespace_free(m);
        return NULL;
    }
    return m;
}

int sb_store_mem_drop(const char *name)
{
    pthread_mutex_lock(&registry_lock);
    bool found;
    size_t at = vec_lower_bound(&registry, sizeof(struct sb_store_mem *), name, cmp_namespace,
                                &found);
    struct sb_store_mem *m = NULL;
    if (found) {
        m = *(struct sb_store_mem **)vec_at(&registry, sizeof m, at);
        vec_remove(&registry, sizeof m, at);
    }
    if (registry.count == 0) {
        free(registry.items);
        registry = (mem_vec_t){ NULL, 0, 0 };
    }
    pthread_mutex_unlock(&registry_lock);
    if (m == NULL)
        return -1;
    /* Let an operation still under way finish before freeing. */
    pthread_mutex_lock(&m->lock);
    pthread_mutex_unlock(&m->lock);
    namespace_free(m);
    return 0;
}

int sb_store_mem_stats(const char *name, sb_store_mem_stats_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&registry_lock);
    bool found;
    size_t at = vec_lower_bound(&registry, sizeof(struct sb_store_mem *), name, cmp_namespace,
                                &found);
    if (found) {
        struct sb_store_mem *m = *(struct sb_store_mem **)vec_at(&registry, sizeof m, at);
        pthread_mutex_lock(&m->lock);
        out->objects = m->objects.count;
        out->bytes = m->bytes;
        out->uploads = m->uploads.count;
        pthread_mutex_unlock(&m->lock);
    }
    pthread_mutex_unlock(&registry_lock);
    return found ? 0 : -1;
}

/* ------------------------------------------------------------ names -- */

static int memstore_open(sb_store_t *st, const char *name_and_prefix, const char *base_dir,
                         sb_err_t *err)
{
    (void)base_dir;
    if (sb_store_key_split(name_and_prefix, st->bucket, sizeof st->bucket, st->prefix,
                           sizeof st->prefix) != 0)
        return sb_err_set(err, "store '%s' names no memory store (mem://NAME, NAME of 1 to %d "
                               "bytes)",
                          st->uri, SB_STORE_MEM_NAME_BYTES_MAX - 1);
    pthread_mutex_lock(&registry_lock);
    st->mem = namespace_get(st->bucket, err);
    pthread_mutex_unlock(&registry_lock);
    return st->mem != NULL ? 0 : sb_err_wrap(err, "store %s", st->uri);
}

static void memstore_path(const sb_store_t *st, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "mem://%s/%s%s%s", st->bucket, st->prefix, st->prefix[0] ? "/" : "",
             key);
}

/* The full key of `key` (or of a listing prefix, when `is_prefix`). */
static int full_key(const sb_store_t *st, const char *key, bool is_prefix, char *buf,
                    sb_err_t *err)
{
    if (!is_prefix && sb_store_key_check(key, err) != 0)
        return -1;
    if (sb_store_key_full(st->prefix, key, buf, MEM_FULL_KEY_BYTES_MAX) >=
        MEM_FULL_KEY_BYTES_MAX)
        return sb_err_set(err, "key '%s' is too long under %s", key, st->uri);
    return 0;
}

static void upload_id_format(unsigned long long id, char *buf, size_t len)
{
    snprintf(buf, len, MEM_UPLOAD_ID_PREFIX "%06llu", id);
}

static bool upload_id_parse(const char *upload_id, unsigned long long *id)
{
    size_t pl = strlen(MEM_UPLOAD_ID_PREFIX);
    if (strncmp(upload_id, MEM_UPLOAD_ID_PREFIX, pl) != 0 || upload_id[pl] < '0' ||
        upload_id[pl] > '9')
        return false;
    char *end = NULL;
    *id = strtoull(upload_id + pl, &end, 10);
    return *end == '\0';
}

/* The upload `upload_id` of m, or NULL; *at receives its index. */
static mem_upload_t *upload_find(struct sb_store_mem *m, const char *upload_id, size_t *at)
{
    unsigned long long id;
    if (!upload_id_parse(upload_id, &id))
        return NULL;
    bool found;
    *at = vec_lower_bound(&m->uploads, sizeof(mem_upload_t), &id, cmp_upload, &found);
    return found ? vec_at(&m->uploads, sizeof(mem_upload_t), *at) : NULL;
}

/* -------------------------------------------------------- objects -- */

/* Publishes `o` (its key and data now belong to m), replacing an object of
 * the same key. Called with m->lock. */
static int object_publish(struct sb_store_mem *m, mem_object_t *o, sb_err_t *err)
{
    bool found;
    size_t at = vec_lower_bound(&m->objects, sizeof *o, o->key, cmp_object, &found);
    if (found) {
        mem_object_t *old = vec_at(&m->objects, sizeof *o, at);
        m->bytes -= old->len;
        free(old->key);
        free(old->data);
        *old = *o;
    } else if (vec_insert(&m->objects, sizeof *o, at, o, MEM_OBJECTS_MAX, "object", err) != 0) {
        return -1;
    }
    m->bytes += o->len;
    return 0;
}

static int memstore_put(sb_store_t *st, const char *key, const void *data, size_t len,
                        sb_err_t *err)
{
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, key, false, full, err) != 0)
        return -1;
    /* Copied before locking: the lock is held for the insertion only. */
    mem_object_t o = { strdup(full), malloc(len + 1), len };
    if (o.key == NULL || o.data == NULL) {
        free(o.key);
        free(o.data);
        return sb_err_set(err, "out of memory storing %s (%zu bytes) in %s", key, len, st->uri);
    }
    if (len > 0)
        memcpy(o.data, data, len); /* data may be NULL when len is 0 */
    o.data[len] = '\0';
    pthread_mutex_lock(&st->mem->lock);
    int rc = object_publish(st->mem, &o, err);
    pthread_mutex_unlock(&st->mem->lock);
    if (rc != 0) {
        free(o.key);
        free(o.data);
        return sb_err_wrap(err, "cannot store %s in %s", key, st->uri);
    }
    return 0;
}

static int memstore_get(sb_store_t *st, const char *key, char **data, size_t *len,
                        sb_err_t *err)
{
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, key, false, full, err) != 0)
        return -1;
    struct sb_store_mem *m = st->mem;
    pthread_mutex_lock(&m->lock);
    bool found;
    size_t at = vec_lower_bound(&m->objects, sizeof(mem_object_t), full, cmp_object, &found);
    char *copy = NULL;
    size_t copy_len = 0;
    if (found) {
        const mem_object_t *o = vec_at(&m->objects, sizeof *o, at);
        copy_len = o->len;
        copy = malloc(copy_len + 1);
        if (copy != NULL)
            memcpy(copy, o->data, copy_len + 1);
    }
    pthread_mutex_unlock(&m->lock);
    if (!found)
        return 0;
    if (copy == NULL)
        return sb_err_set(err, "out of memory reading %s from %s (%zu bytes)", key, st->uri,
                          copy_len);
    *data = copy;
    *len = copy_len;
    return 1;
}

static int memstore_exists(sb_store_t *st, const char *key, sb_err_t *err)
{
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, key, false, full, err) != 0)
        return -1;
    pthread_mutex_lock(&st->mem->lock);
    bool found;
    vec_lower_bound(&st->mem->objects, sizeof(mem_object_t), full, cmp_object, &found);
    pthread_mutex_unlock(&st->mem->lock);
    return found ? 1 : 0;
}

static int memstore_delete(sb_store_t *st, const char *key, sb_err_t *err)
{
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, key, false, full, err) != 0)
        return -1;
    struct sb_store_mem *m = st->mem;
    pthread_mutex_lock(&m->lock);
    bool found;
    size_t at = vec_lower_bound(&m->objects, sizeof(mem_object_t), full, cmp_object, &found);
    if (found) {
        mem_object_t *o = vec_at(&m->objects, sizeof *o, at);
        m->bytes -= o->len;
        free(o->key);
        free(o->data);
        vec_remove(&m->objects, sizeof *o, at);
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* The keys under the full prefix form one run of the sorted objects, in
 * the order the listing promises. */
static int memstore_list(sb_store_t *st, const char *prefix, sb_store_list_t *out,
                         sb_err_t *err)
{
    *out = (sb_store_list_t){ NULL, 0 };
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, prefix, true, full, err) != 0)
        return -1;
    struct sb_store_mem *m = st->mem;
    size_t fl = strlen(full), cap = 0;
    int rc = 0;
    bool found;
    pthread_mutex_lock(&m->lock);
    for (size_t i = vec_lower_bound(&m->objects, sizeof(mem_object_t), full, cmp_object, &found);
         rc == 0 && i < m->objects.count; i++) {
        const mem_object_t *o = vec_at(&m->objects, sizeof *o, i);
        if (strncmp(o->key, full, fl) != 0)
            break;
        rc = sb_store_list_push(out, &cap, sb_store_key_relative(st->prefix, o->key), err);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc != 0)
        sb_store_list_free(out);
    return rc;
}

/* -------------------------------------------------------- uploads -- */

static int memstore_upload_create(sb_store_t *st, const char *key, char *upload_id,
                                  size_t upload_id_len, sb_err_t *err)
{
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, key, false, full, err) != 0)
        return -1;
    mem_upload_t u = { 0, strdup(full), { NULL, 0, 0 } };
    if (u.key == NULL)
        return sb_err_set(err, "out of memory creating an upload of %s in %s", key, st->uri);
    struct sb_store_mem *m = st->mem;
    char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    int rc;
    pthread_mutex_lock(&m->lock);
    u.id = m->upload_id_last + 1;
    upload_id_format(u.id, id, sizeof id);
    if (strlen(id) >= upload_id_len)
        rc = sb_err_set(err, "upload id %s does not fit %zu bytes", id, upload_id_len);
    else /* ids only grow: the new upload sorts last */
        rc = vec_insert(&m->uploads, sizeof u, m->uploads.count, &u, MEM_UPLOADS_MAX,
                        "upload in progress", err);
    if (rc == 0)
        m->upload_id_last = u.id;
    pthread_mutex_unlock(&m->lock);
    if (rc != 0) {
        free(u.key);
        return sb_err_wrap(err, "cannot create an upload of %s in %s", key, st->uri);
    }
    snprintf(upload_id, upload_id_len, "%s", id);
    return 0;
}

static int memstore_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                                int part_number, const void *data, size_t len, sb_err_t *err)
{
    (void)key; /* the upload knows its key */
    if (sb_store_key_check_upload_id(upload_id, err) != 0 ||
        sb_store_key_check_part_number(part_number, err) != 0)
        return -1;
    mem_part_t p = { part_number, malloc(len + 1), len };
    if (p.data == NULL)
        return sb_err_set(err, "out of memory storing part %d of upload %s (%zu bytes)",
                          part_number, upload_id, len);
    if (len > 0)
        memcpy(p.data, data, len);
    struct sb_store_mem *m = st->mem;
    pthread_mutex_lock(&m->lock);
    size_t at;
    mem_upload_t *u = upload_find(m, upload_id, &at);
    int rc;
    if (u == NULL) {
        rc = sb_err_set(err, "upload %s not found in %s", upload_id, st->uri);
    } else {
        bool found;
        size_t pat = vec_lower_bound(&u->parts, sizeof p, &part_number, cmp_part, &found);
        mem_part_t *old = found ? vec_at(&u->parts, sizeof p, pat) : NULL;
        if (old != NULL) {
            free(old->data);
            *old = p;
            rc = 0;
        } else {
            rc = vec_insert(&u->parts, sizeof p, pat, &p, SB_STORE_PART_NUMBER_MAX, "part", err);
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (rc != 0)
        free(p.data);
    return rc;
}

/* The object an upload's parts 1..parts make. Called with m->lock. */
static int upload_concat(const mem_upload_t *u, const char *upload_id, int parts,
                         mem_object_t *o, sb_err_t *err)
{
    /* Numbers are unique, sorted and at least 1: parts 1..parts are all
     * there exactly when they are the first `parts` items. */
    size_t total = 0;
    for (int i = 0; i < parts; i++) {
        const mem_part_t *p = (size_t)i < u->parts.count ? vec_at(&u->parts, sizeof *p, (size_t)i)
                                                         : NULL;
        if (p == NULL || p->number != i + 1)
            return sb_err_set(err, "part %d missing in upload %s", i + 1, upload_id);
        total += p->len;
    }
    o->key = strdup(u->key);
    o->data = malloc(total + 1);
    o->len = total;
    if (o->key == NULL || o->data == NULL) {
        free(o->key);
        free(o->data);
        return sb_err_set(err, "out of memory completing upload %s (%zu bytes)", upload_id,
                          total);
    }
    size_t off = 0;
    for (int i = 0; i < parts; i++) {
        const mem_part_t *p = vec_at(&u->parts, sizeof *p, (size_t)i);
        memcpy(o->data + off, p->data, p->len);
        off += p->len;
    }
    o->data[total] = '\0';
    return 0;
}

/* Mirrors file://: a published object is never rewritten, so completing
 * again (or completing another upload of a published key) reports
 * SB_STORE_ALREADY and discards the upload. Called with m->lock. */
static int upload_complete_locked(struct sb_store_mem *m, const char *key, const char *full,
                                  const char *upload_id, int parts, sb_err_t *err)
{
    size_t at;
    mem_upload_t *u = upload_find(m, upload_id, &at);
    bool have_object;
    vec_lower_bound(&m->objects, sizeof(mem_object_t), full, cmp_object, &have_object);
    if (have_object) {
        if (u != NULL)
            upload_remove(m, at);
        return SB_STORE_ALREADY;
    }
    if (u == NULL)
        return sb_err_set(err, "cannot complete upload %s of %s: no such upload and no object",
                          upload_id, key);
    if (strcmp(u->key, full) != 0)
        return sb_err_set(err, "cannot complete upload %s as %s: it is an upload of %s",
                          upload_id, full, u->key);
    mem_object_t o;
    if (upload_concat(u, upload_id, parts, &o, err) != 0)
        return -1;
    if (object_publish(m, &o, err) != 0) {
        free(o.key);
        free(o.data);
        return -1;
    }
    upload_remove(m, at);
    return SB_STORE_OK;
}

static int memstore_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                                    int parts, sb_err_t *err)
{
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, key, false, full, err) != 0 ||
        sb_store_key_check_upload_id(upload_id, err) != 0)
        return -1;
    pthread_mutex_lock(&st->mem->lock);
    int rc = upload_complete_locked(st->mem, key, full, upload_id, parts, err);
    pthread_mutex_unlock(&st->mem->lock);
    return rc;
}

/* Aborting an upload that is gone (aborted or completed) is harmless. */
static int memstore_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                                 sb_err_t *err)
{
    (void)key;
    if (sb_store_key_check_upload_id(upload_id, err) != 0)
        return -1;
    struct sb_store_mem *m = st->mem;
    pthread_mutex_lock(&m->lock);
    size_t at;
    if (upload_find(m, upload_id, &at) != NULL)
        upload_remove(m, at);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* In the order they were created. */
static int memstore_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                                 sb_err_t *err)
{
    *out = (sb_store_uploads_t){ NULL, 0 };
    char full[MEM_FULL_KEY_BYTES_MAX];
    if (full_key(st, prefix, true, full, err) != 0)
        return -1;
    struct sb_store_mem *m = st->mem;
    size_t fl = strlen(full), cap = 0;
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; rc == 0 && i < m->uploads.count; i++) {
        const mem_upload_t *u = vec_at(&m->uploads, sizeof *u, i);
        if (strncmp(u->key, full, fl) != 0)
            continue;
        char id[SB_STORE_UPLOAD_ID_BYTES_MAX];
        upload_id_format(u->id, id, sizeof id);
        rc = sb_store_uploads_push(out, &cap, sb_store_key_relative(st->prefix, u->key), id,
                                   err);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc != 0)
        sb_store_uploads_free(out);
    return rc;
}

/* Nothing to close (the namespace outlives its handles), to check, to
 * sweep (a put is atomic under the lock) or left over besides uploads. */
const sb_store_ops_t sb_store_mem_ops = {
    .open = memstore_open,
    .close = NULL,
    .check = NULL,
    .path = memstore_path,
    .put = memstore_put,
    .get = memstore_get,
    .exists = memstore_exists,
    .delete = memstore_delete,
    .list = memstore_list,
    .upload_create = memstore_upload_create,
    .upload_part = memstore_upload_part,
    .upload_complete = memstore_upload_complete,
    .upload_abort = memstore_upload_abort,
    .uploads_list = memstore_uploads_list,
    .sweep_temporaries = NULL,
    .leftovers = NULL,
};
