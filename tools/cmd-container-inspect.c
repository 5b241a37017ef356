/* SPDX-License-Identifier: MIT */
/*
 * `bootseal container inspect`: `bootc container inspect` for a Containerfile,
 * so `kver=$(bootseal container inspect --rootfs /target --json | jq -r
 * .kernel.version)` works as it does with bootc. The human form and the JSON
 * keys are bootc 534c76ea's (status.rs container_inspect, spec.rs
 * ContainerInspect).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/bootc.h>
#include <bootseal/kargs.h>
#include <bootseal/uki.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "container inspect";

static const char usage[] =
	"usage: bootseal container inspect [--rootfs DIR] [--json | --format humanreadable|json]\n"
	"Prints the kernel arguments of DIR's usr/lib/bootc/kargs.d and its kernel (version,\n"
	"and whether it is a UKI), as `bootc container inspect` does. DIR defaults to /.\n";

static json_object *inspect_json(const char *cmdline, const struct bs_bootc_kernel *k)
{
	json_object *o = json_object_new_object(), *kargs = json_object_new_array(), *kernel = NULL;
	const char *s;
	size_t pos = 0, n;

	while (bs_kargs_next(cmdline, &pos, &s, &n))
		json_object_array_add(kargs, json_object_new_string_len(s, (int)n));
	json_object_object_add(o, "kargs", kargs);
	if (k->version) {
		kernel = json_object_new_object();
		json_object_object_add(kernel, "version", json_object_new_string(k->version));
		json_object_object_add(kernel, "unified", json_object_new_boolean(k->unified));
	}
	json_object_object_add(o, "kernel", kernel);
	return o;
}

/* Labels right-aligned to the longest ("Kernel"), as bootc's write_row_name does. */
static void print_human(const char *cmdline, const struct bs_bootc_kernel *k)
{
	const char *s;
	size_t pos = 0, n;
	int any = 0;

	printf("Kernel: %s\n", k->version ? k->version : "<none>");
	if (k->version)
		printf("  Type: %s\n", k->unified ? "UKI" : "vmlinuz");
	fputs(" Kargs: ", stdout);
	while (bs_kargs_next(cmdline, &pos, &s, &n))
		printf("%s%.*s", any++ ? " " : "", (int)n, s);
	puts(any ? "" : "<none>");
}

static void kernel_clearp(struct bs_bootc_kernel *k) { bs_bootc_kernel_clear(k); }

int cli_container_inspect(int argc, char **argv)
{
	_cleanup_(kernel_clearp) struct bs_bootc_kernel kernel = { 0 };
	_cleanup_free_ char *cmdline = NULL;
	const char *rootfs = "/", *format = NULL;
	int json = 0, first, r;
	const struct cli_option options[] = {
		{ "rootfs", 0, CLI_STRING, &rootfs },
		CLI_OPTION_JSON(&json),
		{ "format", 0, CLI_STRING, &format },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 0, 0, "" };
	struct bs_error err = { 0 };

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (format && json)
		return cli_fail(cmd, "--json and --format cannot be used together");
	if (format && strcmp(format, "json") == 0)
		json = 1;
	else if (format && strcmp(format, "humanreadable") != 0)
		return cli_fail(cmd, "unsupported format '%s' (humanreadable or json)", format);
	r = bs_kargs_read_dir(rootfs, bs_uki_arch_host()->rust, &cmdline, &err);
	if (r >= 0)
		r = bs_bootc_find_kernel(rootfs, &kernel, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json)
		cli_json_print(inspect_json(cmdline, &kernel));
	else
		print_human(cmdline, &kernel);
	return BS_EXIT_OK;
}
