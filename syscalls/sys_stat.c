/* File attributes: the stat family, statfs, access, readlink, umask, chmod, chown, utimes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <utime.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

#define AT_STATX_FLAGS 0x6000 /* AT_STATX_SYNC_TYPE */

static long do_stat(struct task *t, int dirfd, uint64_t upath, uint64_t buf, int flags)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, flags & AT_EMPTY_PATH);
	if (r < 0)
		return r;
	struct kstat st;
	r = vfs_stat(t, dirfd, path, flags, &st);
	return r < 0 ? r : stat_copy_out(t, buf, &st);
}

SYSCALL_DEFINE(stat)
{
	return do_stat(t, AT_FDCWD, a[0], a[1], 0);
}

SYSCALL_DEFINE(lstat)
{
	return do_stat(t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE(newfstatat)
{
	return do_stat(t, (int)a[0], a[1], a[2], (int)a[3]);
}

SYSCALL_DEFINE(fstat)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	struct kstat st;
	long r = file_stat(f, &st);
	file_put(f);
	return r < 0 ? r : stat_copy_out(t, a[1], &st);
}

SYSCALL_DEFINE(statx)
{
	int dirfd = (int)a[0], flags = (int)a[2];
	unsigned int mask = (unsigned int)a[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_FLAGS))
		return -EINVAL;
	if ((flags & AT_STATX_FLAGS) == AT_STATX_FLAGS)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	char path[PATH_MAX] = "";
	long r = 0;
	/* A NULL path with AT_EMPTY_PATH names dirfd, as Linux 6.11 allows. */
	if (a[1] || !(flags & AT_EMPTY_PATH))
		r = path_in(t, path, a[1], flags & AT_EMPTY_PATH);
	if (r < 0)
		return r;
	struct kstat st;
	r = vfs_stat(t, dirfd, path, flags & ~AT_STATX_FLAGS, &st);
	if (r < 0)
		return r;
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	/* No birth time: the filesystems do not keep one. */
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = st.blksize;
	sx.stx_nlink = (uint32_t)st.nlink;
	sx.stx_uid = st.uid;
	sx.stx_gid = st.gid;
	sx.stx_mode = (uint16_t)st.mode;
	sx.stx_ino = st.ino;
	sx.stx_size = (uint64_t)st.size;
	sx.stx_blocks = (uint64_t)st.blocks;
	sx.stx_atime = (struct statx_timestamp){ st.atime.tv_sec, (uint32_t)st.atime.tv_nsec, 0 };
	sx.stx_ctime = (struct statx_timestamp){ st.ctime.tv_sec, (uint32_t)st.ctime.tv_nsec, 0 };
	sx.stx_mtime = (struct statx_timestamp){ st.mtime.tv_sec, (uint32_t)st.mtime.tv_nsec, 0 };
	sx.stx_rdev_major = major(st.rdev);
	sx.stx_rdev_minor = minor(st.rdev);
	sx.stx_dev_major = major(st.dev);
	sx.stx_dev_minor = minor(st.dev);
	return copy_out(t, a[4], &sx, sizeof(sx));
}

static long statfs_out(struct task *t, const struct path *p, uint64_t buf)
{
	struct statfs st;
	long r = vfs_statfs(t, p, &st);
	/* struct statfs is the same for the kernel and glibc on 64-bit architectures. */
	return r < 0 ? r : copy_out(t, buf, &st, sizeof(st));
}

SYSCALL_DEFINE(statfs)
{
	char path[PATH_MAX];
	long r = path_in(t, path, a[0], false);
	if (r < 0)
		return r;
	struct path p;
	r = vfs_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	r = statfs_out(t, &p, a[1]);
	path_put(&p);
	return r;
}

SYSCALL_DEFINE(fstatfs)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = statfs_out(t, &f->path, a[1]);
	file_put(f);
	return r;
}

static long do_access(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, flags & AT_EMPTY_PATH);
	if (r < 0)
		return r;
	return vfs_access(t, dirfd, path, mode, flags);
}

SYSCALL_DEFINE(access)
{
	return do_access(t, AT_FDCWD, a[0], (int)a[1], 0);
}

SYSCALL_DEFINE(faccessat)
{
	return do_access(t, (int)a[0], a[1], (int)a[2], 0);
}

SYSCALL_DEFINE(faccessat2)
{
	return do_access(t, (int)a[0], a[1], (int)a[2], (int)a[3]);
}

static long do_readlink(struct task *t, int dirfd, uint64_t upath, uint64_t buf, int64_t size)
{
	if (size <= 0)
		return -EINVAL;
	char path[PATH_MAX];
	/* readlinkat(fd, "") reads the symlink fd was opened on (O_PATH|O_NOFOLLOW). */
	long r = path_in(t, path, upath, dirfd != AT_FDCWD);
	if (r < 0)
		return r;
	size_t len = (size_t)MIN(size, (int64_t)PATH_MAX);
	char *target = malloc(len);
	if (!target)
		return -ENOMEM;
	r = vfs_readlink(t, dirfd, path, target, len);
	if (r > 0 && copy_out(t, buf, target, (size_t)r) < 0)
		r = -EFAULT;
	free(target);
	return r;
}

SYSCALL_DEFINE(readlink)
{
	return do_readlink(t, AT_FDCWD, a[0], a[1], (int64_t)(int)a[2]);
}

