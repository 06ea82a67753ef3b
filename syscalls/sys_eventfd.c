/* eventfd, eventfd2. */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

static long do_eventfd(struct task *t, unsigned int count, int flags)
{
	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	struct file *f;
	long r = eventfd_create(count, flags, &f);
	if (r < 0)
		return r;
	r = fd_install(t->files, f, flags & EFD_CLOEXEC);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(eventfd)
{
	return do_eventfd(t, (unsigned int)a[0], 0);
}

SYSCALL_DEFINE(eventfd2)
{
	return do_eventfd(t, (unsigned int)a[0], (int)a[1]);
}
