/* SPDX-License-Identifier: MIT */
#include "cli-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/util.h"

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err)
{
	return bs_read_file(path, 0, max, buf, len, err);
}
