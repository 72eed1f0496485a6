/* sim.c — see sim.h. */
#include "sim.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classic.h"
#include "conserve.h"
#include "engine.h"

/* One of two models runs on the engine (simscenario.h's model). */
struct sb_sim {
    sb_simscenario_t s;
    uint64_t seed;
    sb_engine_t engine;
    sb_pipeline_t *pipeline;     /* model: pipeline */
    sb_classic_t *classic;       /* model: chandy-lamport */
    bool ran, verified;
};

static bool is_classic(const sb_sim_t *sim)
{
    return sim->s.model == SB_SIM_MODEL_CLASSIC;
}

int sb_sim_new(const sb_simscenario_t *s, uint64_t seed, sb_sim_t **out, sb_err_t *err)
{
    sb_sim_t *sim = calloc(1, sizeof *sim);
    if (sim == NULL)
        return sb_err_set(err, "out of memory for the simulation");
    sim->s = *s;
    sim->seed = seed;
    sb_engine_init(&sim->engine, seed, s->max_time_ns, s->max_events);
    if (is_classic(sim))
        sim->classic = sb_classic_new(&sim->s, &sim->engine);
    else
        sim->pipeline = sb_pipeline_new(&sim->s, &sim->engine);
    if (sim->pipeline == NULL && sim->classic == NULL) {
        sb_sim_free(sim);
        return sb_err_set(err, "out of memory for the simulated job");
    }
    *out = sim;
    return 0;
}

void sb_sim_free(sb_sim_t *sim)
{
    if (sim == NULL)
        return;
    sb_pipeline_free(sim->pipeline);
    sb_classic_free(sim->classic);
    sb_engine_free(&sim->engine);
    free(sim);
}

int sb_sim_run(sb_sim_t *sim)
{
    assert(!sim->ran);
    sim->ran = true;
    bool finished;
    if (is_classic(sim)) {
        sb_classic_start(sim->classic, sim->seed);
        sb_engine_run(&sim->engine, sb_classic_handle, sim->classic);
        sb_classic_stats_t st;
        sb_classic_stats(sim->classic, &st);
        finished = st.finished;
    } else {
        sb_pipeline_start(sim->pipeline, sim->seed);
        sb_engine_run(&sim->engine, sb_pipeline_handle, sim->pipeline);
        sb_pipeline_stats_t st;
        sb_pipeline_stats(sim->pipeline, &st);
        finished = st.finished;
    }
    if (!sim->engine.failed && !finished)
        sb_engine_fail(&sim->engine, "nothing left to happen at t=%.3f ms, but the job did not "
                       "finish (a deadlock)", sim->engine.now_ns / 1e6);
    return sim->engine.failed ? -1 : 0;
}

const char *sb_sim_error(const sb_sim_t *sim)
{
    return sim->engine.failed ? sim->engine.err.msg : "";
}

/* ------------------------------------------------------------ checks */

/* Lines the cut checker ignores; skipped unparsed (they are most of a
 * trace with the record trace on). Every line starts with its event. The
 * record lines come first: with FIFO channels the model cannot reorder
 * records, so only `snapbed check` runs the FIFO check on them; with
 * fifo: false the verdict needs it, and reads them (from `first`). */
static bool line_skipped(const char *line, size_t len, size_t first)
{
    static const char *const prefixes[] = { "{\"event\":\"send\"", "{\"event\":\"recv\"",
                                            "{\"event\":\"sample\"" };
    for (size_t i = first; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && memcmp(line, prefixes[i], n) == 0)
            return true;
    }
    return false;
}

static bool cut_ignores(const char *line, size_t len)
{
    return line_skipped(line, len, 0);
}

typedef struct cut_feed {
    sb_cut_checker_t *c;
    size_t first;                /* line_skipped's first prefix */
} cut_feed_t;

static int feed_cut(const char *line, size_t len, void *ctx)
{
    cut_feed_t *f = ctx;
    if (line_skipped(line, len, f->first))
        return 0;
    json_t *ev = json_loadb(line, len, 0, NULL);
    if (ev == NULL)
        return -1; /* the buffer is ours: a bad line is a bug */
    sb_cut_event(f->c, ev);
    json_decref(ev);
    return 0;
}

static void check_cuts(sb_sim_t *sim, sb_sim_verdict_t *v)
{
    sb_cut_checker_t *c = sb_cut_new();
    sb_err_t err = { { 0 } };
    if (c == NULL) {
        snprintf(v->cuts_error, sizeof v->cuts_error, "out of memory for the cut checker");
        return;
    }
    cut_feed_t feed = { .c = c, .first = sim->s.fifo ? 0 : 2 };
    if (sb_tracebuf_each_line(&sim->engine.trace, feed_cut, &feed) != 0)
        snprintf(v->cuts_error, sizeof v->cuts_error, "the simulator wrote a malformed trace line");
    else if (sb_cut_finish(c, &v->cuts, &err) != 0)
        snprintf(v->cuts_error, sizeof v->cuts_error, "%s", err.msg);
    else
        v->cuts_checked = true;
    sb_cut_free(c);
    v->cuts_ok = v->cuts_checked && sb_cut_report_ok(&v->cuts);
}

