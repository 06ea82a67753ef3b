/*
 * The ptrace platform: each address space is a stub process stopped under PTRACE_SYSEMU, so
 * every guest syscall stops before the host runs it. Mappings are changed by making the stub
 * execute mmap/munmap/mprotect from its own code page (syscall; int3), as gVisor's does.
 */
#include <elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "platform/platform.h"
#include "platform/ptrace/ptrace_arch.h"

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

struct platform_as {
	pid_t pid;
	struct arch_regs base; /* the stub's registers when it stopped: segment state to reuse */
	int interrupt_pending; /* atomic: a SIGSTOP we sent is on its way */
};

static int ptrace_memfd = -1;

/*
 * The stub's own seccomp filter, compiled once here since the stub child may not allocate:
 * only what the sentry makes it run (its setup and injected mmap/munmap/mprotect). Guest
 * syscalls stop at PTRACE_SYSEMU before seccomp sees them; anything else kills the stub.
 */
static struct sock_fprog stub_filter;

static int build_stub_filter(void)
{
	static const int allowed[] = {
		SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(ptrace),
		SCMP_SYS(kill), SCMP_SYS(getpid), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int pfd[2] = { -1, -1 }, err = -ENOMEM;
	ssize_t n;
	void *buf;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0)) < 0)
			goto out;
	/* libseccomp writes the program to an fd; a pipe brings it back into memory. */
	if (pipe(pfd) < 0) {
		err = -errno;
		goto out;
	}
	if ((err = seccomp_export_bpf(ctx, pfd[1])) < 0)
		goto out;
	close(pfd[1]);
	pfd[1] = -1;
	buf = malloc(65536);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	n = read(pfd[0], buf, 65536);
	if (n <= 0 || n % sizeof(struct sock_filter)) {
		free(buf);
		err = -EIO;
		goto out;
	}
	stub_filter.filter = buf;
	stub_filter.len = n / sizeof(struct sock_filter);
	err = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	seccomp_release(ctx);
	return err;
}

static int ptrace_init(int memfd)
{
	ptrace_memfd = memfd;
	return build_stub_filter();
}

/* Raw syscalls only: the child of a multithreaded process may not touch libc's locks. */
static void __attribute__((noreturn)) stub_child(int memfd)
{
	void *page;

	/* The forking thread's rseq area is about to be unmapped; the kernel would fault on it
	 * (SIGSEGV at random points) if it stayed registered. */
	if (__rseq_size > 0)
		syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
			__rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	syscall(SYS_prctl, PR_SET_NAME, (unsigned long)"runsc-stub", 0, 0, 0);
	if (memfd > 0)
		syscall(SYS_close_range, 0, memfd - 1, 0);
	syscall(SYS_close_range, memfd + 1, ~0U, 0);
	page = (void *)syscall(SYS_mmap, ARCH_STUB_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (page != (void *)ARCH_STUB_ADDR)
		syscall(SYS_exit_group, 120);
	for (size_t i = 0; i < arch_stub_code_len; i++)
		((volatile uint8_t *)page)[i] = arch_stub_code[i];
	syscall(SYS_mprotect, ARCH_STUB_ADDR, PAGE_SIZE, PROT_READ | PROT_EXEC);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &stub_filter) < 0)
		syscall(SYS_exit_group, 123);
	if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0)
		syscall(SYS_exit_group, 121);
	syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
	/* The sentry takes over from the stop and never lets this return. */
	syscall(SYS_exit_group, 122);
	__builtin_unreachable();
}

static int get_regs(pid_t pid, struct arch_regs *r)
{
	struct iovec iov = { &r->gp, sizeof(r->gp) };

	return ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov) < 0 ? -errno : 0;
}

static int set_regs(pid_t pid, struct arch_regs *r)
{
	struct iovec iov = { &r->gp, sizeof(r->gp) };

	return ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &iov) < 0 ? -errno : 0;
}

