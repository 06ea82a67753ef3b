/*
 * Unit tests of guest signals: the x86-64 rt_sigframe against glibc's ucontext_t and siginfo_t,
 * queueing rules, job control, restarts and kill(), on tasks built here over fake guest memory.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

#include "sentry/kernel/cred.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

/* ---- Test doubles of the task and memory layers ---- */

#define GUEST_BASE 0x10000000UL
#define GUEST_SIZE (1UL << 20)
static uint8_t guest_mem[GUEST_SIZE] __attribute__((aligned(4096)));

static void *guest_ptr(uint64_t addr)
{
	ck_assert_uint_ge(addr, GUEST_BASE);
	ck_assert_uint_lt(addr, GUEST_BASE + GUEST_SIZE);
	return guest_mem + (addr - GUEST_BASE);
}

static bool guest_range_ok(uint64_t addr, size_t n)
{
	return addr >= GUEST_BASE && n <= GUEST_SIZE && addr - GUEST_BASE <= GUEST_SIZE - n;
}

int copy_in(struct task *t, void *dst, uint64_t src, size_t n)
{
	if (!guest_range_ok(src, n))
		return -EFAULT;
	memcpy(dst, guest_mem + (src - GUEST_BASE), n);
	return 0;
}

int copy_out(struct task *t, uint64_t dst, const void *src, size_t n)
{
	if (!guest_range_ok(dst, n))
		return -EFAULT;
	memcpy(guest_mem + (dst - GUEST_BASE), src, n);
	return 0;
}

__thread struct task *current_task;

static int kicks;

void task_kick(struct task *t)
{
	pthread_mutex_lock(&t->wake_lock);
	t->woken = true;
	pthread_cond_signal(&t->wake_cond);
	pthread_mutex_unlock(&t->wake_lock);
	__atomic_add_fetch(&kicks, 1, __ATOMIC_RELAXED);
}

int task_fetch_fpregs(struct task *t)
{
	return 0;
}

/* Tasks here are never freed: the references only count. */
void task_get(struct task *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void task_put(struct task *t)
{
	__atomic_sub_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

static jmp_buf exit_jmp;
static int exit_status = -1;
static __thread bool in_helper_thread;

/* The main thread jumps back into the test; a helper thread running a task just ends. */
void task_exit_group(struct task *t, int status)
{
	__atomic_store_n(&exit_status, status, __ATOMIC_RELEASE);
	if (in_helper_thread)
		pthread_exit(NULL);
	longjmp(exit_jmp, 1);
}

void task_exit(struct task *t, int status)
{
	task_exit_group(t, status);
}

/* ---- Helpers ---- */

#define HANDLER 0x401000UL
#define RESTORER 0x402000UL

static struct task *make_task(struct task *parent, uid_t uid)
{
	struct task *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	ck_assert_ptr_nonnull(t);
	pthread_mutex_init(&t->wake_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake_cond, &ca);
	waitqueue_init(&t->child_exit);
	t->state = TASK_RUNNING;
	t->sighand = sighand_new();
	t->creds.uid = t->creds.euid = t->creds.suid = uid;
	creds_init_caps(&t->creds); /* root's capabilities for uid 0 */
	t->parent = parent;
	t->sig.altstack_flags = SS_DISABLE;
	t->syscall_nr = NO_SYSCALL;
	pthread_mutex_lock(&kernel_lock);
	t->tid = t->tgid = pid_alloc_locked(t);
	t->process.pgid = parent ? parent->process.pgid : t->tid;
	t->process.sid = parent ? parent->process.sid : t->tid;
	t->next_task = kernel_tasks;
	kernel_tasks = t;
	pthread_mutex_unlock(&kernel_lock);
	t->regs.gp.rsp = GUEST_BASE + GUEST_SIZE - 4096;
	t->regs.gp.cs = 0x33;
	t->regs.gp.ss = 0x2b;
	t->regs.gp.eflags = 0x202;
	return t;
}

static void set_handler(struct task *t, int sig, uint64_t handler, uint64_t flags)
{
	struct guest_sigaction act = { .handler = handler,
				       .flags = flags | GUEST_SA_RESTORER,
				       .restorer = RESTORER };

	ck_assert_int_eq(task_sigaction(t, sig, &act, NULL), 0);
}

static struct guest_siginfo queue_info(int sig, int value)
{
	struct guest_siginfo si = { .signo = sig, .code = SI_QUEUE };

	si.rt.pid = 77;
	si.rt.value = value;
	return si;
}

static bool pending(struct task *t, int sig)
{
	return task_pending_signals(t) & GSIG_BIT(sig);
}

/* Fills every general register with a distinct value, and the FP area with a pattern. */
static void scramble_regs(struct task *t, uint64_t sp)
{
	struct user_regs_struct *r = &t->regs.gp;
	uint64_t *words = (uint64_t *)r;

	for (size_t i = 0; i < sizeof(*r) / 8; i++)
		words[i] = 0x1111111111111111ULL * (i % 15 + 1) + i;
	r->rsp = sp;
	r->cs = 0x33;
	r->ss = 0x2b;
	r->eflags = 0x202 | 0x1 | 0x40 | 0x400; /* IF, CF, ZF, DF */
	r->fs_base = 0x7f0000001000;
	for (size_t i = 0; i < sizeof(t->regs.fp); i++)
		((uint8_t *)&t->regs.fp)[i] = (uint8_t)(i * 7 + 3);
	t->regs.fp.mxcsr = 0x1f80 | 0x3; /* some exception flags set */
	memset(t->regs.fp.padding, 0, sizeof(t->regs.fp.padding));
	t->regs.fp_valid = true;
}

static const struct guest_sigaction siginfo_act = { .handler = HANDLER,
						    .flags = SA_SIGINFO | GUEST_SA_RESTORER,
						    .restorer = RESTORER };

/* ---- The frame, seen by the guest through glibc's types ---- */

START_TEST(frame_matches_glibc_layout)
{
	struct task *t = make_task(NULL, 0);
	struct user_regs_struct saved;
	struct user_fpregs_struct saved_fp;
	struct guest_siginfo info = queue_info(SIGUSR1, 4321);
	uint64_t sp = GUEST_BASE + GUEST_SIZE - 1000;
	ucontext_t *uc;
	siginfo_t *si;
	uint64_t mask = GSIG_BIT(SIGUSR2) | GSIG_BIT(SIGHUP);
	struct user_regs_struct *r = &t->regs.gp;

	scramble_regs(t, sp);
	saved = *r;
	saved_fp = t->regs.fp;
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, mask), 0);

	/* Handler entry: as after a call, below the red zone, arguments in place. */
	ck_assert_uint_eq(r->rsp % 16, 8);
	ck_assert_uint_le(r->rsp + 440, sp - 128);
	ck_assert_uint_eq(*(uint64_t *)guest_ptr(r->rsp), RESTORER);
	ck_assert_uint_eq(r->rip, HANDLER);
	ck_assert_uint_eq(r->rdi, SIGUSR1);
	ck_assert_uint_eq(r->rax, 0);
	ck_assert_uint_eq(r->rdx, r->rsp + 8);
	ck_assert_uint_eq(r->rsi, r->rdx + 304);
	ck_assert_uint_eq(r->eflags & 0x400, 0); /* DF cleared */
	ck_assert_uint_eq(r->fs_base, saved.fs_base);

	uc = guest_ptr(r->rdx);
	ck_assert_uint_eq(uc->uc_flags, 0x6); /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
	ck_assert_ptr_null(uc->uc_link);
	ck_assert_int_eq(uc->uc_stack.ss_flags, SS_DISABLE);
	greg_t *g = uc->uc_mcontext.gregs;
	ck_assert_uint_eq(g[REG_R8], saved.r8);
	ck_assert_uint_eq(g[REG_R9], saved.r9);
	ck_assert_uint_eq(g[REG_R10], saved.r10);
	ck_assert_uint_eq(g[REG_R11], saved.r11);
	ck_assert_uint_eq(g[REG_R12], saved.r12);
	ck_assert_uint_eq(g[REG_R13], saved.r13);
	ck_assert_uint_eq(g[REG_R14], saved.r14);
	ck_assert_uint_eq(g[REG_R15], saved.r15);
	ck_assert_uint_eq(g[REG_RDI], saved.rdi);
	ck_assert_uint_eq(g[REG_RSI], saved.rsi);
	ck_assert_uint_eq(g[REG_RBP], saved.rbp);
	ck_assert_uint_eq(g[REG_RBX], saved.rbx);
	ck_assert_uint_eq(g[REG_RDX], saved.rdx);
	ck_assert_uint_eq(g[REG_RAX], saved.rax);
	ck_assert_uint_eq(g[REG_RCX], saved.rcx);
	ck_assert_uint_eq(g[REG_RSP], sp);
	ck_assert_uint_eq(g[REG_RIP], saved.rip);
	ck_assert_uint_eq(g[REG_EFL], saved.eflags);
	ck_assert_uint_eq(g[REG_CSGSFS] & 0xffff, 0x33);
	ck_assert_uint_eq((uint64_t)g[REG_CSGSFS] >> 48, 0x2b); /* ss, UC_SIGCONTEXT_SS */
	ck_assert_uint_eq(g[REG_OLDMASK], mask);
	ck_assert_uint_eq(g[REG_TRAPNO], 0);
	ck_assert_uint_eq(*(uint64_t *)&uc->uc_sigmask, mask);

	/* The FXSAVE area: 64-byte aligned, between the frame and the red zone, sans XSAVE magic.
	 */
	uint64_t fp = (uint64_t)uc->uc_mcontext.fpregs;
	ck_assert_uint_eq(fp % 64, 0);
	ck_assert_uint_ge(fp, r->rsp + 440);
	ck_assert_uint_le(fp + 512, sp - 128);
	ck_assert_mem_eq(guest_ptr(fp), &saved_fp, 464);
	ck_assert_uint_eq(((struct _libc_fpstate *)guest_ptr(fp))->mxcsr, saved_fp.mxcsr);
	ck_assert_uint_eq(*(uint32_t *)guest_ptr(fp + 464), 0);

	si = guest_ptr(r->rsi);
	ck_assert_int_eq(si->si_signo, SIGUSR1);
	ck_assert_int_eq(si->si_code, SI_QUEUE);
	ck_assert_int_eq(si->si_pid, 77);
	ck_assert_int_eq(si->si_value.sival_int, 4321);

	/* The handler starts with a clean FP state. */
	ck_assert_uint_eq(t->regs.fp.cwd, 0x37f);
	ck_assert_uint_eq(t->regs.fp.mxcsr, 0x1f80);
	ck_assert(t->regs.fp_dirty);
}
END_TEST

