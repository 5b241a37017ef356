/* SPDX-License-Identifier: MIT */
/* Internal to regex.c: the syntax tree of a pattern (regex-parse.c). */
#ifndef BOOTSEAL_REGEX_SYNTAX_H
#define BOOTSEAL_REGEX_SYNTAX_H

#include <stdbool.h>
#include <stdint.h>

struct bs_byteset {
	uint64_t w[4];
};

static inline bool bs_byteset_has(const struct bs_byteset *s, uint8_t b)
{
	return s->w[b >> 6] >> (b & 63) & 1;
}

enum bs_regex_node_kind { RE_BYTES, RE_START, RE_END, RE_CAT, RE_ALT, RE_REPEAT };

#define RE_NONE UINT32_MAX
#define RE_UNBOUNDED UINT16_MAX

/* Nodes refer to each other by index; an empty RE_CAT is the empty string. */
struct bs_regex_node {
	uint8_t kind;
	uint16_t min, max;      /* RE_REPEAT; max may be RE_UNBOUNDED */
	uint32_t set;           /* RE_BYTES: index in sets */
	uint32_t child, last;   /* first and last child: RE_CAT, RE_ALT; RE_REPEAT: child */
	uint32_t next, prev;    /* siblings */
};

struct bs_regex_tree {
	struct bs_regex_node *nodes;
	uint32_t n_nodes, root;
	struct bs_byteset *sets;
	uint32_t n_sets;
};

/*
 * Parses a NUL-terminated pattern of the subset regex.h describes. -EINVAL:
 * outside it; -E2BIG: repetition counts or nesting too large; -ENOMEM.
 * On success the tree is the caller's, for bs_regex_tree_clear.
 */
int bs_regex_parse(const char *pattern, struct bs_regex_tree *tree);
void bs_regex_tree_clear(struct bs_regex_tree *tree);

#endif
