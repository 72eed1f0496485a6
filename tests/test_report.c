/* test_report.c — report.html, as a specification.
 *
 * Each test builds a small run folder by hand (trace.jsonl, summary.json,
 * checkpoints.json, scenario.yaml, pictures under viz/), writes the report
 * and reads the page back: the verdict and the checks, the checkpoint
 * table (from checkpoints.json, else from the trace), the fault list with
 * times since the run started, everything from files HTML-escaped, links
 * only to files that exist, nothing loaded from the network, and the
 * timeline SVG inlined only when it is plain. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckstats.h"
#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "report.h"

#define MS INT64_C(1000000)
#define T0 INT64_C(5000000000) /* run_started: CLOCK_MONOTONIC is far from 0 */

typedef struct fixture {
    char dir[64];
    FILE *trace;
    char *html;    /* report.html once written */
    sb_err_t err;
} fixture_t;

static void path_of(const fixture_t *f, const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", f->dir, rel);
}

__attribute__((format(printf, 3, 4))) static void put_file(const fixture_t *f, const char *rel,
                                                          const char *fmt, ...)
{
    char path[256];
    path_of(f, rel, path, sizeof path);
    FILE *out = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fclose(out);
}

static bool exists(const fixture_t *f, const char *rel)
{
    char path[256];
    path_of(f, rel, path, sizeof path);
    return access(path, F_OK) == 0;
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

/* A run folder with a run_started line and an open trace. */
static void fx_open(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-report-XXXXXX");
    char path[256];
    path_of(f, "trace.jsonl", path, sizeof path);
    f->trace = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->trace);
    ev(f, 0, "run_started", "\"scenario\":\"tiny\",\"seed\":7,\"mode\":\"EXACTLY_ONCE\"");
}

static void fx_close(fixture_t *f)
{
    if (f->trace != NULL)
        fclose(f->trace);
    free(f->html);
    temp_dir_remove(f->dir);
}

/* Two checkpoints (1 completed, 2 aborted by a timeout) and their acks. */
static void two_checkpoints(fixture_t *f)
{
    ev(f, 100, "checkpoint_triggered", "\"checkpoint\":1,\"final\":false");
    ev(f, 110, "ack", "\"task\":\"map-0\",\"checkpoint\":1,\"start_delay_ns\":2000000,"
                      "\"alignment_ns\":3000,\"state_bytes\":2048,\"inflight_records\":5,"
                      "\"inflight_bytes\":500,\"unaligned\":true,\"timed_out\":false");
    ev(f, 120, "checkpoint_completed", "\"checkpoint\":1,\"state_bytes\":2048");
    ev(f, 300, "checkpoint_triggered", "\"checkpoint\":2,\"final\":false");
    ev(f, 900, "checkpoint_aborted", "\"checkpoint\":2,\"reason\":\"timeout\"");
}

static void summary_ok(fixture_t *f)
{
    put_file(f, "summary.json",
             "{\"scenario\":\"tiny\",\"seed\":7,\"mode\":\"EXACTLY_ONCE\","
             "\"exactly_once\":{\"ok\":true,\"records_in\":1000,\"expected\":250,"
             "\"committed\":250,\"lost\":0,\"duplicated\":0,\"unexpected\":0,"
             "\"out_of_order\":0,\"order_checked\":true,\"lost_examples\":[],"
             "\"duplicated_examples\":[],\"unexpected_examples\":[],"
             "\"out_of_order_examples\":[]},\"counts\":null,"
             "\"restores\":{\"ok\":true,\"detail\":\"\"},"
             "\"publishes\":{\"ok\":true,\"detail\":\"\"},"
             "\"crashes\":{\"ok\":true,\"detail\":\"\"},"
             "\"liveness\":{\"ok\":true,\"detail\":\"\"},"
             "\"leftovers\":{\"ok\":true,\"detail\":\"\"},"
             "\"crashes_seen\":1,\"crashes_injected\":1,\"checkpoints_completed\":1,"
             "\"checkpoints_aborted\":1,\"restored_from\":[1],\"objects\":2,"
             "\"duration_s\":0.9,\"records_per_s\":1111.0,\"verified_ok\":true,"
             "\"expectation_met\":true,\"unfired_faults\":\"\",\"sink\":\"file://output\","
             "\"checkpoints\":\"file://checkpoints\"}\n");
}

