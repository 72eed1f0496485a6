/* checkpoint_store.h — checkpoint storage on an object store.
 *
 * Layout: <job>/chk-<N>/_triggered (empty, written before any barrier of N
 * is sent), <job>/chk-<N>/<task>.json (one snapshot per subtask; a sink's
 * pending uploads are in its snapshot), for unaligned checkpoints
 * <job>/chk-<N>/<task>.channel (its channel state, referenced from its
 * snapshot and from _metadata), <job>/chk-<N>/_metadata (the commit point,
 * one atomic put) and <job>/_completed (the retained completed ids, written
 * right after each _metadata). Every file but _triggered is framed
 * (ckframe.h: version, length, CRC32, identity) and verified before it is
 * parsed.
 *
 * A checkpoint is completed when its _metadata exists or _completed lists
 * it: one damaged or deleted file cannot make a completed checkpoint look
 * as if it never completed (a listed id without _metadata is "missing").
 * The highest N with anything at all is the highest id ever triggered, and
 * the next incarnation starts above it so that ids never repeat.
 *
 * Restore (sb_cpstore_pick_restore, used by the worker and the simulator)
 * walks the completed checkpoints newest first and takes the first one
 * whose _metadata, snapshots and channel states all verify; each one it
 * refuses is reported with one sentence naming the file. */
#ifndef SB_CHECKPOINT_STORE_H
#define SB_CHECKPOINT_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "chstate.h"
#include "err.h"
#include "store.h"

#define SB_CPSTORE_COMPLETED_MAX 64  /* ids _completed lists (num-retained) */
#define SB_CPSTORE_REFUSALS_MAX 16   /* checkpoints one restore may refuse */
#define SB_CPSTORE_REASON_BYTES_MAX 384

typedef struct sb_cpstore {
    sb_store_t store;
    char job[128];
    int num_retained;
    bool trust_frames;  /* the restore-unverified mutant: read without checks */
} sb_cpstore_t;

int sb_cpstore_open(sb_cpstore_t *cs, const char *uri, const char *base_dir,
                    const char *job, int num_retained, sb_err_t *err);

int sb_cpstore_mark_triggered(sb_cpstore_t *cs, int64_t id, sb_err_t *err);

/* Writes a subtask's snapshot; *size_bytes receives its size. */
int sb_cpstore_write_snapshot(sb_cpstore_t *cs, int64_t id, const char *task,
                              json_t *state, size_t *size_bytes, sb_err_t *err);
/* Returns 1 and *state (new reference) if present, 0 if absent, -1 on error. */
int sb_cpstore_read_snapshot(sb_cpstore_t *cs, int64_t id, const char *task,
                             json_t **state, sb_err_t *err);

/* Another object of checkpoint `id` (e.g. "<task>.channel"); its full key
 * goes to key_out, for the snapshot to reference. */
int sb_cpstore_write_object(sb_cpstore_t *cs, int64_t id, const char *name, const void *data,
                            size_t len, char *key_out, size_t key_len, sb_err_t *err);
/* Reads an object by the key a snapshot references; missing is an error. */
int sb_cpstore_read_object(sb_cpstore_t *cs, const char *key, char **data, size_t *len,
                           sb_err_t *err);

/* An unaligned snapshot's channel state: encoded (chstate.h), written as
 * "<task>.channel" of checkpoint `id`, and referenced from the snapshot's
 * `state` ("channel_state": key, records, bytes). *bytes receives the
 * encoded size. Both drivers, the worker and the simulator, write it so. */
int sb_cpstore_write_channel_state(sb_cpstore_t *cs, int64_t id, const char *task,
                                   const sb_chstate_t *ch, json_t *state, size_t *bytes,
                                   sb_err_t *err);
/* The channel state a restored snapshot references, decoded into `ch`
 * (reset for checkpoint `id` over `inputs` inputs). Returns 1, 0 when the
 * snapshot references none, -1 on error (a reference without a key, a
 * missing or damaged object). *bytes receives the encoded size. */
