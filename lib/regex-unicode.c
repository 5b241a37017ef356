/* SPDX-License-Identifier: MIT */
/*
 * Classes of (?u) mode as regex-syntax 0.8.11 builds them (its
 * hir::ClassUnicode and unicode.rs, read from their documentation and
 * behaviour): sets of code points with union, intersection, difference,
 * symmetric difference and complement; properties looked up by normalized
 * name; simple case folding; and, to match bytes, the UTF-8 sequences of a
 * set (what regex-automata compiles a Unicode class into).
 */
#include "regex-unicode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unicode-tables.h"
#include "util.h"

void bsi_cpset_clear(struct bsi_cpset *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

int bsi_cpset_push(struct bsi_cpset *s, uint32_t lo, uint32_t hi)
{
	if (BSI_GROW(s->r, s->cap, s->n, 8) < 0)
		return -ENOMEM;
	s->r[s->n][0] = lo;
	s->r[s->n][1] = hi;
	s->n++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

void bsi_cpset_canon(struct bsi_cpset *s)
{
	size_t k = 0;

	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(*s->r), cmp_range);
	for (size_t i = 1; i < s->n; i++) {
		if (s->r[i][0] <= s->r[k][1] || s->r[i][0] == s->r[k][1] + 1) {
			if (s->r[i][1] > s->r[k][1])
				s->r[k][1] = s->r[i][1];
		} else {
			k++;
			s->r[k][0] = s->r[i][0];
			s->r[k][1] = s->r[i][1];
		}
	}
	s->n = k + 1;
}

int bsi_cpset_add(struct bsi_cpset *s, uint32_t lo, uint32_t hi)
{
	int r = bsi_cpset_push(s, lo, hi);

	if (r == 0)
		bsi_cpset_canon(s);
	return r;
}

int bsi_cpset_union(struct bsi_cpset *s, const struct bsi_cpset *o)
{
	for (size_t i = 0; i < o->n; i++) {
		int r = bsi_cpset_push(s, o->r[i][0], o->r[i][1]);

		if (r < 0)
			return r;
	}
	bsi_cpset_canon(s);
	return 0;
}

static int intersect(const struct bsi_cpset *a, const struct bsi_cpset *b, struct bsi_cpset *out)
{
	size_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		uint32_t lo = a->r[i][0] > b->r[j][0] ? a->r[i][0] : b->r[j][0];
		uint32_t hi = a->r[i][1] < b->r[j][1] ? a->r[i][1] : b->r[j][1];

		if (lo <= hi && bsi_cpset_push(out, lo, hi) < 0)
			return -ENOMEM;
		if (a->r[i][1] < b->r[j][1])
			i++;
		else
			j++;
	}
	return 0;
}

/*
 * Neighbours as regex-syntax steps through chars: over the surrogates,
 * which are never a range's end (bytes, max 0xff, step by one).
 */
static uint32_t inc(uint32_t c, uint32_t max)
{
	return max > 0xff && c == 0xd7ff ? 0xe000 : c + 1;
}

static uint32_t dec(uint32_t c, uint32_t max)
{
	return max > 0xff && c == 0xe000 ? 0xd7ff : c - 1;
}

/* A range from two ends in either order (regex-syntax's Interval::create). */
static int push_create(struct bsi_cpset *s, uint32_t a, uint32_t b)
{
	return a <= b ? bsi_cpset_push(s, a, b) : bsi_cpset_push(s, b, a);
}

static void take(struct bsi_cpset *s, struct bsi_cpset *out)
{
	bsi_cpset_clear(s);
	*s = *out;
}

/*
 * The gaps between the ranges, as IntervalSet::negate computes them. Its
 * one quirk is kept: between a range ending at U+D7FF and one starting at
 * U+E000 it finds the "gap" U+E000..U+D7FF and makes it U+D7FF..U+E000, so
 * the negation of such a set has both (bootc's regexes match them).
 */
int bsi_cpset_negate(struct bsi_cpset *s, uint32_t max)
{
	struct bsi_cpset out = { 0 };
	int r = 0;

	if (s->n == 0) {
		r = bsi_cpset_push(s, 0, max);
		return r;
	}
	if (s->r[0][0] > 0)
		r = push_create(&out, 0, dec(s->r[0][0], max));
	for (size_t i = 1; r == 0 && i < s->n; i++)
		r = push_create(&out, inc(s->r[i - 1][1], max), dec(s->r[i][0], max));
	if (r == 0 && s->r[s->n - 1][1] < max)
		r = push_create(&out, inc(s->r[s->n - 1][1], max), max);
	if (r < 0) {
		bsi_cpset_clear(&out);
		return r;
	}
	take(s, &out);
	return 0;
}

