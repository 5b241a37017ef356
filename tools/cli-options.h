/* SPDX-License-Identifier: MIT */
/*
 * Every command's options as a table: what each takes, where its value goes
 * and how it is checked. Values are checked as they are read, so a bad
 * --level or --jobs is refused before any work starts, in the same words
 * for every command. -h and --help come with every table.
 */
#ifndef BOOTSEAL_CLI_OPTIONS_H
#define BOOTSEAL_CLI_OPTIONS_H

#include <stddef.h>

struct cli_option;

/* What an option does with its value; the kind also says whether it takes one. */
enum cli_option_kind {
	CLI_SET,         /* no value: *(int *)dest = value */
	CLI_OR,          /* no value: *(unsigned *)dest |= value */
	CLI_STRING,      /* *(const char **)dest = the value; the last one counts */
	CLI_LIST,        /* appended to the struct cli_list at dest */
	CLI_JOBS,        /* *(size_t *)dest: a count of threads, 1 to 4096 */
	CLI_COMPRESSION, /* *(enum bs_oci_compression *)dest: gzip, zstd or none */
	CLI_LEVEL,       /* *(int *)dest: a compression level, 1 to 19 */
	CLI_KEY,         /* the struct cli_key at dest: a key spec as given */
	CLI_KEY_FD,      /* the same, from a descriptor number: fd:N */
	CLI_KEY_ENV,     /* the same, from an environment variable's name: env:NAME */
	CLI_CALL,        /* call(cmd, option, value) */
};

struct cli_option {
	const char *name;        /* the long name, without "--"; "": a short option only */
	int short_name;          /* 0: none */
	enum cli_option_kind kind;
	void *dest;
	int value;               /* CLI_SET, CLI_OR: what is stored; CLI_CALL: the call's own */
	/* CLI_CALL: 0 when the value is taken, else the exit code after a message. */
	int (*call)(const char *cmd, const struct cli_option *option, const char *value);
	int optional_value;      /* CLI_STRING, CLI_CALL: "--name=VALUE" or "--name" alone (NULL) */
};

/* Repeated options in the order given (--karg, --initrd); cli_list_done frees the array only. */
struct cli_list {
	const char **items;
	size_t n;
};
void cli_list_done(struct cli_list *list);

/* --key PATH|fd:N|env:NAME|URI, or its short forms --key-fd N and --key-env NAME. */
struct cli_key {
	const char *spec;        /* NULL: none given */
	char buf[256];
};

#define CLI_OPTION_JSON(dest) { "json", 0, CLI_SET, (dest), 1, NULL, 0 }
#define CLI_OPTION_QUIET(dest) { "quiet", 'q', CLI_SET, (dest), 1, NULL, 0 }
#define CLI_OPTION_JOBS(dest) { "jobs", 'j', CLI_JOBS, (dest), 0, NULL, 0 }
#define CLI_OPTION_COMPRESSION(dest) { "compression", 0, CLI_COMPRESSION, (dest), 0, NULL, 0 }
#define CLI_OPTION_LEVEL(dest) { "level", 0, CLI_LEVEL, (dest), 0, NULL, 0 }
#define CLI_OPTIONS_KEY(dest)                                    \
	{ "key", 0, CLI_KEY, (dest), 0, NULL, 0 },               \
	{ "key-fd", 0, CLI_KEY_FD, (dest), 0, NULL, 0 },         \
	{ "key-env", 0, CLI_KEY_ENV, (dest), 0, NULL, 0 }
#define CLI_OPTION_END { NULL, 0, CLI_SET, NULL, 0, NULL, 0 }

struct cli_command {
	const char *name;                  /* as in messages: "seal", "ukify build" */
	const char *usage;                 /* what --help prints */
	const struct cli_option *options;  /* ends with CLI_OPTION_END */
	int min_operands, max_operands;    /* max -1: no limit */
	const char *operands;              /* named when their count is wrong: "SRC [DEST]" */
	int stop_at_operand;               /* options after the first operand belong to a subcommand */
};

/* cli_parse's answer when the command goes on. */
#define CLI_PROCEED (-1)

/*
 * Reads argv's options into their destinations and checks the number of
 * operands. Returns CLI_PROCEED with *first the index of the first operand,
 * or the exit code the command returns at once: BS_EXIT_OK after --help,
 * BS_EXIT_BAD_INPUT after a one-line usage error.
 */
int cli_parse(const struct cli_command *command, int argc, char **argv, int *first);

#endif
