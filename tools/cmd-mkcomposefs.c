/* SPDX-License-Identifier: MIT */
/* Images are byte-identical to C mkcomposefs (v1.0.8) for versions 0 and 1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "cli.h"

static const char cmd[] = "mkcomposefs";

static void help(void)
{
	printf("usage: bootseal mkcomposefs [--format v0|v1|v2] [--hash sha256|sha512]\n"
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
	       "the image's digest without writing it.\n");
}

static int parse_version(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > BS_EROFS_VERSION_MAX)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static void tree_freep(struct bs_tree **t)
{
	bs_tree_free(*t);
}

int cmd_mkcomposefs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "hash", required_argument, NULL, 'H' },
		{ "min-version", required_argument, NULL, 'm' },
		{ "max-version", required_argument, NULL, 'M' },
		{ "from-file", no_argument, NULL, 'F' },
		{ "digest-store", required_argument, NULL, 'd' },
		{ "print-digest", no_argument, NULL, 'p' },
		{ "print-digest-only", no_argument, NULL, 'P' },
		{ "use-epoch", no_argument, NULL, 'e' },
		{ "skip-xattrs", no_argument, NULL, 'x' },
		{ "user-xattrs", no_argument, NULL, 'u' },
		{ "threads", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_erofs_options eo = { BS_EROFS_DEFAULT_MIN_VERSION, BS_EROFS_DEFAULT_MAX_VERSION,
				       BS_HASH_SHA256 };
	_cleanup_(tree_freep) struct bs_tree *tree = NULL;
	_cleanup_free_ uint8_t *image = NULL;
	struct bs_error err = { 0 };
	int json = 0, from_file = 0, print_digest = 0, digest_only = 0, min_set = 0, max_set = 0;
	int format_set = 0, c, r;
	unsigned read_flags = 0;
	size_t threads = 0;
	const char *src, *dst, *store = NULL;
	size_t size;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "v0") && strcmp(optarg, "v1") && strcmp(optarg, "v2"))
				return cli_fail(cmd, "unknown format '%s' (v0, v1 or v2)", optarg);
			eo.min_version = eo.max_version = (unsigned)(optarg[1] - '0');
			format_set = 1;
			break;
		case 'H':
			if (bs_hash_alg_from_name(optarg, &eo.hash_alg) < 0)
				return cli_fail(cmd, "unknown hash algorithm '%s'", optarg);
			break;
		case 'm':
			if (parse_version(optarg, &eo.min_version) < 0)
				return cli_fail(cmd, "invalid min version '%s'", optarg);
			min_set = 1;
			break;
		case 'M':
			if (parse_version(optarg, &eo.max_version) < 0)
				return cli_fail(cmd, "invalid max version '%s'", optarg);
			max_set = 1;
			break;
		case 'F':
			from_file = 1;
			break;
		case 'd':
			/* Only used with a directory: a dump already names its objects. */
			store = optarg;
			break;
		case 'J':
			/* The report carries the digest. */
			json = 1;
			print_digest = 1;
			break;
		case 'p':
			print_digest = 1;
			break;
		case 'P':
			print_digest = digest_only = 1;
			break;
		case 'e': read_flags |= BS_ROOTFS_USE_EPOCH; break;
		case 'x': read_flags |= BS_ROOTFS_SKIP_XATTRS; break;
		case 'u': read_flags |= BS_ROOTFS_USER_XATTRS; break;
		case 't': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || v <= 0 || v > 4096)
				return cli_fail(cmd, "invalid --threads '%s' (1 to 4096)", optarg);
			threads = (size_t)v;
			break;
		}
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (format_set && (min_set || max_set))
		return cli_fail(cmd, "--format cannot be combined with --min-version/--max-version");
	/* mkcomposefs: giving either bound replaces both defaults (the other is 0). */
	if (min_set && !max_set)
		eo.max_version = eo.min_version;
	if (max_set && !min_set)
		eo.min_version = 0;
	if (digest_only && argc - optind == 2)
		return cli_fail(cmd, "--print-digest-only writes no IMAGE; give SRC only");
	if (argc - optind != 2 - digest_only)
		return cli_fail(cmd, digest_only ? "expected SRC (see --help)" : "expected SRC and IMAGE (see --help)");
	src = argv[optind];
	dst = digest_only ? NULL : argv[optind + 1];
	if (from_file && read_flags)
		return cli_fail(cmd, "--use-epoch, --skip-xattrs and --user-xattrs read a directory, not --from-file");

	if (from_file) {
		_cleanup_close_ int fd = -1;

		if (strcmp(src, "-") == 0) {
			r = bs_dump_parse_fd(STDIN_FILENO, "<stdin>", &tree, &err);
		} else {
			fd = open(src, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return cli_fail(cmd, "%s: cannot open: %s", src, strerror(errno));
			r = bs_dump_parse_fd(fd, src, &tree, &err);
		}
		if (r < 0)
			return cli_report(cmd, &err, r);
	} else {
		/* mkcomposefs inlines files of at most 64 bytes (the size of a
		 * digest) and references the rest by fs-verity digest. */
		struct bs_rootfs_options ro = { .hash_alg = eo.hash_alg, .inline_max = 64,
						.jobs = threads, .flags = read_flags };

		r = bs_rootfs_read(src, &ro, &tree, NULL, &err);
		if (r < 0)
			return cli_report(cmd, &err, r);
		if (store) {
			r = bs_store_fill(tree, src, store, 0, &err);
			if (r < 0)
				return cli_report(cmd, &err, r);
		}
	}

	r = bs_erofs_write(tree, &eo, &image, &size, &err);
	if (r < 0) {
		if (!err.path[0])
			snprintf(err.path, sizeof(err.path), "%s", src);
		return cli_report(cmd, &err, r);
	}
	r = dst ? bs_atomicfile_write_all(dst, image, size, 0644, 0, &err) : 0;
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (print_digest) {
		struct bs_fsverity_params params = { .hash_alg = eo.hash_alg };
		struct bs_fsverity_ctx *ctx;
		uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];

		r = bs_fsverity_new(&params, &ctx);
		if (r >= 0) {
			r = bs_fsverity_update(ctx, image, size);
			if (r >= 0)
				r = bs_fsverity_final(ctx, digest);
			bs_hex_encode(digest, bs_fsverity_digest_size(ctx), hex);
			bs_fsverity_free(ctx);
		}
		if (r < 0)
			return cli_report(cmd, NULL, r);
		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "image", dst ? json_object_new_string(dst) : NULL);
			json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
			json_object_object_add(o, "hash", json_object_new_string(bs_hash_alg_name(eo.hash_alg)));
			json_object_object_add(o, "digest", json_object_new_string(hex));
			cli_json_print(o);
		} else {
			printf("%s\n", hex);
		}
	}
	return BS_EXIT_OK;
}
