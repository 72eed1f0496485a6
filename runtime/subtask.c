/* subtask.c — see subtask.h. */
#include "subtask.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- fields */

void sb_subtask_fields_add(sb_subtask_fields_t *f, const char *fmt, ...)
{
    if (f->overflow)
        return;
    size_t room = sizeof f->text - f->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->text + f->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        f->overflow = true;       /* a cut too wide for one line: the
                                     assert below catches it in tests */
        f->text[f->len] = '\0';
        return;
    }
    f->len += (size_t)n;
}

/* Not `= { 0 }`: that would clear the whole buffer for every event. */
static void fields_init(sb_subtask_fields_t *f)
{
    f->len = 0;
    f->overflow = false;
    f->text[0] = '\0';
}

/* A string field, escaped for JSON (error texts may hold quotes). */
static void fields_add_string(sb_subtask_fields_t *f, const char *key, const char *value)
{
    sb_subtask_fields_add(f, "%s\"%s\":\"", f->len ? "," : "", key);
    for (const char *s = value; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_subtask_fields_add(f, "\\%c", ch);
        else if (ch < 0x20)
            sb_subtask_fields_add(f, "\\u%04x", ch);
        else
            sb_subtask_fields_add(f, "%c", ch);
    }
    sb_subtask_fields_add(f, "\"");
}

static void emit(sb_subtask_t *st, const char *event, int64_t id, const sb_subtask_fields_t *f)
{
    assert(f == NULL || !f->overflow);
    st->ops->emit(st->ctx, event, id, f != NULL ? f->text : "", f != NULL ? f->len : 0);
}

static bool fail(sb_subtask_t *st, sb_err_t *err, int64_t id)
{
    sb_err_wrap(err, "%s: snapshot of checkpoint %" PRId64, st->name, id);
    st->ops->fail(st->ctx, err);
    return false;
}

bool sb_subtask_crash_point(sb_subtask_t *st, sb_crash_point_t point, int64_t id, bool final)
{
    return st->ops->crash_point == NULL || !st->ops->crash_point(st->ctx, point, id, final);
}

/* ------------------------------------------------------------- set-up */

static void capture_reset(sb_subtask_t *st)
{
    memset(st->capture_id, 0, sizeof st->capture_id);
    memset(st->captured_upto, 0, sizeof st->captured_upto);
    st->captured_records = 0;
}

void sb_subtask_init(sb_subtask_t *st, const sb_subtask_config_t *cfg,
                     const sb_subtask_ops_t *ops, void *ctx)
{
    assert(cfg->inputs_count >= 0 && cfg->inputs_count <= SB_BARRIER_INPUTS_MAX);
    assert((cfg->barrier == NULL) == (cfg->kind == SB_STAGE_SOURCE));
    assert((cfg->sink != NULL) == (cfg->kind == SB_STAGE_SINK));
    memset(st, 0, sizeof *st);
    st->ops = ops;
    st->ctx = ctx;
    st->barrier = cfg->barrier;
    st->sink = cfg->sink;
    snprintf(st->name, sizeof st->name, "%s", cfg->name);
    st->kind = cfg->kind;
    st->mutant = cfg->mutant;
    st->inputs_count = cfg->inputs_count;
    st->outputs_count = cfg->outputs_count;
    for (int c = 0; c < cfg->inputs_count; c++)
        st->input_channel[c] = cfg->input_channel[c];
    if (st->barrier != NULL && cfg->mutant == SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER)
        sb_barrier_set_mutant_no_alignment(st->barrier);
}

/* ------------------------------------------------------ the work record */

static void work_open(sb_subtask_t *st, int64_t id, int64_t trigger_ns, bool final)
{
    memset(&st->work, 0, sizeof st->work);
    st->work.id = id;
    st->work.trigger_ns = trigger_ns;
    st->work.final = final;
    st->work.started_ns = st->ops->now_ns(st->ctx);
}

static void work_close(sb_subtask_t *st)
{
    memset(&st->work, 0, sizeof st->work);
}

/* ------------------------------------------------------ channel state */

