/*
 * Open file descriptions: opening a dentry or a path, and the generic layer between the
 * syscalls and file_ops (access mode checks, the position, directories, devices).
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/util.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/internal.h"

static const struct file_ops no_file_ops;

struct file *file_new(const struct path *path, int flags, const struct file_ops *ops)
{
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->refs = 1;
	/* O_NOCTTY stays until the open is done: a terminal's open hook reads it (as Linux's
	 * tty_open), then vfs_dentry_open drops it. */
	f->flags = (unsigned int)flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC);
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		f->mode = FMODE_READ;
		break;
	case O_WRONLY:
		f->mode = FMODE_WRITE;
		break;
	case O_RDWR:
		f->mode = FMODE_READ | FMODE_WRITE;
		break;
	default: /* 3: ioctl-only, as Linux allows */
		break;
	}
	if (flags & O_PATH)
		f->mode = FMODE_PATH;
	pthread_mutex_init(&f->pos_lock, NULL);
	f->path = *path;
	path_get(path);
	f->inode = path->dentry->inode;
	f->ops = ops ? ops : &no_file_ops;
	return f;
}

void file_get(struct file *f)
{
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (__atomic_load_n(&f->ep_links, __ATOMIC_ACQUIRE))
		eventpoll_release_file(f);
	if (f->ops->release)
		f->ops->release(f);
	path_put(&f->path);
	pthread_mutex_destroy(&f->pos_lock);
	free(f);
}

