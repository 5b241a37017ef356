/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <bootseal/db.h>
#include <bootseal/deploy.h>
#include <bootseal/repo.h>

#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "deploy";

static const char usage[] =
	"usage: bootseal deploy [--esp DIR] [--keys DIR] [--db FILE]... [--allow-unsigned-bootloader]\n"
	"                       [--allow-missing-verity] [--jobs N] [--json] IMAGE TARGET\n"
	"Writes IMAGE's composefs repository to TARGET (objects/, images/<digest>, fs-verity\n"
	"enabled on each: put TARGET on ext4 made with -O verity, or btrfs) and, with --esp,\n"
	"its UKIs and systemd-boot to DIR. --keys: keygen's output directory, whose\n"
	"loader/keys/auto/*.auth go to the ESP with \"secure-boot-enroll force\",\n"
	"or an sbctl key tree (keys/{PK,KEK,db}/, GUID), whose keys sign them.\n"
	"The UKIs and systemd-boot (from the image's /usr, never /boot) must verify against\n"
	"--db (certificate, .esl or .auth) and the keys' db; --allow-unsigned-bootloader\n"
	"installs a systemd-boot that does not.\n"
	"--allow-missing-verity: store objects without fs-verity where the filesystem has none.\n";

static void db_freep(struct bs_db **db)
{
	bs_db_free(*db);
}

/* The certificates of every --db FILE in one db; none: NULL. */
static int load_db(const struct cli_list *files, struct bs_db **db)
{
	struct bs_error err = { 0 };
	int r;

	if (!files->n)
		return 0;
	if (bs_db_new(db) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	for (size_t i = 0; i < files->n; i++)
		if ((r = bs_db_add_file(*db, files->items[i], &err)) < 0)
			return cli_report(cmd, &err, r);
	return 0;
}

static const char *bootloader_state(int bootloader_signed, int json)
{
	if (bootloader_signed < 0)
		return "none";
	if (bootloader_signed)
		return "signed";
	return json ? "unsigned" : "UNSIGNED";
}

static void print_json(const struct bs_deploy_options *o, const struct bs_deploy_result *res)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "digest", json_object_new_string(res->digest));
	json_object_object_add(j, "objects", json_object_new_int64((int64_t)res->objects));
	json_object_object_add(j, "objects_written", json_object_new_int64((int64_t)res->objects_written));
	json_object_object_add(j, "bytes_written", json_object_new_int64((int64_t)res->bytes_written));
	if (o->esp) {
		json_object_object_add(j, "esp_files", json_object_new_int64((int64_t)res->esp_files));
		json_object_object_add(j, "systemd_boot",
				       json_object_new_string(bootloader_state(res->bootloader_signed, 1)));
	}
	cli_json_print(j);
}

static void print_text(const struct bs_deploy_options *o, const struct bs_deploy_result *res)
{
	printf("composefs=%s\n", res->digest);
	printf("objects: %zu (%zu written, %llu bytes)\n", res->objects, res->objects_written, res->bytes_written);
	if (o->esp)
		printf("esp: %zu files, systemd-boot: %s\n", res->esp_files,
		       bootloader_state(res->bootloader_signed, 0));
}

int cmd_deploy(int argc, char **argv)
{
	_cleanup_(cli_list_done) struct cli_list db_files = { 0 };
	_cleanup_(db_freep) struct bs_db *db = NULL;
	struct bs_deploy_options o = { 0 };
	int json = 0;
	const struct cli_option options[] = {
		{ "esp", 0, CLI_STRING, &o.esp },
		{ "keys", 0, CLI_STRING, &o.keys },
		{ "db", 0, CLI_LIST, &db_files },
		{ "allow-unsigned-bootloader", 0, CLI_OR, &o.flags, BS_DEPLOY_ALLOW_UNSIGNED_BOOTLOADER },
		{ "allow-missing-verity", 0, CLI_OR, &o.flags, BS_REPO_INSECURE },
		{ "jobs", 0, CLI_JOBS, &o.jobs },
		CLI_OPTION_JSON(&json),
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 2, 2, "IMAGE TARGET" };
	struct bs_deploy_result res;
	struct bs_error err = { 0 };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (o.keys && !o.esp)
		return cli_fail(cmd, "--keys needs --esp");
	if (db_files.n && !o.esp)
		return cli_fail(cmd, "--db needs --esp");
	if ((r = load_db(&db_files, &db)))
		return r;
	o.image = argv[first];
	o.target = argv[first + 1];
	o.db = db;
	if ((r = bs_deploy(&o, &res, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (json)
		print_json(&o, &res);
	else
		print_text(&o, &res);
	return BS_EXIT_OK;
}
