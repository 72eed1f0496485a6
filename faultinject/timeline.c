/* timeline.c — see timeline.h. */
#include <assert.h>
#include "timeline.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "proxy.h"

#define MOCK_BROKERS 3

int sb_timeline_check(const sb_scenario_t *s, bool embedded_kafka, bool uses_s3, sb_err_t *err)
{
    for (int i = 0; i < s->faults_count; i++) {
        const sb_fault_t *f = &s->faults[i];
        bool process_fault = f->broker == SB_BROKER_PAUSE || f->broker == SB_BROKER_KILL;
        bool partition = f->kind == SB_FAULT_BROKER && f->broker == SB_BROKER_PARTITION;
        if (partition && embedded_kafka)
            return sb_err_set(err, "%s:%d: faults[%d]: the embedded Kafka has no network to cut: "
                              "use { broker: down, id: N }, or a real cluster in network "
                              "namespaces (engine: flink with kafka.brokers: 3, or --kafka with "
                              "SNAPBED_KAFKA_PARTITION and SNAPBED_KAFKA_HEAL)", s->path, f->line,
                              i);
        if (partition && (getenv("SNAPBED_KAFKA_PARTITION") == NULL ||
                          getenv("SNAPBED_KAFKA_HEAL") == NULL))
            return sb_err_set(err, "%s:%d: faults[%d]: cutting a real broker off needs the "
                              "commands that do it and undo it: set SNAPBED_KAFKA_PARTITION and "
                              "SNAPBED_KAFKA_HEAL (e.g. 'bash scripts/kafka.sh cluster partition "
                              "%%d --base-port B' and '… heal %%d …', for a cluster started with "
                              "--netns)", s->path, f->line, i);
        if (partition)
            continue;
        if (f->kind == SB_FAULT_BROKER && !embedded_kafka && !process_fault)
            return sb_err_set(err, "%s:%d: faults[%d]: this broker fault needs the embedded "
                              "Kafka; with --kafka only { broker: pause }, { broker: kill } and "
                              "{ broker: partition } work", s->path, f->line, i);
        if (f->kind == SB_FAULT_BROKER && !embedded_kafka && f->broker == SB_BROKER_KILL &&
            getenv("SNAPBED_KAFKA_RESTART") == NULL)
            return sb_err_set(err, "%s:%d: faults[%d]: killing a real broker needs a command "
                              "that restarts it on its data: set SNAPBED_KAFKA_RESTART (e.g. "
                              "'KAFKA_RESTART=1 bash scripts/kafka-start.sh 19092')", s->path,
                              f->line, i);
        if (f->kind == SB_FAULT_BROKER && !embedded_kafka && getenv("SNAPBED_KAFKA_PIDFILE") == NULL)
            return sb_err_set(err, "%s:%d: faults[%d]: pausing a real broker needs its pid: set "
                              "SNAPBED_KAFKA_PIDFILE (scripts/kafka.sh writes "
                              "/tmp/snapbed-kafka-PORT/kafka.pid)", s->path, f->line, i);
        if (f->kind == SB_FAULT_NETWORK && !f->network.kafka && !uses_s3)
            return sb_err_set(err, "%s:%d: faults[%d]: a network fault toward s3 needs an "
                              "s3:// sink or checkpoint store (--sink s3://…)", s->path,
                              f->line, i);
    }
    return 0;
}

void sb_timeline_init(sb_timeline_t *tl, const sb_scenario_t *s, sb_trace_t *trace,
                      sb_progress_t *progress, struct rd_kafka_mock_cluster_s *mock,
                      const char *topic, struct sb_proxy *s3_proxy)
{
    memset(tl, 0, sizeof *tl);
    tl->s = s;
    tl->trace = trace;
    tl->progress = progress;
    tl->mock = mock;
    tl->topic = topic;
    tl->s3_proxy = s3_proxy;
    pthread_mutex_init(&tl->broker_lock, NULL);
    pthread_cond_init(&tl->broker_cond, NULL);
}

static bool timed(const sb_fault_t *f)
{
    return f->kind != SB_FAULT_CRASH && f->trigger == SB_TRIGGER_AT_TIME;
}

static void trace_fault(sb_timeline_t *tl, const char *event, int i, const char *detail)
{
    const sb_fault_t *f = &tl->s->faults[i];
    sb_trace_emit(tl->trace, event,
                  json_pack("{s:i,s:s,s:s}", "fault", i, "kind", sb_fault_kind_name(f->kind),
                            "detail", detail));
}

