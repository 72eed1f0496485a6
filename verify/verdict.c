/* verdict.c — see verdict.h. */
#include "verdict.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_store.h"
#include "clock.h"
#include "flink_stats.h"
#include "kafka.h"
#include "sink.h"
#include "store.h"
#include "trace.h"
#include "twophase.h"
#include "vocab.h"

bool sb_verdict_graph_keeps_order(const sb_scenario_t *s)
{
    int non_forward = (s->map.input != SB_CONNECTION_FORWARD) +
                      (s->filter.input != SB_CONNECTION_FORWARD) +
                      (s->count_enabled && s->count.input != SB_CONNECTION_FORWARD) +
                      (s->sink.input != SB_CONNECTION_FORWARD);
    return non_forward <= 1;
}

/* ------------------------------------------------------ expected output */

typedef struct expect_ctx {
    const sb_scenario_t *s;
    sb_eo_t *eo;
    json_t *true_counts;
    int64_t records_in;
    sb_err_t *err;
} expect_ctx_t;

/* The job's map and filter, applied to what is in the topic. Kept apart
 * from the engine's code on purpose: a bug there must not hide here. */
static int on_input_record(int32_t partition, int64_t offset, const char *value, size_t len,
                           void *arg)
{
    expect_ctx_t *c = arg;
    c->records_in++;
    char v[SB_EO_VALUE_BYTES_MAX + 1];
    if (len > SB_EO_VALUE_BYTES_MAX)
        len = SB_EO_VALUE_BYTES_MAX;
    for (size_t i = 0; i < len; i++) {
        char ch = value[i];
        if (c->s->map_fn == SB_MAP_UPPERCASE && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        v[i] = ch;
    }
    v[len] = '\0';
    if (strncmp(v, c->s->filter_prefix, strlen(c->s->filter_prefix)) != 0)
        return 0;
    if (c->true_counts != NULL) {
        json_t *n = json_object_get(c->true_counts, v);
        json_object_set_new(c->true_counts, v, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    return sb_eo_expect(c->eo, partition, offset, v, len, c->err);
}

/* flink.oracle (docs/flink.md): the expected output is what a command of
 * the user's makes of the input. Its input is every record read back from
 * the topic, one "PARTITION:OFFSET VALUE" line each, in the run folder
 * (oracle-input.txt); its output (oracle-output.txt) is the expected
 * lines in the sink's form. Both stay in the run folder as evidence. */
#define ORACLE_LINE_BYTES_MAX 4096

typedef struct oracle_input {
    FILE *f;
    int64_t records;
} oracle_input_t;

static int on_oracle_input(int32_t partition, int64_t offset, const char *value, size_t len,
                           void *arg)
{
    oracle_input_t *o = arg;
    o->records++;
    fprintf(o->f, "%d:%" PRId64 " ", partition, offset);
    fwrite(value, 1, len, o->f);
    fputc('\n', o->f);
    return 0;
}

static int run_oracle(const char *cmd, const char *in, const char *out, sb_err_t *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return sb_err_errno(err, errno, "flink.oracle: cannot fork");
    if (pid == 0) {
        int fi = open(in, O_RDONLY), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fi < 0 || fo < 0)
            _exit(126);
        dup2(fi, STDIN_FILENO);
        dup2(fo, STDOUT_FILENO);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return sb_err_set(err, "flink.oracle `%.200s` %s %d (its input %s)", cmd,
                      WIFEXITED(status) ? "exited with" : "died by signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), in);
}

static int oracle_expect(const sb_verdict_params_t *p, sb_eo_t *eo, int64_t *records_in,
                         sb_err_t *err)
{
    char in[1100], out[1100];
    snprintf(in, sizeof in, "%s/oracle-input.txt", p->run_dir);
    snprintf(out, sizeof out, "%s/oracle-output.txt", p->run_dir);
    oracle_input_t o = { fopen(in, "w"), 0 };
    if (o.f == NULL)
        return sb_err_errno(err, errno, "cannot write %s", in);
    const sb_job_input_t *ji = p->input;
    int rc = sb_kafka_read_all(ji->bootstrap, ji->topic, ji->partitions, ji->low, ji->high,
                               on_oracle_input, &o, err);
    if (fclose(o.f) != 0 && rc == 0)
        rc = sb_err_errno(err, errno, "cannot write %s", in);
    *records_in = o.records;
    if (rc == 0)
        rc = run_oracle(p->scenario->flink.oracle, in, out, err);
    if (rc != 0)
        return -1;
    FILE *f = fopen(out, "r");
    if (f == NULL)
        return sb_err_errno(err, errno, "cannot read %s", out);
    char line[ORACLE_LINE_BYTES_MAX + 2];
    int n = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        n++;
        size_t len = strcspn(line, "\n");
        if (line[len] != '\n' && !feof(f)) {
            rc = sb_err_set(err, "%s:%d: a line longer than %d bytes", out, n,
                            ORACLE_LINE_BYTES_MAX);
            break;
        }
        line[len] = '\0';
        int partition = -1, used = 0;
        long long offset = -1;
        if (sscanf(line, "%d:%lld %n", &partition, &offset, &used) != 2 || used == 0 ||
            line[used - 1] != ' ') {
            rc = sb_err_set(err, "%s:%d: not \"PARTITION:OFFSET VALUE\": %.80s", out, n, line);
            break;
        }
        if (sb_eo_expect(eo, partition, offset, line + used, strlen(line + used), err) != 0)
            rc = sb_err_wrap(err, "%s:%d", out, n);
    }
    fclose(f);
    return rc;
}

/* -------------------------------------------------------- actual output */

static int observe_object(sb_eo_t *eo, const char *key, char *data, size_t len, sb_err_t *err)
{
    char *p = data, *end = data + len;
    int line = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return sb_err_set(err, "object %s: last line is not terminated", key);
        line++;
        if (sb_eo_observe_line(eo, p, (size_t)(nl - p), err) != 0)
            return sb_err_wrap(err, "object %s line %d", key, line);
        p = nl + 1;
    }
    return 0;
}

int sb_verdict_observe_output(sb_store_t *st, sb_eo_t *eo, int64_t *objects, sb_err_t *err)
{
    sb_store_list_t l;
    if (sb_store_list(st, "part-", &l, err) != 0)
        return -1;
    int rc = 0, last_subtask = -1;
    for (size_t i = 0; i < l.count && rc == 0; i++) {
        int subtask;
        int64_t id;
        if (!sb_sink_key_parse(l.keys[i], &subtask, &id))
            continue;
        if (subtask != last_subtask) {
            sb_eo_begin_stream(eo); /* keys sort by subtask, then checkpoint */
            last_subtask = subtask;
        }
        char *data = NULL;
        size_t len = 0;
        int got = sb_store_get(st, l.keys[i], &data, &len, err);
        if (got < 0)
            rc = -1;
        else if (got > 0)
            rc = observe_object(eo, l.keys[i], data, len, err);
        free(data);
        (*objects)++;
    }
    sb_store_list_free(&l);
    return rc;
}

/* Flink's FileSink (docs/flink.md): "part-" uuid "-" counter. The uuid is
 * one subtask's in one attempt (a restored subtask gets a new one) and has
 * dashes of its own, so the counter is read from the right. */
bool sb_verdict_flink_key_parse(const char *key, size_t *uuid_len, int64_t *counter)
{
    if (strncmp(key, "part-", 5) != 0 || strchr(key, '/') != NULL)
        return false;
    const char *last = strrchr(key, '-');
    if (last == NULL || last <= key + 5 || last[-1] == '-')
        return false; /* no uuid between "part-" and the counter */
    char *end = NULL;
    errno = 0;
    long long c = strtoll(last + 1, &end, 10);
    if (end == last + 1 || *end != '\0' || c < 0 || errno != 0 || !isdigit((unsigned char)last[1]))
        return false;
    *uuid_len = (size_t)(last - (key + 5));
    *counter = c;
    return true;
}

typedef struct flink_file {
    const char *key;
    size_t uuid_len;
    int64_t counter;
} flink_file_t;

static int cmp_flink_file(const void *a, const void *b)
{
    const flink_file_t *x = a, *y = b;
    size_t n = x->uuid_len < y->uuid_len ? x->uuid_len : y->uuid_len;
    int c = memcmp(x->key + 5, y->key + 5, n);
    if (c != 0)
        return c;
    if (x->uuid_len != y->uuid_len)
        return x->uuid_len < y->uuid_len ? -1 : 1;
    if (x->counter != y->counter)
        return x->counter < y->counter ? -1 : 1;
    return strcmp(x->key, y->key);
}

static bool same_uuid(const flink_file_t *x, const flink_file_t *y)
{
    return x->uuid_len == y->uuid_len && memcmp(x->key + 5, y->key + 5, x->uuid_len) == 0;
}

int sb_verdict_observe_flink_output(sb_store_t *st, sb_eo_t *eo, int64_t *objects,
                                    sb_err_t *err)
{
    sb_store_list_t l;
    if (sb_store_list(st, "part-", &l, err) != 0)
        return -1;
    flink_file_t *files = calloc(l.count + 1, sizeof *files);
    if (files == NULL) {
        sb_store_list_free(&l);
        return sb_err_set(err, "out of memory listing %zu sink files", l.count);
    }
    size_t n = 0;
    for (size_t i = 0; i < l.count; i++)
        if (sb_verdict_flink_key_parse(l.keys[i], &files[n].uuid_len, &files[n].counter))
            files[n++].key = l.keys[i];
    qsort(files, n, sizeof *files, cmp_flink_file);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i == 0 || !same_uuid(&files[i - 1], &files[i]))
            sb_eo_begin_stream(eo); /* one subtask's attempt: its files in order */
        char *data = NULL;
        size_t len = 0;
        int got = sb_store_get(st, files[i].key, &data, &len, err);
        if (got < 0)
            rc = -1;
        else if (got > 0)
            rc = observe_object(eo, files[i].key, data, len, err);
        free(data);
        (*objects)++;
    }
    free(files);
    sb_store_list_free(&l);
    return rc;
}

