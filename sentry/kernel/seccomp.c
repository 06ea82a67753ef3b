/*
 * The container's seccomp profile on the guest's syscalls: which action applies (the compiled
 * per-syscall table runsc built), and what each action does, as Linux's __seccomp_filter.
 */
#include "sentry/kernel/seccomp.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include "lib/util.h"
#include "sentry/arch/arch.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

/* Linux's MAX_ERRNO: SECCOMP_RET_ERRNO's data is capped to it. */
#define SECCOMP_MAX_ERRNO 4095
/* siginfo's si_code for a seccomp SIGSYS. */
#define GUEST_SYS_SECCOMP 1

const struct seccomp_profile *seccomp_container_profile;

static bool cmp_holds(const struct seccomp_cmp *c, const uint64_t a[6])
{
	uint64_t v = a[c->index];

	switch (c->op) {
	case SECCOMP_OP_NE:
		return v != c->value;
	case SECCOMP_OP_LT:
		return v < c->value;
	case SECCOMP_OP_LE:
		return v <= c->value;
	case SECCOMP_OP_EQ:
		return v == c->value;
	case SECCOMP_OP_GE:
		return v >= c->value;
	case SECCOMP_OP_GT:
		return v > c->value;
	case SECCOMP_OP_MASKED_EQ:
		return (v & c->value) == c->value_two;
	}
	return false;
}

uint32_t seccomp_profile_action(const struct seccomp_profile *p, unsigned long nr,
				const uint64_t a[6])
{
	const struct seccomp_slice *s;

	if (nr >= p->nsyscalls)
		return p->default_action;
	s = &p->by_nr[nr];
	for (uint32_t i = s->first; i < s->first + s->count; i++) {
		const struct seccomp_rule *r = &p->rules[i];
		int k;

		for (k = 0; k < r->ncmp; k++)
			if (!cmp_holds(&r->cmp[k], a))
				break;
		if (k == r->ncmp)
			return r->action;
	}
	return p->default_action;
}

/* SECCOMP_RET_TRAP: SIGSYS as Linux's seccomp_send_sigsys fills it. */
static void send_sigsys(struct task *t, unsigned long nr, uint32_t data)
{
	struct guest_siginfo info = { 0 };

	info.signo = SIGSYS;
	info.code = GUEST_SYS_SECCOMP;
	info.errno_ = (int32_t)data;
	info.sys.call_addr = arch_ip(&t->regs);
	info.sys.syscall = (int32_t)nr;
	info.sys.arch = ARCH_AUDIT_ARCH;
	task_force_signal(t, SIGSYS, &info);
}

bool seccomp_check(struct task *t, unsigned long nr, const uint64_t a[6], long *ret)
{
	uint32_t action = seccomp_profile_action(t->seccomp, nr, a);
	uint32_t data = action & SECCOMP_RET_DATA;

	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return true;
	case SECCOMP_RET_ERRNO:
		*ret = -(long)MIN(data, SECCOMP_MAX_ERRNO);
		return false;
	case SECCOMP_RET_TRACE:
		/* No tracer is ever attached: the call fails as Linux fails it then. */
		*ret = -ENOSYS;
		return false;
	case SECCOMP_RET_TRAP:
		send_sigsys(t, nr, data);
		/* Linux rolls the registers back: the handler sees the syscall number. */
		*ret = (long)nr;
		return false;
	default:
		/*
		 * KILL_PROCESS, KILL_THREAD (one thread per process here) and anything unknown:
		 * death by SIGSYS, which no handler or mask can stop; a core where Linux would
		 * dump one.
		 */
		task_exit_group(t, SIGSYS | (task_rlimit(t, RLIMIT_CORE) ? 0x80 : 0));
	}
}
