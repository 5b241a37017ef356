/* SPDX-License-Identifier: MIT */
/*
 * Authenticode signing and verification for PE images. The SignedData is
 * built through OpenSSL's PKCS7 API in the same order of steps sbsign takes,
 * so for the same key, certificate, image and signing time the DER is the
 * same byte for byte (RSA PKCS#1 v1.5 signatures are deterministic).
 */
#include <bootseal/authenticode.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "formats/pe.h"
#include "util.h"

#define SPC_INDIRECT_DATA_OID "1.3.6.1.4.1.311.2.1.4"

/*
 * SpcIndirectDataContent with SpcPeImageData { flags: empty BIT STRING,
 * file: SpcLink [0] { file [2] { unicode [0] "<<<Obsolete>>>" } } } and a
 * SHA-256 DigestInfo. The fields are fixed, so the DER is a constant prefix
 * followed by the 32-byte hash.
 */
static const uint8_t idc_prefix[] = {
	0x30, 0x68,                                     /* SpcIndirectDataContent */
	0x30, 0x33,                                     /* SpcAttributeTypeAndOptionalValue */
	0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0f,
	0x30, 0x25,                                     /* SpcPeImageData */
	0x03, 0x01, 0x00,                               /* flags */
	0xa0, 0x20, 0xa2, 0x1e, 0x80, 0x1c,             /* SpcLink.file.unicode */
	0x00, '<', 0x00, '<', 0x00, '<', 0x00, 'O', 0x00, 'b', 0x00, 's', 0x00, 'o',
	0x00, 'l', 0x00, 'e', 0x00, 't', 0x00, 'e', 0x00, '>', 0x00, '>', 0x00, '>',
	0x30, 0x31,                                     /* DigestInfo */
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	0x04, 0x20,
};
_Static_assert(sizeof(idc_prefix) + BS_AUTHENTICODE_DIGEST_SIZE == 0x68 + 2, "IDC length");

static int openssl_error(struct bs_error *err, int code, const char *path, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return bs_error_set(err, code, path, "%s%s%s", what, e ? ": " : "", buf);
}

/* Hashes the image with md: see the header for the padding rule. */
static int image_hash(const struct bs_pe *pe, const EVP_MD *md, uint8_t *out, unsigned *out_len)
{
	static const uint8_t zeros[PE_WIN_CERT_ALIGN];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const uint8_t *d = pe->data;
	size_t n = pe->n_sections, cs = pe->checksum_offset, hashed, tail_end;
	_cleanup_free_ const struct bs_pe_section **order = calloc(n ? n : 1, sizeof(*order));
	int ok;

	if (!ctx || !order) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	ok = EVP_DigestInit_ex(ctx, md, NULL);
	if (pe->cert_dir_offset) {
		ok = ok && EVP_DigestUpdate(ctx, d, cs);
		ok = ok && EVP_DigestUpdate(ctx, d + cs + 4, pe->cert_dir_offset - cs - 4);
		ok = ok && EVP_DigestUpdate(ctx, d + pe->cert_dir_offset + 8,
					    pe->size_of_headers - pe->cert_dir_offset - 8);
	} else {
		ok = ok && EVP_DigestUpdate(ctx, d, cs);
		ok = ok && EVP_DigestUpdate(ctx, d + cs + 4, pe->size_of_headers - cs - 4);
	}
	/* Insertion sort by file offset: section counts are tiny. */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		if (!s->raw_size)
			continue;
		size_t j = m++;
		while (j > 0 && order[j - 1]->raw_offset > s->raw_offset) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = s;
	}
	hashed = pe->size_of_headers;
	for (size_t i = 0; i < m; i++) {
		ok = ok && EVP_DigestUpdate(ctx, d + order[i]->raw_offset, order[i]->raw_size);
		hashed += order[i]->raw_size;
	}
	/* The tail starts at the count of bytes hashed so far, not at the end
	 * of the last section: EDK2's DxeImageVerificationLib (SumOfBytesHashed),
	 * sbverify and pesign do so. They differ only when the sections leave a
	 * gap; the gap is then not hashed and the last sections' bytes are
	 * hashed twice. The table ends the file (pe.c), so this stops at it. */
	tail_end = pe->size - pe->cert_size;
	if (tail_end > hashed)
		ok = ok && EVP_DigestUpdate(ctx, d + hashed, tail_end - hashed);
	if (!pe->cert_size && pe->size % PE_WIN_CERT_ALIGN)
		ok = ok && EVP_DigestUpdate(ctx, zeros, PE_WIN_CERT_ALIGN - pe->size % PE_WIN_CERT_ALIGN);
	ok = ok && EVP_DigestFinal_ex(ctx, out, out_len);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}

