/* engine.c — see engine.h. */
#include "engine.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sb_engine_init(sb_engine_t *e, uint64_t seed, int64_t time_limit_ns, int64_t events_limit)
{
    assert(time_limit_ns > 0 && events_limit > 0);
    memset(e, 0, sizeof *e);
    sb_rng_seed(&e->rng, seed);
    sb_eventq_init(&e->queue);
    sb_tracebuf_init(&e->trace);
    e->time_limit_ns = time_limit_ns;
    e->events_limit = events_limit;
}

void sb_engine_free(sb_engine_t *e)
{
    sb_eventq_free(&e->queue);
    sb_tracebuf_free(&e->trace);
}

void sb_engine_fail(sb_engine_t *e, const char *fmt, ...)
{
    if (e->failed)
        return;
    e->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err.msg, sizeof e->err.msg, fmt, ap);
    va_end(ap);
}

void sb_engine_at(sb_engine_t *e, int64_t t_ns, int32_t kind, int32_t a, int64_t b)
{
    assert(t_ns >= e->now_ns);
    if (sb_eventq_push(&e->queue, t_ns, kind, a, b) != 0)
        sb_engine_fail(e, "more than %d events pending at t=%" PRId64 " ns", SB_EVENTQ_EVENTS_MAX,
                       e->now_ns);
}

void sb_engine_after(sb_engine_t *e, int64_t delay_ns, int32_t kind, int32_t a, int64_t b)
{
    assert(delay_ns >= 0);
    sb_engine_at(e, e->now_ns + delay_ns, kind, a, b);
}

void sb_engine_stop(sb_engine_t *e)
{
    e->stopped = true;
}

int sb_engine_run(sb_engine_t *e, sb_engine_handle_fn fn, void *model)
{
    sb_event_t ev;
    while (!e->stopped && !e->failed && sb_eventq_pop(&e->queue, &ev)) {
        assert(ev.t_ns >= e->now_ns);
        if (ev.t_ns > e->time_limit_ns || e->events >= e->events_limit) {
            e->limit_hit = true;
            sb_engine_fail(e, "the run did not finish within %" PRId64 " ms of virtual time and %"
                           PRId64 " events (stopped at t=%.3f ms after %" PRId64 " events)",
                           e->time_limit_ns / 1000000, e->events_limit, e->now_ns / 1e6,
                           e->events);
            break;
        }
        e->now_ns = ev.t_ns;
        e->events++;
        fn(model, &ev);
        if (e->trace.overflow)
            sb_engine_fail(e, "the trace outgrew %zu bytes (turn the record trace off: "
                           "trace: checkpoints)", (size_t)SB_TRACEBUF_BYTES_MAX);
    }
    return e->failed ? -1 : 0;
}
