/* spacetime.h — the space-time (Lamport) diagram of one checkpoint: one
 * horizontal lane per subtask (and one for the coordinator), time to the
 * right; the trigger reaching the sources, barrier announcements as arrows
 * from the sender's snapshot to the receiver's barrier_received, each
 * subtask's snapshot marked on its lane, the cut drawn through the snapshot
 * points, and — with the record trace — every batch as an arrow from its
 * send to its receive, coloured by where it lies relative to the cut
 * (cutclass.h): grey before or after it, blue for channel state, orange
 * for in flight but not recorded, red and thick for orphans.
 *
 * The window has a core and context. The core runs from trigger - 20% to
 * the last ack + 20% of the checkpoint's duration and is drawn at full
 * scale in the middle. The context widens it on each side by enough
 * batches to show records before and after the cut (context_batches sent
 * before the core, as many received after it) and to show every batch
 * that crosses the cut whole; it is drawn compressed, on a shaded ground,
 * with its own ticks. All within the worker incarnation. At most
 * arrows_max batches are drawn, crossing ones first, the rest sampled
 * evenly; the label says so, and says when there is no record trace.
 *
 * sb_spacetime_build extracts (no Graphviz); sb_spacetime_graph draws with
 * pinned positions (engine "nop"). */
#ifndef SB_SPACETIME_H
#define SB_SPACETIME_H

#include <gvc.h>
#include <stdbool.h>
#include <stdint.h>

#include "ckstats.h"
#include "cutclass.h"
#include "err.h"
#include "runtrace.h"

#define SB_SPACETIME_ENGINE "nop"
#define SB_SPACETIME_ARROWS_MAX 400
#define SB_SPACETIME_MARGIN 0.20     /* of the checkpoint's duration, each side */
#define SB_SPACETIME_CONTEXT_BATCHES 30 /* each side of the core */
#define SB_SPACETIME_COORDINATOR 0   /* lane 0; subtask i is lane i + 1 */

typedef struct sb_spacetime_limits {
    int64_t arrows_max;   /* batches drawn at most */
    double margin;        /* core margin as a share of the duration */
    int64_t context_batches; /* batches of context each side; 0: none */
} sb_spacetime_limits_t;

/* What the window is computed from; times absolute, -1 where absent. */
typedef struct sb_spacetime_window_in {
    int64_t trigger_ns;
    int64_t end_ns;         /* >= trigger_ns */
    double margin;
    int64_t must_from_ns;   /* the earliest send of a batch crossing the cut */
    int64_t must_to_ns;     /* the latest receive of one */
    int64_t context_from_ns; /* send of the context_batches-th batch before the core */
    int64_t context_to_ns;  /* receive of the context_batches-th batch after it */
    int64_t inc_from_ns;    /* the incarnation */
    int64_t inc_to_ns;
} sb_spacetime_window_in_t;

/* from <= core_from <= trigger <= end <= core_to <= to. */
typedef struct sb_spacetime_window {
    int64_t from_ns;
    int64_t core_from_ns;
    int64_t core_to_ns;
    int64_t to_ns;
} sb_spacetime_window_t;

/* A message between lanes: a batch, a barrier announcement or a trigger. */
typedef struct sb_spacetime_arrow {
    int from_lane;
    int to_lane;
    int64_t from_ns;       /* absolute, as in the trace */
    int64_t to_ns;
    int channel;           /* -1 for the trigger */
    int64_t first;         /* batches: positions first .. first+count-1 */
    int count;
    sb_cutclass_t cls;     /* batches: its class (sb_cutclass_of) */
} sb_spacetime_arrow_t;

typedef struct sb_spacetime_lane {
    char name[SB_RUNTRACE_NAME_BYTES_MAX];
    int64_t snapshot_ns;   /* -1: none */
    bool unaligned;
    int64_t blocked_from_ns; /* alignment started -> ended / timed out; -1: none */
    int64_t blocked_to_ns;
} sb_spacetime_lane_t;

typedef struct sb_spacetime {
    int64_t checkpoint;
    sb_ckstats_status_t status;
    int attempt;
    int64_t trigger_ns;    /* absolute */
    int64_t end_ns;        /* the last ack, or completion / abort */
    sb_spacetime_window_t window;
    bool records_traced;   /* the incarnation has send/recv lines */
    sb_spacetime_lane_t *lanes;
    int lanes_count;
    sb_spacetime_arrow_t *barriers; /* announcements and triggers */
    int barriers_count;
    sb_spacetime_arrow_t *batches;  /* drawn ones, by send time */
    int64_t batches_count;
    int64_t batches_in_window;      /* before sampling */
    int64_t batches_half;           /* send or receive missing in the trace */
    /* Records of the whole incarnation by class (not only the window). */
    sb_cutclass_counts_t records;
} sb_spacetime_t;

/* Defaults: SB_SPACETIME_ARROWS_MAX, SB_SPACETIME_MARGIN,
 * SB_SPACETIME_CONTEXT_BATCHES. */
void sb_spacetime_limits_default(sb_spacetime_limits_t *l);

/* The core: margin * (end - trigger) each side of [trigger, end] (at
 * least 1 ms in all), clipped to the incarnation. The whole window: the
 * core widened to the must and context bounds, clipped to the
 * incarnation; never narrower than the core. */
void sb_spacetime_window(const sb_spacetime_window_in_t *in, sb_spacetime_window_t *out);

/* Whether the i-th of n items is kept when `keep` of them are kept, evenly
 * spread (exactly `keep` are when keep <= n). */
bool sb_spacetime_keep(int64_t i, int64_t n, int64_t keep);

int sb_spacetime_build(const sb_runtrace_t *rt, int64_t checkpoint,
                       const sb_spacetime_limits_t *limits, sb_spacetime_t *st, sb_err_t *err);
void sb_spacetime_free(sb_spacetime_t *st);

/* A new graph (agclose it). Node "snap_<lane>" marks each snapshot; the
 * cut's edges have id "cut<k>"; batch arrows have class "batch-<class>"
 * (before, after, recorded, unrecorded, orphan, unknown). */
Agraph_t *sb_spacetime_graph(const sb_spacetime_t *st);

#endif
