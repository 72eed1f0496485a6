/* scenario.c — scenario files: YAML in, a validated sb_scenario_t out.
 *
 * libyaml's document API gives every node its line, so each error can name
 * the file, the line and the dotted key ("pipeline.map.input",
 * "faults[1].at.point"). Every mapping is walked against a table of known
 * keys: an unknown key, a duplicate key, a wrong type or a value out of
 * range is an error, never a silent default.
 *
 * Invariants: *s is written only when the whole file is valid (we parse into
 * a draft); every libyaml object is deleted on every path. Rules that tie
 * several keys together (parallelism and connection defaults, source
 * parallelism versus partitions) run once after the walk, because YAML key
 * order is free and `pipeline.parallelism` may come after the stages. */
#include "yamlnode.h"
#include "scenario.h"
#include "flink_args.h"
#include "input.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A scenario is a page of YAML; anything bigger is a mistake (wrong file). */
#define SCENARIO_FILE_BYTES_MAX (1024 * 1024)
/* Dotted keys are short; longer ones are only truncated in messages. */
#define KEY_BYTES_MAX 128
/* How much of an offending value a message quotes. */
#define QUOTE_BYTES_MAX 96
/* A typo this close to a known key gets a "did you mean". */
#define SUGGEST_DISTANCE_MAX 2

/* Nesting and aliases a scenario may use (check_shape). */
#define YAML_DEPTH_MAX 32
#define YAML_ALIASES_MAX 64

#define DURATION_HINT "(use e.g. 500ms, 2s, 10min)"
#define WORD_RULE "letters, digits, '.', '_' and '-' only"

/* ---------------------------------------------------------------- names -- */

static const char *const connection_names[] = {
    [SB_CONNECTION_FORWARD] = "forward",
    [SB_CONNECTION_REBALANCE] = "rebalance",
    [SB_CONNECTION_HASH] = "hash",
};

const char *sb_connection_name(sb_connection_t c)
{
    if ((size_t)c >= COUNT_OF(connection_names))
        return "unknown";
    return connection_names[c];
}

/* ------------------------------------------------------------ durations -- */

static const struct {
    const char *unit;
    int64_t ns;
} duration_units[] = {
    { "ns", 1 },
    { "us", 1000 },
    { "ms", 1000 * 1000 },
    { "s", 1000 * 1000 * 1000 },
    { "min", INT64_C(60) * 1000 * 1000 * 1000 },
    { "h", INT64_C(3600) * 1000 * 1000 * 1000 },
};

/* 0 for an unknown unit. A bare number is milliseconds, Flink's default. */
static int64_t duration_unit_ns(const char *unit)
{
    if (unit[0] == '\0')
        return 1000 * 1000;
    for (size_t i = 0; i < COUNT_OF(duration_units); i++)
        if (strcmp(unit, duration_units[i].unit) == 0)
            return duration_units[i].ns;
    return 0;
}

int sb_duration_parse_ns(const char *text, int64_t *out_ns)
{
    if (text == NULL || out_ns == NULL || !isdigit((unsigned char)text[0]))
        return -1;
    const char *c = text;
    int64_t n = 0;
    for (; isdigit((unsigned char)*c); c++) {
        int digit = *c - '0';
        if (n > (INT64_MAX - digit) / 10)
            return -1;
        n = n * 10 + digit;
    }
    const char *spaces = c;
    while (*c == ' ')
        c++;
    /* "100 " is a typo, not 100ms: spaces must separate a number and a unit. */
    if (c != spaces && *c == '\0')
        return -1;
    int64_t unit_ns = duration_unit_ns(c);
    if (unit_ns == 0 || n > INT64_MAX / unit_ns)
        return -1;
    *out_ns = n * unit_ns;
    return 0;
}

/* ------------------------------------------------------- parse context -- */

/* The linear pipeline's stages, indexed by their kind. */
enum { ST_SOURCE = SB_STAGE_SOURCE, ST_MAP = SB_STAGE_MAP, ST_FILTER = SB_STAGE_FILTER,
       ST_COUNT = SB_STAGE_COUNT, ST_SINK = SB_STAGE_SINK, ST_MAX = SB_STAGE_COUNT_ };

/* Where a value was given, for messages about rules checked after the walk. */
typedef struct origin {
    size_t line;                  /* 1-based; 0 = not given */
    char key[KEY_BYTES_MAX];
} origin_t;

typedef struct parse {
    yaml_document_t *doc;
    const char *path;
    sb_err_t *err;
    sb_scenario_t *s;
    bool name_set;
    int parallelism_default;      /* pipeline.parallelism; 0 = not given */
    origin_t parallelism_default_at;
    origin_t parallelism_at[ST_MAX];
    origin_t input_at[ST_MAX];
    origin_t unaligned_at, aligned_timeout_at, mode_at;
    origin_t short_form_at;       /* the first of pipeline.source/map/... */
    origin_t runs_at;             /* mode: */
    origin_t input_given_at;      /* input: */
    int runs_asked;               /* -1: mode: not given */
    size_t kafka_at;              /* kafka.brokers: line; 0 = not given */
} parse_t;

typedef int (*key_fn)(parse_t *p, const char *key, yaml_node_t *v, void *arg);

static sb_stage_t *stage_of(sb_scenario_t *s, int id)
{
    sb_stage_t *all[ST_MAX] = { &s->source, &s->map, &s->filter, &s->count,
                                &s->sink };
    assert(id >= 0 && id < ST_MAX);
    return all[id];
}

static void origin_set(origin_t *o, size_t line, const char *key)
{
    o->line = line;
    snprintf(o->key, sizeof o->key, "%s", key);
}

static bool copy_text(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    if (len >= size)
        return false;
    memcpy(dst, src, len + 1);
    return true;
}

/* ------------------------------------------------------ errors & nodes -- */

int sb_scenario_error_va(sb_err_t *err, const char *path, size_t line, const char *key,
                         const char *fmt, va_list ap)
{
    char what[SB_ERR_MSG_BYTES_MAX];
    vsnprintf(what, sizeof what, fmt, ap);
    if (key == NULL || key[0] == '\0')
        return sb_err_set(err, "%s:%zu: %s", path, line, what);
    return sb_err_set(err, "%s:%zu: %s: %s", path, line, key, what);
}

__attribute__((format(printf, 4, 5)))
static int fail(const parse_t *p, size_t line, const char *key,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sb_scenario_error_va(p->err, p->path, line, key, fmt, ap);
    va_end(ap);
    return rc;
}

static int need_scalar(const parse_t *p, const yaml_node_t *v,
                       const char *key, const char *expected)
{
    char got[QUOTE_BYTES_MAX];
    if (v->type != YAML_SCALAR_NODE || sb_yaml_is_null(v))
        return fail(p, sb_yaml_line(v), key, "expected %s, got %s", expected,
                    sb_yaml_describe(v, got, sizeof got));
    /* A "\0" escape would silently cut the value in every C string use. */
    if (strlen(sb_yaml_text(v)) != v->data.scalar.length)
        return fail(p, sb_yaml_line(v), key, "value contains a NUL byte");
    return 0;
}

/* Letters, digits, '.', '_', '-': safe as a Kafka topic and a folder name. */
static bool is_word(const char *t)
{
    if (t[0] == '\0' || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
        return false;
    for (const char *c = t; *c != '\0'; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
            return false;
    return true;
}

/* ------------------------------------------------------- scalar values -- */

/* 0, -1 when not an integer, -2 when out of int64 range. */
static int parse_int64(const char *t, int64_t *out)
{
    const char *digits = (t[0] == '-' || t[0] == '+') ? t + 1 : t;
    if (digits[0] == '\0')
        return -1;
    for (const char *c = digits; *c != '\0'; c++)
        if (!isdigit((unsigned char)*c))
            return -1;
    errno = 0;
    long long n = strtoll(t, NULL, 10);
    if (errno == ERANGE)
        return -2;
    *out = n;
    return 0;
}

static int check_range(const parse_t *p, const yaml_node_t *v,
                       const char *key, int64_t n, int64_t min, int64_t max)
{
    if (n >= min && n <= max)
        return 0;
    if (max == INT64_MAX || max == INT_MAX)
        return fail(p, sb_yaml_line(v), key, "must be at least %" PRId64
                    ", got %" PRId64, min, n);
    return fail(p, sb_yaml_line(v), key, "must be between %" PRId64 " and %"
                PRId64 ", got %" PRId64, min, max, n);
}

/* Integers must be plain: "4" is a string in YAML, and strict means strict. */
static int get_int64(const parse_t *p, const yaml_node_t *v, const char *key,
                     int64_t min, int64_t max, int64_t *out)
{
    char got[QUOTE_BYTES_MAX];
    if (need_scalar(p, v, key, "an integer") != 0)
        return -1;
    int64_t n = 0;
    int rc = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                 ? parse_int64(sb_yaml_text(v), &n) : -1;
    if (rc == -2)
        return fail(p, sb_yaml_line(v), key, "%.64s is out of range",
                    sb_yaml_text(v));
    if (rc != 0)
        return fail(p, sb_yaml_line(v), key, "expected an integer, got %s",
                    sb_yaml_describe(v, got, sizeof got));
    if (check_range(p, v, key, n, min, max) != 0)
        return -1;
    *out = n;
    return 0;
}

static int get_u64(const parse_t *p, const yaml_node_t *v, const char *key,
                   uint64_t *out)
{
    char got[QUOTE_BYTES_MAX];
    if (need_scalar(p, v, key, "an integer") != 0)
        return -1;
    const char *t = sb_yaml_text(v);
    bool digits = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    for (const char *c = t; digits && *c != '\0'; c++)
        digits = isdigit((unsigned char)*c);
    if (!digits)
        return fail(p, sb_yaml_line(v), key,
                    "expected a non-negative integer, got %s",
                    sb_yaml_describe(v, got, sizeof got));
    errno = 0;
    unsigned long long n = strtoull(t, NULL, 10);
    if (errno == ERANGE)
        return fail(p, sb_yaml_line(v), key, "%.64s is out of range", t);
    *out = n;
    return 0;
}

static int get_bool(const parse_t *p, const yaml_node_t *v, const char *key,
                    bool *out)
{
    char got[QUOTE_BYTES_MAX];
    if (need_scalar(p, v, key, "true or false") != 0)
        return -1;
    const char *t = sb_yaml_text(v);
    bool plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain && (strcasecmp(t, "true") == 0 || strcasecmp(t, "yes") == 0))
        *out = true;
    else if (plain && (strcasecmp(t, "false") == 0 || strcasecmp(t, "no") == 0))
        *out = false;
    else
        return fail(p, sb_yaml_line(v), key, "expected true or false, got %s",
                    sb_yaml_describe(v, got, sizeof got));
    return 0;
}

/* min_ns is 0 (a pause may be none) or 1 (an interval may not). */
static int get_duration(const parse_t *p, const yaml_node_t *v,
                        const char *key, int64_t min_ns, int64_t *out_ns)
{
    assert(min_ns == 0 || min_ns == 1);
    if (need_scalar(p, v, key, "a duration " DURATION_HINT) != 0)
        return -1;
    int64_t ns = 0;
    if (sb_duration_parse_ns(sb_yaml_text(v), &ns) != 0)
        return fail(p, sb_yaml_line(v), key, "bad duration '%.64s' " DURATION_HINT,
                    sb_yaml_text(v));
    if (ns < min_ns)
        return fail(p, sb_yaml_line(v), key, "must be more than 0, got '%.64s'",
                    sb_yaml_text(v));
    *out_ns = ns;
    return 0;
}

static int get_text(const parse_t *p, const yaml_node_t *v, const char *key,
                    char *buf, size_t size)
{
    if (need_scalar(p, v, key, "a string") != 0)
        return -1;
    if (!copy_text(buf, size, sb_yaml_text(v)))
        return fail(p, sb_yaml_line(v), key, "longer than %zu bytes", size - 1);
    return 0;
}

/* file://PATH or s3://BUCKET[/PREFIX]; the object-store clients do the rest. */
static int get_uri(const parse_t *p, const yaml_node_t *v, const char *key,
                   char *buf, size_t size)
{
    char why[SB_SCENARIO_TEXT_BYTES_MAX];
    if (get_text(p, v, key, buf, size) != 0)
        return -1;
    if (sb_scenario_uri_check(buf, why, sizeof why) != 0)
        return fail(p, sb_yaml_line(v), key, "%s", why);
    return 0;
}

static int get_int(parse_t *p, yaml_node_t *v, const char *key, int64_t lo, int64_t hi,
                   int *out, bool *flag)
{
    int64_t n = 0;
    if (get_int64(p, v, key, lo, hi, &n) != 0)
        return -1;
    *out = (int)n;
    *flag = true;
    return 0;
}

/* --------------------------------------------------------- key tables -- */

typedef enum field_kind {
    F_CUSTOM, F_INT, F_INT64, F_U64, F_DURATION, F_BOOL, F_TEXT,
} field_kind_t;

/* One known key: either a plain field of sb_scenario_t (kind, offset,
 * bounds) or a handler for anything with structure or extra rules. */
typedef struct key_entry {
    const char *name;
    field_kind_t kind;
    key_fn fn;
    size_t offset;
    size_t size;
    int64_t min, max;
} key_entry_t;

#define FIELD_OF(f) .offset = offsetof(sb_scenario_t, f)
#define KEY_CUSTOM(n, f) { .name = n, .kind = F_CUSTOM, .fn = f }
#define KEY_INT(n, f, lo, hi) \
    { .name = n, .kind = F_INT, FIELD_OF(f), .min = lo, .max = hi }
#define KEY_INT64(n, f, lo, hi) \
    { .name = n, .kind = F_INT64, FIELD_OF(f), .min = lo, .max = hi }
#define KEY_U64(n, f) { .name = n, .kind = F_U64, FIELD_OF(f) }
#define KEY_DURATION(n, f, lo) \
    { .name = n, .kind = F_DURATION, FIELD_OF(f), .min = lo }
#define KEY_BOOL(n, f) { .name = n, .kind = F_BOOL, FIELD_OF(f) }
#define KEY_TEXT(n, f) \
    { .name = n, .kind = F_TEXT, FIELD_OF(f), \
      .size = sizeof(((sb_scenario_t *)0)->f) }

static int apply_field(parse_t *p, const key_entry_t *e, const char *key,
                       yaml_node_t *v, void *arg)
{
    char *field = (char *)p->s + e->offset;
    int64_t n = 0;
    switch (e->kind) {
    case F_CUSTOM:  /* a handler given an .offset writes that field (sim:) */
        return e->fn(p, key, v, e->offset != 0 ? (void *)e->offset : arg);
    case F_INT:
        assert(e->max <= INT_MAX);
        if (get_int64(p, v, key, e->min, e->max, &n) != 0)
            return -1;
        *(int *)field = (int)n;
        return 0;
    case F_INT64:
        return get_int64(p, v, key, e->min, e->max, (int64_t *)field);
    case F_U64:
        return get_u64(p, v, key, (uint64_t *)field);
    case F_DURATION:
        return get_duration(p, v, key, e->min, (int64_t *)field);
    case F_BOOL:
        return get_bool(p, v, key, (bool *)field);
    case F_TEXT:
        return get_text(p, v, key, field, e->size);
    }
    assert(!"unknown field kind");
    return -1;
}

/* Levenshtein distance, for "did you mean"; SIZE_MAX for very long words. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[KEY_BYTES_MAX + 1];
    if (la > KEY_BYTES_MAX || lb > KEY_BYTES_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

static const key_entry_t *closest_key(const char *word, const key_entry_t *keys,
                                      size_t keys_count)
{
    const key_entry_t *best = NULL;
    size_t best_distance = SUGGEST_DISTANCE_MAX + 1;
    for (size_t i = 0; i < keys_count; i++) {
        size_t d = edit_distance(word, keys[i].name);
        if (d < best_distance) {
            best = &keys[i];
            best_distance = d;
        }
    }
    return best;
}

/* Keys of the simulator's old dialect (everything under sim:), and the
 * simulator's own keys written at the top level: where they are now. */
static const struct {
    const char *old;              /* at the top level and under sim: */
    const char *now;
} old_keys[] = {
    { "protocol", "execution.checkpointing.unaligned, .aligned-checkpoint-timeout or .mode "
                  "(aligned is the default)" },
    { "records", "input.records (over all source subtasks)" },
    { "checkpoint_interval", "execution.checkpointing.interval" },
    { "checkpoint_timeout", "execution.checkpointing.timeout" },
    { "aligned_timeout", "execution.checkpointing.aligned-checkpoint-timeout" },
    { "max_concurrent", "execution.checkpointing.max-concurrent-checkpoints" },
    { "min_pause", "execution.checkpointing.min-pause" },
    { "tolerable_failed", "execution.checkpointing.tolerable-failed-checkpoints" },
    { "restart_delay", "restart-strategy.fixed-delay.delay" },
    { "stages", "pipeline.stages" },
    { "sim.faults", "faults at the top level, each with do: (e.g. - { do: crash, at: 12ms })" },
    { "sim.trace", "trace at the top level" },
    { "sim.mutant", "mutant at the top level" },
    { "sim.name", "name at the top level" },
}, sim_keys_at_top[] = {
    { "source_interval", "sim.source_interval" }, { "channel", "sim.channel" },
    { "rpc_delay", "sim.rpc_delay" }, { "failure_detection", "sim.failure_detection" },
    { "coordinator_tick", "sim.coordinator_tick" }, { "sample_interval", "sim.sample_interval" },
    { "max_time", "sim.max_time" }, { "max_events", "sim.max_events" },
    { "fifo", "sim.fifo" }, { "model", "sim.model" }, { "keep_every", "sim.keep_every" },
    { "process_time", "sim.process_time" }, { "processes", "sim.processes" },
    { "graph", "sim.graph" }, { "tokens", "sim.tokens" },
};

/* Where an old-dialect key (or a sim key at the top level) lives now, or NULL. */
static const char *old_key_hint(const char *key)
{
    const char *bare = strncmp(key, "sim.", 4) == 0 ? key + 4 : key;
    for (size_t i = 0; i < COUNT_OF(old_keys); i++)
        if (strcmp(old_keys[i].old, key) == 0 ||
            (strchr(old_keys[i].old, '.') == NULL && strcmp(old_keys[i].old, bare) == 0))
            return old_keys[i].now;
    for (size_t i = 0; i < COUNT_OF(sim_keys_at_top); i++)
        if (strcmp(sim_keys_at_top[i].old, key) == 0)
            return sim_keys_at_top[i].now;
    return NULL;
}

static int unknown_key(const parse_t *p, const yaml_node_t *k, const char *key,
                       const key_entry_t *keys, size_t keys_count)
{
    const char *hint = old_key_hint(key);
    if (hint != NULL)
        return fail(p, sb_yaml_line(k), key, "not a key any more: use %s (docs/scenarios.md)",
                    hint);
    const key_entry_t *best = closest_key(sb_yaml_text(k), keys, keys_count);
    if (best != NULL)
        return fail(p, sb_yaml_line(k), key, "unknown key (did you mean '%s'?)",
                    best->name);
    /* Whole names only: when the next one would not fit with room for
     * ", …", the list ends there with ", …". */
    static const char more[] = ", \u2026";
    char known[SB_ERR_MSG_BYTES_MAX / 2];
    size_t used = 0;
    known[0] = '\0';
    for (size_t i = 0; i < keys_count; i++) {
        const char *sep = i == 0 ? "" : ", ";
        size_t need = strlen(sep) + strlen(keys[i].name);
        bool last = i + 1 == keys_count;
        if (used + need + (last ? 0 : sizeof more - 1) >= sizeof known) {
            snprintf(known + used, sizeof known - used, "%s", more);
            break;
        }
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", sep, keys[i].name);
    }
    return fail(p, sb_yaml_line(k), key, "unknown key (known: %s)", known);
}

/* libyaml's document API keeps duplicate keys; YAML forbids them. */
static int check_duplicate(const parse_t *p, const yaml_node_t *map,
                           const yaml_node_pair_t *pair, const char *key)
{
    const char *name = sb_yaml_text(sb_yaml_node(p->doc, pair->key));
    for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair;
         q++) {
        const yaml_node_t *earlier = sb_yaml_node(p->doc, q->key);
        if (earlier->type == YAML_SCALAR_NODE &&
            strcmp(sb_yaml_text(earlier), name) == 0)
            return fail(p, sb_yaml_line(sb_yaml_node(p->doc, pair->key)), key,
                        "duplicate key (first given at line %zu)",
                        sb_yaml_line(earlier));
    }
    return 0;
}

