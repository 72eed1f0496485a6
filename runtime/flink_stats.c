/* flink_stats.c — see flink_stats.h.
 *
 * Three passes over the bundle: the vertices (the job's, then any that only
 * the checkpoint answers name), the events (job graphs, checkpoints,
 * restores, exceptions) appended in a logical order with a sequence
 * number, then a stable sort by t_ns. Every array of the bundle is measured
 * against its bound before it is walked; every time is range-checked
 * before it is multiplied, so no figure of the bundle can overflow. */
#include "flink_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "trace.h"
#include "vocab.h"

#define NS_PER_MS INT64_C(1000000)
#define VERTEX_ID_BYTES_MAX 64
#define BASE_BYTES_MAX 25     /* a chain's short name: room for "-4095" in a task name */
#define TASKS_MAX 512         /* in one job graph, as the trace readers' */
/* A job graph line holds TASKS_MAX tasks and every vertex: with names cut
 * to this, it stays within SB_TRACE_LINE_BYTES_MAX even when every byte
 * of a name needs escaping. */
#define VERTEX_NAME_SHOWN_BYTES_MAX 97

typedef struct vertex {
    char id[VERTEX_ID_BYTES_MAX];
    char name[SB_FLINK_STATS_TEXT_BYTES_MAX]; /* Flink's, cut */
    char shown[VERTEX_NAME_SHOWN_BYTES_MAX];  /* cut shorter for the job graph line */
    char base[BASE_BYTES_MAX + 8];            /* its tasks' prefix, unique in the job */
    int parallelism;
    const char *kind;
} vertex_t;

typedef struct item {
    int64_t t_ns;
    int64_t seq;
    json_t *ev;
} item_t;

typedef struct builder {
    const json_t *bundle;
    int64_t t0_ms;
    int64_t pid;
    vertex_t vertices[SB_FLINK_STATS_VERTICES_MAX];
    int vertices_count;
    int tasks_count;
    item_t *items;
    int64_t items_count, items_cap;
    int attempt;
    sb_err_t *err;
} builder_t;

/* ------------------------------------------------------------- names */

/* Lower-case letters and digits; anything else one '-'. */
static size_t slug_append(char *out, size_t at, size_t cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n && at + 1 < cap; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
            alnum = true;
        }
        if (alnum)
            out[at++] = c;
        else if (at > 0 && out[at - 1] != '-')
            out[at++] = '-';
    }
    out[at] = '\0';
    return at;
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && strncmp(s, prefix, p) == 0;
}

/* "Source: kafka -> Map -> Sink: Writer" -> "source-map-writer": a source
 * is "source" whatever it reads, a sink is named by what it is (Writer,
 * Committer), other operators by their names. */
static void chain_base(const char *name, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    const char *p = name;
    while (*p != '\0') {
        const char *arrow = strstr(p, "->");
        size_t n = arrow != NULL ? (size_t)(arrow - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        if (at > 0 && out[at - 1] != '-' && at + 1 < cap)
            out[at++] = '-';
        if (starts_with(p, n, "Source:"))
            at = slug_append(out, at, cap, "source", 6);
        else if (starts_with(p, n, "Sink:") && n > 5)
            at = slug_append(out, at, cap, p + 5, n - 5);
        else
            at = slug_append(out, at, cap, p, n);
        p += n;
        if (arrow != NULL)
            p += 2;
    }
    while (at > 0 && out[at - 1] == '-')
        out[--at] = '\0';
    if (at == 0)
        snprintf(out, cap, "task");
}

void sb_flink_stats_task_name(const char *name, int index, char *buf, size_t len)
{
    char base[BASE_BYTES_MAX];
    chain_base(name != NULL ? name : "", base, sizeof base);
    snprintf(buf, len, "%s-%d", base, index);
}

/* ----------------------------------------------------------- figures */

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : dflt;
}

/* An epoch-ms timestamp as t_ns since t0. */
static int time_ns(builder_t *b, const json_t *o, const char *key, const char *where,
                   int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return sb_err_set(b->err, "%s: \"%s\" is %s, not an integer (epoch ms)", where, key,
                          v == NULL ? "missing" : "of another type");
    int64_t ms = json_integer_value(v);
    if (ms < b->t0_ms || ms > SB_FLINK_STATS_EPOCH_MS_MAX)
        return sb_err_set(b->err, "%s: \"%s\" %" PRId64 " %s t0_epoch_ms %" PRId64, where, key,
                          ms, ms < b->t0_ms ? "precedes" : "is far past", b->t0_ms);
    *out = (ms - b->t0_ms) * NS_PER_MS;
    return 0;
}

/* A Flink duration (ms) in ns: missing, null or negative (Flink's -1 for
 * "unknown") reads as 0; past SB_FLINK_STATS_DURATION_MS_MAX is an error. */
static int duration_ns(builder_t *b, const json_t *o, const char *key, const char *where,
                       int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return sb_err_set(b->err, "%s: \"%s\" is not an integer (ms)", where, key);
    int64_t ms = json_integer_value(v);
    if (ms > SB_FLINK_STATS_DURATION_MS_MAX)
        return sb_err_set(b->err, "%s: \"%s\" %" PRId64 " ms is more than %lld ms", where, key,
                          ms, SB_FLINK_STATS_DURATION_MS_MAX);
    *out = ms > 0 ? ms * NS_PER_MS : 0;
    return 0;
}

/* A size or count: as duration_ns, unscaled. */
static int64_t count_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    int64_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    return n > 0 ? n : 0;
}

/* The first line of a text, cut to fit at a character's boundary (the
 * text is UTF-8, as jansson read it), other control characters made
 * spaces: a bounded line of JSON, whatever the bundle held. */
