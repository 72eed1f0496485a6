/* checkpoint_store.c — see checkpoint_store.h. */
#include "checkpoint_store.h"

#include "ckframe.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_cpstore_open(sb_cpstore_t *cs, const char *uri, const char *base_dir,
                    const char *job, int num_retained, sb_err_t *err)
{
    memset(cs, 0, sizeof *cs);
    snprintf(cs->job, sizeof cs->job, "%s", job);
    cs->num_retained = num_retained < 1 ? 1 : num_retained;
    if (sb_store_open(&cs->store, uri, base_dir, err) != 0)
        return sb_err_wrap(err, "state.checkpoints.dir");
    return 0;
}

static void chk_key(const sb_cpstore_t *cs, int64_t id, const char *name, char *buf,
                    size_t len)
{
    snprintf(buf, len, "%s/chk-%" PRId64 "/%s", cs->job, id, name);
}

int sb_cpstore_mark_triggered(sb_cpstore_t *cs, int64_t id, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    chk_key(cs, id, "_triggered", key, sizeof key);
    return sb_store_put(&cs->store, key, "", 0, err);
}

/* The name a frame carries: the key without "<job>/" ("chk-7/map-1.json",
 * "_completed"), so that a file copied into another checkpoint is seen. */
static const char *identity_of(const sb_cpstore_t *cs, const char *key)
{
    size_t jl = strlen(cs->job);
    return strncmp(key, cs->job, jl) == 0 && key[jl] == '/' ? key + jl + 1 : key;
}

static int put_framed(sb_cpstore_t *cs, const char *key, const void *data, size_t len,
                      size_t *size_bytes, sb_err_t *err)
{
    char *buf = NULL;
    size_t n = 0;
    if (sb_ckframe_wrap(identity_of(cs, key), data, len, &buf, &n, err) != 0)
        return -1;
    int rc = sb_store_put(&cs->store, key, buf, n, err);
    free(buf);
    if (size_bytes != NULL)
        *size_bytes = n;
    return rc;
}

/* Reads `key` and verifies its frame; the payload is moved to the start of
 * *data (no second allocation). Returns 1, 0 when absent, -1 when damaged
 * or unreadable (err: one sentence naming the file). */
static int get_framed(sb_cpstore_t *cs, const char *key, char **data, size_t *len,
                      sb_err_t *err)
{
    char *buf = NULL;
    size_t n = 0;
    int got = sb_store_get(&cs->store, key, &buf, &n, err);
    if (got <= 0)
        return got;
    const char *payload = NULL;
    size_t plen = 0;
    if (sb_ckframe_unwrap(identity_of(cs, key), buf, n, cs->trust_frames, &payload, &plen,
                          err) != SB_CKFRAME_OK) {
        free(buf);
        return -1;
    }
    memmove(buf, payload, plen);
    *data = buf;
    *len = plen;
    return 1;
}

static int put_json(sb_cpstore_t *cs, const char *key, json_t *v, size_t *size_bytes,
                    sb_err_t *err)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return sb_err_set(err, "cannot serialise %s", key);
    int rc = put_framed(cs, key, text, strlen(text), size_bytes, err);
    free(text);
    return rc;
}

static int get_json(sb_cpstore_t *cs, const char *key, json_t **v, sb_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    int got = get_framed(cs, key, &text, &len, err);
    if (got <= 0)
        return got;
    json_error_t jerr;
    *v = json_loadb(text, len, 0, &jerr);
    free(text);
    if (*v == NULL)
        return sb_err_set(err, "%s: corrupt JSON at line %d: %s", identity_of(cs, key),
                          jerr.line, jerr.text);
    return 1;
}

int sb_cpstore_write_snapshot(sb_cpstore_t *cs, int64_t id, const char *task,
                              json_t *state, size_t *size_bytes, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX], name[256];
    snprintf(name, sizeof name, "%s.json", task);
    chk_key(cs, id, name, key, sizeof key);
    return put_json(cs, key, state, size_bytes, err);
}

