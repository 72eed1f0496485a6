/* conserve.h — the checker of classic Chandy–Lamport snapshots over the
 * token workload, from the trace alone. It lives in verify/ with the other
 * checkers (it was sim/conserve.h): it reads only trace events, so the
 * simulator (sim/sim.c), `snapbed check` and the pictures (viz/) all use it
 * without reaching into the simulator.
 *
 * Processes pass tokens along channels; none is created or destroyed, so a
 * snapshot is correct only if the tokens in the recorded process states
 * plus those in the recorded channel states equal the total. For every
 * completed snapshot (`cl_snapshot_completed`) it checks:
 * - recorded: every process recorded its state exactly once, and every
 *   channel's state was recorded exactly once (by its receiver);
 * - conservation: balances + channel tokens = the total (`cl_graph`);
 * - orphans: on every channel, the receiver had received, when it recorded
 *   its state, no more messages than the sender had sent when it recorded
 *   its own (a message received "before" the cut but sent "after" it);
 * - channel state: the receiver recorded exactly the messages in flight
 *   across the cut — as many as the sender had sent minus what the
 *   receiver had received at their recordings.
 * And for every rollback after a process crash (`cl_restore`):
 * - restores: it went back to the newest completed snapshot (or the start
 *   when none had completed), each process to its recorded balance, each
 *   channel to its recorded tokens, and that state holds exactly the total.
 * A snapshot abandoned by a crash (`cl_snapshot_abandoned`) is not checked.
 * Pure over events fed in file order (jansson objects); the simulator
 * feeds it its trace buffer. Bounded by the model's limits. */
#ifndef SB_CONSERVE_H
#define SB_CONSERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "err.h"

#define SB_CONSERVE_PROCESSES_MAX 64
#define SB_CONSERVE_CHANNELS_MAX 4096
#define SB_CONSERVE_SNAPSHOTS_MAX 64
#define SB_CONSERVE_DETAIL_BYTES_MAX 512

typedef enum sb_conserve_check {
    SB_CONSERVE_RECORDED = 0,
    SB_CONSERVE_CONSERVATION,
    SB_CONSERVE_ORPHANS,
    SB_CONSERVE_CHANNEL_STATE,
    SB_CONSERVE_RESTORES,
    SB_CONSERVE_CHECKS_COUNT_
} sb_conserve_check_t;

typedef struct sb_conserve_report {
    int64_t checked[SB_CONSERVE_CHECKS_COUNT_];
    int64_t violations[SB_CONSERVE_CHECKS_COUNT_];
    char first[SB_CONSERVE_CHECKS_COUNT_][SB_CONSERVE_DETAIL_BYTES_MAX];
    int first_kind;                      /* the first check violated, -1 if none */
    int64_t snapshots_checked;
    int64_t total;                       /* tokens in the system */
} sb_conserve_report_t;

typedef struct sb_conserve sb_conserve_t;

sb_conserve_t *sb_conserve_new(void);
void sb_conserve_free(sb_conserve_t *c);
void sb_conserve_event(sb_conserve_t *c, json_t *ev);
/* -1 (err) when the trace cannot be checked (no cl_graph, bounds). */
int sb_conserve_finish(sb_conserve_t *c, sb_conserve_report_t *out, sb_err_t *err);

static inline bool sb_conserve_report_ok(const sb_conserve_report_t *r)
{
    return r->first_kind < 0;
}

const char *sb_conserve_check_name(sb_conserve_check_t k);

/* Whether the trace at path is a classic Chandy–Lamport run's: its first
 * line is run_started with model "chandy-lamport". -1 (err) when the file
 * cannot be read; an empty or foreign first line is simply not classic. */
int sb_conserve_trace_is_classic(const char *path, bool *classic, sb_err_t *err);

/* Checks a trace.jsonl. Unknown events are skipped. A simulated trace is
 * written whole, so a last line cut short or a trace that ends before
 * run_finished is bad input: -1 with "FILE:LINE: why", as is an event the
 * checker cannot use (FILE:LINE: what). */
int sb_conserve_check_file(const char *path, sb_conserve_report_t *out, sb_err_t *err);

/* "3 snapshots conserve the 400 tokens (12 channels checked)", or the
 * first violation. */
void sb_conserve_report_summary(const sb_conserve_report_t *r, char *buf, size_t len);
void sb_conserve_report_print(const sb_conserve_report_t *r, FILE *f);

#endif
