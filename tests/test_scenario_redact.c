/* test_scenario_redact.c — the run folder's copy of a scenario holds no
 * credential, whatever YAML form the author used, and everything else of
 * the file is kept byte for byte. The redacted copy must still be a valid
 * scenario (the worker reads it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_helpers.h"
#include "scenario.h"
#include "scenario_redact.h"

#define SECRET "canary-SECRET-0123456789"
#define ACCESS "canary-ACCESS-9876543210"

/* A valid scenario: head, then `tail` (the credential lines under test). */
#define HEAD                                                                 \
    "# a comment that stays\n"                                               \
    "name: redact\n"                                                         \
    "input: { partitions: 1, records: 10 }\n"                                \
    "pipeline: { sink: file://output }\n"

typedef struct {
    char *out;
    size_t len;
    sb_err_t err;
    int rc;
} redacted_t;

static redacted_t redact(const char *text)
{
    redacted_t r = { 0 };
    r.rc = sb_scenario_redact("t.yaml", text, strlen(text), &r.out, &r.len, &r.err);
    return r;
}

/* The copy parses as a scenario, and both credentials read the placeholder. */
static void assert_clean_scenario(const redacted_t *r)
{
    if (r->rc != 0)
        fprintf(stderr, "\n    redact: %s\n", r->err.msg);
    CU_ASSERT_EQUAL_FATAL(r->rc, 0);
    CU_ASSERT_EQUAL(strlen(r->out), r->len);
    CU_ASSERT_PTR_NULL(strstr(r->out, SECRET));
    CU_ASSERT_PTR_NULL(strstr(r->out, ACCESS));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->out, "# a comment that stays\n"));
    sb_scenario_t *s = calloc(1, sizeof *s);
    sb_err_t err;
    int rc = sb_scenario_parse(s, "copy.yaml", r->out, &err);
    if (rc != 0)
        fprintf(stderr, "\n    copy: %s\n%s\n", err.msg, r->out);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc == 0) {
        CU_ASSERT_STRING_EQUAL(s->s3_secret_key, SB_SCENARIO_REDACTED_VALUE);
        CU_ASSERT_STRING_EQUAL(s->name, "redact");
    }
    free(s);
}

static void test_a_plain_key_keeps_its_line_and_loses_its_value(void)
{
    redacted_t r = redact(HEAD "s3.secret-key: " SECRET "   # trailing comment\n"
                               "s3.region: us-east-1\n");
    assert_clean_scenario(&r);
    CU_ASSERT_STRING_EQUAL(r.out, HEAD "s3.secret-key: \"" SB_SCENARIO_REDACTED_VALUE "\""
                                       "   # trailing comment\ns3.region: us-east-1\n");
    free(r.out);
}

static void test_a_quoted_key_is_redacted(void)
{
    redacted_t r = redact(HEAD "\"s3.secret-key\": " SECRET "\n's3.access-key': '" ACCESS "'\n");
    assert_clean_scenario(&r);
    free(r.out);
}

static void test_a_folded_block_scalar_is_redacted_and_the_copy_still_parses(void)
{
    redacted_t r = redact(HEAD "s3.secret-key: >-\n  " SECRET "\n  " SECRET "\n\n"
                               "s3.region: us-east-1\n");
    assert_clean_scenario(&r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "s3.region: us-east-1\n"));
    free(r.out);
}

static void test_a_literal_block_scalar_in_crlf_after_utf8_is_redacted(void)
{
    redacted_t r = redact(HEAD "# caf\xc3\xa9 \xe2\x82\xac\r\n"
                               "s3.access-key: |\r\n  " ACCESS "\r\n"
                               "s3.secret-key: \"" SECRET "\"\r\n");
    assert_clean_scenario(&r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "# caf\xc3\xa9 \xe2\x82\xac\r\n"));
    free(r.out);
}

static void test_a_flow_mapping_is_redacted(void)
{
    redacted_t r = redact("{ name: redact, input: { partitions: 1, records: 10 },\n"
                          "  pipeline: { sink: file://output },\n"
                          "  \"s3.secret-key\": " SECRET ", s3.access-key: " ACCESS " }\n"
                          "# a comment that stays\n");
    assert_clean_scenario(&r);
    free(r.out);
}

/* The anchor stays where it was: an alias elsewhere still resolves. */
static void test_an_anchored_value_reached_through_an_alias_is_redacted(void)
{
    redacted_t r = redact(HEAD "s3.access-key: &cred " SECRET "\n"
                               "s3.secret-key: *cred\n");
    assert_clean_scenario(&r);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "&cred \"" SB_SCENARIO_REDACTED_VALUE "\""));
    free(r.out);
}

static void test_a_file_without_credentials_is_copied_byte_for_byte(void)
{
    redacted_t r = redact(HEAD "s3.region: us-east-1   # keep\n");
    CU_ASSERT_EQUAL_FATAL(r.rc, 0);
    CU_ASSERT_STRING_EQUAL(r.out, HEAD "s3.region: us-east-1   # keep\n");
    free(r.out);
}

/* The search for copies of a credential is what catches a secret the cut
 * cannot reach: here, one in a comment. */
static void test_a_credential_copied_into_a_comment_is_refused(void)
{
    redacted_t r = redact(HEAD "s3.secret-key: " SECRET "\n# old: " SECRET "\n");
    CU_ASSERT_EQUAL(r.rc, -1);
    CU_ASSERT_PTR_NULL(r.out);
    ASSERT_HAS(r.err.msg, "t.yaml:6: a credential's value appears here too");
    CU_ASSERT_PTR_NULL(strstr(r.err.msg, SECRET));
}

static void test_text_that_is_not_yaml_is_an_error_naming_the_line(void)
{
    redacted_t r = redact(HEAD "s3.secret-key: [unclosed\n");
    CU_ASSERT_EQUAL(r.rc, -1);
    CU_ASSERT_PTR_NULL(r.out);
    ASSERT_HAS(r.err.msg, "t.yaml:");
    ASSERT_HAS(r.err.msg, "not YAML");
}

/* What the supervisor hands the worker (through its environment) is the
 * folded value as YAML reads it: lines joined by a space. */
static void test_the_parser_reads_a_folded_secret_as_one_line(void)
{
    sb_scenario_t *s = calloc(1, sizeof *s);
    sb_err_t err;
    int rc = sb_scenario_parse(s, "folded.yaml",
                               HEAD "s3.secret-key: >-\n  abc\n  def\ns3.region: x\n", &err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc == 0)
        CU_ASSERT_STRING_EQUAL(s->s3_secret_key, "abc def");
    free(s);
}

void test_scenario_redact_register(void)
{
#define T(fn) { #fn, fn }
    static const sb_test_case_t cases[] = {
        T(test_a_plain_key_keeps_its_line_and_loses_its_value),
        T(test_a_quoted_key_is_redacted),
        T(test_a_folded_block_scalar_is_redacted_and_the_copy_still_parses),
        T(test_a_literal_block_scalar_in_crlf_after_utf8_is_redacted),
        T(test_a_flow_mapping_is_redacted),
        T(test_an_anchored_value_reached_through_an_alias_is_redacted),
        T(test_a_file_without_credentials_is_copied_byte_for_byte),
        T(test_a_credential_copied_into_a_comment_is_refused),
        T(test_text_that_is_not_yaml_is_an_error_naming_the_line),
        T(test_the_parser_reads_a_folded_secret_as_one_line),
        { NULL, NULL },
    };
#undef T
    sb_test_add_suite("scenario_redact", cases);
}
