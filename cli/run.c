/* run.c — `snapbed run SCENARIO`: the supervisor.
 *
 * It plays Flink's JobManager role for restarts: prepares the input topic
 * (embedded Kafka by default), starts the worker (`snapbed worker`, this same
 * binary, by fork and exec), kills it on the scenario's schedule, restarts it
 * with the scenario's restart strategy, waits for the end of the bounded
 * input, then verifies and reports. A crash is a real SIGKILL. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli_fs.h"
#include "ckstats.h"
#include "gv.h"
#include "commands.h"
#include "cut.h"
#include "corrupt.h"
#include "crashpoint.h"
#include "diskloss.h"
#include "input.h"
#include "job.h"
#include "kafka.h"
#include "progress.h"
#include "proxy.h"
#include "report.h"
#include "runfolder.h"
#include "scenario.h"
#include "scenario_redact.h"
#include "store.h"
#include "store_fault.h"
#include "texttrace.h"
#include "timeline.h"
#include "trace.h"
#include "viz.h"
#include "verdict.h"
#include "supervisor.h"

#define SUPERVISE_TICK_NS (5 * SB_NS_PER_MS)
#define PROGRESS_EVERY_NS (1 * SB_NS_PER_S)
#define RANDOM_KILL_FROM 0.10   /* seeded kills fall in this share of the input */
#define RANDOM_KILL_TO 0.90
#define STALL_TIMEOUT_NS (120 * SB_NS_PER_S) /* no input read, no checkpoint */
#define LOG_TAIL_BYTES 2000



static void usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed run SCENARIO [-o DIR] [--seed S] [--kafka HOST:PORT] [--quiet]\n"
            "\n"
            "Runs the scenario's job end to end: produces its input into Kafka, runs the\n"
            "checkpointing job in a worker process, injects the scenario's faults (SIGKILL\n"
            "at times, at seeded random moments or at named crash points), restarts the\n"
            "worker from the latest completed checkpoint, then verifies the committed\n"
            "output and prints the verdict.\n"
            "\n"
            "options:\n"
            "  -o, --out DIR        run folder (default out/<scenario>-<timestamp>); must\n"
            "                       not exist or be empty\n"
            "  --seed S             seed for the input and the random kills (default: the\n"
            "                       scenario's input.seed)\n"
            "  --kafka HOST:PORT    use this Kafka broker instead of the embedded one\n"
            "  --sink URI           write the output here instead of pipeline.sink\n"
            "                       (file://DIR or s3://BUCKET/PREFIX)\n"
            "  --checkpoints URI    keep checkpoints here instead of state.checkpoints.dir\n"
            "  --unaligned          take the scenario's checkpoints unaligned\n"
            "  --aligned-timeout D  start them aligned, switch to unaligned after D (e.g.\n"
            "                       50ms); implies --unaligned\n"
            "  --trace LEVEL        checkpoints (default) or records: also trace every\n"
            "                       batch sent and received (teaching-size runs)\n"
            "  -q, --quiet          no progress lines\n"
            "  -h, --help           this text\n"
            "\n"
            "The run folder receives trace.jsonl, summary.json, input.json, the committed\n"
            "output (output/), the checkpoints (checkpoints/), worker.log and report.html\n"
            "(see `snapbed report`); a run that fails also prints its text trace. Shared\n"
            "locations (s3://, absolute file:///) get the run id appended, so runs never\n"
            "mix. s3:// stores are configured by s3.endpoint, s3.region, s3.access-key and\n"
            "s3.secret-key in the scenario, else S3_ENDPOINT, AWS_REGION,\n"
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.\n"
            "\n"
            "exit status: 0 the run met the scenario's `expect:`; 1 it did not (or the job\n"
            "failed); 2 bad usage or a bad scenario (nothing ran).\n\n");
    sb_suite_usage(f);
}

