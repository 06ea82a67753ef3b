/* Guest test: Unix-domain sockets — pairs, path and abstract names, accept across fork, SCM_RIGHTS
 * and SCM_CREDENTIALS, shutdown, EPIPE/SIGPIPE, EAGAIN, poll, options, and bad calls' errnos. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/select.h>
#include <time.h>
#include <linux/sockios.h>

#include "guest.h"

#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif

/* An address the compiler cannot prove bad: the calls must fail with EFAULT. */
static void *volatile bad_ptr = (void *)8;

static void pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type, 0, sv) != 0)
		die("socketpair %d", type);
}

/* Fills an address for path (a NUL-started name is abstract); returns its length. */
static socklen_t mkaddr(struct sockaddr_un *a, const char *path, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

static socklen_t pathaddr(struct sockaddr_un *a, const char *path)
{
	return mkaddr(a, path, strlen(path));
}

static int sock_int(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) != 0)
		return -errno;
	return v;
}

static const char *pollstr(short ev)
{
	static char buf[128];

	buf[0] = 0;
	if (ev & POLLIN)
		strcat(buf, "IN|");
	if (ev & POLLOUT)
		strcat(buf, "OUT|");
	if (ev & POLLHUP)
		strcat(buf, "HUP|");
	if (ev & POLLRDHUP)
		strcat(buf, "RDHUP|");
	if (ev & POLLERR)
		strcat(buf, "ERR|");
	if (ev & POLLNVAL)
		strcat(buf, "NVAL|");
	if (buf[0])
		buf[strlen(buf) - 1] = 0;
	else
		strcpy(buf, "0");
	return buf;
}

static void report_poll(const char *name, int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };

	if (poll(&p, 1, 0) < 0)
		printf("%s: %s\n", name, errname(errno));
	else
		printf("%s: %s\n", name, pollstr(p.revents));
}

/* recv into a buffer and print what came: "name: 5 hello" or "name: EAGAIN". */
static void report_recv(const char *name, int fd, size_t len, int flags)
{
	char buf[256];
	ssize_t n = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), flags);

	if (n < 0)
		printf("%s: %s\n", name, errname(errno));
	else
		printf("%s: %zd %.*s\n", name, n, (int)(n < (ssize_t)len ? n : (ssize_t)len), buf);
}

