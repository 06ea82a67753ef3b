/*
 * The systrap platform: each address space is a stub process, not traced, whose seccomp filter
 * turns every syscall not made by the stub's own code into SIGSYS; the stub's handler hands the
 * guest's registers to the sentry in shared memory and waits on a futex, as gVisor's systrap.
 */
#include <errno.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "platform/platform.h"
#include "platform/systrap/systrap.h"
#include "sentry/mm/memfile.h"

/* Sent to the stub to make a running guest trap: nothing else sends it there. */
#define INTERRUPT_SIGNAL SIGUSR2
/* si_code of a seccomp SIGSYS (the kernel's SYS_SECCOMP, which glibc's headers lack). */
#define SI_SECCOMP 1
/* The signals the stub turns into events; every other one stays blocked in the stub. */
static const int stub_signals[] = {
	SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, INTERRUPT_SIGNAL,
};
/*
 * How long each side spins for the other's answer before sleeping on the futex. Waking a thread
 * asleep on another CPU costs 100-600 us on a VM (the idle virtual CPU must be scheduled
 * again), a whole syscall round trip 5. The spin covers a syscall that copies data, not only
 * a trivial one: a 128 KiB read takes the sentry 15-25 us, and with a 10 us spin the stub slept
 * on every one (dd reading 200 MB in 128 KiB blocks: 43 ms at 10 us, 38 at 30, 36.5 at 60;
 * native 19). Neither side spins when both last ran on the same CPU: that would only keep the
 * other from answering. CVISOR_SYSTRAP_SPIN_NS overrides it (0: never spin), for measurements.
 */
#define SPIN_NS_DEFAULT 30000
/* How often a sentry asleep on a stub checks that the stub still exists. */
#define DEATH_POLL_NS 100000000L

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "seccomp argument halves");

/* Slots in the stub's region after its code page: one stub thread, so one guest thread, each. */
#define MAX_CTX ((ARCH_TASK_SIZE - ARCH_STUB_ADDR) / SYSTRAP_SLOT_SIZE - 1)

/* One guest thread: a stub thread and its slot. */
struct platform_ctx {
	struct platform_as *as;
	int index;		  /* in as->ctx; 0: the stub's first thread */
	pid_t tid;		  /* host tid of the stub thread */
	struct mobj *mem;	  /* a reference: the slot's memory */
	struct systrap_slot slot;
	uint64_t uc;	       /* the frame of the stub's last event: checked to be in the slot */
	int interrupt_pending; /* atomic: an interrupt() not yet reported by run() */
	int running;	       /* atomic: RUN posted, no event back yet */
	/* Guarded by as->lock. */
	bool in_use;     /* a guest thread owns it (the first context: always) */
	bool has_thread; /* its stub thread exists */
};

struct platform_as {
	pid_t pid;
	/* Guards which contexts exist and are in use; a leaf lock. Each context is driven only
	 * by its own task's host thread. */
	pthread_mutex_t lock;
	struct platform_ctx *ctx[MAX_CTX]; /* by slot; slots stay mapped until the stub goes */
};

uint32_t systrap_flags;
static int systrap_memfd = -1;
static struct systrap_bpf stub_bpf, fork_bpf;
/* The stubs' filter (the template's, which they inherit), and what every stub but the template
 * adds: built once here, since the cloned child may not allocate. */
static struct sock_fprog stub_filter, fork_filter;
/*
 * The template: a stub that never runs guest code, forked to make the others (SYSTRAP_ST_FORK),
 * started by the first as_new. Waking a sleeping process costs 100-600 us on a VM, so the next
 * stub is forked ahead (spare: its FORK posted to the template, maybe not answered yet), and
 * destroyed stubs are reaped later (dead). template_lock guards all three; only the memory
 * file's allocator lock is taken under it.
 */
static pthread_mutex_t template_lock = PTHREAD_MUTEX_INITIALIZER;
static struct platform_as *template, *spare;
static bool first_cloned; /* the first stub was cloned directly */
#define DEAD_MAX 64
static pid_t dead[DEAD_MAX]; /* killed stubs not reaped yet */
static size_t ndead;
static uint32_t spin_loops;    /* pause loops for SPIN_NS */
static uint64_t guest_sigmask; /* the host signal mask while guest code runs */

void *systrap_slot_ptr(const struct systrap_slot *s, uint64_t addr, size_t len)
{
	uint64_t lo = s->addr + SYSTRAP_CTX_SIZE, hi = s->addr + SYSTRAP_SLOT_SIZE;

	if (addr < lo || addr > hi || len > hi - addr)
		return NULL;
	return s->mem + (addr - s->addr);
}