static void first_line(char *out, size_t cap, const char *s)
{
    size_t n = strcspn(s, "\r\n");
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    out[n] = '\0';
}

/* A member that may be missing or null but, when present, must be of the
 * expected type. */
static int optional(builder_t *b, const json_t *v, bool ok, const char *where)
{
    if (v == NULL || json_is_null(v) || ok)
        return 0;
    return sb_err_set(b->err, "%s is of the wrong type", where);
}

/* ------------------------------------------------------------ events */

static int emit(builder_t *b, int64_t t_ns, const char *event, json_t *fields)
{
    if (fields == NULL)
        return sb_err_set(b->err, "out of memory building the %s event", event);
    if (b->items_count == SB_FLINK_STATS_EVENTS_MAX) {
        json_decref(fields);
        return sb_err_set(b->err, "more than %lld events", SB_FLINK_STATS_EVENTS_MAX);
    }
    if (b->items_count == b->items_cap) {
        int64_t cap = b->items_cap == 0 ? 64 : b->items_cap * 2;
        void *p = realloc(b->items, (size_t)cap * sizeof *b->items);
        if (p == NULL) {
            json_decref(fields);
            return sb_err_set(b->err, "out of memory for %" PRId64 " events", cap);
        }
        b->items = p;
        b->items_cap = cap;
    }
    json_t *ev = json_pack("{s:I,s:I,s:s}", "t_ns", (json_int_t)t_ns, "pid", (json_int_t)b->pid,
                           "event", event);
    if (ev == NULL || json_object_update(ev, fields) != 0) {
        json_decref(ev);
        json_decref(fields);
        return sb_err_set(b->err, "out of memory building the %s event", event);
    }
    json_decref(fields);
    b->items[b->items_count] = (item_t){ t_ns, b->items_count, ev };
    b->items_count++;
    return 0;
}

/* ---------------------------------------------------------- vertices */

static vertex_t *vertex_find(builder_t *b, const char *id)
{
    for (int i = 0; i < b->vertices_count; i++)
        if (strcmp(b->vertices[i].id, id) == 0)
            return &b->vertices[i];
    return NULL;
}

static vertex_t *vertex_add(builder_t *b, const char *id, const char *name, const char *where)
{
    vertex_t *v = vertex_find(b, id);
    if (v != NULL)
        return v;
    /* Flink's vertex ids are 32 hex digits: anything else (long, quoted,
     * empty) is not one. */
    size_t id_len = strlen(id);
    if (id_len == 0 || id_len >= VERTEX_ID_BYTES_MAX ||
        strspn(id, "0123456789abcdefABCDEF-_") != id_len) {
        sb_err_set(b->err, "%s: \"%.*s\" is not a vertex id (hex digits, at most %d)", where,
                   id_len < 40 ? (int)id_len : 40, id, VERTEX_ID_BYTES_MAX - 1);
        return NULL;
    }
    if (b->vertices_count == SB_FLINK_STATS_VERTICES_MAX) {
        sb_err_set(b->err, "%s: more than %d job vertices", where, SB_FLINK_STATS_VERTICES_MAX);
        return NULL;
    }
    v = &b->vertices[b->vertices_count++];
    memset(v, 0, sizeof *v);
    snprintf(v->id, sizeof v->id, "%s", id);
    if (name != NULL)
        first_line(v->name, sizeof v->name, name);
    else
        snprintf(v->name, sizeof v->name, "vertex %.8s", id);
    first_line(v->shown, sizeof v->shown, v->name);
    chain_base(v->name, v->base, BASE_BYTES_MAX);
    /* Two chains may shorten alike: the later ones get their position. */
    for (int i = 0; i < b->vertices_count - 1; i++)
        if (strcmp(b->vertices[i].base, v->base) == 0) {
            char base[BASE_BYTES_MAX];
            snprintf(base, sizeof base, "%s", v->base);
            snprintf(v->base, sizeof v->base, "%.20s-v%d", base, b->vertices_count - 1);
            break;
        }
    bool source = strstr(v->name, "Source:") != NULL;
    v->kind = source ? "source" : strncmp(v->name, "Sink:", 5) == 0 ? "sink" : "operator";
    return v;
}

static int vertex_parallelism(builder_t *b, vertex_t *v, int64_t n, const char *where)
{
    if (n < 0 || n > SB_FLINK_STATS_SUBTASKS_MAX)
        return sb_err_set(b->err, "%s: parallelism %" PRId64 " of vertex %s (at most %d)", where,
                          n, v->id, SB_FLINK_STATS_SUBTASKS_MAX);
    if (n > v->parallelism) {
        b->tasks_count += (int)n - v->parallelism;
        v->parallelism = (int)n;
    }
    if (b->tasks_count > TASKS_MAX)
        return sb_err_set(b->err, "%s: more than %d subtasks in the job", where, TASKS_MAX);
    return 0;
}

static int vertices_of_job(builder_t *b, const json_t *job)
{
    const json_t *list = json_object_get(job, "vertices");
    if (optional(b, job, json_is_object(job), "job") != 0 ||
        optional(b, list, json_is_array(list), "job.vertices") != 0)
        return -1;
    if (json_array_size(list) > SB_FLINK_STATS_VERTICES_MAX)
        return sb_err_set(b->err, "job.vertices: %zu vertices (at most %d)",
                          json_array_size(list), SB_FLINK_STATS_VERTICES_MAX);
    size_t i;
    const json_t *jv;
    json_array_foreach(list, i, jv) {
        char where[64];
        snprintf(where, sizeof where, "job.vertices[%zu]", i);
        const char *id = json_string_value(json_object_get(jv, "id"));
        if (id == NULL)
            return sb_err_set(b->err, "%s: no \"id\" string", where);
        vertex_t *v = vertex_add(b, id, json_string_value(json_object_get(jv, "name")), where);
        if (v == NULL || vertex_parallelism(b, v, count_of(jv, "parallelism"), where) != 0)
            return -1;
    }
    return 0;
}