static void set_throttle(sb_timeline_t *tl, const sb_fault_t *f, bool on)
{
    sb_throttle_t *th = &tl->progress->throttle[f->stage];
    atomic_store(&th->records_per_s, on ? f->records_per_s : 0);
    atomic_store(&th->bytes_per_s, on ? f->bytes_per_s : 0);
    atomic_store(&th->active, on ? 1 : 0);
}

static void broker_fault(sb_timeline_t *tl, const sb_fault_t *f, bool on, char *detail,
                         size_t len)
{
    rd_kafka_mock_cluster_t *mc = tl->mock;
    switch (f->broker) {
    case SB_BROKER_DOWN:
        if (on)
            rd_kafka_mock_broker_set_down(mc, f->broker_id);
        else
            rd_kafka_mock_broker_set_up(mc, f->broker_id);
        snprintf(detail, len, "broker %d %s", f->broker_id, on ? "down" : "up");
        break;
    case SB_BROKER_RTT:
        for (int b = 1; b <= MOCK_BROKERS; b++)
            rd_kafka_mock_broker_set_rtt(mc, b, on ? f->rtt_ms : 0);
        snprintf(detail, len, "every broker %d ms round trip", on ? f->rtt_ms : 0);
        break;
    case SB_BROKER_ERRORS:
        if (on)
            for (int k = 0; k < f->error_count; k++)
                rd_kafka_mock_push_request_errors(mc, (int16_t)f->request_api, 1,
                                                  (rd_kafka_resp_err_t)f->error_code);
        snprintf(detail, len, "%s %d requests of api %d fail with %s", on ? "next" : "done:",
                 f->error_count, f->request_api,
                 rd_kafka_err2name((rd_kafka_resp_err_t)f->error_code));
        break;
    case SB_BROKER_LEADER:
        if (on)
            rd_kafka_mock_partition_set_leader(mc, tl->topic, f->partition, f->broker_id);
        snprintf(detail, len, "leader of partition %d moved to broker %d", f->partition,
                 f->broker_id);
        break;
    case SB_BROKER_KILL:
        for (int b = 1; b <= MOCK_BROKERS; b++) {
            if (on)
                rd_kafka_mock_broker_set_down(mc, b);
            else
                rd_kafka_mock_broker_set_up(mc, b);
        }
        snprintf(detail, len, "every embedded broker %s", on ? "down" : "up again");
        break;
    case SB_BROKER_PAUSE:
        /* A hung broker, emulated: every answer as late as the pause lasts. */
        for (int b = 1; b <= MOCK_BROKERS; b++)
            rd_kafka_mock_broker_set_rtt(mc, b, on ? (int)(f->for_ns / SB_NS_PER_MS) : 0);
        snprintf(detail, len, "embedded brokers %s", on ? "hang" : "answer again");
        break;
    case SB_BROKER_PARTITION: /* refused by sb_timeline_check */
        snprintf(detail, len, "the embedded Kafka has no network to cut");
        break;
    }
}

/* Restarts a real broker without waiting for it: the command (a start
 * script that waits for the broker) runs in the background. */
/* An environment setting with its "%d" (if any) replaced by the broker
 * id; "" when it is unset or has another conversion. */
static void broker_setting(const char *name, int broker_id, char *out, size_t len)
{
    const char *v = getenv(name);
    out[0] = '\0';
    if (v == NULL)
        return;
    const char *pct = strchr(v, '%');
    if (pct == NULL) {
        snprintf(out, len, "%s", v);
        return;
    }
    if (pct[1] != 'd' || strchr(pct + 2, '%') != NULL)
        return;
    snprintf(out, len, "%.*s%d%s", (int)(pct - v), v, broker_id > 0 ? broker_id : 1, pct + 2);
}

/* Runs `sh -c cmd` with its output thrown away, in a session of its own
 * when asked (a restart outlives the fault); returns the child's pid, or
 * -1 when it cannot fork. */
static pid_t spawn_quiet(const char *cmd, bool own_session)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        if (own_session)
            setsid();
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void restart_real_broker(sb_timeline_t *tl, const sb_fault_t *f, char *detail,
                                size_t len)
{
    char cmd[1024];
    broker_setting("SNAPBED_KAFKA_RESTART", f->broker_id, cmd, sizeof cmd);
    pid_t pid = spawn_quiet(cmd, true);
    if (pid > 0)
        tl->restart_pid = pid;
    snprintf(detail, len, "%s: %s", pid > 0 ? "restarting the broker" : "cannot fork to restart",
             cmd);
}

