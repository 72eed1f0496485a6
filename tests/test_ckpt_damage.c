/* test_ckpt_damage.c — checkpoints that prove they are whole, as a
 * specification: every kind of checkpoint file (_metadata, a snapshot, a
 * channel state, _completed) damaged in every way the corrupt fault knows
 * (flip a byte, truncate, delete, swap with the previous checkpoint's), on
 * file:// and on mem://. The restore's choice (sb_cpstore_pick_restore)
 * must refuse the damaged checkpoint with one sentence naming the file,
 * fall back to the next older whole one, and say so when none is left. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_store.h"
#include "ckframe.h"
#include "corrupt.h"
#include "cu_helpers.h"
#include "cu_tmpdir.h"

#define JOB "job-1"

static const char *const tasks[] = { "source-0", "map-0", "sink-0" };
#define TASKS 3

typedef struct fixture {
    char dir[64];
    char mem[32];
    sb_cpstore_t cs;
    sb_err_t err;
} fixture_t;

static void fx_open(fixture_t *f, bool mem, int num_retained)
{
    static int serial;
    memset(f, 0, sizeof *f);
    char uri[96];
    if (mem) {
        snprintf(f->mem, sizeof f->mem, "ckdamage-%d", ++serial);
        snprintf(uri, sizeof uri, "mem://%s/checkpoints", f->mem);
    } else {
        temp_dir_make(f->dir, sizeof f->dir, "/tmp/sb-ckdamage-XXXXXX");
        snprintf(uri, sizeof uri, "file://checkpoints");
    }
    int rc = sb_cpstore_open(&f->cs, uri, mem ? "/" : f->dir, JOB, num_retained, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    open: %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static void fx_close(fixture_t *f)
{
    sb_store_close(&f->cs.store);
    if (f->mem[0] != '\0')
        sb_store_mem_drop(f->mem);
    else
        temp_dir_remove(f->dir);
}

/* Checkpoint `id` as the engine writes it: snapshots (map-0 with a channel
 * state of two records), _metadata, _completed. */
static void checkpoint(fixture_t *f, int64_t id)
{
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_mark_triggered(&f->cs, id, &f->err), 0);
    for (int i = 0; i < TASKS; i++) {
        json_t *state = json_pack("{s:I,s:{s:I}}", "checkpoint", (json_int_t)id, "offsets", "0",
                                  (json_int_t)(1000 * id + 17));
        size_t bytes = 0;
        if (strcmp(tasks[i], "map-0") == 0) {
            sb_chstate_t ch;
            memset(&ch, 0, sizeof ch);
            sb_chstate_reset(&ch, id, 1);
            sb_record_t r = { .offset = 40 + id, .partition = 0, .value_len = 5 };
            memcpy(r.value, "hello", 5);
            CU_ASSERT_EQUAL_FATAL(sb_chstate_append(&ch, 0, &r, &f->err), 0);
            r.offset++;
            CU_ASSERT_EQUAL_FATAL(sb_chstate_append(&ch, 0, &r, &f->err), 0);
            CU_ASSERT_EQUAL_FATAL(sb_cpstore_write_channel_state(&f->cs, id, tasks[i], &ch, state,
                                                                 &bytes, &f->err), 0);
            sb_chstate_free(&ch);
        }
        CU_ASSERT_EQUAL_FATAL(sb_cpstore_write_snapshot(&f->cs, id, tasks[i], state, &bytes,
                                                        &f->err), 0);
        json_decref(state);
    }
    json_t *meta = json_pack("{s:I}", "checkpoint", (json_int_t)id);
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_write_metadata(&f->cs, id, meta, &f->err), 0);
    json_decref(meta);
}