static int parse_opts(int argc, char **argv, run_opts_t *o)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },   { "seed", required_argument, NULL, 's' },
        { "kafka", required_argument, NULL, 'k' }, { "quiet", no_argument, NULL, 'q' },
        { "sink", required_argument, NULL, 'S' },  { "checkpoints", required_argument, NULL, 'C' },
        { "unaligned", no_argument, NULL, 'U' },   { "aligned-timeout", required_argument, NULL, 'T' },
        { "trace", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    int c;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o->out_dir = optarg; break;
        case 'k': o->kafka = optarg; break;
        case 'S': o->sink = optarg; break;
        case 'C': o->checkpoints = optarg; break;
        case 'U': o->unaligned = true; break;
        case 'T': o->aligned_timeout = optarg; break;
        case 'R': o->trace = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': usage(stdout); return 1;
        case 's': {
            char *end = NULL;
            errno = 0;
            o->seed = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-') {
                fprintf(stderr, "snapbed run: --seed needs a non-negative integer, got '%s'.\n",
                        optarg);
                return -1;
            }
            o->seed_set = true;
            break;
        }
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snapbed run: give exactly one scenario file; try `snapbed run --help`.\n");
        return -1;
    }
    o->scenario_path = argv[optind];
    if (o->kafka != NULL && strchr(o->kafka, ':') == NULL) {
        fprintf(stderr, "snapbed run: --kafka needs HOST:PORT, got '%s'.\n", o->kafka);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------- run folder */

/* Copies the scenario into the run folder with its credentials' values
 * replaced, whatever their YAML form (runtime/scenario_redact.h):
 * credentials never land in a run folder. The worker gets them through its
 * environment instead. Overridden keys are dropped line by line and their
 * effective values appended. */
static int copy_scenario(const char *from, const char *to, const sb_scenario_t *s,
                         const sb_scenario_overrides_t *ov, sb_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    if (sb_scenario_redact_file(from, &text, &len, err) != 0)
        return -1;
    FILE *in = fmemopen(text, len, "r");
    if (in == NULL) {
        free(text);
        return sb_err_errno(err, errno, "cannot read the redacted copy of %s", from);
    }
    FILE *out = fopen(to, "w");
    if (out == NULL) {
        fclose(in);
        free(text);
        return sb_err_errno(err, errno, "cannot write %s", to);
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (getline(&line, &cap, in) >= 0) {
        if (sb_scenario_line_overridden(line, ov))
            continue; /* the effective value comes at the end */
        if (fputs(line, out) < 0)
            rc = sb_err_errno(err, errno, "cannot write %s", to);
    }
    free(line);
    fclose(in);
    free(text);
    char effective[512];
    sb_scenario_overrides_text(s, ov, effective, sizeof effective);
    if (fputs(effective, out) < 0)
        rc = sb_err_errno(err, errno, "cannot write %s", to);
    if (fclose(out) != 0 && rc == 0)
        rc = sb_err_errno(err, errno, "cannot write %s", to);
    return rc;
}

static int make_run_dir(supervisor_t *sv, sb_err_t *err)
{
    char dir[1024];
    /* An -o folder was found empty by sb_cmd_run, before anything ran. */
    if (sv->o->out_dir != NULL)
        snprintf(dir, sizeof dir, "%s", sv->o->out_dir);
    else
        sb_cli_fresh_dir(sv->s->name, dir, sizeof dir);
    if (sb_cli_mkdir_p(dir, err) != 0)
        return sb_err_wrap(err, "run folder %s", dir);
    if (realpath(dir, sv->run_dir) == NULL)
        return sb_err_errno(err, errno, "cannot resolve %s", dir);
    /* The run id names this run in shared places (S3 prefixes, checkpoint
     * folders): the folder's name plus a suffix no other run has, so that a
     * rerun into a folder of the same name never meets old objects. */
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", sv->run_dir);
    snprintf(sv->run_id, sizeof sv->run_id, "%.200s-%06llx", basename(copy),
             (unsigned long long)((sb_clock_now_ns() ^ ((int64_t)getpid() << 20)) & 0xffffff));
    char path[1100];
    snprintf(path, sizeof path, "%s/scenario.yaml", sv->run_dir);
    if (copy_scenario(sv->o->scenario_path, path, sv->s, &sv->o->overrides, err) != 0)
        return -1;
    sb_job_run_uri(sv->o->sink ? sv->o->sink : sv->s->sink_uri, sv->run_id, sv->sink_uri,
                   sizeof sv->sink_uri);
    snprintf(sv->checkpoints_uri, sizeof sv->checkpoints_uri, "%s",
             sv->o->checkpoints ? sv->o->checkpoints : sv->s->checkpoints_dir);
    return 0;
}

/* ------------------------------------------------------------- input */

static void produce_progress(int64_t done, int64_t total, void *ctx)
{
    supervisor_t *sv = ctx;
    if (sv->o->quiet || !sv->tty)
        return;
    fprintf(stderr, "\rproducing input: %" PRId64 "/%" PRId64, done, total);
    fflush(stderr);
}

static int prepare_input(supervisor_t *sv, sb_kafka_mock_t *mock, sb_err_t *err)
{
    sb_job_input_t *in = &sv->input;
    memset(in, 0, sizeof *in);
    in->partitions = sv->s->partitions;
    if (sv->kafka[0] == '\0') {
        if (sb_kafka_mock_start(mock, err) != 0)
            return -1;
        snprintf(in->bootstrap, sizeof in->bootstrap, "%s", mock->bootstrap);
        snprintf(in->topic, sizeof in->topic, "%s", sv->s->topic);
    } else {
        /* A real broker keeps topics across runs: use a fresh one per run. */
        snprintf(in->bootstrap, sizeof in->bootstrap, "%s", sv->kafka);
        snprintf(in->topic, sizeof in->topic, "%s-%s", sv->s->topic, sv->run_id);
    }
    if (sb_kafka_topic_create(sv->kafka[0] == '\0' ? mock : NULL, in->bootstrap, in->topic,
                              in->partitions, err) != 0)
        return -1;
    if (!sv->o->quiet)
        fprintf(stderr, "producing %" PRId64 " records into %s (%d partitions) on %s\n",
                sv->s->records, in->topic, in->partitions,
                sv->kafka[0] == '\0' ? "the embedded Kafka" : in->bootstrap);
    if (sb_kafka_produce_input(in->bootstrap, in->topic, in->partitions, sv->s->records,
                               sv->s->seed, sv->s->record_bytes, produce_progress, sv,
                               err) != 0)
        return -1;
    if (!sv->o->quiet && sv->tty)
        fprintf(stderr, "\n");
    if (sb_kafka_watermarks(in->bootstrap, in->topic, in->partitions, in->low, in->high, err) != 0)
        return -1;
    /* The topic is fresh, so every partition starts at 0 unless the broker
     * already dropped records: librdkafka's mock keeps at most 5 MB per
     * partition and silently drops the oldest, which would shrink the input
     * the run claims to have read. */
    for (int p = 0; p < in->partitions; p++)
        if (in->low[p] != 0)
            return sb_err_set(err, "%s [%d] on %s starts at offset %" PRId64 " right after "
                              "producing: the broker dropped the oldest records (the embedded "
                              "Kafka keeps about 5 MB per partition); use more partitions or "
                              "fewer records", in->topic, p,
                              sv->kafka[0] == '\0' ? "the embedded Kafka" : in->bootstrap,
                              in->low[p]);
    sv->records_total = 0;
    for (int p = 0; p < in->partitions; p++)
        sv->records_total += in->high[p] - in->low[p];
    char path[1100];
    snprintf(path, sizeof path, "%s/input.json", sv->run_dir);
    if (sb_job_input_save(in, path, err) != 0)
        return -1;
    sb_trace_emit(&sv->trace, "input_ready",
                  json_pack("{s:s,s:i,s:I}", "topic", in->topic, "partitions", in->partitions,
                            "records", (json_int_t)sv->records_total));
    return 0;
}

/* ------------------------------------------------------------- faults */

static int cmp_kill(const void *a, const void *b)
{
    const kill_plan_t *x = a, *y = b;
    double kx = x->by_progress ? x->fraction : 2.0 + (double)x->at_ns;
    double ky = y->by_progress ? y->fraction : 2.0 + (double)y->at_ns;
    return kx < ky ? -1 : kx > ky;
}

void sb_sv_plan_kills(supervisor_t *sv)
{
    uint64_t rng = sv->s->seed ^ 0x6b696c6cULL; /* kills: their own stream */
    for (int i = 0; i < sv->s->faults_count; i++) {
        const sb_fault_t *f = &sv->s->faults[i];
        if (f->kind == SB_FAULT_CRASH && f->trigger == SB_TRIGGER_AT_TIME &&
            sv->kills_count < KILLS_MAX) {
            sv->kills[sv->kills_count++] = (kill_plan_t){ .fault = i, .at_ns = f->at_ns };
        } else if (f->trigger == SB_TRIGGER_RANDOM) {
            for (int k = 0; k < f->count && sv->kills_count < KILLS_MAX; k++) {
                double u = (double)(sb_input_mix(&rng) >> 11) / (double)(1ULL << 53);
                sv->kills[sv->kills_count++] = (kill_plan_t){
                    .fault = i, .by_progress = true,
                    .fraction = RANDOM_KILL_FROM + u * (RANDOM_KILL_TO - RANDOM_KILL_FROM)
                };
            }
        }
    }
    qsort(sv->kills, (size_t)sv->kills_count, sizeof sv->kills[0], cmp_kill);
}

static double consumed_fraction(const supervisor_t *sv, int64_t *consumed)
{
    int64_t done = 0;
    for (int p = 0; p < sv->input.partitions; p++) {
        int64_t n = atomic_load(&sv->progress->next_offset[p]) - sv->input.low[p];
        done += n > 0 ? n : 0;
    }
    *consumed = done;
    return sv->records_total > 0 ? (double)done / (double)sv->records_total : 1.0;
}

/* The next kill due now, or -1. At most one kill per incarnation. */
static int kill_due(supervisor_t *sv, int64_t now_ns)
{
    if (!atomic_load(&sv->progress->ready))
        return -1;
    int64_t consumed;
    double frac = consumed_fraction(sv, &consumed);
    for (int i = 0; i < sv->kills_count; i++) {
        kill_plan_t *k = &sv->kills[i];
        if (k->fired)
            continue;
        if (k->by_progress ? frac >= k->fraction : now_ns - sv->job_start_ns >= k->at_ns)
            return i;
        if (k->by_progress)
            return -1; /* progress kills fire in order */
    }
    return -1;
}

/* ------------------------------------------------------------ worker */

static pid_t spawn_worker(supervisor_t *sv, sb_err_t *err)
{
    char attempt[16], log_path[1100];
    snprintf(attempt, sizeof attempt, "%d", sv->attempts);
    snprintf(log_path, sizeof log_path, "%s/worker.log", sv->run_dir);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        sb_err_errno(err, errno, "cannot open %s", log_path);
        return -1;
    }
    atomic_store(&sv->progress->ready, 0);
    /* The worker's environment: ours, with S3 reached through the proxy
     * when there is one. Built before fork: the child may only exec. */
    extern char **environ;
    char **envp = environ, *env_copy[512], s3_entry[sizeof sv->worker_s3_endpoint + 16];
    char redirect_entry[sizeof sv->worker_kafka_redirect + 32];
    if (sv->worker_s3_endpoint[0] != '\0' || sv->worker_kafka_redirect[0] != '\0') {
        snprintf(s3_entry, sizeof s3_entry, "S3_ENDPOINT=%s", sv->worker_s3_endpoint);
        snprintf(redirect_entry, sizeof redirect_entry, "SNAPBED_KAFKA_REDIRECT=%s",
                 sv->worker_kafka_redirect);
        size_t n = 0;
        for (char **e = environ; *e != NULL && n < 508; e++)
            if ((sv->worker_s3_endpoint[0] == '\0' || strncmp(*e, "S3_ENDPOINT=", 12) != 0) &&
                strncmp(*e, "SNAPBED_KAFKA_REDIRECT=", 23) != 0)
                env_copy[n++] = *e;
        if (sv->worker_s3_endpoint[0] != '\0')
            env_copy[n++] = s3_entry;
        if (sv->worker_kafka_redirect[0] != '\0')
            env_copy[n++] = redirect_entry;
        env_copy[n] = NULL;
        envp = env_copy;
    }
    pid_t supervisor_pid = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        sb_err_errno(err, errno, "cannot fork the worker");
        close(log_fd);
        return -1;
    }
    if (pid == 0) {
        /* Between fork and exec only async-signal-safe calls. A worker
         * must not outlive its supervisor (killed, or crashed): no one
         * would stop it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != supervisor_pid)
            _exit(127);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        char *args[] = { "snapbed", "worker", "--run-dir", sv->run_dir, "--attempt", attempt,
                         "--sink", sv->sink_uri, "--checkpoints", sv->checkpoints_uri,
                         "--job", sv->run_id, NULL };
        execve("/proc/self/exe", args, envp);
        _exit(127);
    }
    close(log_fd);
    sb_trace_emit(&sv->trace, "worker_started",
                  json_pack("{s:i,s:i}", "attempt", sv->attempts, "worker_pid", (int)pid));
    return pid;
}

static void print_log_tail(const supervisor_t *sv)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/worker.log", sv->run_dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > LOG_TAIL_BYTES ? size - LOG_TAIL_BYTES : 0, SEEK_SET);
    char buf[LOG_TAIL_BYTES + 1];
    size_t n = fread(buf, 1, LOG_TAIL_BYTES, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "--- end of %s ---\n%s", path, buf);
    if (n > 0 && buf[n - 1] != '\n')
        fputc('\n', stderr);
}

static void show_progress(supervisor_t *sv, int64_t now_ns, bool force)
{
    if (sv->o->quiet || (!force && now_ns - sv->last_progress_ns < PROGRESS_EVERY_NS))
        return;
    sv->last_progress_ns = now_ns;
    int64_t consumed;
    double frac = consumed_fraction(sv, &consumed);
    int64_t done = atomic_load(&sv->progress->checkpoints_completed);
    fprintf(stderr, "[%6.1fs] %3.0f%% of input read (%" PRId64 "/%" PRId64 "), "
            "%" PRId64 " checkpoint%s completed (newest chk-%" PRId64 "), %d crash%s\n",
            (double)(now_ns - sv->job_start_ns) / 1e9, frac * 100.0, consumed,
            sv->records_total, done, done == 1 ? "" : "s",
            atomic_load(&sv->progress->last_completed_id), sv->crashes,
            sv->crashes == 1 ? "" : "es");
}

/* Whether the job has neither read input nor completed a checkpoint for
 * STALL_TIMEOUT_NS: a hung broker or a deadlock must not hang the run. */
static bool stalled(supervisor_t *sv, int64_t now_ns)
{
    int64_t consumed;
    consumed_fraction(sv, &consumed);
    int64_t done = atomic_load(&sv->progress->checkpoints_completed);
    if (consumed != sv->last_consumed || done != sv->last_checkpoints ||
        sv->last_change_ns == 0) {
        sv->last_consumed = consumed;
        sv->last_checkpoints = done;
        sv->last_change_ns = now_ns;
        return false;
    }
    return now_ns - sv->last_change_ns > STALL_TIMEOUT_NS;
}

/* SIGINT, SIGTERM or SIGHUP to the supervisor: the worker is stopped and
 * the supervisor cleans up (proxies, the embedded broker) as on any error. */
static volatile sig_atomic_t run_interrupted;

int sb_sv_interrupt_signal(void)
{
    return run_interrupted;
}

static void run_on_signal(int sig)
{
    if (run_interrupted == 0)
        run_interrupted = sig;
}

/* Waits for the worker; delivers due kills. Returns its wait status, or -1
 * when the job stalled, -2 when the supervisor was interrupted (the worker
 * is then killed and reaped). */
static int supervise(supervisor_t *sv, pid_t pid, bool *killed, int *fault)
{
    *killed = false;
    *fault = -1;
    sv->last_change_ns = 0;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (run_interrupted != 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -2;
        }
        int64_t now = sb_clock_now_ns();
        if (stalled(sv, now)) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        int k = *killed ? -1 : kill_due(sv, now);
        if (k >= 0) {
            sb_trace_emit(&sv->trace, "fault_fired",
                          json_pack("{s:i,s:s}", "fault", sv->kills[k].fault, "point",
                                    sv->kills[k].by_progress ? "random kill" : "timed kill"));
            kill(pid, SIGKILL);
            sv->kills[k].fired = true;
            sv->kills_sent++;
            *killed = true;
            *fault = sv->kills[k].fault;
        }
        int loop = sb_timeline_tick(&sv->timeline, pid, now - sv->job_start_ns, now);
        if (loop >= 0 && !*killed) {
            kill(pid, SIGKILL);
            sv->kills_sent++;
            *killed = true;
            *fault = loop;
        }
        show_progress(sv, now, false);
        sb_clock_sleep_ns(SUPERVISE_TICK_NS);
    }
}

/* How many crash points have fired so far; *newest: the highest index. */
static int crash_points_fired_at(const supervisor_t *sv, int *newest)
{
    int n = 0;
    for (int i = 0; i < sv->s->faults_count; i++)
        if (sv->s->faults[i].trigger == SB_TRIGGER_CRASH_POINT &&
            sb_crashpoints_fired(sv->run_dir, i)) {
            n++;
            if (newest != NULL)
                *newest = i;
        }
    return n;
}

static int crash_points_fired(const supervisor_t *sv)
{
    return crash_points_fired_at(sv, NULL);
}

/* Runs workers until one finishes the job. Returns 0, or -1 when the job
 * failed for good. */
static int run_job(supervisor_t *sv, sb_err_t *err)
{
    sv->job_start_ns = sb_clock_now_ns();
    int fired_before = 0;
    for (;;) {
        pid_t pid = spawn_worker(sv, err);
        if (pid < 0)
            return -1;
        bool killed;
        int fault;
        int status = supervise(sv, pid, &killed, &fault);
        sb_timeline_worker_gone(&sv->timeline, pid);
        if (status == -2)
            return sb_err_set(err, "interrupted by SIG%s: the worker was stopped; the run "
                              "folder %s holds what it did so far",
                              sigabbrev_np(run_interrupted) ? sigabbrev_np(run_interrupted) : "?",
                              sv->run_dir);
        if (status == -1) {
            sb_trace_emit(&sv->trace, "stalled", json_pack("{s:i}", "attempt", sv->attempts));
            print_log_tail(sv);
            return sb_err_set(err, "the job read no input and completed no checkpoint for %d s; "
                              "it is stuck (is the Kafka broker up?); see %s/worker.log",
                              (int)(STALL_TIMEOUT_NS / SB_NS_PER_S), sv->run_dir);
        }
        int newest = -1;
        int fired_now = crash_points_fired_at(sv, &newest);
        if (!killed && fired_now > fired_before)
            fault = newest; /* at most one crash point fires per incarnation */
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            sv->job_end_ns = sb_clock_now_ns();
            show_progress(sv, sv->job_end_ns, true);
            return 0;
        }
        if (WIFSIGNALED(status)) {
            sv->crashes++;
            bool injected = killed || fired_now > fired_before;
            /* The dead worker's last published input position: where a
             * restarted job has to get back to (bench/recovery.sh). */
            int64_t read = 0;
            (void)consumed_fraction(sv, &read);
            sb_trace_emit(&sv->trace, "crash",
                          json_pack("{s:i,s:i,s:s,s:b,s:i,s:I}", "attempt", sv->attempts, "signal",
                                    WTERMSIG(status), "signal_name", strsignal(WTERMSIG(status)),
                                    "injected", injected, "fault", fault, "read",
                                    (json_int_t)read));
            int sig = WTERMSIG(status);
            const char *abbrev = sigabbrev_np(sig);
            if (!injected)
                snprintf(sv->last_failure, sizeof sv->last_failure, "died by SIG%s (%s)",
                         abbrev != NULL ? abbrev : "?", strsignal(sig));
            if (!sv->o->quiet)
                fprintf(stderr, "worker attempt %d: %s (SIG%s, %s)\n", sv->attempts,
                        injected ? "killed by the fault plan" : "died",
                        abbrev != NULL ? abbrev : "?", strsignal(sig));
            /* A crash may be a power loss for the disk (lose-unsynced). */
            if (sb_diskloss_after_crash(sv->s, sv->run_dir, &sv->trace, err) != 0)
                return -1;
        } else {
            int code = WEXITSTATUS(status);
            sb_trace_emit(&sv->trace, "worker_failed",
                          json_pack("{s:i,s:i}", "attempt", sv->attempts, "exit_code", code));
            print_log_tail(sv);
            snprintf(sv->last_failure, sizeof sv->last_failure, "exited with %d", code);
            if (code == SB_EXIT_USAGE || code == 127)
                return sb_err_set(err, "the worker could not start (exit %d); see %s/worker.log",
                                  code, sv->run_dir);
            if (code == SB_EXIT_UNRESTORABLE)
                return sb_err_set(err, "no completed checkpoint can be restored: every one "
                                  "failed verification (restore_fallback events in the trace, "
                                  "the reasons in %s/worker.log)", sv->run_dir);
        }
        /* A corrupt fault's worker died at its crash point: damage the
         * checkpoint now, while no worker runs (faultinject/corrupt.h). */
        if (fired_now > fired_before && newest >= 0 &&
            sv->s->faults[newest].kind == SB_FAULT_CORRUPT &&
            sb_corrupt_apply(sv->s, newest, sv->checkpoints_uri, sv->run_dir, sv->run_id,
                             &sv->trace, err) != 0)
            return -1;
        fired_before = fired_now;
        sv->restarts++;
        if (sv->restarts > sv->s->restart_attempts)
            return sb_err_set(err, "the job failed %d time(s), more than "
                              "restart-strategy.fixed-delay.attempts (%d) allows%s%s%s; see "
                              "%s/worker.log", sv->restarts, sv->s->restart_attempts,
                              sv->last_failure[0] ? " (the last failure: the worker " : "",
                              sv->last_failure, sv->last_failure[0] ? ")" : "", sv->run_dir);
        sb_clock_sleep_ns(sv->s->restart_delay_ns);
        sv->attempts++;
    }
}

