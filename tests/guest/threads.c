/* Guest test: threads (clone with CLONE_THREAD, as pthread_create makes it) — shared memory and
 * futexes, thread-local storage, IDs, pthread_exit values, signals to a thread and to the
 * process, exit and exit_group from any thread, execve from a thread, /proc/PID/task. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "guest.h"

#define NTHREADS 4
#define ADDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add_many(void *arg)
{
	for (int i = 0; i < ADDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

static void counter_test(void)
{
	pthread_t th[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, add_many, NULL) != 0)
			die("pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	report_long("mutex_counter", counter);
}

/* Two threads take turns through one condition variable. */
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;
#define ROUNDS 200

static void *ping_pong(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		while (turn != me)
			pthread_cond_wait(&cond, &lock);
		rounds_done++;
		turn = !me;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void condvar_test(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, ping_pong, (void *)0);
	pthread_create(&b, NULL, ping_pong, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	report_long("condvar_rounds", rounds_done);
}

/* Thread-local storage, IDs and pthread_exit values. */
static __thread long tls_value = 1000;
static pthread_barrier_t barrier;
static pid_t main_pid;

struct ids {
	int index;
	pid_t pid, tid;
	long tls_before, tls_after;
};

static void *ids_thread(void *arg)
{
	struct ids *r = arg;

	r->tls_before = tls_value;
	tls_value = r->index;
	r->pid = getpid();
	r->tid = gettid();
	/* Everyone has set its own value before anyone reads it back. */
	pthread_barrier_wait(&barrier);
	r->tls_after = tls_value;
	pthread_barrier_wait(&barrier); /* the main thread looks at /proc meanwhile */
	pthread_exit((void *)(intptr_t)(r->index * 7));
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int status_threads(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void ids_test(void)
{
	pthread_t th[3];
	struct ids r[3];
	bool distinct = true, pid_same = true, tls_ok = true;

	pthread_barrier_init(&barrier, NULL, 4);
	tls_value = 99;
	for (int i = 0; i < 3; i++) {
		r[i].index = i + 1;
		pthread_create(&th[i], NULL, ids_thread, &r[i]);
	}
	pthread_barrier_wait(&barrier);
	/* Joined threads of earlier checks may still be on their way out (as on Linux). */
	for (int i = 0; i < 100 && count_dir("/proc/self/task") != 4; i++)
		usleep(10000);
	printf("proc_task_entries: %d\n", count_dir("/proc/self/task"));
	printf("proc_status_threads: %d\n", status_threads());
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < 3; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		printf("pthread_exit_value_%d: %ld\n", i + 1, (long)(intptr_t)ret);
		pid_same &= r[i].pid == main_pid;
		distinct &= r[i].tid != main_pid;
		for (int j = 0; j < i; j++)
			distinct &= r[i].tid != r[j].tid;
		tls_ok &= r[i].tls_before == 1000 && r[i].tls_after == r[i].index;
	}
	report_bool("thread_getpid_is_process", pid_same);
	report_bool("thread_gettid_distinct", distinct);
	report_bool("tls_per_thread", tls_ok);
	report_long("tls_main_kept", tls_value);
	report_bool("main_gettid_is_pid", gettid() == getpid());
	pthread_barrier_destroy(&barrier);
}

/* Signals: one sent to a thread runs its handler there; one sent to the process is taken by
 * the thread that does not block it. */
static volatile pid_t handled_on;
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	handled_on = gettid();
	handled = sig;
}

static void *wait_for_signal(void *arg)
{
	sigset_t none;

	*(pid_t *)arg = gettid();
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	pthread_barrier_wait(&barrier);
	while (!handled)
		sigsuspend(&none);
	return NULL;
}

/* Keeps the signals blocked, and takes one with sigwait once the main thread has sent it. */
static void *sigwait_later(void *arg)
{
	sigset_t set;
	int sig = 0;

	*(pid_t *)arg = gettid();
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigwait(&set, &sig) == 0) {
		handled_on = gettid();
		handled = sig;
	}
	return NULL;
}

