/* Guest signals: actions, masks, pending queues, delivery through the arch's signal frame. */
#ifndef CVISOR_KERNEL_SIGNAL_H
#define CVISOR_KERNEL_SIGNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define GUEST_NSIG 64
/* The kernel's SIGRTMIN (glibc's SIGRTMIN is 34: it keeps two for itself). */
#define GUEST_SIGRTMIN 32

/* A guest signal set, bit (sig-1) for signal sig, as the kernel's sigset_t. */
typedef uint64_t gsigset_t;
#define GSIG_BIT(sig) (1ULL << ((sig)-1))

/* Kernel ABI values glibc's <signal.h> does not give (the same on x86-64 and arm64). */
#define GUEST_SA_RESTORER 0x04000000
#define GUEST_SA_EXPOSE_TAGBITS 0x00000800
#define GUEST_SS_AUTODISARM (1U << 31)

/* The guest's struct sigaction layout (kernel ABI: handler, flags, restorer, mask). */
struct guest_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	gsigset_t mask;
};

/* The kernel's siginfo_t: 128 bytes; the fields cvisor fills. */
struct guest_siginfo {
	int32_t signo;
	int32_t errno_;
	int32_t code;
	int32_t pad0;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			int32_t status; /* SIGCHLD */
			int32_t pad;
			int64_t utime, stime;
		} kill;
		struct {
			int32_t pid;
			uint32_t uid;
			uint64_t value; /* sigqueue's union sigval */
		} rt;
		struct {
			uint64_t addr; /* SIGSEGV, SIGBUS ... */
		} fault;
		struct {
			uint64_t call_addr; /* SIGSYS from seccomp: after the syscall instruction */
			int32_t syscall;
			uint32_t arch; /* AUDIT_ARCH_* */
		} sys;
		uint8_t raw[112];
	};
};

/* The guest's stack_t (sigaltstack, uc_stack). */
struct guest_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

/* Signal actions, shared by threads (CLONE_SIGHAND); refcounted. */
struct sighand {
	/*
	 * Guards actions. Writers hold kernel_lock and then this lock, so a reader may hold
	 * either: the send and delivery paths read under kernel_lock. Lock order: kernel_lock,
	 * then sighand.lock, then the leaf locks.
	 */
	pthread_mutex_t lock;
	int refs; /* atomic */
	struct guest_sigaction actions[GUEST_NSIG];
};

struct pending_signal {
	struct guest_siginfo info;
	struct pending_signal *next;
};

/* jobctl bits: job control of one thread. */
#define JOBCTL_STOP_PENDING 0x1 /* the group is stopping: stop before running guest code */
#define JOBCTL_STOPPED 0x2	/* stopped: sleeps until SIGCONT or SIGKILL */

/* wait_report: a job-control change the parent's wait4 has not seen (leader only). */
enum { WAIT_REPORT_NONE, WAIT_REPORT_STOPPED, WAIT_REPORT_CONTINUED };

struct task;

/*
 * Per-task signal state; guarded by kernel_lock except where said. Fields marked "atomic" are
 * written under kernel_lock with __atomic stores and read without it by the task itself
 * (task_signal_pending): a sender sets them before task_kick(), whose wake_lock orders the
 * store before the sleeper's next check, so no wake-up is lost.
 */
struct task_signals {
	gsigset_t blocked;	/* atomic; written only by the task itself */
	gsigset_t real_blocked; /* rt_sigtimedwait: the mask it replaced; not discarded at send */
	gsigset_t pending;	/* atomic; bit set while a signal is queued */
	struct pending_signal *queue; /* arrival order; standard signals once, RT ones each */
	int queued;		      /* entries in queue */
	/* Process-directed signals of the group, kept in the leader (task_shared_owner), the
	 * same way; any thread of the group that does not block one takes it. */
	gsigset_t shared_pending; /* atomic */
	struct pending_signal *shared_queue;
	int shared_queued;
	gsigset_t saved_mask; /* restored after rt_sigsuspend/ppoll-style calls; the task's own */
	bool restore_mask;
	uint64_t altstack_sp, altstack_size; /* sigaltstack; the task's own */
	int altstack_flags;		     /* as given to sigaltstack (GUEST_SS_AUTODISARM) */

	int kill_status; /* atomic; nonzero: the thread must exit; KILL_STATUS_* */
	unsigned jobctl; /* atomic; JOBCTL_* */

	/* Group job control, kept in the thread-group leader. */
	int stop_sig;	    /* the signal of the stop in progress or in force */
	int stop_count;	    /* threads yet to stop */
	bool group_stopped; /* every thread has stopped */
	int wait_report;    /* WAIT_REPORT_*, for wait4 WUNTRACED/WCONTINUED */

