/* yamlnode.c — see yamlnode.h. */
#include "yamlnode.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t sb_yaml_line(const yaml_node_t *n)
{
    return n->start_mark.line + 1;
}

const char *sb_yaml_text(const yaml_node_t *n)
{
    assert(n->type == YAML_SCALAR_NODE);
    return (const char *)n->data.scalar.value;
}

yaml_node_t *sb_yaml_node(yaml_document_t *doc, int id)
{
    yaml_node_t *n = yaml_document_get_node(doc, id);
    assert(n != NULL);
    return n;
}

bool sb_yaml_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *t = sb_yaml_text(n);
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcasecmp(t, "null") == 0;
}

const char *sb_yaml_describe(const yaml_node_t *n, char *buf, size_t size)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (sb_yaml_is_null(n))
        return "nothing";
    bool quoted = n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    snprintf(buf, size, "%s'%.64s'", quoted ? "the quoted string " : "", sb_yaml_text(n));
    return buf;
}
