/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_MOUNT_H
#define BOOTSEAL_MOUNT_H

#include <bootseal/export.h>

#include <stddef.h>

#include <bootseal/error.h>

/*
 * Mounting a deployed image the way bootc's initramfs does (its
 * setup-root): images/<digest> is opened and its fs-verity digest measured
 * and compared with the digest the signed UKI's command line carries, then
 * the EROFS image is mounted and overlayfs on top of it, with the objects
 * directory as data-only lower layer and verity=require, so every file's
 * content is checked against the digest the image records.
 *
 * Only system calls: fsopen/fsconfig/fsmount/move_mount, a loop device
 * (LOOP_CONFIGURE) where EROFS cannot mount a file, no mount(8). Usable
 * from a static binary in an initramfs.
 */
enum {
	/* bootc's "composefs=?": tolerate missing fs-verity. The image must
	 * still hash to the digest (computed here); the overlay is mounted
	 * without verity=require. */
	BS_MOUNT_INSECURE = 1u << 0,
	/* A loop device even where EROFS mounts a file itself (6.12+): the
	 * path older kernels take. */
	BS_MOUNT_LOOP = 1u << 1,
};

struct bs_mount_options {
	const char *repo;       /* the repository (bs_deploy's target) */
	const char *digest;     /* hex, 128 digits (SHA-512) or 64 (SHA-256) */
	const char *mountpoint;
	unsigned flags;
};

/* -EBADE for a digest mismatch or missing fs-verity, -EPERM without the
 * privilege to mount. Nothing is left mounted on error. */
BS_EXPORT int bs_mount(const struct bs_mount_options *opts, struct bs_error *err);

#endif
