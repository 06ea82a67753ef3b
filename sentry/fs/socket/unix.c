/* AF_UNIX sockets as Linux's af_unix.c: connections, datagrams, names in the file system (a
 * socket inode from the filesystem's mknod) or the abstract namespace, SCM_RIGHTS/CREDENTIALS. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/fs/socket/socket.h"
#include "sentry/fs/socket/unix.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

/* sk_shutdown bits: what this end may no longer do (its own shutdown and its peer's). */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* net.unix.max_dgram_qlen: a datagram socket's queue, for senders it is not connected back to. */
#define UNIX_MAX_DGRAM_QLEN 10
/* What a queued message costs its sender's buffer beyond its bytes (Linux charges the sk_buff),
 * so that buffer limits, POLLOUT and SIOCOUTQ come out close to Linux's. */
#define UNIX_MSG_OVERHEAD 576
/* A stream write is queued in pieces of at most this many bytes (Linux's paged skbs). */
#define UNIX_STREAM_CHUNK 32768
#define UNIX_PATH_OFFSET offsetof(struct sockaddr_un, sun_path)
/* What a missing uid or gid reads as (Linux's overflowuid). */
#define UNIX_OVERFLOW_ID 65534

/* A socket's name, shared by a listener and the sockets it accepts. */
struct unix_addr {
	int refs; /* atomic */
	size_t len;
	char name[sizeof(struct sockaddr_un) + 2]; /* room for a 108-byte path and its NUL */
};

/* A message (a stream piece, a datagram) or, on a listener's queue, a connection. */
struct unix_msg {
	struct unix_msg *next;
	/* The sending socket (a reference): its send buffer is charged until the message is read,
	 * and recvfrom names it. */
	struct unix_sock *sender;
	size_t charge;
	struct unix_sock *embryo; /* a listener's queue: the server end (a reference) */
	struct file **files;	  /* SCM_RIGHTS: references */
	int nfiles;
	bool has_creds;
	struct sock_creds creds;
	size_t len, off; /* bytes, and those already read (streams read a message in parts) */
	char data[];
};

/* A datagram sender to wake when a full receiver's queue drains (Linux's peer_wake). */
struct unix_waiter {
	struct unix_sock *u; /* a reference */
	struct unix_waiter *next;
};

enum unix_state { UNIX_CLOSE, UNIX_LISTEN, UNIX_ESTABLISHED };

/*
 * One socket. References: its file (dropped by release), its peer, messages it sent, a listener's
 * queue (embryos), waiter lists.
 */
struct unix_sock {
	struct socket sock;
	int refs; /* atomic */
	/* Guards everything below but wmem, addr's reads and bound_next (see the lock order in
	 * docs/ARCHITECTURE.md: a listener's lock before the connecting socket's). */
	pthread_mutex_t lock;
	enum unix_state state;
	bool dead;    /* released: nothing more is queued to it */
	int shutdown; /* RCV_SHUTDOWN | SEND_SHUTDOWN */
	int err;      /* pending error for SO_ERROR and the next call (positive errno) */
	struct unix_sock *peer; /* a reference */
	/* Set once (under lock and unix_table_lock), read without a lock: a reference. */
	struct unix_addr *addr;
	bool path_bound; /* named in the file system: (bound_dev, bound_ino) is its socket inode */
	uint64_t bound_dev, bound_ino;
	struct unix_msg *head, *tail; /* the receive queue (a listener's: pending connections) */
	size_t qlen, qbytes;	      /* messages, and their unread bytes */
	int backlog;
	bool has_peercred;
	struct sock_creds peercred; /* SO_PEERCRED */
	struct unix_waiter *waiters;
	long wmem; /* atomic: what this socket's queued messages cost (see UNIX_MSG_OVERHEAD) */
	/* Woken on every change: data in or out, room, connections, shutdown, close. */
	struct waitqueue wq;
	struct unix_sock *bound_next; /* unix_table_lock */
};

/* Every bound socket (path and abstract); guards their bound_next links. Taken before any socket
 * lock. */
static pthread_mutex_t unix_table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct unix_sock *unix_bound;
static uint32_t unix_autobind_next; /* unix_table_lock */

static const struct socket_ops unix_ops;

static struct unix_sock *unix_sk(struct socket *s)
{
	return (struct unix_sock *)s;
}

static bool is_connection_type(const struct unix_sock *u)
{
	return u->sock.type == SOCK_STREAM || u->sock.type == SOCK_SEQPACKET;
}

/* ---- lifetimes ---- */

static struct unix_addr *unix_addr_new(const void *name, size_t len)
{
	struct unix_addr *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->refs = 1;
	a->len = len;
	memcpy(a->name, name, len);
	return a;
}

static void unix_addr_get(struct unix_addr *a)
{
	__atomic_fetch_add(&a->refs, 1, __ATOMIC_RELAXED);
}

