/* gv.c — see gv.h.
 *
 * Graphviz prints its warnings and errors through agerr unless a handler is
 * set; the handler here keeps the latest messages in a bounded buffer so
 * that a failed layout or render can say why, and nothing is printed from
 * the library. */
#include "gv.h"

#include "fsutil.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VALUE_BYTES_MAX 8192   /* one formatted attribute value */
#define PATH_BYTES_MAX 4096

struct sb_gv {
    GVC_t *gvc;
};

/* Memory Graphviz 2.42 never frees, whatever its caller does (each seen
 * under LeakSanitizer with gvFreeLayout and agclose called on every graph):
 * its plugin configuration text (gvconfig, once per context), parts of
 * every HTML-like label (htmlparse), neato -n's mode scan (scan_graph_mode,
 * once per "nop" layout), the pango plugin's parsed markup
 * (pango_parse_markup, once per text measured), and fontconfig's font
 * cache. LeakSanitizer reads this list when the program is built with it;
 * otherwise it is an unused function. With its default fast unwinding the
 * stacks stop at the first frame inside these libraries (built without
 * frame pointers), so Graphviz's allocator (gmalloc) and glib (used only
 * by the pango plugin) are named too; with fast_unwind_on_malloc=0 the
 * named functions alone cover every leak left (checked on real runs).
 * gmalloc also hides a missing gvFreeLayout or gvFreeContext: gv.c and
 * viz.c pair each with its allocation. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:gvconfig\n"
           "leak:htmlparse\n"
           "leak:scan_graph_mode\n"
           "leak:pango_parse_markup\n"
           "leak:libfontconfig.so\n"
           "leak:gmalloc\n"
           "leak:libglib-2.0.so\n";
}

/* ------------------------------------------------------------ messages */

static char gv_msgs[SB_GV_MSG_BYTES_MAX];

/* Keeps the latest messages; older ones are dropped when the buffer is full. */
static int gv_catch(char *msg)
{
    size_t have = strlen(gv_msgs), add = strlen(msg);
    if (add >= sizeof gv_msgs)
        add = sizeof gv_msgs - 1;
    if (have + add >= sizeof gv_msgs)
        have = 0;
    memcpy(gv_msgs + have, msg, add);
    gv_msgs[have + add] = '\0';
    return 0;
}

static void msgs_reset(void)
{
    gv_msgs[0] = '\0';
    agreseterrors();
}

