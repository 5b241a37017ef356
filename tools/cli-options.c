/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootseal/oci.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli.h"

/* No command has half as many; a longer table is a programming error caught by the tests. */
#define MAX_OPTIONS 64
/* getopt's answer for a long-only option: this plus its index in the table. */
#define LONG_ONLY_BASE 0x10000
#define HELP_CODE (LONG_ONLY_BASE - 1)

void cli_list_done(struct cli_list *list)
{
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

static int list_append(const char *cmd, const struct cli_option *o, const char *value)
{
	struct cli_list *list = o->dest;
	const char **items = realloc(list->items, (list->n + 1) * sizeof(*items));

	if (!items)
		return cli_report(cmd, NULL, -ENOMEM);
	items[list->n++] = value;
	list->items = items;
	return 0;
}

static int parse_compression(const char *cmd, const char *value, enum bs_oci_compression *out)
{
	if (strcmp(value, "gzip") == 0)
		*out = BS_OCI_GZIP;
	else if (strcmp(value, "zstd") == 0)
		*out = BS_OCI_ZSTD;
	else if (strcmp(value, "none") == 0)
		*out = BS_OCI_UNCOMPRESSED;
	else
		return cli_fail(cmd, "unknown compression '%s' (gzip, zstd or none)", value);
	return 0;
}

static int parse_jobs(const char *cmd, const char *value, size_t *jobs)
{
	unsigned long n;

	if (cli_parse_ulong(value, 1, 4096, &n) < 0)
		return cli_fail(cmd, "invalid job count '%s'", value);
	*jobs = n;
	return 0;
}

static int parse_level(const char *cmd, const char *value, int *level)
{
	unsigned long l;

	if (cli_parse_ulong(value, 1, 19, &l) < 0)
		return cli_fail(cmd, "invalid compression level '%s' (1 to 19)", value);
	*level = (int)l;
	return 0;
}


static int set_key(const char *cmd, const struct cli_option *o, const char *value)
{
	struct cli_key *key = o->dest;
	const char *scheme = o->kind == CLI_KEY_FD ? "fd" : "env";

	if (o->kind == CLI_KEY) {
		key->spec = value;
		return 0;
	}
	/* A name cut short would read another variable. */
	if ((size_t)snprintf(key->buf, sizeof(key->buf), "%s:%s", scheme, value) >= sizeof(key->buf))
		return cli_fail(cmd, "--%s '%s' is too long", o->name, value);
	key->spec = key->buf;
	return 0;
}

static int take(const char *cmd, const struct cli_option *o, const char *value)
{
	switch (o->kind) {
	case CLI_SET:
		*(int *)o->dest = o->value;
		return 0;
	case CLI_OR:
		*(unsigned *)o->dest |= (unsigned)o->value;
		return 0;
	case CLI_STRING:
		*(const char **)o->dest = value;
		return 0;
	case CLI_LIST:
		return list_append(cmd, o, value);
	case CLI_JOBS:
		return parse_jobs(cmd, value, o->dest);
	case CLI_COMPRESSION:
		return parse_compression(cmd, value, o->dest);
	case CLI_LEVEL:
		return parse_level(cmd, value, o->dest);
	case CLI_KEY:
	case CLI_KEY_FD:
	case CLI_KEY_ENV:
		return set_key(cmd, o, value);
	case CLI_CALL:
		return o->call(cmd, o, value);
	}
	return BS_EXIT_BAD_INPUT;
}

static int takes_value(const struct cli_option *o)
{
	if (o->optional_value)
		return optional_argument;
	return o->kind == CLI_SET || o->kind == CLI_OR ? no_argument : required_argument;
}

/* getopt's tables from ours: a short name is its own code, a long-only one LONG_ONLY_BASE + index. */
static void build_tables(const struct cli_option *opts, struct option *longs, char *shorts, int stop)
{
	size_t n = 0, l = 0, s = 0;

	if (stop)
		shorts[s++] = '+';
	shorts[s++] = 'h';
	for (; opts[n].name; n++) {
		int has = takes_value(&opts[n]);

		/* A name "" is a short option only (ukify inspect's -j). */
		if (opts[n].name[0])
			longs[l++] = (struct option){ opts[n].name, has, NULL,
						      opts[n].short_name ? opts[n].short_name : LONG_ONLY_BASE + (int)n };
		if (opts[n].short_name) {
			shorts[s++] = (char)opts[n].short_name;
			if (has != no_argument)
				shorts[s++] = ':';
			if (has == optional_argument)
				shorts[s++] = ':';
		}
	}
	longs[l++] = (struct option){ "help", no_argument, NULL, HELP_CODE };
	longs[l] = (struct option){ 0 };
	shorts[s] = '\0';
}

static const struct cli_option *find(const struct cli_option *opts, int code)
{
	if (code >= LONG_ONLY_BASE)
		return &opts[code - LONG_ONLY_BASE];
	for (size_t i = 0; opts[i].name; i++)
		if (opts[i].short_name == code)
			return &opts[i];
	return NULL;
}

static int check_operands(const struct cli_command *c, int count, char **operands)
{
	if (count >= c->min_operands && (c->max_operands < 0 || count <= c->max_operands))
		return CLI_PROCEED;
	if (c->max_operands == 0)
		return cli_fail(c->name, "unexpected argument '%s' (see --help)", operands[0]);
	return cli_fail(c->name, "expected %s (see --help)", c->operands);
}

int cli_parse(const struct cli_command *c, int argc, char **argv, int *first)
{
	struct option longs[MAX_OPTIONS + 2];
	char shorts[3 * MAX_OPTIONS + 3];
	const struct cli_option *o;
	size_t n = 0;
	int code, r;

	while (c->options[n].name)
		n++;
	if (n > MAX_OPTIONS)
		return cli_fail(c->name, "internal error: %zu options, %d at most", n, MAX_OPTIONS);
	build_tables(c->options, longs, shorts, c->stop_at_operand);
	/* 0, not 1: glibc then reads '+' again, for a second parse in one process
	 * (container ukify, then its ukify build). */
	optind = 0;
	while ((code = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (code == 'h' || code == HELP_CODE) {
			fputs(c->usage, stdout);
			return BS_EXIT_OK;
		}
		o = find(c->options, code);
		/* getopt has printed what was wrong with an unknown option or a missing value. */
		if (!o)
			return BS_EXIT_BAD_INPUT;
		if ((r = take(c->name, o, optarg)))
			return r;
	}
	*first = optind;
	return check_operands(c, argc - optind, argv + optind);
}
