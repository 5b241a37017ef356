/* SPDX-License-Identifier: MIT */
/*
 * The composefs image writer and reader. Golden values: composefs-rs's
 * fs-verity digests of its empty and simple trees built in memory
 * (tests/vectors/composefs-rs/README.md) and C mkcomposefs v1.0.8's image
 * sha256 for special.dump (tests/vectors/composefs-c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "unit.h"

#include <openssl/evp.h>

#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/hex.h>
#include <bootseal/fsverity.h>
#include <bootseal/tree.h>

#include "util.h"

static const char *const rs_digests[2][3] = {
	{ "8f589e8f57ecb88823736b0d857ddca1e1068a23e264fad164b28f7038eb3682",
	  "14a26c957c84f6eb774b91205476adc13196c7c33b9dd97d08d43725ecb90b63",
	  "086b702a519b57d6ef5aea6f8b3f2be24355cd1fb835cd80fb4e3d388b24d5a5" },
	{ "9f3f5620ee0c54708516467d0d58741e7963047c7106b245d94c298259d0fa01",
	  "ad6db6427568a1e4fdc772cbab7b6063f5eb4b33cb62982a740ba9213e5962b5",
	  "a8fcd41f8b313bede69f462f2af0a38d64b99a6333f5df884ea9ab4037fac722" },
};

static struct bs_tree_inode *leaf(struct bs_tree *t, const char *name, uint32_t mode)
{
	struct bs_tree_inode *i;

	assert_int_equal(bs_tree_inode_new(t, mode, &i, NULL), 0);
	assert_int_equal(bs_tree_dir_add(t, bs_tree_root(t), name, strlen(name), i, NULL), 0);
	return i;
}

/* composefs-rs crates/composefs/tests/mkfs.rs: seven leaves, permissions 0. */
static struct bs_tree *simple_tree(void)
{
	struct bs_tree *t;
	struct bs_tree_inode *i;
	uint8_t digest[32];
	char redirect[3 + 62 + 1] = "5a/";

	assert_int_equal(bs_tree_new(&t), 0);
	memset(digest, 0x5a, sizeof(digest));
	for (int k = 0; k < 62; k++)
		redirect[3 + k] = k % 2 ? 'a' : '5';
	leaf(t, "fifo", S_IFIFO);
	i = leaf(t, "regular-inline", S_IFREG);
	assert_int_equal(bs_tree_inode_set_content(t, i, "hihi", 4, NULL), 0);
	i = leaf(t, "regular-external", S_IFREG);
	bs_tree_inode_stat(i)->size = 1234;
	assert_int_equal(bs_tree_inode_set_digest(i, digest, 32), 0);
	assert_int_equal(bs_tree_inode_set_payload(t, i, redirect, strlen(redirect), NULL), 0);
	bs_tree_inode_stat(leaf(t, "chrdev", S_IFCHR))->rdev = 123;
	bs_tree_inode_stat(leaf(t, "blkdev", S_IFBLK))->rdev = 123;
	leaf(t, "socket", S_IFSOCK);
	i = leaf(t, "symlink", S_IFLNK);
	assert_int_equal(bs_tree_inode_set_payload(t, i, "/target", 7, NULL), 0);
	bs_tree_inode_stat(i)->size = 7;
	return t;
}

static void fsverity_hex(const uint8_t *data, size_t size, char *hex)
{
	struct bs_fsverity_params p = { 0 };
	struct bs_fsverity_ctx *ctx;
	uint8_t d[32];

	assert_int_equal(bs_fsverity_new(&p, &ctx), 0);
	assert_int_equal(bs_fsverity_update(ctx, data, size), 0);
	assert_int_equal(bs_fsverity_final(ctx, d), 0);
	bs_fsverity_free(ctx);
	bs_hex_encode(d, 32, hex);
}

static void check_rs(struct bs_tree *t, int which, unsigned version)
{
	struct bs_erofs_options o = { version, version, BS_HASH_SHA256 };
	struct bs_error err = { 0 };
	uint8_t *img;
	size_t size;
	char hex[65];

	if (bs_erofs_write(t, &o, &img, &size, &err) < 0)
		fail_msg("V%u: %s", version, err.message);
	assert_int_equal(size % 4096, 0);
	fsverity_hex(img, size, hex);
	assert_string_equal(hex, rs_digests[which][version]);
	free(img);
}

static void rs_vectors_v0_v1(void **state)
{
	struct bs_tree *empty, *simple = simple_tree();

	(void)state;
	assert_int_equal(bs_tree_new(&empty), 0);
	for (unsigned v = 0; v <= 1; v++) {
		check_rs(empty, 0, v);
		check_rs(simple, 1, v);
	}
	bs_tree_free(empty);
	bs_tree_free(simple);
}

static void rs_vectors_v2(void **state)
{
	struct bs_tree *empty, *simple = simple_tree();

	(void)state;
	assert_int_equal(bs_tree_new(&empty), 0);
	check_rs(empty, 0, 2);
	check_rs(simple, 1, 2);
	bs_tree_free(empty);
	bs_tree_free(simple);
}