/* ------------------------------------------------------------- counts */

static int load_counts(const char *run_dir, json_t *merged, int *files, sb_err_t *err)
{
    char uri[1100];
    snprintf(uri, sizeof uri, "file://%s/counts", run_dir);
    sb_store_t st;
    if (sb_store_open(&st, uri, "/", err) != 0)
        return -1;
    sb_store_list_t l;
    if (sb_store_list(&st, "count-", &l, err) != 0)
        return -1;
    int rc = 0;
    *files = (int)l.count;
    for (size_t i = 0; i < l.count && rc == 0; i++) {
        char *data = NULL;
        size_t len = 0;
        if (sb_store_get(&st, l.keys[i], &data, &len, err) <= 0) {
            rc = sb_err_set(err, "cannot read counts %s/%s", st.root, l.keys[i]);
            break;
        }
        json_error_t jerr;
        json_t *o = json_loadb(data, len, 0, &jerr);
        free(data);
        if (!json_is_object(o)) {
            json_decref(o);
            rc = sb_err_set(err, "counts %s/%s are not a JSON object", st.root, l.keys[i]);
            break;
        }
        const char *k;
        json_t *n;
        json_object_foreach(o, k, n) {
            json_t *m = json_object_get(merged, k);
            json_object_set_new(merged, k, json_integer(json_integer_value(n) +
                                                        (m ? json_integer_value(m) : 0)));
        }
        json_decref(o);
    }
    sb_store_list_free(&l);
    return rc;
}

