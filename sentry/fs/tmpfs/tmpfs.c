/*
 * tmpfs: an in-memory filesystem. Directories are a hash of names plus a list in creation
 * order (whose cookies make getdents positions stable across changes); regular files keep
 * their data in one memory-file mobj, so a MAP_SHARED mapping maps the file's own pages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

/* Linux tmpfs's directory size unit (BOGO_DIRENT_SIZE). */
#define TMPFS_DIRENT_SIZE 20
/* Files past this size need a bigger memory file than the sandbox has anyway. */
#define TMPFS_MAX_FILE_SIZE (1LL << 40)

struct tmpfs_dirent {
	char *name;
	struct inode *inode;		  /* a reference */
	uint64_t cookie;		  /* getdents position; grows with each new entry */
	struct tmpfs_dirent *prev, *next; /* in cookie order */
	struct tmpfs_dirent *hnext;
};

/* Per-inode state. Directory fields are guarded by the inode's dir_lock (held by the VFS
 * around every call that reads or changes them); the rest by inode->lock. */
struct tmpfs_inode {
	struct inode vfs;
	/* directories */
	struct tmpfs_dirent *first, *last;
	struct tmpfs_dirent **hash;
	size_t nbuckets, nentries;
	uint64_t next_cookie;
	/* regular files: size is vfs.size; capacity is data->len */
	struct mobj *data;
	/* symlinks */
	char *target;
	/* overlay upper layers */
	bool opaque;
	uint64_t origin;
};

struct tmpfs_sb {
	uint64_t bytes; /* atomic: data held by regular files */
};

static const struct super_ops tmpfs_sb_ops;
static const struct inode_ops tmpfs_dir_ops, tmpfs_file_inode_ops, tmpfs_link_ops,
	tmpfs_special_ops;
static const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;

static struct tmpfs_inode *TI(struct inode *inode)
{
	return (struct tmpfs_inode *)inode;
}

bool inode_is_tmpfs(struct inode *inode)
{
	return inode->sb->ops == &tmpfs_sb_ops;
}

static struct tmpfs_sb *TSB(struct superblock *sb)
{
	return sb->priv;
}

static struct inode *tmpfs_new_inode(struct superblock *sb, const struct vfs_node *node)
{
	struct tmpfs_inode *ti = calloc(1, sizeof(*ti));
	if (!ti)
		return NULL;
	const struct inode_ops *iops;
	const struct file_ops *fops = NULL;
	switch (node->mode & S_IFMT) {
	case S_IFDIR:
		iops = &tmpfs_dir_ops;
		fops = &tmpfs_dir_fops;
		ti->next_cookie = 2;
		break;
	case S_IFREG:
		iops = &tmpfs_file_inode_ops;
		fops = &tmpfs_file_fops;
		break;
	case S_IFLNK:
		iops = &tmpfs_link_ops;
		ti->target = strdup(node->target ? node->target : "");
		if (!ti->target) {
			free(ti);
			return NULL;
		}
		break;
	default:
		iops = &tmpfs_special_ops;
		break;
	}
	struct inode *inode = &ti->vfs;
	inode_init(inode, sb, node->mode, iops, fops);
	inode->ino = sb_alloc_ino(sb);
	inode->uid = node->uid;
	inode->gid = node->gid;
	inode->rdev = node->rdev;
	if (S_ISDIR(node->mode)) {
		inode->nlink = 2;
		inode->size = 2 * TMPFS_DIRENT_SIZE;
	} else if (S_ISLNK(node->mode)) {
		inode->size = (int64_t)strlen(ti->target);
	}
	return inode;
}

static void tmpfs_evict(struct inode *inode)
{
	struct tmpfs_inode *ti = TI(inode);
	if (ti->data) {
		__atomic_fetch_sub(&TSB(inode->sb)->bytes, ti->data->len, __ATOMIC_RELAXED);
		mobj_put(ti->data);
	}
	/* A directory is empty by now: each entry held a reference on it via its dentry, and
	 * rmdir requires emptiness. An evicted sb's root may still list entries. */
	struct tmpfs_dirent *e = ti->first;
	while (e) {
		struct tmpfs_dirent *next = e->next;
		inode_put(e->inode);
		free(e->name);
		free(e);
		e = next;
	}
	free(ti->hash);
	free(ti->target);
	free(ti);
}

