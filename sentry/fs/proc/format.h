/*
 * procfs's text formats as pure functions: plain values in, Linux's exact text out. Kept free
 * of tasks and locks so the unit tests can compare them with what Linux prints.
 */
#ifndef CVISOR_FS_PROC_FORMAT_H
#define CVISOR_FS_PROC_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* A growing text buffer, as Linux's seq_file: a file's whole contents, made at open. */
struct proc_buf {
	char *data;
	size_t len, cap;
	bool oom; /* an allocation failed: the contents are incomplete (open fails -ENOMEM) */
};

void proc_buf_printf(struct proc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void proc_buf_put(struct proc_buf *b, const void *s, size_t n);
void proc_buf_puts(struct proc_buf *b, const char *s);
/* Room for n more bytes at data + len (the caller then adds to len); false when out of memory. */
bool proc_buf_reserve(struct proc_buf *b, size_t n);
void proc_buf_free(struct proc_buf *b);

/* USER_HZ: the clock ticks of /proc/PID/stat and /proc/stat. */
#define PROC_CLK_TCK 100
#define PROC_NS_PER_TICK (1000000000ULL / PROC_CLK_TCK)

/* Every capability up to CAP_CHECKPOINT_RESTORE (40), Linux's CAP_LAST_CAP. */
#define PROC_CAP_LAST_CAP 40
#define PROC_CAP_FULL ((1ULL << (PROC_CAP_LAST_CAP + 1)) - 1)

#define PROC_NGROUPS_MAX 64

/* What /proc/PID/stat, status and statm show of one task (or thread group). */
struct proc_task_view {
	int pid, tgid, ppid, pgid, sid, tracer_pid;
	int tty_nr, tpgid;
	char comm[16]; /* NUL-terminated */
	char state;    /* R S D T t X Z */
	unsigned int flags;
	uint64_t utime, stime, cutime, cstime; /* clock ticks */
	int priority, nice, num_threads;
	uint64_t start_time; /* clock ticks since boot */
	bool wchan;	     /* sleeping in the kernel */
	int exit_signal, processor;
	/* ptrace_may_access: the reader may see addresses and the exit code. */
	bool permitted;
	int exit_code;

	/* Signals: bit sig-1 for sig. */
	uint64_t sig_pending, sig_shared_pending, sig_blocked, sig_ignored, sig_caught;
	int sigq_queued;
	uint64_t sigq_limit;

	/* Credentials: real, effective, saved, fs. */
	unsigned int uid[4], gid[4];
	int ngroups;
	unsigned int groups[PROC_NGROUPS_MAX];
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int no_new_privs, seccomp;

	int umask; /* -1: none (a zombie) */
	int fdsize;
	uint64_t rsslim;

	/* The address space; all zero and has_mm false for a zombie. Sizes in bytes. */
	bool has_mm;
	uint64_t vm_size, vm_peak, vm_rss, vm_hwm, rss_anon, rss_file, rss_shmem;
	uint64_t vm_data, vm_stack, vm_exe, vm_lib;
	uint64_t start_code, end_code, start_stack, start_data, end_data, start_brk;
	uint64_t arg_start, arg_end, env_start, env_end;
};

/* "R (running)" ... for a state letter. */
const char *proc_state_name(char state);
/* /proc/PID/stat: the 52 fields and a newline. */
void proc_fmt_stat(struct proc_buf *b, const struct proc_task_view *v);
/* /proc/PID/status. */
void proc_fmt_status(struct proc_buf *b, const struct proc_task_view *v);
/* /proc/PID/statm: pages. */
void proc_fmt_statm(struct proc_buf *b, const struct proc_task_view *v);
/* /proc/PID/limits from the 16 rlimits (RLIM_NLIMITS). */
#define PROC_NLIMITS 16
void proc_fmt_limits(struct proc_buf *b, const struct rlimit rl[PROC_NLIMITS]);

/* One line of /proc/mounts: spaces, tabs, newlines and backslashes escaped as \ooo. */
void proc_fmt_mount(struct proc_buf *b, const char *source, const char *mountpoint,
		    const char *type, const char *options);
/* One line of /proc/PID/mountinfo. */
void proc_fmt_mountinfo(struct proc_buf *b, int id, int parent_id, unsigned int major,
			unsigned int minor, const char *root, const char *mountpoint,
			const char *options, const char *type, const char *source,
			const char *super_options);
/* /proc/PID/fdinfo/N. flags as F_GETFL gives them, plus O_CLOEXEC. */
void proc_fmt_fdinfo(struct proc_buf *b, int64_t pos, unsigned int flags, int mnt_id, uint64_t ino);

/* /proc/uptime and /proc/loadavg. */
void proc_fmt_uptime(struct proc_buf *b, uint64_t uptime_ns, uint64_t idle_ns);
void proc_fmt_loadavg(struct proc_buf *b, int running, int tasks, int last_pid);

/* /proc/meminfo; values in kB. */
struct proc_meminfo {
	uint64_t total, free, available, buffers, cached, shmem, swap_total, swap_free;
};
void proc_fmt_meminfo(struct proc_buf *b, const struct proc_meminfo *m);

/* /proc/stat with zero CPU times for ncpu CPUs. */
void proc_fmt_kernel_stat(struct proc_buf *b, int ncpu, uint64_t btime, uint64_t processes,
			  int running, int blocked);

#endif
