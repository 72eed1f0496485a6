/* shrink.c — see shrink.h. */
#include "shrink.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define STEP_BYTES_MAX 160

typedef enum failure_class {
    FAIL_NONE = 0, FAIL_LIVENESS, FAIL_EXACTLY_ONCE, FAIL_CUTS,
    FAIL_SNAPSHOTS,                      /* classic: a conservation check (kind) */
} class_t;

typedef struct outcome {
    class_t cls;
    int kind;                            /* FAIL_SNAPSHOTS: the first check violated */
    int64_t events;
    char why[SB_SHRINK_WHY_BYTES_MAX];
} outcome_t;

typedef struct shrink {
    uint64_t seed;
    int runs;
    sb_simscenario_t *cand;              /* the variant being tried */
    bool short_form;                     /* the scenario's file runs under snapbed
                                            run too: so must every variant's */
    char *text;                          /* its formatted file */
    sb_err_t *err;
} shrink_t;

/* Runs the seed on s (record trace off: no decision depends on it). */
static int run_once(shrink_t *k, const sb_simscenario_t *s, outcome_t *o)
{
    sb_simscenario_t *copy = malloc(sizeof *copy);
    sb_sim_verdict_t *v = malloc(sizeof *v);
    sb_sim_t *sim = NULL;
    int rc = -1;
    memset(o, 0, sizeof *o);
    if (copy == NULL || v == NULL) {
        sb_err_set(k->err, "out of memory");
        goto done;
    }
    *copy = *s;
    copy->trace_records = s->trace_records && !s->fifo; /* as explore.c does */
    if (sb_sim_new(copy, k->seed, &sim, k->err) != 0)
        goto done;
    k->runs++;
    sb_sim_run(sim);
    if (sb_sim_verify(sim, v, k->err) != 0)
        goto done;
    o->events = sb_sim_events(sim);
    if (v->model == SB_SIM_MODEL_CLASSIC) {
        o->cls = !v->finished ? FAIL_LIVENESS : !v->conserve_ok ? FAIL_SNAPSHOTS : FAIL_NONE;
        o->kind = v->conserve_checked ? v->conserve.first_kind : -1;
    } else {
        o->cls = !v->finished ? FAIL_LIVENESS : !v->eo_ok ? FAIL_EXACTLY_ONCE
                 : !v->cuts_ok ? FAIL_CUTS : FAIL_NONE;
    }
    sb_sim_verdict_why(v, o->why, sizeof o->why);
    rc = 0;
done:
    sb_sim_free(sim);
    free(v);
    free(copy);
    return rc;
}

/* A variant is valid when it formats and parses back: the parser's rules
 * (topology, bounds, delays) are the rules; and, from a file both commands
 * run (the short form), when both commands run it too. The parsed one replaces it,
 * so the kept scenario is exactly what its file says. */
static bool valid(shrink_t *k, sb_simscenario_t *cand)
{
    if (sb_simscenario_format(cand, k->text, SB_SIMSCENARIO_TEXT_MAX) < 0)
        return false;
    sb_err_t ignored;
    char path[sizeof cand->path];
    snprintf(path, sizeof path, "%s", cand->path);
    if (sb_simscenario_parse(cand, path, k->text, &ignored) != 0)
        return false;
    /* A linear job stays linear (a count may go, not the map or the
     * filter), so that its shrunk file runs under snapbed run too. */
    return !k->short_form || sb_simscenario_short_form(cand);
}

/* --------------------------------------------------------- the variants */

/* Whether stage c reads stage up. */
static bool reads(const sb_simscenario_stage_t *c, int up)
{
    for (int k = 0; k < c->from_count; k++)
        if (c->from[k] == up)
            return true;
    return false;
}

/* Removes stage i (neither a source nor a sink): each of its consumers
 * reads its upstream stages instead, each once (in a fan-out graph a
 * consumer may already read one of them). The graph stays valid: the
 * upstream stages still feed a later stage, the consumers still read one. */