static void tmpfs_put_super(struct superblock *sb)
{
	free(sb->priv);
}

static int tmpfs_statfs(struct superblock *sb, struct statfs *st)
{
	/* No quota: report a large disk mostly free, as a tmpfs sized to memory would. */
	uint64_t used = __atomic_load_n(&TSB(sb)->bytes, __ATOMIC_RELAXED) / PAGE_SIZE;
	st->f_bsize = PAGE_SIZE;
	st->f_blocks = 1ULL << 22; /* 16 GiB */
	st->f_bfree = st->f_bavail = st->f_blocks > used ? st->f_blocks - used : 0;
	st->f_files = 1ULL << 20;
	st->f_ffree = st->f_files - MIN(st->f_files, sb->next_ino);
	return 0;
}

static const struct super_ops tmpfs_sb_ops = {
	.evict_inode = tmpfs_evict,
	.statfs = tmpfs_statfs,
	.put_super = tmpfs_put_super,
};

struct superblock *tmpfs_new(const char *source, mode_t root_mode)
{
	struct superblock *sb = sb_new(&tmpfs_sb_ops, "tmpfs", TMPFS_MAGIC, source);
	if (!sb)
		return NULL;
	sb->priv = calloc(1, sizeof(struct tmpfs_sb));
	struct vfs_node node = { .mode = S_IFDIR | (root_mode & 07777) };
	struct inode *root = sb->priv ? tmpfs_new_inode(sb, &node) : NULL;
	if (!root || sb_set_root(sb, root) < 0) {
		sb_put(sb);
		return NULL;
	}
	return sb;
}

/* ---- directories ---- */

static size_t name_hash(const char *name)
{
	size_t h = 5381;
	for (; *name; name++)
		h = h * 33 + (unsigned char)*name;
	return h;
}

static struct tmpfs_dirent *dir_find(struct tmpfs_inode *dir, const char *name)
{
	if (!dir->nbuckets)
		return NULL;
	for (struct tmpfs_dirent *e = dir->hash[name_hash(name) % dir->nbuckets]; e; e = e->hnext)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static int dir_rehash(struct tmpfs_inode *dir, size_t nbuckets)
{
	struct tmpfs_dirent **h = calloc(nbuckets, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (struct tmpfs_dirent *e = dir->first; e; e = e->next) {
		size_t i = name_hash(e->name) % nbuckets;
		e->hnext = h[i];
		h[i] = e;
	}
	free(dir->hash);
	dir->hash = h;
	dir->nbuckets = nbuckets;
	return 0;
}

/* Adds name -> inode (taking a reference). */
static int dir_add(struct tmpfs_inode *dir, const char *name, struct inode *inode)
{
	if (dir->nentries + 1 > dir->nbuckets * 2) {
		int r = dir_rehash(dir, dir->nbuckets ? dir->nbuckets * 4 : 16);
		if (r < 0)
			return r;
	}
	struct tmpfs_dirent *e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return -ENOMEM;
	}
	inode_get(inode);
	e->inode = inode;
	e->cookie = dir->next_cookie++;
	e->prev = dir->last;
	if (dir->last)
		dir->last->next = e;
	else
		dir->first = e;
	dir->last = e;
	size_t i = name_hash(name) % dir->nbuckets;
	e->hnext = dir->hash[i];
	dir->hash[i] = e;
	dir->nentries++;
	pthread_mutex_lock(&dir->vfs.lock);
	dir->vfs.size += TMPFS_DIRENT_SIZE;
	pthread_mutex_unlock(&dir->vfs.lock);
	return 0;
}

/* Unlinks e from dir; returns its inode reference to the caller. */
static struct inode *dir_remove(struct tmpfs_inode *dir, struct tmpfs_dirent *e)
{
	struct tmpfs_dirent **pp = &dir->hash[name_hash(e->name) % dir->nbuckets];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		dir->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dir->last = e->prev;
	dir->nentries--;
	struct inode *inode = e->inode;
	free(e->name);
	free(e);
	pthread_mutex_lock(&dir->vfs.lock);
	dir->vfs.size -= TMPFS_DIRENT_SIZE;
	pthread_mutex_unlock(&dir->vfs.lock);
	return inode;
}

static void touch_dir(struct inode *dir, int nlink_delta)
{
	struct timespec now;
	vfs_now(&now);
	pthread_mutex_lock(&dir->lock);
	dir->mtime = dir->ctime = now;
	dir->nlink += nlink_delta;
	pthread_mutex_unlock(&dir->lock);
}

static void change_nlink(struct inode *inode, int delta, bool zero)
{
	struct timespec now;
	vfs_now(&now);
	pthread_mutex_lock(&inode->lock);
	inode->nlink = zero ? 0 : inode->nlink + delta;
	inode->ctime = now;
	pthread_mutex_unlock(&inode->lock);
}

static int tmpfs_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	struct tmpfs_dirent *e = dir_find(TI(dir->inode), name);
	if (!e)
		return -ENOENT;
	inode_get(e->inode);
	*out = e->inode;
	return 0;
}