static int wait_stop(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* Makes the stub run one syscall from its code page; returns its result. */
static long stub_syscall(struct platform_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	struct arch_regs r = as->base;
	int status, err;

	arch_prepare_syscall(&r, ARCH_STUB_ADDR, nr, args);
	if ((err = set_regs(as->pid, &r)) < 0)
		return err;
	if (ptrace(PTRACE_CONT, as->pid, 0, 0) < 0)
		return -errno;
	for (;;) {
		if ((err = wait_stop(as->pid, &status)) < 0)
			return err;
		if (!WIFSTOPPED(status))
			return -ESRCH;
		if (WSTOPSIG(status) == SIGTRAP)
			break;
		if (WSTOPSIG(status) != SIGSTOP && WSTOPSIG(status) != SIGINT &&
		    WSTOPSIG(status) != SIGWINCH) {
			siginfo_t si = { 0 };

			ptrace(PTRACE_GETSIGINFO, as->pid, 0, &si);
			get_regs(as->pid, &r);
			log_warn("ptrace: stub %d: signal %d at %#lx (addr %p) running syscall %ld",
				 as->pid, WSTOPSIG(status), (unsigned long)arch_ip(&r), si.si_addr,
				 nr);
			return -EFAULT;
		}
		/* An interrupt, or a signal for the sandbox as a whole, before the syscall ran:
		 * go on; run() sees interrupt_pending. */
		if (ptrace(PTRACE_CONT, as->pid, 0, 0) < 0)
			return -errno;
	}
	if ((err = get_regs(as->pid, &r)) < 0)
		return err;
	return arch_syscall_result(&r);
}

static void as_kill(struct platform_as *as)
{
	int status;

	kill(as->pid, SIGKILL);
	while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

static int ptrace_as_new(struct platform_as **out)
{
	struct platform_as *as = calloc(1, sizeof(*as));
	int status, err;
	long ret;

	if (!as)
		return -ENOMEM;
	as->pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (as->pid < 0) {
		err = -errno;
		free(as);
		return err;
	}
	if (as->pid == 0)
		stub_child(ptrace_memfd);
	if ((err = wait_stop(as->pid, &status)) < 0 || !WIFSTOPPED(status) ||
	    WSTOPSIG(status) != SIGSTOP) {
		log_warn("ptrace: stub %d did not start (status %#x)", as->pid, status);
		as_kill(as);
		free(as);
		return err < 0 ? err : -ECHILD;
	}
	if (ptrace(PTRACE_SETOPTIONS, as->pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0 ||
	    (err = get_regs(as->pid, &as->base)) < 0) {
		err = err ? err : -errno;
		as_kill(as);
		free(as);
		return err;
	}
	/* Leave only the code page: no host library may sit where the guest maps, nor any of
	 * the sentry's mappings (its stack, the vDSO) above the guest's range. */
	ret = stub_syscall(as, SYS_munmap, 0, ARCH_STUB_ADDR, 0, 0, 0, 0);
	if (ret == 0)
		ret = stub_syscall(as, SYS_munmap, ARCH_STUB_ADDR + PAGE_SIZE,
				   ARCH_TASK_SIZE - ARCH_STUB_ADDR - PAGE_SIZE, 0, 0, 0, 0);
	if (ret < 0) {
		as_kill(as);
		free(as);
		return (int)ret;
	}
	log_debug("ptrace: stub %d ready", as->pid);
	*out = as;
	return 0;
}

static void ptrace_as_destroy(struct platform_as *as)
{
	as_kill(as);
	free(as);
}

static int ptrace_as_map(struct platform_as *as, uint64_t addr, size_t len, int prot, bool shared,
			 uint64_t off)
{
	long ret = stub_syscall(as, SYS_mmap, addr, len, prot, MAP_SHARED | MAP_FIXED,
				ptrace_memfd, off);

	return ret < 0 && ret > -4096 ? (int)ret : 0;
}

static int ptrace_as_unmap(struct platform_as *as, uint64_t addr, size_t len)
{
	return (int)stub_syscall(as, SYS_munmap, addr, len, 0, 0, 0, 0);
}

static int ptrace_as_protect(struct platform_as *as, uint64_t addr, size_t len, int prot)
{
	return (int)stub_syscall(as, SYS_mprotect, addr, len, prot, 0, 0, 0);
}

static int ptrace_as_clear(struct platform_as *as)
{
	return (int)stub_syscall(as, SYS_munmap, 0, ARCH_STUB_ADDR, 0, 0, 0, 0);
}

static enum platform_event ptrace_run(struct platform_as *as, struct arch_regs *regs,
				      struct platform_fault *fault)
{
	siginfo_t si;
	int status, sig;

	if (regs->fp_dirty && ptrace_arch_set_fp(as->pid, regs) == 0)
		regs->fp_dirty = false;
	for (;;) {
		/* An interrupt whose SIGSTOP was swallowed by an injected syscall, or is still on
		 * its way: report it now; a late SIGSTOP is then dropped below. */
		if (__atomic_exchange_n(&as->interrupt_pending, 0, __ATOMIC_ACQ_REL))
			return PLATFORM_INTERRUPTED;
		if (set_regs(as->pid, regs) < 0 || ptrace(PTRACE_SYSEMU, as->pid, 0, 0) < 0)
			return PLATFORM_DIED;
		if (wait_stop(as->pid, &status) < 0 || !WIFSTOPPED(status))
			return PLATFORM_DIED;
		if (get_regs(as->pid, regs) < 0)
			return PLATFORM_DIED;
		regs->fp_valid = false;
		sig = WSTOPSIG(status);
		if (sig == (SIGTRAP | 0x80))
			return PLATFORM_SYSCALL;
		if (sig == SIGSTOP && __atomic_exchange_n(&as->interrupt_pending, 0, __ATOMIC_ACQ_REL))
			return PLATFORM_INTERRUPTED;
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		    sig == SIGTRAP) {
			memset(&si, 0, sizeof(si));
			ptrace(PTRACE_GETSIGINFO, as->pid, 0, &si);
			fault->signo = sig;
			fault->code = si.si_code;
			fault->addr = (uint64_t)si.si_addr;
			return PLATFORM_FAULT;
		}
		/* A host signal meant for the sandbox as a whole (a terminal's SIGINT): the guest
		 * hears of it through the sentry, never directly; drop it and go on. */
	}
}

static void ptrace_interrupt(struct platform_as *as)
{
	__atomic_store_n(&as->interrupt_pending, 1, __ATOMIC_RELEASE);
	kill(as->pid, SIGSTOP);
}

static int ptrace_get_fpregs(struct platform_as *as, struct arch_regs *regs)
{
	int err;

	if (regs->fp_valid || regs->fp_dirty)
		return 0;
	if ((err = ptrace_arch_get_fp(as->pid, regs)) < 0)
		return err;
	regs->fp_valid = true;
	return 0;
}

static int ptrace_host_pid(struct platform_as *as)
{
	return as->pid;
}

const struct platform_ops platform_ptrace = {
	.name = "ptrace",
	.init = ptrace_init,
	.as_new = ptrace_as_new,
	.as_destroy = ptrace_as_destroy,
	.as_map = ptrace_as_map,
	.as_unmap = ptrace_as_unmap,
	.as_protect = ptrace_as_protect,
	.as_clear = ptrace_as_clear,
	.run = ptrace_run,
	.interrupt = ptrace_interrupt,
	.get_fpregs = ptrace_get_fpregs,
	.host_pid = ptrace_host_pid,
};