/* ------------------------------------------------------------ report */

static json_t *ids_json(const sb_eo_id_t *ids, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        char b[48];
        snprintf(b, sizeof b, "%d:%" PRId64, ids[i].partition, ids[i].offset);
        json_array_append_new(a, json_string(b));
    }
    return a;
}

static json_t *check_json(const sb_verdict_check_t *c)
{
    return json_pack("{s:b,s:s}", "ok", c->ok, "detail", c->detail);
}

static int write_summary(const supervisor_t *sv, const sb_verdict_t *v,
                         const sb_verdict_check_t *cuts, bool met, const char *unfired,
                         sb_err_t *err)
{
    const sb_eo_report_t *r = &v->eo;
    double secs = (double)(sv->job_end_ns - sv->job_start_ns) / 1e9;
    json_t *restored = json_array();
    for (int i = 0; i < v->restores_count; i++)
        json_array_append_new(restored, json_integer(v->restored_from[i]));
    json_t *eo = json_pack(
        "{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:o,s:o,s:o,s:o}", "ok", v->eo_ok,
        "records_in", (json_int_t)v->records_in, "expected", (json_int_t)r->expected,
        "committed", (json_int_t)r->observed, "lost", (json_int_t)r->lost, "duplicated",
        (json_int_t)r->duplicated, "unexpected", (json_int_t)r->unexpected, "out_of_order",
        (json_int_t)r->out_of_order, "order_checked", v->order_checked, "lost_examples",
        ids_json(r->lost_examples, r->lost_examples_count), "duplicated_examples",
        ids_json(r->duplicated_examples, r->duplicated_examples_count), "unexpected_examples",
        ids_json(r->unexpected_examples, r->unexpected_examples_count), "out_of_order_examples",
        ids_json(r->out_of_order_examples, r->out_of_order_examples_count));
    json_t *o = json_pack(
        "{s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:I,s:I,s:o,s:I,s:f,s:f,s:b,s:b,s:s,"
        "s:s,s:s}",
        "scenario", sv->s->name, "run_dir", sv->run_dir, "seed", (json_int_t)sv->s->seed, "mode",
        sb_mode_name(sv->s->mode), "exactly_once", eo, "counts",
        v->counts_checked ? check_json(&v->counts) : json_null(), "restores",
        check_json(&v->restores), "publishes", check_json(&v->publishes), "crashes",
        check_json(&v->crashes), "liveness", check_json(&v->liveness), "leftovers",
        check_json(&v->leftovers), "crashes_seen",
        v->crashes_seen, "crashes_injected", v->crashes_injected, "checkpoints_completed",
        (json_int_t)v->checkpoints_completed, "checkpoints_aborted",
        (json_int_t)v->checkpoints_aborted, "restored_from", restored, "objects",
        (json_int_t)v->objects, "duration_s", secs, "records_per_s",
        secs > 0 ? (double)v->records_in / secs : 0.0, "verified_ok", sb_verdict_ok(v) && cuts->ok,
        "expectation_met", met, "unfired_faults", unfired, "sink", sv->sink_uri, "checkpoints",
        sv->checkpoints_uri);
    json_object_set_new(o, "cuts", check_json(cuts));
    json_object_set_new(o, "channel_state", v->channel_state_checked
                                                ? check_json(&v->channel_state) : json_null());
    json_object_set_new(o, "inflight_restored", json_integer((json_int_t)v->inflight_restored));
    json_object_set_new(o, "restore_fallbacks",
                        json_pack("{s:I,s:s,s:o}", "count", (json_int_t)v->fallbacks_count,
                                  "first", v->fallback_first, "check",
                                  v->fallbacks_checked ? check_json(&v->fallbacks)
                                                       : json_null()));
    /* What the scenario expected, so that readers of this file (the report)
     * can tell a negative control from a failure. */
    json_object_set_new(o, "expect",
                        json_pack("{s:b,s:b}", "exactly_once", sv->s->expect_exactly_once,
                                  "channel_state_restored",
                                  sv->s->expect_channel_state_restored));
    char path[1100];
    snprintf(path, sizeof path, "%s/summary.json", sv->run_dir);
    int rc = json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc != 0)
        return sb_err_errno(err, errno, "cannot write %s", path);
    return 0;
}

