/* SPDX-License-Identifier: MIT */
/* Flags and defaults follow sbsign: --key, --cert, --output (IMAGE.signed),
 * --detached (IMAGE.pk7). SOURCE_DATE_EPOCH fixes the signing time. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootseal/atomicfile.h>
#include <bootseal/authenticode.h>
#include <bootseal/epoch.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>

#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "sign";

static void help(void)
{
	printf("usage: bootseal sign --key KEY --cert CERT [--output OUT] [--detached] PE\n"
	       "KEY and CERT: a path, fd:N, env:NAME or an OpenSSL store URI (pkcs11:...).\n"
	       "An image that is already signed gets an additional signature.\n");
}

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

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "detached", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	_cleanup_(key_freep) struct bs_key *key = NULL;
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	_cleanup_free_ char *default_out = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	const char *key_spec = NULL, *cert_spec = NULL, *out = NULL, *in;
	struct bs_authenticode_signer signer = { 0 };
	struct bs_error err = { 0 };
	int detached = 0, c, r;
	size_t der_len;
	long long epoch;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:c:o:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_spec = optarg;
			break;
		case 'c':
			cert_spec = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			detached = 1;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (!key_spec || !cert_spec)
		return cli_fail(cmd, "--key and --cert are required (see --help)");
	if (optind + 1 != argc)
		return cli_fail(cmd, "expected exactly one PE image (see --help)");
	in = argv[optind];
	if (!out) {
		if (asprintf(&default_out, "%s.%s", in, detached ? "pk7" : "signed") < 0)
			return cli_report(cmd, NULL, -ENOMEM);
		out = default_out;
	}
	r = cli_signing_time(cmd, &epoch);
	if (r)
		return r;
	signer.signing_time = (time_t)epoch;

	r = bs_pe_load(in, &pe, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	cli_warn_pin_value(cmd, key_spec);
	r = bs_keys_load_private(key_spec, &key, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	r = bs_keys_load_cert(cert_spec, &cert, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	r = bs_keys_check_match(key, cert, cert_spec, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	signer.key = bs_key_evp(key);
	signer.cert = bs_cert_x509(cert);

	if (detached) {
		r = bs_authenticode_sign_detached(pe, &signer, &der, &der_len, &err);
		if (r >= 0)
			r = bs_atomicfile_write_all(out, der, der_len, 0644, 0, &err);
	} else {
		r = bs_authenticode_sign(pe, &signer, &err);
		if (r >= 0)
			r = bs_pe_write(pe, out, &err);
	}
	if (r < 0)
		return cli_report(cmd, &err, r);
	return BS_EXIT_OK;
}