static int tmpfs_mknod(struct dentry *dir, const char *name, const struct vfs_node *node,
		       struct inode **out)
{
	struct inode *inode = tmpfs_new_inode(dir->sb, node);
	if (!inode)
		return -ENOSPC;
	int r = dir_add(TI(dir->inode), name, inode);
	if (r < 0) {
		inode_put(inode);
		return r;
	}
	touch_dir(dir->inode, S_ISDIR(node->mode) ? 1 : 0);
	*out = inode;
	return 0;
}

static int tmpfs_link(struct dentry *old, struct dentry *dir, const char *name)
{
	int r = dir_add(TI(dir->inode), name, old->inode);
	if (r < 0)
		return r;
	change_nlink(old->inode, 1, false);
	touch_dir(dir->inode, 0);
	return 0;
}

static int tmpfs_unlink(struct dentry *dir, struct dentry *victim)
{
	struct tmpfs_dirent *e = dir_find(TI(dir->inode), victim->name);
	if (!e || e->inode != victim->inode)
		return -ENOENT;
	struct inode *inode = dir_remove(TI(dir->inode), e);
	change_nlink(inode, -1, false);
	touch_dir(dir->inode, 0);
	inode_put(inode);
	return 0;
}

static int tmpfs_rmdir(struct dentry *dir, struct dentry *victim)
{
	struct tmpfs_dirent *e = dir_find(TI(dir->inode), victim->name);
	if (!e || e->inode != victim->inode)
		return -ENOENT;
	if (TI(victim->inode)->nentries)
		return -ENOTEMPTY;
	struct inode *inode = dir_remove(TI(dir->inode), e);
	change_nlink(inode, 0, true);
	touch_dir(dir->inode, -1);
	inode_put(inode);
	return 0;
}

