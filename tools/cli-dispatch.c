/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cli-dispatch.h"
#include "cli.h"

/* "a, b or c" */
static void list_names(const struct cli_subcommand *subs, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; subs[i].name && used < size; i++) {
		const char *sep = i == 0 ? "" : subs[i + 1].name ? ", " : " or ";
		int n = snprintf(buf + used, size - used, "%s%s", sep, subs[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int cli_dispatch(const char *parent, const char *usage, const struct cli_subcommand *subs, int argc,
		 char **argv)
{
	char names[256];

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return BS_EXIT_OK;
	}
	for (size_t i = 0; argc >= 2 && subs[i].name; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return cli_run_subcommand(parent, argc, argv, subs[i].run);
	list_names(subs, names, sizeof(names));
	if (argc < 2)
		return cli_fail(parent, "missing subcommand: %s (see --help)", names);
	return cli_fail(parent, "unknown subcommand '%s': %s (see --help)", argv[1], names);
}
