/* coordinator.c — see coordinator.h. */
#include "coordinator.h"

#include <assert.h>
#include <string.h>

void sb_coord_init(sb_coord_t *c, const sb_coord_config_t *cfg, int64_t first_id,
                   int64_t now_ns)
{
    assert(cfg->interval_ns > 0 && cfg->timeout_ns > 0);
    assert(cfg->max_concurrent >= 1 && cfg->max_concurrent <= SB_COORD_PENDING_MAX);
    assert(cfg->tasks >= 1 && cfg->tasks <= SB_COORD_TASKS_MAX);
    assert(first_id >= 1);
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->next_id = first_id;
    c->start_ns = now_ns;
    c->last_trigger_ns = -1;
    c->last_end_ns = -1;
}

static void out_abort(sb_coord_out_t *out, int64_t id, sb_coord_abort_reason_t why)
{
    assert(out->aborts < SB_COORD_OUT_ABORTS_MAX);
    out->aborted_id[out->aborts] = id;
    out->aborted_reason[out->aborts] = why;
    out->aborts++;
}

static void remove_pending(sb_coord_t *c, int index)
{
    assert(index >= 0 && index < c->pending_count);
    c->pending[index] = c->pending[c->pending_count - 1];
    c->pending_count--;
}

static void count_failure(sb_coord_t *c, int64_t id, sb_coord_out_t *out)
{
    c->failed_consecutive++;
    if (c->failed_consecutive > c->cfg.tolerable_failed)
        out->job_failed = true;
    /* A failed final checkpoint must be retried, or the job never ends. */
    if (id == c->final_id)
        c->final_id = 0;
}

static void expire(sb_coord_t *c, int64_t now_ns, sb_coord_out_t *out)
{
    for (int i = c->pending_count - 1; i >= 0; i--) {
        sb_coord_pending_t *p = &c->pending[i];
        if (now_ns - p->trigger_ns < c->cfg.timeout_ns)
            continue;
        int64_t id = p->id;
        out_abort(out, id, SB_ABORT_TIMEOUT);
        remove_pending(c, i);
        c->last_end_ns = now_ns;
        count_failure(c, id, out);
    }
}

static bool trigger_due(const sb_coord_t *c, int64_t now_ns)
{
    if (c->final_completed || c->final_id != 0)
        return false; /* nothing after the final checkpoint */
    if (c->final_requested)
        return c->pending_count == 0;
    if (c->pending_count >= c->cfg.max_concurrent)
        return false;
    /* As in Flink, a min-pause allows one checkpoint at a time. */
    if (c->cfg.min_pause_ns > 0 && c->pending_count > 0)
        return false;
    int64_t since = c->last_trigger_ns >= 0 ? c->last_trigger_ns : c->start_ns;
    if (now_ns - since < c->cfg.interval_ns)
        return false;
    /* Flink's min-pause counts from the end of the last checkpoint. */
    if (c->last_end_ns >= 0 && now_ns - c->last_end_ns < c->cfg.min_pause_ns)
        return false;
    return true;
}

void sb_coord_tick(sb_coord_t *c, int64_t now_ns, sb_coord_out_t *out)
{
    memset(out, 0, sizeof *out);
    expire(c, now_ns, out);
    if (out->job_failed || !trigger_due(c, now_ns))
        return;
    assert(c->pending_count < SB_COORD_PENDING_MAX);
    sb_coord_pending_t *p = &c->pending[c->pending_count++];
    memset(p, 0, sizeof *p);
    p->id = c->next_id++;
    p->trigger_ns = now_ns;
    c->last_trigger_ns = now_ns;
    out->trigger_id = p->id;
    if (c->final_requested) {
        c->final_id = p->id;
        out->trigger_is_final = true;
    }
}

void sb_coord_ack(sb_coord_t *c, int64_t id, int task, int64_t now_ns,
                  sb_coord_out_t *out)
{
    memset(out, 0, sizeof *out);
    assert(task >= 0 && task < c->cfg.tasks);
    int index = -1;
    for (int i = 0; i < c->pending_count; i++)
        if (c->pending[i].id == id)
            index = i;
    if (index < 0)
        return;
    sb_coord_pending_t *p = &c->pending[index];
    assert(!p->acked[task]); /* one snapshot per task per checkpoint */
    p->acked[task] = true;
    p->acks++;
    if (p->acks < c->cfg.tasks)
        return;
    out->completed_id = id;
    remove_pending(c, index);
    c->last_completed_id = id;
    c->last_end_ns = now_ns;
    c->failed_before_completion = c->failed_consecutive;
    c->failed_consecutive = 0;
    if (id == c->final_id)
        c->final_completed = true;
    /* Older pending checkpoints are subsumed by this one. */
    for (int i = c->pending_count - 1; i >= 0; i--) {
        if (c->pending[i].id < id) {
            out_abort(out, c->pending[i].id, SB_ABORT_SUBSUMED);
            remove_pending(c, i);
        }
    }
}

void sb_coord_decline(sb_coord_t *c, int64_t id, int64_t now_ns, sb_coord_out_t *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < c->pending_count; i++)
        if (c->pending[i].id == id) {
            out_abort(out, id, SB_ABORT_DECLINED);
            remove_pending(c, i);
            c->last_end_ns = now_ns;
            count_failure(c, id, out);
            return;
        }
}

void sb_coord_fail(sb_coord_t *c, int64_t id, int64_t now_ns, sb_coord_out_t *out)
{
    memset(out, 0, sizeof *out);
    c->last_end_ns = now_ns;
    /* A checkpoint whose persisting failed did not complete: undo the reset
     * its last ack made, so consecutive failures keep counting. */
    if (id == c->last_completed_id)
        c->failed_consecutive = c->failed_before_completion;
    count_failure(c, id, out);
    if (c->final_completed && id == c->last_completed_id)
        c->final_completed = false;
}

void sb_coord_request_final(sb_coord_t *c)
{
    c->final_requested = true;
}

const char *sb_coord_abort_reason_name(sb_coord_abort_reason_t r)
{
    switch (r) {
    case SB_ABORT_TIMEOUT: return "timeout";
    case SB_ABORT_SUBSUMED: return "subsumed";
    case SB_ABORT_DECLINED: return "declined";
    case SB_ABORT_NONE: break;
    }
    return "none";
}
