/* SPDX-License-Identifier: MIT */
/*
 * CLI_CALL readers for values that several commands take, each refusing a
 * bad value in the same words wherever it is given.
 */
#ifndef BOOTSEAL_CLI_VALUES_H
#define BOOTSEAL_CLI_VALUES_H

#include <stddef.h>

#include <bootseal/efivar.h>
#include <bootseal/fsverity.h>

#include "cli-options.h"

/* --hash / --hash-alg sha256|sha512 into the enum bs_hash_alg at o->dest. */
int cli_take_hash_alg(const char *cmd, const struct cli_option *o, const char *value);

/* --owner-guid GUID into the struct cli_guid at o->dest. */
struct cli_guid {
	struct bs_efi_guid guid;
	int given;
};
int cli_take_guid(const char *cmd, const struct cli_option *o, const char *value);

/* A certificate's validity in days, 1 to 36500, into the unsigned int at o->dest. */
int cli_take_days(const char *cmd, const struct cli_option *o, const char *value);

/* The fs-verity digest (4 KiB blocks, no salt) of len bytes as hex: 0 or a negative errno. */
int cli_fsverity_hex(enum bs_hash_alg alg, const void *data, size_t len, char *hex);

#endif
