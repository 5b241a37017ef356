/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_HEX_H
#define BOOTSEAL_HEX_H

#include <stddef.h>
#include <stdint.h>

#include <bootseal/export.h>

/* Digests are shown and read as lowercase hex everywhere: on the kernel
 * command line, in dumps, in JSON, as repository object names. */

/* Formats len bytes as lowercase hex into out (2*len+1 bytes, NUL-terminated). */
BS_EXPORT void bs_hex_encode(const uint8_t *in, size_t len, char *out);
/* Parses in_len hex digits (either case; in_len even, in_len/2 <= out_size)
 * into out; *out_len (may be NULL) gets in_len/2. -EINVAL otherwise. */
BS_EXPORT int bs_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size, size_t *out_len);

#endif
