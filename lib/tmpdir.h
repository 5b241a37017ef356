/* SPDX-License-Identifier: MIT */
/* Internal: private working directories; not part of the public API. */
#ifndef BOOTSEAL_TMPDIR_H
#define BOOTSEAL_TMPDIR_H

/*
 * A private (0700) working directory that a killed bootseal does not leave
 * behind for good: it is flocked for as long as its process lives, and
 * creating one removes the directories of the same prefix that nobody holds
 * any more, so the next run cleans up after a SIGKILL. Some hold private
 * keys (keygen), some gigabytes (an OCI layout being written).
 */
/* Zero-initialised, it holds nothing. */
struct bs_tmpdir {
	char *path;     /* NULL unless created */
	int lock;       /* an fd only while path is set */
};

/* Creates PREFIX followed by six random characters; 0 or a negative errno. */
int bs_tmpdir_create(struct bs_tmpdir *t, const char *prefix);
/* Removes the directory and everything in it; safe to call twice. */
void bs_tmpdir_remove(struct bs_tmpdir *t);
/* The caller renamed the directory into place: keep it, drop the lock. */
void bs_tmpdir_keep(struct bs_tmpdir *t);

/* rm -rf on one file system, never following symlinks. */
void bs_rm_rf(const char *path);

#endif
