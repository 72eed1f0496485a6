/* runtrace.c — see runtrace.h.
 *
 * One pass over the trace (plus ckstats' own). Events are attached to the
 * latest incarnation whose worker has their pid; an event of a pid with no
 * job graph yet (none in practice: the worker writes its job graph first)
 * is left out of the per-incarnation data. After the pass, each
 * incarnation's send and receive lines are merged into batches. Arrays grow
 * by doubling up to a named bound; a bound crossed is an error naming the
 * line, never a silent cut. */
#include "runtrace.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

typedef struct reader {
    sb_runtrace_t *rt;
    const char *path;
    int line_no;
    bool first_seen;
    bool run_started_seen;
    sb_err_t *err;
} reader_t;

/* -------------------------------------------------------------- helpers */

static int64_t get_int(const json_t *ev, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(ev, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static const char *get_str(const json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s != NULL ? s : "";
}

static void copy_text(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src);
}

/* Makes room for one more element of `size` bytes; -1 past `max`. */
static int grow(reader_t *r, void **arr, int64_t count, int64_t *cap, size_t size, int64_t max,
                const char *what)
{
    if (count < *cap)
        return 0;
    if (count >= max)
        return sb_err_set(r->err, "%s:%d: more than %" PRId64 " %s", r->path, r->line_no, max,
                          what);
    int64_t n = *cap == 0 ? 16 : *cap * 2;
    if (n > max)
        n = max;
    void *p = realloc(*arr, (size_t)n * size);
    if (p == NULL)
        return sb_err_set(r->err, "%s:%d: out of memory for %" PRId64 " %s", r->path, r->line_no,
                          n, what);
    *arr = p;
    *cap = n;
    return 0;
}

#define GROW(r, arr, count, cap, max, what) \
    grow((r), (void **)&(arr), (count), &(cap), sizeof *(arr), (max), (what))

/* The latest incarnation of a worker pid, -1 if none. */
static int incarnation_by_pid(const sb_runtrace_t *rt, int64_t pid)
{
    for (int64_t i = rt->incarnations_count - 1; i >= 0; i--)
        if (rt->incarnations[i].pid == pid)
            return (int)i;
    return -1;
}

/* ---------------------------------------------------------- job graph */

static int find_task(const sb_runtrace_task_t *tasks, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(tasks[i].name, name) == 0)
            return i;
    return -1;
}

static int read_tasks(reader_t *r, sb_runtrace_incarnation_t *inc, const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n > SB_RUNTRACE_TASKS_MAX)
        return sb_err_set(r->err, "%s:%d: job graph with %zu tasks (at most %d)", r->path,
                          r->line_no, n, SB_RUNTRACE_TASKS_MAX);
    inc->tasks = calloc(n > 0 ? n : 1, sizeof *inc->tasks);
    if (inc->tasks == NULL)
        return sb_err_set(r->err, "%s:%d: out of memory for the job graph", r->path, r->line_no);
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(arr, i);
        sb_runtrace_task_t *task = &inc->tasks[i];
        copy_text(task->name, sizeof task->name, get_str(t, "name"));
        copy_text(task->kind, sizeof task->kind, get_str(t, "kind"));
        task->subtask = (int)get_int(t, "subtask", 0);
        if (task->name[0] == '\0')
            return sb_err_set(r->err, "%s:%d: job graph task %zu without a name", r->path,
                              r->line_no, i);
        inc->tasks_count++;
    }
    return 0;
}

