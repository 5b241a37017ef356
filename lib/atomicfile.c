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

#include "util.h"

static void free_names(struct bs_atomicfile *f)
{
	free(f->path);
	free(f->tmp_path);
	f->path = f->tmp_path = NULL;
}

int bs_atomicfile_open(struct bs_atomicfile *f, const char *path, mode_t mode, struct bs_error *err)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	uint64_t nonce;

	f->fd = -1;
	/* Callers pass uninitialised structs; the retry loop frees tmp_path. */
	f->tmp_path = NULL;
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	for (int attempt = 0; attempt < 16; attempt++) {
		if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
			nonce = (uint64_t)getpid() * 2654435761u + (uint64_t)attempt;
		free(f->tmp_path);
		if (asprintf(&f->tmp_path, "%.*s.%s.tmp-%016llx", dirlen, path, path + dirlen,
			     (unsigned long long)nonce) < 0) {
			f->tmp_path = NULL;
			free_names(f);
			return -ENOMEM;
		}
		f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (f->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	int r = -errno;
	bs_error_set(err, r, path, "cannot create: %s", strerror(-r));
	free_names(f);
	return r;
}

int bs_atomicfile_commit(struct bs_atomicfile *f, int noreplace, struct bs_error *err)
{
	int r = 0;

	if (fsync(f->fd) < 0)
		r = bs_error_set(err, -errno, f->path, "cannot sync: %s", strerror(errno));
	if (close(f->fd) < 0 && !r)
		r = bs_error_set(err, -errno, f->path, "cannot write: %s", strerror(errno));
	f->fd = -1;
	if (!r) {
		if (noreplace) {
			/* link() fails with EEXIST where rename() would replace. */
			if (link(f->tmp_path, f->path) < 0)
				r = bs_error_set(err, -errno, f->path, "%s",
						 errno == EEXIST ? "already exists" : strerror(errno));
			unlink(f->tmp_path);
		} else if (rename(f->tmp_path, f->path) < 0) {
			r = bs_error_set(err, -errno, f->path, "cannot rename into place: %s",
					 strerror(errno));
		}
	}
	if (r)
		unlink(f->tmp_path);
	free_names(f);
	return r;
}

void bs_atomicfile_abort(struct bs_atomicfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp_path)
		unlink(f->tmp_path);
	free_names(f);
}

int bs_atomicfile_write_all(const char *path, const void *buf, size_t len, mode_t mode,
			    int noreplace, struct bs_error *err)
{
	struct bs_atomicfile f;
	int r;

	r = bs_atomicfile_open(&f, path, mode, err);
	if (r < 0)
		return r;
	r = bs_write_full(f.fd, buf, len);
	if (r < 0) {
		bs_error_set(err, r, path, "cannot write: %s", strerror(-r));
		bs_atomicfile_abort(&f);
		return r;
	}
	return bs_atomicfile_commit(&f, noreplace, err);
}
