/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the composefs image reader (composefs-info dump|ls,
 * diff): any image that reads is dumped and listed as the CLI would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <bootseal/dump.h>
#include <bootseal/erofs.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_tree *tree = NULL;
	struct bs_error err = { 0 };

	if (bs_erofs_read(data, size, "fuzz", &tree, &err) < 0)
		return 0;
	fz_print_tree(tree);
	bs_tree_free(tree);
	return 0;
}
