/* SPDX-License-Identifier: MIT */
#include <bootseal/composefs.h>

#include <errno.h>
#include <stdlib.h>

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
