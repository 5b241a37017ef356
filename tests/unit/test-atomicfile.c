/* SPDX-License-Identifier: MIT */
#include <dirent.h>
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

#include <bootseal/atomicfile.h>


static size_t entries(void)
{
	DIR *d = opendir(unit_dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static int has_tmpfile(void)
{
	int fd = open(unit_dir, O_TMPFILE | O_WRONLY, 0600);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static void expect_content(const char *path, const char *want, mode_t mode)
{
	char buf[PATH_MAX] = { 0 };
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), (ssize_t)strlen(want));
	close(fd);
	assert_string_equal(buf, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void appears_whole(void **state)
{
	struct bs_atomicfile f;
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/out", unit_dir);
	assert_int_equal(bs_atomicfile_open(&f, path, 0600, NULL), 0);
	assert_int_equal(write(f.fd, "secret", 6), 6);
	/* Nothing is visible while it is written: a SIGKILL now leaves no file
	 * at all, where the file system has O_TMPFILE. */
	if (has_tmpfile()) {
		assert_null(f.tmp_path);
		assert_int_equal(entries(), 0);
	} else {
		assert_non_null(f.tmp_path);
		assert_int_equal(entries(), 1);
	}
	assert_int_equal(bs_atomicfile_commit(&f, 1, NULL), 0);
	expect_content(path, "secret", 0600);
	assert_int_equal(entries(), 1);

	/* noreplace keeps what is there; replacing swaps it in one step. */
	assert_int_equal(bs_atomicfile_write_all(path, "other", 5, 0644, 1, NULL), -EEXIST);
	expect_content(path, "secret", 0600);
	assert_int_equal(bs_atomicfile_write_all(path, "other", 5, 0644, 0, NULL), 0);
	expect_content(path, "other", 0644);
	assert_int_equal(entries(), 1);
	assert_int_equal(unlink(path), 0);
}

static void abort_leaves_nothing(void **state)
{
	struct bs_atomicfile f;
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/dropped", unit_dir);
	assert_int_equal(bs_atomicfile_open(&f, path, 0644, NULL), 0);
	assert_int_equal(write(f.fd, "x", 1), 1);
	bs_atomicfile_abort(&f);
	bs_atomicfile_abort(&f);
	assert_int_equal(entries(), 0);
}

static void missing_directory(void **state)
{
	struct bs_atomicfile f;
	struct bs_error err = { 0 };
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such", unit_dir);
	assert_int_equal(bs_atomicfile_open(&f, path, 0644, &err), -ENOENT);
	assert_non_null(strstr(err.message, "cannot create"));
}

/* Renaming over a FIFO or a device would replace it with a file. */
static void not_a_regular_file(void **state)
{
	struct bs_atomicfile f;
	struct bs_error err = { 0 };
	struct stat st;
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", unit_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(bs_atomicfile_open(&f, path, 0644, &err), -EINVAL);
	assert_string_equal(err.message, "exists and is not a regular file");
	bs_atomicfile_abort(&f);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(unlink(path), 0);

	snprintf(path, sizeof(path), "%s/subdir", unit_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(bs_atomicfile_write_all(path, "x", 1, 0644, 0, NULL), -EISDIR);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(entries(), 0);
}

UNIT_TESTS(unit_dir_setup, unit_dir_teardown,
	cmocka_unit_test(appears_whole),
	cmocka_unit_test(abort_leaves_nothing),
	cmocka_unit_test(missing_directory),
	cmocka_unit_test(not_a_regular_file))
