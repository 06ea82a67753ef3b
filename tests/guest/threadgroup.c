/* Guest test: what a process's threads share beyond memory: its process group, session and
 * resource limits, changed from any thread and seen by all (setsid, setpgid, setrlimit,
 * prlimit64), inherited by fork and kept across execve. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "guest.h"

/* Runs fn on a second thread and waits for it. */
static void on_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;

	if (pthread_create(&th, NULL, fn, arg) != 0)
		die("pthread_create");
	pthread_join(th, NULL);
}

/* A thread that stays until told, so that its /proc entry and TID can be looked at. */
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int parked_tid, park_release;

static void *park(void *arg __attribute__((unused)))
{
	pthread_mutex_lock(&park_lock);
	parked_tid = gettid();
	pthread_cond_broadcast(&park_cond);
	while (!park_release)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);
	return NULL;
}

static pthread_t park_start(void)
{
	pthread_t th;

	park_release = 0;
	parked_tid = 0;
	if (pthread_create(&th, NULL, park, NULL) != 0)
		die("pthread_create");
	pthread_mutex_lock(&park_lock);
	while (!parked_tid)
		pthread_cond_wait(&park_cond, &park_lock);
	pthread_mutex_unlock(&park_lock);
	return th;
}

static void park_end(pthread_t th)
{
	pthread_mutex_lock(&park_lock);
	park_release = 1;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
	pthread_join(th, NULL);
}

/* Fields 5 and 6 (pgrp, session) of /proc/self/task/TID/stat. */
static void task_stat_ids(int tid, int *pgrp, int *session)
{
	char path[64], buf[512], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if ((fd = open(path, O_RDONLY)) < 0)
		die("open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("read %s", path);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %d %d", pgrp, session) != 2)
		die("parse %s", path);
}

/* ---- sessions and process groups ---- */

static long thread_ret;
static int thread_errno;

static void *do_setsid(void *arg __attribute__((unused)))
{
	thread_ret = setsid();
	thread_errno = errno;
	return NULL;
}

static void *do_setpgid_self(void *arg __attribute__((unused)))
{
	thread_ret = setpgid(0, 0);
	thread_errno = errno;
	return NULL;
}

static void *report_ids(void *arg)
{
	printf("%s_thread_sid_is_pid: %s\n", (char *)arg, getsid(0) == getpid() ? "yes" : "no");
	printf("%s_thread_pgrp_is_pid: %s\n", (char *)arg, getpgrp() == getpid() ? "yes" : "no");
	return NULL;
}

/* A process (not a group leader after fork) makes itself a session from a second thread. */
static void session_test(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int pgrp, session;
		pthread_t th;

		report_bool("child_starts_as_group_leader", getpgrp() == getpid());
		on_thread(do_setsid, NULL);
		report_bool("setsid_from_thread_returns_pid", thread_ret == getpid());
		report_bool("main_sees_sid_is_pid", getsid(0) == getpid());
		report_bool("main_sees_pgrp_is_pid", getpgrp() == getpid());
		report_bool("main_sees_getpgid_is_pid", getpgid(0) == getpid());
		on_thread(report_ids, "new");

		th = park_start();
		report_bool("getsid_of_thread_tid_is_pid", getsid(parked_tid) == getpid());
		report_bool("getpgid_of_thread_tid_is_pid", getpgid(parked_tid) == getpid());
		task_stat_ids(parked_tid, &pgrp, &session);
		report_bool("thread_proc_stat_pgrp_is_pid", pgrp == getpid());
		report_bool("thread_proc_stat_session_is_pid", session == getpid());
		task_stat_ids(getpid(), &pgrp, &session);
		report_bool("main_proc_stat_session_is_pid", session == getpid());
		park_end(th);

		/* A session leader cannot move to another group or start another session. */
		on_thread(do_setpgid_self, NULL);
		printf("setpgid_in_session_leader_from_thread: %s\n",
		       thread_ret == -1 ? errname(thread_errno) : "succeeded");
		on_thread(do_setsid, NULL);
		printf("setsid_again_from_thread: %s\n",
		       thread_ret == -1 ? errname(thread_errno) : "succeeded");
		report_err("setpgid_in_session_leader", setpgid(0, 0));

		pid = fork();
		if (pid == 0) {
			report_bool("forked_sid_is_parent", getsid(0) == getppid());
			report_bool("forked_pgrp_is_parent", getpgrp() == getppid());
			_exit(0);
		}
		printf("forked_child: %s\n", wait_str(pid));
		execl("/proc/self/exe", "threadgroup", "exec-child", "ids", (char *)NULL);
		_exit(99);
	}
	printf("session_child: %s\n", wait_str(pid));
}

/* setpgid(0, 0) from a thread makes the process its own group; kill(-pgid) and
 * waitpid(-pgid) find it there. */
