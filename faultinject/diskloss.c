/* diskloss.c — see diskloss.h. The journal is replayed into two small
 * tables (files with unsynced data, names not yet durable), then the loss
 * is applied: truncations first, then names, then folders. */
#include "diskloss.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_fault.h"

typedef struct file_rec {
    char *path;                   /* NULL: gone */
    int64_t synced_bytes;         /* durable length */
    bool dirty;                   /* written since */
} file_rec_t;

typedef struct name_rec {
    char *path;                   /* NULL: gone */
    bool folder;
    bool durable;
} name_rec_t;

typedef struct replay {
    file_rec_t *files;
    size_t files_count, files_cap;
    name_rec_t *names;
    size_t names_count, names_cap;
} replay_t;

int sb_diskloss_check(const sb_scenario_t *s, const char *sink_uri, const char *checkpoints_uri,
                      sb_err_t *err)
{
    for (int i = 0; i < s->faults_count; i++) {
        const sb_fault_t *f = &s->faults[i];
        if (f->kind != SB_FAULT_STORAGE)
            continue;
        const char *uri = f->storage.store == SB_STORAGE_SINK ? sink_uri : checkpoints_uri;
        if (strncmp(uri, "file://", 7) != 0)
            return sb_err_set(err, "%s:%d: faults[%d]: storage faults act on file:// stores, "
                              "and the %s store is %s", s->path, f->line, i,
                              sb_storage_store_name(f->storage.store), uri);
    }
    return 0;
}