static void checkpoints_json_from_trace(fixture_t *f)
{
    fflush(f->trace);
    char trace[256], out[256];
    path_of(f, "trace.jsonl", trace, sizeof trace);
    path_of(f, "checkpoints.json", out, sizeof out);
    sb_ckstats_t st;
    CU_ASSERT_EQUAL_FATAL(sb_ckstats_from_trace(&st, trace, &f->err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_ckstats_write_json(&st, out, &f->err), 0);
    sb_ckstats_free(&st);
}

static void mkdir_viz(const fixture_t *f)
{
    char path[256];
    path_of(f, "viz", path, sizeof path);
    CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
}

/* Closes the trace, writes the report and reads it into f->html. */
static int report(fixture_t *f)
{
    if (f->trace != NULL) {
        fclose(f->trace);
        f->trace = NULL;
    }
    int rc = sb_report_write(f->dir, &f->err);
    if (rc != 0)
        return rc;
    char path[256];
    path_of(f, SB_REPORT_FILE, path, sizeof path);
    FILE *in = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    free(f->html);
    f->html = calloc(1, (size_t)n + 1);
    CU_ASSERT_EQUAL(fread(f->html, 1, (size_t)n, in), (size_t)n);
    fclose(in);
    return 0;
}

static bool has_ci(const char *hay, const char *needle)
{
    for (const char *p = hay; *p != '\0'; p++)
        if (strncasecmp(p, needle, strlen(needle)) == 0)
            return true;
    return false;
}

/* Calls fn on every src="…" and href="…" value of the page. */
static void each_reference(const fixture_t *f, void (*fn)(const fixture_t *, const char *))
{
    static const char *ATTRS[] = { " src=\"", " href=\"" };
    for (size_t a = 0; a < 2; a++) {
        for (const char *p = strstr(f->html, ATTRS[a]); p != NULL;
             p = strstr(p + 1, ATTRS[a])) {
            const char *v = p + strlen(ATTRS[a]);
            char value[512];
            snprintf(value, sizeof value, "%.*s", (int)strcspn(v, "\""), v);
            fn(f, value);
        }
    }
}

static void assert_local_and_existing(const fixture_t *f, const char *value)
{
    bool network = strncasecmp(value, "http:", 5) == 0 || strncasecmp(value, "https:", 6) == 0 ||
                   strncmp(value, "//", 2) == 0;
    if (network)
        fprintf(stderr, "\n    network reference: %s\n", value);
    CU_ASSERT_FALSE(network);
    if (value[0] == '#' || strncmp(value, "data:", 5) == 0)
        return;
    if (!exists(f, value))
        fprintf(stderr, "\n    link to a missing file: %s\n", value);
    CU_ASSERT_TRUE(exists(f, value));
}

/* ------------------------------------------------------------ verdict */

static void test_verdict_shows_exactly_once_the_checks_and_the_expectation(void)
{
    fixture_t f;
    fx_open(&f);
    summary_ok(&f);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<!DOCTYPE html>");
    ASSERT_HAS(f.html, "<h1>tiny</h1>");
    ASSERT_HAS(f.html, "expectation: <span class=\"ok\">MET</span>");
    ASSERT_HAS(f.html, "EXACTLY-ONCE: <span class=\"ok\">OK</span> — 1000 in, 250 expected out, "
                       "250 committed, 0 lost, 0 duplicated");
    ASSERT_HAS(f.html, "<td>publishes</td><td class=\"ok\">OK</td>");
    ASSERT_HAS(f.html, "<td>leftovers</td><td class=\"ok\">OK</td>");
    CU_ASSERT_PTR_NULL(strstr(f.html, "<td>counts</td>")); /* null: not checked */
    ASSERT_HAS(f.html, "<dt>seed</dt><dd>7");
    ASSERT_HAS(f.html, "<dt>restored from</dt><dd>chk-1</dd>");
    ASSERT_HAS(f.html, "0.90 s job");
    fx_close(&f);
}

static void test_violation_shows_counts_examples_and_the_failed_checks_detail(void)
{
    fixture_t f;
    fx_open(&f);
    put_file(&f, "summary.json",
             "{\"scenario\":\"bad\",\"seed\":1,\"exactly_once\":{\"ok\":false,"
             "\"records_in\":10,\"expected\":5,\"committed\":4,\"lost\":2,\"duplicated\":1,"
             "\"unexpected\":0,\"out_of_order\":0,\"lost_examples\":[\"0:5\",\"1:7\"],"
             "\"duplicated_examples\":[\"2:9\"]},"
             "\"publishes\":{\"ok\":false,\"detail\":\"chk-3 <published> twice & more\"},"
             "\"cuts\":{\"ok\":false,\"detail\":\"orphan on channel 2\"},"
             "\"verified_ok\":false,\"expectation_met\":false,\"unfired_faults\":\"\"}\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "expectation: <span class=\"bad\">NOT MET</span> — the checks found a "
                       "violation");
    ASSERT_HAS(f.html, "EXACTLY-ONCE: <span class=\"bad\">VIOLATED</span> — 10 in, 5 expected "
                       "out, 4 committed, 2 lost, 1 duplicated");
    ASSERT_HAS(f.html, "<li>lost (partition:offset): 0:5, 1:7</li>");
    ASSERT_HAS(f.html, "<li>duplicated (partition:offset): 2:9</li>");
    ASSERT_HAS(f.html, "<td>publishes</td><td class=\"bad\">VIOLATED</td>"
                       "<td>chk-3 &lt;published&gt; twice &amp; more</td>");
    /* A check this report does not know yet is shown all the same. */
    ASSERT_HAS(f.html, "<td>cuts</td><td class=\"bad\">VIOLATED</td><td>orphan on channel 2");
    fx_close(&f);
}

static void test_missing_summary_is_noted_and_the_rest_is_still_written(void)
{
    fixture_t f;
    fx_open(&f);
    two_checkpoints(&f);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "No verdict: summary.json is missing or unreadable");
    ASSERT_HAS(f.html, "<h1>tiny</h1>"); /* from run_started */
    ASSERT_HAS(f.html, "<dt>seed</dt><dd>7</dd>");
    ASSERT_HAS(f.html, "id=\"chk-1\"");
    ASSERT_HAS(f.html, "<section id=\"texttrace\">");
    fx_close(&f);
}

