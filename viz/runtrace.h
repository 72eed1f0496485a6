/* runtrace.h — a run's trace.jsonl loaded for the pictures: the worker
 * incarnations with their job graphs and record batches, each checkpoint's
 * cut (snapshots with their read and emitted positions, barrier arrivals,
 * channel-state ranges, alignment events), and the run-level events of the
 * timeline (samples, faults, crashes, restores, sink part files). The
 * checkpoint statistics (status, acks) come from ckstats, read alongside.
 *
 * Read from the trace only. An incarnation begins with `job_graph`; its
 * events carry its worker's pid, and channel numbers and positions restart
 * with it. A batch's send and receive are matched by (incarnation, channel,
 * first position). Times are CLOCK_MONOTONIC ns as in the trace (absolute);
 * origin_ns is the run's origin (run_started, else the first line). */
#ifndef SB_RUNTRACE_H
#define SB_RUNTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "ckstats.h"
#include "cutclass.h"
#include "err.h"

#define SB_RUNTRACE_NAME_BYTES_MAX 32       /* task names, kinds */
#define SB_RUNTRACE_TEXT_BYTES_MAX 128      /* fault details, keys, reasons */
#define SB_RUNTRACE_TASKS_MAX 512           /* per job graph */
#define SB_RUNTRACE_CHANNELS_MAX 4096       /* per job graph */
#define SB_RUNTRACE_INCARNATIONS_MAX 10000
#define SB_RUNTRACE_BATCHES_MAX (64LL * 1024 * 1024) /* send + receive lines */
#define SB_RUNTRACE_EVENTS_MAX (4LL * 1024 * 1024)   /* of each other kind */
#define SB_RUNTRACE_CUT_RANGES_MAX 16 /* channel-state ranges of one channel in one checkpoint */

typedef struct sb_runtrace_task {
    char name[SB_RUNTRACE_NAME_BYTES_MAX]; /* "map-0" */
    char kind[SB_RUNTRACE_NAME_BYTES_MAX]; /* "map" */
    int subtask;
} sb_runtrace_task_t;

typedef struct sb_runtrace_channel {
    int channel; /* its number in the trace */
    int from;    /* task index in the incarnation */
    int to;
} sb_runtrace_channel_t;

/* One batch of records on a channel: positions first .. first+count-1.
 * send_ns or recv_ns is -1 when that side is not in the trace (a crash
 * lost the writer's buffer, or the batch was still in flight). */
typedef struct sb_runtrace_batch {
    int channel;
    int count;
    int64_t first;
    int64_t send_ns;
    int64_t recv_ns;
} sb_runtrace_batch_t;

typedef struct sb_runtrace_incarnation {
    int64_t pid;
    int attempt;
    int64_t start_ns;            /* its job_graph line */
    int64_t end_ns;              /* its last line, or the crash of its worker */
    bool crashed;
    bool unaligned;
    int64_t aligned_timeout_ns;
    char mode[SB_RUNTRACE_NAME_BYTES_MAX];
    char engine[SB_RUNTRACE_NAME_BYTES_MAX]; /* "" (snapbed's), or "flink": a graph
                                                made from Flink's statistics, whose
                                                trace has no records, channels or cuts */
    sb_runtrace_task_t *tasks;   /* in job-graph order */
    int tasks_count;
    sb_runtrace_channel_t *channels;
    int channels_count;
    sb_runtrace_batch_t *batches; /* sorted by send time (receive time when unsent) */
    int64_t batches_count;
    int64_t batches_cap;
    int64_t sends_unmatched;     /* sends without their receive */
    int64_t recvs_unmatched;     /* receives without their send */
} sb_runtrace_incarnation_t;

/* A channel and a position on it: where a snapshot's cut lies. */
typedef struct sb_runtrace_position {
    int channel;
    int64_t position;
} sb_runtrace_position_t;

typedef struct sb_runtrace_snapshot {
    char task[SB_RUNTRACE_NAME_BYTES_MAX];
    int64_t t_ns;
    bool unaligned;
    int64_t inputs_at;   /* reads: records at positions <= position were read */
    int inputs_count;
    int64_t outputs_at;  /* emitted: records at positions <= position were sent */
    int outputs_count;
} sb_runtrace_snapshot_t;

typedef struct sb_runtrace_barrier {
    char task[SB_RUNTRACE_NAME_BYTES_MAX]; /* the receiver */
    int channel;
    int64_t t_ns;
    int64_t position; /* records sent before the barrier */
    int64_t read;     /* the receiver's read position when it arrived */
    bool unaligned;
} sb_runtrace_barrier_t;

/* Records at positions (from, to] of a channel, captured as channel state. */
typedef struct sb_runtrace_range {
    char task[SB_RUNTRACE_NAME_BYTES_MAX];
    int channel;
    int64_t from;
    int64_t to;
} sb_runtrace_range_t;

typedef enum sb_runtrace_align_kind {
    SB_RUNTRACE_ALIGN_STARTED,
    SB_RUNTRACE_ALIGN_ENDED,
    SB_RUNTRACE_ALIGN_TIMEOUT,
    SB_RUNTRACE_ALIGN_ABANDONED,
} sb_runtrace_align_kind_t;

typedef struct sb_runtrace_align {
    char task[SB_RUNTRACE_NAME_BYTES_MAX];
    sb_runtrace_align_kind_t kind;
    int64_t t_ns;
} sb_runtrace_align_t;