/* Cuts a real broker off the network or connects it again, and waits:
 * the command only takes a link down or up (scripts/kafka.sh cluster
 * partition|heal), and the fault's window starts when it is done. */
static void partition_real_broker(const sb_fault_t *f, bool on, char *detail, size_t len)
{
    char cmd[1024];
    broker_setting(on ? "SNAPBED_KAFKA_PARTITION" : "SNAPBED_KAFKA_HEAL", f->broker_id, cmd,
                   sizeof cmd);
    int status = -1;
    pid_t pid = cmd[0] ? spawn_quiet(cmd, false) : -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok)
        snprintf(detail, len, "Kafka broker %d %s", f->broker_id,
                 on ? "cut off from the network" : "connected again");
    else
        snprintf(detail, len, "could not %s Kafka broker %d (%s: %s)",
                 on ? "cut off" : "connect again", f->broker_id,
                 on ? "SNAPBED_KAFKA_PARTITION" : "SNAPBED_KAFKA_HEAL",
                 cmd[0] ? cmd : "unset or not one %d");
}

/* A real broker: its process is stopped and continued, or killed and
 * restarted, or its network cut. */
static void real_broker_fault(sb_timeline_t *tl, const sb_fault_t *f, bool on, char *detail,
                              size_t len)
{
    char pidfile[1024];
    broker_setting("SNAPBED_KAFKA_PIDFILE", f->broker_id, pidfile, sizeof pidfile);
    FILE *pf = pidfile[0] ? fopen(pidfile, "r") : NULL;
    int pid = 0;
    if (pf != NULL) {
        if (fscanf(pf, "%d", &pid) != 1)
            pid = 0;
        fclose(pf);
    }
    if (f->broker == SB_BROKER_KILL && !on) {
        restart_real_broker(tl, f, detail, len);
        return;
    }
    if (f->broker == SB_BROKER_PARTITION) {
        partition_real_broker(f, on, detail, len);
        return;
    }
    int sig = f->broker == SB_BROKER_KILL ? SIGKILL : on ? SIGSTOP : SIGCONT;
    if (pid <= 0 || kill(pid, sig) != 0) {
        snprintf(detail, len, "could not signal the broker (pid file %s)",
                 pidfile[0] ? pidfile : "unset");
        return;
    }
    snprintf(detail, len, "Kafka broker %d, pid %d, %s", f->broker_id > 0 ? f->broker_id : 1, pid,
             sig == SIGKILL ? "killed (SIGKILL)" : on ? "stopped (SIGSTOP)"
                                                      : "continued (SIGCONT)");
}

void sb_timeline_set_kafka_proxies(sb_timeline_t *tl, struct sb_proxy **proxies, int count)
{
    tl->kafka_proxies_count = count < SB_TIMELINE_BROKERS_MAX ? count : SB_TIMELINE_BROKERS_MAX;
    for (int i = 0; i < tl->kafka_proxies_count; i++)
        tl->kafka_proxies[i] = proxies[i];
}

