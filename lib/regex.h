/* SPDX-License-Identifier: MIT */
/* Internal: linear-time byte regexes for selabel; not part of the public API. */
#ifndef BOOTSEAL_REGEX_H
#define BOOTSEAL_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A regex in the dialect composefs-rs matches file_contexts with: Rust's
 * regex-syntax with Unicode off, bytes (not UTF-8) matched, NUL as the line
 * terminator (regex-parse.c says what that is in full), with the Unicode
 * 16.0.0 tables of regex-syntax 0.8.11 where a pattern turns Unicode on. Matching is a lazily
 * built DFA over a Thompson NFA: time linear in the input whatever the
 * pattern, as regex-automata's lazy DFA, where PCRE2 may backtrack.
 */
struct bs_regex;

/*
 * Compiles a NUL-terminated pattern. -EINVAL: regex-syntax refuses it (where
 * composefs-rs tries PCRE2); -EOPNOTSUPP: a capture group name with
 * non-ASCII characters (regex-syntax checks those with Rust's
 * char::is_alphabetic, of the Unicode version of the compiler that built
 * bootc); -ENOEXEC: regex-syntax accepts it but regex-automata's lazy
 * DFA refuses it (Unicode word boundaries); -E2BIG: larger than the
 * automaton limits (repetition counts, states, nesting); -ENOMEM.
 */
int bsi_regex_new(const char *pattern, struct bs_regex **out);

/*
 * The same, for a regex that matches when it matches a prefix of the input,
 * as an anchored search of regex-automata reports a match.
 */
int bsi_regex_new_prefix(const char *pattern, struct bs_regex **out);
void bsi_regex_free(struct bs_regex *re);

/*
 * 1 when the whole of s matches (a prefix of it for bsi_regex_new_prefix),
 * else 0. Never fails: without memory for its DFA cache it steps the NFA directly.
 * Not thread-safe (the cache is filled as it goes).
 */
int bsi_regex_matches(struct bs_regex *re, const uint8_t *s, size_t len);

/*
 * Where the match composefs-rs's DFA reports ends: the one a backtracking
 * engine finds first (leftmost-first), from the start of s, ending anywhere
 * (any end a bsi_regex_new_prefix regex allows); -1 for none. Steps the NFA
 * (time: len times its size), for the rare lookups that need the end.
 */
long bsi_regex_first_end(struct bs_regex *re, const uint8_t *s, size_t len);

/*
 * What the regexes of one policy may still take, so that a hostile one
 * (millions of lines, patterns made to fill caches) is bounded: the
 * automata's memory, which bsi_regex_share_budget charges, the DFA caches',
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
int bsi_regex_share_budget(struct bs_regex *re, struct bs_regex_budget *budget);

/*
 * Whether the pattern can match without consuming a byte, whatever its
 * assertions say (regex-automata's NFA has_empty).
 */
bool bsi_regex_may_be_empty(const struct bs_regex *re);

/*
 * The pattern to give Debian 12's PCRE2 (10.42) for the meaning newer ones
 * (composefs-rs's) give it. NULL without memory; free() it.
 */
char *bsi_regex_pcre2_compat(const char *pattern);

#endif
