/*
 * x86-64 signal frames: Linux's rt_sigframe (arch/x86/kernel/signal_64.c) built on the guest
 * stack for a handler, and taken back by rt_sigreturn.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/util.h"
#include "sentry/arch/arch.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"

const uint64_t arch_minsigstksz = 2048;

/* The kernel's struct sigcontext (64-bit): what glibc calls mcontext_t. */
struct x86_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* guest address of the FXSAVE area */
	uint64_t reserved1[8];
};

struct x86_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct guest_stack uc_stack;
	struct x86_sigcontext uc_mcontext;
	gsigset_t uc_sigmask;
};

/* At the handler's stack pointer: the return address (sa_restorer), then the context. */
struct x86_rt_sigframe {
	uint64_t pretcode;
	struct x86_ucontext uc;
	struct guest_siginfo info;
};

_Static_assert(sizeof(struct x86_sigcontext) == 256, "struct sigcontext");
_Static_assert(sizeof(struct x86_ucontext) == 304, "struct ucontext");
_Static_assert(sizeof(struct guest_siginfo) == 128, "siginfo_t");
_Static_assert(sizeof(struct x86_rt_sigframe) == 440, "struct rt_sigframe");
_Static_assert(sizeof(struct user_fpregs_struct) == 512, "FXSAVE area");

/* uc_flags as Linux sets them without XSAVE state in the frame. */
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

#define REDZONE 128
#define FXSAVE_ALIGN 64
/* FXSAVE bytes 464..511 are software-available: Linux puts its XSAVE magic there. */
#define FXSAVE_SW_RESERVED 464
/* Linux's markers of an XSAVE area in a signal frame: FP_XSTATE_MAGIC1/2 and
 * struct _fpx_sw_bytes come from <bits/sigcontext.h>, the kernel's ABI. */

#define EFLAGS_CF 0x1
#define EFLAGS_PF 0x4
#define EFLAGS_AF 0x10
#define EFLAGS_ZF 0x40
#define EFLAGS_SF 0x80
#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_OF 0x800
#define EFLAGS_RF 0x10000
#define EFLAGS_AC 0x40000
/* The flags rt_sigreturn takes from the frame (Linux's FIX_EFLAGS); IF, IOPL ... stay. */
#define EFLAGS_USER                                                                                \
	(EFLAGS_AC | EFLAGS_OF | EFLAGS_DF | EFLAGS_TF | EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF |       \
	 EFLAGS_PF | EFLAGS_CF | EFLAGS_RF)

/* MXCSR bits FXRSTOR accepts; others fault, and Linux then fails the sigreturn. */
#define MXCSR_MASK 0xffff

/* x86 exception vectors, for sigcontext.trapno. */
#define TRAP_DE 0
#define TRAP_DB 1
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_PF 14
#define TRAP_AC 17
#define TRAP_XF 19
/* Page-fault error code bits. */
#define PF_PROT 0x1
#define PF_USER 0x4


/*
 * trapno, err and cr2 for a fault signal, from its siginfo (Linux keeps the CPU's values; the
 * platform reports only the signal, so whether a page fault was a write is not known).
 */
static void fault_context(int sig, const struct guest_siginfo *info, struct x86_sigcontext *sc)
{
	if (info->code <= 0) /* sent by a process, not raised by an instruction */
		return;
	switch (sig) {
	case SIGSEGV:
		sc->trapno = TRAP_PF;
		sc->err = PF_USER | (info->code == SEGV_ACCERR ? PF_PROT : 0);
		sc->cr2 = info->fault.addr;
		break;
	case SIGBUS:
		sc->trapno = info->code == BUS_ADRALN ? TRAP_AC : TRAP_PF;
		sc->err = PF_USER;
		sc->cr2 = info->fault.addr;
		break;
	case SIGILL:
		sc->trapno = TRAP_UD;
		break;
	case SIGFPE:
		sc->trapno =
			info->code == FPE_INTDIV || info->code == FPE_INTOVF ? TRAP_DE : TRAP_XF;
		break;
	case SIGTRAP:
		sc->trapno = info->code == TRAP_BRKPT ? TRAP_BP : TRAP_DB;
		break;
	}
}

