/* Process creation: fork, vfork and clone make a task with copied or shared resources. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

#define CLONE_NS_FLAGS                                                                          \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

long task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t parent_tid,
		uint64_t child_tid, uint64_t tls)
{
	struct task *c;
	int exit_signal = flags & CSIGNAL;
	int tid, err;

	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	/* A vfork child runs on its parent's stub thread, which it cannot share further. */
	if ((flags & CLONE_THREAD) && (t->borrowed || (flags & CLONE_VFORK)))
		return -EINVAL;
	if (flags & CLONE_NS_FLAGS)
		return -EINVAL; /* nested namespaces: see the table */
	if (exit_signal < 0 || exit_signal > GUEST_NSIG)
		return -EINVAL;

	c = task_alloc();
	if (!c)
		return -ENOMEM;
	/*
	 * A thread shares the address space and gets a stub thread of its own in it. vfork
	 * (CLONE_VM|CLONE_VFORK, as posix_spawn does) shares it too: the parent's thread runs the
	 * child on the parent's stub thread until it execs or exits. CLONE_VM alone (a process
	 * sharing memory without being a thread) gets a copy.
	 */
	if (flags & CLONE_THREAD) {
		mm_get(t->mm);
		c->mm = t->mm;
		if ((err = task_fetch_fpregs(t)) < 0 ||
		    (err = platform->ctx_new(t->ctx, &c->ctx)) < 0) {
			c->ctx = NULL;
			goto fail;
		}
	} else if ((flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK)) {
		mm_get(t->mm);
		c->mm = t->mm;
		c->ctx = t->ctx;
	} else {
		c->mm = mm_fork(t->mm);
	}
	if (!c->mm) {
		err = -ENOMEM;
		goto fail;
	}
	if (flags & CLONE_FILES) {
		fdtable_get(t->files);
		c->files = t->files;
	} else if (!(c->files = fdtable_fork(t->files))) {
		err = -ENOMEM;
		goto fail;
	}
	if (flags & CLONE_FS) {
		fs_context_get(t->fs);
		c->fs = t->fs;
	} else if (!(c->fs = fs_context_fork(t->fs))) {
		err = -ENOMEM;
		goto fail;
	}
	if (flags & CLONE_SIGHAND) {
		sighand_get(t->sighand);
		c->sighand = t->sighand;
	} else {
		c->sighand = sighand_copy(t->sighand);
	}
	if (!c->sighand) {
		err = -ENOMEM;
		goto fail;
	}
	c->creds = t->creds;
	c->no_new_privs = t->no_new_privs;
	c->seccomp = t->seccomp;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->sig.blocked = t->sig.blocked;
	/* A thread starts on its own stack, without the alternate one (as Linux). */
	if ((flags & (CLONE_VM | CLONE_VFORK)) != CLONE_VM) {
		c->sig.altstack_sp = t->sig.altstack_sp;
		c->sig.altstack_size = t->sig.altstack_size;
		c->sig.altstack_flags = t->sig.altstack_flags;
	} else {
		c->sig.altstack_flags = SS_DISABLE;
	}
	/* A thread's end signals nobody: its group's does. */
	c->exit_signal = (flags & CLONE_THREAD) ? 0 : exit_signal;

	if ((err = task_fetch_fpregs(t)) < 0)
		goto fail;
	c->regs = t->regs;
	c->regs.fp_dirty = true;
	arch_regs_fork_child(&c->regs, stack);
	if (flags & CLONE_SETTLS)
		arch_set_tls(&c->regs, tls);

	pthread_mutex_lock(&kernel_lock);
	/* No new thread in a group that is dying (its threads are being told to exit). */
	tid = (flags & CLONE_THREAD) && t->sig.kill_status ? -EINTR : pid_alloc_locked(c);
	if (tid < 0) {
		pthread_mutex_unlock(&kernel_lock);
		err = tid;
		goto fail;
	}
	c->tid = c->tgid = tid;
	if (flags & CLONE_THREAD) {
		struct task *leader = pid_lookup_locked(t->tgid);

		c->tgid = t->tgid;
		c->parent = t->parent;
		c->group_leader = task_shared_owner(t);
		task_get(c->group_leader);
		if (leader)
			leader->nr_threads++;
	} else {
		/* Children belong to the process: its leader, whichever thread forks. */
		struct task *self = pid_lookup_locked(t->tgid);

		/* A new process: the group's IDs and limits, copied (as signal_struct's are). */
		c->process = *task_process(t);
		if (!self || self->tgid != t->tgid)
			self = t;
		c->parent = (flags & CLONE_PARENT) && self->parent ? self->parent : self;
		c->sibling = c->parent->children;
		c->parent->children = c;
	}
	c->next_task = kernel_tasks;
	if (kernel_tasks)
		kernel_tasks->prev_task = c;
	kernel_tasks = c;
	if (flags & CLONE_VFORK)
		c->vfork_parent = t;
	pthread_mutex_unlock(&kernel_lock);

	if (flags & CLONE_PARENT_SETTID)
		copy_out(t, parent_tid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_SETTID)
		mm_copy_out(c->mm, child_tid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = child_tid;

	if (flags & CLONE_VFORK) {
		task_get(c);
		task_run_vfork_child(t, c);
		return tid;
	}
	if ((err = task_start(c)) < 0 && (flags & CLONE_THREAD)) {
		/* A thread that never ran goes as if it had never been. */
		log_warn("clone: cannot start a host thread: %d", err);
		pthread_mutex_lock(&kernel_lock);
		task_unlink_thread_locked(c);
		pthread_mutex_unlock(&kernel_lock);
		platform->ctx_release(c->ctx);
		mm_put(c->mm);
		fdtable_put(c->files);
		fs_context_put(c->fs);
		sighand_put(c->sighand);
		task_put(c);
		return -EAGAIN;
	}
	if (err < 0) {
		/* The child is in the tree already: end it as if it had been killed. */
		log_warn("clone: cannot start a host thread: %d", err);
		pthread_mutex_lock(&kernel_lock);
		c->state = TASK_ZOMBIE;
		c->exit_status = SIGKILL;
		pthread_mutex_unlock(&kernel_lock);
		waitqueue_wake_all(&t->child_exit);
		return tid;
	}
	return tid;

fail:
	if (c->ctx && (flags & CLONE_THREAD))
		platform->ctx_release(c->ctx);
	if (c->mm)
		mm_put(c->mm);
	if (c->files)
		fdtable_put(c->files);
	if (c->fs)
		fs_context_put(c->fs);
	if (c->sighand)
		sighand_put(c->sighand);
	task_put(c);
	return err;
}

int task_attach_detached_locked(struct task *t)
{
	int tid = pid_alloc_locked(t);

	if (tid < 0)
		return tid;
	t->tid = t->tgid = tid;
	t->parent = NULL;
	t->process.pgid = t->process.sid = tid;
	t->exit_signal = SIGCHLD;
	t->next_task = kernel_tasks;
	if (kernel_tasks)
		kernel_tasks->prev_task = t;
	kernel_tasks = t;
	return tid;
}
