/* subtask_script.h — a scripted sequence of what one subtask hears, for the
 * conformance test (tests/test_conformance.c).
 *
 * The subject is a map subtask "map-0" with `inputs` input channels (ids
 * 0 .. inputs-1) and one output (id `inputs`). Each driver plays the
 * script with its own machinery (runtime/job.c: real channels and
 * operator_step; sim/pipeline.c: its channel queues, announcements and
 * step) and writes the trace; the test compares the subject's protocol
 * events, times aside. A difference means the two drivers no longer drive
 * the subtask layer (subtask.h) the same way. */
#ifndef SB_SUBTASK_SCRIPT_H
#define SB_SUBTASK_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "vocab.h"

#define SB_SCRIPT_INPUTS_MAX 8

typedef enum sb_script_op {
    SB_SCRIPT_RECORDS = 0,   /* input's sender pushes n records (not read yet) */
    SB_SCRIPT_BARRIER,       /* input's sender announces barrier n (after its
                                records so far), unaligned if set */
    SB_SCRIPT_END,           /* input's sender ends its output */
    SB_SCRIPT_CLOCK,         /* the clock reads n ns from now on */
    SB_SCRIPT_RUN,           /* the subject runs until it has nothing to do:
                                announcements first, input by input, then the
                                clock tick, barriers due, one record batch,
                                and again */
} sb_script_op_t;

typedef struct sb_script_step {
    sb_script_op_t op;
    int input;
    int64_t n;
    bool unaligned;
} sb_script_step_t;

typedef struct sb_script {
    int inputs;                       /* 1 .. SB_SCRIPT_INPUTS_MAX */
    sb_checkpointing_mode_t mode;
    bool unaligned;                   /* execution.checkpointing.unaligned */
    int64_t aligned_timeout_ns;       /* with unaligned: the timeout; 0 none */
    sb_mutant_t mutant;
    /* A crash-point fault (SB_POINT_NONE: none): the incarnation dies when
     * the subject reaches `crash_point` for checkpoint `crash_checkpoint`;
     * the rest of the script is not played (nothing of a dead incarnation
     * happens after its death). */
    sb_crash_point_t crash_point;
    int64_t crash_checkpoint;
    const sb_script_step_t *steps;
    int steps_count;
} sb_script_t;

#endif
