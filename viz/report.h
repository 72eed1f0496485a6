/* report.h — report.html: one self-contained page per run folder that ties
 * the run together: the verdict (summary.json), the timeline picture, the
 * checkpoint table (checkpoints.json, else ckstats from the trace) with
 * links to each checkpoint's pictures, the fault and failure events, the
 * scenario text and the compact text trace.
 *
 * The page loads nothing from the network and runs no script: CSS is
 * inline, viz/timeline.svg is inlined when it is plain SVG (no script, no
 * event handler, no external reference; else it is linked), and the other
 * pictures are relative links to files that exist beside it. Everything
 * taken from a file is HTML-escaped. A missing or unreadable input does not
 * stop the report: its section says what is missing and why. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

#include "err.h"

#define SB_REPORT_FILE "report.html"
#define SB_REPORT_TEXT_BYTES_MAX (1024 * 1024)     /* scenario.yaml shown, at most */
#define SB_REPORT_SVG_INLINE_BYTES_MAX (8 * 1024 * 1024) /* larger: linked, not inlined */
#define SB_REPORT_CHECKPOINT_ROWS_MAX 5000          /* rows of the checkpoint table */
#define SB_REPORT_EVENT_ROWS_MAX 2000               /* rows of the fault and failure list */
#define SB_REPORT_TEXTTRACE_WIDTH 120               /* time slots of the text trace */

/* Writes <run_dir>/report.html (through report.html.tmp and a rename).
 * Fails when run_dir is not a run folder (no trace.jsonl in it) or the
 * file cannot be written; err says which. */
int sb_report_write(const char *run_dir, sb_err_t *err);

#endif
