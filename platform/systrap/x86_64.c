/*
 * systrap's x86-64 half in C: the guest's registers as the kernel saved them in the signal frame
 * on the stub's stack (sigcontext and the XSAVE area), the stub's first frame, and CPU features.
 */
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"
#include "platform/systrap/systrap.h"

const uint32_t systrap_arch_audit = AUDIT_ARCH_X86_64;

/* The kernel's struct sigcontext and struct ucontext (x86-64). */
struct x86_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* the stub's address of the XSAVE (or legacy FXSAVE) area */
	uint64_t reserved1[8];
};

struct x86_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t ss_pad;
	uint64_t ss_size;
	struct x86_sigcontext mc;
	uint64_t uc_sigmask;
};

_Static_assert(sizeof(struct x86_sigcontext) == 256, "struct sigcontext");
_Static_assert(sizeof(struct x86_ucontext) == 304, "struct ucontext");
_Static_assert(sizeof(struct user_fpregs_struct) == ARCH_FXSAVE_SIZE, "FXSAVE area");

#define USER_CS 0x33
#define USER_DS 0x2b
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define KERNEL_SA_RESTORER 0x04000000
#define HWCAP2_FSGSBASE 0x2

/* Bytes 464..511 of the FXSAVE area are the kernel's: XSAVE magic and sizes in a frame. */
#define FX_SW_RESERVED 464
#define FP_XSTATE_MAGIC1 0x46505853U
#define XFEATURE_FP 0x1
#define XFEATURE_SSE 0x2
#define MXCSR_DEFAULT_MASK 0xffbf

/* Where the first frame goes: below the top of the slot's stack, where the kernel puts its. */
#define INIT_UC_OFF (SYSTRAP_SLOT_SIZE - 1024)
#define INIT_FP_OFF (SYSTRAP_SLOT_SIZE - 2048 - ARCH_XSTATE_MAX)
_Static_assert(SYSTRAP_PATCH_FP_OFF + ARCH_XSTATE_MAX <= INIT_FP_OFF, "patch frame below it");

/* The MXCSR bits this CPU accepts (FXSAVE's MXCSR_MASK), not a frame's copy of it. */
static uint32_t mxcsr_mask = MXCSR_DEFAULT_MASK;

uint32_t systrap_arch_flags(void)
{
	struct user_fpregs_struct fx __attribute__((aligned(16)));

	memset(&fx, 0, sizeof(fx));
	__builtin_ia32_fxsave64(&fx);
	if (fx.mxcr_mask)
		mxcsr_mask = fx.mxcr_mask;
	/* Linux 5.9+ lets user code use rd/wrfsbase when it reports this; the guest can then
	 * move its thread pointer without a syscall, so the stub must read it on every trap. */
	return (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) ? SYSTRAP_FLAG_TLS_INSNS : 0;
}

void systrap_arch_relax(void)
{
	__builtin_ia32_pause();
}

void systrap_arch_filter_allow(struct systrap_bpf *b)
{
	/* arch_prctl(ARCH_SET_FS/GS): the stub sets the guest's thread pointers (without FSGSBASE).
	 */
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 0, 3);
	systrap_bpf_load_arg(b, 0, false);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0x1002 /* ARCH_SET_FS */, SYSTRAP_BPF_ALLOW,
			 0);
	systrap_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 0x1001 /* ARCH_SET_GS */, SYSTRAP_BPF_ALLOW,
			 SYSTRAP_BPF_KILL);
}

/*
 * The handler runs with the signal mask it interrupted (the guest's: SA_NODEFER, nothing added),
 * so that returning to the guest needs no syscall to restore one; the stub's code copes with a
 * signal inside it (x86_64_stub.S, nested).
 */
int systrap_arch_child_sigaction(int sig, uint64_t handler, uint64_t restorer)
{
	struct {
		uint64_t handler, flags, restorer, mask;
	} ksa = { handler, SA_SIGINFO | SA_ONSTACK | SA_NODEFER | KERNEL_SA_RESTORER, restorer, 0 };

	return syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask)) < 0 ? -1 : 0;
}

