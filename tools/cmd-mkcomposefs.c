/* SPDX-License-Identifier: MIT */
/* Images are byte-identical to C mkcomposefs (v1.0.8) for versions 0 and 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/dump.h>
#include <bootseal/atomicfile.h>
#include <bootseal/erofs.h>
#include <bootseal/fsverity.h>
#include <bootseal/rootfs.h>
#include <bootseal/store.h>
#include <bootseal/tree.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-values.h"
#include "cli.h"

static const char cmd[] = "mkcomposefs";

static const char usage[] =
	"usage: bootseal mkcomposefs [--format v0|v1|v2] [--hash sha256|sha512]\n"
	"                            [--min-version N] [--max-version N] [--from-file]\n"
	"                            [--digest-store DIR] [--print-digest] [--json]\n"
	"                            [--use-epoch] [--skip-xattrs] [--user-xattrs] [--threads N] SRC IMAGE\n"
	"       bootseal mkcomposefs --print-digest-only [OPTIONS] SRC\n"
	"\n"
	"SRC is a directory (read as composefs-rs reads a root filesystem; external\n"
	"files are copied into --digest-store DIR/xx/yyyy when given), or with\n"
	"--from-file a composefs dump file ('-' for stdin).\n"
	"Without --format: versions 0..1 as C mkcomposefs (1 only if the tree has\n"
	"a whiteout). bootc writes --format v1 --hash sha512.\n"
	"--use-epoch: every mtime 0; --skip-xattrs: no xattrs; --user-xattrs: only user.*\n"
	"(directories only). --threads N: hash on N threads. --print-digest-only: print\n"
	"the image's digest without writing it.\n";

struct mkcomposefs_args {
	struct bs_erofs_options eo;
	const char *store;              /* --digest-store: only with a directory, a dump names its objects */
	unsigned read_flags;            /* BS_ROOTFS_*: how a directory is read */
	size_t threads;
	int json, from_file, print_digest, digest_only;
	int format_set, min_set, max_set;
};

static int take_format(const char *command, const struct cli_option *o, const char *value)
{
	struct mkcomposefs_args *a = o->dest;

	if (strcmp(value, "v0") && strcmp(value, "v1") && strcmp(value, "v2"))
		return cli_fail(command, "unknown format '%s' (v0, v1 or v2)", value);
	a->eo.min_version = a->eo.max_version = (unsigned)(value[1] - '0');
	a->format_set = 1;
	return 0;
}

/* --min-version (o->value 0) and --max-version (1). */
static int take_version(const char *command, const struct cli_option *o, const char *value)
{
	struct mkcomposefs_args *a = o->dest;
	unsigned long v;

	if (cli_parse_ulong(value, 0, BS_EROFS_VERSION_MAX, &v) < 0)
		return cli_fail(command, "invalid %s version '%s'", o->value ? "max" : "min", value);
	if (o->value) {
		a->eo.max_version = (unsigned)v;
		a->max_set = 1;
	} else {
		a->eo.min_version = (unsigned)v;
		a->min_set = 1;
	}
	return 0;
}

static int take_threads(const char *command, const struct cli_option *o, const char *value)
{
	unsigned long v;

	if (cli_parse_ulong(value, 1, 4096, &v) < 0)
		return cli_fail(command, "invalid --threads '%s' (1 to 4096)", value);
	*(size_t *)o->dest = (size_t)v;
	return 0;
}

/* What the options say together, and the operands they call for. */
static int check_args(struct mkcomposefs_args *a, int operands)
{
	if (a->format_set && (a->min_set || a->max_set))
		return cli_fail(cmd, "--format cannot be combined with --min-version/--max-version");
	/* mkcomposefs: giving either bound replaces both defaults (the other is 0). */
	if (a->min_set && !a->max_set)
		a->eo.max_version = a->eo.min_version;
	if (a->max_set && !a->min_set)
		a->eo.min_version = 0;
	if (a->digest_only && operands == 2)
		return cli_fail(cmd, "--print-digest-only writes no IMAGE; give SRC only");
	if (operands != 2 - a->digest_only)
		return cli_fail(cmd, a->digest_only ? "expected SRC (see --help)" : "expected SRC and IMAGE (see --help)");
	if (a->from_file && a->read_flags)
		return cli_fail(cmd, "--use-epoch, --skip-xattrs and --user-xattrs read a directory, not --from-file");
	/* The report carries the digest. */
	if (a->json || a->digest_only)
		a->print_digest = 1;
	return 0;
}

