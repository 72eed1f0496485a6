/* texttrace.c — see texttrace.h.
 *
 * Two passes over the trace and one through ckstats: the first pass finds
 * the time span (origin and end), which fixes the slot width; ckstats gives
 * each checkpoint's trigger and end; the second pass marks the other rows.
 * Memory is bounded by the slots (SB_TEXTTRACE_WIDTH_MAX per row) and the
 * open fault bands (SB_TEXTTRACE_FAULTS_MAX), whatever the trace's size.
 *
 * Invariant: a slot only ever moves up its row's ranking (mark() never
 * lowers one), so the order in which events are marked does not matter. */
#include "texttrace.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ckstats.h"
#include "trace.h"

#define ROW_LABEL_WIDTH 8 /* "restore " */
#define AXIS_LABEL_SLOTS_MIN 10 /* slots between two time labels, at least */

typedef enum row {
    ROW_CHK,
    ROW_CRASH,
    ROW_RESTORE,
    ROW_FAULT,
    ROW_BP,
    ROWS_COUNT,
} row_t;

/* Each row's characters from the least to the most important: a slot shows
 * the most important one marked in it. The first is the empty slot. */
static const struct {
    const char *name;
    const char *ranks;
} ROWS[ROWS_COUNT] = {
    [ROW_CHK] = { "chk", ".->Cx" },
    [ROW_CRASH] = { "crash", ".KFD" },
    [ROW_RESTORE] = { "restore", ".rR" },
    [ROW_FAULT] = { "fault", ".~!" },
    [ROW_BP] = { "bp", " .#" }, /* blank: no sample in that slot */
};

typedef struct grid {
    int64_t origin_ns;
    int64_t end_ns;
    int64_t slot_ns;
    int cols;                                  /* slots in use, <= width */
    char rows[ROWS_COUNT][SB_TEXTTRACE_WIDTH_MAX + 1];
    bool has_samples;
    /* Pass 1. */
    bool first_seen;
    int64_t first_ns;
    bool run_started_seen;
    int64_t run_started_ns;
    int64_t lines;
    /* Pass 2: when each fault's band began, -1 when it is not active. */
    int64_t fault_since_ns[SB_TEXTTRACE_FAULTS_MAX];
    int64_t sample_pid;                        /* the previous sample's worker */
    int64_t sample_ns;
} grid_t;

static int rank_of(row_t row, char ch)
{
    const char *p = strchr(ROWS[row].ranks, ch);
    assert(p != NULL && ch != '\0');
    return (int)(p - ROWS[row].ranks);
}

static int slot_of(const grid_t *g, int64_t t_ns)
{
    if (t_ns <= g->origin_ns)
        return 0;
    int64_t s = (t_ns - g->origin_ns) / g->slot_ns;
    return s >= g->cols ? g->cols - 1 : (int)s;
}

static void mark(grid_t *g, row_t row, int64_t t_ns, char ch)
{
    char *slot = &g->rows[row][slot_of(g, t_ns)];
    if (rank_of(row, ch) > rank_of(row, *slot))
        *slot = ch;
}

static void mark_slots(grid_t *g, row_t row, int from, int to, char ch)
{
    for (int s = from; s <= to; s++)
        if (rank_of(row, ch) > rank_of(row, g->rows[row][s]))
            g->rows[row][s] = ch;
}

/* Marks every slot that [from_ns, to_ns] touches. */
static void mark_span(grid_t *g, row_t row, int64_t from_ns, int64_t to_ns, char ch)
{
    mark_slots(g, row, slot_of(g, from_ns), slot_of(g, to_ns), ch);
}

static bool event_time(const json_t *ev, int64_t *t_ns)
{
    json_t *t = json_object_get(ev, "t_ns");
    if (!json_is_integer(t))
        return false;
    *t_ns = json_integer_value(t);
    return true;
}

static bool event_is(const json_t *ev, const char *name)
{
    const char *e = json_string_value(json_object_get(ev, "event"));
    return e != NULL && strcmp(e, name) == 0;
}

