/* Helpers for the guest test programs: one line per check, errnos by name, a scratch directory.
 * A program prints only facts that are the same natively and in the sandbox; lines starting
 * with '#' are comments that tests/run leaves out of the comparison. */
#ifndef CVISOR_TESTS_GUEST_H
#define CVISOR_TESTS_GUEST_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Call this first: unbuffered stdout, so nothing is printed twice after a fork. */
static inline void guest_init(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
}

/* For a call that returns -1 and sets errno: "name: ok" or "name: ENOENT". */
static inline void report(const char *name, long ret)
{
	if (ret == -1)
		printf("%s: %s\n", name, errname(errno));
	else
		printf("%s: ok\n", name);
}

/* For a call that must fail: "name: EBADF", or "name: succeeded" when it did not fail. */
static inline void report_err(const char *name, long ret)
{
	if (ret == -1)
		printf("%s: %s\n", name, errname(errno));
	else
		printf("%s: succeeded\n", name);
}

static inline void report_bool(const char *name, bool v)
{
	printf("%s: %s\n", name, v ? "yes" : "no");
}

static inline void report_long(const char *name, long v)
{
	printf("%s: %ld\n", name, v);
}

/* A step the checks depend on failed: say so and stop with status 1. */
static inline __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	printf("setup failed: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", errname(e));
	exit(1);
}

/* How a child ended, as a word: "exit 3", "signal SIGKILL". */
static inline const char *status_str(int status)
{
	static char buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "signal %s", sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(buf, sizeof(buf), "status 0x%x", status);
	return buf;
}

/* Waits for pid and returns status_str of how it ended. */
static inline const char *wait_str(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return errname(errno);
	return status_str(status);
}

/* A fresh directory under /tmp, made the current directory; scratch_done() removes it. */
static char scratch_path[64];

static inline void scratch_init(const char *prog)
{
	snprintf(scratch_path, sizeof(scratch_path), "/tmp/cvisor-%s-XXXXXX", prog);
	if (!mkdtemp(scratch_path))
		die("mkdtemp");
	if (chdir(scratch_path) != 0)
		die("chdir %s", scratch_path);
}

static inline int scratch_remove(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void scratch_done(void)
{
	if (chdir("/") != 0 || nftw(scratch_path, scratch_remove, 16, FTW_DEPTH | FTW_PHYS) != 0)
		die("removing %s", scratch_path);
}

#endif
