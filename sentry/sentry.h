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

	/* Set by runsc's OCI commands (create, run); runsc do leaves them at their "none". */
	const gid_t *groups;  /* the guest's supplementary groups */
	int ngroups;
	int umask;            /* the guest's umask; -1: 022 */
	const struct sentry_rlimit *rlimits; /* overriding the host's limits */
	int nrlimits;
	bool readonly_root;   /* the root file system refuses writes (EROFS) */
	int control_fd;       /* listening control socket (sentry/control.h), or -1 */
	int ready_fd;         /* control_start writes a byte when the guest is ready, or -1 */
	bool wait_for_start;  /* the guest runs when the control channel says "start" */
};

struct sentry_rlimit {
	int resource; /* RLIMIT_* */
	unsigned long long soft, hard;
};

/* The sentry process's main: never returns; exits with the guest's status (128+N: signal N). */
int sentry_main(const struct sentry_config *cfg) __attribute__((noreturn));

/* Confines the sentry: no capabilities, no new privileges, the seccomp allow-list. */
int sentry_seal(void);

#endif
