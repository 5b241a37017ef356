/* SPDX-License-Identifier: MIT */
/*
 * Internal: the Unicode 16.0.0 tables regex-syntax 0.8.11 gives (?u) classes
 * (lib/unicode-tables.c, written by scripts/gen-unicode-tables).
 */
#ifndef BOOTSEAL_UNICODE_TABLES_H
#define BOOTSEAL_UNICODE_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Sorted, disjoint, non-adjacent inclusive ranges; no range starts or ends on a surrogate. */
extern const uint32_t bsi_ucd_ranges[][2];

/* A value's code points: bsi_ucd_ranges[first .. first + n). */
struct bsi_ucd_table {
	const char *name;       /* canonical (long) name */
	uint32_t first, n;
};

/* Sorted by name (strcmp); bsi_ucd_age in the order of versions, 1.1 first. */
extern const struct bsi_ucd_table bsi_ucd_gc[], bsi_ucd_script[], bsi_ucd_scx[], bsi_ucd_bool[],
	bsi_ucd_gcb[], bsi_ucd_wb[], bsi_ucd_sb[], bsi_ucd_age[], bsi_ucd_perl_word[];
extern const size_t bsi_ucd_gc_n, bsi_ucd_script_n, bsi_ucd_scx_n, bsi_ucd_bool_n, bsi_ucd_gcb_n,
	bsi_ucd_wb_n, bsi_ucd_sb_n, bsi_ucd_age_n, bsi_ucd_perl_word_n;

/*
 * Simple case folding: each character that has equivalents, sorted, with
 * the next of its class (the classes are cycles).
 */
extern const uint32_t bsi_ucd_fold[][2];
extern const size_t bsi_ucd_fold_n;

/* A normalized alias (regex-syntax's symbolic_name_normalize) and its canonical name. */
struct bsi_ucd_alias {
	const char *alias, *canon;
};

/* Property aliases, sorted by alias. */
extern const struct bsi_ucd_alias *const bsi_ucd_prop_names;
extern const size_t bsi_ucd_prop_names_n;

/* The value aliases of General_Category, Script, ..., sorted by prop and by alias. */
struct bsi_ucd_values {
	const char *prop;
	const struct bsi_ucd_alias *values;
	size_t n;
};
extern const struct bsi_ucd_values bsi_ucd_prop_values[];
extern const size_t bsi_ucd_prop_values_n;

#endif