static void unix_addr_put(struct unix_addr *a)
{
	if (a && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(a);
}

static struct unix_addr *unix_addr_of(struct unix_sock *u)
{
	return __atomic_load_n(&u->addr, __ATOMIC_ACQUIRE);
}

static struct unix_sock *unix_sock_alloc(int type)
{
	struct unix_sock *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	socket_init(&u->sock, &unix_ops, AF_UNIX, type, 0);
	u->refs = 1;
	pthread_mutex_init(&u->lock, NULL);
	waitqueue_init(&u->wq);
	return u;
}

static void unix_sock_get(struct unix_sock *u)
{
	__atomic_fetch_add(&u->refs, 1, __ATOMIC_RELAXED);
}

static void unix_msgs_free(struct unix_msg *msg);

static void unix_sock_put(struct unix_sock *u)
{
	if (!u || __atomic_sub_fetch(&u->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Released sockets have an empty queue; an embryo that never had a file may not. */
	unix_msgs_free(u->head);
	unix_addr_put(u->addr);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static struct unix_sock *unix_peer_get(struct unix_sock *u)
{
	pthread_mutex_lock(&u->lock);
	struct unix_sock *p = u->peer;
	if (p)
		unix_sock_get(p);
	pthread_mutex_unlock(&u->lock);
	return p;
}

/* ---- messages ---- */

/* A message of len bytes from it, charged to sender; with_files: m's files ride along.
 * -EFAULT for a bad guest buffer, -ENOMEM. */
static int unix_msg_new(struct unix_sock *sender, struct iov_iter *it, size_t len,
			const struct sock_msg *m, bool with_files, struct unix_msg **out)
{
	if (m && m->fault && len)
		return -EFAULT;
	struct unix_msg *msg = calloc(1, sizeof(*msg) + len);
	if (!msg)
		return -ENOMEM;
	if (with_files && m->nfiles) {
		msg->files = malloc(sizeof(*msg->files) * (size_t)m->nfiles);
		if (!msg->files) {
			free(msg);
			return -ENOMEM;
		}
		for (int i = 0; i < m->nfiles; i++) {
			file_get(m->files[i]);
			msg->files[i] = m->files[i];
		}
		msg->nfiles = m->nfiles;
	}
	msg->len = it ? copy_from_iter(msg->data, len, it) : 0;
	msg->has_creds = m && m->has_creds;
	if (msg->has_creds)
		msg->creds = m->creds;
	msg->charge = msg->len + UNIX_MSG_OVERHEAD;
	unix_sock_get(sender);
	msg->sender = sender;
	__atomic_fetch_add(&sender->wmem, (long)msg->charge, __ATOMIC_RELAXED);
	*out = msg;
	return 0;
}

/* Frees a message with no lock held: its files may be sockets whose release takes locks. */
static void unix_msg_free(struct unix_msg *msg)
{
	for (int i = 0; i < msg->nfiles; i++)
		file_put(msg->files[i]);
	free(msg->files);
	if (msg->sender) {
		__atomic_fetch_sub(&msg->sender->wmem, (long)msg->charge, __ATOMIC_RELAXED);
		waitqueue_wake_all(&msg->sender->wq); /* room in its send buffer */
		unix_sock_put(msg->sender);
	}
	unix_sock_put(msg->embryo);
	free(msg);
}

static void unix_msgs_free(struct unix_msg *msg)
{
	while (msg) {
		struct unix_msg *next = msg->next;
		unix_msg_free(msg);
		msg = next;
	}
}

/* The caller holds u->lock. */
static void queue_tail(struct unix_sock *u, struct unix_msg *msg)
{
	msg->next = NULL;
	if (u->tail)
		u->tail->next = msg;
	else
		u->head = msg;
	u->tail = msg;
	u->qlen++;
	u->qbytes += msg->len - msg->off;
}

static struct unix_msg *queue_pop(struct unix_sock *u)
{
	struct unix_msg *msg = u->head;
	if (!msg)
		return NULL;
	u->head = msg->next;
	if (!u->head)
		u->tail = NULL;
	u->qlen--;
	u->qbytes -= msg->len - msg->off;
	msg->next = NULL;
	return msg;
}

/* Empties the queue; the caller frees what comes back once it holds no lock. */
static struct unix_msg *queue_steal(struct unix_sock *u)
{
	struct unix_msg *q = u->head;
	u->head = u->tail = NULL;
	u->qlen = u->qbytes = 0;
	return q;
}

/* Reads and clears the pending error, as sock_error(): 0 or -errno. The caller holds u->lock. */
static int take_error_locked(struct unix_sock *u)
{
	int e = u->err;
	u->err = 0;
	return -e;
}

/* Credentials go with a message when either end asked for them (unix_maybe_add_creds). */
static void maybe_add_creds(struct unix_msg *msg, struct unix_sock *u, struct unix_sock *other)
{
	if (!msg->has_creds && (sock_opt(&u->sock.passcred) || sock_opt(&other->sock.passcred))) {
		sock_creds_current(&msg->creds, false);
		msg->has_creds = true;
	}
}

static void deliver_creds(struct sock_msg *m, const struct unix_msg *msg)
{
	m->has_creds = true;
	if (msg && msg->has_creds)
		m->creds = msg->creds;
	else if (msg)
		m->creds = (struct sock_creds){ 0, UNIX_OVERFLOW_ID, UNIX_OVERFLOW_ID };
	else
		m->creds = (struct sock_creds){ 0, 0, 0 }; /* nothing was read: an empty cookie */
}

static void deliver_sender_addr(struct sock_msg *m, const struct unix_msg *msg)
{
	struct unix_addr *a = msg->sender ? unix_addr_of(msg->sender) : NULL;
	if (a) {
		memcpy(&m->addr, a->name, a->len);
		m->addrlen = a->len;
	}
}

/* Hands msg's files to m: taken, or duplicated for a peek. */
static void deliver_files(struct sock_msg *m, struct unix_msg *msg, bool peek)
{
	if (!msg->nfiles)
		return;
	if (!peek) {
		m->files = msg->files;
		m->nfiles = msg->nfiles;
		msg->files = NULL;
		msg->nfiles = 0;
		return;
	}
	m->files = malloc(sizeof(*m->files) * (size_t)msg->nfiles);
	if (!m->files)
		return;
	for (int i = 0; i < msg->nfiles; i++) {
		file_get(msg->files[i]);
		m->files[i] = msg->files[i];
	}
	m->nfiles = msg->nfiles;
}

/* ---- waiting for a datagram receiver's room ---- */

static void add_waiter_locked(struct unix_sock *other, struct unix_sock *u)
{
	for (struct unix_waiter *w = other->waiters; w; w = w->next)
		if (w->u == u)
			return;
	struct unix_waiter *w = malloc(sizeof(*w));
	if (!w)
		return; /* the sender still sees POLLOUT come back on its own next write */
	unix_sock_get(u);
	w->u = u;
	w->next = other->waiters;
	other->waiters = w;
}

static void wake_waiters(struct unix_waiter *w)
{
	while (w) {
		struct unix_waiter *next = w->next;
		waitqueue_wake_all(&w->u->wq);
		unix_sock_put(w->u);
		free(w);
		w = next;
	}
}

static struct unix_waiter *take_waiters_locked(struct unix_sock *u)
{
	struct unix_waiter *w = u->waiters;
	u->waiters = NULL;
	return w;
}

/* ---- names ---- */

static int validate_addr(const struct sockaddr_storage *addr, size_t len)
{
	if (len <= UNIX_PATH_OFFSET || len > sizeof(struct sockaddr_un))
		return -EINVAL;
	if (addr->ss_family != AF_UNIX)
		return -EINVAL;
	return 0;
}

/* The path of a file-system name: sun_path cut at the address length, as a C string. */
static void addr_path(const struct sockaddr_storage *addr, size_t len, char *path /* 109 */)
{
	size_t n = len - UNIX_PATH_OFFSET;
	memcpy(path, ((const struct sockaddr_un *)addr)->sun_path, n);
	path[n] = '\0';
}

/* unix_table_lock held. */
static struct unix_sock *find_abstract_locked(const void *name, size_t len, int type)
{
	for (struct unix_sock *s = unix_bound; s; s = s->bound_next) {
		struct unix_addr *a = s->addr;
		if (!s->path_bound && s->sock.type == type && a->len == len &&
		    memcmp(a->name, name, len) == 0)
			return s;
	}
	return NULL;
}

static struct unix_sock *find_path_locked(uint64_t dev, uint64_t ino)
{
	for (struct unix_sock *s = unix_bound; s; s = s->bound_next)
		if (s->path_bound && s->bound_dev == dev && s->bound_ino == ino)
			return s;
	return NULL;
}

static void unix_unhash(struct unix_sock *u)
{
	pthread_mutex_lock(&unix_table_lock);
	for (struct unix_sock **pp = &unix_bound; *pp; pp = &(*pp)->bound_next) {
		if (*pp == u) {
			*pp = u->bound_next;
			break;
		}
	}
	pthread_mutex_unlock(&unix_table_lock);
}

/* Names u with a (consumed). Both locks held; u must be unnamed. */
static void set_addr_locked(struct unix_sock *u, struct unix_addr *a)
{
	__atomic_store_n(&u->addr, a, __ATOMIC_RELEASE);
	u->bound_next = unix_bound;
	unix_bound = u;
}

/* An abstract name of five hex digits, as Linux's autobind; 0 when already named. */
static int unix_autobind(struct unix_sock *u)
{
	/* sun_family, a NUL, five hex digits: 8 bytes, what getsockname then reports. */
	char name[UNIX_PATH_OFFSET + 6];
	sa_family_t family = AF_UNIX;
	int r = -ENOSPC;

	pthread_mutex_lock(&unix_table_lock);
	pthread_mutex_lock(&u->lock);
	if (u->addr) {
		r = 0;
		goto out;
	}
	if (!unix_autobind_next)
		unix_autobind_next = ((uint32_t)getpid() ^ (uint32_t)time(NULL)) | 1;
	for (uint32_t tries = 0; tries <= 0xFFFFF; tries++) {
		uint32_t n = unix_autobind_next++ & 0xFFFFF;
		char hex[8];
		memset(name, 0, sizeof(name));
		memcpy(name, &family, sizeof(family));
		snprintf(hex, sizeof(hex), "%05x", n);
		memcpy(name + UNIX_PATH_OFFSET + 1, hex, 5);
		if (find_abstract_locked(name, sizeof(name), u->sock.type))
			continue;
		struct unix_addr *a = unix_addr_new(name, sizeof(name));
		if (!a) {
			r = -ENOMEM;
			goto out;
		}
		set_addr_locked(u, a);
		r = 0;
		break;
	}
out:
	pthread_mutex_unlock(&u->lock);
	pthread_mutex_unlock(&unix_table_lock);
	return r;
}

static int unix_bind_abstract(struct unix_sock *u, const struct sockaddr_storage *addr,
			      size_t len)
{
	struct unix_addr *a = unix_addr_new(addr, len);
	if (!a)
		return -ENOMEM;
	int r = 0;
	pthread_mutex_lock(&unix_table_lock);
	pthread_mutex_lock(&u->lock);
	if (u->addr)
		r = -EINVAL;
	else if (find_abstract_locked(a->name, len, u->sock.type))
		r = -EADDRINUSE;
	else
		set_addr_locked(u, a);
	pthread_mutex_unlock(&u->lock);
	pthread_mutex_unlock(&unix_table_lock);
	if (r < 0)
		unix_addr_put(a);
	return r;
}

/* The (dev, ino) a path names: how a socket inode is matched to its socket, whichever dentry
 * or inode struct the filesystem hands out for it. */
static int path_identity(struct task *t, const char *path, unsigned int flags, struct kstat *st,
			 bool need_write)
{
	struct path p;
	int r = vfs_lookup(t, AT_FDCWD, path, flags, &p);
	if (r < 0)
		return r;
	if (need_write)
		r = inode_permission(task_creds(t), p.dentry->inode, MAY_WRITE);
	if (r == 0)
		r = vfs_dentry_getattr(p.dentry, st);
	path_put(&p);
	return r;
}

static int unix_bind_path(struct unix_sock *u, const struct sockaddr_storage *addr, size_t len)
{
	struct task *t = current();
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	addr_path(addr, len, path);
	/* The name as getsockname shows it: the path up to its first NUL, plus that NUL. */
	char name[sizeof(struct sockaddr_un) + 2];
	size_t nlen = UNIX_PATH_OFFSET + strlen(path) + 1;
	memset(name, 0, sizeof(name));
	((struct sockaddr_un *)name)->sun_family = AF_UNIX;
	memcpy(name + UNIX_PATH_OFFSET, path, strlen(path));
	struct unix_addr *a = unix_addr_new(name, nlen);
	if (!a)
		return -ENOMEM;

	/* The socket inode first, as Linux: an existing name is EADDRINUSE even for a bound
	 * socket. The mode is the socket's 0777 less the umask. */
	int r = vfs_mknod(t, AT_FDCWD, path, S_IFSOCK | 0777, 0);
	struct kstat st;
	if (r == 0)
		r = path_identity(t, path, 0, &st, false);
	if (r < 0) {
		unix_addr_put(a);
		return r == -EEXIST ? -EADDRINUSE : r;
	}
	pthread_mutex_lock(&unix_table_lock);
	pthread_mutex_lock(&u->lock);
	bool named = u->addr != NULL;
	if (!named) {
		u->path_bound = true;
		u->bound_dev = st.dev;
		u->bound_ino = st.ino;
		set_addr_locked(u, a);
	}
	pthread_mutex_unlock(&u->lock);
	pthread_mutex_unlock(&unix_table_lock);
	if (named) {
		vfs_unlink(t, AT_FDCWD, path, 0);
		unix_addr_put(a);
		return -EINVAL;
	}
	return 0;
}

static int unix_bind(struct socket *s, const struct sockaddr_storage *addr, size_t len)
{
	struct unix_sock *u = unix_sk(s);
	if (len == UNIX_PATH_OFFSET && addr->ss_family == AF_UNIX)
		return unix_autobind(u);
	int r = validate_addr(addr, len);
	if (r < 0)
		return r;
	if (((const struct sockaddr_un *)addr)->sun_path[0])
		return unix_bind_path(u, addr, len);
	return unix_bind_abstract(u, addr, len);
}

/* The socket named by addr, with a reference: -ENOENT (and the walk's errors), -EACCES,
 * -ECONNREFUSED when nobody is bound there, -EPROTOTYPE for another socket type. */
static int find_other(const struct sockaddr_storage *addr, size_t len, int type,
		      struct unix_sock **out)
{
	struct unix_sock *other;
	if (((const struct sockaddr_un *)addr)->sun_path[0]) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
		struct kstat st;
		addr_path(addr, len, path);
		int r = path_identity(current(), path, LOOKUP_FOLLOW, &st, true);
		if (r < 0)
			return r;
		if (!S_ISSOCK(st.mode))
			return -ECONNREFUSED;
		pthread_mutex_lock(&unix_table_lock);
		other = find_path_locked(st.dev, st.ino);
		if (other)
			unix_sock_get(other);
		pthread_mutex_unlock(&unix_table_lock);
		if (!other)
			return -ECONNREFUSED;
		if (other->sock.type != type) {
			unix_sock_put(other);
			return -EPROTOTYPE;
		}
	} else {
		/* Abstract names are per type, as Linux's hash makes them. */
		pthread_mutex_lock(&unix_table_lock);
		other = find_abstract_locked(addr, len, type);
		if (other)
			unix_sock_get(other);
		pthread_mutex_unlock(&unix_table_lock);
		if (!other)
			return -ECONNREFUSED;
	}
	*out = other;
	return 0;
}

static int unix_getname(struct socket *s, struct sockaddr_storage *addr, bool peer)
{
	struct unix_sock *u = unix_sk(s);
	struct unix_sock *target = u;
	if (peer) {
		target = unix_peer_get(u);
		if (!target)
			return -ENOTCONN;
	}
	struct unix_addr *a = unix_addr_of(target);
	int len;
	if (a) {
		memcpy(addr, a->name, a->len);
		len = (int)a->len;
	} else {
		memset(addr, 0, UNIX_PATH_OFFSET + 1);
		addr->ss_family = AF_UNIX;
		len = UNIX_PATH_OFFSET;
	}
	if (peer)
		unix_sock_put(target);
	return len;
}

/* ---- creation and release ---- */

int unix_create(int type, int protocol, struct socket **out)
{
	if (protocol && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case SOCK_STREAM:
	case SOCK_SEQPACKET:
	case SOCK_DGRAM:
		break;
	case SOCK_RAW:
		type = SOCK_DGRAM; /* "Believe it or not BSD has AF_UNIX, SOCK_RAW" */
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct unix_sock *u = unix_sock_alloc(type);
	if (!u)
		return -ENOMEM;
	*out = &u->sock;
	return 0;
}

int unix_create_pair(int type, int protocol, struct socket **a, struct socket **b)
{
	struct socket *sa, *sb;
	int r = unix_create(type, protocol, &sa);
	if (r < 0)
		return r;
	r = unix_create(type, protocol, &sb);
	if (r < 0) {
		unix_sock_put(unix_sk(sa));
		return r;
	}
	struct unix_sock *ua = unix_sk(sa), *ub = unix_sk(sb);
	unix_sock_get(ua);
	unix_sock_get(ub);
	ua->peer = ub;
	ub->peer = ua;
	ua->state = ub->state = UNIX_ESTABLISHED;
	sock_creds_current(&ua->peercred, true);
	ub->peercred = ua->peercred;
	ua->has_peercred = ub->has_peercred = true;
	*a = sa;
	*b = sb;
	return 0;
}

/* Disconnects u and drops the reference its file (or a listener's queue, for an embryo) held:
 * Linux's unix_release_sock. */
static void unix_release_sock(struct unix_sock *u, bool embryo)
{
	unix_unhash(u);
	pthread_mutex_lock(&u->lock);
	u->dead = true;
	u->shutdown = SHUTDOWN_MASK;
	enum unix_state state = u->state;
	u->state = UNIX_CLOSE;
	struct unix_sock *peer = u->peer;
	u->peer = NULL;
	struct unix_msg *q = queue_steal(u);
	struct unix_waiter *waiters = take_waiters_locked(u);
	pthread_mutex_unlock(&u->lock);
	waitqueue_wake_all(&u->wq);

	if (peer) {
		if (is_connection_type(u)) {
			/* The peer may write no more; unread data (or a connection never accepted)
			 * makes it a reset. */
			pthread_mutex_lock(&peer->lock);
			peer->shutdown = SHUTDOWN_MASK;
			if (q || embryo)
				peer->err = ECONNRESET;
			pthread_mutex_unlock(&peer->lock);
			waitqueue_wake_all(&peer->wq);
		}
		unix_sock_put(peer);
	}
	for (struct unix_msg *m = q; m; m = m->next) {
		if (state == UNIX_LISTEN && m->embryo) {
			unix_release_sock(m->embryo, true); /* drops the queue's reference */
			m->embryo = NULL;
		}
	}
	unix_msgs_free(q);
	wake_waiters(waiters);
	unix_sock_put(u);
}

static void unix_release(struct socket *s)
{
	unix_release_sock(unix_sk(s), false);
}

/* ---- listen, connect, accept ---- */

static int unix_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = unix_sk(s);
	if (!is_connection_type(u))
		return -EOPNOTSUPP;
	if (!unix_addr_of(u))
		return -EINVAL;
	struct sock_creds creds;
	sock_creds_current(&creds, true);
	int r = 0;
	pthread_mutex_lock(&u->lock);
	if (u->state != UNIX_CLOSE && u->state != UNIX_LISTEN) {
		r = -EINVAL;
	} else {
		u->backlog = backlog;
		u->state = UNIX_LISTEN;
		/* What connecting sockets get as SO_PEERCRED. */
		u->peercred = creds;
		u->has_peercred = true;
	}
	pthread_mutex_unlock(&u->lock);
	waitqueue_wake_all(&u->wq); /* a bigger backlog lets blocked connects in */
	return r;
}

static bool listener_has_room(void *arg)
{
	struct unix_sock *l = arg;
	pthread_mutex_lock(&l->lock);
	bool r = l->dead || l->state != UNIX_LISTEN || (l->shutdown & RCV_SHUTDOWN) ||
		 l->qlen <= (size_t)l->backlog;
	pthread_mutex_unlock(&l->lock);
	return r;
}

static int unix_stream_connect(struct unix_sock *u, const struct sockaddr_storage *addr,
			       size_t len, bool nonblock)
{
	int r = validate_addr(addr, len);
	if (r < 0)
		return r;
	if (sock_opt(&u->sock.passcred) && !unix_addr_of(u)) {
		r = unix_autobind(u);
		if (r < 0)
			return r;
	}
	struct sock_timeout to;
	sock_timeout_start(&to, &u->sock.sndtimeo_ns, nonblock);
	/* The server end, made now so nothing can fail once the listener is locked. */
	struct unix_sock *n = unix_sock_alloc(u->sock.type);
	struct unix_msg *req = NULL;
	if (!n || unix_msg_new(n, NULL, 0, NULL, false, &req) < 0) {
		unix_sock_put(n);
		return -ENOMEM;
	}
	struct sock_creds creds;
	sock_creds_current(&creds, true);
	for (;;) {
		struct unix_sock *other;
		r = find_other(addr, len, u->sock.type, &other);
		if (r < 0)
			break;
		pthread_mutex_lock(&other->lock);
		if (other->dead) { /* released after the lookup: look again */
			pthread_mutex_unlock(&other->lock);
			unix_sock_put(other);
			continue;
		}
		if (other->state != UNIX_LISTEN || (other->shutdown & RCV_SHUTDOWN)) {
			pthread_mutex_unlock(&other->lock);
			unix_sock_put(other);
			r = -ECONNREFUSED;
			break;
		}
		if (other->qlen > (size_t)other->backlog) {
			pthread_mutex_unlock(&other->lock);
			if (to.nowait) {
				unix_sock_put(other);
				r = -EAGAIN;
				break;
			}
			/* Room, a timeout (the next pass may not wait) or a signal. */
			r = sock_wait(&to, &other->wq, listener_has_room, other);
			unix_sock_put(other);
			if (r < 0 && r != -EAGAIN)
				break;
			continue;
		}
		if (other == u) {
			/* A listener connecting to itself: its state already says no. */
			pthread_mutex_unlock(&other->lock);
			unix_sock_put(other);
			r = -EINVAL;
			break;
		}
		/* Listener before connecting socket: the lock order. */
		pthread_mutex_lock(&u->lock);
		if (u->state != UNIX_CLOSE) {
			r = u->state == UNIX_ESTABLISHED ? -EISCONN : -EINVAL;
			pthread_mutex_unlock(&u->lock);
			pthread_mutex_unlock(&other->lock);
			unix_sock_put(other);
			break;
		}
		unix_sock_get(u);
		n->peer = u;
		n->state = UNIX_ESTABLISHED;
		n->peercred = creds;
		n->has_peercred = true;
		n->sock.passcred = sock_opt(&other->sock.passcred);
		if (other->addr) {
			unix_addr_get(other->addr);
			__atomic_store_n(&n->addr, other->addr, __ATOMIC_RELEASE);
		}
		u->peercred = other->peercred;
		u->has_peercred = other->has_peercred;
		u->state = UNIX_ESTABLISHED;
		unix_sock_get(n);
		u->peer = n;
		pthread_mutex_unlock(&u->lock);
		req->embryo = n; /* the queue's reference: the one n was made with */
		queue_tail(other, req);
		pthread_mutex_unlock(&other->lock);
		waitqueue_wake_all(&other->wq);
		unix_sock_put(other);
		return 0;
	}
	unix_msg_free(req);
	unix_release_sock(n, false);
	return r;
}

static int unix_dgram_connect(struct unix_sock *u, const struct sockaddr_storage *addr,
			      size_t len)
{
	if (len < offsetof(struct sockaddr, sa_data))
		return -EINVAL;
	struct unix_sock *other = NULL;
	if (addr->ss_family != AF_UNSPEC) {
		int r = validate_addr(addr, len);
		if (r < 0)
			return r;
		if (sock_opt(&u->sock.passcred) && !unix_addr_of(u)) {
			r = unix_autobind(u);
			if (r < 0)
				return r;
		}
		for (;;) {
			r = find_other(addr, len, u->sock.type, &other);
			if (r < 0)
				return r;
			pthread_mutex_lock(&other->lock);
			bool dead = other->dead;
			/* Only a socket connected to nobody or to us may be our peer. */
			bool may_send = !other->peer || other->peer == u;
			pthread_mutex_unlock(&other->lock);
			if (dead) {
				unix_sock_put(other);
				continue;
			}
			if (!may_send) {
				unix_sock_put(other);
				return -EPERM;
			}
			break;
		}
	}
	pthread_mutex_lock(&u->lock);
	struct unix_sock *old = u->peer;
	u->peer = other;
	if (other)
		u->state = UNIX_ESTABLISHED;
	else if (old)
		u->state = UNIX_CLOSE;
	/* A new peer: what the old one (or anyone) sent is dropped, so flow control and
	 * "only the peer sends" hold (unix_dgram_disconnected). */
	struct unix_msg *q = old && old != other ? queue_steal(u) : NULL;
	pthread_mutex_unlock(&u->lock);
	if (old && old != other) {
		pthread_mutex_lock(&old->lock);
		if (q && !old->dead && old->peer == u)
			old->err = ECONNRESET;
		pthread_mutex_unlock(&old->lock);
		waitqueue_wake_all(&old->wq);
		waitqueue_wake_all(&u->wq);
	}
	unix_msgs_free(q);
	unix_sock_put(old);
	return 0;
}

static int unix_connect(struct socket *s, const struct sockaddr_storage *addr, size_t len,
			bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	if (u->sock.type == SOCK_DGRAM)
		return unix_dgram_connect(u, addr, len);
	return unix_stream_connect(u, addr, len, nonblock);
}

static bool accept_ready(void *arg)
{
	struct unix_sock *u = arg;
	pthread_mutex_lock(&u->lock);
	bool r = u->head || u->err || (u->shutdown & RCV_SHUTDOWN) || u->state != UNIX_LISTEN;
	pthread_mutex_unlock(&u->lock);
	return r;
}

static int unix_accept(struct socket *s, bool nonblock, struct socket **out)
{
	struct unix_sock *u = unix_sk(s);
	if (!is_connection_type(u))
		return -EOPNOTSUPP;
	struct sock_timeout to;
	sock_timeout_start(&to, &u->sock.rcvtimeo_ns, nonblock);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		if (u->state != UNIX_LISTEN) {
			pthread_mutex_unlock(&u->lock);
			return -EINVAL;
		}
		struct unix_msg *req = queue_pop(u);
		if (req) {
			pthread_mutex_unlock(&u->lock);
			waitqueue_wake_all(&u->wq); /* room for a blocked connect */
			struct unix_sock *n = req->embryo;
			req->embryo = NULL;
			unix_msg_free(req);
			*out = &n->sock;
			return 0;
		}
		int r = take_error_locked(u);
		if (r == 0 && (u->shutdown & RCV_SHUTDOWN))
			r = -EINVAL; /* a shut-down listener: what wakes a blocked accept */
		pthread_mutex_unlock(&u->lock);
		if (r < 0)
			return r;
		if (to.nowait)
			return -EAGAIN;
		r = sock_wait(&to, &u->wq, accept_ready, u);
		if (r < 0 && r != -EAGAIN)
			return r;
	}
}

/* ---- sending ---- */

static bool wmem_room(void *arg)
{
	struct unix_sock *u = arg;
	pthread_mutex_lock(&u->lock);
	bool r = u->err || (u->shutdown & SEND_SHUTDOWN);
	pthread_mutex_unlock(&u->lock);
	return r || __atomic_load_n(&u->wmem, __ATOMIC_RELAXED) < sock_opt(&u->sock.sndbuf);
}

/* Waits for room in u's send buffer, as sock_alloc_send_pskb: 0, or the pending error, -EPIPE
 * after shutdown(SHUT_WR), -EAGAIN, a signal. */
static int wait_wmem(struct unix_sock *u, struct sock_timeout *to)
{
	for (;;) {
		pthread_mutex_lock(&u->lock);
		int r = take_error_locked(u);
		if (r == 0 && (u->shutdown & SEND_SHUTDOWN))
			r = -EPIPE;
		pthread_mutex_unlock(&u->lock);
		if (r < 0)
			return r;
		if (__atomic_load_n(&u->wmem, __ATOMIC_RELAXED) < sock_opt(&u->sock.sndbuf))
			return 0;
		if (to->nowait)
			return -EAGAIN;
		r = sock_wait(to, &u->wq, wmem_room, u);
		if (r < 0 && r != -EAGAIN)
			return r;
	}
}

static bool dgram_room(void *arg)
{
	struct unix_sock *o = arg;
	pthread_mutex_lock(&o->lock);
	bool r = o->dead || (o->shutdown & RCV_SHUTDOWN) || o->qlen <= UNIX_MAX_DGRAM_QLEN;
	pthread_mutex_unlock(&o->lock);
	return r;
}

static ssize_t unix_dgram_sendmsg(struct unix_sock *u, struct sock_msg *m, size_t len)
{
	int r;
	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->addrlen) {
		r = validate_addr(&m->addr, m->addrlen);
		if (r < 0)
			return r;
	}
	if (sock_opt(&u->sock.passcred) && !unix_addr_of(u)) {
		r = unix_autobind(u);
		if (r < 0)
			return r;
	}
	if (len > SSIZE_MAX || (ssize_t)len > sock_opt(&u->sock.sndbuf) - 32)
		return -EMSGSIZE;
	struct sock_timeout to;
	sock_timeout_start(&to, &u->sock.sndtimeo_ns, m->flags & MSG_DONTWAIT);
	r = wait_wmem(u, &to);
	if (r < 0)
		return r;
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	struct unix_msg *msg;
	r = unix_msg_new(u, &it, len, m, true, &msg);
	if (r < 0)
		return r;
	struct unix_sock *other = NULL;
	if (m->addrlen)
		r = find_other(&m->addr, m->addrlen, u->sock.type, &other);
	else if (!(other = unix_peer_get(u)))
		r = -ENOTCONN;
	if (r < 0) {
		unix_msg_free(msg);
		return r;
	}
	maybe_add_creds(msg, u, other);
	for (;;) {
		pthread_mutex_lock(&other->lock);
		if (other->peer && other->peer != u) {
			pthread_mutex_unlock(&other->lock);
			r = -EPERM;
			break;
		}
		if (other->dead) {
			pthread_mutex_unlock(&other->lock);
			if (u->sock.type == SOCK_SEQPACKET) {
				r = -EPIPE;
				break;
			}
			/* Our peer is gone: we are disconnected, and learn it now. */
			pthread_mutex_lock(&u->lock);
			if (u->peer == other) {
				u->peer = NULL;
				u->state = UNIX_CLOSE;
				struct unix_msg *q = queue_steal(u);
				pthread_mutex_unlock(&u->lock);
				unix_msgs_free(q);
				unix_sock_put(other); /* the peer reference */
				r = -ECONNREFUSED;
				break;
			}
			pthread_mutex_unlock(&u->lock);
			if (!m->addrlen) {
				r = -ECONNRESET;
				break;
			}
			unix_sock_put(other);
			other = NULL;
			r = find_other(&m->addr, m->addrlen, u->sock.type, &other);
			if (r < 0)
				break;
			continue;
		}
		if (other->shutdown & RCV_SHUTDOWN) {
			pthread_mutex_unlock(&other->lock);
			r = -EPIPE;
			break;
		}
		/* A receiver not connected back to us takes at most max_dgram_qlen messages. */
		if (other != u && other->peer != u && other->qlen > UNIX_MAX_DGRAM_QLEN) {
			if (to.nowait) {
				add_waiter_locked(other, u);
				pthread_mutex_unlock(&other->lock);
				r = -EAGAIN;
				break;
			}
			pthread_mutex_unlock(&other->lock);
			r = sock_wait(&to, &other->wq, dgram_room, other);
			if (r < 0 && r != -EAGAIN)
				break;
			continue;
		}
		queue_tail(other, msg);
		msg = NULL;
		pthread_mutex_unlock(&other->lock);
		waitqueue_wake_all(&other->wq);
		r = (int)len;
		break;
	}
	unix_sock_put(other);
	if (msg)
		unix_msg_free(msg);
	return r;
}

static ssize_t unix_stream_sendmsg(struct unix_sock *u, struct sock_msg *m, size_t len)
{
	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&u->lock);
	enum unix_state state = u->state;
	int shut = u->shutdown;
	pthread_mutex_unlock(&u->lock);
	if (m->addrlen)
		return state == UNIX_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
	struct unix_sock *other = unix_peer_get(u);
	if (!other)
		return -ENOTCONN;
	size_t sent = 0;
	int err = 0;
	if (shut & SEND_SHUTDOWN)
		goto pipe;
	struct sock_timeout to;
	sock_timeout_start(&to, &u->sock.sndtimeo_ns, m->flags & MSG_DONTWAIT);
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	bool files_sent = false;
	while (sent < len) {
		/* Linux keeps two pieces in flight per buffer. */
		size_t size = MIN(len - sent, (size_t)(sock_opt(&u->sock.sndbuf) / 2 - 64));
		size = MIN(size, (size_t)UNIX_STREAM_CHUNK);
		err = wait_wmem(u, &to);
		if (err < 0)
			break;
		struct unix_msg *msg;
		err = unix_msg_new(u, &it, size, m, !files_sent, &msg);
		if (err < 0)
			break;
		files_sent = true; /* only the first piece carries the files */
		maybe_add_creds(msg, u, other);
		pthread_mutex_lock(&other->lock);
		if (other->dead || (other->shutdown & RCV_SHUTDOWN)) {
			pthread_mutex_unlock(&other->lock);
			unix_msg_free(msg);
			goto pipe;
		}
		queue_tail(other, msg);
		pthread_mutex_unlock(&other->lock);
		waitqueue_wake_all(&other->wq);
		sent += size;
	}
	unix_sock_put(other);
	return sent ? (ssize_t)sent : err;
pipe:
	unix_sock_put(other);
	if (!sent && !(m->flags & MSG_NOSIGNAL) && current())
		task_send_signal(current(), SIGPIPE, NULL);
	return sent ? (ssize_t)sent : -EPIPE;
}

