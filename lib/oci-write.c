/* SPDX-License-Identifier: MIT */
/*
 * A new OCI image layout, reproducibly: tar layers in a fixed entry order
 * (lib/oci-write-layer.c) through our own gzip stream (lib/oci-gzip.c: fixed
 * level and block size, no name and mtime 0 in the header, so the bytes
 * depend on the input alone, not on the zlib call pattern or core count),
 * JSON written by json-c in insertion order, the image time from
 * SOURCE_DATE_EPOCH or the input. Built in a hidden directory beside the
 * destination and renamed into place at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <zstd.h>

#include <bootseal/atomicfile.h>
#include <bootseal/epoch.h>

#include "oci-gzip.h"
#include "oci-write.h"
#include "tree.h"
#include "util.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct blob_out {
	int fd;
	char *tmp;                      /* file name while being written */
	EVP_MD_CTX *blob_sha, *diff_sha;
	struct oci_gzip *gz;
	ZSTD_CCtx *zc;
	uint8_t *zbuf;
	uint64_t size;
	struct bs_error *err;
	const char *dest, *what;        /* for messages: the temporary name means nothing to the user */
	int failed;
	/* Progress of a tar layer, when the caller wants it. */
	const struct bs_oci_write_options *opts;
	struct archive *tar;
	struct bs_progress progress;
	char phase[32];
	struct timespec shown;
	char digest[OCI_DIGEST_LEN + 1], diff_id[OCI_DIGEST_LEN + 1];
};

static int put_bytes(struct blob_out *b, const void *data, size_t len)
{
	int r = bsi_write_full(b->fd, data, len);

	if (r < 0)
		return bs_error_set(b->err, r, b->dest, "cannot write %s: %s", b->what, strerror(-r));
	EVP_DigestUpdate(b->blob_sha, data, len);
	b->size += len;
	return 0;
}