static int read_channels(reader_t *r, sb_runtrace_incarnation_t *inc, const json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n > SB_RUNTRACE_CHANNELS_MAX)
        return sb_err_set(r->err, "%s:%d: job graph with %zu channels (at most %d)", r->path,
                          r->line_no, n, SB_RUNTRACE_CHANNELS_MAX);
    inc->channels = calloc(n > 0 ? n : 1, sizeof *inc->channels);
    if (inc->channels == NULL)
        return sb_err_set(r->err, "%s:%d: out of memory for the job graph", r->path, r->line_no);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(arr, i);
        const char *from = get_str(c, "from"), *to = get_str(c, "to");
        sb_runtrace_channel_t *ch = &inc->channels[i];
        ch->channel = (int)get_int(c, "channel", -1);
        ch->from = find_task(inc->tasks, inc->tasks_count, from);
        ch->to = find_task(inc->tasks, inc->tasks_count, to);
        if (ch->channel < 0 || ch->from < 0 || ch->to < 0)
            return sb_err_set(r->err,
                              "%s:%d: job graph channel %zu (\"%s\" -> \"%s\") names no task "
                              "of the graph or has no number",
                              r->path, r->line_no, i, from, to);
        inc->channels_count++;
    }
    return 0;
}

static int on_job_graph(reader_t *r, const json_t *ev, int64_t t_ns, int64_t pid)
{
    sb_runtrace_t *rt = r->rt;
    if (GROW(r, rt->incarnations, rt->incarnations_count, rt->incarnations_cap,
             SB_RUNTRACE_INCARNATIONS_MAX, "worker incarnations") != 0)
        return -1;
    sb_runtrace_incarnation_t *inc = &rt->incarnations[rt->incarnations_count++];
    *inc = (sb_runtrace_incarnation_t){
        .pid = pid,
        .attempt = (int)get_int(ev, "attempt", 0),
        .start_ns = t_ns,
        .end_ns = t_ns,
        .unaligned = json_is_true(json_object_get(ev, "unaligned")),
        .aligned_timeout_ns = get_int(ev, "aligned_timeout_ns", 0),
    };
    copy_text(inc->mode, sizeof inc->mode, get_str(ev, "mode"));
    copy_text(inc->engine, sizeof inc->engine, get_str(ev, "engine"));
    if (read_tasks(r, inc, json_object_get(ev, "tasks")) != 0)
        return -1;
    return read_channels(r, inc, json_object_get(ev, "channels"));
}

/* A send or receive line, kept as a half batch until the merge. */
static int on_batch(reader_t *r, const json_t *ev, int64_t t_ns, int64_t pid, bool is_send)
{
    sb_runtrace_t *rt = r->rt;
    int i = incarnation_by_pid(rt, pid);
    if (i < 0)
        return 0;
    sb_runtrace_incarnation_t *inc = &rt->incarnations[i];
    if (GROW(r, inc->batches, inc->batches_count, inc->batches_cap, SB_RUNTRACE_BATCHES_MAX,
             "record batches in one incarnation") != 0)
        return -1;
    sb_runtrace_batch_t *b = &inc->batches[inc->batches_count++];
    *b = (sb_runtrace_batch_t){
        .channel = (int)get_int(ev, "channel", -1),
        .count = (int)json_array_size(json_object_get(ev, "ids")),
        .first = get_int(ev, "first", -1),
        .send_ns = is_send ? t_ns : -1,
        .recv_ns = is_send ? -1 : t_ns,
    };
    rt->records_traced = true;
    return 0;
}

/* --------------------------------------------------------- checkpoints */