/* What of input c's capture range is still to copy: (*from, *to]. */
static bool capture_range(sb_subtask_t *st, int c, int64_t *from, int64_t *to)
{
    int64_t id;
    if (st->barrier == NULL || !sb_barrier_capture(st->barrier, c, &id, from, to) ||
        id != st->work.id)
        return false;
    if (st->capture_id[c] != id) {
        st->capture_id[c] = id;
        st->captured_upto[c] = *from;
    }
    if (st->captured_upto[c] > *from)
        *from = st->captured_upto[c];
    return *from < *to;
}

/* A channel state past its bound declines the checkpoint instead of
 * failing the job: the rest of the range is skipped. */
static void capture_copy(sb_subtask_t *st, int c, int64_t from, int64_t to, const void *reading)
{
    if (!st->work.overflow) {
        sb_err_t err = { { 0 } };
        if (st->ops->capture(st->ctx, c, from, to, reading, &err) == 0) {
            st->captured_records += to - from;
        } else {
            st->work.overflow = true;
            sb_subtask_fields_t f;
            fields_init(&f);
            fields_add_string(&f, "error", err.msg);
            emit(st, "channel_state_overflow", st->work.id, &f);
        }
    }
    st->captured_upto[c] = to;
}

void sb_subtask_capture_read(sb_subtask_t *st, int c, int64_t first, int64_t count,
                             const void *reading)
{
    int64_t from, to;
    if (!capture_range(st, c, &from, &to))
        return;
    int64_t lo = from > first ? from : first;
    int64_t hi = to < first + count ? to : first + count;
    if (lo < hi)
        capture_copy(st, c, lo, hi, reading);
}

/* Input c's barrier is known: copy the records it overtook, still queued,
 * without reading them (they are read later, in order). */
static void capture_overtaken(sb_subtask_t *st, int c)
{
    int64_t from, to;
    if (!capture_range(st, c, &from, &to))
        return;
    assert(to != SB_BARRIER_OPEN);
    assert(from >= sb_barrier_position(st->barrier, c));
    capture_copy(st, c, from, to, NULL);
}

/* ----------------------------------------------------------- snapshots */

/* Where the cut lies, for the consistent-cut checker (verify/cut.h): per
 * input the records read before the snapshot, per output the records
 * emitted before it; the state adds its own (offsets, pending uploads). */
static void cut_positions(sb_subtask_t *st, bool unaligned, sb_subtask_fields_t *f)
{
    sb_subtask_fields_add(f, "\"unaligned\":%s,\"inputs\":[", unaligned ? "true" : "false");
    for (int c = 0; c < st->inputs_count; c++)
        sb_subtask_fields_add(f, "%s[%d,%" PRId64 "]", c ? "," : "", st->input_channel[c],
                              sb_barrier_position(st->barrier, c));
    sb_subtask_fields_add(f, "],\"outputs\":[");
    for (int o = 0; o < st->outputs_count; o++) {
        int channel;
        int64_t emitted;
        st->ops->output_cut(st->ctx, o, &channel, &emitted);
        sb_subtask_fields_add(f, "%s[%d,%" PRId64 "]", o ? "," : "", channel, emitted);
    }
    sb_subtask_fields_add(f, "]");
}

/* The synchronous part of a snapshot, at the cut. Writing waits for the
 * channel state. */
static bool snapshot_take(sb_subtask_t *st, int64_t id, bool unaligned)
{
    sb_subtask_work_t *w = &st->work;
    assert(w->id == id);
    w->snapshot_ns = st->ops->now_ns(st->ctx);
    w->unaligned = unaligned;
    sb_subtask_fields_t fields, *f = &fields;
    fields_init(f);
    cut_positions(st, unaligned, f);
    sb_err_t err = { { 0 } };
    /* A sink's phase one: its epoch becomes a pending upload of `id`.
     * When the store refuses it, the checkpoint is declined (at its
     * finish) and the epoch stays buffered for the next one. */
    if (st->sink != NULL) {
        if (sb_sink_stage(st->sink, id, &err) != 0)
            snprintf(w->storage_error, sizeof w->storage_error, "%s", err.msg);
        else
            st->last_snapshot_id = id;
    }
    if (st->ops->take_state(st->ctx, id, unaligned, f, &err) != 0)
        return fail(st, &err, id);
    if (st->sink != NULL) { /* the cut's uploads: what a restore publishes */
        sb_subtask_fields_add(f, ",\"pending\":[");
        for (int i = 0; i < st->sink->pending_count; i++)
            sb_subtask_fields_add(f, "%s\"%s\"", i ? "," : "", st->sink->pending[i].key);
        sb_subtask_fields_add(f, "]");
    }
    if (st->kind == SB_STAGE_SINK &&
        !sb_subtask_crash_point(st, SB_POINT_SINK_AFTER_UPLOAD, id, w->final))
        return false;
    if (unaligned)
        capture_reset(st);
    w->synced_ns = st->ops->now_ns(st->ctx);
    emit(st, "snapshot", id, f);
    return true;
}

