/* SPDX-License-Identifier: MIT */
/*
 * Authenticode on the specification-built image of pe-fixture.h. The image
 * hash is checked against SHA-256 over the byte ranges the Authenticode
 * specification lists, computed here independently; byte identity with
 * sbsign and acceptance by sbverify/osslsigncode are in tests/integration/uki.sh.
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

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <bootseal/authenticode.h>
#include <bootseal/pe.h>

#include "pe-fixture.h"

struct signer {
	EVP_PKEY *key;
	X509 *cert;
};

static struct signer make_signer(const char *cn)
{
	struct signer s = { EVP_RSA_gen(2048), X509_new() };
	X509_NAME *name = X509_NAME_new();

	assert_non_null(s.key);
	X509_set_version(s.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(s.cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(s.cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(s.cert), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(s.cert, name);
	X509_set_issuer_name(s.cert, name);
	X509_set_pubkey(s.cert, s.key);
	assert_true(X509_sign(s.cert, s.key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return s;
}

static void signer_free(struct signer *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
}

static struct bs_pe *fixture(size_t extra)
{
	uint8_t p[FX_SIZE + 16];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	fx_build(p);
	for (size_t i = 0; i < extra; i++)
		p[FX_SIZE + i] = (uint8_t)(0xa0 + i);
	assert_int_equal(bs_pe_new(p, FX_SIZE + extra, "x.efi", &pe, &err), 0);
	return pe;
}

/* SHA-256 of the ranges the specification names, plus the padding signing adds. */
static void expected_digest(const uint8_t *p, size_t size, uint8_t out[32])
{
	uint8_t *buf = calloc(1, size + 8);
	size_t n = 0;

	assert_non_null(buf);
#define RANGE(from, to) (memcpy(buf + n, p + (from), (size_t)((to) - (from))), n += (size_t)((to) - (from)))
	RANGE(0, FX_CHECKSUM);
	RANGE(FX_CHECKSUM + 4, FX_CERT_DIR);
	RANGE(FX_CERT_DIR + 8, 0x200);
	RANGE(0x200, 0x400);                    /* .text */
	RANGE(0x400, 0x600);                    /* .data */
	RANGE(0x600, size);                     /* trailing data */
#undef RANGE
	if (size % 8)
		n += 8 - size % 8;              /* zeros from calloc */
	SHA256(buf, n, out);
	free(buf);
}

static void test_digest(void **state)
{
	uint8_t want[32], got[32];
	struct bs_error err = { 0 };

	(void)state;
	for (size_t extra = 0; extra <= 9; extra += 3) {
		struct bs_pe *pe = fixture(extra);
		expected_digest(pe->data, pe->size, want);
		assert_int_equal(bs_authenticode_digest(pe, got, &err), 0);
		assert_memory_equal(got, want, 32);
		/* CheckSum and the directory entry are outside the hash. */
		bsi_put_le32(pe->data + FX_CHECKSUM, 0x12345678);
		assert_int_equal(bs_authenticode_digest(pe, got, &err), 0);
		assert_memory_equal(got, want, 32);
		bs_pe_free(pe);
	}
}

/* Sections are hashed in file order, whatever the section table order. */
static void test_digest_file_order(void **state)
{
	uint8_t p[FX_SIZE], want[32], got[32];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	fx_build(p);
	fx_section(p, 0, ".data\0\0", 0x20, 0x2000, 0x200, 0x400);
	fx_section(p, 1, ".text\0\0", 0x10, 0x1000, 0x200, 0x200);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(bs_authenticode_digest(pe, got, &err), 0);
	/* Only the swapped section headers differ from the reference layout. */
	uint8_t ref[FX_SIZE];
	fx_build(ref);
	memcpy(ref + FX_SECT, p + FX_SECT, 80);
	expected_digest(ref, FX_SIZE, want);
	assert_memory_equal(got, want, 32);
	bs_pe_free(pe);
}

/*
 * .data moved to 0x600 leaves a 0x200-byte gap after .text; 16 bytes follow
 * .data. The tail is hashed from the count of bytes hashed (0x600), as EDK2
 * does, so the gap is skipped and .data is hashed twice. The digest is the
 * one `pesign -h`, sbverify and osslsigncode compute for this file.
 */