int bs_authenticode_digest(const struct bs_pe *pe, uint8_t digest[BS_AUTHENTICODE_DIGEST_SIZE],
			   struct bs_error *err)
{
	if (!pe || !digest)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_digest: a NULL argument");
	unsigned len;
	int r = image_hash(pe, EVP_sha256(), digest, &len);

	if (r < 0)
		return openssl_error(err, r, pe->path, "cannot hash image");
	return 0;
}

/* Length of a DER header (tag + length octets) at p; 0 if malformed. */
static size_t der_header(const uint8_t *p, size_t avail, size_t *content_len)
{
	size_t n, len = 0;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return 0;
	if (!(p[1] & 0x80)) {
		len = p[1];
		n = 2;
	} else {
		size_t k = p[1] & 0x7f;
		if (k == 0 || k > 4 || avail < 2 + k)
			return 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		n = 2 + k;
	}
	if (len > avail - n)
		return 0;
	*content_len = len;
	return n;
}

int bs_authenticode_sign_detached(const struct bs_pe *pe, const struct bs_authenticode_signer *s,
				  uint8_t **der, size_t *der_len, struct bs_error *err)
{
	if (!pe || !s || !der || !der_len)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_sign_detached: a NULL argument");
	const int flags = PKCS7_BINARY | PKCS7_PARTIAL | PKCS7_DETACHED;
	uint8_t idc[sizeof(idc_prefix) + BS_AUTHENTICODE_DIGEST_SIZE];
	PKCS7 *p7 = NULL, *inner = NULL;
	PKCS7_SIGNER_INFO *si;
	ASN1_STRING *seq = NULL;
	ASN1_TIME *when = NULL;
	BIO *bio = NULL;
	unsigned char *out = NULL;
	int r, len;

	memcpy(idc, idc_prefix, sizeof(idc_prefix));
	r = bs_authenticode_digest(pe, idc + sizeof(idc_prefix), err);
	if (r < 0)
		return r;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		return bs_error_set(err, -EKEYREJECTED, pe->path,
				    "the private key does not belong to the certificate");
	}

	r = -ENOMEM;
	p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags);
	if (!p7)
		goto fail;
	si = PKCS7_sign_add_signer(p7, s->cert, s->key, EVP_sha256(), flags);
	if (!si || !PKCS7_content_new(p7, NID_pkcs7_data))
		goto fail;
	/* Replaces the pkcs7-data content type add_signer put in. */
	if (!PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
					OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1)))
		goto fail;
	when = ASN1_TIME_set(NULL, s->signing_time ? s->signing_time : time(NULL));
	if (!when || !PKCS7_add0_attrib_signing_time(si, when))
		goto fail;
	when = NULL;
	/* The messageDigest covers the IDC's contents, without its SEQUENCE header. */
	bio = PKCS7_dataInit(p7, NULL);
	if (!bio || BIO_write(bio, idc + 2, (int)sizeof(idc) - 2) != (int)sizeof(idc) - 2 ||
	    !PKCS7_dataFinal(p7, bio))
		goto fail;

	inner = PKCS7_new();
	seq = ASN1_STRING_new();
	if (!inner || !seq || !ASN1_STRING_set(seq, idc, (int)sizeof(idc)))
		goto fail;
	inner->type = OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1);
	inner->d.other = ASN1_TYPE_new();
	if (!inner->type || !inner->d.other)
		goto fail;
	ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
	seq = NULL;
	if (!PKCS7_set_content(p7, inner))
		goto fail;
	inner = NULL;

	len = i2d_PKCS7(p7, &out);
	if (len <= 0)
		goto fail;
	*der = malloc((size_t)len);
	if (!*der)
		goto fail;
	memcpy(*der, out, (size_t)len);
	*der_len = (size_t)len;
	r = 0;
	goto out;
