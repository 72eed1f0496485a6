/* coordinator.h — the checkpoint coordinator's decisions, pure.
 *
 * No threads, clocks or I/O: the driver passes the time in. It decides when
 * to trigger (interval, max-concurrent, min-pause), when a checkpoint has
 * every ack and completes, when one times out, and when too many consecutive
 * failures fail the job (tolerable-failed-checkpoints). When a checkpoint
 * completes, older pending ones are subsumed (aborted), as in Flink. For
 * bounded input, once every source has finished the driver asks for a final
 * checkpoint, which is triggered as soon as nothing is pending. */
#ifndef SB_COORDINATOR_H
#define SB_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#define SB_COORD_PENDING_MAX 8
#define SB_COORD_TASKS_MAX 128

typedef struct sb_coord_config {
    int64_t interval_ns;
    int64_t timeout_ns;
    int max_concurrent;
    int64_t min_pause_ns;
    int tolerable_failed;
    int tasks;                   /* acks needed per checkpoint */
} sb_coord_config_t;

typedef struct sb_coord_pending {
    int64_t id;
    int64_t trigger_ns;
    int acks;
    bool acked[SB_COORD_TASKS_MAX];
} sb_coord_pending_t;

typedef enum sb_coord_abort_reason {
    SB_ABORT_NONE = 0,
    SB_ABORT_TIMEOUT,
    SB_ABORT_SUBSUMED,
    SB_ABORT_DECLINED,           /* a subtask could not take its part */
} sb_coord_abort_reason_t;

#define SB_COORD_OUT_ABORTS_MAX SB_COORD_PENDING_MAX

/* What the driver must do after an event. */
typedef struct sb_coord_out {
    int64_t trigger_id;          /* trigger this checkpoint now, or 0 */
    bool trigger_is_final;
    int64_t completed_id;        /* write _metadata and notify, or 0 */
    int aborts;
    int64_t aborted_id[SB_COORD_OUT_ABORTS_MAX];
    sb_coord_abort_reason_t aborted_reason[SB_COORD_OUT_ABORTS_MAX];
    bool job_failed;             /* more consecutive failures than tolerated */
} sb_coord_out_t;

typedef struct sb_coord {
    sb_coord_config_t cfg;
    int64_t next_id;
    sb_coord_pending_t pending[SB_COORD_PENDING_MAX];
    int pending_count;
    int64_t start_ns;
    int64_t last_trigger_ns;     /* -1: never */
    int64_t last_end_ns;         /* last completion or abort; -1: never */
    int failed_consecutive;
    int failed_before_completion; /* failed_consecutive before the last
                                     completion reset it (see sb_coord_fail) */
    int64_t last_completed_id;
    bool final_requested;
    int64_t final_id;            /* the final checkpoint once triggered */
    bool final_completed;
} sb_coord_t;

/* first_id: the first id to use (above every id ever triggered). */
void sb_coord_init(sb_coord_t *c, const sb_coord_config_t *cfg, int64_t first_id,
                   int64_t now_ns);

/* Timeouts and triggers due at now_ns. */
void sb_coord_tick(sb_coord_t *c, int64_t now_ns, sb_coord_out_t *out);

/* Task `task` acknowledged checkpoint `id`. Acks for unknown (aborted or
 * completed) checkpoints are ignored. */
void sb_coord_ack(sb_coord_t *c, int64_t id, int task, int64_t now_ns,
                  sb_coord_out_t *out);

/* A subtask declined checkpoint `id` (e.g. its channel state outgrew its
 * bound): it cannot complete, so it is aborted now rather than at its
 * timeout. A failure, as in Flink. Unknown ids are ignored. */
void sb_coord_decline(sb_coord_t *c, int64_t id, int64_t now_ns, sb_coord_out_t *out);

/* The driver failed to persist checkpoint `id` (e.g. _metadata write). */
void sb_coord_fail(sb_coord_t *c, int64_t id, int64_t now_ns, sb_coord_out_t *out);

/* Every source has finished: take one last checkpoint. */
void sb_coord_request_final(sb_coord_t *c);

const char *sb_coord_abort_reason_name(sb_coord_abort_reason_t r);

#endif