START_TEST(siginfo_offsets_match_glibc)
{
	ck_assert_uint_eq(sizeof(struct guest_siginfo), sizeof(siginfo_t));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, signo), offsetof(siginfo_t, si_signo));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, errno_), offsetof(siginfo_t, si_errno));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, code), offsetof(siginfo_t, si_code));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, kill.pid), offsetof(siginfo_t, si_pid));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, kill.uid), offsetof(siginfo_t, si_uid));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, kill.status),
			  offsetof(siginfo_t, si_status));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, kill.utime),
			  offsetof(siginfo_t, si_utime));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, kill.stime),
			  offsetof(siginfo_t, si_stime));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, rt.value), offsetof(siginfo_t, si_value));
	ck_assert_uint_eq(offsetof(struct guest_siginfo, fault.addr), offsetof(siginfo_t, si_addr));
	ck_assert_uint_eq(sizeof(struct guest_stack), sizeof(stack_t));
	ck_assert_uint_eq(offsetof(struct guest_stack, flags), offsetof(stack_t, ss_flags));
	ck_assert_uint_eq(offsetof(struct guest_stack, size), offsetof(stack_t, ss_size));
}
END_TEST

START_TEST(frame_alignment_for_any_sp)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGUSR1, 0);

	for (uint64_t k = 0; k < 80; k++) {
		uint64_t sp = GUEST_BASE + GUEST_SIZE - 2048 - k;

		scramble_regs(t, sp);
		ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, 0), 0);
		ucontext_t *uc = guest_ptr(t->regs.gp.rdx);
		uint64_t fp = (uint64_t)uc->uc_mcontext.fpregs;

		ck_assert_uint_eq(t->regs.gp.rsp % 16, 8);
		ck_assert_uint_eq(fp % 64, 0);
		ck_assert_uint_ge(fp, t->regs.gp.rsp + 440);
		ck_assert_uint_le(fp + 512, sp - 128);
		ck_assert_uint_lt(sp - 128 - (fp + 512), 64);
	}
}
END_TEST