static void save_sigcontext(const struct user_regs_struct *r, struct x86_sigcontext *sc)
{
	sc->r8 = r->r8;
	sc->r9 = r->r9;
	sc->r10 = r->r10;
	sc->r11 = r->r11;
	sc->r12 = r->r12;
	sc->r13 = r->r13;
	sc->r14 = r->r14;
	sc->r15 = r->r15;
	sc->rdi = r->rdi;
	sc->rsi = r->rsi;
	sc->rbp = r->rbp;
	sc->rbx = r->rbx;
	sc->rdx = r->rdx;
	sc->rax = r->rax;
	sc->rcx = r->rcx;
	sc->rsp = r->rsp;
	sc->rip = r->rip;
	sc->eflags = r->eflags;
	sc->cs = r->cs;
	sc->ss = r->ss;
	/* fs and gs selectors read as 0: the thread pointer is fs_base, which a handler keeps. */
}

int arch_signal_setup_frame(struct task *t, int sig, const struct guest_siginfo *info,
			    const struct guest_sigaction *act, uint64_t old_mask)
{
	struct user_regs_struct *r = &t->regs.gp;
	const struct task_signals *s = &t->sig;
	struct x86_rt_sigframe f;
	struct user_fpregs_struct fx;
	uint64_t sp = r->rsp, frame, fpstate;
	uint32_t xsize;
	bool nested = sigaltstack_on(s, sp), entering = false;

	/* x86-64 handlers return through sa_restorer; Linux will not deliver without one. */
	if (!(act->flags & GUEST_SA_RESTORER))
		return -EFAULT;

	/* Linux's get_sigframe: skip the red zone, maybe switch stacks, FP area, then frame. */
	sp -= REDZONE;
	if ((act->flags & SA_ONSTACK) && s->altstack_size && !sigaltstack_on(s, sp)) {
		sp = s->altstack_sp + s->altstack_size;
		entering = true;
	}
	/* The whole XSAVE area when the platform gave one, so AVX state survives the handler. */
	xsize = t->regs.xstate_size > ARCH_FXSAVE_SIZE ? t->regs.xstate_size : 0;
	fpstate = ROUND_DOWN(sp - (xsize ? xsize + FP_XSTATE_MAGIC2_SIZE : sizeof(fx)),
			     (uint64_t)FXSAVE_ALIGN);
	/* rsp at the handler's entry is 8 mod 16, as just after a call. */
	frame = ROUND_DOWN(fpstate - sizeof(f), (uint64_t)16) - 8;
	/* Overflowing the alternate stack must not scribble below it: fail, hence SIGSEGV. */
	if ((nested || entering) && !sigaltstack_contains(s, frame))
		return -EFAULT;

	memset(&f, 0, sizeof(f));
	f.pretcode = act->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.uc_stack.sp = s->altstack_sp;
	f.uc.uc_stack.flags = s->altstack_flags;
	f.uc.uc_stack.size = s->altstack_size;
	save_sigcontext(r, &f.uc.uc_mcontext);
	fault_context(sig, info, &f.uc.uc_mcontext);
	f.uc.uc_mcontext.oldmask = old_mask;
	f.uc.uc_mcontext.fpstate = fpstate;
	f.uc.uc_sigmask = old_mask;
	f.info = *info;

	if (xsize) {
		/* As Linux: the markers in FXSAVE's software bytes and after the area say an
		 * XSAVE area of xsize bytes follows (uc_flags' UC_FP_XSTATE too). */
		struct _fpx_sw_bytes sw = {
			.magic1 = FP_XSTATE_MAGIC1,
			.extended_size = xsize + FP_XSTATE_MAGIC2_SIZE,
			.xstate_bv = arch_xstate_features(),
			.xstate_size = xsize,
		};
		uint32_t magic2 = FP_XSTATE_MAGIC2;

		f.uc.uc_flags |= UC_FP_XSTATE;
		memcpy(t->regs.xstate + FXSAVE_SW_RESERVED, &sw, sizeof(sw));
		if (copy_out(t, fpstate, t->regs.xstate, xsize) < 0 ||
		    copy_out(t, fpstate + xsize, &magic2, sizeof(magic2)) < 0 ||
		    copy_out(t, frame, &f, sizeof(f)) < 0)
			return -EFAULT;
	} else {
		fx = t->regs.fp;
		/* Legacy FXSAVE state only: no markers in the software bytes. */
		memset((char *)&fx + FXSAVE_SW_RESERVED, 0, sizeof(fx) - FXSAVE_SW_RESERVED);
		if (copy_out(t, fpstate, &fx, sizeof(fx)) < 0 ||
		    copy_out(t, frame, &f, sizeof(f)) < 0)
			return -EFAULT;
	}

	r->rdi = sig;
	r->rsi = frame + offsetof(struct x86_rt_sigframe, info);
	r->rdx = frame + offsetof(struct x86_rt_sigframe, uc);
	r->rax = 0; /* for handlers declared without a prototype (varargs) */
	r->rip = act->handler;
	r->rsp = frame;
	/* The ABI's function entry: DF clear; no single-step or resume flag carried in. */
	r->eflags &= ~(uint64_t)(EFLAGS_DF | EFLAGS_RF | EFLAGS_TF);
	arch_fp_init(&t->regs); /* a handler starts clean, as Linux's fpu__clear_user_states */
	return 0;
}

