/* test_trace.c — trace.jsonl, as a specification.
 *
 * Writers: one JSON object a line, each with t_ns, pid and event, never
 * interleaved. Readers: every line in order; a last line cut by a crash is
 * tolerated and reported, a bad line anywhere else is an error naming it. */
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "trace.h"

typedef struct fixture {
    char dir[64];
    char path[96];                      /* <dir>/trace.jsonl */
    sb_err_t err;
} fixture_t;

static void fx_open(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-trace-XXXXXX");
    snprintf(f->path, sizeof f->path, "%s/trace.jsonl", f->dir);
}

static void fx_close(fixture_t *f)
{
    temp_dir_remove(f->dir);
}

static void write_text(const fixture_t *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The whole file, malloc'd. */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(mem);
    fclose(fp);
    return buf;
}

/* Collects what sb_trace_read visits. */
typedef struct seen {
    int count;
    char events[16][32];
    json_int_t seq[16];
    int stop_after;                     /* return 1 after this many; 0: never */
} seen_t;

static int collect(json_t *event, void *ctx)
{
    seen_t *s = ctx;
    if (s->count < 16) {
        const char *name = json_string_value(json_object_get(event, "event"));
        snprintf(s->events[s->count], sizeof s->events[0], "%s", name ? name : "?");
        s->seq[s->count] = json_integer_value(json_object_get(event, "seq"));
    }
    s->count++;
    return s->stop_after != 0 && s->count >= s->stop_after ? 1 : 0;
}

static int read_trace(fixture_t *f, seen_t *s, int *truncated)
{
    memset(s, 0, sizeof *s);
    *truncated = -1; /* must be overwritten */
    return sb_trace_read(f->path, collect, s, truncated, &f->err);
}

/* ---------------------------------------------------------------- emit -- */

static void test_emitted_lines_are_json_objects_with_t_ns_pid_and_event(void)
{
    fixture_t f;
    fx_open(&f);
    sb_trace_t t;
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&t, f.path, &f.err), 0);
    CU_ASSERT_EQUAL(sb_trace_emit(&t, "checkpoint_triggered",
                                  json_pack("{s:i,s:s}", "checkpoint", 3, "task", "map-0")),
                    0);
    CU_ASSERT_EQUAL(sb_trace_emit(&t, "crash", NULL), 0);
    sb_trace_close(&t);
    CU_ASSERT_EQUAL(t.fd, -1);

    char *text = slurp(f.path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    size_t len = strlen(text);
    CU_ASSERT(len > 0 && text[len - 1] == '\n');
    int lines = 0;
    json_int_t last_t_ns = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        lines++;
        json_error_t jerr;
        json_t *ev = json_loads(line, 0, &jerr);
        if (ev == NULL)
            fprintf(stderr, "\n    line %d is not JSON: %s\n", lines, line);
        CU_ASSERT_FATAL(json_is_object(ev));
        json_t *t_ns = json_object_get(ev, "t_ns");
        CU_ASSERT_TRUE(json_is_integer(t_ns));
        CU_ASSERT(json_integer_value(t_ns) > 0);
        CU_ASSERT(json_integer_value(t_ns) >= last_t_ns);
        last_t_ns = json_integer_value(t_ns);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(ev, "pid")), getpid());
        CU_ASSERT_TRUE(json_is_string(json_object_get(ev, "event")));
        if (lines == 1) {
            CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "event")),
                                   "checkpoint_triggered");
            CU_ASSERT_EQUAL(json_integer_value(json_object_get(ev, "checkpoint")), 3);
            CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "task")), "map-0");
        } else {
            CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "event")), "crash");
            CU_ASSERT_EQUAL(json_object_size(ev), 3);
        }
        json_decref(ev);
    }
    CU_ASSERT_EQUAL(lines, 2);
    free(text);
    fx_close(&f);
}

static void test_a_second_writer_appends_instead_of_overwriting(void)
{
    fixture_t f;
    fx_open(&f);
    sb_trace_t a, b;
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&a, f.path, &f.err), 0);
    CU_ASSERT_EQUAL(sb_trace_emit(&a, "run_started", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&b, f.path, &f.err), 0);
    CU_ASSERT_EQUAL(sb_trace_emit(&b, "worker_started", NULL), 0);
    CU_ASSERT_EQUAL(sb_trace_emit(&a, "crash", NULL), 0);
    sb_trace_close(&a);
    sb_trace_close(&b);
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), 0);
    CU_ASSERT_EQUAL_FATAL(s.count, 3);
    CU_ASSERT_STRING_EQUAL(s.events[0], "run_started");
    CU_ASSERT_STRING_EQUAL(s.events[1], "worker_started");
    CU_ASSERT_STRING_EQUAL(s.events[2], "crash");
    fx_close(&f);
}

