/* fileio.h — the system calls the file:// store makes, as a table.
 *
 * The file:// backend (store_file.c) never calls open/write/fsync/rename
 * itself: it goes through an sb_fileio_t, in the spirit of SQLite's VFS, so
 * that a fault layer (store_fault.h) can replace an entry to make the disk
 * fail (ENOSPC, EIO, a short write) or remember what a power loss would
 * take away, without an `if` in every function of the backend.
 *
 * Every operation returns what its system call returns (-1 with errno set
 * on failure). `key` names the store object the call works for ("" when
 * none, e.g. a directory of several); it is how a fault finds "checkpoint
 * N" and how errors name what failed. Paths are absolute. */
#ifndef SB_FILEIO_H
#define SB_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct sb_fileio sb_fileio_t;

typedef struct sb_fileio_ops {
    int (*open)(sb_fileio_t *io, const char *key, const char *path, int flags, mode_t mode);
    ssize_t (*write)(sb_fileio_t *io, const char *key, int fd, const void *buf, size_t len);
    int (*fsync)(sb_fileio_t *io, const char *key, int fd);
    int (*close)(sb_fileio_t *io, const char *key, int fd);
    /* noreplace: fail with EEXIST rather than replace `to` (renameat2's
     * RENAME_NOREPLACE). */
    int (*rename)(sb_fileio_t *io, const char *key, const char *from, const char *to,
                  bool noreplace);
    /* Makes the entries of directory `dir` (creations, renames) durable. */
    int (*fsync_dir)(sb_fileio_t *io, const char *key, const char *dir);
    int (*mkdir)(sb_fileio_t *io, const char *key, const char *path);
    int (*unlink)(sb_fileio_t *io, const char *key, const char *path);
    int (*rmdir)(sb_fileio_t *io, const char *key, const char *path);
    /* Frees the table's state when its store closes; may be NULL. */
    void (*release)(sb_fileio_t *io);
} sb_fileio_ops_t;

struct sb_fileio {
    const sb_fileio_ops_t *ops;
    void *ctx;                          /* the implementation's state */
};

/* The plain system calls (what a file:// store uses without a fault layer). */
extern sb_fileio_t sb_fileio_plain;
extern const sb_fileio_ops_t sb_fileio_plain_ops;

/* The plain fsync of a directory, for layers that wrap it. */
int sb_fileio_fsync_dir_plain(const char *dir);

#endif
