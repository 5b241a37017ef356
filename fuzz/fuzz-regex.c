/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for lib/regex-parse.c and lib/regex.c (the regex-syntax
 * dialect selabel reads file_contexts in): the input is a pattern, NUL, then
 * subjects separated by NUL. Aborts when the two ways of compiling a pattern
 * disagree on whether it compiles, when a whole match is not also a prefix
 * match, when the leftmost-first end (the Pike VM) and the prefix match
 * (the DFA) disagree on whether there is one, or when an answer changes
 * once the DFA cache holds it; ASan and
 * UBSan catch the rest. The PCRE2 translation is fed the same pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size), *p, *end = data + size;
	struct bs_regex *whole = NULL, *prefix = NULL;
	char *pattern = NULL, *compat = NULL;
	pcre2_code *code;
	PCRE2_SIZE erroff;
	int errcode, r1, r2;

	if (!nul)
		return 0;
	pattern = strndup((const char *)data, (size_t)(nul - data));
	if (!pattern)
		return 0;
	compat = bsi_regex_pcre2_compat(pattern);
	if (compat) {
		code = pcre2_compile((PCRE2_SPTR)compat, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
		pcre2_code_free(code);
	}
	r1 = bsi_regex_new(pattern, &whole);
	r2 = bsi_regex_new_prefix(pattern, &prefix);
	if ((r1 == 0) != (r2 == 0) && r1 != -ENOMEM && r2 != -ENOMEM) {
		fprintf(stderr, "'%s': bsi_regex_new %d, bsi_regex_new_prefix %d\n", pattern, r1, r2);
		abort();
	}
	for (p = nul + 1; whole && prefix && p <= end;) {
		const uint8_t *stop = memchr(p, '\0', (size_t)(end - p));
		size_t len = (size_t)((stop ? stop : end) - p);
		int w = bsi_regex_matches(whole, p, len), pre = bsi_regex_matches(prefix, p, len);

		if (w && !pre) {
			fprintf(stderr, "'%s' on %zu bytes: a whole match, no prefix match\n", pattern, len);
			abort();
		}
		/* the leftmost-first end exists exactly when a prefix matches */
		if ((bsi_regex_first_end(prefix, p, len) >= 0) != pre) {
			fprintf(stderr, "'%s' on %zu bytes: first end disagrees with the prefix match\n", pattern, len);
			abort();
		}
		if (bsi_regex_matches(whole, p, len) != w || bsi_regex_matches(prefix, p, len) != pre) {
			fprintf(stderr, "'%s' on %zu bytes: another answer the second time\n", pattern, len);
			abort();
		}
		p += len + 1;
	}
	bsi_regex_free(whole);
	bsi_regex_free(prefix);
	free(compat);
	free(pattern);
	return 0;
}
