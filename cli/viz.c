/* viz.c — `snapbed viz TRACE`: the pictures of a run (viz/viz.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "gv.h"
#include "trace.h"
#include "viz.h"

#define PATH_BYTES_MAX 4096

static void usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed viz TRACE [-o DIR] [--checkpoint N] [--format svg|png|dot]\n"
            "\n"
            "Draws a run's pictures from its trace (TRACE is a trace.jsonl or a run folder):\n"
            "  chk-N-graph      barrier propagation over the job graph: snapshot times,\n"
            "                   alignment, state, barrier arrivals and channel state; the\n"
            "                   slowest path thick\n"
            "  chk-N-spacetime  space-time diagram: a lane per subtask, barriers, snapshots,\n"
            "                   the cut, and (with --trace records runs) every batch coloured\n"
            "                   by where it lies relative to the cut; orphans red\n"
            "  chk-N-gantt      per subtask: start delay, alignment, sync, async, ack; the\n"
            "                   critical path highlighted\n"
            "  timeline         the whole run: checkpoints, faults, crashes, restores,\n"
            "                   throughput, channel fill, sink part files\n"
            "A classic Chandy–Lamport simulator run gets, per completed snapshot K:\n"
            "  snap-K-spacetime a lane per process: token messages, markers, each\n"
            "                   process's record and the cut; channel state blue, messages\n"
            "                   crossing the cut unrecorded or as orphans red\n"
            "  snap-K-graph     marker propagation over the process graph\n"
            "and index.html (each snapshot's balances and channel tokens, and links);\n"
            "--checkpoint K picks a snapshot.\n"
            "\n"
            "options:\n"
            "  -o, --out DIR       where to write them (default: <run folder>/viz)\n"
            "  --checkpoint N      only checkpoint N's three pictures, completed or not\n"
            "                      (default: every completed checkpoint, at most %d: then\n"
            "                      the first and last %d, and the timeline)\n"
            "  --format F          svg (default), png or dot (laid out: re-render with\n"
            "                      `neato -n2` or, for graphs, `dot`); a comma list too\n"
            "  --arrows N          batches drawn at most per space-time diagram (default\n"
            "                      400; those crossing the cut first, the rest sampled)\n"
            "  --partial           draw a trace that ends before its run finished (a run\n"
            "                      still going, or one cut short) up to where it ends\n"
            "  -h, --help          this text\n"
            "\n"
            "exit status: 0 pictures written; 1 a picture could not be drawn or written;\n"
            "2 bad usage or input (unreadable or incomplete trace, no such checkpoint,\n"
            "unknown format).\n",
            SB_VIZ_CHECKPOINTS_MAX, SB_VIZ_CHECKPOINTS_MAX / 2);
}

typedef struct viz_args {
    const char *trace;
    const char *out;
    int64_t checkpoint;
    unsigned formats;
    int64_t arrows_max;
    bool partial;       /* --partial: an incomplete trace is drawn, not refused */
} viz_args_t;

static int parse_positive(const char *opt, const char *text, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v <= 0) {
        fprintf(stderr, "snapbed viz: %s needs a positive integer, got '%s'.\n", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* 1: --help shown; 0: parsed; -1: bad usage (said why). */
static int parse_args(int argc, char **argv, viz_args_t *a)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },    { "checkpoint", required_argument, NULL, 'c' },
        { "format", required_argument, NULL, 'f' }, { "arrows", required_argument, NULL, 'a' },
        { "partial", no_argument, NULL, 'p' },      { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(a, 0, sizeof *a);
    a->formats = SB_GV_SVG;
    sb_err_t err;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'c':
            if (parse_positive("--checkpoint", optarg, &a->checkpoint) != 0)
                return -1;
            break;
        case 'a':
            if (parse_positive("--arrows", optarg, &a->arrows_max) != 0)
                return -1;
            break;
        case 'f':
            if (sb_gv_formats_parse(optarg, &a->formats, &err) != 0) {
                fprintf(stderr, "snapbed viz: --format: %s.\n", err.msg);
                return -1;
            }
            break;
        case 'p': a->partial = true; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snapbed viz: give exactly one trace (a trace.jsonl or a run folder); "
                        "try `snapbed viz --help`.\n");
        return -1;
    }
    a->trace = argv[optind];
    return 0;
}

