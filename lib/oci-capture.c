/* SPDX-License-Identifier: MIT */
/*
 * Captured file bytes and content origins of a flattened image. Both are
 * keyed by tree inode, not by path: a later layer that replaces or whites
 * out a path leaves the old inode unreachable, and its capture is dropped
 * at the end (oci_capture_prune); hardlinks share the one capture.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <archive.h>

#include "oci-stream.h"
#include "tree.h"
#include "util.h"

static int capture_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct oci_capture *)a)->inode;
	uintptr_t y = (uintptr_t)((const struct oci_capture *)b)->inode;

	return x < y ? -1 : x > y;
}

struct oci_capture *oci_capture_find(struct bs_oci_image *img, const struct bs_tree_inode *inode)
{
	struct oci_capture key = { .inode = (struct bs_tree_inode *)inode };

	/* Kept sorted by inode address outside of flattening (prune, add). */
	if (!img->n_captures)
		return NULL;
	return bsearch(&key, img->captures, img->n_captures, sizeof(key), capture_cmp);
}

int oci_capture_add(struct bs_oci_image *img, struct bs_tree_inode *inode, int mapped,
		    uint8_t *data, size_t len, struct oci_capture **out)
{
	struct oci_capture *c;

	if (BSI_GROW(img->captures, img->cap_captures, img->n_captures, 16) < 0)
		return -ENOMEM;
	c = &img->captures[img->n_captures++];
	*c = (struct oci_capture){ .inode = inode, .data = data, .len = len, .mapped = mapped };
	if (out)
		*out = c;
	return 0;
}

void oci_capture_prune(struct bs_oci_image *img)
{
	size_t n = 0;

	for (size_t i = 0; i < img->n_captures; i++) {
		if (img->captures[i].inode->links)
			img->captures[n++] = img->captures[i];
		else
			oci_capture_free(&img->captures[i]);
	}
	img->n_captures = n;
	if (n)
		qsort(img->captures, n, sizeof(*img->captures), capture_cmp);
}

int oci_origin_add(struct bs_oci_image *img, size_t layer, size_t ordinal, struct bs_tree_inode *inode,
		   uint64_t spool_off)
{
	if (BSI_GROW(img->origins, img->cap_origins, img->n_origins, 1024) < 0)
		return -ENOMEM;
	img->origins[img->n_origins++] = (struct oci_origin){ layer, ordinal, inode, spool_off };
	return 0;
}

static int lookup_file(struct bs_oci_image *img, const char *path, struct bs_tree_inode **out,
		       struct bs_error *err)
{
	struct bs_tree_inode *inode;

	if (!img->tree)
		return bs_error_set(err, -EINVAL, path, "image not flattened yet");
	while (*path == '/')
		path++;
	inode = *path ? bs_tree_lookup_path(img->tree, path) : NULL;
	if (!inode)
		return bs_error_set(err, -ENOENT, path, "not in the image");
	if (!S_ISREG(inode->st.mode))
		return bs_error_set(err, -EINVAL, path, "not a regular file");
	*out = inode;
	return 0;
}

/*
 * Bytes the predicate did not keep (a hardlink first written under another
 * name, a caller that asks late): read again from the layer entry that wrote
 * them, and checked against the inode's fs-verity digest, since the layer is
 * not verified as a whole this time.
 */
static int fetch(struct bs_oci_image *img, struct bs_tree_inode *inode, const char *path,
		 struct oci_capture **out, struct bs_error *err)
{
	const struct oci_origin *o = NULL;
	struct bs_fsverity_params params = { .hash_alg = img->hash_alg };
	struct bs_fsverity_ctx *ctx = NULL;
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	struct oci_stream *s = NULL;
	struct archive *a = NULL;
	struct archive_entry *e;
	uint8_t *buf = NULL;
	uint64_t size = inode->st.size;
	size_t ordinal = 0;
	int r, ar;