/* Vertices that only a checkpoint's subtask details name (the job's answer
 * was lost): named by id, as many subtasks as the details list. */
static int vertices_of_subtasks(builder_t *b, const json_t *subtasks)
{
    if (optional(b, subtasks, json_is_object(subtasks), "subtasks") != 0)
        return -1;
    if (json_object_size(subtasks) > SB_FLINK_STATS_CHECKPOINTS_MAX)
        return sb_err_set(b->err, "subtasks: %zu checkpoints (at most %d)",
                          json_object_size(subtasks), SB_FLINK_STATS_CHECKPOINTS_MAX);
    const char *cid, *vid;
    const json_t *per, *d;
    json_object_foreach((json_t *)subtasks, cid, per) {
        char where[160];
        snprintf(where, sizeof where, "subtasks.%.20s", cid);
        if (optional(b, per, json_is_object(per), where) != 0)
            return -1;
        json_object_foreach((json_t *)per, vid, d) {
            snprintf(where, sizeof where, "subtasks.%.20s.%.40s", cid, vid);
            if (optional(b, d, json_is_object(d), where) != 0)
                return -1;
            vertex_t *v = vertex_add(b, vid, NULL, where);
            const json_t *list = json_object_get(d, "subtasks");
            size_t n = json_array_size(list);
            if (v == NULL ||
                vertex_parallelism(b, v, n > SB_FLINK_STATS_SUBTASKS_MAX ? -1 : (int64_t)n,
                                   where) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------- job graph */

static int emit_job_graph(builder_t *b, int64_t t_ns)
{
    json_t *tasks = json_array(), *vertices = json_array();
    for (int i = 0; i < b->vertices_count; i++) {
        const vertex_t *v = &b->vertices[i];
        for (int s = 0; s < v->parallelism; s++) {
            char name[SB_FLINK_STATS_TASK_BYTES_MAX];
            snprintf(name, sizeof name, "%s-%d", v->base, s);
            json_array_append_new(tasks, json_pack("{s:s,s:s,s:i}", "name", name, "kind",
                                                   v->kind, "subtask", s));
        }
        json_array_append_new(vertices, json_pack("{s:s,s:s,s:i,s:s}", "id", v->id, "name",
                                                  v->shown, "parallelism", v->parallelism,
                                                  "tasks", v->base));
    }
    return emit(b, t_ns, SB_EV_JOB_GRAPH,
                json_pack("{s:s,s:o,s:[],s:o,s:s,s:b,s:i,s:i}", "engine", "flink", "tasks", tasks,
                          "channels", "vertices", vertices, "mode", "", "unaligned", false,
                          "aligned_timeout_ns", 0, "attempt", b->attempt));
}

static int emit_job(builder_t *b, const json_t *job)
{
    int64_t start_ns = 0, end_ns = 0;
    const json_t *start = json_object_get(job, "start-time");
    if (json_is_integer(start) && json_integer_value(start) > 0 &&
        time_ns(b, job, "start-time", "job", &start_ns) != 0)
        return -1;
    if (emit_job_graph(b, start_ns) != 0)
        return -1;
    /* Flink says -1 while the job runs. */
    const json_t *end = json_object_get(job, "end-time");
    if (!json_is_integer(end) || json_integer_value(end) <= 0)
        return 0;
    if (time_ns(b, job, "end-time", "job", &end_ns) != 0)
        return -1;
    return emit(b, end_ns, SB_EV_JOB_FINISHED,
                json_pack("{s:{s:s}}", "flink", "state", str_or(job, "state", "?")));
}

/* -------------------------------------------------------- checkpoints */

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

/* "17" -> 17; false for anything else. */
static bool parse_id(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1)
        return false;
    *out = v;
    return true;
}

/* The ids of every checkpoint the bundle knows, sorted, unique. */
static int checkpoint_ids(builder_t *b, const json_t *history, const json_t *details,
                          int64_t **ids_out, int64_t *n_out)
{
    size_t cap = json_array_size(history) + json_object_size(details);
    int64_t *ids = calloc(cap + 1, sizeof *ids);
    if (ids == NULL)
        return sb_err_set(b->err, "out of memory for %zu checkpoint ids", cap);
    int64_t n = 0;
    size_t i;
    const json_t *h;
    json_array_foreach(history, i, h) {
        if (!json_is_integer(json_object_get(h, "id")) || json_integer_value(json_object_get(h, "id")) < 1) {
            free(ids);
            return sb_err_set(b->err, "checkpoints.history[%zu]: no positive integer \"id\"", i);
        }
        ids[n++] = json_integer_value(json_object_get(h, "id"));
    }
    const char *key;
    const json_t *d;
    json_object_foreach((json_t *)details, key, d) {
        if (!parse_id(key, &ids[n])) {
            free(ids);
            return sb_err_set(b->err, "details: key \"%.40s\" is not a checkpoint id", key);
        }
        n++;
    }
    qsort(ids, (size_t)n, sizeof *ids, cmp_i64);
    int64_t u = 0;
    for (int64_t k = 0; k < n; k++)
        if (u == 0 || ids[u - 1] != ids[k])
            ids[u++] = ids[k];
    *ids_out = ids;
    *n_out = u;
    return 0;
}

/* The fullest statistics of checkpoint id: its details, else its history
 * entry. */
static const json_t *checkpoint_stats(const json_t *history, const json_t *details, int64_t id)
{
    char key[32];
    snprintf(key, sizeof key, "%" PRId64, id);
    const json_t *d = json_object_get(details, key);
    if (json_is_object(d))
        return d;
    size_t i;
    const json_t *h;
    json_array_foreach(history, i, h)
        if (json_integer_value(json_object_get(h, "id")) == id)
            return h;
    return NULL;
}

typedef struct checkpoint {
    int64_t id;
    int64_t trigger_ns;
    int64_t last_ack_ns;   /* the latest ack emitted; trigger_ns if none */
} checkpoint_t;

static int emit_subtask(builder_t *b, checkpoint_t *c, const vertex_t *v, const json_t *s,
                        const char *where)
{
    int64_t index = json_integer_value(json_object_get(s, "index"));
    if (!json_is_integer(json_object_get(s, "index")) || index < 0 ||
        index >= SB_FLINK_STATS_SUBTASKS_MAX)
        return sb_err_set(b->err, "%s: no \"index\" in 0..%d", where,
                          SB_FLINK_STATS_SUBTASKS_MAX - 1);
    if (index >= v->parallelism)
        return sb_err_set(b->err, "%s: subtask index %" PRId64 " past the vertex's parallelism %d",
                          where, index, v->parallelism);
    int64_t ack_ns, delay_ns, align_ns, sync_ns, async_ns, e2e_ns;
    const json_t *dur = json_object_get(s, "checkpoint"), *al = json_object_get(s, "alignment");
    if (time_ns(b, s, "ack_timestamp", where, &ack_ns) != 0 ||
        duration_ns(b, s, "start_delay", where, &delay_ns) != 0 ||
        duration_ns(b, al, "duration", where, &align_ns) != 0 ||
        duration_ns(b, dur, "sync", where, &sync_ns) != 0 ||
        duration_ns(b, dur, "async", where, &async_ns) != 0 ||
        duration_ns(b, s, "end_to_end_duration", where, &e2e_ns) != 0)
        return -1;
    /* The JobManager stamps both the trigger and the ack: an ack before the
     * trigger is not a clock's drift but a broken answer. */
    if (ack_ns < c->trigger_ns)
        return sb_err_set(b->err, "%s: ack_timestamp is %" PRId64 " ms before checkpoint %"
                          PRId64 "'s trigger_timestamp", where,
                          (c->trigger_ns - ack_ns) / NS_PER_MS, c->id);
    char task[SB_FLINK_STATS_TASK_BYTES_MAX];
    snprintf(task, sizeof task, "%s-%" PRId64, v->base, index);
    bool unaligned = json_is_true(json_object_get(s, "unaligned_checkpoint"));
    /* Where the phases Flink reports fall, never past the ack (Flink rounds
     * each to the millisecond). */
    int64_t reached = c->trigger_ns + delay_ns, aligned = reached + align_ns;
    reached = reached < ack_ns ? reached : ack_ns;
    aligned = aligned < ack_ns ? aligned : ack_ns;
    int64_t persisted = count_of(al, "persisted");
    if (emit(b, reached, SB_EV_BARRIER_REACHED,
             json_pack("{s:s,s:I}", "task", task, "checkpoint", (json_int_t)c->id)) != 0)
        return -1;
    if (align_ns > 0 &&
        (emit(b, reached, SB_EV_ALIGNMENT_STARTED,
              json_pack("{s:s,s:I}", "task", task, "checkpoint", (json_int_t)c->id)) != 0 ||
         emit(b, aligned, SB_EV_ALIGNMENT_ENDED,
              json_pack("{s:s,s:I}", "task", task, "checkpoint", (json_int_t)c->id)) != 0))
        return -1;
    if (emit(b, aligned, SB_EV_SNAPSHOT,
             json_pack("{s:s,s:I,s:b,s:[],s:[]}", "task", task, "checkpoint", (json_int_t)c->id,
                       "unaligned", unaligned, "inputs", "outputs")) != 0)
        return -1;
    json_t *flink = json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "vertex", v->id, "index",
        (json_int_t)index, "start_delay_ms", (json_int_t)(delay_ns / NS_PER_MS), "alignment_ms",
        (json_int_t)(align_ns / NS_PER_MS), "sync_ms", (json_int_t)(sync_ns / NS_PER_MS),
        "async_ms", (json_int_t)(async_ns / NS_PER_MS), "end_to_end_ms",
        (json_int_t)(e2e_ns / NS_PER_MS), "state_size", (json_int_t)count_of(s, "state_size"),
        "checkpointed_size", (json_int_t)count_of(s, "checkpointed_size"), "persisted_data",
        (json_int_t)persisted, "processed_data", (json_int_t)count_of(al, "processed"), "aborted",
        json_is_true(json_object_get(s, "aborted")));
    if (flink == NULL)
        return sb_err_set(b->err, "out of memory building %s's ack", task);
    if (emit(b, ack_ns, SB_EV_ACK,
             json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:I,s:b,s:b,s:o}", "task", task,
                       "checkpoint", (json_int_t)c->id, "trigger_ns", (json_int_t)c->trigger_ns,
                       "start_delay_ns", (json_int_t)delay_ns, "alignment_ns",
                       (json_int_t)align_ns, "sync_ns", (json_int_t)sync_ns, "async_ns",
                       (json_int_t)async_ns, "state_bytes", (json_int_t)count_of(s, "state_size"),
                       "inflight_records", 0, "inflight_bytes", (json_int_t)persisted,
                       "unaligned", unaligned, "timed_out", false, "flink", flink)) != 0)
        return -1;
    c->last_ack_ns = ack_ns > c->last_ack_ns ? ack_ns : c->last_ack_ns;
    return 0;
}

