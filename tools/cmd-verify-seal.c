/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/bootc.h>
#include <bootseal/db.h>
#include <bootseal/seal.h>

#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "verify-seal";

static void help(void)
{
	printf("usage: bootseal verify-seal --db FILE [--db FILE]... [--expect TREE] [--json]\n"
	       "                            [--allow-insecure] [--allow-sha1]\n"
	       "                            [--create-missing-dirs] [--jobs N] [--quiet] IMAGE\n"
	       "IMAGE: oci:DIR[:TAG], oci-archive:FILE, dir:PATH or a directory. --db takes\n"
	       "certificates (PEM/DER), signature lists (.esl) or signed updates (.auth).\n"
	       "--expect: the tree the image was sealed for (image, dump, directory), to\n"
	       "explain a digest mismatch. --allow-insecure: composefs=?DIGEST (fs-verity\n"
	       "not required) passes, still reported. --allow-sha1: SHA-1 signatures verify.\n"
	       "Exit 0: sealed, 1: a check failed, 2: bad input.\n"
	       "Progress is shown on stderr when it is a terminal, unless --quiet.\n");
}

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

int cmd_verify_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "expect", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'J' },
		{ "create-missing-dirs", no_argument, NULL, 'm' },
		{ "allow-insecure", no_argument, NULL, 'i' },
		{ "allow-sha1", no_argument, NULL, '1' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_verify_seal_options o = { 0 };
	struct bs_seal_report rep = { 0 };
	struct bs_error err = { 0 };
	struct bs_db *db = NULL;
	struct cli_progress progress;
	int json = 0, quiet = 0, c, r = 0, status;

	if (bs_db_new(&db) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	optind = 1;
	while (r >= 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			r = bs_db_add_file(db, optarg, &err);
			break;
		case 'x':
			o.expect = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'm':
			o.bootc_flags |= BS_BOOTC_CREATE_MISSING;
			break;
		case 'i':
			o.allow_insecure = 1;
			break;
		case '1':
			o.allow_sha1 = 1;
			break;
		case 'j':
			if (cli_parse_jobs(cmd, optarg, &o.jobs) < 0) {
				bs_db_free(db);
				return BS_EXIT_BAD_INPUT;
			}
			break;
		case 'h':
			help();
			bs_db_free(db);
			return BS_EXIT_OK;
		default:
			bs_db_free(db);
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (r >= 0 && argc - optind != 1)
		r = bs_error_set(&err, -EINVAL, NULL, "expected one IMAGE (see --help)");
	o.image = r >= 0 ? argv[optind] : NULL;
	o.db = db;
	if (cli_progress_init(&progress, quiet)) {
		o.progress = cli_progress_show;
		o.progress_ctx = &progress;
	}
	if (r >= 0)
		r = bs_verify_seal(&o, &rep, &err);
	cli_progress_end(&progress);
	bs_db_free(db);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		print_json(&rep);
	} else {
		for (size_t i = 0; i < rep.n_checks; i++) {
			printf("%-4s %s ", rep.checks[i].ok ? "ok" : "FAIL", rep.checks[i].name);
			cli_put_visible(stdout, rep.checks[i].subject, SIZE_MAX);
			fputs(": ", stdout);
			cli_put_visible(stdout, rep.checks[i].detail, SIZE_MAX);
			putchar('\n');
		}
		if (rep.n_hints) {
			fputs("first differences from ", stdout);
			cli_put_visible(stdout, o.expect, SIZE_MAX);
			puts(":");
		}
		for (size_t i = 0; i < rep.n_hints; i++) {
			fputs("  ", stdout);
			cli_put_visible(stdout, rep.hints[i], SIZE_MAX);
			putchar('\n');
		}
	}
	status = rep.ok ? BS_EXIT_OK : BS_EXIT_VERIFY_FAILED;
	bs_seal_report_clear(&rep);
	return status;
}