static void pick(fixture_t *f, sb_cpstore_restore_t *r)
{
    int rc = sb_cpstore_pick_restore(&f->cs, tasks, TASKS, 0, true, r, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    pick: %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

static const char *file_of(sb_corrupt_file_t which)
{
    switch (which) {
    case SB_CORRUPT_METADATA: return "_metadata";
    case SB_CORRUPT_SNAPSHOT: return "source-0.json";
    case SB_CORRUPT_CHANNEL_STATE: return "map-0.channel";
    default: return "";
    }
}

static void damage(fixture_t *f, int64_t id, sb_corrupt_file_t which, sb_corrupt_how_t how)
{
    char key[128], other[128];
    if (which == SB_CORRUPT_COMPLETED_LIST) {
        snprintf(key, sizeof key, JOB "/_completed");
        other[0] = '\0';
    } else {
        snprintf(key, sizeof key, JOB "/chk-%" PRId64 "/%s", id, file_of(which));
        snprintf(other, sizeof other, JOB "/chk-%" PRId64 "/%s", id - 1, file_of(which));
    }
    int rc = sb_corrupt_key(&f->cs.store, key, other, how, &f->err);
    if (rc != 0)
        fprintf(stderr, "\n    damage: %s\n", f->err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* What the refusal of chk-3's file must say. */
static const char *sentence(sb_corrupt_how_t how)
{
    switch (how) {
    case SB_CORRUPT_FLIP_BYTE: return ": checksum mismatch (stored ";
    case SB_CORRUPT_TRUNCATE: return ": truncated: header says ";
    case SB_CORRUPT_DELETE: return ": missing";
    case SB_CORRUPT_SWAP: return ": holds chk-2/";
    default: return "?";
    }
}

/* Three whole checkpoints; chk-3's file damaged: the restore refuses chk-3
 * (and chk-2 after a swap, which damages both) and takes the next one. */
static void damaged_newest_falls_back(bool mem, sb_corrupt_file_t which, sb_corrupt_how_t how)
{
    fixture_t f;
    fx_open(&f, mem, 3);
    for (int64_t id = 1; id <= 3; id++)
        checkpoint(&f, id);
    damage(&f, 3, which, how);
    sb_cpstore_restore_t r;
    pick(&f, &r);
    bool swap = how == SB_CORRUPT_SWAP;
    CU_ASSERT_FALSE(r.none_whole);
    CU_ASSERT_EQUAL(r.id, swap ? 1 : 2);
    CU_ASSERT_EQUAL(r.max_id, 3);
    CU_ASSERT_EQUAL_FATAL(r.refused_count, swap ? 2 : 1);
    char file[64];
    snprintf(file, sizeof file, "chk-3/%s", file_of(which));
    CU_ASSERT_EQUAL(r.refused[0].checkpoint, 3);
    CU_ASSERT_STRING_EQUAL(r.refused[0].file, file);
    ASSERT_HAS(r.refused[0].reason, file);
    ASSERT_HAS(r.refused[0].reason, sentence(how));
    CU_ASSERT_EQUAL(r.refused[0].next, 2);
    if (swap) {
        CU_ASSERT_EQUAL(r.refused[1].checkpoint, 2);
        ASSERT_HAS(r.refused[1].reason, "holds chk-3/");
        CU_ASSERT_EQUAL(r.refused[1].next, 1);
    }
    fx_close(&f);
}

#define MATRIX(file, FILE)                                                                   \
    static void test_##file##_flip_byte_falls_back_on_file(void)                            \
    { damaged_newest_falls_back(false, FILE, SB_CORRUPT_FLIP_BYTE); }                        \
    static void test_##file##_flip_byte_falls_back_on_mem(void)                             \
    { damaged_newest_falls_back(true, FILE, SB_CORRUPT_FLIP_BYTE); }                         \
    static void test_##file##_truncate_falls_back_on_file(void)                             \
    { damaged_newest_falls_back(false, FILE, SB_CORRUPT_TRUNCATE); }                         \
    static void test_##file##_truncate_falls_back_on_mem(void)                              \
    { damaged_newest_falls_back(true, FILE, SB_CORRUPT_TRUNCATE); }                          \
    static void test_##file##_delete_falls_back_on_file(void)                               \
    { damaged_newest_falls_back(false, FILE, SB_CORRUPT_DELETE); }                           \
    static void test_##file##_delete_falls_back_on_mem(void)                                \
    { damaged_newest_falls_back(true, FILE, SB_CORRUPT_DELETE); }                            \
    static void test_##file##_swap_refuses_both_and_falls_back_on_file(void)                \
    { damaged_newest_falls_back(false, FILE, SB_CORRUPT_SWAP); }                             \
    static void test_##file##_swap_refuses_both_and_falls_back_on_mem(void)                 \
    { damaged_newest_falls_back(true, FILE, SB_CORRUPT_SWAP); }

MATRIX(metadata, SB_CORRUPT_METADATA)
MATRIX(snapshot, SB_CORRUPT_SNAPSHOT)
MATRIX(channel_state, SB_CORRUPT_CHANNEL_STATE)

/* _completed is the second record of completions: damaged alone, it costs
 * no checkpoint (every _metadata is there), and the restore says why it
 * did not use it. */
static void damaged_completed_list_costs_nothing(bool mem, sb_corrupt_how_t how,
                                                 const char *why)
{
    fixture_t f;
    fx_open(&f, mem, 3);
    for (int64_t id = 1; id <= 3; id++)
        checkpoint(&f, id);
    damage(&f, 0, SB_CORRUPT_COMPLETED_LIST, how);
    sb_cpstore_restore_t r;
    pick(&f, &r);
    CU_ASSERT_EQUAL(r.id, 3);
    CU_ASSERT_EQUAL(r.refused_count, 0);
    ASSERT_HAS(r.completed_list, why);
    /* The next completion writes a whole one again. */
    checkpoint(&f, 4);
    pick(&f, &r);
    CU_ASSERT_EQUAL(r.id, 4);
    CU_ASSERT_STRING_EQUAL(r.completed_list, "");
    fx_close(&f);
}

static void test_completed_list_flip_byte_costs_no_checkpoint_on_file(void)
{ damaged_completed_list_costs_nothing(false, SB_CORRUPT_FLIP_BYTE, "_completed: checksum mismatch"); }
static void test_completed_list_flip_byte_costs_no_checkpoint_on_mem(void)
{ damaged_completed_list_costs_nothing(true, SB_CORRUPT_FLIP_BYTE, "_completed: checksum mismatch"); }
static void test_completed_list_truncate_costs_no_checkpoint_on_file(void)
{ damaged_completed_list_costs_nothing(false, SB_CORRUPT_TRUNCATE, "_completed: truncated"); }
static void test_completed_list_truncate_costs_no_checkpoint_on_mem(void)
{ damaged_completed_list_costs_nothing(true, SB_CORRUPT_TRUNCATE, "_completed: truncated"); }
static void test_completed_list_delete_costs_no_checkpoint_on_file(void)
{ damaged_completed_list_costs_nothing(false, SB_CORRUPT_DELETE, "_completed: missing"); }
static void test_completed_list_delete_costs_no_checkpoint_on_mem(void)
{ damaged_completed_list_costs_nothing(true, SB_CORRUPT_DELETE, "_completed: missing"); }

/* The case of 2 559 duplicates: the newest _metadata deleted. _completed
 * still lists it, so it is "missing", not "never completed". */
static void test_deleted_metadata_of_a_listed_checkpoint_is_missing_not_never_completed(void)
{
    fixture_t f;
    fx_open(&f, false, 2);
    checkpoint(&f, 1);
    checkpoint(&f, 2);
    damage(&f, 2, SB_CORRUPT_METADATA, SB_CORRUPT_DELETE);
    int64_t latest = 0, max_id = 0;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_scan(&f.cs, &latest, &max_id, &f.err), 0);
    CU_ASSERT_EQUAL(latest, 2); /* still counted as completed */
    sb_cpstore_restore_t r;
    pick(&f, &r);
    CU_ASSERT_EQUAL(r.id, 1);
    CU_ASSERT_EQUAL_FATAL(r.refused_count, 1);
    CU_ASSERT_STRING_EQUAL(r.refused[0].reason, "chk-2/_metadata: missing");
    fx_close(&f);
}

/* An empty _metadata is not a completion. */
static void test_empty_metadata_does_not_count_as_completed(void)
{
    fixture_t f;
    fx_open(&f, false, 2);
    checkpoint(&f, 1);
    CU_ASSERT_EQUAL_FATAL(sb_store_put(&f.cs.store, JOB "/chk-2/_metadata", "", 0, &f.err), 0);
    sb_cpstore_restore_t r;
    pick(&f, &r);
    CU_ASSERT_EQUAL(r.id, 1);
    CU_ASSERT_EQUAL_FATAL(r.refused_count, 1);
    CU_ASSERT_STRING_EQUAL(r.refused[0].reason, "chk-2/_metadata: empty (0 bytes)");
    fx_close(&f);
}

/* Nothing whole left: the restore says so, with every reason, and picks
 * nothing (the job then fails instead of starting from garbage). */
static void none_left(bool mem)
{
    fixture_t f;
    fx_open(&f, mem, 2);
    checkpoint(&f, 1);
    checkpoint(&f, 2);
    damage(&f, 2, SB_CORRUPT_SNAPSHOT, SB_CORRUPT_FLIP_BYTE);
    damage(&f, 1, SB_CORRUPT_CHANNEL_STATE, SB_CORRUPT_TRUNCATE);
    sb_cpstore_restore_t r;
    pick(&f, &r);
    CU_ASSERT_TRUE(r.none_whole);
    CU_ASSERT_EQUAL(r.id, 0);
    CU_ASSERT_EQUAL_FATAL(r.refused_count, 2);
    CU_ASSERT_EQUAL(r.refused[1].next, 0);
    char why[SB_ERR_MSG_BYTES_MAX];
    sb_cpstore_restore_failure(&r, why, sizeof why);
    ASSERT_HAS(why, "no completed checkpoint can be restored (2 completed)");
    ASSERT_HAS(why, "chk-2/source-0.json: checksum mismatch");
    ASSERT_HAS(why, "chk-1/map-0.channel: truncated");
    fx_close(&f);
}

static void test_nothing_whole_left_is_reported_on_file(void) { none_left(false); }
static void test_nothing_whole_left_is_reported_on_mem(void) { none_left(true); }

/* A fallback never goes below output a sink already published: restoring
 * it would publish records twice. The newest one is never refused so. */
static void test_fallback_stops_at_published_output(void)
{
    fixture_t f;
    fx_open(&f, false, 3);
    for (int64_t id = 1; id <= 3; id++)
        checkpoint(&f, id);
    damage(&f, 3, SB_CORRUPT_SNAPSHOT, SB_CORRUPT_SWAP); /* 3 and 2 */
    sb_cpstore_restore_t r;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_pick_restore(&f.cs, tasks, TASKS, 2, true, &r, &f.err), 0);
    CU_ASSERT_TRUE(r.none_whole);
    CU_ASSERT_EQUAL_FATAL(r.refused_count, 3);
    ASSERT_HAS(r.refused[2].reason, "chk-1: older than output already published for chk-2");
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_pick_restore(&f.cs, tasks, TASKS, 5, true, &r, &f.err), 0);
    CU_ASSERT_EQUAL(r.refused[0].checkpoint, 3); /* refused for its damage, not for 5 */
    ASSERT_HAS(r.refused[0].reason, "holds chk-2/");
    fx_close(&f);
}

/* The restore-unverified mutant takes the newest completed one, damaged or
 * not, and its reads skip the checks: the negative control's bug. */
static void test_unverified_pick_takes_the_damaged_checkpoint(void)
{
    fixture_t f;
    fx_open(&f, true, 3);
    checkpoint(&f, 1);
    checkpoint(&f, 2);
    damage(&f, 2, SB_CORRUPT_SNAPSHOT, SB_CORRUPT_FLIP_BYTE);
    sb_cpstore_restore_t r;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_pick_restore(&f.cs, tasks, TASKS, 0, false, &r, &f.err), 0);
    CU_ASSERT_EQUAL(r.id, 2);
    CU_ASSERT_EQUAL(r.refused_count, 0);
    json_t *state = NULL;
    CU_ASSERT_EQUAL(sb_cpstore_read_snapshot(&f.cs, 2, "source-0", &state, &f.err), -1);
    f.cs.trust_frames = true;
    CU_ASSERT_EQUAL_FATAL(sb_cpstore_read_snapshot(&f.cs, 2, "source-0", &state, &f.err), 1);
    /* 2017 had its last digit moved: 2016. */
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(state, "offsets"), "0")),
                    2016);
    json_decref(state);
    fx_close(&f);
}

