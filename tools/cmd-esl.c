/* SPDX-License-Identifier: MIT */
/*
 * bootseal esl: EFI_SIGNATURE_LIST files. from-cert matches efitools'
 * cert-to-efi-sig-list and sbsiglist --type x509 byte for byte (one list per
 * certificate); from-hash matches sbsiglist --type sha256 (one list for all).
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

/* Signature lists are variable contents; firmware variable stores are far smaller. */
#define MAX_ESL_SIZE (64u << 20)

#define FROM_CERT_SYNOPSIS "bootseal esl from-cert [--owner-guid GUID] --output OUT CERT...\n"
#define FROM_HASH_SYNOPSIS "bootseal esl from-hash --owner-guid GUID --output OUT SHA256HEX...\n"
#define LIST_SYNOPSIS "bootseal esl list [--json] ESL\n"

static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }

/* from-cert's and from-hash's options. */
struct build {
	struct bs_efi_guid owner;
	int have_owner;
	const char *output;
};

static int take_owner(const char *cmd, const struct cli_option *o, const char *value)
{
	struct build *b = o->dest;

	if (bs_efivar_guid_parse(value, &b->owner) < 0)
		return cli_fail(cmd, "invalid GUID '%s'", value);
	b->have_owner = 1;
	return 0;
}

/*
 * The options of from-cert and from-hash. An owner may default to the zero
 * GUID, as cert-to-efi-sig-list's does; sbsiglist's is required.
 */
static int parse_build(const struct cli_command *sub, int owner_required, int argc, char **argv, struct build *b,
		       int *first)
{
	const struct cli_option options[] = {
		{ "owner-guid", 'g', CLI_CALL, b, 0, take_owner },
		{ "output", 'o', CLI_STRING, &b->output },
		CLI_OPTION_END,
	};
	struct cli_command command = *sub;
	const char *cmd = sub->name;
	int r;

	command.options = options;
	if ((r = cli_parse(&command, argc, argv, first)) != CLI_PROCEED)
		return r;
	if (owner_required && !b->have_owner)
		return cli_fail(cmd, "--owner-guid is required (see --help)");
	if (!b->output)
		return cli_fail(cmd, "--output is required (see --help)");
	return CLI_PROCEED;
}

static int write_list(const char *cmd, const struct bs_efivar_buf *esl, const char *output)
{
	struct bs_error err = { 0 };
	int r = bs_atomicfile_write_all(output, esl->data, esl->len, 0644, 0, &err);

	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

static int from_cert(int argc, char **argv)
{
	static const char cmd[] = "esl from-cert";
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 };
	struct bs_error err = { 0 };
	struct build b = { 0 };
	static const struct cli_command sub = { cmd, "usage: " FROM_CERT_SYNOPSIS, NULL, 1, -1, "CERT..." };
	int first, r;

	if ((r = parse_build(&sub, 0, argc, argv, &b, &first)) != CLI_PROCEED)
		return r;
	for (int i = first; i < argc; i++) {
		struct bs_cert *cert;
		const uint8_t *der;
		size_t len;

		if ((r = bs_keys_load_cert(argv[i], &cert, &err)) < 0)
			return cli_report(cmd, &err, r);
		der = bs_cert_der(cert, &len);
		r = bs_efivar_esl_add_x509(&esl, &b.owner, der, len);
		bs_cert_free(cert);
		if (r < 0) {
			bs_error_set(&err, r, argv[i], "cannot add to the list: %s", strerror(-r));
			return cli_report(cmd, &err, r);
		}
	}
	return write_list(cmd, &esl, b.output);
}

static int from_hash(int argc, char **argv)
{
	static const char cmd[] = "esl from-hash";
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 };
	_cleanup_free_ uint8_t (*hashes)[32] = NULL;
	struct build b = { 0 };
	size_t n;
	static const struct cli_command sub = { cmd, "usage: " FROM_HASH_SYNOPSIS, NULL, 1, -1, "SHA256HEX..." };
	int first, r;

	if ((r = parse_build(&sub, 1, argc, argv, &b, &first)) != CLI_PROCEED)
		return r;
	n = (size_t)(argc - first);
	if (!(hashes = calloc(n, sizeof(*hashes))))
		return cli_report(cmd, NULL, -ENOMEM);
	for (size_t i = 0; i < n; i++) {
		const char *hex = argv[first + (int)i];

		if (strlen(hex) != 64 || bs_hex_decode(hex, 64, hashes[i], 32, NULL) < 0)
			return cli_fail(cmd, "'%s' is not a SHA-256 digest (64 hex digits)", hex);
	}
	if ((r = bs_efivar_esl_add_sha256(&esl, &b.owner, (const uint8_t(*)[32])hashes, n)) < 0)
		return cli_report(cmd, NULL, r);
	return write_list(cmd, &esl, b.output);
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

static void esl_freep(struct bs_efivar_esl **e) { bs_efivar_esl_free(*e); }

static int list(int argc, char **argv)
{
	static const char cmd[] = "esl list";
	_cleanup_(esl_freep) struct bs_efivar_esl *esl = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	struct bs_error err = { 0 };
	json_object *entries = NULL;
	int json = 0, first, r;
	const struct cli_option options[] = {
		CLI_OPTION_JSON(&json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, "usage: " LIST_SYNOPSIS, options, 1, 1, "one ESL file" };
	size_t len;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	r = cli_read_file(argv[first], MAX_ESL_SIZE, &buf, &len, &err);
	if (r == 0)
		r = bs_efivar_esl_parse(buf, len, argv[first], &esl, &err);
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
	if (json)
		cli_json_print(entries);
	return BS_EXIT_OK;
}

int cmd_esl(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "from-cert", from_cert },
		{ "from-hash", from_hash },
		{ "list", list },
		{ NULL, NULL },
	};

	return cli_dispatch("esl", "usage: " FROM_CERT_SYNOPSIS "       " FROM_HASH_SYNOPSIS "       " LIST_SYNOPSIS,
			    subs, argc, argv);
}