static bool drop_stage(sb_simscenario_t *s, int i)
{
    const sb_simscenario_stage_t *st = &s->stages[i];
    if (st->kind == SB_STAGE_SOURCE || st->kind == SB_STAGE_SINK)
        return false;
    for (int j = i + 1; j < s->stages_count; j++) {
        sb_simscenario_stage_t *c = &s->stages[j];
        if (!reads(c, i))
            continue;
        int k = 0;
        while (c->from[k] != i)
            k++;
        c->from[k] = c->from[--c->from_count];
        for (int u = 0; u < st->from_count; u++) {
            if (reads(c, st->from[u]))
                continue;
            if (c->from_count == SB_SIMSCENARIO_FROM_MAX)
                return false;
            c->from[c->from_count++] = st->from[u];
        }
    }
    memmove(&s->stages[i], &s->stages[i + 1],
            (size_t)(s->stages_count - i - 1) * sizeof s->stages[0]);
    s->stages_count--;
    for (int j = 0; j < s->stages_count; j++)
        for (int k = 0; k < s->stages[j].from_count; k++)
            if (s->stages[j].from[k] > i)
                s->stages[j].from[k]--;
    return true;
}

static int64_t half(int64_t x)
{
    return x / 2;
}

typedef enum variant_result { VARIANT_END = 0, VARIANT_SKIP, VARIANT_TRY } variant_t;

static variant_t remove_fault(const sb_simscenario_t *s, int i, sb_simscenario_t *c, char *step)
{
    memmove(&c->faults[i], &c->faults[i + 1],
            (size_t)(c->faults_count - i - 1) * sizeof c->faults[0]);
    c->faults_count--;
    snprintf(step, STEP_BYTES_MAX, "fault %d (%s at %.3f ms) removed", i,
             sb_simscenario_fault_kind_name(s->faults[i].kind), s->faults[i].at_ns / 1e6);
    return VARIANT_TRY;
}

/* One duration of fault i (at, for or extra: its offset in the fault)
 * halved, when it is long enough to matter; `what` names the change. */
static variant_t halve_fault(const sb_simscenario_t *s, int i, sb_simscenario_t *c, char *step,
                             size_t offset, const char *what)
{
    int64_t before, after;
    memcpy(&before, (const char *)&s->faults[i] + offset, sizeof before);
    if (before < 2000)
        return VARIANT_SKIP; /* not this kind's (0), or short already */
    after = half(before);
    memcpy((char *)&c->faults[i] + offset, &after, sizeof after);
    snprintf(step, STEP_BYTES_MAX, "fault %d %s: %.3f -> %.3f ms", i, what, before / 1e6,
             after / 1e6);
    return VARIANT_TRY;
}

static variant_t fewer_subtasks(const sb_simscenario_t *s, int i, sb_simscenario_t *c, char *step)
{
    if (s->stages[i].parallelism == 1)
        return VARIANT_SKIP;
    c->stages[i].parallelism--;
    snprintf(step, STEP_BYTES_MAX, "%s parallelism %d -> %d", s->stages[i].name,
             s->stages[i].parallelism, c->stages[i].parallelism);
    return VARIANT_TRY;
}

/* Variants that are one change of the whole scenario, numbered 0, 1, … */
static variant_t global_variant(const sb_simscenario_t *s, int n, sb_simscenario_t *c,
                                char *step)
{
    switch (n) {
    case 0:
        if (s->records == 1)
            return VARIANT_SKIP;
        c->records = half(s->records);
        snprintf(step, STEP_BYTES_MAX, "records %" PRId64 " -> %" PRId64, s->records, c->records);
        return VARIANT_TRY;
    case 1:
        if (s->channel_delay.max_ns == s->channel_delay.min_ns)
            return VARIANT_SKIP;
        c->channel_delay.max_ns = s->channel_delay.min_ns +
                                  half(s->channel_delay.max_ns - s->channel_delay.min_ns);
        if (s->channel_delay.mean_ns > 1)
            c->channel_delay.mean_ns = half(s->channel_delay.mean_ns);
        snprintf(step, STEP_BYTES_MAX, "channel delays halved");
        return VARIANT_TRY;
    case 2:
        if (s->channel_capacity == 1)
            return VARIANT_SKIP;
        c->channel_capacity = s->channel_capacity / 2;
        snprintf(step, STEP_BYTES_MAX, "channel capacity %d -> %d", s->channel_capacity,
                 c->channel_capacity);
        return VARIANT_TRY;
    case 3:
        if (s->max_concurrent == 1)
            return VARIANT_SKIP;
        c->max_concurrent = 1;
        snprintf(step, STEP_BYTES_MAX, "max_concurrent %d -> 1", s->max_concurrent);
        return VARIANT_TRY;
    }
    return VARIANT_END;
}

