/* What the file syscall families (sys_file.c, sys_stat.c, sys_dir.c ...) share. */
#ifndef CVISOR_SYSCALLS_FS_UTIL_H
#define CVISOR_SYSCALLS_FS_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct file;
struct kstat;

/* Linux caps one read or write at this many bytes (MAX_RW_COUNT). */
#define MAX_RW_COUNT 0x7ffff000L
/* The kernel's O_LARGEFILE, which 64-bit Linux sets on every open and F_GETFL shows
 * (glibc defines O_LARGEFILE as 0 on 64-bit). */
#define KERNEL_O_LARGEFILE 0100000

/* The file at fd with a reference, or NULL. */
struct file *fdget(struct task *t, int fd);

/*
 * Reads into (writes from) guest memory at addr, through sentry pointers straight into it.
 * pos NULL: the file's position. A bad buffer gives -EFAULT, or the count done before it.
 */
long file_read_guest(struct task *t, struct file *f, uint64_t addr, size_t len, const int64_t *pos);
long file_write_guest(struct task *t, struct file *f, uint64_t addr, size_t len,
		      const int64_t *pos);
/* readv/writev family over a guest iovec array. */
long file_readv_guest(struct task *t, struct file *f, uint64_t iov, int iovcnt, const int64_t *pos);
long file_writev_guest(struct task *t, struct file *f, uint64_t iov, int iovcnt,
		       const int64_t *pos);

/* Copies a guest path in; allow_empty: "" is returned as is (for AT_EMPTY_PATH). */
long path_in(struct task *t, char *buf /* PATH_MAX */, uint64_t addr, bool allow_empty);

/* Writes the architecture's struct stat for st (syscalls/<arch>_stat.c). */
int stat_copy_out(struct task *t, uint64_t addr, const struct kstat *st);

/* The architecture's struct epoll_event (syscalls/<arch>_epoll.c). */
struct epoll_result;
int epoll_event_copy_in(struct task *t, uint64_t addr, uint32_t *events, uint64_t *data);
int epoll_events_copy_out(struct task *t, uint64_t addr, const struct epoll_result *r, int n);

/* dev_t from the guest's 32-bit encoding (Linux's new_decode_dev). */
dev_t guest_decode_dev(uint32_t dev);

#endif
