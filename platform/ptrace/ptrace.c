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
#include <sched.h>
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

/*
 * One guest thread: a thread of the stub, traced by the host thread that runs it (ptrace's
 * rule: only the tracer may drive it). The first is the stub's main thread, traced from its
 * start; another is cloned by a traced one and parks until its runner seizes it.
 */
struct platform_ctx {
	struct platform_as *as;
	pid_t tid;
	bool attached;	       /* traced by its runner */
	struct arch_regs base; /* its registers when it stopped: segment state to reuse */
	int interrupt_pending; /* atomic: a SIGSTOP we sent is on its way */
};

struct platform_as {
	pid_t pid;
	struct platform_ctx main;
};

/* A stub thread's clone flags (the stub's filter allows no other). */
#define THREAD_FLAGS                                                                            \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

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
	/* Another stub thread (ptrace_ctx_new), which parks until it is seized, and its end. */
	if ((err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				    SCMP_A0(SCMP_CMP_EQ, THREAD_FLAGS))) < 0 ||
	    (err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, arch_stub_park_nr, 0)) < 0 ||
	    (err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit), 0)) < 0)
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
	/* No PR_SET_PDEATHSIG: it would fire when the task thread that made the stub exits, while
	 * other threads still run in it; the sentry is PID 1 of its PID namespace, and every stub
	 * dies with it. */
	syscall(SYS_prctl, PR_SET_NAME, (unsigned long)"runsc-stub", 0, 0, 0);
	/* The sentry is not dumpable (it changed its uid), nor then its copy: a stub thread cloned
	 * later must be, for its runner to seize it (PTRACE_MODE_ATTACH). Only the stub's memory
	 * is concerned: the sentry stays as it is. */
	syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
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

static int ctx_attach(struct platform_ctx *ctx);

/* Makes the stub thread run one syscall from its code page at off; returns its result. */
static long stub_syscall_at(struct platform_ctx *ctx, size_t off, long nr, const uint64_t args[6])
{
	struct arch_regs r;
	pid_t tid = ctx->tid;
	int status, err;

	if ((err = ctx_attach(ctx)) < 0)
		return err;
	r = ctx->base;
	arch_prepare_syscall(&r, ARCH_STUB_ADDR + off, nr, args);
	if ((err = set_regs(tid, &r)) < 0)
		return err;
	if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
		return -errno;
	for (;;) {
		if ((err = wait_stop(tid, &status)) < 0)
			return err;
		if (!WIFSTOPPED(status))
			return -ESRCH;
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0)
			break;
		if (WSTOPSIG(status) != SIGSTOP && WSTOPSIG(status) != SIGINT &&
		    WSTOPSIG(status) != SIGWINCH) {
			siginfo_t si = { 0 };

			ptrace(PTRACE_GETSIGINFO, tid, 0, &si);
			get_regs(tid, &r);
			log_warn("ptrace: stub %d: signal %d at %#lx (addr %p) running syscall %ld",
				 tid, WSTOPSIG(status), (unsigned long)arch_ip(&r), si.si_addr, nr);
			return -EFAULT;
		}
		/* An interrupt, or a signal for the sandbox as a whole, before the syscall ran:
		 * go on; run() sees interrupt_pending. */
		if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
			return -errno;
	}
	if ((err = get_regs(tid, &r)) < 0)
		return err;
	return arch_syscall_result(&r);
}

static long stub_syscall(struct platform_ctx *ctx, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };

	return stub_syscall_at(ctx, 0, nr, args);
}

static void as_kill(struct platform_as *as)
{
	int status;

	kill(as->pid, SIGKILL);
	while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
		;
}

/*
 * A cloned stub thread is taken over by the host thread that runs it, the first time that
 * thread drives it: seized (the stub is the sentry's child, which Yama's ptrace_scope=1
 * allows), stopped where it parks, its registers kept as the base of injected syscalls.
 */
