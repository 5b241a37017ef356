/* SPDX-License-Identifier: MIT */
/* Deterministic parallel gzip for layer blobs (lib/oci-gzip.c). */
#ifndef BOOTSEAL_OCI_GZIP_H
#define BOOTSEAL_OCI_GZIP_H

#include <stddef.h>

/* Receives the compressed bytes in order; 0 or a negative errno. */
typedef int (*oci_gzip_sink)(void *ctx, const void *buf, size_t len);

struct oci_gzip;

/* jobs 0: all cores. The output depends on level and input only. */
int oci_gzip_new(int level, size_t jobs, oci_gzip_sink sink, void *ctx, struct oci_gzip **out);
int oci_gzip_write(struct oci_gzip *g, const void *buf, size_t len);
/* Also hands the uncompressed bytes to tap, in order, on a worker beside the
 * compression (the diff_id's hash); set before the first write. */
typedef void (*oci_gzip_tap)(void *ctx, const void *buf, size_t len);
void oci_gzip_set_tap(struct oci_gzip *g, oci_gzip_tap tap, void *ctx);
/* Writes the last block and the gzip trailer. */
int oci_gzip_finish(struct oci_gzip *g);
void oci_gzip_free(struct oci_gzip *g);

#endif
