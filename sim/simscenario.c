/* simscenario.c — sim scenario files: YAML in, a validated
 * sb_simscenario_t out. See simscenario.h and docs/sim.md.
 *
 * The walk follows runtime/scenario.c: libyaml's document API gives every
 * node its line; each mapping is walked against a table of known keys; an
 * unknown or duplicate key, a wrong type or a value out of range is an
 * error naming the file, the line and the dotted key. Rules that tie keys
 * together (the topology, protocol and timeout) run once after the walk.
 * *s is written only when the whole file is valid. */
#include "yamlnode.h"
#include "simscenario.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define FILE_BYTES_MAX (1024 * 1024)
#define KEY_BYTES_MAX 128
#define DURATION_HINT "(use e.g. 100us, 5ms, 2s)"

static const char *const protocol_names[] = {
    [SB_SIM_ALIGNED] = "aligned",
    [SB_SIM_UNALIGNED] = "unaligned",
    [SB_SIM_TIMEOUT] = "timeout",
    [SB_SIM_AT_LEAST_ONCE] = "at-least-once",
};


const char *sb_simscenario_protocol_name(sb_simscenario_protocol_t p)
{
    return (size_t)p < COUNT_OF(protocol_names) ? protocol_names[p] : "unknown";
}

static const char *const model_names[] = {
    [SB_SIM_MODEL_PIPELINE] = "pipeline",
    [SB_SIM_MODEL_CLASSIC] = "chandy-lamport",
};

const char *sb_simscenario_model_name(sb_simscenario_model_t m)
{
    return (size_t)m < COUNT_OF(model_names) ? model_names[m] : "unknown";
}

void sb_simscenario_defaults(sb_simscenario_t *s)
{
    memset(s, 0, sizeof *s);
    s->protocol = SB_SIM_ALIGNED;
    s->records = 1000;
    s->source_interval_ns = 100 * 1000;
    s->checkpoint_interval_ns = 5 * 1000 * 1000;
    s->checkpoint_timeout_ns = 1000 * 1000 * 1000;
    s->max_concurrent = 1;
    s->tolerable_failed = 10;
    s->channel_delay = (sb_rng_dist_t){ .kind = SB_RNG_UNIFORM, .min_ns = 50 * 1000,
                                        .max_ns = 500 * 1000 };
    s->channel_capacity = 64;
    s->rpc_delay = (sb_rng_dist_t){ .kind = SB_RNG_FIXED, .min_ns = 50 * 1000,
                                    .max_ns = 50 * 1000 };
    s->restart_delay_ns = 1000 * 1000;
    s->failure_detection_ns = 1000 * 1000;
    s->coordinator_tick_ns = 100 * 1000;
    s->sample_interval_ns = 1000 * 1000;
    s->trace_records = true;
    s->seed = 1;
    s->max_time_ns = INT64_C(10) * 1000 * 1000 * 1000;
    s->max_events = INT64_C(2000000000);
    s->mutant = SB_MUTANT_NONE;
    s->model = SB_SIM_MODEL_PIPELINE;
    s->classic.processes = 4;
    s->classic.tokens = 100;
    s->classic.transfer_interval_ns = 100 * 1000;
    s->classic.transfer_max = 10;
    s->classic.snapshots = 3;
    s->classic.snapshot_interval_ns = 5 * 1000 * 1000;
    s->classic.fifo = true;
    s->fifo = true;
}

/* ------------------------------------------------------------ the walk */

/* A key's model: ANY, or only one (a key of the other is an error). */
enum { MODEL_ANY = 0, MODEL_PIPELINE, MODEL_CLASSIC, MODELS_ };

typedef struct parse {
    yaml_document_t *doc;
    const char *path;
    sb_err_t *err;
    sb_simscenario_t *s;
    bool name_set;
    int timeout_line;            /* where aligned_timeout was given; 0 = not */
    int protocol_line;
    /* stage `from` names, resolved after every stage is known */
    char from_names[SB_SIMSCENARIO_STAGES_MAX][SB_SIMSCENARIO_FROM_MAX]
                   [SB_SIMSCENARIO_STAGE_NAME_BYTES_MAX];
    int from_lines[SB_SIMSCENARIO_STAGES_MAX];
    bool channel_max_set, channel_min_set, channel_mean_set;
    int channel_line;
    /* the first key given that belongs to one model, per model */
    int model_key_line[MODELS_];
    char model_key[MODELS_][KEY_BYTES_MAX];
    char graph_preset[32];               /* ring, bidirectional-ring, complete */
    int graph_line, initiators_line, model_line, mutant_line;
    unsigned fault_seen;                 /* the keys of the fault being read (FK_*) */
} parse_t;

typedef int (*key_fn)(parse_t *p, const char *key, yaml_node_t *v, void *arg);

typedef struct key_entry {
    const char *name;
    key_fn fn;
    int model;
} key_entry_t;

