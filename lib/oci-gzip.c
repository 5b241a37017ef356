/* SPDX-License-Identifier: MIT */
/*
 * gzip on all cores, with output that does not depend on the core count.
 *
 * The input is cut into fixed 1 MiB chunks, each compressed on its own by
 * libdeflate (two to three times zlib's speed at level 6, and smaller).
 * Chunk boundaries depend on the byte count only, never on threads or batch
 * sizes, so the same tar gives the same blob.
 *
 * The result must be one gzip member: bootc reads layers with a decoder
 * that stops after the first member (flate2's GzDecoder), so concatenated
 * members, valid as they are, would lose all but the first chunk there.
 * libdeflate only writes whole deflate streams, whose last block is marked
 * final. So for every chunk but the last, zlib's inflate walks the chunk's
 * blocks (Z_BLOCK stops at each boundary) to find where the final block
 * starts; its BFINAL bit is cleared and an empty stored block (what a zlib
 * sync flush writes) ends the chunk on a byte boundary, where the next one
 * continues the same stream. The pieces go behind a fixed gzip header
 * (mtime 0, no name, OS 3) in order, then the CRC and length.
 *
 * Level 1, in a build with ISA-L, is igzip's level 1 instead: each chunk is
 * compressed from a fresh state and ended by a full flush, a non-final empty
 * stored block on a byte boundary, so no walk is needed. It is five times
 * libdeflate's level 2 plus the walk, and the layer about 10% bigger. Its
 * bytes, like libdeflate's, depend on the library's version only; igzip picks
 * its code by CPU, but every x86-64 variant since SSE4.2 (01, 02, 04) is one
 * source with the same match rules. Without ISA-L, level 1 is libdeflate's.
 *
 * The caller fills one batch of chunks while the work queue compresses the
 * previous one, so reading and tarring the input overlaps compressing it.
 * A tap (the diff_id's sha256) reads a batch's chunks in order as one more
 * item of its job: batches run one after another, so it sees every byte in
 * order, off the caller's thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <bootseal/workqueue.h>

#include "oci-gzip.h"
#include "util.h"

#define GZ_CHUNK (1u << 20)
#define GZ_BATCH_MAX 16
#define GZ_SLACK 16     /* an empty stored block and the bit it may start in */

#ifdef HAVE_ISAL
/* Its size sets where igzip ends blocks, so it is fixed: the bytes depend on it. */
#define GZ_ISAL_LEVEL_BUF ISAL_DEF_LVL1_DEFAULT
#endif

struct gz_chunk {
	uint8_t *in, *out;
	size_t in_len, out_len, out_cap;
	uint32_t crc;
	int last;
};

struct gz_batch {
	struct gz_chunk chunks[GZ_BATCH_MAX];
	size_t n;                       /* full chunks; chunks[n] is filling */
	struct bs_workqueue_job *job;   /* compressing, not yet collected */
};

/* Per worker: they run one at a time on each slot, never two at once. */
struct gz_worker {
	struct libdeflate_compressor *comp;
	z_stream walk;
	int walk_ready;
	uint8_t *scratch;               /* the walk's output, thrown away */
	uint8_t *level_buf;             /* igzip's hash table and tokens */
};

struct oci_gzip {
	int level;
	size_t jobs, batch;
	oci_gzip_sink sink;
	void *ctx;
	oci_gzip_tap tap;
	void *tap_ctx;
	struct gz_batch batches[2];
	struct gz_batch *filling, *busy;
	struct gz_worker workers[GZ_BATCH_MAX];
	uLong crc;
	uint64_t total;
	int error;                      /* the first failure; every later call returns it */
};

/* The bit offsets where the final block of a raw deflate stream starts and ends. */
static int final_block(struct gz_worker *w, const uint8_t *buf, size_t len, size_t out_len,
		       uint64_t *start, uint64_t *end)
{
	z_stream *z = &w->walk;
	int zr;

	if (!w->walk_ready) {
		memset(z, 0, sizeof(*z));
		if (inflateInit2(z, -15) != Z_OK)
			return -ENOMEM;
		w->walk_ready = 1;
	} else if (inflateReset(z) != Z_OK) {
		return -EIO;
	}
	z->next_in = (Bytef *)buf;
	z->avail_in = (uInt)len;
	z->next_out = w->scratch;
	z->avail_out = GZ_CHUNK + GZ_SLACK;
	*start = 0;
	*end = 0;
	/* data_type: the unused bits of the last byte read, +128 when stopped
	 * at a block boundary, +64 once the final block was begun. So the last
	 * stop without 64 is where the final block starts, the stop with both
	 * where it ends (at the end the padding bits are gone already). The
	 * first block starts at 0 without a stop. */
	while ((zr = inflate(z, Z_BLOCK)) == Z_OK) {
		uint64_t bit = (uint64_t)(z->next_in - buf) * 8 - (uint64_t)(z->data_type & 63);

		if (!(z->data_type & 128))
			continue;
		if (z->data_type & 64)
			*end = bit;
		else
			*start = bit;
	}
	if (zr != Z_STREAM_END || z->total_out != out_len || *end <= *start)
		return -EIO;
	return 0;
}

