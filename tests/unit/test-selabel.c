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
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bootseal/rootfs.h>
#include <bootseal/selabel.h>

static char root[] = "/tmp/bootseal-selabel-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], dir[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(dir), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(root));
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

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

/* The policy is read from a tree, large files through a content source. */
static int load_policy(struct bs_selabel **sel, struct bs_error *err)
{
	struct bs_rootfs_options opts = { .jobs = 1 };
	struct bs_content_source src = { bs_rootfs_read_file, root };
	struct bs_tree *tree = NULL;
	int r;

	assert_int_equal(bs_rootfs_read(root, &opts, &tree, NULL, NULL), 0);
	r = bs_selabel_load(tree, &src, root, sel, err);
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
	assert_null(bs_selabel_too_costly(sel));
	/* The back reference matches where it can, */
	assert_string_equal(LABEL(sel, "/xxxxyxx", '-'), "system_u:object_r:slow_t:s0");
	assert_null(bs_selabel_too_costly(sel));
	/* the y is there (no shortcut), followed by one byte too many. */
	assert_null(LABEL(sel, "/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyq", '-'));
	assert_string_equal(bs_selabel_too_costly(sel), "/(x+x+)+y\\2");
	bs_selabel_free(sel);
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n");
}

/*
 * Twenty lines that make PCRE2 backtrack exponentially (the policy of
 * docs/fuzzing.md) are matched in linear time: the right labels, no budget
 * exhausted, well under a second where PCRE2 needed the budget per line.
 */
static void backtracking_policy(void **state)
{
	char local[2048] = "", path[64];
	struct bs_selabel *sel;
	clock_t start;

	(void)state;
	for (int i = 0; i < 20; i++)
		strcat(local, "/usr/(a|aa)*(a|aa)*(a|aa)*(a|aa)*[0-9]\tsystem_u:object_r:slow_t:s0\n");
	put("etc/selinux/targeted/contexts/files/file_contexts.local", local);
	sel = load();
	start = clock();
	snprintf(path, sizeof(path), "/usr/%.50s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	for (int i = 0; i < 100; i++)
		assert_string_equal(LABEL(sel, path, '-'), "system_u:object_r:usr_t:s0");
	strcat(path, "7");
	assert_string_equal(LABEL(sel, path, '-'), "system_u:object_r:slow_t:s0");
	assert_null(bs_selabel_too_costly(sel));
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
	bs_selabel_free(sel);
	put("etc/selinux/targeted/contexts/files/file_contexts.local",
	    "/usr/bin/local\tsystem_u:object_r:local_t:s0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(last_match_wins),
		cmocka_unit_test(regex_details),
		cmocka_unit_test(aliases),
		cmocka_unit_test(policy_errors),
		cmocka_unit_test(costly_pattern),
		cmocka_unit_test(backtracking_policy),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
