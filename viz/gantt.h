/* gantt.h — the checkpoint Gantt chart: per subtask one bar from the
 * trigger to its ack, cut into the phases its ack reports (start delay,
 * alignment, sync, async, as in Flink's checkpoint statistics), with the
 * subtask whose ack came last — the critical path of the checkpoint —
 * highlighted, and the completion marked.
 *
 * sb_gantt_from_stats extracts the rows from ckstats alone (no trace, no
 * Graphviz); sb_gantt_graph draws them with pinned boxes (engine "nop"). */
#ifndef SB_GANTT_H
#define SB_GANTT_H

#include <gvc.h>
#include <stdbool.h>
#include <stdint.h>

#include "ckstats.h"
#include "err.h"
#include "runtrace.h"

#define SB_GANTT_ENGINE "nop"

typedef enum sb_gantt_phase {
    SB_GANTT_START_DELAY = 0, /* trigger -> first barrier */
    SB_GANTT_ALIGNMENT,       /* first -> last barrier */
    SB_GANTT_SYNC,            /* the synchronous part of the snapshot */
    SB_GANTT_ASYNC,           /* the upload */
    SB_GANTT_PHASES_,
} sb_gantt_phase_t;

const char *sb_gantt_phase_name(sb_gantt_phase_t p);

typedef struct sb_gantt_row {
    char task[SB_CKSTATS_TASK_BYTES_MAX];
    bool acked;
    /* Phase p spans [from_ns[p], to_ns[p]] after the trigger; the phases
     * follow each other from 0. */
    int64_t from_ns[SB_GANTT_PHASES_];
    int64_t to_ns[SB_GANTT_PHASES_];
    int64_t ack_ns;        /* -1 when unknown */
    int64_t state_bytes;
    bool unaligned;
    bool timed_out;
    bool critical;         /* the latest ack */
} sb_gantt_row_t;

typedef struct sb_gantt {
    int64_t checkpoint;
    sb_ckstats_status_t status;
    char reason[SB_CKSTATS_REASON_BYTES_MAX];
    int64_t duration_ns;   /* trigger -> completed / aborted; -1 if unfinished */
    int64_t span_ns;       /* the chart's width: the latest end of anything */
    int critical;          /* row index; -1 when no subtask acked */
    sb_gantt_row_t *rows;
    int rows_count;
} sb_gantt_t;

/* Rows in `order` (task names; subtasks that did not ack get an empty row),
 * then any acked subtask not in `order`, in ack order. */
int sb_gantt_from_stats(const sb_ckstats_checkpoint_t *st, const char *const *order,
                        int order_count, sb_gantt_t *out, sb_err_t *err);

/* The same from a loaded trace, rows in job-graph order. */
int sb_gantt_build(const sb_runtrace_t *rt, int64_t checkpoint, sb_gantt_t *out, sb_err_t *err);
void sb_gantt_free(sb_gantt_t *g);

/* A new graph (agclose it): each phase is a node "<task>_<phase>", the
 * ack a node "<task>_ack". */
Agraph_t *sb_gantt_graph(const sb_gantt_t *gantt);

#endif
