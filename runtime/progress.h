/* progress.h — a few counters shared by the worker and the supervisor
 * through a small file mapped MAP_SHARED in both (the worker is a separate
 * exec'd process). The worker writes progress, the supervisor reads it: for
 * the progress line and to time the seeded kills by input progress. The
 * supervisor writes throttles, the worker obeys them. Not part of the
 * trace: nothing is verified from it. */
#ifndef SB_PROGRESS_H
#define SB_PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

#include "err.h"
#include "scenario.h"

/* A throttle the supervisor sets on a stage and the worker obeys (the
 * fault harness's backpressure). Rates are for the whole stage. */
typedef struct sb_throttle {
    _Atomic int32_t active;
    _Atomic int64_t records_per_s;         /* 0 and bytes_per_s 0: stalled */
    _Atomic int64_t bytes_per_s;
} sb_throttle_t;

typedef struct sb_progress {
    _Atomic int64_t next_offset[SB_SCENARIO_PARTITIONS_MAX]; /* per partition */
    sb_throttle_t throttle[SB_STAGE_COUNT_];   /* written by the supervisor */
    _Atomic int64_t last_completed_id;
    _Atomic int64_t checkpoints_completed; /* by this incarnation */
    _Atomic int32_t ready;                 /* restored and running */
} sb_progress_t;

/* Maps `path` (creating it when `create`); returns NULL with err set. */
sb_progress_t *sb_progress_map(const char *path, int create, sb_err_t *err);
void sb_progress_unmap(sb_progress_t *p);

#endif
