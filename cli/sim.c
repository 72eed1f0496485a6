/* sim.c — `snapbed sim SCENARIO`: one simulated run (sim/sim.h) in virtual
 * time, its verdicts, and its trace.jsonl in a run folder that `snapbed
 * check` and `snapbed viz` read like a real run's. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cli_fs.h"
#include "commands.h"
#include "fsutil.h"
#include "explore.h"
#include "narrate.h"
#include "runfolder.h"
#include "scenario_redact.h"
#include "shrink.h"
#include "sim.h"

#define PATH_BYTES_MAX 4096

static void usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed sim SCENARIO [--seed S] [-o DIR] [--quiet]\n"
            "       snapbed sim SCENARIO --check\n"
            "       snapbed sim SCENARIO --explore N [--seed S] [--jobs J] [--shrink [-o DIR]]\n"
            "       snapbed sim SCENARIO --seed S --shrink [-o DIR]\n"
            "\n"
            "Runs a sim scenario (see scenarios/sim/ and docs/sim.md) in the deterministic\n"
            "simulator: virtual time, one seeded generator, the runtime's own barrier handler\n"
            "and checkpoint coordinator. Prints the verdict (exactly-once over what the sinks\n"
            "committed, the consistent-cut checks of `snapbed check`), the events simulated\n"
            "and how fast, and writes trace.jsonl and summary.json to the run folder:\n"
            "`snapbed check DIR` and `snapbed viz DIR` work on it. The same scenario and\n"
            "seed give the same trace, byte for byte.\n"
            "\n"
            "With --explore N it runs N seeds (S, S+1, ...; default from 1) in parallel over\n"
            "the cores, writes nothing, and prints every seed whose run was violated, with\n"
            "the command that replays it.\n"
            "\n"
            "With --shrink it makes a failing seed's run smaller — fewer faults, records,\n"
            "stages, subtasks, shorter delays — as long as the same seed still fails the\n"
            "same way in fewer events, writes DIR/shrunk.yaml, runs it into DIR and prints\n"
            "the command that replays it. After --explore it shrinks the first failing seed.\n"
            "\n"
            "options:\n"
            "  --seed S       the seed (default: the scenario's sim.seed)\n"
            "  -o, --out DIR  run folder (default out/sim-<name>-<timestamp>); must be empty\n"
            "  -q, --quiet    one line: the verdict\n"
            "  --explore N    run N seeds; exit 1 if any is violated\n"
            "  --jobs J       threads for --explore (default: the cores online)\n"
            "  --shrink       shrink the failing seed (see above)\n"
            "  --check        parse and check the scenario only, run nothing: exit 0 for a\n"
            "                 good file (one for snapbed run only included, said so), with\n"
            "                 the notes on what the simulator maps or ignores; 2 otherwise\n"
            "  --step[=WHEN]  teaching mode: tell the run event by event, one line each;\n"
            "                 on a terminal, pause after each event (default), after each\n"
            "                 checkpoint (--step=checkpoint) or never (--step=none)\n"
            "  -h, --help     this text\n"
            "\n"
            "exit status: 0 every check holds, 1 a check is violated (or the job did not\n"
            "finish), 2 bad usage or scenario.\n");
}

enum { STEP_OFF = 0, STEP_EVENT, STEP_CHECKPOINT, STEP_NONE };

typedef struct sim_args {
    const char *scenario;
    const char *out;
    bool seed_set;
    uint64_t seed;
    bool quiet;
    bool shrink;
    bool check;                   /* --check: parse only */
    int step;                     /* STEP_OFF, or where --step pauses */
    int64_t explore;              /* seeds; 0: one run */
    int jobs;
} sim_args_t;

