/* execve: the loader builds a new address space; past the point of no return the task takes it. */
#include <errno.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

long task_execve(struct task *t, const char *path, char *const argv[], char *const envp[])
{
	struct loaded_image img;
	struct mm *new_mm, *old_mm;
	int err;

	memset(&img, 0, sizeof(img));
	err = loader_exec(t, path, argv, envp, &new_mm, &img);
	if (err < 0)
		return err;

	/*
	 * The point of no return. A stub of our own is reused (cleared when the task next runs);
	 * a vfork child leaves its parent's to the parent.
	 */
	pthread_mutex_lock(&kernel_lock);
	old_mm = t->mm;
	if (__atomic_load_n(&old_mm->refs, __ATOMIC_ACQUIRE) == 1) {
		new_mm->as = old_mm->as;
		new_mm->as_stale = true;
		old_mm->as = NULL;
	}
	t->mm = new_mm;
	memcpy(t->comm, img.comm, sizeof(t->comm));
	pthread_mutex_unlock(&kernel_lock);
	mm_put(old_mm);
	loader_image_release(&img);

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
	t->robust_list = 0;
	arch_regs_init(&t->regs, img.entry, img.sp);

	pthread_mutex_lock(&kernel_lock);
	t->vfork_done = true;
	t->vfork_parent = NULL;
	pthread_mutex_unlock(&kernel_lock);
	waitqueue_wake_all(&t->vfork_wait);
	return 0;
}
