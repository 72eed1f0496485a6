/* fileio.c — the plain system calls behind fileio.h's table. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int plain_open(sb_fileio_t *io, const char *key, const char *path, int flags,
                      mode_t mode)
{
    (void)io, (void)key;
    return open(path, flags | O_CLOEXEC, mode);
}

static ssize_t plain_write(sb_fileio_t *io, const char *key, int fd, const void *buf,
                           size_t len)
{
    (void)io, (void)key;
    return write(fd, buf, len);
}

static int plain_fsync(sb_fileio_t *io, const char *key, int fd)
{
    (void)io, (void)key;
    return fsync(fd);
}

static int plain_close(sb_fileio_t *io, const char *key, int fd)
{
    (void)io, (void)key;
    return close(fd);
}

static int plain_rename(sb_fileio_t *io, const char *key, const char *from, const char *to,
                        bool noreplace)
{
    (void)io, (void)key;
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, noreplace ? RENAME_NOREPLACE : 0);
}

int sb_fileio_fsync_dir_plain(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int plain_fsync_dir(sb_fileio_t *io, const char *key, const char *dir)
{
    (void)io, (void)key;
    return sb_fileio_fsync_dir_plain(dir);
}

static int plain_mkdir(sb_fileio_t *io, const char *key, const char *path)
{
    (void)io, (void)key;
    return mkdir(path, 0755);
}

static int plain_unlink(sb_fileio_t *io, const char *key, const char *path)
{
    (void)io, (void)key;
    return unlink(path);
}

static int plain_rmdir(sb_fileio_t *io, const char *key, const char *path)
{
    (void)io, (void)key;
    return rmdir(path);
}

const sb_fileio_ops_t sb_fileio_plain_ops = {
    .open = plain_open,
    .write = plain_write,
    .fsync = plain_fsync,
    .close = plain_close,
    .rename = plain_rename,
    .fsync_dir = plain_fsync_dir,
    .mkdir = plain_mkdir,
    .unlink = plain_unlink,
    .rmdir = plain_rmdir,
    .release = NULL,
};

sb_fileio_t sb_fileio_plain = { &sb_fileio_plain_ops, NULL };
