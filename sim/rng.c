/* rng.c — see rng.h. */
#include "rng.h"

#include <assert.h>
#include <math.h>

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ull

void sb_rng_seed(sb_rng_t *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t sb_rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t sb_rng_next(sb_rng_t *r)
{
    r->state += SPLITMIX_GAMMA;
    return sb_rng_mix(r->state);
}

uint64_t sb_rng_below(sb_rng_t *r, uint64_t n)
{
    assert(n >= 1);
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)(((u128)sb_rng_next(r) * n) >> 64);
}

int64_t sb_rng_between(sb_rng_t *r, int64_t lo, int64_t hi)
{
    assert(lo <= hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX)
        return (int64_t)sb_rng_next(r);
    return (int64_t)((uint64_t)lo + sb_rng_below(r, span + 1));
}

double sb_rng_unit(sb_rng_t *r)
{
    return (double)(sb_rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t sb_rng_exponential(sb_rng_t *r, int64_t mean)
{
    assert(mean >= 0);
    /* 1 - u is in (0, 1]: log never sees 0. */
    double x = -log(1.0 - sb_rng_unit(r)) * (double)mean;
    return x >= 9.0e18 ? INT64_MAX / 4 : (int64_t)x;
}

int64_t sb_rng_draw(sb_rng_t *r, const sb_rng_dist_t *d)
{
    assert(d->min_ns >= 0 && d->max_ns >= d->min_ns);
    switch (d->kind) {
    case SB_RNG_FIXED:
        return d->min_ns;
    case SB_RNG_UNIFORM:
        return sb_rng_between(r, d->min_ns, d->max_ns);
    case SB_RNG_EXPONENTIAL: {
        int64_t x = d->min_ns + sb_rng_exponential(r, d->mean_ns);
        return x > d->max_ns ? d->max_ns : x;
    }
    }
    assert(!"unknown distribution");
    return d->min_ns;
}

const char *sb_rng_dist_name(sb_rng_dist_kind_t k)
{
    switch (k) {
    case SB_RNG_FIXED: return "fixed";
    case SB_RNG_UNIFORM: return "uniform";
    case SB_RNG_EXPONENTIAL: return "exponential";
    }
    return "unknown";
}
