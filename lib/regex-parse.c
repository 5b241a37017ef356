/* SPDX-License-Identifier: MIT */
/*
 * The pattern syntax of Rust's regex-syntax 0.8 as composefs-rs configures
 * it for file_contexts (regex_automata::util::syntax::Config with
 * unicode(false), utf8(false), line_terminator(b'\0'); all else default:
 * no octal, nest limit 250), read here from its documentation: what it
 * parses, bootseal matches with the same meaning; what it refuses is
 * -EINVAL, which composefs-rs hands to PCRE2.
 *
 * Unicode mode can be switched back on inside a pattern with (?u); there
 * literals and assertions other than word boundaries keep their meaning,
 * while '.', classes, case folding and Unicode word boundaries would need
 * Unicode tables: those are -EOPNOTSUPP (bootseal refuses the policy) or,
 * for the word boundaries that regex-automata's lazy DFA itself refuses,
 * -ENOEXEC.
 */
#include "regex-syntax.h"
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

static void set_union(struct bs_byteset *s, const struct bs_byteset *o)
{
	for (int i = 0; i < 4; i++)
		s->w[i] |= o->w[i];
}

static void set_negate(struct bs_byteset *s)
{
	for (int i = 0; i < 4; i++)
		s->w[i] = ~s->w[i];
}

/* ASCII simple case folding, as ClassBytes::case_fold_simple. */
static void set_fold(struct bs_byteset *s)
{
	for (unsigned b = 'A'; b <= 'Z'; b++) {
		if (bsi_byteset_has(s, (uint8_t)b) || bsi_byteset_has(s, (uint8_t)(b + 32))) {
			set_add(s, b, b);
			set_add(s, b + 32, b + 32);
		}
	}
}

/*
 * In Unicode mode a class is a set of characters: its ASCII ones are bits
 * 0-127 and bit 128 stands for all non-ASCII characters (classes bootseal
 * takes there have either all or none of them).
 */
#define ALL_NON_ASCII 128