/* One vertex's subtask details of a checkpoint: the acked subtasks'
 * events; pending or failed subtasks have none. */
static int emit_vertex(builder_t *b, checkpoint_t *c, const vertex_t *v, const json_t *d)
{
    char where[160];
    snprintf(where, sizeof where, "subtasks.%" PRId64 ".%s", c->id, v->id);
    const json_t *list = json_object_get(d, "subtasks");
    if (optional(b, d, json_is_object(d), where) != 0 ||
        optional(b, list, json_is_array(list), where) != 0)
        return -1;
    /* A subtask listed twice would write the same lines twice, which every
     * trace reader refuses: the first entry counts. */
    unsigned char seen[SB_FLINK_STATS_SUBTASKS_MAX / 8] = { 0 };
    size_t i;
    const json_t *s;
    json_array_foreach(list, i, s) {
        snprintf(where, sizeof where, "subtasks.%" PRId64 ".%s.subtasks[%zu]", c->id, v->id, i);
        if (!json_is_object(s))
            return sb_err_set(b->err, "%s is not an object", where);
        const char *status = str_or(s, "status", "");
        if (strcmp(status, "completed") != 0 && json_object_get(s, "ack_timestamp") == NULL)
            continue; /* "pending_or_failed" */
        int64_t index = json_integer_value(json_object_get(s, "index"));
        if (index >= 0 && index < SB_FLINK_STATS_SUBTASKS_MAX) {
            if (seen[index / 8] & (1u << (index % 8)))
                continue;
            seen[index / 8] |= (unsigned char)(1u << (index % 8));
        }
        if (emit_subtask(b, c, v, s, where) != 0)
            return -1;
    }
    return 0;
}

