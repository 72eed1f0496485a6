/* proxy.c — see proxy.h.
 *
 * One thread runs one epoll loop over the listener, a wake-up eventfd (for
 * toxics changes and stop), a timerfd (the earliest deadline of any
 * connection) and two edge-triggered sockets per connection. Nothing in the
 * loop sleeps or blocks.
 *
 * A connection has two flows (up: client -> upstream, down: upstream ->
 * client). Bytes go: socket -> stage (what was read, not yet decided on) ->
 * ring (decided, waiting to be written) -> the other socket. The ring keeps
 * a queue of chunks, each with the time it may be written (latency), in
 * non-decreasing order, so a connection's bytes stay in order. In HTTP mode
 * the stage holds an incomplete head until it can be parsed and acted upon;
 * in plain mode it is moved to the ring at once.
 *
 * Invariants: written <= every chunk end <= pushed, pushed - written <=
 * SB_PROXY_RING_BYTES; chunk release times never decrease within a flow;
 * only the loop thread touches connections; other threads touch only the
 * shared toxics (under the mutex) and the atomic counters.
 *
 * An epoll event names its connection by slot and generation, so an event
 * for a connection closed earlier in the same batch is recognised and
 * dropped. */
#include "proxy.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"

#define EVENTS_MAX 64
#define ACCEPTS_PER_TURN_MAX 64
#define READS_PER_ROUND_MAX 4
#define PUMP_ROUNDS_MAX 16          /* then the connection yields to the others */
#define HTTP_STEPS_MAX 64           /* heads and body pieces per process call */
#define LISTEN_BACKLOG 128
#define BANDWIDTH_BURST_PER_S 20    /* bucket holds 1/20 s worth of bytes */
#define BANDWIDTH_WAIT_NS_MIN SB_NS_PER_MS
#define LINGER_NS_MAX (1000 * SB_NS_PER_MS) /* draining a client we are closing on */
#define ERROR_RESPONSE_BYTES_MAX 1024
#define CHUNK_SIZE_DIGITS_MAX 15    /* hex digits: below 2^60 */
#define CONTENT_LENGTH_DIGITS_MAX 18
#define DISCARD_BYTES 65536

static_assert((SB_PROXY_RING_BYTES & (SB_PROXY_RING_BYTES - 1)) == 0,
              "the ring size must be a power of two");
static_assert(SB_PROXY_CONNECTIONS_MAX < (1 << 16), "slots are 16 bits in an event tag");
static_assert(SB_PROXY_STAGE_BYTES <= SB_PROXY_RING_BYTES, "a staged head must fit the ring");

/* ---- counters --------------------------------------------------------- */

#define STATS_FIELDS(X)                                                                  \
    X(connections_accepted) X(connections_refused) X(connections_open)                   \
    X(upstream_connect_failures) X(bytes_up) X(bytes_down) X(chunks_delayed)             \
    X(bytes_delayed) X(bandwidth_waits) X(resets_after_bytes) X(resets_random)           \
    X(bytes_blackholed) X(slow_closes) X(http_requests) X(http_errors_injected)          \
    X(http_responses_cut) X(http_parse_fallbacks)

typedef struct stats_atomic {
#define X(name) _Atomic int64_t name;
    STATS_FIELDS(X)
#undef X
} stats_atomic_t;

#define STAT_ADD(p, name, n) atomic_fetch_add_explicit(&(p)->stats.name, (n), memory_order_relaxed)

/* ---- HTTP framing (pure) ------------------------------------------------ */

typedef enum body_kind { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_UNTIL_EOF } body_kind_t;

typedef enum chunk_state {
    CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF
} chunk_state_t;

typedef struct body {
    body_kind_t kind;
    int64_t remaining;      /* LENGTH: of the body; CHUNKED: of the chunk (or its size so far) */
    chunk_state_t state;
    int digits;
    int64_t line_bytes;     /* trailer: bytes on the current line */
} body_t;

typedef struct http_head {
    size_t head_bytes;      /* through the blank line */
    bool method_head;       /* request: HEAD */
    bool expect_continue;
    bool close;             /* Connection: close, or HTTP/1.0 without keep-alive */
    bool http10;
    bool keep_alive;
    int status;             /* response */
    bool has_length;
    int64_t length;
    bool te_present;
    bool chunked;
} http_head_t;

static void body_start(body_t *b, body_kind_t kind, int64_t length)
{
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->remaining = kind == BODY_LENGTH ? length : 0;
    b->state = CH_SIZE;
}

