/* Guest test: pseudo-terminals — /dev/ptmx and /dev/pts/N, the line discipline (canonical line
 * editing, echo, ONLCR, raw mode and VMIN/VTIME), window sizes, controlling terminals and job
 * control signals (^C to the foreground group, SIGTTIN to a background reader, SIGWINCH,
 * SIGHUP when the master goes). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "guest.h"

/* Opens a master and its replica (unlocked, O_NOCTTY). */
static void open_pair(int *m, int *s)
{
	*m = posix_openpt(O_RDWR | O_NOCTTY);
	if (*m < 0 || grantpt(*m) != 0 || unlockpt(*m) != 0)
		die("posix_openpt");
	*s = open(ptsname(*m), O_RDWR | O_NOCTTY);
	if (*s < 0)
		die("open %s", ptsname(*m));
}

/* Everything the master has to read until it stays quiet for 200 ms. */
static int drain(int fd, char *buf, size_t len)
{
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n < len && poll(&p, 1, 200) == 1 && (p.revents & POLLIN)) {
		ssize_t k = read(fd, buf + n, len - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	return (int)n;
}

/* Prints bytes with C escapes, so that control bytes show. */
static void show(const char *name, const char *buf, int n)
{
	printf("%s: \"", name);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n')
			printf("\\n");
		else if (c == '\r')
			printf("\\r");
		else if (c == '\b')
			printf("\\b");
		else if (c < 32 || c >= 127)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\" (%d)\n", n);
}

static void put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die("write");
}

