/* SPDX-License-Identifier: MIT */
/* bootseal oci inspect|flatten: the OCI reader and writer on their own. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/oci.h>

#include "cli-io.h"
#include "cli.h"

static void help(void)
{
	printf("usage: bootseal oci inspect [--hash-alg sha256|sha512] [--dump FILE] [--json] IMAGE\n"
	       "       bootseal oci flatten [--uncompressed | --zstd] [--level N] [--jobs N] [--reuse-layer]\n"
	       "                            [--label KEY=VALUE]... IMAGE DEST\n"
	       "IMAGE: oci:DIR[:TAG] or oci-archive:FILE[:TAG]; DEST likewise (TAG defaults to latest)\n");
}

/* One line on a terminal, rewritten in place. */
static void progress(void *ctx, size_t layer, size_t n_layers, const struct bs_oci_flatten_stats *st)
{
	(void)ctx;
	fprintf(stderr, "\rlayer %zu/%zu: %zu entries, %llu MiB read, %zu files hashed", layer + 1, n_layers,
		st->layer_entries, st->blob_bytes >> 20, st->hashed_files);
}

static int open_flat(const char *cmd, const char *ref, enum bs_hash_alg alg, unsigned flags,
		     struct bs_oci_image **img, struct bs_oci_flatten_stats *st)
{
	struct bs_oci_flatten_options opts = { .hash_alg = alg, .flags = flags,
					       .progress = isatty(2) ? progress : NULL };
	struct bs_error err = { 0 };
	int r;

	r = bs_oci_image_open(ref, img, &err);
	if (r >= 0)
		r = bs_oci_image_flatten(*img, &opts, st, &err);
	if (opts.progress)
		fputs("\r\033[K", stderr);
	if (r < 0) {
		bs_oci_image_free(*img);
		*img = NULL;
		return cli_report(cmd, &err, r);
	}
	return 0;
}

static json_object *descriptor_json(const struct bs_oci_descriptor *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
	if (d->media_type)
		json_object_object_add(o, "media_type", json_object_new_string(d->media_type));
	return o;
}

static void print_json(struct bs_oci_image *img, const struct bs_oci_flatten_stats *st)
{
	json_object *o = json_object_new_object(), *layers = json_object_new_array();

	json_object_object_add(o, "manifest", descriptor_json(bs_oci_image_manifest(img)));
	json_object_object_add(o, "config", descriptor_json(bs_oci_image_config(img)));
	for (size_t i = 0; i < bs_oci_image_layer_count(img); i++)
		json_object_array_add(layers, descriptor_json(bs_oci_image_layer(img, i)));
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)st->entries));
	json_object_object_add(o, "layer_entries", json_object_new_int64((int64_t)st->layer_entries));
	json_object_object_add(o, "hashed_files", json_object_new_int64((int64_t)st->hashed_files));
	json_object_object_add(o, "hashed_bytes", json_object_new_int64((int64_t)st->hashed_bytes));
	cli_json_print(o);
}

static int inspect(const char *image, enum bs_hash_alg alg, const char *dump, int json)
{
	struct bs_oci_flatten_stats st;
	struct bs_oci_image *img = NULL;
	struct bs_error err = { 0 };
	int r = open_flat("oci inspect", image, alg, 0, &img, &st);

	if (r)
		return r;
	if (dump && (r = cli_write_dumpfile(bs_oci_image_tree(img), dump, 0, &err)) < 0) {
		bs_oci_image_free(img);
		return cli_report("oci inspect", &err, r);
	}
	if (dump && !strcmp(dump, "-")) {
		bs_oci_image_free(img);
		return BS_EXIT_OK;
	}
	if (json) {
		print_json(img, &st);
		bs_oci_image_free(img);
		return BS_EXIT_OK;
	}
	printf("manifest %s %llu\n", bs_oci_image_manifest(img)->digest,
	       (unsigned long long)bs_oci_image_manifest(img)->size);
	printf("config %s %llu\n", bs_oci_image_config(img)->digest,
	       (unsigned long long)bs_oci_image_config(img)->size);
	for (size_t i = 0; i < bs_oci_image_layer_count(img); i++) {
		const struct bs_oci_descriptor *d = bs_oci_image_layer(img, i);
		printf("layer %zu %s %llu %s\n", i + 1, d->digest, (unsigned long long)d->size, d->media_type);
	}
	printf("entries %zu\n", st.entries);
	printf("layer-entries %zu\n", st.layer_entries);
	printf("hashed-files %zu\n", st.hashed_files);
	printf("hashed-bytes %llu\n", st.hashed_bytes);
	bs_oci_image_free(img);
	return BS_EXIT_OK;
}

static int flatten(const char *image, const char *dest, struct bs_oci_write_options *wo)
{
	struct bs_oci_write_result res;
	struct bs_oci_image *img = NULL;
	struct bs_error err = { 0 };
	/* The layers are written again: keep the bytes rather than read them twice. */
	int r = open_flat("oci flatten", image, 0,
			  wo->flags & BS_OCI_REUSE_LAYER ? BS_OCI_FLATTEN_SPOOL_LAYERED : BS_OCI_FLATTEN_SPOOL, &img,
			  NULL);

	if (r)
		return r;
	wo->dest = dest;
	wo->base = img;
	r = bs_oci_write_image(wo, &res, &err);
	bs_oci_image_free(img);
	if (r < 0)
		return cli_report("oci flatten", &err, r);
	printf("%s\n", res.manifest_digest);
	return BS_EXIT_OK;
}

int cmd_oci(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hash-alg", required_argument, NULL, 'a' },
		{ "uncompressed", no_argument, NULL, 'u' },
		{ "label", required_argument, NULL, 'l' },
		{ "dump", required_argument, NULL, 'd' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "level", required_argument, NULL, 'g' },
		{ "zstd", no_argument, NULL, 'z' },
		{ "reuse-layer", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *labels[64];
	struct bs_oci_write_options wo = { .labels = labels };
	enum bs_hash_alg alg = BS_COMPOSEFS_HASH;
	const char *sub, *dump = NULL;
	int json = 0, c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help();
		return argc < 2 ? BS_EXIT_BAD_INPUT : BS_EXIT_OK;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (bs_hash_alg_from_name(optarg, &alg) < 0)
				return cli_fail("oci", "unknown hash algorithm '%s'", optarg);
			break;
		case 'd':
			dump = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'j':
		case 'g': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || !v || (c == 'g' && v > 19) || v > 4096)
				return cli_fail("oci", "invalid %s '%s'", c == 'j' ? "job count" : "level", optarg);
			if (c == 'j')
				wo.jobs = v;
			else
				wo.level = (int)v;
			break;
		}
		case 'u':
			wo.compression = BS_OCI_UNCOMPRESSED;
			break;
		case 'r':
			wo.flags |= BS_OCI_REUSE_LAYER;
			break;
		case 'z':
			wo.compression = BS_OCI_ZSTD;
			break;
		case 'l':
			if (wo.n_labels == sizeof(labels) / sizeof(labels[0]) || !strchr(optarg, '='))
				return cli_fail("oci", "invalid label '%s' (KEY=VALUE, at most 64)", optarg);
			labels[wo.n_labels++] = optarg;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (!strcmp(sub, "inspect") && argc - optind == 1)
		return inspect(argv[optind], alg, dump, json);
	if (!strcmp(sub, "flatten") && argc - optind == 2)
		return flatten(argv[optind], argv[optind + 1], &wo);
	return cli_fail("oci", "usage: bootseal oci inspect IMAGE | bootseal oci flatten IMAGE DEST");
}
