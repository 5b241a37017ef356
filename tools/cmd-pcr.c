/* SPDX-License-Identifier: MIT */
/* `bootseal pcr predict`: PCR 11 of a UKI per boot phase, in the text and
 * JSON forms of `systemd-measure calculate`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/pcr.h>
#include <bootseal/pe.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "pcr predict";

static void help(void)
{
	printf("usage: bootseal pcr predict [--phases PATHS]... [--bank BANK]... [--json] UKI\n"
	       "Prints the PCR 11 values systemd-stub and systemd-pcrphase give for UKI after each\n"
	       "phase path (default: enter-initrd to ready), for banks sha1, sha256, sha384, sha512.\n");
}

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }
static void phases_donep(struct bs_pcr_phases *p) { bs_pcr_phases_done(p); }

static int predict(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "phases", required_argument, NULL, 'p' },
		{ "bank", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	_cleanup_(phases_donep) struct bs_pcr_phases phases = { 0 };
	struct bs_pcr_section sections[BS_PCR_MAX_SECTIONS];
	struct bs_error err = { 0 };
	json_object *o = NULL;
	unsigned banks = 0, b1;
	int json = 0, c, r;
	size_t n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if ((r = bs_pcr_phases_parse(optarg, &phases, &err)) < 0)
				return cli_report(cmd, &err, r);
			break;
		case 'b':
			if ((r = bs_pcr_banks_parse(optarg, &b1, &err)) < 0)
				return cli_report(cmd, &err, r);
			banks |= b1;
			break;
		case 'j': json = 1; break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (argc - optind != 1)
		return cli_fail(cmd, "expected one UKI (see --help)");
	if (!phases.n && (r = bs_pcr_phases_default(&phases)) < 0)
		return cli_report(cmd, NULL, r);
	if (!banks)
		banks = BS_PCR_BANKS_ALL;   /* systemd-measure's default */
	if ((r = bs_pe_load(argv[optind], &pe, &err)) < 0 ||
	    (r = bs_pcr_uki_sections(pe, sections, &n, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (json)
		o = json_object_new_object();
	for (unsigned b = 0; b < BS_PCR_N_BANKS; b++) {
		json_object *list = NULL;

		if (!(banks & (1u << b)))
			continue;
		if (json) {
			list = json_object_new_array();
			json_object_object_add(o, bs_pcr_bank_name(b), list);
		}
		for (size_t i = 0; i < phases.n; i++) {
			uint8_t pcr[BS_PCR_DIGEST_MAX];
			char hex[2 * BS_PCR_DIGEST_MAX + 1];
			size_t len;

			if ((r = bs_pcr_predict(sections, n, b, phases.paths[i], pcr, &len)) < 0) {
				json_object_put(o);
				return cli_report(cmd, NULL, r);
			}
			bs_hex_encode(pcr, len, hex);
			if (json) {
				json_object *e = json_object_new_object();
				json_object_object_add(e, "phase", json_object_new_string(phases.paths[i]));
				json_object_object_add(e, "pcr", json_object_new_int(BS_PCR_KERNEL_IMAGE));
				json_object_object_add(e, "hash", json_object_new_string(hex));
				json_object_array_add(list, e);
			} else {
				printf("%d:%s:%s=%s\n", BS_PCR_KERNEL_IMAGE, phases.paths[i], bs_pcr_bank_name(b), hex);
			}
		}
	}
	if (json)
		cli_json_print(o);
	return BS_EXIT_OK;
}

int cmd_pcr(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "predict") == 0)
		return cli_run_subcommand("pcr", argc, argv, predict);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help();
		return BS_EXIT_OK;
	}
	return cli_fail("pcr", "expected 'predict' (see --help)");
}
