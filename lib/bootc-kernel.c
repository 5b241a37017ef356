/* SPDX-License-Identifier: MIT */
/*
 * bootc's kernel rules, in one place, read through root_list() and
 * root_mode() from a directory or from an image's tree:
 *  - what `bootc container ukify` builds a UKI from (seal, container
 *    ukify): the kernel of usr/lib/modules and the command line of kargs.d,
 *    composefs= and --karg;
 *  - what `bootc container inspect` reports (bootc 534c76ea kernel.rs
 *    find_kernel, ostree-ext bootabletree.rs find_kernel_dir_fs). It differs
 *    from the first on purpose: inspect reports a UKI already in the image,
 *    ukify refuses to build a second one.
 */
#include <bootseal/bootc.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/kargs.h>
#include <bootseal/uki.h>

#include "util.h"

#define EFI_LINUX "boot/EFI/Linux"
#define MODULES "usr/lib/modules"

static const char *root_name(const struct bs_bootc_root *root)
{
	return root->name ? root->name : root->dir;
}

/* The entries of directory rel in byte order (none when it is missing). */
static int root_list(const struct bs_bootc_root *root, const char *rel, struct bsi_strv *out, struct bs_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r = 0;

	if (!root->dir) {
		struct bs_tree_inode *dir = bs_tree_lookup_path(root->tree, rel);

		if (!dir || !S_ISDIR(bs_tree_inode_stat(dir)->mode))
			return 0;
		for (size_t i = 0; r >= 0 && i < bs_tree_dir_count(dir); i++) {
			const char *name;
			size_t len;

			bs_tree_dir_child(dir, i, &name, &len);
			r = bsi_strv_addn(out, name, len);
		}
		return r;       /* a tree keeps its children in byte order */
	}
	if (asprintf(&path, "%s/%s", root->dir, rel) < 0)
		return -ENOMEM;
	r = bsi_strv_read_dir(out, path);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	return r < 0 && r != -ENOMEM ? bs_error_set(err, r, path, "cannot open: %s", strerror(-r)) : r;
}

/* The file type of rel, 0 when it is missing; a symbolic link is followed
 * only with follow, and only in a directory (a tree resolves none). */