static int parse_count(const char *opt, const char *text, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 1 || v > max) {
        fprintf(stderr, "snapbed sim: %s needs an integer from 1 to %lld, got '%s'.\n", opt,
                (long long)max, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* 1: --help shown; 0: parsed; -1: bad usage (said why). */
static int parse_args(int argc, char **argv, sim_args_t *a)
{
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' }, { "out", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },      { "help", no_argument, NULL, 'h' },
        { "explore", required_argument, NULL, 'x' }, { "jobs", required_argument, NULL, 'j' },
        { "shrink", no_argument, NULL, 'k' },     { "step", optional_argument, NULL, 't' },
        { "check", no_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    memset(a, 0, sizeof *a);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-') {
                fprintf(stderr, "snapbed sim: --seed needs a non-negative integer, got '%s'.\n",
                        optarg);
                return -1;
            }
            a->seed = v;
            a->seed_set = true;
            break;
        }
        case 'o': a->out = optarg; break;
        case 'q': a->quiet = true; break;
        case 'k': a->shrink = true; break;
        case 'c': a->check = true; break;
        case 't':
            if (optarg == NULL || strcmp(optarg, "event") == 0)
                a->step = STEP_EVENT;
            else if (strcmp(optarg, "checkpoint") == 0)
                a->step = STEP_CHECKPOINT;
            else if (strcmp(optarg, "none") == 0)
                a->step = STEP_NONE;
            else {
                fprintf(stderr, "snapbed sim: --step=%s: pause after each event, checkpoint or "
                        "none.\n", optarg);
                return -1;
            }
            break;
        case 'x':
            if (parse_count("--explore", optarg, SB_EXPLORE_SEEDS_MAX, &a->explore) != 0)
                return -1;
            break;
        case 'j': {
            int64_t j = 0;
            if (parse_count("--jobs", optarg, SB_EXPLORE_JOBS_MAX, &j) != 0)
                return -1;
            a->jobs = (int)j;
            break;
        }
        case 'h': usage(stdout); return 1;
        default:
            fprintf(stderr, "snapbed sim: try `snapbed sim --help`.\n");
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snapbed sim: %s; try `snapbed sim --help`.\n",
                optind >= argc ? "which scenario? Give one sim scenario file"
                               : "one scenario at a time");
        return -1;
    }
    a->scenario = argv[optind];
    if (a->check && (a->explore > 0 || a->shrink || a->step != STEP_OFF || a->out != NULL)) {
        fprintf(stderr, "snapbed sim: --check runs nothing: no --explore, --shrink, --step or "
                "-o.\n");
        return -1;
    }
    if (a->explore == 0 && a->jobs > 0) {
        fprintf(stderr, "snapbed sim: --jobs goes with --explore N.\n");
        return -1;
    }
    if (a->step != STEP_OFF && (a->explore > 0 || a->shrink || a->quiet)) {
        fprintf(stderr, "snapbed sim: --step tells one run: no --explore, --shrink or "
                "--quiet.\n");
        return -1;
    }
    if (a->explore > 0 && a->quiet) {
        fprintf(stderr, "snapbed sim: --explore prints one report: no --quiet.\n");
        return -1;
    }
    if (a->explore > 0 && !a->shrink && a->out != NULL) {
        fprintf(stderr, "snapbed sim: --explore writes no run folder (-o goes with --shrink, "
                "for the shrunk run).\n");
        return -1;
    }
    return 0;
}

static int make_run_dir(const sim_args_t *a, const sb_simscenario_t *s, char *dir, size_t len)
{
    if (a->out != NULL) {
        snprintf(dir, len, "%s", a->out);
        if (!sb_cli_dir_is_empty(dir)) {
            fprintf(stderr, "snapbed sim: %s already holds something (an earlier run?); give an "
                    "empty or new folder.\n", dir);
            return -1;
        }
    } else {
        char name[SB_SCENARIO_NAME_BYTES_MAX + 8];
        snprintf(name, sizeof name, "sim-%s", s->name);
        sb_cli_fresh_dir(name, dir, len);
    }
    sb_err_t err = { { 0 } };
    if (sb_cli_mkdir_p(dir, &err) != 0) {
        fprintf(stderr, "snapbed sim: %s.\n", err.msg);
        return -1;
    }
    return 0;
}

/* The scenario as run, next to its trace (as `snapbed run` keeps it), with
 * its credentials redacted as `snapbed run` does: report.html quotes it. A
 * scenario that cannot be redacted is not copied, and the run says why. */
static void copy_scenario(const char *from, const char *dir)
{
    char path[PATH_BYTES_MAX];
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    char *text = NULL;
    size_t len = 0;
    sb_err_t err = { { 0 } };
    if (sb_scenario_redact_file(from, &text, &len, &err) != 0) {
        fprintf(stderr, "snapbed sim: note: scenario.yaml not copied: %s\n", err.msg);
        return;
    }
    FILE *out = fopen(path, "w");
    if (out != NULL) {
        fwrite(text, 1, len, out);
        fclose(out);
    }
    free(text);
}

