/* store_file.c — the file:// backend of the object store (store.h).
 *
 * Invariants: an object file appears only by rename(2) of a complete
 * temporary file, and never replaces an existing object (RENAME_NOREPLACE
 * for multipart completion); an upload's folder is removed only after its
 * object is in place, so a crash at any point leaves either the upload or
 * the object (or both), never neither.
 *
 * Durability: an operation reports success only once what it wrote would
 * survive a power loss. A file is fsynced before it is renamed into place,
 * and the folder that holds the new name is fsynced after the rename (and
 * a new folder's parent after the mkdir), so a checkpoint or a commit is
 * complete only once it is on disk. When a step fails, what it had put in
 * place is taken back: a failed put or publish leaves no new object.
 *
 * Every system call goes through the store's table of I/O operations
 * (fileio.h), which a fault layer (store_fault.h) may replace. */
#include "fileio.h"
#include "fsutil.h"
#include "store_impl.h"
#include "store_key.h"
#include "store_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

#define TMP_MARK SB_STORE_TMP_MARK

static sb_fileio_t *io_of(const sb_store_t *st)
{
    return st->io != NULL ? st->io : &sb_fileio_plain;
}

/* The folder part of path (path without its last component). */
static void dir_of(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash != NULL && slash != buf)
        *slash = '\0';
}

static int fsync_dir(sb_store_t *st, const char *key, const char *dir, sb_err_t *err)
{
    sb_fileio_t *io = io_of(st);
    if (io->ops->fsync_dir(io, key, dir) != 0)
        return sb_err_errno(err, errno, "%s: fsync of directory %s", key, dir);
    return 0;
}

/* Creates the missing folders of path's parent below the store's root, each
 * made durable by an fsync of the folder that holds it. */
static int parent_mkdir(sb_store_t *st, const char *key, const char *path, sb_err_t *err)
{
    char buf[SB_STORE_PATH_BYTES_MAX];
    dir_of(path, buf, sizeof buf);
    struct stat sbuf;
    size_t root_len = strlen(st->root);
    if (stat(buf, &sbuf) == 0 || strncmp(buf, st->root, root_len) != 0 || buf[root_len] != '/')
        return 0; /* there already (the usual case), or not below the root */
    sb_fileio_t *io = io_of(st);
    for (char *p = buf + root_len + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (io->ops->mkdir(io, key, buf) == 0) {
            char parent[SB_STORE_PATH_BYTES_MAX];
            dir_of(buf, parent, sizeof parent);
            if (fsync_dir(st, key, parent, err) != 0)
                return -1;
        } else if (errno != EEXIST) {
            return sb_err_errno(err, errno, "%s: mkdir %s", key, buf);
        }
        if (c == '\0')
            return 0;
        *p = c;
    }
}

static void fstore_path(const sb_store_t *st, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", st->root, key);
}

static int fstore_open(sb_store_t *st, const char *dir, const char *base_dir, sb_err_t *err)
{
    if (dir[0] == '\0')
        return sb_err_set(err, "store '%s' names no directory", st->uri);
    int n;
    if (dir[0] == '/')
        n = snprintf(st->root, sizeof st->root, "%s", dir);
    else
        n = snprintf(st->root, sizeof st->root, "%s/%s", base_dir, dir);
    if (n >= (int)sizeof st->root)
        return sb_err_set(err, "store path too long: %s", st->uri);
    size_t l = strlen(st->root);
    while (l > 1 && st->root[l - 1] == '/')
        st->root[--l] = '\0';
    return sb_fs_mkdir_p(st->root, err);
}

static void fstore_close(sb_store_t *st)
{
    if (st->io != NULL && st->io->ops->release != NULL)
        st->io->ops->release(st->io);
    st->io = NULL;
}

/* A real write, not access(2): root passes access on a read-only mount
 * and no permission bit says a disk is full. One block, synced, removed. */
