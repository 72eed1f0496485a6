/* explore.h — many seeds of one sim scenario, in parallel over the cores.
 *
 * Each seed is a whole run (sim.h: loop, exactly-once, cut checks) on its
 * own engine; runs share nothing but the scenario, read-only, so worker
 * threads only hand out seeds and collect verdicts. What a seed does does
 * not depend on which thread ran it or when: a failing seed printed here
 * replays with `snapbed sim SCENARIO --seed S`. The record trace is off
 * (no decision of a run depends on it, no check reads it). Failures are kept (up to
 * SB_EXPLORE_FAILURES_MAX, the lowest seeds) and sorted by seed, so the
 * report is the same however the threads were scheduled. */
#ifndef SB_EXPLORE_H
#define SB_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "simscenario.h"

#define SB_EXPLORE_SEEDS_MAX INT64_C(100000000)
#define SB_EXPLORE_JOBS_MAX 256
#define SB_EXPLORE_FAILURES_MAX 1000
#define SB_EXPLORE_WHY_BYTES_MAX 640

typedef struct sb_explore_failure {
    uint64_t seed;
    char why[SB_EXPLORE_WHY_BYTES_MAX];  /* sb_sim_verdict_why, or the error */
} sb_explore_failure_t;

typedef struct sb_explore_report {
    int64_t runs;
    int64_t violated;                    /* runs whose verdict is not OK */
    int64_t events;                      /* over every run */
    sb_explore_failure_t *failures;      /* the lowest seeds that failed */
    int64_t failures_count;
} sb_explore_report_t;

/* Runs seeds first_seed … first_seed + n - 1 on `jobs` threads. Returns -1
 * (err) when it cannot run at all (threads, memory); a run that fails is a
 * failure in the report, not an error. */
int sb_explore_run(const sb_simscenario_t *s, uint64_t first_seed, int64_t n, int jobs,
                   sb_explore_report_t *out, sb_err_t *err);
void sb_explore_report_free(sb_explore_report_t *r);

#endif