/* A check that passed with a detail of its own (what was not checked, or
 * what was seen and is allowed) shows the detail. */
static void print_check(const char *name, const sb_verdict_check_t *c, const char *ok_text)
{
    printf("  %-12s %s — %s\n", name, c->ok ? "OK" : "VIOLATED",
           !c->ok || c->detail[0] != '\0' ? c->detail : ok_text);
}

/* Checkpoint statistics from the trace: checkpoints.json in the run folder
 * and a compact table. They describe the run; they do not decide it, so a
 * failure to write them is reported, not fatal. */
static void report_checkpoints(const supervisor_t *sv)
{
    char trace[1100], out[1100];
    snprintf(trace, sizeof trace, "%s/trace.jsonl", sv->run_dir);
    snprintf(out, sizeof out, "%s/checkpoints.json", sv->run_dir);
    sb_ckstats_t st;
    sb_err_t err = { { 0 } };
    if (sb_ckstats_from_trace(&st, trace, &err) != 0 ||
        sb_ckstats_write_json(&st, out, &err) != 0)
        printf("  %-12s not written: %s\n", "checkpoints", err.msg);
    else
        sb_ckstats_print_table(&st, stdout);
    sb_ckstats_free(&st);
}

static void print_verdict(const supervisor_t *sv, const sb_verdict_t *v,
                          const sb_verdict_check_t *cuts, const char *cuts_ok_text)
{
    const sb_eo_report_t *r = &v->eo;
    char restored[512] = "";
    size_t used = 0;
    for (int i = 0; i < v->restores_count && used < sizeof restored - 32; i++)
        used += (size_t)snprintf(restored + used, sizeof restored - used, "%schk-%" PRId64,
                                 i ? ", " : "", v->restored_from[i]);
    printf("EXACTLY-ONCE: %s — %" PRId64 " in, %" PRId64 " expected out, %" PRId64
           " committed, %" PRId64 " lost, %" PRId64 " duplicated, %" PRId64 " out of order"
           "%s (%d crash%s, %" PRId64 " checkpoint%s completed%s%s)\n",
           v->eo_ok ? "OK" : "VIOLATED", v->records_in, r->expected, r->observed, r->lost,
           r->duplicated, r->out_of_order, r->unexpected ? " (+unexpected)" : "",
           v->crashes_seen, v->crashes_seen == 1 ? "" : "es", v->checkpoints_completed,
           v->checkpoints_completed == 1 ? "" : "s", v->restores_count ? ", restored from " : "", restored);
    if (!v->eo_ok) {
        char d[1024];
        sb_eo_report_describe(r, d, sizeof d);
        printf("  %-12s %s\n", "details", d);
    }
    if (v->counts_checked)
        print_check("keyed count", &v->counts, "final counts equal the true counts");
    if (v->channel_state_checked || v->inflight_restored > 0) {
        char replayed[128];
        snprintf(replayed, sizeof replayed, "%" PRId64 " in-flight records replayed by %d "
                 "subtask restore%s", v->inflight_restored, v->channel_states_restored,
                 v->channel_states_restored == 1 ? "" : "s");
        print_check("in-flight", &v->channel_state, replayed);
    }
    print_check("restores", &v->restores, "each used the newest completed checkpoint");
    if (v->fallbacks_checked || v->fallbacks_count > 0) {
        char fell[SB_VERDICT_DETAIL_BYTES_MAX + 64];
        snprintf(fell, sizeof fell, "%" PRId64 " completed checkpoint%s refused on restore%s%s",
                 v->fallbacks_count, v->fallbacks_count == 1 ? "" : "s",
                 v->fallback_first[0] ? "; first: " : "", v->fallback_first);
        print_check("fallbacks", &v->fallbacks, fell);
    }
    print_check("publishes", &v->publishes,
                "only completed checkpoints' output published, none twice");
    char crashes[64];
    snprintf(crashes, sizeof crashes, "%d seen, %d injected", v->crashes_seen,
             v->crashes_injected);
    print_check("crashes", &v->crashes, crashes);
    print_check("liveness", &v->liveness, "checkpoints completed after the last crash");
    print_check("leftovers", &v->leftovers, "no upload in progress, no temporary object");
    print_check("cuts", cuts, cuts_ok_text);
    if (!v->order_checked)
        printf("  %-12s not checked: records of a partition reach a sink along several paths\n",
               "order");
    double secs = (double)(sv->job_end_ns - sv->job_start_ns) / 1e9;
    printf("  %-12s %.0f records/s end to end (%" PRId64 " records in %.2f s, %d restart%s)\n",
           "throughput", secs > 0 ? (double)v->records_in / secs : 0.0, v->records_in, secs,
           sv->restarts, sv->restarts == 1 ? "" : "s");
    report_checkpoints(sv);
    printf("  %-12s %s\n", "run folder", sv->run_dir);
}