static void basics(void)
{
	struct stat st;
	char link[64], path[64];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	report_bool("fstat_is_socket", fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode));
	printf("fstat_perm: %o\n", st.st_mode & 0777);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	report_bool("proc_fd_socket", strncmp(link, "socket:[", 8) == 0);
	report_long("so_type", sock_int(fd, SO_TYPE));
	report_long("so_domain", sock_int(fd, SO_DOMAIN));
	report_long("so_protocol", sock_int(fd, SO_PROTOCOL));
	report_long("so_acceptconn", sock_int(fd, SO_ACCEPTCONN));
	report_long("so_error", sock_int(fd, SO_ERROR));
	report_long("so_sndbuf_default", sock_int(fd, SO_SNDBUF));
	report_long("so_rcvbuf_default", sock_int(fd, SO_RCVBUF));
	report_poll("poll_fresh_stream", fd);
	report_err("pread_socket", pread(fd, link, 1, 0));
	report_err("lseek_socket", lseek(fd, 0, SEEK_SET));
	report_err("read_unconnected_stream", read(fd, link, 1));
	report_err("write_unconnected_stream", write(fd, "x", 1));
	report_err("recv_unconnected_stream", recv(fd, link, 1, MSG_DONTWAIT));
	report_err("getpeername_unconnected", getpeername(fd, (struct sockaddr *)link, &(socklen_t){ 64 }));
	report("shutdown_unconnected", shutdown(fd, SHUT_RDWR));
	close(fd);

	fd = socket(AF_UNIX, SOCK_RAW, 0);
	report_long("raw_is_dgram", fd >= 0 ? sock_int(fd, SO_TYPE) : -errno);
	close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	report_bool("sock_nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	report_bool("sock_cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	report_poll("poll_fresh_dgram", fd);
	report_err("recv_empty_nonblock_dgram", recv(fd, link, 1, 0));
	report_err("send_unconnected_dgram", send(fd, "x", 1, 0));
	close(fd);

	report_err("socket_bad_type", socket(AF_UNIX, 99, 0));
	report_err("socket_rdm", socket(AF_UNIX, SOCK_RDM, 0));
	report_err("socket_bad_protocol", socket(AF_UNIX, SOCK_STREAM, 5));
	report("socket_protocol_pf_unix", fd = socket(AF_UNIX, SOCK_STREAM, PF_UNIX));
	close(fd);
	report_err("socket_bad_flags", socket(AF_UNIX, SOCK_STREAM | 0x40000000, 0));
	report_err("socket_bad_family", socket(4000, SOCK_STREAM, 0));
	report_err("socketpair_bad_family", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){ 0 }));
	report_err("socketpair_efault", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)bad_ptr));
	/* Not compared: we have no network stack, Linux does. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	printf("# socket_inet: %s\n", fd < 0 ? errname(errno) : "ok");
	if (fd >= 0)
		close(fd);

	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	report_err("bind_not_socket", bind(p[0], (struct sockaddr *)&(struct sockaddr_un){ AF_UNIX, "x" }, 4));
	report_err("getsockopt_not_socket", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &(int){ 0 }, &(socklen_t){ 4 }));
	report_err("send_not_socket", send(p[1], "x", 1, 0));
	report_err("bind_bad_fd", bind(-1, (struct sockaddr *)&(struct sockaddr_un){ AF_UNIX, "x" }, 4));
	report_err("accept_bad_fd", accept(999, NULL, NULL));
	close(p[0]);
	close(p[1]);
}

static void stream_pair(void)
{
	int sv[2];
	char buf[64];

	pair(SOCK_STREAM, sv);
	report_poll("poll_pair_idle", sv[0]);
	report_long("write_pair", write(sv[0], "hello", 5));
	report_poll("poll_pair_data", sv[1]);
	int n = -1;
	report("fionread", ioctl(sv[1], FIONREAD, &n));
	report_long("fionread_bytes", n);
	report("siocoutq", ioctl(sv[0], SIOCOUTQ, &n));
	report_bool("siocoutq_positive", n > 0);
	report_recv("recv_peek", sv[1], 3, MSG_PEEK);
	report_recv("recv_part", sv[1], 2, 0);
	report_recv("recv_rest", sv[1], 64, 0);
	report("siocoutq_after", ioctl(sv[0], SIOCOUTQ, &n));
	report_long("siocoutq_drained", n);
	report_recv("recv_empty_dontwait", sv[1], 64, MSG_DONTWAIT);

	/* Stream writes glue together on the reader's side. */
	send(sv[0], "ab", 2, 0);
	send(sv[0], "cd", 2, 0);
	report_recv("recv_glued", sv[1], 64, 0);

	struct iovec wv[2] = { { "one", 3 }, { "two", 3 } };
	report_long("writev", writev(sv[0], wv, 2));
	char a[2], b[8];
	struct iovec rv[2] = { { a, 2 }, { b, 8 } };
	ssize_t r = readv(sv[1], rv, 2);
	printf("readv: %zd %.2s %.*s\n", r, a, (int)(r > 2 ? r - 2 : 0), b);

	report_long("write_zero", write(sv[0], "", 0));
	report_recv("recv_after_zero", sv[1], 64, MSG_DONTWAIT);

	struct ucred cred;
	socklen_t len = sizeof(cred);
	report("so_peercred", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len));
	report_bool("so_peercred_pid_is_self", cred.pid == getpid());
	report_bool("so_peercred_uid", cred.uid == geteuid() && cred.gid == getegid());
	report_long("so_peercred_len", len);

	struct sockaddr_un sa;
	len = sizeof(sa);
	report("getsockname_pair", getsockname(sv[0], (struct sockaddr *)&sa, &len));
	report_long("getsockname_pair_len", len);
	len = sizeof(sa);
	report("getpeername_pair", getpeername(sv[0], (struct sockaddr *)&sa, &len));
	report_long("getpeername_pair_len", len);

	/* MSG_WAITALL waits for the whole buffer while a child writes in pieces. */
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			usleep(20 * 1000);
			if (write(sv[1], "wxyz", 4) != 4)
				_exit(1);
		}
		_exit(0);
	}
	r = recv(sv[0], buf, 16, MSG_WAITALL);
	printf("recv_waitall: %zd %.*s\n", r, (int)(r > 0 ? r : 0), buf);
	printf("waitall_writer: %s\n", wait_str(pid));

	/* EOF once the peer is gone, after the data it left. */
	write(sv[1], "bye", 3);
	close(sv[1]);
	report_poll("poll_peer_closed", sv[0]);
	report_recv("recv_before_eof", sv[0], 64, 0);
	report_recv("recv_eof", sv[0], 64, 0);
	report_recv("recv_eof_again", sv[0], 64, MSG_DONTWAIT);
	report_err("send_peer_closed_nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL));
	len = sizeof(sa);
	report("getpeername_peer_closed", getpeername(sv[0], (struct sockaddr *)&sa, &len));

	/* The default action of SIGPIPE kills a writer whose peer is gone. */
	pid = fork();
	if (pid == 0) {
		write(sv[0], "x", 1);
		_exit(0);
	}
	printf("epipe_writer: %s\n", wait_str(pid));
	signal(SIGPIPE, SIG_IGN);
	report_err("write_peer_closed_ignored", write(sv[0], "x", 1));
	signal(SIGPIPE, SIG_DFL);
	pid = fork();
	if (pid == 0)
		_exit(send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE ? 0 : 1);
	printf("msg_nosignal_writer: %s\n", wait_str(pid));
	close(sv[0]);

	/* A peer that closes with unread data resets the connection. */
	pair(SOCK_STREAM, sv);
	write(sv[0], "unread", 6);
	close(sv[1]);
	report_poll("poll_reset", sv[0]);
	report_long("so_error_reset", sock_int(sv[0], SO_ERROR));
	report_long("so_error_cleared", sock_int(sv[0], SO_ERROR));
	report_recv("recv_after_reset", sv[0], 64, 0);
	close(sv[0]);

	pair(SOCK_STREAM, sv);
	write(sv[0], "unread", 6);
	close(sv[1]);
	report_recv("recv_reset_first", sv[0], 64, 0);
	report_recv("recv_reset_then", sv[0], 64, 0);
	close(sv[0]);

	/* Non-blocking writes fill the socket, then EAGAIN; POLLOUT goes away. */
	pair(SOCK_STREAM | SOCK_NONBLOCK, sv);
	static char big[65536];
	long total = 0, w;
	while ((w = write(sv[0], big, sizeof(big))) > 0)
		total += w;
	printf("fill_stream_errno: %s\n", errname(errno));
	report_bool("fill_stream_some", total > 65536);
	report_poll("poll_full_writer", sv[0]);
	while ((w = read(sv[1], big, sizeof(big))) > 0)
		total -= w;
	report_long("drained_all", total);
	report_poll("poll_drained_writer", sv[0]);
	close(sv[0]);
	close(sv[1]);
}

static void dgram_pair(void)
{
	int sv[2], n;
	char buf[64];

	pair(SOCK_DGRAM, sv);
	report_poll("dgram_poll_idle", sv[0]);
	send(sv[0], "first", 5, 0);
	send(sv[0], "second", 6, 0);
	report_long("dgram_zero_send", send(sv[0], "", 0, 0));
	report("dgram_fionread", ioctl(sv[1], FIONREAD, &n));
	report_long("dgram_fionread_bytes", n);
	report_recv("dgram_recv1", sv[1], 64, 0);
	report_recv("dgram_recv_trunc", sv[1], 3, 0);
	report_recv("dgram_recv_zero", sv[1], 64, 0);
	report_recv("dgram_recv_empty", sv[1], 64, MSG_DONTWAIT);

	send(sv[0], "truncated", 9, 0);
	report_long("dgram_msg_trunc_len", recv(sv[1], buf, 4, MSG_TRUNC));
	send(sv[0], "peeked", 6, 0);
	report_recv("dgram_peek", sv[1], 64, MSG_PEEK);
	report_recv("dgram_after_peek", sv[1], 64, 0);

	struct msghdr mh = { 0 };
	struct iovec iov = { buf, 2 };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	send(sv[0], "flags", 5, 0);
	report_long("dgram_recvmsg", recvmsg(sv[1], &mh, 0));
	report_bool("dgram_recvmsg_msg_trunc", mh.msg_flags & MSG_TRUNC);

	report_long("dgram_too_big", send(sv[0], buf, 1 << 20, 0) == -1 ? -errno : 0);
	report_err("dgram_too_big_errno", send(sv[0], buf, 1 << 20, 0));

	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	report_long("dgram_recvfrom_unbound", (send(sv[0], "a", 1, 0),
		recvfrom(sv[1], buf, 64, 0, (struct sockaddr *)&sa, &len)));
	report_long("dgram_recvfrom_unbound_len", len);

	close(sv[1]);
	report_poll("dgram_poll_peer_closed", sv[0]);
	report_err("dgram_send_peer_closed", send(sv[0], "x", 1, 0));
	report_err("dgram_send_after_refused", send(sv[0], "x", 1, 0));
	report_err("dgram_recv_peer_closed", recv(sv[0], buf, 1, MSG_DONTWAIT));
	close(sv[0]);

	/* A dgram socket's queue fills by its sender's buffer. */
	pair(SOCK_DGRAM | SOCK_NONBLOCK, sv);
	long count = 0;
	while (send(sv[0], buf, 64, 0) == 64)
		count++;
	printf("fill_dgram_errno: %s\n", errname(errno));
	report_bool("fill_dgram_some", count > 10);
	report_poll("dgram_poll_full", sv[0]);
	close(sv[0]);
	close(sv[1]);

	pair(SOCK_DGRAM, sv);
	shutdown(sv[1], SHUT_RD);
	report_err("dgram_send_peer_shut_rd", send(sv[0], "x", 1, 0));
	report_poll("dgram_poll_shut_rd", sv[1]);
	report_err("dgram_recv_shut_rd_nonblock", recv(sv[1], buf, 1, MSG_DONTWAIT));
	report_long("dgram_recv_shut_rd_block", recv(sv[1], buf, 1, 0));
	close(sv[0]);
	close(sv[1]);
}

