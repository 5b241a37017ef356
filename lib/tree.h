/* SPDX-License-Identifier: MIT */
/* The tree's representation, shared by the writers and readers in lib/; not public. */
#ifndef BOOTSEAL_LIB_TREE_H
#define BOOTSEAL_LIB_TREE_H

#include <pthread.h>

#include <bootseal/tree.h>

struct bs_tree_xattr {
	char *key;              /* NUL-terminated, arena */
	uint16_t key_len;
	uint32_t value_len;
	uint8_t *value;         /* arena */
};

struct bs_tree_dirent {
	const char *name;       /* arena, NUL-terminated */
	uint32_t name_len;
	struct bs_tree_inode *inode;
	/* The name a hardlinked inode is stored under: its place in the BFS
	 * order of the image (C mkcomposefs: the non-`@` dump line). */
	int primary;
};

struct bs_tree_inode {
	struct bs_tree_stat st;
	uint32_t links;         /* dirents pointing here */
	uint8_t digest_len;
	uint8_t digest[BS_TREE_DIGEST_MAX];
	uint8_t *content;       /* arena; inline regular-file content */
	size_t content_len;
	char *payload;          /* arena; redirect or symlink target, NUL-terminated */
	size_t payload_len;
	struct bs_tree_xattr *xattrs;   /* heap */
	size_t n_xattrs, xattrs_cap;
	struct bs_tree_dirent *children; /* heap, sorted by name */
	size_t n_children, children_cap;
	struct bs_tree_inode *all_next; /* every inode of the tree, for freeing */
	/* Scratch space for the writers, owned by whoever is writing. */
	uint64_t w_nid;
	uint32_t w_index;
	uint32_t w_flags;
	void *w_data;
};

struct bs_tree_chunk;

struct bs_tree {
	pthread_mutex_t lock;
	struct bs_tree_inode *root;
	struct bs_tree_inode *all;
	struct bs_tree_chunk *chunks;
	size_t n_inodes;
};

/* Arena copy of len bytes plus a NUL; caller holds the lock or owns the tree. */
void *bsi_tree_arena_dup(struct bs_tree *tree, const void *data, size_t len);
/* Bytewise name order with the shorter name first on a common prefix (strcmp). */
int bsi_tree_name_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* Makes dir's i-th dirent the primary name of its inode (readers of images). */
void bsi_tree_set_primary(struct bs_tree_inode *dir, size_t i);

#endif
