/*
 * Pipes (pipe2) and FIFOs (named pipes on any filesystem): blocking and non-blocking I/O,
 * EOF and EPIPE/SIGPIPE rules, PIPE_BUF atomicity, FIFO open rules, poll readiness.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/vfs.h"

/* ---- the ring buffer ---- */

int pipe_buf_init(struct pipe_buf *b, size_t cap)
{
	b->data = malloc(cap);
	if (!b->data)
		return -ENOMEM;
	b->cap = cap;
	b->head = b->len = 0;
	return 0;
}

void pipe_buf_destroy(struct pipe_buf *b)
{
	free(b->data);
	b->data = NULL;
}

size_t pipe_buf_push(struct pipe_buf *b, struct iov_iter *it, size_t n)
{
	n = MIN(n, b->cap - b->len);
	size_t done = 0;
	while (done < n) {
		size_t tail = (b->head + b->len) % b->cap;
		size_t chunk = MIN(n - done, b->cap - tail);
		size_t k = copy_from_iter(b->data + tail, chunk, it);
		b->len += k;
		done += k;
		if (k < chunk)
			break;
	}
	return done;
}

size_t pipe_buf_pop(struct pipe_buf *b, struct iov_iter *it, size_t n)
{
	n = MIN(n, b->len);
	size_t done = 0;
	while (done < n) {
		size_t chunk = MIN(n - done, b->cap - b->head);
		size_t k = copy_to_iter(b->data + b->head, chunk, it);
		b->head = (b->head + k) % b->cap;
		b->len -= k;
		done += k;
		if (k < chunk)
			break;
	}
	if (b->len == 0)
		b->head = 0;
	return done;
}

int pipe_buf_resize(struct pipe_buf *b, size_t cap)
{
	if (b->len > cap)
		return -EBUSY;
	char *data = malloc(cap);
	if (!data)
		return -ENOMEM;
	struct iovec iov = { data, cap };
	struct iov_iter it;
	iov_iter_init(&it, &iov, 1);
	size_t n = b->len;
	pipe_buf_pop(b, &it, n);
	free(b->data);
	b->data = data;
	b->cap = cap;
	b->head = 0;
	b->len = n;
	return 0;
}

/* ---- the pipe ---- */

struct pipe {
	pthread_mutex_t lock; /* guards everything below; after inode locks, before wq's */
	struct pipe_buf buf;
	int readers, writers;
	/* Opens so far of each kind: a FIFO reader waits for a writer to have come. */
	unsigned long r_counter, w_counter;
	struct waitqueue wq; /* woken on every change: data, space, readers, writers */
};

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (pipe_buf_init(&p->buf, PIPE_DEFAULT_SIZE) < 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	waitqueue_init(&p->wq);
	return p;
}

void pipe_put(struct pipe *p)
{
	pipe_buf_destroy(&p->buf);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static struct pipe *file_pipe(struct file *f)
{
	return f->inode->pipe;
}

static bool file_nonblock(struct file *f)
{
	return file_flags(f) & O_NONBLOCK;
}

static bool pipe_readable(void *arg)
{
	struct pipe *p = arg;
	pthread_mutex_lock(&p->lock);
	bool r = p->buf.len > 0 || p->writers == 0;
	pthread_mutex_unlock(&p->lock);
	return r;
}

static ssize_t pipe_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct pipe *p = file_pipe(f);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	size_t total = it.count;
	if (total == 0)
		return 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->buf.len > 0) {
			size_t n = pipe_buf_pop(&p->buf, &it, total);
			pthread_mutex_unlock(&p->lock);
			waitqueue_wake_all(&p->wq);
			return (ssize_t)n;
		}
		int writers = p->writers;
		pthread_mutex_unlock(&p->lock);
		if (writers == 0)
			return 0;
		if (file_nonblock(f))
			return -EAGAIN;
		int r = task_wait_event(current(), &p->wq, pipe_readable, p, NULL);
		if (r < 0)
			return r;
	}
}

struct write_wait {
	struct pipe *p;
	size_t need; /* free space that lets the writer go on */
};

static bool pipe_writable(void *arg)
{
	struct write_wait *w = arg;
	pthread_mutex_lock(&w->p->lock);
	bool r = w->p->readers == 0 || w->p->buf.cap - w->p->buf.len >= w->need;
	pthread_mutex_unlock(&w->p->lock);
	return r;
}