static int ctx_attach(struct platform_ctx *ctx)
{
	int status, err;

	if (ctx->attached)
		return 0;
	if (ptrace(PTRACE_SEIZE, ctx->tid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0 ||
	    ptrace(PTRACE_INTERRUPT, ctx->tid, 0, 0) < 0) {
		err = -errno;
		log_warn("ptrace: cannot seize stub thread %d: %s", ctx->tid, strerror(-err));
		return err;
	}
	for (;;) {
		if ((err = wait_stop(ctx->tid, &status)) < 0)
			return err;
		if (!WIFSTOPPED(status))
			return -ESRCH;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			break;
		/* A signal that reached the parked thread first: drop it. */
		if (ptrace(PTRACE_CONT, ctx->tid, 0, 0) < 0)
			return -errno;
	}
	if ((err = get_regs(ctx->tid, &ctx->base)) < 0)
		return err;
	ctx->attached = true;
	return 0;
}

static int ptrace_as_new(struct platform_as **out, struct platform_ctx **ctx)
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
	as->main.as = as;
	as->main.tid = as->pid;
	if ((err = wait_stop(as->pid, &status)) < 0 || !WIFSTOPPED(status) ||
	    WSTOPSIG(status) != SIGSTOP) {
		log_warn("ptrace: stub %d did not start (status %#x)", as->pid, status);
		as_kill(as);
		free(as);
		return err < 0 ? err : -ECHILD;
	}
	if (ptrace(PTRACE_SETOPTIONS, as->pid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0 ||
	    (err = get_regs(as->pid, &as->main.base)) < 0) {
		err = err ? err : -errno;
		as_kill(as);
		free(as);
		return err;
	}
	as->main.attached = true;
	/* Leave only the code page: no host library may sit where the guest maps, nor any of
	 * the sentry's mappings (its stack, the vDSO) above the guest's range. */
	ret = stub_syscall(&as->main, SYS_munmap, 0, ARCH_STUB_ADDR, 0, 0, 0, 0);
	if (ret == 0)
		ret = stub_syscall(&as->main, SYS_munmap, ARCH_STUB_ADDR + PAGE_SIZE,
				   ARCH_TASK_SIZE - ARCH_STUB_ADDR - PAGE_SIZE, 0, 0, 0, 0);
	if (ret < 0) {
		as_kill(as);
		free(as);
		return (int)ret;
	}
	log_debug("ptrace: stub %d ready", as->pid);
	*out = as;
	*ctx = &as->main;
	return 0;
}

static void ptrace_as_destroy(struct platform_as *as)
{
	as_kill(as);
	free(as);
}

/* The new thread parks at once; its runner seizes it (ctx_attach). */
static int ptrace_ctx_new(struct platform_ctx *parent, struct platform_ctx **out)
{
	const uint64_t args[6] = { THREAD_FLAGS, 0, 0, 0, 0, 0 };
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));
	long tid;

	if (!ctx)
		return -ENOMEM;
	tid = stub_syscall_at(parent, arch_stub_clone_off, SYS_clone, args);
	if (tid <= 0) {
		free(ctx);
		return tid < 0 ? (int)tid : -EIO;
	}
	ctx->as = parent->as;
	ctx->tid = (pid_t)tid;
	*out = ctx;
	return 0;
}

/*
 * A cloned thread exits, seen by its tracer. The main thread cannot go while others run: it
 * parks and is let go (its tracer's exit would otherwise kill the stub: PTRACE_O_EXITKILL).
 */
static void ptrace_ctx_release(struct platform_ctx *ctx)
{
	const uint64_t args[6] = { 0 };
	struct arch_regs r;
	int status;

	if (ctx == &ctx->as->main) {
		r = ctx->base;
		/* Just past the clone's syscall, with a 0 result: the parking loop. */
		arch_prepare_syscall(&r, ARCH_STUB_ADDR + arch_stub_park_off, 0, args);
		if (set_regs(ctx->tid, &r) == 0)
			ptrace(PTRACE_DETACH, ctx->tid, 0, 0);
		ctx->attached = false;
		return;
	}
	/* Never run, it is parked and untraced: the stub's end takes it. */
	if (ctx->attached) {
		r = ctx->base;
		arch_prepare_syscall(&r, ARCH_STUB_ADDR, SYS_exit, args);
		/* A thread that cannot be made to exit takes the stub with it. Either way it is
		 * reaped here: a traced zombie thread would keep the stub from being reaped. */
		if (set_regs(ctx->tid, &r) < 0 || ptrace(PTRACE_CONT, ctx->tid, 0, 0) < 0)
			kill(ctx->as->pid, SIGKILL);
		while (wait_stop(ctx->tid, &status) == 0 && WIFSTOPPED(status))
			if (ptrace(PTRACE_CONT, ctx->tid, 0, 0) < 0)
				kill(ctx->as->pid, SIGKILL);
	}
	free(ctx);
}

