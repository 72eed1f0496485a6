/* scenario.h — a scenario file (YAML), parsed and validated.
 *
 * A scenario is one fault story: the input, the job graph, the checkpoint
 * configuration (Flink's key names), the faults and what the run must show.
 * Parsing is strict: an unknown key, a bad duration or a wrong type is an
 * error naming the file, the line and the key, before anything runs. Every
 * field has a default, so a scenario names only what it changes. */
#ifndef SB_SCENARIO_H
#define SB_SCENARIO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "vocab.h"

#define SB_SCENARIO_NAME_BYTES_MAX 64
#define SB_SCENARIO_TEXT_BYTES_MAX 512
#define SB_SCENARIO_FAULTS_MAX 32
#define SB_SCENARIO_PARALLELISM_MAX 16
#define SB_SCENARIO_PARTITIONS_MAX 64
/* input.records: the checker keeps about 12 bytes per record plus its
 * expected value, and the end-to-end rate is near 1 M records/s, so 10 M
 * is under 1.5 GB and well under a minute; more never finishes in a test. */
#define SB_SCENARIO_RECORDS_MAX 10000000
#define SB_SCENARIO_CONCURRENT_MAX 8   /* max-concurrent-checkpoints */
#define SB_SCENARIO_TASK_BYTES_MAX 32
#define SB_SCENARIO_STAGES_MAX 16      /* pipeline.stages */
#define SB_SCENARIO_FROM_MAX 8         /* upstream stages of one stage */
#define SB_SCENARIO_STAGE_NAME_BYTES_MAX 21
#define SB_SCENARIO_PROCESSES_MAX 64   /* sim.model: chandy-lamport */
#define SB_SCENARIO_EDGES_MAX 1024

typedef enum sb_connection {
    SB_CONNECTION_FORWARD = 0,   /* subtask i -> subtask i; equal parallelism */
    SB_CONNECTION_REBALANCE,     /* round-robin over every downstream subtask */
    SB_CONNECTION_HASH,          /* by key (the record's value) */
} sb_connection_t;

typedef enum sb_map_fn {
    SB_MAP_UPPERCASE = 0,
    SB_MAP_IDENTITY,
} sb_map_fn_t;

typedef enum sb_fault_kind {
    SB_FAULT_CRASH = 0,          /* SIGKILL of the worker */
    SB_FAULT_CRASH_LOOP,         /* kill `count` incarnations in a row, each
                                    `after_ns` after it is running */
    SB_FAULT_PAUSE,              /* SIGSTOP, then SIGCONT after for_ns */
    SB_FAULT_THROTTLE,           /* slow or stall a stage for for_ns */
    SB_FAULT_BROKER,             /* the embedded Kafka misbehaves */
    SB_FAULT_NETWORK,            /* toxics on the fault proxy toward S3 or
                                    the Kafka brokers */
    SB_FAULT_CORRUPT,            /* the worker dies at a crash point, then
                                    the supervisor damages a file of
                                    checkpoint N (faultinject/corrupt.h) */
    SB_FAULT_STORAGE,            /* a file:// store's disk fails (store_fault.h) */
    /* The simulator's only (snapbed run refuses them): */
    SB_FAULT_CRASH_TASK,         /* one subtask dies; the job fails over */
    SB_FAULT_SLOW,               /* one subtask's process_time for for_ns */
    SB_FAULT_DELAY_SPIKE,        /* extra_ns on the chosen channels for for_ns */
    SB_FAULT_CRASH_PROCESS,      /* classic model: one process crashes */
    SB_FAULT_KINDS_COUNT_
} sb_fault_kind_t;

