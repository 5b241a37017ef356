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
 *
 * With more than one core, reading, both hashes and decompressing run on a
 * thread of their own (bootseal/workqueue.h) that fills a ring of buffers
 * ahead of the tar reader: the caller parses entries and hashes files while
 * the next megabytes are inflated, instead of doing both in turn.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <bootseal/workqueue.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "oci-stream.h"
#include "util.h"

#define READ_SIZE (256u * 1024)
#define RING 8                  /* buffers the reading thread may run ahead */

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
	int failed;                     /* the tar reader was handed the error */
	uint8_t *out;                   /* where decompressed bytes go: own_out or a ring slot */
	/* With a reading thread: slots tail..head-1 are filled, slot tail is
	 * the one libarchive holds when held is set; a slot of length <= 0
	 * ends the stream and stays. */
	struct bs_workqueue_job *job;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *ring;
	ssize_t ring_len[RING];
	size_t head, tail;
	int held, stop, producing, ended;
	uint8_t in[READ_SIZE], own_out[READ_SIZE];
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
	__atomic_store_n(&s->got, s->got + (uint64_t)n, __ATOMIC_RELAXED);
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
	s->isal.avail_out = READ_SIZE;
	ret = isal_inflate(&s->isal);
	s->in_pos = s->in_len - s->isal.avail_in;
	if (ret < 0)
		return fail(s, isal_error(ret));
	if (s->isal.block_state == ISAL_BLOCK_FINISH)
		s->member_done = 1;
	return (ssize_t)(READ_SIZE - s->isal.avail_out);
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
	s->z.avail_out = READ_SIZE;
	zr = inflate(&s->z, Z_NO_FLUSH);
	s->in_pos = s->in_len - s->z.avail_in;
	if (zr == Z_STREAM_END)
		s->member_done = 1;
	else if (zr != Z_OK && zr != Z_BUF_ERROR)
		return fail(s, s->z.msg ? s->z.msg : "corrupt gzip data");
	return (ssize_t)(READ_SIZE - s->z.avail_out);
}
#endif

static ssize_t unzstd(struct oci_stream *s)
{
	ZSTD_inBuffer in = { s->in, s->in_len, s->in_pos };
	ZSTD_outBuffer out = { s->out, READ_SIZE, 0 };
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

/*
 * Fills the next free slot; called with the lock held, which it drops while
 * it works. One turn at a time (producing), so the decompressor and hashes
 * are only ever used by one thread.
 */
static void fill_slot(struct oci_stream *s)
{
	uint8_t *slot = s->ring + (s->head % RING) * READ_SIZE;
	const void *buf;
	ssize_t n;

	s->producing = 1;
	pthread_mutex_unlock(&s->lock);
	s->out = slot;
	n = produce(s, &buf);
	if (n > 0 && buf != slot)
		memcpy(slot, buf, (size_t)n);   /* plain tar: the read buffer */
	pthread_mutex_lock(&s->lock);
	s->ring_len[s->head % RING] = n;
	s->head++;
	s->ended = n <= 0;
	s->producing = 0;
	pthread_cond_broadcast(&s->cond);
}

/* The reading thread: fills free slots until the stream ends or stop is set. */
static int reader_main(void *arg, size_t worker, size_t item)
{
	struct oci_stream *s = arg;

	(void)worker;
	(void)item;
	pthread_mutex_lock(&s->lock);
	while (!s->stop && !s->ended) {
		if (s->producing || s->head - s->tail >= RING)
			pthread_cond_wait(&s->cond, &s->lock);
		else
			fill_slot(s);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/*
 * The next piece; the one handed out before is free again. When nothing is
 * ready and the thread is not at work (busy elsewhere, or it never started),
 * this thread fills the slot itself.
 */
static ssize_t next_piece(struct oci_stream *s, const void **buf)
{
	ssize_t n;

	pthread_mutex_lock(&s->lock);
	if (s->held) {
		s->tail++;
		s->held = 0;
		pthread_cond_broadcast(&s->cond);
	}
	while (s->head == s->tail) {
		if (s->producing)
			pthread_cond_wait(&s->cond, &s->lock);
		else
			fill_slot(s);
	}
	n = s->ring_len[s->tail % RING];
	*buf = s->ring + (s->tail % RING) * READ_SIZE;
	s->held = n > 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Ends the reading thread, wherever it is. */
static void reader_stop(struct oci_stream *s)
{
	if (!s->job)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	bs_workqueue_wait(s->job, NULL);
	s->job = NULL;
}

static ssize_t piece(struct oci_stream *s, const void **buf)
{
	ssize_t n = s->ring ? next_piece(s, buf) : produce(s, buf);

	if (n < 0)
		s->failed = 1;
	return n;
}

static la_ssize_t stream_read(struct archive *a, void *arg, const void **buf)
{
	struct oci_stream *s = arg;
	ssize_t n = piece(s, buf);

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
	return __atomic_load_n(&s->got, __ATOMIC_RELAXED);
}

void oci_stream_close(struct oci_stream *s, struct archive *a)
{
	if (a)
		archive_read_free(a);
	if (!s)
		return;
	reader_stop(s);
	if (s->ring) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
		free(s->ring);
	}
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
	s->out = s->own_out;
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
	/* A reading thread when there is a core for it; without one (no
	 * memory, no thread) the bytes come on this thread as they would. */
	if (bs_workqueue_default_jobs() > 1 && (s->ring = malloc((size_t)RING * READ_SIZE))) {
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->cond, NULL);
		if (bs_workqueue_start(1, 1, reader_main, s, &s->job) < 0) {
			pthread_mutex_destroy(&s->lock);
			pthread_cond_destroy(&s->cond);
			free(s->ring);
			s->ring = NULL;
		}
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

	while ((n = piece(s, &buf)) > 0)
		;
	if (n < 0)
		return oci_stream_error(s, NULL, layer, NULL, err);
	reader_stop(s);         /* it ended: its hashes and count are final */
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
	const char *why;

	/* The thread's own failure counts once the tar reader was handed it;
	 * it may have run into one ahead of a tar error found first. */
	reader_stop(s);
	if (!s->failed)
		s->read_errno = 0, s->why[0] = 0;
	why = s->why[0] ? s->why : a && archive_error_string(a) ? archive_error_string(a) : "unknown error";

	if (entry)
		snprintf(where, sizeof(where), "layer %zu: %s", layer + 1, entry);
	else
		snprintf(where, sizeof(where), "layer %zu", layer + 1);
	if (s->read_errno)
		return bs_error_set(err, -s->read_errno, where, "read error: %s", strerror(s->read_errno));
	return bs_error_set(err, -EBADMSG, where, "corrupt layer: %s", why);
}
