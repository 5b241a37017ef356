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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/selabel.h>

#include "tree.h"
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
		/* Rust's PathBuf::push: a separator unless the base ends with one
		 * (an alias's target may be relative or end in '/'). */
		if (len && path[len - 1] != '/')
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

/*
 * composefs-boot's get_boot_resources runs before /boot is emptied and
 * bootc stops on its errors, though the digest never depends on what it
 * finds (bootloader.rs: Type1Entry, Type2Entry, UsrLibModulesVmlinuz).
 */
struct boot_check {
	struct bs_tree *tree;
	const struct bs_content_source *src;
	const char *name;
	struct bs_error *err;
	char where[PATH_MAX + 64];
};

__attribute__((format(printf, 4, 5)))
static int boot_fail(struct boot_check *bc, int code, const char *rel, const char *fmt, ...)
{
	char message[400];
	va_list ap;

	snprintf(bc->where, sizeof(bc->where), "%s/%s", bc->name, rel);
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return bs_error_set(bc->err, code, bc->where, "%s", message);
}

static int ends_with(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(name + len - n, suffix, n) == 0;
}

/* A directory of the tree by its components, as composefs-rs's
 * get_directory: NULL when absent, an error when a component is not a
 * directory. */
static int walk_dir(struct boot_check *bc, const char *const *parts, size_t n, struct bs_tree_inode **out)
{
	struct bs_tree_inode *dir = bs_tree_root(bc->tree);
	char rel[PATH_MAX] = "";
	size_t len = 0;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		struct bs_tree_inode *child = bs_tree_dir_lookup(dir, parts[i], strlen(parts[i]));

		len += (size_t)snprintf(rel + len, sizeof(rel) - len, "%s%s", i ? "/" : "", parts[i]);
		if (!child)
			return 0;
		if (!S_ISDIR(bs_tree_inode_stat(child)->mode))
			return boot_fail(bc, -ENOTDIR, rel, "not a directory, where bootc looks for boot entries");
		dir = child;
	}
	*out = dir;
	return 0;
}

/* The file a BLS entry's linux, initrd or efi line names, resolved from the
 * image's root as Rust's Path would split it; it must be a regular file. */
static int check_bls_path(struct boot_check *bc, const char *entry, const char *value, size_t value_len)
{
	struct bs_tree_inode *cur = bs_tree_root(bc->tree);
	const char *p = value, *end = value + value_len;
	int absolute = value_len && value[0] == '/', first = 1;

	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p)), *next;
		size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);
		int last;

		next = slash ? slash + 1 : end;
		/* The component after this one that is not empty or an inner ".". */
		last = 1;
		for (const char *q = next; q < end;) {
			const char *s2 = memchr(q, '/', (size_t)(end - q));
			size_t l2 = s2 ? (size_t)(s2 - q) : (size_t)(end - q);

			if (l2 && !(l2 == 1 && q[0] == '.')) {
				last = 0;
				break;
			}
			q = s2 ? s2 + 1 : end;
		}
		if (len == 2 && !memcmp(p, "..", 2))
			return boot_fail(bc, -EINVAL, entry, "'%.*s' has a '..' component", (int)value_len, value);
		if (len == 1 && p[0] == '.' && first && !absolute)
			return boot_fail(bc, -EINVAL, entry, "'%.*s' starts with '.'", (int)value_len, value);
		if (len && !(len == 1 && p[0] == '.')) {
			struct bs_tree_inode *child = bs_tree_dir_lookup(cur, p, len);
			uint32_t mode;

			if (!child)
				return boot_fail(bc, -ENOENT, entry, "'%.*s' is missing from the image (bootc resolves it from the image's root)",
						 (int)value_len, value);
			mode = bs_tree_inode_stat(child)->mode;
			if (!last && !S_ISDIR(mode))
				return boot_fail(bc, -ENOTDIR, entry, "'%.*s': '%.*s' is not a directory",
						 (int)value_len, value, (int)len, p);
			if (last && S_ISDIR(mode))
				return boot_fail(bc, -EISDIR, entry, "'%.*s' is a directory", (int)value_len, value);
			if (last && !S_ISREG(mode))
				return boot_fail(bc, -EINVAL, entry, "'%.*s' is not a regular file", (int)value_len, value);
			if (last)
				return 0;
			cur = child;
		}
		first = 0;
		if (next >= end)
			break;
		p = next;
	}
	return boot_fail(bc, -EINVAL, entry, "'%.*s' names no file", (int)value_len, value);
}

static int check_bls_entry(struct boot_check *bc, struct bs_tree_inode *inode, const char *rel)
{
	static const char *const keys[] = { "linux", "initrd", "efi" };
	_cleanup_free_ uint8_t *data = NULL;
	const uint8_t *bytes;
	size_t len;
	int r;

	bytes = bs_tree_inode_content(inode, &len);
	if (!bytes && bs_tree_inode_stat(inode)->size == 0) {
		bytes = (const uint8_t *)"";
		len = 0;
	}
	if (!bytes) {
		if (!bc->src || !bc->src->read)
			return boot_fail(bc, -ENOENT, rel, "content is not available");
		r = bc->src->read(bc->src->ctx, rel, inode, &data, &len, bc->err);
		if (r < 0)
			return r;
		bytes = data;
	}
	if (!bsi_utf8_valid(bytes, len))
		return boot_fail(bc, -EBADMSG, rel, "not UTF-8");
	for (const char *line = (const char *)bytes, *end = line + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t line_len = nl ? (size_t)(nl - line) : (size_t)(end - line);

		for (size_t k = 0; k < BS_ARRAY_SIZE(keys); k++) {
			size_t klen = strlen(keys[k]), n;
			const char *v = line + klen, *vend = line + line_len;

			/* strip_ble_key: the key, one ASCII space (not \v), then trim_start. */
			if (line_len <= klen || memcmp(line, keys[k], klen) != 0 ||
			    !(*v == ' ' || *v == '\t' || *v == '\n' || *v == '\f' || *v == '\r'))
				continue;
			while ((n = bsi_utf8_space(v, (size_t)(vend - v))))
				v += n;
			r = check_bls_path(bc, rel, v, (size_t)(vend - v));
			if (r < 0)
				return r;
		}
		line += line_len + 1;
	}
	return 0;
}

