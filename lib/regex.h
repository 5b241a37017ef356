/* SPDX-License-Identifier: MIT */
/* Internal: linear-time byte regexes for selabel; not part of the public API. */
#ifndef BOOTSEAL_REGEX_H
#define BOOTSEAL_REGEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * A regex in the dialect composefs-rs matches file_contexts with (byte
 * oriented, ASCII classes, '.' matching any byte, '$' only at the very end),
 * which PCRE2 gives with DOTALL | DOLLAR_ENDONLY and no UTF. Matching is a
 * lazily built DFA over a Thompson NFA: time linear in the input whatever
 * the pattern, where PCRE2 may backtrack exponentially.
 *
 * Only a subset is accepted, the one whose meaning is certain to be the same
 * in PCRE2 and in Rust's regex-syntax: literals (ASCII), escaped punctuation,
 * \d \w \s \D \W \S \n \t \r \f, '.', bracket classes (ranges, negation,
 * escapes, [:name:]), * + ? {n} {n,} {n,m} (lazy or not), ( ) (?: ), '|',
 * '^' and '$'. Anything else is left to the caller's PCRE2.
 */
struct bs_regex;

/*
 * Compiles a NUL-terminated pattern. -EINVAL: outside the subset (which
 * includes invalid patterns); -E2BIG: larger than the automaton limits
 * (repetition counts, states, nesting); -ENOMEM.
 */
int bs_regex_new(const char *pattern, struct bs_regex **out);
void bs_regex_free(struct bs_regex *re);

/*
 * 1 when the whole of s matches (as PCRE2 would match ^(?:PATTERN)$), else
 * 0. Never fails: without memory for its DFA cache it steps the NFA directly.
 * Not thread-safe (the cache is filled as it goes).
 */
int bs_regex_matches(struct bs_regex *re, const uint8_t *s, size_t len);

/*
 * What the regexes of one policy may still take, so that a hostile one
 * (millions of lines, patterns made to fill caches) is bounded: the
 * automata's memory, which bs_regex_share_budget charges, the DFA caches',
 * which stop growing when it runs out (matches then step the NFA), and the
 * work matches did (one per input byte, one per NFA state stepped), which
 * only the caller bounds.
 */
struct bs_regex_budget {
	size_t nfa_bytes_left;
	size_t cache_bytes_left;
	uint64_t work;
};

/*
 * From now on re takes its memory from budget and adds its work there; its
 * bytes go back when it is freed, so budget must outlive it. -E2BIG when
 * the automaton does not fit in budget->nfa_bytes_left (re is unchanged).
 */
int bs_regex_share_budget(struct bs_regex *re, struct bs_regex_budget *budget);

#endif