/* Room for cap bytes of compressed output in c. */
static int chunk_reserve(struct gz_chunk *c, size_t cap)
{
	uint8_t *o;

	if (cap <= c->out_cap)
		return 0;
	if (!(o = realloc(c->out, cap)))
		return -ENOMEM;
	c->out = o;
	c->out_cap = cap;
	return 0;
}

#ifdef HAVE_ISAL
/* igzip level 1: a full flush ends every chunk but the last on a byte
 * boundary, the last one ends with the final block. */
static int compress_isal(struct gz_worker *w, struct gz_chunk *c)
{
	/* Stored blocks when deflate would not be smaller: 5 bytes per 64 KiB. */
	size_t cap = c->in_len + 5 * (c->in_len / 65535 + 2) + GZ_SLACK;
	struct isal_zstream z;

	if (chunk_reserve(c, cap) < 0)
		return -ENOMEM;
	if (!w->level_buf && !(w->level_buf = malloc(GZ_ISAL_LEVEL_BUF)))
		return -ENOMEM;
	/* 2.30's init leaves hist_bits (the window) as it finds it. */
	memset(&z, 0, sizeof(z));
	isal_deflate_stateless_init(&z);
	z.hist_bits = 0;        /* the full 32 KiB */
	z.level = 1;
	z.level_buf = w->level_buf;
	z.level_buf_size = GZ_ISAL_LEVEL_BUF;
	z.flush = c->last ? NO_FLUSH : FULL_FLUSH;
	z.end_of_stream = c->last ? 1 : 0;
	z.next_in = c->in;
	z.avail_in = (uint32_t)c->in_len;
	z.next_out = c->out;
	z.avail_out = (uint32_t)c->out_cap;
	if (isal_deflate_stateless(&z) != COMP_OK || z.avail_in)
		return -EIO;
	c->out_len = z.total_out;
	return 0;
}
#endif

static int compress_chunk(void *arg, size_t worker, size_t item)
{
	struct oci_gzip *g = arg;
	struct gz_chunk *c;
	struct gz_worker *w = &g->workers[worker];
	uint64_t start, end;
	size_t n, cap;
	int r;

	/* Item 0 is the tap's, first as it is the longest. */
	if (g->tap && item-- == 0) {
		for (size_t i = 0; i < g->busy->n; i++)
			g->tap(g->tap_ctx, g->busy->chunks[i].in, g->busy->chunks[i].in_len);
		return 0;
	}
	c = &g->busy->chunks[item];

#ifdef HAVE_ISAL
	if (g->level == 1) {
		c->crc = libdeflate_crc32(0, c->in, c->in_len);
		return compress_isal(w, c);
	}
#endif
	if (!w->comp && !(w->comp = libdeflate_alloc_compressor(g->level)))
		return -ENOMEM;
	cap = libdeflate_deflate_compress_bound(w->comp, c->in_len) + GZ_SLACK;
	if (chunk_reserve(c, cap) < 0)
		return -ENOMEM;
	c->crc = libdeflate_crc32(0, c->in, c->in_len);
	n = libdeflate_deflate_compress(w->comp, c->in, c->in_len, c->out, c->out_cap - GZ_SLACK);
	if (!n)
		return -EIO;
	c->out_len = n;
	if (c->last)
		return 0;
	if (!w->scratch && !(w->scratch = malloc(GZ_CHUNK + GZ_SLACK)))
		return -ENOMEM;
	if ((r = final_block(w, c->out, n, c->in_len, &start, &end)) < 0)
		return r;
	/* Not final after all; then BFINAL 0 and BTYPE 00 (stored) from the
	 * end of its last code, zero padding to the byte, LEN 0, NLEN ~0. */
	c->out[start / 8] &= (uint8_t) ~(1u << (start % 8));
	c->out[end / 8] &= (uint8_t)((1u << (end % 8)) - 1);
	n = (size_t)((end + 3 + 7) / 8);
	if (n > end / 8 + 1)
		c->out[n - 1] = 0;
	memcpy(c->out + n, "\x00\x00\xff\xff", 4);
	c->out_len = n + 4;
	return 0;
}

