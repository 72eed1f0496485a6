/* runfolder.c — see runfolder.h. */
#include "runfolder.h"

#include "gv.h"
#include "report.h"
#include "viz.h"

#define PATH_BYTES_MAX 4096

int sb_runfolder_finish(const char *run_dir, FILE *out)
{
    char trace[PATH_BYTES_MAX], viz_dir[PATH_BYTES_MAX];
    sb_err_t err = { { 0 } };
    snprintf(trace, sizeof trace, "%s/trace.jsonl", run_dir);
    snprintf(viz_dir, sizeof viz_dir, "%s/viz", run_dir);
    sb_viz_opts_t vo = { .trace_path = trace, .out_dir = viz_dir, .formats = SB_GV_SVG,
                         .timeline = true };
    sb_viz_report_t vr;
    if (sb_viz_run(&vo, &vr, &err) != SB_VIZ_OK && out != NULL)
        fprintf(out, "  %-12s not drawn: %s\n", "pictures", err.msg);
    int rc = sb_report_write(run_dir, &err);
    if (out == NULL)
        return rc;
    if (rc != 0)
        fprintf(out, "  %-12s not written: %s\n", "report", err.msg);
    else
        fprintf(out, "  %-12s %s/%s\n", "report", run_dir, SB_REPORT_FILE);
    fflush(out);
    return rc;
}