int file_setfl(struct file *f, unsigned int flags)
{
	unsigned int old = file_flags(f), nf;
	do {
		nf = (old & ~FILE_SETFL_MASK) | (flags & FILE_SETFL_MASK);
	} while (!__atomic_compare_exchange_n(&f->flags, &old, nf, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	if (f->ops->setfl)
		f->ops->setfl(f, nf);
	return 0;
}

/* ---- character devices ---- */

struct chrdev {
	unsigned int major, minor;
	const struct file_ops *ops;
	int (*open)(struct file *f);
};
static struct chrdev chrdevs[32];
static int nchrdevs;
static pthread_mutex_t chrdev_lock = PTHREAD_MUTEX_INITIALIZER; /* guards chrdevs; a leaf */

int vfs_register_chrdev(unsigned int major, unsigned int minor, const struct file_ops *ops,
			int (*open)(struct file *f))
{
	pthread_mutex_lock(&chrdev_lock);
	int r = 0;
	for (int i = 0; i < nchrdevs; i++)
		if (chrdevs[i].major == major && chrdevs[i].minor == minor)
			r = -EBUSY;
	if (r == 0 && nchrdevs == (int)ARRAY_SIZE(chrdevs))
		r = -ENOSPC;
	if (r == 0)
		chrdevs[nchrdevs++] = (struct chrdev){ major, minor, ops, open };
	pthread_mutex_unlock(&chrdev_lock);
	return r;
}

int vfs_open_special(struct file *f)
{
	mode_t mode = f->inode->mode;
	if (S_ISFIFO(mode))
		return fifo_open(f);
	if (!S_ISCHR(mode))
		return -ENXIO; /* block devices and sockets cannot be opened */
	if (f->inode->fops) {
		/* A device inode that knows how it is read (a host terminal named in /dev/pts, a
		 * devpts terminal), and maybe how it is opened. */
		f->ops = f->inode->fops;
		f->mode |= FMODE_STREAM;
		if (f->inode->ops && f->inode->ops->open)
			return f->inode->ops->open(f->path.dentry, f);
		return 0;
	}
	unsigned int major = major(f->inode->rdev), minor = minor(f->inode->rdev);
	struct chrdev dev = { 0 };
	pthread_mutex_lock(&chrdev_lock);
	for (int i = 0; i < nchrdevs; i++)
		if (chrdevs[i].major == major && chrdevs[i].minor == minor)
			dev = chrdevs[i];
	pthread_mutex_unlock(&chrdev_lock);
	if (!dev.ops && !dev.open)
		return -ENXIO;
	if (dev.ops)
		f->ops = dev.ops;
	return dev.open ? dev.open(f) : 0;
}

/* ---- open ---- */

int vfs_dentry_open(struct mount *mnt, struct dentry *d, int flags, struct file **out)
{
	struct path p = { mnt, d };
	struct inode *inode = d->inode;
	struct file *f = file_new(&p, flags, (flags & O_PATH) ? NULL : inode->fops);
	if (!f)
		return -ENOMEM;
	int r = 0;
	if (!(flags & O_PATH)) {
		mode_t type = inode->mode & S_IFMT;
		if (type == S_IFIFO || type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK)
			r = vfs_open_special(f);
		else if (inode->ops && inode->ops->open)
			r = inode->ops->open(d, f);
	}
	if (r < 0) {
		f->ops = &no_file_ops; /* nothing to release */
		file_put(f);
		return r;
	}
	__atomic_fetch_and(&f->flags, ~(unsigned int)O_NOCTTY, __ATOMIC_RELAXED);
	*out = f;
	return 0;
}

/* The checks open makes on an existing file (Linux's may_open). */
static int may_open(struct task *t, const struct path *p, int flags)
{
	struct inode *inode = p->dentry->inode;
	mode_t mode = inode->mode;
	int acc = flags & O_ACCMODE;
	if (S_ISLNK(mode))
		return (flags & O_PATH) ? 0 : -ELOOP;
	if ((flags & O_DIRECTORY) && !S_ISDIR(mode))
		return -ENOTDIR;
	if (flags & O_PATH)
		return 0;
	if (S_ISDIR(mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EISDIR;
	int mask = 0;
	if (acc == O_RDONLY || acc == O_RDWR)
		mask |= MAY_READ;
	if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
		mask |= MAY_WRITE;
	int r = inode_permission(task_creds(t), inode, mask);
	if (r < 0)
		return r;
	if ((mask & MAY_WRITE) && p->mnt && (p->mnt->flags & MNT_RDONLY) &&
	    (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode)))
		return -EROFS;
	if ((S_ISCHR(mode) || S_ISBLK(mode)) && p->mnt && (p->mnt->flags & MNT_NODEV))
		return -EACCES;
	return 0;
}

static int open_path(struct task *t, const struct path *p, int flags, bool created,
		     struct file **out)
{
	int r = created ? 0 : may_open(t, p, flags);
	if (r < 0)
		return r;
	struct file *f;
	r = vfs_dentry_open(p->mnt, p->dentry, flags, &f);
	if (r < 0)
		return r;
	if ((flags & O_TRUNC) && !(flags & O_PATH) && !created && S_ISREG(p->dentry->inode->mode)) {
		struct iattr a = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = 0 };
		vfs_now(&a.mtime);
		a.ctime = a.mtime;
		r = vfs_dentry_setattr(p->dentry, &a);
		if (r < 0) {
			file_put(f);
			return r;
		}
	}
	*out = f;
	return 0;
}

int vfs_open(struct task *t, int dirfd, const char *path, int flags, mode_t mode, struct file **out)
{
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL;

	if (!(flags & O_CREAT)) {
		unsigned int lf = 0;
		if (!(flags & O_NOFOLLOW))
			lf |= LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= LOOKUP_DIRECTORY;
		struct path p;
		int r = vfs_lookup(t, dirfd, path, lf, &p);
		if (r < 0)
			return r;
		r = open_path(t, &p, flags, false, out);
		path_put(&p);
		return r;
	}

	/* O_CREAT: resolve the parent, then create or open the last component, following a
	 * symlink there (unless O_EXCL or O_NOFOLLOW) by walking again from its directory. */
	struct nameparent np;
	int r = vfs_lookup_parent(t, dirfd, path, &np);
	if (r < 0)
		return r;
	char *linkbuf = NULL;
	for (int links = 0;;) {
		if (np.type != LAST_NORM || np.trailing_slash) {
			r = -EISDIR;
			break;
		}
		struct dentry *dir = np.dir.dentry;
		struct dentry *child;
		dir_lock_excl(dir->inode);
		r = lookup_locked(dir, np.last, &child);
		if (r == -ENOENT) {
			if (np.dir.mnt && (np.dir.mnt->flags & MNT_RDONLY)) {
				r = -EROFS;
			} else {
				dir_unlock(dir->inode);
				struct vfs_node node = { .mode = S_IFREG | (mode & 07777) };
				r = vfs_create_node(t, &np, &node, &child);
				if (r == -EEXIST)
					continue; /* lost a race with another creator: look again */
				if (r == 0) {
					struct path p = { np.dir.mnt, child };
					r = open_path(t, &p, flags, true, out);
					dentry_put(child);
				}
				break;
			}
		}
		dir_unlock(dir->inode);
		if (r < 0)
			break;
		if (flags & O_EXCL) {
			dentry_put(child);
			r = -EEXIST;
			break;
		}
		struct path p = { np.dir.mnt, child };
		if (p.mnt)
			mount_get(p.mnt);
		struct mount *m;
		while (p.mnt && (m = mount_lookup_child(p.mnt, p.dentry))) {
			dentry_get(m->root);
			path_put(&p);
			p.mnt = m;
			p.dentry = m->root;
		}
		if (S_ISDIR(p.dentry->inode->mode)) {
			path_put(&p);
			r = -EISDIR;
			break;
		}
		if (!S_ISLNK(p.dentry->inode->mode) || (flags & O_NOFOLLOW)) {
			r = open_path(t, &p, flags, false, out);
			path_put(&p);
			break;
		}
		if (++links > VFS_MAX_SYMLINKS) {
			path_put(&p);
			r = -ELOOP;
			break;
		}
		struct inode *li = p.dentry->inode;
		if (li->ops && li->ops->follow_link) {
			struct path target;
			r = li->ops->follow_link(p.dentry, &target);
			path_put(&p);
			if (r == 0) {
				r = open_path(t, &target, flags, false, out);
				path_put(&target);
			}
			break;
		}
		if (!linkbuf)
			linkbuf = malloc(PATH_MAX);
		ssize_t n =
			linkbuf ? vfs_dentry_readlink(p.dentry, linkbuf, PATH_MAX - 1) : -ENOMEM;
		path_put(&p);
		if (n <= 0) {
			r = n == 0 ? -ENOENT : (int)n;
			break;
		}
		linkbuf[n] = '\0';
		struct path root, start = np.dir;
		if (task_fs(t)) {
			fs_context_root(task_fs(t), &root);
		} else {
			root.mnt = mount_tree_root();
			root.dentry = root.mnt->root;
			dentry_get(root.dentry);
		}
		struct nameparent next;
		r = walk_from(t, &root, &start, linkbuf, 0, NULL, &next);
		path_put(&root);
		nameparent_release(&np);
		if (r < 0) {
			free(linkbuf);
			return r;
		}
		np = next;
	}
	free(linkbuf);
	nameparent_release(&np);
	return r;
}

int vfs_open_exec(struct task *t, const char *path, struct file **out)
{
	struct path p;
	int r = vfs_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	struct inode *inode = p.dentry->inode;
	if (!S_ISREG(inode->mode) || (p.mnt && (p.mnt->flags & MNT_NOEXEC)))
		r = -EACCES;
	else
		r = inode_permission(task_creds(t), inode, MAY_EXEC);
	if (r == 0)
		r = vfs_dentry_open(p.mnt, p.dentry, O_RDONLY, out);
	path_put(&p);
	return r;
}

/* ---- I/O ---- */

static bool file_has_pos(struct file *f)
{
	return !(f->mode & FMODE_STREAM);
}

/*
 * Calls a read or write op at the position the call uses: pos (pread/pwrite: -ESPIPE on a
 * stream), 0 for a stream, none for a file that keeps its own (FMODE_OWN_POS), else f->pos
 * under pos_lock, advanced by what moved.
 */
static ssize_t rw_at_pos(struct file *f,
			 ssize_t (*op)(struct file *, const struct iovec *, int, int64_t *),
			 const struct iovec *iov, int iovcnt, const int64_t *pos)
{
	int64_t p = 0;
	ssize_t r;

	if (pos) {
		if (!file_has_pos(f))
			return -ESPIPE;
		if (*pos < 0)
			return -EINVAL;
		p = *pos;
		return op(f, iov, iovcnt, &p);
	}
	if (!file_has_pos(f))
		return op(f, iov, iovcnt, &p);
	if (f->mode & FMODE_OWN_POS)
		return op(f, iov, iovcnt, NULL);
	pthread_mutex_lock(&f->pos_lock);
	p = f->pos;
	r = op(f, iov, iovcnt, &p);
	if (r > 0)
		f->pos = p;
	pthread_mutex_unlock(&f->pos_lock);
	return r;
}

static ssize_t do_readv(struct file *f, const struct iovec *iov, int iovcnt, const int64_t *pos)
{
	if (!(f->mode & FMODE_READ))
		return -EBADF;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops->read)
		return -EINVAL;
	return rw_at_pos(f, f->ops->read, iov, iovcnt, pos);
}

ssize_t vfs_readv(struct file *f, const struct iovec *iov, int iovcnt, const int64_t *pos)
{
	ssize_t r = do_readv(f, iov, iovcnt, pos);
	if (__atomic_load_n(&f->ep_links, __ATOMIC_ACQUIRE))
		eventpoll_rearm_file(f);
	return r;
}

static ssize_t do_writev(struct file *f, const struct iovec *iov, int iovcnt, const int64_t *pos)
{
	if (!(f->mode & FMODE_WRITE))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	return rw_at_pos(f, f->ops->write, iov, iovcnt, pos);
}

ssize_t vfs_writev(struct file *f, const struct iovec *iov, int iovcnt, const int64_t *pos)
{
	ssize_t r = do_writev(f, iov, iovcnt, pos);
	if (__atomic_load_n(&f->ep_links, __ATOMIC_ACQUIRE))
		eventpoll_rearm_file(f);
	return r;
}

ssize_t file_pread(struct file *f, void *buf, size_t len, int64_t off)
{
	struct iovec iov = { buf, len };
	return vfs_readv(f, &iov, 1, &off);
}

ssize_t file_pwrite(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct iovec iov = { (void *)buf, len };
	return vfs_writev(f, &iov, 1, &off);
}

int64_t generic_file_llseek(struct file *f, int64_t off, int whence)
{
	struct inode *inode = f->inode;
	pthread_mutex_lock(&inode->lock);
	int64_t size = inode->size;
	pthread_mutex_unlock(&inode->lock);
	int64_t base;
	bool dir = S_ISDIR(inode->mode);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		if (dir)
			return -EINVAL;
		base = size;
		break;
	case SEEK_DATA:
		if (dir || off < 0 || off >= size)
			return dir ? -EINVAL : -ENXIO;
		f->pos = off;
		return off;
	case SEEK_HOLE:
		if (dir || off < 0 || off >= size)
			return dir ? -EINVAL : -ENXIO;
		f->pos = size;
		return size;
	default:
		return -EINVAL;
	}
	int64_t np;
	if (__builtin_add_overflow(base, off, &np) || np < 0)
		return -EINVAL;
	f->pos = np;
	return np;
}

