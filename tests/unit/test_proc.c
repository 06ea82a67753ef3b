/*
 * procfs's pure formatters (sentry/fs/proc/format.h): exact strings for made-up tasks, and the
 * same formats checked against what this machine's Linux prints in its own /proc/self.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sentry/fs/proc/format.h"

/* ---- helpers ---- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	ck_assert_msg(f != NULL, "open %s", path);
	struct proc_buf b = { 0 };
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		proc_buf_put(&b, chunk, n);
	fclose(f);
	ck_assert(!b.oom);
	return b.data ? b.data : strdup("");
}

/* The line of text that starts with key (e.g. "Uid:"), without its newline; NULL if none. */
static char *line_of(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= kl && strncmp(p, key, kl) == 0)
			return strndup(p, len);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static char *fmt_text(void (*fn)(struct proc_buf *, const struct proc_task_view *),
		      const struct proc_task_view *v)
{
	struct proc_buf b = { 0 };
	fn(&b, v);
	ck_assert(!b.oom);
	return b.data;
}

/* Splits the fields of a stat line: [0] pid, [1] "(comm)", [2] state ... */
static int stat_fields(const char *line, char fields[64][32])
{
	const char *close = strrchr(line, ')');
	ck_assert_ptr_nonnull(close);
	int n = 0;
	snprintf(fields[n++], 32, "%d", atoi(line));
	const char *open = strchr(line, '(');
	snprintf(fields[n++], 32, "%.*s", (int)(close - open + 1), open);
	for (const char *p = close + 1; *p && *p != '\n';) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " \n");
		if (!len)
			break;
		ck_assert_int_lt(n, 64);
		snprintf(fields[n++], 32, "%.*s", (int)len, p);
		p += len;
	}
	return n;
}

/* A made-up live task with an address space, seen by a reader that may look into it. */
static struct proc_task_view sample_view(void)
{
	struct proc_task_view v = {
		.pid = 42,
		.tgid = 42,
		.ppid = 1,
		.pgid = 42,
		.sid = 1,
		.tpgid = -1,
		.comm = "sh",
		.state = 'S',
		.utime = 3,
		.stime = 4,
		.priority = 20,
		.num_threads = 1,
		.start_time = 250,
		.wchan = true,
		.exit_signal = 17,
		.permitted = true,
		.sig_blocked = (1ULL << 1) | (1ULL << 32),
		.sig_ignored = 1ULL << 2,
		.sig_caught = 1ULL << 16,
		.sigq_queued = 0,
		.sigq_limit = 63457,
		.uid = { 1000, 1000, 1000, 1000 },
		.gid = { 100, 100, 100, 100 },
		.ngroups = 2,
		.groups = { 100, 27 },
		.cap_bnd = PROC_CAP_FULL,
		.umask = 022,
		.fdsize = 64,
		.rsslim = RLIM_INFINITY,
		.has_mm = true,
		.vm_size = 4096000,
		.vm_peak = 4096000,
		.vm_rss = 8192,
		.vm_hwm = 8192,
		.rss_anon = 4096,
		.rss_file = 4096,
		.vm_data = 139264,
		.vm_stack = 135168,
		.vm_exe = 4096,
		.vm_lib = 1564672,
		.start_code = 0x400000,
		.end_code = 0x401800,
		.start_stack = 0x7ffffffde000,
		.start_data = 0x402000,
		.end_data = 0x403000,
		.start_brk = 0x404000,
		.arg_start = 1000,
		.arg_end = 1010,
		.env_start = 1010,
		.env_end = 1030,
	};
	return v;
}

/* ---- /proc/PID/stat ---- */

START_TEST(stat_exact)
{
	struct proc_task_view v = sample_view();
	char *s = fmt_text(proc_fmt_stat, &v);
	ck_assert_str_eq(s,
			 "42 (sh) S 1 42 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 250 4096000 2 "
			 "18446744073709551615 4194304 4200448 140737488216064 0 0 0 2 4 65536 1 "
			 "0 0 17 0 0 0 0 0 0 4202496 4206592 4210688 1000 1010 1010 1030 0\n");
	char f[64][32];
	ck_assert_int_eq(stat_fields(s, f), 52);
	free(s);
}
END_TEST

