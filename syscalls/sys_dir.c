/* Directories and names: getdents, getcwd, chdir, chroot, mkdir, rmdir, unlink, rename,
 * symlink, link, mknod. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"
#include "syscalls/syscalls.h"

/* The most a getdents call fills in one go (the guest may ask for more); kept under glibc's
 * mmap threshold, whose free would make a thread arena shrink and glibc open /proc. */
#define GETDENTS_MAX (64 * 1024)

struct getdents_ctx {
	struct dir_context ctx;
	char *buf;
	size_t size, used;
	size_t prev;   /* offset of the previous record, or SIZE_MAX */
	bool legacy;   /* struct linux_dirent (getdents), not linux_dirent64 */
	bool overflow; /* the first record did not fit */
};

/* linux_dirent64: ino, off, reclen, type, name. */
struct dirent64_head {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

/* linux_dirent: ino, off, reclen, name, then a padding byte and the type at the end. */
struct dirent_head {
	unsigned long d_ino;
	unsigned long d_off;
	uint16_t d_reclen;
} __attribute__((packed));

static void set_prev_off(struct getdents_ctx *g, int64_t off)
{
	if (g->prev == SIZE_MAX)
		return;
	if (g->legacy)
		memcpy(g->buf + g->prev + offsetof(struct dirent_head, d_off), &off, sizeof(off));
	else
		memcpy(g->buf + g->prev + offsetof(struct dirent64_head, d_off), &off, sizeof(off));
}

static bool getdents_actor(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			   unsigned int type)
{
	struct getdents_ctx *g = (struct getdents_ctx *)ctx;
	size_t head = g->legacy ? sizeof(struct dirent_head) : sizeof(struct dirent64_head);
	size_t reclen =
		g->legacy ? ROUND_UP(head + len + 2, sizeof(long)) : ROUND_UP(head + len + 1, 8);
	if (g->used + reclen > g->size) {
		if (g->used == 0)
			g->overflow = true;
		return false;
	}
	/* The previous entry continues at this one. */
	set_prev_off(g, ctx->pos);
	char *rec = g->buf + g->used;
	memset(rec, 0, reclen);
	if (g->legacy) {
		struct dirent_head h = { ino, 0, (uint16_t)reclen };
		memcpy(rec, &h, sizeof(h));
		memcpy(rec + head, name, len);
		rec[reclen - 1] = (char)type;
	} else {
		struct dirent64_head h = { ino, 0, (uint16_t)reclen, (uint8_t)type };
		memcpy(rec, &h, sizeof(h));
		memcpy(rec + head, name, len);
	}
	g->prev = g->used;
	g->used += reclen;
	return true;
}

static long do_getdents(struct task *t, int fd, uint64_t dirp, uint64_t count, bool legacy)
{
	struct file *f = fdget(t, fd);
	if (!f)
		return -EBADF;
	long r;
	size_t size = (size_t)MIN(count, (uint64_t)GETDENTS_MAX);
	struct getdents_ctx g = {
		.ctx.actor = getdents_actor, .size = size, .prev = SIZE_MAX, .legacy = legacy
	};
	g.buf = malloc(size ? size : 1);
	if (!g.buf) {
		file_put(f);
		return -ENOMEM;
	}
	r = vfs_iterate(f, &g.ctx);
	if (r == 0) {
		set_prev_off(&g, g.ctx.pos);
		if (g.overflow)
			r = -EINVAL;
		else if (g.used && copy_out(t, dirp, g.buf, g.used) < 0)
			r = -EFAULT;
		else
			r = (long)g.used;
	}
	free(g.buf);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(getdents64)
{
	return do_getdents(t, (int)a[0], a[1], (unsigned int)a[2], false);
}

SYSCALL_DEFINE(getdents)
{
	return do_getdents(t, (int)a[0], a[1], (unsigned int)a[2], true);
}

SYSCALL_DEFINE(getcwd)
{
	char *buf = malloc(PATH_MAX);
	if (!buf)
		return -ENOMEM;
	long r = fs_context_cwd_path(t->fs, buf, PATH_MAX);
	if (r >= 0) {
		if ((uint64_t)r + 1 > a[1])
			r = -ERANGE;
		else if (copy_out(t, a[0], buf, (size_t)r + 1) < 0)
			r = -EFAULT;
		else
			r = r + 1;
	}
	free(buf);
	return r;
}

static long dir_path(struct task *t, uint64_t upath, struct path *p)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, false);
	if (r < 0)
		return r;
	return vfs_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, p);
}