static ssize_t unix_sendmsg(struct socket *s, struct sock_msg *m, size_t len)
{
	struct unix_sock *u = unix_sk(s);
	if (u->sock.type == SOCK_STREAM)
		return unix_stream_sendmsg(u, m, len);
	if (u->sock.type == SOCK_SEQPACKET) {
		pthread_mutex_lock(&u->lock);
		int r = take_error_locked(u);
		if (r == 0 && u->state != UNIX_ESTABLISHED)
			r = -ENOTCONN;
		pthread_mutex_unlock(&u->lock);
		if (r < 0)
			return r;
		m->addrlen = 0; /* a seqpacket socket ignores a destination */
	}
	return unix_dgram_sendmsg(u, m, len);
}

/* ---- receiving ---- */

static bool dgram_readable(void *arg)
{
	struct unix_sock *u = arg;
	pthread_mutex_lock(&u->lock);
	bool r = u->head || u->err || (u->shutdown & RCV_SHUTDOWN) ||
		 (u->sock.type == SOCK_SEQPACKET && u->state != UNIX_ESTABLISHED);
	pthread_mutex_unlock(&u->lock);
	return r;
}

/* Copies one datagram out to m (u->lock held; msg popped already unless peeking). */
static ssize_t deliver_dgram(struct unix_sock *u, struct sock_msg *m, struct unix_msg *msg,
			     size_t size)
{
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	size_t n = MIN(size, msg->len);
	if (size < msg->len)
		m->out_flags |= MSG_TRUNC;
	copy_to_iter(msg->data, n, &it);
	deliver_sender_addr(m, msg);
	if (sock_opt(&u->sock.passcred))
		deliver_creds(m, msg);
	deliver_files(m, msg, m->flags & MSG_PEEK);
	return (m->flags & MSG_TRUNC) ? (ssize_t)msg->len : (ssize_t)n;
}

