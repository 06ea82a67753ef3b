/*
 * Files over the sentry's inherited host fds. Regular files are read and written at the
 * guest file's position; pipes, terminals and sockets wait for readiness through the notifier
 * so that signals interrupt a guest blocked on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/host/host.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

/* The kernel's struct termios (asm-generic/termbits.h: 4 flags, c_line, 19 c_cc), which
 * TCGETS/TCSETS move; glibc's is larger. */
#define KERNEL_TERMIOS_SIZE 36
/* A blocked wait re-polls the host fd this often in case an edge was missed. */
#define HOST_REPOLL_NS 200000000L
/* Polls of 1 ms a blocked read or write makes itself before it sleeps on the notifier. */
#define HOST_DIRECT_POLLS 2
/* Writes to a pipe or terminal go in pieces that POLLOUT guarantees do not block. */
#define HOST_WRITE_CHUNK 4096

struct hostfile {
	struct inode vfs;
	int fd;
	bool stream; /* not a regular file: no position, readiness matters */
	bool tty;
	/* Whether preadv2/pwritev2 take RWF_NOWAIT on this fd (pipes, sockets and /dev/null do
	 * since Linux 5.x; terminals do not): one call moves all that fits, without a poll or
	 * O_NONBLOCK on a description runsc's caller shares. Cleared at the first EOPNOTSUPP. */
	bool nowait;
	int notify_id; /* -1: not in the notifier (regular files are always ready) */
	struct waitqueue wq;
	int fg_pgrp; /* the terminal's foreground process group (guest PID), vfs.lock */
};

/* The host file behind f: its own inode, or the console's for an open of /dev/tty. */
static struct hostfile *HF(struct file *f)
{
	return f->priv ? f->priv : (struct hostfile *)f->inode;
}

/* The first host terminal: what /dev/tty opens (a reference, kept for the sandbox's life). */
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER; /* guards console; a leaf */
static struct hostfile *console;

/* ---- hostfs: where host files' inodes live ---- */

static void hostfs_evict(struct inode *inode)
{
	struct hostfile *h = (struct hostfile *)inode;
	host_notify_remove(h->notify_id, h->fd);
	close(h->fd);
	free(h);
}

static const struct super_ops hostfs_sb_ops = { .evict_inode = hostfs_evict };
static const struct inode_ops hostfs_dir_ops;
static pthread_once_t hostfs_once = PTHREAD_ONCE_INIT;
static struct superblock *hostfs_sb;
static struct mount *hostfs_mnt;

static void hostfs_init(void)
{
	hostfs_sb = sb_new(&hostfs_sb_ops, "hostfs", 0x486f7374 /* "Host" */, "none");
	struct hostfile *root = hostfs_sb ? calloc(1, sizeof(*root)) : NULL;
	if (!root)
		return;
	root->fd = -1;
	root->notify_id = -1;
	inode_init(&root->vfs, hostfs_sb, S_IFDIR | 0700, &hostfs_dir_ops, NULL);
	if (sb_set_root(hostfs_sb, &root->vfs) < 0)
		return;
	hostfs_mnt = mount_new_internal(hostfs_sb);
}

/* ---- I/O ---- */

struct ready_wait {
	int fd;
	short events;
};

static bool host_ready(void *arg)
{
	struct ready_wait *w = arg;
	struct pollfd p = { .fd = w->fd, .events = w->events };
	return poll(&p, 1, 0) > 0;
}

/* Sleeps until the host fd may be ready (or a timeout to look again); -ERESTARTSYS on a
 * signal. */
static int host_wait(struct hostfile *h, short events)
{
	struct task *t = current();
	struct timespec dl;

	/* The other end of a pipe or socket usually answers within microseconds (a reader
	 * draining a full pipe): poll the host fd from this thread for a moment, so the host
	 * kernel wakes it directly, before sleeping on the notifier's slower hand-off. */
	for (int i = 0; i < HOST_DIRECT_POLLS; i++) {
		struct pollfd p = { .fd = h->fd, .events = events };
		if (t && task_signal_pending(t))
			return -ERESTARTSYS;
		if (poll(&p, 1, 1) != 0)
			return 0;
	}
	dl = deadline_after(&(struct timespec){ 0, HOST_REPOLL_NS });
	struct ready_wait w = { h->fd, events };
	int r = task_wait_event(t, &h->wq, host_ready, &w, &dl);
	return r == -ETIMEDOUT ? 0 : r;
}

