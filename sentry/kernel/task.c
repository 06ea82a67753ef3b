/*
 * Tasks and the task loop: each guest thread is run by one sentry host thread, which switches
 * to guest code through the platform and handles what comes back (syscalls, faults, signals).
 */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/mm.h"
#include "sentry/sentry.h"
#include "syscalls/syscalls.h"

__thread struct task *current_task;
/*
 * Where task_exit_group returns to: the bottom of the task's host thread, or the vfork parent
 * that lent its thread. pthread_exit would unwind, which loads libgcc_s from a path the sealed
 * sentry can no longer open.
 */
static __thread jmp_buf *task_exit_target;

void task_thread_exit(void)
{
	longjmp(*task_exit_target, 1);
}

struct task *task_alloc(void)
{
	struct task *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (!t)
		return NULL;
	t->refs = 1;
	t->nr_threads = 1; /* a new process: a group of one */
	t->state = TASK_RUNNING;
	waitqueue_init(&t->child_exit);
	waitqueue_init(&t->vfork_wait);
	pthread_mutex_init(&t->wake_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake_cond, &ca);
	pthread_condattr_destroy(&ca);
	t->start_time_ns = kernel_monotonic_ns();
	return t;
}

void task_set_initial_creds(struct task *t, uid_t uid, gid_t gid, const gid_t *groups,
			    int ngroups)
{
	t->creds.uid = t->creds.euid = t->creds.suid = t->creds.fsuid = uid;
	t->creds.gid = t->creds.egid = t->creds.sgid = t->creds.fsgid = gid;
	t->creds.ngroups = ngroups < NGROUPS_MAX_GUEST ? ngroups : NGROUPS_MAX_GUEST;
	for (int i = 0; i < t->creds.ngroups; i++)
		t->creds.groups[i] = groups[i];
	creds_init_caps(&t->creds);
}

void task_set_initial_rlimits(struct task *t, const struct sentry_rlimit *rlimits, int n)
{
	struct rlimit rl;

	struct rlimit *lim = t->process.rlimits; /* t is a new process, not yet running */
	int nres = sizeof(t->process.rlimits) / sizeof(t->process.rlimits[0]);

	for (int r = 0; r < nres; r++) {
		if (getrlimit(r, &rl) < 0)
			rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		lim[r] = rl;
	}
	if (lim[RLIMIT_NOFILE].rlim_cur > 1024)
		lim[RLIMIT_NOFILE].rlim_cur = 1024;
	for (int i = 0; i < n; i++) {
		const struct sentry_rlimit *l = &rlimits[i];

		if (l->resource < 0 || l->resource >= nres)
			continue;
		lim[l->resource].rlim_cur = l->soft;
		lim[l->resource].rlim_max = l->hard;
	}
}

