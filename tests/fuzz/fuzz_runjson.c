/* fuzz_runjson.c — libFuzzer harness: the files of a run folder that
 * snapbed reads back from a folder a user hands it. `snapbed report DIR`
 * (viz/report.c) reads summary.json, checkpoints.json, viz/timeline.svg
 * (inlined when plain) and scenario.yaml; the worker reads the input
 * description input.json (runtime/job.c, sb_job_input_load).
 *
 * Byte 0 picks the file (b % 5, in that order) and the rest is its
 * content; the run folder around it holds a one-line trace. The suite
 * runner's reading of summary.json (cli/suite.c) is not here: it reads
 * only what its own child run wrote a moment before. */
#include "fuzz_common.h"
#include "job.h"
#include "report.h"

static const char *const FILES[] = { "summary.json", "checkpoints.json", "viz/timeline.svg",
                                     "scenario.yaml", "input.json" };
#define FILES_COUNT (sizeof FILES / sizeof FILES[0])

static const char TRACE[] = "{\"t_ns\":1,\"pid\":1,\"event\":\"run_started\"}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_planted(data, size);
    if (size < 1)
        return 0;
    size_t which = data[0] % FILES_COUNT;
    char path[512];
    for (size_t i = 0; i < FILES_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir(), FILES[i]);
        unlink(path);
    }
    fuzz_write("trace.jsonl", (const uint8_t *)TRACE, sizeof TRACE - 1, path, sizeof path);
    fuzz_write(FILES[which], data + 1, size - 1, path, sizeof path);
    sb_err_t err = { { 0 } };
    if (which == FILES_COUNT - 1) {
        sb_job_input_t in;
        (void)sb_job_input_load(&in, path, &err);
        return 0;
    }
    if (sb_report_write(fuzz_dir(), &err) != 0) {
        fprintf(stderr, "fuzz_runjson: the report failed on a run folder: %s\n", err.msg);
        abort();
    }
    return 0;
}
