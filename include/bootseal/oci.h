/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_OCI_H
#define BOOTSEAL_OCI_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>
#include <bootseal/progress.h>
#include <bootseal/fsverity.h>
#include <bootseal/tree.h>

/*
 * OCI images: open an image (layout directory or archive), verify its blobs,
 * flatten its layers into a bs_tree while hashing file contents (no
 * extraction to disk), keep the bytes of a few files the caller asks for, and
 * write a new, byte-for-byte reproducible image whose first layer is the
 * flattened tree.
 *
 * Image references:
 *   oci:DIR[:TAG]          an OCI image layout directory; TAG is matched
 *                          against org.opencontainers.image.ref.name, without
 *                          it the index must list exactly one manifest
 *   oci-archive:FILE[:TAG] a tar of such a layout, read in place (a compressed
 *                          tar is unpacked into a private temporary directory,
 *                          removed by bs_oci_image_free)
 *   dir:PATH               a root filesystem directory: not an image; read it
 *                          with bs_rootfs_read (bootseal/rootfs.h)
 *
 * Errors name the blob ("blobs/sha256/…") or "layer N: ENTRY" they are about.
 */

enum bs_oci_ref_kind {
	BS_OCI_REF_LAYOUT = 1,
	BS_OCI_REF_ARCHIVE,
	BS_OCI_REF_DIR,
};

struct bs_oci_ref {
	enum bs_oci_ref_kind kind;
	char *path;     /* the directory or file */
	char *tag;      /* NULL when none was given (always NULL for dir:) */
};

/* Splits "oci:DIR:TAG" etc.; -EINVAL with a message for anything else. */
BS_EXPORT int bs_oci_ref_parse(const char *ref, struct bs_oci_ref *out, struct bs_error *err);
BS_EXPORT void bs_oci_ref_clear(struct bs_oci_ref *ref);

struct bs_oci_image;

/* A blob as a descriptor names it. */
struct bs_oci_descriptor {
	const char *media_type;
	const char *digest;     /* "sha256:<64 hex>" */
	uint64_t size;
};

/*
 * Opens an oci: or oci-archive: reference, reads and verifies (sha256 and
 * size) its index, manifest and config, checks media types (OCI, and Docker
 * v2 schema 2) and that every layer blob exists with its size. Layer contents
 * are verified while they stream, by bs_oci_image_flatten and the writer.
 */
BS_EXPORT int bs_oci_image_open(const char *ref, struct bs_oci_image **out, struct bs_error *err);
BS_EXPORT void bs_oci_image_free(struct bs_oci_image *img);

BS_EXPORT const struct bs_oci_descriptor *bs_oci_image_manifest(const struct bs_oci_image *img);
BS_EXPORT const struct bs_oci_descriptor *bs_oci_image_config(const struct bs_oci_image *img);
BS_EXPORT size_t bs_oci_image_layer_count(const struct bs_oci_image *img);
BS_EXPORT const struct bs_oci_descriptor *bs_oci_image_layer(const struct bs_oci_image *img, size_t i);
/* The config blob's bytes, as verified (not NUL-terminated). */
BS_EXPORT const uint8_t *bs_oci_image_config_json(const struct bs_oci_image *img, size_t *len);

/* Returns nonzero for paths ("usr/lib/os-release", no leading '/') whose bytes
 * the caller wants kept. */
typedef int (*bs_oci_capture_fn)(void *ctx, const char *path);

struct bs_oci_flatten_stats;

/* Progress: layer is 0-based; called every 256 entries and after each layer. */
typedef void (*bs_oci_progress_fn)(void *ctx, size_t layer, size_t n_layers,
				   const struct bs_oci_flatten_stats *stats);

/*
 * Flattening may keep the bytes of every streamed file in an unlinked file
 * of the image's private temporary directory, so that bs_oci_write_image
 * writes the flattened layer without decompressing the layers a second time
 * (and writes exactly the bytes that were hashed). It costs the files' size
 * in that directory; when it cannot be written (a full disk, say) the
 * writer reads the layers again instead.
 */
enum {
	BS_OCI_FLATTEN_SPOOL = 1u << 0,         /* always */
	BS_OCI_FLATTEN_SPOOL_LAYERED = 1u << 1, /* only for more than one layer: one
						   layer is reused as it is */
};