static void test_emit_on_a_closed_trace_fails(void)
{
    fixture_t f;
    fx_open(&f);
    sb_trace_t t;
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&t, f.path, &f.err), 0);
    sb_trace_close(&t);
    CU_ASSERT_EQUAL(sb_trace_emit(&t, "late", json_pack("{s:i}", "checkpoint", 1)), -1);
    fx_close(&f);
}

/* A line that does not fit the bound is refused whole, never cut. */
static void test_emit_of_an_event_above_the_line_bound_fails_and_writes_nothing(void)
{
    fixture_t f;
    fx_open(&f);
    sb_trace_t t;
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&t, f.path, &f.err), 0);
    char *pad = malloc(SB_TRACE_LINE_BYTES_MAX + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pad);
    memset(pad, 'x', SB_TRACE_LINE_BYTES_MAX);
    pad[SB_TRACE_LINE_BYTES_MAX] = '\0';
    CU_ASSERT_EQUAL(sb_trace_emit(&t, "huge", json_pack("{s:s}", "pad", pad)), -1);
    free(pad);
    CU_ASSERT_EQUAL(sb_trace_emit(&t, "small", NULL), 0);
    sb_trace_close(&t);
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), 0);
    CU_ASSERT_EQUAL_FATAL(s.count, 1);
    CU_ASSERT_STRING_EQUAL(s.events[0], "small");
    fx_close(&f);
}

static void test_open_in_a_missing_folder_names_the_path(void)
{
    sb_trace_t t;
    sb_err_t err = {{0}};
    CU_ASSERT_EQUAL(sb_trace_open(&t, "/nonexistent-sb/trace.jsonl", &err), -1);
    ASSERT_HAS(err.msg, "/nonexistent-sb/trace.jsonl");
}

#define WRITERS 4
#define LINES_PER_WRITER 200
#define PAD_BYTES 3000

typedef struct writer_arg {
    sb_trace_t *t;
    int id;
} writer_arg_t;

static void *writer(void *p)
{
    writer_arg_t *a = p;
    char pad[PAD_BYTES + 1];
    memset(pad, 'a' + a->id, PAD_BYTES);
    pad[PAD_BYTES] = '\0';
    for (int i = 0; i < LINES_PER_WRITER; i++)
        sb_trace_emit(a->t, "record",
                      json_pack("{s:i,s:i,s:s}", "writer", a->id, "seq", i, "pad", pad));
    return NULL;
}

typedef struct per_writer {
    int next[WRITERS];
    int bad;
} per_writer_t;

static int check_order(json_t *ev, void *ctx)
{
    per_writer_t *w = ctx;
    int id = (int)json_integer_value(json_object_get(ev, "writer"));
    int seq = (int)json_integer_value(json_object_get(ev, "seq"));
    const char *pad = json_string_value(json_object_get(ev, "pad"));
    if (id < 0 || id >= WRITERS || seq != w->next[id] || pad == NULL ||
        strlen(pad) != PAD_BYTES || pad[0] != 'a' + id || pad[PAD_BYTES - 1] != 'a' + id)
        w->bad++;
    else
        w->next[id]++;
    return 0;
}

static void test_concurrent_writers_never_interleave_inside_a_line(void)
{
    fixture_t f;
    fx_open(&f);
    sb_trace_t t;
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&t, f.path, &f.err), 0);
    pthread_t th[WRITERS];
    writer_arg_t args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg_t){ &t, i };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    sb_trace_close(&t);
    per_writer_t w = { { 0 }, 0 };
    int truncated = -1;
    int rc = sb_trace_read(f.path, check_order, &w, &truncated, &f.err);
    if (rc != 0)
        fprintf(stderr, "\n    read: %s\n", f.err.msg);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(truncated, 0);
    CU_ASSERT_EQUAL(w.bad, 0);
    for (int i = 0; i < WRITERS; i++)
        CU_ASSERT_EQUAL(w.next[i], LINES_PER_WRITER);
    fx_close(&f);
}

/* ---------------------------------------------------------------- read -- */

static void test_read_visits_every_event_in_order(void)
{
    fixture_t f;
    fx_open(&f);
    sb_trace_t t;
    CU_ASSERT_EQUAL_FATAL(sb_trace_open(&t, f.path, &f.err), 0);
    static const char *const names[] = { "run_started", "checkpoint_triggered",
                                         "checkpoint_completed", "crash", "restore" };
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(sb_trace_emit(&t, names[i], json_pack("{s:i}", "seq", i)), 0);
    sb_trace_close(&t);
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), 0);
    CU_ASSERT_EQUAL(truncated, 0);
    CU_ASSERT_EQUAL_FATAL(s.count, 5);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(s.events[i], names[i]);
        CU_ASSERT_EQUAL(s.seq[i], i);
    }
    fx_close(&f);
}

