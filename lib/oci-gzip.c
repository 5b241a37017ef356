/* SPDX-License-Identifier: MIT */
/*
 * gzip on all cores, with output that does not depend on the core count.
 *
 * The input is cut into fixed 1 MiB chunks; each is deflated on its own
 * (raw deflate, primed with the previous chunk's last 32 KiB as dictionary,
 * ended with a sync flush, the last one with Z_FINISH) and the pieces are
 * concatenated behind a fixed gzip header (mtime 0, no name, OS 3). Chunk
 * boundaries depend on the byte count only, never on threads or batch
 * sizes, so the same tar gives the same blob. This is how pigz works; no
 * code is taken from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <bootseal/workqueue.h>

#include "oci-gzip.h"
#include "util.h"

#define GZ_CHUNK (1u << 20)
#define GZ_DICT 32768u
#define GZ_BATCH_MAX 16

struct gz_chunk {
	uint8_t *in, *out;
	size_t in_len, out_len, out_cap;
	uLong crc;
	int last;
};

struct oci_gzip {
	int level;
	size_t jobs, batch, n;          /* chunks in the current batch; the n-th is filling */
	oci_gzip_sink sink;
	void *ctx;
	struct gz_chunk chunks[GZ_BATCH_MAX];
	z_stream *zs;                   /* one per worker */
	int *z_ready;
	uint8_t dict[GZ_DICT];
	size_t dict_len;
	uLong crc;
	uint64_t total;
	int error;                      /* the first failure; every later call returns it */
};

static int compress_chunk(void *arg, size_t worker, size_t item)
{
	struct oci_gzip *g = arg;
	struct gz_chunk *c = &g->chunks[item];
	z_stream *z = &g->zs[worker];
	const uint8_t *dict = item ? g->chunks[item - 1].in + g->chunks[item - 1].in_len - GZ_DICT : g->dict;
	size_t dict_len = item ? GZ_DICT : g->dict_len;
	int zr;

	if (!g->z_ready[worker]) {
		memset(z, 0, sizeof(*z));
		if (deflateInit2(z, g->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		g->z_ready[worker] = 1;
	} else if (deflateReset(z) != Z_OK) {
		return -EIO;
	}
	if (dict_len && deflateSetDictionary(z, dict, (uInt)dict_len) != Z_OK)
		return -EIO;
	c->crc = crc32(0, c->in, (uInt)c->in_len);
	c->out_len = 0;
	z->next_in = c->in;
	z->avail_in = (uInt)c->in_len;
	do {
		if (c->out_cap - c->out_len < 64) {
			size_t cap = c->out_cap ? 2 * c->out_cap : deflateBound(z, (uLong)c->in_len) + 64;
			uint8_t *o = realloc(c->out, cap);
			if (!o)
				return -ENOMEM;
			c->out = o;
			c->out_cap = cap;
		}
		z->next_out = c->out + c->out_len;
		z->avail_out = (uInt)(c->out_cap - c->out_len);
		zr = deflate(z, c->last ? Z_FINISH : Z_SYNC_FLUSH);
		if (zr == Z_STREAM_ERROR)
			return -EIO;
		c->out_len = c->out_cap - z->avail_out;
	} while (z->avail_out == 0 || (c->last && zr != Z_STREAM_END));
	return 0;
}

/* Compresses chunks 0..count-1 of the batch and hands their bytes on in order. */
static int flush_batch(struct oci_gzip *g, size_t count)
{
	int r;

	if (!count)
		return 0;
	r = bs_workqueue_run(count, g->jobs < count ? g->jobs : count, compress_chunk, g, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		struct gz_chunk *c = &g->chunks[i];

		g->crc = crc32_combine(g->crc, c->crc, (z_off_t)c->in_len);
		if ((r = g->sink(g->ctx, c->out, c->out_len)) < 0)
			return r;
	}
	/* The next batch's first chunk continues this one's history (after
	 * the last chunk there is no next batch). */
	if (g->chunks[count - 1].in_len == GZ_CHUNK)
		memcpy(g->dict, g->chunks[count - 1].in + g->chunks[count - 1].in_len - GZ_DICT, GZ_DICT);
	g->dict_len = GZ_DICT;
	return 0;
}

int oci_gzip_new(int level, size_t jobs, oci_gzip_sink sink, void *ctx, struct oci_gzip **out)
{
	static const uint8_t header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	struct oci_gzip *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return -ENOMEM;
	g->level = level;
	g->jobs = jobs ? jobs : bs_workqueue_default_jobs();
	g->batch = 2 * g->jobs < GZ_BATCH_MAX ? 2 * g->jobs : GZ_BATCH_MAX;
	g->sink = sink;
	g->ctx = ctx;
	g->crc = crc32(0, NULL, 0);
	g->zs = calloc(g->jobs, sizeof(*g->zs));
	g->z_ready = calloc(g->jobs, sizeof(*g->z_ready));
	for (size_t i = 0; g->zs && g->z_ready && i < g->batch; i++)
		if (!(g->chunks[i].in = malloc(GZ_CHUNK)))
			break;
	if (!g->zs || !g->z_ready || !g->chunks[g->batch - 1].in) {
		oci_gzip_free(g);
		return -ENOMEM;
	}
	if ((r = sink(ctx, header, sizeof(header))) < 0) {
		oci_gzip_free(g);
		return r;
	}
	*out = g;
	return 0;
}

int oci_gzip_write(struct oci_gzip *g, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int r;

	/* libarchive flushes its buffer again when it is freed after a failed
	 * write; the batch is then in an unknown state, so nothing more goes out. */
	if (g->error)
		return g->error;
	g->total += len;
	while (len) {
		struct gz_chunk *c = &g->chunks[g->n];
		size_t n = GZ_CHUNK - c->in_len < len ? GZ_CHUNK - c->in_len : len;

		memcpy(c->in + c->in_len, p, n);
		c->in_len += n;
		p += n;
		len -= n;
		if (c->in_len < GZ_CHUNK)
			break;
		if (++g->n < g->batch)
			continue;
		if ((r = flush_batch(g, g->batch)) < 0)
			return g->error = r;
		for (size_t i = 0; i < g->batch; i++)
			g->chunks[i].in_len = 0;
		g->n = 0;
	}
	return 0;
}

int oci_gzip_finish(struct oci_gzip *g)
{
	uint8_t trailer[8];
	int r;

	if (g->error)
		return g->error;
	/* Full chunks of this batch, then the tail (maybe empty) as the last. */
	g->chunks[g->n].last = 1;
	if ((r = flush_batch(g, g->n + 1)) < 0)
		return g->error = r;
	bs_put_le32(trailer, (uint32_t)g->crc);
	bs_put_le32(trailer + 4, (uint32_t)g->total);
	if ((r = g->sink(g->ctx, trailer, sizeof(trailer))) < 0)
		return g->error = r;
	return 0;
}

void oci_gzip_free(struct oci_gzip *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < GZ_BATCH_MAX; i++) {
		free(g->chunks[i].in);
		free(g->chunks[i].out);
	}
	for (size_t i = 0; g->z_ready && i < g->jobs; i++)
		if (g->z_ready[i])
			deflateEnd(&g->zs[i]);
	free(g->zs);
	free(g->z_ready);
	free(g);
}