int sb_cpstore_read_channel_state(sb_cpstore_t *cs, const json_t *state, int64_t id,
                                  int inputs, sb_chstate_t *ch, size_t *bytes, sb_err_t *err);

/* The commit point of checkpoint `id`: its _metadata, then _completed
 * with `id` added (the newest num_retained ids). A failure of either is a
 * failure to complete. */
int sb_cpstore_write_metadata(sb_cpstore_t *cs, int64_t id, json_t *meta, sb_err_t *err);
/* Reads and verifies _metadata; a missing one is an error too. */
int sb_cpstore_read_metadata(sb_cpstore_t *cs, int64_t id, json_t **meta, sb_err_t *err);

/* The ids _completed lists, newest first. Returns 1 (read and verified), 0
 * when there is none, -1 when it is damaged (err says how) or unreadable. */
int sb_cpstore_read_completed(sb_cpstore_t *cs, int64_t *ids, int *count, sb_err_t *err);

/* *latest_completed: highest completed id (a _metadata object, or listed in
 * a _completed that verifies; 0 if none); *max_id: highest id ever
 * triggered (0 if none). Nothing but _completed is read. */
int sb_cpstore_scan(sb_cpstore_t *cs, int64_t *latest_completed, int64_t *max_id,
                    sb_err_t *err);

/* One completed checkpoint a restore refused, and where it went next. */
typedef struct sb_cpstore_refusal {
    int64_t checkpoint;
    char file[64];                          /* "chk-7/map-1.json" */
    char reason[SB_CPSTORE_REASON_BYTES_MAX]; /* the sentence, file first */
    int64_t next;                           /* the next one tried, 0: none */
} sb_cpstore_refusal_t;

/* What a restore starts from. */
typedef struct sb_cpstore_restore {
    int64_t id;                 /* the checkpoint to restore; 0: none completed
                                   (start from the beginning) */
    int64_t max_id;             /* the highest id ever triggered */
    int completed_count;        /* completed ids known, at most ..._MAX */
    sb_cpstore_refusal_t refused[SB_CPSTORE_REFUSALS_MAX];
    int refused_count;
    bool none_whole;            /* completed checkpoints exist, none usable:
                                   the job cannot restore (id is 0) */
    char completed_list[SB_CPSTORE_REASON_BYTES_MAX]; /* "" or why _completed
                                   was not used (missing, damaged) */
} sb_cpstore_restore_t;

/* Chooses the checkpoint to restore: the completed ones newest first, the
 * first whose _metadata, every task's snapshot and every channel state
 * they reference verify. A fallback (a checkpoint older than the newest
 * completed) must not be older than `published_upto`, the newest
 * checkpoint whose output a sink has published: restoring it would publish
 * records twice. `verify` false (the restore-unverified mutant) takes the
 * newest completed one unread. Returns -1 only when storage cannot be
 * listed; "nothing whole" is r->none_whole. */
int sb_cpstore_pick_restore(sb_cpstore_t *cs, const char *const *tasks, int tasks_count,
                            int64_t published_upto, bool verify, sb_cpstore_restore_t *r,
                            sb_err_t *err);

/* One sentence for r->none_whole: every refusal, newest first. */
void sb_cpstore_restore_failure(const sb_cpstore_restore_t *r, char *buf, size_t len);

/* Checks one checkpoint file ("_metadata", "map-0.json", "map-0.channel",
 * or "" for _completed with id 0) as a restore would: 0, or -1 with the
 * sentence. For checkers and tests. */
int sb_cpstore_verify_file(sb_cpstore_t *cs, int64_t id, const char *name, sb_err_t *err);

/* Deletes completed checkpoints beyond the newest num_retained, and
 * abandoned ones older than the latest completed (completed as scan says). */
int sb_cpstore_retain(sb_cpstore_t *cs, sb_err_t *err);

#endif
