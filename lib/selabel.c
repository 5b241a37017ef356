/* SPDX-License-Identifier: MIT */
/*
 * Facts matched from composefs-rs crates/composefs-boot/src/selabel.rs
 * (0fbc8533): spec lines are "REGEX [-T] CONTEXT"; the key looked up is the
 * path followed by one type byte, so a spec becomes ^(REGEX)T$ (or ^(REGEX).$
 * without a type). That pattern is compiled in Rust's regex-syntax dialect
 * (Unicode off, bytes, NUL the line terminator: lib/regex.c reads it) and
 * searched anchored at the start, a match ending anywhere; only a pattern
 * regex-syntax refuses goes to PCRE2, with its default options (no DOTALL),
 * searched unanchored. A pattern neither compiles stops the policy.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <bootseal/selabel.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "regex.h"
#include "util.h"

#define POLICY_FILE_MAX (64u << 20)

struct spec {
	char *regex;            /* the file's REGEX, as written */
	char type;              /* 0: any */
	char *context;          /* NULL for <<none>> */
	size_t prefix_len;      /* literal prefix every match must start with */
	int filterable;         /* the type and prefix tell which keys cannot match */
	char *prefix;
	struct bs_regex *re;    /* compiled on first use, */
	pcre2_code *code;       /* or this when outside regex.c's subset */
	int broken;             /* did not compile: never matches */
};

struct alias {
	char *from;
	char *to;
};

/*
 * composefs-rs matches with a linear-time automaton; PCRE2 backtracks, so a
 * hostile file_contexts could make one lookup take hours. The specs left to
 * PCRE2 get a step budget per match far above what real policies need;
 * running out is an error.
 */
#define MATCH_LIMIT 200000

/*
 * Linear time per pattern still leaves a policy of a million patterns, or
 * of patterns made to fill their caches, free to take hours and gigabytes.
 * Debian's policy, labelling a 175k-entry tree, compiles 449 of its 5502
 * patterns into 2.8 MB of automata with 1.9 MB of DFA caches; its lookups
 * take 74 steps (bytes matched, NFA states stepped) per byte of the path on
 * average, 116 at most. Steps are bounded per byte, since a longer path
 * costs each pattern more; these bounds are far above Debian's. Past the
 * caches' bound matches step the NFA instead: slower, still right. Past the
 * others lookups fail.
 */
#define NFA_BYTES_MAX (128u << 20)    /* a pattern of regex.c's largest size fits */
#define CACHE_BYTES_MAX (64u << 20)
#define STEPS_PER_BYTE_MAX 4096u         /* one lookup, per byte of its path */
#define STEPS_PER_BYTE_AVERAGE_MAX 1024u /* all lookups so far, on average */
#define STEPS_ALLOWANCE (1u << 20)       /* on top of both: cold caches, small trees */

/*
 * The specs' literal prefixes as a trie: walking a path down it meets every
 * spec whose prefix the path starts with, so a lookup tries those and the
 * ones no prefix rules out (hung on the root) instead of every spec. Debian's
 * policy has 5502 specs; a path meets a few dozen.
 */
struct prefix_node {
	uint32_t child, sibling;        /* 0: none (the root is never a child) */
	uint32_t first, count;          /* its specs: specs[first .. first + count) of the index */
	uint8_t byte;
};

struct prefix_index {
	struct prefix_node *nodes;
	size_t n_nodes;
	uint32_t *specs;                /* each node's spec numbers, ascending */
	uint32_t *candidates;           /* one lookup's, n_specs at most */
};

struct bs_selabel {
	struct spec *specs;
	size_t n_specs, cap_specs;
	struct prefix_index index;
	pcre2_match_context *mctx;
	struct bs_regex_budget budget;  /* .work: this lookup's */
	uint64_t work, bytes;           /* all lookups': steps, path bytes */
	char failure[320];              /* why lookups can no longer be trusted */
	int utf8empty;                  /* a spec of regex.c's can match the empty string */
	struct alias *aliases;
	size_t n_aliases, cap_aliases;
	pcre2_match_data *match;
};