static void compare_counts(json_t *want, json_t *got, int files, int expected_files,
                           sb_verdict_check_t *c)
{
    c->ok = true;
    if (files != expected_files) {
        c->ok = false;
        snprintf(c->detail, sizeof c->detail, "%d of %d count subtasks wrote final counts",
                 files, expected_files);
        return;
    }
    const char *k;
    json_t *n;
    json_object_foreach(want, k, n) {
        json_int_t w = json_integer_value(n), g = json_integer_value(json_object_get(got, k));
        if (w != g) {
            c->ok = false;
            snprintf(c->detail, sizeof c->detail, "count of %s is %" JSON_INTEGER_FORMAT
                     ", expected %" JSON_INTEGER_FORMAT, k, g, w);
            return;
        }
    }
    json_object_foreach(got, k, n) {
        if (json_object_get(want, k) == NULL) {
            c->ok = false;
            snprintf(c->detail, sizeof c->detail, "count of %s is %" JSON_INTEGER_FORMAT
                     ", expected none", k, json_integer_value(n));
            return;
        }
    }
}

/* ------------------------------------------------------- trace checks */

struct sb_trace_checks {
    sb_twophase_t twophase;      /* restores and publications */
    int64_t completed_count;
    int64_t aborted_count;
    int crashes;
    int64_t last_crash_ns;
    int64_t last_completion_ns;
    int restores;
    int64_t restored_from[SB_VERDICT_RESTORES_MAX];
    int64_t inflight_restored;   /* channel-state records replayed */
    int channel_states_restored; /* subtasks that replayed some */
    char fallback_first[SB_VERDICT_DETAIL_BYTES_MAX];
    bool incarnation_died;       /* a crash or worker_failed seen so far */
    sb_verdict_check_t restore, publish;
    int64_t *completions;        /* t_ns of every checkpoint_completed, as read */
    size_t completions_count, completions_cap;
    bool completions_overflow;   /* more than SB_VERDICT_COMPLETIONS_MAX */
    int64_t first_trigger_ns;    /* the oldest checkpoint_triggered; -1: none */
};

#define SB_VERDICT_COMPLETIONS_MAX (1 << 20)

sb_trace_checks_t *sb_trace_checks_new(void)
{
    sb_trace_checks_t *tc = calloc(1, sizeof *tc);
    if (tc == NULL)
        return NULL;
    if (sb_twophase_init(&tc->twophase) != 0) {
        free(tc);
        return NULL;
    }
    tc->restore.ok = tc->publish.ok = true;
    tc->last_crash_ns = -1;
    tc->last_completion_ns = -1;
    tc->first_trigger_ns = -1;
    return tc;
}

