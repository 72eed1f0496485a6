/* ckstats.c — see ckstats.h.
 *
 * Invariants while reading: checkpoints stay sorted by id (binary search,
 * insertion in place; ids arrive almost always in increasing order, so an
 * insertion is nearly always an append); a checkpoint is open (status
 * UNFINISHED) until its first terminal event (completed, aborted, or its
 * worker's death), and later terminal events do not change it. trigger_ns
 * holds the absolute trigger time (-1: none seen) until the trace has been
 * read, then the time since the run's origin. */
#include "ckstats.h"

#include "fsutil.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"

#define PATH_BYTES_MAX 4096

const char *sb_ckstats_status_name(sb_ckstats_status_t s)
{
    switch (s) {
    case SB_CKSTATS_UNFINISHED: return "unfinished";
    case SB_CKSTATS_COMPLETED: return "completed";
    case SB_CKSTATS_ABORTED: return "aborted";
    }
    return "?";
}

/* ------------------------------------------------------------ reading */

typedef struct reader {
    sb_ckstats_t *st;
    const char *path;
    int line_no;                 /* of the event being visited */
    bool first_seen;
    int64_t first_ns;            /* the first line's t_ns */
    bool run_started_seen;
    int64_t run_started_ns;
    bool flink;                  /* a job_graph said "engine": "flink" */
    sb_err_t *err;
} reader_t;

static int64_t opt_int(const json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(ev, key)); /* 0 if missing */
}

static bool opt_bool(const json_t *ev, const char *key)
{
    return json_is_true(json_object_get(ev, key));
}

