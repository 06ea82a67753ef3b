/*
 * signalfd: reads take the reading task's pending signals of a mask, as signalfd_siginfo
 * records; it is readable when one of them is pending for the task that polls it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

_Static_assert(sizeof(struct signalfd_siginfo) == SIGNALFD_SIGINFO_SIZE,
	       "signalfd_siginfo is 128 bytes");

/* si_code values that say how the rest of a siginfo reads (Linux's siginfo_layout). */
#define SI_CODE_KERNEL 0x80
#define BUS_MCEERR_AR_CODE 4
#define BUS_MCEERR_AO_CODE 5
#define NSIGPOLL_CODES 6

struct signalfd {
	gsigset_t mask; /* atomic: signalfd4 on the fd replaces it while others read */
};

static const struct file_ops signalfd_fops;

bool file_is_signalfd(struct file *f)
{
	return f->ops == &signalfd_fops;
}

static gsigset_t sfd_mask(struct file *f)
{
	struct signalfd *s = f->priv;

	return __atomic_load_n(&s->mask, __ATOMIC_ACQUIRE);
}

/*
 * t's pending set, read without kernel_lock as struct task_signals allows t itself to (the
 * reader is always current()): poll runs under epoll's lock, which comes after kernel_lock.
 */
static gsigset_t own_pending(struct task *t)
{
	return task_pending_lockless(t);
}

struct sfd_wait {
	struct task *t;
	struct file *f;
};

static bool sfd_readable(void *arg)
{
	struct sfd_wait *w = arg;

	return (own_pending(w->t) & sfd_mask(w->f)) != 0;
}

static int64_t field_i32(const struct guest_siginfo *si, size_t off)
{
	int32_t v;

	memcpy(&v, si->raw + off, sizeof(v));
	return v;
}

static uint64_t field_u64(const struct guest_siginfo *si, size_t off)
{
	uint64_t v;

	memcpy(&v, si->raw + off, sizeof(v));
	return v;
}

/* The record for one dequeued signal: the fields its si_code says are meaningful, as Linux's
 * signalfd_copyinfo (offsets are within the siginfo union). */
static void fill_siginfo(struct signalfd_siginfo *ssi, const struct guest_siginfo *si)
{
	int sig = si->signo, code = si->code;

	memset(ssi, 0, sizeof(*ssi));
	ssi->ssi_signo = (uint32_t)sig;
	ssi->ssi_errno = si->errno_;
	ssi->ssi_code = code;
	if (code > 0 && code < SI_CODE_KERNEL) {
		switch (sig) {
		case SIGILL:
		case SIGFPE:
		case SIGSEGV:
		case SIGBUS:
		case SIGTRAP:
			ssi->ssi_addr = field_u64(si, 0);
			if (sig == SIGBUS &&
			    (code == BUS_MCEERR_AR_CODE || code == BUS_MCEERR_AO_CODE))
				ssi->ssi_addr_lsb = (uint16_t)field_i32(si, 8);
			return;
		case SIGCHLD:
			ssi->ssi_pid = (uint32_t)field_i32(si, 0);
			ssi->ssi_uid = (uint32_t)field_i32(si, 4);
			ssi->ssi_status = (int32_t)field_i32(si, 8);
			ssi->ssi_utime = field_u64(si, 16);
			ssi->ssi_stime = field_u64(si, 24);
			return;
		case SIGSYS:
			ssi->ssi_call_addr = field_u64(si, 0);
			ssi->ssi_syscall = (int32_t)field_i32(si, 8);
			ssi->ssi_arch = (uint32_t)field_i32(si, 12);
			return;
		}
		if (code <= NSIGPOLL_CODES) {
			ssi->ssi_band = (uint32_t)field_u64(si, 0);
			ssi->ssi_fd = (int32_t)field_i32(si, 8);
		} else {
			ssi->ssi_pid = (uint32_t)field_i32(si, 0);
			ssi->ssi_uid = (uint32_t)field_i32(si, 4);
		}
		return;
	}
	if (code == SI_TIMER) {
		ssi->ssi_tid = (uint32_t)field_i32(si, 0);
		ssi->ssi_overrun = (uint32_t)field_i32(si, 4);
		ssi->ssi_ptr = field_u64(si, 8);
		ssi->ssi_int = (int32_t)field_i32(si, 8);
	} else if (code == SI_SIGIO) {
		ssi->ssi_band = (uint32_t)field_u64(si, 0);
		ssi->ssi_fd = (int32_t)field_i32(si, 8);
	} else {
		/* SI_USER, SI_KERNEL, SI_TKILL; SI_QUEUE and other negative codes add the value. */
		ssi->ssi_pid = (uint32_t)field_i32(si, 0);
		ssi->ssi_uid = (uint32_t)field_i32(si, 4);
		if (code < 0) {
			ssi->ssi_ptr = field_u64(si, 8);
			ssi->ssi_int = (int32_t)field_i32(si, 8);
		}
	}
}

/* As many records as fit; only the first may wait. */
static ssize_t sfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct task *t = current();
	struct iov_iter it;
	ssize_t done = 0;

	iov_iter_init(&it, iov, iovcnt);
	if (it.count < SIGNALFD_SIGINFO_SIZE)
		return -EINVAL;
	while (it.count >= SIGNALFD_SIGINFO_SIZE) {
		struct guest_siginfo info;
		struct signalfd_siginfo ssi;

		if (!task_dequeue_signal(t, sfd_mask(f), &info)) {
			if (done)
				break;
			if (file_flags(f) & O_NONBLOCK)
				return -EAGAIN;
			struct sfd_wait w = { t, f };
			int r = task_wait_event(t, signal_queued_waitqueue(), sfd_readable, &w,
						NULL);
			if (r < 0)
				return r;
			continue;
		}
		fill_siginfo(&ssi, &info);
		copy_to_iter(&ssi, sizeof(ssi), &it);
		done += sizeof(ssi);
	}
	return done;
}

static unsigned int sfd_poll(struct file *f, struct waitqueue **wq)
{
	struct task *t = current();

	*wq = signal_queued_waitqueue();
	if (!t)
		return 0;
	return own_pending(t) & sfd_mask(f) ? POLLIN | POLLRDNORM : 0;
}

static void sfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops signalfd_fops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.release = sfd_release,
};

void signalfd_set_mask(struct file *f, uint64_t mask)
{
	struct signalfd *s = f->priv;

	__atomic_store_n(&s->mask, mask, __ATOMIC_RELEASE);
	/* Readers and pollers look again with the new mask. */
	waitqueue_wake_all(signal_queued_waitqueue());
}

int signalfd_create_file(uint64_t mask, int flags, struct file **out)
{
	struct signalfd *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->mask = mask;
	struct path p;
	int r = anon_inode_path("signalfd", &p);
	struct file *f =
		r == 0 ? file_new(&p, O_RDWR | (flags & O_NONBLOCK), &signalfd_fops) : NULL;
	if (r == 0)
		path_put(&p);
	if (!f) {
		free(s);
		return r < 0 ? r : -ENOMEM;
	}
	f->priv = s;
	f->mode |= FMODE_STREAM;
	*out = f;
	return 0;
}
