/* Helpers of the file syscalls: guest buffers to sentry iovecs, paths, device numbers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"

/* Sentry iovecs per round: one per VMA the buffer crosses, so a few are plenty. */
#define IOV_CHUNK 64

struct file *fdget(struct task *t, int fd)
{
	return t->files ? fd_get(t->files, fd) : NULL;
}

static long rw_guest(struct task *t, struct file *f, uint64_t addr, size_t len, const int64_t *pos,
		     bool is_read)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (len == 0) {
		/* Still checks the file (EBADF, EISDIR ...), as Linux does for a 0-byte read. */
		struct iovec iov = { NULL, 0 };
		return is_read ? vfs_readv(f, &iov, 1, pos) : vfs_writev(f, &iov, 1, pos);
	}
	struct iovec iov[IOV_CHUNK];
	size_t done = 0;
	bool more = S_ISREG(f->inode->mode) || S_ISBLK(f->inode->mode);
	while (done < len) {
		size_t mapped;
		int n = usercopy_iovecs(t, addr + done, len - done, is_read, iov, IOV_CHUNK,
					&mapped);
		if (n <= 0)
			return done ? (long)done : -EFAULT;
		int64_t p = pos ? *pos + (int64_t)done : 0;
		ssize_t r = is_read ? vfs_readv(f, iov, n, pos ? &p : NULL) :
				      vfs_writev(f, iov, n, pos ? &p : NULL);
		if (r < 0)
			return done ? (long)done : r;
		done += (size_t)r;
		/* A short transfer ends the call; a stream gives what it has now, not more. */
		if ((size_t)r < mapped || !more)
			break;
	}
	return (long)done;
}

long file_read_guest(struct task *t, struct file *f, uint64_t addr, size_t len, const int64_t *pos)
{
	return rw_guest(t, f, addr, len, pos, true);
}

long file_write_guest(struct task *t, struct file *f, uint64_t addr, size_t len, const int64_t *pos)
{
	return rw_guest(t, f, addr, len, pos, false);
}

static long rwv_guest(struct task *t, struct file *f, uint64_t giov, int iovcnt, const int64_t *pos,
		      bool is_read)
{
	struct iovec *iov;
	size_t total;
	int n = usercopy_guest_iovecs(t, giov, iovcnt, is_read, &iov, &total);
	if (n < 0)
		return n;
	struct iovec empty = { NULL, 0 };
	ssize_t r = is_read ? vfs_readv(f, n ? iov : &empty, n ? n : 1, pos) :
			      vfs_writev(f, n ? iov : &empty, n ? n : 1, pos);
	free(iov);
	return r;
}

long file_readv_guest(struct task *t, struct file *f, uint64_t iov, int iovcnt, const int64_t *pos)
{
	return rwv_guest(t, f, iov, iovcnt, pos, true);
}

long file_writev_guest(struct task *t, struct file *f, uint64_t iov, int iovcnt, const int64_t *pos)
{
	return rwv_guest(t, f, iov, iovcnt, pos, false);
}

long path_in(struct task *t, char *buf, uint64_t addr, bool allow_empty)
{
	if (!allow_empty)
		return copy_in_path(t, buf, addr);
	return copy_in_string(t, buf, addr, PATH_MAX);
}

dev_t guest_decode_dev(uint32_t dev)
{
	unsigned int maj = (dev & 0xfff00) >> 8;
	unsigned int min = (dev & 0xff) | ((dev >> 12) & 0xfff00);
	return makedev(maj, min);
}
