/* SPDX-License-Identifier: MIT */
/* Reading a layer blob as a tar stream while verifying it (lib/oci-stream.c). */
#ifndef BOOTSEAL_OCI_STREAM_H
#define BOOTSEAL_OCI_STREAM_H

#include "oci-internal.h"

struct archive;
struct oci_stream;

/* Opens layer `layer` (0-based) of img for archive_read_next_header. */
int oci_stream_open(const struct bs_oci_image *img, size_t layer, struct oci_stream **s,
		    struct archive **a, struct bs_error *err);
/* After ARCHIVE_EOF: hashes the rest of the blob and checks size and sha256. */
int oci_stream_finish(struct oci_stream *s, size_t layer, struct bs_error *err);
/* Reports a libarchive failure as "layer N[: ENTRY]: corrupt layer: …". */
int oci_stream_error(struct oci_stream *s, struct archive *a, size_t layer, const char *entry,
		     struct bs_error *err);
/* Blob bytes read so far. */
uint64_t oci_stream_bytes(const struct oci_stream *s);
void oci_stream_close(struct oci_stream *s, struct archive *a);

#endif
