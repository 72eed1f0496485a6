/* simscenario.c — a parsed scenario (runtime/scenario.h, the one language
 * of `snapbed run` and `snapbed sim`) turned into the simulator's resolved
 * sb_simscenario_t, and written back in that language. See simscenario.h
 * and docs/sim.md.
 *
 * Parsing is runtime/scenario.c's alone; what is left here is the
 * simulator's own: the mapping of shared settings to virtual time (and the
 * notes saying what was mapped or ignored), the rules of a simulated graph
 * (a DAG that fits the coordinator, the barrier handler and the checker),
 * and sb_simscenario_format, which explore and shrink use. *s is written
 * only when the whole scenario is valid for the simulator. */
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

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_BYTES_MAX 128
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)

/* The conversion's context: where messages point, and the scenario. */
typedef struct parse {
    const char *path;
    sb_err_t *err;
    sb_simscenario_t *s;
    const sb_scenario_t *sc;
    char from_names[SB_SIMSCENARIO_STAGES_MAX][SB_SIMSCENARIO_FROM_MAX]
                   [SB_SIMSCENARIO_STAGE_NAME_BYTES_MAX];
    int from_lines[SB_SIMSCENARIO_STAGES_MAX];
    int graph_line;
    char *notes;                 /* what was mapped or ignored, one line each */
    size_t notes_len;
} parse_t;

