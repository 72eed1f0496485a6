/* progress.c — see progress.h. */
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

sb_progress_t *sb_progress_map(const char *path, int create, sb_err_t *err)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0644);
    if (fd < 0) {
        sb_err_errno(err, errno, "cannot open progress file %s", path);
        return NULL;
    }
    if (create && ftruncate(fd, sizeof(sb_progress_t)) != 0) {
        sb_err_errno(err, errno, "cannot size progress file %s", path);
        close(fd);
        return NULL;
    }
    void *p = mmap(NULL, sizeof(sb_progress_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        sb_err_errno(err, e, "cannot map progress file %s", path);
        return NULL;
    }
    return p;
}

void sb_progress_unmap(sb_progress_t *p)
{
    if (p != NULL)
        munmap(p, sizeof *p);
}