static ssize_t pipe_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct pipe *p = file_pipe(f);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	size_t total = it.count, written = 0;
	if (total == 0)
		return 0;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->readers == 0) {
			pthread_mutex_unlock(&p->lock);
			if (current())
				task_send_signal(current(), SIGPIPE, NULL);
			return written ? (ssize_t)written : -EPIPE;
		}
		size_t space = p->buf.cap - p->buf.len;
		size_t left = total - written;
		size_t n = 0;
		/* Up to PIPE_BUF bytes go in at once or not at all. */
		if (total <= GUEST_PIPE_BUF ? space >= left : space > 0)
			n = pipe_buf_push(&p->buf, &it, left);
		written += n;
		pthread_mutex_unlock(&p->lock);
		if (n)
			waitqueue_wake_all(&p->wq);
		if (written == total)
			return (ssize_t)written;
		if (file_nonblock(f))
			return written ? (ssize_t)written : -EAGAIN;
		struct write_wait w = { p, total <= GUEST_PIPE_BUF ? total - written : 1 };
		int r = task_wait_event(current(), &p->wq, pipe_writable, &w, NULL);
		if (r < 0)
			return written ? (ssize_t)written : r;
	}
}

static unsigned int pipe_poll(struct file *f, struct waitqueue **wq)
{
	struct pipe *p = file_pipe(f);
	*wq = &p->wq;
	unsigned int mask = 0;
	pthread_mutex_lock(&p->lock);
	if (f->mode & FMODE_READ) {
		if (p->buf.len > 0)
			mask |= POLLIN | POLLRDNORM;
		/* A FIFO reader sees no hangup until some writer has come and gone. */
		if (p->writers == 0 && (unsigned long)(uintptr_t)f->priv != p->w_counter)
			mask |= POLLHUP;
	}
	if (f->mode & FMODE_WRITE) {
		if (p->buf.cap - p->buf.len >= GUEST_PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			mask |= POLLERR;
	}
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	if (cmd != FIONREAD)
		return -ENOTTY;
	struct pipe *p = file_pipe(f);
	pthread_mutex_lock(&p->lock);
	int n = (int)p->buf.len;
	pthread_mutex_unlock(&p->lock);
	return copy_out(t, arg, &n, sizeof(n));
}

static void pipe_release(struct file *f)
{
	struct pipe *p = file_pipe(f);
	pthread_mutex_lock(&p->lock);
	if (f->mode & FMODE_READ)
		p->readers--;
	if (f->mode & FMODE_WRITE)
		p->writers--;
	pthread_mutex_unlock(&p->lock);
	waitqueue_wake_all(&p->wq);
}

static const struct file_ops pipe_file_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
};

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_file_ops;
}

long pipe_get_size(struct file *f)
{
	if (!file_is_pipe(f))
		return -EBADF;
	struct pipe *p = file_pipe(f);
	pthread_mutex_lock(&p->lock);
	long n = (long)p->buf.cap;
	pthread_mutex_unlock(&p->lock);
	return n;
}

long pipe_set_size(struct file *f, unsigned long size)
{
	if (!file_is_pipe(f))
		return -EBADF;
	if (size > PIPE_MAX_SIZE) {
		struct task *t = current();
		return task_capable(t, CAP_SYS_RESOURCE) ? -EINVAL : -EPERM;
	}
	/* Linux rounds up to a power of two pages. */
	unsigned long cap = PAGE_SIZE;
	while (cap < size)
		cap <<= 1;
	struct pipe *p = file_pipe(f);
	pthread_mutex_lock(&p->lock);
	int r = pipe_buf_resize(&p->buf, cap);
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return r;
	waitqueue_wake_all(&p->wq);
	return (long)cap;
}

/* ---- FIFOs ---- */

struct counter_wait {
	struct pipe *p;
	unsigned long *counter;
	unsigned long seen;
};

static bool counter_moved(void *arg)
{
	struct counter_wait *w = arg;
	pthread_mutex_lock(&w->p->lock);
	bool r = *w->counter != w->seen;
	pthread_mutex_unlock(&w->p->lock);
	return r;
}

/* Installs the pipe of inode, creating it at the first open. */
static struct pipe *inode_pipe(struct inode *inode)
{
	pthread_mutex_lock(&inode->lock);
	if (!inode->pipe)
		inode->pipe = pipe_alloc();
	struct pipe *p = inode->pipe;
	pthread_mutex_unlock(&inode->lock);
	return p;
}

