/* SPDX-License-Identifier: MIT */
/* Between the OCI writer (lib/oci-write.c) and its tar emitter (lib/oci-write-layer.c). */
#ifndef BOOTSEAL_OCI_WRITE_H
#define BOOTSEAL_OCI_WRITE_H

#include "oci-internal.h"

struct archive;
struct archive_entry;

/* The tree's metadata (numeric owners, mtime with nanoseconds, xattrs) as a tar entry. */
void oci_entry_fill(struct archive_entry *e, const char *path, struct bs_tree_inode *inode);
int oci_entry_write(struct archive *out, struct archive_entry *e, struct bs_error *err);

#endif
