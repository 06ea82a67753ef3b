/* poll, ppoll, select, pselect6 and the epoll calls: readiness from each file's poll hook,
 * sleeping on all of their wait queues at once. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

/* Files whose readiness nobody signals (no wait queue) are looked at again this often. */
#define POLL_REPOLL_NS 200000000L
/* task_wait_event_multi sleeps on at most this many queues; files past them are looked at
 * again on the timer above. */
#define POLL_MAX_QUEUES 64

struct poll_item {
	struct file *f; /* a reference, or NULL (fd < 0: skipped; else POLLNVAL) */
	int fd;
	short events, revents;
};

struct poller {
	struct poll_item *items;
	int n;
	struct waitqueue **wqs;
	int nwq, cap;
	bool unwatched; /* some file not ready has no wait queue */
};

static void add_wq(struct poller *p, struct waitqueue *wq)
{
	for (int i = 0; i < p->nwq; i++)
		if (p->wqs[i] == wq)
			return;
	if (p->nwq == POLL_MAX_QUEUES) {
		p->unwatched = true;
		return;
	}
	if (p->nwq == p->cap) {
		int cap = p->cap ? p->cap * 2 : 8;
		struct waitqueue **w = realloc(p->wqs, (size_t)cap * sizeof(*w));
		if (!w) {
			p->unwatched = true; /* fall back to looking again on a timer */
			return;
		}
		p->wqs = w;
		p->cap = cap;
	}
	p->wqs[p->nwq++] = wq;
}

/* Fills revents; returns how many items are ready. */
static int poll_scan(struct poller *p, bool collect)
{
	int ready = 0;
	for (int i = 0; i < p->n; i++) {
		struct poll_item *it = &p->items[i];
		it->revents = 0;
		if (it->fd < 0)
			continue;
		if (!it->f) {
			it->revents = POLLNVAL;
			ready++;
			continue;
		}
		struct waitqueue *wq;
		unsigned int mask = vfs_poll(it->f, &wq);
		it->revents =
			(short)(mask & ((unsigned short)it->events | POLLERR | POLLHUP | POLLNVAL));
		if (it->revents)
			ready++;
		else if (collect && wq)
			add_wq(p, wq);
		else if (collect)
			p->unwatched = true;
	}
	return ready;
}

static bool poll_cond(void *arg)
{
	return poll_scan(arg, false) > 0;
}

/*
 * Waits until an item is ready, the deadline (absolute CLOCK_MONOTONIC; NULL: none) passes,
 * or a signal comes (-ERESTARTNOHAND). zero: do not wait at all.
 */
static long poll_wait(struct task *t, struct poller *p, const struct timespec *deadline, bool zero)
{
	int ready = poll_scan(p, true);
	while (!ready && !zero) {
		struct timespec now, dl;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline && !timespec_before(&now, deadline))
			break;
		const struct timespec *dlp = deadline;
		if (p->unwatched) {
			const struct timespec repoll = { 0, POLL_REPOLL_NS };

			dl = now;
			timespec_add(&dl, &repoll);
			if (!deadline || timespec_before(&dl, deadline))
				dlp = &dl;
		}
		int r = task_wait_event_multi(t, p->wqs, p->nwq, poll_cond, p, dlp);
		if (r == -ERESTARTSYS)
			return -ERESTARTNOHAND;
		ready = poll_scan(p, false);
	}
	return ready;
}

static void poller_release(struct poller *p)
{
	for (int i = 0; i < p->n; i++)
		if (p->items[i].f)
			file_put(p->items[i].f);
	free(p->items);
	free(p->wqs);
}

/* Turns a relative timeout into a deadline; false for an invalid one. */
static bool make_deadline(const struct timespec *rel, struct timespec *deadline, bool *zero)
{
	if (!timespec_valid(rel))
		return false;
	*zero = rel->tv_sec == 0 && rel->tv_nsec == 0;
	*deadline = deadline_after(rel);
	return true;
}