static int hex_value(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One byte of chunked framing outside chunk data. 1: the body ended with
 * this byte, 0: go on, -1: malformed. */
static int chunked_step(body_t *b, uint8_t ch)
{
    int v;
    switch (b->state) {
    case CH_SIZE:
        if ((v = hex_value(ch)) >= 0) {
            if (b->digits == CHUNK_SIZE_DIGITS_MAX)
                return -1;
            b->remaining = b->remaining * 16 + v;
            b->digits++;
        } else if (b->digits == 0) {
            return -1;
        } else if (ch == '\r') {
            b->state = CH_SIZE_LF;
        } else if (ch == ';' || ch == ' ' || ch == '\t') {
            b->state = CH_EXT;
        } else {
            return -1;
        }
        return 0;
    case CH_EXT:
        if (ch == '\r')
            b->state = CH_SIZE_LF;
        return 0;
    case CH_SIZE_LF:
        if (ch != '\n')
            return -1;
        b->digits = 0;
        b->line_bytes = 0;
        b->state = b->remaining == 0 ? CH_TRAILER : CH_DATA;
        return 0;
    case CH_DATA_CR:
        if (ch != '\r')
            return -1;
        b->state = CH_DATA_LF;
        return 0;
    case CH_DATA_LF:
        if (ch != '\n')
            return -1;
        b->state = CH_SIZE;
        b->remaining = 0;
        return 0;
    case CH_TRAILER:
        if (ch == '\r')
            b->state = CH_TRAILER_LF;
        else
            b->line_bytes++;
        return 0;
    case CH_TRAILER_LF:
        if (ch != '\n')
            return -1;
        if (b->line_bytes == 0)
            return 1;
        b->line_bytes = 0;
        b->state = CH_TRAILER;
        return 0;
    case CH_DATA:
        break;
    }
    assert(false && "chunk data is consumed in bulk");
    return -1;
}

/* Takes the body's bytes from the front of buf[0..len). Returns 1 when the
 * body ended within them, 0 when all *used == len bytes were body and more
 * is to come, -1 when the chunked framing is malformed. */
static int body_consume(body_t *b, const uint8_t *buf, size_t len, size_t *used)
{
    *used = 0;
    switch (b->kind) {
    case BODY_NONE:
        return 1;
    case BODY_LENGTH: {
        size_t k = (uint64_t)b->remaining < len ? (size_t)b->remaining : len;
        b->remaining -= (int64_t)k;
        *used = k;
        return b->remaining == 0;
    }
    case BODY_UNTIL_EOF:
        *used = len;
        return 0;
    case BODY_CHUNKED:
        break;
    }
    size_t i = 0;
    while (i < len) {
        if (b->state == CH_DATA) {
            size_t k = (uint64_t)b->remaining < len - i ? (size_t)b->remaining : len - i;
            i += k;
            b->remaining -= (int64_t)k;
            if (b->remaining == 0)
                b->state = CH_DATA_CR;
            continue;
        }
        int r = chunked_step(b, buf[i++]);
        if (r != 0) {
            *used = i;
            return r;
        }
    }
    *used = i;
    return 0;
}

static bool lit_equal(const uint8_t *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp((const char *)s, lit, n) == 0;
}

static void trim(const uint8_t **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Whether the comma-separated list s[0..n) holds token lit. */
static bool list_has(const uint8_t *s, size_t n, const char *lit)
{
    while (n > 0) {
        const uint8_t *comma = memchr(s, ',', n);
        size_t k = comma ? (size_t)(comma - s) : n;
        const uint8_t *t = s;
        size_t tn = k;
        trim(&t, &tn);
        if (lit_equal(t, tn, lit))
            return true;
        s += comma ? k + 1 : k;
        n -= comma ? k + 1 : k;
    }
    return false;
}

static bool is_tchar(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int parse_version(const uint8_t *s, size_t n, http_head_t *h)
{
    if (lit_equal(s, n, "HTTP/1.1"))
        return 0;
    if (lit_equal(s, n, "HTTP/1.0")) {
        h->http10 = true;
        return 0;
    }
    return -1;
}

/* "METHOD SP target SP HTTP/1.x" or "HTTP/1.x SP ddd [SP reason]". */
static int parse_start_line(const uint8_t *s, size_t n, bool is_request, http_head_t *h)
{
    const uint8_t *sp = memchr(s, ' ', n);
    if (sp == NULL || sp == s)
        return -1;
    size_t first = (size_t)(sp - s);
    const uint8_t *rest = sp + 1;
    size_t rest_n = n - first - 1;
    if (is_request) {
        for (size_t i = 0; i < first; i++)
            if (!is_tchar(s[i]))
                return -1;
        h->method_head = lit_equal(s, first, "HEAD");
        const uint8_t *sp2 = memchr(rest, ' ', rest_n);
        if (sp2 == NULL || sp2 == rest)
            return -1;
        return parse_version(sp2 + 1, rest_n - (size_t)(sp2 - rest) - 1, h);
    }
    if (parse_version(s, first, h) < 0 || rest_n < 3)
        return -1;
    if (rest_n > 3 && rest[3] != ' ')
        return -1;
    int status = 0;
    for (int i = 0; i < 3; i++) {
        if (rest[i] < '0' || rest[i] > '9')
            return -1;
        status = status * 10 + (rest[i] - '0');
    }
    if (status < 100 || status > 599)
        return -1;
    h->status = status;
    return 0;
}

static int parse_header_line(const uint8_t *s, size_t n, http_head_t *h)
{
    const uint8_t *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s)
        return -1;
    size_t name_n = (size_t)(colon - s);
    for (size_t i = 0; i < name_n; i++)
        if (!is_tchar(s[i]))
            return -1;      /* also rejects obsolete line folding */
    const uint8_t *v = colon + 1;
    size_t vn = n - name_n - 1;
    trim(&v, &vn);
    if (lit_equal(s, name_n, "Content-Length")) {
        if (vn == 0 || vn > CONTENT_LENGTH_DIGITS_MAX)
            return -1;
        int64_t len = 0;
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9')
                return -1;
            len = len * 10 + (v[i] - '0');
        }
        if (h->has_length && h->length != len)
            return -1;
        h->has_length = true;
        h->length = len;
    } else if (lit_equal(s, name_n, "Transfer-Encoding")) {
        /* Chunked is the last coding when present at all. */
        const uint8_t *comma = v + vn;
        while (comma > v && comma[-1] != ',')
            comma--;
        const uint8_t *last = comma;
        size_t last_n = vn - (size_t)(comma - v);
        trim(&last, &last_n);
        h->te_present = true;
        h->chunked = lit_equal(last, last_n, "chunked");
    } else if (lit_equal(s, name_n, "Connection")) {
        h->close = h->close || list_has(v, vn, "close");
        h->keep_alive = h->keep_alive || list_has(v, vn, "keep-alive");
    } else if (lit_equal(s, name_n, "Expect")) {
        h->expect_continue = lit_equal(v, vn, "100-continue");
    }
    return 0;
}

/* Parses the head at the front of buf[0..len). 1: parsed, 0: incomplete,
 * -1: malformed. */
static int http_head_parse(const uint8_t *buf, size_t len, bool is_request, http_head_t *h)
{
    memset(h, 0, sizeof *h);
    const uint8_t *end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    h->head_bytes = (size_t)(end - buf) + 4;
    const uint8_t *stop = end + 2;  /* every line, the last included, ends in CRLF */
    const uint8_t *eol = memmem(buf, (size_t)(stop - buf), "\r\n", 2);
    if (parse_start_line(buf, (size_t)(eol - buf), is_request, h) < 0)
        return -1;
    for (const uint8_t *line = eol + 2; line < stop; line = eol + 2) {
        eol = memmem(line, (size_t)(stop - line), "\r\n", 2);
        if (parse_header_line(line, (size_t)(eol - line), h) < 0)
            return -1;
    }
    h->close = h->close || (h->http10 && !h->keep_alive);
    return 1;
}

/* How a request's body is framed; -1 when it cannot be (a transfer coding
 * other than chunked). */
static int request_body(const http_head_t *h, body_kind_t *kind)
{
    if (h->te_present && !h->chunked)
        return -1;
    if (h->chunked)
        *kind = BODY_CHUNKED;
    else if (h->has_length && h->length > 0)
        *kind = BODY_LENGTH;
    else
        *kind = BODY_NONE;
    return 0;
}

static body_kind_t response_body(const http_head_t *h, bool request_was_head)
{
    if (request_was_head || h->status / 100 == 1 || h->status == 204 || h->status == 304)
        return BODY_NONE;
    if (h->chunked)
        return BODY_CHUNKED;
    if (h->te_present)
        return BODY_UNTIL_EOF;
    if (h->has_length)
        return h->length > 0 ? BODY_LENGTH : BODY_NONE;
    return BODY_UNTIL_EOF;
}

/* An S3-style error response; its length in bytes. */
static size_t error_response_format(char *buf, size_t len, int status, uint64_t request_id,
                                    bool close, bool head_only)
{
    bool slow = status == 503;
    char id[32];
    snprintf(id, sizeof id, "%016llX", (unsigned long long)request_id);
    char body[512];
    int body_n = snprintf(body, sizeof body,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<Error><Code>%s</Code><Message>%s</Message>"
                          "<RequestId>%s</RequestId></Error>",
                          slow ? "SlowDown" : "InternalError",
                          slow ? "Please reduce your request rate."
                               : "We encountered an internal error. Please try again.",
                          id);
    assert(body_n > 0 && (size_t)body_n < sizeof body);
    int n = snprintf(buf, len,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/xml\r\n"
                     "Content-Length: %d\r\n"
                     "x-amz-request-id: %s\r\n"
                     "Server: snapbed-proxy\r\n"
                     "Connection: %s\r\n"
                     "\r\n%s",
                     status, slow ? "Slow Down" : "Internal Server Error", body_n, id,
                     close ? "close" : "keep-alive", head_only ? "" : body);
    assert(n > 0 && (size_t)n < len);
    return (size_t)n;
}

/* ---- PRNG ---------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

/* ---- connections ----------------------------------------------------------- */

typedef struct endpoint {
    int fd;             /* -1: none */
    bool can_read;      /* edge seen and no EAGAIN since */
    bool can_write;
    bool connecting;
} endpoint_t;

typedef struct chunk {
    uint64_t end;       /* stream offset after its last byte */
    int64_t release_ns;
} chunk_t;

typedef enum http_action { ACT_FORWARD, ACT_ERROR, ACT_CUT } http_action_t;

typedef struct flow {
    bool is_up;
    endpoint_t *src;
    endpoint_t *dst;
    bool src_eof;
    bool dst_shut;
    int64_t close_at_ns;        /* down: slow close; 0: none */
    uint64_t pushed;            /* stream offsets */
    uint64_t written;
    uint32_t chunk_first;
    uint32_t chunk_count;
    double tokens;
    int64_t tokens_ns;          /* 0: bucket not running */
    int64_t throttle_ns;        /* next write allowed by the bucket; 0: not throttled */
    uint64_t reset_base;        /* `written` when reset_after_bytes was last set */
    size_t staged;
    /* HTTP */
    bool in_body;
    bool drop_body;             /* up: the body of a request answered here */
    int64_t cut_left;           /* down: bytes to forward before the cut; -1: no cut */
    bool decided;               /* up: the action for the staged head is drawn */
    http_action_t action;
    uint64_t request_seq;
    body_t body;
    chunk_t chunks[SB_PROXY_CHUNKS_MAX];
    uint8_t stage[SB_PROXY_STAGE_BYTES];
    uint8_t ring[SB_PROXY_RING_BYTES];
} flow_t;

typedef struct pending {
    bool head;
    bool cut;
} pending_t;

typedef struct conn {
    uint32_t slot;
    uint32_t gen;
    endpoint_t client;
    endpoint_t upstream;
    uint64_t rng;
    bool http;
    bool black;                 /* accepted in a blackhole: no upstream */
    bool closing;               /* owe the client the down ring, then close */
    bool lingering;             /* FIN sent; draining the client until EOF or linger_ns */
    int64_t linger_ns;
    bool due;
    int64_t deadline_ns;
    uint32_t pending_first;
    uint32_t pending_count;
    pending_t pending[SB_PROXY_HTTP_PIPELINE_MAX];
    flow_t up;
    flow_t down;
} conn_t;

enum { TAG_LISTENER = 1, TAG_WAKE, TAG_TIMER, TAG_CONN };

struct sb_proxy {
    int listen_fd;
    int epoll_fd;
    int wake_fd;
    int timer_fd;
    int reserve_fd;     /* spent to accept-and-refuse when out of descriptors */
    int port;
    struct sockaddr_storage upstream_addr;
    socklen_t upstream_addr_len;
    uint64_t seed;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t applied;             /* the loop took a new generation, or ended */
    sb_proxy_toxics_t toxics_shared;    /* under mu */
    uint64_t toxics_gen_applied;        /* under mu */
    bool loop_ended;                    /* under mu */
    _Atomic uint64_t toxics_gen;
    atomic_bool stopping;
    stats_atomic_t stats;
    /* the loop's own */
    sb_proxy_toxics_t tox;
    uint64_t tox_gen_seen;
    uint64_t conn_seq;
    uint64_t request_seq;
    int64_t timer_ns;                   /* armed for; 0: not armed */
    conn_t *conns[SB_PROXY_CONNECTIONS_MAX];
    uint32_t gens[SB_PROXY_CONNECTIONS_MAX];
    uint8_t discard[DISCARD_BYTES];
};

static uint64_t tag_make(int kind, uint32_t slot, int side, uint32_t gen)
{
    return (uint64_t)kind | (uint64_t)side << 3 | (uint64_t)slot << 4 | (uint64_t)gen << 32;
}

static const sb_proxy_flow_toxics_t *flow_toxics(const sb_proxy_t *p, const flow_t *f)
{
    return f->is_up ? &p->tox.up : &p->tox.down;
}

static size_t ring_used(const flow_t *f)
{
    return (size_t)(f->pushed - f->written);
}

static chunk_t *chunk_at(flow_t *f, uint32_t i)
{
    assert(i < f->chunk_count);
    return &f->chunks[(f->chunk_first + i) % SB_PROXY_CHUNKS_MAX];
}

static bool latency_on(const sb_proxy_flow_toxics_t *t)
{
    return t->latency_ms > 0 || t->jitter_ms > 0;
}

/* Drops the chunks already written. */
static void flow_trim_chunks(flow_t *f)
{
    while (f->chunk_count > 0 && chunk_at(f, 0)->end <= f->written) {
        f->chunk_first = (f->chunk_first + 1) % SB_PROXY_CHUNKS_MAX;
        f->chunk_count--;
    }
}

/* How many bytes flow_push takes now. */
static size_t flow_push_capacity(const sb_proxy_t *p, flow_t *f, int64_t now)
{
    flow_trim_chunks(f);
    bool mergeable = f->chunk_count > 0 && !latency_on(flow_toxics(p, f)) &&
                     chunk_at(f, f->chunk_count - 1)->release_ns <= now;
    if (f->chunk_count == SB_PROXY_CHUNKS_MAX && !mergeable)
        return 0;
    return SB_PROXY_RING_BYTES - ring_used(f);
}

/* Queues bytes to be written once the latency toxic lets them go. */
static void flow_push(sb_proxy_t *p, conn_t *c, flow_t *f, const uint8_t *data, size_t len,
                      int64_t now)
{
    assert(len <= flow_push_capacity(p, f, now));
    if (len == 0)
        return;
    size_t at = (size_t)(f->pushed % SB_PROXY_RING_BYTES);
    size_t first = SB_PROXY_RING_BYTES - at < len ? SB_PROXY_RING_BYTES - at : len;
    memcpy(f->ring + at, data, first);
    memcpy(f->ring, data + first, len - first);
    f->pushed += len;

    const sb_proxy_flow_toxics_t *t = flow_toxics(p, f);
    int64_t release = now;
    if (latency_on(t)) {
        double jitter = (2.0 * rng_unit(&c->rng) - 1.0) * (double)t->jitter_ms;
        double delay_ms = (double)t->latency_ms + jitter;
        release = now + (delay_ms > 0 ? (int64_t)(delay_ms * (double)SB_NS_PER_MS) : 0);
    }
    chunk_t *last = f->chunk_count > 0 ? chunk_at(f, f->chunk_count - 1) : NULL;
    if (last != NULL && last->release_ns > release)
        release = last->release_ns;     /* never overtake the chunk before */
    if (release > now) {
        STAT_ADD(p, chunks_delayed, 1);
        STAT_ADD(p, bytes_delayed, (int64_t)len);
    }
    bool both_due = last != NULL && last->release_ns <= now && release <= now;
    if (last != NULL && (last->release_ns == release || both_due)) {
        last->end = f->pushed;
        last->release_ns = release > last->release_ns ? release : last->release_ns;
        return;
    }
    assert(f->chunk_count < SB_PROXY_CHUNKS_MAX);
    f->chunk_count++;
    *chunk_at(f, f->chunk_count - 1) = (chunk_t){ .end = f->pushed, .release_ns = release };
}

/* The offset up to which bytes may be written now, and the next release
 * time after now (0: none). */
static uint64_t flow_released(flow_t *f, int64_t now, int64_t *next_ns)
{
    flow_trim_chunks(f);
    uint64_t end = f->written;
    *next_ns = 0;
    for (uint32_t i = 0; i < f->chunk_count; i++) {
        const chunk_t *ch = chunk_at(f, i);
        if (ch->release_ns > now) {
            *next_ns = ch->release_ns;
            break;
        }
        end = ch->end;
    }
    return end;
}

static void stage_consume(flow_t *f, size_t n)
{
    assert(n <= f->staged);
    memmove(f->stage, f->stage + n, f->staged - n);
    f->staged -= n;
}

static void fd_close(int fd, bool rst)
{
    if (fd < 0)
        return;
    if (rst) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(fd);
}

static void conn_free(sb_proxy_t *p, conn_t *c, bool rst)
{
    fd_close(c->client.fd, rst);
    fd_close(c->upstream.fd, rst);
    assert(p->conns[c->slot] == c);
    p->conns[c->slot] = NULL;
    STAT_ADD(p, connections_open, -1);
    free(c);
}

static void http_fallback(sb_proxy_t *p, conn_t *c)
{
    c->http = false;
    c->up.decided = false;
    STAT_ADD(p, http_parse_fallbacks, 1);
}

/* Reads what the stage holds room for (or discards, in a blackhole).
 * Returns -1 when the connection was reset and freed. */
static int flow_read(sb_proxy_t *p, conn_t *c, flow_t *f, int64_t now, bool *progress)
{
    bool draining = c->closing && f->is_up;     /* the client's bytes no longer matter */
    if ((c->closing && !draining) || f->src_eof || f->src->fd < 0 || f->src->connecting)
        return 0;
    const sb_proxy_flow_toxics_t *t = flow_toxics(p, f);
    for (int i = 0; i < READS_PER_ROUND_MAX && f->src->can_read; i++) {
        bool discard = draining || c->black || p->tox.blackhole;
        size_t room = discard ? sizeof p->discard : SB_PROXY_STAGE_BYTES - f->staged;
        if (room == 0)
            break;
        uint8_t *into = discard ? p->discard : f->stage + f->staged;
        ssize_t n = recv(f->src->fd, into, room, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            f->src->can_read = false;
            break;
        }
        if (n < 0) {
            conn_free(p, c, true);
            return -1;
        }
        *progress = true;
        if (n == 0) {
            f->src_eof = true;
            if (!f->is_up && p->tox.slow_close_ms > 0) {
                f->close_at_ns = now + p->tox.slow_close_ms * SB_NS_PER_MS;
                STAT_ADD(p, slow_closes, 1);
            }
            break;
        }
        if (discard) {
            if (!draining)
                STAT_ADD(p, bytes_blackholed, n);
            continue;
        }
        if (t->reset_probability > 0 && rng_unit(&c->rng) < t->reset_probability) {
            STAT_ADD(p, resets_random, 1);
            conn_free(p, c, true);
            return -1;
        }
        f->staged += (size_t)n;
    }
    return 0;
}

static void flow_process_plain(sb_proxy_t *p, conn_t *c, flow_t *f, int64_t now, bool *progress)
{
    size_t cap = flow_push_capacity(p, f, now);
    size_t n = f->staged < cap ? f->staged : cap;
    if (n == 0)
        return;
    flow_push(p, c, f, f->stage, n, now);
    stage_consume(f, n);
    *progress = true;
}

static void pending_push(conn_t *c, bool head, bool cut)
{
    assert(c->pending_count < SB_PROXY_HTTP_PIPELINE_MAX);
    uint32_t i = (c->pending_first + c->pending_count) % SB_PROXY_HTTP_PIPELINE_MAX;
    c->pending[i] = (pending_t){ .head = head, .cut = cut };
    c->pending_count++;
}

static void pending_pop(conn_t *c)
{
    if (c->pending_count == 0)
        return;     /* a response nobody asked for (a 408 before a close, say) */
    c->pending_first = (c->pending_first + 1) % SB_PROXY_HTTP_PIPELINE_MAX;
    c->pending_count--;
}

static http_action_t http_decide(sb_proxy_t *p, uint64_t request_seq)
{
    uint64_t state = p->seed + request_seq * 0x9E3779B97F4A7C15ull;
    double u = rng_unit(&state);
    if (u < p->tox.http_error_fraction)
        return ACT_ERROR;
    if (u < p->tox.http_error_fraction + p->tox.http_cut_fraction)
        return ACT_CUT;
    return ACT_FORWARD;
}

/* Answers the request itself, behind what the client is already owed.
 * False when the down ring has no room yet. */
static bool http_error_inject(sb_proxy_t *p, conn_t *c, const http_head_t *req, int64_t now)
{
    char buf[ERROR_RESPONSE_BYTES_MAX];
    bool close = p->tox.http_error_close || req->close || req->expect_continue;
    int status = p->tox.http_error_status == 500 ? 500 : 503;
    uint64_t id = p->seed ^ (c->up.request_seq * 0x9E3779B97F4A7C15ull);
    size_t n = error_response_format(buf, sizeof buf, status, id, close, req->method_head);
    if (flow_push_capacity(p, &c->down, now) < n)
        return false;
    flow_push(p, c, &c->down, (const uint8_t *)buf, n, now);
    STAT_ADD(p, http_errors_injected, 1);
    c->closing = close;
    return true;
}

/* Moves client bytes through the request parser: heads are held until
 * complete, then forwarded or answered here. Returns true when it stopped
 * on an incomplete head. */
static bool http_up_process(sb_proxy_t *p, conn_t *c, int64_t now, bool *progress)
{
    flow_t *f = &c->up;
    for (int step = 0; step < HTTP_STEPS_MAX && f->staged > 0 && c->http && !c->closing; step++) {
        if (f->in_body) {
            size_t cap = f->drop_body ? f->staged : flow_push_capacity(p, f, now);
            size_t len = f->staged < cap ? f->staged : cap;
            if (len == 0)
                return false;
            size_t used;
            int r = body_consume(&f->body, f->stage, len, &used);
            if (r < 0) {
                http_fallback(p, c);
                return false;
            }
            if (!f->drop_body)
                flow_push(p, c, f, f->stage, used, now);
            stage_consume(f, used);
            *progress = *progress || used > 0;
            f->in_body = r == 0;
            continue;
        }
        http_head_t h;
        int r = http_head_parse(f->stage, f->staged, true, &h);
        body_kind_t kind = BODY_NONE;
        if (r > 0 && request_body(&h, &kind) < 0)
            r = -1;
        if (r == 0 && f->staged < SB_PROXY_STAGE_BYTES)
            return true;
        if (r <= 0) {
            http_fallback(p, c);
            return false;
        }
        if (!f->decided) {
            f->request_seq = p->request_seq++;
            f->action = http_decide(p, f->request_seq);
            f->decided = true;
            STAT_ADD(p, http_requests, 1);
        }
        /* Upstream has closed: responses owed will never complete, and a
         * real server would not answer either; let the request meet that. */
        if (f->action == ACT_ERROR && c->down.src_eof)
            f->action = ACT_FORWARD;
        if (f->action == ACT_ERROR) {
            /* In order: only once every forwarded request got its response. */
            if (c->pending_count > 0 || !http_error_inject(p, c, &h, now))
                return false;
        } else {
            if (c->pending_count == SB_PROXY_HTTP_PIPELINE_MAX ||
                flow_push_capacity(p, f, now) < h.head_bytes)
                return false;
            flow_push(p, c, f, f->stage, h.head_bytes, now);
            pending_push(c, h.method_head, f->action == ACT_CUT);
        }
        stage_consume(f, h.head_bytes);
        *progress = true;
        f->drop_body = f->action == ACT_ERROR;
        f->decided = false;
        f->in_body = kind != BODY_NONE;
        body_start(&f->body, kind, h.length);
    }
    return false;
}

/* The client gets what the ring holds up to here, then the connection closes. */
static void http_cut(sb_proxy_t *p, conn_t *c)
{
    STAT_ADD(p, http_responses_cut, 1);
    c->closing = true;
    c->down.staged = 0;
    c->down.in_body = false;
}

/* Moves upstream bytes through the response parser, to find where each
 * response ends (for keep-alive bookkeeping) and where to cut one. Returns
 * true when it stopped on an incomplete head. */
static bool http_down_process(sb_proxy_t *p, conn_t *c, int64_t now, bool *progress)
{
    flow_t *f = &c->down;
    for (int step = 0; step < HTTP_STEPS_MAX && f->staged > 0 && c->http && !c->closing; step++) {
        if (f->in_body) {
            size_t cap = flow_push_capacity(p, f, now);
            if (f->cut_left >= 0 && (uint64_t)f->cut_left < cap)
                cap = (size_t)f->cut_left;
            size_t len = f->staged < cap ? f->staged : cap;
            if (len == 0)
                return false;
            size_t used;
            int r = body_consume(&f->body, f->stage, len, &used);
            if (r < 0) {
                http_fallback(p, c);
                return false;
            }
            flow_push(p, c, f, f->stage, used, now);
            stage_consume(f, used);
            *progress = *progress || used > 0;
            if (f->cut_left >= 0) {
                f->cut_left -= (int64_t)used;
                if (f->cut_left == 0) {
                    http_cut(p, c);
                    return false;
                }
            }
            if (r == 1) {
                f->in_body = false;
                pending_pop(c);
            }
            continue;
        }
        http_head_t h;
        int r = http_head_parse(f->stage, f->staged, false, &h);
        if (r == 0 && f->staged < SB_PROXY_STAGE_BYTES)
            return true;
        if (r <= 0) {
            http_fallback(p, c);
            return false;
        }
        bool req_head = c->pending_count > 0 && c->pending[c->pending_first].head;
        bool cut = c->pending_count > 0 && c->pending[c->pending_first].cut;
        bool interim = h.status / 100 == 1 && h.status != 101;
        body_kind_t kind = response_body(&h, req_head);
        size_t head_part = h.head_bytes;
        int64_t cut_at = -1;
        if (cut && !interim) {
            int64_t total = (int64_t)h.head_bytes + (kind == BODY_LENGTH ? h.length : 0);
            cut_at = total / 2;
            if ((uint64_t)cut_at < head_part)
                head_part = (size_t)cut_at;
        }
        if (flow_push_capacity(p, f, now) < head_part)
            return false;
        flow_push(p, c, f, f->stage, head_part, now);
        stage_consume(f, h.head_bytes);
        *progress = true;
        if (cut_at >= 0 && (uint64_t)cut_at <= h.head_bytes) {
            http_cut(p, c);
            return false;
        }
        if (h.status == 101) {
            c->http = false;    /* switched protocols: plain bytes from here on */
            return false;
        }
        if (interim)
            continue;
        if (kind == BODY_NONE) {
            pending_pop(c);
            continue;
        }
        f->in_body = true;
        f->cut_left = cut_at >= 0 ? cut_at - (int64_t)h.head_bytes : -1;
        body_start(&f->body, kind, h.length);
    }
    return false;
}

static void flow_process(sb_proxy_t *p, conn_t *c, flow_t *f, int64_t now, bool *progress)
{
    if (c->closing || f->staged == 0)
        return;
    bool incomplete = false;
    if (c->http)
        incomplete = f->is_up ? http_up_process(p, c, now, progress)
                              : http_down_process(p, c, now, progress);
    /* A head cut short by the end of the stream is passed on as it is. */
    if (!c->http || (incomplete && f->src_eof))
        flow_process_plain(p, c, f, now, progress);
}

/* How many bytes the bandwidth toxic lets through now, out of want. */
static size_t flow_bandwidth(sb_proxy_t *p, flow_t *f, int64_t rate, size_t want, int64_t now)
{
    if (rate <= 0) {
        f->tokens_ns = 0;
        f->throttle_ns = 0;
        return want;
    }
    double burst = (double)rate / BANDWIDTH_BURST_PER_S;
    burst = burst < 1.0 ? 1.0 : burst;
    if (f->tokens_ns == 0) {
        f->tokens = 0;
        f->tokens_ns = now;
    }
    f->tokens += (double)(now - f->tokens_ns) * (double)rate / (double)SB_NS_PER_S;
    f->tokens = f->tokens < burst ? f->tokens : burst;
    f->tokens_ns = now;
    size_t allowed = f->tokens >= (double)want ? want : (size_t)f->tokens;
    if (allowed == want) {
        f->throttle_ns = 0;
        return want;
    }
    if (f->throttle_ns == 0)
        STAT_ADD(p, bandwidth_waits, 1);
    /* Wake when a worthwhile piece (a hundredth of a second's worth) can go. */
    double piece = (double)rate / 100.0;
    piece = piece < 1.0 ? 1.0 : piece;
    piece = piece < (double)want ? piece : (double)want;
    double wait_ns = (piece - f->tokens) * (double)SB_NS_PER_S / (double)rate;
    f->throttle_ns = now + (wait_ns > BANDWIDTH_WAIT_NS_MIN ? (int64_t)wait_ns
                                                             : BANDWIDTH_WAIT_NS_MIN);
    return allowed;
}

/* Writes what latency, bandwidth and the reset toxic let through. Returns -1
 * when the connection was reset and freed. */
static int flow_write(sb_proxy_t *p, conn_t *c, flow_t *f, int64_t now, bool *progress)
{
    if (f->dst->fd < 0 || f->dst->connecting || f->dst_shut)
        return 0;
    const sb_proxy_flow_toxics_t *t = flow_toxics(p, f);
    uint64_t reset_at = f->reset_base + (uint64_t)t->reset_after_bytes;
    if (t->reset_after_bytes > 0 && f->written >= reset_at) {
        STAT_ADD(p, resets_after_bytes, 1);
        conn_free(p, c, true);
        return -1;
    }
    int64_t next_ns;
    uint64_t end = flow_released(f, now, &next_ns);
    if (t->reset_after_bytes > 0 && end > reset_at)
        end = reset_at;
    size_t want = (size_t)(end - f->written);
    if (want == 0 || !f->dst->can_write)
        return 0;
    size_t allowed = flow_bandwidth(p, f, t->bytes_per_s, want, now);
    while (allowed > 0) {
        size_t at = (size_t)(f->written % SB_PROXY_RING_BYTES);
        size_t first = SB_PROXY_RING_BYTES - at < allowed ? SB_PROXY_RING_BYTES - at : allowed;
        struct iovec iov[2] = { { f->ring + at, first }, { f->ring, allowed - first } };
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = allowed > first ? 2 : 1 };
        ssize_t n = sendmsg(f->dst->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            f->dst->can_write = false;
            break;
        }
        if (n < 0) {
            conn_free(p, c, true);
            return -1;
        }
        f->written += (uint64_t)n;
        allowed -= (size_t)n;
        if (t->bytes_per_s > 0)
            f->tokens -= (double)n;
        if (f->is_up)
            STAT_ADD(p, bytes_up, n);
        else
            STAT_ADD(p, bytes_down, n);
        *progress = true;
    }
    if (t->reset_after_bytes > 0 && f->written >= reset_at) {
        STAT_ADD(p, resets_after_bytes, 1);
        conn_free(p, c, true);
        return -1;
    }
    return 0;
}