START_TEST(frame_round_trip)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGUSR1, 0);
	struct user_regs_struct saved, *r = &t->regs.gp;
	struct user_fpregs_struct saved_fp;
	uint64_t mask = 0xdeadbeefULL, got = 0;

	scramble_regs(t, GUEST_BASE + GUEST_SIZE - 3000);
	saved = *r;
	saved_fp = t->regs.fp;
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, mask), 0);
	uint64_t saved_frame_sp = r->rsp;

	/* The handler runs, clobbers every register it can, and returns to the restorer. */
	for (unsigned long long *w = &r->r15; w <= &r->orig_rax; w++)
		*w = 0xabababababababab;
	r->rip = RESTORER;
	r->rsp = saved_frame_sp + 8; /* ret popped pretcode */
	r->eflags = 0x202 | 0x80;
	memset(&t->regs.fp, 0x5a, sizeof(t->regs.fp));
	t->regs.fp.mxcsr = 0x1f80;
	t->regs.fp_dirty = false;

	ck_assert_int_eq(arch_signal_restore_frame(t, &got), 0);
	ck_assert_uint_eq(got, mask);
	ck_assert_uint_eq(r->orig_rax, (uint64_t)-1);
	saved.orig_rax = (uint64_t)-1;
	ck_assert_mem_eq(r, &saved, sizeof(saved));
	ck_assert_mem_eq(&t->regs.fp, &saved_fp, sizeof(saved_fp));
	ck_assert(t->regs.fp_dirty);
}
END_TEST

START_TEST(sigreturn_takes_handler_edits_within_bounds)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGUSR1, 0);
	struct user_regs_struct *r = &t->regs.gp;
	uint64_t got;
	ucontext_t *uc;

	scramble_regs(t, GUEST_BASE + GUEST_SIZE - 3000);
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, 0), 0);
	uc = guest_ptr(r->rdx);
	uc->uc_mcontext.gregs[REG_RIP] = 0x123456;
	uc->uc_mcontext.gregs[REG_RAX] = -ERESTARTSYS;
	/* IF cleared and IOPL 3 asked: not the guest's to change. CS 0x23 (32-bit): ignored. */
	uc->uc_mcontext.gregs[REG_EFL] = 0x3000 | 0x1;
	uc->uc_mcontext.gregs[REG_CSGSFS] = 0x23;
	*(uint64_t *)&uc->uc_sigmask = GSIG_BIT(SIGINT);
	r->rsp += 8;
	ck_assert_int_eq(arch_signal_restore_frame(t, &got), 0);
	ck_assert_uint_eq(r->rip, 0x123456);
	ck_assert_uint_eq(r->rax, (uint64_t)-ERESTARTSYS);
	ck_assert_uint_eq(r->eflags, 0x202 | 0x1);
	ck_assert_uint_eq(r->cs, 0x33);
	ck_assert_uint_eq(got, GSIG_BIT(SIGINT));

	/* An MXCSR that FXRSTOR would fault on makes the frame bad, as on Linux. */
	scramble_regs(t, GUEST_BASE + GUEST_SIZE - 3000);
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, 0), 0);
	uc = guest_ptr(r->rdx);
	((struct _libc_fpstate *)guest_ptr((uint64_t)uc->uc_mcontext.fpregs))->mxcsr = 0x10000;
	r->rsp += 8;
	ck_assert_int_eq(arch_signal_restore_frame(t, &got), -EFAULT);

	/* No FP area: a clean FP state. */
	scramble_regs(t, GUEST_BASE + GUEST_SIZE - 3000);
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, 0), 0);
	uc = guest_ptr(r->rdx);
	uc->uc_mcontext.fpregs = NULL;
	r->rsp += 8;
	ck_assert_int_eq(arch_signal_restore_frame(t, &got), 0);
	ck_assert_uint_eq(t->regs.fp.cwd, 0x37f);

	/* A frame outside guest memory. */
	r->rsp = 0x1000;
	ck_assert_int_eq(arch_signal_restore_frame(t, &got), -EFAULT);
}
END_TEST

START_TEST(frame_needs_restorer_and_memory)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGUSR1, 0);
	struct guest_sigaction act = siginfo_act;

	act.flags &= ~GUEST_SA_RESTORER;
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &act, 0), -EFAULT);
	t->regs.gp.rsp = 0x5000; /* unmapped */
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGUSR1, &info, &siginfo_act, 0), -EFAULT);
}
END_TEST

START_TEST(frame_on_altstack)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGSEGV, 0);
	struct guest_sigaction act = siginfo_act;
	uint64_t base = GUEST_BASE + 0x1000, size = 8192;
	struct guest_stack ss = { .sp = base, .flags = 0, .size = size }, old;
	uint64_t main_sp = GUEST_BASE + GUEST_SIZE - 3000, first;
	ucontext_t *uc;

	act.flags |= SA_ONSTACK;
	ck_assert_int_eq(task_sigaltstack(t, &ss, NULL, main_sp), 0);
	scramble_regs(t, main_sp);
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGSEGV, &info, &act, 0), 0);
	first = t->regs.gp.rsp;
	ck_assert_uint_gt(first, base);
	ck_assert_uint_lt(first, base + size);
	uc = guest_ptr(t->regs.gp.rdx);
	ck_assert_uint_eq((uint64_t)uc->uc_stack.ss_sp, base);
	ck_assert_uint_eq(uc->uc_stack.ss_size, size);

	/* Running on it: sigaltstack cannot change it, and reports SS_ONSTACK. */
	ck_assert_int_eq(task_sigaltstack(t, &ss, &old, first), -EPERM);
	ck_assert_int_eq(old.flags, SS_ONSTACK);

	/* A nested signal stays on it, below; one that does not fit is refused. */
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGSEGV, &info, &act, 0), 0);
	ck_assert_uint_lt(t->regs.gp.rsp, first - 440);
	ck_assert_uint_gt(t->regs.gp.rsp, base);
	t->regs.gp.rsp = base + 600;
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGSEGV, &info, &act, 0), -EFAULT);

	/* Without SA_ONSTACK the current stack is used. */
	scramble_regs(t, main_sp);
	ck_assert_int_eq(arch_signal_setup_frame(t, SIGSEGV, &info, &siginfo_act, 0), 0);
	ck_assert_uint_gt(t->regs.gp.rsp, base + size);
}
END_TEST

