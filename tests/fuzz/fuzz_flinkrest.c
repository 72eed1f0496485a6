/* fuzz_flinkrest.c — libFuzzer harness: the Flink driver's flink/rest.json
 * (runtime/flink_stats.c), the raw answers of Flink's REST API, read back
 * from a run folder.
 *
 * The input is the file. Besides "no crash, no leak, no undefined
 * behaviour", whatever events the reader makes of it must make a trace
 * that snapbed's own readers take: merged with a driver's run_started and
 * run_finished, written as trace.jsonl and read by ckstats, which must not
 * fail (an event the reader made that its readers refuse is a bug). */
#include "ckstats.h"
#include "flink_stats.h"
#include "fuzz_common.h"

static const char DRIVER[] = "[{\"t_ns\":0,\"pid\":1,\"event\":\"run_started\"},"
                             "{\"t_ns\":1,\"pid\":1,\"event\":\"run_finished\"}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_planted(data, size);
    char path[512];
    fuzz_write("rest.json", data, size, path, sizeof path);
    sb_err_t err = { { 0 } };
    json_t *events = sb_flink_stats_events_from_file(path, 2, &err);
    if (events == NULL)
        return 0;
    json_t *driver = json_loads(DRIVER, 0, NULL);
    json_t *merged = sb_flink_stats_merge(driver, events, &err);
    if (merged == NULL) {
        fprintf(stderr, "fuzz_flinkrest: merge failed: %s\n", err.msg);
        abort();
    }
    snprintf(path, sizeof path, "%s/trace.jsonl", fuzz_dir());
    if (sb_flink_stats_write_trace(merged, path, &err) != 0) {
        fprintf(stderr, "fuzz_flinkrest: trace not written: %s\n", err.msg);
        abort();
    }
    sb_ckstats_t st;
    if (sb_ckstats_from_trace(&st, path, &err) != 0) {
        fprintf(stderr, "fuzz_flinkrest: ckstats refused the trace: %s\n", err.msg);
        abort();
    }
    sb_ckstats_free(&st);
    json_decref(merged);
    json_decref(driver);
    json_decref(events);
    return 0;
}
