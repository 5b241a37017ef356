/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_SEAL_H
#define BOOTSEAL_SEAL_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/composefs.h>
#include <bootseal/error.h>
#include <bootseal/keys.h>
#include <bootseal/progress.h>
#include <bootseal/uki.h>

/*
 * Sealing: a bootable container image in, the same image plus a signed UKI
 * out, whose command line carries the composefs digest of the image's root
 * filesystem (what `bootc container ukify` and a four-stage container build
 * do, in one process).
 *
 * For oci:/oci-archive: sources the layers stream once to build the tree
 * (contents hashed on the way, nothing extracted); the kernel, initramfs,
 * os-release, kargs.d and stub bytes are kept from that pass and laid out in
 * a private temporary directory, removed before returning, for the UKI
 * builder. The output image is layer 1 = the flattened input, layer 2 =
 * /boot/EFI/Linux/<kver>.efi, labels containers.bootc=1 and ostree.bootable=1.
 * A dir: source is sealed in place: the UKI is written into its /boot.
 */
struct bs_seal_options {
	const char *src;                /* oci:DIR[:TAG], oci-archive:FILE, dir:PATH */
	const char *dest;               /* oci:DIR[:TAG], oci-archive:FILE; dir: only = src */
	const struct bs_key *key;       /* the db key: signs the UKI (and systemd-boot) */
	const struct bs_cert *cert;
	const char *const *kargs;       /* appended after composefs=, as bootc's --karg */
	size_t n_kargs;
	const char *stub;               /* NULL: the image's own systemd-stub */
	int sign_bootloader;            /* sign the image's systemd-boot in place first */
	int allow_missing_verity;       /* composefs=?<digest>, as bootc's flag */
	unsigned bootc_flags;           /* BS_BOOTC_* */
	size_t jobs;
	/* Output layers: BS_OCI_GZIP (default), BS_OCI_ZSTD, BS_OCI_UNCOMPRESSED
	 * and a level (0: the format's default). */
	int compression;
	int level;
	/* A one-layer input's layer blob is copied as layer 1, unchanged, unless
	 * this is set or the bootloader was signed: the sealed image then shares
	 * its base layer with the input (registries store and pull it once). */
	int rewrite_layer;
	const struct bs_uki_pcr *pcr;   /* NULL: no signed PCR policy (.pcrsig) */
	bs_progress_fn progress;        /* may be NULL: reading the image */
	void *progress_ctx;
};

struct bs_seal_result {
	char digest[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	char kver[256];
	char uki_path[512];             /* "boot/EFI/Linux/<kver>.efi" */
	char manifest_digest[80];       /* "sha256:..." for OCI output, else "" */
	char *cmdline;                  /* malloc'ed; free with bs_seal_result_clear */
	int bootloader_signed;
};

BS_EXPORT int bs_seal(const struct bs_seal_options *opts, struct bs_seal_result *res, struct bs_error *err);
BS_EXPORT void bs_seal_result_clear(struct bs_seal_result *res);

/*
 * Verifying a sealed image offline: every UKI under /boot/EFI/Linux is
 * signed by the db, its .cmdline carries composefs=<digest>, and that digest
 * is the composefs digest of the image's root filesystem, recomputed; every
 * signed systemd-boot in the tree is signed by the db too. A composefs=?
 * (fs-verity not required) fails the composefs-verity check unless
 * allow_insecure.
 */
struct bs_db;

struct bs_seal_check {
	char name[48];          /* "uki-signature", "composefs-digest", ... */
	char subject[512];      /* the file or image the check is about */
	int ok;
	char detail[1024];      /* why it holds or fails */
};

struct bs_seal_report {
	struct bs_seal_check *checks;
	size_t n_checks;
	int ok;                 /* every check holds */
	int insecure;           /* a UKI's composefs= has "?": fs-verity not required */
	char digest[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];    /* recomputed */
	/* With --expect and a digest mismatch: the first differing paths. */
	char **hints;
	size_t n_hints;
};

struct bs_verify_seal_options {
	const char *image;      /* oci:, oci-archive:, dir: or a directory */
	const struct bs_db *db;
	const char *expect;     /* optional: the tree the UKI was sealed for */
	unsigned bootc_flags;
	int allow_insecure;     /* composefs=?DIGEST passes (still reported) */
	int allow_sha1;         /* SHA-1 Authenticode signatures verify */
	size_t jobs;
	bs_progress_fn progress;        /* may be NULL: reading the image */
	void *progress_ctx;
};

/* Structural problems (not an image, a UKI that is not a PE or lacks
 * .cmdline or composefs=, an empty db) are errors; failed checks are not. */
BS_EXPORT int bs_verify_seal(const struct bs_verify_seal_options *opts, struct bs_seal_report *report,
		             struct bs_error *err);
BS_EXPORT void bs_seal_report_clear(struct bs_seal_report *report);

#endif
