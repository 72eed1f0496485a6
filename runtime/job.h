/* job.h — the worker: one incarnation of the streaming job.
 *
 * It restores from the latest completed checkpoint in storage (source
 * offsets, keyed-count state, the sink's pending uploads), builds the job
 * graph (source -> map -> filter [-> count] -> sink, one thread per subtask,
 * bounded channels between them), runs the checkpoint coordinator on its own
 * thread, and returns when the bounded input has been fully processed and
 * the final checkpoint's output committed, or when the job fails. */
#ifndef SB_JOB_H
#define SB_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "scenario.h"

#define SB_JOB_PARTITIONS_MAX SB_SCENARIO_PARTITIONS_MAX

typedef struct sb_job_input {
    char bootstrap[512];
    char topic[128];
    int partitions;
    int64_t low[SB_JOB_PARTITIONS_MAX];  /* first offset of the input */
    int64_t high[SB_JOB_PARTITIONS_MAX]; /* end offset (exclusive) */
} sb_job_input_t;

typedef struct sb_job_params {
    const sb_scenario_t *scenario;
    const char *run_dir;     /* trace.jsonl, progress, counts/ live here */
    const char *job_name;    /* checkpoint folder name (the run id) */
    int attempt;             /* 0 for the first incarnation */
    const char *sink_uri;    /* effective URIs (sb_job_run_uri) */
    const char *checkpoints_uri;
    sb_job_input_t input;
    /* Called at every named crash point (may be NULL): where a fault
     * harness may kill the worker. The runtime knows no fault plan; the
     * worker wires this to faultinject/crashpoint.h, whose crash does not
     * return. Returns true when the incarnation died there without the
     * process dying (the conformance script): the subtask then stops. */
    bool (*on_crash_point)(void *ctx, sb_crash_point_t point, int64_t checkpoint_id,
                           bool is_final);
    void *crash_ctx;
} sb_job_params_t;

/* A store URI as one run uses it: s3:// and absolute file:// locations are
 * shared between runs, so the run id is appended (as Flink appends the job
 * id); a relative file:// path is inside the run folder already. */
void sb_job_run_uri(const char *uri, const char *run_id, char *out, size_t len);

/* Runs the job to the end. Returns 0 when finished, -1 on failure, or
 * SB_JOB_UNRESTORABLE when completed checkpoints exist but none is whole
 * (checkpoint_store.h): another incarnation would fail the same way. */
enum { SB_JOB_UNRESTORABLE = 2 };
int sb_job_run(const sb_job_params_t *p, sb_err_t *err);

/* Plays a conformance script (subtask_script.h) through this driver: one
 * map subtask on real channels, stepped by the real operator loop on the
 * calling thread; the trace and checkpoints go to `dir`. */
struct sb_script;
int sb_job_script_run(const struct sb_script *sc, const char *dir, sb_err_t *err);

/* input.json in the run folder: written by the supervisor, read by workers. */
int sb_job_input_save(const sb_job_input_t *in, const char *path, sb_err_t *err);
int sb_job_input_load(sb_job_input_t *in, const char *path, sb_err_t *err);

#endif
