/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_BOOTC_H
#define BOOTSEAL_BOOTC_H

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
int bs_bootc_transform(struct bs_tree *tree, unsigned flags, const struct bs_content_source *src,
		       const char *name, struct bs_error *err);

#endif