/* Passes the end of the stream on (after the slow-close delay, downward)
 * once everything before it was written. */
static void flow_finish(flow_t *f, int64_t now)
{
    if (!f->src_eof || f->dst_shut || f->staged > 0 || ring_used(f) > 0 || f->dst->fd < 0 ||
        f->dst->connecting)
        return;
    if (f->close_at_ns > now)
        return;
    shutdown(f->dst->fd, SHUT_WR);
    f->dst_shut = true;
}

static int64_t earliest(int64_t a, int64_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return a < b ? a : b;
}

static int64_t flow_deadline(flow_t *f, int64_t now)
{
    int64_t d = 0;
    if (ring_used(f) > 0) {
        int64_t next_ns;
        flow_released(f, now, &next_ns);
        d = earliest(next_ns, f->throttle_ns > now ? f->throttle_ns : 0);
    }
    if (f->src_eof && !f->dst_shut && f->close_at_ns > now)
        d = earliest(d, f->close_at_ns);
    return d;
}

/* Closing: the client got what it was owed; send FIN, drop upstream, and
 * read the client until it leaves, so that its unread bytes do not turn
 * our close into an RST that could destroy the response. */
static void conn_linger(conn_t *c, int64_t now)
{
    shutdown(c->client.fd, SHUT_WR);
    fd_close(c->upstream.fd, false);
    c->upstream.fd = -1;
    c->lingering = true;
    c->linger_ns = now + LINGER_NS_MAX;
}

