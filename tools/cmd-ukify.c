/* SPDX-License-Identifier: MIT */
/* `ukify build` takes systemd ukify's flag names, so existing scripts work;
 * `ukify inspect` (cmd-ukify-inspect.c) lists sections and prints the text
 * ones; `ukify genkey` makes a signing pair as ukify names it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <bootseal/authenticode.h>
#include <bootseal/keygen.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>
#include <bootseal/uki.h>

#include "cli-dispatch.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-values.h"
#include "cli-pcr.h"
#include "cli-util.h"
#include "cli.h"

#define BUILD_USAGE                                                                                  \
	"usage: bootseal ukify build --linux KERNEL [--initrd INITRD]... [--cmdline TEXT|@FILE]\n"   \
	"           [--os-release TEXT|@FILE] [--uname VERSION] [--stub STUB] [--efi-arch ARCH]\n" \
	"           [--sbat TEXT|@FILE]... [--splash BMP] [--devicetree DTB] [--pcrpkey KEY]\n"     \
	"           [--microcode UCODE] [--section NAME:TEXT|@FILE]...\n"                           \
	"           [--secureboot-private-key KEY --secureboot-certificate CERT]\n"                \
	"           [--sign-kernel|--no-sign-kernel] [--signtool sbsign|pesign]\n"                 \
	"           " CLI_PCR_USAGE "\n"                                                            \
	"           --output UKI\n"
#define GENKEY_SYNOPSIS                                                                       \
	"bootseal ukify genkey --secureboot-private-key KEY --secureboot-certificate CERT\n" \
	"           [--secureboot-certificate-validity DAYS]\n"
#define SIGNTOOL_NOTE                                                                                \
	"--signtool: sbsign or pesign, both meaning bootseal's own signer (with the key\n"          \
	"and certificate above). With a signer, the kernel is signed too unless it is\n"            \
	"already (--sign-kernel: always; --no-sign-kernel: never), as ukify does.\n"

static const char usage[] = BUILD_USAGE
	"       bootseal ukify inspect [--json | --json=pretty|short|off | -j] [--all]\n"
	"           [--section NAME:text|binary[@FILE]]... UKI...\n"
	"       " GENKEY_SYNOPSIS SIGNTOOL_NOTE;

/* A command line, os-release or SBAT text: far below this, however generous. */
#define MAX_TEXT_ARG (16u << 20)

/* What `ukify build` reads from its options, and what it loads from them. */
struct build {
	struct bs_uki_params p;
	struct cli_pcr pcr;
	struct cli_list initrds, sbat_args, section_args;
	const char *cmdline_arg, *os_release_arg, *key_spec, *cert_spec, *out;
	int sign_kernel;
	/* Owned: the TEXT|@FILE values as read, a section's name and text per section. */
	char *cmdline, *os_release, **sbat, **section_texts;
	struct bs_uki_section *sections;
	struct bs_key *key;
	struct bs_cert *cert;
	struct bs_authenticode_signer signer;
};

static void build_done(struct build *b)
{
	for (size_t i = 0; b->sbat && i < b->sbat_args.n; i++)
		free(b->sbat[i]);
	for (size_t i = 0; b->section_texts && i < 2 * b->section_args.n; i++)
		free(b->section_texts[i]);
	free(b->sbat);
	free(b->section_texts);
	free(b->sections);
	free(b->cmdline);
	free(b->os_release);
	cli_list_done(&b->initrds);
	cli_list_done(&b->sbat_args);
	cli_list_done(&b->section_args);
	cli_pcr_done(&b->pcr);
	bs_key_free(b->key);
	bs_cert_free(b->cert);
}

