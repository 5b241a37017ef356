/* SPDX-License-Identifier: MIT */
/*
 * Image references and the OCI image layout (image-spec v1.1 image-layout.md,
 * image-index.md, manifest.md): index → manifest → config, each blob checked
 * against its descriptor's size and sha256 before it is parsed. Docker v2
 * schema 2 manifests are accepted too, as skopeo stores them unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "hex.h"
#include "oci-internal.h"
#include "util.h"

static const char *const manifest_types[] = { MT_OCI_MANIFEST, MT_DOCKER_MANIFEST };
static const char *const config_types[] = { MT_OCI_CONFIG, MT_DOCKER_CONFIG };
static const char *const layer_types[] = {
	MT_OCI_LAYER,
	MT_OCI_LAYER_GZIP,
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
};

static int one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

int bs_oci_ref_parse(const char *ref, struct bs_oci_ref *out, struct bs_error *err)
{
	if (!ref || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_ref_parse: a NULL argument");
	static const struct { const char *prefix; enum bs_oci_ref_kind kind; } kinds[] = {
		{ "oci:", BS_OCI_REF_LAYOUT },
		{ "oci-archive:", BS_OCI_REF_ARCHIVE },
		{ "dir:", BS_OCI_REF_DIR },
	};
	const char *rest = NULL, *colon;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < BS_ARRAY_SIZE(kinds) && !rest; i++)
		if (strncmp(ref, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
			rest = ref + strlen(kinds[i].prefix);
			out->kind = kinds[i].kind;
		}
	if (!rest)
		return bs_error_set(err, -EINVAL, ref, "not an image reference (oci:DIR[:TAG], oci-archive:FILE[:TAG] or dir:PATH)");
	/* Like containers/image: the path ends at the first colon, the rest is the tag. */
	colon = out->kind == BS_OCI_REF_DIR ? NULL : strchr(rest, ':');
	out->path = colon ? strndup(rest, (size_t)(colon - rest)) : strdup(rest);
	if (!out->path)
		return -ENOMEM;
	if (colon) {
		const char *tag = colon + 1;

		if (!*tag || strlen(tag) > 255)
			goto bad_tag;
		for (const char *p = tag; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				goto bad_tag;
		if (!(out->tag = strdup(tag))) {
			bs_oci_ref_clear(out);
			return -ENOMEM;
		}
	}
	if (!*out->path) {
		bs_oci_ref_clear(out);
		return bs_error_set(err, -EINVAL, ref, "empty path in image reference");
	}
	return 0;
bad_tag:
	bs_oci_ref_clear(out);
	return bs_error_set(err, -EINVAL, ref, "invalid tag in image reference");
}

void bs_oci_ref_clear(struct bs_oci_ref *ref)
{
	if (!ref)
		return;
	free(ref->path);
	free(ref->tag);
	ref->path = ref->tag = NULL;
}

int oci_digest_valid(const char *digest)
{
	return strncmp(digest, "sha256:", 7) == 0 && bsi_hex_lower(digest + 7, OCI_DIGEST_LEN - 7);
}

char *oci_blob_path(const char *root, const char *digest)
{
	char *p;

	if (asprintf(&p, "%s/blobs/sha256/%s", root, digest + 7) < 0)
		return NULL;
	return p;
}

void oci_digest_format(const uint8_t md[32], char out[OCI_DIGEST_LEN + 1])
{
	memcpy(out, "sha256:", 7);
	bs_hex_encode(md, 32, out + 7);
}

int oci_blob_open(const struct bs_oci_image *img, const struct bs_oci_descriptor *d, struct oci_file *f,
		  struct bs_error *err)
{
	char rel[OCI_DIGEST_LEN + 16];
	int r;

	snprintf(rel, sizeof(rel), "blobs/sha256/%s", d->digest + 7);
	r = oci_file_open(img, rel, f);
	if (r == -ENOENT)
		return bs_error_set(err, -EBADMSG, rel, "blob missing from the image");
	if (r == -EBADMSG)
		return bs_error_set(err, r, rel, "blob is not a regular file");
	if (r < 0)
		return bs_error_set(err, r, rel, "cannot open: %s", strerror(-r));
	if (f->size != d->size) {
		oci_file_close(f);
		return bs_error_set(err, -EBADMSG, rel, "blob size %llu differs from its descriptor's %llu",
				    (unsigned long long)f->size, (unsigned long long)d->size);
	}
	return 0;
}