struct parser {
	const uint8_t *p, *end;
	struct bs_regex_node *nodes;
	uint32_t n_nodes, cap_nodes;
	struct bs_byteset *sets;
	uint32_t n_sets, cap_sets;
	unsigned depth;
	unsigned flags;
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

static size_t utf8_encode(uint32_t c, uint8_t *out)
{
	if (c < 0x80) {
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (uint8_t)(0xc0 | c >> 6);
		out[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (uint8_t)(0xe0 | c >> 12);
		out[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | c >> 18);
	out[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
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
	struct bs_byteset set;  /* P_CLASS */
	enum bs_regex_look look;
	bool unicode_class;     /* P_CLASS: \d \s \w \pX in Unicode mode (tables bootseal lacks) */
};

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

static void perl_class(int c, struct bs_byteset *out)
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
	} else {
		set_add(&s, '\t', '\r');
		set_add(&s, ' ', ' ');
	}
	if (c != lower)
		set_negate(&s);
	*out = s;
}

static bool is_meta(int c)
{
	return c >= 0 && c < 0x80 && c && strchr("\\.+*?()|[]{}^$#&-~", c);
}

/* \p or \P: its syntax, then what it means. */
static int parse_unicode_class(struct parser *ps, struct prim *out)
{
	skip_space(ps);
	if (eof(ps))
		return -EINVAL;
	if (*ps->p == '{') {
		const uint8_t *close = memchr(ps->p, '}', (size_t)(ps->end - ps->p));

		if (!close)
			return -EINVAL;
		ps->p = close + 1;
	} else {
		uint32_t c;
		size_t n = utf8_char(ps->p, ps->end, &c);

		if (!n)
			return -EINVAL;
		ps->p += n;
	}
	/* Not allowed without Unicode; with it, a table bootseal does not have. */
	if (!(ps->flags & F_U))
		return -EINVAL;
	out->kind = P_CLASS;
	out->unicode_class = true;
	return 0;
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
		return parse_unicode_class(ps, out);
	case 'd':
	case 's':
	case 'w':
	case 'D':
	case 'S':
	case 'W':
		out->kind = P_CLASS;
		perl_class(c, &out->set);
		out->unicode_class = (ps->flags & F_U) != 0;
		return 0;
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

/* A class item's byte; non-ASCII characters are refused without Unicode. */
static int class_byte(const struct parser *ps, const struct prim *pr, unsigned *out)
{
	if (pr->kind == P_BYTE || pr->c < 0x80) {
		*out = pr->c;
		return 0;
	}
	return ps->flags & F_U ? -EOPNOTSUPP : -EINVAL;
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

/* "[:name:]" or "[:^name:]" inside a class; false (nothing consumed) otherwise. */
static void class_negate(const struct parser *ps, struct bs_byteset *s);

static bool ascii_class(struct parser *ps, struct bs_byteset *out)
{
	const uint8_t *q = ps->p + 2, *name;
	bool negate = false;

	if (peek(ps, 1) != ':')
		return false;
	if (q < ps->end && *q == '^') {
		negate = true;
		q++;
	}
	name = q;
	while (q < ps->end && *q != ':')
		q++;
	if (q + 1 >= ps->end || q[1] != ']')
		return false;
	for (size_t i = 0; i < BS_ARRAY_SIZE(ascii_classes); i++) {
		struct bs_byteset s = { { 0 } };

		if (strlen(ascii_classes[i].name) != (size_t)(q - name) ||
		    memcmp(ascii_classes[i].name, name, (size_t)(q - name)) != 0)
			continue;
		for (unsigned k = 0; k < ascii_classes[i].n; k += 2)
			set_add(&s, (uint8_t)ascii_classes[i].ranges[k], (uint8_t)ascii_classes[i].ranges[k + 1]);
		if (negate)
			class_negate(ps, &s);
		*out = s;
		ps->p = q + 2;
		return true;
	}
	return false;
}

/* A class item that is not '[': a literal, an escape, maybe a range. */
static int class_range(struct parser *ps, struct bs_byteset *out, bool *unicode)
{
	struct prim a, b;
	unsigned lo, hi;
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
			r = class_byte(ps, &a, &lo);
			if (r == 0)
				r = class_byte(ps, &b, &hi);
			if (r < 0)
				return r;
			set_add(out, lo, hi);
			return 0;
		}
	}
	if (a.kind == P_CLASS) {
		if (a.unicode_class)
			*unicode = true;
		set_union(out, &a.set);
		return 0;
	}
	r = class_byte(ps, &a, &lo);
	if (r < 0)
		return r;
	set_add(out, lo, lo);
	return 0;
}

static void class_negate(const struct parser *ps, struct bs_byteset *s)
{
	set_negate(s);
	if (ps->flags & F_U) {
		s->w[2] &= 1; /* ALL_NON_ASCII */
		s->w[3] = 0;
	}
}

/*
 * Case folding of a class: ASCII's without Unicode; with it, only where the
 * answer needs no table: U+212A KELVIN SIGN and U+017F LONG S are the
 * non-ASCII characters that fold to ASCII letters (k, s).
 */
static int class_fold(const struct parser *ps, struct bs_byteset *s)
{
	if (ps->flags & F_U) {
		static const char ks[] = "kKsS";

		if (bsi_byteset_has(s, ALL_NON_ASCII)) {
			for (const char *c = ks; *c; c++)
				set_add(s, (uint8_t)*c, (uint8_t)*c);
		} else {
			for (const char *c = ks; *c; c++)
				if (bsi_byteset_has(s, (uint8_t)*c))
					return -EOPNOTSUPP;
		}
	}
	set_fold(s);
	return 0;
}

enum class_op { OP_NONE, OP_AND, OP_MINUS, OP_XOR };

static void apply_op(enum class_op op, struct bs_byteset *lhs, const struct bs_byteset *rhs)
{
	for (int i = 0; i < 4; i++) {
		if (op == OP_AND)
			lhs->w[i] &= rhs->w[i];
		else if (op == OP_MINUS)
			lhs->w[i] &= ~rhs->w[i];
		else if (op == OP_XOR)
			lhs->w[i] ^= rhs->w[i];
		else
			lhs->w[i] |= rhs->w[i];
	}
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

static int parse_class(struct parser *ps, struct bs_byteset *out, bool *unicode, unsigned *depth)
{
	struct bs_byteset acc = { { 0 } }, cur = { { 0 } };
	enum class_op op = OP_NONE;
	bool negate = false, fold = ps->flags & F_I;
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
		set_add(&cur, '-', '-');
		n_items++;
		ps->p++;
		skip_space(ps);
	}
	if (peek(ps, 0) == ']' && !n_items) {
		set_add(&cur, ']', ']');
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
			struct bs_byteset nested = { { 0 } };
			unsigned d = 0;

			if (!ascii_class(ps, &nested)) {
				r = parse_class(ps, &nested, unicode, &d);
				if (r < 0)
					return r;
			}
			set_union(&cur, &nested);
			n_items++;
			item_depth = max_u(item_depth, d);
		} else if (c == ']') {
			ps->p++;
			break;
		} else if ((c == '&' || c == '-' || c == '~') && peek(ps, 1) == c) {
			ps->p += 2;
			if (fold && (r = class_fold(ps, &cur)) < 0)
				return r;
			if (op == OP_NONE) {
				acc = cur;
			} else {
				if (fold && (r = class_fold(ps, &acc)) < 0)
					return r;
				apply_op(op, &acc, &cur);
			}
			acc_depth = op == OP_NONE ? union_depth(n_items, item_depth)
						  : 1 + max_u(acc_depth, union_depth(n_items, item_depth));
			n_items = item_depth = 0;
			op = c == '&' ? OP_AND : c == '-' ? OP_MINUS : OP_XOR;
			memset(&cur, 0, sizeof(cur));
		} else {
			r = class_range(ps, &cur, unicode);
			if (r < 0)
				return r;
			n_items++;
		}
	}
	*depth = 1 + (op == OP_NONE ? union_depth(n_items, item_depth)
				    : 1 + max_u(acc_depth, union_depth(n_items, item_depth)));
	if (op != OP_NONE) {
		if (fold && ((r = class_fold(ps, &cur)) < 0 || (r = class_fold(ps, &acc)) < 0))
			return r;
		apply_op(op, &acc, &cur);
		cur = acc;
	}
	if (fold && (r = class_fold(ps, &cur)) < 0)
		return r;
	if (negate)
		class_negate(ps, &cur);
	*out = cur;
	ps->depth--;
	return 0;
}

static int prim_node(struct parser *ps, const struct prim *pr, uint32_t *out)
{
	struct bs_byteset s = { { 0 } };
	uint8_t bytes[4];
	size_t n;
	uint32_t cat, item;
	int r;

	switch (pr->kind) {
	case P_LOOK:
		if (ps->flags & F_U && pr->look >= LOOK_WORD)
			return -ENOEXEC; /* a Unicode word boundary: the lazy DFA refuses it */
		return look_node(ps, pr->look, out);
	case P_CLASS:
		if (pr->unicode_class)
			return -EOPNOTSUPP;
		return set_node(ps, &pr->set, out);
	case P_BYTE:
		set_add(&s, pr->c, pr->c);
		if (ps->flags & F_I)
			set_fold(&s);
		return set_node(ps, &s, out);
	case P_CHAR:
		break;
	}
	/* Without Unicode, only ASCII letters fold. */
	if (pr->c >= 0x80 && ps->flags & F_I && ps->flags & F_U)
		return -EOPNOTSUPP;
	if (pr->c < 0x80) {
		if (ps->flags & F_I && ps->flags & F_U &&
		    ((pr->c | 0x20) == 'k' || (pr->c | 0x20) == 's'))
			return -EOPNOTSUPP; /* K folds to U+212A, S to U+017F */
		set_add(&s, pr->c, pr->c);
		if (ps->flags & F_I)
			set_fold(&s);
		return set_node(ps, &s, out);
	}
	n = utf8_encode(pr->c, bytes);
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
			return -EOPNOTSUPP; /* Unicode letters in names: not checked here */
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

static int seq_node(struct parser *ps, const uint8_t (*ranges)[2], size_t n, uint32_t *out)
{
	uint32_t item;
	int r = new_node(ps, RE_CAT, out);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct bs_byteset b = { { 0 } };

		set_add(&b, ranges[i][0], ranges[i][1]);
		r = set_node(ps, &b, &item);
		if (r == 0)
			append(ps, *out, item);
	}
	return r;
}

/*
 * A Unicode-mode class: its ASCII part as a byte set, and when it has
 * ALL_NON_ASCII, every other scalar value as UTF-8 (what regex-automata
 * compiles such a class into when it matches bytes).
 */
static int unicode_class_node(struct parser *ps, struct bs_byteset set, uint32_t *out)
{
	static const uint8_t seqs[][4][2] = {
		{ { 0xc2, 0xdf }, { 0x80, 0xbf } },
		{ { 0xe0, 0xe0 }, { 0xa0, 0xbf }, { 0x80, 0xbf } },
		{ { 0xe1, 0xec }, { 0x80, 0xbf }, { 0x80, 0xbf } },
		{ { 0xed, 0xed }, { 0x80, 0x9f }, { 0x80, 0xbf } },
		{ { 0xee, 0xef }, { 0x80, 0xbf }, { 0x80, 0xbf } },
		{ { 0xf0, 0xf0 }, { 0x90, 0xbf }, { 0x80, 0xbf }, { 0x80, 0xbf } },
		{ { 0xf1, 0xf3 }, { 0x80, 0xbf }, { 0x80, 0xbf }, { 0x80, 0xbf } },
		{ { 0xf4, 0xf4 }, { 0x80, 0x8f }, { 0x80, 0xbf }, { 0x80, 0xbf } },
	};
	static const size_t lens[] = { 2, 3, 3, 3, 3, 4, 4, 4 };
	bool non_ascii = bsi_byteset_has(&set, ALL_NON_ASCII);
	uint32_t alt, cat, item, last = RE_NONE;
	int r;

	set.w[2] = set.w[3] = 0;
	if (!non_ascii)
		return set_node(ps, &set, out);
	r = new_node(ps, RE_ALT, &alt);
	for (size_t i = 0; r == 0 && i <= BS_ARRAY_SIZE(seqs); i++) {
		if (i == 0) {
			r = set_node(ps, &set, &item);
			if (r == 0)
				r = new_node(ps, RE_CAT, &cat);
			if (r == 0)
				append(ps, cat, item);
		} else {
			r = seq_node(ps, seqs[i - 1], lens[i - 1], &cat);
		}
		if (r < 0)
			break;
		append_way(ps, alt, &last, cat);
	}
	*out = alt;
	return r;
}

static int parse_concat(struct parser *ps, uint32_t *out, unsigned *depth)
{
	uint32_t last = RE_NONE;
	bool last_is_flags = false;
	unsigned n_items = 0, max_before_last = 0, last_depth = 0;
	int r = new_node(ps, RE_CAT, out);

	while (r == 0) {
		struct prim pr;
		struct bs_byteset set;
		bool unicode = false;
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
			r = parse_class(ps, &set, &unicode, &d);
			if (r < 0)
				return r;
			last_depth = d;
			if (unicode)
				return -EOPNOTSUPP;
			r = ps->flags & F_U ? unicode_class_node(ps, set, &atom) : set_node(ps, &set, &atom);
			break;
		case '.':
			ps->p++;
			memset(&set, 0xff, sizeof(set));
			if (!(ps->flags & F_S)) {
				set.w[0] &= ~(UINT64_C(1) << 0);
				if (ps->flags & F_R)
					set.w[0] &= ~(UINT64_C(1) << '\n' | UINT64_C(1) << '\r');
			}
			/* With R and s both, '.' is any byte still. */
			if (ps->flags & F_R && !(ps->flags & F_S))
				set.w[0] |= UINT64_C(1) << 0;
			if (ps->flags & F_U) {
				set.w[2] = 1; /* ALL_NON_ASCII */
				set.w[3] = 0;
				r = unicode_class_node(ps, set, &atom);
				break;
			}
			r = set_node(ps, &set, &atom);
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