/* Keys whose presence, not only their value, matters to the simulator's notes. */
static void note_given(parse_t *p, const char *key)
{
    static const struct { const char *key; unsigned bit; } given[] = {
        { "expect", SB_GIVEN_EXPECT },
        { "pipeline.filter", SB_GIVEN_FILTER },
    };
    for (size_t i = 0; i < COUNT_OF(given); i++)
        if (strcmp(key, given[i].key) == 0)
            p->s->given |= given[i].bit;
}

static int walk_pair(parse_t *p, const yaml_node_t *map,
                     const yaml_node_pair_t *pair, const char *prefix,
                     const key_entry_t *keys, size_t keys_count, void *arg)
{
    char got[QUOTE_BYTES_MAX];
    char key[KEY_BYTES_MAX];
    yaml_node_t *k = sb_yaml_node(p->doc, pair->key);
    if (k->type != YAML_SCALAR_NODE)
        return fail(p, sb_yaml_line(k), prefix, "a key must be a word, got %s",
                    sb_yaml_describe(k, got, sizeof got));
    snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "",
             sb_yaml_text(k));
    if (check_duplicate(p, map, pair, key) != 0)
        return -1;
    for (size_t i = 0; i < keys_count; i++)
        if (strcmp(keys[i].name, sb_yaml_text(k)) == 0) {
            note_given(p, key);
            return apply_field(p, &keys[i], key, sb_yaml_node(p->doc, pair->value), arg);
        }
    return unknown_key(p, k, key, keys, keys_count);
}

/* Walks a mapping against its known keys; a null value means "all defaults". */
static int walk(parse_t *p, yaml_node_t *map, const char *prefix,
                const key_entry_t *keys, size_t keys_count, void *arg)
{
    char got[QUOTE_BYTES_MAX];
    if (sb_yaml_is_null(map))
        return 0;
    if (map->type != YAML_MAPPING_NODE)
        return fail(p, sb_yaml_line(map), prefix, "expected a mapping, got %s",
                    sb_yaml_describe(map, got, sizeof got));
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++)
        if (walk_pair(p, map, pair, prefix, keys, keys_count, arg) != 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------ pipeline -- */

#define STAGE_ARG(id) ((void *)(intptr_t)(id))
#define STAGE_ID(arg) ((int)(intptr_t)(arg))

static int on_stage_parallelism(parse_t *p, const char *key, yaml_node_t *v,
                                void *arg)
{
    int id = STAGE_ID(arg);
    int64_t n = 0;
    if (get_int64(p, v, key, 1, SB_SCENARIO_PARALLELISM_MAX, &n) != 0)
        return -1;
    stage_of(p->s, id)->parallelism = (int)n;
    origin_set(&p->parallelism_at[id], sb_yaml_line(v), key);
    return 0;
}

static int on_stage_input(parse_t *p, const char *key, yaml_node_t *v,
                          void *arg)
{
    int id = STAGE_ID(arg);
    if (need_scalar(p, v, key, "forward, rebalance or hash") != 0)
        return -1;
    for (size_t c = 0; c < COUNT_OF(connection_names); c++) {
        if (strcmp(sb_yaml_text(v), connection_names[c]) != 0)
            continue;
        sb_stage_t *stage = stage_of(p->s, id);
        stage->input = (sb_connection_t)c;
        stage->input_set = true;
        origin_set(&p->input_at[id], sb_yaml_line(v), key);
        return 0;
    }
    return fail(p, sb_yaml_line(v), key, "unknown connection '%.64s' "
                "(known: forward, rebalance, hash)", sb_yaml_text(v));
}

static int on_map_fn(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "a map function (uppercase or identity)") != 0)
        return -1;
    if (strcmp(sb_yaml_text(v), "uppercase") == 0)
        p->s->map_fn = SB_MAP_UPPERCASE;
    else if (strcmp(sb_yaml_text(v), "identity") == 0)
        p->s->map_fn = SB_MAP_IDENTITY;
    else
        return fail(p, sb_yaml_line(v), key, "unknown map function '%.64s' "
                    "(known: uppercase, identity)", sb_yaml_text(v));
    return 0;
}

static int on_filter_fn(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char startswith[] = "startswith:";
    (void)arg;
    if (need_scalar(p, v, key, "a filter (startswith:PREFIX or all)") != 0)
        return -1;
    const char *t = sb_yaml_text(v);
    if (strcmp(t, "all") == 0) {
        p->s->filter_prefix[0] = '\0';
        return 0;
    }
    if (strncmp(t, startswith, sizeof startswith - 1) != 0)
        return fail(p, sb_yaml_line(v), key, "unknown filter '%.64s' "
                    "(known: startswith:PREFIX, all)", t);
    const char *prefix = t + sizeof startswith - 1;
    if (prefix[0] == '\0')
        return fail(p, sb_yaml_line(v), key,
                    "empty prefix in '%s' (use all to keep everything)", t);
    if (!copy_text(p->s->filter_prefix, sizeof p->s->filter_prefix, prefix))
        return fail(p, sb_yaml_line(v), key, "prefix longer than %zu bytes",
                    sizeof p->s->filter_prefix - 1);
    return 0;
}

static int on_count_enabled(parse_t *p, const char *key, yaml_node_t *v,
                            void *arg)
{
    (void)arg;
    return get_bool(p, v, key, &p->s->count_enabled);
}

static int on_sink_uri(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_uri(p, v, key, p->s->sink_uri, sizeof p->s->sink_uri);
}

static int on_source_rate(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    p->s->source_records_per_s_line = (int)sb_yaml_line(v);
    return get_int64(p, v, key, 0, INT64_MAX / 2, &p->s->source_records_per_s);
}

static const key_entry_t source_keys[] = {
    KEY_CUSTOM("parallelism", on_stage_parallelism),
    KEY_CUSTOM("records_per_s", on_source_rate),
};
static const key_entry_t map_keys[] = {
    KEY_CUSTOM("fn", on_map_fn),
    KEY_CUSTOM("parallelism", on_stage_parallelism),
    KEY_CUSTOM("input", on_stage_input),
};
static const key_entry_t filter_keys[] = {
    KEY_CUSTOM("fn", on_filter_fn),
    KEY_CUSTOM("parallelism", on_stage_parallelism),
    KEY_CUSTOM("input", on_stage_input),
};
static const key_entry_t count_keys[] = {
    KEY_CUSTOM("enabled", on_count_enabled),
    KEY_CUSTOM("parallelism", on_stage_parallelism),
    KEY_CUSTOM("input", on_stage_input),
};
static const key_entry_t sink_keys[] = {
    KEY_CUSTOM("uri", on_sink_uri),
    KEY_CUSTOM("parallelism", on_stage_parallelism),
    KEY_CUSTOM("input", on_stage_input),
};

static int on_source(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    if (p->short_form_at.line == 0)
        origin_set(&p->short_form_at, sb_yaml_line(v), key);
    (void)arg;
    return walk(p, v, key, source_keys, COUNT_OF(source_keys),
                STAGE_ARG(ST_SOURCE));
}

/* A scalar is the shorthand for the stage's main field (map: uppercase). */
static int on_map(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    if (p->short_form_at.line == 0)
        origin_set(&p->short_form_at, sb_yaml_line(v), key);
    if (v->type == YAML_SCALAR_NODE)
        return on_map_fn(p, key, v, arg);
    return walk(p, v, key, map_keys, COUNT_OF(map_keys), STAGE_ARG(ST_MAP));
}

static int on_filter(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    if (p->short_form_at.line == 0)
        origin_set(&p->short_form_at, sb_yaml_line(v), key);
    if (v->type == YAML_SCALAR_NODE)
        return on_filter_fn(p, key, v, arg);
    return walk(p, v, key, filter_keys, COUNT_OF(filter_keys),
                STAGE_ARG(ST_FILTER));
}

/* Writing a count mapping asks for counting; `enabled: false` undoes it. */
static int on_count(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    if (p->short_form_at.line == 0)
        origin_set(&p->short_form_at, sb_yaml_line(v), key);
    if (v->type == YAML_SCALAR_NODE)
        return on_count_enabled(p, key, v, arg);
    p->s->count_enabled = true;
    return walk(p, v, key, count_keys, COUNT_OF(count_keys),
                STAGE_ARG(ST_COUNT));
}

static int on_sink(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    if (p->short_form_at.line == 0)
        origin_set(&p->short_form_at, sb_yaml_line(v), key);
    if (v->type == YAML_SCALAR_NODE)
        return on_sink_uri(p, key, v, arg);
    return walk(p, v, key, sink_keys, COUNT_OF(sink_keys), STAGE_ARG(ST_SINK));
}

static int on_pipeline_parallelism(parse_t *p, const char *key,
                                   yaml_node_t *v, void *arg)
{
    (void)arg;
    int64_t n = 0;
    if (get_int64(p, v, key, 1, SB_SCENARIO_PARALLELISM_MAX, &n) != 0)
        return -1;
    p->parallelism_default = (int)n;
    origin_set(&p->parallelism_default_at, sb_yaml_line(v), key);
    return 0;
}


/* ------------------------------------------- pipeline.stages (a DAG) -- */

static bool is_stage_word(const char *t)
{
    if (t[0] == '\0' || !islower((unsigned char)t[0]))
        return false;
    for (const char *c = t; *c != '\0'; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
            return false;
    return true;
}

static int on_spec_name(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_stage_spec_t *st = arg;
    if (get_text(p, v, key, st->name, sizeof st->name) != 0)
        return -1;
    if (!is_stage_word(st->name))
        return fail(p, sb_yaml_line(v), key, "'%s' is not a stage name (lower-case letters, "
                    "digits and '_', starting with a letter)", st->name);
    return 0;
}

static int on_spec_kind(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_stage_spec_t *st = arg;
    if (need_scalar(p, v, key, "source, map, filter, count or sink") != 0)
        return -1;
    st->kind = sb_stage_kind_from_name(sb_yaml_text(v));
    if (st->kind < 0)
        return fail(p, sb_yaml_line(v), key, "unknown kind '%.64s' (source, map, filter, count, "
                    "sink)", sb_yaml_text(v));
    return 0;
}

static int on_spec_parallelism(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    bool ignored;
    return get_int(p, v, key, 1, 64, &((sb_stage_spec_t *)arg)->parallelism, &ignored);
}

static int on_spec_input(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_stage_spec_t *st = arg;
    if (need_scalar(p, v, key, "forward, rebalance or hash") != 0)
        return -1;
    for (size_t c = 0; c < COUNT_OF(connection_names); c++)
        if (strcmp(sb_yaml_text(v), connection_names[c]) == 0) {
            st->input = (sb_connection_t)c;
            st->input_set = true;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown connection '%.64s' (known: forward, "
                "rebalance, hash)", sb_yaml_text(v));
}

static int on_spec_from(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_stage_spec_t *st = arg;
    if (v->type == YAML_SCALAR_NODE) {
        st->from_count = 1;
        return get_text(p, v, key, st->from[0], sizeof st->from[0]);
    }
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return fail(p, sb_yaml_line(v), key, "expected a stage name or a list of them");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        if (st->from_count == SB_SCENARIO_FROM_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d upstream stages",
                        SB_SCENARIO_FROM_MAX);
        if (get_text(p, sb_yaml_node(p->doc, *it), key, st->from[st->from_count],
                     sizeof st->from[0]) != 0)
            return -1;
        st->from_count++;
    }
    return 0;
}

static int on_spec_keep_every(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_int64(p, v, key, 1, INT64_C(1) << 40, &((sb_stage_spec_t *)arg)->keep_every);
}

static int on_spec_process_time(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 0, &((sb_stage_spec_t *)arg)->process_ns);
}

