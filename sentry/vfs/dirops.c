/*
 * Changes to directories (create, link, unlink, rename) at two depths: on dentries, where the
 * locks, the dentry cache and the permission checks are; and on paths, for the syscalls.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/internal.h"

int d_lookup_valid(struct dentry *dir, const char *name, struct dentry **out)
{
	struct dentry *d = d_lookup(dir, name, strlen(name));
	if (!d)
		return 0;
	const struct super_ops *ops = d->sb->ops;
	int r = ops && ops->revalidate ? ops->revalidate(dir, name, d) : 0;
	if (r == -ENOENT || r == -ESTALE) {
		/* A mountpoint stays: its mount must not be hidden behind a fresh dentry. */
		pthread_mutex_lock(&mount_lock);
		bool mounted = d->mounted > 0;
		pthread_mutex_unlock(&mount_lock);
		if (mounted) {
			r = 0;
		} else {
			d_drop(d, true);
			dentry_put(d);
			return r == -ESTALE ? 0 : r;
		}
	}
	if (r < 0) {
		dentry_put(d);
		return r;
	}
	*out = d;
	return 1;
}

int lookup_locked(struct dentry *dir, const char *name, struct dentry **out)
{
	int r = d_lookup_valid(dir, name, out);
	if (r != 0)
		return r < 0 ? r : 0;
	struct inode *di = dir->inode;
	if (!di->ops || !di->ops->lookup)
		return -ENOENT;
	if (__atomic_load_n(&di->flags, __ATOMIC_RELAXED) & INODE_DEAD)
		return -ENOENT;
	struct inode *inode;
	r = di->ops->lookup(dir, name, &inode);
	if (r < 0)
		return r;
	struct dentry *d = d_add(dir, name, inode);
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

static int may_create(const struct creds *c, struct dentry *dir)
{
	if (__atomic_load_n(&dir->inode->flags, __ATOMIC_RELAXED) & INODE_DEAD)
		return -ENOENT;
	return inode_permission(c, dir->inode, MAY_WRITE | MAY_EXEC);
}

/* Write+search on dir, and the sticky bit: only the owner of the file or of dir (or root)
 * may remove from a sticky directory. */
static int may_delete(const struct creds *c, struct dentry *dir, struct dentry *victim)
{
	int r = inode_permission(c, dir->inode, MAY_WRITE | MAY_EXEC);
	if (r < 0 || !c)
		return r;
	pthread_mutex_lock(&dir->inode->lock);
	bool sticky = dir->inode->mode & S_ISVTX;
	uid_t dir_uid = dir->inode->uid;
	pthread_mutex_unlock(&dir->inode->lock);
	pthread_mutex_lock(&victim->inode->lock);
	uid_t uid = victim->inode->uid;
	pthread_mutex_unlock(&victim->inode->lock);
	if (sticky && c->fsuid != uid && c->fsuid != dir_uid && !creds_capable(c, CAP_FOWNER))
		return -EPERM;
	return 0;
}

int vfs_dir_mknod(const struct creds *c, struct dentry *dir, const char *name,
		  const struct vfs_node *node, struct dentry **out)
{
	struct inode *di = dir->inode;
	if (!S_ISDIR(di->mode))
		return -ENOTDIR;
	if (!di->ops || !di->ops->mknod)
		return -EPERM;
	dir_lock_excl(di);
	struct dentry *existing;
	int r = lookup_locked(dir, name, &existing);
	if (r == 0) {
		dentry_put(existing);
		r = -EEXIST;
	} else if (r == -ENOENT) {
		r = may_create(c, dir);
		struct inode *inode;
		if (r == 0)
			r = di->ops->mknod(dir, name, node, &inode);
		if (r == 0) {
			struct dentry *d = d_add(dir, name, inode);
			if (!d)
				r = -ENOMEM;
			else if (out)
				*out = d;
			else
				dentry_put(d);
		}
	}
	dir_unlock(di);
	return r;
}

int vfs_dir_link(const struct creds *c, struct dentry *old, struct dentry *dir, const char *name)
{
	struct inode *di = dir->inode;
	if (S_ISDIR(old->inode->mode))
		return -EPERM;
	if (old->sb != dir->sb)
		return -EXDEV;
	if (!di->ops || !di->ops->link)
		return -EPERM;
	dir_lock_excl(di);
	struct dentry *existing;
	int r = lookup_locked(dir, name, &existing);
	if (r == 0) {
		dentry_put(existing);
		r = -EEXIST;
	} else if (r == -ENOENT) {
		r = may_create(c, dir);
		if (r == 0 && old->inode->nlink == 0)
			r = -ENOENT; /* linking an unlinked file back in */
		/* The new name enters the cache on its first lookup: a stacked filesystem
		 * gives it an inode of its own. */
		if (r == 0)
			r = di->ops->link(old, dir, name);
	}
	dir_unlock(di);
	return r;
}

int vfs_dir_unlink(const struct creds *c, struct dentry *dir, const char *name, bool isdir)
{
	struct inode *di = dir->inode;
	if (!di->ops || !(isdir ? di->ops->rmdir : di->ops->unlink))
		return -EPERM;
	dir_lock_excl(di);
	struct dentry *victim;
	int r = lookup_locked(dir, name, &victim);
	if (r < 0) {
		dir_unlock(di);
		return r;
	}
	struct inode *vi = victim->inode;
	if (isdir && !S_ISDIR(vi->mode))
		r = -ENOTDIR;
	else if (!isdir && S_ISDIR(vi->mode))
		r = -EISDIR;
	else if (__atomic_load_n(&victim->mounted, __ATOMIC_ACQUIRE))
		r = -EBUSY;
	else
		r = may_delete(c, dir, victim);
	if (r == 0 && isdir) {
		dir_lock_excl(vi);
		r = di->ops->rmdir(dir, victim);
		if (r == 0)
			__atomic_fetch_or(&vi->flags, INODE_DEAD, __ATOMIC_RELAXED);
		dir_unlock(vi);
	} else if (r == 0) {
		r = di->ops->unlink(dir, victim);
	}
	if (r == 0)
		d_drop(victim, true);
	dir_unlock(di);
	dentry_put(victim);
	return r;
}

/* Locks two directories for rename: an ancestor before its descendant, else by address. */
static void lock_two_dirs(struct dentry *a, struct dentry *b)
{
	if (a == b) {
		dir_lock_excl(a->inode);
		return;
	}
	bool a_first;
	if (d_is_ancestor(a, b))
		a_first = true;
	else if (d_is_ancestor(b, a))
		a_first = false;
	else
		a_first = (uintptr_t)a->inode < (uintptr_t)b->inode;
	dir_lock_excl(a_first ? a->inode : b->inode);
	dir_lock_excl(a_first ? b->inode : a->inode);
}

static void unlock_two_dirs(struct dentry *a, struct dentry *b)
{
	dir_unlock(a->inode);
	if (a != b)
		dir_unlock(b->inode);
}

static int rename_checks(const struct creds *c, struct dentry *olddir, struct dentry *old,
			 struct dentry *newdir, struct dentry *new, unsigned int flags)
{
	bool old_isdir = S_ISDIR(old->inode->mode);
	bool exchange = flags & RENAME_EXCHANGE;
	if ((flags & VFS_RENAME_MUST_DIR) && !old_isdir)
		return -ENOTDIR;
	if (exchange && !new)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && new)
		return -EEXIST;
	if (new) {
		bool new_isdir = S_ISDIR(new->inode->mode);
		if (!exchange && old_isdir && !new_isdir)
			return -ENOTDIR;
		if (!exchange && !old_isdir && new_isdir)
			return -EISDIR;
		if (exchange && new_isdir && d_is_ancestor(new, olddir))
			return -EINVAL;
	}
	if (old_isdir && d_is_ancestor(old, newdir))
		return -EINVAL;
	if (__atomic_load_n(&old->mounted, __ATOMIC_ACQUIRE) ||
	    (new &&__atomic_load_n(&new->mounted, __ATOMIC_ACQUIRE)))
		return -EBUSY;
	int r = may_delete(c, olddir, old);
	if (r == 0)
		r = new ? may_delete(c, newdir, new) : may_create(c, newdir);
	/* Moving a directory elsewhere rewrites its "..": that needs write access to it. */
	if (r == 0 && old_isdir && olddir != newdir)
		r = inode_permission(c, old->inode, MAY_WRITE);
	if (r == 0 && exchange && new &&S_ISDIR(new->inode->mode) && olddir != newdir)
		r = inode_permission(c, new->inode, MAY_WRITE);
	return r;
}

