/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_REPO_H
#define BOOTSEAL_REPO_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>
#include <bootseal/fsverity.h>

/*
 * A composefs repository as composefs-rs lays it out and bootc keeps it in
 * /sysroot/composefs:
 *   objects/xx/<rest of hex>   file contents named by their fs-verity digest
 *                              (the EROFS images too), fs-verity enabled
 *   images/<hex>               symlink to ../objects/xx/<rest>: the composefs
 *                              images that may be mounted
 *   meta.json                  what composefs-rs checks before it writes:
 *                              format 1, fsverity-sha512-12, known features
 * SHA-512, 4 KiB blocks, no salt: bootc's digest. A repository made here
 * gets the meta.json bootc's composefs-rs writes (fs-verity on it unless
 * insecure); without one, composefs-rs's open_path refuses a repository as
 * old-format until something upgrades it, as bootc's initramfs does.
 */

enum {
	/* Tolerate a filesystem without fs-verity (bootc's `composefs=?`):
	 * objects are stored without it and not measured. */
	BS_REPO_INSECURE = 1u << 0,
};

struct bs_repo;

/*
 * Opens (creating objects/, images/ and meta.json when create is set) a
 * repository. A meta.json there must pass bs_repo_meta_check.
 */
BS_EXPORT int bs_repo_open(const char *path, unsigned flags, int create, struct bs_repo **out,
		           struct bs_error *err);

/*
 * Whether a meta.json (len bytes of json, named name in errors) describes a
 * repository bootseal may add to: -EINVAL for another format version or
 * algorithm or an unknown feature, -EBADMSG for malformed metadata.
 */
BS_EXPORT int bs_repo_meta_check(const char *json, size_t len, const char *name, struct bs_error *err);
BS_EXPORT void bs_repo_free(struct bs_repo *repo);

/*
 * Storing one object at a time, its bytes streamed: begin returns 1 when
 * objects/xx/rest already holds it (fs-verity on and equal; nothing to
 * write), 0 when the bytes are wanted. commit closes the temporary file,
 * enables fs-verity (FS_IOC_ENABLE_VERITY), measures it and renames it into
 * place only when the kernel's digest equals the name: -EBADMSG otherwise.
 * Durability: bs_repo_sync once at the end, not an fsync per object.
 */
BS_EXPORT int bs_repo_object_begin(struct bs_repo *repo, const uint8_t *digest, size_t digest_len,
			           struct bs_error *err);
BS_EXPORT int bs_repo_object_write(struct bs_repo *repo, const void *buf, size_t len, struct bs_error *err);
BS_EXPORT int bs_repo_object_commit(struct bs_repo *repo, struct bs_error *err);
BS_EXPORT void bs_repo_object_abort(struct bs_repo *repo);

/* Stores a composefs image (bootc's digest: SHA-512 fs-verity) as an object
 * and links images/<hex> to it. hex receives the digest. */
BS_EXPORT int bs_repo_add_image(struct bs_repo *repo, const uint8_t *data, size_t size,
		                char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1], struct bs_error *err);

/* syncfs(2) of the repository's filesystem. */
BS_EXPORT int bs_repo_sync(struct bs_repo *repo, struct bs_error *err);

/*
 * Opens images/<hex> (128 hex digits: SHA-512, 64: SHA-256) read-only and
 * checks its fs-verity digest with FS_IOC_MEASURE_VERITY: -EBADE with
 * "fs-verity digest mismatch" or "fs-verity not enabled". With
 * BS_REPO_INSECURE a file without fs-verity is accepted if its content
 * hashes to hex (computed here), which still pins the image.
 */
BS_EXPORT int bs_repo_open_image(const char *repo, const char *hex, unsigned flags, int *fd,
		                 struct bs_error *err);

/* The kernel's fs-verity ioctls. measure: -ENODATA without fs-verity,
 * -EOPNOTSUPP/-ENOTTY where the filesystem or kernel has none. */
BS_EXPORT int bs_repo_verity_enable(int fd, enum bs_hash_alg alg);
BS_EXPORT int bs_repo_verity_measure(int fd, enum bs_hash_alg *alg, uint8_t *digest, size_t *len);

#endif
