/* fuzz_checkpoint.c — libFuzzer harness: the checkpoint readers of
 * runtime/checkpoint_store.c and the channel-state decoder of
 * runtime/chstate.c, on a mem:// store (runtime/store_mem.c), so the
 * harness does not depend on how a backend lays files out.
 *
 * The input is four parts split at the first three NUL bytes:
 *   byte 0           the restoring subtask's input count (1 + b % 64)
 *   METADATA \0      job/chk-1/_metadata
 *   SNAPSHOT \0      job/chk-1/map-0.json (may reference channel state)
 *   KEYS \0          more keys under job/, one a line, each stored empty
 *   CHANNEL          job/chk-1/map-0.channel, the rest (binary, any bytes)
 * A missing part is a missing object. The harness reads what a restore
 * reads (scan, metadata, snapshot, the channel state it references), the
 * channel bytes straight through the decoder too, and retention. */
#include <jansson.h>

#include "checkpoint_store.h"
#include "chstate.h"
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

static void put(sb_cpstore_t *cs, const char *key, const part_t *p)
{
    sb_err_t err = { { 0 } };
    if (p->present)
        (void)sb_store_put(&cs->store, key, p->data, p->size, &err);
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
    int inputs = 1 + data[0] % SB_BARRIER_INPUTS_MAX;
    part_t parts[4];
    split(data + 1, size - 1, parts);
    sb_cpstore_t cs;
    sb_err_t err = { { 0 } };
    if (sb_cpstore_open(&cs, "mem://" STORE_NAME, NULL, "job", 1, &err) != 0)
        abort();
    put(&cs, "job/chk-1/_metadata", &parts[0]);
    put(&cs, "job/chk-1/map-0.json", &parts[1]);
    put_keys(&cs, &parts[2]);
    put(&cs, "job/chk-1/map-0.channel", &parts[3]);
    restore(&cs, inputs);
    decode(&parts[3], inputs);
    (void)sb_cpstore_retain(&cs, &err);
    sb_store_close(&cs.store);
    sb_store_mem_drop(STORE_NAME);
    return 0;
}
