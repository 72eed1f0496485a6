/* test_coordinator.c — the checkpoint coordinator's decisions, as a
 * specification.
 *
 * The coordinator is pure: each test passes the time in, starting at T0 (not
 * zero, so that "since init" and "since time zero" differ). The base
 * configuration: interval 100 ms, timeout 1 s, one checkpoint at a time, no
 * min-pause, no failure tolerated, two tasks to ack. Programmer errors (a
 * task acking twice, a bad configuration) are asserts and are not tested
 * here: CUnit cannot catch a crash. */
#include <string.h>

#include "coordinator.h"
#include "cu_helpers.h"

#define MS(n) ((int64_t)(n) * 1000 * 1000)
#define S(n) (MS(n) * 1000)
#define T0 S(50)

static sb_coord_config_t base_config(void)
{
    sb_coord_config_t cfg = {
        .interval_ns = MS(100),
        .timeout_ns = S(1),
        .max_concurrent = 1,
        .min_pause_ns = 0,
        .tolerable_failed = 0,
        .tasks = 2,
    };
    return cfg;
}

static sb_coord_out_t tick(sb_coord_t *c, int64_t now_ns)
{
    sb_coord_out_t out;
    memset(&out, 0xab, sizeof out); /* the coordinator must fill every field */
    sb_coord_tick(c, now_ns, &out);
    return out;
}

static sb_coord_out_t ack(sb_coord_t *c, int64_t id, int task, int64_t now_ns)
{
    sb_coord_out_t out;
    memset(&out, 0xab, sizeof out);
    sb_coord_ack(c, id, task, now_ns, &out);
    return out;
}

/* Every task acks `id`; returns what the last ack produced. */
static sb_coord_out_t ack_all(sb_coord_t *c, int64_t id, int64_t now_ns)
{
    sb_coord_out_t out;
    for (int task = 0; task < c->cfg.tasks; task++)
        out = ack(c, id, task, now_ns);
    return out;
}

/* Triggers the next checkpoint at now_ns and returns its id (0 if none). */
static int64_t trigger(sb_coord_t *c, int64_t now_ns)
{
    sb_coord_out_t out = tick(c, now_ns);
    CU_ASSERT_EQUAL(out.aborts, 0);
    CU_ASSERT_FALSE(out.job_failed);
    return out.trigger_id;
}

#define ASSERT_NOTHING(out)                                                  \
    do {                                                                     \
        CU_ASSERT_EQUAL((out).trigger_id, 0);                                \
        CU_ASSERT_FALSE((out).trigger_is_final);                             \
        CU_ASSERT_EQUAL((out).completed_id, 0);                              \
        CU_ASSERT_EQUAL((out).aborts, 0);                                    \
        CU_ASSERT_FALSE((out).job_failed);                                   \
    } while (0)

/* ------------------------------------------------------------- triggering -- */

static void test_first_trigger_only_after_one_interval_from_init(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_out_t out = tick(&c, T0);
    ASSERT_NOTHING(out);
    out = tick(&c, T0 + MS(100) - 1);
    ASSERT_NOTHING(out);
    out = tick(&c, T0 + MS(100));
    CU_ASSERT_EQUAL(out.trigger_id, 1);
    CU_ASSERT_FALSE(out.trigger_is_final);
    CU_ASSERT_EQUAL(out.completed_id, 0);
    CU_ASSERT_EQUAL(out.aborts, 0);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(c.pending_count, 1);
}

static void test_interval_counts_from_the_last_trigger(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(130)), 1);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(150)).completed_id, 1);
    sb_coord_out_t out = tick(&c, T0 + MS(229));
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(230)), 2);
}

static void test_no_trigger_while_max_concurrent_checkpoints_are_pending(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    sb_coord_out_t out = tick(&c, T0 + MS(200));
    ASSERT_NOTHING(out);
    out = tick(&c, T0 + MS(900));
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(c.pending_count, 1);
}

