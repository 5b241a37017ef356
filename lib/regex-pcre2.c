/* SPDX-License-Identifier: MIT */
/*
 * The patterns composefs-rs leaves to PCRE2 are compiled by its PCRE2
 * (10.43 or later); bootseal links Debian 12's 10.42. This rewrites what
 * the newer one reads differently into what means the same to 10.42:
 *
 * - "{,n}" is a quantifier (up to n) since 10.43, literal text before.
 * - A lookbehind may be of variable length since 10.43, as long as each
 *   of its branches is at most 255 characters long (max_varlookbehind);
 *   10.42 wants every branch of fixed length. (?<=B) holds where B matches
 *   exactly the k characters before, for some k; 10.42 can say that with a
 *   branch per k: at k characters back, a lookahead that B matches and is
 *   followed by exactly the rest of the subject, which a capture taken at
 *   the lookbehind's position holds:
 *       (?:(?=(?<R>[\s\S]*+))(?<=(?=(?:B)\k<R>\z)[\s\S]{k}|...))
 *   B's own captures become non-capturing (copies would repeat their
 *   names), so only patterns without references to groups are rewritten;
 *   whatever this subset does not read is left for 10.42 to refuse.
 */
#include "regex.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* PCRE2's default max_varlookbehind. */
#define VARLOOKBEHIND_MAX 255
#define UNBOUNDED 100000
/* A rewritten pattern longer than this is left as it is. */
#define REWRITE_MAX (256u << 10)
/* The groups the rewrite adds; a pattern naming one of its own so is left as it is. */
#define REST_NAME "bsrest"
#define BODY_NAME "bsbody"

/* Up to 16 variable lookbehinds a pass, nested up to 4 deep, are rewritten. */
#define LOOKBEHINDS_MAX 16
#define PASSES_MAX 4

#define BRANCHES_MAX 32

/* Option letters of (?...) that bootseal follows, as bits. */
static const char option_letters[] = "imnsJU";

struct branch {
	size_t start, end;
	unsigned min, max;
	bool var;                       /* not of fixed length, as PCRE2 10.42 sees it */
	unsigned options;               /* in force where it starts */
};

struct lb {
	size_t open, close;             /* '(' of "(?<=", its ')' */
	struct branch br[BRANCHES_MAX];
	unsigned n_br;
	bool outer;                     /* holds another variable one: a later pass's */
};

struct scan {
	const char *p;
	size_t i, len;
	bool bail;                      /* outside the subset */
	unsigned depth;
	struct lb lbs[LOOKBEHINDS_MAX];
	unsigned n_lbs;
	size_t quoted;                  /* after \Q...\E: its characters but the last */
	unsigned options;               /* in force here */
	bool assertion;                 /* the last item was an assertion group, */
	bool behind;                    /* a lookbehind */
};

/*
 * Lengths in characters (bytes: no UTF mode). var: PCRE2 10.42 would not
 * call it fixed, even when min == max (a group repeated {1,2} that
 * consumes nothing, alternatives of different lengths, an assertion
 * repeated {1,3}); var49: 10.43 and later would not, which take a bounded
 * repetition of an assertion as fixed.
 */
struct span {
	unsigned min, max;
	bool var, var49;
};

static unsigned add_len(unsigned a, unsigned b)
{
	return a + b >= UNBOUNDED ? UNBOUNDED : a + b;
}

static unsigned mul_len(unsigned a, unsigned n)
{
	if (a == 0 || n == 0)
		return 0;
	return (unsigned long long)a * n >= UNBOUNDED ? UNBOUNDED : a * n;
}

static int at(const struct scan *s, size_t k)
{
	return s->i + k < s->len ? (unsigned char)s->p[s->i + k] : -1;
}

static bool starts(const struct scan *s, const char *t)
{
	size_t n = strlen(t);

	return s->i + n <= s->len && memcmp(s->p + s->i, t, n) == 0;
}

