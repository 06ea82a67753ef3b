/* Time arithmetic for sleeps and timeouts: every deadline the sentry waits on is an absolute
 * CLOCK_MONOTONIC time, as task_wait_event takes it. */
#ifndef CVISOR_KERNEL_TIME_H
#define CVISOR_KERNEL_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000L

static inline bool timespec_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC;
}

static inline bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* a += b, both normalized; saturates instead of overflowing (a "forever" timeout). */
static inline void timespec_add(struct timespec *a, const struct timespec *b)
{
	if (b->tv_sec > INT64_MAX / 4 - a->tv_sec) {
		a->tv_sec = INT64_MAX / 4;
		a->tv_nsec = 0;
		return;
	}
	a->tv_sec += b->tv_sec;
	a->tv_nsec += b->tv_nsec;
	if (a->tv_nsec >= NSEC_PER_SEC) {
		a->tv_sec++;
		a->tv_nsec -= NSEC_PER_SEC;
	}
}

/* a - b, or zero when b is not before a. */
static inline struct timespec timespec_sub_clamped(const struct timespec *a,
						   const struct timespec *b)
{
	struct timespec r = { 0, 0 };

	if (!timespec_before(b, a))
		return r;
	r.tv_sec = a->tv_sec - b->tv_sec;
	r.tv_nsec = a->tv_nsec - b->tv_nsec;
	if (r.tv_nsec < 0) {
		r.tv_sec--;
		r.tv_nsec += NSEC_PER_SEC;
	}
	return r;
}

/* A valid timespec in ns; saturates where ns no longer fit in 64 bits. */
static inline uint64_t timespec_to_ns(const struct timespec *ts)
{
	if ((uint64_t)ts->tv_sec >= UINT64_MAX / NSEC_PER_SEC)
		return UINT64_MAX;
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static inline struct timespec ns_to_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % NSEC_PER_SEC) };
}

/* A clock's reading in ns. */
static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return timespec_to_ns(&ts);
}

/* The CLOCK_MONOTONIC deadline rel (valid) from now. */
static inline struct timespec deadline_after(const struct timespec *rel)
{
	struct timespec d;

	clock_gettime(CLOCK_MONOTONIC, &d);
	timespec_add(&d, rel);
	return d;
}

/* The CLOCK_MONOTONIC deadline of the absolute time abs on clock (REALTIME, TAI, BOOTTIME...). */
static inline struct timespec deadline_from_clock(clockid_t clock, const struct timespec *abs)
{
	struct timespec now, left;

	clock_gettime(clock, &now);
	left = timespec_sub_clamped(abs, &now);
	return deadline_after(&left);
}

/* What is left until a CLOCK_MONOTONIC deadline (zero once passed). */
static inline struct timespec deadline_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return timespec_sub_clamped(deadline, &now);
}

#endif