__attribute__((format(printf, 4, 5)))
static int fail(const parse_t *p, size_t line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sb_scenario_error_va(p->err, p->path, line, key, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 2, 3)))
static void note(parse_t *p, const char *fmt, ...)
{
    if (p->notes == NULL)
        return;
    size_t used = strlen(p->notes);
    if (used + 1 >= p->notes_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes + used, p->notes_len - used, fmt, ap);
    va_end(ap);
    used = strlen(p->notes);
    if (used + 1 < p->notes_len)
        snprintf(p->notes + used, p->notes_len - used, "\n");
}

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
    /* The shared keys take runtime/scenario.c's defaults (Flink's), as in a
     * real run; only the simulator's own keys have defaults of their own. */
    s->records = 200000;
    s->source_interval_ns = 100 * 1000;
    s->checkpoint_interval_ns = 500 * NS_PER_MS;
    s->checkpoint_timeout_ns = 600 * NS_PER_S;
    s->max_concurrent = 1;
    s->tolerable_failed = 0;
    s->num_retained = 1;
    s->channel_delay = (sb_rng_dist_t){ .kind = SB_RNG_UNIFORM, .min_ns = 50 * 1000,
                                        .max_ns = 500 * 1000 };
    s->channel_capacity = 64;
    s->rpc_delay = (sb_rng_dist_t){ .kind = SB_RNG_FIXED, .min_ns = 50 * 1000,
                                    .max_ns = 50 * 1000 };
    s->restart_delay_ns = 100 * NS_PER_MS;
    s->failure_detection_ns = 1000 * 1000;
    s->coordinator_tick_ns = 100 * 1000;
    s->sample_interval_ns = 1000 * 1000;
    s->trace_records = false;
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
    snprintf(key, sizeof key, "pipeline.stages[%d]", i);
    if (st->name[0] == '\0')
        return fail(p, (size_t)st->line, key, "a stage needs a name");
    if (stage_by_name(s, st->name, i) >= 0)
        return fail(p, (size_t)st->line, key, "a second stage named '%s'", st->name);
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
            return fail(p, (size_t)s->stages[i].line, "pipeline.stages", "%d paths lead from '%s' "
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
        snprintf(key, sizeof key, "pipeline.stages[%d]", i);
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
        return fail(p, 1, "pipeline.stages", "a job needs a source first and at least one sink");
    for (int i = 0; i < s->stages_count; i++)
        if (s->stages[i].kind != SB_STAGE_SINK && consumers_count[i] == 0)
            return fail(p, (size_t)s->stages[i].line, "pipeline.stages", "'%s' feeds no stage: "
                        "every stage but a sink must feed a later one (list it in a later "
                        "stage's from:), so that its records reach a sink", s->stages[i].name);
    if (tasks > SB_SIMSCENARIO_TASKS_MAX || channels > SB_SIMSCENARIO_CHANNELS_MAX)
        return fail(p, 1, "pipeline.stages", "%d subtasks and %d channels, more than %d and %d", tasks,
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

int sb_simscenario_graph_preset(sb_simscenario_classic_t *cl, const char *preset)
{
    int n = cl->processes;
    cl->edges_count = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            bool ring = j == (i + 1) % n, back = i == (j + 1) % n;
            bool want = strcmp(preset, "complete") == 0 ? i != j
                        : strcmp(preset, "ring") == 0 ? ring : ring || back;
            if (want && !edge_known(cl, i, j)) {
                /* complete on more than 32 processes: n(n-1) channels */
                if (cl->edges_count == SB_SIMSCENARIO_EDGES_MAX)
                    return -1;
                cl->edges[cl->edges_count][0] = i;
                cl->edges[cl->edges_count][1] = j;
                cl->edges_count++;
            }
        }
    return 0;
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

/* What each model simulates, in the words of a scenario file (fault_of
 * maps a throttle or stall to slow faults; classic.c knows two kinds). */
#define PIPELINE_FAULTS "do: crash at a time, a crash point, random kills, do: pause, " \
    "a throttle or stall, do: { crash: task }, do: { slow: STAGE-N } and do: { delay: spike }"
#define CLASSIC_FAULTS "do: { crash: process } and do: { delay: spike }"

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
        snprintf(key, sizeof key, "faults[%d]", i);
        if (f->kind == SB_SIM_FAULT_CRASH_PROCESS)
            return fail(p, (size_t)f->line, key, "%s is a fault of model: chandy-lamport (a "
                        "pipeline knows %s)", sb_simscenario_fault_kind_name(f->kind),
                        PIPELINE_FAULTS);
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
        snprintf(key, sizeof key, "faults[%d]", i);
        if (f->kind != SB_SIM_FAULT_CRASH_PROCESS && f->kind != SB_SIM_FAULT_DELAY_SPIKE)
            return fail(p, (size_t)f->line, key, "%s is not a fault of model: chandy-lamport "
                        "(it knows %s)", sb_simscenario_fault_kind_name(f->kind),
                        CLASSIC_FAULTS);
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
    if (s->mutant != SB_MUTANT_NONE && s->mutant != SB_MUTANT_DROP_CHANNEL_STATE)
        return fail(p, 1, "mutant", "model: chandy-lamport knows none and drop-channel-state");
    const char *preset = p->sc->sim.graph_preset[0] ? p->sc->sim.graph_preset : "ring";
    if (cl->edges_count == 0 && sb_simscenario_graph_preset(cl, preset) != 0)
        return fail(p, (size_t)p->graph_line, "sim.graph", "%s on %d processes has %d channels, "
                    "more than the simulator's %d", preset, cl->processes,
                    cl->processes * (cl->processes - 1), SB_SIMSCENARIO_EDGES_MAX);
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
            return fail(p, (size_t)p->graph_line, "sim.initiators", "no process %d",
                        cl->initiators[k]);
    if (cl->duration_ns == 0) {
        /* found by fuzzing: a huge interval overflowed the product (UBSan) */
        if (cl->snapshot_interval_ns > INT64_MAX / (cl->snapshots + 1))
            return fail(p, (size_t)p->graph_line, "sim.snapshot_interval", "%lld snapshots at "
                        "this interval last longer than the simulator's clock can count "
                        "(about 292 years)", (long long)cl->snapshots);
        cl->duration_ns = (cl->snapshots + 1) * cl->snapshot_interval_ns;
    }
    if (resolve_faults_classic(p) != 0)
        return -1;
    return check_reachable(p, cl);
}

static int finish_pipeline(parse_t *p)
{
    sb_simscenario_t *s = p->s;
    for (int i = 0; i < s->stages_count; i++) {
        if (resolve_stage(p, i) != 0)
            return -1;
        default_input(s, &s->stages[i]);
    }
    if (check_graph(p) != 0)
        return -1;
    return resolve_faults_pipeline(p);
}

static int finish(parse_t *p)
{
    return p->s->model == SB_SIM_MODEL_CLASSIC ? finish_classic(p) : finish_pipeline(p);
}

/* ------------------------------------------------- from the one language */

static const char *const fault_kind_names[SB_SIM_FAULT_KINDS_COUNT_] = {
    [SB_SIM_FAULT_CRASH_JOB] = "do: crash",
    [SB_SIM_FAULT_CRASH_TASK] = "do: { crash: task }",
    [SB_SIM_FAULT_CRASH_PROCESS] = "do: { crash: process }",
    [SB_SIM_FAULT_DELAY_SPIKE] = "do: { delay: spike }",
    [SB_SIM_FAULT_SLOW] = "do: { slow: STAGE-N }",
    [SB_SIM_FAULT_CRASH_POINT] = "crash point",
    [SB_SIM_FAULT_CRASH_RANDOM] = "random kills",
    [SB_SIM_FAULT_PAUSE] = "do: pause",
};

const char *sb_simscenario_fault_kind_name(sb_simscenario_fault_kind_t k)
{
    return (size_t)k < COUNT_OF(fault_kind_names) ? fault_kind_names[k] : "unknown";
}

static sb_rng_dist_t dist_of(const sb_delay_spec_t *d)
{
    return (sb_rng_dist_t){ .kind = (sb_rng_dist_kind_t)d->kind, .min_ns = d->min_ns,
                            .max_ns = d->max_ns, .mean_ns = d->mean_ns };
}

static sb_simscenario_protocol_t protocol_of(const sb_scenario_t *sc)
{
    if (sc->mode == SB_MODE_AT_LEAST_ONCE)
        return SB_SIM_AT_LEAST_ONCE;
    if (!sc->unaligned)
        return SB_SIM_ALIGNED;
    return sc->aligned_checkpoint_timeout_ns > 0 ? SB_SIM_TIMEOUT : SB_SIM_UNALIGNED;
}

/* The short form as sim stages: source -> map -> filter [-> count, simulated
 * as a map] -> sink, with the parser's resolved parallelism and inputs. */
static void stages_of_short_form(parse_t *p)
{
    const sb_scenario_t *sc = p->sc;
    sb_simscenario_t *s = p->s;
    const sb_stage_t *stages[] = { &sc->source, &sc->map, &sc->filter, &sc->count, &sc->sink };
    int64_t keep_every = sc->sim.keep_every > 0 ? sc->sim.keep_every
                         : sc->filter_prefix[0] != '\0' ? 4 : 1;
    for (int k = SB_STAGE_SOURCE; k < SB_STAGE_COUNT_; k++) {
        if (k == SB_STAGE_COUNT && !sc->count_enabled)
            continue;
        sb_simscenario_stage_t *st = &s->stages[s->stages_count];
        memset(st, 0, sizeof *st);
        snprintf(st->name, sizeof st->name, "%s", sb_stage_kind_name((sb_stage_kind_t)k));
        st->kind = k == SB_STAGE_COUNT ? SB_STAGE_MAP : (sb_stage_kind_t)k;
        st->parallelism = stages[k]->parallelism;
        st->input = stages[k]->input;
        st->input_set = k != SB_STAGE_SOURCE;
        st->keep_every = k == SB_STAGE_FILTER ? keep_every : 0;
        st->process_ns = sc->sim.process_ns[k];
        st->line = 1;           /* from_count 0: it reads the stage before it */
        s->stages_count++;
    }
    if (sc->filter_prefix[0] != '\0' && sc->sim.keep_every == 0)
        note(p, "note: pipeline.filter \"startswith:%s\" is simulated as a filter that keeps "
             "every 4th offset (sim.keep_every sets another)", sc->filter_prefix);
    if (sc->count_enabled)
        note(p, "note: pipeline.count is simulated as a map (the simulator keeps no counts)");
}

/* pipeline.stages as sim stages; `from` is resolved by resolve_stage. */
static void stages_of_specs(parse_t *p)
{
    const sb_scenario_t *sc = p->sc;
    sb_simscenario_t *s = p->s;
    for (int i = 0; i < sc->stages_count; i++) {
        const sb_stage_spec_t *in = &sc->stages[i];
        sb_simscenario_stage_t *st = &s->stages[i];
        memset(st, 0, sizeof *st);
        snprintf(st->name, sizeof st->name, "%s", in->name);
        st->kind = in->kind == SB_STAGE_COUNT ? SB_STAGE_MAP : (sb_stage_kind_t)in->kind;
        st->parallelism = in->parallelism > 0 ? in->parallelism : 1;
        st->input = in->input;
        st->input_set = in->input_set;
        st->keep_every = in->keep_every;
        if (st->kind == SB_STAGE_FILTER && st->keep_every == 0)
            st->keep_every = sc->sim.keep_every > 0 ? sc->sim.keep_every : 4;
        st->process_ns = in->process_ns;
        st->line = in->line;
        st->from_count = in->from_count;
        for (int k = 0; k < in->from_count; k++)
            snprintf(p->from_names[i][k], sizeof p->from_names[i][k], "%s", in->from[k]);
        p->from_lines[i] = in->line;
        if (in->kind == SB_STAGE_COUNT)
            note(p, "note: stage %s (count) is simulated as a map", in->name);
    }
    s->stages_count = sc->stages_count;
}

static int source_subtasks(const sb_simscenario_t *s)
{
    int n = 0;
    for (int i = 0; i < s->stages_count; i++)
        n += s->stages[i].kind == SB_STAGE_SOURCE ? s->stages[i].parallelism : 0;
    return n;
}

static int stage_named(const sb_simscenario_t *s, const char *name)
{
    for (int i = 0; i < s->stages_count; i++)
        if (strcmp(s->stages[i].name, name) == 0)
            return i;
    return -1;
}

static sb_simscenario_fault_t *add_fault(parse_t *p, const sb_fault_t *f, const char *key)
{
    sb_simscenario_t *s = p->s;
    if (s->faults_count == SB_SIMSCENARIO_FAULTS_MAX) {
        fail(p, (size_t)f->line, key, "more than %d simulated faults", SB_SIMSCENARIO_FAULTS_MAX);
        return NULL;
    }
    sb_simscenario_fault_t *g = &s->faults[s->faults_count++];
    memset(g, 0, sizeof *g);
    g->at_ns = f->at_ns;
    g->for_ns = f->for_ns;
    g->line = f->line;
    g->from_index = g->to_index = -1;
    return g;
}

/* A throttle (records_per_s R) slows every subtask of its stage to
 * parallelism / R per record; a stall takes one record per window. */
static int throttle_of(parse_t *p, const sb_fault_t *f, const char *key)
{
    const sb_simscenario_t *s = p->s;
    int i = stage_named(s, sb_stage_kind_name(f->stage));
    if (i < 0)
        return fail(p, (size_t)f->line, key, "no stage %s to throttle in the simulated job",
                    sb_stage_kind_name(f->stage));
    int parallelism = s->stages[i].parallelism;
    /* Without `for` a real run keeps the throttle or stall to the end
     * (faultinject/timeline.c): so does the simulator, up to max_time, and
     * the fault keeps a duration the one language can write back. */
    int64_t for_ns = f->for_ns > 0 ? f->for_ns : s->max_time_ns;
    int64_t process_ns = f->records_per_s > 0 ? parallelism * NS_PER_S / f->records_per_s
                                              : for_ns;
    if (process_ns < 1)
        process_ns = 1; /* a throttle above 1e9 records/s per subtask */
    for (int k = 0; k < parallelism; k++) {
        sb_simscenario_fault_t *g = add_fault(p, f, key);
        if (g == NULL)
            return -1;
        g->kind = SB_SIM_FAULT_SLOW;
        g->for_ns = for_ns;
        g->process_ns = process_ns;
        snprintf(g->task, sizeof g->task, "%s-%d", s->stages[i].name, k);
    }
    note(p, "note: %s: %s %s is simulated as a slow fault on each of its subtasks "
         "(process_time %" PRId64 "us)", key, f->records_per_s > 0 ? "throttle" : "stall",
         sb_stage_kind_name(f->stage), process_ns / 1000);
    return 0;
}

static int fault_of(parse_t *p, const sb_fault_t *f, int index)
{
    char key[32];
    snprintf(key, sizeof key, "faults[%d]", index);
    if (f->kind == SB_FAULT_THROTTLE && p->sc->sim.classic)
        return fail(p, (size_t)f->line, key, "a throttle or stall is not a fault of model: "
                    "chandy-lamport (it knows %s)", CLASSIC_FAULTS);
    if (f->kind == SB_FAULT_THROTTLE)
        return throttle_of(p, f, key);
    sb_simscenario_fault_t *g = add_fault(p, f, key);
    if (g == NULL)
        return -1;
    switch (f->kind) {
    case SB_FAULT_CRASH:
        g->kind = f->trigger == SB_TRIGGER_AT_TIME  ? SB_SIM_FAULT_CRASH_JOB
                  : f->trigger == SB_TRIGGER_RANDOM ? SB_SIM_FAULT_CRASH_RANDOM
                                                    : SB_SIM_FAULT_CRASH_POINT;
        g->count = f->count;
        g->point = f->point;
        g->point_trigger = f->point_trigger;
        g->checkpoint_id = f->checkpoint_id;
        g->hit = f->hit;
        g->probability = f->probability;
        break;
    case SB_FAULT_PAUSE: g->kind = SB_SIM_FAULT_PAUSE; break;
    case SB_FAULT_CRASH_TASK: g->kind = SB_SIM_FAULT_CRASH_TASK; break;
    case SB_FAULT_SLOW: g->kind = SB_SIM_FAULT_SLOW; break;
    case SB_FAULT_DELAY_SPIKE: g->kind = SB_SIM_FAULT_DELAY_SPIKE; break;
    case SB_FAULT_CRASH_PROCESS: g->kind = SB_SIM_FAULT_CRASH_PROCESS; break;
    default:
        return fail(p, (size_t)f->line, key, "a %s fault cannot be simulated",
                    sb_fault_kind_name(f->kind));
    }
    snprintf(g->task, sizeof g->task, "%s", f->task);
    snprintf(g->from, sizeof g->from, "%s", f->from);
    snprintf(g->to, sizeof g->to, "%s", f->to);
    g->process_ns = f->process_ns;
    g->extra_ns = f->extra_ns;
    g->process = f->process;
    /* at: 0 is as in a real run: right after the job (its first
     * incarnation) starts. */
    return 0;
}

/* Settings only a real run means, named once. */
static void note_ignored(parse_t *p)
{
    const sb_scenario_t *sc = p->sc;
    sb_scenario_t d;
    char list[512] = "";
    sb_scenario_defaults(&d);
    const struct { bool set; const char *key; } ignored[] = {
        { strcmp(sc->topic, d.topic) != 0, "input.topic" },
        { sc->record_bytes != 0, "input.record_bytes" },
        { strcmp(sc->sink_uri, d.sink_uri) != 0, "pipeline.sink.uri" },
        { strcmp(sc->checkpoints_dir, d.checkpoints_dir) != 0, "state.checkpoints.dir" },
        { sc->restart_attempts != d.restart_attempts, "restart-strategy.fixed-delay.attempts" },
        { sc->s3_endpoint[0] || sc->s3_region[0] || sc->s3_access_key[0] ||
          sc->s3_secret_key[0], "s3.*" },
        { sc->seed != d.seed, "input.seed (the simulated records are their offsets)" },
        { sc->map_fn != d.map_fn, "pipeline.map.fn (the simulated map passes every record on "
          "unchanged)" },
        { (sc->given & SB_GIVEN_EXPECT) != 0, "expect (the verdict is reported as is)" },
    };
    for (size_t i = 0; i < COUNT_OF(ignored); i++)
        if (ignored[i].set)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                     ignored[i].key);
    if (list[0] != '\0')
        note(p, "note: snapbed sim ignores what only a real run means: %s", list);
    int sources = source_subtasks(p->s);
    if (!sc->sim.classic && sc->partitions != d.partitions && sc->partitions != sources)
        note(p, "note: input.partitions %d is simulated as one virtual partition per source "
             "subtask (%d)", sc->partitions, sources);
}