static void fp_init(struct user_fpregs_struct *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->cwd = 0x37f;    /* x87: all exceptions masked, extended precision */
	fx->mxcsr = 0x1f80; /* SSE: all exceptions masked */
}

uint64_t systrap_arch_init_frame(const struct systrap_slot *s, uint64_t sigmask)
{
	struct x86_ucontext *uc = (struct x86_ucontext *)(s->mem + INIT_UC_OFF);
	struct user_fpregs_struct *fx = (struct user_fpregs_struct *)(s->mem + INIT_FP_OFF);

	memset(uc, 0, sizeof(*uc));
	uc->uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	uc->ss_sp = s->addr + SYSTRAP_CTX_SIZE;
	uc->ss_size = SYSTRAP_STACK_SIZE;
	uc->mc.cs = USER_CS;
	uc->mc.ss = USER_DS;
	/* A legacy area without the XSAVE magic: rt_sigreturn loads x87/SSE from it and puts every
	 * other state component in its initial state. */
	uc->mc.fpstate = s->addr + INIT_FP_OFF;
	uc->uc_sigmask = sigmask;
	fp_init(fx);
	return s->addr + INIT_UC_OFF;
}

static struct x86_ucontext *frame(const struct systrap_slot *s, uint64_t uc)
{
	return uc % 8 ? NULL : systrap_slot_ptr(s, uc, sizeof(struct x86_ucontext));
}

int systrap_arch_get_regs(const struct systrap_slot *s, uint64_t uc, bool syscall,
			  struct arch_regs *r)
{
	struct x86_ucontext *p = frame(s, uc);
	struct user_regs_struct *g = &r->gp;
	struct x86_sigcontext sc;

	if (!p)
		return -EFAULT;
	memcpy(&sc, &p->mc, sizeof(sc));
	g->r8 = sc.r8;
	g->r9 = sc.r9;
	g->r10 = sc.r10;
	g->r11 = sc.r11;
	g->r12 = sc.r12;
	g->r13 = sc.r13;
	g->r14 = sc.r14;
	g->r15 = sc.r15;
	g->rdi = sc.rdi;
	g->rsi = sc.rsi;
	g->rbp = sc.rbp;
	g->rbx = sc.rbx;
	g->rdx = sc.rdx;
	g->rcx = sc.rcx;
	g->rsp = sc.rsp;
	g->rip = sc.rip;
	g->eflags = sc.eflags;
	g->cs = USER_CS;
	g->ss = USER_DS;
	g->ds = g->es = g->fs = g->gs = 0;
	if (syscall) {
		/* A seccomp trap leaves the number in rax; ptrace would show -ENOSYS there. */
		g->orig_rax = sc.rax;
		g->rax = (uint64_t)-ENOSYS;
	} else {
		g->orig_rax = (uint64_t)-1;
		g->rax = sc.rax;
	}
	if (systrap_flags & SYSTRAP_FLAG_TLS_INSNS) {
		struct systrap_ctx *c = systrap_slot_ctx(s);

		g->fs_base = __atomic_load_n(&c->tls[0], __ATOMIC_RELAXED);
		g->gs_base = __atomic_load_n(&c->tls[1], __ATOMIC_RELAXED);
		/* The stub's own (see set_regs): the guest's is 0. */
		if (g->gs_base == s->addr)
			g->gs_base = 0;
	}
	return 0;
}

/* wrfsbase faults on a non-canonical address, arch_prctl refuses one: keep user addresses. */
static uint64_t user_addr(uint64_t a)
{
	return a < ARCH_TASK_SIZE ? a : 0;
}