SYSCALL_DEFINE(chdir)
{
	struct path p;
	long r = dir_path(t, a[0], &p);
	if (r < 0)
		return r;
	r = vfs_chdir(t, &p);
	path_put(&p);
	return r;
}

SYSCALL_DEFINE(fchdir)
{
	struct file *f = fdget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = vfs_chdir(t, &f->path);
	file_put(f);
	return r;
}

SYSCALL_DEFINE(chroot)
{
	struct path p;
	long r = dir_path(t, a[0], &p);
	if (r < 0)
		return r;
	r = vfs_chroot(t, &p);
	path_put(&p);
	return r;
}

static long mkdir_at(struct task *t, int dirfd, uint64_t upath, mode_t mode)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, false);
	return r < 0 ? r : vfs_mkdir(t, dirfd, path, mode);
}

SYSCALL_DEFINE(mkdir)
{
	return mkdir_at(t, AT_FDCWD, a[0], (mode_t)a[1]);
}

SYSCALL_DEFINE(mkdirat)
{
	return mkdir_at(t, (int)a[0], a[1], (mode_t)a[2]);
}

static long unlink_at(struct task *t, int dirfd, uint64_t upath, int flags)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, false);
	return r < 0 ? r : vfs_unlink(t, dirfd, path, flags);
}

SYSCALL_DEFINE(rmdir)
{
	return unlink_at(t, AT_FDCWD, a[0], AT_REMOVEDIR);
}

SYSCALL_DEFINE(unlink)
{
	return unlink_at(t, AT_FDCWD, a[0], 0);
}

SYSCALL_DEFINE(unlinkat)
{
	return unlink_at(t, (int)a[0], a[1], (int)a[2]);
}

static long rename_at(struct task *t, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp,
		      unsigned int flags)
{
	char *paths = malloc(2 * PATH_MAX);
	if (!paths)
		return -ENOMEM;
	long r = path_in(t, paths, oldp, false);
	if (r >= 0)
		r = path_in(t, paths + PATH_MAX, newp, false);
	if (r >= 0)
		r = vfs_rename(t, olddirfd, paths, newdirfd, paths + PATH_MAX, flags);
	free(paths);
	return r;
}

SYSCALL_DEFINE(rename)
{
	return rename_at(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

SYSCALL_DEFINE(renameat)
{
	return rename_at(t, (int)a[0], a[1], (int)a[2], a[3], 0);
}

SYSCALL_DEFINE(renameat2)
{
	return rename_at(t, (int)a[0], a[1], (int)a[2], a[3], (unsigned int)a[4]);
}

static long symlink_at(struct task *t, uint64_t utarget, int dirfd, uint64_t upath)
{
	char *paths = malloc(2 * PATH_MAX);
	if (!paths)
		return -ENOMEM;
	long r = path_in(t, paths, utarget, false);
	if (r >= 0)
		r = path_in(t, paths + PATH_MAX, upath, false);
	if (r >= 0)
		r = vfs_symlink(t, paths, dirfd, paths + PATH_MAX);
	free(paths);
	return r;
}

SYSCALL_DEFINE(symlink)
{
	return symlink_at(t, a[0], AT_FDCWD, a[1]);
}

SYSCALL_DEFINE(symlinkat)
{
	return symlink_at(t, a[0], (int)a[1], a[2]);
}

static long link_at(struct task *t, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp,
		    int flags)
{
	char *paths = malloc(2 * PATH_MAX);
	if (!paths)
		return -ENOMEM;
	long r = path_in(t, paths, oldp, flags & AT_EMPTY_PATH);
	if (r >= 0)
		r = path_in(t, paths + PATH_MAX, newp, false);
	if (r >= 0)
		r = vfs_link(t, olddirfd, paths, newdirfd, paths + PATH_MAX, flags);
	free(paths);
	return r;
}

SYSCALL_DEFINE(link)
{
	return link_at(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

SYSCALL_DEFINE(linkat)
{
	return link_at(t, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]);
}

static long mknod_at(struct task *t, int dirfd, uint64_t upath, mode_t mode, uint32_t dev)
{
	char path[PATH_MAX];
	long r = path_in(t, path, upath, false);
	return r < 0 ? r : vfs_mknod(t, dirfd, path, mode, guest_decode_dev(dev));
}

SYSCALL_DEFINE(mknod)
{
	return mknod_at(t, AT_FDCWD, a[0], (mode_t)a[1], (uint32_t)a[2]);
}

SYSCALL_DEFINE(mknodat)
{
	return mknod_at(t, (int)a[0], a[1], (mode_t)a[2], (uint32_t)a[3]);
}
