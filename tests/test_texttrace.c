/* test_texttrace.c — the compact text trace, as a specification.
 *
 * Each test writes a tiny trace.jsonl by hand and compares the printed
 * rows with the exact text expected: one character per time slot, the most
 * important event of a row winning its slot, fault bands, backpressure from
 * samples, the time axis and the legend. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "texttrace.h"

#define MS INT64_C(1000000)
#define T0 INT64_C(5000000000) /* run_started: CLOCK_MONOTONIC is far from 0 */

typedef struct fixture {
    char dir[64];
    char path[96]; /* <dir>/trace.jsonl */
    FILE *trace;
    char *text;    /* what sb_texttrace_print printed */
    size_t text_len;
    sb_err_t err;
} fixture_t;

static void fx_open(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-texttrace-XXXXXX");
    snprintf(f->path, sizeof f->path, "%s/trace.jsonl", f->dir);
    f->trace = fopen(f->path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->trace);
}

static void fx_close(fixture_t *f)
{
    if (f->trace != NULL)
        fclose(f->trace);
    free(f->text);
    temp_dir_remove(f->dir);
}

/* Appends one event at T0 + at_ms; `fields` are extra JSON members. */
__attribute__((format(printf, 4, 5))) static void ev(fixture_t *f, int64_t at_ms,
                                                     const char *name, const char *fields, ...)
{
    fprintf(f->trace, "{\"t_ns\":%" PRId64 ",\"pid\":1,\"event\":\"%s\"", T0 + at_ms * MS, name);
    if (fields != NULL && fields[0] != '\0') {
        fputc(',', f->trace);
        va_list ap;
        va_start(ap, fields);
        vfprintf(f->trace, fields, ap);
        va_end(ap);
    }
    fputs("}\n", f->trace);
}

static void triggered(fixture_t *f, int64_t at_ms, int id)
{
    ev(f, at_ms, "checkpoint_triggered", "\"checkpoint\":%d,\"final\":false", id);
}

static void completed(fixture_t *f, int64_t at_ms, int id)
{
    ev(f, at_ms, "checkpoint_completed", "\"checkpoint\":%d,\"state_bytes\":10", id);
}