START_TEST(stat_unpermitted_and_zombie)
{
	struct proc_task_view v = sample_view();
	v.permitted = false;
	char *s = fmt_text(proc_fmt_stat, &v);
	/* Linux hides addresses, wchan and the exit code; code bounds read 1. */
	ck_assert_str_eq(s, "42 (sh) S 1 42 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 250 4096000 2 "
			    "18446744073709551615 1 1 0 0 0 0 2 4 65536 0 "
			    "0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	free(s);

	struct proc_task_view z = { .pid = 7,
				    .tgid = 7,
				    .ppid = 1,
				    .pgid = 7,
				    .sid = 1,
				    .tpgid = -1,
				    .comm = "a (b) c",
				    .state = 'Z',
				    .num_threads = 1,
				    .exit_signal = 17,
				    .permitted = true,
				    .exit_code = 256 };
	s = fmt_text(proc_fmt_stat, &z);
	ck_assert_str_eq(s, "7 (a (b) c) Z 1 7 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 "
			    "0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 256\n");
	char f[64][32];
	ck_assert_int_eq(stat_fields(s, f), 52);
	ck_assert_str_eq(f[1], "(a (b) c)");
	free(s);
}
END_TEST

/* Our line for this very process has Linux's shape and the same values where we know them. */
START_TEST(stat_matches_linux)
{
	char *real = read_text("/proc/self/stat");
	struct proc_task_view v = { 0 };
	v.pid = v.tgid = getpid();
	prctl(PR_GET_NAME, v.comm);
	v.state = 'R';
	v.ppid = getppid();
	v.pgid = getpgrp();
	v.sid = getsid(0);
	v.num_threads = 1;
	v.exit_signal = SIGCHLD;
	v.permitted = true;
	v.has_mm = true;
	struct rlimit rl;
	getrlimit(RLIMIT_RSS, &rl);
	v.rsslim = rl.rlim_cur;
	char *ours = fmt_text(proc_fmt_stat, &v);

	char rf[64][32], of[64][32];
	ck_assert_int_eq(stat_fields(real, rf), 52);
	ck_assert_int_eq(stat_fields(ours, of), 52);
	/* pid comm state ppid pgrp session; num_threads; rsslim; exit_signal; processor is
	 * the one field that may differ in kind. */
	const int same[] = { 0, 1, 2, 3, 4, 5, 19, 24, 37 };
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		ck_assert_msg(strcmp(rf[same[i]], of[same[i]]) == 0, "field %d: real %s ours %s",
			      same[i] + 1, rf[same[i]], of[same[i]]);
	free(real);
	free(ours);
}
END_TEST

/* ---- /proc/PID/status ---- */

START_TEST(status_exact)
{
	struct proc_task_view v = sample_view();
	char *s = fmt_text(proc_fmt_status, &v);
	ck_assert_str_eq(s, "Name:\tsh\n"
			    "Umask:\t0022\n"
			    "State:\tS (sleeping)\n"
			    "Tgid:\t42\n"
			    "Ngid:\t0\n"
			    "Pid:\t42\n"
			    "PPid:\t1\n"
			    "TracerPid:\t0\n"
			    "Uid:\t1000\t1000\t1000\t1000\n"
			    "Gid:\t100\t100\t100\t100\n"
			    "FDSize:\t64\n"
			    "Groups:\t100 27 \n"
			    "NStgid:\t42\n"
			    "NSpid:\t42\n"
			    "NSpgid:\t42\n"
			    "NSsid:\t1\n"
			    "Kthread:\t0\n"
			    "VmPeak:\t    4000 kB\n"
			    "VmSize:\t    4000 kB\n"
			    "VmLck:\t       0 kB\n"
			    "VmPin:\t       0 kB\n"
			    "VmHWM:\t       8 kB\n"
			    "VmRSS:\t       8 kB\n"
			    "RssAnon:\t       4 kB\n"
			    "RssFile:\t       4 kB\n"
			    "RssShmem:\t       0 kB\n"
			    "VmData:\t     136 kB\n"
			    "VmStk:\t     132 kB\n"
			    "VmExe:\t       4 kB\n"
			    "VmLib:\t    1528 kB\n"
			    "VmPTE:\t       0 kB\n"
			    "VmSwap:\t       0 kB\n"
			    "HugetlbPages:\t       0 kB\n"
			    "CoreDumping:\t0\n"
			    "THP_enabled:\t1\n"
			    "Threads:\t1\n"
			    "SigQ:\t0/63457\n"
			    "SigPnd:\t0000000000000000\n"
			    "ShdPnd:\t0000000000000000\n"
			    "SigBlk:\t0000000100000002\n"
			    "SigIgn:\t0000000000000004\n"
			    "SigCgt:\t0000000000010000\n"
			    "CapInh:\t0000000000000000\n"
			    "CapPrm:\t0000000000000000\n"
			    "CapEff:\t0000000000000000\n"
			    "CapBnd:\t000001ffffffffff\n"
			    "CapAmb:\t0000000000000000\n"
			    "NoNewPrivs:\t0\n"
			    "Seccomp:\t0\n"
			    "Seccomp_filters:\t0\n");
	free(s);
}
END_TEST

START_TEST(status_zombie_and_escapes)
{
	struct proc_task_view z = { .pid = 9,
				    .tgid = 9,
				    .ppid = 1,
				    .pgid = 9,
				    .sid = 9,
				    .comm = "a\\b\n",
				    .state = 'Z',
				    .num_threads = 1,
				    .umask = -1 };
	char *s = fmt_text(proc_fmt_status, &z);
	/* No Umask and no Vm lines without an fs context and an mm; no groups: just the space. */
	ck_assert_str_eq(s, "Name:\ta\\\\b\\n\n"
			    "State:\tZ (zombie)\n"
			    "Tgid:\t9\n"
			    "Ngid:\t0\n"
			    "Pid:\t9\n"
			    "PPid:\t1\n"
			    "TracerPid:\t0\n"
			    "Uid:\t0\t0\t0\t0\n"
			    "Gid:\t0\t0\t0\t0\n"
			    "FDSize:\t0\n"
			    "Groups:\t \n"
			    "NStgid:\t9\n"
			    "NSpid:\t9\n"
			    "NSpgid:\t9\n"
			    "NSsid:\t9\n"
			    "Kthread:\t0\n"
			    "Threads:\t1\n"
			    "SigQ:\t0/0\n"
			    "SigPnd:\t0000000000000000\n"
			    "ShdPnd:\t0000000000000000\n"
			    "SigBlk:\t0000000000000000\n"
			    "SigIgn:\t0000000000000000\n"
			    "SigCgt:\t0000000000000000\n"
			    "CapInh:\t0000000000000000\n"
			    "CapPrm:\t0000000000000000\n"
			    "CapEff:\t0000000000000000\n"
			    "CapBnd:\t0000000000000000\n"
			    "CapAmb:\t0000000000000000\n"
			    "NoNewPrivs:\t0\n"
			    "Seccomp:\t0\n"
			    "Seccomp_filters:\t0\n");
	free(s);
	ck_assert_str_eq(proc_state_name('T'), "T (stopped)");
	ck_assert_str_eq(proc_state_name('R'), "R (running)");
}
END_TEST

/* The kernel's sigaction, to read every handler (glibc refuses 32 and 33). */
struct kernel_sigaction {
	unsigned long handler, flags, restorer;
	uint64_t mask;
};

/* This process's own values, formatted, give the lines Linux shows for it. */
START_TEST(status_matches_linux)
{
	/* Something to see in the masks. */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sa.sa_handler = (void (*)(int))abort;
	sigaction(SIGWINCH, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGRTMAX);
	sigprocmask(SIG_BLOCK, &set, NULL);
	mode_t mask = umask(027);

	struct proc_task_view v = { 0 };
	v.pid = v.tgid = getpid();
	v.ppid = getppid();
	v.pgid = getpgrp();
	v.sid = getsid(0);
	v.state = 'R';
	prctl(PR_GET_NAME, v.comm);
	v.num_threads = 1;
	v.umask = 027;
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	v.uid[0] = r, v.uid[1] = e, v.uid[2] = s, v.uid[3] = (unsigned int)setfsuid(-1);
	gid_t gr, ge, gs;
	getresgid(&gr, &ge, &gs);
	v.gid[0] = gr, v.gid[1] = ge, v.gid[2] = gs, v.gid[3] = (unsigned int)setfsgid(-1);
	gid_t groups[PROC_NGROUPS_MAX];
	v.ngroups = getgroups(PROC_NGROUPS_MAX, groups);
	ck_assert_int_ge(v.ngroups, 0);
	for (int i = 0; i < v.ngroups; i++)
		v.groups[i] = groups[i];
	uint64_t blocked;
	ck_assert_int_eq(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, 8), 0);
	v.sig_blocked = blocked;
	for (int sig = 1; sig <= 64; sig++) {
		struct kernel_sigaction ka;
		if (syscall(SYS_rt_sigaction, sig, NULL, &ka, 8) != 0)
			continue;
		if (ka.handler == (unsigned long)SIG_IGN)
			v.sig_ignored |= 1ULL << (sig - 1);
		else if (ka.handler != (unsigned long)SIG_DFL)
			v.sig_caught |= 1ULL << (sig - 1);
	}
	v.no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	v.seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	v.has_mm = true;
	v.vm_size = 123456789;

	char *real = read_text("/proc/self/status");
	umask(mask);
	char *ours = fmt_text(proc_fmt_status, &v);

	const char *exact[] = { "Name:",       "Umask:",   "State:",	 "Tgid:",   "Ngid:",
				"Pid:",	       "PPid:",	   "TracerPid:", "Uid:",    "Gid:",
				"Groups:",     "NStgid:",  "NSpid:",	 "NSpgid:", "NSsid:",
				"Kthread:",    "Threads:", "SigBlk:",	 "SigIgn:", "SigCgt:",
				"NoNewPrivs:", "Seccomp:" };
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		char *a = line_of(real, exact[i]), *b = line_of(ours, exact[i]);
		ck_assert_msg(b != NULL, "we lack %s", exact[i]);
		if (a) /* older kernels lack some (Kthread) */
			ck_assert_msg(strcmp(a, b) == 0, "real \"%s\" ours \"%s\"", a, b);
		free(a);
		free(b);
	}
	/* Our keys come in Linux's order (Linux has more), and the kB lines have its width. */
	char real_keys[128][32];
	int nreal = 0;
	for (const char *q = real; *q && nreal < 128; q = strchr(q, '\n') + 1)
		snprintf(real_keys[nreal++], 32, "%.*s", (int)strcspn(q, ":") + 1, q);
	int k = 0;
	for (const char *q = ours; *q; q = strchr(q, '\n') + 1) {
		char key[32];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(q, ":") + 1, q);
		int at = k;
		while (at < nreal && strcmp(real_keys[at], key) != 0)
			at++;
		if (at == nreal) {
			ck_assert_msg(strstr(real, key) == NULL, "%s out of Linux's order", key);
			continue; /* a line this kernel does not have yet */
		}
		k = at + 1;
		char *a = line_of(real, key), *b = line_of(q, key);
		/* Linux pads to 8 digits; a bigger value (a sanitizer's huge VmPeak) is wider. */
		if (strstr(b, " kB") && strspn(a + strcspn(a, "0123456789"), "0123456789") <= 8)
			ck_assert_msg(strlen(a) == strlen(b), "width: real \"%s\" ours \"%s\"", a,
				      b);
		free(a);
		free(b);
	}
	free(real);
	free(ours);
}
END_TEST