/*
 * The XSAVE area of a frame whose FXSAVE part fx carries Linux's markers and matches this
 * thread's size: read into buf and made safe to load (only components the CPU saves, standard
 * format, reserved header bytes clear), as Linux's restore path checks. Returns its size, or 0
 * for a legacy frame (or one whose markers do not hold).
 */
static uint32_t frame_xstate(struct task *t, uint64_t fpstate, const struct user_fpregs_struct *fx,
			     uint8_t *buf)
{
	uint32_t size = t->regs.xstate_size, magic2;
	struct _fpx_sw_bytes sw;
	uint64_t bv, zero[7] = { 0 };

	memcpy(&sw, (const char *)fx + FXSAVE_SW_RESERVED, sizeof(sw));
	if (size <= ARCH_FXSAVE_SIZE || sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size != size ||
	    sw.extended_size != size + FP_XSTATE_MAGIC2_SIZE)
		return 0;
	if (copy_in(t, &magic2, fpstate + size, sizeof(magic2)) < 0 || magic2 != FP_XSTATE_MAGIC2 ||
	    copy_in(t, buf, fpstate, size) < 0)
		return 0;
	memcpy(&bv, buf + ARCH_XSAVE_HDR, sizeof(bv));
	bv &= arch_xstate_features();
	memcpy(buf + ARCH_XSAVE_HDR, &bv, sizeof(bv));
	memcpy(buf + ARCH_XSAVE_HDR + 8, zero, sizeof(zero)); /* xcomp_bv and reserved */
	return size;
}

int arch_signal_restore_frame(struct task *t, uint64_t *old_mask)
{
	struct user_regs_struct *r = &t->regs.gp;
	/* The handler's ret has popped pretcode. */
	uint64_t frame = r->rsp - 8;
	struct x86_rt_sigframe f;
	const struct x86_sigcontext *sc = &f.uc.uc_mcontext;
	struct user_fpregs_struct fx;
	uint8_t xbuf[ARCH_XSTATE_MAX] __attribute__((aligned(64)));
	uint32_t xsize = 0;
	struct guest_stack ss;

	/* Everything is read and checked before anything changes; siginfo is not read. */
	if (copy_in(t, &f, frame, offsetof(struct x86_rt_sigframe, info)) < 0)
		return -EFAULT;
	if (sc->fpstate) {
		if (sc->fpstate % 16 || copy_in(t, &fx, sc->fpstate, sizeof(fx)) < 0)
			return -EFAULT;
		if (fx.mxcsr & ~MXCSR_MASK)
			return -EFAULT;
		xsize = frame_xstate(t, sc->fpstate, &fx, xbuf);
	}

	r->r8 = sc->r8;
	r->r9 = sc->r9;
	r->r10 = sc->r10;
	r->r11 = sc->r11;
	r->r12 = sc->r12;
	r->r13 = sc->r13;
	r->r14 = sc->r14;
	r->r15 = sc->r15;
	r->rdi = sc->rdi;
	r->rsi = sc->rsi;
	r->rbp = sc->rbp;
	r->rbx = sc->rbx;
	r->rdx = sc->rdx;
	r->rax = sc->rax;
	r->rcx = sc->rcx;
	r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~(uint64_t)EFLAGS_USER) | (sc->eflags & EFLAGS_USER);
	/*
	 * cs and ss stay the 64-bit user selectors the host gave the stub: a frame must not move
	 * the guest into another code segment (32-bit mode). fs_base and gs_base are not in it.
	 */
	r->orig_rax = (uint64_t)-1; /* not in a syscall: nothing to restart */
	if (sc->fpstate && xsize) {
		memcpy(t->regs.xstate, xbuf, xsize);
		t->regs.fp_valid = true;
		t->regs.fp_dirty = true;
	} else if (sc->fpstate) {
		/* A legacy area: x87 and SSE from it, every other component back to reset. */
		arch_fp_init(&t->regs);
		t->regs.fp = fx;
	} else {
		arch_fp_init(&t->regs); /* Linux: no FP area means a clean FP state */
	}

	/* As Linux's restore_altstack: a bad uc_stack is ignored. */
	ss = f.uc.uc_stack;
	task_sigaltstack(t, &ss, NULL, r->rsp);
	*old_mask = f.uc.uc_sigmask;
	return 0;
}
