/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_CLI_PCR_H
#define BOOTSEAL_CLI_PCR_H

#include <bootseal/keys.h>
#include <bootseal/pcr.h>
#include <bootseal/uki.h>

/* ukify's signed-PCR-policy flags, shared by `ukify build` and `seal`. */
#define CLI_PCR_MAX 16
enum {
	CLI_PCR_OPT_PRIVATE = 0x1000,
	CLI_PCR_OPT_PUBLIC,
	CLI_PCR_OPT_BANKS,
	CLI_PCR_OPT_PHASES,
};
/* The flags as entries of a struct cli_option table (tools/cli-options.h). */
#define CLI_PCR_TABLE(dest)                                                               \
	{ "pcr-private-key", 0, CLI_CALL, (dest), CLI_PCR_OPT_PRIVATE, cli_pcr_take, 0 }, \
	{ "pcr-public-key", 0, CLI_CALL, (dest), CLI_PCR_OPT_PUBLIC, cli_pcr_take, 0 },   \
	{ "pcr-banks", 0, CLI_CALL, (dest), CLI_PCR_OPT_BANKS, cli_pcr_take, 0 },         \
	{ "phases", 0, CLI_CALL, (dest), CLI_PCR_OPT_PHASES, cli_pcr_take, 0 }
#define CLI_PCR_USAGE "[--pcr-private-key KEY [--pcr-public-key PEM] [--phases PATHS]]... [--pcr-banks LIST]"

struct cli_pcr {
	const char *private_keys[CLI_PCR_MAX], *public_keys[CLI_PCR_MAX], *phases[CLI_PCR_MAX];
	size_t n_private, n_public, n_phases;
	unsigned banks;
	/* Filled by cli_pcr_load. */
	struct bs_key *keys[CLI_PCR_MAX];
	struct bs_pcr_phases paths[CLI_PCR_MAX];
	struct bs_pcr_signer signers[CLI_PCR_MAX];
	uint8_t *pcrpkey;
	struct bs_uki_pcr uki;
};

struct cli_option;
/* CLI_PCR_TABLE's CLI_CALL: 0 (kept), else the exit code after a message. */
int cli_pcr_take(const char *cmd, const struct cli_option *option, const char *arg);
/* Loads the keys and checks the groups; *uki is NULL without --pcr-private-key.
 * want_pcrpkey: fill .pcrpkey from the one key group (no --pcrpkey given). */
int cli_pcr_load(const char *cmd, struct cli_pcr *p, int want_pcrpkey, const struct bs_uki_pcr **uki);
void cli_pcr_done(struct cli_pcr *p);

#endif