void systrap_bpf_stmt(struct systrap_bpf *b, uint16_t code, uint32_t k)
{
	systrap_bpf_jump(b, code, k, 0, 0);
}

void systrap_bpf_jump(struct systrap_bpf *b, uint16_t code, uint32_t k, unsigned jt, unsigned jf)
{
	if (b->len >= SYSTRAP_BPF_MAX - 3) {
		b->overflow = true;
		return;
	}
	b->insn[b->len] = (struct sock_filter)BPF_STMT(code, k);
	b->jt[b->len] = jt;
	b->jf[b->len] = jf;
	b->len++;
}

void systrap_bpf_load_arg(struct systrap_bpf *b, int i, bool high)
{
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args) + 8 * i + (high ? 4 : 0));
}

/* Appends the three verdicts and turns label jumps into offsets. */
static int bpf_finish(struct systrap_bpf *b)
{
	static const uint32_t verdict[] = {
		SECCOMP_RET_KILL_PROCESS,
		SECCOMP_RET_TRAP,
		SECCOMP_RET_ALLOW,
	};
	size_t body = b->len;

	if (b->overflow)
		return -E2BIG;
	for (size_t i = 0; i < ARRAY_SIZE(verdict); i++) {
		b->insn[b->len] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, verdict[i]);
		b->jt[b->len] = b->jf[b->len] = 0;
		b->len++;
	}
	for (size_t i = 0; i < body; i++) {
		unsigned t[2] = { b->jt[i], b->jf[i] };

		for (int j = 0; j < 2; j++) {
			if (t[j] >= SYSTRAP_BPF_KILL)
				t[j] = body + (t[j] - SYSTRAP_BPF_KILL) - (i + 1);
			if (t[j] > 255)
				return -E2BIG;
		}
		b->insn[i].jt = t[0];
		b->insn[i].jf = t[1];
	}
	return 0;
}

/*
 * The stub's filter. A syscall from anywhere but the stub's code page traps (SIGSYS, the guest's
 * syscalls); from the code page, only what the stub itself makes passes, with the arguments it
 * uses: a guest that jumps into that code gets no more than this (see docs/ARCHITECTURE.md).
 * Another architecture's syscalls (int 0x80) kill the stub.
 */
static int build_stub_filter(int memfd)
{
	struct systrap_bpf *b = &stub_bpf;
	uint64_t code = ARCH_STUB_ADDR;
	uint64_t end = code + (uint64_t)(systrap_stub_code_end - systrap_stub_code);
	int err;

	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, systrap_arch_audit, 0, SYSTRAP_BPF_KILL);
	/* The address after the syscall instruction: inside [code, end]. */
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, code >> 32, 0, SYSTRAP_BPF_TRAP);
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer));
	systrap_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)code, 0, SYSTRAP_BPF_TRAP);
	systrap_bpf_jump(b, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)end, SYSTRAP_BPF_TRAP, 0);

	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	/* futex: the hand-off, on the shared (not private) context word. */
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 3);
	systrap_bpf_load_arg(b, 1, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAIT, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAKE, SYSTRAP_BPF_ALLOW,
			 SYSTRAP_BPF_KILL);
	/* mmap: only the memory file, MAP_SHARED|MAP_FIXED, as the sentry's requests. */
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 8);
	systrap_bpf_load_arg(b, 3, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, MAP_SHARED | MAP_FIXED, 0, SYSTRAP_BPF_KILL);
	systrap_bpf_load_arg(b, 3, true);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, SYSTRAP_BPF_KILL);
	systrap_bpf_load_arg(b, 4, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)memfd, 0, SYSTRAP_BPF_KILL);
	systrap_bpf_load_arg(b, 4, true);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0, SYSTRAP_BPF_ALLOW, SYSTRAP_BPF_KILL);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, SYSTRAP_BPF_ALLOW, 0);
	/* A stub thread's end, and what a new one sets up for itself (see SYSTRAP_ST_CLONE). */
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_sigaltstack, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_rseq, SYSTRAP_BPF_ALLOW, 0);
	/* The template's fork, and the new stub's own filter, which forbids both again; a stub
	 * thread's clone of another. */
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 5);
	systrap_bpf_load_arg(b, 0, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, CLONE_PARENT | SIGCHLD, 1, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYSTRAP_THREAD_FLAGS, 0, SYSTRAP_BPF_KILL);
	systrap_bpf_load_arg(b, 0, true);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0, SYSTRAP_BPF_ALLOW, SYSTRAP_BPF_KILL);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 4);
	systrap_bpf_load_arg(b, 0, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_SET_MODE_FILTER, 0,
			 SYSTRAP_BPF_KILL);
	systrap_bpf_load_arg(b, 1, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0, SYSTRAP_BPF_ALLOW, SYSTRAP_BPF_KILL);
	systrap_arch_filter_allow(b);
	/* Anything else falls through to KILL, the first verdict. */
	if ((err = bpf_finish(b)) < 0)
		return err;
	stub_filter.filter = b->insn;
	stub_filter.len = b->len;

	/* What each forked stub adds: no more seccomp, and no clone but a thread's, from the
	 * stub's code. */
	b = &fork_bpf;
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, systrap_arch_audit, 0, SYSTRAP_BPF_ALLOW);
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, code >> 32, 0, SYSTRAP_BPF_ALLOW);
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer));
	systrap_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)code, 0, SYSTRAP_BPF_ALLOW);
	systrap_bpf_jump(b, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)end, SYSTRAP_BPF_ALLOW, 0);
	systrap_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, SYSTRAP_BPF_KILL, 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, SYSTRAP_BPF_ALLOW);
	systrap_bpf_load_arg(b, 0, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYSTRAP_THREAD_FLAGS, SYSTRAP_BPF_ALLOW,
			 SYSTRAP_BPF_KILL);
	if ((err = bpf_finish(b)) < 0)
		return err;
	if (b->len > SYSTRAP_CTX_FILTER_MAX)
		return -E2BIG;
	fork_filter.filter = b->insn;
	fork_filter.len = b->len;
	return 0;
}

