/* fuzz_trace.c — libFuzzer harness: every reader of trace.jsonl on any
 * bytes. The input is written as a trace file, then read by the line
 * reader (runtime/trace.c), the consistent-cut checker (`snapbed check`,
 * verify/cut.c), the classic snapshot checker (verify/conserve.c, with
 * its first-line sniffing), the verdict's trace checks (verify/verdict.c),
 * the checkpoint statistics and the run's cuts for the pictures
 * (viz/ckstats.c, viz/runtrace.c), the classic run's pictures
 * (viz/cltrace.c) and the text trace (viz/texttrace.c).
 *
 * Every reader must refuse what it cannot read with an error and check
 * what it can: no crash, no assert, no unbounded allocation, no hang. */
#include <jansson.h>
#include <stdbool.h>

#include "ckstats.h"
#include "cltrace.h"
#include "conserve.h"
#include "cut.h"
#include "fuzz_common.h"
#include "runtrace.h"
#include "texttrace.h"
#include "trace.h"
#include "verdict.h"

static int count_line(json_t *ev, void *ctx)
{
    (void)ev;
    (*(int64_t *)ctx)++;
    return 0;
}

static int feed_verdict(json_t *ev, void *ctx)
{
    sb_trace_checks_event(ctx, ev);
    return 0;
}

static void read_verdict(const char *path)
{
    sb_trace_checks_t *tc = sb_trace_checks_new();
    if (tc == NULL)
        abort();
    sb_err_t err = { { 0 } };
    if (sb_trace_read(path, feed_verdict, tc, NULL, &err) == 0) {
        sb_trace_checks_object(tc, "part-000-000000000001");
        sb_verdict_t *v = calloc(1, sizeof *v);
        if (v == NULL)
            abort();
        sb_trace_checks_finish(tc, v);
        free(v);
    }
    sb_trace_checks_free(tc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_planted(data, size);
    char path[512];
    fuzz_write("trace.jsonl", data, size, path, sizeof path);
    sb_err_t err = { { 0 } };
    int64_t lines = 0;
    int truncated = 0;
    (void)sb_trace_read(path, count_line, &lines, &truncated, &err);

    bool classic = false;
    (void)sb_conserve_trace_is_classic(path, &classic, &err);
    sb_cut_report_t cut;
    if (sb_cut_check_file(path, &cut, &err) == 0) {
        char line[SB_CUT_DETAIL_BYTES_MAX + 256];
        sb_cut_report_summary(&cut, line, sizeof line);
    }
    sb_conserve_report_t conserve;
    if (sb_conserve_check_file(path, &conserve, &err) == 0) {
        char line[SB_CONSERVE_DETAIL_BYTES_MAX + 128];
        sb_conserve_report_summary(&conserve, line, sizeof line);
    }
    read_verdict(path);

    sb_runtrace_t *rt = calloc(1, sizeof *rt);
    sb_cltrace_t *cl = calloc(1, sizeof *cl);
    if (rt == NULL || cl == NULL)
        abort();
    (void)sb_runtrace_load(rt, path, &err);
    sb_runtrace_free(rt);
    (void)sb_cltrace_load(cl, path, &err);
    sb_cltrace_free(cl);
    free(cl);
    free(rt);

    FILE *devnull = fopen("/dev/null", "w");
    if (devnull == NULL)
        abort();
    (void)sb_texttrace_print(path, devnull, 80, &err);
    fclose(devnull);
    return 0;
}
