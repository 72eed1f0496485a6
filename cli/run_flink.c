/* run_flink.c — `snapbed run` of a scenario with `engine: flink`: the same
 * supervisor (cli/run.c) drives a real Apache Flink standalone cluster
 * instead of snapbed's worker (docs/flink.md).
 *
 * start:   the real Kafka (scripts/kafka.sh, one broker or the three-broker
 *          cluster) and the Flink cluster (scripts/flink.sh: a JobManager
 *          and N TaskManagers, each its own JVM), in parallel; or the
 *          running ones the command line and the scenario name.
 * run_job: builds the job jar once (scripts/flink.sh jar), uploads it and
 *          runs it over the REST API with the scenario's settings, then
 *          polls the job: kills a TaskManager (SIGKILL) at a time, at a
 *          seeded moment or when Flink reports checkpoint N completed, and
 *          starts it again after the restart delay, as a process supervisor
 *          would; pauses and broker faults go through the fault timeline.
 *          When the bounded input is read and committed the job FINISHES;
 *          then Flink's checkpoint statistics are saved (flink/rest.json)
 *          and written into the trace.
 * stop:    everything start started, on every path.
 *
 * The verdict is the one of snapbed's own runs, on the sink folder, with
 * Flink's FileSink naming (verify/verdict.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli_fs.h"
#include "flink_args.h"
#include "flink_rest.h"
#include "flink_stats.h"
#include "input.h"
#include "scenario.h"
#include "supervisor.h"
#include "timeline.h"
#include "trace.h"
#include "vocab.h"

#define POLL_EVERY_NS (100 * SB_NS_PER_MS)
#define CHECKPOINTS_EVERY_NS (300 * SB_NS_PER_MS)
#define FLINK_PROGRESS_EVERY_NS (1 * SB_NS_PER_S)
#define FLINK_STALL_TIMEOUT_NS (180 * SB_NS_PER_S)  /* no state change, no checkpoint */
#define HISTORY_MAX 5000                       /* checkpoints whose details are read */
#define ENTRY_CLASS "snapbed.flink.SnapbedJob"
#define PORTS_FLINK 50                         /* P .. P+49: what scripts/flink.sh derives */
#define PORTS_KAFKA_ONE 2                      /* PORT, PORT+1 (its controller) */
#define PORTS_KAFKA_CLUSTER 6                  /* B .. B+5 */

typedef struct script_run {
    pid_t pid;
    int out_fd;                /* its stdout; its stderr goes to services.log */
    char what[64];
} script_run_t;

typedef struct sb_flink_run {
    char scripts[PATH_MAX];    /* scripts/ of this snapbed */
    char log[PATH_MAX];        /* RUN_DIR/services.log */
    char state_dir[PATH_MAX];  /* FLINK_DIR of the cluster snapbed started */
    char kafka_dir[PATH_MAX];  /* KAFKA_DIR (KAFKA_CLUSTER_DIR) of its Kafka */
    char address[64];          /* REST HOST:PORT */
    int rest_port;
    bool cluster_started, kafka_started;
    int kafka_port;            /* the Kafka snapbed started: its first port */
    char jar[PATH_MAX];
    sb_flink_rest_t rest;
    char job_id[SB_FLINK_JOB_ID_BYTES];
    int64_t t0_epoch_ms;       /* what t_ns = 0 (CLOCK_MONOTONIC) is in epoch ms */
    int64_t completed;         /* checkpoints Flink reports completed */
    int64_t latest_completed_id;
    char state[32];            /* the job's state, as Flink names it */
    int64_t last_change_ns;
    int64_t running_ns;        /* when every task of the job first ran: the
                                  faults' times count from here, as a real
                                  run's count from its worker's start */
    bool all_running;          /* at the last poll */
    int64_t recovering_ns;     /* a kill's failover not seen over yet (0: none) */
    bool went_down;            /* ... and the job was seen not running since */
    pid_t tm_restart[SB_FLINK_TASKMANAGERS_MAX]; /* start-taskmanager running */
    int64_t tm_due_ns[SB_FLINK_TASKMANAGERS_MAX]; /* when to start one; 0: none */
    int kill_target[256];      /* per planned kill: the TaskManager */
    json_t *restores;          /* every latest.restored seen while polling */
} sb_flink_run_t;

/* ---------------------------------------------------------- scripts */

/* scripts/ next to the binary's folder (build/snapbed -> scripts/), or
 * SNAPBED_SCRIPTS. */
static int find_scripts(sb_flink_run_t *f, sb_err_t *err)
{
    const char *env = getenv("SNAPBED_SCRIPTS");
    if (env != NULL && env[0] != '\0') {
        snprintf(f->scripts, sizeof f->scripts, "%s", env);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return sb_err_errno(err, errno, "cannot find this program's path (/proc/self/exe)");
        exe[n] = '\0';
        snprintf(f->scripts, sizeof f->scripts, "%s/../scripts", dirname(exe));
    }
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/flink.sh", f->scripts);
    if (access(probe, R_OK) != 0)
        return sb_err_set(err, "engine: flink needs snapbed's scripts (flink.sh, kafka.sh): "
                          "not found in %s; set SNAPBED_SCRIPTS to the scripts folder",
                          f->scripts);
    return 0;
}

/* Starts `bash SCRIPT args...` with stdout on a pipe and stderr appended to
 * services.log; env: NAME=VALUE pairs added (NULL-terminated, may be NULL). */
static int script_spawn(sb_flink_run_t *f, script_run_t *r, const char *what,
                        const char *const *env, const char *const *argv, sb_err_t *err)
{
    int fds[2];
    /* close-on-exec: a daemon the script starts must not inherit the pipe,
     * or its reader would wait for the daemon's end */
    if (pipe2(fds, O_CLOEXEC) != 0)
        return sb_err_errno(err, errno, "%s: cannot make a pipe", what);
    int logfd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        close(fds[0]);
        close(fds[1]);
        return sb_err_errno(err, errno, "cannot open %s", f->log);
    }
    dprintf(logfd, "\n=== %s:", what);
    for (int i = 0; argv[i] != NULL; i++)
        dprintf(logfd, " %s", argv[i]);
    dprintf(logfd, "\n");
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        close(logfd);
        return sb_err_errno(err, e, "%s: cannot fork", what);
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        for (int i = 0; env != NULL && env[i] != NULL; i++)
            putenv((char *)env[i]);
        char script[PATH_MAX + 32];
        snprintf(script, sizeof script, "%s/%s", f->scripts, argv[0]);
        const char *args[32] = { "bash", script };
        int n = 2;
        for (int i = 1; argv[i] != NULL && n < 31; i++)
            args[n++] = argv[i];
        args[n] = NULL;
        execvp("bash", (char *const *)args);
        _exit(127);
    }
    close(fds[1]);
    close(logfd);
    r->pid = pid;
    r->out_fd = fds[0];
    snprintf(r->what, sizeof r->what, "%s", what);
    return 0;
}

