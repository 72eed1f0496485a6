/* verdict.h — everything the harness proves about a finished run, from the
 * topic, the store and the trace only (never the engine's memory).
 *
 * - exactly-once: expected output computed from the input actually in the
 *   topic, against the content of every published sink object;
 * - keyed counts: the final counts equal the true counts of the output;
 * - from the trace: every restore used the newest checkpoint that had
 *   completed before it (or an older one after refusing every newer one),
 *   and none read a checkpoint that failed verification or that the
 *   supervisor damaged; from storage at the end, every restored checkpoint
 *   still kept verifies; no object was published for a checkpoint no
 *   completed checkpoint covers, and none was published twice; the crashes
 *   seen equal the crashes injected; checkpoints complete after the last
 *   crash (liveness);
 * - from the stores: no multipart upload in progress and no temporary
 *   object is left under the sink and checkpoint prefixes once the job has
 *   finished (leftovers: S3 tail loss and orphaned uploads). */
#ifndef SB_VERDICT_H
#define SB_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"
#include "exactly_once.h"
#include "job.h"
#include "scenario.h"
#include "store.h"

#define SB_VERDICT_RESTORES_MAX 64
#define SB_VERDICT_DETAIL_BYTES_MAX 512

typedef struct sb_verdict_check {
    bool ok;
    char detail[SB_VERDICT_DETAIL_BYTES_MAX]; /* the first violation, if any */
} sb_verdict_check_t;

typedef struct sb_verdict {
    sb_eo_report_t eo;
    bool eo_ok;
    bool order_checked;            /* the job graph promises per-path order */
    int64_t records_in;
    int64_t objects;               /* published sink objects */

    bool counts_checked;
    sb_verdict_check_t counts;
    bool channel_state_checked;    /* expect.channel_state_restored */
    sb_verdict_check_t channel_state;
    bool fallbacks_checked;        /* expect.restore_fallbacks */
    sb_verdict_check_t fallbacks;
    int64_t fallbacks_count;       /* restore_fallback events */
    char fallback_first[SB_VERDICT_DETAIL_BYTES_MAX]; /* the first one's reason */

    sb_verdict_check_t restores;   /* each restore used the newest completed */
    sb_verdict_check_t publishes;  /* covered by a completed checkpoint, once */
    sb_verdict_check_t crashes;    /* seen == injected */
    sb_verdict_check_t liveness;   /* a checkpoint completed after the last crash */
    sb_verdict_check_t leftovers;  /* no upload or temporary left behind */

    int crashes_seen;
    int crashes_injected;
    int64_t checkpoints_completed;
    int64_t checkpoints_aborted;
    int restores_count;            /* restores after a crash */
    int64_t restored_from[SB_VERDICT_RESTORES_MAX];
    int64_t inflight_restored;     /* channel-state records replayed */
    int channel_states_restored;   /* subtask restores that replayed some */
    bool trace_truncated;
} sb_verdict_t;

typedef struct sb_verdict_params {
    const sb_scenario_t *scenario;
    const char *run_dir;
    const char *sink_uri;          /* effective (sb_job_run_uri) */
    const char *checkpoints_uri;
    const char *job_name;          /* the checkpoint folder of the run */
    const sb_job_input_t *input;
    int crashes_injected;
    sb_run_engine_t engine;        /* which engine wrote the sink (default
                                      snapbed's; docs/flink.md for Flink's) */
} sb_verdict_params_t;

/* Reads the topic, the sink store and the trace; fills *v. Returns -1 only
 * when it cannot read them (a verdict of "violated" is not an error). */
int sb_verdict_compute(const sb_verdict_params_t *p, sb_verdict_t *v, sb_err_t *err);

/* Whether every check passed. */
bool sb_verdict_ok(const sb_verdict_t *v);

/* The trace-only checks, exposed for tests: feed events in order. */
typedef struct sb_trace_checks sb_trace_checks_t;
sb_trace_checks_t *sb_trace_checks_new(void);
void sb_trace_checks_event(sb_trace_checks_t *tc, json_t *event);
/* After the events: an object found under the sink prefix. */
void sb_trace_checks_object(sb_trace_checks_t *tc, const char *key);
void sb_trace_checks_finish(sb_trace_checks_t *tc, sb_verdict_t *v);
void sb_trace_checks_free(sb_trace_checks_t *tc);

/* Whether records of one partition reach a sink subtask along one FIFO path
 * in this job graph (at most one connection that is not forward). */
bool sb_verdict_graph_keeps_order(const sb_scenario_t *s);

/* Observes every published sink object of `st` ("part-SSS-CCCCCCCCCCCC",
 * one stream per sink subtask, in checkpoint order) in the exactly-once
 * checker; counts the objects in *objects. A real run's store, or the
 * simulator's mem:// one. */
int sb_verdict_observe_output(sb_store_t *st, sb_eo_t *eo, int64_t *objects, sb_err_t *err);

/* Flink's FileSink names a committed file part-<uuid>-<counter>, the uuid
 * one subtask's in one attempt (an uncommitted file starts with '.').
 * Whether `key` is one, the length of its uuid and its counter. */
bool sb_verdict_flink_key_parse(const char *key, size_t *uuid_len, int64_t *counter);

/* The same as sb_verdict_observe_output for a Flink job's sink folder:
 * one stream per uuid (a subtask's attempt), files in counter order. */
int sb_verdict_observe_flink_output(sb_store_t *st, sb_eo_t *eo, int64_t *objects,
                                    sb_err_t *err);

#endif
