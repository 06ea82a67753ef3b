/* socket, socketpair, bind, listen, accept, connect, the send and receive calls (control
 * messages: SCM_RIGHTS, SCM_CREDENTIALS), shutdown, names and options. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/fs/socket/socket.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

#define SOCK_TYPE_MASK 0xf
#define GUEST_UIO_MAXIOV 1024
/* Control bytes recvmsg can fill: credentials and SCM_MAX_FD descriptors fit well within. */
#define RECV_CTL_MAX 4096

/* The guest's struct msghdr, struct mmsghdr and struct cmsghdr (LP64: x86-64 and arm64). */
struct guest_msghdr {
	uint64_t name;
	int32_t namelen;
	int32_t pad0;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	int32_t flags;
	int32_t pad1;
};

struct guest_mmsghdr {
	struct guest_msghdr hdr;
	uint32_t len;
	uint32_t pad;
};

struct guest_cmsghdr {
	uint64_t len;
	int32_t level;
	int32_t type;
};

#define GUEST_CMSG_ALIGN(len) (((len) + 7) & ~(uint64_t)7)
#define GUEST_CMSG_LEN(len) (sizeof(struct guest_cmsghdr) + (len))
#define GUEST_CMSG_SPACE(len) (sizeof(struct guest_cmsghdr) + GUEST_CMSG_ALIGN(len))

/* The socket at fd, with a reference on its file: -EBADF, -ENOTSOCK. */
static int sockfd_get(struct task *t, int fd, struct file **fp, struct socket **sp)
{
	struct file *f = fdget(t, fd);
	if (!f)
		return -EBADF;
	struct socket *s = file_socket(f);
	if (!s) {
		file_put(f);
		return -ENOTSOCK;
	}
	*fp = f;
	*sp = s;
	return 0;
}

static bool file_nonblock(struct file *f)
{
	return file_flags(f) & O_NONBLOCK;
}

/* After a send or receive, as vfs_readv/vfs_writev do: the file's EPOLLET items may fire
 * again. */
static void rearm(struct file *f)
{
	if (__atomic_load_n(&f->ep_links, __ATOMIC_ACQUIRE))
		eventpoll_rearm_file(f);
}

/* Linux's move_addr_to_kernel: at most a sockaddr_storage. */
static int addr_in(struct task *t, uint64_t uaddr, int len, struct sockaddr_storage *out)
{
	if (len < 0 || (size_t)len > sizeof(*out))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len && copy_in(t, out, uaddr, (size_t)len) < 0)
		return -EFAULT;
	return 0;
}

/* Linux's move_addr_to_user: copies what fits in *ulenp and writes the full length back. */
static int addr_out(struct task *t, const struct sockaddr_storage *a, int klen, uint64_t uaddr,
		    uint64_t ulenp)
{
	int len;
	if (copy_in(t, &len, ulenp, sizeof(len)) < 0)
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && copy_out(t, uaddr, a, (size_t)len) < 0)
		return -EFAULT;
	return copy_out(t, ulenp, &klen, sizeof(klen));
}

/* Sentry iovecs for the guest buffer [addr, addr + len); *fault when it is not all mapped. */
static int buf_iovecs(struct task *t, uint64_t addr, size_t len, bool for_write, struct iovec **out,
		      int *n_out, bool *fault)
{
	int cap = 8, n = 0;
	size_t done = 0;
	struct iovec *iov = malloc(sizeof(*iov) * (size_t)cap);
	if (!iov)
		return -ENOMEM;
	while (done < len) {
		size_t mapped = 0;
		int room = cap - n;
		int k = usercopy_iovecs(t, addr + done, len - done, for_write, iov + n, room, &mapped);
		n += k;
		done += mapped;
		if (done >= len || k < room)
			break; /* all of it, or a page it may not touch */
		struct iovec *bigger = realloc(iov, sizeof(*iov) * (size_t)cap * 2);
		if (!bigger) {
			free(iov);
			return -ENOMEM;
		}
		iov = bigger;
		cap *= 2;
	}
	*out = iov;
	*n_out = n;
	*fault = done < len;
	return 0;
}

