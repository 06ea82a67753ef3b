/*
 * epoll: an interest list of (file, fd) items whose readiness epoll_wait reads from each
 * file's poll hook, level-triggered by default, with EPOLLET and EPOLLONESHOT. There are no
 * wake-up callbacks: a waiter sleeps on every watched file's wait queue at once. An EPOLLET
 * item fires when it is ready and was not reported since it was last seen not ready or since
 * the guest last read or wrote the file (so a drained file fires on new data; a file read
 * only in part may fire once more than on Linux, which callers of EPOLLET tolerate).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "lib/util.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

/* Files whose readiness nobody signals (no wait queue, or more than a sleep can watch) are
 * looked at again this often. */
#define EP_REPOLL_NS 200000000L
/* task_wait_event_multi sleeps on at most this many queues. */
#define EP_MAX_QUEUES 64
/* epoll files inside epoll files, as Linux's EP_MAX_NESTS. */
#define EP_MAX_NESTS 4

struct eventpoll;

struct epitem {
	struct eventpoll *ep;
	struct file *file; /* not a reference: the item goes when the file is released */
	int fd;
	uint32_t events; /* what was asked for, with EPOLLET, EPOLLONESHOT */
	uint64_t data;
	bool disabled;		      /* EPOLLONESHOT fired: quiet until EPOLL_CTL_MOD */
	uint32_t reported;	      /* EPOLLET: events reported and not seen clear since */
	struct epitem *next, *prev;   /* in ep's list */
	struct epitem *fnext, *fprev; /* in file->ep_links */
};

struct eventpoll {
	struct epitem *first, *last;
	struct waitqueue wq; /* woken by epoll_ctl, so that a waiter looks at new items */
};

/*
 * Guards every eventpoll's items and every file's ep_links (one lock, as Linux's epmutex,
 * since items tie two objects together). Taken with no VFS lock held; readiness is read
 * under it (a file's poll hook takes its own private lock inside). A thread that holds it
 * may take it again through a nested epoll file's poll hook: the depth counts that.
 */
static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int ep_lock_depth;

static void ep_lock_take(void)
{
	if (ep_lock_depth++ == 0)
		pthread_mutex_lock(&ep_lock);
}

static void ep_lock_drop(void)
{
	if (--ep_lock_depth == 0)
		pthread_mutex_unlock(&ep_lock);
}

static const struct file_ops epoll_fops;

bool file_is_epoll(struct file *f)
{
	return f->ops == &epoll_fops;
}

static struct eventpoll *EP(struct file *f)
{
	return f->priv;
}

/* The events of it ready now (ep_lock held). */
static uint32_t item_ready(struct epitem *it, struct waitqueue **wq)
{
	*wq = NULL;
	if (it->disabled)
		return 0;
	uint32_t mask = vfs_poll(it->file, wq);
	return mask & (it->events | EPOLLERR | EPOLLHUP);
}

/* Whether it would be reported now (ep_lock held); no state changes. */
static bool item_fires(struct epitem *it, uint32_t ready)
{
	if (!ready)
		return false;
	return !(it->events & EPOLLET) || (ready & ~it->reported);
}

/* ---- the interest list ---- */

static struct epitem *ep_find(struct eventpoll *ep, struct file *f, int fd)
{
	for (struct epitem *it = ep->first; it; it = it->next)
		if (it->file == f && it->fd == fd)
			return it;
	return NULL;
}

static void ep_link(struct eventpoll *ep, struct epitem *it)
{
	it->prev = ep->last;
	it->next = NULL;
	if (ep->last)
		ep->last->next = it;
	else
		ep->first = it;
	ep->last = it;
}

static void ep_unlink(struct eventpoll *ep, struct epitem *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		ep->first = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		ep->last = it->prev;
}

static void file_link(struct file *f, struct epitem *it)
{
	it->fprev = NULL;
	it->fnext = f->ep_links;
	if (f->ep_links)
		f->ep_links->fprev = it;
	__atomic_store_n(&f->ep_links, it, __ATOMIC_RELEASE);
}

static void file_unlink(struct file *f, struct epitem *it)
{
	if (it->fprev)
		it->fprev->fnext = it->fnext;
	else
		__atomic_store_n(&f->ep_links, it->fnext, __ATOMIC_RELEASE);
	if (it->fnext)
		it->fnext->fprev = it->fprev;
}

