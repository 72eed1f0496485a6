/* propgraph.h — the barrier propagation graph of one checkpoint: the job
 * graph (one node per subtask, one edge per channel) with, on each node,
 * when the subtask took its snapshot after the trigger, its alignment and
 * its state size, and on each edge, when the barrier arrived and how many
 * records were captured as channel state there. Nodes and edges are
 * coloured by delay relative to the slowest; the slowest path — from the
 * subtask whose ack came last, back through the barrier each subtask
 * waited for — is drawn thick.
 *
 * sb_propgraph_build extracts the figures (no Graphviz); sb_propgraph_graph
 * turns them into a cgraph graph for the "dot" engine. */
#ifndef SB_PROPGRAPH_H
#define SB_PROPGRAPH_H

#include <gvc.h>
#include <stdbool.h>
#include <stdint.h>

#include "ckstats.h"
#include "err.h"
#include "runtrace.h"

#define SB_PROPGRAPH_ENGINE "dot"

typedef struct sb_propgraph_node {
    char task[SB_RUNTRACE_NAME_BYTES_MAX];
    char kind[SB_RUNTRACE_NAME_BYTES_MAX];
    int64_t snapshot_ns;   /* after the trigger; -1: no snapshot in the trace */
    int64_t ack_ns;        /* after the trigger; -1: no ack */
    int64_t alignment_ns;  /* from the ack; -1: no ack */
    int64_t state_bytes;   /* from the ack; -1: no ack */
    bool unaligned;        /* its snapshot was unaligned */
    bool timed_out;        /* switched to unaligned by the alignment timeout */
    bool slowest_path;
} sb_propgraph_node_t;

typedef struct sb_propgraph_edge {
    int channel;
    int from;              /* node index */
    int to;
    int64_t arrival_ns;    /* barrier_received (its announcement) after the
                              trigger; -1: never */
    bool unaligned;        /* the barrier arrived as an unaligned one */
    int64_t queued_records; /* records ahead of the barrier when it was announced */
    /* Records by their place relative to the cut (see cutclass.h); all 0
     * when a side took no snapshot (cut_known false). */
    bool cut_known;
    int64_t recorded_records;   /* in flight and captured as channel state */
    int64_t unrecorded_records; /* in flight, not captured: lost on restore */
    int64_t orphan_records;
    bool slowest_path;
} sb_propgraph_edge_t;

typedef struct sb_propgraph {
    int64_t checkpoint;
    sb_ckstats_status_t status;
    char reason[SB_CKSTATS_REASON_BYTES_MAX];
    int64_t duration_ns;   /* -1 unless finished */
    int attempt;           /* of the worker incarnation */
    bool unaligned_config; /* the job's unaligned setting */
    int64_t slowest_ns;    /* the colour scale's top: the latest snapshot or arrival */
    int slowest_end;       /* node index where the slowest path ends; -1: none */
    sb_propgraph_node_t *nodes; /* in job-graph order */
    int nodes_count;
    sb_propgraph_edge_t *edges;
    int edges_count;
} sb_propgraph_t;

/* -1 with a message when the checkpoint is not in the trace, was never
 * triggered, or its worker wrote no job graph. Free with
 * sb_propgraph_free even on failure. */
int sb_propgraph_build(const sb_runtrace_t *rt, int64_t checkpoint, sb_propgraph_t *pg,
                       sb_err_t *err);
void sb_propgraph_free(sb_propgraph_t *pg);

/* A new graph (agclose it): node names are the task names, edges carry
 * id "ch<N>"; lay it out with SB_PROPGRAPH_ENGINE. */
Agraph_t *sb_propgraph_graph(const sb_propgraph_t *pg);

#endif