static int feed_conserve(const char *line, size_t len, void *ctx)
{
    if (cut_ignores(line, len))
        return 0;
    json_t *ev = json_loadb(line, len, 0, NULL);
    if (ev == NULL)
        return -1;
    sb_conserve_event(ctx, ev);
    json_decref(ev);
    return 0;
}

static void check_conservation(sb_sim_t *sim, sb_sim_verdict_t *v)
{
    sb_conserve_t *c = sb_conserve_new();
    sb_err_t err = { { 0 } };
    if (c == NULL)
        snprintf(v->conserve_error, sizeof v->conserve_error, "out of memory");
    else if (sb_tracebuf_each_line(&sim->engine.trace, feed_conserve, c) != 0)
        snprintf(v->conserve_error, sizeof v->conserve_error, "a malformed trace line");
    else if (sb_conserve_finish(c, &v->conserve, &err) != 0)
        snprintf(v->conserve_error, sizeof v->conserve_error, "%s", err.msg);
    else
        v->conserve_checked = true;
    sb_conserve_free(c);
    v->conserve_ok = v->conserve_checked && sb_conserve_report_ok(&v->conserve);
}

int sb_sim_verify(sb_sim_t *sim, sb_sim_verdict_t *v, sb_err_t *err)
{
    assert(sim->ran && !sim->verified);
    sim->verified = true;
    memset(v, 0, sizeof *v);
    v->model = sim->s.model;
    v->finished = !sim->engine.failed;
    v->liveness_failed = sim->engine.limit_hit;
    if (sim->engine.failed)
        snprintf(v->run_error, sizeof v->run_error, "%s", sim->engine.err.msg);
    if (is_classic(sim)) {
        check_conservation(sim, v);
        v->ok = v->finished && v->conserve_ok;
    } else {
        if (sb_pipeline_check_output(sim->pipeline, &v->eo, err) != 0)
            return -1;
        v->eo_ok = sb_eo_report_ok(&v->eo);
        check_cuts(sim, v);
        v->ok = v->finished && v->eo_ok && v->cuts_ok;
    }
    sb_tracebuf_t *tb = &sim->engine.trace;
    sb_tracebuf_begin(tb, "run_finished", sim->engine.now_ns, SB_PIPELINE_SUPERVISOR_PID);
    sb_tracebuf_printf(tb, ",\"verified_ok\":%s,\"expectation_met\":%s", v->ok ? "true" : "false",
                       v->ok ? "true" : "false");
    sb_tracebuf_end(tb);
    return 0;
}

/* ------------------------------------------------------------ accessors */

const sb_tracebuf_t *sb_sim_trace(const sb_sim_t *sim)
{
    return &sim->engine.trace;
}

int64_t sb_sim_events(const sb_sim_t *sim)
{
    return sim->engine.events;
}

int64_t sb_sim_virtual_ns(const sb_sim_t *sim)
{
    return sim->engine.now_ns;
}

uint64_t sb_sim_seed(const sb_sim_t *sim)
{
    return sim->seed;
}

const sb_simscenario_t *sb_sim_scenario(const sb_sim_t *sim)
{
    return &sim->s;
}

void sb_sim_stats(const sb_sim_t *sim, sb_pipeline_stats_t *out)
{
    if (sim->pipeline != NULL)
        sb_pipeline_stats(sim->pipeline, out);
    else
        memset(out, 0, sizeof *out);
}

void sb_sim_classic_stats(const sb_sim_t *sim, sb_classic_stats_t *out)
{
    if (sim->classic != NULL)
        sb_classic_stats(sim->classic, out);
    else
        memset(out, 0, sizeof *out);
}

void sb_sim_verdict_eo_line(const sb_sim_t *sim, const sb_sim_verdict_t *v, char *buf, size_t len)
{
    sb_pipeline_stats_t st;
    sb_pipeline_stats(sim->pipeline, &st);
    int n = snprintf(buf, len, "%s — %" PRId64 " in, %" PRId64 " expected out, %" PRId64
                     " committed, %" PRId64 " lost, %" PRId64 " duplicated (%d crash%s, %" PRId64
                     " checkpoint%s completed)", v->eo_ok ? "OK" : "VIOLATED", st.records_in,
                     v->eo.expected, v->eo.observed, v->eo.lost, v->eo.duplicated, st.crashes,
                     st.crashes == 1 ? "" : "es", st.checkpoints_completed,
                     st.checkpoints_completed == 1 ? "" : "s");
    if (!v->eo_ok && n > 0 && (size_t)n < len) {
        char detail[512];
        sb_eo_report_describe(&v->eo, detail, sizeof detail);
        snprintf(buf + n, len - (size_t)n, ": %s", detail);
    }
}

