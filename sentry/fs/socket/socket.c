/* The family-independent half of sockets: sockfs (every socket's inode and file), read/write/
 * poll/ioctl on socket files, SOL_SOCKET options and blocking-call timeouts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/fs/socket/socket.h"
#include "sentry/fs/socket/unix.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

#define SOCKFS_MAGIC 0x534F434B
#define NSEC_PER_SEC 1000000000LL
#define NSEC_PER_USEC 1000LL

/* Linux's SO_* values that older headers may lack (the generic ABI, x86-64 and arm64 alike). */
#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21

/* The families Linux knows (AF_MAX); others give EAFNOSUPPORT before the type is looked at. */
#define SOCK_AF_MAX 46
#define SOCK_TYPE_MAX 11 /* SOCK_MAX */

void sock_creds_current(struct sock_creds *c, bool effective)
{
	struct task *t = current();
	*c = (struct sock_creds){ 0, 0, 0 };
	if (!t)
		return;
	c->pid = t->tgid;
	c->uid = effective ? t->creds.euid : t->creds.uid;
	c->gid = effective ? t->creds.egid : t->creds.gid;
}

void sock_msg_drop_files(struct sock_msg *m)
{
	for (int i = 0; i < m->nfiles; i++)
		file_put(m->files[i]);
	free(m->files);
	m->files = NULL;
	m->nfiles = 0;
}

void socket_init(struct socket *s, const struct socket_ops *ops, int family, int type, int protocol)
{
	s->ops = ops;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->sndbuf = SOCK_WMEM_DEFAULT;
	s->rcvbuf = SOCK_WMEM_DEFAULT;
	s->rcvlowat = 1;
}

/* ---- timeouts ---- */

void sock_timeout_start(struct sock_timeout *to, const int64_t *timeo_field, bool dontwait)
{
	int64_t ns = __atomic_load_n(timeo_field, __ATOMIC_RELAXED);
	to->nowait = dontwait || ns == SOCK_TIMEO_NOWAIT;
	to->forever = !to->nowait && ns == 0;
	if (to->nowait || to->forever)
		return;
	clock_gettime(CLOCK_MONOTONIC, &to->deadline);
	to->deadline.tv_sec += ns / NSEC_PER_SEC;
	to->deadline.tv_nsec += ns % NSEC_PER_SEC;
	if (to->deadline.tv_nsec >= NSEC_PER_SEC) {
		to->deadline.tv_sec++;
		to->deadline.tv_nsec -= NSEC_PER_SEC;
	}
}

int sock_wait(struct sock_timeout *to, struct waitqueue *wq, bool (*cond)(void *arg), void *arg)
{
	if (to->nowait)
		return cond(arg) ? 0 : -EAGAIN;
	int r = task_wait_event(current(), wq, cond, arg, to->forever ? NULL : &to->deadline);
	if (r == -ETIMEDOUT) {
		/* What is left of the call behaves as a non-blocking one, as Linux's timeo of 0. */
		to->nowait = true;
		return -EAGAIN;
	}
	if (r == -ERESTARTSYS && !to->forever)
		return -EINTR;
	return r;
}

/* ---- creation ---- */

int socket_create(int family, int type, int protocol, struct socket **out)
{
	if (family < 0 || family >= SOCK_AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SOCK_TYPE_MAX)
		return -EINVAL;
	if (family == AF_UNIX)
		return unix_create(type, protocol, out);
	return -EAFNOSUPPORT; /* no network stack yet: AF_INET, AF_INET6, AF_NETLINK ... */
}

int socket_create_pair(int family, int type, int protocol, struct socket **a, struct socket **b)
{
	if (family < 0 || family >= SOCK_AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SOCK_TYPE_MAX)
		return -EINVAL;
	if (family == AF_UNIX)
		return unix_create_pair(type, protocol, a, b);
	return -EOPNOTSUPP; /* as every other family Linux builds by default */
}

/* ---- sockfs ---- */

static void sockfs_evict(struct inode *inode)
{
	free(inode);
}

static const struct super_ops sockfs_sb_ops = { .evict_inode = sockfs_evict };
static const struct inode_ops sockfs_inode_ops;
static const struct file_ops socket_fops;

static pthread_once_t sockfs_once = PTHREAD_ONCE_INIT;
static struct superblock *sockfs_sb;
static struct mount *sockfs_mnt;

static void sockfs_init(void)
{
	sockfs_sb = sb_new(&sockfs_sb_ops, "sockfs", SOCKFS_MAGIC, "sockfs");
	struct inode *root = sockfs_sb ? calloc(1, sizeof(*root)) : NULL;
	if (!root)
		return;
	inode_init(root, sockfs_sb, S_IFDIR | 0700, &sockfs_inode_ops, NULL);
	root->ino = sb_alloc_ino(sockfs_sb);
	if (sb_set_root(sockfs_sb, root) < 0)
		return;
	sockfs_mnt = mount_new_internal(sockfs_sb);
}