static void spec_clear(struct spec *s)
{
	free(s->regex);
	free(s->context);
	free(s->prefix);
	bsi_regex_free(s->re);
	pcre2_code_free(s->code);
}

void bs_selabel_free(struct bs_selabel *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n_specs; i++)
		spec_clear(&sel->specs[i]);
	for (size_t i = 0; i < sel->n_aliases; i++) {
		free(sel->aliases[i].from);
		free(sel->aliases[i].to);
	}
	free(sel->specs);
	free(sel->index.nodes);
	free(sel->index.specs);
	free(sel->index.candidates);
	free(sel->aliases);
	pcre2_match_data_free(sel->match);
	pcre2_match_context_free(sel->mctx);
	free(sel);
}

char bs_selabel_type_of_mode(unsigned int mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return 'd';
	case S_IFLNK:
		return 'l';
	case S_IFCHR:
		return 'c';
	case S_IFBLK:
		return 'b';
	case S_IFIFO:
		return 'p';
	case S_IFSOCK:
		return 's';
	default:
		return '-';
	}
}

/*
 * The literal text every match of REGEX must begin with, used to skip most
 * specs with a memcmp. Conservative: stops at the first metacharacter, drops
 * a literal that a quantifier follows, and gives up on any alternation.
 */
static size_t literal_prefix(const char *re, char *out)
{
	size_t n = 0;

	if (strchr(re, '|') || strchr(re, '#'))
		return 0;
	for (const char *p = re; *p;) {
		char c = *p;
		size_t step = 1;

		if (c == '\\') {
			/* Only escaped metacharacters are literals in both dialects. */
			if (!p[1] || !strchr(".+*?()|[]{}^$\\", p[1]))
				break;
			c = p[1];
			step = 2;
		} else if (strchr(".^$?*+[](){}", c)) {
			break;
		} else if ((uint8_t)c >= 0xc0) {
			/* regex-syntax repeats a whole character (the file is UTF-8) */
			step = (uint8_t)c >= 0xf0 ? 4 : (uint8_t)c >= 0xe0 ? 3 : 2;
		}
		if (p[step] == '?' || p[step] == '*' || p[step] == '{')
			break;
		if ((uint8_t)c >= 0xc0) {
			memcpy(out + n, p, step);
			n += step;
			p += step;
			continue;
		}
		out[n++] = c;
		p += step;
	}
	out[n] = '\0';
	return n;
}

/* One field, as Rust's split_whitespace splits (Unicode whitespace; the
 * files are checked to be UTF-8 first). */
static char *next_token(char **cursor)
{
	char *p = *cursor, *start;
	size_t n = 0;

	while ((n = bsi_utf8_space(p, 4)))
		p += n;
	if (!*p) {
		*cursor = p;
		return NULL;
	}
	start = p;
	while (*p && !(n = bsi_utf8_space(p, 4)))
		p++;
	if (*p) {
		*p = '\0';
		p += n;
	}
	*cursor = p;
	return start;
}

static int add_spec(struct bs_selabel *sel, const char *re, char type, const char *context)
{
	struct spec *s;

	if (BSI_GROW(sel->specs, sel->cap_specs, sel->n_specs, 256) < 0)
		return -ENOMEM;
	s = &sel->specs[sel->n_specs];
	memset(s, 0, sizeof(*s));
	s->regex = strdup(re);
	s->prefix = malloc(strlen(re) + 1);
	s->context = strcmp(context, "<<none>>") ? strdup(context) : NULL;
	if (!s->regex || !s->prefix || (strcmp(context, "<<none>>") && !s->context)) {
		spec_clear(s);
		return -ENOMEM;
	}
	s->type = type;
	s->prefix_len = literal_prefix(re, s->prefix);
	sel->n_specs++;
	return 0;
}

