/* worker.c — `snapbed worker`: one incarnation of the job, started by the
 * supervisor (`snapbed run`) with fork and exec, so that librdkafka's threads
 * start fresh in a new process. Reads scenario.yaml and input.json from the
 * run folder; writes the trace, checkpoints and output there. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "crashpoint.h"
#include "job.h"
#include "scenario.h"
#include "trace.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: snapbed worker --run-dir DIR [--attempt N] [--sink URI] "
               "[--checkpoints URI] [--job RUN_ID]\n"
               "\n"
               "Runs one incarnation of the job of a run folder prepared by `snapbed run`\n"
               "(its scenario.yaml holds the effective settings, overrides included).\n"
               "Not meant to be started by hand: `snapbed run` starts and restarts it.\n");
}

/* The job's crash-point hook: the fault plan decides whether to die here
 * (SIGKILL: it does not return). Returning means it did not fire. */
static bool hit_crash_point(void *ctx, sb_crash_point_t point, int64_t id, bool is_final)
{
    sb_crashpoints_hit(ctx, point, id, is_final);
    return false;
}

int sb_cmd_worker(int argc, char **argv)
{
    static const struct option opts[] = {
        { "run-dir", required_argument, NULL, 'd' },
        { "attempt", required_argument, NULL, 'a' },
        { "sink", required_argument, NULL, 'S' },
        { "checkpoints", required_argument, NULL, 'C' },
        { "job", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *run_dir = NULL, *sink = NULL, *checkpoints = NULL, *job = NULL;
    int attempt = 0, c;
    while ((c = getopt_long(argc, argv, "d:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': run_dir = optarg; break;
        case 'a': attempt = atoi(optarg); break;
        case 'S': sink = optarg; break;
        case 'C': checkpoints = optarg; break;
        case 'j': job = optarg; break;
        case 'h': usage(stdout); return SB_EXIT_OK;
        default: usage(stderr); return SB_EXIT_USAGE;
        }
    }
    if (run_dir == NULL) {
        usage(stderr);
        return SB_EXIT_USAGE;
    }
    sb_err_t err = { { 0 } };
    char path[1024];
    sb_scenario_t *s = calloc(1, sizeof *s);
    snprintf(path, sizeof path, "%s/scenario.yaml", run_dir);
    if (sb_scenario_load(s, path, &err) != 0) {
        fprintf(stderr, "snapbed worker: %s\n", err.msg);
        free(s);
        return SB_EXIT_USAGE;
    }
    sb_job_params_t p = { .scenario = s, .run_dir = run_dir, .attempt = attempt };
    snprintf(path, sizeof path, "%s/input.json", run_dir);
    if (sb_job_input_load(&p.input, path, &err) != 0) {
        fprintf(stderr, "snapbed worker: %s\n", err.msg);
        free(s);
        return SB_EXIT_USAGE;
    }
    char dir_copy[1024];
    snprintf(dir_copy, sizeof dir_copy, "%s", run_dir);
    p.job_name = job != NULL ? job : basename(dir_copy);
    char sink_uri[1024];
    if (sink == NULL) /* effective URIs come from the supervisor; else derive */
        sb_job_run_uri(s->sink_uri, p.job_name, sink_uri, sizeof sink_uri);
    else
        snprintf(sink_uri, sizeof sink_uri, "%s", sink);
    p.sink_uri = sink_uri;
    p.checkpoints_uri = checkpoints ? checkpoints : s->checkpoints_dir;
    /* Crash points write their fault_fired event to the same trace (O_APPEND:
     * one line per write, whoever writes it). */
    sb_trace_t crash_trace = { .fd = -1 };
    sb_crashpoints_t *crashpoints = calloc(1, sizeof *crashpoints);
    snprintf(path, sizeof path, "%s/trace.jsonl", run_dir);
    if (crashpoints == NULL || sb_trace_open(&crash_trace, path, &err) != 0) {
        fprintf(stderr, "snapbed worker: %s\n", crashpoints ? err.msg : "out of memory");
        free(crashpoints);
        free(s);
        return SB_EXIT_FAILED;
    }
    sb_crashpoints_init(crashpoints, s, run_dir, &crash_trace, attempt);
    p.on_crash_point = hit_crash_point;
    p.crash_ctx = crashpoints;
    int rc = sb_job_run(&p, &err);
    sb_trace_close(&crash_trace);
    free(crashpoints);
    if (rc != 0)
        fprintf(stderr, "snapbed worker (attempt %d): %s\n", attempt, err.msg);
    free(s);
    if (rc == SB_JOB_UNRESTORABLE)
        return SB_EXIT_UNRESTORABLE;
    return rc == 0 ? SB_EXIT_OK : SB_EXIT_FAILED;
}
