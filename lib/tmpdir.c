/* SPDX-License-Identifier: MIT */
#include "tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define RANDOM_CHARS 6   /* what mkdtemp replaces */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void bs_rm_rf(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Directories named PREFIX + six characters, ours, that no live process locks. */
static void remove_abandoned(const char *prefix)
{
	const char *slash = strrchr(prefix, '/');
	const char *name_prefix = slash ? slash + 1 : prefix;
	size_t name_prefix_len = strlen(name_prefix);
	_cleanup_free_ char *parent = bs_parent_dir(prefix);
	struct dirent *de;
	DIR *d;

	if (!parent || !(d = opendir(parent)))
		return;
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (strncmp(de->d_name, name_prefix, name_prefix_len) != 0 ||
		    strlen(de->d_name) != name_prefix_len + RANDOM_CHARS)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (asprintf(&path, "%s/%s", parent, de->d_name) < 0) {
			path = NULL;
			continue;
		}
		bs_rm_rf(path);
	}
	closedir(d);
}

int bs_tmpdir_create(struct bs_tmpdir *t, const char *prefix)
{
	int r;

	t->lock = -1;
	remove_abandoned(prefix);
	if (asprintf(&t->path, "%sXXXXXX", prefix) < 0) {
		t->path = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(t->path)) {
		r = -errno;
		free(t->path);
		t->path = NULL;
		return r;
	}
	/* Another run may reap between mkdtemp and flock; it finds the directory
	 * empty, and this run then fails writing into it, never silently. */
	t->lock = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->lock < 0 || flock(t->lock, LOCK_EX) < 0) {
		r = -errno;
		bs_tmpdir_remove(t);
		return r;
	}
	return 0;
}

void bs_tmpdir_keep(struct bs_tmpdir *t)
{
	if (t->path && t->lock >= 0)
		close(t->lock);
	t->lock = -1;
	free(t->path);
	t->path = NULL;
}

void bs_tmpdir_remove(struct bs_tmpdir *t)
{
	if (t->path)
		bs_rm_rf(t->path);
	bs_tmpdir_keep(t);
}
