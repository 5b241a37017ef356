/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_KEYS_H
#define BOOTSEAL_KEYS_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <bootseal/error.h>

/*
 * Signing keys and X.509 certificates, shared by every module that signs
 * (efivar .auth files, Authenticode, seal).
 *
 * A struct bs_key owns private key material. While at least one is alive the
 * process is made non-dumpable (PR_SET_DUMPABLE 0), so a crash cannot leave
 * the key in a core file; the previous setting comes back when the last one
 * is freed. Buffers that held key bytes are cleansed before they are freed,
 * and no error message ever quotes key contents.
 */
struct bs_key;
struct bs_cert;

enum bs_key_type {
	BS_KEY_RSA2048 = 1,
	BS_KEY_RSA3072,
	BS_KEY_RSA4096,
	BS_KEY_ECDSA_P256,
	BS_KEY_ECDSA_P384,
};

/* "rsa2048", "rsa3072", "rsa4096", "ecdsa-p256", "ecdsa-p384"; -EINVAL otherwise. */
BS_EXPORT int bs_key_type_from_name(const char *name, enum bs_key_type *type);
BS_EXPORT const char *bs_key_type_name(enum bs_key_type type);

/*
 * Where a key or certificate comes from. One string, so every command takes
 * the same --key/--cert syntax:
 *   PATH          a file holding PEM or DER
 *   fd:N          read PEM or DER from an open file descriptor (not closed)
 *   env:NAME      the PEM text in environment variable NAME
 *   SCHEME:...    any other URI (pkcs11:..., file:...) goes to OSSL_STORE,
 *                 so provider-held keys (HSM, TPM) never leave the token
 * Encrypted private keys are rejected (-ENOKEY): nothing here prompts.
 */
BS_EXPORT int bs_keys_load_private(const char *spec, struct bs_key **key, struct bs_error *err);
BS_EXPORT int bs_keys_load_cert(const char *spec, struct bs_cert **cert, struct bs_error *err);
/* Same as the above for bytes already in memory; name is used in errors only. */
BS_EXPORT int bs_keys_private_from_mem(const void *buf, size_t len, const char *name, struct bs_key **key,
			               struct bs_error *err);
BS_EXPORT int bs_keys_cert_from_mem(const void *buf, size_t len, const char *name, struct bs_cert **cert,
			            struct bs_error *err);

BS_EXPORT void bs_key_free(struct bs_key *key);
BS_EXPORT void bs_cert_free(struct bs_cert *cert);
BS_EXPORT struct bs_cert *bs_cert_dup(const struct bs_cert *cert);

/* Borrowed OpenSSL objects, valid while the owner lives; for signing code. */
BS_EXPORT EVP_PKEY *bs_key_evp(const struct bs_key *key);
BS_EXPORT X509 *bs_cert_x509(const struct bs_cert *cert);
/* The DER encoding, owned by cert. */
BS_EXPORT const uint8_t *bs_cert_der(const struct bs_cert *cert, size_t *len);
/* "CN=PK" style one-line subject, into buf; returns buf. */
BS_EXPORT const char *bs_cert_subject(const struct bs_cert *cert, char *buf, size_t size);

/* -ENOKEY (message names cert_name) when the key is not the cert's key: the key
 * for that certificate is not available, which is bad input, not a failed check. */
BS_EXPORT int bs_keys_check_match(const struct bs_key *key, const struct bs_cert *cert, const char *cert_name,
			          struct bs_error *err);

/* A fresh key pair from the OpenSSL default random generator. */
BS_EXPORT int bs_keys_generate(enum bs_key_type type, struct bs_key **key, struct bs_error *err);

struct bs_cert_params {
	const char *common_name;   /* subject and issuer are /CN=<common_name> */
	time_t not_before;         /* 0 means now */
	unsigned int days;         /* 0 means 3650 */
	/* A signing certificate as ukify genkey makes it: only basicConstraints
	 * critical CA:FALSE, no key identifiers. */
	int leaf;
};

/*
 * Self-signed, SHA-256 certificate with what `openssl req -x509` adds by
 * default: subjectKeyIdentifier, authorityKeyIdentifier (keyid) and
 * basicConstraints critical CA:TRUE; random positive 159-bit serial.
 */
BS_EXPORT int bs_keys_self_sign(const struct bs_key *key, const struct bs_cert_params *params,
		                struct bs_cert **cert, struct bs_error *err);

/*
 * Serialisation. The private key is PKCS#8 PEM, unencrypted, created with
 * mode 0600 and O_EXCL beside path, then renamed in (noreplace: never over an
 * existing file). Certificates are PEM (.crt) or DER (.cer).
 */
BS_EXPORT int bs_keys_write_private(const struct bs_key *key, const char *path, int noreplace,
			            struct bs_error *err);
BS_EXPORT int bs_keys_write_cert_pem(const struct bs_cert *cert, const char *path, int noreplace,
			             struct bs_error *err);
BS_EXPORT int bs_keys_write_cert_der(const struct bs_cert *cert, const char *path, int noreplace,
			             struct bs_error *err);

#endif
