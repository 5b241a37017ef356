/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the composefs dump parser (mkcomposefs --from-file).
 * A dump that parses is written back as a dump and as a composefs image, and
 * the image must read back: the writer may meet any tree the parser accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <bootseal/dump.h>
#include <bootseal/erofs.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_tree *tree = NULL, *back = NULL;
	struct bs_erofs_options opts = { .min_version = 0, .max_version = 1 };
	struct bs_error err = { 0 };
	uint8_t *img = NULL;
	size_t img_size;

	if (bs_dump_parse((const char *)data, size, "fuzz", &tree, &err) < 0) {
		bs_error_clear(&err);
		return 0;
	}
	fz_print_tree(tree);
	if (bs_erofs_write(tree, &opts, &img, &img_size, &err) == 0) {
		if (bs_erofs_read(img, img_size, "fuzz.img", &back, &err) < 0) {
			fprintf(stderr, "image of an accepted dump does not read back: %s\n",
				err.message);
			abort();
		}
		bs_tree_free(back);
		free(img);
	}
	bs_error_clear(&err);
	bs_tree_free(tree);
	return 0;
}
