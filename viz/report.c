/* report.c — see report.h.
 *
 * Helpers compute and write one section each; sb_report_write decides the
 * order and owns the file. Every string that comes from a file goes through
 * html_text() (or html_attr()); numbers are printed as numbers; the only
 * markup taken from a file is an SVG that passed svg_is_plain(). Each list
 * is bounded (SB_REPORT_*_MAX), so a huge trace makes a long page, never an
 * unbounded one. */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckstats.h"
#include "clpictures.h"
#include "cltrace.h"
#include "texttrace.h"
#include "trace.h"

#define PATH_BYTES_MAX 4096
#define DETAIL_BYTES_MAX 320
#define EXAMPLES_SHOWN_MAX 10 /* record ids shown per kind of violation */

/* One row of the fault and failure list. */
typedef struct event_row {
    int64_t t_ns;
    char event[32];
    char detail[DETAIL_BYTES_MAX];
} event_row_t;

typedef struct report {
    const char *run_dir;
    char run_dir_shown[PATH_BYTES_MAX]; /* absolute, when it resolves */
    FILE *out;
    /* From the trace. */
    bool origin_seen;
    int64_t origin_ns;          /* run_started, else the first line (as ckstats) */
    int64_t end_ns;
    char scenario[256];         /* run_started's, when there is no summary */
    int64_t seed;
    bool seed_seen;
    char mode[32];
    bool flink;                 /* a Flink run: its job graph says so */
    event_row_t *events;
    int events_count;
    int64_t events_dropped;     /* past SB_REPORT_EVENT_ROWS_MAX */
    char trace_err[SB_ERR_MSG_BYTES_MAX];
} report_t;

/* ------------------------------------------------------------ helpers */

static void html_textn(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i] != '\0'; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(s[i], out);
        }
    }
}

static void html_text(FILE *out, const char *s)
{
    html_textn(out, s != NULL ? s : "", SIZE_MAX);
}

static bool path_in(const report_t *r, const char *rel, char *buf, size_t len)
{
    return snprintf(buf, len, "%s/%s", r->run_dir, rel) < (int)len;
}

