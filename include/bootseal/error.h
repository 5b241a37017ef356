/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_ERROR_H
#define BOOTSEAL_ERROR_H

#include <bootseal/export.h>

#include <stddef.h>

/*
 * The library never prints. A failing call returns a negative errno and, when
 * the caller passed a struct bs_error, says what went wrong and where, once.
 * The CLI turns that into one line: "bootseal: CMD: PATH: MESSAGE".
 */
struct bs_error {
	int code;            /* the negative errno that was returned */
	char path[512];      /* file or entry the error is about, may be empty */
	char message[512];
};

/* Records the first error only: the innermost caller knows the cause best.
 * err may be NULL (nothing is kept); returns code either way. */
BS_EXPORT int bs_error_set(struct bs_error *err, int code, const char *path, const char *fmt, ...)
	          __attribute__((format(printf, 4, 5)));

/* NULL is accepted. */
BS_EXPORT void bs_error_clear(struct bs_error *err);

#endif
