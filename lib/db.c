/* SPDX-License-Identifier: MIT */
#include <bootseal/db.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <bootseal/authenticode.h>
#include <bootseal/efivar.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>

#include "util.h"

#define DB_FILE_MAX (16u << 20)

/* EFI_CERT_X509_GUID and EFI_CERT_SHA256_GUID (UEFI 2.10 §32.4.1). */
static const struct bs_efi_guid cert_x509 = { { 0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
						0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72 } };
static const struct bs_efi_guid cert_sha256 = { { 0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
						  0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28 } };

struct bs_db {
	X509 **certs;
	size_t n_certs;
	uint8_t (*hashes)[32];
	size_t n_hashes;
};

int bs_db_new(struct bs_db **db)
{
	if (!db)
		return -EINVAL;
	*db = calloc(1, sizeof(**db));
	return *db ? 0 : -ENOMEM;
}

void bs_db_free(struct bs_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_certs; i++)
		X509_free(db->certs[i]);
	free(db->certs);
	free(db->hashes);
	free(db);
}

size_t bs_db_cert_count(const struct bs_db *db)
{
	if (!db)
		return 0;
	return db->n_certs;
}

X509 *const *bs_db_certs(const struct bs_db *db)
{
	if (!db)
		return NULL;
	return db->certs;
}

size_t bs_db_hash_count(const struct bs_db *db)
{
	if (!db)
		return 0;
	return db->n_hashes;
}

int bs_db_has_hash(const struct bs_db *db, const uint8_t hash[32])
{
	if (!db || !hash)
		return -EINVAL;
	for (size_t i = 0; i < db->n_hashes; i++)
		if (memcmp(db->hashes[i], hash, 32) == 0)
			return 1;
	return 0;
}

static int add_cert_der(struct bs_db *db, const uint8_t *der, size_t len, const char *path,
			struct bs_error *err)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (!x || p != der + len) {
		X509_free(x);
		return bs_error_set(err, -EBADMSG, path, "an X.509 entry is not one DER certificate");
	}
	if (bsi_push(&db->certs, &db->n_certs, x) < 0) {
		X509_free(x);
		return -ENOMEM;
	}
	return 0;
}

static int add_esl(struct bs_db *db, const uint8_t *buf, size_t len, const char *path, struct bs_error *err)
{
	struct bs_efivar_esl *esl = NULL;
	int r;

	r = bs_efivar_esl_parse(buf, len, path, &esl, err);
	if (r < 0)
		return r;
	for (size_t l = 0; r >= 0 && l < esl->n_lists; l++) {
		const struct bs_efivar_esl_list *list = &esl->lists[l];
		int x509 = bs_efivar_guid_equal(&list->type, &cert_x509);
		int sha256 = bs_efivar_guid_equal(&list->type, &cert_sha256);

		for (size_t i = 0; r >= 0 && i < list->n_entries; i++) {
			struct bs_efi_guid owner;
			const uint8_t *data;
			size_t n;

			bs_efivar_esl_entry(list, i, &owner, &data, &n);
			if (x509) {
				r = add_cert_der(db, data, n, path, err);
			} else if (sha256 && n == 32) {
				uint8_t (*h)[32] = realloc(db->hashes, (db->n_hashes + 1) * sizeof(*h));
				if (!h) {
					r = -ENOMEM;
					break;
				}
				db->hashes = h;
				memcpy(db->hashes[db->n_hashes++], data, 32);
			}
		}
	}
	bs_efivar_esl_free(esl);
	return r;
}

#define DB_EXPECTED "--db takes a certificate (PEM or DER), an EFI signature list (.esl) or a signed update (.auth)"

/* A PEM file's first block label, "" when there is none. */
static void pem_label(const uint8_t *buf, size_t len, char *label, size_t size)
{
	static const char begin[] = "-----BEGIN ";
	const char *p = memmem(buf, len, begin, sizeof(begin) - 1), *end;

	label[0] = '\0';
	if (!p)
		return;
	p += sizeof(begin) - 1;
	end = memmem(p, len - (size_t)(p - (const char *)buf), "-----", 5);
	if (end && (size_t)(end - p) < size) {
		memcpy(label, p, (size_t)(end - p));
		label[end - p] = '\0';
	}
}

static int is_key_label(const char *label)
{
	size_t n = strlen(label);

	return n >= 11 && strcmp(label + n - 11, "PRIVATE KEY") == 0;
}

static int is_der_private_key(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	EVP_PKEY *k = len <= LONG_MAX ? d2i_AutoPrivateKey(NULL, &p, (long)len) : NULL;
	int found = k && p == buf + len;

	EVP_PKEY_free(k);
	ERR_clear_error();
	return found;
}

/* EFI_CERT_*_GUID of a list bootseal reads: the first 16 bytes of an .esl. */
static int starts_like_esl(const uint8_t *buf, size_t len)
{
	return len >= 16 && (memcmp(buf, cert_x509.bytes, 16) == 0 || memcmp(buf, cert_sha256.bytes, 16) == 0);
}

