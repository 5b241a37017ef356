/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_SOURCE_H
#define BOOTSEAL_SOURCE_H

#include <stddef.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

/*
 * Any form a tree comes in, read into a bs_tree as the composefs digest sees
 * it:
 *   dir:PATH or a directory     bootc's read rules and transforms
 *   dump:FILE                   a composefs dump file (also detected by content)
 *   cfs:FILE                    a composefs EROFS image (also detected)
 *   oci:DIR[:TAG], oci-archive:FILE   flattened layers, bootc's transforms
 */
enum {
	/* Directories and images: the tree as read, without bootc's transforms. */
	BS_SOURCE_RAW = 1u << 0,
	/* bootc's transforms create a missing /boot or /sysroot. */
	BS_SOURCE_CREATE_MISSING = 1u << 1,
};

struct bs_source_options {
	unsigned flags;
	size_t jobs;
};

int bs_source_read_tree(const char *spec, const struct bs_source_options *opts, struct bs_tree **out,
			struct bs_error *err);

#endif
