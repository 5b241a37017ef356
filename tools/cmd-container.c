/* SPDX-License-Identifier: MIT */
/*
 * `bootseal container ukify`: a drop-in for `bootc container ukify` in a
 * Containerfile. Like bootc it finds the kernel in usr/lib/modules, builds
 * the command line from usr/lib/bootc/kargs.d, composefs=<digest> and
 * --karg, and runs the UKI build with the rootfs as working directory, so
 * relative paths after `--` mean what they mean to bootc.
 */
#include <errno.h>
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

#include "cli-dispatch.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli-util.h"
#include "cli.h"

static const char cmd[] = "container ukify";

#define UKIFY_USAGE                                                                                       \
	"usage: bootseal container ukify --rootfs DIR [--karg ARG]... [--allow-missing-verity]\n"         \
	"                                [--kernel-dir DIR] [--write-dumpfile-to FILE]\n"                 \
	"                                [-- UKIFY-BUILD-ARGS...]\n"                                      \
	"Prints the command line, then builds the UKI as `bootseal ukify build` with the\n"              \
	"arguments after --, run from DIR (required: the running system's / is refused).\n"

/* What `container ukify` is asked for and what it finds in the rootfs. */
struct ukify {
	const char *rootfs, *kernel_dir, *dumpfile;
	struct cli_list kargs;
	int allow_missing;
	char *kver, *vmlinuz, *initrd, *stub, *cmdline;
	const struct bs_uki_arch *arch;
	char **args;            /* ukify build's argv */
	int n_args, cmdline_arg;
	int own_stub;           /* the image has the stub for its kernel */
};

static void ukify_done(struct ukify *u)
{
	cli_list_done(&u->kargs);
	free(u->kver);
	free(u->vmlinuz);
	free(u->initrd);
	free(u->stub);
	free(u->cmdline);
	free(u->args);
}

static int check_ukify(const struct ukify *u)
{
	struct bs_error err = { 0 };
	int r;

	for (size_t i = 0; i < u->kargs.n; i++)
		if ((r = bs_kargs_check_no_composefs(u->kargs.items[i], NULL, "--karg", &err)) < 0)
			return cli_report(cmd, &err, r);
	if (!u->rootfs)
		return cli_fail(cmd, "--rootfs DIR is needed: the active root filesystem is refused; mount the image elsewhere");
	if (strcmp(u->rootfs, "/") == 0)
		return cli_fail(cmd, "cannot operate on the active root filesystem; mount the image elsewhere and pass --rootfs");
	return 0;
}

/* The kernel, its initramfs and its architecture, which picks the kargs.d
 * entries and the stub: a rootfs of another architecture works from the
 * host (bootc, running inside the image, uses its own). A kernel without a
 * PE header: the host's. */