int socket_file_new(struct socket *s, int flags, struct file **out)
{
	pthread_once(&sockfs_once, sockfs_init);
	struct inode *inode = sockfs_mnt ? calloc(1, sizeof(*inode)) : NULL;
	if (!inode) {
		s->ops->release(s);
		return -ENFILE;
	}
	/* Linux's sockfs inodes: srwxrwxrwx, owned by the creator. */
	inode_init(inode, sockfs_sb, S_IFSOCK | 0777, &sockfs_inode_ops, &socket_fops);
	inode->ino = sb_alloc_ino(sockfs_sb);
	struct task *t = current();
	if (t) {
		inode->uid = t->creds.fsuid;
		inode->gid = t->creds.fsgid;
	}
	char name[40];
	snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)inode->ino);
	struct dentry *d = dentry_new_anon(sockfs_sb, name, inode);
	struct path path = { sockfs_mnt, d };
	struct file *f = d ? file_new(&path, O_RDWR | (flags & O_NONBLOCK), &socket_fops) : NULL;
	if (d)
		dentry_put(d);
	if (!f) {
		s->ops->release(s);
		return -ENFILE;
	}
	f->priv = s;
	f->mode |= FMODE_STREAM;
	*out = f;
	return 0;
}

struct socket *file_socket(struct file *f)
{
	return f->ops == &socket_fops ? f->priv : NULL;
}

/* ---- socket files ---- */

static int file_dontwait(struct file *f)
{
	return (file_flags(f) & O_NONBLOCK) ? MSG_DONTWAIT : 0;
}

static ssize_t socket_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct socket *s = f->priv;
	size_t len = iov_length(iov, iovcnt);
	if (len == 0)
		return 0; /* read(2) of nothing does not reach the protocol, as sock_read_iter */
	struct sock_msg m = { .iov = iov, .iovcnt = iovcnt, .flags = file_dontwait(f) };
	ssize_t r = s->ops->recvmsg(s, &m, len);
	sock_msg_drop_files(&m); /* files that come with data read(2) reads are closed */
	return r;
}

static ssize_t socket_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct socket *s = f->priv;
	struct sock_msg m = { .iov = iov, .iovcnt = iovcnt, .flags = file_dontwait(f) };
	return s->ops->sendmsg(s, &m, iov_length(iov, iovcnt));
}

static unsigned int socket_poll(struct file *f, struct waitqueue **wq)
{
	struct socket *s = f->priv;
	return s->ops->poll(s, wq);
}

static long socket_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	struct socket *s = f->priv;
	return s->ops->ioctl(s, t, cmd, arg);
}

static void socket_release(struct file *f)
{
	struct socket *s = f->priv;
	s->ops->release(s);
}

static const struct file_ops socket_fops = {
	.read = socket_read,
	.write = socket_write,
	.poll = socket_poll,
	.ioctl = socket_ioctl,
	.release = socket_release,
};

/* ---- SOL_SOCKET options ---- */

/* The guest's struct timeval (SO_RCVTIMEO_OLD and _NEW have this layout on 64-bit). */
struct guest_timeval {
	int64_t sec, usec;
};