/* A whole small blob, its size and sha256 checked against the descriptor. */
static int read_blob(const struct bs_oci_image *img, const struct bs_oci_descriptor *d, uint8_t **out,
		     struct bs_error *err)
{
	char rel[OCI_DIGEST_LEN + 16], got[OCI_DIGEST_LEN + 1];
	_cleanup_(oci_file_close) struct oci_file f = { .fd = -1 };
	_cleanup_free_ uint8_t *buf = NULL;
	uint8_t md[32];
	size_t n;
	int r;

	snprintf(rel, sizeof(rel), "blobs/sha256/%s", d->digest + 7);
	if (d->size > OCI_JSON_MAX)
		return bs_error_set(err, -EBADMSG, rel, "%llu bytes is too large for a JSON blob",
				    (unsigned long long)d->size);
	r = oci_blob_open(img, d, &f, err);
	if (r < 0)
		return r;
	buf = malloc(d->size + 1);
	if (!buf)
		return -ENOMEM;
	r = oci_file_read_full(&f, buf, d->size, &n);
	if (r < 0)
		return bs_error_set(err, r, rel, "cannot read: %s", strerror(-r));
	if (n != d->size)
		return bs_error_set(err, -EBADMSG, rel, "blob shorter than its descriptor's size");
	buf[n] = 0;
	EVP_Digest(buf, n, md, NULL, EVP_sha256(), NULL);
	oci_digest_format(md, got);
	if (strcmp(got, d->digest) != 0)
		return bs_error_set(err, -EBADMSG, rel, "sha256 mismatch (expected %s, got %s)",
				    d->digest + 7, got + 7);
	*out = BS_STEAL(buf);
	return 0;
}

static int parse_json(const uint8_t *buf, size_t len, const char *what, json_object **out,
		      struct bs_error *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;

	if (!tok)
		return -ENOMEM;
	obj = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		json_tokener_free(tok);
		return bs_error_set(err, -EBADMSG, what, "malformed JSON");
	}
	json_tokener_free(tok);
	*out = obj;
	return 0;
}

static const char *get_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int check_schema(json_object *obj, const char *what, struct bs_error *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, "schemaVersion", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != 2)
		return bs_error_set(err, -EBADMSG, what, "schemaVersion is not 2");
	return 0;
}

static int parse_descriptor(json_object *obj, const char *what, struct oci_blob *out,
			    struct bs_error *err)
{
	const char *mt = get_string(obj, "mediaType"), *digest = get_string(obj, "digest");
	json_object *size;
	int64_t n;

	if (!mt || !digest || !json_object_object_get_ex(obj, "size", &size) ||
	    !json_object_is_type(size, json_type_int))
		return bs_error_set(err, -EBADMSG, what, "descriptor without mediaType, digest or size");
	if (!oci_digest_valid(digest))
		return bs_error_set(err, -EBADMSG, what, "unsupported digest '%.80s' (want sha256:<64 hex>)", digest);
	n = json_object_get_int64(size);
	if (n < 0)
		return bs_error_set(err, -EBADMSG, what, "negative size");
	out->d.media_type = strdup(mt);
	out->d.digest = strdup(digest);
	out->d.size = (uint64_t)n;
	return out->d.media_type && out->d.digest ? 0 : -ENOMEM;
}

static void blob_clear(struct oci_blob *b)
{
	free(b->diff_id);
	free((char *)b->d.media_type);
	free((char *)b->d.digest);
}

static int read_layout_file(const struct bs_oci_image *img, const char *where, const char *name,
			    json_object **out, struct bs_error *err)
{
	_cleanup_(oci_file_close) struct oci_file f = { .fd = -1 };
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n;
	int r;

	if (asprintf(&path, "%s/%s", where, name) < 0)
		return -ENOMEM;
	r = oci_file_open(img, name, &f);
	if (r < 0)
		return bs_error_set(err, r == -ENOENT ? -EINVAL : r, path, "cannot open: %s%s", strerror(-r),
				    r == -ENOENT ? " (not an OCI image layout)" : "");
	if (f.size > OCI_JSON_MAX)
		return bs_error_set(err, -EBADMSG, path, "not a regular file of at most 4 MiB");
	buf = malloc((size_t)f.size + 1);
	if (!buf)
		return -ENOMEM;
	r = oci_file_read_full(&f, buf, (size_t)f.size, &n);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	return parse_json(buf, n, path, out, err);
}

