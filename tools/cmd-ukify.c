/* SPDX-License-Identifier: MIT */
/* `ukify build` takes systemd ukify's flag names, so existing scripts work;
 * `ukify inspect` lists sections and prints the text ones. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bootseal/authenticode.h>
#include <bootseal/keygen.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>
#include <bootseal/uki.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli-pcr.h"
#include "cli.h"

static const char cmd[] = "ukify";

#define MAX_LIST 64

static void help(void)
{
	printf("usage: bootseal ukify build --linux KERNEL [--initrd INITRD]... [--cmdline TEXT|@FILE]\n"
	       "           [--os-release TEXT|@FILE] [--uname VERSION] [--stub STUB] [--efi-arch ARCH]\n"
	       "           [--sbat TEXT|@FILE]... [--splash BMP] [--devicetree DTB] [--pcrpkey KEY]\n"
	       "           [--microcode UCODE] [--section NAME:TEXT|@FILE]...\n"
	       "           [--secureboot-private-key KEY --secureboot-certificate CERT]\n"
	       "           [--sign-kernel|--no-sign-kernel] [--signtool sbsign|pesign]\n"
	       "           " CLI_PCR_USAGE "\n"
	       "           --output UKI\n"
	       "       bootseal ukify inspect [--json | --json=pretty|short|off | -j] [--all]\n"
	       "           [--section NAME:text|binary[@FILE]]... UKI\n"
	       "       bootseal ukify genkey --secureboot-private-key KEY --secureboot-certificate CERT\n"
	       "           [--secureboot-certificate-validity DAYS]\n"
	       "--signtool: sbsign or pesign, both meaning bootseal's own signer (with the key\n"
	       "and certificate above). With a signer, the kernel is signed too unless it is\n"
	       "already (--sign-kernel: always; --no-sign-kernel: never), as ukify does.\n");
}

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }
static void key_freep(struct bs_key **p) { bs_key_free(*p); }
static void cert_freep(struct bs_cert **p) { bs_cert_free(*p); }

/* A command line, os-release or SBAT text: far below this, however generous. */
#define MAX_TEXT_ARG (16u << 20)

/* TEXT|@FILE: a file's contents verbatim (a pipe too), or the text itself. */
static int text_arg(const char *arg, int squash_spaces, char **out, size_t *len)
{
	if (arg[0] == '@') {
		struct bs_error err = { 0 };
		uint8_t *b;
		int r = cli_read_file(arg + 1, MAX_TEXT_ARG, &b, len, &err);

		if (r < 0)
			return cli_report(cmd, &err, r);
		*out = (char *)b;
		return 0;
	}
	*out = strdup(arg);
	if (!*out)
		return cli_report(cmd, NULL, -ENOMEM);
	if (squash_spaces) {
		/* ukify drops meaningless whitespace from a command line given inline. */
		char *w = *out, *r = *out;
		int space = 0;
		while (*r == ' ' || *r == '\t' || *r == '\n')
			r++;
		for (; *r; r++) {
			if (*r == ' ' || *r == '\t' || *r == '\n') {
				space = 1;
				continue;
			}
			if (space && w != *out)
				*w++ = ' ';
			space = 0;
			*w++ = *r;
		}
		*w = '\0';
	}
	*len = strlen(*out);
	return 0;
}

/* --section NAME:TEXT|@FILE, split as ukify splits it: exactly one ':'. */
static int section_arg(const char *arg, struct bs_uki_section *sec, char **name, char **data)
{
	const char *colon = strchr(arg, ':');
	size_t len;
	int r;

	if (!colon || colon == arg)
		return cli_fail(cmd, "--section '%s': expected NAME:TEXT or NAME:@FILE", arg);
	if (strchr(colon + 1, ':'))
		return cli_fail(cmd, "--section '%s': more than one ':' (ukify splits there too)", arg);
	if (bs_uki_section_name_check(arg, (size_t)(colon - arg)) < 0)
		return cli_fail(cmd, "--section '%s': bad section name (printable ASCII, at most 8 bytes)", arg);
	if (!(*name = strndup(arg, (size_t)(colon - arg))))
		return cli_report(cmd, NULL, -ENOMEM);
	if ((r = text_arg(colon + 1, 0, data, &len)))
		return r;
	sec->name = *name;
	sec->data = (const uint8_t *)*data;
	sec->len = len;
	return 0;
}

