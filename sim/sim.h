/* sim.h — one simulated run: a sim scenario and a seed in; a trace and
 * the verdicts out.
 *
 *     sb_sim_new(scenario, seed)  the engine and the model (pipeline.h)
 *     sb_sim_run                  the event loop: no I/O, no clock
 *     sb_sim_verify               pipeline: exactly-once (verify/exactly_once.h)
 *                                 over what the sinks published, and the cut
 *                                 checker (verify/cut.h) over the trace;
 *                                 chandy-lamport: conservation (conserve.h)
 *     sb_sim_write                trace.jsonl and summary.json in a folder
 *
 * The caller times sb_sim_run with its own clock if it wants events per
 * second: nothing here reads one. Two runs of one scenario and seed give
 * the same trace, byte for byte. */
#ifndef SB_SIM_H
#define SB_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "classic.h"
#include "conserve.h"
#include "cut.h"
#include "err.h"
#include "exactly_once.h"
#include "pipeline.h"
#include "simscenario.h"
#include "tracebuf.h"

typedef struct sb_sim sb_sim_t;

typedef struct sb_sim_verdict {
    sb_simscenario_model_t model;         /* which checks apply */
    bool finished;                        /* the job finished (final commit; classic:
                                             every snapshot completed) */
    bool liveness_failed;                 /* it hit max_time or max_events */
    char run_error[SB_ERR_MSG_BYTES_MAX]; /* why it did not finish */
    sb_eo_report_t eo;
    bool eo_ok;
    sb_cut_report_t cuts;
    bool cuts_checked;                    /* false: the trace could not be checked */
    char cuts_error[SB_ERR_MSG_BYTES_MAX];
    bool cuts_ok;
    /* model: chandy-lamport (instead of exactly-once and cuts) */
    sb_conserve_report_t conserve;
    bool conserve_checked;
    char conserve_error[SB_ERR_MSG_BYTES_MAX];
    bool conserve_ok;
    bool ok;                              /* finished, and every check of its model */
} sb_sim_verdict_t;

/* The scenario is copied. -1 when out of memory. */
int sb_sim_new(const sb_simscenario_t *s, uint64_t seed, sb_sim_t **out, sb_err_t *err);
void sb_sim_free(sb_sim_t *sim);

/* Runs the loop to the end. 0 when the job finished; -1 when it did not
 * (a limit, a bound: sb_sim_error says why; the trace up to there stays). */
int sb_sim_run(sb_sim_t *sim);
const char *sb_sim_error(const sb_sim_t *sim);

/* Checks the run and appends run_finished to the trace (once). Returns -1
 * (err) only when a checker cannot be built. */
int sb_sim_verify(sb_sim_t *sim, sb_sim_verdict_t *v, sb_err_t *err);

const sb_tracebuf_t *sb_sim_trace(const sb_sim_t *sim);
int64_t sb_sim_events(const sb_sim_t *sim);
int64_t sb_sim_virtual_ns(const sb_sim_t *sim);
uint64_t sb_sim_seed(const sb_sim_t *sim);
const sb_simscenario_t *sb_sim_scenario(const sb_sim_t *sim);
void sb_sim_stats(const sb_sim_t *sim, sb_pipeline_stats_t *out);           /* pipeline */
void sb_sim_classic_stats(const sb_sim_t *sim, sb_classic_stats_t *out);    /* chandy-lamport */

/* Writes <dir>/trace.jsonl and <dir>/summary.json (dir must exist);
 * wall_s is the loop's wall time as the caller measured it (0: unknown). */
int sb_sim_write(const sb_sim_t *sim, const sb_sim_verdict_t *v, const char *dir, double wall_s,
                 sb_err_t *err);

/* Why a run failed, in one line: the first of liveness, exactly-once and
 * the cut checks that did not hold ("" when the run is OK). */
void sb_sim_verdict_why(const sb_sim_verdict_t *v, char *buf, size_t len);

/* One paragraph per verdict line for people; used by `snapbed sim`. */
void sb_sim_verdict_eo_line(const sb_sim_t *sim, const sb_sim_verdict_t *v, char *buf,
                            size_t len);

#endif
