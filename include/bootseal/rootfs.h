/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_ROOTFS_H
#define BOOTSEAL_ROOTFS_H

#include <bootseal/export.h>

#include <stddef.h>

#include <bootseal/error.h>
#include <bootseal/fsverity.h>
#include <bootseal/progress.h>
#include <bootseal/tree.h>

/*
 * Reads a root filesystem directory into a bs_tree, the way composefs-rs's
 * read_container_root does (bootc): directories walked depth-first with
 * entries in byte order, hardlinks grouped by (st_dev, st_ino), files of at
 * most inline_max bytes stored inline, every other regular file referenced by
 * its fs-verity digest (hashed on all cores) and a redirect "xx/rest-of-hex".
 */

enum {
	/* Read only the security.capability xattr, the one bootc keeps. */
	BS_ROOTFS_CAPABILITY_ONLY = 1u << 0,
	/* Read /sysroot and /run themselves but not what they hold, which
	 * bootc's transform (bootseal/bootc.h) empties anyway. (/boot is read
	 * whole: the transform checks its boot entries first, as bootc does.) */
	BS_ROOTFS_SKIP_BOOT_DIRS = 1u << 1,
	/* C mkcomposefs's --use-epoch, --skip-xattrs and --user-xattrs: every
	 * mtime 0; no xattrs; only user.* xattrs. */
	BS_ROOTFS_USE_EPOCH = 1u << 2,
	BS_ROOTFS_SKIP_XATTRS = 1u << 3,
	BS_ROOTFS_USER_XATTRS = 1u << 4,
};

struct bs_rootfs_options {
	enum bs_hash_alg hash_alg;  /* digest of external files; 0 means SHA-256 (bootc:
				       BS_COMPOSEFS_HASH) */
	size_t jobs;                /* 0: online CPUs */
	size_t inline_max;          /* 0 means 64, composefs's limit */
	unsigned flags;
	bs_progress_fn progress;    /* may be NULL: files and bytes hashed */
	void *progress_ctx;
};

struct bs_rootfs_stats {
	size_t entries;
	size_t hashed_files;
	unsigned long long hashed_bytes;
};

/* *out is a new tree owned by the caller (bs_tree_free). stats may be NULL. */
BS_EXPORT int bs_rootfs_read(const char *path, const struct bs_rootfs_options *opts, struct bs_tree **out,
		             struct bs_rootfs_stats *stats, struct bs_error *err);

/* A bs_content_source read function for a tree read from a directory: ctx is
 * the directory's path, path is relative to it. */
BS_EXPORT int bs_rootfs_read_file(void *ctx, const char *path, const struct bs_tree_inode *inode,
			          uint8_t **data, size_t *len, struct bs_error *err);

#endif
