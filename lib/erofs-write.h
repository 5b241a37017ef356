/* SPDX-License-Identifier: MIT */
/*
 * The composefs image writer's working state, kept by erofs-image.c: the
 * tree flattened into image inodes (with the xattrs and entries composefs
 * adds), built by erofs-build.c and laid out by erofs-write.c (C
 * mkcomposefs's layout) and erofs-v2.c.
 */
#ifndef BOOTSEAL_EROFS_WRITE_H
#define BOOTSEAL_EROFS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include <bootseal/erofs.h>

#include "erofs-internal.h"

struct ew_xattr {
	const char *key;                /* full name */
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
	uint8_t index;                  /* EROFS short prefix index */
	size_t skip;                    /* length of that prefix */
	int64_t shared;                 /* offset in the shared table, or -1 */
	uint32_t sid;                   /* index of the shared entry (V2) */
};

struct ew_dirent {
	const char *name;
	uint32_t name_len;
	uint32_t node;
	struct bs_tree_inode *target;   /* until hardlinks are resolved */
	int hardlink;                   /* not the inode's primary name */
};

struct ew_node {
	struct bs_tree_inode *src;      /* NULL for the root's whiteout stubs */
	uint32_t parent;
	uint32_t ino;
	uint32_t mode, uid, gid, nlink;
	uint64_t size, rdev;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	const uint8_t *content;         /* inline regular-file content */
	const char *link;               /* symlink target */
	size_t link_len;
	struct ew_xattr *xattrs;
	size_t n_xattrs, xattrs_cap;
	struct ew_dirent *dirents;      /* with "." and "..", in name order */
	size_t n_dirents;
	/* layout */
	int compact;
	uint32_t ipad, xattr_size, isize, n_blocks, tailsize, n_shared;
	uint64_t nid;
};

struct ew {
	const struct bs_erofs_options *opts;
	unsigned version, max_version;
	struct bs_error *err;
	struct ew_node *nodes;
	size_t n_nodes, nodes_cap;
	void **allocs;                  /* strings made while building, freed at the end */
	size_t n_allocs, allocs_cap;
	int64_t min_sec;
	uint32_t min_nsec;
	int has_acl;
	uint64_t inodes_end, shared_size, n_data_blocks, data_end;
	struct ew_xattr **shared;       /* the shared table, in on-disk order */
	size_t n_shared;
	uint8_t *buf;
	size_t len, cap;
	int oom;
};

/* Output buffer; on allocation failure w->oom is set and writes are dropped. */
uint8_t *ew_reserve(struct ew *w, size_t len);
void ew_put(struct ew *w, const void *data, size_t len);
void ew_pad(struct ew *w, size_t len);
void ew_align(struct ew *w, size_t align);

/* The composefs header and the superblock fields both layouts fill alike,
 * for an image whose data starts at data_start: the superblock, for the
 * caller's own fields, or NULL without memory. */
uint8_t *ew_write_super(struct ew *w, uint32_t cfs_version, uint32_t flags, uint64_t data_start);

size_t ew_xattr_entry_size(const struct ew_xattr *x);
/* Sets n->n_shared and returns the bytes of n's xattrs stored in the inode. */
size_t ew_count_xattrs(struct ew_node *n);
void ew_write_xattr(struct ew *w, const struct ew_xattr *x);
uint16_t ew_icount(uint32_t xattr_size);
uint8_t ew_file_type(uint32_t mode);

/* Directory entries: block count and inline tail (n_blocks, tailsize), and
 * writing the full blocks (blocks) or the inline tail (!blocks). */
void ew_dir_size(struct ew_node *n);
void ew_write_dirents(struct ew *w, const struct ew_node *n, int blocks);

/* An error about one node, prefixed with its path in the tree. */
int ew_fail(struct ew *w, const struct ew_node *n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Tree to nodes (erofs-build.c) */
void *ew_keep(struct ew *w, void *p);
int ew_add_node(struct ew *w, struct bs_tree_inode *src, uint32_t parent, uint32_t *out);
/* What neither layout can write: a symlink without a target, inline
 * content of another size than the file's. */
int ew_check_node(struct ew *w, const struct ew_node *n);
int ew_set_xattr(struct ew *w, struct ew_node *n, const char *key, size_t key_len,
		 const void *value, size_t value_len);
/* A tree xattr, a trusted.overlay.X key escaped as trusted.overlay.overlay.X
 * (the image's own overlay xattrs, which the mounting overlayfs would take
 * for its own). */
struct bs_tree_xattr;
int ew_set_escaped_xattr(struct ew *w, struct ew_node *n, const struct bs_tree_xattr *x);
/* The overlay xattrs of a file whose content lives elsewhere: metacopy with
 * the file's fs-verity digest, and redirect "/TARGET" unless TARGET is empty. */
int ew_set_external(struct ew *w, struct ew_node *n, const char *target, size_t target_len);
int ew_build_shared(struct ew *w);
int ew_build_v2(struct ew *w, struct bs_tree *tree);
int ew_write_c_layout(struct ew *w);
int ew_write_v2_layout(struct ew *w);

#endif
