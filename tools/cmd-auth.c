/* SPDX-License-Identifier: MIT */
/*
 * bootseal auth: signed EFI_VARIABLE_AUTHENTICATION_2 updates. `auth sign`
 * takes sign-efi-sig-list's options with the same meaning (--owner-guid is
 * its -g: the vendor GUID of a variable other than PK, KEK, db and dbx, whose
 * vendors are fixed) and writes the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/atomicfile.h>
#include <bootseal/efivar.h>
#include <bootseal/keys.h>

#include "cli-dispatch.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

#define MAX_AUTH_SIZE (64u << 20)

#define SIGN_SYNOPSIS                                                                \
	"bootseal auth sign --var PK|KEK|db|dbx --key KEY --cert CERT --output OUT\n" \
	"                          [--owner-guid GUID] [--append]\n"                  \
	"                          [--timestamp \"YYYY-MM-DD HH:MM:SS\"] ESL\n"
#define VERIFY_SYNOPSIS "bootseal auth verify --signer CERT [--var NAME] [--json] AUTH\n"
#define KEY_NOTE                                                                                   \
	"KEY and CERT: a PEM/DER file, fd:N, env:NAME or an OpenSSL store URI (pkcs11:...).\n" \
	"Without --timestamp, SOURCE_DATE_EPOCH or the current time is used.\n"

static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }
static void key_freep(struct bs_key **k) { bs_key_free(*k); }
static void cert_freep(struct bs_cert **c) { bs_cert_free(*c); }
static void esl_freep(struct bs_efivar_esl **e) { bs_efivar_esl_free(*e); }

/* What `auth sign` is asked for. */
struct sign_args {
	struct bs_efivar_update u;
	struct bs_efi_guid owner;
	int have_owner, append;
	const char *key_spec, *cert_spec, *output, *timestamp;
};

static int take_owner(const char *cmd, const struct cli_option *o, const char *value)
{
	struct sign_args *a = o->dest;

	if (bs_efivar_guid_parse(value, &a->owner) < 0)
		return cli_fail(cmd, "invalid GUID '%s'", value);
	a->have_owner = 1;
	return 0;
}

/* The variable's vendor and the update's time, from the options alone. */
static int sign_header(const char *cmd, struct sign_args *a)
{
	struct bs_error err = { 0 };

	if (!a->u.name || !a->key_spec || !a->cert_spec || !a->output)
		return cli_fail(cmd, "--var, --key, --cert and --output are required (see --help)");
	a->u.attributes = a->append ? BS_EFIVAR_ATTRS_APPEND : BS_EFIVAR_ATTRS_REPLACE;
	if (bs_efivar_vendor_for_name(a->u.name, &a->u.vendor) < 0) {
		if (!a->have_owner)
			return cli_fail(cmd, "variable '%s' is not PK, KEK, db or dbx: give its vendor GUID with --owner-guid",
					a->u.name);
		a->u.vendor = a->owner;
	}
	if (a->timestamp) {
		if (bs_efivar_time_parse(a->timestamp, &a->u.time) < 0)
			return cli_fail(cmd, "invalid timestamp '%s' (want \"YYYY-MM-DD HH:MM:SS\")", a->timestamp);
	} else if (bs_efivar_time_default(&a->u.time, &err) < 0) {
		return cli_report(cmd, &err, err.code);
	}
	return 0;
}

/* Everything is checked before the output is opened: bad input leaves no file. */
static int sign_esl(const char *cmd, struct sign_args *a, const char *path)
{
	_cleanup_(buf_releasep) struct bs_efivar_buf out = { 0 };
	_cleanup_(esl_freep) struct bs_efivar_esl *esl = NULL;
	_cleanup_(key_freep) struct bs_key *key = NULL;
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	struct bs_error err = { 0 };
	int r = cli_read_file(path, MAX_AUTH_SIZE, &data, &a->u.data_len, &err);

	if (r == 0)
		r = bs_efivar_esl_parse(data, a->u.data_len, path, &esl, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if ((r = cli_load_signer(cmd, a->key_spec, a->cert_spec, &key, &cert)))
		return r;
	a->u.data = data;
	r = bs_efivar_auth_sign(&a->u, key, cert, &out, &err);
	bs_key_free(BS_STEAL(key));
	if (r == 0)
		r = bs_atomicfile_write_all(a->output, out.data, out.len, 0644, 0, &err);
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

static int sign(int argc, char **argv)
{
	static const char cmd[] = "auth sign";
	struct sign_args a = { 0 };
	const struct cli_option options[] = {
		{ "var", 'v', CLI_STRING, &a.u.name },
		{ "owner-guid", 'g', CLI_CALL, &a, 0, take_owner },
		{ "key", 'k', CLI_STRING, &a.key_spec },
		{ "cert", 'c', CLI_STRING, &a.cert_spec },
		{ "append", 'a', CLI_SET, &a.append, 1 },
		{ "timestamp", 't', CLI_STRING, &a.timestamp },
		{ "output", 'o', CLI_STRING, &a.output },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, "usage: " SIGN_SYNOPSIS KEY_NOTE, options, 1, 1, "one ESL file" };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED || (r = sign_header(cmd, &a)))
		return r;
	return sign_esl(cmd, &a, argv[first]);
}
/* What `auth verify` found: the update, and the variable and mode it verifies for. */
struct verified {
	const char *path, *var;
	int json, append;
	struct bs_efivar_auth auth;
	struct bs_cert *signer;
};

static void print_verified(const struct verified *v)
{
	json_object *o;
	char when[20], subject[256];
	const char *mode = v->append ? "append" : "replace";

	bs_efivar_time_format(&v->auth.time, when);
	bs_cert_subject(v->signer, subject, sizeof(subject));
	if (!v->json) {
		printf("%s: verified: %s %s, time %s, signer %s\n", v->path, v->var, mode, when, subject);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(v->path));
	json_object_object_add(o, "verified", json_object_new_boolean(1));
	json_object_object_add(o, "variable", json_object_new_string(v->var));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "signer", json_object_new_string(subject));
	cli_json_print(o);
}

