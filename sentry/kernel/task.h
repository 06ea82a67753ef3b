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

#define NGROUPS_MAX_GUEST 64

/* Credentials, copied on fork; changed only by the task itself. */
struct creds {
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[NGROUPS_MAX_GUEST];
};

enum task_state {
	TASK_RUNNING,
	TASK_ZOMBIE, /* exited, waiting for its parent to reap it */
	TASK_DEAD,   /* reaped; the struct goes when the last reference does */
};

struct task {
	int tid;  /* the guest's PID (PID namespace of the sandbox); one thread per process */
	int tgid;
	char comm[16]; /* guarded by kernel_lock */

	/* Tree and exit state, guarded by kernel_lock. */
	struct task *parent;
	struct task *children, *sibling; /* singly linked list of children */
	struct task *next_task, *prev_task; /* all tasks, for /proc and kill(-1) */
	enum task_state state;
	int exit_status; /* wait status as wait4 reports it */
	int exit_signal; /* sent to the parent at exit: SIGCHLD, or as clone's CSIGNAL said */
	int pgid, sid;
	struct waitqueue child_exit; /* woken when a child changes state */
	int refs;                    /* guarded by kernel_lock */

	/* Owned by the task; shared objects are refcounted. */
	struct mm *mm;
	struct fdtable *files;
	struct fs_context *fs;
	struct creds creds;
	struct rlimit rlimits[16];

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

/* Process creation (fork, vfork, clone) and execve; used by sys_process.c. */
long task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t parent_tid,
		uint64_t child_tid, uint64_t tls);
long task_execve(struct task *t, const char *path, char *const argv[], char *const envp[]);

/* Ends the calling task's host thread (after task_exit_group's work); never returns. */
void task_thread_exit(void) __attribute__((noreturn));

/* Runs a vfork child on the parent's host thread until it execs or exits. */
void task_run_vfork_child(struct task *parent, struct task *child);

/* Runs the task's loop (guest code, syscalls, signals) on the calling host thread. */
void task_run(struct task *t) __attribute__((noreturn));


#endif
