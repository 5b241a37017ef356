/* SPDX-License-Identifier: MIT */
/*
 * Golden digests were printed by fsverity-utils' `fsverity digest` (Debian 12)
 * for the same contents: pattern(n) is byte i = (31 * i + 7) mod 256, and the
 * sparse case is a 5 MiB hole followed by "x" (size -1 below).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/fsverity.h>
#include <bootseal/hex.h>

#include "util.h"

#define SPARSE_SIZE (5 * 1024 * 1024 + 1)

struct vector {
	enum bs_hash_alg alg;
	uint32_t block_size;
	const char *salt_hex;
	long size;
	const char *digest_hex;
};

static const struct vector vectors[] = {
	{ BS_HASH_SHA256, 4096, "", 0, "3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95" },
	{ BS_HASH_SHA256, 4096, "ab", 0, "12c3444f1a6779f2b3cef5a1a40dc64e6529d3032c3ed00ddb7d55056a79a34d" },
	{ BS_HASH_SHA256, 4096, "", 1, "f30ad420d7e839002c5bfec7fe47367c7cd3759445359f0c9ac78bac40d9108f" },
	{ BS_HASH_SHA256, 4096, "ab", 1, "4ed989173621de595e15961da1d53cc6e3070b17cf1262aea14929fe55348f22" },
	{ BS_HASH_SHA256, 4096, "", 4095, "a5e0727a643989a278edb6b6df49df672ea2bcafdf46f568b4810818fcf694b3" },
	{ BS_HASH_SHA256, 4096, "ab", 4095, "279d2cd06e866c8ce4a29411d5429d6effcbd1df595913e5e0ed69d95c168cb1" },
	{ BS_HASH_SHA256, 4096, "", 4096, "3cad13bf00ee15b60a1237696a9e00fe103a0cefc219f7f9902ddec33e72ca4c" },
	{ BS_HASH_SHA256, 4096, "ab", 4096, "2bcc298d8154fb3bd9ff02d9058e6675f3d43881f843c9ce6f8221f3e6843147" },
	{ BS_HASH_SHA256, 4096, "", 4097, "f1cb62ef1feb05bc757be84f91a8255db0fc05d7e14e03a1c7777dab069f1aac" },
	{ BS_HASH_SHA256, 4096, "ab", 4097, "6924446bf4dce45ea808eb30753b62c5ebae547dd486a44be1e53cdce45e691b" },
	{ BS_HASH_SHA256, 4096, "", 300000, "d29990c519d8d01407879532e70751a953aef5c57970aa6f19b1e76c05890888" },
	{ BS_HASH_SHA256, 4096, "ab", 300000, "3bf11a675c072f18e9869a6113b5e23a97b74fbcad0dad1235c65572bd0ee8a4" },
	{ BS_HASH_SHA256, 4096, "", 600000, "9f69867b41b0e15d2bfe5228914ff2fc4cb24166a0b7b3744084c2a63d61438b" },
	{ BS_HASH_SHA256, 4096, "ab", 600000, "a9ec849dd06f036b3cef9a029e85fdf95528a39e200ab5556c69c0de2d6cc6a7" },
	{ BS_HASH_SHA256, 4096, "", -1, "8e15588c8c2d80373a0d965914ed57570d868bec3dfcf6d796d63a0afe652e52" },
	{ BS_HASH_SHA256, 4096, "ab", -1, "80ad6629a0101185f84624fe210c3b802b8d5f45dc570aaadccdfb001b44a056" },
	{ BS_HASH_SHA512, 4096, "", 0, "ccf9e5aea1c2a64efa2f2354a6024b90dffde6bbc017825045dce374474e13d10adb9dadcc6ca8e17a3c075fbd31336e8f266ae6fa93a6c3bed66f9e784e5abf" },
	{ BS_HASH_SHA512, 4096, "ab", 0, "0cced3e93d07bc01c56e8449dc44f9c9f7a492f85fc7032f1dbf87e55ed18b60c15b3580d2ca4327655d5a3a4ee702fb13ab782069a980fe0e44e811d9b6a1ff" },
	{ BS_HASH_SHA512, 4096, "", 1, "321dfeb8339a01a10bf9db37b2379872facfb478af47528ae56471e6d9bb22ccc96e1b25d01e1709b4b3c719b0525b18e62355ab6a0801602f5dbf7d1b6c7f89" },
	{ BS_HASH_SHA512, 4096, "ab", 1, "dfc6e45e77ba06f73988bacb64079eb78dc5e02e67d507dad80d9ac82dc57fd1280d76909927421ec61b239ec0de6d1d71838e20a5c3d413376347bd3a17f935" },
	{ BS_HASH_SHA512, 4096, "", 4095, "91da79d6598333e7445e9de25c50926dc75f7981dd4e972508b36050aadd153ae824599b8d0182eb0a3c65da2301d99c01942b216d81d5e8d62f59eb1ee555cf" },
	{ BS_HASH_SHA512, 4096, "ab", 4095, "7129cb9fc83e791ffccbd3e83fd074a1ef7bee14c37095ed7ba1a3e20c4a9fb1afe12f8fb925d1e67837852c03c771c58139edd413d07e84cae7816dd98418e7" },
	{ BS_HASH_SHA512, 4096, "", 4096, "074b4c338e0b6f5c94bf3e75e8301cf91e53ef713a1717ccadf25ec35d89f90711fe95b73639c0dc99b0abdd2f7bf47c3ccd563498b845f705029254c609ece6" },
	{ BS_HASH_SHA512, 4096, "ab", 4096, "a3ed2d3c7dfd8fce651d9f9b5e5f8ffa44539ab8bc38bc3051b47807e9d1cba987715ef91d00e4d6686648e0a800a50edea8b7b8d9e1e5fa6a17a8184a4d90d1" },
	{ BS_HASH_SHA512, 4096, "", 4097, "7f73555576bd178d5215188ac1ad7c79306289fb96e49e1aacb5f7fbd9a802d25899ac3cb576ef9f035a01466072d65055a392d7256ca858bd87a0457cd2aa17" },
	{ BS_HASH_SHA512, 4096, "ab", 4097, "365c69e19ce33babca6d45ef810446ca5c8890aae652d41a147aa56e8d7b19eb4381b5cb8d70b4d0ef92f87bec49dbfd881e483bc5472a997c1ddcb37cd22643" },
	{ BS_HASH_SHA512, 4096, "", 300000, "fe6fc7eb8dba2edb4d86061f795b75a1105c68738f3d20ebcef08b847e8fa019eed23c6d983744f5d00e7a1831821dd474b835996e33513330f526912944d33f" },
	{ BS_HASH_SHA512, 4096, "ab", 300000, "f8a729775093cdce10eca5a434b03cfe134f721633b623e23d3bb11dfe06184c5b3ed95b10ffdb24e149ac026022f82208a9076b088223c50a280dee460fb126" },
	{ BS_HASH_SHA512, 4096, "", 600000, "25bfa0827b58c7e3e56084b45d202fbd291ad50e1fd13ac205f86d2c891d09c73e37507f36f32cb9aeadd1e6b13d0b3732a5d1474d6ba6262d16f3b2baaf8ae6" },
	{ BS_HASH_SHA512, 4096, "ab", 600000, "88c0fe3fe3bcc6387c3972ab80e3be4c2664cd4c93513b82c348379599f97f488c687e382f14a5c3d86a203ecb53e194a739650f16f0c6a0caf7142b3c299883" },
	{ BS_HASH_SHA512, 4096, "", -1, "556e7617d42d9f1cdef65cbaadb466c3adb9d60ae511c2ba2ea4cb893bbbd3c01bac412a809363c74d86faa66d19048afb7e181268f5527a52285698187849b2" },
	{ BS_HASH_SHA512, 4096, "ab", -1, "87b33cc2756ee7b0790d9b5c344fe5041825d8530d5a326dd50c9cc9339a695fbf119ae2bb6186407b1b1ba909365807580e7a9b9a55e3003e32ba95af821dc4" },
	{ BS_HASH_SHA256, 1024, "", 600000, "df12542cb39daa30040d8ec1cb5077e910b9a03db6d1d083acf9039d9da72ff4" },
	{ BS_HASH_SHA512, 65536, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1048577, "3c3a7c5149c7e0f5b0ade0b6d33a2b36dce5ec22dc626f646946de9e374a5592414c25deea2f067898bb5c19be1ff867389b6da7c18a55f5ba739fa73fb0c39b" },
};

static uint8_t *make_content(long size, size_t *len)
{
	size_t n = size < 0 ? SPARSE_SIZE : (size_t)size;
	uint8_t *buf = calloc(1, n + 1);

	assert_non_null(buf);
	if (size < 0)
		buf[n - 1] = 'x';
	else
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(31 * i + 7);
	*len = n;
	return buf;
}

static void check_vector(const struct vector *v, size_t chunk)
{
	uint8_t salt[32], digest[64];
	char hex[129];
	struct bs_fsverity_params params = { .hash_alg = v->alg, .block_size = v->block_size };
	struct bs_fsverity_ctx *ctx;
	size_t len, salt_len = 0;
	uint8_t *buf = make_content(v->size, &len);

	assert_int_equal(bs_hex_decode(v->salt_hex, strlen(v->salt_hex), salt, sizeof(salt), &salt_len), 0);
	params.salt = salt;
	params.salt_size = salt_len;
	assert_int_equal(bs_fsverity_new(&params, &ctx), 0);
	/* Twice, to prove a reset context gives the same answer. */
	for (int round = 0; round < 2; round++) {
		bs_fsverity_reset(ctx);
		for (size_t off = 0; off < len; off += chunk)
			assert_int_equal(bs_fsverity_update(ctx, buf + off, off + chunk > len ? len - off : chunk), 0);
		assert_int_equal(bs_fsverity_final(ctx, digest), 0);
		bs_hex_encode(digest, bs_fsverity_digest_size(ctx), hex);
		assert_string_equal(hex, v->digest_hex);
	}
	bs_fsverity_free(ctx);
	free(buf);
}

