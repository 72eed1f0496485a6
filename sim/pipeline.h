/* pipeline.h — the record pipeline in the simulator: sources, maps,
 * filters and two-phase-commit sinks on any DAG (merges and fan-outs;
 * topology.h), with
 * Flink-style checkpoints driven by the runtime's own protocol core.
 *
 * Every non-source subtask owns an sb_barrier_t (runtime/barrier.h) and
 * the job one sb_coord_t (runtime/coordinator.h), driven exactly as
 * runtime/job.c drives them, with virtual time:
 * - a channel is FIFO: a record is delivered at max(send time + delay, the
 *   previous delivery on the channel) — with fifo: false at its own send
 *   time + delay, overtaking earlier records but no announcement; a
 *   bounded number of records may be in a channel (sent, not yet read): a
 *   sender whose output is full waits (backpressure);
 * - a barrier is announced on the priority path: the announcement (id,
 *   position = records sent before it, trigger time, unaligned flag) is
 *   delivered after its own delay, overtaking queued records but never
 *   the ones sent after it; it arrives "in band" when the receiver has
 *   read up to its position;
 * - a subtask reads one record at a time from an input chosen at random
 *   among those with a record delivered and not blocked, emits what it
 *   produces at once (so a snapshot never falls between a read and its
 *   output), then is busy for its stage's process_time;
 * - the coordinator ticks every coordinator_tick; triggers, acks and
 *   completion notices travel with rpc_delay.
 * Each subtask's part of the protocol is runtime/subtask.c, driven here in
 * virtual time; the sinks are runtime/sink.c and the checkpoints
 * runtime/checkpoint_store.c, both on this pipeline's own mem:// namespace.
 * A crash (`do: crash` at a time, at a crash point or at a share of the
 * input) throws away every subtask, channel and the coordinator; after
 * the restart delay a new incarnation restores the newest completed
 * checkpoint from that storage, which survives, and sinks re-commit what
 * it left pending. A pause freezes the worker's own events for its window.
 * A failed subtask (`{crash: task}`) goes quiet at once (its inputs fill up, checkpoints stall);
 * failure_detection later the job fails over the same way, as Flink's full
 * restart strategy does. A delay spike adds time to every send on its
 * channels during its window; a slow fault changes one subtask's
 * process_time during its window (with bounded channels: backpressure).
 * The mutants of the fault harness (mutant:) change these steps as
 * runtime/job.c and runtime/sink.c do (docs/sim.md, "Mutants").
 *
 * Everything goes to the engine's trace buffer as the runtime's trace.jsonl
 * events (docs/trace.md), t_ns in virtual time, so the cut checker and
 * the pictures read simulated runs unchanged. */
#ifndef SB_PIPELINE_H
#define SB_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "err.h"
#include "exactly_once.h"
#include "simscenario.h"

#define SB_PIPELINE_SUPERVISOR_PID 1000   /* run and crash events */
#define SB_PIPELINE_WORKER_PID_BASE 1001  /* + attempt: one pid per incarnation */

typedef struct sb_pipeline sb_pipeline_t;

typedef struct sb_pipeline_stats {
    bool finished;                /* the final checkpoint was committed */
    int incarnations;
    int crashes;                  /* injected by faults */
    int failures;                 /* job failures (checkpoints failing, final aborted) */
    int faults_unfired;           /* due after the job finished or while it was down */
    int64_t checkpoints_triggered, checkpoints_completed, checkpoints_aborted;
    int64_t restores;             /* from a checkpoint > 0 */
    int64_t channel_state_records;/* recorded by unaligned snapshots */
    int64_t replayed_records;     /* replayed after restores */
    int64_t records_in;           /* input records: partitions x records */
    int64_t records_emitted;      /* by sources, re-reads after restores included */
    int64_t last_completed;       /* the newest completed checkpoint */
} sb_pipeline_stats_t;

/* The model of scenario `s` (kept by pointer: it must outlive the model)
 * on engine `e`. NULL when out of memory. */
sb_pipeline_t *sb_pipeline_new(const sb_simscenario_t *s, sb_engine_t *e);
void sb_pipeline_free(sb_pipeline_t *p);

/* Traces run_started and schedules the first incarnation and the faults. */
void sb_pipeline_start(sb_pipeline_t *p, uint64_t seed);

/* The engine's callback (sb_engine_handle_fn). */
void sb_pipeline_handle(void *model, const sb_event_t *ev);

void sb_pipeline_stats(const sb_pipeline_t *p, sb_pipeline_stats_t *out);

/* Exactly-once: what the sinks published against filter(map(input)), one
 * copy per path that keeps a record (virtual partitions, topology.h).
 * Returns -1 (err says why) when the checker cannot be built. */
/* Plays a conformance script (runtime/subtask_script.h) through this
 * driver and writes the trace to trace_path. */
struct sb_script;
int sb_pipeline_script_run(const struct sb_script *sc, const char *trace_path, sb_err_t *err);

int sb_pipeline_check_output(const sb_pipeline_t *p, sb_eo_report_t *out, sb_err_t *err);

#endif
