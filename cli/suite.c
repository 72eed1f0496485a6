/* suite.c — `snapbed run PATH... [--seeds N] [--jobs J] [--junit FILE]`: a suite.
 *
 * A suite is a list of cases, one per scenario file and seed. Each case runs
 * as its own child, `snapbed run FILE --seed S -o DIR/<scenario>-seed<S> -q`,
 * so a case that crashes, hangs or leaks cannot disturb the next one, and a
 * failing case replays alone with exactly the command the suite prints.
 * The suite only moves data: it captures each child's stdout and stderr into
 * <case dir>.log, reads the child's summary.json, and reports (a line per
 * case, a table, a totals line, JUnit XML). With --jobs J, up to J
 * children run at once; they share nothing but the CPUs (each has its own
 * run folder, embedded Kafka and proxies on ports they pick), and the
 * suite's one thread reads every pipe, so no child blocks and no line mixes.
 * Cases start in the suite's order and are reported in it (table, JUnit);
 * only the line per case comes as each one ends.
 *
 * Invariants: a case that ran ends as PASS (the child exited 0), FAIL or
 * ERROR (bad input or environment: the scenario does not load, the child
 * exited 2 or could not start); the totals line counts every case that ran
 * exactly once; the log gets every byte a child wrote (the in-memory copies
 * are bounded: a head of stdout, a tail of stderr). Each child runs in its
 * own process group, with its workers, so that a time-out or a Ctrl-C of the
 * suite reaches all of them. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli_fs.h"
#include "commands.h"
#include "err.h"
#include "scenario.h"

#define SUITE_CASES_MAX 10000
#define SUITE_FILES_MAX SUITE_CASES_MAX
#define SUITE_SEEDS_MAX SUITE_CASES_MAX
#define SUITE_PATH_BYTES 1024
#define SUITE_STEM_BYTES (SB_SCENARIO_NAME_BYTES_MAX + 8)
#define SUITE_STEM_TRIES_MAX 1000       /* name, name-2, … for equal names */
#define SUITE_HEADLINE_BYTES 512
#define SUITE_REPLAY_BYTES 4096
#define SUITE_STDOUT_HEAD_BYTES (16 * 1024) /* the verdict is ~1 KB */
#define SUITE_STDERR_TAIL_BYTES (4 * 1024)  /* error sentences come last */
#define SUITE_READ_BYTES (64 * 1024)
#define SUITE_TICK_MS 100
#define SUITE_CASE_TIMEOUT_NS (3600 * SB_NS_PER_S) /* run.c's stall watchdog
                                                      normally ends a hung case
                                                      long before */
#define SUITE_DRAIN_GRACE_NS (2 * SB_NS_PER_S) /* an orphan holding the pipe */
#define SUITE_INTERRUPT_GRACE_NS (5 * SB_NS_PER_S) /* then SIGKILL */
#define SUITE_CASE_DIR_BYTES (SUITE_PATH_BYTES + SUITE_STEM_BYTES + 32)
#define SUITE_NAME_COLUMN_MAX 32
#define SUITE_CHILD_ARGS_MAX 32
#define SUITE_JOBS_MAX 64               /* cases running at once (--jobs) */

typedef enum case_result {
    CASE_NOT_RUN = 0, /* the suite was interrupted first */
    CASE_PASS,
    CASE_FAIL,
    CASE_ERROR,
    CASE_SKIPPED,     /* for snapbed sim only: not a real run's scenario */
} case_result_t;

/* What summary.json says; -1 = absent (the child failed before it). */
typedef struct case_summary {
    bool present;
    int64_t expected, committed, lost, duplicated;
    int64_t crashes_seen, checkpoints_completed;
    int expectation_met;                  /* 1, 0, or -1 when absent */
    char violation[SUITE_HEADLINE_BYTES]; /* first violated check, or "" */
    char error[SUITE_HEADLINE_BYTES];     /* why it could not be read, or "" */
} case_summary_t;

typedef struct suite_case {
    char file[SUITE_PATH_BYTES];          /* as the user named it */
    char name[SUITE_STEM_BYTES];          /* the scenario's name, made unique
                                             across files (name-2, …) */
    uint64_t seed;
    bool seed_known;                      /* false: unloadable, no --seed */
    char dir[SUITE_CASE_DIR_BYTES];
    char log[SUITE_CASE_DIR_BYTES + 8];
    char load_error[SB_ERR_MSG_BYTES_MAX];/* "" = the scenario loaded */
    bool skip;                            /* for snapbed sim only (headline: why) */
    case_result_t result;
    double seconds;                       /* wall time of the child */
    char headline[SUITE_HEADLINE_BYTES];  /* why it did not pass */
    char *verdict;                        /* child's stdout (head), non-PASS */
    char *stderr_tail;                    /* non-PASS only */
    case_summary_t sum;
} suite_case_t;

typedef struct suite_opts {
    const char *cmd;                      /* argv[0]: "run" (or "suite") */
    char **paths;
    int paths_count;
    const char *out_dir;
    const char *junit;
    const char *kafka;
    const char *sink;
    const char *checkpoints;
    bool unaligned;                       /* --unaligned, passed to every case */
    const char *aligned_timeout;          /* --aligned-timeout D, likewise */
    const char *trace;                    /* --trace LEVEL, likewise */
    uint64_t seed;
    bool seed_set;
    int seeds;                            /* 0 = not given */
    int jobs;                             /* cases at once, 1..SUITE_JOBS_MAX */
    bool quiet;
} suite_opts_t;

typedef struct suite {
    char (*files)[SUITE_PATH_BYTES];
    int files_count;
    int files_cap;
    suite_case_t *cases;
    int cases_count;
    int cases_cap;
    char out_dir[SUITE_PATH_BYTES];
    int64_t start_ns;
    int64_t end_ns;
} suite_t;

/* The first SIGINT / SIGTERM / SIGHUP: forwarded to the running cases, and
 * no further case starts. */
static volatile sig_atomic_t suite_signal;

static void suite_on_signal(int sig)
{
    if (suite_signal == 0)
        suite_signal = sig;
}

/* -------------------------------------------------------------- usage */