int64_t vfs_llseek(struct file *f, int64_t off, int whence)
{
	if (f->mode & FMODE_PATH)
		return -EBADF;
	if (!file_has_pos(f))
		return -ESPIPE;
	if ((f->mode & FMODE_OWN_POS) && f->ops->llseek)
		return f->ops->llseek(f, off, whence);
	pthread_mutex_lock(&f->pos_lock);
	int64_t r = f->ops->llseek ? f->ops->llseek(f, off, whence) :
				     generic_file_llseek(f, off, whence);
	pthread_mutex_unlock(&f->pos_lock);
	return r;
}

int vfs_iterate(struct file *f, struct dir_context *ctx)
{
	if (f->mode & FMODE_PATH)
		return -EBADF;
	struct inode *inode = f->inode;
	if (!S_ISDIR(inode->mode) || !f->ops->iterate)
		return -ENOTDIR;
	pthread_mutex_lock(&f->pos_lock);
	ctx->pos = f->pos;
	int r = 0;
	if (ctx->pos == 0) {
		if (!dir_emit(ctx, ".", 1, inode->ino, DT_DIR))
			goto out;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct dentry *parent = dentry_parent(f->path.dentry);
		bool ok = dir_emit(ctx, "..", 2, parent->inode->ino, DT_DIR);
		dentry_put(parent);
		if (!ok)
			goto out;
		ctx->pos = 2;
	}
	dir_lock_shared(inode);
	if (__atomic_load_n(&inode->flags, __ATOMIC_RELAXED) & INODE_DEAD)
		r = 0; /* a removed directory lists nothing more */
	else
		r = f->ops->iterate(f, ctx);
	dir_unlock(inode);
out:
	f->pos = ctx->pos;
	pthread_mutex_unlock(&f->pos_lock);
	return r;
}

