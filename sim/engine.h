/* engine.h — the discrete-event engine: virtual time, one seeded generator,
 * one event queue, one trace buffer.
 *
 * A model (the record pipeline of pipeline.h; later, classic Chandy–Lamport
 * on any graph) schedules events and handles them one at a time through a
 * single callback: the engine pops the earliest event (ties in the order
 * they were scheduled), sets the clock to its time and hands it over. There
 * are no threads, no wall clock and no I/O here: the same seed and the same
 * model give the same sequence of events, byte for byte the same trace.
 *
 * Limits: the run stops with an error past time_limit_ns of virtual time or
 * events_limit events (a model that never finishes is a liveness failure,
 * reported, not an endless loop), and when the queue or the trace buffer
 * would outgrow its bound. */
#ifndef SB_ENGINE_H
#define SB_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "eventq.h"
#include "rng.h"
#include "tracebuf.h"

typedef struct sb_engine {
    int64_t now_ns;
    sb_rng_t rng;
    sb_eventq_t queue;
    sb_tracebuf_t trace;
    int64_t events;              /* handled so far */
    int64_t time_limit_ns;       /* stop (failed) past this virtual time */
    int64_t events_limit;        /* stop (failed) past this many events */
    bool stopped;                /* the model said it is done */
    bool failed;                 /* err says why */
    bool limit_hit;              /* failed because of a limit: liveness */
    sb_err_t err;
} sb_engine_t;

typedef void (*sb_engine_handle_fn)(void *model, const sb_event_t *ev);

void sb_engine_init(sb_engine_t *e, uint64_t seed, int64_t time_limit_ns, int64_t events_limit);
void sb_engine_free(sb_engine_t *e);

/* Schedules an event at t_ns (>= now) or after delay_ns (>= 0). A full
 * queue fails the run. */
void sb_engine_at(sb_engine_t *e, int64_t t_ns, int32_t kind, int32_t a, int64_t b);
void sb_engine_after(sb_engine_t *e, int64_t delay_ns, int32_t kind, int32_t a, int64_t b);

/* Handles events until the queue is empty, the model stops the engine, a
 * limit is hit or the run fails. Returns 0, or -1 (e->err says why). */
int sb_engine_run(sb_engine_t *e, sb_engine_handle_fn fn, void *model);

/* The model is done: the loop returns after the current event. */
void sb_engine_stop(sb_engine_t *e);

/* The run cannot go on (a bound crossed, a broken invariant of the model's
 * input); the first message is kept. */
void sb_engine_fail(sb_engine_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