/* What the channel state holds: per input, the positions (from, to] of
 * the records recorded, and the totals. */
static void trace_channel_state(sb_subtask_t *st, int64_t id, int64_t bytes)
{
    sb_subtask_fields_t f;
    fields_init(&f);
    sb_subtask_fields_add(&f, "\"ranges\":[");
    bool first = true;
    for (int c = 0; c < st->inputs_count; c++) {
        int64_t cid, from, to;
        if (!sb_barrier_capture(st->barrier, c, &cid, &from, &to) || cid != id)
            continue;
        assert(to != SB_BARRIER_OPEN);
        sb_subtask_fields_add(&f, "%s[%d,%" PRId64 ",%" PRId64 "]", first ? "" : ",",
                              st->input_channel[c], from, to);
        first = false;
    }
    sb_subtask_fields_add(&f, "],\"records\":%" PRId64 ",\"bytes\":%" PRId64,
                          st->captured_records, bytes);
    emit(st, "channel_state", id, &f);
}

/* The rest, once the channel state is complete: persist the snapshot and
 * its channel state, then acknowledge. */
static bool snapshot_finish(sb_subtask_t *st, int64_t id)
{
    sb_subtask_work_t *w = &st->work;
    assert(w->id == id);
    if (w->overflow) {
        sb_subtask_fields_t f;
        fields_init(&f);
        fields_add_string(&f, "reason", "channel state too large");
        emit(st, "checkpoint_declined", id, &f);
        st->ops->ack(st->ctx, &(sb_subtask_ack_t){ .checkpoint_id = id, .declined = true });
        work_close(st);
        return true;
    }
    sb_subtask_persisted_t done = { 0 };
    sb_err_t err = { { 0 } };
    if (w->storage_error[0] != '\0' ||
        st->ops->persist(st->ctx, id, w->unaligned, &done, &err) != 0) {
        /* Storage refused this subtask's part (a full or failing disk): the
         * checkpoint fails, not the job; the coordinator counts it against
         * tolerable-failed-checkpoints. */
        sb_subtask_fields_t f;
        fields_init(&f);
        fields_add_string(&f, "reason", "storage");
        const char *why = w->storage_error[0] ? w->storage_error : err.msg;
        fields_add_string(&f, "error", why);
        emit(st, "checkpoint_declined", id, &f);
        if (st->ops->warn != NULL) {
            sb_err_t note;
            sb_err_set(&note, "checkpoint %" PRId64 " declined: %s", id, why);
            st->ops->warn(st->ctx, &note);
        }
        st->ops->ack(st->ctx, &(sb_subtask_ack_t){ .checkpoint_id = id, .declined = true });
        work_close(st);
        return true;
    }
    if (w->unaligned)
        trace_channel_state(st, id, done.inflight_bytes);
    if (st->kind == SB_STAGE_SINK && st->mutant == SB_MUTANT_COMMIT_BEFORE_COMPLETE) {
        int rc = st->ops->sink_commit(st->ctx, id, &err); /* the deliberate bug: publish
                                                             before it completes */
        if (rc < 0)
            return fail(st, &err, id);
        if (rc > 0)
            return false; /* it died between two uploads */
    }
    int64_t now = st->ops->now_ns(st->ctx);
    sb_subtask_fields_t f;
    fields_init(&f);
    sb_subtask_fields_add(&f, "\"trigger_ns\":%" PRId64 ",\"start_delay_ns\":%" PRId64
                          ",\"alignment_ns\":%" PRId64 ",\"sync_ns\":%" PRId64
                          ",\"async_ns\":%" PRId64 ",\"state_bytes\":%" PRId64
                          ",\"inflight_records\":%" PRId64 ",\"inflight_bytes\":%" PRId64
                          ",\"unaligned\":%s,\"timed_out\":%s",
                          w->trigger_ns, w->started_ns - w->trigger_ns,
                          w->snapshot_ns - w->started_ns, w->synced_ns - w->snapshot_ns,
                          now - w->synced_ns, done.state_bytes, done.inflight_records,
                          done.inflight_bytes, w->unaligned ? "true" : "false",
                          w->timed_out ? "true" : "false");
    emit(st, "ack", id, &f);
    sb_crash_point_t point = st->kind == SB_STAGE_SINK     ? SB_POINT_SINK_AFTER_SNAPSHOT
                             : st->kind != SB_STAGE_SOURCE ? SB_POINT_OPERATOR_AFTER_SNAPSHOT
                                                           : SB_POINT_NONE;
    if (point != SB_POINT_NONE && !sb_subtask_crash_point(st, point, id, w->final))
        return false;
    st->ops->ack(st->ctx, &(sb_subtask_ack_t){
                              .checkpoint_id = id, .state_bytes = done.state_bytes,
                              .inflight_records = done.inflight_records,
                              .inflight_bytes = done.inflight_bytes, .unaligned = w->unaligned });
    work_close(st);
    return true;
}

