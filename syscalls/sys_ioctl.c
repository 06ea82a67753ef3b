/* ioctl: the requests every file answers (FIOCLEX, FIONCLEX, FIONBIO, FIONREAD on regular
 * files), then the file's own (terminals, pipes). */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

static long generic_ioctl(struct task *t, int fd, struct file *f, unsigned int cmd, uint64_t arg)
{
	switch (cmd) {
	case FIOCLEX:
		return fd_set_flags(t->files, fd, FD_CLOEXEC);
	case FIONCLEX:
		return fd_set_flags(t->files, fd, 0);
	case FIONBIO: {
		int on;
		if (copy_in(t, &on, arg, sizeof(on)) < 0)
			return -EFAULT;
		unsigned int fl = file_flags(f);
		return file_setfl(f, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
	}
	case FIONREAD:
		if (S_ISREG(f->inode->mode)) {
			/* Bytes from the position to the end, as Linux computes it. */
			struct kstat st;
			long r = file_stat(f, &st);
			if (r < 0)
				return r;
			pthread_mutex_lock(&f->pos_lock);
			int64_t left = st.size - f->pos;
			pthread_mutex_unlock(&f->pos_lock);
			int n = (int)MIN(MAX(left, (int64_t)0), (int64_t)INT32_MAX);
			return copy_out(t, arg, &n, sizeof(n));
		}
		break;
	}
	return vfs_ioctl(f, t, cmd, arg);
}

SYSCALL_DEFINE(ioctl)
{
	int fd = (int)a[0];
	struct file *f = fdget(t, fd);
	if (!f)
		return -EBADF;
	long r =
		(f->mode & FMODE_PATH) ? -EBADF : generic_ioctl(t, fd, f, (unsigned int)a[1], a[2]);
	file_put(f);
	return r;
}