static const key_entry_t spec_keys[] = {
    KEY_CUSTOM("name", on_spec_name),
    KEY_CUSTOM("kind", on_spec_kind),
    KEY_CUSTOM("parallelism", on_spec_parallelism),
    KEY_CUSTOM("input", on_spec_input),
    KEY_CUSTOM("from", on_spec_from),
    KEY_CUSTOM("keep_every", on_spec_keep_every),
    KEY_CUSTOM("process_time", on_spec_process_time),
};

static int on_stages(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return fail(p, sb_yaml_line(v), key, "expected a list of stages "
                    "(- { name: source, parallelism: 2 } ...)");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        sb_scenario_t *s = p->s;
        if (s->stages_count == SB_SCENARIO_STAGES_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d stages", SB_SCENARIO_STAGES_MAX);
        sb_stage_spec_t *st = &s->stages[s->stages_count];
        yaml_node_t *item = sb_yaml_node(p->doc, *it);
        memset(st, 0, sizeof *st);
        st->kind = -1;
        st->line = (int)sb_yaml_line(item);
        char k[KEY_BYTES_MAX];
        snprintf(k, sizeof k, "%s[%d]", key, s->stages_count);
        s->stages_count++;
        if (walk(p, item, k, spec_keys, COUNT_OF(spec_keys), st) != 0)
            return -1;
        if (st->name[0] == '\0')
            return fail(p, (size_t)st->line, k, "a stage needs a name");
        if (st->kind < 0)
            st->kind = sb_stage_kind_from_name(st->name);
        if (st->kind < 0)
            return fail(p, (size_t)st->line, k, "stage '%s' needs kind: (source, map, filter, "
                        "count or sink) since its name is not one", st->name);
    }
    return 0;
}

static const key_entry_t pipeline_keys[] = {
    KEY_CUSTOM("stages", on_stages),
    KEY_CUSTOM("parallelism", on_pipeline_parallelism),
    KEY_CUSTOM("source", on_source),
    KEY_CUSTOM("map", on_map),
    KEY_CUSTOM("filter", on_filter),
    KEY_CUSTOM("count", on_count),
    KEY_CUSTOM("sink", on_sink),
};

static int on_pipeline(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return walk(p, v, key, pipeline_keys, COUNT_OF(pipeline_keys), arg);
}

/* ---------------------------------------------------------------- faults -- */

typedef struct fault_draft {
    sb_fault_t fault;
    bool has_do, has_at, has_random, has_checkpoint, has_point;
    bool has_hit, has_probability, has_for, has_count, has_after;
    bool has_rate, has_id, has_ms, has_request, has_error, has_partition;
    bool has_task, has_process, has_process_time, has_extra, has_from, has_to;
    bool has_how;
    bool has_storage, has_store, has_op;
    bool has_target;
    size_t target_line;
    size_t at_line;               /* of `at`, for a missing crash point */
    size_t to_line;               /* `to` is a broker id or a stage: read last */
    char action[16];              /* the do: mapping's action key, once */
} fault_draft_t;

/* A do: mapping names one action (throttle, stall, broker, network, crash,
 * slow or delay) and then its parameters. */
static int one_action(parse_t *p, const char *key, const yaml_node_t *v, fault_draft_t *d,
                      sb_fault_kind_t kind)
{
    const char *name = strrchr(key, '.') != NULL ? strrchr(key, '.') + 1 : key;
    if (d->action[0] != '\0')
        return fail(p, sb_yaml_line(v), key, "one fault does one thing: '%s' and '%s' are two "
                    "actions (write two faults)", d->action, name);
    snprintf(d->action, sizeof d->action, "%s", name);
    d->fault.kind = kind;
    return 0;
}

static const char *const fault_kind_names[] = {
    [SB_FAULT_CRASH] = "crash", [SB_FAULT_CRASH_LOOP] = "crash-loop",
    [SB_FAULT_PAUSE] = "pause", [SB_FAULT_THROTTLE] = "throttle",
    [SB_FAULT_BROKER] = "broker", [SB_FAULT_NETWORK] = "network",
    [SB_FAULT_CORRUPT] = "corrupt",
    [SB_FAULT_STORAGE] = "storage",
    [SB_FAULT_CRASH_TASK] = "crash: task", [SB_FAULT_SLOW] = "slow",
    [SB_FAULT_DELAY_SPIKE] = "delay: spike", [SB_FAULT_CRASH_PROCESS] = "crash: process",
};
_Static_assert(COUNT_OF(fault_kind_names) == SB_FAULT_KINDS_COUNT_, "every fault kind has a name");

const char *sb_fault_kind_name(sb_fault_kind_t k)
{
    return (size_t)k < COUNT_OF(fault_kind_names) ? fault_kind_names[k] : "unknown";
}

#define FAULT_DO_HINT \
    "crash, crash-loop, pause, { throttle: STAGE, records_per_s: R }, { stall: STAGE }, " \
    "{ broker: down|rtt|errors|leader|pause|kill, ... }, { network: s3|kafka, ... }, " \
    "{ corrupt: metadata|snapshot|channel-state|completed-list, how: H }, " \
    "{ storage: enospc|eio|short-write|lose-unsynced, store: checkpoints|sink, " \
    "op: write|fsync|rename }, " \
    "{ crash: task, task: T }, { slow: T, process_time: D } or { delay: spike, extra: D }"

static const char *const corrupt_file_names[] = {
    [SB_CORRUPT_METADATA] = "metadata", [SB_CORRUPT_SNAPSHOT] = "snapshot",
    [SB_CORRUPT_CHANNEL_STATE] = "channel-state", [SB_CORRUPT_COMPLETED_LIST] = "completed-list",
};
_Static_assert(COUNT_OF(corrupt_file_names) == SB_CORRUPT_FILES_COUNT_, "every file has a name");
static const char *const corrupt_how_names[] = {
    [SB_CORRUPT_FLIP_BYTE] = "flip-byte", [SB_CORRUPT_TRUNCATE] = "truncate",
    [SB_CORRUPT_DELETE] = "delete", [SB_CORRUPT_SWAP] = "swap",
};
_Static_assert(COUNT_OF(corrupt_how_names) == SB_CORRUPT_HOWS_COUNT_, "every damage has a name");

const char *sb_corrupt_file_name(sb_corrupt_file_t f)
{
    return (size_t)f < COUNT_OF(corrupt_file_names) ? corrupt_file_names[f] : "unknown";
}

const char *sb_corrupt_how_name(sb_corrupt_how_t h)
{
    return (size_t)h < COUNT_OF(corrupt_how_names) ? corrupt_how_names[h] : "unknown";
}

/* The corrupt fault's `corrupt: FILE` and `how: H`. */
static int on_do_corrupt(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_CORRUPT) != 0 ||
        need_scalar(p, v, key, "metadata, snapshot, channel-state or completed-list") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(corrupt_file_names); i++)
        if (strcmp(sb_yaml_text(v), corrupt_file_names[i]) == 0) {
            d->fault.corrupt_file = (sb_corrupt_file_t)i;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown checkpoint file '%.64s' (metadata, snapshot, "
                "channel-state, completed-list)", sb_yaml_text(v));
}

static int on_do_how(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (need_scalar(p, v, key, "flip-byte, truncate, delete or swap") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(corrupt_how_names); i++)
        if (strcmp(sb_yaml_text(v), corrupt_how_names[i]) == 0) {
            d->fault.corrupt_how = (sb_corrupt_how_t)i;
            d->has_how = true;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown damage '%.64s' (flip-byte, truncate, delete, "
                "swap)", sb_yaml_text(v));
}

/* A corrupt fault: at a crash point of one numbered checkpoint, one damage. */
static int check_corrupt_fault(parse_t *p, size_t line, const char *key, const fault_draft_t *d)
{
    const sb_fault_t *f = &d->fault;
    if (!d->has_how)
        return fail(p, line, key, "a corrupt fault needs 'how' (flip-byte, truncate, delete, "
                    "swap)");
    if (!d->has_at || f->trigger != SB_TRIGGER_CRASH_POINT || !d->has_checkpoint ||
        f->checkpoint_id < 1)
        return fail(p, line, key, "a corrupt fault needs 'at: { point: P, checkpoint: N }' "
                    "(N a number: the checkpoint whose file is damaged), e.g. "
                    "coordinator.after_complete");
    if (d->has_random || d->has_for || d->has_count || d->has_after)
        return fail(p, line, key, "a corrupt fault takes no 'random', 'for', 'count' or 'after'");
    if (f->corrupt_how == SB_CORRUPT_SWAP && f->corrupt_file == SB_CORRUPT_COMPLETED_LIST)
        return fail(p, line, key, "_completed is one file per job: it cannot be swapped with "
                    "another checkpoint's");
    if (d->has_task && (f->corrupt_file == SB_CORRUPT_METADATA ||
                        f->corrupt_file == SB_CORRUPT_COMPLETED_LIST))
        return fail(p, line, key, "'task' names whose snapshot or channel-state is damaged");
    return 0;
}

static int stage_from(parse_t *p, const char *key, yaml_node_t *v, fault_draft_t *d)
{
    if (need_scalar(p, v, key, "a stage (source, map, filter, count, sink)") != 0)
        return -1;
    int kind = sb_stage_kind_from_name(sb_yaml_text(v));
    if (kind >= 0) {
        d->fault.stage = (sb_stage_kind_t)kind;
        return 0;
    }
    return fail(p, sb_yaml_line(v), key, "unknown stage '%.64s' (source, map, filter, count, sink)",
                sb_yaml_text(v));
}

static int on_do_throttle(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_THROTTLE) != 0)
        return -1;
    return stage_from(p, key, v, d);
}

static int on_do_stall(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_THROTTLE) != 0)
        return -1;
    d->fault.records_per_s = d->fault.bytes_per_s = 0;
    d->has_rate = true; /* a stall is a rate of zero */
    return stage_from(p, key, v, d);
}

static int on_do_records_per_s(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_rate = true;
    return get_int64(p, v, key, 1, INT64_MAX / 2, &d->fault.records_per_s);
}

static int on_do_bytes_per_s(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_rate = true;
    if (get_int64(p, v, key, 1, INT64_MAX / 2, &d->fault.bytes_per_s) != 0)
        return -1;
    d->fault.network.bytes_per_s = d->fault.bytes_per_s;
    return 0;
}

static int on_do_broker(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const actions[] = { "down", "rtt", "errors", "leader", "pause", "kill",
                                           "partition" };
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_BROKER) != 0)
        return -1;
    if (need_scalar(p, v, key, "down, rtt, errors, leader, pause, kill or partition") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(actions); i++)
        if (strcmp(sb_yaml_text(v), actions[i]) == 0) {
            d->fault.broker = (sb_broker_action_t)i;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown broker fault '%.64s' (down, rtt, errors, leader, "
                "pause, kill, partition)", sb_yaml_text(v));
}

static int on_do_id(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    return get_int(p, v, key, 1, 3, &d->fault.broker_id, &d->has_id);
}

/* A broker id ({ broker: leader }) or a stage ({ delay: spike }): kept as
 * text here, read by check_fault once the kind is known. */
static int on_do_to(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_to = true;
    d->to_line = sb_yaml_line(v);
    return get_text(p, v, key, d->fault.to, sizeof d->fault.to);
}

static int on_do_crash(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_CRASH) != 0 ||
        need_scalar(p, v, key, "job, task or process") != 0)
        return -1;
    const char *t = sb_yaml_text(v);
    if (strcmp(t, "job") == 0)
        d->fault.kind = SB_FAULT_CRASH;
    else if (strcmp(t, "task") == 0)
        d->fault.kind = SB_FAULT_CRASH_TASK;
    else if (strcmp(t, "process") == 0)
        d->fault.kind = SB_FAULT_CRASH_PROCESS;
    else
        return fail(p, sb_yaml_line(v), key, "unknown crash '%.64s' (job, task, process)", t);
    return 0;
}

static int on_do_task(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_task = true;
    return get_text(p, v, key, d->fault.task, sizeof d->fault.task);
}

static int on_do_slow(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_SLOW) != 0)
        return -1;
    return on_do_task(p, key, v, arg);
}

static int on_do_process(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    return get_int(p, v, key, 0, SB_SCENARIO_PROCESSES_MAX - 1, &d->fault.process, &d->has_process);
}

static int on_do_process_time(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_process_time = true;
    return get_duration(p, v, key, 0, &d->fault.process_ns);
}

static int on_do_delay(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_DELAY_SPIKE) != 0)
        return -1;
    if (need_scalar(p, v, key, "spike") != 0)
        return -1;
    if (strcmp(sb_yaml_text(v), "spike") != 0)
        return fail(p, sb_yaml_line(v), key, "unknown delay '%.64s' (spike)", sb_yaml_text(v));
    return 0;
}

static int on_do_extra(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_extra = true;
    return get_duration(p, v, key, 1, &d->fault.extra_ns);
}

static int on_do_from(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_from = true;
    return get_text(p, v, key, d->fault.from, sizeof d->fault.from);
}

static int on_do_ms(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    return get_int(p, v, key, 1, 60000, &d->fault.rtt_ms, &d->has_ms);
}

static int on_do_partition(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    return get_int(p, v, key, 0, SB_SCENARIO_PARTITIONS_MAX - 1, &d->fault.partition,
                   &d->has_partition);
}

