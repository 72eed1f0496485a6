/* flink_stats.h — Flink's own checkpoint statistics turned into snapbed
 * trace events, so that checkpoints.json, the run timeline, the Gantt
 * charts and the report's checkpoint table of a Flink run come from the
 * same readers as snapbed's own runs (docs/trace.md, "Flink runs").
 *
 * The input is the bundle the Flink driver saves as flink/rest.json: the
 * raw answers of Flink's REST API, unchanged —
 *   {"job": GET /jobs/<jid>, "checkpoints": GET /jobs/<jid>/checkpoints,
 *    "details": {"<cid>": GET …/checkpoints/details/<cid>},
 *    "subtasks": {"<cid>": {"<vertex id>": GET …/details/<cid>/subtasks/<vid>}},
 *    "exceptions": GET /jobs/<jid>/exceptions, "t0_epoch_ms": N,
 *    "restores": [RestoredCheckpointStatistics, …] (optional: every restore
 *    the driver saw; "checkpoints".latest.restored holds only the last)}.
 * These are outside bytes: any member may be missing or null (a poll
 * failed, a checkpoint left Flink's history); unknown members are ignored;
 * every count is bounded before anything is allocated from it; a member of
 * the wrong type, or a time that cannot be true (an ack before its
 * checkpoint's trigger, anything before t0_epoch_ms), is an error naming
 * the member and the checkpoint. Nothing here asserts on the bundle.
 *
 * Times: a Flink timestamp (epoch ms) becomes t_ns = (ms - t0_epoch_ms) *
 * 1e6; Flink's durations (ms) become *_ns figures. Flink's own figures are
 * also kept as they came, in a "flink" object on each event. */
#ifndef SB_FLINK_STATS_H
#define SB_FLINK_STATS_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

#define SB_FLINK_STATS_FILE_BYTES_MAX (256LL * 1024 * 1024) /* flink/rest.json read, at most */
#define SB_FLINK_STATS_CHECKPOINTS_MAX 100000  /* as ckstats: per run */
#define SB_FLINK_STATS_VERTICES_MAX 64         /* job vertices (operator chains) */
#define SB_FLINK_STATS_SUBTASKS_MAX 4096       /* per vertex, as ckstats' acks */
#define SB_FLINK_STATS_RESTORES_MAX 10000
#define SB_FLINK_STATS_EXCEPTIONS_MAX 10000
#define SB_FLINK_STATS_EVENTS_MAX (4LL * 1024 * 1024)
#define SB_FLINK_STATS_EPOCH_MS_MAX 4000000000000LL /* year 2096: keeps every t_ns in int64 */
#define SB_FLINK_STATS_DURATION_MS_MAX 100000000000LL /* three years */
#define SB_FLINK_STATS_TASK_BYTES_MAX 32       /* task names, as the trace readers' */
#define SB_FLINK_STATS_TEXT_BYTES_MAX 240      /* reasons and exception lines kept */

/* The trace events that describe the bundle, as a new JSON array sorted by
 * t_ns (stable: a checkpoint's trigger before its subtasks' events before
 * its completion). Every event has "t_ns", "pid" (the given pid) and
 * "event". NULL on bad input, err saying which member. */
json_t *sb_flink_stats_events(const json_t *bundle, int64_t pid, sb_err_t *err);

/* The same from a file (flink/rest.json), read up to
 * SB_FLINK_STATS_FILE_BYTES_MAX. */
json_t *sb_flink_stats_events_from_file(const char *path, int64_t pid, sb_err_t *err);

/* The driver's events (a JSON array of objects with integer "t_ns" and
 * string "event") and Flink's, as one new array in t_ns order, stable:
 * on equal times the driver's first, except that run_started comes first
 * of all at its time and run_finished is always the last line (a trace
 * that ends elsewhere is incomplete to every reader). NULL on an element
 * that is not such an object, err naming which. */
json_t *sb_flink_stats_merge(const json_t *driver, const json_t *flink, sb_err_t *err);

/* Writes the events as trace.jsonl at path (through path.tmp and a
 * rename): one compact JSON object a line, "t_ns", "pid", "event" first,
 * as runtime/trace.c writes them; an event without "pid" gets this
 * process's. An event longer than SB_TRACE_LINE_BYTES_MAX, or one equal to
 * the line before it (readers refuse both), is an error naming its index. */
int sb_flink_stats_write_trace(const json_t *events, const char *path, sb_err_t *err);

/* A short, stable task name for subtask `index` of the Flink vertex
 * (operator chain) `name`: "Source: kafka -> Map -> Filter -> Sink: Writer"
 * subtask 0 is "source-map-filter-writer-0", "Sink: Committer" subtask 1
 * "committer-1". At most SB_FLINK_STATS_TASK_BYTES_MAX - 1 bytes. */
void sb_flink_stats_task_name(const char *name, int index, char *buf, size_t len);

#endif