fail:
	r = openssl_error(err, r, pe->path, "cannot create the PKCS#7 signature");
out:
	OPENSSL_free(out);
	ASN1_TIME_free(when);
	ASN1_STRING_free(seq);
	PKCS7_free(inner);
	BIO_free_all(bio);
	PKCS7_free(p7);
	return r;
}

struct entry;
static int walk_table(const struct bs_pe *pe, struct entry **entries, size_t *n,
		      struct bs_error *err);

int bs_authenticode_attach(struct bs_pe *pe, const uint8_t *der, size_t der_len,
			   struct bs_error *err)
{
	if (!pe || !der)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_attach: a NULL argument");
	size_t start, entry = sizeof(struct pe_win_certificate) + der_len, padded, n;
	struct entry *old;
	uint32_t table_off;
	int r;

	padded = (entry + PE_WIN_CERT_ALIGN - 1) / PE_WIN_CERT_ALIGN * PE_WIN_CERT_ALIGN;
	if (!pe->cert_dir_offset)
		return bs_error_set(err, -EINVAL, pe->path, "image has no certificate table directory entry");
	/* A new entry goes after the old ones: appending to a malformed table
	 * would write an image that no verifier (ours included) can read. */
	r = walk_table(pe, &old, &n, err);
	if (r < 0)
		return r;
	free(old);
	if (der_len > UINT32_MAX / 2 || (size_t)pe->cert_size + PE_WIN_CERT_ALIGN + padded > UINT32_MAX)
		return bs_error_set(err, -EINVAL, pe->path, "signature too large");
	if (pe->cert_size) {
		/* Readers step over entries in 8-byte units, so an unpadded last
		 * entry (the table then ends unaligned) is padded first. */
		table_off = pe->cert_offset;
		start = (size_t)table_off + (pe->cert_size + PE_WIN_CERT_ALIGN - 1) / PE_WIN_CERT_ALIGN * PE_WIN_CERT_ALIGN;
	} else {
		start = (pe->size + PE_WIN_CERT_ALIGN - 1) / PE_WIN_CERT_ALIGN * PE_WIN_CERT_ALIGN;
		table_off = (uint32_t)start;
	}
	/* Point the directory at the grown table, then grow: the re-check in
	 * resize sees a consistent image. */
	bsi_put_le32(pe->data + pe->cert_dir_offset, table_off);
	bsi_put_le32(pe->data + pe->cert_dir_offset + 4, (uint32_t)(start + padded - table_off));
	r = bs_pe_resize(pe, start + padded, err);
	if (r < 0)
		return r;
	bsi_put_le32(pe->data + start + PE_OFF(pe_win_certificate, length), (uint32_t)entry);
	bsi_put_le16(pe->data + start + PE_OFF(pe_win_certificate, revision), PE_WIN_CERT_REVISION_2_0);
	bsi_put_le16(pe->data + start + PE_OFF(pe_win_certificate, certificate_type),
		     PE_WIN_CERT_TYPE_PKCS_SIGNED_DATA);
	memcpy(pe->data + start + sizeof(struct pe_win_certificate), der, der_len);
	bs_pe_update_checksum(pe);
	return 0;
}

int bs_authenticode_sign(struct bs_pe *pe, const struct bs_authenticode_signer *s,
			 struct bs_error *err)
{
	if (!pe || !s)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_sign: a NULL argument");
	_cleanup_free_ uint8_t *der = NULL;
	size_t len;
	int r;

