/* SPDX-License-Identifier: MIT */
/*
 * Commands made of subcommands (`ukify build`, `auth sign`, `esl list`):
 * one way to pick the subcommand, print the usage, and name the
 * subcommands that exist when none or an unknown one is given.
 */
#ifndef BOOTSEAL_CLI_DISPATCH_H
#define BOOTSEAL_CLI_DISPATCH_H

struct cli_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);  /* argv[0]: "bootseal: PARENT NAME", for getopt */
};

/*
 * Runs the subcommand argv[1] of PARENT (subs ends with a NULL name)
 * through cli_run_subcommand; -h and --help print usage. Without one, or
 * with one that is not in subs: one line naming those there are, exit 2.
 */
int cli_dispatch(const char *parent, const char *usage, const struct cli_subcommand *subs, int argc,
		 char **argv);

#endif