/* ------------------------------------------------------------ pass 1 */

static int on_span(json_t *ev, void *ctx)
{
    grid_t *g = ctx;
    int64_t t_ns;
    if (!event_time(ev, &t_ns))
        return 0;
    g->lines++;
    if (!g->first_seen) {
        g->first_seen = true;
        g->first_ns = t_ns;
        g->end_ns = t_ns;
    }
    if (t_ns > g->end_ns)
        g->end_ns = t_ns;
    if (!g->run_started_seen && event_is(ev, "run_started")) {
        g->run_started_seen = true;
        g->run_started_ns = t_ns;
    }
    g->has_samples = g->has_samples || event_is(ev, "sample");
    return 0;
}

/* The slot width: the span cut into `width` slots (at least 1 ns each), so
 * that an event at k slot widths lands in slot k; the end of the span
 * falls into the last slot. */
static void grid_layout(grid_t *g, int width)
{
    g->origin_ns = g->run_started_seen ? g->run_started_ns : g->first_ns;
    int64_t span_ns = g->end_ns > g->origin_ns ? g->end_ns - g->origin_ns : 0;
    g->slot_ns = span_ns == 0 ? 1 : (span_ns + width - 1) / width;
    int64_t cols = span_ns / g->slot_ns + 1;
    g->cols = cols > width ? width : (int)cols;
    assert(g->cols >= 1 && g->cols <= width);
    for (int r = 0; r < ROWS_COUNT; r++) {
        memset(g->rows[r], ROWS[r].ranks[0], (size_t)g->cols);
        g->rows[r][g->cols] = '\0';
    }
    for (int i = 0; i < SB_TEXTTRACE_FAULTS_MAX; i++)
        g->fault_since_ns[i] = -1;
}

/* ------------------------------------------------------ checkpoints */

static void mark_checkpoints(grid_t *g, const sb_ckstats_t *st)
{
    for (int64_t i = 0; i < st->checkpoints_count; i++) {
        const sb_ckstats_checkpoint_t *c = &st->checkpoints[i];
        if (c->trigger_ns < 0)
            continue; /* never triggered in this trace: no time to show it at */
        /* ckstats measures trigger_ns from the same origin as the grid. */
        int64_t from_ns = g->origin_ns + c->trigger_ns;
        bool ended = c->status != SB_CKSTATS_UNFINISHED && c->duration_ns >= 0;
        int64_t to_ns = ended ? from_ns + c->duration_ns : g->end_ns;
        mark_span(g, ROW_CHK, from_ns, to_ns, '-');
        mark(g, ROW_CHK, from_ns, '>');
        if (ended)
            mark(g, ROW_CHK, to_ns, c->status == SB_CKSTATS_COMPLETED ? 'C' : 'x');
    }
}

/* ------------------------------------------------------------ pass 2 */

static int fault_index(const json_t *ev)
{
    json_t *f = json_object_get(ev, "fault");
    if (!json_is_integer(f))
        return -1;
    json_int_t i = json_integer_value(f);
    return i >= 0 && i < SB_TEXTTRACE_FAULTS_MAX ? (int)i : -1;
}

/* Whether some channel was at least SB_TEXTTRACE_BACKPRESSURE_PERCENT full. */
static bool sample_backpressured(const json_t *ev)
{
    json_int_t items = json_integer_value(json_object_get(ev, "items"));
    json_t *fill = json_object_get(ev, "fill");
    size_t i;
    json_t *v;
    if (items <= 0)
        return false;
    json_array_foreach(fill, i, v) {
        if (json_integer_value(v) * 100 >= items * SB_TEXTTRACE_BACKPRESSURE_PERCENT)
            return true;
    }
    return false;
}

static void on_restore(grid_t *g, const json_t *ev, int64_t t_ns)
{
    json_int_t checkpoint = json_integer_value(json_object_get(ev, "checkpoint"));
    json_int_t attempt = json_integer_value(json_object_get(ev, "attempt"));
    if (checkpoint > 0)
        mark(g, ROW_RESTORE, t_ns, 'R');
    else if (attempt > 0)
        mark(g, ROW_RESTORE, t_ns, 'r'); /* a restart with nothing to restore */
}

