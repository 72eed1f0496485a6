/* unit_main.c — runs every CUnit suite registered by tests/test_*.c.
 *
 * CUnit's basic runner returns success even when tests fail, so the exit
 * status is computed here from the failure counters, before the registry is
 * cleaned up (which resets them). */
#include <CUnit/Basic.h>
#include <stdio.h>

#include "test_registry.h"

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "unit_tests: cannot initialise CUnit: %s\n", CU_get_error_msg());
        return 2;
    }
    SB_TEST_REGISTER_ALL();
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "unit_tests: no test ran\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
