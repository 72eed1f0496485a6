/* cli_fs.c — see cli_fs.h. */
#include "cli_fs.h"

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

int sb_cli_out_dir_check(const char *what, const char *path, sb_err_t *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0; /* created when the run starts */
        return sb_err_errno(err, errno, "%s %s cannot be created", what, path);
    }
    if (!S_ISDIR(st.st_mode))
        return sb_err_set(err, "%s %s is a file, not a folder; choose another with -o", what,
                          path);
    if (!sb_cli_dir_is_empty(path))
        return sb_err_set(err, "%s %s is not empty (an earlier run?); choose another with -o",
                          what, path);
    return 0;
}

void sb_cli_fresh_dir(const char *name, char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, len, "out/%s-%s", name, stamp);
    struct stat st;
    for (int i = 2; stat(buf, &st) == 0 && i < 100; i++)
        snprintf(buf, len, "out/%s-%s-%d", name, stamp, i);
}

int sb_cli_mkdir_p(const char *path, sb_err_t *err)
{
    return sb_fs_mkdir_p(path, err);
}
