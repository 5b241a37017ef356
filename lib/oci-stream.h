/* SPDX-License-Identifier: MIT */
/* Reading a layer blob as a tar stream while verifying it (lib/oci-stream.c). */
#ifndef BOOTSEAL_OCI_STREAM_H
#define BOOTSEAL_OCI_STREAM_H

#include "oci-internal.h"

struct archive;
struct archive_entry;
struct oci_stream;

/*
 * libarchive translates tar names between the UTF-8 of PAX records and the
 * charset of the calling thread's locale, recomposing decomposed UTF-8 on
 * the way in. A file name is bytes: under the C locale every non-ASCII name
 * fails that translation, and libarchive then keeps it as it is (reading)
 * or writes it raw under hdrcharset=BINARY (writing). So each header is
 * read and written under the C locale, whatever locale the program chose,
 * and the same input gives the same tree and the same layer bytes.
 */
int oci_tar_read_header(struct archive *a, struct archive_entry **e);
int oci_tar_write_header(struct archive *a, struct archive_entry *e);

/* Opens layer `layer` (0-based) of img for oci_tar_read_header. */
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
