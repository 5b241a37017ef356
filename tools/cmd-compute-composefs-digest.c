/* SPDX-License-Identifier: MIT */
/* bootc container compute-composefs-digest, with bootc's name, flag and output. */
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
#include "cli-options.h"
#include "cli.h"

static const char cmd[] = "compute-composefs-digest";

static const char usage[] =
	"usage: bootseal compute-composefs-digest [--write-dumpfile-to FILE]\n"
	"                                         [--create-missing-dirs] [--jobs N] [--json] [--quiet]\n"
	"                                         [ROOTFS]\n"
	"Prints the composefs digest bootc computes for ROOTFS (default /target).\n"
	"ROOTFS may also be an image, oci:DIR[:TAG] or oci-archive:FILE: its layers\n"
	"are flattened as they stream, nothing is extracted.\n"
	"Progress is shown on stderr when it is a terminal, unless --quiet.\n";

struct digest_args {
	struct bs_rootfs_options ropts;
	unsigned bootc_flags;
	const char *dumpfile;
	int json, quiet;
};

/* An image's layers, flattened as they stream: the digest its seal gets. */
static int image_digest(const char *rootfs, const struct digest_args *a, struct cli_progress *progress,
			uint8_t *digest, struct bs_error *err)
{
	struct bs_source_options sopts = {
		.jobs = a->ropts.jobs,
		.flags = a->bootc_flags & BS_BOOTC_CREATE_MISSING ? BS_SOURCE_CREATE_MISSING : 0,
		.progress = a->ropts.progress,
		.progress_ctx = a->ropts.progress_ctx,
	};
	struct bs_source *src = NULL;
	int r;

	r = bs_source_open(rootfs, &sopts, &src, err);
	if (r >= 0)
		r = bs_composefs_tree_digest(bs_source_tree(src), digest, err);
	cli_progress_end(progress);
	if (r >= 0 && a->dumpfile)
		r = cli_write_dumpfile(bs_source_tree(src), a->dumpfile, BS_DUMP_COMPOSEFS_RS, err);
	bs_source_free(src);
	return r;
}

static int dir_digest(const char *rootfs, const struct digest_args *a, struct cli_progress *progress,
		      uint8_t *digest, struct bs_error *err)
{
	struct bs_tree *tree = NULL;
	int r;

	r = bs_composefs_dir_digest(rootfs, &a->ropts, a->bootc_flags, digest, a->dumpfile ? &tree : NULL, NULL,
				    err);
	cli_progress_end(progress);
	if (r >= 0 && a->dumpfile)
		r = cli_write_dumpfile(tree, a->dumpfile, BS_DUMP_COMPOSEFS_RS, err);
	bs_tree_free(tree);
	return r;
}

static void print_digest(const char *rootfs, const struct digest_args *a, const char *hex)
{
	json_object *o;

	if (!a->json) {
		printf("%s\n", hex);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "digest", json_object_new_string(hex));
	json_object_object_add(o, "rootfs", cli_json_name(rootfs));
	if (a->dumpfile)
		json_object_object_add(o, "dumpfile", cli_json_name(a->dumpfile));
	cli_json_print(o);
}

int cmd_compute_composefs_digest(int argc, char **argv)
{
	struct digest_args a = { 0 };
	const struct cli_option options[] = {
		{ "write-dumpfile-to", 0, CLI_STRING, &a.dumpfile },
		{ "create-missing-dirs", 0, CLI_OR, &a.bootc_flags, BS_BOOTC_CREATE_MISSING },
		CLI_OPTION_JOBS(&a.ropts.jobs),
		CLI_OPTION_JSON(&a.json),
		{ "quiet", 0, CLI_SET, &a.quiet, 1 },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 0, 1, "at most one ROOTFS" };
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	char hex[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	struct bs_error err = { 0 };
	struct cli_progress progress;
	const char *rootfs;
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	rootfs = first < argc ? argv[first] : "/target";
	/* bootc refuses the running system's root; so do we. */
	if (strcmp(rootfs, "/") == 0)
		return cli_fail(cmd, "cannot operate on the active root filesystem; pass the image's rootfs");
	if (cli_progress_init(&progress, a.quiet)) {
		a.ropts.progress = cli_progress_show;
		a.ropts.progress_ctx = &progress;
	}
	if (strncmp(rootfs, "oci:", 4) == 0 || strncmp(rootfs, "oci-archive:", 12) == 0)
		r = image_digest(rootfs, &a, &progress, digest, &err);
	else
		r = dir_digest(rootfs, &a, &progress, digest, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	bs_hex_encode(digest, sizeof(digest), hex);
	print_digest(rootfs, &a, hex);
	return BS_EXIT_OK;
}