/* The same for a guest iovec array: *len is what it asks for. */
static int msg_iovecs(struct task *t, uint64_t giov, uint64_t iovlen, bool for_write,
		      struct iovec **out, int *n_out, size_t *len, bool *fault)
{
	*out = NULL;
	*n_out = 0;
	*len = 0;
	*fault = false;
	if (iovlen > GUEST_UIO_MAXIOV)
		return -EMSGSIZE;
	if (iovlen == 0)
		return 0;
	struct iovec *g = malloc(sizeof(*g) * iovlen);
	if (!g)
		return -ENOMEM;
	if (copy_in(t, g, giov, sizeof(*g) * iovlen) < 0) {
		free(g);
		return -EFAULT;
	}
	size_t sum = 0;
	for (uint64_t i = 0; i < iovlen; i++) {
		if (g[i].iov_len > SSIZE_MAX || sum + g[i].iov_len > SSIZE_MAX) {
			free(g);
			return -EINVAL;
		}
		sum += g[i].iov_len;
	}
	free(g);
	size_t mapped = 0;
	int n = usercopy_guest_iovecs(t, giov, (int)iovlen, for_write, out, &mapped);
	if (n == -EFAULT) {
		n = 0;
		mapped = 0;
	} else if (n < 0) {
		return n;
	}
	*n_out = n;
	*len = sum;
	*fault = mapped < sum;
	return 0;
}

/* ---- socket, socketpair ---- */

static int check_type_flags(int type)
{
	return (type & ~SOCK_TYPE_MASK & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) ? -EINVAL : 0;
}

