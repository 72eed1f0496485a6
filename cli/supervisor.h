/* supervisor.h — the state of `snapbed run` (cli/run.c), shared with the
 * drivers of other engines (cli/run_flink.c): one supervisor, one input,
 * one fault plan, one verdict; only running the job differs by engine. */
#ifndef SB_SUPERVISOR_H
#define SB_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "job.h"
#include "progress.h"
#include "proxy.h"
#include "scenario.h"
#include "timeline.h"
#include "trace.h"

#define KILLS_MAX 256

typedef struct run_opts {
    const char *scenario_path;
    const char *out_dir;
    const char *kafka;
    const char *sink;           /* overrides pipeline.sink */
    const char *checkpoints;    /* overrides state.checkpoints.dir */
    bool unaligned;             /* overrides execution.checkpointing.unaligned */
    const char *aligned_timeout; /* ...aligned-checkpoint-timeout (implies it) */
    const char *trace;          /* overrides trace: (checkpoints or records) */
    uint64_t seed;
    bool seed_set;
    bool quiet;
    sb_scenario_overrides_t overrides; /* the four above, read; applied once */
} run_opts_t;

/* A kill the supervisor itself delivers (crash points fire in the worker). */
typedef struct kill_plan {
    int fault;              /* index in the scenario */
    bool by_progress;       /* else by time */
    double fraction;        /* share of the input consumed */
    int64_t at_ns;          /* since the first worker started */
    bool fired;
} kill_plan_t;

typedef struct supervisor {
    const run_opts_t *o;
    sb_scenario_t *s;
    char run_dir[1024];
    char run_id[256];
    char sink_uri[1024];        /* effective, per run */
    char checkpoints_uri[1024];
    sb_trace_t trace;
    sb_progress_t *progress;
    sb_job_input_t input;
    int64_t records_total;
    kill_plan_t kills[KILLS_MAX];
    int kills_count;
    int kills_sent;
    int attempts;
    int restarts;
    int crashes;
    int64_t job_start_ns;
    int64_t job_end_ns;
    int64_t last_progress_ns;
    int64_t last_change_ns;     /* when reading or checkpointing last moved */
    int64_t last_consumed;
    int64_t last_checkpoints;
    bool tty;
    sb_timeline_t timeline;
    sb_proxy_t *s3_proxy;       /* between the workers and S3, if needed */
    char worker_s3_endpoint[300];
    sb_proxy_t *kafka_proxies[SB_TIMELINE_BROKERS_MAX]; /* one per broker */
    int kafka_proxies_count;
    char worker_kafka_redirect[256];
    char last_failure[128];     /* how the last uninjected failure ended */
    char kafka[256];            /* the brokers of the run: --kafka, the one the
                                   engine started, or "" (the embedded one) */
    struct sb_flink_run *flink; /* engine: flink (cli/run_flink.c) */
} supervisor_t;

/* Random kills: `count` seeded moments of a fault, as shares of the input
 * (RANDOM_KILL_FROM..RANDOM_KILL_TO), and timed kills, in order. */
void sb_sv_plan_kills(supervisor_t *sv);

/* The signal (SIGINT, SIGTERM, SIGHUP) that interrupted the run; 0: none. */
int sb_sv_interrupt_signal(void);

/* engine: flink (cli/run_flink.c). start: the services the run needs
 * before its input (Kafka, the Flink cluster); run_job: submit, fault,
 * wait for the bounded input to be committed, import Flink's statistics;
 * stop: everything start started, on every path. */
int sb_flink_preflight(const sb_scenario_t *s, const char *kafka, sb_err_t *err); /* before the run folder */
int sb_flink_start(supervisor_t *sv, sb_err_t *err);
int sb_flink_run_job(supervisor_t *sv, sb_err_t *err);
void sb_flink_stop(supervisor_t *sv);

#endif