static void settings_of(parse_t *p)
{
    const sb_scenario_t *sc = p->sc;
    sb_simscenario_t *s = p->s;
    snprintf(s->path, sizeof s->path, "%s", sc->path);
    snprintf(s->name, sizeof s->name, "%s", sc->name);
    snprintf(s->description, sizeof s->description, "%s", sc->description);
    s->model = sc->sim.classic ? SB_SIM_MODEL_CLASSIC : SB_SIM_MODEL_PIPELINE;
    s->runs_both = sc->runs == SB_RUNS_BOTH;
    s->protocol = protocol_of(sc);
    s->aligned_timeout_ns = s->protocol == SB_SIM_TIMEOUT ? sc->aligned_checkpoint_timeout_ns : 0;
    s->checkpoint_interval_ns = sc->checkpoint_interval_ns;
    s->checkpoint_timeout_ns = sc->checkpoint_timeout_ns;
    s->tolerable_failed = sc->tolerable_failed_checkpoints;
    s->num_retained = sc->num_retained;
    s->restart_delay_ns = sc->restart_delay_ns;
    s->trace_records = sc->trace_records;
    s->max_concurrent = sc->max_concurrent_checkpoints;
    s->min_pause_ns = sc->min_pause_ns;
    s->mutant = sc->mutant;
    s->channel_delay = dist_of(&sc->sim.channel_delay);
    s->channel_capacity = sc->sim.channel_capacity;
    s->rpc_delay = (sb_rng_dist_t){ .kind = SB_RNG_FIXED, .min_ns = sc->sim.rpc_delay_ns,
                                    .max_ns = sc->sim.rpc_delay_ns };
    s->failure_detection_ns = sc->sim.failure_detection_ns;
    s->coordinator_tick_ns = sc->sim.coordinator_tick_ns;
    s->sample_interval_ns = sc->sim.sample_interval_ns;
    s->seed = sc->sim.seed;
    /* Both models stop at sim.max_time when it is given; without it a
     * classic run keeps the default (10s) and a pipeline gets what its
     * input needs (workload_of). */
    if (sc->sim.max_time_ns > 0)
        s->max_time_ns = sc->sim.max_time_ns;
    s->max_events = sc->sim.max_events;
    s->fifo = s->classic.fifo = sc->sim.fifo;
    sb_simscenario_classic_t *cl = &s->classic;
    cl->processes = sc->sim.processes;
    cl->edges_count = sc->sim.edges_count;
    memcpy(cl->edges, sc->sim.edges, sizeof cl->edges);
    cl->tokens = sc->sim.tokens;
    cl->transfer_interval_ns = sc->sim.transfer_interval_ns;
    cl->transfer_max = sc->sim.transfer_max;
    cl->snapshots = sc->sim.snapshots;
    cl->snapshot_interval_ns = sc->sim.snapshot_interval_ns;
    cl->initiators_count = sc->sim.initiators_count;
    memcpy(cl->initiators, sc->sim.initiators, sizeof cl->initiators);
    cl->duration_ns = sc->sim.duration_ns;
}

