/*
 * One sentry thread waits in epoll on the host fds that guest files wrap and wakes their wait
 * queues, so a task sleeping on a host fd sleeps in task_wait_event (where signals reach it)
 * rather than in a host read.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/fs/host/host.h"
#include "sentry/kernel/waitqueue.h"

/* Guards slots and nslots; taken before a wait queue's lock (the thread wakes under it, so
 * a removed queue is never woken after host_notify_remove returns). */
static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waitqueue **slots;
static int nslots;
static int epfd = -1;
static pthread_once_t notify_once = PTHREAD_ONCE_INIT;

static void *notifier_main(void *arg)
{
	struct epoll_event evs[32];
	for (;;) {
		int n = epoll_wait(epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("host notifier: epoll_wait: %d", errno);
			return NULL;
		}
		pthread_mutex_lock(&notify_lock);
		for (int i = 0; i < n; i++) {
			int id = (int)evs[i].data.u32;
			if (id < nslots && slots[id])
				waitqueue_wake_all(slots[id]);
		}
		pthread_mutex_unlock(&notify_lock);
	}
}

static void notifier_start(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_warn("host notifier: epoll_create1: %d", errno);
		return;
	}
	/* The thread takes no signals: they are for task threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t thr;
	int r = pthread_create(&thr, NULL, notifier_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		log_warn("host notifier: pthread_create: %d", r);
		close(epfd);
		epfd = -1;
		return;
	}
	pthread_detach(thr);
}

int host_notify_add(int host_fd, struct waitqueue *wq)
{
	pthread_once(&notify_once, notifier_start);
	if (epfd < 0)
		return -ENOSYS;
	pthread_mutex_lock(&notify_lock);
	int id;
	for (id = 0; id < nslots && slots[id]; id++)
		;
	if (id == nslots) {
		int n = nslots ? nslots * 2 : 16;
		struct waitqueue **s = realloc(slots, (size_t)n * sizeof(*s));
		if (!s) {
			pthread_mutex_unlock(&notify_lock);
			return -ENOMEM;
		}
		for (int i = nslots; i < n; i++)
			s[i] = NULL;
		slots = s;
		nslots = n;
	}
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET,
		.data.u32 = (uint32_t)id,
	};
	int r = 0;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, host_fd, &ev) < 0)
		r = -errno;
	else
		slots[id] = wq;
	pthread_mutex_unlock(&notify_lock);
	return r < 0 ? r : id;
}

void host_notify_remove(int id, int host_fd)
{
	if (id < 0)
		return;
	pthread_mutex_lock(&notify_lock);
	if (id < nslots)
		slots[id] = NULL;
	epoll_ctl(epfd, EPOLL_CTL_DEL, host_fd, NULL);
	pthread_mutex_unlock(&notify_lock);
}