static void test_malformed_summary_is_noted_with_the_parsers_reason(void)
{
    fixture_t f;
    fx_open(&f);
    put_file(&f, "summary.json", "{\"scenario\": <oops>}\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "No verdict: summary.json is missing or unreadable (");
    CU_ASSERT_PTR_NULL(strstr(f.html, "<oops>"));
    fx_close(&f);
}

/* -------------------------------------------------------- checkpoints */

static void test_checkpoint_table_has_a_row_per_checkpoint_of_checkpoints_json(void)
{
    fixture_t f;
    fx_open(&f);
    two_checkpoints(&f);
    checkpoints_json_from_trace(&f);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "From checkpoints.json.");
    ASSERT_HAS(f.html, "1 completed, 1 aborted (1 timeout), 0 unfinished.");
    ASSERT_HAS(f.html, "<tr class=\"completed\" id=\"chk-1\"><td class=\"n\">1</td>"
                       "<td>completed</td><td class=\"n\">100.0 ms</td>"
                       "<td class=\"n\">20.0 ms</td><td class=\"n\">3.0 us</td>"
                       "<td class=\"n\">2.0 ms</td><td class=\"n\">2.0 KiB</td>"
                       "<td class=\"n\">5</td><td class=\"n\">500 B</td><td>yes</td>");
    ASSERT_HAS(f.html, "<tr class=\"aborted\" id=\"chk-2\"><td class=\"n\">2</td>"
                       "<td>aborted: timeout</td><td class=\"n\">300.0 ms</td>"
                       "<td class=\"n\">600.0 ms</td><td class=\"n\">-</td>");
    fx_close(&f);
}

/* The table shows what checkpoints.json says, even where the trace has
 * nothing: the file is the run's record of its statistics. */
static void test_checkpoints_json_written_by_hand_is_what_the_table_shows(void)
{
    fixture_t f;
    fx_open(&f);
    put_file(&f, "checkpoints.json",
             "{\"summary\":{\"trace_truncated\":true},\"checkpoints\":[{\"id\":7,"
             "\"status\":\"unfinished\",\"reason\":\"run <ended>\",\"final\":true,"
             "\"trigger_ns\":null,\"duration_ns\":null,\"unaligned\":false,"
             "\"timed_out\":true,\"state_bytes\":3145728,\"inflight_records\":0,"
             "\"inflight_bytes\":0,\"alignment_max_ns\":null,\"start_delay_max_ns\":null,"
             "\"subtasks\":[]}]}\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "0 completed, 0 aborted, 1 unfinished (the trace's last line was cut).");
    ASSERT_HAS(f.html, "<tr class=\"unfinished\" id=\"chk-7\"><td class=\"n\">7</td>"
                       "<td>unfinished (final): run &lt;ended&gt;</td><td class=\"n\">-</td>");
    ASSERT_HAS(f.html, "<td class=\"n\">3.0 MiB</td>");
    ASSERT_HAS(f.html, "<td>yes (alignment timed out)</td>");
    fx_close(&f);
}

static void test_without_checkpoints_json_the_table_comes_from_the_trace(void)
{
    fixture_t f;
    fx_open(&f);
    two_checkpoints(&f);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "From trace.jsonl.");
    ASSERT_HAS(f.html, "id=\"chk-1\"");
    ASSERT_HAS(f.html, "<td>aborted: timeout</td>");
    fx_close(&f);
}

static void test_unreadable_checkpoints_json_is_noted_in_its_section(void)
{
    fixture_t f;
    fx_open(&f);
    put_file(&f, "checkpoints.json", "{\"checkpoints\": 3}\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "No checkpoint statistics: ");
    ASSERT_HAS(f.html, "no &quot;checkpoints&quot; array");
    ASSERT_HAS(f.html, "<section id=\"faults\">"); /* the rest is still there */
    fx_close(&f);
}

static void test_picture_links_only_to_files_that_exist(void)
{
    fixture_t f;
    fx_open(&f);
    two_checkpoints(&f);
    mkdir_viz(&f);
    put_file(&f, "viz/chk-1-graph.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n");
    put_file(&f, "viz/chk-1-gantt.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<a href=\"viz/chk-1-graph.svg\">graph</a> "
                       "<a href=\"viz/chk-1-gantt.svg\">gantt</a></td></tr>");
    CU_ASSERT_PTR_NULL(strstr(f.html, "chk-1-spacetime.svg"));
    CU_ASSERT_PTR_NULL(strstr(f.html, "chk-2-"));
    /* The run folder's own files: listed only when present. */
    ASSERT_HAS(f.html, "<a href=\"trace.jsonl\">trace.jsonl</a>");
    CU_ASSERT_PTR_NULL(strstr(f.html, "href=\"worker.log\""));
    each_reference(&f, assert_local_and_existing);
    fx_close(&f);
}

/* ----------------------------------------------------------- timeline */

static void test_missing_timeline_says_how_to_draw_it(void)
{
    fixture_t f;
    fx_open(&f);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<section id=\"timeline\">");
    ASSERT_HAS(f.html, "No timeline picture yet: run <code>snapbed viz</code>");
    CU_ASSERT_PTR_NULL(strstr(f.html, "<svg"));
    fx_close(&f);
}

static void test_plain_timeline_svg_is_inlined_without_its_prolog(void)
{
    fixture_t f;
    fx_open(&f);
    mkdir_viz(&f);
    put_file(&f, "viz/timeline.svg",
             "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
             "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\"\n"
             " \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
             "<!-- Generated by graphviz -->\n"
             "<svg width=\"80pt\" height=\"40pt\" xmlns=\"http://www.w3.org/2000/svg\" "
             "xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n"
             "<g id=\"graph0\" class=\"graph\"><text x=\"5\" y=\"20\">chk 1 &amp; 2</text>"
             "</g>\n</svg>\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<div class=\"svg\">\n<svg width=\"80pt\"");
    ASSERT_HAS(f.html, "<text x=\"5\" y=\"20\">chk 1 &amp; 2</text></g>\n</svg>\n</div>");
    CU_ASSERT_PTR_NULL(strstr(f.html, "<?xml"));
    CU_ASSERT_PTR_NULL(strstr(f.html, "<!DOCTYPE svg"));
    ASSERT_HAS(f.html, "<a href=\"viz/timeline.svg\">timeline.svg</a>");
    each_reference(&f, assert_local_and_existing);
    fx_close(&f);
}

static void assert_timeline_linked_not_inlined(const char *svg)
{
    fixture_t f;
    fx_open(&f);
    mkdir_viz(&f);
    put_file(&f, "viz/timeline.svg", "%s", svg);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<img src=\"viz/timeline.svg\" alt=\"checkpoint timeline\">");
    CU_ASSERT_PTR_NULL(strstr(f.html, "<svg"));
    CU_ASSERT_FALSE(has_ci(f.html, "<script"));
    CU_ASSERT_FALSE(has_ci(f.html, "onload"));
    fx_close(&f);
}

static void test_timeline_svg_that_could_run_or_load_anything_is_linked_not_inlined(void)
{
    assert_timeline_linked_not_inlined("<svg><SCRIPT>alert(1)</SCRIPT></svg>");
    assert_timeline_linked_not_inlined("<svg onload=\"alert(1)\"><g/></svg>");
    assert_timeline_linked_not_inlined("<svg><g\n  onclick = \"x()\"/></svg>");
    assert_timeline_linked_not_inlined("<svg><image href=\"http://example.com/a.png\"/></svg>");
    assert_timeline_linked_not_inlined("<svg><a xlink:href=\"javascript:x()\">a</a></svg>");
    assert_timeline_linked_not_inlined("<svg><foreignObject><p>x</p></foreignObject></svg>");
    assert_timeline_linked_not_inlined("not an svg at all");
}

/* ------------------------------------------------------------- faults */

static void test_fault_list_has_times_since_the_run_started_and_escaped_details(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 250, "restore", "\"checkpoint\":0,\"attempt\":0,\"completed\":true");
    ev(&f, 1500, "fault_started",
       "\"fault\":1,\"kind\":\"network\",\"detail\":\"latency <kafka> 50 ms\"");
    ev(&f, 2000, "fault_ended", "\"fault\":1,\"kind\":\"network\",\"detail\":\"\"");
    ev(&f, 2100, "fault_fired",
       "\"fault\":2,\"point\":\"sink.after_commit\",\"checkpoint\":3,\"hit\":1");
    ev(&f, 2101, "crash", "\"attempt\":0,\"signal\":9,\"signal_name\":\"Killed\","
                          "\"injected\":true,\"fault\":2");
    ev(&f, 2300, "restore", "\"checkpoint\":3,\"attempt\":1,\"completed\":true");
    ev(&f, 2310, "channel_state_restored", "\"task\":\"map-1\",\"checkpoint\":3,\"records\":12");
    ev(&f, 2900, "crash", "\"attempt\":1,\"signal\":11,\"signal_name\":\"Segmentation fault\","
                          "\"injected\":false,\"fault\":-1");
    ev(&f, 3000, "restore", "\"checkpoint\":0,\"attempt\":2");
    ev(&f, 3100, "checkpoint_completed", "\"checkpoint\":4"); /* not a fault: not listed */
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<td class=\"n\">0.250 s</td><td>restore</td><td>worker attempt 0: "
                       "fresh start, nothing to restore</td>");
    ASSERT_HAS(f.html, "<td class=\"n\">1.500 s</td><td>fault_started</td>"
                       "<td>faults[1] network: latency &lt;kafka&gt; 50 ms</td>");
    ASSERT_HAS(f.html, "<td class=\"n\">2.000 s</td><td>fault_ended</td>");
    ASSERT_HAS(f.html, "<td>faults[2]: crash point sink.after_commit at checkpoint 3 (hit 1)");
    ASSERT_HAS(f.html, "<td>worker attempt 0: Killed; injected by faults[2]</td>");
    ASSERT_HAS(f.html, "<td>worker attempt 1 restored checkpoint 3</td>");
    ASSERT_HAS(f.html, "<td>map-1: 12 in-flight records replayed from checkpoint 3</td>");
    ASSERT_HAS(f.html, "<td>worker attempt 1: Segmentation fault; NOT injected (unplanned)</td>");
    ASSERT_HAS(f.html, "<td>worker attempt 2: no completed checkpoint, started over</td>");
    CU_ASSERT_PTR_NULL(strstr(f.html, "<td>checkpoint_completed</td>"));
    fx_close(&f);
}