/* Whether ranges a and b share a member. */
static bool overlap(const uint32_t *a, const uint32_t *b)
{
	return a[0] <= b[1] && b[0] <= a[1];
}

/* s - o, as IntervalSet::difference (range by range, its pieces' ends stepped as chars). */
static int difference(const struct bsi_cpset *s, const struct bsi_cpset *o, uint32_t max, struct bsi_cpset *out)
{
	size_t a = 0, b = 0;

	while (a < s->n) {
		uint32_t range[2];

		if (b < o->n && o->r[b][1] < s->r[a][0]) {
			b++;
			continue;
		}
		if (b >= o->n || s->r[a][1] < o->r[b][0]) {
			if (bsi_cpset_push(out, s->r[a][0], s->r[a][1]) < 0)
				return -ENOMEM;
			a++;
			continue;
		}
		range[0] = s->r[a][0];
		range[1] = s->r[a][1];
		while (b < o->n && overlap(range, o->r[b])) {
			uint32_t old_hi = range[1];
			bool lower = o->r[b][0] > range[0], upper = o->r[b][1] < range[1];

			if (!lower && !upper)
				goto next; /* all of it removed */
			if (lower && upper) {
				if (push_create(out, range[0], dec(o->r[b][0], max)) < 0)
					return -ENOMEM;
				range[0] = inc(o->r[b][1], max);
			} else if (lower) {
				range[1] = dec(o->r[b][0], max);
			} else {
				range[0] = inc(o->r[b][1], max);
			}
			if (range[0] > range[1]) {
				uint32_t t = range[0];

				range[0] = range[1];
				range[1] = t;
			}
			if (o->r[b][1] > old_hi)
				break;
			b++;
		}
		if (bsi_cpset_push(out, range[0], range[1]) < 0)
			return -ENOMEM;
next:
		a++;
	}
	return 0;
}

int bsi_cpset_apply(struct bsi_cpset *s, const struct bsi_cpset *o, enum bsi_cpset_op op, uint32_t max)
{
	struct bsi_cpset out = { 0 }, both = { 0 }, either = { 0 };
	int r;

	if (op == BSI_CP_AND) {
		r = intersect(s, o, &out);
	} else if (op == BSI_CP_MINUS) {
		r = difference(s, o, max, &out);
	} else {
		/* (s | o) - (s & o), as IntervalSet::symmetric_difference */
		r = intersect(s, o, &both);
		if (r == 0)
			r = bsi_cpset_union(&either, s);
		if (r == 0)
			r = bsi_cpset_union(&either, o);
		if (r == 0)
			r = difference(&either, &both, max, &out);
	}
	bsi_cpset_clear(&both);
	bsi_cpset_clear(&either);
	if (r < 0) {
		bsi_cpset_clear(&out);
		return r;
	}
	take(s, &out);
	return 0;
}

/* The first entry of bsi_ucd_fold at or after c. */
static size_t fold_find(uint32_t c)
{
	size_t lo = 0, hi = bsi_ucd_fold_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bsi_ucd_fold[mid][0] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool bsi_unicode_folds(uint32_t c)
{
	size_t i = fold_find(c);

	return i < bsi_ucd_fold_n && bsi_ucd_fold[i][0] == c;
}

int bsi_cpset_fold_unicode(struct bsi_cpset *s)
{
	size_t n = s->n;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = fold_find(s->r[i][0]); k < bsi_ucd_fold_n && bsi_ucd_fold[k][0] <= s->r[i][1]; k++) {
			/* Its class is a cycle: walk it once. */
			uint32_t c = bsi_ucd_fold[k][1];

			while (c != bsi_ucd_fold[k][0]) {
				if (bsi_cpset_push(s, c, c) < 0)
					return -ENOMEM;
				c = bsi_ucd_fold[fold_find(c)][1];
			}
		}
	}
	bsi_cpset_canon(s);
	return 0;
}

int bsi_cpset_fold_ascii(struct bsi_cpset *s)
{
	size_t n = s->n;

	for (size_t i = 0; i < n; i++) {
		static const uint32_t cases[2][2] = { { 'A', 'Z' }, { 'a', 'z' } };

		for (int k = 0; k < 2; k++) {
			uint32_t lo = s->r[i][0] > cases[k][0] ? s->r[i][0] : cases[k][0];
			uint32_t hi = s->r[i][1] < cases[k][1] ? s->r[i][1] : cases[k][1];

			if (lo <= hi && bsi_cpset_push(s, lo ^ 0x20, hi ^ 0x20) < 0)
				return -ENOMEM;
		}
	}
	bsi_cpset_canon(s);
	return 0;
}