/* ------------------------------------------- classic Chandy–Lamport */

/* The preset the graph is, or NULL for a hand-written list. */
static const char *graph_kind(const sb_simscenario_classic_t *cl)
{
    static const char *const presets[] = { "ring", "bidirectional-ring", "complete" };
    sb_simscenario_classic_t *tmp = malloc(sizeof *tmp);
    const char *kind = NULL;
    for (size_t i = 0; tmp != NULL && kind == NULL && i < sizeof presets / sizeof presets[0];
         i++) {
        tmp->processes = cl->processes;
        sb_simscenario_graph_preset(tmp, presets[i]);
        if (tmp->edges_count == cl->edges_count &&
            memcmp(tmp->edges, cl->edges, (size_t)cl->edges_count * sizeof cl->edges[0]) == 0)
            kind = presets[i];
    }
    free(tmp);
    return kind;
}

/* One process fewer: a preset graph is made again over the others (a ring
 * stays a ring); a hand-written one loses the last process's channels
 * (the parser then refuses it if some process became unreachable). */
static variant_t fewer_processes(const sb_simscenario_t *s, sb_simscenario_t *c, char *step)
{
    sb_simscenario_classic_t *cl = &c->classic;
    if (cl->processes <= 2)
        return VARIANT_SKIP;
    const char *kind = graph_kind(&s->classic);
    cl->processes--;
    if (kind != NULL) {
        sb_simscenario_graph_preset(cl, kind);
    } else {
        int kept = 0;
        for (int e = 0; e < cl->edges_count; e++)
            if (cl->edges[e][0] < cl->processes && cl->edges[e][1] < cl->processes) {
                cl->edges[kept][0] = cl->edges[e][0];
                cl->edges[kept++][1] = cl->edges[e][1];
            }
        cl->edges_count = kept;
    }
    int kept = 0;
    for (int i = 0; i < cl->initiators_count; i++)
        if (cl->initiators[i] < cl->processes)
            cl->initiators[kept++] = cl->initiators[i];
    cl->initiators_count = kept > 0 ? kept : 1; /* initiators[0] is 0 when none was kept */
    if (kept == 0)
        cl->initiators[0] = 0;
    snprintf(step, STEP_BYTES_MAX, "processes %d -> %d (%s)", s->classic.processes,
             cl->processes, kind != NULL ? kind : "their channels removed");
    return VARIANT_TRY;
}

static variant_t classic_variant(const sb_simscenario_t *s, int n, sb_simscenario_t *c,
                                 char *step)
{
    const sb_simscenario_classic_t *from = &s->classic;
    sb_simscenario_classic_t *cl = &c->classic;
    switch (n) {
    case 0:
        return fewer_processes(s, c, step);
    case 1:
        if (from->snapshots == 1)
            return VARIANT_SKIP;
        cl->snapshots--;
        snprintf(step, STEP_BYTES_MAX, "snapshots %d -> %d", from->snapshots, cl->snapshots);
        return VARIANT_TRY;
    case 2:
        if (from->initiators_count == 1)
            return VARIANT_SKIP;
        cl->initiators_count--;
        snprintf(step, STEP_BYTES_MAX, "initiator %d removed",
                 from->initiators[from->initiators_count - 1]);
        return VARIANT_TRY;
    case 3:
        if (from->duration_ns < 2000)
            return VARIANT_SKIP;
        cl->duration_ns = half(from->duration_ns);
        snprintf(step, STEP_BYTES_MAX, "duration %.3f -> %.3f ms", from->duration_ns / 1e6,
                 cl->duration_ns / 1e6);
        return VARIANT_TRY;
    case 4:
        if (from->transfer_interval_ns * 2 > from->duration_ns)
            return VARIANT_SKIP; /* hardly a transfer left */
        cl->transfer_interval_ns = from->transfer_interval_ns * 2;
        snprintf(step, STEP_BYTES_MAX, "transfer_interval %.3f -> %.3f ms (fewer transfers)",
                 from->transfer_interval_ns / 1e6, cl->transfer_interval_ns / 1e6);
        return VARIANT_TRY;
    case 5:
        return global_variant(s, 1, c, step); /* channel delays halved */
    }
    return VARIANT_END;
}

