/* kafka.c — see kafka.h. */
#include "kafka.h"

#include <arpa/inet.h>
#include <errno.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "input.h"

#define PRODUCE_PROGRESS_EVERY 20000

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, sb_err_t *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return sb_err_set(err, "Kafka setting %s=%s: %s", k, v, errstr);
    return 0;
}

/* librdkafka logs every refused connection while it retries; the caller
 * reports what finally failed, in one sentence. Only critical messages pass. */
static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 2)
        fprintf(stderr, "librdkafka %s: %s\n", fac, buf);
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf, sb_err_t *err)
{
    char errstr[512];
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        sb_err_set(err, "cannot create Kafka client: %s", errstr);
    }
    return rk;
}

int sb_kafka_mock_start(sb_kafka_mock_t *m, sb_err_t *err)
{
    memset(m, 0, sizeof *m);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set(conf, "log_level", "3", err) != 0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    m->rk = new_client(RD_KAFKA_PRODUCER, conf, err);
    if (m->rk == NULL)
        return -1;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(m->rk, SB_KAFKA_MOCK_BROKERS);
    m->cluster = mc;
    if (mc == NULL) {
        rd_kafka_destroy(m->rk);
        m->rk = NULL;
        return sb_err_set(err, "cannot start the embedded Kafka (librdkafka mock cluster)");
    }
    snprintf(m->bootstrap, sizeof m->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(mc));
    return 0;
}

void sb_kafka_mock_stop(sb_kafka_mock_t *m)
{
    if (m->rk == NULL)
        return;
    /* The cluster goes before the handle it was created with. */
    if (m->cluster != NULL)
        rd_kafka_mock_cluster_destroy(m->cluster);
    m->cluster = NULL;
    rd_kafka_destroy(m->rk);
    m->rk = NULL;
}

static int create_topic_admin(const char *bootstrap, const char *topic, int partitions,
                              sb_err_t *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set(conf, "bootstrap.servers", bootstrap, err) != 0) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf, err);
    if (rk == NULL)
        return -1;
    char errstr[512];
    /* -1: the broker's default.replication.factor, so that a three-broker
     * cluster (scripts/kafka.sh cluster) replicates the input three times
     * and a single broker keeps its one copy. */
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1, errstr, sizeof errstr);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opt, SB_KAFKA_TIMEOUT_MS, errstr, sizeof errstr);
    rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, SB_KAFKA_TIMEOUT_MS + 2000);
    int rc = 0;
    if (ev == NULL) {
        rc = sb_err_set(err, "Kafka broker %s did not answer CreateTopics for %s within %d ms",
                        bootstrap, topic, SB_KAFKA_TIMEOUT_MS);
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = sb_err_set(err, "cannot create topic %s on %s: %s (%s)", topic, bootstrap,
                        rd_kafka_event_error_string(ev),
                        rd_kafka_err2name(rd_kafka_event_error(ev)));
    } else {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
        for (size_t i = 0; i < n && rc == 0; i++)
            if (rd_kafka_topic_result_error(tr[i]) != RD_KAFKA_RESP_ERR_NO_ERROR)
                rc = sb_err_set(err, "cannot create topic %s on %s: %s (%s)", topic, bootstrap,
                                rd_kafka_topic_result_error_string(tr[i]),
                                rd_kafka_err2name(rd_kafka_topic_result_error(tr[i])));
    }
    if (ev != NULL)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int sb_kafka_topic_create(sb_kafka_mock_t *mock, const char *bootstrap, const char *topic,
                          int partitions, sb_err_t *err)
{
    if (mock == NULL)
        return create_topic_admin(bootstrap, topic, partitions, err);
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mock->cluster, topic, partitions, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return sb_err_set(err, "cannot create topic %s on the embedded Kafka: %s", topic,
                          rd_kafka_err2name(e));
    return 0;
}

typedef struct delivery {
    _Atomic int64_t delivered;
    _Atomic int64_t failed;
    rd_kafka_resp_err_t first_error;
} delivery_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    delivery_t *d = opaque;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (atomic_fetch_add(&d->failed, 1) == 0)
            d->first_error = m->err;
    } else {
        atomic_fetch_add(&d->delivered, 1);
    }
}

