/* SPDX-License-Identifier: MIT */
/*
 * Expected command lines are the ones bootc's own tests pin
 * (crates/lib/src/bootc_kargs.rs tests and its kernel command line crate):
 * architecture matching, file order, unknown keys, de-duplication.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/kargs.h>
#include <bootseal/rootfs.h>

static void put(const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/usr/lib/bootc/kargs.d/%s", unit_dir, name);
	unit_write_text(path, text);
}

/* kargs.d read from the directory, and the same files read from a tree
 * (the way seal reads an image's): both give one answer. */
static char *read_dir(const char *arch, int *r, struct bs_error *err)
{
	struct bs_rootfs_options opts = { .jobs = 1 };
	struct bs_content_source src = { bs_rootfs_read_file, unit_dir };
	struct bs_error tree_err = { 0 };
	struct bs_tree *tree = NULL;
	char *c = NULL, *t = NULL;

	bs_error_clear(err);
	*r = bs_kargs_read_dir(unit_dir, arch, &c, err);
	assert_int_equal(bs_rootfs_read(unit_dir, &opts, &tree, NULL, NULL), 0);
	assert_int_equal(bs_kargs_read_tree(tree, &src, arch, "image", &t, &tree_err), *r);
	if (c)
		assert_string_equal(t, c);
	else
		assert_null(t);
	assert_string_equal(tree_err.message, err->message);
	assert_true(!tree_err.code || strncmp(tree_err.path, "image: usr/lib/bootc/kargs.d/", 29) == 0);
	free(t);
	bs_tree_free(tree);
	return c;
}