static int64_t max_i64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Index of the first checkpoint whose id is >= id. */
static int64_t lower_bound(const sb_ckstats_t *st, int64_t id)
{
    int64_t lo = 0, hi = st->checkpoints_count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (st->checkpoints[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static sb_ckstats_checkpoint_t *checkpoint_get(reader_t *r, int64_t id)
{
    sb_ckstats_t *st = r->st;
    int64_t at = lower_bound(st, id);
    if (at < st->checkpoints_count && st->checkpoints[at].id == id)
        return &st->checkpoints[at];
    if (st->checkpoints_count == SB_CKSTATS_CHECKPOINTS_MAX) {
        sb_err_set(r->err, "%s:%d: more than %d checkpoints in one trace", r->path, r->line_no,
                   SB_CKSTATS_CHECKPOINTS_MAX);
        return NULL;
    }
    if (st->checkpoints_count == st->checkpoints_cap) {
        int64_t cap = st->checkpoints_cap == 0 ? 16 : st->checkpoints_cap * 2;
        void *p = realloc(st->checkpoints, (size_t)cap * sizeof *st->checkpoints);
        if (p == NULL) {
            sb_err_set(r->err, "%s:%d: out of memory for %" PRId64 " checkpoints", r->path,
                       r->line_no, cap);
            return NULL;
        }
        st->checkpoints = p;
        st->checkpoints_cap = cap;
    }
    sb_ckstats_checkpoint_t *c = &st->checkpoints[at];
    memmove(c + 1, c, (size_t)(st->checkpoints_count - at) * sizeof *c);
    st->checkpoints_count++;
    *c = (sb_ckstats_checkpoint_t){
        .id = id,
        .status = SB_CKSTATS_UNFINISHED,
        .trigger_ns = -1,
        .duration_ns = -1,
        .alignment_max_ns = -1,
        .start_delay_max_ns = -1,
    };
    return c;
}

static void checkpoint_close(sb_ckstats_checkpoint_t *c, sb_ckstats_status_t status,
                             const char *reason, int64_t t_ns)
{
    assert(c->status == SB_CKSTATS_UNFINISHED);
    assert(status != SB_CKSTATS_UNFINISHED);
    c->status = status;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    c->duration_ns = c->trigger_ns >= 0 ? t_ns - c->trigger_ns : -1;
}

static int on_triggered(reader_t *r, sb_ckstats_checkpoint_t *c, const json_t *ev, int64_t t_ns)
{
    if (c->trigger_ns >= 0)
        return sb_err_set(r->err, "%s:%d: checkpoint %" PRId64 " triggered twice", r->path,
                          r->line_no, c->id);
    c->trigger_ns = t_ns;
    c->final = c->final || opt_bool(ev, "final");
    return 0;
}

/* A Flink run's own figures on an event (runtime/flink_stats.h), kept for
 * checkpoints.json; NULL when the event has none. */
static json_t *flink_of(const json_t *ev)
{
    json_t *f = json_object_get(ev, "flink");
    return json_is_object(f) ? json_incref(f) : NULL;
}

static bool has_ack_from(const sb_ckstats_checkpoint_t *c, const char *task)
{
    for (int i = 0; i < c->subtasks_count; i++)
        if (strcmp(c->subtasks[i].task, task) == 0)
            return true;
    return false;
}

static int on_ack(reader_t *r, sb_ckstats_checkpoint_t *c, const json_t *ev, int64_t t_ns)
{
    sb_ckstats_subtask_t s = { .ack_ns = -1 };
    const char *task = json_string_value(json_object_get(ev, "task"));
    snprintf(s.task, sizeof s.task, "%s", task != NULL ? task : "");
    /* Ids do not repeat, so a second ack of a task is a duplicated line. */
    if (has_ack_from(c, s.task))
        return 0;
    if (c->subtasks_count == SB_CKSTATS_SUBTASKS_MAX)
        return sb_err_set(r->err, "%s:%d: more than %d acks for checkpoint %" PRId64, r->path,
                          r->line_no, SB_CKSTATS_SUBTASKS_MAX, c->id);
    if (c->subtasks_count == c->subtasks_cap) {
        int cap = c->subtasks_cap == 0 ? 4 : c->subtasks_cap * 2;
        void *p = realloc(c->subtasks, (size_t)cap * sizeof *c->subtasks);
        if (p == NULL)
            return sb_err_set(r->err, "%s:%d: out of memory for %d acks", r->path, r->line_no,
                              cap);
        c->subtasks = p;
        c->subtasks_cap = cap;
    }
    /* The coordinator's trigger time, else the one the subtask was told. */
    int64_t trigger_ns = c->trigger_ns >= 0 ? c->trigger_ns : opt_int(ev, "trigger_ns");
    if (c->trigger_ns >= 0 || trigger_ns > 0)
        s.ack_ns = t_ns - trigger_ns;
    s.start_delay_ns = opt_int(ev, "start_delay_ns");
    s.alignment_ns = opt_int(ev, "alignment_ns");
    s.sync_ns = opt_int(ev, "sync_ns");
    s.async_ns = opt_int(ev, "async_ns");
    s.state_bytes = opt_int(ev, "state_bytes");
    s.inflight_records = opt_int(ev, "inflight_records");
    s.inflight_bytes = opt_int(ev, "inflight_bytes");
    s.unaligned = opt_bool(ev, "unaligned");
    s.timed_out = opt_bool(ev, "timed_out");
    s.flink = flink_of(ev);

    if (c->subtasks_count == 0)
        c->state_bytes = 0; /* acks are the source; drop a completion's figure */
    c->subtasks[c->subtasks_count++] = s;
    c->state_bytes += s.state_bytes;
    c->inflight_records += s.inflight_records;
    c->inflight_bytes += s.inflight_bytes;
    c->alignment_max_ns = max_i64(c->alignment_max_ns, s.alignment_ns);
    c->start_delay_max_ns = max_i64(c->start_delay_max_ns, s.start_delay_ns);
    c->unaligned = c->unaligned || s.unaligned;
    c->timed_out = c->timed_out || s.timed_out;
    return 0;
}

static void on_completed(sb_ckstats_checkpoint_t *c, const json_t *ev, int64_t t_ns)
{
    if (c->status != SB_CKSTATS_UNFINISHED)
        return;
    checkpoint_close(c, SB_CKSTATS_COMPLETED, "", t_ns);
    c->flink = flink_of(ev);
    c->final = c->final || opt_bool(ev, "final");
    if (c->subtasks_count == 0)
        c->state_bytes = opt_int(ev, "state_bytes");
}

static void on_aborted(sb_ckstats_checkpoint_t *c, const json_t *ev, int64_t t_ns)
{
    if (c->status != SB_CKSTATS_UNFINISHED)
        return;
    const char *reason = json_string_value(json_object_get(ev, "reason"));
    const char *error = json_string_value(json_object_get(ev, "error"));
    char text[SB_CKSTATS_REASON_BYTES_MAX];
    if (error != NULL)
        snprintf(text, sizeof text, "%s: %s", reason != NULL ? reason : "unknown", error);
    else
        snprintf(text, sizeof text, "%s", reason != NULL ? reason : "unknown");
    checkpoint_close(c, SB_CKSTATS_ABORTED, text, t_ns);
    c->flink = flink_of(ev);
}

/* The worker incarnation died: what it left open can never finish, since a
 * later incarnation triggers new ids. */
static void on_worker_gone(sb_ckstats_t *st, const char *reason, int64_t t_ns)
{
    for (int64_t i = 0; i < st->checkpoints_count; i++)
        if (st->checkpoints[i].status == SB_CKSTATS_UNFINISHED)
            checkpoint_close(&st->checkpoints[i], SB_CKSTATS_ABORTED, reason, t_ns);
}

static bool is_checkpoint_event(const char *name)
{
    return strcmp(name, "checkpoint_triggered") == 0 || strcmp(name, "ack") == 0 ||
           strcmp(name, "checkpoint_completed") == 0 ||
           strcmp(name, "checkpoint_aborted") == 0 || strcmp(name, "alignment_abandoned") == 0;
}

static int on_checkpoint_event(reader_t *r, const char *name, const json_t *ev, int64_t t_ns)
{
    json_t *id = json_object_get(ev, "checkpoint");
    if (!json_is_integer(id))
        return sb_err_set(r->err, "%s:%d: %s without an integer \"checkpoint\"", r->path,
                          r->line_no, name);
    sb_ckstats_checkpoint_t *c = checkpoint_get(r, json_integer_value(id));
    if (c == NULL)
        return -1;
    if (strcmp(name, "checkpoint_triggered") == 0)
        return on_triggered(r, c, ev, t_ns);
    if (strcmp(name, "ack") == 0)
        return on_ack(r, c, ev, t_ns);
    if (strcmp(name, "checkpoint_completed") == 0)
        on_completed(c, ev, t_ns);
    else if (strcmp(name, "checkpoint_aborted") == 0)
        on_aborted(c, ev, t_ns);
    else
        c->abandoned_count++;
    return 0;
}

static int on_event(json_t *ev, void *ctx)
{
    reader_t *r = ctx;
    r->line_no++; /* sb_trace_read visits every line, in order, until one fails */
    const char *name = json_string_value(json_object_get(ev, "event"));
    if (name == NULL)
        return sb_err_set(r->err, "%s:%d: no \"event\" string", r->path, r->line_no);
    json_t *t = json_object_get(ev, "t_ns");
    if (json_is_integer(t) && !r->first_seen) {
        r->first_seen = true;
        r->first_ns = json_integer_value(t);
    }
    bool checkpoint_event = is_checkpoint_event(name);
    bool worker_gone = strcmp(name, "crash") == 0 || strcmp(name, "worker_failed") == 0;
    if (strcmp(name, "run_started") == 0 && json_is_integer(t) && !r->run_started_seen) {
        r->run_started_seen = true;
        r->run_started_ns = json_integer_value(t);
    }
    if (strcmp(name, "job_graph") == 0) {
        const char *engine = json_string_value(json_object_get(ev, "engine"));
        r->flink = engine != NULL && strcmp(engine, "flink") == 0;
    }
    /* On Flink a killed TaskManager does not end the checkpoints in
     * flight: the JobManager's coordinator does, and its statistics say
     * which completed and which were aborted, and why. */
    if (worker_gone && r->flink)
        return 0;
    if (!checkpoint_event && !worker_gone)
        return 0;
    /* Durations from a missing time would be nonsense; abandonment needs none. */
    if (!json_is_integer(t) && strcmp(name, "alignment_abandoned") != 0)
        return sb_err_set(r->err, "%s:%d: %s without an integer \"t_ns\"", r->path, r->line_no,
                          name);
    int64_t t_ns = json_integer_value(t);
    if (checkpoint_event)
        return on_checkpoint_event(r, name, ev, t_ns);
    on_worker_gone(r->st, strcmp(name, "crash") == 0 ? "worker crashed" : "worker failed", t_ns);
    return 0;
}

int sb_ckstats_from_trace(sb_ckstats_t *st, const char *trace_path, sb_err_t *err)
{
    memset(st, 0, sizeof *st);
    reader_t r = { .st = st, .path = trace_path, .err = err };
    int truncated = 0;
    if (sb_trace_read(trace_path, on_event, &r, &truncated, err) != 0)
        return -1;
    st->truncated = truncated != 0;
    int64_t origin_ns = r.run_started_seen ? r.run_started_ns : r.first_ns;
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        assert(i == 0 || st->checkpoints[i - 1].id < c->id);
        if (c->trigger_ns >= 0)
            c->trigger_ns -= origin_ns;
        if (c->status == SB_CKSTATS_UNFINISHED)
            snprintf(c->reason, sizeof c->reason, "run ended");
    }
    return 0;
}

void sb_ckstats_free(sb_ckstats_t *st)
{
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        for (int k = 0; k < c->subtasks_count; k++)
            json_decref(c->subtasks[k].flink);
        json_decref(c->flink);
        free(c->subtasks);
    }
    free(st->checkpoints);
    memset(st, 0, sizeof *st);
}

/* ------------------------------------------------------------ summary */

/* A per-checkpoint figure; negative means unknown (left out). */
typedef int64_t (*figure_fn)(const sb_ckstats_checkpoint_t *c);

static int64_t figure_duration(const sb_ckstats_checkpoint_t *c)
{
    return c->duration_ns;
}

static int64_t figure_alignment(const sb_ckstats_checkpoint_t *c)
{
    return c->alignment_max_ns;
}

static int64_t figure_start_delay(const sb_ckstats_checkpoint_t *c)
{
    return c->start_delay_max_ns;
}

/* How many completed checkpoints have a known figure <= v. */
static int64_t count_at_most(const sb_ckstats_t *st, figure_fn f, int64_t v)
{
    int64_t n = 0;
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        const sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        int64_t x = f(c);
        n += c->status == SB_CKSTATS_COMPLETED && x >= 0 && x <= v;
    }
    return n;
}

