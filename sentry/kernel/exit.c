/* Exit and wait: a task becomes a zombie, its parent hears SIGCHLD and reaps it with wait4. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

/* SIGCHLD's si_code for a wait status. */
static int child_code(int status)
{
	if (WIFEXITED(status))
		return CLD_EXITED;
	return WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
}

static bool parent_ignores_children(struct task *parent)
{
	struct guest_sigaction *act = &parent->sighand->actions[SIGCHLD - 1];

	return act->handler == (uint64_t)SIG_IGN || (act->flags & SA_NOCLDWAIT);
}

/* Takes a zombie out of the tree; kernel_lock held. The caller drops the tree's reference. */
static void unlink_locked(struct task *c)
{
	struct task **pp;

	/* A detached task (runsc exec's) is in no children list. */
	for (pp = c->parent ? &c->parent->children : NULL; pp && *pp; pp = &(*pp)->sibling) {
		if (*pp == c) {
			*pp = c->sibling;
			break;
		}
	}
	if (c->prev_task)
		c->prev_task->next_task = c->next_task;
	else
		kernel_tasks = c->next_task;
	if (c->next_task)
		c->next_task->prev_task = c->prev_task;
	c->state = TASK_DEAD;
	pid_free_locked(c->tid);
}

void task_detach_unstarted_locked(struct task *t)
{
	unlink_locked(t);
}

/* The thread group's leader, which stands for the process; kernel_lock held. */
static struct task *leader_locked(struct task *t)
{
	struct task *l = pid_lookup_locked(t->tgid);

	return l && l->tgid == t->tgid ? l : t;
}

void task_unlink_thread_locked(struct task *t)
{
	struct task *leader = leader_locked(t);

	if (leader != t)
		leader->nr_threads--;
	unlink_locked(t);
}

/* Gives the process's children to its reaper; kernel_lock held. */
static void reparent_children_locked(struct task *t)
{
	struct task *c, *init = kernel_init_task;
	/* Orphans go to the nearest subreaper ancestor, else init; zombies among them wake it. */
	struct task *reaper = init;

	for (struct task *a = t->parent; a && a != init; a = a->parent) {
		if (a->child_subreaper && a->state == TASK_RUNNING) {
			reaper = a;
			break;
		}
	}
	while ((c = t->children) != NULL) {
		t->children = c->sibling;
		c->parent = t == init ? NULL : reaper;
		if (t != init) {
			c->sibling = reaper->children;
			reaper->children = c;
		}
		/* The child's threads have its parent too. */
		for (struct task *th = kernel_tasks; th; th = th->next_task)
			if (th->tgid == c->tgid && th != c)
				th->parent = c->parent;
	}
	if (t != init)
		waitqueue_wake_all(&reaper->child_exit);
}

void task_exit_group(struct task *t, int status)
{
	pthread_mutex_lock(&kernel_lock);
	task_group_exit_locked(t, status);
	pthread_mutex_unlock(&kernel_lock);
	task_exit(t, status);
}

/* CLONE_CHILD_CLEARTID, set_tid_address: the word goes to 0 and a futex waiter wakes (what
 * pthread_join waits for). */
