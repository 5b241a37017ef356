/* SPDX-License-Identifier: MIT */
/*
 * The pattern syntax regex.c accepts. Facts used: PCRE2's pattern syntax
 * (pcre2pattern(3)) and regex-syntax's; where the two differ, or where PCRE2
 * reads something as a literal that regex-syntax rejects, the pattern is
 * refused so that the caller keeps PCRE2's answer.
 */
#include "regex-syntax.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Beyond these the caller's PCRE2 (with its step budget) takes over. */
#define REPEAT_MAX 1000
#define NESTING_MAX 100

static void set_add(struct bs_byteset *s, unsigned lo, unsigned hi)
{
	for (unsigned b = lo; b <= hi; b++)
		s->w[b >> 6] |= UINT64_C(1) << (b & 63);
}

static void set_union(struct bs_byteset *s, const struct bs_byteset *o, bool negate)
{
	for (int i = 0; i < 4; i++)
		s->w[i] |= negate ? ~o->w[i] : o->w[i];
}

struct parser {
	const uint8_t *p, *end;
	struct bs_regex_node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct bs_byteset *sets;
	uint32_t n_sets, cap_sets;
	unsigned depth;
};

static int new_node(struct parser *ps, enum bs_regex_node_kind kind, uint32_t *out)
{
	if (ps->n_nodes == ps->cap_nodes) {
		uint32_t cap = ps->cap_nodes ? 2 * ps->cap_nodes : 64;
		struct bs_regex_node *n = realloc(ps->nodes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ps->nodes = n;
		ps->cap_nodes = cap;
	}
	ps->nodes[ps->n_nodes] = (struct bs_regex_node){ .kind = kind, .set = RE_NONE, .child = RE_NONE,
					     .last = RE_NONE, .next = RE_NONE, .prev = RE_NONE };
	*out = ps->n_nodes++;
	return 0;
}

/* A byte-set node; *set points into the parser until the next new_set. */
static int new_set_node(struct parser *ps, uint32_t *out, struct bs_byteset **set)
{
	int r;

	if (ps->n_sets == ps->cap_sets) {
		uint32_t cap = ps->cap_sets ? 2 * ps->cap_sets : 32;
		struct bs_byteset *n = realloc(ps->sets, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ps->sets = n;
		ps->cap_sets = cap;
	}
	r = new_node(ps, RE_BYTES, out);
	if (r < 0)
		return r;
	ps->nodes[*out].set = ps->n_sets;
	*set = &ps->sets[ps->n_sets++];
	memset(*set, 0, sizeof(**set));
	return 0;
}

static int peek(const struct parser *ps, size_t ahead)
{
	return ps->p + ahead < ps->end ? *(ps->p + ahead) : -1;
}

/*
 * Punctuation whose escape is itself in both dialects. Not \< and \>
 * (regex-syntax's word boundaries), nor letters, digits or '_' (classes,
 * anchors, back references, octal, or errors, depending on the dialect).
 */
static bool escapable(int c)
{
	return c > 0x20 && c < 0x7f && strchr("!\"#$%&'()*+,-./:;=?@[\\]^`{|}~", c);
}

/* ASCII classes: identical in PCRE2's default (C locale) tables and regex-syntax. */
static bool class_escape(int c, struct bs_byteset *out)
{
	struct bs_byteset s = { { 0 } };
	int lower = c | 0x20;

	if (lower == 'd') {
		set_add(&s, '0', '9');
	} else if (lower == 'w') {
		set_add(&s, '0', '9');
		set_add(&s, 'A', 'Z');
		set_add(&s, 'a', 'z');
		set_add(&s, '_', '_');
	} else if (lower == 's') {
		set_add(&s, '\t', '\r');        /* \t \n \v \f \r */
		set_add(&s, ' ', ' ');
	} else {
		return false;
	}
	set_union(out, &s, c != lower);
	return true;
}

/* One byte from an escape, for escapes that stand for one byte. */
static int byte_escape(int c)
{
	switch (c) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case 'f':
		return '\f';
	default:
		return escapable(c) ? c : -1;
	}
}

static const struct {
	const char *name;
	const char *ranges;     /* pairs of bytes, inclusive */
} posix_classes[] = {
	{ "alnum", "09AZaz" },   { "alpha", "AZaz" },       { "ascii", "\x01\x7f" },
	{ "blank", "\t\t  " },   { "cntrl", "\x01\x1f\x7f\x7f" }, { "digit", "09" },
	{ "graph", "!~" },       { "lower", "az" },         { "print", " ~" },
	{ "punct", "!/:@[`{~" }, { "space", "\t\r  " },     { "upper", "AZ" },
	{ "word", "09AZaz__" },  { "xdigit", "09AFaf" },
};

/* "[:name:]" or "[:^name:]" at ps->p inside a bracket class. */
static int parse_posix_class(struct parser *ps, struct bs_byteset *out)
{
	const uint8_t *name = ps->p + 2, *close;
	bool negate = false;

	if (peek(ps, 1) != ':')
		return -EINVAL;
	if (name < ps->end && *name == '^') {
		negate = true;
		name++;
	}
	for (close = name; close < ps->end && *close != ':'; close++)
		;
	if (close + 1 >= ps->end || close[1] != ']')
		return -EINVAL;
	for (size_t i = 0; i < BS_ARRAY_SIZE(posix_classes); i++) {
		const char *r = posix_classes[i].ranges;
		struct bs_byteset s = { { 0 } };

		if (strlen(posix_classes[i].name) != (size_t)(close - name) ||
		    memcmp(posix_classes[i].name, name, (size_t)(close - name)) != 0)
			continue;
		/* [:ascii:] and [:cntrl:] include NUL, which a C-string subject never holds. */
		if (r[0] == '\x01')
			set_add(&s, 0, 0);
		for (; *r; r += 2)
			set_add(&s, (uint8_t)r[0], (uint8_t)r[1]);
		set_union(out, &s, negate);
		ps->p = close + 2;
		return 0;
	}
	return -EINVAL;
}

/* A single byte inside a class: a literal or an escape standing for one byte. */
static int class_byte(struct parser *ps, int *out)
{
	int c = peek(ps, 0);

	if (c < 0 || c >= 0x80 || c == '[' || c == ']' || c == '-')
		return -EINVAL;
	if (c == '\\') {
		c = byte_escape(peek(ps, 1));
		if (c < 0)
			return -EINVAL;
		ps->p++;
	}
	ps->p++;
	*out = c;
	return 0;
}

/*
 * A class opening with ':' '.' or '=' that PCRE2 takes for a POSIX class
 * outside brackets ("[:alpha:]", an error): the same character again right
 * before the closing ']'. Any '[' on the way makes it too subtle to keep.
 */
static bool posix_lookalike(const struct parser *ps)
{
	int term = peek(ps, 0);

	if (term != ':' && term != '.' && term != '=')
		return false;
	for (const uint8_t *q = ps->p + 1; q < ps->end; q++) {
		/* PCRE2 skips only these two escapes while looking. */
		if (*q == '\\' && q + 1 < ps->end && (q[1] == ']' || q[1] == '\\')) {
			q++;
			continue;
		}
		if (*q == '[' || (*q == term && q + 1 < ps->end && q[1] == ']'))
			return true;
		if (*q == ']')
			return false;
	}
	return false;
}

/*
 * A bracket class. Refused: ']' first (PCRE2 reads it as a literal,
 * regex-syntax too but only there), POSIX look-alikes (above), '[' other than a POSIX class (a nested class in regex-syntax),
 * "&&" "--" "~~" (set operations in regex-syntax), and '-' anywhere it
 * could be read as a range after a class.
 */
static int parse_class(struct parser *ps, struct bs_byteset *out)
{
	struct bs_byteset s = { { 0 } };
	bool negate = false, first = true;
	int r;

	ps->p++;
	if (peek(ps, 0) == '^') {
		negate = true;
		ps->p++;
	}
	if (peek(ps, 0) == ']' || posix_lookalike(ps))
		return -EINVAL;
	for (;; first = false) {
		int c = peek(ps, 0), lo, hi;

		if (c < 0)
			return -EINVAL;
		if (c == ']') {
			ps->p++;
			break;
		}
		if ((c == '&' || c == '-' || c == '~') && peek(ps, 1) == c)
			return -EINVAL;
		if (c == '-') {
			if (!first && peek(ps, 1) != ']')
				return -EINVAL;
			set_add(&s, '-', '-');
			ps->p++;
			continue;
		}
		if (c == '[') {
			r = parse_posix_class(ps, &s);
			if (r < 0)
				return r;
			continue;
		}
		if (c == '\\' && class_escape(peek(ps, 1), &s)) {
			ps->p += 2;
			continue;
		}
		r = class_byte(ps, &lo);
		if (r < 0)
			return r;
		hi = lo;
		if (peek(ps, 0) == '-' && peek(ps, 1) != ']' && peek(ps, 1) >= 0) {
			ps->p++;
			r = class_byte(ps, &hi);
			if (r < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		set_add(&s, (unsigned)lo, (unsigned)hi);
	}
	set_union(out, &s, negate);
	return 0;
}

static int parse_alt(struct parser *ps, uint32_t *out);

static int parse_atom(struct parser *ps, uint32_t *out)
{
	struct bs_byteset *set;
	int c = peek(ps, 0), r;

	switch (c) {
	case '(':
		if (++ps->depth > NESTING_MAX)
			return -E2BIG;
		ps->p++;
		if (peek(ps, 0) == '?') {
			/* Only (?: ); named groups, flags, lookarounds differ or cannot be linear. */
			if (peek(ps, 1) != ':')
				return -EINVAL;
			ps->p += 2;
		}
		r = parse_alt(ps, out);
		if (r < 0)
			return r;
		if (peek(ps, 0) != ')')
			return -EINVAL;
		ps->p++;
		ps->depth--;
		return 0;
	case '^':
	case '$':
		ps->p++;
		return new_node(ps, c == '^' ? RE_START : RE_END, out);
	case '[':
		r = new_set_node(ps, out, &set);
		return r < 0 ? r : parse_class(ps, set);
	case '.':
		ps->p++;
		r = new_set_node(ps, out, &set);
		if (r == 0)
			set_add(set, 0, 255);
		return r;
	case '\\':
		r = new_set_node(ps, out, &set);
		if (r < 0)
			return r;
		c = peek(ps, 1);
		ps->p += 2;
		if (class_escape(c, set))
			return 0;
		c = byte_escape(c);
		if (c < 0)
			return -EINVAL;
		set_add(set, (unsigned)c, (unsigned)c);
		return 0;
	default:
		/* Nothing to repeat, or a literal ']' '}' that regex-syntax refuses. */
		if (c < 0 || c >= 0x80 || strchr("*+?{}]", c))
			return -EINVAL;
		ps->p++;
		r = new_set_node(ps, out, &set);
		if (r == 0)
			set_add(set, (unsigned)c, (unsigned)c);
		return r;
	}
}

/* A decimal count without leading zeros (their reading differs between versions). */
static int parse_count(struct parser *ps, uint16_t *out)
{
	unsigned v = 0;
	int digits = 0;

	if (peek(ps, 0) == '0' && peek(ps, 1) >= '0' && peek(ps, 1) <= '9')
		return -EINVAL;
	while (peek(ps, 0) >= '0' && peek(ps, 0) <= '9') {
		v = v * 10 + (unsigned)(*ps->p++ - '0');
		if (v > REPEAT_MAX)
			return -E2BIG;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/*
 * "{n}", "{n,}", "{n,m}" exactly; PCRE2 reads any other '{' as a literal
 * (and newer versions accept "{,m}" and spaces), regex-syntax errors.
 */
static int parse_braces(struct parser *ps, uint16_t *min, uint16_t *max)
{
	int r;

	ps->p++;
	r = parse_count(ps, min);
	if (r < 0)
		return r;
	*max = *min;
	if (peek(ps, 0) == ',') {
		ps->p++;
		*max = RE_UNBOUNDED;
		if (peek(ps, 0) != '}') {
			r = parse_count(ps, max);
			if (r < 0)
				return r;
			if (*max < *min)
				return -EINVAL;
		}
	}
	if (peek(ps, 0) != '}')
		return -EINVAL;
	ps->p++;
	return 0;
}

static bool is_quantifier(int c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* Wraps *atom in a repetition when a quantifier follows. */
static int parse_quantifier(struct parser *ps, uint32_t *atom)
{
	uint16_t min, max;
	uint32_t rep;
	int c = peek(ps, 0), r;

	if (!is_quantifier(c))
		return 0;
	/* PCRE2 accepts some repeated assertions, regex-syntax none. */
	if (ps->nodes[*atom].kind == RE_START || ps->nodes[*atom].kind == RE_END)
		return -EINVAL;
	if (c == '{') {
		r = parse_braces(ps, &min, &max);
		if (r < 0)
			return r;
	} else {
		ps->p++;
		min = c == '+';
		max = c == '?' ? 1 : RE_UNBOUNDED;
	}
	/* A lazy '?' changes which match is found, not whether one is. */
	if (peek(ps, 0) == '?')
		ps->p++;
	/* Possessive '+' (may fail where a greedy one matches) and stacked repeats. */
	if (is_quantifier(peek(ps, 0)))
		return -EINVAL;
	r = new_node(ps, RE_REPEAT, &rep);
	if (r < 0)
		return r;
	ps->nodes[rep].min = min;
	ps->nodes[rep].max = max;
	ps->nodes[rep].child = *atom;
	*atom = rep;
	return 0;
}

static int parse_concat(struct parser *ps, uint32_t *out)
{
	uint32_t last = RE_NONE;
	int r = new_node(ps, RE_CAT, out);

	while (r == 0 && peek(ps, 0) >= 0 && peek(ps, 0) != '|' && peek(ps, 0) != ')') {
		uint32_t atom;

		r = parse_atom(ps, &atom);
		if (r == 0)
			r = parse_quantifier(ps, &atom);
		if (r == 0) {
			if (last == RE_NONE)
				ps->nodes[*out].child = atom;
			else
				ps->nodes[last].next = atom;
			ps->nodes[atom].prev = last;
			ps->nodes[*out].last = last = atom;
		}
	}
	return r;
}

static int parse_alt(struct parser *ps, uint32_t *out)
{
	uint32_t last = RE_NONE;
	int r = new_node(ps, RE_ALT, out);

	while (r == 0) {
		uint32_t cat;

		r = parse_concat(ps, &cat);
		if (r < 0)
			break;
		if (last == RE_NONE)
			ps->nodes[*out].child = cat;
		else
			ps->nodes[last].next = cat;
		last = cat;
		if (peek(ps, 0) != '|')
			break;
		ps->p++;
	}
	return r;
}

int bs_regex_parse(const char *pattern, struct bs_regex_tree *tree)
{
	struct parser ps = { .p = (const uint8_t *)pattern,
			     .end = (const uint8_t *)pattern + strlen(pattern) };
	int r = parse_alt(&ps, &tree->root);

	/* A ')' nothing opened. */
	if (r == 0 && ps.p != ps.end)
		r = -EINVAL;
	if (r < 0) {
		free(ps.nodes);
		free(ps.sets);
		return r;
	}
	tree->nodes = ps.nodes;
	tree->n_nodes = ps.n_nodes;
	tree->sets = ps.sets;
	tree->n_sets = ps.n_sets;
	return 0;
}

void bs_regex_tree_clear(struct bs_regex_tree *tree)
{
	free(tree->nodes);
	free(tree->sets);
	memset(tree, 0, sizeof(*tree));
}
