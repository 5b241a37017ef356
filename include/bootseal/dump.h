/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_DUMP_H
#define BOOTSEAL_DUMP_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdio.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

/*
 * The composefs dump format (composefs-dump(5)): one line per file,
 *   PATH SIZE [@]MODE NLINK UID GID RDEV SEC.NSEC PAYLOAD CONTENT DIGEST [KEY=VALUE]...
 * with `\\ \n \r \t \xNN` escapes and `-` for an empty optional field. A
 * leading `@` on MODE makes the line a hardlink to the path in PAYLOAD.
 * Acceptance follows C mkcomposefs --from-file (v1.0.8) so every input it
 * rejects is rejected here too.
 */

/*
 * Parses a whole dump. name is what errors are reported against (err->path);
 * err->message starts with "line N: ". On success *out owns a new tree whose
 * hardlinks have their primary (first linked) name at the non-`@` line.
 */
BS_EXPORT int bs_dump_parse(const char *buf, size_t len, const char *name, struct bs_tree **out,
		            struct bs_error *err);
/* Reads fd to the end, then parses. */
BS_EXPORT int bs_dump_parse_fd(int fd, const char *name, struct bs_tree **out, struct bs_error *err);

/*
 * Writes the tree depth first in name order, escaping like composefs-info
 * dump; a non-primary name of a hardlinked inode is written as an `@` line.
 */
BS_EXPORT int bs_dump_write(struct bs_tree *tree, FILE *out);

enum {
	/* The dump bootc writes (composefs-rs dumpfile.rs): directories with
	 * size 0 and nlink 2 + subdirectories, further names of a hardlinked
	 * file as "PATH 0 @120000 - - - - 0.0 TARGET - -", xattrs by name. */
	BS_DUMP_COMPOSEFS_RS = 1u << 0,
};
BS_EXPORT int bs_dump_write_flags(struct bs_tree *tree, FILE *out, unsigned flags);

/* One line per name, like composefs-info ls: "PATH/" and a tab for
 * directories, "PATH\t-> TARGET" for symlinks, "PATH\t@ PAYLOAD" for
 * external files. */
BS_EXPORT int bs_dump_list(struct bs_tree *tree, FILE *out);

#endif