int sb_cpstore_read_snapshot(sb_cpstore_t *cs, int64_t id, const char *task,
                             json_t **state, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX], name[256];
    snprintf(name, sizeof name, "%s.json", task);
    chk_key(cs, id, name, key, sizeof key);
    return get_json(cs, key, state, err);
}

int sb_cpstore_write_object(sb_cpstore_t *cs, int64_t id, const char *name, const void *data,
                            size_t len, char *key_out, size_t key_len, sb_err_t *err)
{
    chk_key(cs, id, name, key_out, key_len);
    return put_framed(cs, key_out, data, len, NULL, err);
}

int sb_cpstore_write_channel_state(sb_cpstore_t *cs, int64_t id, const char *task,
                                   const sb_chstate_t *ch, json_t *state, size_t *bytes,
                                   sb_err_t *err)
{
    char *buf = NULL, name[SB_STORE_KEY_BYTES_MAX], key[SB_STORE_KEY_BYTES_MAX];
    size_t len = 0;
    if (sb_chstate_encode(ch, &buf, &len, err) != 0)
        return -1;
    snprintf(name, sizeof name, "%s.channel", task);
    int rc = sb_cpstore_write_object(cs, id, name, buf, len, key, sizeof key, err);
    free(buf);
    if (rc != 0)
        return -1;
    *bytes = len;
    json_object_set_new(state, "channel_state",
                        json_pack("{s:s,s:I,s:I}", "key", key, "records",
                                  (json_int_t)ch->records, "bytes", (json_int_t)len));
    return 0;
}

int sb_cpstore_read_channel_state(sb_cpstore_t *cs, const json_t *state, int64_t id,
                                  int inputs, sb_chstate_t *ch, size_t *bytes, sb_err_t *err)
{
    json_t *ref = json_object_get(state, "channel_state");
    if (ref == NULL)
        return 0;
    const char *key = json_string_value(json_object_get(ref, "key"));
    if (key == NULL)
        return sb_err_set(err, "checkpoint %" PRId64 " references channel state without a key",
                          id);
    char *buf = NULL;
    size_t len = 0;
    if (sb_cpstore_read_object(cs, key, &buf, &len, err) != 0)
        return sb_err_wrap(err, "channel state");
    sb_chstate_reset(ch, id, inputs);
    int rc = sb_chstate_decode(ch, buf, len, identity_of(cs, key), err);
    free(buf);
    if (rc != 0)
        return -1;
    *bytes = len;
    return 1;
}

int sb_cpstore_read_object(sb_cpstore_t *cs, const char *key, char **data, size_t *len,
                           sb_err_t *err)
{
    int got = get_framed(cs, key, data, len, err);
    if (got == 0)
        return sb_err_set(err, "%s: missing", identity_of(cs, key));
    return got < 0 ? -1 : 0;
}

/* Ids newest first, without repeats. */
static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

static int sort_unique(int64_t *ids, int n)
{
    qsort(ids, (size_t)n, sizeof *ids, cmp_desc);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || ids[k - 1] != ids[i])
            ids[k++] = ids[i];
    return k;
}

static void completed_key(const sb_cpstore_t *cs, char *buf, size_t len)
{
    snprintf(buf, len, "%s/_completed", cs->job);
}

int sb_cpstore_read_completed(sb_cpstore_t *cs, int64_t *ids, int *count, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    completed_key(cs, key, sizeof key);
    json_t *doc = NULL;
    *count = 0;
    int got = get_json(cs, key, &doc, err);
    if (got <= 0)
        return got;
    json_t *list = json_object_get(doc, "completed");
    size_t i;
    json_t *v;
    int rc = 1;
    if (!json_is_array(list) || json_array_size(list) > SB_CPSTORE_COMPLETED_MAX)
        rc = sb_err_set(err, "_completed: not a list of at most %d checkpoint ids",
                        SB_CPSTORE_COMPLETED_MAX);
    json_array_foreach(list, i, v) {
        if (rc < 0)
            break;
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            rc = sb_err_set(err, "_completed: entry %zu is not a checkpoint id", i);
        else
            ids[(*count)++] = json_integer_value(v);
    }
    json_decref(doc);
    if (rc < 0)
        *count = 0;
    return rc;
}