SYSCALL_DEFINE(readlinkat)
{
	return do_readlink(t, (int)a[0], a[1], a[2], (int64_t)(int)a[3]);
}

SYSCALL_DEFINE(umask)
{
	struct fs_context *fs = t->fs;
	return __atomic_exchange_n(&fs->umask, (mode_t)a[0] & 0777, __ATOMIC_RELAXED);
}

/* Resolves (dirfd, path) for the attribute-changing calls. */
static long lookup_at(struct task *t, int dirfd, uint64_t upath, unsigned int lf, struct path *p)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, lf & LOOKUP_EMPTY);
	if (r < 0)
		return r;
	return vfs_lookup(t, dirfd, path, lf, p);
}

/* The file behind fd for f-calls: O_PATH files do not count. */
static struct file *fdget_io(struct task *t, int fd)
{
	struct file *f = fdget(t, fd);
	if (f && (f->mode & FMODE_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

static long chmod_at(struct task *t, int dirfd, uint64_t upath, mode_t mode, unsigned int lf)
{
	struct path p;
	long r = lookup_at(t, dirfd, upath, lf, &p);
	if (r < 0)
		return r;
	r = vfs_chmod(t, &p, mode);
	path_put(&p);
	return r;
}

SYSCALL_DEFINE(chmod)
{
	return chmod_at(t, AT_FDCWD, a[0], (mode_t)a[1], LOOKUP_FOLLOW);
}

SYSCALL_DEFINE(fchmodat)
{
	return chmod_at(t, (int)a[0], a[1], (mode_t)a[2], LOOKUP_FOLLOW);
}

SYSCALL_DEFINE(fchmod)
{
	struct file *f = fdget_io(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = vfs_chmod(t, &f->path, (mode_t)a[1]);
	file_put(f);
	return r;
}

static long chown_at(struct task *t, int dirfd, uint64_t upath, uint64_t uid, uint64_t gid,
		     int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	unsigned int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	long r = lookup_at(t, dirfd, upath, lf, &p);
	if (r < 0)
		return r;
	r = vfs_chown(t, &p, (uid_t)uid, (gid_t)gid);
	path_put(&p);
	return r;
}

SYSCALL_DEFINE(chown)
{
	return chown_at(t, AT_FDCWD, a[0], a[1], a[2], 0);
}

SYSCALL_DEFINE(lchown)
{
	return chown_at(t, AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE(fchownat)
{
	return chown_at(t, (int)a[0], a[1], a[2], a[3], (int)a[4]);
}

SYSCALL_DEFINE(fchown)
{
	struct file *f = fdget_io(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = vfs_chown(t, &f->path, (uid_t)a[1], (gid_t)a[2]);
	file_put(f);
	return r;
}

static bool valid_nsec(long ns)
{
	return (ns >= 0 && ns < 1000000000L) || ns == UTIME_NOW || ns == UTIME_OMIT;
}

/* times NULL: both now. path NULL: dirfd itself (futimens). */
static long do_utimes(struct task *t, int dirfd, uint64_t upath, const struct timespec *times,
		      int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (times && (!valid_nsec(times[0].tv_nsec) || !valid_nsec(times[1].tv_nsec)))
		return -EINVAL;
	struct path p;
	long r;
	if (!upath) {
		if (flags & AT_SYMLINK_NOFOLLOW)
			return -EINVAL;
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		struct file *f = fdget(t, dirfd);
		if (!f)
			return -EBADF;
		p = f->path;
		path_get(&p);
		file_put(f);
	} else {
		unsigned int lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (flags & AT_EMPTY_PATH)
			lf |= LOOKUP_EMPTY;
		r = lookup_at(t, dirfd, upath, lf, &p);
		if (r < 0)
			return r;
	}
	r = vfs_utimes(t, &p, times);
	path_put(&p);
	return r;
}

SYSCALL_DEFINE(utimensat)
{
	struct timespec ts[2];
	if (a[2] && copy_in(t, ts, a[2], sizeof(ts)) < 0)
		return -EFAULT;
	return do_utimes(t, (int)a[0], a[1], a[2] ? ts : NULL, (int)a[3]);
}

static long utimes_tv(struct task *t, int dirfd, uint64_t upath, uint64_t utv)
{
	if (!utv)
		return do_utimes(t, dirfd, upath, NULL, 0);
	struct timeval tv[2];
	if (copy_in(t, tv, utv, sizeof(tv)) < 0)
		return -EFAULT;
	struct timespec ts[2];
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return do_utimes(t, dirfd, upath, ts, 0);
}

SYSCALL_DEFINE(utimes)
{
	return utimes_tv(t, AT_FDCWD, a[0], a[1]);
}

SYSCALL_DEFINE(futimesat)
{
	return utimes_tv(t, (int)a[0], a[1], a[2]);
}

SYSCALL_DEFINE(utime)
{
	if (!a[1])
		return do_utimes(t, AT_FDCWD, a[0], NULL, 0);
	struct utimbuf ub;
	if (copy_in(t, &ub, a[1], sizeof(ub)) < 0)
		return -EFAULT;
	struct timespec ts[2] = { { ub.actime, 0 }, { ub.modtime, 0 } };
	return do_utimes(t, AT_FDCWD, a[0], ts, 0);
}
