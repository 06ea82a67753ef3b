/* What a benchmark needs to know of arm64: where a syscall's result goes in a signal frame. */
#ifndef CVISOR_BENCH_ARCH_H
#define CVISOR_BENCH_ARCH_H

#include <ucontext.h>

static inline void uc_set_syscall_result(ucontext_t *uc, long v)
{
	uc->uc_mcontext.regs[0] = v;
}

#endif
