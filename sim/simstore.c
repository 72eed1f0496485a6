/* simstore.c — see simstore.h. */
#include "simstore.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_simstore_recs_push(sb_simstore_recs_t *r, sb_simstore_rec_t rec)
{
    if (r->n == r->cap) {
        if (r->cap >= SB_SIMSTORE_RECORDS_MAX)
            return -1;
        size_t cap = r->cap == 0 ? 16 : r->cap * 2;
        sb_simstore_rec_t *v = realloc(r->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = rec;
    return 0;
}

void sb_simstore_recs_free(sb_simstore_recs_t *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

void sb_simstore_init(sb_simstore_t *st, int tasks)
{
    assert(tasks >= 1);
    memset(st, 0, sizeof *st);
    st->tasks = tasks;
}

static void slot_free(sb_simstore_t *st, sb_simstore_checkpoint_t *cp)
{
    if (cp->tasks != NULL)
        for (int i = 0; i < st->tasks; i++) {
            sb_simstore_recs_free(&cp->tasks[i].channel_state);
            json_decref(cp->tasks[i].sink_state);
        }
    free(cp->tasks);
    memset(cp, 0, sizeof *cp);
}

void sb_simstore_free(sb_simstore_t *st)
{
    for (int i = 0; i < SB_SIMSTORE_SLOTS; i++)
        slot_free(st, &st->slots[i]);
    memset(st, 0, sizeof *st);
}

static sb_simstore_checkpoint_t *slot_find(const sb_simstore_t *st, int64_t id)
{
    for (int i = 0; i < SB_SIMSTORE_SLOTS; i++)
        if (st->slots[i].id == id)
            return (sb_simstore_checkpoint_t *)&st->slots[i];
    return NULL;
}

sb_simstore_snapshot_t *sb_simstore_put(sb_simstore_t *st, int64_t id, int task)
{
    assert(id > 0 && task >= 0 && task < st->tasks);
    sb_simstore_checkpoint_t *cp = slot_find(st, id);
    if (cp == NULL) {
        cp = slot_find(st, 0);
        if (cp == NULL)
            return NULL;
        cp->tasks = calloc((size_t)st->tasks, sizeof *cp->tasks);
        if (cp->tasks == NULL)
            return NULL;
        cp->id = id;
    }
    assert(!cp->completed);
    return &cp->tasks[task];
}

const sb_simstore_snapshot_t *sb_simstore_get(const sb_simstore_t *st, int64_t id, int task)
{
    assert(task >= 0 && task < st->tasks);
    const sb_simstore_checkpoint_t *cp = id > 0 ? slot_find(st, id) : NULL;
    return cp != NULL && cp->completed && cp->tasks[task].taken ? &cp->tasks[task] : NULL;
}

const sb_simstore_snapshot_t *sb_simstore_get_any(const sb_simstore_t *st, int64_t id, int task)
{
    assert(task >= 0 && task < st->tasks);
    const sb_simstore_checkpoint_t *cp = id > 0 ? slot_find(st, id) : NULL;
    return cp != NULL && cp->tasks[task].taken ? &cp->tasks[task] : NULL;
}

bool sb_simstore_completed(const sb_simstore_t *st, int64_t id)
{
    const sb_simstore_checkpoint_t *cp = id > 0 ? slot_find(st, id) : NULL;
    return cp != NULL && cp->completed;
}

int64_t sb_simstore_newest_held(const sb_simstore_t *st)
{
    int64_t newest = 0;
    for (int i = 0; i < SB_SIMSTORE_SLOTS; i++) {
        const sb_simstore_checkpoint_t *cp = &st->slots[i];
        bool any = cp->completed;
        for (int k = 0; cp->id > newest && !any && k < st->tasks; k++)
            any = cp->tasks[k].taken;
        if (any && cp->id > newest)
            newest = cp->id;
    }
    return newest;
}

void sb_simstore_complete(sb_simstore_t *st, int64_t id)
{
    sb_simstore_checkpoint_t *cp = slot_find(st, id);
    assert(cp != NULL && id > st->latest_completed);
    cp->completed = true;
    st->latest_completed = id;
    for (int i = 0; i < SB_SIMSTORE_SLOTS; i++)
        if (st->slots[i].id != 0 && st->slots[i].id < id)
            slot_free(st, &st->slots[i]); /* retention 1; older pending ones are subsumed */
}

void sb_simstore_discard(sb_simstore_t *st, int64_t id)
{
    sb_simstore_checkpoint_t *cp = slot_find(st, id);
    if (cp != NULL && !cp->completed && !st->keep_incomplete)
        slot_free(st, cp);
}

void sb_simstore_discard_incomplete(sb_simstore_t *st)
{
    if (st->keep_incomplete)
        return;
    for (int i = 0; i < SB_SIMSTORE_SLOTS; i++)
        if (st->slots[i].id != 0 && !st->slots[i].completed)
            slot_free(st, &st->slots[i]);
}
