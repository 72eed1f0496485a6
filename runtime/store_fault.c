/* store_fault.c — see store_fault.h. The layer wraps the plain table of
 * I/O operations: each entry asks whether an injected fault is due, keeps
 * the lose-unsynced journal, then calls the plain system call. */
#include "store_fault.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"

#define RUN_DIR_BYTES_MAX 512
#define START_SCAN_LINES_MAX 64        /* trace lines read to find the job's start */

typedef struct injection {
    int index;                          /* in the scenario's faults */
    const sb_fault_t *fault;
    _Atomic int64_t hits;               /* matching operations, this incarnation */
} injection_t;

typedef struct open_file {
    int fd;                             /* -1: free slot */
    char path[SB_STORE_PATH_BYTES_MAX + 64];
    int64_t written_bytes;              /* through this descriptor */
    bool dirty;                         /* written since its last fsync */
    bool torn;                          /* a short write happened: the next fails */
} open_file_t;

typedef struct layer {
    sb_fileio_t io;                     /* what the store calls: ops, ctx = this */
    sb_fileio_t *below;                 /* the plain system calls */
    sb_storage_store_t which;
    injection_t injections[SB_SCENARIO_FAULTS_MAX];
    int injections_count;
    bool skip_fsync;                    /* the mutant */
    int journal_fd;                     /* lose-unsynced; -1: not kept */
    char run_dir[RUN_DIR_BYTES_MAX];
    sb_trace_t *trace;
    int64_t job_start_ns;
    pthread_mutex_t lock;               /* files */
    open_file_t files[SB_STORE_FAULT_FILES_MAX];
} layer_t;

/* ------------------------------------------------------------ markers -- */

static void marker_path(const char *run_dir, int index, char *buf, size_t len)
{
    snprintf(buf, len, "%s/faults/storage-%02d", run_dir, index);
}

bool sb_store_fault_fired(const char *run_dir, int index)
{
    char path[RUN_DIR_BYTES_MAX + 64];
    marker_path(run_dir, index, path, sizeof path);
    struct stat sbuf;
    return stat(path, &sbuf) == 0;
}

