/* timeline.h — the supervisor's timed faults: pauses of the worker
 * (SIGSTOP/SIGCONT), crash loops, throttles and stalls of a stage, faults of
 * the embedded Kafka (through librdkafka's mock cluster API) and network
 * toxics on the fault proxy toward S3. Each starts `at` a time after the job
 * started and ends `for` later (or at the end of the run). Every start and
 * end goes into the trace (fault_started / fault_ended), so the verdict and
 * the pictures can place them. */
#ifndef SB_TIMELINE_H
#define SB_TIMELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "progress.h"
#include "scenario.h"
#include "trace.h"

#define SB_TIMELINE_BROKERS_MAX 8
#define SB_TIMELINE_BROKER_OPS_MAX 64     /* queued embedded-broker changes */

struct rd_kafka_mock_cluster_s;
struct sb_proxy;

typedef struct sb_timeline {
    const sb_scenario_t *s;
    sb_trace_t *trace;
    sb_progress_t *progress;
    struct rd_kafka_mock_cluster_s *mock;   /* NULL with a real broker */
    const char *topic;
    struct sb_proxy *s3_proxy;              /* NULL without network faults */
    struct sb_proxy *kafka_proxies[SB_TIMELINE_BROKERS_MAX]; /* one per broker */
    int kafka_proxies_count;
    bool started[SB_SCENARIO_FAULTS_MAX];
    bool ended[SB_SCENARIO_FAULTS_MAX];
    int loop_kills_left[SB_SCENARIO_FAULTS_MAX];
    pid_t paused_pid;                       /* 0: not paused */
    pid_t ready_pid;                        /* the worker whose start we saw */
    pid_t restart_pid;                      /* a real broker's restart, running */
    /* Embedded-broker changes run on their own thread, in order: a mock
     * API call waits for the mock cluster's thread, which can itself wait
     * on a stopped worker, and the supervisor's loop must not wait too. */
    pthread_t broker_thread;
    bool broker_thread_started;
    pthread_mutex_t broker_lock;
    pthread_cond_t broker_cond;
    int broker_ops[SB_TIMELINE_BROKER_OPS_MAX][2]; /* fault index, on */
    int broker_ops_head, broker_ops_count;
    bool broker_busy, broker_quit;
    int64_t ready_ns;
    /* engine: flink: the process a pause stops (a TaskManager), by fault;
     * NULL: the worker given to sb_timeline_tick. */
    pid_t (*target_pid)(void *ctx, int fault);
    void *target_ctx;
} sb_timeline_t;

/* Faults this run cannot inject (broker faults need the embedded Kafka,
 * network faults an s3:// store): one sentence, before anything runs. */
int sb_timeline_check(const sb_scenario_t *s, bool embedded_kafka, bool uses_s3, sb_err_t *err);

void sb_timeline_init(sb_timeline_t *tl, const sb_scenario_t *s, sb_trace_t *trace,
                      sb_progress_t *progress, struct rd_kafka_mock_cluster_s *mock,
                      const char *topic, struct sb_proxy *s3_proxy);

/* The proxies in front of the Kafka brokers, for { network: kafka }. */
void sb_timeline_set_kafka_proxies(sb_timeline_t *tl, struct sb_proxy **proxies, int count);

/* A real broker's pid file and restart command come from
 * SNAPBED_KAFKA_PIDFILE and SNAPBED_KAFKA_RESTART, and the commands that cut
 * it off the network and connect it again from SNAPBED_KAFKA_PARTITION and
 * SNAPBED_KAFKA_HEAL; with several brokers (scripts/kafka.sh cluster) each
 * may hold one "%d", the fault's broker id (1 when the fault names none). */

/* Starts and ends what is due `elapsed_ns` after the job started, for the
 * worker `pid`. Returns the index of a crash-loop fault whose kill of this
 * worker is due now (the caller kills it), or -1. */
int sb_timeline_tick(sb_timeline_t *tl, pid_t pid, int64_t elapsed_ns, int64_t now_ns);

/* The worker `pid` is gone: a pause of it is over. */
void sb_timeline_worker_gone(sb_timeline_t *tl, pid_t pid);

/* Ends everything still active (the job is over). */
void sb_timeline_finish(sb_timeline_t *tl);

/* Whether fault `index` (a timed one) was started. */
bool sb_timeline_fired(const sb_timeline_t *tl, int index);

#endif