/* ---- statm, limits ---- */

START_TEST(statm_exact)
{
	struct proc_task_view v = sample_view();
	char *s = fmt_text(proc_fmt_statm, &v);
	/* size resident shared text lib data dt */
	ck_assert_str_eq(s, "1000 2 1 2 0 67 0\n");
	free(s);
}
END_TEST

START_TEST(limits_match_linux)
{
	struct rlimit rl[PROC_NLIMITS];
	for (int i = 0; i < PROC_NLIMITS; i++)
		ck_assert_int_eq(getrlimit(i, &rl[i]), 0);
	struct proc_buf b = { 0 };
	proc_fmt_limits(&b, rl);
	char *real = read_text("/proc/self/limits");
	ck_assert_str_eq(b.data, real);
	free(real);
	proc_buf_free(&b);
}
END_TEST

START_TEST(limits_exact)
{
	struct rlimit rl[PROC_NLIMITS];
	for (int i = 0; i < PROC_NLIMITS; i++)
		rl[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
	rl[RLIMIT_NOFILE] = (struct rlimit){ 1024, 524288 };
	rl[RLIMIT_NICE] = (struct rlimit){ 0, 0 };
	struct proc_buf b = { 0 };
	proc_fmt_limits(&b, rl);
	char *nofile = line_of(b.data, "Max open files"), *nice = line_of(b.data, "Max nice");
	ck_assert_str_eq(
		b.data ? strtok(strdup(b.data), "\n") : "",
		"Limit                     Soft Limit           Hard Limit           Units     ");
	ck_assert_str_eq(
		nofile,
		"Max open files            1024                 524288               files     ");
	ck_assert_str_eq(nice,
			 "Max nice priority         0                    0                    ");
	free(nofile);
	free(nice);
	proc_buf_free(&b);
}
END_TEST

/* ---- mounts, fdinfo ---- */

START_TEST(mount_lines)
{
	struct proc_buf b = { 0 };
	/* As Linux showed `mount -t tmpfs "src x" "/tmp/a b#c"`. */
	proc_fmt_mount(&b, "src x", "/tmp/a b#c", "tmpfs", "rw,relatime");
	proc_fmt_mount(&b, "proc", "/proc", "proc", "rw");
	proc_fmt_mount(&b, "x", "/a\tb\\c\nd", "overlay", "ro,noexec");
	ck_assert_str_eq(b.data, "src\\040x /tmp/a\\040b#c tmpfs rw,relatime 0 0\n"
				 "proc /proc proc rw 0 0\n"
				 "x /a\\011b\\134c\\012d overlay ro,noexec 0 0\n");
	proc_buf_free(&b);
	proc_fmt_mountinfo(&b, 21, 26, 0, 20, "/", "/proc", "rw,relatime", "proc", "proc", "rw");
	proc_fmt_mountinfo(&b, 2, 1, 0, 17, "/", "/a b", "rw", "tmpfs", "tmpfs", "rw");
	ck_assert_str_eq(b.data, "21 26 0:20 / /proc rw,relatime - proc proc rw\n"
				 "2 1 0:17 / /a\\040b rw - tmpfs tmpfs rw\n");
	proc_buf_free(&b);
}
END_TEST

START_TEST(fdinfo_matches_linux)
{
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	char buf[8];
	ck_assert_int_eq(read(fd, buf, 5), 5);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	char *real = read_text(path);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char *mnt = line_of(real, "mnt_id:");
	ck_assert_ptr_nonnull(mnt);
	struct proc_buf b = { 0 };
	unsigned int flags = (unsigned int)fcntl(fd, F_GETFL) | O_CLOEXEC;
	proc_fmt_fdinfo(&b, 5, flags, atoi(mnt + 7), st.st_ino);
	ck_assert_msg(strncmp(real, b.data, b.len) == 0, "real:\n%s\nours:\n%s", real, b.data);
	ck_assert_str_eq(b.data + strlen(b.data) - strlen("\n") - strlen("ino:\t") -
				 (size_t)snprintf(NULL, 0, "%llu", (unsigned long long)st.st_ino),
			 strstr(b.data, "ino:"));
	free(mnt);
	free(real);
	proc_buf_free(&b);
	close(fd);

	proc_fmt_fdinfo(&b, 0, O_RDWR | O_APPEND, 3, 77);
	ck_assert_str_eq(b.data, "pos:\t0\nflags:\t02002\nmnt_id:\t3\nino:\t77\n");
	proc_buf_free(&b);
}
END_TEST

/* ---- system-wide files ---- */

START_TEST(system_files)
{
	struct proc_buf b = { 0 };
	proc_fmt_uptime(&b, 1234567890123ULL, 5ULL * 1000000000ULL + 990000000ULL);
	ck_assert_str_eq(b.data, "1234.56 5.99\n");
	proc_buf_free(&b);
	proc_fmt_loadavg(&b, 1, 3, 7);
	ck_assert_str_eq(b.data, "0.00 0.00 0.00 1/3 7\n");
	proc_buf_free(&b);
	proc_fmt_kernel_stat(&b, 2, 1700000000, 42, 1, 0);
	ck_assert_str_eq(b.data, "cpu  0 0 0 0 0 0 0 0 0 0\n"
				 "cpu0 0 0 0 0 0 0 0 0 0 0\n"
				 "cpu1 0 0 0 0 0 0 0 0 0 0\n"
				 "intr 0\n"
				 "ctxt 0\n"
				 "btime 1700000000\n"
				 "processes 42\n"
				 "procs_running 1\n"
				 "procs_blocked 0\n"
				 "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	proc_buf_free(&b);
}
END_TEST

START_TEST(meminfo_matches_linux)
{
	char *real = read_text("/proc/meminfo");
	struct proc_meminfo m = { 0 };
	const char *keys[] = { "MemTotal:", "MemFree:",	  "MemAvailable:", "Buffers:",
			       "Cached:",   "SwapTotal:", "SwapFree:",	   "Shmem:" };
	uint64_t *vals[] = { &m.total,	&m.free,       &m.available, &m.buffers,
			     &m.cached, &m.swap_total, &m.swap_free, &m.shmem };
	for (size_t i = 0; i < 8; i++) {
		char *l = line_of(real, keys[i]);
		ck_assert_ptr_nonnull(l);
		*vals[i] = strtoull(l + strlen(keys[i]), NULL, 10);
		free(l);
	}
	struct proc_buf b = { 0 };
	proc_fmt_meminfo(&b, &m);
	/* Every line we print is the line Linux printed for the same value. */
	for (const char *q = b.data; *q; q = strchr(q, '\n') + 1) {
		char key[32];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(q, ":") + 1, q);
		char *a = line_of(real, key), *o = line_of(q, key);
		ck_assert_ptr_nonnull(a);
		ck_assert_str_eq(a, o);
		free(a);
		free(o);
	}
	free(real);
	proc_buf_free(&b);
}
END_TEST

START_TEST(buffer_grows)
{
	struct proc_buf b = { 0 };
	for (int i = 0; i < 10000; i++)
		proc_buf_printf(&b, "%05d ", i);
	ck_assert(!b.oom);
	ck_assert_uint_eq(b.len, 60000);
	ck_assert_int_eq(strncmp(b.data + 59994, "09999 ", 6), 0);
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	proc_buf_printf(&b, "%s", big);
	ck_assert_uint_eq(b.len, 60000 + sizeof(big) - 1);
	ck_assert_uint_eq(strlen(b.data), b.len);
	proc_buf_free(&b);
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, stat_exact);
	tcase_add_test(tc, stat_unpermitted_and_zombie);
	tcase_add_test(tc, stat_matches_linux);
	tcase_add_test(tc, status_exact);
	tcase_add_test(tc, status_zombie_and_escapes);
	tcase_add_test(tc, status_matches_linux);
	tcase_add_test(tc, statm_exact);
	tcase_add_test(tc, limits_match_linux);
	tcase_add_test(tc, limits_exact);
	tcase_add_test(tc, mount_lines);
	tcase_add_test(tc, fdinfo_matches_linux);
	tcase_add_test(tc, system_files);
	tcase_add_test(tc, meminfo_matches_linux);
	tcase_add_test(tc, buffer_grows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
