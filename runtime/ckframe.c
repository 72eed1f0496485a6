/* ckframe.c — see ckframe.h. */
#include "ckframe.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* zlib's crc32 takes a uInt length: feed big payloads in slices. */
static uint32_t crc_of(const char *identity, const char *payload, size_t len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)identity, (uInt)strlen(identity));
    while (len > 0) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, (const Bytef *)payload, n);
        payload += n;
        len -= n;
    }
    return (uint32_t)crc;
}

int sb_ckframe_wrap(const char *identity, const void *payload, size_t len, char **out,
                    size_t *out_len, sb_err_t *err)
{
    if (strlen(identity) >= SB_CKFRAME_IDENTITY_BYTES_MAX || strchr(identity, ' ') != NULL ||
        strchr(identity, '\n') != NULL)
        return sb_err_set(err, "%s: not a valid checkpoint file identity", identity);
    if (len > SB_CKFRAME_PAYLOAD_BYTES_MAX)
        return sb_err_set(err, "%s: %zu bytes, more than a checkpoint file may hold (%u MiB)",
                          identity, len, SB_CKFRAME_PAYLOAD_BYTES_MAX >> 20);
    char head[SB_CKFRAME_HEADER_BYTES_MAX];
    int h = snprintf(head, sizeof head, SB_CKFRAME_MAGIC " %d %zu %08" PRIx32 " %s\n",
                     SB_CKFRAME_VERSION, len, crc_of(identity, payload, len), identity);
    char *buf = malloc((size_t)h + len + 1);
    if (buf == NULL)
        return sb_err_set(err, "%s: out of memory framing %zu bytes", identity, len);
    memcpy(buf, head, (size_t)h);
    if (len > 0)
        memcpy(buf + h, payload, len);
    buf[(size_t)h + len] = '\0';
    *out = buf;
    *out_len = (size_t)h + len;
    return 0;
}

size_t sb_ckframe_header_bytes(const char *buf, size_t len)
{
    size_t n = len < SB_CKFRAME_HEADER_BYTES_MAX ? len : SB_CKFRAME_HEADER_BYTES_MAX;
    const char *nl = memchr(buf, '\n', n);
    return nl == NULL ? 0 : (size_t)(nl - buf) + 1;
}

static sb_ckframe_fault_t refuse(sb_err_t *err, sb_ckframe_fault_t f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static sb_ckframe_fault_t refuse(sb_err_t *err, sb_ckframe_fault_t f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return f;
}

/* The header's fields, parsed from a copy of its line. */
typedef struct header {
    int version;
    unsigned long long payload_bytes;
    uint32_t crc;
    char identity[SB_CKFRAME_IDENTITY_BYTES_MAX];
} header_t;

static bool parse_header(const char *line, size_t n, header_t *h)
{
    char copy[SB_CKFRAME_HEADER_BYTES_MAX];
    memcpy(copy, line, n);
    copy[n - 1] = '\0'; /* the newline */
    char crc_hex[16];
    int used = 0;
    if (sscanf(copy, SB_CKFRAME_MAGIC " %d %llu %15s %159s%n", &h->version, &h->payload_bytes,
               crc_hex, h->identity, &used) != 4 || (size_t)used != n - 1)
        return false;
    char *end = NULL;
    unsigned long crc = strtoul(crc_hex, &end, 16);
    if (strlen(crc_hex) != 8 || *end != '\0')
        return false;
    h->crc = (uint32_t)crc;
    return true;
}

sb_ckframe_fault_t sb_ckframe_unwrap(const char *identity, const char *buf, size_t len,
                                     bool trust, const char **payload, size_t *payload_len,
                                     sb_err_t *err)
{
    const size_t magic = sizeof SB_CKFRAME_MAGIC - 1;
    size_t hb = sb_ckframe_header_bytes(buf, len);
    if (trust) {
        /* The mutant: whatever follows a header line is taken as it is. */
        bool framed = len > magic && memcmp(buf, SB_CKFRAME_MAGIC " ", magic + 1) == 0;
        *payload = framed ? buf + hb : buf;
        *payload_len = framed ? len - hb : len;
        return SB_CKFRAME_OK;
    }
    if (len == 0)
        return refuse(err, SB_CKFRAME_EMPTY, "%s: empty (0 bytes)", identity);
    if (len <= magic || memcmp(buf, SB_CKFRAME_MAGIC " ", magic + 1) != 0)
        return refuse(err, SB_CKFRAME_BAD_MAGIC, "%s: not a snapbed checkpoint file (bad magic)",
                      identity);
    int version = atoi(buf + magic + 1);
    if (version != SB_CKFRAME_VERSION)
        return refuse(err, SB_CKFRAME_BAD_VERSION, "%s: format version %d, this snapbed reads %d",
                      identity, version, SB_CKFRAME_VERSION);
    header_t h;
    if (hb == 0)
        return refuse(err, SB_CKFRAME_BAD_HEADER, "%s: truncated or damaged header (no end of "
                      "line in the first %zu bytes)", identity,
                      len < SB_CKFRAME_HEADER_BYTES_MAX ? len : SB_CKFRAME_HEADER_BYTES_MAX);
    if (!parse_header(buf, hb, &h))
        return refuse(err, SB_CKFRAME_BAD_HEADER, "%s: damaged header", identity);
    if (strcmp(h.identity, identity) != 0)
        return refuse(err, SB_CKFRAME_IDENTITY, "%s: holds %s (swapped or misplaced)", identity,
                      h.identity);
    size_t present = len - hb;
    if (h.payload_bytes > present)
        return refuse(err, SB_CKFRAME_TRUNCATED, "%s: truncated: header says %llu bytes, %zu "
                      "present", identity, h.payload_bytes, present);
    if (h.payload_bytes < present)
        return refuse(err, SB_CKFRAME_TRAILING, "%s: %zu bytes after the %llu the header says",
                      identity, present - (size_t)h.payload_bytes, h.payload_bytes);
    uint32_t crc = crc_of(identity, buf + hb, present);
    if (crc != h.crc)
        return refuse(err, SB_CKFRAME_CHECKSUM, "%s: checksum mismatch (stored %08" PRIx32
                      ", computed %08" PRIx32 ")", identity, h.crc, crc);
    *payload = buf + hb;
    *payload_len = present;
    return SB_CKFRAME_OK;
}