static int zstd_feed(struct blob_out *b, const void *buf, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t left;
	int r;

	do {
		ZSTD_outBuffer out = { b->zbuf, ZSTD_CStreamOutSize(), 0 };

		left = ZSTD_compressStream2(b->zc, &out, &in, end);
		if (ZSTD_isError(left))
			return bs_error_set(b->err, -EIO, b->dest, "%s: zstd: %s", b->what, ZSTD_getErrorName(left));
		if (out.pos && (r = put_bytes(b, b->zbuf, out.pos)) < 0)
			return r;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

/* At most every 100 ms, as bs_progress_fn promises; always when done. */
static void show_progress(struct blob_out *b, int done)
{
	struct timespec now;

	if (!b->opts || !b->opts->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!done && (now.tv_sec - b->shown.tv_sec) * 1000000000L + (now.tv_nsec - b->shown.tv_nsec) < 100000000L)
		return;
	b->shown = now;
	b->progress.files_done = b->tar ? (size_t)archive_file_count(b->tar) : 0;
	/* The totals are estimates: never show more done than there is. */
	if (b->progress.files_done > b->progress.files_total)
		b->progress.files_total = b->progress.files_done;
	if (b->progress.bytes_done > b->progress.bytes_total)
		b->progress.bytes_total = b->progress.bytes_done;
	b->progress.done = done;
	b->opts->progress(b->opts->progress_ctx, &b->progress);
}

static la_ssize_t tar_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct blob_out *b = arg;
	int r;

	(void)a;
	b->progress.bytes_done += len;
	show_progress(b, 0);
	/* Freeing the archive after a failure flushes its buffer once more. */
	if (b->failed)
		return -1;
	/* gzip hashes the tar on a worker (diff_tap). */
	if (!b->gz)
		EVP_DigestUpdate(b->diff_sha, buf, len);
	if (b->gz)
		r = oci_gzip_write(b->gz, buf, len);
	else if (b->zc)
		r = zstd_feed(b, buf, len, ZSTD_e_continue);
	else
		r = put_bytes(b, buf, len);
	if (r < 0) {
		b->failed = 1;
		return -1;
	}
	return (la_ssize_t)len;
}

static int put_bytes_cb(void *ctx, const void *data, size_t len)
{
	return put_bytes(ctx, data, len);
}

static void diff_tap(void *ctx, const void *buf, size_t len)
{
	struct blob_out *b = ctx;

	EVP_DigestUpdate(b->diff_sha, buf, len);
}

static int blob_begin(struct out_layout *o, struct blob_out *b, const char *what, int comp, int level,
		      size_t jobs)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->err = o->err;
	b->dest = o->dest;
	b->what = what;
	if (asprintf(&b->tmp, "%s/blobs/sha256/.new-XXXXXX", o->tmp.path) < 0) {
		b->tmp = NULL;
		return -ENOMEM;
	}
	b->fd = mkostemp(b->tmp, O_CLOEXEC);
	if (b->fd < 0)
		return bs_error_set(o->err, -errno, o->dest, "cannot create %s: %s", what, strerror(errno));
	b->blob_sha = EVP_MD_CTX_new();
	b->diff_sha = EVP_MD_CTX_new();
	if (!b->blob_sha || !b->diff_sha || !EVP_DigestInit_ex(b->blob_sha, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(b->diff_sha, EVP_sha256(), NULL))
		return -ENOMEM;
	if (comp == BS_OCI_GZIP) {
		int r = oci_gzip_new(level, jobs, put_bytes_cb, b, &b->gz);

		if (r >= 0)
			oci_gzip_set_tap(b->gz, diff_tap, b);
		return r;
	}
	if (comp != BS_OCI_ZSTD)
		return 0;
	/* Single-threaded (threads only through the work queue): the frame
	 * depends on level and input alone; no checksum, no content size. */
	b->zc = ZSTD_createCCtx();
	b->zbuf = malloc(ZSTD_CStreamOutSize());
	if (!b->zc || !b->zbuf || ZSTD_isError(ZSTD_CCtx_setParameter(b->zc, ZSTD_c_compressionLevel, level)))
		return -ENOMEM;
	return 0;
}

static void blob_abort(struct blob_out *b)
{
	if (b->fd >= 0)
		close(b->fd);
	if (b->tmp)
		unlink(b->tmp);
	free(b->tmp);
	b->tmp = NULL;
	b->fd = -1;
	oci_gzip_free(b->gz);
	b->gz = NULL;
	ZSTD_freeCCtx(b->zc);
	b->zc = NULL;
	free(b->zbuf);
	b->zbuf = NULL;
	EVP_MD_CTX_free(b->blob_sha);
	EVP_MD_CTX_free(b->diff_sha);
	b->blob_sha = b->diff_sha = NULL;
}

/* Flushes, names the blob by its digest, fsyncs it. */
static int blob_end(struct out_layout *o, struct blob_out *b)
{
	_cleanup_free_ char *final = NULL;
	uint8_t md[32];
	int r;

	if (b->gz && (r = oci_gzip_finish(b->gz)) < 0) {
		if (!b->err || !b->err->code)
			bs_error_set(b->err, r, b->dest, "cannot compress %s: %s", b->what, strerror(-r));
		goto fail;
	}
	if (b->zc && (r = zstd_feed(b, NULL, 0, ZSTD_e_end)) < 0)
		goto fail;
	EVP_DigestFinal_ex(b->blob_sha, md, NULL);
	oci_digest_format(md, b->digest);
	EVP_DigestFinal_ex(b->diff_sha, md, NULL);
	oci_digest_format(md, b->diff_id);
	if (fchmod(b->fd, 0644) < 0 || fsync(b->fd) < 0) {
		r = bs_error_set(o->err, -errno, o->dest, "cannot sync %s: %s", b->what, strerror(errno));
		goto fail;
	}
	if (!(final = oci_blob_path(o->tmp.path, b->digest))) {
		r = -ENOMEM;
		goto fail;
	}
	if (rename(b->tmp, final) < 0) {
		r = bs_error_set(o->err, -errno, o->dest, "cannot name %s: %s", b->what, strerror(errno));
		goto fail;
	}
	free(b->tmp);
	b->tmp = NULL;
	r = 0;
fail:
	blob_abort(b);
	return r;
}

static int blob_bytes(struct out_layout *o, const char *what, const char *json, struct blob_out *b)
{
	int r = blob_begin(o, b, what, BS_OCI_UNCOMPRESSED, 0, 0);

	if (r >= 0)
		r = put_bytes(b, json, strlen(json));
	if (r >= 0) {
		EVP_DigestUpdate(b->diff_sha, json, strlen(json));
		return blob_end(o, b);
	}
	blob_abort(b);
	return r;
}

static int extra_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bs_oci_file *)a)->path, ((const struct bs_oci_file *)b)->path);
}

