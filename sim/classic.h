/* classic.h — classic Chandy–Lamport (1985) on any directed graph, with
 * the teaching workload: processes holding tokens pass them along
 * channels at random moments; a snapshot is correct when the tokens in the
 * recorded process states plus those recorded on the channels are all the
 * tokens there are (checked from the trace by conserve.h).
 *
 * The algorithm, per snapshot k, as in the paper:
 * - an initiator records its state, sends a marker k on each outgoing
 *   channel, and starts recording every incoming channel;
 * - a process receiving marker k on channel c for the first time records
 *   its state, records c as empty, sends marker k on each outgoing
 *   channel and starts recording its other incoming channels;
 * - a process receiving marker k on a channel it records stops recording
 *   it: the messages received on it since it recorded its state are that
 *   channel's state;
 * - a process is done with k once marker k came on every incoming channel;
 *   k is complete once every process is done.
 * Several snapshots may be in progress at once (snapshot_interval shorter
 * than a snapshot takes), and several processes may initiate the same one.
 *
 * Channels deliver after the scenario's delay distribution, in order
 * (`fifo: true`, the algorithm's assumption) or not (`fifo: false`: each
 * message at its own send time + delay, so a marker can overtake a
 * message or be overtaken — the exercise that shows why CL needs FIFO).
 * The mutant drop-channel-state records process states only. Tracing
 * follows docs/sim.md. Faults: delay spikes (extra delay on chosen
 * channels in a window; FIFO kept) and process crashes, recovered by a
 * global rollback to the newest completed snapshot (see classic.c). */
#ifndef SB_CLASSIC_H
#define SB_CLASSIC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "simscenario.h"

typedef struct sb_classic sb_classic_t;

typedef struct sb_classic_stats {
    bool finished;                /* every snapshot completed (or abandoned by a
                                     crash), every message delivered */
    int64_t transfers;            /* token messages sent */
    int64_t markers;              /* markers sent */
    int snapshots_completed;
    int snapshots_abandoned;      /* in progress when a process crashed */
    int crashes, rollbacks;
    int faults_unfired;           /* a crash while the run was down */
    int64_t total;                /* tokens in the system */
} sb_classic_stats_t;

/* NULL when out of memory; s must outlive the model. */
sb_classic_t *sb_classic_new(const sb_simscenario_t *s, sb_engine_t *e);
void sb_classic_free(sb_classic_t *c);
void sb_classic_start(sb_classic_t *c, uint64_t seed);
void sb_classic_handle(void *model, const sb_event_t *ev);
void sb_classic_stats(const sb_classic_t *c, sb_classic_stats_t *out);

#endif
