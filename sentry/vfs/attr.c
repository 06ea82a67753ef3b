/* Attributes on paths: stat, access, readlink, and the ownership rules of chmod/chown/utimes. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/stat.h>

#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/internal.h"

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif

int vfs_stat(struct task *t, int dirfd, const char *path, int flags, struct kstat *st)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	unsigned int lf = 0;
	if (!(flags & AT_SYMLINK_NOFOLLOW))
		lf |= LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	/* fstat as glibc makes it, newfstatat(fd, "", AT_EMPTY_PATH): through the open file,
	 * as Linux's vfs_fstatat (a bind-mounted file asks its host fd). */
	if ((flags & AT_EMPTY_PATH) && !path[0] && dirfd != AT_FDCWD && t && t->files) {
		struct file *f = fd_get(t->files, dirfd);
		if (!f)
			return -EBADF;
		int r = file_stat(f, st);
		file_put(f);
		return r;
	}
	struct path p;
	int r = vfs_lookup(t, dirfd, path, lf, &p);
	if (r < 0)
		return r;
	r = vfs_dentry_getattr(p.dentry, st);
	path_put(&p);
	return r;
}

int vfs_statfs(struct task *t, const struct path *p, struct statfs *st)
{
	int r = vfs_dentry_statfs(p->dentry, st);
	if (r == 0 && p->mnt && (p->mnt->flags & MNT_RDONLY))
		st->f_flags |= ST_RDONLY;
	return r;
}

int vfs_access(struct task *t, int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* access() checks with the real ids, faccessat(AT_EACCESS) with the effective ones. */
	struct creds c;
	if (t) {
		c = t->creds;
		if (!(flags & AT_EACCESS)) {
			/* With the real uid go its capabilities: all permitted ones for root. */
			c.fsuid = c.uid;
			c.fsgid = c.gid;
			c.cap_effective = c.uid == 0 ? c.cap_permitted : 0;
		}
	}
	const struct creds *cp = t ? &c : NULL;
	unsigned int lf = 0;
	if (!(flags & AT_SYMLINK_NOFOLLOW))
		lf |= LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	/* The walk's search checks use the same ids. */
	int r = vfs_lookup_as(t, cp, dirfd, path, lf, &p);
	if (r < 0)
		return r;
	struct inode *inode = p.dentry->inode;
	if (mode != F_OK) {
		int mask = ((mode & R_OK) ? MAY_READ : 0) | ((mode & W_OK) ? MAY_WRITE : 0) |
			   ((mode & X_OK) ? MAY_EXEC : 0);
		r = inode_permission(cp, inode, mask);
		if (r == 0 && (mode & W_OK) && p.mnt && (p.mnt->flags & MNT_RDONLY) &&
		    (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode)))
			r = -EROFS;
	}
	path_put(&p);
	return r;
}

ssize_t vfs_readlink(struct task *t, int dirfd, const char *path, char *buf, size_t len)
{
	struct path p;
	int r = vfs_lookup(t, dirfd, path, LOOKUP_EMPTY, &p);
	if (r < 0)
		return r;
	ssize_t n = -EINVAL;
	if (S_ISLNK(p.dentry->inode->mode))
		n = vfs_dentry_readlink(p.dentry, buf, len);
	if (n > (ssize_t)len)
		n = (ssize_t)len;
	path_put(&p);
	return n;
}

static bool is_owner(struct task *t, struct inode *inode)
{
	if (task_capable(t, CAP_FOWNER))
		return true;
	pthread_mutex_lock(&inode->lock);
	bool r = inode->uid == t->creds.fsuid;
	pthread_mutex_unlock(&inode->lock);
	return r;
}