/* A comment or an earlier pass's call: skipped to its ')', which closes the group. */
static void skip_past_paren(struct scan *s)
{
	const char *close = memchr(s->p + s->i, ')', s->len - s->i);

	if (!close)
		s->bail = true;
	else
		s->i = (size_t)(close - s->p) + 1;
	s->depth--;
}

static struct span alternation(struct scan *s, bool lookbehind);

/* "{n}", "{n,}", "{n,m}" at s->i: true and the counts, or false (a literal '{'). */
static bool braces(struct scan *s, unsigned *min, unsigned *max)
{
	size_t k = s->i + 1;
	unsigned long a = 0, b = 0;
	bool have_a = false, have_b = false, comma = false;

	while (k < s->len && s->p[k] >= '0' && s->p[k] <= '9' && a < 70000)
		a = a * 10 + (unsigned long)(s->p[k++] - '0'), have_a = true;
	if (k < s->len && s->p[k] == ',') {
		comma = true;
		k++;
		while (k < s->len && s->p[k] >= '0' && s->p[k] <= '9' && b < 70000)
			b = b * 10 + (unsigned long)(s->p[k++] - '0'), have_b = true;
	}
	if (k >= s->len || s->p[k] != '}' || !have_a)
		return false;
	*min = a >= UNBOUNDED ? UNBOUNDED : (unsigned)a;
	*max = !comma ? *min : !have_b ? UNBOUNDED : b >= UNBOUNDED ? UNBOUNDED : (unsigned)b;
	s->i = k + 1;
	return true;
}

/* The end of \Q...\E's text from i (the pattern's end without \E). */
static size_t quote_end(const char *p, size_t i, size_t len)
{
	for (; i < len; i++)
		if (p[i] == '\\' && i + 1 < len && p[i + 1] == 'E')
			return i;
	return len;
}

/* After '\': the escape's length (characters), or bail. */
static struct span escape(struct scan *s)
{
	int c = at(s, 0);

	s->i++;
	if (c < 0) {
		s->bail = true;
		return (struct span){ 0, 0 };
	}
	if (strchr("bBAzZGE", c))
		return (struct span){ 0, 0 };
	if (c == 'Q') {
		/* literal up to \E; a quantifier takes its last character */
		size_t end = quote_end(s->p, s->i, s->len), n = end - s->i;

		s->i = end < s->len ? end + 2 : end;
		if (n == 0 || end == s->len) {
			s->bail = true;
			return (struct span){ 0, 0 };
		}
		s->quoted = n - 1;
		return (struct span){ 1, 1 };
	}
	if (c == 'k' && strncmp(s->p + s->i, "<" REST_NAME, strlen(REST_NAME) + 1) == 0) {
		/* an earlier pass's reference to its own capture */
		const char *close = memchr(s->p + s->i, '>', s->len - s->i);

		if (!close) {
			s->bail = true;
			return (struct span){ 0, 0, false };
		}
		s->i = (size_t)(close - s->p) + 1;
		return (struct span){ 0, UNBOUNDED, true, true };
	}
	if (c == 'R')
		return (struct span){ 1, 2, true, true };
	if (c == 'x' || c == 'o' || c == 'p' || c == 'P') {
		if (at(s, 0) == '{') {
			const char *close = memchr(s->p + s->i, '}', s->len - s->i);

			if (!close) {
				s->bail = true;
				return (struct span){ 0, 0 };
			}
			s->i = (size_t)(close - s->p) + 1;
		} else if (c == 'x') {
			for (int n = 0; n < 2 && isxdigit(at(s, 0)); n++)
				s->i++;
		} else if (c != 'o') {
			s->i++;
		}
		return (struct span){ 1, 1 };
	}
	if (c == 'c') {
		s->i++;
		return (struct span){ 1, 1 };
	}
	if (c == '0') {
		for (int n = 0; n < 2 && at(s, 0) >= '0' && at(s, 0) <= '7'; n++)
			s->i++;
		return (struct span){ 1, 1 };
	}
	/* Escaped punctuation, and the single-character escapes and classes. */
	if (!isalnum(c) || strchr("dDwWsShHvVNCntrfea", c))
		return (struct span){ 1, 1 };
	/* back references, \K, \X, \g, \k, ... */
	s->bail = true;
	return (struct span){ 0, 0 };
}

