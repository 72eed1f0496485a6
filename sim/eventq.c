/* eventq.c — see eventq.h. */
#include "eventq.h"

#include <assert.h>
#include <stdlib.h>

#define EVENTQ_CAP_MIN 64

void sb_eventq_init(sb_eventq_t *q)
{
    q->heap = NULL;
    q->count = q->cap = 0;
    q->next_seq = 0;
}

void sb_eventq_free(sb_eventq_t *q)
{
    free(q->heap);
    sb_eventq_init(q);
}

static inline bool before(const sb_event_t *a, const sb_event_t *b)
{
    return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->seq < b->seq);
}

static int grow(sb_eventq_t *q)
{
    if (q->cap >= SB_EVENTQ_EVENTS_MAX)
        return -1;
    size_t cap = q->cap == 0 ? EVENTQ_CAP_MIN : q->cap * 2;
    if (cap > SB_EVENTQ_EVENTS_MAX)
        cap = SB_EVENTQ_EVENTS_MAX;
    sb_event_t *h = realloc(q->heap, cap * sizeof *h);
    if (h == NULL)
        return -1;
    q->heap = h;
    q->cap = cap;
    return 0;
}

int sb_eventq_push(sb_eventq_t *q, int64_t t_ns, int32_t kind, int32_t a, int64_t b)
{
    if (q->count == q->cap && grow(q) != 0)
        return -1;
    sb_event_t ev = { .t_ns = t_ns, .seq = q->next_seq++, .kind = kind, .a = a, .b = b };
    size_t i = q->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&ev, &q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ev;
    return 0;
}

bool sb_eventq_pop(sb_eventq_t *q, sb_event_t *out)
{
    if (q->count == 0)
        return false;
    *out = q->heap[0];
    sb_event_t last = q->heap[--q->count];
    size_t n = q->count, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!before(&q->heap[child], &last))
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (n > 0)
        q->heap[i] = last;
    assert(q->count == 0 || !before(&q->heap[0], out));
    return true;
}

const sb_event_t *sb_eventq_peek(const sb_eventq_t *q)
{
    return q->count > 0 ? &q->heap[0] : NULL;
}

void sb_eventq_clear(sb_eventq_t *q)
{
    q->count = 0;
}
