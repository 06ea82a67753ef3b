/* signalfd, signalfd4: a new signalfd, or a new mask for an existing one. */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

static long do_signalfd4(struct task *t, int fd, uint64_t umask, uint64_t sizemask, int flags)
{
	gsigset_t mask;

	if (sizemask != sizeof(gsigset_t))
		return -EINVAL;
	if (copy_in(t, &mask, umask, sizeof(mask)) < 0)
		return -EFAULT;
	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	/* As Linux: SIGKILL and SIGSTOP are never read, silently. */
	mask &= ~(GSIG_BIT(SIGKILL) | GSIG_BIT(SIGSTOP));
	if (fd == -1) {
		struct file *f;
		long r = signalfd_create_file(mask, flags, &f);
		if (r < 0)
			return r;
		r = fd_install(t->files, f, flags & SFD_CLOEXEC);
		file_put(f);
		return r;
	}
	struct file *f = fdget(t, fd);
	if (!f)
		return -EBADF;
	long r = -EINVAL;
	if (file_is_signalfd(f)) {
		signalfd_set_mask(f, mask);
		r = fd;
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE(signalfd)
{
	return do_signalfd4(t, (int)a[0], a[1], a[2], 0);
}

SYSCALL_DEFINE(signalfd4)
{
	return do_signalfd4(t, (int)a[0], a[1], a[2], (int)a[3]);
}
