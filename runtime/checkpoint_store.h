/* checkpoint_store.h — checkpoint storage on an object store.
 *
 * Layout: <job>/chk-<N>/_triggered (written before any barrier of N is
 * sent), <job>/chk-<N>/<task>.json (one snapshot per subtask), for
 * unaligned checkpoints <job>/chk-<N>/<task>.channel (its channel state,
 * referenced from its snapshot and from _metadata), and
 * <job>/chk-<N>/_metadata. A checkpoint counts as completed only once its
 * _metadata exists (one atomic put). The latest completed checkpoint is the
 * highest N with a _metadata; the highest N with anything at all is the
 * highest id ever triggered, and the next incarnation starts above it so
 * that ids never repeat. */
#ifndef SB_CHECKPOINT_STORE_H
#define SB_CHECKPOINT_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "chstate.h"
#include "err.h"
#include "store.h"

typedef struct sb_cpstore {
    sb_store_t store;
    char job[128];
    int num_retained;
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

/* The commit point of checkpoint `id`. */
int sb_cpstore_write_metadata(sb_cpstore_t *cs, int64_t id, json_t *meta, sb_err_t *err);
int sb_cpstore_read_metadata(sb_cpstore_t *cs, int64_t id, json_t **meta, sb_err_t *err);

/* *latest_completed: highest id with _metadata (0 if none);
 * *max_id: highest id ever triggered (0 if none). */
int sb_cpstore_scan(sb_cpstore_t *cs, int64_t *latest_completed, int64_t *max_id,
                    sb_err_t *err);

/* Deletes completed checkpoints beyond the newest num_retained, and
 * abandoned ones older than the latest completed. */
int sb_cpstore_retain(sb_cpstore_t *cs, sb_err_t *err);

#endif
