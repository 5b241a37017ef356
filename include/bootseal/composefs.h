/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_COMPOSEFS_H
#define BOOTSEAL_COMPOSEFS_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>
#include <bootseal/fsverity.h>
#include <bootseal/rootfs.h>
#include <bootseal/tree.h>

/* bootc's composefs digest: SHA-512 fs-verity (4 KiB blocks, no salt) of the
 * format-V1 EROFS image of the tree. 128 hex digits on the kernel command line.
 * The same algorithm digests the image's files and names the objects of
 * bootc's repository: every bootc path uses BS_COMPOSEFS_HASH, never a
 * default (0 means SHA-256 wherever a bs_hash_alg is taken, as fs-verity's). */
#define BS_COMPOSEFS_HASH BS_HASH_SHA512
#define BS_COMPOSEFS_DIGEST_SIZE 64

/* The composefs digest of an EROFS image's bytes: what the kernel measures
 * when fs-verity is enabled on the image file in bootc's repository. */
BS_EXPORT int bs_composefs_image_digest(const uint8_t *image, size_t size, uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE]);

/* The digest of a tree already read (for example from OCI layers). */
BS_EXPORT int bs_composefs_tree_digest(struct bs_tree *tree, uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE],
			               struct bs_error *err);

/*
 * What `bootc container compute-composefs-digest ROOTFS` prints: the tree read
 * and transformed with bootc's rules (bootc_flags: BS_BOOTC_*), then digested.
 * Of opts only jobs is used. tree, when not NULL, receives the final tree
 * (caller frees), e.g. to write a dump.
 */
BS_EXPORT int bs_composefs_dir_digest(const char *rootfs, const struct bs_rootfs_options *opts,
			              unsigned bootc_flags, uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE],
			              struct bs_tree **tree,
			              struct bs_rootfs_stats *stats, struct bs_error *err);

/*
 * composefs-info objects/missing-objects: the redirect paths of the external
 * files of TREES[0..n_trees), each once, in byte order. With basedir_fd >= 0
 * only those that do not exist under that directory. *out (NULL-terminated,
 * *n_out entries) is freed with bs_composefs_objects_free.
 */
BS_EXPORT int bs_composefs_objects(struct bs_tree *const *trees, size_t n_trees, int basedir_fd,
			           char ***out, size_t *n_out);
BS_EXPORT void bs_composefs_objects_free(char **objects);

#endif
