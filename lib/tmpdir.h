/* SPDX-License-Identifier: MIT */
/* Internal: private working directories; not part of the public API. */
#ifndef BOOTSEAL_TMPDIR_INTERNAL_H
#define BOOTSEAL_TMPDIR_INTERNAL_H

#include <signal.h>

#include <bootseal/tmpdir.h>

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
	int slot;       /* in the registry of temporaries (bsi_tmp_remember), 0 if none */
};

/* Creates PREFIX followed by six random characters; 0 or a negative errno. */
int bsi_tmpdir_create(struct bs_tmpdir *t, const char *prefix);
/* Removes the directory and everything in it; safe to call twice. */
void bsi_tmpdir_remove(struct bs_tmpdir *t);
/* The caller renamed the directory into place: keep it, drop the lock. */
void bsi_tmpdir_keep(struct bs_tmpdir *t);

/* rm -rf on one file system, never following symlinks. */
void bsi_rm_rf(const char *path);

/*
 * The temporary files and directories being written, removed by
 * bs_atomicfile_remove_temporaries() when a signal ends the process (the
 * library installs no handler; the CLI does). A path is registered once it
 * exists and unregistered once it is renamed or removed; both are safe
 * against a signal arriving in between. Returns a slot for bsi_tmp_forget,
 * or 0 when all are taken (the path is then only left to the reaping of
 * bsi_tmpdir_create); bsi_tmp_forget(0) does nothing.
 */
int bsi_tmp_remember(const char *path);
void bsi_tmp_forget(int slot);
/* Signals that end a process, blocked while a temporary name is created and
 * registered, so a handler never misses one that exists. */
void bsi_tmp_block_signals(sigset_t *old);
void bsi_tmp_restore_signals(const sigset_t *old);
/* Removes every registered path; async-signal-safe. */
void bsi_tmp_remove_all(void);

#endif
