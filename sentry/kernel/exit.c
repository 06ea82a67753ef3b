/* Exit and wait: a task becomes a zombie, its parent hears SIGCHLD and reaps it with wait4. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/log.h"
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

	for (pp = &c->parent->children; *pp; pp = &(*pp)->sibling) {
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

void task_exit_group(struct task *t, int status)
{
	struct task *c, *parent, *init = kernel_init_task;
	bool reap_self = false;
	struct fdtable *files;
	struct fs_context *fs;
	struct mm *mm;

	if (t->clear_child_tid) {
		int zero = 0;

		copy_out(t, t->clear_child_tid, &zero, sizeof(zero));
	}
	/* Release what others can observe (pipe ends, the stub) before the parent hears. The
	 * pointers are detached under kernel_lock, under which /proc takes its references. */
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
		if (t == init) {
			c->parent = NULL;
			continue;
		}
		c->parent = reaper;
		c->sibling = reaper->children;
		reaper->children = c;
	}
	if (t != init)
		waitqueue_wake_all(&reaper->child_exit);
	t->state = TASK_ZOMBIE;
	t->exit_status = status;
	if (t->vfork_parent) {
		t->vfork_done = true;
		t->vfork_parent = NULL;
	}
	parent = t->parent;
	if (parent && t != init) {
		if (parent_ignores_children(parent) && t->exit_signal == SIGCHLD) {
			reap_self = true;
		} else if (t->exit_signal) {
			struct guest_siginfo info = { 0 };

			info.signo = t->exit_signal;
			info.code = child_code(status);
			info.kill.pid = t->tid;
			info.kill.uid = t->creds.uid;
			info.kill.status = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
			task_group_send_signal_locked(parent, t->exit_signal, &info);
		}
		waitqueue_wake_all(&parent->child_exit);
	}
	if (reap_self)
		unlink_locked(t);
	pthread_mutex_unlock(&kernel_lock);
	waitqueue_wake_all(&t->vfork_wait);

	if (t == init)
		kernel_shutdown(status);
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
		return c->pgid == (id ? id : t->pgid);
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
	for (c = w->t->children; c; c = c->sibling) {
		if (!child_matches(w->t, c, w->idtype, w->id))
			continue;
		/* __WCLONE selects children with a non-SIGCHLD exit signal; __WALL selects all. */
		if (!(w->options & __WALL) &&
		    ((w->options & __WCLONE) ? c->exit_signal == SIGCHLD : c->exit_signal != SIGCHLD))
			continue;
		*any = true;
		if (c->state == TASK_ZOMBIE && (w->options & WEXITED))
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

	memset(res, 0, sizeof(*res));
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
		err = task_wait_event(t, &t->child_exit, waitable, &w, NULL);
		if (err < 0)
			return err;
	}
}