static uint32_t spin_loops_for(uint64_t ns)
{
	struct timespec a, b;
	const uint32_t n = 20000;
	uint64_t took;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint32_t i = 0; i < n; i++)
		systrap_arch_relax();
	clock_gettime(CLOCK_MONOTONIC, &b);
	took = (b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
	if (took == 0)
		took = 1;
	return MIN(ns * n / took, (uint64_t)UINT32_MAX / 2);
}

static int systrap_init(int memfd)
{
	const char *env = getenv("CVISOR_SYSTRAP_SPIN_NS");
	uint64_t spin_ns = env ? strtoull(env, NULL, 10) : SPIN_NS_DEFAULT;
	cpu_set_t cpus;
	int err;

	if (systrap_stub_code_end - systrap_stub_code > (long)PAGE_SIZE)
		return -E2BIG;
	systrap_memfd = memfd;
	systrap_flags = systrap_arch_flags();
	guest_sigmask = ~0ULL;
	for (size_t i = 0; i < ARRAY_SIZE(stub_signals); i++)
		guest_sigmask &= ~(1ULL << (stub_signals[i] - 1));
	/* On one CPU the other side cannot answer while we spin. */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2)
		spin_ns = 0;
	spin_loops = spin_ns ? spin_loops_for(spin_ns) : 0;
	if ((err = build_stub_filter(memfd)) < 0)
		return err;
	log_debug("systrap: spin %u loops (%llu ns), flags %#x", spin_loops,
		  (unsigned long long)spin_ns, systrap_flags);
	return 0;
}

static struct systrap_ctx *ctx_shared(struct platform_ctx *ctx)
{
	return systrap_slot_ctx(&ctx->slot);
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* The CPU this thread runs on (glibc reads it from its rseq area), ~0 if unknown. */
static uint32_t this_cpu(void)
{
	return (uint32_t)sched_getcpu();
}

/* Gives the turn to the stub thread, waking it if it sleeps. */
static void post(struct platform_ctx *ctx, uint32_t st)
{
	struct systrap_ctx *c = ctx_shared(ctx);

	__atomic_store_n(&c->sentry_cpu, this_cpu(), __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&c->state, st, __ATOMIC_SEQ_CST) & SYSTRAP_ST_WAITING)
		futex(&c->state, FUTEX_WAKE, 1, NULL);
}

static bool stub_gone(struct platform_as *as)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, as->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;
	return si.si_pid == as->pid;
}

/* The stub thread of ctx is gone, or its whole stub. A cloned thread's tid word is cleared by
 * the kernel when it exits (the guest can clear it too: then it loses that thread). */
static bool thread_gone(struct platform_ctx *ctx)
{
	if (ctx->index > 0 && __atomic_load_n(&ctx_shared(ctx)->tid, __ATOMIC_ACQUIRE) == 0)
		return true;
	return stub_gone(ctx->as);
}

/*
 * Waits until the stub thread answers what the sentry posted: spins, then sleeps on the futex
 * (see SPIN_NS_DEFAULT). 0 once it has posted an event, -ESRCH when it is gone, -EIO when the
 * state word holds something no stub writes (the guest can write it).
 */