/* Every checkpoint key of the job, the completed ids newest first (room
 * for one more) and the highest id seen. */
typedef struct listing {
    sb_store_list_t keys;
    int64_t *completed;
    int completed_count;
    int64_t max_id;
    char problem[SB_CPSTORE_REASON_BYTES_MAX]; /* "" or why _completed was
                                                  not used */
} listing_t;

static int listing_read(sb_cpstore_t *cs, listing_t *ls, sb_err_t *err);
static void listing_free(listing_t *ls);

/* _completed after `id` completed: every completed id known (listed, or
 * with a _metadata), plus `id`, the newest num_retained. */
static int write_completed(sb_cpstore_t *cs, int64_t id, sb_err_t *err)
{
    listing_t ls;
    if (listing_read(cs, &ls, err) != 0)
        return -1;
    int64_t *ids = ls.completed;
    int n = ls.completed_count;
    ids[n++] = id;
    n = sort_unique(ids, n);
    if (n > cs->num_retained)
        n = cs->num_retained;
    if (n > SB_CPSTORE_COMPLETED_MAX)
        n = SB_CPSTORE_COMPLETED_MAX;
    json_t *list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(list, json_integer((json_int_t)ids[i]));
    listing_free(&ls);
    char key[SB_STORE_KEY_BYTES_MAX];
    completed_key(cs, key, sizeof key);
    json_t *doc = json_pack("{s:o}", "completed", list);
    int rc = put_json(cs, key, doc, NULL, err);
    json_decref(doc);
    return rc;
}

int sb_cpstore_write_metadata(sb_cpstore_t *cs, int64_t id, json_t *meta, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    chk_key(cs, id, "_metadata", key, sizeof key);
    if (put_json(cs, key, meta, NULL, err) != 0)
        return -1;
    if (write_completed(cs, id, err) != 0)
        return sb_err_wrap(err, "recording checkpoint %" PRId64 " in _completed", id);
    return 0;
}

int sb_cpstore_read_metadata(sb_cpstore_t *cs, int64_t id, json_t **meta, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    chk_key(cs, id, "_metadata", key, sizeof key);
    int got = get_json(cs, key, meta, err);
    if (got == 0)
        return sb_err_set(err, "%s: missing", identity_of(cs, key));
    return got < 0 ? -1 : 0;
}

/* Parses "<job>/chk-<N>/<name>"; returns N or 0. */
static int64_t parse_key(const sb_cpstore_t *cs, const char *key, const char **name)
{
    size_t jl = strlen(cs->job);
    if (strncmp(key, cs->job, jl) != 0 || strncmp(key + jl, "/chk-", 5) != 0)
        return 0;
    char *end = NULL;
    long long id = strtoll(key + jl + 5, &end, 10);
    if (end == NULL || *end != '/' || id <= 0)
        return 0;
    *name = end + 1;
    return id;
}

/* Every completed id, newest first: those with a _metadata object in `l`
 * and those _completed lists. *problem: "" or why _completed was not
 * used. ids has room for l->count + SB_CPSTORE_COMPLETED_MAX. */
static int completed_ids(sb_cpstore_t *cs, const sb_store_list_t *l, int64_t *ids, int *n,
                         char *problem, size_t problem_len)
{
    *n = 0;
    problem[0] = '\0';
    for (size_t i = 0; i < l->count; i++) {
        const char *name = NULL;
        int64_t id = parse_key(cs, l->keys[i], &name);
        if (id > 0 && strcmp(name, "_metadata") == 0)
            ids[(*n)++] = id;
    }
    int listed = 0;
    sb_err_t why = { { 0 } };
    int got = sb_cpstore_read_completed(cs, ids + *n, &listed, &why);
    if (got == 0 && *n > 0)
        snprintf(problem, problem_len, "_completed: missing");
    else if (got < 0)
        snprintf(problem, problem_len, "%s", why.msg);
    *n = sort_unique(ids, *n + listed);
    return 0;
}

