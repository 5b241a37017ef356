/* SPDX-License-Identifier: MIT */
/* Output is byte-identical to fsverity-utils' `fsverity digest`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/fsverity.h>
#include <bootseal/workqueue.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-values.h"
#include "cli.h"

static const char cmd[] = "fsverity-digest";

static const char usage[] =
	"usage: bootseal fsverity-digest [--hash-alg sha256|sha512] [--block-size N]\n"
	"                                [--salt HEX] [--compact] [--jobs N] [--json] FILE...\n";

struct fsverity_args {
	struct bs_fsverity_params params;
	uint8_t salt[BS_FSVERITY_MAX_SALT_SIZE];
	size_t jobs;
	int compact, json;
};

struct digest_job {
	struct bs_fsverity_params params;
	struct bs_fsverity_ctx **ctx;    /* one per worker */
	size_t n_ctx;
	char **paths;
	uint8_t (*digests)[BS_FSVERITY_MAX_DIGEST_SIZE];
	struct bs_error *errors;
};

static void job_done(struct digest_job *job)
{
	for (size_t i = 0; job->ctx && i < job->n_ctx; i++)
		bs_fsverity_free(job->ctx[i]);
	free(job->ctx);
	free(job->digests);
	free(job->errors);
}

static int take_block_size(const char *command, const struct cli_option *o, const char *value)
{
	unsigned long v;

	if (cli_parse_ulong(value, 0, UINT32_MAX, &v) < 0)
		return cli_fail(command, "invalid block size '%s'", value);
	*(uint32_t *)o->dest = (uint32_t)v;
	return 0;
}

static int take_salt(const char *command, const struct cli_option *o, const char *value)
{
	struct fsverity_args *a = o->dest;

	if (strlen(value) > 2 * BS_FSVERITY_MAX_SALT_SIZE)
		return cli_fail(command, "salt '%s' is longer than %d bytes", value, BS_FSVERITY_MAX_SALT_SIZE);
	if (bs_hex_decode(value, strlen(value), a->salt, sizeof(a->salt), &a->params.salt_size) < 0)
		return cli_fail(command, "salt '%s' is not an even number of hex digits", value);
	a->params.salt = a->salt;
	return 0;
}

static int digest_one(void *arg, size_t worker, size_t item)
{
	struct digest_job *job = arg;

	/* A failed file is reported, not fatal: the others still get their line. */
	(void)bs_fsverity_digest_path(job->ctx[worker], job->paths[item], job->digests[item],
				      &job->errors[item]);
	return 0;
}

/* Digests of the n files at paths on up to jobs threads (0: one a core). */
static int run_job(struct digest_job *job, char **paths, size_t n, size_t jobs)
{
	int r;

	if (!jobs)
		jobs = bs_workqueue_default_jobs();
	if (jobs > n)
		jobs = n;
	job->paths = paths;
	job->ctx = calloc(jobs, sizeof(*job->ctx));
	job->digests = calloc(n, sizeof(*job->digests));
	job->errors = calloc(n, sizeof(*job->errors));
	if (!job->ctx || !job->digests || !job->errors)
		return cli_report(cmd, NULL, -ENOMEM);
	for (; job->n_ctx < jobs; job->n_ctx++)
		if ((r = bs_fsverity_new(&job->params, &job->ctx[job->n_ctx])) < 0)
			return cli_report(cmd, NULL, r);
	bs_workqueue_run(n, jobs, digest_one, job, NULL);
	return 0;
}

static json_object *result_json(const struct digest_job *job, size_t i, const char *hex)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", cli_json_name(job->paths[i]));
	json_object_object_add(o, "algorithm", json_object_new_string(bs_hash_alg_name(job->params.hash_alg)));
	if (job->errors[i].code)
		json_object_object_add(o, "error", cli_json_name(job->errors[i].message));
	else
		json_object_object_add(o, "digest", json_object_new_string(hex));
	return o;
}

/* A line (or a JSON object) a file, in the order given; a failed file's error on stderr. */
static int print_results(const struct digest_job *job, size_t n, int compact, int json)
{
	json_object *list = json ? json_object_new_array() : NULL;
	size_t size = bs_hash_alg_digest_size(job->params.hash_alg);
	int status = BS_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1] = "";

		if (!job->errors[i].code)
			bs_hex_encode(job->digests[i], size, hex);
		if (list)
			json_object_array_add(list, result_json(job, i, hex));
		if (job->errors[i].code) {
			fflush(stdout);
			status = cli_report(cmd, &job->errors[i], job->errors[i].code);
		} else if (!list && compact) {
			printf("%s\n", hex);
		} else if (!list) {
			printf("%s:%s %s\n", bs_hash_alg_name(job->params.hash_alg), hex, job->paths[i]);
		}
	}
	if (list)
		cli_json_print(list);
	return status;
}

int cmd_fsverity_digest(int argc, char **argv)
{
	struct fsverity_args a = { .params = { .hash_alg = BS_HASH_SHA256, .block_size = 4096 } };
	const struct cli_option options[] = {
		{ "hash-alg", 0, CLI_CALL, &a.params.hash_alg, 0, cli_take_hash_alg },
		{ "block-size", 0, CLI_CALL, &a.params.block_size, 0, take_block_size },
		{ "salt", 0, CLI_CALL, &a, 0, take_salt },
		{ "compact", 0, CLI_SET, &a.compact, 1 },
		CLI_OPTION_JOBS(&a.jobs),
		CLI_OPTION_JSON(&a.json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, -1, "at least one FILE" };
	_cleanup_(job_done) struct digest_job job = { 0 };
	struct bs_error err = { 0 };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (bs_fsverity_params_check(&a.params, &err) < 0)
		return cli_report(cmd, &err, err.code);
	job.params = a.params;
	if ((r = run_job(&job, argv + first, (size_t)(argc - first), a.jobs)))
		return r;
	return print_results(&job, (size_t)(argc - first), a.compact, a.json);
}
