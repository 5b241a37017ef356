/* SPDX-License-Identifier: MIT */
/*
 * The dump parser against the peers' vectors: composefs-rs's simple tree
 * (tests/vectors/composefs-rs/README.md describes every field) and the C
 * should-fail inputs, which C mkcomposefs v1.0.8 rejects.
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

#include <bootseal/dump.h>
#include <bootseal/tree.h>

#include "util.h"

#define RS "../vectors/composefs-rs/"
#define CV "../vectors/composefs-c/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct bs_tree *parse_file(const char *path)
{
	struct bs_error err = { 0 };
	struct bs_tree *tree = NULL;
	size_t len;
	char *buf = slurp(path, &len);
	int r = bs_dump_parse(buf, len, path, &tree, &err);

	if (r < 0)
		fail_msg("%s: %s", err.path, err.message);
	free(buf);
	return tree;
}

static struct bs_tree_inode *child(struct bs_tree *t, const char *name)
{
	struct bs_tree_inode *i = bs_tree_dir_lookup(bs_tree_root(t), name, strlen(name));

	assert_non_null(i);
	return i;
}

static void simple_tree(void **state)
{
	struct bs_tree *t = parse_file(RS "simple.dump");
	struct bs_tree_inode *i;
	const uint8_t *p;
	const char *s;
	size_t len;

	(void)state;
	assert_int_equal(bs_tree_dir_count(bs_tree_root(t)), 7);
	assert_int_equal(bs_tree_inode_stat(bs_tree_root(t))->mode, S_IFDIR | 0755);

	i = child(t, "regular-external");
	assert_int_equal(bs_tree_inode_stat(i)->mode, S_IFREG);
	assert_int_equal(bs_tree_inode_stat(i)->size, 1234);
	p = bs_tree_inode_digest(i, &len);
	assert_int_equal(len, 32);
	for (size_t k = 0; k < 32; k++)
		assert_int_equal(p[k], 0x5a);
	s = bs_tree_inode_payload(i, &len);
	assert_int_equal(len, 3 + 62);         /* "5a/" + the other 31 digest bytes */
	assert_memory_equal(s, "5a/5a5a", 7);
	assert_null(bs_tree_inode_content(i, &len));

	i = child(t, "regular-inline");
	p = bs_tree_inode_content(i, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "hihi", 4);

	i = child(t, "symlink");
	s = bs_tree_inode_payload(i, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(s, "/target", 7);
	assert_int_equal(bs_tree_inode_stat(i)->size, 7);

	assert_int_equal(bs_tree_inode_stat(child(t, "chrdev"))->rdev, 123);
	assert_int_equal(bs_tree_inode_stat(child(t, "blkdev"))->mode, S_IFBLK);
	assert_int_equal(bs_tree_inode_stat(child(t, "fifo"))->mode, S_IFIFO);
	assert_int_equal(bs_tree_inode_stat(child(t, "socket"))->mode, S_IFSOCK);
	bs_tree_free(t);
}

/* special.dump was written by C composefs-info dump: parsing and writing it
 * again gives the same bytes, escapes included. */
