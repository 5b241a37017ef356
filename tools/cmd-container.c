/* SPDX-License-Identifier: MIT */
/*
 * `bootseal container ukify`: a drop-in for `bootc container ukify` in a
 * Containerfile. Like bootc it finds the kernel in usr/lib/modules, builds
 * the command line from usr/lib/bootc/kargs.d, composefs=<digest> and
 * --karg, and runs the UKI build with the rootfs as working directory, so
 * relative paths after `--` mean what they mean to bootc.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootseal/bootc.h>
#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/kargs.h>
#include <bootseal/uki.h>

#include "cli-util.h"

#include "cli-io.h"
#include "cli.h"

static const char cmd[] = "container ukify";

#define MAX_ARGS 256

static void help(void)
{
	printf("usage: bootseal container ukify --rootfs DIR [--karg ARG]... [--allow-missing-verity]\n"
	       "                                [--kernel-dir DIR] [--write-dumpfile-to FILE]\n"
	       "                                [-- UKIFY-BUILD-ARGS...]\n"
	       "Prints the command line, then builds the UKI as `bootseal ukify build` with the\n"
	       "arguments after --, run from DIR (required: the running system's / is refused).\n");
}

static int ukify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rootfs", required_argument, NULL, 'r' },
		{ "karg", required_argument, NULL, 'k' },
		{ "allow-missing-verity", no_argument, NULL, 'a' },
		{ "kernel-dir", required_argument, NULL, 'K' },
		{ "write-dumpfile-to", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ char *kver = NULL, *cmdline = NULL, *vmlinuz = NULL, *initrd = NULL;
	_cleanup_free_ char *kpath = NULL, *stub = NULL;
	_cleanup_(bs_bootc_uki_kernel_clear) struct bs_bootc_uki_kernel found = { 0 };
	const struct bs_uki_arch *arch = NULL;
	const char *rootfs = NULL, *kernel_dir = NULL, *dumpfile = NULL, *extra[MAX_ARGS];
	struct bs_tree *tree = NULL;
	char *args[MAX_ARGS + 16];
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	char hex[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	struct bs_rootfs_options ropts = { 0 };
	struct bs_error err = { 0 };
	size_t n_extra = 0, n = 0;
	int allow_missing = 0, c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rootfs = optarg; break;
		case 'k':
			if (n_extra == MAX_ARGS)
				return cli_fail(cmd, "too many --karg");
			extra[n_extra++] = optarg;
			break;
		case 'a': allow_missing = 1; break;
		case 'K': kernel_dir = optarg; break;
		case 'w': dumpfile = optarg; break;
		case 'h':
			help();
			return BS_EXIT_OK;
		default:
			return BS_EXIT_BAD_INPUT;
		}
	}
	if (argc - optind > MAX_ARGS)
		return cli_fail(cmd, "too many ukify arguments");
	for (size_t i = 0; i < n_extra; i++)
		if ((r = bs_kargs_check_no_composefs(extra[i], NULL, "--karg", &err)) < 0)
			return cli_report(cmd, &err, r);
	if (!rootfs)
		return cli_fail(cmd, "--rootfs DIR is needed: the active root filesystem is refused; mount the image elsewhere");
	if (strcmp(rootfs, "/") == 0)
		return cli_fail(cmd, "cannot operate on the active root filesystem; mount the image elsewhere and pass --rootfs");

	if (kernel_dir) {
		const char *slash = strrchr(kernel_dir, '/');
		kver = strdup(slash && slash[1] ? slash + 1 : kernel_dir);
		if (!kver || asprintf(&vmlinuz, "%s/vmlinuz", kernel_dir) < 0 ||
		    asprintf(&initrd, "%s/initramfs.img", kernel_dir) < 0)
			return cli_report(cmd, NULL, -ENOMEM);
	} else {
		r = bs_bootc_uki_kernel(&(struct bs_bootc_root){ .dir = rootfs }, &found, &err);
		if (r < 0)
			return cli_report(cmd, &err, r);
		kver = BS_STEAL(found.kver);
		vmlinuz = BS_STEAL(found.linux_path);
		initrd = BS_STEAL(found.initrd_path);
	}
	/* The kernel's architecture picks the kargs.d entries and the stub, so a
	 * rootfs of another architecture works from the host; bootc, running
	 * inside the image, uses its own. A kernel without a PE header: ours. */
	if (asprintf(&kpath, "%s/%s", vmlinuz[0] == '/' ? "" : rootfs, vmlinuz) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	r = bs_uki_kernel_arch(kpath, &arch, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	if (!arch)
		arch = bs_uki_arch_host();
	if (asprintf(&stub, BS_BOOTC_UKI_STUB, arch->efi) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	r = bs_composefs_dir_digest(rootfs, &ropts, 0, digest, dumpfile ? &tree : NULL, NULL, &err);
	/* Before the chdir below: a relative FILE is relative to where we were started, as for bootc. */
	if (r >= 0 && dumpfile)
		r = cli_write_dumpfile(tree, dumpfile, BS_DUMP_COMPOSEFS_RS, &err);
	bs_tree_free(tree);
	if (r < 0)
		return cli_report(cmd, &err, r);
	bs_hex_encode(digest, sizeof(digest), hex);
	r = bs_bootc_uki_cmdline(&(struct bs_bootc_root){ .dir = rootfs },
				 &(struct bs_bootc_cmdline){ arch, hex, allow_missing, extra, n_extra }, &cmdline, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);

	if (chdir(rootfs) < 0)
		return cli_fail(cmd, "%s: cannot enter: %s", rootfs, strerror(errno));
	args[n++] = argv[0];
	args[n++] = (char *)"--linux";
	args[n++] = vmlinuz;
	args[n++] = (char *)"--initrd";
	args[n++] = initrd;
	args[n++] = (char *)"--uname";
	args[n++] = kver;
	args[n++] = (char *)"--cmdline";
	args[n++] = cmdline;
	args[n++] = (char *)"--os-release";
	args[n++] = (char *)"@usr/lib/os-release";
	if (access(stub, R_OK) == 0) {
		/* The image's own stub; an explicit --stub after -- still wins. */
		args[n++] = (char *)"--stub";
		args[n++] = stub;
	} else {
		/* The host's stub for that architecture, not the host's own. */
		args[n++] = (char *)"--efi-arch";
		args[n++] = (char *)arch->efi;
	}
	for (int i = optind; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	r = cli_ukify_build(cmd, (int)n, args);
	if (r == BS_EXIT_OK)
		printf("%s\n", cmdline);
	return r;
}

int cmd_container(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "ukify") == 0)
		return cli_run_subcommand("container", argc, argv, ukify);
	if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
		return cli_run_subcommand("container", argc, argv, cli_container_inspect);
	/* bootc's spelling of the top-level command. */
	if (argc >= 2 && strcmp(argv[1], "compute-composefs-digest") == 0)
		return cli_run_subcommand("container", argc, argv, cmd_compute_composefs_digest);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help();
		printf("usage: bootseal container inspect [--rootfs DIR] [--json | --format humanreadable|json]\n"
		       "usage: bootseal container compute-composefs-digest [ARGS...]\n"
		       "       (bootseal compute-composefs-digest under bootc's name)\n");
		return BS_EXIT_OK;
	}
	return cli_fail("container", "expected 'ukify', 'inspect' or 'compute-composefs-digest' (see --help)");
}