int cli_ukify_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "linux", required_argument, NULL, 'l' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "os-release", required_argument, NULL, 'r' },
		{ "uname", required_argument, NULL, 'u' },
		{ "stub", required_argument, NULL, 's' },
		{ "efi-arch", required_argument, NULL, 'A' },
		{ "sbat", required_argument, NULL, 'S' },
		{ "splash", required_argument, NULL, 'p' },
		{ "devicetree", required_argument, NULL, 'd' },
		{ "pcrpkey", required_argument, NULL, 'P' },
		{ "secureboot-private-key", required_argument, NULL, 'k' },
		{ "secureboot-certificate", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "microcode", required_argument, NULL, 'm' },
		{ "section", required_argument, NULL, 'x' },
		{ "sign-kernel", no_argument, NULL, 'K' },
		{ "no-sign-kernel", no_argument, NULL, 'N' },
		{ "signtool", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		CLI_PCR_OPTIONS,
		{ 0 },
	};
	_cleanup_(cli_pcr_done) struct cli_pcr pcr = { 0 };
	_cleanup_(pe_freep) struct bs_pe *uki = NULL;
	_cleanup_(key_freep) struct bs_key *key = NULL;
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	_cleanup_free_ char *cmdline = NULL, *osrel = NULL;
	char *sbat[MAX_LIST] = { 0 }, *section_data[MAX_LIST] = { 0 }, *section_names[MAX_LIST] = { 0 };
	struct bs_uki_section sections[MAX_LIST];
	struct bs_authenticode_signer signer;
	const char *initrds[MAX_LIST];
	const char *key_spec = NULL, *cert_spec = NULL, *out = NULL;
	struct bs_uki_params p = { 0 };
	struct bs_error err = { 0 };
	int c, r, status = BS_EXIT_OK;
	long long epoch;
	size_t len;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': p.linux_path = optarg; break;
		case 'i':
			if (p.n_initrds == MAX_LIST)
				return cli_fail(cmd, "too many --initrd");
			initrds[p.n_initrds++] = optarg;
			break;
		case 'c':
			free(cmdline);
			if ((r = text_arg(optarg, 1, &cmdline, &p.cmdline_len)))
				return r;
			p.cmdline = cmdline;
			break;
		case 'r':
			free(osrel);
			if ((r = text_arg(optarg, 0, &osrel, &p.os_release_len)))
				return r;
			p.os_release = osrel;
			break;
		case 'u': p.uname = optarg; break;
		case 's': p.stub = optarg; break;
		case 'A': p.efi_arch = optarg; break;
		case 'S':
			if (p.n_sbat == MAX_LIST) {
				status = cli_fail(cmd, "too many --sbat");
				goto out;
			}
			if ((status = text_arg(optarg, 0, &sbat[p.n_sbat], &len)))
				goto out;
			p.n_sbat++;
			break;
		case 'p': p.splash = optarg; break;
		case 'd': p.devicetree = optarg; break;
		case 'P': p.pcrpkey = optarg; break;
		case 'k': key_spec = optarg; break;
		case 'C': cert_spec = optarg; break;
		case 'o': out = optarg; break;
		case 'm': p.microcode = optarg; break;
		case 'x':
			if (p.n_sections == MAX_LIST) {
				status = cli_fail(cmd, "too many --section");
				goto out;
			}
			if ((status = section_arg(optarg, &sections[p.n_sections], &section_names[p.n_sections],
						  &section_data[p.n_sections])))
				goto out;
			p.n_sections++;
			break;
		case 'K': p.sign_kernel = BS_UKI_SIGN_KERNEL_YES; break;
		case 'N': p.sign_kernel = BS_UKI_SIGN_KERNEL_NO; break;
		case 'T':
			/* ukify's two signers; both are bootseal's own here. */
			if (strcmp(optarg, "sbsign") && strcmp(optarg, "pesign")) {
				status = cli_fail(cmd, "unknown --signtool '%s' (sbsign or pesign)", optarg);
				goto out;
			}
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			if ((r = cli_pcr_option(cmd, &pcr, c, optarg)) == 1)
				break;
			status = r ? r : BS_EXIT_BAD_INPUT;
			goto out;
		}
	}
	p.initrds = initrds;
	p.sections = sections;
	p.sbat = (const char *const *)sbat;
	if (optind != argc) {
		status = cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!p.linux_path || !out) {
		status = cli_fail(cmd, "--linux and --output are required (see --help)");
		goto out;
	}
	if (!key_spec != !cert_spec) {
		status = cli_fail(cmd, "--secureboot-private-key and --secureboot-certificate go together");
		goto out;
	}
	if (p.sign_kernel == BS_UKI_SIGN_KERNEL_YES && !key_spec) {
		status = cli_fail(cmd, "--sign-kernel needs --secureboot-private-key and --secureboot-certificate");
		goto out;
	}
	if (!p.os_release) {
		/* ukify's default: the build host's os-release. */
		const char *f = access("/etc/os-release", R_OK) == 0 ? "@/etc/os-release" : "@/usr/lib/os-release";
		if ((status = text_arg(f, 0, &osrel, &p.os_release_len)))
			goto out;
		p.os_release = osrel;
	}
	if ((status = cli_signing_time(cmd, &epoch)))
		goto out;
	if (key_spec) {
		/* Keys first: a bad key must not cost a UKI build. */
		cli_warn_pin_value(cmd, key_spec);
		if ((r = bs_keys_load_private(key_spec, &key, &err)) < 0 ||
		    (r = bs_keys_load_cert(cert_spec, &cert, &err)) < 0 ||
		    (r = bs_keys_check_match(key, cert, cert_spec, &err)) < 0) {
			status = cli_report(cmd, &err, r);
			goto out;
		}
		signer = (struct bs_authenticode_signer){
			.key = bs_key_evp(key), .cert = bs_cert_x509(cert), .signing_time = (time_t)epoch,
		};
		p.kernel_signer = &signer;
	}
	if ((status = cli_pcr_load(cmd, &pcr, !p.pcrpkey, &p.pcr)))
		goto out;
	r = bs_uki_build(&p, &uki, &err);
	if (r >= 0 && key)
		r = bs_authenticode_sign(uki, &signer, &err);
	if (r >= 0)
		r = bs_pe_write(uki, out, &err);
	if (r < 0)
		status = cli_report(cmd, &err, r);
