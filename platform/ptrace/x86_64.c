/* x86-64 FP state under ptrace: the whole XSAVE area (NT_X86_XSTATE), so AVX and AVX-512
 * registers survive signal handlers; FXSAVE (NT_PRFPREG) only on CPUs without XSAVE. */
#include <elf.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "platform/ptrace/ptrace_arch.h"

int ptrace_arch_get_fp(pid_t pid, struct arch_regs *r)
{
	struct iovec iov = { r->xstate, ARCH_XSTATE_MAX };

	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) == 0) {
		r->xstate_size = iov.iov_len;
		return 0;
	}
	iov.iov_len = ARCH_FXSAVE_SIZE;
	if (ptrace(PTRACE_GETREGSET, pid, NT_PRFPREG, &iov) < 0)
		return -errno;
	r->xstate_size = 0;
	return 0;
}

int ptrace_arch_set_fp(pid_t pid, struct arch_regs *r)
{
	struct iovec iov = { r->xstate, r->xstate_size };

	if (r->xstate_size > ARCH_FXSAVE_SIZE)
		return ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov) < 0 ? -errno : 0;
	iov.iov_len = ARCH_FXSAVE_SIZE;
	return ptrace(PTRACE_SETREGSET, pid, NT_PRFPREG, &iov) < 0 ? -errno : 0;
}
