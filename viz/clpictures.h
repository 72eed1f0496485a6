/* clpictures.h — the pictures of one classic Chandy–Lamport snapshot, from
 * its trace (cltrace.h):
 * - the space-time diagram (snap-K-spacetime): one lane per process, time
 *   to the right; token messages as thin grey arrows from send to
 *   receive, markers as purple dashed ones; each process's recording point
 *   (a diamond for an initiator) and the cut through them; messages
 *   recorded as channel state thick blue; messages that cross the cut
 *   wrongly (missed, orphan, extra: cltrace.h) thick red; other trace
 *   events on a process (crash, restore) as black crosses. The window is
 *   spacetime.h's, around the snapshot (its first record to its
 *   completion) and wide enough for every message crossing the cut; at
 *   most arrows_max messages are drawn, the crossing ones first, the rest
 *   sampled evenly.
 * - the marker propagation graph (snap-K-graph): the process graph, each
 *   process with when it recorded (after the snapshot's first record) and
 *   its balance, each channel with when its marker arrived (coloured by
 *   that, the slowest red) and the tokens recorded on it; a channel where
 *   a message crossed the cut wrongly is drawn red and bold.
 * Graphs carry ids: "marker<ch>" for marker arrows and "ch<ch>" for graph
 * edges; token arrows are "msg<i>_<class>" with class before, after,
 * recorded, missed, orphan or extra. */
#ifndef SB_CLPICTURES_H
#define SB_CLPICTURES_H

#include <gvc.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrace.h"

#define SB_CLPICTURES_SPACETIME_ENGINE "nop"
#define SB_CLPICTURES_GRAPH_ENGINE "dot"
#define SB_CLPICTURES_ARROWS_MAX 400

/* Counts of snapshot k's messages (whole run) by class. */
void sb_clpictures_count(const sb_cltrace_t *t, int k, int64_t counts[SB_CLCLASS_COUNT_]);

/* An HTML table of snapshots ids[0..n): per snapshot the recorded balances,
 * the tokens recorded on channels, their sum (marked class "bad" when it is
 * not the total), the messages by class and links to its two pictures
 * (<prefix>snap-K-spacetime.<ext>, <prefix>snap-K-graph.<ext>); preceded by
 * one paragraph with the total and whether channels were FIFO. Used by
 * viz's index.html and by report.html. */
void sb_clpictures_table(FILE *f, const sb_cltrace_t *t, const int64_t *ids, int64_t n,
                         const char *prefix, const char *ext);

/* New graphs (agclose them); k must be a snapshot the trace has. */
Agraph_t *sb_clpictures_spacetime(const sb_cltrace_t *t, int k, int64_t arrows_max);
Agraph_t *sb_clpictures_graph(const sb_cltrace_t *t, int k);

#endif