/* Faults that never fired: the run did not test what the scenario says. */
static void unfired_faults(const supervisor_t *sv, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < sv->s->faults_count; i++) {
        const sb_fault_t *f = &sv->s->faults[i];
        bool fired = false;
        /* the supervisor's own kills (on Flink, crash points too) */
        for (int k = 0; k < sv->kills_count; k++)
            fired |= sv->kills[k].fault == i && sv->kills[k].fired;
        if (f->trigger == SB_TRIGGER_STORAGE)
            fired = sb_store_fault_fired(sv->run_dir, i);
        else if (f->trigger == SB_TRIGGER_CRASH_POINT)
            fired |= sb_crashpoints_fired(sv->run_dir, i);
        else if (f->kind != SB_FAULT_CRASH)
            fired = sb_timeline_fired(&sv->timeline, i);
        if (!fired && used < len)
            used += (size_t)snprintf(buf + used, len - used, "%sfaults[%d] (line %d)",
                                     used ? ", " : "", i, f->line);
    }
}

/* The consistent-cut checker on the run's trace (verify/cut.h, also
 * `snapbed check`): it counts toward the verdict like any other check. */
static void check_cuts(const supervisor_t *sv, sb_verdict_check_t *c, char *ok_text, size_t len)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/trace.jsonl", sv->run_dir);
    sb_cut_report_t r;
    sb_err_t err = { { 0 } };
    if (sb_cut_check_file(path, &r, &err) != 0) {
        c->ok = false;
        snprintf(c->detail, sizeof c->detail, "cannot check: %s", err.msg);
        return;
    }
    c->ok = sb_cut_report_ok(&r);
    sb_cut_report_summary(&r, c->ok ? ok_text : c->detail, c->ok ? len : sizeof c->detail);
    if (c->ok) /* summary.json and the report show what was proven */
        snprintf(c->detail, sizeof c->detail, "%s", ok_text);
}

