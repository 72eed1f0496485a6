/* ckframe.h — the frame around every checkpoint file the engine writes
 * (_metadata, _completed, <task>.json, <task>.channel), so that a file
 * proves it is whole and is the file it claims to be before anything
 * parses it.
 *
 * A frame is one text header line, then the payload:
 *
 *   SBCK <version> <payload bytes> <crc32, 8 hex digits> <identity>\n
 *   <payload>
 *
 * e.g. "SBCK 1 812 1a2b3c4d chk-7/map-1.json\n{...}". The identity is the
 * file's name within its job ("chk-7/map-1.json", "_completed"): a file
 * copied or swapped into another checkpoint's place carries the wrong one.
 * The CRC32 (zlib's) covers the identity and the payload, so a changed
 * byte anywhere but the magic is seen. One module writes and checks
 * frames; checkpoint_store.c is its only user.
 *
 * Reading never allocates from a length it read: the payload is a view
 * into the bytes the store returned, and a header whose length does not
 * match what is present is an error. */
#ifndef SB_CKFRAME_H
#define SB_CKFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SB_CKFRAME_MAGIC "SBCK"
#define SB_CKFRAME_VERSION 1
#define SB_CKFRAME_HEADER_BYTES_MAX 256     /* the header line, newline included */
#define SB_CKFRAME_IDENTITY_BYTES_MAX 160
#define SB_CKFRAME_PAYLOAD_BYTES_MAX (300u << 20) /* above a channel state's cap */

/* Why a frame was refused (the sentence says more). */
typedef enum sb_ckframe_fault {
    SB_CKFRAME_OK = 0,
    SB_CKFRAME_EMPTY,        /* 0 bytes */
    SB_CKFRAME_BAD_MAGIC,    /* not a snapbed checkpoint file */
    SB_CKFRAME_BAD_VERSION,  /* written by another format version */
    SB_CKFRAME_BAD_HEADER,   /* magic right, header unreadable */
    SB_CKFRAME_IDENTITY,     /* another file's frame (swapped, misplaced) */
    SB_CKFRAME_TRUNCATED,    /* fewer payload bytes than the header says */
    SB_CKFRAME_TRAILING,     /* more bytes than the header says */
    SB_CKFRAME_CHECKSUM,     /* the payload's CRC32 differs */
    SB_CKFRAME_FAULTS_COUNT_
} sb_ckframe_fault_t;

/* The frame of `payload` as `identity`: *out (malloc'd, caller frees) and
 * *out_len. */
int sb_ckframe_wrap(const char *identity, const void *payload, size_t len, char **out,
                    size_t *out_len, sb_err_t *err);

/* Checks `buf` as the frame of `identity` and points *payload into it.
 * On failure returns the fault and sets err to one sentence that starts
 * with `identity` ("chk-7/map-1.json: checksum mismatch (stored 1a2b3c4d,
 * computed 99aa0011)"). With `trust` (the restore-unverified mutant's
 * deliberate bug) only the header's length is used: no check at all. */
sb_ckframe_fault_t sb_ckframe_unwrap(const char *identity, const char *buf, size_t len,
                                     bool trust, const char **payload, size_t *payload_len,
                                     sb_err_t *err);

/* Bytes of the header line of `buf` (0 when it has none): where a payload
 * starts, for the corrupt fault that damages payload bytes only. */
size_t sb_ckframe_header_bytes(const char *buf, size_t len);

#endif
