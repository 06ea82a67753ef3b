/* x86-64-only syscalls: arch_prctl sets the FS and GS bases. */
#include <asm/prctl.h>
#include <errno.h>

#include "sentry/arch/arch.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE(arch_prctl)
{
	uint64_t v;

	switch ((int)a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= ARCH_TASK_SIZE)
			return -EPERM;
		t->regs.gp.fs_base = a[1];
		return 0;
	case ARCH_GET_FS:
		v = t->regs.gp.fs_base;
		return copy_out(t, a[1], &v, sizeof(v));
	case ARCH_SET_GS:
		if (a[1] >= ARCH_TASK_SIZE)
			return -EPERM;
		/* The platform's while syscall sites are patched: they go back first. */
		if (a[1])
			arch_patch_off(t->mm);
		t->regs.gp.gs_base = a[1];
		return 0;
	case ARCH_GET_GS:
		v = t->regs.gp.gs_base;
		return copy_out(t, a[1], &v, sizeof(v));
	default:
		return -EINVAL;
	}
}
