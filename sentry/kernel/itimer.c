/*
 * Interval timers (setitimer, alarm): ITIMER_REAL sends SIGALRM to the process from one sentry
 * timer thread that sleeps until the earliest deadline of every armed process. The list holds
 * a reference on each armed process, so no exit hook is needed: an exited one is dropped when
 * its timer next fires. The same thread runs the sentry timers (struct ktimer) of timerfd.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

/*
 * Guards every task's itimer_* fields, every ktimer and both lists. Taken alone or after
 * kernel_lock or a timerfd's lock, never before them: the timer thread drops it before it
 * sends a signal, and only wait-queue locks are taken under it (by ktimer fire callbacks).
 */
static pthread_mutex_t itimer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t itimer_cond;
/* Processes with an armed ITIMER_REAL (or one just disarmed, until the thread drops it). */
static struct task *itimer_list;
/* Armed sentry timers, unordered (a sandbox has few). */
static struct ktimer *ktimer_list;
static pthread_once_t itimer_once = PTHREAD_ONCE_INIT;
static int itimer_start_err;

/* Sends at most this many SIGALRMs per pass, so the pass needs no allocation. */
#define EXPIRED_BATCH 64

static uint64_t now_ns(void)
{
	return kernel_monotonic_ns();
}

static struct timespec ns_to_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };
}

/* The timers belong to the process: its thread-group leader holds them. */
static struct task *itimer_owner(struct task *t)
{
	struct task *l;

	if (t->tid == t->tgid)
		return t;
	pthread_mutex_lock(&kernel_lock);
	l = pid_lookup_locked(t->tgid);
	pthread_mutex_unlock(&kernel_lock);
	/* The leader's struct lives as long as its threads: Linux keeps a zombie leader too. */
	return l ? l : t;
}

/* False when the process has exited: its timer is then dropped. */
static bool send_sigalrm(struct task *t)
{
	struct guest_siginfo info = { 0 };
	bool alive;

	info.signo = SIGALRM;
	info.code = SI_KERNEL; /* Linux's it_real_fn sends with SEND_SIG_PRIV */
	pthread_mutex_lock(&kernel_lock);
	alive = t->state == TASK_RUNNING;
	if (alive)
		task_group_send_signal_locked(t, SIGALRM, &info);
	pthread_mutex_unlock(&kernel_lock);
	return alive;
}

/*
 * One pass, itimer_lock held: drops disarmed entries, collects expired ones (rearming the
 * periodic ones past now, as hrtimer_forward: missed periods do not queue more signals) and
 * returns the earliest deadline left (0: none).
 */
static uint64_t scan_locked(uint64_t now, struct task **expired, int *nexpired)
{
	struct task **pp = &itimer_list, *t;
	uint64_t next = 0;

	*nexpired = 0;
	while ((t = *pp) != NULL) {
		struct task_signals *s = &t->sig;

		if (s->itimer_real_deadline && s->itimer_real_deadline <= now &&
		    *nexpired < EXPIRED_BATCH) {
			task_get(t);
			expired[(*nexpired)++] = t;
			if (s->itimer_real_interval) {
				uint64_t late = now - s->itimer_real_deadline;

				s->itimer_real_deadline += (late / s->itimer_real_interval + 1) *
							   s->itimer_real_interval;
			} else {
				s->itimer_real_deadline = 0;
			}
		}
		if (!s->itimer_real_deadline) {
			*pp = s->itimer_next;
			s->itimer_listed = false;
			s->itimer_next = NULL;
			task_put(t); /* the list's reference; expired[] holds its own */
			continue;
		}
		if (!next || s->itimer_real_deadline < next)
			next = s->itimer_real_deadline;
		pp = &s->itimer_next;
	}
	return next;
}

static void ktimer_unlink_locked(struct ktimer *kt)
{
	*kt->pprev = kt->next;
	if (kt->next)
		kt->next->pprev = kt->pprev;
	kt->pprev = NULL;
	kt->next = NULL;
	kt->deadline = 0;
}

/* Fires the expired sentry timers (itimer_lock held) and returns the earliest deadline left
 * (0: none). A timer fires once: its owner arms it again if it needs to. */
static uint64_t ktimer_fire_locked(uint64_t now)
{
	struct ktimer *kt = ktimer_list, *next_kt;
	uint64_t next = 0;

	for (; kt; kt = next_kt) {
		next_kt = kt->next;
		if (kt->deadline <= now) {
			ktimer_unlink_locked(kt);
			kt->fire(kt->arg);
		} else if (!next || kt->deadline < next) {
			next = kt->deadline;
		}
	}
	return next;
}