typedef enum sb_broker_action {
    SB_BROKER_DOWN = 0,          /* broker `broker_id` down, up after for_ns */
    SB_BROKER_RTT,               /* every broker answers rtt_ms late */
    SB_BROKER_ERRORS,            /* the next error_count requests of
                                    request_api fail with error_code */
    SB_BROKER_LEADER,            /* partition's leader moves to broker_id */
    SB_BROKER_PAUSE,             /* the broker stops answering for for_ns: a
                                    real broker's process gets SIGSTOP and
                                    SIGCONT; the embedded one answers every
                                    request for_ns late */
    SB_BROKER_KILL,              /* the broker dies and comes back for_ns
                                    later: a real broker's process gets
                                    SIGKILL and is restarted on its data; the
                                    embedded brokers go down and up */
    SB_BROKER_PARTITION,         /* broker `broker_id` is cut off from the
                                    network, both ways, for for_ns: a real
                                    broker in its own network namespace
                                    (scripts/kafka.sh cluster --netns); the
                                    embedded Kafka has no network to cut */
} sb_broker_action_t;

/* Network toxics (the fault proxy's, see faultinject/proxy.h). */
typedef struct sb_network_toxics {
    bool kafka;                   /* toward the Kafka brokers, else S3 */
    int latency_ms, jitter_ms;
    int64_t bytes_per_s;          /* 0: unlimited */
    int64_t reset_after_bytes;    /* 0: never */
    double reset_probability;
    bool blackhole;
    int slow_close_ms;
    double http_error_fraction;   /* answered by the proxy with an S3 error */
    int http_error_status;        /* 503 (SlowDown) or 500 (InternalError) */
    double http_cut_fraction;     /* responses cut half-way */
} sb_network_toxics_t;

/* The corrupt fault: which file of checkpoint N, and how. */
typedef enum sb_corrupt_file {
    SB_CORRUPT_METADATA = 0,     /* chk-N/_metadata */
    SB_CORRUPT_SNAPSHOT,         /* chk-N/<task>.json */
    SB_CORRUPT_CHANNEL_STATE,    /* chk-N/<task>.channel */
    SB_CORRUPT_COMPLETED_LIST,   /* _completed */
    SB_CORRUPT_FILES_COUNT_
} sb_corrupt_file_t;

typedef enum sb_corrupt_how {
    SB_CORRUPT_FLIP_BYTE = 0,    /* one payload byte changed */
    SB_CORRUPT_TRUNCATE,         /* half the payload cut off */
    SB_CORRUPT_DELETE,           /* the file removed */
    SB_CORRUPT_SWAP,             /* exchanged with chk-(N-1)'s same file */
    SB_CORRUPT_HOWS_COUNT_
} sb_corrupt_how_t;
/* Storage faults: what the disk under a file:// store does. */
typedef enum sb_storage_action {
    SB_STORAGE_ENOSPC = 0,        /* the operation fails with ENOSPC */
    SB_STORAGE_EIO,               /* ... with EIO */
    SB_STORAGE_SHORT_WRITE,       /* a write puts half its bytes on disk and
                                     returns that; the next write to the
                                     file fails with ENOSPC (a torn file) */
    SB_STORAGE_LOSE_UNSYNCED,     /* every crash loses what was not fsynced */
    SB_STORAGE_ACTIONS_COUNT_
} sb_storage_action_t;

typedef enum sb_storage_store {
    SB_STORAGE_CHECKPOINTS = 0,   /* state.checkpoints.dir */
    SB_STORAGE_SINK,              /* pipeline.sink */
    SB_STORAGE_STORES_COUNT_
} sb_storage_store_t;

typedef enum sb_storage_op {
    SB_STORAGE_OP_WRITE = 0,
    SB_STORAGE_OP_FSYNC,          /* of a file or of a directory */
    SB_STORAGE_OP_RENAME,
    SB_STORAGE_OPS_COUNT_
} sb_storage_op_t;

/* When an injected storage error happens: the first matching operation
 * once the condition holds, once per run. */
typedef enum sb_storage_when {
    SB_STORAGE_ALWAYS = 0,        /* lose-unsynced: at every crash */
    SB_STORAGE_AT_TIME,           /* at_ns after the job (first worker) starts */
    SB_STORAGE_AT_CHECKPOINT,     /* on an object of checkpoint checkpoint_id */
    SB_STORAGE_AT_HIT,            /* the hit-th matching operation of an
                                     incarnation */
} sb_storage_when_t;

