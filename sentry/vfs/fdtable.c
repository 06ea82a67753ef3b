/* File descriptor tables: lowest-free allocation, FD_CLOEXEC, dup2 semantics, fork copies. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

struct fdtable *fdtable_new(void)
{
	struct fdtable *fdt = calloc(1, sizeof(*fdt));
	if (!fdt)
		return NULL;
	fdt->refs = 1;
	pthread_mutex_init(&fdt->lock, NULL);
	return fdt;
}

/* Makes room for slot fd (lock held). */
static int fdtable_grow(struct fdtable *fdt, int fd)
{
	if (fd < fdt->size)
		return 0;
	int n = fdt->size ? fdt->size : 64;
	while (n <= fd)
		n *= 2;
	struct file **fds = realloc(fdt->fds, (size_t)n * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	fdt->fds = fds;
	uint8_t *ce = realloc(fdt->cloexec, (size_t)n);
	if (!ce)
		return -ENOMEM;
	fdt->cloexec = ce;
	memset(fdt->fds + fdt->size, 0, (size_t)(n - fdt->size) * sizeof(*fds));
	memset(fdt->cloexec + fdt->size, 0, (size_t)(n - fdt->size));
	fdt->size = n;
	return 0;
}

struct fdtable *fdtable_fork(struct fdtable *old)
{
	struct fdtable *fdt = fdtable_new();
	if (!fdt)
		return NULL;
	pthread_mutex_lock(&old->lock);
	if (old->size && fdtable_grow(fdt, old->size - 1) < 0) {
		pthread_mutex_unlock(&old->lock);
		fdtable_put(fdt);
		return NULL;
	}
	for (int i = 0; i < old->size; i++) {
		fdt->fds[i] = old->fds[i];
		fdt->cloexec[i] = old->cloexec[i];
		if (fdt->fds[i])
			file_get(fdt->fds[i]);
	}
	fdt->lowest_free = old->lowest_free;
	pthread_mutex_unlock(&old->lock);
	return fdt;
}

void fdtable_get(struct fdtable *fdt)
{
	__atomic_fetch_add(&fdt->refs, 1, __ATOMIC_RELAXED);
}

void fdtable_put(struct fdtable *fdt)
{
	if (!fdt || __atomic_sub_fetch(&fdt->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int i = 0; i < fdt->size; i++)
		if (fdt->fds[i])
			file_put(fdt->fds[i]);
	free(fdt->fds);
	free(fdt->cloexec);
	pthread_mutex_destroy(&fdt->lock);
	free(fdt);
}

unsigned long fd_limit(void)
{
	struct task *t = current();
	if (!t)
		return 1024;
	unsigned long lim = task_rlimit(t, RLIMIT_NOFILE);
	return lim > FD_NR_OPEN ? FD_NR_OPEN : lim;
}

int fd_install_min(struct fdtable *fdt, struct file *f, int minfd, bool cloexec,
		   unsigned long limit)
{
	if (minfd < 0 || (unsigned long)minfd >= limit)
		return -EINVAL;
	pthread_mutex_lock(&fdt->lock);
	int fd = MAX(minfd, fdt->lowest_free);
	while (fd < fdt->size && fdt->fds[fd])
		fd++;
	if ((unsigned long)fd >= limit) {
		pthread_mutex_unlock(&fdt->lock);
		return -EMFILE;
	}
	int r = fdtable_grow(fdt, fd);
	if (r < 0) {
		pthread_mutex_unlock(&fdt->lock);
		return r;
	}
	file_get(f);
	fdt->fds[fd] = f;
	fdt->cloexec[fd] = cloexec;
	if (fd == fdt->lowest_free)
		fdt->lowest_free = fd + 1;
	pthread_mutex_unlock(&fdt->lock);
	return fd;
}

int fd_install(struct fdtable *fdt, struct file *f, bool cloexec)
{
	int r = fd_install_min(fdt, f, 0, cloexec, fd_limit());
	return r == -EINVAL ? -EMFILE : r;
}

int fd_install_at(struct fdtable *fdt, int fd, struct file *f, bool cloexec, unsigned long limit)
{
	if (fd < 0 || (unsigned long)fd >= limit)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	int r = fdtable_grow(fdt, fd);
	if (r < 0) {
		pthread_mutex_unlock(&fdt->lock);
		return r;
	}
	struct file *old = fdt->fds[fd];
	file_get(f);
	fdt->fds[fd] = f;
	fdt->cloexec[fd] = cloexec;
	if (fd == fdt->lowest_free)
		fdt->lowest_free = fd + 1;
	pthread_mutex_unlock(&fdt->lock);
	/* Closing the old file may sleep in its release: never under the table lock. */
	if (old)
		file_put(old);
	return fd;
}

struct file *fd_get(struct fdtable *fdt, int fd)
{
	if (fd < 0)
		return NULL;
	pthread_mutex_lock(&fdt->lock);
	struct file *f = fd < fdt->size ? fdt->fds[fd] : NULL;
	if (f)
		file_get(f);
	pthread_mutex_unlock(&fdt->lock);
	return f;
}

int fd_get_flags(struct fdtable *fdt, int fd)
{
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	int r = fd < fdt->size && fdt->fds[fd] ? (fdt->cloexec[fd] ? FD_CLOEXEC : 0) : -EBADF;
	pthread_mutex_unlock(&fdt->lock);
	return r;
}

int fd_set_flags(struct fdtable *fdt, int fd, int flags)
{
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	int r = -EBADF;
	if (fd < fdt->size && fdt->fds[fd]) {
		fdt->cloexec[fd] = (flags & FD_CLOEXEC) != 0;
		r = 0;
	}
	pthread_mutex_unlock(&fdt->lock);
	return r;
}

/* Empties slot fd (lock held); returns the file for the caller to put. */
static struct file *fd_take(struct fdtable *fdt, int fd)
{
	struct file *f = fdt->fds[fd];
	fdt->fds[fd] = NULL;
	fdt->cloexec[fd] = 0;
	if (fd < fdt->lowest_free)
		fdt->lowest_free = fd;
	return f;
}

int fd_close(struct fdtable *fdt, int fd)
{
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	struct file *f = fd < fdt->size ? fd_take(fdt, fd) : NULL;
	pthread_mutex_unlock(&fdt->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

void fd_close_range(struct fdtable *fdt, unsigned int first, unsigned int last, bool cloexec)
{
	for (;;) {
		struct file *f = NULL;
		pthread_mutex_lock(&fdt->lock);
		unsigned int end = MIN(last, (unsigned int)fdt->size - 1);
		if (fdt->size == 0 || first > end) {
			pthread_mutex_unlock(&fdt->lock);
			return;
		}
		for (; first <= end && !f; first++) {
			if (!fdt->fds[first])
				continue;
			if (cloexec)
				fdt->cloexec[first] = 1;
			else
				f = fd_take(fdt, (int)first);
		}
		pthread_mutex_unlock(&fdt->lock);
		if (!f)
			return;
		file_put(f);
	}
}

void fdtable_close_on_exec(struct fdtable *fdt)
{
	for (int fd = 0;; fd++) {
		pthread_mutex_lock(&fdt->lock);
		while (fd < fdt->size && !(fdt->fds[fd] && fdt->cloexec[fd]))
			fd++;
		if (fd >= fdt->size) {
			pthread_mutex_unlock(&fdt->lock);
			return;
		}
		struct file *f = fd_take(fdt, fd);
		pthread_mutex_unlock(&fdt->lock);
		file_put(f);
	}
}

int fdtable_next_fd(struct fdtable *fdt, int from)
{
	if (from < 0)
		from = 0;
	pthread_mutex_lock(&fdt->lock);
	int fd = from;
	while (fd < fdt->size && !fdt->fds[fd])
		fd++;
	int r = fd < fdt->size ? fd : -1;
	pthread_mutex_unlock(&fdt->lock);
	return r;
}