static int emit_end(builder_t *b, const checkpoint_t *c, const json_t *cs, const char *status,
                    const char *where)
{
    int64_t e2e_ns, end_ns = c->trigger_ns;
    if (duration_ns(b, cs, "end_to_end_duration", where, &e2e_ns) != 0)
        return -1;
    const json_t *failure = json_object_get(cs, "failure_timestamp");
    if (strcmp(status, "FAILED") == 0 && json_is_integer(failure) && json_integer_value(failure) > 0) {
        if (time_ns(b, cs, "failure_timestamp", where, &end_ns) != 0)
            return -1;
    } else if (e2e_ns > 0) {
        end_ns = c->trigger_ns + e2e_ns;
    } else if (json_is_integer(json_object_get(cs, "latest_ack_timestamp")) &&
               json_integer_value(json_object_get(cs, "latest_ack_timestamp")) > 0 &&
               time_ns(b, cs, "latest_ack_timestamp", where, &end_ns) != 0) {
        return -1;
    }
    /* Never before its trigger or an ack it counts. */
    end_ns = end_ns > c->last_ack_ns ? end_ns : c->last_ack_ns;
    json_t *flink = json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:s}", "status", status, "end_to_end_ms",
        (json_int_t)(e2e_ns / NS_PER_MS), "state_size", (json_int_t)count_of(cs, "state_size"),
        "checkpointed_size", (json_int_t)count_of(cs, "checkpointed_size"), "persisted_data",
        (json_int_t)count_of(cs, "persisted_data"), "processed_data",
        (json_int_t)count_of(cs, "processed_data"), "num_subtasks",
        (json_int_t)count_of(cs, "num_subtasks"), "num_acknowledged_subtasks",
        (json_int_t)count_of(cs, "num_acknowledged_subtasks"), "is_savepoint",
        json_is_true(json_object_get(cs, "is_savepoint")), "checkpoint_type",
        str_or(cs, "checkpoint_type", ""));
    if (flink == NULL)
        return sb_err_set(b->err, "%s: out of memory", where);
    if (strcmp(status, "COMPLETED") == 0)
        return emit(b, end_ns, SB_EV_CHECKPOINT_COMPLETED,
                    json_pack("{s:I,s:I,s:b,s:o}", "checkpoint", (json_int_t)c->id, "state_bytes",
                              (json_int_t)count_of(cs, "state_size"), "final", false, "flink",
                              flink));
    char reason[SB_FLINK_STATS_TEXT_BYTES_MAX];
    first_line(reason, sizeof reason, str_or(cs, "failure_message", "failed"));
    if (reason[0] == '\0')
        snprintf(reason, sizeof reason, "failed");
    json_object_set_new(flink, "failure_message", json_string(reason));
    return emit(b, end_ns, SB_EV_CHECKPOINT_ABORTED,
                json_pack("{s:I,s:s,s:o}", "checkpoint", (json_int_t)c->id, "reason", reason,
                          "flink", flink));
}

static int emit_checkpoint(builder_t *b, const json_t *cs, int64_t id, const json_t *per_vertex)
{
    char where[64];
    snprintf(where, sizeof where, "checkpoint %" PRId64, id);
    const json_t *own = json_object_get(cs, "id");
    if (json_is_integer(own) && json_integer_value(own) != id)
        return sb_err_set(b->err, "%s: its details say id %" PRId64, where,
                          (int64_t)json_integer_value(own));
    checkpoint_t c = { .id = id };
    if (time_ns(b, cs, "trigger_timestamp", where, &c.trigger_ns) != 0)
        return -1;
    c.last_ack_ns = c.trigger_ns;
    const char *status = str_or(cs, "status", "IN_PROGRESS");
    if (emit(b, c.trigger_ns, SB_EV_CHECKPOINT_TRIGGERED,
             json_pack("{s:I,s:b,s:{s:s,s:b}}", "checkpoint", (json_int_t)id, "final", false,
                       "flink", "checkpoint_type", str_or(cs, "checkpoint_type", ""),
                       "is_savepoint", json_is_true(json_object_get(cs, "is_savepoint")))) != 0)
        return -1;
    char sub[160];
    snprintf(sub, sizeof sub, "subtasks.%" PRId64, id);
    if (optional(b, per_vertex, json_is_object(per_vertex), sub) != 0)
        return -1;
    for (int i = 0; i < b->vertices_count; i++) {
        const json_t *d = json_object_get(per_vertex, b->vertices[i].id);
        if (d != NULL && emit_vertex(b, &c, &b->vertices[i], d) != 0)
            return -1;
    }
    /* In progress when the driver last asked: no end in the trace. */
    if (strcmp(status, "COMPLETED") != 0 && strcmp(status, "FAILED") != 0)
        return 0;
    return emit_end(b, &c, cs, status, where);
}