/* The k-th smallest value (1-based) in [lo, hi], by bisection over the
 * values: the summary needs no allocation, so it cannot fail. */
static int64_t kth_smallest(const sb_ckstats_t *st, figure_fn f, int64_t k, int64_t lo,
                            int64_t hi)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (count_at_most(st, f, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Nearest rank: the smallest value with at least p% of the values <= it. */
static int64_t rank_of(int percent, int64_t n)
{
    int64_t rank = (percent * n + 99) / 100;
    return rank < 1 ? 1 : rank;
}

static sb_ckstats_dist_t dist_of(const sb_ckstats_t *st, figure_fn f)
{
    sb_ckstats_dist_t d = { -1, -1, -1 };
    int64_t n = 0, min = INT64_MAX;
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        const sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        int64_t x = f(c);
        if (c->status != SB_CKSTATS_COMPLETED || x < 0)
            continue;
        n++;
        min = x < min ? x : min;
        d.max = max_i64(d.max, x);
    }
    if (n == 0)
        return d;
    d.p50 = kth_smallest(st, f, rank_of(50, n), min, d.max);
    d.p99 = kth_smallest(st, f, rank_of(99, n), min, d.max);
    return d;
}

/* Grouped by the reason's head ("persist_failed: <error>" -> "persist_failed"). */
static void reason_add(sb_ckstats_summary_t *s, const char *reason)
{
    size_t head = strcspn(reason, ":");
    for (int i = 0; i < s->aborted_reasons_count; i++) {
        sb_ckstats_reason_count_t *rc = &s->aborted_reasons[i];
        if (strlen(rc->reason) == head && strncmp(rc->reason, reason, head) == 0) {
            rc->count++;
            return;
        }
    }
    if (s->aborted_reasons_count == SB_CKSTATS_REASONS_MAX) {
        sb_ckstats_reason_count_t *last = &s->aborted_reasons[SB_CKSTATS_REASONS_MAX - 1];
        snprintf(last->reason, sizeof last->reason, "other");
        last->count++;
        return;
    }
    sb_ckstats_reason_count_t *rc = &s->aborted_reasons[s->aborted_reasons_count++];
    snprintf(rc->reason, sizeof rc->reason, "%.*s", (int)head, reason);
    rc->count = 1;
}

void sb_ckstats_summarize(const sb_ckstats_t *st, sb_ckstats_summary_t *out)
{
    memset(out, 0, sizeof *out);
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        const sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        if (c->status == SB_CKSTATS_ABORTED) {
            out->aborted_count++;
            reason_add(out, c->reason);
            continue;
        }
        if (c->status == SB_CKSTATS_UNFINISHED) {
            out->unfinished_count++;
            continue;
        }
        assert(c->status == SB_CKSTATS_COMPLETED);
        out->completed_count++;
        out->unaligned_count += c->unaligned;
        out->inflight_records_total += c->inflight_records;
        out->inflight_bytes_total += c->inflight_bytes;
        out->inflight_records_max = max_i64(out->inflight_records_max, c->inflight_records);
        out->inflight_bytes_max = max_i64(out->inflight_bytes_max, c->inflight_bytes);
    }
    out->duration_ns = dist_of(st, figure_duration);
    out->alignment_ns = dist_of(st, figure_alignment);
    out->start_delay_ns = dist_of(st, figure_start_delay);
}