static ssize_t unix_dgram_recvmsg(struct unix_sock *u, struct sock_msg *m, size_t size)
{
	bool seqpacket = u->sock.type == SOCK_SEQPACKET;
	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	struct sock_timeout to;
	sock_timeout_start(&to, &u->sock.rcvtimeo_ns, m->flags & MSG_DONTWAIT);
	for (;;) {
		pthread_mutex_lock(&u->lock);
		struct unix_msg *msg = u->head;
		if (msg && m->fault && size && msg->len) {
			pthread_mutex_unlock(&u->lock);
			return -EFAULT;
		}
		if (msg) {
			struct unix_waiter *waiters = NULL;
			bool peek = m->flags & MSG_PEEK;
			if (!peek) {
				queue_pop(u);
				waiters = take_waiters_locked(u);
			}
			ssize_t r = deliver_dgram(u, m, msg, size);
			pthread_mutex_unlock(&u->lock);
			if (!peek) {
				waitqueue_wake_all(&u->wq); /* room for blocked senders */
				wake_waiters(waiters);
				unix_msg_free(msg);
			}
			return r;
		}
		/* Nothing queued: as __skb_wait_for_more_packets, in its order. */
		bool shut = u->shutdown & RCV_SHUTDOWN;
		bool wait = false;
		int r;
		if (to.nowait)
			/* A disconnected seqpacket socket reads EOF even when it may not wait. */
			r = seqpacket && shut ? 0 : -EAGAIN;
		else if (u->err)
			r = take_error_locked(u);
		else if (shut)
			r = 0;
		else if (seqpacket && u->state != UNIX_ESTABLISHED)
			r = -ENOTCONN;
		else
			wait = true;
		pthread_mutex_unlock(&u->lock);
		if (!wait)
			return r;
		r = sock_wait(&to, &u->wq, dgram_readable, u);
		if (r < 0 && r != -EAGAIN)
			return r;
	}
}

