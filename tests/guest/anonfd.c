/* Guest test: timerfd, signalfd and memfd_create — counts and timings print as yes/no bounds. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#include "guest.h"

#define MS 1000000L

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static struct itimerspec its(long value_ms, long interval_ms)
{
	struct itimerspec v = { 0 };

	v.it_value.tv_sec = value_ms / 1000;
	v.it_value.tv_nsec = (value_ms % 1000) * MS;
	v.it_interval.tv_sec = interval_ms / 1000;
	v.it_interval.tv_nsec = (interval_ms % 1000) * MS;
	return v;
}

static double ts_sec(const struct timespec *ts)
{
	return ts->tv_sec + ts->tv_nsec / 1e9;
}

/* The fd's /proc/self/fd link, or the errno's name. */
static const char *fd_link(int fd)
{
	static char buf[256];
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return errname(errno);
	buf[n] = '\0';
	return buf;
}

static long read_u64(int fd, uint64_t *v)
{
	ssize_t n = read(fd, v, sizeof(*v));

	return n == (ssize_t)sizeof(*v) ? 0 : -1;
}

static bool readable_within(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_timerfd(void)
{
	struct itimerspec v = its(50, 0), cur, old;
	char small[4];
	uint64_t n = 0;
	double start;
	int fd, efd, pfd[2];

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	report("timerfd_create", fd);
	if (fd < 0)
		die("timerfd_create");
	report_bool("timerfd_cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	report_bool("timerfd_nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	printf("timerfd_link: %s\n", fd_link(fd));
	report_err("timerfd_read_disarmed", read(fd, &n, sizeof(n)));
	report("timerfd_gettime_disarmed", timerfd_gettime(fd, &cur));
	report_bool("timerfd_disarmed_zero",
		    ts_sec(&cur.it_value) == 0 && ts_sec(&cur.it_interval) == 0);

	/* One shot, relative. */
	start = now_mono();
	report("timerfd_settime_50ms", timerfd_settime(fd, 0, &v, NULL));
	report("timerfd_gettime", timerfd_gettime(fd, &cur));
	report_bool("timerfd_gettime_value_in_range",
		    ts_sec(&cur.it_value) > 0 && ts_sec(&cur.it_value) <= 0.050);
	report_bool("timerfd_gettime_no_interval", ts_sec(&cur.it_interval) == 0);
	report_bool("timerfd_not_ready_at_once", !readable_within(fd, 0));
	report_bool("timerfd_poll_ready", readable_within(fd, 5000));
	report_bool("timerfd_poll_after_50ms", now_mono() - start >= 0.050);
	report("timerfd_read", read_u64(fd, &n));
	report_long("timerfd_expirations", (long)n);
	report_err("timerfd_read_again", read(fd, &n, sizeof(n)));
	report("timerfd_gettime_expired", timerfd_gettime(fd, &cur));
	report_bool("timerfd_expired_value_zero", ts_sec(&cur.it_value) == 0);

	/* Interval: 10 ms periods for at least 105 ms. */
	v = its(10, 10);
	report("timerfd_settime_interval", timerfd_settime(fd, 0, &v, NULL));
	sleep_ms(105);
	report("timerfd_read_interval", read_u64(fd, &n));
	report_bool("timerfd_interval_at_least_10", n >= 10);
	report_bool("timerfd_interval_below_1000", n < 1000);
	report("timerfd_gettime_interval", timerfd_gettime(fd, &cur));
	report_bool("timerfd_interval_reported", cur.it_interval.tv_nsec == 10 * MS);
	report_bool("timerfd_interval_next_within_period", ts_sec(&cur.it_value) <= 0.010);
	/* Setting returns the old value and resets the count; 0 disarms. */
	v = its(0, 0);
	report("timerfd_disarm", timerfd_settime(fd, 0, &v, &old));
	report_bool("timerfd_old_interval", old.it_interval.tv_nsec == 10 * MS);
	report_err("timerfd_read_after_disarm", read(fd, &n, sizeof(n)));
	report("timerfd_gettime_after_disarm", timerfd_gettime(fd, &cur));
	report_bool("timerfd_disarm_zero",
		    ts_sec(&cur.it_value) == 0 && ts_sec(&cur.it_interval) == 0);

	/* Absolute time in the past with an interval: due at once, with every period counted. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	v = its(0, 100);
	v.it_value = now;
	v.it_value.tv_sec -= 1;
	report("timerfd_settime_abs_past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &v, NULL));
	report("timerfd_read_abs_past", read_u64(fd, &n));
	report_bool("timerfd_abs_past_counts_periods", n >= 10 && n < 20);
	close(fd);

	/* Blocking read on CLOCK_REALTIME with an absolute time. */
	fd = timerfd_create(CLOCK_REALTIME, 0);
	report("timerfd_create_realtime", fd);
	clock_gettime(CLOCK_REALTIME, &now);
	v = its(0, 0);
	v.it_value.tv_sec = now.tv_sec + (now.tv_nsec + 30 * MS) / 1000000000L;
	v.it_value.tv_nsec = (now.tv_nsec + 30 * MS) % 1000000000L;
	start = now_mono();
	report("timerfd_settime_abs", timerfd_settime(fd, TFD_TIMER_ABSTIME, &v, NULL));
	report("timerfd_blocking_read", read_u64(fd, &n));
	report_long("timerfd_blocking_expirations", (long)n);
	report_bool("timerfd_blocked_25ms", now_mono() - start >= 0.025);
	report_err("timerfd_short_read", read(fd, small, sizeof(small)));
	report_err("timerfd_write", write(fd, &n, sizeof(n)));
	close(fd);

	/* CLOCK_BOOTTIME, through epoll. */
	fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	report("timerfd_create_boottime", fd);
	efd = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, out;
	report("timerfd_epoll_add", epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev));
	report_long("timerfd_epoll_before", epoll_wait(efd, &out, 1, 0));
	v = its(30, 0);
	timerfd_settime(fd, 0, &v, NULL);
	report_long("timerfd_epoll_wait", epoll_wait(efd, &out, 1, 5000));
	report_bool("timerfd_epoll_event", out.events == EPOLLIN && out.data.u32 == 7);
	report("timerfd_epoll_read", read_u64(fd, &n));
	report_long("timerfd_epoll_expirations", (long)n);
	report_long("timerfd_epoll_after_read", epoll_wait(efd, &out, 1, 0));
	close(efd);

	/* Errors. */
	v = its(10, 0);
	report_err("timerfd_create_bad_clock", timerfd_create(12345, 0));
	report_err("timerfd_create_bad_flags", timerfd_create(CLOCK_MONOTONIC, 0x1));
	report_err("timerfd_settime_bad_flags", timerfd_settime(fd, 0x100, &v, NULL));
	v.it_value.tv_nsec = 1000000000L;
	report_err("timerfd_settime_bad_nsec", timerfd_settime(fd, 0, &v, NULL));
	v = its(10, 0);
	report_err("timerfd_settime_bad_fd", timerfd_settime(999, 0, &v, NULL));
	if (pipe(pfd) != 0)
		die("pipe");
	report_err("timerfd_settime_pipe", timerfd_settime(pfd[0], 0, &v, NULL));
	report_err("timerfd_gettime_pipe", timerfd_gettime(pfd[0], &cur));
	report_err("timerfd_settime_efault", timerfd_settime(fd, 0, (void *)8, NULL));
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static void test_memfd(void)
{
	char buf[64] = { 0 }, longname[300];
	struct stat st;
	const char *link;
	int fd, fd2;
	pid_t pid;

	fd = memfd_create("anonfd-test", MFD_CLOEXEC);
	report("memfd_create", fd);
	if (fd < 0)
		die("memfd_create");
	report_bool("memfd_cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	report_bool("memfd_rdwr", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	link = fd_link(fd);
	report_bool("memfd_link_prefix", strncmp(link, "/memfd:", 7) == 0);
	printf("memfd_link: %s\n", link);
	report("memfd_fstat", fstat(fd, &st));
	report_bool("memfd_is_regular", S_ISREG(st.st_mode));
	report_long("memfd_size_empty", (long)st.st_size);

	report_long("memfd_write", write(fd, "hello memfd", 11));
	report_long("memfd_pread", pread(fd, buf, sizeof(buf), 0));
	printf("memfd_data: %s\n", buf);
	report_long("memfd_lseek_end", lseek(fd, 0, SEEK_END));

	/* Grow, map shared, write through the map and through write() in a child. */
	report("memfd_ftruncate_grow", ftruncate(fd, 8192));
	fstat(fd, &st);
	report_long("memfd_size_grown", (long)st.st_size);
	char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	report_bool("memfd_mmap_shared", map != MAP_FAILED);
	if (map == MAP_FAILED)
		die("mmap");
	report_bool("memfd_map_sees_data", memcmp(map, "hello memfd", 11) == 0);
	memcpy(map + 100, "via-map", 7);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 7, 100);
	printf("memfd_read_of_map: %s\n", buf);
	pid = fork();
	if (pid == 0) {
		char *m2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		memcpy(map + 200, "child-inherited-map", 19);
		if (m2 != MAP_FAILED)
			memcpy(m2 + 300, "child-new-map", 13);
		if (pwrite(fd, "child-write", 11, 4096) != 11)
			_exit(2);
		_exit(m2 == MAP_FAILED ? 3 : 0);
	}
	printf("memfd_child: %s\n", wait_str(pid));
	printf("memfd_parent_sees_inherited_map: %.19s\n", map + 200);
	printf("memfd_parent_sees_child_map: %.13s\n", map + 300);
	printf("memfd_parent_map_sees_child_write: %.11s\n", map + 4096);

	/* A program exec'd with the fd writes at the shared position (11, after "hello memfd"). */
	pid = fork();
	if (pid == 0) {
		if (dup2(fd, 9) != 9)
			_exit(2);
		execl("/bin/sh", "sh", "-c", "echo from-exec >&9", (char *)NULL);
		_exit(127);
	}
	printf("memfd_exec_child: %s\n", wait_str(pid));
	printf("memfd_map_sees_exec_write: %.9s\n", map + 11);

	/* Another open file description of the same memfd, through /proc. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDONLY);
	report("memfd_reopen_proc", fd2);
	memset(buf, 0, sizeof(buf));
	report_long("memfd_reopen_read", read(fd2, buf, 11));
	printf("memfd_reopen_data: %s\n", buf);
	close(fd2);

	/* Shrink. */
	munmap(map, 8192);
	report("memfd_ftruncate_shrink", ftruncate(fd, 5));
	fstat(fd, &st);
	report_long("memfd_size_shrunk", (long)st.st_size);
	report_long("memfd_read_past_end", pread(fd, buf, sizeof(buf), 100));
	close(fd);

	/* Sealing is optional here: print only as a comment. */
	fd = memfd_create("sealed", MFD_ALLOW_SEALING);
	report("memfd_create_allow_sealing", fd);
	int seals = fcntl(fd, F_GET_SEALS);
	printf("# memfd F_GET_SEALS: %d %s\n", seals, seals < 0 ? errname(errno) : "");
	close(fd);

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	report_err("memfd_create_long_name", memfd_create(longname, 0));
	report_err("memfd_create_bad_flags", memfd_create("x", 0x100));
	report_err("memfd_create_efault", memfd_create((const char *)8, 0));
}

static void report_ssi(const char *what, const struct signalfd_siginfo *ssi)
{
	printf("%s: signo %s code %d\n", what, sigabbrev_np((int)ssi->ssi_signo) ?: "?",
	       ssi->ssi_code);
}

static void test_signalfd(void)
{
	struct signalfd_siginfo ssi[2];
	sigset_t mask, usr2, both, chld;
	int sfd, sfd2, efd, pfd[2];
	pid_t pid;
	ssize_t n;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	both = mask;
	sigaddset(&both, SIGUSR2);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigaddset(&both, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &both, NULL) != 0)
		die("sigprocmask");
	sigdelset(&both, SIGCHLD);

	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	report("signalfd_create", sfd);
	if (sfd < 0)
		die("signalfd");
	report_bool("signalfd_cloexec", fcntl(sfd, F_GETFD) == FD_CLOEXEC);
	report_bool("signalfd_nonblock", (fcntl(sfd, F_GETFL) & O_NONBLOCK) != 0);
	printf("signalfd_link: %s\n", fd_link(sfd));
	report_err("signalfd_read_empty", read(sfd, ssi, sizeof(ssi[0])));
	report_bool("signalfd_not_ready", !readable_within(sfd, 0));

	report("signalfd_kill_self", kill(getpid(), SIGUSR1));
	report_bool("signalfd_ready_after_kill", readable_within(sfd, 0));
	report_err("signalfd_short_read", read(sfd, ssi, 64));
	n = read(sfd, ssi, sizeof(ssi));
	report_long("signalfd_read", n);
	report_ssi("signalfd_record", &ssi[0]);
	report_bool("signalfd_ssi_pid_is_self", ssi[0].ssi_pid == (uint32_t)getpid());
	report_bool("signalfd_ssi_uid_is_self", ssi[0].ssi_uid == getuid());
	report_err("signalfd_read_drained", read(sfd, ssi, sizeof(ssi)));
	report_bool("signalfd_not_ready_drained", !readable_within(sfd, 0));

	/* A new mask on the same fd: SIGUSR1 stays pending, unread. */
	report_long("signalfd_update_returns_fd", signalfd(sfd, &usr2, 0) == sfd);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR2);
	n = read(sfd, ssi, sizeof(ssi));
	report_long("signalfd_read_usr2_only", n);
	report_ssi("signalfd_record_usr2", &ssi[0]);
	sigset_t pending;
	sigpending(&pending);
	report_bool("signalfd_usr1_still_pending", sigismember(&pending, SIGUSR1));
	signalfd(sfd, &both, 0);
	kill(getpid(), SIGUSR2);
	n = read(sfd, ssi, sizeof(ssi));
	report_long("signalfd_read_two", n);
	report_ssi("signalfd_record_first", &ssi[0]);
	report_ssi("signalfd_record_second", &ssi[1]);

	/* sigqueue's value. */
	union sigval val = { .sival_int = 42 };
	report("signalfd_sigqueue", sigqueue(getpid(), SIGUSR1, val));
	n = read(sfd, ssi, sizeof(ssi[0]));
	report_long("signalfd_read_queued", n);
	report_ssi("signalfd_record_queued", &ssi[0]);
	report_long("signalfd_ssi_int", ssi[0].ssi_int);

	/* A blocking signalfd, woken by another process's kill. */
	sfd2 = signalfd(-1, &mask, 0);
	report("signalfd_create_blocking", sfd2);
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	n = read(sfd2, ssi, sizeof(ssi));
	report_long("signalfd_blocking_read", n);
	report_ssi("signalfd_record_from_child", &ssi[0]);
	report_bool("signalfd_ssi_pid_is_child", ssi[0].ssi_pid == (uint32_t)pid);
	printf("signalfd_child: %s\n", wait_str(pid));

	/* epoll on a signalfd, woken by another process's kill. */
	efd = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 9 }, out;
	report("signalfd_epoll_add", epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev));
	report_long("signalfd_epoll_before", epoll_wait(efd, &out, 1, 0));
	pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(getppid(), SIGUSR2);
		_exit(0);
	}
	report_long("signalfd_epoll_wait", epoll_wait(efd, &out, 1, 5000));
	report_bool("signalfd_epoll_event", out.events == EPOLLIN && out.data.u32 == 9);
	n = read(sfd, ssi, sizeof(ssi));
	report_ssi("signalfd_record_epoll", &ssi[0]);
	printf("signalfd_epoll_child: %s\n", wait_str(pid));
	close(efd);

	/* SIGCHLD: the child's pid and exit status. Earlier children's SIGCHLD is dropped first. */
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&chld, NULL, &zero) > 0)
		;
	signalfd(sfd2, &chld, 0);
	pid = fork();
	if (pid == 0)
		_exit(7);
	n = read(sfd2, ssi, sizeof(ssi));
	report_long("signalfd_read_sigchld", n);
	report_ssi("signalfd_record_sigchld", &ssi[0]);
	report_bool("signalfd_sigchld_pid", ssi[0].ssi_pid == (uint32_t)pid);
	report_long("signalfd_sigchld_status", ssi[0].ssi_status);
	printf("signalfd_sigchld_child: %s\n", wait_str(pid));
	close(sfd2);

	/* Errors. */
	report_err("signalfd_bad_size", syscall(SYS_signalfd4, -1, &mask, 4, 0));
	report_err("signalfd_bad_flags", signalfd(-1, &mask, 0x1));
	report_err("signalfd_bad_fd", signalfd(999, &mask, 0));
	if (pipe(pfd) != 0)
		die("pipe");
	report_err("signalfd_on_pipe", signalfd(pfd[0], &mask, 0));
	report_err("signalfd_write", write(sfd, ssi, sizeof(ssi[0])));
	close(pfd[0]);
	close(pfd[1]);
	close(sfd);
}

int main(void)
{
	guest_init();
	test_timerfd();
	test_memfd();
	test_signalfd();
	return 0;
}
