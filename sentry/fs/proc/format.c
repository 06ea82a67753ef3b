/* procfs's text formats (see format.h): Linux's exact layout, field by field. */
#include "sentry/fs/proc/format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* ---- the buffer ---- */

bool proc_buf_reserve(struct proc_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->cap - b->len > n)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *data = realloc(b->data, cap);
	if (!data) {
		b->oom = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void proc_buf_put(struct proc_buf *b, const void *s, size_t n)
{
	if (!proc_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void proc_buf_puts(struct proc_buf *b, const char *s)
{
	proc_buf_put(b, s, strlen(s));
}

void proc_buf_printf(struct proc_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (!proc_buf_reserve(b, 128))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!proc_buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void proc_buf_free(struct proc_buf *b)
{
	free(b->data);
	*b = (struct proc_buf){ 0 };
}

/* ---- /proc/PID ---- */

const char *proc_state_name(char state)
{
	switch (state) {
	case 'R':
		return "R (running)";
	case 'S':
		return "S (sleeping)";
	case 'D':
		return "D (disk sleep)";
	case 'T':
		return "T (stopped)";
	case 't':
		return "t (tracing stop)";
	case 'X':
		return "X (dead)";
	case 'Z':
		return "Z (zombie)";
	default:
		return "R (running)";
	}
}

void proc_fmt_stat(struct proc_buf *b, const struct proc_task_view *v)
{
	/* Linux's do_task_stat. The old signal fields are decimal and only the first 31 bits. */
	const uint64_t sig31 = 0x7fffffffULL;
	bool mm = v->has_mm, ok = v->permitted;

	proc_buf_printf(b, "%d (%s) %c %d %d %d %d %d %u %d %d %d %d ", v->pid, v->comm, v->state,
			v->ppid, v->pgid, v->sid, v->tty_nr, v->tpgid, v->flags, 0, 0, 0, 0);
	proc_buf_printf(b, "%llu %llu %lld %lld %d %d %d 0 %llu ", (unsigned long long)v->utime,
			(unsigned long long)v->stime, (long long)v->cutime, (long long)v->cstime,
			v->priority, v->nice, v->num_threads, (unsigned long long)v->start_time);
	proc_buf_printf(b, "%llu %llu %llu ", (unsigned long long)v->vm_size,
			(unsigned long long)(v->vm_rss / PAGE_SIZE), (unsigned long long)v->rsslim);
	/* Without permission Linux shows 1 for the code bounds, so that ps still sees a user
	 * process (kernel threads have 0). */
	proc_buf_printf(b, "%llu %llu %llu 0 0 ",
			(unsigned long long)(mm ? (ok ? v->start_code : 1) : 0),
			(unsigned long long)(mm ? (ok ? v->end_code : 1) : 0),
			(unsigned long long)(mm && ok ? v->start_stack : 0));
	proc_buf_printf(b, "%llu %llu %llu %llu %d 0 0 %d %d 0 0 0 0 0",
			(unsigned long long)(v->sig_pending & sig31),
			(unsigned long long)(v->sig_blocked & sig31),
			(unsigned long long)(v->sig_ignored & sig31),
			(unsigned long long)(v->sig_caught & sig31), ok && v->wchan ? 1 : 0,
			v->exit_signal, v->processor);
	if (mm && ok)
		proc_buf_printf(b, " %llu %llu %llu %llu %llu %llu %llu",
				(unsigned long long)v->start_data, (unsigned long long)v->end_data,
				(unsigned long long)v->start_brk, (unsigned long long)v->arg_start,
				(unsigned long long)v->arg_end, (unsigned long long)v->env_start,
				(unsigned long long)v->env_end);
	else
		proc_buf_puts(b, " 0 0 0 0 0 0 0");
	proc_buf_printf(b, " %d\n", ok ? v->exit_code : 0);
}

/* The comm as status shows it: Linux escapes only '\n' and '\\'. */
static void put_escaped_comm(struct proc_buf *b, const char *comm)
{
	for (size_t i = 0; i < 16 && comm[i]; i++) {
		if (comm[i] == '\n')
			proc_buf_puts(b, "\\n");
		else if (comm[i] == '\\')
			proc_buf_puts(b, "\\\\");
		else
			proc_buf_put(b, &comm[i], 1);
	}
}

static void put_kb(struct proc_buf *b, const char *name, uint64_t bytes)
{
	proc_buf_printf(b, "%s:\t%8llu kB\n", name, (unsigned long long)(bytes >> 10));
}

void proc_fmt_status(struct proc_buf *b, const struct proc_task_view *v)
{
	proc_buf_puts(b, "Name:\t");
	put_escaped_comm(b, v->comm);
	proc_buf_puts(b, "\n");
	if (v->umask >= 0)
		proc_buf_printf(b, "Umask:\t%#04o\n", (unsigned int)v->umask);
	proc_buf_printf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n",
			proc_state_name(v->state), v->tgid, v->pid, v->ppid, v->tracer_pid);
	proc_buf_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", v->uid[0], v->uid[1],
			v->uid[2], v->uid[3], v->gid[0], v->gid[1], v->gid[2], v->gid[3]);
	proc_buf_printf(b, "FDSize:\t%d\nGroups:\t", v->fdsize);
	for (int i = 0; i < v->ngroups && i < PROC_NGROUPS_MAX; i++)
		proc_buf_printf(b, i ? " %u" : "%u", v->groups[i]);
	/* Linux's trailing space, kept for compatibility. */
	proc_buf_puts(b, " \n");
	/* One PID namespace level: the sandbox's. */
	proc_buf_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n",
			v->tgid, v->pid, v->pgid, v->sid);
	if (v->has_mm) {
		put_kb(b, "VmPeak", v->vm_peak);
		put_kb(b, "VmSize", v->vm_size);
		put_kb(b, "VmLck", 0);
		put_kb(b, "VmPin", 0);
		put_kb(b, "VmHWM", v->vm_hwm);
		put_kb(b, "VmRSS", v->vm_rss);
		put_kb(b, "RssAnon", v->rss_anon);
		put_kb(b, "RssFile", v->rss_file);
		put_kb(b, "RssShmem", v->rss_shmem);
		put_kb(b, "VmData", v->vm_data);
		put_kb(b, "VmStk", v->vm_stack);
		put_kb(b, "VmExe", v->vm_exe);
		put_kb(b, "VmLib", v->vm_lib);
		put_kb(b, "VmPTE", 0);
		put_kb(b, "VmSwap", 0);
		put_kb(b, "HugetlbPages", 0);
		proc_buf_puts(b, "CoreDumping:\t0\nTHP_enabled:\t1\n");
	}
	proc_buf_printf(b, "Threads:\t%d\nSigQ:\t%d/%llu\n", v->num_threads, v->sigq_queued,
			(unsigned long long)v->sigq_limit);
	proc_buf_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n",
			(unsigned long long)v->sig_pending,
			(unsigned long long)v->sig_shared_pending,
			(unsigned long long)v->sig_blocked);
	proc_buf_printf(b, "SigIgn:\t%016llx\nSigCgt:\t%016llx\n",
			(unsigned long long)v->sig_ignored, (unsigned long long)v->sig_caught);
	proc_buf_printf(b, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n",
			(unsigned long long)v->cap_inh, (unsigned long long)v->cap_prm,
			(unsigned long long)v->cap_eff);
	proc_buf_printf(b, "CapBnd:\t%016llx\nCapAmb:\t%016llx\n", (unsigned long long)v->cap_bnd,
			(unsigned long long)v->cap_amb);
	/* A filtered task has one filter: the container's profile. */
	proc_buf_printf(b, "NoNewPrivs:\t%d\nSeccomp:\t%d\nSeccomp_filters:\t%d\n", v->no_new_privs,
			v->seccomp, v->seccomp == 2);
}

