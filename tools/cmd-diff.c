/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/diff.h>
#include <bootseal/source.h>

#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "diff";

static void help(void)
{
	printf("usage: bootseal diff [--json] [--raw] [--create-missing-dirs] [--jobs N] A B\n"
	       "A and B: a root filesystem directory (bootc's rules), an OCI image (oci:DIR[:TAG],\n"
	       "oci-archive:FILE), a composefs image, a dump file (or dir:, cfs:, dump:). Lists what differs, path by path, in\n"
	       "the order the composefs digest sees it. Exit 0: same, 1: different, 2: error.\n");
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
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "raw", no_argument, NULL, 'r' },
		{ "create-missing-dirs", no_argument, NULL, 'c' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_source_options sopts = { 0 };
	struct bs_source *a = NULL, *b = NULL;
	struct bs_error err = { 0 };
	json_object *list = NULL;
	size_t count = 0;
	int json = 0, c, r, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			json = 1;
			break;
		case 'r':
			sopts.flags |= BS_SOURCE_RAW;
			break;
		case 'c':
			sopts.flags |= BS_SOURCE_CREATE_MISSING;
			break;
		case 'j':
			if (cli_parse_jobs(cmd, optarg, &sopts.jobs) < 0)
				return BS_EXIT_BAD_INPUT;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (argc - optind != 2)
		return cli_fail(cmd, "expected two trees to compare (see --help)");
	r = bs_source_open(argv[optind], &sopts, &a, &err);
	if (r >= 0)
		r = bs_source_open(argv[optind + 1], &sopts, &b, &err);
	if (r >= 0 && json)
		list = json_object_new_array();
	if (r >= 0)
		r = bs_diff_trees(bs_source_tree(a), bs_source_tree(b), json ? add_json : print_line, list, &count);
	if (r < 0) {
		status = cli_report(cmd, &err, r);
	} else {
		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "same", json_object_new_boolean(count == 0));
			json_object_object_add(o, "differences", json_object_get(list));
			cli_json_print(o);
		}
		status = count ? BS_EXIT_VERIFY_FAILED : BS_EXIT_OK;
	}
	json_object_put(list);
	bs_source_free(a);
	bs_source_free(b);
	return status;
}
