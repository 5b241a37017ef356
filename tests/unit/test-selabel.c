/* SPDX-License-Identifier: MIT */
/* Expected labels follow composefs-rs selabel.rs's rules (last match wins,
 * typed specs, <<none>>, whole-path aliases), not our own output. */
#include <errno.h>
#include <fcntl.h>
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

#include <bootseal/rootfs.h>
#include <bootseal/selabel.h>

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", unit_dir, rel);
	unit_write_text(path, text);
}

static int setup(void **state)
{
	if (unit_dir_setup(state) < 0)
		return -1;
	put("etc/selinux/config", "# comment\nSELINUX=disabled\n selinuxtype = targeted \nSELINUXTYPE=other\n");
	put("etc/selinux/targeted/contexts/files/file_contexts",
	    "# header\n"
	    "\n"
	    "/.*\tsystem_u:object_r:default_t:s0\n"
	    "/usr(/.*)?\tsystem_u:object_r:usr_t:s0\n"
	    "/usr/bin(/.*)?\tsystem_u:object_r:bin_t:s0\n"
	    "/usr/bin/special\t--\tsystem_u:object_r:special_exec_t:s0\n"
	    "/usr/bin/special\t-l\tsystem_u:object_r:special_link_t:s0\n"
	    "/usr/lib64?/plain\tsystem_u:object_r:plain_t:s0\n"
	    "/usr/share/none\t<<none>>\n"
	    "/usr/bin(/.*)?\t-d\tsystem_u:object_r:bindir_t:s0\n");
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n");
	put("etc/selinux/targeted/contexts/files/file_contexts.homedirs",
	    "/usr/bin/local\tsystem_u:object_r:homedir_t:s0\n");
	put("etc/selinux/targeted/contexts/files/file_contexts.subs", "/opt /usr\n/alias /nowhere\n");
	put("etc/selinux/targeted/contexts/files/file_contexts.subs_dist", "/alias /usr/bin\n");
	return 0;
}

/* The policy is read from a tree, large files through a content source. */
static int load_policy(struct bs_selabel **sel, struct bs_error *err)
{
	struct bs_rootfs_options opts = { .jobs = 1 };
	struct bs_content_source src = { bs_rootfs_read_file, unit_dir };
	struct bs_tree *tree = NULL;
	int r;

	assert_int_equal(bs_rootfs_read(unit_dir, &opts, &tree, NULL, NULL), 0);
	r = bs_selabel_load(tree, &src, unit_dir, sel, err);
	bs_tree_free(tree);
	return r;
}

static struct bs_selabel *load(void)
{
	struct bs_selabel *sel = NULL;
	struct bs_error err = { 0 };

	assert_int_equal(load_policy(&sel, &err), 0);
	assert_non_null(sel);
	return sel;
}

#define LABEL(sel, path, type) bs_selabel_lookup(sel, path, strlen(path), type)

static void last_match_wins(void **state)
{
	struct bs_selabel *sel = load();

	(void)state;
	assert_string_equal(LABEL(sel, "/", 'd'), "system_u:object_r:default_t:s0");
	assert_string_equal(LABEL(sel, "/usr", 'd'), "system_u:object_r:usr_t:s0");
	assert_string_equal(LABEL(sel, "/usr/bin/ls", '-'), "system_u:object_r:bin_t:s0");
	/* The typed line after the untyped one wins for directories only. */
	assert_string_equal(LABEL(sel, "/usr/bin", 'd'), "system_u:object_r:bindir_t:s0");
	assert_string_equal(LABEL(sel, "/usr/bin/sub", 'd'), "system_u:object_r:bindir_t:s0");
	assert_string_equal(LABEL(sel, "/usr/bin/special", '-'), "system_u:object_r:special_exec_t:s0");
	assert_string_equal(LABEL(sel, "/usr/bin/special", 'l'), "system_u:object_r:special_link_t:s0");
	assert_string_equal(LABEL(sel, "/usr/bin/special", 'p'), "system_u:object_r:bin_t:s0");
	/* .homedirs is read after .local. */
	assert_string_equal(LABEL(sel, "/usr/bin/local", '-'), "system_u:object_r:homedir_t:s0");
	bs_selabel_free(sel);
}

