/* diskloss.h — what a power loss takes from a file:// store: the
 * supervisor's half of the lose-unsynced storage fault.
 *
 * The worker's fault layer (runtime/store_fault.h) journals every write,
 * fsync, rename, mkdir and fsync of a folder on the store. When the worker
 * dies by a signal (a SIGKILL of the fault plan or a crash point), the
 * supervisor, before it starts the next worker, replays the journal and
 * takes away what the disk held only in its cache, as a machine that loses
 * power would:
 *
 * - a file written since its last fsync is cut back to the length that
 *   fsync made durable (to empty when it never was fsynced);
 * - a name created (a new file, the target of a rename, a new folder)
 *   after the last fsync of the folder that holds it disappears: the file
 *   is removed, the folder removed with all it holds. The name a rename
 *   came from does not come back (only temporaries are renamed, and
 *   nothing reads them).
 * - removals (unlink, rmdir) are taken as durable at once: a deleted old
 *   checkpoint never comes back.
 *
 * The journal then starts empty: what survived is on disk. A worker that
 * exits (even with an error) loses nothing, as a process exit keeps the
 * page cache; its unsynced data is lost at the next crash. */
#ifndef SB_DISKLOSS_H
#define SB_DISKLOSS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "scenario.h"
#include "trace.h"

#define SB_DISKLOSS_LINES_MAX 4000000   /* journal lines replayed per store */

typedef struct sb_diskloss_stats {
    int64_t truncated;            /* files cut back to their synced length */
    int64_t vanished;             /* names that disappeared (files and folders) */
    char example[512];            /* one of them, for the trace */
} sb_diskloss_stats_t;

/* Before the run: every storage fault's store must be a file:// one. */
int sb_diskloss_check(const sb_scenario_t *s, const char *sink_uri, const char *checkpoints_uri,
                      sb_err_t *err);

/* Replays one journal file and applies the loss to the disk (the pure
 * model and the file operations, for tests). A missing journal loses
 * nothing. The journal is removed afterwards. */
int sb_diskloss_apply_journal(const char *journal_path, sb_diskloss_stats_t *stats,
                              sb_err_t *err);

/* After a crash of the worker: applies the journal of every
 * lose-unsynced fault of s, traces `fault_fired` for each (what was
 * lost) and marks the fault as fired. */
int sb_diskloss_after_crash(const sb_scenario_t *s, const char *run_dir, sb_trace_t *trace,
                            sb_err_t *err);

#endif
