/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <bootseal/db.h>
#include <bootseal/deploy.h>
#include <bootseal/repo.h>

#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "deploy";

static void help(void)
{
	printf("usage: bootseal deploy [--esp DIR] [--keys DIR] [--db FILE]... [--allow-unsigned-bootloader]\n"
	       "                       [--allow-missing-verity] [--jobs N] [--json] IMAGE TARGET\n"
	       "Writes IMAGE's composefs repository to TARGET (objects/, images/<digest>, fs-verity\n"
	       "enabled on each: put TARGET on ext4 made with -O verity, or btrfs) and, with --esp,\n"
	       "its UKIs and systemd-boot to DIR. --keys: keygen's output directory, whose\n"
	       "loader/keys/auto/*.auth go to the ESP with \"secure-boot-enroll force\",\n"
	       "or an sbctl key tree (keys/{PK,KEK,db}/, GUID), whose keys sign them.\n"
	       "The UKIs and systemd-boot (from the image's /usr, never /boot) must verify against\n"
	       "--db (certificate, .esl or .auth) and the keys' db; --allow-unsigned-bootloader\n"
	       "installs a systemd-boot that does not.\n"
	       "--allow-missing-verity: store objects without fs-verity where the filesystem has none.\n");
}

int cmd_deploy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "esp", required_argument, NULL, 'e' },
		{ "keys", required_argument, NULL, 'k' },
		{ "db", required_argument, NULL, 'd' },
		{ "allow-unsigned-bootloader", no_argument, NULL, 'u' },
		{ "allow-missing-verity", no_argument, NULL, 'i' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bs_deploy_options o = { 0 };
	struct bs_deploy_result res;
	struct bs_error err = { 0 };
	struct bs_db *db = NULL;
	int json = 0, c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!db && bs_db_new(&db) < 0)
				return cli_report(cmd, NULL, -ENOMEM);
			if ((r = bs_db_add_file(db, optarg, &err)) < 0) {
				bs_db_free(db);
				return cli_report(cmd, &err, r);
			}
			break;
		case 'u':
			o.flags |= BS_DEPLOY_ALLOW_UNSIGNED_BOOTLOADER;
			break;
		case 'e':
			o.esp = optarg;
			break;
		case 'k':
			o.keys = optarg;
			break;
		case 'i':
			o.flags |= BS_REPO_INSECURE;
			break;
		case 'j':
			if (cli_parse_jobs(cmd, optarg, &o.jobs) < 0) {
				bs_db_free(db);
				return BS_EXIT_BAD_INPUT;
			}
			break;
		case 'J':
			json = 1;
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
	r = 0;
	if (argc - optind != 2)
		r = cli_fail(cmd, "expected IMAGE TARGET (see --help)");
	else if (o.keys && !o.esp)
		r = cli_fail(cmd, "--keys needs --esp");
	else if (db && !o.esp)
		r = cli_fail(cmd, "--db needs --esp");
	if (r) {
		bs_db_free(db);
		return r;
	}
	o.image = argv[optind];
	o.target = argv[optind + 1];
	o.db = db;
	r = bs_deploy(&o, &res, &err);
	bs_db_free(db);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "digest", json_object_new_string(res.digest));
		json_object_object_add(j, "objects", json_object_new_int64((int64_t)res.objects));
		json_object_object_add(j, "objects_written", json_object_new_int64((int64_t)res.objects_written));
		json_object_object_add(j, "bytes_written", json_object_new_int64((int64_t)res.bytes_written));
		if (o.esp) {
			json_object_object_add(j, "esp_files", json_object_new_int64((int64_t)res.esp_files));
			json_object_object_add(j, "systemd_boot", json_object_new_string(
				res.bootloader_signed < 0 ? "none" : res.bootloader_signed ? "signed" : "unsigned"));
		}
		cli_json_print(j);
		return BS_EXIT_OK;
	}
	printf("composefs=%s\n", res.digest);
	printf("objects: %zu (%zu written, %llu bytes)\n", res.objects, res.objects_written, res.bytes_written);
	if (o.esp)
		printf("esp: %zu files, systemd-boot: %s\n", res.esp_files,
		       res.bootloader_signed < 0 ? "none" : res.bootloader_signed ? "signed" : "UNSIGNED");
	return BS_EXIT_OK;
}
