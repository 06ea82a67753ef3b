/* Starting a sentry: what runsc hands the sentry process it forks. */
#ifndef CVISOR_SENTRY_H
#define CVISOR_SENTRY_H

#include <stdbool.h>
#include <sys/types.h>

struct sentry_config {
	char **argv;          /* the guest's first program and its arguments */
	char **envp;          /* its environment */
	const char *cwd;      /* its working directory inside the sandbox */
	uid_t uid;            /* its credentials */
	gid_t gid;
	const char *hostname; /* NULL: the host's */
	const char *platform; /* "ptrace" */
	bool strace;          /* log every guest syscall (to debug_fd, else stderr) */
	int debug_fd;         /* --debug-log, or -1 */
	int gofer_fd;         /* the sentry's end of the gofer connection */
	int sync_in;          /* runsc writes one byte once the user namespace maps are set */
	int sync_out;         /* the sentry writes one byte once its root is the empty dir */
	const char *empty_root; /* the directory to chroot into */
};

/* The sentry process's main: never returns; exits with the guest's status (128+N: signal N). */
int sentry_main(const struct sentry_config *cfg) __attribute__((noreturn));

/* Confines the sentry: no capabilities, no new privileges, the seccomp allow-list. */
int sentry_seal(void);

#endif
