/* run_timeline.h — the timeline of a whole run: checkpoints as bars from
 * trigger to completion or abort (aborted ones marked), faults as shaded
 * bands, crash points, crashes, restores, the input throughput (from the
 * `sample` events' read counts) and the channel fill (fullest channel, and
 * the mean) as small polylines, and one lane per sink subtask with each
 * part file from staged (pending) to committed (published), next to the
 * checkpoint completions.
 *
 * sb_run_timeline_build extracts (times since the run's origin; no
 * Graphviz); sb_run_timeline_graph draws with pinned positions ("nop"). */
#ifndef SB_RUN_TIMELINE_H
#define SB_RUN_TIMELINE_H

#include <gvc.h>
#include <stdbool.h>
#include <stdint.h>

#include "ckstats.h"
#include "err.h"
#include "runtrace.h"

#define SB_RUN_TIMELINE_ENGINE "nop"
#define SB_RUN_TIMELINE_SINK_LANES_MAX 64

typedef struct sb_run_timeline_checkpoint {
    int64_t id;
    int64_t from_ns;       /* trigger */
    int64_t to_ns;         /* completed / aborted; the run's end if unfinished */
    sb_ckstats_status_t status;
    bool unaligned;
    char reason[SB_CKSTATS_REASON_BYTES_MAX];
} sb_run_timeline_checkpoint_t;

typedef struct sb_run_timeline_band {
    int64_t from_ns;
    int64_t to_ns;         /* the run's end when the fault never ended */
    bool open;
    char label[SB_RUNTRACE_TEXT_BYTES_MAX + SB_RUNTRACE_NAME_BYTES_MAX + 16];
} sb_run_timeline_band_t;

typedef struct sb_run_timeline_mark {
    sb_runtrace_mark_kind_t kind;
    int64_t t_ns;
    char label[SB_RUNTRACE_TEXT_BYTES_MAX];
} sb_run_timeline_mark_t;

/* One value of a series; a new incarnation starts a new polyline. */
typedef struct sb_run_timeline_point {
    int64_t t_ns;
    double value;
    int incarnation;
} sb_run_timeline_point_t;

typedef struct sb_run_timeline_part {
    char key[SB_RUNTRACE_TEXT_BYTES_MAX];
    int lane;              /* index in sink_lanes */
    int64_t checkpoint;
    int64_t staged_ns;     /* -1: not seen */
    int64_t committed_ns;  /* -1: never published */
    int64_t aborted_ns;    /* -1: not aborted */
} sb_run_timeline_part_t;

typedef struct sb_run_timeline {
    int64_t span_ns;       /* origin -> the trace's last line */
    sb_run_timeline_checkpoint_t *checkpoints;
    int64_t checkpoints_count;
    sb_run_timeline_band_t *bands;
    int64_t bands_count;
    sb_run_timeline_mark_t *marks;
    int64_t marks_count;
    sb_run_timeline_point_t *throughput; /* records/s read from the input */
    int64_t throughput_count;
    double throughput_max;
    sb_run_timeline_point_t *fill_max;   /* fraction 0..1 */
    sb_run_timeline_point_t *fill_mean;
    int64_t fill_count;
    char sink_lanes[SB_RUN_TIMELINE_SINK_LANES_MAX][SB_RUNTRACE_NAME_BYTES_MAX];
    int sink_lanes_count;
    sb_run_timeline_part_t *parts;
    int64_t parts_count;
    int64_t parts_unlaned;  /* past SB_RUN_TIMELINE_SINK_LANES_MAX sink subtasks */
} sb_run_timeline_t;

int sb_run_timeline_build(const sb_runtrace_t *rt, sb_run_timeline_t *tl, sb_err_t *err);
void sb_run_timeline_free(sb_run_timeline_t *tl);

/* A new graph (agclose it): checkpoint bars are nodes "chk_<id>", fault
 * bands "fault_<i>", crashes "crash_<i>", part files "part_<i>". */
Agraph_t *sb_run_timeline_graph(const sb_run_timeline_t *tl);

#endif
