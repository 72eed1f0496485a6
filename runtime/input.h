/* input.h — the deterministic input: record i of a seed goes to partition
 * i mod P and carries a word drawn from a fixed vocabulary, about a quarter
 * of which start with "a" (so the seed's filter keeps about one in four). A
 * record's id is (partition, offset): unique in the topic, and equal to
 * (i mod P, i div P) on a fresh topic. */
#ifndef SB_INPUT_H
#define SB_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The word of record `index` under `seed`; never longer than 15 bytes. */
const char *sb_input_word(uint64_t seed, int64_t index, size_t *len);

/* splitmix64: a small, well-mixed PRNG step, used for every seeded choice. */
uint64_t sb_input_mix(uint64_t *state);

#endif