int systrap_arch_set_regs(const struct systrap_slot *s, uint64_t uc, uint64_t sigmask,
			  const struct arch_regs *r)
{
	struct x86_ucontext *p = frame(s, uc);
	const struct user_regs_struct *g = &r->gp;
	struct systrap_ctx *c = systrap_slot_ctx(s);
	struct x86_sigcontext *sc;

	if (!p)
		return -EFAULT;
	sc = &p->mc;
	sc->r8 = g->r8;
	sc->r9 = g->r9;
	sc->r10 = g->r10;
	sc->r11 = g->r11;
	sc->r12 = g->r12;
	sc->r13 = g->r13;
	sc->r14 = g->r14;
	sc->r15 = g->r15;
	sc->rdi = g->rdi;
	sc->rsi = g->rsi;
	sc->rbp = g->rbp;
	sc->rbx = g->rbx;
	sc->rdx = g->rdx;
	sc->rax = g->rax;
	sc->rcx = g->rcx;
	sc->rsp = g->rsp;
	sc->rip = g->rip;
	/* rt_sigreturn takes only the user-changeable flags from here. */
	sc->eflags = g->eflags;
	/* Always 64-bit user mode, whatever the guest left in the frame. */
	sc->cs = USER_CS;
	sc->ss = USER_DS;
	p->uc_sigmask = sigmask;
	c->tls[0] = user_addr(g->fs_base);
	/* A guest that leaves its GS base at 0 (as Linux programs do: their thread pointer is FS)
	 * runs with the slot's: patched syscalls find their context through it. */
	c->tls[1] = g->gs_base ? user_addr(g->gs_base) : s->addr;
	return 0;
}

/* What the kernel writes in bytes 464..511 of a frame's FXSAVE area (struct _fpx_sw_bytes). */
struct fx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + 4: MAGIC2 follows the XSAVE area */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
_Static_assert(sizeof(struct fx_sw_bytes) == ARCH_FXSAVE_SIZE - FX_SW_RESERVED, "sw bytes");

#define FP_XSTATE_MAGIC2 0x46505845U
/* XSAVE header: xstate_bv, then xcomp_bv and reserved bytes that must be zero (standard form). */
#define XSAVE_HDR_SIZE 64

/*
 * The XSAVE size sw describes, when it is a kernel-made one that fits our buffers and lies, with
 * its MAGIC2, inside the slot at fp (NULL s: no slot check); else 0.
 */
static uint32_t xsave_size(const struct fx_sw_bytes *sw, const struct systrap_slot *s, uint64_t fp)
{
	if (sw->magic1 != FP_XSTATE_MAGIC1 || sw->xstate_size > ARCH_XSTATE_MAX ||
	    sw->xstate_size < ARCH_XSAVE_HDR + XSAVE_HDR_SIZE)
		return 0;
	if (s && !systrap_slot_ptr(s, fp, sw->xstate_size + sizeof(uint32_t)))
		return 0;
	return sw->xstate_size;
}

/* The frame's FP area (16-aligned, inside the slot); *xsize its XSAVE size, 0 for FXSAVE only. */
static uint8_t *fp_area(const struct systrap_slot *s, uint64_t uc, uint32_t *xsize,
			struct fx_sw_bytes *sw)
{
	struct x86_ucontext *p = frame(s, uc);
	uint64_t fp;
	uint8_t *area;

	if (!p)
		return NULL;
	fp = __atomic_load_n(&p->mc.fpstate, __ATOMIC_RELAXED);
	if (fp % 16 || !(area = systrap_slot_ptr(s, fp, ARCH_FXSAVE_SIZE)))
		return NULL;
	memcpy(sw, area + FX_SW_RESERVED, sizeof(*sw));
	*xsize = xsave_size(sw, s, fp);
	return area;
}

int systrap_arch_get_fp(const struct systrap_slot *s, uint64_t uc, struct arch_regs *r)
{
	struct fx_sw_bytes sw;
	uint32_t xsize;
	uint8_t *area = fp_area(s, uc, &xsize, &sw);

	if (!area)
		return -EFAULT;
	/* All of it, the kernel's sw bytes included, as ptrace's NT_X86_XSTATE gives it. */
	memcpy(r->xstate, area, xsize ? xsize : ARCH_FXSAVE_SIZE);
	r->xstate_size = xsize;
	return 0;
}

