/* SPDX-License-Identifier: MIT */
#include <bootseal/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/loop.h>

#include <bootseal/repo.h>

#include "tmpdir.h"
#include "util.h"

/* The kernel's own words for a failed fsconfig/fsmount, read from the context. */
static int fs_fail(int fs, const char *what, struct bs_error *err)
{
	int e = errno;
	char msg[256];
	ssize_t n = fs >= 0 ? read(fs, msg, sizeof(msg) - 1) : -1;

	if (n > 2) {
		msg[n] = 0;
		if (msg[n - 1] == '\n')
			msg[n - 1] = 0;
		return bs_error_set(err, -e, what, "%s (%s)", strerror(e), msg + 2);
	}
	return bs_error_set(err, -e, what, "%s", strerror(e));
}

/* A read-only loop device backed by fd; it goes away with its last user. */
static int loop_attach(int fd, char *dev, size_t dev_size, struct bs_error *err)
{
	struct loop_config cfg = { .fd = (uint32_t)fd };
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	if (ctl < 0)
		return bs_error_set(err, -errno, "/dev/loop-control", "cannot open: %s", strerror(errno));
	/* Another process may take the free device first: try again. */
	for (int tries = 0; tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE), loop;

		if (n < 0)
			return bs_error_set(err, -errno, "/dev/loop-control", "no free loop device: %s", strerror(errno));
		snprintf(dev, dev_size, "/dev/loop%d", n);
		loop = open(dev, O_RDONLY | O_CLOEXEC);
		if (loop < 0)
			return bs_error_set(err, -errno, dev, "cannot open: %s", strerror(errno));
		if (ioctl(loop, LOOP_CONFIGURE, &cfg) == 0)
			return loop;
		close(loop);
		if (errno != EBUSY)
			return bs_error_set(err, -errno, dev, "LOOP_CONFIGURE: %s", strerror(errno));
	}
	return bs_error_set(err, -EBUSY, "/dev/loop-control", "no free loop device");
}

static int erofs_try(const char *source, struct bs_error *err)
{
	_cleanup_close_ int fs = fsopen("erofs", FSOPEN_CLOEXEC);
	int mnt;

	if (fs < 0)
		return bs_error_set(err, -errno, "erofs", "fsopen: %s", strerror(errno));
	if (fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_fail(fs, "erofs", err);
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	return mnt < 0 ? fs_fail(fs, "erofs", err) : mnt;
}

/*
 * Linux 6.12+ mounts an EROFS file directly (the fd's /proc/self/fd link
 * names exactly the file we measured); older kernels, or no /proc, need a
 * loop device on the same fd. Either way no path is looked up again after
 * the measurement.
 */
static int erofs_mount(int image, unsigned flags, struct bs_error *err)
{
	char source[64], dev[64];
	_cleanup_close_ int loop = -1;
	int mnt;

	snprintf(source, sizeof(source), "/proc/self/fd/%d", image);
	if (!(flags & BS_MOUNT_LOOP) && (mnt = erofs_try(source, NULL)) >= 0)
		return mnt;
	if ((loop = loop_attach(image, dev, sizeof(dev), err)) < 0)
		return loop;
	return erofs_try(dev, err);
}

/* overlayfs splits lowerdir at ':' and takes '\' as an escape. */
static char *escape_layer(const char *path)
{
	char *out = malloc(2 * strlen(path) + 1), *p = out;

	if (!out)
		return NULL;
	for (; *path; path++) {
		if (*path == ':' || *path == '\\' || *path == ',')
			*p++ = '\\';
		*p++ = *path;
	}
	*p = 0;
	return out;
}

/* Before 6.15 overlayfs refuses a detached mount as a layer: the EROFS
 * mount is attached at a private directory while the overlay is built and
 * detached right after (the overlay keeps its own reference). */
static int private_dir(char *dir, size_t size)
{
	/* An initramfs may have no writable /tmp: then /run, then /dev. */
	const char *const bases[] = { bs_tmpdir_base(), "/run", "/dev" };

	for (size_t i = 0; i < BS_ARRAY_SIZE(bases); i++)
		if (snprintf(dir, size, "%s/bootseal-mount.XXXXXX", bases[i]) < (int)size && mkdtemp(dir))
			return 0;
	return -errno;
}

static int overlay_mount(const struct bs_mount_options *opts, const char *lower, struct bs_error *err)
{
	_cleanup_free_ char *objects = NULL, *esc_objects = NULL, *esc_lower = NULL, *lowerdir = NULL,
			    *source = NULL, *repo = realpath(opts->repo, NULL);
	_cleanup_close_ int fs = -1, mnt = -1;

	/* Absolute, so the mount table names the layers unambiguously. */
	if (!repo)
		return bs_error_set(err, -errno, opts->repo, "%s", strerror(errno));
	if (asprintf(&objects, "%s/objects", repo) < 0 || !(esc_objects = escape_layer(objects)) ||
	    !(esc_lower = escape_layer(lower)) ||
	    asprintf(&lowerdir, "%s::%s", esc_lower, esc_objects) < 0 ||
	    asprintf(&source, "composefs:%s", opts->digest) < 0)
		return -ENOMEM;
	if ((fs = fsopen("overlay", FSOPEN_CLOEXEC)) < 0)
		return bs_error_set(err, -errno, "overlay", "fsopen: %s", strerror(errno));
	/* Data-only lower layer ("::", 6.5+) and verity=require (6.6+):
	 * metacopy files find their content by redirect in objects/, and the
	 * content's fs-verity digest must equal the one the image records. */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "metacopy", "on", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "redirect_dir", "on", 0) < 0 ||
	    (!(opts->flags & BS_MOUNT_INSECURE) &&
	     fsconfig(fs, FSCONFIG_SET_STRING, "verity", "require", 0) < 0) ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lowerdir, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_fail(fs, "overlay", err);
	if ((mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)) < 0)
		return fs_fail(fs, "overlay", err);
	if (move_mount(mnt, "", AT_FDCWD, opts->mountpoint, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return bs_error_set(err, -errno, opts->mountpoint, "cannot mount: %s", strerror(errno));
	return 0;
}

int bs_mount(const struct bs_mount_options *opts, struct bs_error *err)
{
	if (!opts)
		return bs_error_set(err, -EINVAL, NULL, "bs_mount: a NULL argument");
	_cleanup_close_ int image = -1, erofs = -1;
	char dir[256];
	int r;

	r = bs_repo_open_image(opts->repo, opts->digest,
			       opts->flags & BS_MOUNT_INSECURE ? BS_REPO_INSECURE : 0, &image, err);
	if (r < 0)
		return r;
	if ((erofs = erofs_mount(image, opts->flags, err)) < 0)
		return erofs;
	if ((r = private_dir(dir, sizeof(dir))) < 0)
		return bs_error_set(err, r, NULL, "cannot create a private directory: %s", strerror(-r));
	if (move_mount(erofs, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		r = bs_error_set(err, -errno, dir, "cannot mount the image: %s", strerror(errno));
		rmdir(dir);
		return r;
	}
	r = overlay_mount(opts, dir, err);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return r;
}