void sb_sim_verdict_why(const sb_sim_verdict_t *v, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!v->finished)
        snprintf(buf, len, "did not finish: %s", v->run_error);
    else if (v->model == SB_SIM_MODEL_CLASSIC) {
        char summary[SB_CONSERVE_DETAIL_BYTES_MAX + 128];
        if (!v->conserve_checked)
            snprintf(buf, len, "snapshots: cannot check: %s", v->conserve_error);
        else if (!v->conserve_ok) {
            sb_conserve_report_summary(&v->conserve, summary, sizeof summary);
            snprintf(buf, len, "snapshots: %s", summary);
        }
    } else if (!v->eo_ok)
        snprintf(buf, len, "exactly-once: %" PRId64 " lost, %" PRId64 " duplicated, %" PRId64
                 " unexpected", v->eo.lost, v->eo.duplicated, v->eo.unexpected);
    else if (!v->cuts_checked)
        snprintf(buf, len, "cuts: cannot check: %s", v->cuts_error);
    else if (!v->cuts_ok) {
        char summary[SB_CUT_DETAIL_BYTES_MAX + 128];
        sb_cut_report_summary(&v->cuts, summary, sizeof summary);
        snprintf(buf, len, "cuts: %s", summary);
    }
}

/* ------------------------------------------------------------ files */

static int write_all(const char *path, const char *data, size_t len, sb_err_t *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sb_err_errno(err, errno, "cannot create %s", path);
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return sb_err_errno(err, e, "cannot write %s", path);
        }
        done += (size_t)w;
    }
    if (close(fd) != 0)
        return sb_err_errno(err, errno, "cannot write %s", path);
    return 0;
}

static json_t *eo_json(const sb_sim_verdict_t *v)
{
    char detail[512] = "";
    if (!v->eo_ok)
        sb_eo_report_describe(&v->eo, detail, sizeof detail);
    return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "ok", v->eo_ok, "expected",
                     (json_int_t)v->eo.expected, "committed", (json_int_t)v->eo.observed,
                     "distinct", (json_int_t)v->eo.distinct, "lost", (json_int_t)v->eo.lost,
                     "duplicated", (json_int_t)v->eo.duplicated, "unexpected",
                     (json_int_t)v->eo.unexpected, "detail", detail);
}

static json_t *cuts_json(const sb_sim_verdict_t *v)
{
    if (!v->cuts_checked)
        return json_pack("{s:b,s:s}", "ok", false, "error", v->cuts_error);
    json_t *checks = json_object();
    for (int k = 0; k < SB_CUT_CHECKS_COUNT_; k++)
        json_object_set_new(checks, sb_cut_check_name(k),
                            json_pack("{s:I,s:I,s:s}", "checked",
                                      (json_int_t)v->cuts.checks[k].checked, "violations",
                                      (json_int_t)v->cuts.checks[k].violations, "first",
                                      v->cuts.checks[k].first));
    char summary[SB_CUT_DETAIL_BYTES_MAX + 128];
    sb_cut_report_summary(&v->cuts, summary, sizeof summary);
    return json_pack("{s:b,s:I,s:I,s:I,s:s,s:o}", "ok", v->cuts_ok, "checkpoints_checked",
                     (json_int_t)v->cuts.checkpoints_checked, "channels_checked",
                     (json_int_t)v->cuts.channels_checked, "violations",
                     (json_int_t)v->cuts.violations, "summary", summary, "checks", checks);
}

static json_t *conserve_json(const sb_sim_verdict_t *v)
{
    if (!v->conserve_checked)
        return json_pack("{s:b,s:s}", "ok", false, "error", v->conserve_error);
    json_t *checks = json_object();
    for (int k = 0; k < SB_CONSERVE_CHECKS_COUNT_; k++)
        json_object_set_new(checks, sb_conserve_check_name(k),
                            json_pack("{s:I,s:I,s:s}", "checked",
                                      (json_int_t)v->conserve.checked[k], "violations",
                                      (json_int_t)v->conserve.violations[k], "first",
                                      v->conserve.first[k]));
    char summary[SB_CONSERVE_DETAIL_BYTES_MAX + 128];
    sb_conserve_report_summary(&v->conserve, summary, sizeof summary);
    return json_pack("{s:b,s:I,s:I,s:s,s:o}", "ok", v->conserve_ok, "snapshots_checked",
                     (json_int_t)v->conserve.snapshots_checked, "tokens",
                     (json_int_t)v->conserve.total, "summary", summary, "checks", checks);
}

