/* File I/O syscalls: open/close, read/write and their vectored and positional kinds, lseek,
 * dup, fcntl, truncate, sync, sendfile, fadvise, fallocate. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

static long do_open(struct task *t, int dirfd, uint64_t upath, int flags, mode_t mode)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, false);
	if (r < 0)
		return r;
	struct file *f;
	r = vfs_open(t, dirfd, path, flags | KERNEL_O_LARGEFILE, mode, &f);
	if (r < 0)
		return r;
	r = fd_install(t->files, f, flags & O_CLOEXEC);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(open)
{
	return do_open(t, AT_FDCWD, a[0], (int)a[1], (mode_t)a[2]);
}

SYSCALL_DEFINE(openat)
{
	return do_open(t, (int)a[0], a[1], (int)a[2], (mode_t)a[3]);
}

SYSCALL_DEFINE(creat)
{
	return do_open(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1]);
}

SYSCALL_DEFINE(close)
{
	return fd_close(t->files, (int)a[0]);
}

SYSCALL_DEFINE(close_range)
{
	unsigned int first = (unsigned int)a[0], last = (unsigned int)a[1];
	unsigned int flags = (unsigned int)a[2];
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if ((flags & CLOSE_RANGE_UNSHARE) &&
	    __atomic_load_n(&t->files->refs, __ATOMIC_ACQUIRE) > 1) {
		struct fdtable *copy = fdtable_fork(t->files);
		if (!copy)
			return -ENOMEM;
		struct fdtable *old = t->files;
		t->files = copy;
		fdtable_put(old);
	}
	fd_close_range(t->files, first, last, flags & CLOSE_RANGE_CLOEXEC);
	return 0;
}

/* ---- read and write ---- */

