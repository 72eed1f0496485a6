/* twophase.h — the rules of restore and publication that the trace alone
 * can check, shared by the verdict (verdict.c) and the cut checker (cut.c):
 *
 * - a restore uses the newest checkpoint that had completed before it, and
 *   never one that did not complete; an older one only when the restore
 *   refused every newer completed one (restore_fallback events);
 * - no restore reads a checkpoint that failed verification: one a restore
 *   refused before, or one whose file the supervisor damaged
 *   (checkpoint_damaged, the corrupt fault);
 * - a sink publishes a checkpoint's output only once a checkpoint at least
 *   as new has completed (the two-phase commit's second phase), and never
 *   publishes the same object twice.
 *
 * Pure over the trace's events, fed in file order. A completion whose trace
 * line was lost to a crash right after its _metadata was written shows up
 * as a restore newer than any completion seen: allowed when the restore
 * says the checkpoint had completed, counted as unverified when an older
 * trace does not say (the verdict then asks the checkpoint store). */
#ifndef SB_TWOPHASE_H
#define SB_TWOPHASE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#define SB_TWOPHASE_DETAIL_BYTES_MAX 512
#define SB_TWOPHASE_KEYS_MAX 1000000     /* committed keys remembered */
#define SB_TWOPHASE_UNVERIFIED_MAX 64    /* restores left to check in storage */
#define SB_TWOPHASE_RECENT_MAX 256       /* newest completed ids remembered */
#define SB_TWOPHASE_BAD_MAX 64           /* refused or damaged ids remembered */

typedef enum sb_twophase_rule {
    SB_TWOPHASE_RESTORE_OLDER = 0,   /* older than the newest completed */
    SB_TWOPHASE_RESTORE_INCOMPLETE,  /* a checkpoint that never completed */
    SB_TWOPHASE_EARLY_PUBLISH,       /* before a checkpoint >= it completed */
    SB_TWOPHASE_DOUBLE_PUBLISH,      /* the same key published twice */
    SB_TWOPHASE_RESTORE_DAMAGED,     /* read a checkpoint that failed
                                        verification or was damaged */
    SB_TWOPHASE_RULES_COUNT_
} sb_twophase_rule_t;

typedef struct sb_twophase {
    int64_t max_completed;           /* newest completion seen so far */
    json_t *committed;               /* key -> true once published, false if
                                        only committed again (already there) */
    int64_t restores;                /* restores from a checkpoint > 0 */
    int64_t publications;            /* sink commits that published */
    int64_t unverified[SB_TWOPHASE_UNVERIFIED_MAX]; /* restored ids the trace
                                                       never saw complete */
    int unverified_count;
    int64_t recent[SB_TWOPHASE_RECENT_MAX]; /* completed ids, a ring */
    int recent_count;
    int64_t refused[SB_TWOPHASE_BAD_MAX];  /* refused since the last restore */
    int refused_count;
    int64_t bad[SB_TWOPHASE_BAD_MAX];      /* ever refused or damaged */
    char bad_why[SB_TWOPHASE_BAD_MAX][160];
    int bad_count;
    int64_t fallbacks;                     /* restore_fallback events */
    int64_t violations[SB_TWOPHASE_RULES_COUNT_];
    char detail[SB_TWOPHASE_RULES_COUNT_][SB_TWOPHASE_DETAIL_BYTES_MAX]; /* the
                                        latest violation of each rule */
} sb_twophase_t;

/* Returns -1 when out of memory. */
int sb_twophase_init(sb_twophase_t *tp);
void sb_twophase_free(sb_twophase_t *tp);

void sb_twophase_completed(sb_twophase_t *tp, int64_t checkpoint_id);

/* A restore_fallback (a completed checkpoint refused on restore) and a
 * checkpoint_damaged (the supervisor damaged a checkpoint's file). */
void sb_twophase_fallback(sb_twophase_t *tp, json_t *event);
void sb_twophase_damaged(sb_twophase_t *tp, json_t *event);
/* Whether checkpoint `id` was refused or damaged (then *why says how). */
bool sb_twophase_bad(const sb_twophase_t *tp, int64_t id, const char **why);

/* Each returns the rules the event broke, as a bit mask (1u << rule), with
 * tp->detail[rule] saying how; 0 when it broke none. */
unsigned sb_twophase_restore(sb_twophase_t *tp, json_t *event);
unsigned sb_twophase_sink_commit(sb_twophase_t *tp, json_t *event);

/* Whether a sink committed `key` (published, or found it already there). */
bool sb_twophase_committed(const sb_twophase_t *tp, const char *key);

#endif