static int wait_stub(struct platform_ctx *ctx, uint32_t posted)
{
	struct systrap_ctx *c = ctx_shared(ctx);
	uint32_t *state = &c->state, s, spin = spin_loops;

	if (__atomic_load_n(&c->rseq[1], __ATOMIC_RELAXED) == this_cpu())
		spin = 0;
	for (uint32_t i = 0;; i++) {
		s = __atomic_load_n(state, __ATOMIC_ACQUIRE);
		if ((s & ~SYSTRAP_ST_WAITING) != posted)
			goto answered;
		if (i >= spin)
			break;
		systrap_arch_relax();
	}
	for (;;) {
		const struct timespec poll = { 0, DEATH_POLL_NS };

		if (!(s & SYSTRAP_ST_WAITING)) {
			if (!__atomic_compare_exchange_n(state, &s, s | SYSTRAP_ST_WAITING, false,
							 __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
				if ((s & ~SYSTRAP_ST_WAITING) != posted)
					goto answered;
				continue;
			}
			s |= SYSTRAP_ST_WAITING;
		}
		if (futex(state, FUTEX_WAIT, s, &poll) < 0 && errno == ETIMEDOUT &&
		    thread_gone(ctx))
			return -ESRCH;
		s = __atomic_load_n(state, __ATOMIC_ACQUIRE);
		if ((s & ~SYSTRAP_ST_WAITING) != posted)
			goto answered;
	}
answered:
	if ((s & ~SYSTRAP_ST_WAITING) != SYSTRAP_ST_EVENT) {
		log_warn("systrap: stub %d thread %d: state %#x", ctx->as->pid, ctx->tid, s);
		return -EIO;
	}
	return 0;
}

/* Makes the stub thread, waiting for the sentry in its handler, run one syscall; returns its
 * result. */
static long stub_request(struct platform_ctx *ctx, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct systrap_ctx *c = ctx_shared(ctx);
	long ret;
	int err;

	c->req_nr = nr;
	c->req_args[0] = a0;
	c->req_args[1] = a1;
	c->req_args[2] = a2;
	c->req_args[3] = a3;
	c->req_args[4] = a4;
	c->req_args[5] = a5;
	post(ctx, SYSTRAP_ST_REQUEST);
	if ((err = wait_stub(ctx, SYSTRAP_ST_REQUEST)) < 0) {
		kill(ctx->as->pid, SIGKILL);
		return err;
	}
	ret = __atomic_load_n(&c->req_ret, __ATOMIC_RELAXED);
	return ret < 0 && ret >= -4095 ? ret : 0;
}

/*
 * A cloned stub's setup (raw syscalls only: the child of a multithreaded process may not touch
 * libc's locks). No PR_SET_PDEATHSIG: it would fire when the task thread that happened to start
 * the stub exits; the sentry is PID 1 of its PID namespace, and every stub dies with it.
 */
static void __attribute__((noreturn)) stub_child(const struct platform_ctx *ctx, bool is_template)
{
	const uint64_t code = ARCH_STUB_ADDR, slot = ctx->slot.addr;
	const size_t code_len = systrap_stub_code_end - systrap_stub_code;
	const stack_t ss = { .ss_sp = (void *)(slot + SYSTRAP_CTX_SIZE),
			     .ss_size = SYSTRAP_STACK_SIZE };
	const uint64_t all = ~0ULL;
	const int memfd = systrap_memfd;
	volatile uint8_t *page;

	/* The forking thread's rseq area is about to be unmapped; the kernel would fault on it. */
	if (__rseq_size > 0)
		syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
			__rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	syscall(SYS_prctl, PR_SET_NAME, (unsigned long)"runsc-stub", 0, 0, 0);
	if (memfd > 0)
		syscall(SYS_close_range, 0, memfd - 1, 0);
	syscall(SYS_close_range, memfd + 1, ~0U, 0);
	/* Whatever of the sentry's lies above the guest's range goes; the stub's pages replace it.
	 * The code below the guest's end (this function's) goes once the stub code runs. */
	syscall(SYS_munmap, ARCH_STUB_ADDR, ARCH_TASK_SIZE - ARCH_STUB_ADDR);
	page = (void *)syscall(SYS_mmap, code, PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (page != (void *)code)
		syscall(SYS_exit_group, 120);
	for (size_t i = 0; i < code_len; i++)
		page[i] = systrap_stub_code[i];
	if (syscall(SYS_mprotect, code, PAGE_SIZE, PROT_READ | PROT_EXEC) < 0 ||
	    syscall(SYS_mmap, slot, SYSTRAP_SLOT_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, memfd, ctx->mem->off) != (long)slot)
		syscall(SYS_exit_group, 121);
	/* An rseq area of its own in the slot, where the sentry sees which CPU the stub runs on
	 * (no critical sections: rseq_cs stays 0). Without rseq, both sides just spin. */
	syscall(SYS_rseq, slot + offsetof(struct systrap_ctx, rseq),
		sizeof(((struct systrap_ctx *)0)->rseq), 0, RSEQ_SIG);
	for (size_t i = 0; i < ARRAY_SIZE(stub_signals); i++)
		if (systrap_arch_child_sigaction(
			    stub_signals[i], code + (systrap_stub_handler - systrap_stub_code),
			    code + (systrap_stub_restorer - systrap_stub_code)) < 0)
			syscall(SYS_exit_group, 122);
	if (syscall(SYS_sigaltstack, &ss, NULL) < 0 ||
	    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all)) < 0)
		syscall(SYS_exit_group, 122);
	/* A stub that runs guest code may not fork: the template's part goes first, since once
	 * stub_filter is in, only the stub code may make syscalls. */
	if ((!is_template && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fork_filter) < 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &stub_filter) < 0)
		syscall(SYS_exit_group, 123);
	/* No syscall from here on but the stub code's. */
	((void (*)(uint64_t))(code + (systrap_stub_start - systrap_stub_code)))(slot);
	__builtin_unreachable();
}