static int find_kernel(struct ukify *u)
{
	struct bs_bootc_uki_kernel found;
	_cleanup_free_ char *kpath = NULL, *stub_path = NULL;
	struct bs_error err = { 0 };
	int r;

	if (u->kernel_dir) {
		const char *slash = strrchr(u->kernel_dir, '/');

		u->kver = strdup(slash && slash[1] ? slash + 1 : u->kernel_dir);
		if (!u->kver || asprintf(&u->vmlinuz, "%s/vmlinuz", u->kernel_dir) < 0 ||
		    asprintf(&u->initrd, "%s/initramfs.img", u->kernel_dir) < 0)
			return cli_report(cmd, NULL, -ENOMEM);
	} else {
		if ((r = bs_bootc_uki_kernel(&(struct bs_bootc_root){ .dir = u->rootfs }, &found, &err)) < 0)
			return cli_report(cmd, &err, r);
		if (!(u->kver = strdup(found.kver)) || !(u->vmlinuz = strdup(found.linux_path)) ||
		    !(u->initrd = strdup(found.initrd_path)))
			return cli_report(cmd, NULL, -ENOMEM);
	}
	if (asprintf(&kpath, "%s/%s", u->vmlinuz[0] == '/' ? "" : u->rootfs, u->vmlinuz) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	if ((r = bs_uki_kernel_arch(kpath, &u->arch, &err)) < 0)
		return cli_report(cmd, &err, r);
	if (!u->arch)
		u->arch = bs_uki_arch_host();
	if (asprintf(&u->stub, BS_BOOTC_UKI_STUB, u->arch->efi) < 0 ||
	    asprintf(&stub_path, "%s/%s", u->rootfs, u->stub) < 0)
		return cli_report(cmd, NULL, -ENOMEM);
	u->own_stub = access(stub_path, R_OK) == 0;
	return 0;
}

static void add(struct ukify *u, const char *arg) { u->args[u->n_args++] = (char *)arg; }

/* ukify build's arguments: ours, then those after --, which win (an
 * explicit --stub too); checked now, before the digest is computed. The
 * command line is filled in when it is known. */
static int build_args(struct ukify *u, char *argv0, int n_extra, char **extra)
{
	if (!(u->args = calloc((size_t)n_extra + 16, sizeof(*u->args))))
		return cli_report(cmd, NULL, -ENOMEM);
	add(u, argv0);
	add(u, "--linux");
	add(u, u->vmlinuz);
	add(u, "--initrd");
	add(u, u->initrd);
	add(u, "--uname");
	add(u, u->kver);
	add(u, "--cmdline");
	u->cmdline_arg = u->n_args;
	add(u, "");
	add(u, "--os-release");
	add(u, "@usr/lib/os-release");
	/* The image's own stub, else the host's for that architecture, not the host's own. */
	add(u, u->own_stub ? "--stub" : "--efi-arch");
	add(u, u->own_stub ? u->stub : u->arch->efi);
	for (int i = 0; i < n_extra; i++)
		add(u, extra[i]);
	return cli_ukify_build_check(cmd, u->n_args, u->args);
}

static void tree_freep(struct bs_tree **t) { bs_tree_free(*t); }

/* composefs=DIGEST of the rootfs after kargs.d's arguments and --karg's. */
static int make_cmdline(struct ukify *u)
{
	struct bs_bootc_cmdline in = { u->arch, NULL, u->allow_missing, u->kargs.items, u->kargs.n };
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	char hex[2 * BS_COMPOSEFS_DIGEST_SIZE + 1];
	struct bs_rootfs_options ropts = { 0 };
	_cleanup_(tree_freep) struct bs_tree *tree = NULL;
	struct bs_error err = { 0 };
	int r = bs_composefs_dir_digest(u->rootfs, &ropts, 0, digest, u->dumpfile ? &tree : NULL, NULL, &err);

	/* Before the chdir: a relative FILE is relative to where we were started, as for bootc. */
	if (r >= 0 && u->dumpfile)
		r = cli_write_dumpfile(tree, u->dumpfile, BS_DUMP_COMPOSEFS_RS, &err);
	if (r < 0)
		return cli_report(cmd, &err, r);
	bs_hex_encode(digest, sizeof(digest), hex);
	in.digest = hex;
	if ((r = bs_bootc_uki_cmdline(&(struct bs_bootc_root){ .dir = u->rootfs }, &in, &u->cmdline, &err)) < 0)
		return cli_report(cmd, &err, r);
	u->args[u->cmdline_arg] = u->cmdline;
	return 0;
}

static int ukify(int argc, char **argv)
{
	_cleanup_(ukify_done) struct ukify u = { 0 };
	const struct cli_option options[] = {
		{ "rootfs", 0, CLI_STRING, &u.rootfs },
		{ "karg", 0, CLI_LIST, &u.kargs },
		{ "allow-missing-verity", 0, CLI_SET, &u.allow_missing, 1 },
		{ "kernel-dir", 0, CLI_STRING, &u.kernel_dir },
		{ "write-dumpfile-to", 0, CLI_STRING, &u.dumpfile },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, UKIFY_USAGE, options, 0, -1, "", 1 };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if ((r = check_ukify(&u)) || (r = find_kernel(&u)))
		return r;
	if ((r = build_args(&u, argv[0], argc - first, argv + first)) != CLI_PROCEED)
		return r;
	if ((r = make_cmdline(&u)))
		return r;
	if (chdir(u.rootfs) < 0)
		return cli_fail(cmd, "%s: cannot enter: %s", u.rootfs, strerror(errno));
	if ((r = cli_ukify_build(cmd, u.n_args, u.args)) == BS_EXIT_OK)
		printf("%s\n", u.cmdline);
	return r;
}

int cmd_container(int argc, char **argv)
{
	static const char usage[] = UKIFY_USAGE
		"usage: bootseal container inspect [--rootfs DIR] [--json | --format humanreadable|json]\n"
		"usage: bootseal container compute-composefs-digest [ARGS...]\n"
		"       (bootseal compute-composefs-digest under bootc's name)\n";

	/* compute-composefs-digest: bootc's spelling of the top-level command. */
	return cli_dispatch("container", usage,
			    CLI_SUBCOMMANDS({ "ukify", ukify }, { "inspect", cli_container_inspect },
					    { "compute-composefs-digest", cmd_compute_composefs_digest }),
			    argc, argv);
}