static void seqpacket_pair(void)
{
	int sv[2];
	char buf[64];

	pair(SOCK_SEQPACKET, sv);
	send(sv[0], "one", 3, 0);
	send(sv[0], "three", 5, 0);
	report_recv("seq_recv1", sv[1], 64, 0);
	report_recv("seq_recv_trunc", sv[1], 2, 0);
	report_poll("seq_poll_idle", sv[1]);
	struct sockaddr_un sa;
	report_long("seq_sendto_ignores_addr",
		    sendto(sv[0], "z", 1, 0, (struct sockaddr *)&sa, pathaddr(&sa, "nowhere")));
	report_recv("seq_recv_z", sv[1], 64, 0);
	send(sv[0], "last", 4, 0);
	close(sv[0]);
	report_poll("seq_poll_peer_closed", sv[1]);
	report_recv("seq_recv_last", sv[1], 64, 0);
	report_recv("seq_recv_eof", sv[1], 64, 0);
	report_recv("seq_recv_eof_nonblock", sv[1], 64, MSG_DONTWAIT);
	report_err("seq_send_peer_closed", send(sv[1], "x", 1, MSG_NOSIGNAL));
	pid_t pid = fork();
	if (pid == 0) {
		send(sv[1], "x", 1, 0);
		_exit(0);
	}
	printf("seq_send_peer_closed_writer: %s\n", wait_str(pid));
	close(sv[1]);

	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	report_err("seq_send_unconnected", send(fd, "x", 1, 0));
	report_err("seq_recv_unconnected", recv(fd, buf, 1, 0));
	report_poll("seq_poll_fresh", fd);
	close(fd);
}