/* The messages on one line, for an error text. */
static const char *msgs_text(void)
{
    for (char *p = gv_msgs; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
    size_t n = strlen(gv_msgs);
    while (n > 0 && gv_msgs[n - 1] == ' ')
        gv_msgs[--n] = '\0';
    return gv_msgs[0] != '\0' ? gv_msgs : "no message from Graphviz";
}

/* ------------------------------------------------------------- formats */

const char *sb_gv_format_name(sb_gv_format_t f)
{
    switch (f) {
    case SB_GV_SVG: return "svg";
    case SB_GV_PNG: return "png";
    case SB_GV_DOT: return "dot";
    }
    return "?";
}

int sb_gv_formats_parse(const char *text, unsigned *formats_out, sb_err_t *err)
{
    static const sb_gv_format_t all[] = { SB_GV_SVG, SB_GV_PNG, SB_GV_DOT };
    unsigned formats = 0;
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            const char *name = sb_gv_format_name(all[i]);
            if (strlen(name) == n && strncmp(p, name, n) == 0) {
                formats |= all[i];
                known = true;
            }
        }
        if (!known)
            return sb_err_set(err, "unknown format '%.*s' (known: svg, png, dot)", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    if (formats == 0)
        return sb_err_set(err, "no format given (known: svg, png, dot)");
    *formats_out = formats;
    return 0;
}

/* ------------------------------------------------------------- context */

/* Graphviz 2.42's pango plugin remembers the last font name it measured
 * by pointer, into a table the context owns: a second context made after
 * the first was freed compares against freed memory (seen under ASan). So
 * the process has one context, made on first use and freed at exit (an
 * atexit handler registered after LeakSanitizer's runs before its check). */
static GVC_t *shared_gvc;

static void shared_gvc_free(void)
{
    if (shared_gvc != NULL)
        gvFreeContext(shared_gvc);
    shared_gvc = NULL;
}

sb_gv_t *sb_gv_new(sb_err_t *err)
{
    agseterrf(gv_catch);
    msgs_reset();
    sb_gv_t *gv = calloc(1, sizeof *gv);
    if (gv == NULL) {
        sb_err_set(err, "out of memory for a Graphviz context");
        return NULL;
    }
    if (shared_gvc == NULL) {
        shared_gvc = gvContext();
        if (shared_gvc == NULL) {
            free(gv);
            sb_err_set(err, "cannot create a Graphviz context: %s", msgs_text());
            return NULL;
        }
        atexit(shared_gvc_free);
    }
    gv->gvc = shared_gvc;
    return gv;
}

void sb_gv_free(sb_gv_t *gv)
{
    free(gv); /* the context itself lives until exit: see shared_gvc */
}

/* --------------------------------------------------------------- graphs */

Agraph_t *sb_gv_graph(const char *name)
{
    Agraph_t *g = agopen((char *)name, Agdirected, NULL);
    assert(g != NULL);
    agattr(g, AGRAPH, "fontname", SB_GV_FONT);
    agattr(g, AGRAPH, "fontsize", "12");
    agattr(g, AGRAPH, "inputscale", "72");
    agattr(g, AGNODE, "fontname", SB_GV_FONT);
    agattr(g, AGNODE, "fontsize", "10");
    agattr(g, AGEDGE, "fontname", SB_GV_FONT);
    agattr(g, AGEDGE, "fontsize", "9");
    return g;
}

static void vset(void *obj, const char *attr, bool html, const char *fmt, va_list ap)
{
    char value[VALUE_BYTES_MAX];
    int n = vsnprintf(value, sizeof value, fmt, ap);
    assert(n >= 0 && n < (int)sizeof value); /* labels are built within bounds */
    if (html) {
        char *h = agstrdup_html(agraphof(obj), value);
        agsafeset(obj, (char *)attr, h, "");
        agstrfree(agraphof(obj), h);
    } else {
        agsafeset(obj, (char *)attr, value, "");
    }
}

void sb_gv_set(void *obj, const char *attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(obj, attr, false, fmt, ap);
    va_end(ap);
}

void sb_gv_set_html(void *obj, const char *attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(obj, attr, true, fmt, ap);
    va_end(ap);
}

void sb_gv_set_titled_legend(Agraph_t *g, const char *text, const char *legend_table)
{
    sb_gv_set_html(g, "label",
                   "<table border=\"0\" cellborder=\"0\" cellspacing=\"0\">"
                   "<tr><td>%s</td></tr><tr><td>%s</td></tr></table>",
                   text, legend_table);
}

Agnode_t *sb_gv_node(Agraph_t *g, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    assert(n >= 0 && n < (int)sizeof name);
    return agnode(g, name, 1);
}

Agedge_t *sb_gv_edge(Agraph_t *g, Agnode_t *from, Agnode_t *to)
{
    /* An anonymous edge (name NULL) is always new in a non-strict graph. */
    return agedge(g, from, to, NULL, 1);
}

void sb_gv_pin(Agnode_t *n, double x_pt, double y_pt)
{
    sb_gv_set(n, "pos", "%.2f,%.2f!", x_pt, y_pt);
}

Agnode_t *sb_gv_point(Agraph_t *g, const char *name, double x_pt, double y_pt)
{
    Agnode_t *n = agnode(g, (char *)name, 1);
    sb_gv_set(n, "shape", "point");
    sb_gv_set(n, "width", "0.01");
    sb_gv_set(n, "style", "invis");
    sb_gv_set(n, "label", "%s", "");
    sb_gv_pin(n, x_pt, y_pt);
    return n;
}

/* ---------------------------------------------------- colours and text */

void sb_gv_heat(double fraction, bool pale, char *buf, size_t len)
{
    if (!(fraction >= 0)) /* also NaN */
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    /* Hue 120 degrees (green) down to 0 (red) at fixed saturation and value. */
    double h = (1 - fraction) * 120.0 / 60.0, s = pale ? 0.35 : 0.80, v = pale ? 1.0 : 0.85;
    double c = v * s, x = c * (1 - fabs(fmod(h, 2) - 1)), m = v - c;
    double r = 0, g = 0, b = 0;
    if (h < 1) {
        r = c;
        g = x;
    } else {
        r = x;
        g = c;
    }
    snprintf(buf, len, "#%02x%02x%02x", (int)lround((r + m) * 255), (int)lround((g + m) * 255),
             (int)lround((b + m) * 255));
}

void sb_gv_escape(const char *in, char *buf, size_t len)
{
    size_t o = 0;
    assert(len > 0);
    for (const char *p = in; *p != '\0'; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        default: break;
        }
        size_t n = rep != NULL ? strlen(rep) : 1;
        if (o + n >= len)
            break;
        if (rep != NULL)
            memcpy(buf + o, rep, n);
        else
            buf[o] = *p;
        o += n;
    }
    buf[o] = '\0';
}

