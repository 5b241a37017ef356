/* SPDX-License-Identifier: MIT */
/*
 * bs_composefs_objects against C composefs-info 1.0.8's `objects` and
 * `missing-objects` on the same tree (tests/vectors/composefs-c/flags/).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/tree.h>

#define FLAGS "../vectors/composefs-c/flags/"

static struct bs_tree *parse(const char *path)
{
	struct bs_tree *tree = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(bs_dump_parse_fd(fd, path, &tree, NULL), 0);
	close(fd);
	return tree;
}

/* The lines of a vector file, joined by '\n' as printed. */
static void assert_lines(char **names, size_t n, const char *path)
{
	char want[4096] = "", got[4096] = "";
	FILE *f = fopen(path, "r");
	size_t len;

	assert_non_null(f);
	len = fread(want, 1, sizeof(want) - 1, f);
	want[len] = 0;
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		strcat(got, names[i]);
		strcat(got, "\n");
	}
	assert_null(names[n]);
	assert_string_equal(got, want);
}

static void test_objects_sorted_once(void **state)
{
	struct bs_tree *trees[2] = { parse(FLAGS "small.none.dump"), parse(FLAGS "xattrs.none.dump") };
	char **names = NULL;
	size_t n = 0;

	(void)state;
	/* Two trees with the same files: every object still once. */
	assert_int_equal(bs_composefs_objects(trees, 2, -1, &names, &n), 0);
	assert_lines(names, n, FLAGS "small.objects");
	bs_composefs_objects_free(names);
	bs_tree_free(trees[0]);
	bs_tree_free(trees[1]);
}

static void test_missing_objects(void **state)
{
	struct bs_tree *tree = parse(FLAGS "small.none.dump");
	char base[] = "/tmp/bs-objects-XXXXXX", line[256], path[512];
	FILE *present = fopen(FLAGS "small.present-objects", "r");
	char **names = NULL;
	size_t n = 0;
	int dirfd;

	(void)state;
	assert_non_null(mkdtemp(base));
	assert_non_null(present);
	while (fgets(line, sizeof(line), present)) {
		line[strcspn(line, "\n")] = 0;
		snprintf(path, sizeof(path), "%s/%.2s", base, line);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%s", base, line);
		close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	}
	fclose(present);
	dirfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_int_equal(bs_composefs_objects(&tree, 1, dirfd, &names, &n), 0);
	assert_lines(names, n, FLAGS "small.missing-objects");
	bs_composefs_objects_free(names);
	close(dirfd);
	bs_tree_free(tree);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	assert_int_equal(system(path), 0);
}

static void test_no_trees(void **state)
{
	char **names = NULL;
	size_t n = 1;

	(void)state;
	assert_int_equal(bs_composefs_objects(NULL, 0, -1, &names, &n), 0);
	assert_int_equal(n, 0);
	assert_null(names[0]);
	bs_composefs_objects_free(names);
	assert_int_equal(bs_composefs_objects(NULL, 1, -1, &names, &n), -EINVAL);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(test_objects_sorted_once),
	cmocka_unit_test(test_missing_objects),
	cmocka_unit_test(test_no_trees))
