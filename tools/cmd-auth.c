/* SPDX-License-Identifier: MIT */
/*
 * bootseal auth: signed EFI_VARIABLE_AUTHENTICATION_2 updates. `auth sign`
 * takes sign-efi-sig-list's options with the same meaning (--owner-guid is
 * its -g: the vendor GUID of a variable other than PK, KEK, db and dbx, whose
 * vendors are fixed) and writes the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/atomicfile.h>
#include <bootseal/efivar.h>
#include <bootseal/keys.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "auth";

#define MAX_AUTH_SIZE (64u << 20)

static void help(void)
{
	printf("usage: bootseal auth sign --var PK|KEK|db|dbx --key KEY --cert CERT --output OUT\n"
	       "                          [--owner-guid GUID] [--append]\n"
	       "                          [--timestamp \"YYYY-MM-DD HH:MM:SS\"] ESL\n"
	       "       bootseal auth verify --signer CERT [--var NAME] [--json] AUTH\n"
	       "KEY and CERT: a PEM/DER file, fd:N, env:NAME or an OpenSSL store URI (pkcs11:...).\n"
	       "Without --timestamp, SOURCE_DATE_EPOCH or the current time is used.\n");
}

static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }
static void key_freep(struct bs_key **k) { bs_key_free(*k); }
static void cert_freep(struct bs_cert **c) { bs_cert_free(*c); }
static void esl_freep(struct bs_efivar_esl **e) { bs_efivar_esl_free(*e); }

static int sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "var", required_argument, NULL, 'v' },
		{ "owner-guid", required_argument, NULL, 'g' },
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "append", no_argument, NULL, 'a' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_efivar_update u = { .attributes = BS_EFIVAR_ATTRS_REPLACE };
	_cleanup_(buf_releasep) struct bs_efivar_buf out = { 0 };
	_cleanup_(esl_freep) struct bs_efivar_esl *esl = NULL;
	_cleanup_(key_freep) struct bs_key *key = NULL;
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	const char *key_spec = NULL, *cert_spec = NULL, *output = NULL, *timestamp = NULL;
	struct bs_efi_guid owner;
	struct bs_error err = { 0 };
	int c, r, have_owner = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "v:g:k:c:at:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			u.name = optarg;
			break;
		case 'g':
			if (bs_efivar_guid_parse(optarg, &owner) < 0)
				return cli_fail(cmd, "invalid GUID '%s'", optarg);
			have_owner = 1;
			break;
		case 'k':
			key_spec = optarg;
			break;
		case 'c':
			cert_spec = optarg;
			break;
		case 'a':
			u.attributes = BS_EFIVAR_ATTRS_APPEND;
			break;
		case 't':
			timestamp = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (!u.name || !key_spec || !cert_spec || !output)
		return cli_fail(cmd, "sign needs --var, --key, --cert and --output (see --help)");
	if (optind != argc - 1)
		return cli_fail(cmd, "sign takes one ESL file (see --help)");
	if (bs_efivar_vendor_for_name(u.name, &u.vendor) < 0) {
		if (!have_owner)
			return cli_fail(cmd, "variable '%s' is not PK, KEK, db or dbx: give its vendor GUID with --owner-guid",
					u.name);
		u.vendor = owner;
	}
	if (timestamp) {
		if (bs_efivar_time_parse(timestamp, &u.time) < 0)
			return cli_fail(cmd, "invalid timestamp '%s' (want \"YYYY-MM-DD HH:MM:SS\")", timestamp);
	} else if (bs_efivar_time_default(&u.time, &err) < 0) {
		return cli_report(cmd, &err, err.code);
	}

	/* Everything is checked before the output is opened: bad input leaves no file. */
	r = cli_read_file(argv[optind], MAX_AUTH_SIZE, &data, &u.data_len, &err);
	if (r == 0)
		r = bs_efivar_esl_parse(data, u.data_len, argv[optind], &esl, &err);
	if (r == 0)
		r = bs_keys_load_cert(cert_spec, &cert, &err);
	if (r == 0) {
		cli_warn_pin_value(cmd, key_spec);
		r = bs_keys_load_private(key_spec, &key, &err);
	}
	if (r == 0)
		r = bs_keys_check_match(key, cert, cert_spec, &err);
	u.data = data;
	if (r == 0)
		r = bs_efivar_auth_sign(&u, key, cert, &out, &err);
	bs_key_free(BS_STEAL(key));
	if (r == 0)
		r = bs_atomicfile_write_all(output, out.data, out.len, 0644, 0, &err);
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