/* "TAG, TAG, ..." for a message: the tags a layout has, when one is missing. */
static void list_tags(json_object *manifests, char *out, size_t size)
{
	size_t used = 0, n = json_object_array_length(manifests);

	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		json_object *m = json_object_array_get_idx(manifests, i), *ann;
		const char *name;

		if (!json_object_is_type(m, json_type_object) ||
		    !json_object_object_get_ex(m, "annotations", &ann) || !json_object_is_type(ann, json_type_object) ||
		    !(name = get_string(ann, REF_NAME_ANNOTATION)))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s'%.64s'", used ? ", " : "", name);
	}
}

/* The index entry the reference names: by tag, or the only one. where is
 * the layout (a directory or archive), for messages. */
static int select_manifest(struct bs_oci_image *img, const char *where, json_object *index, const char *tag,
			   struct bs_error *err)
{
	json_object *manifests, *chosen = NULL;
	char path[PATH_MAX], tags[256];
	size_t n;
	int r;

	snprintf(path, sizeof(path), "%s/index.json", where);
	if ((r = check_schema(index, path, err)) < 0)
		return r;
	if (!json_object_object_get_ex(index, "manifests", &manifests) ||
	    !json_object_is_type(manifests, json_type_array))
		return bs_error_set(err, -EBADMSG, path, "no manifests array");
	n = json_object_array_length(manifests);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(manifests, i), *ann;
		const char *name = NULL;

		if (!json_object_is_type(m, json_type_object))
			return bs_error_set(err, -EBADMSG, path, "manifest entry is not an object");
		if (json_object_object_get_ex(m, "annotations", &ann) && json_object_is_type(ann, json_type_object))
			name = get_string(ann, REF_NAME_ANNOTATION);
		if (tag && (!name || strcmp(name, tag) != 0))
			continue;
		if (chosen)
			return tag ? bs_error_set(err, -EINVAL, path, "tag '%s' names several manifests", tag)
				   : bs_error_set(err, -EINVAL, path, "%zu manifests: give a tag (oci:DIR:TAG)", n);
		chosen = m;
	}
	if (!chosen && tag) {
		list_tags(manifests, tags, sizeof(tags));
		return bs_error_set(err, -ENOENT, path, "no manifest tagged '%s'; %s%s", tag,
				    tags[0] ? "the tags are " : "no manifest has a tag", tags);
	}
	if (!chosen)
		return bs_error_set(err, -EBADMSG, path, "no manifest");
	if ((r = parse_descriptor(chosen, path, &img->manifest, err)) < 0)
		return r;
	if (strcmp(img->manifest.d.media_type, MT_OCI_INDEX) == 0)
		return bs_error_set(err, -EOPNOTSUPP, path, "nested image index (multi-platform) is not supported");
	if (!one_of(img->manifest.d.media_type, manifest_types, BS_ARRAY_SIZE(manifest_types)))
		return bs_error_set(err, -EBADMSG, path, "unsupported manifest media type '%.100s'",
				    img->manifest.d.media_type);
	return 0;
}

/*
 * rootfs.diff_ids: one per layer, checked while each layer streams. A config
 * without any (malformed, but nothing rides on it: the blob digests chain
 * from the index) gets the computed ones; a list of the wrong length is
 * refused.
 */
static int read_diff_ids(struct bs_oci_image *img, json_object *cfg, const char *what,
			 struct bs_error *err)
{
	json_object *rootfs, *ids;

	if (!json_object_object_get_ex(cfg, "rootfs", &rootfs) || !json_object_is_type(rootfs, json_type_object) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &ids) || !json_object_is_type(ids, json_type_array) ||
	    json_object_array_length(ids) == 0)
		return 0;
	if (json_object_array_length(ids) != img->n_layers)
		return bs_error_set(err, -EBADMSG, what, "config lists %zu diff_ids for %zu layers",
				    json_object_array_length(ids), img->n_layers);
	for (size_t i = 0; i < img->n_layers; i++) {
		json_object *v = json_object_array_get_idx(ids, i);
		const char *id = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

		if (!oci_digest_valid(id))
			return bs_error_set(err, -EBADMSG, what, "diff_id %zu is not sha256:<64 hex>", i + 1);
		if (!(img->layers[i].diff_id = strdup(id)))
			return -ENOMEM;
	}
	return 0;
}