static int64_t checkpoint_lower_bound(const sb_runtrace_t *rt, int64_t id)
{
    int64_t lo = 0, hi = rt->checkpoints_count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (rt->checkpoints[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static sb_runtrace_checkpoint_t *checkpoint_get(reader_t *r, int64_t id)
{
    sb_runtrace_t *rt = r->rt;
    int64_t at = checkpoint_lower_bound(rt, id);
    if (at < rt->checkpoints_count && rt->checkpoints[at].id == id)
        return &rt->checkpoints[at];
    if (GROW(r, rt->checkpoints, rt->checkpoints_count, rt->checkpoints_cap,
             SB_CKSTATS_CHECKPOINTS_MAX, "checkpoints") != 0)
        return NULL;
    sb_runtrace_checkpoint_t *c = &rt->checkpoints[at];
    memmove(c + 1, c, (size_t)(rt->checkpoints_count - at) * sizeof *c);
    rt->checkpoints_count++;
    *c = (sb_runtrace_checkpoint_t){ .id = id, .incarnation = -1, .trigger_ns = -1 };
    return c;
}

/* [[channel, position], ...] appended to the checkpoint's positions. */
static int read_positions(reader_t *r, sb_runtrace_checkpoint_t *c, const json_t *arr,
                          int64_t *at_out, int *count_out)
{
    *at_out = c->positions_count;
    *count_out = 0;
    size_t n = json_array_size(arr);
    if (n > SB_RUNTRACE_CHANNELS_MAX)
        return sb_err_set(r->err, "%s:%d: snapshot lists %zu channels (at most %d)", r->path,
                          r->line_no, n, SB_RUNTRACE_CHANNELS_MAX);
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = json_array_get(arr, i);
        const json_t *ch = json_array_get(pair, 0), *pos = json_array_get(pair, 1);
        if (!json_is_integer(ch) || !json_is_integer(pos))
            return sb_err_set(r->err, "%s:%d: snapshot position %zu is not [channel, position]",
                              r->path, r->line_no, i);
        if (GROW(r, c->positions, c->positions_count, c->positions_cap, SB_RUNTRACE_EVENTS_MAX,
                 "snapshot positions in one checkpoint") != 0)
            return -1;
        c->positions[c->positions_count++] = (sb_runtrace_position_t){
            .channel = (int)json_integer_value(ch),
            .position = json_integer_value(pos),
        };
        (*count_out)++;
    }
    return 0;
}

static int on_snapshot(reader_t *r, sb_runtrace_checkpoint_t *c, const json_t *ev, int64_t t_ns)
{
    if (GROW(r, c->snapshots, c->snapshots_count, c->snapshots_cap, SB_RUNTRACE_EVENTS_MAX,
             "snapshots in one checkpoint") != 0)
        return -1;
    sb_runtrace_snapshot_t s = { .t_ns = t_ns };
    copy_text(s.task, sizeof s.task, get_str(ev, "task"));
    s.unaligned = json_is_true(json_object_get(ev, "unaligned"));
    if (read_positions(r, c, json_object_get(ev, "inputs"), &s.inputs_at, &s.inputs_count) != 0 ||
        read_positions(r, c, json_object_get(ev, "outputs"), &s.outputs_at, &s.outputs_count) != 0)
        return -1;
    c->snapshots[c->snapshots_count++] = s;
    return 0;
}

static int on_barrier(reader_t *r, sb_runtrace_checkpoint_t *c, const json_t *ev, int64_t t_ns)
{
    if (GROW(r, c->barriers, c->barriers_count, c->barriers_cap, SB_RUNTRACE_EVENTS_MAX,
             "barrier arrivals in one checkpoint") != 0)
        return -1;
    sb_runtrace_barrier_t *b = &c->barriers[c->barriers_count++];
    *b = (sb_runtrace_barrier_t){
        .channel = (int)get_int(ev, "channel", -1),
        .t_ns = t_ns,
        .position = get_int(ev, "position", -1),
        .read = get_int(ev, "read", -1),
        .unaligned = json_is_true(json_object_get(ev, "unaligned")),
    };
    copy_text(b->task, sizeof b->task, get_str(ev, "task"));
    return 0;
}

static int on_channel_state(reader_t *r, sb_runtrace_checkpoint_t *c, const json_t *ev)
{
    const json_t *ranges = json_object_get(ev, "ranges");
    for (size_t i = 0; i < json_array_size(ranges); i++) {
        const json_t *tri = json_array_get(ranges, i);
        const json_t *ch = json_array_get(tri, 0), *from = json_array_get(tri, 1),
                     *to = json_array_get(tri, 2);
        if (!json_is_integer(ch) || !json_is_integer(from) || !json_is_integer(to))
            return sb_err_set(r->err, "%s:%d: channel-state range %zu is not [channel, from, to]",
                              r->path, r->line_no, i);
        if (GROW(r, c->ranges, c->ranges_count, c->ranges_cap, SB_RUNTRACE_EVENTS_MAX,
                 "channel-state ranges in one checkpoint") != 0)
            return -1;
        sb_runtrace_range_t *rg = &c->ranges[c->ranges_count++];
        *rg = (sb_runtrace_range_t){
            .channel = (int)json_integer_value(ch),
            .from = json_integer_value(from),
            .to = json_integer_value(to),
        };
        copy_text(rg->task, sizeof rg->task, get_str(ev, "task"));
    }
    return 0;
}

static int on_align(reader_t *r, sb_runtrace_checkpoint_t *c, const json_t *ev, int64_t t_ns,
                    sb_runtrace_align_kind_t kind)
{
    if (GROW(r, c->aligns, c->aligns_count, c->aligns_cap, SB_RUNTRACE_EVENTS_MAX,
             "alignment events in one checkpoint") != 0)
        return -1;
    sb_runtrace_align_t *a = &c->aligns[c->aligns_count++];
    *a = (sb_runtrace_align_t){ .kind = kind, .t_ns = t_ns };
    copy_text(a->task, sizeof a->task, get_str(ev, "task"));
    return 0;
}

static int on_checkpoint_event(reader_t *r, const char *name, const json_t *ev, int64_t t_ns,
                               int64_t pid)
{
    json_t *id = json_object_get(ev, "checkpoint");
    if (!json_is_integer(id))
        return sb_err_set(r->err, "%s:%d: %s without an integer \"checkpoint\"", r->path,
                          r->line_no, name);
    sb_runtrace_checkpoint_t *c = checkpoint_get(r, json_integer_value(id));
    if (c == NULL)
        return -1;
    if (strcmp(name, "checkpoint_triggered") == 0) {
        if (c->trigger_ns < 0) {
            c->trigger_ns = t_ns;
            c->incarnation = incarnation_by_pid(r->rt, pid);
        }
        return 0;
    }
    if (strcmp(name, "snapshot") == 0)
        return on_snapshot(r, c, ev, t_ns);
    if (strcmp(name, "barrier_received") == 0)
        return on_barrier(r, c, ev, t_ns);
    if (strcmp(name, "channel_state") == 0)
        return on_channel_state(r, c, ev);
    if (strcmp(name, "alignment_started") == 0)
        return on_align(r, c, ev, t_ns, SB_RUNTRACE_ALIGN_STARTED);
    if (strcmp(name, "alignment_ended") == 0)
        return on_align(r, c, ev, t_ns, SB_RUNTRACE_ALIGN_ENDED);
    if (strcmp(name, "alignment_timeout") == 0)
        return on_align(r, c, ev, t_ns, SB_RUNTRACE_ALIGN_TIMEOUT);
    assert(strcmp(name, "alignment_abandoned") == 0);
    return on_align(r, c, ev, t_ns, SB_RUNTRACE_ALIGN_ABANDONED);
}

static bool is_checkpoint_event(const char *name)
{
    static const char *const names[] = {
        "checkpoint_triggered", "snapshot",          "barrier_received", "channel_state",
        "alignment_started",    "alignment_ended",   "alignment_timeout",
        "alignment_abandoned",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------ run-level events */

static int on_sample(reader_t *r, const json_t *ev, int64_t t_ns, int64_t pid)
{
    sb_runtrace_t *rt = r->rt;
    if (GROW(r, rt->samples, rt->samples_count, rt->samples_cap, SB_RUNTRACE_EVENTS_MAX,
             "samples") != 0)
        return -1;
    const json_t *fill = json_object_get(ev, "fill");
    int64_t items = get_int(ev, "items", 0);
    double max = 0, sum = 0;
    size_t n = json_array_size(fill);
    for (size_t i = 0; i < n && items > 0; i++) {
        double f = (double)json_integer_value(json_array_get(fill, i)) / (double)items;
        max = f > max ? f : max;
        sum += f;
    }
    rt->samples[rt->samples_count++] = (sb_runtrace_sample_t){
        .t_ns = t_ns,
        .incarnation = incarnation_by_pid(rt, pid),
        .read = get_int(ev, "read", 0),
        .fill_max = max,
        .fill_mean = n > 0 ? sum / (double)n : 0,
    };
    return 0;
}

static int on_fault(reader_t *r, const json_t *ev, int64_t t_ns, bool started)
{
    sb_runtrace_t *rt = r->rt;
    int fault = (int)get_int(ev, "fault", -1);
    if (!started) {
        /* Ends the latest open fault with that index; a stray end is ignored. */
        for (int64_t i = rt->faults_count - 1; i >= 0; i--)
            if (rt->faults[i].fault == fault && rt->faults[i].ended_ns < 0) {
                rt->faults[i].ended_ns = t_ns;
                break;
            }
        return 0;
    }
    if (GROW(r, rt->faults, rt->faults_count, rt->faults_cap, SB_RUNTRACE_EVENTS_MAX,
             "faults") != 0)
        return -1;
    sb_runtrace_fault_t *f = &rt->faults[rt->faults_count++];
    *f = (sb_runtrace_fault_t){ .fault = fault, .started_ns = t_ns, .ended_ns = -1 };
    copy_text(f->kind, sizeof f->kind, get_str(ev, "kind"));
    copy_text(f->detail, sizeof f->detail, get_str(ev, "detail"));
    return 0;
}

static int add_mark(reader_t *r, sb_runtrace_mark_kind_t kind, int64_t t_ns, int64_t checkpoint,
                    const char *text)
{
    sb_runtrace_t *rt = r->rt;
    if (GROW(r, rt->marks, rt->marks_count, rt->marks_cap, SB_RUNTRACE_EVENTS_MAX, "marks") != 0)
        return -1;
    sb_runtrace_mark_t *m = &rt->marks[rt->marks_count++];
    *m = (sb_runtrace_mark_t){ .kind = kind, .t_ns = t_ns, .checkpoint = checkpoint };
    copy_text(m->text, sizeof m->text, text);
    return 0;
}

static int on_crash(reader_t *r, const json_t *ev, int64_t t_ns)
{
    sb_runtrace_t *rt = r->rt;
    int attempt = (int)get_int(ev, "attempt", -1);
    for (int64_t i = rt->incarnations_count - 1; i >= 0; i--)
        if (rt->incarnations[i].attempt == attempt) {
            rt->incarnations[i].crashed = true;
            rt->incarnations[i].end_ns = t_ns;
            break;
        }
    char text[SB_RUNTRACE_TEXT_BYTES_MAX];
    snprintf(text, sizeof text, "attempt %d: %s%s", attempt, get_str(ev, "signal_name"),
             json_is_true(json_object_get(ev, "injected")) ? " (injected)" : "");
    return add_mark(r, SB_RUNTRACE_MARK_CRASH, t_ns, 0, text);
}

static sb_runtrace_part_t *part_get(reader_t *r, const char *key)
{
    sb_runtrace_t *rt = r->rt;
    /* Parts are looked up soon after they are staged: search from the end. */
    for (int64_t i = rt->parts_count - 1; i >= 0; i--)
        if (strcmp(rt->parts[i].key, key) == 0)
            return &rt->parts[i];
    if (GROW(r, rt->parts, rt->parts_count, rt->parts_cap, SB_RUNTRACE_EVENTS_MAX,
             "sink part files") != 0)
        return NULL;
    sb_runtrace_part_t *p = &rt->parts[rt->parts_count++];
    *p = (sb_runtrace_part_t){ .staged_ns = -1, .committed_ns = -1, .aborted_ns = -1 };
    copy_text(p->key, sizeof p->key, key);
    return p;
}

static int on_sink(reader_t *r, const char *name, const json_t *ev, int64_t t_ns)
{
    sb_runtrace_part_t *p = part_get(r, get_str(ev, "key"));
    if (p == NULL)
        return -1;
    if (p->task[0] == '\0')
        copy_text(p->task, sizeof p->task, get_str(ev, "task"));
    if (strcmp(name, "sink_stage") == 0) {
        if (p->staged_ns < 0)
            p->staged_ns = t_ns;
        p->checkpoint = get_int(ev, "checkpoint", p->checkpoint);
        p->bytes = get_int(ev, "bytes", p->bytes);
    } else if (strcmp(name, "sink_commit") == 0) {
        if (p->committed_ns < 0)
            p->committed_ns = t_ns;
        if (p->checkpoint == 0)
            p->checkpoint = get_int(ev, "checkpoint", 0);
    } else if (p->aborted_ns < 0) {
        p->aborted_ns = t_ns;
    }
    return 0;
}

static int on_run_event(reader_t *r, const char *name, const json_t *ev, int64_t t_ns,
                        int64_t pid)
{
    char text[SB_RUNTRACE_TEXT_BYTES_MAX];
    if (strcmp(name, "job_graph") == 0)
        return on_job_graph(r, ev, t_ns, pid);
    if (strcmp(name, "send") == 0 || strcmp(name, "recv") == 0)
        return on_batch(r, ev, t_ns, pid, name[0] == 's');
    if (strcmp(name, "sample") == 0)
        return on_sample(r, ev, t_ns, pid);
    if (strcmp(name, "fault_started") == 0 || strcmp(name, "fault_ended") == 0)
        return on_fault(r, ev, t_ns, strcmp(name, "fault_started") == 0);
    if (strcmp(name, "crash") == 0)
        return on_crash(r, ev, t_ns);
    if (strcmp(name, "sink_stage") == 0 || strcmp(name, "sink_commit") == 0 ||
        strcmp(name, "sink_abort") == 0)
        return on_sink(r, name, ev, t_ns);
    if (strcmp(name, "worker_started") == 0) {
        snprintf(text, sizeof text, "attempt %" PRId64, get_int(ev, "attempt", 0));
        return add_mark(r, SB_RUNTRACE_MARK_WORKER_STARTED, t_ns, 0, text);
    }
    if (strcmp(name, "restore") == 0) {
        int64_t id = get_int(ev, "checkpoint", 0);
        snprintf(text, sizeof text, id > 0 ? "from chk-%" PRId64 : "from the start (chk-%" PRId64 ")",
                 id);
        return add_mark(r, SB_RUNTRACE_MARK_RESTORE, t_ns, id, text);
    }
    if (strcmp(name, "fault_fired") == 0) {
        int64_t id = get_int(ev, "checkpoint", 0);
        snprintf(text, sizeof text, "%s (chk-%" PRId64 ")", get_str(ev, "point"), id);
        return add_mark(r, SB_RUNTRACE_MARK_CRASH_POINT, t_ns, id, text);
    }
    if (strcmp(name, "job_finished") == 0)
        return add_mark(r, SB_RUNTRACE_MARK_JOB_FINISHED, t_ns, 0, "job finished");
    return 0;
}

static int on_event(json_t *ev, void *ctx)
{
    reader_t *r = ctx;
    sb_runtrace_t *rt = r->rt;
    r->line_no++;
    const char *name = json_string_value(json_object_get(ev, "event"));
    json_t *t = json_object_get(ev, "t_ns");
    if (name == NULL)
        return sb_err_set(r->err, "%s:%d: no \"event\" string", r->path, r->line_no);
    if (!json_is_integer(t))
        return sb_err_set(r->err, "%s:%d: %s without an integer \"t_ns\"", r->path, r->line_no,
                          name);
    int64_t t_ns = json_integer_value(t), pid = get_int(ev, "pid", -1);
    if (!r->first_seen) {
        r->first_seen = true;
        rt->origin_ns = t_ns;
    }
    if (strcmp(name, "run_started") == 0 && !r->run_started_seen) {
        r->run_started_seen = true;
        rt->origin_ns = t_ns;
    }
    rt->end_ns = t_ns > rt->end_ns ? t_ns : rt->end_ns;
    int inc = incarnation_by_pid(rt, pid);
    if (inc >= 0 && !rt->incarnations[inc].crashed && t_ns > rt->incarnations[inc].end_ns)
        rt->incarnations[inc].end_ns = t_ns;
    if (is_checkpoint_event(name))
        return on_checkpoint_event(r, name, ev, t_ns, pid);
    return on_run_event(r, name, ev, t_ns, pid);
}

/* -------------------------------------------------------- batch merge */

static int cmp_half_batches(const void *pa, const void *pb)
{
    const sb_runtrace_batch_t *a = pa, *b = pb;
    if (a->channel != b->channel)
        return a->channel < b->channel ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    bool a_send = a->send_ns >= 0, b_send = b->send_ns >= 0;
    return a_send == b_send ? 0 : a_send ? -1 : 1; /* the send before its receive */
}

static int64_t batch_time(const sb_runtrace_batch_t *b)
{
    return b->send_ns >= 0 ? b->send_ns : b->recv_ns;
}

static int cmp_batches_by_time(const void *pa, const void *pb)
{
    const sb_runtrace_batch_t *a = pa, *b = pb;
    int64_t ta = batch_time(a), tb = batch_time(b);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (a->channel != b->channel)
        return a->channel < b->channel ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* Pairs each send with the receive of the same channel and first position;
 * the rest stay half batches, counted. */
static void merge_batches(sb_runtrace_incarnation_t *inc)
{
    sb_runtrace_batch_t *b = inc->batches;
    int64_t n = inc->batches_count, out = 0;
    if (n == 0)
        return;
    qsort(b, (size_t)n, sizeof *b, cmp_half_batches);
    for (int64_t i = 0; i < n; i++) {
        sb_runtrace_batch_t cur = b[i];
        bool pair = i + 1 < n && cur.send_ns >= 0 && b[i + 1].recv_ns >= 0 &&
                    b[i + 1].channel == cur.channel && b[i + 1].first == cur.first;
        if (pair) {
            cur.recv_ns = b[i + 1].recv_ns;
            i++;
        } else if (cur.send_ns >= 0) {
            inc->sends_unmatched++;
        } else {
            inc->recvs_unmatched++;
        }
        b[out++] = cur;
    }
    inc->batches_count = out;
    qsort(b, (size_t)out, sizeof *b, cmp_batches_by_time);
}

/* --------------------------------------------------------------- public */

int sb_runtrace_load(sb_runtrace_t *rt, const char *trace_path, sb_err_t *err)
{
    memset(rt, 0, sizeof *rt);
    if (sb_ckstats_from_trace(&rt->stats, trace_path, err) != 0)
        return -1;
    reader_t r = { .rt = rt, .path = trace_path, .err = err };
    int truncated = 0;
    if (sb_trace_read(trace_path, on_event, &r, &truncated, err) != 0)
        return -1;
    rt->truncated = truncated != 0;
    for (int64_t i = 0; i < rt->incarnations_count; i++)
        merge_batches(&rt->incarnations[i]);
    return 0;
}

static void checkpoint_free(sb_runtrace_checkpoint_t *c)
{
    free(c->snapshots);
    free(c->positions);
    free(c->barriers);
    free(c->ranges);
    free(c->aligns);
}

void sb_runtrace_free(sb_runtrace_t *rt)
{
    sb_ckstats_free(&rt->stats);
    for (int64_t i = 0; i < rt->incarnations_count; i++) {
        free(rt->incarnations[i].tasks);
        free(rt->incarnations[i].channels);
        free(rt->incarnations[i].batches);
    }
    free(rt->incarnations);
    for (int64_t i = 0; i < rt->checkpoints_count; i++)
        checkpoint_free(&rt->checkpoints[i]);
    free(rt->checkpoints);
    free(rt->samples);
    free(rt->faults);
    free(rt->marks);
    free(rt->parts);
    memset(rt, 0, sizeof *rt);
}

const sb_runtrace_checkpoint_t *sb_runtrace_checkpoint(const sb_runtrace_t *rt, int64_t id)
{
    int64_t at = checkpoint_lower_bound(rt, id);
    return at < rt->checkpoints_count && rt->checkpoints[at].id == id ? &rt->checkpoints[at]
                                                                       : NULL;
}

const sb_ckstats_checkpoint_t *sb_runtrace_stats(const sb_runtrace_t *rt, int64_t id)
{
    const sb_ckstats_t *st = &rt->stats;
    int64_t lo = 0, hi = st->checkpoints_count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (st->checkpoints[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < st->checkpoints_count && st->checkpoints[lo].id == id ? &st->checkpoints[lo]
                                                                       : NULL;
}

const sb_runtrace_incarnation_t *sb_runtrace_incarnation_of(const sb_runtrace_t *rt,
                                                            const sb_runtrace_checkpoint_t *c)
{
    if (c == NULL || c->incarnation < 0 || c->incarnation >= rt->incarnations_count)
        return NULL;
    return &rt->incarnations[c->incarnation];
}

int sb_runtrace_task_index(const sb_runtrace_incarnation_t *inc, const char *name)
{
    return find_task(inc->tasks, inc->tasks_count, name);
}

const sb_runtrace_channel_t *sb_runtrace_channel(const sb_runtrace_incarnation_t *inc,
                                                 int channel)
{
    /* Channels are numbered from 0 in job-graph order: try that first. */
    if (channel >= 0 && channel < inc->channels_count && inc->channels[channel].channel == channel)
        return &inc->channels[channel];
    for (int i = 0; i < inc->channels_count; i++)
        if (inc->channels[i].channel == channel)
            return &inc->channels[i];
    return NULL;
}

const sb_runtrace_snapshot_t *sb_runtrace_snapshot_of(const sb_runtrace_checkpoint_t *c,
                                                      const char *task)
{
    for (int64_t i = 0; i < c->snapshots_count; i++)
        if (strcmp(c->snapshots[i].task, task) == 0)
            return &c->snapshots[i];
    return NULL;
}

int64_t sb_runtrace_cut_position(const sb_runtrace_checkpoint_t *c,
                                 const sb_runtrace_snapshot_t *s, bool is_input, int channel)
{
    int64_t at = is_input ? s->inputs_at : s->outputs_at;
    int n = is_input ? s->inputs_count : s->outputs_count;
    assert(at >= 0 && at + n <= c->positions_count);
    for (int i = 0; i < n; i++)
        if (c->positions[at + i].channel == channel)
            return c->positions[at + i].position;
    return -1;
}

void sb_runtrace_channel_cut(const sb_runtrace_checkpoint_t *c,
                             const sb_runtrace_incarnation_t *inc,
                             const sb_runtrace_channel_t *ch,
                             int64_t ranges[SB_RUNTRACE_CUT_RANGES_MAX][2],
                             sb_cutclass_channel_t *out)
{
    assert(ch->from >= 0 && ch->from < inc->tasks_count);
    assert(ch->to >= 0 && ch->to < inc->tasks_count);
    const char *sender = inc->tasks[ch->from].name, *receiver = inc->tasks[ch->to].name;
    const sb_runtrace_snapshot_t *s = sb_runtrace_snapshot_of(c, sender);
    const sb_runtrace_snapshot_t *r = sb_runtrace_snapshot_of(c, receiver);
    *out = (sb_cutclass_channel_t){
        .sent = s != NULL ? sb_runtrace_cut_position(c, s, false, ch->channel) : -1,
        .read = r != NULL ? sb_runtrace_cut_position(c, r, true, ch->channel) : -1,
        .ranges = (const int64_t(*)[2])ranges,
    };
    for (int64_t i = 0; i < c->ranges_count && out->ranges_count < SB_RUNTRACE_CUT_RANGES_MAX;
         i++) {
        const sb_runtrace_range_t *rg = &c->ranges[i];
        if (rg->channel != ch->channel || strcmp(rg->task, receiver) != 0)
            continue;
        ranges[out->ranges_count][0] = rg->from;
        ranges[out->ranges_count][1] = rg->to;
        out->ranges_count++;
    }
}
