/* runfolder.h — the last step of `snapbed run` and `snapbed sim`: the
 * pictures (RUN_DIR/viz, SVG, with the timeline or, for a classic
 * Chandy–Lamport run, index.html) and RUN_DIR/report.html, which inlines
 * and links them. */
#ifndef SB_RUNFOLDER_H
#define SB_RUNFOLDER_H

#include <stdio.h>

/* Draws the pictures, then writes the report; prints to out, in the
 * verdict's two columns, what could not be drawn or written and else the
 * report's path. A picture that cannot be drawn does not stop the report
 * (its section says what is missing). out may be NULL: nothing printed.
 * Returns 0 when the report was written. */
int sb_runfolder_finish(const char *run_dir, FILE *out);

#endif