static void test_no_faults_says_none(void)
{
    fixture_t f;
    fx_open(&f);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<h2>Faults, crashes and restores</h2>\n<p class=\"note\">None in the "
                       "trace.</p>");
    fx_close(&f);
}

/* ------------------------------------------------ scenario, text trace */

static void test_scenario_text_is_escaped_so_no_markup_of_it_survives(void)
{
    fixture_t f;
    fx_open(&f);
    put_file(&f, "scenario.yaml",
             "# a <script>alert('x')</script> & \"quotes\"\nname: tiny\n"
             "description: </pre><img src=x onerror=alert(1)>\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<section id=\"scenario\">\n<h2>Scenario</h2>\n<pre># a "
                       "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                       "&quot;quotes&quot;\nname: tiny\n"
                       "description: &lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;\n</pre>");
    CU_ASSERT_FALSE(has_ci(f.html, "<script"));
    CU_ASSERT_PTR_NULL(strstr(f.html, "<img src=x"));
    each_reference(&f, assert_local_and_existing);
    fx_close(&f);
}

static void test_text_trace_is_in_a_pre(void)
{
    fixture_t f;
    fx_open(&f);
    two_checkpoints(&f);
    ev(&f, 1000, "run_finished", NULL);
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<section id=\"texttrace\">\n<h2>Text trace</h2>\n<pre>time    0s");
    ASSERT_HAS(f.html, "\nchk     ");
    ASSERT_HAS(f.html, "  chk     &gt; triggered"); /* the legend, escaped */
    fx_close(&f);
}