/* The n-th variant of s, in the order tried: the biggest cuts first
 * (faults, records, stages), then subtasks, delays, capacity, timing;
 * classic: processes, snapshots, initiators, duration, transfers, delays. */
static variant_t variant(const sb_simscenario_t *s, int n, sb_simscenario_t *c, char *step)
{
    *c = *s;
    if (s->model == SB_SIM_MODEL_CLASSIC)
        return classic_variant(s, n, c, step);
    if (n < s->faults_count)
        return remove_fault(s, n, c, step);
    n -= s->faults_count;
    if (n == 0)
        return global_variant(s, 0, c, step);
    n -= 1;
    if (n < s->stages_count) {
        if (!drop_stage(c, n))
            return VARIANT_SKIP;
        snprintf(step, STEP_BYTES_MAX, "stage %s removed", s->stages[n].name);
        return VARIANT_TRY;
    }
    n -= s->stages_count;
    if (n < s->stages_count)
        return fewer_subtasks(s, n, c, step);
    n -= s->stages_count;
    if (n < s->faults_count)
        return halve_fault(s, n, c, step, offsetof(sb_simscenario_fault_t, at_ns), "earlier");
    n -= s->faults_count;
    if (n < s->faults_count) /* a spike's or slow's window */
        return halve_fault(s, n, c, step, offsetof(sb_simscenario_fault_t, for_ns), "shorter");
    n -= s->faults_count;
    if (n < s->faults_count) /* a spike's extra delay */
        return halve_fault(s, n, c, step, offsetof(sb_simscenario_fault_t, extra_ns), "milder");
    n -= s->faults_count;
    return global_variant(s, 1 + n, c, step);
}

/* One round over every variant; returns whether one was kept. */
static int round_over(shrink_t *k, sb_simscenario_t *best, outcome_t *best_out,
                      sb_shrink_report_t *rep, sb_shrink_progress_fn progress, void *ctx)
{
    char step[STEP_BYTES_MAX];
    variant_t v;
    for (int n = 0; k->runs < SB_SHRINK_RUNS_MAX &&
                    (v = variant(best, n, k->cand, step)) != VARIANT_END; n++) {
        if (v == VARIANT_SKIP || !valid(k, k->cand))
            continue; /* not applicable, or a scenario the parser refuses */
        outcome_t o;
        if (run_once(k, k->cand, &o) != 0)
            return -1;
        if (o.cls != best_out->cls || o.kind != best_out->kind ||
            o.events >= best_out->events)
            continue;
        *best = *k->cand;
        *best_out = o;
        rep->steps++;
        if (progress != NULL)
            progress(ctx, step, o.events);
        return 1;
    }
    return 0;
}

int sb_shrink_run(const sb_simscenario_t *s, uint64_t seed, sb_simscenario_t *out,
                  sb_shrink_report_t *rep, sb_shrink_progress_fn progress, void *ctx,
                  sb_err_t *err)
{
    memset(rep, 0, sizeof *rep);
    shrink_t k = { .seed = seed, .err = err };
    k.cand = malloc(sizeof *k.cand);
    k.text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    sb_simscenario_t *best = malloc(sizeof *best);
    int rc = -1;
    outcome_t best_out;
    if (k.cand == NULL || k.text == NULL || best == NULL) {
        sb_err_set(err, "out of memory");
        goto done;
    }
    *best = *s;
    k.short_form = s->runs_both && sb_simscenario_short_form(s);
    if (run_once(&k, best, &best_out) != 0)
        goto done;
    rep->events_before = rep->events_after = best_out.events;
    snprintf(rep->why, sizeof rep->why, "%s", best_out.why);
    *out = *s;
    if (best_out.cls == FAIL_NONE) {
        rc = 0;
        goto done;
    }
    int r;
    while ((r = round_over(&k, best, &best_out, rep, progress, ctx)) == 1)
        ;
    if (r < 0)
        goto done;
    *out = *best;
    rep->events_after = best_out.events;
    snprintf(rep->why, sizeof rep->why, "%s", best_out.why);
    rc = 1;
done:
    rep->runs = k.runs;
    free(best);
    free(k.text);
    free(k.cand);
    return rc;
}
