/* scenario_redact.c — see scenario_redact.h.
 *
 * libyaml's document API gives every node a start and an end mark. Their
 * `index` counts characters, not bytes (a UTF-8 BOM is not counted, CR LF
 * counts two), so each mark is turned into a byte offset by walking the
 * UTF-8 text. A node's span starts at its properties (`&anchor`, `!tag`):
 * those are kept, so an alias elsewhere still resolves. A block scalar's
 * span runs to the start of the next line: its replacement then ends with
 * the line break the span swallowed.
 *
 * Invariants: the output is never returned unless it re-parses and every
 * credential key in it reads SB_SCENARIO_REDACTED_VALUE; every libyaml
 * object is deleted on every path. */
#include "scenario_redact.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A scenario holds each key once; aliases and several documents can make a
 * few more values to cut. More than this is not a scenario. */
#define SPANS_MAX 64
/* A credential shorter than this can match ordinary text by accident, so
 * the search for a copy of it elsewhere in the file starts at this length. */
#define LEFTOVER_BYTES_MIN 6

static const char *const credential_keys[] = { "s3.access-key", "s3.secret-key" };

typedef struct {
    size_t start; /* byte offsets into the text */
    size_t end;
    bool ends_line; /* the span swallowed a line break (block scalars) */
    char *value;    /* the credential, for the search for copies */
} span_t;

typedef struct {
    const char *name;
    const char *text;
    size_t len;
    size_t bom_bytes;
    span_t spans[SPANS_MAX];
    int count;
} redact_t;

static bool is_credential_key(const yaml_node_t *k)
{
    if (k == NULL || k->type != YAML_SCALAR_NODE)
        return false;
    for (size_t i = 0; i < COUNT_OF(credential_keys); i++)
        if (strcmp((const char *)k->data.scalar.value, credential_keys[i]) == 0)
            return true;
    return false;
}

/* The byte offset of character `index` (libyaml's mark), or (size_t)-1 past
 * the end. UTF-8 continuation bytes (10xxxxxx) do not start a character. */
static size_t byte_offset(const redact_t *r, size_t index)
{
    size_t chars = 0;
    for (size_t b = r->bom_bytes; b < r->len; b++) {
        if (((unsigned char)r->text[b] & 0xC0) == 0x80)
            continue;
        if (chars == index)
            return b;
        chars++;
    }
    return chars == index ? r->len : (size_t)-1;
}

/* Past the node's properties: `&anchor` and `!tag`, each followed by blanks
 * or a line break, stay in the text. */
static size_t skip_properties(const redact_t *r, size_t b, size_t end)
{
    while (b < end && (r->text[b] == '&' || r->text[b] == '!')) {
        while (b < end && strchr(" \t\r\n", r->text[b]) == NULL)
            b++;
        while (b < end && strchr(" \t\r\n", r->text[b]) != NULL)
            b++;
    }
    return b;
}

static int add_span(redact_t *r, const yaml_node_t *v, sb_err_t *err)
{
    size_t start = byte_offset(r, v->start_mark.index);
    size_t end = byte_offset(r, v->end_mark.index);
    if (start == (size_t)-1 || end == (size_t)-1 || end < start)
        return sb_err_set(err, "%s: cannot locate a credential's value (line %zu) in the text",
                          r->name, v->start_mark.line + 1);
    start = skip_properties(r, start, end);
    for (int i = 0; i < r->count; i++)
        if (r->spans[i].start == start)
            return 0; /* one anchored value named by two aliases */
    if (r->count == SPANS_MAX)
        return sb_err_set(err, "%s: more than %d credential values", r->name, SPANS_MAX);
    span_t *s = &r->spans[r->count];
    *s = (span_t){ .start = start, .end = end,
                   .ends_line = end > start && v->end_mark.column == 0 };
    if (v->type == YAML_SCALAR_NODE) {
        s->value = strdup((const char *)v->data.scalar.value);
        if (s->value == NULL)
            return sb_err_set(err, "out of memory");
    }
    r->count++;
    return 0;
}

/* Calls on_value for the value node of every credential key of the
 * document, at any depth; stops at the first error. */
typedef int (*value_fn)(redact_t *r, const yaml_node_t *v, sb_err_t *err);

static int each_credential(redact_t *r, yaml_document_t *doc, value_fn on_value, sb_err_t *err)
{
    for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
        if (n->type != YAML_MAPPING_NODE)
            continue;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            if (!is_credential_key(yaml_document_get_node(doc, p->key)))
                continue;
            const yaml_node_t *v = yaml_document_get_node(doc, p->value);
            if (v != NULL && on_value(r, v, err) != 0)
                return -1;
        }
    }
    return 0;
}

static int collect_document(redact_t *r, yaml_document_t *doc, sb_err_t *err)
{
    return each_credential(r, doc, add_span, err);
}

/* Calls on_doc for every document of the text; the error names the line. */
typedef int (*doc_fn)(redact_t *r, yaml_document_t *doc, sb_err_t *err);

