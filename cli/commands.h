/* commands.h — the subcommands of `snapbed`. Each takes its own argv (argv[0]
 * is the subcommand's name) and returns the process exit status:
 * 0 success, 1 the run did not meet its expectations or failed, 2 bad usage
 * or bad input (nothing ran). */
#ifndef SB_COMMANDS_H
#define SB_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#define SB_EXIT_OK 0
#define SB_EXIT_FAILED 1
#define SB_EXIT_USAGE 2
/* The worker's own, to its supervisor: completed checkpoints exist and none
 * can be restored, so restarting it cannot help. */
#define SB_EXIT_UNRESTORABLE 3

int sb_cmd_run(int argc, char **argv);
int sb_cmd_worker(int argc, char **argv);

/* `snapbed check TRACE`: the consistent-cut checker on a trace alone;
 * 0 every check passed, 1 violations, 2 bad usage or an unreadable trace. */
int sb_cmd_check(int argc, char **argv);
/* `snapbed report RUN_DIR`: (re)writes RUN_DIR/report.html, prints its path. */
int sb_cmd_report(int argc, char **argv);
/* `snapbed viz TRACE`: the pictures of a run from its trace (viz/viz.h). */
int sb_cmd_viz(int argc, char **argv);

/* `snapbed sim SCENARIO`: one deterministic simulated run (sim/sim.h);
 * 0 every check holds, 1 violated or unfinished, 2 bad usage or scenario. */
int sb_cmd_sim(int argc, char **argv);

/* `snapbed run PATH...`: several scenarios and/or seeds, each case a child
 * `snapbed run`; a table, `suite: N passed, M failed`, optional JUnit XML.
 * sb_cmd_run hands its argv over unchanged (argv[0] = "run") when there is
 * more than one PATH, a PATH is a folder, or --seeds / --junit is given. */
int sb_cmd_suite(int argc, char **argv);

/* Whether `snapbed run` with this argv is a suite; the hook at the top of
 * sb_cmd_run, before its own parsing:
 *     if (sb_suite_wanted(argc, argv)) return sb_cmd_suite(argc, argv); */
bool sb_suite_wanted(int argc, char **argv);

/* The suite's part of `snapbed run --help`. */
void sb_suite_usage(FILE *f);

#endif