typedef struct sb_storage_fault {
    sb_storage_action_t action;
    sb_storage_store_t store;
    sb_storage_op_t op;
    sb_storage_when_t when;
} sb_storage_fault_t;

typedef enum sb_fault_trigger {
    SB_TRIGGER_AT_TIME = 0,      /* at_ns after the job (first worker) starts */
    SB_TRIGGER_RANDOM,           /* `count` kills at seeded random moments of
                                    input progress */
    SB_TRIGGER_CRASH_POINT,      /* the worker kills itself at a named point */
    SB_TRIGGER_STORAGE,          /* a storage fault: the worker's store fault
                                    layer decides (storage.when) */
} sb_fault_trigger_t;

/* How a crash point fault picks its moment. */
typedef enum sb_point_trigger {
    SB_POINT_AT_CHECKPOINT = 0,   /* checkpoint_id, or SB_CHECKPOINT_FINAL */
    SB_POINT_AT_HIT,              /* the hit-th time the point is reached in
                                     one incarnation */
    SB_POINT_WITH_PROBABILITY,    /* each time, with probability (seeded) */
} sb_point_trigger_t;

#define SB_CHECKPOINT_FINAL (-1)  /* `checkpoint: final` in a crash point */

typedef struct sb_fault {
    sb_fault_kind_t kind;
    sb_fault_trigger_t trigger;
    int64_t at_ns;                /* SB_TRIGGER_AT_TIME */
    int count;                    /* SB_TRIGGER_RANDOM: number of kills */
    sb_crash_point_t point;       /* SB_TRIGGER_CRASH_POINT */
    sb_point_trigger_t point_trigger;
    int64_t checkpoint_id;        /* SB_POINT_AT_CHECKPOINT: id, or
                                     SB_CHECKPOINT_FINAL */
    int64_t hit;                  /* SB_POINT_AT_HIT */
    double probability;           /* SB_POINT_WITH_PROBABILITY */
    int64_t for_ns;               /* pause, throttle, broker down/rtt,
                                     network: how long (0: to the end) */
    int64_t after_ns;             /* crash-loop */
    sb_stage_kind_t stage;        /* throttle */
    int64_t records_per_s;        /* throttle; 0 with bytes_per_s 0: stall */
    int64_t bytes_per_s;
    sb_broker_action_t broker;
    int broker_id;                /* down, leader */
    int rtt_ms;
    int request_api;              /* errors: Kafka ApiKey number */
    int error_code;               /* errors: Kafka error code */
    int error_count;
    int partition;                /* leader */
    sb_network_toxics_t network;  /* network (toward S3) */
    char task[SB_SCENARIO_TASK_BYTES_MAX]; /* crash task, slow: "map-1";
                                     corrupt: whose file ("" = the first) */
    sb_corrupt_file_t corrupt_file;  /* corrupt */
    sb_corrupt_how_t corrupt_how;
    sb_storage_fault_t storage;   /* storage */
    int process;                  /* crash process */
    int64_t process_ns;           /* slow: the subtask's time per record */
    int64_t extra_ns;             /* delay spike: added to each delay */
    char from[SB_SCENARIO_TASK_BYTES_MAX], to[SB_SCENARIO_TASK_BYTES_MAX]; /* delay spike:
                                     stage names (pipeline) or process numbers
                                     (classic); "" = any */
    char target[SB_SCENARIO_TASK_BYTES_MAX]; /* engine: flink, crash and
                                     pause: "taskmanager-N"; "" = taskmanager-0
                                     (at a time or a checkpoint) or a seeded
                                     one (random) */
    int line;                     /* where it was declared, for messages */
} sb_fault_t;

typedef struct sb_stage {
    int parallelism;              /* 0 before defaults are applied */
    sb_connection_t input;        /* how this stage reads from the previous */
    bool input_set;               /* whether `input:` was given */
} sb_stage_t;

