/* The per-architecture part of the ptrace platform: which register sets hold the FP state. */
#ifndef CVISOR_PLATFORM_PTRACE_ARCH_H
#define CVISOR_PLATFORM_PTRACE_ARCH_H

#include <sys/types.h>

#include "sentry/arch/arch.h"

/* Reads the tracee's whole FP/vector state into r (fp_valid is the caller's). 0 or -errno. */
int ptrace_arch_get_fp(pid_t pid, struct arch_regs *r);
/* Loads r's FP/vector state into the tracee. 0 or -errno. */
int ptrace_arch_set_fp(pid_t pid, struct arch_regs *r);

#endif
