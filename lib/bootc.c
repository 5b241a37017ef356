/* SPDX-License-Identifier: MIT */
/*
 * Facts from composefs-rs 0fbc8533: generic_tree.rs (copy_root_metadata_from_usr,
 * canonicalize_run, the xattr allowlist), composefs-boot lib.rs
 * (transform_for_boot) and selabel.rs (relabel_dir), the revision bootc
 * 534c76ea computes its digests with.
 */
#include <bootseal/bootc.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/selabel.h>

#include "tree-internal.h"
#include "util.h"

#define CAPABILITY_XATTR "security.capability"
#define SELINUX_XATTR "security.selinux"

struct relabel {
	struct bs_tree *tree;
	struct bs_selabel *sel;
	struct bs_error *err;
};

static int keep_capability(const char *key)
{
	return strcmp(key, CAPABILITY_XATTR) == 0;
}

static void filter_xattrs(struct bs_tree_inode *dir)
{
	bs_tree_inode_keep_xattrs(dir, keep_capability);
	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, NULL, NULL);

		if (S_ISDIR(bs_tree_inode_stat(child)->mode))
			filter_xattrs(child);
		else
			bs_tree_inode_keep_xattrs(child, keep_capability);
	}
}

static int copy_xattrs(struct bs_tree *tree, struct bs_tree_inode *dst, struct bs_tree_inode *src,
		       struct bs_error *err)
{
	while (bs_tree_inode_xattr_count(dst)) {
		const char *key;
		size_t key_len, len;
		const uint8_t *value;

		bs_tree_inode_xattr(dst, 0, &key, &key_len, &value, &len);
		bs_tree_inode_remove_xattr(dst, key);
	}
	for (size_t i = 0; i < bs_tree_inode_xattr_count(src); i++) {
		const char *key;
		size_t key_len, len;
		const uint8_t *value;
		int r;

		bs_tree_inode_xattr(src, i, &key, &key_len, &value, &len);
		r = bs_tree_inode_add_xattr(tree, dst, key, key_len, value, len, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* /boot, /sysroot (required) and /run (optional): emptied, with /usr's mtime. */
static int empty_dir(struct bs_tree *tree, const char *dirname, int required, int whole_mtime,
		     unsigned flags, const struct bs_tree_stat *usr, const char *name, struct bs_error *err)
{
	struct bs_tree_inode *root = bs_tree_root(tree);
	struct bs_tree_inode *dir = bs_tree_dir_lookup(root, dirname, strlen(dirname));
	struct bs_tree_stat *st;
	int r;

	if (!dir && required && !(flags & BS_BOOTC_CREATE_MISSING))
		return bs_error_set(err, -ENOENT, name,
				    "/%s is missing: bootc needs /boot and /sysroot (--create-missing-dirs creates them empty)",
				    dirname);
	if (!dir && !required)
		return 0;
	if (!dir) {
		r = bs_tree_inode_new(tree, S_IFDIR, &dir, err);
		if (r < 0)
			return r;
		st = bs_tree_inode_stat(dir);
		st->mode = S_IFDIR | 0755;
		st->mtime_nsec = usr->mtime_nsec;
		r = bs_tree_dir_add(tree, root, dirname, strlen(dirname), dir, err);
		if (r < 0)
			return r;
	}
	st = bs_tree_inode_stat(dir);
	if (!S_ISDIR(st->mode))
		return bs_error_set(err, -ENOTDIR, name, "/%s is not a directory", dirname);
	bs_tree_dir_clear(dir);
	st->mtime_sec = usr->mtime_sec;
	if (whole_mtime)
		st->mtime_nsec = usr->mtime_nsec;
	return 0;
}

static int apply_label(struct relabel *rl, struct bs_tree_inode *inode, const char *label)
{
	if (!label) {
		bs_tree_inode_remove_xattr(inode, SELINUX_XATTR);
		return 0;
	}
	return bs_tree_inode_add_xattr(rl->tree, inode, SELINUX_XATTR, strlen(SELINUX_XATTR), label,
				       strlen(label), rl->err);
}

/* The label a hardlinked leaf got first; w_data is free scratch space here. */
static const char none_label[] = "";

static int lookup(struct relabel *rl, const char *path, size_t len, uint32_t mode, const char **label)
{
	*label = bs_selabel_lookup(rl->sel, path, len, bs_selabel_type_of_mode(mode));
	if (bs_selabel_failure(rl->sel))
		return bs_error_set(rl->err, -EINVAL, path, "SELinux file_contexts: %s",
				    bs_selabel_failure(rl->sel));
	return 0;
}

static int relabel_dir(struct relabel *rl, struct bs_tree_inode *dir, const char *base, size_t base_len)
{
	char path[PATH_MAX + 1];

	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		const char *name, *alias, *label;
		size_t name_len, len = base_len;
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, &name, &name_len);
		uint32_t mode = bs_tree_inode_stat(child)->mode;
		int r = 0;

		if (base_len + 1 + name_len > PATH_MAX)
			return bs_error_set(rl->err, -ENAMETOOLONG, base, "path too long");
		memcpy(path, base, base_len);
		if (len > 1)
			path[len++] = '/';
		memcpy(path + len, name, name_len);
		len += name_len;
		path[len] = '\0';
		/* An aliased path is looked up, and is the base of its children, as its target. */
		alias = bs_selabel_alias(rl->sel, path, len);
		if (alias) {
			len = strlen(alias);
			if (len > PATH_MAX)
				return bs_error_set(rl->err, -ENAMETOOLONG, alias, "alias too long");
			memcpy(path, alias, len + 1);
		}
		r = lookup(rl, path, len, mode, &label);
		if (r < 0)
			return r;
		if (S_ISDIR(mode)) {
			r = apply_label(rl, child, label);
			if (r >= 0)
				r = relabel_dir(rl, child, path, len);
		} else if (!child->w_data) {
			child->w_data = (void *)(label ? label : none_label);
			r = apply_label(rl, child, label);
		} else if (strcmp(child->w_data, label ? label : none_label) != 0) {
			/* Another label for another name of the same file: split the link. */
			struct bs_tree_inode *clone;

			r = bs_tree_inode_clone(rl->tree, child, &clone, rl->err);
			if (r >= 0)
				r = bs_tree_dir_replace(dir, i, clone);
			if (r >= 0) {
				clone->w_data = (void *)(label ? label : none_label);
				r = apply_label(rl, clone, label);
			}
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int relabel(struct bs_tree *tree, const struct bs_content_source *src, const char *name,
		   struct bs_error *err)
{
	struct relabel rl = { .tree = tree, .err = err };
	const char *label;
	int r;

	r = bs_selabel_load(tree, src, name, &rl.sel, err);
	if (r < 0 || !rl.sel)
		return r;
	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_data = NULL;
	r = lookup(&rl, "/", 1, S_IFDIR, &label);
	if (r >= 0)
		r = apply_label(&rl, tree->root, label);
	if (r >= 0)
		r = relabel_dir(&rl, tree->root, "/", 1);
	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_data = NULL;
	bs_selabel_free(rl.sel);
	return r;
}

int bs_bootc_transform(struct bs_tree *tree, unsigned flags, const struct bs_content_source *src,
		       const char *name, struct bs_error *err)
{
	struct bs_tree_inode *root = bs_tree_root(tree), *usr;
	struct bs_tree_stat *root_st, usr_st;
	int r;

	usr = bs_tree_dir_lookup(root, "usr", 3);
	if (!usr)
		return bs_error_set(err, -ENOENT, name, "/usr is missing: not a bootable container root filesystem");
	if (!S_ISDIR(bs_tree_inode_stat(usr)->mode))
		return bs_error_set(err, -ENOTDIR, name, "/usr is not a directory");
	usr_st = *bs_tree_inode_stat(usr);
	root_st = bs_tree_inode_stat(root);
	root_st->mode = S_IFDIR | (usr_st.mode & 07777);
	root_st->uid = usr_st.uid;
	root_st->gid = usr_st.gid;
	root_st->mtime_sec = usr_st.mtime_sec;
	root_st->mtime_nsec = usr_st.mtime_nsec;
	r = copy_xattrs(tree, root, usr, err);
	if (r >= 0)
		r = empty_dir(tree, "run", 0, 1, flags, &usr_st, name, err);
	if (r < 0)
		return r;
	filter_xattrs(root);
	r = empty_dir(tree, "boot", 1, 0, flags, &usr_st, name, err);
	if (r >= 0)
		r = empty_dir(tree, "sysroot", 1, 0, flags, &usr_st, name, err);
	if (r >= 0)
		r = relabel(tree, src, name, err);
	if (r < 0)
		return r;
	bs_tree_update_link_counts(tree);
	bs_tree_recompute_primaries(tree);
	return 0;
}