/* --------------------------------------------------------------- JSON */

/* -1 (unknown) is null. */
static json_t *ns_json(int64_t ns)
{
    return ns < 0 ? json_null() : json_integer((json_int_t)ns);
}

static void dist_set(json_t *o, const char *name, const sb_ckstats_dist_t *d)
{
    char key[64];
    snprintf(key, sizeof key, "%s_p50", name);
    json_object_set_new(o, key, ns_json(d->p50));
    snprintf(key, sizeof key, "%s_p99", name);
    json_object_set_new(o, key, ns_json(d->p99));
    snprintf(key, sizeof key, "%s_max", name);
    json_object_set_new(o, key, ns_json(d->max));
}

static json_t *summary_json(const sb_ckstats_t *st, const sb_ckstats_summary_t *s)
{
    json_t *reasons = json_object();
    for (int i = 0; i < s->aborted_reasons_count; i++)
        json_object_set_new(reasons, s->aborted_reasons[i].reason,
                            json_integer((json_int_t)s->aborted_reasons[i].count));
    json_t *o = json_pack(
        "{s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:b}", "completed_count",
        (json_int_t)s->completed_count, "aborted_count", (json_int_t)s->aborted_count,
        "unfinished_count", (json_int_t)s->unfinished_count, "aborted_reasons", reasons,
        "unaligned_count", (json_int_t)s->unaligned_count, "inflight_records_total",
        (json_int_t)s->inflight_records_total, "inflight_records_max",
        (json_int_t)s->inflight_records_max, "inflight_bytes_total",
        (json_int_t)s->inflight_bytes_total, "inflight_bytes_max",
        (json_int_t)s->inflight_bytes_max, "trace_truncated", st->truncated);
    if (o == NULL)
        return NULL;
    dist_set(o, "duration_ns", &s->duration_ns);
    dist_set(o, "alignment_ns", &s->alignment_ns);
    dist_set(o, "start_delay_ns", &s->start_delay_ns);
    return o;
}

