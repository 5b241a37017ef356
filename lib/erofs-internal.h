/* SPDX-License-Identifier: MIT */
/* Helpers shared by the composefs EROFS writers and the reader; not public. */
#ifndef BOOTSEAL_EROFS_INTERNAL_H
#define BOOTSEAL_EROFS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "formats/erofs.h"

/* overlayfs xattrs composefs images carry (Documentation/filesystems/overlayfs.rst) */
#define OVL_TRUSTED "trusted.overlay."
#define OVL_ESCAPED "trusted.overlay.overlay."
#define OVL_USER "user.overlay."

/*
 * Short name prefixes, in the order they are tried. with_lustre: composefs-rs
 * V2 knows "lustre." (index 5); C mkcomposefs v1.0.8, and so V0/V1, does not.
 * Returns the index (0 = none) and the prefix length in *skip.
 */
uint8_t bsi_erofs_xattr_prefix(const char *key, size_t len, int with_lustre, size_t *skip);
/* The name of prefix index i ("" for unknown indexes). */
const char *bsi_erofs_xattr_prefix_name(uint8_t index);

/* xxHash32 (Yann Collet's algorithm), which EROFS uses for the xattr name filter. */
uint32_t bsi_xxh32(const void *data, size_t len, uint32_t seed);

static inline uint64_t bsi_round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* The smallest chunk size (as a power of two, at least one block) that
 * holds size in as few chunks as the chunk format allows. */
static inline uint32_t bsi_erofs_chunk_bits(uint64_t size)
{
	uint32_t bits = size > 1 ? 64 - (uint32_t)__builtin_clzll(size - 1) : 0;

	if (bits < EROFS_BLKSIZ_BITS)
		bits = EROFS_BLKSIZ_BITS;
	if (bits - EROFS_BLKSIZ_BITS > EROFS_CHUNK_FORMAT_BLKBITS_MASK)
		bits = EROFS_CHUNK_FORMAT_BLKBITS_MASK + EROFS_BLKSIZ_BITS;
	return bits;
}

/*
 * Rounded up without adding first: adding the chunk size first (as
 * libcomposefs's DIV_ROUND_UP does) wraps for sizes within a chunk of 2^64
 * and gives 0 chunks, so a file of 18446744073709551615 bytes passed the
 * 1024-chunk check and made an image whose readers walk 2^52 blocks. With
 * this, the largest file is 1024 chunks of 2^43 bytes (2^53, 8 PiB), below
 * the kernel's loff_t limit of 2^63 - 1.
 */
static inline uint64_t bsi_erofs_chunk_count(uint64_t size)
{
	uint32_t bits = bsi_erofs_chunk_bits(size);

	return (size >> bits) + ((size & ((1ull << bits) - 1)) != 0);
}

/* libcomposefs stores at most this many chunk pointers (one block) per file. */
#define BS_EROFS_MAX_CHUNKS 1024
/* So the largest file: 1024 chunks of 2^(12 + 31) bytes. */
#define BS_EROFS_MAX_FILE_SIZE ((uint64_t)BS_EROFS_MAX_CHUNKS << (EROFS_BLKSIZ_BITS + EROFS_CHUNK_FORMAT_BLKBITS_MASK))

#endif
