/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
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

#include "cli-util.h"
#include "cli-io.h"
#include "cli-pcr.h"
#include "cli.h"

static const char cmd[] = "seal";

static void help(void)
{
	printf("usage: bootseal seal (--key KEY --cert CERT | --ephemeral-keys) [--karg ARG]...\n"
	       "                     [--sign-bootloader] [--stub PATH] [--allow-missing-verity]\n"
	       "                     [--create-missing-dirs] [--compression gzip|zstd|none] [--level N]\n"
	       "                     [--rewrite-layer] [--jobs N] [--json] [--quiet]\n"
	       "                     " CLI_PCR_USAGE "\n"
	       "                     SRC [DEST]\n"
	       "SRC: oci:DIR[:TAG], oci-archive:FILE or dir:PATH; DEST: oci:DIR[:TAG] or\n"
	       "oci-archive:FILE (a dir: source is sealed in place). KEY: a file, fd:N, env:NAME\n"
	       "or a provider URI (pkcs11:...); --key-fd N and --key-env NAME are short forms.\n"
	       "A one-layer input keeps its layer blob as layer 1 unless --rewrite-layer.\n"
	       "Progress is shown on stderr when it is a terminal, unless --quiet.\n");
}

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

int cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key-fd", required_argument, NULL, 'F' },
		{ "key-env", required_argument, NULL, 'E' },
		{ "karg", required_argument, NULL, 'a' },
		{ "sign-bootloader", no_argument, NULL, 'b' },
		{ "stub", required_argument, NULL, 's' },
		{ "ephemeral-keys", no_argument, NULL, 'e' },
		{ "allow-missing-verity", no_argument, NULL, 'v' },
		{ "create-missing-dirs", no_argument, NULL, 'm' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "compression", required_argument, NULL, 'C' },
		{ "level", required_argument, NULL, 'L' },
		{ "rewrite-layer", no_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		CLI_PCR_OPTIONS,
		{ 0 },
	};
	_cleanup_(cli_pcr_done) struct cli_pcr pcr = { 0 };
	struct bs_seal_options o = { 0 };
	struct bs_seal_result res = { 0 };
	struct bs_error err = { 0 };
	struct bs_key *key = NULL;
	struct bs_cert *cert = NULL;
	const char **kargs = NULL;
	char key_spec[256], cert_path[256] = "";
	const char *key_arg = NULL, *cert_arg = NULL;
	struct cli_progress progress;
	int ephemeral = 0, json = 0, quiet = 0, c, r, status;
	char *end;

	kargs = calloc((size_t)argc, sizeof(*kargs));
	if (!kargs)
		return cli_report(cmd, NULL, -ENOMEM);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_arg = optarg;
			break;
		case 'c':
			cert_arg = optarg;
			break;
		case 'F':
		case 'E':
			/* A name cut short would read another variable. */
			if ((size_t)snprintf(key_spec, sizeof(key_spec), "%s:%s", c == 'F' ? "fd" : "env",
					     optarg) >= sizeof(key_spec)) {
				free(kargs);
				return cli_fail(cmd, "--key-%s '%s' is too long", c == 'F' ? "fd" : "env", optarg);
			}
			key_arg = key_spec;
			break;
		case 'a':
			kargs[o.n_kargs++] = optarg;
			break;
		case 'b':
			o.sign_bootloader = 1;
			break;
		case 's':
			o.stub = optarg;
			break;
		case 'e':
			ephemeral = 1;
			break;
		case 'v':
			o.allow_missing_verity = 1;
			break;
		case 'm':
			o.bootc_flags |= BS_BOOTC_CREATE_MISSING;
			break;
		case 'j':
			if (cli_parse_jobs(cmd, optarg, &o.jobs) < 0) {
				free(kargs);
				return BS_EXIT_BAD_INPUT;
			}
			break;
		case 'C':
			if (strcmp(optarg, "gzip") == 0)
				o.compression = BS_OCI_GZIP;
			else if (strcmp(optarg, "zstd") == 0)
				o.compression = BS_OCI_ZSTD;
			else if (strcmp(optarg, "none") == 0)
				o.compression = BS_OCI_UNCOMPRESSED;
			else {
				free(kargs);
				return cli_fail(cmd, "unknown compression '%s' (gzip, zstd or none)", optarg);
			}
			break;
		case 'L':
			o.level = (int)strtol(optarg, &end, 10);
			if (*end || o.level < 1 || o.level > 19) {
				free(kargs);
				return cli_fail(cmd, "invalid compression level '%s'", optarg);
			}
			break;
		case 'R':
			o.rewrite_layer = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help();
			free(kargs);
			return BS_EXIT_OK;
		default:
			if ((r = cli_pcr_option(cmd, &pcr, c, optarg)) == 1)
				break;
			free(kargs);
			return r ? r : BS_EXIT_BAD_INPUT;
		}
	}
	o.kargs = kargs;
	if (argc - optind < 1 || argc - optind > 2) {
		free(kargs);
		return cli_fail(cmd, "expected SRC [DEST] (see --help)");
	}
	o.src = argv[optind];
	o.dest = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (ephemeral && (key_arg || cert_arg)) {
		free(kargs);
		return cli_fail(cmd, "--ephemeral-keys and --key/--cert exclude each other");
	}
	if (!ephemeral && (!key_arg || !cert_arg)) {
		free(kargs);
		return cli_fail(cmd, "a db key and certificate are needed (--key and --cert, or --ephemeral-keys)");
	}
	if ((status = cli_pcr_load(cmd, &pcr, 1, &o.pcr))) {
		free(kargs);
		return status;
	}
	if (!ephemeral)
		cli_warn_pin_value(cmd, key_arg);
	if (ephemeral)
		r = ephemeral_keys(&key, &cert, cert_path, sizeof(cert_path), &err);
	else if ((r = bs_keys_load_private(key_arg, &key, &err)) >= 0 &&
		 (r = bs_keys_load_cert(cert_arg, &cert, &err)) >= 0)
		r = bs_keys_check_match(key, cert, cert_arg, &err);
	o.key = key;
	o.cert = cert;
	if (cli_progress_init(&progress, quiet)) {
		o.progress = cli_progress_show;
		o.progress_ctx = &progress;
	}
	if (r >= 0)
		r = bs_seal(&o, &res, &err);
	cli_progress_end(&progress);
	/* The key is no longer needed: drop it before printing anything. */
	bs_key_free(key);
	if (r < 0) {
		ephemeral_remove(cert_path);
		status = cli_report(cmd, &err, r);
	} else {
		if (json)
			print_json(&res, cert_path);
		else
			printf("%s\n", res.digest);
		if (cert_path[0] && !json)
			fprintf(stderr, "bootseal: seal: ephemeral db certificate: %s\n", cert_path);
		status = BS_EXIT_OK;
	}
	bs_cert_free(cert);
	bs_seal_result_clear(&res);
	free(kargs);
	return status;
}