void sb_gv_fmt_ms(int64_t ns, char *buf, size_t len)
{
    double ms = (double)ns / 1e6;
    double a = fabs(ms);
    if (a >= 100)
        snprintf(buf, len, "%.0f ms", ms);
    else if (a >= 10)
        snprintf(buf, len, "%.1f ms", ms);
    else
        snprintf(buf, len, "%.2f ms", ms);
}

void sb_gv_fmt_bytes(int64_t bytes, char *buf, size_t len)
{
    if (bytes < 1024)
        snprintf(buf, len, "%" PRId64 " B", bytes);
    else if (bytes < 1024 * 1024)
        snprintf(buf, len, "%.1f KiB", (double)bytes / 1024);
    else
        snprintf(buf, len, "%.1f MiB", (double)bytes / (1024 * 1024));
}

/* ---------------------------------------------------------------- axes */

#define AXIS_TICKS_MAX 10
#define AXIS_TICK_PT 4.0

double sb_gv_nice_step(double span, int ticks)
{
    assert(span > 0 && ticks >= 1);
    double raw = span / ticks;
    double p = pow(10, floor(log10(raw)));
    static const double mult[] = { 1, 2, 5, 10 };
    for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++)
        if (mult[i] * p >= raw)
            return mult[i] * p;
    return 10 * p;
}

void sb_gv_time_axis(Agraph_t *g, const char *id, double x0_pt, double width_pt, double y_pt,
                     int64_t from_ns, int64_t to_ns, bool plus, int ticks_max)
{
    assert(to_ns > from_ns && width_pt > 0 && ticks_max >= 1 && ticks_max <= AXIS_TICKS_MAX);
    char name[128];
    snprintf(name, sizeof name, "%s_l", id);
    Agnode_t *l = sb_gv_point(g, name, x0_pt, y_pt);
    snprintf(name, sizeof name, "%s_r", id);
    Agnode_t *r = sb_gv_point(g, name, x0_pt + width_pt, y_pt);
    Agedge_t *line = sb_gv_edge(g, l, r);
    sb_gv_set(line, "dir", "none");
    sb_gv_set(line, "color", "#666666");
    double span = (double)(to_ns - from_ns);
    bool seconds = span >= 2e9;
    double unit = seconds ? 1e9 : 1e6;
    double step = sb_gv_nice_step(span / unit, ticks_max) * unit;
    double first = ceil((double)from_ns / step) * step;
    for (int i = 0; i <= ticks_max + 1; i++) {
        double t = first + i * step;
        if (t > (double)to_ns + step * 1e-9)
            break;
        double x = x0_pt + (t - (double)from_ns) / span * width_pt;
        snprintf(name, sizeof name, "%s_t%d", id, i);
        Agnode_t *top = sb_gv_point(g, name, x, y_pt);
        snprintf(name, sizeof name, "%s_b%d", id, i);
        Agnode_t *bottom = sb_gv_point(g, name, x, y_pt - AXIS_TICK_PT);
        Agedge_t *tick = sb_gv_edge(g, top, bottom);
        sb_gv_set(tick, "dir", "none");
        sb_gv_set(tick, "color", "#666666");
        snprintf(name, sizeof name, "%s_n%d", id, i);
        Agnode_t *label = agnode(g, name, 1);
        double v = t / unit;
        char text[32];
        snprintf(text, sizeof text, "%s%g %s", plus && v > 0 ? "+" : "", fabs(v) < 1e-9 ? 0 : v,
                 seconds ? "s" : "ms");
        sb_gv_set(label, "shape", "plaintext");
        sb_gv_set(label, "label", "%s", text);
        sb_gv_set(label, "fontsize", "8");
        sb_gv_set(label, "width", "0.3");
        sb_gv_set(label, "height", "0.15");
        sb_gv_pin(label, x, y_pt - AXIS_TICK_PT - 7);
    }
}

