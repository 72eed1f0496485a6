/* simstore.h — the simulator's record vectors.
 *
 * A simulated record is its id alone: partition and offset in the
 * (simulated) input. Channels, channel state being captured and replays
 * hold them in these growable vectors.
 *
 * What survives a simulated crash is not here any more: the simulator's
 * checkpoints are runtime/checkpoint_store.c and its sinks' output is
 * runtime/sink.c, both on the mem:// object store (store.h), as a real
 * run's are on file:// or s3://. */
#ifndef SB_SIMSTORE_H
#define SB_SIMSTORE_H

#include <stddef.h>
#include <stdint.h>

#define SB_SIMSTORE_RECORDS_MAX ((size_t)1 << 28) /* in one vector */

/* A record's id: partition and offset in the (simulated) input. */
typedef struct sb_simstore_rec {
    int64_t offset;
    int32_t partition;
} sb_simstore_rec_t;

typedef struct sb_simstore_recs {
    sb_simstore_rec_t *v;
    size_t n, cap;
} sb_simstore_recs_t;

/* Appends; -1 past SB_SIMSTORE_RECORDS_MAX or out of memory. */
int sb_simstore_recs_push(sb_simstore_recs_t *r, sb_simstore_rec_t rec);
void sb_simstore_recs_free(sb_simstore_recs_t *r);

#endif
