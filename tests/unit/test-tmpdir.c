/* SPDX-License-Identifier: MIT */
#include <errno.h>
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

#include "tmpdir.h"
#include "unit.h"

static char prefix[256];

static int setup(void **state)
{
	if (unit_dir_setup(state) < 0)
		return -1;
	snprintf(prefix, sizeof(prefix), "%s/.out.tmp-", unit_dir);
	return 0;
}

/* NAME is relative to unit_dir. */
static int exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	return access(path, F_OK) == 0;
}

static void make(const char *name, int dir)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	if (dir) {
		assert_int_equal(mkdir(path, 0700), 0);
		return;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("private\n", f);
	fclose(f);
}

/* One reading of TMPDIR for every command: an empty one is no TMPDIR. */
static void base_from_environment(void **state)
{
	(void)state;
	assert_int_equal(setenv("TMPDIR", "/var/tmp/x", 1), 0);
	assert_string_equal(bs_tmpdir_base(), "/var/tmp/x");
	assert_int_equal(setenv("TMPDIR", "", 1), 0);
	assert_string_equal(bs_tmpdir_base(), "/tmp");
	assert_int_equal(unsetenv("TMPDIR"), 0);
	assert_string_equal(bs_tmpdir_base(), "/tmp");
}

static void private_and_removed(void **state)
{
	struct bs_tmpdir t = { 0 };
	char name[64], inside[80];
	struct stat st;

	(void)state;
	bsi_tmpdir_remove(&t);   /* a zeroed one holds nothing */
	assert_int_equal(bsi_tmpdir_create(&t, prefix), 0);
	assert_int_equal(strncmp(t.path, prefix, strlen(prefix)), 0);
	assert_int_equal(strlen(t.path), strlen(prefix) + 6);
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(name, sizeof(name), "%s", strrchr(t.path, '/') + 1);
	snprintf(inside, sizeof(inside), "%s/key", name);
	make(inside, 0);
	bsi_tmpdir_remove(&t);
	assert_null(t.path);
	assert_int_equal(t.lock, -1);
	bsi_tmpdir_remove(&t);
	assert_false(exists(name));
}

static void abandoned_ones_go_live_ones_stay(void **state)
{
	struct bs_tmpdir live = { 0 }, next = { 0 };
	char live_name[64];

	(void)state;
	assert_int_equal(bsi_tmpdir_create(&live, prefix), 0);
	snprintf(live_name, sizeof(live_name), "%s", strrchr(live.path, '/') + 1);
	/* What a killed run leaves: files, a directory, a symlink out of it. */
	make(".out.tmp-dEaD01", 1);
	make(".out.tmp-dEaD01/key", 0);
	make(".out.tmp-dEaD01/blobs", 1);
	make(".out.tmp-dEaD01/blobs/x", 0);
	make("outside", 0);
	{
		char link_path[PATH_MAX], target[PATH_MAX];

		snprintf(link_path, sizeof(link_path), "%s/.out.tmp-dEaD01/blobs/link", unit_dir);
		snprintf(target, sizeof(target), "%s/outside", unit_dir);
		assert_int_equal(symlink(target, link_path), 0);
	}
	/* Not of the pattern: another length, another prefix, a plain file. */
	make(".out.tmp-dEaD012", 1);
	make(".other.tmp-dEaD01", 1);
	make(".out.tmp-FiLe01", 0);

	assert_int_equal(bsi_tmpdir_create(&next, prefix), 0);
	assert_false(exists(".out.tmp-dEaD01"));
	assert_true(exists("outside"));
	assert_true(exists(live_name));
	assert_true(exists(".out.tmp-dEaD012"));
	assert_true(exists(".other.tmp-dEaD01"));
	assert_true(exists(".out.tmp-FiLe01"));

	/* Kept: renamed into place by its owner, the directory stays. */
	bsi_tmpdir_keep(&live);
	assert_null(live.path);
	assert_true(exists(live_name));
	bsi_tmpdir_remove(&next);
}

/* What a signal handler removes: registered temporaries, whole, and no more. */
static void signal_removes_registered(void **state)
{
	struct bs_tmpdir busy = { 0 }, kept = { 0 };
	char busy_name[64], kept_name[64], name[200], link_path[PATH_MAX], target[PATH_MAX], file[PATH_MAX];
	int slot;

	(void)state;
	assert_int_equal(bsi_tmpdir_create(&busy, prefix), 0);
	assert_int_equal(bsi_tmpdir_create(&kept, prefix), 0);
	snprintf(busy_name, sizeof(busy_name), "%s", strrchr(busy.path, '/') + 1);
	snprintf(kept_name, sizeof(kept_name), "%s", strrchr(kept.path, '/') + 1);
	/* More names than one getdents buffer holds, two levels down. */
	snprintf(name, sizeof(name), "%s/blobs", busy_name);
	make(name, 1);
	snprintf(name, sizeof(name), "%s/blobs/sha256", busy_name);
	make(name, 1);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "%s/blobs/sha256/.new-%080d", busy_name, i);
		make(name, 0);
	}
	make("outside", 0);
	snprintf(link_path, sizeof(link_path), "%s/blobs/link", busy.path);
	snprintf(target, sizeof(target), "%s/outside", unit_dir);
	assert_int_equal(symlink(target, link_path), 0);
	make("tmpfile", 0);
	snprintf(file, sizeof(file), "%s/tmpfile", unit_dir);
	slot = bsi_tmp_remember(file);
	assert_true(slot > 0);
	/* Renamed into place: forgotten, so never removed. */
	bsi_tmpdir_keep(&kept);

	bsi_tmp_remove_all();
	assert_false(exists(busy_name));
	assert_false(exists("tmpfile"));
	assert_true(exists("outside"));
	assert_true(exists(kept_name));
	bsi_tmp_forget(slot);
	bsi_tmpdir_remove(&busy);
	make("tmpfile", 0);
	bsi_tmp_remove_all();
	assert_true(exists("tmpfile"));
}

UNIT_TESTS(setup, unit_dir_teardown,
	cmocka_unit_test(base_from_environment),
	cmocka_unit_test(private_and_removed),
	cmocka_unit_test(abandoned_ones_go_live_ones_stay),
	cmocka_unit_test(signal_removes_registered))