void sb_trace_checks_free(sb_trace_checks_t *tc)
{
    if (tc == NULL)
        return;
    sb_twophase_free(&tc->twophase);
    free(tc->completions);
    free(tc);
}

static void note_completion(sb_trace_checks_t *tc, int64_t t_ns)
{
    if (tc->completions_count == tc->completions_cap) {
        size_t cap = tc->completions_cap ? tc->completions_cap * 2 : 256;
        int64_t *grown = cap <= SB_VERDICT_COMPLETIONS_MAX
                             ? realloc(tc->completions, cap * sizeof *grown) : NULL;
        if (grown == NULL) {
            tc->completions_overflow = true;
            return;
        }
        tc->completions = grown;
        tc->completions_cap = cap;
    }
    tc->completions[tc->completions_count++] = t_ns;
}

static void violation(sb_verdict_check_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void violation(sb_verdict_check_t *c, const char *fmt, ...)
{
    if (!c->ok)
        return; /* keep the first */
    c->ok = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
}

/* The first rule broken, in the order of the trace, becomes the check's
 * detail. */
static void note_rules(sb_trace_checks_t *tc, unsigned rules, sb_verdict_check_t *c)
{
    for (int r = 0; r < SB_TWOPHASE_RULES_COUNT_; r++)
        if (rules & (1u << r))
            violation(c, "%s", tc->twophase.detail[r]);
}

static void on_restore(sb_trace_checks_t *tc, json_t *ev)
{
    note_rules(tc, sb_twophase_restore(&tc->twophase, ev), &tc->restore);
    int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
    int attempt = (int)json_integer_value(json_object_get(ev, "attempt"));
    if (attempt > 0 && tc->restores < SB_VERDICT_RESTORES_MAX)
        tc->restored_from[tc->restores++] = id;
}

/* The verdict judges what this run published. A commit that finds its
 * object already published is legitimate after an incarnation of this run
 * died (its publication's trace line may be lost with it); before any did,
 * the object came from elsewhere, e.g. an earlier run writing to the same
 * place, and the output read back is not this run's. */
static void on_commit_of_another_run(sb_trace_checks_t *tc, json_t *ev)
{
    const char *key = json_string_value(json_object_get(ev, "key"));
    if (tc->incarnation_died || key == NULL || json_is_true(json_object_get(ev, "published")))
        return;
    violation(&tc->publish, "%s was already in the sink when this run first committed it, "
              "before any of its workers died: not this run's output (an earlier run's?)", key);
}

void sb_trace_checks_event(sb_trace_checks_t *tc, json_t *ev)
{
    const char *name = json_string_value(json_object_get(ev, "event"));
    int64_t t_ns = json_integer_value(json_object_get(ev, "t_ns"));
    if (name == NULL)
        return;
    if (strcmp(name, "checkpoint_completed") == 0) {
        int64_t id = json_integer_value(json_object_get(ev, "checkpoint"));
        tc->completed_count++;
        sb_twophase_completed(&tc->twophase, id);
        tc->last_completion_ns = t_ns;
        note_completion(tc, t_ns);
    } else if (strcmp(name, "checkpoint_triggered") == 0) {
        if (tc->first_trigger_ns < 0 || t_ns < tc->first_trigger_ns)
            tc->first_trigger_ns = t_ns;
    } else if (strcmp(name, "checkpoint_aborted") == 0) {
        tc->aborted_count++;
    } else if (strcmp(name, "crash") == 0) {
        tc->crashes++;
        tc->last_crash_ns = t_ns;
        tc->incarnation_died = true;
    } else if (strcmp(name, "worker_failed") == 0) {
        tc->incarnation_died = true;
    } else if (strcmp(name, "restore") == 0) {
        on_restore(tc, ev);
    } else if (strcmp(name, "sink_commit") == 0) {
        note_rules(tc, sb_twophase_sink_commit(&tc->twophase, ev), &tc->publish);
        on_commit_of_another_run(tc, ev);
    } else if (strcmp(name, "channel_state_restored") == 0) {
        int64_t n = json_integer_value(json_object_get(ev, "records"));
        tc->inflight_restored += n;
        tc->channel_states_restored += n > 0;
    } else if (strcmp(name, SB_EV_RESTORE_FALLBACK) == 0) {
        const char *reason = json_string_value(json_object_get(ev, "reason"));
        if (tc->fallback_first[0] == '\0')
            snprintf(tc->fallback_first, sizeof tc->fallback_first, "chk-%" PRId64 " refused: %s",
                     (int64_t)json_integer_value(json_object_get(ev, "checkpoint")),
                     reason != NULL ? reason : "?");
        sb_twophase_fallback(&tc->twophase, ev);
    } else if (strcmp(name, SB_EV_CHECKPOINT_DAMAGED) == 0) {
        sb_twophase_damaged(&tc->twophase, ev);
    }
}

void sb_trace_checks_object(sb_trace_checks_t *tc, const char *key)
{
    if (!sb_twophase_committed(&tc->twophase, key))
        violation(&tc->publish, "%s is in the store, but the sink never committed it", key);
}

void sb_trace_checks_finish(sb_trace_checks_t *tc, sb_verdict_t *v)
{
    v->restores = tc->restore;
    v->publishes = tc->publish;
    v->crashes_seen = tc->crashes;
    v->checkpoints_completed = tc->completed_count;
    v->checkpoints_aborted = tc->aborted_count;
    v->restores_count = tc->restores;
    v->inflight_restored = tc->inflight_restored;
    v->channel_states_restored = tc->channel_states_restored;
    v->fallbacks_count = tc->twophase.fallbacks;
    snprintf(v->fallback_first, sizeof v->fallback_first, "%s", tc->fallback_first);
    memcpy(v->restored_from, tc->restored_from, sizeof v->restored_from);
    v->crashes.ok = v->crashes_seen == v->crashes_injected;
    if (!v->crashes.ok)
        snprintf(v->crashes.detail, sizeof v->crashes.detail,
                 "%d crashes seen, %d injected", v->crashes_seen, v->crashes_injected);
    v->liveness.ok = tc->last_completion_ns > tc->last_crash_ns;
    if (!v->liveness.ok)
        snprintf(v->liveness.detail, sizeof v->liveness.detail,
                 "no checkpoint completed after the last crash");
}

/* Every object under the sink prefix must have been committed by the sink:
 * anything else was written behind the two-phase commit's back. */
static int check_objects_committed(sb_store_t *st, sb_trace_checks_t *tc, sb_err_t *err)
{
    sb_store_list_t l;
    if (sb_store_list(st, "", &l, err) != 0)
        return -1;
    for (size_t i = 0; i < l.count; i++)
        sb_trace_checks_object(tc, l.keys[i]);
    sb_store_list_free(&l);
    return 0;
}

static int visit(json_t *ev, void *ctx)
{
    sb_trace_checks_event(ctx, ev);
    return 0;
}

/* A restore from a checkpoint the trace never saw complete is legitimate
 * only if its _metadata exists (the completion's trace line was lost to a
 * crash). Otherwise the worker restored a checkpoint that never completed. */
static int check_unverified_restores(const sb_verdict_params_t *p, sb_trace_checks_t *tc,
                                     sb_err_t *err)
{
    if (tc->twophase.unverified_count == 0)
        return 0;
    sb_cpstore_t cps;
    if (sb_cpstore_open(&cps, p->checkpoints_uri, p->run_dir, p->job_name, 1, err) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < tc->twophase.unverified_count && rc == 0; i++) {
        json_t *meta = NULL;
        sb_err_t ignored;
        if (sb_cpstore_read_metadata(&cps, tc->twophase.unverified[i], &meta, &ignored) == 0) {
            json_decref(meta);
            continue;
        }
        violation(&tc->restore, "restored from chk-%" PRId64 ", which never completed "
                  "(it has no _metadata)", tc->twophase.unverified[i]);
    }
    sb_store_close(&cps.store);
    return rc;
}

/* At the end, from storage: every checkpoint a restore read that is still
 * kept must verify, file by file (a restore must never have read damaged
 * state). Checkpoints the supervisor damaged were judged from the trace. */
static int check_restored_in_storage(const sb_verdict_params_t *p, sb_trace_checks_t *tc,
                                     sb_err_t *err)
{
    if (tc->restores == 0)
        return 0;
    sb_cpstore_t cps;
    if (sb_cpstore_open(&cps, p->checkpoints_uri, p->run_dir, p->job_name, 1, err) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < tc->restores && rc == 0; i++) {
        int64_t id = tc->restored_from[i];
        const char *why;
        if (id <= 0 || sb_twophase_bad(&tc->twophase, id, &why))
            continue;
        char prefix[SB_STORE_KEY_BYTES_MAX];
        snprintf(prefix, sizeof prefix, "%s/chk-%" PRId64 "/", p->job_name, id);
        sb_store_list_t l;
        if (sb_store_list(&cps.store, prefix, &l, err) != 0) {
            rc = -1;
            break;
        }
        for (size_t k = 0; k < l.count; k++) {
            const char *name = l.keys[k] + strlen(prefix);
            sb_err_t bad = { { 0 } };
            if (strcmp(name, "_triggered") == 0 ||
                sb_cpstore_verify_file(&cps, id, name, &bad) == 0)
                continue;
            violation(&tc->restore, "restored from chk-%" PRId64 ", which does not verify: %s",
                      id, bad.msg);
            break;
        }
        sb_store_list_free(&l);
    }
    sb_store_close(&cps.store);
    return rc;
}

/* ---------------------------------------------------------- leftovers */

static int check_leftovers(const sb_verdict_params_t *p, sb_store_t *sink, sb_verdict_t *v,
                           sb_err_t *err)
{
    size_t n = 0;
    char example[SB_VERDICT_DETAIL_BYTES_MAX / 2];
    v->leftovers.ok = true;
    if (sb_store_leftovers(sink, "", &n, example, sizeof example, err) != 0)
        return -1;
    if (n > 0) {
        v->leftovers.ok = false;
        snprintf(v->leftovers.detail, sizeof v->leftovers.detail,
                 "%zu left under the sink prefix, e.g. %s", n, example);
        return 0;
    }
    sb_store_t cps;
    if (sb_store_open(&cps, p->checkpoints_uri, p->run_dir, err) != 0)
        return -1;
    char prefix[SB_STORE_KEY_BYTES_MAX];
    snprintf(prefix, sizeof prefix, "%s/", p->job_name);
    int rc = sb_store_leftovers(&cps, prefix, &n, example, sizeof example, err);
    sb_store_close(&cps);
    if (rc == 0 && n > 0) {
        v->leftovers.ok = false;
        snprintf(v->leftovers.detail, sizeof v->leftovers.detail,
                 "%zu left under the checkpoint prefix, e.g. %s", n, example);
    }
    return rc;
}

/* Flink's FileSink keeps the in-progress files of a failed attempt (its
 * restore resumes the checkpointed ones and never looks at the others):
 * counted and shown, not a violation of anything Flink promises. */
static int flink_leftovers(const sb_verdict_params_t *p, sb_store_t *sink, sb_verdict_t *v,
                           sb_err_t *err)
{
    (void)p;
    v->leftovers.ok = true;
    /* The store's listing hides names that start with '.', which is what
     * FileSink's uncommitted files are: they are counted in the folder. */
    if (strncmp(sink->uri, "file://", 7) != 0)
        return 0;
    char dir[SB_STORE_PATH_BYTES_MAX];
    sb_store_path(sink, "", dir, sizeof dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : sb_err_errno(err, errno, "cannot list %s", dir);
    size_t n = 0;
    char example[SB_VERDICT_DETAIL_BYTES_MAX / 2] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, ".part-", 6) == 0 && n++ == 0)
            snprintf(example, sizeof example, "%s", e->d_name);
    closedir(d);
    if (n > 0)
        snprintf(v->leftovers.detail, sizeof v->leftovers.detail, "%zu uncommitted file%s of "
                 "failed attempts left by Flink's FileSink (e.g. %s); not output", n,
                 n == 1 ? "" : "s", example);
    return 0;
}

