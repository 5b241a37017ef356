/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_TREE_H
#define BOOTSEAL_TREE_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>

/*
 * An in-memory filesystem tree, the input of the composefs image writer
 * (bootseal/erofs.h) and the output of the dump parser (bootseal/dump.h) and
 * of the directory reader.
 *
 * Ownership: the struct bs_tree owns everything. Inodes, names, xattrs, inline
 * content and payloads live until bs_tree_free(); pointers returned by the
 * accessors stay valid until then (a directory's child array may move when a
 * child is added, so do not keep `bs_tree_dir_child` results across adds).
 *
 * An inode is linked into directories by name (a dirent). Linking the same
 * non-directory inode under several names makes a hardlink group; the writer
 * stores it once. A directory is linked exactly once (the root never).
 * The first name linked is the group's primary name: the V0/V1 writer places
 * the inode where its primary name falls in breadth-first order (C
 * mkcomposefs: the dump line without `@`; composefs-rs: the first name in
 * depth-first name order, see bs_tree_recompute_primaries). V2 always uses
 * the first name in depth-first order.
 * Children are kept sorted by name bytewise (strcmp order), which is the
 * order mkcomposefs writes directory entries in.
 *
 * Threads: functions that allocate (bs_tree_inode_new, bs_tree_dir_add,
 * bs_tree_inode_add_xattr, bs_tree_inode_set_content/_payload) take the
 * tree's lock and may be called from any thread, but two threads must not
 * modify the same inode (or add to the same directory) at once.
 * bs_tree_inode_set_digest and bs_tree_inode_stat do not allocate: a worker
 * may fill the digest of inode A while another thread creates inode B.
 * Reads (lookups, the writer) must not run concurrently with changes.
 */

struct bs_tree;
struct bs_tree_inode;

/* File metadata. S_IFMT bits of mode are fixed when the inode is created. */
struct bs_tree_stat {
	uint32_t mode;          /* S_IFMT | permission bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t nlink;         /* recomputed by the writer for directories */
	uint64_t rdev;          /* device number as the kernel's dev_t (makedev) */
	uint64_t size;          /* regular files: content size; set by set_content */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
};

#define BS_TREE_NAME_MAX 255
#define BS_TREE_XATTR_NAME_MAX 255
#define BS_TREE_XATTR_VALUE_MAX 65536
#define BS_TREE_DIGEST_MAX 64

/* A new tree whose root is an empty directory with mode 040755, all else 0. */
BS_EXPORT int bs_tree_new(struct bs_tree **out);
BS_EXPORT void bs_tree_free(struct bs_tree *tree);
BS_EXPORT struct bs_tree_inode *bs_tree_root(struct bs_tree *tree);

/* A new inode not yet linked anywhere; mode must carry a known S_IFMT type
 * (-EINVAL otherwise). nlink starts at 1 (2 for directories). */
BS_EXPORT int bs_tree_inode_new(struct bs_tree *tree, uint32_t mode, struct bs_tree_inode **out,
		                struct bs_error *err);

/*
 * Links child into dir under name (name_len bytes, no NUL or '/', not "" / "." /
 * "..", at most BS_TREE_NAME_MAX). -EEXIST if the name is taken, -EINVAL for a
 * bad name or a directory that is already linked (directory hardlinks), -ENOTDIR
 * if dir is not a directory. Linking a non-directory a second time is a
 * hardlink. stat.nlink is stored as given for V0/V1 (set it, e.g. from
 * bs_tree_link_count); V2 and directories' nlink are computed by the writer.
 */
BS_EXPORT int bs_tree_dir_add(struct bs_tree *tree, struct bs_tree_inode *dir, const char *name,
		              size_t name_len, struct bs_tree_inode *child, struct bs_error *err);

/* NULL when absent or dir is not a directory. */
BS_EXPORT struct bs_tree_inode *bs_tree_dir_lookup(const struct bs_tree_inode *dir, const char *name,
					           size_t name_len);
BS_EXPORT size_t bs_tree_dir_count(const struct bs_tree_inode *dir);
/* The i-th child in name order; *name is not NUL-terminated. */
BS_EXPORT struct bs_tree_inode *bs_tree_dir_child(const struct bs_tree_inode *dir, size_t i,
					          const char **name, size_t *name_len);

/* Metadata, readable and writable in place (keep the S_IFMT bits). */
BS_EXPORT struct bs_tree_stat *bs_tree_inode_stat(struct bs_tree_inode *inode);
/* How many dirents point at this inode (0 for the root). */
BS_EXPORT uint32_t bs_tree_link_count(const struct bs_tree_inode *inode);

