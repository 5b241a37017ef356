/* SPDX-License-Identifier: MIT */
/*
 * bootseal esl: EFI_SIGNATURE_LIST files. from-cert matches efitools'
 * cert-to-efi-sig-list and sbsiglist --type x509 byte for byte (one list per
 * certificate); from-hash matches sbsiglist --type sha256 (one list for all).
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

static const char cmd[] = "esl";

/* Signature lists are variable contents; firmware variable stores are far smaller. */
#define MAX_ESL_SIZE (64u << 20)

static void help(void)
{
	printf("usage: bootseal esl from-cert [--owner-guid GUID] --output OUT CERT...\n"
	       "       bootseal esl from-hash --owner-guid GUID --output OUT SHA256HEX...\n"
	       "       bootseal esl list [--json] ESL\n");
}

static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }

/*
 * Shared option parsing of from-cert and from-hash. An owner may default to
 * the zero GUID, as cert-to-efi-sig-list's does; sbsiglist's is required.
 */
static int parse_build_opts(int argc, char **argv, int owner_required, struct bs_efi_guid *owner,
			    const char **output)
{
	static const struct option opts[] = {
		{ "owner-guid", required_argument, NULL, 'g' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, have_owner = 0;

	memset(owner, 0, sizeof(*owner));
	optind = 1;
	while ((c = getopt_long(argc, argv, "g:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			if (bs_efivar_guid_parse(optarg, owner) < 0)
				return cli_fail(cmd, "invalid GUID '%s'", optarg);
			have_owner = 1;
			break;
		case 'o':
			*output = optarg;
			break;
		case 'h':
			help();
			return -1;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (owner_required && !have_owner)
		return cli_fail(cmd, "--owner-guid is required");
	if (!*output)
		return cli_fail(cmd, "--output is required");
	if (optind >= argc)
		return cli_fail(cmd, "nothing to put in the list (see --help)");
	return BS_EXIT_OK;
}

static int from_cert(int argc, char **argv)
{
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 };
	struct bs_error err = { 0 };
	struct bs_efi_guid owner;
	const char *output = NULL;
	int r;

	r = parse_build_opts(argc, argv, 0, &owner, &output);
	if (r)
		return r < 0 ? BS_EXIT_OK : r;
	for (int i = optind; i < argc; i++) {
		struct bs_cert *cert;
		const uint8_t *der;
		size_t len;

		r = bs_keys_load_cert(argv[i], &cert, &err);
		if (r < 0)
			return cli_report(cmd, &err, r);
		der = bs_cert_der(cert, &len);
		r = bs_efivar_esl_add_x509(&esl, &owner, der, len);
		bs_cert_free(cert);
		if (r < 0) {
			bs_error_set(&err, r, argv[i], "cannot add to the list: %s", strerror(-r));
			return cli_report(cmd, &err, r);
		}
	}
	r = bs_atomicfile_write_all(output, esl.data, esl.len, 0644, 0, &err);
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

static int from_hash(int argc, char **argv)
{
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 };
	_cleanup_free_ uint8_t (*hashes)[32] = NULL;
	struct bs_error err = { 0 };
	struct bs_efi_guid owner;
	const char *output = NULL;
	size_t n;
	int r;

	r = parse_build_opts(argc, argv, 1, &owner, &output);
	if (r)
		return r < 0 ? BS_EXIT_OK : r;
	n = (size_t)(argc - optind);
	hashes = calloc(n, sizeof(*hashes));
	if (!hashes)
		return cli_report(cmd, NULL, -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		const char *hex = argv[optind + (int)i];

		if (strlen(hex) != 64 || bs_hex_decode(hex, 64, hashes[i], 32, NULL) < 0)
			return cli_fail(cmd, "'%s' is not a SHA-256 digest (64 hex digits)", hex);
	}
	r = bs_efivar_esl_add_sha256(&esl, &owner, (const uint8_t(*)[32])hashes, n);
	if (r < 0)
		return cli_report(cmd, NULL, r);
	r = bs_atomicfile_write_all(output, esl.data, esl.len, 0644, 0, &err);
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

/* One entry as an object: type, owner and subject, sha256 or size. */
static json_object *entry_json(const struct bs_efivar_esl_list *l, size_t i)
{
	char owner_text[BS_EFI_GUID_STRING_SIZE], type_text[BS_EFI_GUID_STRING_SIZE];
	json_object *o = json_object_new_object();
	struct bs_efi_guid owner;
	const uint8_t *data;
	size_t len;

	bs_efivar_esl_entry(l, i, &owner, &data, &len);
	bs_efivar_guid_format(&owner, owner_text);
	if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_x509_guid)) {
		struct bs_cert *cert = NULL;
		char subject[256];

		json_object_object_add(o, "type", json_object_new_string("x509"));
		if (bs_keys_cert_from_mem(data, len, "", &cert, NULL) == 0) {
			json_object_object_add(o, "subject",
					       json_object_new_string(bs_cert_subject(cert, subject, sizeof(subject))));
			bs_cert_free(cert);
		}
	} else if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_sha256_guid)) {
		char hex[65];

		bs_hex_encode(data, 32, hex);
		json_object_object_add(o, "type", json_object_new_string("sha256"));
		json_object_object_add(o, "sha256", json_object_new_string(hex));
	} else {
		bs_efivar_guid_format(&l->type, type_text);
		json_object_object_add(o, "type", json_object_new_string(type_text));
	}
	json_object_object_add(o, "owner", json_object_new_string(owner_text));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)len));
	return o;
}

