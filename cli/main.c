/* main.c — `snapbed`: dispatches to a subcommand. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "crashpoint.h"
#include "scenario.h"

#define SB_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed COMMAND [OPTIONS]\n"
            "\n"
            "snapbed runs a Kafka -> map -> filter -> sink job with Flink-style checkpoints,\n"
            "injects faults, and proves (or refutes) that its output is exactly-once.\n"
            "\n"
            "commands:\n"
            "  run SCENARIO    run a scenario end to end and print the verdict\n"
            "  check TRACE     prove from a run's trace that every completed checkpoint\n"
            "                  is a consistent cut (TRACE: trace.jsonl or a run folder)\n"
            "  report RUN_DIR  (re)write a run folder's report.html\n"
            "  viz TRACE       draw a run's checkpoints and timeline (SVG, PNG, DOT)\n"
            "  sim SCENARIO    simulate a job in virtual time (deterministic, seeded) with\n"
            "                  the same protocol code, and check it (scenarios/sim/)\n"
            "  crashpoints     list the named crash points a scenario can use\n"
            "  help            this text\n"
            "  version         print the version\n"
            "\n"
            "`snapbed COMMAND --help` describes a command. Scenarios are YAML files;\n"
            "see scenarios/ and docs/scenarios.md.\n");
}

static int crashpoints(void)
{
    printf("Crash points (faults: - do: crash\n"
           "                       at: { point: NAME, checkpoint: N | final | hit: K | "
           "probability: P }):\n\n");
    for (int p = SB_POINT_NONE + 1; p < SB_POINT_COUNT_; p++)
        printf("  %-28s %s\n", sb_crash_point_name(p), sb_crash_point_describe(p));
    return SB_EXIT_OK;
}

int main(int argc, char **argv)
{
    /* Past the file-size limit (ulimit -f) a write would kill us by SIGXFSZ,
     * naming no file and leaving worker.log empty; ignored, it fails with
     * EFBIG and the error names the file. The worker inherits it over exec. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return SB_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return sb_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return sb_cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return sb_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "viz") == 0)
        return sb_cmd_viz(argc - 1, argv + 1);
    if (strcmp(cmd, "sim") == 0)
        return sb_cmd_sim(argc - 1, argv + 1);
    if (strcmp(cmd, "crashpoints") == 0)
        return crashpoints();
    if (strcmp(cmd, "worker") == 0)
        return sb_cmd_worker(argc - 1, argv + 1);
    if (strcmp(cmd, "suite") == 0) /* hidden: `snapbed run PATH...` is the public form */
        return sb_cmd_suite(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return SB_EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("snapbed %s\n", SB_VERSION);
        return SB_EXIT_OK;
    }
    fprintf(stderr, "snapbed: unknown command '%s'; try `snapbed --help`.\n", cmd);
    return SB_EXIT_USAGE;
}