START_TEST(sigaltstack_rules)
{
	struct task *t = make_task(NULL, 0);
	struct guest_stack ss = { .sp = GUEST_BASE, .size = 1024 }, old;
	uint64_t sp = GUEST_BASE + GUEST_SIZE - 100;

	ck_assert_int_eq(task_sigaltstack(t, NULL, &old, sp), 0);
	ck_assert_int_eq(old.flags, SS_DISABLE);
	ck_assert_int_eq(task_sigaltstack(t, &ss, NULL, sp), -ENOMEM);
	ss.size = 2048;
	ss.flags = 7;
	ck_assert_int_eq(task_sigaltstack(t, &ss, NULL, sp), -EINVAL);
	ss.flags = (int)GUEST_SS_AUTODISARM;
	ck_assert_int_eq(task_sigaltstack(t, &ss, NULL, sp), 0);
	/* With SS_AUTODISARM, being on it is not "on" it. */
	ck_assert_int_eq(task_sigaltstack(t, NULL, &old, GUEST_BASE + 100), 0);
	ck_assert_int_eq(old.flags, (int)GUEST_SS_AUTODISARM);
	ck_assert_uint_eq(old.size, 2048);
	ss.flags = SS_DISABLE;
	ss.size = 0;
	ck_assert_int_eq(task_sigaltstack(t, &ss, NULL, GUEST_BASE + 100), 0);
	ck_assert_uint_eq(t->sig.altstack_size, 0);
}
END_TEST

/* ---- Queueing ---- */

START_TEST(standard_signals_coalesce)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGUSR1, 1), got;

	set_handler(t, SIGUSR1, HANDLER, 0);
	task_set_blocked(t, GSIG_BIT(SIGUSR1));
	for (int i = 1; i <= 3; i++) {
		info.rt.value = i;
		ck_assert_int_eq(task_send_signal(t, SIGUSR1, &info), 0);
	}
	ck_assert(pending(t, SIGUSR1));
	ck_assert_int_eq(t->sig.queued, 1);
	ck_assert(!task_signal_pending(t)); /* blocked */
	ck_assert_int_eq(task_dequeue_signal(t, GSIG_BIT(SIGUSR1), &got), SIGUSR1);
	ck_assert_int_eq((int)got.rt.value, 1); /* the first sender's siginfo */
	ck_assert_int_eq(task_dequeue_signal(t, GSIG_BIT(SIGUSR1), &got), 0);
	ck_assert(!pending(t, SIGUSR1));
}
END_TEST

START_TEST(rt_signals_queue_in_order)
{
	struct task *t = make_task(NULL, 0);
	int sig = GUEST_SIGRTMIN + 3;
	struct guest_siginfo info, got;

	set_handler(t, sig, HANDLER, 0);
	task_set_blocked(t, GSIG_BIT(sig));
	for (int i = 0; i < 3; i++) {
		info = queue_info(sig, i);
		ck_assert_int_eq(task_send_signal(t, sig, &info), 0);
	}
	ck_assert_int_eq(t->sig.queued, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(task_dequeue_signal(t, ~0ULL, &got), sig);
		ck_assert_int_eq((int)got.rt.value, i);
		ck_assert_int_eq(pending(t, sig), i < 2);
	}
	/* Lowest first, and faults before anything else. */
	task_set_blocked(t, ~0ULL);
	task_send_signal(t, SIGTERM, NULL);
	task_send_signal(t, SIGHUP, NULL);
	task_send_signal(t, SIGSEGV, NULL);
	ck_assert_int_eq(task_dequeue_signal(t, ~0ULL, &got), SIGSEGV);
	ck_assert_int_eq(task_dequeue_signal(t, ~0ULL, &got), SIGHUP);
	ck_assert_int_eq(task_dequeue_signal(t, ~0ULL, &got), SIGTERM);
}
END_TEST

START_TEST(rt_queue_limit_is_eagain)
{
	struct task *t = make_task(NULL, 0);
	int sig = GUEST_SIGRTMIN;
	struct guest_siginfo info = queue_info(sig, 0);
	int i, err = 0;

	task_set_blocked(t, GSIG_BIT(sig));
	set_handler(t, sig, HANDLER, 0);
	for (i = 0; i < 100000 && !err; i++)
		err = task_send_signal(t, sig, &info);
	ck_assert_int_eq(err, -EAGAIN);
	/* kill() (SI_USER) is never refused: it sets the bit. */
	info.code = SI_USER;
	ck_assert_int_eq(task_send_signal(t, sig, &info), 0);
}
END_TEST

START_TEST(ignored_signals_dropped_at_send)
{
	struct task *t = make_task(NULL, 0);
	struct guest_sigaction ign = { .handler = 1 };

	ck_assert_int_eq(task_sigaction(t, SIGUSR1, &ign, NULL), 0);
	task_send_signal(t, SIGUSR1, NULL);
	ck_assert(!pending(t, SIGUSR1));
	task_send_signal(t, SIGCHLD, NULL);
	task_send_signal(t, SIGURG, NULL);
	task_send_signal(t, SIGWINCH, NULL);
	task_send_signal(t, SIGCONT, NULL);
	ck_assert_uint_eq(task_pending_signals(t), 0);

	/* Blocked, an ignored signal stays: the action may change before it is unblocked. */
	task_set_blocked(t, GSIG_BIT(SIGUSR1) | GSIG_BIT(SIGCHLD));
	task_send_signal(t, SIGUSR1, NULL);
	task_send_signal(t, SIGCHLD, NULL);
	ck_assert(pending(t, SIGUSR1));
	ck_assert(pending(t, SIGCHLD));
	/* Setting SIG_IGN (or a default that ignores) discards what is pending. */
	ck_assert_int_eq(task_sigaction(t, SIGUSR1, &ign, NULL), 0);
	ck_assert(!pending(t, SIGUSR1));
	ign.handler = 0;
	ck_assert_int_eq(task_sigaction(t, SIGCHLD, &ign, NULL), 0);
	ck_assert(!pending(t, SIGCHLD));
}
END_TEST

START_TEST(sigcont_and_stop_signals_cancel)
{
	struct task *t = make_task(NULL, 0);

	task_set_blocked(t, GSIG_BIT(SIGTSTP) | GSIG_BIT(SIGCONT));
	set_handler(t, SIGCONT, HANDLER, 0);
	task_send_signal(t, SIGTSTP, NULL);
	task_send_signal(t, SIGSTOP, NULL);
	ck_assert(pending(t, SIGTSTP) && pending(t, SIGSTOP));
	task_send_signal(t, SIGCONT, NULL);
	ck_assert(!pending(t, SIGTSTP) && !pending(t, SIGSTOP));
	ck_assert(pending(t, SIGCONT));
	task_send_signal(t, SIGTTIN, NULL);
	ck_assert(!pending(t, SIGCONT));
	ck_assert(pending(t, SIGTTIN));
}
END_TEST

