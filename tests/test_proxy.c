/* test_proxy.c — the fault proxy, as a specification.
 *
 * Each test starts an upstream server on 127.0.0.1 (echo, a fixed download,
 * or a small HTTP/1.1 server) on its own threads, a proxy in front of it,
 * and talks through the proxy with blocking sockets that time out after
 * CLIENT_TIMEOUT_MS, so a broken proxy fails a test instead of hanging it.
 * Timing bounds are strict below (a toxic must delay at least that much)
 * and loose above (two shared cores, sanitizers). The fixture also checks
 * that every descriptor opened during a test was closed.
 *
 * SNAPBED_TEST_FIGURES=1 prints the measured figures on stderr. */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "cu_helpers.h"
#include "proxy.h"

#define CLIENT_TIMEOUT_MS 3000
#define SERVER_CONNECTIONS_MAX 32
#define SERVER_POLL_MS 20
#define HEAD_BYTES_MAX 16384
#define SEED 20261125

static void figure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void figure(const char *fmt, ...)
{
    const char *on = getenv("SNAPBED_TEST_FIGURES");
    if (on == NULL || strcmp(on, "1") != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\n    figure: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static double ms_since(int64_t t0)
{
    return (double)(sb_clock_now_ns() - t0) / (double)SB_NS_PER_MS;
}

/* ---- a buffered reader with a deadline (clients) or a stop flag (servers) -- */

typedef struct reader {
    int fd;
    const atomic_bool *stop;    /* servers: give up when set */
    int64_t timeout_ns;         /* clients: give up after this long without bytes */
    int err;                    /* errno of the failure; 0 on EOF */
    bool closed;                /* EOF or error seen */
    size_t len;
    uint8_t buf[65536];
} reader_t;

static void reader_init(reader_t *r, int fd, const atomic_bool *stop)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->stop = stop;
    r->timeout_ns = CLIENT_TIMEOUT_MS * SB_NS_PER_MS;
}

/* Reads more; false on EOF, error, stop or timeout. */
static bool reader_fill(reader_t *r)
{
    if (r->closed || r->len == sizeof r->buf)
        return false;
    int64_t give_up = sb_clock_now_ns() + r->timeout_ns;
    for (;;) {
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        int n = poll(&pfd, 1, SERVER_POLL_MS);
        if (r->stop != NULL && atomic_load(r->stop))
            return false;
        if (n == 0) {
            if (r->stop == NULL && sb_clock_now_ns() > give_up) {
                r->err = ETIMEDOUT;
                return false;
            }
            continue;
        }
        ssize_t got = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
        if (got > 0) {
            r->len += (size_t)got;
            return true;
        }
        if (got < 0 && errno == EINTR)
            continue;
        r->closed = true;
        r->err = got < 0 ? errno : 0;
        return false;
    }
}

static void reader_drop(reader_t *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

/* A head through its blank line into out (NUL-terminated); its length, or -1. */
static long reader_head(reader_t *r, char *out, size_t cap)
{
    for (;;) {
        uint8_t *end = memmem(r->buf, r->len, "\r\n\r\n", 4);
        if (end != NULL) {
            size_t n = (size_t)(end - r->buf) + 4;
            if (n >= cap)
                return -1;
            memcpy(out, r->buf, n);
            out[n] = '\0';
            reader_drop(r, n);
            return (long)n;
        }
        if (!reader_fill(r))
            return -1;
    }
}

/* Up to n bytes into out (NULL: discard); how many came before EOF or error. */
static size_t reader_take(reader_t *r, uint8_t *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        if (r->len == 0 && !reader_fill(r))
            break;
        size_t k = r->len < n - got ? r->len : n - got;
        if (out != NULL)
            memcpy(out + got, r->buf, k);
        reader_drop(r, k);
        got += k;
    }
    return got;
}

/* A CRLF-terminated line without its CRLF; false if none came. */
static bool reader_line(reader_t *r, char *out, size_t cap)
{
    for (;;) {
        uint8_t *eol = memmem(r->buf, r->len, "\r\n", 2);
        if (eol != NULL) {
            size_t n = (size_t)(eol - r->buf);
            if (n >= cap)
                return false;
            memcpy(out, r->buf, n);
            out[n] = '\0';
            reader_drop(r, n + 2);
            return true;
        }
        if (!reader_fill(r))
            return false;
    }
}

/* Everything until EOF or error; bytes counted, kept up to cap. */
static size_t reader_rest(reader_t *r, uint8_t *out, size_t cap)
{
    size_t got = 0;
    for (;;) {
        size_t k = r->len;
        if (out != NULL && got < cap)
            memcpy(out + got, r->buf, k < cap - got ? k : cap - got);
        got += k;
        r->len = 0;
        if (!reader_fill(r))
            return got;
    }
}

static const char *header_value(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':')
            return line + 3 + n + strspn(line + 3 + n, " ");
    return NULL;
}

static long content_length(const char *head)
{
    const char *v = header_value(head, "Content-Length");
    return v ? strtol(v, NULL, 10) : -1;
}

static bool is_chunked(const char *head)
{
    const char *v = header_value(head, "Transfer-Encoding");
    return v != NULL && strncasecmp(v, "chunked", 7) == 0;
}

/* A chunked body, decoded into out; its length, or -1. */
static long read_chunked(reader_t *r, uint8_t *out, size_t cap)
{
    size_t total = 0;
    char line[256];
    for (;;) {
        if (!reader_line(r, line, sizeof line))
            return -1;
        size_t size = strtoul(line, NULL, 16);
        if (size == 0)
            break;
        if (total + size > cap || reader_take(r, out + total, size) != size)
            return -1;
        total += size;
        if (!reader_line(r, line, sizeof line) || line[0] != '\0')
            return -1;
    }
    while (reader_line(r, line, sizeof line) && line[0] != '\0')
        ;   /* trailers */
    return (long)total;
}

