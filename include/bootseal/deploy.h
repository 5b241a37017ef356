/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_DEPLOY_H
#define BOOTSEAL_DEPLOY_H

#include <stddef.h>

#include <bootseal/composefs.h>
#include <bootseal/error.h>

/*
 * Deploying a sealed image without bootc: its composefs repository on a
 * filesystem with fs-verity (bootseal/repo.h: objects/, images/<digest>),
 * and the ESP files that boot it:
 *   EFI/Linux/<kver>.efi                the image's UKIs
 *   EFI/BOOT/BOOTX64.EFI,               its systemd-boot, the db-signed one
 *   EFI/systemd/systemd-bootx64.efi     when there is one
 *   loader/keys/auto/{PK,KEK,db}.auth   from keys (keygen's output directory)
 *   loader/loader.conf                  "secure-boot-enroll force" with keys
 * The image's UKI must carry composefs=<digest> of the tree deployed: a UKI
 * sealed for another tree is refused (-EBADE) before anything is written.
 */
struct bs_deploy_options {
	const char *image;      /* oci:DIR[:TAG], oci-archive:FILE, dir:PATH */
	const char *target;     /* the repository directory (created) */
	const char *esp;        /* optional: where the ESP files go */
	const char *keys;       /* optional: keygen --output-dir, or a directory of *.auth */
	unsigned flags;         /* BS_REPO_INSECURE */
	size_t jobs;
};

struct bs_deploy_result {
	char digest[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	size_t objects;                 /* external files of the tree (distinct contents) */
	size_t objects_written;         /* not already in the repository */
	unsigned long long bytes_written;
	size_t esp_files;
	int bootloader_signed;          /* -1: no systemd-boot in the image */
};

int bs_deploy(const struct bs_deploy_options *opts, struct bs_deploy_result *res,
	      struct bs_error *err);

#endif
