/* check.c — `snapbed check TRACE`: the consistent-cut checker (verify/cut.h)
 * on a finished run's trace, alone: no topic, no store, no scenario. A
 * classic Chandy–Lamport simulator trace (run_started with model
 * "chandy-lamport") goes to the snapshot checker (sim/conserve.h) instead,
 * with the same output shape and exit codes. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "conserve.h"
#include "cut.h"
#include "trace.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed check TRACE\n"
            "\n"
            "Proves from a run's trace alone that every completed checkpoint is a\n"
            "consistent cut: one snapshot per subtask; no orphan record (received before\n"
            "the receiver's snapshot, sent after the sender's); the channel state recorded\n"
            "is exactly the records in flight; source offsets and operator reads account\n"
            "for every record emitted; restores replay the channel state recorded, and\n"
            "only completed checkpoints are restored; output is published only after its\n"
            "checkpoint completed, never twice, and every staged upload is published.\n"
            "With the record trace (`--trace records` on snapbed run), also FIFO: on each\n"
            "channel, the records received are the records sent, in order.\n"
            "\n"
            "A classic Chandy–Lamport simulator run (`snapbed sim` on a model:\n"
            "chandy-lamport scenario) is checked with its own rules instead: every\n"
            "process and channel recorded once, the tokens conserved, no orphan message,\n"
            "the channel state exactly the messages in flight across the cut.\n"
            "\n"
            "TRACE is a trace.jsonl or a run folder holding one, of a finished run: a\n"
            "trace that does not end with run_finished (cut short, or still being\n"
            "written) is refused, and so is a line written twice.\n"
            "\n"
            "exit status: 0 every check passed, 1 violations found, 2 bad usage or a\n"
            "trace that cannot be read or checked. See docs/checking.md.\n");
}

/* A run folder stands for the trace.jsonl in it. */
static void trace_path(const char *arg, char *buf, size_t len)
{
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(buf, len, "%s/trace.jsonl", arg);
    else
        snprintf(buf, len, "%s", arg);
}

static int check_classic(const char *path)
{
    sb_conserve_report_t report;
    sb_err_t err = { { 0 } };
    if (sb_conserve_check_file(path, &report, &err) != 0) {
        fprintf(stderr, "snapbed check: %s.\n", err.msg);
        return SB_EXIT_USAGE;
    }
    printf("trace: %s (classic Chandy–Lamport)\n", path);
    sb_conserve_report_print(&report, stdout);
    char line[SB_CONSERVE_DETAIL_BYTES_MAX + 128];
    sb_conserve_report_summary(&report, line, sizeof line);
    printf("RESULT: %s — %s\n", sb_conserve_report_ok(&report) ? "OK" : "VIOLATED", line);
    return sb_conserve_report_ok(&report) ? SB_EXIT_OK : SB_EXIT_FAILED;
}

int sb_cmd_check(int argc, char **argv)
{
    const char *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return SB_EXIT_OK;
        }
        if (argv[i][0] == '-' || arg != NULL) {
            fprintf(stderr, "snapbed check: unexpected argument '%s'; try `snapbed check "
                    "--help`.\n", argv[i]);
            return SB_EXIT_USAGE;
        }
        arg = argv[i];
    }
    if (arg == NULL) {
        fprintf(stderr, "snapbed check: which trace? Give a trace.jsonl or a run folder; try "
                "`snapbed check --help`.\n");
        return SB_EXIT_USAGE;
    }
    char path[4096];
    trace_path(arg, path, sizeof path);
    sb_err_t err = { { 0 } };
    bool classic = false;
    if (sb_conserve_trace_is_classic(path, &classic, &err) != 0) {
        fprintf(stderr, "snapbed check: %s.\n", err.msg);
        return SB_EXIT_USAGE;
    }
    if (classic)
        return check_classic(path);
    sb_cut_report_t report;
    if (sb_cut_check_file(path, &report, &err) != 0) {
        fprintf(stderr, "snapbed check: %s.\n", err.msg);
        return SB_EXIT_USAGE;
    }
    /* Checkpoints that completed before the cut would pass, and those
     * after it go unseen: part of a run proves nothing about the run. */
    sb_trace_end_t end;
    if (sb_trace_end(path, &end, &err) != 0) {
        fprintf(stderr, "snapbed check: %s.\n", err.msg);
        return SB_EXIT_USAGE;
    }
    if (!end.finished) {
        char why[4600];
        sb_trace_end_describe(path, &end, why, sizeof why);
        fprintf(stderr, "snapbed check: %s; it cannot be checked.\n", why);
        return SB_EXIT_USAGE;
    }
    printf("trace: %s\n", path);
    sb_cut_report_print(&report, stdout);
    return sb_cut_report_ok(&report) ? SB_EXIT_OK : SB_EXIT_FAILED;
}