int vfs_dir_rename(const struct creds *c, struct dentry *olddir, const char *oldname,
		   struct dentry *newdir, const char *newname, unsigned int flags)
{
	unsigned int uflags = flags & ~VFS_RENAME_MUST_DIR;
	if (uflags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((uflags & RENAME_NOREPLACE) && (uflags & RENAME_EXCHANGE))
		return -EINVAL;
	if (olddir->sb != newdir->sb)
		return -EXDEV;
	struct inode *odi = olddir->inode;
	if (!odi->ops || !odi->ops->rename)
		return -EPERM;

	struct superblock *sb = olddir->sb;
	bool cross = olddir != newdir;
	if (cross)
		pthread_mutex_lock(&sb->rename_lock);
	lock_two_dirs(olddir, newdir);

	struct dentry *old = NULL, *new = NULL;
	int r = lookup_locked(olddir, oldname, &old);
	if (r == 0) {
		r = lookup_locked(newdir, newname, &new);
		if (r == -ENOENT) {
			new = NULL;
			r = 0;
		}
	}
	if (r == 0 && new &&new->inode == old->inode) {
		/* Two names of one file (or the same name): nothing to do, as Linux. */
		r = (flags & RENAME_NOREPLACE) && new != old ? -EEXIST : 0;
		goto out;
	}
	if (r == 0)
		r = rename_checks(c, olddir, old, newdir, new, flags);
	if (r < 0)
		goto out;

	struct inode *victim_dir =
		new &&S_ISDIR(new->inode->mode) && !(uflags & RENAME_EXCHANGE) ? new->inode : NULL;
	if (victim_dir)
		dir_lock_excl(victim_dir);
	r = odi->ops->rename(olddir, old, newdir, newname, new, uflags);
	if (r == 0) {
		if (uflags & RENAME_EXCHANGE) {
			char *oname = strdup(oldname);
			d_drop(new, false);
			r = d_move(old, newdir, newname);
			if (r == 0 && oname)
				r = d_move(new, olddir, oname);
			free(oname);
		} else {
			if (new) {
				d_drop(new, true);
				if (victim_dir)
					__atomic_fetch_or(&victim_dir->flags, INODE_DEAD,
							  __ATOMIC_RELAXED);
			}
			r = d_move(old, newdir, newname);
		}
		if (r < 0) {
			/* The rename happened; only the cache lost track: forget the names. */
			d_drop(old, false);
			if (new)
				d_drop(new, false);
			r = 0;
		}
	}
	if (victim_dir)
		dir_unlock(victim_dir);
out:
	unlock_two_dirs(olddir, newdir);
	if (cross)
		pthread_mutex_unlock(&sb->rename_lock);
	if (old)
		dentry_put(old);
	if (new)
		dentry_put(new);
	return r;
}

int vfs_dentry_getattr(struct dentry *d, struct kstat *st)
{
	struct inode *inode = d->inode;
	if (inode->ops && inode->ops->getattr)
		return inode->ops->getattr(d, st);
	generic_fillattr(inode, st);
	return 0;
}

int vfs_dentry_setattr(struct dentry *d, const struct iattr *attr)
{
	struct inode *inode = d->inode;
	if (inode->ops && inode->ops->setattr)
		return inode->ops->setattr(d, attr);
	return generic_setattr(d, attr);
}

ssize_t vfs_dentry_readlink(struct dentry *d, char *buf, size_t len)
{
	struct inode *inode = d->inode;
	if (!S_ISLNK(inode->mode) || !inode->ops || !inode->ops->readlink)
		return -EINVAL;
	return inode->ops->readlink(d, buf, len);
}

int vfs_dentry_statfs(struct dentry *d, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	struct superblock *sb = d->sb;
	int r = 0;
	if (sb->ops && sb->ops->statfs)
		r = sb->ops->statfs(sb, st);
	if (r == 0) {
		st->f_type = (__typeof__(st->f_type))sb->magic;
		if (!st->f_bsize)
			st->f_bsize = PAGE_SIZE;
		if (!st->f_frsize)
			st->f_frsize = st->f_bsize;
		if (!st->f_namelen)
			st->f_namelen = NAME_MAX;
		memcpy(&st->f_fsid, &sb->dev, MIN(sizeof(st->f_fsid), sizeof(sb->dev)));
	}
	return r;
}

/* ---- on paths, for the syscalls ---- */

static bool mnt_rdonly(const struct path *p)
{
	return p->mnt && (p->mnt->flags & MNT_RDONLY);
}

static mode_t task_umask(struct task *t)
{
	struct fs_context *fs = task_fs(t);
	return fs ? __atomic_load_n(&fs->umask, __ATOMIC_RELAXED) : 022;
}

/* Owner of a new file: the caller's fsuid, and the directory's group when it is setgid. */
static void new_owner(struct task *t, struct dentry *dir, struct vfs_node *node)
{
	node->uid = t ? t->creds.fsuid : 0;
	node->gid = t ? t->creds.fsgid : 0;
	pthread_mutex_lock(&dir->inode->lock);
	if (dir->inode->mode & S_ISGID) {
		node->gid = dir->inode->gid;
		if (S_ISDIR(node->mode))
			node->mode |= S_ISGID;
	}
	pthread_mutex_unlock(&dir->inode->lock);
}

int vfs_create_node(struct task *t, struct nameparent *np, struct vfs_node *node,
		    struct dentry **out)
{
	if (mnt_rdonly(&np->dir))
		return -EROFS;
	if (!S_ISLNK(node->mode))
		node->mode &= ~(task_umask(t) & 0777);
	new_owner(t, np->dir.dentry, node);
	return vfs_dir_mknod(task_creds(t), np->dir.dentry, np->last, node, out);
}

int vfs_mknod(struct task *t, int dirfd, const char *path, mode_t mode, dev_t dev)
{
	mode_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	switch (type) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (!task_capable(t, CAP_MKNOD))
			return -EPERM;
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	struct nameparent np;
	int r = vfs_lookup_parent(t, dirfd, path, &np);
	if (r < 0)
		return r;
	if (np.type != LAST_NORM)
		r = -EEXIST;
	else if (np.trailing_slash)
		r = -ENOENT;
	else {
		struct vfs_node node = { .mode = type | (mode & 07777), .rdev = dev };
		r = vfs_create_node(t, &np, &node, NULL);
	}
	nameparent_release(&np);
	return r;
}

int vfs_mkdir(struct task *t, int dirfd, const char *path, mode_t mode)
{
	struct nameparent np;
	int r = vfs_lookup_parent(t, dirfd, path, &np);
	if (r < 0)
		return r;
	if (np.type != LAST_NORM) {
		r = -EEXIST;
	} else {
		struct vfs_node node = { .mode = S_IFDIR | (mode & 01777) };
		r = vfs_create_node(t, &np, &node, NULL);
	}
	nameparent_release(&np);
	return r;
}

int vfs_symlink(struct task *t, const char *target, int dirfd, const char *path)
{
	if (!*target)
		return -ENOENT;
	struct nameparent np;
	int r = vfs_lookup_parent(t, dirfd, path, &np);
	if (r < 0)
		return r;
	if (np.type != LAST_NORM) {
		r = -EEXIST;
	} else if (np.trailing_slash) {
		/* "symlink x dir/new/": Linux looks the name up, so an existing one is EEXIST. */
		struct dentry *d;
		r = vfs_lookup_one(np.dir.dentry, np.last, &d);
		if (r == 0) {
			dentry_put(d);
			r = -EEXIST;
		}
	} else {
		struct vfs_node node = { .mode = S_IFLNK | 0777, .target = target };
		r = vfs_create_node(t, &np, &node, NULL);
	}
	nameparent_release(&np);
	return r;
}

int vfs_link(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	     int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	unsigned int lf = 0;
	if (flags & AT_SYMLINK_FOLLOW)
		lf |= LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH) {
		if (!task_capable(t, CAP_DAC_READ_SEARCH))
			return -ENOENT; /* as Linux */
		lf |= LOOKUP_EMPTY;
	}
	struct path old;
	int r = vfs_lookup(t, olddirfd, oldpath, lf, &old);
	if (r < 0)
		return r;
	struct nameparent np;
	r = vfs_lookup_parent(t, newdirfd, newpath, &np);
	if (r < 0) {
		path_put(&old);
		return r;
	}
	if (np.type != LAST_NORM)
		r = -EEXIST;
	else if (np.trailing_slash)
		r = S_ISDIR(old.dentry->inode->mode) ? -EPERM : -ENOENT;
	else if (old.mnt != np.dir.mnt)
		r = -EXDEV;
	else if (mnt_rdonly(&np.dir))
		r = -EROFS;
	else
		r = vfs_dir_link(task_creds(t), old.dentry, np.dir.dentry, np.last);
	nameparent_release(&np);
	path_put(&old);
	return r;
}

