/* SPDX-License-Identifier: MIT */
/*
 * For tests/differential/unicode: reads lines "PATTERN_HEX SUBJECT_HEX..."
 * ("_" an empty subject) and prints, per line, "E" when bsi_regex_new
 * refuses the pattern as regex-syntax does (-EINVAL), "X<errno>" for
 * bootseal's other refusals, else one 0/1 per subject (a whole match).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			exit(2);
		out[i] = (uint8_t)v;
	}
	return n;
}

int main(void)
{
	static char line[1 << 20];
	static uint8_t buf[1 << 19];

	while (fgets(line, sizeof(line), stdin)) {
		struct bs_regex *re;
		char *save, *tok;
		size_t n;
		int r;

		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " ", &save);
		if (!tok)
			continue;
		n = unhex(tok, buf);
		buf[n] = '\0';
		r = bsi_regex_new((const char *)buf, &re);
		if (r < 0) {
			if (r == -EINVAL)
				printf("E\n");
			else
				printf("X%d\n", -r);
			continue;
		}
		while ((tok = strtok_r(NULL, " ", &save))) {
			size_t m = strcmp(tok, "_") ? unhex(tok, buf) : 0;

			putchar(bsi_regex_matches(re, buf, m) ? '1' : '0');
		}
		putchar('\n');
		bsi_regex_free(re);
	}
	return 0;
}