static bool file_exists(const report_t *r, const char *rel)
{
    char path[PATH_BYTES_MAX];
    struct stat sb;
    return path_in(r, rel, path, sizeof path) && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A link to a file beside the report, only when it exists. */
static bool link_if_exists(report_t *r, const char *rel, const char *text)
{
    if (!file_exists(r, rel))
        return false;
    fputs("<a href=\"", r->out);
    html_text(r->out, rel);
    fputs("\">", r->out);
    html_text(r->out, text);
    fputs("</a>", r->out);
    return true;
}

/* Reads a whole file of at most max_bytes (*cut set when it was longer). */
static char *read_file(const char *path, size_t max_bytes, size_t *len, bool *cut,
                       sb_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sb_err_errno(err, errno, "cannot read %s", path);
        return NULL;
    }
    char *buf = malloc(max_bytes + 1);
    if (buf == NULL) {
        fclose(f);
        sb_err_set(err, "out of memory reading %s", path);
        return NULL;
    }
    *len = fread(buf, 1, max_bytes, f);
    *cut = *len == max_bytes && fgetc(f) != EOF;
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        free(buf);
        sb_err_set(err, "cannot read %s: read error", path);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* ---------------------------------------------------------- the trace */

static int64_t opt_int(const json_t *ev, const char *key)
{
    return json_integer_value(json_object_get(ev, key));
}

static const char *opt_str(const json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
    return s != NULL ? s : "?";
}

static void describe_restore(const json_t *ev, char *d, size_t n)
{
    int64_t id = opt_int(ev, "checkpoint"), attempt = opt_int(ev, "attempt");
    json_t *completed = json_object_get(ev, "completed");
    if (id > 0)
        snprintf(d, n, "worker attempt %" PRId64 " restored checkpoint %" PRId64 "%s", attempt,
                 id, json_is_false(completed) ? " (it had no _metadata: not completed!)" : "");
    else if (attempt > 0)
        snprintf(d, n, "worker attempt %" PRId64 ": no completed checkpoint, started over",
                 attempt);
    else
        snprintf(d, n, "worker attempt 0: fresh start, nothing to restore");
}

static void describe_crash(const json_t *ev, char *d, size_t n)
{
    bool injected = json_is_true(json_object_get(ev, "injected"));
    json_t *fault = json_object_get(ev, "fault");
    char by[64] = "";
    if (injected && json_is_integer(fault) && json_integer_value(fault) >= 0)
        snprintf(by, sizeof by, " by faults[%" PRId64 "]", (int64_t)json_integer_value(fault));
    snprintf(d, n, "worker attempt %" PRId64 ": %s; %s%s", opt_int(ev, "attempt"),
             opt_str(ev, "signal_name"), injected ? "injected" : "NOT injected (unplanned)", by);
}

/* The detail of a fault or failure event; false for other events. */
static bool describe_event(const char *name, const json_t *ev, char *d, size_t n)
{
    if (strcmp(name, "fault_started") == 0 || strcmp(name, "fault_ended") == 0)
        snprintf(d, n, "faults[%" PRId64 "] %s: %s", opt_int(ev, "fault"), opt_str(ev, "kind"),
                 opt_str(ev, "detail"));
    else if (strcmp(name, "fault_fired") == 0)
        snprintf(d, n, "faults[%" PRId64 "]: crash point %s at checkpoint %" PRId64
                 " (hit %" PRId64 ")", opt_int(ev, "fault"), opt_str(ev, "point"),
                 opt_int(ev, "checkpoint"), opt_int(ev, "hit"));
    else if (strcmp(name, "crash") == 0)
        describe_crash(ev, d, n);
    else if (strcmp(name, "restore") == 0)
        describe_restore(ev, d, n);
    else if (strcmp(name, "channel_state_restored") == 0)
        snprintf(d, n, "%s: %" PRId64 " in-flight records replayed from checkpoint %" PRId64,
                 opt_str(ev, "task"), opt_int(ev, "records"), opt_int(ev, "checkpoint"));
    else if (strcmp(name, "worker_failed") == 0)
        snprintf(d, n, "worker attempt %" PRId64 " exited with code %" PRId64,
                 opt_int(ev, "attempt"), opt_int(ev, "exit_code"));
    else if (strcmp(name, "task_failed") == 0 && json_is_string(json_object_get(ev, "exception")))
        snprintf(d, n, "%s failed: %s", opt_str(ev, "task")[0] != '\0' ? opt_str(ev, "task")
                 : "the job", opt_str(ev, "exception"));
    else if (strcmp(name, "stalled") == 0)
        snprintf(d, n, "worker attempt %" PRId64 " read nothing and completed no checkpoint "
                 "for too long", opt_int(ev, "attempt"));
    else
        return false;
    return true;
}

static void on_run_started(report_t *r, const json_t *ev)
{
    snprintf(r->scenario, sizeof r->scenario, "%s", opt_str(ev, "scenario"));
    snprintf(r->mode, sizeof r->mode, "%s", opt_str(ev, "mode"));
    r->seed_seen = json_is_integer(json_object_get(ev, "seed"));
    r->seed = opt_int(ev, "seed");
}

static int on_event(json_t *ev, void *ctx)
{
    report_t *r = ctx;
    json_t *t = json_object_get(ev, "t_ns");
    const char *name = json_string_value(json_object_get(ev, "event"));
    if (!json_is_integer(t) || name == NULL)
        return 0;
    int64_t t_ns = json_integer_value(t);
    if (!r->origin_seen) {
        r->origin_seen = true;
        r->origin_ns = t_ns;
        r->end_ns = t_ns;
    }
    r->end_ns = t_ns > r->end_ns ? t_ns : r->end_ns;
    if (strcmp(name, "run_started") == 0 && r->scenario[0] == '\0') {
        r->origin_ns = t_ns; /* run_started is the origin, as in ckstats */
        on_run_started(r, ev);
    }
    if (strcmp(name, "job_graph") == 0 && strcmp(opt_str(ev, "engine"), "flink") == 0)
        r->flink = true;
    char detail[DETAIL_BYTES_MAX];
    if (!describe_event(name, ev, detail, sizeof detail))
        return 0;
    if (r->events_count == SB_REPORT_EVENT_ROWS_MAX) {
        r->events_dropped++;
        return 0;
    }
    event_row_t *row = &r->events[r->events_count++];
    row->t_ns = t_ns;
    snprintf(row->event, sizeof row->event, "%s", name);
    snprintf(row->detail, sizeof row->detail, "%s", detail);
    return 0;
}

/* ---------------------------------------------------------- page head */

static const char STYLE[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;"
    "padding:0 1em;color:#222;line-height:1.4}"
    "h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:.9em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "pre{background:#f7f7f7;border:1px solid #ddd;padding:.6em;overflow-x:auto;"
    "font-size:.85em;line-height:1.2}"
    ".ok{color:#17692b;font-weight:600}.bad{color:#b00020;font-weight:600}"
    ".note{color:#555;font-style:italic}"
    "tr.aborted td{background:#fdecee}tr.unfinished td{background:#fff8e1}"
    ".verdict{font-size:1.1em}.svg svg{max-width:100%;height:auto}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}"
    "dt{font-weight:600}dd{margin:0}nav a{margin-right:1em}";

/* classic: a Chandy–Lamport simulation, whose sections are snapshots, not
 * a timeline, checkpoints and a text trace. */
static void write_head(report_t *r, const char *title, bool classic)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<link rel=\"icon\" href=\"data:,\">\n<title>snapbed report: ",
          r->out);
    html_text(r->out, title);
    fprintf(r->out, "</title>\n<style>%s</style>\n</head>\n<body>\n", STYLE);
    if (classic)
        fputs("<nav><a href=\"#summary\">verdict</a><a href=\"#snapshots\">snapshots</a>"
              "<a href=\"#faults\">faults</a><a href=\"#scenario\">scenario</a></nav>\n",
              r->out);
    else
        fputs("<nav><a href=\"#summary\">verdict</a><a href=\"#timeline\">timeline</a>"
              "<a href=\"#checkpoints\">checkpoints</a><a href=\"#faults\">faults</a>"
              "<a href=\"#scenario\">scenario</a><a href=\"#texttrace\">text trace</a>"
              "</nav>\n", r->out);
}

/* ------------------------------------------------------------ verdict */

static const char *ok_class(bool ok)
{
    return ok ? "ok" : "bad";
}

static void write_examples(report_t *r, const json_t *eo, const char *key, const char *what)
{
    const json_t *a = json_object_get(eo, key);
    if (json_array_size(a) == 0)
        return;
    fprintf(r->out, "<li>%s (partition:offset): ", what);
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) {
        if (i == EXAMPLES_SHOWN_MAX) {
            fputs(" …", r->out);
            break;
        }
        fputs(i ? ", " : "", r->out);
        html_text(r->out, json_string_value(v));
    }
    fputs("</li>\n", r->out);
}

/* records_in: a run's summary has it in exactly_once, a simulation's in its
 * job facts. */