/* Waits for a script; `last` gets the last non-empty line of its stdout.
 * A failure names the script and quotes services.log's last line. */
static int script_wait(sb_flink_run_t *f, script_run_t *r, char *last, size_t len,
                       sb_err_t *err)
{
    char buf[8192];
    size_t used = 0;
    ssize_t n;
    while ((n = read(r->out_fd, buf + used, sizeof buf - 1 - used)) > 0 ||
           (n < 0 && errno == EINTR)) {
        if (n < 0)
            continue;
        used += (size_t)n;
        if (used == sizeof buf - 1) { /* keep the tail: the last line is what counts */
            memmove(buf, buf + sizeof buf / 2, used - sizeof buf / 2);
            used -= sizeof buf / 2;
        }
    }
    close(r->out_fd);
    buf[used] = '\0';
    int status = 0;
    while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
        ;
    while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
        buf[--used] = '\0';
    char *line = strrchr(buf, '\n');
    if (last != NULL)
        snprintf(last, len, "%s", line != NULL ? line + 1 : buf);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    /* the script's own sentence is the last line it wrote to stderr */
    char tail[400] = "";
    FILE *lf = fopen(f->log, "r");
    if (lf != NULL) {
        char l[400];
        while (fgets(l, sizeof l, lf) != NULL)
            if (l[0] != '\n')
                snprintf(tail, sizeof tail, "%s", l);
        fclose(lf);
        tail[strcspn(tail, "\n")] = '\0';
    }
    return sb_err_set(err, "%s failed (%s %d)%s%s; see %s", r->what,
                      WIFEXITED(status) ? "exit" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                      tail[0] ? ": " : "", tail, f->log);
}

static int script_run(sb_flink_run_t *f, const char *what, const char *const *env,
                      const char *const *argv, char *last, size_t len, sb_err_t *err)
{
    script_run_t r;
    if (script_spawn(f, &r, what, env, argv, err) != 0)
        return -1;
    return script_wait(f, &r, last, len, err);
}

/* ------------------------------------------------------------ ports */

static bool port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* `count` consecutive free loopback ports from a seeded start, so that two
 * runs at once (suites with --jobs) do not meet. */
static int free_ports(int count, int salt, sb_err_t *err)
{
    uint64_t x = (uint64_t)getpid() * 2654435761u ^ (uint64_t)sb_clock_now_ns() ^ (uint64_t)salt;
    for (int attempt = 0; attempt < 200; attempt++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int base = 20000 + (int)((x >> 33) % 600) * 64;
        bool all = true;
        for (int i = 0; i < count && all; i++)
            all = port_free(base + i);
        if (all)
            return base;
    }
    return sb_err_set(err, "no %d free consecutive ports on 127.0.0.1 between 20000 and "
                      "52000", count);
}

/* ---------------------------------------------------------- start/stop */

