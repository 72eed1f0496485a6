/* store_impl.h — internal to the store module: the two backends behind
 * store.h. store.c dispatches to them; no other module includes this. */
#ifndef SB_STORE_IMPL_H
#define SB_STORE_IMPL_H

#include "store.h"

#define SB_STORE_TMP_MARK ".tmp-"

/* file:// (store_file.c) */
int sb_fstore_open(sb_store_t *st, const char *dir, const char *base_dir, sb_err_t *err);
void sb_fstore_path(const sb_store_t *st, const char *key, char *buf, size_t len);
int sb_fstore_put(sb_store_t *st, const char *key, const void *data, size_t len, sb_err_t *err);
int sb_fstore_get(sb_store_t *st, const char *key, char **data, size_t *len, sb_err_t *err);
int sb_fstore_exists(sb_store_t *st, const char *key, sb_err_t *err);
int sb_fstore_delete(sb_store_t *st, const char *key, sb_err_t *err);
int sb_fstore_list(sb_store_t *st, const char *prefix, sb_store_list_t *out, sb_err_t *err);
int sb_fstore_upload_create(sb_store_t *st, const char *key, char *upload_id,
                            size_t upload_id_len, sb_err_t *err);
int sb_fstore_upload_part(sb_store_t *st, const char *upload_id, int part_number,
                          const void *data, size_t len, sb_err_t *err);
int sb_fstore_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                              int parts, sb_err_t *err);
int sb_fstore_upload_abort(sb_store_t *st, const char *upload_id, sb_err_t *err);
int sb_fstore_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                           sb_err_t *err);
int sb_fstore_leftovers(sb_store_t *st, const char *prefix, size_t *count, char *example,
                        size_t example_len, sb_err_t *err);
int sb_fstore_sweep_temporaries(sb_store_t *st, const char *prefix, sb_err_t *err);

/* s3:// (store_s3.c): keys are relative to the store's prefix. */
int sb_s3store_open(sb_store_t *st, const char *bucket_and_prefix, sb_err_t *err);
void sb_s3store_close(sb_store_t *st);
int sb_s3store_check(sb_store_t *st, sb_err_t *err);
int sb_s3store_put(sb_store_t *st, const char *key, const void *data, size_t len, sb_err_t *err);
int sb_s3store_get(sb_store_t *st, const char *key, char **data, size_t *len, sb_err_t *err);
int sb_s3store_exists(sb_store_t *st, const char *key, sb_err_t *err);
int sb_s3store_delete(sb_store_t *st, const char *key, sb_err_t *err);
int sb_s3store_list(sb_store_t *st, const char *prefix, sb_store_list_t *out, sb_err_t *err);
int sb_s3store_upload_create(sb_store_t *st, const char *key, char *upload_id,
                             size_t upload_id_len, sb_err_t *err);
int sb_s3store_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                           int part_number, const void *data, size_t len, sb_err_t *err);
int sb_s3store_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                               int parts, sb_err_t *err);
int sb_s3store_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                            sb_err_t *err);
int sb_s3store_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                            sb_err_t *err);

/* Shared by both: growing a list of keys. */
int sb_store_list_push(sb_store_list_t *l, size_t *cap, const char *key, sb_err_t *err);
int sb_store_uploads_push(sb_store_uploads_t *u, size_t *cap, const char *key,
                          const char *upload_id, sb_err_t *err);

#endif