/* Input size and pace: input.records over every source subtask, the rate
 * over every source subtask too; a long input gets the virtual time it
 * needs before "did not finish". A pace slower than one record a second
 * per source subtask is refused, as sim.source_interval above 1s is (a
 * written-back scenario must parse again; found by fuzzing). */
static int workload_of(parse_t *p)
{
    const sb_scenario_t *sc = p->sc;
    sb_simscenario_t *s = p->s;
    int sources = source_subtasks(s);
    if (sources == 0)
        return 0;
    s->records = (sc->records + sources - 1) / sources;
    if (sc->sim.source_interval_ns > 0) {
        s->source_interval_ns = sc->sim.source_interval_ns;
    } else if (sc->source_records_per_s > 0) {
        s->source_interval_ns = sources * NS_PER_S / sc->source_records_per_s;
        if (s->source_interval_ns < 1)
            s->source_interval_ns = 1;
        if (s->source_interval_ns > NS_PER_S)
            return fail(p, (size_t)sc->source_records_per_s_line, "pipeline.source.records_per_s", "%" PRId64 " over %d source "
                        "subtask%s is one record every %.3g s per subtask; the simulator paces a "
                        "source at most 1 s apart (raise it, or set sim.source_interval)",
                        sc->source_records_per_s, sources, sources == 1 ? "" : "s",
                        (double)s->source_interval_ns / 1e9);
        note(p, "note: pipeline.source.records_per_s %" PRId64 " is simulated as one record "
             "every %" PRId64 "ns per source subtask (sim.source_interval)",
             sc->source_records_per_s, s->source_interval_ns);
    }
    /* What a real run would take, with room: the input at its pace four
     * times over, and per fault a restart and two checkpoint intervals.
     * Saturated: the durations come from the file, and their product can
     * pass 2^63 (found by fuzzing: 100000 s between records). */
    int64_t input_ns, per_fault_ns, faults_ns, needed_ns;
    if (__builtin_mul_overflow(s->records, s->source_interval_ns, &input_ns) ||
        __builtin_mul_overflow(input_ns, 4, &input_ns) ||
        __builtin_mul_overflow(s->checkpoint_interval_ns, 2, &per_fault_ns) ||
        __builtin_add_overflow(per_fault_ns, s->restart_delay_ns, &per_fault_ns) ||
        __builtin_add_overflow(per_fault_ns, s->failure_detection_ns, &per_fault_ns) ||
        __builtin_mul_overflow((int64_t)sc->faults_count + 1, per_fault_ns, &faults_ns) ||
        __builtin_add_overflow(input_ns, faults_ns, &needed_ns))
        needed_ns = INT64_MAX;
    if (sc->sim.max_time_ns == 0)
        s->max_time_ns = needed_ns > 10 * NS_PER_S ? needed_ns : 10 * NS_PER_S;
    return 0;
}