/* ------------------------------------------------------- the whole page */

static void test_full_run_folder_references_nothing_on_the_network(void)
{
    fixture_t f;
    fx_open(&f);
    two_checkpoints(&f);
    checkpoints_json_from_trace(&f);
    summary_ok(&f);
    put_file(&f, "scenario.yaml", "name: tiny # see https://example.com/<x>\n");
    put_file(&f, "worker.log", "log\n");
    mkdir_viz(&f);
    put_file(&f, "viz/timeline.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>\n");
    put_file(&f, "viz/chk-2-spacetime.svg", "<svg></svg>\n");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    each_reference(&f, assert_local_and_existing);
    ASSERT_HAS(f.html, "<a href=\"viz/chk-2-spacetime.svg\">space-time</a>");
    ASSERT_HAS(f.html, "<a href=\"worker.log\">worker.log</a>");
    CU_ASSERT_FALSE(has_ci(f.html, "<script"));
    CU_ASSERT_FALSE(has_ci(f.html, "<link rel=\"stylesheet\""));
    CU_ASSERT_FALSE(has_ci(f.html, "@import"));
    /* Each section once, in order. */
    const char *ids[] = { "summary", "timeline", "checkpoints", "faults", "scenario",
                          "texttrace" };
    const char *at = f.html;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char tag[64];
        snprintf(tag, sizeof tag, "<section id=\"%s\">", ids[i]);
        const char *p = strstr(at, tag);
        CU_ASSERT_PTR_NOT_NULL(p);
        at = p != NULL ? p : at;
    }
    ASSERT_HAS(f.html, "</body>\n</html>\n");
    fx_close(&f);
}