static mode_t root_mode(const struct bs_bootc_root *root, const char *rel, int follow)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (!root->dir) {
		struct bs_tree_inode *ino = bs_tree_lookup_path(root->tree, rel);

		return ino ? bs_tree_inode_stat(ino)->mode & S_IFMT : 0;
	}
	if (asprintf(&path, "%s/%s", root->dir, rel) < 0 ||
	    fstatat(AT_FDCWD, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return st.st_mode & S_IFMT;
}

static int check_root(const struct bs_bootc_root *root)
{
	return root && (root->dir || (root->tree && (!root->src || root->src->read)));
}

/* Rust's str::from_utf8: bootc skips names that are not valid UTF-8. */
static int is_utf8(const char *name)
{
	return bsi_utf8_valid(name, strlen(name));
}

/* Path::extension() == "efi": a non-empty stem before the last dot. */
static int uki_stem_len(const char *name, size_t *stem)
{
	const char *dot = strrchr(name, '.');

	if (!dot || dot == name || strcmp(dot, ".efi") != 0)
		return 0;
	*stem = (size_t)(dot - name);
	return 1;
}

/* The first UKI in byte order, its name less .efi. */
static int find_uki(const struct bs_bootc_root *root, char **version, struct bs_error *err)
{
	_cleanup_(bsi_strv_done) struct bsi_strv efi = { 0 };
	size_t stem;
	int r = root_list(root, EFI_LINUX, &efi, err);

	for (size_t i = 0; r >= 0 && i < efi.n; i++) {
		if (!uki_stem_len(efi.v[i], &stem) || !is_utf8(efi.v[i]))
			continue;
		efi.v[i][stem] = '\0';
		*version = BS_STEAL(efi.v[i]);
		break;
	}
	return r;
}

static int find_modules_dir(const struct bs_bootc_root *root, char **version, struct bs_error *err)
{
	_cleanup_(bsi_strv_done) struct bsi_strv modules = { 0 };
	const char *found = NULL;
	int r = root_list(root, MODULES, &modules, err);

	for (size_t i = 0; r >= 0 && i < modules.n; i++) {
		_cleanup_free_ char *dir = NULL, *vmlinuz = NULL;

		if (!is_utf8(modules.v[i]))
			continue;
		/* DirEntry::file_type(): the entry itself, a symlink is no
		 * directory; then try_exists("vmlinuz"), which follows one. */
		if (asprintf(&dir, MODULES "/%s", modules.v[i]) < 0 ||
		    asprintf(&vmlinuz, MODULES "/%s/vmlinuz", modules.v[i]) < 0)
			return -ENOMEM;
		if (root_mode(root, dir, 0) != S_IFDIR || !root_mode(root, vmlinuz, 1))
			continue;
		if (found)
			return bs_error_set(err, -EINVAL, root_name(root), "found multiple subdirectories in %s (%s, %s)",
					    MODULES, found, modules.v[i]);
		found = modules.v[i];
	}
	if (r >= 0 && found && !(*version = strdup(found)))
		r = -ENOMEM;
	return r;
}

int bs_bootc_find_kernel(const char *rootfs, struct bs_bootc_kernel *kernel, struct bs_error *err)
{
	struct bs_bootc_root root = { .dir = rootfs };
	int r;

	if (!rootfs || !kernel)
		return -EINVAL;
	*kernel = (struct bs_bootc_kernel){ 0 };
	r = find_uki(&root, &kernel->version, err);
	if (r < 0 || kernel->version) {
		kernel->unified = r >= 0;
		return r;
	}
	return find_modules_dir(&root, &kernel->version, err);
}

void bs_bootc_kernel_clear(struct bs_bootc_kernel *kernel)
{
	if (!kernel)
		return;
	free(kernel->version);
	*kernel = (struct bs_bootc_kernel){ 0 };
}

/* A UKI is built once: one already in boot/EFI/Linux is refused. */
static int check_no_uki(const struct bs_bootc_root *root, struct bs_error *err)
{
	_cleanup_(bsi_strv_done) struct bsi_strv efi = { 0 };
	int r = root_list(root, EFI_LINUX, &efi, err);

	for (size_t i = 0; r >= 0 && i < efi.n; i++) {
		size_t l = strlen(efi.v[i]);

		if (l > 4 && strcmp(efi.v[i] + l - 4, ".efi") == 0)
			r = bs_error_set(err, -EEXIST, root_name(root), "already holds a UKI: " EFI_LINUX "/%s",
					 efi.v[i]);
	}
	return r;
}

int bs_bootc_uki_kernel(const struct bs_bootc_root *root, struct bs_bootc_uki_kernel *out, struct bs_error *err)
{
	if (!check_root(root) || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_bootc_uki_kernel: a NULL argument");
	_cleanup_(bsi_strv_done) struct bsi_strv modules = { 0 };
	const char *found = NULL;
	int r;

	*out = (struct bs_bootc_uki_kernel){ 0 };
	r = check_no_uki(root, err);
	if (r >= 0)
		r = root_list(root, MODULES, &modules, err);
	for (size_t i = 0; r >= 0 && i < modules.n; i++) {
		_cleanup_free_ char *vmlinuz = NULL;

		if (asprintf(&vmlinuz, MODULES "/%s/vmlinuz", modules.v[i]) < 0)
			return -ENOMEM;
		if (root_mode(root, vmlinuz, 0) != S_IFREG)
			continue;
		if (found)
			return bs_error_set(err, -EINVAL, root_name(root), "several kernels in " MODULES " (%s, %s)",
					    found, modules.v[i]);
		found = modules.v[i];
	}
	if (r < 0)
		return r;
	if (!found)
		return bs_error_set(err, -ENOENT, root_name(root), "no kernel: no " MODULES "/*/vmlinuz");
	if (asprintf(&out->linux_path, MODULES "/%s/vmlinuz", found) < 0 ||
	    asprintf(&out->initrd_path, MODULES "/%s/initramfs.img", found) < 0 || !(out->kver = strdup(found))) {
		bs_bootc_uki_kernel_clear(out);
		return -ENOMEM;
	}
	if (root_mode(root, out->initrd_path, 0) != S_IFREG) {
		r = bs_error_set(err, -ENOENT, root_name(root), "no initramfs at %s", out->initrd_path);
		bs_bootc_uki_kernel_clear(out);
	}
	return r;
}

void bs_bootc_uki_kernel_clear(struct bs_bootc_uki_kernel *kernel)
{
	if (!kernel)
		return;
	free(kernel->kver);
	free(kernel->linux_path);
	free(kernel->initrd_path);
	*kernel = (struct bs_bootc_uki_kernel){ 0 };
}

/* The order bootc container ukify uses: kargs.d, then composefs=, then --karg. */
int bs_bootc_uki_cmdline(const struct bs_bootc_root *root, const struct bs_bootc_cmdline *in, char **cmdline,
			 struct bs_error *err)
{
	if (!check_root(root) || (!root->dir && !root->src) || !in || !in->arch || !in->digest || !cmdline ||
	    (in->n_kargs && !in->kargs))
		return bs_error_set(err, -EINVAL, NULL, "bs_bootc_uki_cmdline: a NULL argument");
	const char *name = root_name(root);
	_cleanup_free_ char *param = NULL;
	struct bs_kargs_composefs karg;
	int r;

	*cmdline = NULL;
	r = root->dir ? bs_kargs_read_dir(root->dir, in->arch->rust, cmdline, err) :
	    bs_kargs_read_tree(root->tree, root->src, in->arch->rust, root->name, cmdline, err);
	if (r < 0)
		return r;
	if (asprintf(&param, "composefs=%s%s", in->allow_missing_verity ? "?" : "", in->digest) < 0)
		param = NULL, r = -ENOMEM;
	if (r >= 0)
		r = bs_kargs_append(cmdline, param);
	for (size_t i = 0; r >= 0 && i < in->n_kargs; i++)
		r = bs_kargs_append(cmdline, in->kargs[i]);
	if (r < 0)
		r = bs_error_set(err, r, name, "cannot build the kernel command line");
	if (r >= 0)
		r = bs_kargs_check_size(*cmdline, in->arch->rust, name, err);
	/* What bootc's initramfs will mount must be what was sealed, read the
	 * way it reads it, before a key signs anything. */
	if (r >= 0 && (bs_kargs_composefs(*cmdline, strlen(*cmdline), &karg, NULL) < 0 ||
		       strcmp(karg.hex, in->digest) != 0 || karg.insecure != !!in->allow_missing_verity))
		r = bs_error_set(err, -EINVAL, name,
				 "the kernel command line would mount another composefs image than the sealed one");
	if (r < 0) {
		free(*cmdline);
		*cmdline = NULL;
	}
	return r;
}