/* Under /boot/EFI/Linux and each /usr/lib/modules/KVER, recursively: a name
 * ending in .efi that is not a directory must be a regular file. */
static int check_efi_dir(struct boot_check *bc, struct bs_tree_inode *dir, char *rel, size_t rel_len)
{
	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		const char *name;
		size_t name_len;
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, &name, &name_len);
		uint32_t mode = bs_tree_inode_stat(child)->mode;
		int r;

		if (rel_len + 1 + name_len >= PATH_MAX)
			return boot_fail(bc, -ENAMETOOLONG, rel, "path too long");
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, name, name_len);
		rel[rel_len + 1 + name_len] = '\0';
		if (S_ISDIR(mode)) {
			r = check_efi_dir(bc, child, rel, rel_len + 1 + name_len);
			if (r < 0)
				return r;
		} else if (ends_with(name, name_len, ".efi") && !S_ISREG(mode)) {
			return boot_fail(bc, -EINVAL, rel, "not a regular file (bootc reads every .efi here as a UKI)");
		}
		rel[rel_len] = '\0';
	}
	return 0;
}

static int check_boot_resources(struct bs_tree *tree, const struct bs_content_source *src, const char *name,
				struct bs_error *err)
{
	static const char *const entries_path[] = { "boot", "loader", "entries" };
	static const char *const uki_path[] = { "boot", "EFI", "Linux" };
	static const char *const modules_path[] = { "usr", "lib", "modules" };
	struct boot_check bc = { .tree = tree, .src = src, .name = name, .err = err };
	struct bs_tree_inode *dir;
	char rel[PATH_MAX];
	int r;

	r = walk_dir(&bc, entries_path, 3, &dir);
	for (size_t i = 0; r >= 0 && dir && i < bs_tree_dir_count(dir); i++) {
		const char *child_name;
		size_t len;
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, &child_name, &len);
		uint32_t mode = bs_tree_inode_stat(child)->mode;

		if (!ends_with(child_name, len, ".conf"))
			continue;
		snprintf(rel, sizeof(rel), "boot/loader/entries/%.*s", (int)len, child_name);
		if (S_ISDIR(mode))
			return boot_fail(&bc, -EISDIR, rel, "a BLS entry that is a directory");
		if (!S_ISREG(mode))
			return boot_fail(&bc, -EINVAL, rel, "a BLS entry that is not a regular file");
		r = check_bls_entry(&bc, child, rel);
	}
	if (r >= 0)
		r = walk_dir(&bc, uki_path, 3, &dir);
	if (r >= 0 && dir) {
		snprintf(rel, sizeof(rel), "boot/EFI/Linux");
		r = check_efi_dir(&bc, dir, rel, strlen(rel));
	}
	if (r >= 0)
		r = walk_dir(&bc, modules_path, 3, &dir);
	for (size_t i = 0; r >= 0 && dir && i < bs_tree_dir_count(dir); i++) {
		const char *kver;
		size_t len;
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, &kver, &len), *vmlinuz;

		if (!S_ISDIR(bs_tree_inode_stat(child)->mode))
			continue;
		snprintf(rel, sizeof(rel), "usr/lib/modules/%.*s", (int)len, kver);
		r = check_efi_dir(&bc, child, rel, strlen(rel));
		vmlinuz = bs_tree_dir_lookup(child, "vmlinuz", 7);
		if (r >= 0 && vmlinuz && S_ISREG(bs_tree_inode_stat(vmlinuz)->mode) && !bsi_utf8_valid(kver, len))
			r = boot_fail(&bc, -EINVAL, rel, "a kernel version that is not UTF-8");
	}
	return r;
}

int bs_bootc_transform(struct bs_tree *tree, unsigned flags, const struct bs_content_source *src,
		       const char *name, struct bs_error *err)
{
	if (!tree || !src || !name)
		return bs_error_set(err, -EINVAL, NULL, "bs_bootc_transform: a NULL argument");
	struct bs_tree_inode *root = bs_tree_root(tree), *usr;
	struct bs_tree_stat *root_st, usr_st;
	int r;

	usr = bs_tree_dir_lookup(root, "usr", 3);
	if (!usr)
		return bs_error_set(err, -ENOENT, name, "/usr is missing: not a bootable container root filesystem");
	if (!S_ISDIR(bs_tree_inode_stat(usr)->mode))
		return bs_error_set(err, -ENOTDIR, name, "/usr is not a directory");
	r = check_boot_resources(tree, src, name, err);
	if (r < 0)
		return r;
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
