/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for OCI layer flattening: the input is the one layer of
 * a fixed, valid image (tar, or any compression libarchive detects), read
 * through bs_oci_image_open and bs_oci_image_flatten with a few files
 * captured, then written as a composefs image as `seal` does.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bootseal/erofs.h>
#include <bootseal/oci.h>

#include "fuzz-oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int capture(void *ctx, const char *path)
{
	(void)ctx;
	return strcmp(path, "usr/lib/os-release") == 0 || strncmp(path, "boot/", 5) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\","
				     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	char layer_d[72], config_d[72], manifest_d[72], ref[96];
	char manifest[1024], index[1024];
	struct bs_oci_flatten_options opts = { .capture = capture, .capture_mem_max = 4096,
						 .jobs = 1 /* no thread pool per run */ };
	struct bs_oci_flatten_stats stats;
	struct bs_erofs_options eopts = { .min_version = 0, .max_version = 1 };
	struct bs_error err = { 0 };
	struct bs_oci_image *img = NULL;
	const uint8_t *f;
	size_t flen;
	uint8_t *out;
	size_t out_size;
	int n;

	fz_layout_begin();
	fz_blob(data, size, layer_d);
	fz_blob(config, sizeof(config) - 1, config_d);
	n = snprintf(manifest, sizeof(manifest),
		     "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		     "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		     "\"digest\":\"%s\",\"size\":%zu},"
		     "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar%s\","
		     "\"digest\":\"%s\",\"size\":%zu}]}",
		     config_d, sizeof(config) - 1, size >= 2 && data[0] == 0x1f && data[1] == 0x8b ? "+gzip" : "",
		     layer_d, size);
	fz_blob(manifest, (size_t)n, manifest_d);
	n = snprintf(index, sizeof(index),
		     "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
		     "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%d}]}",
		     manifest_d, n);
	fz_write("index.json", index, (size_t)n);

	snprintf(ref, sizeof(ref), "oci:%s", fz_root);
	if (bs_oci_image_open(ref, &img, &err) < 0)
		abort();        /* the layout around the layer is valid */
	if (bs_oci_image_flatten(img, &opts, &stats, &err) == 0) {
		(void)bs_oci_image_file(img, "usr/lib/os-release", &f, &flen, NULL);
		if (bs_erofs_write(bs_oci_image_tree(img), &eopts, &out, &out_size, NULL) == 0)
			free(out);
	}
	bs_oci_image_free(img);
	return 0;
}
