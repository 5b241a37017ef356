/* SPDX-License-Identifier: MIT */
/*
 * OCI flattening rules (image-spec layer.md: whiteouts, opaque directories,
 * changesets applied in order), capture, and the writer's round trip. Layers
 * are tars built here with libarchive; expected digests come from
 * bs_fsverity over the same bytes (checked against fsverity-utils elsewhere).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <bootseal/composefs.h>
#include <bootseal/oci.h>

struct te {
	const char *name;
	unsigned type;          /* AE_IF*, or 0 for a hardlink */
	const char *data;       /* content, symlink or hardlink target */
	size_t len;             /* content size (0: strlen(data)) */
	unsigned mode;
	long long mtime;
	long nsec;
	const char *xattr;      /* "key=value" */
};

static int seq;

static size_t make_tar(const struct te *e, size_t n, uint8_t *buf, size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	size_t used = 0;

	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		size_t len = e[i].len ? e[i].len : (e[i].data ? strlen(e[i].data) : 0);

		archive_entry_clear(ae);
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, e[i].type ? e[i].type : AE_IFREG);
		archive_entry_set_perm(ae, e[i].mode ? e[i].mode : 0644);
		archive_entry_set_mtime(ae, e[i].mtime, e[i].nsec);
		if (!e[i].type)
			archive_entry_set_hardlink(ae, e[i].data);
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].type == AE_IFREG)
			archive_entry_set_size(ae, (la_int64_t)len);
		if (e[i].xattr) {
			const char *eq = strchr(e[i].xattr, '=');
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - e[i].xattr), e[i].xattr);
			archive_entry_xattr_add_entry(ae, key, eq + 1, strlen(eq + 1));
		}
		/* A name that is not ASCII (in the C locale) or not UTF-8 is a
		 * warning: the entry is written, its names as bytes. */
		assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
		if (e[i].type == AE_IFREG && len) {
			if (e[i].len) {   /* generated content: a byte pattern */
				uint8_t *big = malloc(len);
				for (size_t j = 0; j < len; j++)
					big[j] = (uint8_t)(j * 7 + 3);
				archive_write_data(a, big, len);
				free(big);
			} else {
				archive_write_data(a, e[i].data, len);
			}
		}
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ae);
	return used;
}