SYSCALL_DEFINE(socket)
{
	int family = (int)a[0], type = (int)a[1], protocol = (int)a[2];
	int r = check_type_flags(type);
	if (r < 0)
		return r;
	struct socket *s;
	r = socket_create(family, type & SOCK_TYPE_MASK, protocol, &s);
	if (r < 0)
		return r;
	struct file *f;
	r = socket_file_new(s, (type & SOCK_NONBLOCK) ? O_NONBLOCK : 0, &f);
	if (r < 0)
		return r;
	r = fd_install(t->files, f, type & SOCK_CLOEXEC);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(socketpair)
{
	int family = (int)a[0], type = (int)a[1], protocol = (int)a[2];
	int r = check_type_flags(type);
	if (r < 0)
		return r;
	struct socket *sa, *sb;
	r = socket_create_pair(family, type & SOCK_TYPE_MASK, protocol, &sa, &sb);
	if (r < 0)
		return r;
	int fl = (type & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	struct file *fa, *fb = NULL;
	r = socket_file_new(sa, fl, &fa);
	if (r < 0) {
		sb->ops->release(sb);
		return r;
	}
	r = socket_file_new(sb, fl, &fb);
	if (r < 0) {
		file_put(fa);
		return r;
	}
	bool cloexec = type & SOCK_CLOEXEC;
	int fds[2] = { fd_install(t->files, fa, cloexec), -1 };
	if (fds[0] >= 0)
		fds[1] = fd_install(t->files, fb, cloexec);
	file_put(fa);
	file_put(fb);
	if (fds[1] < 0) {
		r = fds[0] < 0 ? fds[0] : fds[1];
		if (fds[0] >= 0)
			fd_close(t->files, fds[0]);
		return r;
	}
	if (copy_out(t, a[3], fds, sizeof(fds)) < 0) {
		fd_close(t->files, fds[0]);
		fd_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* ---- bind, listen, connect, accept ---- */

SYSCALL_DEFINE(bind)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	struct sockaddr_storage addr;
	r = addr_in(t, a[1], (int)a[2], &addr);
	if (r == 0)
		r = s->ops->bind(s, &addr, (size_t)(int)a[2]);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(listen)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	int backlog = (int)a[1];
	if ((unsigned int)backlog > SOCK_SOMAXCONN)
		backlog = SOCK_SOMAXCONN;
	r = s->ops->listen(s, backlog);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(connect)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	struct sockaddr_storage addr;
	r = addr_in(t, a[1], (int)a[2], &addr);
	if (r == 0)
		r = s->ops->connect(s, &addr, (size_t)(int)a[2], file_nonblock(f));
	file_put(f);
	return r;
}

static long do_accept(struct task *t, int fd, uint64_t uaddr, uint64_t ulenp, int flags)
{
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, fd, &f, &s);
	if (r < 0)
		return r;
	struct socket *ns;
	r = s->ops->accept(s, file_nonblock(f), &ns);
	file_put(f);
	if (r < 0)
		return r;
	struct file *nf;
	r = socket_file_new(ns, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0, &nf);
	if (r < 0)
		return r;
	if (uaddr) {
		/* A bad address buffer loses the connection, as in Linux. */
		struct sockaddr_storage addr;
		int len = ns->ops->getname(ns, &addr, true);
		r = len < 0 ? -ECONNABORTED : addr_out(t, &addr, len, uaddr, ulenp);
		if (r < 0) {
			file_put(nf);
			return r;
		}
	}
	r = fd_install(t->files, nf, flags & SOCK_CLOEXEC);
	file_put(nf);
	return r;
}

SYSCALL_DEFINE(accept)
{
	return do_accept(t, (int)a[0], a[1], a[2], 0);
}

SYSCALL_DEFINE(accept4)
{
	return do_accept(t, (int)a[0], a[1], a[2], (int)a[3]);
}

/* ---- names ---- */

static long do_getname(struct task *t, const uint64_t a[6], bool peer)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	struct sockaddr_storage addr;
	int len = s->ops->getname(s, &addr, peer);
	file_put(f);
	if (len < 0)
		return len;
	return addr_out(t, &addr, len, a[1], a[2]);
}

SYSCALL_DEFINE(getsockname)
{
	return do_getname(t, a, false);
}

SYSCALL_DEFINE(getpeername)
{
	return do_getname(t, a, true);
}

/* ---- control messages ---- */

static int check_creds(struct task *t, const struct sock_creds *c)
{
	const struct creds *me = &t->creds;
	if (c->uid == (uint32_t)-1 || c->gid == (uint32_t)-1)
		return -EINVAL;
	/* Claiming another pid takes CAP_SYS_ADMIN, another uid CAP_SETUID, gid CAP_SETGID. */
	bool pid_ok = c->pid == t->tgid || creds_capable(me, CAP_SYS_ADMIN);
	bool uid_ok = c->uid == me->uid || c->uid == me->euid || c->uid == me->suid ||
		      creds_capable(me, CAP_SETUID);
	bool gid_ok = c->gid == me->gid || c->gid == me->egid || c->gid == me->sgid ||
		      creds_capable(me, CAP_SETGID);
	if (!pid_ok || !uid_ok || !gid_ok)
		return -EPERM;
	if (c->pid != t->tgid) {
		struct task *other = task_lookup(c->pid);
		if (!other)
			return -ESRCH;
		task_put(other);
	}
	return 0;
}

/* Parses a sendmsg control buffer (Linux's __scm_send): SCM_RIGHTS (files, with references)
 * and SCM_CREDENTIALS into m; other levels are skipped. */
static int parse_control(struct task *t, const uint8_t *ctl, size_t len, struct sock_msg *m)
{
	struct guest_cmsghdr h;
	size_t off = 0;
	while (len >= sizeof(h) && off <= len - sizeof(h)) {
		memcpy(&h, ctl + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > len - off)
			return -EINVAL;
		if (h.level == SOL_SOCKET) {
			if (h.type == SCM_RIGHTS) {
				size_t n = (h.len - sizeof(h)) / sizeof(int);
				if (m->nfiles + n > SOCK_SCM_MAX_FD)
					return -EINVAL;
				struct file **files =
					realloc(m->files, sizeof(*files) * (m->nfiles + n + 1));
				if (!files)
					return -ENOMEM;
				m->files = files;
				for (size_t i = 0; i < n; i++) {
					int fd;
					memcpy(&fd, ctl + off + sizeof(h) + i * sizeof(int), sizeof(fd));
					struct file *f = fdget(t, fd);
					if (!f)
						return -EBADF;
					m->files[m->nfiles++] = f;
				}
			} else if (h.type == SCM_CREDENTIALS) {
				if (h.len != GUEST_CMSG_LEN(sizeof(struct sock_creds)))
					return -EINVAL;
				memcpy(&m->creds, ctl + off + sizeof(h), sizeof(m->creds));
				int r = check_creds(t, &m->creds);
				if (r < 0)
					return r;
				m->has_creds = true;
			} else {
				return -EINVAL;
			}
		}
		uint64_t next = off + GUEST_CMSG_ALIGN(h.len);
		if (next > len || len - next < sizeof(h))
			break;
		off = next;
	}
	return 0;
}

/* A recvmsg control buffer being filled: Linux's put_cmsg and scm_detach_fds. */
struct ctl_out {
	uint8_t buf[RECV_CTL_MAX];
	size_t cap, used;
	int flags; /* MSG_CTRUNC */
};

static void put_cmsg(struct ctl_out *c, int level, int type, const void *data, size_t dlen)
{
	size_t left = c->cap - c->used;
	if (left < sizeof(struct guest_cmsghdr)) {
		c->flags |= MSG_CTRUNC;
		return;
	}
	size_t cmlen = GUEST_CMSG_LEN(dlen);
	if (left < cmlen) {
		/* A cut message: its header says how much there is. */
		c->flags |= MSG_CTRUNC;
		cmlen = left;
	}
	struct guest_cmsghdr h = { cmlen, level, type };
	memcpy(c->buf + c->used, &h, sizeof(h));
	memcpy(c->buf + c->used + sizeof(h), data, cmlen - sizeof(h));
	c->used += MIN(GUEST_CMSG_SPACE(dlen), left);
}

/* Installs the files received as descriptors, as many as the buffer holds (MSG_CTRUNC for the
 * rest, which are closed). Consumes m's files. */
static void detach_fds(struct task *t, struct ctl_out *c, struct sock_msg *m, bool cloexec)
{
	size_t left = c->cap - c->used;
	int fdmax = left <= sizeof(struct guest_cmsghdr) ?
			    0 :
			    (int)((left - sizeof(struct guest_cmsghdr)) / sizeof(int));
	int fds[SOCK_SCM_MAX_FD];
	int i;
	for (i = 0; i < MIN(fdmax, m->nfiles); i++) {
		int fd = fd_install(t->files, m->files[i], cloexec);
		if (fd < 0)
			break;
		fds[i] = fd;
	}
	if (i > 0) {
		struct guest_cmsghdr h = { GUEST_CMSG_LEN(i * sizeof(int)), SOL_SOCKET, SCM_RIGHTS };
		memcpy(c->buf + c->used, &h, sizeof(h));
		memcpy(c->buf + c->used + sizeof(h), fds, i * sizeof(int));
		c->used += MIN(GUEST_CMSG_SPACE(i * sizeof(int)), left);
	}
	if (i < m->nfiles)
		c->flags |= MSG_CTRUNC;
	sock_msg_drop_files(m);
}

/* The descriptors detach_fds installed, for a failed copy-out: closed again. */
static void close_detached(struct task *t, const struct ctl_out *c)
{
	size_t off = 0;
	struct guest_cmsghdr h;
	while (off + sizeof(h) <= c->used) {
		memcpy(&h, c->buf + off, sizeof(h));
		if (h.type == SCM_RIGHTS && h.level == SOL_SOCKET)
			for (size_t i = 0; sizeof(h) + (i + 1) * sizeof(int) <= h.len; i++) {
				int fd;
				memcpy(&fd, c->buf + off + sizeof(h) + i * sizeof(int), sizeof(fd));
				fd_close(t->files, fd);
			}
		off += GUEST_CMSG_ALIGN(MAX(h.len, sizeof(h)));
	}
}

/* ---- sending ---- */

/* One sendmsg of the guest msghdr at umsg (sendmsg, sendmmsg). */
static long do_sendmsg(struct task *t, struct file *f, struct socket *s, uint64_t umsg, int flags)
{
	struct guest_msghdr h;
	if (copy_in(t, &h, umsg, sizeof(h)) < 0)
		return -EFAULT;
	if (!h.name)
		h.namelen = 0;
	if (h.namelen < 0)
		return -EINVAL;
	if ((size_t)h.namelen > sizeof(struct sockaddr_storage))
		h.namelen = sizeof(struct sockaddr_storage);
	if (h.controllen > INT_MAX)
		return -ENOBUFS;
	struct sock_msg m = { .flags = flags | (file_nonblock(f) ? MSG_DONTWAIT : 0) };
	struct iovec *iov = NULL;
	size_t len;
	long r = msg_iovecs(t, h.iov, h.iovlen, false, &iov, &m.iovcnt, &len, &m.fault);
	if (r < 0)
		return r;
	m.iov = iov;
	if (h.namelen) {
		r = addr_in(t, h.name, h.namelen, &m.addr);
		m.addrlen = (size_t)h.namelen;
	}
	uint8_t *ctl = NULL;
	if (r == 0 && h.controllen >= sizeof(struct guest_cmsghdr)) {
		ctl = h.controllen <= SOCK_OPTMEM_MAX ? malloc(h.controllen) : NULL;
		if (!ctl)
			r = -ENOBUFS;
		else if (copy_in(t, ctl, h.control, h.controllen) < 0)
			r = -EFAULT;
		else
			r = parse_control(t, ctl, h.controllen, &m);
	}
	if (r == 0)
		r = s->ops->sendmsg(s, &m, MIN(len, (size_t)INT_MAX));
	sock_msg_drop_files(&m);
	free(ctl);
	free(iov);
	return r;
}

SYSCALL_DEFINE(sendto)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	size_t len = MIN(a[2], (uint64_t)INT_MAX);
	struct sock_msg m = { .flags = (int)a[3] | (file_nonblock(f) ? MSG_DONTWAIT : 0) };
	struct iovec *iov = NULL;
	long res = buf_iovecs(t, a[1], len, false, &iov, &m.iovcnt, &m.fault);
	m.iov = iov;
	/* An address with length 0 is no address, as Linux's sendto. */
	if (res == 0 && a[4] && (int)a[5]) {
		res = addr_in(t, a[4], (int)a[5], &m.addr);
		m.addrlen = (size_t)(int)a[5];
	}
	if (res == 0)
		res = s->ops->sendmsg(s, &m, len);
	rearm(f);
	free(iov);
	file_put(f);
	return res;
}

