/*
 * Inside systrap: what the generic half (systrap.c) and the per-arch half (<arch>.c and
 * <arch>_stub.S) give each other.
 */
#ifndef CVISOR_PLATFORM_SYSTRAP_H
#define CVISOR_PLATFORM_SYSTRAP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/systrap/systrap_abi.h"
#include "sentry/arch/arch.h"

/* SYSTRAP_FLAG_* in use (the sentry's own copy: the contexts' can be overwritten by guests). */
extern uint32_t systrap_flags;

/* One stub thread's slot, as both sides see it. */
struct systrap_slot {
	uint8_t *mem;  /* the sentry's view (memory file) */
	uint64_t addr; /* the stub's address of it */
};

static inline struct systrap_ctx *systrap_slot_ctx(const struct systrap_slot *s)
{
	return (struct systrap_ctx *)s->mem;
}

/*
 * The sentry's pointer to [addr, addr+len) of the slot's signal stack, or NULL when that is not
 * all inside it: frame addresses come from memory the guest can write.
 */
void *systrap_slot_ptr(const struct systrap_slot *s, uint64_t addr, size_t len);

/* The stub's code (<arch>_stub.S): copied to ARCH_STUB_ADDR; the entries are inside it. */
extern const char systrap_stub_code[], systrap_stub_code_end[];
extern const char systrap_stub_start[], systrap_stub_handler[], systrap_stub_restorer[];
extern const char systrap_stub_patched[];

/* A seccomp program under construction; jumps may name the three verdicts at its end. */
#define SYSTRAP_BPF_MAX 64
enum { SYSTRAP_BPF_KILL = 256, SYSTRAP_BPF_TRAP, SYSTRAP_BPF_ALLOW };
struct systrap_bpf {
	struct sock_filter insn[SYSTRAP_BPF_MAX];
	uint16_t jt[SYSTRAP_BPF_MAX], jf[SYSTRAP_BPF_MAX]; /* resolved into insn at the end */
	size_t len;
	bool overflow;
};
void systrap_bpf_stmt(struct systrap_bpf *b, uint16_t code, uint32_t k);
/* jt and jf: a count of instructions to skip, or SYSTRAP_BPF_{KILL,TRAP,ALLOW}. */
void systrap_bpf_jump(struct systrap_bpf *b, uint16_t code, uint32_t k, unsigned jt, unsigned jf);
/* Loads the low or high 32 bits of syscall argument i into the accumulator. */
void systrap_bpf_load_arg(struct systrap_bpf *b, int i, bool high);

/* Per-arch half. */
/* seccomp_data.arch of the host's native syscalls. */
extern const uint32_t systrap_arch_audit;
/* SYSTRAP_FLAG_* the host's CPU and kernel allow. */
uint32_t systrap_arch_flags(void);
/* One iteration of a spin-wait loop (x86 pause). */
void systrap_arch_relax(void);
/* Appends, with the syscall number in the accumulator, the stub's per-arch syscalls (the thread
 * pointer's). */
void systrap_arch_filter_allow(struct systrap_bpf *b);
/* In the cloned child (raw syscalls only): the stub's handler for sig, on the alternate stack. */
int systrap_arch_child_sigaction(int sig, uint64_t handler, uint64_t restorer);
/* Lays out in the slot the frame the stub first enters the guest from; returns its ucontext's
 * address, as the handler would have it. */
uint64_t systrap_arch_init_frame(const struct systrap_slot *s, uint64_t sigmask);
/*
 * The guest's registers from the frame at uc (a syscall: number in orig_rax, as ptrace reports
 * it), and back into it before the guest resumes, with the guest's host signal mask. 0 or
 * -EFAULT for a frame outside the slot.
 */
int systrap_arch_get_regs(const struct systrap_slot *s, uint64_t uc, bool syscall,
			  struct arch_regs *r);
int systrap_arch_set_regs(const struct systrap_slot *s, uint64_t uc, uint64_t sigmask,
			  const struct arch_regs *r);
/* The frame's FP state into r->fp, and r->fp into the frame. */
int systrap_arch_get_fp(const struct systrap_slot *s, uint64_t uc, struct arch_regs *r);
int systrap_arch_set_fp(const struct systrap_slot *s, uint64_t uc, const struct arch_regs *r);
/*
 * Patched syscalls (SYSTRAP_CODE_PATCHED): the frame's fixed parts laid out in a new slot, with
 * the context's xsave_mask, or false when this CPU's state does not fit (no patching then).
 */
bool systrap_arch_patch_frame(const struct systrap_slot *s);
/* platform_ops.patch_code; the table's place is in <arch>_abi.h. */
size_t systrap_arch_patch_code(uint64_t ret, uint32_t nr, uint8_t *buf, size_t len);

#endif
