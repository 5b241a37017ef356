/* SPDX-License-Identifier: MIT */
/* Flags and defaults follow sbsign: --key, --cert, --output (IMAGE.signed),
 * --detached (IMAGE.pk7). SOURCE_DATE_EPOCH fixes the signing time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootseal/atomicfile.h>
#include <bootseal/authenticode.h>
#include <bootseal/epoch.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>

#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "sign";

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }
static void key_freep(struct bs_key **p) { bs_key_free(*p); }
static void cert_freep(struct bs_cert **p) { bs_cert_free(*p); }

/* SOURCE_DATE_EPOCH for a signingTime; 0 there means now, so 0 is refused. */
int cli_signing_time(const char *command, long long *t)
{
	struct bs_error err = { 0 };
	int64_t epoch;
	int r = bs_source_date_epoch(&epoch, &err);

	*t = 0;
	if (r < 0)
		return cli_report(command, &err, r);
	if (r && epoch == 0)
		return cli_fail(command, "SOURCE_DATE_EPOCH: 0 cannot be a signing time");
	*t = epoch;
	return 0;
}

static const char usage[] =
	"usage: bootseal sign --key KEY --cert CERT [--output OUT] [--detached] PE\n"
	"KEY and CERT: a path, fd:N, env:NAME or an OpenSSL store URI (pkcs11:...).\n"
	"An image that is already signed gets an additional signature.\n";

/* A key and certificate that belong together, the key's PIN warned about. */
int cli_load_signer(const char *command, const char *key_spec, const char *cert_spec, struct bs_key **key,
		    struct bs_cert **cert)
{
	struct bs_error err = { 0 };
	int r;

	cli_warn_pin_value(command, key_spec);
	if ((r = bs_keys_load_private(key_spec, key, &err)) >= 0 &&
	    (r = bs_keys_load_cert(cert_spec, cert, &err)) >= 0)
		r = bs_keys_check_match(*key, *cert, cert_spec, &err);
	return r < 0 ? cli_report(command, &err, r) : 0;
}

static int write_signed(struct bs_pe *pe, const struct bs_authenticode_signer *signer, int detached,
			const char *out)
{
	_cleanup_free_ uint8_t *der = NULL;
	struct bs_error err = { 0 };
	size_t der_len;
	int r;

	if (detached) {
		r = bs_authenticode_sign_detached(pe, signer, &der, &der_len, &err);
		if (r >= 0)
			r = bs_atomicfile_write_all(out, der, der_len, 0644, 0, &err);
	} else {
		r = bs_authenticode_sign(pe, signer, &err);
		if (r >= 0)
			r = bs_pe_write(pe, out, &err);
	}
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

int cmd_sign(int argc, char **argv)
{
	const char *key_spec = NULL, *cert_spec = NULL, *out = NULL;
	int detached = 0;
	const struct cli_option options[] = {
		{ "key", 'k', CLI_STRING, &key_spec },
		{ "cert", 'c', CLI_STRING, &cert_spec },
		{ "output", 'o', CLI_STRING, &out },
		{ "detached", 'd', CLI_SET, &detached, 1 },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, 1, "exactly one PE image" };
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	_cleanup_(key_freep) struct bs_key *key = NULL;
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	_cleanup_free_ char *default_out = NULL;
	struct bs_authenticode_signer signer = { 0 };
	struct bs_error err = { 0 };
	int first, r;
	long long epoch;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (!key_spec || !cert_spec)
		return cli_fail(cmd, "--key and --cert are required (see --help)");
	if (!out) {
		if (asprintf(&default_out, "%s.%s", argv[first], detached ? "pk7" : "signed") < 0)
			return cli_report(cmd, NULL, -ENOMEM);
		out = default_out;
	}
	if ((r = cli_signing_time(cmd, &epoch)))
		return r;
	signer.signing_time = (time_t)epoch;
	if ((r = bs_pe_load(argv[first], &pe, &err)) < 0)
		return cli_report(cmd, &err, r);
	if ((r = cli_load_signer(cmd, key_spec, cert_spec, &key, &cert)))
		return r;
	signer.key = bs_key_evp(key);
	signer.cert = bs_cert_x509(cert);
	return write_signed(pe, &signer, detached, out);
}