void task_get(struct task *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void task_put(struct task *t)
{
	struct pending_signal *p, *next;

	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (p = t->sig.queue; p; p = next) {
		next = p->next;
		free(p);
	}
	for (p = t->sig.shared_queue; p; p = next) {
		next = p->next;
		free(p);
	}
	pthread_cond_destroy(&t->wake_cond);
	pthread_mutex_destroy(&t->wake_lock);
	task_put(t->group_leader);
	free(t);
}

struct task *task_lookup(int tid)
{
	struct task *t;

	pthread_mutex_lock(&kernel_lock);
	t = pid_lookup_locked(tid);
	if (t && t->state != TASK_DEAD)
		task_get(t);
	else
		t = NULL;
	pthread_mutex_unlock(&kernel_lock);
	return t;
}

void task_kick(struct task *t)
{
	pthread_mutex_lock(&t->wake_lock);
	t->woken = true;
	pthread_cond_signal(&t->wake_cond);
	if (t->in_guest && t->ctx)
		platform->interrupt(t->ctx);
	pthread_mutex_unlock(&t->wake_lock);
}

int task_fetch_fpregs(struct task *t)
{
	if (t->regs.fp_valid || t->regs.fp_dirty || !t->ctx)
		return 0;
	return platform->get_fpregs(t->ctx, &t->regs);
}

static void set_in_guest(struct task *t, bool in)
{
	pthread_mutex_lock(&t->wake_lock);
	t->in_guest = in;
	pthread_mutex_unlock(&t->wake_lock);
}

/* The task loop; returns only for a vfork child that has just exec'd on a borrowed thread. */
static void task_loop(struct task *t)
{
	struct platform_fault fault;
	uint64_t args[6];

	current_task = t;
	for (;;) {
		enum platform_event ev;
		long ret;
		int err;

		if ((err = mm_activate(t->mm, &t->ctx)) < 0) {
			log_warn("task %d: cannot start its address space: %s", t->tid, strerror(-err));
			task_exit_group(t, SIGKILL);
		}
		set_in_guest(t, true);
		/* A signal sent before in_guest was set must not wait for the next syscall. */
		if (task_signal_pending(t)) {
			set_in_guest(t, false);
			task_handle_signals(t, NULL, false);
			continue;
		}
		ev = platform->run(t->ctx, &t->regs, &fault);
		set_in_guest(t, false);

		switch (ev) {
		case PLATFORM_SYSCALL: {
			uint64_t nr = arch_syscall_nr(&t->regs);

			if (platform->patch_code && fault.code == PLATFORM_SYSCALL_TRAPPED)
				arch_patch_syscall(t);
			for (int i = 0; i < 6; i++)
				args[i] = arch_syscall_arg(&t->regs, i);
			t->syscall_nr = nr;
			ret = syscall_dispatch(t, nr, args);
			arch_set_return(&t->regs, (uint64_t)ret);
			task_handle_signals(t, &ret, true);
			if (t->borrowed && t->vfork_done)
				return;
			break;
		}
		case PLATFORM_FAULT: {
			struct guest_siginfo info = { 0 };

			info.signo = fault.signo;
			info.code = fault.code;
			info.fault.addr = fault.addr;
			if (fault.signo == SIGSEGV && mm_handle_fault(t->mm, fault.addr, true) == 0)
				break;
			if (fault.signo == SIGILL && arch_patch_fault(t, arch_ip(&t->regs)))
				break;
			task_force_signal(t, fault.signo, &info);
			task_handle_signals(t, NULL, false);
			break;
		}
		case PLATFORM_INTERRUPTED:
			task_handle_signals(t, NULL, false);
			break;
		case PLATFORM_DIED:
			log_warn("task %d: its stub died", t->tid);
			task_exit_group(t, SIGKILL);
		}
	}
}

void task_run(struct task *t)
{
	task_loop(t);
	panic("task %d left its loop", t->tid);
}

static void *task_thread_main(void *arg)
{
	struct task *t = arg;
	jmp_buf bottom;
	char name[16];

	snprintf(name, sizeof(name), "task-%d", t->tid);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	task_exit_target = &bottom;
	if (setjmp(bottom) == 0)
		task_run(t);
	current_task = NULL;
	return NULL;
}

/*
 * A vfork child shares its parent's address space, whose stub only the parent's host thread
 * may drive; the parent is suspended until the child execs or exits, so its thread runs the
 * child meanwhile, then hands an exec'd child a thread of its own. The caller holds a
 * reference on child for the borrowed thread.
 */
void task_run_vfork_child(struct task *parent, struct task *child)
{
	jmp_buf *saved = task_exit_target, back;

	task_fetch_fpregs(parent);
	child->borrowed = true;
	task_exit_target = &back;
	if (setjmp(back) == 0) {
		task_loop(child);
		/* Exec'd: the child has its own address space now and needs its own thread. */
		child->borrowed = false;
		if (task_start(child) < 0)
			task_send_signal(child, SIGKILL, NULL);
		task_put(child);
	}
	/* Exited (task_exit_group dropped the borrowed reference) or handed off. */
	task_exit_target = saved;
	current_task = parent;
	parent->regs.fp_dirty = true;
}

int task_start(struct task *t)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The thread holds its own reference until it exits. */
	task_get(t);
	err = pthread_create(&t->thread, &attr, task_thread_main, t);
	pthread_attr_destroy(&attr);
	if (err) {
		task_put(t);
		return -err;
	}
	return 0;
}
