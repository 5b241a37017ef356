/* SPDX-License-Identifier: MIT */
/* bootseal keygen: the owner's PK/KEK/db hierarchy, or an ephemeral db key. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/efivar.h>
#include <bootseal/keygen.h>
#include <bootseal/keys.h>

#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "keygen";

static void help(void)
{
	printf("usage: bootseal keygen [--output-dir DIR] [--owner-guid GUID]\n"
	       "                       [--key-type rsa2048|rsa3072|rsa4096|ecdsa-p256|ecdsa-p384]\n"
	       "                       [--days N] [--subject-prefix TEXT] [--force] [--ephemeral] [--json]\n"
	       "                       [--layout bootseal|sbctl]\n"
	       "Writes PK, KEK and db keys, certificates (.crt PEM, .cer DER), .esl and .auth\n"
	       "files, GUID.txt, sb-* aliases and loader/keys/auto/ into DIR (target/keys).\n"
	       "--layout sbctl: sbctl's tree instead, keys/{PK,KEK,db}/NAME.{key,pem} and GUID\n"
	       "(DIR is then what sbctl calls /var/lib/sbctl).\n"
	       "--ephemeral: a 1-day db key pair in a new private temporary directory.\n"
	       "SOURCE_DATE_EPOCH sets the .auth timestamps.\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output-dir", required_argument, NULL, 'o' },
		{ "owner-guid", required_argument, NULL, 'g' },
		{ "key-type", required_argument, NULL, 't' },
		{ "days", required_argument, NULL, 'd' },
		{ "subject-prefix", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "ephemeral", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'J' },
		{ "layout", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_keygen_params p = { 0 };
	struct bs_error err = { 0 };
	struct bs_efi_guid owner;
	int c, r, ephemeral = 0, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:g:t:d:s:feh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			p.output_dir = optarg;
			break;
		case 'g':
			if (bs_efivar_guid_parse(optarg, &owner) < 0)
				return cli_fail(cmd, "invalid GUID '%s'", optarg);
			p.owner = &owner;
			break;
		case 't':
			if (bs_key_type_from_name(optarg, &p.key_type) < 0)
				return cli_fail(cmd, "unknown key type '%s'", optarg);
			break;
		case 'd':
			if (cli_parse_days(cmd, "--days", optarg, &p.days) < 0)
				return BS_EXIT_BAD_INPUT;
			break;
		case 's':
			p.subject_prefix = optarg;
			break;
		case 'f':
			p.force = 1;
			break;
		case 'e':
			ephemeral = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'L':
			if (strcmp(optarg, "sbctl") == 0)
				p.layout = BS_KEYGEN_LAYOUT_SBCTL;
			else if (strcmp(optarg, "bootseal") == 0)
				p.layout = BS_KEYGEN_LAYOUT_BOOTSEAL;
			else
				return cli_fail(cmd, "unknown layout '%s' (bootseal or sbctl)", optarg);
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (optind != argc)
		return cli_fail(cmd, "unexpected argument '%s' (see --help)", argv[optind]);

	if (ephemeral) {
		struct bs_keygen_ephemeral e;

		if (p.output_dir || p.force || p.layout)
			return cli_fail(cmd, "--ephemeral writes to a new temporary directory; drop --output-dir, --force and --layout");
		r = bs_keygen_ephemeral(&p, &e, &err);
		if (r < 0)
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
	r = bs_efivar_time_default(&p.time, &err);
	if (r == 0)
		r = bs_keygen_create(&p, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dir", json_object_new_string(p.output_dir ? p.output_dir : "target/keys"));
		json_object_object_add(o, "layout", json_object_new_string(p.layout == BS_KEYGEN_LAYOUT_SBCTL ? "sbctl" : "bootseal"));
		cli_json_print(o);
	}
	return BS_EXIT_OK;
}
