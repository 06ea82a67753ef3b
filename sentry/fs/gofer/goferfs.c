/*
 * goferfs: each inode is a gofer fid. Lookups walk one component through the gofer; opening a
 * regular file gets a host fd donated by the gofer, which reads and writes with preadv/pwritev
 * straight into the guest's buffers. Attributes are cached from the walk: the rootfs is only
 * changed through us, and a changed attribute is refetched. A shared filesystem (a bind mount,
 * which the host may change while the container runs) follows the host instead, as gVisor's
 * shared file access and a bind mount under runc do: a cached dentry is walked again before
 * use (one round trip: is the name still there, still the same file?), stat asks the gofer
 * and fstat the donated fd, and lseek from the end takes the host's size; reads need nothing,
 * preadv goes to the host's end of file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gofer/client.h"
#include "lib/util.h"
#include "sentry/fs/gofer/goferfs.h"
#include "sentry/vfs/vfs.h"

#define GOFER_MAX_DEVS 64
/* Entries asked for per readdir round trip (the reply holds what fits in one message). */
#define GOFER_READDIR_BATCH 256

struct gofer_sb {
	struct gofer_client *c;
	bool shared; /* the host may change the files: revalidate (fixed at creation) */
	pthread_mutex_t dev_lock; /* guards the device table; a leaf */
	/* Host devices seen, each shown as a sandbox device of its own so that (st_dev, st_ino)
	 * stays unique when the export spans host filesystems. */
	uint64_t host_devs[GOFER_MAX_DEVS];
	dev_t local_devs[GOFER_MAX_DEVS];
	int ndevs;
};

struct gofer_inode {
	struct inode vfs;
	gofer_fid fid;
	uint64_t host_dev; /* with vfs.ino, which host file the fid is (for revalidation) */
	uint64_t dev;	   /* st_dev shown */
	uint32_t blksize;
	char *link; /* symlink target, fetched once; guarded by vfs.lock */
};

struct gofer_file {
	int fd; /* host fd from gofer_open, or -1 for directories */
	struct dir_snapshot snap;
	bool loaded;
};

static const struct super_ops gofer_sb_ops;
static const struct inode_ops gofer_inode_ops;
static const struct file_ops gofer_file_fops, gofer_dir_fops;

static struct gofer_inode *GI(struct inode *inode)
{
	return (struct gofer_inode *)inode;
}

static struct gofer_sb *GSB(struct superblock *sb)
{
	return sb->priv;
}

static struct gofer_client *client_of(struct inode *inode)
{
	return GSB(inode->sb)->c;
}

static dev_t local_dev(struct superblock *sb, uint64_t host_dev)
{
	struct gofer_sb *gs = GSB(sb);
	pthread_mutex_lock(&gs->dev_lock);
	dev_t d = sb->dev;
	int i;
	for (i = 0; i < gs->ndevs; i++)
		if (gs->host_devs[i] == host_dev)
			break;
	if (i < gs->ndevs) {
		d = gs->local_devs[i];
	} else if (gs->ndevs < GOFER_MAX_DEVS) {
		/* The first device (the export's root) is the superblock's own. */
		if (gs->ndevs > 0)
			d = vfs_alloc_anon_dev();
		gs->host_devs[gs->ndevs] = host_dev;
		gs->local_devs[gs->ndevs++] = d;
	}
	pthread_mutex_unlock(&gs->dev_lock);
	return d;
}

/* Copies a gofer stat into the inode's cached attributes. */
static void apply_stat(struct inode *inode, const struct gofer_stat *st)
{
	pthread_mutex_lock(&inode->lock);
	inode->ino = st->ino;
	inode->mode = st->mode;
	inode->uid = st->uid;
	inode->gid = st->gid;
	inode->nlink = st->nlink;
	inode->rdev = (dev_t)st->rdev;
	inode->size = st->size;
	inode->blocks = st->blocks;
	inode->atime = st->atime;
	inode->mtime = st->mtime;
	inode->ctime = st->ctime;
	GI(inode)->blksize = st->blksize;
	pthread_mutex_unlock(&inode->lock);
}