unsigned int vfs_poll(struct file *f, struct waitqueue **wq)
{
	*wq = NULL;
	if (f->mode & FMODE_PATH)
		return POLLNVAL;
	if (!f->ops->poll)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	return f->ops->poll(f, wq);
}

long vfs_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
	if (f->mode & FMODE_PATH)
		return -EBADF;
	if (!f->ops->ioctl)
		return -ENOTTY;
	return f->ops->ioctl(f, t, cmd, arg);
}

int vfs_fsync(struct file *f, bool datasync)
{
	if (f->mode & FMODE_PATH)
		return -EBADF;
	if (f->ops->fsync)
		return f->ops->fsync(f, datasync);
	/* Memory-backed files have nothing to flush; pipes and the like refuse, as Linux. */
	return S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode) ? 0 : -EINVAL;
}

int vfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (!(f->mode & FMODE_WRITE))
		return -EBADF;
	if (S_ISFIFO(f->inode->mode))
		return -ESPIPE;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!S_ISREG(f->inode->mode))
		return -ENODEV;
	int64_t end;
	if (__builtin_add_overflow(off, len, &end))
		return -EFBIG;
	if (!f->ops->fallocate)
		return -EOPNOTSUPP;
	return f->ops->fallocate(f, mode, off, len);
}

