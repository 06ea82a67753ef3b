/*
 * Superblocks, inodes and the dentry cache: lifetimes, the name hash, the LRU of unused
 * dentries, and the generic attribute and permission helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/internal.h"

pthread_mutex_t dcache_lock = PTHREAD_MUTEX_INITIALIZER;

/* 4096 unused dentries keep `ls -la` of a big directory cached without pinning a gofer fid
 * for every file ever looked at (each gofer dentry holds one on the gofer's side). */
unsigned long dcache_max_unused = 4096;

#define DHASH_BITS 14
static struct dentry *dhash[1u << DHASH_BITS]; /* dcache_lock */
static struct dentry lru_head = { .lru_prev = &lru_head, .lru_next = &lru_head };
static unsigned long lru_count; /* dcache_lock */

/* ---- superblocks ---- */

/* Anonymous device numbers (major 0), as Linux gives tmpfs, proc, overlay. */
static unsigned int next_anon_minor = 16; /* atomic */

dev_t vfs_alloc_anon_dev(void)
{
	return makedev(0, __atomic_fetch_add(&next_anon_minor, 1, __ATOMIC_RELAXED));
}

static void sb_release(struct superblock *sb)
{
	if (__atomic_sub_fetch(&sb->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (sb->ops && sb->ops->put_super)
		sb->ops->put_super(sb);
	pthread_mutex_destroy(&sb->rename_lock);
	free(sb);
}

struct superblock *sb_new(const struct super_ops *ops, const char *type, unsigned long magic,
			  const char *source)
{
	struct superblock *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->active = 1;
	sb->refs = 1;
	sb->ops = ops;
	sb->type = type;
	sb->source = source ? source : type;
	sb->magic = magic;
	sb->dev = vfs_alloc_anon_dev();
	sb->next_ino = 1;
	pthread_mutex_init(&sb->rename_lock, NULL);
	return sb;
}

void sb_get(struct superblock *sb)
{
	__atomic_fetch_add(&sb->active, 1, __ATOMIC_RELAXED);
}

static void dcache_shrink_sb(struct superblock *sb);

void sb_put(struct superblock *sb)
{
	if (__atomic_sub_fetch(&sb->active, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Nobody can reach the tree any more: drop what the cache keeps, then the root. */
	dcache_shrink_sb(sb);
	if (sb->root) {
		struct dentry *root = sb->root;
		sb->root = NULL;
		dentry_put(root);
	}
	sb_release(sb);
}

uint64_t sb_alloc_ino(struct superblock *sb)
{
	return __atomic_fetch_add(&sb->next_ino, 1, __ATOMIC_RELAXED);
}

int sb_set_root(struct superblock *sb, struct inode *root)
{
	struct dentry *d = calloc(1, sizeof(*d));
	char *name = strdup("/");
	if (!d || !name) {
		free(d);
		free(name);
		inode_put(root);
		return -ENOMEM;
	}
	d->refs = 1;
	d->parent = d;
	d->name = name;
	d->name_len = 1;
	d->inode = root;
	d->sb = sb;
	sb->root = d;
	return 0;
}

/* ---- inodes ---- */

void inode_init(struct inode *inode, struct superblock *sb, mode_t mode,
		const struct inode_ops *ops, const struct file_ops *fops)
{
	inode->refs = 1;
	inode->sb = sb;
	__atomic_fetch_add(&sb->refs, 1, __ATOMIC_RELAXED);
	inode->ops = ops;
	inode->fops = fops;
	pthread_rwlock_init(&inode->dir_lock, NULL);
	pthread_mutex_init(&inode->lock, NULL);
	inode->mode = mode;
	inode->nlink = 1;
	struct timespec now;
	vfs_now(&now);
	inode->atime = inode->mtime = inode->ctime = now;
}

void inode_get(struct inode *inode)
{
	__atomic_fetch_add(&inode->refs, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *inode)
{
	if (!inode || __atomic_sub_fetch(&inode->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	struct superblock *sb = inode->sb;
	if (inode->pipe)
		pipe_put(inode->pipe);
	pthread_rwlock_destroy(&inode->dir_lock);
	pthread_mutex_destroy(&inode->lock);
	sb->ops->evict_inode(inode);
	sb_release(sb);
}

void vfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static bool in_group(const struct creds *c, gid_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups && i < NGROUPS_MAX_GUEST; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

const struct creds *task_creds(struct task *t)
{
	return t ? &t->creds : NULL;
}

int generic_permission(struct inode *inode, const struct creds *c, int mask)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&inode->lock);
	mode_t mode = inode->mode;
	uid_t uid = inode->uid;
	gid_t gid = inode->gid;
	pthread_mutex_unlock(&inode->lock);

	unsigned int perm;
	if (c->fsuid == uid)
		perm = (mode >> 6) & 7;
	else if (in_group(c, gid))
		perm = (mode >> 3) & 7;
	else
		perm = mode & 7;
	if (!(mask & 7 & ~perm))
		return 0;
	/* Linux's overrides: CAP_DAC_READ_SEARCH reads and searches, CAP_DAC_OVERRIDE does all
	 * but execute a file no x bit allows. */
	if (S_ISDIR(mode)) {
		if (!(mask & MAY_WRITE) && creds_capable(c, CAP_DAC_READ_SEARCH))
			return 0;
		return creds_capable(c, CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
	if (mask == MAY_READ && creds_capable(c, CAP_DAC_READ_SEARCH))
		return 0;
	if ((!(mask & MAY_EXEC) || (mode & 0111)) && creds_capable(c, CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

int inode_permission(const struct creds *c, struct inode *inode, int mask)
{
	if (!c)
		return 0;
	if (inode->ops && inode->ops->permission)
		return inode->ops->permission(inode, c, mask);
	return generic_permission(inode, c, mask);
}

void generic_fillattr(struct inode *inode, struct kstat *st)
{
	pthread_mutex_lock(&inode->lock);
	memset(st, 0, sizeof(*st));
	st->dev = inode->sb->dev;
	st->ino = inode->ino;
	st->nlink = inode->nlink;
	st->rdev = inode->rdev;
	st->mode = inode->mode;
	st->uid = inode->uid;
	st->gid = inode->gid;
	st->blksize = PAGE_SIZE;
	st->size = inode->size;
	st->blocks = inode->blocks;
	st->atime = inode->atime;
	st->mtime = inode->mtime;
	st->ctime = inode->ctime;
	pthread_mutex_unlock(&inode->lock);
}

void inode_apply_attr(struct inode *inode, const struct iattr *attr)
{
	if (attr->valid & ATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (attr->mode & 07777);
	if (attr->valid & ATTR_UID)
		inode->uid = attr->uid;
	if (attr->valid & ATTR_GID)
		inode->gid = attr->gid;
	if (attr->valid & ATTR_ATIME)
		inode->atime = attr->atime;
	if (attr->valid & ATTR_MTIME)
		inode->mtime = attr->mtime;
	if (attr->valid & ATTR_CTIME)
		inode->ctime = attr->ctime;
}

int generic_setattr(struct dentry *d, const struct iattr *attr)
{
	if (attr->valid & ATTR_SIZE)
		return -EPERM;
	pthread_mutex_lock(&d->inode->lock);
	inode_apply_attr(d->inode, attr);
	pthread_mutex_unlock(&d->inode->lock);
	return 0;
}

unsigned int vfs_dtype(mode_t mode)
{
	return (mode & S_IFMT) >> 12; /* DT_* are the S_IFMT bits shifted, as Linux's */
}

/* ---- dentries ---- */

static unsigned int dhash_index(const struct dentry *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)parent;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return (unsigned int)(h ^ (h >> 32)) & ((1u << DHASH_BITS) - 1);
}

static void dhash_insert(struct dentry *d)
{
	unsigned int i = dhash_index(d->parent, d->name, d->name_len);
	d->hash_next = dhash[i];
	dhash[i] = d;
	d->flags |= DENTRY_HASHED;
}

static void dhash_remove(struct dentry *d)
{
	if (!(d->flags & DENTRY_HASHED))
		return;
	struct dentry **pp = &dhash[dhash_index(d->parent, d->name, d->name_len)];
	while (*pp && *pp != d)
		pp = &(*pp)->hash_next;
	BUG_ON(!*pp);
	*pp = d->hash_next;
	d->hash_next = NULL;
	d->flags &= ~DENTRY_HASHED;
}

static struct dentry *dhash_find(struct dentry *parent, const char *name, size_t len)
{
	for (struct dentry *d = dhash[dhash_index(parent, name, len)]; d; d = d->hash_next)
		if (d->parent == parent && d->name_len == len && memcmp(d->name, name, len) == 0)
			return d;
	return NULL;
}

static void lru_remove(struct dentry *d)
{
	if (!(d->flags & DENTRY_LRU))
		return;
	d->lru_prev->lru_next = d->lru_next;
	d->lru_next->lru_prev = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
	d->flags &= ~DENTRY_LRU;
	lru_count--;
}

static void lru_add(struct dentry *d)
{
	d->lru_next = lru_head.lru_next;
	d->lru_prev = &lru_head;
	lru_head.lru_next->lru_prev = d;
	lru_head.lru_next = d;
	d->flags |= DENTRY_LRU;
	lru_count++;
}

/* Takes a reference under dcache_lock, taking d off the LRU if it was unused. */
static void dget_locked(struct dentry *d)
{
	if (__atomic_fetch_add(&d->refs, 1, __ATOMIC_ACQ_REL) == 0)
		lru_remove(d);
}

void dentry_get(struct dentry *d)
{
	__atomic_fetch_add(&d->refs, 1, __ATOMIC_RELAXED);
}

/* Frees an unused, unhashed dentry; returns its parent reference for the caller to drop. */
static struct dentry *dentry_free(struct dentry *d)
{
	struct dentry *parent = d->parent == d ? NULL : d->parent;
	inode_put(d->inode);
	free(d->name);
	free(d);
	return parent;
}

/* Unhashes up to n least recently used dentries (dcache_lock held) into a list. */
static struct dentry *lru_take(unsigned long n, struct superblock *only)
{
	struct dentry *victims = NULL;
	struct dentry *d = lru_head.lru_prev;
	while (n > 0 && d != &lru_head) {
		struct dentry *prev = d->lru_prev;
		if (!only || d->sb == only) {
			lru_remove(d);
			dhash_remove(d);
			d->hash_next = victims;
			victims = d;
			n--;
		}
		d = prev;
	}
	return victims;
}

static void free_victims(struct dentry *victims)
{
	while (victims) {
		struct dentry *next = victims->hash_next;
		struct dentry *parent = dentry_free(victims);
		if (parent)
			dentry_put(parent);
		victims = next;
	}
}

void dentry_put(struct dentry *d)
{
	while (d) {
		int r = __atomic_load_n(&d->refs, __ATOMIC_RELAXED);
		while (r > 1) {
			if (__atomic_compare_exchange_n(&d->refs, &r, r - 1, false,
							__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return;
		}
		pthread_mutex_lock(&dcache_lock);
		if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) > 0) {
			pthread_mutex_unlock(&dcache_lock);
			return;
		}
		if (d->flags & DENTRY_HASHED) {
			lru_add(d);
			struct dentry *victims = NULL;
			if (lru_count > dcache_max_unused)
				victims = lru_take(lru_count - dcache_max_unused + 64, NULL);
			pthread_mutex_unlock(&dcache_lock);
			free_victims(victims);
			return;
		}
		pthread_mutex_unlock(&dcache_lock);
		d = dentry_free(d);
	}
}

void dcache_shrink(void)
{
	for (;;) {
		pthread_mutex_lock(&dcache_lock);
		struct dentry *victims = lru_take(lru_count, NULL);
		pthread_mutex_unlock(&dcache_lock);
		if (!victims)
			return;
		free_victims(victims); /* may put parents on the LRU: go again */
	}
}

static void dcache_shrink_sb(struct superblock *sb)
{
	for (;;) {
		pthread_mutex_lock(&dcache_lock);
		struct dentry *victims = lru_take(~0UL, sb);
		pthread_mutex_unlock(&dcache_lock);
		if (!victims)
			return;
		free_victims(victims);
	}
}

struct dentry *d_lookup(struct dentry *parent, const char *name, size_t len)
{
	pthread_mutex_lock(&dcache_lock);
	struct dentry *d = dhash_find(parent, name, len);
	if (d)
		dget_locked(d);
	pthread_mutex_unlock(&dcache_lock);
	return d;
}

struct dentry *d_add(struct dentry *parent, const char *name, struct inode *inode)
{
	size_t len = strlen(name);
	struct dentry *d = calloc(1, sizeof(*d));
	char *copy = strdup(name);
	if (!d || !copy) {
		free(d);
		free(copy);
		inode_put(inode);
		return NULL;
	}
	pthread_mutex_lock(&dcache_lock);
	struct dentry *old = dhash_find(parent, name, len);
	if (old) {
		dget_locked(old);
		pthread_mutex_unlock(&dcache_lock);
		free(d);
		free(copy);
		inode_put(inode);
		return old;
	}
	d->refs = 1;
	dentry_get(parent);
	d->parent = parent;
	d->name = copy;
	d->name_len = len;
	d->inode = inode;
	d->sb = parent->sb;
	dhash_insert(d);
	pthread_mutex_unlock(&dcache_lock);
	return d;
}

struct dentry *dentry_new_anon(struct superblock *sb, const char *name, struct inode *inode)
{
	struct dentry *d = calloc(1, sizeof(*d));
	char *copy = strdup(name);
	if (!d || !copy) {
		free(d);
		free(copy);
		inode_put(inode);
		return NULL;
	}
	d->refs = 1;
	dentry_get(sb->root);
	d->parent = sb->root;
	d->name = copy;
	d->name_len = strlen(name);
	d->inode = inode;
	d->sb = sb;
	return d;
}

void d_drop(struct dentry *d, bool dead)
{
	pthread_mutex_lock(&dcache_lock);
	dhash_remove(d);
	if (dead)
		d->flags |= DENTRY_DEAD;
	pthread_mutex_unlock(&dcache_lock);
}

void vfs_name_gone(struct dentry *dir, const char *name)
{
	struct dentry *d = d_lookup(dir, name, strlen(name));
	if (d) {
		d_drop(d, true);
		dentry_put(d);
	}
}

int d_move(struct dentry *d, struct dentry *newparent, const char *newname)
{
	char *copy = strdup(newname);
	if (!copy)
		return -ENOMEM;
	dentry_get(newparent);
	pthread_mutex_lock(&dcache_lock);
	dhash_remove(d);
	struct dentry *oldparent = d->parent;
	char *oldname = d->name;
	d->parent = newparent;
	d->name = copy;
	d->name_len = strlen(copy);
	dhash_insert(d);
	pthread_mutex_unlock(&dcache_lock);
	free(oldname);
	dentry_put(oldparent);
	return 0;
}

bool d_is_ancestor(struct dentry *anc, struct dentry *d)
{
	pthread_mutex_lock(&dcache_lock);
	bool found = false;
	for (;;) {
		if (d == anc) {
			found = true;
			break;
		}
		if (d->parent == d)
			break;
		d = d->parent;
	}
	pthread_mutex_unlock(&dcache_lock);
	return found;
}

struct dentry *dentry_parent(struct dentry *d)
{
	pthread_mutex_lock(&dcache_lock);
	struct dentry *p = d->parent;
	dentry_get(p);
	pthread_mutex_unlock(&dcache_lock);
	return p;
}

int dentry_name(struct dentry *d, char *buf, size_t len)
{
	pthread_mutex_lock(&dcache_lock);
	int n = (int)d->name_len;
	if ((size_t)n + 1 > len)
		n = -ENAMETOOLONG;
	else
		memcpy(buf, d->name, (size_t)n + 1);
	pthread_mutex_unlock(&dcache_lock);
	return n;
}