static void write_exactly_once(report_t *r, const json_t *eo, int64_t records_in)
{
    bool ok = json_is_true(json_object_get(eo, "ok"));
    fprintf(r->out,
            "<p class=\"verdict\">EXACTLY-ONCE: <span class=\"%s\">%s</span> — %" PRId64
            " in, %" PRId64 " expected out, %" PRId64 " committed, %" PRId64 " lost, %" PRId64
            " duplicated, %" PRId64 " unexpected, %" PRId64 " out of order%s</p>\n",
            ok_class(ok), ok ? "OK" : "VIOLATED", records_in, opt_int(eo, "expected"), opt_int(eo, "committed"), opt_int(eo, "lost"),
            opt_int(eo, "duplicated"), opt_int(eo, "unexpected"), opt_int(eo, "out_of_order"),
            json_is_false(json_object_get(eo, "order_checked")) ? " (order not checked)" : "");
    fputs("<ul>\n", r->out);
    write_examples(r, eo, "lost_examples", "lost");
    write_examples(r, eo, "duplicated_examples", "duplicated");
    write_examples(r, eo, "unexpected_examples", "unexpected");
    write_examples(r, eo, "out_of_order_examples", "out of order");
    fputs("</ul>\n", r->out);
}

/* What a passed check means (as `snapbed run` prints it); "" for a check
 * this report does not know yet. */
static const char *check_meaning(const char *key)
{
    static const struct {
        const char *key;
        const char *meaning;
    } KNOWN[] = {
        { "counts", "final keyed counts equal the true counts" },
        { "restores", "each restore used the newest completed checkpoint" },
        { "publishes", "only completed checkpoints' output published, none twice" },
        { "crashes", "as many worker deaths seen as injected" },
        { "liveness", "checkpoints completed after the last crash" },
        { "leftovers", "no upload in progress, no temporary object" },
    };
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
        if (strcmp(KNOWN[i].key, key) == 0)
            return KNOWN[i].meaning;
    return "";
}

/* Every member shaped {ok, detail} is a check: those the run knows today
 * (counts, restores, publishes, crashes, liveness, leftovers) and any that
 * a later checker adds to summary.json. A violation shows its detail. */
static void write_checks(report_t *r, const json_t *summary)
{
    fputs("<table class=\"checks\">\n<tr><th>check</th><th>result</th><th>detail</th></tr>\n",
          r->out);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)summary, key, v) {
        const json_t *ok = json_object_get(v, "ok");
        if (strcmp(key, "exactly_once") == 0 || !json_is_boolean(ok) ||
            !json_is_string(json_object_get(v, "detail")))
            continue;
        const char *detail = json_string_value(json_object_get(v, "detail"));
        fputs("<tr><td>", r->out);
        html_text(r->out, key);
        fprintf(r->out, "</td><td class=\"%s\">%s</td><td>", ok_class(json_is_true(ok)),
                json_is_true(ok) ? "OK" : "VIOLATED");
        html_text(r->out, detail[0] != '\0' ? detail : check_meaning(key));
        fputs("</td></tr>\n", r->out);
    }
    fputs("</table>\n", r->out);
}

static void fact(report_t *r, const char *name, const char *value)
{
    fprintf(r->out, "<dt>%s</dt><dd>", name);
    html_text(r->out, value);
    fputs("</dd>\n", r->out);
}

static void write_facts(report_t *r, const json_t *s)
{
    char b[512];
    fputs("<dl>\n", r->out);
    fact(r, "mode", json_string_value(json_object_get(s, "mode")));
    snprintf(b, sizeof b, "%" PRId64 " (input and random kills)", opt_int(s, "seed"));
    fact(r, "seed", b);
    double secs = json_number_value(json_object_get(s, "duration_s"));
    snprintf(b, sizeof b, "%.2f s job, %.2f s in all; %.0f records/s end to end", secs,
             (double)(r->end_ns - r->origin_ns) / 1e9,
             json_number_value(json_object_get(s, "records_per_s")));
    fact(r, "run time", b);
    snprintf(b, sizeof b, "%" PRId64 " seen, %" PRId64 " injected", opt_int(s, "crashes_seen"),
             opt_int(s, "crashes_injected"));
    fact(r, "crashes", b);
    snprintf(b, sizeof b, "%" PRId64 " completed (see below)",
             opt_int(s, "checkpoints_completed"));
    fact(r, "checkpoints", b);
    size_t used = 0, i;
    const json_t *v;
    b[0] = '\0';
    json_array_foreach(json_object_get(s, "restored_from"), i, v) {
        if (used < sizeof b - 32)
            used += (size_t)snprintf(b + used, sizeof b - used, "%schk-%" PRId64, i ? ", " : "",
                                     (int64_t)json_integer_value(v));
    }
    fact(r, "restored from", used ? b : "none");
    snprintf(b, sizeof b, "%" PRId64, opt_int(s, "objects"));
    fact(r, "objects", b);
    const char *unfired = json_string_value(json_object_get(s, "unfired_faults"));
    if (unfired != NULL && unfired[0] != '\0') {
        snprintf(b, sizeof b, "%s never fired: the job finished first", unfired);
        fact(r, "faults", b);
    }
    fact(r, "sink", json_string_value(json_object_get(s, "sink")));
    fact(r, "checkpoint store", json_string_value(json_object_get(s, "checkpoints")));
    fact(r, "run folder", r->run_dir_shown);
    fputs("</dl>\n", r->out);
}

static void write_files(report_t *r)
{
    static const char *FILES[] = { "scenario.yaml", "summary.json",  "checkpoints.json",
                                   "trace.jsonl",   "input.json",    "worker.log",
                                   "flink/rest.json" };
    fputs("<p>files: ", r->out);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        if (link_if_exists(r, FILES[i], FILES[i]))
            fputs(" ", r->out);
    fputs("</p>\n", r->out);
}

/* Met means: the checks agreed with the scenario's `expect:` and every
 * planned fault fired; summary.json does not say which part failed, so the
 * likely one is named. */
