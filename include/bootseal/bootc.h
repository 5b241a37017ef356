/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_BOOTC_H
#define BOOTSEAL_BOOTC_H

#include <bootseal/export.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

enum {
	/* A missing /boot or /sysroot becomes an empty directory (0755, owned by
	 * root, /usr's mtime) instead of the error bootc gives. */
	BS_BOOTC_CREATE_MISSING = 1u << 0,
};

/*
 * What bootc does to a container's root filesystem before it writes the
 * composefs image (composefs-rs 0fbc8533 transform_for_oci then
 * composefs-boot transform_for_boot):
 *  - the boot entries must be what composefs-boot can read, or bootc stops:
 *    every boot/loader/entries/NAME.conf a UTF-8 regular file whose linux,
 *    initrd and efi lines name regular files of the image (from its root);
 *    every *.efi under boot/EFI/Linux and usr/lib/modules/KVER a regular file
 *    or a directory; boot/loader/entries, boot/EFI/Linux and usr/lib/modules
 *    directories when present; a KVER holding a vmlinuz in UTF-8;
 *  - / takes /usr's mode, owner, mtime and xattrs; /run is emptied and takes
 *    /usr's mtime; only security.capability xattrs are kept;
 *  - /boot and /sysroot must exist; they are emptied and take /usr's mtime
 *    seconds (their nanoseconds stay);
 *  - with etc/selinux/config naming a policy in the tree, every inode is
 *    labelled (security.selinux) from that policy; a hardlink whose names get
 *    different labels is split;
 *  - nlink of every non-directory is its number of names.
 * src supplies the bytes of external files the policy lives in. name prefixes
 * paths in error messages.
 */
BS_EXPORT int bs_bootc_transform(struct bs_tree *tree, unsigned flags, const struct bs_content_source *src,
		                 const char *name, struct bs_error *err);

/*
 * The kernel of a container's root filesystem as `bootc container inspect`
 * finds it (bootc 534c76ea kernel.rs find_kernel): the first, in byte order,
 * of boot/EFI/Linux/NAME.efi whose NAME is UTF-8 (a UKI; version = NAME),
 * else the one usr/lib/modules/VERSION directory (UTF-8 names only) holding
 * vmlinuz; several such directories are an error, as in bootc.
 */
struct bs_bootc_kernel {
	char *version;          /* NULL: no kernel */
	int unified;            /* 1: a UKI in boot/EFI/Linux */
};

/* Fills *kernel (version malloc()ed, NULL without a kernel); 0 or -errno. */
BS_EXPORT int bs_bootc_find_kernel(const char *rootfs, struct bs_bootc_kernel *kernel, struct bs_error *err);
BS_EXPORT void bs_bootc_kernel_clear(struct bs_bootc_kernel *kernel);

#endif