/* --------------------------------------------------------- the frame -- */

static void test_frame_refuses_a_newer_format_version(void)
{
    char *buf = NULL;
    size_t len = 0;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_ckframe_wrap("chk-7/map-1.json", "{}", 2, &buf, &len, &err), 0);
    buf[5] = '3';
    const char *payload;
    size_t plen;
    CU_ASSERT_EQUAL(sb_ckframe_unwrap("chk-7/map-1.json", buf, len, false, &payload, &plen, &err),
                    SB_CKFRAME_BAD_VERSION);
    CU_ASSERT_STRING_EQUAL(err.msg, "chk-7/map-1.json: format version 3, this snapbed reads 1");
    free(buf);
}

static void test_frame_with_extra_bytes_is_refused(void)
{
    char *buf = NULL;
    size_t len = 0;
    sb_err_t err;
    CU_ASSERT_EQUAL_FATAL(sb_ckframe_wrap("_completed", "{\"a\":1}", 7, &buf, &len, &err), 0);
    char *more = malloc(len + 3);
    memcpy(more, buf, len);
    memcpy(more + len, "xyz", 3);
    const char *payload;
    size_t plen;
    CU_ASSERT_EQUAL(sb_ckframe_unwrap("_completed", more, len + 3, false, &payload, &plen, &err),
                    SB_CKFRAME_TRAILING);
    CU_ASSERT_EQUAL(sb_ckframe_unwrap("_completed", buf, len, false, &payload, &plen, &err),
                    SB_CKFRAME_OK);
    CU_ASSERT_EQUAL(plen, 7);
    CU_ASSERT_EQUAL(memcmp(payload, "{\"a\":1}", 7), 0);
    free(more);
    free(buf);
}

