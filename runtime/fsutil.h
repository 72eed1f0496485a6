/* fsutil.h — small file-system helpers shared by the file:// store and
 * the command line. */
#ifndef SB_FSUTIL_H
#define SB_FSUTIL_H

#include "err.h"

/* mkdir -p: creates `path` and its missing parents (0755). */
int sb_fs_mkdir_p(const char *path, sb_err_t *err);

#endif