static int on_do_request(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    /* Kafka ApiKeys are not public in librdkafka's headers: the numbers. */
    static const struct { const char *name; int api; } requests[] = {
        { "produce", 0 }, { "fetch", 1 }, { "list_offsets", 2 }, { "metadata", 3 },
    };
    fault_draft_t *d = arg;
    if (need_scalar(p, v, key, "fetch, produce, list_offsets or metadata") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(requests); i++)
        if (strcmp(sb_yaml_text(v), requests[i].name) == 0) {
            d->fault.request_api = requests[i].api;
            d->has_request = true;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown request '%.64s' (fetch, produce, list_offsets, "
                "metadata)", sb_yaml_text(v));
}

static int on_do_error(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const struct { const char *name; int code; } errors[] = {
        { "LEADER_NOT_AVAILABLE", 5 }, { "NOT_LEADER_FOR_PARTITION", 6 },
        { "REQUEST_TIMED_OUT", 7 }, { "BROKER_NOT_AVAILABLE", 8 },
        { "NOT_ENOUGH_REPLICAS", 19 },
    };
    fault_draft_t *d = arg;
    if (need_scalar(p, v, key, "a Kafka error name such as NOT_LEADER_FOR_PARTITION") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(errors); i++)
        if (strcmp(sb_yaml_text(v), errors[i].name) == 0) {
            d->fault.error_code = errors[i].code;
            d->has_error = true;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown Kafka error '%.64s' (LEADER_NOT_AVAILABLE, "
                "NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, BROKER_NOT_AVAILABLE, "
                "NOT_ENOUGH_REPLICAS)", sb_yaml_text(v));
}

static int on_do_error_count(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    bool ignored;
    return get_int(p, v, key, 1, 100000, &d->fault.error_count, &ignored);
}

static int on_do_network(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (one_action(p, key, v, d, SB_FAULT_NETWORK) != 0)
        return -1;
    if (need_scalar(p, v, key, "s3 or kafka") != 0)
        return -1;
    if (strcmp(sb_yaml_text(v), "kafka") == 0) {
        d->fault.network.kafka = true;
        return 0;
    }
    if (strcmp(sb_yaml_text(v), "s3") != 0)
        return fail(p, sb_yaml_line(v), key, "network faults go toward s3 or kafka, got '%.64s'",
                    sb_yaml_text(v));
    return 0;
}

static int net_int(parse_t *p, yaml_node_t *v, const char *key, int64_t hi, int *out)
{
    bool ignored;
    return get_int(p, v, key, 0, hi, out, &ignored);
}

static int net_fraction(parse_t *p, yaml_node_t *v, const char *key, double *out)
{
    char got[QUOTE_BYTES_MAX];
    char *end = NULL;
    double x = v->type == YAML_SCALAR_NODE ? strtod(sb_yaml_text(v), &end) : -1;
    if (end == NULL || *end != '\0' || !(x >= 0.0 && x <= 1.0))
        return fail(p, sb_yaml_line(v), key, "expected a fraction in [0, 1], got %s",
                    sb_yaml_describe(v, got, sizeof got));
    *out = x;
    return 0;
}

static int on_net_latency(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return net_int(p, v, key, 60000, &((fault_draft_t *)arg)->fault.network.latency_ms);
}
static int on_net_jitter(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return net_int(p, v, key, 60000, &((fault_draft_t *)arg)->fault.network.jitter_ms);
}
static int on_net_slow_close(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return net_int(p, v, key, 60000, &((fault_draft_t *)arg)->fault.network.slow_close_ms);
}
static int on_net_reset_after(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_int64(p, v, key, 1, INT64_MAX / 2,
                     &((fault_draft_t *)arg)->fault.network.reset_after_bytes);
}
static int on_net_reset_probability(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return net_fraction(p, v, key, &((fault_draft_t *)arg)->fault.network.reset_probability);
}
static int on_net_blackhole(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_bool(p, v, key, &((fault_draft_t *)arg)->fault.network.blackhole);
}
static int on_net_http_error_fraction(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return net_fraction(p, v, key, &((fault_draft_t *)arg)->fault.network.http_error_fraction);
}
static int on_net_http_error_status(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    if (net_int(p, v, key, 599, &d->fault.network.http_error_status) != 0)
        return -1;
    if (d->fault.network.http_error_status != 500 && d->fault.network.http_error_status != 503)
        return fail(p, sb_yaml_line(v), key, "expected 503 (SlowDown) or 500 (InternalError)");
    return 0;
}
static int on_net_http_cut_fraction(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return net_fraction(p, v, key, &((fault_draft_t *)arg)->fault.network.http_cut_fraction);
}

/* ------------------------------------------------- storage faults -- */

static const char *const storage_action_names[] = {
    [SB_STORAGE_ENOSPC] = "enospc", [SB_STORAGE_EIO] = "eio",
    [SB_STORAGE_SHORT_WRITE] = "short-write", [SB_STORAGE_LOSE_UNSYNCED] = "lose-unsynced",
};
_Static_assert(COUNT_OF(storage_action_names) == SB_STORAGE_ACTIONS_COUNT_,
               "every storage action has a name");
static const char *const storage_store_names[] = {
    [SB_STORAGE_CHECKPOINTS] = "checkpoints", [SB_STORAGE_SINK] = "sink",
};
_Static_assert(COUNT_OF(storage_store_names) == SB_STORAGE_STORES_COUNT_,
               "every store has a name");
static const char *const storage_op_names[] = {
    [SB_STORAGE_OP_WRITE] = "write", [SB_STORAGE_OP_FSYNC] = "fsync",
    [SB_STORAGE_OP_RENAME] = "rename",
};
_Static_assert(COUNT_OF(storage_op_names) == SB_STORAGE_OPS_COUNT_, "every op has a name");

const char *sb_storage_action_name(sb_storage_action_t a)
{
    return (size_t)a < COUNT_OF(storage_action_names) ? storage_action_names[a] : "unknown";
}

const char *sb_storage_store_name(sb_storage_store_t st)
{
    return (size_t)st < COUNT_OF(storage_store_names) ? storage_store_names[st] : "unknown";
}

const char *sb_storage_op_name(sb_storage_op_t o)
{
    return (size_t)o < COUNT_OF(storage_op_names) ? storage_op_names[o] : "unknown";
}

/* The index of v's text in names, or a clear error listing them. */
static int one_of(parse_t *p, const char *key, const yaml_node_t *v, const char *const *names,
                  size_t count, const char *what, int *out)
{
    char list[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < count; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 names[i]);
    if (need_scalar(p, v, key, what) != 0)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (strcmp(sb_yaml_text(v), names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown %s '%.64s' (known: %s)", what,
                sb_yaml_text(v), list);
}

static int on_do_storage(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    int a = 0;
    if (one_action(p, key, v, d, SB_FAULT_STORAGE) != 0 ||
        one_of(p, key, v, storage_action_names, COUNT_OF(storage_action_names),
               "storage fault", &a) != 0)
        return -1;
    d->fault.storage.action = (sb_storage_action_t)a;
    d->has_storage = true;
    return 0;
}

static int on_do_store(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    int st = 0;
    if (one_of(p, key, v, storage_store_names, COUNT_OF(storage_store_names), "store",
               &st) != 0)
        return -1;
    d->fault.storage.store = (sb_storage_store_t)st;
    d->has_store = true;
    return 0;
}

static int on_do_op(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    int o = 0;
    if (one_of(p, key, v, storage_op_names, COUNT_OF(storage_op_names), "operation", &o) != 0)
        return -1;
    d->fault.storage.op = (sb_storage_op_t)o;
    d->has_op = true;
    return 0;
}

/* A storage fault: which store, which operation, and when; lose-unsynced
 * has no moment of its own (every crash of the run is a power loss). */
static int check_storage_fault(parse_t *p, size_t line, const char *key, fault_draft_t *d)
{
    sb_fault_t *f = &d->fault;
    sb_storage_fault_t *g = &f->storage;
    if (!d->has_store)
        return fail(p, line, key, "a storage fault names its store: store: checkpoints or sink");
    if (d->has_random || d->has_for || d->has_count || d->has_after)
        return fail(p, line, key, "a storage fault takes no 'random', 'for', 'count' or 'after'");
    if (g->action == SB_STORAGE_LOSE_UNSYNCED) {
        if (d->has_op || d->has_at)
            return fail(p, line, key, "lose-unsynced takes no 'op' and no 'at': every crash of "
                        "the run loses what the store had not fsynced");
        g->when = SB_STORAGE_ALWAYS;
        f->trigger = SB_TRIGGER_STORAGE;
        return 0;
    }
    if (g->action == SB_STORAGE_SHORT_WRITE && d->has_op && g->op != SB_STORAGE_OP_WRITE)
        return fail(p, line, key, "a short write is a write: op: write (or no op)");
    if (g->action != SB_STORAGE_SHORT_WRITE && !d->has_op)
        return fail(p, line, key, "an %s fault names its operation: op: write, fsync or rename",
                    sb_storage_action_name(g->action));
    if (!d->has_at || d->has_point || d->has_probability)
        return fail(p, line, key, "a storage fault needs 'at: TIME', 'at: { checkpoint: N }' "
                    "(an object of checkpoint N) or 'at: { hit: K }' (the K-th matching "
                    "operation), and no crash point");
    g->when = f->trigger == SB_TRIGGER_AT_TIME ? SB_STORAGE_AT_TIME
              : d->has_checkpoint              ? SB_STORAGE_AT_CHECKPOINT
                                               : SB_STORAGE_AT_HIT;
    if (g->when == SB_STORAGE_AT_CHECKPOINT && f->checkpoint_id == SB_CHECKPOINT_FINAL)
        return fail(p, line, key, "a storage fault takes a checkpoint id (1, 2, ...), not final");
    f->trigger = SB_TRIGGER_STORAGE;
    return 0;
}

static const key_entry_t do_keys[] = {
    KEY_CUSTOM("throttle", on_do_throttle),
    KEY_CUSTOM("stall", on_do_stall),
    KEY_CUSTOM("records_per_s", on_do_records_per_s),
    KEY_CUSTOM("bytes_per_s", on_do_bytes_per_s),
    KEY_CUSTOM("broker", on_do_broker),
    KEY_CUSTOM("id", on_do_id),
    KEY_CUSTOM("to", on_do_to),
    KEY_CUSTOM("ms", on_do_ms),
    KEY_CUSTOM("partition", on_do_partition),
    KEY_CUSTOM("request", on_do_request),
    KEY_CUSTOM("error", on_do_error),
    KEY_CUSTOM("count", on_do_error_count),
    KEY_CUSTOM("network", on_do_network),
    KEY_CUSTOM("latency_ms", on_net_latency),
    KEY_CUSTOM("jitter_ms", on_net_jitter),
    KEY_CUSTOM("reset_after_bytes", on_net_reset_after),
    KEY_CUSTOM("reset_probability", on_net_reset_probability),
    KEY_CUSTOM("blackhole", on_net_blackhole),
    KEY_CUSTOM("slow_close_ms", on_net_slow_close),
    KEY_CUSTOM("http_error_fraction", on_net_http_error_fraction),
    KEY_CUSTOM("http_error_status", on_net_http_error_status),
    KEY_CUSTOM("http_cut_fraction", on_net_http_cut_fraction),
    KEY_CUSTOM("crash", on_do_crash),
    KEY_CUSTOM("task", on_do_task),
    KEY_CUSTOM("process", on_do_process),
    KEY_CUSTOM("slow", on_do_slow),
    KEY_CUSTOM("process_time", on_do_process_time),
    KEY_CUSTOM("delay", on_do_delay),
    KEY_CUSTOM("extra", on_do_extra),
    KEY_CUSTOM("from", on_do_from),
    KEY_CUSTOM("corrupt", on_do_corrupt),
    KEY_CUSTOM("how", on_do_how),
    KEY_CUSTOM("storage", on_do_storage),
    KEY_CUSTOM("store", on_do_store),
    KEY_CUSTOM("op", on_do_op),
};

static int on_fault_do(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_do = true;
    if (v->type == YAML_MAPPING_NODE) {
        d->fault.kind = SB_FAULT_CRASH; /* set by the mapping's first key */
        d->fault.network.http_error_status = 503;
        d->fault.error_count = 1;
        return walk(p, v, key, do_keys, COUNT_OF(do_keys), d);
    }
    if (need_scalar(p, v, key, "an action (" FAULT_DO_HINT ")") != 0)
        return -1;
    for (size_t i = 0; i <= SB_FAULT_PAUSE; i++)
        if (strcmp(sb_yaml_text(v), fault_kind_names[i]) == 0) {
            d->fault.kind = (sb_fault_kind_t)i;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown action '%.64s' (known: " FAULT_DO_HINT ")",
                sb_yaml_text(v));
}

static int on_fault_for(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_for = true;
    return get_duration(p, v, key, 1, &d->fault.for_ns);
}

static int on_fault_after(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_after = true;
    return get_duration(p, v, key, 1, &d->fault.after_ns);
}

static int on_fault_count(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    int64_t n = 0;
    if (get_int64(p, v, key, 1, 1000, &n) != 0)
        return -1;
    d->fault.count = (int)n;
    d->has_count = true;
    return 0;
}

static int on_fault_random(parse_t *p, const char *key, yaml_node_t *v,
                           void *arg)
{
    fault_draft_t *d = arg;
    int64_t n = 0;
    if (get_int64(p, v, key, 1, INT_MAX, &n) != 0)
        return -1;
    d->fault.trigger = SB_TRIGGER_RANDOM;
    d->fault.count = (int)n;
    d->has_random = true;
    return 0;
}

static int on_fault_checkpoint(parse_t *p, const char *key, yaml_node_t *v,
                               void *arg)
{
    fault_draft_t *d = arg;
    char got[QUOTE_BYTES_MAX];
    int64_t id = 0;
    d->has_checkpoint = true;
    if (v->type == YAML_SCALAR_NODE && strcmp(sb_yaml_text(v), "final") == 0) {
        d->fault.checkpoint_id = SB_CHECKPOINT_FINAL;
        return 0;
    }
    bool integer = v->type == YAML_SCALAR_NODE &&
                   v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                   parse_int64(sb_yaml_text(v), &id) == 0;
    if (!integer)
        return fail(p, sb_yaml_line(v), key, "expected a checkpoint id "
                    "(1, 2, ...) or final, got %s", sb_yaml_describe(v, got, sizeof got));
    if (check_range(p, v, key, id, 1, INT64_MAX) != 0)
        return -1;
    d->fault.checkpoint_id = id;
    return 0;
}

static int on_fault_point(parse_t *p, const char *key, yaml_node_t *v,
                          void *arg)
{
    fault_draft_t *d = arg;
    char known[SB_VOCAB_LIST_BYTES_MAX];
    sb_crash_points_known(known, sizeof known);
    if (need_scalar(p, v, key, "a crash point") != 0)
        return -1;
    d->fault.point = sb_crash_point_from_name(sb_yaml_text(v));
    if (d->fault.point == SB_POINT_NONE)
        return fail(p, sb_yaml_line(v), key, "unknown crash point '%.64s' "
                    "(known: %s)", sb_yaml_text(v), known);
    d->has_point = true;
    return 0;
}

static int on_fault_hit(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_hit = true;
    d->fault.point_trigger = SB_POINT_AT_HIT;
    return get_int64(p, v, key, 1, INT_MAX, &d->fault.hit);
}

static int on_fault_probability(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    char got[QUOTE_BYTES_MAX];
    d->has_probability = true;
    d->fault.point_trigger = SB_POINT_WITH_PROBABILITY;
    char *end = NULL;
    double x = v->type == YAML_SCALAR_NODE ? strtod(sb_yaml_text(v), &end) : -1;
    if (end == NULL || *end != '\0' || !(x > 0.0 && x <= 1.0))
        return fail(p, sb_yaml_line(v), key, "expected a probability in (0, 1], got %s",
                    sb_yaml_describe(v, got, sizeof got));
    d->fault.probability = x;
    return 0;
}

static const key_entry_t crash_point_keys[] = {
    KEY_CUSTOM("checkpoint", on_fault_checkpoint),
    KEY_CUSTOM("hit", on_fault_hit),
    KEY_CUSTOM("probability", on_fault_probability),
    KEY_CUSTOM("point", on_fault_point),
};

/* `at: 2s` is a time; `at: { checkpoint, point }` is a crash point. */
static int on_fault_at(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_at = true;
    if (v->type != YAML_MAPPING_NODE) {
        d->fault.trigger = SB_TRIGGER_AT_TIME;
        return get_duration(p, v, key, 0, &d->fault.at_ns);
    }
    d->fault.trigger = SB_TRIGGER_CRASH_POINT;
    d->at_line = sb_yaml_line(v);
    if (walk(p, v, key, crash_point_keys, COUNT_OF(crash_point_keys), d) != 0)
        return -1;
    if (d->has_checkpoint + d->has_hit + d->has_probability != 1)
        return fail(p, sb_yaml_line(v), key, "give exactly one of 'checkpoint' (an id such as 3, "
                    "or final), 'hit' (the k-th time) or 'probability'");
    return 0; /* a missing point is checked with the kind (check_fault) */
}

static int on_fault_target(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    fault_draft_t *d = arg;
    d->has_target = true;
    d->target_line = sb_yaml_line(v);
    return get_text(p, v, key, d->fault.target, sizeof d->fault.target);
}

static const key_entry_t fault_keys[] = {
    KEY_CUSTOM("do", on_fault_do),
    KEY_CUSTOM("target", on_fault_target),
    KEY_CUSTOM("at", on_fault_at),
    KEY_CUSTOM("random", on_fault_random),
    KEY_CUSTOM("for", on_fault_for),
    KEY_CUSTOM("count", on_fault_count),
    KEY_CUSTOM("after", on_fault_after),
};

/* Which do: keys a kind takes beyond its own (the simulator's kinds and
 * `to`, which is a broker id or a stage). */
static int check_sim_fault(parse_t *p, size_t line, const char *key, fault_draft_t *d)
{
    sb_fault_t *f = &d->fault;
    bool task = f->kind == SB_FAULT_CRASH_TASK || f->kind == SB_FAULT_SLOW;
    bool spike = f->kind == SB_FAULT_DELAY_SPIKE;
    bool task_optional = f->kind == SB_FAULT_CORRUPT;
    if ((d->has_task != task && !task_optional) || d->has_process != (f->kind == SB_FAULT_CRASH_PROCESS) ||
        d->has_process_time != (f->kind == SB_FAULT_SLOW) || d->has_extra != spike ||
        (d->has_from && !spike))
        return fail(p, line, key, "the keys of a %s fault: %s", sb_fault_kind_name(f->kind),
                    f->kind == SB_FAULT_CRASH_TASK ? "do: { crash: task, task: STAGE-N }, at"
                    : f->kind == SB_FAULT_SLOW ? "do: { slow: STAGE-N, process_time: D }, at, for"
                    : f->kind == SB_FAULT_CRASH_PROCESS ? "do: { crash: process, process: N }, at"
                    : spike ? "do: { delay: spike, extra: D, from: S, to: S }, at, for"
                    : "no task, process, process_time, extra or from");
    if (d->has_to && !spike) {
        int64_t id = 0;
        if (f->kind != SB_FAULT_BROKER || parse_int64(f->to, &id) != 0 || id < 1 || id > 3)
            return fail(p, d->to_line, key, "to: a broker id (1 to 3) of { broker: leader }, "
                        "or a stage of { delay: spike }");
        f->broker_id = (int)id;
        d->has_id = true;
        f->to[0] = '\0';
    }
    if ((task || spike || f->kind == SB_FAULT_CRASH_PROCESS) &&
        (!d->has_at || f->trigger != SB_TRIGGER_AT_TIME || d->has_random))
        return fail(p, line, key, "a %s fault needs 'at: TIME'", sb_fault_kind_name(f->kind));
    if ((f->kind == SB_FAULT_SLOW || spike) && !d->has_for)
        return fail(p, line, key, "a %s fault needs 'for: D'", sb_fault_kind_name(f->kind));
    return 0;
}

/* Which keys each kind of fault needs and allows. */
static int check_fault(parse_t *p, const yaml_node_t *item, const char *key,
                       fault_draft_t *d)
{
    const sb_fault_t *f = &d->fault;
    size_t line = sb_yaml_line(item);
    bool timed = d->has_at && f->trigger == SB_TRIGGER_AT_TIME;
    if (d->has_how && f->kind != SB_FAULT_CORRUPT)
        return fail(p, line, key, "'how' is for { corrupt: FILE } faults");
    char known[SB_VOCAB_LIST_BYTES_MAX];
    char at_key[KEY_BYTES_MAX + 4];
    snprintf(at_key, sizeof at_key, "%s.at", key);
    if (f->kind != SB_FAULT_STORAGE && f->trigger == SB_TRIGGER_CRASH_POINT && !d->has_point)
        return fail(p, d->at_line, at_key, "missing 'point' (one of %s)",
                    sb_crash_points_known(known, sizeof known));
    if (f->kind != SB_FAULT_STORAGE && (d->has_store || d->has_op))
        return fail(p, line, key, "'store' and 'op' are for storage faults");
    switch (f->kind) {
    case SB_FAULT_CORRUPT:
        if (check_sim_fault(p, line, key, d) != 0)
            return -1;
        return check_corrupt_fault(p, line, key, d);
    case SB_FAULT_CRASH:
        if (check_sim_fault(p, line, key, d) != 0)
            return -1;
        if (d->has_at == d->has_random)
            return fail(p, line, key, "give exactly one of 'at' or 'random'");
        if (d->has_for || d->has_count || d->has_after)
            return fail(p, line, key, "a crash takes no 'for', 'count' or 'after'");
        return 0;
    case SB_FAULT_STORAGE:
        if (check_sim_fault(p, line, key, d) != 0)
            return -1;
        return check_storage_fault(p, line, key, d);
    case SB_FAULT_CRASH_LOOP:
        if (!timed || !d->has_count || !d->has_after)
            return fail(p, line, key, "a crash-loop needs 'at: TIME', 'count: N' (kills in a "
                        "row) and 'after: D' (each incarnation's time alive)");
        return 0;
    default:
        break;
    }
    if (check_sim_fault(p, line, key, d) != 0)
        return -1;
    if (f->kind >= SB_FAULT_CRASH_TASK && (d->has_count || d->has_after))
        return fail(p, line, key, "'count' and 'after' are for crash-loops");
    if (f->kind >= SB_FAULT_CRASH_TASK)
        return 0;
    if (!timed || d->has_random || d->has_count || d->has_after)
        return fail(p, line, key, "a %s fault needs 'at: TIME' (and 'for: D'); 'random', "
                    "'count' and 'after' are for crashes", sb_fault_kind_name(f->kind));
    if (f->kind == SB_FAULT_PAUSE && !d->has_for)
        return fail(p, line, key, "a pause needs 'for: D'");
    if (f->kind == SB_FAULT_THROTTLE && !d->has_rate)
        return fail(p, line, key, "a throttle needs records_per_s or bytes_per_s "
                    "(or use { stall: STAGE })");
    if (f->kind == SB_FAULT_BROKER) {
        bool ok = (f->broker == SB_BROKER_DOWN && d->has_id) ||
                  (f->broker == SB_BROKER_RTT && d->has_ms) ||
                  (f->broker == SB_BROKER_ERRORS && d->has_request && d->has_error) ||
                  (f->broker == SB_BROKER_LEADER && d->has_partition && d->has_id) ||
                  ((f->broker == SB_BROKER_PAUSE || f->broker == SB_BROKER_KILL) &&
                   d->has_for) ||
                  (f->broker == SB_BROKER_PARTITION && d->has_id && d->has_for);
        if (!ok)
            return fail(p, line, key, "broker faults: { broker: down, id: N }, { broker: rtt, "
                        "ms: M }, { broker: errors, request: R, error: E, count: N } or "
                        "{ broker: leader, partition: P, to: N } or { broker: pause | kill } with "
                        "'for', or { broker: partition, id: N } with 'for'");
    }
    return 0;
}

static int parse_fault(parse_t *p, yaml_node_t *item, size_t index)
{
    char got[QUOTE_BYTES_MAX];
    char key[KEY_BYTES_MAX];
    snprintf(key, sizeof key, "faults[%zu]", index);
    if (item->type != YAML_MAPPING_NODE)
        return fail(p, sb_yaml_line(item), key, "expected a mapping such as "
                    "{ do: crash, at: 2s }, got %s",
                    sb_yaml_describe(item, got, sizeof got));
    fault_draft_t d = { .fault = { .line = (int)sb_yaml_line(item) } };
    if (walk(p, item, key, fault_keys, COUNT_OF(fault_keys), &d) != 0)
        return -1;
    if (!d.has_do)
        return fail(p, sb_yaml_line(item), key, "missing 'do' (" FAULT_DO_HINT ")");
    if (check_fault(p, item, key, &d) != 0)
        return -1;
    p->s->faults[p->s->faults_count++] = d.fault;
    return 0;
}

static int on_faults(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    char got[QUOTE_BYTES_MAX];
    (void)arg;
    if (sb_yaml_is_null(v))
        return 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(p, sb_yaml_line(v), key, "expected a list of faults "
                    "(- do: crash ...), got %s", sb_yaml_describe(v, got, sizeof got));
    yaml_node_item_t *first = v->data.sequence.items.start;
    for (yaml_node_item_t *it = first; it < v->data.sequence.items.top; it++) {
        yaml_node_t *item = sb_yaml_node(p->doc, *it);
        if (p->s->faults_count == SB_SCENARIO_FAULTS_MAX)
            return fail(p, sb_yaml_line(item), key, "more than %d faults",
                        SB_SCENARIO_FAULTS_MAX);
        if (parse_fault(p, item, (size_t)(it - first)) != 0)
            return -1;
    }
    return 0;
}


/* ---------------------------------------------- sim: the simulator's -- */

#define SIM_FIELD(p, arg, type) ((type *)((char *)&(p)->s->sim + (size_t)(arg)))

static int on_sim_duration(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 1, SIM_FIELD(p, arg, int64_t));
}

/* At most 1 s between two records of a source subtask: the simulator
 * ticks its coordinator every few milliseconds of virtual time, and a
 * run paced slower than that would take hours of real time (found by
 * fuzzing: 100000 s made it run without end). */
#define SIM_SOURCE_INTERVAL_NS_MAX (INT64_C(1000) * 1000 * 1000)

static int on_sim_source_interval(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    int64_t *out = SIM_FIELD(p, arg, int64_t);
    if (get_duration(p, v, key, 1, out) != 0)
        return -1;
    if (*out > SIM_SOURCE_INTERVAL_NS_MAX)
        return fail(p, sb_yaml_line(v), key, "%.64s is more than 1s between two records of "
                    "a source subtask", sb_yaml_text(v));
    return 0;
}

static int on_sim_duration0(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 0, SIM_FIELD(p, arg, int64_t));
}

static int on_sim_count(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_int64(p, v, key, 1, INT64_C(1) << 40, SIM_FIELD(p, arg, int64_t));
}

static int on_sim_model(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "pipeline or chandy-lamport") != 0)
        return -1;
    const char *t = sb_yaml_text(v);
    if (strcmp(t, "pipeline") != 0 && strcmp(t, "chandy-lamport") != 0)
        return fail(p, sb_yaml_line(v), key, "unknown model '%.64s' (pipeline, chandy-lamport)", t);
    p->s->sim.classic = strcmp(t, "chandy-lamport") == 0;
    p->s->sim.line = (int)sb_yaml_line(v);
    return 0;
}

