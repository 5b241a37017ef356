/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_EROFS_H
#define BOOTSEAL_EROFS_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>
#include <bootseal/fsverity.h>
#include <bootseal/tree.h>

/*
 * composefs images: an EROFS filesystem holding a tree's metadata, with
 * regular files either inline or as overlayfs metacopy/redirect stubs that
 * point at content-addressed files elsewhere.
 *
 * Versions 0 and 1 are C mkcomposefs's layout (containers/composefs v1.0.8,
 * --min-version/--max-version); composefs-rs writes the same bytes for them.
 * Version 2 is composefs-rs's own legacy layout (composefs header version 2).
 */
enum {
	BS_EROFS_VERSION_MAX = 2,
	BS_EROFS_DEFAULT_MIN_VERSION = 0,
	BS_EROFS_DEFAULT_MAX_VERSION = 1,
};

struct bs_erofs_options {
	/* mkcomposefs semantics: version starts at min and is raised to 1 (if
	 * max allows) when the tree has a whiteout (char device 0:0). min = max
	 * = 2 selects the composefs-rs V2 layout. */
	unsigned min_version;
	unsigned max_version;
	/* Algorithm of the fs-verity digests of external files, recorded in
	 * their overlay metacopy xattr; 0 means SHA-256. Digests of another
	 * length than this algorithm's are rejected. */
	enum bs_hash_alg hash_alg;
	/* The superblock's build time is the oldest inode mtime, and only
	 * inodes with that mtime are compact. C mkcomposefs compares seconds
	 * as signed; composefs-rs (so bootc) as unsigned, so a time before
	 * 1970 counts as the newest. Non-zero: composefs-rs's way. */
	int unsigned_mtime_order;
};

/* Builds the whole image in memory (*data is malloc'ed). The tree's contents
 * are not changed, but its inodes' scratch fields are used: do not write one
 * tree from two threads at once. -EINVAL with a message for trees composefs
 * cannot represent. */
BS_EXPORT int bs_erofs_write(struct bs_tree *tree, const struct bs_erofs_options *opts,
		             uint8_t **data, size_t *size, struct bs_error *err);

/* Same, written atomically to path (nothing is left behind on error). */
BS_EXPORT int bs_erofs_write_file(struct bs_tree *tree, const struct bs_erofs_options *opts,
			          const char *path, struct bs_error *err);

/*
 * Reads a composefs image back into a new tree, undoing what the writer adds
 * (the root's whiteout stubs and opaque marker, escaped overlay xattrs,
 * metacopy/redirect xattrs become digest and payload). -EBADMSG with a
 * message for a malformed image.
 */
BS_EXPORT int bs_erofs_read(const uint8_t *data, size_t size, const char *name, struct bs_tree **out,
		            struct bs_error *err);

#endif