/* Decides whether the connection is done and when it next needs a turn.
 * Returns false when it was freed. */
static bool conn_settle(sb_proxy_t *p, conn_t *c, int64_t now)
{
    if (c->lingering) {
        if (c->up.src_eof || now >= c->linger_ns) {
            conn_free(p, c, false);
            return false;
        }
        c->deadline_ns = earliest(c->deadline_ns, c->linger_ns);
        return true;
    }
    if (c->closing && ring_used(&c->down) == 0) {
        conn_linger(c, now);
        return conn_settle(p, c, now);
    }
    if (c->black) {
        if (c->up.src_eof) {
            conn_free(p, c, false);
            return false;
        }
        return true;
    }
    if (!c->closing) {
        flow_finish(&c->up, now);
        flow_finish(&c->down, now);
        if (c->up.dst_shut && c->down.dst_shut) {
            conn_free(p, c, false);
            return false;
        }
    }
    c->deadline_ns = earliest(c->deadline_ns,
                              earliest(flow_deadline(&c->up, now), flow_deadline(&c->down, now)));
    return true;
}

/* Moves bytes both ways until nothing moves or the round limit is hit.
 * Returns false when the connection was freed. */
static bool conn_pump(sb_proxy_t *p, conn_t *c, int64_t now)
{
    c->due = false;
    c->deadline_ns = 0;
    for (int round = 0; round < PUMP_ROUNDS_MAX; round++) {
        bool progress = false;
        if (flow_read(p, c, &c->up, now, &progress) < 0)
            return false;
        flow_process(p, c, &c->up, now, &progress);
        if (flow_read(p, c, &c->down, now, &progress) < 0)
            return false;
        flow_process(p, c, &c->down, now, &progress);
        if (flow_write(p, c, &c->up, now, &progress) < 0)
            return false;
        if (flow_write(p, c, &c->down, now, &progress) < 0)
            return false;
        if (!progress)
            return conn_settle(p, c, now);
    }
    c->deadline_ns = now;   /* more to move: again after the others had a turn */
    return conn_settle(p, c, now);
}