static void print_classic_report(const sb_sim_t *sim, const sb_sim_verdict_t *v, double wall_s,
                                 const char *dir)
{
    const sb_simscenario_t *s = sb_sim_scenario(sim);
    sb_classic_stats_t st;
    sb_sim_classic_stats(sim, &st);
    int64_t events = sb_sim_events(sim);
    printf("simulated %s (%s), seed %" PRIu64 ": classic Chandy–Lamport, %d processes, %d "
           "channels%s%s%s\n", s->name, s->path, sb_sim_seed(sim), s->classic.processes,
           s->classic.edges_count, s->classic.fifo ? "" : ", NOT FIFO",
           s->mutant != SB_MUTANT_NONE ? ", mutant " : "",
           s->mutant != SB_MUTANT_NONE ? sb_mutant_name(s->mutant) : "");
    printf("  %-12s %" PRId64 " simulated in %.3f s (%.0f events/s), %.3f ms of virtual time\n",
           "events", events, wall_s, wall_s > 0 ? (double)events / wall_s : 0.0,
           sb_sim_virtual_ns(sim) / 1e6);
    printf("  %-12s %" PRId64 " token messages, %" PRId64 " markers, %d of %d snapshots "
           "completed, %" PRId64 " tokens\n", "run", st.transfers, st.markers,
           st.snapshots_completed, s->classic.snapshots, st.total);
    if (st.crashes > 0)
        printf("  %-12s %d process crash%s, %d rollback%s, %d snapshot%s abandoned\n", "faults",
               st.crashes, st.crashes == 1 ? "" : "es", st.rollbacks,
               st.rollbacks == 1 ? "" : "s", st.snapshots_abandoned,
               st.snapshots_abandoned == 1 ? "" : "s");
    if (!v->finished)
        printf("  %-12s VIOLATED — %s\n", "liveness", v->run_error);
    char line[2048];
    if (!v->conserve_checked) {
        printf("SNAPSHOTS: CANNOT CHECK — %s\n", v->conserve_error);
    } else if (v->conserve_ok) {
        sb_conserve_report_summary(&v->conserve, line, sizeof line);
        printf("SNAPSHOTS: OK — %s\n", line);
    } else {
        printf("SNAPSHOTS: VIOLATED\n");
        sb_conserve_report_print(&v->conserve, stdout);
    }
    printf("  %-12s %s\n", "run folder", dir);
    sb_runfolder_finish(dir, stdout);
    printf("SIM RESULT: %s\n", v->ok ? "OK" : "VIOLATED");
}