static struct inode *gofer_new_inode(struct superblock *sb, gofer_fid fid,
				     const struct gofer_stat *st)
{
	struct gofer_inode *gi = calloc(1, sizeof(*gi));
	if (!gi)
		return NULL;
	mode_t mode = st->mode;
	inode_init(&gi->vfs, sb, mode, &gofer_inode_ops,
		   S_ISDIR(mode) ? &gofer_dir_fops : &gofer_file_fops);
	gi->fid = fid;
	gi->host_dev = st->dev;
	gi->dev = local_dev(sb, st->dev);
	apply_stat(&gi->vfs, st);
	return &gi->vfs;
}

static void gofer_evict(struct inode *inode)
{
	struct gofer_inode *gi = GI(inode);
	gofer_close(client_of(inode), gi->fid);
	free(gi->link);
	free(gi);
}

static void gofer_put_super(struct superblock *sb)
{
	struct gofer_sb *gs = GSB(sb);
	pthread_mutex_destroy(&gs->dev_lock);
	free(gs);
}

static int gofer_statfs_op(struct superblock *sb, struct statfs *st)
{
	return gofer_statfs(GSB(sb)->c, GI(sb->root->inode)->fid, st);
}

static const struct super_ops gofer_sb_ops = {
	.evict_inode = gofer_evict,
	.statfs = gofer_statfs_op,
	.put_super = gofer_put_super,
};

static int gofer_revalidate(struct dentry *dir, const char *name, struct dentry *d);

static const struct super_ops gofer_shared_sb_ops = {
	.evict_inode = gofer_evict,
	.statfs = gofer_statfs_op,
	.put_super = gofer_put_super,
	.revalidate = gofer_revalidate,
};

/* Refetches the attributes after a change. */
static int refresh(struct inode *inode)
{
	struct gofer_stat st;
	int r = gofer_stat(client_of(inode), GI(inode)->fid, &st);
	if (r == 0)
		apply_stat(inode, &st);
	return r;
}

static bool is_shared(struct inode *inode)
{
	return GSB(inode->sb)->shared;
}

/* Refetches the attributes of an open file from its donated host fd (no round trip). */
static int refresh_from_fd(struct inode *inode, int fd)
{
	struct stat hs;
	if (fstat(fd, &hs) < 0)
		return -errno;
	struct gofer_stat st;
	gofer_stat_from_host(&hs, &st);
	apply_stat(inode, &st);
	return 0;
}

/* ---- inode operations ---- */

/* One name in dir through the gofer: a new fid and its attributes. */
static int walk(struct inode *dir, const char *name, gofer_fid *fid, struct gofer_stat *st)
{
	int r = gofer_walk(client_of(dir), GI(dir)->fid, name, fid, st);
	if (r == -EMFILE || r == -ENFILE) {
		/* Each cached dentry holds a fid, an fd in the gofer: forget the unused ones (their
		 * closes reach the gofer before the retried walk) and try again. */
		dcache_shrink();
		r = gofer_walk(client_of(dir), GI(dir)->fid, name, fid, st);
	}
	return r;
}

static int gofer_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	gofer_fid fid;
	struct gofer_stat st;
	int r = walk(dir->inode, name, &fid, &st);
	if (r < 0)
		return r;
	*out = gofer_new_inode(dir->sb, fid, &st);
	if (!*out) {
		gofer_close(client_of(dir->inode), fid);
		return -ENOMEM;
	}
	return 0;
}

static int gofer_mknod_op(struct dentry *dir, const char *name, const struct vfs_node *node,
			  struct inode **out)
{
	struct gofer_client *c = client_of(dir->inode);
	gofer_fid dfid = GI(dir->inode)->fid, fid;
	struct gofer_stat st;
	int r;
	switch (node->mode & S_IFMT) {
	case S_IFREG: {
		int fd = -1;
		r = gofer_create(c, dfid, name, O_RDWR | O_EXCL, node->mode & 07777, node->uid,
				 node->gid, &fid, &st, &fd);
		if (fd >= 0)
			close(fd);
		break;
	}
	case S_IFDIR:
		r = gofer_mkdir(c, dfid, name, node->mode & 07777, node->uid, node->gid, &fid, &st);
		break;
	case S_IFLNK:
		r = gofer_symlink(c, dfid, name, node->target, node->uid, node->gid, &fid, &st);
		break;
	default:
		r = gofer_mknod(c, dfid, name, node->mode, node->rdev, node->uid, node->gid, &fid,
				&st);
		break;
	}
	if (r < 0)
		return r;
	refresh(dir->inode);
	*out = gofer_new_inode(dir->sb, fid, &st);
	if (!*out) {
		gofer_close(c, fid);
		return -ENOMEM;
	}
	return 0;
}