static int tmpfs_rename(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
			const char *newname, struct dentry *target, unsigned int flags)
{
	struct tmpfs_inode *od = TI(olddir->inode), *nd = TI(newdir->inode);
	struct tmpfs_dirent *oe = dir_find(od, old->name);
	if (!oe || oe->inode != old->inode)
		return -ENOENT;
	struct tmpfs_dirent *te = target ? dir_find(nd, newname) : NULL;
	if (target && (!te || te->inode != target->inode))
		return -ENOENT;
	bool old_isdir = S_ISDIR(old->inode->mode);

	if (flags & RENAME_EXCHANGE) {
		bool new_isdir = S_ISDIR(target->inode->mode);
		oe->inode = target->inode;
		te->inode = old->inode;
		if (od != nd && old_isdir != new_isdir) {
			int d = old_isdir ? 1 : -1; /* the directory moved to newdir */
			touch_dir(&nd->vfs, d);
			touch_dir(&od->vfs, -d);
		} else {
			touch_dir(&od->vfs, 0);
			touch_dir(&nd->vfs, 0);
		}
		change_nlink(old->inode, 0, false);
		change_nlink(target->inode, 0, false);
		return 0;
	}
	if (te) {
		if (S_ISDIR(target->inode->mode) && TI(target->inode)->nentries)
			return -ENOTEMPTY;
	}
	/* Add the new entry before removing anything, so a failure leaves all as it was. */
	struct inode *moved = old->inode;
	if (te) {
		struct inode *victim = te->inode;
		inode_get(moved);
		te->inode = moved;
		bool vdir = S_ISDIR(victim->mode);
		change_nlink(victim, -1, vdir);
		if (vdir)
			touch_dir(&nd->vfs, -1);
		inode_put(victim);
	} else {
		int r = dir_add(nd, newname, moved);
		if (r < 0)
			return r;
	}
	inode_put(dir_remove(od, oe));
	if (old_isdir && od != nd) {
		touch_dir(&od->vfs, -1);
		touch_dir(&nd->vfs, 1);
	} else {
		touch_dir(&od->vfs, 0);
		touch_dir(&nd->vfs, 0);
	}
	change_nlink(moved, 0, false);
	return 0;
}

static int tmpfs_iterate(struct file *f, struct dir_context *ctx)
{
	struct tmpfs_inode *dir = TI(f->inode);
	for (struct tmpfs_dirent *e = dir->first; e; e = e->next) {
		if (e->cookie < (uint64_t)ctx->pos)
			continue;
		ctx->pos = (int64_t)e->cookie;
		if (!dir_emit(ctx, e->name, strlen(e->name), e->inode->ino,
			      vfs_dtype(e->inode->mode)))
			return 0;
		ctx->pos = (int64_t)e->cookie + 1;
	}
	return 0;
}

static int tmpfs_setattr(struct dentry *d, const struct iattr *attr);

/* Blocks as Linux's tmpfs counts them: the pages the data covers (the mobj may hold more, as
 * room to grow). */
static int tmpfs_getattr(struct dentry *d, struct kstat *st)
{
	generic_fillattr(d->inode, st);
	st->blocks =
		S_ISREG(st->mode) ? (int64_t)(ROUND_UP((uint64_t)st->size, PAGE_SIZE) / 512) : 0;
	return 0;
}

static const struct inode_ops tmpfs_dir_ops = {
	.getattr = tmpfs_getattr,
	.lookup = tmpfs_lookup,
	.mknod = tmpfs_mknod,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.setattr = tmpfs_setattr,
};

static const struct file_ops tmpfs_dir_fops = {
	.iterate = tmpfs_iterate,
};

/* ---- regular files ---- */

/* Makes the data mobj hold at least cap bytes (inode->lock held). */
static int file_reserve(struct tmpfs_inode *ti, uint64_t cap)
{
	size_t have = ti->data ? ti->data->len : 0;
	if (cap <= have)
		return 0;
	if (cap > TMPFS_MAX_FILE_SIZE)
		return -EFBIG;
	/* Grow geometrically so appends copy each byte a bounded number of times. */
	uint64_t want = MAX(cap, (uint64_t)have * 2);
	want = ROUND_UP(want, PAGE_SIZE);
	struct mobj *m = mobj_new(want);
	if (!m)
		return -ENOSPC;
	if (ti->data) {
		size_t used = (size_t)MIN((uint64_t)ti->vfs.size, (uint64_t)have);
		if (used)
			memcpy(mobj_ptr(m, 0), mobj_ptr(ti->data, 0), used);
		__atomic_fetch_sub(&TSB(ti->vfs.sb)->bytes, ti->data->len, __ATOMIC_RELAXED);
		mobj_put(ti->data);
	}
	__atomic_fetch_add(&TSB(ti->vfs.sb)->bytes, m->len, __ATOMIC_RELAXED);
	ti->data = m;
	return 0;
}

/* Sets the size (inode->lock held); bytes past a shrink are zeroed so a later growth reads
 * zeros. */