/* read, write, pread64, pwrite64: at *pos, or the file's position when pos is NULL. */
static long rw_fd(struct task *t, int fd, uint64_t buf, uint64_t len, int64_t *pos, bool rd)
{
	struct file *f;
	long r;

	if (pos && *pos < 0)
		return -EINVAL;
	if (!(f = fdget(t, fd)))
		return -EBADF;
	r = rd ? file_read_guest(t, f, buf, len, pos) : file_write_guest(t, f, buf, len, pos);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(read)
{
	return rw_fd(t, (int)a[0], a[1], a[2], NULL, true);
}

SYSCALL_DEFINE(write)
{
	return rw_fd(t, (int)a[0], a[1], a[2], NULL, false);
}

SYSCALL_DEFINE(pread64)
{
	int64_t pos = (int64_t)a[3];

	return rw_fd(t, (int)a[0], a[1], a[2], &pos, true);
}

SYSCALL_DEFINE(pwrite64)
{
	int64_t pos = (int64_t)a[3];

	return rw_fd(t, (int)a[0], a[1], a[2], &pos, false);
}

/* readv, writev, preadv, pwritev, preadv2, pwritev2. pos -1: the file's position. */
static long do_rwv(struct task *t, const uint64_t a[6], int64_t pos, uint64_t flags, bool rd)
{
	if (flags)
		return -EOPNOTSUPP; /* RWF_HIPRI, RWF_DSYNC, RWF_NOWAIT ... */
	if (pos < -1)
		return -EINVAL;
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	const int64_t *pp = pos == -1 ? NULL : &pos;
	long r = rd ? file_readv_guest(t, f, a[1], (int)a[2], pp) :
		      file_writev_guest(t, f, a[1], (int)a[2], pp);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(readv)
{
	return do_rwv(t, a, -1, 0, true);
}

SYSCALL_DEFINE(writev)
{
	return do_rwv(t, a, -1, 0, false);
}

/* preadv's position comes as two halves; on 64-bit the low register holds it all. */
SYSCALL_DEFINE(preadv)
{
	int64_t pos = (int64_t)a[3];
	return pos < 0 ? -EINVAL : do_rwv(t, a, pos, 0, true);
}

SYSCALL_DEFINE(pwritev)
{
	int64_t pos = (int64_t)a[3];
	return pos < 0 ? -EINVAL : do_rwv(t, a, pos, 0, false);
}

SYSCALL_DEFINE(preadv2)
{
	return do_rwv(t, a, (int64_t)a[3], a[5], true);
}

SYSCALL_DEFINE(pwritev2)
{
	return do_rwv(t, a, (int64_t)a[3], a[5], false);
}

SYSCALL_DEFINE(lseek)
{
	int whence = (int)a[2];
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		return -EINVAL;
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = vfs_llseek(f, (int64_t)a[1], whence);
	file_put(f);
	return r;
}

/* ---- descriptors ---- */

SYSCALL_DEFINE(dup)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = fd_install(t->files, f, false);
	file_put(f);
	return r;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	struct file *f = fdget(t, oldfd);
	if (!f)
		return -EBADF;
	long r = fd_install_at(t->files, newfd, f, flags & O_CLOEXEC, fd_limit());
	file_put(f);
	return r;
}

SYSCALL_DEFINE(dup2)
{
	int oldfd = (int)a[0], newfd = (int)a[1];
	if (oldfd == newfd) {
		struct file *f = fdget(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

SYSCALL_DEFINE(dup3)
{
	int oldfd = (int)a[0], newfd = (int)a[1], flags = (int)a[2];
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return do_dup3(t, oldfd, newfd, flags);
}

/* The kernel's struct flock on 64-bit: type, whence, start, len, pid. */
struct guest_flock {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
	int32_t pad;
};

/* Record locks are advisory and sandbox-wide here, with one process per file in practice:
 * every lock is granted and F_GETLK reports none (see the table's note). */
static long do_lock(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	struct guest_flock fl;
	if (copy_in(t, &fl, arg, sizeof(fl)) < 0)
		return -EFAULT;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	if (fl.l_whence != SEEK_SET && fl.l_whence != SEEK_CUR && fl.l_whence != SEEK_END)
		return -EINVAL;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		fl.l_type = F_UNLCK;
		return copy_out(t, arg, &fl, sizeof(fl));
	}
	if ((cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) && fl.l_pid != 0)
		return -EINVAL;
	if (fl.l_type == F_RDLCK && !(f->mode & FMODE_READ))
		return -EBADF;
	if (fl.l_type == F_WRLCK && !(f->mode & FMODE_WRITE))
		return -EBADF;
	return 0;
}

SYSCALL_DEFINE(fcntl)
{
	int fd = (int)a[0], cmd = (int)a[1];
	uint64_t arg = a[2];
	struct file *f = fdget(t, fd);
	if (!f)
		return -EBADF;
	long r;
	bool path_only = f->mode & FMODE_PATH;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = fd_install_min(t->files, f, (int)MIN(arg, (uint64_t)INT_MAX),
				   cmd == F_DUPFD_CLOEXEC, fd_limit());
		break;
	case F_GETFD:
		r = fd_get_flags(t->files, fd);
		break;
	case F_SETFD:
		r = fd_set_flags(t->files, fd, (int)arg);
		break;
	case F_GETFL:
		r = path_only ? (long)(O_PATH | (file_flags(f) & O_ACCMODE)) : (long)file_flags(f);
		break;
	case F_SETFL:
		r = path_only ? -EBADF : file_setfl(f, (unsigned int)arg);
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = path_only ? -EBADF : do_lock(t, f, cmd, arg);
		break;
	case F_GETPIPE_SZ:
		r = file_is_pipe(f) ? pipe_get_size(f) : -EBADF;
		break;
	case F_SETPIPE_SZ:
		r = file_is_pipe(f) ? pipe_set_size(f, (unsigned int)arg) : -EBADF;
		break;
	default:
		/* F_SETOWN/F_SETSIG (no SIGIO), F_NOTIFY, leases, seals: not implemented. */
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

/* ---- size, sync, copy ---- */

SYSCALL_DEFINE(ftruncate)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = vfs_ftruncate(t, f, (int64_t)a[1]);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(truncate)
{
	char path[PATH_MAX];
	long r = path_in(t, path, a[0], false);
	if (r < 0)
		return r;
	struct path p;
	r = vfs_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	r = vfs_truncate(t, &p, (int64_t)a[1]);
	path_put(&p);
	return r;
}

static long do_fsync(struct task *t, int fd, bool datasync)
{
	struct file *f = fdget(t, fd);
	if (!f)
		return -EBADF;
	long r = vfs_fsync(f, datasync);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(fsync)
{
	return do_fsync(t, (int)a[0], false);
}

SYSCALL_DEFINE(fdatasync)
{
	return do_fsync(t, (int)a[0], true);
}

/* Copies up to count bytes from in to out through a sentry buffer. */
static long copy_between(struct file *in, struct file *out, int64_t *in_pos, size_t count)
{
	size_t bufsz = MIN(count, (size_t)(1 << 16));
	char *buf = malloc(bufsz ? bufsz : 1);
	if (!buf)
		return -ENOMEM;
	size_t done = 0;
	long r = 0;
	while (done < count) {
		size_t want = MIN(bufsz, count - done);
		struct iovec iov = { buf, want };
		ssize_t n = vfs_readv(in, &iov, 1, in_pos);
		if (n <= 0) {
			r = n;
			break;
		}
		if (in_pos)
			*in_pos += n;
		size_t w = 0;
		while (w < (size_t)n) {
			struct iovec wv = { buf + w, (size_t)n - w };
			ssize_t k = vfs_writev(out, &wv, 1, NULL);
			if (k <= 0) {
				r = k;
				break;
			}
			w += (size_t)k;
		}
		done += w;
		if (r < 0 || w < (size_t)n) {
			/* The bytes read but not written go back to the input's position. */
			if (in_pos)
				*in_pos -= (int64_t)((size_t)n - w);
			else if (!(in->mode & FMODE_STREAM))
				vfs_llseek(in, -(int64_t)((size_t)n - w), SEEK_CUR);
			break;
		}
		if ((size_t)n < want)
			break;
	}
	free(buf);
	return done ? (long)done : r;
}

SYSCALL_DEFINE(sendfile)
{
	int outfd = (int)a[0], infd = (int)a[1];
	uint64_t uoff = a[2];
	size_t count = MIN(a[3], (uint64_t)MAX_RW_COUNT);
	struct file *in = fdget(t, infd);
	if (!in)
		return -EBADF;
	struct file *out = fdget(t, outfd);
	if (!out) {
		file_put(in);
		return -EBADF;
	}
	long r;
	if (!(in->mode & FMODE_READ) || !(out->mode & FMODE_WRITE)) {
		r = -EBADF;
	} else if (file_flags(out) & O_APPEND) {
		r = -EINVAL;
	} else if (S_ISDIR(in->inode->mode)) {
		r = -EINVAL;
	} else if (uoff) {
		int64_t off;
		if (copy_in(t, &off, uoff, sizeof(off)) < 0) {
			r = -EFAULT;
		} else if (off < 0) {
			r = -EINVAL;
		} else if (in->mode & FMODE_STREAM) {
			r = -ESPIPE;
		} else {
			r = copy_between(in, out, &off, count);
			if (r >= 0 && copy_out(t, uoff, &off, sizeof(off)) < 0)
				r = -EFAULT;
		}
	} else {
		r = copy_between(in, out, NULL, count);
	}
	file_put(out);
	file_put(in);
	return r;
}

SYSCALL_DEFINE(fadvise64)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int advice = (int)a[3];
	long r = 0;
	if (S_ISFIFO(f->inode->mode))
		r = -ESPIPE;
	else if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE || (int64_t)a[2] < 0)
		r = -EINVAL;
	file_put(f);
	return r;
}

SYSCALL_DEFINE(fallocate)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = vfs_fallocate(f, (int)a[1], (int64_t)a[2], (int64_t)a[3]);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(readahead)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	/* Everything is in memory or the host's page cache already. */
	long r = (f->mode & FMODE_READ) && S_ISREG(f->inode->mode) ? 0 : -EINVAL;
	file_put(f);
	return r;
}

/* Like fcntl's record locks, flock locks are granted without being tracked. */
SYSCALL_DEFINE(flock)
{
	int op = (int)a[1];
	int kind = op & ~LOCK_NB;
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = 0;
	if (f->mode & FMODE_PATH)
		r = -EBADF;
	else if (op & 32 /* LOCK_MAND: ignored with success, as Linux does */)
		r = 0;
	else if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN)
		r = -EINVAL;
	file_put(f);
	return r;
}

/* Guest data lives in memory or was written through to host fds: nothing waits to go out. */
SYSCALL_DEFINE(sync)
{
	return 0;
}

SYSCALL_DEFINE(syncfs)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif

SYSCALL_DEFINE(memfd_create)
{
	unsigned int flags = (unsigned int)a[1];
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL; /* MFD_HUGETLB: no huge pages */
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	/* The name shows as "memfd:NAME": at most NAME_MAX - 6 bytes. */
	char name[NAME_MAX - 5];
	long r = copy_in_string(t, name, a[0], sizeof(name));
	if (r < 0)
		return r == -ENAMETOOLONG ? -EINVAL : r;
	struct file *f;
	r = tmpfs_memfd_new(name, KERNEL_O_LARGEFILE, &f);
	if (r < 0)
		return r;
	r = fd_install(t->files, f, flags & MFD_CLOEXEC);
	file_put(f);
	return r;
}