static rd_kafka_t *new_producer(const char *bootstrap, delivery_t *d, sb_err_t *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[][2] = {
        { "bootstrap.servers", bootstrap },
        { "linger.ms", "5" },
        { "batch.num.messages", "10000" },
        { "queue.buffering.max.messages", "1000000" },
        { "enable.idempotence", "true" }, /* no duplicates in the input */
        { "message.timeout.ms", "30000" },
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (conf_set(conf, kv[i][0], kv[i][1], err) != 0) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_conf_set_opaque(conf, d);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    return new_client(RD_KAFKA_PRODUCER, conf, err);
}

int sb_kafka_produce_input(const char *bootstrap, const char *topic, int partitions,
                           int64_t records, uint64_t seed, int record_bytes,
                           sb_kafka_progress_fn fn, void *ctx, sb_err_t *err)
{
    delivery_t d = { 0 };
    rd_kafka_t *rk = new_producer(bootstrap, &d, err);
    if (rk == NULL)
        return -1;
    int rc = 0;
    for (int64_t i = 0; i < records && rc == 0; i++) {
        char w[SB_INPUT_RECORD_BYTES_MAX];
        size_t len = sb_input_value(seed, i, record_bytes, w);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                RD_KAFKA_V_VALUE(w, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                rc = sb_err_set(err, "cannot produce to %s on %s: %s", topic, bootstrap,
                                rd_kafka_err2name(e));
            break;
        }
        if (i % PRODUCE_PROGRESS_EVERY == 0) {
            rd_kafka_poll(rk, 0);
            if (fn != NULL)
                fn(atomic_load(&d.delivered), records, ctx);
        }
    }
    if (rc == 0) {
        rd_kafka_resp_err_t e = rd_kafka_flush(rk, 60000);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            rc = sb_err_set(err, "producing to %s on %s did not finish: %s", topic, bootstrap,
                            rd_kafka_err2name(e));
    }
    rd_kafka_poll(rk, 0);
    if (rc == 0 && atomic_load(&d.failed) > 0)
        rc = sb_err_set(err, "%lld records were not delivered to %s on %s: %s",
                        (long long)atomic_load(&d.failed), topic, bootstrap,
                        rd_kafka_err2name(d.first_error));
    if (fn != NULL && rc == 0)
        fn(atomic_load(&d.delivered), records, ctx);
    rd_kafka_destroy(rk);
    return rc;
}

/* Connection redirects (SNAPBED_KAFKA_REDIRECT="PORT>PORT,…"): the fault
 * harness puts a proxy in front of each broker and tells the worker, which
 * then connects to the proxy wherever librdkafka meant the broker. */
#define REDIRECTS_MAX 16
static int redirect_from[REDIRECTS_MAX], redirect_to[REDIRECTS_MAX], redirects;

static void redirects_load(void)
{
    static bool loaded;
    if (loaded)
        return;
    loaded = true;
    const char *spec = getenv("SNAPBED_KAFKA_REDIRECT");
    for (const char *p = spec; p != NULL && *p && redirects < REDIRECTS_MAX;) {
        int from = 0, to = 0, used = 0;
        if (sscanf(p, "%d>%d%n", &from, &to, &used) != 2)
            break;
        redirect_from[redirects] = from;
        redirect_to[redirects++] = to;
        p += used;
        if (*p == ',')
            p++;
    }
}

static int redirect_connect(int fd, const struct sockaddr *addr, int addrlen, const char *id,
                            void *opaque)
{
    (void)id;
    (void)opaque;
    struct sockaddr_in in;
    if (addr->sa_family == AF_INET && (size_t)addrlen >= sizeof in) {
        memcpy(&in, addr, sizeof in);
        for (int i = 0; i < redirects; i++)
            if (ntohs(in.sin_port) == redirect_from[i]) {
                in.sin_port = htons((uint16_t)redirect_to[i]);
                addr = (const struct sockaddr *)&in;
                break;
            }
    }
    if (connect(fd, addr, (socklen_t)addrlen) == -1 && errno != EINPROGRESS)
        return errno;
    return 0;
}

rd_kafka_t *sb_kafka_consumer_new(const char *bootstrap, const char *group, sb_err_t *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[][2] = {
        { "bootstrap.servers", bootstrap },
        { "group.id", group },           /* assign() needs one; it decides nothing */
        { "enable.auto.commit", "false" },
        { "enable.auto.offset.store", "false" },
        { "auto.offset.reset", "error" }, /* never skip data silently */
        { "fetch.wait.max.ms", "10" },
        { "fetch.min.bytes", "1" },
        { "queued.min.messages", "200000" },
        { "log_level", "3" },
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (conf_set(conf, kv[i][0], kv[i][1], err) != 0) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    redirects_load();
    if (redirects > 0)
        rd_kafka_conf_set_connect_cb(conf, redirect_connect);
    return new_client(RD_KAFKA_CONSUMER, conf, err);
}

int sb_kafka_watermarks(const char *bootstrap, const char *topic, int partitions,
                        int64_t *low, int64_t *high, sb_err_t *err)
{
    rd_kafka_t *rk = sb_kafka_consumer_new(bootstrap, "snapbed-watermarks", err);
    if (rk == NULL)
        return -1;
    int rc = 0;
    for (int p = 0; p < partitions && rc == 0; p++) {
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &low[p], &high[p],
                                                                 SB_KAFKA_TIMEOUT_MS);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            rc = sb_err_set(err, "cannot read the offsets of %s [%d] on %s: %s", topic, p,
                            bootstrap, rd_kafka_err2name(e));
    }
    rd_kafka_destroy(rk);
    return rc;
}

int sb_kafka_read_all(const char *bootstrap, const char *topic, int partitions,
                      const int64_t *low, const int64_t *high, sb_kafka_record_fn fn,
                      void *ctx, sb_err_t *err)
{
    rd_kafka_t *rk = sb_kafka_consumer_new(bootstrap, "snapbed-verify", err);
    if (rk == NULL)
        return -1;
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(partitions);
    int64_t left = 0;
    for (int p = 0; p < partitions; p++) {
        if (high[p] > low[p])
            rd_kafka_topic_partition_list_add(tp, topic, p)->offset = low[p];
        left += high[p] - low[p];
    }
    int rc = 0;
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, tp);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        rc = sb_err_set(err, "cannot assign %s on %s: %s", topic, bootstrap, rd_kafka_err2name(e));
    /* A batch per call, as the job's source reads (runtime/job.c): the
     * queue lock and the clock are paid per batch, not per message. */
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    if (q == NULL && rc == 0)
        rc = sb_err_set(err, "reading %s back from %s: no consumer queue", topic, bootstrap);
    rd_kafka_message_t *ms[SB_KAFKA_READ_BATCH];
    int64_t idle_since = sb_clock_now_ns();
    while (rc == 0 && left > 0) {
        /* No more than what is left, so that the last call does not wait
         * out its timeout for a batch that cannot fill. */
        size_t want = left < SB_KAFKA_READ_BATCH ? (size_t)left : SB_KAFKA_READ_BATCH;
        ssize_t n = rd_kafka_consume_batch_queue(q, 0, ms, want);
        if (n == 0)
            n = rd_kafka_consume_batch_queue(q, 100, ms, want);
        if (n < 0) {
            rc = sb_err_set(err, "reading %s back from %s: %s", topic, bootstrap,
                            rd_kafka_err2name(rd_kafka_last_error()));
            break;
        }
        if (n == 0) {
            if (sb_clock_now_ns() - idle_since > (int64_t)SB_KAFKA_TIMEOUT_MS * SB_NS_PER_MS)
                rc = sb_err_set(err, "reading %s back from %s: no data for %d ms with %lld "
                                "records still expected", topic, bootstrap, SB_KAFKA_TIMEOUT_MS,
                                (long long)left);
            continue;
        }
        idle_since = sb_clock_now_ns();
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = ms[i];
            if (rc != 0 || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                /* a failure ends the read; the rest of the batch is dropped */
            } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rc = sb_err_set(err, "reading %s back from %s: %s", topic, bootstrap,
                                rd_kafka_err2name(m->err));
            } else if (m->offset < high[m->partition]) {
                left--;
                rc = fn(m->partition, m->offset, m->payload, m->len, ctx);
            }
            rd_kafka_message_destroy(m);
        }
    }
    if (q != NULL)
        rd_kafka_queue_destroy(q);
    rd_kafka_topic_partition_list_destroy(tp);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