static void *itimer_thread(void *arg)
{
	struct task *expired[EXPIRED_BATCH];
	bool dead[EXPIRED_BATCH];
	int n;

	pthread_mutex_lock(&itimer_lock);
	for (;;) {
		uint64_t now = now_ns();
		uint64_t next = scan_locked(now, expired, &n);
		uint64_t knext = ktimer_fire_locked(now);

		if (knext && (!next || knext < next))
			next = knext;

		if (n) {
			pthread_mutex_unlock(&itimer_lock);
			for (int i = 0; i < n; i++)
				dead[i] = !send_sigalrm(expired[i]);
			pthread_mutex_lock(&itimer_lock);
			for (int i = 0; i < n; i++) {
				/* An exited process's timer stops; the next pass drops it. */
				if (dead[i])
					expired[i]->sig.itimer_real_deadline = 0;
				task_put(expired[i]);
			}
			continue;
		}
		if (next) {
			struct timespec ts = ns_to_timespec(next);

			pthread_cond_timedwait(&itimer_cond, &itimer_lock, &ts);
		} else {
			pthread_cond_wait(&itimer_cond, &itimer_lock);
		}
	}
	return NULL;
}

static void itimer_start(void)
{
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t thread;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&itimer_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	itimer_start_err = -pthread_create(&thread, &attr, itimer_thread, NULL);
	pthread_attr_destroy(&attr);
	if (itimer_start_err)
		log_warn("itimer: cannot start the timer thread: %d", itimer_start_err);
}

/* Remaining time of ITIMER_REAL; itimer_lock held. */
static uint64_t real_remaining_locked(const struct task_signals *s, uint64_t now)
{
	if (!s->itimer_real_deadline)
		return 0;
	/* Due but not yet sent: Linux reports 1 us rather than "disarmed". */
	return s->itimer_real_deadline > now ? s->itimer_real_deadline - now : 1000;
}

int itimer_get(struct task *t, int which, uint64_t *value, uint64_t *interval)
{
	struct task_signals *s = &itimer_owner(t)->sig;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	pthread_mutex_lock(&itimer_lock);
	if (which == ITIMER_REAL) {
		*value = real_remaining_locked(s, now_ns());
		*interval = s->itimer_real_interval;
	} else {
		*value = s->itimer_cpu_value[which - 1];
		*interval = s->itimer_cpu_interval[which - 1];
	}
	pthread_mutex_unlock(&itimer_lock);
	return 0;
}

int itimer_set(struct task *t, int which, uint64_t value, uint64_t interval, uint64_t *old_value,
	       uint64_t *old_interval)
{
	struct task *owner = itimer_owner(t);
	struct task_signals *s = &owner->sig;
	uint64_t ov, oi;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	if (which == ITIMER_REAL) {
		pthread_once(&itimer_once, itimer_start);
		if (itimer_start_err)
			return -ENOMEM;
	}
	pthread_mutex_lock(&itimer_lock);
	if (which == ITIMER_REAL) {
		uint64_t now = now_ns();

		ov = real_remaining_locked(s, now);
		oi = s->itimer_real_interval;
		/* Linux keeps the interval even when the value disarms the timer. */
		s->itimer_real_interval = interval;
		s->itimer_real_deadline = value ? now + value : 0;
		if (value && !s->itimer_listed) {
			task_get(owner);
			s->itimer_listed = true;
			s->itimer_next = itimer_list;
			itimer_list = owner;
		}
		pthread_cond_signal(&itimer_cond);
	} else {
		ov = s->itimer_cpu_value[which - 1];
		oi = s->itimer_cpu_interval[which - 1];
		s->itimer_cpu_value[which - 1] = value;
		s->itimer_cpu_interval[which - 1] = interval;
	}
	pthread_mutex_unlock(&itimer_lock);
	if (old_value)
		*old_value = ov;
	if (old_interval)
		*old_interval = oi;
	return 0;
}

int ktimer_arm(struct ktimer *kt, uint64_t deadline)
{
	pthread_once(&itimer_once, itimer_start);
	if (itimer_start_err)
		return -ENOMEM;
	pthread_mutex_lock(&itimer_lock);
	if (kt->pprev)
		ktimer_unlink_locked(kt);
	if (deadline) {
		kt->deadline = deadline;
		kt->pprev = &ktimer_list;
		kt->next = ktimer_list;
		if (ktimer_list)
			ktimer_list->pprev = &kt->next;
		ktimer_list = kt;
		pthread_cond_signal(&itimer_cond);
	}
	pthread_mutex_unlock(&itimer_lock);
	return 0;
}
