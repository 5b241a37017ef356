/* SPDX-License-Identifier: MIT */
/* --pcr-private-key, --pcr-public-key, --phases and --pcr-banks as ukify
 * takes them: each --phases (a space-separated list of colon-separated
 * phase paths) goes with the --pcr-private-key of the same rank, and
 * .pcrpkey is the public key when there is one key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-pcr.h"
#include "cli.h"

int cli_pcr_take(const char *cmd, const struct cli_option *option, const char *arg)
{
	struct cli_pcr *p = option->dest;
	struct bs_error err = { 0 };
	unsigned banks;
	int r;

	switch (option->value) {
	case CLI_PCR_OPT_PRIVATE:
		if (p->n_private == CLI_PCR_MAX)
			return cli_fail(cmd, "too many --pcr-private-key");
		p->private_keys[p->n_private++] = arg;
		return 0;
	case CLI_PCR_OPT_PUBLIC:
		if (p->n_public == CLI_PCR_MAX)
			return cli_fail(cmd, "too many --pcr-public-key");
		p->public_keys[p->n_public++] = arg;
		return 0;
	case CLI_PCR_OPT_PHASES:
		if (p->n_phases == CLI_PCR_MAX)
			return cli_fail(cmd, "too many --phases");
		p->phases[p->n_phases++] = arg;
		return 0;
	case CLI_PCR_OPT_BANKS:
		if ((r = bs_pcr_banks_parse(arg, &banks, &err)) < 0)
			return cli_report(cmd, &err, r);
		p->banks |= banks;
		return 0;
	default:
		return BS_EXIT_BAD_INPUT;
	}
}

#define MAX_PUBLIC_KEY (1u << 20)

int cli_pcr_load(const char *cmd, struct cli_pcr *p, int want_pcrpkey, const struct bs_uki_pcr **uki)
{
	struct bs_error err = { 0 };
	size_t len = 0;
	int r;

	*uki = NULL;
	if (!p->n_private) {
		if (p->n_public || p->n_phases || p->banks)
			return cli_fail(cmd, "--pcr-public-key, --phases and --pcr-banks need --pcr-private-key");
		return BS_EXIT_OK;
	}
	if (p->n_public && p->n_public != p->n_private)
		return cli_fail(cmd, "%zu --pcr-public-key for %zu --pcr-private-key: give one per key or none",
				p->n_public, p->n_private);
	if (p->n_phases && p->n_phases != p->n_private)
		return cli_fail(cmd, "%zu --phases for %zu --pcr-private-key: give one per key or none", p->n_phases,
				p->n_private);
	for (size_t i = 0; i < p->n_private; i++) {
		cli_warn_pin_value(cmd, p->private_keys[i]);
		if ((r = bs_keys_load_private(p->private_keys[i], &p->keys[i], &err)) < 0)
			return cli_report(cmd, &err, r);
		p->signers[i].key = bs_key_evp(p->keys[i]);
		/* Debian 12's systemd (252) reads RSA PCR keys only. */
		if (EVP_PKEY_get_base_id(p->signers[i].key) != EVP_PKEY_RSA)
			return cli_fail(cmd, "%s: not an RSA key (systemd 252 takes RSA PCR keys only)",
					p->private_keys[i]);
		if (p->n_phases) {
			if ((r = bs_pcr_phases_parse(p->phases[i], &p->paths[i], &err)) < 0)
				return cli_report(cmd, &err, r);
			p->signers[i].phases = &p->paths[i];
		}
		if (p->n_public) {
			_cleanup_free_ uint8_t *pem = NULL;
			size_t n;

			if ((r = cli_read_file(p->public_keys[i], MAX_PUBLIC_KEY, &pem, &n, &err)) < 0 ||
			    (r = bs_pcr_check_public(pem, n, p->signers[i].key, p->public_keys[i], &err)) < 0)
				return cli_report(cmd, &err, r);
			/* ukify ships the file as given when there is one key. */
			if (i == 0 && p->n_private == 1 && want_pcrpkey) {
				p->pcrpkey = BS_STEAL(pem);
				len = n;
			}
		}
	}
	if (!p->pcrpkey && p->n_private == 1 && want_pcrpkey &&
	    (r = bs_pcr_public_pem(p->signers[0].key, (char **)&p->pcrpkey, &len)) < 0)
		return cli_report(cmd, NULL, r);
	p->uki.signers = p->signers;
	p->uki.n_signers = p->n_private;
	p->uki.banks = p->banks;
	p->uki.pcrpkey = p->pcrpkey;
	p->uki.pcrpkey_len = len;
	*uki = &p->uki;
	return BS_EXIT_OK;
}

void cli_pcr_done(struct cli_pcr *p)
{
	for (size_t i = 0; i < CLI_PCR_MAX; i++) {
		bs_key_free(p->keys[i]);
		bs_pcr_phases_done(&p->paths[i]);
	}
	free(p->pcrpkey);
}