static bool host_nowait(struct hostfile *h)
{
	return __atomic_load_n(&h->nowait, __ATOMIC_RELAXED);
}

static void host_no_nowait(struct hostfile *h)
{
	__atomic_store_n(&h->nowait, false, __ATOMIC_RELAXED);
}

static ssize_t host_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct hostfile *h = HF(f);
	iovcnt = MIN(iovcnt, IOV_MAX);
	if (!h->stream) {
		/* At the host's offset, which runsc and its other children share. */
		ssize_t n = pos ? preadv(h->fd, iov, iovcnt, *pos) : readv(h->fd, iov, iovcnt);
		if (n < 0)
			return -errno;
		if (pos)
			*pos += n;
		return n;
	}
	for (;;) {
		if (host_nowait(h)) {
			ssize_t n = preadv2(h->fd, iov, iovcnt, -1, RWF_NOWAIT);
			if (n >= 0)
				return n;
			if (errno == EINTR)
				continue;
			if (errno == EOPNOTSUPP || errno == EINVAL)
				host_no_nowait(h);
			else if (errno != EAGAIN)
				return -errno;
		}
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		if (!host_nowait(h) && poll(&p, 1, 0) > 0) {
			ssize_t n = readv(h->fd, iov, iovcnt);
			if (n >= 0)
				return n;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
		}
		if (file_flags(f) & O_NONBLOCK)
			return -EAGAIN;
		int r = host_wait(h, POLLIN);
		if (r < 0)
			return r;
	}
}

/* Fills out with the iovecs covering at most max bytes after skip. */
static int iov_slice(const struct iovec *iov, int cnt, size_t skip, size_t max, struct iovec *out,
		     int maxout)
{
	int n = 0;
	for (int i = 0; i < cnt && max > 0 && n < maxout; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t len = MIN(iov[i].iov_len - skip, max);
		out[n++] = (struct iovec){ (char *)iov[i].iov_base + skip, len };
		max -= len;
		skip = 0;
	}
	return n;
}

/*
 * One write of the bytes after done that cannot block: all that fits with RWF_NOWAIT, else a
 * piece POLLOUT guarantees. Bytes written, 0, or a negative errno (-EAGAIN: none fit).
 */
static ssize_t host_write_some(struct hostfile *h, const struct iovec *iov, int iovcnt,
			       size_t done, size_t total)
{
	struct iovec piece[16];
	ssize_t n;

	if (host_nowait(h)) {
		int k = iov_slice(iov, iovcnt, done, total - done, piece, 16);
		n = pwritev2(h->fd, piece, k, -1, RWF_NOWAIT);
		if (n >= 0)
			return n;
		if (errno != EOPNOTSUPP && errno != EINVAL)
			return -errno;
		host_no_nowait(h);
	}
	struct pollfd p = { .fd = h->fd, .events = POLLOUT };
	if (poll(&p, 1, 0) <= 0)
		return -EAGAIN;
	int k = iov_slice(iov, iovcnt, done, HOST_WRITE_CHUNK, piece, 16);
	n = writev(h->fd, piece, k);
	return n < 0 ? -errno : n;
}

static ssize_t host_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct hostfile *h = HF(f);
	iovcnt = MIN(iovcnt, IOV_MAX);
	if (!h->stream) {
		ssize_t n = pos ? pwritev(h->fd, iov, iovcnt, *pos) : writev(h->fd, iov, iovcnt);
		if (n < 0)
			return -errno;
		if (pos)
			*pos += n;
		return n;
	}
	size_t total = iov_length(iov, iovcnt), done = 0;
	while (done < total) {
		ssize_t n = host_write_some(h, iov, iovcnt, done, total);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == -EPIPE) {
			if (current())
				task_send_signal(current(), SIGPIPE, NULL);
			return done ? (ssize_t)done : -EPIPE;
		}
		if (n < 0 && n != -EAGAIN)
			return done ? (ssize_t)done : n;
		if (file_flags(f) & O_NONBLOCK)
			return done ? (ssize_t)done : -EAGAIN;
		int r = host_wait(h, POLLOUT);
		if (r < 0)
			return done ? (ssize_t)done : r;
	}
	return (ssize_t)done;
}

static int64_t host_llseek(struct file *f, int64_t off, int whence)
{
	off_t r = lseek(HF(f)->fd, off, whence);
	return r < 0 ? -errno : r;
}

