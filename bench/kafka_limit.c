/* kafka_limit.c — the local limit: how fast librdkafka alone reads the
 * input topic, with no processing and no sink. The pipeline cannot beat it.
 *
 *   bench_kafka_limit --mock --records N [--partitions P] [--record-bytes B] [--seed S] [--runs R]
 *   bench_kafka_limit --bootstrap HOST:PORT --topic T [--partitions P] [--runs R]
 *   bench_kafka_limit --bootstrap HOST:PORT --topic T --records N [...]
 *
 * With --mock it starts librdkafka's mock cluster in this process; with
 * --records it creates the topic and fills it with the seeded input,
 * through the same runtime/kafka.c calls the supervisor uses (so the topic
 * holds what `snapbed run` would read). With --bootstrap and no --records
 * it reads a topic that exists already, such as the one a `snapbed run
 * --kafka` just produced. Each of R passes reads every
 * partition from its low to its high watermark with the consumer settings
 * of the job's source (sb_kafka_consumer_new: explicit assign, low fetch
 * wait, a batch of messages per call), through sb_kafka_read_all, counting
 * records and value bytes.
 *
 * Prints one JSON object per pass: `seconds` from the start of the pass
 * (client creation, connection, assign) to the last record, and
 * `steady_seconds` from the first record to the last. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "input.h"
#include "kafka.h"
#include "scenario.h"

#define PARTITIONS_MAX SB_SCENARIO_PARTITIONS_MAX
#define RUNS_MAX 100

typedef struct pass {
    int64_t records, value_bytes;
    int64_t first_ns, last_ns;
} pass_t;

static int on_record(int32_t partition, int64_t offset, const char *value, size_t len,
                     void *ctx)
{
    (void)partition;
    (void)offset;
    (void)value;
    pass_t *p = ctx;
    int64_t now = sb_clock_now_ns();
    if (p->records == 0)
        p->first_ns = now;
    p->last_ns = now;
    p->records++;
    p->value_bytes += (int64_t)len;
    return 0;
}

typedef struct options {
    bool mock;
    const char *bootstrap, *topic;
    int partitions, record_bytes, runs;
    int64_t records;
    uint64_t seed;
} options_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_kafka_limit --mock --records N [--partitions P] [--record-bytes B]\n"
            "                         [--seed S] [--runs R]\n"
            "       bench_kafka_limit --bootstrap HOST:PORT --topic T [--partitions P] [--runs R]\n");
}

static int parse(options_t *o, int argc, char **argv)
{
    static const struct option opts[] = {
        { "mock", no_argument, NULL, 'm' },
        { "bootstrap", required_argument, NULL, 'b' },
        { "topic", required_argument, NULL, 't' },
        { "partitions", required_argument, NULL, 'p' },
        { "records", required_argument, NULL, 'n' },
        { "record-bytes", required_argument, NULL, 'B' },
        { "seed", required_argument, NULL, 's' },
        { "runs", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    *o = (options_t){ .partitions = 4, .runs = 3, .seed = 42, .topic = "bench-input" };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o->mock = true; break;
        case 'b': o->bootstrap = optarg; break;
        case 't': o->topic = optarg; break;
        case 'p': o->partitions = atoi(optarg); break;
        case 'n': o->records = atoll(optarg); break;
        case 'B': o->record_bytes = atoi(optarg); break;
        case 's': o->seed = strtoull(optarg, NULL, 10); break;
        case 'r': o->runs = atoi(optarg); break;
        default: return -1;
        }
    }
    if (optind != argc || o->mock == (o->bootstrap != NULL) || o->partitions < 1 ||
        o->partitions > PARTITIONS_MAX || o->runs < 1 || o->runs > RUNS_MAX ||
        o->record_bytes < 0 || o->record_bytes > SB_INPUT_RECORD_BYTES_MAX ||
        (o->mock && o->records < 1) || o->records < 0)
        return -1;
    return 0;
}

static int fill(sb_kafka_mock_t *mock_or_null, const char *bootstrap, const options_t *o,
                sb_err_t *err)
{
    if (sb_kafka_topic_create(mock_or_null, bootstrap, o->topic, o->partitions, err) != 0)
        return -1;
    int64_t t0 = sb_clock_now_ns();
    if (sb_kafka_produce_input(bootstrap, o->topic, o->partitions, o->records, o->seed,
                               o->record_bytes, NULL, NULL, err) != 0)
        return -1;
    fprintf(stderr, "bench_kafka_limit: produced %" PRId64 " records into %s on %s in %.2f s\n",
            o->records, o->topic, mock_or_null != NULL ? "the mock cluster" : bootstrap,
            (double)(sb_clock_now_ns() - t0) / 1e9);
    return 0;
}

/* A fresh topic starts at offset 0 unless the broker dropped records (the
 * mock keeps about 5 MB per partition): then the pass would read less than
 * was asked for and the rate would be of another input. */
static int check_whole(const options_t *o, const int64_t *low, sb_err_t *err)
{
    for (int p = 0; p < o->partitions; p++)
        if (low[p] != 0)
            return sb_err_set(err, "%s [%d] starts at offset %" PRId64 " after producing: the "
                              "broker dropped the oldest records; use more partitions", o->topic,
                              p, low[p]);
    return 0;
}

int main(int argc, char **argv)
{
    options_t o;
    if (parse(&o, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    sb_err_t err = { { 0 } };
    sb_kafka_mock_t mock = { 0 };
    int rc = 0;
    if (o.mock && sb_kafka_mock_start(&mock, &err) != 0)
        rc = 1;
    const char *bootstrap = o.mock ? mock.bootstrap : o.bootstrap;
    if (rc == 0 && o.records > 0 && fill(o.mock ? &mock : NULL, bootstrap, &o, &err) != 0)
        rc = 1;
    int64_t low[PARTITIONS_MAX], high[PARTITIONS_MAX];
    if (rc == 0 && sb_kafka_watermarks(bootstrap, o.topic, o.partitions, low, high, &err) != 0)
        rc = 1;
    if (rc == 0 && o.records > 0 && check_whole(&o, low, &err) != 0)
        rc = 1;
    for (int r = 0; r < o.runs && rc == 0; r++) {
        pass_t p = { 0 };
        int64_t start = sb_clock_now_ns();
        if (sb_kafka_read_all(bootstrap, o.topic, o.partitions, low, high, on_record, &p,
                              &err) != 0) {
            rc = 1;
            break;
        }
        double s = (double)(p.last_ns - start) / 1e9;
        double steady = (double)(p.last_ns - p.first_ns) / 1e9;
        printf("{\"broker\": \"%s\", \"topic\": \"%s\", \"partitions\": %d, \"records\": %" PRId64
               ", \"value_bytes\": %" PRId64 ", \"seconds\": %.6f, \"steady_seconds\": %.6f, "
               "\"records_per_s\": %.0f, \"mb_per_s\": %.2f}\n",
               o.mock ? "mock" : bootstrap, o.topic, o.partitions, p.records, p.value_bytes, s,
               steady, s > 0 ? (double)p.records / s : 0.0,
               s > 0 ? (double)p.value_bytes / s / 1e6 : 0.0);
        fflush(stdout);
    }
    if (rc != 0)
        fprintf(stderr, "bench_kafka_limit: %s\n", err.msg);
    if (o.mock)
        sb_kafka_mock_stop(&mock);
    return rc;
}
