/* cu_tmpdir.h — a fresh temporary folder per test, removed afterwards.
 * A test stopped by a fatal assertion skips its clean-up: its folder is
 * removed by the next test's, or at exit. */
#ifndef SB_CU_TMPDIR_H
#define SB_CU_TMPDIR_H

#include <CUnit/CUnit.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void rm_rf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char leftover_dir[64];

static inline void rm_leftover(void)
{
    if (leftover_dir[0] != '\0')
        rm_rf(leftover_dir);
    leftover_dir[0] = '\0';
}

static inline void temp_dir_make(char *dir, size_t len, const char *tmpl)
{
    static bool at_exit_registered;
    if (!at_exit_registered)
        at_exit_registered = atexit(rm_leftover) == 0;
    rm_leftover();
    snprintf(dir, len, "%s", tmpl);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(leftover_dir, sizeof leftover_dir, "%s", dir);
}

static inline void temp_dir_remove(const char *dir)
{
    rm_rf(dir);
    if (strcmp(dir, leftover_dir) == 0)
        leftover_dir[0] = '\0';
}

#endif
