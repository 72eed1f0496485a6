/* cutclass.h — where a channel's records lie relative to a checkpoint's
 * cut, from positions alone (no clocks: positions are exact where times
 * from two threads are not).
 *
 * On one channel, the sender's snapshot had emitted the records at
 * positions <= E, and the receiver's snapshot had read the records at
 * positions <= R. A record at position p is
 *   - before the cut when p <= E and p <= R,
 *   - after the cut when p > E and p > R,
 *   - in flight across the cut when R < p <= E: sent before the sender's
 *     snapshot, received after the receiver's. A consistent checkpoint
 *     records it as channel state ("recorded"); if not, a restore loses it
 *     ("unrecorded"),
 *   - an orphan when E < p <= R: received before the receiver's snapshot
 *     but sent after the sender's, so the restored state counts a receive
 *     whose send it does not contain.
 * Aligned snapshots have R = E on every input: nothing in flight. */
#ifndef SB_CUTCLASS_H
#define SB_CUTCLASS_H

#include <stdint.h>

typedef enum sb_cutclass {
    SB_CUTCLASS_UNKNOWN = 0, /* a side took no snapshot */
    SB_CUTCLASS_BEFORE,
    SB_CUTCLASS_AFTER,
    SB_CUTCLASS_RECORDED,
    SB_CUTCLASS_UNRECORDED,
    SB_CUTCLASS_ORPHAN,
    SB_CUTCLASS_COUNT_,
} sb_cutclass_t;

/* A channel's cut: E and R (-1 when that side took no snapshot), and the
 * channel-state ranges (from, to] its receiver recorded. */
typedef struct sb_cutclass_channel {
    int64_t sent;
    int64_t read;
    const int64_t (*ranges)[2];
    int ranges_count;
} sb_cutclass_channel_t;

typedef struct sb_cutclass_counts {
    int64_t n[SB_CUTCLASS_COUNT_];
} sb_cutclass_counts_t;

const char *sb_cutclass_name(sb_cutclass_t c);

/* Adds the classes of the records at positions first .. first+count-1. */
void sb_cutclass_count(const sb_cutclass_channel_t *ch, int64_t first, int64_t count,
                       sb_cutclass_counts_t *out);

/* The class a batch is drawn in: its most telling record's (orphan, then
 * unrecorded, then recorded, then unknown, then before/after, whichever
 * holds more). */
sb_cutclass_t sb_cutclass_of(const sb_cutclass_counts_t *counts);

#endif