static void conn_event(sb_proxy_t *p, conn_t *c, int side, uint32_t events, int64_t now)
{
    endpoint_t *e = side ? &c->upstream : &c->client;
    if (e->fd < 0)
        return;     /* closed while lingering; a stale event */
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        e->can_read = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
        if (e->connecting) {
            int so_err = 0;
            socklen_t len = sizeof so_err;
            if (getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0 || so_err != 0) {
                STAT_ADD(p, upstream_connect_failures, 1);
                conn_free(p, c, true);
                return;
            }
            e->connecting = false;
        }
        e->can_write = true;
    }
    conn_pump(p, c, now);
}

static int epoll_add(sb_proxy_t *p, int fd, uint32_t events, uint64_t tag)
{
    struct epoll_event ev = { .events = events, .data.u64 = tag };
    return epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Starts connecting upstream. False when that failed at once. */
static bool conn_connect(sb_proxy_t *p, conn_t *c)
{
    int fd = socket(p->upstream_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    set_nodelay(fd);
    c->upstream.fd = fd;
    if (connect(fd, (struct sockaddr *)&p->upstream_addr, p->upstream_addr_len) == 0) {
        c->upstream.can_write = true;
        return true;
    }
    if (errno != EINPROGRESS)
        return false;
    c->upstream.connecting = true;
    return true;
}

static void conn_init_flow(flow_t *f, bool is_up, endpoint_t *src, endpoint_t *dst)
{
    f->is_up = is_up;
    f->src = src;
    f->dst = dst;
    f->cut_left = -1;
}

static void conn_open(sb_proxy_t *p, int fd)
{
    STAT_ADD(p, connections_accepted, 1);
    int slot = -1;
    for (int i = 0; i < SB_PROXY_CONNECTIONS_MAX && slot < 0; i++)
        if (p->conns[i] == NULL)
            slot = i;
    conn_t *c = slot >= 0 ? calloc(1, sizeof *c) : NULL;
    if (c == NULL) {
        STAT_ADD(p, connections_refused, 1);
        fd_close(fd, true);
        return;
    }
    c->slot = (uint32_t)slot;
    c->gen = ++p->gens[slot];
    c->client = (endpoint_t){ .fd = fd, .can_read = true, .can_write = true };
    c->upstream = (endpoint_t){ .fd = -1 };
    conn_init_flow(&c->up, true, &c->client, &c->upstream);
    conn_init_flow(&c->down, false, &c->upstream, &c->client);
    uint64_t s = p->seed ^ 0xD1B54A32D192ED03ull;
    s += p->conn_seq++ * 0x9E3779B97F4A7C15ull;
    c->rng = splitmix64(&s);
    c->http = p->tox.http;
    c->black = p->tox.blackhole;
    set_nodelay(fd);
    p->conns[slot] = c;
    STAT_ADD(p, connections_open, 1);
    if (!c->black && !conn_connect(p, c)) {
        STAT_ADD(p, upstream_connect_failures, 1);
        conn_free(p, c, true);
        return;
    }
    uint32_t events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    if (epoll_add(p, c->client.fd, events, tag_make(TAG_CONN, c->slot, 0, c->gen)) < 0 ||
        (c->upstream.fd >= 0 &&
         epoll_add(p, c->upstream.fd, events, tag_make(TAG_CONN, c->slot, 1, c->gen)) < 0)) {
        STAT_ADD(p, connections_refused, 1);
        conn_free(p, c, true);
        return;
    }
    c->due = true;
}

static void proxy_accept(sb_proxy_t *p)
{
    for (int i = 0; i < ACCEPTS_PER_TURN_MAX; i++) {
        int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && p->reserve_fd >= 0) {
            /* Out of descriptors: refuse the client rather than spin on a
             * listener that stays readable. */
            close(p->reserve_fd);
            fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                STAT_ADD(p, connections_accepted, 1);
                STAT_ADD(p, connections_refused, 1);
                fd_close(fd, true);
            }
            p->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
        }
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;     /* EAGAIN */
        }
        conn_open(p, fd);
    }
}