__attribute__((format(printf, 4, 5)))
static int fail(const parse_t *p, size_t line, const char *key, const char *fmt, ...)
{
    char what[SB_ERR_MSG_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (key == NULL || key[0] == '\0')
        return sb_err_set(p->err, "%s:%zu: %s", p->path, line, what);
    return sb_err_set(p->err, "%s:%zu: %s: %s", p->path, line, key, what);
}

static int need_scalar(const parse_t *p, const yaml_node_t *v, const char *key,
                       const char *expected)
{
    char got[96];
    if (v->type != YAML_SCALAR_NODE || sb_yaml_is_null(v))
        return fail(p, sb_yaml_line(v), key, "expected %s, got %s", expected,
                    sb_yaml_describe(v, got, sizeof got));
    if (strlen(sb_yaml_text(v)) != v->data.scalar.length)
        return fail(p, sb_yaml_line(v), key, "value contains a NUL byte");
    return 0;
}

static int get_int64(const parse_t *p, const yaml_node_t *v, const char *key, int64_t min,
                     int64_t max, int64_t *out)
{
    char got[96];
    if (need_scalar(p, v, key, "an integer") != 0)
        return -1;
    const char *t = sb_yaml_text(v);
    bool ok = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && t[0] != '\0';
    for (const char *c = t; ok && *c != '\0'; c++)
        ok = isdigit((unsigned char)*c);
    if (!ok)
        return fail(p, sb_yaml_line(v), key, "expected a non-negative integer, got %s",
                    sb_yaml_describe(v, got, sizeof got));
    errno = 0;
    long long n = strtoll(t, NULL, 10);
    if (errno == ERANGE || n < min || n > max)
        return fail(p, sb_yaml_line(v), key, "must be between %" PRId64 " and %" PRId64 ", got %.32s",
                    min, max, t);
    *out = n;
    return 0;
}

static int get_int(const parse_t *p, const yaml_node_t *v, const char *key, int min, int max,
                   int *out)
{
    int64_t n = 0;
    if (get_int64(p, v, key, min, max, &n) != 0)
        return -1;
    *out = (int)n;
    return 0;
}

static int get_duration(const parse_t *p, const yaml_node_t *v, const char *key, int64_t min_ns,
                        int64_t *out)
{
    if (need_scalar(p, v, key, "a duration " DURATION_HINT) != 0)
        return -1;
    int64_t ns = 0;
    if (sb_duration_parse_ns(sb_yaml_text(v), &ns) != 0)
        return fail(p, sb_yaml_line(v), key, "bad duration '%.64s' " DURATION_HINT, sb_yaml_text(v));
    if (ns < min_ns)
        return fail(p, sb_yaml_line(v), key, "must be %s, got '%.64s'",
                    min_ns > 0 ? "more than 0" : "at least 0", sb_yaml_text(v));
    *out = ns;
    return 0;
}

static int get_text(const parse_t *p, const yaml_node_t *v, const char *key, char *buf,
                    size_t size)
{
    if (need_scalar(p, v, key, "a string") != 0)
        return -1;
    if (strlen(sb_yaml_text(v)) >= size)
        return fail(p, sb_yaml_line(v), key, "longer than %zu bytes", size - 1);
    snprintf(buf, size, "%s", sb_yaml_text(v));
    return 0;
}

/* One of `names` (count of them); its index in *out. */
static int get_choice(const parse_t *p, const yaml_node_t *v, const char *key,
                      const char *const *names, size_t count, int *out)
{
    char known[256] = "";
    for (size_t i = 0; i < count; i++)
        if (names[i] != NULL)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                     known[0] ? ", " : "", names[i]);
    if (need_scalar(p, v, key, known) != 0)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (names[i] != NULL && strcmp(sb_yaml_text(v), names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown value '%.64s' (known: %s)", sb_yaml_text(v), known);
}

static int walk(parse_t *p, yaml_node_t *map, const char *prefix, const key_entry_t *keys,
                size_t keys_count, void *arg)
{
    char got[96];
    if (map->type != YAML_MAPPING_NODE)
        return fail(p, sb_yaml_line(map), prefix, "expected a mapping, got %s",
                    sb_yaml_describe(map, got, sizeof got));
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = sb_yaml_node(p->doc, pair->key);
        if (k->type != YAML_SCALAR_NODE)
            return fail(p, sb_yaml_line(k), prefix, "a key must be a word, got %s",
                        sb_yaml_describe(k, got, sizeof got));
        char key[KEY_BYTES_MAX];
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", sb_yaml_text(k));
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
            yaml_node_t *earlier = sb_yaml_node(p->doc, q->key);
            if (earlier->type == YAML_SCALAR_NODE && strcmp(sb_yaml_text(earlier), sb_yaml_text(k)) == 0)
                return fail(p, sb_yaml_line(k), key, "duplicate key (first given at line %zu)",
                            sb_yaml_line(earlier));
        }
        size_t i = 0;
        while (i < keys_count && strcmp(keys[i].name, sb_yaml_text(k)) != 0)
            i++;
        if (i == keys_count) {
            char known[512] = "";
            for (size_t j = 0; j < keys_count; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         j ? ", " : "", keys[j].name);
            return fail(p, sb_yaml_line(k), key, "unknown key (known: %s)", known);
        }
        int m = keys[i].model;
        if (m != MODEL_ANY && p->model_key_line[m] == 0) {
            p->model_key_line[m] = (int)sb_yaml_line(k);
            snprintf(p->model_key[m], sizeof p->model_key[m], "%s", key);
        }
        if (keys[i].fn(p, key, sb_yaml_node(p->doc, pair->value), arg) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- channel */

static int on_channel_delay(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { "fixed", "uniform", "exponential" };
    sb_rng_dist_t *d = arg;
    int k = 0;
    if (get_choice(p, v, key, names, COUNT_OF(names), &k) != 0)
        return -1;
    d->kind = (sb_rng_dist_kind_t)k;
    return 0;
}

static int on_channel_min(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->channel_min_set = true;
    return get_duration(p, v, key, 0, &((sb_rng_dist_t *)arg)->min_ns);
}

static int on_channel_max(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->channel_max_set = true;
    return get_duration(p, v, key, 0, &((sb_rng_dist_t *)arg)->max_ns);
}

static int on_channel_mean(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->channel_mean_set = true;
    return get_duration(p, v, key, 1, &((sb_rng_dist_t *)arg)->mean_ns);
}

static int on_channel_capacity(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int(p, v, key, 1, SB_SIMSCENARIO_CAPACITY_MAX, &p->s->channel_capacity);
}

static const key_entry_t channel_keys[] = {
    { "delay", on_channel_delay, MODEL_ANY }, { "min", on_channel_min, MODEL_ANY },
    { "max", on_channel_max, MODEL_ANY },     { "mean", on_channel_mean, MODEL_ANY },
    { "capacity", on_channel_capacity, MODEL_ANY },
};

/* A delay distribution must make sense as a whole: known bounds, a mean
 * for the exponential. */
static int check_delay(parse_t *p, sb_rng_dist_t *d, const char *key)
{
    if (d->kind == SB_RNG_FIXED) {
        if (p->channel_max_set && d->max_ns != d->min_ns)
            return fail(p, (size_t)p->channel_line, key, "a fixed delay takes min only");
        d->max_ns = d->min_ns;
    } else if (d->kind == SB_RNG_UNIFORM) {
        if (!p->channel_min_set || !p->channel_max_set)
            return fail(p, (size_t)p->channel_line, key, "a uniform delay needs min and max");
        if (d->max_ns < d->min_ns)
            return fail(p, (size_t)p->channel_line, key, "max is below min");
    } else {
        if (!p->channel_mean_set)
            return fail(p, (size_t)p->channel_line, key, "an exponential delay needs mean");
        if (!p->channel_max_set)
            d->max_ns = d->min_ns + 20 * d->mean_ns; /* a tail, not an eternity */
        if (d->max_ns < d->min_ns)
            return fail(p, (size_t)p->channel_line, key, "max is below min");
    }
    return 0;
}

static int on_channel(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    sb_rng_dist_t d = { .kind = SB_RNG_FIXED };
    p->channel_min_set = p->channel_max_set = p->channel_mean_set = false;
    p->channel_line = (int)sb_yaml_line(v);
    if (walk(p, v, key, channel_keys, COUNT_OF(channel_keys), &d) != 0 ||
        check_delay(p, &d, key) != 0)
        return -1;
    p->s->channel_delay = d;
    return 0;
}

/* ------------------------------------------------------------- stages */

static bool is_stage_word(const char *t)
{
    if (t[0] == '\0' || !islower((unsigned char)t[0]))
        return false;
    for (const char *c = t; *c != '\0'; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
            return false;
    return true;
}

static int on_stage_name(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_stage_t *st = arg;
    if (get_text(p, v, key, st->name, sizeof st->name) != 0)
        return -1;
    if (!is_stage_word(st->name))
        return fail(p, sb_yaml_line(v), key, "'%s' is not a stage name (lower-case letters, digits "
                    "and '_', starting with a letter)", st->name);
    return 0;
}

static int on_stage_kind(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    int k = 0;
    const char *kind_names[SB_STAGE_COUNT_];
    for (int i = 0; i < SB_STAGE_COUNT_; i++) /* the simulator has no count */
        kind_names[i] = i == SB_STAGE_COUNT ? NULL : sb_stage_kind_name((sb_stage_kind_t)i);
    if (get_choice(p, v, key, kind_names, COUNT_OF(kind_names), &k) != 0)
        return -1;
    ((sb_simscenario_stage_t *)arg)->kind = (sb_stage_kind_t)k;
    return 0;
}

static int on_stage_parallelism(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_int(p, v, key, 1, SB_SIMSCENARIO_PARALLELISM_MAX,
                   &((sb_simscenario_stage_t *)arg)->parallelism);
}

static int on_stage_input(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { "forward", "rebalance", "hash" };
    sb_simscenario_stage_t *st = arg;
    int k = 0;
    if (get_choice(p, v, key, names, COUNT_OF(names), &k) != 0)
        return -1;
    st->input = (sb_connection_t)k;
    st->input_set = true;
    return 0;
}

static int on_stage_from(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_stage_t *st = arg;
    int index = (int)(st - p->s->stages);
    p->from_lines[index] = (int)sb_yaml_line(v);
    if (v->type == YAML_SCALAR_NODE) {
        st->from_count = 1;
        return get_text(p, v, key, p->from_names[index][0], sizeof p->from_names[index][0]);
    }
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return fail(p, sb_yaml_line(v), key, "expected a stage name or a list of them");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        if (st->from_count == SB_SIMSCENARIO_FROM_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d upstream stages",
                        SB_SIMSCENARIO_FROM_MAX);
        if (get_text(p, sb_yaml_node(p->doc, *it), key, p->from_names[index][st->from_count],
                     sizeof p->from_names[index][0]) != 0)
            return -1;
        st->from_count++;
    }
    return 0;
}

static int on_stage_keep_every(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_int64(p, v, key, 1, INT64_C(1) << 40, &((sb_simscenario_stage_t *)arg)->keep_every);
}

static int on_stage_process_time(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 0, &((sb_simscenario_stage_t *)arg)->process_ns);
}

static const key_entry_t stage_keys[] = {
    { "name", on_stage_name, MODEL_ANY },         { "kind", on_stage_kind, MODEL_ANY },
    { "parallelism", on_stage_parallelism, MODEL_ANY }, { "input", on_stage_input, MODEL_ANY },
    { "from", on_stage_from, MODEL_ANY },         { "keep_every", on_stage_keep_every, MODEL_ANY },
    { "process_time", on_stage_process_time, MODEL_ANY },
};

static int on_stages(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(p, sb_yaml_line(v), key, "expected a list of stages");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        sb_simscenario_t *s = p->s;
        if (s->stages_count == SB_SIMSCENARIO_STAGES_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d stages", SB_SIMSCENARIO_STAGES_MAX);
        sb_simscenario_stage_t *st = &s->stages[s->stages_count];
        memset(st, 0, sizeof *st);
        st->parallelism = 1;
        st->kind = (sb_stage_kind_t)-1;
        st->keep_every = 0;
        st->line = (int)sb_yaml_line(sb_yaml_node(p->doc, *it));
        char k[KEY_BYTES_MAX];
        snprintf(k, sizeof k, "%s[%d]", key, s->stages_count);
        s->stages_count++;
        if (walk(p, sb_yaml_node(p->doc, *it), k, stage_keys, COUNT_OF(stage_keys), st) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- faults */

/* The keys of one fault, as bits: which were given, which a kind takes. */
enum {
    FK_AT = 1 << 0, FK_CRASH = 1 << 1, FK_TASK = 1 << 2, FK_PROCESS = 1 << 3,
    FK_DELAY = 1 << 4, FK_FOR = 1 << 5, FK_EXTRA = 1 << 6, FK_FROM = 1 << 7, FK_TO = 1 << 8,
    FK_SLOW = 1 << 9, FK_PROCESS_TIME = 1 << 10,
};

static const char *const fault_kind_names[SB_SIM_FAULT_KINDS_COUNT_] = {
    [SB_SIM_FAULT_CRASH_JOB] = "crash: job",
    [SB_SIM_FAULT_CRASH_TASK] = "crash: task",
    [SB_SIM_FAULT_CRASH_PROCESS] = "crash: process",
    [SB_SIM_FAULT_DELAY_SPIKE] = "delay: spike",
    [SB_SIM_FAULT_SLOW] = "slow",
};

const char *sb_simscenario_fault_kind_name(sb_simscenario_fault_kind_t k)
{
    return (size_t)k < COUNT_OF(fault_kind_names) ? fault_kind_names[k] : "unknown";
}

/* What each kind takes (required | optional). */
static const struct {
    unsigned required, optional;
    const char *keys;
} fault_rules[SB_SIM_FAULT_KINDS_COUNT_] = {
    [SB_SIM_FAULT_CRASH_JOB] = { FK_AT | FK_CRASH, 0, "at, crash" },
    [SB_SIM_FAULT_CRASH_TASK] = { FK_AT | FK_CRASH | FK_TASK, 0, "at, crash, task" },
    [SB_SIM_FAULT_CRASH_PROCESS] = { FK_AT | FK_CRASH | FK_PROCESS, 0, "at, crash, process" },
    [SB_SIM_FAULT_DELAY_SPIKE] = { FK_AT | FK_DELAY | FK_FOR | FK_EXTRA, FK_FROM | FK_TO,
                                   "at, delay, for, extra and optionally from, to" },
    [SB_SIM_FAULT_SLOW] = { FK_AT | FK_SLOW | FK_FOR | FK_PROCESS_TIME, 0,
                            "at, slow, for, process_time" },
};

static const char *const fault_key_names[] = {
    "at", "crash", "task", "process", "delay", "for", "extra", "from", "to", "slow",
    "process_time",
};

static int on_fault_at(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->fault_seen |= FK_AT;
    return get_duration(p, v, key, 1, &((sb_simscenario_fault_t *)arg)->at_ns);
}

static int on_fault_crash(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { "job", "task", "process" };
    static const sb_simscenario_fault_kind_t kinds[] = {
        SB_SIM_FAULT_CRASH_JOB, SB_SIM_FAULT_CRASH_TASK, SB_SIM_FAULT_CRASH_PROCESS,
    };
    int k = 0;
    p->fault_seen |= FK_CRASH;
    if (get_choice(p, v, key, names, COUNT_OF(names), &k) != 0)
        return -1;
    ((sb_simscenario_fault_t *)arg)->kind = kinds[k];
    return 0;
}

static int on_fault_delay(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { "spike" };
    int k = 0;
    p->fault_seen |= FK_DELAY;
    ((sb_simscenario_fault_t *)arg)->kind = SB_SIM_FAULT_DELAY_SPIKE;
    return get_choice(p, v, key, names, COUNT_OF(names), &k);
}

static int on_fault_slow(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_fault_t *f = arg;
    p->fault_seen |= FK_SLOW;
    f->kind = SB_SIM_FAULT_SLOW;
    return get_text(p, v, key, f->task, sizeof f->task);
}

static int on_fault_task(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_fault_t *f = arg;
    p->fault_seen |= FK_TASK;
    return get_text(p, v, key, f->task, sizeof f->task);
}

static int on_fault_process(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->fault_seen |= FK_PROCESS;
    return get_int(p, v, key, 0, SB_SIMSCENARIO_PROCESSES_MAX - 1,
                   &((sb_simscenario_fault_t *)arg)->process);
}

static int on_fault_for(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->fault_seen |= FK_FOR;
    return get_duration(p, v, key, 1, &((sb_simscenario_fault_t *)arg)->for_ns);
}

static int on_fault_extra(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->fault_seen |= FK_EXTRA;
    return get_duration(p, v, key, 1, &((sb_simscenario_fault_t *)arg)->extra_ns);
}

static int on_fault_process_time(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->fault_seen |= FK_PROCESS_TIME;
    return get_duration(p, v, key, 0, &((sb_simscenario_fault_t *)arg)->process_ns);
}

static int on_fault_from(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_fault_t *f = arg;
    p->fault_seen |= FK_FROM;
    return get_text(p, v, key, f->from, sizeof f->from);
}

static int on_fault_to(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_fault_t *f = arg;
    p->fault_seen |= FK_TO;
    return get_text(p, v, key, f->to, sizeof f->to);
}

static const key_entry_t fault_keys[] = {
    { "at", on_fault_at, MODEL_ANY },         { "crash", on_fault_crash, MODEL_ANY },
    { "task", on_fault_task, MODEL_ANY },     { "process", on_fault_process, MODEL_ANY },
    { "delay", on_fault_delay, MODEL_ANY },   { "for", on_fault_for, MODEL_ANY },
    { "extra", on_fault_extra, MODEL_ANY },   { "from", on_fault_from, MODEL_ANY },
    { "to", on_fault_to, MODEL_ANY },         { "slow", on_fault_slow, MODEL_ANY },
    { "process_time", on_fault_process_time, MODEL_ANY },
};

/* One kind (crash, delay or slow), with the keys it takes and no other. */
static int check_fault_keys(parse_t *p, const sb_simscenario_fault_t *f, const char *key)
{
    unsigned kinds = p->fault_seen & (FK_CRASH | FK_DELAY | FK_SLOW);
    if (kinds == 0)
        return fail(p, (size_t)f->line, key, "a fault needs crash: (job, task or process), "
                    "delay: spike or slow: TASK");
    if ((kinds & (kinds - 1)) != 0)
        return fail(p, (size_t)f->line, key, "one fault is one of crash:, delay: or slow: "
                    "(write two faults)");
    unsigned required = fault_rules[f->kind].required;
    unsigned allowed = required | fault_rules[f->kind].optional;
    for (size_t b = 0; b < COUNT_OF(fault_key_names); b++) {
        unsigned bit = 1u << b;
        if ((p->fault_seen & bit) && !(allowed & bit))
            return fail(p, (size_t)f->line, key, "%s is not a key of %s (its keys: %s)",
                        fault_key_names[b], fault_kind_names[f->kind], fault_rules[f->kind].keys);
        if (!(p->fault_seen & bit) && (required & bit))
            return fail(p, (size_t)f->line, key, "%s needs %s: (its keys: %s)",
                        fault_kind_names[f->kind], fault_key_names[b], fault_rules[f->kind].keys);
    }
    return 0;
}

static int on_faults(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (sb_yaml_is_null(v))
        return 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(p, sb_yaml_line(v), key, "expected a list of faults");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        sb_simscenario_t *s = p->s;
        if (s->faults_count == SB_SIMSCENARIO_FAULTS_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d faults", SB_SIMSCENARIO_FAULTS_MAX);
        sb_simscenario_fault_t *f = &s->faults[s->faults_count];
        yaml_node_t *n = sb_yaml_node(p->doc, *it);
        memset(f, 0, sizeof *f);
        f->line = (int)sb_yaml_line(n);
        f->from_index = f->to_index = -1;
        char k[KEY_BYTES_MAX];
        snprintf(k, sizeof k, "%s[%d]", key, s->faults_count);
        s->faults_count++;
        p->fault_seen = 0;
        if (walk(p, n, k, fault_keys, COUNT_OF(fault_keys), f) != 0)
            return -1;
        if (f->at_ns == 0)
            return fail(p, sb_yaml_line(n), k, "a fault needs at: (when, e.g. 12ms)");
        if (check_fault_keys(p, f, k) != 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- sim: */

static int on_protocol(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    int k = 0;
    (void)arg;
    if (get_choice(p, v, key, protocol_names, COUNT_OF(protocol_names), &k) != 0)
        return -1;
    p->s->protocol = (sb_simscenario_protocol_t)k;
    p->protocol_line = (int)sb_yaml_line(v);
    return 0;
}

static int on_aligned_timeout(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    p->timeout_line = (int)sb_yaml_line(v);
    return get_duration(p, v, key, 1, &p->s->aligned_timeout_ns);
}

static int on_mutant(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    /* The runtime's names (runtime/scenario.h): every mutant of the fault
     * harness is simulated by the pipeline model; finish_classic narrows
     * the set for model: chandy-lamport. */
    const char *names[SB_MUTANT_DROP_CHANNEL_STATE + 1];
    int k = 0;
    (void)arg;
    for (int m = 0; m <= SB_MUTANT_DROP_CHANNEL_STATE; m++)
        names[m] = sb_mutant_name((sb_mutant_t)m);
    if (get_choice(p, v, key, names, COUNT_OF(names), &k) != 0)
        return -1;
    p->s->mutant = (sb_mutant_t)k;
    p->mutant_line = (int)sb_yaml_line(v);
    return 0;
}

static int on_trace(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { "checkpoints", "records" };
    int k = 0;
    (void)arg;
    if (get_choice(p, v, key, names, COUNT_OF(names), &k) != 0)
        return -1;
    p->s->trace_records = k == 1;
    return 0;
}

static int on_rpc_delay(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    int64_t ns = 0;
    if (get_duration(p, v, key, 0, &ns) != 0)
        return -1;
    p->s->rpc_delay = (sb_rng_dist_t){ .kind = SB_RNG_FIXED, .min_ns = ns, .max_ns = ns };
    return 0;
}

static int on_seed(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    int64_t n = 0;
    if (get_int64(p, v, key, 0, INT64_MAX, &n) != 0)
        return -1;
    p->s->seed = (uint64_t)n;
    return 0;
}

#define DURATION_KEY(fn_name, field, min)                                               \
    static int fn_name(parse_t *p, const char *key, yaml_node_t *v, void *arg)          \
    {                                                                                   \
        (void)arg;                                                                      \
        return get_duration(p, v, key, min, &p->s->field);                              \
    }
DURATION_KEY(on_source_interval, source_interval_ns, 1)
DURATION_KEY(on_checkpoint_interval, checkpoint_interval_ns, 1)
DURATION_KEY(on_checkpoint_timeout, checkpoint_timeout_ns, 1)
DURATION_KEY(on_min_pause, min_pause_ns, 0)
DURATION_KEY(on_restart_delay, restart_delay_ns, 0)
DURATION_KEY(on_failure_detection, failure_detection_ns, 0)
DURATION_KEY(on_coordinator_tick, coordinator_tick_ns, 1)
DURATION_KEY(on_sample_interval, sample_interval_ns, 1)
DURATION_KEY(on_max_time, max_time_ns, 1)

static int on_records(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int64(p, v, key, 1, INT64_C(1) << 40, &p->s->records);
}

static int on_max_concurrent(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int(p, v, key, 1, SB_SCENARIO_CONCURRENT_MAX, &p->s->max_concurrent);
}

static int on_tolerable_failed(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int(p, v, key, 0, 1000000, &p->s->tolerable_failed);
}

static int on_max_events(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int64(p, v, key, 1, INT64_MAX, &p->s->max_events);
}

/* ------------------------------------------------- model: chandy-lamport */

static int on_model(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    int k = 0;
    (void)arg;
    if (get_choice(p, v, key, model_names, COUNT_OF(model_names), &k) != 0)
        return -1;
    p->s->model = (sb_simscenario_model_t)k;
    p->model_line = (int)sb_yaml_line(v);
    return 0;
}

static int on_processes(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int(p, v, key, 2, SB_SIMSCENARIO_PROCESSES_MAX, &p->s->classic.processes);
}

/* graph: a preset name, or a list of [from, to] (checked against
 * processes after the walk: keys come in any order). */
static int on_graph(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const presets[] = { "ring", "bidirectional-ring", "complete" };
    sb_simscenario_classic_t *cl = &p->s->classic;
    (void)arg;
    p->graph_line = (int)sb_yaml_line(v);
    if (v->type == YAML_SCALAR_NODE) {
        int k = 0;
        if (get_choice(p, v, key, presets, COUNT_OF(presets), &k) != 0)
            return -1;
        snprintf(p->graph_preset, sizeof p->graph_preset, "%s", presets[k]);
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(p, sb_yaml_line(v), key, "expected ring, bidirectional-ring, complete or a list "
                    "of [from, to] channels");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *e = sb_yaml_node(p->doc, *it);
        if (e->type != YAML_SEQUENCE_NODE ||
            e->data.sequence.items.top - e->data.sequence.items.start != 2)
            return fail(p, sb_yaml_line(e), key, "a channel is [from, to]");
        if (cl->edges_count == SB_SIMSCENARIO_EDGES_MAX)
            return fail(p, sb_yaml_line(e), key, "more than %d channels", SB_SIMSCENARIO_EDGES_MAX);
        for (int end = 0; end < 2; end++)
            if (get_int(p, sb_yaml_node(p->doc, e->data.sequence.items.start[end]), key, 0,
                        SB_SIMSCENARIO_PROCESSES_MAX - 1, &cl->edges[cl->edges_count][end]) != 0)
                return -1;
        cl->edges_count++;
    }
    return 0;
}

static int on_tokens(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int64(p, v, key, 1, INT64_C(1) << 40, &p->s->classic.tokens);
}

static int on_transfer_max(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int64(p, v, key, 1, INT64_C(1) << 40, &p->s->classic.transfer_max);
}

static int on_snapshots(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int(p, v, key, 1, SB_SIMSCENARIO_SNAPSHOTS_MAX, &p->s->classic.snapshots);
}

static int on_initiators(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_simscenario_classic_t *cl = &p->s->classic;
    (void)arg;
    p->initiators_line = (int)sb_yaml_line(v);
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return fail(p, sb_yaml_line(v), key, "expected a list of process numbers, e.g. [0, 2]");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        if (cl->initiators_count == SB_SIMSCENARIO_PROCESSES_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d initiators",
                        SB_SIMSCENARIO_PROCESSES_MAX);
        if (get_int(p, sb_yaml_node(p->doc, *it), key, 0, SB_SIMSCENARIO_PROCESSES_MAX - 1,
                    &cl->initiators[cl->initiators_count]) != 0)
            return -1;
        for (int k = 0; k < cl->initiators_count; k++)
            if (cl->initiators[k] == cl->initiators[cl->initiators_count])
                return fail(p, sb_yaml_line(v), key, "process %d twice", cl->initiators[k]);
        cl->initiators_count++;
    }
    return 0;
}

static int on_fifo(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { "false", "true" };
    int k = 0;
    (void)arg;
    if (get_choice(p, v, key, names, COUNT_OF(names), &k) != 0)
        return -1;
    /* One key for both models: the classic model reads its copy. */
    p->s->fifo = p->s->classic.fifo = k == 1;
    return 0;
}

DURATION_KEY(on_transfer_interval, classic.transfer_interval_ns, 1)
DURATION_KEY(on_snapshot_interval, classic.snapshot_interval_ns, 1)
DURATION_KEY(on_duration, classic.duration_ns, 1)

#define P MODEL_PIPELINE
#define C MODEL_CLASSIC
static const key_entry_t sim_keys[] = {
    { "model", on_model, MODEL_ANY },
    { "protocol", on_protocol, P },
    { "aligned_timeout", on_aligned_timeout, P },
    { "records", on_records, P },
    { "source_interval", on_source_interval, P },
    { "checkpoint_interval", on_checkpoint_interval, P },
    { "checkpoint_timeout", on_checkpoint_timeout, P },
    { "max_concurrent", on_max_concurrent, P },
    { "min_pause", on_min_pause, P },
    { "tolerable_failed", on_tolerable_failed, P },
    { "channel", on_channel, MODEL_ANY },
    { "rpc_delay", on_rpc_delay, P },
    { "restart_delay", on_restart_delay, MODEL_ANY },
    { "failure_detection", on_failure_detection, P },
    { "coordinator_tick", on_coordinator_tick, P },
    { "sample_interval", on_sample_interval, P },
    { "trace", on_trace, MODEL_ANY },
    { "seed", on_seed, MODEL_ANY },
    { "max_time", on_max_time, MODEL_ANY },
    { "max_events", on_max_events, MODEL_ANY },
    { "mutant", on_mutant, MODEL_ANY },
    { "stages", on_stages, P },
    { "faults", on_faults, MODEL_ANY },
    { "processes", on_processes, C },
    { "graph", on_graph, C },
    { "tokens", on_tokens, C },
    { "transfer_interval", on_transfer_interval, C },
    { "transfer_max", on_transfer_max, C },
    { "snapshots", on_snapshots, C },
    { "snapshot_interval", on_snapshot_interval, C },
    { "initiators", on_initiators, C },
    { "fifo", on_fifo, MODEL_ANY },
    { "duration", on_duration, C },
};
#undef P
#undef C

static int on_sim(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return walk(p, v, key, sim_keys, COUNT_OF(sim_keys), NULL);
}

static int on_name(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (get_text(p, v, key, p->s->name, sizeof p->s->name) != 0)
        return -1;
    for (const char *c = p->s->name; *c != '\0'; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return fail(p, sb_yaml_line(v), key, "letters, digits, '.', '_' and '-' only");
    p->name_set = p->s->name[0] != '\0';
    return 0;
}

static int on_description(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_text(p, v, key, p->s->description, sizeof p->s->description);
}

static const key_entry_t top_keys[] = {
    { "name", on_name, MODEL_ANY },
    { "description", on_description, MODEL_ANY },
    { "sim", on_sim, MODEL_ANY },
};

/* ------------------------------------------------- rules after the walk */

static int stage_by_name(const sb_simscenario_t *s, const char *name, int before)
{
    for (int i = 0; i < before; i++)
        if (strcmp(s->stages[i].name, name) == 0)
            return i;
    return -1;
}

static int resolve_stage(parse_t *p, int i)
{
    sb_simscenario_t *s = p->s;
    sb_simscenario_stage_t *st = &s->stages[i];
    char key[64];
    snprintf(key, sizeof key, "sim.stages[%d]", i);
    if (st->name[0] == '\0')
        return fail(p, (size_t)st->line, key, "a stage needs a name");
    if (stage_by_name(s, st->name, i) >= 0)
        return fail(p, (size_t)st->line, key, "a second stage named '%s'", st->name);
    if ((int)st->kind < 0) {
        int k = -1;
        k = sb_stage_kind_from_name(st->name);
        if (k == SB_STAGE_COUNT)
            k = -1;
        if (k < 0)
            return fail(p, (size_t)st->line, key, "stage '%s' needs kind: (source, map, filter "
                        "or sink) since its name is not one", st->name);
        st->kind = (sb_stage_kind_t)k;
    }
    if (st->kind != SB_STAGE_FILTER && st->keep_every > 0)
        return fail(p, (size_t)st->line, key, "keep_every is for filter stages");
    if (st->kind == SB_STAGE_FILTER && st->keep_every <= 0)
        st->keep_every = 4;
    if (st->kind == SB_STAGE_SOURCE) {
        if (st->from_count > 0 || st->input_set)
            return fail(p, (size_t)st->line, key, "a source reads no stage (no from:, no input:)");
        return 0;
    }
    if (st->from_count == 0) {
        if (i == 0)
            return fail(p, (size_t)st->line, key, "the first stage must be a source");
        st->from[st->from_count++] = i - 1;
        return 0;
    }
    for (int k = 0; k < st->from_count; k++) {
        int up = stage_by_name(s, p->from_names[i][k], i);
        if (up < 0)
            return fail(p, (size_t)p->from_lines[i], key, "from: '%s' is not a stage listed "
                        "before this one (stages come upstream first: the graph has no "
                        "cycle)", p->from_names[i][k]);
        for (int j = 0; j < k; j++)
            if (st->from[j] == up)
                return fail(p, (size_t)p->from_lines[i], key, "from: '%s' twice",
                            p->from_names[i][k]);
        st->from[k] = up;
    }
    return 0;
}

/* Without input:, a stage reads forward when every upstream stage has its
 * parallelism, else round-robin (the runtime's rule). */
static void default_input(sb_simscenario_t *s, sb_simscenario_stage_t *st)
{
    if (st->input_set || st->kind == SB_STAGE_SOURCE)
        return;
    st->input = SB_CONNECTION_FORWARD;
    for (int k = 0; k < st->from_count; k++)
        if (s->stages[st->from[k]].parallelism != st->parallelism)
            st->input = SB_CONNECTION_REBALANCE;
}

/* Counts the paths from each stage to a sink (consumers come later, so
 * one backward pass does it); the bound keeps the virtual partitions of
 * topology.h and the expected output small. */
static int check_paths(parse_t *p, const int consumers[][SB_SIMSCENARIO_STAGES_MAX],
                       const int *consumers_count)
{
    sb_simscenario_t *s = p->s;
    int paths[SB_SIMSCENARIO_STAGES_MAX];
    for (int i = s->stages_count - 1; i >= 0; i--) {
        paths[i] = s->stages[i].kind == SB_STAGE_SINK ? 1 : 0;
        for (int k = 0; k < consumers_count[i]; k++)
            paths[i] += paths[consumers[i][k]];
        if (paths[i] > SB_SIMSCENARIO_PATHS_MAX)
            return fail(p, (size_t)s->stages[i].line, "sim.stages", "%d paths lead from '%s' "
                        "to the sinks, more than %d (each path carries its own copy of a "
                        "record)", paths[i], s->stages[i].name, SB_SIMSCENARIO_PATHS_MAX);
    }
    return 0;
}

/* The graph is a DAG (`from` names earlier stages only); a sink feeds
 * nothing and every other stage feeds at least one later stage, so every
 * record reaches a sink; forward needs equal parallelism; the job fits the
 * bounds of the coordinator, the barrier handler and the cut checker. */
static int check_graph(parse_t *p)
{
    sb_simscenario_t *s = p->s;
    int consumers[SB_SIMSCENARIO_STAGES_MAX][SB_SIMSCENARIO_STAGES_MAX];
    int consumers_count[SB_SIMSCENARIO_STAGES_MAX] = { 0 };
    int tasks = 0, channels = 0, sinks = 0;
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        char key[64];
        snprintf(key, sizeof key, "sim.stages[%d]", i);
        tasks += st->parallelism;
        sinks += st->kind == SB_STAGE_SINK;
        int inputs = 0;
        for (int k = 0; k < st->from_count; k++) {
            const sb_simscenario_stage_t *up = &s->stages[st->from[k]];
            consumers[st->from[k]][consumers_count[st->from[k]]++] = i;
            if (up->kind == SB_STAGE_SINK)
                return fail(p, (size_t)st->line, key, "reads from the sink '%s' (a sink feeds "
                            "nothing)", up->name);
            bool forward = st->input == SB_CONNECTION_FORWARD;
            if (forward && up->parallelism != st->parallelism)
                return fail(p, (size_t)st->line, key, "input: forward needs the parallelism of "
                            "'%s' (%d), got %d", up->name, up->parallelism, st->parallelism);
            inputs += forward ? 1 : up->parallelism;
            channels += forward ? st->parallelism : up->parallelism * st->parallelism;
        }
        if (inputs > SB_SIMSCENARIO_INPUTS_MAX)
            return fail(p, (size_t)st->line, key, "each subtask would read %d channels, more "
                        "than the barrier handler's %d", inputs, SB_SIMSCENARIO_INPUTS_MAX);
    }
    if (s->stages_count < 2 || sinks == 0)
        return fail(p, 1, "sim.stages", "a job needs a source first and at least one sink");
    for (int i = 0; i < s->stages_count; i++)
        if (s->stages[i].kind != SB_STAGE_SINK && consumers_count[i] == 0)
            return fail(p, (size_t)s->stages[i].line, "sim.stages", "'%s' feeds no stage: "
                        "every stage but a sink must feed a later one (list it in a later "
                        "stage's from:), so that its records reach a sink", s->stages[i].name);
    if (tasks > SB_SIMSCENARIO_TASKS_MAX || channels > SB_SIMSCENARIO_CHANNELS_MAX)
        return fail(p, 1, "sim.stages", "%d subtasks and %d channels, more than %d and %d", tasks,
                    channels, SB_SIMSCENARIO_TASKS_MAX, SB_SIMSCENARIO_CHANNELS_MAX);
    return check_paths(p, consumers, consumers_count);
}

static bool edge_known(const sb_simscenario_classic_t *cl, int from, int to)
{
    for (int e = 0; e < cl->edges_count; e++)
        if (cl->edges[e][0] == from && cl->edges[e][1] == to)
            return true;
    return false;
}

void sb_simscenario_graph_preset(sb_simscenario_classic_t *cl, const char *preset)
{
    int n = cl->processes;
    cl->edges_count = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            bool ring = j == (i + 1) % n, back = i == (j + 1) % n;
            bool want = strcmp(preset, "complete") == 0 ? i != j
                        : strcmp(preset, "ring") == 0 ? ring : ring || back;
            if (want && !edge_known(cl, i, j)) {
                cl->edges[cl->edges_count][0] = i;
                cl->edges[cl->edges_count][1] = j;
                cl->edges_count++;
            }
        }
}

/* Every process must be reachable from every initiator along channels:
 * markers only travel along them, and a snapshot completes only when every
 * process has recorded. */
static int check_reachable(parse_t *p, const sb_simscenario_classic_t *cl)
{
    for (int k = 0; k < cl->initiators_count; k++) {
        bool seen[SB_SIMSCENARIO_PROCESSES_MAX] = { false };
        int queue[SB_SIMSCENARIO_PROCESSES_MAX], head = 0, tail = 0;
        seen[cl->initiators[k]] = true;
        queue[tail++] = cl->initiators[k];
        while (head < tail) {
            int u = queue[head++];
            for (int e = 0; e < cl->edges_count; e++)
                if (cl->edges[e][0] == u && !seen[cl->edges[e][1]]) {
                    seen[cl->edges[e][1]] = true;
                    queue[tail++] = cl->edges[e][1];
                }
        }
        for (int q = 0; q < cl->processes; q++)
            if (!seen[q])
                return fail(p, (size_t)(p->graph_line ? p->graph_line : 1), "sim.graph",
                            "process %d cannot be reached from initiator %d: its markers would "
                            "never get there, and no snapshot would complete", q,
                            cl->initiators[k]);
    }
    return 0;
}

/* ------------------------------------------------- faults, after the walk */

static int stage_index(const sb_simscenario_t *s, const char *name)
{
    for (int i = 0; i < s->stages_count; i++)
        if (strcmp(s->stages[i].name, name) == 0)
            return i;
    return -1;
}

/* "source-0..1, map-0..1, sink-0": the subtasks there are, for messages. */
static void task_names(const sb_simscenario_t *s, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < s->stages_count; i++) {
        size_t used = strlen(buf);
        const sb_simscenario_stage_t *st = &s->stages[i];
        if (st->parallelism == 1)
            snprintf(buf + used, len - used, "%s%s-0", i ? ", " : "", st->name);
        else
            snprintf(buf + used, len - used, "%s%s-0..%d", i ? ", " : "", st->name,
                     st->parallelism - 1);
    }
}

/* "map-1": a stage's name, '-', a subtask below its parallelism. */
static int resolve_task(parse_t *p, sb_simscenario_fault_t *f, const char *key)
{
    const sb_simscenario_t *s = p->s;
    char stage[SB_SIMSCENARIO_TASK_NAME_BYTES_MAX], names[512];
    const char *dash = strrchr(f->task, '-');
    char *end = NULL;
    long n = -1;
    if (dash != NULL && dash[1] != '\0' && isdigit((unsigned char)dash[1])) {
        n = strtol(dash + 1, &end, 10);
        snprintf(stage, sizeof stage, "%.*s", (int)(dash - f->task), f->task);
    }
    f->stage = n >= 0 && *end == '\0' ? stage_index(s, stage) : -1;
    if (f->stage < 0 || n >= s->stages[f->stage].parallelism) {
        task_names(s, names, sizeof names);
        return fail(p, (size_t)f->line, key, "unknown task '%s' (a task is STAGE-N, N below the "
                    "stage's parallelism: %s)", f->task, names);
    }
    f->subtask = (int)n;
    if (f->kind == SB_SIM_FAULT_SLOW && s->stages[f->stage].kind == SB_STAGE_SOURCE)
        return fail(p, (size_t)f->line, key, "slow: %s: a source has no process_time (its pace "
                    "is source_interval)", f->task);
    return 0;
}

static int resolve_stage_end(parse_t *p, const sb_simscenario_fault_t *f, const char *key,
                             const char *name, int *out)
{
    char names[512] = "";
    if (name[0] == '\0')
        return 0;
    *out = stage_index(p->s, name);
    if (*out >= 0)
        return 0;
    for (int i = 0; i < p->s->stages_count; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 p->s->stages[i].name);
    return fail(p, (size_t)f->line, key, "no stage '%s' (stages: %s)", name, names);
}

static int resolve_faults_pipeline(parse_t *p)
{
    for (int i = 0; i < p->s->faults_count; i++) {
        sb_simscenario_fault_t *f = &p->s->faults[i];
        char key[KEY_BYTES_MAX];
        snprintf(key, sizeof key, "sim.faults[%d]", i);
        if (f->kind == SB_SIM_FAULT_CRASH_PROCESS)
            return fail(p, (size_t)f->line, key, "crash: process is a fault of model: "
                        "chandy-lamport (a pipeline knows crash: job, crash: task, delay: spike "
                        "and slow)");
        if ((f->kind == SB_SIM_FAULT_CRASH_TASK || f->kind == SB_SIM_FAULT_SLOW) &&
            resolve_task(p, f, key) != 0)
            return -1;
        if (resolve_stage_end(p, f, key, f->from, &f->from_index) != 0 ||
            resolve_stage_end(p, f, key, f->to, &f->to_index) != 0)
            return -1;
    }
    return 0;
}

static int resolve_process(parse_t *p, const sb_simscenario_fault_t *f, const char *key,
                           const char *text, int *out)
{
    if (text[0] == '\0')
        return 0;
    char *end = NULL;
    long n = isdigit((unsigned char)text[0]) ? strtol(text, &end, 10) : -1;
    if (n < 0 || *end != '\0' || n >= p->s->classic.processes)
        return fail(p, (size_t)f->line, key, "no process '%s' (processes are 0..%d)", text,
                    p->s->classic.processes - 1);
    *out = (int)n;
    return 0;
}

static int resolve_faults_classic(parse_t *p)
{
    for (int i = 0; i < p->s->faults_count; i++) {
        sb_simscenario_fault_t *f = &p->s->faults[i];
        char key[KEY_BYTES_MAX];
        snprintf(key, sizeof key, "sim.faults[%d]", i);
        if (f->kind != SB_SIM_FAULT_CRASH_PROCESS && f->kind != SB_SIM_FAULT_DELAY_SPIKE)
            return fail(p, (size_t)f->line, key, "%s is not a fault of model: chandy-lamport "
                        "(it knows crash: process and delay: spike)",
                        fault_kind_names[f->kind]);
        if (f->kind == SB_SIM_FAULT_CRASH_PROCESS && f->process >= p->s->classic.processes)
            return fail(p, (size_t)f->line, key, "no process %d (processes are 0..%d)",
                        f->process, p->s->classic.processes - 1);
        if (resolve_process(p, f, key, f->from, &f->from_index) != 0 ||
            resolve_process(p, f, key, f->to, &f->to_index) != 0)
            return -1;
    }
    return 0;
}

static int finish_classic(parse_t *p)
{
    sb_simscenario_t *s = p->s;
    sb_simscenario_classic_t *cl = &s->classic;
    if (p->model_key_line[MODEL_PIPELINE] > 0)
        return fail(p, (size_t)p->model_key_line[MODEL_PIPELINE], p->model_key[MODEL_PIPELINE],
                    "not a key of model: chandy-lamport (it is the pipeline's)");
    if (s->mutant != SB_MUTANT_NONE && s->mutant != SB_MUTANT_DROP_CHANNEL_STATE)
        return fail(p, (size_t)p->mutant_line, "sim.mutant", "model: chandy-lamport knows none "
                    "and drop-channel-state");
    if (cl->edges_count == 0)
        sb_simscenario_graph_preset(cl, p->graph_preset[0] ? p->graph_preset : "ring");
    for (int e = 0; e < cl->edges_count; e++) {
        int from = cl->edges[e][0], to = cl->edges[e][1];
        if (from >= cl->processes || to >= cl->processes || from == to)
            return fail(p, (size_t)p->graph_line, "sim.graph", "channel [%d, %d]: %s", from, to,
                        from == to ? "a process does not send to itself"
                                   : "no such process (processes are numbered from 0)");
        for (int f = 0; f < e; f++)
            if (cl->edges[f][0] == from && cl->edges[f][1] == to)
                return fail(p, (size_t)p->graph_line, "sim.graph", "channel [%d, %d] twice",
                            from, to);
    }
    if (cl->initiators_count == 0)
        cl->initiators[cl->initiators_count++] = 0;
    for (int k = 0; k < cl->initiators_count; k++)
        if (cl->initiators[k] >= cl->processes)
            return fail(p, (size_t)p->initiators_line, "sim.initiators", "no process %d",
                        cl->initiators[k]);
    if (cl->duration_ns == 0)
        cl->duration_ns = (cl->snapshots + 1) * cl->snapshot_interval_ns;
    if (resolve_faults_classic(p) != 0)
        return -1;
    return check_reachable(p, cl);
}

static int finish_pipeline(parse_t *p)
{
    sb_simscenario_t *s = p->s;
    if (p->model_key_line[MODEL_CLASSIC] > 0)
        return fail(p, (size_t)p->model_key_line[MODEL_CLASSIC], p->model_key[MODEL_CLASSIC],
                    "a key of model: chandy-lamport (this scenario is a pipeline)");
    if (s->stages_count == 0)
        return fail(p, 1, "sim.stages", "a sim scenario needs stages (a source first, a sink "
                    "last)");
    for (int i = 0; i < s->stages_count; i++) {
        if (resolve_stage(p, i) != 0)
            return -1;
        default_input(s, &s->stages[i]);
    }
    if (check_graph(p) != 0)
        return -1;
    if (s->protocol == SB_SIM_TIMEOUT && s->aligned_timeout_ns == 0)
        return fail(p, (size_t)p->protocol_line, "sim.protocol", "timeout needs "
                    "aligned_timeout: (e.g. 2ms)");
    if (s->protocol != SB_SIM_TIMEOUT && p->timeout_line > 0)
        return fail(p, (size_t)p->timeout_line, "sim.aligned_timeout", "only with protocol: "
                    "timeout");
    return resolve_faults_pipeline(p);
}

static int finish(parse_t *p)
{
    if (!p->name_set)
        return fail(p, 1, "name", "a scenario needs a name");
    return p->s->model == SB_SIM_MODEL_CLASSIC ? finish_classic(p) : finish_pipeline(p);
}

/* ------------------------------------------------------------- entry */

int sb_simscenario_parse(sb_simscenario_t *out, const char *path, const char *text, sb_err_t *err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return sb_err_set(err, "%s: cannot initialise the YAML parser", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = sb_err_set(err, "%s:%zu: malformed YAML: %s", path, parser.problem_mark.line + 1,
                            parser.problem ? parser.problem : "unknown error");
        yaml_parser_delete(&parser);
        return rc;
    }
    sb_simscenario_t *s = malloc(sizeof *s);
    parse_t *p = calloc(1, sizeof *p);
    int rc = -1;
    if (s == NULL || p == NULL) {
        sb_err_set(err, "%s: out of memory", path);
        goto done;
    }
    sb_simscenario_defaults(s);
    snprintf(s->path, sizeof s->path, "%s", path);
    p->doc = &doc;
    p->path = path;
    p->err = err;
    p->s = s;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL)
        rc = sb_err_set(err, "%s: empty file", path);
    else if (walk(p, root, "", top_keys, COUNT_OF(top_keys), NULL) == 0 && finish(p) == 0)
        rc = 0;
    if (rc == 0)
        *out = *s;
done:
    free(p);
    free(s);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

int sb_simscenario_load(sb_simscenario_t *s, const char *path, sb_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sb_err_errno(err, errno, "cannot open %s", path);
    char *text = malloc(FILE_BYTES_MAX + 1);
    if (text == NULL) {
        fclose(f);
        return sb_err_set(err, "%s: out of memory", path);
    }
    size_t n = fread(text, 1, FILE_BYTES_MAX + 1, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    int rc;
    if (read_error)
        rc = sb_err_set(err, "cannot read %s", path);
    else if (n > FILE_BYTES_MAX)
        rc = sb_err_set(err, "%s: larger than %d bytes: not a scenario", path, FILE_BYTES_MAX);
    else {
        text[n] = '\0';
        rc = sb_simscenario_parse(s, path, text, err);
    }
    free(text);
    return rc;
}

/* ------------------------------------------------------------- format */

typedef struct out {
    char *buf;
    size_t len, used;
    bool overflow;
} out_t;

__attribute__((format(printf, 2, 3)))
static void put(out_t *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->len - o->used)
        o->overflow = true;
    else
        o->used += (size_t)n;
}

/* "5ms", "250us", "3ns": the largest unit that divides it exactly. */
static const char *duration_text(int64_t ns, char *buf, size_t len)
{
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = { { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 } };
    for (size_t i = 0; i < COUNT_OF(units); i++)
        if (ns % units[i].ns == 0) {
            snprintf(buf, len, "%" PRId64 "%s", ns / units[i].ns, units[i].unit);
            break;
        }
    return buf;
}

static void put_channel(out_t *o, const sb_simscenario_t *s)
{
    char a[32], b[32], m[32];
    const sb_rng_dist_t *d = &s->channel_delay;
    put(o, "  channel: { delay: %s, min: %s", sb_rng_dist_name(d->kind),
        duration_text(d->min_ns, a, sizeof a));
    if (d->kind != SB_RNG_FIXED)
        put(o, ", max: %s", duration_text(d->max_ns, b, sizeof b));
    if (d->kind == SB_RNG_EXPONENTIAL)
        put(o, ", mean: %s", duration_text(d->mean_ns, m, sizeof m));
    put(o, ", capacity: %d }\n", s->channel_capacity);
}

static void put_stage(out_t *o, const sb_simscenario_t *s, const sb_simscenario_stage_t *st)
{
    static const char *const connections[] = { "forward", "rebalance", "hash" };
    char t[32];
    put(o, "    - { name: %s, kind: %s, parallelism: %d", st->name, sb_stage_kind_name(st->kind),
        st->parallelism);
    if (st->kind != SB_STAGE_SOURCE) {
        put(o, ", input: %s, from: [", connections[st->input]);
        for (int k = 0; k < st->from_count; k++)
            put(o, "%s%s", k ? ", " : "", s->stages[st->from[k]].name);
        put(o, "]");
    }
    if (st->kind == SB_STAGE_FILTER)
        put(o, ", keep_every: %" PRId64, st->keep_every);
    if (st->process_ns > 0)
        put(o, ", process_time: %s", duration_text(st->process_ns, t, sizeof t));
    put(o, " }\n");
}

static void put_fault(out_t *o, const sb_simscenario_fault_t *f)
{
    char a[32], b[32], c[32];
    put(o, "    - { at: %s, ", duration_text(f->at_ns, a, sizeof a));
    switch (f->kind) {
    case SB_SIM_FAULT_CRASH_JOB: put(o, "crash: job"); break;
    case SB_SIM_FAULT_CRASH_TASK: put(o, "crash: task, task: %s", f->task); break;
    case SB_SIM_FAULT_CRASH_PROCESS: put(o, "crash: process, process: %d", f->process); break;
    case SB_SIM_FAULT_DELAY_SPIKE:
        put(o, "delay: spike, for: %s, extra: %s", duration_text(f->for_ns, b, sizeof b),
            duration_text(f->extra_ns, c, sizeof c));
        if (f->from[0] != '\0')
            put(o, ", from: \"%s\"", f->from);
        if (f->to[0] != '\0')
            put(o, ", to: \"%s\"", f->to);
        break;
    case SB_SIM_FAULT_SLOW:
        put(o, "slow: %s, for: %s, process_time: %s", f->task,
            duration_text(f->for_ns, b, sizeof b), duration_text(f->process_ns, c, sizeof c));
        break;
    default: assert(!"unknown fault kind");
    }
    put(o, " }\n");
}

static void put_faults(out_t *o, const sb_simscenario_t *s)
{
    put(o, "  faults:%s\n", s->faults_count == 0 ? " []" : "");
    for (int i = 0; i < s->faults_count; i++)
        put_fault(o, &s->faults[i]);
}

static int format_classic(out_t *o, const sb_simscenario_t *s, const char *mutant)
{
    const sb_simscenario_classic_t *cl = &s->classic;
    char d[4][32];
    put(o, "sim:\n  model: chandy-lamport\n  processes: %d\n  graph: [", cl->processes);
    for (int e = 0; e < cl->edges_count; e++)
        put(o, "%s[%d, %d]", e ? ", " : "", cl->edges[e][0], cl->edges[e][1]);
    put(o, "]\n  tokens: %" PRId64 "\n  transfer_interval: %s\n  transfer_max: %" PRId64
        "\n  snapshots: %d\n  snapshot_interval: %s\n  initiators: [", cl->tokens,
        duration_text(cl->transfer_interval_ns, d[0], 32), cl->transfer_max, cl->snapshots,
        duration_text(cl->snapshot_interval_ns, d[1], 32));
    for (int k = 0; k < cl->initiators_count; k++)
        put(o, "%s%d", k ? ", " : "", cl->initiators[k]);
    put(o, "]\n  fifo: %s\n  duration: %s\n", cl->fifo ? "true" : "false",
        duration_text(cl->duration_ns, d[2], 32));
    put_channel(o, s);
    put(o, "  restart_delay: %s\n  trace: %s\n  seed: %" PRIu64 "\n  max_time: %s\n"
        "  max_events: %" PRId64 "\n  mutant: %s\n", duration_text(s->restart_delay_ns, d[2], 32),
        s->trace_records ? "records" : "checkpoints", s->seed,
        duration_text(s->max_time_ns, d[3], 32), s->max_events, mutant);
    put_faults(o, s);
    return o->overflow ? -1 : (int)o->used;
}

int sb_simscenario_format(const sb_simscenario_t *s, char *buf, size_t len)
{
    const char *mutant = sb_mutant_name(s->mutant);
    assert(s->mutant <= SB_MUTANT_DROP_CHANNEL_STATE);
    out_t o = { .buf = buf, .len = len };
    char d[8][32];
    put(&o, "name: %s\n", s->name);
    if (s->description[0] != '\0')
        put(&o, "description: \"");
    for (const char *c = s->description; *c != '\0'; c++)
        put(&o, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c == '\n' ? ' ' : *c);
    if (s->description[0] != '\0')
        put(&o, "\"\n");
    if (s->model == SB_SIM_MODEL_CLASSIC)
        return format_classic(&o, s, mutant);
    put(&o, "sim:\n  protocol: %s\n", protocol_names[s->protocol]);
    if (s->protocol == SB_SIM_TIMEOUT)
        put(&o, "  aligned_timeout: %s\n", duration_text(s->aligned_timeout_ns, d[0], 32));
    put(&o, "  records: %" PRId64 "\n  source_interval: %s\n  checkpoint_interval: %s\n"
        "  checkpoint_timeout: %s\n  max_concurrent: %d\n  min_pause: %s\n"
        "  tolerable_failed: %d\n", s->records, duration_text(s->source_interval_ns, d[1], 32),
        duration_text(s->checkpoint_interval_ns, d[2], 32),
        duration_text(s->checkpoint_timeout_ns, d[3], 32), s->max_concurrent,
        duration_text(s->min_pause_ns, d[4], 32), s->tolerable_failed);
    put_channel(&o, s);
    put(&o, "  rpc_delay: %s\n  restart_delay: %s\n  failure_detection: %s\n"
        "  coordinator_tick: %s\n  sample_interval: %s\n",
        duration_text(s->rpc_delay.min_ns, d[0], 32), duration_text(s->restart_delay_ns, d[1], 32),
        duration_text(s->failure_detection_ns, d[5], 32),
        duration_text(s->coordinator_tick_ns, d[2], 32),
        duration_text(s->sample_interval_ns, d[3], 32));
    put(&o, "  trace: %s\n  seed: %" PRIu64 "\n  max_time: %s\n  max_events: %" PRId64
        "\n  mutant: %s\n  fifo: %s\n  stages:\n", s->trace_records ? "records" : "checkpoints",
        s->seed, duration_text(s->max_time_ns, d[4], 32), s->max_events, mutant,
        s->fifo ? "true" : "false");
    for (int i = 0; i < s->stages_count; i++)
        put_stage(&o, s, &s->stages[i]);
    put_faults(&o, s);
    return o.overflow ? -1 : (int)o.used;
}