static void regex_details(void **state)
{
	struct bs_selabel *sel = load();

	(void)state;
	/* "lib64?" makes the 4 optional: the literal-prefix shortcut must not require it. */
	assert_string_equal(LABEL(sel, "/usr/lib6/plain", '-'), "system_u:object_r:plain_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib64/plain", '-'), "system_u:object_r:plain_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/plain2", '-'), "system_u:object_r:usr_t:s0");
	/* '.' matches a newline in a name. */
	assert_string_equal(LABEL(sel, "/usr/bin/a\nb", '-'), "system_u:object_r:bin_t:s0");
	assert_null(LABEL(sel, "/usr/share/none", '-'));
	assert_string_equal(LABEL(sel, "/usr/share/none2", '-'), "system_u:object_r:usr_t:s0");
	bs_selabel_free(sel);
}

static void aliases(void **state)
{
	struct bs_selabel *sel = load();

	(void)state;
	assert_string_equal(bs_selabel_alias(sel, "/opt", 4), "/usr");
	/* Whole paths only, and .subs_dist overrides .subs. */
	assert_null(bs_selabel_alias(sel, "/opt/x", 6));
	assert_string_equal(bs_selabel_alias(sel, "/alias", 6), "/usr/bin");
	bs_selabel_free(sel);
}

static void policy_errors(void **state)
{
	struct bs_selabel *sel = NULL;
	struct bs_error err = { 0 };

	(void)state;
	put("etc/selinux/config", "SELINUXTYPE=missing\n");
	assert_int_equal(load_policy(&sel, &err), -ENOENT);
	assert_non_null(strstr(err.message, "the policy 'missing' named in etc/selinux/config"));
	put("etc/selinux/config", "SELINUX=enforcing\n");
	assert_int_equal(load_policy(&sel, NULL), 0);
	assert_null(sel);
	put("etc/selinux/config", "SELINUXTYPE=broken\n");
	put("etc/selinux/broken/contexts/files/file_contexts", "/a -x ctx\n");
	bs_error_clear(&err);
	assert_int_equal(load_policy(&sel, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "line 1: unknown file type '-x'"));
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
}

/*
 * (?u) specs: Unicode classes, '.' and folding match as bootc's regex-syntax
 * (Unicode 16.0.0) does; a Unicode word boundary stops bootc, and bootseal.
 */
static void unicode_specs(void **state)
{
	struct bs_selabel *sel = NULL;
	struct bs_error err = { 0 };

	(void)state;
	put("etc/selinux/config", "SELINUXTYPE=uni\n");
	put("etc/selinux/uni/contexts/files/file_contexts",
	    "/.*\tsystem_u:object_r:default_t:s0\n"
	    "/greek/(?u)\\p{Greek}+\tsystem_u:object_r:greek_t:s0\n"
	    "/word/(?u)\\w+\tsystem_u:object_r:word_t:s0\n"
	    "/fold/(?ui)k\\x{3c3}\tsystem_u:object_r:fold_t:s0\n"
	    "/one/(?u).\tsystem_u:object_r:one_t:s0\n");
	assert_int_equal(load_policy(&sel, &err), 0);
	assert_string_equal(LABEL(sel, "/greek/\xce\xb1\xce\xb2", '-'), "system_u:object_r:greek_t:s0");
	assert_string_equal(LABEL(sel, "/greek/ab", '-'), "system_u:object_r:default_t:s0");
	assert_string_equal(LABEL(sel, "/word/caf\xc3\xa9_1", '-'), "system_u:object_r:word_t:s0");
	assert_string_equal(LABEL(sel, "/word/caf\xe9", '-'), "system_u:object_r:default_t:s0");
	/* U+212A KELVIN SIGN and U+03A3 fold to k and U+03C3 */
	assert_string_equal(LABEL(sel, "/fold/\xe2\x84\xaa\xce\xa3", '-'), "system_u:object_r:fold_t:s0");
	assert_string_equal(LABEL(sel, "/one/\xf0\x9f\x98\x80", '-'), "system_u:object_r:one_t:s0");
	assert_string_equal(LABEL(sel, "/one/\xc3", '-'), "system_u:object_r:default_t:s0");
	bs_selabel_free(sel);
	put("etc/selinux/uni/contexts/files/file_contexts", "/a(?u)\\b\tsystem_u:object_r:a_t:s0\n");
	bs_error_clear(&err);
	assert_int_equal(load_policy(&sel, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "line 1: regex '/a(?u)\\b' has a Unicode word boundary"));
	put("etc/selinux/uni/contexts/files/file_contexts", "/(?P<\xc3\xa9>a)\tsystem_u:object_r:a_t:s0\n");
	bs_error_clear(&err);
	assert_int_equal(load_policy(&sel, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "names a capture group with non-ASCII characters"));
	bs_error_clear(&err);
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
}