START_TEST(sigkill_and_fatal_signals_kill_at_once)
{
	struct task *t = make_task(NULL, 0), *u = make_task(NULL, 0);
	struct guest_sigaction act;

	task_set_blocked(t, ~0ULL);
	ck_assert_uint_eq(t->sig.blocked, ~(GSIG_BIT(SIGKILL) | GSIG_BIT(SIGSTOP)));
	ck_assert_int_eq(task_sigaction(t, SIGKILL, &act, NULL), -EINVAL);
	ck_assert_int_eq(task_sigaction(t, SIGSTOP, &act, NULL), -EINVAL);
	ck_assert_int_eq(task_sigaction(t, SIGKILL, NULL, &act), 0);
	ck_assert(!task_signal_pending(t));
	task_send_signal(t, SIGKILL, NULL);
	ck_assert_int_eq(t->sig.kill_status, SIGKILL | KILL_STATUS_DYING);
	ck_assert(task_signal_pending(t));
	task_send_signal(t, SIGUSR1, NULL);
	ck_assert(!pending(t, SIGUSR1)); /* a dying group takes no more */

	/* SIGTERM at its default, not blocked: the group dies with SIGTERM's status. */
	task_send_signal(u, SIGTERM, NULL);
	ck_assert_int_eq(u->sig.kill_status, SIGTERM | KILL_STATUS_DYING);
	if (setjmp(exit_jmp) == 0) {
		task_handle_signals(u, NULL, false);
		ck_abort_msg("task_handle_signals returned for a dying task");
	}
	ck_assert_int_eq(exit_status, SIGTERM);
}
END_TEST

START_TEST(default_core_status_follows_rlimit)
{
	struct task *t = make_task(NULL, 0);

	t->process.rlimits[RLIMIT_CORE].rlim_cur = 0;
	task_set_blocked(t, GSIG_BIT(SIGQUIT));
	task_send_signal(t, SIGQUIT, NULL);
	task_set_blocked(t, 0);
	if (setjmp(exit_jmp) == 0)
		task_handle_signals(t, NULL, false);
	ck_assert_int_eq(exit_status, SIGQUIT);

	t = make_task(NULL, 0);
	t->process.rlimits[RLIMIT_CORE].rlim_cur = RLIM_INFINITY;
	task_send_signal(t, SIGABRT, NULL);
	ck_assert_int_eq(t->sig.kill_status, 0); /* core signals take the slow path */
	if (setjmp(exit_jmp) == 0)
		task_handle_signals(t, NULL, false);
	ck_assert_int_eq(exit_status, SIGABRT | 0x80);
	ck_assert(WIFSIGNALED(exit_status) && WCOREDUMP(exit_status));
}
END_TEST

START_TEST(force_signal_unblocks_and_resets)
{
	struct task *t = make_task(NULL, 0);
	struct guest_sigaction ign = { .handler = 1 }, now;
	struct guest_siginfo info = { .code = SEGV_MAPERR };

	info.fault.addr = 0xdead;
	task_sigaction(t, SIGSEGV, &ign, NULL);
	task_set_blocked(t, GSIG_BIT(SIGSEGV));
	ck_assert_int_eq(task_force_signal(t, SIGSEGV, &info), 0);
	task_sigaction(t, SIGSEGV, NULL, &now);
	ck_assert_uint_eq(now.handler, 0);
	ck_assert_uint_eq(t->sig.blocked, 0);
	ck_assert(task_signal_pending(t));
	if (setjmp(exit_jmp) == 0)
		task_handle_signals(t, NULL, false);
	ck_assert_int_eq(exit_status & 0x7f, SIGSEGV);
}
END_TEST

START_TEST(sigaction_cleans_flags_and_mask)
{
	struct task *t = make_task(NULL, 0);
	struct guest_sigaction act = { .handler = HANDLER,
				       .flags = SA_SIGINFO | GUEST_SA_RESTORER | 0x400,
				       .mask = ~0ULL },
			       old;

	ck_assert_int_eq(task_sigaction(t, 0, &act, NULL), -EINVAL);
	ck_assert_int_eq(task_sigaction(t, 65, NULL, &old), -EINVAL);
	ck_assert_int_eq(task_sigaction(t, SIGUSR2, &act, NULL), 0);
	ck_assert_int_eq(task_sigaction(t, SIGUSR2, NULL, &old), 0);
	ck_assert_uint_eq(old.flags, SA_SIGINFO | GUEST_SA_RESTORER); /* SA_UNSUPPORTED cleared */
	ck_assert_uint_eq(old.mask, ~(GSIG_BIT(SIGKILL) | GSIG_BIT(SIGSTOP)));
	ck_assert_uint_eq(old.handler, HANDLER);
}
END_TEST

/* ---- Delivery and restarts ---- */

static long run_syscall_with_signal(struct task *t, long ret, uint64_t sa_flags)
{
	t->syscall_nr = 0; /* read */
	t->regs.gp.rip = 0x401100;
	arch_set_return(&t->regs, (uint64_t)ret);
	set_handler(t, SIGUSR1, HANDLER, sa_flags);
	task_send_signal(t, SIGUSR1, NULL);
	task_handle_signals(t, &ret, true);
	return ret;
}

START_TEST(restart_rules_with_handler)
{
	struct task *t = make_task(NULL, 0);
	ucontext_t *uc;

	/* ERESTARTSYS without SA_RESTART: EINTR, saved in the frame as the call's result. */
	ck_assert_int_eq(run_syscall_with_signal(t, -ERESTARTSYS, 0), -EINTR);
	ck_assert_uint_eq(t->regs.gp.rip, HANDLER);
	uc = guest_ptr(t->regs.gp.rdx);
	ck_assert_int_eq(uc->uc_mcontext.gregs[REG_RAX], -EINTR);
	ck_assert_uint_eq(uc->uc_mcontext.gregs[REG_RIP], 0x401100);
	ck_assert(t->sig.blocked & GSIG_BIT(SIGUSR1));

	/* With SA_RESTART: the frame returns to the syscall instruction with rax = nr. */
	t = make_task(NULL, 0);
	run_syscall_with_signal(t, -ERESTARTSYS, SA_RESTART);
	uc = guest_ptr(t->regs.gp.rdx);
	ck_assert_uint_eq(uc->uc_mcontext.gregs[REG_RIP], 0x401100 - 2);
	ck_assert_int_eq(uc->uc_mcontext.gregs[REG_RAX], 0);

	t = make_task(NULL, 0);
	run_syscall_with_signal(t, -ERESTARTNOINTR, 0);
	uc = guest_ptr(t->regs.gp.rdx);
	ck_assert_uint_eq(uc->uc_mcontext.gregs[REG_RIP], 0x401100 - 2);

	t = make_task(NULL, 0);
	ck_assert_int_eq(run_syscall_with_signal(t, -ERESTARTNOHAND, SA_RESTART), -EINTR);
	t = make_task(NULL, 0);
	ck_assert_int_eq(run_syscall_with_signal(t, -ERESTART_RESTARTBLOCK, SA_RESTART), -EINTR);

	/* SA_NODEFER leaves the signal unblocked in its handler; SA_RESETHAND resets it. */
	t = make_task(NULL, 0);
	run_syscall_with_signal(t, 0, SA_NODEFER | SA_RESETHAND);
	ck_assert(!(t->sig.blocked & GSIG_BIT(SIGUSR1)));
	ck_assert_uint_eq(t->sighand->actions[SIGUSR1 - 1].handler, 0);
}
END_TEST

