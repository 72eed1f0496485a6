/* cli_fs.h — folder helpers shared by `snapbed run` and the suite runner. */
#ifndef SB_CLI_FS_H
#define SB_CLI_FS_H

#include <stdbool.h>

#include "err.h"

/* True when `path` does not exist or holds nothing: a folder with anything
 * in it may be someone's earlier run, and is never reused. */
bool sb_cli_dir_is_empty(const char *path);

/* mkdir -p. */
int sb_cli_mkdir_p(const char *path, sb_err_t *err);

#endif
