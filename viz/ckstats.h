/* ckstats.h — checkpoint statistics from a run's trace, as Flink reports
 * them (its web UI's "Checkpoints" tab): per checkpoint its status, end-to-end
 * duration, size and in-flight data, per subtask its ack timings; and a
 * summary over the completed checkpoints.
 *
 * Read from trace.jsonl only (never the engine's memory). Times are
 * CLOCK_MONOTONIC ns; trigger_ns is relative to the run's origin (the
 * run_started line, else the first line). A checkpoint's status comes from
 * the trace: completed or aborted by the coordinator; aborted "worker
 * crashed" / "worker failed" when its worker died first (a later incarnation
 * never finishes it: ids do not repeat); unfinished "run ended" when the
 * trace ends with it still open. Percentiles are nearest-rank and cover
 * completed checkpoints only. */
#ifndef SB_CKSTATS_H
#define SB_CKSTATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define SB_CKSTATS_TASK_BYTES_MAX 32
#define SB_CKSTATS_REASON_BYTES_MAX 128
#define SB_CKSTATS_CHECKPOINTS_MAX 100000  /* per trace */
#define SB_CKSTATS_SUBTASKS_MAX 4096       /* acks per checkpoint */
#define SB_CKSTATS_REASONS_MAX 8           /* abort reasons told apart in a summary */

typedef enum sb_ckstats_status {
    SB_CKSTATS_UNFINISHED = 0,
    SB_CKSTATS_COMPLETED,
    SB_CKSTATS_ABORTED,
} sb_ckstats_status_t;

/* One subtask's ack. Missing fields in the trace read as 0 / false. */
typedef struct sb_ckstats_subtask {
    char task[SB_CKSTATS_TASK_BYTES_MAX]; /* "map-0"; cut if longer */
    int64_t ack_ns;                       /* ack - trigger; -1 if the trigger is unknown */
    int64_t start_delay_ns;
    int64_t alignment_ns;
    int64_t sync_ns;
    int64_t async_ns;
    int64_t state_bytes;
    int64_t inflight_records;
    int64_t inflight_bytes;
    bool unaligned;
    bool timed_out;                       /* switched from aligned to unaligned */
    json_t *flink;                        /* the ack's "flink" figures (a Flink run's,
                                             docs/trace.md), kept as they are; NULL */
} sb_ckstats_subtask_t;

typedef struct sb_ckstats_checkpoint {
    int64_t id;
    sb_ckstats_status_t status;
    char reason[SB_CKSTATS_REASON_BYTES_MAX]; /* "" when completed */
    bool final;
    int64_t trigger_ns;        /* since the run's origin; -1 if never triggered in the trace */
    int64_t duration_ns;       /* trigger -> completed / aborted; -1 if unfinished or untriggered */
    bool unaligned;            /* any subtask acked unaligned */
    bool timed_out;            /* any subtask switched to unaligned */
    /* Sums over the acks; state_bytes is the completion's figure when no
     * subtask acked (traces older than the ack event). */
    int64_t state_bytes;
    int64_t inflight_records;
    int64_t inflight_bytes;
    int64_t alignment_max_ns;  /* over the acks; -1 when no subtask acked */
    int64_t start_delay_max_ns;
    int abandoned_count;       /* subtasks that gave it up for a newer one */
    json_t *flink;             /* the completion's or abort's "flink" figures; NULL */
    sb_ckstats_subtask_t *subtasks; /* in ack order; the first ack of a task wins */
    int subtasks_count;
    int subtasks_cap;
} sb_ckstats_checkpoint_t;

typedef struct sb_ckstats {
    sb_ckstats_checkpoint_t *checkpoints; /* sorted by id */
    int64_t checkpoints_count;
    int64_t checkpoints_cap;
    bool truncated;                       /* the trace's last line was cut */
} sb_ckstats_t;

/* Nearest-rank percentiles of one figure; -1 when there is no value. */
typedef struct sb_ckstats_dist {
    int64_t p50;
    int64_t p99;
    int64_t max;
} sb_ckstats_dist_t;

/* Abort reasons grouped by their text up to the first ':'; past
 * SB_CKSTATS_REASONS_MAX kinds, the last slot becomes "other". */
typedef struct sb_ckstats_reason_count {
    char reason[SB_CKSTATS_REASON_BYTES_MAX];
    int64_t count;
} sb_ckstats_reason_count_t;

typedef struct sb_ckstats_summary {
    int64_t completed_count;
    int64_t aborted_count;
    int64_t unfinished_count;
    sb_ckstats_reason_count_t aborted_reasons[SB_CKSTATS_REASONS_MAX];
    int aborted_reasons_count;
    /* Over completed checkpoints only. alignment_ns and start_delay_ns are
     * distributions of each checkpoint's maximum over its subtasks. */
    sb_ckstats_dist_t duration_ns;
    sb_ckstats_dist_t alignment_ns;
    sb_ckstats_dist_t start_delay_ns;
    int64_t unaligned_count;   /* completed checkpoints with unaligned subtasks */
    int64_t inflight_records_total;
    int64_t inflight_records_max; /* in one checkpoint */
    int64_t inflight_bytes_total;
    int64_t inflight_bytes_max;   /* in one checkpoint */
} sb_ckstats_summary_t;

const char *sb_ckstats_status_name(sb_ckstats_status_t s);

/* Reads trace_path into *st (zeroed first; free with sb_ckstats_free even on
 * failure). A line without "event", or a checkpoint event without an integer
 * "checkpoint" or "t_ns", is an error naming the line; a last line cut by a
 * crash is tolerated (st->truncated). */
int sb_ckstats_from_trace(sb_ckstats_t *st, const char *trace_path, sb_err_t *err);
void sb_ckstats_free(sb_ckstats_t *st);

void sb_ckstats_summarize(const sb_ckstats_t *st, sb_ckstats_summary_t *out);

/* checkpoints.json: {"summary": {...}, "checkpoints": [{..., "subtasks":
 * [...]}]}; times as integer ns under *_ns keys, null where unknown (-1).
 * A Flink run's checkpoints and subtasks also carry Flink's own figures
 * under "flink", as its trace events had them.
 * Written to path.tmp, then renamed. */
int sb_ckstats_write_json(const sb_ckstats_t *st, const char *path, sb_err_t *err);

/* A time or a size for a table, in ASCII: "812 ns", "3.4 us", "20.0 ms",
 * "1.25 s", or "-" when unknown (negative); "812 B", "2.0 KiB", "3.0 MiB",
 * "1.0 GiB". */
void sb_ckstats_format_ns(char *buf, size_t len, int64_t ns);
void sb_ckstats_format_bytes(char *buf, size_t len, int64_t bytes);

/* At most 6 lines: the counts, p50 / p99 / max of duration, alignment and
 * start delay, and the in-flight data persisted. */
void sb_ckstats_print_table(const sb_ckstats_t *st, FILE *out);

#endif