/* pipeline.stages[i]: the general form (a DAG), for the simulator. */
typedef struct sb_stage_spec {
    char name[SB_SCENARIO_STAGE_NAME_BYTES_MAX];
    int kind;                     /* sb_stage_kind_t; -1: from the name */
    int parallelism;              /* not given: pipeline.parallelism, else 1
                                     (set by the parse) */
    sb_connection_t input;
    bool input_set;
    char from[SB_SCENARIO_FROM_MAX][SB_SCENARIO_STAGE_NAME_BYTES_MAX];
    int from_count;               /* 0: the stage before it */
    int64_t keep_every;           /* sim, filters: 0 = sim.keep_every or 4 */
    int64_t process_ns;           /* sim: virtual time per record */
    int line;
} sb_stage_spec_t;

/* A delay distribution of the simulator (sim/rng.h's kinds, in order). */
typedef struct sb_delay_spec {
    int kind;                     /* 0 fixed, 1 uniform, 2 exponential */
    int64_t min_ns, max_ns, mean_ns;
} sb_delay_spec_t;

/* sim: what only the simulator means. `snapbed run` ignores it. */
typedef struct sb_scenario_sim {
    bool given;                   /* a sim: section was written */
    bool classic;                 /* model: chandy-lamport */
    int64_t source_interval_ns;   /* 0: parallelism / pipeline.source.records_per_s,
                                     or 100us */
    sb_delay_spec_t channel_delay;/* uniform 50us..500us */
    int channel_capacity;         /* 64 */
    int64_t rpc_delay_ns;         /* 50us */
    int64_t failure_detection_ns; /* 1ms */
    int64_t coordinator_tick_ns;  /* 100us */
    int64_t sample_interval_ns;   /* 1ms */
    int64_t max_time_ns;          /* 0: 10s, or longer for a long input */
    int64_t max_events;           /* 2e9 */
    uint64_t seed;                /* 1 */
    bool fifo;                    /* true */
    int64_t keep_every;           /* 0: 4 (a filter keeps offsets % 4 == 0) */
    int64_t process_ns[SB_STAGE_COUNT_]; /* process_time: { map: 20us }: per
                                     stage of the short form */
    /* model: chandy-lamport */
    int processes;                /* 4 */
    int edges[SB_SCENARIO_EDGES_MAX][2];
    int edges_count;              /* 0: graph_preset */
    char graph_preset[32];        /* ring (default), bidirectional-ring, complete */
    int64_t tokens, transfer_interval_ns, transfer_max;
    int snapshots;
    int64_t snapshot_interval_ns;
    int initiators[SB_SCENARIO_PROCESSES_MAX];
    int initiators_count;
    int64_t duration_ns;
    int line;                     /* of the model, for messages */
} sb_scenario_sim_t;

/* Which commands can run a scenario, and why not the other. */
typedef enum sb_scenario_runs {
    SB_RUNS_BOTH = 0,
    SB_RUNS_SIM_ONLY,
    SB_RUNS_REAL_ONLY,
} sb_scenario_runs_t;

/* Keys the simulator's notes need to know were written (a key not given
 * takes the same default in both commands). */
enum { SB_GIVEN_EXPECT = 1 << 0, SB_GIVEN_FILTER = 1 << 1 };

#define SB_FLINK_TASKMANAGERS_MAX 8
#define SB_FLINK_JOB_ARGS_MAX 48
#define SB_FLINK_JOB_ARG_BYTES_MAX 256

/* flink: (engine: flink) the cluster and the job's sink. */
typedef struct sb_scenario_flink {
    int taskmanagers;             /* started by snapbed; default 2 */
    int slots;                    /* per TaskManager; default 1 */
    char address[SB_SCENARIO_NAME_BYTES_MAX]; /* a running cluster's REST
                                     HOST:PORT; "" (default): snapbed starts
                                     one and stops it */
    sb_flink_sink_t sink;         /* default exactly-once */
    /* flink.job: a user's own job instead of snapbed's (docs/flink.md) */
    char job_jar[SB_SCENARIO_TEXT_BYTES_MAX];  /* "" = snapbed's job; a
                                     relative path is from the scenario's folder */
    char job_class[SB_SCENARIO_TEXT_BYTES_MAX];
    char job_args[SB_FLINK_JOB_ARGS_MAX][SB_FLINK_JOB_ARG_BYTES_MAX]; /* with
                                     placeholders (runtime/flink_args.h) */
    int job_args_count;
    char oracle[SB_SCENARIO_TEXT_BYTES_MAX]; /* flink.oracle: a shell command
                                     that turns the input (stdin, one
                                     "P:O VALUE" line a record) into the
                                     expected output; "" = map and filter */
    int line;                     /* of flink:, for messages */
} sb_scenario_flink_t;

