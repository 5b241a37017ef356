/* SPDX-License-Identifier: MIT */
/* bootseal oci inspect|flatten: the OCI reader and writer on their own. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/oci.h>

#include "cli-dispatch.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli-values.h"
#include "cli.h"

#define INSPECT_USAGE "bootseal oci inspect [--hash-alg sha256|sha512] [--dump FILE] [--json] IMAGE\n"
#define FLATTEN_USAGE                                                                                  \
	"bootseal oci flatten [--uncompressed | --zstd] [--level N] [--jobs N] [--reuse-layer]\n"       \
	"                            [--label KEY=VALUE]... IMAGE DEST\n"
#define IMAGE_TEXT "IMAGE: oci:DIR[:TAG] or oci-archive:FILE[:TAG]; DEST likewise (TAG defaults to latest)\n"

static const char usage[] = "usage: " INSPECT_USAGE "       " FLATTEN_USAGE IMAGE_TEXT;
static const char inspect_usage[] = "usage: " INSPECT_USAGE IMAGE_TEXT;
static const char flatten_usage[] = "usage: " FLATTEN_USAGE IMAGE_TEXT;

/* config.Labels: at most this many, as the man page says. */
#define MAX_LABELS 64

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

static void image_freep(struct bs_oci_image **img)
{
	bs_oci_image_free(*img);
}

static void print_text(struct bs_oci_image *img, const struct bs_oci_flatten_stats *st)
{
	const struct bs_oci_descriptor *manifest = bs_oci_image_manifest(img), *config = bs_oci_image_config(img);

	printf("manifest %s %llu\n", manifest->digest, (unsigned long long)manifest->size);
	printf("config %s %llu\n", config->digest, (unsigned long long)config->size);
	for (size_t i = 0; i < bs_oci_image_layer_count(img); i++) {
		const struct bs_oci_descriptor *d = bs_oci_image_layer(img, i);

		printf("layer %zu %s %llu %s\n", i + 1, d->digest, (unsigned long long)d->size, d->media_type);
	}
	printf("entries %zu\n", st->entries);
	printf("layer-entries %zu\n", st->layer_entries);
	printf("hashed-files %zu\n", st->hashed_files);
	printf("hashed-bytes %llu\n", st->hashed_bytes);
}

/* argv[0] "bootseal: oci inspect", for getopt's messages. */
static int inspect(int argc, char **argv)
{
	static const char cmd[] = "oci inspect";
	enum bs_hash_alg alg = BS_COMPOSEFS_HASH;
	const char *dump = NULL;
	int json = 0, first, r;
	const struct cli_option options[] = {
		{ "hash-alg", 0, CLI_CALL, &alg, 0, cli_take_hash_alg },
		{ "dump", 0, CLI_STRING, &dump },
		CLI_OPTION_JSON(&json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, inspect_usage, options, 1, 1, "IMAGE" };
	_cleanup_(image_freep) struct bs_oci_image *img = NULL;
	struct bs_oci_flatten_stats st;
	struct bs_error err = { 0 };

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if ((r = open_flat(cmd, argv[first], alg, 0, &img, &st)))
		return r;
	if (dump && (r = cli_write_dumpfile(bs_oci_image_tree(img), dump, 0, &err)) < 0)
		return cli_report(cmd, &err, r);
	/* The dump on standard output is the whole output. */
	if (dump && strcmp(dump, "-") == 0)
		return BS_EXIT_OK;
	if (json)
		print_json(img, &st);
	else
		print_text(img, &st);
	return BS_EXIT_OK;
}

/* Each --label KEY=VALUE, at most MAX_LABELS; and a --level this compression takes. */
static int check_flatten(const struct cli_list *labels, const struct bs_oci_write_options *wo, const char *dest)
{
	struct bs_error err = { 0 };
	int r;

	for (size_t i = 0; i < labels->n; i++)
		if (i == MAX_LABELS || !strchr(labels->items[i], '='))
			return cli_fail("oci flatten", "invalid label '%s' (KEY=VALUE, at most %d)", labels->items[i],
					MAX_LABELS);
	if ((r = bs_oci_level_check(wo->compression, wo->level, dest, &err)) < 0)
		return cli_report("oci flatten", &err, r);
	return 0;
}

static int flatten(int argc, char **argv)
{
	static const char cmd[] = "oci flatten";
	_cleanup_(cli_list_done) struct cli_list labels = { 0 };
	struct bs_oci_write_options wo = { 0 };
	const struct cli_option options[] = {
		{ "uncompressed", 0, CLI_SET, &wo.compression, BS_OCI_UNCOMPRESSED },
		{ "zstd", 0, CLI_SET, &wo.compression, BS_OCI_ZSTD },
		CLI_OPTION_LEVEL(&wo.level),
		{ "jobs", 0, CLI_JOBS, &wo.jobs },
		{ "reuse-layer", 0, CLI_OR, &wo.flags, BS_OCI_REUSE_LAYER },
		{ "label", 0, CLI_LIST, &labels },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, flatten_usage, options, 2, 2, "IMAGE DEST" };
	_cleanup_(image_freep) struct bs_oci_image *img = NULL;
	struct bs_oci_write_result res;
	struct bs_error err = { 0 };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if ((r = check_flatten(&labels, &wo, argv[first + 1])))
		return r;
	/* The layers are written again: keep the bytes rather than read them twice. */
	r = open_flat(cmd, argv[first], 0,
		      wo.flags & BS_OCI_REUSE_LAYER ? BS_OCI_FLATTEN_SPOOL_LAYERED : BS_OCI_FLATTEN_SPOOL, &img, NULL);
	if (r)
		return r;
	wo.labels = labels.items;
	wo.n_labels = labels.n;
	wo.dest = argv[first + 1];
	wo.base = img;
	if ((r = bs_oci_write_image(&wo, &res, &err)) < 0)
		return cli_report(cmd, &err, r);
	printf("%s\n", res.manifest_digest);
	return BS_EXIT_OK;
}

int cmd_oci(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "inspect", inspect },
		{ "flatten", flatten },
		{ NULL, NULL },
	};

	return cli_dispatch("oci", usage, subs, argc, argv);
}
