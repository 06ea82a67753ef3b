/* File descriptor tables: the numbers a process uses for its open files. */
#ifndef CVISOR_VFS_FDTABLE_H
#define CVISOR_VFS_FDTABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct file;

/* Shared by CLONE_FILES threads (refcounted), copied on fork. */
struct fdtable {
	int refs;	      /* atomic */
	pthread_mutex_t lock; /* guards everything below; taken before a file's pos_lock */
	struct file **fds;    /* a reference per slot, NULL when free */
	uint8_t *cloexec;     /* per slot: FD_CLOEXEC */
	int size;	      /* slots allocated */
	int lowest_free;      /* no free slot below it */
};

/* Linux's ceiling for RLIMIT_NOFILE (fs.nr_open). */
#define FD_NR_OPEN (1 << 20)

struct fdtable *fdtable_new(void);
struct fdtable *fdtable_fork(struct fdtable *fdt);
void fdtable_get(struct fdtable *fdt);
/* The last put closes every file. */
void fdtable_put(struct fdtable *fdt);
/* execve: closes every FD_CLOEXEC descriptor. */
void fdtable_close_on_exec(struct fdtable *fdt);

/* The calling task's RLIMIT_NOFILE (1024 when there is no task). */
unsigned long fd_limit(void);

/* Installs f at the lowest free fd (takes its own reference). The fd or -EMFILE. */
int fd_install(struct fdtable *fdt, struct file *f, bool cloexec);
/* The same at the lowest free fd >= minfd below limit (F_DUPFD). -EINVAL if minfd >= limit. */
int fd_install_min(struct fdtable *fdt, struct file *f, int minfd, bool cloexec,
		   unsigned long limit);
/* dup2/dup3: puts f at fd, closing what was there. -EBADF if fd >= limit. */
int fd_install_at(struct fdtable *fdt, int fd, struct file *f, bool cloexec, unsigned long limit);
/* A reference to the file at fd, or NULL. */
struct file *fd_get(struct fdtable *fdt, int fd);
/* FD_CLOEXEC or 0; -EBADF. */
int fd_get_flags(struct fdtable *fdt, int fd);
int fd_set_flags(struct fdtable *fdt, int fd, int flags);
int fd_close(struct fdtable *fdt, int fd);
/* close_range: closes (or, with cloexec, marks) the open fds in [first, last]. */
void fd_close_range(struct fdtable *fdt, unsigned int first, unsigned int last, bool cloexec);
/* The first open fd >= from, or -1: for /proc/PID/fd and select's bound. */
int fdtable_next_fd(struct fdtable *fdt, int from);

#endif