int sb_simscenario_from_scenario(sb_simscenario_t *out, const sb_scenario_t *sc, char *notes,
                                 size_t notes_len, sb_err_t *err)
{
    assert(out != NULL && sc != NULL);
    if (sc->runs == SB_RUNS_REAL_ONLY)
        return sb_err_set(err, "%s is for snapbed run only: %s", sc->path, sc->runs_why);
    sb_simscenario_t *s = malloc(sizeof *s);
    parse_t *p = calloc(1, sizeof *p);
    int rc = -1;
    if (s == NULL || p == NULL) {
        sb_err_set(err, "%s: out of memory", sc->path);
        goto done;
    }
    if (notes != NULL && notes_len > 0)
        notes[0] = '\0';
    sb_simscenario_defaults(s);
    *p = (parse_t){ .path = sc->path, .err = err, .s = s, .sc = sc, .notes = notes,
                    .notes_len = notes_len, .graph_line = sc->sim.line > 0 ? sc->sim.line : 1 };
    settings_of(p);
    rc = 0;
    if (!sc->sim.classic) {
        if (sc->stages_count > 0)
            stages_of_specs(p);
        else
            stages_of_short_form(p);
        rc = workload_of(p);
    }
    note_ignored(p);
    for (int i = 0; i < sc->faults_count && rc == 0; i++)
        rc = fault_of(p, &sc->faults[i], i);
    if (rc == 0)
        rc = finish(p);
    if (rc == 0)
        *out = *s;
done:
    free(p);
    free(s);
    return rc;
}

