/* crashpoint.c — see crashpoint.h. */
#include "crashpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void marker_path(const char *run_dir, int index, char *buf, size_t len)
{
    snprintf(buf, len, "%s/faults/fired-%02d", run_dir, index);
}

bool sb_crashpoints_fired(const char *run_dir, int index)
{
    char path[600];
    marker_path(run_dir, index, path, sizeof path);
    struct stat st;
    return stat(path, &st) == 0;
}

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

bool sb_crashpoints_due(const sb_fault_t *f, int64_t hit, int64_t id, bool is_final,
                        uint64_t seed)
{
    switch (f->point_trigger) {
    case SB_POINT_AT_CHECKPOINT:
        return f->checkpoint_id == SB_CHECKPOINT_FINAL ? is_final : f->checkpoint_id == id;
    case SB_POINT_AT_HIT:
        return hit == f->hit;
    case SB_POINT_WITH_PROBABILITY: {
        double u = (double)(mix(seed ^ mix((uint64_t)hit)) >> 11) / (double)(1ULL << 53);
        return u < f->probability;
    }
    }
    return false;
}

void sb_crashpoints_init(sb_crashpoints_t *cp, const sb_scenario_t *s, const char *run_dir,
                         sb_trace_t *trace, int attempt)
{
    memset(cp, 0, sizeof *cp);
    cp->seed = mix(s->seed ^ mix((uint64_t)attempt + 1));
    cp->scenario = s;
    cp->trace = trace;
    snprintf(cp->run_dir, sizeof cp->run_dir, "%s", run_dir);
    for (int i = 0; i < s->faults_count; i++) {
        if (s->faults[i].trigger != SB_TRIGGER_CRASH_POINT || sb_crashpoints_fired(run_dir, i))
            continue;
        cp->armed[i] = true;
        cp->armed_count++;
    }
}

void sb_crashpoints_hit(sb_crashpoints_t *cp, sb_crash_point_t point, int64_t id,
                        bool is_final)
{
    if (cp == NULL || cp->armed_count == 0)
        return;
    for (int i = 0; i < cp->scenario->faults_count; i++) {
        const sb_fault_t *f = &cp->scenario->faults[i];
        if (!cp->armed[i] || f->point != point)
            continue;
        int64_t hit = atomic_fetch_add(&cp->hits[i], 1) + 1;
        if (!sb_crashpoints_due(f, hit, id, is_final, cp->seed ^ (uint64_t)i))
            continue;
        char dir[600], path[600];
        snprintf(dir, sizeof dir, "%s/faults", cp->run_dir);
        mkdir(dir, 0755);
        marker_path(cp->run_dir, i, path, sizeof path);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            continue; /* another thread fired it first */
        close(fd);
        json_t *ev = json_pack("{s:i,s:s,s:I,s:I}", "fault", i, "point",
                               sb_crash_point_name(point), "checkpoint", (json_int_t)id, "hit",
                               (json_int_t)hit);
        sb_trace_emit(cp->trace, "fault_fired", ev);
        raise(SIGKILL);
    }
}
