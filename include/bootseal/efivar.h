/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_EFIVAR_H
#define BOOTSEAL_EFIVAR_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>
#include <bootseal/keys.h>

/*
 * Secure Boot variable contents: EFI_GUIDs, EFI_SIGNATURE_LISTs (.esl),
 * EFI_TIME and EFI_VARIABLE_AUTHENTICATION_2 updates (.auth), byte-compatible
 * with efitools (cert-to-efi-sig-list, sign-efi-sig-list) and sbsiglist.
 */

/* A GUID in its 16-byte on-disk form (first three fields little-endian). */
struct bs_efi_guid {
	uint8_t bytes[16];
};

BS_EXPORT extern const struct bs_efi_guid bs_efi_global_variable_guid;    /* PK, KEK */
BS_EXPORT extern const struct bs_efi_guid bs_efi_image_security_guid;     /* db, dbx */
BS_EXPORT extern const struct bs_efi_guid bs_efi_cert_x509_guid;
BS_EXPORT extern const struct bs_efi_guid bs_efi_cert_sha256_guid;
BS_EXPORT extern const struct bs_efi_guid bs_efi_cert_pkcs7_guid;

#define BS_EFI_GUID_STRING_SIZE 37
/* "8be4df61-93ca-11d2-aa0d-00e098032b8c", either case; -EINVAL otherwise. */
BS_EXPORT int bs_efivar_guid_parse(const char *text, struct bs_efi_guid *guid);
/* Lowercase text, as GUID.txt and efitools print it. */
BS_EXPORT void bs_efivar_guid_format(const struct bs_efi_guid *guid, char out[BS_EFI_GUID_STRING_SIZE]);
BS_EXPORT int bs_efivar_guid_equal(const struct bs_efi_guid *a, const struct bs_efi_guid *b);
/* A random (version 4) GUID for a new owner. */
BS_EXPORT int bs_efivar_guid_random(struct bs_efi_guid *guid);

/* EFI_TIME as an authenticated write uses it: UTC, the other fields zero. */
struct bs_efi_time {
	uint16_t year;
	uint8_t month;    /* 1-12 */
	uint8_t day;      /* 1-31 */
	uint8_t hour, minute, second;
};

/* "YYYY-MM-DD HH:MM:SS", the sign-efi-sig-list -t form, validated. */
BS_EXPORT int bs_efivar_time_parse(const char *text, struct bs_efi_time *t);
BS_EXPORT int bs_efivar_time_from_unix(int64_t seconds, struct bs_efi_time *t);
/* SOURCE_DATE_EPOCH when set (so outputs are reproducible), else now. */
BS_EXPORT int bs_efivar_time_default(struct bs_efi_time *t, struct bs_error *err);
BS_EXPORT void bs_efivar_time_format(const struct bs_efi_time *t, char out[20]);

/* A growing byte buffer the builders append to. */
struct bs_efivar_buf {
	uint8_t *data;
	size_t len;
};
BS_EXPORT void bs_efivar_buf_release(struct bs_efivar_buf *buf);

/*
 * Signature lists. An X.509 list holds one certificate (entries have one size
 * per list); a SHA-256 list holds any number of 32-byte hashes.
 */
BS_EXPORT int bs_efivar_esl_add_x509(struct bs_efivar_buf *esl, const struct bs_efi_guid *owner,
			             const uint8_t *der, size_t der_len);
BS_EXPORT int bs_efivar_esl_add_sha256(struct bs_efivar_buf *esl, const struct bs_efi_guid *owner,
			               const uint8_t (*hashes)[32], size_t n_hashes);

struct bs_efivar_esl_list {
	struct bs_efi_guid type;
	size_t offset;              /* of the list in the parsed buffer */
	uint32_t header_size;
	uint32_t signature_size;    /* owner GUID + data */
	size_t n_entries;
	const uint8_t *entries;     /* n_entries * signature_size bytes, borrowed */
};

struct bs_efivar_esl {
	size_t n_lists;
	struct bs_efivar_esl_list *lists;
};

