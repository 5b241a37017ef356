/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_KARGS_H
#define BOOTSEAL_KARGS_H

#include <bootseal/error.h>

/*
 * Kernel command lines the way bootc builds them: parameters are split on
 * whitespace outside double quotes, and a parameter is appended unless an
 * equal one is already there (keys compare with '-' and '_' alike, values
 * with the surrounding quotes removed), joined by single spaces.
 */

/* Appends the parameters of args to *cmdline (malloc()ed, may start NULL). */
int bs_kargs_append(char **cmdline, const char *args);

/*
 * bootc's kargs.d: every usr/lib/bootc/kargs.d/NAME.toml under rootfs, in byte
 * order of the names, each `kargs = ["..."]` with an optional
 * `match-architectures = ["x86_64", ...]` that must name arch (Rust's
 * std::env::consts::ARCH spelling). Other keys are an error, as in bootc.
 * A missing directory gives an empty command line. *cmdline is malloc()ed.
 */
int bs_kargs_read_dir(const char *rootfs, const char *arch, char **cmdline, struct bs_error *err);

#endif
