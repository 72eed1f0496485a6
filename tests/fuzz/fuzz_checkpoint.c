/* fuzz_checkpoint.c — libFuzzer harness: the checkpoint readers of
 * runtime/checkpoint_store.c and the channel-state decoder of
 * runtime/chstate.c, on a mem:// store (runtime/store_mem.c), so the
 * harness does not depend on how a backend lays files out.
 *
 * The input is four parts split at the first three NUL bytes:
 *   byte 0           bits 0-5: the restoring subtask's input count
 *                    (1 + b % 64); bit 7: frame the three files (below);
 *                    bit 6: restore as the restore-unverified mutant does
 *                    (frames trusted, not checked)
 *   METADATA \0      job/chk-1/_metadata
 *   SNAPSHOT \0      job/chk-1/map-0.json (may reference channel state)
 *   KEYS \0          more keys under job/, one a line, each stored empty
 *   CHANNEL          job/chk-1/map-0.channel, the rest (binary, any bytes)
 * A missing part is a missing object. Every checkpoint file carries a
 * checksummed frame (ckframe.h): raw bytes mostly exercise the frame
 * check, so with bit 7 the harness wraps _metadata, the snapshot and the
 * channel state in valid frames of their own names (and records chk-1 in
 * a valid _completed), and the bytes reach the JSON and channel-state
 * decoders behind it. The harness reads what a restore reads (the choice
 * of checkpoint with its verification, scan, metadata, snapshot, the
 * channel state it references), the channel bytes straight through the
 * decoder too, and retention. */
#include <jansson.h>

#include "checkpoint_store.h"
#include "chstate.h"
#include "ckframe.h"
#include "fuzz_common.h"
#include "store.h"

#define STORE_NAME "fuzz"

typedef struct part {
    const uint8_t *data;
    size_t size;
    bool present;
} part_t;

/* Splits at NUL: parts[0..2] end at one, parts[3] is the rest. */
static void split(const uint8_t *data, size_t size, part_t parts[4])
{
    memset(parts, 0, 4 * sizeof *parts);
    size_t at = 0;
    for (int i = 0; i < 4 && at <= size; i++) {
        const uint8_t *nul = i < 3 ? memchr(data + at, 0, size - at) : NULL;
        size_t end = nul != NULL ? (size_t)(nul - data) : size;
        if (i < 3 && nul == NULL && at == size)
            break;
        parts[i] = (part_t){ data + at, end - at, true };
        at = end + 1;
        if (nul == NULL)
            break;
    }
}

/* Stores part p as job/<name>, raw or in a valid frame of its name. */
static void put(sb_cpstore_t *cs, const char *name, const part_t *p, bool framed)
{
    sb_err_t err = { { 0 } };
    char key[SB_STORE_KEY_BYTES_MAX];
    snprintf(key, sizeof key, "job/%s", name);
    if (!p->present)
        return;
    if (!framed) {
        (void)sb_store_put(&cs->store, key, p->data, p->size, &err);
        return;
    }
    char *out = NULL;
    size_t len = 0;
    if (sb_ckframe_wrap(name, p->data, p->size, &out, &len, &err) != 0)
        abort(); /* wrapping what fits a fuzz input cannot fail */
    (void)sb_store_put(&cs->store, key, out, len, &err);
    free(out);
}

static void put_keys(sb_cpstore_t *cs, const part_t *p)
{
    if (!p->present)
        return;
    const char *s = (const char *)p->data, *end = s + p->size;
    int keys = 0;
    while (s < end && keys++ < 64) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
        char key[SB_STORE_KEY_BYTES_MAX];
        if (n + 5 < sizeof key) {
            snprintf(key, sizeof key, "job/%.*s", (int)n, s);
            sb_err_t err = { { 0 } };
            (void)sb_store_put(&cs->store, key, "", 0, &err);
        }
        s += n + 1;
    }
}

static void restore(sb_cpstore_t *cs, int inputs)
{
    sb_err_t err = { { 0 } };
    static const char *const tasks[] = { "map-0" };
    sb_cpstore_restore_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    (void)sb_cpstore_pick_restore(cs, tasks, 1, 0, !cs->trust_frames, r, &err);
    if (r->none_whole) {
        char why[4096];
        sb_cpstore_restore_failure(r, why, sizeof why);
    }
    free(r);
    int64_t latest = 0, max_id = 0;
    (void)sb_cpstore_scan(cs, &latest, &max_id, &err);
    json_t *meta = NULL;
    if (sb_cpstore_read_metadata(cs, 1, &meta, &err) == 0)
        json_decref(meta);
    json_t *state = NULL;
    if (sb_cpstore_read_snapshot(cs, 1, "map-0", &state, &err) > 0) {
        sb_chstate_t *ch = calloc(1, sizeof *ch);
        if (ch == NULL)
            abort();
        size_t bytes = 0;
        (void)sb_cpstore_read_channel_state(cs, state, 1, inputs, ch, &bytes, &err);
        sb_chstate_free(ch);
        free(ch);
        json_decref(state);
    }
}

static void decode(const part_t *p, int inputs)
{
    if (!p->present)
        return;
    sb_chstate_t *ch = calloc(1, sizeof *ch);
    if (ch == NULL)
        abort();
    sb_err_t err = { { 0 } };
    sb_chstate_reset(ch, 1, inputs);
    if (sb_chstate_decode(ch, (const char *)p->data, p->size, "fuzz.channel", &err) == 0) {
        /* What decodes must encode again (the encoder trusts its sizes). */
        char *again = NULL;
        size_t len = 0;
        if (sb_chstate_encode(ch, &again, &len, &err) != 0)
            abort();
        free(again);
    }
    sb_chstate_free(ch);
    free(ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_planted(data, size);
    if (size < 1)
        return 0;
    int inputs = 1 + (data[0] & 0x3f) % SB_BARRIER_INPUTS_MAX;
    bool framed = (data[0] & 0x80) != 0;
    part_t parts[4];
    split(data + 1, size - 1, parts);
    sb_cpstore_t cs;
    sb_err_t err = { { 0 } };
    if (sb_cpstore_open(&cs, "mem://" STORE_NAME, NULL, "job", 1, &err) != 0)
        abort();
    cs.trust_frames = (data[0] & 0x40) != 0;
    if (framed) { /* a valid _completed that lists chk-1 (and a _metadata
                     that the fuzzed one then replaces) */
        json_t *meta = json_object();
        (void)sb_cpstore_write_metadata(&cs, 1, meta, &err);
        json_decref(meta);
    }
    put(&cs, "chk-1/_metadata", &parts[0], framed);
    put(&cs, "chk-1/map-0.json", &parts[1], framed);
    put_keys(&cs, &parts[2]);
    put(&cs, "chk-1/map-0.channel", &parts[3], framed);
    restore(&cs, inputs);
    decode(&parts[3], inputs);
    (void)sb_cpstore_retain(&cs, &err);
    sb_store_close(&cs.store);
    sb_store_mem_drop(STORE_NAME);
    return 0;
}