static int emit_checkpoints(builder_t *b)
{
    const json_t *overview = json_object_get(b->bundle, "checkpoints");
    const json_t *history = json_object_get(overview, "history");
    const json_t *details = json_object_get(b->bundle, "details");
    const json_t *subtasks = json_object_get(b->bundle, "subtasks");
    if (optional(b, overview, json_is_object(overview), "checkpoints") != 0 ||
        optional(b, history, json_is_array(history), "checkpoints.history") != 0 ||
        optional(b, details, json_is_object(details), "details") != 0)
        return -1;
    if (json_array_size(history) > SB_FLINK_STATS_CHECKPOINTS_MAX ||
        json_object_size(details) > SB_FLINK_STATS_CHECKPOINTS_MAX)
        return sb_err_set(b->err, "more than %d checkpoints in checkpoints.history or details",
                          SB_FLINK_STATS_CHECKPOINTS_MAX);
    int64_t *ids = NULL, n = 0;
    if (checkpoint_ids(b, history, details, &ids, &n) != 0)
        return -1;
    int rc = 0;
    for (int64_t i = 0; i < n && rc == 0; i++) {
        char key[32];
        snprintf(key, sizeof key, "%" PRId64, ids[i]);
        const json_t *cs = checkpoint_stats(history, details, ids[i]);
        if (cs == NULL)
            continue; /* details null, and gone from the history */
        rc = emit_checkpoint(b, cs, ids[i], json_object_get(subtasks, key));
    }
    free(ids);
    return rc;
}

/* ------------------------------------------------ restores, exceptions */

typedef struct restore {
    int64_t id;
    int64_t t_ns;
    const json_t *from;
} restore_t;

