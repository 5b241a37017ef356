/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_DB_H
#define BOOTSEAL_DB_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <bootseal/error.h>

/*
 * What a firmware's db trusts: X.509 certificates (a signature made by one,
 * or chaining to one, is accepted) and SHA-256 Authenticode image hashes.
 */
struct bs_db;

BS_EXPORT int bs_db_new(struct bs_db **db);
BS_EXPORT void bs_db_free(struct bs_db *db);
/* A certificate (PEM or DER), an EFI signature list (.esl) or a signed
 * update (.auth, its payload); -EBADMSG when it is none of them. */
BS_EXPORT int bs_db_add_file(struct bs_db *db, const char *path, struct bs_error *err);
BS_EXPORT size_t bs_db_cert_count(const struct bs_db *db);
BS_EXPORT X509 *const *bs_db_certs(const struct bs_db *db);
BS_EXPORT int bs_db_has_hash(const struct bs_db *db, const uint8_t hash[32]);
BS_EXPORT size_t bs_db_hash_count(const struct bs_db *db);

/*
 * Whether the firmware would run pe with this db: signed by (or chaining
 * to) one of its certificates, or its Authenticode hash listed. 0 and the
 * signer's subject (or "image hash listed in db") in why; -EKEYREJECTED
 * and the reason in err otherwise; another -errno for a structural problem.
 * flags are bs_authenticode_verify_flags's (BS_AUTHENTICODE_ALLOW_SHA1).
 */
struct bs_pe;
BS_EXPORT int bs_db_check_pe(const struct bs_db *db, const struct bs_pe *pe, unsigned flags, char *why, size_t why_size,
		             struct bs_error *err);

#endif