static int snapbed_storage_checks(const sb_verdict_params_t *p, sb_store_t *sink,
                                  sb_trace_checks_t *tc, sb_err_t *err)
{
    int rc = check_objects_committed(sink, tc, err);
    if (rc == 0)
        rc = check_unverified_restores(p, tc, err);
    if (rc == 0)
        rc = check_restored_in_storage(p, tc, err);
    return rc;
}

/* Adds to a check's detail what fits. */
static void append_detail(sb_verdict_check_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append_detail(sb_verdict_check_t *c, const char *fmt, ...)
{
    size_t used = strnlen(c->detail, sizeof c->detail);
    va_list ap;
    va_start(ap, fmt);
    if (used + 1 < sizeof c->detail)
        vsnprintf(c->detail + used, sizeof c->detail - used, fmt, ap);
    va_end(ap);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* t0_epoch_ms of flink/rest.json: Flink's epoch times minus it are the
 * trace's t_ns (runtime/flink_stats.h). 0 when the file is not there. */
static int flink_t0_epoch_ms(const char *run_dir, int64_t *t0, sb_err_t *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/flink/rest.json", run_dir);
    *t0 = 0;
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : sb_err_errno(err, errno, "cannot read %s", path);
    if (st.st_size > SB_FLINK_STATS_FILE_BYTES_MAX)
        return sb_err_set(err, "%s: %lld bytes, more than %lld", path, (long long)st.st_size,
                          (long long)SB_FLINK_STATS_FILE_BYTES_MAX);
    json_error_t je;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL)
        return sb_err_set(err, "%s:%d: %s", path, je.line, je.text);
    json_t *v = json_object_get(o, "t0_epoch_ms");
    int rc = 0;
    if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
        json_integer_value(v) > SB_FLINK_STATS_EPOCH_MS_MAX)
        rc = sb_err_set(err, "%s: \"t0_epoch_ms\" is missing or not an epoch time in ms", path);
    else
        *t0 = (int64_t)json_integer_value(v);
    json_decref(o);
    return rc;
}

