/* Time syscalls: clocks read from the host's clocks, sleeps on the sentry's wait primitive. */
#include <errno.h>
#include <stdbool.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

#define CLK_TCK_GUEST 100

/* The guest's clocks; CPU-time clocks count from the task's start, as no CPU time is tracked
 * per guest thread yet. */
static int guest_clock(struct task *t, int clock, struct timespec *ts)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		clock_gettime(clock, ts);
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
		clock_gettime(clock, ts);
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID: {
		uint64_t ns = kernel_monotonic_ns() - t->start_time_ns;

		ts->tv_sec = ns / NSEC_PER_SEC;
		ts->tv_nsec = ns % NSEC_PER_SEC;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

SYSCALL_DEFINE(clock_gettime)
{
	struct timespec ts;
	int err = guest_clock(t, (int)a[0], &ts);

	if (err < 0)
		return err;
	return copy_out(t, a[1], &ts, sizeof(ts));
}

SYSCALL_DEFINE(clock_getres)
{
	struct timespec ts = { 0, 1 };
	int clock = (int)a[0];

	if (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE)
		ts.tv_nsec = 4000000;
	if (guest_clock(t, clock, &(struct timespec){ 0 }) < 0)
		return -EINVAL;
	if (a[1] && copy_out(t, a[1], &ts, sizeof(ts)) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(gettimeofday)
{
	struct timeval tv;
	struct timespec ts;

	if (a[0]) {
		clock_gettime(CLOCK_REALTIME, &ts);
		tv.tv_sec = ts.tv_sec;
		tv.tv_usec = ts.tv_nsec / 1000;
		if (copy_out(t, a[0], &tv, sizeof(tv)) < 0)
			return -EFAULT;
	}
	if (a[1]) {
		struct timezone tz = { 0, 0 };

		if (copy_out(t, a[1], &tz, sizeof(tz)) < 0)
			return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE(time)
{
	time_t now = time(NULL);

	if (a[0] && copy_out(t, a[0], &now, sizeof(now)) < 0)
		return -EFAULT;
	return now;
}

static bool never(void *arg)
{
	return false;
}

/* Sleeps until the CLOCK_MONOTONIC deadline; on a signal, stores what is left in rem. */
static long sleep_until(struct task *t, const struct timespec *deadline, uint64_t rem_addr)
{
	int err = task_wait_event(t, NULL, never, NULL, deadline);
	struct timespec rem;

	if (err == -ETIMEDOUT || err == 0)
		return 0;
	if (rem_addr) {
		rem = deadline_left(deadline);
		if (copy_out(t, rem_addr, &rem, sizeof(rem)) < 0)
			return -EFAULT;
	}
	/* EINTR when a handler runs; otherwise the sleep starts over (see the table). */
	return -ERESTARTNOHAND;
}

SYSCALL_DEFINE(nanosleep)
{
	struct timespec req, deadline;

	if (copy_in(t, &req, a[0], sizeof(req)) < 0)
		return -EFAULT;
	if (!timespec_valid(&req))
		return -EINVAL;
	deadline = deadline_after(&req);
	return sleep_until(t, &deadline, a[1]);
}

SYSCALL_DEFINE(clock_nanosleep)
{
	int clock = (int)a[0], flags = (int)a[1];
	struct timespec req, deadline, now;

	if (clock == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME &&
	    clock != CLOCK_TAI && clock != CLOCK_PROCESS_CPUTIME_ID)
		return -EINVAL;
	if (copy_in(t, &req, a[2], sizeof(req)) < 0)
		return -EFAULT;
	if (!timespec_valid(&req))
		return -EINVAL;
	if (flags & TIMER_ABSTIME) {
		/* The absolute time on clock as one on CLOCK_MONOTONIC. */
		struct timespec left;

		guest_clock(t, clock, &now);
		left = timespec_sub_clamped(&req, &now);
		deadline = deadline_after(&left);
		return sleep_until(t, &deadline, 0);
	}
	deadline = deadline_after(&req);
	return sleep_until(t, &deadline, a[3]);
}

SYSCALL_DEFINE(times)
{
	uint64_t ticks = (kernel_monotonic_ns() - kernel_boot_ns) / (NSEC_PER_SEC / CLK_TCK_GUEST);
	struct tms tms = { 0 };

	if (a[0] && copy_out(t, a[0], &tms, sizeof(tms)) < 0)
		return -EFAULT;
	return (long)ticks;
}
