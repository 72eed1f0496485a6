/* test_store_fault.c — the disk that fails (runtime/store_fault.h) and the
 * power loss (faultinject/diskloss.h), as a specification.
 *
 * Each injected errno on each operation fails the put that meets it, with
 * an error naming the key, the operation and the errno, leaves no object
 * and no temporary behind, is traced as fault_fired, and fires once. A
 * short write tears the file, which never becomes an object. The loss
 * model: written and not fsynced, then a crash, is gone; fsynced (file and
 * folder) is kept; the skip-fsync mutant loses what it reported written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "diskloss.h"
#include "scenario.h"
#include "store.h"
#include "store_fault.h"
#include "trace.h"

typedef struct fixture {
    char dir[64];                       /* the run folder */
    char uri[128];                      /* file://<dir>/store */
    sb_scenario_t *s;
    sb_store_t st;
    sb_trace_t trace;
    sb_err_t err;
} fixture_t;

/* A run folder with a file:// store carrying the faults of `faults_yaml`
 * (a scenario's faults: list, or a mutant line). */
static void fx_open(fixture_t *f, const char *yaml)
{
    memset(f, 0, sizeof *f);
    f->trace.fd = -1;
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-stfault-XXXXXX");
    snprintf(f->uri, sizeof f->uri, "file://%s/store", f->dir);
    f->s = calloc(1, sizeof *f->s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->s);
    int rc = sb_scenario_parse(f->s, "f.yaml", yaml, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/trace.jsonl", f->dir);
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&f->trace, path, &f->err), 0);
    CU_ASSERT_EQUAL_FATAL(sb_store_open(&f->st, f->uri, "/", &f->err), 0);
    rc = sb_store_fault_attach(&f->st, f->s, SB_STORAGE_CHECKPOINTS, f->dir, &f->trace, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void fx_close(fixture_t *f)
{
    sb_store_close(&f->st);
    sb_trace_close(&f->trace);
    free(f->s);
    rm_rf(f->dir);
}

static bool object_exists(fixture_t *f, const char *key)
{
    sb_err_t e;
    return sb_store_exists(&f->st, key, &e) == 1;
}

static size_t leftovers(fixture_t *f)
{
    size_t n = 99;
    sb_err_t e;
    CU_ASSERT_EQUAL(sb_store_leftovers(&f->st, "", &n, NULL, 0, &e), 0);
    return n;
}

static bool trace_has(fixture_t *f, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/trace.jsonl", f->dir);
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, in) != NULL)
        found = strstr(line, text) != NULL;
    fclose(in);
    return found;
}

/* One injected errno on one operation: the put fails and says where and
 * why, nothing is left, the event is traced, and the fault fires once. */
static void check_injected(const char *action, const char *op, int want_errno)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "faults:\n  - do: { storage: %s, store: checkpoints, op: %s }\n"
             "    at: { checkpoint: 4 }\n", action, op);
    fixture_t f;
    fx_open(&f, yaml);
    /* Another checkpoint's object is not touched. */
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "job/chk-3/_metadata", "{}", 2, &f.err), 0);
    int rc = sb_store_put(&f.st, "job/chk-4/_metadata", "{\"x\":1}", 7, &f.err);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.msg, "job/chk-4/"));
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.msg, op));
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.msg, strerror(want_errno)));
    CU_ASSERT_FALSE(object_exists(&f, "job/chk-4/_metadata"));
    CU_ASSERT_EQUAL(leftovers(&f), 0);
    char fired[160];
    snprintf(fired, sizeof fired, "\"storage\":\"%s\",\"store\":\"checkpoints\",\"op\":\"%s\"",
             action, op);
    CU_ASSERT_TRUE(trace_has(&f, fired));
    CU_ASSERT_TRUE(sb_store_fault_fired(f.dir, 0));
    /* Once per run: the retry goes through. */
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "job/chk-4/_metadata", "{\"x\":1}", 7, &f.err), 0);
    CU_ASSERT_TRUE(object_exists(&f, "job/chk-4/_metadata"));
    fx_close(&f);
}

static void test_enospc_on_write_fails_the_put(void) { check_injected("enospc", "write", ENOSPC); }
static void test_enospc_on_fsync_fails_the_put(void) { check_injected("enospc", "fsync", ENOSPC); }
static void test_enospc_on_rename_fails_the_put(void) { check_injected("enospc", "rename", ENOSPC); }
static void test_eio_on_write_fails_the_put(void) { check_injected("eio", "write", EIO); }
static void test_eio_on_fsync_fails_the_put(void) { check_injected("eio", "fsync", EIO); }
static void test_eio_on_rename_fails_the_put(void) { check_injected("eio", "rename", EIO); }

