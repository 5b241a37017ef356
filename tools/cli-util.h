/* SPDX-License-Identifier: MIT */
/*
 * The CLI's own small helpers: tools/ includes only the public headers of
 * include/bootseal/ and these, never lib/'s internal ones.
 */
#ifndef BOOTSEAL_CLI_UTIL_H
#define BOOTSEAL_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <bootseal/error.h>
#include <bootseal/hex.h>

static inline void cli_freep(void *p) { free(*(void **)p); }
static inline void cli_closep(int *fd) { if (*fd >= 0) close(*fd); }

#define _cleanup_free_ __attribute__((cleanup(cli_freep)))
#define _cleanup_close_ __attribute__((cleanup(cli_closep)))
#define _cleanup_(f) __attribute__((cleanup(f)))

#define BS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Hands ownership to the caller: the cleanup attribute then sees NULL. */
static inline void *cli_steal_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define BS_STEAL(p) cli_steal_ptr(&(p))


/*
 * A file the user names, read to its end into a malloc'ed buffer
 * (NUL-terminated, not counted in *len): a regular file, or a pipe
 * (`@<(echo ...)`), character device or /proc file whose fstat size says
 * nothing. A directory is refused; more than max bytes: -EFBIG.
 */
int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err);

#endif