void proc_fmt_statm(struct proc_buf *b, const struct proc_task_view *v)
{
	/* size resident shared text lib data dt, in pages; lib and dt are always 0 in Linux. */
	uint64_t text = ROUND_UP(v->end_code, PAGE_SIZE) - ROUND_DOWN(v->start_code, PAGE_SIZE);
	proc_buf_printf(b, "%llu %llu %llu %llu 0 %llu 0\n",
			(unsigned long long)(v->vm_size / PAGE_SIZE),
			(unsigned long long)(v->vm_rss / PAGE_SIZE),
			(unsigned long long)((v->rss_file + v->rss_shmem) / PAGE_SIZE),
			(unsigned long long)(text / PAGE_SIZE),
			(unsigned long long)((v->vm_data + v->vm_stack) / PAGE_SIZE));
}

static const struct {
	const char *name, *unit;
} limit_names[PROC_NLIMITS] = {
	[RLIMIT_CPU] = { "Max cpu time", "seconds" },
	[RLIMIT_FSIZE] = { "Max file size", "bytes" },
	[RLIMIT_DATA] = { "Max data size", "bytes" },
	[RLIMIT_STACK] = { "Max stack size", "bytes" },
	[RLIMIT_CORE] = { "Max core file size", "bytes" },
	[RLIMIT_RSS] = { "Max resident set", "bytes" },
	[RLIMIT_NPROC] = { "Max processes", "processes" },
	[RLIMIT_NOFILE] = { "Max open files", "files" },
	[RLIMIT_MEMLOCK] = { "Max locked memory", "bytes" },
	[RLIMIT_AS] = { "Max address space", "bytes" },
	[RLIMIT_LOCKS] = { "Max file locks", "locks" },
	[RLIMIT_SIGPENDING] = { "Max pending signals", "signals" },
	[RLIMIT_MSGQUEUE] = { "Max msgqueue size", "bytes" },
	[RLIMIT_NICE] = { "Max nice priority", NULL },
	[RLIMIT_RTPRIO] = { "Max realtime priority", NULL },
	[RLIMIT_RTTIME] = { "Max realtime timeout", "us" },
};

