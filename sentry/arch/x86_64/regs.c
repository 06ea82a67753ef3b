/* x86-64 register conventions: syscall number and arguments, return value, TLS, restart. */
#include <string.h>

#include "sentry/arch/arch.h"

uint64_t arch_syscall_nr(const struct arch_regs *r)
{
	return r->gp.orig_rax;
}

uint64_t arch_syscall_arg(const struct arch_regs *r, int i)
{
	switch (i) {
	case 0: return r->gp.rdi;
	case 1: return r->gp.rsi;
	case 2: return r->gp.rdx;
	case 3: return r->gp.r10;
	case 4: return r->gp.r8;
	case 5: return r->gp.r9;
	}
	return 0;
}

void arch_set_return(struct arch_regs *r, uint64_t v)
{
	r->gp.rax = v;
}

uint64_t arch_ip(const struct arch_regs *r)
{
	return r->gp.rip;
}

uint64_t arch_sp(const struct arch_regs *r)
{
	return r->gp.rsp;
}

void arch_set_ip(struct arch_regs *r, uint64_t ip)
{
	r->gp.rip = ip;
}

void arch_set_sp(struct arch_regs *r, uint64_t sp)
{
	r->gp.rsp = sp;
}

/* The syscall instruction is two bytes (0f 05); the number goes back in rax. */
void arch_restart_syscall(struct arch_regs *r, uint64_t nr)
{
	r->gp.rip -= 2;
	r->gp.rax = nr;
}

void arch_regs_init(struct arch_regs *r, uint64_t entry, uint64_t sp)
{
	struct user_regs_struct *g = &r->gp;
	unsigned long cs = g->cs, ss = g->ss, ds = g->ds, es = g->es;

	memset(g, 0, sizeof(*g));
	/* Keep the segment selectors the host gave the stub; user code cannot choose them. */
	g->cs = cs ? cs : 0x33;
	g->ss = ss ? ss : 0x2b;
	g->ds = ds;
	g->es = es;
	g->rip = entry;
	g->rsp = sp;
	g->eflags = 0x202; /* IF, and bit 1 which is always set */
	g->orig_rax = (unsigned long)-1;

	arch_fp_init(r);
}

/* The XSAVE header's first word: which components the area holds (the rest are at reset). */
#define XSTATE_BV_FP_SSE 0x3

void arch_fp_init(struct arch_regs *r)
{
	size_t len = r->xstate_size > ARCH_FXSAVE_SIZE ? r->xstate_size : ARCH_FXSAVE_SIZE;

	memset(r->xstate, 0, len);
	r->fp.cwd = 0x37f;    /* x87: all exceptions masked, extended precision */
	r->fp.mxcsr = 0x1f80; /* SSE: all exceptions masked */
	if (r->xstate_size > ARCH_FXSAVE_SIZE) {
		uint64_t bv = XSTATE_BV_FP_SSE;

		memcpy(r->xstate + ARCH_XSAVE_HDR, &bv, sizeof(bv));
	}
	r->fp_valid = true;
	r->fp_dirty = true;
}

uint64_t arch_xstate_features(void)
{
	uint32_t lo, hi;

	/* XCR0: the components this CPU and kernel save. Asked only once the platform has
	 * handed over an XSAVE area, so XSAVE is known to be enabled. */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

void arch_set_tls(struct arch_regs *r, uint64_t tls)
{
	r->gp.fs_base = tls;
}

void arch_regs_fork_child(struct arch_regs *r, uint64_t stack)
{
	r->gp.rax = 0;
	if (stack)
		r->gp.rsp = stack;
}

void arch_prepare_syscall(struct arch_regs *r, uint64_t ip, long nr, const uint64_t args[6])
{
	r->gp.rip = ip;
	r->gp.rax = nr;
	/* Not inside a syscall: no restart logic may rewrite rax or rip on resume. */
	r->gp.orig_rax = (unsigned long)-1;
	r->gp.rdi = args[0];
	r->gp.rsi = args[1];
	r->gp.rdx = args[2];
	r->gp.r10 = args[3];
	r->gp.r8 = args[4];
	r->gp.r9 = args[5];
}

long arch_syscall_result(const struct arch_regs *r)
{
	return (long)r->gp.rax;
}

const uint8_t arch_stub_code[] = {
	0x0f, 0x05, 0xcc, /* syscall; int3 */
	/* arch_stub_clone_off: syscall (a thread's clone); the new thread (rax 0) parks, the
	 * caller breaks: test %rax,%rax; jnz 1f; 2: mov $__NR_pause,%eax; syscall; jmp 2b; 1: int3 */
	0x0f, 0x05, 0x48, 0x85, 0xc0, 0x75, 0x09, 0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7,
	0xcc,
};
const size_t arch_stub_code_len = sizeof(arch_stub_code);
const size_t arch_stub_clone_off = 3;
const size_t arch_stub_park_off = 5;
const long arch_stub_park_nr = 34; /* __NR_pause */
