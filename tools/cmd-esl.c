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
#include "cli-values.h"
#include "cli.h"

/* Signature lists are variable contents; firmware variable stores are far smaller. */
#define MAX_ESL_SIZE (64u << 20)

#define FROM_CERT_SYNOPSIS "bootseal esl from-cert [--owner-guid GUID] --output OUT CERT...\n"
#define FROM_HASH_SYNOPSIS "bootseal esl from-hash --owner-guid GUID --output OUT SHA256HEX...\n"
#define LIST_SYNOPSIS "bootseal esl list [--json] ESL\n"

static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }

/* from-cert's and from-hash's options. */
struct build {
	struct cli_guid owner;
	const char *output;
};

/*
 * The options of from-cert and from-hash. An owner may default to the zero
 * GUID, as cert-to-efi-sig-list's does; sbsiglist's is required.
 */
static int parse_build(const struct cli_command *sub, int owner_required, int argc, char **argv, struct build *b,
		       int *first)
{
	const struct cli_option options[] = {
		{ "owner-guid", 'g', CLI_CALL, &b->owner, 0, cli_take_guid },
		{ "output", 'o', CLI_STRING, &b->output },
		CLI_OPTION_END,
	};
	struct cli_command command = *sub;
	const char *cmd = sub->name;
	int r;

	command.options = options;
	if ((r = cli_parse(&command, argc, argv, first)) != CLI_PROCEED)
		return r;
	if (owner_required && !b->owner.given)
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
		r = bs_efivar_esl_add_x509(&esl, &b.owner.guid, der, len);
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
	if ((r = bs_efivar_esl_add_sha256(&esl, &b.owner.guid, (const uint8_t(*)[32])hashes, n)) < 0)
		return cli_report(cmd, NULL, r);
	return write_list(cmd, &esl, b.output);
}

/* What list shows of one entry. */
struct entry {
	char type[BS_EFI_GUID_STRING_SIZE];     /* "x509", "sha256" or the type's GUID */
	char owner[BS_EFI_GUID_STRING_SIZE];
	const char *key;                        /* "subject", "sha256" or NULL: what value is */
	char value[256];
	size_t len;
};

static void read_entry(const struct bs_efivar_esl_list *l, size_t i, struct entry *e)
{
	struct bs_efi_guid owner;
	const uint8_t *data;

	bs_efivar_esl_entry(l, i, &owner, &data, &e->len);
	bs_efivar_guid_format(&owner, e->owner);
	e->key = NULL;
	if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_x509_guid)) {
		struct bs_cert *cert = NULL;

		snprintf(e->type, sizeof(e->type), "x509");
		/* The parser already checked this is one DER certificate. */
		if (bs_keys_cert_from_mem(data, e->len, "", &cert, NULL) == 0) {
			e->key = "subject";
			bs_cert_subject(cert, e->value, sizeof(e->value));
			bs_cert_free(cert);
		}
	} else if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_sha256_guid)) {
		snprintf(e->type, sizeof(e->type), "sha256");
		e->key = "sha256";
		bs_hex_encode(data, 32, e->value);
	} else {
		bs_efivar_guid_format(&l->type, e->type);
	}
}

/* One entry as an object: type, owner and subject, sha256 or size. */
static json_object *entry_json(const struct entry *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(e->type));
	if (e->key)
		json_object_object_add(o, e->key, json_object_new_string(e->value));
	json_object_object_add(o, "owner", json_object_new_string(e->owner));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)e->len));
	return o;
}

static void print_entry(const struct entry *e)
{
	if (e->key)
		printf("%s %s %s\n", e->type, e->owner, e->value);
	else if (strcmp(e->type, "x509") != 0)
		printf("%s %s %zu bytes\n", e->type, e->owner, e->len);
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
			struct entry e;

			read_entry(&esl->lists[i], j, &e);
			if (json)
				json_object_array_add(entries, entry_json(&e));
			else
				print_entry(&e);
		}
	if (json)
		cli_json_print(entries);
	return BS_EXIT_OK;
}

int cmd_esl(int argc, char **argv)
{
	static const char usage[] =
		"usage: " FROM_CERT_SYNOPSIS "       " FROM_HASH_SYNOPSIS "       " LIST_SYNOPSIS;

	return cli_dispatch("esl", usage,
			    CLI_SUBCOMMANDS({ "from-cert", from_cert }, { "from-hash", from_hash }, { "list", list }),
			    argc, argv);
}