int vfs_unlink(struct task *t, int dirfd, const char *path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	bool isdir = flags & AT_REMOVEDIR;
	struct nameparent np;
	int r = vfs_lookup_parent(t, dirfd, path, &np);
	if (r < 0)
		return r;
	if (isdir) {
		if (np.type == LAST_DOT)
			r = -EINVAL;
		else if (np.type == LAST_DOTDOT)
			r = -ENOTEMPTY;
		else if (np.type == LAST_ROOT)
			r = -EBUSY;
	} else if (np.type != LAST_NORM) {
		r = -EISDIR;
	} else if (np.trailing_slash) {
		struct dentry *d;
		r = vfs_lookup_one(np.dir.dentry, np.last, &d);
		if (r == 0) {
			r = S_ISDIR(d->inode->mode) ? -EISDIR : -ENOTDIR;
			dentry_put(d);
		}
	}
	if (r == 0 && mnt_rdonly(&np.dir))
		r = -EROFS;
	if (r == 0)
		r = vfs_dir_unlink(task_creds(t), np.dir.dentry, np.last, isdir);
	nameparent_release(&np);
	return r;
}

int vfs_rename(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	       unsigned int flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL; /* overlayfs's own; no guest filesystem offers it */
	struct nameparent onp, nnp;
	int r = vfs_lookup_parent(t, olddirfd, oldpath, &onp);
	if (r < 0)
		return r;
	r = vfs_lookup_parent(t, newdirfd, newpath, &nnp);
	if (r < 0) {
		nameparent_release(&onp);
		return r;
	}
	if (onp.type != LAST_NORM || nnp.type != LAST_NORM)
		r = (flags & RENAME_NOREPLACE) && nnp.type != LAST_NORM ? -EEXIST : -EBUSY;
	else if (onp.dir.mnt != nnp.dir.mnt)
		r = -EXDEV;
	else if (mnt_rdonly(&onp.dir))
		r = -EROFS;
	if (r == 0) {
		unsigned int f = flags;
		if (onp.trailing_slash || (nnp.trailing_slash && !(flags & RENAME_EXCHANGE)))
			f |= VFS_RENAME_MUST_DIR;
		r = vfs_dir_rename(task_creds(t), onp.dir.dentry, onp.last, nnp.dir.dentry,
				   nnp.last, f);
	}
	nameparent_release(&nnp);
	nameparent_release(&onp);
	return r;
}