/* What differs by engine (scenario engine:). The snapbed engine's
 * services (the embedded Kafka, the proxies) are started by run() itself. */
typedef struct engine_ops {
    /* Usage and environment errors, before anything starts; kafka is
     * --kafka or NULL. */
    int (*preflight)(const sb_scenario_t *s, const char *kafka, sb_err_t *err);
    int (*start)(supervisor_t *sv, sb_err_t *err);   /* before the input */
    int (*run_job)(supervisor_t *sv, sb_err_t *err);
    void (*stop)(supervisor_t *sv);                  /* every path */
    bool cuts;      /* the trace has the records and barriers cuts are made of */
    bool own_kafka; /* without --kafka it starts a real Kafka and tells the fault
                       timeline how to reach its brokers (checked by start) */
} engine_ops_t;

static const engine_ops_t engines[] = {
    [SB_ENGINE_SNAPBED] = { NULL, NULL, run_job, NULL, true, false },
    [SB_ENGINE_FLINK] = { sb_flink_preflight, sb_flink_start, sb_flink_run_job, sb_flink_stop,
                          false, true },
};
_Static_assert(sizeof engines / sizeof engines[0] == SB_ENGINE_COUNT_, "every engine runs");

static int verify_and_report(supervisor_t *sv, sb_err_t *err)
{
    if (!sv->o->quiet)
        fprintf(stderr, "verifying: reading the input back and every published object\n");
    sb_verdict_t *v = calloc(1, sizeof *v);
    sb_verdict_params_t vp = { sv->s, sv->run_dir, sv->sink_uri, sv->checkpoints_uri,
                               sv->run_id, &sv->input, sv->kills_sent + crash_points_fired(sv),
                               sv->s->engine };
    if (sb_verdict_compute(&vp, v, err) != 0) {
        free(v);
        return -1;
    }
    char unfired[512];
    unfired_faults(sv, unfired, sizeof unfired);
    sb_verdict_check_t cuts;
    char cuts_ok_text[SB_VERDICT_DETAIL_BYTES_MAX];
    if (engines[sv->s->engine].cuts) {
        check_cuts(sv, &cuts, cuts_ok_text, sizeof cuts_ok_text);
    } else {
        cuts.ok = true;
        snprintf(cuts_ok_text, sizeof cuts_ok_text, "not checked on engine: %s: the cut "
                 "checker reads snapbed's own trace of records and barriers",
                 sb_run_engine_name(sv->s->engine));
        snprintf(cuts.detail, sizeof cuts.detail, "%s", cuts_ok_text);
    }
    bool ok = sb_verdict_ok(v) && cuts.ok;
    bool met = ok == sv->s->expect_exactly_once && unfired[0] == '\0';
    print_verdict(sv, v, &cuts, cuts_ok_text);
    if (unfired[0] != '\0')
        printf("  %-12s %s never fired: the job finished first\n", "faults", unfired);
    if (!sv->s->expect_exactly_once)
        printf("  %-12s the scenario expects a violation (negative control): %s\n", "expect",
               ok ? "NOT FOUND — the checker missed it" : "found, as it must be");
    int rc = write_summary(sv, v, &cuts, met, unfired, err);
    sb_trace_emit(&sv->trace, "run_finished",
                  json_pack("{s:b,s:b}", "verified_ok", ok, "expectation_met", met));
    free(v);
    if (rc != 0)
        return -1;
    return met ? 0 : 1;
}

/* ------------------------------------------------------------ proxy */

static bool has_network_faults(const sb_scenario_t *s, bool kafka)
{
    for (int i = 0; i < s->faults_count; i++)
        if (s->faults[i].kind == SB_FAULT_NETWORK && s->faults[i].network.kafka == kafka)
            return true;
    return false;
}

/* What went through a fault proxy and what its toxics did: evidence in
 * the trace that the faults were really injected. */
static void trace_proxy_stats(supervisor_t *sv, const char *toward, sb_proxy_t *p)
{
    sb_proxy_stats_t st;
    sb_proxy_stats(p, &st);
    sb_trace_emit(&sv->trace, "proxy_stats",
                  json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "toward", toward, "connections",
                            (json_int_t)st.connections_accepted, "bytes_up",
                            (json_int_t)st.bytes_up, "bytes_down", (json_int_t)st.bytes_down,
                            "chunks_delayed", (json_int_t)st.chunks_delayed, "resets",
                            (json_int_t)(st.resets_after_bytes + st.resets_random),
                            "bandwidth_waits", (json_int_t)st.bandwidth_waits));
}

/* With network faults toward Kafka, a plain TCP proxy stands in front of
 * each broker of the bootstrap list, and the workers' consumers connect
 * through them (SNAPBED_KAFKA_REDIRECT, read by kafka.c); the supervisor's
 * own producer and read-back go direct. */
static int start_kafka_proxies(supervisor_t *sv, sb_err_t *err)
{
    if (!has_network_faults(sv->s, true))
        return 0;
    char list[sizeof sv->input.bootstrap];
    snprintf(list, sizeof list, "%s", sv->input.bootstrap);
    size_t used = 0;
    char *save = NULL;
    for (char *b = strtok_r(list, ",", &save); b != NULL; b = strtok_r(NULL, ",", &save)) {
        char host[256];
        int port = 0;
        if (sscanf(b, "%255[^:]:%d", host, &port) != 2)
            return sb_err_set(err, "cannot read broker address '%s' for the Kafka proxy", b);
        if (sv->kafka_proxies_count == SB_TIMELINE_BROKERS_MAX)
            return sb_err_set(err, "more than %d brokers to proxy", SB_TIMELINE_BROKERS_MAX);
        sb_proxy_t *p = sb_proxy_start(host, port, 0, sv->s->seed, err);
        if (p == NULL)
            return sb_err_wrap(err, "starting the fault proxy toward Kafka broker %s", b);
        sv->kafka_proxies[sv->kafka_proxies_count++] = p;
        used += (size_t)snprintf(sv->worker_kafka_redirect + used,
                                 sizeof sv->worker_kafka_redirect - used, "%s%d>%d",
                                 used ? "," : "", port, sb_proxy_port(p));
    }
    sb_trace_emit(&sv->trace, "proxy_started",
                  json_pack("{s:s,s:s}", "toward", sv->input.bootstrap, "redirect",
                            sv->worker_kafka_redirect));
    return 0;
}

/* With network faults toward S3, the workers reach S3 through the fault
 * proxy (HTTP mode); the supervisor's own checks still go direct. */
