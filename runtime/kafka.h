/* kafka.h — the Kafka side of a run, on librdkafka.
 *
 * The embedded default is librdkafka's mock cluster, started in the
 * supervisor's process and reached by the worker over loopback; a real
 * broker given with --kafka is used the same way. The input is produced with
 * a real producer, its extent recorded as per-partition watermarks, and
 * read back at verification time so that the expected output comes from
 * what is actually in the topic. */
#ifndef SB_KAFKA_H
#define SB_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "err.h"

#define SB_KAFKA_BOOTSTRAP_BYTES_MAX 512
#define SB_KAFKA_MOCK_BROKERS 3
#define SB_KAFKA_TIMEOUT_MS 10000
#define SB_KAFKA_READ_BATCH 1024 /* messages per call when reading a topic back */

typedef struct sb_kafka_mock {
    rd_kafka_t *rk;                  /* the handle the cluster belongs to */
    struct rd_kafka_mock_cluster_s *cluster;
    char bootstrap[SB_KAFKA_BOOTSTRAP_BYTES_MAX];
} sb_kafka_mock_t;

int sb_kafka_mock_start(sb_kafka_mock_t *m, sb_err_t *err);
void sb_kafka_mock_stop(sb_kafka_mock_t *m);

/* Creates the topic (on the mock through its API; on a real broker through
 * the admin API). An existing topic is an error: a run needs fresh input. */
int sb_kafka_topic_create(sb_kafka_mock_t *mock_or_null, const char *bootstrap,
                          const char *topic, int partitions, sb_err_t *err);

typedef void (*sb_kafka_progress_fn)(int64_t done, int64_t total, void *ctx);

/* Produces `records` records of the seeded input (input.h: sb_input_value,
 * padded to record_bytes, 0 for the bare words), waiting for every delivery
 * report; any failed delivery is an error. */
int sb_kafka_produce_input(const char *bootstrap, const char *topic, int partitions,
                           int64_t records, uint64_t seed, int record_bytes,
                           sb_kafka_progress_fn fn, void *ctx, sb_err_t *err);

/* Per-partition [low, high) offsets. */
int sb_kafka_watermarks(const char *bootstrap, const char *topic, int partitions,
                        int64_t *low, int64_t *high, sb_err_t *err);

/* A consumer for explicit assignment (group.id set, no auto commit, low
 * fetch wait). */
rd_kafka_t *sb_kafka_consumer_new(const char *bootstrap, const char *group,
                                  sb_err_t *err);

/* Reads partitions [low, high) in full, calling fn for every message. */
typedef int (*sb_kafka_record_fn)(int32_t partition, int64_t offset, const char *value,
                                  size_t len, void *ctx);
int sb_kafka_read_all(const char *bootstrap, const char *topic, int partitions,
                      const int64_t *low, const int64_t *high, sb_kafka_record_fn fn,
                      void *ctx, sb_err_t *err);

#endif