	/* Interval timers of the process (leader), guarded by itimer.c's lock. */
	uint64_t itimer_real_deadline; /* CLOCK_MONOTONIC ns; 0: disarmed */
	uint64_t itimer_real_interval; /* ns */
	/* ITIMER_VIRTUAL and ITIMER_PROF: kept and reported, never run. */
	uint64_t itimer_cpu_value[2], itimer_cpu_interval[2];
	struct task *itimer_next; /* on the timer thread's list, which holds a reference */
	bool itimer_listed;
};

/* kill_status: set, with the group's wait status in the low bits (exit_group(0)'s is 0). */
#define KILL_STATUS_DYING 0x10000
#define KILL_STATUS_MASK 0xffff

/*
 * The thread group of t is dying with wait status: every thread leaves what it is doing and
 * exits (its platform run interrupted). kernel_lock held.
 */
void task_group_exit_locked(struct task *t, int status);
/* execve: every other thread of t's group exits (t stays). kernel_lock held. */
void task_kill_other_threads_locked(struct task *t);

struct sighand *sighand_new(void);
struct sighand *sighand_copy(struct sighand *old);
void sighand_get(struct sighand *sh);
void sighand_put(struct sighand *sh);
/* On execve: handlers go back to SIG_DFL; ignored signals stay ignored. Call without
 * kernel_lock (it takes it). */
void sighand_reset_for_exec(struct sighand *sh);

/*
 * Queues sig for t, thread-directed as tkill (info may be NULL: SI_USER from the sentry, or
 * from the current task if there is one) and wakes t. Permission and the range of sig are the
 * caller's; sig 0 does nothing. Side effects apply even when the signal is then discarded
 * (ignored): SIGCONT resumes the stopped group, a stop signal cancels a pending SIGCONT.
 * 0, or -EAGAIN when a real-time signal with a sender's siginfo cannot be queued.
 */
int task_send_signal(struct task *t, int sig, const struct guest_siginfo *info);
int task_send_signal_locked(struct task *t, int sig, const struct guest_siginfo *info);
/*
 * The same, process-directed (kill, SIGCHLD, SIGALRM): queued for t's whole group, and any
 * thread of it that does not block sig (t first) is kicked to take it; if every thread blocks
 * it, the first one to unblock it (or sigwait for it) does.
 */
int task_group_send_signal_locked(struct task *t, int sig, const struct guest_siginfo *info);
/* A synchronous fault (SIGSEGV, SIGBUS ...): delivered even if blocked or ignored, as
 * Linux's force_sig_info (the handler is reset to SIG_DFL then). */
int task_force_signal(struct task *t, int sig, const struct guest_siginfo *info);
/*
 * True when t must leave a sleep for signal work: an unblocked pending signal, a group exit,
 * or a group stop to join. Lock-free (see struct task_signals). A stopped task's sleep is
 * ended only by SIGKILL (its stop condition ends with SIGCONT).
 */
bool task_signal_pending(struct task *t);

/*
 * Called on every way back to guest code. in_syscall: the loop has just run syscall
 * t->syscall_nr and stored its result *syscall_ret in the return register; this turns an
 * -ERESTART* result into -EINTR (updating *syscall_ret) or a restart, as Linux does, and
 * writes the registers itself: the loop must not touch them afterwards. syscall_ret may be
 * NULL when in_syscall is false. Delivers every deliverable signal (a handler frame each,
 * nested, as Linux), joins group stops, restores an rt_sigsuspend-style saved mask.
 * Does not return when a signal ends the thread group (task_exit_group).
 * t->syscall_nr == NO_SYSCALL (set by rt_sigreturn) disables restart handling.
 * Restart of ERESTART_RESTARTBLOCK (nanosleep ...) re-runs the original syscall with its
 * original arguments: restart_syscall(2) and restart blocks are not implemented.
 */
void task_handle_signals(struct task *t, long *syscall_ret, bool in_syscall);
#define NO_SYSCALL ((uint64_t)-1)

/* Default action of a signal. */
enum sig_default { SIG_DFL_TERM, SIG_DFL_IGN, SIG_DFL_CORE, SIG_DFL_STOP, SIG_DFL_CONT };
enum sig_default signal_default_action(int sig);

/* The calling task's signal mask (SIGKILL and SIGSTOP are dropped from it). */
void task_set_blocked(struct task *t, gsigset_t mask);
/*
 * For rt_sigsuspend, ppoll, pselect6, epoll_pwait: installs mask for the duration of the call
 * and remembers the old one. If the call ends without being interrupted, call
 * task_restore_sigmask_unless(t, false); when it returns -ERESTARTNOHAND/-EINTR because of a
 * signal, pass true: the handler frame then saves the old mask (so the handler runs with the
 * temporary one plus its own) and task_handle_signals restores it.
 */
void task_set_temporary_sigmask(struct task *t, gsigset_t mask);
void task_restore_sigmask_unless(struct task *t, bool interrupted);

/* Where t's group keeps its shared pending signals and task_process: its leader (set at clone
 * and execve; a task made without it, its own). */
struct task *task_shared_owner(struct task *t);
/* t's pending signals, its own and its group's, read without kernel_lock by t itself. */
gsigset_t task_pending_lockless(struct task *t);

