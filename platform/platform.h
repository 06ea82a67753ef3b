/*
 * How guest code runs and traps: one interface, one implementation per platform (ptrace,
 * systrap). An address space is a stub host process; a context is one guest thread in it.
 * Every call on an address space is made from the host thread that runs its tasks.
 */
#ifndef CVISOR_PLATFORM_H
#define CVISOR_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/arch/arch.h"

struct platform_as;

enum platform_event {
	PLATFORM_SYSCALL,     /* the guest made a syscall; regs hold its number and arguments */
	PLATFORM_FAULT,       /* a synchronous fault: info.signo (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) */
	PLATFORM_INTERRUPTED, /* platform_interrupt() was called */
	PLATFORM_DIED,        /* the stub is gone (killed from outside) */
};

struct platform_fault {
	int signo;
	int code;      /* si_code */
	uint64_t addr; /* si_addr */
};

struct platform_ops {
	const char *name;
	/* Process-wide setup, once, in the sentry before any address space. */
	int (*init)(int memfd);
	int (*as_new)(struct platform_as **out);
	void (*as_destroy)(struct platform_as *as);
	/* Maps [addr, addr+len) to the memory file at off. MAP_FIXED semantics. */
	int (*as_map)(struct platform_as *as, uint64_t addr, size_t len, int prot, bool shared,
		      uint64_t off);
	int (*as_unmap)(struct platform_as *as, uint64_t addr, size_t len);
	int (*as_protect)(struct platform_as *as, uint64_t addr, size_t len, int prot);
	/* Removes every guest mapping (execve). */
	int (*as_clear)(struct platform_as *as);
	/* Runs the guest thread with regs until the next event; regs are updated in place. */
	enum platform_event (*run)(struct platform_as *as, struct arch_regs *regs,
				   struct platform_fault *fault);
	/* Makes a concurrent run() return PLATFORM_INTERRUPTED soon. Any thread may call it. */
	void (*interrupt)(struct platform_as *as);
	/* FP state of the thread: fetched into regs->fp (fp_valid), loaded from it when fp_dirty. */
	int (*get_fpregs)(struct platform_as *as, struct arch_regs *regs);
	/* Host PID of the stub, for diagnostics. */
	int (*host_pid)(struct platform_as *as);
};

extern const struct platform_ops platform_ptrace;
extern const struct platform_ops platform_systrap;

/* The platform chosen at start (--platform). */
extern const struct platform_ops *platform;

const struct platform_ops *platform_lookup(const char *name);

#endif