/*
 * Lookups try only the specs whose literal prefix the path starts with (and
 * those no prefix rules out); the last matching spec in file order must
 * still win whatever the prefixes' lengths, including a later spec with a
 * shorter prefix, an alternation (no prefix), and a prefix that ends inside
 * a name or is longer than the path.
 */
static void prefix_index_keeps_file_order(void **state)
{
	struct bs_selabel *sel = NULL;

	(void)state;
	put("etc/selinux/config", "SELINUXTYPE=prefixes\n");
	put("etc/selinux/prefixes/contexts/files/file_contexts",
	    "/.*\tu:r:any_t:s0\n"
	    "/usr/lib/deep/er(/.*)?\tu:r:deep_t:s0\n"
	    "/usr/l.*\tu:r:usr_l_t:s0\n"
	    "/usr/lib/deep/er/most\tu:r:most_t:s0\n"
	    "(/usr/lib/alt|/nowhere)/x\tu:r:alt_t:s0\n"
	    "/usr/lib/al\tu:r:al_t:s0\n"
	    "/usr/lib/deep/er/most/but/longer/than/the/path\tu:r:long_t:s0\n"
	    "/usr/li(b|x)/typed\t-d\tu:r:typed_t:s0\n");
	assert_int_equal(load_policy(&sel, NULL), 0);
	assert_non_null(sel);
	/* /usr/l.* comes after deep_t's spec: it wins over the longer prefix. */
	assert_string_equal(LABEL(sel, "/usr/lib/deep/er/x", '-'), "u:r:usr_l_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/deep/er/most", '-'), "u:r:most_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/deep/er/most/but", '-'), "u:r:usr_l_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/alt/x", '-'), "u:r:alt_t:s0");
	assert_string_equal(LABEL(sel, "/nowhere/x", '-'), "u:r:alt_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/al", '-'), "u:r:al_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/alx", '-'), "u:r:usr_l_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/typed", 'd'), "u:r:typed_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lix/typed", 'd'), "u:r:typed_t:s0");
	assert_string_equal(LABEL(sel, "/usr/lib/typed", '-'), "u:r:usr_l_t:s0");
	assert_string_equal(LABEL(sel, "/usr", 'd'), "u:r:any_t:s0");
	assert_string_equal(LABEL(sel, "/", 'd'), "u:r:any_t:s0");
	assert_null(LABEL(sel, "", 'd'));
	bs_selabel_free(sel);
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
}

/* Where composefs-rs stops loading the policy, bootc stops: so must we. */
static void policy_errors_like_composefs_rs(void **state)
{
	static const struct {
		const char *file_contexts;
		const char *message;
	} cases[] = {
		{ "/a system_u:object_r:a_t:s0\n/b\xff system_u:object_r:b_t:s0\n", "not UTF-8" },
		/* A second field starting with '-' is a file type, never a context. */
		{ "/a -ctx_t\n", "unknown file type '-ctx_t'" },
		{ "/a -d\n", "line 1: no context after the file type '-d'" },
		/* Neither Rust's regex-syntax nor PCRE2 compiles it. */
		{ "/ok x_t\n/a( system_u:object_r:a_t:s0\n", "line 2: regex '/a(' does not compile" },
		{ "/a[ system_u:object_r:a_t:s0\n", "line 1: regex '/a[' does not compile" },
	};
	struct bs_selabel *sel = NULL;
	struct bs_error err = { 0 };

	(void)state;
	put("etc/selinux/config", "SELINUXTYPE=broken\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put("etc/selinux/broken/contexts/files/file_contexts", cases[i].file_contexts);
		bs_error_clear(&err);
		assert_int_equal(load_policy(&sel, &err), -EBADMSG);
		assert_null(sel);
		if (!strstr(err.message, cases[i].message))
			fail_msg("case %zu: %s", i, err.message);
	}
	/* Only the lines up to SELINUXTYPE= are read, and must be UTF-8. */
	put("etc/selinux/broken/contexts/files/file_contexts", "/.* a_t\n");
	put("etc/selinux/config", "# \xff\nSELINUXTYPE=broken\n");
	bs_error_clear(&err);
	assert_int_equal(load_policy(&sel, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "line 1 is not UTF-8"));
	put("etc/selinux/config", "SELINUXTYPE=broken\n# \xff\n");
	assert_int_equal(load_policy(&sel, NULL), 0);
	bs_selabel_free(sel);
	/* Only a file_contexts is mandatory. */
	put("etc/selinux/config", "SELINUXTYPE=nofc\n");
	put("etc/selinux/nofc/contexts/files/file_contexts.local", "/.* a_t\n");
	bs_error_clear(&err);
	assert_int_equal(load_policy(&sel, &err), -ENOENT);
	assert_non_null(strstr(err.message, "needs file_contexts"));
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
}

