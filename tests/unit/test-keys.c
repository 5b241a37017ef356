/* SPDX-License-Identifier: MIT */
/*
 * Keys are generated at run time (none is committed). Expected certificate
 * contents are the ones `openssl req -x509` gives (secureboot-keys.md §4).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <bootseal/keys.h>

#include "util.h"


static char *path_in(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", unit_dir, name);
	return buf;
}

static void test_types(void **state)
{
	enum bs_key_type t;

	(void)state;
	assert_int_equal(bs_key_type_from_name("rsa3072", &t), 0);
	assert_int_equal(t, BS_KEY_RSA3072);
	assert_int_equal(bs_key_type_from_name("ecdsa-p384", &t), 0);
	assert_string_equal(bs_key_type_name(t), "ecdsa-p384");
	assert_int_equal(bs_key_type_from_name("rsa1024", &t), -EINVAL);
}

static void test_self_signed(void **state)
{
	struct bs_cert_params p = { .common_name = "KEK", .not_before = 1700000000, .days = 10 };
	struct bs_key *key;
	struct bs_cert *cert;
	char subject[64];
	X509 *x;
	BASIC_CONSTRAINTS *bc;
	ASN1_OCTET_STRING *skid;
	AUTHORITY_KEYID *akid;
	int crit;

	(void)state;
	assert_int_equal(bs_keys_generate(BS_KEY_RSA2048, &key, NULL), 0);
	assert_int_equal(EVP_PKEY_get_bits(bs_key_evp(key)), 2048);
	assert_int_equal(bs_keys_self_sign(key, &p, &cert, NULL), 0);
	x = bs_cert_x509(cert);
	assert_string_equal(bs_cert_subject(cert, subject, sizeof(subject)), "CN=KEK");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_verify(x, bs_key_evp(key)), 1);
	/* notAfter - notBefore = 10 days. */
	{
		int days, secs;

		assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
		assert_int_equal(days, 10);
		assert_int_equal(secs, 0);
		assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), 1700000000), 0);
	}
	/* openssl req -x509 defaults: SKI, AKI keyid = SKI, basicConstraints critical CA:TRUE. */
	assert_int_equal(X509_get_ext_count(x), 3);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, 0))), NID_subject_key_identifier);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, 1))), NID_authority_key_identifier);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, 2))), NID_basic_constraints);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_int_equal(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	skid = X509_get_ext_d2i(x, NID_subject_key_identifier, NULL, NULL);
	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(skid);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(skid, akid->keyid), 0);
	assert_null(akid->issuer);
	ASN1_OCTET_STRING_free(skid);
	AUTHORITY_KEYID_free(akid);
	/* Serial: positive, at most 20 bytes. */
	assert_true(X509_get0_serialNumber(x)->length <= 20);
	assert_int_equal(X509_get0_serialNumber(x)->type, V_ASN1_INTEGER);

	assert_int_equal(bs_keys_check_match(key, cert, "k.crt", NULL), 0);
	bs_cert_free(cert);
	bs_key_free(key);
}

static void test_ecdsa(void **state)
{
	struct bs_cert_params p = { .common_name = "db" };
	struct bs_key *key;
	struct bs_cert *cert;

	(void)state;
	assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P384, &key, NULL), 0);
	assert_int_equal(EVP_PKEY_get_bits(bs_key_evp(key)), 384);
	assert_int_equal(bs_keys_self_sign(key, &p, &cert, NULL), 0);
	assert_int_equal(X509_get_signature_nid(bs_cert_x509(cert)), NID_ecdsa_with_SHA256);
	bs_cert_free(cert);
	bs_key_free(key);
}

static void test_dumpable(void **state)
{
	struct bs_key *a, *b;

	(void)state;
	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P256, &a, NULL), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P256, &b, NULL), 0);
	bs_key_free(a);
	/* still one key alive */
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	bs_key_free(b);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

