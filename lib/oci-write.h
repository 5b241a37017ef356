/* SPDX-License-Identifier: MIT */
/* Between the OCI writer (lib/oci-write.c) and its tar emitter (lib/oci-write-layer.c). */
#ifndef BOOTSEAL_OCI_WRITE_H
#define BOOTSEAL_OCI_WRITE_H

#include "oci-internal.h"
#include "tmpdir.h"

struct archive;
struct archive_entry;

/* An image being written: a hidden directory beside the destination. */
struct out_layout {
	struct bs_tmpdir tmp;   /* the layout being written; removed unless committed */
	const char *dest;       /* what errors name: the temporary names mean nothing to the user */
	struct bs_error *err;
};

/* lib/oci-commit.c: the temporary layout, and putting it in place. */
int oci_make_tmp_layout(const char *dest, struct out_layout *o);
/* oci:DIR: renamed into place, or merged into an existing layout (its other
 * tags kept, an entry with the same tag replaced). */
int oci_commit_dir(struct out_layout *o, const char *dest, const char *tag);
/* oci-archive:FILE: the layout as one deterministic tar, written atomically. */
int oci_commit_archive(struct out_layout *o, const char *dest);

/* The tree's metadata (numeric owners, mtime with nanoseconds, xattrs) as a tar entry. */
void oci_entry_fill(struct archive_entry *e, const char *path, struct bs_tree_inode *inode);
int oci_entry_write(struct archive *out, struct archive_entry *e, struct bs_error *err);

#endif
