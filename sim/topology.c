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
    assert(u->outputs_count < SB_SIMSCENARIO_PARALLELISM_MAX);
    assert(d->inputs_count < SB_SIMSCENARIO_INPUTS_MAX);
    int c = t->channels_count++;
    t->channels[c] = (sb_topology_channel_t){ .from = from, .to = to,
                                              .from_output = u->outputs_count,
                                              .to_input = d->inputs_count };
    u->outputs[u->outputs_count++] = c;
    d->inputs[d->inputs_count++] = c;
}

void sb_topology_build(sb_topology_t *t, const sb_simscenario_t *s)
{
    memset(t, 0, sizeof *t);
    int first[SB_SIMSCENARIO_STAGES_MAX];
    for (int i = 0; i < s->stages_count; i++)
        t->next_stage[i] = -1;
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
            task->partition = st->kind == SB_SIM_SOURCE ? t->sources_count++ : -1;
            t->sinks_count += st->kind == SB_SIM_SINK;
        }
        for (int f = 0; f < st->from_count; f++) {
            const sb_simscenario_stage_t *up = &s->stages[st->from[f]];
            t->next_stage[st->from[f]] = i;
            for (int u = 0; u < up->parallelism; u++) {
                t->tasks[first[st->from[f]] + u].out_connection = st->input;
                for (int d = 0; d < st->parallelism; d++)
                    if (st->input != SB_CONNECTION_FORWARD || u == d)
                        add_channel(t, first[st->from[f]] + u, first[i] + d);
            }
        }
    }
}

int sb_topology_route(const sb_topology_task_t *t, int32_t partition, int64_t offset,
                      unsigned rr)
{
    assert(t->outputs_count > 0);
    switch (t->out_connection) {
    case SB_CONNECTION_FORWARD:
        return 0;
    case SB_CONNECTION_REBALANCE:
        return (int)(rr % (unsigned)t->outputs_count);
    case SB_CONNECTION_HASH: {
        uint64_t key = ((uint64_t)(uint32_t)partition << 40) ^ (uint64_t)offset;
        return (int)(sb_rng_mix(key) % (uint64_t)t->outputs_count);
    }
    }
    assert(!"unknown connection");
    return 0;
}

bool sb_topology_keeps(const sb_topology_t *t, const sb_simscenario_t *s, int source,
                       int64_t offset)
{
    assert(source >= 0 && source < t->tasks_count && t->tasks[source].kind == SB_SIM_SOURCE);
    for (int st = t->tasks[source].stage; st >= 0; st = t->next_stage[st])
        if (s->stages[st].kind == SB_SIM_FILTER && offset % s->stages[st].keep_every != 0)
            return false;
    return true;
}
