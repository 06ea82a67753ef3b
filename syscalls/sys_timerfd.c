/* timerfd_create, timerfd_settime, timerfd_gettime. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

/* The kernel's struct itimerspec (two struct timespec on 64-bit architectures). */
struct guest_itimerspec {
	struct timespec interval, value;
};

/* The timerfd at fd with a reference: -EBADF, or -EINVAL for another kind of file. */
static long timerfd_get(struct task *t, int fd, struct file **out)
{
	struct file *f = fdget(t, fd);

	if (!f)
		return -EBADF;
	if (!file_is_timerfd(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

SYSCALL_DEFINE(timerfd_create)
{
	int clock = (int)a[0], flags = (int)a[1];

	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	/* The *_ALARM clocks would wake a suspended host: not offered. */
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
		return -EINVAL;
	struct file *f;
	long r = timerfd_create_file(clock, flags, &f);
	if (r < 0)
		return r;
	r = fd_install(t->files, f, flags & TFD_CLOEXEC);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(timerfd_settime)
{
	int flags = (int)a[1];
	struct guest_itimerspec nv, ov;
	uint64_t value, interval;
	struct file *f;
	long r;

	if (copy_in(t, &nv, a[2], sizeof(nv)) < 0)
		return -EFAULT;
	/* TFD_TIMER_CANCEL_ON_SET never cancels: the guest cannot set the clock. */
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
	    !timespec_valid(&nv.value) || !timespec_valid(&nv.interval))
		return -EINVAL;
	if ((r = timerfd_get(t, (int)a[0], &f)) < 0)
		return r;
	timerfd_settime_file(f, flags & TFD_TIMER_ABSTIME, timespec_to_ns(&nv.value),
			     timespec_to_ns(&nv.interval), &value, &interval);
	file_put(f);
	if (!a[3])
		return 0;
	ov.value = ns_to_timespec(value);
	ov.interval = ns_to_timespec(interval);
	return copy_out(t, a[3], &ov, sizeof(ov)) < 0 ? -EFAULT : 0;
}

SYSCALL_DEFINE(timerfd_gettime)
{
	struct guest_itimerspec cur;
	uint64_t value, interval;
	struct file *f;
	long r;

	if ((r = timerfd_get(t, (int)a[0], &f)) < 0)
		return r;
	timerfd_gettime_file(f, &value, &interval);
	file_put(f);
	cur.value = ns_to_timespec(value);
	cur.interval = ns_to_timespec(interval);
	return copy_out(t, a[1], &cur, sizeof(cur)) < 0 ? -EFAULT : 0;
}
