/* explore.c — see explore.h. */
#include "explore.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct explore {
    sb_simscenario_t s;          /* the scenario, record trace off */
    uint64_t first_seed;
    int64_t n;
    atomic_int_fast64_t next;            /* the next seed index to hand out */
    pthread_mutex_t lock;                /* guards everything below */
    sb_explore_report_t report;
    int64_t failures_cap;
} explore_t;

static int cmp_failures(const void *a, const void *b)
{
    uint64_t x = ((const sb_explore_failure_t *)a)->seed, y = ((const sb_explore_failure_t *)b)->seed;
    return x < y ? -1 : x > y;
}

/* Keeps the failure if it is among the lowest SB_EXPLORE_FAILURES_MAX
 * seeds seen so far (the list is sorted once full). */
static void keep_failure(explore_t *x, uint64_t seed, const char *why)
{
    sb_explore_report_t *r = &x->report;
    if (r->failures_count == SB_EXPLORE_FAILURES_MAX) {
        sb_explore_failure_t *last = &r->failures[r->failures_count - 1];
        if (seed > last->seed)
            return;
        r->failures_count--; /* make room: the highest goes */
    }
    if (r->failures_count == x->failures_cap) {
        int64_t cap = x->failures_cap == 0 ? 16 : x->failures_cap * 2;
        if (cap > SB_EXPLORE_FAILURES_MAX)
            cap = SB_EXPLORE_FAILURES_MAX;
        sb_explore_failure_t *f = realloc(r->failures, (size_t)cap * sizeof *f);
        if (f == NULL)
            return; /* counted in `violated` all the same */
        r->failures = f;
        x->failures_cap = cap;
    }
    sb_explore_failure_t *f = &r->failures[r->failures_count++];
    f->seed = seed;
    snprintf(f->why, sizeof f->why, "%s", why);
    if (r->failures_count == SB_EXPLORE_FAILURES_MAX)
        qsort(r->failures, (size_t)r->failures_count, sizeof *r->failures, cmp_failures);
}

/* One seed, start to verdict. */
static void run_seed(explore_t *x, uint64_t seed)
{
    sb_sim_t *sim = NULL;
    sb_sim_verdict_t *v = malloc(sizeof *v);
    sb_err_t err = { { 0 } };
    char why[SB_EXPLORE_WHY_BYTES_MAX] = "";
    bool ok = false;
    int64_t events = 0;
    if (v == NULL || sb_sim_new(&x->s, seed, &sim, &err) != 0) {
        snprintf(why, sizeof why, "cannot run: %s", v == NULL ? "out of memory" : err.msg);
    } else {
        sb_sim_run(sim);
        events = sb_sim_events(sim);
        if (sb_sim_verify(sim, v, &err) != 0)
            snprintf(why, sizeof why, "cannot check: %s", err.msg);
        else if (!(ok = v->ok))
            sb_sim_verdict_why(v, why, sizeof why);
    }
    sb_sim_free(sim);
    free(v);
    pthread_mutex_lock(&x->lock);
    x->report.runs++;
    x->report.events += events;
    if (!ok) {
        x->report.violated++;
        keep_failure(x, seed, why);
    }
    pthread_mutex_unlock(&x->lock);
}

static void *worker(void *arg)
{
    explore_t *x = arg;
    for (;;) {
        int64_t i = atomic_fetch_add(&x->next, 1);
        if (i >= x->n)
            return NULL;
        run_seed(x, x->first_seed + (uint64_t)i);
    }
}

int sb_explore_run(const sb_simscenario_t *s, uint64_t first_seed, int64_t n, int jobs,
                   sb_explore_report_t *out, sb_err_t *err)
{
    assert(n >= 1 && n <= SB_EXPLORE_SEEDS_MAX);
    assert(jobs >= 1 && jobs <= SB_EXPLORE_JOBS_MAX);
    explore_t *x = calloc(1, sizeof *x);
    if (x == NULL)
        return sb_err_set(err, "out of memory");
    x->s = *s;
    /* No run decision depends on the record trace (tracing draws nothing
     * from the generator), and no check reads it but the FIFO check, which
     * the verdict runs only when channels reorder (fifo: false): a seed's
     * verdict is the same without it, and the run is several times faster. */
    x->s.trace_records = s->trace_records && !s->fifo;
    x->first_seed = first_seed;
    x->n = n;
    atomic_init(&x->next, 0);
    pthread_mutex_init(&x->lock, NULL);
    if (jobs > n)
        jobs = (int)n;
    pthread_t threads[SB_EXPLORE_JOBS_MAX];
    int started = 0, rc = 0;
    for (; started < jobs; started++) {
        int e = pthread_create(&threads[started], NULL, worker, x);
        if (e != 0) {
            rc = sb_err_errno(err, e, "cannot start exploration thread %d", started + 1);
            atomic_store(&x->next, n); /* the others stop after their seed */
            break;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&x->lock);
    if (x->report.failures_count > 0)
        qsort(x->report.failures, (size_t)x->report.failures_count,
              sizeof *x->report.failures, cmp_failures);
    if (rc == 0)
        *out = x->report;
    else
        free(x->report.failures);
    free(x);
    return rc;
}

void sb_explore_report_free(sb_explore_report_t *r)
{
    free(r->failures);
    memset(r, 0, sizeof *r);
}
