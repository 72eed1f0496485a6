/* store_impl.h — internal to the store module: what a backend behind
 * store.h is, a constant table of operations. store.c picks one by the
 * URI's scheme and dispatches to it; backends include this header,
 * store_list.h and store_key.h, never store.c. No other module includes it. */
#ifndef SB_STORE_IMPL_H
#define SB_STORE_IMPL_H

#include <stddef.h>

#include "err.h"
#include "store.h"

#define SB_STORE_TMP_MARK ".tmp-"

/* One backend. Keys are relative to the store (and to its prefix, if it
 * has one); each operation has the contract of its sb_store_* namesake.
 * The operations marked "may be NULL" are optional; all others are set. */
typedef struct sb_store_ops {
    /* `rest` is the URI after its scheme. */
    int (*open)(sb_store_t *st, const char *rest, const char *base_dir, sb_err_t *err);
    void (*close)(sb_store_t *st);              /* may be NULL: nothing to free */
    int (*check)(sb_store_t *st, sb_err_t *err); /* may be NULL: always usable */
    void (*path)(const sb_store_t *st, const char *key, char *buf, size_t len);
    int (*put)(sb_store_t *st, const char *key, const void *data, size_t len, sb_err_t *err);
    int (*get)(sb_store_t *st, const char *key, char **data, size_t *len, sb_err_t *err);
    int (*exists)(sb_store_t *st, const char *key, sb_err_t *err);
    int (*delete)(sb_store_t *st, const char *key, sb_err_t *err);
    int (*list)(sb_store_t *st, const char *prefix, sb_store_list_t *out, sb_err_t *err);
    int (*upload_create)(sb_store_t *st, const char *key, char *upload_id,
                         size_t upload_id_len, sb_err_t *err);
    int (*upload_part)(sb_store_t *st, const char *key, const char *upload_id,
                       int part_number, const void *data, size_t len, sb_err_t *err);
    int (*upload_complete)(sb_store_t *st, const char *key, const char *upload_id, int parts,
                           sb_err_t *err);
    int (*upload_abort)(sb_store_t *st, const char *key, const char *upload_id,
                        sb_err_t *err);
    int (*uploads_list)(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                        sb_err_t *err);
    /* May be NULL: the backend's writes leave no temporary objects. */
    int (*sweep_temporaries)(sb_store_t *st, const char *prefix, sb_err_t *err);
    /* Leftovers besides uploads in progress (which store.c counts through
     * uploads_list): *count and one example. May be NULL: none. */
    int (*leftovers)(sb_store_t *st, const char *prefix, size_t *count, char *example,
                     size_t example_len, sb_err_t *err);
} sb_store_ops_t;

extern const sb_store_ops_t sb_store_file_ops; /* file://DIR, store_file.c */
extern const sb_store_ops_t sb_store_s3_ops;   /* s3://BUCKET/PREFIX, store_s3.c */
extern const sb_store_ops_t sb_store_mem_ops;  /* mem://NAME/PREFIX, store_mem.c */

#endif