/* The negative control of the above: the same puts without a fault. */
static void test_without_a_fault_every_put_succeeds(void)
{
    fixture_t f;
    fx_open(&f, "name: x\n");
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "job/chk-4/_metadata", "{\"x\":1}", 7, &f.err), 0);
    CU_ASSERT_TRUE(object_exists(&f, "job/chk-4/_metadata"));
    CU_ASSERT_FALSE(sb_store_fault_fired(f.dir, 0));
    fx_close(&f);
}

static void test_hit_counts_matching_operations_of_the_incarnation(void)
{
    fixture_t f;
    fx_open(&f, "faults:\n  - do: { storage: enospc, store: checkpoints, op: rename }\n"
                "    at: { hit: 2 }\n");
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "a", "1", 1, &f.err), 0);
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "b", "1", 1, &f.err), -1);
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "c", "1", 1, &f.err), 0);
    CU_ASSERT_FALSE(object_exists(&f, "b"));
    fx_close(&f);
}

/* A short write tears the temporary file (half of it on disk, then the
 * disk is full); the torn file never becomes an object. */
static void test_short_write_tears_the_file_and_it_never_becomes_an_object(void)
{
    fixture_t f;
    fx_open(&f, "faults:\n  - do: { storage: short-write, store: checkpoints }\n"
                "    at: { checkpoint: 2 }\n");
    char data[1000];
    memset(data, 'x', sizeof data);
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "job/chk-2/map-0.json", data, sizeof data, &f.err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.msg, "job/chk-2/map-0.json: write "));
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.msg, strerror(ENOSPC)));
    CU_ASSERT_FALSE(object_exists(&f, "job/chk-2/map-0.json"));
    CU_ASSERT_EQUAL(leftovers(&f), 0);
    CU_ASSERT_TRUE(trace_has(&f, "\"storage\":\"short-write\""));
    fx_close(&f);
}

/* --------------------------------------------------- the loss model -- */

static void crash(fixture_t *f)
{
    CU_ASSERT_EQUAL(sb_diskloss_after_crash(f->s, f->dir, &f->trace, &f->err), 0);
}

static void test_fsynced_objects_survive_the_power_loss(void)
{
    fixture_t f;
    fx_open(&f, "faults:\n  - do: { storage: lose-unsynced, store: checkpoints }\n");
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "job/chk-1/_metadata", "{\"a\":1}", 7, &f.err), 0);
    crash(&f);
    char *data = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL(sb_store_get(&f.st, "job/chk-1/_metadata", &data, &len, &f.err), 1);
    CU_ASSERT_EQUAL(len, 7);
    free(data);
    CU_ASSERT_TRUE(sb_store_fault_fired(f.dir, 0));
    CU_ASSERT_TRUE(trace_has(&f, "\"truncated\":0,\"vanished\":0"));
    fx_close(&f);
}

/* The mutant reports a put done without an fsync: the power loss takes
 * the object, and the folders made for it. */
static void test_skip_fsync_loses_what_it_reported_written(void)
{
    fixture_t f;
    fx_open(&f, "mutant: skip-fsync\n"
                "faults:\n  - do: { storage: lose-unsynced, store: checkpoints }\n");
    CU_ASSERT_EQUAL(sb_store_put(&f.st, "job/chk-1/_metadata", "{\"a\":1}", 7, &f.err), 0);
    CU_ASSERT_TRUE(object_exists(&f, "job/chk-1/_metadata"));
    crash(&f);
    CU_ASSERT_FALSE(object_exists(&f, "job/chk-1/_metadata"));
    char job[128];
    snprintf(job, sizeof job, "%s/store/job", f.dir);
    struct stat sbuf;
    CU_ASSERT_NOT_EQUAL(stat(job, &sbuf), 0);
    fx_close(&f);
}

/* A journal written by hand, replayed on real files. */
static void write_file(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    fputs(text, out);
    fclose(out);
}

static long file_size(const char *path)
{
    struct stat sbuf;
    return stat(path, &sbuf) == 0 ? (long)sbuf.st_size : -1;
}

