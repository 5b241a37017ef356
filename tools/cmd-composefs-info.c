/* SPDX-License-Identifier: MIT */
/* Output follows C composefs-info (v1.0.8) `dump` and `ls`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/tree.h>

#include "../lib/util.h"
#include "cli.h"

static const char cmd[] = "composefs-info";

static void help(void)
{
	printf("usage: bootseal composefs-info dump|ls IMAGE\n");
}

static void tree_freep(struct bs_tree **t)
{
	bs_tree_free(*t);
}

int cmd_composefs_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(tree_freep) struct bs_tree *tree = NULL;
	_cleanup_close_ int fd = -1;
	struct bs_error err = { 0 };
	const char *what, *path;
	struct stat st;
	void *map;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help();
			return BS_EXIT_OK;
		}
		return BS_EXIT_BAD_INPUT;
	}
	if (argc - optind != 2)
		return cli_fail(cmd, "expected dump|ls and IMAGE (see --help)");
	what = argv[optind];
	path = argv[optind + 1];
	if (strcmp(what, "dump") && strcmp(what, "ls"))
		return cli_fail(cmd, "unknown action '%s' (dump or ls)", what);
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
	r = bs_erofs_read(map, (size_t)st.st_size, path, &tree, &err);
	munmap(map, (size_t)st.st_size);
	if (r < 0)
		return cli_report(cmd, &err, r);
	r = strcmp(what, "dump") == 0 ? bs_dump_write(tree, stdout) : bs_dump_list(tree, stdout);
	if (r >= 0 && fflush(stdout) != 0)
		r = -errno;
	if (r < 0)
		return cli_fail(cmd, "cannot write output: %s", strerror(-r));
	return BS_EXIT_OK;
}
