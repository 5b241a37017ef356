/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "erofs-internal.h"
#include "util.h"

static const struct {
	const char *prefix;
	uint8_t index;
} prefixes[] = {
	{ "user.", EROFS_XATTR_INDEX_USER },
	{ "system.posix_acl_access", EROFS_XATTR_INDEX_POSIX_ACL_ACCESS },
	{ "system.posix_acl_default", EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT },
	{ "trusted.", EROFS_XATTR_INDEX_TRUSTED },
	{ "lustre.", EROFS_XATTR_INDEX_LUSTRE },
	{ "security.", EROFS_XATTR_INDEX_SECURITY },
};

uint8_t bsi_erofs_xattr_prefix(const char *key, size_t len, int with_lustre, size_t *skip)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i].prefix);

		if (prefixes[i].index == EROFS_XATTR_INDEX_LUSTRE && !with_lustre)
			continue;
		if (len >= n && memcmp(key, prefixes[i].prefix, n) == 0) {
			*skip = n;
			return prefixes[i].index;
		}
	}
	*skip = 0;
	return 0;
}

const char *bsi_erofs_xattr_prefix_name(uint8_t index)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(prefixes); i++)
		if (prefixes[i].index == index)
			return prefixes[i].prefix;
	return "";
}

#define P1 2654435761u
#define P2 2246822519u
#define P3 3266489917u
#define P4 668265263u
#define P5 374761393u

static inline uint32_t rotl(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static inline uint32_t lane(uint32_t acc, uint32_t in)
{
	return rotl(acc + in * P2, 13) * P1;
}

uint32_t bsi_xxh32(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data, *end = p + len;
	uint32_t h;

	if (len >= 16) {
		uint32_t a = seed + P1 + P2, b = seed + P2, c = seed, d = seed - P1;

		for (; end - p >= 16; p += 16) {
			a = lane(a, bsi_get_le32(p));
			b = lane(b, bsi_get_le32(p + 4));
			c = lane(c, bsi_get_le32(p + 8));
			d = lane(d, bsi_get_le32(p + 12));
		}
		h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
	} else {
		h = seed + P5;
	}
	h += (uint32_t)len;
	for (; end - p >= 4; p += 4)
		h = rotl(h + bsi_get_le32(p) * P3, 17) * P4;
	for (; p < end; p++)
		h = rotl(h + *p * P5, 11) * P1;
	h ^= h >> 15;
	h *= P2;
	h ^= h >> 13;
	h *= P3;
	h ^= h >> 16;
	return h;
}