static void special_round_trip(void **state)
{
	struct bs_tree *t = parse_file(CV "special.dump");
	char *out = NULL, *want;
	size_t out_len = 0, want_len;
	FILE *f = open_memstream(&out, &out_len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(bs_dump_write(t, f), 0);
	fclose(f);
	want = slurp(CV "special.dump", &want_len);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
	free(want);

	/* \n in an xattr value, \x escapes in inline content */
	{
		struct bs_tree_inode *i = child(t, "escaped-xattr");
		const char *key;
		const uint8_t *value;
		size_t klen, vlen;

		assert_int_equal(bs_tree_inode_xattr_count(i), 3);
		bs_tree_inode_xattr(i, 0, &key, &klen, &value, &vlen);
		assert_string_equal(key, "trusted.overlay.redirect");
		assert_int_equal(vlen, 5);
		assert_memory_equal(value, "/foo\n", 5);
		i = child(t, "inline");
		value = bs_tree_inode_content(i, &vlen);
		assert_int_equal(vlen, 15);
		assert_memory_equal(value, "FOOBAR\nINAFILE\n", 15);
	}
	bs_tree_free(t);
}

/* Issue 16: a name is bytes. UTF-8, a lone Latin-1 byte and invalid UTF-8,
 * in names and a symlink target, are \xNN in the dump (as C composefs
 * writes them), parsed to the raw bytes and written back the same. */
static void names_round_trip(void **state)
{
	static const char dump[] =
		"/ 4096 40755 3 0 0 0 0.0 - - -\n"
		"/caf\\xc3\\xa9 1 100644 1 0 0 0 0.0 - a -\n"
		"/d\\xe9\\xff 4096 40755 2 0 0 0 0.0 - - -\n"
		"/d\\xe9\\xff/f\\xc3 1 100644 1 0 0 0 0.0 - b -\n"
		"/lat\\xe9 4 120777 1 0 0 0 0.0 t\\xff\\xc3\\xe9 - -\n";
	struct bs_tree *t = NULL;
	char *out = NULL;
	size_t out_len = 0, len;
	FILE *f;

	(void)state;
	assert_int_equal(bs_dump_parse(dump, strlen(dump), "x", &t, NULL), 0);
	assert_non_null(child(t, "caf\xc3\xa9"));
	assert_non_null(bs_tree_lookup_path(t, "d\xe9\xff/f\xc3"));
	assert_string_equal(bs_tree_inode_payload(child(t, "lat\xe9"), &len), "t\xff\xc3\xe9");
	assert_int_equal(len, 4);
	assert_non_null(f = open_memstream(&out, &out_len));
	assert_int_equal(bs_dump_write(t, f), 0);
	fclose(f);
	assert_int_equal(out_len, strlen(dump));
	assert_memory_equal(out, dump, out_len);
	free(out);
	bs_tree_free(t);
}

static void hardlinks(void **state)
{
	static const char dump[] =
		"/ 4096 40755 2 0 0 0 0.0 - - -\n"
		"/a 0 @100644 0 0 0 0 0.0 /b - -\n"
		"/b 0 100644 2 0 0 0 0.0 - - -\n";
	struct bs_tree *t = NULL;

	(void)state;
	assert_int_equal(bs_dump_parse(dump, strlen(dump), "x", &t, NULL), 0);
	assert_ptr_equal(child(t, "a"), child(t, "b"));
	assert_int_equal(bs_tree_link_count(child(t, "b")), 2);
	assert_int_equal(bs_tree_inode_stat(child(t, "b"))->nlink, 2);
	bs_tree_free(t);
}

/* Links to links, listed before what they point at and with extra slashes,
 * all land on the file; a cycle is an error. */
static void hardlink_chains(void **state)
{
	static const char chain[] =
		"/ 4096 40755 2 0 0 0 0.0 - - -\n"
		"/a 0 @100644 0 0 0 0 0.0 /b - -\n"
		"/b 0 @100644 0 0 0 0 0.0 //d//c - -\n"
		"/d 4096 40755 2 0 0 0 0.0 - - -\n"
		"/d/c 0 @100644 0 0 0 0 0.0 e - -\n"
		"/e 0 100644 4 0 0 0 0.0 - - -\n";
	static const char cycle[] =
		"/ 4096 40755 2 0 0 0 0.0 - - -\n"
		"/f 0 100644 1 0 0 0 0.0 - - -\n"
		"/x 0 @100644 0 0 0 0 0.0 /y - -\n"
		"/y 0 @100644 0 0 0 0 0.0 /x - -\n";
	struct bs_tree *t = NULL;
	struct bs_error err = { 0 };

	(void)state;
	assert_int_equal(bs_dump_parse(chain, strlen(chain), "x", &t, NULL), 0);
	assert_ptr_equal(child(t, "a"), child(t, "e"));
	assert_ptr_equal(child(t, "b"), child(t, "e"));
	assert_int_equal(bs_tree_link_count(child(t, "e")), 4);
	bs_tree_free(t);
	t = NULL;
	assert_int_equal(bs_dump_parse(cycle, strlen(cycle), "x", &t, &err), -EINVAL);
	assert_non_null(strstr(err.message, "hardlink cycle"));
	assert_null(t);
}

/* C composefs-info dump prints times before 1970 signed ("%" PRIi64). */
static void negative_mtime(void **state)
{
	static const char dump[] = "/ 4096 40755 2 0 0 0 -3.5 - - -\n";
	struct bs_tree *t = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(bs_dump_parse(dump, strlen(dump), "x", &t, NULL), 0);
	assert_int_equal(bs_tree_inode_stat(bs_tree_root(t))->mtime_sec, -3);
	assert_int_equal(bs_tree_inode_stat(bs_tree_root(t))->mtime_nsec, 5);
	f = open_memstream(&out, &len);
	assert_int_equal(bs_dump_write(t, f), 0);
	fclose(f);
	assert_string_equal(out, dump);
	free(out);
	bs_tree_free(t);
}

struct rejected {
	const char *file;
	int line;
	const char *what;
};

/* Every C should-fail input, with the line and the problem we report. */
static const struct rejected rejected[] = {
	{ "should-fail-big-inline.dump", 2, "exceeds 5000" },
	{ "should-fail-dir-hardlink.dump", 2, "directories cannot be hardlinked" },
	{ "should-fail-dot-name.dump", 2, "invalid . or .." },
	{ "should-fail-dotdot-name.dump", 2, "invalid . or .." },
	{ "should-fail-empty-link-name.dump", 2, "has no target" },
	{ "should-fail-empty-name.dump", 2, "empty file name" },
	{ "should-fail-empty-xattr-key.dump", 2, "xattr name" },
	{ "should-fail-honggfuzz-long-xattr.dump", 1, "exceed 32767" },
	{ "should-fail-long-link.dump", 2, "too long" },
	{ "should-fail-long-xattr-key.dump", 2, "too many xattrs" },
	{ "should-fail-long-xattr-value.dump", 2, "no valid file type" },
	{ "should-fail-no-ftype.dump", 2, "no valid file type" },
	{ "should-fail-self-hardlink.dump", 2, "points at itself" },
	{ "should-fail-too-big.dump", 2, "too big" },
};

static void should_fail(void **state)
{
	(void)state;
	for (size_t i = 0; i < BS_ARRAY_SIZE(rejected); i++) {
		char path[256], prefix[32];
		struct bs_error err = { 0 };
		struct bs_tree *t = NULL;
		size_t len;
		char *buf;

		snprintf(path, sizeof(path), CV "%s", rejected[i].file);
		buf = slurp(path, &len);
		assert_int_equal(bs_dump_parse(buf, len, path, &t, &err), -EINVAL);
		assert_null(t);
		assert_string_equal(err.path, path);
		snprintf(prefix, sizeof(prefix), "line %d: ", rejected[i].line);
		if (strncmp(err.message, prefix, strlen(prefix)) || !strstr(err.message, rejected[i].what))
			fail_msg("%s: %s", rejected[i].file, err.message);
		free(buf);
	}
}

static void bad_fields(void **state)
{
	static const char *const bad[] = {
		"/ 4096 40755 2 0 0 0 0 - - -\n",                  /* mtime without nsec */
		"/ 4096 40755 2 0 0 0 -.0 - - -\n",               /* sign without digits */
		"/ 4096 40755 2 0 0 x 0.0 - - -\n",                /* rdev */
		"/ 4096 40755 2 0 0 0 0.0 - - - user.a\n",         /* xattr without = */
		"/ 4096 40755 2 0 0 0 0.0 - - - user.a=\\q\n",     /* unknown escape */
		"/ 4096 40755 2 0 0 0 0.0 - - - user.a=\\x4\n",    /* short hex escape */
		"/a 0 100644 1 0 0 0 0.0 - - -\n",                 /* no root first */
		"/ 4096 100644 1 0 0 0 0.0 - - -\n",               /* root not a directory */
		"/ 4096 40755 2 0 0 0 0.0 - - -\n/f 3 100644 1 0 0 0 0.0 - ab -\n", /* size */
		"/ 4096 40755 2 0 0 0 0.0 - - -\n/f 3 100644 1 0 0 0 0.0 - - 12\n", /* digest */
		"/ 4096 40755 2 0 0 0 0.0 - - -\n/d/f 3 100644 1 0 0 0 0.0 - - -\n", /* parent */
		"/ 4096 40755 2 0 0 0 0.0 - - -\n/a 0 @100644 1 0 0 0 0.0 /b - -\n", /* no target */
	};
	(void)state;
	for (size_t i = 0; i < BS_ARRAY_SIZE(bad); i++) {
		struct bs_error err = { 0 };
		struct bs_tree *t = NULL;

		if (bs_dump_parse(bad[i], strlen(bad[i]), "in", &t, &err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err.message, "line "));
	}
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(simple_tree),
	cmocka_unit_test(special_round_trip),
	cmocka_unit_test(names_round_trip),
	cmocka_unit_test(hardlinks),
	cmocka_unit_test(hardlink_chains),
	cmocka_unit_test(negative_mtime),
	cmocka_unit_test(should_fail),
	cmocka_unit_test(bad_fields))