static void put_limit(struct proc_buf *b, rlim_t v)
{
	if (v == RLIM_INFINITY)
		proc_buf_printf(b, "%-20s ", "unlimited");
	else
		proc_buf_printf(b, "%-20llu ", (unsigned long long)v);
}

void proc_fmt_limits(struct proc_buf *b, const struct rlimit rl[PROC_NLIMITS])
{
	proc_buf_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit",
			"Units");
	for (int i = 0; i < PROC_NLIMITS; i++) {
		proc_buf_printf(b, "%-25s ", limit_names[i].name);
		put_limit(b, rl[i].rlim_cur);
		put_limit(b, rl[i].rlim_max);
		if (limit_names[i].unit)
			proc_buf_printf(b, "%-10s\n", limit_names[i].unit);
		else
			proc_buf_puts(b, "\n");
	}
}

/* ---- mounts ---- */

/* Linux's mangle(): the characters that would break the space-separated columns. */
static void put_mangled(struct proc_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			proc_buf_printf(b, "\\%03o", (unsigned char)*s);
		else
			proc_buf_put(b, s, 1);
	}
}

void proc_fmt_mount(struct proc_buf *b, const char *source, const char *mountpoint,
		    const char *type, const char *options)
{
	put_mangled(b, source);
	proc_buf_puts(b, " ");
	put_mangled(b, mountpoint);
	proc_buf_puts(b, " ");
	put_mangled(b, type);
	proc_buf_printf(b, " %s 0 0\n", options);
}

void proc_fmt_mountinfo(struct proc_buf *b, int id, int parent_id, unsigned int major,
			unsigned int minor, const char *root, const char *mountpoint,
			const char *options, const char *type, const char *source,
			const char *super_options)
{
	proc_buf_printf(b, "%d %d %u:%u ", id, parent_id, major, minor);
	put_mangled(b, root);
	proc_buf_puts(b, " ");
	put_mangled(b, mountpoint);
	proc_buf_printf(b, " %s - ", options);
	put_mangled(b, type);
	proc_buf_puts(b, " ");
	put_mangled(b, source);
	proc_buf_printf(b, " %s\n", super_options);
}

void proc_fmt_fdinfo(struct proc_buf *b, int64_t pos, unsigned int flags, int mnt_id, uint64_t ino)
{
	proc_buf_printf(b, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n", (long long)pos,
			flags, mnt_id, (unsigned long long)ino);
}

/* ---- system-wide files ---- */

/* "S.CC": seconds and hundredths. */
static void put_centi(struct proc_buf *b, uint64_t ns)
{
	proc_buf_printf(b, "%llu.%02llu", (unsigned long long)(ns / 1000000000ULL),
			(unsigned long long)(ns % 1000000000ULL / 10000000ULL));
}

void proc_fmt_uptime(struct proc_buf *b, uint64_t uptime_ns, uint64_t idle_ns)
{
	put_centi(b, uptime_ns);
	proc_buf_puts(b, " ");
	put_centi(b, idle_ns);
	proc_buf_puts(b, "\n");
}

void proc_fmt_loadavg(struct proc_buf *b, int running, int tasks, int last_pid)
{
	proc_buf_printf(b, "0.00 0.00 0.00 %d/%d %d\n", running, tasks, last_pid);
}

static void put_meminfo(struct proc_buf *b, const char *name, uint64_t kb)
{
	/* Linux pads the name with its colon to 16 columns, the value to 8. */
	char label[32];
	snprintf(label, sizeof(label), "%s:", name);
	proc_buf_printf(b, "%-16s%8llu kB\n", label, (unsigned long long)kb);
}

void proc_fmt_meminfo(struct proc_buf *b, const struct proc_meminfo *m)
{
	put_meminfo(b, "MemTotal", m->total);
	put_meminfo(b, "MemFree", m->free);
	put_meminfo(b, "MemAvailable", m->available);
	put_meminfo(b, "Buffers", m->buffers);
	put_meminfo(b, "Cached", m->cached);
	put_meminfo(b, "SwapCached", 0);
	put_meminfo(b, "SwapTotal", m->swap_total);
	put_meminfo(b, "SwapFree", m->swap_free);
	put_meminfo(b, "Shmem", m->shmem);
}

void proc_fmt_kernel_stat(struct proc_buf *b, int ncpu, uint64_t btime, uint64_t processes,
			  int running, int blocked)
{
	proc_buf_puts(b, "cpu  0 0 0 0 0 0 0 0 0 0\n");
	for (int i = 0; i < ncpu; i++)
		proc_buf_printf(b, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", i);
	proc_buf_printf(b,
			"intr 0\nctxt 0\nbtime %llu\nprocesses %llu\nprocs_running %d\n"
			"procs_blocked %d\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
			(unsigned long long)btime, (unsigned long long)processes, running, blocked);
}