	r = bs_authenticode_sign_detached(pe, s, &der, &len, err);
	if (r < 0)
		return r;
	return bs_authenticode_attach(pe, der, len, err);
}

int bs_authenticode_remove(struct bs_pe *pe, struct bs_error *err)
{
	if (!pe)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_remove: a NULL argument");
	uint32_t off = pe->cert_offset;
	int r;

	if (!pe->cert_size)
		return 0;
	r = bs_pe_set_cert_table(pe, 0, 0, err);
	if (r < 0)
		return r;
	r = bs_pe_resize(pe, off, err);
	if (r < 0)
		return r;
	bs_pe_update_checksum(pe);
	return 0;
}

/* One WIN_CERTIFICATE entry, decoded. */
struct entry {
	const uint8_t *der;
	size_t der_len;
};

static int walk_table(const struct bs_pe *pe, struct entry **entries, size_t *n,
		      struct bs_error *err)
{
	size_t off = pe->cert_offset, end = (size_t)pe->cert_offset + pe->cert_size, count = 0;
	struct entry *e = NULL;

	*entries = NULL;
	*n = 0;
	while (off < end) {
		const uint8_t *h = pe->data + off;
		uint32_t len;
		struct entry *tmp;

		if (end - off < sizeof(struct pe_win_certificate))
			break;
		len = bsi_get_le32(h + PE_OFF(pe_win_certificate, length));
		if (len < sizeof(struct pe_win_certificate) || len > end - off) {
			free(e);
			return bs_error_set(err, -EBADMSG, pe->path,
					    "certificate table entry at 0x%zx has length %u, outside the table",
					    off, len);
		}
		if (bsi_get_le16(h + PE_OFF(pe_win_certificate, revision)) != PE_WIN_CERT_REVISION_2_0 ||
		    bsi_get_le16(h + PE_OFF(pe_win_certificate, certificate_type)) !=
			    PE_WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
			free(e);
			return bs_error_set(err, -EBADMSG, pe->path,
					    "certificate table entry at 0x%zx is not a PKCS#7 signature", off);
		}
		tmp = realloc(e, (count + 1) * sizeof(*e));
		if (!tmp) {
			free(e);
			return -ENOMEM;
		}
		e = tmp;
		e[count].der = h + sizeof(struct pe_win_certificate);
		e[count].der_len = len - sizeof(struct pe_win_certificate);
		count++;
		off += (len + PE_WIN_CERT_ALIGN - 1) / PE_WIN_CERT_ALIGN * PE_WIN_CERT_ALIGN;
	}
	*entries = e;
	*n = count;
	return 0;
}

/* The decoded parts of one signature that verification needs. */
struct parsed {
	PKCS7 *p7;
	const uint8_t *idc_content;    /* SpcIndirectDataContent without its header */
	size_t idc_content_len;
	const EVP_MD *md;
	const uint8_t *digest;
	size_t digest_len;
};

static void parsed_done(struct parsed *p)
{
	PKCS7_free(p->p7);
	memset(p, 0, sizeof(*p));
}

static const char *oid_text(const ASN1_OBJECT *o, char *buf, size_t size)
{
	if (OBJ_obj2txt(buf, (int)size, o, 1) <= 0)
		buf[0] = '\0';
	return buf;
}