	for (size_t i = 0; i < img->n_origins && !o; i++)
		if (img->origins[i].inode == inode)
			o = &img->origins[i];
	if (!o || size > SIZE_MAX - 1)
		return bs_error_set(err, -ENODATA, path, "content not available");
	if ((r = oci_stream_open(img, o->layer, &s, &a, err)) < 0)
		return r;
	while ((ar = oci_tar_read_header(a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN)
		if (ordinal++ == o->ordinal)
			break;
	r = -EBADMSG;
	if ((ar == ARCHIVE_OK || ar == ARCHIVE_WARN) && (buf = calloc(1, size ? size : 1))) {
		const void *block;
		size_t len;
		la_int64_t off;

		while ((ar = archive_read_data_block(a, &block, &len, &off)) == ARCHIVE_OK && off >= 0 &&
		       (uint64_t)off <= size && len <= size - (uint64_t)off)
			memcpy(buf + off, block, len);
		if (ar == ARCHIVE_EOF && bs_fsverity_new(&params, &ctx) >= 0) {
			bs_fsverity_update(ctx, buf, size);
			bs_fsverity_final(ctx, digest);
			if (inode->digest_len == bs_fsverity_digest_size(ctx) &&
			    !memcmp(digest, inode->digest, inode->digest_len))
				r = oci_capture_add(img, inode, 0, buf, size, NULL);
			bs_fsverity_free(ctx);
		}
	} else if (ar == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		r = -ENOMEM;
	}
	oci_stream_close(s, a);
	if (r < 0) {
		free(buf);
		return r == -ENOMEM ? r : bs_error_set(err, r, path, "layer %zu changed since it was read", o->layer + 1);
	}
	qsort(img->captures, img->n_captures, sizeof(*img->captures), capture_cmp);
	*out = oci_capture_find(img, inode);
	return 0;
}

int bs_oci_image_file(struct bs_oci_image *img, const char *path, const uint8_t **data,
		      size_t *len, struct bs_error *err)
{
	if (!img || !path || !data || !len)
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_image_file: a NULL argument");
	struct bs_tree_inode *inode;
	struct oci_capture *c;
	int r = lookup_file(img, path, &inode, err);

	if (r < 0)
		return r;
	c = oci_capture_find(img, inode);
	if (!c && inode->content) {
		*data = inode->content;
		*len = inode->content_len;
		return 0;
	}
	if (!c && (r = fetch(img, inode, path, &c, err)) < 0)
		return r;
	*data = c->data;
	*len = c->len;
	return 0;
}

/* New bytes for a regular file: inline, or digest + redirect as flattening makes them. */
static int set_content(struct bs_oci_image *img, struct bs_tree *tree, struct bs_tree_inode *inode,
		       const void *data, size_t len, const uint8_t *digest, size_t dlen, struct bs_error *err)
{
	if (len <= img->inline_max) {
		inode->digest_len = 0;
		inode->payload = NULL;
		inode->payload_len = 0;
		return bs_tree_inode_set_content(tree, inode, data, len, err);
	}
	return bs_tree_inode_set_external(tree, inode, len, digest, dlen, err);
}

int bs_oci_image_set_file(struct bs_oci_image *img, const char *path, const void *data,
			  size_t len, struct bs_error *err)
{
	if (!img || !path || (!data && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_image_set_file: a NULL argument");
	struct bs_fsverity_params params = { .hash_alg = img->hash_alg };
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	struct bs_tree_inode *inode, *seen;
	struct bs_fsverity_ctx *ctx;
	struct oci_capture *c;
	size_t dlen = 0;
	uint8_t *copy;
	int r = lookup_file(img, path, &inode, err);

	if (r < 0)
		return r;
	if (len > img->inline_max) {
		if ((r = bs_fsverity_new(&params, &ctx)) < 0)
			return r;
		r = bs_fsverity_update(ctx, data, len);
		if (r >= 0)
			r = bs_fsverity_final(ctx, digest);
		dlen = bs_fsverity_digest_size(ctx);
		bs_fsverity_free(ctx);
		if (r < 0)
			return r;
	}
	if (!(copy = malloc(len ? len : 1)))
		return -ENOMEM;
	memcpy(copy, data, len);
	r = set_content(img, img->tree, inode, data, len, digest, dlen, err);
	/* The caller's view follows, whatever it has done to it since. */
	while (*path == '/')
		path++;
	seen = img->view ? bs_tree_lookup_path(img->view, path) : NULL;
	if (r >= 0 && seen && S_ISREG(seen->st.mode))
		r = set_content(img, img->view, seen, data, len, digest, dlen, err);
	if (r < 0) {
		free(copy);
		return r;
	}
	if ((c = oci_capture_find(img, inode))) {
		oci_capture_free(c);
		*c = (struct oci_capture){ .inode = inode, .data = copy, .len = len, .replaced = 1 };
		return 0;
	}
	if ((r = oci_capture_add(img, inode, 0, copy, len, &c)) < 0) {
		free(copy);
		return r;
	}
	c->replaced = 1;
	qsort(img->captures, img->n_captures, sizeof(*img->captures), capture_cmp);
	return 0;
}

/* The caller's copy of the flattened tree: same inodes, hardlinks kept. */
struct copy_map {
	const struct bs_tree_inode **from;
	struct bs_tree_inode **to;
	size_t cap, n;
};

static struct bs_tree_inode **copy_slot(struct copy_map *m, const struct bs_tree_inode *from)
{
	size_t h = (size_t)(((uintptr_t)from >> 4) * 0x9e3779b97f4a7c15ull);

	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->from[i])
			m->from[i] = from;
		if (m->from[i] == from)
			return &m->to[i];
	}
}

static int copy_node(struct bs_tree *dst, const struct bs_tree_inode *src, struct bs_tree_inode *out,
		     struct bs_error *err)
{
	int r = 0;

	out->st = src->st;
	for (size_t i = 0; i < src->n_xattrs && r >= 0; i++)
		r = bs_tree_inode_add_xattr(dst, out, src->xattrs[i].key, src->xattrs[i].key_len,
					    src->xattrs[i].value, src->xattrs[i].value_len, err);
	if (r >= 0 && src->content)
		r = bs_tree_inode_set_content(dst, out, src->content, src->content_len, err);
	if (r >= 0 && src->digest_len)
		r = bs_tree_inode_set_digest(out, src->digest, src->digest_len);
	if (r >= 0 && src->payload)
		r = bs_tree_inode_set_payload(dst, out, src->payload, src->payload_len, err);
	out->st.size = src->st.size;
	return r;
}

static int copy_dir(struct bs_tree *dst, struct copy_map *m, const struct bs_tree_inode *from,
		    struct bs_tree_inode *to, struct bs_error *err)
{
	for (size_t i = 0; i < from->n_children; i++) {
		const struct bs_tree_dirent *d = &from->children[i];
		struct bs_tree_inode **slot = S_ISDIR(d->inode->st.mode) ? NULL : copy_slot(m, d->inode);
		struct bs_tree_inode *child = slot ? *slot : NULL;
		int r = 0;

		if (!child) {
			r = bs_tree_inode_new(dst, d->inode->st.mode & S_IFMT, &child, err);
			if (r >= 0)
				r = copy_node(dst, d->inode, child, err);
			if (slot)
				*slot = child;
		}
		if (r >= 0)
			r = bs_tree_dir_add(dst, to, d->name, d->name_len, child, err);
		if (r >= 0 && S_ISDIR(d->inode->st.mode))
			r = copy_dir(dst, m, d->inode, child, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int oci_tree_copy(struct bs_tree *src, size_t n_files, struct bs_tree **out, struct bs_error *err)
{
	struct copy_map m = { .cap = 64 };
	struct bs_tree *dst = NULL;
	int r;

	while (m.cap < 2 * n_files)
		m.cap *= 2;
	m.from = calloc(m.cap, sizeof(*m.from));
	m.to = calloc(m.cap, sizeof(*m.to));
	r = m.from && m.to ? bs_tree_new(&dst) : -ENOMEM;
	if (r >= 0)
		r = copy_node(dst, bs_tree_root(src), bs_tree_root(dst), err);
	if (r >= 0)
		r = copy_dir(dst, &m, bs_tree_root(src), bs_tree_root(dst), err);
	free(m.from);
	free(m.to);
	if (r < 0) {
		bs_tree_free(dst);
		return r;
	}
	*out = dst;
	return 0;
}