static void ctx_free(struct platform_ctx *ctx)
{
	if (!ctx)
		return;
	mobj_put(ctx->mem);
	free(ctx);
}

/* Frees as, killing its stub first (and waiting for it). */
static void as_free(struct platform_as *as)
{
	int status;

	if (as->pid > 0) {
		kill(as->pid, SIGKILL);
		while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
			;
	}
	for (size_t i = 0; i < MAX_CTX; i++)
		ctx_free(as->ctx[i]);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/* A context's shared half as a new stub thread expects it: its turn until it says ready. */
static void ctx_reset(struct platform_ctx *ctx)
{
	struct systrap_ctx *c = ctx_shared(ctx);

	memset(c, 0, sizeof(*c));
	c->state = SYSTRAP_ST_RUN;
	c->spin = spin_loops;
	c->sentry_cpu = c->rseq[1] = ~0U;
	c->flags = systrap_flags;
	c->guest_end = ARCH_STUB_ADDR;
	c->cur_tls[0] = c->cur_tls[1] = ~0ULL;
	c->filter_len = fork_bpf.len;
	memcpy(c->filter, fork_bpf.insn, fork_bpf.len * sizeof(fork_bpf.insn[0]));
	ctx->uc = c->uc = systrap_arch_init_frame(&ctx->slot, guest_sigmask);
	c->patch_sp = ctx->slot.addr + SYSTRAP_PATCH_SP_OFF;
	c->patch_entry = ARCH_STUB_ADDR + (uint64_t)(systrap_stub_patched - systrap_stub_code);
	systrap_arch_patch_frame(&ctx->slot);
	ctx->interrupt_pending = 0;
	ctx->running = 0;
}

/* Slot index's context of as, its memory allocated (not mapped in the stub yet). */
static struct platform_ctx *ctx_alloc(struct platform_as *as, int index)
{
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->mem = mobj_new(SYSTRAP_SLOT_SIZE);
	if (!ctx->mem) {
		free(ctx);
		return NULL;
	}
	ctx->as = as;
	ctx->index = index;
	ctx->slot.mem = mobj_ptr(ctx->mem, 0);
	ctx->slot.addr = ARCH_STUB_ADDR + (uint64_t)(index + 1) * SYSTRAP_SLOT_SIZE;
	ctx_reset(ctx);
	return ctx;
}

/* A new address space with its first context, its stub not started yet. */
static struct platform_as *as_alloc(void)
{
	struct platform_as *as = calloc(1, sizeof(*as));

	if (!as)
		return NULL;
	pthread_mutex_init(&as->lock, NULL);
	as->ctx[0] = ctx_alloc(as, 0);
	if (!as->ctx[0]) {
		pthread_mutex_destroy(&as->lock);
		free(as);
		return NULL;
	}
	as->ctx[0]->in_use = as->ctx[0]->has_thread = true;
	return as;
}

/* Waits for a new stub thread's "ready". */
static int wait_ready(struct platform_ctx *ctx)
{
	int err = wait_stub(ctx, SYSTRAP_ST_RUN);

	if (err < 0 || ctx_shared(ctx)->signo != 0) {
		log_warn("systrap: stub %d thread did not start", ctx->as->pid);
		return err < 0 ? err : -ECHILD;
	}
	return 0;
}

/*
 * A stub by a raw clone of this thread, which copies the sentry's address space: the first stub
 * (a sandbox that never forks needs no template), and the template.
 */
static int stub_clone(struct platform_as **out, bool is_template)
{
	struct platform_as *as = as_alloc();
	int err;

	if (!as)
		return -ENOMEM;
	as->pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (as->pid < 0) {
		err = -errno;
		as->pid = 0;
		as_free(as);
		return err;
	}
	if (as->pid == 0)
		stub_child(as->ctx[0], is_template);
	as->ctx[0]->tid = as->pid;
	if ((err = wait_ready(as->ctx[0])) < 0) {
		as_free(as);
		return err;
	}
	log_debug("systrap: stub %d cloned", as->pid);
	*out = as;
	return 0;
}

/* Asks the template for as's stub; template_forked() collects the answer. */
static void template_fork(struct platform_as *t, struct platform_as *as)
{
	struct systrap_ctx *c = ctx_shared(t->ctx[0]);

	c->req_args[0] = as->ctx[0]->mem->off;
	c->req_args[1] = systrap_memfd;
	post(t->ctx[0], SYSTRAP_ST_FORK);
}

/* 0 once as has its stub's pid, a negative errno from clone, or -ESRCH/-EIO when the template
 * itself is gone or broken. */
static int template_forked(struct platform_as *t, struct platform_as *as)
{
	struct systrap_ctx *c = ctx_shared(t->ctx[0]);
	long pid;
	int err;

	if ((err = wait_stub(t->ctx[0], SYSTRAP_ST_FORK)) < 0)
		return err;
	pid = __atomic_load_n(&c->req_ret, __ATOMIC_RELAXED);
	if (pid <= 0)
		return pid < 0 && pid >= -4095 ? (int)pid : -EIO;
	as->pid = as->ctx[0]->tid = pid;
	return 0;
}

/*
 * A new stub from the template (the spare when there is one), and the next spare asked for.
 * A template that died is replaced, once; the slot of a fork it was asked for is left alone
 * (leaked), since it may have made that stub before dying.
 */
static int stub_from_template_locked(struct platform_as **out)
{
	struct platform_as *as = spare; /* its FORK already posted, unless NULL */
	int err = -ESRCH;

	spare = NULL;
	for (int tries = 0; tries < 2 && (err == -ESRCH || err == -EIO); tries++) {
		if (!template && (err = stub_clone(&template, true)) < 0)
			break;
		if (!as) {
			if (!(as = as_alloc())) {
				err = -ENOMEM;
				break;
			}
			template_fork(template, as);
		}
		err = template_forked(template, as);
		if (err == -ESRCH || err == -EIO) {
			pthread_mutex_destroy(&as->lock);
			free(as->ctx[0]);
			free(as);
			as = NULL;
			as_free(template);
			template = NULL;
		}
	}
	*out = as;
	if (err < 0)
		return err;
	if ((spare = as_alloc()) != NULL)
		template_fork(template, spare);
	return 0;
}

static int systrap_as_new(struct platform_as **out, struct platform_ctx **ctx)
{
	struct platform_as *as = NULL;
	bool first;
	int err;

	pthread_mutex_lock(&template_lock);
	first = !first_cloned;
	first_cloned = true;
	pthread_mutex_unlock(&template_lock);
	if (first) {
		if ((err = stub_clone(out, false)) < 0)
			return err;
		*ctx = (*out)->ctx[0];
		return 0;
	}
	/* A spare killed from outside while it waited costs one more fork, not the task. */
	for (int tries = 0; tries < 2; tries++) {
		pthread_mutex_lock(&template_lock);
		err = stub_from_template_locked(&as);
		pthread_mutex_unlock(&template_lock);
		if (err == 0 && (err = wait_ready(as->ctx[0])) == 0 && !stub_gone(as))
			break;
		err = err < 0 ? err : -ESRCH;
		if (as)
			as_free(as);
		as = NULL;
	}
	if (err < 0)
		return err;
	log_debug("systrap: stub %d ready (cpu %d)", as->pid,
		  (int)ctx_shared(as->ctx[0])->rseq[1]);
	*out = as;
	*ctx = as->ctx[0];
	return 0;
}

/* Killed, it goes at once; the sentry reaps it later, not to wait for its exit here. */
static void systrap_as_destroy(struct platform_as *as)
{
	int status;

	kill(as->pid, SIGKILL);
	pthread_mutex_lock(&template_lock);
	for (size_t i = 0; i < ndead;) {
		if (waitpid(dead[i], &status, __WALL | WNOHANG) != 0)
			dead[i] = dead[--ndead];
		else
			i++;
	}
	if (ndead < DEAD_MAX) {
		dead[ndead++] = as->pid;
		as->pid = 0;
	}
	pthread_mutex_unlock(&template_lock);
	/* Its slots can go back to the file now: a killed process runs no more user code. */
	as_free(as);
}

/*
 * A stub thread for another guest thread: a slot (a free one whose thread has exited is
 * mapped already), laid out, then a clone by parent's stub thread.
 */
static int systrap_ctx_new(struct platform_ctx *parent, struct platform_ctx **out)
{
	struct platform_as *as = parent->as;
	struct platform_ctx *ctx = NULL;
	bool fresh = false;
	long ret;
	int i, err;

	pthread_mutex_lock(&as->lock);
	for (i = 1; i < (int)MAX_CTX; i++) {
		if (!as->ctx[i] || !as->ctx[i]->in_use)
			break;
	}
	if (i < (int)MAX_CTX && !as->ctx[i]) {
		as->ctx[i] = ctx_alloc(as, i);
		fresh = true;
	}
	if (i < (int)MAX_CTX && as->ctx[i]) {
		ctx = as->ctx[i];
		ctx->in_use = true;
	}
	pthread_mutex_unlock(&as->lock);
	if (i >= (int)MAX_CTX)
		return -EAGAIN;
	if (!ctx)
		return -ENOMEM;
	if (!fresh)
		ctx_reset(ctx);
	if (fresh && (ret = stub_request(parent, SYS_mmap, ctx->slot.addr, SYSTRAP_SLOT_SIZE,
					 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
					 systrap_memfd, ctx->mem->off)) < 0) {
		err = (int)ret;
		goto fail;
	}
	ctx_shared(parent)->req_args[0] = ctx->slot.addr;
	post(parent, SYSTRAP_ST_CLONE);
	if ((err = wait_stub(parent, SYSTRAP_ST_CLONE)) < 0)
		goto fail;
	ret = __atomic_load_n(&ctx_shared(parent)->req_ret, __ATOMIC_RELAXED);
	if (ret <= 0) {
		err = ret < 0 && ret >= -4095 ? (int)ret : -EIO;
		goto fail;
	}
	ctx->tid = (pid_t)ret;
	pthread_mutex_lock(&as->lock);
	ctx->has_thread = true;
	pthread_mutex_unlock(&as->lock);
	if ((err = wait_ready(ctx)) < 0) {
		kill(as->pid, SIGKILL);
		return err;
	}
	*out = ctx;
	return 0;
fail:
	pthread_mutex_lock(&as->lock);
	ctx->in_use = false;
	pthread_mutex_unlock(&as->lock);
	return err;
}

/* The stub thread exits (its slot waits, mapped, for the next thread); the first one parks. */
static void systrap_ctx_release(struct platform_ctx *ctx)
{
	struct platform_as *as = ctx->as;
	struct systrap_ctx *c = ctx_shared(ctx);
	bool reusable = false;

	if (ctx->index > 0) {
		c->req_nr = SYS_exit;
		c->req_args[0] = 0;
		post(ctx, SYSTRAP_ST_REQUEST);
		/* CLONE_CHILD_CLEARTID: the kernel clears the word and wakes us once it is gone. */
		for (int polls = 0; polls < 50; polls++) {
			const struct timespec poll = { 0, DEATH_POLL_NS };
			uint32_t tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);

			if (tid == 0) {
				reusable = true;
				break;
			}
			if (stub_gone(as))
				break;
			futex(&c->tid, FUTEX_WAIT, tid, &poll);
		}
	}
	pthread_mutex_lock(&as->lock);
	if (ctx->index > 0) {
		ctx->has_thread = false;
		/* A thread that did not go keeps its slot out of use. */
		ctx->in_use = !reusable;
	}
	pthread_mutex_unlock(&as->lock);
}