static void write_expectation(report_t *r, const json_t *summary)
{
    bool met = json_is_true(json_object_get(summary, "expectation_met"));
    bool verified = json_is_true(json_object_get(summary, "verified_ok"));
    const char *unfired = json_string_value(json_object_get(summary, "unfired_faults"));
    bool all_fired = unfired == NULL || unfired[0] == '\0';
    const char *why = met ? (verified ? "the checks passed, as the scenario expects"
                                      : "the checks found a violation, as this negative "
                                        "control expects")
                      : !all_fired ? (verified ? "the checks passed, but not every planned "
                                                 "fault fired"
                                               : "the checks found a violation, and not every "
                                                 "planned fault fired")
                      : verified ? "the checks passed, but the scenario expects a violation "
                                   "(a negative control whose checker missed it)"
                                 : "the checks found a violation";
    fprintf(r->out, "<p class=\"verdict\">expectation: <span class=\"%s\">%s</span> — %s</p>\n",
            ok_class(met), met ? "MET" : "NOT MET", why);
}

static void write_verdict(report_t *r, const json_t *summary, const char *summary_err)
{
    fputs("<section id=\"summary\">\n<h1>", r->out);
    const char *name = json_string_value(json_object_get(summary, "scenario"));
    html_text(r->out, name != NULL ? name : r->scenario[0] ? r->scenario : r->run_dir);
    fputs("</h1>\n", r->out);
    if (summary == NULL) {
        fputs("<p class=\"bad\">No verdict: summary.json is missing or unreadable (", r->out);
        html_text(r->out, summary_err);
        fputs("). The run stopped before verifying; see worker.log, the faults and the text "
              "trace below.</p>\n<dl>\n",
              r->out);
        fact(r, "mode", r->mode);
        char b[64];
        snprintf(b, sizeof b, "%" PRId64, r->seed);
        fact(r, "seed", r->seed_seen ? b : "?");
        fact(r, "run folder", r->run_dir_shown);
        fputs("</dl>\n", r->out);
        write_files(r);
        fputs("</section>\n", r->out);
        return;
    }
    write_expectation(r, summary);
    const json_t *eo = json_object_get(summary, "exactly_once");
    write_exactly_once(r, eo, opt_int(eo, "records_in"));
    write_checks(r, summary);
    write_facts(r, summary);
    write_files(r);
    fputs("</section>\n", r->out);
}

/* ----------------------------------------------------------- timeline */

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p != '\0'; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

/* An event handler attribute: whitespace, "on", letters, "=". */
static bool has_event_handler(const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (!isspace((unsigned char)p[0]) || strncasecmp(p + 1, "on", 2) != 0)
            continue;
        const char *q = p + 3;
        while (isalpha((unsigned char)*q))
            q++;
        while (isspace((unsigned char)*q))
            q++;
        if (q > p + 3 && *q == '=')
            return true;
    }
    return false;
}

/* Whether an SVG may go into the page as markup: nothing that runs, loads
 * or embeds anything. Conservative: a false alarm only means a link. */
static bool svg_is_plain(const char *svg)
{
    static const char *BANNED[] = { "<script", "<foreignobject", "javascript:", "<iframe",
                                     "<embed",  "<object",         "href=\"http", "href='http",
                                     "src=",    "url(",            "@import",     "<!entity" };
    for (size_t i = 0; i < sizeof BANNED / sizeof BANNED[0]; i++)
        if (contains_ci(svg, BANNED[i]))
            return false;
    return !has_event_handler(svg);
}

/* The <svg>…</svg> element of a file (the XML prolog and DOCTYPE dropped). */
static bool svg_element(char *text, const char **start, size_t *len)
{
    char *s = NULL, *e = NULL;
    for (char *p = text; *p != '\0'; p++) {
        if (s == NULL && strncasecmp(p, "<svg", 4) == 0 &&
            (isspace((unsigned char)p[4]) || p[4] == '>'))
            s = p;
        if (s != NULL && strncasecmp(p, "</svg>", 6) == 0)
            e = p + 6;
    }
    if (s == NULL || e == NULL)
        return false;
    *start = s;
    *len = (size_t)(e - s);
    return true;
}

static void write_timeline(report_t *r)
{
    const char *rel = "viz/timeline.svg";
    fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n", r->out);
    char path[PATH_BYTES_MAX];
    if (!file_exists(r, rel) || !path_in(r, rel, path, sizeof path)) {
        fputs("<p class=\"note\">No timeline picture yet: run <code>snapbed viz</code> on this "
              "run folder to draw it, then <code>snapbed report</code> again. The text trace "
              "below shows the same events.</p>\n</section>\n",
              r->out);
        return;
    }
    size_t len = 0;
    bool cut = false;
    sb_err_t err;
    char *svg = read_file(path, SB_REPORT_SVG_INLINE_BYTES_MAX, &len, &cut, &err);
    const char *start;
    size_t n;
    if (svg != NULL && !cut && svg_element(svg, &start, &n) && svg_is_plain(start)) {
        fputs("<div class=\"svg\">\n", r->out);
        fwrite(start, 1, n, r->out);
        fputs("\n</div>\n", r->out);
    } else {
        /* Too large, not an SVG, or not plain: an image cannot run anything. */
        fputs("<p><img src=\"viz/timeline.svg\" alt=\"checkpoint timeline\"></p>\n", r->out);
    }
    fputs("<p>", r->out);
    link_if_exists(r, rel, "timeline.svg");
    fputs("</p>\n</section>\n", r->out);
    free(svg);
}

/* -------------------------------------------------------- checkpoints */

static sb_ckstats_status_t status_from_name(const char *name)
{
    if (name != NULL && strcmp(name, sb_ckstats_status_name(SB_CKSTATS_COMPLETED)) == 0)
        return SB_CKSTATS_COMPLETED;
    if (name != NULL && strcmp(name, sb_ckstats_status_name(SB_CKSTATS_ABORTED)) == 0)
        return SB_CKSTATS_ABORTED;
    return SB_CKSTATS_UNFINISHED;
}