/* Fields are split, and config values trimmed, at Unicode whitespace as
 * Rust's split_whitespace and trim do; SELINUXTYPE is a path under
 * etc/selinux as Rust's Path reads it. */
static void rust_whitespace_and_paths(void **state)
{
	struct bs_selabel *sel = NULL;
	struct bs_error err = { 0 };

	(void)state;
	put("etc/selinux/config", "SELINUXTYPE\xc2\xa0=\xe3\x80\x80/./uni//\n");
	put("etc/selinux/uni/contexts/files/file_contexts",
	    "/.*\xc2\xa0-d\xe2\x80\x83" "dir_t\n/.*\xe2\x80\xa8--\tfile_t\xc2\x85\n");
	assert_int_equal(load_policy(&sel, &err), 0);
	assert_non_null(sel);
	assert_string_equal(LABEL(sel, "/x", 'd'), "dir_t");
	assert_string_equal(LABEL(sel, "/x", '-'), "file_t");
	bs_selabel_free(sel);
	put("etc/selinux/config", "SELINUXTYPE=./uni\n");
	assert_int_equal(load_policy(&sel, NULL), -EINVAL);
	put("etc/selinux/config", "SELINUXTYPE=uni/../uni\n");
	assert_int_equal(load_policy(&sel, NULL), -EINVAL);
	put("etc/selinux/config", "SELINUXTYPE=targeted\n");
}

/*
 * A spec that can match the empty string puts composefs-rs's lazy DFA in its
 * UTF-8 mode, where the match it finds (the first spec's, ending where
 * leftmost-first ends it) is none when it ends inside a character: then
 * only the specs left to PCRE2 are asked, the DFA's others not.
 */
static void utf8_empty_matches(void **state)
{
	struct bs_selabel *sel;

	(void)state;
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/x(?=\xc3\xa9).*\tsystem_u:object_r:pcre_t:s0\n"
	    "/x.*\tsystem_u:object_r:dfa_t:s0\n"
	    "/x.)|()|(\tsystem_u:object_r:split_t:s0\n");
	sel = load();
	assert_string_equal(LABEL(sel, "/xa", '-'), "system_u:object_r:split_t:s0");
	assert_string_equal(LABEL(sel, "/xa\xc3\xa9", 'd'), "system_u:object_r:split_t:s0");
	/* "/x\xc3" ends the split spec's match before 0xa9 */
	assert_string_equal(LABEL(sel, "/x\xc3\xa9", '-'), "system_u:object_r:pcre_t:s0");
	assert_null(LABEL(sel, "/x\xc3\xa8", '-'));
	assert_null(bs_selabel_failure(sel));
	bs_selabel_free(sel);
	put("etc/selinux/targeted/contexts/files/file_contexts.local", "");
}

/* A pattern left to PCRE2 (a back reference: not linear-time matchable)
 * that backtracks exponentially runs out of its step budget and says so,
 * instead of hanging the seal. */
static void costly_pattern(void **state)
{
	struct bs_selabel *sel;

	(void)state;
	/* Group 1 is the whole REGEX (^(REGEX)T$), so (x+x+) is group 2. */
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n/(x+x+)+y\\2\tsystem_u:object_r:slow_t:s0\n");
	sel = load();
	assert_null(bs_selabel_failure(sel));
	/* The back reference matches where it can, */
	assert_string_equal(LABEL(sel, "/xxxxyxx", '-'), "system_u:object_r:slow_t:s0");
	assert_null(bs_selabel_failure(sel));
	/* the y is there (no shortcut), followed by one byte too many. */
	assert_null(LABEL(sel, "/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyq", '-'));
	assert_string_equal(bs_selabel_failure(sel), "pattern '/(x+x+)+y\\2' backtracks too much to match");
	/* and lookups stop: their answers could be wrong. */
	assert_null(LABEL(sel, "/usr/bin/local", '-'));
	bs_selabel_free(sel);
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n");
}

