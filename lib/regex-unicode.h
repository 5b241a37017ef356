/* SPDX-License-Identifier: MIT */
/*
 * Internal to regex-parse.c: classes as sets of code points (or of bytes,
 * when Unicode is off), the Unicode properties regex-syntax 0.8.11 knows
 * (lib/unicode-tables.c), simple case folding, and the UTF-8 byte sequences
 * that match a set of scalar values.
 */
#ifndef BOOTSEAL_REGEX_UNICODE_H
#define BOOTSEAL_REGEX_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BSI_UNICODE_MAX 0x10ffffu

/*
 * Sorted, disjoint, non-adjacent inclusive ranges, once bsi_cpset_canon ran,
 * as regex-syntax's IntervalSet holds them: no range starts or ends on a
 * surrogate, one may span them (they never match).
 */
struct bsi_cpset {
	uint32_t (*r)[2];
	size_t n, cap;
};

void bsi_cpset_clear(struct bsi_cpset *s);
/* Appends a range; the set is canonical again after bsi_cpset_canon. */
int bsi_cpset_push(struct bsi_cpset *s, uint32_t lo, uint32_t hi);
void bsi_cpset_canon(struct bsi_cpset *s);
int bsi_cpset_add(struct bsi_cpset *s, uint32_t lo, uint32_t hi);
int bsi_cpset_union(struct bsi_cpset *s, const struct bsi_cpset *o);

enum bsi_cpset_op { BSI_CP_AND, BSI_CP_MINUS, BSI_CP_XOR };
/* max: as for bsi_cpset_negate. */
int bsi_cpset_apply(struct bsi_cpset *s, const struct bsi_cpset *o, enum bsi_cpset_op op, uint32_t max);

/* The complement within 0..max (0xff for bytes, BSI_UNICODE_MAX for characters). */
int bsi_cpset_negate(struct bsi_cpset *s, uint32_t max);

/* Adds every character's simple case folding equivalents (ClassUnicode::case_fold_simple). */
int bsi_cpset_fold_unicode(struct bsi_cpset *s);
/* ASCII letters' other case (ClassBytes::case_fold_simple). */
int bsi_cpset_fold_ascii(struct bsi_cpset *s);

/* Whether c has simple case folding equivalents. */
bool bsi_unicode_folds(uint32_t c);

/*
 * \p{name}, \pX (value NULL) or \p{name=value} as regex-syntax resolves it
 * (names normalized, then a property, a general category or a script).
 * -EINVAL: no such class there (regex-syntax's error); -ENOMEM.
 */
int bsi_unicode_property(const char *name, size_t name_len, const char *value, size_t value_len,
			 struct bsi_cpset *out);

/* \w, \d, \s in Unicode mode: c is 'w', 'd' or 's'. */
int bsi_unicode_perl(int c, struct bsi_cpset *out);

/*
 * The UTF-8 encodings of the scalar values in s (surrogates left out), as
 * byte range sequences in increasing order of code point, each handed to emit.
 */
struct bsi_utf8_seq {
	uint8_t n;
	uint8_t lo[4], hi[4];
};
int bsi_utf8_sequences(const struct bsi_cpset *s, int (*emit)(void *ctx, const struct bsi_utf8_seq *seq),
		       void *ctx);

#endif
