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

/* lib/oci-leftovers.c: adding to an existing layout, safe against kill -9.
 * lock: an flock on DEST held until the fd is closed, and what killed runs
 * left there removed; the fd, or a negative errno. The journal names the
 * blobs (hex digests) about to be renamed in, until index.json names them. */
int oci_layout_lock(const char *dest, struct bs_error *err);
#define OCI_JOURNAL_NAME 48
int oci_journal_write(const char *dest, char *const *hex, size_t n, char name[OCI_JOURNAL_NAME],
		      struct bs_error *err);
void oci_journal_remove(int dirfd, const char *name);

/* The tree's metadata (numeric owners, mtime with nanoseconds, xattrs) as a tar entry. */
void oci_entry_fill(struct archive_entry *e, const char *path, struct bs_tree_inode *inode);
int oci_entry_write(struct archive *out, struct archive_entry *e, struct bs_error *err);

#endif
