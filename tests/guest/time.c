/* Guest test: clocks and sleeping — prints only yes/no facts, since times differ run to run. */
#include <sys/time.h>
#include <time.h>

#include "guest.h"

static double now(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return -1;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct timespec req = { 0, 50 * 1000 * 1000 }, res;
	struct timeval tv;
	double prev, t, start;
	bool monotonic = true;

	guest_init();
	prev = now(CLOCK_MONOTONIC);
	for (int i = 0; i < 1000; i++) {
		t = now(CLOCK_MONOTONIC);
		monotonic = monotonic && t >= prev;
		prev = t;
	}
	report_bool("monotonic_never_goes_back", monotonic && prev > 0);

	start = now(CLOCK_MONOTONIC);
	report("nanosleep", nanosleep(&req, NULL));
	t = now(CLOCK_MONOTONIC) - start;
	report_bool("nanosleep_slept_50ms", t >= 0.050);
	report_bool("nanosleep_under_2s", t < 2);
	start = now(CLOCK_MONOTONIC);
	report("clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
	report_bool("clock_nanosleep_slept_50ms", now(CLOCK_MONOTONIC) - start >= 0.050);
	req.tv_nsec = 2000000000L;
	report_err("nanosleep_bad_nsec", nanosleep(&req, NULL));

	report("gettimeofday", gettimeofday(&tv, NULL));
	report_bool("gettimeofday_after_2024", tv.tv_sec > 1704067200);
	report_bool("gettimeofday_usec_range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	t = now(CLOCK_REALTIME);
	report_bool("realtime_matches_gettimeofday", t - (tv.tv_sec + tv.tv_usec / 1e6) < 1);
	report_bool("time_matches_realtime", (double)time(NULL) - t < 2);
	report_bool("boottime_at_least_monotonic", now(CLOCK_BOOTTIME) >= now(CLOCK_MONOTONIC) - 1);
	report_bool("process_cputime_positive", now(CLOCK_PROCESS_CPUTIME_ID) > 0);
	report("clock_getres_monotonic", clock_getres(CLOCK_MONOTONIC, &res));
	report_bool("resolution_at_most_1ms", res.tv_sec == 0 && res.tv_nsec <= 1000000);
	report_err("clock_gettime_bad_clock", clock_gettime((clockid_t)12345, &res));
	return 0;
}