static void test_unsynced_data_is_cut_back_to_its_synced_length(void)
{
    char dir[64], a[128], b[128], j[128], text[512];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-diskloss-XXXXXX");
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(j, sizeof j, "%s/journal", dir);
    write_file(a, "0123456789");
    write_file(b, "0123456789");
    /* a: 4 bytes fsynced, then more written; b: fsynced whole. Both names
     * already durable (not created in this journal). */
    snprintf(text, sizeof text, "W\t%s\nS\t%s\t4\nW\t%s\nW\t%s\nS\t%s\t10\n", a, a, a, b, b);
    write_file(j, text);
    sb_diskloss_stats_t st;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_diskloss_apply_journal(j, &st, &err), 0);
    CU_ASSERT_EQUAL(file_size(a), 4);
    CU_ASSERT_EQUAL(file_size(b), 10);
    CU_ASSERT_EQUAL(st.truncated, 1);
    CU_ASSERT_EQUAL(file_size(j), -1); /* the journal starts over */
    rm_rf(dir);
}

static void test_a_rename_is_undone_unless_its_folder_was_fsynced(void)
{
    char dir[64], sub[128], t1[128], o1[128], t2[128], o2[128], j[128], text[1024];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-diskloss-XXXXXX");
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0755);
    snprintf(t1, sizeof t1, "%s/one.tmp", sub);
    snprintf(o1, sizeof o1, "%s/one", sub);
    snprintf(t2, sizeof t2, "%s/two.tmp", dir);
    snprintf(o2, sizeof o2, "%s/two", dir);
    write_file(o1, "first");
    write_file(o2, "second");
    /* one: fsynced, renamed, its folder never fsynced: gone. two: the same
     * and then its folder fsynced: kept, whole. */
    snprintf(text, sizeof text,
             "C\t%s\nW\t%s\nS\t%s\t5\nR\t%s\t%s\n"
             "C\t%s\nW\t%s\nS\t%s\t6\nR\t%s\t%s\nD\t%s\n",
             t1, t1, t1, t1, o1, t2, t2, t2, t2, o2, dir);
    snprintf(j, sizeof j, "%s/journal", dir);
    write_file(j, text);
    sb_diskloss_stats_t st;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_diskloss_apply_journal(j, &st, &err), 0);
    CU_ASSERT_EQUAL(file_size(o1), -1);
    CU_ASSERT_EQUAL(file_size(o2), 6);
    CU_ASSERT_EQUAL(st.vanished, 1);
    rm_rf(dir);
}

static void test_a_folder_made_without_fsyncing_its_parent_vanishes_whole(void)
{
    char dir[64], sub[128], inner[160], j[128], text[512];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-diskloss-XXXXXX");
    snprintf(sub, sizeof sub, "%s/chk-1", dir);
    snprintf(inner, sizeof inner, "%s/_metadata", sub);
    mkdir(sub, 0755);
    write_file(inner, "{}");
    /* The file is durable in its folder, but the folder is not in dir. */
    snprintf(text, sizeof text, "M\t%s\nC\t%s\nS\t%s\t2\nD\t%s\n", sub, inner, inner, sub);
    snprintf(j, sizeof j, "%s/journal", dir);
    write_file(j, text);
    sb_diskloss_stats_t st;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_diskloss_apply_journal(j, &st, &err), 0);
    struct stat sbuf;
    CU_ASSERT_NOT_EQUAL(stat(sub, &sbuf), 0);
    rm_rf(dir);
}

static void test_a_garbage_journal_is_an_error_naming_its_line(void)
{
    char dir[64], j[128];
    temp_dir_make(dir, sizeof dir, "/tmp/sb-diskloss-XXXXXX");
    snprintf(j, sizeof j, "%s/journal", dir);
    write_file(j, "W\t/x\nbogus line\n");
    sb_diskloss_stats_t st;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_diskloss_apply_journal(j, &st, &err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "journal:2:"));
    rm_rf(dir);
}

/* ------------------------------------------------------ pure parts -- */

