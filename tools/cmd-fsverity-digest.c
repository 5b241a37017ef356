/* SPDX-License-Identifier: MIT */
/* Output is byte-identical to fsverity-utils' `fsverity digest`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/fsverity.h>
#include <bootseal/workqueue.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "fsverity-digest";

struct digest_job {
	struct bs_fsverity_params params;
	struct bs_fsverity_ctx **ctx;    /* one per worker */
	char **paths;
	uint8_t (*digests)[BS_FSVERITY_MAX_DIGEST_SIZE];
	struct bs_error *errors;
};

static int digest_one(void *arg, size_t worker, size_t item)
{
	struct digest_job *job = arg;

	/* A failed file is reported, not fatal: the others still get their line. */
	(void)bs_fsverity_digest_path(job->ctx[worker], job->paths[item], job->digests[item],
				      &job->errors[item]);
	return 0;
}

static void help(void)
{
	printf("usage: bootseal fsverity-digest [--hash-alg sha256|sha512] [--block-size N]\n"
	       "                                [--salt HEX] [--compact] [--jobs N] [--json] FILE...\n");
}

int cmd_fsverity_digest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hash-alg", required_argument, NULL, 'a' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "salt", required_argument, NULL, 's' },
		{ "compact", no_argument, NULL, 'c' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_fsverity_params params = { .hash_alg = BS_HASH_SHA256, .block_size = 4096 };
	uint8_t salt[BS_FSVERITY_MAX_SALT_SIZE];
	struct bs_error err = { 0 };
	struct digest_job job = { 0 };
	size_t jobs = 0, n;
	json_object *list = NULL;
	int compact = 0, json = 0, c, r, status = BS_EXIT_OK;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (bs_hash_alg_from_name(optarg, &params.hash_alg) < 0)
				return cli_fail(cmd, "unknown hash algorithm '%s'", optarg);
			break;
		case 'b':
			errno = 0;
			params.block_size = (uint32_t)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || strtoul(optarg, NULL, 10) > UINT32_MAX)
				return cli_fail(cmd, "invalid block size '%s'", optarg);
			break;
		case 's':
			if (strlen(optarg) > 2 * BS_FSVERITY_MAX_SALT_SIZE)
				return cli_fail(cmd, "salt '%s' is longer than %d bytes", optarg,
						BS_FSVERITY_MAX_SALT_SIZE);
			if (bs_hex_decode(optarg, strlen(optarg), salt, sizeof(salt), &params.salt_size) < 0)
				return cli_fail(cmd, "salt '%s' is not an even number of hex digits", optarg);
			params.salt = salt;
			break;
		case 'c':
			compact = 1;
			break;
		case 'J':
			json = 1;
			break;
		case 'j':
			if (cli_parse_jobs(cmd, optarg, &jobs) < 0)
				return BS_EXIT_BAD_INPUT;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (bs_fsverity_params_check(&params, &err) < 0)
		return cli_report(cmd, &err, err.code);
	if (optind >= argc)
		return cli_fail(cmd, "no files given (see --help)");

	n = (size_t)(argc - optind);
	if (!jobs)
		jobs = bs_workqueue_default_jobs();
	if (jobs > n)
		jobs = n;
	job.params = params;
	job.paths = argv + optind;
	job.ctx = calloc(jobs, sizeof(*job.ctx));
	job.digests = calloc(n, sizeof(*job.digests));
	job.errors = calloc(n, sizeof(*job.errors));
	if (!job.ctx || !job.digests || !job.errors) {
		status = cli_report(cmd, NULL, -ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < jobs; i++) {
		r = bs_fsverity_new(&params, &job.ctx[i]);
		if (r < 0) {
			status = cli_report(cmd, NULL, r);
			goto out;
		}
	}
	bs_workqueue_run(n, jobs, digest_one, &job, NULL);

	if (json)
		list = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];

		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "file", cli_json_name(job.paths[i]));
			json_object_object_add(o, "algorithm", json_object_new_string(bs_hash_alg_name(params.hash_alg)));
			if (job.errors[i].code) {
				json_object_object_add(o, "error", cli_json_name(job.errors[i].message));
			} else {
				bs_hex_encode(job.digests[i], bs_hash_alg_digest_size(params.hash_alg), hex);
				json_object_object_add(o, "digest", json_object_new_string(hex));
			}
			json_object_array_add(list, o);
		}
		if (job.errors[i].code) {
			fflush(stdout);
			status = cli_report(cmd, &job.errors[i], job.errors[i].code);
			continue;
		}
		if (json)
			continue;
		bs_hex_encode(job.digests[i], bs_hash_alg_digest_size(params.hash_alg), hex);
		if (compact)
			printf("%s\n", hex);
		else
			printf("%s:%s %s\n", bs_hash_alg_name(params.hash_alg), hex, job.paths[i]);
	}
	if (list) {
		cli_json_print(list);
	}
out:
	if (job.ctx)
		for (size_t i = 0; i < jobs; i++)
			bs_fsverity_free(job.ctx[i]);
	free(job.ctx);
	free(job.digests);
	free(job.errors);
	return status;
}
