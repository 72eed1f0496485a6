/* corrupt.c — see corrupt.h. */
#include "corrupt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckframe.h"
#include "store.h"

/* One byte of the payload changes. In text, the last decimal digit moves
 * to its neighbour (0<->1, 8<->9), so JSON stays valid JSON: the kind of
 * damage only a checksum sees (an offset moved). */
static void flip_byte(char *buf, size_t len)
{
    size_t start = sb_ckframe_header_bytes(buf, len);
    for (size_t i = len; i > start; i--)
        if (buf[i - 1] >= '0' && buf[i - 1] <= '9') {
            buf[i - 1] = (char)(buf[i - 1] ^ 1);
            return;
        }
    if (len > start)
        buf[start + (len - start) / 2] ^= (char)0xff;
}

static int get_whole(sb_store_t *st, const char *key, char **buf, size_t *len, sb_err_t *err)
{
    int got = sb_store_get(st, key, buf, len, err);
    if (got == 0)
        return sb_err_set(err, "corrupt: %s does not exist in %s: nothing to damage", key,
                          st->uri);
    return got < 0 ? -1 : 0;
}

int sb_corrupt_key(sb_store_t *st, const char *key, const char *other_key, sb_corrupt_how_t how,
                   sb_err_t *err)
{
    if (how == SB_CORRUPT_DELETE)
        return sb_store_delete(st, key, err);
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    if (get_whole(st, key, &a, &alen, err) != 0)
        return -1;
    int rc = 0;
    switch (how) {
    case SB_CORRUPT_FLIP_BYTE:
        flip_byte(a, alen);
        rc = sb_store_put(st, key, a, alen, err);
        break;
    case SB_CORRUPT_TRUNCATE: {
        size_t head = sb_ckframe_header_bytes(a, alen);
        rc = sb_store_put(st, key, a, head + (alen - head) / 2, err);
        break;
    }
    case SB_CORRUPT_SWAP:
        rc = get_whole(st, other_key, &b, &blen, err);
        if (rc == 0)
            rc = sb_store_put(st, key, b, blen, err);
        if (rc == 0)
            rc = sb_store_put(st, other_key, a, alen, err);
        break;
    default:
        rc = sb_err_set(err, "corrupt: unknown damage %d", (int)how);
        break;
    }
    free(a);
    free(b);
    return rc;
}

/* The name (within chk-N/) of the file faults[index] damages: the task's,
 * or the first such file checkpoint N holds. */
static int pick_name(sb_store_t *st, const char *job, int64_t id, const sb_fault_t *f,
                     char *name, size_t len, sb_err_t *err)
{
    if (f->corrupt_file == SB_CORRUPT_METADATA) {
        snprintf(name, len, "_metadata");
        return 0;
    }
    const char *ext = f->corrupt_file == SB_CORRUPT_SNAPSHOT ? ".json" : ".channel";
    if (f->task[0] != '\0') {
        snprintf(name, len, "%s%s", f->task, ext);
        return 0;
    }
    char prefix[SB_STORE_KEY_BYTES_MAX];
    snprintf(prefix, sizeof prefix, "%s/chk-%" PRId64 "/", job, id);
    sb_store_list_t l;
    if (sb_store_list(st, prefix, &l, err) != 0)
        return -1;
    name[0] = '\0';
    for (size_t i = 0; i < l.count && name[0] == '\0'; i++) {
        const char *n = l.keys[i] + strlen(prefix);
        size_t nl = strlen(n), el = strlen(ext);
        if (nl > el && strcmp(n + nl - el, ext) == 0)
            snprintf(name, len, "%s", n);
    }
    sb_store_list_free(&l);
    if (name[0] == '\0')
        return sb_err_set(err, "corrupt: checkpoint %" PRId64 " has no %s file to damage%s", id,
                          ext, f->corrupt_file == SB_CORRUPT_CHANNEL_STATE
                                   ? " (no channel state: was it aligned, or nothing in flight?)"
                                   : "");
    return 0;
}

int sb_corrupt_apply(const sb_scenario_t *s, int index, const char *checkpoints_uri,
                     const char *run_dir, const char *job, sb_trace_t *trace, sb_err_t *err)
{
    const sb_fault_t *f = &s->faults[index];
    int64_t id = f->checkpoint_id;
    sb_store_t st;
    if (sb_store_open(&st, checkpoints_uri, run_dir, err) != 0)
        return -1;
    char name[SB_STORE_KEY_BYTES_MAX], key[SB_STORE_KEY_BYTES_MAX] = "",
         other[SB_STORE_KEY_BYTES_MAX] = "", file[SB_STORE_KEY_BYTES_MAX];
    int rc = 0;
    if (f->corrupt_file == SB_CORRUPT_COMPLETED_LIST) {
        snprintf(key, sizeof key, "%s/_completed", job);
        snprintf(file, sizeof file, "_completed");
    } else if ((rc = pick_name(&st, job, id, f, name, sizeof name, err)) == 0) {
        snprintf(key, sizeof key, "%s/chk-%" PRId64 "/%s", job, id, name);
        snprintf(other, sizeof other, "%s/chk-%" PRId64 "/%s", job, id - 1, name);
        snprintf(file, sizeof file, "chk-%" PRId64 "/%s", id, name);
    }
    if (rc == 0)
        rc = sb_corrupt_key(&st, key, other, f->corrupt_how, err);
    sb_store_close(&st);
    if (rc != 0)
        return sb_err_wrap(err, "faults[%d] (line %d)", index, f->line);
    /* Which checkpoints no restore may read now (_completed damages none:
     * it is a second record of completions, not a checkpoint). */
    json_t *ids = json_array();
    if (f->corrupt_file != SB_CORRUPT_COMPLETED_LIST)
        json_array_append_new(ids, json_integer((json_int_t)id));
    if (f->corrupt_how == SB_CORRUPT_SWAP)
        json_array_append_new(ids, json_integer((json_int_t)(id - 1)));
    sb_trace_emit(trace, SB_EV_CHECKPOINT_DAMAGED,
                  json_pack("{s:i,s:I,s:s,s:s,s:o}", "fault", index, "checkpoint",
                            (json_int_t)id, "file", file, "how",
                            sb_corrupt_how_name(f->corrupt_how), "checkpoints", ids));
    return 0;
}
