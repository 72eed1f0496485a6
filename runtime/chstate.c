/* chstate.c — see chstate.h. */
#include "chstate.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "SBCS1\n"
#define MAGIC_BYTES 6
#define RECORD_HEAD_BYTES (4 + 8 + 2)

void sb_chstate_reset(sb_chstate_t *cs, int64_t id, int inputs)
{
    cs->checkpoint_id = id;
    cs->inputs = inputs;
    cs->records = 0;
    cs->bytes = MAGIC_BYTES + 4;
    for (int i = 0; i < SB_BARRIER_INPUTS_MAX; i++)
        cs->in[i].count = 0;
}

void sb_chstate_free(sb_chstate_t *cs)
{
    for (int i = 0; i < SB_BARRIER_INPUTS_MAX; i++) {
        free(cs->in[i].records);
        cs->in[i].records = NULL;
        cs->in[i].count = cs->in[i].cap = 0;
    }
}

int sb_chstate_append(sb_chstate_t *cs, int input, const sb_record_t *r, sb_err_t *err)
{
    assert(input >= 0 && input < cs->inputs);
    sb_chstate_input_t *in = &cs->in[input];
    size_t more = RECORD_HEAD_BYTES + r->value_len + (in->count == 0 ? 4 + 8 : 0);
    if (cs->bytes + more > SB_CHSTATE_BYTES_MAX)
        return sb_err_set(err, "the channel state of checkpoint %lld exceeds %u MiB",
                          (long long)cs->checkpoint_id, SB_CHSTATE_BYTES_MAX >> 20);
    if (in->count == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 1024;
        sb_record_t *p = realloc(in->records, cap * sizeof *p);
        if (p == NULL)
            return sb_err_set(err, "out of memory recording channel state");
        in->records = p;
        in->cap = cap;
    }
    in->records[in->count++] = *r;
    cs->records++;
    cs->bytes += more;
    return 0;
}

static char *put(char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        *p++ = (char)(v >> (8 * i));
    return p;
}

static uint64_t get(const char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)(uint8_t)p[i] << (8 * i);
    return v;
}

int sb_chstate_encode(const sb_chstate_t *cs, char **out, size_t *len, sb_err_t *err)
{
    char *buf = malloc(cs->bytes), *p = buf;
    if (buf == NULL)
        return sb_err_set(err, "out of memory encoding channel state");
    memcpy(p, MAGIC, MAGIC_BYTES);
    p += MAGIC_BYTES;
    uint32_t sections = 0;
    for (int i = 0; i < cs->inputs; i++)
        sections += cs->in[i].count > 0;
    p = put(p, sections, 4);
    for (int i = 0; i < cs->inputs; i++) {
        const sb_chstate_input_t *in = &cs->in[i];
        if (in->count == 0)
            continue;
        p = put(p, (uint64_t)i, 4);
        p = put(p, in->count, 8);
        for (size_t k = 0; k < in->count; k++) {
            const sb_record_t *r = &in->records[k];
            p = put(p, (uint32_t)r->partition, 4);
            p = put(p, (uint64_t)r->offset, 8);
            p = put(p, r->value_len, 2);
            memcpy(p, r->value, r->value_len);
            p += r->value_len;
        }
    }
    *out = buf;
    *len = (size_t)(p - buf);
    return 0;
}

int sb_chstate_decode(sb_chstate_t *cs, const char *buf, size_t len, const char *what,
                      sb_err_t *err)
{
    const char *p = buf, *end = buf + len;
#define NEED(n, thing)                                                                  \
    do {                                                                                \
        if ((size_t)(end - p) < (size_t)(n))                                            \
            return sb_err_set(err, "%s: channel state cut short in %s at byte %zu", what, \
                              thing, (size_t)(p - buf));                                \
    } while (0)
    NEED(MAGIC_BYTES + 4, "the header");
    if (memcmp(p, MAGIC, MAGIC_BYTES) != 0)
        return sb_err_set(err, "%s: not a channel state (bad magic)", what);
    p += MAGIC_BYTES;
    uint32_t sections = (uint32_t)get(p, 4);
    p += 4;
    for (uint32_t s = 0; s < sections; s++) {
        NEED(12, "a section header");
        uint32_t input = (uint32_t)get(p, 4);
        uint64_t count = get(p + 4, 8);
        p += 12;
        if ((int)input >= cs->inputs || input >= SB_BARRIER_INPUTS_MAX)
            return sb_err_set(err, "%s: channel state for input %u, but the subtask has %d",
                              what, input, cs->inputs);
        for (uint64_t k = 0; k < count; k++) {
            NEED(RECORD_HEAD_BYTES, "a record");
            sb_record_t r;
            r.partition = (int32_t)(uint32_t)get(p, 4);
            r.offset = (int64_t)get(p + 4, 8);
            r.value_len = (uint16_t)get(p + 12, 2);
            p += RECORD_HEAD_BYTES;
            if (r.value_len > SB_VALUE_BYTES_MAX)
                return sb_err_set(err, "%s: record of %u bytes in channel state (at most %d)",
                                  what, r.value_len, SB_VALUE_BYTES_MAX);
            NEED(r.value_len, "a record's value");
            memcpy(r.value, p, r.value_len);
            p += r.value_len;
            if (sb_chstate_append(cs, (int)input, &r, err) != 0)
                return -1;
        }
    }
    if (p != end)
        return sb_err_set(err, "%s: %zu stray bytes after the channel state", what,
                          (size_t)(end - p));
#undef NEED
    return 0;
}