/* A negative answer is still an answer: with --json, reported on stdout too. */
static int report_rejected(const char *cmd, const struct verified *v, const char *signer_spec, const char *var)
{
	struct bs_error err = { 0 };

	bs_error_set(&err, -EKEYREJECTED, v->path, "signature does not verify against %s%s%s", signer_spec,
		     var ? " for " : " for PK, KEK, db or dbx", var ? var : "");
	if (v->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(v->path));
		json_object_object_add(o, "verified", json_object_new_boolean(0));
		json_object_object_add(o, "error", json_object_new_string(err.message));
		cli_json_print(o);
	}
	return cli_report(cmd, &err, err.code);
}

/*
 * The .auth does not say which variable it is for: the name, vendor and
 * attributes are part of what is signed, so each standard one is tried
 * (only var when given). 0 with v->var set, -EKEYREJECTED when none
 * verifies, else another error in *err.
 */
static int find_variable(struct verified *v, const char *var, struct bs_error *err)
{
	static const char *const standard[] = { "PK", "KEK", "db", "dbx" };
	static const uint32_t attrs[] = { BS_EFIVAR_ATTRS_REPLACE, BS_EFIVAR_ATTRS_APPEND };

	for (size_t i = 0; i < BS_ARRAY_SIZE(standard); i++) {
		struct bs_efi_guid vendor;

		if (var && strcmp(var, standard[i]) != 0)
			continue;
		bs_efivar_vendor_for_name(standard[i], &vendor);
		for (size_t j = 0; j < BS_ARRAY_SIZE(attrs); j++) {
			int r = bs_efivar_auth_verify(&v->auth, standard[i], &vendor, attrs[j], v->signer, v->path, err);

			if (r == 0) {
				v->var = standard[i];
				v->append = attrs[j] == BS_EFIVAR_ATTRS_APPEND;
				return 0;
			}
			if (r != -EKEYREJECTED)
				return r;
			*err = (struct bs_error){ 0 };
		}
	}
	return -EKEYREJECTED;
}

static int verify(int argc, char **argv)
{
	static const char cmd[] = "auth verify";
	_cleanup_(esl_freep) struct bs_efivar_esl *esl = NULL;
	_cleanup_(cert_freep) struct bs_cert *signer = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	const char *signer_spec = NULL, *var = NULL;
	struct verified v = { 0 };
	const struct cli_option options[] = {
		{ "signer", 's', CLI_STRING, &signer_spec },
		{ "var", 'v', CLI_STRING, &var },
		CLI_OPTION_JSON(&v.json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, "usage: " VERIFY_SYNOPSIS KEY_NOTE, options, 1, 1, "one AUTH file" };
	struct bs_error err = { 0 };
	size_t len;
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (!signer_spec)
		return cli_fail(cmd, "--signer CERT is required (see --help)");
	if (var && bs_efivar_vendor_for_name(var, &(struct bs_efi_guid){ 0 }) < 0)
		return cli_fail(cmd, "--var must be PK, KEK, db or dbx");
	v.path = argv[first];
	r = bs_keys_load_cert(signer_spec, &signer, &err);
	if (r == 0)
		r = cli_read_file(v.path, MAX_AUTH_SIZE, &buf, &len, &err);
	if (r == 0)
		r = bs_efivar_auth_parse(buf, len, v.path, &v.auth, &err);
	if (r == 0)
		r = bs_efivar_esl_parse(v.auth.data, v.auth.data_len, v.path, &esl, &err);
	v.signer = signer;
	if (r == 0 && (r = find_variable(&v, var, &err)) == -EKEYREJECTED)
		return report_rejected(cmd, &v, signer_spec, var);
	if (r < 0)
		return cli_report(cmd, &err, r);
	print_verified(&v);
	return BS_EXIT_OK;
}

int cmd_auth(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "sign", sign },
		{ "verify", verify },
		{ NULL, NULL },
	};

	return cli_dispatch("auth", "usage: " SIGN_SYNOPSIS "       " VERIFY_SYNOPSIS KEY_NOTE, subs, argc, argv);
}
