/* x86-64 register state of a guest thread: general registers and the FXSAVE area. */
#ifndef CVISOR_ARCH_X86_64_REGS_H
#define CVISOR_ARCH_X86_64_REGS_H

#include <stdbool.h>
#include <sys/user.h>

#define ARCH_NAME "x86_64"
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */
/*
 * Highest user address + 1 (47-bit address space), and the stub's region: guest mappings end
 * at ARCH_STUB_ADDR; above it, up to ARCH_TASK_SIZE, the platform's pages (its code page, and
 * systrap's per-thread slots, 16 MiB for up to 254 stub threads).
 */
#define ARCH_TASK_SIZE 0x7ffffffff000UL
#define ARCH_STUB_ADDR 0x7fffff000000UL
#define ARCH_MMAP_TOP 0x7ff000000000UL
#define ARCH_STACK_TOP 0x7fffff000000UL

struct arch_regs {
	struct user_regs_struct gp;
	struct user_fpregs_struct fp; /* FXSAVE layout, 512 bytes */
	bool fp_valid; /* fp holds the thread's FP state (fetched from the platform) */
	bool fp_dirty; /* fp must be loaded into the thread before it runs again */
};

#endif
