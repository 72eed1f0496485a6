/* store_key.h — the names inside an object store (store.h), checked and
 * composed the same way by every backend: object keys, the BUCKET/PREFIX
 * (or NAME/PREFIX) of a URI, full keys under a prefix, upload ids and part
 * numbers. Pure functions: no I/O, no state. */
#ifndef SB_STORE_KEY_H
#define SB_STORE_KEY_H

#include <stddef.h>

#include "err.h"

#define SB_STORE_PART_NUMBER_MAX 10000 /* S3's limit, kept by every backend */

/* A key is relative, without "..", shorter than SB_STORE_KEY_BYTES_MAX. */
int sb_store_key_check(const char *key, sb_err_t *err);
/* Upload ids come back from snapshots: one that is not a plain name could
 * make abort remove something outside its upload folder. */
int sb_store_key_check_upload_id(const char *upload_id, sb_err_t *err);
int sb_store_key_check_part_number(int part_number, sb_err_t *err);

/* Splits "NAME[/PREFIX]" into NAME and PREFIX without slashes at either
 * end (may be empty). -1 when NAME is empty or does not fit name_len. */
int sb_store_key_split(const char *name_and_prefix, char *name, size_t name_len,
                       char *prefix, size_t prefix_len);
/* "<prefix>/<key>", or key alone under an empty prefix. Returns what
 * snprintf returns: >= len when it did not fit. */
int sb_store_key_full(const char *prefix, const char *key, char *buf, size_t len);
/* The part of a full key below prefix, or NULL when outside it. */
const char *sb_store_key_relative(const char *prefix, const char *full);

#endif