static int listing_read(sb_cpstore_t *cs, listing_t *ls, sb_err_t *err)
{
    memset(ls, 0, sizeof *ls);
    char prefix[SB_STORE_KEY_BYTES_MAX];
    snprintf(prefix, sizeof prefix, "%s/chk-", cs->job);
    if (sb_store_list(&cs->store, prefix, &ls->keys, err) != 0)
        return -1;
    ls->completed = calloc(ls->keys.count + SB_CPSTORE_COMPLETED_MAX + 1, sizeof *ls->completed);
    if (ls->completed == NULL) {
        sb_store_list_free(&ls->keys);
        return sb_err_set(err, "out of memory listing completed checkpoints");
    }
    for (size_t i = 0; i < ls->keys.count; i++) {
        const char *name = NULL;
        int64_t id = parse_key(cs, ls->keys.keys[i], &name);
        if (id > ls->max_id)
            ls->max_id = id;
    }
    completed_ids(cs, &ls->keys, ls->completed, &ls->completed_count, ls->problem,
                  sizeof ls->problem);
    if (ls->completed_count > 0 && ls->completed[0] > ls->max_id)
        ls->max_id = ls->completed[0]; /* listed, every file of it gone */
    return 0;
}

static void listing_free(listing_t *ls)
{
    sb_store_list_free(&ls->keys);
    free(ls->completed);
    ls->completed = NULL;
}

int sb_cpstore_scan(sb_cpstore_t *cs, int64_t *latest_completed, int64_t *max_id,
                    sb_err_t *err)
{
    listing_t ls;
    if (listing_read(cs, &ls, err) != 0)
        return -1;
    *latest_completed = ls.completed_count > 0 ? ls.completed[0] : 0;
    *max_id = ls.max_id;
    listing_free(&ls);
    return 0;
}

static int delete_checkpoint(sb_cpstore_t *cs, const sb_store_list_t *l, int64_t id,
                             sb_err_t *err)
{
    /* _metadata goes first, so a crash half-way leaves an abandoned
     * checkpoint, never a completed one with missing snapshots. */
    char key[SB_STORE_KEY_BYTES_MAX];
    chk_key(cs, id, "_metadata", key, sizeof key);
    if (sb_store_delete(&cs->store, key, err) != 0)
        return -1;
    for (size_t i = 0; i < l->count; i++) {
        const char *name = NULL;
        if (parse_key(cs, l->keys[i], &name) == id &&
            sb_store_delete(&cs->store, l->keys[i], err) != 0)
            return -1;
    }
    return 0;
}

int sb_cpstore_retain(sb_cpstore_t *cs, sb_err_t *err)
{
    listing_t ls;
    if (listing_read(cs, &ls, err) != 0)
        return -1;
    const sb_store_list_t l = ls.keys;
    const int64_t *done = ls.completed; /* newest first */
    int ndone = ls.completed_count;
    int64_t latest = ndone > 0 ? done[0] : 0;
    int rc = 0;
    for (int i = cs->num_retained; i < ndone && rc == 0; i++)
        rc = delete_checkpoint(cs, &l, done[i], err);
    /* Abandoned checkpoints below the latest completed can never be
     * restored; their ids stay burnt because a higher id exists. */
    int64_t last_seen = 0;
    for (size_t i = 0; i < l.count && rc == 0; i++) {
        const char *name = NULL;
        int64_t id = parse_key(cs, l.keys[i], &name);
        if (id <= 0 || id >= latest || id == last_seen)
            continue;
        last_seen = id;
        bool completed = false;
        for (int j = 0; j < ndone; j++)
            completed |= done[j] == id;
        if (!completed)
            rc = delete_checkpoint(cs, &l, id, err);
    }
    listing_free(&ls);
    return rc;
}

/* ------------------------------------------------------------ restore */

int sb_cpstore_verify_file(sb_cpstore_t *cs, int64_t id, const char *name, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    if (id == 0)
        completed_key(cs, key, sizeof key);
    else
        chk_key(cs, id, name, key, sizeof key);
    char *data = NULL;
    size_t len = 0;
    int rc = sb_cpstore_read_object(cs, key, &data, &len, err);
    free(data);
    return rc;
}