static void path_sockets(void)
{
	struct sockaddr_un sa, got;
	socklen_t len, slen = pathaddr(&sa, "srv.sock");
	char buf[64];
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);

	unlink("srv.sock");
	report_err("connect_missing", connect(srv, (struct sockaddr *)&sa, slen));
	report("bind_path", bind(srv, (struct sockaddr *)&sa, slen));
	struct stat st;
	report_bool("bound_path_is_socket", stat("srv.sock", &st) == 0 && S_ISSOCK(st.st_mode));
	printf("bound_path_perm: %o\n", st.st_mode & 0777);
	report_err("open_socket_path", open("srv.sock", O_RDWR));
	len = sizeof(got);
	report("getsockname_path", getsockname(srv, (struct sockaddr *)&got, &len));
	printf("getsockname_path_value: %ld %s\n", (long)len, got.sun_path);
	len = 4;
	memset(&got, 0, sizeof(got));
	getsockname(srv, (struct sockaddr *)&got, &len);
	printf("getsockname_short_buffer: %ld %.2s\n", (long)len, got.sun_path);
	report_err("bind_again", bind(srv, (struct sockaddr *)&sa, slen));
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	report_err("bind_in_use", bind(other, (struct sockaddr *)&sa, slen));
	report_err("connect_not_listening", connect(other, (struct sockaddr *)&sa, slen));
	int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	report_err("connect_wrong_type", connect(dg, (struct sockaddr *)&sa, slen));
	report_err("sendto_wrong_type", sendto(dg, "x", 1, 0, (struct sockaddr *)&sa, slen));
	close(dg);
	int reg = open("plain", O_CREAT | O_WRONLY, 0644);
	close(reg);
	struct sockaddr_un pa;
	report_err("connect_regular_file", connect(other, (struct sockaddr *)&pa, pathaddr(&pa, "plain")));
	report_err("bind_missing_dir", bind(other, (struct sockaddr *)&pa, pathaddr(&pa, "nodir/x.sock")));
	report_err("bind_short_len", bind(other, (struct sockaddr *)&pa, 1));
	pa.sun_family = AF_INET;
	report_err("bind_bad_family", bind(other, (struct sockaddr *)&pa, slen));
	report_err("bind_too_long", bind(other, (struct sockaddr *)&pa, 200));
	report_err("listen_unbound", listen(other, 5));
	report_err("accept_not_listening", accept(srv, NULL, NULL));

	report("listen", listen(srv, 1));
	report_long("so_acceptconn_listening", sock_int(srv, SO_ACCEPTCONN));
	report_poll("poll_listener_idle", srv);
	report_err("recv_listener", recv(srv, buf, 1, MSG_DONTWAIT));
	report_err("connect_listener", connect(srv, (struct sockaddr *)&sa, slen));
	report("listen_again", listen(srv, 1));
	fcntl(srv, F_SETFL, O_NONBLOCK);
	report_err("accept_empty_nonblock", accept(srv, NULL, NULL));
	fcntl(srv, F_SETFL, 0);

	pid_t parent = getpid();
	int ready[2];
	if (pipe(ready) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un peer;
		socklen_t plen = sizeof(peer);
		struct ucred cr;
		socklen_t clen = sizeof(cr);
		if (connect(c, (struct sockaddr *)&sa, slen) != 0)
			_exit(10);
		if (getpeername(c, (struct sockaddr *)&peer, &plen) != 0 || plen != slen + 1 ||
		    strcmp(peer.sun_path, "srv.sock") != 0)
			_exit(11);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &clen) != 0 || cr.pid != parent)
			_exit(12);
		if (write(c, "hello", 5) != 5)
			_exit(13);
		char r[16];
		if (read(c, r, sizeof(r)) != 5 || memcmp(r, "world", 5) != 0)
			_exit(14);
		_exit(read(c, r, sizeof(r)) == 0 ? 0 : 15);
	}
	len = sizeof(got);
	int a = accept4(srv, (struct sockaddr *)&got, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	report_bool("accept4_ok", a >= 0);
	report_long("accept_peer_len", len);
	report_bool("accept4_cloexec", fcntl(a, F_GETFD) == FD_CLOEXEC);
	report_bool("accept4_nonblock", (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
	len = sizeof(got);
	getsockname(a, (struct sockaddr *)&got, &len);
	printf("accepted_sockname: %ld %s\n", (long)len, got.sun_path);
	struct ucred cr;
	len = sizeof(cr);
	getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	report_bool("accepted_peercred_is_child", cr.pid == pid);
	fcntl(a, F_SETFL, 0);
	report_recv("accepted_recv", a, 64, 0);
	write(a, "world", 5);
	close(a);
	printf("client: %s\n", wait_str(pid));
	close(ready[0]);
	close(ready[1]);

	/* Backlog 1 lets two connections wait; a third would block. */
	int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	report("connect_backlog_1", connect(c1, (struct sockaddr *)&sa, slen));
	report("connect_backlog_2", connect(c2, (struct sockaddr *)&sa, slen));
	report_err("connect_backlog_full", connect(c3, (struct sockaddr *)&sa, slen));
	report_err("connect_again_connected", connect(c1, (struct sockaddr *)&sa, slen));
	report_poll("poll_listener_pending", srv);
	report_poll("poll_client_pending", c1);
	report_long("client_send_before_accept", send(c1, "early", 5, 0));
	/* A blocking connect waits for room. */
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(c, (struct sockaddr *)&sa, slen) == 0 ? 0 : 1);
	}
	usleep(100 * 1000);
	a = accept(srv, NULL, NULL);
	report_recv("accepted_early_data", a, 64, 0);
	printf("blocked_connect: %s\n", wait_str(pid));
	close(a);
	close(c1);
	/* Pending connections are reset when the listener goes. */
	close(srv);
	fcntl(c2, F_SETFL, 0);
	report_poll("poll_pending_after_listener_close", c2);
	report_recv("pending_after_listener_close", c2, 64, 0);
	report_recv("pending_after_listener_close_again", c2, 64, 0);
	close(c2);
	close(c3);
	c3 = socket(AF_UNIX, SOCK_STREAM, 0);
	report_err("connect_after_listener_close", connect(c3, (struct sockaddr *)&sa, slen));
	close(c3);
	close(other);
	unlink("srv.sock");
	report_err("connect_after_unlink", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa, slen));

	/* Datagrams to a bound path, with and without a bound sender. */
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	slen = pathaddr(&sa, "dg.sock");
	unlink("dg.sock");
	report("bind_dgram_path", bind(d, (struct sockaddr *)&sa, slen));
	int s1 = socket(AF_UNIX, SOCK_DGRAM, 0);
	report_long("sendto_path", sendto(s1, "ping", 4, 0, (struct sockaddr *)&sa, slen));
	len = sizeof(got);
	ssize_t r = recvfrom(d, buf, sizeof(buf), 0, (struct sockaddr *)&got, &len);
	printf("recvfrom_unbound_sender: %zd %ld\n", r, (long)len);
	struct sockaddr_un ca;
	socklen_t calen = pathaddr(&ca, "client.sock");
	unlink("client.sock");
	bind(s1, (struct sockaddr *)&ca, calen);
	sendto(s1, "pong", 4, 0, (struct sockaddr *)&sa, slen);
	len = sizeof(got);
	r = recvfrom(d, buf, sizeof(buf), 0, (struct sockaddr *)&got, &len);
	printf("recvfrom_bound_sender: %zd %ld %s\n", r, (long)len, got.sun_path);
	/* Connected elsewhere: nobody else may send to it. */
	report("dgram_connect_back", connect(d, (struct sockaddr *)&ca, calen));
	int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	report_err("sendto_connected_elsewhere", sendto(s2, "x", 1, 0, (struct sockaddr *)&sa, slen));
	report("dgram_disconnect", connect(d, (struct sockaddr *)&(struct sockaddr){ AF_UNSPEC }, sizeof(struct sockaddr)));
	report_long("sendto_after_disconnect", sendto(s2, "x", 1, 0, (struct sockaddr *)&sa, slen));
	report_err("listen_dgram", listen(d, 1));
	report_err("accept_dgram", accept(d, NULL, NULL));
	report_err("sendto_stream_with_addr", sendto(socket(AF_UNIX, SOCK_STREAM, 0), "x", 1, 0, (struct sockaddr *)&sa, slen));
	/* The receive queue of a dgram socket nobody reads: a connected sender waits, or EAGAIN. */
	int q = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un qa;
	socklen_t qlen = pathaddr(&qa, "q.sock");
	unlink("q.sock");
	bind(q, (struct sockaddr *)&qa, qlen);
	int qs = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	connect(qs, (struct sockaddr *)&qa, qlen);
	long count = 0;
	while (send(qs, "m", 1, 0) == 1 && count < 1000)
		count++;
	printf("dgram_queue_full: %s after %ld\n", errname(errno), count);
	report_poll("dgram_poll_receiver_full", qs);
	recv(q, buf, 1, 0);
	report_poll("dgram_poll_receiver_drained", qs);
	close(q);
	report_err("dgram_send_receiver_closed", send(qs, "m", 1, 0));
	report_err("dgram_send_receiver_closed_again", send(qs, "m", 1, 0));
	close(qs);
	close(d);
	close(s1);
	close(s2);
	unlink("dg.sock");
	unlink("client.sock");
	unlink("q.sock");
}