static void vectors_whole_buffer(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		check_vector(&vectors[i], SIZE_MAX / 2);
}

/* Odd chunk sizes cross every block boundary at a different offset. */
static void vectors_odd_chunks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		check_vector(&vectors[i], 1 + i % 7);
		check_vector(&vectors[i], 4093);
		check_vector(&vectors[i], 65537);
	}
}

static int file_with(const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/test-fsverity.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, buf + off, len - off);

		assert_true(n > 0);
		off += (size_t)n;
	}
	return fd;
}

/* bs_fsverity_digest_file reads from offset 0 whatever the offset is. */
static int digest_file_at(struct bs_fsverity_ctx *ctx, int fd, uint64_t size, uint8_t *digest)
{
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return bs_fsverity_digest_file(ctx, fd, size, digest);
}

/* Sizes around the read chunk (1 MiB) and the mapped path (4 MiB): the same
 * digest as the bytes given to bs_fsverity_update, and -EIO for a file that
 * holds more, or (read, not mapped) fewer bytes than the size it is given. */
static void digest_file_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 64, 4096, 4097, 1048575, 1048576, 1048577,
					2097152, 4194303, 4194304, 4194305 };
	struct bs_fsverity_params params = { .hash_alg = BS_HASH_SHA512 };
	struct bs_fsverity_ctx *ctx;
	uint8_t want[64], got[64];

	(void)state;
	assert_int_equal(bs_fsverity_new(&params, &ctx), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len;
		uint8_t *buf = make_content((long)sizes[i], &len);
		int fd = file_with(buf, len);

		bs_fsverity_reset(ctx);
		assert_int_equal(bs_fsverity_update(ctx, buf, len), 0);
		assert_int_equal(bs_fsverity_final(ctx, want), 0);
		assert_int_equal(digest_file_at(ctx, fd, len, got), 0);
		assert_memory_equal(got, want, 64);
		if (len > 0)
			assert_int_equal(digest_file_at(ctx, fd, len - 1, got), -EIO);
		if (len + 1 < 4194304)
			assert_int_equal(digest_file_at(ctx, fd, len + 1, got), -EIO);
		close(fd);
		free(buf);
	}
	assert_int_equal(bs_fsverity_digest_file(NULL, 0, 0, got), -EINVAL);
	assert_int_equal(bs_fsverity_digest_file(ctx, -1, 0, got), -EINVAL);
	bs_fsverity_free(ctx);
}