static int cmp_restores(const void *pa, const void *pb)
{
    const restore_t *a = pa, *b = pb;
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int restore_read(builder_t *b, const json_t *r, const char *where, restore_t *out)
{
    if (!json_is_object(r))
        return sb_err_set(b->err, "%s is not an object", where);
    out->from = r;
    out->id = json_integer_value(json_object_get(r, "id"));
    if (!json_is_integer(json_object_get(r, "id")) || out->id < 1)
        return sb_err_set(b->err, "%s: no positive integer \"id\"", where);
    return time_ns(b, r, "restore_timestamp", where, &out->t_ns);
}

/* Each restore starts a new incarnation of the job, as a snapbed worker's
 * does: a job graph, then the restore. */
static int emit_restores(builder_t *b)
{
    const json_t *latest = json_object_get(json_object_get(b->bundle, "checkpoints"), "latest");
    const json_t *last = json_object_get(latest, "restored");
    const json_t *all = json_object_get(b->bundle, "restores");
    if (optional(b, latest, json_is_object(latest), "checkpoints.latest") != 0 ||
        optional(b, all, json_is_array(all), "restores") != 0)
        return -1;
    if (json_array_size(all) >= SB_FLINK_STATS_RESTORES_MAX)
        return sb_err_set(b->err, "restores: %zu entries (at most %d)", json_array_size(all),
                          SB_FLINK_STATS_RESTORES_MAX - 1);
    restore_t *rs = calloc(json_array_size(all) + 1, sizeof *rs);
    if (rs == NULL)
        return sb_err_set(b->err, "out of memory for the restores");
    size_t n = 0, i;
    const json_t *r;
    int rc = 0;
    if (last != NULL && !json_is_null(last))
        rc = restore_read(b, last, "checkpoints.latest.restored", &rs[n++]);
    json_array_foreach(all, i, r) {
        char where[48];
        snprintf(where, sizeof where, "restores[%zu]", i);
        if (rc == 0)
            rc = restore_read(b, r, where, &rs[n++]);
    }
    if (rc == 0)
        qsort(rs, n, sizeof *rs, cmp_restores);
    for (i = 0; i < n && rc == 0; i++) {
        if (i > 0 && rs[i].id == rs[i - 1].id && rs[i].t_ns == rs[i - 1].t_ns)
            continue; /* the latest restore, also in the driver's list */
        b->attempt++;
        rc = emit_job_graph(b, rs[i].t_ns);
        if (rc == 0)
            rc = emit(b, rs[i].t_ns, SB_EV_RESTORE,
                      json_pack("{s:I,s:I,s:i,s:b,s:i,s:{s:b,s:s}}", "checkpoint",
                                (json_int_t)rs[i].id, "next_checkpoint", (json_int_t)rs[i].id + 1,
                                "attempt", b->attempt, "completed", true, "fallbacks", 0,
                                "flink", "is_savepoint",
                                json_is_true(json_object_get(rs[i].from, "is_savepoint")),
                                "external_path", str_or(rs[i].from, "external_path", "")));
    }
    free(rs);
    return rc;
}

/* "Source: kafka -> Map (2/2)#1" -> the task of that vertex and subtask;
 * "" when the name matches no vertex. */
static void task_of_flink_name(const builder_t *b, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    const char *open = strrchr(name, '(');
    int sub = 0, of = 0;
    if (open == NULL || open == name || sscanf(open, "(%d/%d)", &sub, &of) != 2 || sub < 1)
        return;
    size_t n = (size_t)(open - name);
    while (n > 0 && name[n - 1] == ' ')
        n--;
    for (int i = 0; i < b->vertices_count; i++)
        if (strlen(b->vertices[i].name) == n && strncmp(b->vertices[i].name, name, n) == 0) {
            snprintf(out, cap, "%s-%d", b->vertices[i].base, sub - 1);
            return;
        }
}

/* Flink's exception history: each failure that restarted the job (a
 * TaskManager lost, a task failed) as task_failed. The driver's own crash
 * events stay the only `crash` lines, so crashes are not counted twice. */
static int emit_exceptions(builder_t *b)
{
    const json_t *ex = json_object_get(b->bundle, "exceptions");
    const json_t *hist = json_object_get(ex, "exceptionHistory");
    const json_t *entries = json_object_get(hist, "entries");
    if (optional(b, ex, json_is_object(ex), "exceptions") != 0 ||
        optional(b, hist, json_is_object(hist), "exceptions.exceptionHistory") != 0 ||
        optional(b, entries, json_is_array(entries), "exceptions.exceptionHistory.entries") != 0)
        return -1;
    if (json_array_size(entries) > SB_FLINK_STATS_EXCEPTIONS_MAX)
        return sb_err_set(b->err, "exceptions.exceptionHistory.entries: %zu entries (at most %d)",
                          json_array_size(entries), SB_FLINK_STATS_EXCEPTIONS_MAX);
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e) {
        char where[64], text[SB_FLINK_STATS_TEXT_BYTES_MAX], task[SB_FLINK_STATS_TASK_BYTES_MAX];
        char flink_task[SB_FLINK_STATS_TEXT_BYTES_MAX];
        snprintf(where, sizeof where, "exceptions.exceptionHistory.entries[%zu]", i);
        int64_t t_ns;
        if (!json_is_object(e))
            return sb_err_set(b->err, "%s is not an object", where);
        if (time_ns(b, e, "timestamp", where, &t_ns) != 0)
            return -1;
        first_line(text, sizeof text,
                   str_or(e, "exceptionName", str_or(e, "stacktrace", "unknown failure")));
        first_line(flink_task, sizeof flink_task, str_or(e, "taskName", ""));
        task_of_flink_name(b, flink_task, task, sizeof task);
        const char *where_tm = str_or(e, "endpoint", str_or(e, "location", ""));
        if (emit(b, t_ns, SB_EV_TASK_FAILED,
                 json_pack("{s:s,s:s,s:{s:i,s:s,s:s,s:s}}", "task", task, "exception", text,
                           "flink", "entry", (int)i, "task_name", flink_task, "location",
                           where_tm, "taskmanager", str_or(e, "taskManagerId", ""))) != 0)
            return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- public */

static int cmp_items(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static json_t *items_to_array(item_t *items, int64_t n, sb_err_t *err)
{
    qsort(items, (size_t)n, sizeof *items, cmp_items);
    json_t *out = json_array();
    for (int64_t i = 0; out != NULL && i < n; i++) {
        if (json_array_append(out, items[i].ev) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    if (out == NULL)
        sb_err_set(err, "out of memory for %" PRId64 " events", n);
    return out;
}

json_t *sb_flink_stats_events(const json_t *bundle, int64_t pid, sb_err_t *err)
{
    builder_t *b = calloc(1, sizeof *b);
    if (b == NULL) {
        sb_err_set(err, "out of memory reading Flink's statistics");
        return NULL;
    }
    *b = (builder_t){ .bundle = bundle, .pid = pid, .err = err };
    const json_t *t0 = json_object_get(bundle, "t0_epoch_ms");
    const json_t *job = json_object_get(bundle, "job");
    int rc = 0;
    if (!json_is_object(bundle))
        rc = sb_err_set(err, "the bundle is not a JSON object");
    else if (!json_is_integer(t0) || json_integer_value(t0) < 0 ||
             json_integer_value(t0) > SB_FLINK_STATS_EPOCH_MS_MAX)
        rc = sb_err_set(err, "\"t0_epoch_ms\" is missing or not an epoch time in ms");
    if (rc == 0) {
        b->t0_ms = json_integer_value(t0);
        rc = vertices_of_job(b, job);
    }
    if (rc == 0)
        rc = vertices_of_subtasks(b, json_object_get(bundle, "subtasks"));
    if (rc == 0)
        rc = emit_job(b, job);
    if (rc == 0)
        rc = emit_checkpoints(b);
    if (rc == 0)
        rc = emit_restores(b);
    if (rc == 0)
        rc = emit_exceptions(b);
    json_t *out = rc == 0 ? items_to_array(b->items, b->items_count, err) : NULL;
    for (int64_t i = 0; i < b->items_count; i++)
        json_decref(b->items[i].ev);
    free(b->items);
    free(b);
    return out;
}

json_t *sb_flink_stats_events_from_file(const char *path, int64_t pid, sb_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sb_err_errno(err, errno, "cannot open %s", path);
        return NULL;
    }
    /* Sized first: a buffer as large as the bound would cost every read. */
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    bool too_long = false, failed = fstat(fileno(f), &st) != 0;
    if (!failed && st.st_size > SB_FLINK_STATS_FILE_BYTES_MAX)
        too_long = true;
    else if (!failed && (buf = malloc((size_t)st.st_size + 1)) != NULL)
        len = fread(buf, 1, (size_t)st.st_size + 1, f);
    failed = failed || (!too_long && buf == NULL) || ferror(f) ||
             len > (size_t)st.st_size; /* it grew while read */
    fclose(f);
    json_t *out = NULL;
    json_error_t jerr;
    if (too_long)
        sb_err_set(err, "%s is longer than %lld bytes", path, SB_FLINK_STATS_FILE_BYTES_MAX);
    else if (failed)
        sb_err_set(err, "cannot read %s (or it changed while read)", path);
    else {
        json_t *bundle = json_loadb(buf, len, 0, &jerr);
        if (bundle == NULL)
            sb_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
        else if ((out = sb_flink_stats_events(bundle, pid, err)) == NULL)
            sb_err_wrap(err, "%s", path);
        json_decref(bundle);
    }
    free(buf);
    return out;
}

/* ---------------------------------------------------------------- merge */

/* run_started leads the events of its time, run_finished ends the trace. */
static int merge_rank(const json_t *ev)
{
    const char *name = json_string_value(json_object_get(ev, "event"));
    if (name != NULL && strcmp(name, SB_EV_RUN_STARTED) == 0)
        return -1;
    return name != NULL && strcmp(name, SB_EV_RUN_FINISHED) == 0 ? 1 : 0;
}

static int cmp_merge(const void *pa, const void *pb)
{
    const item_t *a = pa, *b = pb;
    int ra = merge_rank(a->ev), rb = merge_rank(b->ev);
    if ((ra == 1) != (rb == 1))
        return ra == 1 ? 1 : -1;
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns ? -1 : 1;
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int merge_add(item_t *items, int64_t *n, const json_t *list, const char *what,
                     sb_err_t *err)
{
    if (list != NULL && !json_is_array(list))
        return sb_err_set(err, "the %s events are not a JSON array", what);
    size_t i;
    json_t *ev;
    json_array_foreach(list, i, ev) {
        const json_t *t = json_object_get(ev, "t_ns");
        if (!json_is_integer(t) || !json_is_string(json_object_get(ev, "event")))
            return sb_err_set(err, "%s event %zu has no integer \"t_ns\" and string \"event\"",
                              what, i);
        items[*n] = (item_t){ json_integer_value(t), *n, ev };
        (*n)++;
    }
    return 0;
}

json_t *sb_flink_stats_merge(const json_t *driver, const json_t *flink, sb_err_t *err)
{
    size_t total = json_array_size(driver) + json_array_size(flink);
    if (total > (size_t)SB_FLINK_STATS_EVENTS_MAX * 2) {
        sb_err_set(err, "%zu events to merge (at most %lld)", total,
                   SB_FLINK_STATS_EVENTS_MAX * 2);
        return NULL;
    }
    item_t *items = calloc(total + 1, sizeof *items);
    if (items == NULL) {
        sb_err_set(err, "out of memory merging %zu events", total);
        return NULL;
    }
    int64_t n = 0;
    json_t *out = NULL;
    if (merge_add(items, &n, driver, "driver's", err) == 0 &&
        merge_add(items, &n, flink, "Flink's", err) == 0) {
        qsort(items, (size_t)n, sizeof *items, cmp_merge);
        out = json_array();
        for (int64_t i = 0; out != NULL && i < n; i++)
            if (json_array_append(out, items[i].ev) != 0) {
                json_decref(out);
                out = NULL;
            }
        if (out == NULL)
            sb_err_set(err, "out of memory merging %" PRId64 " events", n);
    }
    free(items);
    return out;
}

/* ---------------------------------------------------------------- write */

/* One line: t_ns, pid and event first, then the rest in their order. */
static char *line_of(const json_t *ev, int64_t pid, size_t *len)
{
    json_t *o = json_object();
    const json_t *own_pid = json_object_get(ev, "pid");
    if (o == NULL)
        return NULL;
    json_object_set(o, "t_ns", json_object_get(ev, "t_ns"));
    json_object_set_new(o, "pid", own_pid != NULL ? json_deep_copy(own_pid)
                                                  : json_integer((json_int_t)pid));
    json_object_set(o, "event", json_object_get(ev, "event"));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)ev, key, v)
        if (json_object_get(o, key) == NULL)
            json_object_set(o, key, v);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    *len = text != NULL ? strlen(text) : 0;
    return text;
}

int sb_flink_stats_write_trace(const json_t *events, const char *path, sb_err_t *err)
{
    if (!json_is_array(events))
        return sb_err_set(err, "cannot write %s: the events are not a JSON array", path);
    char *buf = NULL, *prev = NULL;
    size_t len = 0, prev_len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return sb_err_errno(err, errno, "cannot write %s: no memory stream", path);
    int rc = 0;
    int64_t pid = getpid();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        size_t n = 0;
        bool shaped = json_is_integer(json_object_get(ev, "t_ns")) &&
                      json_is_string(json_object_get(ev, "event"));
        char *text = shaped ? line_of(ev, pid, &n) : NULL;
        if (text == NULL)
            rc = sb_err_set(err, "cannot write %s: event %zu is not a JSON object with an "
                            "integer \"t_ns\" and a string \"event\" (or no memory)", path, i);
        else if (n + 1 > SB_TRACE_LINE_BYTES_MAX)
            rc = sb_err_set(err, "cannot write %s: event %zu is %zu bytes, more than a trace "
                            "line's %d", path, i, n + 1, SB_TRACE_LINE_BYTES_MAX);
        else if (prev != NULL && n == prev_len && memcmp(text, prev, n) == 0)
            rc = sb_err_set(err, "cannot write %s: event %zu repeats event %zu (readers refuse "
                            "a line written twice)", path, i, i - 1);
        if (rc != 0) {
            free(text);
            break;
        }
        fwrite(text, 1, n, mem);
        fputc('\n', mem);
        free(prev);
        prev = text;
        prev_len = n;
    }
    free(prev);
    if (fclose(mem) != 0 && rc == 0)
        rc = sb_err_errno(err, errno, "cannot write %s: memory stream", path);
    if (rc == 0)
        rc = sb_fs_write_atomic(path, buf, len, true, err);
    free(buf);
    return rc;
}