/* o with a copy of Flink's figures under "flink", when there are any. */
static json_t *with_flink(json_t *o, const json_t *flink)
{
    if (o != NULL && flink != NULL)
        json_object_set_new(o, "flink", json_deep_copy(flink));
    return o;
}

static json_t *subtask_json(const sb_ckstats_subtask_t *s)
{
    return with_flink(json_pack("{s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b}", "task", s->task, "ack_ns",
                     ns_json(s->ack_ns), "start_delay_ns", (json_int_t)s->start_delay_ns,
                     "alignment_ns", (json_int_t)s->alignment_ns, "sync_ns",
                     (json_int_t)s->sync_ns, "async_ns", (json_int_t)s->async_ns,
                     "state_bytes", (json_int_t)s->state_bytes, "inflight_records",
                     (json_int_t)s->inflight_records, "inflight_bytes",
                     (json_int_t)s->inflight_bytes, "unaligned", s->unaligned, "timed_out",
                     s->timed_out), s->flink);
}

static json_t *checkpoint_json(const sb_ckstats_checkpoint_t *c)
{
    json_t *subtasks = json_array();
    for (int i = 0; i < c->subtasks_count; i++)
        json_array_append_new(subtasks, subtask_json(&c->subtasks[i]));
    return with_flink(json_pack(
        "{s:I,s:s,s:o,s:b,s:o,s:o,s:b,s:b,s:I,s:I,s:I,s:o,s:o,s:i,s:o}", "id", (json_int_t)c->id,
        "status", sb_ckstats_status_name(c->status), "reason",
        c->reason[0] != '\0' ? json_string(c->reason) : json_null(), "final", c->final,
        "trigger_ns", ns_json(c->trigger_ns), "duration_ns", ns_json(c->duration_ns),
        "unaligned", c->unaligned, "timed_out", c->timed_out, "state_bytes",
        (json_int_t)c->state_bytes, "inflight_records", (json_int_t)c->inflight_records,
        "inflight_bytes", (json_int_t)c->inflight_bytes, "alignment_max_ns",
        ns_json(c->alignment_max_ns), "start_delay_max_ns", ns_json(c->start_delay_max_ns),
        "abandoned_count", c->abandoned_count, "subtasks", subtasks), c->flink);
}

