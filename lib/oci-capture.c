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

#include "oci-internal.h"
#include "tree-internal.h"
#include "util.h"

static int capture_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct oci_capture *)a)->inode;
	uintptr_t y = (uintptr_t)((const struct oci_capture *)b)->inode;

	return x < y ? -1 : x > y;
}

static void capture_free(struct oci_capture *c)
{
	if (c->mapped)
		munmap(c->data, c->len);
	else
		free(c->data);
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

	if (img->n_captures == img->cap_captures) {
		size_t cap = img->cap_captures ? 2 * img->cap_captures : 16;
		c = realloc(img->captures, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		img->captures = c;
		img->cap_captures = cap;
	}
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
			capture_free(&img->captures[i]);
	}
	img->n_captures = n;
	if (n)
		qsort(img->captures, n, sizeof(*img->captures), capture_cmp);
}

void oci_capture_reset(struct bs_oci_image *img)
{
	for (size_t i = 0; i < img->n_captures; i++)
		capture_free(&img->captures[i]);
	img->n_captures = 0;
	img->n_origins = 0;
}

int oci_origin_add(struct bs_oci_image *img, size_t layer, size_t ordinal, struct bs_tree_inode *inode)
{
	if (img->n_origins == img->cap_origins) {
		size_t cap = img->cap_origins ? 2 * img->cap_origins : 1024;
		struct oci_origin *o = realloc(img->origins, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		img->origins = o;
		img->cap_origins = cap;
	}
	img->origins[img->n_origins++] = (struct oci_origin){ layer, ordinal, inode };
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

int bs_oci_image_file(struct bs_oci_image *img, const char *path, const uint8_t **data,
		      size_t *len, struct bs_error *err)
{
	struct bs_tree_inode *inode;
	struct oci_capture *c;
	int r = lookup_file(img, path, &inode, err);

	if (r < 0)
		return r;
	c = oci_capture_find(img, inode);
	if (!c)
		return bs_error_set(err, -ENODATA, path, "content not captured");
	*data = c->data;
	*len = c->len;
	return 0;
}

int bs_oci_image_set_file(struct bs_oci_image *img, const char *path, const void *data,
			  size_t len, struct bs_error *err)
{
	struct bs_tree_inode *inode;
	struct oci_capture *c;
	uint8_t *copy;
	int r = lookup_file(img, path, &inode, err);

	if (r < 0)
		return r;
	if (!(copy = malloc(len ? len : 1)))
		return -ENOMEM;
	memcpy(copy, data, len);
	if (len <= img->inline_max) {
		r = bs_tree_inode_set_content(img->tree, inode, data, len, err);
		inode->digest_len = 0;
		inode->payload = NULL;
		inode->payload_len = 0;
	} else {
		struct bs_fsverity_params params = { .hash_alg = img->hash_alg };
		struct bs_fsverity_ctx *ctx;
		uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 2];
		size_t dlen;

		r = bs_fsverity_new(&params, &ctx);
		if (r >= 0) {
			r = bs_fsverity_update(ctx, data, len);
			if (r >= 0)
				r = bs_fsverity_final(ctx, digest);
			dlen = bs_fsverity_digest_size(ctx);
			bs_fsverity_free(ctx);
		}
		if (r >= 0) {
			bs_tree_inode_set_digest(inode, digest, dlen);
			inode->content = NULL;
			inode->content_len = 0;
			inode->st.size = len;
			hex[0] = "0123456789abcdef"[digest[0] >> 4];
			hex[1] = "0123456789abcdef"[digest[0] & 15];
			hex[2] = '/';
			bs_hex_encode(digest + 1, dlen - 1, hex + 3);
			r = bs_tree_inode_set_payload(img->tree, inode, hex, 2 * dlen + 1, err);
		}
	}
	if (r < 0) {
		free(copy);
		return r;
	}
	if ((c = oci_capture_find(img, inode))) {
		capture_free(c);
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