/* At '[': skips the class. */
static void skip_class(struct scan *s)
{
	s->i++;
	if (at(s, 0) == '^')
		s->i++;
	if (at(s, 0) == ']')
		s->i++;
	while (s->i < s->len && s->p[s->i] != ']') {
		if (s->p[s->i] == '\\') {
			if (at(s, 1) == 'Q')
				s->bail = true;
			s->i += 2;
		} else if (s->p[s->i] == '[' && (at(s, 1) == ':' || at(s, 1) == '.' || at(s, 1) == '=')) {
			char end[3] = { s->p[s->i + 1], ']', 0 };
			const char *close = strstr(s->p + s->i + 2, end);

			s->i = close && (size_t)(close - s->p) < s->len ? (size_t)(close - s->p) + 2 : s->i + 1;
		} else {
			s->i++;
		}
	}
	if (s->i >= s->len)
		s->bail = true;
	s->i++;
}

/* At '(': the group's length (assertions 0). */
/* "(?i-m" ... up to ':' or ')': the options they leave in force. */
static void options(struct scan *s)
{
	bool off = false;

	while (s->i < s->len) {
		const char *bit = strchr(option_letters, s->p[s->i]);

		if (s->p[s->i] == '-') {
			off = true;
		} else if (s->p[s->i] == '^') {
			s->options = 0;
		} else if (bit && *bit) {
			unsigned b = 1u << (bit - option_letters);

			s->options = off ? s->options & ~b : s->options | b;
		} else {
			break;
		}
		s->i++;
	}
}

static struct span group(struct scan *s)
{
	size_t open = s->i;
	struct span sp = { 0, 0, false, false };
	bool lookbehind = false, assertion = false;
	unsigned before = s->n_lbs, saved = s->options;

	if (++s->depth > 200) {
		s->bail = true;
		return sp;
	}
	s->i++;
	if (at(s, 0) == '*') {
		s->bail = true; /* verbs, (*pla: ...) */
		return sp;
	}
	if (at(s, 0) == '?') {
		s->i++;
		if (starts(s, "<=") || starts(s, "<!")) {
			s->i += 2;
			lookbehind = assertion = true;
		} else if (at(s, 0) == '=' || at(s, 0) == '!') {
			s->i++;
			assertion = true;
		} else if (at(s, 0) == '#') {
			skip_past_paren(s);
			return sp;
		} else if (at(s, 0) == ':' || at(s, 0) == '>') {
			s->i++;
		} else if (starts(s, "&" BODY_NAME)) {
			/* an earlier pass's call, inside a lookahead */
			skip_past_paren(s);
			return (struct span){ 0, UNBOUNDED, true, true };
		} else if (starts(s, "P<") || (at(s, 0) == '<' && isalpha(at(s, 1))) || at(s, 0) == '\'') {
			size_t k = s->i + (at(s, 0) == 'P' ? 2 : 1);

			while (k < s->len && (isalnum((unsigned char)s->p[k]) || s->p[k] == '_'))
				k++;
			if (k >= s->len || (s->p[k] != '>' && s->p[k] != '\'')) {
				s->bail = true;
				return sp;
			}
			s->i = k + 1;
		} else {
			/* options, "(?i)" (to the end of the group around) or "(?i:" */
			options(s);
			if (at(s, 0) == ')') {
				s->i++;
				s->depth--;
				return sp;
			}
			if (at(s, 0) != ':') {
				s->bail = true; /* x, references, conditionals, callouts, ... */
				return sp;
			}
			s->i++;
		}
	}
	sp = alternation(s, lookbehind);
	if (lookbehind && !s->bail && s->n_lbs > before && s->lbs[s->n_lbs - 1].open == SIZE_MAX) {
		s->lbs[s->n_lbs - 1].open = open;
		/* variable ones inside it are rewritten first */
		s->lbs[s->n_lbs - 1].outer = s->n_lbs - 1 > before;
	}
	if (at(s, 0) != ')')
		s->bail = true;
	s->i++;
	s->depth--;
	s->options = saved;
	s->assertion = assertion;
	s->behind = lookbehind;
	return assertion ? (struct span){ 0, 0, false, false } : sp;
}

