/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bootseal/composefs.h>
#include <bootseal/kargs.h>
#include <bootseal/mount.h>

#include "cli.h"

static const char cmd[] = "mount";

static void help(void)
{
	printf("usage: bootseal mount (--digest [?]HEX | --from-cmdline) [--insecure] [--loop] REPO MOUNTPOINT\n"
	       "Mounts images/HEX of the composefs repository REPO at MOUNTPOINT after checking its\n"
	       "fs-verity digest, as overlayfs with REPO/objects as data-only layer and\n"
	       "verity=require. --from-cmdline: HEX from /proc/cmdline as bootc's initramfs reads it\n"
	       "(composefs.digest=v1-sha512-12:HEX first, then composefs=HEX). A leading\n"
	       "'?' (or --insecure) tolerates missing fs-verity. --loop: the image through a loop\n"
	       "device even where EROFS mounts files (Linux 6.12+). Exit 1: digest mismatch.\n");
}

int cmd_mount(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "digest", required_argument, NULL, 'd' },
		{ "from-cmdline", no_argument, NULL, 'c' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "loop", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char hex[2 * BS_COMPOSEFS_DIGEST_SIZE + 2], cmdline[4096];
	struct bs_kargs_composefs karg;
	struct bs_mount_options o = { 0 };
	struct bs_error err = { 0 };
	const char *digest = NULL;
	int from_cmdline = 0, insecure = 0, c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			digest = optarg;
			break;
		case 'c':
			from_cmdline = 1;
			break;
		case 'i':
			o.flags |= BS_MOUNT_INSECURE;
			break;
		case 'l':
			o.flags |= BS_MOUNT_LOOP;
			break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (argc - optind != 2 || !digest == !from_cmdline)
		return cli_fail(cmd, "expected --digest HEX or --from-cmdline, then REPO MOUNTPOINT (see --help)");
	if (from_cmdline) {
		int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, cmdline, sizeof(cmdline) - 1);

		if (fd >= 0)
			close(fd);
		if (n < 0) {
			fprintf(stderr, "bootseal: %s: /proc/cmdline: %s\n", cmd, strerror(errno));
			return BS_EXIT_ENVIRONMENT;
		}
		r = bs_kargs_composefs(cmdline, (size_t)n, &karg, &err);
		if (r < 0)
			return cli_report(cmd, &err, r);
		snprintf(hex, sizeof(hex), "%s", karg.hex);
		insecure = karg.insecure;
	} else {
		insecure = digest[0] == '?';
		snprintf(hex, sizeof(hex), "%s", digest + insecure);
	}
	if (insecure)
		o.flags |= BS_MOUNT_INSECURE;
	o.digest = hex;
	o.repo = argv[optind];
	o.mountpoint = argv[optind + 1];
	r = bs_mount(&o, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	return BS_EXIT_OK;
}
