/* simscenario.h — a simulator scenario file (YAML), parsed and validated.
 *
 * A sim scenario describes one simulated job: its topology (a DAG of stages
 * with per-stage parallelism and forward / rebalance / hash connections),
 * the workload, the channels (delay distribution, capacity), the checkpoint
 * protocol, faults in virtual time and, for negative controls, a protocol
 * mutant. The schema is documented in docs/sim.md. Parsing is strict like
 * runtime/scenario.c: an unknown key, a bad duration, a wrong type or a
 * topology that does not hold together is an error "FILE:LINE: KEY: what",
 * before anything runs; every key has a default.
 *
 * Topologies are DAGs listed upstream first (`from` names earlier stages
 * only, so there is no cycle): stages may merge (read several earlier
 * stages) and fan out (be read by several later stages, each of which gets
 * every record: the stream is replicated); a job may have several sink
 * stages; a source reads nothing, a sink feeds nothing, and every other
 * stage feeds a later one, so every record reaches a sink. A record may
 * reach sinks along several paths; the expected output is one copy per
 * path whose filters all keep it (sim/topology.h numbers the paths).
 */
#ifndef SB_SIMSCENARIO_H
#define SB_SIMSCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"
#include "scenario.h"

#define SB_SIMSCENARIO_STAGES_MAX 16
#define SB_SIMSCENARIO_FROM_MAX 8            /* upstream stages of one stage */
#define SB_SIMSCENARIO_FAULTS_MAX 32
#define SB_SIMSCENARIO_STAGE_NAME_BYTES_MAX 21 /* "+-NN" still fits a task name */
#define SB_SIMSCENARIO_PARALLELISM_MAX 64
#define SB_SIMSCENARIO_TASKS_MAX 128         /* the coordinator's and checker's bound */
#define SB_SIMSCENARIO_CHANNELS_MAX 1024
#define SB_SIMSCENARIO_INPUTS_MAX 64         /* the barrier handler's bound */
#define SB_SIMSCENARIO_CAPACITY_MAX (1 << 20)
#define SB_SIMSCENARIO_PATHS_MAX 16           /* from one stage to the sinks */

/* What is simulated: the record pipeline with Flink's barriers, or the
 * classic Chandy–Lamport algorithm on any directed graph with the token
 * workload (processes passing tokens; a snapshot must conserve them). */
typedef enum sb_simscenario_model {
    SB_SIM_MODEL_PIPELINE = 0,
    SB_SIM_MODEL_CLASSIC,
} sb_simscenario_model_t;

#define SB_SIMSCENARIO_PROCESSES_MAX 64
#define SB_SIMSCENARIO_EDGES_MAX 1024
#define SB_SIMSCENARIO_SNAPSHOTS_MAX 64

/* model: chandy-lamport. */
typedef struct sb_simscenario_classic {
    int processes;                       /* default 4 */
    int edges[SB_SIMSCENARIO_EDGES_MAX][2]; /* directed channels (from, to) */
    int edges_count;                     /* graph: ring (default), bidirectional-ring,
                                            complete, or a list of [from, to] */
    int64_t tokens;                      /* each process's initial balance; default 100 */
    int64_t transfer_interval_ns;        /* mean time between two transfers of a
                                            process (exponential); default 100us */
    int64_t transfer_max;                /* tokens in one message at most; default 10 */
    int snapshots;                       /* default 3 */
    int64_t snapshot_interval_ns;        /* from one snapshot's start to the next;
                                            default 5ms */
    int initiators[SB_SIMSCENARIO_PROCESSES_MAX]; /* default [0] */
    int initiators_count;
    bool fifo;                           /* default true; false reorders messages
                                            and markers: the exercise that breaks CL */
    int64_t duration_ns;                 /* transfers stop then; default: until the
                                            last snapshot starts, plus one interval */
} sb_simscenario_classic_t;

typedef enum sb_simscenario_protocol {
    SB_SIM_ALIGNED = 0,          /* aligned barriers (EXACTLY_ONCE) */
    SB_SIM_UNALIGNED,            /* unaligned from the start */
    SB_SIM_TIMEOUT,              /* aligned, unaligned past aligned_timeout */
    SB_SIM_AT_LEAST_ONCE,        /* no alignment: the negative control */
} sb_simscenario_protocol_t;

/* A sim stage's kind is vocab.h's sb_stage_kind_t: a map passes every
 * record, a filter keeps records whose offset % keep_every == 0, a sink
 * commits what it received in two phases; the simulator has no count (a
 * count stage of a scenario is simulated as a map). */

