/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the UKI builder's parsing of its inputs: the input is
 * both the systemd stub (PE checks, .sbat merge, header room) and the kernel
 * (x86 setup header: release string, init_size), since a bzImage is itself
 * a PE. bs_uki_build reads paths, so the input is rewritten to a private
 * temporary file for each run.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bootseal/pe.h>
#include <bootseal/uki.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sbat[] = { "sbat,1,SBAT Version,sbat,1,https://example.org\n"
					    "fuzz,1,Fuzz,fuzz,1,https://example.org\n" };
	struct bs_uki_params p = {
		.cmdline = "root=/dev/sda rw", .cmdline_len = 16,
		.os_release = "ID=fuzz\n", .os_release_len = 8,
		.sbat = sbat, .n_sbat = 1,
	};
	struct bs_error err = { 0 };
	struct bs_pe *uki = NULL;
	char release[128];
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "%s/input", fz_private_dir("uki"));
	(void)bs_uki_kernel_release(data, size, release, sizeof(release));

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	p.stub = path;
	p.linux_path = path;
	if (bs_uki_build(&p, &uki, &err) == 0)
		bs_pe_free(uki);
	return 0;
}
