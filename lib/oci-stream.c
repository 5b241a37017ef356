/* SPDX-License-Identifier: MIT */
/*
 * A layer blob read as a tar stream while it is verified. We decompress here
 * (zlib, libzstd) rather than through libarchive's filters because both ends
 * of the decompressor need hashing: the blob digest over the compressed
 * bytes and the diff_id (config rootfs.diff_ids) over the tar. Both are
 * checked when the stream ends, after the bytes behind the tar's
 * end-of-archive blocks are drained too, so one read flattens and verifies.
 * The compression is recognised by its magic bytes, so a layer labelled
 * +gzip that is plain tar still reads (its digests still have to match).
 * With ISA-L (igzip) gzip is inflated about four times faster than by zlib;
 * reading has no bytes of its own to keep stable, so either will do.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "oci-stream.h"
#include "util.h"

#define READ_SIZE (256u * 1024)

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* (locale_t)0 when the C locale cannot be had: then the program's is used. */
static locale_t c_locale_enter(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale ? uselocale(c_locale) : (locale_t)0;
}

static void c_locale_leave(locale_t old)
{
	if (old)
		uselocale(old);
}

int oci_tar_read_header(struct archive *a, struct archive_entry **e)
{
	locale_t old = c_locale_enter();
	int r = archive_read_next_header(a, e);

	c_locale_leave(old);
	return r;
}

int oci_tar_write_header(struct archive *a, struct archive_entry *e)
{
	locale_t old = c_locale_enter();
	int r = archive_write_header(a, e);

	c_locale_leave(old);
	return r;
}

enum { C_UNKNOWN, C_NONE, C_GZIP, C_ZSTD };

struct oci_stream {
	struct oci_file f;
	int comp;
	EVP_MD_CTX *sha, *diff;
	uint64_t got;
	const struct bs_oci_descriptor *d;
	char **diff_id;                 /* expected, from the config; set when NULL */
	int read_errno;
	char why[128];                  /* decompression error */
#ifdef HAVE_ISAL
	struct inflate_state isal;
#else
	z_stream z;
#endif
	int z_ready, member_done;
	ZSTD_DStream *zs;
	size_t zs_pending;              /* nonzero: inside a zstd frame */
	size_t in_pos, in_len;
	int in_eof;
	uint8_t in[READ_SIZE], out[READ_SIZE];
};

/* More compressed bytes when the buffer is used up; hashes what it reads. */
static int fill(struct oci_stream *s)
{
	ssize_t n;

	if (s->in_pos < s->in_len || s->in_eof)
		return 0;
	n = oci_file_read(&s->f, s->in, sizeof(s->in));
	if (n < 0) {
		s->read_errno = errno;
		return -1;
	}
	EVP_DigestUpdate(s->sha, s->in, (size_t)n);
	s->got += (uint64_t)n;
	s->in_pos = 0;
	s->in_len = (size_t)n;
	s->in_eof = n == 0;
	if (s->comp == C_UNKNOWN && n >= 4) {
		if (s->in[0] == 0x1f && s->in[1] == 0x8b)
			s->comp = C_GZIP;
		else if (bsi_get_le32(s->in) == 0xfd2fb528)
			s->comp = C_ZSTD;
		else
			s->comp = C_NONE;
	} else if (s->comp == C_UNKNOWN) {
		s->comp = C_NONE;
	}
	return 0;
}

static ssize_t fail(struct oci_stream *s, const char *why)
{
	snprintf(s->why, sizeof(s->why), "%s", why);
	return -1;
}

/* Skips zero padding after a gzip member; 1 when another member starts. */
static ssize_t next_member(struct oci_stream *s)
{
	while (s->in_pos < s->in_len && s->in[s->in_pos] == 0)
		s->in_pos++;
	if (s->in_pos == s->in_len)
		return s->in_eof ? 0 : -2;
	if (s->in[s->in_pos] != 0x1f)
		return fail(s, "data after the end of the gzip stream");
	s->member_done = 0;
	return 1;
}

#ifdef HAVE_ISAL
static const char *isal_error(int ret)
{
	switch (ret) {
	case ISAL_INCORRECT_CHECKSUM:
		return "gzip checksum mismatch";
	case ISAL_INVALID_WRAPPER:
	case ISAL_UNSUPPORTED_METHOD:
		return "invalid gzip header";
	default:
		return "corrupt gzip data";
	}
}