static int on_channel_delay(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const kinds[] = { "fixed", "uniform", "exponential" };
    sb_delay_spec_t *d = arg;
    if (need_scalar(p, v, key, "fixed, uniform or exponential") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(kinds); i++)
        if (strcmp(sb_yaml_text(v), kinds[i]) == 0) {
            d->kind = (int)i;
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown delay '%.64s' (fixed, uniform, exponential)",
                sb_yaml_text(v));
}

/* -1 marks "not given" until check_delay fills the distribution's rules. */
static int on_channel_min(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 0, &((sb_delay_spec_t *)arg)->min_ns);
}
static int on_channel_max(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 0, &((sb_delay_spec_t *)arg)->max_ns);
}
static int on_channel_mean(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 1, &((sb_delay_spec_t *)arg)->mean_ns);
}
static int on_channel_capacity(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    bool ignored;
    (void)arg;
    return get_int(p, v, key, 1, 1 << 20, &p->s->sim.channel_capacity, &ignored);
}

static const key_entry_t channel_keys[] = {
    KEY_CUSTOM("delay", on_channel_delay), KEY_CUSTOM("min", on_channel_min),
    KEY_CUSTOM("max", on_channel_max),     KEY_CUSTOM("mean", on_channel_mean),
    KEY_CUSTOM("capacity", on_channel_capacity),
};

/* A delay distribution must make sense as a whole: known bounds, a mean
 * for the exponential. */
static int check_delay(parse_t *p, sb_delay_spec_t *d, size_t line, const char *key)
{
    if (d->kind == 0) {
        if (d->min_ns < 0)
            return fail(p, line, key, "a fixed delay needs min");
        if (d->max_ns >= 0 && d->max_ns != d->min_ns)
            return fail(p, line, key, "a fixed delay takes min only");
        d->max_ns = d->min_ns;
    } else if (d->kind == 1) {
        if (d->min_ns < 0 || d->max_ns < 0)
            return fail(p, line, key, "a uniform delay needs min and max");
    } else {
        if (d->mean_ns <= 0)
            return fail(p, line, key, "an exponential delay needs mean");
        if (d->min_ns < 0)
            d->min_ns = 0;
        if (d->max_ns < 0)
            d->max_ns = d->min_ns + 20 * d->mean_ns; /* a tail, not an eternity */
    }
    if (d->max_ns < d->min_ns)
        return fail(p, line, key, "max is below min");
    if (d->mean_ns < 0)
        d->mean_ns = 0;
    return 0;
}

static int on_channel(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    sb_delay_spec_t d = { .kind = 0, .min_ns = -1, .max_ns = -1, .mean_ns = -1 };
    if (walk(p, v, key, channel_keys, COUNT_OF(channel_keys), &d) != 0)
        return -1;
    if (v->type == YAML_MAPPING_NODE && d.min_ns < 0 && d.max_ns < 0 && d.mean_ns < 0) {
        d = p->s->sim.channel_delay; /* capacity only */
        d.mean_ns = d.mean_ns > 0 ? d.mean_ns : -1;
    }
    if (check_delay(p, &d, sb_yaml_line(v), key) != 0)
        return -1;
    p->s->sim.channel_delay = d;
    return 0;
}

static int on_sim_rpc_delay(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_duration(p, v, key, 0, &p->s->sim.rpc_delay_ns);
}

static int on_sim_seed(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_u64(p, v, key, &p->s->sim.seed);
}

static int on_sim_fifo(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_bool(p, v, key, &p->s->sim.fifo);
}

static int on_sim_keep_every(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int64(p, v, key, 1, INT64_C(1) << 40, &p->s->sim.keep_every);
}

static int on_process_time_of(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return get_duration(p, v, key, 0, &p->s->sim.process_ns[STAGE_ID(arg)]);
}

static int on_sim_process_time(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const key_entry_t keys[] = {
        KEY_CUSTOM("source", on_process_time_of), KEY_CUSTOM("map", on_process_time_of),
        KEY_CUSTOM("filter", on_process_time_of), KEY_CUSTOM("count", on_process_time_of),
        KEY_CUSTOM("sink", on_process_time_of),
    };
    (void)arg;
    if (v->type != YAML_MAPPING_NODE)
        return fail(p, sb_yaml_line(v), key, "expected a mapping such as { map: 20us } (with "
                    "pipeline.stages, give process_time in each stage)");
    for (yaml_node_pair_t *pair = v->data.mapping.pairs.start; pair < v->data.mapping.pairs.top;
         pair++) {
        int kind = sb_stage_kind_from_name(sb_yaml_text(sb_yaml_node(p->doc, pair->key)));
        if (kind < 0)
            kind = 0; /* an unknown stage: walk_pair names it with "did you mean" */
        if (walk_pair(p, v, pair, key, keys, COUNT_OF(keys), STAGE_ARG(kind)) != 0)
            return -1;
    }
    return 0;
}

static int on_sim_processes(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    bool ignored;
    (void)arg;
    return get_int(p, v, key, 2, SB_SCENARIO_PROCESSES_MAX, &p->s->sim.processes, &ignored);
}

static int on_sim_snapshots(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    bool ignored;
    (void)arg;
    return get_int(p, v, key, 1, 64, &p->s->sim.snapshots, &ignored);
}

/* graph: a preset name, or a list of [from, to] (checked against
 * processes by the simulator: keys come in any order). */
