/* proxy.h — a TCP/HTTP fault proxy (this kernel has no netem).
 *
 * One proxy listens on 127.0.0.1 and forwards every accepted connection to
 * one upstream HOST:PORT, on its own thread (one epoll loop, non-blocking
 * sockets, no sleeping). Between the two it applies *toxics*, which any
 * thread may switch on, off or change at any time with sb_proxy_set_toxics;
 * all toxics off is plain forwarding. A direction is "up" (client ->
 * upstream) or "down" (upstream -> client).
 *
 * Bounded: at most SB_PROXY_CONNECTIONS_MAX connections (more are accepted
 * and reset at once), and each connection has fixed buffers per direction
 * (a staging area for what was read and a ring for what waits to be
 * written), so memory is bounded and a slow reader backpressures its writer.
 *
 * Toxics:
 * - latency_ms ± jitter_ms (uniform, clamped at 0; netem's convention): each
 *   chunk read is held that long before it may be written. Order within a
 *   connection is kept: a chunk is never released before the one before it.
 *   Held bytes occupy the ring, so under latency L a flow carries at most
 *   SB_PROXY_RING_BYTES per L (64 KiB / 50 ms: about 1.3 MB/s).
 * - bytes_per_s: a token bucket per connection and direction (burst of
 *   1/20 s worth); the bucket starts empty when the toxic is switched on.
 * - reset_after_bytes: after that many bytes were written in the direction
 *   (counted from the connection's start, or from when the value was set,
 *   whichever is later), both sides are closed with RST (SO_LINGER 0).
 *   Bytes still in the proxy's own send queue are dropped by the RST, so the
 *   receiver sees at most N bytes.
 * - reset_probability: per chunk read, with a seeded PRNG per connection.
 * - blackhole: read from both sides and discard; nothing is forwarded or
 *   answered. A connection accepted while it is on never connects upstream
 *   (it stays a black hole until the client leaves); one accepted before
 *   resumes forwarding new bytes once it is off.
 * - slow_close_ms: when upstream closes, the FIN to the client is sent that
 *   much later (and not before everything was written).
 * - http: the proxy parses HTTP/1.1 (request and status lines, headers,
 *   Content-Length and chunked bodies, HEAD, 1xx, keep-alive, pipelining).
 *   Per request, with u drawn from (seed, request number across the proxy):
 *   u < http_error_fraction answers the request itself with an S3-style
 *   XML error (http_error_status 503 SlowDown or 500 InternalError) and
 *   consumes its body so the connection stays in step (or closes it when
 *   http_error_close, when the client asked for close or sent
 *   "Expect: 100-continue"); otherwise u < error + cut fraction forwards the
 *   request and closes the connection (FIN) after half of the response's
 *   bytes (headers + Content-Length body; the headers alone when the length
 *   is not known in advance, chunked or until-close). A cut inside the
 *   headers of a body-less response may pass for a complete one with
 *   lenient clients (curl 7.88 does). Errors are injected only in order
 *   (after every forwarded request got its response) and only while
 *   upstream is still open. Whether a connection is parsed as HTTP is fixed
 *   when it is accepted; the fractions apply live. A connection whose bytes
 *   do not parse falls back to plain forwarding (counted).
 *
 * Reproducibility: with the same seed and the same sequence of requests the
 * same requests fail; jitter and per-chunk resets depend on how TCP splits
 * the stream into reads, so they repeat only as far as that does. */
#ifndef SB_PROXY_H
#define SB_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define SB_PROXY_CONNECTIONS_MAX 256
#define SB_PROXY_RING_BYTES (64 * 1024)      /* per direction, power of two */
#define SB_PROXY_STAGE_BYTES (16 * 1024)     /* per direction; largest HTTP head */
#define SB_PROXY_CHUNKS_MAX 128              /* delayed chunks per direction */
#define SB_PROXY_HTTP_PIPELINE_MAX 32        /* forwarded requests awaiting a response */

/* Toxics of one direction; zero is off. */
typedef struct sb_proxy_flow_toxics {
    int latency_ms;
    int jitter_ms;
    int64_t bytes_per_s;
    int64_t reset_after_bytes;
    double reset_probability;   /* per chunk, 0..1 */
} sb_proxy_flow_toxics_t;

/* All toxics; a zeroed struct is plain forwarding. */
typedef struct sb_proxy_toxics {
    sb_proxy_flow_toxics_t up;      /* client -> upstream */
    sb_proxy_flow_toxics_t down;    /* upstream -> client */
    bool blackhole;
    int slow_close_ms;
    bool http;                      /* parse HTTP on connections accepted from now on */
    double http_error_fraction;     /* 0..1 */
    int http_error_status;          /* 503 (SlowDown, the default) or 500 (InternalError) */
    bool http_error_close;          /* close the connection after an injected error */
    double http_cut_fraction;       /* 0..1; error + cut <= 1 */
} sb_proxy_toxics_t;

/* How often each toxic fired, and what went through; counters since start. */
typedef struct sb_proxy_stats {
    int64_t connections_accepted;
    int64_t connections_refused;        /* over SB_PROXY_CONNECTIONS_MAX */
    int64_t connections_open;
    int64_t upstream_connect_failures;
    int64_t bytes_up;                   /* written to upstream */
    int64_t bytes_down;                 /* written to clients */
    int64_t chunks_delayed;             /* latency */
    int64_t bytes_delayed;
    int64_t bandwidth_waits;            /* times a write waited for tokens */
    int64_t resets_after_bytes;
    int64_t resets_random;
    int64_t bytes_blackholed;
    int64_t slow_closes;
    int64_t http_requests;              /* request heads parsed */
    int64_t http_errors_injected;
    int64_t http_responses_cut;
    int64_t http_parse_fallbacks;       /* connections that fell back to plain forwarding */
} sb_proxy_stats_t;

typedef struct sb_proxy sb_proxy_t;

/* Listens on 127.0.0.1:listen_port (0: an ephemeral port) and starts the
 * proxy thread with all toxics off. upstream_host is resolved once, here.
 * NULL and *err filled on failure. */
sb_proxy_t *sb_proxy_start(const char *upstream_host, int upstream_port, int listen_port,
                           uint64_t seed, sb_err_t *err);

/* The port the proxy listens on. */
int sb_proxy_port(const sb_proxy_t *p);

/* Replaces every toxic at once. Returns once the proxy thread has taken
 * them: every byte it reads from then on meets the new toxics (bytes held
 * already keep their release times). Returns -1 and fills *err when t is
 * invalid (negative values, probabilities outside 0..1, a status other
 * than 500 or 503). */
int sb_proxy_set_toxics(sb_proxy_t *p, const sb_proxy_toxics_t *t, sb_err_t *err);

void sb_proxy_get_toxics(sb_proxy_t *p, sb_proxy_toxics_t *out);

void sb_proxy_stats(const sb_proxy_t *p, sb_proxy_stats_t *out);

/* Stops the thread, closes every connection and the listener, frees p.
 * NULL is fine. */
void sb_proxy_stop(sb_proxy_t *p);

#endif