static int file_resize(struct tmpfs_inode *ti, int64_t size)
{
	int64_t old = ti->vfs.size;
	if (size > old) {
		int r = file_reserve(ti, (uint64_t)size);
		if (r < 0)
			return r;
	} else if (size < old && ti->data) {
		memset(mobj_ptr(ti->data, (uint64_t)size), 0, (size_t)(old - size));
	}
	ti->vfs.size = size;
	return 0;
}

static ssize_t tmpfs_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct tmpfs_inode *ti = TI(f->inode);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	pthread_mutex_lock(&ti->vfs.lock);
	int64_t size = ti->vfs.size;
	size_t n = 0;
	if (*pos < size && ti->data)
		n = copy_to_iter(mobj_ptr(ti->data, (uint64_t)*pos),
				 MIN(it.count, (size_t)(size - *pos)), &it);
	pthread_mutex_unlock(&ti->vfs.lock);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

static ssize_t tmpfs_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct tmpfs_inode *ti = TI(f->inode);
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	if (it.count == 0)
		return 0;
	pthread_mutex_lock(&ti->vfs.lock);
	int64_t p = (file_flags(f) & O_APPEND) ? ti->vfs.size : *pos;
	int64_t end;
	if (__builtin_add_overflow(p, (int64_t)it.count, &end) || end > TMPFS_MAX_FILE_SIZE) {
		pthread_mutex_unlock(&ti->vfs.lock);
		return -EFBIG;
	}
	int r = file_reserve(ti, (uint64_t)end);
	if (r < 0) {
		pthread_mutex_unlock(&ti->vfs.lock);
		return r;
	}
	size_t n = copy_from_iter(mobj_ptr(ti->data, (uint64_t)p), it.count, &it);
	if (p + (int64_t)n > ti->vfs.size)
		ti->vfs.size = p + (int64_t)n;
	vfs_now(&ti->vfs.mtime);
	ti->vfs.ctime = ti->vfs.mtime;
	/* Writing drops setuid/setgid, as Linux's file_remove_privs. */
	if (ti->vfs.mode & (S_ISUID | S_ISGID))
		ti->vfs.mode &= ~(mode_t)(S_ISUID | ((ti->vfs.mode & S_IXGRP) ? S_ISGID : 0));
	pthread_mutex_unlock(&ti->vfs.lock);
	*pos = p + (int64_t)n;
	return (ssize_t)n;
}

static int tmpfs_mmap(struct file *f, uint64_t off, size_t len, struct mobj **m, uint64_t *m_off)
{
	struct tmpfs_inode *ti = TI(f->inode);
	uint64_t end;
	if (__builtin_add_overflow(off, (uint64_t)len, &end))
		return -EOVERFLOW;
	pthread_mutex_lock(&ti->vfs.lock);
	/* The mapping may reach past EOF (the last page, or a file about to grow): back it all
	 * now so that the mapping and the file share pages. */
	int r = file_reserve(ti, ROUND_UP(end, PAGE_SIZE));
	if (r == 0) {
		mobj_get(ti->data);
		*m = ti->data;
		*m_off = off;
	}
	pthread_mutex_unlock(&ti->vfs.lock);
	return r;
}

int tmpfs_file_mobj(struct file *f, struct mobj **m)
{
	if (!inode_is_tmpfs(f->inode) || !S_ISREG(f->inode->mode))
		return -ENODEV;
	uint64_t off;
	pthread_mutex_lock(&f->inode->lock);
	uint64_t size = (uint64_t)f->inode->size;
	pthread_mutex_unlock(&f->inode->lock);
	return tmpfs_mmap(f, 0, MAX(size, PAGE_SIZE), m, &off);
}

static int tmpfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	struct tmpfs_inode *ti = TI(f->inode);
	int64_t end = off + len;
	if (end > TMPFS_MAX_FILE_SIZE)
		return -EFBIG;
	pthread_mutex_lock(&ti->vfs.lock);
	int r = file_reserve(ti, (uint64_t)end);
	if (r == 0 && !(mode & FALLOC_FL_KEEP_SIZE) && end > ti->vfs.size) {
		ti->vfs.size = end;
		vfs_now(&ti->vfs.ctime);
	}
	pthread_mutex_unlock(&ti->vfs.lock);
	return r;
}