/* flink.job.jar: absolute, or relative to the scenario's folder. */
static void user_jar_path(const sb_scenario_t *s, char *out, size_t len)
{
    if (s->flink.job_jar[0] == '/') {
        snprintf(out, len, "%s", s->flink.job_jar);
        return;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", s->path);
    snprintf(out, len, "%s/%s", dirname(dir), s->flink.job_jar);
}

static int check_netns(const sb_scenario_t *s, sb_err_t *err);

int sb_flink_preflight(const sb_scenario_t *s, const char *kafka, sb_err_t *err)
{
    /* With --kafka, the fault timeline asks for the commands instead. */
    if (kafka == NULL && check_netns(s, err) != 0)
        return -1;
    if (s->flink.job_jar[0] == '\0')
        return 0;
    char jar[PATH_MAX];
    user_jar_path(s, jar, sizeof jar);
    if (access(jar, R_OK) != 0)
        return sb_err_errno(err, errno, "%s:%d: flink.job.jar: cannot read %s", s->path,
                            s->flink.line, jar);
    return 0;
}

/* A partition needs the three brokers in network namespaces, which only
 * root can make (scripts/kafka.sh cluster --netns). */
static bool wants_partition(const sb_scenario_t *s)
{
    for (int i = 0; i < s->faults_count; i++)
        if (s->faults[i].kind == SB_FAULT_BROKER && s->faults[i].broker == SB_BROKER_PARTITION)
            return true;
    return false;
}

static int check_netns(const sb_scenario_t *s, sb_err_t *err)
{
    if (!wants_partition(s))
        return 0;
    if (geteuid() != 0)
        return sb_err_set(err, "%s: a { broker: partition } fault puts each broker in its own "
                          "network namespace, which needs root (euid %d)", s->path,
                          (int)geteuid());
    if (system("ip netns list >/dev/null 2>&1") != 0)
        return sb_err_set(err, "%s: a { broker: partition } fault needs 'ip netns' (Debian's "
                          "iproute2), which failed here", s->path);
    return 0;
}

/* The broker faults of the fault timeline find the Kafka snapbed started
 * through these (faultinject/timeline.h): its pid files, the command that
 * restarts a broker on its data, and those that cut it off the network and
 * connect it again, "%d" standing for the broker id. */
static void kafka_env(const supervisor_t *sv, char *pidfile, size_t plen, char *restart,
                      size_t rlen, char *cut, char *heal, size_t clen)
{
    const sb_flink_run_t *f = sv->flink;
    cut[0] = heal[0] = '\0';
    if (sv->s->kafka_brokers == 3) {
        snprintf(pidfile, plen, "SNAPBED_KAFKA_PIDFILE=%s/node-%%d/kafka.pid", f->kafka_dir);
        snprintf(restart, rlen, "SNAPBED_KAFKA_RESTART=KAFKA_CLUSTER_DIR='%s' bash '%s/kafka.sh' "
                 "cluster restart %%d --base-port %d >/dev/null 2>&1", f->kafka_dir, f->scripts,
                 f->kafka_port);
        snprintf(cut, clen, "SNAPBED_KAFKA_PARTITION=KAFKA_CLUSTER_DIR='%s' bash '%s/kafka.sh' "
                 "cluster partition %%d --base-port %d", f->kafka_dir, f->scripts, f->kafka_port);
        snprintf(heal, clen, "SNAPBED_KAFKA_HEAL=KAFKA_CLUSTER_DIR='%s' bash '%s/kafka.sh' "
                 "cluster heal %%d --base-port %d", f->kafka_dir, f->scripts, f->kafka_port);
    } else {
        snprintf(pidfile, plen, "SNAPBED_KAFKA_PIDFILE=%s/kafka.pid", f->kafka_dir);
        snprintf(restart, rlen, "SNAPBED_KAFKA_RESTART=KAFKA_RESTART=1 KAFKA_DIR='%s' bash "
                 "'%s/kafka-start.sh' %d >/dev/null 2>&1", f->kafka_dir, f->scripts,
                 f->kafka_port);
    }
}

/* The Kafka snapbed starts keeps its state (data, logs, pid files) in the
 * run folder, as the Flink cluster does: nothing of a run lies elsewhere,
 * and a test can tell its processes by the folder in their command line. */
static const char *const *kafka_dir_env(supervisor_t *sv)
{
    sb_flink_run_t *f = sv->flink;
    static char env[PATH_MAX + 32];
    static const char *list[2];
    snprintf(f->kafka_dir, sizeof f->kafka_dir, "%s/kafka", sv->run_dir);
    snprintf(env, sizeof env, "%s=%s", sv->s->kafka_brokers == 3 ? "KAFKA_CLUSTER_DIR" : "KAFKA_DIR",
             f->kafka_dir);
    list[0] = env;
    list[1] = NULL;
    return list;
}

int sb_flink_start(supervisor_t *sv, sb_err_t *err)
{
    sb_flink_run_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return sb_err_set(err, "out of memory");
    sv->flink = f;
    f->restores = json_array();
    const sb_scenario_t *s = sv->s;
    snprintf(f->log, sizeof f->log, "%s/services.log", sv->run_dir);
    if (find_scripts(f, err) != 0)
        return -1;
    script_run_t kafka = { .pid = 0 }, cluster = { .pid = 0 }, jar = { .pid = 0 };
    char port[16], tms[16], slots[16], base[16];
    int rc = 0;
    bool quiet = sv->o->quiet;
    if (sv->kafka[0] == '\0') {
        int brokers = s->kafka_brokers;
        f->kafka_port = free_ports(brokers == 3 ? PORTS_KAFKA_CLUSTER : PORTS_KAFKA_ONE, 1, err);
        if (f->kafka_port < 0)
            return -1;
        snprintf(base, sizeof base, "%d", f->kafka_port);
        if (!quiet)
            fprintf(stderr, "starting Kafka: %s, %s %d (scripts/kafka.sh)\n",
                    brokers == 3 ? "three brokers, replication factor 3, min.insync.replicas 2"
                                 : "one broker",
                    wants_partition(s) ? "each in its own network namespace, base port"
                                       : "on 127.0.0.1, port", f->kafka_port);
        const char *one[] = { "kafka.sh", "start", base, NULL };
        const char *three[] = { "kafka.sh", "cluster", "start", "--base-port", base,
                                wants_partition(s) ? "--netns" : NULL, NULL };
        rc = script_spawn(f, &kafka, "starting Kafka", kafka_dir_env(sv), brokers == 3 ? three : one,
                          err);
        f->kafka_started = rc == 0;
    }
    if (rc == 0 && s->flink.address[0] == '\0') {
        f->rest_port = free_ports(PORTS_FLINK, 2, err);
        if (f->rest_port < 0)
            rc = -1;
    }
    if (rc == 0 && s->flink.address[0] == '\0') {
        snprintf(port, sizeof port, "%d", f->rest_port);
        snprintf(tms, sizeof tms, "%d", s->flink.taskmanagers);
        snprintf(slots, sizeof slots, "%d", s->flink.slots);
        snprintf(f->state_dir, sizeof f->state_dir, "%s/flink", sv->run_dir);
        static char dir_env[PATH_MAX + 16];
        snprintf(dir_env, sizeof dir_env, "FLINK_DIR=%s", f->state_dir);
        const char *env[] = { dir_env, NULL };
        const char *argv[] = { "flink.sh", "start", "--taskmanagers", tms, "--slots", slots,
                               "--rest-port", port, NULL };
        if (!quiet)
            fprintf(stderr, "starting Flink: a JobManager and %d TaskManager%s (%d slot%s each) "
                    "on 127.0.0.1:%d (scripts/flink.sh; logs in %s)\n", s->flink.taskmanagers,
                    s->flink.taskmanagers == 1 ? "" : "s", s->flink.slots,
                    s->flink.slots == 1 ? "" : "s", f->rest_port, f->state_dir);
        rc = script_spawn(f, &cluster, "starting the Flink cluster", env, argv, err);
        f->cluster_started = rc == 0;
    }
    if (rc == 0 && s->flink.job_jar[0] != '\0') {
        user_jar_path(s, f->jar, sizeof f->jar);
    } else if (rc == 0) {
        const char *argv[] = { "flink.sh", "jar", NULL };
        rc = script_spawn(f, &jar, "building the Flink job jar", NULL, argv, err);
    }
    /* Wait for all three even after one failed: nothing may outlive us. */
    char line[512];
    sb_err_t later = { { 0 } };
    if (kafka.pid > 0) {
        int k = script_wait(f, &kafka, line, sizeof line, rc == 0 ? err : &later);
        if (k == 0)
            snprintf(sv->kafka, sizeof sv->kafka, "%s", line);
        rc = rc != 0 ? rc : k;
    }
    if (cluster.pid > 0) {
        int k = script_wait(f, &cluster, line, sizeof line, rc == 0 ? err : &later);
        if (k == 0)
            snprintf(f->address, sizeof f->address, "%s", line);
        rc = rc != 0 ? rc : k;
    }
    if (jar.pid > 0) {
        int k = script_wait(f, &jar, f->jar, sizeof f->jar, rc == 0 ? err : &later);
        rc = rc != 0 ? rc : k;
    }
    if (rc != 0)
        return -1;
    if (s->flink.address[0] != '\0')
        snprintf(f->address, sizeof f->address, "%s", s->flink.address);
    if (f->kafka_started) {
        static char pidfile[PATH_MAX], restart[PATH_MAX * 2], cut[PATH_MAX * 2],
            heal[PATH_MAX * 2];
        kafka_env(sv, pidfile, sizeof pidfile, restart, sizeof restart, cut, heal, sizeof cut);
        putenv(pidfile);
        putenv(restart);
        if (cut[0] != '\0') {
            putenv(cut);
            putenv(heal);
        }
    }
    if (sb_flink_rest_init(&f->rest, f->address, err) != 0)
        return -1;
    json_t *overview = NULL;
    if (sb_flink_rest_get(&f->rest, "/overview", &overview, NULL, err) != 0)
        return sb_err_wrap(err, "cannot reach Flink's REST API at %s", f->address);
    if (!quiet)
        fprintf(stderr, "Flink %s at %s: %d TaskManager%s, %d slots; Kafka at %s\n",
                json_string_value(json_object_get(overview, "flink-version"))
                    ? json_string_value(json_object_get(overview, "flink-version")) : "?",
                f->address, (int)json_integer_value(json_object_get(overview, "taskmanagers")),
                json_integer_value(json_object_get(overview, "taskmanagers")) == 1 ? "" : "s",
                (int)json_integer_value(json_object_get(overview, "slots-total")), sv->kafka);
    json_decref(overview);
    return 0;
}

void sb_flink_stop(supervisor_t *sv)
{
    sb_flink_run_t *f = sv->flink;
    if (f == NULL)
        return;
    sb_err_t err = { { 0 } };
    for (int i = 0; i < SB_FLINK_TASKMANAGERS_MAX; i++)
        if (f->tm_restart[i] > 0) {
            waitpid(f->tm_restart[i], NULL, 0);
            f->tm_restart[i] = 0;
        }
    if (f->cluster_started) {
        char port[16];
        snprintf(port, sizeof port, "%d", f->rest_port);
        static char dir_env[PATH_MAX + 16];
        snprintf(dir_env, sizeof dir_env, "FLINK_DIR=%s", f->state_dir);
        const char *env[] = { dir_env, NULL };
        const char *argv[] = { "flink.sh", "stop", "--rest-port", port, NULL };
        if (script_run(f, "stopping the Flink cluster", env, argv, NULL, 0, &err) != 0)
            fprintf(stderr, "snapbed run: %s\n", err.msg);
        f->cluster_started = false;
    }
    if (f->kafka_started) {
        char base[16];
        snprintf(base, sizeof base, "%d", f->kafka_port);
        const char *one[] = { "kafka.sh", "stop", base, NULL };
        const char *three[] = { "kafka.sh", "cluster", "stop", "--base-port", base, NULL };
        if (script_run(f, "stopping Kafka", kafka_dir_env(sv),
                       sv->s->kafka_brokers == 3 ? three : one, NULL, 0, &err) != 0)
            fprintf(stderr, "snapbed run: %s\n", err.msg);
        f->kafka_started = false;
    }
    json_decref(f->restores);
    free(f);
    sv->flink = NULL;
}

/* ------------------------------------------------------------- the job */

static void add_arg(json_t *args, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_arg(json_t *args, const char *key, const char *fmt, ...)
{
    char v[PATH_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    json_array_append_new(args, json_string(key));
    json_array_append_new(args, json_string(v));
}

/* A file:// URI of the scenario as an absolute folder (relative ones live
 * in the run folder). */
static void local_dir(const supervisor_t *sv, const char *uri, char *out, size_t len)
{
    const char *rest = strncmp(uri, "file://", 7) == 0 ? uri + 7 : uri;
    if (rest[0] == '/')
        snprintf(out, len, "%s", rest);
    else
        snprintf(out, len, "%s/%s", sv->run_dir, rest);
}

/* A user's job (flink.job): its own arguments, placeholders expanded. */
static json_t *user_job_args(const supervisor_t *sv, const char *out, const char *cps,
                             sb_err_t *err)
{
    const sb_scenario_t *s = sv->s;
    char parallelism[16], interval[32], rate[32], checkpoints[PATH_MAX + 8];
    snprintf(parallelism, sizeof parallelism, "%d", s->source.parallelism);
    snprintf(interval, sizeof interval, "%" PRId64,
             (int64_t)(s->checkpoint_interval_ns / SB_NS_PER_MS));
    snprintf(rate, sizeof rate, "%" PRId64, s->source_records_per_s);
    snprintf(checkpoints, sizeof checkpoints, "file://%s", cps);
    const char *values[SB_FLINK_ARG_COUNT_] = {
        [SB_FLINK_ARG_BOOTSTRAP] = sv->input.bootstrap,
        [SB_FLINK_ARG_TOPIC] = sv->input.topic,
        [SB_FLINK_ARG_OUT] = out,
        [SB_FLINK_ARG_CHECKPOINTS] = checkpoints,
        [SB_FLINK_ARG_PARALLELISM] = parallelism,
        [SB_FLINK_ARG_CHECKPOINT_INTERVAL_MS] = interval,
        [SB_FLINK_ARG_CHECKPOINT_MODE] = sb_mode_name(s->mode),
        [SB_FLINK_ARG_RECORDS_PER_S] = rate,
        [SB_FLINK_ARG_JOB_NAME] = sv->run_id,
    };
    json_t *a = json_array();
    for (int i = 0; i < s->flink.job_args_count; i++) {
        char v[4096];
        if (sb_flink_arg_expand(s->flink.job_args[i], values, v, sizeof v) != 0) {
            json_decref(a);
            sb_err_set(err, "flink.job.args[%d] is longer than %zu bytes once expanded", i,
                       sizeof v - 1);
            return NULL;
        }
        json_array_append_new(a, json_string(v));
    }
    return a;
}

/* The scenario's keys as the job's arguments (docs/flink.md), or a user's
 * job's own. */
static json_t *job_args(const supervisor_t *sv, sb_err_t *err)
{
    const sb_scenario_t *s = sv->s;
    char out[PATH_MAX], cps[PATH_MAX];
    local_dir(sv, sv->sink_uri, out, sizeof out);
    local_dir(sv, sv->checkpoints_uri, cps, sizeof cps);
    if (s->flink.job_jar[0] != '\0')
        return user_job_args(sv, out, cps, err);
    json_t *a = json_array();
    add_arg(a, "--bootstrap", "%s", sv->input.bootstrap);
    add_arg(a, "--topic", "%s", sv->input.topic);
    add_arg(a, "--out", "%s", out);
    add_arg(a, "--parallelism", "%d", s->source.parallelism);
    add_arg(a, "--job-name", "%s", sv->run_id);
    add_arg(a, "--checkpoint-interval-ms", "%" PRId64, (int64_t)(s->checkpoint_interval_ns / SB_NS_PER_MS));
    add_arg(a, "--checkpoint-mode", "%s", sb_mode_name(s->mode));
    add_arg(a, "--checkpoint-timeout-ms", "%" PRId64, (int64_t)(s->checkpoint_timeout_ns / SB_NS_PER_MS));
    add_arg(a, "--max-concurrent", "%d", s->max_concurrent_checkpoints);
    add_arg(a, "--min-pause-ms", "%" PRId64, (int64_t)(s->min_pause_ns / SB_NS_PER_MS));
    add_arg(a, "--tolerable-failed", "%d", s->tolerable_failed_checkpoints);
    add_arg(a, "--unaligned", "%s", s->unaligned ? "true" : "false");
    add_arg(a, "--aligned-timeout-ms", "%" PRId64,
            (int64_t)(s->aligned_checkpoint_timeout_ns / SB_NS_PER_MS));
    add_arg(a, "--checkpoints-dir", "file://%s", cps);
    add_arg(a, "--num-retained", "%d", s->num_retained);
    add_arg(a, "--restart-attempts", "%d", s->restart_attempts);
    add_arg(a, "--restart-delay-ms", "%" PRId64, (int64_t)(s->restart_delay_ns / SB_NS_PER_MS));
    add_arg(a, "--map", "%s", s->map_fn == SB_MAP_IDENTITY ? "identity" : "uppercase");
    add_arg(a, "--filter-prefix", "%s", s->filter_prefix);
    add_arg(a, "--records-per-s", "%" PRId64, s->source_records_per_s);
    add_arg(a, "--sink", "%s", sb_flink_sink_name(s->flink.sink));
    return a;
}

static pid_t read_pid(const char *path)
{
    FILE *fp = fopen(path, "r");
    int pid = 0;
    if (fp != NULL) {
        if (fscanf(fp, "%d", &pid) != 1)
            pid = 0;
        fclose(fp);
    }
    return pid > 1 ? (pid_t)pid : 0;
}

static pid_t taskmanager_pid(const sb_flink_run_t *f, int tm)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/taskmanager-%d.pid", f->state_dir, tm);
    return read_pid(path);
}

static pid_t jobmanager_pid(const sb_flink_run_t *f)
{
    if (f->state_dir[0] == '\0')
        return 0; /* a cluster given by flink.address: not ours */
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/jobmanager.pid", f->state_dir);
    return read_pid(path);
}

static int target_index(const sb_fault_t *fault)
{
    if (strncmp(fault->target, "taskmanager-", 12) == 0)
        return atoi(fault->target + 12);
    return 0;
}

/* The timeline's pause target: the fault's TaskManager, or the JobManager
 * (a pause is the one fault it takes: the scenario parser refuses a kill). */
static pid_t pause_target(void *ctx, int fault)
{
    supervisor_t *sv = ctx;
    const sb_fault_t *f = &sv->s->faults[fault];
    if (strcmp(f->target, "jobmanager") == 0)
        return jobmanager_pid(sv->flink);
    return taskmanager_pid(sv->flink, target_index(f));
}

/* The supervisor planned the kills (sb_sv_plan_kills): random ones fall
 * at shares of the input, which on Flink become times (the paced input's
 * length); crash points become "when checkpoint N completed". */
static int plan(supervisor_t *sv, sb_err_t *err)
{
    sb_flink_run_t *f = sv->flink;
    const sb_scenario_t *s = sv->s;
    uint64_t rng = s->seed ^ 0x746d6b696c6cULL; /* which TaskManager: its own stream */
    double length_ns = s->source_records_per_s > 0
                           ? (double)sv->records_total / (double)s->source_records_per_s * 1e9
                           : 0;
    for (int i = 0; i < sv->kills_count && i < (int)(sizeof f->kill_target / sizeof f->kill_target[0]); i++) {
        kill_plan_t *k = &sv->kills[i];
        const sb_fault_t *fault = &s->faults[k->fault];
        f->kill_target[i] = fault->target[0] != '\0' ? target_index(fault)
                            : fault->trigger == SB_TRIGGER_RANDOM
                                ? (int)(sb_input_mix(&rng) % (uint64_t)s->flink.taskmanagers)
                                : 0;
        if (k->by_progress) {
            if (length_ns <= 0)
                return sb_err_set(err, "%s:%d: random kills on engine: flink need "
                                  "pipeline.source.records_per_s: the run's length places them",
                                  s->path, fault->line);
            k->by_progress = false;
            k->at_ns = (int64_t)(k->fraction * length_ns);
        }
    }
    /* crash points: `coordinator.after_complete` of checkpoint N */
    for (int i = 0; i < s->faults_count && sv->kills_count < (int)(sizeof sv->kills / sizeof sv->kills[0]); i++) {
        const sb_fault_t *fault = &s->faults[i];
        if (fault->kind != SB_FAULT_CRASH || fault->trigger != SB_TRIGGER_CRASH_POINT)
            continue;
        f->kill_target[sv->kills_count] = target_index(fault);
        sv->kills[sv->kills_count++] = (kill_plan_t){ .fault = i, .at_ns = -fault->checkpoint_id };
    }
    return 0;
}

/* One kill per incarnation, as on snapbed's engine: after a kill the next
 * waits until Flink has noticed it (some task not running) and every task
 * runs again, or RECOVERY_WAIT_NS if the kill hit a TaskManager without
 * tasks and nothing failed. */
#define RECOVERY_WAIT_NS (30 * SB_NS_PER_S)
static void note_recovery(sb_flink_run_t *f, int64_t now_ns)
{
    if (f->recovering_ns == 0)
        return;
    if (!f->all_running)
        f->went_down = true;
    else if (f->went_down || now_ns - f->recovering_ns > RECOVERY_WAIT_NS)
        f->recovering_ns = 0;
}

/* Whether kill k is due: a time since submission, or (at_ns < 0) Flink's
 * report that checkpoint -at_ns completed. */
static bool kill_due(const supervisor_t *sv, const kill_plan_t *k, int64_t elapsed_ns)
{
    if (k->at_ns < 0)
        return sv->flink->latest_completed_id >= -k->at_ns;
    return elapsed_ns >= k->at_ns;
}

static void start_taskmanager(supervisor_t *sv, int tm)
{
    sb_flink_run_t *f = sv->flink;
    if (f->tm_restart[tm] > 0)
        return;
    char index[16], port[16];
    snprintf(index, sizeof index, "%d", tm);
    snprintf(port, sizeof port, "%d", f->rest_port);
    static char dir_env[PATH_MAX + 16];
    snprintf(dir_env, sizeof dir_env, "FLINK_DIR=%s", f->state_dir);
    const char *env[] = { dir_env, NULL };
    const char *argv[] = { "flink.sh", "start-taskmanager", index, "--rest-port", port, NULL };
    script_run_t r;
    sb_err_t err = { { 0 } };
    if (script_spawn(f, &r, "starting a TaskManager", env, argv, &err) != 0) {
        fprintf(stderr, "snapbed run: %s\n", err.msg);
        return;
    }
    close(r.out_fd); /* its output is not needed: the JobManager counts it */
    f->tm_restart[tm] = r.pid;
    sb_trace_emit(&sv->trace, "fault_ended",
                  json_pack("{s:s,s:i}", "what", "taskmanager restarted", "taskmanager", tm));
}

static int fire_kill(supervisor_t *sv, int i)
{
    sb_flink_run_t *f = sv->flink;
    kill_plan_t *k = &sv->kills[i];
    int tm = f->kill_target[i];
    pid_t pid = taskmanager_pid(f, tm);
    k->fired = true;
    if (pid <= 0 || kill(pid, SIGKILL) != 0) {
        sb_trace_emit(&sv->trace, "fault_fired",
                      json_pack("{s:i,s:s,s:i}", "fault", k->fault, "detail",
                                "no TaskManager process to kill", "taskmanager", tm));
        return 0;
    }
    sv->kills_sent++;
    sv->crashes++;
    char target[32];
    snprintf(target, sizeof target, "taskmanager-%d", tm);
    sb_trace_emit(&sv->trace, "crash",
                  json_pack("{s:i,s:i,s:s,s:b,s:i,s:s,s:i,s:I}", "attempt", sv->crashes,
                            "signal", SIGKILL, "signal_name", strsignal(SIGKILL), "injected", 1,
                            "fault", k->fault, "target", target, "pid", (int)pid, "checkpoints",
                            (json_int_t)f->completed));
    if (!sv->o->quiet)
        fprintf(stderr, "killed %s (pid %d, SIGKILL) after %" PRId64 " completed checkpoint%s\n",
                target, (int)pid, f->completed, f->completed == 1 ? "" : "s");
    waitpid(pid, NULL, WNOHANG);
    /* A process supervisor brings the TaskManager back; Flink's restart
     * strategy decides when the job runs again. */
    f->tm_due_ns[tm] = sb_clock_now_ns() + sv->s->restart_delay_ns + 1;
    f->recovering_ns = sb_clock_now_ns();
    f->went_down = false;
    return 0;
}

static void reap_restarts(supervisor_t *sv, int64_t now_ns)
{
    sb_flink_run_t *f = sv->flink;
    for (int tm = 0; tm < SB_FLINK_TASKMANAGERS_MAX; tm++) {
        if (f->tm_restart[tm] > 0 && waitpid(f->tm_restart[tm], NULL, WNOHANG) == f->tm_restart[tm])
            f->tm_restart[tm] = 0;
        if (f->tm_due_ns[tm] != 0 && now_ns >= f->tm_due_ns[tm] && f->tm_restart[tm] == 0) {
            f->tm_due_ns[tm] = 0;
            start_taskmanager(sv, tm);
        }
    }
}

/* Whether the job runs and so does every task of it (GET /jobs/ID:
 * "vertices"[].status). */
static bool all_running(const json_t *job)
{
    const char *st = json_string_value(json_object_get(job, "state"));
    json_t *vertices = json_object_get(job, "vertices");
    if (st == NULL || strcmp(st, "RUNNING") != 0 || json_array_size(vertices) == 0)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(vertices, i, v) {
        const char *vs = json_string_value(json_object_get(v, "status"));
        if (vs == NULL || strcmp(vs, "RUNNING") != 0)
            return false;
    }
    return true;
}

/* The job's exceptions, for a failure's one sentence. */
static void root_exception(const sb_flink_run_t *f, char *buf, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "/jobs/%s/exceptions", f->job_id);
    json_t *o = NULL;
    sb_err_t ignored;
    buf[0] = '\0';
    if (sb_flink_rest_get(&f->rest, path, &o, NULL, &ignored) != 0)
        return;
    const char *t = json_string_value(json_object_get(o, "root-exception"));
    if (t == NULL) {
        json_t *h = json_object_get(json_object_get(o, "exceptionHistory"), "entries");
        t = json_string_value(json_object_get(json_array_get(h, 0), "stacktrace"));
    }
    if (t != NULL)
        snprintf(buf, len, "%.*s", (int)strcspn(t, "\n"), t);
    json_decref(o);
}

static void poll_checkpoints(supervisor_t *sv, int64_t now_ns)
{
    sb_flink_run_t *f = sv->flink;
    char path[128];
    snprintf(path, sizeof path, "/jobs/%s/checkpoints", f->job_id);
    json_t *o = NULL;
    sb_err_t ignored;
    if (sb_flink_rest_get(&f->rest, path, &o, NULL, &ignored) != 0)
        return; /* a JobManager busy with a failover answers late: next time */
    json_int_t completed = json_integer_value(json_object_get(json_object_get(o, "counts"),
                                                              "completed"));
    json_t *latest = json_object_get(json_object_get(o, "latest"), "completed");
    json_int_t id = json_integer_value(json_object_get(latest, "id"));
    if (completed != f->completed || id != f->latest_completed_id)
        f->last_change_ns = now_ns;
    f->completed = completed;
    if (id > f->latest_completed_id)
        f->latest_completed_id = id;
    /* Flink keeps only the last restore: each new one is kept here. */
    json_t *restored = json_object_get(json_object_get(o, "latest"), "restored");
    json_t *seen = json_array_get(f->restores, json_array_size(f->restores) - 1);
    if (json_is_object(restored) && json_array_size(f->restores) < 10000 &&
        (seen == NULL || !json_equal(seen, restored)))
        json_array_append(f->restores, restored);
    json_decref(o);
}

/* Flink's REST API answers checkpoint statistics from a cache
 * (rest.cache.checkpoint-statistics.timeout, 3 s unless set; the cluster
 * scripts/flink.sh starts sets 200 ms): right after FINISHED it may still
 * miss the last checkpoints, and the verdict judges each committed file by
 * the completions it lists. So the counts are read again until two reads a
 * cache lifetime apart agree and none is in progress, for at most 15 s. */
#define SETTLE_OWN_NS (400 * SB_NS_PER_MS)
#define SETTLE_EXTERNAL_NS (3500 * SB_NS_PER_MS)
#define SETTLE_MAX_NS (15 * SB_NS_PER_S)
static void settle_statistics(supervisor_t *sv)
{
    sb_flink_run_t *f = sv->flink;
    int64_t gap = sv->s->flink.address[0] != '\0' ? SETTLE_EXTERNAL_NS : SETTLE_OWN_NS;
    char path[128], last[128] = "";
    snprintf(path, sizeof path, "/jobs/%s/checkpoints", f->job_id);
    for (int64_t start = sb_clock_now_ns(); sb_clock_now_ns() - start < SETTLE_MAX_NS;) {
        json_t *o = NULL;
        sb_err_t ignored;
        char now[128] = "";
        if (sb_flink_rest_get(&f->rest, path, &o, NULL, &ignored) == 0) {
            json_t *c = json_object_get(o, "counts");
            snprintf(now, sizeof now, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "/%"
                     JSON_INTEGER_FORMAT, json_integer_value(json_object_get(c, "completed")),
                     json_integer_value(json_object_get(c, "failed")),
                     json_integer_value(json_object_get(c, "in_progress")));
            bool busy = json_integer_value(json_object_get(c, "in_progress")) > 0;
            json_decref(o);
            if (!busy && strcmp(now, last) == 0)
                break;
        }
        snprintf(last, sizeof last, "%s", now);
        sb_clock_sleep_ns(gap);
    }
    poll_checkpoints(sv, sb_clock_now_ns());
}

static void show_progress(const supervisor_t *sv, int64_t now_ns)
{
    const sb_flink_run_t *f = sv->flink;
    if (sv->o->quiet || !sv->tty)
        return;
    fprintf(stderr, "\rflink job %.8s…: %-10s %3.0f s, %" PRId64 " checkpoint%s completed, "
            "%d kill%s  ", f->job_id, f->state, (double)(now_ns - sv->job_start_ns) / 1e9,
            f->completed, f->completed == 1 ? "" : "s", sv->kills_sent,
            sv->kills_sent == 1 ? "" : "s");
    fflush(stderr);
}

/* GET a path into bundle[key] (null when it cannot be read). */
static void bundle_get(const sb_flink_run_t *f, json_t *into, const char *key, const char *path)
{
    json_t *o = NULL;
    sb_err_t ignored;
    if (sb_flink_rest_get(&f->rest, path, &o, NULL, &ignored) != 0)
        o = json_null();
    json_object_set_new(into, key, o);
}

/* Flink's answers about the finished job, unchanged: flink/rest.json. */
static json_t *collect_statistics(const supervisor_t *sv)
{
    const sb_flink_run_t *f = sv->flink;
    char path[256];
    json_t *b = json_object();
    snprintf(path, sizeof path, "/jobs/%s", f->job_id);
    bundle_get(f, b, "job", path);
    snprintf(path, sizeof path, "/jobs/%s/checkpoints", f->job_id);
    bundle_get(f, b, "checkpoints", path);
    snprintf(path, sizeof path, "/jobs/%s/exceptions", f->job_id);
    bundle_get(f, b, "exceptions", path);
    json_t *details = json_object(), *subtasks = json_object();
    json_t *history = json_object_get(json_object_get(b, "checkpoints"), "history");
    json_t *vertices = json_object_get(json_object_get(b, "job"), "vertices");
    size_t i;
    json_t *c;
    int n = 0;
    json_array_foreach(history, i, c) {
        json_int_t id = json_integer_value(json_object_get(c, "id"));
        if (id <= 0 || n++ >= HISTORY_MAX)
            continue;
        char key[32];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, id);
        snprintf(path, sizeof path, "/jobs/%s/checkpoints/details/%" JSON_INTEGER_FORMAT,
                 f->job_id, id);
        bundle_get(f, details, key, path);
        json_t *per_vertex = json_object();
        size_t j;
        json_t *v;
        json_array_foreach(vertices, j, v) {
            const char *vid = json_string_value(json_object_get(v, "id"));
            if (vid == NULL || strspn(vid, "0123456789abcdef") != strlen(vid) || strlen(vid) > 64)
                continue;
            snprintf(path, sizeof path, "/jobs/%s/checkpoints/details/%" JSON_INTEGER_FORMAT
                     "/subtasks/%s", f->job_id, id, vid);
            bundle_get(f, per_vertex, vid, path);
        }
        json_object_set_new(subtasks, key, per_vertex);
    }
    json_object_set_new(b, "details", details);
    json_object_set_new(b, "subtasks", subtasks);
    json_object_set_new(b, "t0_epoch_ms", json_integer((json_int_t)f->t0_epoch_ms));
    json_object_set(b, "restores", f->restores);
    return b;
}

