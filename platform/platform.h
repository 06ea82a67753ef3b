/*
 * How guest code runs and traps: one interface, one implementation per platform (ptrace,
 * systrap). An address space is a stub host process; a context is one guest thread in it, a
 * thread of that process. A context is driven only by the host thread that runs its task.
 */
#ifndef CVISOR_PLATFORM_H
#define CVISOR_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/arch/arch.h"

struct platform_as;
struct platform_ctx;

enum platform_event {
	PLATFORM_SYSCALL,     /* the guest made a syscall; regs hold its number and arguments */
	PLATFORM_FAULT,       /* a synchronous fault: info.signo (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) */
	PLATFORM_INTERRUPTED, /* platform_interrupt() was called */
	PLATFORM_DIED,        /* the stub is gone (killed from outside) */
};

/* What run() reports with PLATFORM_FAULT; with PLATFORM_SYSCALL only code, one of these. */
struct platform_fault {
	int signo;
	int code;      /* si_code */
	uint64_t addr; /* si_addr */
};
/* PLATFORM_SYSCALL's code: the syscall instruction trapped (a site the sentry may patch, when
 * the platform has patch_code), or the call came through a patched site. */
#define PLATFORM_SYSCALL_TRAPPED 0
#define PLATFORM_SYSCALL_PATCHED 1

struct platform_ops {
	const char *name;
	/* Process-wide setup, once, in the sentry before any address space. */
	int (*init)(int memfd);
	/* A new address space and the context of its first guest thread, which belongs to it. */
	int (*as_new)(struct platform_as **out, struct platform_ctx **ctx);
	/* Once no context of as runs any more; ends every stub thread. */
	void (*as_destroy)(struct platform_as *as);
	/*
	 * Address-space changes, carried out by ctx's stub thread: ctx is the caller's own (its
	 * guest thread is in the sentry), the changes apply to every thread of the address space
	 * before the call returns, and the caller serializes them per address space (mm->lock).
	 * Maps [addr, addr+len) to the memory file at off. MAP_FIXED semantics.
	 */
	int (*as_map)(struct platform_ctx *ctx, uint64_t addr, size_t len, int prot, bool shared,
		      uint64_t off);
	int (*as_unmap)(struct platform_ctx *ctx, uint64_t addr, size_t len);
	int (*as_protect)(struct platform_ctx *ctx, uint64_t addr, size_t len, int prot);
	/* Removes every guest mapping (execve). */
	int (*as_clear)(struct platform_ctx *ctx);
	/*
	 * Another guest thread in parent's address space, made by parent's host thread (parent's
	 * guest thread is in the sentry). The new context is then run only by the host thread
	 * that calls run() on it first, and released by that thread with ctx_release.
	 */
	int (*ctx_new)(struct platform_ctx *parent, struct platform_ctx **out);
	/* Ends the context's stub thread (its guest thread has exited). The address space's first
	 * context is only parked: it goes with the address space. */
	void (*ctx_release)(struct platform_ctx *ctx);
	/* Runs the guest thread with regs until the next event; regs are updated in place. */
	enum platform_event (*run)(struct platform_ctx *ctx, struct arch_regs *regs,
				   struct platform_fault *fault);
	/* Makes a concurrent run() of ctx return PLATFORM_INTERRUPTED soon. Any thread may call
	 * it. */
	void (*interrupt)(struct platform_ctx *ctx);
	/* FP state of the thread: fetched into regs->fp (fp_valid), loaded from it when fp_dirty. */
	int (*get_fpregs)(struct platform_ctx *ctx, struct arch_regs *regs);
	/*
	 * Patched syscalls (NULL where the platform has none; see sentry/arch/<arch>/patch.c):
	 * the code a guest syscall site may be rewritten to reach, for the site whose syscall
	 * returns to ret with number nr. Writes it into buf (len bytes at most) and returns its
	 * length, 0 when it cannot. The code goes in a table of the guest's address space at
	 * patch_table (patch_table_size bytes), which the sentry maps and fills.
	 */
	size_t (*patch_code)(uint64_t ret, uint32_t nr, uint8_t *buf, size_t len);
	uint64_t patch_table, patch_table_size;
	/* Host PID of the stub, for diagnostics. */
	int (*host_pid)(struct platform_as *as);
};

extern const struct platform_ops platform_ptrace;
extern const struct platform_ops platform_systrap;

/* The platform chosen at start (--platform). */
extern const struct platform_ops *platform;

const struct platform_ops *platform_lookup(const char *name);

#endif
