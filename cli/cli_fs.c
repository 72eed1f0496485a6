/* cli_fs.c — see cli_fs.h. */
#include "cli_fs.h"

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool sb_cli_dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return errno == ENOENT;
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

int sb_cli_mkdir_p(const char *path, sb_err_t *err)
{
    return sb_fs_mkdir_p(path, err);
}
