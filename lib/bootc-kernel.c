/* SPDX-License-Identifier: MIT */
/*
 * bootc's kernel lookup, for `container inspect` (bootc 534c76ea kernel.rs
 * find_kernel and ostree-ext bootabletree.rs find_kernel_dir_fs). It differs
 * from what `ukify` looks for on purpose: inspect reports a UKI already in
 * the image, ukify refuses to build a second one.
 */
#include <bootseal/bootc.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define EFI_LINUX "boot/EFI/Linux"
#define MODULES "usr/lib/modules"

/* Rust's str::from_utf8: bootc skips names that are not valid UTF-8. */
static int is_utf8(const char *name)
{
	return bsi_utf8_valid(name, strlen(name));
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* cap-std's open_dir_optional: a missing directory is no error, anything else is. */
static int open_dir_optional(const char *rootfs, const char *rel, DIR **out, struct bs_error *err)
{
	_cleanup_free_ char *path = NULL;

	*out = NULL;
	if (asprintf(&path, "%s/%s", rootfs, rel) < 0)
		return -ENOMEM;
	*out = opendir(path);
	if (*out || errno == ENOENT)
		return 0;
	return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
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

static int find_uki(const char *rootfs, char **version, struct bs_error *err)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ char *first = NULL;
	struct dirent *e;
	size_t stem;
	int r;

	r = open_dir_optional(rootfs, EFI_LINUX, &d, err);
	if (r < 0 || !d)
		return r;
	while ((e = readdir(d))) {
		if (!uki_stem_len(e->d_name, &stem) || !is_utf8(e->d_name))
			continue;
		if (first && strcmp(e->d_name, first) >= 0)
			continue;
		free(first);
		if (!(first = strdup(e->d_name)))
			return -ENOMEM;
	}
	if (first) {
		uki_stem_len(first, &stem);
		first[stem] = '\0';
		*version = BS_STEAL(first);
	}
	return 0;
}

static int find_modules_dir(const char *rootfs, char **version, struct bs_error *err)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ char *found = NULL;
	struct dirent *e;
	int r;

	r = open_dir_optional(rootfs, MODULES, &d, err);
	if (r < 0 || !d)
		return r;
	while ((e = readdir(d))) {
		_cleanup_free_ char *vmlinuz = NULL;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !is_utf8(e->d_name))
			continue;
		/* DirEntry::file_type(): the entry itself, a symlink is no directory. */
		if (e->d_type == DT_UNKNOWN && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			e->d_type = DT_DIR;
		if (e->d_type != DT_DIR)
			continue;
		if (asprintf(&vmlinuz, "%s/%s/%s/vmlinuz", rootfs, MODULES, e->d_name) < 0)
			return -ENOMEM;
		if (stat(vmlinuz, &st) < 0)
			continue;
		if (found)
			return bs_error_set(err, -EINVAL, rootfs, "found multiple subdirectories in %s (%s, %s)",
					    MODULES, found, e->d_name);
		if (!(found = strdup(e->d_name)))
			return -ENOMEM;
	}
	*version = BS_STEAL(found);
	return 0;
}

int bs_bootc_find_kernel(const char *rootfs, struct bs_bootc_kernel *kernel, struct bs_error *err)
{
	int r;

	if (!rootfs || !kernel)
		return -EINVAL;
	*kernel = (struct bs_bootc_kernel){ 0 };
	r = find_uki(rootfs, &kernel->version, err);
	if (r < 0 || kernel->version) {
		kernel->unified = r >= 0;
		return r;
	}
	return find_modules_dir(rootfs, &kernel->version, err);
}

void bs_bootc_kernel_clear(struct bs_bootc_kernel *kernel)
{
	if (!kernel)
		return;
	free(kernel->version);
	*kernel = (struct bs_bootc_kernel){ 0 };
}