static ssize_t gunzip(struct oci_stream *s)
{
	ssize_t n;
	int ret;

	if (!s->z_ready || s->member_done) {
		if (s->member_done && (n = next_member(s)) != 1)
			return n;
		if (!s->z_ready)
			isal_inflate_init(&s->isal);
		else
			isal_inflate_reset(&s->isal);
		s->isal.crc_flag = ISAL_GZIP;
		s->z_ready = 1;
	}
	if (s->in_pos == s->in_len && s->in_eof)
		return fail(s, "truncated gzip input");
	s->isal.next_in = s->in + s->in_pos;
	s->isal.avail_in = (uint32_t)(s->in_len - s->in_pos);
	s->isal.next_out = s->out;
	s->isal.avail_out = sizeof(s->out);
	ret = isal_inflate(&s->isal);
	s->in_pos = s->in_len - s->isal.avail_in;
	if (ret < 0)
		return fail(s, isal_error(ret));
	if (s->isal.block_state == ISAL_BLOCK_FINISH)
		s->member_done = 1;
	return (ssize_t)(sizeof(s->out) - s->isal.avail_out);
}
#else
static ssize_t gunzip(struct oci_stream *s)
{
	ssize_t n;
	int zr;

	if (!s->z_ready) {
		if (inflateInit2(&s->z, 15 + 16) != Z_OK)
			return fail(s, "out of memory");
		s->z_ready = 1;
	}
	if (s->member_done) {
		if ((n = next_member(s)) != 1)
			return n;
		inflateReset(&s->z);
	}
	if (s->in_pos == s->in_len && s->in_eof)
		return fail(s, "truncated gzip input");
	s->z.next_in = s->in + s->in_pos;
	s->z.avail_in = (uInt)(s->in_len - s->in_pos);
	s->z.next_out = s->out;
	s->z.avail_out = sizeof(s->out);
	zr = inflate(&s->z, Z_NO_FLUSH);
	s->in_pos = s->in_len - s->z.avail_in;
	if (zr == Z_STREAM_END)
		s->member_done = 1;
	else if (zr != Z_OK && zr != Z_BUF_ERROR)
		return fail(s, s->z.msg ? s->z.msg : "corrupt gzip data");
	return (ssize_t)(sizeof(s->out) - s->z.avail_out);
}
#endif

static ssize_t unzstd(struct oci_stream *s)
{
	ZSTD_inBuffer in = { s->in, s->in_len, s->in_pos };
	ZSTD_outBuffer out = { s->out, sizeof(s->out), 0 };
	size_t ret;

	if (s->in_pos == s->in_len && s->in_eof)
		return s->zs_pending ? fail(s, "truncated zstd input") : 0;
	ret = ZSTD_decompressStream(s->zs, &out, &in);
	s->in_pos = in.pos;
	if (ZSTD_isError(ret))
		return fail(s, ZSTD_getErrorName(ret));
	s->zs_pending = ret;
	return (ssize_t)out.pos;
}

/* The next piece of tar: > 0 bytes at *buf, 0 at the end, -1 on error. */
static ssize_t produce(struct oci_stream *s, const void **buf)
{
	for (;;) {
		ssize_t n;

		if (fill(s) < 0)
			return -1;
		if (s->comp == C_NONE) {
			n = (ssize_t)(s->in_len - s->in_pos);
			*buf = s->in + s->in_pos;
			s->in_pos = s->in_len;
		} else if (s->comp == C_GZIP) {
			n = gunzip(s);
			*buf = s->out;
		} else {
			if (!s->zs && !(s->zs = ZSTD_createDStream()))
				return fail(s, "out of memory");
			n = unzstd(s);
			*buf = s->out;
		}
		if (n == -2 || (n == 0 && !s->in_eof))
			continue;
		if (n > 0)
			EVP_DigestUpdate(s->diff, *buf, (size_t)n);
		return n;
	}
}

