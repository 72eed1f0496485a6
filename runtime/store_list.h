/* store_list.h — growing the listings the object store returns (store.h):
 * keys and uploads in progress, each bounded by SB_STORE_LIST_MAX. Shared
 * by every backend, so that none depends on store.c. */
#ifndef SB_STORE_LIST_H
#define SB_STORE_LIST_H

#include <stddef.h>

#include "err.h"
#include "store.h"

/* Appends a copy of `key`; *cap is the capacity of l->keys (0 at first). */
int sb_store_list_push(sb_store_list_t *l, size_t *cap, const char *key, sb_err_t *err);
/* Sorts the keys by bytes (strcmp), the order store.h promises. */
void sb_store_list_sort(sb_store_list_t *l);

/* Appends an upload; *cap is the capacity of u->items (0 at first). */
int sb_store_uploads_push(sb_store_uploads_t *u, size_t *cap, const char *key,
                          const char *upload_id, sb_err_t *err);

#endif
