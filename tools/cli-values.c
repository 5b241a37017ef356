/* SPDX-License-Identifier: MIT */
#include <bootseal/fsverity.h>

#include "cli-values.h"
#include "cli.h"

int cli_take_hash_alg(const char *cmd, const struct cli_option *o, const char *value)
{
	if (bs_hash_alg_from_name(value, o->dest) < 0)
		return cli_fail(cmd, "unknown hash algorithm '%s'", value);
	return 0;
}