static void test_report_replaces_an_old_one_and_leaves_no_temporary_file(void)
{
    fixture_t f;
    fx_open(&f);
    put_file(&f, SB_REPORT_FILE, "old");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "<!DOCTYPE html>");
    CU_ASSERT_FALSE(exists(&f, SB_REPORT_FILE ".tmp"));
    CU_ASSERT_EQUAL_FATAL(report(&f), 0); /* again: idempotent */
    CU_ASSERT_FALSE(exists(&f, SB_REPORT_FILE ".tmp"));
    fx_close(&f);
}

static void test_folder_without_a_trace_is_not_a_run_folder(void)
{
    fixture_t f;
    fx_open(&f);
    fclose(f.trace);
    f.trace = NULL;
    char path[256];
    path_of(&f, "trace.jsonl", path, sizeof path);
    remove(path);
    CU_ASSERT_EQUAL(sb_report_write(f.dir, &f.err), -1);
    ASSERT_HAS(f.err.msg, "is not a readable run folder");
    ASSERT_HAS(f.err.msg, "trace.jsonl");
    CU_ASSERT_FALSE(exists(&f, SB_REPORT_FILE));
    fx_close(&f);
}

static void test_malformed_trace_still_gives_a_report_that_says_so(void)
{
    fixture_t f;
    fx_open(&f);
    ev(&f, 100, "crash", "\"attempt\":0,\"injected\":true");
    fputs("{broken\n", f.trace);
    ev(&f, 200, "restore", "\"checkpoint\":1,\"attempt\":1");
    CU_ASSERT_EQUAL_FATAL(report(&f), 0);
    ASSERT_HAS(f.html, "The trace could not be read to the end: ");
    ASSERT_HAS(f.html, ":3: malformed trace line");
    ASSERT_HAS(f.html, "<td>crash</td>");       /* what came before the bad line */
    CU_ASSERT_PTR_NULL(strstr(f.html, "restored checkpoint 1"));
    fx_close(&f);
}

