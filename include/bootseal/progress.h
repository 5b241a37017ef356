/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_PROGRESS_H
#define BOOTSEAL_PROGRESS_H

#include <stddef.h>

/*
 * Progress of a long operation (reading a root filesystem, streaming an
 * image's layers), for a caller that wants to show it. The library never
 * prints: it calls the caller's function, from one thread at a time, at
 * most every 100 ms or so and once when done.
 */
struct bs_progress {
	const char *phase;                  /* "hashing", "layer 2/3" */
	size_t files_done;
	size_t files_total;                 /* 0 when unknown */
	unsigned long long bytes_done;
	unsigned long long bytes_total;     /* 0 when unknown */
	int done;                           /* the last call */
};

typedef void (*bs_progress_fn)(void *ctx, const struct bs_progress *progress);

#endif
