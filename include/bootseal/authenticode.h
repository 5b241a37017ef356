/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_AUTHENTICODE_H
#define BOOTSEAL_AUTHENTICODE_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <bootseal/error.h>
#include <bootseal/pe.h>

/*
 * Authenticode for PE images as UEFI firmware checks it ("Windows
 * Authenticode Portable Executable Signature Format"): a SHA-256 image hash
 * over the headers (minus CheckSum and the certificate-table entry), the
 * sections in file order and the trailing data, counted as EDK2 counts it
 * (from SizeOfHeaders plus the sections' sizes, so a gap between sections is
 * skipped and what follows it hashed twice); a PKCS#7 SignedData over an
 * SpcIndirectDataContent carrying that hash, laid out as sbsign writes it;
 * and WIN_CERTIFICATE entries padded to 8 bytes at the end of the file.
 */
#define BS_AUTHENTICODE_DIGEST_SIZE 32

/*
 * The image hash as signing would compute it. An unsigned image whose size
 * is not a multiple of 8 is hashed as if zero-padded, because signing pads it
 * first (the certificate table must start 8-aligned; sbsign does the same).
 */
BS_EXPORT int bs_authenticode_digest(const struct bs_pe *pe, uint8_t digest[BS_AUTHENTICODE_DIGEST_SIZE],
			             struct bs_error *err);

struct bs_authenticode_signer {
	EVP_PKEY *key;             /* borrowed, e.g. bs_key_evp() */
	X509 *cert;                /* borrowed, e.g. bs_cert_x509() */
	/* The signingTime attribute; 0 means now. SOURCE_DATE_EPOCH is a good
	 * source for reproducible output. */
	time_t signing_time;
};

/* The DER PKCS#7 signature for pe as it stands (sbsign --detached). */
BS_EXPORT int bs_authenticode_sign_detached(const struct bs_pe *pe, const struct bs_authenticode_signer *s,
				            uint8_t **der, size_t *der_len, struct bs_error *err);
/* Signs pe in place: pads to 8 bytes, appends a WIN_CERTIFICATE entry after
 * any existing ones (a second signature keeps the first), updates the
 * security directory and the checksum. */
BS_EXPORT int bs_authenticode_sign(struct bs_pe *pe, const struct bs_authenticode_signer *s,
			           struct bs_error *err);
/* Appends an existing DER signature (e.g. from sign_detached) the same way. */
BS_EXPORT int bs_authenticode_attach(struct bs_pe *pe, const uint8_t *der, size_t der_len,
			             struct bs_error *err);
/* Removes every signature: drops the table, clears the directory entry. */
BS_EXPORT int bs_authenticode_remove(struct bs_pe *pe, struct bs_error *err);

struct bs_authenticode_signature {
	const uint8_t *der;        /* points into the image */
	size_t der_len;
	char digest_alg[16];       /* "sha256", ... */
	int digest_matches;        /* the signed image hash equals the image's */
	char signer_subject[256];
	char signer_issuer[256];
};

/* Parses the certificate table; -EBADMSG for a malformed entry. *sigs is
 * malloc()ed (free() it), n may be 0 for an unsigned image. */
BS_EXPORT int bs_authenticode_list(const struct bs_pe *pe, struct bs_authenticode_signature **sigs,
			           size_t *n, struct bs_error *err);

/*
 * 0 when at least one signature's image hash matches and it was made by one
 * of certs or by a certificate chaining to one of them (UEFI db semantics:
 * a trusted certificate is an anchor even when not self-signed, validity
 * dates are not checked). *which (optional) is the index of that signature.
 * -EKEYREJECTED otherwise, with the reason for the first signature.
 */
BS_EXPORT int bs_authenticode_verify(const struct bs_pe *pe, X509 *const *certs, size_t n_certs,
			             size_t *which, struct bs_error *err);

/*
 * The digests are those UEFI firmware (EDK2) accepts: the image hash, the
 * signature's and the signer's digest are SHA-256, SHA-384 or SHA-512, or
 * SHA-1 with BS_AUTHENTICODE_ALLOW_SHA1. bs_authenticode_verify passes 0.
 */
#define BS_AUTHENTICODE_ALLOW_SHA1 (1u << 0)
/* sbverify --no-verify: a signature whose hash matches the image and whose
 * signer's signature is valid counts, whoever the signer is (no trust check). */
#define BS_AUTHENTICODE_NO_CHAIN (1u << 1)

BS_EXPORT int bs_authenticode_verify_flags(const struct bs_pe *pe, X509 *const *certs, size_t n_certs,
				           unsigned flags, size_t *which, struct bs_error *err);

/* sbverify --detached: the DER PKCS#7 der (as sign_detached writes it) checked
 * against pe as the signatures of its table are (the table itself is not read). */
BS_EXPORT int bs_authenticode_verify_detached(const struct bs_pe *pe, const uint8_t *der, size_t der_len,
				              X509 *const *certs, size_t n_certs, unsigned flags,
				              struct bs_error *err);

#endif
