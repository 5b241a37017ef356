/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/diff.h>
#include <bootseal/source.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "diff";

static const char usage[] =
	"usage: bootseal diff [--json] [--raw] [--create-missing-dirs] [--jobs N] A B\n"
	"A and B: a root filesystem directory (bootc's rules), an OCI image (oci:DIR[:TAG],\n"
	"oci-archive:FILE), a composefs image, a dump file (or dir:, cfs:, dump:). Lists what differs, path by path, in\n"
	"the order the composefs digest sees it. Exit 0: same, 1: different, 2: error.\n";

static void source_freep(struct bs_source **s)
{
	bs_source_free(*s);
}

static void json_putp(json_object **o)
{
	json_object_put(*o);
}

static int print_line(void *ctx, const struct bs_diff *d)
{
	(void)ctx;
	cli_put_visible(stdout, d->path, SIZE_MAX);
	printf(": %s", bs_diff_field_name(d->field));
	if (d->name) {
		putchar(' ');
		cli_put_visible(stdout, d->name, SIZE_MAX);
	}
	printf(": %s -> %s\n", d->a, d->b);
	return 0;
}

static int add_json(void *ctx, const struct bs_diff *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", cli_json_name(d->path));
	json_object_object_add(o, "field", json_object_new_string(bs_diff_field_name(d->field)));
	if (d->name)
		json_object_object_add(o, "name", cli_json_name(d->name));
	json_object_object_add(o, "a", json_object_new_string(d->a));
	json_object_object_add(o, "b", json_object_new_string(d->b));
	return json_object_array_add(ctx, o) == 0 ? 0 : -1;
}

int cmd_diff(int argc, char **argv)
{
	struct bs_source_options sopts = { 0 };
	int json = 0, first, r;
	const struct cli_option options[] = {
		CLI_OPTION_JSON(&json),
		{ "raw", 0, CLI_OR, &sopts.flags, BS_SOURCE_RAW },
		{ "create-missing-dirs", 0, CLI_OR, &sopts.flags, BS_SOURCE_CREATE_MISSING },
		CLI_OPTION_JOBS(&sopts.jobs),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 2, 2, "two trees to compare" };
	_cleanup_(source_freep) struct bs_source *a = NULL;
	_cleanup_(source_freep) struct bs_source *b = NULL;
	_cleanup_(json_putp) json_object *list = NULL;
	struct bs_error err = { 0 };
	size_t count = 0;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if ((r = bs_source_open(argv[first], &sopts, &a, &err)) < 0 ||
	    (r = bs_source_open(argv[first + 1], &sopts, &b, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (json)
		list = json_object_new_array();
	r = bs_diff_trees(bs_source_tree(a), bs_source_tree(b), json ? add_json : print_line, list, &count);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "same", json_object_new_boolean(count == 0));
		json_object_object_add(o, "differences", json_object_get(list));
		cli_json_print(o);
	}
	return count ? BS_EXIT_VERIFY_FAILED : BS_EXIT_OK;
}
