/* vocab.h — the protocol's names, in one place.
 *
 * Every word the parser, the runtime, the simulator, the verifiers and the
 * pictures share: checkpointing modes, mutants, crash points, task kinds
 * and trace event names. Each vocabulary has one table (vocab.c) holding
 * its names (and, for crash points, their one-line descriptions), so that a
 * name is spelled once. This header includes nothing of the project: the
 * pure core (runtime/barrier.h) includes it instead of the scenario
 * parser's header. */
#ifndef SB_VOCAB_H
#define SB_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* execution.checkpointing.mode */
typedef enum sb_checkpointing_mode {
    SB_MODE_EXACTLY_ONCE = 0,    /* aligned barriers */
    SB_MODE_AT_LEAST_ONCE,       /* no alignment: the negative control */
    SB_MODE_COUNT_
} sb_checkpointing_mode_t;

/* engine: which system runs the job. snapbed's own engine (the worker),
 * or a real Apache Flink cluster driving the same job (docs/flink.md). */
typedef enum sb_run_engine {
    SB_ENGINE_SNAPBED = 0,
    SB_ENGINE_FLINK,
    SB_ENGINE_COUNT_
} sb_run_engine_t;

/* flink.sink: the Flink job's sink. exactly-once is Flink's FileSink; the
 * other two are the negative controls on Flink (docs/flink.md). */
typedef enum sb_flink_sink {
    SB_FLINK_SINK_EXACTLY_ONCE = 0,   /* FileSink, committed on checkpoint
                                         completion */
    SB_FLINK_SINK_AT_LEAST_ONCE,      /* writes and flushes every record at
                                         once: replays duplicate */
    SB_FLINK_SINK_COMMIT_EARLY,       /* makes output visible when the
                                         checkpoint is taken, not when it
                                         completes */
    SB_FLINK_SINK_COUNT_
} sb_flink_sink_t;

/* Deliberate protocol bugs (`mutant:`), the negative controls of the
 * checkers: a run with a mutant must be reported as violating. */
typedef enum sb_mutant {
    SB_MUTANT_NONE = 0,
    SB_MUTANT_COMMIT_BEFORE_COMPLETE,    /* the sink publishes at the barrier */
    SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER, /* no alignment: snapshot at once */
    SB_MUTANT_SOURCE_SNAPSHOT_LATE,      /* offsets taken after more records */
    SB_MUTANT_RESTORE_LATEST_TRIGGERED,  /* restore an incomplete checkpoint */
    SB_MUTANT_DROP_PENDING_ON_RESTORE,   /* staged output forgotten */
    SB_MUTANT_OVERWRITE_PUBLISHED,       /* a published object written again */
    SB_MUTANT_DROP_CHANNEL_STATE,        /* restore skips the in-flight records */
    SB_MUTANT_RESTORE_UNVERIFIED,        /* restore reads checkpoint files
                                            without verifying them */
    SB_MUTANT_SKIP_FSYNC,                /* the file:// store never fsyncs */
    SB_MUTANT_COUNT_                     /* keep last */
} sb_mutant_t;

/* Named places in the protocol where the worker can kill itself. */
typedef enum sb_crash_point {
    SB_POINT_NONE = 0,
    SB_POINT_SOURCE_AFTER_BARRIER,      /* source emitted barrier N */
    SB_POINT_SINK_AFTER_SNAPSHOT,       /* sink snapshotted N, before its ack */
    SB_POINT_COORDINATOR_AFTER_COMPLETE,/* _metadata of N written, before the
                                           sinks are notified */
    SB_POINT_SINK_AFTER_COMMIT,         /* a sink published the output of
                                           every checkpoint <= N */
    SB_POINT_OPERATOR_AFTER_SNAPSHOT,   /* map/filter/count wrote its snapshot
                                           of N (barrier N already forwarded),
                                           before acknowledging it */
    SB_POINT_SINK_AFTER_UPLOAD,         /* a sink uploaded N's parts, before
                                           writing its snapshot */
    SB_POINT_COORDINATOR_BEFORE_METADATA,/* every ack of N is in, _metadata
                                           not written yet */
    SB_POINT_SINK_MID_COMMIT,           /* a sink completed one upload of a
                                           commit; others are not yet */
    SB_POINT_DURING_RESTORE,            /* a sink restored (re-published) its
                                           pending output, others not yet */
    SB_POINT_COUNT_                     /* keep last */
} sb_crash_point_t;

/* The kinds of task (a stage's subtasks are all of one kind). */
typedef enum sb_stage_kind {
    SB_STAGE_SOURCE = 0, SB_STAGE_MAP, SB_STAGE_FILTER, SB_STAGE_COUNT, SB_STAGE_SINK,
    SB_STAGE_COUNT_
} sb_stage_kind_t;

/* Names. An unknown value names itself "unknown"; an unknown name maps to
 * -1 (kinds, mutants) or SB_POINT_NONE (crash points). */