struct bs_oci_flatten_options {
	enum bs_hash_alg hash_alg;      /* fs-verity digest of files; 0 means SHA-256
					   (bootc: BS_COMPOSEFS_HASH) */
	unsigned flags;                 /* BS_OCI_FLATTEN_SPOOL* */
	size_t inline_max;              /* 0 means 64 (composefs); at most 128 */
	bs_oci_capture_fn capture;      /* may be NULL */
	void *capture_ctx;
	size_t capture_mem_max;         /* 0 means 16 MiB; bigger captured files are
					   kept in a private temporary file */
	uint64_t capture_max;           /* 0: none; a captured file past it is an
					   error (-EFBIG), before it is read */
	bs_oci_progress_fn progress;    /* may be NULL */
	void *progress_ctx;
	size_t jobs;                    /* hashing threads, 0: all cores */
	/* May be NULL: every entry of every layer as read (path without "./",
	 * "" for the root; whiteouts under their ".wh." name), its file type
	 * (S_IFREG, S_IFDIR, ...: archive_entry_filetype) and hardlink target
	 * (or NULL), before it is
	 * applied. A negative return stops the flattening with that error. */
	int (*entry)(void *ctx, size_t layer, const char *path, unsigned type, const char *hardlink);
	void *entry_ctx;
};

struct bs_oci_flatten_stats {
	size_t layer_entries;           /* tar entries read, all layers */
	size_t entries;                 /* entries of the flattened tree, root excluded */
	size_t hashed_files;
	unsigned long long hashed_bytes;
	unsigned long long blob_bytes;  /* compressed layer bytes read so far */
};

/*
 * Applies the layers in order to an empty tree the OCI way: `.wh.NAME`
 * removes NAME of the layers below, `.wh..wh..opq` empties its directory of
 * what the layers below put there, a later entry replaces an earlier one (a
 * directory over a directory only changes its metadata and xattrs).
 * Hardlinks may point at files of earlier layers. Regular files of at most
 * inline_max bytes are stored inline, the others as fs-verity digest plus
 * the redirect "xx/rest-of-hex", like bs_rootfs_read. nlink is set for
 * non-directories.
 *
 * A parent directory no layer describes is created with mode 0755, uid/gid 0
 * and mtime 0 (the root too, unless a layer has a "./" entry): a fixed value,
 * never the umask or the clock, so the tree depends on the image alone.
 *
 * Rejected with -EBADMSG and "layer N: ENTRY: why": `..` components, names
 * with NUL or over 255 bytes, a path through a symlink or through a
 * non-directory, a hardlink to a missing path or to a directory, a blob whose
 * sha256 or size differs from its descriptor, a corrupt or truncated layer.
 *
 * May be called once.
 */
BS_EXPORT int bs_oci_image_flatten(struct bs_oci_image *img, const struct bs_oci_flatten_options *opts,
			           struct bs_oci_flatten_stats *stats, struct bs_error *err);
/*
 * The caller's copy of the flattened tree, owned by img; NULL before
 * bs_oci_image_flatten. The caller may transform it (bootc's rules for the
 * composefs digest, say): the image keeps its own copy as flattened, which
 * bs_oci_image_file reads and bs_oci_write_image writes. The one change that
 * reaches both is bs_oci_image_set_file.
 */
BS_EXPORT struct bs_tree *bs_oci_image_tree(struct bs_oci_image *img);

/*
 * The final bytes of a regular file of the image (path as given to the
 * predicate, following no symlinks). Captured files and inline ones are at
 * hand; any other (the predicate said no, or a hardlink first written under
 * an unmatched name) is read again from the layer entry that wrote it and
 * checked against its fs-verity digest, then kept. *data stays valid until
 * bs_oci_image_free. -ENOENT if the path is not in the image, -EINVAL if it
 * is not a regular file.
 */
BS_EXPORT int bs_oci_image_file(struct bs_oci_image *img, const char *path, const uint8_t **data,
		                size_t *len, struct bs_error *err);

/*
 * Replaces the content of the regular file at path (e.g. a signed
 * bootloader): in the image's tree (every hardlink to it changes, the writer
 * emits the new bytes, bs_oci_image_file returns them) and in the caller's
 * tree at the same path if it is a regular file there: new digest and
 * redirect (or inline content) and size. data is copied.
 */
BS_EXPORT int bs_oci_image_set_file(struct bs_oci_image *img, const char *path, const void *data,
			            size_t len, struct bs_error *err);

/*
 * The bytes of the image's streamed (external) files, by a second pass over
 * the layers (lib/oci-files.c). For each: begin(ctx, path, inode) with the
 * image tree's inode (digest, payload, size; the tar entry's path), which
 * returns 0 to receive the bytes, 1 to skip the file, or a negative errno to
 * stop; then data() with the content in order (holes as zeros) and end().
 * Files of earlier layers that a later one replaced are included: key on the
 * digest. Contents replaced by bs_oci_image_set_file come from memory.
 */