/*
 * What a file given as the db is, when it is not a certificate: a key or a
 * PE image given by mistake is named as such, not parsed as a signature
 * list whose first "size" is four bytes of base64.
 */
static int refuse_other(const uint8_t *buf, size_t len, const char *path, struct bs_error *err)
{
	char label[64];

	pem_label(buf, len, label, sizeof(label));
	if (is_key_label(label))
		return bs_error_set(err, -EINVAL, path, "a PEM private key, not a db: %s", DB_EXPECTED);
	if (label[0])
		return bs_error_set(err, -EINVAL, path, "a PEM %s, not a db: %s", label, DB_EXPECTED);
	if (is_der_private_key(buf, len))
		return bs_error_set(err, -EINVAL, path, "a DER private key, not a db: %s", DB_EXPECTED);
	if (len >= 2 && buf[0] == 'M' && buf[1] == 'Z')
		return bs_error_set(err, -EINVAL, path, "a PE image, not a db: %s", DB_EXPECTED);
	return bs_error_set(err, -EINVAL, path, "neither a certificate nor a signature list or update: %s",
			    DB_EXPECTED);
}

int bs_db_add_file(struct bs_db *db, const char *path, struct bs_error *err)
{
	if (!db || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_db_add_file: a NULL argument");
	_cleanup_free_ uint8_t *buf = NULL;
	struct bs_cert *cert = NULL;
	struct bs_efivar_auth auth;
	struct bs_error why = { 0 };
	char label[64];
	size_t len, before = db->n_certs + db->n_hashes;
	int r;

	r = bsi_read_file(path, 0, DB_FILE_MAX, &buf, &len, err);
	if (r < 0)
		return r;

	/* A certificate first (PEM or DER), then a signed update, then a bare list. */
	if (bs_keys_cert_from_mem(buf, len, path, &cert, &why) >= 0) {
		size_t der_len;
		const uint8_t *der = bs_cert_der(cert, &der_len);

		r = add_cert_der(db, der, der_len, path, err);
		bs_cert_free(cert);
		return r;
	}
	pem_label(buf, len, label, sizeof(label));
	if (strstr(label, "CERTIFICATE"))
		return bs_error_set(err, -EBADMSG, path, "a PEM certificate that does not load: %s", why.message);
	memset(&why, 0, sizeof(why));
	if (len >= 40 && bsi_get_le16(buf + 20) == 0x0200 && bsi_get_le16(buf + 22) == 0x0ef1) {
		r = bs_efivar_auth_parse(buf, len, path, &auth, &why);
		if (r >= 0)
			r = add_esl(db, auth.data, auth.data_len, path, &why);
		if (r < 0 && why.code)
			return bs_error_set(err, r, path, "a signed update (.auth) that does not parse: %s", why.message);
	} else {
		r = add_esl(db, buf, len, path, &why);
		if (r < 0 && why.code && !starts_like_esl(buf, len))
			return refuse_other(buf, len, path, err);
		if (r < 0 && why.code)
			return bs_error_set(err, r, path, "an EFI signature list (.esl) that does not parse: %s",
					    why.message);
	}
	if (r < 0)
		return r;
	if (db->n_certs + db->n_hashes == before)
		return bs_error_set(err, -EINVAL, path, "holds no certificate or image hash");
	return 0;
}

int bs_db_check_pe(const struct bs_db *db, const struct bs_pe *pe, unsigned flags, char *why, size_t why_size,
		   struct bs_error *err)
{
	if (!db || !pe || !why)
		return bs_error_set(err, -EINVAL, NULL, "bs_db_check_pe: a NULL argument");
	struct bs_error reason = { 0 };
	uint8_t hash[BS_AUTHENTICODE_DIGEST_SIZE];
	size_t which = 0;
	int r;

	r = bs_authenticode_verify_flags(pe, db->certs, db->n_certs, flags, &which, &reason);
	if (r >= 0) {
		struct bs_authenticode_signature *sigs = NULL;
		size_t n = 0;

		snprintf(why, why_size, "signed by a db certificate");
		if (bs_authenticode_list(pe, &sigs, &n, NULL) >= 0 && which < n)
			snprintf(why, why_size, "signed by %s", sigs[which].signer_subject);
		free(sigs);
		return 0;
	}
	if (r != -EKEYREJECTED && r != -ENOENT && r != -EBADMSG && r != -ENODATA)
		return r;
	if (bs_authenticode_digest(pe, hash, NULL) >= 0 && bs_db_has_hash(db, hash)) {
		snprintf(why, why_size, "image hash listed in db");
		return 0;
	}
	return bs_error_set(err, -EKEYREJECTED, reason.path, "%s",
			    reason.code ? reason.message : "not signed by the db");
}