static int on_sim_graph(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const presets[] = { "ring", "bidirectional-ring", "complete" };
    sb_scenario_sim_t *sim = &p->s->sim;
    bool ignored;
    (void)arg;
    if (v->type == YAML_SCALAR_NODE) {
        for (size_t i = 0; i < COUNT_OF(presets); i++)
            if (strcmp(sb_yaml_text(v), presets[i]) == 0)
                return get_text(p, v, key, sim->graph_preset, sizeof sim->graph_preset);
        return fail(p, sb_yaml_line(v), key, "unknown graph '%.64s' (ring, bidirectional-ring, "
                    "complete, or a list of [from, to])", sb_yaml_text(v));
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(p, sb_yaml_line(v), key, "expected ring, bidirectional-ring, complete or a "
                    "list of [from, to] channels");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        yaml_node_t *e = sb_yaml_node(p->doc, *it);
        if (e->type != YAML_SEQUENCE_NODE ||
            e->data.sequence.items.top - e->data.sequence.items.start != 2)
            return fail(p, sb_yaml_line(e), key, "a channel is [from, to]");
        if (sim->edges_count == SB_SCENARIO_EDGES_MAX)
            return fail(p, sb_yaml_line(e), key, "more than %d channels", SB_SCENARIO_EDGES_MAX);
        for (int end = 0; end < 2; end++)
            if (get_int(p, sb_yaml_node(p->doc, e->data.sequence.items.start[end]), key, 0,
                        SB_SCENARIO_PROCESSES_MAX - 1, &sim->edges[sim->edges_count][end],
                        &ignored) != 0)
                return -1;
        sim->edges_count++;
    }
    return 0;
}

static int on_sim_initiators(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    sb_scenario_sim_t *sim = &p->s->sim;
    bool ignored;
    (void)arg;
    if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top == v->data.sequence.items.start)
        return fail(p, sb_yaml_line(v), key, "expected a list of process numbers, e.g. [0, 2]");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
         it++) {
        if (sim->initiators_count == SB_SCENARIO_PROCESSES_MAX)
            return fail(p, sb_yaml_line(v), key, "more than %d initiators",
                        SB_SCENARIO_PROCESSES_MAX);
        if (get_int(p, sb_yaml_node(p->doc, *it), key, 0, SB_SCENARIO_PROCESSES_MAX - 1,
                    &sim->initiators[sim->initiators_count], &ignored) != 0)
            return -1;
        for (int k = 0; k < sim->initiators_count; k++)
            if (sim->initiators[k] == sim->initiators[sim->initiators_count])
                return fail(p, sb_yaml_line(v), key, "process %d twice", sim->initiators[k]);
        sim->initiators_count++;
    }
    return 0;
}

static int on_sim_max_events(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    return get_int64(p, v, key, 1, INT64_MAX, &p->s->sim.max_events);
}

/* Which model a key of sim: belongs to (key_entry_t.min; 0: both). */
enum { MODEL_PIPELINE = 1, MODEL_CLASSIC = 2 };
#define FOR_PIPELINE .min = MODEL_PIPELINE
#define FOR_CLASSIC .min = MODEL_CLASSIC

static const key_entry_t sim_keys[] = {
    KEY_CUSTOM("model", on_sim_model),
    KEY_CUSTOM("channel", on_channel),
    { .name = "source_interval", FOR_PIPELINE, .fn = on_sim_source_interval, .offset = offsetof(sb_scenario_sim_t, source_interval_ns) },
    { .name = "rpc_delay", FOR_PIPELINE, .fn = on_sim_rpc_delay },
    { .name = "failure_detection", FOR_PIPELINE, .fn = on_sim_duration0, .offset = offsetof(sb_scenario_sim_t, failure_detection_ns) },
    { .name = "coordinator_tick", FOR_PIPELINE, .fn = on_sim_duration, .offset = offsetof(sb_scenario_sim_t, coordinator_tick_ns) },
    { .name = "sample_interval", FOR_PIPELINE, .fn = on_sim_duration, .offset = offsetof(sb_scenario_sim_t, sample_interval_ns) },
    { .name = "max_time", .fn = on_sim_duration, .offset = offsetof(sb_scenario_sim_t, max_time_ns) },
    KEY_CUSTOM("max_events", on_sim_max_events),
    KEY_CUSTOM("seed", on_sim_seed),
    KEY_CUSTOM("fifo", on_sim_fifo),
    { .name = "keep_every", FOR_PIPELINE, .fn = on_sim_keep_every },
    { .name = "process_time", FOR_PIPELINE, .fn = on_sim_process_time },
    { .name = "processes", FOR_CLASSIC, .fn = on_sim_processes },
    { .name = "graph", FOR_CLASSIC, .fn = on_sim_graph },
    { .name = "tokens", FOR_CLASSIC, .fn = on_sim_count, .offset = offsetof(sb_scenario_sim_t, tokens) },
    { .name = "transfer_interval", FOR_CLASSIC, .fn = on_sim_duration, .offset = offsetof(sb_scenario_sim_t, transfer_interval_ns) },
    { .name = "transfer_max", FOR_CLASSIC, .fn = on_sim_count, .offset = offsetof(sb_scenario_sim_t, transfer_max) },
    { .name = "snapshots", FOR_CLASSIC, .fn = on_sim_snapshots },
    { .name = "snapshot_interval", FOR_CLASSIC, .fn = on_sim_duration, .offset = offsetof(sb_scenario_sim_t, snapshot_interval_ns) },
    { .name = "initiators", FOR_CLASSIC, .fn = on_sim_initiators },
    { .name = "duration", FOR_CLASSIC, .fn = on_sim_duration, .offset = offsetof(sb_scenario_sim_t, duration_ns) },
};

/* A key of the other model is a mistake, not a setting to ignore. */
static int check_sim_model(parse_t *p, const yaml_node_t *map, const char *prefix)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *k = sb_yaml_node(p->doc, pair->key);
        for (size_t i = 0; i < COUNT_OF(sim_keys); i++) {
            if (strcmp(sim_keys[i].name, sb_yaml_text(k)) != 0 || sim_keys[i].min == 0 ||
                (sim_keys[i].min == MODEL_CLASSIC) == p->s->sim.classic)
                continue;
            char name[KEY_BYTES_MAX];
            snprintf(name, sizeof name, "%s.%s", prefix, sim_keys[i].name);
            return fail(p, sb_yaml_line(k), name, p->s->sim.classic
                        ? "not a key of model: chandy-lamport (it is the pipeline's)"
                        : "a key of model: chandy-lamport (add model: chandy-lamport, or "
                          "remove it)");
        }
    }
    return 0;
}

static int on_sim(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    p->s->sim.given = true;
    if (walk(p, v, key, sim_keys, COUNT_OF(sim_keys), NULL) != 0)
        return -1;
    return v->type == YAML_MAPPING_NODE ? check_sim_model(p, v, key) : 0;
}

/* --------------------------------------------------------- top level -- */

static int on_name(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (get_text(p, v, key, p->s->name, sizeof p->s->name) != 0)
        return -1;
    if (!is_word(p->s->name))
        return fail(p, sb_yaml_line(v), key, "invalid name '%s' (" WORD_RULE ")",
                    p->s->name);
    p->name_set = true;
    return 0;
}

static int on_topic(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (get_text(p, v, key, p->s->topic, sizeof p->s->topic) != 0)
        return -1;
    if (!is_word(p->s->topic))
        return fail(p, sb_yaml_line(v), key, "invalid topic name '%s' ("
                    WORD_RULE ")", p->s->topic);
    return 0;
}

static int on_mode(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "EXACTLY_ONCE or AT_LEAST_ONCE") != 0)
        return -1;
    int mode = sb_mode_from_name(sb_yaml_text(v));
    if (mode >= 0) {
        p->s->mode = (sb_checkpointing_mode_t)mode;
        return 0;
    }
    return fail(p, sb_yaml_line(v), key, "unknown mode '%.64s' "
                "(known: EXACTLY_ONCE, AT_LEAST_ONCE)", sb_yaml_text(v));
}

static int on_unaligned(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    origin_set(&p->unaligned_at, sb_yaml_line(v), key);
    return get_bool(p, v, key, &p->s->unaligned);
}

static int on_aligned_timeout(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    origin_set(&p->aligned_timeout_at, sb_yaml_line(v), key);
    return get_duration(p, v, key, 0, &p->s->aligned_checkpoint_timeout_ns);
}

static int on_checkpoints_dir(parse_t *p, const char *key, yaml_node_t *v,
                              void *arg)
{
    (void)arg;
    return get_uri(p, v, key, p->s->checkpoints_dir,
                   sizeof p->s->checkpoints_dir);
}

static int on_restart_strategy(parse_t *p, const char *key, yaml_node_t *v,
                               void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "a restart strategy (fixed-delay)") != 0)
        return -1;
    if (strcmp(sb_yaml_text(v), "fixed-delay") != 0)
        return fail(p, sb_yaml_line(v), key, "unknown restart strategy '%.64s' "
                    "(only fixed-delay is supported)", sb_yaml_text(v));
    return 0;
}

static const key_entry_t input_keys[] = {
    KEY_CUSTOM("topic", on_topic),
    KEY_INT("partitions", partitions, 1, SB_SCENARIO_PARTITIONS_MAX),
    KEY_INT64("records", records, 1, SB_SCENARIO_RECORDS_MAX),
    KEY_U64("seed", seed),
    KEY_INT("record_bytes", record_bytes, 0, SB_INPUT_RECORD_BYTES_MAX),
};

static const key_entry_t expect_keys[] = {
    KEY_BOOL("exactly_once", expect_exactly_once),
    KEY_BOOL("channel_state_restored", expect_channel_state_restored),
    KEY_INT("restore_fallbacks", expect_restore_fallbacks, 0, SB_SCENARIO_FAULTS_MAX),
};

static int on_input(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    origin_set(&p->input_given_at, sb_yaml_line(v), key);
    return walk(p, v, key, input_keys, COUNT_OF(input_keys), arg);
}

static int on_expect(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return walk(p, v, key, expect_keys, COUNT_OF(expect_keys), arg);
}

static int on_mutant(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    char known[SB_VOCAB_LIST_BYTES_MAX];
    (void)arg;
    sb_mutants_known(known, sizeof known);
    if (need_scalar(p, v, key, "a mutant") != 0)
        return -1;
    int m = sb_mutant_from_name(sb_yaml_text(v));
    if (m >= 0) {
        p->s->mutant = (sb_mutant_t)m;
        return 0;
    }
    return fail(p, sb_yaml_line(v), key, "unknown mutant '%.64s' (known: %s)",
                sb_yaml_text(v), known);
}

static int on_trace(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "checkpoints or records") != 0)
        return -1;
    if (strcmp(sb_yaml_text(v), "records") == 0 || strcmp(sb_yaml_text(v), "checkpoints") == 0) {
        p->s->trace_records = strcmp(sb_yaml_text(v), "records") == 0;
        return 0;
    }
    return fail(p, sb_yaml_line(v), key, "unknown trace level '%.64s' (known: checkpoints, records)",
                sb_yaml_text(v));
}

/* mode: which commands the scenario is for (both when not given). */
static int on_runs(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    static const char *const names[] = { [SB_RUNS_BOTH] = "both", [SB_RUNS_SIM_ONLY] = "sim",
                                         [SB_RUNS_REAL_ONLY] = "run" };
    (void)arg;
    if (need_scalar(p, v, key, "sim, run or both") != 0)
        return -1;
    for (size_t i = 0; i < COUNT_OF(names); i++)
        if (strcmp(sb_yaml_text(v), names[i]) == 0) {
            p->runs_asked = (int)i;
            origin_set(&p->runs_at, sb_yaml_line(v), key);
            return 0;
        }
    return fail(p, sb_yaml_line(v), key, "unknown mode '%.64s' (sim, run, both)", sb_yaml_text(v));
}

static int on_engine(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "snapbed or flink") != 0)
        return -1;
    int e = sb_run_engine_from_name(sb_yaml_text(v));
    if (e < 0)
        return fail(p, sb_yaml_line(v), key, "unknown engine '%.64s' (snapbed, flink)",
                    sb_yaml_text(v));
    p->s->engine = (sb_run_engine_t)e;
    p->s->engine_line = (int)sb_yaml_line(v);
    return 0;
}

static int on_flink_sink(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (need_scalar(p, v, key, "exactly-once, at-least-once or commit-early") != 0)
        return -1;
    int k = sb_flink_sink_from_name(sb_yaml_text(v));
    if (k < 0)
        return fail(p, sb_yaml_line(v), key, "unknown Flink sink '%.64s' (exactly-once, "
                    "at-least-once, commit-early)", sb_yaml_text(v));
    p->s->flink.sink = (sb_flink_sink_t)k;
    return 0;
}

/* HOST:PORT of a running cluster's REST API. */
static int on_flink_address(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    if (get_text(p, v, key, p->s->flink.address, sizeof p->s->flink.address) != 0)
        return -1;
    const char *colon = strrchr(p->s->flink.address, ':');
    int64_t port = 0;
    if (colon == NULL || colon == p->s->flink.address || parse_int64(colon + 1, &port) != 0 ||
        port < 1 || port > 65535)
        return fail(p, sb_yaml_line(v), key, "expected HOST:PORT of the JobManager's REST API "
                    "(such as 127.0.0.1:8081), got '%.64s'", p->s->flink.address);
    return 0;
}

static int on_flink_job_args(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    char got[QUOTE_BYTES_MAX];
    (void)arg;
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(p, sb_yaml_line(v), key, "expected a list of arguments such as "
                    "[--bootstrap, \"{bootstrap}\"], got %s", sb_yaml_describe(v, got, sizeof got));
    sb_scenario_flink_t *f = &p->s->flink;
    yaml_node_item_t *first = v->data.sequence.items.start;
    for (yaml_node_item_t *it = first; it < v->data.sequence.items.top; it++) {
        yaml_node_t *item = sb_yaml_node(p->doc, *it);
        char k[KEY_BYTES_MAX];
        snprintf(k, sizeof k, "%s[%d]", key, (int)(it - first));
        if (f->job_args_count == SB_FLINK_JOB_ARGS_MAX)
            return fail(p, sb_yaml_line(item), key, "more than %d arguments", SB_FLINK_JOB_ARGS_MAX);
        char *dst = f->job_args[f->job_args_count];
        if (get_text(p, item, k, dst, SB_FLINK_JOB_ARG_BYTES_MAX) != 0)
            return -1;
        char bad[64];
        if (sb_flink_arg_check(dst, bad, sizeof bad) != 0)
            return fail(p, sb_yaml_line(item), k, "unknown placeholder '%s' (known: %s)", bad,
                        sb_flink_args_known());
        f->job_args_count++;
    }
    return 0;
}

static const key_entry_t flink_job_keys[] = {
    KEY_TEXT("jar", flink.job_jar),
    KEY_TEXT("class", flink.job_class),
    KEY_CUSTOM("args", on_flink_job_args),
};

static int on_flink_job(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    if (walk(p, v, key, flink_job_keys, COUNT_OF(flink_job_keys), arg) != 0)
        return -1;
    if (p->s->flink.job_jar[0] == '\0' || p->s->flink.job_class[0] == '\0')
        return fail(p, sb_yaml_line(v), key, "a job names its jar and its entry class "
                    "(flink.job: { jar: PATH, class: NAME, args: [...] })");
    return 0;
}

static const key_entry_t flink_keys[] = {
    KEY_INT("taskmanagers", flink.taskmanagers, 1, SB_FLINK_TASKMANAGERS_MAX),
    KEY_INT("slots", flink.slots, 1, 64),
    KEY_CUSTOM("address", on_flink_address),
    KEY_CUSTOM("sink", on_flink_sink),
    KEY_CUSTOM("job", on_flink_job),
    KEY_TEXT("oracle", flink.oracle),
};

static int on_flink(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    p->s->flink.line = (int)sb_yaml_line(v);
    return walk(p, v, key, flink_keys, COUNT_OF(flink_keys), arg);
}