struct bs_oci_file_reader {
	int (*begin)(void *ctx, const char *path, const struct bs_tree_inode *inode);
	int (*data)(void *ctx, const void *buf, size_t len);
	int (*end)(void *ctx);
	void *ctx;
};

BS_EXPORT int bs_oci_image_read_files(struct bs_oci_image *img, const struct bs_oci_file_reader *rd,
			              struct bs_error *err);

/* A file of the extra layer, given in memory. */
struct bs_oci_file {
	const char *path;               /* "boot/EFI/Linux/6.1.0.efi", no leading '/' */
	uint32_t mode;                  /* S_IFREG, S_IFDIR or S_IFLNK | permissions */
	uint32_t uid, gid;
	int64_t mtime_sec;
	const void *data;               /* content, or the symlink target */
	size_t len;
};

enum {
	/* A one-layer base: copy its layer blob as layer 1 rather than rewrite
	 * it. Much faster (no recompression) and still reproducible, but layer
	 * 1 keeps the input's entry order, owner names and compression. Not
	 * used when a file was replaced with bs_oci_image_set_file. */
	BS_OCI_REUSE_LAYER = 1u << 0,
};

enum bs_oci_compression {
	BS_OCI_GZIP = 0,                /* igzip or libdeflate, fixed level and 1 MiB blocks, no name or
					   time in the header, compressed on all cores */
	BS_OCI_UNCOMPRESSED,
	BS_OCI_ZSTD,                    /* one thread, several times gzip's speed; needs
					   a zstd-capable client (containers/image) */
};

struct bs_oci_write_options {
	const char *dest;               /* "oci:DIR[:TAG]" (TAG defaults to "latest") or
					   "oci-archive:FILE[:TAG]" */
	/* Flattened source: layer 1 is its tree as flattened (plus
	 * bs_oci_image_set_file changes, not the caller's edits of
	 * bs_oci_image_tree), in a fixed order (see lib/oci-write-layer.c),
	 * contents streamed again from its layers. Its config (architecture,
	 * os, config, …) is the template of ours. */
	struct bs_oci_image *base;
	/* Layer 2 when n_extra > 0; sorted by path here. Missing parent
	 * directories are added with the base tree's metadata, or 0755 root
	 * mtime 0 when the base has none. */
	const struct bs_oci_file *extra;
	size_t n_extra;
	const char *const *labels;      /* "key=value", added to config.Labels */
	size_t n_labels;
	const char *created_by;         /* history; NULL means "bootseal" */
	enum bs_oci_compression compression;
	int level;                      /* 0 means BS_OCI_GZIP_LEVEL_DEFAULT for gzip (1..9),
					   3 for zstd (1..19) */
	size_t jobs;                    /* compression threads, 0: all cores; the
					   bytes do not depend on it */
	unsigned flags;                 /* BS_OCI_REUSE_LAYER */
	/* May be NULL: "writing layer N/M" with the tar's entries and bytes
	 * (the totals estimated from the tree), then "writing the image". */
	bs_progress_fn progress;
	void *progress_ctx;
};

struct bs_oci_write_result {
	char manifest_digest[80];       /* "sha256:…" */
	char config_digest[80];
	uint64_t manifest_size;
};

/*
 * Writes the image to a temporary name beside dest and renames it into place
 * at the end. Into an existing oci: layout, the image is added under its tag
 * (replacing an entry with the same tag, keeping the others, as skopeo does);
 * an existing directory that is not a layout is refused. On error dest is
 * untouched. The image time ("created"
 * and history) is SOURCE_DATE_EPOCH when set, else the base config's
 * "created", else 1970-01-01T00:00:00Z. Same inputs → same bytes.
 */
/*
 * Level 1: igzip's (ISA-L) in a build with it, about five times libdeflate's
 * level 2 on two cores, for layers about 10% bigger (a Debian image of
 * 1273 MiB: 593 MB against 538 MB). Level 2 is libdeflate's, no bigger than
 * Go's gzip at its default level (what podman, buildah and umoci push);
 * without ISA-L level 1 is libdeflate's too.
 */
#define BS_OCI_GZIP_LEVEL_DEFAULT 1

/* A level bs_oci_write_image takes for this compression (0: the default);
 * -EINVAL naming dest otherwise. */
BS_EXPORT int bs_oci_level_check(enum bs_oci_compression compression, int level, const char *dest, struct bs_error *err);

BS_EXPORT int bs_oci_write_image(const struct bs_oci_write_options *opts, struct bs_oci_write_result *res,
		                 struct bs_error *err);

#endif
