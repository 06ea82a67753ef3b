/* Pipes and FIFOs: a byte ring buffer shared by reader and writer files. */
#ifndef CVISOR_FS_PIPE_H
#define CVISOR_FS_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "sentry/vfs/iov.h"

struct file;
struct pipe;

#define PIPE_DEFAULT_SIZE 65536
#define PIPE_MAX_SIZE (1 << 20) /* /proc/sys/fs/pipe-max-size */
#define GUEST_PIPE_BUF 4096	/* writes up to this size are atomic */

/* The ring buffer alone (pure: no locks, no sleeping), for the pipe and its unit tests. */
struct pipe_buf {
	char *data;
	size_t cap;  /* bytes allocated */
	size_t head; /* index of the oldest byte */
	size_t len;  /* bytes stored */
};

int pipe_buf_init(struct pipe_buf *b, size_t cap);
void pipe_buf_destroy(struct pipe_buf *b);
/* Appends up to n bytes from it (bounded by free space); returns the count. */
size_t pipe_buf_push(struct pipe_buf *b, struct iov_iter *it, size_t n);
/* Removes up to n bytes into it; returns the count. */
size_t pipe_buf_pop(struct pipe_buf *b, struct iov_iter *it, size_t n);
/* Changes the capacity keeping the contents; -EBUSY when they do not fit. */
int pipe_buf_resize(struct pipe_buf *b, size_t cap);

/* pipe2(): a new pipe's read and write ends; flags O_NONBLOCK, O_DIRECT (accepted, the pipe
 * stays a byte stream). */
int pipe_create(int flags, struct file **rd, struct file **wr);
/* Opens a FIFO inode (from vfs_open), with FIFO open blocking rules. */
int fifo_open(struct file *f);
/* Frees the pipe of an inode (inode_put). */
void pipe_put(struct pipe *p);
bool file_is_pipe(struct file *f);
/* F_GETPIPE_SZ / F_SETPIPE_SZ. */
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, unsigned long size);

#endif
