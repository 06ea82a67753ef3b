/* futex: the wait and wake operations glibc uses. */
#include <errno.h>
#include <linux/futex.h>
#include <time.h>

#include "sentry/kernel/futex.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE(futex)
{
	uint64_t addr = a[0];
	int op = (int)a[1] & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)a[2], bitset = FUTEX_BITSET_MATCH_ANY;
	struct timespec ts, deadline, *dl = NULL;

	switch (op) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (op == FUTEX_WAIT_BITSET)
			bitset = (uint32_t)a[5];
		if (a[3]) {
			if (copy_in(t, &ts, a[3], sizeof(ts)) < 0)
				return -EFAULT;
			if (!timespec_valid(&ts))
				return -EINVAL;
			if (op == FUTEX_WAIT)
				deadline = deadline_after(&ts); /* relative */
			else if ((int)a[1] & FUTEX_CLOCK_REALTIME)
				deadline = deadline_from_clock(CLOCK_REALTIME, &ts);
			else
				deadline = ts;
			dl = &deadline;
		}
		return futex_wait(t, addr, val, bitset, dl);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (op == FUTEX_WAKE_BITSET)
			bitset = (uint32_t)a[5];
		return futex_wake(t, addr, (int)val, bitset);
	default:
		return -ENOSYS;
	}
}