/* null (unknown) reads as -1, as in ckstats. */
static int64_t ns_or_unknown(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static void checkpoint_from_json(sb_ckstats_checkpoint_t *c, const json_t *o)
{
    memset(c, 0, sizeof *c);
    c->id = opt_int(o, "id");
    c->status = status_from_name(json_string_value(json_object_get(o, "status")));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    snprintf(c->reason, sizeof c->reason, "%s", reason != NULL ? reason : "");
    c->final = json_is_true(json_object_get(o, "final"));
    c->trigger_ns = ns_or_unknown(o, "trigger_ns");
    c->duration_ns = ns_or_unknown(o, "duration_ns");
    c->unaligned = json_is_true(json_object_get(o, "unaligned"));
    c->timed_out = json_is_true(json_object_get(o, "timed_out"));
    c->state_bytes = opt_int(o, "state_bytes");
    c->inflight_records = opt_int(o, "inflight_records");
    c->inflight_bytes = opt_int(o, "inflight_bytes");
    c->alignment_max_ns = ns_or_unknown(o, "alignment_max_ns");
    c->start_delay_max_ns = ns_or_unknown(o, "start_delay_max_ns");
    c->abandoned_count = (int)opt_int(o, "abandoned_count");
}

/* checkpoints.json (as sb_ckstats_write_json writes it) into *st, without
 * the per-subtask rows, which the table does not show. */
static int load_checkpoints_json(const char *path, sb_ckstats_t *st, sb_err_t *err)
{
    memset(st, 0, sizeof *st);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL)
        return sb_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
    const json_t *list = json_object_get(root, "checkpoints");
    if (!json_is_array(list)) {
        json_decref(root);
        return sb_err_set(err, "%s: no \"checkpoints\" array", path);
    }
    size_t n = json_array_size(list);
    if (n > SB_CKSTATS_CHECKPOINTS_MAX) {
        json_decref(root);
        return sb_err_set(err, "%s: more than %d checkpoints", path, SB_CKSTATS_CHECKPOINTS_MAX);
    }
    st->checkpoints = calloc(n > 0 ? n : 1, sizeof *st->checkpoints);
    if (st->checkpoints == NULL) {
        json_decref(root);
        return sb_err_set(err, "%s: out of memory for %zu checkpoints", path, n);
    }
    st->checkpoints_cap = (int64_t)n;
    for (size_t i = 0; i < n; i++)
        checkpoint_from_json(&st->checkpoints[st->checkpoints_count++], json_array_get(list, i));
    st->truncated = json_is_true(
        json_object_get(json_object_get(root, "summary"), "trace_truncated"));
    json_decref(root);
    return 0;
}

static void write_dist(report_t *r, const char *name, const sb_ckstats_dist_t *d)
{
    char p50[32], p99[32], max[32];
    sb_ckstats_format_ns(p50, sizeof p50, d->p50);
    sb_ckstats_format_ns(p99, sizeof p99, d->p99);
    sb_ckstats_format_ns(max, sizeof max, d->max);
    fprintf(r->out, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
            "<td class=\"n\">%s</td></tr>\n", name, p50, p99, max);
}

static void write_checkpoint_summary(report_t *r, const sb_ckstats_t *st)
{
    sb_ckstats_summary_t s;
    sb_ckstats_summarize(st, &s);
    fprintf(r->out, "<p>%" PRId64 " completed, %" PRId64 " aborted", s.completed_count,
            s.aborted_count);
    for (int i = 0; i < s.aborted_reasons_count; i++) {
        fprintf(r->out, "%s%" PRId64 " ", i == 0 ? " (" : ", ", s.aborted_reasons[i].count);
        html_text(r->out, s.aborted_reasons[i].reason);
    }
    fprintf(r->out, "%s, %" PRId64 " unfinished%s.</p>\n", s.aborted_reasons_count ? ")" : "",
            s.unfinished_count, st->truncated ? " (the trace's last line was cut)" : "");
    if (s.completed_count == 0)
        return;
    fputs("<table class=\"dist\">\n<tr><th>completed checkpoints</th><th>p50</th><th>p99</th>"
          "<th>max</th></tr>\n",
          r->out);
    write_dist(r, "duration", &s.duration_ns);
    write_dist(r, "alignment (max over subtasks)", &s.alignment_ns);
    write_dist(r, "start delay (max over subtasks)", &s.start_delay_ns);
    fputs("</table>\n", r->out);
}

static void write_picture_links(report_t *r, int64_t id)
{
    static const struct {
        const char *kind;
        const char *text;
    } PICTURES[] = { { "graph", "graph" }, { "spacetime", "space-time" }, { "gantt", "gantt" } };
    int shown = 0;
    for (size_t i = 0; i < sizeof PICTURES / sizeof PICTURES[0]; i++) {
        char rel[96];
        snprintf(rel, sizeof rel, "viz/chk-%" PRId64 "-%s.svg", id, PICTURES[i].kind);
        if (shown > 0 && file_exists(r, rel))
            fputs(" ", r->out);
        shown += link_if_exists(r, rel, PICTURES[i].text);
    }
    if (shown == 0)
        fputs("-", r->out); /* as an unknown time */
}

