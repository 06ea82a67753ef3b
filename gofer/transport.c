/* Moving whole gofer messages and their donated fds over the Unix socket. */
#include "gofer/transport.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gofer/proto.h"
#include "lib/util.h"

/* Room for more fds than allowed, so that extra ones arrive (and are closed) rather than
 * being dropped silently by the kernel. */
#define RECV_FDS_MAX 8

union cmsg_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(RECV_FDS_MAX * sizeof(int))];
};

int gofer_sock_is_stream(int sock, bool *stream)
{
	int type;
	socklen_t len = sizeof(type);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	if (type != SOCK_STREAM && type != SOCK_SEQPACKET)
		return -EPROTOTYPE;
	*stream = type == SOCK_STREAM;
	return 0;
}

int gofer_send_msg(int sock, bool stream, const uint8_t *buf, size_t len, int fd)
{
	size_t done = 0;

	while (done < len) {
		union cmsg_buf cb;
		struct iovec iov = { .iov_base = (void *)(buf + done), .iov_len = len - done };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		/* On a stream, the fd rides with the first byte. */
		if (fd >= 0 && done == 0) {
			struct cmsghdr *cm;

			memset(&cb, 0, sizeof(cb));
			mh.msg_control = cb.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		}
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A record socket sends all or nothing. */
		if (!stream && (size_t)n != len)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Collects the fds of one recvmsg into *fd; anything but a single fd per message is a
 * violation, and every fd beyond the first is closed at once. */
static int take_fds(struct msghdr *mh, int *fd)
{
	int ret = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			ret = -EBADMSG;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*fd < 0) {
				*fd = f;
			} else {
				close(f);
				ret = -EBADMSG;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		ret = -EBADMSG;
	return ret;
}

static ssize_t recv_once(int sock, void *p, size_t n, int *fd, int *msg_flags)
{
	for (;;) {
		union cmsg_buf cb;
		struct iovec iov = { .iov_base = p, .iov_len = n };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cb.buf,
			.msg_controllen = sizeof(cb.buf),
		};
		ssize_t got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		int ret;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = take_fds(&mh, fd);
		if (ret < 0)
			return ret;
		*msg_flags = mh.msg_flags;
		return got;
	}
}

/* A stream has no records: read the header, then as many bytes as it announces. */
static ssize_t recv_stream(int sock, uint8_t *buf, size_t cap, int *fd)
{
	size_t have = 0, want = GOFER_HDR_SIZE;

	while (have < want) {
		int flags;
		ssize_t n = recv_once(sock, buf + have, want - have, fd, &flags);

		if (n < 0)
			return n;
		if (n == 0)
			return have == 0 ? 0 : -EBADMSG;
		have += (size_t)n;
		if (have == GOFER_HDR_SIZE && want == GOFER_HDR_SIZE) {
			uint32_t size;

			if (gofer_msg_size(buf, have, &size) < 0 || size > cap)
				return -EBADMSG;
			want = size;
		}
	}
	return (ssize_t)have;
}

static ssize_t recv_record(int sock, uint8_t *buf, size_t cap, int *fd)
{
	int flags;
	uint32_t size;
	ssize_t n = recv_once(sock, buf, cap, fd, &flags);

	if (n <= 0)
		return n;
	if ((flags & MSG_TRUNC) || gofer_msg_size(buf, (size_t)n, &size) < 0 ||
	    size != (size_t)n)
		return -EBADMSG;
	return n;
}

ssize_t gofer_recv_msg(int sock, bool stream, uint8_t *buf, size_t cap, int *fd)
{
	ssize_t n;

	*fd = -1;
	n = stream ? recv_stream(sock, buf, cap, fd) : recv_record(sock, buf, cap, fd);
	if (n <= 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return n;
}