static void proxy_refresh_toxics(sb_proxy_t *p)
{
    uint64_t gen = atomic_load(&p->toxics_gen);
    if (gen == p->tox_gen_seen)
        return;
    sb_proxy_toxics_t old = p->tox;
    pthread_mutex_lock(&p->mu);
    p->tox = p->toxics_shared;
    p->tox_gen_seen = atomic_load(&p->toxics_gen);
    p->toxics_gen_applied = p->tox_gen_seen;
    pthread_cond_broadcast(&p->applied);
    pthread_mutex_unlock(&p->mu);
    bool rebase_up = old.up.reset_after_bytes != p->tox.up.reset_after_bytes;
    bool rebase_down = old.down.reset_after_bytes != p->tox.down.reset_after_bytes;
    for (int i = 0; i < SB_PROXY_CONNECTIONS_MAX; i++) {
        conn_t *c = p->conns[i];
        if (c == NULL)
            continue;
        /* A connection older than the reset toxic gets N bytes from now. */
        if (rebase_up)
            c->up.reset_base = c->up.written;
        if (rebase_down)
            c->down.reset_base = c->down.written;
        c->due = true;
    }
}

static void proxy_arm_timer(sb_proxy_t *p, int64_t deadline_ns)
{
    if (deadline_ns == p->timer_ns)
        return;
    struct itimerspec its = { 0 };
    if (deadline_ns > 0) {
        its.it_value.tv_sec = deadline_ns / SB_NS_PER_S;
        its.it_value.tv_nsec = deadline_ns % SB_NS_PER_S;
    }
    timerfd_settime(p->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
    p->timer_ns = deadline_ns;
}

static void drain_fd(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof v) > 0)
        ;
}

