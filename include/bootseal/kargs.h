/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_KARGS_H
#define BOOTSEAL_KARGS_H

#include <bootseal/export.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

/*
 * Kernel command lines the way bootc builds them: parameters are split on
 * whitespace outside double quotes, and a parameter is appended unless an
 * equal one is already there (keys compare with '-' and '_' alike, values
 * with the surrounding quotes removed), joined by single spaces.
 */

/*
 * The next parameter of a NUL-terminated command line from *pos (start at
 * 0), split as bs_kargs_append splits: 1 with *start and *len set, 0 at the end
 * (and for a NULL argument, so that a loop on it ends).
 */
BS_EXPORT int bs_kargs_next(const char *cmdline, size_t *pos, const char **start, size_t *len);

/*
 * -EINVAL (err names path and what, e.g. "a kargs.d file") when args holds a
 * composefs= or composefs.* parameter: the composefs image a sealed UKI
 * mounts, and whether fs-verity is required, are the sealer's alone.
 */
BS_EXPORT int bs_kargs_check_no_composefs(const char *args, const char *path, const char *what,
				          struct bs_error *err);

/* Appends the parameters of args to *cmdline (malloc()ed, may start NULL). */
BS_EXPORT int bs_kargs_append(char **cmdline, const char *args);

/*
 * bootc's kargs.d: every usr/lib/bootc/kargs.d/NAME.toml under rootfs, in byte
 * order of the names, each `kargs = ["..."]` with an optional
 * `match-architectures = ["x86_64", ...]` that must name arch (Rust's
 * std::env::consts::ARCH spelling). Other keys are an error, as in bootc;
 * so is a file naming composefs= or composefs.* (bs_kargs_check_no_composefs),
 * whatever its architectures, which bootc would pass on.
 * A missing directory gives an empty command line. *cmdline is malloc()ed.
 */
BS_EXPORT int bs_kargs_read_dir(const char *rootfs, const char *arch, char **cmdline, struct bs_error *err);
/* The same read from a tree (an image's layers), its files' bytes from src;
 * name, when not NULL, prefixes the paths in messages ("NAME: usr/lib/..."). */
BS_EXPORT int bs_kargs_read_tree(struct bs_tree *tree, const struct bs_content_source *src, const char *arch,
			         const char *name, char **cmdline, struct bs_error *err);

/*
 * The kernel's COMMAND_LINE_SIZE (NUL included) for arch, Rust's spelling:
 * 2048 for x86_64 and aarch64, 1024 for riscv64, 2048 for any other. A
 * longer command line is cut by the kernel's EFI stub, so what boots is not
 * what was signed: bs_kargs_check_size() refuses one of size or more bytes
 * with -E2BIG, naming the bound.
 */
BS_EXPORT size_t bs_kargs_max_size(const char *arch);
BS_EXPORT int bs_kargs_check_size(const char *cmdline, const char *arch, const char *path, struct bs_error *err);

/*
 * The composefs image a kernel command line names, read as bootc's initramfs
 * reads it (composefs-rs 0fbc8533 ComposefsCmdline::from_cmdline, SHA-512):
 * the first composefs.digest=[?]vN-sha512-12:HEX (those of another hash are
 * skipped), else the first composefs=[?]HEX, parameters split on ASCII
 * whitespace outside double quotes. The command line ends at len or a NUL
 * (a UKI's .cmdline is padded with them). HEX is 128 hex digits of either
 * case; hex receives it in lower case, the name of images/<hex>.
 */
struct bs_kargs_composefs {
	char hex[129];
	int insecure;           /* "?": fs-verity may be missing */
	int version;            /* EROFS format: 1 for composefs.digest=v1-..., else 2 */
};

/* -ENOENT without either parameter, -EINVAL (err says which) when the first
 * that counts is malformed. */
BS_EXPORT int bs_kargs_composefs(const char *cmdline, size_t len, struct bs_kargs_composefs *out,
		                 struct bs_error *err);

#endif
