/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_PUBLIC_TMPDIR_H
#define BOOTSEAL_PUBLIC_TMPDIR_H

#include <bootseal/export.h>

/*
 * Where temporary files go: $TMPDIR when set and not empty, else /tmp. The
 * one reader of TMPDIR, so the library and the programs using it agree on
 * what an empty one means. Never NULL.
 */
BS_EXPORT const char *bs_tmpdir_base(void);

#endif