static void test_triggers_again_once_the_pending_checkpoint_completes(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(500)), 0);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(500)).completed_id, 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(500)), 2);
}

static void test_max_concurrent_two_allows_two_pending_checkpoints(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 2;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(200)), 2);
    CU_ASSERT_EQUAL(c.pending_count, 2);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(300)), 0);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(350)).completed_id, 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(350)), 3);
    CU_ASSERT_EQUAL(c.pending_count, 2);
}

static void test_min_pause_counts_from_the_last_completion(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.min_pause_ns = MS(300);
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(150)).completed_id, 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(449)), 0); /* interval long past */
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(450)), 2);
}

static void test_min_pause_counts_from_the_last_abort(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.min_pause_ns = MS(300);
    cfg.tolerable_failed = 5;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    sb_coord_out_t out = tick(&c, T0 + MS(1100));
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_EQUAL(out.trigger_id, 0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(1399)), 0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(1400)), 2);
}

static void test_min_pause_counts_from_a_failed_persist(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.min_pause_ns = MS(300);
    cfg.tolerable_failed = 5;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(150)).completed_id, 1);
    sb_coord_out_t out;
    sb_coord_fail(&c, 1, T0 + MS(250), &out);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(549)), 0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(550)), 2);
}

static void test_min_pause_does_not_delay_the_first_checkpoint(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.min_pause_ns = S(5);
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
}

/* ---------------------------------------------------------------- timeout -- */

static void test_timeout_aborts_with_reason_timeout(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    sb_coord_out_t out = tick(&c, T0 + MS(100) + S(1) - 1);
    ASSERT_NOTHING(out);
    out = tick(&c, T0 + MS(100) + S(1));
    CU_ASSERT_EQUAL_FATAL(out.aborts, 1);
    CU_ASSERT_EQUAL(out.aborted_id[0], 1);
    CU_ASSERT_EQUAL(out.aborted_reason[0], SB_ABORT_TIMEOUT);
    CU_ASSERT_EQUAL(out.completed_id, 0);
    CU_ASSERT_FALSE(out.job_failed);
    /* the slot is free again, and the interval has long passed */
    CU_ASSERT_EQUAL(out.trigger_id, 2);
}

static void test_timeout_aborts_every_expired_checkpoint_only(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 3;
    cfg.tolerable_failed = 5;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(200)), 2);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(300)), 3);
    sb_coord_out_t out = tick(&c, T0 + MS(1200));
    CU_ASSERT_EQUAL_FATAL(out.aborts, 2);
    int64_t a = out.aborted_id[0], b = out.aborted_id[1];
    CU_ASSERT_TRUE((a == 1 && b == 2) || (a == 2 && b == 1));
    CU_ASSERT_EQUAL(out.aborted_reason[0], SB_ABORT_TIMEOUT);
    CU_ASSERT_EQUAL(out.aborted_reason[1], SB_ABORT_TIMEOUT);
    CU_ASSERT_EQUAL(ack_all(&c, 3, T0 + MS(1200)).completed_id, 3);
}

static void test_ack_after_timeout_is_ignored(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(tick(&c, T0 + MS(1100)).aborts, 1);
    sb_coord_out_t out = ack_all(&c, 1, T0 + MS(1150));
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(c.last_completed_id, 0);
}

/* ------------------------------------------------------------- completion -- */

static void test_completes_only_after_every_task_acked(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tasks = 3;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    sb_coord_out_t out = ack(&c, 1, 0, T0 + MS(110));
    ASSERT_NOTHING(out);
    out = ack(&c, 1, 2, T0 + MS(120));
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(c.pending_count, 1);
    out = ack(&c, 1, 1, T0 + MS(130));
    CU_ASSERT_EQUAL(out.completed_id, 1);
    CU_ASSERT_EQUAL(out.aborts, 0);
    CU_ASSERT_EQUAL(out.trigger_id, 0);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(c.pending_count, 0);
    CU_ASSERT_EQUAL(c.last_completed_id, 1);
}

