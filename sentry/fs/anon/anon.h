/* Anonymous files, which no directory lists: eventfd, epoll, timerfd and signalfd. */
#ifndef CVISOR_FS_ANON_H
#define CVISOR_FS_ANON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct file;
struct task;
struct path;

/* A path for an anonymous file named "anon_inode:[kind]", as /proc/PID/fd shows it (one
 * shared inode of mode 0600, as Linux's anon_inodefs). */
int anon_inode_path(const char *kind, struct path *out);

/* eventfd2: initval, flags EFD_CLOEXEC (the caller's), EFD_NONBLOCK, EFD_SEMAPHORE. */
int eventfd_create(uint64_t initval, int flags, struct file **out);

/* ---- epoll ---- */

/* One ready event, for epoll_wait's caller to copy out in the architecture's layout. */
struct epoll_result {
	uint32_t events;
	uint64_t data;
};

int epoll_create_file(int flags, struct file **out);
bool file_is_epoll(struct file *f);
/* EPOLL_CTL_ADD/MOD/DEL of target (the file at fd) in ep. */
int epoll_ctl_file(struct file *ep, int op, int fd, struct file *target, uint32_t events,
		   uint64_t data);
/* Waits for ready items (deadline: absolute CLOCK_MONOTONIC, NULL: none; zero: do not
 * wait). Returns how many results were filled, or -ERESTARTNOHAND on a signal. */
int epoll_wait_file(struct task *t, struct file *ep, struct epoll_result *out, int max,
		    const struct timespec *deadline, bool zero);
/* Called when a file is released: drops the epoll items that watch it. */
void eventpoll_release_file(struct file *f);
/* Called after a read or write of a watched file: its EPOLLET items may fire again (the
 * reader drained it, or the writer filled it, so what comes next is a new edge). */
void eventpoll_rearm_file(struct file *f);

/* ---- timerfd ---- */

/* timerfd_create: clock CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME (the caller checks);
 * flags O_NONBLOCK (TFD_NONBLOCK). */
int timerfd_create_file(int clock, int flags, struct file **out);
bool file_is_timerfd(struct file *f);
/*
 * Values in ns. abs: value is a time on the timer's clock, else relative to now; value 0
 * disarms. old_* (may be NULL) get what timerfd_gettime would have said before.
 */
void timerfd_settime_file(struct file *f, bool abs, uint64_t value, uint64_t interval,
			  uint64_t *old_value, uint64_t *old_interval);
/* The time to the next expiration (0: disarmed) and the interval, in ns. */
void timerfd_gettime_file(struct file *f, uint64_t *value, uint64_t *interval);

/* ---- signalfd ---- */

/* The signalfd_siginfo a read returns, per signal (Linux's ABI, every architecture). */
#define SIGNALFD_SIGINFO_SIZE 128

/* signalfd4 with fd -1: mask is a guest signal set (SIGKILL and SIGSTOP already removed);
 * flags O_NONBLOCK (SFD_NONBLOCK). */
int signalfd_create_file(uint64_t mask, int flags, struct file **out);
bool file_is_signalfd(struct file *f);
/* signalfd4 on an existing signalfd: replaces its mask. */
void signalfd_set_mask(struct file *f, uint64_t mask);

#endif
