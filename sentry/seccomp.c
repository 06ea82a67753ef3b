/*
 * The sentry's own seccomp allow-list: the host syscalls the sentry needs to run guests and
 * nothing that opens a path. The stubs inherit it; their guest syscalls never reach it
 * (PTRACE_SYSEMU stops them first; systrap's stub filter traps them), only the stub code's own:
 * mmap/munmap/mprotect for the sentry, and systrap's futex, rt_sigreturn and arch_prctl.
 */
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/sentry.h"

static const int sentry_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(preadv2),
	SCMP_SYS(pwritev2), SCMP_SYS(close), SCMP_SYS(close_range), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(mmap), SCMP_SYS(munmap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(futex),
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(wait4),
	SCMP_SYS(waitid), SCMP_SYS(kill), SCMP_SYS(tgkill), SCMP_SYS(tkill), SCMP_SYS(ptrace),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(prctl), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getrandom), SCMP_SYS(sched_yield),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(ioctl), SCMP_SYS(fallocate), SCMP_SYS(ftruncate), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(dup3), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(restart_syscall), SCMP_SYS(shutdown),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(membarrier), SCMP_SYS(getdents64), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(pause), SCMP_SYS(seccomp),
	SCMP_SYS(arch_prctl),
	/* the control channel (sentry/control.c): connections on the socket runsc handed over */
	SCMP_SYS(accept4),
};

static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg),
			 "runsc-sentry: host syscall %d is not in the sentry's allow-list\n",
			 si->si_syscall);

	if (n > 0 && write(STDERR_FILENO, msg, n) < 0)
		n = 0;
	if (log_debug_fd >= 0 && n > 0 && write(log_debug_fd, msg, n) < 0)
		n = 0;
	syscall(SYS_exit_group, 125);
}

static int drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int sentry_seal(void)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int err;

	if ((err = drop_capabilities()) < 0)
		return err;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);

	/* A syscall outside the list traps into the handler above, which says which and ends
	 * the sandbox: as final as a kill, and it tells us what to fix. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(sentry_syscalls) / sizeof(sentry_syscalls[0]); i++) {
		if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sentry_syscalls[i], 0)) < 0) {
			seccomp_release(ctx);
			return err;
		}
	}
	/* The sentry opens no host path; glibc still tries a few (malloc reads
	 * /proc/sys/vm/overcommit_memory when it trims a heap). Those fail as in an empty root
	 * rather than end the sandbox. */
	if ((err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(openat), 0)) < 0 ||
	    (err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(open), 0)) < 0) {
		seccomp_release(ctx);
		return err;
	}
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}