#define GAP_SIZE 0x810
static void test_digest_gap(void **state)
{
	static const char want_hex[] = "70ae59de8aa3823ee3d6edbdb4286dc1f6fc51d8de341e2ac60b1256846fc8c5";
	uint8_t p[GAP_SIZE], got[32];
	char hex[65];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	memset(p, 0, sizeof(p));
	fx_build(p);
	fx_section(p, 1, ".data", 0x20, 0x2000, 0x200, 0x600);
	for (int i = 0x400; i < GAP_SIZE; i++)
		p[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(bs_pe_new(p, sizeof(p), "gap.efi", &pe, &err), 0);
	assert_int_equal(bs_authenticode_digest(pe, got, &err), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", got[i]);
	assert_string_equal(hex, want_hex);
	bs_pe_free(pe);
}

static void test_sign_verify(void **state)
{
	struct signer a = make_signer("a"), b = make_signer("b");
	struct bs_authenticode_signer sa = { a.key, a.cert, 1700000000 };
	struct bs_authenticode_signer sb = { b.key, b.cert, 1700000000 };
	struct bs_pe *pe = fixture(5);
	struct bs_error err = { 0 };
	struct bs_authenticode_signature *sigs = NULL;
	uint8_t before[32], after[32];
	size_t n, which = 99, table;

	(void)state;
	assert_int_equal(bs_authenticode_digest(pe, before, &err), 0);
	assert_int_equal(bs_authenticode_verify(pe, &a.cert, 1, NULL, &err), -EKEYREJECTED);
	assert_string_equal(err.message, "no signature table present");

	bs_error_clear(&err);
	assert_int_equal(bs_authenticode_sign(pe, &sa, &err), 0);
	/* 0x605 bytes are padded to 0x608, where the table starts. */
	assert_int_equal(pe->cert_offset, 0x608);
	assert_int_equal(pe->cert_size % 8, 0);
	assert_int_equal(pe->cert_offset + pe->cert_size, pe->size);
	assert_int_equal(bsi_get_le16(pe->data + 0x608 + 4), 0x0200);
	assert_int_equal(bsi_get_le16(pe->data + 0x608 + 6), 0x0002);
	table = pe->cert_size;
	assert_true(bsi_get_le32(pe->data + 0x608) + 7 >= table && bsi_get_le32(pe->data + 0x608) <= table);
	assert_int_equal(bsi_get_le32(pe->data + pe->checksum_offset),
			 bs_pe_checksum(pe->data, pe->size, pe->checksum_offset));
	assert_int_equal(bs_authenticode_digest(pe, after, &err), 0);
	assert_memory_equal(before, after, 32);

	assert_int_equal(bs_authenticode_verify(pe, &a.cert, 1, &which, &err), 0);
	assert_int_equal(which, 0);
	assert_int_equal(bs_authenticode_verify(pe, &b.cert, 1, NULL, &err), -EKEYREJECTED);
	assert_string_equal(err.message, "not signed by a trusted certificate");

	assert_int_equal(bs_authenticode_list(pe, &sigs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sigs[0].digest_alg, "sha256");
	assert_true(sigs[0].digest_matches);
	assert_string_equal(sigs[0].signer_subject, "/CN=a");
	/* The signed hash is the image hash, at the end of the SpcIndirectDataContent. */
	assert_non_null(memmem(sigs[0].der, sigs[0].der_len, before, 32));
	free(sigs);

	/* A second signature is appended; either signer now verifies. */
	bs_error_clear(&err);
	assert_int_equal(bs_authenticode_sign(pe, &sb, &err), 0);
	assert_int_equal(pe->cert_offset, 0x608);
	assert_true(pe->cert_size > table);
	assert_int_equal(bs_authenticode_verify(pe, &b.cert, 1, &which, &err), 0);
	assert_int_equal(which, 1);
	assert_int_equal(bs_authenticode_verify(pe, &a.cert, 1, &which, &err), 0);
	assert_int_equal(which, 0);
	assert_int_equal(bs_authenticode_list(pe, &sigs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sigs[1].signer_subject, "/CN=b");
	free(sigs);

	/* One changed byte of section data breaks every signature. */
	pe->data[0x300] ^= 1;
	bs_error_clear(&err);
	assert_int_equal(bs_authenticode_verify(pe, &a.cert, 1, NULL, &err), -EKEYREJECTED);
	assert_string_equal(err.message, "no signature verifies: image hash does not match the signed hash");
	pe->data[0x300] ^= 1;

	/* Removing the signatures gives back the padded image and its hash. */
	assert_int_equal(bs_authenticode_remove(pe, &err), 0);
	assert_int_equal(pe->size, 0x608);
	assert_int_equal(pe->cert_size, 0);
	assert_int_equal(bsi_get_le32(pe->data + FX_CERT_DIR), 0);
	assert_int_equal(bs_authenticode_digest(pe, after, &err), 0);
	assert_memory_equal(before, after, 32);

	bs_pe_free(pe);
	signer_free(&a);
	signer_free(&b);
}

/* The same signing time, key and image give the same bytes (sbsign compatible). */
static void test_deterministic(void **state)
{
	struct signer a = make_signer("a");
	struct bs_authenticode_signer sa = { a.key, a.cert, 1700000000 };
	struct bs_pe *pe = fixture(0);
	struct bs_error err = { 0 };
	uint8_t *d1 = NULL, *d2 = NULL;
	size_t l1, l2;

	(void)state;
	assert_int_equal(bs_authenticode_sign_detached(pe, &sa, &d1, &l1, &err), 0);
	assert_int_equal(bs_authenticode_sign_detached(pe, &sa, &d2, &l2, &err), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	/* signingTime 2023-11-14 22:13:20 UTC as UTCTime. */
	assert_non_null(memmem(d1, l1, "\x17\x0d" "231114221320Z", 15));
	free(d1);
	free(d2);

	/* A key that is not the certificate's is refused before signing. */
	struct signer b = make_signer("b");
	struct bs_authenticode_signer mixed = { b.key, a.cert, 0 };
	assert_int_equal(bs_authenticode_sign(pe, &mixed, &err), -EKEYREJECTED);
	assert_int_equal(pe->cert_size, 0);
	bs_pe_free(pe);
	signer_free(&a);
	signer_free(&b);
}

/* A malformed table entry is corrupt data, not a failed verification. */
/* sbverify --detached and --no-verify: the signature file against the image,
 * the trust check skipped only with BS_AUTHENTICODE_NO_CHAIN. */
static void test_verify_detached(void **state)
{
	struct signer a = make_signer("a"), b = make_signer("b");
	struct bs_authenticode_signer sa = { a.key, a.cert, 1700000000 };
	struct bs_pe *pe = fixture(0), *other = fixture(3);
	struct bs_error err = { 0 };
	uint8_t *der = NULL;
	size_t len;

	(void)state;
	assert_int_equal(bs_authenticode_sign_detached(pe, &sa, &der, &len, &err), 0);
	assert_int_equal(bs_authenticode_verify_detached(pe, der, len, &a.cert, 1, 0, &err), 0);
	assert_int_equal(bs_authenticode_verify_detached(pe, der, len, &b.cert, 1, 0, &err), -EKEYREJECTED);
	assert_string_equal(err.message, "detached signature: not signed by a trusted certificate");
	assert_int_equal(bs_authenticode_verify_detached(pe, der, len, NULL, 0, BS_AUTHENTICODE_NO_CHAIN, &err), 0);
	/* Another image: the hash, which no flag skips. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(bs_authenticode_verify_detached(other, der, len, NULL, 0, BS_AUTHENTICODE_NO_CHAIN, &err),
			 -EKEYREJECTED);
	assert_string_equal(err.message, "detached signature: image hash does not match the signed hash");
	/* A corrupted signature value: the signer's signature, which no flag skips. */
	der[len - 5] ^= 0x55;
	assert_int_equal(bs_authenticode_verify_detached(pe, der, len, NULL, 0, BS_AUTHENTICODE_NO_CHAIN, &err),
			 -EKEYREJECTED);
	/* The image's own table is not read: an unsigned image stays unsigned. */
	assert_int_equal(pe->cert_size, 0);
	free(der);
	bs_pe_free(pe);
	bs_pe_free(other);
	signer_free(&a);
	signer_free(&b);
}

static void test_bad_table(void **state)
{
	uint8_t p[FX_SIZE + 16];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };
	struct bs_authenticode_signature *sigs = NULL;
	size_t n;

	(void)state;
	memset(p, 0, sizeof(p));
	fx_build(p);
	bsi_put_le32(p + FX_CERT_DIR, FX_SIZE);
	bsi_put_le32(p + FX_CERT_DIR + 4, 16);
	bsi_put_le32(p + FX_SIZE, 64);                     /* longer than the table */
	bsi_put_le16(p + FX_SIZE + 4, 0x0200);
	bsi_put_le16(p + FX_SIZE + 6, 0x0002);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(bs_authenticode_list(pe, &sigs, &n, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "outside the table"));
	/* Signing must not append to a table it cannot read (found by the
	 * hostile suite: `sign` wrote an image `verify` rejects). */
	bs_error_clear(&err);
	assert_int_equal(bs_authenticode_attach(pe, (const uint8_t *)"\x30\x00", 2, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "outside the table"));
	assert_int_equal(pe->size, sizeof(p));
	bs_pe_free(pe);

	bsi_put_le32(p + FX_SIZE, 16);                     /* fits, but is no PKCS#7 */
	bs_error_clear(&err);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(bs_authenticode_list(pe, &sigs, &n, &err), -EBADMSG);
	assert_string_equal(err.message, "signature 1: signature is not PKCS#7 DER");
	bs_pe_free(pe);
}

/* A table whose last entry is not padded to 8 bytes (the table then ends
 * unaligned at the end of the file): a new entry goes at the next 8-byte
 * boundary, where a reader looks for it, not at the end of the file. */
static void test_unaligned_table(void **state)
{
	struct signer a = { 0 }, b = make_signer("b");
	struct bs_authenticode_signer sb = { b.key, b.cert, 1700000000 };
	struct bs_authenticode_signature *sigs = NULL;
	struct bs_pe *pe = fixture(5), *signed_pe = NULL;
	struct bs_error err = { 0 };
	char cn[16] = "";
	uint8_t *der = NULL, *p;
	size_t len = 0, off, n, which = 99;

	(void)state;
	/* The DER length follows the subject's: find one that leaves the entry unaligned. */
	for (size_t i = 0; i < 8 && !len; i++) {
		struct bs_authenticode_signer sa;

		cn[i] = 'a';
		signer_free(&a);
		a = make_signer(cn);
		sa = (struct bs_authenticode_signer){ a.key, a.cert, 1700000000 };
		assert_int_equal(bs_authenticode_sign_detached(pe, &sa, &der, &len, &err), 0);
		if ((8 + len) % 8 == 0) {
			free(der);
			der = NULL;
			len = 0;
		}
	}
	assert_non_null(der);
	off = (pe->size + 7) / 8 * 8;
	p = calloc(1, off + 8 + len);
	assert_non_null(p);
	memcpy(p, pe->data, pe->size);
	bsi_put_le32(p + FX_CERT_DIR, (uint32_t)off);
	bsi_put_le32(p + FX_CERT_DIR + 4, (uint32_t)(8 + len));
	bsi_put_le32(p + off, (uint32_t)(8 + len));
	bsi_put_le16(p + off + 4, 0x0200);
	bsi_put_le16(p + off + 6, 0x0002);
	memcpy(p + off + 8, der, len);
	assert_int_equal(bs_pe_new(p, off + 8 + len, "x.efi", &signed_pe, &err), 0);
	assert_int_equal(bs_authenticode_verify(signed_pe, &a.cert, 1, &which, &err), 0);

	assert_int_equal(bs_authenticode_sign(signed_pe, &sb, &err), 0);
	assert_int_equal(signed_pe->cert_size % 8, 0);
	assert_int_equal(bs_authenticode_list(signed_pe, &sigs, &n, &err), 0);
	assert_int_equal(n, 2);
	free(sigs);
	assert_int_equal(bs_authenticode_verify(signed_pe, &b.cert, 1, &which, &err), 0);
	assert_int_equal(which, 1);
	assert_int_equal(bs_authenticode_verify(signed_pe, &a.cert, 1, &which, &err), 0);
	assert_int_equal(which, 0);

	bs_pe_free(signed_pe);
	bs_pe_free(pe);
	free(p);
	free(der);
	signer_free(&a);
	signer_free(&b);
}

/* digestAlgorithms naming an unknown digest: rejected, and (under ASan) no
 * leak from OpenSSL's PKCS7_verify, which fuzz/fuzz-pe found. */
static void test_unknown_digest_alg(void **state)
{
	static const uint8_t sha256_oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
	struct signer a = make_signer("a");
	struct bs_authenticode_signer sa = { a.key, a.cert, 1700000000 };
	struct bs_pe *pe = fixture(5);
	struct bs_error err = { 0 };
	uint8_t *oid;

	(void)state;
	assert_int_equal(bs_authenticode_sign(pe, &sa, &err), 0);
	oid = memmem(pe->data + pe->cert_offset, pe->cert_size, sha256_oid, sizeof(sha256_oid));
	assert_non_null(oid);
	oid[sizeof(sha256_oid) - 1] = 0x7f;     /* 2.16.840.1.101.3.4.2.127 */
	assert_int_equal(bs_authenticode_verify(pe, &a.cert, 1, NULL, &err), -EKEYREJECTED);
	assert_non_null(strstr(err.message, "unsupported digest algorithm"));
	bs_pe_free(pe);
	signer_free(&a);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(test_digest),
	cmocka_unit_test(test_digest_file_order),
	cmocka_unit_test(test_digest_gap),
	cmocka_unit_test(test_sign_verify),
	cmocka_unit_test(test_deterministic),
	cmocka_unit_test(test_verify_detached),
	cmocka_unit_test(test_bad_table),
	cmocka_unit_test(test_unknown_digest_alg),
	cmocka_unit_test(test_unaligned_table))