struct stream_wait {
	struct unix_sock *u;
	size_t seen; /* bytes a peek has already looked at */
};

static bool stream_readable(void *arg)
{
	struct stream_wait *w = arg;
	pthread_mutex_lock(&w->u->lock);
	bool r = w->u->qbytes > w->seen || w->u->err || (w->u->shutdown & RCV_SHUTDOWN) ||
		 w->u->dead;
	pthread_mutex_unlock(&w->u->lock);
	return r;
}

static bool creds_equal(const struct unix_msg *msg, bool has, const struct sock_creds *c)
{
	if (msg->has_creds != has)
		return false;
	return !has || (msg->creds.pid == c->pid && msg->creds.uid == c->uid &&
			msg->creds.gid == c->gid);
}

static ssize_t unix_stream_recvmsg(struct unix_sock *u, struct sock_msg *m, size_t size)
{
	int flags = m->flags;
	bool peek = flags & MSG_PEEK;
	pthread_mutex_lock(&u->lock);
	enum unix_state state = u->state;
	pthread_mutex_unlock(&u->lock);
	if (state != UNIX_ESTABLISHED)
		return -EINVAL;
	if (flags & MSG_OOB)
		return -EINVAL; /* out-of-band data is never queued: Linux's answer then */
	size_t target = (flags & MSG_WAITALL) ? size : MIN((size_t)sock_opt(&u->sock.rcvlowat), size);
	if (!target)
		target = 1;
	struct sock_timeout to;
	sock_timeout_start(&to, &u->sock.rcvtimeo_ns, flags & MSG_DONTWAIT);
	struct iov_iter it;
	iov_iter_init(&it, m->iov, m->iovcnt);
	bool passcred = sock_opt(&u->sock.passcred);
	bool check_creds = false, scm_has = false, named = false;
	struct sock_creds scm = { 0, 0, 0 };
	struct unix_msg *done = NULL; /* read whole: freed at the end, with no lock held */
	size_t copied = 0;
	int err = 0;

	do {
		pthread_mutex_lock(&u->lock);
		/* A peek goes on after what it has already looked at. */
		size_t skip = peek ? copied : 0;
		struct unix_msg *msg = u->head;
		while (msg && skip >= msg->len - msg->off) {
			skip -= msg->len - msg->off;
			msg = msg->next;
		}
		if (!msg) {
			/* Enough, an error (POSIX wants it before EOF), or EOF. */
			bool stop = copied >= target;
			if (!stop)
				stop = (err = take_error_locked(u)) < 0 || (u->shutdown & RCV_SHUTDOWN);
			pthread_mutex_unlock(&u->lock);
			if (stop)
				break;
			if (to.nowait) {
				err = -EAGAIN;
				break;
			}
			struct stream_wait w = { u, peek ? copied : 0 };
			int r = sock_wait(&to, &u->wq, stream_readable, &w);
			if (r < 0 && r != -EAGAIN) {
				err = r;
				break;
			}
			continue;
		}
		/* Never glue data from different writers when credentials are asked for. */
		if (check_creds) {
			if (!creds_equal(msg, scm_has, &scm)) {
				pthread_mutex_unlock(&u->lock);
				break;
			}
		} else if (passcred) {
			scm_has = msg->has_creds;
			scm = msg->creds;
			check_creds = true;
		}
		if (!named) {
			deliver_sender_addr(m, msg);
			named = true;
		}
		size_t chunk = MIN(msg->len - msg->off - skip, size);
		if (m->fault && chunk) {
			pthread_mutex_unlock(&u->lock);
			if (!copied)
				err = -EFAULT;
			break;
		}
		copy_to_iter(msg->data + msg->off + skip, chunk, &it);
		copied += chunk;
		size -= chunk;
		bool had_files = msg->nfiles > 0;
		if (peek) {
			deliver_files(m, msg, true);
			pthread_mutex_unlock(&u->lock);
			if (had_files)
				break; /* files end a read, as Linux's */
			continue;
		}
		msg->off += chunk;
		u->qbytes -= chunk;
		deliver_files(m, msg, false);
		if (msg->off < msg->len) {
			pthread_mutex_unlock(&u->lock);
			break;
		}
		queue_pop(u);
		pthread_mutex_unlock(&u->lock);
		msg->next = done;
		done = msg;
		if (had_files)
			break;
	} while (size);

	if (passcred) {
		m->has_creds = true;
		if (check_creds)
			m->creds = scm_has ? scm :
					     (struct sock_creds){ 0, UNIX_OVERFLOW_ID, UNIX_OVERFLOW_ID };
		else
			deliver_creds(m, NULL);
	}
	unix_msgs_free(done);
	return copied ? (ssize_t)copied : err;
}

