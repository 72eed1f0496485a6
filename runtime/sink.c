/* sink.c — see sink.h. */
#include "sink.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_OVERHEAD_BYTES 48 /* "<partition>:<offset> " and the newline */

void sb_sink_init(sb_sink_t *k, sb_store_t *store, sb_trace_t *trace, int subtask,
                  const char *name)
{
    memset(k, 0, sizeof *k);
    k->store = store;
    k->trace = trace;
    k->subtask = subtask;
    snprintf(k->name, sizeof k->name, "%s", name);
}

void sb_sink_destroy(sb_sink_t *k)
{
    free(k->buf);
    k->buf = NULL;
    k->buf_len = k->buf_cap = 0;
}

void sb_sink_key(int subtask, int64_t checkpoint_id, char *buf, size_t len)
{
    snprintf(buf, len, "part-%03d-%012" PRId64, subtask, checkpoint_id);
}

int sb_sink_key_parse(const char *key, int *subtask, int64_t *checkpoint_id)
{
    int st = 0, used = 0;
    long long id = 0;
    if (sscanf(key, "part-%3d-%12lld%n", &st, &id, &used) != 2 || key[used] != '\0')
        return 0;
    *subtask = st;
    *checkpoint_id = id;
    return 1;
}

int sb_sink_published_upto(sb_store_t *store, int64_t *upto, sb_err_t *err)
{
    sb_store_list_t l;
    *upto = 0;
    if (sb_store_list(store, "part-", &l, err) != 0)
        return -1;
    for (size_t i = 0; i < l.count; i++) {
        int subtask = 0;
        int64_t id = 0;
        if (sb_sink_key_parse(l.keys[i], &subtask, &id) && id > *upto)
            *upto = id;
    }
    sb_store_list_free(&l);
    return 0;
}

static void trace_event(sb_sink_t *k, const char *event, json_t *fields)
{
    if (k->emit != NULL) {
        k->emit(k->emit_ctx, event, fields);
        return;
    }
    if (k->trace == NULL) {
        json_decref(fields);
        return;
    }
    json_object_set_new(fields, "task", json_string(k->name));
    sb_trace_emit(k->trace, event, fields);
}

static int grow(sb_sink_t *k, size_t need, sb_err_t *err)
{
    if (need > SB_SINK_EPOCH_BYTES_MAX)
        return sb_err_set(err, "%s: more than %u MiB of output between two checkpoints; "
                          "lower execution.checkpointing.interval", k->name,
                          SB_SINK_EPOCH_BYTES_MAX >> 20);
    size_t cap = k->buf_cap ? k->buf_cap : (1u << 20);
    while (cap < need)
        cap *= 2;
    char *b = realloc(k->buf, cap);
    if (b == NULL)
        return sb_err_set(err, "%s: out of memory buffering %zu bytes of output", k->name, cap);
    k->buf = b;
    k->buf_cap = cap;
    return 0;
}

/* Writes v in decimal at p and returns the end: what snprintf's "%" PRId64
 * would write, without parsing a format for every record of the output. */
static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *p++ = '-';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

int sb_sink_append(sb_sink_t *k, int32_t partition, int64_t offset, const char *value,
                   size_t len, sb_err_t *err)
{
    size_t need = k->buf_len + len + LINE_OVERHEAD_BYTES;
    if (need > k->buf_cap && grow(k, need, err) != 0)
        return -1;
    char *p = put_i64(k->buf + k->buf_len, partition);
    *p++ = ':';
    p = put_i64(p, offset);
    *p++ = ' ';
    k->buf_len = (size_t)(p - k->buf);
    memcpy(k->buf + k->buf_len, value, len);
    k->buf_len += len;
    k->buf[k->buf_len++] = '\n';
    return 0;
}

int sb_sink_stage(sb_sink_t *k, int64_t id, sb_err_t *err)
{
    if (k->buf_len == 0)
        return 0;
    if (k->pending_count == SB_SINK_PENDING_MAX)
        return sb_err_set(err, "%s: more than %d checkpoints staged and not committed", k->name,
                          SB_SINK_PENDING_MAX);
    sb_sink_pending_t *p = &k->pending[k->pending_count];
    memset(p, 0, sizeof *p);
    p->checkpoint_id = id;
    sb_sink_key(k->subtask, id, p->key, sizeof p->key);
    if (sb_store_upload_create(k->store, p->key, p->upload_id, sizeof p->upload_id, err) != 0)
        return sb_err_wrap(err, "%s: staging checkpoint %" PRId64, k->name, id);
    for (size_t off = 0; off < k->buf_len; off += SB_SINK_PART_BYTES) {
        size_t n = k->buf_len - off < SB_SINK_PART_BYTES ? k->buf_len - off : SB_SINK_PART_BYTES;
        if (sb_store_upload_part(k->store, p->key, p->upload_id, p->parts + 1, k->buf + off,
                                 n, err) != 0)
            return sb_err_wrap(err, "%s: staging checkpoint %" PRId64, k->name, id);
        p->parts++;
    }
    k->pending_count++;
    trace_event(k, "sink_stage", json_pack("{s:I,s:s,s:I,s:i}", "checkpoint", (json_int_t)id,
                                           "key", p->key, "bytes", (json_int_t)k->buf_len,
                                           "parts", p->parts));
    k->buf_len = 0;
    return 0;
}

