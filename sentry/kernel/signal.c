/*
 * Guest signals as Linux's kernel/signal.c: sending and queueing, job control (stop/continue),
 * delivery on the way back to guest code, and the signal side of wait4 and kill.
 */
#include "sentry/kernel/cred.h"
#include "sentry/kernel/signal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/kernel/exit.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "syscalls/syscalls.h"

#define GUEST_SIG_DFL 0
#define GUEST_SIG_IGN 1

#define SIGS_KILL_STOP (GSIG_BIT(SIGKILL) | GSIG_BIT(SIGSTOP))
#define SIGS_STOP (GSIG_BIT(SIGSTOP) | GSIG_BIT(SIGTSTP) | GSIG_BIT(SIGTTIN) | GSIG_BIT(SIGTTOU))
/* Faults of the current instruction go first, as Linux's SYNCHRONOUS_MASK. */
#define SIGS_SYNC                                                                                  \
	(GSIG_BIT(SIGSEGV) | GSIG_BIT(SIGBUS) | GSIG_BIT(SIGILL) | GSIG_BIT(SIGTRAP) |             \
	 GSIG_BIT(SIGFPE) | GSIG_BIT(SIGSYS))

/*
 * Real-time signals with a sender's siginfo queue up to this many per task; past it they fail
 * with EAGAIN. Linux's RLIMIT_SIGPENDING is per user and typically tens of thousands.
 */
#define SIGQUEUE_MAX 4096

#define LOAD(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)

/* signalfd's: woken by queue_signal_locked (a blocked signal kicks no task). */
static struct waitqueue signal_queued_wq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.head = { .next = &signal_queued_wq.head, .prev = &signal_queued_wq.head },
};

struct waitqueue *signal_queued_waitqueue(void)
{
	return &signal_queued_wq;
}

/* ---- Handlers ---- */

struct sighand *sighand_new(void)
{
	struct sighand *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	pthread_mutex_init(&sh->lock, NULL);
	sh->refs = 1;
	return sh;
}

struct sighand *sighand_copy(struct sighand *old)
{
	struct sighand *sh = sighand_new();

	if (!sh)
		return NULL;
	pthread_mutex_lock(&old->lock);
	memcpy(sh->actions, old->actions, sizeof(sh->actions));
	pthread_mutex_unlock(&old->lock);
	return sh;
}

void sighand_get(struct sighand *sh)
{
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
}

