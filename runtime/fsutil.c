/* fsutil.c — see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Every byte of data to fd, across short writes and signals. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int sb_fs_write_atomic(const char *path, const void *data, size_t len, bool durable,
                       sb_err_t *err)
{
    char tmp[PATH_BYTES_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return sb_err_set(err, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sb_err_errno(err, errno, "cannot create %s", tmp);
    int rc = write_all(fd, data, len) == 0 && (!durable || fsync(fd) == 0) ? 0 : -1;
    int e = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        return sb_err_errno(err, e, "cannot write %zu bytes to %s", len, tmp);
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return sb_err_errno(err, e, "cannot rename %s to %s", tmp, path);
    }
    return 0;
}