static void test_arch(void **state)
{
	struct bs_error err;
	char *c;
	int r;

	(void)state;
	put("01-a.toml", "kargs = [\"console=tty0\", \"nosmt\"]");
	c = read_dir("aarch64", &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(c, "console=tty0 nosmt");
	free(c);

	put("01-a.toml", "kargs = [\"console=tty0\", \"nosmt\"]\nmatch-architectures = [\"x86_64\"]\n");
	c = read_dir("aarch64", &r, &err);
	assert_string_equal(c, "");
	free(c);
	c = read_dir("x86_64", &r, &err);
	assert_string_equal(c, "console=tty0 nosmt");
	free(c);

	put("01-a.toml", "kargs = [\"console=tty0\", \"nosmt\"]\nmatch-architectures = [\"x86_64\", \"aarch64\"]\n");
	c = read_dir("aarch64", &r, &err);
	assert_string_equal(c, "console=tty0 nosmt");
	free(c);
}

static void test_files_in_order(void **state)
{
	struct bs_error err;
	char *c;
	int r;

	(void)state;
	put("somegarbage", "garbage");           /* not .toml: ignored */
	put("02-bar.toml", "kargs = [\"console=ttyS1\"]");
	put("01-a.toml", "kargs = [\"console=tty0\", \"nosmt\"]");
	c = read_dir("x86_64", &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(c, "console=tty0 nosmt console=ttyS1");
	free(c);
	/* Multi-line arrays, comments, literal strings, trailing comma. */
	put("03-c.toml", "# comment\nkargs = [\n  'quiet',  # why\n  \"nosmt\",\n]\n");
	c = read_dir("x86_64", &r, &err);
	assert_string_equal(c, "console=tty0 nosmt console=ttyS1 quiet");
	free(c);
}

static void test_invalid(void **state)
{
	struct bs_error err;
	char *c;
	int r;

	(void)state;
	put("01-a.toml", "kargs = [\"console=tty0\", \"nosmt\"]\nfoo=bar");
	c = read_dir("x86_64", &r, &err);
	assert_int_equal(r, -EINVAL);
	assert_null(c);
	assert_non_null(strstr(err.message, "unknown key"));
	put("01-a.toml", "foo=bar");
	c = read_dir("x86_64", &r, &err);
	assert_int_equal(r, -EINVAL);
	put("01-a.toml", "match-architectures = [\"x86_64\"]\n");
	c = read_dir("x86_64", &r, &err);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err.message, "missing field `kargs`");
	put("01-a.toml", "kargs = [\"unterminated]\n");
	c = read_dir("x86_64", &r, &err);
	assert_int_equal(r, -EINVAL);
	put("01-a.toml", "kargs = [\"a\"]");
}

static void test_append(void **state)
{
	char *c = NULL;

	(void)state;
	assert_int_equal(bs_kargs_append(&c, "console=tty0 nosmt"), 0);
	/* Equal parameters are not repeated; '-' and '_' in keys are the same. */
	assert_int_equal(bs_kargs_append(&c, "nosmt console=tty0 console=ttyS1"), 0);
	assert_string_equal(c, "console=tty0 nosmt console=ttyS1");
	assert_int_equal(bs_kargs_append(&c, "rd.foo_bar=1 rd.foo-bar=1 rd.foo-bar=2"), 0);
	assert_string_equal(c, "console=tty0 nosmt console=ttyS1 rd.foo_bar=1 rd.foo-bar=2");
	/* Quoted values keep their spaces and compare without the quotes. */
	assert_int_equal(bs_kargs_append(&c, "  opt=\"a b\"   opt=\"a b\" opt=a"), 0);
	assert_string_equal(c, "console=tty0 nosmt console=ttyS1 rd.foo_bar=1 rd.foo-bar=2 opt=\"a b\" opt=a");
	/* A switch and an empty value differ. */
	assert_int_equal(bs_kargs_append(&c, "ro ro= ro"), 0);
	assert_string_equal(c, "console=tty0 nosmt console=ttyS1 rd.foo_bar=1 rd.foo-bar=2 opt=\"a b\" opt=a ro ro=");
	free(c);
}

/*
 * An open quote swallows what is appended after it, so the last parameter
 * grows: bootc re-reads the line each time and sees `a="x b`, never `b`, and
 * the one-pass merge must too (it was checked against the re-reading one on
 * random lines of quotes, '=', '-', '_' and spaces).
 */
static void test_append_open_quote(void **state)
{
	char *c = NULL;

	(void)state;
	assert_int_equal(bs_kargs_append(&c, "k a=\"x"), 0);
	assert_int_equal(bs_kargs_append(&c, "b"), 0);
	assert_int_equal(bs_kargs_append(&c, "b k"), 0);
	assert_string_equal(c, "k a=\"x b b");
	/* `c"d e k` is one parameter of what is appended (its quote is open),
	 * so it is new; in the line its quote closes the open one. */
	assert_int_equal(bs_kargs_append(&c, "c\"d e k"), 0);
	assert_string_equal(c, "k a=\"x b b c\"d e k");
	/* Now `e` and `k` stand alone in the line, and are there already. */
	assert_int_equal(bs_kargs_append(&c, "e k f"), 0);
	assert_string_equal(c, "k a=\"x b b c\"d e k f");
	free(c);
}

/* COMMAND_LINE_SIZE counts the NUL: 2047 bytes fit x86_64, 1023 riscv64. */
static void test_size(void **state)
{
	char line[2049];
	struct bs_error err = { 0 };

	(void)state;
	memset(line, 'a', sizeof(line));
	line[2047] = '\0';
	assert_int_equal(bs_kargs_check_size(line, "x86_64", "img", &err), 0);
	assert_int_equal(bs_kargs_check_size(line, "aarch64", "img", &err), 0);
	assert_int_equal(bs_kargs_check_size(line, "riscv64", "img", &err), -E2BIG);
	line[2047] = 'a';
	line[2048] = '\0';
	bs_error_clear(&err);
	assert_int_equal(bs_kargs_check_size(line, "x86_64", "img", &err), -E2BIG);
	assert_string_equal(err.message, "kernel command line of 2048 bytes; the x86_64 kernel keeps at most 2047 "
					 "(COMMAND_LINE_SIZE 2048) and drops the rest");
	line[1024] = '\0';
	bs_error_clear(&err);
	assert_int_equal(bs_kargs_check_size(line, "riscv64", "img", &err), -E2BIG);
	line[1023] = '\0';
	assert_int_equal(bs_kargs_check_size(line, "riscv64", "img", &err), 0);
}

/* ---- the composefs image of a command line ---- */

/*
 * The cases of composefs-rs 0fbc8533's cmdline.rs tests, for SHA-512 (the
 * type bootc's initramfs parses with), and its rules: composefs.digest=
 * first, the first of them with sha512, else the first composefs=.
 */
#define D128 "e3f270325b5cffd18dc0353d98f2e37d0346d57367838a8fa980932385aac047" \
	     "2839865a55998d8878c765c78ad4969e8a192fea9c44b73f0f84cbbc1456fb5f"
#define E128 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct bs_kargs_composefs karg;

static int composefs(const char *cmdline)
{
	struct bs_error err = { 0 };

	return bs_kargs_composefs(cmdline, strlen(cmdline), &karg, &err);
}

static void test_composefs_karg(void **state)
{
	(void)state;
	assert_int_equal(composefs("console=ttyS0 rw composefs=" D128 " quiet\n"), 0);
	assert_string_equal(karg.hex, D128);
	assert_int_equal(karg.insecure, 0);
	assert_int_equal(karg.version, 2);
	assert_int_equal(composefs("composefs=?" D128 "\n"), 0);
	assert_int_equal(karg.insecure, 1);
	/* The first one, as composefs-rs's get_cmdline_value. */
	assert_int_equal(composefs("composefs=?" D128 " composefs=" E128), 0);
	assert_string_equal(karg.hex, D128);
	assert_int_equal(karg.insecure, 1);
	/* composefs.digest= wins wherever it is (v1_takes_priority_over_v2). */
	assert_int_equal(composefs("composefs=" D128 " composefs.digest=v1-sha512-12:" E128), 0);
	assert_string_equal(karg.hex, E128);
	assert_int_equal(karg.version, 1);
	assert_int_equal(composefs("root=UUID=abc composefs.digest=?v2-sha512-12:" D128 " rw"), 0);
	assert_string_equal(karg.hex, D128);
	assert_int_equal(karg.version, 2);
	assert_int_equal(karg.insecure, 1);
	/* Another hash is another repository's: skipped (cross_type_rejection). */
	assert_int_equal(composefs("composefs.digest=v1-sha256-12:" D64 " composefs.digest=v1-sha512-12:" D128), 0);
	assert_string_equal(karg.hex, D128);
	assert_int_equal(composefs("composefs.digest=v1-sha256-12:" D64 " composefs=" E128), 0);
	assert_string_equal(karg.hex, E128);
	assert_int_equal(composefs("composefs.digest=v1-sha256-12:" D64), -ENOENT);
	/* hex::decode takes either case; images/ names are lower case. */
	assert_int_equal(composefs("composefs=E3F270325B5CFFD18DC0353D98F2E37D0346D57367838A8FA980932385AAC047"
				   "2839865A55998D8878C765C78AD4969E8A192FEA9C44B73F0F84CBBC1456FB5F"), 0);
	assert_string_equal(karg.hex, D128);
	/* Rust's u8 parse of the block size takes "+12" and "012". */
	assert_int_equal(composefs("composefs.digest=v1-sha512-+12:" D128), 0);
	assert_int_equal(composefs("composefs.digest=v1-sha512-012:" D128), 0);
	/* Inside double quotes a space does not end a parameter. */
	assert_int_equal(composefs("x=\"a composefs=" E128 "\" composefs=" D128), 0);
	assert_string_equal(karg.hex, D128);
	/* A UKI's .cmdline ends at its NUL padding. */
	assert_int_equal(bs_kargs_composefs("composefs=" D128 "\0composefs.digest=v1-sha512-12:" E128,
					    11 + 128 + 1 + 30 + 128, &karg, NULL), 0);
	assert_string_equal(karg.hex, D128);
}

static void test_composefs_karg_bad(void **state)
{
	(void)state;
	assert_int_equal(composefs(""), -ENOENT);
	assert_int_equal(composefs("quiet splash rw"), -ENOENT);
	assert_int_equal(composefs("xcomposefs=" D128), -ENOENT);
	/* SHA-512 only: 64 digits are a SHA-256 digest, not bootc's. */
	assert_int_equal(composefs("composefs=" D64), -EINVAL);
	assert_int_equal(composefs("composefs=" D128 "0"), -EINVAL);
	assert_int_equal(composefs("composefs=notahex"), -EINVAL);
	assert_int_equal(composefs("composefs="), -EINVAL);
	assert_int_equal(composefs("composefs=??" D128), -EINVAL);
	/* A malformed composefs.digest= is an error, even with a good one after. */
	assert_int_equal(composefs("composefs.digest=" D128 " composefs=" D128), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v3-sha512-12:" D128), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha512-16:" D128), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha256-16:" D64), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha384-12:" D128), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha512:" D128), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha512-12:" D64), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha512-12:xyz"), -EINVAL);
	assert_int_equal(composefs("composefs.digest=v1-sha512-256:" D128), -EINVAL);
	assert_int_equal(composefs("composefs.digest=V1-sha512-12:" D128), -EINVAL);
}