static void test_read_of_an_empty_trace_visits_nothing(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "");
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), 0);
    CU_ASSERT_EQUAL(s.count, 0);
    CU_ASSERT_EQUAL(truncated, 0);
    fx_close(&f);
}

static void test_final_line_cut_short_is_tolerated_and_reported(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"a\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"b\"}\n"
                   "{\"t_ns\":3,\"pid\":9,\"ev");
    seen_t s;
    int truncated;
    int rc = read_trace(&f, &s, &truncated);
    if (rc != 0)
        fprintf(stderr, "\n    read: %s\n", f.err.msg);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(truncated, 1);
    CU_ASSERT_EQUAL_FATAL(s.count, 2);
    CU_ASSERT_STRING_EQUAL(s.events[0], "a");
    CU_ASSERT_STRING_EQUAL(s.events[1], "b");
    fx_close(&f);
}

/* A crash between the last byte and the newline loses nothing. */
static void test_final_line_missing_only_its_newline_is_kept(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"a\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"b\"}");
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), 0);
    CU_ASSERT_EQUAL_FATAL(s.count, 2);
    CU_ASSERT_STRING_EQUAL(s.events[1], "b");
    CU_ASSERT_EQUAL(truncated, 1);
    fx_close(&f);
}

static void test_truncated_out_may_be_null(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"event\":\"a\"}\n{\"event\":");
    seen_t s = { 0 };
    CU_ASSERT_EQUAL(sb_trace_read(f.path, collect, &s, NULL, &f.err), 0);
    CU_ASSERT_EQUAL(s.count, 1);
    fx_close(&f);
}

static void test_malformed_line_in_the_middle_is_an_error_naming_the_line(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"a\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"b\"}\n"
                   "{\"t_ns\":3,\"pid\":9,\"ev\n"
                   "{\"t_ns\":4,\"pid\":9,\"event\":\"d\"}\n");
    seen_t s;
    int truncated;
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), -1);
    char where[128];
    snprintf(where, sizeof where, "%s:3:", f.path);
    ASSERT_HAS(f.err.msg, where);
    CU_ASSERT_EQUAL(s.count, 2);
    CU_ASSERT_EQUAL(truncated, 0);
    fx_close(&f);
}

/* A complete line that is JSON but not an object is as bad as garbage. */
static void test_complete_line_that_is_not_an_object_is_an_error(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"event\":\"a\"}\n[1,2]\n{\"event\":\"c\"}\n");
    seen_t s;
    int truncated;
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), -1);
    ASSERT_HAS(f.err.msg, ":2:");
    ASSERT_HAS(f.err.msg, "not a JSON object");
    CU_ASSERT_EQUAL(s.count, 1);
    fx_close(&f);
}

static void test_a_visitor_error_stops_the_read_and_is_returned(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"event\":\"a\"}\n{\"event\":\"b\"}\n{\"event\":\"c\"}\n");
    seen_t s = { 0 };
    s.stop_after = 2;
    int truncated = -1;
    CU_ASSERT_EQUAL(sb_trace_read(f.path, collect, &s, &truncated, &f.err), 1);
    CU_ASSERT_EQUAL(s.count, 2);
    fx_close(&f);
}

static void test_reading_a_missing_trace_names_the_path(void)
{
    fixture_t f;
    fx_open(&f);
    seen_t s;
    int truncated;
    memset(&f.err, 0, sizeof f.err);
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), -1);
    ASSERT_HAS(f.err.msg, f.path);
    CU_ASSERT_EQUAL(s.count, 0);
    fx_close(&f);
}

/* Every line has its writer's t_ns and pid: one equal to the line before
 * it was written twice, and is named as such. */
static void test_a_line_equal_to_the_one_before_is_named_as_written_twice(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"a\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"b\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"b\"}\n");
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), -1);
    ASSERT_HAS(f.err.msg, ":3: line 3 repeats line 2");
    CU_ASSERT_EQUAL(s.count, 2);
    fx_close(&f);
}

/* The same event at another time is two events, not a repeat. */
static void test_equal_events_on_different_lines_are_read(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"b\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"b\"}\n");
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), 0);
    CU_ASSERT_EQUAL(s.count, 2);
    fx_close(&f);
}