static int fstore_check(sb_store_t *st, sb_err_t *err)
{
    static const char block[4096];
    char probe[SB_STORE_PATH_BYTES_MAX + 64];
    snprintf(probe, sizeof probe, "%s/.snapbed-probe-%d", st->root, (int)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sb_err_errno(err, errno, "cannot write in %s", st->root);
    ssize_t w = write(fd, block, sizeof block);
    int e = w < 0 ? errno : w != (ssize_t)sizeof block ? ENOSPC : fsync(fd) != 0 ? errno : 0;
    if (close(fd) != 0 && e == 0)
        e = errno;
    unlink(probe);
    if (e != 0)
        return sb_err_errno(err, e, "cannot write in %s", st->root);
    return 0;
}

/* Writes all of data to fd, continuing after a short write. Returns 0 or
 * the errno of the write that failed. */
static int write_all(sb_fileio_t *io, const char *key, int fd, const void *data, size_t len)
{
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = io->ops->write(io, key, fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* Ends a temporary file: fsync and close, unless a write already failed
 * (write_errno). On any failure the file is closed and removed. */
static int finish_durable(sb_store_t *st, const char *key, int fd, const char *path,
                          int write_errno, sb_err_t *err)
{
    sb_fileio_t *io = io_of(st);
    const char *failed = write_errno != 0 ? "write" : NULL;
    int e = write_errno;
    if (failed == NULL && io->ops->fsync(io, key, fd) != 0) {
        e = errno;
        failed = "fsync";
    }
    if (io->ops->close(io, key, fd) != 0 && failed == NULL) {
        e = errno;
        failed = "close";
    }
    if (failed == NULL)
        return 0;
    io->ops->unlink(io, key, path);
    return sb_err_errno(err, e, "%s: %s %s", key, failed, path);
}

/* Moves a durable temporary file to its object's name and makes the new
 * name durable; on failure neither name is left. Returns 1 when `path`
 * already existed (noreplace only). */
static int publish(sb_store_t *st, const char *key, const char *tmp, const char *path,
                   bool noreplace, sb_err_t *err)
{
    sb_fileio_t *io = io_of(st);
    if (io->ops->rename(io, key, tmp, path, noreplace) != 0) {
        int e = errno;
        io->ops->unlink(io, key, tmp);
        if (noreplace && e == EEXIST)
            return 1;
        return sb_err_errno(err, e, "%s: rename %s to %s", key, tmp, path);
    }
    char dir[SB_STORE_PATH_BYTES_MAX];
    dir_of(path, dir, sizeof dir);
    if (fsync_dir(st, key, dir, err) == 0)
        return 0;
    /* Not durable, so not done: a caller that sees the failure must not
     * find the object later (a checkpoint it counted as failed would be
     * restored, an upload it will retry would be published twice). */
    io->ops->unlink(io, key, path);
    return -1;
}

/* Writes a whole file under a temporary name and renames it into place. */
static int write_atomic(sb_store_t *st, const char *key, const char *path, const void *data,
                        size_t len, sb_err_t *err)
{
    static _Atomic unsigned counter;
    char tmp[SB_STORE_PATH_BYTES_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s" TMP_MARK "%d-%u", path, (int)getpid(),
             atomic_fetch_add(&counter, 1));
    if (parent_mkdir(st, key, path, err) != 0)
        return -1;
    sb_fileio_t *io = io_of(st);
    int fd = io->ops->open(io, key, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return sb_err_errno(err, errno, "%s: create %s", key, tmp);
    if (finish_durable(st, key, fd, tmp, write_all(io, key, fd, data, len), err) != 0)
        return -1;
    return publish(st, key, tmp, path, false, err) < 0 ? -1 : 0;
}

static int fstore_put(sb_store_t *st, const char *key, const void *data, size_t len,
                      sb_err_t *err)
{
    if (sb_store_key_check(key, err) != 0)
        return -1;
    char path[SB_STORE_PATH_BYTES_MAX];
    fstore_path(st, key, path, sizeof path);
    return write_atomic(st, key, path, data, len, err);
}

static int read_file(const char *path, char **data, size_t *len, sb_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return sb_err_errno(err, errno, "cannot open %s", path);
    }
    struct stat sbuf;
    if (fstat(fd, &sbuf) != 0) {
        int e = errno;
        close(fd);
        return sb_err_errno(err, e, "cannot stat %s", path);
    }
    size_t size = (size_t)sbuf.st_size;
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        return sb_err_set(err, "out of memory reading %s (%zu bytes)", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return sb_err_errno(err, e, "cannot read %s", path);
        }
        got += (size_t)r;
    }
    close(fd);
    buf[size] = '\0';
    *data = buf;
    *len = size;
    return 1;
}

static int fstore_get(sb_store_t *st, const char *key, char **data, size_t *len,
                      sb_err_t *err)
{
    if (sb_store_key_check(key, err) != 0)
        return -1;
    char path[SB_STORE_PATH_BYTES_MAX];
    fstore_path(st, key, path, sizeof path);
    return read_file(path, data, len, err);
}

static int fstore_exists(sb_store_t *st, const char *key, sb_err_t *err)
{
    if (sb_store_key_check(key, err) != 0)
        return -1;
    char path[SB_STORE_PATH_BYTES_MAX];
    fstore_path(st, key, path, sizeof path);
    struct stat sbuf;
    if (stat(path, &sbuf) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    return sb_err_errno(err, errno, "cannot stat %s", path);
}

static int fstore_delete(sb_store_t *st, const char *key, sb_err_t *err)
{
    if (sb_store_key_check(key, err) != 0)
        return -1;
    char path[SB_STORE_PATH_BYTES_MAX];
    fstore_path(st, key, path, sizeof path);
    sb_fileio_t *io = io_of(st);
    if (io->ops->unlink(io, key, path) != 0 && errno != ENOENT)
        return sb_err_errno(err, errno, "%s: delete %s", key, path);
    return 0;
}

typedef struct key_vec {
    sb_store_list_t list;
    size_t cap;
} key_vec_t;

/* Walks dir (the object `rel`), collecting keys that start with prefix. */
static int walk(const char *root, const char *rel, const char *prefix, key_vec_t *v,
                sb_err_t *err)
{
    char dir[SB_STORE_PATH_BYTES_MAX];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return sb_err_errno(err, errno, "cannot list %s", dir);
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, TMP_MARK) != NULL)
            continue;
        if (rel[0] == '\0' && strcmp(e->d_name, SB_STORE_UPLOADS_DIR) == 0)
            continue;
        char key[SB_STORE_KEY_BYTES_MAX];
        if (snprintf(key, sizeof key, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
            (int)sizeof key)
            continue;
        /* Descend only where the prefix can still match. */
        size_t kl = strlen(key), pl = strlen(prefix);
        if (strncmp(key, prefix, kl < pl ? kl : pl) != 0)
            continue;
        char full[SB_STORE_PATH_BYTES_MAX];
        snprintf(full, sizeof full, "%s/%s", root, key);
        struct stat sbuf;
        if (stat(full, &sbuf) != 0)
            continue; /* removed meanwhile */
        if (S_ISDIR(sbuf.st_mode))
            rc = walk(root, key, prefix, v, err);
        else if (kl >= pl)
            rc = sb_store_list_push(&v->list, &v->cap, key, err);
    }
    closedir(d);
    return rc;
}

static int fstore_list(sb_store_t *st, const char *prefix, sb_store_list_t *out,
                       sb_err_t *err)
{
    key_vec_t v = { { NULL, 0 }, 0 };
    out->keys = NULL;
    out->count = 0;
    if (walk(st->root, "", prefix, &v, err) != 0) {
        sb_store_list_free(&v.list);
        return -1;
    }
    sb_store_list_sort(&v.list);
    *out = v.list;
    return 0;
}

static void upload_dir(const sb_store_t *st, const char *upload_id, char *buf, size_t len)
{
    snprintf(buf, len, "%s/" SB_STORE_UPLOADS_DIR "/%s", st->root, upload_id);
}

static int fstore_upload_create(sb_store_t *st, const char *key, char *upload_id,
                                size_t upload_id_len, sb_err_t *err)
{
    static _Atomic unsigned counter;
    if (sb_store_key_check(key, err) != 0)
        return -1;
    snprintf(upload_id, upload_id_len, "u%d-%u-%llx", (int)getpid(),
             atomic_fetch_add(&counter, 1), (unsigned long long)sb_clock_now_ns());
    char dir[SB_STORE_PATH_BYTES_MAX];
    upload_dir(st, upload_id, dir, sizeof dir);
    char keyfile[SB_STORE_PATH_BYTES_MAX + 16], staged[SB_STORE_KEY_BYTES_MAX];
    snprintf(keyfile, sizeof keyfile, "%s/.key", dir);
    /* What is staged is named by its place in the upload, not by the key
     * it will publish: the object's key belongs to its completion (a
     * storage fault `at: { checkpoint: N }` hits the publishing). */
    snprintf(staged, sizeof staged, SB_STORE_UPLOADS_DIR "/%s/.key", upload_id);
    return write_atomic(st, staged, keyfile, key, strlen(key), err);
}

static int fstore_upload_part(sb_store_t *st, const char *key, const char *upload_id,
                              int part_number, const void *data, size_t len, sb_err_t *err)
{
    (void)key; /* the upload's folder knows its key */
    if (sb_store_key_check_upload_id(upload_id, err) != 0)
        return -1;
    if (sb_store_key_check_part_number(part_number, err) != 0)
        return -1;
    char dir[SB_STORE_PATH_BYTES_MAX];
    upload_dir(st, upload_id, dir, sizeof dir);
    struct stat sbuf;
    if (stat(dir, &sbuf) != 0)
        return sb_err_errno(err, errno, "upload %s not found", upload_id);
    char path[SB_STORE_PATH_BYTES_MAX + 32], staged[SB_STORE_KEY_BYTES_MAX];
    snprintf(path, sizeof path, "%s/part-%05d", dir, part_number);
    snprintf(staged, sizeof staged, SB_STORE_UPLOADS_DIR "/%s/part-%05d", upload_id,
             part_number);
    return write_atomic(st, staged, path, data, len, err);
}

static int remove_tree(sb_store_t *st, const char *key, const char *dir, sb_err_t *err)
{
    sb_fileio_t *io = io_of(st);
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return sb_err_errno(err, errno, "cannot open %s", dir);
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[SB_STORE_PATH_BYTES_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (io->ops->unlink(io, key, path) != 0 && errno != ENOENT)
            rc = sb_err_errno(err, errno, "%s: remove %s", key, path);
    }
    closedir(d);
    if (rc == 0 && io->ops->rmdir(io, key, dir) != 0 && errno != ENOENT)
        rc = sb_err_errno(err, errno, "%s: remove %s", key, dir);
    return rc;
}

/* The upload's parts, in order, in one durable temporary file. */
static int concat_parts(sb_store_t *st, const char *key, const char *dir, int parts,
                        const char *tmp, sb_err_t *err)
{
    sb_fileio_t *io = io_of(st);
    int fd = io->ops->open(io, key, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return sb_err_errno(err, errno, "%s: create %s", key, tmp);
    int write_errno = 0;
    for (int i = 1; i <= parts && write_errno == 0; i++) {
        char path[SB_STORE_PATH_BYTES_MAX + 32];
        snprintf(path, sizeof path, "%s/part-%05d", dir, i);
        char *data = NULL;
        size_t len = 0;
        int got = read_file(path, &data, &len, err);
        if (got > 0)
            write_errno = write_all(io, key, fd, data, len);
        free(data);
        if (got <= 0) {
            io->ops->close(io, key, fd);
            io->ops->unlink(io, key, tmp);
            return got == 0 ? sb_err_set(err, "%s: part %d missing in %s", key, i, dir) : -1;
        }
    }
    return finish_durable(st, key, fd, tmp, write_errno, err);
}

static int fstore_upload_complete(sb_store_t *st, const char *key, const char *upload_id,
                                  int parts, sb_err_t *err)
{
    if (sb_store_key_check(key, err) != 0 || sb_store_key_check_upload_id(upload_id, err) != 0)
        return -1;
    char dir[SB_STORE_PATH_BYTES_MAX], path[SB_STORE_PATH_BYTES_MAX];
    upload_dir(st, upload_id, dir, sizeof dir);
    fstore_path(st, key, path, sizeof path);
    struct stat sbuf;
    bool have_upload = stat(dir, &sbuf) == 0;
    bool have_object = stat(path, &sbuf) == 0;
    if (have_object) {
        /* Completed before (perhaps by a worker that crashed before cleaning
         * up): the object is never rewritten. */
        if (have_upload && remove_tree(st, key, dir, err) != 0)
            return -1;
        return SB_STORE_ALREADY;
    }
    if (!have_upload)
        return sb_err_set(err, "cannot complete upload %s of %s: no such upload and no object",
                          upload_id, key);
    if (parent_mkdir(st, key, path, err) != 0)
        return -1;
    char tmp[SB_STORE_PATH_BYTES_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s" TMP_MARK "%d", path, (int)getpid());
    if (concat_parts(st, key, dir, parts, tmp, err) != 0)
        return -1;
    int rc = publish(st, key, tmp, path, true, err);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return SB_STORE_ALREADY;
    /* The object is durable: only now may its upload go. */
    if (remove_tree(st, key, dir, err) != 0)
        return -1;
    return SB_STORE_OK;
}

static int fstore_upload_abort(sb_store_t *st, const char *key, const char *upload_id,
                               sb_err_t *err)
{
    (void)key;
    if (sb_store_key_check_upload_id(upload_id, err) != 0)
        return -1;
    char dir[SB_STORE_PATH_BYTES_MAX];
    upload_dir(st, upload_id, dir, sizeof dir);
    return remove_tree(st, key, dir, err);
}

static int fstore_uploads_list(sb_store_t *st, const char *prefix, sb_store_uploads_t *out,
                               sb_err_t *err)
{
    out->items = NULL;
    out->count = 0;
    char dir[SB_STORE_PATH_BYTES_MAX];
    snprintf(dir, sizeof dir, "%s/" SB_STORE_UPLOADS_DIR, st->root);
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return sb_err_errno(err, errno, "cannot list %s", dir);
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char keyfile[SB_STORE_PATH_BYTES_MAX + 300];
        snprintf(keyfile, sizeof keyfile, "%s/%s/.key", dir, e->d_name);
        char *key = NULL;
        size_t len = 0;
        int got = read_file(keyfile, &key, &len, err);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0)
            continue; /* created but its key not yet written: not an upload */
        if (strncmp(key, prefix, strlen(prefix)) == 0)
            rc = sb_store_uploads_push(out, &cap, key, e->d_name, err);
        free(key);
    }
    closedir(d);
    if (rc != 0)
        sb_store_uploads_free(out);
    return rc;
}

/* Calls fn for every temporary file (a write or publish cut by a crash)
 * whose key starts with prefix, outside upload folders. */
static int walk_temporaries(const char *root, const char *rel, const char *prefix,
                            int (*fn)(const char *path, const char *key, void *ctx), void *ctx,
                            sb_err_t *err)
{
    char dir[SB_STORE_PATH_BYTES_MAX];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : sb_err_errno(err, errno, "cannot list %s", dir);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (rel[0] == '\0' && strcmp(e->d_name, SB_STORE_UPLOADS_DIR) == 0))
            continue;
        char key[SB_STORE_KEY_BYTES_MAX], full[SB_STORE_PATH_BYTES_MAX];
        snprintf(key, sizeof key, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, key);
        struct stat sbuf;
        if (stat(full, &sbuf) != 0)
            continue;
        if (S_ISDIR(sbuf.st_mode))
            rc = walk_temporaries(root, key, prefix, fn, ctx, err);
        else if (strstr(e->d_name, TMP_MARK) != NULL && strncmp(key, prefix, strlen(prefix)) == 0)
            rc = fn(full, key, ctx);
    }
    closedir(d);
    return rc;
}