/* Signals pending for t (thread and process), blocked or not. */
gsigset_t task_pending_signals(struct task *t);
/* Takes the lowest pending signal in set (signalfd, sigtimedwait). Its number, or 0. */
int task_dequeue_signal(struct task *t, gsigset_t set, struct guest_siginfo *info);

/* rt_sigaction on t's handlers: act and/or old may be NULL. 0 or -EINVAL. */
int task_sigaction(struct task *t, int sig, const struct guest_sigaction *act,
		   struct guest_sigaction *old);
/* rt_sigsuspend, pause: sleep with mask (NULL: the current one) until a signal arrives.
 * Returns -ERESTARTNOHAND, as Linux, for task_handle_signals to turn into -EINTR. */
long task_sigsuspend(struct task *t, const gsigset_t *mask);
/* rt_sigtimedwait: the signal number, -EAGAIN when timeout (relative, NULL: none) passes,
 * -EINTR when another signal comes first. */
long task_sigtimedwait(struct task *t, gsigset_t set, const struct timespec *timeout,
		       struct guest_siginfo *info);
/* sigaltstack with the task's stack pointer sp; ss and/or old may be NULL. 0, -EPERM (on
 * the alternate stack), -EINVAL, -ENOMEM (below arch_minsigstksz). */
int task_sigaltstack(struct task *t, const struct guest_stack *ss, struct guest_stack *old,
		     uint64_t sp);
/* Linux's __on_sig_stack: sp within the alternate stack (base, base + size]. */
static inline bool sigaltstack_contains(const struct task_signals *s, uint64_t sp)
{
	return sp > s->altstack_sp && sp - s->altstack_sp <= s->altstack_size;
}

/* Linux's on_sig_stack: with GUEST_SS_AUTODISARM the stack is off while a handler runs on
 * it, so the task is never "on" it. */
static inline bool sigaltstack_on(const struct task_signals *s, uint64_t sp)
{
	return !(s->altstack_flags & GUEST_SS_AUTODISARM) && sigaltstack_contains(s, sp);
}

/* The architecture's MINSIGSTKSZ (sentry/arch/<arch>/signal.c). */
extern const uint64_t arch_minsigstksz;

/*
 * kill(2), sig 0..64 (0: existence and permission only): pid > 0 its process, 0 the caller's
 * process group, -1 every process but init and the caller, < -1 the group -pid. Permission:
 * same thread group, root, or a real/effective uid of the sender equal to the target's real
 * or saved uid; SIGCONT within a session. 0, -ESRCH, -EPERM, -EINVAL, -EAGAIN.
 */
int task_kill(struct task *sender, int pid, int sig, const struct guest_siginfo *info);
/* POSIX's orphaned process group (no member has a parent in another group of its session):
 * job control stops do not apply to it. Under kernel_lock. */
bool task_pgrp_orphaned_locked(int pgid);
/* tgkill/tkill/rt_tgsigqueueinfo: the thread tid, in thread group tgid unless tgid <= 0. */
int task_tgkill(struct task *sender, int tgid, int tid, int sig, const struct guest_siginfo *info);

/*
 * Interval timers (sentry/kernel/itimer.c): which is ITIMER_REAL (SIGALRM to the process, from
 * one sentry timer thread), ITIMER_VIRTUAL or ITIMER_PROF (kept and reported, never expire).
 * Values in ns; value 0 disarms. old_* may be NULL. 0 or -EINVAL/-ENOMEM.
 */
int itimer_set(struct task *t, int which, uint64_t value, uint64_t interval, uint64_t *old_value,
	       uint64_t *old_interval);
int itimer_get(struct task *t, int which, uint64_t *value, uint64_t *interval);

/*
 * A sentry timer (timerfd's), run by the ITIMER_REAL timer thread: when CLOCK_MONOTONIC
 * reaches deadline, the thread calls fire(arg) once, with itimer.c's lock held, so fire may
 * take only wait-queue locks (it wakes a queue) and must not arm a timer. Zero it, set fire
 * and arg; its owner disarms it before freeing it.
 */
struct ktimer {
	void (*fire)(void *arg);
	void *arg;
	/* Guarded by itimer.c's lock. */
	uint64_t deadline; /* CLOCK_MONOTONIC ns; 0: not armed */
	struct ktimer *next, **pprev;
};
/* Arms kt for deadline (replacing an earlier arming); 0 disarms, and once that returns fire
 * neither runs nor will. 0 or -ENOMEM (no timer thread). */
int ktimer_arm(struct ktimer *kt, uint64_t deadline);

/*
 * Woken whenever a signal is queued for any task (signal.c's send path): signalfd readers and
 * pollers sleep on it, since a blocked signal does not kick its task. One queue for every
 * task: a waiter whose signals did not change looks and sleeps again.
 */
struct waitqueue *signal_queued_waitqueue(void);

#endif
