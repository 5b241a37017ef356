/* SPDX-License-Identifier: MIT */
/*
 * For tests/differential/lookbehind: PATTERN SUBJECT... -> "pcre" and a 0/1
 * per subject, or "err" and 0s, as selabel's PCRE2 path (Debian 12's 10.42,
 * through bsi_regex_pcre2_compat) answers. SHOW=1 prints the rewrite.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
char *bsi_regex_pcre2_compat(const char *pattern);
int main(int argc, char **argv) {
	int e; PCRE2_SIZE off; PCRE2_UCHAR msg[200];
	char *c2 = bsi_regex_pcre2_compat(argv[1]);
	if (getenv("SHOW")) fprintf(stderr, "%s\n", c2);
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)c2, PCRE2_ZERO_TERMINATED, 0, &e, &off, NULL);
	if (!c) { pcre2_get_error_message(e, msg, 200); printf("err "); for (int i = 2; i < argc; i++) printf("0 "); printf("\n"); return 0; }
	printf("pcre ");
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	for (int i = 2; i < argc; i++) printf("%d ", pcre2_match(c, (PCRE2_SPTR)argv[i], strlen(argv[i]), 0, 0, md, NULL) >= 0);
	printf("\n"); return 0; }
