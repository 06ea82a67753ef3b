/* x86-64 register state of a guest thread: general registers and the XSAVE area. */
#ifndef CVISOR_ARCH_X86_64_REGS_H
#define CVISOR_ARCH_X86_64_REGS_H

/* The #defines also serve the stub's assembly (platform/systrap/x86_64_stub.S). */
#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#include <sys/user.h>
#endif

#define ARCH_NAME "x86_64"
#define ARCH_ELF_MACHINE 62 /* EM_X86_64 */
#define ARCH_AUDIT_ARCH 0xc000003eU /* AUDIT_ARCH_X86_64: seccomp_data.arch, SIGSYS si_arch */
/*
 * Highest user address + 1 (47-bit address space), and the stub's region: guest mappings end
 * at ARCH_STUB_ADDR; above it, up to ARCH_TASK_SIZE, the platform's pages (its code page, and
 * systrap's per-thread slots, 16 MiB for up to 254 stub threads).
 */
#define ARCH_TASK_SIZE 0x7ffffffff000UL
#define ARCH_STUB_ADDR 0x7fffff000000UL
#define ARCH_MMAP_TOP 0x7ff000000000UL
#define ARCH_STACK_TOP 0x7fffff000000UL

/*
 * Patched syscalls (sentry/arch/x86_64/patch.c): the per-site code lives in a table of
 * ARCH_PATCH_ENTRY-byte entries at ARCH_PATCH_TABLE, a guest mapping below 2 GiB, since a
 * patched site is "jmp *abs32" through an entry's first 8 bytes (a pointer to the code after
 * them). The address puts 0x06, an invalid opcode in 64-bit mode, where the site's syscall
 * instruction began: a thread that ran the old "mov $nr, %eax" before the patch faults there
 * and is restarted at the site.
 */
#define ARCH_PATCH_TABLE 0x60000
#define ARCH_PATCH_TABLE_SIZE 0x10000
#define ARCH_PATCH_ENTRY 64

/* Room for the XSAVE area (standard format) of any x86-64 CPU with AVX-512: 2696 bytes. */
#define ARCH_XSTATE_MAX 4096
/* The FXSAVE legacy area is the first 512 bytes of the XSAVE area, then its 64-byte header. */
#define ARCH_FXSAVE_SIZE 512
#define ARCH_XSAVE_HDR 512

#ifndef __ASSEMBLER__
struct arch_regs {
	struct user_regs_struct gp;
	union {
		struct user_fpregs_struct fp; /* the FXSAVE (x87, SSE) part */
		uint8_t xstate[ARCH_XSTATE_MAX] __attribute__((aligned(64))); /* all of XSAVE */
	};
	/* Bytes of xstate the platform gave (the CPU's XSAVE size); 0 when only fp is known. */
	uint32_t xstate_size;
	bool fp_valid; /* the FP state above is the thread's (fetched from the platform) */
	bool fp_dirty; /* it must be loaded into the thread before it runs again */
};
#endif

#endif
