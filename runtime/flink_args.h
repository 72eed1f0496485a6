/* flink_args.h — the placeholders of a user's Flink job arguments
 * (`flink.job.args`, docs/flink.md): "{bootstrap}", "{topic}", "{out}",
 * ... stand for the run's own values, which only the driver knows when
 * the run starts. One list, checked by the scenario parser and expanded by
 * the driver (cli/run_flink.c). */
#ifndef SB_FLINK_ARGS_H
#define SB_FLINK_ARGS_H

#include <stddef.h>

typedef enum sb_flink_arg {
    SB_FLINK_ARG_BOOTSTRAP = 0,   /* the Kafka brokers, HOST:PORT[,...] */
    SB_FLINK_ARG_TOPIC,           /* the run's input topic */
    SB_FLINK_ARG_OUT,             /* the sink folder, absolute */
    SB_FLINK_ARG_CHECKPOINTS,     /* the checkpoint folder, file:///ABS */
    SB_FLINK_ARG_PARALLELISM,
    SB_FLINK_ARG_CHECKPOINT_INTERVAL_MS,
    SB_FLINK_ARG_CHECKPOINT_MODE, /* EXACTLY_ONCE or AT_LEAST_ONCE */
    SB_FLINK_ARG_RECORDS_PER_S,   /* 0: unpaced */
    SB_FLINK_ARG_JOB_NAME,        /* the run id */
    SB_FLINK_ARG_COUNT_
} sb_flink_arg_t;

/* The placeholders' names, "{bootstrap}, {topic}, ..." (for messages). */
const char *sb_flink_args_known(void);

/* Whether every "{...}" in `arg` is a known placeholder (and braces pair);
 * `bad` gets the first unknown one. */
int sb_flink_arg_check(const char *arg, char *bad, size_t len);

/* `arg` with each placeholder replaced by values[its index]; -1 when the
 * result does not fit or a placeholder is unknown. */
int sb_flink_arg_expand(const char *arg, const char *const values[SB_FLINK_ARG_COUNT_], char *out,
                        size_t len);

#endif
