/* SPDX-License-Identifier: MIT */
/* Shared by lib/oci-*.c; not public. */
#ifndef BOOTSEAL_OCI_INTERNAL_H
#define BOOTSEAL_OCI_INTERNAL_H

#include <sys/types.h>

#include <openssl/evp.h>

#include <bootseal/oci.h>
#include "tmpdir.h"

#define OCI_JSON_MAX (4u << 20)         /* index, manifest, config */
#define OCI_DIGEST_LEN (7 + 64)         /* "sha256:" + hex */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

struct oci_blob {
	struct bs_oci_descriptor d;     /* strings owned (char * cast away below) */
	char *diff_id;                  /* layers: the config's rootfs.diff_ids entry */
};

/* The first tar entry that produced a streamed (not inline) file: where the
 * writer finds its bytes again. Appended in stream order. */
struct oci_origin {
	size_t layer, ordinal;
	struct bs_tree_inode *inode;
	uint64_t spool_off;             /* its bytes in the spool, when there is one */
};

/* The bytes of every streamed file as flattening read them, one after the
 * other in stream order, so the writer need not decompress the layers a
 * second time (BS_OCI_FLATTEN_SPOOL). An unlinked file of the private dir:
 * nothing stays behind, whatever ends the process. */
struct oci_spool {
	int fd;                         /* -1: none (not asked for, or it failed) */
	uint64_t size;
};

/* A captured file: bytes in memory, or in a file of the private dir. */
struct oci_capture {
	struct bs_tree_inode *inode;
	uint8_t *data;                  /* malloc'd, or mmap'd when mapped */
	size_t len;
	int mapped;
	int replaced;                   /* from bs_oci_image_set_file: the writer uses data */
};

/* A file of an uncompressed oci-archive: where its data is in the tar. Of a
 * compressed one: whether it is in the private directory yet (off 1) or
 * wanted by the next pass (off 2). */
struct oci_member {
	char *name;
	uint64_t off, size;
};

/* A layout file opened for reading: a file of the directory, or a slice
 * of the archive (read with pread, so slices share the descriptor). */
struct oci_file {
	int fd, owned;
	uint64_t off, size, pos;
};

struct bs_oci_image {
	char *root;                     /* layout directory, or the archive */
	int archive_fd;                 /* >= 0: an uncompressed archive read in place */
	int packed_fd;                  /* >= 0: a compressed archive, unpacked member by member */
	char *packed;                   /* its path, for messages */
	struct oci_member *members;     /* sorted by name */
	size_t n_members;
	struct bs_tmpdir tmp;           /* private dir removed at free (archive, captures) */
	struct oci_blob manifest, config;
	struct oci_blob *layers;
	size_t n_layers;
	uint8_t *config_json;
	size_t config_len;

	/* As flattened: what the writer emits, what captures and origins
	 * refer to. Changed only by bs_oci_image_set_file. */
	struct bs_tree *tree;
	/* The caller's copy (bs_oci_image_tree), free to be transformed. */
	struct bs_tree *view;
	enum bs_hash_alg hash_alg;
	size_t inline_max;
	struct oci_origin *origins;
	size_t n_origins, cap_origins;
	struct oci_capture *captures;
	size_t n_captures, cap_captures;
	struct oci_spool spool;
	unsigned tmp_seq;
};

/* "sha256:<64 lowercase hex>" only: the digest is also a file name. */
int oci_digest_valid(const char *digest);
/* DIR/blobs/sha256/HEX, malloc'd. */
char *oci_blob_path(const char *root, const char *digest);
/* Opens a blob after checking it is a regular file of d->size bytes. */
int oci_blob_open(const struct bs_oci_image *img, const struct bs_oci_descriptor *d, struct oci_file *f,
		  struct bs_error *err);
/* name relative to the layout ("index.json", "blobs/sha256/…"); -ENOENT,
 * -EBADMSG (not a regular file) or -errno; sets no message. */
int oci_file_open(const struct bs_oci_image *img, const char *name, struct oci_file *f);
ssize_t oci_file_read(struct oci_file *f, void *buf, size_t len);
int oci_file_read_full(struct oci_file *f, void *buf, size_t len, size_t *got);
void oci_file_close(struct oci_file *f);
/* oci-archive:FILE: indexes it in place, or unpacks a compressed one. */
int oci_archive_open(struct bs_oci_image *img, const char *file, struct bs_error *err);
/* A compressed archive: unpacks these blobs, if not yet, in one pass. */
int oci_archive_want(struct bs_oci_image *img, const struct bs_oci_descriptor *const *d, size_t n,
		     struct bs_error *err);
/* "sha256:" + hex of a finished SHA-256. */
void oci_digest_format(const uint8_t md[32], char out[OCI_DIGEST_LEN + 1]);
/* Creates the image's private temporary directory on first use. */
int oci_tmpdir(struct bs_oci_image *img, struct bs_error *err);

/* The capture of inode, or NULL. */
struct oci_capture *oci_capture_find(struct bs_oci_image *img, const struct bs_tree_inode *inode);
/* Appends a capture, taking data (malloc'd, or mmap'd when mapped); callers
 * outside flattening re-sort, as oci_capture_find bisects. */
int oci_capture_add(struct bs_oci_image *img, struct bs_tree_inode *inode, int mapped,
		    uint8_t *data, size_t len, struct oci_capture **out);
/* Frees captures of inodes no longer in the tree. */
void oci_capture_prune(struct bs_oci_image *img);
/* Frees all captures and origins (a failed flatten). */
/* The image owns its captures (oci-layout.c frees them with the image). */
void oci_capture_free(struct oci_capture *c);
void oci_capture_reset(struct bs_oci_image *img);
/* A deep copy of src (hardlinks kept); n_files sizes the inode map. */
int oci_tree_copy(struct bs_tree *src, size_t n_files, struct bs_tree **out, struct bs_error *err);
int oci_origin_add(struct bs_oci_image *img, size_t layer, size_t ordinal, struct bs_tree_inode *inode,
		   uint64_t spool_off);
/* Closes the spool. */
void oci_spool_drop(struct oci_spool *s);

/* Writes layer 1 (the flattened base) as a tar stream (lib/oci-write-layer.c). */
struct archive;
int oci_write_base_entries(struct bs_oci_image *img, struct archive *out, struct bs_error *err);

#endif