/* Decodes a signature; a static reason string on failure. */
static const char *parse_signature(const uint8_t *der, size_t len, struct parsed *out)
{
	const unsigned char *p = der;
	const uint8_t *c, *q, *end;
	size_t clen, h, l;
	PKCS7 *inner;
	ASN1_OBJECT *alg;
	char oid[64];

	memset(out, 0, sizeof(*out));
	if (len > INT32_MAX || !(out->p7 = d2i_PKCS7(NULL, &p, (long)len)))
		return "signature is not PKCS#7 DER";
	/* The content of a ContentInfo is optional in ASN.1: a bare signedData
	 * OID decodes with no SignedData at all. */
	if (!PKCS7_type_is_signed(out->p7) || !out->p7->d.sign || !(inner = out->p7->d.sign->contents) ||
	    !inner->type || strcmp(oid_text(inner->type, oid, sizeof(oid)), SPC_INDIRECT_DATA_OID) != 0 ||
	    !inner->d.other || inner->d.other->type != V_ASN1_SEQUENCE)
		return "signature does not carry SpcIndirectDataContent";
	c = inner->d.other->value.sequence->data;
	clen = (size_t)inner->d.other->value.sequence->length;
	/* SEQUENCE { SEQUENCE { type, value }, DigestInfo SEQUENCE { AlgorithmIdentifier, OCTET STRING } } */
	h = der_header(c, clen, &l);
	if (!h || c[0] != 0x30 || h + l != clen)
		return "malformed SpcIndirectDataContent";
	out->idc_content = c + h;
	out->idc_content_len = l;
	q = c + h;
	end = q + l;
	h = der_header(q, (size_t)(end - q), &l);           /* SpcAttributeTypeAndOptionalValue */
	if (!h || q[0] != 0x30)
		return "malformed SpcIndirectDataContent";
	q += h + l;
	h = der_header(q, (size_t)(end - q), &l);           /* DigestInfo */
	if (!h || q[0] != 0x30 || q + h + l != end)
		return "malformed DigestInfo";
	q += h;
	h = der_header(q, (size_t)(end - q), &l);           /* AlgorithmIdentifier */
	if (!h || q[0] != 0x30)
		return "malformed DigestInfo";
	{
		const unsigned char *o = q + h;
		alg = d2i_ASN1_OBJECT(NULL, &o, (long)l);
		if (!alg)
			return "malformed digest algorithm";
		out->md = EVP_get_digestbyobj(alg);
		ASN1_OBJECT_free(alg);
	}
	q += h + l;
	h = der_header(q, (size_t)(end - q), &l);
	if (!h || q[0] != 0x04 || q + h + l != end)
		return "malformed DigestInfo";
	out->digest = q + h;
	out->digest_len = l;
	if (!out->md)
		return "unknown digest algorithm";
	if ((size_t)EVP_MD_get_size(out->md) != l)
		return "digest length does not match its algorithm";
	return NULL;
}

static int digest_matches(const struct bs_pe *pe, const struct parsed *p)
{
	uint8_t buf[EVP_MAX_MD_SIZE];
	unsigned len;

	return image_hash(pe, p->md, buf, &len) == 0 && len == p->digest_len &&
	       CRYPTO_memcmp(buf, p->digest, len) == 0;
}

static X509 *signer_cert(PKCS7 *p7)
{
	STACK_OF(X509) *signers = PKCS7_get0_signers(p7, NULL, 0);
	X509 *x = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;

	sk_X509_free(signers);
	ERR_clear_error();
	return x;
}

int bs_authenticode_list(const struct bs_pe *pe, struct bs_authenticode_signature **sigs,
			 size_t *n, struct bs_error *err)
{
	if (!pe || !sigs || !n)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_list: a NULL argument");
	_cleanup_free_ struct entry *e = NULL;
	struct bs_authenticode_signature *out;
	size_t count;
	int r = walk_table(pe, &e, &count, err);

	if (r < 0)
		return r;
	out = calloc(count ? count : 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		struct parsed p;
		const char *why = parse_signature(e[i].der, e[i].der_len, &p);
		X509 *x;

		if (why) {
			parsed_done(&p);
			free(out);
			return bs_error_set(err, -EBADMSG, pe->path, "signature %zu: %s", i + 1, why);
		}
		out[i].der = e[i].der;
		out[i].der_len = e[i].der_len;
		snprintf(out[i].digest_alg, sizeof(out[i].digest_alg), "%s", OBJ_nid2ln(EVP_MD_get_type(p.md)));
		out[i].digest_matches = digest_matches(pe, &p);
		x = signer_cert(p.p7);
		if (x) {
			X509_NAME_oneline(X509_get_subject_name(x), out[i].signer_subject,
					  sizeof(out[i].signer_subject));
			X509_NAME_oneline(X509_get_issuer_name(x), out[i].signer_issuer,
					  sizeof(out[i].signer_issuer));
		}
		parsed_done(&p);
	}
	*sigs = out;
	*n = count;
	return 0;
}