/* The config and the layers, from a compressed archive in one pass. */
static int want_blobs(struct bs_oci_image *img, struct bs_error *err)
{
	_cleanup_free_ const struct bs_oci_descriptor **want = calloc(img->n_layers + 1, sizeof(*want));

	if (!want)
		return -ENOMEM;
	want[0] = &img->config.d;
	for (size_t i = 0; i < img->n_layers; i++)
		want[i + 1] = &img->layers[i].d;
	return oci_archive_want(img, want, img->n_layers + 1, err);
}

static int read_manifest(struct bs_oci_image *img, struct bs_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char what[OCI_DIGEST_LEN + 16];
	json_object *m = NULL, *cfg, *layers;
	struct oci_file f;
	const char *mt;
	int r;

	snprintf(what, sizeof(what), "blobs/sha256/%s", img->manifest.d.digest + 7);
	{
		const struct bs_oci_descriptor *want = &img->manifest.d;

		r = oci_archive_want(img, &want, 1, err);
	}
	if (r >= 0)
		r = read_blob(img, &img->manifest.d, &buf, err);
	if (r < 0)
		return r;
	r = parse_json(buf, img->manifest.d.size, what, &m, err);
	if (r < 0)
		return r;
	r = check_schema(m, what, err);
	if (r < 0)
		goto out;
	mt = get_string(m, "mediaType");
	if (mt && strcmp(mt, img->manifest.d.media_type) != 0) {
		r = bs_error_set(err, -EBADMSG, what, "media type '%.100s' differs from the index's", mt);
		goto out;
	}
	if (!json_object_object_get_ex(m, "config", &cfg) || !json_object_is_type(cfg, json_type_object) ||
	    !json_object_object_get_ex(m, "layers", &layers) || !json_object_is_type(layers, json_type_array)) {
		r = bs_error_set(err, -EBADMSG, what, "manifest without config or layers");
		goto out;
	}
	if ((r = parse_descriptor(cfg, what, &img->config, err)) < 0)
		goto out;
	if (!one_of(img->config.d.media_type, config_types, BS_ARRAY_SIZE(config_types))) {
		r = bs_error_set(err, -EBADMSG, what, "unsupported config media type '%.100s'",
				 img->config.d.media_type);
		goto out;
	}
	/* n_layers only once the array exists: bs_oci_image_free walks it. */
	img->layers = calloc(json_object_array_length(layers) ? json_object_array_length(layers) : 1,
			     sizeof(*img->layers));
	if (!img->layers) {
		r = -ENOMEM;
		goto out;
	}
	img->n_layers = json_object_array_length(layers);
	for (size_t i = 0; i < img->n_layers; i++) {
		json_object *l = json_object_array_get_idx(layers, i);

		if (!json_object_is_type(l, json_type_object)) {
			r = bs_error_set(err, -EBADMSG, what, "layer %zu is not an object", i + 1);
			goto out;
		}
		if ((r = parse_descriptor(l, what, &img->layers[i], err)) < 0)
			goto out;
		if (!one_of(img->layers[i].d.media_type, layer_types, BS_ARRAY_SIZE(layer_types))) {
			r = bs_error_set(err, -EBADMSG, what, "layer %zu: unsupported media type '%.100s'", i + 1,
					 img->layers[i].d.media_type);
			goto out;
		}
	}
	if ((r = want_blobs(img, err)) < 0)
		goto out;
	for (size_t i = 0; i < img->n_layers; i++) {
		/* A missing blob fails now, not halfway through flattening. */
		if ((r = oci_blob_open(img, &img->layers[i].d, &f, err)) < 0)
			goto out;
		oci_file_close(&f);
	}
	r = read_blob(img, &img->config.d, &img->config_json, err);
	if (r >= 0) {
		json_object *c = NULL;

		img->config_len = img->config.d.size;
		snprintf(what, sizeof(what), "blobs/sha256/%s", img->config.d.digest + 7);
		r = parse_json(img->config_json, img->config_len, what, &c, err);
		if (r >= 0)
			r = read_diff_ids(img, c, what, err);
		json_object_put(c);
	}
out:
	json_object_put(m);
	return r;
}

