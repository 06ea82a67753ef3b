/*
 * The top of /proc: self and thread-self, the system-wide files (cpuinfo, meminfo, stat,
 * uptime, loadavg, version, filesystems, mounts) and the read-only part of /proc/sys.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/vfs/fdtable.h"

/* ---- self ---- */

static int readlink_self(struct proc_inode *pi, char *buf, size_t len)
{
	struct task *t = current();
	if (!t)
		return -ENOENT;
	return snprintf(buf, len, "%d", t->tgid);
}

static int readlink_thread_self(struct proc_inode *pi, char *buf, size_t len)
{
	struct task *t = current();
	if (!t)
		return -ENOENT;
	return snprintf(buf, len, "%d/task/%d", t->tgid, t->tid);
}

static int readlink_mounts(struct proc_inode *pi, char *buf, size_t len)
{
	return snprintf(buf, len, "self/mounts");
}

/* ---- system-wide files ---- */

static int show_cpuinfo(struct proc_inode *pi, struct proc_buf *b)
{
	const char *host = proc_host_cpuinfo();
	if (host) {
		proc_buf_puts(b, host);
		return 0;
	}
	for (int i = 0; i < proc_host_ncpu(); i++)
		proc_buf_printf(b, "processor\t: %d\n\n", i);
	return 0;
}

static int show_meminfo(struct proc_inode *pi, struct proc_buf *b)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return -EIO;
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	/* The host's figures. Without the page cache's, MemAvailable is free + buffers. */
	struct proc_meminfo m = {
		.total = si.totalram * unit / 1024,
		.free = si.freeram * unit / 1024,
		.available = (si.freeram + si.bufferram) * unit / 1024,
		.buffers = si.bufferram * unit / 1024,
		.shmem = si.sharedram * unit / 1024,
		.swap_total = si.totalswap * unit / 1024,
		.swap_free = si.freeswap * unit / 1024,
	};
	proc_fmt_meminfo(b, &m);
	return 0;
}

/* Counts of the sandbox's tasks: all, running (R), and the newest one's PID. */
struct task_counts {
	int tasks, running, last_pid;
};

static void count_tasks(struct task_counts *c)
{
	uint64_t newest = 0;
	*c = (struct task_counts){ 0 };
	pthread_mutex_lock(&kernel_lock);
	for (struct task *t = kernel_tasks; t; t = t->next_task) {
		if (t->state != TASK_RUNNING)
			continue;
		c->tasks++;
		pthread_mutex_lock(&t->wake_lock);
		bool running = t->in_guest || t == current();
		pthread_mutex_unlock(&t->wake_lock);
		c->running += running;
		/* The last PID given out is the kernel's own: the newest live task stands in. */
		if (t->start_time_ns >= newest) {
			newest = t->start_time_ns;
			c->last_pid = t->tid;
		}
	}
	pthread_mutex_unlock(&kernel_lock);
}

static uint64_t uptime_ns(void)
{
	uint64_t now = kernel_monotonic_ns();
	return now > kernel_boot_ns ? now - kernel_boot_ns : 0;
}

static int show_uptime(struct proc_inode *pi, struct proc_buf *b)
{
	/* Idle time is not measured. */
	proc_fmt_uptime(b, uptime_ns(), 0);
	return 0;
}

static int show_loadavg(struct proc_inode *pi, struct proc_buf *b)
{
	struct task_counts c;
	count_tasks(&c);
	proc_fmt_loadavg(b, c.running, c.tasks, c.last_pid);
	return 0;
}

static int show_stat(struct proc_inode *pi, struct proc_buf *b)
{
	struct task_counts c;
	count_tasks(&c);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t btime = (uint64_t)now.tv_sec - uptime_ns() / 1000000000ULL;
	/* CPU times are not accounted: zeros. "processes" (forks since boot) is approximated by
	 * the newest PID, exact until PIDs wrap. */
	proc_fmt_kernel_stat(b, proc_host_ncpu(), btime, (uint64_t)c.last_pid, c.running, 0);
	return 0;
}

static int show_version(struct proc_inode *pi, struct proc_buf *b)
{
	struct utsname u;
	uts_get(&u);
	const char *host = proc_host_version();
	/* The host's line when it names the release uname gives, else one made from uname. */
	if (host && strstr(host, u.release))
		proc_buf_puts(b, host);
	else
		proc_buf_printf(b, "Linux version %s (cvisor) %s\n", u.release, u.version);
	return 0;
}

static int show_filesystems(struct proc_inode *pi, struct proc_buf *b)
{
	return proc_show_filesystems(b);
}

/* ---- /proc/sys ---- */

static int show_hostname(struct proc_inode *pi, struct proc_buf *b)
{
	struct utsname u;
	uts_get(&u);
	proc_buf_printf(b, "%s\n", u.nodename);
	return 0;
}

static int show_ostype(struct proc_inode *pi, struct proc_buf *b)
{
	struct utsname u;
	uts_get(&u);
	proc_buf_printf(b, "%s\n", u.sysname);
	return 0;
}

