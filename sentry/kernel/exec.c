/* execve: the loader builds a new address space; past the point of no return the task takes it. */
#include <errno.h>
#include <string.h>

#include "platform/platform.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

static bool only_thread(void *arg)
{
	struct task *t = arg, *leader;
	bool only;

	pthread_mutex_lock(&kernel_lock);
	leader = pid_lookup_locked(t->tgid);
	only = !leader || leader->nr_threads == 1;
	pthread_mutex_unlock(&kernel_lock);
	return only;
}

/*
 * Linux's de_thread: every other thread of the group exits (their stub threads and address
 * space references go first), and a thread other than the leader takes the leader's place in
 * the tree and its PID. -EINTR when t itself is killed meanwhile.
 */
static int de_thread(struct task *t)
{
	struct task *leader, **pp;

	pthread_mutex_lock(&kernel_lock);
	leader = pid_lookup_locked(t->tgid);
	if (!leader || (leader == t && t->nr_threads == 1)) {
		pthread_mutex_unlock(&kernel_lock);
		return 0;
	}
	/* Another thread's execve or exit_group got here first: t is on its way out. */
	if (t->sig.kill_status) {
		pthread_mutex_unlock(&kernel_lock);
		return -EINTR;
	}
	task_kill_other_threads_locked(t);
	pthread_mutex_unlock(&kernel_lock);
	/* They are on their way out: only a kill of t itself ends the wait early. */
	while (!only_thread(t)) {
		if (__atomic_load_n(&t->sig.kill_status, __ATOMIC_ACQUIRE))
			return -EINTR;
		task_wait_event(t, &leader->child_exit, only_thread, t, NULL);
	}
	if (leader == t)
		return 0;

	pthread_mutex_lock(&kernel_lock);
	pid_free_locked(t->tid);
	pid_replace_locked(t->tgid, t);
	t->tid = t->tgid;
	t->parent = leader->parent;
	t->exit_signal = leader->exit_signal;
	t->process = leader->process;
	t->child_subreaper = leader->child_subreaper;
	t->start_time_ns = leader->start_time_ns;
	t->nr_threads = 1;
	t->children = leader->children;
	leader->children = NULL;
	for (struct task *c = t->children; c; c = c->sibling)
		c->parent = t;
	t->sibling = leader->sibling;
	for (pp = t->parent ? &t->parent->children : NULL; pp && *pp; pp = &(*pp)->sibling) {
		if (*pp == leader) {
			*pp = t;
			break;
		}
	}
	if (leader->prev_task)
		leader->prev_task->next_task = leader->next_task;
	else
		kernel_tasks = leader->next_task;
	if (leader->next_task)
		leader->next_task->prev_task = leader->prev_task;
	leader->state = TASK_DEAD;
	/* The group's pending signals are t's now. */
	t->sig.shared_queue = leader->sig.shared_queue;
	t->sig.shared_queued = leader->sig.shared_queued;
	__atomic_store_n(&t->sig.shared_pending, leader->sig.shared_pending, __ATOMIC_RELEASE);
	leader->sig.shared_queue = NULL;
	leader->sig.shared_queued = 0;
	leader->sig.shared_pending = 0;
	__atomic_store_n(&t->group_leader, NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&kernel_lock);
	task_put(leader); /* the tree's reference */
	task_put(leader); /* t's, as a thread of it */
	return 0;
}

long task_execve(struct task *t, const char *path, char *const argv[], char *const envp[])
{
	struct platform_ctx *old_ctx = NULL;
	struct loaded_image img;
	struct mm *new_mm, *old_mm;
	int err;

	memset(&img, 0, sizeof(img));
	err = loader_exec(t, path, argv, envp, &new_mm, &img);
	if (err < 0)
		return err;
	if ((err = de_thread(t)) < 0) {
		mm_put(new_mm);
		loader_image_release(&img);
		return err;
	}

	/*
	 * The point of no return. A stub of our own is reused with our stub thread in it (cleared
	 * when the task next runs); a vfork child leaves its parent's to the parent, and a stub
	 * someone else still holds keeps it but loses our thread.
	 */
	/* Linux's futex_exec_release: robust futexes held across execve die with the old image
	 * (under the TID de_thread gave t). This also forgets the list. */
	futex_exit_robust_list(t);
	pthread_mutex_lock(&kernel_lock);
	old_mm = t->mm;
	if (__atomic_load_n(&old_mm->refs, __ATOMIC_ACQUIRE) == 1) {
		new_mm->as = old_mm->as;
		new_mm->as_stale = true;
		old_mm->as = NULL;
	} else {
		pthread_mutex_lock(&t->wake_lock);
		old_ctx = t->borrowed ? NULL : t->ctx;
		t->ctx = NULL;
		pthread_mutex_unlock(&t->wake_lock);
	}
	t->mm = new_mm;
	memcpy(t->comm, img.comm, sizeof(t->comm));
	pthread_mutex_unlock(&kernel_lock);
	if (old_ctx)
		platform->ctx_release(old_ctx);
	mm_put(old_mm);
	loader_image_release(&img);

	creds_exec(&t->creds);
	fdtable_close_on_exec(t->files);
	if (t->sighand->refs > 1) {
		struct sighand *sh = sighand_copy(t->sighand);

		if (sh) {
			struct sighand *old;

			pthread_mutex_lock(&kernel_lock);
			old = t->sighand;
			t->sighand = sh;
			pthread_mutex_unlock(&kernel_lock);
			sighand_put(old);
		}
	}
	sighand_reset_for_exec(t->sighand);
	t->sig.altstack_sp = 0;
	t->sig.altstack_size = 0;
	t->sig.altstack_flags = SS_DISABLE;
	t->clear_child_tid = 0;
	arch_regs_init(&t->regs, img.entry, img.sp);

	pthread_mutex_lock(&kernel_lock);
	t->vfork_done = true;
	t->vfork_parent = NULL;
	pthread_mutex_unlock(&kernel_lock);
	waitqueue_wake_all(&t->vfork_wait);
	return 0;
}
