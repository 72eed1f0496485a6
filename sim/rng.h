/* rng.h — the simulator's one pseudo-random generator: SplitMix64.
 *
 * Every random choice of a simulation (delays, which ready input a subtask
 * reads next) is drawn from one sb_rng_t seeded from the run's seed, in the
 * order the event loop makes them, so a seed names a run exactly. SplitMix64
 * (Steele, Lea and Flood, 2014) is one 64-bit word of state, passes BigCrush,
 * and is short enough to check by eye; its output sequence for a seed is
 * fixed by tests/test_sim_engine.c and must never change, or every recorded
 * seed would replay a different run. */
#ifndef SB_RNG_H
#define SB_RNG_H

#include <stdint.h>

typedef struct sb_rng {
    uint64_t state;
} sb_rng_t;

void sb_rng_seed(sb_rng_t *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t sb_rng_next(sb_rng_t *r);

/* Uniform in [0, n); n >= 1. Lemire's multiply-shift: no modulo bias worth
 * the name at n far below 2^64, one draw per call (which keeps replay
 * simple: a call is always exactly one step of the sequence). */
uint64_t sb_rng_below(sb_rng_t *r, uint64_t n);

/* Uniform in [lo, hi]; lo <= hi. */
int64_t sb_rng_between(sb_rng_t *r, int64_t lo, int64_t hi);

/* Uniform in [0, 1), 53 bits. */
double sb_rng_unit(sb_rng_t *r);

/* Exponentially distributed with the given mean (>= 0), rounded down. */
int64_t sb_rng_exponential(sb_rng_t *r, int64_t mean);

/* A delay distribution, in nanoseconds. */
typedef enum sb_rng_dist_kind {
    SB_RNG_FIXED = 0,            /* always min_ns */
    SB_RNG_UNIFORM,              /* uniform in [min_ns, max_ns] */
    SB_RNG_EXPONENTIAL,          /* min_ns + exponential(mean_ns), at most max_ns */
} sb_rng_dist_kind_t;

typedef struct sb_rng_dist {
    sb_rng_dist_kind_t kind;
    int64_t min_ns, max_ns, mean_ns;
} sb_rng_dist_t;

/* A draw from d; fixed distributions draw nothing (the sequence does not
 * move). */
int64_t sb_rng_draw(sb_rng_t *r, const sb_rng_dist_t *d);

const char *sb_rng_dist_name(sb_rng_dist_kind_t k);

/* A fixed, stateless mix of x (SplitMix64's finaliser): hashing record ids
 * to channels, the same on every run and machine. */
uint64_t sb_rng_mix(uint64_t x);

#endif