/* Hands the compressed chunks of a batch on, in order. */
static int emit(struct oci_gzip *g, struct gz_batch *b)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < b->n; i++) {
		struct gz_chunk *c = &b->chunks[i];

		g->crc = crc32_combine(g->crc, c->crc, (z_off_t)c->in_len);
		r = g->sink(g->ctx, c->out, c->out_len);
	}
	for (size_t i = 0; i < b->n; i++)
		b->chunks[i].in_len = 0;
	b->n = 0;
	return r;
}

/* Waits for the batch in flight, if any, and hands its bytes on. */
static int collect(struct oci_gzip *g)
{
	struct gz_batch *b = g->busy;
	int r;

	if (!b || !b->job)
		return 0;
	r = bs_workqueue_wait(b->job, NULL);
	b->job = NULL;
	return r < 0 ? r : emit(g, b);
}

/* Sends the filling batch (count chunks) off and takes the other one to fill. */
static int dispatch(struct oci_gzip *g, size_t count)
{
	struct gz_batch *b = g->filling;
	size_t items;
	int r;

	if ((r = collect(g)) < 0)
		return r;
	b->n = count;
	g->busy = b;
	g->filling = b == &g->batches[0] ? &g->batches[1] : &g->batches[0];
	items = count + (g->tap ? 1 : 0);
	/* One job: on the calling thread, nothing beside it. */
	if (g->jobs == 1)
		return (r = bs_workqueue_run(items, 1, compress_chunk, g, NULL)) < 0 ? r : emit(g, b);
	return bs_workqueue_start(items, g->jobs, compress_chunk, g, &b->job);
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
	if (g->jobs > GZ_BATCH_MAX)
		g->jobs = GZ_BATCH_MAX;
	g->batch = 2 * g->jobs < GZ_BATCH_MAX ? 2 * g->jobs : GZ_BATCH_MAX;
	g->sink = sink;
	g->ctx = ctx;
	g->crc = crc32(0, NULL, 0);
	g->filling = &g->batches[0];
	for (size_t b = 0; b < 2; b++)
		for (size_t i = 0; i < g->batch; i++)
			if (!(g->batches[b].chunks[i].in = malloc(GZ_CHUNK))) {
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

void oci_gzip_set_tap(struct oci_gzip *g, oci_gzip_tap tap, void *ctx)
{
	g->tap = tap;
	g->tap_ctx = ctx;
}

int oci_gzip_write(struct oci_gzip *g, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int r;

	/* libarchive flushes its buffer again when it is freed after a failed
	 * write; the batches are then in an unknown state, so nothing more goes out. */
	if (g->error)
		return g->error;
	g->total += len;
	while (len) {
		struct gz_batch *b = g->filling;
		struct gz_chunk *c = &b->chunks[b->n];
		size_t n = GZ_CHUNK - c->in_len < len ? GZ_CHUNK - c->in_len : len;

		memcpy(c->in + c->in_len, p, n);
		c->in_len += n;
		p += n;
		len -= n;
		if (c->in_len < GZ_CHUNK || ++b->n < g->batch)
			continue;
		if ((r = dispatch(g, g->batch)) < 0)
			return g->error = r;
	}
	return 0;
}

int oci_gzip_finish(struct oci_gzip *g)
{
	struct gz_batch *b = g->filling;
	uint8_t trailer[8];
	int r;

	if (g->error)
		return g->error;
	/* Full chunks of this batch, then the tail (maybe empty) as the last. */
	b->chunks[b->n].last = 1;
	if ((r = dispatch(g, b->n + 1)) < 0 || (r = collect(g)) < 0)
		return g->error = r;
	bsi_put_le32(trailer, (uint32_t)g->crc);
	bsi_put_le32(trailer + 4, (uint32_t)g->total);
	if ((r = g->sink(g->ctx, trailer, sizeof(trailer))) < 0)
		return g->error = r;
	return 0;
}

void oci_gzip_free(struct oci_gzip *g)
{
	if (!g)
		return;
	/* A batch still in flight reads the chunks: let it end first. */
	if (g->busy && g->busy->job)
		bs_workqueue_wait(g->busy->job, NULL);
	for (size_t b = 0; b < 2; b++)
		for (size_t i = 0; i < GZ_BATCH_MAX; i++) {
			free(g->batches[b].chunks[i].in);
			free(g->batches[b].chunks[i].out);
		}
	for (size_t i = 0; i < GZ_BATCH_MAX; i++) {
		libdeflate_free_compressor(g->workers[i].comp);
		if (g->workers[i].walk_ready)
			inflateEnd(&g->workers[i].walk);
		free(g->workers[i].scratch);
		free(g->workers[i].level_buf);
	}
	free(g);
}
