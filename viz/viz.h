/* viz.h — the pictures of a run, from its trace: per checkpoint the barrier
 * propagation graph (chk-N-graph), the space-time diagram (chk-N-spacetime)
 * and the Gantt chart (chk-N-gantt), and the run's timeline (timeline), in
 * SVG, PNG and/or laid-out DOT. `snapbed viz` is a thin driver over it.
 *
 * By default every completed checkpoint is drawn, up to checkpoints_max:
 * past that, the first half and the last half of them (the report says
 * so). One checkpoint can be asked for by id, completed or not.
 *
 * A classic Chandy–Lamport simulator trace (model "chandy-lamport") gets
 * its own pictures instead (clpictures.h): per completed snapshot
 * snap-K-spacetime and snap-K-graph, and index.html listing them with
 * each snapshot's sums (in place of the timeline). */
#ifndef SB_VIZ_H
#define SB_VIZ_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define SB_VIZ_CHECKPOINTS_MAX 20
#define SB_VIZ_NOTE_BYTES_MAX 512

typedef enum sb_viz_status {
    SB_VIZ_OK = 0,
    SB_VIZ_FAILED = -1,    /* a picture could not be drawn or written */
    SB_VIZ_BAD_INPUT = -2, /* unreadable trace, no such checkpoint */
} sb_viz_status_t;

typedef void (*sb_viz_file_fn)(const char *path, void *ctx);

typedef struct sb_viz_opts {
    const char *trace_path;
    const char *out_dir;      /* created (with parents) when missing */
    int64_t checkpoint;       /* 0: the completed ones */
    unsigned formats;         /* a set of sb_gv_format_t */
    bool timeline;            /* draw timeline.* too */
    int checkpoints_max;      /* 0: SB_VIZ_CHECKPOINTS_MAX */
    int64_t arrows_max;       /* 0: the space-time default */
    sb_viz_file_fn on_file;   /* called with each file written; may be NULL */
    void *ctx;
} sb_viz_opts_t;

typedef struct sb_viz_report {
    bool classic;             /* a classic Chandy–Lamport trace: snapshots drawn */
    int64_t checkpoints_drawn;
    int64_t files_written;
    char note[SB_VIZ_NOTE_BYTES_MAX]; /* what was left out, or "" */
} sb_viz_report_t;

/* Which of n ids (any order kept) to draw when at most `max` may be: all
 * when n <= max, else the first max/2 and the last max - max/2. Writes
 * them to out (room for min(n, max)) and returns how many. */
int64_t sb_viz_pick(const int64_t *ids, int64_t n, int max, int64_t *out);

/* Draws the pictures; on failure err says what and on what. */
sb_viz_status_t sb_viz_run(const sb_viz_opts_t *opts, sb_viz_report_t *report, sb_err_t *err);

#endif
