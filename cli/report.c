/* report.c — `snapbed report RUN_DIR`: (re)writes the run folder's
 * report.html from what the run left there, and prints its path; with
 * --text, the compact text trace as well. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "texttrace.h"

#define PATH_BYTES_MAX 4096

static void usage(FILE *f)
{
    fprintf(f,
            "usage: snapbed report RUN_DIR [--text] [--width N]\n"
            "\n"
            "Writes RUN_DIR/report.html, one self-contained page (no network, no script):\n"
            "the verdict from summary.json, the timeline picture (viz/timeline.svg, drawn by\n"
            "`snapbed viz`), the checkpoint table with links to each checkpoint's pictures,\n"
            "the faults, crashes and restores, the scenario and the compact text trace.\n"
            "`snapbed run` writes it at the end of every run; run this again after adding\n"
            "pictures. Prints the path of the report.\n"
            "\n"
            "options:\n"
            "  --text       also print the compact text trace (as a failed run prints it)\n"
            "  --width N    time slots of the text trace (default %d, %d to %d)\n"
            "  -h, --help   this text\n"
            "\n"
            "exit status: 0 written; 1 it (or the --text trace) could not be written; 2 bad\n"
            "usage, or RUN_DIR is not a readable run folder (no trace.jsonl).\n",
            SB_TEXTTRACE_WIDTH_DEFAULT, SB_TEXTTRACE_WIDTH_MIN, SB_TEXTTRACE_WIDTH_MAX);
}

static int parse_width(const char *s, int *width)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < SB_TEXTTRACE_WIDTH_MIN ||
        v > SB_TEXTTRACE_WIDTH_MAX) {
        fprintf(stderr, "snapbed report: --width needs an integer from %d to %d, got '%s'.\n",
                SB_TEXTTRACE_WIDTH_MIN, SB_TEXTTRACE_WIDTH_MAX, s);
        return -1;
    }
    *width = (int)v;
    return 0;
}

/* A damaged trace still gets a report that says what is wrong with it;
 * a file that is no trace at all (its first line is not an event) means
 * RUN_DIR is not a run folder. */
static int check_first_event(const char *trace)
{
    FILE *f = fopen(trace, "r");
    if (f == NULL) {
        fprintf(stderr, "snapbed report: cannot read %s: %s.\n", trace, strerror(errno));
        return -1;
    }
    char line[4096];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    json_error_t jerr;
    json_t *ev = got ? json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
    bool event = json_is_string(json_object_get(ev, "event"));
    json_decref(ev);
    if (event)
        return 0;
    fprintf(stderr, "snapbed report: %s is not a snapbed trace: %s.\n", trace,
            got ? "its first line is not a JSON event" : "it is empty");
    return -1;
}

int sb_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "text", no_argument, NULL, 't' },
        { "width", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool text = false;
    int width = SB_TEXTTRACE_WIDTH_DEFAULT;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': text = true; break;
        case 'w':
            if (parse_width(optarg, &width) != 0)
                return SB_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return SB_EXIT_OK;
        default: usage(stderr); return SB_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snapbed report: give exactly one run folder; try "
                "`snapbed report --help`.\n");
        return SB_EXIT_USAGE;
    }
    const char *dir = argv[optind];
    char trace[PATH_BYTES_MAX], report[PATH_BYTES_MAX];
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        fprintf(stderr, "snapbed report: cannot read %s: %s.\n", dir, strerror(errno));
        return SB_EXIT_USAGE;
    }
    if (!S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "snapbed report: %s is not a folder.\n", dir);
        return SB_EXIT_USAGE;
    }
    snprintf(trace, sizeof trace, "%s/trace.jsonl", dir);
    if (access(trace, R_OK) != 0) {
        fprintf(stderr, "snapbed report: %s is not a run folder: cannot read %s: %s.\n", dir,
                trace, strerror(errno));
        return SB_EXIT_USAGE;
    }
    if (check_first_event(trace) != 0)
        return SB_EXIT_USAGE;
    /* A trace that cannot be drawn still gets a report, which says why. */
    int status = SB_EXIT_OK;
    sb_err_t err = { { 0 } };
    if (text && sb_texttrace_print(trace, stdout, width, &err) != 0) {
        fprintf(stderr, "snapbed report: %s\n", err.msg);
        status = SB_EXIT_FAILED;
    }
    if (sb_report_write(dir, &err) != 0) {
        fprintf(stderr, "snapbed report: %s\n", err.msg);
        return SB_EXIT_FAILED;
    }
    snprintf(report, sizeof report, "%s/%s", dir, SB_REPORT_FILE);
    printf("%s\n", report);
    return status;
}
