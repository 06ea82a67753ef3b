/* Host files: the guest's view of fds the sentry inherited (runsc's stdin, stdout, stderr). */
#ifndef CVISOR_FS_HOST_H
#define CVISOR_FS_HOST_H

struct file;
struct waitqueue;

/*
 * A file over host_fd (ownership passes to the file: closed with it). Reads and writes go to
 * the host fd; a read that would block sleeps on a wait queue (signals interrupt it) that a
 * notifier thread wakes when the host fd becomes ready. Terminal ioctls go to the host tty,
 * except the foreground process group, which is kept in the sandbox (guest PIDs mean nothing
 * to the host). The sentry must ignore SIGPIPE so a closed host pipe gives EPIPE, not death.
 */
int hostfile_new(int host_fd, struct file **out);

/* /dev/tty: binds f to the first host terminal seen, or -ENXIO when there is none. */
int hostfile_open_console(struct file *f);

/* The notifier: wakes wq whenever host_fd becomes readable or writable (edge-triggered).
 * Returns an id for host_notify_remove, or -errno (-EPERM for regular files, always ready). */
int host_notify_add(int host_fd, struct waitqueue *wq);
void host_notify_remove(int id, int host_fd);

#endif