static void signal_test(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	pthread_t th;
	pid_t tid;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* The main thread blocks both; the worker unblocks them. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_barrier_init(&barrier, NULL, 2);

	handled = 0;
	pthread_create(&th, NULL, wait_for_signal, &tid);
	pthread_barrier_wait(&barrier);
	report("pthread_kill", pthread_kill(th, SIGUSR1) == 0 ? 0 : -1);
	pthread_join(th, NULL);
	report_bool("pthread_kill_handled_on_target", handled == SIGUSR1 && handled_on == tid);

	handled = 0;
	pthread_create(&th, NULL, wait_for_signal, &tid);
	pthread_barrier_wait(&barrier);
	report("kill_process", kill(getpid(), SIGUSR2));
	pthread_join(th, NULL);
	report_bool("process_signal_on_unblocking_thread",
		    handled == SIGUSR2 && handled_on == tid);

	handled = 0;
	pthread_create(&th, NULL, wait_for_signal, &tid);
	pthread_barrier_wait(&barrier);
	report("tgkill", syscall(SYS_tgkill, getpid(), tid, SIGUSR1));
	pthread_join(th, NULL);
	report_bool("tgkill_handled_on_target", handled == SIGUSR1 && handled_on == tid);
	report_err("tgkill_wrong_group", syscall(SYS_tgkill, getpid() + 100000, tid, 0));

	/* Blocked by every thread when sent: it waits for the process, and the thread that
	 * asks first takes it. */
	handled = 0;
	pthread_create(&th, NULL, sigwait_later, &tid);
	pthread_barrier_wait(&barrier);
	report("kill_process_all_blocking", kill(getpid(), SIGUSR2));
	pthread_barrier_wait(&barrier);
	pthread_join(th, NULL);
	report_bool("process_signal_taken_by_sigwait_thread",
		    handled == SIGUSR2 && handled_on == tid);

	pthread_barrier_destroy(&barrier);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
}

/* exit_group from a thread: the process ends with its status. */
static void *exit_group_thread(void *arg __attribute__((unused)))
{
	exit(7);
}

/* A thread blocked in read() while another ends the process. */
static void *block_in_read(void *arg)
{
	char c;

	read(*(int *)arg, &c, 1);
	return NULL;
}

/* The leader leaves first (pthread_exit); the last thread's exit ends the process with the
 * leader's status, and not before. */
static void *outlive_leader(void *arg)
{
	char c;

	read(*(int *)arg, &c, 1);
	syscall(SYS_exit, 5);
	return NULL;
}

/* Polls /proc/PID/task/TID/stat until the thread's state is want (5 s at most). */
static bool thread_state_becomes(pid_t pid, pid_t tid, char want)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
			if (p && p[1] == ' ' && p[2] == want)
				return true;
		}
		usleep(10000);
	}
	return false;
}

static void exit_tests(void)
{
	pthread_t th;
	int p[2], status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		pthread_create(&th, NULL, exit_group_thread, NULL);
		pause();
		_exit(1);
	}
	printf("exit_from_thread: %s\n", wait_str(pid));

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		pthread_create(&th, NULL, block_in_read, &p[0]);
		usleep(20000);
		exit(4);
	}
	printf("exit_while_thread_reads: %s\n", wait_str(pid));

	pid = fork();
	if (pid == 0) {
		pthread_create(&th, NULL, outlive_leader, &p[0]);
		pthread_exit(NULL);
	}
	/* The leader's thread is a zombie once it has gone; the process is not. */
	report_bool("leader_thread_zombie", thread_state_becomes(pid, pid, 'Z'));
	report_long("wait_leader_gone_group_alive", waitpid(pid, &status, WNOHANG));
	if (write(p[1], "x", 1) != 1)
		die("write");
	printf("exit_last_thread_after_leader: %s\n", wait_str(pid));
	close(p[0]);
	close(p[1]);
}

/* execve from a thread that is not the leader: the new program has the process's PID and is
 * its only thread. */
static void *exec_thread(void *arg __attribute__((unused)))
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", getpid());
	execl("/proc/self/exe", "threads", "exec-child", pid, (char *)NULL);
	_exit(99);
}

static void *pause_forever(void *arg __attribute__((unused)))
{
	while (pause() < 0)
		;
	return NULL;
}

static void exec_test(void)
{
	pthread_t th;
	char self[16];
	pid_t pid = fork();

	if (pid == 0) {
		pthread_create(&th, NULL, exec_thread, NULL);
		pause();
		_exit(1);
	}
	printf("exec_from_thread: %s\n", wait_str(pid));

	/* The leader execs while another thread runs: that one goes. */
	pid = fork();
	if (pid == 0) {
		pthread_create(&th, NULL, pause_forever, NULL);
		snprintf(self, sizeof(self), "%d", getpid());
		execl("/proc/self/exe", "threads", "exec-child", self, (char *)NULL);
		_exit(99);
	}
	printf("exec_from_leader: %s\n", wait_str(pid));
}

static int exec_child(const char *pid)
{
	report_bool("exec_child_pid_kept", getpid() == atoi(pid));
	report_bool("exec_child_tid_is_pid", gettid() == getpid());
	printf("exec_child_task_entries: %d\n", count_dir("/proc/self/task"));
	return 3;
}

int main(int argc, char **argv)
{
	guest_init();
	if (argc == 3 && strcmp(argv[1], "exec-child") == 0)
		return exec_child(argv[2]);
	main_pid = getpid();
	counter_test();
	condvar_test();
	ids_test();
	signal_test();
	exit_tests();
	exec_test();
	return 0;
}