static void basics(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s, locked;
	char name[64], *tty;
	unsigned int n;

	report("posix_openpt", m);
	report("grantpt", grantpt(m));
	snprintf(name, sizeof(name), "%s", ptsname(m));
	report_bool("ptsname_in_dev_pts", !strncmp(name, "/dev/pts/", 9));
	report("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
	report_bool("TIOCGPTN_matches_ptsname", (unsigned int)atoi(name + 9) == n);
	report("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &locked));
	report_long("locked_before_unlockpt", locked);
	report_err("open_locked_replica", open(name, O_RDWR | O_NOCTTY));
	report("unlockpt", unlockpt(m));
	s = open(name, O_RDWR | O_NOCTTY);
	report("open_replica", s);
	report_bool("isatty_master", isatty(m));
	report_bool("isatty_replica", isatty(s));
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	errno = 0;
	report_bool("isatty_pipe", isatty(p[0]));
	printf("isatty_pipe_errno: %s\n", errname(errno));
	struct termios t;
	report_err("tcgetattr_pipe", tcgetattr(p[0], &t));
	close(p[0]);
	close(p[1]);
	tty = ttyname(s);
	report_bool("ttyname_is_ptsname", tty && !strcmp(tty, name));
	struct stat st;
	report("stat_replica", stat(name, &st));
	report_bool("replica_is_chr", S_ISCHR(st.st_mode));
	report_bool("dev_ptmx_exists", access("/dev/ptmx", F_OK) == 0);
	report_bool("dev_pts_ptmx_exists", access("/dev/pts/ptmx", F_OK) == 0);
	report_err("TIOCGPTN_on_replica", ioctl(s, TIOCGPTN, &n));
	close(s);
	char c;
	report_err("master_read_after_replica_closed", read(m, &c, 1));
	close(m);
	report_err("stat_after_master_closed", stat(name, &st));
}

static void termios_defaults(void)
{
	int m, s;
	struct termios t;

	open_pair(&m, &s);
	report("tcgetattr", tcgetattr(s, &t));
	printf("iflag: %#o\n", t.c_iflag);
	printf("oflag: %#o\n", t.c_oflag);
	printf("lflag: %#o\n", t.c_lflag);
	printf("cflag_csize_cread: %#o\n", t.c_cflag & (CSIZE | CREAD));
	printf("cc: intr=%d quit=%d erase=%d kill=%d eof=%d min=%d time=%d susp=%d werase=%d\n",
	       t.c_cc[VINTR], t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF],
	       t.c_cc[VMIN], t.c_cc[VTIME], t.c_cc[VSUSP], t.c_cc[VWERASE]);
	report("tcgetattr_master", tcgetattr(m, &t));
	printf("master_lflag_echo: %s\n", t.c_lflag & ECHO ? "yes" : "no");
	close(s);
	close(m);
}

static void canonical(void)
{
	int m, s, n;
	char buf[256];

	open_pair(&m, &s);
	put(m, "abc\177d\n");
	n = (int)read(s, buf, sizeof(buf));
	show("erase_line", buf, n);
	show("erase_echo", buf, drain(m, buf, sizeof(buf)));

	put(m, "xyz\025ok\n");
	n = (int)read(s, buf, sizeof(buf));
	show("kill_line", buf, n);
	show("kill_echo", buf, drain(m, buf, sizeof(buf)));

	put(m, "foo bar\027baz\n");
	n = (int)read(s, buf, sizeof(buf));
	show("werase_line", buf, n);
	show("werase_echo", buf, drain(m, buf, sizeof(buf)));

	/* A line is read in pieces; the next read starts after it. */
	put(m, "hello\nworld\n");
	n = (int)read(s, buf, 3);
	show("partial_1", buf, n);
	n = (int)read(s, buf, sizeof(buf));
	show("partial_2", buf, n);
	n = (int)read(s, buf, sizeof(buf));
	show("next_line", buf, n);
	drain(m, buf, sizeof(buf));

	put(m, "ab\004");
	n = (int)read(s, buf, sizeof(buf));
	show("eof_after_text", buf, n);
	put(m, "\004");
	report_long("eof_at_line_start", read(s, buf, sizeof(buf)));
	drain(m, buf, sizeof(buf));

	put(m, "q\r");
	n = (int)read(s, buf, sizeof(buf));
	show("icrnl", buf, n);
	show("icrnl_echo", buf, drain(m, buf, sizeof(buf)));

	put(m, "\001b\n");
	n = (int)read(s, buf, sizeof(buf));
	show("ctl_line", buf, n);
	show("echoctl", buf, drain(m, buf, sizeof(buf)));

	put(m, "four\n");
	int avail = -1;
	drain(m, buf, sizeof(buf));
	report("FIONREAD", ioctl(s, FIONREAD, &avail));
	report_long("fionread_bytes", avail);
	report("tcflush", tcflush(s, TCIFLUSH));
	ioctl(s, FIONREAD, &avail);
	report_long("fionread_after_flush", avail);

	/* Output: ONLCR, then without OPOST. */
	put(s, "hi\n");
	show("onlcr", buf, drain(m, buf, sizeof(buf)));
	struct termios t;
	tcgetattr(s, &t);
	t.c_oflag &= ~OPOST;
	tcsetattr(s, TCSANOW, &t);
	put(s, "hi\n");
	show("no_opost", buf, drain(m, buf, sizeof(buf)));

	/* No echo: the master hears nothing. */
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	put(m, "secret\n");
	n = (int)read(s, buf, sizeof(buf));
	show("noecho_line", buf, n);
	show("noecho_echo", buf, drain(m, buf, sizeof(buf)));
	close(s);
	close(m);
}

static void raw_mode(void)
{
	int m, s, n;
	char buf[256];
	struct termios t;

	open_pair(&m, &s);
	tcgetattr(s, &t);
	cfmakeraw(&t);
	report("cfmakeraw_tcsetattr", tcsetattr(s, TCSANOW, &t));
	put(m, "a\rb\003\177");
	usleep(100000);
	n = (int)read(s, buf, sizeof(buf));
	show("raw_bytes", buf, n);
	show("raw_echo", buf, drain(m, buf, sizeof(buf)));

	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	report_long("vmin0_vtime0_empty", read(s, buf, sizeof(buf)));
	t.c_cc[VTIME] = 2;
	tcsetattr(s, TCSANOW, &t);
	report_long("vtime_timeout", read(s, buf, sizeof(buf)));
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	if (fork() == 0) {
		usleep(50000);
		put(m, "x");
		usleep(50000);
		put(m, "yz");
		_exit(0);
	}
	n = (int)read(s, buf, sizeof(buf));
	show("vmin3", buf, n);
	wait(NULL);
	fcntl(s, F_SETFL, O_NONBLOCK);
	report_err("nonblock_empty", read(s, buf, sizeof(buf)));
	close(s);
	close(m);
}

static void window_size(void)
{
	int m, s;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 }, got = { 0 };

	open_pair(&m, &s);
	report("TIOCGWINSZ_initial", ioctl(s, TIOCGWINSZ, &got));
	printf("initial: %dx%d\n", got.ws_row, got.ws_col);
	report("TIOCSWINSZ_master", ioctl(m, TIOCSWINSZ, &ws));
	ioctl(s, TIOCGWINSZ, &got);
	printf("replica_sees: %dx%d\n", got.ws_row, got.ws_col);
	ws.ws_row = 50;
	ws.ws_col = 132;
	report("TIOCSWINSZ_replica", ioctl(s, TIOCSWINSZ, &ws));
	ioctl(m, TIOCGWINSZ, &got);
	printf("master_sees: %dx%d\n", got.ws_row, got.ws_col);
	close(s);
	close(m);
}