/*
 * The digests UEFI firmware verifies images with: EDK2's
 * DxeImageVerificationLib (HashPeImageByType) knows SHA-256, SHA-384 and
 * SHA-512, and SHA-1 unless built without it; sbverify refuses the rest.
 * An MD5 image hash would let a collision carry a db signature to another
 * image. NULL when nid is accepted, else the reason.
 */
static const char *digest_refused(int nid, unsigned flags)
{
	switch (nid) {
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
		return NULL;
	case NID_sha1:
		return flags & BS_AUTHENTICODE_ALLOW_SHA1 ? NULL : "SHA-1 is accepted only with --allow-sha1";
	}
	return "not SHA-256, SHA-384 or SHA-512";
}

static const char *alg_name(const ASN1_OBJECT *o, char *buf, size_t size)
{
	int nid = OBJ_obj2nid(o);

	return nid != NID_undef ? OBJ_nid2sn(nid) : oid_text(o, buf, size);
}

/*
 * The image hash, digestAlgorithms and every signer's digest must be ones
 * firmware accepts. Checking digestAlgorithms first also keeps unknown ones
 * from PKCS7_verify (3.0), which copies a memory content BIO and leaks the
 * copy when PKCS7_dataInit fails on one (the twin of openssl#30471 in
 * CMS_verify; found by fuzz/fuzz-pe).
 */
static const char *digests_refused(const struct parsed *p, unsigned flags, char *buf, size_t size)
{
	STACK_OF(X509_ALGOR) *algs = p->p7->d.sign->md_algs;
	STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(p->p7);
	const char *why = digest_refused(EVP_MD_get_type(p->md), flags);
	char oid[64];

	if (why) {
		snprintf(buf, size, "unsupported digest algorithm: the image hash is %s, %s",
			 OBJ_nid2sn(EVP_MD_get_type(p->md)), why);
		return buf;
	}
	for (int i = 0; i < sk_X509_ALGOR_num(algs); i++) {
		const ASN1_OBJECT *o = sk_X509_ALGOR_value(algs, i)->algorithm;

		if ((why = digest_refused(OBJ_obj2nid(o), flags))) {
			snprintf(buf, size, "unsupported digest algorithm: digestAlgorithms names %s, %s", alg_name(o, oid, sizeof(oid)), why);
			return buf;
		}
	}
	for (int i = 0; i < sk_PKCS7_SIGNER_INFO_num(sis); i++) {
		const ASN1_OBJECT *o = sk_PKCS7_SIGNER_INFO_value(sis, i)->digest_alg->algorithm;

		if ((why = digest_refused(OBJ_obj2nid(o), flags))) {
			snprintf(buf, size, "unsupported digest algorithm: the signer's digest is %s, %s", alg_name(o, oid, sizeof(oid)), why);
			return buf;
		}
	}
	return NULL;
}

/* Checks one signature; NULL when it verifies against the store, else why
 * (a static string or buf). */