static int gofer_link_op(struct dentry *old, struct dentry *dir, const char *name)
{
	int r = gofer_link(client_of(dir->inode), GI(dir->inode)->fid, name, GI(old->inode)->fid);
	if (r == 0) {
		refresh(old->inode);
		refresh(dir->inode);
	}
	return r;
}

static int gofer_remove(struct dentry *dir, struct dentry *victim, int flags)
{
	int r = gofer_unlink(client_of(dir->inode), GI(dir->inode)->fid, victim->name, flags);
	if (r == 0) {
		refresh(dir->inode);
		if (flags) {
			pthread_mutex_lock(&victim->inode->lock);
			victim->inode->nlink = 0;
			pthread_mutex_unlock(&victim->inode->lock);
		} else {
			refresh(victim->inode);
		}
	}
	return r;
}

static int gofer_unlink_op(struct dentry *dir, struct dentry *victim)
{
	return gofer_remove(dir, victim, 0);
}

static int gofer_rmdir_op(struct dentry *dir, struct dentry *victim)
{
	return gofer_remove(dir, victim, AT_REMOVEDIR);
}

static int gofer_rename_op(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
			   const char *newname, struct dentry *target, unsigned int flags)
{
	if (flags)
		return -EINVAL;
	int r = gofer_rename(client_of(olddir->inode), GI(olddir->inode)->fid, old->name,
			     GI(newdir->inode)->fid, newname);
	if (r == 0) {
		refresh(olddir->inode);
		if (newdir != olddir)
			refresh(newdir->inode);
	}
	return r;
}

static ssize_t gofer_readlink_op(struct dentry *d, char *buf, size_t len)
{
	struct gofer_inode *gi = GI(d->inode);
	pthread_mutex_lock(&gi->vfs.lock);
	char *link = gi->link;
	pthread_mutex_unlock(&gi->vfs.lock);
	if (!link) {
		char *tmp = malloc(PATH_MAX + 1);
		if (!tmp)
			return -ENOMEM;
		ssize_t n = gofer_readlink(client_of(d->inode), gi->fid, tmp, PATH_MAX);
		if (n < 0) {
			free(tmp);
			return n;
		}
		tmp[MIN((size_t)n, (size_t)PATH_MAX)] = '\0';
		pthread_mutex_lock(&gi->vfs.lock);
		if (!gi->link)
			gi->link = tmp;
		else
			free(tmp);
		link = gi->link;
		pthread_mutex_unlock(&gi->vfs.lock);
	}
	size_t n = strlen(link);
	memcpy(buf, link, MIN(n, len));
	return (ssize_t)n;
}

/*
 * Shared filesystems only: the name is walked again, and the new fid closed at once (the
 * close needs no reply, so this is one round trip). The old fid keeps the file it was opened
 * on alive on the host, so its inode number cannot be reused: a different (dev, ino) means
 * the name was replaced.
 */
static int gofer_revalidate(struct dentry *dir, const char *name, struct dentry *d)
{
	gofer_fid fid;
	struct gofer_stat st;
	int r = walk(dir->inode, name, &fid, &st);
	if (r < 0)
		return r;
	gofer_close(client_of(dir->inode), fid);
	struct inode *inode = d->inode;
	if (st.dev != GI(inode)->host_dev || st.ino != inode->ino ||
	    (st.mode & S_IFMT) != (inode->mode & S_IFMT))
		return -ESTALE;
	apply_stat(inode, &st);
	return 0;
}

static void fillattr(struct inode *inode, struct kstat *st)
{
	generic_fillattr(inode, st);
	st->dev = GI(inode)->dev;
	st->blksize = GI(inode)->blksize ? GI(inode)->blksize : PAGE_SIZE;
}