/*
 * Twenty lines that make PCRE2 backtrack exponentially (the policy of
 * docs/fuzzing.md) are matched in linear time: the right labels, and no
 * lookup near its step bound, where PCRE2 needed its budget per line.
 */
static void backtracking_policy(void **state)
{
	char local[2048] = "", path[64];
	struct bs_selabel *sel;

	(void)state;
	for (int i = 0; i < 20; i++)
		strcat(local, "/usr/(a|aa)*(a|aa)*(a|aa)*(a|aa)*[0-9]\tsystem_u:object_r:slow_t:s0\n");
	put("etc/selinux/targeted/contexts/files/file_contexts.local", local);
	sel = load();
	snprintf(path, sizeof(path), "/usr/%.50s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	for (int i = 0; i < 100; i++)
		assert_string_equal(LABEL(sel, path, '-'), "system_u:object_r:usr_t:s0");
	strcat(path, "7");
	assert_string_equal(LABEL(sel, path, '-'), "system_u:object_r:slow_t:s0");
	assert_null(bs_selabel_failure(sel));
	bs_selabel_free(sel);
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n");
}

/* file_contexts.local of n lines "PATTERN\tCONTEXT". */
static void put_local_lines(const char *pattern, const char *context, unsigned n)
{
	size_t line = strlen(pattern) + strlen(context) + 2, len = 0;
	char *text = malloc(n * line + 1);

	assert_non_null(text);
	for (unsigned i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s\t%s\n", pattern, context);
	text[len] = '\0';
	put("etc/selinux/targeted/contexts/files/file_contexts.local", text);
	free(text);
}

static void restore_local(void)
{
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n");
}

/* Each 2000-state automaton takes ~64 KiB: 1200 of them are refused. */
static void policy_too_large_compiled(void **state)
{
	struct bs_selabel *sel;
	const char *failure;

	(void)state;
	put_local_lines("/[ab]{3000}", "system_u:object_r:big_t:s0", 1200);
	sel = load();
	assert_null(LABEL(sel, "/q", '-'));
	failure = bs_selabel_failure(sel);
	assert_non_null(failure);
	assert_string_equal(failure, "its patterns need more than 128 MiB compiled, at '/[ab]{3000}'");
	bs_selabel_free(sel);
	restore_local();
}

/*
 * 20000 lines that all run on every path: the first lookup passes its step
 * bound (on the way, their DFA caches outgrow theirs and the NFA is stepped).
 * 2000 such lines pass no lookup's bound but the average's.
 */
static void policy_too_slow(void **state)
{
	char path[128];
	struct bs_selabel *sel;
	unsigned lookups = 0;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	put_local_lines("/.*z", "system_u:object_r:z_t:s0", 20000);
	sel = load();
	assert_null(LABEL(sel, path, '-'));
	assert_non_null(bs_selabel_failure(sel));
	assert_string_equal(bs_selabel_failure(sel),
			    "looking up this path takes more than 4096 steps a byte (at '/.*z')");
	bs_selabel_free(sel);

	put_local_lines("/.*z", "system_u:object_r:z_t:s0", 2000);
	sel = load();
	/* Right answers until then: the default label, and z where it matches. */
	for (; !bs_selabel_failure(sel) && lookups < 1000; lookups++) {
		const char *label = LABEL(sel, path, '-');

		if (!bs_selabel_failure(sel))
			assert_string_equal(label, "system_u:object_r:default_t:s0");
	}
	assert_true(lookups > 1 && lookups < 1000);
	assert_string_equal(bs_selabel_failure(sel), "lookups take more than 1024 steps a byte on average");
	bs_selabel_free(sel);
	restore_local();
}

UNIT_TESTS(setup, unit_dir_teardown,
	cmocka_unit_test(last_match_wins),
	cmocka_unit_test(regex_details),
	cmocka_unit_test(aliases),
	cmocka_unit_test(prefix_index_keeps_file_order),
	cmocka_unit_test(policy_errors),
	cmocka_unit_test(policy_errors_like_composefs_rs),
	cmocka_unit_test(unicode_specs),
	cmocka_unit_test(rust_whitespace_and_paths),
	cmocka_unit_test(utf8_empty_matches),
	cmocka_unit_test(costly_pattern),
	cmocka_unit_test(backtracking_policy),
	cmocka_unit_test(policy_too_large_compiled),
	cmocka_unit_test(policy_too_slow))