/*
 * composefs-rs compiles every spec when it loads the policy and stops when
 * one is neither regex-syntax nor PCRE2; lookups here compile lazily, so a
 * spec that can never compile is caught now. *filterable: whether the key's
 * type byte and the spec's literal prefix can rule a match out (they cannot
 * when the spec's parentheses reach out of the ^( )T$ around it).
 */
static int check_compiles(const char *re, char type, const char *file, unsigned lineno, int *filterable,
			  int *may_be_empty, struct bs_error *err)
{
	_cleanup_free_ char *pattern = NULL, *compat = NULL;
	struct bs_regex *compiled = NULL;
	PCRE2_UCHAR message[120];
	PCRE2_SIZE erroff;
	pcre2_code *code;
	int errcode, r;

	if (asprintf(&pattern, "^(%s)%c$", re, type ? type : '.') < 0) {
		pattern = NULL;
		return -ENOMEM;
	}
	r = bsi_regex_new_prefix(pattern, &compiled);
	if (r == 0)
		*may_be_empty = bsi_regex_may_be_empty(compiled);
	bsi_regex_free(compiled);
	if (r == 0) {
		r = bsi_regex_new_prefix(re, &compiled);
		bsi_regex_free(compiled);
		if (r == -ENOMEM)
			return r;
		*filterable = r == 0 && !strchr(re, '#');
		return 0;
	}
	switch (r) {
	case -EINVAL:
		break;
	case -EOPNOTSUPP:
		return bs_error_set(err, -EBADMSG, file,
				    "line %u: regex '%.200s' names a capture group with non-ASCII characters, which bootseal does not check as Rust does",
				    lineno, re);
	case -ENOEXEC:
		return bs_error_set(err, -EBADMSG, file,
				    "line %u: regex '%.200s' has a Unicode word boundary, which composefs-rs's lazy DFA refuses",
				    lineno, re);
	case -E2BIG:
		return bs_error_set(err, -EBADMSG, file, "line %u: regex '%.200s' is larger than bootseal allows",
				    lineno, re);
	default:
		return r;
	}
	compat = bsi_regex_pcre2_compat(pattern);
	if (!compat)
		return -ENOMEM;
	code = pcre2_compile((PCRE2_SPTR)compat, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
	if (code) {
		pcre2_code_free(code);
		*filterable = !strchr(re, '|') && !strstr(re, "(?") && !strstr(re, "(*");
		return 0;
	}
	if (pcre2_get_error_message(errcode, message, sizeof(message)) < 0)
		message[0] = '\0';
	return bs_error_set(err, -EBADMSG, file, "line %u: regex '%.200s' does not compile: %s", lineno, re,
			    (const char *)message);
}

static int parse_spec_line(struct bs_selabel *sel, char *line, const char *file, unsigned lineno,
			   struct bs_error *err)
{
	char *cursor = line, *re, *second, *third, *extra;
	char type = 0;
	int r, filterable = 0, may_be_empty = 0;

	re = next_token(&cursor);
	if (!re || re[0] == '#')
		return 0;
	second = next_token(&cursor);
	third = next_token(&cursor);
	extra = next_token(&cursor);
	if (!second || extra)
		return bs_error_set(err, -EBADMSG, file, "line %u: expected REGEX [-TYPE] CONTEXT", lineno);
	/* composefs-rs reads a second field starting with '-' as a file type,
	 * never as a context. */
	if (third || second[0] == '-') {
		if (second[0] != '-' || strlen(second) != 2 || !strchr("bcdpls-", second[1]))
			return bs_error_set(err, -EBADMSG, file, "line %u: unknown file type '%s'",
					    lineno, second);
		if (!third)
			return bs_error_set(err, -EBADMSG, file, "line %u: no context after the file type '%s'",
					    lineno, second);
		type = second[1];
	}
	r = check_compiles(re, type, file, lineno, &filterable, &may_be_empty, err);
	if (may_be_empty)
		sel->utf8empty = 1;
	if (r < 0)
		return r;
	r = add_spec(sel, re, type, third ? third : second);
	if (r == 0)
		sel->specs[sel->n_specs - 1].filterable = filterable;
	return r;
}

static int add_alias(struct bs_selabel *sel, const char *from, const char *to)
{
	/* A later file's entry for the same alias wins, as a map insert would. */
	for (size_t i = 0; i < sel->n_aliases; i++) {
		if (strcmp(sel->aliases[i].from, from) == 0) {
			char *t = strdup(to);
			if (!t)
				return -ENOMEM;
			free(sel->aliases[i].to);
			sel->aliases[i].to = t;
			return 0;
		}
	}
	if (BSI_GROW(sel->aliases, sel->cap_aliases, sel->n_aliases, 16) < 0)
		return -ENOMEM;
	sel->aliases[sel->n_aliases].from = strdup(from);
	sel->aliases[sel->n_aliases].to = strdup(to);
	if (!sel->aliases[sel->n_aliases].from || !sel->aliases[sel->n_aliases].to) {
		free(sel->aliases[sel->n_aliases].from);
		free(sel->aliases[sel->n_aliases].to);
		return -ENOMEM;
	}
	sel->n_aliases++;
	return 0;
}

static int parse_alias_line(struct bs_selabel *sel, char *line, const char *file, unsigned lineno,
			    struct bs_error *err)
{
	char *cursor = line, *from, *to;

	from = next_token(&cursor);
	if (!from || from[0] == '#')
		return 0;
	to = next_token(&cursor);
	if (!to || next_token(&cursor))
		return bs_error_set(err, -EBADMSG, file, "line %u: expected ALIAS PATH", lineno);
	return add_alias(sel, from, to);
}

/*
 * The bytes of a regular file of the tree: inline content, or for external
 * content whatever the caller's source provides. -ENOENT when absent; a
 * symlink or other non-regular file is an error, as in composefs-rs.
 */
static int read_policy_file(struct bs_tree *tree, const struct bs_content_source *src,
			    const char *rel, const char *display, char **out, struct bs_error *err)
{
	struct bs_tree_inode *inode = bs_tree_lookup_path(tree, rel);
	_cleanup_free_ uint8_t *data = NULL;
	const uint8_t *inline_data;
	size_t len;
	int r;

	if (!inode)
		return -ENOENT;
	if (!S_ISREG(bs_tree_inode_stat(inode)->mode))
		return bs_error_set(err, -EINVAL, display, "not a regular file");
	if (bs_tree_inode_stat(inode)->size > POLICY_FILE_MAX)
		return bs_error_set(err, -EFBIG, display, "larger than %u bytes", POLICY_FILE_MAX);
	inline_data = bs_tree_inode_content(inode, &len);
	if (!inline_data && bs_tree_inode_stat(inode)->size == 0) {
		inline_data = (const uint8_t *)"";
		len = 0;
	}
	if (!inline_data) {
		if (!src || !src->read)
			return bs_error_set(err, -ENOENT, display, "content is not available");
		r = src->read(src->ctx, rel, inode, &data, &len, err);
		if (r < 0)
			return r;
		inline_data = data;
	}
	*out = malloc(len + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, inline_data, len);
	(*out)[len] = '\0';
	if (strlen(*out) != len) {
		free(*out);
		*out = NULL;
		return bs_error_set(err, -EBADMSG, display, "contains a NUL byte");
	}
	return 0;
}

typedef int (*line_fn)(struct bs_selabel *, char *, const char *, unsigned, struct bs_error *);

static int parse_lines(struct bs_selabel *sel, char *text, const char *display, line_fn fn,
		       struct bs_error *err)
{
	unsigned lineno = 0;
	char *save = NULL;

	for (char *line = text; line; line = save) {
		int r;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		r = fn(sel, line, display, lineno, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* 1 for a directory, 0 when absent, an error for anything else. */
static int tree_dir_exists(struct bs_tree *tree, const char *rel, const char *display,
			   struct bs_error *err)
{
	struct bs_tree_inode *inode = bs_tree_lookup_path(tree, rel);

	if (!inode)
		return 0;
	if (!S_ISDIR(bs_tree_inode_stat(inode)->mode))
		return bs_error_set(err, -ENOTDIR, display, "not a directory");
	return 1;
}

/* s without the Unicode whitespace around it, as Rust's str::trim. */
static char *trim(char *s)
{
	char *end = s + strlen(s);
	size_t n;

	while ((n = bsi_utf8_space(s, (size_t)(end - s))))
		s += n;
	for (;;) {
		if (end - s >= 1 && bsi_utf8_space(end - 1, 1) == 1)
			end -= 1;
		else if (end - s >= 2 && bsi_utf8_space(end - 2, 2) == 2)
			end -= 2;
		else if (end - s >= 3 && bsi_utf8_space(end - 3, 3) == 3)
			end -= 3;
		else
			break;
	}
	*end = '\0';
	return s;
}

/*
 * The first SELINUXTYPE= line's value. composefs-rs reads the lines as
 * UTF-8 up to that one: -EBADMSG (and *bad_line) for one that is not.
 */
static int config_policy_type(char *config, size_t len, char **type, unsigned *bad_line)
{
	unsigned lineno = 0;

	*type = NULL;
	for (char *line = config, *next; line; line = next) {
		char *eq;

		next = memchr(line, '\n', len - (size_t)(line - config));
		if (next)
			*next++ = '\0';
		lineno++;
		if (!bsi_utf8_valid(line, strlen(line))) {
			*bad_line = lineno;
			return -EBADMSG;
		}
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (strcasecmp(trim(line), "SELINUXTYPE") != 0)
			continue;
		*type = strdup(trim(eq + 1));
		return *type ? 0 : -ENOMEM;
	}
	return 0;
}

/*
 * The policy's directory under etc/selinux, as composefs-rs looks SELINUXTYPE
 * up there: a path whose empty and inner "." parts are dropped, where a
 * leading "." or any ".." is an error. -EINVAL for those.
 */
static int policy_dir(const char *type, char *out, size_t size)
{
	size_t n = 0;
	int first = 1;

	out[0] = '\0';
	for (const char *p = type; *p;) {
		size_t len = strcspn(p, "/");

		if ((len == 1 && p[0] == '.' && first && type[0] != '/') || (len == 2 && !memcmp(p, "..", 2)))
			return -EINVAL;
		if (len && !(len == 1 && p[0] == '.')) {
			if (n + len + 2 > size)
				return -ENAMETOOLONG;
			memcpy(out + n, p, len);
			n += len;
			out[n++] = '/';
			out[n] = '\0';
		}
		first = 0;
		p += len;
		p += *p == '/';
	}
	return 0;
}

/* The child of node n for byte b; 0 when none. */
static uint32_t prefix_child(const struct prefix_index *ix, uint32_t n, uint8_t b)
{
	uint32_t c;

	for (c = ix->nodes[n].child; c; c = ix->nodes[c].sibling)
		if (ix->nodes[c].byte == b)
			return c;
	return 0;
}

/* That child, made if it is not there yet; 0 without memory. */
static uint32_t prefix_child_add(struct prefix_index *ix, size_t *cap, uint32_t n, uint8_t b)
{
	uint32_t c = prefix_child(ix, n, b);

	if (c || BSI_GROW(ix->nodes, *cap, ix->n_nodes, 256) < 0)
		return c;
	c = (uint32_t)ix->n_nodes++;
	ix->nodes[c] = (struct prefix_node){ .sibling = ix->nodes[n].child, .byte = b };
	ix->nodes[n].child = c;
	return c;
}

static int prefix_index_build(struct bs_selabel *sel)
{
	struct prefix_index *ix = &sel->index;
	_cleanup_free_ uint32_t *node_of = calloc(sel->n_specs + 1, sizeof(*node_of));
	size_t cap = 0;

	ix->specs = calloc(sel->n_specs + 1, sizeof(*ix->specs));
	ix->candidates = calloc(sel->n_specs + 1, sizeof(*ix->candidates));
	if (!node_of || !ix->specs || !ix->candidates || BSI_GROW(ix->nodes, cap, ix->n_nodes, 256) < 0)
		return -ENOMEM;
	ix->nodes[ix->n_nodes++] = (struct prefix_node){ 0 };
	for (size_t i = 0; i < sel->n_specs; i++) {
		const struct spec *s = &sel->specs[i];
		uint32_t n = 0;

		/* A spec whose prefix rules nothing out stays on the root. */
		for (size_t k = 0; s->filterable && k < s->prefix_len; k++)
			if (!(n = prefix_child_add(ix, &cap, n, (uint8_t)s->prefix[k])))
				return -ENOMEM;
		node_of[i] = n;
		ix->nodes[n].count++;
	}
	for (size_t n = 0, first = 0; n < ix->n_nodes; n++) {
		ix->nodes[n].first = (uint32_t)first;
		first += ix->nodes[n].count;
		ix->nodes[n].count = 0;
	}
	for (size_t i = 0; i < sel->n_specs; i++) {
		struct prefix_node *n = &ix->nodes[node_of[i]];

		ix->specs[n->first + n->count++] = (uint32_t)i;
	}
	return 0;
}

/* The specs path can match by its prefix, ascending; their number. */
static size_t prefix_candidates(struct bs_selabel *sel, const char *path, size_t path_len)
{
	struct prefix_index *ix = &sel->index;
	uint32_t *out = ix->candidates;
	size_t n_out = 0, walked = 0;

	for (uint32_t n = 0;;) {
		const struct prefix_node *node = &ix->nodes[n];

		memcpy(out + n_out, ix->specs + node->first, node->count * sizeof(*out));
		n_out += node->count;
		walked++;
		if (walked > path_len || !(n = prefix_child(ix, n, (uint8_t)path[walked - 1])))
			break;
	}
	/* Each node's list is ascending; along a path they interleave. */
	if (walked > 1)
		qsort(out, n_out, sizeof(*out), bsi_cmp_u32);
	return n_out;
}

int bs_selabel_load(struct bs_tree *tree, const struct bs_content_source *src, const char *name,
		    struct bs_selabel **out, struct bs_error *err)
{
	if (!tree || !name || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_selabel_load: a NULL argument");
	static const char *const spec_files[] = { "file_contexts", "file_contexts.local",
						  "file_contexts.homedirs" };
	static const char *const alias_files[] = { "file_contexts.subs", "file_contexts.subs_dist" };
	_cleanup_free_ char *config = NULL, *type = NULL;
	char rel[PATH_MAX], display[PATH_MAX + 64], dir[PATH_MAX];
	struct bs_selabel *sel;
	unsigned bad_line = 0;
	int r;

	*out = NULL;
#define WHERE(...) (snprintf(rel, sizeof(rel), __VA_ARGS__), \
		    snprintf(display, sizeof(display), "%s/%s", name, rel), rel)
	r = tree_dir_exists(tree, WHERE("etc"), display, err);
	if (r <= 0)
		return r;
	r = tree_dir_exists(tree, WHERE("etc/selinux"), display, err);
	if (r <= 0)
		return r;
	r = read_policy_file(tree, src, WHERE("etc/selinux/config"), display, &config, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = config_policy_type(config, strlen(config), &type, &bad_line);
	if (r == -EBADMSG)
		return bs_error_set(err, r, display, "line %u is not UTF-8", bad_line);
	if (r < 0 || !type)
		return r;
	r = policy_dir(type, dir, sizeof(dir));
	if (r < 0)
		return bs_error_set(err, r, display, "invalid SELINUXTYPE '%s'", type);
	r = tree_dir_exists(tree, WHERE("etc/selinux/%scontexts/files", dir), display, err);
	if (r == 0)
		return bs_error_set(err, -ENOENT, display, "missing: the policy '%s' named in etc/selinux/config",
				    type);
	if (r < 0)
		return r;

	sel = calloc(1, sizeof(*sel));
	if (!sel)
		return -ENOMEM;
	sel->budget.nfa_bytes_left = NFA_BYTES_MAX;
	sel->budget.cache_bytes_left = CACHE_BYTES_MAX;
	sel->match = pcre2_match_data_create(1, NULL);
	sel->mctx = pcre2_match_context_create(NULL);
	if (sel->mctx)
		pcre2_set_match_limit(sel->mctx, MATCH_LIMIT);
	if (!sel->match || !sel->mctx) {
		bs_selabel_free(sel);
		return -ENOMEM;
	}
	for (size_t i = 0; i < BS_ARRAY_SIZE(spec_files) + BS_ARRAY_SIZE(alias_files); i++) {
		int is_spec = i < BS_ARRAY_SIZE(spec_files);
		const char *file = is_spec ? spec_files[i] : alias_files[i - BS_ARRAY_SIZE(spec_files)];
		_cleanup_free_ char *text = NULL;

		r = read_policy_file(tree, src, WHERE("etc/selinux/%scontexts/files/%s", dir, file),
				     display, &text, err);
		if (r == -ENOENT && i == 0) {
			r = bs_error_set(err, -ENOENT, display,
					 "missing: an SELinux policy needs file_contexts");
			break;
		}
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		if (!bsi_utf8_valid(text, strlen(text))) {
			r = bs_error_set(err, -EBADMSG, display, "not UTF-8");
			break;
		}
		r = parse_lines(sel, text, display, is_spec ? parse_spec_line : parse_alias_line, err);
		if (r < 0)
			break;
	}
#undef WHERE
	if (r >= 0)
		r = prefix_index_build(sel);
	if (r < 0) {
		bs_selabel_free(sel);
		return r;
	}
	*out = sel;
	return 0;
}

static int spec_compile(struct bs_selabel *sel, struct spec *s)
{
	_cleanup_free_ char *pattern = NULL, *compat = NULL;
	int errcode, r;
	PCRE2_SIZE erroff;

	/* The type letters are literals outside a class; '.' stands for any type. */
	if (asprintf(&pattern, "^(%s)%c$", s->regex, s->type ? s->type : '.') < 0) {
		pattern = NULL;
		return -ENOMEM;
	}
	r = bsi_regex_new_prefix(pattern, &s->re);
	if (r == 0) {
		r = bsi_regex_share_budget(s->re, &sel->budget);
		if (r < 0) {
			bsi_regex_free(BS_STEAL(s->re));
			return r;
		}
	}
	if (r != -EINVAL)
		return r == 0 || r == -ENOMEM ? r : -E2BIG;
	/* Only what regex-syntax refuses, with PCRE2's default options, as composefs-rs. */
	compat = bsi_regex_pcre2_compat(pattern);
	if (!compat)
		return -ENOMEM;
	s->code = pcre2_compile((PCRE2_SPTR)compat, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
	if (!s->code) {
		s->broken = 1;
		return 0;
	}
	(void)pcre2_jit_compile(s->code, PCRE2_JIT_COMPLETE);
	return 0;
}

__attribute__((format(printf, 2, 3)))
static const char *fail(struct bs_selabel *sel, const char *fmt, ...)
{
	va_list ap;

	if (sel->failure[0])
		return NULL;    /* the first reason is the one to tell */
	va_start(ap, fmt);
	vsnprintf(sel->failure, sizeof(sel->failure), fmt, ap);
	va_end(ap);
	return NULL;
}

/* Whether s matches key; -E2BIG when PCRE2 ran out of its step budget. */
static int spec_matches(struct bs_selabel *sel, struct spec *s, const char *key, size_t len)
{
	int rc;

	if (s->re)
		return bsi_regex_matches(s->re, (const uint8_t *)key, len);
	/* PCRE2 does not say how many steps it took: at least one a byte. */
	sel->budget.work += len;
	rc = pcre2_match(s->code, (PCRE2_SPTR)key, len, 0, 0, sel->match, sel->mctx);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		return -E2BIG;
	return rc >= 0;
}

/*
 * composefs-rs's lazy DFA runs in UTF-8 mode: when one of its patterns can
 * match the empty string, a match it reports ending inside a UTF-8 sequence
 * (before a continuation byte) is no match at all, for an anchored search
 * (regex-automata util/empty.rs skip_splits_fwd). It reports the match of
 * the first pattern (in priority order) that matches, ending where that
 * pattern's leftmost-first match ends. Whether s's, which matched, ends so.
 */
static bool match_splits_char(struct bs_selabel *sel, struct spec *s, const char *key, size_t len)
{
	long end;

	if (!sel->utf8empty)
		return false;
	end = bsi_regex_first_end(s->re, (const uint8_t *)key, len);
	return end >= 0 && (size_t)end < len && ((uint8_t)key[end] & 0xc0) == 0x80;
}

static const char *lookup(struct bs_selabel *sel, const char *path, size_t path_len, char type)
{
	char key[PATH_MAX + 2];
	bool dfa_none = false;  /* the DFA's answer was none: only PCRE2's specs are left */
	int r;

	memcpy(key, path, path_len);
	key[path_len] = type;
	sel->budget.work = 0;
	/* Last match wins: the candidates from the last one back. */
	for (size_t k = prefix_candidates(sel, path, path_len); k-- > 0;) {
		struct spec *s = &sel->specs[sel->index.candidates[k]];

		if (s->filterable && s->type && s->type != type)
			continue;
		if (!s->re && !s->code && !s->broken) {
			r = spec_compile(sel, s);
			if (r == -E2BIG)
				return fail(sel, "its patterns need more than %u MiB compiled, at '%.200s'",
					    NFA_BYTES_MAX >> 20, s->regex);
			if (r < 0)
				return fail(sel, "out of memory compiling '%.200s'", s->regex);
		}
		if (s->broken || (dfa_none && s->re))
			continue;
		r = spec_matches(sel, s, key, path_len + 1);
		if (r == -E2BIG)
			return fail(sel, "pattern '%.200s' backtracks too much to match", s->regex);
		if (r > 0 && s->re && match_splits_char(sel, s, key, path_len + 1))
			dfa_none = true;
		else if (r > 0)
			return s->context;
		if (sel->budget.work > STEPS_ALLOWANCE + (uint64_t)(path_len + 1) * STEPS_PER_BYTE_MAX)
			return fail(sel, "looking up this path takes more than %u steps a byte (at '%.200s')",
				    STEPS_PER_BYTE_MAX, s->regex);
	}
	return NULL;
}

const char *bs_selabel_lookup(struct bs_selabel *sel, const char *path, size_t path_len, char type)
{
	if (!sel || !path)
		return NULL;
	const char *label;

	if (path_len > PATH_MAX || sel->failure[0])
		return NULL;
	label = lookup(sel, path, path_len, type);
	sel->work += sel->budget.work;
	sel->bytes += path_len + 1;
	/* One costly lookup may be the whole tree's; many mean the policy's every lookup is. */
	if (sel->work > STEPS_ALLOWANCE + sel->bytes * STEPS_PER_BYTE_AVERAGE_MAX)
		return fail(sel, "lookups take more than %u steps a byte on average",
			    STEPS_PER_BYTE_AVERAGE_MAX);
	return sel->failure[0] ? NULL : label;
}

const char *bs_selabel_alias(const struct bs_selabel *sel, const char *path, size_t path_len)
{
	if (!sel || !path)
		return NULL;
	for (size_t i = 0; i < sel->n_aliases; i++)
		if (strlen(sel->aliases[i].from) == path_len &&
		    memcmp(sel->aliases[i].from, path, path_len) == 0)
			return sel->aliases[i].to;
	return NULL;
}

const char *bs_selabel_failure(const struct bs_selabel *sel)
{
	if (!sel)
		return NULL;
	return sel->failure[0] ? sel->failure : NULL;
}
