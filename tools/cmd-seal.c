/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bootseal/bootc.h>
#include <bootseal/keys.h>
#include <bootseal/oci.h>
#include <bootseal/seal.h>
#include <bootseal/tmpdir.h>

#include "cli-options.h"
#include "cli-util.h"
#include "cli-io.h"
#include "cli-pcr.h"
#include "cli.h"

static const char cmd[] = "seal";

static const char usage[] =
	"usage: bootseal seal (--key KEY --cert CERT | --ephemeral-keys) [--karg ARG]...\n"
	"                     [--sign-bootloader] [--stub PATH] [--allow-missing-verity]\n"
	"                     [--create-missing-dirs] [--compression gzip|zstd|none] [--level N]\n"
	"                     [--rewrite-layer] [--jobs N] [--json] [--quiet]\n"
	"                     " CLI_PCR_USAGE "\n"
	"                     SRC [DEST]\n"
	"SRC: oci:DIR[:TAG], oci-archive:FILE or dir:PATH; DEST: oci:DIR[:TAG] or\n"
	"oci-archive:FILE (a dir: source is sealed in place). KEY: a file, fd:N, env:NAME\n"
	"or a provider URI (pkcs11:...); --key-fd N and --key-env NAME are short forms.\n"
	"A one-layer input keeps its layer blob as layer 1 unless --rewrite-layer.\n"
	"Progress is shown on stderr when it is a terminal, unless --quiet.\n";

/* The certificate of a seal that failed, and its private directory: nothing
 * sealed with it exists, so nothing is left in TMPDIR for it. */
static void ephemeral_remove(char *cert_path)
{
	char *slash = strrchr(cert_path, '/');

	if (!cert_path[0] || !slash)
		return;
	unlink(cert_path);
	*slash = '\0';
	rmdir(cert_path);
	cert_path[0] = '\0';
}

/* A throwaway db key for pull-request builds: the key stays in memory, the
 * certificate goes to a private directory under TMPDIR (or /tmp) so the
 * result can be verified. */
static int ephemeral_keys(struct bs_key **key, struct bs_cert **cert, char *cert_path, size_t size,
			  struct bs_error *err)
{
	const struct bs_cert_params params = { .common_name = "bootseal ephemeral db", .days = 1 };
	const char *base = bs_tmpdir_base();
	int n, r;

	r = bs_keys_generate(BS_KEY_RSA2048, key, err);
	if (r >= 0)
		r = bs_keys_self_sign(*key, &params, cert, err);
	if (r < 0)
		return r;
	n = snprintf(cert_path, size, "%s/bootseal-ephemeral.XXXXXX", base);
	if (n < 0 || (size_t)n + sizeof("/db.crt") > size) {
		cert_path[0] = '\0';
		return bs_error_set(err, -ENAMETOOLONG, base, "too long a name for a temporary directory");
	}
	if (!mkdtemp(cert_path)) {
		cert_path[0] = '\0';
		return bs_error_set(err, -errno, base, "cannot create a private directory: %s", strerror(errno));
	}
	strcat(cert_path, "/db.crt");
	return bs_keys_write_cert_pem(*cert, cert_path, 1, err);
}

static void print_json(const struct bs_seal_result *res, const char *cert_path)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "digest", json_object_new_string(res->digest));
	json_object_object_add(o, "kver", json_object_new_string(res->kver));
	json_object_object_add(o, "uki", json_object_new_string(res->uki_path));
	json_object_object_add(o, "cmdline", json_object_new_string(res->cmdline ? res->cmdline : ""));
	json_object_object_add(o, "manifest_digest", json_object_new_string(res->manifest_digest));
	json_object_object_add(o, "bootloader_signed", json_object_new_boolean(res->bootloader_signed));
	if (cert_path[0])
		json_object_object_add(o, "ephemeral_cert", json_object_new_string(cert_path));
	cli_json_print(o);
}

/* The db key and certificate: given, or made for this seal only. */
static int load_keys(int ephemeral, const char *key_spec, const char *cert_spec, struct bs_key **key,
		     struct bs_cert **cert, char *cert_path, size_t size)
{
	struct bs_error err = { 0 };
	int r;

