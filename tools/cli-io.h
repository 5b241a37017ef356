/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_CLI_IO_H
#define BOOTSEAL_CLI_IO_H

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>

/* Reads a whole regular file of at most max bytes into *buf (malloc'd; a
 * zero-length file gives a non-NULL buffer). 0 or -errno with err filled. */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err);

#endif