const char *sb_mode_name(sb_checkpointing_mode_t m);
int sb_mode_from_name(const char *name);          /* case-insensitive */
const char *sb_run_engine_name(sb_run_engine_t e);
int sb_run_engine_from_name(const char *name);
const char *sb_flink_sink_name(sb_flink_sink_t k);
int sb_flink_sink_from_name(const char *name);
const char *sb_mutant_name(sb_mutant_t m);
int sb_mutant_from_name(const char *name);
const char *sb_crash_point_name(sb_crash_point_t p);
sb_crash_point_t sb_crash_point_from_name(const char *name);
const char *sb_crash_point_describe(sb_crash_point_t p); /* one line, for `snapbed crashpoints` */
const char *sb_stage_kind_name(sb_stage_kind_t k);
int sb_stage_kind_from_name(const char *name);

/* "a, b, c" in buf: every name of a vocabulary but none, for messages
 * that list what is known; returns buf. */
#define SB_VOCAB_LIST_BYTES_MAX 384
const char *sb_mutants_known(char *buf, size_t len);
const char *sb_crash_points_known(char *buf, size_t len);

/* Trace event names (docs/trace.md). The protocol's: */
#define SB_EV_CHECKPOINT_TRIGGERED "checkpoint_triggered"
#define SB_EV_BARRIER_SENT "barrier_sent"
#define SB_EV_BARRIER_RECEIVED "barrier_received"
#define SB_EV_BARRIER_REACHED "barrier_reached"
#define SB_EV_BARRIER_DROPPED "barrier_dropped"
#define SB_EV_ALIGNMENT_STARTED "alignment_started"
#define SB_EV_ALIGNMENT_ENDED "alignment_ended"
#define SB_EV_ALIGNMENT_ABANDONED "alignment_abandoned"
#define SB_EV_ALIGNMENT_TIMEOUT "alignment_timeout"
#define SB_EV_SNAPSHOT "snapshot"
#define SB_EV_CHANNEL_STATE "channel_state"
#define SB_EV_CHANNEL_STATE_OVERFLOW "channel_state_overflow"
#define SB_EV_CHANNEL_STATE_RESTORED "channel_state_restored"
#define SB_EV_CHECKPOINT_DECLINED "checkpoint_declined"
#define SB_EV_ACK "ack"
#define SB_EV_CHECKPOINT_COMPLETED "checkpoint_completed"
#define SB_EV_CHECKPOINT_ABORTED "checkpoint_aborted"
#define SB_EV_RETAIN_FAILED "retain_failed"
#define SB_EV_SINK_STAGE "sink_stage"
#define SB_EV_SINK_COMMIT "sink_commit"
#define SB_EV_SINK_ABORT "sink_abort"
#define SB_EV_CRASH "crash"
#define SB_EV_RESTORE "restore"
#define SB_EV_RESTORE_FALLBACK "restore_fallback" /* a completed checkpoint
                                                     refused on restore */
/* The run's and the job's: */
#define SB_EV_RUN_STARTED "run_started"
#define SB_EV_RUN_FINISHED "run_finished"
#define SB_EV_INPUT_READY "input_ready"
#define SB_EV_WORKER_STARTED "worker_started"
#define SB_EV_WORKER_FAILED "worker_failed"
#define SB_EV_JOB_GRAPH "job_graph"
#define SB_EV_JOB_FINISHED "job_finished"
#define SB_EV_SOURCE_STARTED "source_started"
#define SB_EV_SOURCE_FINISHED "source_finished"
#define SB_EV_FIRST_RECORD "first_record"
#define SB_EV_SEND "send"
#define SB_EV_RECV "recv"
#define SB_EV_SAMPLE "sample"
#define SB_EV_STALLED "stalled"
#define SB_EV_TASK_FAILED "task_failed"
#define SB_EV_FAULT_STARTED "fault_started"
#define SB_EV_FAULT_ENDED "fault_ended"
#define SB_EV_FAULT_FIRED "fault_fired"
#define SB_EV_CHECKPOINT_DAMAGED "checkpoint_damaged" /* the supervisor's
                                                         corrupt fault */
#define SB_EV_PROXY_STARTED "proxy_started"
#define SB_EV_PROXY_STATS "proxy_stats"
/* Classic Chandy–Lamport's (sim/classic.c): */
#define SB_EV_CL_GRAPH "cl_graph"
#define SB_EV_CL_SEND "cl_send"
#define SB_EV_CL_RECV "cl_recv"
#define SB_EV_CL_MARKER_SENT "marker_sent"
#define SB_EV_CL_RECORDED "cl_recorded"
#define SB_EV_CL_CHANNEL_RECORDED "cl_channel_recorded"
#define SB_EV_CL_SNAPSHOT_DONE "cl_snapshot_done"
#define SB_EV_CL_SNAPSHOT_COMPLETED "cl_snapshot_completed"
#define SB_EV_CL_SNAPSHOT_ABANDONED "cl_snapshot_abandoned"
#define SB_EV_CL_CRASH "cl_crash"
#define SB_EV_CL_RESTORE "cl_restore"

#endif
