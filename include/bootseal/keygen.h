/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_KEYGEN_H
#define BOOTSEAL_KEYGEN_H

#include <bootseal/export.h>

#include <bootseal/efivar.h>
#include <bootseal/error.h>
#include <bootseal/keys.h>

/*
 * A Secure Boot key hierarchy in one directory:
 *   {PK,KEK,db}.key   private key, PKCS#8 PEM, mode 0600
 *   {PK,KEK,db}.crt   self-signed certificate, PEM (.cer: the same in DER)
 *   {PK,KEK,db}.esl   EFI_SIGNATURE_LIST of the certificate, owned by the GUID
 *   {PK,KEK,db}.auth  signed update: PK and KEK signed by PK, db by KEK
 *   GUID.txt          the owner GUID, lowercase, newline
 *   sb-{PK,KEK,db}.{key,crt}  hard links, the names example repositories use
 *   loader/keys/auto/{PK,KEK,db}.auth  systemd-boot's enrollment directory
 * or, with BS_KEYGEN_LAYOUT_SBCTL, the tree `sbctl create-keys` writes (its
 * /var/lib/sbctl): keys/{PK,KEK,db}/NAME.key and NAME.pem (mode 0400) and
 * GUID (the owner GUID, no newline).
 */
enum bs_keygen_layout {
	BS_KEYGEN_LAYOUT_BOOTSEAL = 0,
	BS_KEYGEN_LAYOUT_SBCTL = 1,
};

struct bs_keygen_params {
	const char *output_dir;          /* NULL means "target/keys" */
	const struct bs_efi_guid *owner; /* NULL means a fresh random GUID */
	enum bs_key_type key_type;       /* 0 means RSA 2048 */
	unsigned int days;               /* certificate validity; 0 means 3650 */
	const char *subject_prefix;      /* CN=<prefix><name>; NULL means "" */
	struct bs_efi_time time;         /* EFI_TIME of the .auth files */
	int force;                       /* replace existing files */
	enum bs_keygen_layout layout;
};

/*
 * Generates everything in a private temporary directory beside output_dir,
 * then renames it into place, so an interrupted or failed run leaves no
 * partial key. Without force, any existing file it would write is -EEXIST
 * before anything is generated.
 */
BS_EXPORT int bs_keygen_create(const struct bs_keygen_params *params, struct bs_error *err);

/* 1 when dir holds an sbctl key tree (keys/db/db.pem), 0 when not. */
BS_EXPORT int bs_keygen_is_sbctl(const char *dir);
/*
 * The signed update an sbctl tree enrolls for role ("PK", "KEK" or "db"): the
 * role's certificate as an ESL owned by the tree's GUID, signed by PK (PK and
 * KEK) or KEK (db) at time; what keygen's NAME.auth holds. out is released
 * with bs_efivar_buf_release.
 */
BS_EXPORT int bs_keygen_sbctl_auth(const char *dir, const char *role, const struct bs_efi_time *time,
			           struct bs_efivar_buf *out, struct bs_error *err);

/*
 * `ukify genkey`'s Secure Boot signing pair: an RSA 2048 key (PKCS#8 PEM,
 * 0600) at key_path and a self-signed SHA-256 certificate at cert_path
 * (/CN=common_name, valid days from now (0: 3650), basicConstraints critical
 * CA:FALSE). -EEXIST, before anything is generated, when either path exists.
 */
BS_EXPORT int bs_keygen_signing_pair(const char *key_path, const char *cert_path, const char *common_name,
			             unsigned int days, struct bs_error *err);

/* Paths of an ephemeral db key pair; strings owned by the struct. */
struct bs_keygen_ephemeral {
	char *dir;
	char *key;
	char *crt;
	char *cer;
	char *esl;
};

/*
 * A short-lived db key pair (validity params->days, 1 when 0) in a new
 * mkdtemp directory under $TMPDIR (or /tmp), mode 0700; output_dir and
 * force are ignored. Nothing else is touched.
 */
BS_EXPORT int bs_keygen_ephemeral(const struct bs_keygen_params *params, struct bs_keygen_ephemeral *out,
			          struct bs_error *err);
BS_EXPORT void bs_keygen_ephemeral_release(struct bs_keygen_ephemeral *e);

#endif
