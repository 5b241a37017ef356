/* SPDX-License-Identifier: MIT */
/* Flags and exit codes follow sbverify: --cert (repeatable), --list; exit 0
 * when a signature verifies, 1 when none does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/authenticode.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "verify";

#define MAX_CERTS 16

static const char usage[] =
	"usage: bootseal verify [--json] [--allow-sha1] [--detached SIG]\n"
	"                       (--cert CERT [--cert CERT]... | --no-verify) PE\n"
	"       bootseal verify [--json] --list PE\n"
	"A signature counts when its digests are SHA-256, SHA-384 or SHA-512, as\n"
	"UEFI firmware requires; SHA-1 too with --allow-sha1.\n"
	"--detached SIG: check the PKCS#7 file SIG (sign --detached) instead of PE's own\n"
	"signatures. --no-verify: any signer will do (the hash and signature still must).\n";

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

/* What `verify` is asked to check. */
struct check {
	struct cli_list certs;
	const char *detached;
	unsigned flags;
	int json;
	/* Loaded */
	struct bs_cert *loaded[MAX_CERTS];
	X509 *x509s[MAX_CERTS];
	uint8_t *sig;
	size_t sig_len;
};

static void check_done(struct check *c)
{
	for (size_t i = 0; i < MAX_CERTS; i++)
		bs_cert_free(c->loaded[i]);
	free(c->sig);
	cli_list_done(&c->certs);
}

static int load_check(struct check *c)
{
	struct bs_error err = { 0 };
	int r;

	/* A PKCS#7 signature is a few KiB; 1 MiB leaves room for long chains. */
	if (c->detached && (r = cli_read_file(c->detached, 1u << 20, &c->sig, &c->sig_len, &err)) < 0)
		return cli_report(cmd, &err, r);
	for (size_t i = 0; i < c->certs.n; i++) {
		if ((r = bs_keys_load_cert(c->certs.items[i], &c->loaded[i], &err)) < 0)
			return cli_report(cmd, &err, r);
		c->x509s[i] = bs_cert_x509(c->loaded[i]);
	}
	return 0;
}

/* A negative answer is still an answer: with --json, reported on stdout too. */
static int check_signatures(const struct bs_pe *pe, const struct check *c)
{
	struct bs_error err = { 0 };
	json_object *o;
	size_t which = 0;
	int r = c->detached ? bs_authenticode_verify_detached(pe, c->sig, c->sig_len, c->x509s, c->certs.n,
							       c->flags, &err)
			    : bs_authenticode_verify_flags(pe, c->x509s, c->certs.n, c->flags, &which, &err);
	int status = r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;

	if (!c->json) {
		if (r >= 0)
			printf("Signature verification OK\n");
		return status;
	}
	if (r < 0 && status != BS_EXIT_VERIFY_FAILED)
		return status;
	o = json_object_new_object();
	json_object_object_add(o, "verified", json_object_new_boolean(r >= 0));
	if (r >= 0 && !c->detached)
		json_object_object_add(o, "signature", json_object_new_int((int)which + 1));
	else if (r < 0)
		json_object_object_add(o, "error", json_object_new_string(err.message));
	cli_json_print(o);
	return status;
}

int cmd_verify(int argc, char **argv)
{
	_cleanup_(check_done) struct check c = { 0 };
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	int do_list = 0, first, r;
	const struct cli_option options[] = {
		{ "cert", 'c', CLI_LIST, &c.certs },
		{ "list", 'l', CLI_SET, &do_list, 1 },
		CLI_OPTION_JSON(&c.json),
		{ "allow-sha1", 0, CLI_OR, &c.flags, BS_AUTHENTICODE_ALLOW_SHA1 },
		{ "detached", 0, CLI_STRING, &c.detached },
		{ "no-verify", 0, CLI_OR, &c.flags, BS_AUTHENTICODE_NO_CHAIN },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, 1, "exactly one PE image" };
	struct bs_error err = { 0 };

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (c.certs.n > MAX_CERTS)
		return cli_fail(cmd, "at most %d certificates", MAX_CERTS);
	if (!do_list && !c.certs.n && !(c.flags & BS_AUTHENTICODE_NO_CHAIN))
		return cli_fail(cmd, "--cert, --no-verify or --list is required (see --help)");
	if (do_list && c.detached)
		return cli_fail(cmd, "--list reads PE's own signatures, not --detached");
	if ((r = bs_pe_load(argv[first], &pe, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (do_list)
		return list(pe, c.json);
	if ((r = load_check(&c)))
		return r;
	return check_signatures(pe, &c);
}