void sb_suite_usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed run PATH... [--seeds N | --seed S] [--jobs J] [--junit FILE]\n"
            "                   [-o DIR] [-q] [--kafka HOST:PORT] [--sink URI]\n"
            "                   [--checkpoints URI]\n"
            "\n"
            "With more than one PATH, a folder (every *.yaml in it, sorted, not recursive),\n"
            "--seeds, --jobs or --junit, `snapbed run` runs a suite: each case (scenario x\n"
            "seed) runs as its own `snapbed run FILE --seed S -o DIR/<scenario>-seed<S> -q`,\n"
            "whose output goes to DIR/<scenario>-seed<S>.log. The suite prints a line per case\n"
            "(with the command that replays a failing one), a table, and the totals line\n"
            "`suite: N passed, M failed` (M counts every case that did not pass).\n"
            "\n"
            "suite options:\n"
            "  --seeds N            run each scenario N times (at most %d), with the seeds\n"
            "                       input.seed, input.seed+1, ..., input.seed+N-1\n"
            "  --seed S             run each scenario once, with the seed S (default: once,\n"
            "                       with its own input.seed)\n"
            "  --jobs J             run up to J cases at once (1 to %d; default 1). Each\n"
            "                       case is its own process tree, run folder and embedded\n"
            "                       Kafka; a line per case is printed as it ends, the\n"
            "                       table and the JUnit report keep the suite's order.\n"
            "                       Cases share the CPUs: keep J at most the core count\n"
            "                       (timed faults and pacing assume a core per case)\n"
            "  --junit FILE         also write a JUnit XML report to FILE\n"
            "  -o, --out DIR        suite folder (default out/suite-<timestamp>); must not\n"
            "                       exist or be empty\n"
            "  -q, --quiet          no line per case: only the table and the totals\n"
            "  --kafka, --sink, --checkpoints, --unaligned, --aligned-timeout, --trace\n"
            "                       passed to every case\n"
            "\n"
            "A case passes when its `snapbed run` exits 0. A case is killed after %d s.\n"
            "suite exit status: 0 every case passed; 1 a case failed (expectation not met,\n"
            "job failed, killed, timed out) or the suite was interrupted; else 2 when a\n"
            "case was bad input or environment (its scenario does not load, or its\n"
            "`snapbed run` exited 2) or the JUnit report could not be written; 2 also on\n"
            "bad usage (nothing ran).\n",
            SUITE_SEEDS_MAX, SUITE_JOBS_MAX, (int)(SUITE_CASE_TIMEOUT_NS / SB_NS_PER_S));
}

/* ------------------------------------------------------------ options */

/* strtoull would take "-1" and " 7": a seed is digits only. */
static int parse_u64(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

enum { OPT_SEED = 256, OPT_SEEDS, OPT_JOBS, OPT_JUNIT, OPT_KAFKA, OPT_SINK, OPT_CHECKPOINTS,
       OPT_UNALIGNED, OPT_ALIGNED_TIMEOUT, OPT_TRACE };

#define SUITE_SHORT_OPTS "o:qh"

/* run.c's options plus --seeds, --jobs and --junit. */
static const struct option suite_options[] = {
    { "out", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "seed", required_argument, NULL, OPT_SEED },
    { "seeds", required_argument, NULL, OPT_SEEDS },
    { "jobs", required_argument, NULL, OPT_JOBS },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "kafka", required_argument, NULL, OPT_KAFKA },
    { "sink", required_argument, NULL, OPT_SINK },
    { "checkpoints", required_argument, NULL, OPT_CHECKPOINTS },
    { "unaligned", no_argument, NULL, OPT_UNALIGNED },
    { "aligned-timeout", required_argument, NULL, OPT_ALIGNED_TIMEOUT },
    { "trace", required_argument, NULL, OPT_TRACE },
    { NULL, 0, NULL, 0 },
};

/* Parses like the suite does, silently, so that an option's value (`-o
 * DIR`) is never mistaken for a PATH that is a folder. An argv that does
 * not parse is not a suite: run.c's parser then says what is wrong. */
bool sb_suite_wanted(int argc, char **argv)
{
    int opterr_saved = opterr;
    opterr = 0;
    optind = 0;
    bool wanted = false, bad = false;
    int c;
    while ((c = getopt_long(argc, argv, SUITE_SHORT_OPTS, suite_options, NULL)) != -1) {
        wanted |= c == OPT_SEEDS || c == OPT_JOBS || c == OPT_JUNIT;
        bad |= c == '?' || c == ':';
    }
    wanted |= argc - optind > 1;
    for (int i = optind; i < argc && !wanted; i++) {
        struct stat sb;
        wanted = stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode);
    }
    opterr = opterr_saved;
    optind = 0; /* the next parser starts afresh */
    return wanted && !bad;
}