/* Requests never touch the stub's own pages, whatever the caller's bug. */
static bool guest_range(uint64_t addr, size_t len)
{
	return addr <= ARCH_STUB_ADDR && len <= ARCH_STUB_ADDR - addr;
}

static int systrap_as_map(struct platform_ctx *ctx, uint64_t addr, size_t len, int prot,
			  bool shared, uint64_t off)
{
	if (!guest_range(addr, len))
		return -EINVAL;
	return (int)stub_request(ctx, SYS_mmap, addr, len, prot, MAP_SHARED | MAP_FIXED,
				 systrap_memfd, off);
}

static int systrap_as_unmap(struct platform_ctx *ctx, uint64_t addr, size_t len)
{
	if (!guest_range(addr, len))
		return -EINVAL;
	return (int)stub_request(ctx, SYS_munmap, addr, len, 0, 0, 0, 0);
}

static int systrap_as_protect(struct platform_ctx *ctx, uint64_t addr, size_t len, int prot)
{
	if (!guest_range(addr, len))
		return -EINVAL;
	return (int)stub_request(ctx, SYS_mprotect, addr, len, prot, 0, 0, 0);
}

static int systrap_as_clear(struct platform_ctx *ctx)
{
	return (int)stub_request(ctx, SYS_munmap, 0, ARCH_STUB_ADDR, 0, 0, 0, 0);
}