typedef struct sb_scenario {
    char path[SB_SCENARIO_TEXT_BYTES_MAX];
    char name[SB_SCENARIO_NAME_BYTES_MAX];
    char description[SB_SCENARIO_TEXT_BYTES_MAX];

    /* input: */
    char topic[SB_SCENARIO_NAME_BYTES_MAX];   /* default "input-topic" */
    int partitions;                           /* default 4 */
    int64_t records;                          /* default 200000 */
    uint64_t seed;                            /* default 42 */
    int record_bytes;                         /* input.record_bytes: values
                                                 padded to this size; 0
                                                 (default): the bare words */

    /* pipeline: source -> map -> filter [-> count] -> sink */
    sb_stage_t source, map, filter, count, sink;
    int64_t source_records_per_s;             /* pipeline.source.records_per_s:
                                                 input rate over all source
                                                 subtasks; 0 = as fast as it
                                                 goes (default) */
    int source_records_per_s_line;            /* where it was given; 0: not */
    sb_map_fn_t map_fn;                       /* default uppercase */
    char filter_prefix[SB_SCENARIO_NAME_BYTES_MAX]; /* "startswith:A" -> "A";
                                                       "" keeps everything */
    bool count_enabled;                       /* default false */
    char sink_uri[SB_SCENARIO_TEXT_BYTES_MAX];/* default "file://output",
                                                 relative to the run folder */

    /* execution.checkpointing.* (Flink's names and defaults) */
    int64_t checkpoint_interval_ns;           /* default 500ms */
    sb_checkpointing_mode_t mode;             /* default EXACTLY_ONCE */
    int64_t checkpoint_timeout_ns;            /* default 10min */
    int max_concurrent_checkpoints;           /* default 1 */
    int64_t min_pause_ns;                     /* default 0 */
    int tolerable_failed_checkpoints;         /* default 0 */
    bool unaligned;                           /* default false */
    int64_t aligned_checkpoint_timeout_ns;    /* default 0: with unaligned,
                                                 every checkpoint starts
                                                 unaligned */

    /* state.checkpoints.* */
    char checkpoints_dir[SB_SCENARIO_TEXT_BYTES_MAX]; /* default
                                                 "file://checkpoints" */
    int num_retained;                         /* default 1 */

    /* restart-strategy: fixed-delay (the only one so far) */
    int restart_attempts;                     /* default 10 */
    int64_t restart_delay_ns;                 /* default 100ms */

    /* s3.* (Flink's names): where s3:// stores live and how to sign. Each
     * one, when set, overrides its environment variable (S3_ENDPOINT,
     * AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); "" = unset. */
    char s3_endpoint[SB_SCENARIO_TEXT_BYTES_MAX];
    char s3_region[SB_SCENARIO_NAME_BYTES_MAX];
    char s3_access_key[SB_SCENARIO_TEXT_BYTES_MAX];
    char s3_secret_key[SB_SCENARIO_TEXT_BYTES_MAX];

    sb_fault_t faults[SB_SCENARIO_FAULTS_MAX];
    int faults_count;

    sb_mutant_t mutant;                       /* mutant: NAME; default none */
    bool trace_records;                       /* trace: records (every batch
                                                 sent and received); default
                                                 trace: checkpoints */

    /* expect: */
    bool expect_exactly_once;                 /* default true */
    bool expect_channel_state_restored;       /* default false: some restore
                                                 must replay in-flight records */
    int expect_restore_fallbacks;             /* default -1 (not checked):
                                                 restore_fallback events */

    /* pipeline.stages: the general form; stages_count 0 = the short form */
    sb_stage_spec_t stages[SB_SCENARIO_STAGES_MAX];
    int stages_count;

    sb_run_engine_t engine;                       /* engine: default snapbed */
    int engine_line;
    sb_scenario_flink_t flink;                /* flink: */
    int kafka_brokers;                        /* kafka.brokers: the real Kafka
                                                 snapbed starts for engine:
                                                 flink, 1 (default) or 3 */

    sb_scenario_sim_t sim;                    /* sim: */
    unsigned given;                           /* SB_GIVEN_* */

    /* Which commands run it (mode: sim|run|both, or what the file uses) and,
     * when one cannot, the one sentence that says why. */
    sb_scenario_runs_t runs;
    char runs_why[SB_SCENARIO_TEXT_BYTES_MAX];
} sb_scenario_t;

