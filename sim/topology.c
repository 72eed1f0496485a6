/* topology.c — see topology.h. */
#include "topology.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "rng.h"

static void add_channel(sb_topology_t *t, int from, int to)
{
    assert(t->channels_count < SB_SIMSCENARIO_CHANNELS_MAX);
    sb_topology_task_t *u = &t->tasks[from], *d = &t->tasks[to];
    assert(u->outputs_count < SB_TOPOLOGY_OUTPUTS_MAX);
    assert(d->inputs_count < SB_SIMSCENARIO_INPUTS_MAX);
    int c = t->channels_count++;
    t->channels[c] = (sb_topology_channel_t){ .from = from, .to = to,
                                              .from_output = u->outputs_count,
                                              .to_input = d->inputs_count };
    u->outputs[u->outputs_count++] = c;
    d->inputs[d->inputs_count++] = c;
}

/* Stage level: who consumes each stage, and how many paths lead from it
 * to a sink (consumers come later, so one backward pass counts them). */
static void build_paths(sb_topology_t *t, const sb_simscenario_t *s)
{
    for (int i = 0; i < s->stages_count; i++)
        for (int f = 0; f < s->stages[i].from_count; f++) {
            int up = s->stages[i].from[f];
            assert(up < i && t->consumers_count[up] < SB_TOPOLOGY_GROUPS_MAX);
            t->consumers[up][t->consumers_count[up]++] = i;
        }
    t->paths_max = 1;
    for (int i = s->stages_count - 1; i >= 0; i--) {
        t->paths[i] = s->stages[i].kind == SB_STAGE_SINK ? 1 : 0;
        for (int k = 0; k < t->consumers_count[i]; k++)
            t->paths[i] += t->paths[t->consumers[i][k]];
        assert(t->paths[i] >= 1 && t->paths[i] <= SB_SIMSCENARIO_PATHS_MAX);
        if (s->stages[i].kind == SB_STAGE_SOURCE && t->paths[i] > t->paths_max)
            t->paths_max = t->paths[i];
    }
}

/* Opens the group of upstream task u towards stage `stage`. */
static sb_topology_group_t *open_group(sb_topology_t *t, sb_topology_task_t *u, int stage,
                                       sb_connection_t connection)
{
    assert(u->groups_count < SB_TOPOLOGY_GROUPS_MAX);
    int base = 0;
    for (int g = 0; g < u->groups_count; g++)
        base += t->paths[u->groups[g].stage];
    sb_topology_group_t *g = &u->groups[u->groups_count++];
    *g = (sb_topology_group_t){ .stage = stage, .connection = connection,
                                .first = u->outputs_count, .path_base = base };
    return g;
}

void sb_topology_build(sb_topology_t *t, const sb_simscenario_t *s)
{
    memset(t, 0, sizeof *t);
    build_paths(t, s);
    int first[SB_SIMSCENARIO_STAGES_MAX];
    for (int i = 0; i < s->stages_count; i++) {
        const sb_simscenario_stage_t *st = &s->stages[i];
        first[i] = t->tasks_count;
        for (int k = 0; k < st->parallelism; k++) {
            assert(t->tasks_count < SB_SIMSCENARIO_TASKS_MAX);
            sb_topology_task_t *task = &t->tasks[t->tasks_count++];
            snprintf(task->name, sizeof task->name, "%s-%d", st->name, k);
            task->stage = i;
            task->kind = st->kind;
            task->subtask = k;
            task->partition = st->kind == SB_STAGE_SOURCE ? t->sources_count++ : -1;
            task->sink = st->kind == SB_STAGE_SINK ? t->sinks_count++ : -1;
        }
        for (int f = 0; f < st->from_count; f++) {
            const sb_simscenario_stage_t *up = &s->stages[st->from[f]];
            for (int u = 0; u < up->parallelism; u++) {
                sb_topology_task_t *ut = &t->tasks[first[st->from[f]] + u];
                sb_topology_group_t *g = open_group(t, ut, i, st->input);
                for (int d = 0; d < st->parallelism; d++)
                    if (st->input != SB_CONNECTION_FORWARD || u == d)
                        add_channel(t, first[st->from[f]] + u, first[i] + d);
                g->count = ut->outputs_count - g->first;
                assert(g->count > 0);
            }
        }
    }
}

int sb_topology_route(const sb_topology_task_t *t, int g, int32_t partition, int64_t offset,
                      unsigned rr)
{
    assert(g >= 0 && g < t->groups_count);
    const sb_topology_group_t *gr = &t->groups[g];
    assert(gr->count > 0);
    switch (gr->connection) {
    case SB_CONNECTION_FORWARD:
        return gr->first;
    case SB_CONNECTION_REBALANCE:
        return gr->first + (int)(rr % (unsigned)gr->count);
    case SB_CONNECTION_HASH: {
        uint64_t key = ((uint64_t)(uint32_t)partition << 40) ^ (uint64_t)offset;
        return gr->first + (int)(sb_rng_mix(key) % (uint64_t)gr->count);
    }
    }
    assert(!"unknown connection");
    return 0;
}

int32_t sb_topology_virtual_partition(const sb_topology_t *t, int partition, int path)
{
    assert(path >= 0 && path < t->paths_max);
    return (int32_t)(partition * t->paths_max + path);
}

bool sb_topology_keeps(const sb_topology_t *t, const sb_simscenario_t *s, int stage, int path,
                       int64_t offset, int *sink)
{
    assert(stage >= 0 && stage < s->stages_count && path >= 0 && path < t->paths[stage]);
    for (int steps = 0; steps < s->stages_count; steps++) {
        const sb_simscenario_stage_t *st = &s->stages[stage];
        if (st->kind == SB_STAGE_FILTER && offset % st->keep_every != 0)
            return false;
        if (st->kind == SB_STAGE_SINK) {
            assert(path == 0);
            if (sink != NULL)
                *sink = stage;
            return true;
        }
        int k = 0;
        while (path >= t->paths[t->consumers[stage][k]])
            path -= t->paths[t->consumers[stage][k++]];
        assert(k < t->consumers_count[stage]);
        stage = t->consumers[stage][k];
    }
    assert(!"a path longer than the stages: the graph has a cycle");
    return false;
}