static int table_set(const struct bsi_ucd_table *t, struct bsi_cpset *out)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (bsi_cpset_push(out, bsi_ucd_ranges[t->first + i][0], bsi_ucd_ranges[t->first + i][1]) < 0)
			return -ENOMEM;
	bsi_cpset_canon(out);
	return 0;
}

/* Both kinds of entry begin with the name they are sorted by (strcmp). */
static int cmp_name(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

static const struct bsi_ucd_table *table_find(const struct bsi_ucd_table *t, size_t n, const char *name)
{
	return bsearch(name, t, n, sizeof(*t), cmp_name);
}

static const char *alias_find(const struct bsi_ucd_alias *a, size_t n, const char *alias)
{
	const struct bsi_ucd_alias *found = bsearch(alias, a, n, sizeof(*a), cmp_name);

	return found ? found->canon : NULL;
}

static const char *value_find(const char *prop, const char *alias)
{
	for (size_t i = 0; i < bsi_ucd_prop_values_n; i++)
		if (strcmp(bsi_ucd_prop_values[i].prop, prop) == 0)
			return alias_find(bsi_ucd_prop_values[i].values, bsi_ucd_prop_values[i].n, alias);
	return NULL;
}

/*
 * regex-syntax's symbolic_name_normalize: an "is" prefix dropped (but "isc"
 * kept), ' ' '_' '-' and non-ASCII bytes dropped, ASCII lower-cased.
 */
static char *normalize(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t k = 0, start = 0;
	bool is = false;

	if (!out)
		return NULL;
	if (n >= 2 && (s[0] == 'i' || s[0] == 'I') && (s[1] == 's' || s[1] == 'S'))
		is = true, start = 2;
	for (size_t i = start; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '_' || c == '-' || c >= 0x80)
			continue;
		out[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[k] = '\0';
	if (is && k == 1 && out[0] == 'c')
		strcpy(out, "isc");
	return out;
}

/* A General_Category value's canonical name, with the three regex-syntax adds. */
static const char *gencat_canon(const char *norm)
{
	if (strcmp(norm, "any") == 0)
		return "Any";
	if (strcmp(norm, "assigned") == 0)
		return "Assigned";
	if (strcmp(norm, "ascii") == 0)
		return "ASCII";
	return value_find("General_Category", norm);
}

static int gencat(const char *canon, struct bsi_cpset *out)
{
	const struct bsi_ucd_table *t;

	if (strcmp(canon, "ASCII") == 0)
		return bsi_cpset_add(out, 0, 0x7f);
	if (strcmp(canon, "Any") == 0)
		return bsi_cpset_add(out, 0, BSI_UNICODE_MAX);
	if (strcmp(canon, "Assigned") == 0) {
		int r = gencat("Unassigned", out);

		return r < 0 ? r : bsi_cpset_negate(out, BSI_UNICODE_MAX);
	}
	t = table_find(bsi_ucd_gc, bsi_ucd_gc_n, canon);
	return t ? table_set(t, out) : -EINVAL;
}

static int named(const struct bsi_ucd_table *tables, size_t n, const char *canon, struct bsi_cpset *out)
{
	const struct bsi_ucd_table *t = table_find(tables, n, canon);

	return t ? table_set(t, out) : -EINVAL;
}

static int by_value(const char *prop, const char *value, struct bsi_cpset *out)
{
	const char *canon;

	if (strcmp(prop, "General_Category") == 0) {
		canon = gencat_canon(value);
		return canon ? gencat(canon, out) : -EINVAL;
	}
	canon = value_find(prop, value);
	if (!canon)
		return -EINVAL;
	if (strcmp(prop, "Script") == 0)
		return named(bsi_ucd_script, bsi_ucd_script_n, canon, out);
	if (strcmp(prop, "Script_Extensions") == 0)
		return named(bsi_ucd_scx, bsi_ucd_scx_n, canon, out);
	if (strcmp(prop, "Grapheme_Cluster_Break") == 0)
		return named(bsi_ucd_gcb, bsi_ucd_gcb_n, canon, out);
	if (strcmp(prop, "Word_Break") == 0)
		return named(bsi_ucd_wb, bsi_ucd_wb_n, canon, out);
	if (strcmp(prop, "Sentence_Break") == 0)
		return named(bsi_ucd_sb, bsi_ucd_sb_n, canon, out);
	if (strcmp(prop, "Age") == 0) {
		/* An age is every character assigned in that version or before. */
		for (size_t i = 0; i < bsi_ucd_age_n; i++) {
			if (table_set(&bsi_ucd_age[i], out) < 0)
				return -ENOMEM;
			if (strcmp(bsi_ucd_age[i].name, canon) == 0)
				return 0;
		}
		return -EINVAL;
	}
	return -EINVAL;
}

/* A name alone: a binary property, then a general category, then a script. */
static int binary(const char *norm, struct bsi_cpset *out)
{
	const char *canon = NULL;

	/* cf, sc and lc are properties' abbreviations too, but mean the categories here. */
	if (strcmp(norm, "cf") != 0 && strcmp(norm, "sc") != 0 && strcmp(norm, "lc") != 0)
		canon = alias_find(bsi_ucd_prop_names, bsi_ucd_prop_names_n, norm);
	if (canon) {
		if (strcmp(canon, "Decimal_Number") == 0)
			return bsi_unicode_perl('d', out);
		return named(bsi_ucd_bool, bsi_ucd_bool_n, canon, out);
	}
	canon = gencat_canon(norm);
	if (canon)
		return gencat(canon, out);
	canon = value_find("Script", norm);
	if (canon)
		return named(bsi_ucd_script, bsi_ucd_script_n, canon, out);
	return -EINVAL;
}

int bsi_unicode_property(const char *name, size_t name_len, const char *value, size_t value_len,
			 struct bsi_cpset *out)
{
	char *n = normalize(name, name_len), *v = value ? normalize(value, value_len) : NULL;
	const char *prop;
	int r;

	if (!n || (value && !v)) {
		r = -ENOMEM;
	} else if (!value) {
		r = binary(n, out);
	} else {
		prop = alias_find(bsi_ucd_prop_names, bsi_ucd_prop_names_n, n);
		r = prop ? by_value(prop, v, out) : -EINVAL;
	}
	free(n);
	free(v);
	return r;
}

int bsi_unicode_perl(int c, struct bsi_cpset *out)
{
	if (c == 'w')
		return table_set(&bsi_ucd_perl_word[0], out);
	return named(c == 'd' ? bsi_ucd_gc : bsi_ucd_bool, c == 'd' ? bsi_ucd_gc_n : bsi_ucd_bool_n,
		     c == 'd' ? "Decimal_Number" : "White_Space", out);
}

/*
 * lo..hi, neither a surrogate nor across one, as sequences: split where the
 * encoded length changes, then until each continuation byte's range is
 * whole or the last one, so each sequence is a product of byte ranges.
 */
static int split(uint32_t lo, uint32_t hi, int (*emit)(void *, const struct bsi_utf8_seq *), void *ctx)
{
	static const uint32_t len_max[] = { 0x7f, 0x7ff, 0xffff };
	struct bsi_utf8_seq q;
	size_t n;
	int r;

	for (size_t i = 0; i < 3; i++)
		if (lo <= len_max[i] && hi > len_max[i]) {
			r = split(lo, len_max[i], emit, ctx);
			return r < 0 ? r : split(len_max[i] + 1, hi, emit, ctx);
		}
	if (hi >= 0x80) {
		for (unsigned i = 1; i < 4; i++) {
			uint32_t m = (UINT32_C(1) << (6 * i)) - 1;

			if ((lo & ~m) != (hi & ~m)) {
				if ((lo & m) != 0) {
					r = split(lo, lo | m, emit, ctx);
					return r < 0 ? r : split((lo | m) + 1, hi, emit, ctx);
				}
				if ((hi & m) != m) {
					r = split(lo, (hi & ~m) - 1, emit, ctx);
					return r < 0 ? r : split(hi & ~m, hi, emit, ctx);
				}
			}
		}
	}
	n = bsi_utf8_encode(lo, q.lo);
	bsi_utf8_encode(hi, q.hi);
	q.n = (uint8_t)n;
	return emit(ctx, &q);
}

int bsi_utf8_sequences(const struct bsi_cpset *s, int (*emit)(void *ctx, const struct bsi_utf8_seq *seq),
		       void *ctx)
{
	for (size_t i = 0; i < s->n; i++) {
		uint32_t lo = s->r[i][0], hi = s->r[i][1] > BSI_UNICODE_MAX ? BSI_UNICODE_MAX : s->r[i][1];
		int r = 0;

		if (lo > hi)
			continue;
		if (lo < 0xd800 && hi >= 0xd800)
			r = split(lo, 0xd7ff, emit, ctx);
		else if (lo > 0xdfff || hi < 0xd800)
			r = split(lo, hi, emit, ctx);
		if (r == 0 && hi > 0xdfff && lo <= 0xdfff)
			r = split(0xe000, hi, emit, ctx);
		if (r < 0)
			return r;
	}
	return 0;
}
