/* System information and limits: uname, getrandom, rlimits, sysinfo, scheduling hints. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE(uname)
{
	struct utsname u;

	uts_get(&u);
	return copy_out(t, a[0], &u, sizeof(u));
}

static long set_uts_name(struct task *t, uint64_t addr, uint64_t len, bool domain)
{
	char name[65];

	if (!task_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (len > 64)
		return -EINVAL;
	if (copy_in(t, name, addr, len) < 0)
		return -EFAULT;
	name[len] = '\0';
	uts_set(domain, name);
	return 0;
}

SYSCALL_DEFINE(sethostname)
{
	return set_uts_name(t, a[0], a[1], false);
}

SYSCALL_DEFINE(setdomainname)
{
	return set_uts_name(t, a[0], a[1], true);
}

SYSCALL_DEFINE(getrandom)
{
	uint64_t addr = a[0];
	size_t len = a[1], done = 0;
	unsigned int flags = (unsigned int)a[2];
	char buf[4096];

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
		return -EINVAL;
	if (len > 33554431) /* Linux caps one call at 32 MiB - 1 */
		len = 33554431;
	while (done < len) {
		size_t chunk = MIN(len - done, sizeof(buf));
		ssize_t n = getrandom(buf, chunk, 0);

		if (n < 0)
			return done ? (long)done : -errno;
		if (copy_out(t, addr + done, buf, n) < 0)
			return done ? (long)done : -EFAULT;
		done += n;
		if (done < len && task_signal_pending(t))
			break;
	}
	return done;
}

/* The limits are the process's (task_process): pid names any of its threads, 0 the caller. */
static long do_prlimit(struct task *t, int pid, unsigned int res, uint64_t new_addr,
		       uint64_t old_addr)
{
	struct rlimit new_lim, old_lim, *cur;
	struct task *p = t;
	long ret = 0;

	if (res >= ARRAY_SIZE(t->process.rlimits))
		return -EINVAL;
	if (new_addr) {
		if (copy_in(t, &new_lim, new_addr, sizeof(new_lim)) < 0)
			return -EFAULT;
		if (new_lim.rlim_cur > new_lim.rlim_max)
			return -EINVAL;
		if (res == RLIMIT_NOFILE && new_lim.rlim_max > 1048576)
			return -EPERM; /* fs.nr_open */
	}
	if (pid != 0 && pid != t->tid) {
		p = task_lookup(pid);
		if (!p)
			return -ESRCH;
	}
	pthread_mutex_lock(&kernel_lock);
	cur = &task_process(p)->rlimits[res];
	old_lim = *cur;
	if (new_addr) {
		if (new_lim.rlim_max > cur->rlim_max && !task_capable(t, CAP_SYS_RESOURCE)) {
			ret = -EPERM;
		} else {
			__atomic_store_n(&cur->rlim_cur, new_lim.rlim_cur, __ATOMIC_RELAXED);
			cur->rlim_max = new_lim.rlim_max;
		}
	}
	pthread_mutex_unlock(&kernel_lock);
	if (ret == 0 && old_addr && copy_out(t, old_addr, &old_lim, sizeof(old_lim)) < 0)
		ret = -EFAULT;
	if (p != t)
		task_put(p);
	return ret;
}

SYSCALL_DEFINE(prlimit64)
{
	return do_prlimit(t, (int)a[0], (unsigned int)a[1], a[2], a[3]);
}

SYSCALL_DEFINE(getrlimit)
{
	return do_prlimit(t, 0, (unsigned int)a[0], 0, a[1]);
}

SYSCALL_DEFINE(setrlimit)
{
	return do_prlimit(t, 0, (unsigned int)a[0], a[1], 0);
}

SYSCALL_DEFINE(sysinfo)
{
	struct sysinfo si, host;
	struct task *p;
	int procs = 0;

	memset(&si, 0, sizeof(si));
	sysinfo(&host);
	si.uptime = (long)((kernel_monotonic_ns() - kernel_boot_ns) / 1000000000ULL);
	si.totalram = host.totalram;
	si.freeram = host.freeram;
	si.mem_unit = host.mem_unit;
	pthread_mutex_lock(&kernel_lock);
	for (p = kernel_tasks; p; p = p->next_task)
		procs++;
	pthread_mutex_unlock(&kernel_lock);
	si.procs = procs;
	return copy_out(t, a[0], &si, sizeof(si));
}

SYSCALL_DEFINE(sched_yield)
{
	return 0;
}

SYSCALL_DEFINE(sched_getaffinity)
{
	uint64_t mask = 0;
	long ncpu = kernel_ncpus;
	size_t len = a[1];

	if (len < sizeof(mask) || (len & (sizeof(long) - 1)))
		return -EINVAL;
	if ((int)a[0] != 0 && (int)a[0] != t->tid) {
		struct task *p = task_lookup((int)a[0]);

		if (!p)
			return -ESRCH;
		task_put(p);
	}
	for (long i = 0; i < ncpu && i < 64; i++)
		mask |= 1ULL << i;
	if (clear_user(t, a[2], len) < 0 || copy_out(t, a[2], &mask, sizeof(mask)) < 0)
		return -EFAULT;
	return sizeof(mask);
}

SYSCALL_DEFINE(sched_setaffinity)
{
	/* Guest threads run where the host schedules their stubs; the mask is accepted. */
	return 0;
}

SYSCALL_DEFINE(getcpu)
{
	unsigned int zero = 0;

	if (a[0] && copy_out(t, a[0], &zero, sizeof(zero)) < 0)
		return -EFAULT;
	if (a[1] && copy_out(t, a[1], &zero, sizeof(zero)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(getrusage)
{
	struct rusage ru;
	int who = (int)a[0];

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	memset(&ru, 0, sizeof(ru));
	return copy_out(t, a[1], &ru, sizeof(ru));
}
