/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_DIFF_H
#define BOOTSEAL_DIFF_H

#include <bootseal/export.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

/* What differs between two entries at the same path. */
enum bs_diff_field {
	BS_DIFF_ADDED,          /* only in the second tree */
	BS_DIFF_REMOVED,        /* only in the first tree */
	BS_DIFF_TYPE,
	BS_DIFF_MODE,           /* permission bits */
	BS_DIFF_UID,
	BS_DIFF_GID,
	BS_DIFF_MTIME,
	BS_DIFF_SIZE,
	BS_DIFF_CONTENT,        /* inline bytes or external digest */
	BS_DIFF_XATTR,          /* name: one xattr added, removed or changed */
	BS_DIFF_LINK_TARGET,
	BS_DIFF_RDEV,
	BS_DIFF_HARDLINK,       /* the other names of the file differ */
};

BS_EXPORT const char *bs_diff_field_name(enum bs_diff_field field);

/*
 * One difference. path is absolute ("/usr/bin/sh"); name is the xattr name
 * for BS_DIFF_XATTR, else NULL; a and b are printable renderings of the two
 * values ("-" for absent). All strings live only during the call.
 */
struct bs_diff {
	const char *path;
	enum bs_diff_field field;
	const char *name;
	const char *a;
	const char *b;
};

typedef int (*bs_diff_fn)(void *ctx, const struct bs_diff *d);

/*
 * Calls fn for every difference, in the order the composefs digest sees the
 * entries (depth first, names in byte order); a removed or added directory
 * is one difference. *count (optional) receives the number of differences.
 * Returns 0, a negative errno, or fn's first non-zero return.
 */
BS_EXPORT int bs_diff_trees(struct bs_tree *a, struct bs_tree *b, bs_diff_fn fn, void *ctx, size_t *count);

#endif