static const char *verify_one(const struct bs_pe *pe, const struct entry *e, X509_STORE *store,
			      unsigned flags, char *buf, size_t size)
{
	struct parsed p;
	const char *why = parse_signature(e->der, e->der_len, &p);
	X509_STORE_CTX *ctx = NULL;
	BIO *content = NULL;
	X509 *signer;

	if (why)
		goto out;
	if ((why = digests_refused(&p, flags, buf, size)))
		goto out;
	why = "image hash does not match the signed hash";
	if (!digest_matches(pe, &p))
		goto out;
	why = "signature does not verify";
	content = BIO_new_mem_buf(p.idc_content, (int)p.idc_content_len);
	/* Checks the messageDigest attribute and the signer's signature; the
	 * chain is checked below with firmware rules rather than S/MIME ones. */
	if (!content || PKCS7_verify(p.p7, NULL, NULL, content, NULL, PKCS7_BINARY | PKCS7_NOVERIFY) != 1)
		goto out;
	why = NULL;
	/* sbverify --no-verify: the signature matches the image, whoever made it. */
	if (flags & BS_AUTHENTICODE_NO_CHAIN)
		goto out;
	why = "not signed by a trusted certificate";
	signer = signer_cert(p.p7);
	ctx = X509_STORE_CTX_new();
	if (!signer || !ctx || !X509_STORE_CTX_init(ctx, store, signer, p.p7->d.sign->cert))
		goto out;
	if (X509_verify_cert(ctx) == 1)
		why = NULL;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	BIO_free(content);
	parsed_done(&p);
	return why;
}

int bs_authenticode_verify(const struct bs_pe *pe, X509 *const *certs, size_t n_certs,
			   size_t *which, struct bs_error *err)
{
	if (!pe)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_verify: a NULL argument");
	return bs_authenticode_verify_flags(pe, certs, n_certs, 0, which, err);
}

/* UEFI db semantics: a listed certificate is a trust anchor whatever its
 * issuer, and firmware has no trusted clock. */
static int trust_store(X509 *const *certs, size_t n_certs, const char *path, X509_STORE **out,
		       struct bs_error *err)
{
	X509_STORE *store = X509_STORE_new();

	if (!store)
		return -ENOMEM;
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
	for (size_t i = 0; i < n_certs; i++)
		if (!X509_STORE_add_cert(store, certs[i])) {
			X509_STORE_free(store);
			return openssl_error(err, -ENOMEM, path, "cannot build the trust store");
		}
	*out = store;
	return 0;
}

int bs_authenticode_verify_detached(const struct bs_pe *pe, const uint8_t *der, size_t der_len,
				    X509 *const *certs, size_t n_certs, unsigned flags,
				    struct bs_error *err)
{
	const struct entry e = { der, der_len };
	X509_STORE *store = NULL;
	const char *why;
	char buf[256];
	int r;

	if (!pe || !der || (n_certs && !certs))
		return -EINVAL;
	r = trust_store(certs, n_certs, pe->path, &store, err);
	if (r < 0)
		return r;
	why = verify_one(pe, &e, store, flags, buf, sizeof(buf));
	X509_STORE_free(store);
	return why ? bs_error_set(err, -EKEYREJECTED, pe->path, "detached signature: %s", why) : 0;
}

int bs_authenticode_verify_flags(const struct bs_pe *pe, X509 *const *certs, size_t n_certs,
				 unsigned flags, size_t *which, struct bs_error *err)
{
	if (!pe || !certs)
		return bs_error_set(err, -EINVAL, NULL, "bs_authenticode_verify_flags: a NULL argument");
	_cleanup_free_ struct entry *e = NULL;
	char first[256] = "", buf[256];
	X509_STORE *store;
	size_t count;
	int r;

	if (!pe->cert_size)
		return bs_error_set(err, -EKEYREJECTED, pe->path, "no signature table present");
	r = walk_table(pe, &e, &count, err);
	if (r < 0)
		return r;
	if (!count)
		return bs_error_set(err, -EKEYREJECTED, pe->path, "no signature table present");
	r = trust_store(certs, n_certs, pe->path, &store, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		const char *why = verify_one(pe, &e[i], store, flags, buf, sizeof(buf));
		if (!why) {
			X509_STORE_free(store);
			if (which)
				*which = i;
			return 0;
		}
		if (!first[0])
			snprintf(first, sizeof(first), "%s", why);
	}
	X509_STORE_free(store);
	return bs_error_set(err, -EKEYREJECTED, pe->path, "%s%s", count > 1 ? "no signature verifies: " : "",
			    first);
}