static int suite_parse_opts(int argc, char **argv, suite_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->cmd = argc > 0 ? argv[0] : "run";
    o->jobs = 1;
    optind = 0; /* glibc: a full restart, whether or not argv was parsed before */
    int c;
    while ((c = getopt_long(argc, argv, SUITE_SHORT_OPTS, suite_options, NULL)) != -1) {
        uint64_t n = 0;
        switch (c) {
        case 'o': o->out_dir = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': sb_suite_usage(stdout); return 1;
        case OPT_JUNIT: o->junit = optarg; break;
        case OPT_KAFKA: o->kafka = optarg; break;
        case OPT_SINK: o->sink = optarg; break;
        case OPT_CHECKPOINTS: o->checkpoints = optarg; break;
        case OPT_UNALIGNED: o->unaligned = true; break;
        case OPT_ALIGNED_TIMEOUT: o->aligned_timeout = optarg; break;
        case OPT_TRACE: o->trace = optarg; break;
        case OPT_SEED:
            if (parse_u64(optarg, &o->seed) != 0) {
                fprintf(stderr, "snapbed %s: --seed needs a non-negative integer, got '%s'.\n",
                        o->cmd, optarg);
                return -1;
            }
            o->seed_set = true;
            break;
        case OPT_SEEDS:
            if (parse_u64(optarg, &n) != 0 || n < 1 || n > SUITE_SEEDS_MAX) {
                fprintf(stderr, "snapbed %s: --seeds needs a count from 1 to %d, got '%s'.\n",
                        o->cmd, SUITE_SEEDS_MAX, optarg);
                return -1;
            }
            o->seeds = (int)n;
            break;
        case OPT_JOBS:
            if (parse_u64(optarg, &n) != 0 || n < 1 || n > SUITE_JOBS_MAX) {
                fprintf(stderr, "snapbed %s: --jobs needs a count of cases to run at once, "
                        "from 1 to %d, got '%s'.\n", o->cmd, SUITE_JOBS_MAX, optarg);
                return -1;
            }
            o->jobs = (int)n;
            break;
        default:
            fprintf(stderr, "snapbed %s: try `snapbed run --help`.\n", o->cmd);
            return -1;
        }
    }
    o->paths = argv + optind;
    o->paths_count = argc - optind;
    if (o->paths_count < 1) {
        fprintf(stderr, "snapbed %s: give at least one scenario file or folder.\n", o->cmd);
        return -1;
    }
    if (o->seed_set && o->seeds > 0) {
        fprintf(stderr, "snapbed %s: give --seed S (one seed) or --seeds N (N seeds from each "
                "scenario's input.seed), not both.\n", o->cmd);
        return -1;
    }
    if (o->kafka != NULL && strchr(o->kafka, ':') == NULL) {
        fprintf(stderr, "snapbed %s: --kafka needs HOST:PORT, got '%s'.\n", o->cmd, o->kafka);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------- the files */

static int cmp_path(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int files_add(suite_t *st, const char *path, sb_err_t *err)
{
    if (st->files_count == SUITE_FILES_MAX)
        return sb_err_set(err, "more than %d scenario files; split the suite", SUITE_FILES_MAX);
    if (strlen(path) >= SUITE_PATH_BYTES)
        return sb_err_set(err, "scenario path longer than %d bytes: %.80s...",
                          SUITE_PATH_BYTES - 1, path);
    if (st->files_count == st->files_cap) {
        int cap = st->files_cap ? st->files_cap * 2 : 16;
        void *grown = realloc(st->files, (size_t)cap * sizeof st->files[0]);
        if (grown == NULL)
            return sb_err_set(err, "out of memory listing %d scenario files", cap);
        st->files = grown;
        st->files_cap = cap;
    }
    snprintf(st->files[st->files_count++], SUITE_PATH_BYTES, "%s", path);
    return 0;
}

/* Every *.yaml of a folder, sorted; hidden files are skipped, as a shell
 * glob would. Anything else that is not a folder is kept, so that a broken
 * link shows up as a case that does not load rather than vanishing. */
static int files_from_folder(suite_t *st, const char *dir, sb_err_t *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return sb_err_errno(err, errno, "cannot read the folder %s", dir);
    int first = st->files_count;
    size_t dir_len = strlen(dir);
    const char *sep = dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/";
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[SUITE_PATH_BYTES + 256];
        snprintf(path, sizeof path, "%s%s%s", dir, sep, e->d_name);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            continue;
        rc = files_add(st, path, err);
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = sb_err_errno(err, errno, "cannot read the folder %s", dir);
    closedir(d);
    if (rc != 0)
        return rc;
    if (st->files_count == first)
        return sb_err_set(err, "the folder %s holds no *.yaml scenario", dir);
    qsort(st->files + first, (size_t)(st->files_count - first), sizeof st->files[0], cmp_path);
    return 0;
}

static int suite_collect_files(const suite_opts_t *o, suite_t *st, sb_err_t *err)
{
    for (int i = 0; i < o->paths_count; i++) {
        const char *p = o->paths[i];
        struct stat sb;
        if (stat(p, &sb) != 0)
            return sb_err_errno(err, errno, "no scenario file or folder at %s", p);
        int rc = S_ISDIR(sb.st_mode) ? files_from_folder(st, p, err) : files_add(st, p, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* -------------------------------------------------------- the cases */

static bool stem_taken(const suite_t *st, const char *stem)
{
    for (int i = 0; i < st->cases_count; i++)
        if (strcmp(st->cases[i].name, stem) == 0)
            return true;
    return false;
}

/* Two files may share a scenario name (two folders): their case folders must
 * not, or the second child would find the first one's run there. */
static int unique_stem(const suite_t *st, const char *name, char *stem, size_t len,
                       sb_err_t *err)
{
    snprintf(stem, len, "%s", name);
    for (int i = 2; stem_taken(st, stem); i++) {
        if (i > SUITE_STEM_TRIES_MAX)
            return sb_err_set(err, "more than %d scenarios are named %s", SUITE_STEM_TRIES_MAX,
                              name);
        snprintf(stem, len, "%s-%d", name, i);
    }
    return 0;
}

static suite_case_t *cases_add(suite_t *st, sb_err_t *err)
{
    if (st->cases_count == SUITE_CASES_MAX) {
        sb_err_set(err, "more than %d cases (scenarios x seeds); split the suite",
                   SUITE_CASES_MAX);
        return NULL;
    }
    if (st->cases_count == st->cases_cap) {
        int cap = st->cases_cap ? st->cases_cap * 2 : 16;
        void *grown = realloc(st->cases, (size_t)cap * sizeof st->cases[0]);
        if (grown == NULL) {
            sb_err_set(err, "out of memory planning %d cases", cap);
            return NULL;
        }
        st->cases = grown;
        st->cases_cap = cap;
    }
    suite_case_t *c = &st->cases[st->cases_count++];
    memset(c, 0, sizeof *c);
    return c;
}

/* The scenario's name; for a file that does not load, its base name. */
static void name_of_file(const char *path, char *name, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
        n -= 5;
    snprintf(name, len, "%.*s", (int)n, base);
}

static int plan_file(const suite_opts_t *o, suite_t *st, const char *file, sb_scenario_t *s,
                     sb_err_t *err)
{
    sb_err_t load_err = { { 0 } };
    bool loaded = sb_scenario_load(s, file, &load_err) == 0;
    char name[SB_SCENARIO_NAME_BYTES_MAX];
    if (loaded)
        snprintf(name, sizeof name, "%s", s->name);
    else
        name_of_file(file, name, sizeof name);
    char stem[SUITE_STEM_BYTES];
    if (unique_stem(st, name, stem, sizeof stem, err) != 0)
        return -1;
    uint64_t first = o->seed_set ? o->seed : loaded ? s->seed : 0;
    int n = o->seeds > 0 ? o->seeds : 1;
    if (loaded && first > UINT64_MAX - (uint64_t)(n - 1)) {
        loaded = false;
        sb_err_set(&load_err, "%s: input.seed %" PRIu64 " + %d seeds overflows 64 bits", file,
                   first, n);
    }
    bool skip = loaded && s->runs == SB_RUNS_SIM_ONLY; /* one row: skipped, not failed */
    for (int k = 0; k < (loaded && !skip ? n : 1); k++) {
        suite_case_t *c = cases_add(st, err);
        if (c == NULL)
            return -1;
        snprintf(c->file, sizeof c->file, "%s", file);
        snprintf(c->name, sizeof c->name, "%s", stem);
        c->seed = first + (uint64_t)k;
        c->seed_known = loaded || o->seed_set;
        snprintf(c->load_error, sizeof c->load_error, "%s", loaded ? "" : load_err.msg);
        c->skip = skip;
        if (skip)
            snprintf(c->headline, sizeof c->headline, "for snapbed sim only: %s", s->runs_why);
        if (!c->seed_known)
            snprintf(c->dir, sizeof c->dir, "%s/%s", st->out_dir, stem);
        else
            snprintf(c->dir, sizeof c->dir, "%s/%s-seed%" PRIu64, st->out_dir, stem, c->seed);
        snprintf(c->log, sizeof c->log, "%s.log", c->dir);
    }
    return 0;
}

static int suite_plan(const suite_opts_t *o, suite_t *st, sb_err_t *err)
{
    sb_scenario_t *s = malloc(sizeof *s);
    if (s == NULL)
        return sb_err_set(err, "out of memory loading scenarios");
    int rc = 0;
    for (int i = 0; rc == 0 && i < st->files_count; i++)
        rc = plan_file(o, st, st->files[i], s, err);
    free(s);
    return rc;
}

/* ------------------------------------------------------ suite folder */

/* Names the suite folder; it is created once the cases are planned. */
static int suite_choose_out_dir(const suite_opts_t *o, suite_t *st, sb_err_t *err)
{
    if (o->out_dir != NULL) {
        if (strlen(o->out_dir) >= SUITE_PATH_BYTES - SUITE_STEM_BYTES - 64)
            return sb_err_set(err, "the suite folder path %.80s... is too long", o->out_dir);
        if (sb_cli_out_dir_check("the suite folder", o->out_dir, err) != 0)
            return -1;
        snprintf(st->out_dir, sizeof st->out_dir, "%s", o->out_dir);
        for (size_t n = strlen(st->out_dir); n > 1 && st->out_dir[n - 1] == '/'; n--)
            st->out_dir[n - 1] = '\0';
    } else {
        sb_cli_fresh_dir("suite", st->out_dir, sizeof st->out_dir);
    }
    return 0;
}

/* Fails before anything runs, not after an hour of cases. */
static int junit_check_writable(const char *path, sb_err_t *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return sb_err_set(err, "--junit %s is a folder; name a file", path);
    char copy[SUITE_PATH_BYTES];
    snprintf(copy, sizeof copy, "%s", path);
    const char *dir = dirname(copy);
    if (access(dir, W_OK) != 0)
        return sb_err_errno(err, errno, "cannot write the JUnit report %s in %s", path, dir);
    return 0;
}

/* ------------------------------------------------------------ replay */

/* Shell-quotes an argument unless it is made of harmless characters. */
static size_t append_arg(char *buf, size_t used, size_t len, const char *arg)
{
    bool plain = arg[0] != '\0' && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                               "QRSTUVWXYZ0123456789_./:=@%+,-") == strlen(arg);
    if (used >= len)
        return used;
    if (plain)
        return used + (size_t)snprintf(buf + used, len - used, " %s", arg);
    used += (size_t)snprintf(buf + used, len - used, " '");
    for (const char *p = arg; *p && used < len; p++)
        used += (size_t)snprintf(buf + used, len - used, *p == '\'' ? "'\\''" : "%c", *p);
    if (used < len)
        used += (size_t)snprintf(buf + used, len - used, "'");
    return used;
}

/* The command that runs one case alone, as the suite ran it. */
static void case_replay(const suite_opts_t *o, const suite_case_t *c, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "snapbed run");
    used = append_arg(buf, used, len, c->file);
    if (c->seed_known) {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
        used = append_arg(buf, used, len, "--seed");
        used = append_arg(buf, used, len, seed);
    }
    const char *pass[][2] = { { "--kafka", o->kafka }, { "--sink", o->sink },
                              { "--checkpoints", o->checkpoints },
                              { "--aligned-timeout", o->aligned_timeout },
                              { "--trace", o->trace } };
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        if (pass[i][1] != NULL) {
            used = append_arg(buf, used, len, pass[i][0]);
            used = append_arg(buf, used, len, pass[i][1]);
        }
    if (o->unaligned)
        append_arg(buf, used, len, "--unaligned");
}

/* ----------------------------------------------------------- capture */

/* A child's output while it runs: every byte goes to the log; stdout's
 * head (the verdict) and stderr's tail (the error sentence) stay in memory. */
typedef struct capture {
    int fd[2];                  /* read ends for stdout, stderr; -1 at EOF */
    int log_fd;
    char *head;                 /* SUITE_STDOUT_HEAD_BYTES + 1 */
    size_t head_len;
    char tail[SUITE_STDERR_TAIL_BYTES + 1];
    size_t tail_len;
    int log_errno;              /* first write error of the log, or 0 */
} capture_t;

static void capture_keep(capture_t *cap, int which, const char *data, size_t n)
{
    if (which == 0) {
        size_t room = SUITE_STDOUT_HEAD_BYTES - cap->head_len;
        size_t take = n < room ? n : room;
        memcpy(cap->head + cap->head_len, data, take);
        cap->head_len += take;
        cap->head[cap->head_len] = '\0';
        return;
    }
    if (n >= SUITE_STDERR_TAIL_BYTES) {
        memcpy(cap->tail, data + n - SUITE_STDERR_TAIL_BYTES, SUITE_STDERR_TAIL_BYTES);
        cap->tail_len = SUITE_STDERR_TAIL_BYTES;
    } else {
        size_t keep = cap->tail_len + n > SUITE_STDERR_TAIL_BYTES
                          ? SUITE_STDERR_TAIL_BYTES - n : cap->tail_len;
        memmove(cap->tail, cap->tail + cap->tail_len - keep, keep);
        memcpy(cap->tail + keep, data, n);
        cap->tail_len = keep + n;
    }
    cap->tail[cap->tail_len] = '\0';
}

static void capture_log(capture_t *cap, const char *data, size_t n)
{
    while (n > 0 && cap->log_errno == 0) {
        ssize_t w = write(cap->log_fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            cap->log_errno = errno;
            return;
        }
        data += w;
        n -= (size_t)w;
    }
}

/* Reads what is ready on one of a child's pipes (0 stdout, 1 stderr);
 * closes it at EOF. */
static void capture_read(capture_t *cap, int which)
{
    char buf[SUITE_READ_BYTES];
    ssize_t r = read(cap->fd[which], buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        close(cap->fd[which]);
        cap->fd[which] = -1;
        return;
    }
    capture_log(cap, buf, (size_t)r);
    capture_keep(cap, which, buf, (size_t)r);
}

static void capture_close(capture_t *cap)
{
    for (int i = 0; i < 2; i++)
        if (cap->fd[i] >= 0)
            close(cap->fd[i]);
    if (cap->log_fd >= 0 && close(cap->log_fd) != 0 && cap->log_errno == 0)
        cap->log_errno = errno;
    free(cap->head);
}

/* ------------------------------------------------------------- child */

typedef struct child_end {
    int status;                 /* waitpid status */
    int wait_errno;             /* waitpid failed: the status is unknown */
    bool timed_out;
    int forwarded;              /* signal passed on from the suite, or 0 */
    int64_t forwarded_ns;
} child_end_t;

/* A case that is running: its child, the child's output, how it ended.
 * The suite keeps up to --jobs of them; only the suite's own thread reads
 * the pipes and prints, so lines never mix. */
typedef struct suite_slot {
    int index;                  /* in st->cases; -1 = the slot is free */
    pid_t pid;
    capture_t cap;
    child_end_t end;
    int64_t start_ns;
    int64_t reaped_ns;          /* 0 = the child has not exited yet */
} suite_slot_t;

static int case_spawn(const suite_opts_t *o, const suite_case_t *c, capture_t *cap,
                      sb_err_t *err)
{
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    char *args[SUITE_CHILD_ARGS_MAX];
    int n = 0;
    args[n++] = "snapbed";
    args[n++] = "run";
    args[n++] = (char *)c->file;
    args[n++] = "--seed";
    args[n++] = seed;
    args[n++] = "-o";
    args[n++] = (char *)c->dir;
    args[n++] = "-q";
    const char *pass[][2] = { { "--kafka", o->kafka }, { "--sink", o->sink },
                              { "--checkpoints", o->checkpoints },
                              { "--aligned-timeout", o->aligned_timeout },
                              { "--trace", o->trace } };
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        if (pass[i][1] != NULL) {
            args[n++] = (char *)pass[i][0];
            args[n++] = (char *)pass[i][1];
        }
    if (o->unaligned)
        args[n++] = "--unaligned";
    args[n] = NULL;
    assert(n < SUITE_CHILD_ARGS_MAX);

    int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0)
        return sb_err_errno(err, errno, "cannot open /dev/null");
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        int e = errno;
        int fds[] = { null_fd, out[0], out[1] };
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        return sb_err_errno(err, e, "cannot create a pipe for %s", c->file);
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* Between fork and exec only async-signal-safe calls. Its own
         * process group: a time-out kills the supervisor and its workers. */
        setpgid(0, 0);
        dup2(null_fd, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(errp[1], STDERR_FILENO);
        execv("/proc/self/exe", args);
        static const char msg[] = "snapbed suite: cannot exec /proc/self/exe\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    int fork_errno = errno;
    if (pid > 0)
        setpgid(pid, pid); /* either side may win the race; both ask for it */
    close(null_fd);
    close(out[1]);
    close(errp[1]);
    cap->fd[0] = out[0];
    cap->fd[1] = errp[0];
    if (pid < 0)
        return sb_err_errno(err, fork_errno, "cannot fork a child for %s", c->file);
    return pid;
}

/* Waits up to a tick for output from any running case and reads what is
 * ready, so that no child blocks on a full pipe while another one runs. */
static void slots_poll(suite_slot_t *slots, int slots_count, int timeout_ms)
{
    struct pollfd p[2 * SUITE_JOBS_MAX];
    capture_t *owner[2 * SUITE_JOBS_MAX];
    int which[2 * SUITE_JOBS_MAX];
    nfds_t n = 0;
    assert(slots_count <= SUITE_JOBS_MAX);
    for (int k = 0; k < slots_count; k++)
        for (int i = 0; i < 2 && slots[k].index >= 0; i++)
            if (slots[k].cap.fd[i] >= 0) {
                p[n] = (struct pollfd){ .fd = slots[k].cap.fd[i], .events = POLLIN };
                owner[n] = &slots[k].cap;
                which[n++] = i;
            }
    if (n == 0) {
        sb_clock_sleep_ns((int64_t)timeout_ms * SB_NS_PER_MS);
        return;
    }
    if (poll(p, n, timeout_ms) <= 0)
        return; /* a tick, or EINTR from a signal the caller checks */
    for (nfds_t k = 0; k < n; k++)
        if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
            capture_read(owner[k], which[k]);
}

/* Whether a running case has ended: its child exited and its pipes closed
 * (or a grace period passed after its exit, when an orphan still holds
 * them). Kills its process group at the time limit; forwards a signal the
 * suite received. */
static bool slot_check(suite_slot_t *sl, int64_t now)
{
    child_end_t *end = &sl->end;
    if (sl->reaped_ns == 0) {
        pid_t r = waitpid(sl->pid, &end->status, WNOHANG);
        if (r < 0 && errno != EINTR)
            end->wait_errno = errno;
        if (r == sl->pid || end->wait_errno != 0)
            sl->reaped_ns = now;
    }
    bool drained = sl->cap.fd[0] < 0 && sl->cap.fd[1] < 0;
    if (sl->reaped_ns != 0)
        return drained || now - sl->reaped_ns > SUITE_DRAIN_GRACE_NS;
    if (!end->timed_out && now - sl->start_ns > SUITE_CASE_TIMEOUT_NS) {
        kill(-sl->pid, SIGKILL);
        end->timed_out = true;
    }
    if (suite_signal != 0 && end->forwarded == 0) {
        end->forwarded = suite_signal;
        end->forwarded_ns = now;
        kill(-sl->pid, end->forwarded);
    } else if (end->forwarded != 0 && now - end->forwarded_ns > SUITE_INTERRUPT_GRACE_NS) {
        kill(-sl->pid, SIGKILL);
        end->forwarded_ns = now;
    }
    return false;
}

/* --------------------------------------------------------- judgement */

static void compact_line(char *buf, size_t len, const char *line, size_t n)
{
    size_t used = 0;
    bool space = true; /* drops leading blanks */
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        bool blank = line[i] == ' ' || line[i] == '\t';
        if (!(blank && space))
            buf[used++] = blank ? ' ' : line[i];
        space = blank;
    }
    while (used > 0 && buf[used - 1] == ' ')
        used--;
    buf[used] = '\0';
}

/* Finds a line of text (blanks compacted): the first that contains `needle`
 * (starts with it when `at_start`; any non-empty line when needle is NULL),
 * or the last such line when `last`. */
static bool find_line(const char *text, const char *needle, bool at_start, bool last,
                      char *buf, size_t len)
{
    bool found = false;
    for (const char *p = text; p != NULL && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[SUITE_HEADLINE_BYTES];
        compact_line(line, sizeof line, p, n);
        const char *at = needle ? strstr(line, needle) : line;
        if (line[0] != '\0' && at != NULL && (!at_start || at == line)) {
            snprintf(buf, len, "%s", line);
            found = true;
            if (!last)
                return true;
        }
        p = nl ? nl + 1 : NULL;
    }
    return found;
}

/* Why a case did not pass, in one line: the first verdict line that names a
 * violation; else the first violated check of summary.json; else the last
 * error sentence of `snapbed run`; else the first verdict line; else the
 * last line of stderr. */
static void case_headline(const suite_case_t *c, const char *out, const char *err_tail,
                          int exit_code, char *buf, size_t len)
{
    static const char *const markers[] = { "VIOLATED", "NOT FOUND", "never fired" };
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (find_line(out, markers[i], false, false, buf, len))
            return;
    if (c->sum.violation[0] != '\0') {
        snprintf(buf, len, "%s", c->sum.violation);
        return;
    }
    static const char prefix[] = "snapbed run: ";
    if (find_line(err_tail, prefix, true, true, buf, len)) {
        memmove(buf, buf + sizeof prefix - 1, strlen(buf + sizeof prefix - 1) + 1);
        return;
    }
    if (find_line(err_tail, "snapbed ", true, true, buf, len) ||
        find_line(out, NULL, false, false, buf, len) ||
        find_line(err_tail, NULL, false, true, buf, len))
        return;
    snprintf(buf, len, "snapbed run exited %d and printed nothing", exit_code);
}

static int64_t json_int_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static void summary_read(suite_case_t *c)
{
    case_summary_t *s = &c->sum;
    memset(s, 0, sizeof *s);
    s->expected = s->committed = s->lost = s->duplicated = -1;
    s->crashes_seen = s->checkpoints_completed = -1;
    s->expectation_met = -1;
    char path[sizeof c->dir + 16];
    snprintf(path, sizeof path, "%s/summary.json", c->dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL) {
        if (access(path, F_OK) == 0)
            snprintf(s->error, sizeof s->error, "cannot read %s: %s (line %d)", path, je.text,
                     je.line);
        return;
    }
    s->present = true;
    json_t *eo = json_object_get(j, "exactly_once");
    s->expected = json_int_at(eo, "expected");
    s->committed = json_int_at(eo, "committed");
    s->lost = json_int_at(eo, "lost");
    s->duplicated = json_int_at(eo, "duplicated");
    s->crashes_seen = json_int_at(j, "crashes_seen");
    s->checkpoints_completed = json_int_at(j, "checkpoints_completed");
    json_t *met = json_object_get(j, "expectation_met");
    s->expectation_met = json_is_boolean(met) ? json_is_true(met) : -1;
    static const char *const checks[] = { "exactly_once", "counts", "restores", "publishes",
                                          "crashes", "liveness", "leftovers" };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0] && !s->violation[0]; i++) {
        json_t *ck = json_object_get(j, checks[i]);
        if (!json_is_object(ck) || !json_is_false(json_object_get(ck, "ok")))
            continue;
        const char *detail = json_string_value(json_object_get(ck, "detail"));
        snprintf(s->violation, sizeof s->violation, "%s VIOLATED%s%s", checks[i],
                 detail && detail[0] ? " — " : "", detail ? detail : "");
    }
    if (!s->violation[0] && json_is_true(json_object_get(j, "verified_ok")) &&
        json_is_false(json_object_get(j, "expectation_met")))
        snprintf(s->violation, sizeof s->violation,
                 "verified OK, but the scenario expected a violation");
    json_decref(j);
}

static void case_judge(suite_case_t *c, const child_end_t *end, const capture_t *cap)
{
    int st = end->status;
    int code = end->wait_errno == 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    c->result = code == 0 ? CASE_PASS : code == 2 || code == 127 ? CASE_ERROR : CASE_FAIL;
    if (c->result == CASE_PASS)
        return;
    if (end->wait_errno != 0) {
        c->result = CASE_ERROR;
        snprintf(c->headline, sizeof c->headline, "lost track of snapbed run: waitpid: %s",
                 strerror(end->wait_errno));
    } else if (end->timed_out)
        snprintf(c->headline, sizeof c->headline, "no result after %d s: killed (the suite's "
                 "time limit per case)", (int)(SUITE_CASE_TIMEOUT_NS / SB_NS_PER_S));
    else if (end->forwarded != 0)
        snprintf(c->headline, sizeof c->headline, "interrupted (%s)", strsignal(end->forwarded));
    else if (WIFSIGNALED(st))
        snprintf(c->headline, sizeof c->headline, "snapbed run died: %s%s",
                 strsignal(WTERMSIG(st)), WCOREDUMP(st) ? " (core dumped)" : "");
    else
        case_headline(c, cap->head, cap->tail, code, c->headline, sizeof c->headline);
    c->verdict = strdup(cap->head);
    c->stderr_tail = strdup(cap->tail);
}

/* Closes a case's output and says what the report will miss; the case's
 * result is decided. */
static void case_close(const suite_opts_t *o, suite_case_t *c, suite_slot_t *sl)
{
    capture_close(&sl->cap);
    /* Said even with -q: the report is missing something. */
    if (sl->cap.log_errno != 0)
        fprintf(stderr, "snapbed %s: case %s seed=%" PRIu64 ": its log %s is incomplete: %s\n",
                o->cmd, c->name, c->seed, c->log, strerror(sl->cap.log_errno));
    if (c->sum.error[0] != '\0')
        fprintf(stderr, "snapbed %s: case %s seed=%" PRIu64 ": %s\n", o->cmd, c->name, c->seed,
                c->sum.error);
    /* The exit status decides; a summary that disagrees is a bug in run. */
    if (c->sum.expectation_met >= 0 && c->sum.expectation_met != (c->result == CASE_PASS))
        fprintf(stderr, "snapbed %s: case %s seed=%" PRIu64 ": %s/summary.json says "
                "expectation_met=%s but snapbed run %s\n", o->cmd, c->name, c->seed, c->dir,
                c->sum.expectation_met ? "true" : "false",
                c->result == CASE_PASS ? "exited 0" : "did not exit 0");
    c->seconds = (double)(sb_clock_now_ns() - sl->start_ns) / 1e9;
}

/* Starts one case as a child in the slot. false: it did not start, and the
 * case is finished as an ERROR (a scenario that does not load, no log, no
 * fork). */
static bool case_start(const suite_opts_t *o, suite_case_t *c, suite_slot_t *sl)
{
    memset(sl, 0, sizeof *sl);
    sl->index = -1;
    sl->start_ns = sb_clock_now_ns();
    sl->cap = (capture_t){ .fd = { -1, -1 }, .log_fd = -1 };
    if (c->load_error[0] != '\0') {
        c->result = CASE_ERROR;
        snprintf(c->headline, sizeof c->headline, "%s", c->load_error);
        return false;
    }
    if (c->skip) {
        c->result = CASE_SKIPPED;
        return false;
    }
    sb_err_t err = { { 0 } };
    capture_t *cap = &sl->cap;
    cap->head = calloc(1, SUITE_STDOUT_HEAD_BYTES + 1);
    cap->log_fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t pid = -1;
    if (cap->head == NULL)
        sb_err_set(&err, "out of memory for the output of %s", c->file);
    else if (cap->log_fd < 0)
        sb_err_errno(&err, errno, "cannot create the case log %s", c->log);
    else
        pid = case_spawn(o, c, cap, &err);
    if (pid <= 0) {
        c->result = CASE_ERROR;
        snprintf(c->headline, sizeof c->headline, "%s", err.msg);
        case_close(o, c, sl);
        return false;
    }
    char replay[SUITE_REPLAY_BYTES];
    case_replay(o, c, replay, sizeof replay);
    char head[SUITE_REPLAY_BYTES + SUITE_PATH_BYTES + 32];
    int n = snprintf(head, sizeof head, "# %s -o %s -q\n", replay, c->dir);
    capture_log(cap, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1);
    sl->pid = pid;
    return true;
}

/* A started case whose child ended: fills result, headline, summary. */
static void case_finish(const suite_opts_t *o, suite_case_t *c, suite_slot_t *sl)
{
    summary_read(c);
    case_judge(c, &sl->end, &sl->cap);
    case_close(o, c, sl);
}

/* ------------------------------------------------------------ report */

static const char *result_name(case_result_t r)
{
    switch (r) {
    case CASE_PASS: return "PASS";
    case CASE_FAIL: return "FAIL";
    case CASE_ERROR: return "ERROR";
    case CASE_NOT_RUN: return "NOT RUN";
    case CASE_SKIPPED: return "SKIPPED";
    }
    return "?";
}

static void seed_text(const suite_case_t *c, char *buf, size_t len)
{
    if (c->seed_known)
        snprintf(buf, len, "%" PRIu64, c->seed);
    else
        snprintf(buf, len, "-");
}

/* `done` counts the cases ended so far: with --jobs above 1 they end out of
 * order, and the line says how far the suite is, then which case it was. */
static void case_print(const suite_opts_t *o, const suite_t *st, int i, int done)
{
    const suite_case_t *c = &st->cases[i];
    char seed[32];
    seed_text(c, seed, sizeof seed);
    printf("[%d/%d] %s %s seed=%s (%.1f s)", done, st->cases_count, result_name(c->result),
           c->name, seed, c->seconds);
    if (c->result == CASE_SKIPPED) {
        printf(" — %s", c->headline);
    } else if (c->result != CASE_PASS) {
        char replay[SUITE_REPLAY_BYTES];
        case_replay(o, c, replay, sizeof replay);
        printf(" — %s\n  replay: %s", c->headline, replay);
    }
    printf("\n");
    fflush(stdout);
}

/* Runs the cases in the suite's order, up to --jobs at once: a free slot
 * takes the next case; every tick reads the running children's output and
 * reaps those that ended. A signal stops new starts and is forwarded to
 * the running cases, which the loop still waits for. */
static void suite_run_cases(const suite_opts_t *o, suite_t *st, suite_slot_t *slots)
{
    int running = 0, next = 0, done = 0;
    assert(o->jobs >= 1 && o->jobs <= SUITE_JOBS_MAX);
    for (int k = 0; k < o->jobs; k++)
        slots[k].index = -1;
    while (running > 0 || (next < st->cases_count && suite_signal == 0)) {
        for (int k = 0; k < o->jobs; k++)
            while (slots[k].index < 0 && next < st->cases_count && suite_signal == 0) {
                int i = next++;
                if (case_start(o, &st->cases[i], &slots[k])) {
                    slots[k].index = i;
                    running++;
                } else if (!o->quiet) {
                    case_print(o, st, i, ++done);
                }
            }
        if (running == 0)
            continue;
        slots_poll(slots, o->jobs, SUITE_TICK_MS);
        int64_t now = sb_clock_now_ns();
        for (int k = 0; k < o->jobs; k++) {
            int i = slots[k].index;
            if (i < 0 || !slot_check(&slots[k], now))
                continue;
            case_finish(o, &st->cases[i], &slots[k]);
            slots[k].index = -1;
            running--;
            done++;
            if (!o->quiet)
                case_print(o, st, i, done);
        }
    }
    assert(running == 0);
}

static void num_text(int64_t v, char *buf, size_t len)
{
    if (v < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%" PRId64, v);
}

static void suite_print_table(const suite_t *st)
{
    int name_w = (int)strlen("scenario"), seed_w = (int)strlen("seed");
    for (int i = 0; i < st->cases_count; i++) {
        char seed[32];
        seed_text(&st->cases[i], seed, sizeof seed);
        int n = (int)strlen(st->cases[i].name);
        name_w = n > name_w ? (n < SUITE_NAME_COLUMN_MAX ? n : SUITE_NAME_COLUMN_MAX) : name_w;
        seed_w = (int)strlen(seed) > seed_w ? (int)strlen(seed) : seed_w;
    }
    printf("\n%-*s  %*s  %-7s  %9s  %9s  %6s  %6s  %7s  %11s  %7s\n", name_w, "scenario", seed_w,
           "seed", "result", "expected", "committed", "lost", "dup", "crashes", "checkpoints",
           "seconds");
    for (int i = 0; i < st->cases_count; i++) {
        const suite_case_t *c = &st->cases[i];
        const case_summary_t *s = &c->sum;
        bool has = c->result != CASE_NOT_RUN && c->result != CASE_SKIPPED && s->present;
        char seed[32], v[6][24];
        seed_text(c, seed, sizeof seed);
        int64_t nums[6] = { s->expected, s->committed, s->lost, s->duplicated,
                            s->crashes_seen, s->checkpoints_completed };
        for (int k = 0; k < 6; k++)
            num_text(has ? nums[k] : -1, v[k], sizeof v[k]);
        char secs[24] = "-";
        if (c->result != CASE_NOT_RUN && c->result != CASE_SKIPPED)
            snprintf(secs, sizeof secs, "%.1f", c->seconds);
        printf("%-*.*s  %*s  %-7s  %9s  %9s  %6s  %6s  %7s  %11s  %7s\n", name_w, name_w,
               c->name, seed_w, seed, result_name(c->result), v[0], v[1], v[2], v[3], v[4],
               v[5], secs);
    }
}

static void suite_print_report(const suite_opts_t *o, const suite_t *st)
{
    suite_print_table(st);
    int passed = 0, failed = 0, errors = 0, not_run = 0, skipped = 0;
    bool header = false;
    for (int i = 0; i < st->cases_count; i++) {
        const suite_case_t *c = &st->cases[i];
        passed += c->result == CASE_PASS;
        failed += c->result == CASE_FAIL || c->result == CASE_ERROR;
        errors += c->result == CASE_ERROR;
        not_run += c->result == CASE_NOT_RUN;
        skipped += c->result == CASE_SKIPPED;
        if (c->result == CASE_PASS || c->result == CASE_NOT_RUN || c->result == CASE_SKIPPED)
            continue;
        if (!header)
            printf("\ncases that did not pass:\n");
        header = true;
        char seed[32], replay[SUITE_REPLAY_BYTES];
        seed_text(c, seed, sizeof seed);
        case_replay(o, c, replay, sizeof replay);
        printf("  %s %s seed=%s — %s\n    replay: %s\n", result_name(c->result), c->name, seed,
               c->headline, replay);
        if (c->load_error[0] == '\0')
            printf("    log:    %s\n", c->log);
    }
    char jobs[48] = "";
    if (o->jobs > 1)
        snprintf(jobs, sizeof jobs, ", up to %d at once", o->jobs);
    printf("\nsuite folder: %s (%d case%s%s, %.1f s)\n", st->out_dir, st->cases_count,
           st->cases_count == 1 ? "" : "s", jobs, (double)(st->end_ns - st->start_ns) / 1e9);
    if (errors > 0)
        printf("%d of the failed cases %s ERROR: bad input or environment, not a verdict\n",
               errors, errors == 1 ? "is" : "are");
    if (not_run > 0)
        printf("interrupted (%s): %d case%s not run\n", strsignal(suite_signal), not_run,
               not_run == 1 ? "" : "s");
    if (skipped > 0) /* the line CI parses, with the skipped after a comma */
        printf("suite: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("suite: %d passed, %d failed\n", passed, failed);
    fflush(stdout);
}

/* -------------------------------------------------------------- JUnit */

static bool xml_char_ok(int ch)
{
    return ch == 0x9 || ch == 0xA || ch == 0xD || (ch >= 0x20 && ch <= 0xD7FF) ||
           (ch >= 0xE000 && ch <= 0xFFFD) || (ch >= 0x10000 && ch <= 0x10FFFF);
}

/* XML 1.0 cannot carry every byte a child may print (control characters,
 * broken UTF-8): those become '?'. The writer escapes the rest. */
static xmlChar *xml_clean(const char *in)
{
    size_t n = strlen(in);
    xmlChar *out = xmlMalloc(n + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)in;
    size_t used = 0;
    while (*p) {
        size_t rest = n - (size_t)(p - (const unsigned char *)in);
        int len = rest < 4 ? (int)rest : 4;
        int ch = xmlGetUTF8Char(p, &len);
        if (ch < 0 || len <= 0 || !xml_char_ok(ch)) {
            out[used++] = '?';
            p++;
            continue;
        }
        memcpy(out + used, p, (size_t)len);
        used += (size_t)len;
        p += len;
    }
    out[used] = '\0';
    return out;
}

static int xw_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    xmlChar *v = xml_clean(value);
    int rc = v ? xmlTextWriterWriteAttribute(w, BAD_CAST name, v) : -1;
    xmlFree(v);
    return rc;
}

/* <name message="…">text</name>; no text element when text is empty. */
static int xw_element(xmlTextWriterPtr w, const char *name, const char *message,
                      const char *text)
{
    if (xmlTextWriterStartElement(w, BAD_CAST name) < 0)
        return -1;
    if (message != NULL && xw_attr(w, "message", message) < 0)
        return -1;
    if (text != NULL && text[0] != '\0') {
        xmlChar *t = xml_clean(text);
        int rc = t ? xmlTextWriterWriteString(w, t) : -1;
        xmlFree(t);
        if (rc < 0)
            return -1;
    }
    return xmlTextWriterEndElement(w);
}

static int junit_case(xmlTextWriterPtr w, const suite_opts_t *o, const suite_case_t *c)
{
    char classname[SUITE_STEM_BYTES + 16], name[SUITE_STEM_BYTES + 40];
    char seed[32], secs[32], replay[SUITE_REPLAY_BYTES];
    snprintf(classname, sizeof classname, "snapbed.%s", c->name);
    seed_text(c, seed, sizeof seed);
    snprintf(name, sizeof name, "%s seed=%s", c->name, seed);
    snprintf(secs, sizeof secs, "%.3f", c->seconds);
    if (xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0 ||
        xw_attr(w, "classname", classname) < 0 || xw_attr(w, "name", name) < 0 ||
        xw_attr(w, "time", secs) < 0)
        return -1;
    const char *body = c->verdict && c->verdict[0]         ? c->verdict
                       : c->stderr_tail && c->stderr_tail[0] ? c->stderr_tail
                                                             : c->headline;
    int rc = 0;
    if (c->result == CASE_FAIL)
        rc = xw_element(w, "failure", c->headline, body);
    else if (c->result == CASE_ERROR)
        rc = xw_element(w, "error", c->headline, body);
    else if (c->result == CASE_NOT_RUN)
        rc = xw_element(w, "skipped", "not run: the suite was interrupted", NULL);
    else if (c->result == CASE_SKIPPED)
        rc = xw_element(w, "skipped", c->headline, NULL);
    if (rc < 0)
        return -1;
    if (c->result != CASE_NOT_RUN && c->result != CASE_SKIPPED) {
        case_replay(o, c, replay, sizeof replay);
        char out[sizeof replay + 2 * sizeof c->dir + 64];
        if (c->load_error[0] != '\0')
            snprintf(out, sizeof out, "replay: %s\n", replay);
        else
            snprintf(out, sizeof out, "replay: %s\nrun folder: %s\nlog: %s\n", replay, c->dir,
                     c->log);
        if (xw_element(w, "system-out", NULL, out) < 0)
            return -1;
    }
    if (c->stderr_tail && c->stderr_tail[0] && xw_element(w, "system-err", NULL,
                                                          c->stderr_tail) < 0)
        return -1;
    return xmlTextWriterEndElement(w);
}

static int junit_suite(xmlTextWriterPtr w, const suite_opts_t *o, const suite_t *st)
{
    int failures = 0, errors = 0, skipped = 0;
    for (int i = 0; i < st->cases_count; i++) {
        failures += st->cases[i].result == CASE_FAIL;
        errors += st->cases[i].result == CASE_ERROR;
        skipped += st->cases[i].result == CASE_NOT_RUN || st->cases[i].result == CASE_SKIPPED;
    }
    char stamp[32], host[256] = "localhost";
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    gethostname(host, sizeof host - 1);
    if (xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 ||
        xmlTextWriterStartElement(w, BAD_CAST "testsuite") < 0 ||
        xw_attr(w, "name", "snapbed") < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%d", st->cases_count) < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%d", failures) < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "errors", "%d", errors) < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "skipped", "%d", skipped) < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.3f",
                                          (double)(st->end_ns - st->start_ns) / 1e9) < 0 ||
        xw_attr(w, "timestamp", stamp) < 0 || xw_attr(w, "hostname", host) < 0)
        return -1;
    for (int i = 0; i < st->cases_count; i++)
        if (junit_case(w, o, &st->cases[i]) < 0)
            return -1;
    if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0)
        return -1;
    return xmlTextWriterFlush(w) < 0 ? -1 : 0;
}