static void abstract_names(void)
{
	char name[64];
	int n = snprintf(name, sizeof(name), "%ccvisor-socket-test-%d", 0, getpid());
	struct sockaddr_un sa, got;
	socklen_t slen = mkaddr(&sa, name, (size_t)n), len;
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	report_err("abstract_connect_missing", connect(c, (struct sockaddr *)&sa, slen));
	report("abstract_bind", bind(srv, (struct sockaddr *)&sa, slen));
	len = sizeof(got);
	getsockname(srv, (struct sockaddr *)&got, &len);
	report_bool("abstract_sockname_len", len == slen);
	report_bool("abstract_sockname_same", memcmp(&got, &sa, slen) == 0);
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	report_err("abstract_bind_in_use", bind(other, (struct sockaddr *)&sa, slen));
	int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	report("abstract_bind_other_type", bind(dg, (struct sockaddr *)&sa, slen));
	report_err("abstract_connect_not_listening", connect(c, (struct sockaddr *)&sa, slen));
	listen(srv, 4);
	report("abstract_connect", connect(c, (struct sockaddr *)&sa, slen));
	int a = accept(srv, NULL, NULL);
	len = sizeof(got);
	getpeername(c, (struct sockaddr *)&got, &len);
	report_bool("abstract_peername", len == slen && memcmp(&got, &sa, slen) == 0);
	write(c, "abs", 3);
	report_recv("abstract_recv", a, 64, 0);
	close(a);
	close(c);
	close(srv);
	close(dg);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	report_err("abstract_after_close", connect(c, (struct sockaddr *)&sa, slen));
	report("abstract_rebind_after_close", bind(other, (struct sockaddr *)&sa, slen));
	close(other);
	close(c);

	/* Autobind: an empty address gets a 5-hex-digit abstract name. */
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	report("autobind", bind(s, (struct sockaddr *)&(sa_family_t){ AF_UNIX }, sizeof(sa_family_t)));
	len = sizeof(got);
	getsockname(s, (struct sockaddr *)&got, &len);
	report_long("autobind_len", len);
	report_bool("autobind_abstract", got.sun_path[0] == 0);
	report_err("autobind_again", bind(s, (struct sockaddr *)&(sa_family_t){ AF_UNIX }, sizeof(sa_family_t)));
	close(s);

	/* SO_PASSCRED autobinds on connect and send. */
	int sv[2];
	pair(SOCK_DGRAM, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	send(sv[0], "x", 1, 0);
	len = sizeof(got);
	getsockname(sv[0], (struct sockaddr *)&got, &len);
	report_long("passcred_autobind_len", len);
	close(sv[0]);
	close(sv[1]);
}

/* Sends fds[0..n) over fd with data "data". */
static ssize_t send_fds(int fd, const int *fds, int n, const char *data)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(ctl, 0, sizeof(ctl));
	if (n) {
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(fd, &mh, 0);
}

/* Receives with a control buffer of ctl_len bytes; returns the fds in out (count in *nfd). */
static ssize_t recv_fds(int fd, size_t ctl_len, int flags, int *out, int *nfd, int *msg_flags,
			char *data, size_t dlen)
{
	char ctl[256];
	struct iovec iov = { data, dlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	mh.msg_control = ctl_len ? ctl : NULL;
	mh.msg_controllen = ctl_len;
	ssize_t r = recvmsg(fd, &mh, flags);
	*nfd = 0;
	if (r < 0)
		return r;
	*msg_flags = mh.msg_flags;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(out + *nfd, CMSG_DATA(cm), sizeof(int) * (size_t)k);
		*nfd += k;
	}
	return r;
}

static void scm_rights(void)
{
	int sv[2], p[2], fds[8], nfd, mf;
	char data[64], buf[64];

	pair(SOCK_STREAM, sv);
	if (pipe(p) != 0)
		die("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		/* The child gets the pipe's read end and reads what the parent wrote. */
		close(sv[0]);
		close(p[0]);
		close(p[1]);
		ssize_t r = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, fds, &nfd, &mf,
				     data, sizeof(data));
		if (r != 3 || nfd != 1)
			_exit(20);
		if (fcntl(fds[0], F_GETFD) != FD_CLOEXEC)
			_exit(21);
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n != 5 || memcmp(buf, "hello", 5) != 0)
			_exit(22);
		if (read(fds[0], buf, sizeof(buf)) != 0)
			_exit(23);
		_exit(0);
	}
	close(sv[1]);
	report_long("send_rights", send_fds(sv[0], &p[0], 1, "fd!"));
	close(p[0]);
	write(p[1], "hello", 5);
	close(p[1]);
	printf("passed_fd_reader: %s\n", wait_str(pid));
	close(sv[0]);

	/* In one process: two fds, a short control buffer, a peek, a plain read. */
	pair(SOCK_DGRAM, sv);
	if (pipe(p) != 0)
		die("pipe");
	report_long("send_two_rights", send_fds(sv[0], p, 2, "two"));
	ssize_t r = recv_fds(sv[1], sizeof(buf), MSG_PEEK, fds, &nfd, &mf, data, sizeof(data));
	printf("peek_rights: %zd %d\n", r, nfd);
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	r = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), 0, fds, &nfd, &mf, data, sizeof(data));
	printf("short_ctl: %zd %d ctrunc=%d\n", r, nfd, (mf & MSG_CTRUNC) != 0);
	report_bool("short_ctl_not_cloexec", fcntl(fds[0], F_GETFD) == 0);
	struct stat st1, st2;
	fstat(fds[0], &st1);
	fstat(p[0], &st2);
	report_bool("passed_fd_same_pipe", st1.st_ino == st2.st_ino);
	close(fds[0]);
	send_fds(sv[0], p, 1, "one");
	r = recv_fds(sv[1], 0, 0, fds, &nfd, &mf, data, sizeof(data));
	printf("no_ctl: %zd %d ctrunc=%d\n", r, nfd, (mf & MSG_CTRUNC) != 0);
	send_fds(sv[0], p, 1, "one");
	r = read(sv[1], data, sizeof(data));
	report_long("read_drops_rights", r);
	send_fds(sv[0], p, 1, "one");
	r = recv_fds(sv[1], sizeof(struct cmsghdr), 0, fds, &nfd, &mf, data, sizeof(data));
	printf("header_only_ctl: %zd %d ctrunc=%d\n", r, nfd, (mf & MSG_CTRUNC) != 0);
	report_err("send_bad_fd", send_fds(sv[0], (int[]){ 999 }, 1, "bad"));
	close(p[0]);
	close(p[1]);
	/* A socket can travel too. */
	int inner[2];
	pair(SOCK_STREAM, inner);
	send_fds(sv[0], &inner[1], 1, "sock");
	close(inner[1]);
	r = recv_fds(sv[1], sizeof(buf), 0, fds, &nfd, &mf, data, sizeof(data));
	write(inner[0], "via", 3);
	report_recv("passed_socket_recv", fds[0], 64, 0);
	close(fds[0]);
	close(inner[0]);
	close(sv[0]);
	close(sv[1]);

	/* Stream: a message with fds ends a read; fds ride with the first byte after them. */
	pair(SOCK_STREAM, sv);
	if (pipe(p) != 0)
		die("pipe");
	send(sv[0], "ab", 2, 0);
	send_fds(sv[0], &p[0], 1, "cd");
	send(sv[0], "ef", 2, 0);
	r = recv_fds(sv[1], sizeof(buf), 0, fds, &nfd, &mf, data, sizeof(data));
	printf("stream_rights_read1: %zd %.*s %d\n", r, (int)(r > 0 ? r : 0), data, nfd);
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	r = recv_fds(sv[1], sizeof(buf), 0, fds, &nfd, &mf, data, sizeof(data));
	printf("stream_rights_read2: %zd %.*s %d\n", r, (int)(r > 0 ? r : 0), data, nfd);
	report_long("stream_zero_with_rights", send_fds(sv[0], &p[0], 1, ""));
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void scm_credentials(void)
{
	int sv[2];
	char ctl[CMSG_SPACE(sizeof(struct ucred))], data[16];

	pair(SOCK_STREAM, sv);
	report("so_passcred_set", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)));
	report_long("so_passcred_get", sock_int(sv[1], SO_PASSCRED));
	pid_t pid = fork();
	if (pid == 0)
		_exit(write(sv[0], "cred", 4) == 4 ? 0 : 1);
	printf("cred_writer: %s\n", wait_str(pid));
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t r = recvmsg(sv[1], &mh, 0);
	report_long("cred_recv", r);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	report_bool("cred_cmsg", cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
					 cm->cmsg_len == CMSG_LEN(sizeof(struct ucred)));
	if (cm) {
		struct ucred uc;
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		report_bool("cred_pid_is_writer", uc.pid == pid);
		report_bool("cred_uid_gid", uc.uid == getuid() && uc.gid == getgid());
	}

	/* Explicit credentials from the sender. */
	struct ucred mine = { getpid(), getuid(), getgid() };
	struct msghdr sm = { .msg_iov = &(struct iovec){ "x", 1 }, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	cm = CMSG_FIRSTHDR(&sm);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(mine));
	memcpy(CMSG_DATA(cm), &mine, sizeof(mine));
	report_long("send_explicit_creds", sendmsg(sv[0], &sm, 0));
	mh.msg_controllen = sizeof(ctl);
	r = recvmsg(sv[1], &mh, 0);
	cm = CMSG_FIRSTHDR(&mh);
	struct ucred uc = { 0 };
	if (cm)
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
	report_bool("explicit_creds_pid", r == 1 && uc.pid == getpid());
	cm = CMSG_FIRSTHDR(&sm);
	cm->cmsg_len = CMSG_LEN(4);
	report_err("send_bad_creds_len", sendmsg(sv[0], &sm, 0));
	cm->cmsg_len = CMSG_LEN(sizeof(mine));
	cm->cmsg_type = 77;
	report_err("send_bad_cmsg_type", sendmsg(sv[0], &sm, 0));
	cm->cmsg_level = 1234;
	report_long("send_other_level_cmsg", sendmsg(sv[0], &sm, 0));
	recv(sv[1], data, sizeof(data), 0);
	sm.msg_controllen = 4;
	report_err("send_short_controllen", sendmsg(sv[0], &sm, 0));
	close(sv[0]);
	close(sv[1]);
}

