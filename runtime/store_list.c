/* store_list.c — growing the listings of the object store (store_list.h),
 * and freeing them (store.h). */
#include "store_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sb_store_list_sort(sb_store_list_t *l)
{
    if (l->count > 0)
        qsort(l->keys, l->count, sizeof *l->keys, cmp_keys);
}

void sb_store_list_free(sb_store_list_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->keys[i]);
    free(l->keys);
    l->keys = NULL;
    l->count = 0;
}

int sb_store_uploads_push(sb_store_uploads_t *u, size_t *cap, const char *key,
                          const char *upload_id, sb_err_t *err)
{
    if (u->count >= SB_STORE_LIST_MAX)
        return sb_err_set(err, "listing exceeds %d uploads", SB_STORE_LIST_MAX);
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

void sb_store_uploads_free(sb_store_uploads_t *u)
{
    free(u->items);
    u->items = NULL;
    u->count = 0;
}
