/* SPDX-License-Identifier: MIT */
#include "cli-util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

void cli_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cli_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size, size_t *out_len)
{
	if (in_len % 2 || in_len / 2 > out_size)
		return -EINVAL;
	for (size_t i = 0; i < in_len / 2; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (out_len)
		*out_len = in_len / 2;
	return 0;
}

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