/* One item and its quantifier. */
static struct span item(struct scan *s)
{
	struct span sp = { 1, 1 };
	unsigned min, max, quoted;
	int c = at(s, 0);

	s->quoted = 0;
	s->assertion = false;
	if (c == '\\') {
		s->i++;
		sp = escape(s);
	} else if (c == '[') {
		skip_class(s);
	} else if (c == '(') {
		sp = group(s);
	} else if (c == '^' || c == '$') {
		s->i++;
		sp = (struct span){ 0, 0 };
	} else {
		s->i++;
	}
	if (s->bail)
		return sp;
	quoted = (unsigned)(s->quoted < UNBOUNDED ? s->quoted : UNBOUNDED);
	c = at(s, 0);
	if (c == '?' || c == '*' || c == '+') {
		s->i++;
		min = c == '+';
		max = c == '?' ? 1 : UNBOUNDED;
	} else if (c == '{' && braces(s, &min, &max)) {
		/* counted */
	} else {
		return (struct span){ add_len(quoted, sp.min), add_len(quoted, sp.max), sp.var, sp.var49 };
	}
	if (at(s, 0) == '?' || at(s, 0) == '+')
		s->i++;
	/* PCRE2 repeats an assertion at most once, and takes any other
	 * unbounded repetition as unbounded, even of what is empty. */
	/* 10.43+ take an unbounded repetition of a lookbehind (only) as unbounded */
	if (s->assertion && s->behind && max == UNBOUNDED)
		return (struct span){ 0, UNBOUNDED, true, true };
	if (s->assertion)
		return (struct span){ 0, 0, min != max, false };
	return (struct span){ add_len(quoted, mul_len(sp.min, min)),
			      add_len(quoted, max == UNBOUNDED ? UNBOUNDED : mul_len(sp.max, max)),
			      sp.var || min != max, sp.var49 || min != max };
}

/*
 * Branches up to ')' or the end; their shortest and longest lengths. For
 * a lookbehind, records it when a branch varies in length.
 */
static struct span alternation(struct scan *s, bool lookbehind)
{
	struct span all = { UNBOUNDED, 0, false, false }, br = { 0, 0, false, false };
	struct lb lb = { .open = SIZE_MAX };
	size_t start = s->i;
	unsigned start_options = s->options;
	bool variable = false, variable49 = false, overflow = false;

	for (;;) {
		if (s->bail)
			return all;
		if (s->i >= s->len || s->p[s->i] == '|' || s->p[s->i] == ')') {
			if (all.max != 0 || all.min != UNBOUNDED) {
				all.var |= br.min != all.min || br.max != all.max;
				all.var49 |= br.min != all.min || br.max != all.max;
			}
			all.min = br.min < all.min ? br.min : all.min;
			all.max = br.max > all.max ? br.max : all.max;
			all.var |= br.var;
			all.var49 |= br.var49;
			variable |= br.var;
			variable49 |= br.var49;
			if (lookbehind && lb.n_br == BRANCHES_MAX)
				overflow = true;
			else if (lookbehind)
				lb.br[lb.n_br++] = (struct branch){ start, s->i, br.min, br.max, br.var, start_options };
			if (s->i >= s->len || s->p[s->i] == ')')
				break;
			s->i++;
			start = s->i;
			start_options = s->options;
			br = (struct span){ 0, 0, false, false };
			continue;
		}
		struct span it = item(s);

		br.min = add_len(br.min, it.min);
		br.max = add_len(br.max, it.max);
		br.var |= it.var;
		br.var49 |= it.var49;
	}
	if (lookbehind && variable && !s->bail) {
		/* PCRE2 10.43+ refuses these too: a branch may be longer than 255 */
		if (s->n_lbs == LOOKBEHINDS_MAX || overflow || (variable49 && all.max > VARLOOKBEHIND_MAX)) {
			s->bail = true;
		} else {
			lb.close = s->i;
			s->lbs[s->n_lbs++] = lb;
		}
	}
	return all;
}

