/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_CLI_IO_H
#define BOOTSEAL_CLI_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

#include "cli-util.h"


/*
 * Text from the input (a layer's paths, a JSON string, a UKI's sections)
 * for a terminal: control bytes as \xNN, so that it stays on its line and
 * cannot drive the terminal. len SIZE_MAX: up to the NUL.
 */
void cli_put_visible(FILE *out, const char *text, size_t len);

/*
 * A file name or other bytes from the input as a JSON string, which must be
 * UTF-8: valid UTF-8 as it is, every other byte and the backslash as \xNN
 * (the dump format's escape), so that distinct names stay distinct.
 * NULL when out of memory, which json-c's adders take.
 */
json_object *cli_json_name(const char *name);

/* Prints o as indented JSON on stdout, one document, and releases it. */
void cli_json_print(json_object *o);

/* A decimal number from min to max, as strtoul reads it but without a sign:
 * 0, or -EINVAL (no message: the caller names the option). */
int cli_parse_ulong(const char *arg, unsigned long min, unsigned long max, unsigned long *out);

/* The tree as a dump file (flags: BS_DUMP_*), whole or not at all; "-" is
 * standard output. --write-dumpfile-to takes BS_DUMP_COMPOSEFS_RS, what
 * bootc writes. */
int cli_write_dumpfile(struct bs_tree *tree, const char *path, unsigned flags, struct bs_error *err);

#endif
