/* topology.h — the job graph of a sim scenario: subtasks and channels.
 *
 * Stage s with parallelism p becomes subtasks "<name>-0" … "<name>-(p-1)".
 * Channels are numbered in the order the runtime numbers them: stage by
 * stage (the consuming stage), for each upstream stage in its `from` order,
 * each upstream subtask, each downstream subtask. So a subtask's outputs
 * come grouped by consuming stage, in stage order (one group per stage
 * that lists it in `from`), and within a group in subtask order; its
 * inputs are numbered in the order the channels were made. Source subtask
 * k (counting over every source stage in order) reads partition k; sink
 * subtask j (counting over every sink stage in order) names its uploads
 * part-jjj-….
 *
 * Fan-out replicates: a record a subtask emits goes to every group, one
 * channel each, chosen by that consumer's connection. Routing is
 * deterministic: forward to the subtask of the same index, rebalance
 * round-robin per sender and group, hash by record id, so a seed's run
 * depends only on the seed.
 *
 * Paths. A record may reach sinks along several paths; each copy carries
 * its path in its id. paths[s] counts the paths from stage s to a sink (1
 * for a sink; else the sum over its consumers, in stage order); a copy
 * sent to the consumer of group g adds the paths of the consumers before
 * it (path_base), so the copies of a record of a source stage S that reach
 * sinks are numbered 0 … paths[S]-1, one per path. A copy's id is
 * "P:offset" with the virtual partition P = partition × paths_max + path
 * (paths_max: the most paths from any source stage): unique per path, and
 * the partition itself when no stage fans out. */
#ifndef SB_TOPOLOGY_H
#define SB_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "simscenario.h"

#define SB_TOPOLOGY_TASK_BYTES_MAX 32
#define SB_TOPOLOGY_OUTPUTS_MAX SB_SIMSCENARIO_TASKS_MAX /* one per downstream subtask */
#define SB_TOPOLOGY_GROUPS_MAX SB_SIMSCENARIO_STAGES_MAX /* consuming stages */

/* A subtask's channels to one consuming stage. */
typedef struct sb_topology_group {
    int stage;                       /* the consuming stage */
    sb_connection_t connection;      /* how that stage reads this one */
    int first, count;                /* its channels: outputs[first .. first+count) */
    int path_base;                   /* added to the path of a copy sent there */
} sb_topology_group_t;

typedef struct sb_topology_task {
    char name[SB_TOPOLOGY_TASK_BYTES_MAX];
    int stage;
    sb_stage_kind_t kind;
    int subtask;
    int inputs[SB_SIMSCENARIO_INPUTS_MAX];      /* channel indexes */
    int inputs_count;
    int outputs[SB_TOPOLOGY_OUTPUTS_MAX];       /* channel indexes, by group */
    int outputs_count;
    sb_topology_group_t groups[SB_TOPOLOGY_GROUPS_MAX];
    int groups_count;                /* 0 for sinks */
    int partition;                   /* sources: the one it reads; else -1 */
    int sink;                        /* sinks: the number in its upload keys; else -1 */
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
    int sinks_count;                 /* sink subtasks, over every sink stage */
    int paths[SB_SIMSCENARIO_STAGES_MAX]; /* from each stage to a sink */
    int paths_max;                   /* the most from a source stage */
    int consumers[SB_SIMSCENARIO_STAGES_MAX][SB_TOPOLOGY_GROUPS_MAX]; /* in stage order */
    int consumers_count[SB_SIMSCENARIO_STAGES_MAX];
} sb_topology_t;

/* Builds the graph of a validated scenario (sb_simscenario_load checked
 * every bound). */
void sb_topology_build(sb_topology_t *t, const sb_simscenario_t *s);

/* The output (index into the sender's outputs, within group g) a record
 * goes to in group g; rr is the sender's round-robin counter of that group,
 * which the sender advances when it emits a record there on a rebalance
 * connection (asking does not move it). */
int sb_topology_route(const sb_topology_task_t *t, int g, int32_t partition, int64_t offset,
                      unsigned rr);

/* The virtual partition of the copy of a record of `partition` that
 * takes path `path` (see above). */
int32_t sb_topology_virtual_partition(const sb_topology_t *t, int partition, int path);

/* Whether the copy of record `offset` that leaves stage `stage` along path
 * `path` (0 … paths[stage]-1) reaches a sink: every filter on that path,
 * the stage's own included, keeps it. *sink (if not NULL) is the sink
 * stage the path ends at. */
bool sb_topology_keeps(const sb_topology_t *t, const sb_simscenario_t *s, int stage, int path,
                       int64_t offset, int *sink);

#endif
