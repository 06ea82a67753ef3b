/* Anonymous files, which no directory lists: eventfd and epoll. */
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

#endif