static unsigned int host_poll(struct file *f, struct waitqueue **wq)
{
	struct hostfile *h = HF(f);
	*wq = h->notify_id >= 0 ? &h->wq : NULL;
	struct pollfd p = { .fd = h->fd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP };
	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	return (unsigned int)(unsigned short)p.revents;
}

/* An ioctl whose argument is a struct of size n moved in (in) or out (!in). */
static long host_ioctl_struct(struct hostfile *h, struct task *t, unsigned long req, uint64_t arg,
			      size_t n, bool in)
{
	unsigned char buf[64] = { 0 };
	if (in && copy_in(t, buf, arg, n) < 0)
		return -EFAULT;
	if (ioctl(h->fd, req, buf) < 0)
		return -errno;
	if (!in && copy_out(t, arg, buf, n) < 0)
		return -EFAULT;
	return 0;
}

static long host_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	struct hostfile *h = HF(f);
	if (cmd == FIONREAD) {
		int n = 0;
		if (ioctl(h->fd, FIONREAD, &n) < 0)
			return -errno;
		return copy_out(t, arg, &n, sizeof(n));
	}
	if (!h->tty)
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
		return host_ioctl_struct(h, t, TCGETS, arg, KERNEL_TERMIOS_SIZE, false);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return host_ioctl_struct(h, t, cmd, arg, KERNEL_TERMIOS_SIZE, true);
	case TIOCGWINSZ:
		return host_ioctl_struct(h, t, TIOCGWINSZ, arg, sizeof(struct winsize), false);
	case TIOCSWINSZ:
		return host_ioctl_struct(h, t, TIOCSWINSZ, arg, sizeof(struct winsize), true);
	case TIOCOUTQ: {
		int n = 0;
		if (ioctl(h->fd, TIOCOUTQ, &n) < 0)
			return -errno;
		return copy_out(t, arg, &n, sizeof(n));
	}
	case TCFLSH:
	case TCSBRK:
	case TCXONC:
		return ioctl(h->fd, cmd, (unsigned long)arg) < 0 ? -errno : 0;
	case TIOCGPGRP: {
		/* The sandbox keeps its own foreground group: host PIDs mean nothing here, and
		 * moving the host's would stop the sentry with SIGTTIN. */
		pthread_mutex_lock(&h->vfs.lock);
		int pg = h->fg_pgrp;
		pthread_mutex_unlock(&h->vfs.lock);
		if (!pg) {
			pthread_mutex_lock(&kernel_lock);
			pg = task_process(t)->pgid;
			pthread_mutex_unlock(&kernel_lock);
		}
		return copy_out(t, arg, &pg, sizeof(pg));
	}
	case TIOCSPGRP: {
		int pg;
		if (copy_in(t, &pg, arg, sizeof(pg)) < 0)
			return -EFAULT;
		if (pg < 0)
			return -EINVAL;
		pthread_mutex_lock(&h->vfs.lock);
		h->fg_pgrp = pg;
		pthread_mutex_unlock(&h->vfs.lock);
		return 0;
	}
	case TIOCGSID: {
		pthread_mutex_lock(&kernel_lock);
		int sid = task_process(t)->sid;
		pthread_mutex_unlock(&kernel_lock);
		return copy_out(t, arg, &sid, sizeof(sid));
	}
	case TIOCSCTTY:
	case TIOCNOTTY:
		return 0; /* the sandbox's one terminal is everyone's controlling terminal */
	default:
		return -ENOTTY;
	}
}