void eventpoll_release_file(struct file *f)
{
	ep_lock_take();
	struct epitem *it;
	while ((it = f->ep_links)) {
		file_unlink(f, it);
		ep_unlink(it->ep, it);
		free(it);
	}
	ep_lock_drop();
}

void eventpoll_rearm_file(struct file *f)
{
	ep_lock_take();
	for (struct epitem *it = f->ep_links; it; it = it->fnext)
		it->reported = 0;
	ep_lock_drop();
}

/* True when ep reaches target through nested epoll files (ep_lock held). */
static bool ep_reaches(struct eventpoll *ep, struct file *target, int depth)
{
	if (depth > EP_MAX_NESTS)
		return true;
	for (struct epitem *it = ep->first; it; it = it->next) {
		if (it->file == target)
			return true;
		if (file_is_epoll(it->file) && ep_reaches(EP(it->file), target, depth + 1))
			return true;
	}
	return false;
}

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *target, uint32_t events,
		   uint64_t data)
{
	if (!target->ops->poll)
		return -EPERM; /* regular files and directories cannot be polled, as Linux */
	if (!file_is_epoll(epf) || epf == target)
		return -EINVAL;
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if ((events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || file_is_epoll(target) ||
	     (events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
			 EPOLLET))))
		return -EINVAL;
	/* Without CAP_BLOCK_SUSPEND's meaning here, EPOLLWAKEUP is dropped, as Linux does. */
	events &= ~(uint32_t)EPOLLWAKEUP;
	struct eventpoll *ep = EP(epf);
	int r = 0;
	ep_lock_take();
	struct epitem *it = ep_find(ep, target, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			r = -EEXIST;
			break;
		}
		if (file_is_epoll(target) && ep_reaches(EP(target), epf, 1)) {
			r = -ELOOP;
			break;
		}
		it = calloc(1, sizeof(*it));
		if (!it) {
			r = -ENOMEM;
			break;
		}
		*it = (struct epitem){
			.ep = ep, .file = target, .fd = fd, .events = events, .data = data
		};
		ep_link(ep, it);
		file_link(target, it);
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			r = -ENOENT;
			break;
		}
		if (it->events & EPOLLEXCLUSIVE) {
			r = -EINVAL;
			break;
		}
		it->events = events;
		it->data = data;
		it->disabled = false;
		it->reported = 0;
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			r = -ENOENT;
			break;
		}
		ep_unlink(ep, it);
		file_unlink(target, it);
		free(it);
		break;
	}
	ep_lock_drop();
	if (r == 0)
		waitqueue_wake_all(&ep->wq);
	return r;
}

/* ---- waiting ---- */

/* Reports what is ready into out (ep_lock held): the ONESHOT and ET bookkeeping happens
 * here. Reported level-triggered items go to the back, so that a small max still gets to
 * every item in turn. */
static int ep_collect(struct eventpoll *ep, struct epoll_result *out, int max)
{
	int n = 0;
	struct epitem *it = ep->first, *stop = NULL;
	while (it && it != stop && n < max) {
		struct epitem *next = it->next;
		struct waitqueue *wq;
		uint32_t ready = item_ready(it, &wq);
		if (it->events & EPOLLET)
			it->reported &= ready; /* an event seen clear may fire again */
		if (item_fires(it, ready)) {
			out[n].events = ready;
			out[n].data = it->data;
			n++;
			if (it->events & EPOLLONESHOT)
				it->disabled = true;
			if (it->events & EPOLLET)
				it->reported = ready;
			/* To the back of the list; stop when we reach what we moved. */
			ep_unlink(ep, it);
			ep_link(ep, it);
			if (!stop)
				stop = it;
		}
		it = next;
	}
	return n;
}

struct ep_wait {
	struct eventpoll *ep;
	struct file **held; /* files whose queues we sleep on: references */
	int nheld;
	struct waitqueue *wqs[EP_MAX_QUEUES];
	int nwq;
	bool unwatched;
};

static bool ep_any_ready(struct eventpoll *ep)
{
	for (struct epitem *it = ep->first; it; it = it->next) {
		struct waitqueue *wq;
		if (item_fires(it, item_ready(it, &wq)))
			return true;
	}
	return false;
}

static bool ep_cond(void *arg)
{
	struct ep_wait *w = arg;
	ep_lock_take();
	bool r = ep_any_ready(w->ep);
	ep_lock_drop();
	return r;
}

