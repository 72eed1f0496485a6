/* clock.h — monotonic nanoseconds, comparable across the supervisor and
 * every worker incarnation (CLOCK_MONOTONIC is per machine, not per
 * process), and a bounded sleep. */
#ifndef SB_CLOCK_H
#define SB_CLOCK_H

#include <stdint.h>
#include <time.h>

#define SB_NS_PER_MS 1000000LL
#define SB_NS_PER_S 1000000000LL

static inline int64_t sb_clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SB_NS_PER_S + ts.tv_nsec;
}

static inline void sb_clock_sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = { .tv_sec = ns / SB_NS_PER_S, .tv_nsec = ns % SB_NS_PER_S };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

#endif