static void write_checkpoint_row(report_t *r, const sb_ckstats_checkpoint_t *c)
{
    char trigger[32], duration[32], align[32], delay[32], state[32], inflight[32];
    sb_ckstats_format_ns(trigger, sizeof trigger, c->trigger_ns);
    sb_ckstats_format_ns(duration, sizeof duration, c->duration_ns);
    sb_ckstats_format_ns(align, sizeof align, c->alignment_max_ns);
    sb_ckstats_format_ns(delay, sizeof delay, c->start_delay_max_ns);
    sb_ckstats_format_bytes(state, sizeof state, c->state_bytes);
    sb_ckstats_format_bytes(inflight, sizeof inflight, c->inflight_bytes);
    fprintf(r->out, "<tr class=\"%s\" id=\"chk-%" PRId64 "\"><td class=\"n\">%" PRId64
            "</td><td>%s%s",
            sb_ckstats_status_name(c->status), c->id, c->id, sb_ckstats_status_name(c->status),
            c->final ? " (final)" : "");
    if (c->reason[0] != '\0') {
        fputs(": ", r->out);
        html_text(r->out, c->reason);
    }
    fprintf(r->out,
            "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
            "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%" PRId64
            "</td><td class=\"n\">%s</td><td>%s</td><td>",
            trigger, duration, align, delay, state, c->inflight_records, inflight,
            c->timed_out ? "yes (alignment timed out)" : c->unaligned ? "yes" : "no");
    write_picture_links(r, c->id);
    fputs("</td></tr>\n", r->out);
}

static void write_checkpoints(report_t *r)
{
    fputs("<section id=\"checkpoints\">\n<h2>Checkpoints</h2>\n", r->out);
    char path[PATH_BYTES_MAX];
    sb_ckstats_t st;
    sb_err_t err = { { 0 } };
    const char *source = "checkpoints.json";
    int rc;
    if (file_exists(r, source) && path_in(r, source, path, sizeof path)) {
        rc = load_checkpoints_json(path, &st, &err);
    } else {
        source = "trace.jsonl"; /* a run that stopped before writing checkpoints.json */
        rc = path_in(r, source, path, sizeof path) ? sb_ckstats_from_trace(&st, path, &err)
                                                   : sb_err_set(&err, "path too long");
    }
    if (rc != 0) {
        fputs("<p class=\"bad\">No checkpoint statistics: ", r->out);
        html_text(r->out, err.msg);
        fputs("</p>\n</section>\n", r->out);
        sb_ckstats_free(&st);
        return;
    }
    fprintf(r->out, "<p class=\"note\">From %s. Times since the run started; alignment and "
            "start delay are the maximum over the subtasks.</p>\n", source);
    if (r->flink)
        fputs("<p class=\"note\" id=\"flink-pictures\">The figures are Flink's own (its REST "
              "API's checkpoint statistics), with a Gantt chart per checkpoint. Propagation "
              "graphs, space-time diagrams and cuts: not available for Flink runs: needs "
              "snapbed's own trace of records and barriers.</p>\n", r->out);
    write_checkpoint_summary(r, &st);
    fputs("<table class=\"checkpoints\">\n<tr><th>id</th><th>status</th><th>triggered at</th>"
          "<th>duration</th><th>alignment max</th><th>start delay max</th><th>state</th>"
          "<th>in-flight records</th><th>in-flight bytes</th><th>unaligned</th>"
          "<th>pictures</th></tr>\n",
          r->out);
    for (int64_t i = 0; i < st.checkpoints_count && i < SB_REPORT_CHECKPOINT_ROWS_MAX; i++)
        write_checkpoint_row(r, &st.checkpoints[i]);
    fputs("</table>\n", r->out);
    if (st.checkpoints_count > SB_REPORT_CHECKPOINT_ROWS_MAX)
        fprintf(r->out, "<p class=\"note\">… and %" PRId64 " more in checkpoints.json.</p>\n",
                st.checkpoints_count - SB_REPORT_CHECKPOINT_ROWS_MAX);
    fputs("</section>\n", r->out);
    sb_ckstats_free(&st);
}

/* ------------------------------------------------------------- faults */

static void write_faults(report_t *r)
{
    fputs("<section id=\"faults\">\n<h2>Faults, crashes and restores</h2>\n", r->out);
    if (r->trace_err[0] != '\0') {
        fputs("<p class=\"bad\">The trace could not be read to the end: ", r->out);
        html_text(r->out, r->trace_err);
        fputs("</p>\n", r->out);
    }
    if (r->events_count == 0) {
        fputs("<p class=\"note\">None in the trace.</p>\n</section>\n", r->out);
        return;
    }
    fputs("<table class=\"faults\">\n<tr><th>at</th><th>event</th><th>detail</th></tr>\n",
          r->out);
    for (int i = 0; i < r->events_count; i++) {
        const event_row_t *e = &r->events[i];
        fprintf(r->out, "<tr class=\"%s\"><td class=\"n\">%.3f s</td><td>", e->event,
                (double)(e->t_ns - r->origin_ns) / 1e9);
        html_text(r->out, e->event);
        fputs("</td><td>", r->out);
        html_text(r->out, e->detail);
        fputs("</td></tr>\n", r->out);
    }
    fputs("</table>\n", r->out);
    if (r->events_dropped > 0)
        fprintf(r->out, "<p class=\"note\">… and %" PRId64 " more in trace.jsonl.</p>\n",
                r->events_dropped);
    fputs("</section>\n", r->out);
}

/* ---------------------------------------------------- scenario, trace */

static void write_scenario(report_t *r)
{
    fputs("<section id=\"scenario\">\n<h2>Scenario</h2>\n", r->out);
    char path[PATH_BYTES_MAX];
    size_t len = 0;
    bool cut = false;
    sb_err_t err = { { 0 } };
    char *text = path_in(r, "scenario.yaml", path, sizeof path)
                     ? read_file(path, SB_REPORT_TEXT_BYTES_MAX, &len, &cut, &err)
                     : NULL;
    if (text == NULL) {
        fputs("<p class=\"note\">No scenario text: ", r->out);
        html_text(r->out, err.msg);
        fputs("</p>\n</section>\n", r->out);
        return;
    }
    fputs("<pre>", r->out);
    html_textn(r->out, text, len);
    fprintf(r->out, "</pre>\n%s</section>\n",
            cut ? "<p class=\"note\">(cut: the file is longer)</p>\n" : "");
    free(text);
}