/* ukify drops meaningless whitespace from a command line given inline. */
static void squash_spaces(char *s)
{
	char *w = s, *r = s;
	int space = 0;

	while (*r == ' ' || *r == '\t' || *r == '\n')
		r++;
	for (; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n') {
			space = 1;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* TEXT|@FILE: a file's contents verbatim (a pipe too), or the text itself. */
static int text_arg(const char *cmd, const char *arg, int squash, char **out, size_t *len)
{
	struct bs_error err = { 0 };
	uint8_t *b;
	int r;

	if (arg[0] == '@') {
		if ((r = cli_read_file(arg + 1, MAX_TEXT_ARG, &b, len, &err)) < 0)
			return cli_report(cmd, &err, r);
		*out = (char *)b;
		return 0;
	}
	if (!(*out = strdup(arg)))
		return cli_report(cmd, NULL, -ENOMEM);
	if (squash)
		squash_spaces(*out);
	*len = strlen(*out);
	return 0;
}

/* --section NAME:TEXT|@FILE, split as ukify splits it: exactly one ':'. */
static int section_check(const char *cmd, const char *arg)
{
	const char *colon = strchr(arg, ':');

	if (!colon || colon == arg)
		return cli_fail(cmd, "--section '%s': expected NAME:TEXT or NAME:@FILE", arg);
	if (strchr(colon + 1, ':'))
		return cli_fail(cmd, "--section '%s': more than one ':' (ukify splits there too)", arg);
	if (bs_uki_section_name_check(arg, (size_t)(colon - arg)) < 0)
		return cli_fail(cmd, "--section '%s': bad section name (printable ASCII, at most 8 bytes)", arg);
	return 0;
}

static int section_arg(const char *cmd, const char *arg, struct bs_uki_section *sec, char **name, char **data)
{
	const char *colon = strchr(arg, ':');
	size_t len;
	int r;

	if (!(*name = strndup(arg, (size_t)(colon - arg))))
		return cli_report(cmd, NULL, -ENOMEM);
	if ((r = text_arg(cmd, colon + 1, 0, data, &len)))
		return r;
	*sec = (struct bs_uki_section){ .name = *name, .data = (const uint8_t *)*data, .len = len };
	return 0;
}

/* ukify's two signers; both are bootseal's own here. */
static int take_signtool(const char *cmd, const struct cli_option *o, const char *value)
{
	(void)o;
	if (strcmp(value, "sbsign") && strcmp(value, "pesign"))
		return cli_fail(cmd, "unknown --signtool '%s' (sbsign or pesign)", value);
	return 0;
}

/* What the options say together, checked before anything is read. */
static int check_build(const char *cmd, const struct build *b)
{
	int r;

	if (!b->p.linux_path || !b->out)
		return cli_fail(cmd, "--linux and --output are required (see --help)");
	if (!b->key_spec != !b->cert_spec)
		return cli_fail(cmd, "--secureboot-private-key and --secureboot-certificate go together");
	if (b->sign_kernel == BS_UKI_SIGN_KERNEL_YES && !b->key_spec)
		return cli_fail(cmd, "--sign-kernel needs --secureboot-private-key and --secureboot-certificate");
	for (size_t i = 0; i < b->section_args.n; i++)
		if ((r = section_check(cmd, b->section_args.items[i])))
			return r;
	return 0;
}

/* The TEXT|@FILE values into b->p; os-release is ukify's default, the build host's. */
static int read_texts(const char *cmd, struct build *b)
{
	const char *osrel = b->os_release_arg;
	size_t n_sbat = b->sbat_args.n, n_sections = b->section_args.n, len;
	int r;

	if (!osrel)
		osrel = access("/etc/os-release", R_OK) == 0 ? "@/etc/os-release" : "@/usr/lib/os-release";
	if ((b->cmdline_arg && (r = text_arg(cmd, b->cmdline_arg, 1, &b->cmdline, &b->p.cmdline_len))) ||
	    (r = text_arg(cmd, osrel, 0, &b->os_release, &b->p.os_release_len)))
		return r;
	b->p.cmdline = b->cmdline;
	b->p.os_release = b->os_release;
	b->sbat = calloc(n_sbat + 1, sizeof(*b->sbat));
	b->section_texts = calloc(2 * n_sections + 1, sizeof(*b->section_texts));
	b->sections = calloc(n_sections + 1, sizeof(*b->sections));
	if (!b->sbat || !b->section_texts || !b->sections)
		return cli_report(cmd, NULL, -ENOMEM);
	for (size_t i = 0; i < n_sbat; i++)
		if ((r = text_arg(cmd, b->sbat_args.items[i], 0, &b->sbat[i], &len)))
			return r;
	for (size_t i = 0; i < n_sections; i++)
		if ((r = section_arg(cmd, b->section_args.items[i], &b->sections[i], &b->section_texts[2 * i],
				     &b->section_texts[2 * i + 1])))
			return r;
	b->p.sbat = (const char *const *)b->sbat;
	b->p.n_sbat = n_sbat;
	b->p.sections = b->sections;
	b->p.n_sections = n_sections;
	b->p.initrds = b->initrds.items;
	b->p.n_initrds = b->initrds.n;
	b->p.sign_kernel = (enum bs_uki_sign_kernel)b->sign_kernel;
	return 0;
}

/* The Secure Boot signer, loaded first: a bad key must not cost a UKI build. */
static int load_signer(const char *cmd, struct build *b)
{
	long long epoch;
	int r;

	if ((r = cli_signing_time(cmd, &epoch)))
		return r;
	if (!b->key_spec)
		return 0;
	if ((r = cli_load_signer(cmd, b->key_spec, b->cert_spec, &b->key, &b->cert)))
		return r;
	b->signer = (struct bs_authenticode_signer){
		.key = bs_key_evp(b->key), .cert = bs_cert_x509(b->cert), .signing_time = (time_t)epoch,
	};
	b->p.kernel_signer = &b->signer;
	return 0;
}

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }

static int write_uki(const char *cmd, const struct build *b)
{
	_cleanup_(pe_freep) struct bs_pe *uki = NULL;
	struct bs_error err = { 0 };
	int r = bs_uki_build(&b->p, &uki, &err);

	if (r >= 0 && b->key)
		r = bs_authenticode_sign(uki, &b->signer, &err);
	if (r >= 0)
		r = bs_pe_write(uki, b->out, &err);
	return r < 0 ? cli_report(cmd, &err, r) : BS_EXIT_OK;
}

/* The options into b, checked together: CLI_PROCEED or the exit code. */
static int parse_build(const char *cmd, int argc, char **argv, struct build *b)
{
	const struct cli_option options[] = {
		{ "linux", 0, CLI_STRING, &b->p.linux_path },
		{ "initrd", 0, CLI_LIST, &b->initrds },
		{ "cmdline", 0, CLI_STRING, &b->cmdline_arg },
		{ "os-release", 0, CLI_STRING, &b->os_release_arg },
		{ "uname", 0, CLI_STRING, &b->p.uname },
		{ "stub", 0, CLI_STRING, &b->p.stub },
		{ "efi-arch", 0, CLI_STRING, &b->p.efi_arch },
		{ "sbat", 0, CLI_LIST, &b->sbat_args },
		{ "splash", 0, CLI_STRING, &b->p.splash },
		{ "devicetree", 0, CLI_STRING, &b->p.devicetree },
		{ "pcrpkey", 0, CLI_STRING, &b->p.pcrpkey },
		{ "secureboot-private-key", 0, CLI_STRING, &b->key_spec },
		{ "secureboot-certificate", 0, CLI_STRING, &b->cert_spec },
		{ "output", 'o', CLI_STRING, &b->out },
		{ "microcode", 0, CLI_STRING, &b->p.microcode },
		{ "section", 0, CLI_LIST, &b->section_args },
		{ "sign-kernel", 0, CLI_SET, &b->sign_kernel, BS_UKI_SIGN_KERNEL_YES },
		{ "no-sign-kernel", 0, CLI_SET, &b->sign_kernel, BS_UKI_SIGN_KERNEL_NO },
		{ "signtool", 0, CLI_CALL, NULL, 0, take_signtool },
		CLI_PCR_TABLE(&b->pcr),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, BUILD_USAGE SIGNTOOL_NOTE, options, 0, 0, "" };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	return (r = check_build(cmd, b)) ? r : CLI_PROCEED;
}

int cli_ukify_build_check(const char *cmd, int argc, char **argv)
{
	_cleanup_(build_done) struct build b = { 0 };

	return parse_build(cmd, argc, argv, &b);
}

int cli_ukify_build(const char *cmd, int argc, char **argv)
{
	_cleanup_(build_done) struct build b = { 0 };
	int r;

	if ((r = parse_build(cmd, argc, argv, &b)) != CLI_PROCEED)
		return r;
	if ((r = read_texts(cmd, &b)) || (r = load_signer(cmd, &b)) ||
	    (r = cli_pcr_load(cmd, &b.pcr, !b.p.pcrpkey, &b.p.pcr)))
		return r;
	return write_uki(cmd, &b);
}

static int build(int argc, char **argv)
{
	return cli_ukify_build("ukify build", argc, argv);
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
	static const char cmd[] = "ukify genkey";
	const char *key = NULL, *cert = NULL;
	unsigned int days = 3650;
	const struct cli_option options[] = {
		{ "secureboot-private-key", 0, CLI_STRING, &key },
		{ "secureboot-certificate", 0, CLI_STRING, &cert },
		{ "secureboot-certificate-validity", 0, CLI_CALL, &days, 0, cli_take_days },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, "usage: " GENKEY_SYNOPSIS, options, 0, 0, "" };
	_cleanup_free_ char *cn = NULL;
	struct bs_error err = { 0 };
	char host[256];
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (!key || !cert)
		return cli_fail(cmd, "--secureboot-private-key and --secureboot-certificate are required (see --help)");
	fqdn(host, sizeof(host));
	if (asprintf(&cn, "SecureBoot signing key on host %s", host) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	if ((r = bs_keygen_signing_pair(key, cert, cn, days, &err)) < 0)
		return cli_report(cmd, &err, r);
	printf("Wrote SecureBoot private key to %s\nWrote SecureBoot certificate to %s\n", key, cert);
	return BS_EXIT_OK;
}

int cmd_ukify(int argc, char **argv)
{
	return cli_dispatch("ukify", usage,
			    CLI_SUBCOMMANDS({ "build", build }, { "inspect", cli_ukify_inspect }, { "genkey", cli_ukify_genkey }),
			    argc, argv);
}
