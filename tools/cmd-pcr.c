/* SPDX-License-Identifier: MIT */
/* `bootseal pcr predict`: PCR 11 of a UKI per boot phase, in the text and
 * JSON forms of `systemd-measure calculate`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/pcr.h>
#include <bootseal/pe.h>

#include "cli-dispatch.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "pcr predict";

static const char usage[] =
	"usage: bootseal pcr predict [--phases PATHS]... [--bank BANK]... [--json] UKI\n"
	"Prints the PCR 11 values systemd-stub and systemd-pcrphase give for UKI after each\n"
	"phase path (default: enter-initrd to ready), for banks sha1, sha256, sha384, sha512.\n";

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }
static void phases_donep(struct bs_pcr_phases *p) { bs_pcr_phases_done(p); }

static int take_phases(const char *command, const struct cli_option *o, const char *value)
{
	struct bs_error err = { 0 };
	int r = bs_pcr_phases_parse(value, o->dest, &err);

	return r < 0 ? cli_report(command, &err, r) : 0;
}

static int take_bank(const char *command, const struct cli_option *o, const char *value)
{
	struct bs_error err = { 0 };
	unsigned banks;
	int r = bs_pcr_banks_parse(value, &banks, &err);

	if (r < 0)
		return cli_report(command, &err, r);
	*(unsigned *)o->dest |= banks;
	return 0;
}

/* One bank's values, a line per phase or, with json, an array under the bank's name. */
static int print_bank(const struct bs_pcr_section *sections, size_t n, unsigned bank,
		      const struct bs_pcr_phases *phases, json_object *json)
{
	json_object *list = NULL;

	if (json) {
		list = json_object_new_array();
		json_object_object_add(json, bs_pcr_bank_name(bank), list);
	}
	for (size_t i = 0; i < phases->n; i++) {
		uint8_t pcr[BS_PCR_DIGEST_MAX];
		char hex[2 * BS_PCR_DIGEST_MAX + 1];
		json_object *e;
		size_t len;
		int r;

		if ((r = bs_pcr_predict(sections, n, bank, phases->paths[i], pcr, &len)) < 0)
			return cli_report(cmd, NULL, r);
		bs_hex_encode(pcr, len, hex);
		if (!json) {
			printf("%d:%s:%s=%s\n", BS_PCR_KERNEL_IMAGE, phases->paths[i], bs_pcr_bank_name(bank), hex);
			continue;
		}
		e = json_object_new_object();
		json_object_object_add(e, "phase", json_object_new_string(phases->paths[i]));
		json_object_object_add(e, "pcr", json_object_new_int(BS_PCR_KERNEL_IMAGE));
		json_object_object_add(e, "hash", json_object_new_string(hex));
		json_object_array_add(list, e);
	}
	return BS_EXIT_OK;
}

static int predict(int argc, char **argv)
{
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	_cleanup_(phases_donep) struct bs_pcr_phases phases = { 0 };
	unsigned banks = 0;
	int json = 0, first, r;
	const struct cli_option options[] = {
		{ "phases", 0, CLI_CALL, &phases, 0, take_phases },
		{ "bank", 0, CLI_CALL, &banks, 0, take_bank },
		CLI_OPTION_JSON(&json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, 1, "one UKI" };
	struct bs_pcr_section sections[BS_PCR_MAX_SECTIONS];
	struct bs_error err = { 0 };
	json_object *o = NULL;
	size_t n;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (!phases.n && (r = bs_pcr_phases_default(&phases)) < 0)
		return cli_report(cmd, NULL, r);
	if (!banks)
		banks = BS_PCR_BANKS_ALL;   /* systemd-measure's default */
	if ((r = bs_pe_load(argv[first], &pe, &err)) < 0 || (r = bs_pcr_uki_sections(pe, sections, &n, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (json)
		o = json_object_new_object();
	for (unsigned b = 0; b < BS_PCR_N_BANKS; b++) {
		if ((banks & (1u << b)) && (r = print_bank(sections, n, b, &phases, o))) {
			json_object_put(o);
			return r;
		}
	}
	if (json)
		cli_json_print(o);
	return BS_EXIT_OK;
}

int cmd_pcr(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{ "predict", predict },
		{ NULL, NULL },
	};

	return cli_dispatch("pcr", usage, subs, argc, argv);
}
