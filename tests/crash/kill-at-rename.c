/* SPDX-License-Identifier: MIT */
/*
 * Test-only LD_PRELOAD shim: SIGKILL at an exact rename, so
 * tests/integration/crash-safety.sh can stop a run at each of its renames in
 * turn instead of at random times. The product has no hook for it.
 *
 *   KILL_AT_RENAME=N     raise SIGKILL just before the Nth rename call
 *   KILL_AFTER_RENAME=N  ... just after the Nth one returned
 *   RENAME_LOG=FILE      append "N FUNCTION FROM TO" for each call
 *
 * rename, renameat and renameat2 count alike, in every thread.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned int calls;

static unsigned int env_number(const char *name)
{
	const char *v = getenv(name);

	return v ? (unsigned int)strtoul(v, NULL, 10) : 0;
}

static unsigned int before(const char *fn, const char *from, const char *to)
{
	unsigned int n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
	const char *log = getenv("RENAME_LOG");

	if (log) {
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dprintf(fd, "%u %s %s %s\n", n, fn, from, to);
			close(fd);
		}
	}
	if (n == env_number("KILL_AT_RENAME"))
		raise(SIGKILL);
	return n;
}

static int after(unsigned int n, int ret)
{
	if (n == env_number("KILL_AFTER_RENAME"))
		raise(SIGKILL);
	return ret;
}

int rename(const char *from, const char *to)
{
	int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	unsigned int n = before("rename", from, to);

	return after(n, real(from, to));
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int (*real)(int, const char *, int, const char *) =
		(int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
	unsigned int n = before("renameat", from, to);

	return after(n, real(fromfd, from, tofd, to));
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
	int (*real)(int, const char *, int, const char *, unsigned int) =
		(int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
	unsigned int n = before("renameat2", from, to);

	return after(n, real(fromfd, from, tofd, to, flags));
}