static int host_fsync(struct file *f, bool datasync)
{
	struct hostfile *h = HF(f);
	if (h->stream)
		return -EINVAL;
	return (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? -errno : 0;
}

static void host_console_release(struct file *f)
{
	inode_put(&HF(f)->vfs);
}

static const struct file_ops host_fops;
static const struct file_ops host_console_fops;

int hostfile_open_console(struct file *f)
{
	pthread_mutex_lock(&console_lock);
	struct hostfile *h = console;
	if (h)
		inode_get(&h->vfs);
	pthread_mutex_unlock(&console_lock);
	if (!h)
		return -ENXIO; /* no terminal: as a process without a controlling one */
	f->priv = h;
	f->ops = &host_console_fops;
	f->mode |= FMODE_STREAM;
	return 0;
}

static const struct file_ops host_fops = {
	.read = host_read,
	.write = host_write,
	.llseek = host_llseek,
	.ioctl = host_ioctl,
	.poll = host_poll,
	.fsync = host_fsync,
};

/* A regular host file: always ready, and (as Linux) not something poll/epoll watch. */
static const struct file_ops host_regular_fops = {
	.read = host_read,
	.write = host_write,
	.llseek = host_llseek,
	.ioctl = host_ioctl,
	.fsync = host_fsync,
};

static const struct file_ops host_console_fops = {
	.read = host_read,
	.write = host_write,
	.ioctl = host_ioctl,
	.poll = host_poll,
	.release = host_console_release,
};

static int host_getattr(struct dentry *d, struct kstat *st)
{
	struct hostfile *h = (struct hostfile *)d->inode;
	struct stat hs;
	if (fstat(h->fd, &hs) < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->dev = d->inode->sb->dev; /* also when reached as /dev/pts/N, a devfs name */
	st->ino = hs.st_ino;
	st->nlink = hs.st_nlink;
	st->rdev = hs.st_rdev;
	st->mode = hs.st_mode;
	st->uid = hs.st_uid;
	st->gid = hs.st_gid;
	st->blksize = (uint32_t)hs.st_blksize;
	st->size = hs.st_size;
	st->blocks = hs.st_blocks;
	st->atime = hs.st_atim;
	st->mtime = hs.st_mtim;
	st->ctime = hs.st_ctim;
	return 0;
}

static int host_setattr(struct dentry *d, const struct iattr *attr)
{
	/* The host file is runsc's, not the sandbox's: changing it is not the guest's call. */
	return -EPERM;
}

static const struct inode_ops hostfile_ops = {
	.getattr = host_getattr,
	.setattr = host_setattr,
};

int hostfile_new(int host_fd, struct file **out)
{
	pthread_once(&hostfs_once, hostfs_init);
	if (!hostfs_mnt)
		return -ENOMEM;
	struct stat st;
	if (fstat(host_fd, &st) < 0)
		return -errno;
	int fl = fcntl(host_fd, F_GETFL);
	if (fl < 0)
		return -errno;
	struct hostfile *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	inode_init(&h->vfs, hostfs_sb, st.st_mode, &hostfile_ops,
		   S_ISREG(st.st_mode) ? &host_regular_fops : &host_fops);
	h->vfs.ino = st.st_ino;
	h->vfs.uid = st.st_uid;
	h->vfs.gid = st.st_gid;
	h->vfs.rdev = st.st_rdev;
	h->fd = host_fd;
	h->stream = !S_ISREG(st.st_mode);
	h->tty = isatty(host_fd);
	h->nowait = h->stream && !h->tty;
	h->notify_id = -1;
	waitqueue_init(&h->wq);
	if (h->stream) {
		int id = host_notify_add(host_fd, &h->wq);
		h->notify_id = id >= 0 ? id : -1;
	}

	char name[64];
	unsigned int maj = major(st.st_rdev), min = minor(st.st_rdev);
	bool pts = h->tty && maj >= 136 && maj <= 143;
	if (h->tty) {
		/* /dev/tty opens the first terminal; /dev/pts/N names it, so ttyname() works. */
		pthread_mutex_lock(&console_lock);
		if (!console) {
			inode_get(&h->vfs);
			console = h;
		}
		pthread_mutex_unlock(&console_lock);
		if (pts)
			devfs_add_pts((maj - 136) * 256 + min, &h->vfs);
	}
	if (S_ISFIFO(st.st_mode))
		snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)st.st_ino);
	else if (S_ISSOCK(st.st_mode))
		snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)st.st_ino);
	else if (pts)
		snprintf(name, sizeof(name), "/dev/pts/%u", (maj - 136) * 256 + min);
	else if (h->tty)
		snprintf(name, sizeof(name), "/dev/tty");
	else if (S_ISCHR(st.st_mode) && maj == 1 && min == 3)
		snprintf(name, sizeof(name), "/dev/null");
	else
		snprintf(name, sizeof(name), "host:[%d]", host_fd);
	struct dentry *d = dentry_new_anon(hostfs_sb, name, &h->vfs);
	if (!d)
		return -ENOMEM; /* the inode went with it, and closed host_fd */
	struct path p = { hostfs_mnt, d };
	int flags = fl & (O_ACCMODE | O_APPEND | O_NONBLOCK);
	struct file *f = file_new(&p, flags, h->vfs.fops);
	dentry_put(d);
	if (!f)
		return -ENOMEM;
	f->mode |= h->stream ? FMODE_STREAM : FMODE_OWN_POS;
	*out = f;
	return 0;
}