/* Command-line overrides of `snapbed run` (cli/run.c), applied once by the
 * supervisor; the worker reads the effective scenario from the run folder. */
typedef struct sb_scenario_overrides {
    bool unaligned;                /* --unaligned */
    int64_t aligned_timeout_ns;    /* --aligned-timeout D; -1: not given */
    int trace_records;             /* --trace records|checkpoints: 1, 0; -1: not given */
    bool seed_set;
    uint64_t seed;                 /* --seed */
} sb_scenario_overrides_t;

/* Applies the command line's overrides (the supervisor does, once); -1
 * when one cannot apply (unaligned checkpoints of an AT_LEAST_ONCE job). */
int sb_scenario_apply_overrides(sb_scenario_t *s, const sb_scenario_overrides_t *o,
                                sb_err_t *err);

/* Whether a line of a scenario file sets a top-level key that o overrides
 * (the run folder's copy leaves it out and ends with sb_scenario_overrides_text). */
bool sb_scenario_line_overridden(const char *line, const sb_scenario_overrides_t *o);

/* The overridden keys with their effective values in s, as YAML lines
 * ("" when o overrides nothing written to the file). */
void sb_scenario_overrides_text(const sb_scenario_t *s, const sb_scenario_overrides_t *o,
                                char *buf, size_t len);

/* Fills *s with the defaults above. */
void sb_scenario_defaults(sb_scenario_t *s);

/* Reads and validates a scenario file. On error returns -1 with a message of
 * the form "FILE:LINE: KEY: what is wrong". */
int sb_scenario_load(sb_scenario_t *s, const char *path, sb_err_t *err);

/* Same, from a string (tests); `path` names it in messages. */
int sb_scenario_parse(sb_scenario_t *s, const char *path, const char *yaml,
                      sb_err_t *err);

/* An error "FILE:LINE: KEY: what" (or "FILE:LINE: what" without a key),
 * the one shape of every scenario error; returns -1. For the rules checked
 * after the parse (sim/simscenario.c). */
int sb_scenario_error_va(sb_err_t *err, const char *path, size_t line, const char *key,
                         const char *fmt, va_list ap);

/* Whether a store URI is one a scenario (or --sink, --checkpoints) may name:
 * file://PATH (a relative PATH stays inside the run folder, an absolute one
 * has no '..') or s3://BUCKET[/PREFIX]. 0, or -1 with one sentence in why. */
int sb_scenario_uri_check(const char *uri, char *why, size_t len);

/* "500ms", "2s", "10min", "1h", "250us", or a plain number of milliseconds
 * (Flink's default unit). Returns -1 on anything else. */
int sb_duration_parse_ns(const char *text, int64_t *out_ns);

/* Names for messages and the trace (the protocol's own are in vocab.h). */
const char *sb_connection_name(sb_connection_t c);
const char *sb_fault_kind_name(sb_fault_kind_t k);
const char *sb_corrupt_file_name(sb_corrupt_file_t f);  /* "snapshot" */
const char *sb_corrupt_how_name(sb_corrupt_how_t h);    /* "flip-byte" */
const char *sb_storage_action_name(sb_storage_action_t a);
const char *sb_storage_store_name(sb_storage_store_t s);
const char *sb_storage_op_name(sb_storage_op_t o);

#endif
