/* SPDX-License-Identifier: MIT */
/*
 * Changes to a built tree: what layer flattening (whiteouts, opaque
 * directories) and bootc's transforms (emptied directories, xattr filter,
 * relabelled hardlinks) need. Removed inodes stay allocated until
 * bs_tree_free(); they are simply no longer reachable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"
#include "util.h"

static void unlink_subtree(struct bs_tree_inode *inode)
{
	inode->links--;
	if (!S_ISDIR(inode->st.mode))
		return;
	for (size_t i = 0; i < inode->n_children; i++)
		unlink_subtree(inode->children[i].inode);
	inode->n_children = 0;
}

int bs_tree_dir_remove(struct bs_tree_inode *dir, const char *name, size_t name_len)
{
	if (!dir || !name)
		return -EINVAL;
	for (size_t i = 0; i < dir->n_children; i++) {
		struct bs_tree_dirent *d = &dir->children[i];

		if (d->name_len != name_len || memcmp(d->name, name, name_len) != 0)
			continue;
		unlink_subtree(d->inode);
		memmove(d, d + 1, (dir->n_children - i - 1) * sizeof(*d));
		dir->n_children--;
		return 0;
	}
	return -ENOENT;
}

void bs_tree_dir_clear(struct bs_tree_inode *dir)
{
	if (!dir)
		return;
	for (size_t i = 0; i < dir->n_children; i++)
		unlink_subtree(dir->children[i].inode);
	dir->n_children = 0;
}

int bs_tree_dir_replace(struct bs_tree_inode *dir, size_t i, struct bs_tree_inode *inode)
{
	if (!dir || !inode)
		return -EINVAL;
	struct bs_tree_dirent *d;

	if (i >= dir->n_children || S_ISDIR(inode->st.mode) || S_ISDIR(dir->children[i].inode->st.mode))
		return -EINVAL;
	d = &dir->children[i];
	d->inode->links--;
	d->inode = inode;
	d->primary = inode->links == 0;
	inode->links++;
	return 0;
}

int bs_tree_inode_remove_xattr(struct bs_tree_inode *inode, const char *key)
{
	if (!inode || !key)
		return -EINVAL;
	for (size_t i = 0; i < inode->n_xattrs; i++) {
		if (strcmp(inode->xattrs[i].key, key) != 0)
			continue;
		memmove(&inode->xattrs[i], &inode->xattrs[i + 1],
			(inode->n_xattrs - i - 1) * sizeof(inode->xattrs[0]));
		inode->n_xattrs--;
		return 0;
	}
	return -ENOENT;
}

void bs_tree_inode_keep_xattrs(struct bs_tree_inode *inode, int (*keep)(const char *key))
{
	if (!inode || !keep)
		return;
	size_t n = 0;

	for (size_t i = 0; i < inode->n_xattrs; i++)
		if (keep(inode->xattrs[i].key))
			inode->xattrs[n++] = inode->xattrs[i];
	inode->n_xattrs = n;
}

int bs_tree_inode_clone(struct bs_tree *tree, const struct bs_tree_inode *src,
			struct bs_tree_inode **out, struct bs_error *err)
{
	if (!tree || !src || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_tree_inode_clone: a NULL argument");
	struct bs_tree_inode *dst;
	int r;

	if (S_ISDIR(src->st.mode))
		return -EINVAL;
	r = bs_tree_inode_new(tree, src->st.mode, &dst, err);
	if (r < 0)
		return r;
	dst->st = src->st;
	/* Names and values live in the arena for the tree's lifetime: sharing is safe. */
	if (src->n_xattrs) {
		dst->xattrs = malloc(src->n_xattrs * sizeof(*dst->xattrs));
		if (!dst->xattrs)
			return -ENOMEM;
		memcpy(dst->xattrs, src->xattrs, src->n_xattrs * sizeof(*dst->xattrs));
		dst->n_xattrs = dst->xattrs_cap = src->n_xattrs;
	}
	dst->digest_len = src->digest_len;
	memcpy(dst->digest, src->digest, src->digest_len);
	dst->content = src->content;
	dst->content_len = src->content_len;
	dst->payload = src->payload;
	dst->payload_len = src->payload_len;
	*out = dst;
	return 0;
}

struct bs_tree_inode *bs_tree_lookup_path(struct bs_tree *tree, const char *path)
{
	if (!tree || !path)
		return NULL;
	struct bs_tree_inode *cur = tree->root;