	if (ephemeral && (key_spec || cert_spec))
		return cli_fail(cmd, "--ephemeral-keys and --key/--cert exclude each other");
	if (!ephemeral && (!key_spec || !cert_spec))
		return cli_fail(cmd, "a db key and certificate are needed (--key and --cert, or --ephemeral-keys)");
	if (!ephemeral)
		return cli_load_signer(cmd, key_spec, cert_spec, key, cert);
	r = ephemeral_keys(key, cert, cert_path, size, &err);
	if (r < 0)
		ephemeral_remove(cert_path);
	return r < 0 ? cli_report(cmd, &err, r) : 0;
}

/* Seals with o, whose key it releases as soon as it has signed. */
static int run_seal(struct bs_seal_options *o, struct bs_key *key, int quiet, int json, char *cert_path)
{
	struct bs_seal_result res = { 0 };
	struct bs_error err = { 0 };
	struct cli_progress progress;
	int r;

	if (cli_progress_init(&progress, quiet)) {
		o->progress = cli_progress_show;
		o->progress_ctx = &progress;
	}
	o->key = key;
	r = bs_seal(o, &res, &err);
	cli_progress_end(&progress);
	/* The key is no longer needed: drop it before printing anything. */
	bs_key_free(key);
	o->key = NULL;
	if (r < 0) {
		ephemeral_remove(cert_path);
		return cli_report(cmd, &err, r);
	}
	if (json)
		print_json(&res, cert_path);
	else
		printf("%s\n", res.digest);
	if (cert_path[0] && !json)
		fprintf(stderr, "bootseal: seal: ephemeral db certificate: %s\n", cert_path);
	bs_seal_result_clear(&res);
	return BS_EXIT_OK;
}

static void cert_freep(struct bs_cert **cert) { bs_cert_free(*cert); }

int cmd_seal(int argc, char **argv)
{
	_cleanup_(cli_list_done) struct cli_list kargs = { 0 };
	_cleanup_(cli_pcr_done) struct cli_pcr pcr = { 0 };
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	struct bs_seal_options o = { 0 };
	struct cli_key key = { 0 };
	const char *cert_spec = NULL;
	int ephemeral = 0, json = 0, quiet = 0;
	const struct cli_option options[] = {
		CLI_OPTIONS_KEY(&key),
		{ "cert", 0, CLI_STRING, &cert_spec },
		{ "karg", 0, CLI_LIST, &kargs },
		{ "sign-bootloader", 0, CLI_SET, &o.sign_bootloader, 1 },
		{ "stub", 0, CLI_STRING, &o.stub },
		{ "ephemeral-keys", 0, CLI_SET, &ephemeral, 1 },
		{ "allow-missing-verity", 0, CLI_SET, &o.allow_missing_verity, 1 },
		{ "create-missing-dirs", 0, CLI_OR, &o.bootc_flags, BS_BOOTC_CREATE_MISSING },
		{ "jobs", 0, CLI_JOBS, &o.jobs },
		CLI_OPTION_JSON(&json),
		CLI_OPTION_COMPRESSION(&o.compression),
		CLI_OPTION_LEVEL(&o.level),
		{ "rewrite-layer", 0, CLI_SET, &o.rewrite_layer, 1 },
		{ "quiet", 0, CLI_SET, &quiet, 1 },
		CLI_PCR_TABLE(&pcr),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, 2, "SRC [DEST]" };
	struct bs_key *db_key = NULL;
	char cert_path[256] = "";
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	o.kargs = kargs.items;
	o.n_kargs = kargs.n;
	o.src = argv[first];
	o.dest = argv[first + 1];
	if ((r = cli_pcr_load(cmd, &pcr, 1, &o.pcr)))
		return r;
	if ((r = load_keys(ephemeral, key.spec, cert_spec, &db_key, &cert, cert_path, sizeof(cert_path)))) {
		bs_key_free(db_key);
		return r;
	}
	o.cert = cert;
	return run_seal(&o, db_key, quiet, json, cert_path);
}
