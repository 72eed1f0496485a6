/* fuzz_common.h — what the harnesses of tests/fuzz/ share: the readers
 * under test take a path, so the input is written to a scratch file first,
 * one per process (libFuzzer runs one input at a time in a process). */
#ifndef SB_FUZZ_COMMON_H
#define SB_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The negative control of `make fuzz-regress` (tests/fuzz/run.sh): with
 * SNAPBED_FUZZ_PLANT set, an input starting with "PLANTED-CRASH" aborts, so
 * the lane shows that a crashing input fails it. Off otherwise. */
static inline void fuzz_planted(const uint8_t *data, size_t size)
{
    static int planted = -1;
    if (planted < 0)
        planted = getenv("SNAPBED_FUZZ_PLANT") != NULL;
    if (planted && size >= 13 && memcmp(data, "PLANTED-CRASH", 13) == 0)
        abort();
}

/* A private scratch folder, made once and removed at exit: /dev/shm when
 * there is one (no disk traffic), else TMPDIR or /tmp. */
static char fuzz_dir_path[256];

static inline void fuzz_dir_remove(void)
{
    char cmd[300];
    if (fuzz_dir_path[0] != '\0' && snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path) > 0)
        (void)system(cmd);
}

static inline const char *fuzz_dir(void)
{
    if (fuzz_dir_path[0] != '\0')
        return fuzz_dir_path;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm"
                       : getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/snapbed-fuzz-XXXXXX", base);
    if (mkdtemp(fuzz_dir_path) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_dir_remove);
    return fuzz_dir_path;
}

/* Writes data to <scratch>/<name> (subfolders made as needed) and returns
 * its path in buf. */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size, char *buf,
                              size_t len)
{
    snprintf(buf, len, "%s/%s", fuzz_dir(), name);
    char *slash = strrchr(buf, '/');
    if (slash != NULL && slash > buf + strlen(fuzz_dir_path)) {
        *slash = '\0';
        mkdir(buf, 0755);
        *slash = '/';
    }
    FILE *f = fopen(buf, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(buf);
        abort();
    }
    return buf;
}

#endif