/* ---- poll ---- */

static long do_poll(struct task *t, uint64_t ufds, uint64_t nfds, const struct timespec *deadline,
		    bool zero)
{
	if (nfds > fd_limit())
		return -EINVAL;
	struct pollfd *pfd = calloc(nfds ? nfds : 1, sizeof(*pfd));
	struct poller p = { .n = (int)nfds };
	p.items = calloc(nfds ? nfds : 1, sizeof(*p.items));
	if (!pfd || !p.items) {
		free(pfd);
		free(p.items);
		return -ENOMEM;
	}
	long r = 0;
	if (nfds && copy_in(t, pfd, ufds, nfds * sizeof(*pfd)) < 0)
		r = -EFAULT;
	for (uint64_t i = 0; r == 0 && i < nfds; i++) {
		p.items[i].fd = pfd[i].fd;
		p.items[i].events = pfd[i].events;
		p.items[i].f = pfd[i].fd >= 0 ? fdget(t, pfd[i].fd) : NULL;
	}
	if (r == 0)
		r = poll_wait(t, &p, deadline, zero);
	if (r >= 0) {
		for (uint64_t i = 0; i < nfds; i++)
			pfd[i].revents = p.items[i].revents;
		if (nfds && copy_out(t, ufds, pfd, nfds * sizeof(*pfd)) < 0)
			r = -EFAULT;
	}
	poller_release(&p);
	free(pfd);
	return r;
}

SYSCALL_DEFINE(poll)
{
	int ms = (int)a[2];
	struct timespec deadline;
	bool zero = ms == 0;
	if (ms > 0) {
		struct timespec rel = { ms / 1000, (long)(ms % 1000) * 1000000L };
		make_deadline(&rel, &deadline, &zero);
	}
	return do_poll(t, a[0], a[1], ms > 0 ? &deadline : NULL, zero);
}

/* Reads a sigset argument (ppoll, pselect6) and installs it; false when none. */
static long take_sigmask(struct task *t, uint64_t umask, uint64_t size, bool *installed)
{
	*installed = false;
	if (!umask)
		return 0;
	gsigset_t mask;
	if (size != sizeof(mask))
		return -EINVAL;
	if (copy_in(t, &mask, umask, sizeof(mask)) < 0)
		return -EFAULT;
	task_set_temporary_sigmask(t, mask);
	*installed = true;
	return 0;
}

SYSCALL_DEFINE(ppoll)
{
	struct timespec rel, deadline;
	bool zero = false, has_timeout = a[2] != 0;
	if (has_timeout) {
		if (copy_in(t, &rel, a[2], sizeof(rel)) < 0)
			return -EFAULT;
		if (!make_deadline(&rel, &deadline, &zero))
			return -EINVAL;
	}
	bool masked;
	long r = take_sigmask(t, a[3], a[4], &masked);
	if (r < 0)
		return r;
	r = do_poll(t, a[0], a[1], has_timeout ? &deadline : NULL, zero);
	if (masked)
		task_restore_sigmask_unless(t, r == -ERESTARTNOHAND);
	if (has_timeout && !zero) {
		struct timespec left = deadline_left(&deadline);
		copy_out(t, a[2], &left, sizeof(left));
	}
	return r;
}

/* ---- select ---- */

#define SEL_IN (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SEL_EX (POLLPRI)

static bool bit(const uint64_t *set, int fd)
{
	return set && (set[fd / 64] >> (fd % 64)) & 1;
}