SYSCALL_DEFINE(sendmsg)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	long res = do_sendmsg(t, f, s, a[1], (int)a[2]);
	rearm(f);
	file_put(f);
	return res;
}

SYSCALL_DEFINE(sendmmsg)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	unsigned int vlen = MIN((unsigned int)a[2], (unsigned int)GUEST_UIO_MAXIOV);
	long res = 0;
	unsigned int done;
	for (done = 0; done < vlen; done++) {
		uint64_t entry = a[1] + done * sizeof(struct guest_mmsghdr);
		res = do_sendmsg(t, f, s, entry, (int)a[3]);
		if (res < 0)
			break;
		uint32_t sent = (uint32_t)res;
		if (copy_out(t, entry + offsetof(struct guest_mmsghdr, len), &sent, sizeof(sent)) < 0) {
			res = -EFAULT;
			break;
		}
	}
	rearm(f);
	file_put(f);
	return done ? (long)done : res;
}

/* ---- receiving ---- */

/* One recvmsg into the guest msghdr at umsg (recvmsg, recvmmsg). */
static long do_recvmsg(struct task *t, struct file *f, struct socket *s, uint64_t umsg, int flags)
{
	struct guest_msghdr h;
	if (copy_in(t, &h, umsg, sizeof(h)) < 0)
		return -EFAULT;
	if (!h.name)
		h.namelen = 0;
	if (h.namelen < 0)
		return -EINVAL;
	struct sock_msg m = { .flags = flags | (file_nonblock(f) ? MSG_DONTWAIT : 0) };
	struct iovec *iov = NULL;
	size_t len;
	long r = msg_iovecs(t, h.iov, h.iovlen, true, &iov, &m.iovcnt, &len, &m.fault);
	if (r < 0)
		return r;
	m.iov = iov;
	r = s->ops->recvmsg(s, &m, MIN(len, (size_t)INT_MAX));
	free(iov);
	if (r < 0) {
		sock_msg_drop_files(&m);
		return r;
	}
	struct ctl_out *c = calloc(1, sizeof(*c));
	if (!c) {
		sock_msg_drop_files(&m);
		return -ENOMEM;
	}
	c->cap = h.control ? MIN(h.controllen, (uint64_t)RECV_CTL_MAX) : 0;
	if (m.has_creds)
		put_cmsg(c, SOL_SOCKET, SCM_CREDENTIALS, &m.creds, sizeof(m.creds));
	if (m.nfiles)
		detach_fds(t, c, &m, flags & MSG_CMSG_CLOEXEC);
	int msg_flags = m.out_flags | c->flags | (flags & MSG_CMSG_CLOEXEC);
	uint64_t used = c->used;
	long err = 0;
	if (used && copy_out(t, h.control, c->buf, used) < 0)
		err = -EFAULT;
	if (!err && h.name)
		err = addr_out(t, &m.addr, (int)m.addrlen, h.name,
			       umsg + offsetof(struct guest_msghdr, namelen));
	if (!err && copy_out(t, umsg + offsetof(struct guest_msghdr, flags), &msg_flags,
			     sizeof(msg_flags)) < 0)
		err = -EFAULT;
	if (!err && copy_out(t, umsg + offsetof(struct guest_msghdr, controllen), &used,
			     sizeof(used)) < 0)
		err = -EFAULT;
	if (err)
		close_detached(t, c);
	free(c);
	return err ? err : r;
}

