/* Sockets: the file type every address family shares (sockfs), the SOL_SOCKET options every
 * socket has, and the operations a family implements (Linux's struct socket and proto_ops). */
#ifndef CVISOR_FS_SOCKET_H
#define CVISOR_FS_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

struct file;
struct task;
struct waitqueue;
struct socket;

/* Linux's limits, as a fresh network namespace has them. */
#define SOCK_SOMAXCONN 4096	/* net.core.somaxconn: listen backlogs are cut to it */
#define SOCK_WMEM_DEFAULT 212992 /* net.core.wmem_default, rmem_default */
#define SOCK_WMEM_MAX 212992	/* net.core.wmem_max, rmem_max: SO_SNDBUF/SO_RCVBUF ceiling */
#define SOCK_MIN_SNDBUF 4608	/* 2 * (2048 + sizeof(struct sk_buff)), as 6.x computes it */
#define SOCK_MIN_RCVBUF 2304
#define SOCK_SCM_MAX_FD 253	/* SCM_MAX_FD: files one message may carry */
#define SOCK_OPTMEM_MAX 131072	/* net.core.optmem_max: a sendmsg control buffer's ceiling */

/* Credentials a message carries (SCM_CREDENTIALS) or a peer had (SO_PEERCRED), as the guest's
 * struct ucred. */
struct sock_creds {
	int32_t pid;
	uint32_t uid, gid;
};

/* The caller's credentials as SCM_CREDENTIALS gives them (pid, real uid and gid) and as
 * SO_PEERCRED does (pid, effective uid and gid). */
void sock_creds_current(struct sock_creds *c, bool effective);

/*
 * One sendmsg or recvmsg, decoded by the syscall layer. Data travels in sentry iovecs that point
 * straight into guest memory; control messages travel as files and credentials.
 */
struct sock_msg {
	const struct iovec *iov;
	int iovcnt;
	/* The guest buffer is not all mapped: the copy fails with EFAULT where Linux's would,
	 * after the protocol's own checks, and consumes nothing. */
	bool fault;
	int flags; /* MSG_*; MSG_DONTWAIT is added for an O_NONBLOCK file */
	/* sendmsg: the destination (addrlen 0: the peer). recvmsg: the source (0: unnamed). */
	struct sockaddr_storage addr;
	size_t addrlen;
	/* SCM_RIGHTS. sendmsg: the files to pass (the caller's references; the socket takes its
	 * own). recvmsg: the files received, references and a malloc'd array the caller owns. */
	struct file **files;
	int nfiles;
	/* SCM_CREDENTIALS. sendmsg: credentials the sender gave (already checked). recvmsg: the
	 * sender's, set when the receiver asked for them with SO_PASSCRED. */
	bool has_creds;
	struct sock_creds creds;
	int out_flags; /* recvmsg: MSG_TRUNC */
};

/* Puts the files a recvmsg returned and frees their array. */
void sock_msg_drop_files(struct sock_msg *m);

/*
 * What a family implements. Every call runs in the calling task (current()), returns 0, a count
 * or a negative errno, and may sleep (task_wait_event) where Linux's does.
 */
struct socket_ops {
	int (*bind)(struct socket *s, const struct sockaddr_storage *addr, size_t len);
	int (*connect)(struct socket *s, const struct sockaddr_storage *addr, size_t len,
		       bool nonblock);
	int (*listen)(struct socket *s, int backlog);
	/* The server end of the next connection, without a file yet. */
	int (*accept)(struct socket *s, bool nonblock, struct socket **out);
	ssize_t (*sendmsg)(struct socket *s, struct sock_msg *m, size_t len);
	ssize_t (*recvmsg)(struct socket *s, struct sock_msg *m, size_t len);
	int (*shutdown)(struct socket *s, int how);
	/* Writes the socket's (peer: its peer's) address; returns its length. */
	int (*getname)(struct socket *s, struct sockaddr_storage *addr, bool peer);
	/* SOL_SOCKET options whose value is the family's state (SO_ERROR, SO_ACCEPTCONN,
	 * SO_PEERCRED): fills buf and returns its length, or -ENOPROTOOPT for the others. */
	int (*getsockopt)(struct socket *s, int name, void *buf, size_t size);
	unsigned int (*poll)(struct socket *s, struct waitqueue **wq);
	/* -ENOTTY when unknown. */
	long (*ioctl)(struct socket *s, struct task *t, unsigned int cmd, uint64_t arg);
	/* The file is gone: disconnect and drop the file's reference. */
	void (*release)(struct socket *s);
};

/*
 * The part of a socket every family has; a family's socket struct embeds it first. Owned by the
 * family (refcounted there); the socket's file holds one reference, dropped by ops->release.
 */
struct socket {
	const struct socket_ops *ops;
	int family, type, protocol;
	/* SOL_SOCKET options, each read and written atomically (__atomic), without a lock. */
	int sndbuf, rcvbuf; /* as getsockopt reports them: twice what was set */
	int64_t rcvtimeo_ns, sndtimeo_ns; /* 0: wait for ever; SOCK_TIMEO_NOWAIT: never wait */
	int rcvlowat;
	int passcred, reuseaddr, keepalive, broadcast, dontroute, oobinline, priority;
	int linger_onoff, linger_secs;
};

/* A timeout that never waits: what Linux makes of a negative SO_RCVTIMEO/SO_SNDTIMEO. */
#define SOCK_TIMEO_NOWAIT (-1)

void socket_init(struct socket *s, const struct socket_ops *ops, int family, int type,
		 int protocol);
static inline int sock_opt(const int *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

/*
 * A blocking call's timeout (SO_RCVTIMEO/SO_SNDTIMEO or MSG_DONTWAIT), fixed when the call
 * starts, as Linux's timeo. sock_wait sleeps on wq until cond(arg): 0 when it holds, -EAGAIN when
 * the call may not wait or the timeout passed, -ERESTARTSYS on a signal (-EINTR when a timeout
 * was set, as Linux's sock_intr_errno).
 */
struct sock_timeout {
	bool nowait, forever;
	struct timespec deadline; /* CLOCK_MONOTONIC */
};
void sock_timeout_start(struct sock_timeout *to, const int64_t *timeo_field, bool dontwait);
int sock_wait(struct sock_timeout *to, struct waitqueue *wq, bool (*cond)(void *arg), void *arg);

/*
 * socket(2) and socketpair(2) for one family: type without SOCK_NONBLOCK/SOCK_CLOEXEC. The new
 * sockets have no file yet.
 */
int socket_create(int family, int type, int protocol, struct socket **out);
int socket_create_pair(int family, int type, int protocol, struct socket **a, struct socket **b);

/* A file for s (consumed: released on failure), O_RDWR plus flags (O_NONBLOCK), on sockfs:
 * fstat shows S_IFSOCK, /proc/PID/fd "socket:[ino]". */
int socket_file_new(struct socket *s, int flags, struct file **out);
/* The socket of a socket file, or NULL (ENOTSOCK). */
struct socket *file_socket(struct file *f);

/* setsockopt/getsockopt at any level (optval and optlen are guest addresses of t). */
int socket_setsockopt(struct socket *s, struct task *t, int level, int name, uint64_t optval,
		      int optlen);
int socket_getsockopt(struct socket *s, struct task *t, int level, int name, uint64_t optval,
		      uint64_t optlen);

#endif