/* A reader caps what it allocates: a line past the writer's bound is an
 * error naming it, found without reading it whole. */
static void test_a_line_longer_than_the_bound_is_an_error_naming_it(void)
{
    fixture_t f;
    fx_open(&f);
    FILE *fp = fopen(f.path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs("{\"t_ns\":1,\"pid\":9,\"event\":\"a\"}\n{\"event\":\"", fp);
    for (int i = 0; i < SB_TRACE_LINE_BYTES_MAX; i++)
        fputc('x', fp);
    fputs("\"}\n", fp);
    fclose(fp);
    seen_t s;
    int truncated;
    CU_ASSERT_EQUAL(read_trace(&f, &s, &truncated), -1);
    ASSERT_HAS(f.err.msg, ":2: trace line longer than");
    CU_ASSERT_EQUAL(s.count, 1);
    sb_trace_end_t end;
    CU_ASSERT_EQUAL(sb_trace_end(f.path, &end, &f.err), -1);
    fx_close(&f);
}

static void test_a_trace_ending_with_run_finished_is_finished(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"a\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"run_finished\"}\n");
    sb_trace_end_t end;
    CU_ASSERT_EQUAL(sb_trace_end(f.path, &end, &f.err), 0);
    CU_ASSERT(end.finished);
    CU_ASSERT_FALSE(end.cut);
    CU_ASSERT_EQUAL(end.lines, 2);
    CU_ASSERT_STRING_EQUAL(end.last_event, "run_finished");
    fx_close(&f);
}

/* Cut cleanly between two lines: every line is whole, and still the run's
 * end is missing. The sentence says where the trace ends. */
static void test_a_trace_cut_between_lines_is_incomplete_and_says_where(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"job_graph\"}\n"
                   "{\"t_ns\":2,\"pid\":9,\"event\":\"checkpoint_completed\"}\n");
    sb_trace_end_t end;
    CU_ASSERT_EQUAL(sb_trace_end(f.path, &end, &f.err), 0);
    CU_ASSERT_FALSE(end.finished);
    char why[512];
    sb_trace_end_describe(f.path, &end, why, sizeof why);
    ASSERT_HAS(why, "ends at line 2 (checkpoint_completed) without run_finished");
    ASSERT_HAS(why, "incomplete");
    fx_close(&f);
}

static void test_a_trace_cut_inside_a_line_is_incomplete(void)
{
    fixture_t f;
    fx_open(&f);
    write_text(&f, "{\"t_ns\":1,\"pid\":9,\"event\":\"run_finished\"}\n{\"t_ns\":2,");
    sb_trace_end_t end;
    CU_ASSERT_EQUAL(sb_trace_end(f.path, &end, &f.err), 0);
    CU_ASSERT(end.cut);
    CU_ASSERT_EQUAL(end.lines, 1);
    write_text(&f, "");
    CU_ASSERT_EQUAL(sb_trace_end(f.path, &end, &f.err), 0);
    CU_ASSERT_FALSE(end.finished);
    char why[512];
    sb_trace_end_describe(f.path, &end, why, sizeof why);
    ASSERT_HAS(why, "no complete line");
    fx_close(&f);
}

void test_trace_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_emitted_lines_are_json_objects_with_t_ns_pid_and_event),
        T(test_a_second_writer_appends_instead_of_overwriting),
        T(test_emit_on_a_closed_trace_fails),
        T(test_emit_of_an_event_above_the_line_bound_fails_and_writes_nothing),
        T(test_open_in_a_missing_folder_names_the_path),
        T(test_concurrent_writers_never_interleave_inside_a_line),
        T(test_read_visits_every_event_in_order),
        T(test_read_of_an_empty_trace_visits_nothing),
        T(test_final_line_cut_short_is_tolerated_and_reported),
        T(test_final_line_missing_only_its_newline_is_kept),
        T(test_truncated_out_may_be_null),
        T(test_malformed_line_in_the_middle_is_an_error_naming_the_line),
        T(test_complete_line_that_is_not_an_object_is_an_error),
        T(test_a_visitor_error_stops_the_read_and_is_returned),
        T(test_reading_a_missing_trace_names_the_path),
        T(test_a_line_equal_to_the_one_before_is_named_as_written_twice),
        T(test_equal_events_on_different_lines_are_read),
        T(test_a_line_longer_than_the_bound_is_an_error_naming_it),
        T(test_a_trace_ending_with_run_finished_is_finished),
        T(test_a_trace_cut_between_lines_is_incomplete_and_says_where),
        T(test_a_trace_cut_inside_a_line_is_incomplete),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("trace", cases);
}