static void write_texttrace(report_t *r)
{
    fputs("<section id=\"texttrace\">\n<h2>Text trace</h2>\n", r->out);
    char path[PATH_BYTES_MAX];
    char *text = NULL;
    size_t len = 0;
    sb_err_t err = { { 0 } };
    FILE *mem = open_memstream(&text, &len);
    int rc = mem == NULL ? sb_err_errno(&err, errno, "cannot open a memory stream")
             : !path_in(r, "trace.jsonl", path, sizeof path) ? sb_err_set(&err, "path too long")
             : sb_texttrace_print(path, mem, SB_REPORT_TEXTTRACE_WIDTH, &err);
    if (mem != NULL)
        fclose(mem);
    if (rc == 0) {
        fputs("<pre>", r->out);
        html_textn(r->out, text, len);
        fputs("</pre>\n", r->out);
    } else {
        fputs("<p class=\"bad\">", r->out);
        html_text(r->out, err.msg);
        fputs("</p>\n", r->out);
    }
    free(text);
    fputs("</section>\n", r->out);
}

/* ------------------------------------------------------ simulated runs */

/* summary.json of `snapbed sim` (docs/sim.md) differs from a run's: its
 * verdict is verified_ok, its checkers report {checked, violations, first}
 * per check, and a classic Chandy–Lamport run has snapshots, not
 * checkpoints. */
static bool summary_simulated(const json_t *summary)
{
    return json_is_true(json_object_get(summary, "simulated"));
}

static bool summary_classic(const json_t *summary)
{
    const char *model = json_string_value(json_object_get(summary, "model"));
    return model != NULL && strcmp(model, "chandy-lamport") == 0;
}

/* One checker's verdict line and its table of checks. */
static void write_sim_checker(report_t *r, const char *what, const json_t *c)
{
    bool ok = json_is_true(json_object_get(c, "ok"));
    const char *line = json_string_value(json_object_get(c, "summary"));
    fprintf(r->out, "<p class=\"verdict\">%s: <span class=\"%s\">%s</span>", what,
            ok_class(ok), c == NULL ? "NOT CHECKED" : ok ? "OK" : "VIOLATED");
    if (line != NULL && line[0] != '\0') {
        fputs(" — ", r->out);
        html_text(r->out, line);
    }
    fputs("</p>\n", r->out);
    const json_t *checks = json_object_get(c, "checks");
    if (!json_is_object(checks))
        return;
    fputs("<table class=\"checks\">\n<tr><th>check</th><th>result</th><th>checked</th>"
          "<th>first violation</th></tr>\n", r->out);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)checks, key, v) {
        int64_t bad = opt_int(v, "violations");
        fputs("<tr><td>", r->out);
        html_text(r->out, key);
        fprintf(r->out, "</td><td class=\"%s\">%s</td><td class=\"n\">%" PRId64 "</td><td>",
                ok_class(bad == 0), bad == 0 ? "OK" : "VIOLATED", opt_int(v, "checked"));
        html_text(r->out, opt_str(v, "first"));
        fputs("</td></tr>\n", r->out);
    }
    fputs("</table>\n", r->out);
}

/* Every integer member of a facts object (job or run) as a fact. */
static void write_int_facts(report_t *r, const json_t *o)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        if (!json_is_integer(v))
            continue;
        char b[32];
        snprintf(b, sizeof b, "%" PRId64, (int64_t)json_integer_value(v));
        char name[64];
        snprintf(name, sizeof name, "%s", key);
        for (char *c = name; *c != '\0'; c++)
            *c = *c == '_' ? ' ' : *c;
        fact(r, name, b);
    }
}

static void write_sim_verdict(report_t *r, const json_t *s)
{
    bool classic = summary_classic(s), ok = json_is_true(json_object_get(s, "verified_ok"));
    fputs("<section id=\"summary\">\n<h1>", r->out);
    html_text(r->out, opt_str(s, "scenario"));
    fputs(" (simulated)</h1>\n", r->out);
    fprintf(r->out, "<p class=\"verdict\">SIM RESULT: <span class=\"%s\">%s</span> — seed %"
            PRId64 ", %s", ok_class(ok), ok ? "OK" : "VIOLATED", opt_int(s, "seed"),
            classic ? "classic Chandy–Lamport" : "protocol ");
    if (!classic)
        html_text(r->out, opt_str(s, "protocol"));
    if (strcmp(opt_str(s, "mutant"), "none") != 0 && opt_str(s, "mutant")[0] != '\0') {
        fputs(", mutant ", r->out);
        html_text(r->out, opt_str(s, "mutant"));
    }
    fputs("</p>\n", r->out);
    if (!json_is_true(json_object_get(s, "finished"))) {
        fputs("<p class=\"bad\">liveness: VIOLATED — ", r->out);
        html_text(r->out, opt_str(s, "run_error"));
        fputs("</p>\n", r->out);
    }
    const json_t *facts = json_object_get(s, classic ? "run" : "job");
    if (classic) {
        write_sim_checker(r, "SNAPSHOTS", json_object_get(s, "snapshots"));
    } else {
        write_exactly_once(r, json_object_get(s, "exactly_once"), opt_int(facts, "records_in"));
        write_sim_checker(r, "CUTS", json_object_get(s, "cuts"));
    }
    char b[256];
    fputs("<dl>\n", r->out);
    snprintf(b, sizeof b, "%" PRId64 " in %.3f s of wall time (%.0f events/s), %.3f ms of "
             "virtual time", opt_int(s, "events"), json_number_value(json_object_get(s, "wall_s")),
             json_number_value(json_object_get(s, "events_per_s")),
             (double)opt_int(s, "virtual_ns") / 1e6);
    fact(r, "events", b);
    write_int_facts(r, facts);
    fact(r, "scenario file", opt_str(s, "scenario_path"));
    fact(r, "run folder", r->run_dir_shown);
    fputs("</dl>\n", r->out);
    write_files(r);
    fputs("</section>\n", r->out);
}