static long do_select(struct task *t, int nfds, uint64_t uin, uint64_t uout, uint64_t uex,
		      const struct timespec *deadline, bool zero)
{
	if (nfds < 0)
		return -EINVAL;
	nfds = (int)MIN((unsigned long)nfds, fd_limit());
	size_t words = (size_t)(nfds + 63) / 64, bytes = words * 8;
	uint64_t *sets[3] = { NULL, NULL, NULL };
	uint64_t uaddr[3] = { uin, uout, uex };
	long r = 0;
	for (int k = 0; k < 3 && r == 0; k++) {
		if (!uaddr[k] || !nfds)
			continue;
		sets[k] = calloc(words, 8);
		if (!sets[k])
			r = -ENOMEM;
		else if (copy_in(t, sets[k], uaddr[k], bytes) < 0) /* whole longs, as Linux */
			r = -EFAULT;
	}
	struct poller p = { 0 };
	if (r == 0 && nfds) {
		p.items = calloc((size_t)nfds, sizeof(*p.items));
		if (!p.items)
			r = -ENOMEM;
	}
	for (int fd = 0; r == 0 && fd < nfds; fd++) {
		short ev =
			(short)((bit(sets[0], fd) ? SEL_IN : 0) | (bit(sets[1], fd) ? SEL_OUT : 0) |
				(bit(sets[2], fd) ? SEL_EX : 0));
		if (!ev)
			continue;
		struct file *f = fdget(t, fd);
		if (!f) {
			r = -EBADF;
			break;
		}
		p.items[p.n++] = (struct poll_item){ f, fd, ev, 0 };
	}
	if (r == 0)
		r = poll_wait(t, &p, deadline, zero);
	if (r >= 0) {
		/* Each ready condition counts once per set it is in. */
		long count = 0;
		for (int k = 0; k < 3; k++)
			if (sets[k])
				memset(sets[k], 0, bytes);
		for (int i = 0; i < p.n; i++) {
			struct poll_item *it = &p.items[i];
			short want[3] = { SEL_IN, SEL_OUT, SEL_EX };
			for (int k = 0; k < 3; k++) {
				if (!sets[k] || !(it->events & want[k]) || !(it->revents & want[k]))
					continue;
				sets[k][it->fd / 64] |= 1ULL << (it->fd % 64);
				count++;
			}
		}
		r = count;
		for (int k = 0; k < 3 && r >= 0; k++)
			if (sets[k] && copy_out(t, uaddr[k], sets[k], bytes) < 0)
				r = -EFAULT;
	}
	poller_release(&p);
	for (int k = 0; k < 3; k++)
		free(sets[k]);
	return r;
}

SYSCALL_DEFINE(select)
{
	struct timespec deadline;
	bool zero = false;
	uint64_t utv = a[4];
	if (utv) {
		struct timeval tv;
		if (copy_in(t, &tv, utv, sizeof(tv)) < 0)
			return -EFAULT;
		struct timespec rel = { tv.tv_sec + tv.tv_usec / 1000000,
					(tv.tv_usec % 1000000) * 1000 };
		if (!make_deadline(&rel, &deadline, &zero))
			return -EINVAL;
	}
	long r = do_select(t, (int)a[0], a[1], a[2], a[3], utv ? &deadline : NULL, zero);
	if (utv && !zero) {
		struct timespec left = deadline_left(&deadline);
		struct timeval tv = { left.tv_sec, left.tv_nsec / 1000 };
		copy_out(t, utv, &tv, sizeof(tv));
	}
	return r;
}

SYSCALL_DEFINE(pselect6)
{
	struct timespec rel, deadline;
	bool zero = false;
	uint64_t uts = a[4];
	if (uts) {
		if (copy_in(t, &rel, uts, sizeof(rel)) < 0)
			return -EFAULT;
		if (!make_deadline(&rel, &deadline, &zero))
			return -EINVAL;
	}
	/* The sixth argument points to { const sigset_t *ss; size_t ss_len; }. */
	bool masked = false;
	long r = 0;
	if (a[5]) {
		uint64_t arg[2];
		if (copy_in(t, arg, a[5], sizeof(arg)) < 0)
			return -EFAULT;
		r = take_sigmask(t, arg[0], arg[1], &masked);
		if (r < 0)
			return r;
	}
	r = do_select(t, (int)a[0], a[1], a[2], a[3], uts ? &deadline : NULL, zero);
	if (masked)
		task_restore_sigmask_unless(t, r == -ERESTARTNOHAND);
	if (uts && !zero) {
		struct timespec left = deadline_left(&deadline);
		copy_out(t, uts, &left, sizeof(left));
	}
	return r;
}

