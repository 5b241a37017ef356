/* SPDX-License-Identifier: MIT */
/*
 * A layer blob read through libarchive while its compressed bytes are hashed:
 * the sha256 and size are checked when the tar ends, after the bytes behind
 * the end-of-archive blocks are drained too, so a blob is verified by the
 * same single read that flattens it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>

#include "oci-stream.h"
#include "util.h"

#define READ_SIZE (256u * 1024)

struct oci_stream {
	int fd;
	EVP_MD_CTX *sha;
	uint64_t got;
	const struct bs_oci_descriptor *d;
	int read_errno;
	uint8_t buf[READ_SIZE];
};

static la_ssize_t stream_read(struct archive *a, void *arg, const void **buf)
{
	struct oci_stream *s = arg;
	ssize_t n;

	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		s->read_errno = errno;
		archive_set_error(a, errno, "read error: %s", strerror(errno));
		return -1;
	}
	EVP_DigestUpdate(s->sha, s->buf, (size_t)n);
	s->got += (uint64_t)n;
	*buf = s->buf;
	return n;
}

uint64_t oci_stream_bytes(const struct oci_stream *s)
{
	return s->got;
}

void oci_stream_close(struct oci_stream *s, struct archive *a)
{
	if (a)
		archive_read_free(a);
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	EVP_MD_CTX_free(s->sha);
	free(s);
}

int oci_stream_open(const struct bs_oci_image *img, size_t layer, struct oci_stream **out,
		    struct archive **aout, struct bs_error *err)
{
	const struct bs_oci_descriptor *d = &img->layers[layer].d;
	struct oci_stream *s = calloc(1, sizeof(*s));
	struct archive *a = NULL;
	char where[64];

	if (!s)
		return -ENOMEM;
	s->d = d;
	s->fd = oci_blob_open(img->root, d, err);
	if (s->fd < 0) {
		int r = s->fd;
		free(s);
		return r;
	}
	s->sha = EVP_MD_CTX_new();
	a = archive_read_new();
	if (!s->sha || !a || !EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL)) {
		oci_stream_close(s, a);
		return -ENOMEM;
	}
	/* Tar only (gnu and pax extensions included), any of the compressions
	 * the layer media types allow. */
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open(a, s, NULL, stream_read, NULL) != ARCHIVE_OK) {
		snprintf(where, sizeof(where), "layer %zu", layer + 1);
		bs_error_set(err, -EBADMSG, where, "corrupt layer: %s", archive_error_string(a));
		oci_stream_close(s, a);
		return -EBADMSG;
	}
	*out = s;
	*aout = a;
	return 0;
}

int oci_stream_finish(struct oci_stream *s, size_t layer, struct bs_error *err)
{
	char where[64], got[OCI_DIGEST_LEN + 1];
	uint8_t md[32];
	ssize_t n;

	snprintf(where, sizeof(where), "layer %zu", layer + 1);
	while ((n = read(s->fd, s->buf, sizeof(s->buf))) > 0) {
		EVP_DigestUpdate(s->sha, s->buf, (size_t)n);
		s->got += (uint64_t)n;
	}
	if (n < 0)
		return bs_error_set(err, -errno, where, "read error: %s", strerror(errno));
	if (s->got != s->d->size)
		return bs_error_set(err, -EBADMSG, where, "blob changed size while being read");
	EVP_DigestFinal_ex(s->sha, md, NULL);
	oci_digest_format(md, got);
	if (strcmp(got, s->d->digest) != 0)
		return bs_error_set(err, -EBADMSG, where, "blobs/sha256/%.64s: sha256 mismatch (got %s)",
				    s->d->digest + 7, got + 7);
	return 0;
}

int oci_stream_error(struct oci_stream *s, struct archive *a, size_t layer, const char *entry,
		     struct bs_error *err)
{
	char where[64 + 4096];

	if (entry)
		snprintf(where, sizeof(where), "layer %zu: %s", layer + 1, entry);
	else
		snprintf(where, sizeof(where), "layer %zu", layer + 1);
	if (s->read_errno)
		return bs_error_set(err, -s->read_errno, where, "read error: %s", strerror(s->read_errno));
	return bs_error_set(err, -EBADMSG, where, "corrupt layer: %s",
			    archive_error_string(a) ? archive_error_string(a) : "unknown error");
}
