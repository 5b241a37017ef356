/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets: a private directory under TMPDIR, made on
 * first use and removed when the process exits, and the printers a parsed
 * tree goes through.
 */
#ifndef BOOTSEAL_FUZZ_H
#define BOOTSEAL_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#include <bootseal/dump.h>

#include "tmpdir.h"

static char fz_dir[128];

static inline void fz_dir_remove(void)
{
	bsi_rm_rf(fz_dir);
}

/* The process's private directory ("fuzz-NAME.XXXXXX"); aborts when it cannot be made. */
static inline const char *fz_private_dir(const char *name)
{
	if (!fz_dir[0]) {
		const char *base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

		snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz-%s.XXXXXX", base, name);
		if (!mkdtemp(fz_dir))
			abort();
		atexit(fz_dir_remove);
	}
	return fz_dir;
}

/* What a parser accepted, printed both ways (to /dev/null): neither may crash. */
static inline void fz_print_tree(struct bs_tree *tree)
{
	FILE *null = fopen("/dev/null", "w");

	if (null) {
		bs_dump_write(tree, null);
		bs_dump_list(tree, null);
		fclose(null);
	}
}

#endif