static void sha256_of(const void *data, size_t len, char *digest)
{
	uint8_t md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	strcpy(digest, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(digest + 7 + 2 * i, "%02x", md[i]);
}

static size_t gzip_buf(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void put_blob(const char *dir, const void *data, size_t len, char *digest)
{
	char path[PATH_MAX];
	FILE *f;

	sha256_of(data, len, digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
	assert_non_null(f = fopen(path, "w"));
	fwrite(data, 1, len, f);
	fclose(f);
}

/* A layout with the given layers; returns "oci:DIR". */
static char *make_image(const struct te *const *layers, const size_t *counts, size_t n_layers)
{
	static char ref[600];
	char dir[512], path[600], cfg_d[80], man_d[80], ls[4096] = "", ids[2048] = "", text[8192];
	uint8_t *buf = malloc(4 << 20), *gz = malloc(4 << 20);
	size_t len, cfg_len;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/img%d", unit_dir, seq++);
	snprintf(path, sizeof(path), "mkdir -p %s/blobs/sha256", dir);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/oci-layout", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"imageLayoutVersion\":\"1.0.0\"}", f);
	fclose(f);
	for (size_t i = 0; i < n_layers; i++) {
		char d[80], diff[80];
		len = make_tar(layers[i], counts[i], buf, 4 << 20);
		sha256_of(buf, len, diff);
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s\"%s\"", i ? "," : "", diff);
		len = gzip_buf(buf, len, gz, 4 << 20);
		put_blob(dir, gz, len, d);
		snprintf(ls + strlen(ls), sizeof(ls) - strlen(ls),
			 "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu}",
			 i ? "," : "", d, len);
	}
	cfg_len = (size_t)snprintf(text, sizeof(text), "{\"architecture\":\"amd64\",\"os\":\"linux\","
				   "\"created\":\"2020-01-01T00:00:00Z\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}", ids);
	put_blob(dir, text, cfg_len, cfg_d);
	len = (size_t)snprintf(text, sizeof(text),
			       "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
			       "\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s]}", cfg_d, cfg_len, ls);
	put_blob(dir, text, len, man_d);
	snprintf(path, sizeof(path), "%s/index.json", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		   "\"digest\":\"%s\",\"size\":%zu}]}", man_d, len);
	fclose(f);
	free(buf);
	free(gz);
	snprintf(ref, sizeof(ref), "oci:%s", dir);
	return ref;
}

static int want_capture(void *ctx, const char *path)
{
	(void)ctx;
	return !strcmp(path, "usr/lib/os-release") || !strncmp(path, "boot/", 5) || !strcmp(path, "etc/gone");
}

static struct bs_oci_image *flatten(const char *ref, size_t mem_max, struct bs_error *err)
{
	struct bs_oci_flatten_options o = { .hash_alg = BS_COMPOSEFS_HASH, .capture = want_capture,
					    .capture_mem_max = mem_max };
	struct bs_oci_image *img = NULL;

	assert_int_equal(bs_oci_image_open(ref, &img, err), 0);
	if (bs_oci_image_flatten(img, &o, NULL, err) < 0) {
		bs_oci_image_free(img);
		return NULL;
	}
	return img;
}

static struct bs_tree_inode *at(struct bs_oci_image *img, const char *path)
{
	return bs_tree_lookup_path(bs_oci_image_tree(img), path);
}

static void test_whiteouts_and_parents(void **state)
{
	static const struct te l1[] = {
		{ "a/", AE_IFDIR, .mode = 0700, .mtime = 5 },
		{ "a/old", AE_IFREG, "old" },
		{ "a/sub/", AE_IFDIR },
		{ "a/sub/deep", AE_IFREG, "deep" },
		{ "b/gone", AE_IFREG, "x" },
		{ "b/kept", AE_IFREG, "x" },
	};
	static const struct te l2[] = {
		{ "a/early", AE_IFREG, "same layer, before the marker" },
		{ "a/.wh..wh..opq", AE_IFREG },
		{ "b/.wh.gone", AE_IFREG },
		{ "b/new", AE_IFREG, "n" },
		{ "b/.wh.new", AE_IFREG },             /* same layer: no effect */
		{ "/abs/./x", AE_IFREG, "abs" },        /* leading / normalised */
		{ "never/described/f", AE_IFREG, "f", .mtime = 77 },
		{ "a/sub2/f", AE_IFREG, "x" },          /* a/ absent from this layer */
	};
	const struct te *layers[] = { l1, l2 };
	size_t counts[] = { 6, 8 };
	struct bs_error err = { 0 };
	struct bs_oci_image *img;
	struct bs_tree_stat *st;

	(void)state;
	img = flatten(make_image(layers, counts, 2), 0, &err);
	assert_non_null(img);
	assert_null(at(img, "a/old"));
	assert_null(at(img, "a/sub"));
	assert_non_null(at(img, "a/early"));
	assert_null(at(img, "b/gone"));
	assert_non_null(at(img, "b/kept"));
	assert_non_null(at(img, "b/new"));
	assert_non_null(at(img, "abs/x"));
	st = bs_tree_inode_stat(at(img, "a"));
	assert_int_equal(st->mode, S_IFDIR | 0700);     /* lower metadata kept */
	assert_int_equal(st->mtime_sec, 5);
	st = bs_tree_inode_stat(at(img, "never/described"));
	assert_int_equal(st->mode, S_IFDIR | 0755);
	assert_int_equal(st->uid, 0);
	assert_int_equal(st->mtime_sec, 0);
	assert_int_equal(bs_tree_inode_stat(at(img, "never/described/f"))->mtime_sec, 77);
	bs_oci_image_free(img);
}

static void test_files_and_links(void **state)
{
	static const struct te l1[] = {
		{ "usr/bin/big", AE_IFREG, NULL, 100000, .xattr = "user.k=v" },
		{ "usr/bin/small", AE_IFREG, "0123456789012345678901234567890123456789012345678901234567890123" },
		{ "usr/lnk", AE_IFLNK, "bin" },
		{ "time", AE_IFREG, "t", .mtime = 1700000000, .nsec = 123456789 },
	};
	static const struct te l2[] = {
		{ "usr/bin/hl", 0, "usr/bin/big" },     /* to a file of layer 1 */
		{ "usr/bin/hl2", 0, "./usr/bin/hl" },
	};
	const struct te *layers[] = { l1, l2 };
	size_t counts[] = { 4, 2 };
	struct bs_error err = { 0 };
	struct bs_fsverity_params p = { .hash_alg = BS_HASH_SHA512 };
	struct bs_fsverity_ctx *ctx;
	uint8_t *big = malloc(100000), want[64];
	const uint8_t *got;
	struct bs_oci_image *img;
	struct bs_tree_inode *f;
	size_t len;

	(void)state;
	img = flatten(make_image(layers, counts, 2), 0, &err);
	assert_non_null(img);
	f = at(img, "usr/bin/big");
	assert_ptr_equal(f, at(img, "usr/bin/hl"));
	assert_ptr_equal(f, at(img, "usr/bin/hl2"));
	assert_int_equal(bs_tree_inode_stat(f)->nlink, 3);
	assert_int_equal(bs_tree_inode_stat(f)->size, 100000);
	for (size_t j = 0; j < 100000; j++)
		big[j] = (uint8_t)(j * 7 + 3);
	assert_int_equal(bs_fsverity_new(&p, &ctx), 0);
	bs_fsverity_update(ctx, big, 100000);
	bs_fsverity_final(ctx, want);
	bs_fsverity_free(ctx);
	got = bs_tree_inode_digest(f, &len);
	assert_int_equal(len, 64);
	assert_memory_equal(got, want, 64);
	assert_int_equal(bs_tree_inode_xattr_count(f), 1);
	/* 64 bytes: still inline, composefs's limit */
	got = bs_tree_inode_content(at(img, "usr/bin/small"), &len);
	assert_int_equal(len, 64);
	assert_non_null(got);
	assert_int_equal(bs_tree_inode_stat(at(img, "time"))->mtime_nsec, 123456789);
	assert_string_equal(bs_tree_inode_payload(at(img, "usr/lnk"), &len), "bin");
	free(big);
	bs_oci_image_free(img);
}

static void expect_reject(const struct te *l2, size_t n, const char *msg)
{
	static const struct te l1[] = {
		{ "dir/", AE_IFDIR },
		{ "file", AE_IFREG, "f" },
		{ "sym", AE_IFLNK, "/dir" },
	};
	const struct te *layers[] = { l1, l2 };
	size_t counts[] = { 3, n };
	struct bs_error err = { 0 };

	assert_null(flatten(make_image(layers, counts, 2), 0, &err));
	assert_int_equal(err.code, -EBADMSG);
	assert_non_null(strstr(err.message, msg));
	assert_non_null(strstr(err.path, "layer 2: "));
}

static void test_links_after_whiteout(void **state)
{
	static const struct te l1[] = {
		{ "a", AE_IFREG, NULL, 1000 },
		{ "b", 0, "a" },
		{ "d/c", 0, "a" },
		{ "dev/null", AE_IFCHR, .mode = 0666 },
		{ "fifo", AE_IFIFO },
	};
	static const struct te l2[] = {
		{ ".wh.b", AE_IFREG },
		{ ".wh.d", AE_IFREG },
		{ "./.wh..wh..opq", AE_IFREG },     /* the unit_dir: hides all of layer 1... */
		{ "a", 0, "a" },                    /* ...so this link has no target */
	};
	static const struct te l2ok[] = {
		{ ".wh.b", AE_IFREG },
		{ ".wh.d", AE_IFREG },
	};
	const struct te *layers[] = { l1, l2ok };
	size_t counts[] = { 5, 2 };
	struct bs_error err = { 0 };
	struct bs_oci_image *img;

	(void)state;
	img = flatten(make_image(layers, counts, 2), 0, &err);
	assert_non_null(img);
	assert_int_equal(bs_tree_inode_stat(at(img, "a"))->nlink, 1);
	assert_true(S_ISCHR(bs_tree_inode_stat(at(img, "dev/null"))->mode));
	assert_true(S_ISFIFO(bs_tree_inode_stat(at(img, "fifo"))->mode));
	bs_oci_image_free(img);

	layers[1] = l2;
	counts[1] = 4;
	assert_null(flatten(make_image(layers, counts, 2), 0, &err));
	assert_non_null(strstr(err.message, "hardlink to 'a', which does not exist"));
}

static void test_hostile(void **state)
{
	static const struct te dotdot[] = { { "dir/../../x", AE_IFREG, "x" } };
	static const struct te through_symlink[] = { { "sym/x", AE_IFREG, "x" } };
	static const struct te through_file[] = { { "file/x", AE_IFREG, "x" } };
	static const struct te link_dir[] = { { "l", 0, "dir" } };
	static const struct te link_missing[] = { { "l", 0, "nope" } };
	static const struct te link_symlink_parent[] = { { "l", 0, "sym/x" } };

	(void)state;
	expect_reject(dotdot, 1, "'..'");
	expect_reject(through_symlink, 1, "through the symlink 'sym'");
	expect_reject(through_file, 1, "through the non-directory 'file'");
	expect_reject(link_dir, 1, "hardlink to the directory 'dir'");
	expect_reject(link_missing, 1, "hardlink to 'nope', which does not exist");
	expect_reject(link_symlink_parent, 1, "through the symlink");
}

static void test_capture(void **state)
{
	static const struct te l1[] = {
		{ "usr/lib/os-release", AE_IFREG, "ID=old\n" },
		{ "boot/vmlinuz", AE_IFREG, NULL, 300000 },
		{ "etc/gone", AE_IFREG, "x" },
		{ "etc/other", AE_IFREG, "not captured" },
		{ "usr/share/big", AE_IFREG, NULL, 200000 },
		{ "usr/share/big-link", 0, "usr/share/big" },
	};
	static const struct te l2[] = {
		{ "usr/lib/os-release", AE_IFREG, "ID=new\n" },
		{ "etc/.wh.gone", AE_IFREG },
	};
	const struct te *layers[] = { l1, l2 };
	size_t counts[] = { 6, 2 };
	struct bs_error err = { 0 };
	struct bs_oci_image *img;
	const uint8_t *data;
	size_t len;

	(void)state;
	/* 1000 bytes in memory at most: the kernel goes to a temp file. */
	img = flatten(make_image(layers, counts, 2), 1000, &err);
	assert_non_null(img);
	assert_int_equal(bs_oci_image_file(img, "usr/lib/os-release", &data, &len, &err), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "ID=new\n", 7);
	assert_int_equal(bs_oci_image_file(img, "/boot/vmlinuz", &data, &len, &err), 0);
	assert_int_equal(len, 300000);
	assert_int_equal(data[299999], (uint8_t)(299999 * 7 + 3));
	assert_int_equal(bs_oci_image_file(img, "etc/gone", &data, &len, NULL), -ENOENT);
	/* Not captured: inline bytes from the tree, others read again from their layer. */
	assert_int_equal(bs_oci_image_file(img, "etc/other", &data, &len, &err), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(data, "not captured", 12);
	assert_int_equal(bs_oci_image_file(img, "usr/share/big-link", &data, &len, &err), 0);
	assert_int_equal(len, 200000);
	assert_int_equal(data[123456], (uint8_t)(123456 * 7 + 3));
	assert_int_equal(bs_oci_image_file(img, "usr/share", &data, &len, NULL), -EINVAL);

	/* Replacing content: the tree's digest and the captured bytes follow. */
	uint8_t signed_kernel[1000];
	memset(signed_kernel, 0x5a, sizeof(signed_kernel));
	assert_int_equal(bs_oci_image_set_file(img, "boot/vmlinuz", signed_kernel, sizeof(signed_kernel), &err), 0);
	assert_int_equal(bs_oci_image_file(img, "boot/vmlinuz", &data, &len, &err), 0);
	assert_int_equal(len, 1000);
	assert_int_equal(bs_tree_inode_stat(at(img, "boot/vmlinuz"))->size, 1000);
	bs_oci_image_free(img);
}

static void test_write_round_trip(void **state)
{
	static const struct te l1[] = {
		{ "usr/bin/big", AE_IFREG, NULL, 70000, .xattr = "user.k=v" },
		{ "usr/bin/hl", 0, "usr/bin/big" },
		{ "boot/", AE_IFDIR, .mode = 0700, .mtime = 9 },
		{ "etc/small", AE_IFREG, "s" },
	};
	const struct te *layers[] = { l1 };
	size_t counts[] = { 4 };
	const struct bs_oci_file extra[] = {
		{ "boot/EFI/Linux/6.1.efi", S_IFREG | 0644, 0, 0, 42, "UKI bytes", 9 },
	};
	const char *labels[] = { "containers.bootc=1" };
	struct bs_oci_write_options wo = { .extra = extra, .n_extra = 1, .labels = labels, .n_labels = 1 };
	struct bs_oci_write_result r1, r2;
	struct bs_error err = { 0 };
	struct bs_oci_image *img, *back;
	char dest[600], dest2[600];
	const uint8_t *a, *b;
	size_t alen, blen;

	(void)state;
	img = flatten(make_image(layers, counts, 1), 0, &err);
	assert_non_null(img);
	/* The caller's tree is its own: bootc-style edits do not reach the output... */
	assert_int_equal(bs_tree_dir_remove(bs_tree_root(bs_oci_image_tree(img)), "etc", 3), 0);
	bs_tree_inode_stat(at(img, "usr"))->mode = S_IFDIR | 0711;
	/* ...but replaced content does, in both trees. */
	uint8_t signed_bin[5000];
	memset(signed_bin, 0xa5, sizeof(signed_bin));
	assert_int_equal(bs_oci_image_set_file(img, "usr/bin/hl", signed_bin, sizeof(signed_bin), &err), 0);
	assert_int_equal(bs_tree_inode_stat(at(img, "usr/bin/big"))->size, 5000);
	snprintf(dest, sizeof(dest), "oci:%s/out:sealed", unit_dir);
	snprintf(dest2, sizeof(dest2), "oci-archive:%s/out.tar:sealed", unit_dir);
	wo.base = img;
	wo.dest = dest;
	assert_int_equal(bs_oci_write_image(&wo, &r1, &err), 0);
	wo.dest = dest2;
	assert_int_equal(bs_oci_write_image(&wo, &r2, &err), 0);
	assert_string_equal(r1.manifest_digest, r2.manifest_digest);

	assert_int_equal(bs_oci_image_open(dest2, &back, &err), 0);
	assert_int_equal(bs_oci_image_layer_count(back), 2);
	/* 0 is SHA-256, as everywhere a bs_hash_alg is taken. */
	assert_int_equal(bs_oci_image_flatten(back, NULL, NULL, &err), 0);
	bs_tree_inode_digest(at(back, "usr/bin/big"), &blen);
	assert_int_equal(blen, 32);
	bs_oci_image_free(back);
	back = NULL;
	assert_int_equal(bs_oci_image_open(dest2, &back, &err), 0);
	assert_int_equal(bs_oci_image_flatten(back, &(struct bs_oci_flatten_options){ .hash_alg = BS_COMPOSEFS_HASH },
					      NULL, &err), 0);
	assert_non_null(at(back, "boot/EFI/Linux/6.1.efi"));
	assert_non_null(at(back, "etc/small"));
	assert_int_equal(bs_tree_inode_stat(at(back, "usr"))->mode, S_IFDIR | 0755);
	assert_int_equal(bs_tree_inode_stat(at(back, "usr/bin/big"))->size, 5000);
	/* the parent the base had keeps its metadata in layer 2 */
	assert_int_equal(bs_tree_inode_stat(at(back, "boot"))->mode, S_IFDIR | 0700);
	assert_int_equal(bs_tree_inode_stat(at(back, "boot/EFI"))->mtime_sec, 0);
	a = bs_tree_inode_digest(at(img, "usr/bin/big"), &alen);
	b = bs_tree_inode_digest(at(back, "usr/bin/big"), &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_ptr_equal(at(back, "usr/bin/big"), at(back, "usr/bin/hl"));
	assert_int_equal(bs_tree_inode_xattr_count(at(back, "usr/bin/big")), 1);
	assert_non_null(strstr((const char *)bs_oci_image_config_json(back, &alen), "\"containers.bootc\":\"1\""));
	bs_oci_image_free(back);
	bs_oci_image_free(img);
}

/* Issue 16: names are bytes. UTF-8 (é, ő; é decomposed, which libarchive
 * recomposes when it translates to a UTF-8 locale), a lone Latin-1 byte,
 * invalid UTF-8, a name and link targets past the 100 bytes of a ustar field. */
#define L110 "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
static const struct te names_layer[] = {
	{ "n/F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.crt", AE_IFREG, "a" },
	{ "n/nfd-e\xcc\x81", AE_IFREG, "b" },
	{ "n/lat\xe9", AE_IFREG, "c" },
	{ "n/bad\xff\xc3", AE_IFREG, "d" },
	{ "n/" L110 "\xe9\xff", AE_IFREG, "e" },
	{ "n/lnk", AE_IFLNK, "t\xff\xc3\xe9" },
	{ "n/long-lnk", AE_IFLNK, L110 "\xff" },
	{ "n/hard\xe9", 0, "n/" L110 "\xe9\xff" },
	{ "n/d\xe9\xff/", AE_IFDIR },
	{ "n/d\xe9\xff/f\xc3", AE_IFREG, "f" },
};
#define N_NAMES (sizeof(names_layer) / sizeof(names_layer[0]))

static void expect_names(struct bs_oci_image *img)
{
	size_t len;

	for (size_t i = 0; i < N_NAMES; i++) {
		char path[PATH_MAX];
		size_t n = (size_t)snprintf(path, sizeof(path), "%s", names_layer[i].name);

		if (path[n - 1] == '/')
			path[n - 1] = 0;
		assert_non_null(at(img, path));
	}
	assert_null(at(img, "n/nfd-\xc3\xa9"));
	assert_string_equal(bs_tree_inode_payload(at(img, "n/lnk"), &len), "t\xff\xc3\xe9");
	assert_string_equal(bs_tree_inode_payload(at(img, "n/long-lnk"), &len), L110 "\xff");
	assert_ptr_equal(at(img, "n/hard\xe9"), at(img, "n/" L110 "\xe9\xff"));
	assert_int_equal(bs_tree_inode_stat(at(img, "n/hard\xe9"))->nlink, 2);
}

/* Does a blob of the layout hold these bytes? */
static int blob_has(const char *layout, const char *needle, size_t len)
{
	static char buf[1 << 20];
	char dir[700], path[1000];
	struct dirent *d;
	DIR *dh;
	int found = 0;

	snprintf(dir, sizeof(dir), "%s/blobs/sha256", layout);
	assert_non_null(dh = opendir(dir));
	while (!found && (d = readdir(dh))) {
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (d->d_name[0] == '.' || !(f = fopen(path, "rb")))
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		found = memmem(buf, n, needle, len) != NULL;
	}
	closedir(dh);
	return found;
}

/* Flattens ref, writes it as an uncompressed layout, reads that back. */
static void write_names(const char *ref, const char *name, struct bs_oci_write_result *res)
{
	struct bs_oci_write_options wo = { .compression = BS_OCI_UNCOMPRESSED };
	struct bs_error err = { 0 };
	struct bs_oci_image *img, *back;
	char dest[600];

	assert_non_null(img = flatten(ref, 0, &err));
	expect_names(img);
	snprintf(dest, sizeof(dest), "oci:%s/%s:t", unit_dir, name);
	wo.base = img;
	wo.dest = dest;
	assert_int_equal(bs_oci_write_image(&wo, res, &err), 0);
	assert_non_null(back = flatten(dest, 0, &err));
	expect_names(back);
	bs_oci_image_free(back);
	bs_oci_image_free(img);
}

static void test_names(void **state)
{
	static const char lat[] = "21 hdrcharset=BINARY\n15 path=n/lat\xe9\n";
	const struct te *layers[] = { names_layer };
	size_t counts[] = { N_NAMES };
	struct bs_oci_write_result res;
	char layout[600];

	(void)state;
	write_names(make_image(layers, counts, 1), "names", &res);
	/* A PAX path record with the raw bytes, marked as such (POSIX pax). */
	snprintf(layout, sizeof(layout), "%s/names", unit_dir);
	assert_true(blob_has(layout, lat, sizeof(lat) - 1));
}

/* A program using the library may have called setlocale(LC_ALL, ""): names
 * still read and write as bytes, and the image is the one the C locale
 * gives. The input is made under C.UTF-8, so its UTF-8 names are in PAX
 * records without hdrcharset, as Go's tar writes them. */
static void test_names_any_locale(void **state)
{
	const struct te *layers[] = { names_layer };
	size_t counts[] = { N_NAMES };
	struct bs_oci_write_result in_c, in_utf8;
	const char *ref;

	(void)state;
	if (!setlocale(LC_ALL, "C.UTF-8"))
		fail_msg("no C.UTF-8 locale");
	ref = make_image(layers, counts, 1);
	write_names(ref, "names-utf8", &in_utf8);
	setlocale(LC_ALL, "C");
	write_names(ref, "names-c", &in_c);
	assert_string_equal(in_c.manifest_digest, in_utf8.manifest_digest);
}

static void test_refs(void **state)
{
	struct bs_oci_ref r;
	struct bs_error err = { 0 };

	(void)state;
	assert_int_equal(bs_oci_ref_parse("oci:/a/b:tag", &r, &err), 0);
	assert_int_equal(r.kind, BS_OCI_REF_LAYOUT);
	assert_string_equal(r.path, "/a/b");
	assert_string_equal(r.tag, "tag");
	bs_oci_ref_clear(&r);
	assert_int_equal(bs_oci_ref_parse("dir:/x:y", &r, &err), 0);
	assert_int_equal(r.kind, BS_OCI_REF_DIR);
	assert_string_equal(r.path, "/x:y");
	assert_null(r.tag);
	bs_oci_ref_clear(&r);
	assert_int_equal(bs_oci_ref_parse("docker://x", &r, &err), -EINVAL);
	assert_int_equal(bs_oci_ref_parse("oci:x:", &r, NULL), -EINVAL);
}

UNIT_TESTS(unit_dir_setup, unit_dir_teardown,
	cmocka_unit_test(test_refs),
	cmocka_unit_test(test_whiteouts_and_parents),
	cmocka_unit_test(test_files_and_links),
	cmocka_unit_test(test_links_after_whiteout),
	cmocka_unit_test(test_hostile),
	cmocka_unit_test(test_capture),
	cmocka_unit_test(test_write_round_trip),
	cmocka_unit_test(test_names),
	cmocka_unit_test(test_names_any_locale))
