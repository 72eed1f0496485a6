/* gv.h — the Graphviz side shared by the pictures: a rendering context,
 * graphs with snapbed's defaults, pinned positions, a delay colour scale,
 * and layout plus rendering (svg, png, dot) to a file or to memory, with
 * Graphviz's own messages turned into error values.
 *
 * Pictures are built with cgraph (agopen, agnode, agedge, agsafeset) and
 * laid out by gvc: "dot" for graphs, "nop" for pictures whose every node is
 * pinned (neato -n: pos in points, as set by sb_gv_pin; the "!" keeps them
 * pinned when the DOT output is laid out again by neato with inputscale=72,
 * which sb_gv_graph sets). Graphviz reports problems through a process-wide
 * handler, and all sb_gv_t share one Graphviz context (freed at exit):
 * use them from one thread. */
#ifndef SB_GV_H
#define SB_GV_H

#include <gvc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SB_GV_FONT "Helvetica"
#define SB_GV_MSG_BYTES_MAX 1024 /* Graphviz messages kept for an error */

typedef struct sb_gv sb_gv_t;

/* Output formats, as a set. */
typedef enum sb_gv_format {
    SB_GV_SVG = 1 << 0,
    SB_GV_PNG = 1 << 1,
    SB_GV_DOT = 1 << 2, /* laid out: pos on every node and edge */
} sb_gv_format_t;

/* "svg", "png", "dot"; the file name extension too. */
const char *sb_gv_format_name(sb_gv_format_t f);

/* Parses "svg", "png", "dot" or a comma list ("svg,png") into a set.
 * Returns -1 and names the unknown word otherwise. */
int sb_gv_formats_parse(const char *text, unsigned *formats_out, sb_err_t *err);

sb_gv_t *sb_gv_new(sb_err_t *err);
void sb_gv_free(sb_gv_t *gv);

/* A directed graph with snapbed's defaults (font, sizes, inputscale). */
Agraph_t *sb_gv_graph(const char *name);

/* agsafeset with a formatted value; obj is a graph, node or edge. */
void sb_gv_set(void *obj, const char *attr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The label as HTML-like text (agstrdup_html), formatted. */
void sb_gv_set_html(void *obj, const char *attr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A graph label of HTML-like text above a legend (an HTML <table>): a
 * table cannot stand next to text at the top of a label, so both go into
 * the rows of an outer table. */
void sb_gv_set_titled_legend(Agraph_t *g, const char *text, const char *legend_table);

/* A node named by the format, created if new. */
Agnode_t *sb_gv_node(Agraph_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new edge (a multigraph: never merged with an existing one). */
Agedge_t *sb_gv_edge(Agraph_t *g, Agnode_t *from, Agnode_t *to);

/* pos="x,y!" in points (y grows upwards, as in Graphviz). */
void sb_gv_pin(Agnode_t *n, double x_pt, double y_pt);

/* An invisible-size point node pinned at (x, y): an end of a line. */
Agnode_t *sb_gv_point(Agraph_t *g, const char *name, double x_pt, double y_pt);

/* The delay colour for a fraction of the slowest (0 green, 0.5 yellow, 1
 * red; clamped), as "#rrggbb"; pale for fills under black text. buf holds
 * at least 8 bytes. */
void sb_gv_heat(double fraction, bool pale, char *buf, size_t len);

/* Text that is safe inside an HTML-like label (&, <, >, " escaped). */
void sb_gv_escape(const char *in, char *buf, size_t len);

/* Times and sizes for labels: "+1.25 ms", "340 us", "1.2 KiB". */
void sb_gv_fmt_ms(int64_t ns, char *buf, size_t len);      /* "1.25 ms" */
void sb_gv_fmt_bytes(int64_t bytes, char *buf, size_t len); /* "812 B" */

/* A step of 1, 2 or 5 times a power of ten that cuts span into at most
 * `ticks` parts (span > 0, ticks >= 1). */
double sb_gv_nice_step(double span, int ticks);

/* A time axis for pinned pictures: a line along y_pt from x0_pt to
 * x0_pt + width_pt standing for times [from_ns, to_ns], with ticks at a
 * 1-2-5 step (at most ticks_max + 1 of them) labelled in ms (or s past
 * 2 s); `plus` writes "+3 ms" (times after a trigger). Node names start
 * with `id`. */
void sb_gv_time_axis(Agraph_t *g, const char *id, double x0_pt, double width_pt, double y_pt,
                     int64_t from_ns, int64_t to_ns, bool plus, int ticks_max);

/* Lays out g with engine ("dot", "neato", "nop", "nop2"); free with sb_gv_free_layout
 * before agclose. Graphviz's errors (not its warnings) fail it. */
int sb_gv_layout(sb_gv_t *gv, Agraph_t *g, const char *engine, sb_err_t *err);
void sb_gv_free_layout(sb_gv_t *gv, Agraph_t *g);

/* Renders a laid-out graph into memory, writes it to path.tmp with checked
 * writes, then renames it to path. A failed write (ENOSPC, EFBIG, EIO)
 * removes path.tmp and returns an error naming it and errno: never an exit. */
int sb_gv_render_file(sb_gv_t *gv, Agraph_t *g, sb_gv_format_t f, const char *path,
                      sb_err_t *err);

/* Renders into a malloc'd, NUL-terminated buffer (the caller frees it). */
int sb_gv_render_data(sb_gv_t *gv, Agraph_t *g, sb_gv_format_t f, char **out, size_t *len_out,
                      sb_err_t *err);

#endif
