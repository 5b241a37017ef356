/* SPDX-License-Identifier: MIT */
#include <bootseal/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bs_error_set(struct bs_error *err, int code, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code)
		return code;
	err->code = code;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void bs_error_clear(struct bs_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}
