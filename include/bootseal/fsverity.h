/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_FSVERITY_H
#define BOOTSEAL_FSVERITY_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>

/* Values are the kernel's FS_VERITY_HASH_ALG_* numbers, stored in the descriptor. */
enum bs_hash_alg {
	BS_HASH_SHA256 = 1,
	BS_HASH_SHA512 = 2,
};

#define BS_FSVERITY_MAX_DIGEST_SIZE 64
#define BS_FSVERITY_MAX_SALT_SIZE 32
#define BS_FSVERITY_MIN_BLOCK_SIZE 1024
#define BS_FSVERITY_MAX_BLOCK_SIZE 65536

struct bs_fsverity_params {
	enum bs_hash_alg hash_alg;      /* 0 means SHA-256 */
	uint32_t block_size;            /* 0 means 4096 */
	const uint8_t *salt;
	size_t salt_size;
};

struct bs_fsverity_ctx;

BS_EXPORT size_t bs_hash_alg_digest_size(enum bs_hash_alg alg);
BS_EXPORT const char *bs_hash_alg_name(enum bs_hash_alg alg);
/* Accepts "sha256" and "sha512"; -EINVAL otherwise. */
BS_EXPORT int bs_hash_alg_from_name(const char *name, enum bs_hash_alg *alg);

/* -EINVAL (with a message) for an unknown algorithm, a bad block size or
 * salt. params NULL: the defaults (SHA-256, 4096-byte blocks, no salt). */
BS_EXPORT int bs_fsverity_params_check(const struct bs_fsverity_params *params, struct bs_error *err);

/*
 * Streaming digest: feed a file's bytes in any chunking, get the same digest
 * the kernel's FS_IOC_MEASURE_VERITY reports. A context can be reset and
 * reused for the next file, which keeps its prepared hash state.
 * params NULL means the defaults; ctx must not be NULL (-EINVAL).
 */
BS_EXPORT int bs_fsverity_new(const struct bs_fsverity_params *params, struct bs_fsverity_ctx **ctx);
BS_EXPORT void bs_fsverity_free(struct bs_fsverity_ctx *ctx);
BS_EXPORT void bs_fsverity_reset(struct bs_fsverity_ctx *ctx);
BS_EXPORT int bs_fsverity_update(struct bs_fsverity_ctx *ctx, const void *data, size_t len);
/* Writes digest_size bytes; the context must be reset before further use. */
BS_EXPORT int bs_fsverity_final(struct bs_fsverity_ctx *ctx, uint8_t *digest);
BS_EXPORT size_t bs_fsverity_digest_size(const struct bs_fsverity_ctx *ctx);

/* Digest of everything readable from fd (large reads, from the current offset). */
BS_EXPORT int bs_fsverity_digest_fd(struct bs_fsverity_ctx *ctx, int fd, uint8_t *digest);

/*
 * Digest of a regular file whose size the caller took already (fstat of the
 * same open file): read from offset 0, -EIO when fd holds more or (below
 * 4 MiB, where it is read rather than mapped) fewer than `size` bytes, so a
 * file that changed while being read is not hashed as half of one thing
 * and half of another. Saves the fstat and lseek bs_fsverity_digest_fd
 * spends on every file.
 */
BS_EXPORT int bs_fsverity_digest_file(struct bs_fsverity_ctx *ctx, int fd, uint64_t size, uint8_t *digest);

/* Convenience: opens path, checks it is a regular file, digests it. */
BS_EXPORT int bs_fsverity_digest_path(struct bs_fsverity_ctx *ctx, const char *path, uint8_t *digest,
			              struct bs_error *err);

#endif