static int each_document(redact_t *r, const char *text, size_t len, doc_fn on_doc,
                         sb_err_t *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sb_err_set(err, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            rc = sb_err_set(err, "%s:%zu: not YAML: %s", r->name, parser.problem_mark.line + 1,
                            parser.problem ? parser.problem : "unreadable");
            break;
        }
        bool last = yaml_document_get_root_node(&doc) == NULL;
        if (!last)
            rc = on_doc(r, &doc, err);
        yaml_document_delete(&doc);
        if (last || rc != 0)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* After the cut: every credential key reads the placeholder. */
static int check_value(redact_t *r, const yaml_node_t *v, sb_err_t *err)
{
    if (v->type != YAML_SCALAR_NODE ||
        strcmp((const char *)v->data.scalar.value, SB_SCENARIO_REDACTED_VALUE) != 0)
        return sb_err_set(err, "%s:%zu: a credential is still readable after redaction", r->name,
                          v->start_mark.line + 1);
    return 0;
}

static int check_document(redact_t *r, yaml_document_t *doc, sb_err_t *err)
{
    return each_credential(r, doc, check_value, err);
}

static int by_start(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* The text with every span replaced; NULL when out of memory. */
static char *cut_spans(const redact_t *r, size_t *out_len)
{
    static const char quoted[] = "\"" SB_SCENARIO_REDACTED_VALUE "\"";
    size_t cap = r->len + (size_t)r->count * (sizeof quoted + 1) + 1;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t o = 0, at = 0;
    for (int i = 0; i < r->count; i++) {
        const span_t *s = &r->spans[i];
        memcpy(out + o, r->text + at, s->start - at);
        o += s->start - at;
        memcpy(out + o, quoted, sizeof quoted - 1);
        o += sizeof quoted - 1;
        if (s->ends_line)
            out[o++] = '\n';
        at = s->end;
    }
    memcpy(out + o, r->text + at, r->len - at);
    o += r->len - at;
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* A credential copied elsewhere (a comment, another key's value) would
 * survive the cut: refuse the file rather than copy it. */
static int check_leftovers(const redact_t *r, const char *out, size_t out_len, sb_err_t *err)
{
    for (int i = 0; i < r->count; i++) {
        const char *v = r->spans[i].value;
        if (v == NULL || strlen(v) < LEFTOVER_BYTES_MIN || strstr(SB_SCENARIO_REDACTED_VALUE, v))
            continue;
        const char *at = memmem(out, out_len, v, strlen(v));
        if (at != NULL) {
            size_t line = 1;
            for (const char *c = out; c < at; c++)
                line += *c == '\n';
            return sb_err_set(err, "%s:%zu: a credential's value appears here too (in a comment "
                              "or another key): remove it, credentials are never copied",
                              r->name, line);
        }
    }
    return 0;
}

static void free_spans(redact_t *r)
{
    for (int i = 0; i < r->count; i++)
        free(r->spans[i].value);
}

int sb_scenario_redact(const char *name, const char *text, size_t len, char **out,
                       size_t *out_len, sb_err_t *err)
{
    *out = NULL;
    *out_len = 0;
    redact_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sb_err_set(err, "out of memory");
    *r = (redact_t){ .name = name, .text = text, .len = len };
    int rc = 0;
    /* Marks count characters of the decoded text: only UTF-8 maps back. */
    if (len >= 2 && ((unsigned char)text[0] == 0xFE || (unsigned char)text[0] == 0xFF))
        rc = sb_err_set(err, "%s: not UTF-8 (a UTF-16 byte order mark)", name);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r->bom_bytes = 3;
    if (rc == 0)
        rc = each_document(r, text, len, collect_document, err);
    char *cut = NULL;
    size_t cut_len = 0;
    if (rc == 0) {
        qsort(r->spans, (size_t)r->count, sizeof r->spans[0], by_start);
        for (int i = 1; i < r->count; i++)
            if (r->spans[i].start < r->spans[i - 1].end)
                rc = sb_err_set(err, "%s: credential values overlap", name);
    }
    if (rc == 0 && (cut = cut_spans(r, &cut_len)) == NULL)
        rc = sb_err_set(err, "out of memory");
    if (rc == 0)
        rc = each_document(r, cut, cut_len, check_document, err);
    if (rc == 0)
        rc = check_leftovers(r, cut, cut_len, err);
    free_spans(r);
    free(r);
    if (rc != 0) {
        free(cut);
        return -1;
    }
    *out = cut;
    *out_len = cut_len;
    return 0;
}

int sb_scenario_redact_file(const char *path, char **out, size_t *out_len, sb_err_t *err)
{
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return sb_err_errno(err, errno, "cannot read %s", path);
    char *text = malloc(SB_SCENARIO_REDACT_BYTES_MAX + 1);
    if (text == NULL) {
        fclose(f);
        return sb_err_set(err, "out of memory");
    }
    size_t len = fread(text, 1, SB_SCENARIO_REDACT_BYTES_MAX + 1, f);
    int rc = 0;
    if (ferror(f))
        rc = sb_err_errno(err, errno, "cannot read %s", path);
    else if (len > SB_SCENARIO_REDACT_BYTES_MAX)
        rc = sb_err_set(err, "%s is larger than %d bytes: not a scenario", path,
                        SB_SCENARIO_REDACT_BYTES_MAX);
    fclose(f);
    if (rc == 0)
        rc = sb_scenario_redact(path, text, len, out, out_len, err);
    free(text);
    return rc;
}
