/* SPDX-License-Identifier: MIT */
#include "cli-util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ uint8_t *data = NULL;
	size_t used = 0, size = 0;
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return bs_error_set(err, -EISDIR, path, "is a directory");
	for (;;) {
		ssize_t n;

		if (used == size) {
			uint8_t *bigger;

			if (size > max)
				return bs_error_set(err, -EFBIG, path, "larger than %zu bytes", max);
			/* The size fstat gives a regular file saves the doublings. */
			size = size ? 2 * size : S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
			if (size > max + 1)
				size = max + 1;
			if (!(bigger = realloc(data, size + 1)))
				return -ENOMEM;
			data = bigger;
		}
		n = read(fd, data + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bs_error_set(err, -errno, path, "cannot read: %s", strerror(errno));
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max)
		return bs_error_set(err, -EFBIG, path, "larger than %zu bytes", max);
	data[used] = '\0';
	*buf = data;
	data = NULL;
	*len = used;
	return 0;
}