int vfs_ftruncate(struct task *t, struct file *f, int64_t size)
{
	if (size < 0)
		return -EINVAL;
	if (f->mode & FMODE_PATH)
		return -EBADF;
	if (!S_ISREG(f->inode->mode) || !(f->mode & FMODE_WRITE))
		return -EINVAL;
	if (file_flags(f) & O_APPEND)
		return -EPERM;
	struct iattr a = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = size };
	vfs_now(&a.mtime);
	a.ctime = a.mtime;
	return vfs_dentry_setattr(f->path.dentry, &a);
}

int file_stat(struct file *f, struct kstat *st)
{
	if (f->ops && f->ops->getattr)
		return f->ops->getattr(f, st);
	return vfs_dentry_getattr(f->path.dentry, st);
}

int file_mmap_mobj(struct file *f, uint64_t off, size_t len, struct mobj **m, uint64_t *m_off)
{
	if (!f->ops->mmap)
		return -ENODEV;
	return f->ops->mmap(f, off, len, m, m_off);
}

/* ---- directory snapshots ---- */

int dir_snapshot_add(struct dir_snapshot *s, const char *name, uint64_t ino, unsigned int type)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct dir_snapshot_entry *e = realloc(s->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->ents = e;
		s->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	s->ents[s->n++] = (struct dir_snapshot_entry){ copy, ino, type };
	return 0;
}

void dir_snapshot_free(struct dir_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->ents[i].name);
	free(s->ents);
	s->ents = NULL;
	s->n = s->cap = 0;
}

int dir_snapshot_emit(struct dir_snapshot *s, struct dir_context *ctx)
{
	while (ctx->pos >= 2 && (size_t)(ctx->pos - 2) < s->n) {
		struct dir_snapshot_entry *e = &s->ents[ctx->pos - 2];
		if (!dir_emit(ctx, e->name, strlen(e->name), e->ino, e->type))
			return 0;
		ctx->pos++;
	}
	return 0;
}
