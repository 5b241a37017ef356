/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the OCI index, manifest and config JSON: the input is
 * index.json, NUL, the manifest, NUL, the config. Blobs are stored under
 * their real digests, and the tokens $MD/$MS (manifest digest and size, in
 * the index), $CD/$CS (config) and $LD/$LS (a fixed empty tar layer, in the
 * manifest) are replaced by the real values, so the fuzzer reaches past the
 * digest checks. An image that opens is flattened. The config is also read
 * as a composefs repository's meta.json.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bootseal/oci.h>
#include <bootseal/repo.h>

#include "fuzz-oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct part {
	const char *p;
	size_t len;
};

/* Copies in to a new buffer with the tokens of vals[] replaced. */
static char *subst(const struct part *in, const char *const tokens[][2], size_t n, size_t *out_len)
{
	size_t cap = in->len * 8 + 256, len = 0;
	char *out = malloc(cap);

	if (!out)
		abort();
	for (size_t i = 0; i < in->len;) {
		size_t k;

		for (k = 0; k < n; k++)
			if (in->len - i >= 3 && memcmp(in->p + i, tokens[k][0], 3) == 0)
				break;
		if (k < n) {
			size_t l = strlen(tokens[k][1]);
			if (len + l + 1 > cap) {
				cap = (len + l + 1) * 2;
				if (!(out = realloc(out, cap)))
					abort();
			}
			memcpy(out + len, tokens[k][1], l);
			len += l;
			i += 3;
		} else {
			if (len + 2 > cap) {
				cap *= 2;
				if (!(out = realloc(out, cap)))
					abort();
			}
			out[len++] = in->p[i++];
		}
	}
	*out_len = len;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t layer[1024];           /* an empty tar: two zero blocks */
	char md[72], ms[24], cd[72], cs[24], ld[72], ls[24], ref[96];
	struct part parts[3] = { { 0 } };
	const char *p = (const char *)data, *end = p + size;
	struct bs_oci_flatten_options fopts = { .jobs = 1 };   /* no thread pool per run */
	struct bs_oci_flatten_stats stats;
	struct bs_error err = { 0 };
	struct bs_oci_image *img = NULL;
	char *manifest, *index;
	size_t mlen, ilen;

	for (int i = 0; i < 3 && p <= end; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		parts[i].p = p;
		parts[i].len = (size_t)((z ? z : end) - p);
		p += parts[i].len + 1;
	}
	fz_layout_begin();
	fz_blob(layer, sizeof(layer), ld);
	snprintf(ls, sizeof(ls), "%zu", sizeof(layer));
	fz_blob(parts[2].p ? parts[2].p : "", parts[2].len, cd);
	snprintf(cs, sizeof(cs), "%zu", parts[2].len);
	{
		const char *const t[][2] = { { "$CD", cd }, { "$CS", cs }, { "$LD", ld }, { "$LS", ls } };
		manifest = subst(&parts[1], t, 4, &mlen);
	}
	fz_blob(manifest, mlen, md);
	snprintf(ms, sizeof(ms), "%zu", mlen);
	{
		const char *const t[][2] = { { "$MD", md }, { "$MS", ms } };
		index = subst(&parts[0], t, 2, &ilen);
	}
	fz_write("index.json", index, ilen);
	free(manifest);
	free(index);

	/* The config is the freest JSON here: a composefs repository's meta.json too. */
	(void)bs_repo_meta_check(parts[2].p ? parts[2].p : "", parts[2].len, "meta.json", NULL);

	snprintf(ref, sizeof(ref), "oci:%s", fz_root);
	if (bs_oci_image_open(ref, &img, &err) == 0) {
		size_t len;

		(void)bs_oci_image_config_json(img, &len);
		for (size_t i = 0; i < bs_oci_image_layer_count(img); i++)
			(void)bs_oci_image_layer(img, i);
		(void)bs_oci_image_flatten(img, &fopts, &stats, NULL);
		bs_oci_image_free(img);
	}
	return 0;
}