	while (cur && *path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		if (len)
			cur = bs_tree_dir_lookup(cur, path, len);
		path += len + (slash ? 1 : 0);
	}
	return cur;
}

static void update_link_counts(struct bs_tree_inode *dir)
{
	for (size_t i = 0; i < dir->n_children; i++) {
		struct bs_tree_inode *child = dir->children[i].inode;

		if (S_ISDIR(child->st.mode))
			update_link_counts(child);
		else
			child->st.nlink = child->links;
	}
}

void bs_tree_update_link_counts(struct bs_tree *tree)
{
	if (!tree)
		return;
	update_link_counts(tree->root);
}

static void mark_primaries(struct bs_tree_inode *dir)
{
	for (size_t i = 0; i < dir->n_children; i++) {
		struct bs_tree_dirent *d = &dir->children[i];

		d->primary = d->inode->w_flags == 0;
		d->inode->w_flags = 1;
		if (S_ISDIR(d->inode->st.mode))
			mark_primaries(d->inode);
	}
}

void bs_tree_recompute_primaries(struct bs_tree *tree)
{
	if (!tree)
		return;
	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_flags = 0;
	mark_primaries(tree->root);
	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_flags = 0;
}

static int dup_dir(struct bs_tree *dst, const struct bs_tree_inode *from, struct bs_tree_inode *to,
		   struct bs_error *err);

/* The copy of an inode: hardlinked inodes are copied once (w_data holds the copy). */
static int dup_inode(struct bs_tree *dst, struct bs_tree_inode *src, struct bs_tree_inode **out,
		     struct bs_error *err)
{
	struct bs_tree_inode *copy;
	int r;

	if (src->w_data) {
		*out = src->w_data;
		return 0;
	}
	r = bs_tree_inode_new(dst, src->st.mode, &copy, err);
	if (r < 0)
		return r;
	copy->st = src->st;
	for (size_t i = 0; i < src->n_xattrs; i++) {
		r = bs_tree_inode_add_xattr(dst, copy, src->xattrs[i].key, src->xattrs[i].key_len,
					    src->xattrs[i].value, src->xattrs[i].value_len, err);
		if (r < 0)
			return r;
	}
	if (src->content) {
		r = bs_tree_inode_set_content(dst, copy, src->content, src->content_len, err);
		copy->st.size = src->st.size;
	}
	if (r >= 0 && src->payload)
		r = bs_tree_inode_set_payload(dst, copy, src->payload, src->payload_len, err);
	if (r >= 0 && src->digest_len)
		r = bs_tree_inode_set_digest(copy, src->digest, src->digest_len);
	if (r < 0)
		return r;
	src->w_data = copy;
	*out = copy;
	return S_ISDIR(src->st.mode) ? dup_dir(dst, src, copy, err) : 0;
}

static int dup_dir(struct bs_tree *dst, const struct bs_tree_inode *from, struct bs_tree_inode *to,
		   struct bs_error *err)
{
	for (size_t i = 0; i < from->n_children; i++) {
		const struct bs_tree_dirent *d = &from->children[i];
		struct bs_tree_inode *child;
		int r;

		r = dup_inode(dst, d->inode, &child, err);
		if (r >= 0)
			r = bs_tree_dir_add(dst, to, d->name, d->name_len, child, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int bs_tree_dup(struct bs_tree *src, struct bs_tree **out, struct bs_error *err)
{
	if (!src || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_tree_dup: a NULL argument");
	struct bs_tree *dst;
	int r;

	r = bs_tree_new(&dst);
	if (r < 0)
		return r;
	for (struct bs_tree_inode *i = src->all; i; i = i->all_next)
		i->w_data = NULL;
	/* The root exists already in dst; copy its fields, then its children. */
	src->root->w_data = dst->root;
	dst->root->st = src->root->st;
	r = 0;
	for (size_t i = 0; r >= 0 && i < src->root->n_xattrs; i++)
		r = bs_tree_inode_add_xattr(dst, dst->root, src->root->xattrs[i].key,
					    src->root->xattrs[i].key_len, src->root->xattrs[i].value,
					    src->root->xattrs[i].value_len, err);
	if (r >= 0)
		r = dup_dir(dst, src->root, dst->root, err);
	for (struct bs_tree_inode *i = src->all; i; i = i->all_next)
		i->w_data = NULL;
	if (r < 0) {
		bs_tree_free(dst);
		return r;
	}
	bs_tree_recompute_primaries(dst);
	*out = dst;
	return 0;
}
