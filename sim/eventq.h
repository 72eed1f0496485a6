/* eventq.h — the simulator's event queue: a binary min-heap ordered by
 * (time, sequence number).
 *
 * The sequence number is the order in which events were pushed, so events
 * due at the same virtual time come out in the order they were scheduled:
 * ties are broken the same way on every run, which is half of determinism
 * (the other half is the one seeded generator, rng.h). The heap grows by
 * doubling up to SB_EVENTQ_EVENTS_MAX; a push past it fails, and the
 * simulation stops with an error rather than grow without bound. */
#ifndef SB_EVENTQ_H
#define SB_EVENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_EVENTQ_EVENTS_MAX (1 << 24)

/* One event: what happens (kind, meaning given by the model), to whom (a,
 * e.g. a subtask or a channel) and with what (b, e.g. a checkpoint id). */
typedef struct sb_event {
    int64_t t_ns;
    uint64_t seq;
    int32_t kind;
    int32_t a;
    int64_t b;
} sb_event_t;

typedef struct sb_eventq {
    sb_event_t *heap;
    size_t count, cap;
    uint64_t next_seq;
} sb_eventq_t;

void sb_eventq_init(sb_eventq_t *q);
void sb_eventq_free(sb_eventq_t *q);

/* Schedules an event; its seq is assigned here. -1 when full (or out of
 * memory). */
int sb_eventq_push(sb_eventq_t *q, int64_t t_ns, int32_t kind, int32_t a, int64_t b);

/* The earliest event, removed; false when empty. */
bool sb_eventq_pop(sb_eventq_t *q, sb_event_t *out);

/* The earliest event, left in place; NULL when empty. */
const sb_event_t *sb_eventq_peek(const sb_eventq_t *q);

static inline size_t sb_eventq_size(const sb_eventq_t *q)
{
    return q->count;
}

/* Drops every event (a crash: the incarnation's future is void). Sequence
 * numbers keep counting. */
void sb_eventq_clear(sb_eventq_t *q);

#endif