static int start_s3_proxy(supervisor_t *sv, sb_err_t *err)
{
    if (!has_network_faults(sv->s, false))
        return 0;
    const char *endpoint = getenv("S3_ENDPOINT");
    char host[256];
    int port = 0;
    if (endpoint == NULL || sscanf(endpoint, "http://%255[^:/]:%d", host, &port) != 2)
        return sb_err_set(err, "network faults toward s3 need S3_ENDPOINT as http://HOST:PORT "
                          "(got '%s')", endpoint ? endpoint : "");
    sv->s3_proxy = sb_proxy_start(host, port, 0, sv->s->seed, err);
    if (sv->s3_proxy == NULL)
        return sb_err_wrap(err, "starting the fault proxy toward %s", endpoint);
    sb_proxy_toxics_t t;
    memset(&t, 0, sizeof t);
    t.http = true;
    t.http_error_status = 503;
    if (sb_proxy_set_toxics(sv->s3_proxy, &t, err) != 0)
        return -1;
    snprintf(sv->worker_s3_endpoint, sizeof sv->worker_s3_endpoint, "http://127.0.0.1:%d",
             sb_proxy_port(sv->s3_proxy));
    sb_trace_emit(&sv->trace, "proxy_started",
                  json_pack("{s:s,s:s}", "toward", endpoint, "listen", sv->worker_s3_endpoint));
    return 0;
}

/* ------------------------------------------------------------ stores */

/* s3.* keys of the scenario override the environment, for this process and
 * the workers it starts (which is how credentials reach them: never through
 * a file in the run folder). */
static void apply_s3_settings(const sb_scenario_t *s)
{
    const char *pairs[][2] = {
        { "S3_ENDPOINT", s->s3_endpoint },
        { "AWS_REGION", s->s3_region },
        { "AWS_ACCESS_KEY_ID", s->s3_access_key },
        { "AWS_SECRET_ACCESS_KEY", s->s3_secret_key },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i][1][0] != '\0')
            setenv(pairs[i][0], pairs[i][1], 1);
}

/* Before anything runs: can the s3:// stores be reached, with these
 * credentials, in existing buckets? One sentence when not. */
static int preflight_store(const char *what, const char *uri, sb_err_t *err)
{
    if (strncmp(uri, "s3://", 5) != 0)
        return 0; /* file:// folders are created as needed */
    sb_store_t st;
    if (sb_store_open(&st, uri, "/", err) != 0)
        return sb_err_wrap(err, "%s", what);
    int rc = sb_store_check(&st, err);
    sb_store_close(&st);
    if (rc != 0)
        return sb_err_wrap(err, "%s %s", what, uri);
    return 0;
}

static int preflight(const run_opts_t *o, const sb_scenario_t *s, sb_err_t *err)
{
    if (engines[s->engine].preflight != NULL && engines[s->engine].preflight(s, o->kafka, err) != 0)
        return -1;
    const char *sink = o->sink ? o->sink : s->sink_uri;
    const char *cps = o->checkpoints ? o->checkpoints : s->checkpoints_dir;
    bool uses_s3 = strncmp(sink, "s3://", 5) == 0 || strncmp(cps, "s3://", 5) == 0;
    bool own_kafka = o->kafka == NULL && engines[s->engine].own_kafka;
    if (!own_kafka && sb_timeline_check(s, o->kafka == NULL, uses_s3, err) != 0)
        return -1;
    if (sb_diskloss_check(s, sink, cps, err) != 0)
        return -1;
    if (preflight_store("sink", o->sink ? o->sink : s->sink_uri, err) != 0)
        return -1;
    return preflight_store("checkpoints", o->checkpoints ? o->checkpoints : s->checkpoints_dir,
                           err);
}

/* After the run folder exists, with the run's own locations: a file://
 * store that cannot take a write (read-only, full, not a folder) is found
 * now, not after every worker attempt failed on it. */
/* Removes the folders of `path` below `kept` (a prefix of it), deepest
 * first: a refused location is left as it was found. rmdir only removes
 * empty folders, so nothing else can go. */
static void remove_created_dirs(char *path, size_t kept)
{
    for (size_t n = strlen(path); n > kept; n--) {
        if (path[n] != '/' && path[n] != '\0')
            continue;
        char saved = path[n];
        path[n] = '\0';
        rmdir(path);
        path[n] = saved;
    }
}

static int preflight_run_store(const supervisor_t *sv, const char *what, const char *uri,
                               sb_err_t *err)
{
    if (strncmp(uri, "file://", 7) != 0)
        return 0; /* s3:// was checked before the run folder was made */
    char dir[2200], existing[2200];
    const char *rest = uri + 7;
    snprintf(dir, sizeof dir, "%s%s%s", rest[0] == '/' ? "" : sv->run_dir,
             rest[0] == '/' ? "" : "/", rest);
    memcpy(existing, dir, sizeof existing);
    size_t kept = strlen(existing);
    struct stat sb;
    while (kept > 1 && stat(existing, &sb) != 0) { /* the deepest folder that exists */
        char *slash = memrchr(existing, '/', kept - 1);
        kept = slash != NULL && slash > existing ? (size_t)(slash - existing) : 1;
        existing[kept] = '\0';
    }
    sb_store_t st;
    int rc = sb_store_open(&st, uri, sv->run_dir, err);
    if (rc == 0) {
        rc = sb_store_check(&st, err);
        sb_store_close(&st);
    }
    if (rc != 0) {
        remove_created_dirs(dir, kept);
        return sb_err_wrap(err, "%s %s", what, uri);
    }
    return 0;
}

static int preflight_run_stores(const supervisor_t *sv, sb_err_t *err)
{
    if (preflight_run_store(sv, "sink", sv->sink_uri, err) != 0)
        return -1;
    return preflight_run_store(sv, "checkpoints", sv->checkpoints_uri, err);
}

/* --unaligned, --aligned-timeout, --trace and --seed override the scenario:
 * read here, applied once by sb_scenario_apply_overrides; the run folder's
 * scenario.yaml holds the effective values, which the worker reads. */
static int apply_overrides(run_opts_t *o, sb_scenario_t *s, sb_err_t *err)
{
    sb_scenario_overrides_t *ov = &o->overrides;
    *ov = (sb_scenario_overrides_t){ .unaligned = o->unaligned, .aligned_timeout_ns = -1,
                                     .trace_records = -1, .seed_set = o->seed_set,
                                     .seed = o->seed };
    if (o->trace != NULL) {
        if (strcmp(o->trace, "records") != 0 && strcmp(o->trace, "checkpoints") != 0)
            return sb_err_set(err, "--trace takes checkpoints or records, got '%s'", o->trace);
        ov->trace_records = strcmp(o->trace, "records") == 0;
    }
    char why[SB_SCENARIO_TEXT_BYTES_MAX];
    if (o->sink != NULL && sb_scenario_uri_check(o->sink, why, sizeof why) != 0)
        return sb_err_set(err, "--sink: %s", why);
    if (o->checkpoints != NULL && sb_scenario_uri_check(o->checkpoints, why, sizeof why) != 0)
        return sb_err_set(err, "--checkpoints: %s", why);
    if (o->aligned_timeout != NULL &&
        sb_duration_parse_ns(o->aligned_timeout, &ov->aligned_timeout_ns) != 0)
        return sb_err_set(err, "--aligned-timeout needs a duration such as 50ms or 1s, got '%s'",
                          o->aligned_timeout);
    return sb_scenario_apply_overrides(s, ov, err);
}

/* After the verdict, with the trace closed: the text trace of a run that
 * failed (its expectation, or the job itself), so that a CI log can be read
 * without the report, then report.html. They describe the run and do not
 * decide it: a failure to write them is one line, not a failed run. */
