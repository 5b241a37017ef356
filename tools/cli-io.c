/* SPDX-License-Identifier: MIT */
#include "cli-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/util.h"
#include "cli.h"

int cli_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err)
{
	return bs_read_file(path, 0, max, buf, len, err);
}

void cli_json_print(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cli_parse_jobs(const char *cmd, const char *arg, size_t *jobs)
{
	char *end;

	errno = 0;
	*jobs = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || *arg == '-' || !*jobs || *jobs > 4096) {
		cli_fail(cmd, "invalid job count '%s'", arg);
		return -EINVAL;
	}
	return 0;
}
