/* SPDX-License-Identifier: MIT */
/* Shared by lib/oci-*.c; not public. */
#ifndef BOOTSEAL_OCI_INTERNAL_H
#define BOOTSEAL_OCI_INTERNAL_H

#include <openssl/evp.h>

#include <bootseal/oci.h>

#define OCI_JSON_MAX (4u << 20)         /* index, manifest, config */
#define OCI_DIGEST_LEN (7 + 64)         /* "sha256:" + hex */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
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
};

/* A captured file: bytes in memory, or in a file of the private dir. */
struct oci_capture {
	struct bs_tree_inode *inode;
	uint8_t *data;                  /* malloc'd, or mmap'd when fd >= 0 */
	size_t len;
	int mapped;
	int replaced;                   /* from bs_oci_image_set_file: the writer uses data */
};

struct bs_oci_image {
	char *root;                     /* layout directory */
	char *tmpdir;                   /* private dir removed at free (archive, captures) */
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
	unsigned tmp_seq;
};

/* "sha256:<64 lowercase hex>" only: the digest is also a file name. */
int oci_digest_valid(const char *digest);
/* DIR/blobs/sha256/HEX, malloc'd. */
char *oci_blob_path(const char *root, const char *digest);
/* Opens a blob read-only after checking it is a regular file of d->size bytes. */
int oci_blob_open(const char *root, const struct bs_oci_descriptor *d, struct bs_error *err);
/* "sha256:" + hex of a finished SHA-256. */
void oci_digest_format(const uint8_t md[32], char out[OCI_DIGEST_LEN + 1]);
/* Creates the image's private temporary directory on first use. */
int oci_tmpdir(struct bs_oci_image *img, struct bs_error *err);
/* Removes a directory tree we created (no symlinks followed). */
void oci_rm_rf(const char *path);

/* The capture of inode, or NULL. */
struct oci_capture *oci_capture_find(struct bs_oci_image *img, const struct bs_tree_inode *inode);
/* Takes data (malloc'd, or mmap'd when mapped); replaces inode's older capture. */
int oci_capture_add(struct bs_oci_image *img, struct bs_tree_inode *inode, int mapped,
		    uint8_t *data, size_t len, struct oci_capture **out);
/* Frees captures of inodes no longer in the tree. */
void oci_capture_prune(struct bs_oci_image *img);
/* Frees all captures and origins (a failed flatten). */
void oci_capture_reset(struct bs_oci_image *img);
/* A deep copy of src (hardlinks kept); n_files sizes the inode map. */
int oci_tree_copy(struct bs_tree *src, size_t n_files, struct bs_tree **out, struct bs_error *err);
int oci_origin_add(struct bs_oci_image *img, size_t layer, size_t ordinal, struct bs_tree_inode *inode);

/* Writes layer 1 (the flattened base) as a tar stream (lib/oci-write-layer.c). */
struct archive;
int oci_write_base_entries(struct bs_oci_image *img, struct archive *out, struct bs_error *err);

#endif
