/* The one sleeping primitive of the sentry: a task waits on a wait queue until woken. */
#ifndef CVISOR_KERNEL_WAITQUEUE_H
#define CVISOR_KERNEL_WAITQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct task;

struct waitqueue_entry {
	struct task *task;
	struct waitqueue_entry *next, *prev;
};

struct waitqueue {
	pthread_mutex_t lock; /* guards the entry list only; a leaf lock */
	struct waitqueue_entry head;
};

void waitqueue_init(struct waitqueue *wq);
void waitqueue_wake_all(struct waitqueue *wq);

/*
 * Sleeps until cond(arg) is true, a signal is pending for the task, or the absolute
 * CLOCK_MONOTONIC deadline passes (NULL: none). cond is called without wq->lock held and
 * takes whatever locks it needs. The wake-up cannot be lost: a wake between cond() and the
 * sleep makes the sleep return at once.
 * Returns 0 when cond held, -ERESTARTSYS on a signal, -ETIMEDOUT at the deadline.
 */
int task_wait_event(struct task *t, struct waitqueue *wq, bool (*cond)(void *arg), void *arg,
		    const struct timespec *deadline);

/* Sleeps on several queues at once (poll, select, epoll); same contract as above. */
int task_wait_event_multi(struct task *t, struct waitqueue **wqs, int nwq,
			  bool (*cond)(void *arg), void *arg, const struct timespec *deadline);

#endif
