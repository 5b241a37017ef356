/* SPDX-License-Identifier: MIT */
/* bootc container compute-composefs-digest, with bootc's name, flag and output. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/bootc.h>
#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/source.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "compute-composefs-digest";

static void help(void)
{
	printf("usage: bootseal compute-composefs-digest [--write-dumpfile-to FILE]\n"
	       "                                         [--create-missing-dirs] [--jobs N] [--json] [--quiet]\n"
	       "                                         [ROOTFS]\n"
	       "Prints the composefs digest bootc computes for ROOTFS (default /target).\n"
	       "ROOTFS may also be an image, oci:DIR[:TAG] or oci-archive:FILE: its layers\n"
	       "are flattened as they stream, nothing is extracted.\n"
	       "Progress is shown on stderr when it is a terminal, unless --quiet.\n");
}

int cmd_compute_composefs_digest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "write-dumpfile-to", required_argument, NULL, 'w' },
		{ "create-missing-dirs", no_argument, NULL, 'c' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_rootfs_options ropts = { 0 };
	unsigned bootc_flags = 0;
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	char hex[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	struct bs_error err = { 0 };
	struct bs_tree *tree = NULL;
	const char *dumpfile = NULL, *rootfs = "/target";
	struct cli_progress progress;
	int json = 0, quiet = 0, c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			dumpfile = optarg;
			break;
		case 'c':
			bootc_flags |= BS_BOOTC_CREATE_MISSING;
			break;
		case 'J':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			if (cli_parse_jobs(cmd, optarg, &ropts.jobs) < 0)
				return BS_EXIT_BAD_INPUT;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (optind < argc)
		rootfs = argv[optind++];
	if (optind < argc)
		return cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
	/* bootc refuses the running system's root; so do we. */
	if (strcmp(rootfs, "/") == 0)
		return cli_fail(cmd, "cannot operate on the active root filesystem; pass the image's rootfs");

	if (cli_progress_init(&progress, quiet)) {
		ropts.progress = cli_progress_show;
		ropts.progress_ctx = &progress;
	}
	if (strncmp(rootfs, "oci:", 4) == 0 || strncmp(rootfs, "oci-archive:", 12) == 0) {
		/* An image's layers, flattened as they stream: the digest its seal gets. */
		struct bs_source_options sopts = {
			.jobs = ropts.jobs,
			.flags = bootc_flags & BS_BOOTC_CREATE_MISSING ? BS_SOURCE_CREATE_MISSING : 0,
			.progress = ropts.progress,
			.progress_ctx = ropts.progress_ctx,
		};
		struct bs_source *src = NULL;

		r = bs_source_open(rootfs, &sopts, &src, &err);
		if (r >= 0)
			r = bs_composefs_tree_digest(bs_source_tree(src), digest, &err);
		cli_progress_end(&progress);
		if (r >= 0 && dumpfile)
			r = cli_write_dumpfile(bs_source_tree(src), dumpfile, BS_DUMP_COMPOSEFS_RS, &err);
		bs_source_free(src);
	} else {
		r = bs_composefs_dir_digest(rootfs, &ropts, bootc_flags, digest, dumpfile ? &tree : NULL, NULL,
					    &err);
		cli_progress_end(&progress);
		if (r >= 0 && dumpfile)
			r = cli_write_dumpfile(tree, dumpfile, BS_DUMP_COMPOSEFS_RS, &err);
		bs_tree_free(tree);
	}
	if (r < 0)
		return cli_report(cmd, &err, r);
	bs_hex_encode(digest, sizeof(digest), hex);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "digest", json_object_new_string(hex));
		json_object_object_add(o, "rootfs", cli_json_name(rootfs));
		if (dumpfile)
			json_object_object_add(o, "dumpfile", cli_json_name(dumpfile));
		cli_json_print(o);
	} else {
		printf("%s\n", hex);
	}
	return BS_EXIT_OK;
}
