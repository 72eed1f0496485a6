/* cu_helpers.h — registering a CUnit suite in one call. */
#ifndef SB_CU_HELPERS_H
#define SB_CU_HELPERS_H

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Asserts that an error message contains `needle`, and shows both when not. */
#define ASSERT_HAS(msg, needle)                                              \
    do {                                                                     \
        if (strstr((msg), (needle)) == NULL)                                 \
            fprintf(stderr, "\n    message: %s\n    lacks:   %s\n", (msg),   \
                    (needle));                                               \
        CU_ASSERT_PTR_NOT_NULL(strstr((msg), (needle)));                     \
    } while (0)

typedef struct sb_test_case {
    const char *name;
    CU_TestFunc fn;
} sb_test_case_t;

static inline void sb_test_add_suite(const char *name, const sb_test_case_t *cases)
{
    CU_pSuite suite = CU_add_suite(name, NULL, NULL);
    if (suite == NULL) {
        fprintf(stderr, "cannot add suite %s: %s\n", name, CU_get_error_msg());
        exit(2);
    }
    for (const sb_test_case_t *c = cases; c->name != NULL; c++)
        if (CU_add_test(suite, c->name, c->fn) == NULL) {
            fprintf(stderr, "cannot add test %s: %s\n", c->name, CU_get_error_msg());
            exit(2);
        }
}

#endif