static void network_fault(sb_timeline_t *tl, const sb_fault_t *f, bool on, char *detail,
                          size_t len)
{
    sb_proxy_toxics_t t;
    memset(&t, 0, sizeof t);
    t.http = !f->network.kafka; /* toward S3 the proxy speaks HTTP */
    t.http_error_status = 503;
    if (on) {
        const sb_network_toxics_t *n = &f->network;
        sb_proxy_flow_toxics_t flow = { n->latency_ms, n->jitter_ms, n->bytes_per_s,
                                        n->reset_after_bytes, n->reset_probability };
        t.down = flow;
        t.up.latency_ms = n->latency_ms;
        t.up.jitter_ms = n->jitter_ms;
        t.up.bytes_per_s = n->bytes_per_s;
        t.blackhole = n->blackhole;
        t.slow_close_ms = n->slow_close_ms;
        t.http_error_fraction = n->http_error_fraction;
        t.http_error_status = n->http_error_status ? n->http_error_status : 503;
        t.http_cut_fraction = n->http_cut_fraction;
    }
    if (f->network.kafka) {
        t.http_error_fraction = t.http_cut_fraction = 0;
        sb_err_t err;
        int refused = 0;
        for (int i = 0; i < tl->kafka_proxies_count; i++)
            refused += sb_proxy_set_toxics(tl->kafka_proxies[i], &t, &err) != 0;
        snprintf(detail, len, "kafka proxies (%d): latency %d±%d ms, %lld B/s, reset p=%.2f, "
                 "blackhole %s%s", tl->kafka_proxies_count, t.down.latency_ms, t.down.jitter_ms,
                 (long long)t.down.bytes_per_s, t.down.reset_probability,
                 t.blackhole ? "on" : "off", refused ? " (refused by a proxy)" : "");
        return;
    }
    sb_err_t err;
    if (sb_proxy_set_toxics(tl->s3_proxy, &t, &err) != 0)
        snprintf(detail, len, "toxics refused: %s", err.msg);
    else
        snprintf(detail, len, "s3 proxy: latency %d±%d ms, %lld B/s, reset p=%.2f, "
                 "blackhole %s, http errors %.2f (%d), cut %.2f", t.down.latency_ms,
                 t.down.jitter_ms, (long long)t.down.bytes_per_s, t.down.reset_probability,
                 t.blackhole ? "on" : "off", t.http_error_fraction, t.http_error_status,
                 t.http_cut_fraction);
}

static void *broker_main(void *arg)
{
    sb_timeline_t *tl = arg;
    pthread_mutex_lock(&tl->broker_lock);
    for (;;) {
        while (tl->broker_ops_count == 0 && !tl->broker_quit)
            pthread_cond_wait(&tl->broker_cond, &tl->broker_lock);
        if (tl->broker_ops_count == 0)
            break;
        int i = tl->broker_ops[tl->broker_ops_head][0];
        bool on = tl->broker_ops[tl->broker_ops_head][1];
        tl->broker_ops_head = (tl->broker_ops_head + 1) % SB_TIMELINE_BROKER_OPS_MAX;
        tl->broker_ops_count--;
        tl->broker_busy = true;
        pthread_mutex_unlock(&tl->broker_lock);
        char detail[256] = "";
        broker_fault(tl, &tl->s->faults[i], on, detail, sizeof detail);
        trace_fault(tl, on ? "fault_started" : "fault_ended", i, detail);
        pthread_mutex_lock(&tl->broker_lock);
        tl->broker_busy = false;
        pthread_cond_broadcast(&tl->broker_cond);
    }
    pthread_mutex_unlock(&tl->broker_lock);
    return NULL;
}

static void broker_enqueue(sb_timeline_t *tl, int i, bool on)
{
    pthread_mutex_lock(&tl->broker_lock);
    if (!tl->broker_thread_started)
        tl->broker_thread_started =
            pthread_create(&tl->broker_thread, NULL, broker_main, tl) == 0;
    /* Bounded: a scenario has at most SB_SCENARIO_FAULTS_MAX faults, each
     * queued at most twice. */
    if (tl->broker_ops_count < SB_TIMELINE_BROKER_OPS_MAX) {
        int slot = (tl->broker_ops_head + tl->broker_ops_count) % SB_TIMELINE_BROKER_OPS_MAX;
        tl->broker_ops[slot][0] = i;
        tl->broker_ops[slot][1] = on;
        tl->broker_ops_count++;
        pthread_cond_broadcast(&tl->broker_cond);
    }
    pthread_mutex_unlock(&tl->broker_lock);
}

/* Waits for every queued broker change, then ends the broker thread. */
static void broker_drain(sb_timeline_t *tl)
{
    pthread_mutex_lock(&tl->broker_lock);
    tl->broker_quit = true;
    pthread_cond_broadcast(&tl->broker_cond);
    bool started = tl->broker_thread_started;
    tl->broker_thread_started = false;
    pthread_mutex_unlock(&tl->broker_lock);
    if (started)
        pthread_join(tl->broker_thread, NULL);
}