static int open_layout(struct bs_oci_image *img, const char *where, const char *tag,
		       struct bs_error *err)
{
	json_object *layout = NULL, *index = NULL;
	const char *version;
	int r;

	r = read_layout_file(img, where, "oci-layout", &layout, err);
	if (r < 0)
		goto out;
	version = get_string(layout, "imageLayoutVersion");
	if (!version || strcmp(version, "1.0.0") != 0) {
		r = bs_error_set(err, -EBADMSG, where, "oci-layout: unsupported imageLayoutVersion");
		goto out;
	}
	r = read_layout_file(img, where, "index.json", &index, err);
	if (r >= 0)
		r = select_manifest(img, where, index, tag, err);
	if (r >= 0)
		r = read_manifest(img, err);
out:
	json_object_put(layout);
	json_object_put(index);
	return r;
}

int bs_oci_image_open(const char *ref, struct bs_oci_image **out, struct bs_error *err)
{
	if (!ref || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_image_open: a NULL argument");
	_cleanup_(bs_oci_ref_clear) struct bs_oci_ref parsed = { 0 };
	struct bs_oci_image *img;
	int r;

	r = bs_oci_ref_parse(ref, &parsed, err);
	if (r < 0)
		return r;
	if (parsed.kind == BS_OCI_REF_DIR)
		return bs_error_set(err, -EINVAL, ref, "a dir: reference is a root filesystem, not an image");
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->archive_fd = -1;
	img->packed_fd = -1;
	img->spool.fd = -1;
	if (parsed.kind == BS_OCI_REF_ARCHIVE)
		r = oci_archive_open(img, parsed.path, err);
	else if (!(img->root = strdup(parsed.path)))
		r = -ENOMEM;
	if (r >= 0)
		r = open_layout(img, parsed.path, parsed.tag, err);
	if (r < 0) {
		bs_oci_image_free(img);
		return r;
	}
	*out = img;
	return 0;
}

void oci_capture_free(struct oci_capture *c)
{
	if (c->mapped)
		munmap(c->data, c->len);
	else
		free(c->data);
}

void oci_capture_reset(struct bs_oci_image *img)
{
	for (size_t i = 0; i < img->n_captures; i++)
		oci_capture_free(&img->captures[i]);
	img->n_captures = 0;
	img->n_origins = 0;
	oci_spool_drop(&img->spool);
}

void oci_spool_drop(struct oci_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	*s = (struct oci_spool){ .fd = -1 };
}

void bs_oci_image_free(struct bs_oci_image *img)
{
	if (!img)
		return;
	blob_clear(&img->manifest);
	blob_clear(&img->config);
	for (size_t i = 0; i < img->n_layers; i++)
		blob_clear(&img->layers[i]);
	free(img->layers);
	free(img->config_json);
	oci_capture_reset(img);
	free(img->captures);
	free(img->origins);
	bs_tree_free(img->tree);
	bs_tree_free(img->view);
	bsi_tmpdir_remove(&img->tmp);
	free(img->root);
	if (img->archive_fd >= 0)
		close(img->archive_fd);
	if (img->packed_fd >= 0)
		close(img->packed_fd);
	free(img->packed);
	for (size_t i = 0; i < img->n_members; i++)
		free(img->members[i].name);
	free(img->members);
	free(img);
}

const struct bs_oci_descriptor *bs_oci_image_manifest(const struct bs_oci_image *img)
{
	if (!img)
		return NULL;
	return &img->manifest.d;
}

const struct bs_oci_descriptor *bs_oci_image_config(const struct bs_oci_image *img)
{
	if (!img)
		return NULL;
	return &img->config.d;
}

size_t bs_oci_image_layer_count(const struct bs_oci_image *img)
{
	if (!img)
		return 0;
	return img->n_layers;
}

const struct bs_oci_descriptor *bs_oci_image_layer(const struct bs_oci_image *img, size_t i)
{
	if (!img)
		return NULL;
	return i < img->n_layers ? &img->layers[i].d : NULL;
}

const uint8_t *bs_oci_image_config_json(const struct bs_oci_image *img, size_t *len)
{
	if (!img || !len)
		return NULL;
	*len = img->config_len;
	return img->config_json;
}

struct bs_tree *bs_oci_image_tree(struct bs_oci_image *img)
{
	if (!img)
		return NULL;
	return img->view;
}