bool sb_store_fault_mark(const char *run_dir, int index)
{
    char dir[RUN_DIR_BYTES_MAX + 16], path[RUN_DIR_BYTES_MAX + 64];
    snprintf(dir, sizeof dir, "%s/faults", run_dir);
    mkdir(dir, 0755);
    marker_path(run_dir, index, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return false; /* fired before, or by another thread just now */
    close(fd);
    return true;
}

void sb_store_fault_journal_path(const char *run_dir, sb_storage_store_t which, char *buf,
                                 size_t len)
{
    snprintf(buf, len, "%s/faults/unsynced-%s.journal", run_dir, sb_storage_store_name(which));
}

/* --------------------------------------------------------- pure parts -- */

static int64_t digits_at(const char *p, const char **end)
{
    int64_t n = 0;
    const char *q = p;
    while (*q >= '0' && *q <= '9' && q - p < 18)
        n = n * 10 + (*q++ - '0');
    *end = q;
    return q == p ? -1 : n;
}

int64_t sb_store_fault_key_checkpoint(const char *key)
{
    /* Checkpoint storage: a folder "chk-N". */
    for (const char *p = key; (p = strstr(p, "chk-")) != NULL; p += 4) {
        if (p != key && p[-1] != '/')
            continue;
        const char *end;
        int64_t n = digits_at(p + 4, &end);
        if (n >= 0 && (*end == '/' || *end == '\0'))
            return n;
    }
    /* The sink: "part-SSS-N" (sink.h), as a last path component. */
    const char *base = strrchr(key, '/') != NULL ? strrchr(key, '/') + 1 : key;
    if (strncmp(base, "part-", 5) != 0)
        return -1;
    const char *end;
    if (digits_at(base + 5, &end) < 0 || *end != '-')
        return -1;
    int64_t n = digits_at(end + 1, &end);
    return *end == '\0' ? n : -1;
}

bool sb_store_fault_due(const sb_fault_t *f, sb_storage_op_t op, const char *key, int64_t hit,
                        int64_t since_start_ns)
{
    const sb_storage_fault_t *g = &f->storage;
    if (f->kind != SB_FAULT_STORAGE || g->action == SB_STORAGE_LOSE_UNSYNCED)
        return false;
    sb_storage_op_t want = g->action == SB_STORAGE_SHORT_WRITE ? SB_STORAGE_OP_WRITE : g->op;
    if (op != want)
        return false;
    switch (g->when) {
    case SB_STORAGE_AT_TIME: return since_start_ns >= f->at_ns;
    case SB_STORAGE_AT_CHECKPOINT: return sb_store_fault_key_checkpoint(key) == f->checkpoint_id;
    case SB_STORAGE_AT_HIT: return hit == f->hit;
    case SB_STORAGE_ALWAYS: return false;
    }
    return false;
}

/* ------------------------------------------------------------- journal -- */

static void journal(layer_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void journal(layer_t *l, const char *fmt, ...)
{
    if (l->journal_fd < 0)
        return;
    char line[SB_STORE_FAULT_JOURNAL_LINE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1)
        return; /* paths are bounded well below; never a partial line */
    line[n++] = '\n';
    /* One write to an O_APPEND file: whole lines, whichever thread. A
     * failed journal write would hide a loss; the run's check of the
     * fault would then see less lost, never more. */
    ssize_t w = write(l->journal_fd, line, (size_t)n);
    (void)w;
}

/* ---------------------------------------------------------- the files -- */

static open_file_t *file_of(layer_t *l, int fd)
{
    for (int i = 0; i < SB_STORE_FAULT_FILES_MAX; i++)
        if (l->files[i].fd == fd)
            return &l->files[i];
    return NULL;
}

/* ------------------------------------------------------------ faults -- */

static void trace_fired(layer_t *l, const injection_t *in, sb_storage_op_t op,
                        const char *key, const char *path, int e)
{
    const sb_storage_fault_t *g = &in->fault->storage;
    sb_trace_emit(l->trace, "fault_fired",
                  json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "fault", in->index, "kind",
                            "storage", "storage", sb_storage_action_name(g->action), "store",
                            sb_storage_store_name(l->which), "op", sb_storage_op_name(op),
                            "key", key, "path", path, "errno", e, "error", strerror(e)));
}

/* The fault due at this operation, if any (it is then spent for the run). */
static const injection_t *due(layer_t *l, sb_storage_op_t op, const char *key)
{
    int64_t since = sb_clock_now_ns() - l->job_start_ns;
    for (int i = 0; i < l->injections_count; i++) {
        injection_t *in = &l->injections[i];
        const sb_storage_fault_t *g = &in->fault->storage;
        sb_storage_op_t want = g->action == SB_STORAGE_SHORT_WRITE ? SB_STORAGE_OP_WRITE : g->op;
        if (op != want)
            continue;
        int64_t hit = atomic_fetch_add(&in->hits, 1) + 1;
        if (sb_store_fault_due(in->fault, op, key, hit, since) &&
            sb_store_fault_mark(l->run_dir, in->index))
            return in;
    }
    return NULL;
}

static int errno_of(const injection_t *in)
{
    return in->fault->storage.action == SB_STORAGE_EIO ? EIO : ENOSPC;
}

/* The errno an injected fault gives this operation (traced), or 0. */
static int injected(layer_t *l, sb_storage_op_t op, const char *key, const char *path)
{
    const injection_t *in = due(l, op, key);
    if (in == NULL)
        return 0;
    trace_fired(l, in, op, key, path, errno_of(in));
    return errno_of(in);
}

/* ------------------------------------------------------ the operations -- */

static int f_open(sb_fileio_t *io, const char *key, const char *path, int flags, mode_t mode)
{
    layer_t *l = io->ctx;
    int fd = l->below->ops->open(l->below, key, path, flags, mode);
    if (fd < 0)
        return -1;
    if (flags & O_CREAT)
        journal(l, "C\t%s", path);
    pthread_mutex_lock(&l->lock);
    open_file_t *f = file_of(l, -1);
    if (f != NULL) {
        snprintf(f->path, sizeof f->path, "%s", path);
        f->fd = fd;
        f->written_bytes = 0;
        f->dirty = f->torn = false;
    }
    pthread_mutex_unlock(&l->lock);
    if (f == NULL) {
        close(fd);
        errno = EMFILE; /* more files open at once than the layer follows */
        return -1;
    }
    return fd;
}

static ssize_t f_write(sb_fileio_t *io, const char *key, int fd, const void *buf, size_t len)
{
    layer_t *l = io->ctx;
    pthread_mutex_lock(&l->lock);
    open_file_t *f = file_of(l, fd);
    char path[sizeof f->path] = "";
    bool torn = false, first = false;
    if (f != NULL) {
        snprintf(path, sizeof path, "%s", f->path);
        torn = f->torn;
        first = !f->dirty;
        f->dirty = true;
    }
    pthread_mutex_unlock(&l->lock);
    if (torn) {
        errno = ENOSPC; /* the disk filled up half-way through this file */
        return -1;
    }
    const injection_t *in = due(l, SB_STORAGE_OP_WRITE, key);
    size_t n = len;
    if (in != NULL && (in->fault->storage.action != SB_STORAGE_SHORT_WRITE || len < 2)) {
        trace_fired(l, in, SB_STORAGE_OP_WRITE, key, path, errno_of(in));
        errno = errno_of(in);
        return -1;
    }
    if (in != NULL) {
        n = len / 2;
        trace_fired(l, in, SB_STORAGE_OP_WRITE, key, path, ENOSPC);
    }
    if (first)
        journal(l, "W\t%s", path);
    ssize_t w = l->below->ops->write(l->below, key, fd, buf, n);
    pthread_mutex_lock(&l->lock);
    if ((f = file_of(l, fd)) != NULL) {
        if (w > 0)
            f->written_bytes += w;
        if (in != NULL)
            f->torn = true;
    }
    pthread_mutex_unlock(&l->lock);
    return w;
}

static int f_fsync(sb_fileio_t *io, const char *key, int fd)
{
    layer_t *l = io->ctx;
    pthread_mutex_lock(&l->lock);
    open_file_t *f = file_of(l, fd);
    char path[sizeof f->path] = "";
    int64_t size = 0;
    if (f != NULL) {
        snprintf(path, sizeof path, "%s", f->path);
        size = f->written_bytes;
    }
    pthread_mutex_unlock(&l->lock);
    int e = injected(l, SB_STORAGE_OP_FSYNC, key, path);
    if (e != 0) {
        errno = e;
        return -1;
    }
    if (l->skip_fsync)
        return 0; /* the mutant: nothing reaches the disk, nothing journaled */
    if (l->below->ops->fsync(l->below, key, fd) != 0)
        return -1;
    journal(l, "S\t%s\t%lld", path, (long long)size);
    pthread_mutex_lock(&l->lock);
    if ((f = file_of(l, fd)) != NULL)
        f->dirty = false;
    pthread_mutex_unlock(&l->lock);
    return 0;
}

static int f_close(sb_fileio_t *io, const char *key, int fd)
{
    layer_t *l = io->ctx;
    pthread_mutex_lock(&l->lock);
    open_file_t *f = file_of(l, fd);
    if (f != NULL)
        f->fd = -1;
    pthread_mutex_unlock(&l->lock);
    return l->below->ops->close(l->below, key, fd);
}

static int f_rename(sb_fileio_t *io, const char *key, const char *from, const char *to,
                    bool noreplace)
{
    layer_t *l = io->ctx;
    int e = injected(l, SB_STORAGE_OP_RENAME, key, to);
    if (e != 0) {
        errno = e;
        return -1;
    }
    /* Journaled once done: a rename that failed (EEXIST) changed nothing,
     * and two threads may race to make one folder. A crash between the
     * call and its line keeps the change, as if it had been made durable. */
    if (l->below->ops->rename(l->below, key, from, to, noreplace) != 0)
        return -1;
    journal(l, "R\t%s\t%s", from, to);
    return 0;
}

static int f_fsync_dir(sb_fileio_t *io, const char *key, const char *dir)
{
    layer_t *l = io->ctx;
    int e = injected(l, SB_STORAGE_OP_FSYNC, key, dir);
    if (e != 0) {
        errno = e;
        return -1;
    }
    if (l->skip_fsync)
        return 0;
    if (l->below->ops->fsync_dir(l->below, key, dir) != 0)
        return -1;
    journal(l, "D\t%s", dir);
    return 0;
}

static int f_mkdir(sb_fileio_t *io, const char *key, const char *path)
{
    layer_t *l = io->ctx;
    if (l->below->ops->mkdir(l->below, key, path) != 0)
        return -1;
    journal(l, "M\t%s", path);
    return 0;
}

/* A removal is journaled once done, and taken as durable. */
static int removed(layer_t *l, int rc, const char *path)
{
    if (rc == 0)
        journal(l, "U\t%s", path);
    return rc;
}

static int f_unlink(sb_fileio_t *io, const char *key, const char *path)
{
    layer_t *l = io->ctx;
    return removed(l, l->below->ops->unlink(l->below, key, path), path);
}

static int f_rmdir(sb_fileio_t *io, const char *key, const char *path)
{
    layer_t *l = io->ctx;
    return removed(l, l->below->ops->rmdir(l->below, key, path), path);
}

static void f_release(sb_fileio_t *io)
{
    layer_t *l = io->ctx;
    if (l->journal_fd >= 0)
        close(l->journal_fd);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static const sb_fileio_ops_t fault_ops = {
    .open = f_open,
    .write = f_write,
    .fsync = f_fsync,
    .close = f_close,
    .rename = f_rename,
    .fsync_dir = f_fsync_dir,
    .mkdir = f_mkdir,
    .unlink = f_unlink,
    .rmdir = f_rmdir,
    .release = f_release,
};

/* ------------------------------------------------------------ attach -- */

/* When the job's first worker started (the supervisor's first
 * worker_started event): `at: TIME` counts from there, as every timed
 * fault does. Now, when the trace does not say. */
static int64_t job_start_ns(const char *run_dir)
{
    char path[RUN_DIR_BYTES_MAX + 32], line[2048];
    snprintf(path, sizeof path, "%s/trace.jsonl", run_dir);
    FILE *f = fopen(path, "re");
    int64_t start = sb_clock_now_ns();
    if (f == NULL)
        return start;
    for (int i = 0; i < START_SCAN_LINES_MAX && fgets(line, sizeof line, f) != NULL; i++) {
        json_t *ev = strstr(line, "\"worker_started\"") ? json_loads(line, 0, NULL) : NULL;
        json_t *t = json_object_get(ev, "t_ns");
        bool found = json_is_integer(t);
        if (found)
            start = (int64_t)json_integer_value(t);
        json_decref(ev);
        if (found)
            break;
    }
    fclose(f);
    return start;
}

static int open_journal(layer_t *l, sb_err_t *err)
{
    char dir[RUN_DIR_BYTES_MAX + 16], path[RUN_DIR_BYTES_MAX + 64];
    snprintf(dir, sizeof dir, "%s/faults", l->run_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return sb_err_errno(err, errno, "cannot create %s", dir);
    sb_store_fault_journal_path(l->run_dir, l->which, path, sizeof path);
    l->journal_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (l->journal_fd < 0)
        return sb_err_errno(err, errno, "cannot open the lose-unsynced journal %s", path);
    return 0;
}

int sb_store_fault_attach(sb_store_t *st, const sb_scenario_t *s, sb_storage_store_t which,
                          const char *run_dir, sb_trace_t *trace, sb_err_t *err)
{
    bool wanted = s->mutant == SB_MUTANT_SKIP_FSYNC;
    for (int i = 0; i < s->faults_count; i++)
        wanted |= s->faults[i].kind == SB_FAULT_STORAGE && s->faults[i].storage.store == which;
    if (!wanted)
        return 0;
    /* The mutant acts on file:// stores only; a fault must name one. */
    bool file = strncmp(st->uri, "file://", 7) == 0;
    for (int i = 0; i < s->faults_count && !file; i++)
        if (s->faults[i].kind == SB_FAULT_STORAGE && s->faults[i].storage.store == which)
            return sb_err_set(err, "%s:%d: faults[%d]: storage faults act on file:// stores, "
                              "and the %s store is %s", s->path, s->faults[i].line, i,
                              sb_storage_store_name(which), st->uri);
    if (!file)
        return 0;
    layer_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        return sb_err_set(err, "out of memory attaching the storage faults of %s", st->uri);
    l->io = (sb_fileio_t){ &fault_ops, l };
    l->below = &sb_fileio_plain;
    l->which = which;
    l->skip_fsync = s->mutant == SB_MUTANT_SKIP_FSYNC;
    l->journal_fd = -1;
    l->trace = trace;
    snprintf(l->run_dir, sizeof l->run_dir, "%s", run_dir);
    pthread_mutex_init(&l->lock, NULL);
    for (int i = 0; i < SB_STORE_FAULT_FILES_MAX; i++)
        l->files[i].fd = -1;
    bool timed = false;
    for (int i = 0; i < s->faults_count; i++) {
        const sb_fault_t *f = &s->faults[i];
        if (f->kind != SB_FAULT_STORAGE || f->storage.store != which)
            continue;
        if (f->storage.action == SB_STORAGE_LOSE_UNSYNCED) {
            if (l->journal_fd < 0 && open_journal(l, err) != 0) {
                f_release(&l->io);
                return -1;
            }
            continue;
        }
        if (sb_store_fault_fired(run_dir, i))
            continue; /* once per run, across restarts */
        l->injections[l->injections_count++] = (injection_t){ .index = i, .fault = f };
        timed |= f->storage.when == SB_STORAGE_AT_TIME;
    }
    l->job_start_ns = timed ? job_start_ns(run_dir) : sb_clock_now_ns();
    st->io = &l->io;
    return 0;
}