static void refuse(sb_cpstore_restore_t *r, int64_t id, const char *file, const char *reason)
{
    if (r->refused_count == SB_CPSTORE_REFUSALS_MAX)
        return;
    sb_cpstore_refusal_t *f = &r->refused[r->refused_count++];
    f->checkpoint = id;
    snprintf(f->file, sizeof f->file, "%s", file);
    snprintf(f->reason, sizeof f->reason, "%s", reason);
}

/* Whether checkpoint `id` is whole: its _metadata (for this id), every
 * task's snapshot and every channel state they reference. On the first
 * fault, the file and the sentence. */
static bool checkpoint_whole(sb_cpstore_t *cs, int64_t id, const char *const *tasks,
                             int tasks_count, char *file, size_t file_len, sb_err_t *why)
{
    json_t *meta = NULL;
    snprintf(file, file_len, "chk-%" PRId64 "/_metadata", id);
    if (sb_cpstore_read_metadata(cs, id, &meta, why) != 0)
        return false;
    json_t *mid = json_object_get(meta, "checkpoint");
    bool same = json_is_integer(mid) && json_integer_value(mid) == id;
    json_decref(meta);
    if (!same) {
        sb_err_set(why, "%s: describes another checkpoint", file);
        return false;
    }
    for (int i = 0; i < tasks_count; i++) {
        json_t *state = NULL;
        snprintf(file, file_len, "chk-%" PRId64 "/%s.json", id, tasks[i]);
        int got = sb_cpstore_read_snapshot(cs, id, tasks[i], &state, why);
        if (got == 0)
            sb_err_set(why, "%s: missing", file);
        if (got <= 0)
            return false;
        const char *key = json_string_value(
            json_object_get(json_object_get(state, "channel_state"), "key"));
        bool ok = true;
        if (key != NULL) {
            snprintf(file, file_len, "%s", identity_of(cs, key));
            char *data = NULL;
            size_t len = 0;
            ok = sb_cpstore_read_object(cs, key, &data, &len, why) == 0;
            free(data);
        } else if (json_object_get(state, "channel_state") != NULL) {
            sb_err_set(why, "%s: references channel state without a key", file);
            ok = false;
        }
        json_decref(state);
        if (!ok)
            return false;
    }
    return true;
}

int sb_cpstore_pick_restore(sb_cpstore_t *cs, const char *const *tasks, int tasks_count,
                            int64_t published_upto, bool verify, sb_cpstore_restore_t *r,
                            sb_err_t *err)
{
    memset(r, 0, sizeof *r);
    listing_t ls;
    if (listing_read(cs, &ls, err) != 0)
        return -1;
    const int64_t *ids = ls.completed;
    int n = ls.completed_count;
    r->max_id = ls.max_id;
    snprintf(r->completed_list, sizeof r->completed_list, "%s", ls.problem);
    r->completed_count = n;
    if (n > 0 && !verify)
        r->id = ids[0]; /* the mutant: whatever is there */
    for (int i = 0; i < n && verify && r->id == 0; i++) {
        char file[64];
        sb_err_t why = { { 0 } };
        if (i > 0 && ids[i] < published_upto) {
            snprintf(file, sizeof file, "chk-%" PRId64, ids[i]);
            sb_err_set(&why, "%s: older than output already published for chk-%" PRId64
                       " (restoring it would publish records twice)", file, published_upto);
        } else if (checkpoint_whole(cs, ids[i], tasks, tasks_count, file, sizeof file, &why)) {
            r->id = ids[i];
            break;
        }
        refuse(r, ids[i], file, why.msg);
        if (r->refused_count > 1)
            r->refused[r->refused_count - 2].next = ids[i];
        if (r->refused_count == SB_CPSTORE_REFUSALS_MAX)
            break; /* a bound on the walk: the rest count as refused too */
    }
    if (r->refused_count > 0)
        r->refused[r->refused_count - 1].next = r->id;
    r->none_whole = n > 0 && r->id == 0;
    listing_free(&ls);
    return 0;
}

void sb_cpstore_restore_failure(const sb_cpstore_restore_t *r, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "no completed checkpoint can be restored (%d "
                                   "completed):", r->completed_count);
    for (int i = 0; i < r->refused_count && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s %s", i ? ";" : "",
                                 r->refused[i].reason);
}
