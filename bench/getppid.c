/*
 * Benchmark: the round trip of a trivial syscall. Makes N getppid calls (default 1000000) and
 * prints the mean cost per call, natively or in a sandbox (bench/run compares them). The calls
 * go through glibc's syscall(), whose syscall instruction takes its number from a register, so
 * systrap always traps them; with --wrapper, through glibc's getppid(), a "mov $nr, %eax;
 * syscall" site, which systrap patches after its first trap (sentry/arch/x86_64/patch.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	bool wrapper = argc > 1 && strcmp(argv[1], "--wrapper") == 0;
	long n = argc > 1 + wrapper ? atol(argv[1 + wrapper]) : 1000000;
	double t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: getppid [--wrapper] [N]\n");
		return 2;
	}
	/* A warm-up, so that page faults and first-call costs stay out of the figure. */
	for (long i = 0; i < n / 10 + 1; i++)
		wrapper ? getppid() : syscall(SYS_getppid);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		wrapper ? getppid() : syscall(SYS_getppid);
	t1 = now_ns();
	printf("getppid: %.1f ns/call (%ld calls)\n", (t1 - t0) / n, n);
	return 0;
}