/* The image never names the composefs image, however it spells it. */
static void test_no_composefs_from_image(void **state)
{
	static const char *const refused[] = {
		"composefs=abc", "quiet composefs=?abc", "composefs.digest=v1-sha512-12:ab",
		"rd.x=\"a composefs=?x\"", "a\vcomposefs=x", "\"composefs=x\"", "composefs.foo",
	};
	static const char *const allowed[] = {
		"quiet", "rd.composefs=1", "xcomposefs=1", "composefs", "root=composefs_x", "",
	};
	struct bs_error err;
	char *c;
	int r;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		bs_error_clear(&err);
		assert_int_equal(bs_kargs_check_no_composefs(refused[i], "p", "--karg", &err), -EINVAL);
		assert_non_null(strstr(err.message, "--karg may not name the composefs image"));
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
		assert_int_equal(bs_kargs_check_no_composefs(allowed[i], "p", "--karg", NULL), 0);

	/* Even for another architecture: the file is wrong wherever it applies. */
	put("01-a.toml", "kargs = [\"composefs=?abc\"]\nmatch-architectures = [\"aarch64\"]\n");
	c = read_dir("x86_64", &r, &err);
	assert_int_equal(r, -EINVAL);
	assert_null(c);
	assert_non_null(strstr(err.path, "kargs.d/01-a.toml"));
	assert_non_null(strstr(err.message, "a kargs.d file may not name the composefs image ('composefs=?abc')"));
	put("01-a.toml", "kargs = [\"a\"]");
}

UNIT_TESTS(unit_dir_setup, unit_dir_teardown,
	cmocka_unit_test(test_arch),
	cmocka_unit_test(test_files_in_order),
	cmocka_unit_test(test_invalid),
	cmocka_unit_test(test_append),
	cmocka_unit_test(test_append_open_quote),
	cmocka_unit_test(test_size),
	cmocka_unit_test(test_composefs_karg),
	cmocka_unit_test(test_composefs_karg_bad),
	cmocka_unit_test(test_no_composefs_from_image))