START_TEST(restart_without_handler)
{
	struct task *t = make_task(NULL, 0);
	long ret = -ERESTARTSYS;

	t->syscall_nr = 7;
	t->regs.gp.rip = 0x401100;
	arch_set_return(&t->regs, (uint64_t)ret);
	task_handle_signals(t, &ret, true);
	ck_assert_uint_eq(t->regs.gp.rip, 0x401100 - 2);
	ck_assert_uint_eq(t->regs.gp.rax, 7);

	/* After rt_sigreturn (NO_SYSCALL) a restart-looking rax is just a value. */
	ret = -ERESTARTSYS;
	t->syscall_nr = NO_SYSCALL;
	t->regs.gp.rip = 0x401100;
	arch_set_return(&t->regs, (uint64_t)ret);
	task_handle_signals(t, &ret, true);
	ck_assert_uint_eq(t->regs.gp.rip, 0x401100);
	ck_assert_int_eq(ret, -ERESTARTSYS);
}
END_TEST

START_TEST(sigsuspend_mask_saved_in_frame)
{
	struct task *t = make_task(NULL, 0);
	long ret = -ERESTARTNOHAND;
	ucontext_t *uc;

	set_handler(t, SIGUSR1, HANDLER, 0);
	task_set_blocked(t, GSIG_BIT(SIGUSR1) | GSIG_BIT(SIGHUP));
	task_send_signal(t, SIGUSR1, NULL);
	/* What rt_sigsuspend does before it sleeps; the signal is already there. */
	task_set_temporary_sigmask(t, GSIG_BIT(SIGHUP));
	ck_assert(task_signal_pending(t));
	t->syscall_nr = 130;
	arch_set_return(&t->regs, (uint64_t)ret);
	task_handle_signals(t, &ret, true);
	ck_assert_int_eq(ret, -EINTR);
	uc = guest_ptr(t->regs.gp.rdx);
	/* The frame restores the mask from before the call; the handler runs with the temporary
	 * one. */
	ck_assert_uint_eq(*(uint64_t *)&uc->uc_sigmask, GSIG_BIT(SIGUSR1) | GSIG_BIT(SIGHUP));
	ck_assert_uint_eq(t->sig.blocked, GSIG_BIT(SIGUSR1) | GSIG_BIT(SIGHUP));
	ck_assert(!t->sig.restore_mask);

	/* Without a handler the old mask comes back at once. */
	t = make_task(NULL, 0);
	task_set_blocked(t, GSIG_BIT(SIGINT));
	task_set_temporary_sigmask(t, 0);
	task_handle_signals(t, NULL, false);
	ck_assert_uint_eq(t->sig.blocked, GSIG_BIT(SIGINT));
}
END_TEST

START_TEST(bad_frame_forces_sigsegv)
{
	struct task *t = make_task(NULL, 0);

	set_handler(t, SIGUSR1, HANDLER, 0);
	t->regs.gp.rsp = 0x5000; /* nowhere */
	task_send_signal(t, SIGUSR1, NULL);
	if (setjmp(exit_jmp) == 0) {
		task_handle_signals(t, NULL, false);
		ck_abort_msg("survived a frame that cannot be written");
	}
	ck_assert_int_eq(exit_status & 0x7f, SIGSEGV);
}
END_TEST

START_TEST(sigtimedwait_takes_waited_signal)
{
	struct task *t = make_task(NULL, 0);
	struct guest_siginfo info = queue_info(SIGUSR2, 9), got;
	struct timespec zero = { 0, 0 };
	struct guest_sigaction ign = { .handler = 1 };

	ck_assert_int_eq(task_sigtimedwait(t, GSIG_BIT(SIGUSR2), &zero, &got), -EAGAIN);
	task_set_blocked(t, GSIG_BIT(SIGUSR2));
	task_send_signal(t, SIGUSR2, &info);
	ck_assert_int_eq(task_sigtimedwait(t, GSIG_BIT(SIGUSR2), &zero, &got), SIGUSR2);
	ck_assert_int_eq((int)got.rt.value, 9);
	ck_assert_uint_eq(t->sig.blocked, GSIG_BIT(SIGUSR2));

	/* Waiting for an ignored but blocked signal: it is kept for the waiter. */
	task_sigaction(t, SIGUSR1, &ign, NULL);
	task_set_blocked(t, GSIG_BIT(SIGUSR1));
	t->sig.real_blocked = GSIG_BIT(SIGUSR1);
	t->sig.blocked = 0; /* as while rt_sigtimedwait sleeps */
	task_send_signal(t, SIGUSR1, NULL);
	ck_assert(pending(t, SIGUSR1));
}
END_TEST

/* ---- Job control ---- */

static void *handle_in_thread(void *arg)
{
	struct task *t = arg;

	current_task = t;
	in_helper_thread = true;
	task_handle_signals(t, NULL, false);
	return NULL;
}

