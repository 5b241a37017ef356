/* SPDX-License-Identifier: MIT */
/* Output follows C composefs-info (v1.0.8): dump, ls, objects, missing-objects, measure-file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/tree.h>

#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "composefs-info";

static void help(void)
{
	printf("usage: bootseal composefs-info dump|ls|objects|missing-objects [--basedir DIR] IMAGE...\n"
	       "       bootseal composefs-info measure-file FILE...\n"
	       "objects: the external files' paths, each once, sorted; missing-objects: those\n"
	       "not under --basedir DIR (required); measure-file: a file's SHA-256 fs-verity digest.\n");
}

static void tree_freep(struct bs_tree **t)
{
	bs_tree_free(*t);
}

static void trees_free(struct bs_tree **trees, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bs_tree_free(trees[i]);
	free(trees);
}

static int load(const char *path, struct bs_tree **tree)
{
	_cleanup_close_ int fd = -1;
	struct bs_error err = { 0 };
	struct stat st;
	void *map;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(cmd, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return cli_fail(cmd, "%s: not a regular file", path);
	if (st.st_size == 0)
		return cli_fail(cmd, "%s: corrupt composefs image: empty", path);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return cli_fail(cmd, "%s: cannot map: %s", path, strerror(errno));
	r = bs_erofs_read(map, (size_t)st.st_size, path, tree, &err);
	munmap(map, (size_t)st.st_size);
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

/* composefs-info measure-file: what the kernel would report with fs-verity on (SHA-256, 4 KiB). */
static int measure(int n, char **paths)
{
	const struct bs_fsverity_params params = { .hash_alg = BS_HASH_SHA256, .block_size = 4096 };

	for (int i = 0; i < n; i++) {
		uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];
		struct bs_fsverity_ctx *ctx;
		struct bs_error err = { 0 };
		int r;

		r = bs_fsverity_new(&params, &ctx);
		if (r < 0)
			return cli_report(cmd, NULL, r);
		r = bs_fsverity_digest_path(ctx, paths[i], digest, &err);
		if (r >= 0)
			bs_hex_encode(digest, bs_fsverity_digest_size(ctx), hex);
		bs_fsverity_free(ctx);
		if (r < 0)
			return cli_report(cmd, &err, r);
		printf("%s\n", hex);
	}
	return BS_EXIT_OK;
}

static int objects(int n, char **paths, const char *basedir)
{
	_cleanup_close_ int dirfd = -1;
	struct bs_tree **trees = calloc((size_t)n, sizeof(*trees));
	char **names = NULL;
	size_t n_names;
	int r = BS_EXIT_OK;

	if (!trees)
		return cli_report(cmd, NULL, -ENOMEM);
	if (basedir) {
		dirfd = open(basedir, O_RDONLY | O_DIRECTORY | O_PATH | O_CLOEXEC);
		if (dirfd < 0) {
			free(trees);
			return cli_fail(cmd, "%s: cannot open directory: %s", basedir, strerror(errno));
		}
	}
	for (int i = 0; r == BS_EXIT_OK && i < n; i++)
		r = load(paths[i], &trees[i]);
	if (r == BS_EXIT_OK) {
		int e = bs_composefs_objects(trees, (size_t)n, dirfd, &names, &n_names);

		if (e < 0)
			r = cli_report(cmd, NULL, e);
		for (size_t i = 0; e >= 0 && i < n_names; i++)
			printf("%s\n", names[i]);
	}
	bs_composefs_objects_free(names);
	trees_free(trees, (size_t)n);
	return r;
}

int cmd_composefs_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "basedir", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *what, *basedir = NULL;
	int c, r = BS_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': basedir = optarg; break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (argc - optind < 2)
		return cli_fail(cmd, "expected an action and IMAGE (see --help)");
	what = argv[optind];
	if (strcmp(what, "measure-file") == 0)
		r = measure(argc - optind - 1, argv + optind + 1);
	else if (strcmp(what, "objects") == 0)
		r = objects(argc - optind - 1, argv + optind + 1, NULL);
	else if (strcmp(what, "missing-objects") == 0 && !basedir)
		return cli_fail(cmd, "missing-objects needs --basedir DIR");
	else if (strcmp(what, "missing-objects") == 0)
		r = objects(argc - optind - 1, argv + optind + 1, basedir);
	else if (strcmp(what, "dump") && strcmp(what, "ls"))
		return cli_fail(cmd, "unknown action '%s' (dump, ls, objects, missing-objects or measure-file)", what);
	else
		for (int i = optind + 1; r == BS_EXIT_OK && i < argc; i++) {
			_cleanup_(tree_freep) struct bs_tree *tree = NULL;

			r = load(argv[i], &tree);
			if (r != BS_EXIT_OK)
				break;
			r = strcmp(what, "dump") == 0 ? bs_dump_write(tree, stdout) : bs_dump_list(tree, stdout);
			r = r < 0 ? cli_fail(cmd, "cannot write output: %s", strerror(-r)) : BS_EXIT_OK;
		}
	if (r == BS_EXIT_OK && fflush(stdout) != 0)
		return cli_fail(cmd, "cannot write output: %s", strerror(errno));
	return r;
}