static void print_report(const sb_sim_t *sim, const sb_sim_verdict_t *v, double wall_s,
                         const char *dir)
{
    if (v->model == SB_SIM_MODEL_CLASSIC) {
        print_classic_report(sim, v, wall_s, dir);
        return;
    }
    const sb_simscenario_t *s = sb_sim_scenario(sim);
    sb_pipeline_stats_t st;
    sb_sim_stats(sim, &st);
    int64_t events = sb_sim_events(sim);
    printf("simulated %s (%s), seed %" PRIu64 ": protocol %s%s%s%s\n", s->name, s->path,
           sb_sim_seed(sim), sb_simscenario_protocol_name(s->protocol),
           s->fifo ? "" : ", NOT FIFO",
           s->mutant != SB_MUTANT_NONE ? ", mutant " : "",
           s->mutant != SB_MUTANT_NONE ? sb_mutant_name(s->mutant) : "");
    printf("  %-12s %" PRId64 " simulated in %.3f s (%.0f events/s), %.3f ms of virtual time\n",
           "events", events, wall_s, wall_s > 0 ? (double)events / wall_s : 0.0,
           sb_sim_virtual_ns(sim) / 1e6);
    printf("  %-12s %s: %d incarnation%s, %d crash%s, %" PRId64 " checkpoint%s completed, %"
           PRId64 " aborted, %" PRId64 " restore%s, %" PRId64 " records in channel state, %"
           PRId64 " replayed\n", "job", v->finished ? "finished" : "DID NOT FINISH",
           st.incarnations, st.incarnations == 1 ? "" : "s", st.crashes,
           st.crashes == 1 ? "" : "es", st.checkpoints_completed,
           st.checkpoints_completed == 1 ? "" : "s", st.checkpoints_aborted, st.restores,
           st.restores == 1 ? "" : "s", st.channel_state_records, st.replayed_records);
    if (!v->finished)
        printf("  %-12s VIOLATED — %s\n", "liveness", v->run_error);
    char line[2048];
    sb_sim_verdict_eo_line(sim, v, line, sizeof line);
    printf("EXACTLY-ONCE: %s\n", line);
    if (!v->cuts_checked)
        printf("  %-12s CANNOT CHECK — %s\n", "cuts", v->cuts_error);
    else if (v->cuts_ok) {
        sb_cut_report_summary(&v->cuts, line, sizeof line);
        printf("  %-12s OK — %s\n", "cuts", line);
    } else {
        printf("  %-12s VIOLATED\n", "cuts");
        sb_cut_report_print(&v->cuts, stdout);
    }
    if (st.faults_unfired > 0)
        printf("  %-12s %d fault%s did not fire (the job had finished or was down)\n", "faults",
               st.faults_unfired, st.faults_unfired == 1 ? "" : "s");
    printf("  %-12s %s\n", "run folder", dir);
    sb_runfolder_finish(dir, stdout);
    printf("SIM RESULT: %s\n", v->ok ? "OK" : "VIOLATED");
}

static void print_quiet(const sb_sim_t *sim, const sb_sim_verdict_t *v, const char *dir)
{
    char why[2048];
    sb_sim_verdict_why(v, why, sizeof why);
    printf("sim %s seed %" PRIu64 ": %s%s%s (%s)\n", sb_sim_scenario(sim)->name, sb_sim_seed(sim),
           v->ok ? "OK" : "VIOLATED", why[0] ? ": " : "", why, dir);
}

#define EXPLORE_PRINT_MAX 20   /* failing seeds listed; the rest counted */

/* Explores; *first_failing is the lowest failing seed, if any. */
static int explore(const sim_args_t *a, const sb_simscenario_t *s, uint64_t *first_failing)
{
    int jobs = a->jobs;
    if (jobs == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = cores < 1 ? 1 : cores > SB_EXPLORE_JOBS_MAX ? SB_EXPLORE_JOBS_MAX : (int)cores;
    }
    uint64_t first = a->seed_set ? a->seed : 1;
    sb_explore_report_t r;
    sb_err_t err = { { 0 } };
    int64_t t0 = sb_clock_now_ns();
    if (sb_explore_run(s, first, a->explore, jobs, &r, &err) != 0) {
        fprintf(stderr, "snapbed sim: %s.\n", err.msg);
        return SB_EXIT_USAGE;
    }
    double wall_s = (double)(sb_clock_now_ns() - t0) / 1e9;
    printf("explored %s (%s): %" PRId64 " seeds (%" PRIu64 "..%" PRIu64 ") on %d thread%s in "
           "%.1f s: %.0f seeds per minute, %.0f events/s\n", s->name, s->path, r.runs, first,
           first + (uint64_t)a->explore - 1, jobs, jobs == 1 ? "" : "s", wall_s,
           wall_s > 0 ? (double)r.runs * 60 / wall_s : 0.0,
           wall_s > 0 ? (double)r.events / wall_s : 0.0);
    for (int64_t i = 0; i < r.failures_count && i < EXPLORE_PRINT_MAX; i++)
        printf("  seed %-8" PRIu64 " VIOLATED — %s\n", r.failures[i].seed, r.failures[i].why);
    if (r.violated > EXPLORE_PRINT_MAX)
        printf("  … and %" PRId64 " more\n", r.violated - EXPLORE_PRINT_MAX);
    if (r.failures_count > 0) {
        printf("replay: snapbed sim %s --seed %" PRIu64 "\n", s->path, r.failures[0].seed);
        *first_failing = r.failures[0].seed;
    }
    printf("EXPLORE RESULT: %s — %" PRId64 " of %" PRId64 " seeds violated\n",
           r.violated == 0 ? "OK" : "VIOLATED", r.violated, r.runs);
    int rc = r.violated == 0 ? SB_EXIT_OK : SB_EXIT_FAILED;
    sb_explore_report_free(&r);
    return rc;
}