static int tmpfs_setattr(struct dentry *d, const struct iattr *attr)
{
	struct tmpfs_inode *ti = TI(d->inode);
	pthread_mutex_lock(&ti->vfs.lock);
	int r = 0;
	if (attr->valid & ATTR_SIZE) {
		if (!S_ISREG(ti->vfs.mode))
			r = S_ISDIR(ti->vfs.mode) ? -EISDIR : -EINVAL;
		else if (attr->size > TMPFS_MAX_FILE_SIZE)
			r = -EFBIG;
		else
			r = file_resize(ti, attr->size);
	}
	if (r == 0)
		inode_apply_attr(&ti->vfs, attr);
	pthread_mutex_unlock(&ti->vfs.lock);
	return r;
}

static const struct inode_ops tmpfs_file_inode_ops = {
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
};

static const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.mmap = tmpfs_mmap,
	.fallocate = tmpfs_fallocate,
};

/* ---- symlinks and special files ---- */

static ssize_t tmpfs_readlink(struct dentry *d, char *buf, size_t len)
{
	const char *target = TI(d->inode)->target;
	size_t n = strlen(target);
	memcpy(buf, target, MIN(n, len));
	return (ssize_t)n;
}

static const struct inode_ops tmpfs_link_ops = {
	.getattr = tmpfs_getattr,
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
};

static const struct inode_ops tmpfs_special_ops = {
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
};

/* ---- overlay support ---- */

void tmpfs_set_opaque(struct inode *inode, bool opaque)
{
	pthread_mutex_lock(&inode->lock);
	TI(inode)->opaque = opaque;
	pthread_mutex_unlock(&inode->lock);
}

bool tmpfs_is_opaque(struct inode *inode)
{
	if (!inode_is_tmpfs(inode))
		return false;
	pthread_mutex_lock(&inode->lock);
	bool r = TI(inode)->opaque;
	pthread_mutex_unlock(&inode->lock);
	return r;
}

void tmpfs_set_origin(struct inode *inode, uint64_t ino)
{
	pthread_mutex_lock(&inode->lock);
	TI(inode)->origin = ino;
	pthread_mutex_unlock(&inode->lock);
}

uint64_t tmpfs_origin(struct inode *inode)
{
	if (!inode_is_tmpfs(inode))
		return 0;
	pthread_mutex_lock(&inode->lock);
	uint64_t r = TI(inode)->origin;
	pthread_mutex_unlock(&inode->lock);
	return r;
}

/* ---- memfd ---- */

static pthread_once_t memfd_once = PTHREAD_ONCE_INIT;
static struct superblock *memfd_sb;
static struct mount *memfd_mnt;

static void memfd_init(void)
{
	memfd_sb = tmpfs_new("memfd", 01777);
	if (memfd_sb)
		memfd_mnt = mount_new_internal(memfd_sb);
}

int tmpfs_memfd_new(const char *name, int flags, struct file **out)
{
	pthread_once(&memfd_once, memfd_init);
	if (!memfd_mnt)
		return -ENOMEM;
	struct vfs_node node = { .mode = S_IFREG | 0777 };
	struct task *t = current();
	if (t) {
		node.uid = t->creds.fsuid;
		node.gid = t->creds.fsgid;
	}
	struct inode *inode = tmpfs_new_inode(memfd_sb, &node);
	if (!inode)
		return -ENOMEM;
	char path[NAME_MAX + 32];
	snprintf(path, sizeof(path), "/memfd:%s (deleted)", name);
	struct dentry *d = dentry_new_anon(memfd_sb, path, inode);
	if (!d)
		return -ENOMEM;
	struct path p = { memfd_mnt, d };
	struct file *f = file_new(&p, O_RDWR | flags, &tmpfs_file_fops);
	dentry_put(d);
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}