static int on_kafka_brokers(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    (void)arg;
    int64_t n = 0;
    if (get_int64(p, v, key, 1, 3, &n) != 0)
        return -1;
    if (n == 2)
        return fail(p, sb_yaml_line(v), key, "1 (one broker) or 3 (a cluster at replication "
                    "factor 3, min.insync.replicas 2), not 2");
    p->s->kafka_brokers = (int)n;
    p->kafka_at = sb_yaml_line(v);
    return 0;
}

static const key_entry_t kafka_keys[] = {
    KEY_CUSTOM("brokers", on_kafka_brokers),
};

static int on_kafka(parse_t *p, const char *key, yaml_node_t *v, void *arg)
{
    return walk(p, v, key, kafka_keys, COUNT_OF(kafka_keys), arg);
}

static const key_entry_t top_keys[] = {
    KEY_CUSTOM("name", on_name),
    KEY_CUSTOM("mode", on_runs),
    KEY_CUSTOM("sim", on_sim),
    KEY_TEXT("description", description),
    KEY_CUSTOM("input", on_input),
    KEY_CUSTOM("pipeline", on_pipeline),
    KEY_DURATION("execution.checkpointing.interval",
                 checkpoint_interval_ns, 1),
    KEY_CUSTOM("execution.checkpointing.mode", on_mode),
    KEY_DURATION("execution.checkpointing.timeout", checkpoint_timeout_ns, 1),
    KEY_INT("execution.checkpointing.max-concurrent-checkpoints",
            max_concurrent_checkpoints, 1, SB_SCENARIO_CONCURRENT_MAX),
    KEY_DURATION("execution.checkpointing.min-pause", min_pause_ns, 0),
    KEY_INT("execution.checkpointing.tolerable-failed-checkpoints",
            tolerable_failed_checkpoints, 0, INT_MAX),
    KEY_CUSTOM("execution.checkpointing.unaligned", on_unaligned),
    KEY_CUSTOM("execution.checkpointing.aligned-checkpoint-timeout", on_aligned_timeout),
    KEY_CUSTOM("state.checkpoints.dir", on_checkpoints_dir),
    KEY_INT("state.checkpoints.num-retained", num_retained, 1, INT_MAX),
    KEY_CUSTOM("restart-strategy", on_restart_strategy),
    KEY_INT("restart-strategy.fixed-delay.attempts", restart_attempts, 0,
            INT_MAX),
    KEY_DURATION("restart-strategy.fixed-delay.delay", restart_delay_ns, 0),
    KEY_TEXT("s3.endpoint", s3_endpoint),
    KEY_TEXT("s3.region", s3_region),
    KEY_TEXT("s3.access-key", s3_access_key),
    KEY_TEXT("s3.secret-key", s3_secret_key),
    KEY_CUSTOM("faults", on_faults),
    KEY_CUSTOM("mutant", on_mutant),
    KEY_CUSTOM("trace", on_trace),
    KEY_CUSTOM("expect", on_expect),
    KEY_CUSTOM("engine", on_engine),
    KEY_CUSTOM("flink", on_flink),
    KEY_CUSTOM("kafka", on_kafka),
};

/* ------------------------------------------------ rules across keys -- */

/* The file's base name without .yaml/.yml, made a word (a run folder name). */
static void default_name(sb_scenario_t *s)
{
    const char *slash = strrchr(s->path, '/');
    const char *base = slash != NULL ? slash + 1 : s->path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
        len -= 4;
    if (len >= sizeof s->name)
        len = sizeof s->name - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)base[i];
        s->name[i] = isalnum(c) || c == '.' || c == '_' || c == '-' ? (char)c
                                                                  : '-';
    }
    s->name[len] = '\0';
    if (!is_word(s->name))
        copy_text(s->name, sizeof s->name, "scenario");
}

/* A stage without its own parallelism takes pipeline.parallelism, else 1:
 * in the short form and in pipeline.stages alike. */
static void default_parallelism(parse_t *p)
{
    int fallback = p->parallelism_default != 0 ? p->parallelism_default : 1;
    for (int id = 0; id < ST_MAX; id++) {
        sb_stage_t *stage = stage_of(p->s, id);
        if (stage->parallelism != 0)
            continue;
        stage->parallelism = fallback;
        p->parallelism_at[id] = p->parallelism_default_at;
    }
    for (int i = 0; i < p->s->stages_count; i++)
        if (p->s->stages[i].parallelism == 0)
            p->s->stages[i].parallelism = fallback;
}

/* Kafka hands each partition to one source subtask; a subtask with none
 * would never see input or end-of-input offsets. */
static int check_source_parallelism(parse_t *p)
{
    if (p->s->source.parallelism <= p->s->partitions)
        return 0;
    const origin_t *at = &p->parallelism_at[ST_SOURCE];
    assert(at->line != 0);
    return fail(p, at->line, at->key, "%d source subtasks but input.partitions"
                " is %d (each source subtask needs a partition)",
                p->s->source.parallelism, p->s->partitions);
}

/* Unset inputs: forward when parallelism matches, rebalance otherwise, hash
 * into count (counts per key must see every record of their key). */
static int connect_stage(parse_t *p, int prev_id, int id)
{
    const sb_stage_t *prev = stage_of(p->s, prev_id);
    sb_stage_t *stage = stage_of(p->s, id);
    bool equal = stage->parallelism == prev->parallelism;
    if (!stage->input_set) {
        stage->input = id == ST_COUNT ? SB_CONNECTION_HASH
                       : equal        ? SB_CONNECTION_FORWARD
                                      : SB_CONNECTION_REBALANCE;
        return 0;
    }
    if (stage->input != SB_CONNECTION_FORWARD || equal)
        return 0;
    return fail(p, p->input_at[id].line, p->input_at[id].key,
                "forward needs equal parallelism, but %s has %d and %s before"
                " it has %d (use rebalance or hash)", sb_stage_kind_name((sb_stage_kind_t)id),
                stage->parallelism, sb_stage_kind_name((sb_stage_kind_t)prev_id), prev->parallelism);
}

static int connect_stages(parse_t *p)
{
    int chain[ST_MAX];
    int n = 0;
    for (int id = 0; id < ST_MAX; id++)
        if (id != ST_COUNT || p->s->count_enabled)
            chain[n++] = id;
    for (int i = 1; i < n; i++)
        if (connect_stage(p, chain[i - 1], chain[i]) != 0)
            return -1;
    if (!p->s->count_enabled && !p->s->count.input_set)
        p->s->count.input = SB_CONNECTION_HASH;
    return 0;
}

/* Unaligned checkpoints exist only for exactly-once (as in Flink), and the
 * alignment timeout only switches checkpoints that may go unaligned. */
static int check_unaligned(parse_t *p)
{
    const sb_scenario_t *s = p->s;
    if (s->unaligned && s->mode != SB_MODE_EXACTLY_ONCE)
        return fail(p, p->unaligned_at.line, p->unaligned_at.key,
                    "unaligned checkpoints need execution.checkpointing.mode: EXACTLY_ONCE");
    if (p->aligned_timeout_at.line != 0 && !s->unaligned)
        return fail(p, p->aligned_timeout_at.line, p->aligned_timeout_at.key,
                    "the alignment timeout switches checkpoints to unaligned: it needs "
                    "execution.checkpointing.unaligned: true");
    return 0;
}

/* Why a fault cannot run in one of the modes: "" when it runs in both. */
static const char *fault_sim_only(const sb_fault_t *f)
{
    return f->kind >= SB_FAULT_CRASH_TASK ? "has no real counterpart" : "";
}

static const char *fault_real_only(const sb_fault_t *f)
{
    switch (f->kind) {
    case SB_FAULT_BROKER: return "needs Kafka";
    case SB_FAULT_NETWORK: return "acts on real connections (Kafka, S3)";
    case SB_FAULT_CORRUPT: return "damages checkpoint files between two worker processes";
    case SB_FAULT_STORAGE: return "acts on the disk under a real run's file:// stores";
    case SB_FAULT_CRASH_LOOP: return "kills worker processes as they start";
    case SB_FAULT_THROTTLE:
        return f->bytes_per_s > 0 ? "throttles bytes, and simulated records have no size" : "";
    default: return "";
    }
}

/* engine: flink drives a real Flink cluster: the keys that mean the same
 * thing there apply, the others are refused with the reason. */
static int check_flink_fault(parse_t *p, const sb_fault_t *f, int i)
{
    const sb_scenario_t *s = p->s;
    char key[KEY_BYTES_MAX];
    snprintf(key, sizeof key, "faults[%d]", i);
    size_t line = (size_t)f->line;
    bool process = f->kind == SB_FAULT_CRASH || f->kind == SB_FAULT_PAUSE;
    bool broker = f->kind == SB_FAULT_BROKER &&
                  (f->broker == SB_BROKER_PAUSE || f->broker == SB_BROKER_KILL ||
                   f->broker == SB_BROKER_PARTITION);
    if (!process && !broker)
        return fail(p, line, key, "engine: flink takes crash, pause and { broker: "
                    "pause|kill|partition } faults; a %s fault acts inside snapbed's own engine",
                    sb_fault_kind_name(f->kind));
    if (broker && f->broker == SB_BROKER_PARTITION && s->kafka_brokers != 3)
        return fail(p, line, key, "a partition cuts one broker of three off from the others "
                    "(each in its own network namespace): it needs kafka.brokers: 3");
    if (f->kind == SB_FAULT_CRASH && f->trigger == SB_TRIGGER_CRASH_POINT &&
        (f->point != SB_POINT_COORDINATOR_AFTER_COMPLETE ||
         f->point_trigger != SB_POINT_AT_CHECKPOINT || f->checkpoint_id < 1))
        return fail(p, line, key, "on engine: flink the one crash point is { point: "
                    "coordinator.after_complete, checkpoint: N } (the kill follows Flink's "
                    "report that checkpoint N completed); the others are inside snapbed's "
                    "engine");
    if (broker && (f->broker_id > s->kafka_brokers || f->broker_id < 0))
        return fail(p, line, key, "broker id %d, but kafka.brokers is %d", f->broker_id,
                    s->kafka_brokers);
    if (process && s->flink.address[0] != '\0')
        return fail(p, line, key, "a %s needs a cluster that snapbed starts: with "
                    "flink.address, its processes are not snapbed's to signal",
                    sb_fault_kind_name(f->kind));
    if (!process || f->target[0] == '\0')
        return 0;
    if (strcmp(f->target, "jobmanager") == 0 && f->kind == SB_FAULT_PAUSE)
        return 0; /* SIGSTOP, SIGCONT: the job goes on, or fails over and restores */
    if (strcmp(f->target, "jobmanager") == 0)
        return fail(p, line, key, "target: jobmanager: without Flink's high availability "
                    "(ZooKeeper, not set up by snapbed) a killed JobManager loses the job "
                    "instead of restoring it; target a taskmanager-N, or pause the JobManager "
                    "(do: pause)");
    int64_t n = -1;
    if (strncmp(f->target, "taskmanager-", 12) != 0 || parse_int64(f->target + 12, &n) != 0 ||
        n < 0 || n >= s->flink.taskmanagers)
        return fail(p, line, key, "unknown target '%.32s' (taskmanager-0 to taskmanager-%d)",
                    f->target, s->flink.taskmanagers - 1);
    return 0;
}

static int check_engine(parse_t *p)
{
    const sb_scenario_t *s = p->s;
    if (s->engine != SB_ENGINE_FLINK) {
        for (int i = 0; i < s->faults_count; i++)
            if (s->faults[i].target[0] != '\0') {
                char key[KEY_BYTES_MAX];
                snprintf(key, sizeof key, "faults[%d].target", i);
                return fail(p, (size_t)s->faults[i].line, key, "names a Flink process "
                            "(engine: flink); snapbed's engine has one worker");
            }
        if (s->flink.line != 0)
            return fail(p, (size_t)s->flink.line, "flink", "is for engine: flink");
        if (p->kafka_at != 0)
            return fail(p, p->kafka_at, "kafka.brokers", "is for engine: flink (snapbed's "
                        "engine uses the embedded Kafka or --kafka)");
        return 0;
    }
    size_t line = (size_t)s->engine_line;
    if (s->sim.classic || s->stages_count > 0)
        return fail(p, line, "engine", "flink runs the seed's job (source -> map -> filter -> "
                    "sink, the short form), not %s",
                    s->sim.classic ? "the chandy-lamport model" : "pipeline.stages");
    if (s->count_enabled)
        return fail(p, line, "engine", "flink: pipeline.count is snapbed's engine only");
    if (s->map.parallelism != s->source.parallelism ||
        s->filter.parallelism != s->source.parallelism ||
        s->sink.parallelism != s->source.parallelism ||
        s->map.input != SB_CONNECTION_FORWARD || s->filter.input != SB_CONNECTION_FORWARD ||
        s->sink.input != SB_CONNECTION_FORWARD)
        return fail(p, line, "engine", "flink runs the job at one parallelism with forward "
                    "connections (pipeline.parallelism; no per-stage parallelism or input)");
    if (strncmp(s->sink_uri, "file://", 7) != 0 || strncmp(s->checkpoints_dir, "file://", 7) != 0)
        return fail(p, line, "engine", "flink: the sink and the checkpoints are local folders "
                    "(file://) for now; s3:// is snapbed's engine only");
    if (s->mutant != SB_MUTANT_NONE)
        return fail(p, line, "mutant", "mutants are bugs planted in snapbed's engine; the "
                    "negative controls on Flink are flink.sink: at-least-once and commit-early");
    if (s->trace_records)
        return fail(p, line, "trace", "records: Flink's records are not traced; its trace is "
                    "its checkpoint statistics");
    if (s->flink.job_jar[0] != '\0' && s->flink.sink != SB_FLINK_SINK_EXACTLY_ONCE)
        return fail(p, (size_t)s->flink.line, "flink.sink", "is the sink of snapbed's job; "
                    "a job of your own (flink.job) has its own");
    if (s->expect_channel_state_restored || s->expect_restore_fallbacks >= 0)
        return fail(p, line, "expect", "channel_state_restored and restore_fallbacks read "
                    "snapbed's own trace, which a Flink run does not have");
    for (int i = 0; i < s->faults_count; i++)
        if (check_flink_fault(p, &s->faults[i], i) != 0)
            return -1;
    return 0;
}

/* Which commands can run the scenario: what it uses decides, and `mode:`
 * may narrow it (never widen it). runs_why is the one sentence a command
 * that cannot run it prints. */