typedef struct sb_simscenario_stage {
    char name[SB_SIMSCENARIO_STAGE_NAME_BYTES_MAX];
    sb_stage_kind_t kind;
    int parallelism;             /* default 1 */
    sb_connection_t input;       /* how it reads each upstream stage */
    bool input_set;
    int from[SB_SIMSCENARIO_FROM_MAX]; /* upstream stage indexes */
    int from_count;              /* default: the stage before it */
    int64_t keep_every;          /* filter; default 4 */
    int64_t process_ns;          /* virtual time to process one record */
    int line;
} sb_simscenario_stage_t;

/* Faults in virtual time. Which kinds a model knows: the pipeline a crash
 * (at a time, at a crash point, random kills), a pause, a task crash, slow
 * (a throttle or stall too) and a delay spike; chandy-lamport a process
 * crash and a delay spike. */
typedef enum sb_simscenario_fault_kind {
    SB_SIM_FAULT_CRASH_JOB = 0,  /* every subtask, channel, the coordinator */
    SB_SIM_FAULT_CRASH_TASK,     /* one subtask dies; the job fails over after
                                    failure_detection */
    SB_SIM_FAULT_CRASH_PROCESS,  /* classic: one process loses its state; every
                                    process rolls back after restart_delay */
    SB_SIM_FAULT_DELAY_SPIKE,    /* `extra` on every send of the chosen channels
                                    during [at, at + for) */
    SB_SIM_FAULT_SLOW,           /* one subtask's process_time during [at, at + for) */
    SB_SIM_FAULT_CRASH_POINT,    /* the job is killed at a crash point (point,
                                    point_trigger, checkpoint_id, hit, probability:
                                    as runtime/scenario.h's sb_fault_t) */
    SB_SIM_FAULT_CRASH_RANDOM,   /* the job is killed at `count` seeded random
                                    moments of input progress */
    SB_SIM_FAULT_PAUSE,          /* the whole job freezes during [at, at + for) */
    SB_SIM_FAULT_KINDS_COUNT_
} sb_simscenario_fault_kind_t;

#define SB_SIMSCENARIO_TASK_NAME_BYTES_MAX 32

typedef struct sb_simscenario_fault {
    sb_simscenario_fault_kind_t kind;
    int64_t at_ns;               /* virtual time since the run started */
    int64_t for_ns;              /* spike, slow: how long (> 0) */
    int64_t extra_ns;            /* spike: added to each drawn delay (> 0) */
    int64_t process_ns;          /* slow: the subtask's process_time meanwhile */
    char task[SB_SIMSCENARIO_TASK_NAME_BYTES_MAX]; /* crash: task, slow: "map-1" */
    int stage, subtask;          /* ... resolved: its stage index and subtask */
    int process;                 /* crash: process */
    /* spike: the channels it delays, by sender and receiver: a stage name
     * (pipeline) or a process number (classic); "" = any. */
    char from[SB_SIMSCENARIO_TASK_NAME_BYTES_MAX], to[SB_SIMSCENARIO_TASK_NAME_BYTES_MAX];
    int from_index, to_index;    /* ... resolved: stage or process, -1 = any */
    sb_crash_point_t point;      /* crash point */
    sb_point_trigger_t point_trigger;
    int64_t checkpoint_id;       /* SB_POINT_AT_CHECKPOINT: an id or SB_CHECKPOINT_FINAL */
    int64_t hit;                 /* SB_POINT_AT_HIT */
    double probability;          /* SB_POINT_WITH_PROBABILITY */
    int count;                   /* crash random: how many kills */
    int line;
} sb_simscenario_fault_t;

/* Whether a windowed fault (spike, slow) is on at t_ns. */
static inline bool sb_simscenario_fault_active(const sb_simscenario_fault_t *f, int64_t t_ns)
{
    return t_ns >= f->at_ns && t_ns - f->at_ns < f->for_ns;
}

