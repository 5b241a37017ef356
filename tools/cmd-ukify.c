/* SPDX-License-Identifier: MIT */
/* `ukify build` takes systemd ukify's flag names, so existing scripts work;
 * `ukify inspect` lists sections and prints the text ones. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include <bootseal/authenticode.h>
#include <bootseal/keys.h>
#include <bootseal/pe.h>
#include <bootseal/uki.h>

#include "../lib/util.h"
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
	       "           [--secureboot-private-key KEY --secureboot-certificate CERT]\n"
	       "           " CLI_PCR_USAGE "\n"
	       "           --output UKI\n"
	       "       bootseal ukify inspect [--json] UKI\n");
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
		int r = bs_read_user_file(arg + 1, MAX_TEXT_ARG, &b, len, &err);

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
		{ "help", no_argument, NULL, 'h' },
		CLI_PCR_OPTIONS,
		{ 0 },
	};
	_cleanup_(cli_pcr_done) struct cli_pcr pcr = { 0 };
	_cleanup_(pe_freep) struct bs_pe *uki = NULL;
	_cleanup_(key_freep) struct bs_key *key = NULL;
	_cleanup_(cert_freep) struct bs_cert *cert = NULL;
	_cleanup_free_ char *cmdline = NULL, *osrel = NULL;
	char *sbat[MAX_LIST] = { 0 };
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
	}
	if ((status = cli_pcr_load(cmd, &pcr, !p.pcrpkey, &p.pcr)))
		goto out;
	r = bs_uki_build(&p, &uki, &err);
	if (r >= 0 && key) {
		struct bs_authenticode_signer s = {
			.key = bs_key_evp(key), .cert = bs_cert_x509(cert), .signing_time = (time_t)epoch,
		};
		r = bs_authenticode_sign(uki, &s, &err);
	}
	if (r >= 0)
		r = bs_pe_write(uki, out, &err);
	if (r < 0)
		status = cli_report(cmd, &err, r);
out:
	for (size_t i = 0; i < MAX_LIST; i++)
		free(sbat[i]);
	return status;
}

static void print_text(const char *name, const uint8_t *d, size_t len)
{
	while (len && (d[len - 1] == '\0' || d[len - 1] == '\n'))
		len--;
	cli_put_visible(stdout, name, SIZE_MAX);
	puts(":");
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i == len || d[i] == '\n') {
			fputs("    ", stdout);
			cli_put_visible(stdout, (const char *)d + start, i - start);
			putchar('\n');
			start = i + 1;
		}
	}
}

static int inspect_json(const struct bs_pe *pe, const char *const *text, size_t n_text)
{
	json_object *o = json_object_new_object(), *sections = json_object_new_array();

	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(s->name));
		json_object_object_add(j, "vma", json_object_new_int64(s->virtual_address));
		json_object_object_add(j, "size", json_object_new_int64(s->virtual_size));
		json_object_object_add(j, "offset", json_object_new_int64(s->raw_offset));
		json_object_array_add(sections, j);
	}
	json_object_object_add(o, "sections", sections);
	for (size_t i = 0; i < n_text; i++) {
		const struct bs_pe_section *s = bs_pe_find_section(pe, text[i]);
		const uint8_t *d;
		size_t len;

		if (!s)
			continue;
		d = bs_pe_section_data(pe, s, &len);
		/* Section data is padded with NULs to the file alignment. */
		while (len && d[len - 1] == '\0')
			len--;
		/* ".cmdline" -> "cmdline" */
		json_object_object_add(o, text[i] + 1, json_object_new_string_len((const char *)d, (int)len));
	}
	cli_json_print(o);
	return BS_EXIT_OK;
}

static int inspect(int argc, char **argv)
{
	static const char *const text_sections[] = { ".cmdline", ".osrel", ".uname" };
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };
	int json = argc == 3 && strcmp(argv[1], "--json") == 0, r;

	if (argc != 2 + json)
		return cli_fail(cmd, "usage: bootseal ukify inspect [--json] UKI");
	r = bs_pe_load(argv[1 + json], &pe, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json)
		return inspect_json(pe, text_sections, BS_ARRAY_SIZE(text_sections));
	printf("%-8s %10s %10s %10s\n", "section", "vma", "size", "offset");
	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		cli_put_visible(stdout, s->name, SIZE_MAX);
		printf("%*s 0x%08x 0x%08x 0x%08x\n", (int)(8 - strnlen(s->name, 8)), "", s->virtual_address,
		       s->virtual_size, s->raw_offset);
	}
	for (size_t i = 0; i < BS_ARRAY_SIZE(text_sections); i++) {
		const struct bs_pe_section *s = bs_pe_find_section(pe, text_sections[i]);
		size_t len;
		const uint8_t *d;

		if (!s)
			continue;
		d = bs_pe_section_data(pe, s, &len);
		print_text(s->name, d, len);
	}
	return BS_EXIT_OK;
}

int cmd_ukify(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "build") == 0)
		return cli_run_subcommand("ukify", argc, argv, cli_ukify_build);
	if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
		return cli_run_subcommand("ukify", argc, argv, inspect);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help();
		return BS_EXIT_OK;
	}
	return cli_fail(cmd, "expected 'build' or 'inspect' (see --help)");
}
