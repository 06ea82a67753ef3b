/*
 * A console-socket receiver for tests, as a runc caller (conmon, containerd's shim) is one:
 * listens on SOCKET, takes the terminal master runsc sends, then plays a script on it and
 * copies everything the terminal prints to stdout.
 *
 * usage: console-recv SOCKET STEP...
 *   send:TEXT     write TEXT (escapes \r \n \\ \xHH) to the master
 *   expect:TEXT   read until the output after the last match contains TEXT (10 s at most)
 *   winsize:R:C   set the window size on the master
 *   sleep:MS      wait, copying output
 *   eof           read until the terminal hangs up (EIO: the container is gone)
 * Exits 0 when every step succeeded, 2 when one timed out or failed, 1 on a setup error.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STEP_TIMEOUT_MS 10000

static char seen[1 << 16]; /* output since the last successful expect */
static size_t nseen;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there within wait_ms; -1 at the terminal's hangup. */
static int pump(int m, int wait_ms)
{
	struct pollfd p = { .fd = m, .events = POLLIN };
	char buf[4096];
	if (poll(&p, 1, wait_ms) <= 0)
		return 0;
	ssize_t n = read(m, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
		return -1;
	fflush(stdout);
	size_t keep = sizeof(seen) - 1;
	if (nseen + (size_t)n > keep) {
		size_t drop = nseen + (size_t)n - keep;
		drop = drop > nseen ? nseen : drop;
		memmove(seen, seen + drop, nseen - drop);
		nseen -= drop;
	}
	memcpy(seen + nseen, buf, (size_t)n);
	nseen += (size_t)n;
	seen[nseen] = 0;
	return (int)n;
}

static size_t unescape(const char *s, char *out)
{
	size_t n = 0;
	while (*s) {
		if (*s != '\\' || !s[1]) {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'x': {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			out[n++] = (char)strtol(hex, NULL, 16);
			s += 2;
			break;
		}
		default:
			out[n++] = *s;
		}
		s++;
	}
	return n;
}

static int receive_master(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char name[4096], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { name, sizeof(name) - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	int s = socket(AF_UNIX, SOCK_STREAM, 0), c, m;

	if (s < 0 || strlen(path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, path);
	unlink(path);
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 1) < 0)
		return -1;
	struct pollfd p = { .fd = s, .events = POLLIN };
	if (poll(&p, 1, 60000) != 1 || (c = accept(s, NULL, NULL)) < 0)
		return -1;
	ssize_t n = recvmsg(c, &msg, 0);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&m, CMSG_DATA(cm), sizeof(m));
	name[n] = 0;
	fprintf(stderr, "console-recv: got the master, named %s\n", name);
	close(c);
	close(s);
	unlink(path);
	return m;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: console-recv SOCKET STEP...\n");
		return 1;
	}
	int m = receive_master(argv[1]);
	if (m < 0) {
		perror("console-recv: receiving the master");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		const char *step = argv[i];
		char text[4096];
		bool ok = true;
		if (!strncmp(step, "send:", 5)) {
			size_t n = unescape(step + 5, text);
			ok = write(m, text, n) == (ssize_t)n;
		} else if (!strncmp(step, "expect:", 7)) {
			size_t n = unescape(step + 7, text);
			text[n] = 0;
			long end = now_ms() + STEP_TIMEOUT_MS;
			while (!strstr(seen, text) && now_ms() < end)
				if (pump(m, 100) < 0)
					break;
			char *at = strstr(seen, text);
			ok = at != NULL;
			if (ok) {
				/* What came after the match is for the next expect. */
				size_t rest = nseen - (size_t)(at - seen) - n;
				memmove(seen, at + n, rest + 1);
				nseen = rest;
			}
		} else if (!strncmp(step, "winsize:", 8)) {
			struct winsize ws = { 0 };
			ws.ws_row = (unsigned short)atoi(step + 8);
			const char *c = strchr(step + 8, ':');
			ws.ws_col = c ? (unsigned short)atoi(c + 1) : 0;
			ok = ioctl(m, TIOCSWINSZ, &ws) == 0;
		} else if (!strncmp(step, "sleep:", 6)) {
			long end = now_ms() + atol(step + 6);
			while (now_ms() < end && pump(m, 50) >= 0)
				;
		} else if (!strcmp(step, "eof")) {
			long end = now_ms() + STEP_TIMEOUT_MS;
			int r = 0;
			while (now_ms() < end && (r = pump(m, 100)) >= 0)
				;
			ok = r < 0;
		} else {
			fprintf(stderr, "console-recv: unknown step %s\n", step);
			return 1;
		}
		if (!ok) {
			fprintf(stderr, "\nconsole-recv: step %d (%s) failed\n", i - 1, step);
			return 2;
		}
	}
	return 0;
}