static void test_acks_of_unknown_ids_are_ignored(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_out_t out = ack_all(&c, 1, T0); /* not triggered yet */
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    out = ack_all(&c, 7, T0 + MS(110));
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(c.pending[0].acks, 0);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(120)).completed_id, 1);
    out = ack(&c, 1, 0, T0 + MS(130)); /* already completed */
    ASSERT_NOTHING(out);
}

static void test_completion_subsumes_older_pending_checkpoints(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 4;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    for (int i = 1; i <= 4; i++)
        CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100) * i), i);
    sb_coord_out_t out = ack_all(&c, 3, T0 + MS(450));
    CU_ASSERT_EQUAL(out.completed_id, 3);
    CU_ASSERT_EQUAL_FATAL(out.aborts, 2);
    int64_t a = out.aborted_id[0], b = out.aborted_id[1];
    CU_ASSERT_TRUE((a == 1 && b == 2) || (a == 2 && b == 1));
    CU_ASSERT_EQUAL(out.aborted_reason[0], SB_ABORT_SUBSUMED);
    CU_ASSERT_EQUAL(out.aborted_reason[1], SB_ABORT_SUBSUMED);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL_FATAL(c.pending_count, 1);
    CU_ASSERT_EQUAL(c.pending[0].id, 4);
    ASSERT_NOTHING(ack_all(&c, 1, T0 + MS(460)));
}

static void test_newer_pending_checkpoint_survives_an_older_completion(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 2;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(200)), 2);
    sb_coord_out_t out = ack_all(&c, 1, T0 + MS(250));
    CU_ASSERT_EQUAL(out.completed_id, 1);
    CU_ASSERT_EQUAL(out.aborts, 0);
    out = ack_all(&c, 2, T0 + MS(260));
    CU_ASSERT_EQUAL(out.completed_id, 2);
    CU_ASSERT_EQUAL(out.aborts, 0);
}

static void test_subsumed_checkpoints_do_not_count_as_failures(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 2;
    cfg.tolerable_failed = 0;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(200)), 2);
    sb_coord_out_t out = ack_all(&c, 2, T0 + MS(250));
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(c.failed_consecutive, 0);
}

static void test_declined_checkpoint_is_aborted_at_once_and_counts_as_a_failure(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    ack(&c, 1, 0, T0 + MS(110));
    sb_coord_out_t out;
    memset(&out, 0xab, sizeof out);
    sb_coord_decline(&c, 1, T0 + MS(120), &out);
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_EQUAL(out.aborted_id[0], 1);
    CU_ASSERT_EQUAL(out.aborted_reason[0], SB_ABORT_DECLINED);
    CU_ASSERT_STRING_EQUAL(sb_coord_abort_reason_name(out.aborted_reason[0]), "declined");
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(c.failed_consecutive, 1);
    CU_ASSERT_EQUAL(c.pending_count, 0);
    /* The late ack of the other task changes nothing. */
    out = ack(&c, 1, 1, T0 + MS(130));
    ASSERT_NOTHING(out);
    /* Unknown ids are ignored; the next checkpoint comes on schedule. */
    memset(&out, 0xab, sizeof out);
    sb_coord_decline(&c, 7, T0 + MS(140), &out);
    ASSERT_NOTHING(out);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(200)), 2);
    /* A second failure in a row is one more than tolerated. */
    memset(&out, 0xab, sizeof out);
    sb_coord_decline(&c, 2, T0 + MS(210), &out);
    CU_ASSERT_TRUE(out.job_failed);
}

/* ------------------------------------------------ tolerable failed checkpoints -- */

/* Moves *now on by the timeout and ticks: the checkpoint triggered at the
 * previous *now has just expired. */
static sb_coord_out_t time_one_out(sb_coord_t *c, int64_t *now)
{
    *now += S(1);
    return tick(c, *now);
}

