/* sink.h — the exactly-once sink's two-phase commit, for one sink subtask.
 *
 * Between two barriers the sink buffers its output in memory. On barrier N
 * (sb_sink_stage) it uploads the buffer as a multipart upload named for
 * (subtask, N) and records it as pending: the upload is invisible. The
 * pending list is the sink's snapshot. When the coordinator says that
 * checkpoint C completed, sb_sink_commit completes every pending upload of
 * a checkpoint <= C, which publishes them. On restore from checkpoint R,
 * the pending uploads in R's snapshot are completed (idempotently: one
 * completed before the crash is left as it is), and every other upload of
 * this subtask — staged for a checkpoint that never completed — is aborted.
 *
 * Object keys are "part-<subtask:3>-<checkpoint:12>", so that a sorted
 * listing is ordered by subtask, then checkpoint; checkpoint ids never
 * repeat, so a published object is never rewritten. */
#ifndef SB_SINK_H
#define SB_SINK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "trace.h"

#define SB_SINK_PART_BYTES (8u << 20)        /* multipart part size */
#define SB_SINK_EPOCH_BYTES_MAX (512u << 20) /* output between two barriers */
#define SB_SINK_PENDING_MAX 64               /* staged, uncommitted checkpoints */
#define SB_SINK_NAME_BYTES_MAX 32

typedef struct sb_sink_pending {
    int64_t checkpoint_id;
    char key[SB_STORE_KEY_BYTES_MAX];
    char upload_id[SB_STORE_UPLOAD_ID_BYTES_MAX];
    int parts;
} sb_sink_pending_t;

typedef struct sb_sink {
    sb_store_t *store;
    sb_trace_t *trace;               /* may be NULL */
    int subtask;
    char name[SB_SINK_NAME_BYTES_MAX];
    char *buf;
    size_t buf_len, buf_cap;
    sb_sink_pending_t pending[SB_SINK_PENDING_MAX];
    int pending_count;
    int64_t committed_upto;          /* newest completed checkpoint committed */
    bool mutant_overwrite;           /* SB_MUTANT_OVERWRITE_PUBLISHED */
    /* Called after each upload a commit publishes (may be NULL): where a
     * fault harness can crash between two uploads of one commit. Returns
     * false when the incarnation died there (the simulator: a real crash
     * never returns); the commit then stops, SB_SINK_STOPPED. */
    bool (*on_published)(void *ctx, int64_t checkpoint_id);
    void *on_published_ctx;
    /* Where the sink's events (sink_stage, sink_commit, sink_abort) go
     * instead of `trace` (may be NULL): the simulator's virtual-time trace.
     * It takes ownership of `fields`, which has no "task" (emit knows). */
    void (*emit)(void *ctx, const char *event, json_t *fields);
    void *emit_ctx;
} sb_sink_t;

void sb_sink_init(sb_sink_t *k, sb_store_t *store, sb_trace_t *trace, int subtask,
                  const char *name);
void sb_sink_destroy(sb_sink_t *k);

/* Buffers one output line "<partition>:<offset> <value>". Fails when the
 * buffer would exceed SB_SINK_EPOCH_BYTES_MAX. */
int sb_sink_append(sb_sink_t *k, int32_t partition, int64_t offset, const char *value,
                   size_t len, sb_err_t *err);

/* Barrier `id`: stages the buffered output as pending (nothing if empty). */
int sb_sink_stage(sb_sink_t *k, int64_t id, sb_err_t *err);

/* The snapshot: {"pending": [{checkpoint, key, upload_id, parts}, …]}. */
json_t *sb_sink_state(const sb_sink_t *k);

enum { SB_SINK_STOPPED = 1 };

/* Checkpoint `upto` completed: publishes every pending upload <= upto.
 * Returns 0, SB_SINK_STOPPED when on_published said the incarnation died
 * (what is left stays pending), or -1 on error. */
int sb_sink_commit(sb_sink_t *k, int64_t upto, sb_err_t *err);

/* Restores from the snapshot of completed checkpoint `restored_id` (state
 * may be NULL when nothing was restored), then aborts orphan uploads.
 * Returns 0, SB_SINK_STOPPED (see sb_sink_commit) or -1. */
int sb_sink_restore(sb_sink_t *k, json_t *state, int64_t restored_id, sb_err_t *err);

/* Aborts every upload of this subtask that is not pending: uploads of
 * checkpoints that never completed, and duplicates left when a retried
 * CreateMultipartUpload had in fact succeeded the first time (its answer
 * lost). Done on restore and once the final checkpoint is committed. */
int sb_sink_abort_orphans(sb_sink_t *k, sb_err_t *err);

/* The newest checkpoint any sink subtask published output for (0: none):
 * a restore must not fall back below it (checkpoint_store.h). */
int sb_sink_published_upto(sb_store_t *store, int64_t *upto, sb_err_t *err);

void sb_sink_key(int subtask, int64_t checkpoint_id, char *buf, size_t len);
/* Returns 1 and fills the numbers if `key` is a sink object key. */
int sb_sink_key_parse(const char *key, int *subtask, int64_t *checkpoint_id);

#endif
