/* narrate.h — a trace told in words, one line per event: the teaching
 * mode of `snapbed sim --step`.
 *
 *     t=5.350 ms  map-1 receives barrier 1 on source-0→map-1 (after record 27);
 *                 blocks that channel; still waiting for source-1→map-1
 *
 * It reads trace events in file order (so it tells a real run's trace as
 * well as a simulated one) and keeps just enough state to explain them:
 * the job graph of the current incarnation (names of channels), which
 * inputs of each subtask have delivered the barrier of the checkpoint it
 * aligns, and whether the job aligns. Record events (send, recv) and
 * samples are not told: a teaching run has thousands of them. Classic
 * Chandy–Lamport runs (classic.h) are told too: markers, recorded states
 * and channels. */
#ifndef SB_NARRATE_H
#define SB_NARRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define SB_NARRATE_LINE_BYTES_MAX 1024

typedef struct sb_narrate sb_narrate_t;

/* NULL when out of memory. */
sb_narrate_t *sb_narrate_new(void);
void sb_narrate_free(sb_narrate_t *n);

/* What an event says. */
typedef enum sb_narrate_kind {
    SB_NARRATE_SKIP = 0,         /* nothing worth a line (records, samples) */
    SB_NARRATE_LINE,             /* a line */
    SB_NARRATE_CHECKPOINT_END,   /* a line that ends a checkpoint (completed or
                                    aborted): where --step=checkpoint pauses */
} sb_narrate_kind_t;

/* Tells one event (in file order) into buf. */
sb_narrate_kind_t sb_narrate_event(sb_narrate_t *n, json_t *ev, char *buf, size_t len);

#endif
