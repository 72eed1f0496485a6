/* store_fault.h — a file:// store whose disk fails: the fault layer.
 *
 * Attached to a file:// store (checkpoint storage or the sink), it
 * replaces entries of the store's table of I/O operations (fileio.h) to
 * carry out the scenario's storage faults (scenario.h, SB_FAULT_STORAGE):
 *
 * - enospc, eio: the first matching operation (write, fsync of a file or
 *   a folder, rename) once the fault's moment has come fails with that
 *   errno; the fault fires once per run (a marker file in faults/);
 * - short-write: a write puts the first half of its bytes on disk and
 *   returns that count; the next write to the same file fails with ENOSPC,
 *   so the file is torn and must never become an object;
 * - lose-unsynced: the layer keeps a journal, in the run folder, of what
 *   the disk holds only in its cache: file data written and not fsynced,
 *   and names created, renamed or made (mkdir) whose folder was not
 *   fsynced since. The supervisor applies it after a crash
 *   (faultinject/diskloss.h), the way a power loss would.
 *
 * The skip-fsync mutant is a layer too: fsync and the fsync of a folder do
 * nothing (and journal nothing), on every file:// store.
 *
 * Each injected fault is traced as `fault_fired` with the operation, the
 * object's key, the path and the errno. */
#ifndef SB_STORE_FAULT_H
#define SB_STORE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "scenario.h"
#include "store.h"
#include "trace.h"

#define SB_STORE_FAULT_FILES_MAX 256   /* files open at once through one layer */

/* The journal of lose-unsynced: one line per operation, fields separated
 * by tabs, each line one write() to a file opened O_APPEND (every thread
 * of the worker appends to it):
 *   C PATH        a file was created (its name is new in its folder)
 *   W PATH        data was written to the file (not yet fsynced)
 *   S PATH BYTES  the file was fsynced: its first BYTES bytes are durable
 *   R FROM TO     FROM was renamed to TO (TO's name is new in its folder)
 *   M PATH        a folder was made (its name is new in its parent)
 *   D DIR         DIR was fsynced: the names in it so far are durable
 *   U PATH        a file or an empty folder was removed (taken as durable)
 */
#define SB_STORE_FAULT_JOURNAL_LINE_BYTES_MAX 4096

/* Attaches the scenario's storage faults on store `which` (and the
 * skip-fsync mutant) to st, a store just opened. Nothing is attached when
 * none applies. -1 when a fault names a store that is not file://. */
int sb_store_fault_attach(sb_store_t *st, const sb_scenario_t *s, sb_storage_store_t which,
                          const char *run_dir, sb_trace_t *trace, sb_err_t *err);

/* The journal of store `which` in run_dir. */
void sb_store_fault_journal_path(const char *run_dir, sb_storage_store_t which, char *buf,
                                 size_t len);

/* Fault `index` (a storage fault) has fired: its marker exists. The layer
 * (injected errors) or the supervisor (a loss applied) creates it with
 * sb_store_fault_mark, which returns true only for the caller that
 * created it. */
bool sb_store_fault_fired(const char *run_dir, int index);
bool sb_store_fault_mark(const char *run_dir, int index);

/* The pure parts, for tests. The checkpoint an object belongs to: N for a
 * key with a folder chk-N, or a sink object part-SSS-N; -1 for none. */
int64_t sb_store_fault_key_checkpoint(const char *key);

/* Whether an injecting fault is due at this operation: op matches and its
 * moment has come (`hit`: the matching operations so far in this
 * incarnation, this one included; `since_start_ns`: time since the job's
 * first worker started). */
bool sb_store_fault_due(const sb_fault_t *f, sb_storage_op_t op, const char *key, int64_t hit,
                        int64_t since_start_ns);

#endif