void sighand_put(struct sighand *sh)
{
	if (!sh || __atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

void sighand_reset_for_exec(struct sighand *sh)
{
	pthread_mutex_lock(&kernel_lock);
	pthread_mutex_lock(&sh->lock);
	for (int i = 0; i < GUEST_NSIG; i++) {
		struct guest_sigaction *a = &sh->actions[i];

		if (a->handler != GUEST_SIG_IGN)
			a->handler = GUEST_SIG_DFL;
		a->flags = 0;
		a->restorer = 0;
		a->mask = 0;
	}
	pthread_mutex_unlock(&sh->lock);
	pthread_mutex_unlock(&kernel_lock);
}

enum sig_default signal_default_action(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
		return SIG_DFL_IGN;
	case SIGCONT:
		return SIG_DFL_CONT;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return SIG_DFL_STOP;
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return SIG_DFL_CORE;
	default:
		return SIG_DFL_TERM; /* the rest of the standard signals, SIGKILL, real-time ones */
	}
}

/* A handler value that means "ignore sig" (Linux's sig_handler_ignored). */
static bool handler_ignores(uint64_t handler, int sig)
{
	enum sig_default d = signal_default_action(sig);

	return handler == GUEST_SIG_IGN ||
	       (handler == GUEST_SIG_DFL && (d == SIG_DFL_IGN || d == SIG_DFL_CONT));
}

/* ---- Thread groups; kernel_lock held ---- */

/* The next task of t's thread group after th (NULL: the first), live or not. */
static struct task *next_thread(struct task *t, struct task *th)
{
	for (th = th ? th->next_task : kernel_tasks; th; th = th->next_task)
		if (th->tgid == t->tgid)
			return th;
	return NULL;
}

static struct task *group_leader(struct task *t)
{
	struct task *l;

	if (t->tid == t->tgid)
		return t;
	l = pid_lookup_locked(t->tgid);
	return l && l->tgid == t->tgid ? l : t;
}

static bool task_live(struct task *t)
{
	return t->state == TASK_RUNNING;
}

/* ---- Queues; kernel_lock held ---- */

struct task *task_shared_owner(struct task *t)
{
	struct task *l = __atomic_load_n(&t->group_leader, __ATOMIC_ACQUIRE);

	return l ? l : t;
}

gsigset_t task_pending_lockless(struct task *t)
{
	return LOAD(&t->sig.pending) | LOAD(&task_shared_owner(t)->sig.shared_pending);
}

/*
 * One queue of pending signals: a thread's own (thread-directed: tkill, faults), or its group's
 * shared one, kept in the leader (process-directed: kill, SIGCHLD), which any thread that does
 * not block a signal may take it from.
 */
struct sigq {
	gsigset_t *pending;
	struct pending_signal **queue;
	int *queued;
};

static struct sigq own_q(struct task *t)
{
	return (struct sigq){ &t->sig.pending, &t->sig.queue, &t->sig.queued };
}

static struct sigq shared_q(struct task *t)
{
	struct task *l = task_shared_owner(t);

	return (struct sigq){ &l->sig.shared_pending, &l->sig.shared_queue, &l->sig.shared_queued };
}

static void set_pending(struct sigq q, gsigset_t set)
{
	STORE(q.pending, *q.pending | set);
}

static void clear_pending(struct sigq q, gsigset_t set)
{
	STORE(q.pending, *q.pending & ~set);
}

/* Removes every queued instance of the signals in set. */
static void flush_queue_locked(struct sigq q, gsigset_t set)
{
	struct pending_signal **pp = q.queue, *p;

	if (!(*q.pending & set))
		return;
	while ((p = *pp) != NULL) {
		if (GSIG_BIT(p->info.signo) & set) {
			*pp = p->next;
			free(p);
			(*q.queued)--;
		} else {
			pp = &p->next;
		}
	}
	clear_pending(q, set);
}

/* From t's queue and its group's shared one. */
static void flush_signals_locked(struct task *t, gsigset_t set)
{
	flush_queue_locked(own_q(t), set);
	flush_queue_locked(shared_q(t), set);
}

static int queue_signal_locked(struct sigq q, int sig, const struct guest_siginfo *info)
{
	bool rt_with_info = sig >= GUEST_SIGRTMIN && info->code < 0;
	struct pending_signal *p = NULL, **pp;

	/* Standard signals coalesce: one pending instance, with the first sender's siginfo. */
	if (sig < GUEST_SIGRTMIN && (*q.pending & GSIG_BIT(sig)))
		return 0;
	if (!rt_with_info || *q.queued < SIGQUEUE_MAX)
		p = malloc(sizeof(*p));
	if (p) {
		p->info = *info;
		p->next = NULL;
		for (pp = q.queue; *pp; pp = &(*pp)->next)
			;
		*pp = p;
		(*q.queued)++;
	} else if (rt_with_info) {
		return -EAGAIN; /* sigqueue, tkill: the sender learns it was not queued */
	}
	/* Otherwise (kill(), the kernel) Linux sets the bit and loses the siginfo: so do we. */
	set_pending(q, GSIG_BIT(sig));
	waitqueue_wake_all(&signal_queued_wq);
	return 0;
}

/* The signal to take next from pending & allowed: faults first, then the lowest. */
static int next_signal(gsigset_t pending, gsigset_t allowed)
{
	gsigset_t p = pending & allowed;

	if (!p)
		return 0;
	if (p & SIGS_SYNC)
		p &= SIGS_SYNC;
	return __builtin_ctzll(p) + 1;
}

/* Takes one instance of sig off a queue. */
static void collect_signal_locked(struct sigq q, int sig, struct guest_siginfo *info)
{
	struct pending_signal **pp = q.queue, *p, *found = NULL;
	bool more = false;

	while ((p = *pp) != NULL) {
		if (p->info.signo == sig) {
			if (found) {
				more = true;
				break;
			}
			found = p;
			*pp = p->next;
			continue;
		}
		pp = &p->next;
	}
	if (found) {
		*info = found->info;
		free(found);
		(*q.queued)--;
	} else {
		/* Queued without its siginfo (allocation failed): as Linux, an SI_USER one. */
		memset(info, 0, sizeof(*info));
		info->signo = sig;
		info->code = SI_USER;
	}
	if (!more)
		clear_pending(q, GSIG_BIT(sig));
}

/* The thread's own signals first, then its group's, as Linux's dequeue_signal. */
static int dequeue_signal_locked(struct task *t, gsigset_t allowed, struct guest_siginfo *info)
{
	struct sigq q = own_q(t);
	int sig = next_signal(*q.pending, allowed);

	if (!sig) {
		q = shared_q(t);
		sig = next_signal(*q.pending, allowed);
	}
	if (sig)
		collect_signal_locked(q, sig, info);
	return sig;
}

/* ---- Job control; kernel_lock held ---- */

/* SIGCHLD with CLD_STOPPED/CLD_CONTINUED to the parent (Linux's do_notify_parent_cldstop). */
static void notify_parent_cldstop_locked(struct task *leader, int code, int status)
{
	struct task *parent = leader->parent;
	struct guest_siginfo info;
	bool nocldstop;

	if (!parent || !task_live(parent))
		return;
	memset(&info, 0, sizeof(info));
	info.signo = SIGCHLD;
	info.code = code;
	info.kill.pid = leader->tgid;
	info.kill.uid = leader->creds.uid;
	info.kill.status = status;
	nocldstop = parent->sighand->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP;
	if (!nocldstop)
		task_group_send_signal_locked(parent, SIGCHLD, &info);
	/* wait4(WUNTRACED/WCONTINUED) hears of it even when SIGCHLD is not sent. */
	waitqueue_wake_all(&parent->child_exit);
}

/* Linux's prepare_signal: what sending sig does to t's group before it is queued or dropped. */
static void prepare_signal_locked(struct task *t, int sig)
{
	struct task *th, *leader;

	if (GSIG_BIT(sig) & SIGS_STOP) {
		for (th = next_thread(t, NULL); th; th = next_thread(t, th))
			flush_signals_locked(th, GSIG_BIT(SIGCONT));
	} else if (sig == SIGCONT) {
		leader = group_leader(t);
		for (th = next_thread(t, NULL); th; th = next_thread(t, th)) {
			flush_signals_locked(th, SIGS_STOP);
			if (th->sig.jobctl & (JOBCTL_STOP_PENDING | JOBCTL_STOPPED)) {
				STORE(&th->sig.jobctl,
				      th->sig.jobctl & ~(JOBCTL_STOP_PENDING | JOBCTL_STOPPED));
				task_kick(th);
			}
		}
		if (leader->sig.group_stopped) {
			leader->sig.wait_report = WAIT_REPORT_CONTINUED;
			notify_parent_cldstop_locked(leader, CLD_CONTINUED, SIGCONT);
		}
		leader->sig.group_stopped = false;
		leader->sig.stop_count = 0;
	}
}

/* Starts a group stop for sig, unless one is in progress; t stops too. */
static void begin_group_stop_locked(struct task *t, int sig)
{
	struct task *leader = group_leader(t), *th;
	int count = 0;

	if (t->sig.jobctl & JOBCTL_STOP_PENDING)
		return;
	leader->sig.stop_sig = sig;
	for (th = next_thread(t, NULL); th; th = next_thread(t, th)) {
		if (!task_live(th) || (th->sig.jobctl & JOBCTL_STOPPED))
			continue;
		STORE(&th->sig.jobctl, th->sig.jobctl | JOBCTL_STOP_PENDING);
		count++;
		if (th != t)
			task_kick(th);
	}
	leader->sig.stop_count = count;
}

static bool stop_is_over(void *arg)
{
	struct task *t = arg;

	return !(LOAD(&t->sig.jobctl) & JOBCTL_STOPPED) || LOAD(&t->sig.kill_status);
}

/*
 * t joins its group's stop: the last one to stop tells the parent. Called with kernel_lock
 * held, returns with it released after SIGCONT or SIGKILL.
 */
static void do_signal_stop_locked(struct task *t)
{
	struct task *leader = group_leader(t);

	STORE(&t->sig.jobctl, (t->sig.jobctl & ~JOBCTL_STOP_PENDING) | JOBCTL_STOPPED);
	if (leader->sig.stop_count > 0 && --leader->sig.stop_count == 0) {
		leader->sig.group_stopped = true;
		leader->sig.wait_report = WAIT_REPORT_STOPPED;
		notify_parent_cldstop_locked(leader, CLD_STOPPED, leader->sig.stop_sig);
	}
	pthread_mutex_unlock(&kernel_lock);
	/* No queue: SIGCONT and SIGKILL kick the task. Only a kill counts as "pending" here. */
	task_wait_event(t, NULL, stop_is_over, t, NULL);
}

/*
 * A process group is orphaned when no member has a parent in another group of the same
 * session (POSIX): nobody is left to continue it, so SIGTSTP/SIGTTIN/SIGTTOU do not stop it.
 * The sandbox's init counts as a parent like any other: it is a container's init, not the
 * host's.
 */
static bool pgrp_orphaned_locked(int pgid)
{
	for (struct task *p = kernel_tasks; p; p = p->next_task) {
		struct task_process *pp = task_process(p), *parent;

		if (pp->pgid != pgid || !task_live(p) || !p->parent)
			continue;
		parent = task_process(p->parent);
		if (parent->pgid != pgid && parent->sid == pp->sid)
			return false;
	}
	return true;
}

bool task_pgrp_orphaned_locked(int pgid)
{
	return pgrp_orphaned_locked(pgid);
}

int task_wait_stopped_locked(struct task *c, int options, struct wait_result *res, bool consume)
{
	struct task *leader = group_leader(c);
	int status, code;

	if (c->state != TASK_RUNNING)
		return 0;
	if ((options & WUNTRACED) && leader->sig.wait_report == WAIT_REPORT_STOPPED &&
	    leader->sig.group_stopped) {
		status = (leader->sig.stop_sig << 8) | 0x7f;
		code = CLD_STOPPED;
	} else if ((options & WCONTINUED) && leader->sig.wait_report == WAIT_REPORT_CONTINUED) {
		status = 0xffff;
		code = CLD_CONTINUED;
	} else {
		return 0;
	}
	if (res) {
		res->pid = c->tgid;
		res->uid = c->creds.uid;
		res->status = status;
		res->code = code;
	}
	if (consume)
		leader->sig.wait_report = WAIT_REPORT_NONE;
	return 1;
}

/* ---- Sending ---- */

/*
 * t would take sig now (Linux's wants_signal). A stopped task takes only SIGKILL: anything
 * else, even a fatal signal, waits for SIGCONT.
 */
static bool wants_signal(struct task *t, int sig)
{
	if (!task_live(t) || t->sig.kill_status || (t->sig.blocked & GSIG_BIT(sig)))
		return false;
	return sig == SIGKILL || !(t->sig.jobctl & JOBCTL_STOPPED);
}

/* Linux's sig_ignored: dropped at send time unless blocked (it may be unignored meanwhile). */
static bool sig_ignored_locked(struct task *t, int sig)
{
	if ((t->sig.blocked | t->sig.real_blocked) & GSIG_BIT(sig))
		return false;
	return handler_ignores(t->sighand->actions[sig - 1].handler, sig);
}

/* The whole group dies with this wait status: every thread leaves what it is doing. */
static void group_kill_locked(struct task *t, int status)
{
	struct task *th;

	for (th = next_thread(t, NULL); th; th = next_thread(t, th)) {
		if (!task_live(th) || th->sig.kill_status)
			continue;
		STORE(&th->sig.kill_status, (status & KILL_STATUS_MASK) | KILL_STATUS_DYING);
		task_kick(th);
	}
}

void task_group_exit_locked(struct task *t, int status)
{
	group_kill_locked(t, status);
}

void task_kill_other_threads_locked(struct task *t)
{
	struct task *th;

	for (th = next_thread(t, NULL); th; th = next_thread(t, th)) {
		if (th == t || !task_live(th) || th->sig.kill_status)
			continue;
		STORE(&th->sig.kill_status, SIGKILL | KILL_STATUS_DYING);
		task_kick(th);
	}
}

/*
 * Linux's complete_signal shortcut: a signal whose default action terminates (not core) and
 * that target would take now kills the group at once, without waiting for it to run.
 */
static bool sig_fatal_now(struct task *target, int sig)
{
	if (sig == SIGKILL)
		return true;
	return wants_signal(target, sig) && !(target->sig.real_blocked & GSIG_BIT(sig)) &&
	       target->sighand->actions[sig - 1].handler == GUEST_SIG_DFL &&
	       signal_default_action(sig) == SIG_DFL_TERM;
}

static void default_siginfo(struct guest_siginfo *si, int sig)
{
	struct task *cur = current();

	memset(si, 0, sizeof(*si));
	si->signo = sig;
	si->code = SI_USER;
	if (cur) {
		si->kill.pid = cur->tgid;
		si->kill.uid = cur->creds.uid;
	}
}

static int send_signal_locked(struct task *t, int sig, const struct guest_siginfo *info, bool group)
{
	struct task *target = t, *th;
	struct guest_siginfo si;
	int err;

	if (sig == 0)
		return 0;
	if (sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	/* A process whose leader has exited: a live thread of it stands for it. */
	if (group && !task_live(t)) {
		for (th = next_thread(t, NULL); th; th = next_thread(t, th))
			if (task_live(th))
				break;
		if (th)
			t = target = th;
	}
	/* A zombie, or a group already dying, takes no more signals (Linux returns 0 too). */
	if (!task_live(t) || t->sig.kill_status)
		return 0;
	prepare_signal_locked(t, sig);
	if (sig_ignored_locked(t, sig))
		return 0;
	if (info)
		si = *info;
	else
		default_siginfo(&si, sig);
	si.signo = sig;

	if (group && !wants_signal(t, sig)) {
		for (th = next_thread(t, NULL); th; th = next_thread(t, th)) {
			if (wants_signal(th, sig)) {
				target = th;
				break;
			}
		}
	}
	if (sig_fatal_now(target, sig)) {
		group_kill_locked(target, sig);
		return 0;
	}
	/* A process's signal waits in the group's queue for any thread that takes it. */
	err = queue_signal_locked(group ? shared_q(t) : own_q(target), sig, &si);
	if (err < 0)
		return err;
	if (wants_signal(target, sig))
		task_kick(target);
	return 0;
}

int task_send_signal_locked(struct task *t, int sig, const struct guest_siginfo *info)
{
	return send_signal_locked(t, sig, info, false);
}

int task_group_send_signal_locked(struct task *t, int sig, const struct guest_siginfo *info)
{
	return send_signal_locked(t, sig, info, true);
}

int task_send_signal(struct task *t, int sig, const struct guest_siginfo *info)
{
	int err;

	pthread_mutex_lock(&kernel_lock);
	err = task_send_signal_locked(t, sig, info);
	pthread_mutex_unlock(&kernel_lock);
	return err;
}

int task_force_signal(struct task *t, int sig, const struct guest_siginfo *info)
{
	struct guest_sigaction *act;
	struct guest_siginfo si;
	int err;

	if (sig <= 0 || sig > GUEST_NSIG)
		return -EINVAL;
	if (info)
		si = *info;
	else
		default_siginfo(&si, sig);
	si.signo = sig;
	pthread_mutex_lock(&kernel_lock);
	pthread_mutex_lock(&t->sighand->lock);
	act = &t->sighand->actions[sig - 1];
	if (act->handler == GUEST_SIG_IGN || (t->sig.blocked & GSIG_BIT(sig))) {
		act->handler = GUEST_SIG_DFL;
		STORE(&t->sig.blocked, t->sig.blocked & ~GSIG_BIT(sig));
	}
	pthread_mutex_unlock(&t->sighand->lock);
	/* Not through send_signal_locked: a fault is never ignored nor taken by another thread. */
	if (task_live(t) && !t->sig.kill_status) {
		err = queue_signal_locked(own_q(t), sig, &si);
		task_kick(t);
	} else {
		err = 0;
	}
	pthread_mutex_unlock(&kernel_lock);
	return err;
}

bool task_signal_pending(struct task *t)
{
	unsigned jobctl = LOAD(&t->sig.jobctl);

	if (LOAD(&t->sig.kill_status))
		return true;
	if (jobctl & JOBCTL_STOPPED)
		return false;
	if (jobctl & JOBCTL_STOP_PENDING)
		return true;
	/* blocked is written only by t itself: this thread. */
	return (task_pending_lockless(t) & ~t->sig.blocked) != 0;
}

/* ---- Masks ---- */

void task_set_blocked(struct task *t, gsigset_t mask)
{
	pthread_mutex_lock(&kernel_lock);
	STORE(&t->sig.blocked, mask & ~SIGS_KILL_STOP);
	pthread_mutex_unlock(&kernel_lock);
}

void task_set_temporary_sigmask(struct task *t, gsigset_t mask)
{
	t->sig.saved_mask = t->sig.blocked;
	t->sig.restore_mask = true;
	task_set_blocked(t, mask);
}

void task_restore_sigmask_unless(struct task *t, bool interrupted)
{
	if (interrupted || !t->sig.restore_mask)
		return;
	t->sig.restore_mask = false;
	task_set_blocked(t, t->sig.saved_mask);
}

gsigset_t task_pending_signals(struct task *t)
{
	gsigset_t set;

	pthread_mutex_lock(&kernel_lock);
	set = t->sig.pending | task_shared_owner(t)->sig.shared_pending;
	pthread_mutex_unlock(&kernel_lock);
	return set;
}

int task_dequeue_signal(struct task *t, gsigset_t set, struct guest_siginfo *info)
{
	int sig;

	pthread_mutex_lock(&kernel_lock);
	sig = dequeue_signal_locked(t, set, info);
	pthread_mutex_unlock(&kernel_lock);
	return sig;
}

/* ---- Delivery ---- */

static int fatal_status(struct task *t, int sig)
{
	/* A core is "dumped" (WCOREDUMP) only where Linux would write one: RLIMIT_CORE > 0. */
	bool core = signal_default_action(sig) == SIG_DFL_CORE && task_rlimit(t, RLIMIT_CORE);

	return sig | (core ? 0x80 : 0);
}

static bool is_restart_code(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	       ret == -ERESTART_RESTARTBLOCK;
}

static void set_syscall_result(struct task *t, long *syscall_ret, long v)
{
	*syscall_ret = v;
	arch_set_return(&t->regs, (uint64_t)v);
}

/* A handler is about to run: EINTR unless the call restarts (Linux's handle_signal). */
static void restart_for_handler(struct task *t, long *syscall_ret, uint64_t sa_flags)
{
	switch (*syscall_ret) {
	case -ERESTARTSYS:
		if (!(sa_flags & SA_RESTART)) {
			set_syscall_result(t, syscall_ret, -EINTR);
			break;
		}
		arch_restart_syscall(&t->regs, t->syscall_nr);
		break;
	case -ERESTARTNOINTR:
		arch_restart_syscall(&t->regs, t->syscall_nr);
		break;
	default: /* ERESTARTNOHAND, ERESTART_RESTARTBLOCK */
		set_syscall_result(t, syscall_ret, -EINTR);
		break;
	}
}

/*
 * Runs sig's handler: a frame on the guest stack, then the handler's mask. False when the
 * frame could not be written.
 */
static bool deliver_to_handler(struct task *t, int sig, const struct guest_siginfo *info,
			       const struct guest_sigaction *act)
{
	gsigset_t old = t->sig.restore_mask ? t->sig.saved_mask : t->sig.blocked, blocked;

	if (task_fetch_fpregs(t) < 0 || arch_signal_setup_frame(t, sig, info, act, old) < 0)
		return false;
	t->sig.restore_mask = false;
	blocked = t->sig.blocked | act->mask;
	if (!(act->flags & SA_NODEFER))
		blocked |= GSIG_BIT(sig);
	task_set_blocked(t, blocked);
	if (t->sig.altstack_flags & GUEST_SS_AUTODISARM) {
		t->sig.altstack_sp = 0;
		t->sig.altstack_size = 0;
		t->sig.altstack_flags = SS_DISABLE;
	}
	return true;
}

void task_handle_signals(struct task *t, long *syscall_ret, bool in_syscall)
{
	bool restart = in_syscall && syscall_ret && t->syscall_nr != NO_SYSCALL &&
		       is_restart_code(*syscall_ret);
	struct guest_siginfo info;
	struct guest_sigaction act;
	int sig, status;

	for (;;) {
		pthread_mutex_lock(&kernel_lock);
		if ((status = t->sig.kill_status) != 0) {
			pthread_mutex_unlock(&kernel_lock);
			task_exit(t, status & KILL_STATUS_MASK);
		}
		if (t->sig.jobctl & JOBCTL_STOP_PENDING) {
			do_signal_stop_locked(t);
			continue;
		}
		sig = dequeue_signal_locked(t, ~t->sig.blocked, &info);
		if (!sig) {
			pthread_mutex_unlock(&kernel_lock);
			break;
		}
		act = t->sighand->actions[sig - 1];
		if (act.handler == GUEST_SIG_IGN) {
			pthread_mutex_unlock(&kernel_lock);
			continue;
		}
		if (act.handler == GUEST_SIG_DFL) {
			switch (signal_default_action(sig)) {
			case SIG_DFL_IGN:
			case SIG_DFL_CONT:
				break;
			case SIG_DFL_STOP:
				if (sig == SIGSTOP || !pgrp_orphaned_locked(task_process(t)->pgid))
					begin_group_stop_locked(t, sig);
				break;
			case SIG_DFL_TERM:
			case SIG_DFL_CORE:
				status = fatal_status(t, sig);
				group_kill_locked(t, status);
				pthread_mutex_unlock(&kernel_lock);
				task_exit(t, status);
			}
			pthread_mutex_unlock(&kernel_lock);
			continue;
		}
		if (act.flags & SA_RESETHAND) {
			pthread_mutex_lock(&t->sighand->lock);
			t->sighand->actions[sig - 1].handler = GUEST_SIG_DFL;
			pthread_mutex_unlock(&t->sighand->lock);
		}
		pthread_mutex_unlock(&kernel_lock);

		if (restart) {
			restart_for_handler(t, syscall_ret, act.flags);
			restart = false;
		}
		if (!deliver_to_handler(t, sig, &info, &act)) {
			/* Linux's force_sigsegv: SIGSEGV's own frame failing is fatal. */
			if (sig == SIGSEGV)
				task_exit_group(t, fatal_status(t, SIGSEGV));
			memset(&info, 0, sizeof(info));
			info.code = SI_KERNEL;
			task_force_signal(t, SIGSEGV, &info);
		}
		/* More signals get nested frames now, as Linux does; the last runs first. */
	}
	if (restart) {
		/* No handler ran: the call starts again (ERESTART_RESTARTBLOCK too; see the
		 * header). */
		arch_restart_syscall(&t->regs, t->syscall_nr);
	}
	task_restore_sigmask_unless(t, false);
}

/* ---- Syscall-level operations ---- */

#define KNOWN_SA_FLAGS                                                                             \
	(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER |         \
	 SA_RESETHAND | GUEST_SA_RESTORER | GUEST_SA_EXPOSE_TAGBITS)

int task_sigaction(struct task *t, int sig, const struct guest_sigaction *act,
		   struct guest_sigaction *old)
{
	struct sighand *sh = t->sighand;
	struct task *th;

	if (sig < 1 || sig > GUEST_NSIG || (act && (GSIG_BIT(sig) & SIGS_KILL_STOP)))
		return -EINVAL;
	pthread_mutex_lock(&kernel_lock);
	pthread_mutex_lock(&sh->lock);
	if (old)
		*old = sh->actions[sig - 1];
	if (act) {
		struct guest_sigaction *a = &sh->actions[sig - 1];

		*a = *act;
		/* Unknown flags are cleared, so SA_UNSUPPORTED probes see what is supported. */
		a->flags &= KNOWN_SA_FLAGS;
		a->mask &= ~SIGS_KILL_STOP;
		/* POSIX: setting an action that ignores sig discards it where it is pending. */
		if (handler_ignores(a->handler, sig)) {
			for (th = next_thread(t, NULL); th; th = next_thread(t, th))
				flush_queue_locked(own_q(th), GSIG_BIT(sig));
			flush_queue_locked(shared_q(t), GSIG_BIT(sig));
		}
	}
	pthread_mutex_unlock(&sh->lock);
	pthread_mutex_unlock(&kernel_lock);
	return 0;
}

static bool always_false(void *arg)
{
	return false;
}

long task_sigsuspend(struct task *t, const gsigset_t *mask)
{
	if (mask)
		task_set_temporary_sigmask(t, *mask);
	/* No queue: a sender kicks the task. The wait ends only with a signal. */
	while (task_wait_event(t, NULL, always_false, NULL, NULL) != -ERESTARTSYS)
		;
	return -ERESTARTNOHAND;
}

long task_sigtimedwait(struct task *t, gsigset_t set, const struct timespec *timeout,
		       struct guest_siginfo *info)
{
	struct timespec deadline;
	int sig, err;

	set &= ~SIGS_KILL_STOP;
	pthread_mutex_lock(&kernel_lock);
	sig = dequeue_signal_locked(t, set, info);
	if (sig || (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)) {
		pthread_mutex_unlock(&kernel_lock);
		return sig ? sig : -EAGAIN;
	}
	if (timeout)
		deadline = deadline_after(timeout);
	/*
	 * Unblock the awaited signals so their arrival wakes us; real_blocked keeps the send path
	 * from discarding ignored ones meanwhile (Linux does the same).
	 */
	t->sig.real_blocked = t->sig.blocked;
	STORE(&t->sig.blocked, t->sig.blocked & ~set);
	pthread_mutex_unlock(&kernel_lock);

	err = task_wait_event(t, NULL, always_false, NULL, timeout ? &deadline : NULL);

	pthread_mutex_lock(&kernel_lock);
	STORE(&t->sig.blocked, t->sig.real_blocked);
	t->sig.real_blocked = 0;
	sig = dequeue_signal_locked(t, set, info);
	pthread_mutex_unlock(&kernel_lock);
	if (sig)
		return sig;
	return err == -ETIMEDOUT ? -EAGAIN : -EINTR;
}

int task_sigaltstack(struct task *t, const struct guest_stack *ss, struct guest_stack *old,
		     uint64_t sp)
{
	struct task_signals *s = &t->sig;
	bool on = sigaltstack_on(s, sp);

	if (old) {
		memset(old, 0, sizeof(*old));
		old->sp = s->altstack_sp;
		old->size = s->altstack_size;
		old->flags = (s->altstack_size ? (on ? SS_ONSTACK : 0) : SS_DISABLE) |
			     (s->altstack_flags & GUEST_SS_AUTODISARM);
	}
	if (ss) {
		int mode = ss->flags & ~GUEST_SS_AUTODISARM;
		uint64_t base = ss->sp, size = ss->size;

		if (on)
			return -EPERM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			base = 0;
			size = 0;
		} else if (size < arch_minsigstksz) {
			return -ENOMEM;
		}
		s->altstack_sp = base;
		s->altstack_size = size;
		s->altstack_flags = ss->flags;
	}
	return 0;
}

/* Linux's kill_ok_by_cred. */
static bool may_signal(struct task *sender, struct task *target, int sig)
{
	const struct creds *c = &sender->creds, *tc = &target->creds;

	if (sender->tgid == target->tgid || creds_capable(c, CAP_KILL))
		return true;
	if (c->euid == tc->suid || c->euid == tc->uid || c->uid == tc->suid || c->uid == tc->uid)
		return true;
	return sig == SIGCONT && task_process(sender)->sid == task_process(target)->sid;
}

/* Linux's group_send_sig_info: validity, permission, then the process-directed send. */
static int kill_one_locked(struct task *sender, struct task *p, int sig,
			   const struct guest_siginfo *info)
{
	if (sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	if (!may_signal(sender, p, sig))
		return -EPERM;
	return task_group_send_signal_locked(p, sig, info);
}

/* A process for kill(): its leader, live or a zombie not yet reaped. */
static bool is_process(struct task *p)
{
	return p->tid == p->tgid && p->state != TASK_DEAD;
}

int task_kill(struct task *sender, int pid, int sig, const struct guest_siginfo *info)
{
	struct task *p;
	int ret, err, count = 0;
	bool success = false;

	pthread_mutex_lock(&kernel_lock);
	if (pid > 0) {
		p = pid_lookup_locked(pid);
		if (p && p->state != TASK_DEAD)
			ret = kill_one_locked(sender, group_leader(p), sig, info);
		else
			ret = -ESRCH;
	} else if (pid == -1) {
		/* Every process but init and the caller's; EPERM ones do not count as errors. */
		ret = 0;
		for (p = kernel_tasks; p; p = p->next_task) {
			if (!is_process(p) || p->tgid <= 1 || p->tgid == sender->tgid)
				continue;
			err = kill_one_locked(sender, p, sig, info);
			count++;
			if (err != -EPERM)
				ret = err;
		}
		if (!count)
			ret = -ESRCH;
	} else if (pid == INT32_MIN) {
		ret = -ESRCH; /* -pid does not exist */
	} else {
		int pgid = pid ? -pid : task_process(sender)->pgid;

		ret = -ESRCH;
		for (p = kernel_tasks; p; p = p->next_task) {
			if (!is_process(p) || task_process(p)->pgid != pgid)
				continue;
			err = kill_one_locked(sender, p, sig, info);
			success |= err == 0;
			ret = err;
		}
		if (success)
			ret = 0;
	}
	pthread_mutex_unlock(&kernel_lock);
	return ret;
}

int task_tgkill(struct task *sender, int tgid, int tid, int sig, const struct guest_siginfo *info)
{
	struct task *p;
	int ret;

	pthread_mutex_lock(&kernel_lock);
	p = pid_lookup_locked(tid);
	if (!p || p->state == TASK_DEAD || (tgid > 0 && p->tgid != tgid)) {
		ret = -ESRCH;
	} else if (sig < 0 || sig > GUEST_NSIG) {
		ret = -EINVAL;
	} else if (!may_signal(sender, p, sig)) {
		ret = -EPERM;
	} else {
		ret = task_send_signal_locked(p, sig, info);
	}
	pthread_mutex_unlock(&kernel_lock);
	return ret;
}