/* Written to FILE.tmp, then renamed: a reader never sees half a report. */
static int junit_write(const char *path, const suite_opts_t *o, const suite_t *st,
                       sb_err_t *err)
{
    char tmp[SUITE_PATH_BYTES + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    xmlTextWriterPtr w = xmlNewTextWriterFilename(tmp, 0);
    if (w == NULL)
        return sb_err_set(err, "cannot create the JUnit report %s", tmp);
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    int rc = junit_suite(w, o, st);
    xmlFreeTextWriter(w);
    if (rc != 0) {
        unlink(tmp);
        return sb_err_set(err, "cannot write the JUnit report %s (disk full?)", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return sb_err_errno(err, e, "cannot rename %s to %s", tmp, path);
    }
    return 0;
}

/* --------------------------------------------------------------- main */

static int suite_exit_status(const suite_t *st, bool report_failed)
{
    bool failed = false, error = report_failed;
    for (int i = 0; i < st->cases_count; i++) {
        failed |= st->cases[i].result == CASE_FAIL || st->cases[i].result == CASE_NOT_RUN;
        error |= st->cases[i].result == CASE_ERROR;
    }
    return failed ? SB_EXIT_FAILED : error ? SB_EXIT_USAGE : SB_EXIT_OK;
}

/* Everything that can be wrong before a case runs: one sentence, exit 2. */
static int suite_prepare(const suite_opts_t *o, suite_t *st, sb_err_t *err)
{
    if (suite_collect_files(o, st, err) != 0)
        return -1;
    if (o->junit != NULL && junit_check_writable(o->junit, err) != 0)
        return -1;
    if (suite_choose_out_dir(o, st, err) != 0 || suite_plan(o, st, err) != 0)
        return -1;
    return sb_cli_mkdir_p(st->out_dir, err);
}

/* Exit 2 says "bad input, not a verdict"; stderr says which, in one line
 * (the table on stdout has every case). */
static void suite_print_errors(const suite_opts_t *o, const suite_t *st)
{
    int errors = 0;
    const suite_case_t *first = NULL;
    for (int i = 0; i < st->cases_count; i++)
        if (st->cases[i].result == CASE_ERROR) {
            errors++;
            first = first != NULL ? first : &st->cases[i];
        }
    if (first == NULL)
        return;
    fprintf(stderr, "snapbed %s: %d of %d case%s could not run (bad input or environment); "
            "the first: %s\n", o->cmd, errors, st->cases_count, st->cases_count == 1 ? "" : "s",
            first->headline);
}

static void suite_free(suite_t *st)
{
    for (int i = 0; i < st->cases_count; i++) {
        free(st->cases[i].verdict);
        free(st->cases[i].stderr_tail);
    }
    free(st->cases);
    free(st->files);
    free(st);
}

int sb_cmd_suite(int argc, char **argv)
{
    suite_opts_t o;
    int pr = suite_parse_opts(argc, argv, &o);
    if (pr != 0)
        return pr > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
    suite_t *st = calloc(1, sizeof *st);
    if (st == NULL) {
        fprintf(stderr, "snapbed %s: out of memory\n", o.cmd);
        return SB_EXIT_USAGE;
    }
    suite_slot_t *slots = calloc((size_t)o.jobs, sizeof *slots);
    if (slots == NULL) {
        fprintf(stderr, "snapbed %s: out of memory for %d jobs\n", o.cmd, o.jobs);
        suite_free(st);
        return SB_EXIT_USAGE;
    }
    sb_err_t err = { { 0 } };
    if (suite_prepare(&o, st, &err) != 0) {
        fprintf(stderr, "snapbed %s: %s.\n", o.cmd, err.msg);
        free(slots);
        suite_free(st);
        return SB_EXIT_USAGE;
    }
    if (!o.quiet) {
        printf("suite: %d case%s from %d scenario file%s; folder %s", st->cases_count,
               st->cases_count == 1 ? "" : "s", st->files_count, st->files_count == 1 ? "" : "s",
               st->out_dir);
        printf(o.jobs > 1 ? "; up to %d at once\n" : "\n", o.jobs);
        fflush(stdout);
    }
    struct sigaction sa = { .sa_handler = suite_on_signal }, old[3];
    const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
    sigemptyset(&sa.sa_mask);
    suite_signal = 0;
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &sa, &old[i]);
    st->start_ns = sb_clock_now_ns();
    suite_run_cases(&o, st, slots);
    st->end_ns = sb_clock_now_ns();
    free(slots);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    suite_print_report(&o, st);
    bool report_failed = false;
    if (o.junit != NULL && junit_write(o.junit, &o, st, &err) != 0) {
        fprintf(stderr, "snapbed %s: %s.\n", o.cmd, err.msg);
        report_failed = true;
    }
    int status = suite_exit_status(st, report_failed);
    if (status == SB_EXIT_USAGE && !report_failed)
        suite_print_errors(&o, st);
    suite_free(st);
    return status;
}