/* A header XRSTOR accepts: components the frame allows, standard form, reserved bytes zero. */
static void xsave_header_fix(uint8_t *area, uint64_t allowed)
{
	uint64_t bv;

	memcpy(&bv, area + ARCH_XSAVE_HDR, sizeof(bv));
	bv &= allowed;
	memcpy(area + ARCH_XSAVE_HDR, &bv, sizeof(bv));
	memset(area + ARCH_XSAVE_HDR + sizeof(bv), 0, XSAVE_HDR_SIZE - sizeof(bv));
}

int systrap_arch_set_fp(const struct systrap_slot *s, uint64_t uc, const struct arch_regs *r)
{
	struct fx_sw_bytes sw, rsw;
	uint32_t xsize, rsize = 0;
	uint8_t *area = fp_area(s, uc, &xsize, &sw);
	struct user_fpregs_struct *fx = (struct user_fpregs_struct *)area;
	uint64_t bv, fp;

	if (!area)
		return -EFAULT;
	if (r->xstate_size > ARCH_FXSAVE_SIZE) {
		memcpy(&rsw, r->xstate + FX_SW_RESERVED, sizeof(rsw));
		rsize = MIN(r->xstate_size, xsave_size(&rsw, NULL, 0));
	}
	fp = (uint64_t)(area - s->mem) + s->addr;
	if (xsize) {
		/* The kernel's own frame: its sw bytes stay, they say what it will restore. */
		memcpy(area, r->xstate, FX_SW_RESERVED);
		if (r->xstate_size > ARCH_FXSAVE_SIZE) {
			memcpy(area + ARCH_XSAVE_HDR, r->xstate + ARCH_XSAVE_HDR,
			       MIN(r->xstate_size, xsize) - ARCH_XSAVE_HDR);
			xsave_header_fix(area, sw.xfeatures);
		} else {
			/* Only x87/SSE known: load those, other components keep the thread's. */
			memcpy(&bv, area + ARCH_XSAVE_HDR, sizeof(bv));
			bv |= XFEATURE_FP | XFEATURE_SSE;
			memcpy(area + ARCH_XSAVE_HDR, &bv, sizeof(bv));
		}
	} else if (rsize && systrap_slot_ptr(s, fp, rsize + sizeof(uint32_t))) {
		/* A frame of ours (the first one) given a whole XSAVE area from a kernel frame (a
		 * fork's parent): its sw bytes and MAGIC2 make rt_sigreturn restore all of it. */
		uint32_t magic2 = FP_XSTATE_MAGIC2;

		memcpy(area, r->xstate, rsize);
		memcpy(area + rsize, &magic2, sizeof(magic2));
		xsave_header_fix(area, rsw.xfeatures);
	} else {
		memcpy(area, r->xstate, FX_SW_RESERVED);
	}
	/* Reserved MXCSR bits would make the kernel refuse the frame (and kill the stub). */
	fx->mxcsr &= mxcsr_mask;
	return 0;
}

/* The XSAVE layout a patch frame uses, taken from CPUID at start: as the kernel's frames. */
static struct fx_sw_bytes patch_sw;

#define CPUID_1_ECX_XSAVE (1U << 26)
#define CPUID_1_ECX_OSXSAVE (1U << 27)
/* AMX tile state: allowed per process (XFD), never in the stub's frames. */
#define XFEATURE_TILES (3ULL << 17)
#define UC_FP_XSTATE 0x1

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* The standard-format XSAVE size of the components in mask, from CPUID leaf 0xd. */
static uint32_t xsave_layout(uint64_t *mask)
{
	uint32_t r[4], size = ARCH_XSAVE_HDR + XSAVE_HDR_SIZE;
	uint32_t lo, hi;

	cpuid(1, 0, r);
	if (!(r[2] & CPUID_1_ECX_XSAVE) || !(r[2] & CPUID_1_ECX_OSXSAVE))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	*mask = ((uint64_t)hi << 32 | lo) & ~XFEATURE_TILES;
	for (int i = 2; i < 64; i++) {
		if (!(*mask & (1ULL << i)))
			continue;
		cpuid(0xd, i, r);
		size = MAX(size, r[1] + r[0]); /* offset + size */
	}
	return size;
}

