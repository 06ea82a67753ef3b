/* Starting a sentry: what runsc hands the sentry process it forks. */
#ifndef CVISOR_SENTRY_H
#define CVISOR_SENTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct seccomp_profile; /* sentry/kernel/seccomp.h */

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

	/* The console (process.terminal, runsc-cli/console.h): console_fd is a host terminal in
	 * raw mode (the replica of runsc's pty, whose master went to the console socket); the
	 * guest's stdio is a sentry pty joined to it, its controlling terminal. */
	bool console;
	int console_fd;

	/* Security of the guest's first process (runsc's OCI commands; runsc do: none given). */
	bool has_caps;            /* caps below are process.capabilities; else root's full sets */
	uint64_t caps_bounding, caps_effective, caps_inheritable, caps_permitted, caps_ambient;
	bool no_new_privs;        /* process.noNewPrivileges */
	const struct seccomp_profile *seccomp; /* linux.seccomp compiled, or NULL */

	/* The bundle's mounts (sentry/mounts.h), set by runsc's OCI commands. mounts NULL
	 * (runsc do): the default tree (/proc, /dev, /dev/shm). Otherwise the root and its /dev
	 * (and /dev/shm), then exactly these in order, then readonly_paths, then masked_paths. */
	const struct sentry_mount *mounts;
	int nmounts;
	const char *const *readonly_paths; /* NULL-terminated, or NULL */
	const char *const *masked_paths;   /* NULL-terminated, or NULL */
};

/* sentry_mount.flags */
#define SENTRY_MOUNT_RDONLY 0x1
#define SENTRY_MOUNT_NOSUID 0x2
#define SENTRY_MOUNT_NODEV 0x4
#define SENTRY_MOUNT_NOEXEC 0x8
#define SENTRY_MOUNT_RECURSIVE 0x10 /* rbind */

/* What a mount of the bundle becomes; runsc-cli/mounts.c makes these from config.json. */
enum sentry_mount_type {
	SENTRY_MOUNT_BIND, /* a gofer export, not overlaid: writes reach the host */
	SENTRY_MOUNT_TMPFS,
	SENTRY_MOUNT_PROC,
	SENTRY_MOUNT_SYSFS,
	SENTRY_MOUNT_DEVPTS,
	SENTRY_MOUNT_MQUEUE,
	SENTRY_MOUNT_CGROUP,
};

struct sentry_mount {
	const char *destination;   /* absolute, in the sandbox */
	enum sentry_mount_type type;
	const char *source;	   /* bind: the host path; else what /proc/mounts shows */
	unsigned int flags;	   /* SENTRY_MOUNT_* */
	unsigned int export_index; /* bind: the gofer's export (1, 2 ...; 0 is the rootfs) */
	int mode;		   /* tmpfs mode=: the root directory's permissions, or -1 */
	long long uid, gid;	   /* tmpfs uid=, gid=: the root directory's owner, or -1 */
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