/* Layer 2: the caller's files plus their missing parents, in path order. */
static int write_extra_entries(const struct bs_oci_write_options *opts, struct archive *out,
			       struct bs_error *err)
{
	_cleanup_free_ struct bs_oci_file *files = NULL;
	_cleanup_free_ char **parents = NULL;
	struct archive_entry *e = archive_entry_new();
	size_t n = opts->n_extra, n_parents = 0;
	int r = 0;

	files = calloc(n, sizeof(*files));
	parents = calloc(n * 64 + 1, sizeof(*parents));
	if (!e || !files || !parents) {
		archive_entry_free(e);
		return -ENOMEM;
	}
	memcpy(files, opts->extra, n * sizeof(*files));
	qsort(files, n, sizeof(*files), extra_cmp);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct bs_oci_file *f = &files[i];
		char path[PATH_MAX];
		int depth = 0;

		if (!*f->path || f->path[0] == '/' || strlen(f->path) >= PATH_MAX - 2 ||
		    (i && !strcmp(f->path, files[i - 1].path))) {
			r = bs_error_set(err, -EINVAL, f->path, "invalid or duplicate extra file path");
			break;
		}
		/* Parents not given: the base tree's metadata, so unpacking the
		 * layer changes nothing about them. */
		for (const char *s = strchr(f->path, '/'); s && r >= 0; s = strchr(s + 1, '/')) {
			struct bs_tree_inode *dir;
			struct bs_tree_inode tmp = { .st = { .mode = S_IFDIR | 0755, .nlink = 2 } };
			int known = 0;

			snprintf(path, sizeof(path), "%.*s", (int)(s - f->path), f->path);
			for (size_t j = 0; j < n && !known; j++)
				known = !strcmp(files[j].path, path);
			for (size_t j = 0; j < n_parents && !known; j++)
				known = !strcmp(parents[j], path);
			if (known)
				continue;
			if (++depth > 64 || !(parents[n_parents++] = strdup(path))) {
				r = -ENOMEM;
				break;
			}
			dir = opts->base && opts->base->tree ? bs_tree_lookup_path(opts->base->tree, path) : NULL;
			strcat(path, "/");
			oci_entry_fill(e, path, dir && S_ISDIR(dir->st.mode) ? dir : &tmp);
			r = oci_entry_write(out, e, err);
		}
		if (r < 0)
			break;
		archive_entry_clear(e);
		snprintf(path, sizeof(path), "%s%s", f->path, S_ISDIR(f->mode) ? "/" : "");
		archive_entry_set_pathname(e, path);
		archive_entry_set_filetype(e, f->mode & S_IFMT);
		archive_entry_set_perm(e, f->mode & 07777);
		archive_entry_set_uid(e, f->uid);
		archive_entry_set_gid(e, f->gid);
		archive_entry_set_mtime(e, f->mtime_sec, 0);
		if (S_ISLNK(f->mode)) {
			snprintf(path, sizeof(path), "%.*s", (int)f->len, (const char *)f->data);
			archive_entry_set_symlink(e, path);
		} else if (S_ISREG(f->mode)) {
			archive_entry_set_size(e, (la_int64_t)f->len);
		} else if (!S_ISDIR(f->mode)) {
			r = bs_error_set(err, -EINVAL, f->path, "extra files are regular files, directories or symlinks");
			break;
		}
		r = oci_entry_write(out, e, err);
		if (r >= 0 && S_ISREG(f->mode) && f->len &&
		    archive_write_data(out, f->data, f->len) != (la_ssize_t)f->len)
			r = bs_error_set(err, -EIO, f->path, "cannot write tar data: %s", archive_error_string(out));
	}
	for (size_t i = 0; i < n_parents; i++)
		free(parents[i]);
	archive_entry_free(e);
	return r;
}

/* What a layer's tar will hold, roughly: entries, and a header block per
 * entry plus the contents in whole blocks (a hardlinked file's once). */
static void layer_size(const struct bs_oci_write_options *opts, int which, size_t *files, unsigned long long *bytes)
{
	*files = 0;
	*bytes = 1024;  /* the end-of-archive blocks */
	if (which == 1) {
		for (size_t i = 0; i < opts->n_extra; i++)
			*bytes += 512 + (opts->extra[i].len + 511) / 512 * 512;
		*files = opts->n_extra;
		return;
	}
	for (const struct bs_tree_inode *i = opts->base->tree->all; i; i = i->all_next) {
		size_t names = i == opts->base->tree->root ? 1 : i->links;

		if (!names)
			continue;       /* whited out */
		*files += names;
		*bytes += 512ull * names;
		if (S_ISREG(i->st.mode))
			*bytes += (i->st.size + 511) / 512 * 512;
	}
}

