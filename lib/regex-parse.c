/* SPDX-License-Identifier: MIT */
/*
 * The pattern syntax of Rust's regex-syntax 0.8 as composefs-rs configures
 * it for file_contexts (regex_automata::util::syntax::Config with
 * unicode(false), utf8(false), line_terminator(b'\0'); all else default:
 * no octal, nest limit 250), read here from its documentation: what it
 * parses, bootseal matches with the same meaning; what it refuses is
 * -EINVAL, which composefs-rs hands to PCRE2.
 *
 * Unicode mode can be switched back on inside a pattern with (?u): then
 * classes are sets of characters (regex-unicode.c, with the Unicode 16.0.0
 * tables of regex-syntax 0.8.11: \w \d \s, \p{..}, simple case folding),
 * matched as their UTF-8 encodings; '.' is any character but NUL. Unicode
 * word boundaries are -ENOEXEC: regex-automata's lazy DFA refuses them, so
 * bootc refuses the policy.
 */
#include "regex-syntax.h"
#include "regex-unicode.h"
#include "regex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * regex-syntax's nest limit (regex-automata's default): deeper syntax trees
 * are refused (-EINVAL, PCRE2's then). Depth counts groups, repetitions,
 * concatenations and alternations of two or more, bracketed classes, class
 * unions of two or more items and class set operations, as its NestLimiter.
 */
#define NEST_LIMIT 250

enum {
	F_I = 1 << 0,   /* case-insensitive (ASCII) */
	F_M = 1 << 1,   /* multi-line ^ $ */
	F_S = 1 << 2,   /* . matches the line terminator */
	F_UG = 1 << 3,  /* U: swap greed (no effect on whether it matches) */
	F_U = 1 << 4,   /* u: Unicode */
	F_R = 1 << 5,   /* CRLF */
	F_X = 1 << 6,   /* ignore whitespace */
};

static void set_add(struct bs_byteset *s, unsigned lo, unsigned hi)
{
	for (unsigned b = lo; b <= hi; b++)
		s->w[b >> 6] |= UINT64_C(1) << (b & 63);
}

struct parser {
	const uint8_t *p, *end;
	struct bs_regex_node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct bs_byteset *sets;
	uint32_t n_sets, cap_sets;
	unsigned depth;
	unsigned flags;
	bool unicode_word;      /* a Unicode word boundary: -ENOEXEC once all else parsed */
	/* capture names, to refuse duplicates: offsets and lengths in the pattern */
	const uint8_t **names;
	size_t *name_lens;
	size_t n_names;
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
	/* An empty concatenation or an assertion consumes nothing; an
	 * alternation can be empty once one of its ways can. */
	ps->nodes[ps->n_nodes] = (struct bs_regex_node){ .kind = kind, .set = RE_NONE, .child = RE_NONE,
					     .last = RE_NONE, .next = RE_NONE, .prev = RE_NONE,
					     .may_be_empty = kind == RE_LOOK || kind == RE_CAT,
					     .zero_width = kind != RE_BYTES && kind != RE_REPEAT };
	*out = ps->n_nodes++;
	return 0;
}

static int set_node(struct parser *ps, const struct bs_byteset *set, uint32_t *out)
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
	ps->sets[ps->n_sets++] = *set;
	return 0;
}

static int look_node(struct parser *ps, enum bs_regex_look look, uint32_t *out)
{
	int r = new_node(ps, RE_LOOK, out);

	if (r == 0)
		ps->nodes[*out].look = (uint8_t)look;
	return r;
}

static void append(struct parser *ps, uint32_t cat, uint32_t item)
{
	uint32_t last = ps->nodes[cat].last;

	if (last == RE_NONE)
		ps->nodes[cat].child = item;
	else
		ps->nodes[last].next = item;
	ps->nodes[item].prev = last;
	ps->nodes[cat].last = item;
	ps->nodes[cat].may_be_empty &= ps->nodes[item].may_be_empty;
	ps->nodes[cat].zero_width &= ps->nodes[item].zero_width;
}

/* Adds a way to an alternation whose last way is *last. */
static void append_way(struct parser *ps, uint32_t alt, uint32_t *last, uint32_t way)
{
	if (*last == RE_NONE)
		ps->nodes[alt].child = way;
	else
		ps->nodes[*last].next = way;
	ps->nodes[way].prev = *last;
	ps->nodes[alt].last = way;
	ps->nodes[alt].may_be_empty |= ps->nodes[way].may_be_empty;
	ps->nodes[alt].zero_width &= ps->nodes[way].zero_width;
	*last = way;
}