static int collect_event(json_t *ev, void *ctx)
{
    json_array_append(ctx, ev);
    return 0;
}

/* Flink's statistics into the run folder (flink/rest.json, as Flink gave
 * them) and into the trace, merged by time with the supervisor's own
 * events; checkpoints.json and the pictures are then drawn from the trace
 * as for snapbed's own runs. The trace is rewritten whole and reopened to
 * append the verdict. */
static int import_statistics(supervisor_t *sv, sb_err_t *err)
{
    json_t *bundle = collect_statistics(sv);
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/flink", sv->run_dir);
    if (sb_cli_mkdir_p(dir, err) != 0) {
        json_decref(bundle);
        return -1;
    }
    snprintf(path, sizeof path, "%s/rest.json", dir);
    if (json_dump_file(bundle, path, JSON_INDENT(1)) != 0) {
        json_decref(bundle);
        return sb_err_errno(err, errno, "cannot write %s", path);
    }
    json_t *flink = sb_flink_stats_events(bundle, (int64_t)getpid(), err);
    json_decref(bundle);
    if (flink == NULL)
        return sb_err_wrap(err, "Flink's checkpoint statistics (%s)", path);
    snprintf(path, sizeof path, "%s/trace.jsonl", sv->run_dir);
    sb_trace_close(&sv->trace);
    json_t *own = json_array(), *merged = NULL;
    int truncated = 0;
    int rc = sb_trace_read(path, collect_event, own, &truncated, err);
    if (rc == 0 && (merged = sb_flink_stats_merge(own, flink, err)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = sb_flink_stats_write_trace(merged, path, err);
    json_decref(own);
    json_decref(flink);
    json_decref(merged);
    sb_err_t reopen = { { 0 } };
    if (sb_trace_open(&sv->trace, path, rc == 0 ? err : &reopen) != 0)
        return -1;
    return rc == 0 ? 0 : sb_err_wrap(err, "writing Flink's statistics into %s", path);
}

int sb_flink_run_job(supervisor_t *sv, sb_err_t *err)
{
    sb_flink_run_t *f = sv->flink;
    const sb_scenario_t *s = sv->s;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    int64_t mono = sb_clock_now_ns();
    f->t0_epoch_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000 - mono / SB_NS_PER_MS;
    if (plan(sv, err) != 0)
        return -1;
    sv->timeline.target_pid = pause_target;
    sv->timeline.target_ctx = sv;
    char jar_id[256];
    if (sb_flink_rest_upload_jar(&f->rest, f->jar, jar_id, sizeof jar_id, err) != 0)
        return -1;
    json_t *args = job_args(sv, err);
    if (args == NULL)
        return -1;
    sv->job_start_ns = sb_clock_now_ns();
    const char *entry = s->flink.job_class[0] != '\0' ? s->flink.job_class : ENTRY_CLASS;
    int rc = sb_flink_rest_run_jar(&f->rest, jar_id, entry, args, f->job_id, err);
    json_decref(args);
    if (rc != 0)
        return -1;
    sb_trace_emit(&sv->trace, "worker_started",
                  json_pack("{s:s,s:s,s:s,s:i}", "engine", "flink", "job", f->job_id, "rest",
                            f->address, "taskmanagers", s->flink.taskmanagers));
    if (!sv->o->quiet && s->flink.job_jar[0] != '\0')
        fprintf(stderr, "submitted job %s (%s of %s) to %s\n", f->job_id, entry, f->jar,
                f->address);
    else if (!sv->o->quiet)
        fprintf(stderr, "submitted job %s (%s sink) to %s\n", f->job_id,
                sb_flink_sink_name(s->flink.sink), f->address);
    snprintf(f->state, sizeof f->state, "CREATED");
    f->last_change_ns = sv->job_start_ns;
    int64_t last_cp = 0, last_progress = 0;
    char status_path[128];
    snprintf(status_path, sizeof status_path, "/jobs/%s", f->job_id);
    for (;;) {
        int64_t now = sb_clock_now_ns();
        if (sb_sv_interrupt_signal() != 0) {
            char cancel[160];
            snprintf(cancel, sizeof cancel, "/jobs/%s?mode=cancel", f->job_id);
            sb_err_t ignored;
            (void)sb_flink_rest_patch(&f->rest, cancel, &ignored);
            return sb_err_set(err, "interrupted by SIG%s: the Flink job was cancelled; the run "
                              "folder %s holds what it did so far",
                              sigabbrev_np(sb_sv_interrupt_signal()), sv->run_dir);
        }
        /* A stopped JobManager answers no REST call (each would wait for its
         * timeout and hold back the timeline, and so the SIGCONT): while it
         * is paused the driver only keeps time. */
        bool jm_paused = sv->timeline.paused_pid > 0 && sv->timeline.paused_pid == jobmanager_pid(f);
        if (jm_paused)
            f->last_change_ns = now;
        json_t *job = NULL;
        sb_err_t poll_err = { { 0 } };
        if (!jm_paused && sb_flink_rest_get(&f->rest, status_path, &job, NULL, &poll_err) == 0) {
            const char *st = json_string_value(json_object_get(job, "state"));
            if (st != NULL && strcmp(st, f->state) != 0) {
                snprintf(f->state, sizeof f->state, "%s", st);
                f->last_change_ns = now;
            }
            f->all_running = all_running(job);
            if (f->running_ns == 0 && f->all_running)
                f->running_ns = now;
            json_decref(job);
        }
        if (strcmp(f->state, "FINISHED") == 0)
            break;
        if (strcmp(f->state, "FAILED") == 0 || strcmp(f->state, "CANCELED") == 0) {
            char why[400];
            root_exception(f, why, sizeof why);
            if (!sv->o->quiet && sv->tty)
                fprintf(stderr, "\n");
            return sb_err_set(err, "the Flink job ended %s after %d kill%s%s%s (the restart "
                              "strategy allows %d restarts); see %s/flink/jobmanager.log",
                              f->state, sv->kills_sent, sv->kills_sent == 1 ? "" : "s",
                              why[0] ? ": " : "", why, s->restart_attempts, sv->run_dir);
        }
        if (!jm_paused && now - last_cp >= CHECKPOINTS_EVERY_NS) {
            poll_checkpoints(sv, now);
            last_cp = now;
        }
        int64_t elapsed = now - f->running_ns;
        note_recovery(f, now);
        for (int i = 0; f->running_ns != 0 && f->recovering_ns == 0 && i < sv->kills_count; i++)
            if (!sv->kills[i].fired && kill_due(sv, &sv->kills[i], elapsed)) {
                fire_kill(sv, i);
                break; /* one at a time: the next poll sees what it did */
            }
        reap_restarts(sv, now);
        if (f->running_ns != 0)
            (void)sb_timeline_tick(&sv->timeline, 0, elapsed, now);
        if (now - last_progress >= FLINK_PROGRESS_EVERY_NS) {
            show_progress(sv, now);
            last_progress = now;
        }
        if (now - f->last_change_ns > FLINK_STALL_TIMEOUT_NS) {
            if (!sv->o->quiet && sv->tty)
                fprintf(stderr, "\n");
            return sb_err_set(err, "the Flink job (%s) changed state and completed no "
                              "checkpoint for %d s: it is stuck (see %s/flink/*.log)", f->state,
                              (int)(FLINK_STALL_TIMEOUT_NS / SB_NS_PER_S), sv->run_dir);
        }
        sb_clock_sleep_ns(POLL_EVERY_NS);
    }
    sv->job_end_ns = sb_clock_now_ns();
    settle_statistics(sv);
    show_progress(sv, sv->job_end_ns);
    if (!sv->o->quiet && sv->tty)
        fprintf(stderr, "\n");
    sv->restarts = sv->kills_sent;
    return import_statistics(sv, err);
}