/* Closes the trace and prints it in `width` slots; returns the result. */
static int print(fixture_t *f, int width)
{
    fclose(f->trace);
    f->trace = NULL;
    FILE *out = open_memstream(&f->text, &f->text_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    int rc = sb_texttrace_print(f->path, out, width, &f->err);
    fclose(out);
    return rc;
}

/* The first `lines` lines of the output. */
static void head(const fixture_t *f, int lines, char *buf, size_t len)
{
    const char *p = f->text;
    for (int i = 0; i < lines && p != NULL; i++) {
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    size_t n = p != NULL ? (size_t)(p - f->text) : f->text_len;
    snprintf(buf, len, "%.*s", (int)n, f->text);
}

static void assert_head(const fixture_t *f, int lines, const char *expected)
{
    char got[4096];
    head(f, lines, got, sizeof got);
    if (strcmp(got, expected) != 0)
        fprintf(stderr, "\n--- expected ---\n%s--- got ---\n%s", expected, got);
    CU_ASSERT_STRING_EQUAL(got, expected);
}

/* ------------------------------------------------------------ tests */

/* The whole picture of a two-second run in 20 slots of 100 ms. */
static void test_tiny_run_prints_exact_rows_axis_and_legend(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", "\"scenario\":\"t\"");
    ev(&f, 50, "worker_started", "\"attempt\":0");
    ev(&f, 60, "restore", "\"checkpoint\":0,\"attempt\":0"); /* a fresh start: not shown */
    ev(&f, 100, "sample", "\"read\":0,\"fill\":[0,0],\"items\":10");
    triggered(&f, 200, 1);
    completed(&f, 250, 1);
    triggered(&f, 400, 2);
    ev(&f, 500, "sample", "\"read\":9,\"fill\":[8,1],\"items\":10");
    completed(&f, 720, 2);
    ev(&f, 800, "fault_started", "\"fault\":0,\"kind\":\"latency\",\"detail\":\"x\"");
    triggered(&f, 900, 3);
    ev(&f, 1000, "fault_ended", "\"fault\":0,\"kind\":\"latency\",\"detail\":\"x\"");
    ev(&f, 1140, "fault_fired", "\"fault\":1,\"point\":\"sink.after_commit\",\"checkpoint\":3");
    ev(&f, 1150, "crash", "\"attempt\":0,\"signal_name\":\"Killed\",\"injected\":true");
    ev(&f, 1300, "restore", "\"checkpoint\":2,\"attempt\":1");
    triggered(&f, 1500, 4);
    completed(&f, 1510, 4);
    triggered(&f, 1600, 5);
    triggered(&f, 1640, 6);
    ev(&f, 1650, "checkpoint_aborted", "\"checkpoint\":5,\"reason\":\"timeout\"");
    completed(&f, 1690, 6);
    ev(&f, 1800, "crash", "\"attempt\":1,\"signal_name\":\"Segmentation fault\","
                          "\"injected\":false");
    ev(&f, 1850, "restore", "\"checkpoint\":0,\"attempt\":2");
    ev(&f, 2000, "run_finished", "\"verified_ok\":false");
    CU_ASSERT_EQUAL(print(&f, 20), 0);
    assert_head(&f, 12,
                "time    0s        1s\n"
                "chk     ..C.>--C.>-x...Cx...\n"
                "crash   ...........K......D.\n"
                "restore .............R....r.\n"
                "fault   ........~~~!........\n"
                "bp       .####              \n"
                "legend: one column = 100 ms of 2 s since the run started; . nothing\n"
                "  chk     > triggered, - in progress, C completed, x aborted (also when its "
                "worker died)\n"
                "  crash   K killed by the fault plan, D died unplanned, F failed (exit with an "
                "error, or stalled)\n"
                "  restore R restored from a checkpoint, r restarted with none to restore\n"
                "  fault   ~ fault active, ! crash point fired\n"
                "  bp      # a channel >= 80% full (backpressure), blank: no sample (no "
                "worker)\n");
    fx_close(&f);
}

static void sample(fixture_t *f, int64_t at_ms, int pid, int fill)
{
    fprintf(f->trace,
            "{\"t_ns\":%" PRId64 ",\"pid\":%d,\"event\":\"sample\",\"read\":0,"
            "\"fill\":[0,%d],\"items\":10}\n",
            T0 + at_ms * MS, pid, fill);
}

/* A sample covers the slots since its worker's previous sample; another
 * worker, or a gap of more than a second, leaves the slots between blank. */
static void test_samples_fill_the_slots_since_the_same_workers_previous_one(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    sample(&f, 100, 7, 0);
    sample(&f, 400, 7, 9);  /* slots 2-4 backpressured */
    sample(&f, 600, 8, 0);  /* a new worker: slot 5 stays blank */
    sample(&f, 1900, 8, 0); /* 1.3 s later: slots 7-18 blank */
    ev(&f, 2000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 20), 0);
    ASSERT_HAS(f.text, "\nbp       .### .            .\n");
    fx_close(&f);
}

static void test_abort_outranks_completion_and_trigger_in_one_slot(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    triggered(&f, 100, 1);
    completed(&f, 110, 1);
    triggered(&f, 120, 2);
    ev(&f, 130, "checkpoint_aborted", "\"checkpoint\":2,\"reason\":\"declined\"");
    triggered(&f, 140, 3);
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    /* Checkpoint 3 never ends: in progress up to the end of the trace. */
    assert_head(&f, 2, "time    0s\nchk     .x--------\n");
    fx_close(&f);
}

static void test_checkpoint_open_at_a_crash_shows_as_aborted_at_the_crash(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    triggered(&f, 200, 1);
    ev(&f, 500, "crash", "\"attempt\":0,\"injected\":true");
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    assert_head(&f, 3, "time    0s\nchk     ..>--x....\ncrash   .....K....\n");
    fx_close(&f);
}

static void test_failed_worker_and_stall_show_as_F(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    ev(&f, 300, "worker_failed", "\"attempt\":0,\"exit_code\":1");
    ev(&f, 700, "stalled", "\"attempt\":1");
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    assert_head(&f, 3, "time    0s\nchk     ..........\ncrash   ...F...F..\n");
    fx_close(&f);
}

static void test_fault_still_active_at_the_end_is_a_band_to_the_end(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    ev(&f, 600, "fault_started", "\"fault\":3,\"kind\":\"broker\"");
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    assert_head(&f, 5,
                "time    0s\nchk     ..........\ncrash   ..........\nrestore ..........\n"
                "fault   ......~~~~\n");
    fx_close(&f);
}