static void print_entry(const struct bs_efivar_esl_list *l, size_t i)
{
	char owner_text[BS_EFI_GUID_STRING_SIZE], type_text[BS_EFI_GUID_STRING_SIZE];
	struct bs_efi_guid owner;
	const uint8_t *data;
	size_t len;

	bs_efivar_esl_entry(l, i, &owner, &data, &len);
	bs_efivar_guid_format(&owner, owner_text);
	if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_x509_guid)) {
		struct bs_cert *cert = NULL;
		char subject[256];

		/* The parser already checked this is one DER certificate. */
		if (bs_keys_cert_from_mem(data, len, "", &cert, NULL) == 0) {
			printf("x509 %s %s\n", owner_text, bs_cert_subject(cert, subject, sizeof(subject)));
			bs_cert_free(cert);
		}
	} else if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_sha256_guid)) {
		char hex[65];

		bs_hex_encode(data, 32, hex);
		printf("sha256 %s %s\n", owner_text, hex);
	} else {
		bs_efivar_guid_format(&l->type, type_text);
		printf("%s %s %zu bytes\n", type_text, owner_text, len);
	}
}

static int list(int argc, char **argv)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct bs_efivar_esl *esl = NULL;
	struct bs_error err = { 0 };
	size_t len;
	int json = argc == 3 && strcmp(argv[1], "--json") == 0, r;
	json_object *entries = NULL;

	if (argc != 2 + json)
		return cli_fail(cmd, "list takes one file (see --help)");
	r = cli_read_file(argv[1 + json], MAX_ESL_SIZE, &buf, &len, &err);
	if (r == 0)
		r = bs_efivar_esl_parse(buf, len, argv[1 + json], &esl, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json)
		entries = json_object_new_array();
	for (size_t i = 0; i < esl->n_lists; i++)
		for (size_t j = 0; j < esl->lists[i].n_entries; j++) {
			if (json)
				json_object_array_add(entries, entry_json(&esl->lists[i], j));
			else
				print_entry(&esl->lists[i], j);
		}
	if (json) {
		cli_json_print(entries);
	}
	bs_efivar_esl_free(esl);
	return BS_EXIT_OK;
}

int cmd_esl(int argc, char **argv)
{
	if (argc < 2)
		return cli_fail(cmd, "missing subcommand: from-cert, from-hash or list (see --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help();
		return BS_EXIT_OK;
	}
	if (strcmp(argv[1], "from-cert") == 0)
		return cli_run_subcommand("esl", argc, argv, from_cert);
	if (strcmp(argv[1], "from-hash") == 0)
		return cli_run_subcommand("esl", argc, argv, from_hash);
	if (strcmp(argv[1], "list") == 0)
		return cli_run_subcommand("esl", argc, argv, list);
	return cli_fail(cmd, "unknown subcommand '%s' (see --help)", argv[1]);
}
