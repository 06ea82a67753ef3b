/*
 * What generic sentry code may know of the architecture. Each sentry/arch/<arch>/ provides
 * arch_regs.h (found through the include path configure sets) and implements these.
 */
#ifndef CVISOR_ARCH_H
#define CVISOR_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch_regs.h" /* struct arch_regs, ARCH_NAME, ARCH_ELF_MACHINE, ARCH_STUB_ADDR ... */

struct task;
struct guest_siginfo;
struct guest_sigaction;

uint64_t arch_syscall_nr(const struct arch_regs *r);
uint64_t arch_syscall_arg(const struct arch_regs *r, int i);
void arch_set_return(struct arch_regs *r, uint64_t v);
uint64_t arch_ip(const struct arch_regs *r);
uint64_t arch_sp(const struct arch_regs *r);
void arch_set_ip(struct arch_regs *r, uint64_t ip);
void arch_set_sp(struct arch_regs *r, uint64_t sp);
/* Backs the instruction pointer over the syscall instruction, to restart the call. */
void arch_restart_syscall(struct arch_regs *r, uint64_t nr);
/* Register state for a new program (execve): zeroed, ip and sp set, fresh FP state. */
void arch_regs_init(struct arch_regs *r, uint64_t entry, uint64_t sp);
/* A clean FP/vector state, as after execve or on entry to a signal handler. */
void arch_fp_init(struct arch_regs *r);

/* The FP/vector components this CPU saves (x86-64: XCR0). */
uint64_t arch_xstate_features(void);

/*
 * Patched syscalls (sentry/arch/<arch>/patch.c), with a platform that has patch_code: a syscall
 * site that trapped is rewritten to jump to the platform's per-site code, which hands the call
 * to the sentry without a signal. The per-address-space state hangs off struct mm.
 */
struct mm;
struct syscall_patches;
/* After a syscall event that trapped: rewrites its site when it is program text of the
 * arch's pattern. */
void arch_patch_syscall(struct task *t);
/* A SIGILL at ip: true when ip is where a patched site's syscall instruction was (a thread
 * that was between its two instructions, or a restart), and t now restarts the site. */
bool arch_patch_fault(struct task *t, uint64_t ip);
/* Puts back every patched site of mm and patches no more: the guest takes the GS base, or
 * changes the table's range. */
void arch_patch_off(struct mm *mm);
/* [addr, addr+len) is about to be mapped, unmapped or protected by the guest. */
void arch_patch_guard(struct mm *mm, uint64_t addr, uint64_t len);
/* fork's copy of the state, and its end; under mm->patch_lock. */
struct syscall_patches *arch_patch_copy(const struct syscall_patches *p);
void arch_patch_free(struct syscall_patches *p);

/* Thread pointer (arch_prctl ARCH_SET_FS on x86-64, TPIDR_EL0 on arm64). */
void arch_set_tls(struct arch_regs *r, uint64_t tls);
/* The child's registers after fork/clone: return value 0, optional new stack. */
void arch_regs_fork_child(struct arch_regs *r, uint64_t stack);

/*
 * For platforms that make the stub run a syscall of the sentry's (ptrace injection): set up
 * regs to execute syscall nr with args at ip (the stub's syscall instruction), and read back
 * its result.
 */
void arch_prepare_syscall(struct arch_regs *r, uint64_t ip, long nr, const uint64_t args[6]);
long arch_syscall_result(const struct arch_regs *r);
/* The stub's code page: a syscall instruction followed by a breakpoint; at arch_stub_clone_off,
 * a syscall after which a new thread (a clone's child) parks, making syscall
 * arch_stub_park_nr forever, while the caller breaks as above. At arch_stub_park_off, with a
 * zero result register, the parking path. */
extern const uint8_t arch_stub_code[];
extern const size_t arch_stub_code_len;
extern const size_t arch_stub_clone_off, arch_stub_park_off;
extern const long arch_stub_park_nr;

/*
 * Signal frames (rt_sigframe: siginfo, ucontext with the saved registers and FP state) on the
 * guest stack. 0 or -EFAULT (the caller then kills the task with SIGSEGV).
 */
int arch_signal_setup_frame(struct task *t, int sig, const struct guest_siginfo *info,
			    const struct guest_sigaction *act, uint64_t old_mask);
/* rt_sigreturn: restores registers and the signal mask from the frame at the stack pointer. */
int arch_signal_restore_frame(struct task *t, uint64_t *old_mask);

/* execve's auxiliary vector: AT_HWCAP (the host CPU's features, as Linux reports them) and
 * AT_PLATFORM's string. */
uint64_t arch_elf_hwcap(void);
const char *arch_elf_platform(void);

#endif
