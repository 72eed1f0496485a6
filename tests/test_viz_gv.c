/* test_viz_gv.c — writing a picture (viz/gv.h sb_gv_render_file) on a disk
 * that fails. Graphviz's own file output calls exit(1) when a write fails;
 * a picture must instead be an error naming the file and errno, with no
 * temporary file left behind and the process still running. The failing
 * disk is a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored): every write
 * past it fails with EFBIG, as a full disk fails with ENOSPC. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cu_helpers.h"
#include "cu_tmpdir.h"
#include "gv.h"

/* Far below any rendered SVG (several hundred bytes). */
#define FSIZE_LIMIT_BYTES 64

typedef struct {
    char dir[64];
    char path[128];
    char tmp[160];
    sb_gv_t *gv;
    Agraph_t *g;
    sb_err_t err;
} gvfx_t;

static void gvfx_open(gvfx_t *x, const char *dir_name)
{
    memset(x, 0, sizeof *x);
    temp_dir_make(x->dir, sizeof x->dir, "/tmp/sb-gv-XXXXXX");
    snprintf(x->path, sizeof x->path, "%s/%s/picture.svg", x->dir, dir_name);
    snprintf(x->tmp, sizeof x->tmp, "%s.tmp", x->path);
    x->gv = sb_gv_new(&x->err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x->gv);
    x->g = sb_gv_graph("picture");
    sb_gv_edge(x->g, sb_gv_node(x->g, "source"), sb_gv_node(x->g, "sink"));
    CU_ASSERT_EQUAL_FATAL(sb_gv_layout(x->gv, x->g, "dot", &x->err), 0);
}

static void gvfx_close(gvfx_t *x)
{
    sb_gv_free_layout(x->gv, x->g);
    agclose(x->g);
    sb_gv_free(x->gv);
    temp_dir_remove(x->dir);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The control: on a working disk the picture is written and renamed. */
static void test_a_picture_is_written_through_a_temporary_file(void)
{
    gvfx_t x;
    gvfx_open(&x, ".");
    CU_ASSERT_EQUAL(sb_gv_render_file(x.gv, x.g, SB_GV_SVG, x.path, &x.err), 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(x.path, &st), 0);
    CU_ASSERT(st.st_size > FSIZE_LIMIT_BYTES);
    CU_ASSERT_FALSE(exists(x.tmp));
    gvfx_close(&x);
}

static void test_a_write_that_fails_is_an_error_naming_the_file_and_leaves_no_temporary(void)
{
    gvfx_t x;
    gvfx_open(&x, ".");
    struct rlimit old, small;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = FSIZE_LIMIT_BYTES;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    fflush(NULL); /* nothing of ours may be written past the limit */
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = sb_gv_render_file(x.gv, x.g, SB_GV_SVG, x.path, &x.err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    CU_ASSERT_EQUAL(rc, -1);
    ASSERT_HAS(x.err.msg, "cannot write ");
    ASSERT_HAS(x.err.msg, x.tmp);
    ASSERT_HAS(x.err.msg, strerror(EFBIG));
    CU_ASSERT_FALSE(exists(x.tmp));
    CU_ASSERT_FALSE(exists(x.path));
    gvfx_close(&x);
}

static void test_a_folder_that_cannot_hold_the_file_is_an_error_naming_it(void)
{
    gvfx_t x;
    gvfx_open(&x, "missing");
    CU_ASSERT_EQUAL(sb_gv_render_file(x.gv, x.g, SB_GV_SVG, x.path, &x.err), -1);
    ASSERT_HAS(x.err.msg, "cannot create ");
    ASSERT_HAS(x.err.msg, x.tmp);
    ASSERT_HAS(x.err.msg, strerror(ENOENT));
    gvfx_close(&x);
}

void test_viz_gv_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_a_picture_is_written_through_a_temporary_file),
        T(test_a_write_that_fails_is_an_error_naming_the_file_and_leaves_no_temporary),
        T(test_a_folder_that_cannot_hold_the_file_is_an_error_naming_it),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("viz_gv", cases);
}
