/* checkpoint_store.c — see checkpoint_store.h. */
#include "checkpoint_store.h"

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

static int put_json(sb_cpstore_t *cs, const char *key, json_t *v, size_t *size_bytes,
                    sb_err_t *err)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return sb_err_set(err, "cannot serialise %s", key);
    size_t len = strlen(text);
    int rc = sb_store_put(&cs->store, key, text, len, err);
    free(text);
    if (size_bytes != NULL)
        *size_bytes = len;
    return rc;
}

static int get_json(sb_cpstore_t *cs, const char *key, json_t **v, sb_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    int got = sb_store_get(&cs->store, key, &text, &len, err);
    if (got <= 0)
        return got;
    json_error_t jerr;
    *v = json_loadb(text, len, 0, &jerr);
    free(text);
    if (*v == NULL)
        return sb_err_set(err, "%s/%s: corrupt JSON at line %d: %s", cs->store.uri, key,
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
    return sb_store_put(&cs->store, key_out, data, len, err);
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
    int rc = sb_chstate_decode(ch, buf, len, key, err);
    free(buf);
    if (rc != 0)
        return -1;
    *bytes = len;
    return 1;
}

int sb_cpstore_read_object(sb_cpstore_t *cs, const char *key, char **data, size_t *len,
                           sb_err_t *err)
{
    int got = sb_store_get(&cs->store, key, data, len, err);
    if (got == 0)
        return sb_err_set(err, "%s is missing from %s", key, cs->store.uri);
    return got < 0 ? -1 : 0;
}

int sb_cpstore_write_metadata(sb_cpstore_t *cs, int64_t id, json_t *meta, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    chk_key(cs, id, "_metadata", key, sizeof key);
    return put_json(cs, key, meta, NULL, err);
}

int sb_cpstore_read_metadata(sb_cpstore_t *cs, int64_t id, json_t **meta, sb_err_t *err)
{
    char key[SB_STORE_KEY_BYTES_MAX];
    chk_key(cs, id, "_metadata", key, sizeof key);
    int got = get_json(cs, key, meta, err);
    if (got == 0)
        return sb_err_set(err, "checkpoint %" PRId64 " has no _metadata in %s", id,
                          cs->store.uri);
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

int sb_cpstore_scan(sb_cpstore_t *cs, int64_t *latest_completed, int64_t *max_id,
                    sb_err_t *err)
{
    char prefix[SB_STORE_KEY_BYTES_MAX];
    snprintf(prefix, sizeof prefix, "%s/chk-", cs->job);
    sb_store_list_t l;
    if (sb_store_list(&cs->store, prefix, &l, err) != 0)
        return -1;
    *latest_completed = 0;
    *max_id = 0;
    for (size_t i = 0; i < l.count; i++) {
        const char *name = NULL;
        int64_t id = parse_key(cs, l.keys[i], &name);
        if (id == 0)
            continue;
        if (id > *max_id)
            *max_id = id;
        if (strcmp(name, "_metadata") == 0 && id > *latest_completed)
            *latest_completed = id;
    }
    sb_store_list_free(&l);
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
    char prefix[SB_STORE_KEY_BYTES_MAX];
    snprintf(prefix, sizeof prefix, "%s/chk-", cs->job);
    sb_store_list_t l;
    if (sb_store_list(&cs->store, prefix, &l, err) != 0)
        return -1;
    /* Completed ids, newest first (keys are sorted as text, so sort ids). */
    int64_t *done = calloc(l.count + 1, sizeof *done);
    size_t ndone = 0;
    int64_t latest = 0;
    for (size_t i = 0; i < l.count; i++) {
        const char *name = NULL;
        int64_t id = parse_key(cs, l.keys[i], &name);
        if (id > 0 && strcmp(name, "_metadata") == 0) {
            done[ndone++] = id;
            if (id > latest)
                latest = id;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < ndone && rc == 0; i++) {
        size_t newer = 0;
        for (size_t j = 0; j < ndone; j++)
            newer += done[j] > done[i];
        if (newer >= (size_t)cs->num_retained)
            rc = delete_checkpoint(cs, &l, done[i], err);
    }
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
        for (size_t j = 0; j < ndone; j++)
            completed |= done[j] == id;
        if (!completed)
            rc = delete_checkpoint(cs, &l, id, err);
    }
    free(done);
    sb_store_list_free(&l);
    return rc;
}