static void test_job_fails_only_when_consecutive_failures_exceed_tolerable(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 2;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    int64_t now = T0 + MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 1);
    sb_coord_out_t out = time_one_out(&c, &now); /* 1st failure */
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 2);
    out = time_one_out(&c, &now); /* 2nd */
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 3);
    out = time_one_out(&c, &now); /* 3rd: more than 2 */
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_TRUE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 0); /* nothing after the job failed */
}

static void test_tolerable_zero_fails_the_job_on_the_first_failure(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    int64_t now = T0 + MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 1);
    sb_coord_out_t out = time_one_out(&c, &now);
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_TRUE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 0);
}

static void test_completion_resets_the_consecutive_failure_count(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    int64_t now = T0 + MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 1);
    sb_coord_out_t out = time_one_out(&c, &now); /* 1 failure */
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL_FATAL(out.trigger_id, 2);
    CU_ASSERT_EQUAL(ack_all(&c, 2, now + MS(10)).completed_id, 2);
    CU_ASSERT_EQUAL(c.failed_consecutive, 0);
    now += MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 3);
    out = time_one_out(&c, &now); /* 1 failure again, not 2 */
    CU_ASSERT_FALSE(out.job_failed);
    out = time_one_out(&c, &now); /* 2 in a row */
    CU_ASSERT_TRUE(out.job_failed);
}

static void test_failed_persist_counts_as_a_failure(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(150)).completed_id, 1);
    sb_coord_out_t out;
    memset(&out, 0xab, sizeof out);
    sb_coord_fail(&c, 1, T0 + MS(160), &out);
    CU_ASSERT_TRUE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 0);
    CU_ASSERT_EQUAL(out.completed_id, 0);
    CU_ASSERT_EQUAL(out.aborts, 0);
}

static void test_failed_persists_keep_counting_after_the_acks_reset_the_count(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_out_t out;
    int64_t now = T0;
    for (int64_t id = 1; id <= 2; id++) {
        now += MS(100);
        CU_ASSERT_EQUAL(trigger(&c, now), id);
        CU_ASSERT_EQUAL(ack_all(&c, id, now + MS(10)).completed_id, id);
        memset(&out, 0xab, sizeof out);
        sb_coord_fail(&c, id, now + MS(20), &out);
        /* the first failure is tolerated, the second is one too many */
        CU_ASSERT_EQUAL(out.job_failed, id == 2);
    }
}

static void test_min_pause_allows_one_checkpoint_at_a_time(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 2;
    cfg.min_pause_ns = MS(10);
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(100)), 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(250)), 0); /* 1 still pending */
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(260)).completed_id, 1);
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(265)), 0); /* within the pause */
    CU_ASSERT_EQUAL(trigger(&c, T0 + MS(270)), 2);
}

/* ------------------------------------------------------ final checkpoint -- */

static void test_final_checkpoint_triggers_at_once_regardless_of_interval(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.interval_ns = S(60);
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_request_final(&c);
    sb_coord_out_t out = tick(&c, T0 + 1);
    CU_ASSERT_EQUAL(out.trigger_id, 1);
    CU_ASSERT_TRUE(out.trigger_is_final);
    CU_ASSERT_EQUAL(c.final_id, 1);
}

static void test_final_checkpoint_waits_until_nothing_is_pending(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.interval_ns = S(60);
    cfg.max_concurrent = 2;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    CU_ASSERT_EQUAL(trigger(&c, T0 + S(60)), 1);
    sb_coord_request_final(&c);
    sb_coord_out_t out = tick(&c, T0 + S(60) + MS(10));
    ASSERT_NOTHING(out); /* a slot is free, but 1 is pending */
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + S(60) + MS(20)).completed_id, 1);
    out = tick(&c, T0 + S(60) + MS(20));
    CU_ASSERT_EQUAL(out.trigger_id, 2);
    CU_ASSERT_TRUE(out.trigger_is_final);
}