struct pipe_load {
	char spec[32];
	struct bs_key *key;
	struct bs_error err;
	int r;
};

static void *load_from_pipe(void *arg)
{
	struct pipe_load *l = arg;

	l->r = bs_keys_load_private(l->spec, &l->key, &l->err);
	return NULL;
}

/* Non-dumpable while the PEM is read and decoded, not only once the key is
 * made: the load below blocks reading a pipe, and the process is already
 * non-dumpable then. A failed load restores what it found. */
static void test_dumpable_while_reading(void **state)
{
	struct pipe_load l = { .r = 1 };
	char path[PATH_MAX];
	uint8_t *pem;
	size_t len;
	pthread_t t;
	int fds[2];
	struct bs_key *key;

	(void)state;
	assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P256, &key, NULL), 0);
	snprintf(path, sizeof(path), "%s/pipe.key", unit_dir);
	assert_int_equal(bs_keys_write_private(key, path, 0, NULL), 0);
	bs_key_free(key);
	assert_int_equal(bsi_read_file(path, 0, 1 << 20, &pem, &len, NULL), 0);

	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_int_equal(pipe(fds), 0);
	snprintf(l.spec, sizeof(l.spec), "fd:%d", fds[0]);
	assert_int_equal(pthread_create(&t, NULL, load_from_pipe, &l), 0);
	/* Until the loader has started, the process may still be dumpable. */
	for (int i = 0; i < 5000 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0; i++)
		usleep(1000);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(l.r, 1);               /* still reading */
	assert_int_equal(write(fds[1], pem, len), (ssize_t)len);
	close(fds[1]);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(fds[0]);
	assert_int_equal(l.r, 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	bs_key_free(l.key);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);

	assert_int_equal(bs_keys_load_private(path, &key, NULL), 0);
	bs_key_free(key);
	assert_true(bs_keys_load_private("/nonexistent/key", &key, NULL) < 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	OPENSSL_cleanse(pem, len);
	free(pem);
}