static int show_osrelease(struct proc_inode *pi, struct proc_buf *b)
{
	struct utsname u;
	uts_get(&u);
	proc_buf_printf(b, "%s\n", u.release);
	return 0;
}

static int show_pid_max(struct proc_inode *pi, struct proc_buf *b)
{
	proc_buf_printf(b, "%d\n", PID_MAX);
	return 0;
}

static int show_ngroups_max(struct proc_inode *pi, struct proc_buf *b)
{
	/* What setgroups accepts in the sandbox, not Linux's 65536. */
	proc_buf_printf(b, "%d\n", NGROUPS_MAX_GUEST);
	return 0;
}

static int show_cap_last_cap(struct proc_inode *pi, struct proc_buf *b)
{
	proc_buf_printf(b, "%d\n", PROC_CAP_LAST_CAP);
	return 0;
}

static int show_overcommit(struct proc_inode *pi, struct proc_buf *b)
{
	/* Linux's default heuristic mode. */
	proc_buf_puts(b, "0\n");
	return 0;
}

static int show_nr_open(struct proc_inode *pi, struct proc_buf *b)
{
	proc_buf_printf(b, "%d\n", FD_NR_OPEN);
	return 0;
}

static int show_pipe_max(struct proc_inode *pi, struct proc_buf *b)
{
	proc_buf_printf(b, "%d\n", PIPE_MAX_SIZE);
	return 0;
}

/* ---- the tables ---- */

#define FILE_ENTRY(n, i, s)                                                                        \
	{                                                                                          \
		.name = n, .id = i, .mode = S_IFREG | 0444, .show = s                              \
	}
#define SYSCTL(n, i, s)                                                                            \
	{                                                                                          \
		.name = n, .id = i, .mode = S_IFREG | 0444, .flags = PROC_SYSCTL, .show = s        \
	}
#define DIR_ENTRY(n, i, c)                                                                         \
	{                                                                                          \
		.name = n, .id = i, .mode = S_IFDIR | 0555, .children = c                          \
	}
#define LINK_ENTRY(n, i, l)                                                                        \
	{                                                                                          \
		.name = n, .id = i, .mode = S_IFLNK | 0777, .readlink = l                          \
	}

static const struct proc_entry sys_kernel_entries[] = {
	SYSCTL("cap_last_cap", PROC_ID_SYS_CAP_LAST_CAP, show_cap_last_cap),
	SYSCTL("hostname", PROC_ID_SYS_HOSTNAME, show_hostname),
	SYSCTL("ngroups_max", PROC_ID_SYS_NGROUPS_MAX, show_ngroups_max),
	SYSCTL("osrelease", PROC_ID_SYS_OSRELEASE, show_osrelease),
	SYSCTL("ostype", PROC_ID_SYS_OSTYPE, show_ostype),
	SYSCTL("pid_max", PROC_ID_SYS_PID_MAX, show_pid_max),
	{ 0 },
};

static const struct proc_entry sys_vm_entries[] = {
	SYSCTL("overcommit_memory", PROC_ID_SYS_OVERCOMMIT, show_overcommit),
	{ 0 },
};

static const struct proc_entry sys_fs_entries[] = {
	SYSCTL("nr_open", PROC_ID_SYS_NR_OPEN, show_nr_open),
	SYSCTL("pipe-max-size", PROC_ID_SYS_PIPE_MAX, show_pipe_max),
	{ 0 },
};

static const struct proc_entry sys_entries[] = {
	DIR_ENTRY("fs", PROC_ID_SYS_FS, sys_fs_entries),
	DIR_ENTRY("kernel", PROC_ID_SYS_KERNEL, sys_kernel_entries),
	DIR_ENTRY("vm", PROC_ID_SYS_VM, sys_vm_entries),
	{ 0 },
};

static const struct proc_entry root_entries[] = {
	FILE_ENTRY("cpuinfo", PROC_ID_CPUINFO, show_cpuinfo),
	FILE_ENTRY("filesystems", PROC_ID_FILESYSTEMS, show_filesystems),
	FILE_ENTRY("loadavg", PROC_ID_LOADAVG, show_loadavg),
	FILE_ENTRY("meminfo", PROC_ID_MEMINFO, show_meminfo),
	LINK_ENTRY("mounts", PROC_ID_MOUNTS, readlink_mounts),
	LINK_ENTRY("self", PROC_ID_SELF, readlink_self),
	FILE_ENTRY("stat", PROC_ID_STAT, show_stat),
	DIR_ENTRY("sys", PROC_ID_SYS, sys_entries),
	LINK_ENTRY("thread-self", PROC_ID_THREAD_SELF, readlink_thread_self),
	FILE_ENTRY("uptime", PROC_ID_UPTIME, show_uptime),
	FILE_ENTRY("version", PROC_ID_VERSION, show_version),
	{ 0 },
};

const struct proc_entry proc_root_entry = {
	.id = PROC_ID_ROOT,
	.mode = S_IFDIR | 0555,
	.children = root_entries,
	.dyn = PROC_DYN_PIDS,
};
