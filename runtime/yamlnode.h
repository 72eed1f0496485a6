/* yamlnode.h — reading libyaml document nodes, for the strict parsers of
 * scenario files (runtime/scenario.c) and sim scenario files
 * (sim/simscenario.c): one place for what a node is and how to name it. */
#ifndef SB_YAMLNODE_H
#define SB_YAMLNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

/* The node's 1-based line, for FILE:LINE: messages. */
size_t sb_yaml_line(const yaml_node_t *n);

/* A scalar node's text. */
const char *sb_yaml_text(const yaml_node_t *n);

/* Node `id` of the document (asserted to exist). */
yaml_node_t *sb_yaml_node(yaml_document_t *doc, int id);

/* `key:` with nothing after it, `~` and `null` are YAML's null. */
bool sb_yaml_is_null(const yaml_node_t *n);

/* What a node is, for "expected X, got Y": "a mapping", "a list",
 * "nothing", 'text' or the quoted string 'text'. Returns buf or a literal. */
const char *sb_yaml_describe(const yaml_node_t *n, char *buf, size_t size);

#endif
