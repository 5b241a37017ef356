/* SPDX-License-Identifier: MIT */
#include <bootseal/atomicfile.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpdir.h"
#include "util.h"

static void free_names(struct bs_atomicfile *f)
{
	bsi_tmp_forget(f->tmp_slot);
	f->tmp_slot = 0;
	free(f->path);
	free(f->tmp_path);
	f->path = f->tmp_path = NULL;
}

/* A hidden name beside PATH that no other writer uses. */
static int make_tmp_name(const char *path, int attempt, char **out)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	uint64_t nonce;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)getpid() * 2654435761u + (uint64_t)attempt;
	if (asprintf(out, "%.*s.%s.tmp-%016llx", dirlen, path, path + dirlen,
		     (unsigned long long)nonce) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * An O_TMPFILE has no name until commit links it, so a process killed while
 * writing (a key, a multi-GiB image) leaves nothing behind. File systems
 * without it (vfat on an ESP, old NFS) get a named temporary instead.
 */
static int open_unnamed(const char *path, mode_t mode)
{
	_cleanup_free_ char *dir = NULL;

	/* Committing links /proc/self/fd/N; without /proc there is no way to name it. */
	if (access("/proc/self/fd", X_OK) < 0)
		return -ENOSYS;
	dir = bsi_parent_dir(path);
	if (!dir)
		return -ENOMEM;
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

int bs_atomicfile_open(struct bs_atomicfile *f, const char *path, mode_t mode, struct bs_error *err)
{
	if (!f || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_atomicfile_open: a NULL argument");
	struct stat st;
	sigset_t old;
	int r;

	f->fd = -1;
	f->tmp_path = NULL;
	f->tmp_slot = 0;
	f->path = NULL;
	/* The rename would replace a device node (--output /dev/stdout) with a file. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return bs_error_set(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, path,
				    "exists and is not a regular file");
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	r = open_unnamed(path, mode);
	if (r >= 0) {
		f->fd = r;
		return 0;
	}
	if (r == -ENOMEM) {
		free_names(f);
		return r;
	}
	/* EOPNOTSUPP, EISDIR or EINVAL: no O_TMPFILE here; ENOENT and EACCES recur below. */
	for (int attempt = 0; attempt < 16; attempt++) {
		free(f->tmp_path);
		if (make_tmp_name(path, attempt, &f->tmp_path) < 0) {
			free_names(f);
			return -ENOMEM;
		}
		bsi_tmp_block_signals(&old);
		f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (f->fd >= 0)
			f->tmp_slot = bsi_tmp_remember(f->tmp_path);
		r = f->fd < 0 ? -errno : 0;
		bsi_tmp_restore_signals(&old);
		if (r == 0)
			return 0;
		if (r != -EEXIST)
			break;
	}
	bs_error_set(err, r, path, "cannot create: %s", strerror(-r));
	free_names(f);
	return r;
}

/* Gives the unnamed file the name TO; -EEXIST if TO exists. */
static int link_unnamed(int fd, const char *to)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

static int name_unnamed(struct bs_atomicfile *f, int noreplace)
{
	int r;

	if (noreplace)
		return link_unnamed(f->fd, f->path);
	/* linkat cannot replace: link under a fresh name, then rename over. */
	for (int attempt = 0; attempt < 16; attempt++) {
		sigset_t old;

		free(f->tmp_path);
		if (make_tmp_name(f->path, attempt, &f->tmp_path) < 0)
			return -ENOMEM;
		bsi_tmp_block_signals(&old);
		r = link_unnamed(f->fd, f->tmp_path);
		if (r == 0)
			f->tmp_slot = bsi_tmp_remember(f->tmp_path);
		bsi_tmp_restore_signals(&old);
		if (r != -EEXIST)
			break;
	}
	if (r < 0)
		return r;
	if (rename(f->tmp_path, f->path) < 0) {
		r = -errno;
		unlink(f->tmp_path);
	}
	return r;
}

static int name_temporary(struct bs_atomicfile *f, int noreplace)
{
	int r = 0;

	/* link() fails with EEXIST where rename() would replace. */
	if (noreplace ? link(f->tmp_path, f->path) < 0 : rename(f->tmp_path, f->path) < 0)
		r = -errno;
	if (r || noreplace)
		unlink(f->tmp_path);
	return r;
}

int bs_atomicfile_commit(struct bs_atomicfile *f, int noreplace, struct bs_error *err)
{
	if (!f)
		return bs_error_set(err, -EINVAL, NULL, "bs_atomicfile_commit: a NULL argument");
	int unnamed = !f->tmp_path, r = 0;

	if (fsync(f->fd) < 0)
		r = bs_error_set(err, -errno, f->path, "cannot sync: %s", strerror(errno));
	/* An unnamed file's data is reachable only through its fd until it is named. */
	if (!unnamed && close(f->fd) < 0 && !r)
		r = bs_error_set(err, -errno, f->path, "cannot write: %s", strerror(errno));
	if (!r) {
		r = unnamed ? name_unnamed(f, noreplace) : name_temporary(f, noreplace);
		if (r == -EEXIST && noreplace)
			bs_error_set(err, r, f->path, "already exists");
		else if (r < 0)
			bs_error_set(err, r, f->path, "cannot %s into place: %s", unnamed ? "link" : "rename",
				     strerror(-r));
	} else if (!unnamed) {
		unlink(f->tmp_path);
	}
	if (unnamed && close(f->fd) < 0 && !r) {
		r = bs_error_set(err, -errno, f->path, "cannot write: %s", strerror(errno));
		unlink(f->path);
	}
	/* The file is whole on disk; its new name is not until the directory is. */
	if (!r && (r = bsi_sync_parent_dir(f->path)) < 0)
		bs_error_set(err, r, f->path, "cannot sync its directory: %s", strerror(-r));
	f->fd = -1;
	free_names(f);
	return r;
}

void bs_atomicfile_abort(struct bs_atomicfile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp_path)
		unlink(f->tmp_path);
	free_names(f);
}

void bs_atomicfile_remove_temporaries(void)
{
	bsi_tmp_remove_all();
}

int bs_atomicfile_write_all(const char *path, const void *buf, size_t len, mode_t mode,
			    int noreplace, struct bs_error *err)
{
	if (!path || (!buf && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_atomicfile_write_all: a NULL argument");
	struct bs_atomicfile f;
	int r;

	r = bs_atomicfile_open(&f, path, mode, err);
	if (r < 0)
		return r;
	r = bsi_write_full(f.fd, buf, len);
	if (r < 0) {
		bs_error_set(err, r, path, "cannot write: %s", strerror(-r));
		bs_atomicfile_abort(&f);
		return r;
	}
	return bs_atomicfile_commit(&f, noreplace, err);
}
