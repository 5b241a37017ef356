/* SPDX-License-Identifier: MIT */
/* Output follows C composefs-info (v1.0.8): dump, ls, objects, missing-objects, measure-file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/tree.h>

#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "composefs-info";

static const char usage[] =
	"usage: bootseal composefs-info dump|ls|objects|missing-objects [--basedir DIR] IMAGE...\n"
	"       bootseal composefs-info measure-file FILE...\n"
	"objects: the external files' paths, each once, sorted; missing-objects: those\n"
	"not under --basedir DIR (required); measure-file: a file's SHA-256 fs-verity digest.\n";

static void tree_freep(struct bs_tree **t)
{
	bs_tree_free(*t);
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

struct trees {
	struct bs_tree **items;
	size_t n;
};

static void trees_done(struct trees *t)
{
	for (size_t i = 0; t->items && i < t->n; i++)
		bs_tree_free(t->items[i]);
	free(t->items);
}

static void names_freep(char ***names)
{
	bs_composefs_objects_free(*names);
}

static int objects(int n, char **paths, const char *basedir)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(trees_done) struct trees trees = { calloc((size_t)n, sizeof(struct bs_tree *)), (size_t)n };
	_cleanup_(names_freep) char **names = NULL;
	size_t n_names;
	int r;

	if (!trees.items)
		return cli_report(cmd, NULL, -ENOMEM);
	if (basedir && (dirfd = open(basedir, O_RDONLY | O_DIRECTORY | O_PATH | O_CLOEXEC)) < 0)
		return cli_fail(cmd, "%s: cannot open directory: %s", basedir, strerror(errno));
	for (int i = 0; i < n; i++)
		if ((r = load(paths[i], &trees.items[i])) != BS_EXIT_OK)
			return r;
	if ((r = bs_composefs_objects(trees.items, trees.n, dirfd, &names, &n_names)) < 0)
		return cli_report(cmd, NULL, r);
	for (size_t i = 0; i < n_names; i++)
		printf("%s\n", names[i]);
	return BS_EXIT_OK;
}

/* Standard output full or closed: the environment's problem, said in the FILE: form. */
static int output_error(int r)
{
	struct bs_error err = { 0 };

	bs_error_set(&err, r, "standard output", "cannot write: %s", strerror(-r));
	return cli_report(cmd, &err, r);
}

/* dump and ls: each image's tree as a dump file or a list of paths. */
static int list(int n, char **paths, int dump)
{
	for (int i = 0; i < n; i++) {
		_cleanup_(tree_freep) struct bs_tree *tree = NULL;
		int r = load(paths[i], &tree);

		if (r != BS_EXIT_OK)
			return r;
		r = dump ? bs_dump_write(tree, stdout) : bs_dump_list(tree, stdout);
		if (r < 0)
			return output_error(r);
	}
	return BS_EXIT_OK;
}

static int run(const char *what, int n, char **paths, const char *basedir)
{
	if (strcmp(what, "measure-file") == 0)
		return measure(n, paths);
	if (strcmp(what, "objects") == 0)
		return objects(n, paths, NULL);
	if (strcmp(what, "missing-objects") == 0 && !basedir)
		return cli_fail(cmd, "missing-objects needs --basedir DIR");
	if (strcmp(what, "missing-objects") == 0)
		return objects(n, paths, basedir);
	if (strcmp(what, "dump") == 0 || strcmp(what, "ls") == 0)
		return list(n, paths, strcmp(what, "dump") == 0);
	return cli_fail(cmd, "unknown action '%s' (dump, ls, objects, missing-objects or measure-file)", what);
}

int cmd_composefs_info(int argc, char **argv)
{
	const char *basedir = NULL;
	const struct cli_option options[] = {
		{ "basedir", 0, CLI_STRING, &basedir },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 2, -1, "an action and IMAGE" };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	r = run(argv[first], argc - first - 1, argv + first + 1, basedir);
	if (r == BS_EXIT_OK && fflush(stdout) != 0)
		return output_error(-errno);
	return r;
}
