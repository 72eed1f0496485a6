/* corrupt.h — the corrupt fault: damage one file of a completed checkpoint
 * while no worker runs, the way a disk, an operator or a bug would, so
 * that a run shows the restore refusing it and falling back.
 *
 * The supervisor calls sb_corrupt_apply after the worker died at the
 * fault's crash point and before it starts the next one. Every change goes
 * through the store interface, so file:// and s3:// are damaged alike:
 *
 *   flip-byte  one payload byte changes: in a JSON file the last decimal
 *              digit (the file still parses; only the checksum sees it),
 *              elsewhere the middle byte is inverted;
 *   truncate   the header stays, half the payload goes;
 *   delete     the file is removed;
 *   swap       exchanged with the same file of checkpoint N-1 (both
 *              checkpoints are then damaged).
 *
 * The damage is traced (checkpoint_damaged: fault, checkpoint, file, how,
 * checkpoints) so that a checker knows which checkpoints no restore may
 * read, whatever the engine says. */
#ifndef SB_CORRUPT_H
#define SB_CORRUPT_H

#include "err.h"
#include "scenario.h"
#include "store.h"
#include "trace.h"

/* Damages the file faults[index] names in the checkpoint store at
 * `checkpoints_uri` (relative to run_dir) of job `job`. */
int sb_corrupt_apply(const sb_scenario_t *s, int index, const char *checkpoints_uri,
                     const char *run_dir, const char *job, sb_trace_t *trace, sb_err_t *err);

/* The damage itself on an opened store, for tests: `key` is damaged in
 * place, or exchanged with `other_key` (swap). */
int sb_corrupt_key(sb_store_t *st, const char *key, const char *other_key, sb_corrupt_how_t how,
                   sb_err_t *err);

#endif