static bool eof(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static int peek(const struct parser *ps, size_t ahead)
{
	return ps->p + ahead < ps->end ? *(ps->p + ahead) : -1;
}

/* The length of the UTF-8 character at p (0: invalid), its value in *cp. */
static size_t utf8_char(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
	size_t n, i;
	uint32_t c = p[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

/* Unicode White_Space, as char::is_whitespace. */
static size_t space_at(const struct parser *ps)
{
	uint32_t c;
	size_t n;

	if (eof(ps))
		return 0;
	n = utf8_char(ps->p, ps->end, &c);
	if (!n)
		return 0;
	if ((c >= '\t' && c <= '\r') || c == ' ' || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000)
		return n;
	return 0;
}

/* With x: whitespace and '#' comments (to the end of the line) are skipped. */
static void skip_space(struct parser *ps)
{
	size_t n;

	if (!(ps->flags & F_X))
		return;
	while (!eof(ps)) {
		if ((n = space_at(ps))) {
			ps->p += n;
		} else if (*ps->p == '#') {
			while (!eof(ps) && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

/* What an escape or a class item stands for. */
enum prim_kind { P_CHAR, P_BYTE, P_CLASS, P_LOOK };
struct prim {
	enum prim_kind kind;
	uint32_t c;             /* P_CHAR: a code point; P_BYTE: a byte (\xNN) */
	struct bsi_cpset set;   /* P_CLASS: characters (Unicode mode) or bytes; the prim's own */
	enum bs_regex_look look;
};

static void prim_clear(struct prim *pr)
{
	bsi_cpset_clear(&pr->set);
}

/* The largest member of a class: a byte, or a character in Unicode mode. */
static uint32_t class_max(const struct parser *ps)
{
	return ps->flags & F_U ? BSI_UNICODE_MAX : 0xff;
}

/* Case folding, then negation, as regex-syntax's {unicode,bytes}_fold_and_negate. */
static int fold_and_negate(const struct parser *ps, struct bsi_cpset *s, bool negate)
{
	int r = 0;

	if (ps->flags & F_I)
		r = ps->flags & F_U ? bsi_cpset_fold_unicode(s) : bsi_cpset_fold_ascii(s);
	if (r == 0 && negate)
		r = bsi_cpset_negate(s, class_max(ps));
	return r;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static bool valid_scalar(uint32_t c)
{
	return c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff);
}

/* After "\x" "\u" "\U": {hex...} or a fixed count of digits. */
static int parse_hex(struct parser *ps, int kind, struct prim *out)
{
	uint32_t v = 0;
	int digits = 0, want = kind == 'x' ? 2 : kind == 'u' ? 4 : 8, d;

	skip_space(ps);
	if (peek(ps, 0) == '{') {
		ps->p++;
		skip_space(ps);
		while (!eof(ps) && *ps->p != '}') {
			d = hex_digit(*ps->p);
			if (d < 0)
				return -EINVAL;
			if (v > 0x10ffff)
				return -EINVAL;
			v = v << 4 | (uint32_t)d;
			digits++;
			ps->p++;
			skip_space(ps);
		}
		if (eof(ps) || !digits)
			return -EINVAL;
		ps->p++;
		if (!valid_scalar(v))
			return -EINVAL;
		out->kind = P_CHAR;
		out->c = v;
		return 0;
	}
	for (; digits < want; digits++) {
		d = hex_digit(peek(ps, 0));
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
		ps->p++;
		if (digits + 1 < want)
			skip_space(ps);
	}
	if (!valid_scalar(v))
		return -EINVAL;
	/* Only the two-digit \x form is a byte when Unicode is off. */
	out->kind = kind == 'x' && !(ps->flags & F_U) && v >= 0x80 ? P_BYTE : P_CHAR;
	out->c = v;
	return 0;
}

/* \d \s \w, \D \S \W: ASCII's, or Unicode's in Unicode mode (closed under folding). */
static int perl_class(const struct parser *ps, int c, struct bsi_cpset *out)
{
	int lower = c | 0x20, r;

	if (ps->flags & F_U) {
		r = bsi_unicode_perl(lower, out);
	} else if (lower == 'd') {
		r = bsi_cpset_add(out, '0', '9');
	} else if (lower == 'w') {
		r = bsi_cpset_push(out, '0', '9');
		if (r == 0)
			r = bsi_cpset_push(out, 'A', 'Z');
		if (r == 0)
			r = bsi_cpset_push(out, 'a', 'z');
		if (r == 0)
			r = bsi_cpset_add(out, '_', '_');
	} else {
		r = bsi_cpset_push(out, '\t', '\r');
		if (r == 0)
			r = bsi_cpset_add(out, ' ', ' ');
	}
	if (r == 0 && c != lower)
		r = bsi_cpset_negate(out, class_max(ps));
	return r;
}

static bool is_meta(int c)
{
	return c >= 0 && c < 0x80 && c && strchr("\\.+*?()|[]{}^$#&-~", c);
}

/*
 * \p or \P: its syntax, then what it means. The name between braces is
 * taken whole (with x, without whitespace and comments), split at the first
 * "!=", else ':', else '='; \P and != negate (both: not).
 */
static int parse_unicode_class(struct parser *ps, bool negate, struct prim *out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0, skip = 0;
	const char *at;
	int r;

	skip_space(ps);
	if (eof(ps))
		return -EINVAL;
	if (*ps->p == '{') {
		ps->p++;
		skip_space(ps);
		while (!eof(ps) && *ps->p != '}') {
			uint32_t c;
			size_t n = utf8_char(ps->p, ps->end, &c);

			if (!n)
				return -EINVAL;
			if (bsi_reserve(&buf, &cap, len + n + 1) < 0)
				return -ENOMEM;
			memcpy(buf + len, ps->p, n);
			len += n;
			ps->p += n;
			skip_space(ps);
		}
		if (eof(ps))
			return -EINVAL;
		ps->p++;
	} else {
		uint32_t c;
		size_t n = utf8_char(ps->p, ps->end, &c);

		if (!n || c == '\\')
			return -EINVAL;
		buf = malloc(n + 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, ps->p, n);
		len = n;
		ps->p += n;
	}
	if (!buf && !(buf = calloc(1, 1)))
		return -ENOMEM;
	buf[len] = '\0';
	if ((at = strstr(buf, "!=")))
		skip = 2, negate = !negate;
	else if ((at = strchr(buf, ':')) || (at = strchr(buf, '=')))
		skip = 1;
	/* Not allowed without Unicode: regex-syntax refuses it. */
	if (!(ps->flags & F_U))
		return -EINVAL;
	out->kind = P_CLASS;
	if (at)
		r = bsi_unicode_property(buf, (size_t)(at - buf), at + skip, len - (size_t)(at - buf) - skip, &out->set);
	else
		r = bsi_unicode_property(buf, len, NULL, 0, &out->set);
	if (r == 0)
		r = fold_and_negate(ps, &out->set, negate);
	return r;
}

/* \b{start} and friends; 0 and nothing consumed when '{' is a repetition. */
static int special_word_boundary(struct parser *ps, struct prim *out, bool *found)
{
	const uint8_t *save = ps->p;
	char name[16];
	size_t n = 0;

	*found = false;
	ps->p++; /* '{' */
	skip_space(ps);
	if (eof(ps))
		return -EINVAL;
	if (!((*ps->p | 0x20) >= 'a' && (*ps->p | 0x20) <= 'z') && *ps->p != '-') {
		ps->p = save;
		return 0;
	}
	while (!eof(ps) && (((*ps->p | 0x20) >= 'a' && (*ps->p | 0x20) <= 'z') || *ps->p == '-')) {
		if (n + 1 < sizeof(name))
			name[n] = (char)*ps->p;
		n++;
		ps->p++;
		skip_space(ps);
	}
	if (eof(ps) || *ps->p != '}' || n >= sizeof(name))
		return -EINVAL;
	ps->p++;
	name[n] = '\0';
	if (strcmp(name, "start") == 0)
		out->look = LOOK_WORD_START;
	else if (strcmp(name, "end") == 0)
		out->look = LOOK_WORD_END;
	else if (strcmp(name, "start-half") == 0)
		out->look = LOOK_WORD_START_HALF;
	else if (strcmp(name, "end-half") == 0)
		out->look = LOOK_WORD_END_HALF;
	else
		return -EINVAL;
	*found = true;
	return 0;
}

/* After '\'. */
static int parse_escape(struct parser *ps, struct prim *out)
{
	int c;
	bool found;

	memset(out, 0, sizeof(*out));
	ps->p++;
	if (eof(ps))
		return -EINVAL;
	c = *ps->p;
	if (c >= 0x80)
		return -EINVAL; /* no escape is non-ASCII */
	ps->p++;
	if (is_meta(c)) {
		out->kind = P_CHAR;
		out->c = (uint32_t)c;
		return 0;
	}
	switch (c) {
	case '0' ... '9':
		return -EINVAL; /* back references, octal: off */
	case 'x':
	case 'u':
	case 'U':
		return parse_hex(ps, c, out);
	case 'p':
	case 'P':
		return parse_unicode_class(ps, c == 'P', out);
	case 'd':
	case 's':
	case 'w':
	case 'D':
	case 'S':
	case 'W':
		out->kind = P_CLASS;
		return perl_class(ps, c, &out->set);
	case 'a':
		out->c = 0x07;
		return 0;
	case 'f':
		out->c = 0x0c;
		return 0;
	case 't':
		out->c = '\t';
		return 0;
	case 'n':
		out->c = '\n';
		return 0;
	case 'r':
		out->c = '\r';
		return 0;
	case 'v':
		out->c = 0x0b;
		return 0;
	case 'A':
		out->kind = P_LOOK;
		out->look = LOOK_START;
		return 0;
	case 'z':
		out->kind = P_LOOK;
		out->look = LOOK_END;
		return 0;
	case 'B':
		out->kind = P_LOOK;
		out->look = LOOK_NOT_WORD;
		return 0;
	case '<':
		out->kind = P_LOOK;
		out->look = LOOK_WORD_START;
		return 0;
	case '>':
		out->kind = P_LOOK;
		out->look = LOOK_WORD_END;
		return 0;
	case 'b':
		out->kind = P_LOOK;
		out->look = LOOK_WORD;
		if (peek(ps, 0) == '{') {
			int r = special_word_boundary(ps, out, &found);

			if (r < 0)
				return r;
		}
		return 0;
	default:
		/* Any other ASCII but letters and digits is a literal. */
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			return -EINVAL;
		out->c = (uint32_t)c;
		return 0;
	}
}

/* One literal character or byte at ps->p. */
static int parse_literal_char(struct parser *ps, struct prim *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	n = utf8_char(ps->p, ps->end, &out->c);
	if (!n)
		return -EINVAL;
	ps->p += n;
	out->kind = P_CHAR;
	return 0;
}

/*
 * A class item's member: any character in Unicode mode; without it a byte,
 * a non-ASCII character being refused.
 */
static int class_member(const struct parser *ps, const struct prim *pr, uint32_t *out)
{
	if (ps->flags & F_U || pr->kind == P_BYTE || pr->c < 0x80) {
		*out = pr->c;
		return 0;
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	const char *ranges; /* pairs of bytes, inclusive; "\0\x7f" spelled out below */
	unsigned n;
} ascii_classes[] = {
	{ "alnum", "09AZaz", 6 },       { "alpha", "AZaz", 4 },   { "ascii", "\0\x7f", 2 },
	{ "blank", "\t\t  ", 4 },       { "cntrl", "\0\x1f\x7f\x7f", 4 }, { "digit", "09", 2 },
	{ "graph", "!~", 2 },           { "lower", "az", 2 },     { "print", " ~", 2 },
	{ "punct", "!/:@[`{~", 8 },     { "space", "\t\r  ", 4 }, { "upper", "AZ", 2 },
	{ "word", "09AZaz__", 8 },      { "xdigit", "09AFaf", 6 },
};

/*
 * "[:name:]" or "[:^name:]" inside a class (ASCII in either mode, folded
 * then negated on its own); *found false (nothing consumed) otherwise.
 */
static int ascii_class(struct parser *ps, struct bsi_cpset *out, bool *found)
{
	const uint8_t *q = ps->p + 2, *name;
	bool negate = false;

	*found = false;
	if (peek(ps, 1) != ':')
		return 0;
	if (q < ps->end && *q == '^') {
		negate = true;
		q++;
	}
	name = q;
	while (q < ps->end && *q != ':')
		q++;
	if (q + 1 >= ps->end || q[1] != ']')
		return 0;
	for (size_t i = 0; i < BS_ARRAY_SIZE(ascii_classes); i++) {
		if (strlen(ascii_classes[i].name) != (size_t)(q - name) ||
		    memcmp(ascii_classes[i].name, name, (size_t)(q - name)) != 0)
			continue;
		for (unsigned k = 0; k < ascii_classes[i].n; k += 2)
			if (bsi_cpset_push(out, (uint8_t)ascii_classes[i].ranges[k],
					   (uint8_t)ascii_classes[i].ranges[k + 1]) < 0)
				return -ENOMEM;
		bsi_cpset_canon(out);
		ps->p = q + 2;
		*found = true;
		return fold_and_negate(ps, out, negate);
	}
	return 0;
}

/* A class item that is not '[': a literal, an escape, maybe a range. */
static int class_range(struct parser *ps, struct bsi_cpset *out)
{
	_cleanup_(prim_clear) struct prim a = { 0 }, b = { 0 };
	uint32_t lo, hi;
	int r;

	r = peek(ps, 0) == '\\' ? parse_escape(ps, &a) : parse_literal_char(ps, &a);
	if (r < 0)
		return r;
	if (a.kind == P_LOOK)
		return -EINVAL;
	skip_space(ps);
	if (eof(ps))
		return -EINVAL;
	if (*ps->p == '-') {
		const uint8_t *save = ps->p;
		int after;

		ps->p++;
		skip_space(ps);
		after = peek(ps, 0);
		ps->p = save;
		if (after != ']' && after != '-') {
			ps->p++;
			skip_space(ps);
			if (eof(ps))
				return -EINVAL;
			r = peek(ps, 0) == '\\' ? parse_escape(ps, &b) : parse_literal_char(ps, &b);
			if (r < 0)
				return r;
			if ((a.kind != P_CHAR && a.kind != P_BYTE) || (b.kind != P_CHAR && b.kind != P_BYTE))
				return -EINVAL;
			if (a.c > b.c)
				return -EINVAL;
			r = class_member(ps, &a, &lo);
			if (r == 0)
				r = class_member(ps, &b, &hi);
			return r < 0 ? r : bsi_cpset_add(out, lo, hi);
		}
	}
	if (a.kind == P_CLASS)
		return bsi_cpset_union(out, &a.set);
	r = class_member(ps, &a, &lo);
	return r < 0 ? r : bsi_cpset_add(out, lo, lo);
}

/*
 * A bracketed class at '['. Set operations && -- ~~ bind looser than the
 * union of items and associate to the left; with (?i) each bracketed class
 * and each operand is case folded before negation and the operation.
 */
/* The nesting depth of a class union of n items, the deepest d. */
static unsigned union_depth(unsigned n, unsigned d)
{
	return n >= 2 ? 1 + d : n == 1 ? d : 0;
}

static unsigned max_u(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* *acc op= *cur (op: '&', '-', '~', or 0 for none yet: *acc = *cur), folded first under (?i). */
static int class_op(const struct parser *ps, int op, struct bsi_cpset *acc, struct bsi_cpset *cur)
{
	int r = 0;

	if (ps->flags & F_I) {
		r = fold_and_negate(ps, cur, false);
		if (r == 0 && op)
			r = fold_and_negate(ps, acc, false);
		if (r < 0)
			return r;
	}
	if (!op) {
		bsi_cpset_clear(acc);
		*acc = *cur;
		memset(cur, 0, sizeof(*cur));
		return 0;
	}
	r = bsi_cpset_apply(acc, cur, op == '&' ? BSI_CP_AND : op == '-' ? BSI_CP_MINUS : BSI_CP_XOR, class_max(ps));
	bsi_cpset_clear(cur);
	return r;
}

static int parse_class(struct parser *ps, struct bsi_cpset *out, unsigned *depth)
{
	_cleanup_(bsi_cpset_clear) struct bsi_cpset acc = { 0 }, cur = { 0 };
	int op = 0;
	bool negate = false;
	unsigned n_items = 0, item_depth = 0, acc_depth = 0;
	int r;

	if (++ps->depth > NEST_LIMIT)
		return -EINVAL;
	ps->p++; /* '[' */
	skip_space(ps);
	if (peek(ps, 0) == '^') {
		negate = true;
		ps->p++;
		skip_space(ps);
	}
	while (peek(ps, 0) == '-') {
		if (bsi_cpset_add(&cur, '-', '-') < 0)
			return -ENOMEM;
		n_items++;
		ps->p++;
		skip_space(ps);
	}
	if (peek(ps, 0) == ']' && !n_items) {
		if (bsi_cpset_add(&cur, ']', ']') < 0)
			return -ENOMEM;
		n_items++;
		ps->p++;
	}
	for (;;) {
		int c;

		skip_space(ps);
		if (eof(ps))
			return -EINVAL;
		c = *ps->p;
		if (c == '[') {
			_cleanup_(bsi_cpset_clear) struct bsi_cpset nested = { 0 };
			unsigned d = 0;
			bool found;

			r = ascii_class(ps, &nested, &found);
			if (r == 0 && !found)
				r = parse_class(ps, &nested, &d);
			if (r == 0)
				r = bsi_cpset_union(&cur, &nested);
			if (r < 0)
				return r;
			n_items++;
			item_depth = max_u(item_depth, d);
		} else if (c == ']') {
			ps->p++;
			break;
		} else if ((c == '&' || c == '-' || c == '~') && peek(ps, 1) == c) {
			ps->p += 2;
			r = class_op(ps, op, &acc, &cur);
			if (r < 0)
				return r;
			acc_depth = !op ? union_depth(n_items, item_depth)
					: 1 + max_u(acc_depth, union_depth(n_items, item_depth));
			n_items = item_depth = 0;
			op = c;
		} else {
			r = class_range(ps, &cur);
			if (r < 0)
				return r;
			n_items++;
		}
	}
	*depth = 1 + (!op ? union_depth(n_items, item_depth) : 1 + max_u(acc_depth, union_depth(n_items, item_depth)));
	if (op) {
		r = class_op(ps, op, &acc, &cur);
		if (r < 0)
			return r;
		cur = acc;
		memset(&acc, 0, sizeof(acc));
	}
	r = fold_and_negate(ps, &cur, negate);
	if (r < 0)
		return r;
	bsi_cpset_clear(out);
	*out = cur;
	memset(&cur, 0, sizeof(cur));
	ps->depth--;
	return 0;
}

/* A class of bytes (Unicode off), at most 0xff. */
static int byte_class_node(struct parser *ps, const struct bsi_cpset *c, uint32_t *out)
{
	struct bs_byteset s = { { 0 } };

	for (size_t i = 0; i < c->n && c->r[i][0] <= 0xff; i++)
		set_add(&s, c->r[i][0], c->r[i][1] > 0xff ? 0xff : c->r[i][1]);
	return set_node(ps, &s, out);
}

struct seqs {
	struct bsi_utf8_seq *q;
	size_t n, cap;
};

static int push_seq(void *ctx, const struct bsi_utf8_seq *q)
{
	struct seqs *s = ctx;

	if (BSI_GROW(s->q, s->cap, s->n, 64) < 0)
		return -ENOMEM;
	s->q[s->n++] = *q;
	return 0;
}

static bool same_range(const struct bsi_utf8_seq *a, const struct bsi_utf8_seq *b, unsigned d)
{
	return a->n > d && b->n > d && a->lo[d] == b->lo[d] && a->hi[d] == b->hi[d];
}

/*
 * The alternation of q[0..n) from their byte d on (they share what comes
 * before), as a trie: sequences that share a byte range there share its node.
 */
static int seq_trie(struct parser *ps, const struct bsi_utf8_seq *q, size_t n, unsigned d, uint32_t *out)
{
	uint32_t last = RE_NONE;
	int r = new_node(ps, RE_ALT, out);

	for (size_t i = 0, j; r == 0 && i < n; i = j) {
		struct bs_byteset b = { { 0 } };
		uint32_t cat, item;

		for (j = i + 1; j < n && same_range(&q[i], &q[j], d) && q[i].n > d + 1; j++)
			;
		r = new_node(ps, RE_CAT, &cat);
		if (r < 0)
			break;
		set_add(&b, q[i].lo[d], q[i].hi[d]);
		r = set_node(ps, &b, &item);
		if (r < 0)
			break;
		append(ps, cat, item);
		if (j - i > 1) {
			r = seq_trie(ps, q + i, j - i, d + 1, &item);
			if (r == 0)
				append(ps, cat, item);
		} else {
			for (unsigned k = d + 1; r == 0 && k < q[i].n; k++) {
				memset(&b, 0, sizeof(b));
				set_add(&b, q[i].lo[k], q[i].hi[k]);
				r = set_node(ps, &b, &item);
				if (r == 0)
					append(ps, cat, item);
			}
		}
		if (r == 0)
			append_way(ps, *out, &last, cat);
	}
	return r;
}

/*
 * A Unicode-mode class: its scalar values as UTF-8 (what regex-automata
 * compiles such a class into when it matches bytes), ASCII as one byte set.
 */
static int unicode_class_node(struct parser *ps, const struct bsi_cpset *c, uint32_t *out)
{
	struct seqs s = { 0 };
	struct bs_byteset ascii = { { 0 } };
	uint32_t alt, item, last = RE_NONE;
	size_t first = 0;
	int r = bsi_utf8_sequences(c, push_seq, &s);

	while (r == 0 && first < s.n && s.q[first].n == 1) {
		set_add(&ascii, s.q[first].lo[0], s.q[first].hi[0]);
		first++;
	}
	if (r == 0 && first == s.n) {
		r = set_node(ps, &ascii, out);
	} else if (r == 0) {
		r = new_node(ps, RE_ALT, &alt);
		if (r == 0 && first > 0) {
			r = set_node(ps, &ascii, &item);
			if (r == 0)
				append_way(ps, alt, &last, item);
		}
		if (r == 0)
			r = seq_trie(ps, s.q + first, s.n - first, 0, &item);
		if (r == 0)
			append_way(ps, alt, &last, item);
		*out = alt;
	}
	free(s.q);
	return r;
}

static int class_node(struct parser *ps, const struct bsi_cpset *c, uint32_t *out)
{
	return ps->flags & F_U ? unicode_class_node(ps, c, out) : byte_class_node(ps, c, out);
}

static int prim_node(struct parser *ps, const struct prim *pr, uint32_t *out)
{
	_cleanup_(bsi_cpset_clear) struct bsi_cpset folded = { 0 };
	struct bs_byteset s = { { 0 } };
	uint8_t bytes[4];
	size_t n;
	uint32_t cat, item;
	int r;

	switch (pr->kind) {
	case P_LOOK:
		/* A Unicode word boundary: the lazy DFA refuses it (once the rest parsed). */
		if (ps->flags & F_U && pr->look >= LOOK_WORD)
			ps->unicode_word = true;
		return look_node(ps, pr->look, out);
	case P_CLASS:
		return class_node(ps, &pr->set, out);
	case P_BYTE:
		set_add(&s, pr->c, pr->c);
		return set_node(ps, &s, out);
	case P_CHAR:
		break;
	}
	/* (?i): ASCII letters' other case; with Unicode, a character's simple case folding class. */
	if (ps->flags & F_I && ps->flags & F_U && bsi_unicode_folds(pr->c)) {
		r = bsi_cpset_add(&folded, pr->c, pr->c);
		if (r == 0)
			r = bsi_cpset_fold_unicode(&folded);
		return r < 0 ? r : unicode_class_node(ps, &folded, out);
	}
	if (pr->c < 0x80) {
		set_add(&s, pr->c, pr->c);
		if (ps->flags & F_I && ((pr->c | 0x20) >= 'a' && (pr->c | 0x20) <= 'z'))
			set_add(&s, pr->c ^ 0x20, pr->c ^ 0x20);
		return set_node(ps, &s, out);
	}
	n = bsi_utf8_encode(pr->c, bytes);
	r = new_node(ps, RE_CAT, &cat);
	for (size_t i = 0; r == 0 && i < n; i++) {
		memset(&s, 0, sizeof(s));
		set_add(&s, bytes[i], bytes[i]);
		r = set_node(ps, &s, &item);
		if (r == 0)
			append(ps, cat, item);
	}
	*out = cat;
	return r;
}

static int parse_alt(struct parser *ps, uint32_t *out, unsigned *depth);

/* "(?flags" up to ':' or ')'. */
static int parse_flags(struct parser *ps, unsigned *flags)
{
	unsigned seen = 0;
	bool negate = false, last_negation = false;

	for (;;) {
		int c;
		unsigned f;

		if (eof(ps))
			return -EINVAL;
		c = *ps->p;
		if (c == ':' || c == ')')
			break;
		ps->p++;
		if (c == '-') {
			if (negate)
				return -EINVAL;
			negate = last_negation = true;
			continue;
		}
		last_negation = false;
		switch (c) {
		case 'i':
			f = F_I;
			break;
		case 'm':
			f = F_M;
			break;
		case 's':
			f = F_S;
			break;
		case 'U':
			f = F_UG;
			break;
		case 'u':
			f = F_U;
			break;
		case 'R':
			f = F_R;
			break;
		case 'x':
			f = F_X;
			break;
		default:
			return -EINVAL;
		}
		if (seen & f)
			return -EINVAL;
		seen |= f;
		if (negate)
			*flags &= ~f;
		else
			*flags |= f;
	}
	if (last_negation)
		return -EINVAL;
	return 0;
}

static bool name_char(uint8_t c, bool first)
{
	if (c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '[' || c == ']');
}

/* After "(?P<" or "(?<": name '>'. */
static int parse_name(struct parser *ps)
{
	const uint8_t *start = ps->p, **names;
	size_t len, *lens;

	while (!eof(ps) && *ps->p != '>') {
		if (*ps->p >= 0x80)
			return -EOPNOTSUPP; /* letters as Rust's std has them: its Unicode version is the compiler's */
		if (!name_char(*ps->p, ps->p == start))
			return -EINVAL;
		ps->p++;
	}
	if (eof(ps) || ps->p == start)
		return -EINVAL;
	len = (size_t)(ps->p - start);
	ps->p++;
	for (size_t i = 0; i < ps->n_names; i++)
		if (ps->name_lens[i] == len && memcmp(ps->names[i], start, len) == 0)
			return -EINVAL;
	names = realloc(ps->names, (ps->n_names + 1) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	ps->names = names;
	lens = realloc(ps->name_lens, (ps->n_names + 1) * sizeof(*lens));
	if (!lens)
		return -ENOMEM;
	ps->name_lens = lens;
	ps->names[ps->n_names] = start;
	ps->name_lens[ps->n_names++] = len;
	return 0;
}

static bool starts(const struct parser *ps, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

/*
 * At '('. *out is RE_NONE for "(?flags)", which sets the flags for the
 * rest of the enclosing group.
 */
static int parse_group(struct parser *ps, uint32_t *out, unsigned *depth)
{
	unsigned saved = ps->flags;
	int r;

	*out = RE_NONE;
	*depth = 0;
	if (++ps->depth > NEST_LIMIT)
		return -EINVAL;
	ps->p++;
	skip_space(ps);
	if (starts(ps, "?=") || starts(ps, "?!") || starts(ps, "?<=") || starts(ps, "?<!"))
		return -EINVAL;
	if (starts(ps, "?P<") || starts(ps, "?<")) {
		ps->p += *(ps->p + 1) == 'P' ? 3 : 2;
		r = parse_name(ps);
		if (r < 0)
			return r;
	} else if (peek(ps, 0) == '?') {
		unsigned flags = ps->flags;
		const uint8_t *items;

		ps->p++;
		items = ps->p;
		r = parse_flags(ps, &flags);
		if (r < 0)
			return r;
		if (*ps->p == ')') {
			if (ps->p == items)
				return -EINVAL; /* "(?)" */
			ps->p++;
			ps->flags = flags;
			ps->depth--;
			return 0;
		}
		ps->p++; /* ':' */
		ps->flags = flags;
	}
	r = parse_alt(ps, out, depth);
	if (r < 0)
		return r;
	++*depth;
	if (eof(ps) || *ps->p != ')')
		return -EINVAL;
	ps->p++;
	ps->flags = saved;
	ps->depth--;
	return 0;
}

/* A decimal (u32); whitespace around it is skipped in any mode. */
static int parse_decimal(struct parser *ps, uint32_t *out, bool *present)
{
	uint64_t v = 0;
	size_t n;

	*present = false;
	while ((n = space_at(ps)))
		ps->p += n;
	while (peek(ps, 0) >= '0' && peek(ps, 0) <= '9') {
		v = v * 10 + (uint64_t)(*ps->p++ - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
		*present = true;
		skip_space(ps);
	}
	for (;;) {
		if ((n = space_at(ps)))
			ps->p += n;
		else if (ps->flags & F_X && peek(ps, 0) == '#')
			skip_space(ps);
		else
			break;
	}
	*out = (uint32_t)v;
	return 0;
}

/* At '{': "{n}", "{n,}", "{n,m}". */
static int parse_braces(struct parser *ps, uint32_t *min, uint32_t *max, bool *unbounded)
{
	bool have_min, have_max;
	int r;

	ps->p++;
	r = parse_decimal(ps, min, &have_min);
	if (r < 0)
		return r;
	if (eof(ps))
		return -EINVAL;
	if (*ps->p == ',') {
		ps->p++;
		r = parse_decimal(ps, max, &have_max);
		if (r < 0)
			return r;
		/* "{,m}": regex-syntax's empty_min_range, off by default. */
		if (!have_min)
			return -EINVAL;
		*unbounded = !have_max;
	} else {
		*unbounded = false;
		if (!have_min)
			return -EINVAL;
		*max = *min;
	}
	if (eof(ps) || *ps->p != '}')
		return -EINVAL;
	ps->p++;
	if (!*unbounded && *min > *max)
		return -EINVAL;
	return 0;
}

static int parse_concat(struct parser *ps, uint32_t *out, unsigned *depth)
{
	uint32_t last = RE_NONE;
	bool last_is_flags = false;
	unsigned n_items = 0, max_before_last = 0, last_depth = 0;
	int r = new_node(ps, RE_CAT, out);

	while (r == 0) {
		_cleanup_(prim_clear) struct prim pr = { 0 };
		_cleanup_(bsi_cpset_clear) struct bsi_cpset set = { 0 };
		uint32_t atom = RE_NONE;
		unsigned d = 0;
		int c;

		skip_space(ps);
		if (eof(ps) || *ps->p == '|' || *ps->p == ')')
			break;
		c = *ps->p;
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			uint32_t min, max, rep;
			bool unbounded, greedy = true;

			if (last == RE_NONE || last_is_flags)
				return -EINVAL;
			if (c == '{') {
				r = parse_braces(ps, &min, &max, &unbounded);
				if (r < 0)
					return r;
			} else {
				ps->p++;
				min = c == '+';
				max = 1;
				unbounded = c != '?';
			}
			if (peek(ps, 0) == '?') {
				ps->p++;
				greedy = false;
			}
			if (ps->flags & F_UG)
				greedy = !greedy;
			/* As Hir::repetition: what never consumes a byte repeats at most once. */
			if (ps->nodes[last].zero_width) {
				min = min < 1 ? min : 1;
				max = unbounded || max > 1 ? 1 : max;
				unbounded = false;
			}
			r = new_node(ps, RE_REPEAT, &rep);
			if (r < 0)
				return r;
			ps->nodes[rep].min = min;
			ps->nodes[rep].max = max;
			ps->nodes[rep].unbounded = unbounded;
			ps->nodes[rep].greedy = greedy;
			ps->nodes[rep].may_be_empty = min == 0 || ps->nodes[last].may_be_empty;
			ps->nodes[rep].zero_width = (!unbounded && max == 0) || ps->nodes[last].zero_width;
			/* The repetition takes the place of what it repeats. */
			ps->nodes[rep].child = last;
			ps->nodes[rep].prev = ps->nodes[last].prev;
			if (ps->nodes[last].prev == RE_NONE)
				ps->nodes[*out].child = rep;
			else
				ps->nodes[ps->nodes[last].prev].next = rep;
			ps->nodes[*out].last = rep;
			ps->nodes[last].prev = ps->nodes[last].next = RE_NONE;
			last = rep;
			last_depth++;
			continue;
		}
		if (n_items++)
			max_before_last = max_u(max_before_last, last_depth);
		last_depth = 0;
		last_is_flags = false;
		switch (c) {
		case '(':
			r = parse_group(ps, &atom, &d);
			if (r < 0)
				return r;
			last_depth = d;
			if (atom == RE_NONE) {
				/* Flags: nothing to repeat after them. */
				last_is_flags = true;
				continue;
			}
			break;
		case '[':
			r = parse_class(ps, &set, &d);
			if (r < 0)
				return r;
			last_depth = d;
			r = class_node(ps, &set, &atom);
			break;
		case '.':
			/* Any byte or character; but the line terminator NUL, or with R but \r \n, without s. */
			ps->p++;
			if (ps->flags & F_S) {
				r = bsi_cpset_add(&set, 0, class_max(ps));
			} else if (ps->flags & F_R) {
				r = bsi_cpset_push(&set, 0, '\n' - 1);
				if (r == 0)
					r = bsi_cpset_push(&set, '\n' + 1, '\r' - 1);
				if (r == 0)
					r = bsi_cpset_add(&set, '\r' + 1, class_max(ps));
			} else {
				r = bsi_cpset_add(&set, 1, class_max(ps));
			}
			if (r == 0)
				r = class_node(ps, &set, &atom);
			break;
		case '^':
			ps->p++;
			r = look_node(ps, !(ps->flags & F_M) ? LOOK_START : ps->flags & F_R ? LOOK_START_CRLF : LOOK_START_LF,
				      &atom);
			break;
		case '$':
			ps->p++;
			r = look_node(ps, !(ps->flags & F_M) ? LOOK_END : ps->flags & F_R ? LOOK_END_CRLF : LOOK_END_LF,
				      &atom);
			break;
		case '\\':
			r = parse_escape(ps, &pr);
			if (r == 0)
				r = prim_node(ps, &pr, &atom);
			break;
		default:
			r = parse_literal_char(ps, &pr);
			if (r == 0)
				r = prim_node(ps, &pr, &atom);
			break;
		}
		if (r < 0)
			return r;
		append(ps, *out, atom);
		last = atom;
	}
	*depth = n_items >= 2 ? 1 + max_u(max_before_last, last_depth) : n_items == 1 ? last_depth : 0;
	/* Repetitions took their items' places: what the concatenation is, again. */
	ps->nodes[*out].may_be_empty = ps->nodes[*out].zero_width = true;
	for (uint32_t k = ps->nodes[*out].child; r == 0 && k != RE_NONE; k = ps->nodes[k].next) {
		ps->nodes[*out].may_be_empty &= ps->nodes[k].may_be_empty;
		ps->nodes[*out].zero_width &= ps->nodes[k].zero_width;
	}
	return r;
}

static int parse_alt(struct parser *ps, uint32_t *out, unsigned *depth)
{
	uint32_t last = RE_NONE;
	unsigned n = 0, deepest = 0;
	int r = new_node(ps, RE_ALT, out);

	while (r == 0) {
		uint32_t cat;
		unsigned d;

		r = parse_concat(ps, &cat, &d);
		if (r < 0)
			break;
		n++;
		deepest = max_u(deepest, d);
		*depth = n >= 2 ? 1 + deepest : deepest;
		append_way(ps, *out, &last, cat);
		if (eof(ps) || *ps->p != '|')
			break;
		ps->p++;
	}
	return r;
}

int bsi_regex_parse(const char *pattern, struct bs_regex_tree *tree)
{
	struct parser ps = { .p = (const uint8_t *)pattern,
			     .end = (const uint8_t *)pattern + strlen(pattern) };
	unsigned depth = 0;
	int r = parse_alt(&ps, &tree->root, &depth);

	/* A ')' nothing opened. */
	if (r == 0 && ps.p != ps.end)
		r = -EINVAL;
	if (r == 0 && depth > NEST_LIMIT)
		r = -EINVAL;
	if (r == 0 && ps.unicode_word)
		r = -ENOEXEC;
	free(ps.names);
	free(ps.name_lens);
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

void bsi_regex_tree_clear(struct bs_regex_tree *tree)
{
	free(tree->nodes);
	free(tree->sets);
	memset(tree, 0, sizeof(*tree));
}