/* ---- sockets ------------------------------------------------------------ */

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int client_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static bool send_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool send_str(int fd, const char *s)
{
    return send_all(fd, s, strlen(s));
}

static void pattern_fill(uint8_t *buf, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
}

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* ---- the upstream server -------------------------------------------------- */

typedef enum server_mode {
    SERVER_ECHO,        /* echoes; FIN after the client's FIN */
    SERVER_SEND,        /* sends send_bytes of pattern at once, then FIN */
    SERVER_HTTP,        /* GET /bytes/N, HEAD, PUT, GET /chunked; keep-alive */
} server_mode_t;

typedef struct server server_t;

typedef struct handler {
    server_t *server;
    int fd;
    pthread_t thread;
} handler_t;

struct server {
    server_mode_t mode;
    size_t send_bytes;
    int listen_fd;
    int port;
    atomic_bool stop;
    pthread_t thread;
    atomic_int connections;
    atomic_int requests;
    _Atomic int64_t bytes_in;
    pthread_mutex_t mu;
    int handler_count;
    handler_t handlers[SERVER_CONNECTIONS_MAX];
};

static void serve_echo(server_t *s, int fd)
{
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, &s->stop);
    while (reader_fill(r)) {
        atomic_fetch_add(&s->bytes_in, (int64_t)r->len);
        if (!send_all(fd, r->buf, r->len))
            break;
        r->len = 0;
    }
    if (r->closed && r->err == 0)
        shutdown(fd, SHUT_WR);
    free(r);
}

static void serve_send(server_t *s, int fd)
{
    uint8_t *data = malloc(s->send_bytes);
    pattern_fill(data, s->send_bytes, s->send_bytes);
    bool sent = send_all(fd, data, s->send_bytes);
    free(data);
    if (!sent)
        return;
    shutdown(fd, SHUT_WR);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, &s->stop);
    while (reader_fill(r))
        r->len = 0;     /* until the client leaves */
    free(r);
}

/* One HTTP response for the request whose head is `head`. */
static bool serve_http_request(server_t *s, int fd, reader_t *r, const char *head)
{
    char method[16] = "", path[256] = "";
    sscanf(head, "%15s %255s", method, path);
    long len = content_length(head);
    if (is_chunked(head)) {
        uint8_t *body = malloc(1 << 20);
        len = read_chunked(r, body, 1 << 20);
        free(body);
        if (len < 0)
            return false;
    } else if (len > 0 && reader_take(r, NULL, (size_t)len) != (size_t)len) {
        return false;
    }
    atomic_fetch_add(&s->requests, 1);
    atomic_fetch_add(&s->bytes_in, len > 0 ? len : 0);
    const char *conn = header_value(head, "Connection");
    bool close = conn != NULL && strncasecmp(conn, "close", 5) == 0;
    char out[512];
    bool ok;
    if (strcmp(path, "/chunked") == 0) {
        snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n");
        ok = send_str(fd, out);
    } else if (strncmp(path, "/bytes/", 7) == 0) {
        size_t n = strtoul(path + 7, NULL, 10);
        snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n%s\r\n", n,
                 close ? "Connection: close\r\n" : "");
        ok = send_str(fd, out);
        if (ok && strcmp(method, "HEAD") != 0) {
            uint8_t *data = malloc(n + 1);
            pattern_fill(data, n, n);
            ok = send_all(fd, data, n);
            free(data);
        }
    } else {
        snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nETag: \"%ld\"\r\nContent-Length: 0\r\n%s\r\n",
                 len, close ? "Connection: close\r\n" : "");
        ok = send_str(fd, out);
    }
    return ok && !close;
}

static void serve_http(server_t *s, int fd)
{
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, &s->stop);
    char *head = malloc(HEAD_BYTES_MAX);
    while (reader_head(r, head, HEAD_BYTES_MAX) > 0 && serve_http_request(s, fd, r, head))
        ;
    shutdown(fd, SHUT_WR);
    free(head);
    free(r);
}

static void *handler_main(void *arg)
{
    handler_t *h = arg;
    switch (h->server->mode) {
    case SERVER_ECHO:
        serve_echo(h->server, h->fd);
        break;
    case SERVER_SEND:
        serve_send(h->server, h->fd);
        break;
    case SERVER_HTTP:
        serve_http(h->server, h->fd);
        break;
    }
    return NULL;
}

static void *server_main(void *arg)
{
    server_t *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
        if (poll(&pfd, 1, SERVER_POLL_MS) <= 0)
            continue;
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        if (s->handler_count == SERVER_CONNECTIONS_MAX) {
            pthread_mutex_unlock(&s->mu);
            close(fd);
            continue;
        }
        int one = 1;    /* a head and its body in two sends must not wait for an ACK */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        handler_t *h = &s->handlers[s->handler_count++];
        h->server = s;
        h->fd = fd;
        atomic_fetch_add(&s->connections, 1);
        pthread_create(&h->thread, NULL, handler_main, h);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static void server_start(server_t *s, server_mode_t mode, size_t send_bytes)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    s->send_bytes = send_bytes;
    pthread_mutex_init(&s->mu, NULL);
    s->listen_fd = listen_loopback(&s->port);
    CU_ASSERT_FATAL(s->listen_fd >= 0);
    CU_ASSERT_FATAL(pthread_create(&s->thread, NULL, server_main, s) == 0);
}