static la_ssize_t stream_read(struct archive *a, void *arg, const void **buf)
{
	struct oci_stream *s = arg;
	ssize_t n = produce(s, buf);

	if (n < 0) {
		if (s->read_errno)
			archive_set_error(a, s->read_errno, "read error: %s", strerror(s->read_errno));
		else
			archive_set_error(a, EINVAL, "%s", s->why);
	}
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
	oci_file_close(&s->f);
#ifndef HAVE_ISAL
	if (s->z_ready)
		inflateEnd(&s->z);
#endif
	ZSTD_freeDStream(s->zs);
	EVP_MD_CTX_free(s->sha);
	EVP_MD_CTX_free(s->diff);
	free(s);
}

int oci_stream_open(const struct bs_oci_image *img, size_t layer, struct oci_stream **out,
		    struct archive **aout, struct bs_error *err)
{
	const struct bs_oci_descriptor *d = &img->layers[layer].d;
	struct oci_stream *s = calloc(1, sizeof(*s));
	struct archive *a = NULL;
	int r;

	if (!s)
		return -ENOMEM;
	s->d = d;
	/* The image owns the slot; a stream only fills an empty one. */
	s->diff_id = &((struct bs_oci_image *)img)->layers[layer].diff_id;
	s->f.fd = -1;
	r = oci_blob_open(img, d, &s->f, err);
	if (r < 0) {
		free(s);
		return r;
	}
	s->sha = EVP_MD_CTX_new();
	s->diff = EVP_MD_CTX_new();
	a = archive_read_new();
	if (!s->sha || !s->diff || !a || !EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(s->diff, EVP_sha256(), NULL)) {
		oci_stream_close(s, a);
		return -ENOMEM;
	}
	/* Tar only, gnu and pax extensions included; decompressed above. */
	archive_read_support_format_tar(a);
	if (archive_read_open(a, s, NULL, stream_read, NULL) != ARCHIVE_OK) {
		r = oci_stream_error(s, a, layer, NULL, err);
		oci_stream_close(s, a);
		return r;
	}
	*out = s;
	*aout = a;
	return 0;
}

static int check_digest(struct oci_stream *s, EVP_MD_CTX *ctx, const char *want, const char *what,
			size_t layer, struct bs_error *err)
{
	char where[OCI_DIGEST_LEN + 32], got[OCI_DIGEST_LEN + 1];
	uint8_t md[32];

	EVP_DigestFinal_ex(ctx, md, NULL);
	oci_digest_format(md, got);
	if (!want && s->diff_id && !*s->diff_id && ctx == s->diff)
		return (*s->diff_id = strdup(got)) ? 0 : -ENOMEM;
	if (!want || strcmp(got, want) == 0)
		return 0;
	snprintf(where, sizeof(where), "layer %zu: blobs/sha256/%.64s", layer + 1, s->d->digest + 7);
	return bs_error_set(err, -EBADMSG, where, "%s mismatch (expected %s, got %s)", what, want + 7, got + 7);
}

int oci_stream_finish(struct oci_stream *s, size_t layer, struct bs_error *err)
{
	const void *buf;
	ssize_t n;
	int r;

	while ((n = produce(s, &buf)) > 0)
		;
	if (n < 0)
		return oci_stream_error(s, NULL, layer, NULL, err);
	if (s->got != s->d->size) {
		char where[64];
		snprintf(where, sizeof(where), "layer %zu", layer + 1);
		return bs_error_set(err, -EBADMSG, where, "blob changed size while being read");
	}
	r = check_digest(s, s->sha, s->d->digest, "sha256", layer, err);
	if (r >= 0)
		r = check_digest(s, s->diff, *s->diff_id, "diff_id (sha256 of the uncompressed tar)", layer, err);
	return r;
}

int oci_stream_error(struct oci_stream *s, struct archive *a, size_t layer, const char *entry,
		     struct bs_error *err)
{
	char where[64 + 4096];
	const char *why = s->why[0] ? s->why : a && archive_error_string(a) ? archive_error_string(a)
									  : "unknown error";

	if (entry)
		snprintf(where, sizeof(where), "layer %zu: %s", layer + 1, entry);
	else
		snprintf(where, sizeof(where), "layer %zu", layer + 1);
	if (s->read_errno)
		return bs_error_set(err, -s->read_errno, where, "read error: %s", strerror(s->read_errno));
	return bs_error_set(err, -EBADMSG, where, "corrupt layer: %s", why);
}