/* Writes a key and cert, then loads them back every supported way. */
static void test_write_and_load(void **state)
{
	struct bs_cert_params p = { .common_name = "PK" };
	struct bs_key *key, *loaded;
	struct bs_cert *cert, *c2;
	struct bs_error err = { 0 };
	struct stat st;
	const uint8_t *der, *der2;
	size_t len, len2;
	char *pem;
	FILE *f;
	long n;
	int fd;

	(void)state;
	assert_int_equal(bs_keys_generate(BS_KEY_RSA2048, &key, NULL), 0);
	assert_int_equal(bs_keys_self_sign(key, &p, &cert, NULL), 0);
	assert_int_equal(bs_keys_write_private(key, path_in("PK.key"), 1, &err), 0);
	assert_int_equal(stat(path_in("PK.key"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* noreplace: an existing key is never overwritten. */
	assert_int_equal(bs_keys_write_private(key, path_in("PK.key"), 1, &err), -EEXIST);
	bs_error_clear(&err);
	assert_int_equal(bs_keys_write_cert_pem(cert, path_in("PK.crt"), 1, NULL), 0);
	assert_int_equal(bs_keys_write_cert_der(cert, path_in("PK.cer"), 1, NULL), 0);

	assert_int_equal(bs_keys_load_private(path_in("PK.key"), &loaded, &err), 0);
	assert_int_equal(bs_keys_check_match(loaded, cert, "PK.crt", NULL), 0);
	bs_key_free(loaded);
	der = bs_cert_der(cert, &len);
	assert_int_equal(bs_keys_load_cert(path_in("PK.crt"), &c2, &err), 0);
	der2 = bs_cert_der(c2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(der, der2, len);
	bs_cert_free(c2);
	assert_int_equal(bs_keys_load_cert(path_in("PK.cer"), &c2, &err), 0);
	bs_cert_free(c2);

	/* A URI goes through OSSL_STORE, the path provider hardware tokens use. */
	{
		char uri[300];

		snprintf(uri, sizeof(uri), "file:%s", path_in("PK.key"));
		assert_int_equal(bs_keys_load_private(uri, &loaded, &err), 0);
		assert_int_equal(bs_keys_check_match(loaded, cert, "PK.crt", NULL), 0);
		bs_key_free(loaded);
		snprintf(uri, sizeof(uri), "file:%s", path_in("PK.crt"));
		assert_int_equal(bs_keys_load_cert(uri, &c2, &err), 0);
		bs_cert_free(c2);
	}

	/* fd:N */
	fd = open(path_in("PK.key"), O_RDONLY);
	assert_true(fd >= 0);
	{
		char spec[32];

		snprintf(spec, sizeof(spec), "fd:%d", fd);
		assert_int_equal(bs_keys_load_private(spec, &loaded, &err), 0);
	}
	close(fd);
	assert_int_equal(bs_keys_check_match(loaded, cert, "PK.crt", NULL), 0);
	bs_key_free(loaded);

	/* env:NAME holds the PEM text */
	f = fopen(path_in("PK.key"), "r");
	assert_non_null(f);
	pem = calloc(1, 8192);
	n = (long)fread(pem, 1, 8191, f);
	fclose(f);
	assert_true(n > 0);
	setenv("BS_TEST_KEY", pem, 1);
	assert_int_equal(bs_keys_load_private("env:BS_TEST_KEY", &loaded, &err), 0);
	unsetenv("BS_TEST_KEY");
	assert_int_equal(bs_keys_check_match(loaded, cert, "PK.crt", NULL), 0);
	bs_key_free(loaded);

	/* Error messages never quote the key. */
	assert_int_equal(bs_keys_cert_from_mem(pem, (size_t)n, "PK.key", &c2, &err), -EINVAL);
	assert_string_equal(err.message, "not an X.509 certificate (PEM block is PRIVATE KEY)");
	assert_string_equal(err.path, "PK.key");
	bs_error_clear(&err);
	free(pem);

	bs_cert_free(cert);
	bs_key_free(key);
}

/* libp11's engine keeps the methods it made until the process ends; the
 * sanitizer build (.ci/run) must not count them as ours (as pkcs11.sh). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:EVP_PKEY_meth_new\nleak:EC_KEY_METHOD_new\nleak:RSA_meth_new\nleak:RSA_meth_dup\n"
	       "leak:pkcs11.so\nleak:libp11\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* Linked with --wrap=dup2/dup3 (meson.build): the library's calls land here. */
static int stderr_redirects;
int __real_dup2(int oldfd, int newfd);
int __wrap_dup2(int oldfd, int newfd);
int __real_dup3(int oldfd, int newfd, int flags);
int __wrap_dup3(int oldfd, int newfd, int flags);

int __wrap_dup2(int oldfd, int newfd)
{
	stderr_redirects += newfd == STDERR_FILENO;
	return __real_dup2(oldfd, newfd);
}

int __wrap_dup3(int oldfd, int newfd, int flags)
{
	stderr_redirects += newfd == STDERR_FILENO;
	return __real_dup3(oldfd, newfd, flags);
}

/* A pkcs11: URI no token answers goes through libp11's engine, which prints
 * on stderr unless told to be quiet: the host's descriptor 2 stays its own. */
static void test_pkcs11_keeps_stderr(void **state)
{
	struct bs_key *key = (void *)1;
	struct bs_error err = { 0 };
	struct stat before, after;

	(void)state;
	assert_int_equal(fstat(STDERR_FILENO, &before), 0);
	stderr_redirects = 0;
	assert_int_equal(bs_keys_load_private("pkcs11:token=bootseal-none;object=none?pin-value=1234", &key, &err),
			 -ENOKEY);
	assert_null(key);
	assert_null(strstr(err.message, "1234"));
	bs_error_clear(&err);
	assert_int_equal(stderr_redirects, 0);
	assert_int_equal(fstat(STDERR_FILENO, &after), 0);
	assert_true(before.st_dev == after.st_dev && before.st_ino == after.st_ino);
}

static void test_load_errors(void **state)
{
	struct bs_key *key = (void *)1;
	struct bs_cert *cert = (void *)1, *other_cert;
	struct bs_key *other;
	struct bs_cert_params p = { .common_name = "x" };
	struct bs_error err = { 0 };
	static const char garbage[] = "hello, not a key";

	(void)state;
	assert_int_equal(bs_keys_load_private(path_in("missing.key"), &key, &err), -ENOKEY);
	assert_null(key);
	assert_non_null(strstr(err.message, "cannot open"));
	bs_error_clear(&err);
	assert_int_equal(bs_keys_load_private("env:BS_TEST_UNSET_VARIABLE", &key, &err), -ENOKEY);
	assert_string_equal(err.path, "env:BS_TEST_UNSET_VARIABLE");
	bs_error_clear(&err);
	assert_int_equal(bs_keys_load_private("fd:x", &key, &err), -EINVAL);
	bs_error_clear(&err);
	assert_int_equal(bs_keys_private_from_mem(garbage, sizeof(garbage) - 1, "g", &key, &err), -EINVAL);
	assert_string_equal(err.message, "not a private key in PEM or DER form");
	bs_error_clear(&err);
	assert_int_equal(bs_keys_cert_from_mem(garbage, sizeof(garbage) - 1, "g", &cert, &err), -EINVAL);
	assert_null(cert);
	bs_error_clear(&err);

	/* A DER certificate with a byte after it is not one certificate. */
	assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P256, &other, NULL), 0);
	assert_int_equal(bs_keys_self_sign(other, &p, &other_cert, NULL), 0);
	{
		size_t len;
		const uint8_t *der = bs_cert_der(other_cert, &len);
		uint8_t *more = malloc(len + 1);

		memcpy(more, der, len);
		more[len] = 0;
		assert_int_equal(bs_keys_cert_from_mem(more, len + 1, "c", &cert, NULL), -EINVAL);
		assert_int_equal(bs_keys_cert_from_mem(more, len, "c", &cert, NULL), 0);
		bs_cert_free(cert);
		free(more);
	}

	/* An encrypted key is refused, never prompted for. */
	{
		FILE *f = fopen(path_in("enc.key"), "w");

		assert_non_null(f);
		assert_int_equal(PEM_write_PKCS8PrivateKey(f, bs_key_evp(other), EVP_aes_256_cbc(), NULL, 0,
							   NULL, (void *)"secret"), 1);
		fclose(f);
	}
	assert_int_equal(bs_keys_load_private(path_in("enc.key"), &key, &err), -ENOKEY);
	assert_non_null(strstr(err.message, "encrypted"));
	bs_error_clear(&err);

	/* A key that is not the certificate's. */
	{
		struct bs_key *k2;

		assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P256, &k2, NULL), 0);
		assert_int_equal(bs_keys_check_match(k2, other_cert, "x.crt", &err), -ENOKEY);
		assert_string_equal(err.path, "x.crt");
		bs_key_free(k2);
	}
	/* A URI goes to OSSL_STORE; no provider for this scheme here. */
	bs_error_clear(&err);
	assert_int_equal(bs_keys_load_private("nosuchscheme:foo", &key, &err), -ENOKEY);
	assert_string_equal(err.path, "nosuchscheme:foo");
	bs_key_free(other);
	bs_cert_free(other_cert);
}

UNIT_TESTS(unit_dir_setup, unit_dir_teardown,
	cmocka_unit_test(test_types),
	cmocka_unit_test(test_self_signed),
	cmocka_unit_test(test_ecdsa),
	cmocka_unit_test(test_dumpable),
	cmocka_unit_test(test_dumpable_while_reading),
	cmocka_unit_test(test_write_and_load),
	cmocka_unit_test(test_load_errors),
	cmocka_unit_test(test_pkcs11_keeps_stderr))
