/* Wait queues: a task sleeps on its own condition variable; queues list who to wake. */
#include "sentry/kernel/waitqueue.h"

#include <errno.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "syscalls/syscalls.h"

void waitqueue_init(struct waitqueue *wq)
{
	pthread_mutex_init(&wq->lock, NULL);
	wq->head.next = wq->head.prev = &wq->head;
	wq->head.task = NULL;
}

static void wake_task(struct task *t)
{
	pthread_mutex_lock(&t->wake_lock);
	t->woken = true;
	pthread_cond_signal(&t->wake_cond);
	pthread_mutex_unlock(&t->wake_lock);
}

void waitqueue_wake_all(struct waitqueue *wq)
{
	struct waitqueue_entry *e;

	pthread_mutex_lock(&wq->lock);
	for (e = wq->head.next; e != &wq->head; e = e->next)
		wake_task(e->task);
	pthread_mutex_unlock(&wq->lock);
}

static void wq_add(struct waitqueue *wq, struct waitqueue_entry *e)
{
	pthread_mutex_lock(&wq->lock);
	e->next = &wq->head;
	e->prev = wq->head.prev;
	wq->head.prev->next = e;
	wq->head.prev = e;
	pthread_mutex_unlock(&wq->lock);
}

static void wq_del(struct waitqueue *wq, struct waitqueue_entry *e)
{
	pthread_mutex_lock(&wq->lock);
	e->prev->next = e->next;
	e->next->prev = e->prev;
	pthread_mutex_unlock(&wq->lock);
}

#define WAIT_MULTI_MAX 64

int task_wait_event_multi(struct task *t, struct waitqueue **wqs, int nwq,
			  bool (*cond)(void *arg), void *arg, const struct timespec *deadline)
{
	struct waitqueue_entry entries[WAIT_MULTI_MAX];
	int i, ret;

	if (nwq > WAIT_MULTI_MAX)
		nwq = WAIT_MULTI_MAX;
	for (i = 0; i < nwq; i++) {
		entries[i].task = t;
		wq_add(wqs[i], &entries[i]);
	}
	for (;;) {
		bool timed_out = false;

		if (cond(arg)) {
			ret = 0;
			break;
		}
		if (task_signal_pending(t)) {
			ret = -ERESTARTSYS;
			break;
		}
		pthread_mutex_lock(&t->wake_lock);
		while (!t->woken && !timed_out) {
			if (deadline)
				timed_out = pthread_cond_timedwait(&t->wake_cond, &t->wake_lock,
								   deadline) == ETIMEDOUT;
			else
				pthread_cond_wait(&t->wake_cond, &t->wake_lock);
		}
		t->woken = false;
		pthread_mutex_unlock(&t->wake_lock);
		if (timed_out) {
			ret = cond(arg) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	for (i = 0; i < nwq; i++)
		wq_del(wqs[i], &entries[i]);
	return ret;
}

int task_wait_event(struct task *t, struct waitqueue *wq, bool (*cond)(void *arg), void *arg,
		    const struct timespec *deadline)
{
	return task_wait_event_multi(t, &wq, wq ? 1 : 0, cond, arg, deadline);
}