out:
	for (size_t i = 0; i < MAX_LIST; i++) {
		free(sbat[i]);
		free(section_names[i]);
		free(section_data[i]);
	}
	return status;
}

/* Python's socket.getfqdn(), which ukify names the certificate after: the
 * host name's address looked up back, its first name holding a dot (the
 * canonical one, then the aliases), else the canonical one; the host name
 * itself when a lookup fails. */
static void fqdn(char *buf, size_t size)
{
	struct addrinfo *ai = NULL;
	struct hostent *h = NULL;

	if (gethostname(buf, size) < 0)
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
	if (getaddrinfo(buf, NULL, NULL, &ai) != 0 || !ai)
		return;
	if (ai->ai_family == AF_INET)
		h = gethostbyaddr(&((struct sockaddr_in *)ai->ai_addr)->sin_addr, sizeof(struct in_addr), AF_INET);
	else if (ai->ai_family == AF_INET6)
		h = gethostbyaddr(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, sizeof(struct in6_addr), AF_INET6);
	freeaddrinfo(ai);
	if (!h || !h->h_name)
		return;
	snprintf(buf, size, "%s", h->h_name);
	if (strchr(h->h_name, '.'))
		return;
	for (char **a = h->h_aliases; a && *a; a++)
		if (strchr(*a, '.')) {
			snprintf(buf, size, "%s", *a);
			return;
		}
}

int cli_ukify_genkey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secureboot-private-key", required_argument, NULL, 'k' },
		{ "secureboot-certificate", required_argument, NULL, 'C' },
		{ "secureboot-certificate-validity", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *key = NULL, *cert = NULL;
	char host[256], *cn = NULL;
	struct bs_error err = { 0 };
	unsigned int days = 3650;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'C': cert = optarg; break;
		case 'd':
			if (cli_parse_days(cmd, "--secureboot-certificate-validity", optarg, &days) < 0)
				return BS_EXIT_BAD_INPUT;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (optind != argc)
		return cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
	if (!key || !cert)
		return cli_fail(cmd, "genkey: --secureboot-private-key and --secureboot-certificate are required");
	fqdn(host, sizeof(host));
	if (asprintf(&cn, "SecureBoot signing key on host %s", host) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	r = bs_keygen_signing_pair(key, cert, cn, days, &err);
	free(cn);
	if (r < 0)
		return cli_report(cmd, &err, r);
	printf("Wrote SecureBoot private key to %s\nWrote SecureBoot certificate to %s\n", key, cert);
	return BS_EXIT_OK;
}

int cmd_ukify(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "build") == 0)
		return cli_run_subcommand("ukify", argc, argv, cli_ukify_build);
	if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
		return cli_run_subcommand("ukify", argc, argv, cli_ukify_inspect);
	if (argc >= 2 && strcmp(argv[1], "genkey") == 0)
		return cli_run_subcommand("ukify", argc, argv, cli_ukify_genkey);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help();
		return BS_EXIT_OK;
	}
	return cli_fail(cmd, "expected 'build', 'inspect' or 'genkey' (see --help)");
}