static void print_verified(const char *path, const char *var, int append, const char *when, const char *signer)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(path));
	json_object_object_add(o, "verified", json_object_new_boolean(1));
	json_object_object_add(o, "variable", json_object_new_string(var));
	json_object_object_add(o, "mode", json_object_new_string(append ? "append" : "replace"));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "signer", json_object_new_string(signer));
	cli_json_print(o);
}

static int verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "signer", required_argument, NULL, 's' },
		{ "var", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const standard[] = { "PK", "KEK", "db", "dbx" };
	static const uint32_t attrs[] = { BS_EFIVAR_ATTRS_REPLACE, BS_EFIVAR_ATTRS_APPEND };
	_cleanup_(esl_freep) struct bs_efivar_esl *esl = NULL;
	_cleanup_(cert_freep) struct bs_cert *signer = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	const char *signer_spec = NULL, *var = NULL, *path;
	struct bs_efivar_auth auth;
	struct bs_error err = { 0 };
	char when[20], subject[256];
	size_t len;
	int json = 0, c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			signer_spec = optarg;
			break;
		case 'v':
			var = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (!signer_spec || optind != argc - 1)
		return cli_fail(cmd, "verify needs --signer CERT and one AUTH file (see --help)");
	path = argv[optind];
	if (var && bs_efivar_vendor_for_name(var, &(struct bs_efi_guid){ 0 }) < 0)
		return cli_fail(cmd, "--var must be PK, KEK, db or dbx");
	r = bs_keys_load_cert(signer_spec, &signer, &err);
	if (r == 0)
		r = cli_read_file(path, MAX_AUTH_SIZE, &buf, &len, &err);
	if (r == 0)
		r = bs_efivar_auth_parse(buf, len, path, &auth, &err);
	if (r == 0)
		r = bs_efivar_esl_parse(auth.data, auth.data_len, path, &esl, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);

	/* The .auth does not say which variable it is for: the name, vendor and
	 * attributes are part of what is signed, so try each standard one. */
	for (size_t i = 0; i < BS_ARRAY_SIZE(standard); i++) {
		struct bs_efi_guid vendor;

		if (var && strcmp(var, standard[i]) != 0)
			continue;
		bs_efivar_vendor_for_name(standard[i], &vendor);
		for (size_t j = 0; j < BS_ARRAY_SIZE(attrs); j++) {
			struct bs_error attempt = { 0 };

			r = bs_efivar_auth_verify(&auth, standard[i], &vendor, attrs[j], signer, path,
						  &attempt);
			if (r == 0) {
				bs_efivar_time_format(&auth.time, when);
				if (json) {
					print_verified(path, standard[i], attrs[j] == BS_EFIVAR_ATTRS_APPEND, when,
						       bs_cert_subject(signer, subject, sizeof(subject)));
					return BS_EXIT_OK;
				}
				printf("%s: verified: %s %s, time %s, signer %s\n", path, standard[i],
				       attrs[j] == BS_EFIVAR_ATTRS_APPEND ? "append" : "replace", when,
				       bs_cert_subject(signer, subject, sizeof(subject)));
				return BS_EXIT_OK;
			}
			if (r != -EKEYREJECTED)
				return cli_report(cmd, &attempt, r);
		}
	}
	bs_error_set(&err, -EKEYREJECTED, path, "signature does not verify against %s%s%s", signer_spec,
		     var ? " for " : " for PK, KEK, db or dbx", var ? var : "");
	if (json) {
		/* A negative answer is still an answer: reported on stdout too. */
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(path));
		json_object_object_add(o, "verified", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string(err.message));
		cli_json_print(o);
	}
	return cli_report(cmd, &err, err.code);
}

int cmd_auth(int argc, char **argv)
{
	if (argc < 2)
		return cli_fail(cmd, "missing subcommand: sign or verify (see --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return BS_EXIT_OK;
	}
	if (strcmp(argv[1], "sign") == 0)
		return cli_run_subcommand("auth", argc, argv, sign);
	if (strcmp(argv[1], "verify") == 0)
		return cli_run_subcommand("auth", argc, argv, verify);
	return cli_fail(cmd, "unknown subcommand '%s' (see --help)", argv[1]);
}
