/* pipe, pipe2. */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL
#endif

static long do_pipe2(struct task *t, uint64_t ufds, int flags)
{
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & O_NOTIFICATION_PIPE)
		return -ENOPKG; /* watch queues are not built, as on most kernels */
	struct file *rd, *wr;
	long r = pipe_create(flags, &rd, &wr);
	if (r < 0)
		return r;
	bool cloexec = flags & O_CLOEXEC;
	int fds[2] = { fd_install(t->files, rd, cloexec), -1 };
	if (fds[0] >= 0)
		fds[1] = fd_install(t->files, wr, cloexec);
	file_put(rd);
	file_put(wr);
	if (fds[1] < 0) {
		r = fds[0] < 0 ? fds[0] : fds[1];
		if (fds[0] >= 0)
			fd_close(t->files, fds[0]);
		return r;
	}
	if (copy_out(t, ufds, fds, sizeof(fds)) < 0) {
		fd_close(t->files, fds[0]);
		fd_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(pipe)
{
	return do_pipe2(t, a[0], 0);
}

SYSCALL_DEFINE(pipe2)
{
	return do_pipe2(t, a[0], (int)a[1]);
}