static int read_dump(const char *src, struct bs_tree **tree)
{
	_cleanup_close_ int fd = -1;
	struct bs_error err = { 0 };
	int r;

	if (strcmp(src, "-") == 0) {
		r = bs_dump_parse_fd(STDIN_FILENO, "<stdin>", tree, &err);
	} else {
		fd = open(src, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(cmd, "%s: cannot open: %s", src, strerror(errno));
		r = bs_dump_parse_fd(fd, src, tree, &err);
	}
	return r < 0 ? cli_report(cmd, &err, r) : 0;
}

static int read_dir(const struct mkcomposefs_args *a, const char *src, struct bs_tree **tree)
{
	/* mkcomposefs inlines files of at most 64 bytes (the size of a
	 * digest) and references the rest by fs-verity digest. */
	struct bs_rootfs_options ro = { .hash_alg = a->eo.hash_alg, .inline_max = 64,
					.jobs = a->threads, .flags = a->read_flags };
	struct bs_error err = { 0 };
	int r;

	r = bs_rootfs_read(src, &ro, tree, NULL, &err);
	if (r >= 0 && a->store)
		r = bs_store_fill(*tree, src, a->store, 0, &err);
	return r < 0 ? cli_report(cmd, &err, r) : 0;
}

static int print_digest(const struct mkcomposefs_args *a, const char *dst, const uint8_t *image, size_t size)
{
	char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];
	int r;

	if ((r = cli_fsverity_hex(a->eo.hash_alg, image, size, hex)) < 0)
		return cli_report(cmd, NULL, r);
	if (a->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "image", dst ? json_object_new_string(dst) : NULL);
		json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
		json_object_object_add(o, "hash", json_object_new_string(bs_hash_alg_name(a->eo.hash_alg)));
		json_object_object_add(o, "digest", json_object_new_string(hex));
		cli_json_print(o);
	} else {
		printf("%s\n", hex);
	}
	return BS_EXIT_OK;
}

static int write_image(const struct mkcomposefs_args *a, struct bs_tree *tree, const char *src, const char *dst)
{
	_cleanup_free_ uint8_t *image = NULL;
	struct bs_error err = { 0 };
	size_t size;
	int r;

	r = bs_erofs_write(tree, &a->eo, &image, &size, &err);
	if (r < 0) {
		if (!err.path[0])
			snprintf(err.path, sizeof(err.path), "%s", src);
		return cli_report(cmd, &err, r);
	}
	if (dst && (r = bs_atomicfile_write_all(dst, image, size, 0644, 0, &err)) < 0)
		return cli_report(cmd, &err, r);
	return a->print_digest ? print_digest(a, dst, image, size) : BS_EXIT_OK;
}

static void tree_freep(struct bs_tree **t)
{
	bs_tree_free(*t);
}

int cmd_mkcomposefs(int argc, char **argv)
{
	struct mkcomposefs_args a = { .eo = { BS_EROFS_DEFAULT_MIN_VERSION, BS_EROFS_DEFAULT_MAX_VERSION,
					      BS_HASH_SHA256 } };
	const struct cli_option options[] = {
		{ "format", 0, CLI_CALL, &a, 0, take_format },
		{ "hash", 0, CLI_CALL, &a.eo.hash_alg, 0, cli_take_hash_alg },
		{ "min-version", 0, CLI_CALL, &a, 0, take_version },
		{ "max-version", 0, CLI_CALL, &a, 1, take_version },
		{ "from-file", 0, CLI_SET, &a.from_file, 1 },
		{ "digest-store", 0, CLI_STRING, &a.store },
		{ "print-digest", 0, CLI_SET, &a.print_digest, 1 },
		{ "print-digest-only", 0, CLI_SET, &a.digest_only, 1 },
		{ "use-epoch", 0, CLI_OR, &a.read_flags, BS_ROOTFS_USE_EPOCH },
		{ "skip-xattrs", 0, CLI_OR, &a.read_flags, BS_ROOTFS_SKIP_XATTRS },
		{ "user-xattrs", 0, CLI_OR, &a.read_flags, BS_ROOTFS_USER_XATTRS },
		{ "threads", 0, CLI_CALL, &a.threads, 0, take_threads },
		CLI_OPTION_JSON(&a.json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 0, -1, "SRC IMAGE" };
	_cleanup_(tree_freep) struct bs_tree *tree = NULL;
	const char *src;
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if ((r = check_args(&a, argc - first)))
		return r;
	src = argv[first];
	r = a.from_file ? read_dump(src, &tree) : read_dir(&a, src, &tree);
	if (r)
		return r;
	return write_image(&a, tree, src, a.digest_only ? NULL : argv[first + 1]);
}
