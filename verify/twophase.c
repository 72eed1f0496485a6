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
}

unsigned sb_twophase_restore(sb_twophase_t *tp, json_t *ev)
{
    int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
    int attempt = (int)json_integer_value(json_object_get(ev, "attempt"));
    unsigned rules = 0;
    if (id > 0)
        tp->restores++;
    if (id < tp->max_completed)
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