/* Waits for the reader; returns the new pause mode (STEP_NONE: stop
 * pausing, -1: stop telling). */
static int pause_for_reader(int mode)
{
    fprintf(stderr, "  [Enter: next · c: to the end of the checkpoint · r: to the end · q: quit] ");
    char answer[64];
    if (fgets(answer, sizeof answer, stdin) == NULL)
        return STEP_NONE;
    switch (answer[0]) {
    case 'c': return STEP_CHECKPOINT;
    case 'r': return STEP_NONE;
    case 'q': return -1;
    }
    return mode == STEP_CHECKPOINT ? STEP_EVENT : mode;
}

typedef struct teller {
    sb_narrate_t *n;
    int mode;
    char line[SB_NARRATE_LINE_BYTES_MAX];
} teller_t;

static int tell_line(const char *text, size_t len, void *ctx)
{
    teller_t *t = ctx;
    json_t *ev = json_loadb(text, len, 0, NULL);
    if (ev == NULL)
        return 0;
    sb_narrate_kind_t kind = sb_narrate_event(t->n, ev, t->line, sizeof t->line);
    json_decref(ev);
    if (kind == SB_NARRATE_SKIP)
        return 0;
    printf("%s\n", t->line);
    fflush(stdout);
    bool pause = t->mode == STEP_EVENT || (t->mode == STEP_CHECKPOINT &&
                                           kind == SB_NARRATE_CHECKPOINT_END);
    if (pause && (t->mode = pause_for_reader(t->mode)) < 0)
        return 1;
    return 0;
}

/* The run told event by event (sim/narrate.h); pauses only on a terminal. */
static void tell(const sb_sim_t *sim, int mode)
{
    teller_t t = { .n = sb_narrate_new(), .mode = isatty(STDIN_FILENO) ? mode : STEP_NONE };
    if (t.n == NULL)
        return;
    sb_tracebuf_each_line(sb_sim_trace(sim), tell_line, &t);
    sb_narrate_free(t.n);
    printf("\n");
}

/* One run of s (seed) into the existing folder dir, printed; the
 * scenario file is copied next to its trace. */
static int one_run(const sim_args_t *a, const sb_simscenario_t *s, const char *file,
                   uint64_t seed, const char *dir)
{
    sb_sim_t *sim = NULL;
    sb_err_t err = { { 0 } };
    if (sb_sim_new(s, seed, &sim, &err) != 0) {
        fprintf(stderr, "snapbed sim: %s.\n", err.msg);
        return SB_EXIT_USAGE;
    }
    int64_t t0 = sb_clock_now_ns();
    sb_sim_run(sim);
    double wall_s = (double)(sb_clock_now_ns() - t0) / 1e9;
    sb_sim_verdict_t v;
    int exit_code = SB_EXIT_USAGE;
    if (sb_sim_verify(sim, &v, &err) != 0 || sb_sim_write(sim, &v, dir, wall_s, &err) != 0) {
        fprintf(stderr, "snapbed sim: %s.\n", err.msg);
    } else {
        copy_scenario(file, dir);
        if (a->step != STEP_OFF)
            tell(sim, a->step);
        if (a->quiet) {
            sb_runfolder_finish(dir, NULL);
            print_quiet(sim, &v, dir);
        }
        else
            print_report(sim, &v, wall_s, dir);
        exit_code = v.ok ? SB_EXIT_OK : SB_EXIT_FAILED;
    }
    sb_sim_free(sim);
    return exit_code;
}

