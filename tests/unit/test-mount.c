/* SPDX-License-Identifier: MIT */
/*
 * images/<digest> checked without fs-verity in insecure mode: the digest
 * here is `fsverity digest --hash-alg=sha512` of the same bytes
 * (fsverity-utils 1.5). The command line's digest is test-kargs's.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/mount.h>
#include <bootseal/repo.h>

#define D128 "e3f270325b5cffd18dc0353d98f2e37d0346d57367838a8fa980932385aac047" \
	     "2839865a55998d8878c765c78ad4969e8a192fea9c44b73f0f84cbbc1456fb5f"

static void test_open_image_insecure(void **state)
{
	char dir[] = "/tmp/bootseal-test-mount.XXXXXX", path[256];
	struct bs_error err = { 0 };
	int fd = -1;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/images", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/images/%s", dir, D128);
	assert_non_null(f = fopen(path, "w"));
	fputs("hello composefs\n", f);
	fclose(f);
	/* Wherever the file has no fs-verity (tmpfs, or not enabled). */
	if (bs_repo_open_image(dir, D128, 0, &fd, &err) == 0) {
		close(fd);
		skip();
	}
	assert_int_equal(err.code, -EBADE);
	assert_non_null(strstr(err.message, "fs-verity not enabled"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(bs_repo_open_image(dir, D128, BS_REPO_INSECURE, &fd, &err), 0);
	close(fd);
	/* Insecure mode still pins the bytes. */
	assert_non_null(f = fopen(path, "w"));
	fputs("hello composefs!\n", f);
	fclose(f);
	memset(&err, 0, sizeof(err));
	assert_int_equal(bs_repo_open_image(dir, D128, BS_REPO_INSECURE, &fd, &err), -EBADE);
	assert_non_null(strstr(err.message, "fs-verity digest mismatch"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(bs_repo_open_image(dir, "abc", BS_REPO_INSECURE, &fd, &err), -EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/images", dir);
	rmdir(path);
	rmdir(dir);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(test_open_image_insecure))