/* ---- epoll ---- */

/* Results gathered per epoll_wait at most: a bigger maxevents gets fewer, which is allowed. */
#define EPOLL_BATCH_MAX 1024

static long do_epoll_create(struct task *t, int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct file *f;
	long r = epoll_create_file(0, &f);
	if (r < 0)
		return r;
	r = fd_install(t->files, f, flags & EPOLL_CLOEXEC);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(epoll_create)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return do_epoll_create(t, 0);
}

SYSCALL_DEFINE(epoll_create1)
{
	return do_epoll_create(t, (int)a[0]);
}

SYSCALL_DEFINE(epoll_ctl)
{
	int epfd = (int)a[0], op = (int)a[1], fd = (int)a[2];
	uint32_t events = 0;
	uint64_t data = 0;
	if (op != EPOLL_CTL_DEL && epoll_event_copy_in(t, a[3], &events, &data) < 0)
		return -EFAULT;
	struct file *ep = fdget(t, epfd);
	if (!ep)
		return -EBADF;
	struct file *target = fdget(t, fd);
	long r = target ? epoll_ctl_file(ep, op, fd, target, events, data) : -EBADF;
	if (target)
		file_put(target);
	file_put(ep);
	return r;
}

static long do_epoll_wait(struct task *t, int epfd, uint64_t uevents, int maxevents,
			  const struct timespec *deadline, bool zero)
{
	if (maxevents <= 0 || (size_t)maxevents > INT_MAX / 16)
		return -EINVAL;
	struct file *ep = fdget(t, epfd);
	if (!ep)
		return -EBADF;
	int n = MIN(maxevents, EPOLL_BATCH_MAX);
	struct epoll_result *res = calloc((size_t)n, sizeof(*res));
	long r = res ? epoll_wait_file(t, ep, res, n, deadline, zero) : -ENOMEM;
	if (r > 0 && epoll_events_copy_out(t, uevents, res, (int)r) < 0)
		r = -EFAULT;
	free(res);
	file_put(ep);
	return r;
}

/* epoll_wait's timeout in milliseconds: < 0 waits for ever. */
static long epoll_wait_ms(struct task *t, const uint64_t a[6], int ms)
{
	struct timespec deadline;
	bool zero = ms == 0;
	if (ms > 0) {
		struct timespec rel = { ms / 1000, (long)(ms % 1000) * 1000000L };
		make_deadline(&rel, &deadline, &zero);
	}
	return do_epoll_wait(t, (int)a[0], a[1], (int)a[2], ms > 0 ? &deadline : NULL, zero);
}

SYSCALL_DEFINE(epoll_wait)
{
	return epoll_wait_ms(t, a, (int)a[3]);
}

SYSCALL_DEFINE(epoll_pwait)
{
	bool masked;
	long r = take_sigmask(t, a[4], a[5], &masked);
	if (r < 0)
		return r;
	r = epoll_wait_ms(t, a, (int)a[3]);
	if (masked)
		task_restore_sigmask_unless(t, r == -EINTR);
	return r;
}

SYSCALL_DEFINE(epoll_pwait2)
{
	struct timespec rel, deadline;
	bool zero = false, has_timeout = a[3] != 0;
	if (has_timeout) {
		if (copy_in(t, &rel, a[3], sizeof(rel)) < 0)
			return -EFAULT;
		if (!make_deadline(&rel, &deadline, &zero))
			return -EINVAL;
	}
	bool masked;
	long r = take_sigmask(t, a[4], a[5], &masked);
	if (r < 0)
		return r;
	r = do_epoll_wait(t, (int)a[0], a[1], (int)a[2], has_timeout ? &deadline : NULL, zero);
	if (masked)
		task_restore_sigmask_unless(t, r == -EINTR);
	return r;
}
