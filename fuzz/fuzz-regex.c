/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for lib/regex.c, differential: the input is a pattern,
 * NUL, then subjects separated by NUL. A pattern bs_regex_new accepts must
 * compile in PCRE2 (DOTALL | DOLLAR_ENDONLY, as ^(?:PATTERN)$, the dialect
 * selabel used it for) and give the same answer on every subject, else the
 * target aborts: selabel trusts regex.c to change speed, never a label.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Enough for PCRE2 on short subjects of any pattern regex.c accepts but a
 * backtracking one; those are skipped, not compared. */
#define ORACLE_LIMIT 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size), *p, *end = data + size;
	char *pattern = NULL, *anchored = NULL;
	pcre2_match_context *mctx = NULL;
	pcre2_match_data *md = NULL;
	struct bs_regex *re = NULL;
	pcre2_code *code = NULL;
	PCRE2_SIZE erroff;
	int errcode;

	if (!nul)
		return 0;
	pattern = strndup((const char *)data, (size_t)(nul - data));
	if (!pattern || bs_regex_new(pattern, &re) < 0 || asprintf(&anchored, "^(?:%s)$", pattern) < 0)
		goto out;
	code = pcre2_compile((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED,
			     PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &errcode, &erroff, NULL);
	if (!code) {
		fprintf(stderr, "regex.c accepted '%s', PCRE2 refuses it (error %d)\n", pattern, errcode);
		abort();
	}
	md = pcre2_match_data_create(1, NULL);
	mctx = pcre2_match_context_create(NULL);
	if (!md || !mctx)
		goto out;
	pcre2_set_match_limit(mctx, ORACLE_LIMIT);
	for (p = nul + 1; p <= end;) {
		const uint8_t *stop = memchr(p, '\0', (size_t)(end - p));
		size_t len = (size_t)((stop ? stop : end) - p);
		int rc = pcre2_match(code, p, len, 0, 0, md, mctx);
		int got = bs_regex_matches(re, p, len);

		if ((rc >= 0 || rc == PCRE2_ERROR_NOMATCH) && got != (rc >= 0)) {
			fprintf(stderr, "'%s' on %zu bytes: PCRE2 %d, regex.c %d\n", pattern, len, rc >= 0,
				got);
			abort();
		}
		p += len + 1;
	}
out:
	pcre2_match_context_free(mctx);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	bs_regex_free(re);
	free(anchored);
	free(pattern);
	return 0;
}
