/* SPDX-License-Identifier: MIT */
/*
 * What the cmocka tests share (included after <cmocka.h>): a private
 * directory for the test program, made and removed by the group fixtures
 * unit_dir_setup() and unit_dir_teardown(), and file helpers that fail the
 * test when the file system does.
 */
#ifndef BOOTSEAL_TESTS_UNIT_H
#define BOOTSEAL_TESTS_UNIT_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"

/* The program's private directory, under TMPDIR (short enough for the
 * tests' path buffers: setup fails on a longer one). */
static char unit_dir[200];

static inline int unit_dir_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	if ((size_t)snprintf(unit_dir, sizeof(unit_dir), "%s/bootseal-unit.XXXXXX", base && *base ? base : "/tmp") >=
	    sizeof(unit_dir))
		return -1;
	return mkdtemp(unit_dir) ? 0 : -1;
}

static inline int unit_dir_teardown(void **state)
{
	(void)state;
	bsi_rm_rf(unit_dir);
	return access(unit_dir, F_OK) == 0 ? -1 : 0;
}

/* Writes len bytes to path, creating the directories on the way. */
static inline void unit_write(const char *path, const void *data, size_t len)
{
	char dir[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void unit_write_text(const char *path, const char *text)
{
	unit_write(path, text, strlen(text));
}

/* A whole file, NUL-terminated and malloc()ed. */
static inline char *unit_read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;

	assert_non_null(f);
	assert_true(getdelim(&text, &cap, '\0', f) >= 0);
	fclose(f);
	return text;
}

/* main(): the tests, one group with its fixtures (NULL for none). */
#define UNIT_TESTS(setup, teardown, ...)                                        \
	int main(void)                                                          \
	{                                                                       \
		const struct CMUnitTest tests[] = { __VA_ARGS__ };              \
		return cmocka_run_group_tests(tests, setup, teardown);          \
	}

#endif