static void shutdown_semantics(void)
{
	int sv[2];
	char buf[16];

	pair(SOCK_STREAM, sv);
	report_err("shutdown_bad_how", shutdown(sv[0], 7));
	write(sv[0], "tail", 4);
	report("shutdown_wr", shutdown(sv[0], SHUT_WR));
	report_poll("poll_after_own_shut_wr", sv[0]);
	report_poll("poll_peer_shut_wr", sv[1]);
	report_recv("recv_before_shut_eof", sv[1], 64, 0);
	report_recv("recv_after_peer_shut_wr", sv[1], 64, 0);
	report_err("send_after_shut_wr", send(sv[0], "x", 1, MSG_NOSIGNAL));
	report_long("peer_can_still_send", send(sv[1], "back", 4, 0));
	report_recv("recv_after_own_shut_wr", sv[0], 64, 0);
	close(sv[0]);
	close(sv[1]);

	pair(SOCK_STREAM, sv);
	write(sv[1], "kept", 4);
	report("shutdown_rd", shutdown(sv[0], SHUT_RD));
	report_poll("poll_own_shut_rd", sv[0]);
	report_recv("recv_queued_after_shut_rd", sv[0], 64, 0);
	report_recv("recv_after_shut_rd", sv[0], 64, 0);
	report_err("peer_send_after_shut_rd", send(sv[1], "x", 1, MSG_NOSIGNAL));
	report("shutdown_rdwr", shutdown(sv[0], SHUT_RDWR));
	report_poll("poll_own_shut_rdwr", sv[0]);
	report_poll("poll_peer_of_shut_rdwr", sv[1]);
	close(sv[0]);
	close(sv[1]);

	/* shutdown wakes a blocked reader and a blocked accept. */
	pair(SOCK_STREAM, sv);
	pid_t pid = fork();
	if (pid == 0)
		_exit(read(sv[0], buf, sizeof(buf)) == 0 ? 0 : 1);
	usleep(50 * 1000);
	shutdown(sv[0], SHUT_RD);
	printf("blocked_reader_after_shutdown: %s\n", wait_str(pid));
	close(sv[0]);
	close(sv[1]);
}

