/*
 * runsc's side of the control channel: the socket in the container's state directory, and
 * one request and reply per connection.
 */
#include "runsc-cli/control_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/control.h"

/* How long the sentry may take to answer before runsc gives up on it. */
#define CONTROL_REPLY_TIMEOUT_S 10

/*
 * The socket's address. State directories can be deeper than sun_path's 108 bytes
 * (containerd's are); then the path goes through /proc/self/fd of the open directory, which
 * the caller keeps open in *dirfd while it binds or connects.
 */
static int control_addr(const char *dir, struct sockaddr_un *addr, int *dirfd,
			struct cli_error **err)
{
	int n;

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	*dirfd = -1;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s", dir, CONTROL_SOCKET_NAME);
	if (n > 0 && (size_t)n < sizeof(addr->sun_path))
		return 0;
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return cli_error_errno(err, errno, 1, "cannot open %s", dir);
	snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd,
		 CONTROL_SOCKET_NAME);
	return 0;
}

int control_listen(const char *dir, struct cli_error **err)
{
	cleanup_close int fd = -1, dirfd = -1;
	struct sockaddr_un addr;

	if (control_addr(dir, &addr, &dirfd, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cli_error_errno(err, errno, 1, "control socket");
	unlink(addr.sun_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cli_error_errno(err, errno, 1, "cannot bind the control socket in %s", dir);
	if (chmod(addr.sun_path, 0600) < 0 || listen(fd, 16) < 0)
		return cli_error_errno(err, errno, 1, "cannot listen on the control socket in %s",
				       dir);
	return steal_fd(&fd);
}

/* A connection to the sentry of the container in dir, with the reply timeout set. */
static int control_connect(const char *dir, struct cli_error **err)
{
	cleanup_close int fd = -1, dirfd = -1;
	struct timeval tv = { .tv_sec = CONTROL_REPLY_TIMEOUT_S };
	struct sockaddr_un addr;

	if (control_addr(dir, &addr, &dirfd, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cli_error_errno(err, errno, 1, "control socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cli_error_errno(err, errno, 1, "cannot reach the sandbox");
	return steal_fd(&fd);
}

int control_request(const char *dir, const char *request, char **payload, struct cli_error **err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	ssize_t n;

	fd = control_connect(dir, err);
	if (fd < 0)
		return -1;
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0)
		return cli_error_errno(err, errno, 1, "cannot reach the sandbox");
	if (!(buf = malloc(CONTROL_REPLY_MAX + 1)))
		return cli_error(err, 1, "out of memory");
	do
		n = recv(fd, buf, CONTROL_REPLY_MAX, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cli_error_errno(err, errno == EAGAIN ? ETIMEDOUT : errno, 1,
				       "no answer from the sandbox");
	if (n == 0)
		return cli_error(err, 1, "the sandbox closed the control connection");
	buf[n] = 0;
	if (!strncmp(buf, "error ", 6))
		return cli_error(err, 1, "%s", buf + 6);
	if (strcmp(buf, "ok") && strncmp(buf, "ok\n", 3))
		return cli_error(err, 1, "malformed answer from the sandbox");
	if (payload && !(*payload = strdup(buf[2] ? buf + 3 : "")))
		return cli_error(err, 1, "out of memory");
	return 0;
}

int control_exec(const char *dir, const char *request, size_t len, const int *fds, int nfds,
		 int *pid, struct cli_error **err)
{
	union {
		char buf[CMSG_SPACE(CONTROL_EXEC_FDS * sizeof(int))];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = { (void *)request, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	cleanup_close int fd = -1;
	char reply[4608];
	int code, e, n_end = 0;
	ssize_t n;

	if (len > CONTROL_EXEC_MAX)
		return cli_error(err, 1, "the process's arguments and environment are too long");
	if (nfds > CONTROL_EXEC_FDS)
		return cli_error(err, 1, "too many fds for the process");
	fd = control_connect(dir, err);
	if (fd < 0)
		return -1;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&cmsg, 0, sizeof(cmsg));
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return cli_error_errno(err, errno, 1, "cannot reach the sandbox");
	do
		n = recv(fd, reply, sizeof(reply) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cli_error_errno(err, errno == EAGAIN ? ETIMEDOUT : errno, 1,
				       "no answer from the sandbox");
	if (n == 0)
		return cli_error(err, 1, "the sandbox closed the control connection");
	reply[n] = 0;
	if (!strncmp(reply, "error ", 6))
		return cli_error(err, 1, "%s", reply + 6);
	if (sscanf(reply, "cannot-exec %d %n", &e, &n_end) == 1 && n_end > 0) {
		/* As a shell says it: 127 for a program that is not there, 126 otherwise. */
		code = e == ENOENT ? 127 : 126;
		return cli_error(err, code, "exec failed: unable to start container process: %s",
				 reply + n_end);
	}
	if (sscanf(reply, "ok %d%n", pid, &n_end) != 1 || reply[n_end] != 0 || *pid <= 0)
		return cli_error(err, 1, "malformed answer from the sandbox");
	return steal_fd(&fd);
}

int control_exec_status(int conn)
{
	struct timeval none = { 0 };
	char msg[64];
	int status, end = 0;
	ssize_t n;

	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	do
		n = recv(conn, msg, sizeof(msg) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	msg[n] = 0;
	if (sscanf(msg, "exit %d%n", &status, &end) != 1 || msg[end] != 0)
		return -1;
	return status;
}