static int from_parsed(sb_simscenario_t *out, sb_scenario_t *sc, int parsed, char *notes,
                       size_t notes_len, sb_err_t *err)
{
    int rc = parsed == 0 ? sb_simscenario_from_scenario(out, sc, notes, notes_len, err) : -1;
    free(sc);
    return rc;
}

int sb_simscenario_parse(sb_simscenario_t *out, const char *path, const char *text, sb_err_t *err)
{
    sb_scenario_t *sc = malloc(sizeof *sc);
    if (sc == NULL)
        return sb_err_set(err, "%s: out of memory", path);
    return from_parsed(out, sc, sb_scenario_parse(sc, path, text, err), NULL, 0, err);
}

int sb_simscenario_load_notes(sb_simscenario_t *out, const char *path, char *notes,
                              size_t notes_len, sb_err_t *err)
{
    sb_scenario_t *sc = malloc(sizeof *sc);
    if (sc == NULL)
        return sb_err_set(err, "%s: out of memory", path);
    return from_parsed(out, sc, sb_scenario_load(sc, path, err), notes, notes_len, err);
}

int sb_simscenario_load(sb_simscenario_t *out, const char *path, sb_err_t *err)
{
    return sb_simscenario_load_notes(out, path, NULL, 0, err);
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
    char t[32];
    put(o, "    - { name: %s, kind: %s, parallelism: %d", st->name, sb_stage_kind_name(st->kind),
        st->parallelism);
    if (st->kind != SB_STAGE_SOURCE) {
        put(o, ", input: %s, from: [", sb_connection_name(st->input));
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

static void put_crash_point(out_t *o, const sb_simscenario_fault_t *f)
{
    put(o, "do: crash, at: { point: %s, ", sb_crash_point_name(f->point));
    if (f->point_trigger == SB_POINT_AT_HIT)
        put(o, "hit: %" PRId64 " }", f->hit);
    else if (f->point_trigger == SB_POINT_WITH_PROBABILITY)
        put(o, "probability: %.17g }", f->probability);
    else if (f->checkpoint_id == SB_CHECKPOINT_FINAL)
        put(o, "checkpoint: final }");
    else
        put(o, "checkpoint: %" PRId64 " }", f->checkpoint_id);
}

static void put_fault(out_t *o, const sb_simscenario_fault_t *f)
{
    char a[32], b[32], c[32];
    const char *at = duration_text(f->at_ns, a, sizeof a);
    const char *for_text = duration_text(f->for_ns, b, sizeof b);
    put(o, "  - { ");
    switch (f->kind) {
    case SB_SIM_FAULT_CRASH_JOB: put(o, "do: crash, at: %s", at); break;
    case SB_SIM_FAULT_CRASH_TASK: put(o, "do: { crash: task, task: %s }, at: %s", f->task, at); break;
    case SB_SIM_FAULT_CRASH_PROCESS:
        put(o, "do: { crash: process, process: %d }, at: %s", f->process, at);
        break;
    case SB_SIM_FAULT_DELAY_SPIKE:
        put(o, "do: { delay: spike, extra: %s", duration_text(f->extra_ns, c, sizeof c));
        if (f->from[0] != '\0')
            put(o, ", from: \"%s\"", f->from);
        if (f->to[0] != '\0')
            put(o, ", to: \"%s\"", f->to);
        put(o, " }, at: %s, for: %s", at, for_text);
        break;
    case SB_SIM_FAULT_SLOW:
        put(o, "do: { slow: %s, process_time: %s }, at: %s, for: %s", f->task,
            duration_text(f->process_ns, c, sizeof c), at, for_text);
        break;
    case SB_SIM_FAULT_CRASH_POINT: put_crash_point(o, f); break;
    case SB_SIM_FAULT_CRASH_RANDOM: put(o, "do: crash, random: %d", f->count); break;
    case SB_SIM_FAULT_PAUSE: put(o, "do: pause, at: %s, for: %s", at, for_text); break;
    default: assert(!"unknown fault kind");
    }
    put(o, " }\n");
}

static void put_faults(out_t *o, const sb_simscenario_t *s)
{
    put(o, "faults:%s\n", s->faults_count == 0 ? " []" : "");
    for (int i = 0; i < s->faults_count; i++)
        put_fault(o, &s->faults[i]);
}

/* The keys both models share, under sim:. */
static void put_sim_common(out_t *o, const sb_simscenario_t *s)
{
    char d[32];
    put_channel(o, s);
    put(o, "  seed: %" PRIu64 "\n  max_time: %s\n  max_events: %" PRId64
        "\n  fifo: %s\n", s->seed,
        duration_text(s->max_time_ns, d, sizeof d), s->max_events, s->fifo ? "true" : "false");
}

static void put_classic(out_t *o, const sb_simscenario_t *s)
{
    const sb_simscenario_classic_t *cl = &s->classic;
    char d[3][32];
    put(o, "sim:\n  model: chandy-lamport\n  processes: %d\n  graph: [", cl->processes);
    for (int e = 0; e < cl->edges_count; e++)
        put(o, "%s[%d, %d]", e ? ", " : "", cl->edges[e][0], cl->edges[e][1]);
    put(o, "]\n  tokens: %" PRId64 "\n  transfer_interval: %s\n  transfer_max: %" PRId64
        "\n  snapshots: %d\n  snapshot_interval: %s\n  initiators: [", cl->tokens,
        duration_text(cl->transfer_interval_ns, d[0], 32), cl->transfer_max, cl->snapshots,
        duration_text(cl->snapshot_interval_ns, d[1], 32));
    for (int k = 0; k < cl->initiators_count; k++)
        put(o, "%s%d", k ? ", " : "", cl->initiators[k]);
    put(o, "]\n  duration: %s\n", duration_text(cl->duration_ns, d[2], 32));
    put_sim_common(o, s);
}

/* The Flink keys: mode, unaligned and its timeout give the protocol. */
static void put_checkpointing(out_t *o, const sb_simscenario_t *s)
{
    char d[4][32];
    put(o, "execution.checkpointing.mode: %s\n", s->protocol == SB_SIM_AT_LEAST_ONCE
                                                    ? "AT_LEAST_ONCE" : "EXACTLY_ONCE");
    if (s->protocol == SB_SIM_UNALIGNED || s->protocol == SB_SIM_TIMEOUT)
        put(o, "execution.checkpointing.unaligned: true\n");
    if (s->protocol == SB_SIM_TIMEOUT)
        put(o, "execution.checkpointing.aligned-checkpoint-timeout: %s\n",
            duration_text(s->aligned_timeout_ns, d[0], 32));
    put(o, "execution.checkpointing.interval: %s\nexecution.checkpointing.timeout: %s\n"
        "execution.checkpointing.max-concurrent-checkpoints: %d\n"
        "execution.checkpointing.min-pause: %s\n"
        "execution.checkpointing.tolerable-failed-checkpoints: %d\n",
        duration_text(s->checkpoint_interval_ns, d[1], 32),
        duration_text(s->checkpoint_timeout_ns, d[2], 32), s->max_concurrent,
        duration_text(s->min_pause_ns, d[3], 32), s->tolerable_failed);
    if (s->num_retained != 1)
        put(o, "state.checkpoints.num-retained: %d\n", s->num_retained);
}

/* The short form's stages, in order: source -> map -> filter [-> count] ->
 * sink (a count is simulated as a map named count). */
static const struct {
    const char *name;
    sb_stage_kind_t kind;
} short_form[] = {
    { "source", SB_STAGE_SOURCE }, { "map", SB_STAGE_MAP }, { "filter", SB_STAGE_FILTER },
    { "count", SB_STAGE_MAP }, { "sink", SB_STAGE_SINK },
};
#define KEEP_EVERY_MAX (INT64_C(1) << 40)    /* sim.keep_every's bound */

/* Which short-form stage (an index of short_form) the sim stage i is, or -1. */
static int short_form_slot(const sb_simscenario_t *s, int i)
{
    bool count = s->stages_count == (int)COUNT_OF(short_form);
    int slot = i < SB_STAGE_COUNT || count ? i : i + 1;
    return slot < (int)COUNT_OF(short_form) ? slot : -1;
}

/* See simscenario.h: source -> map -> filter [-> count] -> sink, each
 * stage reading the one before, within the short form's bounds, with no
 * fault the real engine lacks. */
bool sb_simscenario_short_form(const sb_simscenario_t *s)
{
    if (s->model != SB_SIM_MODEL_PIPELINE ||
        (s->stages_count != (int)COUNT_OF(short_form) &&
         s->stages_count != (int)COUNT_OF(short_form) - 1))
        return false;
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        int slot = short_form_slot(s, i);
        if (slot < 0 || strcmp(st->name, short_form[slot].name) != 0 ||
            st->kind != short_form[slot].kind || st->parallelism > SB_SCENARIO_PARALLELISM_MAX ||
            (i > 0 && (st->from_count != 1 || st->from[0] != i - 1)) ||
            (st->kind == SB_STAGE_FILTER && st->keep_every > KEEP_EVERY_MAX))
            return false;
    }
    for (int i = 0; i < s->faults_count; i++)
        switch (s->faults[i].kind) {
        case SB_SIM_FAULT_CRASH_JOB:
        case SB_SIM_FAULT_CRASH_POINT:
        case SB_SIM_FAULT_CRASH_RANDOM:
        case SB_SIM_FAULT_PAUSE: break;
        default: return false;               /* crash: task, slow, delay: spike */
        }
    return true;
}

/* pipeline: in the short form. Every stage's parallelism and input are
 * written; the filter is the real run's default (startswith:A), or all when
 * the simulated one keeps every record; the source rate, when it gives the
 * simulated pace exactly, so that a real run goes at it too. */
static void put_short_form(out_t *o, const sb_simscenario_t *s)
{
    int sources = s->stages[0].parallelism;
    put(o, "pipeline:\n");
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        put(o, "  %s: { parallelism: %d", st->name, st->parallelism);
        if (st->kind == SB_STAGE_SOURCE && s->source_interval_ns > 0 &&
            NS_PER_S * sources % s->source_interval_ns == 0)
            put(o, ", records_per_s: %" PRId64, NS_PER_S * sources / s->source_interval_ns);
        if (st->kind != SB_STAGE_SOURCE)
            put(o, ", input: %s", sb_connection_name(st->input));
        if (st->kind == SB_STAGE_FILTER)
            put(o, ", fn: \"%s\"", st->keep_every == 1 ? "all" : "startswith:A");
        put(o, " }\n");
    }
}

