/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_ATOMICFILE_H
#define BOOTSEAL_ATOMICFILE_H

#include <bootseal/export.h>

#include <sys/types.h>

#include <bootseal/error.h>

/*
 * An output file that appears whole or not at all: written unnamed
 * (O_TMPFILE) in the destination's directory, or under a hidden temporary
 * name where the file system has no O_TMPFILE, fsynced, then named.
 * Dropping it without commit (or a crash) leaves the destination untouched,
 * and a crash leaves no temporary behind where O_TMPFILE works.
 */
struct bs_atomicfile {
	int fd;
	char *path;      /* final name */
	char *tmp_path;  /* the O_EXCL temporary beside it; NULL while unnamed */
	int tmp_slot;    /* tmp_path's place among the temporaries a signal removes */
};

/* mode is applied at creation (0600 for keys, so no wider window exists).
 * An existing path that is not a regular file (after symlinks) is refused:
 * a device or a directory is never replaced. */
BS_EXPORT int bs_atomicfile_open(struct bs_atomicfile *f, const char *path, mode_t mode, struct bs_error *err);
/* noreplace: fail with -EEXIST instead of replacing an existing file. */
BS_EXPORT int bs_atomicfile_commit(struct bs_atomicfile *f, int noreplace, struct bs_error *err);
/* Removes the temporary file if not committed; safe to call twice. */
BS_EXPORT void bs_atomicfile_abort(struct bs_atomicfile *f);

/*
 * Removes every temporary file and directory this process is writing (named
 * temporaries here, the hidden layouts and private directories of the OCI
 * writer, seal and keygen), with async-signal-safe calls only. For a SIGINT
 * or SIGTERM handler, which then lets the signal end the process: the
 * destinations stay as they were. The library installs no handler. Threads
 * of bootseal's work queue block these signals, so the handler runs on the
 * thread that creates and removes the temporaries.
 */
BS_EXPORT void bs_atomicfile_remove_temporaries(void);

/* Whole-buffer convenience. */
BS_EXPORT int bs_atomicfile_write_all(const char *path, const void *buf, size_t len, mode_t mode,
			              int noreplace, struct bs_error *err);

#endif