static void poll_and_epoll(void)
{
	int sv[2];
	char buf[16];

	pair(SOCK_STREAM, sv);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50 * 1000);
		_exit(write(sv[1], "wake", 4) == 4 ? 0 : 1);
	}
	struct pollfd p = { sv[0], POLLIN, 0 };
	int n = poll(&p, 1, 5000);
	printf("poll_wakes: %d %s\n", n, pollstr(p.revents));
	printf("poll_writer: %s\n", wait_str(pid));
	recv(sv[0], buf, sizeof(buf), 0);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = 7 };
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
	pid = fork();
	if (pid == 0) {
		usleep(50 * 1000);
		close(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	struct epoll_event out;
	n = epoll_wait(ep, &out, 1, 5000);
	printf("epoll_peer_close: %d %u in=%d rdhup=%d hup=%d\n", n, out.data.u32,
	       (out.events & EPOLLIN) != 0, (out.events & EPOLLRDHUP) != 0, (out.events & EPOLLHUP) != 0);
	printf("epoll_closer: %s\n", wait_str(pid));
	close(ep);
	close(sv[0]);

	/* select on a listening socket. */
	struct sockaddr_un sa;
	char name[64];
	int len = snprintf(name, sizeof(name), "%ccvisor-socket-sel-%d", 0, getpid());
	socklen_t slen = mkaddr(&sa, name, (size_t)len);
	int srv = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	bind(srv, (struct sockaddr *)&sa, slen);
	listen(srv, 2);
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		usleep(50 * 1000);
		if (connect(c, (struct sockaddr *)&sa, slen) != 0)
			_exit(1);
		_exit(send(c, "seq", 3, 0) == 3 ? 0 : 2);
	}
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(srv, &rd);
	struct timeval tv = { 5, 0 };
	n = select(srv + 1, &rd, NULL, NULL, &tv);
	printf("select_listener: %d %d\n", n, FD_ISSET(srv, &rd));
	int a = accept(srv, NULL, NULL);
	report_recv("seqpacket_accepted_recv", a, 64, 0);
	printf("seq_client: %s\n", wait_str(pid));
	report_recv("seqpacket_accepted_eof", a, 64, 0);
	close(a);
	close(srv);
}

static void options(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	socklen_t len;

	report("set_sndbuf", setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ 65536 }, sizeof(int)));
	report_long("get_sndbuf", sock_int(fd, SO_SNDBUF));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ 1 }, sizeof(int));
	report_long("get_sndbuf_min", sock_int(fd, SO_SNDBUF));
	report("set_rcvbuf", setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 32768 }, sizeof(int)));
	report_long("get_rcvbuf", sock_int(fd, SO_RCVBUF));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 1 }, sizeof(int));
	report_long("get_rcvbuf_min", sock_int(fd, SO_RCVBUF));
	report("set_reuseaddr", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 5 }, sizeof(int)));
	report_long("get_reuseaddr", sock_int(fd, SO_REUSEADDR));
	report("set_keepalive", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 }, sizeof(int)));
	report_long("get_keepalive", sock_int(fd, SO_KEEPALIVE));
	report_long("get_passcred_default", sock_int(fd, SO_PASSCRED));
	report_err("set_short_optlen", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 }, 2));
	report_err("set_type", setsockopt(fd, SOL_SOCKET, SO_TYPE, &(int){ 1 }, sizeof(int)));
	report_err("set_unknown", setsockopt(fd, SOL_SOCKET, 9999, &(int){ 1 }, sizeof(int)));
	report_err("get_unknown", getsockopt(fd, SOL_SOCKET, 9999, &(int){ 1 }, &(socklen_t){ 4 }));
	report_err("set_other_level", setsockopt(fd, 6 /* IPPROTO_TCP */, 1, &(int){ 1 }, sizeof(int)));
	report_err("get_other_level", getsockopt(fd, 6, 1, &(int){ 1 }, &(socklen_t){ 4 }));
	report_err("set_efault", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, bad_ptr, sizeof(int)));
	report_err("get_negative_len", getsockopt(fd, SOL_SOCKET, SO_TYPE, &(int){ 1 }, &(socklen_t){ (socklen_t)-1 }));
	long long wide = -1;
	len = sizeof(wide);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &wide, &len);
	printf("get_long_buffer: %ld\n", (long)len);
	short narrow = 0;
	len = sizeof(narrow);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &narrow, &len);
	printf("get_short_buffer: %ld %d\n", (long)len, narrow);
	struct ucred cr;
	len = sizeof(cr);
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	printf("peercred_unconnected: %d %d %d\n", cr.pid, (int)cr.uid, (int)cr.gid);
	struct linger lg = { 1, 5 };
	report("set_linger", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	memset(&lg, 0, sizeof(lg));
	len = sizeof(lg);
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
	printf("get_linger: %d %d %ld\n", lg.l_onoff, lg.l_linger, (long)len);
	close(fd);

	/* Receive and send timeouts are honoured. */
	int sv[2];
	pair(SOCK_STREAM, sv);
	struct timeval tv = { 0, 100000 };
	report("set_rcvtimeo", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	memset(&tv, 0, sizeof(tv));
	len = sizeof(tv);
	getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	printf("get_rcvtimeo: %ld %ld %ld\n", (long)tv.tv_sec, (long)tv.tv_usec, (long)len);
	struct timespec t0, t1;
	char buf[8];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	report_err("recv_timeout", recv(sv[0], buf, sizeof(buf), 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	report_bool("recv_timeout_waited", ms >= 90 && ms < 2000);
	report_err("set_rcvtimeo_bad_usec",
		   setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ 0, 2000000 }, sizeof(tv)));
	report_err("set_rcvtimeo_short", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){ 4096 }, sizeof(int));
	tv = (struct timeval){ 0, 100000 };
	report("set_sndtimeo", setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	static char big[1 << 20];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ssize_t w = 0, r;
	while ((r = send(sv[0], big, sizeof(big), 0)) > 0)
		w += r;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("send_timeout: %s\n", errname(errno));
	report_bool("send_timeout_some", w > 0);
	report_bool("send_timeout_waited", ms >= 90 && ms < 2000);
	close(sv[0]);
	close(sv[1]);
}

static void misc_errors(void)
{
	int sv[2];
	char buf[16];
	struct sockaddr_un sa;

	pair(SOCK_STREAM, sv);
	report_err("sendto_connected_stream_addr", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&sa, pathaddr(&sa, "x")));
	report_err("recv_oob", recv(sv[0], buf, 1, MSG_OOB | MSG_DONTWAIT));
	report_err("recv_efault", (write(sv[1], "x", 1), recv(sv[0], bad_ptr, 1, 0)));
	report_recv("recv_after_efault", sv[0], 16, MSG_DONTWAIT);
	report_err("send_efault", send(sv[0], bad_ptr, 1, 0));
	report_err("getsockname_efault", getsockname(sv[0], (struct sockaddr *)bad_ptr, &(socklen_t){ 16 }));
	report_err("getsockname_neg_len", getsockname(sv[0], (struct sockaddr *)&sa, &(socklen_t){ (socklen_t)-1 }));
	report_err("bind_connected_pair", bind(sv[0], (struct sockaddr *)&(sa_family_t){ AF_UNIX }, 2));
	report_err("listen_connected", listen(sv[0], 1));
	report_err("sendmsg_bad_iovlen", sendmsg(sv[0], &(struct msghdr){ .msg_iov = &(struct iovec){ "x", 1 }, .msg_iovlen = 5000 }, 0));
	report_err("accept4_bad_flags", accept4(sv[0], NULL, NULL, 0x1));
	report_err("socketpair_bad_flags", socketpair(AF_UNIX, SOCK_STREAM | 0x1000, 0, sv));
	close(sv[0]);
	close(sv[1]);
}

