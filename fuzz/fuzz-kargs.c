/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for bootc kargs.d: the input is one
 * usr/lib/bootc/kargs.d/NAME.toml of a rootfs (the file is rewritten in a
 * private temporary directory for each run, as the parser reads a
 * directory), and, up to its first NUL, a command line appended twice to a
 * fixed one (the second time nothing may be added) and searched for the
 * composefs image it names.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootseal/kargs.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *root;
static char file[256];

/* ROOT/usr/lib/bootc/kargs.d/10-fuzz.toml, the file each run rewrites. */
static void setup(void)
{
	static const char *const dirs[] = { "usr", "usr/lib", "usr/lib/bootc", "usr/lib/bootc/kargs.d" };

	root = fz_private_dir("kargs");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s", root, dirs[i]);
		mkdir(file, 0755);
	}
	snprintf(file, sizeof(file), "%s/usr/lib/bootc/kargs.d/10-fuzz.toml", root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_kargs_composefs karg;
	struct bs_error err = { 0 };
	char *cmdline = NULL, *args;
	size_t once;
	int fd;

	if (!root)
		setup();
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (bs_kargs_read_dir(root, "x86_64", &cmdline, &err) == 0)
		free(cmdline);

	args = strndup((const char *)data, size);
	if (!args)
		return 0;
	cmdline = strdup("root=UUID=1 rw quiet");
	if (cmdline && bs_kargs_append(&cmdline, args) == 0) {
		once = strlen(cmdline);
		if (bs_kargs_append(&cmdline, args) == 0 && strlen(cmdline) != once) {
			fprintf(stderr, "appending the same arguments twice grew the command line\n");
			abort();
		}
	}
	free(cmdline);
	(void)bs_kargs_composefs(args, strlen(args), &karg, NULL);
	free(args);
	return 0;
}