SYSCALL_DEFINE(recvfrom)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	size_t len = MIN(a[2], (uint64_t)INT_MAX);
	struct sock_msg m = { .flags = (int)a[3] | (file_nonblock(f) ? MSG_DONTWAIT : 0) };
	struct iovec *iov = NULL;
	long res = buf_iovecs(t, a[1], len, true, &iov, &m.iovcnt, &m.fault);
	m.iov = iov;
	if (res == 0)
		res = s->ops->recvmsg(s, &m, len);
	rearm(f);
	sock_msg_drop_files(&m); /* recvfrom has no room for them: closed, as Linux does */
	free(iov);
	file_put(f);
	if (res >= 0 && a[4]) {
		int e = addr_out(t, &m.addr, (int)m.addrlen, a[4], a[5]);
		if (e < 0)
			res = e;
	}
	return res;
}

SYSCALL_DEFINE(recvmsg)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	long res = do_recvmsg(t, f, s, a[1], (int)a[2]);
	rearm(f);
	file_put(f);
	return res;
}

#define NSEC_PER_SEC 1000000000L

SYSCALL_DEFINE(recvmmsg)
{
	int flags = (int)a[3];
	struct timespec deadline, rel;
	bool timed = a[4] != 0;
	if (timed) {
		if (copy_in(t, &rel, a[4], sizeof(rel)) < 0)
			return -EFAULT;
		if (rel.tv_sec < 0 || rel.tv_nsec < 0 || rel.tv_nsec >= NSEC_PER_SEC)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += rel.tv_sec;
		deadline.tv_nsec += rel.tv_nsec;
		if (deadline.tv_nsec >= NSEC_PER_SEC) {
			deadline.tv_sec++;
			deadline.tv_nsec -= NSEC_PER_SEC;
		}
	}
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	unsigned int vlen = MIN((unsigned int)a[2], (unsigned int)GUEST_UIO_MAXIOV);
	long res = 0;
	unsigned int done;
	for (done = 0; done < vlen; done++) {
		uint64_t entry = a[1] + done * sizeof(struct guest_mmsghdr);
		res = do_recvmsg(t, f, s, entry, flags);
		if (res < 0)
			break;
		uint32_t got = (uint32_t)res;
		if (copy_out(t, entry + offsetof(struct guest_mmsghdr, len), &got, sizeof(got)) < 0) {
			res = -EFAULT;
			break;
		}
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		/* Like Linux, the timeout is only looked at between messages. */
		if (timed) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > deadline.tv_sec ||
			    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
				done++;
				break;
			}
		}
	}
	rearm(f);
	file_put(f);
	if (timed) {
		struct timespec now, left = { 0, 0 };
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t ns = (deadline.tv_sec - now.tv_sec) * NSEC_PER_SEC +
			     (deadline.tv_nsec - now.tv_nsec);
		if (ns > 0)
			left = (struct timespec){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
		copy_out(t, a[4], &left, sizeof(left));
	}
	return done ? (long)done : res;
}

/* ---- shutdown and options ---- */

SYSCALL_DEFINE(shutdown)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	r = s->ops->shutdown(s, (int)a[1]);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(setsockopt)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	r = socket_setsockopt(s, t, (int)a[1], (int)a[2], a[3], (int)a[4]);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(getsockopt)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_get(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	r = socket_getsockopt(s, t, (int)a[1], (int)a[2], a[3], a[4]);
	file_put(f);
	return r;
}