void test_report_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_verdict_shows_exactly_once_the_checks_and_the_expectation),
        T(test_violation_shows_counts_examples_and_the_failed_checks_detail),
        T(test_missing_summary_is_noted_and_the_rest_is_still_written),
        T(test_malformed_summary_is_noted_with_the_parsers_reason),
        T(test_checkpoint_table_has_a_row_per_checkpoint_of_checkpoints_json),
        T(test_checkpoints_json_written_by_hand_is_what_the_table_shows),
        T(test_without_checkpoints_json_the_table_comes_from_the_trace),
        T(test_unreadable_checkpoints_json_is_noted_in_its_section),
        T(test_picture_links_only_to_files_that_exist),
        T(test_missing_timeline_says_how_to_draw_it),
        T(test_plain_timeline_svg_is_inlined_without_its_prolog),
        T(test_timeline_svg_that_could_run_or_load_anything_is_linked_not_inlined),
        T(test_fault_list_has_times_since_the_run_started_and_escaped_details),
        T(test_no_faults_says_none),
        T(test_scenario_text_is_escaped_so_no_markup_of_it_survives),
        T(test_text_trace_is_in_a_pre),
        T(test_full_run_folder_references_nothing_on_the_network),
        T(test_report_replaces_an_old_one_and_leaves_no_temporary_file),
        T(test_folder_without_a_trace_is_not_a_run_folder),
        T(test_malformed_trace_still_gives_a_report_that_says_so),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("report", cases);
}
