/* chstate.h — the channel state of one subtask in one checkpoint: the
 * records in flight across the cut on each of its inputs, in channel order,
 * as the receiver recorded them (barrier.h says which). Encoded into one
 * object beside the subtask's snapshot; on restore the subtask replays it,
 * input by input, before it reads anything new.
 *
 * Encoding (integers little-endian):
 *   "SBCS1\n", u32 sections; per section: u32 input, u64 records; per record:
 *   i32 partition, i64 offset, u16 value length, the value bytes. */
#ifndef SB_CHSTATE_H
#define SB_CHSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "barrier.h"
#include "channel.h"
#include "err.h"

#define SB_CHSTATE_BYTES_MAX (256u << 20) /* per subtask and checkpoint */

typedef struct sb_chstate_input {
    sb_record_t *records;
    size_t count, cap;
} sb_chstate_input_t;

typedef struct sb_chstate {
    int64_t checkpoint_id;
    int inputs;
    size_t records;              /* over every input */
    size_t bytes;                /* encoded size */
    sb_chstate_input_t in[SB_BARRIER_INPUTS_MAX];
} sb_chstate_t;

/* Empties it (keeping its memory) for checkpoint `id` over `inputs` inputs. */
void sb_chstate_reset(sb_chstate_t *cs, int64_t id, int inputs);
void sb_chstate_free(sb_chstate_t *cs);

/* Appends a record of `input`. Fails past SB_CHSTATE_BYTES_MAX or when out
 * of memory. */
int sb_chstate_append(sb_chstate_t *cs, int input, const sb_record_t *r, sb_err_t *err);

/* *out (malloc'd, caller frees) and *len: the encoding. */
int sb_chstate_encode(const sb_chstate_t *cs, char **out, size_t *len, sb_err_t *err);
/* Decodes into a reset `cs`; a truncated or malformed buffer is an error
 * naming `what` (e.g. the object's key). */
int sb_chstate_decode(sb_chstate_t *cs, const char *buf, size_t len, const char *what,
                      sb_err_t *err);

#endif