static int decide_runs(parse_t *p)
{
    sb_scenario_t *s = p->s;
    char sim_why[SB_SCENARIO_TEXT_BYTES_MAX] = "", real_why[SB_SCENARIO_TEXT_BYTES_MAX] = "";
    size_t sim_line = 0, real_line = 0;
    if (s->sim.classic) {
        snprintf(sim_why, sizeof sim_why, "the chandy-lamport model has no real engine");
        sim_line = (size_t)s->sim.line;
    } else if (s->stages_count > 0) {
        snprintf(sim_why, sizeof sim_why, "the real engine runs source -> map -> filter "
                 "[-> count] -> sink only (pipeline's short form), not pipeline.stages");
        sim_line = (size_t)s->stages[0].line;
    }
    if (s->engine == SB_ENGINE_FLINK) {
        snprintf(real_why, sizeof real_why, "engine: flink runs on a real Flink cluster; the "
                 "simulator models snapbed's engine");
        real_line = (size_t)s->engine_line;
    }
    if (real_why[0] == '\0' && s->mutant == SB_MUTANT_SKIP_FSYNC) {
        snprintf(real_why, sizeof real_why, "mutant: skip-fsync acts on a real run's file:// "
                 "stores");
        real_line = 1;
    }
    for (int i = 0; i < s->faults_count; i++) {
        const sb_fault_t *f = &s->faults[i];
        if (sim_why[0] == '\0' && fault_sim_only(f)[0] != '\0') {
            snprintf(sim_why, sizeof sim_why, "faults[%d] (%s) %s", i, sb_fault_kind_name(f->kind),
                     fault_sim_only(f));
            sim_line = (size_t)f->line;
        }
        if (real_why[0] == '\0' && fault_real_only(f)[0] != '\0') {
            snprintf(real_why, sizeof real_why, "faults[%d] (%s) %s", i,
                     sb_fault_kind_name(f->kind), fault_real_only(f));
            real_line = (size_t)f->line;
        }
    }
    if (sim_why[0] != '\0' && real_why[0] != '\0')
        return fail(p, real_line > sim_line ? real_line : sim_line, "mode",
                    "neither command can run this: %s (snapbed sim only), and %s (snapbed run "
                    "only)", sim_why, real_why);
    s->runs = sim_why[0] ? SB_RUNS_SIM_ONLY : real_why[0] ? SB_RUNS_REAL_ONLY : SB_RUNS_BOTH;
    snprintf(s->runs_why, sizeof s->runs_why, "%s", sim_why[0] ? sim_why : real_why);
    if (p->runs_asked < 0 || p->runs_asked == (int)s->runs)
        return 0;
    if (s->runs != SB_RUNS_BOTH)
        return fail(p, p->runs_at.line, p->runs_at.key, "this scenario is for snapbed %s only: %s",
                    s->runs == SB_RUNS_SIM_ONLY ? "sim" : "run", s->runs_why);
    s->runs = (sb_scenario_runs_t)p->runs_asked;
    snprintf(s->runs_why, sizeof s->runs_why, "it says mode: %s",
             s->runs == SB_RUNS_SIM_ONLY ? "sim" : "run");
    return 0;
}

/* The general form (pipeline.stages) and the short form are two ways to
 * write one graph; the classic model has no pipeline at all. */
static int check_forms(parse_t *p)
{
    const sb_scenario_t *s = p->s;
    if (s->stages_count > 0 && p->short_form_at.line != 0)
        return fail(p, p->short_form_at.line, p->short_form_at.key, "give either pipeline.stages "
                    "or the short form (source, map, filter, count, sink), not both");
    if (s->sim.classic && (s->stages_count > 0 || p->short_form_at.line != 0))
        return fail(p, (size_t)s->sim.line, "sim.model", "a chandy-lamport scenario has processes "
                    "(sim.processes, sim.graph), not a pipeline");
    if (s->sim.classic && p->input_given_at.line != 0)
        return fail(p, p->input_given_at.line, p->input_given_at.key, "not a key of model: "
                    "chandy-lamport (its workload is sim.tokens, sim.transfer_interval and "
                    "sim.transfer_max)");
    return 0;
}

static int finish(parse_t *p)
{
    if (!p->name_set)
        default_name(p->s);
    default_parallelism(p);
    if (check_forms(p) != 0 || check_unaligned(p) != 0 || check_engine(p) != 0 ||
        decide_runs(p) != 0)
        return -1;
    if (p->s->stages_count == 0 && !p->s->sim.classic && check_source_parallelism(p) != 0)
        return -1;
    return connect_stages(p);
}

/* ------------------------------------------------------------- loading -- */

static size_t line_at_offset(const char *text, size_t len, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        line += text[i] == '\n';
    return line;
}

static int yaml_failure(const yaml_parser_t *parser, const char *path,
                        const char *text, size_t len, sb_err_t *err)
{
    const char *problem = parser->problem != NULL ? parser->problem : "error";
    if (parser->error == YAML_MEMORY_ERROR)
        return sb_err_set(err, "%s: out of memory while parsing YAML", path);
    /* Reader errors (bad UTF-8, control characters) carry an offset only. */
    if (parser->error == YAML_READER_ERROR)
        return sb_err_set(err, "%s:%zu: YAML syntax error: %s", path,
                          line_at_offset(text, len, parser->problem_offset),
                          problem);
    if (parser->context != NULL)
        return sb_err_set(err, "%s:%zu: YAML syntax error: %s (%s at line %zu)",
                          path, parser->problem_mark.line + 1, problem,
                          parser->context, parser->context_mark.line + 1);
    return sb_err_set(err, "%s:%zu: YAML syntax error: %s", path,
                      parser->problem_mark.line + 1, problem);
}

/* One scenario, one document: a second `---` is a pasting mistake. */
static int check_single_document(yaml_parser_t *parser, const char *path,
                                 const char *text, size_t len, sb_err_t *err)
{
    yaml_document_t next;
    if (!yaml_parser_load(parser, &next))
        return yaml_failure(parser, path, text, len, err);
    yaml_node_t *root = yaml_document_get_root_node(&next);
    int rc = 0;
    if (root != NULL)
        rc = sb_err_set(err, "%s:%zu: a scenario is one YAML document, found "
                        "a second one", path, root->start_mark.line + 1);
    yaml_document_delete(&next);
    return rc;
}

/* A scenario is a few levels of keys and lists with a few anchors, and
 * libyaml caps neither nesting nor aliases: its scanner looks at every open
 * flow level for each token (100 000 nested '[' take minutes), and its
 * document shares an alias's node, so one node can be reached
 * exponentially many ways. One pass over the events refuses both before
 * the document is built. */
static int check_shape(const char *path, const char *text, size_t len, sb_err_t *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sb_err_set(err, "%s: cannot start the YAML parser", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int depth = 0, aliases = 0, rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_failure(&parser, path, text, len, err);
            break;
        }
        size_t line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > YAML_DEPTH_MAX)
                rc = sb_err_set(err, "%s:%zu: nested more than %d levels deep (a scenario "
                                "is a few levels of keys and lists)", path, line, YAML_DEPTH_MAX);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_ALIAS_EVENT:
            if (++aliases > YAML_ALIASES_MAX)
                rc = sb_err_set(err, "%s:%zu: more than %d aliases (*name): a scenario "
                                "needs a few", path, line, YAML_ALIASES_MAX);
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

static int parse_document(sb_scenario_t *s, yaml_document_t *doc,
                          const char *path, sb_err_t *err)
{
    parse_t p = { .doc = doc, .path = path, .err = err, .s = s, .runs_asked = -1 };
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root != NULL &&
        walk(&p, root, "", top_keys, COUNT_OF(top_keys), NULL) != 0)
        return -1;
    return finish(&p);
}

/* need_keys: a file with no key at all (empty, comments only, `~`) is a
 * wrong file, not "all defaults"; a string in a test may say that. */
static int parse_text(sb_scenario_t *s, const char *path, const char *text,
                      size_t len, bool need_keys, sb_err_t *err)
{
    sb_scenario_t draft;
    sb_scenario_defaults(&draft);
    if (!copy_text(draft.path, sizeof draft.path, path))
        return sb_err_set(err, "cannot read scenario %.80s...: path longer "
                          "than %zu bytes", path, sizeof draft.path - 1);
    if (check_shape(path, text, len, err) != 0)
        return -1;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sb_err_set(err, "%s: cannot start the YAML parser", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_document_t doc;
    int rc = -1;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_failure(&parser, path, text, len, err);
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        rc = check_single_document(&parser, path, text, len, err);
        if (rc == 0 && need_keys && (root == NULL || sb_yaml_is_null(root)))
            rc = sb_err_set(err, "%s: the scenario is empty (no key): write at least the keys "
                            "it changes, e.g. `name:` (docs/scenarios.md)", path);
        if (rc == 0)
            rc = parse_document(&draft, &doc, path, err);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (rc == 0)
        *s = draft;
    return rc;
}

/* Reads the whole file (bounded) so that messages can count lines in it. */
static int read_file(const char *path, char **out, size_t *out_len,
                     sb_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sb_err_errno(err, errno, "cannot read scenario %s", path);
    char *buf = malloc(SCENARIO_FILE_BYTES_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return sb_err_errno(err, ENOMEM, "cannot read scenario %s", path);
    }
    size_t len = fread(buf, 1, SCENARIO_FILE_BYTES_MAX + 1, f);
    int read_errno = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
    fclose(f);
    if (read_errno != 0 || len > SCENARIO_FILE_BYTES_MAX) {
        free(buf);
        if (read_errno != 0)
            return sb_err_errno(err, read_errno, "cannot read scenario %s",
                                path);
        return sb_err_set(err, "cannot read scenario %s: larger than %d bytes",
                          path, SCENARIO_FILE_BYTES_MAX);
    }
    *out = buf;
    *out_len = len;
    return 0;
}

/* ------------------------------------------------------------- public -- */

void sb_scenario_defaults(sb_scenario_t *s)
{
    assert(s != NULL);
    memset(s, 0, sizeof *s);
    copy_text(s->topic, sizeof s->topic, "input-topic");
    s->partitions = 4;
    s->records = 200000;
    s->seed = 42;
    s->map_fn = SB_MAP_UPPERCASE;
    copy_text(s->filter_prefix, sizeof s->filter_prefix, "A");
    s->count_enabled = false;
    copy_text(s->sink_uri, sizeof s->sink_uri, "file://output");
    s->checkpoint_interval_ns = INT64_C(500) * 1000 * 1000;
    s->mode = SB_MODE_EXACTLY_ONCE;
    s->checkpoint_timeout_ns = INT64_C(600) * 1000 * 1000 * 1000;
    s->max_concurrent_checkpoints = 1;
    s->min_pause_ns = 0;
    s->tolerable_failed_checkpoints = 0;
    copy_text(s->checkpoints_dir, sizeof s->checkpoints_dir,
              "file://checkpoints");
    s->num_retained = 1;
    s->restart_attempts = 10;
    s->restart_delay_ns = INT64_C(100) * 1000 * 1000;
    s->faults_count = 0;
    s->expect_exactly_once = true;
    s->expect_restore_fallbacks = -1;
    s->engine = SB_ENGINE_SNAPBED;
    s->flink.taskmanagers = 2;
    s->flink.slots = 1;
    s->flink.sink = SB_FLINK_SINK_EXACTLY_ONCE;
    s->kafka_brokers = 1;
    sb_scenario_sim_t *sim = &s->sim;
    sim->channel_delay = (sb_delay_spec_t){ .kind = 1, .min_ns = 50 * 1000, .max_ns = 500 * 1000 };
    sim->channel_capacity = 64;
    sim->rpc_delay_ns = 50 * 1000;
    sim->failure_detection_ns = 1000 * 1000;
    sim->coordinator_tick_ns = 100 * 1000;
    sim->sample_interval_ns = 1000 * 1000;
    sim->max_events = INT64_C(2000000000);
    sim->seed = 1;
    sim->fifo = true;
    sim->processes = 4;
    sim->tokens = 100;
    sim->transfer_interval_ns = 100 * 1000;
    sim->transfer_max = 10;
    sim->snapshots = 3;
    sim->snapshot_interval_ns = 5 * 1000 * 1000;
}

int sb_scenario_apply_overrides(sb_scenario_t *s, const sb_scenario_overrides_t *o,
                                sb_err_t *err)
{
    assert(s != NULL && o != NULL);
    if (o->unaligned || o->aligned_timeout_ns >= 0) {
        if (s->mode != SB_MODE_EXACTLY_ONCE)
            return sb_err_set(err, "%s is %s, and unaligned checkpoints need EXACTLY_ONCE",
                              s->path, sb_mode_name(s->mode));
        s->unaligned = true;
        s->aligned_checkpoint_timeout_ns = o->aligned_timeout_ns > 0 ? o->aligned_timeout_ns : 0;
    }
    if (o->trace_records >= 0)
        s->trace_records = o->trace_records == 1;
    if (o->seed_set)
        s->seed = o->seed;
    return 0;
}

static bool overrides_unaligned(const sb_scenario_overrides_t *o)
{
    return o->unaligned || o->aligned_timeout_ns >= 0;
}

bool sb_scenario_line_overridden(const char *line, const sb_scenario_overrides_t *o)
{
    static const char *const unaligned_keys[] = {
        "execution.checkpointing.unaligned:", "execution.checkpointing.aligned-checkpoint-timeout:",
    };
    for (size_t i = 0; i < COUNT_OF(unaligned_keys); i++)
        if (overrides_unaligned(o) && strncmp(line, unaligned_keys[i], strlen(unaligned_keys[i])) == 0)
            return true;
    return o->trace_records >= 0 && strncmp(line, "trace:", 6) == 0;
}

void sb_scenario_overrides_text(const sb_scenario_t *s, const sb_scenario_overrides_t *o,
                                char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (overrides_unaligned(o) || o->trace_records >= 0)
        used += (size_t)snprintf(buf + used, len - used, "# from the command line of snapbed run:\n");
    if (overrides_unaligned(o) && used < len)
        used += (size_t)snprintf(buf + used, len - used, "execution.checkpointing.unaligned: true\n"
                                 "execution.checkpointing.aligned-checkpoint-timeout: %" PRId64
                                 "ns\n", s->aligned_checkpoint_timeout_ns);
    if (o->trace_records >= 0 && used < len)
        snprintf(buf + used, len - used, "trace: %s\n", s->trace_records ? "records" : "checkpoints");
}

int sb_scenario_parse(sb_scenario_t *s, const char *path, const char *yaml,
                      sb_err_t *err)
{
    assert(s != NULL && path != NULL && yaml != NULL);
    return parse_text(s, path, yaml, strlen(yaml), false, err);
}

int sb_scenario_load(sb_scenario_t *s, const char *path, sb_err_t *err)
{
    assert(s != NULL && path != NULL);
    char *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len, err) != 0)
        return -1;
    int rc = parse_text(s, path, text, len, true, err);
    free(text);
    return rc;
}

/* A relative file:// path is resolved in the run folder, which is fresh for
 * every run: that is what makes its output this run's own. A `..` that
 * climbs out of it would write next to other runs' files, where a rerun
 * finds the first run's objects and is judged on them; shared locations are
 * written as absolute paths, to which the run id is appended. */
static int file_path_check(const char *path, char *why, size_t len)
{
    bool absolute = path[0] == '/';
    int depth = 0;
    bool parent = false;
    for (const char *c = path; *c != '\0';) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            parent = true;
            depth--;
        } else if (n > 0 && !(n == 1 && c[0] == '.')) {
            depth++;
        }
        if (!absolute && depth < 0) {
            snprintf(why, len, "'file://%.64s' leaves the run folder ('..'): a relative path "
                     "stays inside it; write file:///ABSOLUTE/PATH to keep data elsewhere", path);
            return -1;
        }
        c += n + (c[n] == '/');
    }
    if (absolute && parent) {
        snprintf(why, len, "'file://%.64s' has '..' in an absolute path: write the folder it "
                 "means", path);
        return -1;
    }
    if (depth <= 0) {
        snprintf(why, len, "'file://%.64s' names %s itself, not a folder in it", path,
                 absolute ? "the root folder" : "the run folder");
        return -1;
    }
    return 0;
}

int sb_scenario_uri_check(const char *uri, char *why, size_t len)
{
    assert(uri != NULL && why != NULL && len > 0);
    why[0] = '\0';
    if (strncmp(uri, "file://", 7) == 0 && uri[7] != '\0')
        return file_path_check(uri + 7, why, len);
    if (strncmp(uri, "s3://", 5) == 0 && uri[5] != '\0' && uri[5] != '/')
        return 0;
    if (strncmp(uri, "s3://", 5) == 0)
        snprintf(why, len, "'%.64s' names no bucket: write s3://BUCKET/PREFIX", uri);
    else
        snprintf(why, len, "expected file://PATH or s3://BUCKET/PREFIX, got '%.64s'%s", uri,
                 strstr(uri, "://") != NULL ? " (no other scheme is supported)" : "");
    return -1;
}
