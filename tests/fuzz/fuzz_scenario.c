/* fuzz_scenario.c — libFuzzer harness: the scenario parser
 * (runtime/scenario.c) on any bytes, and on what parses the simulator's
 * reading of it (sim/simscenario.c), since `snapbed run` and `snapbed sim`
 * read the same files. What the simulator accepts is written back in the
 * one language (sb_simscenario_format) and parsed again: the format's
 * promise is that it parses back, so a refusal there is a bug and aborts.
 *
 * Both parsers must refuse bad input with an error, never crash, hang or
 * allocate without bound; the sanitizers and libFuzzer's limits catch the
 * rest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scenario.h"
#include "scenario_redact.h"
#include "simscenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_planted(data, size);
    /* The parser reads a C string, as read_file hands it one. */
    char *yaml = malloc(size + 1);
    sb_scenario_t *sc = malloc(sizeof *sc);
    sb_simscenario_t *sim = malloc(sizeof *sim);
    sb_simscenario_t *again = malloc(sizeof *again);
    char *text = malloc(SB_SIMSCENARIO_TEXT_MAX);
    if (yaml == NULL || sc == NULL || sim == NULL || again == NULL || text == NULL)
        abort();
    memcpy(yaml, data, size);
    yaml[size] = '\0';
    sb_err_t err = { { 0 } };
    char notes[SB_SIMSCENARIO_NOTES_MAX] = "";
    if (sb_scenario_parse(sc, "fuzz.yaml", yaml, &err) == 0 &&
        sb_simscenario_from_scenario(sim, sc, notes, sizeof notes, &err) == 0 &&
        sb_simscenario_format(sim, text, SB_SIMSCENARIO_TEXT_MAX) >= 0 &&
        sb_simscenario_parse(again, "formatted.yaml", text, &err) != 0) {
        fprintf(stderr, "fuzz_scenario: the formatted scenario does not parse back: %s\n"
                "--- formatted:\n%s\n", err.msg, text);
        abort();
    }
    /* The run folder's copy: credentials cut from the parsed text. What it
     * gives back must hold no credential, so it redacts to itself. */
    char *red = NULL, *red2 = NULL;
    size_t red_len = 0, red2_len = 0;
    if (sb_scenario_redact("fuzz.yaml", yaml, size, &red, &red_len, &err) == 0) {
        if (sb_scenario_redact("redacted.yaml", red, red_len, &red2, &red2_len, &err) != 0 ||
            red2_len != red_len || memcmp(red, red2, red_len) != 0) {
            fprintf(stderr, "fuzz_scenario: redacting the redacted copy changed it: %s\n",
                    err.msg);
            abort();
        }
        free(red2);
        free(red);
    }
    free(text);
    free(again);
    free(sim);
    free(sc);
    free(yaml);
    return 0;
}
