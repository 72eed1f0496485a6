/* test_viz_fixture.h — small synthetic traces for the viz tests, written
 * line by line into a fresh temporary folder and loaded with
 * sb_runtrace_load. Times are given in microseconds after T0 (the run's
 * start; CLOCK_MONOTONIC is far from 0).
 *
 * The usual job graph (vfx_job_graph_fan_in): two sources feeding one map,
 * which feeds one sink:
 *     source-0 --ch0--\
 *                      map-0 --ch2--> sink-0
 *     source-1 --ch1--/                                                  */
#ifndef SB_TEST_VIZ_FIXTURE_H
#define SB_TEST_VIZ_FIXTURE_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "runtrace.h"

#define VFX_T0 5000000000LL
#define VFX_US 1000LL
#define VFX_SUPERVISOR 100
#define VFX_WORKER 200 /* the first worker's pid; attempt k runs as 200 + k */

typedef struct vfx {
    char dir[64];
    char path[96]; /* <dir>/trace.jsonl */
    FILE *f;
    sb_runtrace_t rt;
    bool loaded;
    sb_err_t err;
} vfx_t;

/* long long, for "%lld" in the lines. */
static inline long long vfx_ns(int64_t us)
{
    return VFX_T0 + (long long)us * VFX_US;
}

static inline void vfx_open(vfx_t *x)
{
    memset(x, 0, sizeof *x);
    temp_dir_make(x->dir, sizeof x->dir, "/tmp/sb-viz-XXXXXX");
    snprintf(x->path, sizeof x->path, "%s/trace.jsonl", x->dir);
    x->f = fopen(x->path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(x->f);
}

static inline void vfx_close(vfx_t *x)
{
    if (x->f != NULL)
        fclose(x->f);
    x->f = NULL;
    if (x->loaded)
        sb_runtrace_free(&x->rt);
    x->loaded = false;
    temp_dir_remove(x->dir);
}

/* Appends one line; a newline is added. */
__attribute__((format(printf, 2, 3))) static inline void vfx_line(vfx_t *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(x->f, fmt, ap);
    va_end(ap);
    fputc('\n', x->f);
}

/* Closes the file; returns sb_runtrace_load's result. */
static inline int vfx_load(vfx_t *x)
{
    if (x->f != NULL)
        fclose(x->f);
    x->f = NULL;
    int rc = sb_runtrace_load(&x->rt, x->path, &x->err);
    x->loaded = true;
    return rc;
}

/* ------------------------------------------------------------- events */

static inline void vfx_run_started(vfx_t *x)
{
    vfx_line(x, "{\"scenario\":\"t\",\"t_ns\":%lld,\"pid\":%d,\"event\":\"run_started\"}",
             vfx_ns(0), VFX_SUPERVISOR);
}

static inline void vfx_job_graph(vfx_t *x, int attempt, int64_t us, const char *tasks,
                                 const char *channels, bool unaligned)
{
    vfx_line(x,
             "{\"tasks\":%s,\"channels\":%s,\"mode\":\"EXACTLY_ONCE\",\"unaligned\":%s,"
             "\"aligned_timeout_ns\":0,\"attempt\":%d,\"t_ns\":%lld,\"pid\":%d,"
             "\"event\":\"job_graph\"}",
             tasks, channels, unaligned ? "true" : "false", attempt, vfx_ns(us),
             VFX_WORKER + attempt);
}

#define VFX_TASKS_FAN_IN                                                          \
    "[{\"name\":\"source-0\",\"kind\":\"source\",\"subtask\":0},"                 \
    "{\"name\":\"source-1\",\"kind\":\"source\",\"subtask\":1},"                  \
    "{\"name\":\"map-0\",\"kind\":\"map\",\"subtask\":0},"                        \
    "{\"name\":\"sink-0\",\"kind\":\"sink\",\"subtask\":0}]"
#define VFX_CHANNELS_FAN_IN                                                       \
    "[{\"channel\":0,\"from\":\"source-0\",\"to\":\"map-0\"},"                    \
    "{\"channel\":1,\"from\":\"source-1\",\"to\":\"map-0\"},"                     \
    "{\"channel\":2,\"from\":\"map-0\",\"to\":\"sink-0\"}]"

static inline void vfx_job_graph_fan_in(vfx_t *x, int attempt, int64_t us, bool unaligned)
{
    vfx_job_graph(x, attempt, us, VFX_TASKS_FAN_IN, VFX_CHANNELS_FAN_IN, unaligned);
}

static inline void vfx_triggered(vfx_t *x, int attempt, int64_t id, int64_t us)
{
    vfx_line(x,
             "{\"checkpoint\":%" PRId64 ",\"final\":false,\"t_ns\":%lld,\"pid\":%d,"
             "\"event\":\"checkpoint_triggered\"}",
             id, vfx_ns(us), VFX_WORKER + attempt);
}

static inline void vfx_completed(vfx_t *x, int attempt, int64_t id, int64_t us)
{
    vfx_line(x,
             "{\"checkpoint\":%" PRId64 ",\"state_bytes\":10,\"final\":false,\"t_ns\":%lld,"
             "\"pid\":%d,\"event\":\"checkpoint_completed\"}",
             id, vfx_ns(us), VFX_WORKER + attempt);
}

static inline void vfx_aborted(vfx_t *x, int attempt, int64_t id, int64_t us, const char *why)
{
    vfx_line(x,
             "{\"checkpoint\":%" PRId64 ",\"reason\":\"%s\",\"t_ns\":%lld,\"pid\":%d,"
             "\"event\":\"checkpoint_aborted\"}",
             id, why, vfx_ns(us), VFX_WORKER + attempt);
}

/* inputs and outputs as JSON: "[[0,10]]". */
static inline void vfx_snapshot(vfx_t *x, int attempt, const char *task, int64_t id, int64_t us,
                                bool unaligned, const char *inputs, const char *outputs)
{
    vfx_line(x,
             "{\"unaligned\":%s,\"inputs\":%s,\"outputs\":%s,\"task\":\"%s\",\"checkpoint\":%" PRId64
             ",\"t_ns\":%lld,\"pid\":%d,\"event\":\"snapshot\"}",
             unaligned ? "true" : "false", inputs, outputs, task, id, vfx_ns(us),
             VFX_WORKER + attempt);
}

static inline void vfx_barrier(vfx_t *x, int attempt, const char *task, int channel, int64_t id,
                               int64_t us, int64_t position, int64_t read, bool unaligned)
{
    vfx_line(x,
             "{\"channel\":%d,\"position\":%" PRId64 ",\"read\":%" PRId64
             ",\"unaligned\":%s,\"task\":\"%s\",\"checkpoint\":%" PRId64
             ",\"t_ns\":%lld,\"pid\":%d,\"event\":\"barrier_received\"}",
             channel, position, read, unaligned ? "true" : "false", task, id, vfx_ns(us),
             VFX_WORKER + attempt);
}

/* ranges as JSON: "[[0,5,9]]". */
static inline void vfx_channel_state(vfx_t *x, int attempt, const char *task, int64_t id,
                                     int64_t us, const char *ranges)
{
    vfx_line(x,
             "{\"ranges\":%s,\"records\":0,\"bytes\":0,\"task\":\"%s\",\"checkpoint\":%" PRId64
             ",\"t_ns\":%lld,\"pid\":%d,\"event\":\"channel_state\"}",
             ranges, task, id, vfx_ns(us), VFX_WORKER + attempt);
}

static inline void vfx_align(vfx_t *x, int attempt, const char *event, const char *task,
                             int64_t id, int64_t us)
{
    vfx_line(x, "{\"task\":\"%s\",\"checkpoint\":%" PRId64 ",\"t_ns\":%lld,\"pid\":%d,"
                "\"event\":\"%s\"}",
             task, id, vfx_ns(us), VFX_WORKER + attempt, event);
}

typedef struct vfx_ack {
    const char *task;
    int64_t id, at_us;
    int64_t start_delay_us, alignment_us, sync_us, async_us;
    int64_t state_bytes;
    bool unaligned, timed_out;
} vfx_ack_t;

static inline void vfx_ack(vfx_t *x, int attempt, vfx_ack_t a)
{
    vfx_line(x,
             "{\"trigger_ns\":0,\"start_delay_ns\":%" PRId64 ",\"alignment_ns\":%" PRId64
             ",\"sync_ns\":%" PRId64 ",\"async_ns\":%" PRId64 ",\"state_bytes\":%" PRId64
             ",\"inflight_records\":0,\"inflight_bytes\":0,\"unaligned\":%s,\"timed_out\":%s,"
             "\"task\":\"%s\",\"checkpoint\":%" PRId64 ",\"t_ns\":%lld,\"pid\":%d,\"event\":\"ack\"}",
             (int64_t)(a.start_delay_us * VFX_US), (int64_t)(a.alignment_us * VFX_US),
             (int64_t)(a.sync_us * VFX_US), (int64_t)(a.async_us * VFX_US), a.state_bytes, a.unaligned ? "true" : "false",
             a.timed_out ? "true" : "false", a.task, a.id, vfx_ns(a.at_us),
             VFX_WORKER + attempt);
}

/* A batch of n records at positions first .. first+n-1 (ids "0:<pos>"). */
static inline void vfx_batch_line(vfx_t *x, int attempt, const char *event, const char *task,
                                  int channel, int64_t first, int n, int64_t us)
{
    char ids[1024];
    int o = snprintf(ids, sizeof ids, "[");
    for (int i = 0; i < n && o < (int)sizeof ids - 32; i++)
        o += snprintf(ids + o, sizeof ids - (size_t)o, "%s\"0:%" PRId64 "\"", i ? "," : "",
                      first + i);
    snprintf(ids + o, sizeof ids - (size_t)o, "]");
    vfx_line(x,
             "{\"event\":\"%s\",\"t_ns\":%lld,\"pid\":%d,\"task\":\"%s\",\"channel\":%d,"
             "\"first\":%" PRId64 ",\"ids\":%s}",
             event, vfx_ns(us), VFX_WORKER + attempt, task, channel, first, ids);
}

/* Both lines of a batch on a channel of the fan-in graph. */
static inline void vfx_batch(vfx_t *x, int attempt, int channel, int64_t first, int n,
                             int64_t send_us, int64_t recv_us)
{
    static const char *const from[] = { "source-0", "source-1", "map-0" };
    static const char *const to[] = { "map-0", "map-0", "sink-0" };
    vfx_batch_line(x, attempt, "send", from[channel], channel, first, n, send_us);
    vfx_batch_line(x, attempt, "recv", to[channel], channel, first, n, recv_us);
}

static inline void vfx_sample(vfx_t *x, int attempt, int64_t us, int64_t read, const char *fill,
                              int items)
{
    vfx_line(x,
             "{\"read\":%" PRId64 ",\"fill\":%s,\"items\":%d,\"t_ns\":%lld,\"pid\":%d,"
             "\"event\":\"sample\"}",
             read, fill, items, vfx_ns(us), VFX_WORKER + attempt);
}

static inline void vfx_crash(vfx_t *x, int attempt, int64_t us)
{
    vfx_line(x,
             "{\"attempt\":%d,\"signal\":9,\"signal_name\":\"Killed\",\"injected\":true,"
             "\"fault\":0,\"t_ns\":%lld,\"pid\":%d,\"event\":\"crash\"}",
             attempt, vfx_ns(us), VFX_SUPERVISOR);
}

static inline void vfx_restore(vfx_t *x, int attempt, int64_t id, int64_t us)
{
    vfx_line(x,
             "{\"checkpoint\":%" PRId64 ",\"next_checkpoint\":%" PRId64 ",\"attempt\":%d,"
             "\"completed\":true,\"t_ns\":%lld,\"pid\":%d,\"event\":\"restore\"}",
             id, id + 1, attempt, vfx_ns(us), VFX_WORKER + attempt);
}

static inline void vfx_fault(vfx_t *x, bool started, int fault, const char *kind, int64_t us)
{
    vfx_line(x,
             "{\"fault\":%d,\"kind\":\"%s\",\"detail\":\"d\",\"t_ns\":%lld,\"pid\":%d,"
             "\"event\":\"%s\"}",
             fault, kind, vfx_ns(us), VFX_SUPERVISOR, started ? "fault_started" : "fault_ended");
}

static inline void vfx_sink(vfx_t *x, int attempt, const char *event, const char *task,
                            int64_t id, const char *key, int64_t us)
{
    vfx_line(x,
             "{\"checkpoint\":%" PRId64 ",\"key\":\"%s\",\"bytes\":100,\"parts\":1,"
             "\"published\":true,\"task\":\"%s\",\"t_ns\":%lld,\"pid\":%d,\"event\":\"%s\"}",
             id, key, task, vfx_ns(us), VFX_WORKER + attempt, event);
}

/* ------------------------------------------------------ whole stories */

/* One aligned checkpoint (1) of the fan-in graph, triggered at 1000 us:
 * sources snapshot at 1100 / 1200 (emitted 10 and 20), map-0 gets the
 * barriers at 1500 (ch0) and 1900 (ch1), snapshots at 2000 having read
 * 10 and 20 and emitted 30, sink-0 gets the barrier at 2300 and snapshots
 * at 2400 having read 30; acks follow; completed at 3000. */
static inline void vfx_story_aligned(vfx_t *x)
{
    vfx_run_started(x);
    vfx_job_graph_fan_in(x, 0, 100, false);
    vfx_triggered(x, 0, 1, 1000);
    vfx_snapshot(x, 0, "source-0", 1, 1100, false, "[]", "[[0,10]]");
    vfx_snapshot(x, 0, "source-1", 1, 1200, false, "[]", "[[1,20]]");
    vfx_barrier(x, 0, "map-0", 0, 1, 1500, 10, 10, false);
    vfx_align(x, 0, "alignment_started", "map-0", 1, 1500);
    vfx_barrier(x, 0, "map-0", 1, 1, 1900, 20, 18, false);
    vfx_align(x, 0, "alignment_ended", "map-0", 1, 1950);
    vfx_snapshot(x, 0, "map-0", 1, 2000, false, "[[0,10],[1,20]]", "[[2,30]]");
    vfx_barrier(x, 0, "sink-0", 2, 1, 2300, 30, 30, false);
    vfx_snapshot(x, 0, "sink-0", 1, 2400, false, "[[2,30]]", "[]");
    vfx_ack(x, 0, (vfx_ack_t){ "source-0", 1, 1150, 100, 0, 10, 40, 20, false, false });
    vfx_ack(x, 0, (vfx_ack_t){ "source-1", 1, 1250, 200, 0, 10, 40, 20, false, false });
    vfx_ack(x, 0, (vfx_ack_t){ "map-0", 1, 2100, 500, 400, 50, 50, 8, false, false });
    vfx_ack(x, 0, (vfx_ack_t){ "sink-0", 1, 2700, 1300, 0, 200, 200, 100, false, false });
    vfx_completed(x, 0, 1, 3000);
}

/* One unaligned checkpoint (1) of the fan-in graph, triggered at 1000 us:
 * map-0 snapshots at 1550 on ch0's barrier (announced at 1500) having read
 * 15 of the 20 records source-1 sent before its snapshot (ch1's barrier is
 * announced at 1900); `ranges` is the channel state it records (NULL:
 * none), `map_inputs` its read positions. sink-0 snapshots at 1750; acks
 * at 2000 and 2100; completed at 2200. */
static inline void vfx_story_unaligned(vfx_t *x, const char *ranges, const char *map_inputs)
{
    vfx_run_started(x);
    vfx_job_graph_fan_in(x, 0, 100, true);
    vfx_triggered(x, 0, 1, 1000);
    vfx_snapshot(x, 0, "source-0", 1, 1100, false, "[]", "[[0,10]]");
    vfx_snapshot(x, 0, "source-1", 1, 1200, false, "[]", "[[1,20]]");
    vfx_barrier(x, 0, "map-0", 0, 1, 1500, 10, 10, true);
    vfx_snapshot(x, 0, "map-0", 1, 1550, true, map_inputs, "[[2,30]]");
    vfx_barrier(x, 0, "map-0", 1, 1, 1900, 20, 15, true);
    if (ranges != NULL)
        vfx_channel_state(x, 0, "map-0", 1, 1950, ranges);
    vfx_barrier(x, 0, "sink-0", 2, 1, 1700, 30, 30, true);
    vfx_snapshot(x, 0, "sink-0", 1, 1750, true, "[[2,30]]", "[]");
    vfx_ack(x, 0, (vfx_ack_t){ "map-0", 1, 2000, 500, 0, 10, 10, 8, true, false });
    vfx_ack(x, 0, (vfx_ack_t){ "sink-0", 1, 2100, 700, 0, 10, 10, 8, true, false });
    vfx_completed(x, 0, 1, 2200);
}

#endif