static ssize_t unix_recvmsg(struct socket *s, struct sock_msg *m, size_t len)
{
	struct unix_sock *u = unix_sk(s);
	if (u->sock.type == SOCK_STREAM)
		return unix_stream_recvmsg(u, m, len);
	if (u->sock.type == SOCK_SEQPACKET) {
		pthread_mutex_lock(&u->lock);
		enum unix_state state = u->state;
		pthread_mutex_unlock(&u->lock);
		if (state != UNIX_ESTABLISHED)
			return -ENOTCONN;
	}
	return unix_dgram_recvmsg(u, m, len);
}

/* ---- shutdown, poll, ioctl, options ---- */

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_sk(s);
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	int mode = how + 1; /* SHUT_RD -> RCV_SHUTDOWN, SHUT_WR -> SEND_SHUTDOWN, both */
	pthread_mutex_lock(&u->lock);
	u->shutdown |= mode;
	struct unix_sock *other = u->peer;
	if (other)
		unix_sock_get(other);
	pthread_mutex_unlock(&u->lock);
	waitqueue_wake_all(&u->wq);
	if (other && is_connection_type(u)) {
		int peer_mode = ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) |
				((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
		pthread_mutex_lock(&other->lock);
		other->shutdown |= peer_mode;
		pthread_mutex_unlock(&other->lock);
		waitqueue_wake_all(&other->wq);
	}
	unix_sock_put(other);
	return 0;
}