typedef struct sb_runtrace_checkpoint {
    int64_t id;
    int incarnation;             /* of its trigger; -1 if never triggered */
    int64_t trigger_ns;          /* -1 if not in the trace */
    sb_runtrace_snapshot_t *snapshots;
    int64_t snapshots_count, snapshots_cap;
    sb_runtrace_position_t *positions; /* the snapshots' inputs and outputs */
    int64_t positions_count, positions_cap;
    sb_runtrace_barrier_t *barriers;
    int64_t barriers_count, barriers_cap;
    sb_runtrace_range_t *ranges;
    int64_t ranges_count, ranges_cap;
    sb_runtrace_align_t *aligns;
    int64_t aligns_count, aligns_cap;
} sb_runtrace_checkpoint_t;

/* `sample` (every 100 ms in a worker). */
typedef struct sb_runtrace_sample {
    int64_t t_ns;
    int incarnation;
    int64_t read;       /* input records read so far in the incarnation */
    double fill_max;    /* the fullest channel's fill fraction, 0..1 */
    double fill_mean;
} sb_runtrace_sample_t;

typedef struct sb_runtrace_fault {
    int fault;          /* index in the scenario */
    char kind[SB_RUNTRACE_NAME_BYTES_MAX];
    char detail[SB_RUNTRACE_TEXT_BYTES_MAX];
    int64_t started_ns;
    int64_t ended_ns;   /* -1: still on when the trace ends */
} sb_runtrace_fault_t;

typedef enum sb_runtrace_mark_kind {
    SB_RUNTRACE_MARK_WORKER_STARTED,
    SB_RUNTRACE_MARK_CRASH,
    SB_RUNTRACE_MARK_RESTORE,
    SB_RUNTRACE_MARK_CRASH_POINT, /* fault_fired */
    SB_RUNTRACE_MARK_JOB_FINISHED,
} sb_runtrace_mark_kind_t;

typedef struct sb_runtrace_mark {
    sb_runtrace_mark_kind_t kind;
    int64_t t_ns;
    int64_t checkpoint; /* restore: from which (0: none); crash point: at which */
    char text[SB_RUNTRACE_TEXT_BYTES_MAX];
} sb_runtrace_mark_t;

/* A sink part file: staged (pending) until committed (published). */
typedef struct sb_runtrace_part {
    char key[SB_RUNTRACE_TEXT_BYTES_MAX];
    char task[SB_RUNTRACE_NAME_BYTES_MAX];
    int64_t checkpoint;
    int64_t bytes;
    int64_t staged_ns;    /* -1 if not seen */
    int64_t committed_ns; /* the first sink_commit; -1 if none */
    int64_t aborted_ns;   /* sink_abort; -1 if none */
} sb_runtrace_part_t;

typedef struct sb_runtrace {
    int64_t origin_ns;
    int64_t end_ns;        /* the last line's time */
    bool truncated;        /* the last line was cut */
    bool records_traced;   /* send / recv lines present */
    sb_ckstats_t stats;    /* status, acks, durations per checkpoint */
    sb_runtrace_incarnation_t *incarnations;
    int64_t incarnations_count, incarnations_cap;
    sb_runtrace_checkpoint_t *checkpoints; /* sorted by id */
    int64_t checkpoints_count, checkpoints_cap;
    sb_runtrace_sample_t *samples;
    int64_t samples_count, samples_cap;
    sb_runtrace_fault_t *faults;
    int64_t faults_count, faults_cap;
    sb_runtrace_mark_t *marks;
    int64_t marks_count, marks_cap;
    sb_runtrace_part_t *parts;
    int64_t parts_count, parts_cap;
} sb_runtrace_t;

/* Reads trace_path into *rt (zeroed first; free with sb_runtrace_free even
 * on failure). A malformed line (other than a cut last one), a job graph
 * naming an unknown task, or an event past its bound is an error naming
 * the line. */
int sb_runtrace_load(sb_runtrace_t *rt, const char *trace_path, sb_err_t *err);
void sb_runtrace_free(sb_runtrace_t *rt);

/* NULL when the trace has no event of that checkpoint. */
const sb_runtrace_checkpoint_t *sb_runtrace_checkpoint(const sb_runtrace_t *rt, int64_t id);
const sb_ckstats_checkpoint_t *sb_runtrace_stats(const sb_runtrace_t *rt, int64_t id);

/* The incarnation a checkpoint ran in; NULL if unknown. */
const sb_runtrace_incarnation_t *sb_runtrace_incarnation_of(const sb_runtrace_t *rt,
                                                            const sb_runtrace_checkpoint_t *c);

/* Index of the task in the incarnation's job graph, -1 if absent. */
int sb_runtrace_task_index(const sb_runtrace_incarnation_t *inc, const char *name);

/* The channel with that number, NULL if absent. */
const sb_runtrace_channel_t *sb_runtrace_channel(const sb_runtrace_incarnation_t *inc,
                                                 int channel);

/* A task's snapshot of the checkpoint, NULL if it took none in the trace. */
const sb_runtrace_snapshot_t *sb_runtrace_snapshot_of(const sb_runtrace_checkpoint_t *c,
                                                      const char *task);

/* The position of `channel` in a snapshot's inputs (is_input) or outputs;
 * -1 when the snapshot does not list that channel. */
int64_t sb_runtrace_cut_position(const sb_runtrace_checkpoint_t *c,
                                 const sb_runtrace_snapshot_t *s, bool is_input, int channel);

/* The cut of checkpoint c on one channel: the sender's emitted and the
 * receiver's read position (-1 when that side took no snapshot) and the
 * ranges the receiver recorded as channel state, copied into `ranges`
 * (which out->ranges then points to). */
void sb_runtrace_channel_cut(const sb_runtrace_checkpoint_t *c,
                             const sb_runtrace_incarnation_t *inc,
                             const sb_runtrace_channel_t *ch,
                             int64_t ranges[SB_RUNTRACE_CUT_RANGES_MAX][2],
                             sb_cutclass_channel_t *out);

#endif
