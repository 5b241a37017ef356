/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/bootc.h>
#include <bootseal/db.h>
#include <bootseal/seal.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "verify-seal";

static const char usage[] =
	"usage: bootseal verify-seal --db FILE [--db FILE]... [--expect TREE] [--json]\n"
	"                            [--allow-insecure] [--allow-sha1]\n"
	"                            [--create-missing-dirs] [--jobs N] [--quiet] IMAGE\n"
	"IMAGE: oci:DIR[:TAG], oci-archive:FILE, dir:PATH or a directory. --db takes\n"
	"certificates (PEM/DER), signature lists (.esl) or signed updates (.auth).\n"
	"--expect: the tree the image was sealed for (image, dump, directory), to\n"
	"explain a digest mismatch. --allow-insecure: composefs=?DIGEST (fs-verity\n"
	"not required) passes, still reported. --allow-sha1: SHA-1 signatures verify.\n"
	"Exit 0: sealed, 1: a check failed, 2: bad input.\n"
	"Progress is shown on stderr when it is a terminal, unless --quiet.\n";

static void print_json(const struct bs_seal_report *rep)
{
	json_object *o = json_object_new_object(), *checks = json_object_new_array();

	json_object_object_add(o, "ok", json_object_new_boolean(rep->ok));
	json_object_object_add(o, "digest", json_object_new_string(rep->digest));
	json_object_object_add(o, "insecure", json_object_new_boolean(rep->insecure));
	for (size_t i = 0; i < rep->n_checks; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "check", json_object_new_string(rep->checks[i].name));
		json_object_object_add(c, "subject", cli_json_name(rep->checks[i].subject));
		json_object_object_add(c, "ok", json_object_new_boolean(rep->checks[i].ok));
		json_object_object_add(c, "detail", cli_json_name(rep->checks[i].detail));
		json_object_array_add(checks, c);
	}
	json_object_object_add(o, "checks", checks);
	if (rep->n_hints) {
		json_object *hints = json_object_new_array();

		for (size_t i = 0; i < rep->n_hints; i++)
			json_object_array_add(hints, cli_json_name(rep->hints[i]));
		json_object_object_add(o, "differences", hints);
	}
	cli_json_print(o);
}

static void print_human(const struct bs_seal_report *rep, const char *expect)
{
	for (size_t i = 0; i < rep->n_checks; i++) {
		printf("%-4s %s ", rep->checks[i].ok ? "ok" : "FAIL", rep->checks[i].name);
		cli_put_visible(stdout, rep->checks[i].subject, SIZE_MAX);
		fputs(": ", stdout);
		cli_put_visible(stdout, rep->checks[i].detail, SIZE_MAX);
		putchar('\n');
	}
	if (rep->n_hints) {
		fputs("first differences from ", stdout);
		cli_put_visible(stdout, expect, SIZE_MAX);
		puts(":");
	}
	for (size_t i = 0; i < rep->n_hints; i++) {
		fputs("  ", stdout);
		cli_put_visible(stdout, rep->hints[i], SIZE_MAX);
		putchar('\n');
	}
}

/* --db FILE, read as it is given. */
static int take_db(const char *command, const struct cli_option *o, const char *value)
{
	struct bs_error err = { 0 };
	int r = bs_db_add_file(*(struct bs_db **)o->dest, value, &err);

	return r < 0 ? cli_report(command, &err, r) : 0;
}

static void db_freep(struct bs_db **db) { bs_db_free(*db); }
static void report_clearp(struct bs_seal_report *rep) { bs_seal_report_clear(rep); }

int cmd_verify_seal(int argc, char **argv)
{
	_cleanup_(db_freep) struct bs_db *db = NULL;
	_cleanup_(report_clearp) struct bs_seal_report rep = { 0 };
	struct bs_verify_seal_options o = { 0 };
	int json = 0, quiet = 0, first, r;
	const struct cli_option options[] = {
		{ "db", 0, CLI_CALL, &db, 0, take_db },
		{ "expect", 0, CLI_STRING, &o.expect },
		CLI_OPTION_JSON(&json),
		{ "create-missing-dirs", 0, CLI_OR, &o.bootc_flags, BS_BOOTC_CREATE_MISSING },
		{ "allow-insecure", 0, CLI_SET, &o.allow_insecure, 1 },
		{ "allow-sha1", 0, CLI_SET, &o.allow_sha1, 1 },
		{ "jobs", 0, CLI_JOBS, &o.jobs },
		{ "quiet", 0, CLI_SET, &quiet, 1 },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, 1, "one IMAGE" };
	struct bs_error err = { 0 };
	struct cli_progress progress;

	if (bs_db_new(&db) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	o.image = argv[first];
	o.db = db;
	if (cli_progress_init(&progress, quiet)) {
		o.progress = cli_progress_show;
		o.progress_ctx = &progress;
	}
	r = bs_verify_seal(&o, &rep, &err);
	cli_progress_end(&progress);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json)
		print_json(&rep);
	else
		print_human(&rep, o.expect);
	return rep.ok ? BS_EXIT_OK : BS_EXIT_VERIFY_FAILED;
}