static void proxy_dispatch(sb_proxy_t *p, const struct epoll_event *ev, int64_t now)
{
    uint64_t tag = ev->data.u64;
    switch ((int)(tag & 7)) {
    case TAG_LISTENER:
        proxy_accept(p);
        return;
    case TAG_WAKE:
        drain_fd(p->wake_fd);
        return;
    case TAG_TIMER:
        drain_fd(p->timer_fd);
        p->timer_ns = 0;
        return;
    case TAG_CONN: {
        uint32_t slot = (uint32_t)(tag >> 4) & 0xFFFF;
        uint32_t gen = (uint32_t)(tag >> 32);
        conn_t *c = slot < SB_PROXY_CONNECTIONS_MAX ? p->conns[slot] : NULL;
        if (c != NULL && c->gen == gen)
            conn_event(p, c, (int)(tag >> 3) & 1, ev->events, now);
        return;
    }
    }
    assert(false && "unknown event tag");
}

static void *proxy_loop(void *arg)
{
    sb_proxy_t *p = arg;
    struct epoll_event ev[EVENTS_MAX];
    while (!atomic_load(&p->stopping)) {
        int n = epoll_wait(p->epoll_fd, ev, EVENTS_MAX, -1);
        if (n < 0 && errno != EINTR)
            break;  /* cannot happen with valid descriptors; stop serving */
        proxy_refresh_toxics(p);
        int64_t now = sb_clock_now_ns();
        for (int i = 0; i < n; i++)
            proxy_dispatch(p, &ev[i], now);
        now = sb_clock_now_ns();
        int64_t next = 0;
        for (int i = 0; i < SB_PROXY_CONNECTIONS_MAX; i++) {
            conn_t *c = p->conns[i];
            if (c == NULL)
                continue;
            if ((c->due || (c->deadline_ns > 0 && c->deadline_ns <= now)) &&
                !conn_pump(p, c, now))
                continue;
            next = earliest(next, c->deadline_ns);
        }
        proxy_arm_timer(p, next);
    }
    for (int i = 0; i < SB_PROXY_CONNECTIONS_MAX; i++)
        if (p->conns[i] != NULL)
            conn_free(p, p->conns[i], false);
    pthread_mutex_lock(&p->mu);
    p->loop_ended = true;
    pthread_cond_broadcast(&p->applied);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- public -------------------------------------------------------------- */

static int resolve_upstream(sb_proxy_t *p, const char *host, int port, sb_err_t *err)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return sb_err_set(err, "proxy: cannot resolve upstream %s:%d: %s", host, port,
                          gai_strerror(rc));
    memcpy(&p->upstream_addr, res->ai_addr, res->ai_addrlen);
    p->upstream_addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int open_listener(sb_proxy_t *p, int listen_port, sb_err_t *err)
{
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0)
        return sb_err_errno(err, errno, "proxy: cannot create the listening socket");
    int one = 1;
    setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) < 0)
        return sb_err_errno(err, errno, "proxy: cannot bind 127.0.0.1:%d", listen_port);
    if (listen(p->listen_fd, LISTEN_BACKLOG) < 0)
        return sb_err_errno(err, errno, "proxy: cannot listen on 127.0.0.1:%d", listen_port);
    socklen_t len = sizeof a;
    if (getsockname(p->listen_fd, (struct sockaddr *)&a, &len) < 0)
        return sb_err_errno(err, errno, "proxy: cannot read the listening port");
    p->port = ntohs(a.sin_port);
    return 0;
}

