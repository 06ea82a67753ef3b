/*
 * timerfd: a timer on one clock whose expirations a read collects as an 8-byte count. The
 * count is worked out from the clock whenever the file is looked at; a sentry timer only wakes
 * those who sleep or poll until the next expiration.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/time.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

/* Linux's KTIME_MAX: times past it are clamped to it. */
#define TIMERFD_TIME_MAX ((uint64_t)INT64_MAX)

struct timerfd {
	/*
	 * Guards the fields below; a filesystem-private lock, taken before the itimer lock (the
	 * wake-up is armed under it, so it always matches the deadline).
	 */
	pthread_mutex_t lock;
	clockid_t clock;
	uint64_t deadline; /* next expiration, ns on clock; 0: disarmed */
	uint64_t interval; /* ns; 0: one-shot */
	uint64_t ticks;	   /* expirations not read yet */
	uint64_t wake_at;  /* CLOCK_MONOTONIC ns timer was last armed for; 0: not armed */
	struct ktimer timer;
	struct waitqueue wq; /* woken at expirations (by timer) and by settime */
};

static const struct file_ops timerfd_fops;

bool file_is_timerfd(struct file *f)
{
	return f->ops == &timerfd_fops;
}

static struct timerfd *TFD(struct file *f)
{
	return f->priv;
}

static uint64_t add_clamped(uint64_t a, uint64_t b)
{
	return a > TIMERFD_TIME_MAX - MIN(b, TIMERFD_TIME_MAX) ? TIMERFD_TIME_MAX : a + b;
}

/* Called by the timer thread under the itimer lock: only wakes. */
static void tfd_fire(void *arg)
{
	struct timerfd *tf = arg;

	waitqueue_wake_all(&tf->wq);
}

/*
 * Brings ticks and deadline up to now (lock held), as hrtimer_forward does: the periods that
 * went by count, and the next deadline is the first one still ahead. Then makes sure someone
 * is woken at that deadline if nothing is readable yet: the wake-up is armed again when it
 * has gone off (early, if a clock other than CLOCK_MONOTONIC drifted) or the deadline moved
 * earlier. One left armed before the deadline (settime moved it later) wakes waiters that
 * look, arm it again here and sleep again.
 */
static void tfd_update_locked(struct timerfd *tf)
{
	uint64_t now = clock_ns(tf->clock), mono = kernel_monotonic_ns(), want = 0;

	if (tf->deadline && now >= tf->deadline) {
		if (tf->interval) {
			uint64_t n = (now - tf->deadline) / tf->interval + 1;

			tf->ticks += n;
			tf->deadline = add_clamped(tf->deadline, n * tf->interval);
		} else {
			tf->ticks++;
			tf->deadline = 0;
		}
	}
	if (tf->deadline && !tf->ticks)
		want = tf->clock == CLOCK_MONOTONIC ? tf->deadline :
						      add_clamped(mono, tf->deadline - now);
	if (want ? !tf->wake_at || tf->wake_at <= mono || want < tf->wake_at : tf->wake_at != 0) {
		ktimer_arm(&tf->timer, want); /* cannot fail: create started the thread */
		tf->wake_at = want;
	}
}

static bool tfd_readable(void *arg)
{
	struct timerfd *tf = arg;

	pthread_mutex_lock(&tf->lock);
	tfd_update_locked(tf);
	bool r = tf->ticks > 0;
	pthread_mutex_unlock(&tf->lock);
	return r;
}

static ssize_t tfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct timerfd *tf = TFD(f);
	struct iov_iter it;

	iov_iter_init(&it, iov, iovcnt);
	if (it.count < sizeof(uint64_t))
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&tf->lock);
		tfd_update_locked(tf);
		if (tf->ticks) {
			uint64_t v = tf->ticks;

			tf->ticks = 0;
			tfd_update_locked(tf); /* the wake-up for the next expiration */
			pthread_mutex_unlock(&tf->lock);
			copy_to_iter(&v, sizeof(v), &it);
			return sizeof(v);
		}
		pthread_mutex_unlock(&tf->lock);
		if (file_flags(f) & O_NONBLOCK)
			return -EAGAIN;
		int r = task_wait_event(current(), &tf->wq, tfd_readable, tf, NULL);
		if (r < 0)
			return r;
	}
}

static unsigned int tfd_poll(struct file *f, struct waitqueue **wq)
{
	struct timerfd *tf = TFD(f);

	*wq = &tf->wq;
	return tfd_readable(tf) ? POLLIN | POLLRDNORM : 0;
}

static void tfd_release(struct file *f)
{
	struct timerfd *tf = TFD(f);

	ktimer_arm(&tf->timer, 0);
	pthread_mutex_destroy(&tf->lock);
	free(tf);
}

static const struct file_ops timerfd_fops = {
	.read = tfd_read,
	.poll = tfd_poll,
	.release = tfd_release,
};

/* Lock held, just updated. A deadline reached since the update reads 0, as Linux clamps. */
static void tfd_gettime_locked(struct timerfd *tf, uint64_t *value, uint64_t *interval)
{
	uint64_t now = clock_ns(tf->clock);

	*value = tf->deadline > now ? tf->deadline - now : 0;
	*interval = tf->interval;
}

void timerfd_gettime_file(struct file *f, uint64_t *value, uint64_t *interval)
{
	struct timerfd *tf = TFD(f);

	pthread_mutex_lock(&tf->lock);
	tfd_update_locked(tf);
	tfd_gettime_locked(tf, value, interval);
	pthread_mutex_unlock(&tf->lock);
}

void timerfd_settime_file(struct file *f, bool abs, uint64_t value, uint64_t interval,
			  uint64_t *old_value, uint64_t *old_interval)
{
	struct timerfd *tf = TFD(f);
	uint64_t ov, oi;

	pthread_mutex_lock(&tf->lock);
	tfd_update_locked(tf);
	tfd_gettime_locked(tf, &ov, &oi);
	tf->ticks = 0;
	tf->interval = MIN(interval, TIMERFD_TIME_MAX);
	if (!value)
		tf->deadline = 0;
	else if (abs)
		tf->deadline = MIN(value, TIMERFD_TIME_MAX);
	else
		tf->deadline = add_clamped(clock_ns(tf->clock), value);
	tfd_update_locked(tf);
	pthread_mutex_unlock(&tf->lock);
	/* Sleepers look again: the timer may have expired already (an absolute time past). */
	waitqueue_wake_all(&tf->wq);
	if (old_value)
		*old_value = ov;
	if (old_interval)
		*old_interval = oi;
}

int timerfd_create_file(int clock, int flags, struct file **out)
{
	struct timerfd *tf = calloc(1, sizeof(*tf));

	if (!tf)
		return -ENOMEM;
	pthread_mutex_init(&tf->lock, NULL);
	waitqueue_init(&tf->wq);
	tf->clock = clock;
	tf->timer.fire = tfd_fire;
	tf->timer.arg = tf;
	/* Starts the timer thread now, so that no later arming can fail. */
	int r = ktimer_arm(&tf->timer, 0);
	struct path p;
	if (r == 0)
		r = anon_inode_path("timerfd", &p);
	struct file *f = r == 0 ? file_new(&p, O_RDWR | (flags & O_NONBLOCK), &timerfd_fops) : NULL;
	if (r == 0)
		path_put(&p);
	if (!f) {
		pthread_mutex_destroy(&tf->lock);
		free(tf);
		return r < 0 ? r : -ENOMEM;
	}
	f->priv = tf;
	f->mode |= FMODE_STREAM;
	*out = f;
	return 0;
}