typedef struct leftovers {
    size_t count;
    char *example;
    size_t example_len;
} leftovers_t;

static int count_temporary(const char *path, const char *key, void *ctx)
{
    (void)path;
    leftovers_t *l = ctx;
    if (l->count++ == 0 && l->example != NULL)
        snprintf(l->example, l->example_len, "temporary object %s", key);
    return 0;
}

static int fstore_leftovers(sb_store_t *st, const char *prefix, size_t *count, char *example,
                            size_t example_len, sb_err_t *err)
{
    leftovers_t l = { 0, example, example_len };
    if (walk_temporaries(st->root, "", prefix, count_temporary, &l, err) != 0)
        return -1;
    *count = l.count;
    return 0;
}

static int remove_temporary(const char *path, const char *key, void *ctx)
{
    (void)key;
    sb_err_t *err = ctx;
    if (unlink(path) != 0 && errno != ENOENT)
        return sb_err_errno(err, errno, "cannot remove %s", path);
    return 0;
}

static int fstore_sweep_temporaries(sb_store_t *st, const char *prefix, sb_err_t *err)
{
    return walk_temporaries(st->root, "", prefix, remove_temporary, err, err);
}


const sb_store_ops_t sb_store_file_ops = {
    .open = fstore_open,
    .close = fstore_close,
    .check = fstore_check,
    .path = fstore_path,
    .put = fstore_put,
    .get = fstore_get,
    .exists = fstore_exists,
    .delete = fstore_delete,
    .list = fstore_list,
    .upload_create = fstore_upload_create,
    .upload_part = fstore_upload_part,
    .upload_complete = fstore_upload_complete,
    .upload_abort = fstore_upload_abort,
    .uploads_list = fstore_uploads_list,
    .sweep_temporaries = fstore_sweep_temporaries,
    .leftovers = fstore_leftovers,
};
