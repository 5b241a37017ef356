/* SPDX-License-Identifier: MIT */
/*
 * The gzip layer writer against zlib's inflate: one member holding exactly
 * the input, whatever its size (empty, a chunk boundary, several batches),
 * its content (the final blocks libdeflate writes differ: stored for
 * random bytes, fixed or dynamic Huffman otherwise) and the thread count,
 * which must not change a byte. Level 1 (igzip in a build with ISA-L, ended
 * by full flushes instead of cleared final bits) and level 6 (libdeflate)
 * both.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include <zlib.h>

#include "oci-gzip.h"

struct buf {
	uint8_t *data;
	size_t len, cap;
	int fail_after;         /* calls before the sink fails; 0: never */
	int calls;
};

static int sink(void *ctx, const void *data, size_t len)
{
	struct buf *b = ctx;

	if (b->fail_after && ++b->calls > b->fail_after)
		return -ENOSPC;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->data = realloc(b->data, b->cap);
		assert_non_null(b->data);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static uint8_t *make_input(size_t len, int kind)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = 12345;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = kind == 0 ? 0 : kind == 1 ? (uint8_t)(x >> 24) : (uint8_t)("bootseal layer\n"[(x >> 28) % 15]);
	}
	return p;
}

/* Writes in uneven pieces, as libarchive's 10 KiB blocks never line up with 1 MiB. */
static void gz(const uint8_t *in, size_t len, int level, size_t jobs, struct buf *out)
{
	struct oci_gzip *g;
	size_t piece = 10240 + 7;

	memset(out, 0, sizeof(*out));
	assert_int_equal(oci_gzip_new(level, jobs, sink, out, &g), 0);
	for (size_t off = 0; off < len; off += piece)
		assert_int_equal(oci_gzip_write(g, in + off, len - off < piece ? len - off : piece), 0);
	assert_int_equal(oci_gzip_finish(g), 0);
	oci_gzip_free(g);
}

/* One member, all of it consumed, the input back. */
static void check_one_member(const struct buf *gz, const uint8_t *in, size_t len)
{
	uint8_t *out = malloc(len + 1);
	z_stream z = { 0 };

	assert_non_null(out);
	assert_int_equal(inflateInit2(&z, 31), Z_OK);
	z.next_in = gz->data;
	z.avail_in = (uInt)gz->len;
	z.next_out = out;
	z.avail_out = (uInt)len + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0);
	assert_int_equal(z.total_out, len);
	assert_memory_equal(out, in, len);
	inflateEnd(&z);
	free(out);
}

static void sizes_contents_and_threads_at(int level)
{
	const size_t sizes[] = { 0, 1, 1 << 20, (1 << 20) + 1, (9 << 20) + 4321 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int kind = 0; kind < 3; kind++) {
			uint8_t *in = make_input(sizes[s], kind);
			struct buf one, two, five;

			gz(in, sizes[s], level, 1, &one);
			gz(in, sizes[s], level, 2, &two);
			gz(in, sizes[s], level, 5, &five);
			check_one_member(&one, in, sizes[s]);
			assert_int_equal(one.len, two.len);
			assert_memory_equal(one.data, two.data, one.len);
			assert_int_equal(one.len, five.len);
			assert_memory_equal(one.data, five.data, one.len);
			free(one.data);
			free(two.data);
			free(five.data);
			free(in);
		}
}

static void sizes_contents_and_threads(void **state)
{
	(void)state;
	sizes_contents_and_threads_at(6);
}

static void sizes_contents_and_threads_level1(void **state)
{
	(void)state;
	sizes_contents_and_threads_at(1);
}

static void tap(void *ctx, const void *data, size_t len)
{
	assert_int_equal(sink(ctx, data, len), 0);
}

/* The tap sees the input, all of it and in order, whatever the thread count. */
static void tap_sees_input_in_order(void **state)
{
	size_t len = (9 << 20) + 4321, piece = 10240 + 7;
	uint8_t *in = make_input(len, 2);

	(void)state;
	for (size_t jobs = 1; jobs <= 5; jobs += 2) {
		struct buf out = { 0 }, seen = { 0 };
		struct oci_gzip *g;

		assert_int_equal(oci_gzip_new(1, jobs, sink, &out, &g), 0);
		oci_gzip_set_tap(g, tap, &seen);
		for (size_t off = 0; off < len; off += piece)
			assert_int_equal(oci_gzip_write(g, in + off, len - off < piece ? len - off : piece), 0);
		assert_int_equal(oci_gzip_finish(g), 0);
		oci_gzip_free(g);
		assert_int_equal(seen.len, len);
		assert_memory_equal(seen.data, in, len);
		check_one_member(&out, in, len);
		free(out.data);
		free(seen.data);
	}
	free(in);
}

/* A sink that fails: the error comes back, from then on too, and nothing crashes. */
static void sink_failure_sticks(void **state)
{
	size_t len = 12 << 20;
	uint8_t *in = make_input(len, 2);
	struct buf out = { .fail_after = 3 };
	struct oci_gzip *g;
	int r = 0;

	(void)state;
	assert_int_equal(oci_gzip_new(6, 2, sink, &out, &g), 0);
	for (size_t off = 0; off < len && r == 0; off += 65536)
		r = oci_gzip_write(g, in + off, 65536);
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(oci_gzip_write(g, in, 65536), -ENOSPC);
	assert_int_equal(oci_gzip_finish(g), -ENOSPC);
	oci_gzip_free(g);
	free(out.data);
	free(in);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(sizes_contents_and_threads),
	cmocka_unit_test(sizes_contents_and_threads_level1),
	cmocka_unit_test(tap_sees_input_in_order),
	cmocka_unit_test(sink_failure_sticks))