static json_t *classic_summary_json(const sb_sim_t *sim, const sb_sim_verdict_t *v, double wall_s)
{
    sb_classic_stats_t st;
    sb_classic_stats(sim->classic, &st);
    const sb_simscenario_t *s = &sim->s;
    double eps = wall_s > 0 ? (double)sim->engine.events / wall_s : 0;
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:b,s:I,s:b,s:s,s:I,s:I,s:f,s:f,s:b,s:b,s:s}", "scenario", s->name,
        "scenario_path", s->path, "model", "chandy-lamport", "simulated", true, "seed",
        (json_int_t)sim->seed, "fifo", s->classic.fifo, "mutant", sb_mutant_name(s->mutant),
        "events", (json_int_t)sim->engine.events, "virtual_ns", (json_int_t)sim->engine.now_ns,
        "wall_s", wall_s, "events_per_s", eps, "finished", v->finished, "liveness_failed",
        v->liveness_failed, "run_error", v->run_error);
    json_object_set_new(o, "snapshots", conserve_json(v));
    json_object_set_new(o, "run", json_pack("{s:I,s:I,s:i,s:i,s:i,s:i,s:I}", "transfers",
                                            (json_int_t)st.transfers, "markers",
                                            (json_int_t)st.markers, "snapshots_completed",
                                            st.snapshots_completed, "snapshots_abandoned",
                                            st.snapshots_abandoned, "crashes", st.crashes,
                                            "rollbacks", st.rollbacks, "tokens",
                                            (json_int_t)st.total));
    json_object_set_new(o, "verified_ok", json_boolean(v->ok));
    return o;
}

static json_t *summary_json(const sb_sim_t *sim, const sb_sim_verdict_t *v, double wall_s)
{
    if (is_classic(sim))
        return classic_summary_json(sim, v, wall_s);
    sb_pipeline_stats_t st;
    sb_pipeline_stats(sim->pipeline, &st);
    const sb_simscenario_t *s = &sim->s;
    double eps = wall_s > 0 ? (double)sim->engine.events / wall_s : 0;
    json_t *o = json_pack(
        "{s:s,s:s,s:b,s:I,s:s,s:b,s:s,s:I,s:I,s:f,s:f,s:b,s:b,s:s}", "scenario", s->name,
        "scenario_path", s->path, "simulated", true, "seed", (json_int_t)sim->seed, "protocol",
        sb_simscenario_protocol_name(s->protocol), "fifo", s->fifo, "mutant", sb_mutant_name(s->mutant), "events",
        (json_int_t)sim->engine.events, "virtual_ns", (json_int_t)sim->engine.now_ns, "wall_s",
        wall_s, "events_per_s", eps, "finished", v->finished, "liveness_failed",
        v->liveness_failed, "run_error", v->run_error);
    json_object_set_new(o, "exactly_once", eo_json(v));
    json_object_set_new(o, "cuts", cuts_json(v));
    json_object_set_new(
        o, "job",
        json_pack("{s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "incarnations",
                  st.incarnations, "crashes", st.crashes, "failures", st.failures,
                  "faults_unfired", st.faults_unfired, "checkpoints_triggered",
                  (json_int_t)st.checkpoints_triggered, "checkpoints_completed",
                  (json_int_t)st.checkpoints_completed, "checkpoints_aborted",
                  (json_int_t)st.checkpoints_aborted, "restores", (json_int_t)st.restores,
                  "channel_state_records", (json_int_t)st.channel_state_records,
                  "replayed_records", (json_int_t)st.replayed_records, "records_in",
                  (json_int_t)st.records_in, "records_emitted", (json_int_t)st.records_emitted));
    json_object_set_new(o, "verified_ok", json_boolean(v->ok));
    return o;
}

int sb_sim_write(const sb_sim_t *sim, const sb_sim_verdict_t *v, const char *dir, double wall_s,
                 sb_err_t *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/trace.jsonl", dir);
    const sb_tracebuf_t *tb = &sim->engine.trace;
    if (write_all(path, tb->data != NULL ? tb->data : "", tb->len, err) != 0)
        return -1;
    json_t *summary = summary_json(sim, v, wall_s);
    char *text = json_dumps(summary, JSON_INDENT(2));
    json_decref(summary);
    if (text == NULL)
        return sb_err_set(err, "out of memory writing the summary");
    snprintf(path, sizeof path, "%s/summary.json", dir);
    int rc = write_all(path, text, strlen(text), err);
    free(text);
    return rc;
}
