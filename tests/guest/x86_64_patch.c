/*
 * Syscall sites of the form "mov $nr, %eax; syscall", the ones systrap patches into jumps to
 * its per-site code (sentry/arch/x86_64/patch.c): called again and again, from many threads at
 * once, across fork, restarted after a signal handler, and after the guest takes the GS base.
 * Every result is the same natively. With --site-bytes it prints instead the bytes of one site
 * after many calls (tests/integration/platform.sh checks they are patched under systrap).
 */
#include <asm/prctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "guest.h"

/* Each wrapper is its own site: the number is an immediate, as glibc's wrappers have it. */
#define SITE(name, nr)                                                                             \
	extern char name##_site[];                                                                 \
	static __attribute__((noinline)) long name(long a0, long a1, long a2)                     \
	{                                                                                          \
		long r;                                                                            \
		__asm__ volatile(".globl " #name "_site\n" #name "_site:\n\t"                      \
				 "mov $" #nr ", %%eax\n\tsyscall"                                  \
				 : "=a"(r)                                                         \
				 : "D"(a0), "S"(a1), "d"(a2)                                       \
				 : "rcx", "r11", "memory");                                        \
		return r;                                                                          \
	}

SITE(raw_getppid, 110)
SITE(raw_gettid, 186)
SITE(raw_read, 0)
SITE(raw_write, 1)
SITE(raw_getpid, 39)

static void *hammer(void *arg)
{
	long tid = syscall(SYS_gettid);
	bool ok = true;

	/* A site no thread has patched yet: all four trap, and race to patch it. */
	for (int i = 0; i < 2000; i++)
		ok &= raw_gettid(0, 0, 0) == tid;
	*(bool *)arg = ok;
	return NULL;
}

static int pipefd[2];

static void on_alarm(int sig __attribute__((unused)))
{
	char c = 'x';

	if (write(pipefd[1], &c, 1) != 1)
		_exit(9);
}

/* A read of an empty pipe through a (patched) site, interrupted by a handler installed with
 * flags; the handler writes the byte the restarted read then returns. */
static long interrupted_read(int flags, char *c)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = flags };
	struct itimerval it = { .it_value = { 0, 50000 } };
	long r;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = raw_read(pipefd[0], (long)c, 1);
	if (r == -EINTR && read(pipefd[0], c, 1) != 1)
		die("drain");
	return r;
}

int main(int argc, char **argv)
{
	long ppid = getppid(), gs_val = 0;
	bool same = true, thread_ok[4];
	pthread_t th[4];
	uint64_t gs_buf[2] = { 42, 0 };
	char c = 0;
	int status;
	pid_t pid;

	guest_init();
	/* Past the traps after which systrap patches a site (PATCH_AFTER), for every site. */
	for (int i = 0; i < 64; i++) {
		raw_getppid(0, 0, 0);
		raw_getpid(0, 0, 0);
		raw_read(-1, 0, 0);
		raw_write(-1, 0, 0);
	}
	if (argc > 1 && strcmp(argv[1], "--site-bytes") == 0) {
		for (int i = 0; i < 7; i++)
			printf("%02x%s", (uint8_t)raw_getppid_site[i], i < 6 ? " " : "\n");
		return 0;
	}

	for (int i = 0; i < 10000; i++)
		same &= raw_getppid(0, 0, 0) == ppid;
	report_bool("repeated_calls_same_result", same);

	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, &thread_ok[i]);
	same = true;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		same &= thread_ok[i];
	}
	report_bool("threads_each_get_their_tid", same);

	if (pipe(pipefd) < 0)
		die("pipe");
	report_long("read_bad_fd", raw_read(-1, 0, 0));
	report_long("restart_after_sa_restart_handler", interrupted_read(SA_RESTART, &c));
	printf("restarted_read_got: %c\n", c);
	report_long("no_restart_without_sa_restart", interrupted_read(0, &c));
	report_long("write_through_site", raw_write(pipefd[1], (long)"y", 1));
	report_long("read_back", raw_read(pipefd[0], (long)&c, 1));
	printf("read_back_byte: %c\n", c);

	pid = fork();
	if (pid == 0)
		_exit(raw_getppid(0, 0, 0) == getppid() && raw_getpid(0, 0, 0) == getpid() ? 0 : 1);
	waitpid(pid, &status, 0);
	report_long("fork_child_calls_sites", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* The guest takes the GS base: the sites keep working, and %gs is its own. */
	raw_getpid(0, 0, 0);
	report_long("arch_set_gs", syscall(SYS_arch_prctl, ARCH_SET_GS, (long)gs_buf));
	report_bool("sites_after_set_gs", raw_getppid(0, 0, 0) == ppid && raw_getpid(0, 0, 0) == getpid());
	__asm__ volatile("mov %%gs:0, %0" : "=r"(gs_val));
	report_long("gs_relative_load", gs_val);
	report_long("arch_set_gs_zero", syscall(SYS_arch_prctl, ARCH_SET_GS, 0L));
	report_bool("sites_after_gs_zero", raw_getppid(0, 0, 0) == ppid);
	return 0;
}
