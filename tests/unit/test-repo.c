/* SPDX-License-Identifier: MIT */
/*
 * meta.json: the expected text is composefs-rs 0fbc8533's serde_json pretty
 * form of RepoMetadata (repository.rs: version, algorithm, features in
 * kebab-case, erofs_formats with an empty `extra` skipped; Algorithm's
 * Display "fsverity-sha512-12"; FormatVersion::V1 as 1), and the rejected
 * and accepted inputs are its open_path rules and its own test documents.
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
#include <dirent.h>

#include <bootseal/repo.h>

#include "tmpdir.h"
#include "unit.h"

static const char bootc_meta[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"algorithm\": \"fsverity-sha512-12\",\n"
	"  \"features\": {\n"
	"    \"compatible\": [],\n"
	"    \"read-only-compatible\": [\n"
	"      \"v1_erofs\"\n"
	"    ],\n"
	"    \"incompatible\": []\n"
	"  },\n"
	"  \"erofs_formats\": {\n"
	"    \"default\": 1\n"
	"  }\n"
	"}\n";

static int check(const char *json, const char *want_message)
{
	struct bs_error err = { 0 };
	int r = bs_repo_meta_check(json, strlen(json), "meta.json", &err);

	if (want_message)
		assert_string_equal(err.message, want_message);
	return r;
}

static void meta_documents(void **state)
{
	char deep[200];

	(void)state;
	assert_int_equal(check(bootc_meta, NULL), 0);
	/* composefs-rs's test_legacy_repo_defaults_to_v2 documents, SHA-512: */
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\",\"features\":{}}", NULL), 0);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\",\"features\":{},"
			       "\"erofs_version\":2}", NULL), 0);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\"}", NULL), 0);
	/* and as they are, SHA-256: not bootc's. */
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha256-12\",\"features\":{}}",
			       "the repository's objects are fsverity-sha256-12, bootc's are fsverity-sha512-12"),
			 -EINVAL);
	assert_int_equal(check("{\"version\":2,\"algorithm\":\"fsverity-sha512-12\"}",
			       "repository format version 2; bootseal knows 1"), -EINVAL);
	assert_int_equal(check("{\"version\":0,\"algorithm\":\"fsverity-sha512-12\"}", NULL), 0);
	assert_int_equal(check("{\"version\":-1,\"algorithm\":\"fsverity-sha512-12\"}",
			       "not composefs repository metadata"), -EBADMSG);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\","
			       "\"features\":{\"incompatible\":[\"x\"]}}",
			       "the repository needs feature 'x', which bootseal does not know"), -EINVAL);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\","
			       "\"features\":{\"read-only-compatible\":[\"v1_erofs\",\"y\"]}}",
			       "the repository needs feature 'y', which bootseal does not know"), -EINVAL);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\","
			       "\"features\":{\"compatible\":[\"z\"]}}", NULL), 0);
	/* Malformed: */
	assert_int_equal(check("{\"version\":1,", "malformed JSON"), -EBADMSG);
	assert_int_equal(check("[]", "not composefs repository metadata"), -EBADMSG);
	assert_int_equal(check("{\"version\":\"1\",\"algorithm\":\"fsverity-sha512-12\"}",
			       "not composefs repository metadata"), -EBADMSG);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\",\"features\":[]}",
			       "not composefs repository metadata"), -EBADMSG);
	assert_int_equal(check("{\"version\":1,\"algorithm\":\"fsverity-sha512-12\","
			       "\"features\":{\"incompatible\":[1]}}",
			       "not composefs repository metadata"), -EBADMSG);
	memset(deep, '[', 100);
	memset(deep + 100, ']', 99);
	deep[199] = '\0';
	assert_int_equal(check(deep, "malformed JSON"), -EBADMSG);
}

/* The names in dir, sorted, each followed by a space. */
static const char *entries(const char *dir)
{
	static char list[256];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	list[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
			strncat(list, names[i]->d_name, sizeof(list) - strlen(list) - 2);
			strcat(list, " ");
		}
		free(names[i]);
	}
	free(names);
	return list;
}

/* A new repository gets bootc's meta.json; an existing one is checked. */
static void meta_on_open(void **state)
{
	char top[] = "/tmp/test-repo-XXXXXX", repo_path[64], meta_path[96];
	struct bs_error err = { 0 };
	struct bs_repo *repo;
	char *text;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(repo_path, sizeof(repo_path), "%s/composefs", top);
	snprintf(meta_path, sizeof(meta_path), "%s/meta.json", repo_path);
	/* Insecure: /tmp may have no fs-verity. */
	assert_int_equal(bs_repo_open(repo_path, BS_REPO_INSECURE, 1, &repo, &err), 0);
	bs_repo_free(repo);
	assert_string_equal(entries(repo_path), "images meta.json objects ");
	text = unit_read_text(meta_path);
	assert_string_equal(text, bootc_meta);
	free(text);
	assert_int_equal(bs_repo_open(repo_path, BS_REPO_INSECURE, 1, &repo, &err), 0);
	bs_repo_free(repo);

	f = fopen(meta_path, "w");
	assert_non_null(f);
	fputs("{\"version\":1,\"algorithm\":\"fsverity-sha256-12\"}", f);
	fclose(f);
	assert_int_equal(bs_repo_open(repo_path, BS_REPO_INSECURE, 0, &repo, &err), -EINVAL);
	assert_string_equal(err.path, meta_path);
	/* Without create, a repository without meta.json is left so. */
	unlink(meta_path);
	assert_int_equal(bs_repo_open(repo_path, BS_REPO_INSECURE, 0, &repo, &err), 0);
	bs_repo_free(repo);
	assert_int_equal(access(meta_path, F_OK), -1);
	bsi_rm_rf(top);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(meta_documents),
	cmocka_unit_test(meta_on_open))
