/* twophase.c — see twophase.h. */
#include "twophase.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sb_twophase_init(sb_twophase_t *tp)
{
    memset(tp, 0, sizeof *tp);
    tp->committed = json_object();
    return tp->committed != NULL ? 0 : -1;
}

void sb_twophase_free(sb_twophase_t *tp)
{
    json_decref(tp->committed);
    tp->committed = NULL;
}

static unsigned broke(sb_twophase_t *tp, sb_twophase_rule_t rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static unsigned broke(sb_twophase_t *tp, sb_twophase_rule_t rule, const char *fmt, ...)
{
    assert((unsigned)rule < SB_TWOPHASE_RULES_COUNT_);
    tp->violations[rule]++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tp->detail[rule], sizeof tp->detail[rule], fmt, ap);
    va_end(ap);
    return 1u << rule;
}

void sb_twophase_completed(sb_twophase_t *tp, int64_t checkpoint_id)
{
    if (checkpoint_id > tp->max_completed)
        tp->max_completed = checkpoint_id;
    tp->recent[tp->recent_count++ % SB_TWOPHASE_RECENT_MAX] = checkpoint_id;
}

static void remember_bad(sb_twophase_t *tp, int64_t id, const char *fmt, const char *what)
{
    const char *ignored;
    if (id <= 0 || sb_twophase_bad(tp, id, &ignored) || tp->bad_count == SB_TWOPHASE_BAD_MAX)
        return;
    tp->bad[tp->bad_count] = id;
    snprintf(tp->bad_why[tp->bad_count], sizeof tp->bad_why[0], fmt, what);
    tp->bad_count++;
}

bool sb_twophase_bad(const sb_twophase_t *tp, int64_t id, const char **why)
{
    for (int i = 0; i < tp->bad_count; i++)
        if (tp->bad[i] == id) {
            *why = tp->bad_why[i];
            return true;
        }
    return false;
}

void sb_twophase_fallback(sb_twophase_t *tp, json_t *ev)
{
    int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
    const char *file = json_string_value(json_object_get(ev, "file"));
    tp->fallbacks++;
    if (tp->refused_count < SB_TWOPHASE_BAD_MAX)
        tp->refused[tp->refused_count++] = id;
    remember_bad(tp, id, "a restore had refused it (%s)", file != NULL ? file : "?");
}

void sb_twophase_damaged(sb_twophase_t *tp, json_t *ev)
{
    const char *file = json_string_value(json_object_get(ev, "file"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(ev, "checkpoints"), i, v)
        remember_bad(tp, json_integer_value(v), "the supervisor had damaged it (%s)",
                     file != NULL ? file : "?");
}

/* Whether every completed checkpoint newer than `id` (that the trace saw)
 * was refused by this restore: then restoring `id` is the fallback rule. */
static bool newer_all_refused(const sb_twophase_t *tp, int64_t id)
{
    int n = tp->recent_count < SB_TWOPHASE_RECENT_MAX ? tp->recent_count : SB_TWOPHASE_RECENT_MAX;
    for (int i = 0; i < n; i++) {
        if (tp->recent[i] <= id)
            continue;
        bool refused = false;
        for (int k = 0; k < tp->refused_count; k++)
            refused |= tp->refused[k] == tp->recent[i];
        if (!refused)
            return false;
    }
    return tp->refused_count > 0;
}

unsigned sb_twophase_restore(sb_twophase_t *tp, json_t *ev)
{
    int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
    int attempt = (int)json_integer_value(json_object_get(ev, "attempt"));
    unsigned rules = 0;
    if (id > 0)
        tp->restores++;
    const char *why = NULL;
    if (id > 0 && sb_twophase_bad(tp, id, &why))
        rules |= broke(tp, SB_TWOPHASE_RESTORE_DAMAGED, "attempt %d restored from chk-%" PRId64
                       ", which failed verification: %s", attempt, id, why);
    bool fallback = id < tp->max_completed && newer_all_refused(tp, id);
    tp->refused_count = 0;
    if (id < tp->max_completed && !fallback)
        rules |= broke(tp, SB_TWOPHASE_RESTORE_OLDER, "attempt %d restored from chk-%" PRId64
                       " although chk-%" PRId64 " had completed", attempt, id,
                       tp->max_completed);
    if (id > tp->max_completed) {
        /* Legitimate only if the checkpoint had completed (its completion's
         * trace line lost to a crash): the restore says whether storage
         * held its _metadata then; older traces are checked against storage
         * later (where retention may have removed it since). */
        json_t *completed = json_object_get(ev, "completed");
        if (json_is_false(completed))
            rules |= broke(tp, SB_TWOPHASE_RESTORE_INCOMPLETE, "attempt %d restored from chk-%"
                           PRId64 ", which never completed (it had no _metadata)", attempt, id);
        else if (completed == NULL && tp->unverified_count < SB_TWOPHASE_UNVERIFIED_MAX)
            tp->unverified[tp->unverified_count++] = id;
        tp->max_completed = id;
    }
    return rules;
}

unsigned sb_twophase_sink_commit(sb_twophase_t *tp, json_t *ev)
{
    const char *key = json_string_value(json_object_get(ev, "key"));
    int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
    if (key == NULL)
        return 0;
    bool room = json_object_size(tp->committed) < SB_TWOPHASE_KEYS_MAX;
    if (!json_is_true(json_object_get(ev, "published"))) {
        /* Committed again after a restore: the first publication's trace
         * line may have been lost to the crash. It still accounts for the
         * object. */
        if (json_object_get(tp->committed, key) == NULL && room)
            json_object_set_new(tp->committed, key, json_false());
        return 0;
    }
    tp->publications++;
    unsigned rules = 0;
    if (id > tp->max_completed)
        rules |= broke(tp, SB_TWOPHASE_EARLY_PUBLISH, "%s was published for chk-%" PRId64
                       " before any checkpoint >= %" PRId64 " completed (newest completed: chk-%"
                       PRId64 ")", key, id, id, tp->max_completed);
    if (json_is_true(json_object_get(tp->committed, key)))
        rules |= broke(tp, SB_TWOPHASE_DOUBLE_PUBLISH, "%s was published twice", key);
    else if (room)
        json_object_set_new(tp->committed, key, json_true());
    return rules;
}

bool sb_twophase_committed(const sb_twophase_t *tp, const char *key)
{
    return json_object_get(tp->committed, key) != NULL;
}
