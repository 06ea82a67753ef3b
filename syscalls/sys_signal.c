/* Signal syscalls: actions, masks, sending, waiting, the alternate stack, sigreturn, itimers. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

#define NSEC_PER_USEC 1000ULL

SYSCALL_DEFINE(rt_sigaction)
{
	struct guest_sigaction act, old;
	int err;

	if (a[3] != sizeof(gsigset_t))
		return -EINVAL;
	if (a[1] && copy_in(t, &act, a[1], sizeof(act)) < 0)
		return -EFAULT;
	err = task_sigaction(t, (int)a[0], a[1] ? &act : NULL, a[2] ? &old : NULL);
	if (err < 0)
		return err;
	if (a[2] && copy_out(t, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(rt_sigprocmask)
{
	gsigset_t old = t->sig.blocked, set;

	if (a[3] != sizeof(gsigset_t))
		return -EINVAL;
	if (a[1]) {
		if (copy_in(t, &set, a[1], sizeof(set)) < 0)
			return -EFAULT;
		switch ((int)a[0]) {
		case SIG_BLOCK:
			set |= old;
			break;
		case SIG_UNBLOCK:
			set = old & ~set;
			break;
		case SIG_SETMASK:
			break;
		default:
			return -EINVAL;
		}
		task_set_blocked(t, set); /* drops SIGKILL and SIGSTOP silently */
	}
	if (a[2] && copy_out(t, a[2], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/* Linux accepts a shorter set here, and copies that many bytes. */
SYSCALL_DEFINE(rt_sigpending)
{
	gsigset_t set;

	if (a[1] > sizeof(set))
		return -EINVAL;
	set = task_pending_signals(t) & t->sig.blocked;
	if (copy_out(t, a[0], &set, a[1]) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(rt_sigsuspend)
{
	gsigset_t mask;

	if (a[1] != sizeof(mask))
		return -EINVAL;
	if (copy_in(t, &mask, a[0], sizeof(mask)) < 0)
		return -EFAULT;
	return task_sigsuspend(t, &mask);
}

SYSCALL_DEFINE(pause)
{
	return task_sigsuspend(t, NULL);
}

SYSCALL_DEFINE(rt_sigtimedwait)
{
	struct guest_siginfo info;
	struct timespec ts;
	gsigset_t set;
	long sig;

	if (a[3] != sizeof(set))
		return -EINVAL;
	if (copy_in(t, &set, a[0], sizeof(set)) < 0)
		return -EFAULT;
	if (a[2]) {
		if (copy_in(t, &ts, a[2], sizeof(ts)) < 0)
			return -EFAULT;
		if (!timespec_valid(&ts))
			return -EINVAL;
	}
	sig = task_sigtimedwait(t, set, a[2] ? &ts : NULL, &info);
	if (sig > 0 && a[1] && copy_out(t, a[1], &info, sizeof(info)) < 0)
		return -EFAULT;
	return sig;
}

/* The siginfo kill(2) and tkill(2) send: who sent it. */
static void sender_info(struct task *t, int sig, int code, struct guest_siginfo *info)
{
	memset(info, 0, sizeof(*info));
	info->signo = sig;
	info->code = code;
	info->kill.pid = t->tgid;
	info->kill.uid = t->creds.uid;
}

SYSCALL_DEFINE(kill)
{
	struct guest_siginfo info;

	sender_info(t, (int)a[1], SI_USER, &info);
	return task_kill(t, (int)a[0], (int)a[1], &info);
}

SYSCALL_DEFINE(tgkill)
{
	struct guest_siginfo info;
	int tgid = (int)a[0], tid = (int)a[1];

	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	sender_info(t, (int)a[2], SI_TKILL, &info);
	return task_tgkill(t, tgid, tid, (int)a[2], &info);
}

SYSCALL_DEFINE(tkill)
{
	struct guest_siginfo info;
	int tid = (int)a[0];

	if (tid <= 0)
		return -EINVAL;
	sender_info(t, (int)a[1], SI_TKILL, &info);
	return task_tgkill(t, 0, tid, (int)a[1], &info);
}

/*
 * A caller-made siginfo. Nobody may pretend to be the kernel or kill()/tkill() (si_code >= 0
 * or SI_TKILL) towards another task: Linux's EPERM rule, against the caller's thread ID.
 */
static int check_queue_info(struct task *t, int sig, int target, struct guest_siginfo *info)
{
	info->signo = sig;
	if ((info->code >= 0 || info->code == SI_TKILL) && target != t->tid)
		return -EPERM;
	return 0;
}

SYSCALL_DEFINE(rt_sigqueueinfo)
{
	struct guest_siginfo info;
	int pid = (int)a[0], sig = (int)a[1], err;

	if (copy_in(t, &info, a[2], sizeof(info)) < 0)
		return -EFAULT;
	if ((err = check_queue_info(t, sig, pid, &info)) < 0)
		return err;
	/* A process, never a group: POSIX.1b does not mention them. */
	if (pid <= 0)
		return -ESRCH;
	return task_kill(t, pid, sig, &info);
}

SYSCALL_DEFINE(rt_tgsigqueueinfo)
{
	struct guest_siginfo info;
	int tgid = (int)a[0], tid = (int)a[1], sig = (int)a[2], err;

	if (copy_in(t, &info, a[3], sizeof(info)) < 0)
		return -EFAULT;
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if ((err = check_queue_info(t, sig, tid, &info)) < 0)
		return err;
	return task_tgkill(t, tgid, tid, sig, &info);
}

SYSCALL_DEFINE(sigaltstack)
{
	struct guest_stack ss, old;
	int err;

	if (a[0] && copy_in(t, &ss, a[0], sizeof(ss)) < 0)
		return -EFAULT;
	err = task_sigaltstack(t, a[0] ? &ss : NULL, a[1] ? &old : NULL, arch_sp(&t->regs));
	if (err < 0)
		return err;
	if (a[1] && copy_out(t, a[1], &old, sizeof(old)) < 0)
		return -EFAULT;
	return 0;
}

/*
 * Returns the restored return register, which the task loop writes back unchanged. The
 * syscall number is cleared first: that value is the interrupted code's, never a restart code.
 */
SYSCALL_DEFINE(rt_sigreturn)
{
	uint64_t mask;

	t->syscall_nr = NO_SYSCALL;
	if (arch_signal_restore_frame(t, &mask) < 0) {
		struct guest_siginfo info = { .code = SI_KERNEL };

		task_force_signal(t, SIGSEGV, &info);
		return 0;
	}
	task_set_blocked(t, mask);
	return arch_syscall_result(&t->regs);
}

/* No restart block is ever set up (interrupted sleeps restart with their own arguments). */
SYSCALL_DEFINE(restart_syscall)
{
	return -EINTR;
}

/* ---- Interval timers ---- */

struct guest_itimerval {
	struct timeval interval, value;
};

static uint64_t timeval_ns(const struct timeval *tv)
{
	/* Saturate as Linux's ktime does; 2^63 ns is 292 years. */
	if ((uint64_t)tv->tv_sec >= INT64_MAX / (uint64_t)NSEC_PER_SEC)
		return INT64_MAX;
	return tv->tv_sec * (uint64_t)NSEC_PER_SEC + tv->tv_usec * NSEC_PER_USEC;
}

static struct timeval ns_timeval(uint64_t ns)
{
	return (struct timeval){ .tv_sec = ns / (uint64_t)NSEC_PER_SEC,
				 .tv_usec = (ns % (uint64_t)NSEC_PER_SEC) / NSEC_PER_USEC };
}

static bool timeval_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

SYSCALL_DEFINE(getitimer)
{
	struct guest_itimerval v;
	uint64_t value, interval;
	int err;

	if ((err = itimer_get(t, (int)a[0], &value, &interval)) < 0)
		return err;
	v.value = ns_timeval(value);
	v.interval = ns_timeval(interval);
	if (copy_out(t, a[1], &v, sizeof(v)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(setitimer)
{
	struct guest_itimerval nv, ov;
	uint64_t value, interval;
	int err;

	memset(&nv, 0, sizeof(nv)); /* Linux takes a NULL new value as "disarm" */
	if (a[1]) {
		if (copy_in(t, &nv, a[1], sizeof(nv)) < 0)
			return -EFAULT;
		if (!timeval_valid(&nv.value) || !timeval_valid(&nv.interval))
			return -EINVAL;
	}
	err = itimer_set(t, (int)a[0], timeval_ns(&nv.value), timeval_ns(&nv.interval), &value,
			 &interval);
	if (err < 0 || !a[2])
		return err;
	ov.value = ns_timeval(value);
	ov.interval = ns_timeval(interval);
	if (copy_out(t, a[2], &ov, sizeof(ov)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(alarm)
{
	uint64_t old = 0;

	itimer_set(t, ITIMER_REAL, (uint64_t)(uint32_t)a[0] * (uint64_t)NSEC_PER_SEC, 0, &old, NULL);
	/* Never 0 while an alarm is pending; round to the nearest second otherwise (Linux). */
	if ((old && old < (uint64_t)NSEC_PER_SEC) || old % (uint64_t)NSEC_PER_SEC >= (uint64_t)NSEC_PER_SEC / 2)
		return old / (uint64_t)NSEC_PER_SEC + 1;
	return old / (uint64_t)NSEC_PER_SEC;
}
