/* SPDX-License-Identifier: MIT */
/*
 * Golden bytes come from ../shared/specs/secureboot-keys.md §6, which records
 * them from files efitools wrote (GUID layout, EFI_TIME of 2020-01-01, the
 * 28-byte list header). Hostile inputs are built by hand around them.
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
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <bootseal/efivar.h>
#include <bootseal/keys.h>

#include "util.h"

static void test_guid_layout(void **state)
{
	static const uint8_t x509[16] = { 0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
					  0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72 };
	static const uint8_t global[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					    0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
	static const uint8_t imgsec[16] = { 0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
					    0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f };
	static const uint8_t pkcs7[16] = { 0x9d, 0xd2, 0xaf, 0x4a, 0xdf, 0x68, 0xee, 0x49,
					   0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7 };
	static const uint8_t sha256[16] = { 0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
					    0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28 };
	struct bs_efi_guid g;
	char text[BS_EFI_GUID_STRING_SIZE];

	(void)state;
	assert_int_equal(bs_efivar_guid_parse("A5C059A1-94E4-4aa7-87b5-ab155c2bf072", &g), 0);
	assert_memory_equal(g.bytes, x509, 16);
	assert_memory_equal(bs_efi_cert_x509_guid.bytes, x509, 16);
	assert_memory_equal(bs_efi_global_variable_guid.bytes, global, 16);
	assert_memory_equal(bs_efi_image_security_guid.bytes, imgsec, 16);
	assert_memory_equal(bs_efi_cert_pkcs7_guid.bytes, pkcs7, 16);
	assert_memory_equal(bs_efi_cert_sha256_guid.bytes, sha256, 16);
	bs_efivar_guid_format(&bs_efi_global_variable_guid, text);
	assert_string_equal(text, "8be4df61-93ca-11d2-aa0d-00e098032b8c");

	assert_int_equal(bs_efivar_guid_parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf07", &g), -EINVAL);
	assert_int_equal(bs_efivar_guid_parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf0722", &g), -EINVAL);
	assert_int_equal(bs_efivar_guid_parse("a5c059a1x94e4-4aa7-87b5-ab155c2bf072", &g), -EINVAL);
	assert_int_equal(bs_efivar_guid_parse("g5c059a1-94e4-4aa7-87b5-ab155c2bf072", &g), -EINVAL);
	assert_int_equal(bs_efivar_guid_parse("", &g), -EINVAL);

	assert_int_equal(bs_efivar_guid_random(&g), 0);
	bs_efivar_guid_format(&g, text);
	assert_int_equal(text[14], '4');   /* version 4 */
	assert_non_null(strchr("89ab", text[19]));
}

static void test_time(void **state)
{
	struct bs_efi_time t;
	char text[20];

	(void)state;
	assert_int_equal(bs_efivar_time_parse("2020-01-01 00:00:00", &t), 0);
	assert_int_equal(t.year, 2020);
	assert_int_equal(t.month, 1);
	assert_int_equal(t.day, 1);
	assert_int_equal(bs_efivar_time_parse("2024-02-29 23:59:59", &t), 0);
	assert_int_equal(bs_efivar_time_parse("2023-02-29 00:00:00", &t), -EINVAL);
	assert_int_equal(bs_efivar_time_parse("2023-13-01 00:00:00", &t), -EINVAL);
	assert_int_equal(bs_efivar_time_parse("2023-00-01 00:00:00", &t), -EINVAL);
	assert_int_equal(bs_efivar_time_parse("2023-01-01 24:00:00", &t), -EINVAL);
	assert_int_equal(bs_efivar_time_parse("2023-01-01 00:00:00x", &t), -EINVAL);
	assert_int_equal(bs_efivar_time_parse("2023-01-01", &t), -EINVAL);

	/* 1700000000 = 2023-11-14 22:13:20 UTC (date -u -d @1700000000). */
	assert_int_equal(bs_efivar_time_from_unix(1700000000, &t), 0);
	bs_efivar_time_format(&t, text);
	assert_string_equal(text, "2023-11-14 22:13:20");
	/* Month is 1-based: sbvarsign's 0-based month is the bug not to copy. */
	assert_int_equal(bs_efivar_time_from_unix(1700000000 + 17 * 86400, &t), 0);
	assert_int_equal(t.month, 12);
	assert_int_equal(t.day, 1);

	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(bs_efivar_time_default(&t, NULL), 0);
	assert_int_equal(t.hour, 22);
	setenv("SOURCE_DATE_EPOCH", "17e8", 1);
	assert_int_equal(bs_efivar_time_default(&t, NULL), -EINVAL);
	unsetenv("SOURCE_DATE_EPOCH");
}