static void pgrp_test(void)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		pthread_t th;

		close(p[0]);
		on_thread(do_setpgid_self, NULL);
		printf("setpgid_from_thread: %s\n",
		       thread_ret == -1 ? errname(thread_errno) : "ok");
		report_bool("main_sees_own_group", getpgrp() == getpid());
		report_bool("sid_unchanged", getsid(0) == getsid(getppid()));
		th = park_start();
		report_bool("getpgid_of_thread_tid", getpgid(parked_tid) == getpid());
		/* setpgid names a process: a thread's TID is not one. */
		report_err("setpgid_of_thread_tid", setpgid(parked_tid, 0));
		park_end(th);
		if (write(p[1], "x", 1) != 1)
			die("write");
		close(p[1]);
		pause();
		_exit(1);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("read");
	close(p[0]);
	report_bool("parent_sees_child_group", getpgid(pid) == pid);
	report("kill_group_0", kill(-pid, 0));
	report("kill_group_term", kill(-pid, SIGTERM));
	{
		int status;
		pid_t w = waitpid(-pid, &status, 0);

		report_bool("waitpid_group_finds_child", w == pid);
		printf("pgrp_child: %s\n", w == pid ? status_str(status) : errname(errno));
	}
}

/* ---- resource limits ---- */

static void *set_nofile_64(void *arg __attribute__((unused)))
{
	struct rlimit rl = { 64, 64 };

	report("setrlimit_from_thread", setrlimit(RLIMIT_NOFILE, &rl));
	return NULL;
}

static void *prlimit_tgid_32(void *arg __attribute__((unused)))
{
	struct rlimit rl = { 32, 64 }, old;

	report("prlimit_tgid_from_thread", prlimit(getpid(), RLIMIT_NOFILE, &rl, &old));
	printf("prlimit_old: %lu %lu\n", (unsigned long)old.rlim_cur, (unsigned long)old.rlim_max);
	return NULL;
}

static void report_nofile(const char *who)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	printf("%s_nofile: %lu %lu\n", who, (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
}

/* Opens /dev/null until it fails: the last fd it got and why it stopped; closes them again. */
static void fill_fds(const char *who)
{
	int fds[1024], n = 0, last = -1, fd;

	while (n < 1024 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[n++] = last = fd;
	printf("%s_last_fd: %d (%s)\n", who, last, n < 1024 ? errname(errno) : "no limit");
	while (n > 0)
		close(fds[--n]);
}

static void *fill_fds_thread(void *arg)
{
	fill_fds(arg);
	return NULL;
}

/* The limit of the process at max fd: /proc/self/task/TID/limits' "Max open files". */
static void report_proc_limits(int tid)
{
	char path[64], line[256];
	unsigned long soft, hard;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/limits", tid);
	if (!(f = fopen(path, "r")))
		die("open %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Max open files %lu %lu", &soft, &hard) == 2)
			printf("thread_proc_limits_nofile: %lu %lu\n", soft, hard);
	fclose(f);
}

static void rlimit_test(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit old;
		pthread_t th;

		on_thread(set_nofile_64, NULL);
		report_nofile("main");
		fill_fds("main");
		on_thread(fill_fds_thread, "new_thread");

		on_thread(prlimit_tgid_32, NULL);
		report_nofile("main_after_prlimit");
		th = park_start();
		/* prlimit64's pid may be any thread's: the limits are its process's. */
		report("prlimit_of_thread_tid", prlimit(parked_tid, RLIMIT_NOFILE, NULL, &old));
		printf("prlimit_of_thread_tid_nofile: %lu %lu\n", (unsigned long)old.rlim_cur,
		       (unsigned long)old.rlim_max);
		report_proc_limits(parked_tid);
		park_end(th);
		fill_fds("main_after_prlimit");

		pid = fork();
		if (pid == 0) {
			report_nofile("forked");
			fill_fds("forked");
			_exit(0);
		}
		printf("forked_child: %s\n", wait_str(pid));
		execl("/proc/self/exe", "threadgroup", "exec-child", "limits", (char *)NULL);
		_exit(99);
	}
	printf("rlimit_child: %s\n", wait_str(pid));
}

/* After execve: the same session and group (ids), the same limits (limits). */
static int exec_child(const char *what)
{
	if (strcmp(what, "ids") == 0) {
		report_bool("exec_sid_is_pid", getsid(0) == getpid());
		report_bool("exec_pgrp_is_pid", getpgrp() == getpid());
	} else {
		report_nofile("exec");
	}
	return 0;
}

int main(int argc, char **argv)
{
	guest_init();
	if (argc == 3 && strcmp(argv[1], "exec-child") == 0)
		return exec_child(argv[2]);
	session_test();
	pgrp_test();
	rlimit_test();
	return 0;
}
