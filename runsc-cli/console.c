/*
 * Consoles (runsc-cli/console.h): the host pty behind a container's terminal, the console
 * socket protocol (runc's utils.SendFile: the master in one SCM_RIGHTS message carrying its
 * name), and runsc run's own relay when it keeps the terminal itself.
 */
#include "runsc-cli/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

/* The name runc sends with the master (containerd/console opens it as "/dev/ptmx"). */
#define CONSOLE_MASTER_NAME "/dev/ptmx"
#define RELAY_POLL_MS 200
#define RELAY_DRAIN_SECONDS 2

/* A pty pair: the replica in raw mode (only the sentry's line discipline acts on bytes). */
static int open_pty(unsigned short rows, unsigned short cols, int *master, int *replica,
		    struct cli_error **err)
{
	char name[64];
	struct termios tio;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), r;

	if (m < 0)
		return cli_error_errno(err, errno, 1, "cannot allocate a terminal");
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
		cli_error_errno(err, errno, 1, "cannot allocate a terminal");
		close(m);
		return -1;
	}
	r = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (r < 0) {
		cli_error_errno(err, errno, 1, "cannot open the terminal %s", name);
		close(m);
		return -1;
	}
	if (tcgetattr(r, &tio) < 0 || (cfmakeraw(&tio), tcsetattr(r, TCSANOW, &tio) < 0)) {
		cli_error_errno(err, errno, 1, "cannot set up the terminal %s", name);
		close(r);
		close(m);
		return -1;
	}
	if (rows && cols) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		ioctl(m, TIOCSWINSZ, &ws);
	}
	*master = m;
	*replica = r;
	return 0;
}

static int send_master(const char *socket_path, int master, struct cli_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)CONSOLE_MASTER_NAME, strlen(CONSOLE_MASTER_NAME) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int s, r;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return cli_error(err, 1, "--console-socket %s: the path is too long", socket_path);
	strcpy(addr.sun_path, socket_path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return cli_error_errno(err, errno, 1, "--console-socket %s", socket_path);
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		cli_error_errno(err, errno, 1, "--console-socket %s: cannot connect", socket_path);
		close(s);
		return -1;
	}
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	do
		r = (int)sendmsg(s, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		cli_error_errno(err, errno, 1, "--console-socket %s: cannot send the terminal",
				socket_path);
	close(s);
	return r < 0 ? -1 : 0;
}

int console_setup(const char *socket_path, unsigned short rows, unsigned short cols,
		  int *host_replica, struct cli_error **err)
{
	int master, replica;

	if (open_pty(rows, cols, &master, &replica, err) < 0)
		return -1;
	if (send_master(socket_path, master, err) < 0) {
		close(master);
		close(replica);
		return -1;
	}
	/* The receiver holds the master now: its closing is the terminal's hangup. */
	close(master);
	*host_replica = replica;
	return 0;
}

/* ---- runsc run's own relay ---- */

struct console_relay {
	int master;
	bool raw; /* runsc's stdin was put in raw mode: restore saved */
	struct termios saved;
	bool started;
	pthread_t in, out;
	int stop; /* atomic: the input thread ends */
};

int console_relay_master(const struct console_relay *r)
{
	return r->master;
}

int console_foreground_open(unsigned short rows, unsigned short cols, int *host_replica,
			    struct console_relay **out, struct cli_error **err)
{
	struct console_relay *r = calloc(1, sizeof(*r));
	struct winsize ws;

	if (!r)
		return cli_error(err, 1, "out of memory");
	/* runsc's own terminal gives the size when there is one. */
	if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	if (open_pty(rows, cols, &r->master, host_replica, err) < 0) {
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static bool write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* runsc's stdin → the master; the window size of runsc's terminal follows on each turn. */
static void *relay_in(void *arg)
{
	struct console_relay *r = arg;
	struct winsize last = { 0 }, ws;
	bool eof = false;
	char buf[4096];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

		if (r->raw && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    memcmp(&ws, &last, sizeof(ws))) {
			last = ws;
			ioctl(r->master, TIOCSWINSZ, &ws);
		}
		if (eof || poll(&p, 1, RELAY_POLL_MS) <= 0) {
			if (eof)
				poll(NULL, 0, RELAY_POLL_MS);
			continue;
		}
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || !write_all(r->master, buf, (size_t)n))
			eof = true;
	}
	return NULL;
}

/* The master → runsc's stdout, until EIO: every holder of the replica is gone. */
static void *relay_out(void *arg)
{
	struct console_relay *r = arg;
	char buf[4096];

	for (;;) {
		ssize_t n = read(r->master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !write_all(STDOUT_FILENO, buf, (size_t)n))
			break;
	}
	return NULL;
}

int console_foreground_start(struct console_relay *r, struct cli_error **err)
{
	sigset_t all, old;
	int e;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &r->saved) == 0) {
		struct termios raw = r->saved;

		cfmakeraw(&raw);
		r->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	/* runsc's signal forwarding stays with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&r->out, NULL, relay_out, r);
	if (e == 0 && (e = pthread_create(&r->in, NULL, relay_in, r)) != 0) {
		pthread_cancel(r->out);
		pthread_join(r->out, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		if (r->raw)
			tcsetattr(STDIN_FILENO, TCSANOW, &r->saved);
		r->raw = false;
		return cli_error_errno(err, e, 1, "cannot relay the terminal");
	}
	r->started = true;
	return 0;
}

void console_foreground_finish(struct console_relay *r)
{
	if (!r)
		return;
	if (r->started) {
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += RELAY_DRAIN_SECONDS;
		/* The sandbox is gone: what it wrote is read out, then the master reads EIO. */
		if (pthread_timedjoin_np(r->out, NULL, &dl) != 0) {
			pthread_cancel(r->out);
			pthread_join(r->out, NULL);
		}
		__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
		pthread_join(r->in, NULL);
	}
	if (r->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &r->saved);
	close(r->master);
	free(r);
}