static int ptrace_as_map(struct platform_ctx *ctx, uint64_t addr, size_t len, int prot,
			 bool shared, uint64_t off)
{
	long ret = stub_syscall(ctx, SYS_mmap, addr, len, prot, MAP_SHARED | MAP_FIXED,
				ptrace_memfd, off);

	return ret < 0 && ret > -4096 ? (int)ret : 0;
}

static int ptrace_as_unmap(struct platform_ctx *ctx, uint64_t addr, size_t len)
{
	return (int)stub_syscall(ctx, SYS_munmap, addr, len, 0, 0, 0, 0);
}

static int ptrace_as_protect(struct platform_ctx *ctx, uint64_t addr, size_t len, int prot)
{
	return (int)stub_syscall(ctx, SYS_mprotect, addr, len, prot, 0, 0, 0);
}

static int ptrace_as_clear(struct platform_ctx *ctx)
{
	return (int)stub_syscall(ctx, SYS_munmap, 0, ARCH_STUB_ADDR, 0, 0, 0, 0);
}

static enum platform_event ptrace_run(struct platform_ctx *ctx, struct arch_regs *regs,
				      struct platform_fault *fault)
{
	pid_t tid = ctx->tid;
	siginfo_t si;
	int status, sig;

	if (ctx_attach(ctx) < 0)
		return PLATFORM_DIED;
	if (regs->fp_dirty && ptrace_arch_set_fp(tid, regs) == 0)
		regs->fp_dirty = false;
	for (;;) {
		/* An interrupt whose SIGSTOP was swallowed by an injected syscall, or is still on
		 * its way: report it now; a late SIGSTOP is then dropped below. */
		if (__atomic_exchange_n(&ctx->interrupt_pending, 0, __ATOMIC_ACQ_REL))
			return PLATFORM_INTERRUPTED;
		if (set_regs(tid, regs) < 0 || ptrace(PTRACE_SYSEMU, tid, 0, 0) < 0)
			return PLATFORM_DIED;
		if (wait_stop(tid, &status) < 0 || !WIFSTOPPED(status))
			return PLATFORM_DIED;
		if (get_regs(tid, regs) < 0)
			return PLATFORM_DIED;
		regs->fp_valid = false;
		sig = WSTOPSIG(status);
		if (sig == (SIGTRAP | 0x80))
			return PLATFORM_SYSCALL;
		/* A group stop or a PTRACE_INTERRUPT's: nothing for the guest. */
		if ((status >> 16) != 0)
			continue;
		if (sig == SIGSTOP && __atomic_exchange_n(&ctx->interrupt_pending, 0, __ATOMIC_ACQ_REL))
			return PLATFORM_INTERRUPTED;
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		    sig == SIGTRAP) {
			memset(&si, 0, sizeof(si));
			ptrace(PTRACE_GETSIGINFO, tid, 0, &si);
			fault->signo = sig;
			fault->code = si.si_code;
			fault->addr = (uint64_t)si.si_addr;
			return PLATFORM_FAULT;
		}
		/* A host signal meant for the sandbox as a whole (a terminal's SIGINT): the guest
		 * hears of it through the sentry, never directly; drop it and go on. */
	}
}

static void ptrace_interrupt(struct platform_ctx *ctx)
{
	__atomic_store_n(&ctx->interrupt_pending, 1, __ATOMIC_RELEASE);
	/* To this thread only: a process-directed SIGSTOP would reach any of them. */
	syscall(SYS_tgkill, ctx->as->pid, ctx->tid, SIGSTOP);
}

static int ptrace_get_fpregs(struct platform_ctx *ctx, struct arch_regs *regs)
{
	int err;

	if (regs->fp_valid || regs->fp_dirty)
		return 0;
	if ((err = ptrace_arch_get_fp(ctx->tid, regs)) < 0)
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
	.ctx_new = ptrace_ctx_new,
	.ctx_release = ptrace_ctx_release,
	.run = ptrace_run,
	.interrupt = ptrace_interrupt,
	.get_fpregs = ptrace_get_fpregs,
	.host_pid = ptrace_host_pid,
};