static void proxy_free(sb_proxy_t *p)
{
    int fds[] = { p->listen_fd, p->epoll_fd, p->wake_fd, p->timer_fd, p->reserve_fd };
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_cond_destroy(&p->applied);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

sb_proxy_t *sb_proxy_start(const char *upstream_host, int upstream_port, int listen_port,
                           uint64_t seed, sb_err_t *err)
{
    assert(upstream_host != NULL);
    if (upstream_port <= 0 || upstream_port > 65535 || listen_port < 0 || listen_port > 65535) {
        sb_err_set(err, "proxy: ports out of range (upstream %d, listen %d)", upstream_port,
                   listen_port);
        return NULL;
    }
    sb_proxy_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        sb_err_set(err, "proxy: out of memory");
        return NULL;
    }
    p->listen_fd = p->epoll_fd = p->wake_fd = p->timer_fd = -1;
    p->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    p->seed = seed;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->applied, NULL);
    if (resolve_upstream(p, upstream_host, upstream_port, err) < 0 ||
        open_listener(p, listen_port, err) < 0)
        goto fail;
    p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (p->epoll_fd < 0 || p->wake_fd < 0 || p->timer_fd < 0) {
        sb_err_errno(err, errno, "proxy: cannot create epoll, eventfd or timerfd");
        goto fail;
    }
    if (epoll_add(p, p->listen_fd, EPOLLIN, TAG_LISTENER) < 0 ||
        epoll_add(p, p->wake_fd, EPOLLIN, TAG_WAKE) < 0 ||
        epoll_add(p, p->timer_fd, EPOLLIN, TAG_TIMER) < 0) {
        sb_err_errno(err, errno, "proxy: cannot register with epoll");
        goto fail;
    }
    int rc = pthread_create(&p->thread, NULL, proxy_loop, p);
    if (rc != 0) {
        sb_err_errno(err, rc, "proxy: cannot start its thread");
        goto fail;
    }
    p->thread_started = true;
    return p;
fail:
    proxy_free(p);
    return NULL;
}

int sb_proxy_port(const sb_proxy_t *p)
{
    return p->port;
}

static void proxy_wake(sb_proxy_t *p)
{
    uint64_t one = 1;
    ssize_t n = write(p->wake_fd, &one, sizeof one);
    (void)n;    /* EAGAIN: the counter is already non-zero, the loop will wake */
}

static bool fraction_ok(double f)
{
    return f >= 0.0 && f <= 1.0;    /* false for NaN too */
}

static int flow_toxics_check(const sb_proxy_flow_toxics_t *t, const char *dir, sb_err_t *err)
{
    if (t->latency_ms < 0 || t->jitter_ms < 0 || t->bytes_per_s < 0 || t->reset_after_bytes < 0)
        return sb_err_set(err, "proxy: %s toxics: negative latency, jitter, rate or byte count",
                          dir);
    if (!fraction_ok(t->reset_probability))
        return sb_err_set(err, "proxy: %s toxics: reset probability %g is not within 0..1", dir,
                          t->reset_probability);
    return 0;
}

int sb_proxy_set_toxics(sb_proxy_t *p, const sb_proxy_toxics_t *t, sb_err_t *err)
{
    if (flow_toxics_check(&t->up, "up", err) < 0 || flow_toxics_check(&t->down, "down", err) < 0)
        return -1;
    if (t->slow_close_ms < 0)
        return sb_err_set(err, "proxy: slow close of %d ms is negative", t->slow_close_ms);
    if (!fraction_ok(t->http_error_fraction) || !fraction_ok(t->http_cut_fraction) ||
        t->http_error_fraction + t->http_cut_fraction > 1.0 + 1e-9)
        return sb_err_set(err, "proxy: HTTP error fraction %g and cut fraction %g must be "
                               "within 0..1 and add up to at most 1",
                          t->http_error_fraction, t->http_cut_fraction);
    if (t->http_error_status != 0 && t->http_error_status != 500 && t->http_error_status != 503)
        return sb_err_set(err, "proxy: HTTP error status %d is neither 500 nor 503",
                          t->http_error_status);
    pthread_mutex_lock(&p->mu);
    p->toxics_shared = *t;
    uint64_t gen = atomic_fetch_add(&p->toxics_gen, 1) + 1;
    proxy_wake(p);
    /* Synchronous, so that a caller can rely on every byte read after the
     * return meeting the new toxics. */
    while (p->toxics_gen_applied < gen && !p->loop_ended)
        pthread_cond_wait(&p->applied, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void sb_proxy_get_toxics(sb_proxy_t *p, sb_proxy_toxics_t *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->toxics_shared;
    pthread_mutex_unlock(&p->mu);
}

void sb_proxy_stats(const sb_proxy_t *p, sb_proxy_stats_t *out)
{
#define X(name) out->name = atomic_load_explicit(&p->stats.name, memory_order_relaxed);
    STATS_FIELDS(X)
#undef X
}

void sb_proxy_stop(sb_proxy_t *p)
{
    if (p == NULL)
        return;
    if (p->thread_started) {
        atomic_store(&p->stopping, true);
        proxy_wake(p);
        pthread_join(p->thread, NULL);
    }
    proxy_free(p);
}