bool systrap_arch_patch_frame(const struct systrap_slot *s)
{
	struct x86_ucontext *uc = (struct x86_ucontext *)(s->mem + SYSTRAP_PATCH_UC_OFF);
	uint8_t *fp = s->mem + SYSTRAP_PATCH_FP_OFF;
	struct systrap_ctx *c = systrap_slot_ctx(s);
	const uint32_t magic2 = FP_XSTATE_MAGIC2;

	if (!patch_sw.magic1) {
		uint64_t mask = 0;
		uint32_t size = xsave_layout(&mask);

		if (!size || size + sizeof(magic2) > SYSTRAP_SLOT_SIZE - SYSTRAP_PATCH_FP_OFF ||
		    size > ARCH_XSTATE_MAX)
			return false;
		patch_sw.xfeatures = mask;
		patch_sw.xstate_size = size;
		patch_sw.extended_size = size + sizeof(magic2);
		__atomic_store_n(&patch_sw.magic1, FP_XSTATE_MAGIC1, __ATOMIC_RELEASE);
	}
	memset(uc, 0, sizeof(*uc));
	uc->uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	uc->ss_sp = s->addr + SYSTRAP_CTX_SIZE;
	uc->ss_size = SYSTRAP_STACK_SIZE;
	uc->mc.cs = USER_CS;
	uc->mc.ss = USER_DS;
	uc->mc.fpstate = s->addr + SYSTRAP_PATCH_FP_OFF;
	memset(fp, 0, patch_sw.xstate_size);
	memcpy(fp + FX_SW_RESERVED, &patch_sw, sizeof(patch_sw));
	memcpy(fp + patch_sw.xstate_size, &magic2, sizeof(magic2));
	c->xsave_mask = patch_sw.xfeatures;
	return true;
}

static size_t emit(uint8_t *buf, size_t n, const void *p, size_t len)
{
	memcpy(buf + n, p, len);
	return n + len;
}

/*
 * A patched site's code: the guest's rsp saved and the slot's patch stack taken (GS-relative:
 * the GS base is the slot), then the return address in rcx and the number in eax, as the
 * syscall instruction would have them, and on to the stub's entry.
 */
size_t systrap_arch_patch_code(uint64_t ret, uint32_t nr, uint8_t *buf, size_t len)
{
	static const uint8_t save_rsp[] = { 0x65, 0x48, 0x89, 0x24, 0x25 };  /* mov %rsp, %gs:d32 */
	static const uint8_t load_rsp[] = { 0x65, 0x48, 0x8b, 0x24, 0x25 };  /* mov %gs:d32, %rsp */
	static const uint8_t movabs_rcx[] = { 0x48, 0xb9 };		     /* movabs $i64, %rcx */
	static const uint8_t mov_eax[] = { 0xb8 };			     /* mov $i32, %eax */
	static const uint8_t jmp_gs[] = { 0x65, 0xff, 0x24, 0x25 };	     /* jmp *%gs:d32 */
	const uint32_t app_rsp = SYSTRAP_CTX_APP_RSP, patch_sp = SYSTRAP_CTX_PATCH_SP;
	const uint32_t entry = SYSTRAP_CTX_PATCH_ENTRY;
	size_t n = 0;

	if (len < 41 || !patch_sw.magic1)
		return 0;
	n = emit(buf, n, save_rsp, sizeof(save_rsp));
	n = emit(buf, n, &app_rsp, 4);
	n = emit(buf, n, load_rsp, sizeof(load_rsp));
	n = emit(buf, n, &patch_sp, 4);
	n = emit(buf, n, movabs_rcx, sizeof(movabs_rcx));
	n = emit(buf, n, &ret, 8);
	n = emit(buf, n, mov_eax, sizeof(mov_eax));
	n = emit(buf, n, &nr, 4);
	n = emit(buf, n, jmp_gs, sizeof(jmp_gs));
	n = emit(buf, n, &entry, 4);
	return n;
}
