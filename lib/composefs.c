/* SPDX-License-Identifier: MIT */
#include <bootseal/composefs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/bootc.h>
#include <bootseal/erofs.h>

#include "util.h"

int bs_composefs_image_digest(const uint8_t *image, size_t size, uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE])
{
	const struct bs_fsverity_params verity = { .hash_alg = BS_COMPOSEFS_HASH, .block_size = 4096 };
	struct bs_fsverity_ctx *ctx;
	int r;

	if (!image && size)
		return -EINVAL;
	r = bs_fsverity_new(&verity, &ctx);
	if (r < 0)
		return r;
	r = bs_fsverity_update(ctx, image, size);
	if (r >= 0)
		r = bs_fsverity_final(ctx, digest);
	bs_fsverity_free(ctx);
	return r;
}

int bs_composefs_tree_digest(struct bs_tree *tree, uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE],
			     struct bs_error *err)
{
	/* bootc 534c76ea: composefs-rs FormatVersion::V1 = mkcomposefs --min-version=1 --max-version=1. */
	const struct bs_erofs_options erofs = { .min_version = 1, .max_version = 1,
						.hash_alg = BS_COMPOSEFS_HASH, .unsigned_mtime_order = 1 };
	_cleanup_free_ uint8_t *image = NULL;
	size_t size;
	int r;

	r = bs_erofs_write(tree, &erofs, &image, &size, err);
	if (r < 0)
		return r;
	return bs_composefs_image_digest(image, size, digest);
}

int bs_composefs_dir_digest(const char *rootfs, const struct bs_rootfs_options *opts,
			    unsigned bootc_flags, uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE],
			    struct bs_tree **tree_out,
			    struct bs_rootfs_stats *stats, struct bs_error *err)
{
	if (!rootfs || !opts || !digest)
		return bs_error_set(err, -EINVAL, NULL, "bs_composefs_dir_digest: a NULL argument");
	struct bs_rootfs_options o = *opts;
	struct bs_content_source src = { bs_rootfs_read_file, (void *)rootfs };
	struct bs_tree *tree;
	int r;

	o.flags = BS_ROOTFS_CAPABILITY_ONLY | BS_ROOTFS_SKIP_BOOT_DIRS;
	o.hash_alg = BS_COMPOSEFS_HASH;
	o.inline_max = 64;
	r = bs_rootfs_read(rootfs, &o, &tree, stats, err);
	if (r < 0)
		return r;
	r = bs_bootc_transform(tree, bootc_flags, &src, rootfs, err);
	if (r >= 0)
		r = bs_composefs_tree_digest(tree, digest, err);
	if (r < 0 || !tree_out)
		bs_tree_free(tree);
	else
		*tree_out = tree;
	return r;
}

struct objects {
	char **v;
	size_t n, cap;
	int basedir_fd;
};

static int objects_add_tree(struct objects *o, const struct bs_tree_inode *dir)
{
	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		const char *name, *payload;
		size_t name_len, len;
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, &name, &name_len);
		uint32_t type = bs_tree_inode_stat(child)->mode & S_IFMT;
		struct stat st;
		char *copy;
		int r;

		if (type == S_IFDIR) {
			r = objects_add_tree(o, child);
			if (r < 0)
				return r;
			continue;
		}
		payload = type == S_IFREG ? bs_tree_inode_payload(child, &len) : NULL;
		if (!payload || !len)
			continue;
		copy = strndup(payload, len);
		if (!copy)
			return -ENOMEM;
		/* An absolute redirect names the same object (composefs-info strips the slashes). */
		if (o->basedir_fd >= 0) {
			const char *rel = copy;

			while (*rel == '/')
				rel++;
			if (fstatat(o->basedir_fd, rel, &st, 0) == 0) {
				free(copy);
				continue;
			}
		}
		if (o->n + 1 >= o->cap) {
			size_t cap = o->cap ? 2 * o->cap : 64;
			char **v = reallocarray(o->v, cap, sizeof(*v));

			if (!v) {
				free(copy);
				return -ENOMEM;
			}
			o->v = v;
			o->cap = cap;
		}
		o->v[o->n++] = copy;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bs_composefs_objects(struct bs_tree *const *trees, size_t n_trees, int basedir_fd,
			 char ***out, size_t *n_out)
{
	struct objects o = { .basedir_fd = basedir_fd };
	size_t kept = 0;
	int r = 0;

	if (!out || !n_out || (n_trees && !trees))
		return -EINVAL;
	for (size_t i = 0; r >= 0 && i < n_trees; i++)
		r = objects_add_tree(&o, bs_tree_root(trees[i]));
	if (r >= 0 && !o.v && !(o.v = calloc(1, sizeof(*o.v))))
		r = -ENOMEM;
	if (r < 0) {
		for (size_t i = 0; i < o.n; i++)
			free(o.v[i]);
		free(o.v);
		return r;
	}
	qsort(o.v, o.n, sizeof(*o.v), cmp_str);
	for (size_t i = 0; i < o.n; i++) {
		if (kept && strcmp(o.v[kept - 1], o.v[i]) == 0)
			free(o.v[i]);
		else
			o.v[kept++] = o.v[i];
	}
	o.v[kept] = NULL;
	*out = o.v;
	*n_out = kept;
	return 0;
}

void bs_composefs_objects_free(char **objects)
{
	for (size_t i = 0; objects && objects[i]; i++)
		free(objects[i]);
	free(objects);
}
