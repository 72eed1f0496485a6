/* scenario.h — a scenario file (YAML), parsed and validated.
 *
 * A scenario is one fault story: the input, the job graph, the checkpoint
 * configuration (Flink's key names), the faults and what the run must show.
 * Parsing is strict: an unknown key, a bad duration or a wrong type is an
 * error naming the file, the line and the key, before anything runs. Every
 * field has a default, so a scenario names only what it changes. */
#ifndef SB_SCENARIO_H
#define SB_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "vocab.h"

#define SB_SCENARIO_NAME_BYTES_MAX 64
#define SB_SCENARIO_TEXT_BYTES_MAX 512
#define SB_SCENARIO_FAULTS_MAX 32
#define SB_SCENARIO_PARALLELISM_MAX 16
#define SB_SCENARIO_PARTITIONS_MAX 64
#define SB_SCENARIO_CONCURRENT_MAX 8   /* max-concurrent-checkpoints */

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

typedef enum sb_fault_trigger {
    SB_TRIGGER_AT_TIME = 0,      /* at_ns after the job (first worker) starts */
    SB_TRIGGER_RANDOM,           /* `count` kills at seeded random moments of
                                    input progress */
    SB_TRIGGER_CRASH_POINT,      /* the worker kills itself at a named point */
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
    int line;                     /* where it was declared, for messages */
} sb_fault_t;

typedef struct sb_stage {
    int parallelism;              /* 0 before defaults are applied */
    sb_connection_t input;        /* how this stage reads from the previous */
    bool input_set;               /* whether `input:` was given */
} sb_stage_t;

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
} sb_scenario_t;

/* Fills *s with the defaults above. */
void sb_scenario_defaults(sb_scenario_t *s);

/* Reads and validates a scenario file. On error returns -1 with a message of
 * the form "FILE:LINE: KEY: what is wrong". */
int sb_scenario_load(sb_scenario_t *s, const char *path, sb_err_t *err);

/* Same, from a string (tests); `path` names it in messages. */
int sb_scenario_parse(sb_scenario_t *s, const char *path, const char *yaml,
                      sb_err_t *err);

/* "500ms", "2s", "10min", "1h", "250us", or a plain number of milliseconds
 * (Flink's default unit). Returns -1 on anything else. */
int sb_duration_parse_ns(const char *text, int64_t *out_ns);

/* Names for messages and the trace (the protocol's own are in vocab.h). */
const char *sb_connection_name(sb_connection_t c);
const char *sb_fault_kind_name(sb_fault_kind_t k);

#endif