/* ------------------------------------------------- layout and rendering */

/* The engines the pictures use. Graphviz's own message for an unknown one
 * lists the known ones in memory it never frees: checked here first. */
static bool engine_known(const char *engine)
{
    static const char *const known[] = { "dot", "neato", "nop", "nop2" };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(engine, known[i]) == 0)
            return true;
    return false;
}

int sb_gv_layout(sb_gv_t *gv, Agraph_t *g, const char *engine, sb_err_t *err)
{
    if (!engine_known(engine))
        return sb_err_set(err, "Graphviz cannot lay out %s: unknown engine '%s' (dot, neato, "
                               "nop, nop2)",
                          agnameof(g), engine);
    msgs_reset();
    /* Graphviz may report an error (a node without a position) and still
     * return 0: its error count decides. */
    if (gvLayout(gv->gvc, g, engine) != 0 || agerrors() > 0) {
        sb_err_set(err, "Graphviz cannot lay out %s with %s: %s", agnameof(g), engine,
                   msgs_text());
        gvFreeLayout(gv->gvc, g);
        return -1;
    }
    return 0;
}

void sb_gv_free_layout(sb_gv_t *gv, Agraph_t *g)
{
    gvFreeLayout(gv->gvc, g);
}

/* Rendered into memory first: gvRenderFilename writes the file itself and
 * calls exit(1) when a write fails (a full disk), which took the whole run
 * with it. Here every write is checked, and a failure removes the temporary
 * file and returns an error naming the path and errno. */
int sb_gv_render_file(sb_gv_t *gv, Agraph_t *g, sb_gv_format_t f, const char *path,
                      sb_err_t *err)
{
    char *data = NULL;
    unsigned len = 0;
    msgs_reset();
    if (gvRenderData(gv->gvc, g, sb_gv_format_name(f), &data, &len) != 0 || agerrors() > 0) {
        if (data != NULL)
            gvFreeRenderData(data);
        return sb_err_set(err, "Graphviz cannot render %s as %s: %s", path,
                          sb_gv_format_name(f), msgs_text());
    }
    /* A picture can be drawn again: no fsync. */
    int rc = sb_fs_write_atomic(path, data, len, false, err);
    gvFreeRenderData(data);
    return rc;
}

int sb_gv_render_data(sb_gv_t *gv, Agraph_t *g, sb_gv_format_t f, char **out, size_t *len_out,
                      sb_err_t *err)
{
    char *data = NULL;
    unsigned len = 0;
    msgs_reset();
    if (gvRenderData(gv->gvc, g, sb_gv_format_name(f), &data, &len) != 0 || agerrors() > 0) {
        if (data != NULL)
            gvFreeRenderData(data);
        return sb_err_set(err, "Graphviz cannot render %s as %s: %s", agnameof(g),
                          sb_gv_format_name(f), msgs_text());
    }
    /* A copy the caller frees with free(): Graphviz's buffer needs its own. */
    char *copy = malloc((size_t)len + 1);
    if (copy == NULL) {
        gvFreeRenderData(data);
        return sb_err_set(err, "out of memory for a %u-byte picture", len);
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    gvFreeRenderData(data);
    *out = copy;
    *len_out = len;
    return 0;
}