json_t *sb_sink_state(const sb_sink_t *k)
{
    json_t *pending = json_array();
    for (int i = 0; i < k->pending_count; i++) {
        const sb_sink_pending_t *p = &k->pending[i];
        json_array_append_new(pending, json_pack("{s:I,s:s,s:s,s:i}", "checkpoint",
                                                 (json_int_t)p->checkpoint_id, "key", p->key,
                                                 "upload_id", p->upload_id, "parts", p->parts));
    }
    return json_pack("{s:o}", "pending", pending);
}

/* The overwrite-published mutant: writes a published object again. */
static int rewrite(sb_sink_t *k, const char *key, sb_err_t *err)
{
    char *data = NULL;
    size_t len = 0;
    if (sb_store_get(k->store, key, &data, &len, err) != 1)
        return -1;
    int rc = sb_store_put(k->store, key, data, len, err);
    free(data);
    return rc;
}

int sb_sink_commit(sb_sink_t *k, int64_t upto, sb_err_t *err)
{
    int kept = 0;
    for (int i = 0; i < k->pending_count; i++) {
        sb_sink_pending_t *p = &k->pending[i];
        if (p->checkpoint_id > upto) {
            k->pending[kept++] = *p;
            continue;
        }
        int rc = sb_store_upload_complete(k->store, p->key, p->upload_id, p->parts, err);
        if (rc < 0) {
            /* Keep what is left pending: a later commit may succeed. */
            for (int j = i; j < k->pending_count; j++)
                k->pending[kept++] = k->pending[j];
            k->pending_count = kept;
            return sb_err_wrap(err, "%s: committing checkpoint %" PRId64, k->name, upto);
        }
        if (rc == SB_STORE_ALREADY && k->mutant_overwrite && rewrite(k, p->key, err) == 0)
            rc = SB_STORE_OK; /* the deliberate bug: it publishes again */
        trace_event(k, "sink_commit",
                    json_pack("{s:I,s:s,s:b,s:I}", "checkpoint", (json_int_t)p->checkpoint_id,
                              "key", p->key, "published", rc == SB_STORE_OK,
                              "completed_checkpoint", (json_int_t)upto));
        if (k->on_published != NULL && rc == SB_STORE_OK &&
            !k->on_published(k->on_published_ctx, p->checkpoint_id)) {
            for (int j = i + 1; j < k->pending_count; j++)
                k->pending[kept++] = k->pending[j];
            k->pending_count = kept;
            return SB_SINK_STOPPED; /* died between two uploads */
        }
    }
    k->pending_count = kept;
    if (upto > k->committed_upto)
        k->committed_upto = upto;
    return 0;
}

static int load_pending(sb_sink_t *k, json_t *state, sb_err_t *err)
{
    json_t *pending = json_object_get(state, "pending");
    if (!json_is_array(pending))
        return sb_err_set(err, "%s: the snapshot has no pending list", k->name);
    size_t i;
    json_t *v;
    json_array_foreach(pending, i, v) {
        if (k->pending_count == SB_SINK_PENDING_MAX)
            return sb_err_set(err, "%s: more than %d pending uploads in the snapshot", k->name,
                              SB_SINK_PENDING_MAX);
        json_int_t id = 0;
        const char *key = NULL, *upload_id = NULL;
        int parts = 0;
        json_error_t jerr;
        if (json_unpack_ex(v, &jerr, 0, "{s:I,s:s,s:s,s:i}", "checkpoint", &id, "key", &key,
                           "upload_id", &upload_id, "parts", &parts) != 0)
            return sb_err_set(err, "%s: malformed pending upload %zu in the snapshot: %s",
                              k->name, i, jerr.text);
        sb_sink_pending_t *p = &k->pending[k->pending_count++];
        memset(p, 0, sizeof *p);
        p->checkpoint_id = id;
        snprintf(p->key, sizeof p->key, "%s", key);
        snprintf(p->upload_id, sizeof p->upload_id, "%s", upload_id);
        p->parts = parts;
    }
    return 0;
}

int sb_sink_abort_orphans(sb_sink_t *k, sb_err_t *err)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "part-%03d-", k->subtask);
    sb_store_uploads_t u;
    if (sb_store_uploads_list(k->store, prefix, &u, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < u.count && rc == 0; i++) {
        bool pending = false;
        for (int j = 0; j < k->pending_count; j++)
            pending |= strcmp(k->pending[j].upload_id, u.items[i].upload_id) == 0;
        if (pending)
            continue;
        rc = sb_store_upload_abort(k->store, u.items[i].key, u.items[i].upload_id, err);
        if (rc == 0)
            trace_event(k, "sink_abort", json_pack("{s:s,s:s}", "key", u.items[i].key,
                                                   "upload_id", u.items[i].upload_id));
    }
    sb_store_uploads_free(&u);
    return rc;
}

int sb_sink_restore(sb_sink_t *k, json_t *state, int64_t restored_id, sb_err_t *err)
{
    k->pending_count = 0;
    k->buf_len = 0;
    k->committed_upto = 0;
    if (state != NULL && load_pending(k, state, err) != 0)
        return -1;
    /* Every pending upload of the snapshot belongs to a checkpoint <= the
     * restored one, which completed: publish them. */
    int rc = sb_sink_commit(k, restored_id, err);
    if (rc != 0)
        return rc;
    return sb_sink_abort_orphans(k, err);
}