/* TRACE as a file path, and the run folder it lies in. */
static int resolve_trace(const char *arg, char *trace, size_t trace_len, char *run_dir,
                         size_t run_len)
{
    struct stat st;
    if (stat(arg, &st) != 0) {
        fprintf(stderr, "snapbed viz: cannot read trace %s: %s.\n", arg, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(trace, trace_len, "%s/trace.jsonl", arg);
        snprintf(run_dir, run_len, "%s", arg);
        if (stat(trace, &st) != 0) {
            fprintf(stderr, "snapbed viz: %s is a folder without a trace.jsonl: %s.\n", arg,
                    strerror(errno));
            return -1;
        }
        return 0;
    }
    snprintf(trace, trace_len, "%s", arg);
    char copy[PATH_BYTES_MAX];
    snprintf(copy, sizeof copy, "%s", arg);
    snprintf(run_dir, run_len, "%s", dirname(copy));
    return 0;
}

static void print_file(const char *path, void *ctx)
{
    (void)ctx;
    printf("  %s\n", path);
}

int sb_cmd_viz(int argc, char **argv)
{
    viz_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    char trace[PATH_BYTES_MAX], run_dir[PATH_BYTES_MAX], out[PATH_BYTES_MAX];
    if (resolve_trace(a.trace, trace, sizeof trace, run_dir, sizeof run_dir) != 0)
        return SB_EXIT_USAGE;
    snprintf(out, sizeof out, "%s", a.out != NULL ? a.out : run_dir);
    if (a.out == NULL)
        strncat(out, "/viz", sizeof out - strlen(out) - 1);
    sb_viz_opts_t o = {
        .trace_path = trace,
        .out_dir = out,
        .checkpoint = a.checkpoint,
        .formats = a.formats,
        .timeline = a.checkpoint == 0,
        .arrows_max = a.arrows_max,
        .on_file = print_file,
    };
    /* The pictures show what the trace holds: a trace that ends before its
     * run finished is refused (its last checkpoints would be drawn as if
     * the run had stopped there), unless --partial asks for it. */
    sb_err_t err;
    sb_trace_end_t end;
    bool incomplete = false;
    char why[PATH_BYTES_MAX + 256] = "";
    /* A last line that is no event at all ("?") is garbage, not a cut:
     * the loader below names the first malformed line. */
    if (sb_trace_end(trace, &end, &err) == 0 && !end.finished &&
        strcmp(end.last_event, "?") != 0) {
        sb_trace_end_describe(trace, &end, why, sizeof why);
        incomplete = true;
        if (!a.partial || end.lines == 0) {
            fprintf(stderr, "snapbed viz: %s%s.\n", why,
                    end.lines == 0 ? "" : " (--partial draws it up to there)");
            return SB_EXIT_USAGE;
        }
    }
    printf("snapbed viz: %s\n", trace);
    fflush(stdout);
    sb_viz_report_t report;
    sb_viz_status_t status = sb_viz_run(&o, &report, &err);
    if (status != SB_VIZ_OK) {
        fprintf(stderr, "snapbed viz: %s.\n", err.msg);
        return status == SB_VIZ_BAD_INPUT ? SB_EXIT_USAGE : SB_EXIT_FAILED;
    }
    printf("%" PRId64 " files: %" PRId64 " %s%s%s, in %s\n", report.files_written,
           report.checkpoints_drawn, report.classic ? "snapshot" : "checkpoint",
           report.checkpoints_drawn == 1 ? "" : "s",
           !o.timeline ? "" : report.classic ? " and index.html" : " and the timeline", out);
    if (report.note[0] != '\0')
        printf("note: %s\n", report.note);
    if (incomplete)
        fprintf(stderr, "snapbed viz: warning: %s; the pictures show the run up to there.\n",
                why);
    return SB_EXIT_OK;
}