static unsigned int unix_poll(struct socket *s, struct waitqueue **wq)
{
	struct unix_sock *u = unix_sk(s);
	unsigned int mask = 0;
	*wq = &u->wq;
	pthread_mutex_lock(&u->lock);
	if (u->err)
		mask |= POLLERR;
	if (u->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (u->shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->head)
		mask |= POLLIN | POLLRDNORM;
	/* Connection types hang up until connected (a fresh socket polls POLLOUT|POLLHUP). */
	if (is_connection_type(u) && u->state == UNIX_CLOSE)
		mask |= POLLHUP;
	/* Writable while a quarter of the send buffer is free, as unix_writable. */
	bool writable = u->state != UNIX_LISTEN &&
			__atomic_load_n(&u->wmem, __ATOMIC_RELAXED) * 4 <= sock_opt(&u->sock.sndbuf);
	struct unix_sock *other = NULL;
	if (writable && u->sock.type != SOCK_STREAM && u->peer) {
		other = u->peer;
		unix_sock_get(other);
	}
	pthread_mutex_unlock(&u->lock);
	if (other) {
		/* A full receiver that is not connected back: not writable until it reads, which
		 * wakes us through its waiter list. */
		pthread_mutex_lock(&other->lock);
		if (other->peer != u && other->qlen > UNIX_MAX_DGRAM_QLEN && !other->dead) {
			add_waiter_locked(other, u);
			writable = false;
		}
		pthread_mutex_unlock(&other->lock);
		unix_sock_put(other);
	}
	if (writable)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

static long unix_ioctl(struct socket *s, struct task *t, unsigned int cmd, uint64_t arg)
{
	struct unix_sock *u = unix_sk(s);
	int v;
	switch (cmd) {
	case SIOCOUTQ:
		v = (int)__atomic_load_n(&u->wmem, __ATOMIC_RELAXED);
		break;
	case SIOCINQ:
		pthread_mutex_lock(&u->lock);
		if (u->state == UNIX_LISTEN) {
			pthread_mutex_unlock(&u->lock);
			return -EINVAL;
		}
		/* Streams and seqpackets: every unread byte; datagrams: the next one's size. */
		if (u->sock.type == SOCK_DGRAM)
			v = u->head ? (int)u->head->len : 0;
		else
			v = (int)MIN(u->qbytes, (size_t)INT32_MAX);
		pthread_mutex_unlock(&u->lock);
		break;
	default:
		return -ENOTTY;
	}
	return copy_out(t, arg, &v, sizeof(v));
}

static int unix_getsockopt(struct socket *s, int name, void *buf, size_t size)
{
	struct unix_sock *u = unix_sk(s);
	int v;
	switch (name) {
	case SO_ERROR:
		pthread_mutex_lock(&u->lock);
		v = -take_error_locked(u);
		pthread_mutex_unlock(&u->lock);
		break;
	case SO_ACCEPTCONN:
		pthread_mutex_lock(&u->lock);
		v = u->state == UNIX_LISTEN;
		pthread_mutex_unlock(&u->lock);
		break;
	case SO_PEERCRED: {
		/* Nobody: pid 0 and ids -1, as cred_to_ucred without a cred. */
		struct sock_creds c = { 0, (uint32_t)-1, (uint32_t)-1 };
		pthread_mutex_lock(&u->lock);
		if (u->has_peercred)
			c = u->peercred;
		pthread_mutex_unlock(&u->lock);
		memcpy(buf, &c, sizeof(c));
		return sizeof(c);
	}
	default:
		return -ENOPROTOOPT;
	}
	if (size < sizeof(v))
		return -EINVAL;
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

static const struct socket_ops unix_ops = {
	.bind = unix_bind,
	.connect = unix_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.getname = unix_getname,
	.getsockopt = unix_getsockopt,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.release = unix_release,
};
