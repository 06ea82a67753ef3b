/* eventfd: a 64-bit counter that write adds to and read takes (all, or one in semaphore mode). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

/* The counter never reaches this: a write that would is refused or waits. */
#define EVENTFD_MAX UINT64_MAX

struct eventfd {
	pthread_mutex_t lock; /* guards count; a filesystem-private lock */
	uint64_t count;
	bool semaphore;
	struct waitqueue wq; /* woken whenever count changes */
};

static struct eventfd *EFD(struct file *f)
{
	return f->priv;
}

static bool efd_readable(void *arg)
{
	struct eventfd *e = arg;
	pthread_mutex_lock(&e->lock);
	bool r = e->count > 0;
	pthread_mutex_unlock(&e->lock);
	return r;
}

struct efd_room {
	struct eventfd *e;
	uint64_t v;
};

static bool efd_writable(void *arg)
{
	struct efd_room *w = arg;
	pthread_mutex_lock(&w->e->lock);
	bool r = EVENTFD_MAX - 1 - w->e->count >= w->v;
	pthread_mutex_unlock(&w->e->lock);
	return r;
}

static ssize_t efd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct eventfd *e = EFD(f);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	if (it.count < sizeof(uint64_t))
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&e->lock);
		if (e->count > 0) {
			uint64_t v = e->semaphore ? 1 : e->count;
			e->count -= v;
			pthread_mutex_unlock(&e->lock);
			waitqueue_wake_all(&e->wq);
			copy_to_iter(&v, sizeof(v), &it);
			return sizeof(v);
		}
		pthread_mutex_unlock(&e->lock);
		if (file_flags(f) & O_NONBLOCK)
			return -EAGAIN;
		int r = task_wait_event(current(), &e->wq, efd_readable, e, NULL);
		if (r < 0)
			return r;
	}
}

static ssize_t efd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct eventfd *e = EFD(f);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	uint64_t v;
	if (it.count < sizeof(v))
		return -EINVAL;
	copy_from_iter(&v, sizeof(v), &it);
	if (v == EVENTFD_MAX)
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&e->lock);
		if (EVENTFD_MAX - 1 - e->count >= v) {
			e->count += v;
			pthread_mutex_unlock(&e->lock);
			waitqueue_wake_all(&e->wq);
			return sizeof(v);
		}
		pthread_mutex_unlock(&e->lock);
		if (file_flags(f) & O_NONBLOCK)
			return -EAGAIN;
		struct efd_room w = { e, v };
		int r = task_wait_event(current(), &e->wq, efd_writable, &w, NULL);
		if (r < 0)
			return r;
	}
}

static unsigned int efd_poll(struct file *f, struct waitqueue **wq)
{
	struct eventfd *e = EFD(f);
	*wq = &e->wq;
	pthread_mutex_lock(&e->lock);
	unsigned int mask = 0;
	if (e->count > 0)
		mask |= POLLIN | POLLRDNORM;
	if (e->count < EVENTFD_MAX - 1)
		mask |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&e->lock);
	return mask;
}

static void efd_release(struct file *f)
{
	struct eventfd *e = EFD(f);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static const struct file_ops eventfd_fops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.release = efd_release,
};

int eventfd_create(uint64_t initval, int flags, struct file **out)
{
	struct eventfd *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	waitqueue_init(&e->wq);
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	struct path p;
	int r = anon_inode_path("eventfd", &p);
	struct file *f = r == 0 ? file_new(&p, O_RDWR | (flags & O_NONBLOCK), &eventfd_fops) : NULL;
	if (r == 0)
		path_put(&p);
	if (!f) {
		pthread_mutex_destroy(&e->lock);
		free(e);
		return r < 0 ? r : -ENOMEM;
	}
	f->priv = e;
	f->mode |= FMODE_STREAM;
	*out = f;
	return 0;
}