static void known_hello_world(void **state)
{
	struct bs_fsverity_params params = { 0 };
	struct bs_fsverity_ctx *ctx;
	uint8_t digest[32];
	char hex[65];

	(void)state;
	assert_int_equal(bs_fsverity_new(&params, &ctx), 0);
	assert_int_equal(bs_fsverity_update(ctx, "hello world\n", 12), 0);
	assert_int_equal(bs_fsverity_final(ctx, digest), 0);
	bs_hex_encode(digest, 32, hex);
	assert_string_equal(hex, "37061ef2ac4c21bec68489b56138c5780306a4ad7fe6676236ecdf2c9027cd92");
	bs_fsverity_free(ctx);
}

static void bad_params(void **state)
{
	uint8_t salt[33] = { 0 };
	struct bs_error err = { 0 };
	struct bs_fsverity_params p = { .block_size = 3000 };

	(void)state;
	assert_int_equal(bs_fsverity_params_check(&p, &err), -EINVAL);
	assert_non_null(strstr(err.message, "power of two"));
	p.block_size = 512;
	assert_int_equal(bs_fsverity_params_check(&p, NULL), -EINVAL);
	p.block_size = 131072;
	assert_int_equal(bs_fsverity_params_check(&p, NULL), -EINVAL);
	p.block_size = 65536;
	p.salt = salt;
	p.salt_size = 33;
	assert_int_equal(bs_fsverity_params_check(&p, NULL), -EINVAL);
	p.salt_size = 32;
	assert_int_equal(bs_fsverity_params_check(&p, NULL), 0);
	p.hash_alg = (enum bs_hash_alg)7;
	assert_int_equal(bs_fsverity_params_check(&p, NULL), -EINVAL);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(known_hello_world),
	cmocka_unit_test(vectors_whole_buffer),
	cmocka_unit_test(vectors_odd_chunks),
	cmocka_unit_test(bad_params),
	cmocka_unit_test(digest_file_sizes))
