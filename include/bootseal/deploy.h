/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_DEPLOY_H
#define BOOTSEAL_DEPLOY_H

#include <bootseal/export.h>

#include <stddef.h>

#include <bootseal/composefs.h>
#include <bootseal/error.h>

/*
 * Deploying a sealed image without bootc: its composefs repository on a
 * filesystem with fs-verity (bootseal/repo.h: objects/, images/<digest>),
 * and the ESP files that boot it:
 *   EFI/Linux/<kver>.efi                the image's UKIs
 *   EFI/BOOT/BOOTX64.EFI,               its systemd-boot, from the sealed tree
 *   EFI/systemd/systemd-bootx64.efi     (usr/lib/systemd/boot/efi), signed by db
 *   loader/keys/auto/{PK,KEK,db}.auth   from keys (keygen's output directory)
 *   loader/loader.conf                  "secure-boot-enroll force" with keys
 * The image's UKI must carry composefs=<digest> of the tree deployed: a UKI
 * sealed for another tree is refused (-EBADE) before anything is written.
 *
 * Nothing signs /boot (the digest leaves it out), so the bootloader is never
 * taken from there, and an image with an EFI binary in /boot besides its
 * UKIs (boot/EFI/Linux) is refused (-EKEYREJECTED). With an ESP, the
 * systemd-boot installed must verify against db (and against the db.auth
 * of keys, which the firmware will enforce once enrolled): -EKEYREJECTED
 * otherwise, unless BS_DEPLOY_ALLOW_UNSIGNED_BOOTLOADER. The UKIs are
 * checked against the same db(s).
 */
enum {
	BS_DEPLOY_ALLOW_UNSIGNED_BOOTLOADER = 1u << 8,  /* beside BS_REPO_* flags */
};

struct bs_db;

struct bs_deploy_options {
	const char *image;      /* oci:DIR[:TAG], oci-archive:FILE, dir:PATH */
	const char *target;     /* the repository directory (created) */
	const char *esp;        /* optional: where the ESP files go */
	const char *keys;       /* optional: keygen --output-dir, or a directory of *.auth */
	const struct bs_db *db; /* optional: what the ESP's binaries must verify against */
	unsigned flags;         /* BS_REPO_INSECURE, BS_DEPLOY_ALLOW_UNSIGNED_BOOTLOADER */
	size_t jobs;
};

struct bs_deploy_result {
	char digest[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	size_t objects;                 /* external files of the tree (distinct contents) */
	size_t objects_written;         /* not already in the repository */
	unsigned long long bytes_written;
	size_t esp_files;
	int bootloader_signed;          /* -1: no systemd-boot in the image; 1: verified against db */
};

BS_EXPORT int bs_deploy(const struct bs_deploy_options *opts, struct bs_deploy_result *res,
	                struct bs_error *err);

#endif
