/* crashpoint.h — named places in the protocol where the worker kills itself.
 *
 * A scenario fault `at: { point: NAME, checkpoint: N | final }` (or `hit: K`,
 * the K-th time the point is reached in one incarnation, or
 * `probability: P`, each time with a seeded chance) arms a crash point. When the worker reaches it for that checkpoint, it records the
 * firing (a marker file in the run folder, and a trace event), then raises
 * SIGKILL: all memory is lost, as in a real crash. The marker makes every
 * fault fire once per run, across restarts (a `final` checkpoint recurs
 * after a restart; the crash must not). */
#ifndef SB_CRASHPOINT_H
#define SB_CRASHPOINT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"
#include "trace.h"

typedef struct sb_crashpoints {
    const sb_scenario_t *scenario;
    char run_dir[512];
    sb_trace_t *trace;
    bool armed[SB_SCENARIO_FAULTS_MAX];
    _Atomic int64_t hits[SB_SCENARIO_FAULTS_MAX];
    int armed_count;
    uint64_t seed;                 /* scenario seed and attempt */
} sb_crashpoints_t;

/* Arms every crash-point fault that has not fired in an earlier incarnation. */
void sb_crashpoints_init(sb_crashpoints_t *cp, const sb_scenario_t *s, const char *run_dir,
                         sb_trace_t *trace, int attempt);

/* Whether a fault at this hit fires (the pure part, for tests): hit counts
 * from 1; id/is_final describe the checkpoint at hand. */
bool sb_crashpoints_due(const sb_fault_t *f, int64_t hit, int64_t id, bool is_final,
                        uint64_t seed);

/* Called at `point` for checkpoint `id` (is_final: it is the final one).
 * Does not return when an armed fault matches. */
void sb_crashpoints_hit(sb_crashpoints_t *cp, sb_crash_point_t point, int64_t id,
                        bool is_final);

/* Whether fault `index` has fired (its marker exists); for the supervisor. */
bool sb_crashpoints_fired(const char *run_dir, int index);

#endif
