/* SPDX-License-Identifier: MIT */
/* Flags and exit codes follow sbverify: --cert (repeatable), --list; exit 0
 * when a signature verifies, 1 when none does. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/authenticode.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "verify";

#define MAX_CERTS 16

static void help(void)
{
	printf("usage: bootseal verify [--json] [--allow-sha1] [--detached SIG]\n"
	       "                       (--cert CERT [--cert CERT]... | --no-verify) PE\n"
	       "       bootseal verify [--json] --list PE\n"
	       "A signature counts when its digests are SHA-256, SHA-384 or SHA-512, as\n"
	       "UEFI firmware requires; SHA-1 too with --allow-sha1.\n"
	       "--detached SIG: check the PKCS#7 file SIG (sign --detached) instead of PE's own\n"
	       "signatures. --no-verify: any signer will do (the hash and signature still must).\n");
}

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }

static int list(const struct bs_pe *pe, int json)
{
	_cleanup_free_ struct bs_authenticode_signature *sigs = NULL;
	struct bs_error err = { 0 };
	size_t n;
	int r = bs_authenticode_list(pe, &sigs, &n, &err);

	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *s = json_object_new_object();

			json_object_object_add(s, "signer_subject", json_object_new_string(sigs[i].signer_subject));
			json_object_object_add(s, "signer_issuer", json_object_new_string(sigs[i].signer_issuer));
			json_object_object_add(s, "digest_algorithm", json_object_new_string(sigs[i].digest_alg));
			json_object_object_add(s, "digest_matches", json_object_new_boolean(sigs[i].digest_matches));
			json_object_array_add(a, s);
		}
		json_object_object_add(o, "signatures", a);
		cli_json_print(o);
		return BS_EXIT_OK;
	}
	if (!n)
		printf("No signature table present\n");
	for (size_t i = 0; i < n; i++) {
		printf("signature %zu\n", i + 1);
		printf("  signer subject: %s\n", sigs[i].signer_subject);
		printf("  signer issuer:  %s\n", sigs[i].signer_issuer);
		printf("  image digest:   %s, %s\n", sigs[i].digest_alg,
		       sigs[i].digest_matches ? "matches" : "DOES NOT MATCH");
	}
	return BS_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'J' },
		{ "allow-sha1", no_argument, NULL, '1' },
		{ "detached", required_argument, NULL, 'd' },
		{ "no-verify", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	struct bs_cert *certs[MAX_CERTS] = { 0 };
	X509 *x509s[MAX_CERTS];
	const char *specs[MAX_CERTS];
	struct bs_error err = { 0 };
	_cleanup_free_ uint8_t *sig = NULL;
	const char *detached = NULL;
	size_t n_certs = 0, which = 0, sig_len = 0;
	unsigned flags = 0;
	int do_list = 0, json = 0, c, r, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (n_certs == MAX_CERTS)
				return cli_fail(cmd, "at most %d certificates", MAX_CERTS);
			specs[n_certs++] = optarg;
			break;
		case 'l':
			do_list = 1;
			break;
		case 'J':
			json = 1;
			break;
		case '1':
			flags |= BS_AUTHENTICODE_ALLOW_SHA1;
			break;
		case 'd':
			detached = optarg;
			break;
		case 'n':
			flags |= BS_AUTHENTICODE_NO_CHAIN;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (optind + 1 != argc)
		return cli_fail(cmd, "expected exactly one PE image (see --help)");
	if (!do_list && !n_certs && !(flags & BS_AUTHENTICODE_NO_CHAIN))
		return cli_fail(cmd, "--cert, --no-verify or --list is required (see --help)");
	if (do_list && detached)
		return cli_fail(cmd, "--list reads PE's own signatures, not --detached");
	r = bs_pe_load(argv[optind], &pe, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (do_list)
		return list(pe, json);
	/* A PKCS#7 signature is a few KiB; 1 MiB leaves room for long chains. */
	if (detached && (r = cli_read_file(detached, 1u << 20, &sig, &sig_len, &err)) < 0)
		return cli_report(cmd, &err, r);

	status = BS_EXIT_OK;
	for (size_t i = 0; i < n_certs && status == BS_EXIT_OK; i++) {
		r = bs_keys_load_cert(specs[i], &certs[i], &err);
		if (r < 0)
			status = cli_report(cmd, &err, r);
		else
			x509s[i] = bs_cert_x509(certs[i]);
	}
	if (status == BS_EXIT_OK) {
		r = detached ? bs_authenticode_verify_detached(pe, sig, sig_len, x509s, n_certs, flags, &err)
			     : bs_authenticode_verify_flags(pe, x509s, n_certs, flags, &which, &err);
		if (r < 0)
			status = cli_report(cmd, &err, r);
		if (json && (r >= 0 || status == BS_EXIT_VERIFY_FAILED)) {
			/* A negative answer is still an answer: reported on stdout too. */
			json_object *o = json_object_new_object();

			json_object_object_add(o, "verified", json_object_new_boolean(r >= 0));
			if (r >= 0 && !detached)
				json_object_object_add(o, "signature", json_object_new_int((int)which + 1));
			else if (r < 0)
				json_object_object_add(o, "error", json_object_new_string(err.message));
			cli_json_print(o);
		} else if (r >= 0) {
			printf("Signature verification OK\n");
		}
	}
	for (size_t i = 0; i < n_certs; i++)
		bs_cert_free(certs[i]);
	return status;
}
