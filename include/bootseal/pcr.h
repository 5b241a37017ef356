/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_PCR_H
#define BOOTSEAL_PCR_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <bootseal/error.h>
#include <bootseal/pe.h>

/*
 * TPM PCR 11 as systemd-stub and systemd-pcrphase extend it for a Unified
 * Kernel Image, and the signed PolicyPCR digests of a .pcrsig section
 * (systemd's "TPM2 PCR Measurements" and "Unified Kernel Image" documents).
 *
 * The stub extends, for each measured section present in the UKI and in a
 * fixed order, the section name with its NUL, then the section's VirtualSize
 * bytes as loaded (its data, then zeros). Stubs before systemd 254 measure
 * .linux .osrel .cmdline .initrd .splash .dtb .pcrpkey; later ones add .uname
 * and .sbat before .pcrpkey. .pcrsig is never measured (it signs the result).
 * systemd-pcrphase then extends each word of a phase path ("enter-initrd",
 * "leave-initrd", ...) without a NUL.
 */
#define BS_PCR_KERNEL_IMAGE 11

enum bs_pcr_bank {
	BS_PCR_SHA1,
	BS_PCR_SHA256,
	BS_PCR_SHA384,
	BS_PCR_SHA512,
	BS_PCR_N_BANKS,
};
#define BS_PCR_BANKS_ALL ((1u << BS_PCR_N_BANKS) - 1)
#define BS_PCR_DIGEST_MAX 64

/* "sha256" for BS_PCR_SHA256. */
BS_EXPORT const char *bs_pcr_bank_name(enum bs_pcr_bank bank);
BS_EXPORT size_t bs_pcr_bank_size(enum bs_pcr_bank bank);
/* A comma- or space-separated list of bank names (case ignored, as ukify's
 * --pcr-banks) into a mask of 1 << bank; -EINVAL names the unknown one. */
BS_EXPORT int bs_pcr_banks_parse(const char *list, unsigned *mask, struct bs_error *err);

/* Phase paths: each a colon-separated list of phase words. */
struct bs_pcr_phases {
	char **paths;
	size_t n;
};
/* Appends the space-separated phase paths of text (ukify's --phases); a word
 * that is not one of enter-initrd, leave-initrd, sysinit, ready, shutdown,
 * final is -EINVAL. The list is kept sorted, each path once, the order
 * systemd-measure signs them in. */
BS_EXPORT int bs_pcr_phases_parse(const char *text, struct bs_pcr_phases *phases, struct bs_error *err);
/* systemd-measure's and ukify's default four paths, enter-initrd to ready. */
BS_EXPORT int bs_pcr_phases_default(struct bs_pcr_phases *phases);
BS_EXPORT void bs_pcr_phases_done(struct bs_pcr_phases *phases);

/* One measured section: len bytes of data, then zeros up to size. */
struct bs_pcr_section {
	const char *name;
	const uint8_t *data;
	size_t len;
	size_t size;
};
#define BS_PCR_MAX_SECTIONS 9

/*
 * The sections of uki its stub measures, in measuring order (pointing into
 * uki). The stub's version is read from .sdmagic ("systemd-stub 252..."); a
 * UKI without one is measured as by a current stub.
 */
BS_EXPORT int bs_pcr_uki_sections(const struct bs_pe *uki, struct bs_pcr_section *out, size_t *n,
			          struct bs_error *err);

/* PCR 11 of bank after the sections and the phase path (NULL or "": none). */
BS_EXPORT int bs_pcr_predict(const struct bs_pcr_section *sections, size_t n, enum bs_pcr_bank bank,
		             const char *phase_path, uint8_t *out, size_t *out_len);

/* The TPM2 PolicyPCR digest (SHA-256 session) for PCR 11 of bank holding pcr. */
BS_EXPORT int bs_pcr_policy_digest(enum bs_pcr_bank bank, const uint8_t *pcr, uint8_t out[32]);

/* One signing key with the phase paths it signs (NULL: the default ones). */
struct bs_pcr_signer {
	EVP_PKEY *key;                     /* RSA; the public half names it ("pkfp") */
	const struct bs_pcr_phases *phases;
};

/*
 * The .pcrsig JSON as `systemd-measure sign --json=short` prints it, newline
 * included: per bank in banks (sha1 to sha512), for each signer and each of
 * its phase paths, {"pcrs":[11],"pkfp":HEX,"pol":HEX,"sig":BASE64}, the
 * signature RSASSA-PKCS1-v1.5 with the bank's hash over the policy digest.
 * Entries repeated by several signers are listed once, as ukify merges them.
 * A non-RSA key is -ENOKEY. *json is malloc()ed.
 */
BS_EXPORT int bs_pcr_sign_json(const struct bs_pcr_section *sections, size_t n, unsigned banks,
		               const struct bs_pcr_signer *signers, size_t n_signers, char **json,
		               struct bs_error *err);

/* The public key of key as PEM SubjectPublicKeyInfo, what .pcrpkey holds. */
BS_EXPORT int bs_pcr_public_pem(EVP_PKEY *key, char **pem, size_t *len);

/* Checks that data (a PEM public key, ukify's --pcr-public-key read from
 * path) is the public half of key; -ENOKEY if not (or unreadable). */
BS_EXPORT int bs_pcr_check_public(const void *data, size_t len, EVP_PKEY *key, const char *path, struct bs_error *err);

#endif
