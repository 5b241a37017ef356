/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include <bootseal/composefs.h>
#include <bootseal/kargs.h>
#include <bootseal/mount.h>

#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "mount";

static const char usage[] =
	"usage: bootseal mount (--digest [?]HEX | --from-cmdline) [--insecure] [--loop] REPO MOUNTPOINT\n"
	"Mounts images/HEX of the composefs repository REPO at MOUNTPOINT after checking its\n"
	"fs-verity digest, as overlayfs with REPO/objects as data-only layer and\n"
	"verity=require. --from-cmdline: HEX from /proc/cmdline as bootc's initramfs reads it\n"
	"(composefs.digest=v1-sha512-12:HEX first, then composefs=HEX). A leading\n"
	"'?' (or --insecure) tolerates missing fs-verity. --loop: the image through a loop\n"
	"device even where EROFS mounts files (Linux 6.12+). Exit 1: digest mismatch.\n";

/* The digest bootc's initramfs would mount, from the kernel command line. */
static int digest_from_cmdline(char *hex, size_t size, int *insecure)
{
	_cleanup_free_ uint8_t *cmdline = NULL;
	struct bs_kargs_composefs karg;
	struct bs_error err = { 0 };
	size_t len;
	int r;

	/* No /proc/cmdline to read is the environment's problem, not the input's. */
	if ((r = cli_read_file("/proc/cmdline", 1 << 20, &cmdline, &len, &err)) < 0) {
		cli_report(cmd, &err, r);
		return BS_EXIT_ENVIRONMENT;
	}
	if ((r = bs_kargs_composefs((const char *)cmdline, len, &karg, &err)) < 0)
		return cli_report(cmd, &err, r);
	snprintf(hex, size, "%s", karg.hex);
	*insecure = karg.insecure;
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	struct bs_mount_options o = { 0 };
	const char *digest = NULL;
	int from_cmdline = 0, insecure = 0, first, r;
	const struct cli_option options[] = {
		{ "digest", 0, CLI_STRING, &digest },
		{ "from-cmdline", 0, CLI_SET, &from_cmdline, 1 },
		{ "insecure", 0, CLI_OR, &o.flags, BS_MOUNT_INSECURE },
		{ "loop", 0, CLI_OR, &o.flags, BS_MOUNT_LOOP },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 2, 2, "REPO MOUNTPOINT" };
	char hex[2 * BS_COMPOSEFS_DIGEST_SIZE + 2];
	struct bs_error err = { 0 };

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (!digest == !from_cmdline)
		return cli_fail(cmd, "expected --digest HEX or --from-cmdline (see --help)");
	if (from_cmdline && (r = digest_from_cmdline(hex, sizeof(hex), &insecure)))
		return r;
	if (!from_cmdline) {
		insecure = digest[0] == '?';
		snprintf(hex, sizeof(hex), "%s", digest + insecure);
	}
	if (insecure)
		o.flags |= BS_MOUNT_INSECURE;
	o.digest = hex;
	o.repo = argv[first];
	o.mountpoint = argv[first + 1];
	if ((r = bs_mount(&o, &err)) < 0)
		return cli_report(cmd, &err, r);
	return BS_EXIT_OK;
}
