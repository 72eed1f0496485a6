/* sim_fixture.h — one simulated run as the sim test suites make it: the
 * scenario parsed from a string, simulated under a seed and verified,
 * each step asserted (fatally: a later assertion on a run that did not
 * happen would only add noise). Shared by test_sim_run.c (pipelines) and
 * test_sim_classic.c (Chandy–Lamport), which then read their own stats. */
#ifndef SB_SIM_FIXTURE_H
#define SB_SIM_FIXTURE_H

#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"
#include "simscenario.h"

static inline void sim_fixture_run(const char *yaml, uint64_t seed, sb_simscenario_t *s,
                                   sb_sim_t **sim, sb_sim_verdict_t *v)
{
    sb_err_t err = { { 0 } };
    int rc = sb_simscenario_parse(s, "t.yaml", yaml, &err);
    if (rc != 0)
        fprintf(stderr, "\n    scenario: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(sb_sim_new(s, seed, sim, &err), 0);
    sb_sim_run(*sim);
    CU_ASSERT_EQUAL_FATAL(sb_sim_verify(*sim, v, &err), 0);
}

#endif
