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

/*
 * What bootc builds a UKI from (`bootc container ukify`), one rule for
 * `seal`, which reads an image's tree, and `container ukify`, which reads a
 * directory. A root is a directory, or a tree with the source of its files'
 * bytes; name says it in messages (NULL: dir).
 */
struct bs_bootc_root {
	const char *dir;
	struct bs_tree *tree;                   /* when dir is NULL */
	const struct bs_content_source *src;    /* the tree's bytes (kargs.d) */
	const char *name;
};

/*
 * The kernel: exactly one usr/lib/modules/KVER holding vmlinuz (several are
 * an error, as in bootc), with initramfs.img beside it, both regular files
 * (a symbolic link is not followed). A root that already ships a UKI in
 * boot/EFI/Linux is refused (-EEXIST): it would be built twice.
 */
/* The image's own systemd-stub for an EFI architecture (bs_uki_arch.efi). */
#define BS_BOOTC_UKI_STUB "usr/lib/systemd/boot/efi/linux%s.efi.stub"

struct bs_bootc_uki_kernel {
	char *kver;
	char *linux_path;       /* usr/lib/modules/KVER/vmlinuz, relative to the root */
	char *initrd_path;      /* usr/lib/modules/KVER/initramfs.img */
};
BS_EXPORT int bs_bootc_uki_kernel(const struct bs_bootc_root *root, struct bs_bootc_uki_kernel *kernel,
			          struct bs_error *err);
BS_EXPORT void bs_bootc_uki_kernel_clear(struct bs_bootc_uki_kernel *kernel);

struct bs_uki_arch;

struct bs_bootc_cmdline {
	const struct bs_uki_arch *arch;         /* picks the kargs.d entries and the size bound */
	const char *digest;                     /* the composefs image's, in hex */
	int allow_missing_verity;               /* composefs=? */
	const char *const *kargs;               /* --karg, each already refused if it names
	                                         * composefs (bs_kargs_check_no_composefs) */
	size_t n_kargs;
};

/*
 * The command line in bootc's order: kargs.d (bs_kargs_read_dir), then
 * composefs=[?]DIGEST, then kargs; refused when the kernel would cut it
 * (bs_kargs_check_size) or when bootc's initramfs would read another image
 * from it (bs_kargs_composefs). *cmdline is malloc()ed.
 */
BS_EXPORT int bs_bootc_uki_cmdline(const struct bs_bootc_root *root, const struct bs_bootc_cmdline *in,
			           char **cmdline, struct bs_error *err);

#endif