/* One tar layer blob; which = 0 for the base, 1 for the extra files. */
static int write_layer(struct out_layout *o, const struct bs_oci_write_options *opts, int which,
		       struct blob_out *b)
{
	static const char *const names[] = { "layer 1", "layer 2" };
	struct archive *a = archive_write_new();
	int r, level = opts->level ? opts->level : opts->compression == BS_OCI_ZSTD ? 3 : BS_OCI_GZIP_LEVEL_DEFAULT;

	if (!a)
		return -ENOMEM;
	r = blob_begin(o, b, names[which], opts->compression, level, opts->jobs);
	if (r >= 0 && opts->progress) {
		b->opts = opts;
		b->tar = a;
		snprintf(b->phase, sizeof(b->phase), "writing layer %d/%d", which + 1, opts->n_extra ? 2 : 1);
		b->progress.phase = b->phase;
		layer_size(opts, which, &b->progress.files_total, &b->progress.bytes_total);
		show_progress(b, 0);
	}
	if (r >= 0) {
		/* pax: ustar headers plus a PAX record only when a long name, an
		 * xattr, nanoseconds or a big number needs one (pax_restricted
		 * would drop the nanoseconds of an entry needing nothing else). */
		archive_write_set_format_pax(a);
		archive_write_set_bytes_in_last_block(a, 1);
		if (archive_write_open(a, b, NULL, tar_write, NULL) != ARCHIVE_OK)
			r = bs_error_set(o->err, -EIO, o->dest, "%s: %s", names[which], archive_error_string(a));
	}
	if (r >= 0)
		r = which == 0 ? oci_write_base_entries(opts->base, a, o->err)
			       : write_extra_entries(opts, a, o->err);
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = bs_error_set(o->err, -EIO, o->dest, "%s: %s", names[which], archive_error_string(a));
	if (r >= 0)
		show_progress(b, 1);
	b->tar = NULL;
	archive_write_free(a);
	if (r >= 0)
		return blob_end(o, b);
	blob_abort(b);
	return r;
}

/* RFC 3339 UTC, as image-spec wants for "created". */
static int image_time(json_object *cfg, char *out, size_t size, struct bs_error *err)
{
	int64_t epoch;
	json_object *v;
	struct tm tm;
	int r = bs_source_date_epoch(&epoch, err);

	if (r < 0)
		return r;
	if (r) {
		if (!gmtime_r(&(time_t){ (time_t)epoch }, &tm))
			return -EOVERFLOW;
		strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return 0;
	}
	if (cfg && json_object_object_get_ex(cfg, "created", &v) && json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) < size) {
		strcpy(out, json_object_get_string(v));
		return 0;
	}
	snprintf(out, size, "1970-01-01T00:00:00Z");
	return 0;
}

static json_object *descriptor(const char *media_type, const char *digest, uint64_t size)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "mediaType", json_object_new_string(media_type));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
	return d;
}

static json_object *object_member(json_object *obj, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_object))
		return v;
	v = json_object_new_object();
	json_object_object_add(obj, key, v);
	return v;
}

/* The base config with our layers, history, labels and time. */
static int build_config(const struct bs_oci_write_options *opts, struct blob_out *layers, size_t n,
			const char *created, json_object *cfg)
{
	json_object *rootfs = json_object_new_object(), *diff_ids = json_object_new_array();
	json_object *history = json_object_new_array(), *labels;
	const char *by = opts->created_by ? opts->created_by : "bootseal";

	json_object_object_add(cfg, "created", json_object_new_string(created));
	labels = object_member(object_member(cfg, "config"), "Labels");
	for (size_t i = 0; i < opts->n_labels; i++) {
		const char *eq = strchr(opts->labels[i], '=');
		char key[256];

		if (!eq || eq == opts->labels[i] || (size_t)(eq - opts->labels[i]) >= sizeof(key))
			return -EINVAL;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - opts->labels[i]), opts->labels[i]);
		json_object_object_add(labels, key, json_object_new_string(eq + 1));
	}
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	for (size_t i = 0; i < n; i++) {
		json_object *h = json_object_new_object();
		char comment[160];

		json_object_array_add(diff_ids, json_object_new_string(layers[i].diff_id));
		json_object_object_add(h, "created", json_object_new_string(created));
		json_object_object_add(h, "created_by", json_object_new_string(by));
		if (i == 0)
			snprintf(comment, sizeof(comment), "flattened from %s", opts->base->manifest.d.digest);
		else
			snprintf(comment, sizeof(comment), "%zu extra files", opts->n_extra);
		json_object_object_add(h, "comment", json_object_new_string(comment));
		json_object_array_add(history, h);
	}
	json_object_object_add(rootfs, "diff_ids", diff_ids);
	json_object_object_add(cfg, "rootfs", rootfs);
	json_object_object_add(cfg, "history", history);
	return 0;
}