static bool wait_until(bool (*cond)(struct task *), struct task *t)
{
	for (int i = 0; i < 5000; i++) {
		if (cond(t))
			return true;
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	return false;
}

static bool is_stopped(struct task *t)
{
	return __atomic_load_n(&t->sig.jobctl, __ATOMIC_ACQUIRE) & JOBCTL_STOPPED;
}

START_TEST(stop_and_continue_reported_to_parent)
{
	struct task *parent = make_task(NULL, 0), *c = make_task(parent, 0);
	struct wait_result res;
	pthread_t th;
	struct guest_siginfo got;

	set_handler(parent, SIGCHLD, HANDLER, 0);
	task_set_blocked(parent, GSIG_BIT(SIGCHLD));
	c->process.pgid = 1000; /* its own group, in the parent's session: not orphaned */
	task_send_signal(c, SIGSTOP, NULL);
	ck_assert_int_eq(pthread_create(&th, NULL, handle_in_thread, c), 0);
	ck_assert(wait_until(is_stopped, c));

	pthread_mutex_lock(&kernel_lock);
	ck_assert_int_eq(task_wait_stopped_locked(c, WCONTINUED, &res, true), 0);
	ck_assert_int_eq(task_wait_stopped_locked(c, WUNTRACED, &res, false), 1);
	ck_assert(WIFSTOPPED(res.status) && WSTOPSIG(res.status) == SIGSTOP);
	ck_assert_int_eq(res.code, CLD_STOPPED);
	ck_assert_int_eq(task_wait_stopped_locked(c, WUNTRACED, &res, true), 1);
	ck_assert_int_eq(task_wait_stopped_locked(c, WUNTRACED, &res, true), 0);
	pthread_mutex_unlock(&kernel_lock);
	ck_assert_int_eq(task_dequeue_signal(parent, ~0ULL, &got), SIGCHLD);
	ck_assert_int_eq(got.code, CLD_STOPPED);
	ck_assert_int_eq(got.kill.status, SIGSTOP);
	ck_assert_int_eq(got.kill.pid, c->tgid);

	/* A signal with a handler does not wake a stopped task; SIGCONT does. */
	set_handler(c, SIGUSR1, HANDLER, 0);
	task_send_signal(c, SIGUSR1, NULL);
	ck_assert(!task_signal_pending(c));
	ck_assert(is_stopped(c));
	task_send_signal(c, SIGCONT, NULL);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(c->regs.gp.rip, HANDLER); /* then SIGUSR1 was delivered */

	pthread_mutex_lock(&kernel_lock);
	ck_assert_int_eq(task_wait_stopped_locked(c, WCONTINUED, &res, true), 1);
	ck_assert(WIFCONTINUED(res.status));
	ck_assert_int_eq(res.code, CLD_CONTINUED);
	pthread_mutex_unlock(&kernel_lock);
	ck_assert_int_eq(task_dequeue_signal(parent, ~0ULL, &got), SIGCHLD);
	ck_assert_int_eq(got.code, CLD_CONTINUED);
}
END_TEST

START_TEST(fatal_signal_waits_for_sigcont)
{
	struct task *parent = make_task(NULL, 0), *c = make_task(parent, 0);
	pthread_t th;

	c->process.pgid = 1000; /* its own group, in the parent's session: not orphaned */
	task_send_signal(c, SIGTSTP, NULL);
	ck_assert_int_eq(pthread_create(&th, NULL, handle_in_thread, c), 0);
	ck_assert(wait_until(is_stopped, c));
	task_send_signal(c, SIGTERM, NULL);
	ck_assert(is_stopped(c));
	task_send_signal(c, SIGCONT, NULL);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(__atomic_load_n(&exit_status, __ATOMIC_ACQUIRE), SIGTERM);
}
END_TEST

START_TEST(only_sigkill_ends_a_stop)
{
	struct task *parent = make_task(NULL, 0), *c = make_task(parent, 0);
	pthread_t th;

	/* SA_NOCLDSTOP: no SIGCHLD for the stop, but wait4 still sees it. */
	set_handler(parent, SIGCHLD, HANDLER, SA_NOCLDSTOP);
	c->process.pgid = 1000;
	task_send_signal(c, SIGSTOP, NULL);
	ck_assert_int_eq(pthread_create(&th, NULL, handle_in_thread, c), 0);
	ck_assert(wait_until(is_stopped, c));
	ck_assert(!pending(parent, SIGCHLD));
	pthread_mutex_lock(&kernel_lock);
	ck_assert_int_eq(task_wait_stopped_locked(c, WUNTRACED, NULL, false), 1);
	pthread_mutex_unlock(&kernel_lock);
	/* SIGTERM waits while the process is stopped (Linux's wants_signal); SIGKILL does
	 * not. */
	task_send_signal(c, SIGTERM, NULL);
	ck_assert_int_eq(c->sig.kill_status, 0);
	ck_assert(pending(c, SIGTERM) && is_stopped(c) && !task_signal_pending(c));
	task_send_signal(c, SIGKILL, NULL);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(__atomic_load_n(&exit_status, __ATOMIC_ACQUIRE), SIGKILL);
}
END_TEST

START_TEST(orphaned_pgrp_ignores_tstp)
{
	struct task *parent = make_task(NULL, 0), *c = make_task(parent, 0);

	/* Group 1000's only member has its parent in another session: nobody can continue
	 * it. */
	c->process.pgid = 1000;
	parent->process.sid = 5000;
	task_send_signal(c, SIGTSTP, NULL);
	task_handle_signals(c, NULL, false);
	ck_assert(!is_stopped(c));
	ck_assert(!pending(c, SIGTSTP));
}
END_TEST

/* ---- kill() ---- */

START_TEST(kill_targets_and_permissions)
{
	struct task *init = make_task(NULL, 0);
	struct task *a = make_task(init, 1000), *b = make_task(init, 1000),
		    *other = make_task(init, 2000);
	struct guest_siginfo info = { .code = SI_USER };

	ck_assert_int_eq(init->tid, 1);
	set_handler(init, SIGUSR1, HANDLER, 0);
	set_handler(a, SIGUSR1, HANDLER, 0);
	set_handler(b, SIGUSR1, HANDLER, 0);
	set_handler(other, SIGUSR1, HANDLER, 0);

	ck_assert_int_eq(task_kill(a, b->tid, 0, &info), 0);
	ck_assert_int_eq(task_kill(a, 30000, 0, &info), -ESRCH);
	ck_assert_int_eq(task_kill(a, 30000, 99, &info), -ESRCH); /* no target, no EINVAL */
	ck_assert_int_eq(task_kill(a, b->tid, 99, &info), -EINVAL);
	ck_assert_int_eq(task_kill(a, other->tid, SIGUSR1, &info), -EPERM);
	ck_assert_int_eq(task_kill(other, a->tid, 0, &info), -EPERM);
	ck_assert_int_eq(task_kill(init, other->tid, SIGUSR1, &info), 0); /* root */
	ck_assert(pending(other, SIGUSR1));
	ck_assert_int_eq(task_kill(a, b->tid, SIGUSR1, &info), 0);
	ck_assert(pending(b, SIGUSR1));

	/* -1: everyone but init and the caller; EPERM targets are not errors. */
	task_dequeue_signal(b, ~0ULL, &info);
	task_dequeue_signal(other, ~0ULL, &info);
	ck_assert_int_eq(task_kill(a, -1, SIGUSR1, &info), 0);
	ck_assert(pending(b, SIGUSR1) && !pending(a, SIGUSR1) && !pending(init, SIGUSR1));
	ck_assert(!pending(other, SIGUSR1));

	/* Process groups: 0 is the caller's, -pgid another. */
	task_dequeue_signal(b, ~0ULL, &info);
	a->process.pgid = b->process.pgid = 4242;
	ck_assert_int_eq(task_kill(a, 0, SIGUSR1, &info), 0);
	ck_assert(pending(a, SIGUSR1) && pending(b, SIGUSR1));
	ck_assert_int_eq(task_kill(a, -4243, SIGUSR1, &info), -ESRCH);
	other->process.pgid = 4243;
	ck_assert_int_eq(task_kill(a, -4243, SIGUSR1, &info), -EPERM);
	ck_assert_int_eq(task_kill(a, INT32_MIN, SIGUSR1, &info), -ESRCH);

	/* tgkill: the thread must be in the group. */
	ck_assert_int_eq(task_tgkill(a, b->tid, b->tid, 0, &info), 0);
	ck_assert_int_eq(task_tgkill(a, a->tid, b->tid, 0, &info), -ESRCH);
	ck_assert_int_eq(task_tgkill(a, 0, b->tid, 65, &info), -EINVAL);
}
END_TEST

/* ---- Interval timers ---- */

static bool alarm_pending(struct task *t)
{
	return pending(t, SIGALRM);
}

START_TEST(itimer_real_sends_sigalrm)
{
	struct task *t = make_task(NULL, 0);
	uint64_t value, interval;
	struct guest_siginfo got;

	set_handler(t, SIGALRM, HANDLER, 0);
	ck_assert_int_eq(itimer_set(t, 3, 1, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(itimer_set(t, ITIMER_REAL, 30000000, 0, &value, &interval), 0);
	ck_assert_uint_eq(value, 0);
	ck_assert_int_eq(itimer_get(t, ITIMER_REAL, &value, &interval), 0);
	ck_assert_uint_gt(value, 0);
	ck_assert_uint_le(value, 30000000);
	ck_assert(wait_until(alarm_pending, t));
	ck_assert_int_eq(task_dequeue_signal(t, ~0ULL, &got), SIGALRM);
	ck_assert_int_eq(got.code, SI_KERNEL);
	ck_assert_int_eq(itimer_get(t, ITIMER_REAL, &value, &interval), 0);
	ck_assert_uint_eq(value, 0); /* one-shot: disarmed */

	/* Periodic: it fires again after being taken; a zero value disarms, keeping the
	 * interval.
	 */
	ck_assert_int_eq(itimer_set(t, ITIMER_REAL, 5000000, 5000000, NULL, NULL), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert(wait_until(alarm_pending, t));
		ck_assert_int_eq(task_dequeue_signal(t, ~0ULL, &got), SIGALRM);
	}
	ck_assert_int_eq(itimer_set(t, ITIMER_REAL, 0, 7000, &value, &interval), 0);
	ck_assert_uint_eq(interval, 5000000);
	ck_assert_int_eq(itimer_get(t, ITIMER_REAL, &value, &interval), 0);
	ck_assert_uint_eq(value, 0);
	ck_assert_uint_eq(interval, 7000);

	/* ITIMER_VIRTUAL is kept and reported back. */
	ck_assert_int_eq(itimer_set(t, ITIMER_VIRTUAL, 1000, 2000, NULL, NULL), 0);
	ck_assert_int_eq(itimer_get(t, ITIMER_VIRTUAL, &value, &interval), 0);
	ck_assert_uint_eq(value, 1000);
	ck_assert_uint_eq(interval, 2000);
}
END_TEST

static Suite *signal_suite(void)
{
	Suite *s = suite_create("signal");
	TCase *frame = tcase_create("frame"), *queue = tcase_create("queue"),
	      *delivery = tcase_create("delivery"), *job = tcase_create("job"),
	      *kill = tcase_create("kill"), *timers = tcase_create("timers");

	tcase_add_test(frame, frame_matches_glibc_layout);
	tcase_add_test(frame, siginfo_offsets_match_glibc);
	tcase_add_test(frame, frame_alignment_for_any_sp);
	tcase_add_test(frame, frame_round_trip);
	tcase_add_test(frame, sigreturn_takes_handler_edits_within_bounds);
	tcase_add_test(frame, frame_needs_restorer_and_memory);
	tcase_add_test(frame, frame_on_altstack);
	tcase_add_test(frame, sigaltstack_rules);
	tcase_add_test(queue, standard_signals_coalesce);
	tcase_add_test(queue, rt_signals_queue_in_order);
	tcase_add_test(queue, rt_queue_limit_is_eagain);
	tcase_add_test(queue, ignored_signals_dropped_at_send);
	tcase_add_test(queue, sigcont_and_stop_signals_cancel);
	tcase_add_test(queue, sigkill_and_fatal_signals_kill_at_once);
	tcase_add_test(queue, sigaction_cleans_flags_and_mask);
	tcase_add_test(delivery, default_core_status_follows_rlimit);
	tcase_add_test(delivery, force_signal_unblocks_and_resets);
	tcase_add_test(delivery, restart_rules_with_handler);
	tcase_add_test(delivery, restart_without_handler);
	tcase_add_test(delivery, sigsuspend_mask_saved_in_frame);
	tcase_add_test(delivery, bad_frame_forces_sigsegv);
	tcase_add_test(delivery, sigtimedwait_takes_waited_signal);
	tcase_add_test(job, stop_and_continue_reported_to_parent);
	tcase_add_test(job, only_sigkill_ends_a_stop);
	tcase_add_test(job, fatal_signal_waits_for_sigcont);
	tcase_add_test(job, orphaned_pgrp_ignores_tstp);
	tcase_add_test(kill, kill_targets_and_permissions);
	tcase_add_test(timers, itimer_real_sends_sigalrm);
	suite_add_tcase(s, frame);
	suite_add_tcase(s, queue);
	suite_add_tcase(s, delivery);
	suite_add_tcase(s, job);
	suite_add_tcase(s, kill);
	suite_add_tcase(s, timers);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(signal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
