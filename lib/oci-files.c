/* SPDX-License-Identifier: MIT */
/*
 * The bytes of an image's external files, read by a second pass over its
 * layers (bs_oci_image_read_files). Flattening keeps only digests, so a
 * consumer that needs contents (a composefs object store, say) either
 * extracts the image to disk first or streams the layers again; the second
 * is what the writer already does for its base layer (lib/oci-write-layer.c)
 * and costs one decompression, with the blob digests checked again.
 *
 * Every origin (the tar entry that produced a streamed file) is handed over,
 * also those of files a later layer replaced or deleted: the consumer keys
 * on the digest and skips what it does not want, which is simpler than
 * tracking which origins are still live and never wrong, since equal digests
 * mean equal bytes. Files replaced by bs_oci_image_set_file are handed over
 * from memory instead of their stale layer entry.
 */
#include <errno.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "oci-stream.h"
#include "util.h"

static int give(const struct bs_oci_file_reader *rd, const struct bs_tree_inode *inode,
		const char *path, const void *data, size_t len)
{
	int r = rd->begin(rd->ctx, path, inode);

	if (r != 0)
		return r < 0 ? r : 0;
	r = len ? rd->data(rd->ctx, data, len) : 0;
	return r < 0 ? r : rd->end(rd->ctx);
}

static int copy_entry(const struct bs_oci_file_reader *rd, struct archive *in, const char *path,
		      const struct bs_tree_inode *inode, size_t layer, struct bs_error *err)
{
	static const uint8_t zeros[65536];
	uint64_t pos = 0, size = bs_tree_inode_stat((struct bs_tree_inode *)inode)->size;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, ar;

	r = rd->begin(rd->ctx, path, inode);
	if (r != 0)
		return r < 0 ? r : 0;
	/* Sparse entries: the holes are zeros, as the flattener hashed them. */
	while ((ar = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off > size || len > size - (uint64_t)off)
			return bs_error_set(err, -EBADMSG, path, "layer %zu changed since it was read", layer + 1);
		while (pos < (uint64_t)off) {
			size_t n = sizeof(zeros) < off - pos ? sizeof(zeros) : (size_t)(off - pos);
			if ((r = rd->data(rd->ctx, zeros, n)) < 0)
				return r;
			pos += n;
		}
		if (len && (r = rd->data(rd->ctx, buf, len)) < 0)
			return r;
		pos += len;
	}
	if (ar != ARCHIVE_EOF)
		return bs_error_set(err, -EBADMSG, path, "layer %zu: corrupt layer: %s", layer + 1,
				    archive_error_string(in));
	while (pos < size) {
		size_t n = sizeof(zeros) < size - pos ? sizeof(zeros) : (size_t)(size - pos);
		if ((r = rd->data(rd->ctx, zeros, n)) < 0)
			return r;
		pos += n;
	}
	return rd->end(rd->ctx);
}

static int stale(struct bs_oci_image *img, const struct bs_tree_inode *inode)
{
	const struct oci_capture *c = oci_capture_find(img, inode);

	return c && c->replaced;
}

int bs_oci_image_read_files(struct bs_oci_image *img, const struct bs_oci_file_reader *rd,
			    struct bs_error *err)
{
	if (!img || !rd)
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_image_read_files: a NULL argument");
	const struct oci_origin *o = img->origins;
	size_t n = img->n_origins, i = 0;
	int r = 0;

	if (!img->tree)
		return bs_error_set(err, -EINVAL, NULL, "the image is not flattened yet");
	for (size_t j = 0; j < img->n_captures && r >= 0; j++)
		if (img->captures[j].replaced)
			r = give(rd, img->captures[j].inode, "(replaced file)", img->captures[j].data,
				 img->captures[j].len);
	/* Origins are in stream order: each layer is read once, front to back. */
	while (i < n && r >= 0) {
		size_t layer = o[i].layer, ordinal = 0;
		struct oci_stream *s = NULL;
		struct archive *in = NULL;
		struct archive_entry *e;
		int ar = ARCHIVE_OK;

		if ((r = oci_stream_open(img, layer, &s, &in, err)) < 0)
			return r;
		for (; i < n && o[i].layer == layer && r >= 0; i++) {
			if (stale(img, o[i].inode))
				continue;
			while ((ar = oci_tar_read_header(in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN)
				if (ordinal++ == o[i].ordinal)
					break;
			if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
				r = ar == ARCHIVE_EOF ? bs_error_set(err, -EBADMSG, NULL,
								      "layer %zu changed since it was read", layer + 1)
						      : oci_stream_error(s, in, layer, NULL, err);
				break;
			}
			r = copy_entry(rd, in, archive_entry_pathname(e), o[i].inode, layer, err);
		}
		/* The rest is drained as flatten read it: a warning is not an error. */
		while (r >= 0 && ((ar = oci_tar_read_header(in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN))
			;
		if (r >= 0 && ar != ARCHIVE_EOF)
			r = oci_stream_error(s, in, layer, NULL, err);
		if (r >= 0)
			r = oci_stream_finish(s, layer, err);
		oci_stream_close(s, in);
	}
	return r < 0 ? r : 0;
}