/* A stub that broke the protocol or vanished: make sure it is gone. */
static enum platform_event stub_died(struct platform_ctx *ctx)
{
	kill(ctx->as->pid, SIGKILL);
	return PLATFORM_DIED;
}

static enum platform_event systrap_run(struct platform_ctx *ctx, struct arch_regs *regs,
				       struct platform_fault *fault)
{
	struct systrap_ctx *c = ctx_shared(ctx);
	uint32_t signo;
	int32_t code;

	if (__atomic_exchange_n(&ctx->interrupt_pending, 0, __ATOMIC_ACQ_REL))
		return PLATFORM_INTERRUPTED;
	if (systrap_arch_set_regs(&ctx->slot, ctx->uc, guest_sigmask, regs) < 0)
		return stub_died(ctx);
	if (regs->fp_dirty && systrap_arch_set_fp(&ctx->slot, ctx->uc, regs) == 0)
		regs->fp_dirty = false;
	c->uc = ctx->uc;
	/* interrupt() signals the stub only while running is set: an interrupt that saw it clear
	 * is seen here. */
	__atomic_store_n(&ctx->running, 1, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&ctx->interrupt_pending, 0, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&ctx->running, 0, __ATOMIC_RELEASE);
		return PLATFORM_INTERRUPTED;
	}
	post(ctx, SYSTRAP_ST_RUN);
	if (wait_stub(ctx, SYSTRAP_ST_RUN) < 0) {
		__atomic_store_n(&ctx->running, 0, __ATOMIC_RELEASE);
		return stub_died(ctx);
	}
	__atomic_store_n(&ctx->running, 0, __ATOMIC_RELEASE);

	signo = __atomic_load_n(&c->signo, __ATOMIC_RELAXED);
	code = __atomic_load_n(&c->code, __ATOMIC_RELAXED);
	ctx->uc = __atomic_load_n(&c->uc, __ATOMIC_RELAXED);
	regs->fp_valid = false;
	if (signo == SIGSYS && (code == SI_SECCOMP || code == SYSTRAP_CODE_PATCHED)) {
		if (systrap_arch_get_regs(&ctx->slot, ctx->uc, true, regs) < 0)
			return stub_died(ctx);
		fault->code = code == SI_SECCOMP ? PLATFORM_SYSCALL_TRAPPED : PLATFORM_SYSCALL_PATCHED;
		return PLATFORM_SYSCALL;
	}
	if (systrap_arch_get_regs(&ctx->slot, ctx->uc, false, regs) < 0)
		return stub_died(ctx);
	switch (signo) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		fault->signo = signo;
		fault->code = code;
		fault->addr = __atomic_load_n(&c->addr, __ATOMIC_RELAXED);
		return PLATFORM_FAULT;
	}
	/* Our interrupt, or a signal sent to the stub from outside (a stray SIGSYS): either way
	 * the sentry gets the thread back, and an interrupt is reported once. */
	__atomic_store_n(&ctx->interrupt_pending, 0, __ATOMIC_RELEASE);
	return PLATFORM_INTERRUPTED;
}

