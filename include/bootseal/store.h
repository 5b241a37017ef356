/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_STORE_H
#define BOOTSEAL_STORE_H

#include <bootseal/export.h>

#include <stddef.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

/*
 * A composefs object store: the content of external files under their
 * redirect path, "xx/rest-of-hex" of the fs-verity digest, as mkcomposefs
 * --digest-store fills it and overlayfs finds it from the image's
 * trusted.overlay.redirect.
 */

/* Copies every external regular file of tree (a digest and a payload), read
 * from src_root/PATH, to store/PAYLOAD unless an object of that name exists.
 * Objects appear atomically. jobs 0: online CPUs. */
BS_EXPORT int bs_store_fill(struct bs_tree *tree, const char *src_root, const char *store, size_t jobs,
		            struct bs_error *err);

#endif
