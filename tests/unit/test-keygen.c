/* SPDX-License-Identifier: MIT */
/*
 * keygen into a directory that already holds a key set: the new set takes
 * the directory's place in one exchange (renameat2 is wrapped to fail it),
 * keeping whatever else the directory held; where there is no exchange, a
 * failure while the new files move in puts every old one back (rename is
 * wrapped to fail on one chosen destination); and a --force that would
 * replace a directory is refused before any key is made.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <bootseal/keygen.h>

#include "tmpdir.h"
#include "unit.h"

static char out[256];
static char fail_rename_to[PATH_MAX];
static int renames_failed;
static int exchange_errno;

int __real_rename(const char *from, const char *to);
int __wrap_rename(const char *from, const char *to);

/* Fails the move of one new file into place; putting old ones back (from
 * NAME.old) always works. */
int __wrap_rename(const char *from, const char *to)
{
	size_t n = strlen(from);

	if (fail_rename_to[0] && strcmp(to, fail_rename_to) == 0 && (n < 4 || strcmp(from + n - 4, ".old"))) {
		renames_failed++;
		errno = EIO;
		return -1;
	}
	return __real_rename(from, to);
}

int __real_renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags);
int __wrap_renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags);

int __wrap_renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
	if (exchange_errno && (flags & RENAME_EXCHANGE)) {
		errno = exchange_errno;
		return -1;
	}
	return __real_renameat2(fromfd, from, tofd, to, flags);
}

static int setup(void **state)
{
	if (unit_dir_setup(state) < 0)
		return -1;
	snprintf(out, sizeof(out), "%s/keys", unit_dir);
	return 0;
}

static int keygen(int force, struct bs_error *err)
{
	struct bs_keygen_params p = { .output_dir = out, .key_type = BS_KEY_ECDSA_P256, .force = force };

	assert_int_equal(bs_efivar_time_default(&p.time, err), 0);
	return bs_keygen_create(&p, err);
}

/* SHA-256 over the names, inode numbers and contents of every file under DIR. */
static void fingerprint_into(EVP_MD_CTX *md, const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		char path[512], buf[4096];
		struct stat st;

		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			assert_int_equal(lstat(path, &st), 0);
			EVP_DigestUpdate(md, path, strlen(path) + 1);
			EVP_DigestUpdate(md, &st.st_ino, sizeof(st.st_ino));
			if (S_ISDIR(st.st_mode)) {
				fingerprint_into(md, path);
			} else {
				FILE *f = fopen(path, "rb");
				size_t got;

				assert_non_null(f);
				while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
					EVP_DigestUpdate(md, buf, got);
				fclose(f);
			}
		}
		free(list[i]);
	}
	free(list);
}