/* Adds or replaces an xattr. Key: 1..255 bytes, no NUL; value up to 64 KiB. */
BS_EXPORT int bs_tree_inode_add_xattr(struct bs_tree *tree, struct bs_tree_inode *inode, const char *key,
			              size_t key_len, const void *value, size_t value_len,
			              struct bs_error *err);
BS_EXPORT size_t bs_tree_inode_xattr_count(const struct bs_tree_inode *inode);
/* The i-th xattr in insertion order; *key is NUL-terminated. */
BS_EXPORT void bs_tree_inode_xattr(const struct bs_tree_inode *inode, size_t i, const char **key,
			           size_t *key_len, const uint8_t **value, size_t *value_len);

/* Regular files: inline content (copied), also sets stat.size. */
BS_EXPORT int bs_tree_inode_set_content(struct bs_tree *tree, struct bs_tree_inode *inode,
			                const void *data, size_t len, struct bs_error *err);
/* Regular files: content is external, with this fs-verity digest (32 or 64
 * bytes). Does not allocate; set stat.size separately. */
BS_EXPORT int bs_tree_inode_set_digest(struct bs_tree_inode *inode, const uint8_t *digest, size_t len);
/* Regular files: the redirect path of external content (e.g. "ab/cdef…");
 * symlinks: the target. Copied. */
BS_EXPORT int bs_tree_inode_set_payload(struct bs_tree *tree, struct bs_tree_inode *inode,
			                const char *payload, size_t len, struct bs_error *err);

/* Regular files: content kept outside the image, SIZE bytes with this
 * fs-verity digest; sets the digest, stat.size and the redirect composefs
 * stores (the digest as an object path, "ab/cdef…"), and drops inline content. */
BS_EXPORT int bs_tree_inode_set_external(struct bs_tree *tree, struct bs_tree_inode *inode, uint64_t size,
			                 const uint8_t *digest, size_t len, struct bs_error *err);

/* NULL/0 when unset. */
BS_EXPORT const uint8_t *bs_tree_inode_content(const struct bs_tree_inode *inode, size_t *len);
BS_EXPORT const uint8_t *bs_tree_inode_digest(const struct bs_tree_inode *inode, size_t *len);
BS_EXPORT const char *bs_tree_inode_payload(const struct bs_tree_inode *inode, size_t *len);

/*
 * Where the bytes of external regular files come from (the tree holds only
 * their digest): a directory, an OCI image's layers. *data is malloc'ed.
 */
struct bs_content_source {
	int (*read)(void *ctx, const char *path, const struct bs_tree_inode *inode, uint8_t **data,
		    size_t *len, struct bs_error *err);
	void *ctx;
};

/*
 * Editing a built tree (lib/tree-edit.c). Removed inodes stay allocated until
 * bs_tree_free() but are no longer reachable from the root.
 */
/* Removes the dirent (a directory with all it holds); -ENOENT if absent. */
BS_EXPORT int bs_tree_dir_remove(struct bs_tree_inode *dir, const char *name, size_t name_len);
BS_EXPORT void bs_tree_dir_clear(struct bs_tree_inode *dir);
/* Points dir's i-th dirent (a non-directory) at another non-directory inode. */
BS_EXPORT int bs_tree_dir_replace(struct bs_tree_inode *dir, size_t i, struct bs_tree_inode *inode);
BS_EXPORT int bs_tree_inode_remove_xattr(struct bs_tree_inode *inode, const char *key);
/* Drops every xattr for which keep(key) returns 0. */
BS_EXPORT void bs_tree_inode_keep_xattrs(struct bs_tree_inode *inode, int (*keep)(const char *key));
/* A new unlinked non-directory inode with src's metadata, xattrs and content. */
BS_EXPORT int bs_tree_inode_clone(struct bs_tree *tree, const struct bs_tree_inode *src,
			          struct bs_tree_inode **out, struct bs_error *err);
/* "usr/lib/os-release" from the root, no symlinks followed; NULL if absent. */
BS_EXPORT struct bs_tree_inode *bs_tree_lookup_path(struct bs_tree *tree, const char *path);
/* nlink of every non-directory = its number of names (directories' nlink is the writer's). */
BS_EXPORT void bs_tree_update_link_counts(struct bs_tree *tree);
/* After removals: the primary name of each hardlinked inode becomes its first
 * name in depth-first name order again, as a fresh read would make it. */
BS_EXPORT void bs_tree_recompute_primaries(struct bs_tree *tree);
/* A deep copy (hardlink groups stay groups), e.g. to transform one and write the other. */
BS_EXPORT int bs_tree_dup(struct bs_tree *src, struct bs_tree **out, struct bs_error *err);

#endif
