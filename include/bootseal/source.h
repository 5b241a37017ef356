/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_SOURCE_H
#define BOOTSEAL_SOURCE_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>
#include <bootseal/progress.h>
#include <bootseal/tree.h>

/*
 * Any form a tree comes in, read into a bs_tree as the composefs digest sees
 * it:
 *   dir:PATH or a directory           bootc's read rules and transforms
 *   oci:DIR[:TAG], oci-archive:FILE   flattened layers, bootc's transforms
 *   dump:FILE                         a composefs dump file (also detected by content)
 *   cfs:FILE                          a composefs EROFS image (also detected)
 */
enum {
	/* Directories and images: the tree as read, without bootc's transforms. */
	BS_SOURCE_RAW = 1u << 0,
	/* bootc's transforms create a missing /boot or /sysroot. */
	BS_SOURCE_CREATE_MISSING = 1u << 1,
	/* Keep the files a seal check reads (bs_source_boot_files). */
	BS_SOURCE_BOOT_FILES = 1u << 2,
	/* OCI images whose layers will be written again as one: keep the
	 * files' bytes (BS_OCI_FLATTEN_SPOOL_LAYERED), or always with
	 * BS_SOURCE_SPOOL_ALWAYS (BS_OCI_FLATTEN_SPOOL). */
	BS_SOURCE_SPOOL = 1u << 3,
	BS_SOURCE_SPOOL_ALWAYS = 1u << 4,
};

struct bs_source_options {
	unsigned flags;
	size_t jobs;
	/* fnmatch(3) patterns (FNM_PATHNAME, relative paths) of further files
	 * whose bytes bs_source_read_file must return for OCI images. */
	const char *const *capture;
	size_t n_capture;
	/* OCI images: every entry of every layer, as bs_oci_flatten_options.entry. */
	int (*layer_entry)(void *ctx, size_t layer, const char *path, unsigned type, const char *hardlink);
	void *layer_entry_ctx;
	/* May be NULL: files hashed (directories) or layer bytes read (OCI). */
	bs_progress_fn progress;
	void *progress_ctx;
};

struct bs_source;

/* A file of the image kept in memory. */
struct bs_source_file {
	char *path;             /* "boot/EFI/Linux/6.1.0.efi": relative, no leading '/' */
	uint8_t *data;
	size_t len;
};

BS_EXPORT int bs_source_open(const char *spec, const struct bs_source_options *opts, struct bs_source **out,
		             struct bs_error *err);
BS_EXPORT void bs_source_free(struct bs_source *src);
/* The tree, owned by src. */
BS_EXPORT struct bs_tree *bs_source_tree(struct bs_source *src);
/*
 * With BS_SOURCE_BOOT_FILES (directories and OCI images only): every EFI
 * binary in /boot (a name ending in .efi, any case, any depth: UKIs under
 * boot/EFI/Linux/ and whatever else is there; one that is not a regular
 * file is listed with no bytes), and systemd-boot binaries under
 * usr/lib/systemd/boot/efi/ (systemd-boot*.efi, *.efi.signed), sorted by
 * path, read before the transforms empty /boot.
 */
BS_EXPORT void bs_source_boot_files(const struct bs_source *src, const struct bs_source_file **files, size_t *n);

/*
 * The bytes of a regular file of the image as it was read (before bootc's
 * transforms), for directories and OCI images (captured files only).
 * *data is malloc'ed. -ENOENT when absent, -ENODATA when not captured.
 */
BS_EXPORT int bs_source_read_file(struct bs_source *src, const char *path, uint8_t **data, size_t *len,
			          struct bs_error *err);

/* The OCI image behind an oci: or oci-archive: source, else NULL. */
BS_EXPORT struct bs_oci_image *bs_source_oci_image(struct bs_source *src);
/* The directory behind a dir: source, else NULL. */
BS_EXPORT const char *bs_source_dir(const struct bs_source *src);

#endif
