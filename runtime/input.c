/* input.c — see input.h. */
#include "input.h"

#include <assert.h>
#include <string.h>

static const char *const words[] = {
    "apple", "anchor", "amber", "arrow", "atlas", "aurora", "avocado", "axis",
    "badger", "barrier", "cedar", "channel", "delta", "ember", "falcon", "garnet",
    "harbor", "island", "juniper", "kernel", "lantern", "marker", "nectar", "orbit",
    "pepper", "quartz", "raven", "snapshot", "thistle", "umber", "velvet", "willow",
};
#define WORDS_COUNT (sizeof words / sizeof words[0])

uint64_t sb_input_mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

const char *sb_input_word(uint64_t seed, int64_t index, size_t *len)
{
    uint64_t state = seed * 0x2545f4914f6cdd1dULL + (uint64_t)index;
    const char *w = words[sb_input_mix(&state) % WORDS_COUNT];
    *len = strlen(w);
    return w;
}

size_t sb_input_value(uint64_t seed, int64_t index, int record_bytes, char *out)
{
    assert(record_bytes >= 0 && record_bytes <= SB_INPUT_RECORD_BYTES_MAX);
    size_t len;
    const char *w = sb_input_word(seed, index, &len);
    memcpy(out, w, len);
    if ((size_t)record_bytes <= len + 1)
        return len;
    out[len] = '-';
    for (size_t i = len + 1; i < (size_t)record_bytes; i++)
        out[i] = (char)('a' + (uint64_t)(index + (int64_t)i) % 26);
    return (size_t)record_bytes;
}
