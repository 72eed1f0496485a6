/* fsutil.c — see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#define PATH_BYTES_MAX 4096

int sb_fs_mkdir_p(const char *path, sb_err_t *err)
{
    char buf[PATH_BYTES_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sb_err_set(err, "path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return sb_err_errno(err, errno, "cannot create directory %s", buf);
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return sb_err_errno(err, errno, "cannot create directory %s", buf);
    return 0;
}