/* A DER certificate to put into lists, made fresh for the run. */
static struct bs_key *test_key;
static struct bs_cert *test_cert;

static int setup(void **state)
{
	struct bs_cert_params p = { .common_name = "test-db" };

	(void)state;
	if (bs_keys_generate(BS_KEY_RSA2048, &test_key, NULL) < 0 ||
	    bs_keys_self_sign(test_key, &p, &test_cert, NULL) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bs_key_free(test_key);
	bs_cert_free(test_cert);
	return 0;
}

static void test_esl_x509(void **state)
{
	struct bs_efivar_buf buf = { 0 };
	struct bs_efivar_esl *esl;
	struct bs_efi_guid owner, got_owner;
	const uint8_t *der, *data;
	size_t der_len, len;

	(void)state;
	der = bs_cert_der(test_cert, &der_len);
	assert_int_equal(bs_efivar_guid_parse("11111111-2222-3333-4444-555555555555", &owner), 0);
	assert_int_equal(bs_efivar_esl_add_x509(&buf, &owner, der, der_len), 0);
	/* §6: SignatureListSize = 28 + 16 + DER, SignatureSize = 16 + DER, header 0. */
	assert_int_equal(buf.len, 28 + 16 + der_len);
	assert_memory_equal(buf.data, bs_efi_cert_x509_guid.bytes, 16);
	assert_int_equal(bsi_get_le32(buf.data + 16), 28 + 16 + der_len);
	assert_int_equal(bsi_get_le32(buf.data + 20), 0);
	assert_int_equal(bsi_get_le32(buf.data + 24), 16 + der_len);
	assert_memory_equal(buf.data + 28, owner.bytes, 16);
	assert_memory_equal(buf.data + 44, der, der_len);

	assert_int_equal(bs_efivar_esl_add_x509(&buf, &owner, der, der_len), 0);
	assert_int_equal(bs_efivar_esl_parse(buf.data, buf.len, "x", &esl, NULL), 0);
	assert_int_equal(esl->n_lists, 2);
	assert_int_equal(esl->lists[1].offset, 28 + 16 + der_len);
	bs_efivar_esl_entry(&esl->lists[1], 0, &got_owner, &data, &len);
	assert_true(bs_efivar_guid_equal(&got_owner, &owner));
	assert_int_equal(len, der_len);
	assert_memory_equal(data, der, der_len);
	bs_efivar_esl_free(esl);
	bs_efivar_buf_release(&buf);
}

static void test_esl_sha256(void **state)
{
	uint8_t hashes[3][32];
	struct bs_efivar_buf buf = { 0 };
	struct bs_efivar_esl *esl;

	(void)state;
	for (int i = 0; i < 3; i++)
		memset(hashes[i], 0x10 + i, 32);
	assert_int_equal(bs_efivar_esl_add_sha256(&buf, &bs_efi_global_variable_guid,
						  (const uint8_t(*)[32])hashes, 3), 0);
	assert_int_equal(buf.len, 28 + 3 * 48);
	assert_int_equal(bsi_get_le32(buf.data + 24), 48);
	assert_int_equal(bs_efivar_esl_parse(buf.data, buf.len, "x", &esl, NULL), 0);
	assert_int_equal(esl->n_lists, 1);
	assert_int_equal(esl->lists[0].n_entries, 3);
	assert_memory_equal(esl->lists[0].entries + 48 * 2 + 16, hashes[2], 32);
	bs_efivar_esl_free(esl);
	bs_efivar_buf_release(&buf);
	/* An empty file is zero lists: the payload that deletes a variable. */
	assert_int_equal(bs_efivar_esl_parse((const uint8_t *)"", 0, "x", &esl, NULL), 0);
	assert_int_equal(esl->n_lists, 0);
	bs_efivar_esl_free(esl);
}

/* One SHA-256 list with a given header and n 48-byte entries. */
static size_t hostile_list(uint8_t *p, uint32_t list_size, uint32_t header_size, uint32_t sig_size)
{
	memcpy(p, bs_efi_cert_sha256_guid.bytes, 16);
	bsi_put_le32(p + 16, list_size);
	bsi_put_le32(p + 20, header_size);
	bsi_put_le32(p + 24, sig_size);
	memset(p + 28, 0xab, 2 * 48);
	return 28 + 2 * 48;
}

static void expect_bad_esl(const uint8_t *buf, size_t len, const char *want)
{
	struct bs_efivar_esl *esl = (void *)1;
	struct bs_error err = { 0 };

	assert_int_equal(bs_efivar_esl_parse(buf, len, "f.esl", &esl, &err), -EBADMSG);
	assert_null(esl);
	assert_string_equal(err.path, "f.esl");
	if (!strstr(err.message, want))
		fail_msg("message '%s' lacks '%s'", err.message, want);
}

static void test_esl_hostile(void **state)
{
	uint8_t buf[256];
	size_t n;

	(void)state;
	n = hostile_list(buf, 28 + 96, 0, 48);
	expect_bad_esl(buf, 20, "truncated signature list header");
	expect_bad_esl(buf, n - 1, "claims 124 bytes, 123 are left");
	hostile_list(buf, 27, 0, 48);
	expect_bad_esl(buf, n, "claims 27 bytes");
	hostile_list(buf, 28 + 96, 0, 47);
	expect_bad_esl(buf, n, "not a multiple of signature size 47");
	hostile_list(buf, 28 + 96, 0, 32);
	expect_bad_esl(buf, n, "signature size 32 (want 0 and 48)");
	/* 28 + 0xffffffec wraps to 20 in 32 bits; the parser must not. */
	hostile_list(buf, 28 + 96, 0xffffffecu, 48);
	expect_bad_esl(buf, n, "header size 4294967276 exceeds list size 124");
	hostile_list(buf, 28 + 96, 0, 0);
	expect_bad_esl(buf, n, "signature size 0");
	hostile_list(buf, 28 + 96, 0, 16);
	expect_bad_esl(buf, n, "signature size 16");
	hostile_list(buf, 28, 0, 48);
	expect_bad_esl(buf, 28, "0 bytes of entries");
	hostile_list(buf, 28 + 96, 0, 96);
	expect_bad_esl(buf, n, "SHA-256 list at offset 0 has header size 0 and signature size 96");
	hostile_list(buf, 28 + 96, 48, 48);
	expect_bad_esl(buf, n, "SHA-256 list at offset 0 has header size 48 and signature size 48");
	/* X.509 type with entries that are not a certificate. */
	hostile_list(buf, 28 + 96, 0, 96);
	memcpy(buf, bs_efi_cert_x509_guid.bytes, 16);
	expect_bad_esl(buf, n, "entry 0 is not one DER certificate");
	hostile_list(buf, 28 + 96, 48, 48);
	memcpy(buf, bs_efi_cert_x509_guid.bytes, 16);
	expect_bad_esl(buf, n, "has a 48-byte header");
	/* A good list followed by a bad one reports the second offset. */
	hostile_list(buf, 28 + 96, 0, 48);
	hostile_list(buf + n, 28 + 96, 0, 47);
	expect_bad_esl(buf, 2 * n, "offset 124");
}

static void test_auth_round_trip(void **state)
{
	static const uint8_t time_2020[16] = { 0xe4, 0x07, 0x01, 0x01 };
	struct bs_efivar_update u = { .name = "db", .attributes = BS_EFIVAR_ATTRS_APPEND };
	struct bs_efivar_buf esl = { 0 }, out = { 0 }, content = { 0 };
	struct bs_efivar_auth auth;
	struct bs_error err = { 0 };
	struct bs_key *other_key;
	struct bs_cert *other_cert;
	struct bs_cert_params p = { .common_name = "other" };
	const uint8_t *der;
	size_t der_len;

	(void)state;
	der = bs_cert_der(test_cert, &der_len);
	assert_int_equal(bs_efivar_esl_add_x509(&esl, &bs_efi_global_variable_guid, der, der_len), 0);
	assert_int_equal(bs_efivar_vendor_for_name("db", &u.vendor), 0);
	assert_int_equal(bs_efivar_vendor_for_name("MokList", &u.vendor), -ENOENT);
	assert_int_equal(bs_efivar_vendor_for_name("db", &u.vendor), 0);
	assert_int_equal(bs_efivar_time_parse("2020-01-01 00:00:00", &u.time), 0);
	u.data = esl.data;
	u.data_len = esl.len;

	/* §6: "db" = 64 00 62 00, then vendor GUID, attributes LE, EFI_TIME, data. */
	assert_int_equal(bs_efivar_signed_content(&u, &content), 0);
	assert_int_equal(content.len, 4 + 16 + 4 + 16 + esl.len);
	assert_memory_equal(content.data, "d\0b\0", 4);
	assert_memory_equal(content.data + 4, bs_efi_image_security_guid.bytes, 16);
	assert_int_equal(bsi_get_le32(content.data + 20), 0x67);
	assert_memory_equal(content.data + 24, time_2020, 16);
	bs_efivar_buf_release(&content);

	assert_int_equal(bs_efivar_auth_sign(&u, test_key, test_cert, &out, &err), 0);
	assert_memory_equal(out.data, time_2020, 16);
	assert_int_equal(bsi_get_le16(out.data + 20), 0x0200);
	assert_int_equal(bsi_get_le16(out.data + 22), 0x0ef1);
	assert_memory_equal(out.data + 24, bs_efi_cert_pkcs7_guid.bytes, 16);
	assert_int_equal(out.data[40], 0x30);   /* bare SignedData: a SEQUENCE, no ContentInfo OID */
	assert_int_equal(bs_efivar_auth_parse(out.data, out.len, "a", &auth, &err), 0);
	assert_int_equal(16 + bsi_get_le32(out.data + 16) + esl.len, out.len);
	assert_int_equal(auth.data_len, esl.len);
	assert_memory_equal(auth.data, esl.data, esl.len);
	assert_int_equal(bs_efivar_auth_verify(&auth, "db", &u.vendor, 0x67, test_cert, "a", &err), 0);
	assert_int_equal(bs_efivar_auth_verify(&auth, "db", &u.vendor, 0x27, test_cert, "a", NULL),
			 -EKEYREJECTED);
	assert_int_equal(bs_efivar_auth_verify(&auth, "dbx", &u.vendor, 0x67, test_cert, "a", NULL),
			 -EKEYREJECTED);
	assert_int_equal(bs_efivar_auth_verify(&auth, "db", &bs_efi_global_variable_guid, 0x67,
					       test_cert, "a", NULL), -EKEYREJECTED);

	assert_int_equal(bs_keys_generate(BS_KEY_ECDSA_P256, &other_key, NULL), 0);
	assert_int_equal(bs_keys_self_sign(other_key, &p, &other_cert, NULL), 0);
	assert_int_equal(bs_efivar_auth_verify(&auth, "db", &u.vendor, 0x67, other_cert, "a", NULL),
			 -EKEYREJECTED);
	/* Signing with a key that is not the cert's is refused, not produced. */
	bs_efivar_buf_release(&out);
	assert_int_equal(bs_efivar_auth_sign(&u, other_key, test_cert, &out, NULL), -ENOKEY);
	assert_int_equal(out.len, 0);
	bs_key_free(other_key);
	bs_cert_free(other_cert);
	bs_efivar_buf_release(&esl);
}

/* AUTH's bytes with the certificates inside its SignedData replaced by CERT
 * (none when NULL), everything else, the signature included, unchanged. */
static void auth_with_certs(const struct bs_efivar_auth *auth, X509 *cert, struct bs_efivar_buf *out)
{
	const unsigned char *p = auth->signed_data;
	PKCS7_SIGNED *sd = d2i_PKCS7_SIGNED(NULL, &p, (long)auth->signed_data_len);
	unsigned char *der = NULL;
	int der_len;

	assert_non_null(sd);
	sk_X509_pop_free(sd->cert, X509_free);
	sd->cert = NULL;
	if (cert) {
		sd->cert = sk_X509_new_null();
		assert_true(sd->cert && sk_X509_push(sd->cert, X509_dup(cert)));
	}
	der_len = i2d_PKCS7_SIGNED(sd, &der);
	assert_true(der_len > 0);
	out->len = 40 + (size_t)der_len + auth->data_len;
	out->data = calloc(1, out->len);
	assert_non_null(out->data);
	memcpy(out->data, auth->signed_data - 40, 40);
	bsi_put_le32(out->data + 16, 24 + (uint32_t)der_len);
	memcpy(out->data + 40, der, (size_t)der_len);
	memcpy(out->data + 40 + der_len, auth->data, auth->data_len);
	OPENSSL_free(der);
	PKCS7_SIGNED_free(sd);
}

/*
 * edk2 verifies an .auth with the signer certificate it carries, chained to
 * the enrolled one; so must we, or `auth verify` says yes where firmware
 * says no.
 */
static void test_auth_embedded_signer(void **state)
{
	struct bs_efivar_update u = { .name = "db", .attributes = 0x27, .data = (const uint8_t *)"",
				      .data_len = 0 };
	struct bs_efivar_buf signed_auth = { 0 }, changed = { 0 };
	struct bs_efivar_auth auth, changed_auth;
	struct bs_key *other_key;
	struct bs_error err = { 0 };
	X509 *forged;

	(void)state;
	assert_int_equal(bs_efivar_vendor_for_name("db", &u.vendor), 0);
	assert_int_equal(bs_efivar_time_parse("2020-01-01 00:00:00", &u.time), 0);
	assert_int_equal(bs_efivar_auth_sign(&u, test_key, test_cert, &signed_auth, NULL), 0);
	assert_int_equal(bs_efivar_auth_parse(signed_auth.data, signed_auth.len, "a", &auth, NULL), 0);

	/* Re-encoding with the same certificate changes nothing that matters. */
	auth_with_certs(&auth, bs_cert_x509(test_cert), &changed);
	assert_int_equal(bs_efivar_auth_parse(changed.data, changed.len, "b", &changed_auth, &err), 0);
	assert_int_equal(bs_efivar_auth_verify(&changed_auth, "db", &u.vendor, 0x27, test_cert, "b", &err), 0);
	bs_efivar_buf_release(&changed);

	/* No certificate: nothing for firmware to check the signature with. */
	auth_with_certs(&auth, NULL, &changed);
	assert_int_equal(bs_efivar_auth_parse(changed.data, changed.len, "b", &changed_auth, NULL), 0);
	assert_int_equal(bs_efivar_auth_verify(&changed_auth, "db", &u.vendor, 0x27, test_cert, "b", NULL),
			 -EKEYREJECTED);
	bs_efivar_buf_release(&changed);

	/* The signer's name and serial, another key: the signature no longer
	 * matches the certificate, whatever the enrolled one says. */
	assert_int_equal(bs_keys_generate(BS_KEY_RSA2048, &other_key, NULL), 0);
	forged = X509_dup(bs_cert_x509(test_cert));
	assert_non_null(forged);
	assert_int_equal(X509_set_pubkey(forged, bs_key_evp(other_key)), 1);
	assert_true(X509_sign(forged, bs_key_evp(other_key), EVP_sha256()) > 0);
	auth_with_certs(&auth, forged, &changed);
	assert_int_equal(bs_efivar_auth_parse(changed.data, changed.len, "b", &changed_auth, NULL), 0);
	assert_int_equal(bs_efivar_auth_verify(&changed_auth, "db", &u.vendor, 0x27, test_cert, "b", NULL),
			 -EKEYREJECTED);
	bs_efivar_buf_release(&changed);
	X509_free(forged);
	bs_key_free(other_key);
	bs_efivar_buf_release(&signed_auth);
}

static void expect_bad_auth(const uint8_t *buf, size_t len, const char *want)
{
	struct bs_efivar_auth auth;
	struct bs_error err = { 0 };

	assert_int_equal(bs_efivar_auth_parse(buf, len, "f.auth", &auth, &err), -EBADMSG);
	if (!strstr(err.message, want))
		fail_msg("message '%s' lacks '%s'", err.message, want);
}

static void test_auth_hostile(void **state)
{
	uint8_t buf[64] = { 0xe4, 0x07, 0x01, 0x01 };
	struct bs_efivar_auth auth;

	(void)state;
	bsi_put_le32(buf + 16, 24 + 8);
	bsi_put_le16(buf + 20, 0x0200);
	bsi_put_le16(buf + 22, 0x0ef1);
	memcpy(buf + 24, bs_efi_cert_pkcs7_guid.bytes, 16);
	assert_int_equal(bs_efivar_auth_parse(buf, sizeof(buf), "f", &auth, NULL), 0);
	assert_int_equal(auth.signed_data_len, 8);
	assert_int_equal(auth.data_len, sizeof(buf) - 48);

	expect_bad_auth(buf, 39, "too short");
	for (int i = 7; i < 16; i++) {
		buf[i] = 1;
		expect_bad_auth(buf, sizeof(buf), "must be zero");
		buf[i] = 0;
	}
	buf[2] = 13;
	expect_bad_auth(buf, sizeof(buf), "not a valid date");
	buf[2] = 1;
	bsi_put_le32(buf + 16, 24);
	expect_bad_auth(buf, sizeof(buf), "length 24 leaves no room for a signature after its 24-byte header");
	bsi_put_le32(buf + 16, 49);
	expect_bad_auth(buf, sizeof(buf), "length 49 does not fit");
	bsi_put_le32(buf + 16, 0xffffffffu);
	expect_bad_auth(buf, sizeof(buf), "does not fit");
	bsi_put_le32(buf + 16, 32);
	bsi_put_le16(buf + 20, 0x0100);
	expect_bad_auth(buf, sizeof(buf), "revision 0x0100");
	bsi_put_le16(buf + 20, 0x0200);
	bsi_put_le16(buf + 22, 0x0002);
	expect_bad_auth(buf, sizeof(buf), "type 0x0002");
	bsi_put_le16(buf + 22, 0x0ef1);
	buf[24] ^= 1;
	expect_bad_auth(buf, sizeof(buf), "not EFI_CERT_TYPE_PKCS7_GUID");
	buf[24] ^= 1;

	/* Garbage where the SignedData goes is corrupt data, not a bad signature. */
	assert_int_equal(bs_efivar_auth_parse(buf, sizeof(buf), "f", &auth, NULL), 0);
	assert_int_equal(bs_efivar_auth_verify(&auth, "db", &bs_efi_image_security_guid, 0x27,
					       test_cert, "f", NULL), -EBADMSG);
}

UNIT_TESTS(setup, teardown,
	cmocka_unit_test(test_guid_layout),
	cmocka_unit_test(test_time),
	cmocka_unit_test(test_esl_x509),
	cmocka_unit_test(test_esl_sha256),
	cmocka_unit_test(test_esl_hostile),
	cmocka_unit_test(test_auth_round_trip),
	cmocka_unit_test(test_auth_embedded_signer),
	cmocka_unit_test(test_auth_hostile))
