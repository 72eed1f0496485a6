/* flink_args.c — see flink_args.h. */
#include "flink_args.h"

#include <stdio.h>
#include <string.h>

static const char *const names[SB_FLINK_ARG_COUNT_] = {
    [SB_FLINK_ARG_BOOTSTRAP] = "bootstrap",
    [SB_FLINK_ARG_TOPIC] = "topic",
    [SB_FLINK_ARG_OUT] = "out",
    [SB_FLINK_ARG_CHECKPOINTS] = "checkpoints",
    [SB_FLINK_ARG_PARALLELISM] = "parallelism",
    [SB_FLINK_ARG_CHECKPOINT_INTERVAL_MS] = "checkpoint_interval_ms",
    [SB_FLINK_ARG_CHECKPOINT_MODE] = "checkpoint_mode",
    [SB_FLINK_ARG_RECORDS_PER_S] = "records_per_s",
    [SB_FLINK_ARG_JOB_NAME] = "job_name",
};

const char *sb_flink_args_known(void)
{
    return "{bootstrap}, {topic}, {out}, {checkpoints}, {parallelism}, "
           "{checkpoint_interval_ms}, {checkpoint_mode}, {records_per_s}, {job_name}";
}

/* The placeholder at p ("{name}"): its index, and its length in *n; -1. */
static int placeholder_at(const char *p, size_t *n)
{
    const char *close = strchr(p, '}');
    if (close == NULL)
        return -1;
    size_t len = (size_t)(close - p - 1);
    for (int i = 0; i < SB_FLINK_ARG_COUNT_; i++)
        if (strlen(names[i]) == len && strncmp(p + 1, names[i], len) == 0) {
            *n = len + 2;
            return i;
        }
    return -1;
}

int sb_flink_arg_check(const char *arg, char *bad, size_t len)
{
    for (const char *p = strchr(arg, '{'); p != NULL; p = strchr(p, '{')) {
        size_t n = 0;
        if (placeholder_at(p, &n) < 0) {
            size_t shown = strcspn(p, "}");
            snprintf(bad, len, "%.*s%s", (int)(shown < 40 ? shown : 40), p,
                     p[shown] == '}' ? "}" : "");
            return -1;
        }
        p += n;
    }
    return 0;
}

int sb_flink_arg_expand(const char *arg, const char *const values[SB_FLINK_ARG_COUNT_], char *out,
                        size_t len)
{
    size_t used = 0;
    for (const char *p = arg; *p != '\0';) {
        const char *add = p;
        size_t add_len = 1, n = 1;
        if (*p == '{') {
            int i = placeholder_at(p, &n);
            if (i < 0)
                return -1;
            add = values[i];
            add_len = strlen(add);
        }
        if (used + add_len + 1 > len)
            return -1;
        memcpy(out + used, add, add_len);
        used += add_len;
        p += n;
    }
    out[used] = '\0';
    return 0;
}