static int write_small_file(struct out_layout *o, const char *name, const char *text)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&path, "%s/%s", o->tmp.path, name) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return bs_error_set(o->err, -errno, o->dest, "cannot create %s: %s", name, strerror(errno));
	if ((r = bsi_write_full(fd, text, strlen(text))) < 0 || (r = fsync(fd) < 0 ? -errno : 0) < 0)
		return bs_error_set(o->err, r, o->dest, "cannot write %s: %s", name, strerror(-r));
	return 0;
}

/*
 * A one-layer image's layer already is its flattened tree: applied to an
 * empty root, as unpackers do, it gives what bs_oci_image_flatten gave. So
 * with BS_OCI_REUSE_LAYER its blob is copied (and checked again) instead of
 * being decompressed, re-tarred and recompressed.
 */
static int can_reuse(const struct bs_oci_write_options *opts)
{
	const struct bs_oci_image *base = opts->base;

	if (!(opts->flags & BS_OCI_REUSE_LAYER) || base->n_layers != 1)
		return 0;
	for (size_t i = 0; i < base->n_captures; i++)
		if (base->captures[i].replaced)
			return 0;
	return 1;
}

static int reuse_layer(struct out_layout *o, struct bs_oci_image *base, struct blob_out *b,
		       const char **type)
{
	const struct oci_blob *l = &base->layers[0];
	_cleanup_(oci_file_close) struct oci_file in = { .fd = -1 };
	uint8_t buf[1 << 16];
	ssize_t n;
	int r;

	if ((r = oci_blob_open(base, &l->d, &in, o->err)) < 0)
		return r;
	if ((r = blob_begin(o, b, "layer 1", BS_OCI_UNCOMPRESSED, 0, 0)) < 0)
		goto fail;
	while ((n = oci_file_read(&in, buf, sizeof(buf))) > 0)
		if ((r = put_bytes(b, buf, (size_t)n)) < 0)
			goto fail;
	if (n < 0) {
		r = bs_error_set(o->err, -errno, l->d.digest, "cannot read: %s", strerror(errno));
		goto fail;
	}
	if ((r = blob_end(o, b)) < 0)
		return r;
	if (strcmp(b->digest, l->d.digest) != 0)
		return bs_error_set(o->err, -EBADMSG, "layer 1", "blob changed since it was read");
	snprintf(b->diff_id, sizeof(b->diff_id), "%s", l->diff_id);
	/* Our manifest is OCI: Docker layer types become their OCI names. */
	if (!strcmp(l->d.media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip"))
		*type = MT_OCI_LAYER_GZIP;
	else if (!strcmp(l->d.media_type, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"))
		*type = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
	else
		*type = l->d.media_type;
	return 0;
fail:
	blob_abort(b);
	return r;
}

static void write_phase(const struct bs_oci_write_options *opts, const char *phase)
{
	struct bs_progress p = { .phase = phase };

	if (opts->progress)
		opts->progress(opts->progress_ctx, &p);
}

static int write_layout(struct out_layout *o, const struct bs_oci_write_options *opts,
			const char *tag, struct bs_oci_write_result *res)
{
	struct blob_out layers[2], cfg_blob, man_blob;
	json_object *cfg = NULL, *man = NULL, *index = NULL, *ls, *entry, *ann;
	const char *layer_mt = opts->compression == BS_OCI_GZIP ? MT_OCI_LAYER_GZIP
			       : opts->compression == BS_OCI_ZSTD ? MT_OCI_LAYER_ZSTD : MT_OCI_LAYER;
	const char *types[2] = { layer_mt, layer_mt };
	size_t n = opts->n_extra ? 2 : 1, len;
	const uint8_t *base_cfg = bs_oci_image_config_json(opts->base, &len);
	char created[64];
	int r;

	for (size_t i = 0; i < n; i++) {
		if (i == 0 && can_reuse(opts)) {
			write_phase(opts, "copying layer 1");
			r = reuse_layer(o, opts->base, &layers[0], &types[0]);
		} else
			r = write_layer(o, opts, (int)i, &layers[i]);
		if (r < 0)
			return r;
	}
	write_phase(opts, "writing the image");
	cfg = json_tokener_parse((const char *)base_cfg);
	if (!cfg || !json_object_is_type(cfg, json_type_object)) {
		json_object_put(cfg);
		return bs_error_set(o->err, -EBADMSG, NULL, "base image config is not a JSON object");
	}
	r = image_time(cfg, created, sizeof(created), o->err);
	if (r >= 0 && (r = build_config(opts, layers, n, created, cfg)) < 0)
		bs_error_set(o->err, r, NULL, "invalid label (KEY=VALUE)");
	if (r >= 0)
		r = blob_bytes(o, "the image config", json_object_to_json_string_ext(cfg, JSON_FLAGS), &cfg_blob);
	if (r < 0)
		goto out;
	man = json_object_new_object();
	json_object_object_add(man, "schemaVersion", json_object_new_int(2));
	json_object_object_add(man, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(man, "config", descriptor(MT_OCI_CONFIG, cfg_blob.digest, cfg_blob.size));
	ls = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ls, descriptor(types[i], layers[i].digest, layers[i].size));
	json_object_object_add(man, "layers", ls);
	if ((r = blob_bytes(o, "the manifest", json_object_to_json_string_ext(man, JSON_FLAGS), &man_blob)) < 0)
		goto out;
	index = json_object_new_object();
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", json_object_new_string(MT_OCI_INDEX));
	entry = descriptor(MT_OCI_MANIFEST, man_blob.digest, man_blob.size);
	ann = json_object_new_object();
	json_object_object_add(ann, REF_NAME_ANNOTATION, json_object_new_string(tag));
	json_object_object_add(entry, "annotations", ann);
	ls = json_object_new_array();
	json_object_array_add(ls, entry);
	json_object_object_add(index, "manifests", ls);
	r = write_small_file(o, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
	if (r >= 0)
		r = write_small_file(o, "index.json", json_object_to_json_string_ext(index, JSON_FLAGS));
	if (r >= 0 && res) {
		snprintf(res->manifest_digest, sizeof(res->manifest_digest), "%s", man_blob.digest);
		snprintf(res->config_digest, sizeof(res->config_digest), "%s", cfg_blob.digest);
		res->manifest_size = man_blob.size;
	}
out:
	json_object_put(cfg);
	json_object_put(man);
	json_object_put(index);
	return r;
}

int bs_oci_level_check(enum bs_oci_compression compression, int level, const char *dest, struct bs_error *err)
{
	if (compression == BS_OCI_GZIP && (level < 0 || level > 9))
		return bs_error_set(err, -EINVAL, dest, "gzip level %d is not 1..9", level);
	if (compression == BS_OCI_ZSTD && (level < 0 || level > 19))
		return bs_error_set(err, -EINVAL, dest, "zstd level %d is not 1..19", level);
	return 0;
}

int bs_oci_write_image(const struct bs_oci_write_options *opts, struct bs_oci_write_result *res,
		       struct bs_error *err)
{
	if (!opts || !res)
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_write_image: a NULL argument");
	_cleanup_(bs_oci_ref_clear) struct bs_oci_ref ref = { 0 };
	struct out_layout o = { .err = err };
	int r;

	r = bs_oci_ref_parse(opts->dest, &ref, err);
	if (r < 0)
		return r;
	if (ref.kind == BS_OCI_REF_DIR)
		return bs_error_set(err, -EINVAL, opts->dest, "can only write oci: and oci-archive: images");
	if (!opts->base || !opts->base->tree)
		return bs_error_set(err, -EINVAL, opts->dest, "no flattened base image to write");
	if ((r = bs_oci_level_check(opts->compression, opts->level, opts->dest, err)) < 0)
		return r;
	r = oci_make_tmp_layout(ref.path, &o);
	if (r >= 0)
		r = write_layout(&o, opts, ref.tag ? ref.tag : "latest", res);
	if (r >= 0)
		r = ref.kind == BS_OCI_REF_LAYOUT ? oci_commit_dir(&o, ref.path, ref.tag ? ref.tag : "latest")
						  : oci_commit_archive(&o, ref.path);
	bsi_tmpdir_remove(&o.tmp);
	return r;
}