/*
 * Strict parse of a concatenation of lists (an empty buffer is zero lists).
 * Every size is checked against what remains, list sizes must add up
 * exactly, X.509 entries must be one DER certificate and SHA-256 entries 48
 * bytes. -EBADMSG with the offset in the message. Entries point into buf.
 */
BS_EXPORT int bs_efivar_esl_parse(const uint8_t *buf, size_t len, const char *name,
			          struct bs_efivar_esl **esl, struct bs_error *err);
BS_EXPORT void bs_efivar_esl_free(struct bs_efivar_esl *esl);
/* Entry i of a list: its owner and data (borrowed). */
BS_EXPORT void bs_efivar_esl_entry(const struct bs_efivar_esl_list *list, size_t i, struct bs_efi_guid *owner,
			           const uint8_t **data, size_t *len);

/* EFI_VARIABLE_* attribute bits. */
#define BS_EFI_VARIABLE_NON_VOLATILE 0x01u
#define BS_EFI_VARIABLE_BOOTSERVICE_ACCESS 0x02u
#define BS_EFI_VARIABLE_RUNTIME_ACCESS 0x04u
#define BS_EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS 0x20u
#define BS_EFI_VARIABLE_APPEND_WRITE 0x40u
#define BS_EFIVAR_ATTRS_REPLACE 0x27u
#define BS_EFIVAR_ATTRS_APPEND 0x67u

/* PK and KEK live under the global GUID, db and dbx under the image-security
 * GUID; -ENOENT for any other name. */
BS_EXPORT int bs_efivar_vendor_for_name(const char *name, struct bs_efi_guid *vendor);

/* One authenticated write: what is signed besides the data. */
struct bs_efivar_update {
	const char *name;              /* "PK", "KEK", "db", "dbx", ... (ASCII) */
	struct bs_efi_guid vendor;
	uint32_t attributes;           /* BS_EFIVAR_ATTRS_REPLACE or _APPEND */
	struct bs_efi_time time;
	const uint8_t *data;           /* the new ESL bytes; may be empty */
	size_t data_len;
};

/* name (UTF-16LE, no NUL) || vendor || attributes (LE) || EFI_TIME || data. */
BS_EXPORT int bs_efivar_signed_content(const struct bs_efivar_update *u, struct bs_efivar_buf *out);

/*
 * EFI_VARIABLE_AUTHENTICATION_2 followed by the data: a bare PKCS#7
 * SignedData (no ContentInfo), detached, SHA-256, the signer certificate
 * included and no signed attributes, as sign-efi-sig-list writes it. The
 * key must match cert (-ENOKEY otherwise).
 */
BS_EXPORT int bs_efivar_auth_sign(const struct bs_efivar_update *u, const struct bs_key *key,
			          const struct bs_cert *cert, struct bs_efivar_buf *out, struct bs_error *err);

struct bs_efivar_auth {
	struct bs_efi_time time;
	const uint8_t *signed_data;    /* DER SignedData, borrowed */
	size_t signed_data_len;
	const uint8_t *data;           /* what follows the header, borrowed */
	size_t data_len;
};

/* Strict header parse: lengths, revision, certificate type, PKCS#7 GUID and
 * the EFI_TIME fields that must be zero; -EBADMSG. */
BS_EXPORT int bs_efivar_auth_parse(const uint8_t *buf, size_t len, const char *name,
			           struct bs_efivar_auth *auth, struct bs_error *err);

/*
 * Checks the signature over var_name/vendor/attributes and the auth's own
 * time and data against signer: the signing certificate must be signer or be
 * issued by it, as firmware checks it (no validity-time or purpose checks).
 * -EKEYREJECTED when it does not verify, -EBADMSG when the PKCS#7 is broken.
 */
BS_EXPORT int bs_efivar_auth_verify(const struct bs_efivar_auth *auth, const char *var_name,
			            const struct bs_efi_guid *vendor, uint32_t attributes,
			            const struct bs_cert *signer, const char *name, struct bs_error *err);

#endif