static void fingerprint(const char *dir, unsigned char digest[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	fingerprint_into(md, dir);
	assert_int_equal(EVP_DigestFinal_ex(md, digest, NULL), 1);
	EVP_MD_CTX_free(md);
}

/* Only "keys" is left in unit_dir: no temporary directory. */
static void assert_only_keys_dir(void)
{
	struct dirent **list;
	int n = scandir(unit_dir, &list, NULL, alphasort);

	assert_int_equal(n, 3);
	assert_string_equal(list[2]->d_name, "keys");
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void failed_exchange_keeps_old_set(void **state)
{
	unsigned char before[32], after[32];
	struct bs_error err = { 0 };

	(void)state;
	assert_int_equal(keygen(0, &err), 0);
	fingerprint(out, before);
	exchange_errno = EIO;
	assert_int_equal(keygen(1, &err), -EIO);
	exchange_errno = 0;
	fingerprint(out, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_only_keys_dir();
}

/* What keygen does not write stays, the same files (inodes), modes kept. */
static void force_keeps_other_files(void **state)
{
	unsigned char before[32], after[32];
	struct bs_error err = { 0 };
	char path[PATH_MAX], sub[PATH_MAX];
	struct stat st, st2, key;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/notes", out);
	assert_int_equal(mkdir(sub, 0750), 0);
	snprintf(path, sizeof(path), "%s/notes/README", out);
	assert_int_equal(close(creat(path, 0600)), 0);
	assert_int_equal(lstat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/loader/keys/auto/dbx.auth", out);
	assert_int_equal(close(creat(path, 0644)), 0);
	snprintf(path, sizeof(path), "%s/db.key", out);
	fingerprint(sub, before);
	assert_int_equal(lstat(path, &key), 0);
	assert_int_equal(keygen(1, &err), 0);
	fingerprint(sub, after);
	assert_memory_equal(before, after, sizeof(before));
	snprintf(path, sizeof(path), "%s/notes/README", out);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(stat(sub, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0750);
	snprintf(path, sizeof(path), "%s/loader/keys/auto/dbx.auth", out);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/db.key", out);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_not_equal(st.st_ino, key.st_ino);
	assert_only_keys_dir();
}

/* Without RENAME_EXCHANGE (EINVAL: a file system without it) files move one by one. */
static void failed_force_puts_old_keys_back(void **state)
{
	unsigned char before[32], after[32];
	struct bs_error err = { 0 };

	(void)state;
	fingerprint(out, before);
	exchange_errno = EINVAL;
	/* db.key moves after all of PK's and KEK's files. */
	snprintf(fail_rename_to, sizeof(fail_rename_to), "%s/db.key", out);
	renames_failed = 0;
	assert_int_equal(keygen(1, &err), -EIO);
	fail_rename_to[0] = '\0';
	assert_int_equal(renames_failed, 1);
	assert_non_null(strstr(err.path, "/keys/db.key"));
	fingerprint(out, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_only_keys_dir();

	/* And with nothing failing, --force replaces the whole set. */
	assert_int_equal(keygen(1, &err), 0);
	exchange_errno = 0;
	fingerprint(out, after);
	assert_memory_not_equal(before, after, sizeof(before));
	assert_only_keys_dir();
}

static void force_does_not_replace_a_directory(void **state)
{
	unsigned char before[32], after[32];
	struct bs_error err = { 0 };
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/KEK.auth", out);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	fingerprint(out, before);
	assert_int_equal(keygen(1, &err), -EEXIST);
	assert_string_equal(err.path, path);
	assert_non_null(strstr(err.message, "not a file"));
	fingerprint(out, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_only_keys_dir();
}

/* sbctl's tree: written, recognised, its updates signed by its own keys, and
 * --force keeps what sbctl keeps beside the keys (files.json, bundles.json). */
static void sbctl_layout(void **state)
{
	static const char guid_text[] = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
	struct bs_keygen_params p = { .key_type = BS_KEY_ECDSA_P256, .layout = BS_KEYGEN_LAYOUT_SBCTL };
	struct bs_efivar_buf auth = { 0 };
	struct bs_efivar_auth parsed;
	struct bs_error err = { 0 };
	struct bs_efi_guid owner, vendor;
	struct bs_cert *kek = NULL, *pk = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 64], text[64] = "";
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sbctl", unit_dir);
	p.output_dir = dir;
	assert_int_equal(bs_efivar_guid_parse(guid_text, &owner), 0);
	p.owner = &owner;
	assert_int_equal(bs_efivar_time_default(&p.time, &err), 0);
	assert_int_equal(bs_keygen_is_sbctl(dir), 0);
	assert_int_equal(bs_keygen_create(&p, &err), 0);
	assert_int_equal(bs_keygen_is_sbctl(dir), 1);
	assert_int_equal(bs_keygen_is_sbctl(out), 0);
	snprintf(path, sizeof(path), "%s/GUID", dir);
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fread(text, 1, sizeof(text) - 1, f), 36);
	fclose(f);
	assert_string_equal(text, guid_text);
	snprintf(path, sizeof(path), "%s/keys/db/db.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);

	assert_int_equal(bs_keygen_sbctl_auth(dir, "db", &p.time, &auth, &err), 0);
	assert_int_equal(bs_efivar_auth_parse(auth.data, auth.len, "db.auth", &parsed, &err), 0);
	snprintf(path, sizeof(path), "%s/keys/KEK/KEK.pem", dir);
	assert_int_equal(bs_keys_load_cert(path, &kek, &err), 0);
	snprintf(path, sizeof(path), "%s/keys/PK/PK.pem", dir);
	assert_int_equal(bs_keys_load_cert(path, &pk, &err), 0);
	bs_efivar_vendor_for_name("db", &vendor);
	assert_int_equal(bs_efivar_auth_verify(&parsed, "db", &vendor, BS_EFIVAR_ATTRS_REPLACE, kek, "db.auth", &err), 0);
	assert_int_equal(bs_efivar_auth_verify(&parsed, "db", &vendor, BS_EFIVAR_ATTRS_REPLACE, pk, "db.auth", NULL),
			 -EKEYREJECTED);
	bs_efivar_buf_release(&auth);
	assert_int_equal(bs_keygen_sbctl_auth(dir, "dbx", &p.time, &auth, &err), -EINVAL);

	snprintf(path, sizeof(path), "%s/files.json", dir);
	assert_int_equal(close(creat(path, 0644)), 0);
	assert_int_equal(bs_keygen_create(&p, NULL), -EEXIST);
	p.force = 1;
	assert_int_equal(bs_keygen_create(&p, &err), 0);
	assert_int_equal(access(path, F_OK), 0);
	bs_cert_free(kek);
	bs_cert_free(pk);
}

/* ukify genkey's pair: RSA 2048, CA:FALSE, the key private; existing files refused first. */
static void signing_pair(void **state)
{
	char key[PATH_MAX], crt[PATH_MAX];
	struct bs_error err = { 0 };
	struct bs_cert *cert = NULL;
	struct bs_key *k = NULL;
	struct stat st;

	(void)state;
	snprintf(key, sizeof(key), "%s/sb.key", unit_dir);
	snprintf(crt, sizeof(crt), "%s/sb.crt", unit_dir);
	assert_int_equal(bs_keygen_signing_pair(key, crt, "SecureBoot signing key on host x", 30, &err), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(bs_keys_load_private(key, &k, &err), 0);
	assert_int_equal(bs_keys_load_cert(crt, &cert, &err), 0);
	assert_int_equal(bs_keys_check_match(k, cert, crt, &err), 0);
	assert_int_equal(EVP_PKEY_get_bits(bs_key_evp(k)), 2048);
	assert_int_equal(X509_check_ca(bs_cert_x509(cert)), 0);
	assert_true(X509_get_extension_flags(bs_cert_x509(cert)) & EXFLAG_BCONS);
	bs_key_free(k);
	bs_cert_free(cert);
	assert_int_equal(unlink(crt), 0);
	assert_int_equal(bs_keygen_signing_pair(key, crt, "x", 0, &err), -EEXIST);
	assert_int_equal(access(crt, F_OK), -1);
	unlink(key);
}

UNIT_TESTS(setup, unit_dir_teardown,
	cmocka_unit_test(failed_exchange_keeps_old_set),
	cmocka_unit_test(force_keeps_other_files),
	cmocka_unit_test(failed_force_puts_old_keys_back),
	cmocka_unit_test(force_does_not_replace_a_directory),
	cmocka_unit_test(sbctl_layout),
	cmocka_unit_test(signing_pair))
