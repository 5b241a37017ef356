/* SPDX-License-Identifier: MIT */
/* Internal to regex.c: the syntax tree of a pattern (regex-parse.c). */
#ifndef BOOTSEAL_REGEX_SYNTAX_H
#define BOOTSEAL_REGEX_SYNTAX_H

#include <stdbool.h>
#include <stdint.h>

struct bs_byteset {
	uint64_t w[4];
};

static inline bool bsi_byteset_has(const struct bs_byteset *s, uint8_t b)
{
	return s->w[b >> 6] >> (b & 63) & 1;
}

enum bs_regex_node_kind { RE_BYTES, RE_LOOK, RE_CAT, RE_ALT, RE_REPEAT };

/*
 * Zero-width assertions (regex-syntax's Look), as regex-automata decides
 * them from the byte before and the byte after the position.
 */
enum bs_regex_look {
	LOOK_START,             /* \A, ^ */
	LOOK_END,               /* \z, $ */
	LOOK_START_LF,          /* (?m)^: after '\n' (the NFA's own line terminator, not the syntax's NUL) */
	LOOK_END_LF,
	LOOK_START_CRLF,        /* (?mR)^ */
	LOOK_END_CRLF,
	LOOK_WORD,              /* \b, ASCII */
	LOOK_NOT_WORD,          /* \B */
	LOOK_WORD_START,        /* \b{start}, \< */
	LOOK_WORD_END,          /* \b{end}, \> */
	LOOK_WORD_START_HALF,   /* \b{start-half} */
	LOOK_WORD_END_HALF,     /* \b{end-half} */
};

#define RE_NONE UINT32_MAX

/*
 * Nodes refer to each other by index; an empty RE_CAT is the empty string.
 * Children are in order of preference (leftmost-first, as a backtracking
 * engine tries them), which only says where a match ends, not whether.
 */
struct bs_regex_node {
	uint8_t kind;
	uint8_t look;           /* RE_LOOK: enum bs_regex_look */
	bool greedy;            /* RE_REPEAT: prefers more */
	bool unbounded;         /* RE_REPEAT: no max */
	bool may_be_empty;      /* can match without a byte (assertions taken as holding) */
	bool zero_width;        /* never consumes a byte (regex-syntax's maximum_len 0) */
	uint32_t min, max;      /* RE_REPEAT */
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
 * outside it; -ENOMEM.
 * On success the tree is the caller's, for bsi_regex_tree_clear.
 */
int bsi_regex_parse(const char *pattern, struct bs_regex_tree *tree);
void bsi_regex_tree_clear(struct bs_regex_tree *tree);

#endif