static int gofer_getattr(struct dentry *d, struct kstat *st)
{
	if (is_shared(d->inode)) {
		int r = refresh(d->inode);
		if (r < 0)
			return r;
	}
	fillattr(d->inode, st);
	return 0;
}

static int gofer_setattr(struct dentry *d, const struct iattr *attr)
{
	struct gofer_setattr ga = { 0 };
	if (attr->valid & ATTR_MODE) {
		ga.mask |= GOFER_SET_MODE;
		ga.mode = attr->mode & 07777;
	}
	if (attr->valid & ATTR_UID) {
		ga.mask |= GOFER_SET_UID;
		ga.uid = attr->uid;
	}
	if (attr->valid & ATTR_GID) {
		ga.mask |= GOFER_SET_GID;
		ga.gid = attr->gid;
	}
	if (attr->valid & ATTR_SIZE) {
		ga.mask |= GOFER_SET_SIZE;
		ga.size = attr->size;
	}
	if (attr->valid & ATTR_ATIME) {
		ga.mask |= GOFER_SET_ATIME;
		ga.atime = attr->atime;
	}
	if (attr->valid & ATTR_MTIME) {
		ga.mask |= GOFER_SET_MTIME;
		ga.mtime = attr->mtime;
	}
	if (!ga.mask)
		return 0;
	int r = gofer_setstat(client_of(d->inode), GI(d->inode)->fid, &ga);
	if (r == 0)
		refresh(d->inode);
	return r;
}

static int gofer_open_op(struct dentry *d, struct file *f)
{
	struct gofer_file *gf = calloc(1, sizeof(*gf));
	if (!gf)
		return -ENOMEM;
	gf->fd = -1;
	if (!S_ISDIR(d->inode->mode)) {
		int flags = (int)file_flags(f) & (O_ACCMODE | O_APPEND);
		int r = gofer_open(client_of(d->inode), GI(d->inode)->fid, flags, &gf->fd);
		if (r < 0) {
			free(gf);
			return r;
		}
	}
	f->priv = gf;
	return 0;
}

static const struct inode_ops gofer_inode_ops = {
	.lookup = gofer_lookup,
	.mknod = gofer_mknod_op,
	.link = gofer_link_op,
	.unlink = gofer_unlink_op,
	.rmdir = gofer_rmdir_op,
	.rename = gofer_rename_op,
	.readlink = gofer_readlink_op,
	.getattr = gofer_getattr,
	.setattr = gofer_setattr,
	.open = gofer_open_op,
};

/* ---- files ---- */

static struct gofer_file *GF(struct file *f)
{
	return f->priv;
}

static ssize_t gofer_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	ssize_t n = preadv(GF(f)->fd, iov, MIN(iovcnt, IOV_MAX), *pos);
	if (n < 0)
		return -errno;
	*pos += n;
	return n;
}

static ssize_t gofer_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	int fd = GF(f)->fd;
	ssize_t n = pwritev(fd, iov, MIN(iovcnt, IOV_MAX), *pos);
	if (n < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0) {
		pthread_mutex_lock(&f->inode->lock);
		f->inode->size = st.st_size;
		f->inode->blocks = st.st_blocks;
		f->inode->mtime = st.st_mtim;
		f->inode->ctime = st.st_ctim;
		pthread_mutex_unlock(&f->inode->lock);
		/* With O_APPEND the host wrote at its end of file, whatever pos said. */
		*pos = (file_flags(f) & O_APPEND) ? st.st_size : *pos + n;
	} else {
		*pos += n;
	}
	return n;
}

static int gofer_fsync(struct file *f, bool datasync)
{
	if (GF(f)->fd < 0)
		return 0;
	return (datasync ? fdatasync(GF(f)->fd) : fsync(GF(f)->fd)) < 0 ? -errno : 0;
}

static int gofer_file_getattr(struct file *f, struct kstat *st)
{
	if (is_shared(f->inode) && GF(f) && GF(f)->fd >= 0) {
		int r = refresh_from_fd(f->inode, GF(f)->fd);
		if (r < 0)
			return r;
		fillattr(f->inode, st);
		return 0;
	}
	return gofer_getattr(f->path.dentry, st);
}