static json_t *stats_json(const sb_ckstats_t *st)
{
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(st, &s);
    json_t *checkpoints = json_array();
    for (int64_t i = 0; i < st->checkpoints_count; i++)
        json_array_append_new(checkpoints, checkpoint_json(&st->checkpoints[i]));
    return json_pack("{s:o,s:o}", "summary", summary_json(st, &s), "checkpoints", checkpoints);
}

/* Written to path.tmp, flushed to disk, then renamed: a reader never sees
 * half a file. */
int sb_ckstats_write_json(const sb_ckstats_t *st, const char *path, sb_err_t *err)
{
    json_t *root = stats_json(st);
    char *text = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (text == NULL)
        return sb_err_set(err, "cannot build the checkpoint statistics for %s (out of memory?)",
                          path);
    size_t len = strlen(text);
    char *line = realloc(text, len + 2); /* a text file ends with a newline */
    if (line == NULL) {
        free(text);
        return sb_err_set(err, "out of memory writing %s", path);
    }
    line[len++] = '\n';
    int rc = sb_fs_write_atomic(path, line, len, true, err);
    free(line);
    return rc;
}

/* -------------------------------------------------------------- table */

void sb_ckstats_format_ns(char *buf, size_t len, int64_t ns)
{
    if (ns < 0)
        snprintf(buf, len, "-");
    else if (ns < 1000)
        snprintf(buf, len, "%" PRId64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}

void sb_ckstats_format_bytes(char *buf, size_t len, int64_t bytes)
{
    if (bytes < 1024)
        snprintf(buf, len, "%" PRId64 " B", bytes);
    else if (bytes < 1024 * 1024)
        snprintf(buf, len, "%.1f KiB", (double)bytes / 1024);
    else if (bytes < 1024LL * 1024 * 1024)
        snprintf(buf, len, "%.1f MiB", (double)bytes / (1024 * 1024));
    else
        snprintf(buf, len, "%.1f GiB", (double)bytes / (1024.0 * 1024 * 1024));
}

static void print_dist_row(FILE *out, const char *name, const sb_ckstats_dist_t *d)
{
    char p50[32], p99[32], max[32];
    sb_ckstats_format_ns(p50, sizeof p50, d->p50);
    sb_ckstats_format_ns(p99, sizeof p99, d->p99);
    sb_ckstats_format_ns(max, sizeof max, d->max);
    fprintf(out, "  %-12s %10s %10s %10s\n", name, p50, p99, max);
}

/* "1 aborted (timeout)", "3 aborted (2 timeout, 1 worker crashed)". */
static void print_aborted(FILE *out, const sb_ckstats_summary_t *s)
{
    fprintf(out, "%" PRId64 " aborted", s->aborted_count);
    if (s->aborted_reasons_count == 1)
        fprintf(out, " (%s)", s->aborted_reasons[0].reason);
    for (int i = 0; s->aborted_reasons_count > 1 && i < s->aborted_reasons_count; i++)
        fprintf(out, "%s%" PRId64 " %s", i == 0 ? " (" : ", ", s->aborted_reasons[i].count,
                s->aborted_reasons[i].reason);
    if (s->aborted_reasons_count > 1)
        fputc(')', out);
}

static void print_inflight(FILE *out, const sb_ckstats_summary_t *s)
{
    if (s->unaligned_count == 0 && s->inflight_records_total == 0) {
        fprintf(out, "in-flight data persisted: none (no unaligned checkpoint completed)\n");
        return;
    }
    char total[32], max[32];
    sb_ckstats_format_bytes(total, sizeof total, s->inflight_bytes_total);
    sb_ckstats_format_bytes(max, sizeof max, s->inflight_bytes_max);
    fprintf(out,
            "in-flight data persisted: %" PRId64 " records, %s over %" PRId64
            " unaligned checkpoint%s (max %s in one)\n",
            s->inflight_records_total, total, s->unaligned_count,
            s->unaligned_count == 1 ? "" : "s", max);
}

void sb_ckstats_print_table(const sb_ckstats_t *st, FILE *out)
{
    if (st->checkpoints_count == 0) {
        fprintf(out, "checkpoints: none in the trace%s\n",
                st->truncated ? " (its last line was cut)" : "");
        return;
    }
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(st, &s);
    fprintf(out, "checkpoints: %" PRId64 " completed, ", s.completed_count);
    print_aborted(out, &s);
    fprintf(out, ", %" PRId64 " unfinished%s\n", s.unfinished_count,
            st->truncated ? " (the trace's last line was cut)" : "");
    if (s.completed_count == 0)
        return;
    fprintf(out, "  %-12s %10s %10s %10s\n", "", "p50", "p99", "max");
    print_dist_row(out, "duration", &s.duration_ns);
    print_dist_row(out, "alignment", &s.alignment_ns);
    print_dist_row(out, "start delay", &s.start_delay_ns);
    print_inflight(out, &s);
}