/* Megabytes through a socketpair across fork: blocking writes and reads, nothing lost. */
static void bulk_transfer(void)
{
	int sv[2];
	static char buf[100000];

	pair(SOCK_STREAM, sv);
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < 40; i++) {
			for (size_t k = 0; k < sizeof(buf); k++)
				buf[k] = (char)(k * 7 + (size_t)i);
			size_t off = 0;
			while (off < sizeof(buf)) {
				ssize_t w = write(sv[1], buf + off, sizeof(buf) - off);
				if (w <= 0)
					_exit(1);
				off += (size_t)w;
			}
		}
		_exit(0);
	}
	close(sv[1]);
	unsigned long sum = 0, total = 0;
	ssize_t n;
	while ((n = read(sv[0], buf, 65536)) > 0) {
		for (ssize_t k = 0; k < n; k++)
			sum = sum * 31 + (unsigned char)buf[k];
		total += (unsigned long)n;
	}
	printf("bulk_total: %lu\n", total);
	printf("bulk_sum: %lx\n", sum);
	printf("bulk_writer: %s\n", wait_str(pid));
	close(sv[0]);
}

static void mmsg(void)
{
	int sv[2];
	char b[3][8];

	pair(SOCK_DGRAM, sv);
	struct mmsghdr out[3];
	struct iovec ov[3] = { { "a", 1 }, { "bb", 2 }, { "ccc", 3 } };
	memset(out, 0, sizeof(out));
	for (int i = 0; i < 3; i++) {
		out[i].msg_hdr.msg_iov = &ov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	report_long("sendmmsg", sendmmsg(sv[0], out, 3, 0));
	printf("sendmmsg_lens: %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len);
	struct mmsghdr in[4];
	struct iovec iv[4] = { { b[0], 8 }, { b[1], 8 }, { b[2], 8 }, { b[2], 8 } };
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 4; i++) {
		in[i].msg_hdr.msg_iov = &iv[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	report_long("recvmmsg", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL));
	printf("recvmmsg_lens: %u %u %u %.3s\n", in[0].msg_len, in[1].msg_len, in[2].msg_len, b[2]);
	report_err("recvmmsg_empty", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL));
	close(sv[0]);
	close(sv[1]);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal ends a blocked recv with EINTR, or restarts it with SA_RESTART unless a receive
 * timeout is set (Linux's sock_intr_errno). */
static void interrupted(void)
{
	int sv[2];
	char buf[8];
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };

	pair(SOCK_STREAM, sv);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	report_err("recv_interrupted", recv(sv[0], buf, sizeof(buf), 0));

	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(200 * 1000);
		_exit(write(sv[1], "late", 4) == 4 ? 0 : 1);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	report_recv("recv_restarted", sv[0], sizeof(buf), 0);
	printf("late_writer: %s\n", wait_str(pid));

	struct timeval tv = { 5, 0 };
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setitimer(ITIMER_REAL, &it, NULL);
	report_err("recv_timeo_interrupted", recv(sv[0], buf, sizeof(buf), 0));
	signal(SIGALRM, SIG_DFL);
	close(sv[0]);
	close(sv[1]);
}

/* Credentials and rights in one message: SCM_CREDENTIALS comes first. */
static void creds_and_rights(void)
{
	int sv[2], p[2];
	char ctl[256], data[8];

	pair(SOCK_DGRAM, sv);
	if (pipe(p) != 0)
		die("pipe");
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	send_fds(sv[0], &p[0], 1, "both");
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t r = recvmsg(sv[1], &mh, 0);
	printf("both_recv: %zd controllen=%zu\n", r, (size_t)mh.msg_controllen);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		printf("both_cmsg: %s len=%zu\n", cm->cmsg_type == SCM_CREDENTIALS ? "creds" :
						  cm->cmsg_type == SCM_RIGHTS	   ? "rights" :
										     "other",
		       (size_t)cm->cmsg_len);
		if (cm->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			close(fd);
		}
	}
	/* Room for the credentials only: the rights are cut. */
	send_fds(sv[0], &p[0], 1, "cut");
	mh.msg_controllen = CMSG_SPACE(sizeof(struct ucred));
	r = recvmsg(sv[1], &mh, 0);
	printf("creds_only_room: %zd ctrunc=%d controllen=%zu\n", r, (mh.msg_flags & MSG_CTRUNC) != 0,
	       (size_t)mh.msg_controllen);
	/* Less than the credentials need: a cut message. */
	send(sv[0], "x", 1, 0);
	mh.msg_controllen = sizeof(struct cmsghdr) + 4;
	r = recvmsg(sv[1], &mh, 0);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	printf("creds_cut: %zd ctrunc=%d controllen=%zu cmsg_len=%zu\n", r,
	       (mh.msg_flags & MSG_CTRUNC) != 0, (size_t)mh.msg_controllen,
	       cm ? (size_t)cm->cmsg_len : 0);
	/* A peer without SO_PASSCRED writing before the receiver asked: no credentials kept. */
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 0 }, sizeof(int));
	send(sv[0], "y", 1, 0);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	mh.msg_controllen = sizeof(ctl);
	r = recvmsg(sv[1], &mh, 0);
	cm = CMSG_FIRSTHDR(&mh);
	struct ucred uc = { -1, 0, 0 };
	if (cm && cm->cmsg_type == SCM_CREDENTIALS)
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
	printf("creds_missing: %zd %d %u %u\n", r, uc.pid, uc.uid, uc.gid);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	guest_init();
	scratch_init("socket");
	basics();
	stream_pair();
	dgram_pair();
	seqpacket_pair();
	path_sockets();
	abstract_names();
	scm_rights();
	scm_credentials();
	shutdown_semantics();
	poll_and_epoll();
	options();
	misc_errors();
	bulk_transfer();
	mmsg();
	interrupted();
	creds_and_rights();
	scratch_done();
	return 0;
}