/* Whether path is `under` or inside it. */
static bool within(const char *path, const char *under)
{
    size_t n = strlen(under);
    return strncmp(path, under, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static file_rec_t *file_find(replay_t *r, const char *path)
{
    for (size_t i = r->files_count; i-- > 0;)
        if (r->files[i].path != NULL && strcmp(r->files[i].path, path) == 0)
            return &r->files[i];
    return NULL;
}

static file_rec_t *file_get(replay_t *r, const char *path)
{
    file_rec_t *f = file_find(r, path);
    if (f != NULL)
        return f;
    if (r->files_count == r->files_cap) {
        size_t cap = r->files_cap ? r->files_cap * 2 : 64;
        file_rec_t *grown = realloc(r->files, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        r->files = grown;
        r->files_cap = cap;
    }
    char *copy = strdup(path);
    if (copy == NULL)
        return NULL;
    f = &r->files[r->files_count++];
    *f = (file_rec_t){ .path = copy, .synced_bytes = 0, .dirty = false };
    return f;
}

static int name_add(replay_t *r, const char *path, bool folder)
{
    if (r->names_count == r->names_cap) {
        size_t cap = r->names_cap ? r->names_cap * 2 : 64;
        name_rec_t *grown = realloc(r->names, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        r->names = grown;
        r->names_cap = cap;
    }
    char *copy = strdup(path);
    if (copy == NULL)
        return -1;
    r->names[r->names_count++] = (name_rec_t){ .path = copy, .folder = folder };
    return 0;
}

/* Forgets path and everything under it (removed, or replaced). */
static void forget(replay_t *r, const char *path, bool files, bool names)
{
    for (size_t i = 0; files && i < r->files_count; i++)
        if (r->files[i].path != NULL && within(r->files[i].path, path)) {
            free(r->files[i].path);
            r->files[i].path = NULL;
        }
    for (size_t i = 0; names && i < r->names_count; i++)
        if (r->names[i].path != NULL && within(r->names[i].path, path)) {
            free(r->names[i].path);
            r->names[i].path = NULL;
        }
}

static void parent_of(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash == buf)
        buf[1] = '\0'; /* the root */
    else if (slash != NULL)
        *slash = '\0';
}

/* One journal line (its newline removed). Unknown lines are errors: a
 * journal this code did not write is not guessed at. */
static int replay_line(replay_t *r, char *line, const char *journal, size_t number,
                       sb_err_t *err)
{
    char *fields[3] = { NULL, NULL, NULL };
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(line, "\t", &save); tok != NULL && n < 3;
         tok = strtok_r(NULL, "\t", &save))
        fields[n++] = tok;
    const char *op = fields[0], *a = fields[1], *b = fields[2];
    bool ok = op != NULL && op[1] == '\0' && a != NULL;
    if (ok && (op[0] == 'S' || op[0] == 'R') && b == NULL)
        ok = false;
    if (!ok)
        return sb_err_set(err, "%s:%zu: not a journal line", journal, number);
    file_rec_t *f;
    char parent[SB_STORE_PATH_BYTES_MAX + 64];
    switch (op[0]) {
    case 'C':
        if ((f = file_get(r, a)) == NULL || name_add(r, a, false) != 0)
            return sb_err_set(err, "out of memory replaying %s", journal);
        f->synced_bytes = 0;
        f->dirty = false;
        return 0;
    case 'W':
        if ((f = file_get(r, a)) == NULL)
            return sb_err_set(err, "out of memory replaying %s", journal);
        f->dirty = true;
        return 0;
    case 'S':
        if ((f = file_get(r, a)) == NULL)
            return sb_err_set(err, "out of memory replaying %s", journal);
        f->synced_bytes = strtoll(b, NULL, 10);
        f->dirty = false;
        return 0;
    case 'R':
        forget(r, b, true, true);            /* replaced */
        forget(r, a, false, true);           /* its old name is gone */
        if ((f = file_find(r, a)) != NULL) { /* its data moves with it */
            char *copy = strdup(b);
            if (copy == NULL)
                return sb_err_set(err, "out of memory replaying %s", journal);
            free(f->path);
            f->path = copy;
        }
        return name_add(r, b, false) == 0 ? 0 : sb_err_set(err, "out of memory replaying %s",
                                                            journal);
    case 'M':
        return name_add(r, a, true) == 0 ? 0 : sb_err_set(err, "out of memory replaying %s",
                                                          journal);
    case 'D':
        for (size_t i = 0; i < r->names_count; i++) {
            if (r->names[i].path == NULL)
                continue;
            parent_of(r->names[i].path, parent, sizeof parent);
            if (strcmp(parent, a) == 0)
                r->names[i].durable = true;
        }
        return 0;
    case 'U':
        forget(r, a, true, true);
        return 0;
    default:
        return sb_err_set(err, "%s:%zu: unknown journal operation '%s'", journal, number, op);
    }
}

static int remove_tree(const char *path)
{
    struct stat sbuf;
    if (lstat(path, &sbuf) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sbuf.st_mode))
        return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[SB_STORE_PATH_BYTES_MAX + 320];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        if (remove_tree(child) != 0)
            rc = -1;
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

static void note(sb_diskloss_stats_t *st, const char *what, const char *path)
{
    if (st->example[0] == '\0')
        snprintf(st->example, sizeof st->example, "%s %s", what, path);
}

/* The power loss itself. */
static int apply(replay_t *r, sb_diskloss_stats_t *st, sb_err_t *err)
{
    for (size_t i = 0; i < r->files_count; i++) {
        file_rec_t *f = &r->files[i];
        if (f->path == NULL || !f->dirty)
            continue;
        if (truncate(f->path, f->synced_bytes) != 0) {
            if (errno == ENOENT)
                continue;
            return sb_err_errno(err, errno, "cannot cut %s back to %lld bytes", f->path,
                                (long long)f->synced_bytes);
        }
        st->truncated++;
        note(st, "cut back:", f->path);
    }
    for (int folders = 0; folders < 2; folders++)
        for (size_t i = 0; i < r->names_count; i++) {
            name_rec_t *n = &r->names[i];
            if (n->path == NULL || n->durable || n->folder != (folders == 1))
                continue;
            struct stat sbuf;
            if (lstat(n->path, &sbuf) != 0)
                continue;
            if (remove_tree(n->path) != 0)
                return sb_err_errno(err, errno, "cannot remove %s", n->path);
            st->vanished++;
            note(st, "vanished:", n->path);
        }
    return 0;
}

static void replay_free(replay_t *r)
{
    for (size_t i = 0; i < r->files_count; i++)
        free(r->files[i].path);
    for (size_t i = 0; i < r->names_count; i++)
        free(r->names[i].path);
    free(r->files);
    free(r->names);
}

int sb_diskloss_apply_journal(const char *journal_path, sb_diskloss_stats_t *stats,
                              sb_err_t *err)
{
    memset(stats, 0, sizeof *stats);
    FILE *in = fopen(journal_path, "re");
    if (in == NULL)
        return errno == ENOENT ? 0 : sb_err_errno(err, errno, "cannot open %s", journal_path);
    replay_t r = { 0 };
    char *line = NULL;
    size_t cap = 0, number = 0;
    ssize_t got;
    int rc = 0;
    while (rc == 0 && (got = getline(&line, &cap, in)) > 0) {
        number++;
        if (number > SB_DISKLOSS_LINES_MAX) {
            rc = sb_err_set(err, "%s: more than %d lines", journal_path, SB_DISKLOSS_LINES_MAX);
            break;
        }
        if (line[got - 1] != '\n')
            break; /* a line the crash cut: its operation did not happen yet */
        line[got - 1] = '\0';
        rc = replay_line(&r, line, journal_path, number, err);
    }
    free(line);
    fclose(in);
    if (rc == 0)
        rc = apply(&r, stats, err);
    replay_free(&r);
    if (rc == 0 && unlink(journal_path) != 0)
        rc = sb_err_errno(err, errno, "cannot remove %s", journal_path);
    return rc;
}

int sb_diskloss_after_crash(const sb_scenario_t *s, const char *run_dir, sb_trace_t *trace,
                            sb_err_t *err)
{
    for (int i = 0; i < s->faults_count; i++) {
        const sb_fault_t *f = &s->faults[i];
        if (f->kind != SB_FAULT_STORAGE || f->storage.action != SB_STORAGE_LOSE_UNSYNCED)
            continue;
        char journal[1100];
        sb_store_fault_journal_path(run_dir, f->storage.store, journal, sizeof journal);
        sb_diskloss_stats_t st;
        if (sb_diskloss_apply_journal(journal, &st, err) != 0)
            return sb_err_wrap(err, "applying the power loss of faults[%d]", i);
        sb_store_fault_mark(run_dir, i);
        sb_trace_emit(trace, "fault_fired",
                      json_pack("{s:i,s:s,s:s,s:s,s:I,s:I,s:s}", "fault", i, "kind", "storage",
                                "storage", sb_storage_action_name(f->storage.action), "store",
                                sb_storage_store_name(f->storage.store), "truncated",
                                (json_int_t)st.truncated, "vanished", (json_int_t)st.vanished,
                                "example", st.example));
    }
    return 0;
}