/* From the end (or looking for data and holes), a shared file's size is the host's now. */
static int64_t gofer_file_llseek(struct file *f, int64_t off, int whence)
{
	if (is_shared(f->inode) && GF(f)->fd >= 0 &&
	    (whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE)) {
		int r = refresh_from_fd(f->inode, GF(f)->fd);
		if (r < 0)
			return r;
	}
	return generic_file_llseek(f, off, whence);
}

static int gofer_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	if (fallocate(GF(f)->fd, mode, off, len) < 0)
		return -errno;
	return refresh(f->inode);
}

static void gofer_release(struct file *f)
{
	struct gofer_file *gf = GF(f);
	if (gf->fd >= 0)
		close(gf->fd);
	dir_snapshot_free(&gf->snap);
	free(gf);
}

static const struct file_ops gofer_file_fops = {
	.read = gofer_read,
	.write = gofer_write,
	.llseek = gofer_file_llseek,
	.getattr = gofer_file_getattr,
	.fsync = gofer_fsync,
	.fallocate = gofer_fallocate,
	.release = gofer_release,
};

static int load_dir(struct file *f)
{
	struct gofer_file *gf = GF(f);
	struct gofer_client *c = client_of(f->inode);
	gofer_fid fid = GI(f->inode)->fid;
	dir_snapshot_free(&gf->snap);
	struct gofer_dirent *ents = malloc(GOFER_READDIR_BATCH * sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	uint64_t off = 0;
	int r;
	for (;;) {
		r = gofer_readdir(c, fid, off, ents, GOFER_READDIR_BATCH);
		if (r <= 0)
			break;
		for (int i = 0; i < r; i++) {
			ents[i].name[sizeof(ents[i].name) - 1] = '\0';
			int e = dir_snapshot_add(&gf->snap, ents[i].name, ents[i].ino,
						 ents[i].type);
			if (e < 0) {
				free(ents);
				return e;
			}
			off = ents[i].off;
		}
	}
	free(ents);
	if (r < 0)
		return r;
	gf->loaded = true;
	return 0;
}

static int gofer_iterate(struct file *f, struct dir_context *ctx)
{
	struct gofer_file *gf = GF(f);
	/* Fetched whole at the start (opendir, rewinddir): positions stay stable after. */
	if (!gf->loaded) {
		int r = load_dir(f);
		if (r < 0)
			return r;
	}
	return dir_snapshot_emit(&gf->snap, ctx);
}

/* Seeking back to the start (rewinddir) fetches the directory again. */
static int64_t gofer_dir_llseek(struct file *f, int64_t off, int whence)
{
	int64_t r = generic_file_llseek(f, off, whence);
	if (r == 0)
		GF(f)->loaded = false;
	return r;
}

static const struct file_ops gofer_dir_fops = {
	.iterate = gofer_iterate,
	.llseek = gofer_dir_llseek,
	.getattr = gofer_file_getattr,
	.fsync = gofer_fsync,
	.release = gofer_release,
};

int goferfs_new(struct gofer_client *c, uint32_t export_index, const char *source, bool shared,
		struct superblock **out)
{
	gofer_fid root;
	struct gofer_stat st;
	int r = gofer_attach(c, export_index, &root, &st);
	if (r < 0)
		return r;
	struct superblock *sb =
		sb_new(shared ? &gofer_shared_sb_ops : &gofer_sb_ops, "9p", GOFERFS_MAGIC, source);
	struct gofer_sb *gs = sb ? calloc(1, sizeof(*gs)) : NULL;
	if (!gs) {
		if (sb)
			sb_put(sb);
		gofer_close(c, root);
		return -ENOMEM;
	}
	gs->c = c;
	gs->shared = shared;
	pthread_mutex_init(&gs->dev_lock, NULL);
	sb->priv = gs;
	struct inode *inode = gofer_new_inode(sb, root, &st);
	if (!inode) {
		gofer_close(c, root);
		sb_put(sb);
		return -ENOMEM;
	}
	r = sb_set_root(sb, inode);
	if (r < 0) {
		sb_put(sb);
		return r;
	}
	*out = sb;
	return 0;
}
