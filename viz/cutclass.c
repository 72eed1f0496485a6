/* cutclass.c — see cutclass.h. Counting is interval arithmetic on
 * inclusive position ranges; nothing loops over records. */
#include "cutclass.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

const char *sb_cutclass_name(sb_cutclass_t c)
{
    switch (c) {
    case SB_CUTCLASS_UNKNOWN: return "unknown";
    case SB_CUTCLASS_BEFORE: return "before the cut";
    case SB_CUTCLASS_AFTER: return "after the cut";
    case SB_CUTCLASS_RECORDED: return "channel state";
    case SB_CUTCLASS_UNRECORDED: return "in flight, not recorded";
    case SB_CUTCLASS_ORPHAN: return "orphan";
    case SB_CUTCLASS_COUNT_: break;
    }
    return "?";
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* How many positions of [lo, hi] (inclusive) also lie in [a, b]. */
static int64_t overlap(int64_t lo, int64_t hi, int64_t a, int64_t b)
{
    int64_t from = max64(lo, a), to = min64(hi, b);
    return to >= from ? to - from + 1 : 0;
}

/* Records of [lo, hi] inside the recorded ranges (from, to]. */
static int64_t recorded(const sb_cutclass_channel_t *ch, int64_t lo, int64_t hi)
{
    int64_t n = 0;
    for (int i = 0; i < ch->ranges_count; i++)
        n += overlap(lo, hi, ch->ranges[i][0] + 1, ch->ranges[i][1]);
    /* Ranges of one channel do not overlap; if a trace said otherwise, a
     * record would still count once. */
    return min64(n, hi >= lo ? hi - lo + 1 : 0);
}

void sb_cutclass_count(const sb_cutclass_channel_t *ch, int64_t first, int64_t count,
                       sb_cutclass_counts_t *out)
{
    assert(count >= 0);
    if (count == 0)
        return;
    int64_t lo = first, hi = first + count - 1;
    int64_t e = ch->sent, r = ch->read;
    if (e < 0 || r < 0) {
        out->n[SB_CUTCLASS_UNKNOWN] += count;
        return;
    }
    out->n[SB_CUTCLASS_BEFORE] += overlap(lo, hi, INT64_MIN, min64(e, r));
    out->n[SB_CUTCLASS_AFTER] += overlap(lo, hi, max64(e, r) + 1, INT64_MAX);
    int64_t in_flight_lo = max64(lo, r + 1), in_flight_hi = min64(hi, e);
    int64_t in_flight = overlap(lo, hi, r + 1, e);
    int64_t rec = in_flight > 0 ? recorded(ch, in_flight_lo, in_flight_hi) : 0;
    out->n[SB_CUTCLASS_RECORDED] += rec;
    out->n[SB_CUTCLASS_UNRECORDED] += in_flight - rec;
    out->n[SB_CUTCLASS_ORPHAN] += overlap(lo, hi, e + 1, r);
}

sb_cutclass_t sb_cutclass_of(const sb_cutclass_counts_t *c)
{
    static const sb_cutclass_t severity[] = {
        SB_CUTCLASS_ORPHAN,
        SB_CUTCLASS_UNRECORDED,
        SB_CUTCLASS_RECORDED,
        SB_CUTCLASS_UNKNOWN,
    };
    for (size_t i = 0; i < sizeof severity / sizeof severity[0]; i++)
        if (c->n[severity[i]] > 0)
            return severity[i];
    return c->n[SB_CUTCLASS_AFTER] > c->n[SB_CUTCLASS_BEFORE] ? SB_CUTCLASS_AFTER
                                                               : SB_CUTCLASS_BEFORE;
}
