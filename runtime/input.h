/* input.h — the deterministic input: record i of a seed goes to partition
 * i mod P and carries a word drawn from a fixed vocabulary, about a quarter
 * of which start with "a" (so the seed's filter keeps about one in four). A
 * record's id is (partition, offset): unique in the topic, and equal to
 * (i mod P, i div P) on a fresh topic. */
#ifndef SB_INPUT_H
#define SB_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define SB_INPUT_WORD_BYTES_MAX 15
#define SB_INPUT_RECORD_BYTES_MAX 112 /* input.record_bytes: largest padded value */

/* The word of record `index` under `seed`; never longer than
 * SB_INPUT_WORD_BYTES_MAX bytes. */
const char *sb_input_word(uint64_t seed, int64_t index, size_t *len);

/* The value of record `index` as produced into the topic: its word, and when
 * record_bytes (0..SB_INPUT_RECORD_BYTES_MAX) is longer than the word, a '-'
 * and lowercase letters up to exactly record_bytes bytes. The padding
 * depends only on the index, so the value stays deterministic, still starts
 * with its word (the filter's verdict does not change) and still has letters
 * for the map to upper-case. Returns the length; `out` needs
 * SB_INPUT_RECORD_BYTES_MAX bytes (no terminating NUL is written). */
size_t sb_input_value(uint64_t seed, int64_t index, int record_bytes, char *out);

/* splitmix64: a small, well-mixed PRNG step, used for every seeded choice. */
uint64_t sb_input_mix(uint64_t *state);

#endif
