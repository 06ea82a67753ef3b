/*
 * Tasks: one guest thread each, run by one sentry host thread (task context). The task tree,
 * PIDs and exit/wait state are guarded by kernel_lock (sentry/kernel/kernel.h); the rest of a
 * task is touched only by its own host thread unless a field's comment says otherwise.
 */
#ifndef CVISOR_KERNEL_TASK_H
#define CVISOR_KERNEL_TASK_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "sentry/arch/arch.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/waitqueue.h"

struct mm;
struct fdtable;     /* sentry/vfs/fdtable.h */
struct fs_context;  /* sentry/vfs/vfs.h: root, cwd, umask */
struct platform_as;
struct platform_ctx;
struct seccomp_profile; /* sentry/kernel/seccomp.h */

#define NGROUPS_MAX_GUEST 64

/* Credentials, copied on fork; changed only by the task itself. */
struct creds {
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[NGROUPS_MAX_GUEST];
	/* Capability sets, a bit per CAP_* (sentry/kernel/cred.h); securebits (SECBIT_*). */
	uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bset, cap_ambient;
	unsigned securebits;
};

/*
 * What a process's threads share besides refcounted objects, kept in its thread group's leader
 * as the group's shared signals are (sentry/kernel/signal.h): reach it through task_process(t),
 * never through a thread's own copy, which is unused. Linux keeps these in signal_struct.
 */
struct task_process {
	int pgid, sid; /* guarded by kernel_lock */
	/* Written under kernel_lock, rlim_cur atomically: task_rlimit reads it without. */
	struct rlimit rlimits[16];
};

enum task_state {
	TASK_RUNNING,
	TASK_ZOMBIE, /* exited, waiting for its parent to reap it */
	TASK_DEAD,   /* reaped; the struct goes when the last reference does */
};

struct task {
	int tid;  /* the guest's thread ID (PID namespace of the sandbox) */
	int tgid; /* the thread group's (process's) ID: its leader's tid */
	char comm[16]; /* guarded by kernel_lock */

	/* Tree and exit state, guarded by kernel_lock. */
	/*
	 * Thread groups: only the leader (tid == tgid) is in its parent's children list and has
	 * children (a thread's fork makes a child of the leader); every thread's parent is the
	 * leader's. The leader stays, a zombie, until the last thread is gone (nr_threads).
	 */
	struct task *parent;
	struct task *children, *sibling; /* singly linked list of children */
	int nr_threads; /* leader: threads of the group that have not exited */
	/* A thread's leader (NULL: itself), where the group's shared signals and task_process
	 * are; set before the thread runs and changed only by execve once the thread is alone. A
	 * counted reference, so that a thread's struct never outlives its leader's. */
	struct task *group_leader;
	struct task *next_task, *prev_task; /* all tasks, for /proc and kill(-1) */
	enum task_state state;
	int exit_status; /* wait status as wait4 reports it */
	int exit_signal; /* sent to the parent at exit: SIGCHLD, or as clone's CSIGNAL said */
	struct waitqueue child_exit; /* woken when a child changes state */
	int refs;                    /* guarded by kernel_lock */

	/* Owned by the task; shared objects are refcounted. */
	struct mm *mm;
	/* Its guest thread in mm's stub (platform.h), set by mm_activate or clone(CLONE_VM|
	 * CLONE_THREAD); released at the thread's exit. A vfork child borrows its parent's. */
	struct platform_ctx *ctx;
	struct fdtable *files;
	struct fs_context *fs;
	struct creds creds;
	struct task_process process; /* meaningful in a leader only: task_process() */
	/* Security state, inherited by fork and kept across execve. */
	bool no_new_privs;			   /* PR_SET_NO_NEW_PRIVS; never cleared */
	const struct seccomp_profile *seccomp; /* the container's profile, or NULL: unfiltered */

	/* Signals: see sentry/kernel/signal.h. */
	struct sighand *sighand;
	struct task_signals sig;

	/* Registers of the guest thread while it is in the sentry. */
	struct arch_regs regs;
	uint64_t syscall_nr; /* of the syscall being handled, for restarts */
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_list_len;