static void clear_child_tid(struct task *t)
{
	int zero = 0;

	if (!t->clear_child_tid || !t->mm)
		return;
	if (copy_out(t, t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake(t, t->clear_child_tid, 1, ~0U);
	t->clear_child_tid = 0;
}

void task_exit(struct task *t, int status)
{
	struct task *parent, *leader, *init = kernel_init_task;
	struct platform_ctx *ctx;
	bool reap_self = false, reap_leader = false, last;
	struct fdtable *files;
	struct fs_context *fs;
	struct mm *mm;

	/* The stub thread goes first (a vfork child's is its parent's), then, detached under
	 * kernel_lock (under which /proc takes its references), what others can observe (pipe
	 * ends, the stub) before the parent hears. */
	pthread_mutex_lock(&t->wake_lock);
	ctx = t->borrowed ? NULL : t->ctx;
	t->ctx = NULL;
	pthread_mutex_unlock(&t->wake_lock);
	if (ctx)
		platform->ctx_release(ctx);
	/* As Linux's mm_release: robust futexes first, then the tid word pthread_join waits on. */
	futex_exit_robust_list(t);
	clear_child_tid(t);
	pthread_mutex_lock(&kernel_lock);
	mm = t->mm;
	t->mm = NULL;
	files = t->files;
	t->files = NULL;
	fs = t->fs;
	t->fs = NULL;
	pthread_mutex_unlock(&kernel_lock);
	if (files)
		fdtable_put(files);
	if (mm)
		mm_put(mm);
	if (fs)
		fs_context_put(fs);

	pthread_mutex_lock(&kernel_lock);
	leader = leader_locked(t);
	last = --leader->nr_threads == 0;
	/* A group exit's status is the process's, whichever thread ends last; otherwise the last
	 * thread's own (as Linux reports it, even when the leader went first). */
	if (t->sig.kill_status)
		status = t->sig.kill_status & KILL_STATUS_MASK;
	if (t->vfork_parent) {
		t->vfork_done = true;
		t->vfork_parent = NULL;
	}
	if (t != leader) {
		/* A thread other than the leader leaves no zombie. */
		unlink_locked(t);
		reap_self = true;
	}
	if (!last) {
		if (t == leader) {
			/* The leader's zombie stands for the process until its last thread is gone. */
			t->state = TASK_ZOMBIE;
			t->exit_status = status;
		}
		waitqueue_wake_all(&leader->child_exit); /* an execve waits for the others */
		pthread_mutex_unlock(&kernel_lock);
		goto out;
	}

	/* The process ends: its leader becomes the zombie its parent reaps. */
	reparent_children_locked(leader);
	leader->state = TASK_ZOMBIE;
	leader->exit_status = status;
	parent = leader->parent;
	if (parent && leader != init) {
		if (parent_ignores_children(parent) && leader->exit_signal == SIGCHLD) {
			reap_leader = true;
		} else if (leader->exit_signal) {
			struct guest_siginfo info = { 0 };

			info.signo = leader->exit_signal;
			info.code = child_code(status);
			info.kill.pid = leader->tid;
			info.kill.uid = leader->creds.uid;
			info.kill.status = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
			task_group_send_signal_locked(parent, leader->exit_signal, &info);
		}
		waitqueue_wake_all(&parent->child_exit);
	} else if (!parent && leader != init) {
		/* Detached: no parent in the sandbox to reap it; runsc hears of it instead. */
		if (kernel_detached_exit_hook)
			kernel_detached_exit_hook(leader, status);
		reap_leader = true;
	}
	if (reap_leader) {
		unlink_locked(leader);
		if (leader == t)
			reap_self = true;
	}
	pthread_mutex_unlock(&kernel_lock);
	if (leader == init)
		kernel_shutdown(status);
	if (reap_leader && leader != t)
		task_put(leader); /* the tree's reference */
out:
	waitqueue_wake_all(&t->vfork_wait);
	if (reap_self)
		task_put(t); /* the tree's reference */
	task_put(t);         /* the host thread's */
	task_thread_exit();
}

static bool child_matches(struct task *t, struct task *c, int idtype, int id)
{
	switch (idtype) {
	case P_PID:
		return c->tid == id;
	case P_PGID:
		return task_process(c)->pgid == (id ? id : task_process(t)->pgid);
	default:
		return true;
	}
}

struct wait_args {
	struct task *t;
	int idtype, id, options;
};

/* A child the waiter could report now; kernel_lock held. */
static struct task *find_waitable_locked(struct wait_args *w, bool *any)
{
	struct task *c;

	*any = false;
	/* The children of the process: its leader's, whichever thread waits. */
	for (c = leader_locked(w->t)->children; c; c = c->sibling) {
		if (!child_matches(w->t, c, w->idtype, w->id))
			continue;
		/* __WCLONE selects children with a non-SIGCHLD exit signal; __WALL selects all. */
		if (!(w->options & __WALL) &&
		    ((w->options & __WCLONE) ? c->exit_signal == SIGCHLD : c->exit_signal != SIGCHLD))
			continue;
		*any = true;
		if (c->state == TASK_ZOMBIE && c->nr_threads == 0 && (w->options & WEXITED))
			return c;
		if (task_wait_stopped_locked(c, w->options, NULL, false) > 0)
			return c;
	}
	return NULL;
}

static bool waitable(void *arg)
{
	struct wait_args *w = arg;
	bool any;
	struct task *c;

	pthread_mutex_lock(&kernel_lock);
	c = find_waitable_locked(w, &any);
	pthread_mutex_unlock(&kernel_lock);
	return c != NULL || !any;
}

long task_wait(struct task *t, int idtype, int id, int options, struct wait_result *res)
{
	struct wait_args w = { t, idtype, id, options };
	struct task *leader;

	memset(res, 0, sizeof(*res));
	/* A leader stays (a zombie at least) while any of its threads runs. */
	pthread_mutex_lock(&kernel_lock);
	leader = leader_locked(t);
	pthread_mutex_unlock(&kernel_lock);
	for (;;) {
		struct task *c;
		bool any;
		int err;

		pthread_mutex_lock(&kernel_lock);
		c = find_waitable_locked(&w, &any);
		if (c) {
			res->pid = c->tid;
			res->uid = c->creds.uid;
			if (c->state == TASK_ZOMBIE) {
				res->status = c->exit_status;
				res->code = child_code(c->exit_status);
				if (!(options & WNOWAIT)) {
					unlink_locked(c);
					pthread_mutex_unlock(&kernel_lock);
					task_put(c);
					return res->pid;
				}
			} else {
				task_wait_stopped_locked(c, options, res, !(options & WNOWAIT));
			}
			pthread_mutex_unlock(&kernel_lock);
			return res->pid;
		}
		pthread_mutex_unlock(&kernel_lock);
		if (!any)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		err = task_wait_event(t, &leader->child_exit, waitable, &w, NULL);
		if (err < 0)
			return err;
	}
}