/* On Flink the sink's commits are not traced, but a committed file says
 * when it was published: a local commit is a rename, which sets the file's
 * ctime, while its mtime is its last write. A two-phase sink writes, then
 * a checkpoint covering the write completes, then it renames: so some
 * checkpoint must complete between the two times. A file renamed when the
 * checkpoint was taken (commit-early) or written in place (at-least-once)
 * has none. Flink's completion times are whole milliseconds (its latest
 * acknowledgement), so the last write is compared in whole milliseconds
 * too; the rename is later than the completion by a round trip at least.
 * Flink keeps a bounded history (web.checkpoints.history): a file last
 * written before the oldest checkpoint it lists is not judged, but counted. */
static int flink_storage_checks(const sb_verdict_params_t *p, sb_store_t *sink,
                                sb_trace_checks_t *tc, sb_err_t *err)
{
    sb_verdict_check_t *c = &tc->publish;
    c->ok = true;
    int64_t t0 = 0;
    if (flink_t0_epoch_ms(p->run_dir, &t0, err) != 0)
        return -1;
    if (t0 == 0 || strncmp(sink->uri, "file://", 7) != 0 || tc->completions_overflow) {
        snprintf(c->detail, sizeof c->detail, "not checked: %s",
                 t0 == 0 ? "no flink/rest.json (Flink's clock)"
                 : tc->completions_overflow ? "too many checkpoints in the trace"
                                            : "the sink is not a local folder");
        return 0;
    }
    qsort(tc->completions, tc->completions_count, sizeof *tc->completions, cmp_i64);
    sb_store_list_t l;
    if (sb_store_list(sink, "part-", &l, err) != 0)
        return -1;
    int64_t early = 0, files = 0, older = 0;
    int rc = 0;
    for (size_t i = 0; i < l.count && rc == 0; i++) {
        size_t uuid_len;
        int64_t counter;
        if (!sb_verdict_flink_key_parse(l.keys[i], &uuid_len, &counter))
            continue;
        char path[SB_STORE_PATH_BYTES_MAX];
        sb_store_path(sink, l.keys[i], path, sizeof path);
        struct stat st;
        if (stat(path, &st) != 0) {
            rc = sb_err_errno(err, errno, "cannot stat %s", path);
            break;
        }
        int64_t written_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        int64_t written = (written_ms - t0) * SB_NS_PER_MS;
        int64_t renamed = ((int64_t)st.st_ctim.tv_sec * 1000 - t0) * SB_NS_PER_MS +
                          st.st_ctim.tv_nsec;
        if (tc->first_trigger_ns >= 0 && written < tc->first_trigger_ns) {
            older++;
            continue;
        }
        files++;
        /* the first completion at or after the last write */
        size_t lo = 0, hi = tc->completions_count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (tc->completions[mid] < written)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < tc->completions_count && tc->completions[lo] <= renamed)
            continue;
        if (early++ > 0)
            continue;
        if (lo < tc->completions_count)
            violation(c, "%s was renamed into place %.0f ms after its last write and %.0f ms "
                      "before the first checkpoint that completed after that write: output "
                      "visible before the checkpoint covering it completed", l.keys[i],
                      (double)(renamed - written) / 1e6,
                      (double)(tc->completions[lo] - renamed) / 1e6);
        else
            violation(c, "%s was renamed into place %.0f ms after its last write, and no "
                      "checkpoint completed after that write: output visible that no completed "
                      "checkpoint covers", l.keys[i], (double)(renamed - written) / 1e6);
    }
    sb_store_list_free(&l);
    if (rc == 0 && early > 1)
        append_detail(c, " (%" PRId64 " of %" PRId64 " files)", early, files);
    if (rc == 0 && c->ok)
        snprintf(c->detail, sizeof c->detail, "each of %" PRId64 " file%s renamed into place "
                 "after a checkpoint that completed after its last write", files,
                 files == 1 ? "" : "s");
    if (rc == 0 && older > 0)
        append_detail(c, "; %" PRId64 " written before the oldest checkpoint in Flink's history "
                      "not judged", older);
    return rc;
}

