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
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ uint8_t *data = NULL;
	struct stat st;
	size_t got;
	int r;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bs_error_set(err, -EINVAL, path, "not a regular file");
	if ((uint64_t)st.st_size > max)
		return bs_error_set(err, -EFBIG, path, "larger than %zu bytes", max);
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		return -ENOMEM;
	r = bs_read_full(fd, data, (size_t)st.st_size, &got);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	if (got != (size_t)st.st_size)
		return bs_error_set(err, -EIO, path, "file changed while it was read");
	*buf = BS_STEAL(data);
	*len = got;
	return 0;
}
