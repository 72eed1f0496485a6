/* shrink.h — a failing simulated run made smaller, still failing.
 *
 * Given a scenario and a seed whose run is violated, tries simpler variants
 * one at a time — a fault fewer, half the records, a stage fewer, a subtask
 * fewer, shorter delays, a smaller channel — re-running the same seed on
 * each, and keeps a variant when it fails the same way (the same first
 * check: liveness, exactly-once or the cuts) in fewer events. It goes
 * round until no variant helps or SB_SHRINK_RUNS_MAX runs were spent.
 * Every variant is validated by formatting and parsing it again (the
 * parser's rules are the only rules), so the result is a scenario file
 * that `snapbed sim FILE --seed S` replays. Greedy: the result is a local
 * minimum, not the smallest failing run there is. Classic Chandy–Lamport
 * scenarios have their own variants — a process fewer (a preset graph
 * made again over the others), a snapshot or an initiator fewer, a
 * shorter duration, rarer transfers, shorter delays — and fail the same
 * way when the same first conservation check (conserve.h) fails. */
#ifndef SB_SHRINK_H
#define SB_SHRINK_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "simscenario.h"

#define SB_SHRINK_RUNS_MAX 400
#define SB_SHRINK_WHY_BYTES_MAX 640

typedef struct sb_shrink_report {
    int runs;                            /* simulations spent */
    int steps;                           /* variants kept */
    int64_t events_before, events_after;
    char why[SB_SHRINK_WHY_BYTES_MAX];   /* how the shrunk run fails */
} sb_shrink_report_t;

/* Called after each kept variant, with what changed ("records 2000 -> 1000"). */
typedef void (*sb_shrink_progress_fn)(void *ctx, const char *step, int64_t events);

/* Shrinks (s, seed) into *out. Returns 1 when the run fails and *out is the
 * smaller failing scenario (maybe s itself), 0 when the run does not fail
 * (nothing to shrink; *out = *s), -1 on error (err). */
int sb_shrink_run(const sb_simscenario_t *s, uint64_t seed, sb_simscenario_t *out,
                  sb_shrink_report_t *report, sb_shrink_progress_fn progress, void *ctx,
                  sb_err_t *err);

#endif