static void systrap_interrupt(struct platform_ctx *ctx)
{
	__atomic_store_n(&ctx->interrupt_pending, 1, __ATOMIC_SEQ_CST);
	/* A stub waiting in its handler gets nothing: run() sees the flag before resuming it. */
	if (__atomic_load_n(&ctx->running, __ATOMIC_SEQ_CST))
		syscall(SYS_tgkill, ctx->as->pid, ctx->tid, INTERRUPT_SIGNAL);
}

static int systrap_get_fpregs(struct platform_ctx *ctx, struct arch_regs *regs)
{
	int err;

	if (regs->fp_valid || regs->fp_dirty)
		return 0;
	if ((err = systrap_arch_get_fp(&ctx->slot, ctx->uc, regs)) < 0)
		return err;
	regs->fp_valid = true;
	return 0;
}

static int systrap_host_pid(struct platform_as *as)
{
	return as->pid;
}

const struct platform_ops platform_systrap = {
	.name = "systrap",
	.init = systrap_init,
	.as_new = systrap_as_new,
	.as_destroy = systrap_as_destroy,
	.as_map = systrap_as_map,
	.as_unmap = systrap_as_unmap,
	.as_protect = systrap_as_protect,
	.as_clear = systrap_as_clear,
	.ctx_new = systrap_ctx_new,
	.ctx_release = systrap_ctx_release,
	.run = systrap_run,
	.interrupt = systrap_interrupt,
	.get_fpregs = systrap_get_fpregs,
	.host_pid = systrap_host_pid,
	.patch_code = systrap_arch_patch_code,
	.patch_table = ARCH_PATCH_TABLE,
	.patch_table_size = ARCH_PATCH_TABLE_SIZE,
};