static struct bs_tree *parse(const char *path)
{
	struct bs_tree *t = NULL;
	FILE *f = fopen(path, "rb");
	char buf[1 << 16];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(bs_dump_parse(buf, n, path, &t, NULL), 0);
	return t;
}

/* C vector special.dump at --min-version=0 --max-version=0, and the reader's
 * tree written again gives the same bytes. */
static void c_special_and_read_back(void **state)
{
	struct bs_erofs_options o = { 0, 0, 0 };
	struct bs_tree *t = parse("../vectors/composefs-c/special.dump"), *back = NULL;
	uint8_t *img, *img2, md[32];
	size_t size, size2;
	char hex[65];

	(void)state;
	assert_int_equal(bs_erofs_write(t, &o, &img, &size, NULL), 0);
	assert_int_equal(EVP_Digest(img, size, md, NULL, EVP_sha256(), NULL), 1);
	bs_hex_encode(md, 32, hex);
	assert_string_equal(hex, "d344782ff962ab7d1c5533755c19c5bf3c3485f55bfaf228fc89524c7e2ba61e");

	assert_int_equal(bs_erofs_read(img, size, "img", &back, NULL), 0);
	assert_non_null(bs_tree_dir_lookup(bs_tree_root(back), "whiteout", 8));
	/* the 256 stubs are the writer's, not the tree's */
	assert_null(bs_tree_dir_lookup(bs_tree_root(back), "00", 2));
	assert_int_equal(bs_tree_inode_stat(bs_tree_dir_lookup(bs_tree_root(back), "whiteout", 8))->mode,
			 S_IFCHR | 0777);
	assert_int_equal(bs_erofs_write(back, &o, &img2, &size2, NULL), 0);
	assert_int_equal(size, size2);
	assert_memory_equal(img, img2, size);
	free(img2);
	bs_tree_free(back);
	bs_tree_free(t);

	/* flipped bytes anywhere in the metadata: refused or read, never out of
	 * bounds (run under ASan to see the difference) */
	for (size_t off = 0; off < size && off < 12288; off += 3) {
		for (int bit = 0; bit < 8; bit += 3) {
			struct bs_error err = { 0 };
			int r;

			img[off] ^= (uint8_t)(1u << bit);
			r = bs_erofs_read(img, size, "img", &back, &err);
			if (r == 0)
				bs_tree_free(back);
			else if (r != -EBADMSG)
				fail_msg("offset %zu: %d %s", off, r, err.message);
			img[off] ^= (uint8_t)(1u << bit);
		}
	}

	/* every truncation is refused cleanly, never read out of bounds */
	for (size_t cut = 0; cut < size; cut += 97) {
		struct bs_error err = { 0 };
		int r = bs_erofs_read(img, cut, "img", &back, &err);

		if (r == 0)
			bs_tree_free(back);
		else
			assert_int_equal(r, -EBADMSG);
	}
	free(img);
}

static void tree_rules(void **state)
{
	struct bs_tree *t;
	struct bs_tree_inode *d, *f;
	struct bs_error err = { 0 };

	(void)state;
	assert_int_equal(bs_tree_new(&t), 0);
	assert_int_equal(bs_tree_inode_new(t, 0, &f, &err), -EINVAL);
	assert_int_equal(bs_tree_inode_new(t, S_IFDIR | 0755, &d, NULL), 0);
	assert_int_equal(bs_tree_inode_new(t, S_IFREG | 0644, &f, NULL), 0);
	assert_int_equal(bs_tree_dir_add(t, bs_tree_root(t), "d", 1, d, NULL), 0);
	assert_int_equal(bs_tree_dir_add(t, bs_tree_root(t), "e", 1, d, NULL), -EINVAL);
	assert_int_equal(bs_tree_dir_add(t, bs_tree_root(t), "..", 2, f, NULL), -EINVAL);
	assert_int_equal(bs_tree_dir_add(t, bs_tree_root(t), "a/b", 3, f, NULL), -EINVAL);
	assert_int_equal(bs_tree_dir_add(t, d, "f", 1, f, NULL), 0);
	assert_int_equal(bs_tree_dir_add(t, d, "f", 1, f, NULL), -EEXIST);
	assert_int_equal(bs_tree_dir_add(t, bs_tree_root(t), "-f", 2, f, NULL), 0);
	assert_int_equal(bs_tree_dir_add(t, f, "x", 1, d, NULL), -ENOTDIR);
	assert_int_equal(bs_tree_link_count(f), 2);
	/* strcmp order: "-f" < "d" */
	{
		const char *name;
		size_t len;
		assert_ptr_equal(bs_tree_dir_child(bs_tree_root(t), 0, &name, &len), f);
		assert_int_equal(len, 2);
	}
	bs_tree_free(t);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(rs_vectors_v0_v1),
	cmocka_unit_test(rs_vectors_v2),
	cmocka_unit_test(c_special_and_read_back),
	cmocka_unit_test(tree_rules))