/* A sample speaks for the slots since the same worker's previous sample,
 * so that slots shorter than the sampling period are not left blank; a new
 * worker (another pid) or a gap past SB_TEXTTRACE_SAMPLE_GAP_NS_MAX starts
 * over. */
static void on_sample(grid_t *g, const json_t *ev, int64_t t_ns)
{
    char ch = sample_backpressured(ev) ? '#' : '.';
    int64_t pid = json_integer_value(json_object_get(ev, "pid"));
    bool continues = g->sample_ns > 0 && pid == g->sample_pid && t_ns >= g->sample_ns &&
                     t_ns - g->sample_ns <= SB_TEXTTRACE_SAMPLE_GAP_NS_MAX;
    int to = slot_of(g, t_ns);
    int from = continues ? slot_of(g, g->sample_ns) + 1 : to;
    mark_slots(g, ROW_BP, from < to ? from : to, to, ch);
    g->sample_pid = pid;
    g->sample_ns = t_ns;
}

static int on_mark(json_t *ev, void *ctx)
{
    grid_t *g = ctx;
    int64_t t_ns;
    if (!event_time(ev, &t_ns))
        return 0;
    if (event_is(ev, "crash")) {
        mark(g, ROW_CRASH, t_ns, json_is_true(json_object_get(ev, "injected")) ? 'K' : 'D');
    } else if (event_is(ev, "worker_failed") || event_is(ev, "stalled")) {
        mark(g, ROW_CRASH, t_ns, 'F');
    } else if (event_is(ev, "restore")) {
        on_restore(g, ev, t_ns);
    } else if (event_is(ev, "fault_fired")) {
        mark(g, ROW_FAULT, t_ns, '!');
    } else if (event_is(ev, "fault_started")) {
        int i = fault_index(ev);
        if (i >= 0 && g->fault_since_ns[i] < 0)
            g->fault_since_ns[i] = t_ns;
        else if (i < 0)
            mark(g, ROW_FAULT, t_ns, '~');
    } else if (event_is(ev, "fault_ended")) {
        int i = fault_index(ev);
        int64_t since_ns = i >= 0 && g->fault_since_ns[i] >= 0 ? g->fault_since_ns[i] : t_ns;
        mark_span(g, ROW_FAULT, since_ns, t_ns, '~');
        if (i >= 0)
            g->fault_since_ns[i] = -1;
    } else if (event_is(ev, "sample")) {
        on_sample(g, ev, t_ns);
    }
    return 0;
}

/* Faults still active when the trace ends. */
static void close_fault_bands(grid_t *g)
{
    for (int i = 0; i < SB_TEXTTRACE_FAULTS_MAX; i++)
        if (g->fault_since_ns[i] >= 0)
            mark_span(g, ROW_FAULT, g->fault_since_ns[i], g->end_ns, '~');
}

/* ------------------------------------------------------------ output */

/* The smallest of 1, 2, 5 x 10^k ns that is at least min_ns. */
static int64_t nice_step(int64_t min_ns)
{
    int64_t step = 1;
    for (;;) {
        if (step >= min_ns)
            return step;
        if (2 * step >= min_ns)
            return 2 * step;
        if (5 * step >= min_ns)
            return 5 * step;
        step *= 10;
    }
}

/* Durations with a unit chosen by the axis step, so that labels agree. */
static void format_time(char *buf, size_t len, int64_t t_ns, int64_t unit_ns)
{
    const char *unit = unit_ns == 1000000000 ? "s" : unit_ns == 1000000 ? "ms"
                       : unit_ns == 1000    ? "us" : "ns";
    snprintf(buf, len, "%g%s", (double)t_ns / (double)unit_ns, unit);
}

static int64_t unit_for_step(int64_t step_ns)
{
    if (step_ns >= 100000000)
        return 1000000000;
    if (step_ns >= 100000)
        return 1000000;
    return step_ns >= 100 ? 1000 : 1;
}

