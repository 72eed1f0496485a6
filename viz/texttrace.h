/* texttrace.h — a run's trace as a few lines of text, for terminals and CI
 * logs: one row per event class, one character per time slot, a time axis
 * on top and the legend under it.
 *
 *   time    0s        2s        4s        6s
 *   chk     .>C.>C.>C.>-x..>C.>C.>C
 *   crash   ...........K...........
 *   restore ............R..........
 *   fault   ....~~~~~~~!...........
 *   bp      ....###................
 *
 * Time runs from the run's origin (the run_started line, else the first
 * line: the same origin as viz/ckstats.h) to the last line's t_ns. A slot
 * shows the most important event of its row within it (an abort outranks a
 * completion, which outranks a trigger). The checkpoint row comes from
 * ckstats, so a checkpoint that a crashed worker left open shows as
 * aborted, as in checkpoints.json. */
#ifndef SB_TEXTTRACE_H
#define SB_TEXTTRACE_H

#include <stdio.h>

#include "err.h"

#define SB_TEXTTRACE_WIDTH_DEFAULT 100 /* time slots */
#define SB_TEXTTRACE_WIDTH_MIN 10
#define SB_TEXTTRACE_WIDTH_MAX 1000
#define SB_TEXTTRACE_FAULTS_MAX 256    /* fault bands told apart (scenario indexes) */
#define SB_TEXTTRACE_BACKPRESSURE_PERCENT 80 /* a channel this full is backpressure */
#define SB_TEXTTRACE_SAMPLE_GAP_NS_MAX 1000000000LL /* samples further apart: no worker between */

/* Prints the rows, the axis and the legend of trace_path to out, in at most
 * `width` time slots (<= 0: SB_TEXTTRACE_WIDTH_DEFAULT; clamped to
 * [SB_TEXTTRACE_WIDTH_MIN, SB_TEXTTRACE_WIDTH_MAX]). A trace with no line
 * prints one line saying so. Returns -1 with err filled when the trace
 * cannot be read (nothing printed then). */
int sb_texttrace_print(const char *trace_path, FILE *out, int width, sb_err_t *err);

#endif