/* sim.keep_every and sim.process_time of the short form: only what its
 * defaults (4 with a prefix, 1 with all; no process time) do not give. */
static void put_short_form_sim(out_t *o, const sb_simscenario_t *s)
{
    char t[32];
    int timed = 0;
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        if (st->kind == SB_STAGE_FILTER && st->keep_every != 1 && st->keep_every != 4)
            put(o, "  keep_every: %" PRId64 "\n", st->keep_every);
    }
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        if (st->process_ns > 0)
            put(o, "%s%s: %s", timed++ ? ", " : "  process_time: { ", st->name,
                duration_text(st->process_ns, t, sizeof t));
    }
    if (timed > 0)
        put(o, " }\n");
}

/* Text inside a YAML double-quoted scalar that parses back to the same
 * text: what YAML does not allow in a stream written raw, or folds as a
 * line break, is escaped — C0 controls and DEL as \\xNN, the C1 controls
 * (NEL included), U+2028, U+2029, U+FEFF, U+FFFE and U+FFFF as \\uNNNN (found by fuzzing: a description "\\a" was written as
 * a raw BEL, which the parser refuses). A newline becomes a space. */
static void put_quoted_text(out_t *o, const char *text)
{
    const unsigned char *c = (const unsigned char *)text;
    while (*c != '\0') {
        if (*c == '\n') {
            put(o, " ");
            c++;
        } else if (*c == '"' || *c == '\\') {
            put(o, "\\%c", *c++);
        } else if (*c < 0x20 || *c == 0x7f) {
            put(o, "\\x%02x", *c++);
        } else if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
            put(o, "\\u%04x", c[1]);
            c += 2;
        } else if (c[0] == 0xe2 && c[1] == 0x80 && (c[2] == 0xa8 || c[2] == 0xa9)) {
            put(o, "\\u%s", c[2] == 0xa8 ? "2028" : "2029"); /* line breaks to YAML */
            c += 3;
        } else if (c[0] == 0xef && ((c[1] == 0xbb && c[2] == 0xbf) ||
                                    (c[1] == 0xbf && (c[2] == 0xbe || c[2] == 0xbf)))) {
            put(o, "\\u%s", c[1] == 0xbb ? "feff" : c[2] == 0xbe ? "fffe" : "ffff");
            c += 3;
        } else {
            put(o, "%c", *c++);
        }
    }
}

