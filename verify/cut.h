/* cut.h — the consistent-cut checker: proves from the trace alone that
 * every completed checkpoint is a consistent cut (Chandy–Lamport), and that
 * restores and the sink's two-phase commit respect it.
 *
 * For every completed checkpoint N, in the worker incarnation where it
 * completed (positions restart with each incarnation):
 * - snapshots: every subtask of the job graph took exactly one snapshot;
 * - orphans: on every channel S → R, R's read position r at its snapshot is
 *   at most S's emitted position s at its own (records s+1..r would have
 *   been received before the cut but sent after it);
 * - channel state: R recorded exactly the records in flight, (r, s]: as the
 *   range of an unaligned snapshot, or nothing (r == s) when aligned;
 * - accounting: a source's offsets advanced by as many records as it
 *   emitted; a map or count emitted one record per record read or replayed;
 *   a filter at most one. Emitted counts are per consuming stage (the
 *   stage of a task is its name up to the last '-'): a stream read by
 *   several stages is replicated, so each stage's count obeys the rule,
 *   and every stage gets the same count.
 * Within every incarnation, when the trace has the record-level `send` and
 * `recv` events (`trace: records`):
 * - FIFO: on every channel the records received are the records sent, in
 *   the same order: the id received at position p is the id sent at p, and
 *   each side's positions run 1, 2, 3, … without gaps or repeats. A receive
 *   whose send line is missing counts only when the worker finished (a
 *   SIGKILL may lose the lines the sender still buffered).
 * And over the whole run:
 * - replay: after a restore from N, every subtask whose channel state of N
 *   held records replayed exactly that many;
 * - restores, early publish, double publish: the rules of twophase.h;
 * - unpublished: every upload a completed checkpoint's sink snapshot lists
 *   as pending is committed eventually.
 *
 * Pure over events fed in file order; only checkpoints with a
 * `checkpoint_completed` event are checked (a worker killed mid-checkpoint
 * leaves the others incomplete). A trace without `job_graph` events (written
 * before they existed) cannot be checked: that is an error, not a pass. */
#ifndef SB_CUT_H
#define SB_CUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "err.h"

#define SB_CUT_TASKS_MAX 128              /* subtasks in a job graph */
#define SB_CUT_CHANNELS_MAX 1024          /* channels in a job graph */
#define SB_CUT_TASK_BYTES_MAX 32          /* "filter-12" */
#define SB_CUT_OPEN_MAX 64                /* checkpoints in flight at once */
#define SB_CUT_REMEMBERED_MAX 100000      /* checkpoints' channel state sizes,
                                             pending uploads */
#define SB_CUT_DETAIL_BYTES_MAX 512
#define SB_CUT_FIFO_IDS_MAX (1 << 22)     /* record ids held at once, over all
                                             channels: one side's lead on the
                                             other in the file */

typedef enum sb_cut_check_kind {
    SB_CUT_SNAPSHOTS = 0,
    SB_CUT_ORPHANS,
    SB_CUT_CHANNEL_STATE,
    SB_CUT_ACCOUNTING,
    SB_CUT_FIFO,
    SB_CUT_REPLAY,
    SB_CUT_RESTORES,
    SB_CUT_EARLY_PUBLISH,
    SB_CUT_DOUBLE_PUBLISH,
    SB_CUT_UNPUBLISHED,
    SB_CUT_CHECKS_COUNT_
} sb_cut_check_kind_t;

typedef struct sb_cut_check {
    int64_t checked;                      /* times the rule was applied */
    int64_t violations;
    char first[SB_CUT_DETAIL_BYTES_MAX];  /* the first violation, if any */
} sb_cut_check_t;

typedef struct sb_cut_report {
    sb_cut_check_t checks[SB_CUT_CHECKS_COUNT_];
    int64_t violations;                   /* over all checks */
    int first_kind;                       /* the check that failed first in the
                                             trace's order, -1 if none */
    int64_t checkpoints_checked;          /* completed checkpoints */
    int64_t channels_checked;             /* (checkpoint, channel) pairs */
    int incarnations;                     /* worker incarnations (job graphs) */
    int64_t replays_unchecked;            /* restored subtasks whose worker died
                                             before they had to replay */
    bool fifo_traced;                     /* the trace has send/recv events */
    int64_t fifo_unmatched;               /* records received whose send line a
                                             killed worker lost: not checked */
    int64_t fifo_held_max;                /* record ids the FIFO check held at
                                             once (at most SB_CUT_FIFO_IDS_MAX) */
    bool trace_truncated;                 /* its last line was cut short */
} sb_cut_report_t;

typedef struct sb_cut_checker sb_cut_checker_t;

/* NULL when out of memory. */
sb_cut_checker_t *sb_cut_new(void);
/* Feeds one event, in file order; the checker keeps no reference to it
 * past its checkpoint's completion. */
void sb_cut_event(sb_cut_checker_t *c, json_t *event);
/* Ends the run (once; no event after it): fills *out. Returns -1 (err says
 * why) when the trace cannot be checked: no job_graph, an event naming a
 * task its job graph lacks, a malformed send/recv line, or a job graph or
 * record trace past the limits above. */
int sb_cut_finish(sb_cut_checker_t *c, sb_cut_report_t *out, sb_err_t *err);
void sb_cut_free(sb_cut_checker_t *c);

/* Reads trace.jsonl at `trace_path` (a final line cut by a crash is
 * tolerated) and checks it. Returns -1 when it cannot be read or checked. */
int sb_cut_check_file(const char *trace_path, sb_cut_report_t *out, sb_err_t *err);

static inline bool sb_cut_report_ok(const sb_cut_report_t *r)
{
    return r->violations == 0;
}

/* The check's short name ("orphans") and the rule it enforces. */
const char *sb_cut_check_name(sb_cut_check_kind_t kind);
const char *sb_cut_check_rule(sb_cut_check_kind_t kind);

/* The full report: a line per check, then the result. */
void sb_cut_report_print(const sb_cut_report_t *r, FILE *f);

/* One line for the run's verdict: what was proved, or the first violation. */
void sb_cut_report_summary(const sb_cut_report_t *r, char *buf, size_t len);

#endif