/* Barrier id goes to every output, after the records before it; each
 * send is traced with its channel and position. */
static bool forward(sb_subtask_t *st, int64_t id, int64_t trigger_ns, bool unaligned,
                    bool final)
{
    sb_barrier_announcement_t a = { .checkpoint_id = id, .trigger_ns = trigger_ns,
                                    .unaligned = unaligned, .final = final };
    if (!st->ops->forward_barrier(st->ctx, &a))
        return false;
    for (int o = 0; o < st->outputs_count; o++) {
        int channel;
        int64_t position;
        st->ops->output_cut(st->ctx, o, &channel, &position);
        sb_subtask_fields_t f;
        fields_init(&f);
        sb_subtask_fields_add(&f, "\"channel\":%d,\"position\":%" PRId64 ",\"unaligned\":%s",
                              channel, position, unaligned ? "true" : "false");
        emit(st, "barrier_sent", id, &f);
    }
    return true;
}

/* ------------------------------------------------------------ actions */

/* Carries out what the barrier handler decided, once, in the protocol's
 * order: bookkeeping and trace, snapshot, forward, capture, finish, end. */
static bool apply_once(sb_subtask_t *st, const sb_barrier_actions_t *a)
{
    const sb_barrier_t *h = st->barrier;
    int64_t id = a->checkpoint_id;
    if (a->dropped_id != 0)
        emit(st, "barrier_dropped", a->dropped_id, NULL);
    if (a->abandoned_id != 0) {
        emit(st, "alignment_abandoned", a->abandoned_id, NULL);
        if (st->work.id == a->abandoned_id)
            work_close(st);
    }
    if ((a->alignment_started || a->snapshot) && st->work.id != id)
        work_open(st, id, h->current_trigger_ns, h->current_final);
    assert(a->arrived == 0 || id != 0); /* an arrival always names its checkpoint */
    for (int c = 0; c < st->inputs_count; c++)
        if (a->arrived & (1ull << c)) {
            sb_subtask_fields_t f;
            fields_init(&f);
            sb_subtask_fields_add(&f, "\"channel\":%d,\"position\":%" PRId64,
                                  st->input_channel[c], sb_barrier_position(h, c));
            emit(st, "barrier_reached", id, &f);
        }
    bool aligns = st->inputs_count > 1; /* one input has nothing to align */
    if (a->alignment_started && aligns)
        emit(st, "alignment_started", id, NULL);
    if (a->timed_out) {
        st->work.timed_out = true;
        emit(st, "alignment_timeout", id, NULL);
    }
    if (a->alignment_ended && aligns)
        emit(st, "alignment_ended", id, NULL);
    if (a->snapshot && !snapshot_take(st, id, a->unaligned))
        return false;
    if (a->forward && !forward(st, id, st->work.trigger_ns, a->unaligned, st->work.final))
        return false;
    for (int c = 0; c < st->inputs_count; c++)
        if (a->capture_bounded & (1ull << c))
            capture_overtaken(st, c);
    if (a->channel_state_complete && !snapshot_finish(st, id))
        return false;
    if (a->end_of_input) {
        st->input_ended = true;
        if (!st->ops->end_of_input(st->ctx))
            return false;
    }
    if ((a->alignment_ended || a->snapshot || a->abandoned_id != 0) && st->ops->unblocked)
        st->ops->unblocked(st->ctx);
    return true;
}