static void test_no_trigger_while_the_final_checkpoint_is_pending(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 2;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_request_final(&c);
    CU_ASSERT_EQUAL(trigger(&c, T0), 1);
    sb_coord_out_t out = tick(&c, T0 + MS(900)); /* interval passed, slot free */
    ASSERT_NOTHING(out);
}

static void test_no_trigger_after_the_final_checkpoint_completed(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_request_final(&c);
    CU_ASSERT_EQUAL(trigger(&c, T0), 1);
    sb_coord_out_t out = ack_all(&c, 1, T0 + MS(10));
    CU_ASSERT_EQUAL(out.completed_id, 1);
    CU_ASSERT_TRUE(c.final_completed);
    out = tick(&c, T0 + MS(20));
    ASSERT_NOTHING(out);
    out = tick(&c, T0 + S(3600));
    ASSERT_NOTHING(out);
}

static void test_final_checkpoint_that_times_out_is_triggered_again(void)
{
    /* A timed-out final checkpoint resets final_id, so the same tick
     * triggers a new final one. (The runtime, runtime/job.c, fails the job
     * when the final checkpoint is aborted, so it does not rely on this.) */
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_request_final(&c);
    CU_ASSERT_EQUAL(trigger(&c, T0), 1);
    CU_ASSERT_EQUAL(c.final_id, 1);
    sb_coord_out_t out = tick(&c, T0 + S(1));
    CU_ASSERT_EQUAL_FATAL(out.aborts, 1);
    CU_ASSERT_EQUAL(out.aborted_id[0], 1);
    CU_ASSERT_EQUAL(out.aborted_reason[0], SB_ABORT_TIMEOUT);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 2);
    CU_ASSERT_TRUE(out.trigger_is_final);
    CU_ASSERT_EQUAL(c.final_id, 2);
    CU_ASSERT_EQUAL(ack_all(&c, 2, T0 + S(1) + MS(10)).completed_id, 2);
    CU_ASSERT_TRUE(c.final_completed);
    ASSERT_NOTHING(tick(&c, T0 + S(10)));
}

static void test_final_checkpoint_timeout_beyond_tolerable_fails_the_job(void)
{
    sb_coord_config_t cfg = base_config();
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_request_final(&c);
    CU_ASSERT_EQUAL(trigger(&c, T0), 1);
    sb_coord_out_t out = tick(&c, T0 + S(1));
    CU_ASSERT_EQUAL(out.aborts, 1);
    CU_ASSERT_TRUE(out.job_failed);
    CU_ASSERT_EQUAL(out.trigger_id, 0);
}

static void test_failed_persist_of_the_final_checkpoint_triggers_it_again(void)
{
    sb_coord_config_t cfg = base_config();
    cfg.tolerable_failed = 1;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 1, T0);
    sb_coord_request_final(&c);
    CU_ASSERT_EQUAL(trigger(&c, T0), 1);
    CU_ASSERT_EQUAL(ack_all(&c, 1, T0 + MS(10)).completed_id, 1);
    sb_coord_out_t out;
    sb_coord_fail(&c, 1, T0 + MS(20), &out);
    CU_ASSERT_FALSE(out.job_failed);
    CU_ASSERT_FALSE(c.final_completed);
    out = tick(&c, T0 + MS(30));
    CU_ASSERT_EQUAL(out.trigger_id, 2);
    CU_ASSERT_TRUE(out.trigger_is_final);
}

/* -------------------------------------------------------------------- ids -- */

