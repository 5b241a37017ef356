/* SPDX-License-Identifier: MIT */
#include <bootseal/source.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/bootc.h>
#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/rootfs.h>

#include "util.h"

#define EROFS_MAGIC_OFFSET 1024
#define EROFS_MAGIC 0xe0f5e1e2u
#define IMAGE_MAX (1ull << 32)

static int read_dir(const char *path, const struct bs_source_options *opts, struct bs_tree **out,
		    struct bs_error *err)
{
	int raw = opts->flags & BS_SOURCE_RAW;
	struct bs_rootfs_options ropts = {
		.jobs = opts->jobs,
		.hash_alg = BS_HASH_SHA512,
		.flags = raw ? 0 : BS_ROOTFS_CAPABILITY_ONLY | BS_ROOTFS_SKIP_BOOT_DIRS,
	};
	struct bs_content_source src = { bs_rootfs_read_file, (void *)path };
	int r;

	r = bs_rootfs_read(path, &ropts, out, NULL, err);
	if (r < 0 || raw)
		return r;
	r = bs_bootc_transform(*out, opts->flags & BS_SOURCE_CREATE_MISSING ? BS_BOOTC_CREATE_MISSING : 0,
			       &src, path, err);
	if (r < 0) {
		bs_tree_free(*out);
		*out = NULL;
	}
	return r;
}

static int read_whole(const char *path, uint8_t **data, size_t *len, struct bs_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	size_t got;
	int r;

	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bs_error_set(err, -EINVAL, path, "not a regular file");
	if ((unsigned long long)st.st_size > IMAGE_MAX)
		return bs_error_set(err, -EFBIG, path, "larger than 4 GiB");
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	r = bs_read_full(fd, buf, (size_t)st.st_size, &got);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	*data = BS_STEAL(buf);
	*len = got;
	return 0;
}

static int read_file(const char *path, int kind, struct bs_tree **out, struct bs_error *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = read_whole(path, &data, &len, err);
	if (r < 0)
		return r;
	/* 'c': composefs image, 'd': dump, 0: decide by the EROFS magic. */
	if (!kind)
		kind = len >= EROFS_MAGIC_OFFSET + 4 &&
			       bs_get_le32(data + EROFS_MAGIC_OFFSET) == EROFS_MAGIC ? 'c' : 'd';
	if (kind == 'c')
		return bs_erofs_read(data, len, path, out, err);
	return bs_dump_parse((const char *)data, len, path, out, err);
}

int bs_source_read_tree(const char *spec, const struct bs_source_options *opts, struct bs_tree **out,
			struct bs_error *err)
{
	static const struct bs_source_options defaults = { 0 };
	struct stat st;

	if (!opts)
		opts = &defaults;
	if (strncmp(spec, "dir:", 4) == 0)
		return read_dir(spec + 4, opts, out, err);
	if (strncmp(spec, "dump:", 5) == 0)
		return read_file(spec + 5, 'd', out, err);
	if (strncmp(spec, "cfs:", 4) == 0)
		return read_file(spec + 4, 'c', out, err);
	if (strncmp(spec, "oci:", 4) == 0 || strncmp(spec, "oci-archive:", 12) == 0)
		return bs_error_set(err, -EOPNOTSUPP, spec, "OCI images are not supported here yet");
	if (stat(spec, &st) < 0)
		return bs_error_set(err, -errno, spec, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return read_dir(spec, opts, out, err);
	return read_file(spec, 0, out, err);
}
