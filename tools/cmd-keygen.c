/* SPDX-License-Identifier: MIT */
/* bootseal keygen: the owner's PK/KEK/db hierarchy, or an ephemeral db key. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/efivar.h>
#include <bootseal/keygen.h>
#include <bootseal/keys.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli-values.h"
#include "cli.h"

static const char cmd[] = "keygen";

static const char usage[] =
	"usage: bootseal keygen [--output-dir DIR] [--owner-guid GUID]\n"
	"                       [--key-type rsa2048|rsa3072|rsa4096|ecdsa-p256|ecdsa-p384]\n"
	"                       [--days N] [--subject-prefix TEXT] [--force] [--ephemeral] [--json]\n"
	"                       [--layout bootseal|sbctl]\n"
	"Writes PK, KEK and db keys, certificates (.crt PEM, .cer DER), .esl and .auth\n"
	"files, GUID.txt, sb-* aliases and loader/keys/auto/ into DIR (target/keys).\n"
	"--layout sbctl: sbctl's tree instead, keys/{PK,KEK,db}/NAME.{key,pem} and GUID\n"
	"(DIR is then what sbctl calls /var/lib/sbctl).\n"
	"--ephemeral: a 1-day db key pair in a new private temporary directory.\n"
	"SOURCE_DATE_EPOCH sets the .auth timestamps.\n";

/* The parameters and the owner GUID they point to. */
struct keygen_args {
	struct bs_keygen_params p;
	struct bs_efi_guid owner;
};

static int take_guid(const char *command, const struct cli_option *o, const char *value)
{
	struct keygen_args *a = o->dest;

	if (bs_efivar_guid_parse(value, &a->owner) < 0)
		return cli_fail(command, "invalid GUID '%s'", value);
	a->p.owner = &a->owner;
	return 0;
}

static int take_key_type(const char *command, const struct cli_option *o, const char *value)
{
	if (bs_key_type_from_name(value, o->dest) < 0)
		return cli_fail(command, "unknown key type '%s'", value);
	return 0;
}

static int take_layout(const char *command, const struct cli_option *o, const char *value)
{
	enum bs_keygen_layout *layout = o->dest;

	if (strcmp(value, "sbctl") == 0)
		*layout = BS_KEYGEN_LAYOUT_SBCTL;
	else if (strcmp(value, "bootseal") == 0)
		*layout = BS_KEYGEN_LAYOUT_BOOTSEAL;
	else
		return cli_fail(command, "unknown layout '%s' (bootseal or sbctl)", value);
	return 0;
}

static int ephemeral(const struct bs_keygen_params *p, int json)
{
	struct bs_keygen_ephemeral e;
	struct bs_error err = { 0 };
	int r;

	if (p->output_dir || p->force || p->layout)
		return cli_fail(cmd, "--ephemeral writes to a new temporary directory; drop --output-dir, --force and --layout");
	if ((r = bs_keygen_ephemeral(p, &e, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dir", json_object_new_string(e.dir));
		json_object_object_add(o, "key", json_object_new_string(e.key));
		json_object_object_add(o, "cert", json_object_new_string(e.crt));
		json_object_object_add(o, "cer", json_object_new_string(e.cer));
		json_object_object_add(o, "esl", json_object_new_string(e.esl));
		cli_json_print(o);
	} else {
		printf("dir %s\nkey %s\ncert %s\ncer %s\nesl %s\n", e.dir, e.key, e.crt, e.cer, e.esl);
	}
	bs_keygen_ephemeral_release(&e);
	return BS_EXIT_OK;
}

static int create(struct bs_keygen_params *p, int json)
{
	struct bs_error err = { 0 };
	int r;

	r = bs_efivar_time_default(&p->time, &err);
	if (r == 0)
		r = bs_keygen_create(p, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dir", json_object_new_string(p->output_dir ? p->output_dir : "target/keys"));
		json_object_object_add(o, "layout",
				       json_object_new_string(p->layout == BS_KEYGEN_LAYOUT_SBCTL ? "sbctl" : "bootseal"));
		cli_json_print(o);
	}
	return BS_EXIT_OK;
}

int cmd_keygen(int argc, char **argv)
{
	struct keygen_args a = { 0 };
	int is_ephemeral = 0, json = 0, first, r;
	const struct cli_option options[] = {
		{ "output-dir", 'o', CLI_STRING, &a.p.output_dir },
		{ "owner-guid", 'g', CLI_CALL, &a, 0, take_guid },
		{ "key-type", 't', CLI_CALL, &a.p.key_type, 0, take_key_type },
		{ "days", 'd', CLI_CALL, &a.p.days, 0, cli_take_days },
		{ "subject-prefix", 's', CLI_STRING, &a.p.subject_prefix },
		{ "force", 'f', CLI_SET, &a.p.force, 1 },
		{ "ephemeral", 'e', CLI_SET, &is_ephemeral, 1 },
		CLI_OPTION_JSON(&json),
		{ "layout", 0, CLI_CALL, &a.p.layout, 0, take_layout },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 0, 0, "" };

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	return is_ephemeral ? ephemeral(&a.p, json) : create(&a.p, json);
}
