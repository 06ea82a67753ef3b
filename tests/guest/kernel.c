/* Credentials, sessions, limits, futexes and system information: the task-level syscalls. */
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <grp.h>
#include <time.h>

#include "guest.h"

/* Runs fn in a child and reports its exit status, so credential changes stay there. */
static void in_child(const char *name, void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("%s: exit %d\n", name, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void drop_privileges(void)
{
	uid_t r, e, s;
	gid_t groups[4] = { 5, 6, 7, 8 }, got[8];

	report("setgroups", setgroups(4, groups));
	report_long("getgroups_count", getgroups(0, NULL));
	report_long("getgroups_third", getgroups(8, got) == 4 ? (long)got[2] : -1L);
	report_err("getgroups_too_small", getgroups(2, got));
	report("setresgid", setresgid(1000, 1000, 1000));
	report("setresuid", setresuid(1000, 1001, 1002));
	getresuid(&r, &e, &s);
	printf("resuid: %u %u %u\n", r, e, s);
	report("seteuid_to_saved", seteuid(1002));
	report_long("geteuid", geteuid());
	report_err("setuid_root_denied", setuid(0));
	report_err("setgroups_denied", setgroups(0, NULL));
}

static void new_session(void)
{
	pid_t me = getpid();

	report_bool("setsid_returns_pid", setsid() == me);
	report_bool("getsid_is_pid", getsid(0) == me);
	report_bool("getpgrp_is_pid", getpgrp() == me);
	report_err("setsid_again", setsid());
	report_err("setpgid_of_leader", setpgid(0, 0));
	report_err("getpgid_missing", getpgid(999999));
}

static void process_groups(void)
{
	pid_t me = getpid();

	report("setpgid_self", setpgid(0, 0));
	report_bool("pgid_is_pid", getpgid(0) == me);
}

static void futex_across_fork(void)
{
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (word == MAP_FAILED)
		die("mmap");
	*word = 0;
	report_err("futex_wait_wrong_value",
		   syscall(SYS_futex, word, FUTEX_WAIT, 1, NULL, NULL, 0));
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
		_exit(0);
	}
	while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == 0)
		syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0);
	waitpid(pid, &status, 0);
	report_long("futex_woken_value", *word);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	report_err("futex_wait_timeout", syscall(SYS_futex, word, FUTEX_WAIT, 1, &ts, NULL, 0));
	report_err("futex_unaligned", syscall(SYS_futex, (char *)word + 1, FUTEX_WAKE, 1, NULL, NULL, 0));
	munmap(word, 4096);
}

static void limits(void)
{
	struct rlimit rl, old;

	report("getrlimit_nofile", getrlimit(RLIMIT_NOFILE, &old));
	rl.rlim_cur = 100;
	rl.rlim_max = old.rlim_max;
	report("setrlimit_nofile", setrlimit(RLIMIT_NOFILE, &rl));
	getrlimit(RLIMIT_NOFILE, &rl);
	report_long("nofile_soft", (long)rl.rlim_cur);
	rl.rlim_cur = rl.rlim_max + 1;
	report_err("setrlimit_soft_above_hard", setrlimit(RLIMIT_NOFILE, &rl));
	report_err("getrlimit_bad_resource", syscall(SYS_getrlimit, 99, &rl));
	setrlimit(RLIMIT_NOFILE, &old);
}

static void system_info(void)
{
	struct utsname u;
	struct sysinfo si;
	struct timespec res;
	struct tms tms;
	struct rusage ru;
	cpu_set_t set;
	char name[16];

	uname(&u);
	printf("uname_sysname: %s\n", u.sysname);
	report_bool("uname_machine_matches", strcmp(u.machine, "x86_64") == 0);
	report("sysinfo", sysinfo(&si));
	report_bool("sysinfo_procs", si.procs >= 1);
	report("clock_getres", clock_getres(CLOCK_MONOTONIC, &res));
	report_bool("clock_res_positive", res.tv_sec > 0 || res.tv_nsec > 0);
	report_err("clock_getres_bad", clock_getres(12345, &res));
	report_bool("times_positive", times(&tms) != (clock_t)-1);
	report("getrusage", getrusage(RUSAGE_SELF, &ru));
	report_err("getrusage_bad", getrusage(42, &ru));
	report("sched_getaffinity", sched_getaffinity(0, sizeof(set), &set));
	report_bool("cpus_at_least_one", CPU_COUNT(&set) >= 1);
	report("prctl_set_name", prctl(PR_SET_NAME, "renamed-task"));
	prctl(PR_GET_NAME, name);
	printf("prctl_name: %s\n", name);
	report("sched_yield", sched_yield());
}

int main(void)
{
	guest_init();
	printf("uid: %d euid: %d gid: %d egid: %d\n", getuid(), geteuid(), getgid(), getegid());
	if (getuid() != 0) {
		printf("# not root: the credential checks need root\n");
	} else {
		in_child("drop_privileges", drop_privileges);
	}
	in_child("new_session", new_session);
	in_child("process_groups", process_groups);
	futex_across_fork();
	limits();
	system_info();
	return 0;
}