static void server_stop(server_t *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->handler_count; i++)
        shutdown(s->handlers[i].fd, SHUT_RDWR);     /* unblocks a handler stuck in send */
    for (int i = 0; i < s->handler_count; i++) {
        pthread_join(s->handlers[i].thread, NULL);
        close(s->handlers[i].fd);
    }
    close(s->listen_fd);
    pthread_mutex_destroy(&s->mu);
}

/* ---- fixture ---------------------------------------------------------------- */

typedef struct fixture {
    int fds_before;
    server_t server;
    sb_proxy_t *proxy;
    int port;               /* the proxy's */
} fixture_t;

static void fx_open(fixture_t *f, server_mode_t mode, size_t send_bytes)
{
    f->fds_before = count_open_fds();
    server_start(&f->server, mode, send_bytes);
    sb_err_t err = { "" };
    f->proxy = sb_proxy_start("127.0.0.1", f->server.port, 0, SEED, &err);
    if (f->proxy == NULL)
        fprintf(stderr, "\n    %s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->proxy);
    f->port = sb_proxy_port(f->proxy);
    CU_ASSERT_FATAL(f->port > 0 && f->port != f->server.port);
}

static void fx_close(fixture_t *f)
{
    sb_proxy_stop(f->proxy);
    server_stop(&f->server);
    CU_ASSERT_EQUAL(count_open_fds(), f->fds_before);
}

static void fx_toxics(fixture_t *f, const sb_proxy_toxics_t *t)
{
    sb_err_t err = { "" };
    int rc = sb_proxy_set_toxics(f->proxy, t, &err);
    if (rc != 0)
        fprintf(stderr, "\n    %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static sb_proxy_stats_t fx_stats(fixture_t *f)
{
    sb_proxy_stats_t s;
    sb_proxy_stats(f->proxy, &s);
    return s;
}

/* Counters move on the proxy's thread: wait (bounded) for one to arrive. */
#define WAIT_FOR_STAT(f, field, value)                                           \
    do {                                                                         \
        int64_t give_up_ = sb_clock_now_ns() + CLIENT_TIMEOUT_MS * SB_NS_PER_MS;  \
        while (fx_stats(f).field != (value) && sb_clock_now_ns() < give_up_)     \
            sb_clock_sleep_ns(SB_NS_PER_MS);                                     \
        CU_ASSERT_EQUAL(fx_stats(f).field, (value));                             \
    } while (0)

static int fx_connect(fixture_t *f)
{
    int fd = client_connect(f->port);
    CU_ASSERT_FATAL(fd >= 0);
    return fd;
}

/* Round trip of a small message through an echo server; ms, or -1. */
static double echo_rtt_ms(int fd)
{
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    int64_t t0 = sb_clock_now_ns();
    uint8_t got[4];
    bool ok = send_str(fd, "ping") && reader_take(r, got, 4) == 4 && memcmp(got, "ping", 4) == 0;
    double ms = ms_since(t0);
    free(r);
    return ok ? ms : -1;
}

/* ---- plain forwarding ----------------------------------------------------------- */

#define ECHO_CONNECTIONS 4
#define ECHO_PIECE_BYTES 16384
#define ECHO_PIECES 16

static void test_plain_forwarding_carries_bytes_intact_both_ways_on_several_connections(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    int fd[ECHO_CONNECTIONS];
    reader_t *r[ECHO_CONNECTIONS];
    for (int c = 0; c < ECHO_CONNECTIONS; c++) {
        fd[c] = fx_connect(&f);
        r[c] = malloc(sizeof *r[c]);
        reader_init(r[c], fd[c], NULL);
    }
    uint8_t out[ECHO_PIECE_BYTES], in[ECHO_PIECE_BYTES];
    int intact = 0;
    for (int i = 0; i < ECHO_PIECES; i++)
        for (int c = 0; c < ECHO_CONNECTIONS; c++) {
            pattern_fill(out, sizeof out, (uint64_t)(c * 1000 + i));
            if (send_all(fd[c], out, sizeof out) && reader_take(r[c], in, sizeof in) == sizeof in &&
                memcmp(in, out, sizeof in) == 0)
                intact++;
        }
    CU_ASSERT_EQUAL(intact, ECHO_PIECES * ECHO_CONNECTIONS);
    /* A half-close travels through: the server's FIN comes back. */
    for (int c = 0; c < ECHO_CONNECTIONS; c++) {
        shutdown(fd[c], SHUT_WR);
        CU_ASSERT_EQUAL(reader_rest(r[c], NULL, 0), 0);
        CU_ASSERT_EQUAL(r[c]->err, 0);
        close(fd[c]);
        free(r[c]);
    }
    int64_t total = (int64_t)ECHO_CONNECTIONS * ECHO_PIECES * ECHO_PIECE_BYTES;
    WAIT_FOR_STAT(&f, connections_open, 0);
    sb_proxy_stats_t s = fx_stats(&f);
    CU_ASSERT_EQUAL(s.connections_accepted, ECHO_CONNECTIONS);
    CU_ASSERT_EQUAL(s.bytes_up, total);
    CU_ASSERT_EQUAL(s.bytes_down, total);
    CU_ASSERT_EQUAL(atomic_load(&f.server.connections), ECHO_CONNECTIONS);
    fx_close(&f);
}

#define DOWNLOAD_BYTES (1 << 20)

/* Downloads through the proxy; bytes received, and whether they match. */
static size_t download(fixture_t *f, bool *intact, int *err, double *ms)
{
    int fd = fx_connect(f);
    int64_t t0 = sb_clock_now_ns();
    uint8_t *got = malloc(DOWNLOAD_BYTES + 1);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    size_t n = reader_rest(r, got, DOWNLOAD_BYTES + 1);
    *ms = ms_since(t0);
    *err = r->err;
    uint8_t *want = malloc(DOWNLOAD_BYTES);
    pattern_fill(want, DOWNLOAD_BYTES, DOWNLOAD_BYTES);
    size_t cmp = n < DOWNLOAD_BYTES ? n : DOWNLOAD_BYTES;
    *intact = memcmp(got, want, cmp) == 0;
    free(want);
    free(got);
    free(r);
    close(fd);
    return n;
}

static void test_plain_forwarding_carries_a_large_download_to_its_end(void)
{
    fixture_t f;
    fx_open(&f, SERVER_SEND, DOWNLOAD_BYTES);
    bool intact;
    int err;
    double ms;
    CU_ASSERT_EQUAL(download(&f, &intact, &err, &ms), DOWNLOAD_BYTES);
    CU_ASSERT(intact);
    CU_ASSERT_EQUAL(err, 0);
    figure("1 MiB plain download through the proxy: %.1f ms", ms);
    fx_close(&f);
}

/* ---- latency, bandwidth ------------------------------------------------------------ */

static void test_latency_delays_each_direction_by_at_least_latency_ms(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    int fd = fx_connect(&f);
    CU_ASSERT(echo_rtt_ms(fd) >= 0);    /* connected upstream before measuring */
    sb_proxy_toxics_t t = { .down.latency_ms = 50 };
    fx_toxics(&f, &t);
    double down = echo_rtt_ms(fd);
    CU_ASSERT(down >= 50.0);
    CU_ASSERT(down < 1000.0);
    t.up.latency_ms = 50;
    fx_toxics(&f, &t);
    double both = echo_rtt_ms(fd);
    CU_ASSERT(both >= 100.0);
    CU_ASSERT(both < 1000.0);
    CU_ASSERT(fx_stats(&f).chunks_delayed >= 3);
    CU_ASSERT(fx_stats(&f).bytes_delayed >= 12);
    figure("latency 50 ms down: rtt %.1f ms; 50 ms both ways: rtt %.1f ms", down, both);
    close(fd);
    fx_close(&f);
}

static void test_latency_switched_off_forwards_at_once_again(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    int fd = fx_connect(&f);
    sb_proxy_toxics_t t = { .up.latency_ms = 50, .down.latency_ms = 50 };
    fx_toxics(&f, &t);
    CU_ASSERT(echo_rtt_ms(fd) >= 100.0);
    sb_proxy_toxics_t off = { 0 };
    fx_toxics(&f, &off);
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        double ms = echo_rtt_ms(fd);
        CU_ASSERT(ms >= 0);
        best = ms < best ? ms : best;
    }
    CU_ASSERT(best < 40.0);
    figure("latency switched off: best rtt of 3 %.2f ms", best);
    close(fd);
    fx_close(&f);
}

#define JITTER_MESSAGES 40

static void test_jitter_keeps_the_order_of_bytes_within_a_connection(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    int fd = fx_connect(&f);
    CU_ASSERT(echo_rtt_ms(fd) >= 0);
    sb_proxy_toxics_t t = { .up = { .latency_ms = 20, .jitter_ms = 15 },
                            .down = { .latency_ms = 20, .jitter_ms = 15 } };
    fx_toxics(&f, &t);
    char sent[JITTER_MESSAGES * 8 + 1] = "";
    int64_t t0 = sb_clock_now_ns();
    for (int i = 0; i < JITTER_MESSAGES; i++) {
        char msg[9];
        snprintf(msg, sizeof msg, "<%06d>", i);
        CU_ASSERT(send_str(fd, msg));
        strcat(sent, msg);
        sb_clock_sleep_ns(SB_NS_PER_MS / 2);
    }
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    char got[JITTER_MESSAGES * 8 + 1] = "";
    CU_ASSERT_EQUAL(reader_take(r, (uint8_t *)got, JITTER_MESSAGES * 8), JITTER_MESSAGES * 8);
    double ms = ms_since(t0);
    CU_ASSERT_STRING_EQUAL(got, sent);
    CU_ASSERT(ms >= 10.0);     /* two ways, each at least 20 - 15 ms */
    CU_ASSERT(fx_stats(&f).chunks_delayed >= 2);
    figure("jitter 20±15 ms both ways, %d messages: in order after %.1f ms", JITTER_MESSAGES,
           ms);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_bandwidth_limits_a_download_to_bytes_per_s(void)
{
    fixture_t f;
    fx_open(&f, SERVER_SEND, DOWNLOAD_BYTES);
    sb_proxy_toxics_t t = { .down.bytes_per_s = 2 << 20 };
    fx_toxics(&f, &t);
    bool intact;
    int err;
    double ms;
    CU_ASSERT_EQUAL(download(&f, &intact, &err, &ms), DOWNLOAD_BYTES);
    CU_ASSERT(intact);
    CU_ASSERT(ms >= 400.0);
    CU_ASSERT(ms < 3000.0);
    CU_ASSERT(fx_stats(&f).bandwidth_waits >= 1);
    figure("1 MiB at 2 MiB/s: %.1f ms (%.2f MiB/s)", ms, 1000.0 / ms);
    fx_close(&f);
}

/* ---- resets, blackhole, slow close ------------------------------------------------------ */

static void test_reset_after_bytes_closes_with_rst_after_at_most_n_bytes(void)
{
    fixture_t f;
    fx_open(&f, SERVER_SEND, DOWNLOAD_BYTES);
    sb_proxy_toxics_t t = { .down.reset_after_bytes = 10000 };
    fx_toxics(&f, &t);
    bool intact;
    int err;
    double ms;
    size_t n = download(&f, &intact, &err, &ms);
    CU_ASSERT(n > 0);
    CU_ASSERT(n <= 10000);
    CU_ASSERT(intact);
    CU_ASSERT(err == ECONNRESET || err == 0);
    WAIT_FOR_STAT(&f, resets_after_bytes, 1);
    figure("reset after 10000 bytes: client got %zu bytes, then %s", n,
           err ? strerror(err) : "EOF");
    fx_close(&f);
}

static void test_reset_after_bytes_counts_from_when_it_is_switched_on(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    uint8_t buf[5000];
    pattern_fill(buf, sizeof buf, 1);
    CU_ASSERT(send_all(fd, buf, sizeof buf));
    CU_ASSERT_EQUAL(reader_take(r, buf, sizeof buf), sizeof buf);
    sb_proxy_toxics_t t = { .up.reset_after_bytes = 100 };
    fx_toxics(&f, &t);
    CU_ASSERT(send_all(fd, buf, 60));       /* 60 of the 100 bytes from now on */
    CU_ASSERT_EQUAL(reader_take(r, buf, 60), 60);
    CU_ASSERT(send_all(fd, buf, 60));       /* 40 reach upstream, then the reset */
    CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
    CU_ASSERT_EQUAL(r->err, ECONNRESET);
    CU_ASSERT_EQUAL(fx_stats(&f).resets_after_bytes, 1);
    int64_t give_up = sb_clock_now_ns() + CLIENT_TIMEOUT_MS * SB_NS_PER_MS;
    while (atomic_load(&f.server.bytes_in) < 5100 && sb_clock_now_ns() < give_up)
        sb_clock_sleep_ns(SB_NS_PER_MS);
    CU_ASSERT_EQUAL(atomic_load(&f.server.bytes_in), 5000 + 60 + 40);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_reset_probability_one_resets_on_the_first_chunk(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    sb_proxy_toxics_t t = { .up.reset_probability = 1.0 };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    CU_ASSERT(send_str(fd, "hello"));
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
    CU_ASSERT_EQUAL(r->err, ECONNRESET);
    CU_ASSERT_EQUAL(fx_stats(&f).resets_random, 1);
    CU_ASSERT_EQUAL(atomic_load(&f.server.bytes_in), 0);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_blackhole_accepts_and_reads_but_never_answers(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    sb_proxy_toxics_t t = { .blackhole = true };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    CU_ASSERT(send_str(fd, "hello"));
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    CU_ASSERT_EQUAL(poll(&pfd, 1, 200), 0);
    WAIT_FOR_STAT(&f, bytes_blackholed, 5);
    CU_ASSERT_EQUAL(atomic_load(&f.server.connections), 0);
    /* Off again: new connections are forwarded. */
    sb_proxy_toxics_t off = { 0 };
    fx_toxics(&f, &off);
    int fd2 = fx_connect(&f);
    CU_ASSERT(echo_rtt_ms(fd2) >= 0);
    close(fd2);
    close(fd);
    WAIT_FOR_STAT(&f, connections_open, 0);
    fx_close(&f);
}

static void test_slow_close_delays_the_close_after_upstream_closes(void)
{
    fixture_t f;
    fx_open(&f, SERVER_SEND, 10);
    sb_proxy_toxics_t t = { .slow_close_ms = 200 };
    fx_toxics(&f, &t);
    int64_t t0 = sb_clock_now_ns();
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    uint8_t got[10];
    CU_ASSERT_EQUAL(reader_take(r, got, 10), 10);
    double data_ms = ms_since(t0);
    CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
    CU_ASSERT_EQUAL(r->err, 0);
    double eof_ms = ms_since(t0);
    CU_ASSERT(eof_ms >= 200.0);
    CU_ASSERT(eof_ms < 1500.0);
    CU_ASSERT_EQUAL(fx_stats(&f).slow_closes, 1);
    figure("slow close 200 ms: data after %.1f ms, EOF after %.1f ms", data_ms, eof_ms);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_an_unreachable_upstream_resets_the_client(void)
{
    int fds_before = count_open_fds();
    int port;
    int dead = listen_loopback(&port);
    CU_ASSERT_FATAL(dead >= 0);
    close(dead);    /* nothing listens there now */
    sb_err_t err = { "" };
    sb_proxy_t *p = sb_proxy_start("127.0.0.1", port, 0, SEED, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    int fd = client_connect(sb_proxy_port(p));
    CU_ASSERT_FATAL(fd >= 0);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
    CU_ASSERT(r->err == ECONNRESET || r->err == 0);
    sb_proxy_stats_t s;
    sb_proxy_stats(p, &s);
    CU_ASSERT_EQUAL(s.upstream_connect_failures, 1);
    free(r);
    close(fd);
    sb_proxy_stop(p);
    CU_ASSERT_EQUAL(count_open_fds(), fds_before);
}

static void test_stop_closes_connections_still_open(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    int fd[3];
    for (int i = 0; i < 3; i++) {
        fd[i] = fx_connect(&f);
        CU_ASSERT(echo_rtt_ms(fd[i]) >= 0);
    }
    CU_ASSERT_EQUAL(fx_stats(&f).connections_open, 3);
    sb_proxy_stop(f.proxy);
    f.proxy = NULL;
    for (int i = 0; i < 3; i++) {
        reader_t *r = malloc(sizeof *r);
        reader_init(r, fd[i], NULL);
        CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
        free(r);
        close(fd[i]);
    }
    fx_close(&f);
}

static void test_connections_over_the_limit_are_refused_with_a_reset(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    sb_proxy_toxics_t t = { .blackhole = true };    /* no upstream descriptors */
    fx_toxics(&f, &t);
    static int fd[SB_PROXY_CONNECTIONS_MAX];
    for (int i = 0; i < SB_PROXY_CONNECTIONS_MAX; i++)
        fd[i] = fx_connect(&f);
    WAIT_FOR_STAT(&f, connections_open, SB_PROXY_CONNECTIONS_MAX);
    int extra = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, extra, NULL);
    CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
    CU_ASSERT_EQUAL(r->err, ECONNRESET);
    CU_ASSERT_EQUAL(fx_stats(&f).connections_refused, 1);
    close(extra);
    for (int i = 0; i < SB_PROXY_CONNECTIONS_MAX; i++)
        close(fd[i]);
    WAIT_FOR_STAT(&f, connections_open, 0);
    /* Room again. */
    int again = fx_connect(&f);
    WAIT_FOR_STAT(&f, connections_open, 1);
    close(again);
    free(r);
    fx_close(&f);
}

static void test_invalid_toxics_are_rejected_with_a_reason(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    sb_err_t err = { "" };
    sb_proxy_toxics_t t = { .down.latency_ms = -1 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(f.proxy, &t, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "down"));
    t = (sb_proxy_toxics_t){ .up.reset_probability = 1.5 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(f.proxy, &t, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "1.5"));
    t = (sb_proxy_toxics_t){ .http = true, .http_error_status = 404 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(f.proxy, &t, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "404"));
    t = (sb_proxy_toxics_t){ .http_error_fraction = 0.7, .http_cut_fraction = 0.5 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(f.proxy, &t, &err), -1);
    t = (sb_proxy_toxics_t){ .slow_close_ms = -5 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(f.proxy, &t, &err), -1);
    t = (sb_proxy_toxics_t){ .http_error_fraction = 0.5, .http_cut_fraction = 0.5 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(f.proxy, &t, &err), 0);
    sb_proxy_toxics_t back;
    sb_proxy_get_toxics(f.proxy, &back);
    CU_ASSERT_EQUAL(back.http_cut_fraction, 0.5);
    CU_ASSERT_PTR_NULL(sb_proxy_start("127.0.0.1", 0, 0, SEED, &err));
    CU_ASSERT_PTR_NULL(sb_proxy_start("no-such-host.invalid", 80, 0, SEED, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no-such-host.invalid"));
    fx_close(&f);
}

/* ---- HTTP ----------------------------------------------------------------------------- */

typedef struct response {
    int status;
    long length;            /* Content-Length, or -1 */
    long body_bytes;        /* received */
    char head[HEAD_BYTES_MAX];
    uint8_t body[1 << 17];
} response_t;

/* Reads one response; false when none came whole. */
static bool read_response(reader_t *r, bool head_request, response_t *resp)
{
    memset(resp, 0, offsetof(response_t, body));
    if (reader_head(r, resp->head, sizeof resp->head) < 0)
        return false;
    resp->status = atoi(resp->head + 9);
    resp->length = content_length(resp->head);
    if (head_request)
        return true;
    if (is_chunked(resp->head)) {
        resp->body_bytes = read_chunked(r, resp->body, sizeof resp->body);
        return resp->body_bytes >= 0;
    }
    size_t want = resp->length > 0 ? (size_t)resp->length : 0;
    CU_ASSERT_FATAL(want <= sizeof resp->body);
    resp->body_bytes = (long)reader_take(r, resp->body, want);
    return resp->body_bytes == resp->length || (resp->length < 0 && resp->body_bytes == 0);
}

static const char PUT_REQUEST[] = "PUT /bucket/key HTTP/1.1\r\nHost: s3\r\n"
                                  "Content-Length: 1000\r\n\r\n";
static const char CHUNKED_PUT_REQUEST[] = "PUT /bucket/chunked HTTP/1.1\r\nHost: s3\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n"
                                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

static bool send_put(int fd)
{
    uint8_t body[1000];
    pattern_fill(body, sizeof body, 7);
    return send_str(fd, PUT_REQUEST) && send_all(fd, body, sizeof body);
}

static void assert_s3_error(const response_t *resp, int status, const char *code)
{
    CU_ASSERT_EQUAL(resp->status, status);
    CU_ASSERT_EQUAL(resp->body_bytes, resp->length);
    char want[64];
    snprintf(want, sizeof want, "<Code>%s</Code>", code);
    CU_ASSERT_PTR_NOT_NULL(memmem(resp->body, (size_t)resp->body_bytes, want, strlen(want)));
    CU_ASSERT_PTR_NOT_NULL(memmem(resp->body, (size_t)resp->body_bytes, "<RequestId>", 11));
    CU_ASSERT_PTR_NOT_NULL(memmem(resp->body, (size_t)resp->body_bytes, "<Message>", 9));
    CU_ASSERT_PTR_NOT_NULL(strstr(resp->head, "x-amz-request-id: "));
}

static void test_http_error_fraction_one_answers_every_request_with_slowdown(void)
{
    fixture_t f;
    fx_open(&f, SERVER_HTTP, 0);
    sb_proxy_toxics_t t = { .http = true, .http_error_fraction = 1.0, .http_error_status = 503 };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    response_t *resp = malloc(sizeof *resp);
    /* A PUT with a body, a GET, a chunked PUT, on one kept-alive connection. */
    CU_ASSERT(send_put(fd));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    assert_s3_error(resp, 503, "SlowDown");
    CU_ASSERT_PTR_NOT_NULL(strstr(resp->head, "Connection: keep-alive"));
    CU_ASSERT(send_str(fd, "GET /bytes/5000 HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    assert_s3_error(resp, 503, "SlowDown");
    CU_ASSERT(send_str(fd, CHUNKED_PUT_REQUEST));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    assert_s3_error(resp, 503, "SlowDown");
    /* HEAD: the same head, no body. */
    CU_ASSERT(send_str(fd, "HEAD /bytes/5000 HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FATAL(read_response(r, true, resp));
    CU_ASSERT_EQUAL(resp->status, 503);
    CU_ASSERT(resp->length > 0);
    /* Two pipelined requests get two answers, in order. */
    CU_ASSERT(send_str(fd, "GET /bytes/1 HTTP/1.1\r\nHost: s3\r\n\r\n"
                           "GET /bytes/2 HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 503);
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 503);
    CU_ASSERT_EQUAL(r->len, 0);
    CU_ASSERT_EQUAL(atomic_load(&f.server.requests), 0);
    sb_proxy_stats_t s = fx_stats(&f);
    CU_ASSERT_EQUAL(s.http_requests, 6);
    CU_ASSERT_EQUAL(s.http_errors_injected, 6);
    CU_ASSERT_EQUAL(s.bytes_up, 0);
    CU_ASSERT_EQUAL(s.http_parse_fallbacks, 0);
    free(resp);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_http_internal_error_can_close_the_connection(void)
{
    fixture_t f;
    fx_open(&f, SERVER_HTTP, 0);
    sb_proxy_toxics_t t = { .http = true, .http_error_fraction = 1.0, .http_error_status = 500,
                            .http_error_close = true };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    response_t *resp = malloc(sizeof *resp);
    CU_ASSERT(send_put(fd));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    assert_s3_error(resp, 500, "InternalError");
    CU_ASSERT_PTR_NOT_NULL(strstr(resp->head, "Connection: close"));
    CU_ASSERT_EQUAL(reader_rest(r, NULL, 0), 0);
    CU_ASSERT_EQUAL(r->err, 0);     /* a FIN, not a reset */
    CU_ASSERT_EQUAL(atomic_load(&f.server.requests), 0);
    close(fd);
    WAIT_FOR_STAT(&f, connections_open, 0);
    free(resp);
    free(r);
    fx_close(&f);
}

static void test_http_error_fraction_zero_forwards_every_request(void)
{
    fixture_t f;
    fx_open(&f, SERVER_HTTP, 0);
    sb_proxy_toxics_t t = { .http = true };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    response_t *resp = malloc(sizeof *resp);
    uint8_t want[5000];
    pattern_fill(want, sizeof want, sizeof want);
    CU_ASSERT(send_str(fd, "GET /bytes/5000 HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 200);
    CU_ASSERT_EQUAL(resp->body_bytes, 5000);
    CU_ASSERT(memcmp(resp->body, want, sizeof want) == 0);
    CU_ASSERT(send_str(fd, "HEAD /bytes/5000 HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FATAL(read_response(r, true, resp));
    CU_ASSERT_EQUAL(resp->status, 200);
    CU_ASSERT_EQUAL(resp->length, 5000);
    CU_ASSERT(send_put(fd));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(resp->head, "ETag: \"1000\""));
    CU_ASSERT(send_str(fd, CHUNKED_PUT_REQUEST));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_PTR_NOT_NULL(strstr(resp->head, "ETag: \"11\""));
    CU_ASSERT(send_str(fd, "GET /chunked HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->body_bytes, 12);
    CU_ASSERT(memcmp(resp->body, "hello, world", 12) == 0);
    CU_ASSERT_EQUAL(atomic_load(&f.server.requests), 5);
    sb_proxy_stats_t s = fx_stats(&f);
    CU_ASSERT_EQUAL(s.http_requests, 5);
    CU_ASSERT_EQUAL(s.http_errors_injected, 0);
    CU_ASSERT_EQUAL(s.http_responses_cut, 0);
    CU_ASSERT_EQUAL(s.http_parse_fallbacks, 0);
    free(resp);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_http_cut_closes_half_way_through_a_response(void)
{
    fixture_t f;
    fx_open(&f, SERVER_HTTP, 0);
    sb_proxy_toxics_t t = { .http = true, .http_cut_fraction = 1.0 };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    response_t *resp = malloc(sizeof *resp);
    CU_ASSERT(send_str(fd, "GET /bytes/100000 HTTP/1.1\r\nHost: s3\r\n\r\n"));
    CU_ASSERT_FALSE(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 200);
    CU_ASSERT_EQUAL(resp->length, 100000);
    long head = (long)strlen(resp->head);
    CU_ASSERT_EQUAL(resp->body_bytes, (head + 100000) / 2 - head);
    CU_ASSERT_EQUAL(r->err, 0);
    CU_ASSERT_EQUAL(atomic_load(&f.server.requests), 1);
    WAIT_FOR_STAT(&f, http_responses_cut, 1);
    figure("cut response: %ld of 100000 body bytes", resp->body_bytes);
    free(resp);
    free(r);
    close(fd);
    fx_close(&f);
}

#define SEEDED_REQUESTS 16

/* Which of SEEDED_REQUESTS sequential requests failed, as bits. */
static unsigned failures_with_seed(uint64_t seed, int *forwarded)
{
    server_t server;
    server_start(&server, SERVER_HTTP, 0);
    sb_err_t err = { "" };
    sb_proxy_t *p = sb_proxy_start("127.0.0.1", server.port, 0, seed, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    sb_proxy_toxics_t t = { .http = true, .http_error_fraction = 0.5 };
    CU_ASSERT_EQUAL(sb_proxy_set_toxics(p, &t, &err), 0);
    int fd = client_connect(sb_proxy_port(p));
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    response_t *resp = malloc(sizeof *resp);
    unsigned bits = 0;
    for (int i = 0; i < SEEDED_REQUESTS; i++) {
        CU_ASSERT(send_str(fd, "GET /bytes/10 HTTP/1.1\r\nHost: s3\r\n\r\n"));
        CU_ASSERT(read_response(r, false, resp));
        if (resp->status == 503)
            bits |= 1u << i;
    }
    *forwarded = atomic_load(&server.requests);
    free(resp);
    free(r);
    close(fd);
    sb_proxy_stop(p);
    server_stop(&server);
    return bits;
}

static void test_http_failures_repeat_with_the_same_seed(void)
{
    int forwarded_a, forwarded_b;
    unsigned a = failures_with_seed(SEED, &forwarded_a);
    unsigned b = failures_with_seed(SEED, &forwarded_b);
    CU_ASSERT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(a, 0);                            /* some failed */
    CU_ASSERT_NOT_EQUAL(a, (1u << SEEDED_REQUESTS) - 1);  /* some did not */
    CU_ASSERT_EQUAL(forwarded_a, SEEDED_REQUESTS - __builtin_popcount(a));
    figure("error fraction 0.5, seed %d: %d of %d requests failed (pattern %04x)", SEED,
           __builtin_popcount(a), SEEDED_REQUESTS, a);
}

static void test_http_errors_switched_off_resume_forwarding_on_the_same_connection(void)
{
    fixture_t f;
    fx_open(&f, SERVER_HTTP, 0);
    sb_proxy_toxics_t t = { .http = true, .http_error_fraction = 1.0 };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    response_t *resp = malloc(sizeof *resp);
    CU_ASSERT(send_put(fd));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 503);
    t.http_error_fraction = 0;
    fx_toxics(&f, &t);
    CU_ASSERT(send_put(fd));
    CU_ASSERT_FATAL(read_response(r, false, resp));
    CU_ASSERT_EQUAL(resp->status, 200);
    CU_ASSERT_EQUAL(atomic_load(&f.server.requests), 1);
    free(resp);
    free(r);
    close(fd);
    fx_close(&f);
}

static void test_http_garbage_falls_back_to_plain_forwarding(void)
{
    fixture_t f;
    fx_open(&f, SERVER_ECHO, 0);
    sb_proxy_toxics_t t = { .http = true, .http_error_fraction = 1.0 };
    fx_toxics(&f, &t);
    int fd = fx_connect(&f);
    CU_ASSERT(send_str(fd, "not http at all\r\n\r\n"));
    reader_t *r = malloc(sizeof *r);
    reader_init(r, fd, NULL);
    char got[20] = "";
    CU_ASSERT_EQUAL(reader_take(r, (uint8_t *)got, 19), 19);
    CU_ASSERT_STRING_EQUAL(got, "not http at all\r\n\r\n");
    CU_ASSERT_EQUAL(fx_stats(&f).http_parse_fallbacks, 1);
    CU_ASSERT_EQUAL(fx_stats(&f).http_errors_injected, 0);
    free(r);
    close(fd);
    fx_close(&f);
}

void test_proxy_register(void)
{
    static const sb_test_case_t cases[] = {
        { "plain forwarding carries bytes intact both ways on several connections",
          test_plain_forwarding_carries_bytes_intact_both_ways_on_several_connections },
        { "plain forwarding carries a large download to its end",
          test_plain_forwarding_carries_a_large_download_to_its_end },
        { "latency delays each direction by at least latency_ms",
          test_latency_delays_each_direction_by_at_least_latency_ms },
        { "latency switched off forwards at once again",
          test_latency_switched_off_forwards_at_once_again },
        { "jitter keeps the order of bytes within a connection",
          test_jitter_keeps_the_order_of_bytes_within_a_connection },
        { "bandwidth limits a download to bytes_per_s",
          test_bandwidth_limits_a_download_to_bytes_per_s },
        { "reset after bytes closes with RST after at most N bytes",
          test_reset_after_bytes_closes_with_rst_after_at_most_n_bytes },
        { "reset after bytes counts from when it is switched on",
          test_reset_after_bytes_counts_from_when_it_is_switched_on },
        { "reset probability one resets on the first chunk",
          test_reset_probability_one_resets_on_the_first_chunk },
        { "blackhole accepts and reads but never answers",
          test_blackhole_accepts_and_reads_but_never_answers },
        { "slow close delays the close after upstream closes",
          test_slow_close_delays_the_close_after_upstream_closes },
        { "an unreachable upstream resets the client",
          test_an_unreachable_upstream_resets_the_client },
        { "stop closes connections still open", test_stop_closes_connections_still_open },
        { "connections over the limit are refused with a reset",
          test_connections_over_the_limit_are_refused_with_a_reset },
        { "invalid toxics are rejected with a reason",
          test_invalid_toxics_are_rejected_with_a_reason },
        { "HTTP error fraction one answers every request with SlowDown",
          test_http_error_fraction_one_answers_every_request_with_slowdown },
        { "HTTP internal error can close the connection",
          test_http_internal_error_can_close_the_connection },
        { "HTTP error fraction zero forwards every request",
          test_http_error_fraction_zero_forwards_every_request },
        { "HTTP cut closes half way through a response",
          test_http_cut_closes_half_way_through_a_response },
        { "HTTP failures repeat with the same seed", test_http_failures_repeat_with_the_same_seed },
        { "HTTP errors switched off resume forwarding on the same connection",
          test_http_errors_switched_off_resume_forwarding_on_the_same_connection },
        { "HTTP garbage falls back to plain forwarding",
          test_http_garbage_falls_back_to_plain_forwarding },
        { NULL, NULL },
    };
    sb_test_add_suite("proxy", cases);
}
