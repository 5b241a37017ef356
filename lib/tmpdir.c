/* SPDX-License-Identifier: MIT */
#include "tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
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

void bsi_rm_rf(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Directories named PREFIX + six characters, ours, that no live process locks. */
static void remove_abandoned(const char *prefix)
{
	const char *slash = strrchr(prefix, '/');
	const char *name_prefix = slash ? slash + 1 : prefix;
	size_t name_prefix_len = strlen(name_prefix);
	_cleanup_free_ char *parent = bsi_parent_dir(prefix);
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
		bsi_rm_rf(path);
	}
	closedir(d);
}

const char *bs_tmpdir_base(void)
{
	const char *env = getenv("TMPDIR");

	return env && *env ? env : "/tmp";
}

int bsi_tmpdir_create(struct bs_tmpdir *t, const char *prefix)
{
	sigset_t old;
	int r;

	t->lock = -1;
	t->slot = 0;
	remove_abandoned(prefix);
	if (asprintf(&t->path, "%sXXXXXX", prefix) < 0) {
		t->path = NULL;
		return -ENOMEM;
	}
	bsi_tmp_block_signals(&old);
	if (!mkdtemp(t->path)) {
		r = -errno;
		bsi_tmp_restore_signals(&old);
		free(t->path);
		t->path = NULL;
		return r;
	}
	t->slot = bsi_tmp_remember(t->path);
	bsi_tmp_restore_signals(&old);
	/* Another run may reap between mkdtemp and flock; it finds the directory
	 * empty, and this run then fails writing into it, never silently. */
	t->lock = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->lock < 0 || flock(t->lock, LOCK_EX) < 0) {
		r = -errno;
		bsi_tmpdir_remove(t);
		return r;
	}
	return 0;
}

void bsi_tmpdir_keep(struct bs_tmpdir *t)
{
	/* Renamed or removed by now: a signal finds nothing under the old name. */
	if (t->path)
		bsi_tmp_forget(t->slot);
	t->slot = 0;
	if (t->path && t->lock >= 0)
		close(t->lock);
	t->lock = -1;
	free(t->path);
	t->path = NULL;
}

void bsi_tmpdir_remove(struct bs_tmpdir *t)
{
	if (t->path)
		bsi_rm_rf(t->path);
	bsi_tmpdir_keep(t);
}

/*
 * The registry of temporaries. A signal handler may run between any two
 * instructions of the thread it interrupts, so each slot is one atomic
 * pointer to a string that is complete before it is published and freed
 * only after it is withdrawn. The work queue blocks these signals in its
 * threads, so the handler runs on the thread that registers and removes,
 * never beside it.
 */
#define TMP_SLOTS 64
#define TMP_MAX_DEPTH 16

static _Atomic(char *) tmp_slots[TMP_SLOTS];

static const int end_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

void bsi_tmp_block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < BS_ARRAY_SIZE(end_signals); i++)
		sigaddset(&set, end_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void bsi_tmp_restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int bsi_tmp_remember(const char *path)
{
	char *copy = strdup(path);

	if (!copy)
		return 0;
	for (int i = 0; i < TMP_SLOTS; i++) {
		char *expected = NULL;

		if (atomic_compare_exchange_strong(&tmp_slots[i], &expected, copy))
			return i + 1;
	}
	free(copy);
	return 0;
}

void bsi_tmp_forget(int slot)
{
	if (slot > 0 && slot <= TMP_SLOTS)
		free(atomic_exchange(&tmp_slots[slot - 1], NULL));
}

/* rm -rf with async-signal-safe calls only: no malloc, no stdio, no readdir. */
static void remove_at(int dirfd, const char *name, int depth)
{
	char buf[2048] __attribute__((aligned(8)));
	int fd, progress;

	if (unlinkat(dirfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM) || depth > TMP_MAX_DEPTH)
		return;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Removing entries while reading may skip some: read again until a
	 * pass removes nothing. */
	progress = 1;
	for (int pass = 0; progress && pass < 4; pass++) {
		ssize_t n;

		progress = 0;
		lseek(fd, 0, SEEK_SET);
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; off < n;) {
				struct dirent64 *de = (struct dirent64 *)(buf + off);

				off += de->d_reclen;
				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				remove_at(fd, de->d_name, depth + 1);
				progress = 1;
			}
		}
	}
	close(fd);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void bsi_tmp_remove_all(void)
{
	for (int i = 0; i < TMP_SLOTS; i++) {
		char *path = atomic_load(&tmp_slots[i]);

		if (path)
			remove_at(AT_FDCWD, path, 0);
	}
}