int fifo_open(struct file *f)
{
	struct pipe *p = inode_pipe(f->inode);
	if (!p)
		return -ENOMEM;
	f->mode |= FMODE_STREAM;
	bool nonblock = file_flags(f) & O_NONBLOCK;
	bool rd = f->mode & FMODE_READ, wr = f->mode & FMODE_WRITE;
	if (!rd && !wr)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (wr && !rd && nonblock && p->readers == 0) {
		pthread_mutex_unlock(&p->lock);
		return -ENXIO;
	}
	if (rd) {
		p->readers++;
		p->r_counter++;
	}
	if (wr) {
		p->writers++;
		p->w_counter++;
	}
	/* A non-blocking reader that comes before any writer sees no POLLHUP until one has
	 * come (Linux's f_version trick); otherwise a reader sees it whenever writers are gone. */
	f->priv = NULL;
	if (rd && !wr && nonblock && p->writers == 0)
		f->priv = (void *)(uintptr_t)p->w_counter;
	struct counter_wait w = { p, NULL, 0 };
	/* A lone reader waits for a writer, a lone writer for a reader (unless O_NONBLOCK). */
	if (rd && !wr && !nonblock && p->writers == 0)
		w = (struct counter_wait){ p, &p->w_counter, p->w_counter };
	else if (wr && !rd && p->readers == 0)
		w = (struct counter_wait){ p, &p->r_counter, p->r_counter };
	pthread_mutex_unlock(&p->lock);
	waitqueue_wake_all(&p->wq);
	f->ops = &pipe_file_ops;
	if (!w.counter)
		return 0;
	int r = task_wait_event(current(), &p->wq, counter_moved, &w, NULL);
	if (r < 0) {
		pipe_release(f);
		return r;
	}
	return 0;
}

/* ---- pipefs: where anonymous pipes' inodes live ---- */

static void pipefs_evict(struct inode *inode)
{
	free(inode);
}

static const struct super_ops pipefs_sb_ops = { .evict_inode = pipefs_evict };
static const struct inode_ops pipefs_inode_ops;

static pthread_once_t pipefs_once = PTHREAD_ONCE_INIT;
static struct superblock *pipefs_sb;
static struct mount *pipefs_mnt;

static void pipefs_init(void)
{
	pipefs_sb = sb_new(&pipefs_sb_ops, "pipefs", 0x50495045 /* PIPEFS_MAGIC */, "pipefs");
	if (!pipefs_sb)
		return;
	struct inode *root = calloc(1, sizeof(*root));
	if (!root)
		return;
	inode_init(root, pipefs_sb, S_IFDIR | 0700, &pipefs_inode_ops, NULL);
	root->ino = sb_alloc_ino(pipefs_sb);
	if (sb_set_root(pipefs_sb, root) < 0)
		return;
	pipefs_mnt = mount_new_internal(pipefs_sb);
}

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	pthread_once(&pipefs_once, pipefs_init);
	if (!pipefs_mnt)
		return -ENOMEM;
	struct inode *inode = calloc(1, sizeof(*inode));
	struct pipe *p = pipe_alloc();
	if (!inode || !p) {
		free(inode);
		if (p)
			pipe_put(p);
		return -ENFILE;
	}
	inode_init(inode, pipefs_sb, S_IFIFO | 0600, &pipefs_inode_ops, &pipe_file_ops);
	inode->ino = sb_alloc_ino(pipefs_sb);
	struct task *t = current();
	if (t) {
		inode->uid = t->creds.fsuid;
		inode->gid = t->creds.fsgid;
	}
	inode->pipe = p;
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1;
	char name[40];
	snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)inode->ino);
	struct dentry *d = dentry_new_anon(pipefs_sb, name, inode);
	if (!d)
		return -ENFILE;
	struct path path = { pipefs_mnt, d };
	int fl = flags & (O_NONBLOCK | O_DIRECT);
	struct file *r = file_new(&path, O_RDONLY | fl, &pipe_file_ops);
	struct file *w = r ? file_new(&path, O_WRONLY | fl, &pipe_file_ops) : NULL;
	dentry_put(d);
	if (!r || !w) {
		/* The pipe goes with its inode when the last file does. */
		if (r)
			file_put(r);
		return -ENFILE;
	}
	r->mode |= FMODE_STREAM;
	w->mode |= FMODE_STREAM;
	*rd = r;
	*wr = w;
	return 0;
}
