/*
 * The one way from a guest syscall trap into the table: look the entry up, trace, check the
 * container's seccomp profile, run.
 */
#include <errno.h>
#include <stdbool.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "syscalls/syscalls.h"

/* Numbers whose missing implementation was logged, a bit each; numbers past the bitmap
 * share its last bit. */
#define LOGGED_BITS 1024
static uint64_t logged[LOGGED_BITS / 64];

static void log_unimplemented(unsigned long nr, const struct syscall_entry *e)
{
	unsigned long bit = MIN(nr, LOGGED_BITS - 1UL);
	uint64_t mask = 1ULL << (bit % 64);

	if (!log_debug_enabled())
		return;
	if (__atomic_fetch_or(&logged[bit / 64], mask, __ATOMIC_RELAXED) & mask)
		return;
	if (e)
		log_debug("unimplemented syscall %lu (%s)%s%s", nr, e->name, e->note ? ": " : "",
			  e->note ? e->note : "");
	else
		log_debug("unknown syscall %lu", nr);
}

long syscall_dispatch(struct task *t, unsigned long nr, const uint64_t a[6])
{
	const struct syscall_table *table = &syscall_table_native;
	const struct syscall_entry *e = NULL;
	bool trace = strace_fd >= 0;
	long ret;

	if (nr < table->count && table->entries[nr].name)
		e = &table->entries[nr];
	if (trace)
		strace_enter(t, nr, e, a);
	if (unlikely(t->seccomp) && !seccomp_check(t, nr, a, &ret)) {
		/* The container's seccomp profile answered instead of the handler. */
	} else if (e && e->fn) {
		ret = e->fn(t, a);
	} else {
		ret = -(e && e->err ? e->err : ENOSYS);
		log_unimplemented(nr, e);
	}
	if (trace)
		strace_exit(t, nr, e, a, ret);
	return ret;
}