static void shrink_progress(void *ctx, const char *step, int64_t events)
{
    (void)ctx;
    printf("  kept: %s (%" PRId64 " events)\n", step, events);
    fflush(stdout);
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) == EOF) {
        fprintf(stderr, "snapbed sim: cannot write %s: %s.\n", path, strerror(errno));
        if (f != NULL)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Shrinks a failing seed, writes DIR/shrunk.yaml, runs it into DIR. */
static int shrink(const sim_args_t *a, const sb_simscenario_t *s, uint64_t seed)
{
    printf("shrinking %s, seed %" PRIu64 " (same seed, simpler scenarios, until none fails "
           "the same way in fewer events)\n", s->name, seed);
    sb_simscenario_t *small = malloc(sizeof *small);
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    sb_shrink_report_t rep;
    sb_err_t err = { { 0 } };
    int code = SB_EXIT_USAGE, rc = -1;
    char dir[PATH_BYTES_MAX], path[PATH_BYTES_MAX + 32];
    if (small == NULL || text == NULL ||
        (rc = sb_shrink_run(s, seed, small, &rep, shrink_progress, NULL, &err)) < 0) {
        fprintf(stderr, "snapbed sim: %s.\n", small == NULL || text == NULL ? "out of memory"
                                                                          : err.msg);
    } else if (rc == 0) {
        printf("seed %" PRIu64 " does not fail: nothing to shrink\n", seed);
        code = SB_EXIT_OK;
    } else if (make_run_dir(a, s, dir, sizeof dir) == 0) {
        char name[SB_SCENARIO_NAME_BYTES_MAX];
        snprintf(name, sizeof name, "%.*s-shrunk", (int)sizeof name - 8, s->name);
        snprintf(small->name, sizeof small->name, "%s", name);
        snprintf(small->description, sizeof small->description, "%s, seed %" PRIu64
                 ", shrunk by snapbed sim --shrink", s->path, seed);
        snprintf(path, sizeof path, "%s/shrunk.yaml", dir);
        snprintf(small->path, sizeof small->path, "%s", path);
        printf("shrunk in %d runs, %d steps: %" PRId64 " -> %" PRId64 " events; it fails: %s\n",
               rep.runs, rep.steps, rep.events_before, rep.events_after, rep.why);
        if (sb_simscenario_format(small, text, SB_SIMSCENARIO_TEXT_MAX) >= 0 &&
            write_text(path, text) == 0) {
            code = one_run(a, small, path, seed, dir);
            printf("replay: snapbed sim %s --seed %" PRIu64 "\n", path, seed);
        }
    }
    free(text);
    free(small);
    return code;
}

int sb_cmd_sim(int argc, char **argv)
{
    sim_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    sb_simscenario_t *s = malloc(sizeof *s);
    sb_err_t err = { { 0 } };
    char notes[SB_SIMSCENARIO_NOTES_MAX] = "";
    if (a.check) { /* parse only: a file for snapbed run only is a good file too */
        sb_scenario_t *sc = malloc(sizeof *sc);
        int loaded = sc != NULL ? sb_scenario_load(sc, a.scenario, &err) : -1;
        if (loaded == 0 && sc->runs == SB_RUNS_REAL_ONLY) {
            printf("%s: ok (for snapbed run only: %s)\n", a.scenario, sc->runs_why);
            free(sc);
            free(s);
            return SB_EXIT_OK;
        }
        free(sc);
    }
    if (s == NULL || sb_simscenario_load_notes(s, a.scenario, notes, sizeof notes, &err) != 0) {
        fprintf(stderr, "snapbed sim: %s.\n", s == NULL ? "out of memory" : err.msg);
        free(s);
        return SB_EXIT_USAGE;
    }
    /* One line per setting mapped or ignored: "snapbed sim: note: ...". */
    for (char *line = notes, *end; *line != '\0'; line = end + (*end != '\0')) {
        end = line + strcspn(line, "\n");
        fprintf(stderr, "snapbed sim: %.*s\n", (int)(end - line), line);
    }
    if (a.check) {
        printf("%s: ok (%s)\n", a.scenario, sb_simscenario_model_name(s->model));
        free(s);
        return SB_EXIT_OK;
    }
    uint64_t seed = a.seed_set ? a.seed : s->seed;
    char dir[PATH_BYTES_MAX];
    int code;
    if (a.explore > 0)
        code = explore(&a, s, &seed);
    else if (a.shrink)
        code = shrink(&a, s, seed);
    else if (make_run_dir(&a, s, dir, sizeof dir) != 0)
        code = SB_EXIT_USAGE;
    else
        code = one_run(&a, s, a.scenario, seed, dir);
    if (a.explore > 0 && a.shrink && code == SB_EXIT_FAILED)
        shrink(&a, s, seed);
    free(s);
    return code;
}
