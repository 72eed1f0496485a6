/* cli_fs.h — folder helpers shared by `snapbed run` and the suite runner. */
#ifndef SB_CLI_FS_H
#define SB_CLI_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* True when `path` does not exist or holds nothing: a folder with anything
 * in it may be someone's earlier run, and is never reused. */
bool sb_cli_dir_is_empty(const char *path);

/* Whether `path` may become a new run (or suite) folder: it does not exist
 * yet, or is an empty folder. Else -1 with the reason, naming it as `what`
 * ("run folder"): a file, a path under a file, or an earlier run. */
int sb_cli_out_dir_check(const char *what, const char *path, sb_err_t *err);

/* A folder name for a new run or suite that no earlier one has taken:
 * out/<name>-<YYYYmmdd-HHMMSS>, or with -2, -3, … when that exists. */
void sb_cli_fresh_dir(const char *name, char *buf, size_t len);

/* mkdir -p. */
int sb_cli_mkdir_p(const char *path, sb_err_t *err);

#endif