/* What differs between the engines a run's output comes from. */
typedef struct engine_checks {
    int (*observe)(sb_store_t *sink, sb_eo_t *eo, int64_t *objects, sb_err_t *err);
    int (*leftovers)(const sb_verdict_params_t *p, sb_store_t *sink, sb_verdict_t *v,
                     sb_err_t *err);
    int (*storage)(const sb_verdict_params_t *p, sb_store_t *sink, sb_trace_checks_t *tc,
                   sb_err_t *err);
} engine_checks_t;

static const engine_checks_t engine_checks[] = {
    [SB_ENGINE_SNAPBED] = { sb_verdict_observe_output, check_leftovers, snapbed_storage_checks },
    [SB_ENGINE_FLINK] = { sb_verdict_observe_flink_output, flink_leftovers,
                          flink_storage_checks },
};
_Static_assert(sizeof engine_checks / sizeof engine_checks[0] == SB_ENGINE_COUNT_,
               "every engine has its checks");

/* --------------------------------------------------------------- all */

int sb_verdict_compute(const sb_verdict_params_t *p, sb_verdict_t *v, sb_err_t *err)
{
    const sb_scenario_t *s = p->scenario;
    memset(v, 0, sizeof *v);
    if ((unsigned)p->engine >= SB_ENGINE_COUNT_)
        return sb_err_set(err, "unknown engine %d", (int)p->engine);
    const engine_checks_t *ops = &engine_checks[p->engine];
    v->crashes_injected = p->crashes_injected;
    v->order_checked = sb_verdict_graph_keeps_order(s);
    sb_eo_t *eo = sb_eo_new(p->input->partitions, p->input->low, p->input->high,
                            v->order_checked);
    if (eo == NULL)
        return sb_err_set(err, "out of memory for the exactly-once checker");
    expect_ctx_t ec = { s, eo, s->count_enabled ? json_object() : NULL, 0, err };
    int rc = s->flink.oracle[0] != '\0'
                 ? oracle_expect(p, eo, &ec.records_in, err)
                 : sb_kafka_read_all(p->input->bootstrap, p->input->topic, p->input->partitions,
                                     p->input->low, p->input->high, on_input_record, &ec, err);
    v->records_in = ec.records_in;
    sb_store_t sink;
    bool sink_open = rc == 0 && sb_store_open(&sink, p->sink_uri, p->run_dir, err) == 0;
    if (rc == 0 && !sink_open)
        rc = -1;
    if (rc == 0)
        rc = ops->observe(&sink, eo, &v->objects, err);
    if (rc == 0) {
        sb_eo_finish(eo, &v->eo);
        v->eo_ok = sb_eo_report_ok(&v->eo);
    }
    sb_eo_free(eo);
    if (rc == 0 && s->count_enabled) {
        json_t *got = json_object();
        int files = 0;
        rc = load_counts(p->run_dir, got, &files, err);
        if (rc == 0) {
            v->counts_checked = true;
            compare_counts(ec.true_counts, got, files, s->count.parallelism, &v->counts);
        }
        json_decref(got);
    }
    json_decref(ec.true_counts);
    if (rc == 0)
        rc = ops->leftovers(p, &sink, v, err);
    if (rc != 0) {
        if (sink_open)
            sb_store_close(&sink);
        return -1;
    }
    sb_trace_checks_t *tc = sb_trace_checks_new();
    char path[1100];
    snprintf(path, sizeof path, "%s/trace.jsonl", p->run_dir);
    int truncated = 0;
    rc = sb_trace_read(path, visit, tc, &truncated, err);
    v->trace_truncated = truncated != 0;
    if (rc == 0)
        rc = ops->storage(p, &sink, tc, err);
    if (rc == 0)
        sb_trace_checks_finish(tc, v);
    sb_trace_checks_free(tc);
    sb_store_close(&sink);
    /* Evidence the scenario asks for: unaligned channel state did carry
     * records across a restore (else the run did not test replaying it). */
    v->channel_state_checked = p->scenario->expect_channel_state_restored;
    v->channel_state.ok = v->inflight_restored > 0;
    if (v->channel_state_checked && !v->channel_state.ok)
        snprintf(v->channel_state.detail, sizeof v->channel_state.detail,
                 "no restore replayed any in-flight record (expect.channel_state_restored)");
    /* Evidence that a damaged checkpoint was refused as many times as the
     * scenario says (a corrupt fault that nobody noticed proves nothing). */
    v->fallbacks_checked = s->expect_restore_fallbacks >= 0;
    v->fallbacks.ok = !v->fallbacks_checked || v->fallbacks_count == s->expect_restore_fallbacks;
    if (!v->fallbacks.ok)
        snprintf(v->fallbacks.detail, sizeof v->fallbacks.detail,
                 "%" PRId64 " restore fallback%s, the scenario expects %d "
                 "(expect.restore_fallbacks)", v->fallbacks_count,
                 v->fallbacks_count == 1 ? "" : "s", s->expect_restore_fallbacks);
    return rc;
}

bool sb_verdict_ok(const sb_verdict_t *v)
{
    return v->eo_ok && (!v->counts_checked || v->counts.ok) &&
           (!v->channel_state_checked || v->channel_state.ok) &&
           (!v->fallbacks_checked || v->fallbacks.ok) &&
           v->restores.ok &&
           v->publishes.ok && v->crashes.ok && v->liveness.ok && v->leftovers.ok;
}
