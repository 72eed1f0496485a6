/* commands.h — the subcommands of `snapbed`. Each takes its own argv (argv[0]
 * is the subcommand's name) and returns the process exit status:
 * 0 success, 1 the run did not meet its expectations or failed, 2 bad usage
 * or bad input (nothing ran). */
#ifndef SB_COMMANDS_H
#define SB_COMMANDS_H

#define SB_EXIT_OK 0
#define SB_EXIT_FAILED 1
#define SB_EXIT_USAGE 2

int sb_cmd_run(int argc, char **argv);
int sb_cmd_worker(int argc, char **argv);

#endif