/* The actions, and the further barriers waiting at the same position of
 * input c (a->again). */
static bool apply(sb_subtask_t *st, int c, sb_barrier_actions_t *a)
{
    for (;;) {
        if (!apply_once(st, a))
            return false;
        if (!a->again)
            return true;
        assert(c >= 0);
        sb_barrier_on_records(st->barrier, c, 0, a);
    }
}

bool sb_subtask_announce(sb_subtask_t *st, int c, const sb_barrier_announcement_t *a)
{
    sb_subtask_fields_t f;
    fields_init(&f);
    sb_subtask_fields_add(&f, "\"channel\":%d,\"position\":%" PRId64 ",\"read\":%" PRId64
                          ",\"unaligned\":%s", st->input_channel[c], a->position,
                          sb_barrier_position(st->barrier, c), a->unaligned ? "true" : "false");
    emit(st, "barrier_received", a->checkpoint_id, &f);
    sb_barrier_actions_t act;
    sb_barrier_on_announce(st->barrier, c, a, st->ops->now_ns(st->ctx), &act);
    return apply(st, c, &act);
}

bool sb_subtask_records_read(sb_subtask_t *st, int c, int64_t count)
{
    sb_barrier_actions_t a;
    sb_barrier_on_records(st->barrier, c, count, &a);
    return apply(st, c, &a);
}

bool sb_subtask_end_of_input(sb_subtask_t *st, int c, bool *ended)
{
    sb_barrier_actions_t a;
    sb_barrier_on_end_of_input(st->barrier, c, &a);
    if (ended != NULL)
        *ended = a.end_of_input;
    return apply(st, c, &a);
}

bool sb_subtask_tick(sb_subtask_t *st)
{
    sb_barrier_actions_t a;
    sb_barrier_on_tick(st->barrier, st->ops->now_ns(st->ctx), &a);
    return apply(st, -1, &a);
}

/* Each round takes at least one announcement off a queue, which bounds
 * the rounds. */
bool sb_subtask_arrive_due(sb_subtask_t *st)
{
    int rounds_max = st->inputs_count * SB_BARRIER_PENDING_MAX + 1;
    for (int round = 0; !st->input_ended; round++) {
        assert(round < rounds_max);
        (void)rounds_max;
        bool any = false;
        for (int c = 0; c < st->inputs_count && !st->input_ended; c++)
            if (sb_barrier_is_due(st->barrier, c)) {
                if (!sb_subtask_records_read(st, c, 0))
                    return false;
                any = true;
            }
        if (!any)
            return true;
    }
    return true;
}

/* ------------------------------------------------------------ sources */

bool sb_subtask_source_trigger(sb_subtask_t *st, int64_t id, int64_t trigger_ns, bool final)
{
    assert(st->kind == SB_STAGE_SOURCE);
    work_open(st, id, trigger_ns, final);
    if (st->mutant == SB_MUTANT_SOURCE_SNAPSHOT_LATE) {
        /* The deliberate bug: the barrier leaves, more records follow it,
         * then the offsets are taken, so they count records that are after
         * the cut downstream; a restore skips them. */
        if (!forward(st, id, trigger_ns, false, final) || !st->ops->emit_more(st->ctx) ||
            !snapshot_take(st, id, false) || !snapshot_finish(st, id))
            return false;
    } else if (!snapshot_take(st, id, false) || !snapshot_finish(st, id) ||
               !forward(st, id, trigger_ns, false, final)) {
        return false;
    }
    return sb_subtask_crash_point(st, SB_POINT_SOURCE_AFTER_BARRIER, id, final);
}

/* ---------------------------------------------------------------- sink */

bool sb_subtask_completed(sb_subtask_t *st, int64_t upto, bool final)
{
    assert(st->kind == SB_STAGE_SINK);
    sb_err_t err = { { 0 } };
    int rc = st->ops->sink_commit(st->ctx, upto, &err);
    if (rc < 0)
        st->ops->fail(st->ctx, &err);
    if (rc != 0)
        return false; /* failed, or died between two uploads */
    return sb_subtask_crash_point(st, SB_POINT_SINK_AFTER_COMMIT, upto, final);
}
