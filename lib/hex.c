/* SPDX-License-Identifier: MIT */
#include <bootseal/hex.h>

#include <errno.h>

#include "hex.h"

int bsi_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bsi_hex_lower(const char *s, size_t len)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == len;
}

void bs_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	if (!out)
		return;
	if (!in)
		len = 0;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int bs_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size, size_t *out_len)
{
	if ((!in && in_len) || (!out && in_len))
		return -EINVAL;
	if (in_len % 2 || in_len / 2 > out_size)
		return -EINVAL;
	for (size_t i = 0; i < in_len / 2; i++) {
		int hi = bsi_hex_value(in[2 * i]), lo = bsi_hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (out_len)
		*out_len = in_len / 2;
	return 0;
}