int sb_simscenario_format(const sb_simscenario_t *s, char *buf, size_t len)
{
    assert(s->mutant < SB_MUTANT_COUNT_);
    out_t o = { .buf = buf, .len = len };
    char d[5][32];
    bool short_form_ok = sb_simscenario_short_form(s);
    put(&o, "name: %s\n%s", s->name, short_form_ok ? "" : "mode: sim\n");
    if (s->description[0] != '\0') {
        put(&o, "description: \"");
        put_quoted_text(&o, s->description);
        put(&o, "\"\n");
    }
    put(&o, "trace: %s\nmutant: %s\nrestart-strategy.fixed-delay.delay: %s\n",
        s->trace_records ? "records" : "checkpoints", sb_mutant_name(s->mutant),
        duration_text(s->restart_delay_ns, d[0], 32));
    put_faults(&o, s);
    if (s->model == SB_SIM_MODEL_CLASSIC) {
        put_classic(&o, s);
        return o.overflow ? -1 : (int)o.used;
    }
    int sources = source_subtasks(s);
    put(&o, "input:\n  records: %" PRId64 "\n", s->records * sources);
    /* Kafka gives each source subtask a partition: enough of them. */
    if (short_form_ok && sources > 4)
        put(&o, "  partitions: %d\n", sources);
    put_checkpointing(&o, s);
    if (short_form_ok) {
        put_short_form(&o, s);
    } else {
        put(&o, "pipeline:\n  stages:\n");
        for (int i = 0; i < s->stages_count; i++)
            put_stage(&o, s, &s->stages[i]);
    }
    put(&o, "sim:\n  source_interval: %s\n  rpc_delay: %s\n  failure_detection: %s\n"
        "  coordinator_tick: %s\n  sample_interval: %s\n",
        duration_text(s->source_interval_ns, d[0], 32), duration_text(s->rpc_delay.min_ns, d[1], 32),
        duration_text(s->failure_detection_ns, d[2], 32),
        duration_text(s->coordinator_tick_ns, d[3], 32),
        duration_text(s->sample_interval_ns, d[4], 32));
    if (short_form_ok)
        put_short_form_sim(&o, s);
    put_sim_common(&o, s);
    return o.overflow ? -1 : (int)o.used;
}