static void test_no_samples_means_no_backpressure_row_nor_legend_line(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    CU_ASSERT_PTR_NULL(strstr(f.text, "bp "));
    CU_ASSERT_PTR_NULL(strstr(f.text, "backpressure"));
    ASSERT_HAS(f.text, "fault   ..........\nlegend:");
    fx_close(&f);
}

static void test_origin_is_the_first_line_without_run_started(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 1000, "worker_started", "\"attempt\":0");
    triggered(&f, 1500, 1);
    completed(&f, 1510, 1);
    ev(&f, 2000, "job_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    assert_head(&f, 2, "time    0s\nchk     .....C....\n");
    fx_close(&f);
}

static void test_axis_labels_use_the_step_unit_and_never_overlap(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    ev(&f, 3, "run_finished", NULL); /* 3 ms in 30 slots of 100 us: a label per 1 ms */
    CU_ASSERT_EQUAL(print(&f, 30), 0);
    assert_head(&f, 1, "time    0ms       1ms       2ms\n");
    fx_close(&f);
}

static void test_width_is_clamped_and_defaults(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 3), 0); /* below SB_TEXTTRACE_WIDTH_MIN */
    char want[64];
    snprintf(want, sizeof want, "chk     %.*s\n", SB_TEXTTRACE_WIDTH_MIN,
             "....................");
    ASSERT_HAS(f.text, want);
    fx_close(&f);

    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 0), 0);
    const char *row = strstr(f.text, "chk     ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(row);
    CU_ASSERT_EQUAL(strcspn(row + 8, "\n"), (size_t)SB_TEXTTRACE_WIDTH_DEFAULT);
    fx_close(&f);
}

static void test_empty_trace_prints_one_line(void)
{
    fixture_t f;
    fx_open(&f);
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    ASSERT_HAS(f.text, "trace: no events in ");
    CU_ASSERT_PTR_NULL(strchr(strchr(f.text, '\n') + 1, '\n'));
    fx_close(&f);
}

static void test_missing_trace_is_an_error_naming_the_file(void)
{
    fixture_t f;
    fx_open(&f);
    fclose(f.trace);
    f.trace = NULL;
    remove(f.path);
    FILE *out = open_memstream(&f.text, &f.text_len);
    CU_ASSERT_EQUAL(sb_texttrace_print(f.path, out, 10, &f.err), -1);
    fclose(out);
    ASSERT_HAS(f.err.msg, "cannot open trace");
    ASSERT_HAS(f.err.msg, f.path);
    CU_ASSERT_EQUAL(f.text_len, 0);
    fx_close(&f);
}

static void test_malformed_line_is_an_error_and_prints_nothing(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    fputs("{not json\n", f.trace);
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL(print(&f, 10), -1);
    ASSERT_HAS(f.err.msg, ":2: malformed trace line");
    CU_ASSERT_EQUAL(f.text_len, 0);
    fx_close(&f);
}

static void test_last_line_cut_by_a_crash_is_tolerated(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 0, "run_started", NULL);
    triggered(&f, 500, 1);
    ev(&f, 1000, "run_finished", NULL);
    fputs("{\"t_ns\":9", f.trace); /* no newline: a crash cut it */
    CU_ASSERT_EQUAL(print(&f, 10), 0);
    assert_head(&f, 2, "time    0s\nchk     .....>----\n");
    fx_close(&f);
}

void test_texttrace_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_tiny_run_prints_exact_rows_axis_and_legend),
        T(test_samples_fill_the_slots_since_the_same_workers_previous_one),
        T(test_abort_outranks_completion_and_trigger_in_one_slot),
        T(test_checkpoint_open_at_a_crash_shows_as_aborted_at_the_crash),
        T(test_failed_worker_and_stall_show_as_F),
        T(test_fault_still_active_at_the_end_is_a_band_to_the_end),
        T(test_no_samples_means_no_backpressure_row_nor_legend_line),
        T(test_origin_is_the_first_line_without_run_started),
        T(test_axis_labels_use_the_step_unit_and_never_overlap),
        T(test_width_is_clamped_and_defaults),
        T(test_empty_trace_prints_one_line),
        T(test_missing_trace_is_an_error_naming_the_file),
        T(test_malformed_line_is_an_error_and_prints_nothing),
        T(test_last_line_cut_by_a_crash_is_tolerated),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("texttrace", cases);
}
