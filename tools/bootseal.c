/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <bootseal/atomicfile.h>

#include "cli-io.h"
#include "cli.h"

#ifndef BOOTSEAL_VERSION
#define BOOTSEAL_VERSION "0"
#endif

static const struct bs_command commands[] = {
	{ "fsverity-digest", cmd_fsverity_digest, "print fs-verity digests of files" },
	{ "mkcomposefs", cmd_mkcomposefs, "build a composefs EROFS image (C mkcomposefs / composefs-rs compatible)" },
	{ "oci", cmd_oci, "inspect or flatten an OCI image (oci:DIR[:TAG], oci-archive:FILE)" },
	{ "composefs-info", cmd_composefs_info, "dump or list the contents of a composefs image" },
	{ "compute-composefs-digest", cmd_compute_composefs_digest, "print the composefs digest bootc computes for a root filesystem" },
	{ "diff", cmd_diff, "list what differs between two trees, images or dumps" },
	{ "seal", cmd_seal, "seal a bootable container image: composefs digest, signed UKI, new image" },
	{ "verify-seal", cmd_verify_seal, "prove a sealed image is what its signed UKI claims" },
	{ "deploy", cmd_deploy, "write a sealed image's composefs repository (fs-verity) and ESP files" },
	{ "mount", cmd_mount, "mount a deployed image: fs-verity checked, overlayfs verity=require" },
	{ "sign", cmd_sign, "add an Authenticode signature to a PE image (sbsign)" },
	{ "verify", cmd_verify, "check or list Authenticode signatures of a PE image (sbverify)" },
	{ "ukify", cmd_ukify, "build or inspect a Unified Kernel Image" },
	{ "pcr", cmd_pcr, "predict a UKI's TPM PCR 11 values per boot phase (systemd-measure calculate)" },
	{ "container", cmd_container, "container ukify: build a UKI from a bootc rootfs (bootc container ukify)" },
	{ "keygen", cmd_keygen, "create Secure Boot PK, KEK and db keys and enrollment files" },
	{ "esl", cmd_esl, "build and list EFI signature lists" },
	{ "auth", cmd_auth, "sign and verify authenticated variable updates (.auth)" },
};

/* A path the user gave that cannot be read or written (-EACCES) is bad
 * input; an operation the system does not permit (-EPERM: mounts, privileged
 * ioctls, sysfs) is the environment. */
int cli_exit_code(int r)
{
	switch (-r) {
	case 0:
		return BS_EXIT_OK;
	case EKEYREJECTED:
	case EBADE:
		return BS_EXIT_VERIFY_FAILED;
	case ENOMEM:
	case ENOSPC:
	case EDQUOT:
	case EPERM:
	case EROFS:
	case ENOTTY:
	case EOPNOTSUPP:
		return BS_EXIT_ENVIRONMENT;
	default:
		return BS_EXIT_BAD_INPUT;
	}
}

int cli_report(const char *cmd, const struct bs_error *err, int r)
{
	const char *msg = err && err->code ? err->message : strerror(r < 0 ? -r : r);

	fprintf(stderr, "bootseal: %s: ", cmd);
	if (err && err->code && err->path[0]) {
		cli_put_visible(stderr, err->path, SIZE_MAX);
		fputs(": ", stderr);
	}
	cli_put_visible(stderr, msg, SIZE_MAX);
	fputc('\n', stderr);
	return cli_exit_code(err && err->code ? err->code : r);
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bootseal: %s: ", cmd);
	cli_put_visible(stderr, msg, SIZE_MAX);
	fputc('\n', stderr);
	return BS_EXIT_BAD_INPUT;
}

int cli_run_subcommand(const char *parent, int argc, char **argv, int (*run)(int argc, char **argv))
{
	/* getopt names argv[0]; one command runs per process. */
	static char prog[128];
	const char *name = prog + sizeof("bootseal: ") - 1;
	struct bs_error err = { 0 };
	int r, e;

	snprintf(prog, sizeof(prog), "bootseal: %s%s%s", parent ? parent : "", parent ? " " : "", argv[1]);
	argv[1] = prog;
	r = run(argc - 1, argv + 1);
	/* What a command printed is its answer: a standard output that is full
	 * or closed fails it, said once (by the innermost subcommand). */
	e = fflush(stdout) != 0 ? errno : ferror(stdout) ? EIO : 0;
	if (r != BS_EXIT_OK || !e)
		return r;
	clearerr(stdout);
	bs_error_set(&err, -e, "standard output", "cannot write: %s", strerror(e));
	return cli_report(name, &err, -e);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: bootseal COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-26s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nbootseal COMMAND --help (or bootseal help COMMAND) shows a command's options;\n"
		     "man bootseal-COMMAND explains them. Exit codes: 0 ok, 1 verification failed,\n"
		     "2 bad input or usage, 3 environment problem.\n");
}

/* A signal that ends bootseal first removes what it was writing, so an
 * interrupted seal leaves no hidden layout of gigabytes beside its
 * destination; then the signal ends the process as it would have. */
static void on_signal(int sig)
{
	sigset_t set;

	bs_atomicfile_remove_temporaries();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	struct sigaction sa = { .sa_handler = on_signal };

	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* One ignored by whoever started us (nohup, a shell's &) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

/* The top level's own answers (--help, --version) fail as a command's do when standard output cannot take them. */
static int answered(void)
{
	struct bs_error err = { 0 };
	int e = fflush(stdout) != 0 ? errno : ferror(stdout) ? EIO : 0;

	if (!e)
		return BS_EXIT_OK;
	bs_error_set(&err, -e, "standard output", "cannot write: %s", strerror(e));
	fprintf(stderr, "bootseal: %s: %s\n", err.path, err.message);
	return cli_exit_code(-e);
}

int main(int argc, char **argv)
{
	catch_signals();
	if (argc < 2) {
		usage(stderr);
		return BS_EXIT_BAD_INPUT;
	}
	if (strcmp(argv[1], "help") == 0 && argc > 2) {
		/* The same text as `CMD --help`; the man page has the rest. */
		char *help_argv[] = { argv[0], argv[2], (char *)"--help", NULL };

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(argv[2], commands[i].name) == 0)
				return cli_run_subcommand(NULL, 3, help_argv, commands[i].run);
		fprintf(stderr, "bootseal: unknown command '%s' (see bootseal --help)\n", argv[2]);
		return BS_EXIT_BAD_INPUT;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return answered();
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("bootseal %s\n", BOOTSEAL_VERSION);
		return answered();
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			return cli_run_subcommand(NULL, argc, argv, commands[i].run);
		}
	}
	fprintf(stderr, "bootseal: unknown command '%s' (see bootseal --help)\n", argv[1]);
	return BS_EXIT_BAD_INPUT;
}