	/* Host side. */
	pthread_t thread;
	pthread_mutex_t wake_lock; /* guards woken; a leaf lock */
	pthread_cond_t wake_cond;
	bool woken;
	bool in_guest;        /* guarded by wake_lock: running guest code on the platform */
	bool vfork_done;      /* guarded by kernel_lock */
	bool borrowed;        /* a vfork child running on its parent's host thread */
	bool child_subreaper; /* PR_SET_CHILD_SUBREAPER; guarded by kernel_lock */
	struct task *vfork_parent;
	struct waitqueue vfork_wait;

	uint64_t start_time_ns; /* CLOCK_MONOTONIC */
	uint64_t utime_ns, stime_ns;
};

/* The task whose syscall this host thread is running (Linux's current). */
extern __thread struct task *current_task;
static inline struct task *current(void)
{
	return current_task;
}

/* The process (thread group) t belongs to: its leader's task_process. */
static inline struct task_process *task_process(struct task *t)
{
	return &task_shared_owner(t)->process;
}

/* The soft limit of t's process for resource (RLIMIT_*), without kernel_lock. */
static inline rlim_t task_rlimit(struct task *t, int resource)
{
	return __atomic_load_n(&task_process(t)->rlimits[resource].rlim_cur, __ATOMIC_RELAXED);
}

struct sentry_rlimit; /* sentry/sentry.h */

/*
 * For a process made from outside the sandbox (init, runsc exec's): its credentials (root's
 * capabilities if uid is 0: creds_init_caps), and its
 * limits: the host's (RLIMIT_NOFILE's soft one at most 1024), replaced by those given, as
 * runc's setrlimit calls would.
 */
void task_set_initial_creds(struct task *t, uid_t uid, gid_t gid, const gid_t *groups,
			    int ngroups);
void task_set_initial_rlimits(struct task *t, const struct sentry_rlimit *rlimits, int n);

/* A zeroed task with its locks ready; the caller fills it and starts it. */
struct task *task_alloc(void);
/* Starts the task's host thread (task_run). */
int task_start(struct task *t);
void task_get(struct task *t);
void task_put(struct task *t);

/* Looks up a task by guest PID; returns it with a reference, or NULL. */
struct task *task_lookup(int tid);

/* Wakes the task from task_wait_event and, if it is running guest code, interrupts it. */
void task_kick(struct task *t);

/* Makes t->regs.fp hold the thread's FP state (for a signal frame). 0 or -errno. */
int task_fetch_fpregs(struct task *t);

/* Ends the calling task's thread group with the given wait status; never returns. */
void task_exit_group(struct task *t, int status) __attribute__((noreturn));
/*
 * Ends the calling thread (exit(2)); never returns. The last thread of its group ends the
 * process, with status or, when the group is dying (exit_group, a fatal signal), the group's.
 */
void task_exit(struct task *t, int status) __attribute__((noreturn));
/* Takes out of the tree a thread (not a leader) that never ran; kernel_lock held. */
void task_unlink_thread_locked(struct task *t);

/* Process creation (fork, vfork, clone) and execve; used by sys_process.c. */
long task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t parent_tid,
		uint64_t child_tid, uint64_t tls);
long task_execve(struct task *t, const char *path, char *const argv[], char *const envp[]);

/*
 * Puts a new process made from outside the sandbox (runsc exec's) in the task tree, kernel_lock
 * held: a PID of its own, no parent inside (getppid() is 0, as for runc exec's process, whose
 * parent is outside the PID namespace), its own session and process group. Its exit calls
 * kernel_detached_exit_hook and reaps it. Returns the PID or -EAGAIN.
 */
int task_attach_detached_locked(struct task *t);
/* Takes out again a detached task that never ran (its thread could not start). */
void task_detach_unstarted_locked(struct task *t);

/* Ends the calling task's host thread (after task_exit_group's work); never returns. */
void task_thread_exit(void) __attribute__((noreturn));

/* Runs a vfork child on the parent's host thread until it execs or exits. */
void task_run_vfork_child(struct task *parent, struct task *child);

/* Runs the task's loop (guest code, syscalls, signals) on the calling host thread. */
void task_run(struct task *t) __attribute__((noreturn));


#endif