/* Turns fault i on or off. */
static void apply(sb_timeline_t *tl, int i, pid_t pid, bool on)
{
    const sb_fault_t *f = &tl->s->faults[i];
    char detail[256] = "";
    switch (f->kind) {
    case SB_FAULT_PAUSE: {
        if (on && tl->target_pid != NULL)
            pid = tl->target_pid(tl->target_ctx, i);
        pid_t shown = on ? pid : tl->paused_pid > 0 ? tl->paused_pid : pid;
        if (on && pid > 0 && kill(pid, SIGSTOP) == 0)
            tl->paused_pid = pid;
        if (!on && tl->paused_pid > 0) {
            kill(tl->paused_pid, SIGCONT);
            tl->paused_pid = 0;
        }
        const char *who = tl->target_pid == NULL ? "worker"
                          : f->target[0] != '\0' ? f->target : "taskmanager-0";
        snprintf(detail, sizeof detail, "%s pid %d %s", who, (int)shown,
                 on ? "stopped (SIGSTOP)" : "continued (SIGCONT)");
        break;
    }
    case SB_FAULT_THROTTLE:
        set_throttle(tl, f, on);
        if (f->records_per_s == 0 && f->bytes_per_s == 0)
            snprintf(detail, sizeof detail, "%s %s", sb_stage_kind_name(f->stage),
                     on ? "stalled" : "running again");
        else
            snprintf(detail, sizeof detail, "%s throttled to %lld records/s, %lld B/s%s",
                     sb_stage_kind_name(f->stage), (long long)f->records_per_s,
                     (long long)f->bytes_per_s, on ? "" : ": lifted");
        break;
    case SB_FAULT_BROKER:
        if (tl->mock != NULL) {
            broker_enqueue(tl, i, on); /* traced by the broker thread */
            return;
        }
        real_broker_fault(tl, f, on, detail, sizeof detail);
        break;
    case SB_FAULT_NETWORK:
        network_fault(tl, f, on, detail, sizeof detail);
        break;
    case SB_FAULT_CRASH_LOOP:
        tl->loop_kills_left[i] = on ? f->count : 0;
        snprintf(detail, sizeof detail, "%s: each of the next %d workers killed %lld ms after "
                 "it starts", on ? "armed" : "over", f->count,
                 (long long)(f->after_ns / SB_NS_PER_MS));
        break;
    case SB_FAULT_CRASH:
        return;
    default: /* the simulator's kinds: snapbed run refuses such a scenario */
        assert(!"a fault the real engine cannot inject");
        return;
    }
    trace_fault(tl, on ? "fault_started" : "fault_ended", i, detail);
}

int sb_timeline_tick(sb_timeline_t *tl, pid_t pid, int64_t elapsed_ns, int64_t now_ns)
{
    if (tl->restart_pid > 0 && waitpid(tl->restart_pid, NULL, WNOHANG) == tl->restart_pid)
        tl->restart_pid = 0;
    if (atomic_load(&tl->progress->ready) && tl->ready_pid != pid && tl->ready_pid != -pid) {
        tl->ready_pid = pid;
        tl->ready_ns = now_ns;
    }
    int due = -1;
    for (int i = 0; i < tl->s->faults_count; i++) {
        const sb_fault_t *f = &tl->s->faults[i];
        if (!timed(f))
            continue;
        if (!tl->started[i] && elapsed_ns >= f->at_ns) {
            tl->started[i] = true;
            apply(tl, i, pid, true);
        }
        if (tl->started[i] && !tl->ended[i] && f->for_ns > 0 &&
            elapsed_ns >= f->at_ns + f->for_ns) {
            tl->ended[i] = true;
            apply(tl, i, pid, false);
        }
        if (f->kind == SB_FAULT_CRASH_LOOP && tl->loop_kills_left[i] > 0 &&
            tl->ready_pid == pid && now_ns - tl->ready_ns >= f->after_ns && due < 0) {
            tl->loop_kills_left[i]--;
            tl->ready_pid = -pid; /* one kill per worker, however long it takes to die */
            due = i;
        }
    }
    return due;
}

void sb_timeline_worker_gone(sb_timeline_t *tl, pid_t pid)
{
    if (tl->paused_pid == pid)
        tl->paused_pid = 0;
}

void sb_timeline_finish(sb_timeline_t *tl)
{
    for (int i = 0; i < tl->s->faults_count; i++)
        if (timed(&tl->s->faults[i]) && tl->started[i] && !tl->ended[i]) {
            tl->ended[i] = true;
            apply(tl, i, 0, false);
        }
    broker_drain(tl); /* before the mock cluster goes */
    /* A broker restart still under way must end before the verdict reads
     * the topic back. */
    if (tl->restart_pid > 0)
        waitpid(tl->restart_pid, NULL, 0);
    tl->restart_pid = 0;
}

bool sb_timeline_fired(const sb_timeline_t *tl, int index)
{
    return tl->started[index];
}