static void print_axis(const grid_t *g, FILE *out)
{
    char line[SB_TEXTTRACE_WIDTH_MAX + 32];
    memset(line, ' ', sizeof line);
    int64_t step_ns = nice_step(g->slot_ns * AXIS_LABEL_SLOTS_MIN);
    int64_t unit_ns = unit_for_step(step_ns);
    int next_free = 0, used = 0;
    for (int64_t t = 0; (t / g->slot_ns) < g->cols; t += step_ns) {
        int col = (int)(t / g->slot_ns);
        char label[32];
        format_time(label, sizeof label, t, unit_ns);
        int n = (int)strlen(label);
        if (col < next_free || col + n > (int)sizeof line - 1)
            continue;
        memcpy(line + col, label, (size_t)n);
        next_free = col + n + 1;
        used = col + n;
    }
    line[used] = '\0';
    fprintf(out, "%-*s%s\n", ROW_LABEL_WIDTH, "time", line);
}

static void format_duration(char *buf, size_t len, int64_t ns)
{
    if (ns < 1000)
        snprintf(buf, len, "%" PRId64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.3g us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.3g ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.3g s", (double)ns / 1e9);
}

static void print_legend(const grid_t *g, FILE *out)
{
    char slot[32], span[32];
    format_duration(slot, sizeof slot, g->slot_ns);
    format_duration(span, sizeof span, g->end_ns - g->origin_ns);
    fprintf(out, "legend: one column = %s of %s since the run started; . nothing\n", slot, span);
    fprintf(out, "  chk     > triggered, - in progress, C completed, x aborted (also when its "
                 "worker died)\n");
    fprintf(out, "  crash   K killed by the fault plan, D died unplanned, F failed (exit with "
                 "an error, or stalled)\n");
    fprintf(out, "  restore R restored from a checkpoint, r restarted with none to restore\n");
    fprintf(out, "  fault   ~ fault active, ! crash point fired\n");
    if (g->has_samples)
        fprintf(out, "  bp      # a channel >= %d%% full (backpressure), blank: no sample "
                     "(no worker)\n", SB_TEXTTRACE_BACKPRESSURE_PERCENT);
}

static void print_grid(const grid_t *g, FILE *out)
{
    print_axis(g, out);
    for (int r = 0; r < ROWS_COUNT; r++) {
        if (r == ROW_BP && !g->has_samples)
            continue;
        fprintf(out, "%-*s%s\n", ROW_LABEL_WIDTH, ROWS[r].name, g->rows[r]);
    }
    print_legend(g, out);
}

int sb_texttrace_print(const char *trace_path, FILE *out, int width, sb_err_t *err)
{
    if (width <= 0)
        width = SB_TEXTTRACE_WIDTH_DEFAULT;
    width = width < SB_TEXTTRACE_WIDTH_MIN ? SB_TEXTTRACE_WIDTH_MIN
            : width > SB_TEXTTRACE_WIDTH_MAX ? SB_TEXTTRACE_WIDTH_MAX : width;
    grid_t *g = calloc(1, sizeof *g);
    if (g == NULL)
        return sb_err_set(err, "out of memory for the text trace of %s", trace_path);
    sb_ckstats_t st;
    int rc = sb_trace_read(trace_path, on_span, g, NULL, err);
    if (rc == 0 && g->lines > 0) {
        grid_layout(g, width);
        rc = sb_ckstats_from_trace(&st, trace_path, err);
        if (rc == 0)
            mark_checkpoints(g, &st);
        sb_ckstats_free(&st);
    }
    if (rc == 0 && g->lines > 0)
        rc = sb_trace_read(trace_path, on_mark, g, NULL, err);
    if (rc == 0 && g->lines > 0) {
        close_fault_bands(g);
        print_grid(g, out);
    } else if (rc == 0) {
        fprintf(out, "trace: no events in %s\n", trace_path);
    }
    free(g);
    if (rc != 0)
        return sb_err_wrap(err, "drawing the text trace");
    return 0;
}
