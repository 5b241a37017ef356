/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_CLI_H
#define BOOTSEAL_CLI_H

#include <time.h>

#include <bootseal/error.h>
#include <bootseal/progress.h>

/* Exit codes, the same for every subcommand (docs/exit-codes.md). */
enum {
	BS_EXIT_OK = 0,
	BS_EXIT_VERIFY_FAILED = 1,
	BS_EXIT_BAD_INPUT = 2,
	BS_EXIT_ENVIRONMENT = 3,
};

struct bs_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* "bootseal: CMD: PATH: MESSAGE" on stderr; returns the exit code to use. */
int cli_report(const char *cmd, const struct bs_error *err, int fallback_code);
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One warning line on stderr when KEY_SPEC is a pkcs11: URI holding its PIN. */
void cli_warn_pin_value(const char *cmd, const char *key_spec);
/*
 * Runs the command argv[1] (PARENT's subcommand, or a top-level command when
 * PARENT is NULL) as run(argc - 1, argv + 1), with getopt's own messages (an
 * unknown option, a missing value) spelled like every other error:
 * "bootseal: [PARENT ]CMD: unrecognized option ...".
 */
int cli_run_subcommand(const char *parent, int argc, char **argv, int (*run)(int argc, char **argv));
/* Maps a negative errno from the library to an exit code. */
int cli_exit_code(int r);

/* Progress of a long operation on stderr (tools/cli-progress.c). init
 * returns whether to show it: stderr is a terminal and not --quiet. */
struct cli_progress {
	struct timespec start;          /* of the current phase: rates and ETA are per phase */
	char phase[64];
	size_t files;                   /* the last counters shown */
	unsigned long long bytes;
	int shown;
};
int cli_progress_init(struct cli_progress *cp, int quiet);
void cli_progress_show(void *ctx, const struct bs_progress *p);
void cli_progress_end(struct cli_progress *cp);

int cmd_fsverity_digest(int argc, char **argv);
int cmd_compute_composefs_digest(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_verify_seal(int argc, char **argv);
int cmd_mkcomposefs(int argc, char **argv);
int cmd_oci(int argc, char **argv);
int cmd_composefs_info(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_ukify(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_pcr(int argc, char **argv);
/* `container inspect` with argv[0] = "inspect". */
int cli_container_inspect(int argc, char **argv);
/* `ukify build`, its errors under the name cmd; shared with `container ukify`. */
int cli_ukify_build(const char *cmd, int argc, char **argv);
/* `ukify inspect` and `ukify genkey`, argv[0] = the verb (tools/cmd-ukify-inspect.c, cmd-ukify.c). */
int cli_ukify_inspect(int argc, char **argv);
int cli_ukify_genkey(int argc, char **argv);
/* SOURCE_DATE_EPOCH for signatures; *epoch = 0 (now) when unset. */
int cli_signing_time(const char *cmd, long long *epoch);
struct bs_key;
struct bs_cert;
/* Loads a signing key and its certificate and checks they belong together:
 * 0, or the exit code after the message. */
int cli_load_signer(const char *cmd, const char *key_spec, const char *cert_spec, struct bs_key **key,
		    struct bs_cert **cert);
int cmd_keygen(int argc, char **argv);
int cmd_esl(int argc, char **argv);
int cmd_auth(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_mount(int argc, char **argv);

#endif