static volatile sig_atomic_t got[65];

static void on_signal(int sig)
{
	got[sig]++;
}

static void catch (int sig)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	sigaction(sig, &sa, NULL);
}

/* Waits up to a second for sig to have come. */
static bool await(int sig)
{
	for (int i = 0; i < 100 && !got[sig]; i++)
		usleep(10000);
	return got[sig] != 0;
}

static void sync_wait(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		_exit(3);
}

static void sync_post(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(3);
}

/*
 * A session with the pty as its controlling terminal: the child is the session leader, the
 * parent drives the master. Steps alternate through two pipes.
 */
static void job_control(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), to_child[2], to_parent[2];
	char name[64], buf[256];

	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || pipe(to_child) || pipe(to_parent))
		die("setup");
	snprintf(name, sizeof(name), "%s", ptsname(m));
	pid_t pid = fork();
	if (pid == 0) {
		close(m);
		catch (SIGINT);
		catch (SIGWINCH);
		catch (SIGHUP);
		catch (SIGTTIN);
		report("setsid", setsid());
		report_err("dev_tty_without_ctty", open("/dev/tty", O_RDWR));
		int s = open(name, O_RDWR | O_NOCTTY);
		pid_t pg = -2;
		report_err("TIOCGPGRP_not_ctty", ioctl(s, TIOCGPGRP, &pg));
		close(s);
		s = open(name, O_RDWR); /* a session leader's open: its controlling terminal */
		report("open_acquires_ctty", s);
		report_bool("tcgetpgrp_is_own_group", tcgetpgrp(s) == getpgrp());
		report_bool("tcgetsid_is_own_session", tcgetsid(s) == getsid(0));
		int t = open("/dev/tty", O_RDWR);
		report("dev_tty_with_ctty", t);
		report_bool("dev_tty_isatty", isatty(t));
		close(t);
		report_err("TIOCSPGRP_no_such_group", tcsetpgrp(s, 99999));

		sync_post(to_parent[1]); /* ready for ^C */
		report_bool("sigint_from_ctrl_c", await(SIGINT));
		sync_post(to_parent[1]); /* ready for the resize */
		report_bool("sigwinch_from_resize", await(SIGWINCH));

		/* A background group reading its terminal gets SIGTTIN. */
		pid_t bg = fork();
		if (bg == 0) {
			setpgid(0, 0);
			errno = 0;
			ssize_t n = read(s, buf, 1);
			printf("background_read: %zd %s, sigttin: %d\n", n, errname(errno),
			       (int)got[SIGTTIN]);
			signal(SIGTTIN, SIG_IGN);
			report_err("background_read_sigttin_ignored", read(s, buf, 1));
			_exit(0);
		}
		printf("background_child: %s\n", wait_str(bg));
		sync_post(to_parent[1]); /* ready for the hangup */
		report_bool("sighup_when_master_closes", await(SIGHUP));
		report_long("read_after_hangup", read(s, buf, sizeof(buf)));
		report_err("write_after_hangup", write(s, "x", 1));
		_exit(0);
	}
	sync_wait(to_parent[0]);
	put(m, "\003");
	sync_wait(to_parent[0]);
	show("ctrl_c_echo", buf, drain(m, buf, sizeof(buf)));
	struct winsize ws = { .ws_row = 30, .ws_col = 100 };
	ioctl(m, TIOCSWINSZ, &ws);
	sync_wait(to_parent[0]);
	close(m);
	printf("session_child: %s\n", wait_str(pid));
}

int main(void)
{
	guest_init();
	basics();
	termios_defaults();
	canonical();
	raw_mode();
	window_size();
	job_control();
	return 0;
}