/* A quantifier at i: its minimum and where it ends, or false. */
static bool quantifier(const char *p, size_t i, size_t len, unsigned *min, size_t *end)
{
	struct scan q = { .p = p, .i = i, .len = len };
	unsigned max;

	if (i < len && (p[i] == '?' || p[i] == '*' || p[i] == '+')) {
		*min = p[i] == '+';
		q.i++;
	} else if (!(i < len && p[i] == '{' && braces(&q, min, &max))) {
		return false;
	}
	if (q.i < len && (p[q.i] == '?' || p[q.i] == '+'))
		q.i++;
	*end = q.i;
	return true;
}

/*
 * One pass: the pattern with its innermost variable-length lookbehinds
 * rewritten (*more: outer ones are left for the next pass), their bodies
 * appended to *defines as groups it calls, or NULL to keep the pattern.
 */
static char *rewrite_pass(const char *pattern, unsigned pass, FILE *defines, bool *more)
{
	struct scan s = { .p = pattern, .len = strlen(pattern) };
	char *out = NULL;
	size_t out_len = 0, from = 0;
	FILE *f;

	*more = false;
	while (!s.bail && s.i < s.len) {
		(void)alternation(&s, false);
		if (s.i < s.len)
			s.bail = true; /* an unbalanced ')' */
	}
	if (s.bail || s.n_lbs == 0)
		return NULL;
	f = open_memstream(&out, &out_len);
	if (!f)
		return NULL;
	for (unsigned n = 0; n < s.n_lbs; n++) {
		const struct lb *lb = &s.lbs[n];
		size_t end = lb->close + 1, q_end;
		unsigned min = 1;

		if (lb->outer) {
			*more = true;
			continue;
		}
		fwrite(pattern + from, 1, lb->open - from, f);
		from = end;
		/* PCRE2 obeys a repeated assertion once, and an optional one
		 * both ways: "(?:A|)", which has a fixed length (0) still */
		if (quantifier(pattern, end, s.len, &min, &q_end)) {
			unsigned again;
			size_t q2;

			/* a second one is an error to 10.43+, not to the group here */
			if (quantifier(pattern, q_end, s.len, &again, &q2)) {
				fclose(f);
				free(out);
				return NULL;
			}
			from = q_end;
		}
		fprintf(f, "%s(?:(?=(?<" REST_NAME "%u_%u>[\\s\\S]*+))(?<%c", min ? "" : "(?:", pass, n,
			pattern[lb->open + 3]);
		for (unsigned b = 0; b < lb->n_br; b++) {
			const struct branch *br = &lb->br[b];

			if (b)
				fputc('|', f);
			/* 10.42 takes branches of fixed lengths as they are */
			if (!br->var) {
				fwrite(pattern + br->start, 1, br->end - br->start, f);
				continue;
			}
			fprintf(defines, "(?<" BODY_NAME "%u_%u_%u>(?^", pass, n, b);
			for (unsigned k = 0; option_letters[k]; k++)
				if (br->options & (1u << k))
					fputc(option_letters[k], defines);
			fputc(':', defines);
			fwrite(pattern + br->start, 1, br->end - br->start, defines);
			fputs("))", defines);
			for (unsigned k = br->min; k <= br->max; k++) {
				fprintf(f, "%s(?=(?&" BODY_NAME "%u_%u_%u)\\k<" REST_NAME "%u_%u>\\z)", k == br->min ? "" : "|",
					pass, n, b, pass, n);
				if (k)
					fprintf(f, "[\\s\\S]{%u}", k);
			}
		}
		fputs(min ? "))" : "))|)", f);
	}
	fputs(pattern + from, f);
	if (fclose(f) != 0 || out_len > REWRITE_MAX) {
		free(out);
		return NULL;
	}
	return out;
}

