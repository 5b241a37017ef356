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

#include <bootseal/kargs.h>

static char root[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/usr/lib/bootc/kargs.d/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_dir(const char *arch, int *r, struct bs_error *err)
{
	char *c = NULL;

	bs_error_clear(err);
	*r = bs_kargs_read_dir(root, arch, &c, err);
	return c;
}

static int setup(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/bootseal-kargs.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/usr/lib/bootc/kargs.d", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_files_in_order),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_append),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
