/* fsutil.h — small file-system helpers shared by the file:// store and
 * the command line. */
#ifndef SB_FSUTIL_H
#define SB_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* mkdir -p: creates `path` and its missing parents (0755). */
int sb_fs_mkdir_p(const char *path, sb_err_t *err);

/* Writes `path` whole or not at all: the bytes go to PATH.tmp (flushed to
 * disk first when `durable`), which is renamed over `path`, so a reader
 * never sees half a file. Every write is checked; on a failure the
 * temporary file is removed and err names it and the errno (a full disk
 * is an error, never a silent exit). */
int sb_fs_write_atomic(const char *path, const void *data, size_t len, bool durable,
                       sb_err_t *err);

#endif