/* The pattern with its variable-length lookbehinds rewritten, or NULL to keep it. */
static char *rewrite_lookbehinds(const char *pattern)
{
	char *cur = NULL, *defs = NULL, *out = NULL;
	size_t defs_len = 0;
	bool more = true;
	FILE *defines;

	if ((!strstr(pattern, "(?<=") && !strstr(pattern, "(?<!")) || strstr(pattern, REST_NAME) ||
	    strstr(pattern, BODY_NAME))
		return NULL;
	defines = open_memstream(&defs, &defs_len);
	if (!defines)
		return NULL;
	for (unsigned pass = 0; more && pass < PASSES_MAX; pass++) {
		char *next = rewrite_pass(cur ? cur : pattern, pass, defines, &more);

		if (!next)
			break;
		free(cur);
		cur = next;
	}
	if (fclose(defines) == 0 && cur && asprintf(&out, "%s(?(DEFINE)%s)", cur, defs) < 0)
		out = NULL;
	free(cur);
	free(defs);
	return out;
}

/*
 * "{,n}" becomes "{0,n}"; "\\x" without a hex digit or '{' after it, which
 * 10.42 reads as NUL and 10.43+ refuses, becomes "\\x{}", which 10.42
 * refuses too. Classes, escapes and \\Q...\\E are skipped as PCRE2 reads them.
 */
static char *empty_min(const char *pattern)
{
	size_t len = strlen(pattern), n = 0;
	char *out = malloc(2 * len + 1);
	bool in_class = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = pattern[i];

		out[n++] = c;
		if (c == '\\' && i + 1 < len && pattern[i + 1] == 'Q') {
			size_t end = quote_end(pattern, i + 2, len);

			end = end < len ? end + 2 : len;
			memcpy(out + n, pattern + i + 1, end - i - 1);
			n += end - i - 1;
			i = end - 1;
			continue;
		}
		if (c == '\\' && i + 1 < len && pattern[i + 1] == 'x' &&
		    !isxdigit((unsigned char)pattern[i + 2]) && pattern[i + 2] != '{') {
			memcpy(out + n, "x{}", 3);
			n += 3;
			i++;
			continue;
		}
		if (c == '\\' && i + 1 < len) {
			out[n++] = pattern[++i];
			continue;
		}
		if (in_class) {
			if (c == '[' && i + 1 < len && strchr(":.=", pattern[i + 1])) {
				const char *close = strstr(pattern + i + 2, (char[]){ pattern[i + 1], ']', 0 });

				if (close) {
					size_t skip = (size_t)(close + 2 - (pattern + i)) - 1;

					memcpy(out + n, pattern + i + 1, skip);
					n += skip;
					i += skip;
				}
			} else if (c == ']') {
				in_class = false;
			}
			continue;
		}
		if (c == '[') {
			in_class = true;
			/* A ']' first (after '^') is a literal. */
			if (i + 1 < len && pattern[i + 1] == '^')
				out[n++] = pattern[++i];
			if (i + 1 < len && pattern[i + 1] == ']')
				out[n++] = pattern[++i];
			continue;
		}
		if (c == '{' && i + 1 < len && pattern[i + 1] == ',') {
			size_t k = i + 2;

			while (k < len && pattern[k] >= '0' && pattern[k] <= '9')
				k++;
			if (k > i + 2 && k < len && pattern[k] == '}')
				out[n++] = '0';
		}
	}
	out[n] = '\0';
	return out;
}

char *bsi_regex_pcre2_compat(const char *pattern)
{
	char *compat = empty_min(pattern), *rewritten;

	if (!compat)
		return NULL;
	rewritten = rewrite_lookbehinds(compat);
	if (!rewritten)
		return compat;
	free(compat);
	return rewritten;
}