/* A header that claims more than is there never makes a reader allocate:
 * it is "truncated", whatever the number. */
static void test_frame_with_a_huge_length_is_truncated_not_allocated(void)
{
    const char *text = "SBCK 1 99999999999999 00000000 chk-1/_metadata\n{}";
    const char *payload;
    size_t plen;
    sb_err_t err;
    CU_ASSERT_EQUAL(sb_ckframe_unwrap("chk-1/_metadata", text, strlen(text), false, &payload,
                                      &plen, &err), SB_CKFRAME_TRUNCATED);
    ASSERT_HAS(err.msg, "chk-1/_metadata: truncated: header says 99999999999999 bytes, 2 present");
    CU_ASSERT_EQUAL(sb_ckframe_unwrap("chk-1/_metadata", "SBCK 1 2", 8, false, &payload, &plen,
                                      &err), SB_CKFRAME_BAD_HEADER);
}

void test_ckpt_damage_register(void)
{
#define T(fn) { #fn, fn }
#define ROW(file)                                                                            \
    T(test_##file##_flip_byte_falls_back_on_file), T(test_##file##_flip_byte_falls_back_on_mem), \
    T(test_##file##_truncate_falls_back_on_file), T(test_##file##_truncate_falls_back_on_mem), \
    T(test_##file##_delete_falls_back_on_file), T(test_##file##_delete_falls_back_on_mem),     \
    T(test_##file##_swap_refuses_both_and_falls_back_on_file),                                \
    T(test_##file##_swap_refuses_both_and_falls_back_on_mem)
    static const sb_test_case_t cases[] = {
        ROW(metadata),
        ROW(snapshot),
        ROW(channel_state),
        T(test_completed_list_flip_byte_costs_no_checkpoint_on_file),
        T(test_completed_list_flip_byte_costs_no_checkpoint_on_mem),
        T(test_completed_list_truncate_costs_no_checkpoint_on_file),
        T(test_completed_list_truncate_costs_no_checkpoint_on_mem),
        T(test_completed_list_delete_costs_no_checkpoint_on_file),
        T(test_completed_list_delete_costs_no_checkpoint_on_mem),
        T(test_deleted_metadata_of_a_listed_checkpoint_is_missing_not_never_completed),
        T(test_empty_metadata_does_not_count_as_completed),
        T(test_nothing_whole_left_is_reported_on_file),
        T(test_nothing_whole_left_is_reported_on_mem),
        T(test_fallback_stops_at_published_output),
        T(test_unverified_pick_takes_the_damaged_checkpoint),
        T(test_frame_refuses_a_newer_format_version),
        T(test_frame_with_extra_bytes_is_refused),
        T(test_frame_with_a_huge_length_is_truncated_not_allocated),
        { NULL, NULL },
    };
#undef ROW
#undef T
    sb_test_add_suite("ckpt_damage", cases);
}