static void test_an_object_names_its_checkpoint(void)
{
    CU_ASSERT_EQUAL(sb_store_fault_key_checkpoint("job-1/chk-12/map-0.json"), 12);
    CU_ASSERT_EQUAL(sb_store_fault_key_checkpoint("chk-3/_metadata"), 3);
    CU_ASSERT_EQUAL(sb_store_fault_key_checkpoint("part-001-000000000007"), 7);
    CU_ASSERT_EQUAL(sb_store_fault_key_checkpoint("_uploads/u1-2-3/part-00001"), -1);
    CU_ASSERT_EQUAL(sb_store_fault_key_checkpoint("xchk-3/_metadata"), -1);
    CU_ASSERT_EQUAL(sb_store_fault_key_checkpoint("job/chk-3x/_metadata"), -1);
}

/* ---------------------------------------------------------- parsing -- */

static void check_refused(const char *yaml, const char *want)
{
    sb_scenario_t *s = calloc(1, sizeof *s);
    sb_err_t err = { { 0 } };
    CU_ASSERT_EQUAL(sb_scenario_parse(s, "f.yaml", yaml, &err), -1);
    if (strstr(err.msg, want) == NULL)
        fprintf(stderr, "\n    got: %s\n    want: %s\n", err.msg, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
    free(s);
}

static void test_storage_faults_are_validated_with_clear_errors(void)
{
    check_refused("faults:\n  - do: { storage: enospc, op: write }\n    at: 1s\n",
                  "names its store");
    check_refused("faults:\n  - do: { storage: full, store: sink }\n    at: 1s\n",
                  "unknown storage fault 'full' (known: enospc, eio, short-write, lose-unsynced)");
    check_refused("faults:\n  - do: { storage: eio, store: sink }\n    at: 1s\n",
                  "names its operation");
    check_refused("faults:\n  - do: { storage: eio, store: disk, op: write }\n    at: 1s\n",
                  "unknown store 'disk'");
    check_refused("faults:\n  - do: { storage: short-write, store: sink, op: fsync }\n"
                  "    at: 1s\n", "a short write is a write");
    check_refused("faults:\n  - do: { storage: lose-unsynced, store: sink }\n    at: 1s\n",
                  "lose-unsynced takes no 'op' and no 'at'");
    check_refused("faults:\n  - do: { storage: eio, store: sink, op: write }\n",
                  "needs 'at: TIME'");
    check_refused("faults:\n  - do: { storage: eio, store: sink, op: write }\n"
                  "    at: { checkpoint: final }\n", "not final");
    check_refused("faults:\n  - do: crash\n    at: { checkpoint: 2 }\n", "missing 'point'");
    check_refused("faults:\n  - do: { stall: map, op: write }\n    at: 1s\n",
                  "'store' and 'op' are for storage faults");
}

static void test_storage_faults_and_skip_fsync_are_for_snapbed_run_only(void)
{
    sb_scenario_t *s = calloc(1, sizeof *s);
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_scenario_parse(s, "f.yaml", "faults:\n  - do: { storage: lose-unsynced, "
                                      "store: sink }\n", &err), 0);
    CU_ASSERT_EQUAL(s->runs, SB_RUNS_REAL_ONLY);
    CU_ASSERT_EQUAL(s->faults[0].trigger, SB_TRIGGER_STORAGE);
    CU_ASSERT_EQUAL(sb_scenario_parse(s, "f.yaml", "mutant: skip-fsync\n", &err), 0);
    CU_ASSERT_EQUAL(s->runs, SB_RUNS_REAL_ONLY);
    free(s);
}

void test_store_fault_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_enospc_on_write_fails_the_put),
        T(test_enospc_on_fsync_fails_the_put),
        T(test_enospc_on_rename_fails_the_put),
        T(test_eio_on_write_fails_the_put),
        T(test_eio_on_fsync_fails_the_put),
        T(test_eio_on_rename_fails_the_put),
        T(test_without_a_fault_every_put_succeeds),
        T(test_hit_counts_matching_operations_of_the_incarnation),
        T(test_short_write_tears_the_file_and_it_never_becomes_an_object),
        T(test_fsynced_objects_survive_the_power_loss),
        T(test_skip_fsync_loses_what_it_reported_written),
        T(test_unsynced_data_is_cut_back_to_its_synced_length),
        T(test_a_rename_is_undone_unless_its_folder_was_fsynced),
        T(test_a_folder_made_without_fsyncing_its_parent_vanishes_whole),
        T(test_a_garbage_journal_is_an_error_naming_its_line),
        T(test_an_object_names_its_checkpoint),
        T(test_storage_faults_are_validated_with_clear_errors),
        T(test_storage_faults_and_skip_fsync_are_for_snapbed_run_only),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("store_fault", cases);
}
