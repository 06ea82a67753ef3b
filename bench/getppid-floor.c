/*
 * Benchmark: the floor under a trapped syscall. This process's own seccomp filter returns
 * SECCOMP_RET_TRAP for getppid and its SIGSYS handler answers, with no second process: what
 * systrap's round trip (the same trap, plus a hand-off to the sentry) can approach.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "bench_arch.h" /* bench/<arch>/ */

static long ppid;

static void on_sigsys(int sig __attribute__((unused)), siginfo_t *si __attribute__((unused)),
		      void *ctx)
{
	ucontext_t *uc = ctx;

	/* The answer goes in the return-value register, as a sentry's would. */
	uc_set_syscall_result(uc, ppid);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	double t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: getppid-floor [N]\n");
		return 2;
	}
	ppid = getppid();
	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("getppid-floor: seccomp");
		return 1;
	}
	for (long i = 0; i < n / 10 + 1; i++)
		syscall(SYS_getppid);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_getppid) != ppid)
			return 1;
	t1 = now_ns();
	printf("getppid (SIGSYS floor): %.1f ns/call (%ld calls)\n", (t1 - t0) / n, n);
	return 0;
}