static bool creds_in_group(const struct creds *c, gid_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups && i < NGROUPS_MAX_GUEST; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

static int check_writable_mount(const struct path *p)
{
	return p->mnt && (p->mnt->flags & MNT_RDONLY) ? -EROFS : 0;
}

static int setattr_now(const struct path *p, struct iattr *a)
{
	vfs_now(&a->ctime);
	a->valid |= ATTR_CTIME;
	return vfs_dentry_setattr(p->dentry, a);
}

int vfs_chmod(struct task *t, const struct path *p, mode_t mode)
{
	struct inode *inode = p->dentry->inode;
	int r = check_writable_mount(p);
	if (r < 0)
		return r;
	if (!is_owner(t, inode))
		return -EPERM;
	mode &= 07777;
	/* Without CAP_FSETID, setgid on a file of another group is silently dropped. */
	if (!task_capable(t, CAP_FSETID) && !S_ISDIR(inode->mode)) {
		pthread_mutex_lock(&inode->lock);
		gid_t gid = inode->gid;
		pthread_mutex_unlock(&inode->lock);
		if (!creds_in_group(&t->creds, gid))
			mode &= ~S_ISGID;
	}
	struct iattr a = { .valid = ATTR_MODE, .mode = mode };
	return setattr_now(p, &a);
}

int vfs_chown(struct task *t, const struct path *p, uid_t uid, gid_t gid)
{
	struct inode *inode = p->dentry->inode;
	int r = check_writable_mount(p);
	if (r < 0)
		return r;
	pthread_mutex_lock(&inode->lock);
	uid_t cur_uid = inode->uid;
	gid_t cur_gid = inode->gid;
	mode_t mode = inode->mode;
	pthread_mutex_unlock(&inode->lock);
	bool root = task_capable(t, CAP_CHOWN);
	struct iattr a = { 0 };
	if (uid != (uid_t)-1) {
		/* Only CAP_CHOWN gives a file away; "changing" to the same owner is allowed. */
		if (!root && uid != cur_uid)
			return -EPERM;
		a.valid |= ATTR_UID;
		a.uid = uid;
	}
	if (gid != (gid_t)-1) {
		if (!root && (t->creds.fsuid != cur_uid ||
			      (gid != cur_gid && !creds_in_group(&t->creds, gid))))
			return -EPERM;
		a.valid |= ATTR_GID;
		a.gid = gid;
	}
	if (!root && uid == (uid_t)-1 && gid == (gid_t)-1 && t->creds.fsuid != cur_uid)
		return -EPERM;
	/* Changing owners drops setuid, and setgid when it means mandatory group execution. */
	if (a.valid && !S_ISDIR(mode) && (mode & (S_ISUID | S_ISGID))) {
		mode_t nm = mode & 07777 & ~S_ISUID;
		if (mode & S_IXGRP)
			nm &= ~S_ISGID;
		if (nm != (mode & 07777)) {
			a.valid |= ATTR_MODE;
			a.mode = nm;
		}
	}
	return setattr_now(p, &a);
}

int vfs_utimes(struct task *t, const struct path *p, const struct timespec times[2])
{
	struct inode *inode = p->dentry->inode;
	int r = check_writable_mount(p);
	if (r < 0)
		return r;
	struct timespec now;
	vfs_now(&now);
	struct iattr a = { 0 };
	bool all_now = !times || (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW);
	if (!times || times[0].tv_nsec != UTIME_OMIT) {
		a.valid |= ATTR_ATIME;
		a.atime = !times || times[0].tv_nsec == UTIME_NOW ? now : times[0];
	}
	if (!times || times[1].tv_nsec != UTIME_OMIT) {
		a.valid |= ATTR_MTIME;
		a.mtime = !times || times[1].tv_nsec == UTIME_NOW ? now : times[1];
	}
	if (!a.valid)
		return 0;
	if (!is_owner(t, inode)) {
		/* Setting both to now needs only write access; explicit times need ownership. */
		if (!all_now)
			return -EPERM;
		r = inode_permission(task_creds(t), inode, MAY_WRITE);
		if (r < 0)
			return r;
	}
	return setattr_now(p, &a);
}

int vfs_truncate(struct task *t, const struct path *p, int64_t size)
{
	struct inode *inode = p->dentry->inode;
	if (size < 0)
		return -EINVAL;
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (!S_ISREG(inode->mode))
		return -EINVAL;
	int r = inode_permission(task_creds(t), inode, MAY_WRITE);
	if (r < 0)
		return r;
	r = check_writable_mount(p);
	if (r < 0)
		return r;
	struct iattr a = { .valid = ATTR_SIZE | ATTR_MTIME, .size = size };
	vfs_now(&a.mtime);
	return setattr_now(p, &a);
}