static void describe_run(const supervisor_t *sv, int rc)
{
    char trace[1100];
    sb_err_t err = { { 0 } };
    snprintf(trace, sizeof trace, "%s/trace.jsonl", sv->run_dir);
    if (rc != 0) {
        printf("\ntrace of the failed run (%s):\n", trace);
        if (sb_texttrace_print(trace, stdout, SB_TEXTTRACE_WIDTH_DEFAULT, &err) != 0)
            printf("  %-12s not drawn: %s\n", "trace", err.msg);
        printf("\n");
    }
    /* The pictures first (viz/timeline.svg, viz/chk-N-*.svg): the report
     * inlines and links them. */
    sb_runfolder_finish(sv->run_dir, stdout);
}

/* --------------------------------------------------------------- main */

/* Stops the fault proxies started so far, on every path out of run(). */
static void stop_proxies(supervisor_t *sv, bool traced)
{
    if (sv->s3_proxy != NULL && traced)
        trace_proxy_stats(sv, "s3", sv->s3_proxy);
    sb_proxy_stop(sv->s3_proxy);
    sv->s3_proxy = NULL;
    for (int i = 0; i < sv->kafka_proxies_count; i++) {
        if (traced)
            trace_proxy_stats(sv, "kafka", sv->kafka_proxies[i]);
        sb_proxy_stop(sv->kafka_proxies[i]);
    }
    sv->kafka_proxies_count = 0;
}

/* The run folder exists (make_run_dir, before anything ran). */
static int run(supervisor_t *sv, sb_err_t *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/trace.jsonl", sv->run_dir);
    if (sb_trace_open(&sv->trace, path, err) != 0)
        return -1;
    sb_trace_emit(&sv->trace, "run_started",
                  json_pack("{s:s,s:I,s:s}", "scenario", sv->s->name, "seed",
                            (json_int_t)sv->s->seed, "mode", sb_mode_name(sv->s->mode)));
    snprintf(path, sizeof path, "%s/progress.bin", sv->run_dir);
    sv->progress = sb_progress_map(path, 1, err);
    if (sv->progress == NULL)
        return -1;
    sb_kafka_mock_t mock = { 0 };
    const engine_ops_t *eng = &engines[sv->s->engine];
    int rc = eng->start != NULL ? eng->start(sv, err) : 0;
    if (rc == 0)
        rc = prepare_input(sv, &mock, err);
    if (rc == 0)
        rc = start_s3_proxy(sv, err);
    if (rc == 0)
        rc = start_kafka_proxies(sv, err);
    if (rc == 0) {
        sb_timeline_init(&sv->timeline, sv->s, &sv->trace, sv->progress, mock.cluster,
                         sv->input.topic, sv->s3_proxy);
        sb_timeline_set_kafka_proxies(&sv->timeline, sv->kafka_proxies, sv->kafka_proxies_count);
        sb_sv_plan_kills(sv);
        char mode[96];
        if (!sv->s->unaligned)
            snprintf(mode, sizeof mode, "%s, aligned", sb_mode_name(sv->s->mode));
        else if (sv->s->aligned_checkpoint_timeout_ns == 0)
            snprintf(mode, sizeof mode, "%s, unaligned", sb_mode_name(sv->s->mode));
        else
            snprintf(mode, sizeof mode, "%s, aligned then unaligned after %" PRId64 " ms",
                     sb_mode_name(sv->s->mode),
                     (int64_t)(sv->s->aligned_checkpoint_timeout_ns / SB_NS_PER_MS));
        if (!sv->o->quiet)
            fprintf(stderr, "running %s: checkpoints every %" PRId64 " ms (%s), %d fault%s planned; "
                    "run folder %s\n", sv->s->name, (int64_t)(sv->s->checkpoint_interval_ns / SB_NS_PER_MS),
                    mode, sv->s->faults_count,
                    sv->s->faults_count == 1 ? "" : "s", sv->run_dir);
        rc = eng->run_job(sv, err);
        sb_timeline_finish(&sv->timeline);
        stop_proxies(sv, true);
        if (rc == 0)
            rc = verify_and_report(sv, err);
    }
    stop_proxies(sv, false); /* one that started before another failed to */
    sb_kafka_mock_stop(&mock);
    if (eng->stop != NULL)
        eng->stop(sv); /* after the verdict: it reads the topic back */
    sb_progress_unmap(sv->progress);
    sb_trace_close(&sv->trace);
    if (sv->job_start_ns != 0) /* else nothing ran: nothing to describe */
        describe_run(sv, rc);
    return rc;
}

int sb_cmd_run(int argc, char **argv)
{
    /* Several scenarios, a folder, --seeds or --junit: the suite runner. */
    if (sb_suite_wanted(argc, argv))
        return sb_cmd_suite(argc, argv);
    run_opts_t o;
    int pr = parse_opts(argc, argv, &o);
    if (pr != 0)
        return pr > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    supervisor_t *sv = calloc(1, sizeof *sv);
    sv->s = calloc(1, sizeof *sv->s);
    sv->o = &o;
    if (o.kafka != NULL)
        snprintf(sv->kafka, sizeof sv->kafka, "%s", o.kafka);
    sv->tty = isatty(STDERR_FILENO);
    sv->trace.fd = -1;
    sb_err_t err = { { 0 } };
    int status;
    if (sb_scenario_load(sv->s, o.scenario_path, &err) != 0) {
        fprintf(stderr, "snapbed run: %s\n", err.msg);
        status = SB_EXIT_USAGE;
    } else if (sv->s->runs == SB_RUNS_SIM_ONLY) {
        fprintf(stderr, "snapbed run: %s is for snapbed sim only: %s\n", o.scenario_path,
                sv->s->runs_why);
        status = SB_EXIT_USAGE;
    } else if (o.out_dir != NULL && sb_cli_out_dir_check("run folder", o.out_dir, &err) != 0) {
        fprintf(stderr, "snapbed run: %s.\n", err.msg);
        status = SB_EXIT_USAGE;
    } else if (apply_overrides(&o, sv->s, &err) != 0) {
        fprintf(stderr, "snapbed run: %s\n", err.msg);
        status = SB_EXIT_USAGE;
    } else if (apply_s3_settings(sv->s), preflight(&o, sv->s, &err) != 0) {
        fprintf(stderr, "snapbed run: %s\n", err.msg);
        status = SB_EXIT_USAGE;
    } else if (make_run_dir(sv, &err) != 0 || preflight_run_stores(sv, &err) != 0) {
        fprintf(stderr, "snapbed run: %s\n", err.msg);
        status = SB_EXIT_USAGE;
    } else {
        if (sv->s->sim.given)
            fprintf(stderr, "snapbed run: note: the sim: section of %s is the simulator's; "
                    "a real run ignores it\n", o.scenario_path);
        struct sigaction sa = { .sa_handler = run_on_signal }, old[3];
        const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &sa, &old[i]);
        int rc = run(sv, &err);
        for (int i = 0; i < 3; i++)
            sigaction(sigs[i], &old[i], NULL);
        if (rc < 0)
            fprintf(stderr, "snapbed run: %s\n", err.msg);
        status = rc == 0 ? SB_EXIT_OK : SB_EXIT_FAILED;
    }
    free(sv->s);
    free(sv);
    return status;
}
