/* vocab.c — one table per vocabulary of vocab.h. */
#include "vocab.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const mode_names[] = {
    [SB_MODE_EXACTLY_ONCE] = "EXACTLY_ONCE",
    [SB_MODE_AT_LEAST_ONCE] = "AT_LEAST_ONCE",
};
_Static_assert(COUNT_OF(mode_names) == SB_MODE_COUNT_, "every mode has a name");

static const char *const engine_names[] = {
    [SB_ENGINE_SNAPBED] = "snapbed",
    [SB_ENGINE_FLINK] = "flink",
};
_Static_assert(COUNT_OF(engine_names) == SB_ENGINE_COUNT_, "every engine has a name");

static const char *const flink_sink_names[] = {
    [SB_FLINK_SINK_EXACTLY_ONCE] = "exactly-once",
    [SB_FLINK_SINK_AT_LEAST_ONCE] = "at-least-once",
    [SB_FLINK_SINK_COMMIT_EARLY] = "commit-early",
};
_Static_assert(COUNT_OF(flink_sink_names) == SB_FLINK_SINK_COUNT_, "every sink has a name");

static const char *const mutant_names[] = {
    [SB_MUTANT_NONE] = "none",
    [SB_MUTANT_COMMIT_BEFORE_COMPLETE] = "commit-before-complete",
    [SB_MUTANT_SNAPSHOT_ON_FIRST_BARRIER] = "snapshot-on-first-barrier",
    [SB_MUTANT_SOURCE_SNAPSHOT_LATE] = "source-snapshot-late",
    [SB_MUTANT_RESTORE_LATEST_TRIGGERED] = "restore-latest-triggered",
    [SB_MUTANT_DROP_PENDING_ON_RESTORE] = "drop-pending-on-restore",
    [SB_MUTANT_OVERWRITE_PUBLISHED] = "overwrite-published",
    [SB_MUTANT_DROP_CHANNEL_STATE] = "drop-channel-state",
    [SB_MUTANT_RESTORE_UNVERIFIED] = "restore-unverified",
    [SB_MUTANT_SKIP_FSYNC] = "skip-fsync",
};
_Static_assert(COUNT_OF(mutant_names) == SB_MUTANT_COUNT_, "every mutant has a name");

/* Listed in the order a checkpoint meets them (`snapbed crashpoints`). */
static const struct {
    sb_crash_point_t point;
    const char *name;
    const char *description;
} crash_points[] = {
    { SB_POINT_SOURCE_AFTER_BARRIER, "source.after_barrier",
      "a source has snapshotted its offsets and emitted barrier N" },
    { SB_POINT_OPERATOR_AFTER_SNAPSHOT, "operator.after_snapshot",
      "map, filter or count has written its snapshot of N (barrier N forwarded), before acknowledging it" },
    { SB_POINT_SINK_AFTER_UPLOAD, "sink.after_upload",
      "a sink has uploaded N's output as a multipart upload, before its snapshot" },
    { SB_POINT_SINK_AFTER_SNAPSHOT, "sink.after_snapshot",
      "a sink has written its snapshot of N, before acknowledging it" },
    { SB_POINT_COORDINATOR_BEFORE_METADATA, "coordinator.before_metadata",
      "every subtask acknowledged N, _metadata not yet written (N never completes)" },
    { SB_POINT_COORDINATOR_AFTER_COMPLETE, "coordinator.after_complete",
      "N's _metadata is written (N completed), no sink told yet: nothing published" },
    { SB_POINT_SINK_MID_COMMIT, "sink.mid_commit",
      "a sink has published one upload of a commit; its others and other sinks' not yet" },
    { SB_POINT_SINK_AFTER_COMMIT, "sink.after_commit",
      "a sink has published the output of every checkpoint <= N" },
    { SB_POINT_DURING_RESTORE, "restore.mid_restore",
      "restoring N: one sink has re-published its pending output, the rest not yet" },
};
_Static_assert(COUNT_OF(crash_points) == SB_POINT_COUNT_ - 1, "every crash point has a name");

static const char *const stage_kind_names[] = {
    [SB_STAGE_SOURCE] = "source", [SB_STAGE_MAP] = "map", [SB_STAGE_FILTER] = "filter",
    [SB_STAGE_COUNT] = "count", [SB_STAGE_SINK] = "sink",
};
_Static_assert(COUNT_OF(stage_kind_names) == SB_STAGE_COUNT_, "every task kind has a name");

static const char *name_of(const char *const *names, size_t count, int i)
{
    return i >= 0 && (size_t)i < count && names[i] != NULL ? names[i] : "unknown";
}

static int index_of(const char *const *names, size_t count, const char *name, bool any_case)
{
    for (size_t i = 0; name != NULL && i < count; i++)
        if ((any_case ? strcasecmp(name, names[i]) : strcmp(name, names[i])) == 0)
            return (int)i;
    return -1;
}

const char *sb_mode_name(sb_checkpointing_mode_t m)
{
    return name_of(mode_names, COUNT_OF(mode_names), (int)m);
}

int sb_mode_from_name(const char *name)
{
    return index_of(mode_names, COUNT_OF(mode_names), name, true);
}

const char *sb_run_engine_name(sb_run_engine_t e)
{
    return name_of(engine_names, COUNT_OF(engine_names), (int)e);
}

int sb_run_engine_from_name(const char *name)
{
    return index_of(engine_names, COUNT_OF(engine_names), name, false);
}

const char *sb_flink_sink_name(sb_flink_sink_t k)
{
    return name_of(flink_sink_names, COUNT_OF(flink_sink_names), (int)k);
}

int sb_flink_sink_from_name(const char *name)
{
    return index_of(flink_sink_names, COUNT_OF(flink_sink_names), name, false);
}

const char *sb_mutant_name(sb_mutant_t m)
{
    return name_of(mutant_names, COUNT_OF(mutant_names), (int)m);
}

int sb_mutant_from_name(const char *name)
{
    return index_of(mutant_names, COUNT_OF(mutant_names), name, false);
}

const char *sb_stage_kind_name(sb_stage_kind_t k)
{
    return name_of(stage_kind_names, COUNT_OF(stage_kind_names), (int)k);
}

int sb_stage_kind_from_name(const char *name)
{
    return index_of(stage_kind_names, COUNT_OF(stage_kind_names), name, false);
}

const char *sb_crash_point_name(sb_crash_point_t p)
{
    if (p == SB_POINT_NONE)
        return "none";
    for (size_t i = 0; i < COUNT_OF(crash_points); i++)
        if (crash_points[i].point == p)
            return crash_points[i].name;
    return "unknown";
}

const char *sb_crash_point_describe(sb_crash_point_t p)
{
    for (size_t i = 0; i < COUNT_OF(crash_points); i++)
        if (crash_points[i].point == p)
            return crash_points[i].description;
    return "";
}

/* Unknown names map to SB_POINT_NONE, which no fault may use. */
sb_crash_point_t sb_crash_point_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT_OF(crash_points); i++)
        if (strcmp(name, crash_points[i].name) == 0)
            return crash_points[i].point;
    return SB_POINT_NONE;
}

static const char *join(char *buf, size_t len, const char *const *names, size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
    return buf;
}

const char *sb_mutants_known(char *buf, size_t len)
{
    return join(buf, len, mutant_names + 1, COUNT_OF(mutant_names) - 1);
}

const char *sb_crash_points_known(char *buf, size_t len)
{
    const char *names[COUNT_OF(crash_points)];
    for (size_t i = 0; i < COUNT_OF(crash_points); i++)
        names[i] = crash_points[i].name;
    return join(buf, len, names, COUNT_OF(names));
}