typedef struct sb_simscenario {
    char path[SB_SCENARIO_TEXT_BYTES_MAX];
    char name[SB_SCENARIO_NAME_BYTES_MAX];
    char description[SB_SCENARIO_TEXT_BYTES_MAX];

    sb_simscenario_model_t model;        /* default pipeline */
    sb_simscenario_classic_t classic;    /* model: chandy-lamport */

    sb_simscenario_protocol_t protocol;  /* default aligned */
    int64_t aligned_timeout_ns;          /* protocol: timeout */
    int64_t records;                     /* per source subtask; input.records over them */
    int64_t source_interval_ns;          /* default 100us */
    int64_t checkpoint_interval_ns;      /* default 500ms (as in a real run) */
    int64_t checkpoint_timeout_ns;       /* default 10min */
    int max_concurrent;                  /* default 1 */
    int64_t min_pause_ns;                /* default 0 */
    int tolerable_failed;                /* default 0 */
    int num_retained;                    /* state.checkpoints.num-retained: completed
                                            checkpoints kept in storage; default 1 */
    sb_rng_dist_t channel_delay;         /* default uniform 50us..500us */
    int channel_capacity;                /* records; default 64 */
    sb_rng_dist_t rpc_delay;             /* coordinator <-> subtasks; fixed 50us */
    int64_t restart_delay_ns;            /* default 100ms; classic: from a process
                                            crash to the rollback */
    int64_t failure_detection_ns;        /* from a task crash to the job's
                                            failover; default 1ms */
    int64_t coordinator_tick_ns;         /* default 100us */
    int64_t sample_interval_ns;          /* default 1ms */
    bool trace_records;                  /* trace: records; default checkpoints */
    uint64_t seed;                       /* default 1; --seed overrides */
    int64_t max_time_ns;                 /* default 10s of virtual time */
    int64_t max_events;                  /* default 2e9 */
    sb_mutant_t mutant;                  /* any of runtime/scenario.h; classic:
                                            none, drop-channel-state (nothing
                                            recorded on channels) */
    bool fifo;                           /* fifo: default true; false: a record is
                                            delivered at its own send time + delay,
                                            so records overtake one another */

    bool runs_both;                      /* the file it was read from runs under
                                            snapbed run too (the parser's runs is
                                            SB_RUNS_BOTH): shrink keeps it so */

    sb_simscenario_stage_t stages[SB_SIMSCENARIO_STAGES_MAX];
    int stages_count;
    sb_simscenario_fault_t faults[SB_SIMSCENARIO_FAULTS_MAX];
    int faults_count;
} sb_simscenario_t;

void sb_simscenario_defaults(sb_simscenario_t *s);

/* The simulator's reading of a parsed scenario (runtime/scenario.h): shared
 * settings mapped to virtual time with the same values (and defaults) as a
 * real run, input.records shared out over the source subtasks, the graph
 * checked. Appends to notes (when not NULL) one line per setting
 * mapped or ignored. -1 with "FILE:LINE: KEY: what" when the simulator
 * cannot run it (a scenario for snapbed run only included). */
int sb_simscenario_from_scenario(sb_simscenario_t *s, const sb_scenario_t *sc, char *notes,
                                 size_t notes_len, sb_err_t *err);
#define SB_SIMSCENARIO_NOTES_MAX 2048

/* Reads a scenario file with the one parser and converts it; -1 with
 * "FILE:LINE: KEY: what". */
int sb_simscenario_load(sb_simscenario_t *s, const char *path, sb_err_t *err);

/* Same, with the mapping notes (one "note: ..." line each) in notes. */
int sb_simscenario_load_notes(sb_simscenario_t *s, const char *path, char *notes,
                              size_t notes_len, sb_err_t *err);

/* Same, from a string (tests); `path` names it in messages. */
int sb_simscenario_parse(sb_simscenario_t *s, const char *path, const char *yaml, sb_err_t *err);

/* The scenario in the one language, which parses back to the same values
 * (every key written; durations in the largest exact unit). A linear job
 * (source -> map -> filter [-> count] -> sink, each stage reading the one
 * before, parallelism within the short form's) with no fault only the
 * simulator has is written in pipeline's short form without mode:, so that
 * snapbed run runs the file too; any other as mode: sim, pipeline.stages.
 * Returns the length written, or -1 when it does not fit in len bytes. */
int sb_simscenario_format(const sb_simscenario_t *s, char *buf, size_t len);

/* Whether format writes s in pipeline's short form: a file that both
 * snapbed sim and snapbed run run. */
bool sb_simscenario_short_form(const sb_simscenario_t *s);
#define SB_SIMSCENARIO_TEXT_MAX 16384        /* what format writes at most */

const char *sb_simscenario_protocol_name(sb_simscenario_protocol_t p);
const char *sb_simscenario_model_name(sb_simscenario_model_t m);
/* In the words of a scenario file: "do: crash", "do: { crash: task }", "crash
 * point", "random kills", … */
const char *sb_simscenario_fault_kind_name(sb_simscenario_fault_kind_t k);

/* Sets cl->edges to a preset graph ("ring", "bidirectional-ring",
 * "complete") over cl->processes processes; -1 when it has more than
 * SB_SIMSCENARIO_EDGES_MAX channels (cl->edges then holds the first ones). */
int sb_simscenario_graph_preset(sb_simscenario_classic_t *cl, const char *preset);

#endif