static void opt_store(int *field, int v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static int set_timeout(int64_t *field, struct task *t, uint64_t optval, int optlen)
{
	struct guest_timeval tv;
	if ((size_t)optlen < sizeof(tv))
		return -EINVAL;
	if (copy_in(t, &tv, optval, sizeof(tv)) < 0)
		return -EFAULT;
	if (tv.usec < 0 || tv.usec >= 1000000)
		return -EDOM;
	int64_t ns;
	if (tv.sec < 0)
		ns = SOCK_TIMEO_NOWAIT; /* Linux turns a negative timeout into "do not wait" */
	else if (tv.sec >= INT64_MAX / NSEC_PER_SEC - 1)
		ns = 0; /* too long to count: for ever, as MAX_SCHEDULE_TIMEOUT */
	else
		ns = tv.sec * NSEC_PER_SEC + tv.usec * NSEC_PER_USEC;
	__atomic_store_n(field, ns, __ATOMIC_RELAXED);
	return 0;
}

static struct guest_timeval get_timeout(const int64_t *field)
{
	int64_t ns = __atomic_load_n(field, __ATOMIC_RELAXED);
	if (ns <= 0)
		return (struct guest_timeval){ 0, 0 };
	return (struct guest_timeval){ ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / NSEC_PER_USEC };
}

int socket_setsockopt(struct socket *s, struct task *t, int level, int name, uint64_t optval,
		      int optlen)
{
	if (optlen < 0)
		return -EINVAL;
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP; /* AF_UNIX has no options of its own level */
	int val;
	if ((size_t)optlen < sizeof(val))
		return -EINVAL;
	if (copy_in(t, &val, optval, sizeof(val)) < 0)
		return -EFAULT;
	switch (name) {
	case SO_REUSEADDR:
		opt_store(&s->reuseaddr, val != 0);
		return 0;
	case SO_KEEPALIVE:
		opt_store(&s->keepalive, val != 0);
		return 0;
	case SO_BROADCAST:
		opt_store(&s->broadcast, val != 0);
		return 0;
	case SO_DONTROUTE:
		opt_store(&s->dontroute, val != 0);
		return 0;
	case SO_OOBINLINE:
		opt_store(&s->oobinline, val != 0);
		return 0;
	case SO_PASSCRED:
		opt_store(&s->passcred, val != 0);
		return 0;
	case SO_PRIORITY:
		if ((val < 0 || val > 6) && !task_capable(t, CAP_NET_ADMIN))
			return -EPERM;
		opt_store(&s->priority, val);
		return 0;
	case SO_RCVLOWAT:
		opt_store(&s->rcvlowat, val < 0 ? INT_MAX : (val ? val : 1));
		return 0;
	case SO_SNDBUF: {
		/* Linux doubles the value (bookkeeping overhead) within [minimum, 2 * wmem_max]. */
		uint32_t v = MIN((uint32_t)val, (uint32_t)SOCK_WMEM_MAX);
		opt_store(&s->sndbuf, MAX((int)v * 2, SOCK_MIN_SNDBUF));
		return 0;
	}
	case SO_RCVBUF: {
		uint32_t v = MIN((uint32_t)val, (uint32_t)SOCK_WMEM_MAX);
		opt_store(&s->rcvbuf, MAX((int)v * 2, SOCK_MIN_RCVBUF));
		return 0;
	}
	case SO_LINGER: {
		struct linger lg;
		if ((size_t)optlen < sizeof(lg))
			return -EINVAL;
		if (copy_in(t, &lg, optval, sizeof(lg)) < 0)
			return -EFAULT;
		/* Turning lingering off keeps the time, as Linux does. */
		if (lg.l_onoff)
			opt_store(&s->linger_secs, lg.l_linger);
		opt_store(&s->linger_onoff, lg.l_onoff != 0);
		return 0;
	}
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		return set_timeout(&s->rcvtimeo_ns, t, optval, optlen);
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		return set_timeout(&s->sndtimeo_ns, t, optval, optlen);
	default:
		/* SO_TYPE, SO_ERROR ... are read-only; the rest are not implemented. */
		return -ENOPROTOOPT;
	}
}

int socket_getsockopt(struct socket *s, struct task *t, int level, int name, uint64_t optval,
		      uint64_t optlen)
{
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	int len;
	if (copy_in(t, &len, optlen, sizeof(len)) < 0)
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	union {
		int val;
		struct linger lg;
		struct guest_timeval tv;
		char raw[64];
	} v;
	memset(&v, 0, sizeof(v));
	int lv = sizeof(int);
	switch (name) {
	case SO_TYPE:
		v.val = s->type;
		break;
	case SO_DOMAIN:
		v.val = s->family;
		break;
	case SO_PROTOCOL:
		v.val = s->protocol;
		break;
	case SO_SNDBUF:
		v.val = sock_opt(&s->sndbuf);
		break;
	case SO_RCVBUF:
		v.val = sock_opt(&s->rcvbuf);
		break;
	case SO_REUSEADDR:
		v.val = sock_opt(&s->reuseaddr);
		break;
	case SO_KEEPALIVE:
		v.val = sock_opt(&s->keepalive);
		break;
	case SO_BROADCAST:
		v.val = sock_opt(&s->broadcast);
		break;
	case SO_DONTROUTE:
		v.val = sock_opt(&s->dontroute);
		break;
	case SO_OOBINLINE:
		v.val = sock_opt(&s->oobinline);
		break;
	case SO_PASSCRED:
		v.val = sock_opt(&s->passcred);
		break;
	case SO_PRIORITY:
		v.val = sock_opt(&s->priority);
		break;
	case SO_RCVLOWAT:
		v.val = sock_opt(&s->rcvlowat);
		break;
	case SO_LINGER:
		v.lg.l_onoff = sock_opt(&s->linger_onoff);
		v.lg.l_linger = sock_opt(&s->linger_secs);
		lv = sizeof(v.lg);
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		v.tv = get_timeout(&s->rcvtimeo_ns);
		lv = sizeof(v.tv);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		v.tv = get_timeout(&s->sndtimeo_ns);
		lv = sizeof(v.tv);
		break;
	default:
		lv = s->ops->getsockopt(s, name, v.raw, sizeof(v.raw));
		if (lv < 0)
			return lv;
		break;
	}
	/* A short buffer gets the first bytes; the length written back is what was copied. */
	if (len > lv)
		len = lv;
	if (copy_out(t, optval, &v, (size_t)len) < 0)
		return -EFAULT;
	if (copy_out(t, optlen, &len, sizeof(len)) < 0)
		return -EFAULT;
	return 0;
}
