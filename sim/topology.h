/* topology.h — the job graph of a sim scenario: subtasks and channels.
 *
 * Stage s with parallelism p becomes subtasks "<name>-0" … "<name>-(p-1)".
 * Channels are numbered in the order the runtime numbers them (stage by
 * stage; for each upstream stage in `from` order, each upstream subtask,
 * each downstream subtask): a subtask's outputs all go to its one
 * downstream stage, in subtask order; its inputs are numbered in the order
 * the channels were made. Source subtask k (counting over every source
 * stage in order) reads partition k.
 *
 * Routing is deterministic: forward to the subtask of the same index,
 * rebalance round-robin per sender, hash by record id, so a seed's run
 * depends only on the seed. */
#ifndef SB_TOPOLOGY_H
#define SB_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "simscenario.h"

#define SB_TOPOLOGY_TASK_BYTES_MAX 32

typedef struct sb_topology_task {
    char name[SB_TOPOLOGY_TASK_BYTES_MAX];
    int stage;
    sb_simscenario_kind_t kind;
    int subtask;
    int inputs[SB_SIMSCENARIO_INPUTS_MAX];      /* channel indexes */
    int inputs_count;
    int outputs[SB_SIMSCENARIO_PARALLELISM_MAX]; /* channel indexes */
    int outputs_count;
    sb_connection_t out_connection;  /* how its downstream stage reads it */
    int partition;                   /* sources: the one it reads; else -1 */
} sb_topology_task_t;

typedef struct sb_topology_channel {
    int from, to;                    /* task indexes */
    int from_output, to_input;       /* its index among the sender's outputs
                                        and the receiver's inputs */
} sb_topology_channel_t;

typedef struct sb_topology {
    sb_topology_task_t tasks[SB_SIMSCENARIO_TASKS_MAX];
    int tasks_count;
    sb_topology_channel_t channels[SB_SIMSCENARIO_CHANNELS_MAX];
    int channels_count;
    int sources_count;               /* = partitions */
    int sinks_count;
    int next_stage[SB_SIMSCENARIO_STAGES_MAX]; /* the stage each feeds; -1: sink */
} sb_topology_t;

/* Builds the graph of a validated scenario (sb_simscenario_load checked
 * every bound). */
void sb_topology_build(sb_topology_t *t, const sb_simscenario_t *s);

/* The output (index into the sender's outputs) a record goes to; rr is the
 * sender's round-robin counter, which the sender advances when it emits a
 * record on a rebalance connection (asking does not move it). */
int sb_topology_route(const sb_topology_task_t *t, int32_t partition, int64_t offset,
                      unsigned rr);

/* Whether record `offset` of the partition read by source task `source`
 * reaches the sink: every filter on its path keeps it. */
bool sb_topology_keeps(const sb_topology_t *t, const sb_simscenario_t *s, int source,
                       int64_t offset);

#endif