static bool file_get_unless_zero(struct file *f)
{
	int r = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
	while (r > 0)
		if (__atomic_compare_exchange_n(&f->refs, &r, r + 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

/* Gathers the queues to sleep on (ep_lock held), holding each file so its queue stays. */
static int ep_gather(struct ep_wait *w)
{
	struct eventpoll *ep = w->ep;
	int n = 0;
	for (struct epitem *it = ep->first; it; it = it->next)
		n++;
	w->held = calloc((size_t)n + 1, sizeof(*w->held));
	if (!w->held)
		return -ENOMEM;
	w->nwq = 0;
	w->wqs[w->nwq++] = &ep->wq;
	for (struct epitem *it = ep->first; it; it = it->next) {
		struct waitqueue *wq;
		if (it->disabled)
			continue;
		vfs_poll(it->file, &wq);
		if (!wq) {
			w->unwatched = true;
			continue;
		}
		bool dup = false;
		for (int i = 0; i < w->nwq; i++)
			dup |= w->wqs[i] == wq;
		if (dup)
			continue;
		if (w->nwq == EP_MAX_QUEUES) {
			w->unwatched = true;
			continue;
		}
		if (!file_get_unless_zero(it->file))
			continue; /* being released: its item goes too */
		w->held[w->nheld++] = it->file;
		w->wqs[w->nwq++] = wq;
	}
	return 0;
}

static void ep_release_held(struct ep_wait *w)
{
	for (int i = 0; i < w->nheld; i++)
		file_put(w->held[i]);
	free(w->held);
	w->held = NULL;
	w->nheld = 0;
}

int epoll_wait_file(struct task *t, struct file *epf, struct epoll_result *out, int max,
		    const struct timespec *deadline, bool zero)
{
	if (!file_is_epoll(epf))
		return -EINVAL;
	struct ep_wait w = { .ep = EP(epf) };
	for (;;) {
		ep_lock_take();
		int n = ep_collect(w.ep, out, max);
		int r = (n > 0 || zero) ? 0 : ep_gather(&w);
		ep_lock_drop();
		if (n > 0 || zero)
			return n;
		if (r < 0)
			return r;
		struct timespec now, dl;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline &&
		    (now.tv_sec > deadline->tv_sec ||
		     (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))) {
			ep_release_held(&w);
			return 0;
		}
		const struct timespec *dlp = deadline;
		if (w.unwatched) {
			dl = now;
			dl.tv_nsec += EP_REPOLL_NS;
			if (dl.tv_nsec >= 1000000000L) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000L;
			}
			if (!deadline || dl.tv_sec < deadline->tv_sec ||
			    (dl.tv_sec == deadline->tv_sec && dl.tv_nsec < deadline->tv_nsec))
				dlp = &dl;
		}
		r = task_wait_event_multi(t, w.wqs, w.nwq, ep_cond, &w, dlp);
		ep_release_held(&w);
		/* epoll_wait is never restarted, whatever SA_RESTART says, as Linux. */
		if (r == -ERESTARTSYS)
			return -EINTR;
	}
}

/* ---- the epoll file ---- */

/* An epoll file inside poll or another epoll: readable when an item would be reported.
 * No queue is woken by its items, so a waiter on it looks again on a timer. */
static unsigned int epoll_poll(struct file *f, struct waitqueue **wq)
{
	*wq = NULL;
	ep_lock_take();
	bool ready = ep_any_ready(EP(f));
	ep_lock_drop();
	return ready ? POLLIN | POLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
	struct eventpoll *ep = EP(f);
	ep_lock_take();
	struct epitem *it;
	while ((it = ep->first)) {
		ep_unlink(ep, it);
		file_unlink(it->file, it);
		free(it);
	}
	ep_lock_drop();
	free(ep);
}

static const struct file_ops epoll_fops = {
	.poll = epoll_poll,
	.release = epoll_release,
};

int epoll_create_file(int flags, struct file **out)
{
	struct eventpoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	waitqueue_init(&ep->wq);
	struct path p;
	int r = anon_inode_path("eventpoll", &p);
	struct file *f = r == 0 ? file_new(&p, O_RDWR, &epoll_fops) : NULL;
	if (r == 0)
		path_put(&p);
	if (!f) {
		free(ep);
		return r < 0 ? r : -ENOMEM;
	}
	f->priv = ep;
	f->mode |= FMODE_STREAM;
	*out = f;
	return 0;
}