/* The snapshots of a classic run: their sums and classes (the table of
 * viz's index.html) with links to the pictures in viz/. */
static void write_cl_snapshots(report_t *r)
{
    fputs("<section id=\"snapshots\">\n<h2>Snapshots</h2>\n", r->out);
    char path[PATH_BYTES_MAX];
    sb_err_t err = { { 0 } };
    sb_cltrace_t *t = calloc(1, sizeof *t);
    int rc = t == NULL ? sb_err_set(&err, "out of memory")
             : !path_in(r, "trace.jsonl", path, sizeof path) ? sb_err_set(&err, "path too long")
             : sb_cltrace_load(t, path, &err);
    if (rc != 0) {
        fputs("<p class=\"bad\">", r->out);
        html_text(r->out, err.msg);
        fputs("</p>\n", r->out);
    } else {
        int64_t ids[SB_CLTRACE_SNAPSHOTS_MAX], n = 0;
        for (int k = 1; k <= SB_CLTRACE_SNAPSHOTS_MAX; k++)
            if (t->snapshots[k].seen && t->snapshots[k].completed_ns >= 0)
                ids[n++] = k;
        sb_clpictures_table(r->out, t, ids, n, "viz/", "svg");
        if (file_exists(r, "viz/index.html"))
            fputs("<p><a href=\"viz/index.html\">all pictures (viz/index.html)</a></p>\n",
                  r->out);
        else
            fputs("<p class=\"note\">No pictures yet: <code>snapbed viz</code> on this folder "
                  "draws them.</p>\n", r->out);
    }
    if (t != NULL)
        sb_cltrace_free(t);
    free(t);
    fputs("</section>\n", r->out);
}

/* --------------------------------------------------------------- main */

static json_t *load_summary(const report_t *r, char *why, size_t len)
{
    char path[PATH_BYTES_MAX];
    if (!path_in(r, "summary.json", path, sizeof path)) {
        snprintf(why, len, "path too long");
        return NULL;
    }
    json_error_t jerr;
    json_t *s = json_load_file(path, 0, &jerr);
    if (s == NULL) {
        snprintf(why, len, "%s", jerr.text);
        return NULL;
    }
    if (!json_is_object(s)) {
        json_decref(s);
        snprintf(why, len, "summary.json is not a JSON object");
        return NULL;
    }
    return s;
}

static void write_page(report_t *r)
{
    char why[256] = "";
    json_t *summary = load_summary(r, why, sizeof why);
    const char *title = json_string_value(json_object_get(summary, "scenario"));
    bool classic = summary_simulated(summary) && summary_classic(summary);
    write_head(r, title != NULL ? title : r->scenario[0] ? r->scenario : r->run_dir, classic);
    if (classic) {
        write_sim_verdict(r, summary);
        write_cl_snapshots(r);
        write_faults(r);
        write_scenario(r);
        fputs("</body>\n</html>\n", r->out);
        json_decref(summary);
        return;
    }
    if (summary_simulated(summary))
        write_sim_verdict(r, summary);
    else
        write_verdict(r, summary, why);
    write_timeline(r);
    write_checkpoints(r);
    write_faults(r);
    write_scenario(r);
    write_texttrace(r);
    fputs("</body>\n</html>\n", r->out);
    json_decref(summary);
}

/* Writes the page into tmp; the caller renames it. */
static int write_tmp(report_t *r, const char *tmp, sb_err_t *err)
{
    r->out = fopen(tmp, "w");
    if (r->out == NULL)
        return sb_err_errno(err, errno, "cannot create %s", tmp);
    write_page(r);
    int rc = ferror(r->out) == 0 && fflush(r->out) == 0 && fsync(fileno(r->out)) == 0 ? 0 : -1;
    int e = errno;
    if (fclose(r->out) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    r->out = NULL;
    if (rc != 0)
        return sb_err_errno(err, e, "cannot write %s", tmp);
    return 0;
}

int sb_report_write(const char *run_dir, sb_err_t *err)
{
    report_t *r = calloc(1, sizeof *r);
    event_row_t *events = calloc(SB_REPORT_EVENT_ROWS_MAX, sizeof *events);
    if (r == NULL || events == NULL) {
        free(r);
        free(events);
        return sb_err_set(err, "out of memory for the report of %s", run_dir);
    }
    r->run_dir = run_dir;
    r->events = events;
    if (realpath(run_dir, r->run_dir_shown) == NULL)
        snprintf(r->run_dir_shown, sizeof r->run_dir_shown, "%s", run_dir);
    char trace[PATH_BYTES_MAX], path[PATH_BYTES_MAX], tmp[PATH_BYTES_MAX + 8];
    int rc = 0;
    if (!path_in(r, "trace.jsonl", trace, sizeof trace) ||
        !path_in(r, SB_REPORT_FILE, path, sizeof path))
        rc = sb_err_set(err, "run folder path too long: %s", run_dir);
    else if (access(trace, R_OK) != 0)
        rc = sb_err_errno(err, errno, "%s is not a readable run folder: no %s", run_dir, trace);
    if (rc == 0) {
        /* A trace that breaks off midway still yields what came before. */
        sb_err_t terr = { { 0 } };
        if (sb_trace_read(trace, on_event, r, NULL, &terr) != 0)
            snprintf(r->trace_err, sizeof r->trace_err, "%s", terr.msg);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        rc = write_tmp(r, tmp, err);
        if (rc == 0 && rename(tmp, path) != 0)
            rc = sb_err_errno(err, errno, "cannot rename %s to %s", tmp, path);
        if (rc != 0)
            unlink(tmp);
    }
    free(events);
    free(r);
    return rc;
}