static void test_ids_increase_from_first_id_and_never_repeat(void)
{
    /* Whatever ends a checkpoint (completion, timeout, subsumption), the
     * next id is one above the last one triggered. */
    sb_coord_config_t cfg = base_config();
    cfg.max_concurrent = 2;
    cfg.tolerable_failed = 100;
    sb_coord_t c;
    sb_coord_init(&c, &cfg, 42, T0);
    int64_t now = T0 + MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 42);
    CU_ASSERT_EQUAL(ack_all(&c, 42, now).completed_id, 42);
    now += MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 43);
    now += MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 44);
    now += S(1); /* both time out; the same tick triggers the next */
    sb_coord_out_t out = tick(&c, now);
    CU_ASSERT_EQUAL(out.aborts, 2);
    CU_ASSERT_EQUAL(out.trigger_id, 45);
    now += MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 46);
    out = ack_all(&c, 46, now); /* subsumes 45 */
    CU_ASSERT_EQUAL(out.completed_id, 46);
    CU_ASSERT_EQUAL(out.aborts, 1);
    now += MS(100);
    CU_ASSERT_EQUAL(trigger(&c, now), 47);
    sb_coord_request_final(&c);
    CU_ASSERT_EQUAL(ack_all(&c, 47, now).completed_id, 47);
    out = tick(&c, now);
    CU_ASSERT_EQUAL(out.trigger_id, 48);
    CU_ASSERT_TRUE(out.trigger_is_final);
    CU_ASSERT_EQUAL(c.next_id, 49);
}

static void test_abort_reason_names(void)
{
    CU_ASSERT_STRING_EQUAL(sb_coord_abort_reason_name(SB_ABORT_TIMEOUT), "timeout");
    CU_ASSERT_STRING_EQUAL(sb_coord_abort_reason_name(SB_ABORT_SUBSUMED), "subsumed");
    CU_ASSERT_STRING_EQUAL(sb_coord_abort_reason_name(SB_ABORT_NONE), "none");
}

void test_coordinator_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_first_trigger_only_after_one_interval_from_init),
        T(test_interval_counts_from_the_last_trigger),
        T(test_no_trigger_while_max_concurrent_checkpoints_are_pending),
        T(test_triggers_again_once_the_pending_checkpoint_completes),
        T(test_max_concurrent_two_allows_two_pending_checkpoints),
        T(test_min_pause_counts_from_the_last_completion),
        T(test_min_pause_counts_from_the_last_abort),
        T(test_min_pause_counts_from_a_failed_persist),
        T(test_min_pause_does_not_delay_the_first_checkpoint),
        T(test_timeout_aborts_with_reason_timeout),
        T(test_timeout_aborts_every_expired_checkpoint_only),
        T(test_ack_after_timeout_is_ignored),
        T(test_completes_only_after_every_task_acked),
        T(test_acks_of_unknown_ids_are_ignored),
        T(test_completion_subsumes_older_pending_checkpoints),
        T(test_newer_pending_checkpoint_survives_an_older_completion),
        T(test_subsumed_checkpoints_do_not_count_as_failures),
        T(test_declined_checkpoint_is_aborted_at_once_and_counts_as_a_failure),
        T(test_job_fails_only_when_consecutive_failures_exceed_tolerable),
        T(test_tolerable_zero_fails_the_job_on_the_first_failure),
        T(test_completion_resets_the_consecutive_failure_count),
        T(test_failed_persist_counts_as_a_failure),
        T(test_failed_persists_keep_counting_after_the_acks_reset_the_count),
        T(test_min_pause_allows_one_checkpoint_at_a_time),
        T(test_final_checkpoint_triggers_at_once_regardless_of_interval),
        T(test_final_checkpoint_waits_until_nothing_is_pending),
        T(test_no_trigger_while_the_final_checkpoint_is_pending),
        T(test_no_trigger_after_the_final_checkpoint_completed),
        T(test_final_checkpoint_that_times_out_is_triggered_again),
        T(test_final_checkpoint_timeout_beyond_tolerable_fails_the_job),
        T(test_failed_persist_of_the_final_checkpoint_triggers_it_again),
        T(test_ids_increase_from_first_id_and_never_repeat),
        T(test_abort_reason_names),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("coordinator", cases);
}
