/* What the files of sentry/vfs/ share among themselves and no one else needs. */
#ifndef CVISOR_VFS_INTERNAL_H
#define CVISOR_VFS_INTERNAL_H

#include <pthread.h>

#include "sentry/vfs/vfs.h"

/*
 * Guards the dentry hash, the LRU list, dentry parent/name/flags, and a dentry reference
 * count going from 0 to 1. A leaf among VFS locks: held briefly, never across fs calls.
 */
extern pthread_mutex_t dcache_lock;
/* Guards the mount list, mount parent/mountpoint links and dentry->mounted. Taken after
 * inode locks; dcache_lock may be taken inside it. */
extern pthread_mutex_t mount_lock;

/* Finds name under parent in the cache; a reference or NULL. */
struct dentry *d_lookup(struct dentry *parent, const char *name, size_t len);
/* Adds a hashed dentry for (parent, name) -> inode, consuming the inode reference. If one
 * appeared meanwhile, returns that one instead. NULL on ENOMEM. */
struct dentry *d_add(struct dentry *parent, const char *name, struct inode *inode);
/* Unhashes d (unlinked, or replaced): it stays valid for its holders. */
void d_drop(struct dentry *d, bool dead);
/* Moves d under newparent as newname (rename). */
int d_move(struct dentry *d, struct dentry *newparent, const char *newname);
/* True when anc is d or one of d's ancestors in d's superblock. */
bool d_is_ancestor(struct dentry *anc, struct dentry *d);

/* The mount on (mnt, d), with a reference, or NULL. */
struct mount *mount_lookup_child(struct mount *mnt, struct dentry *d);

/* The dir_lock helpers: rwlocks are taken through these so the order stays visible. */
static inline void dir_lock_shared(struct inode *dir)
{
	pthread_rwlock_rdlock(&dir->dir_lock);
}
static inline void dir_lock_excl(struct inode *dir)
{
	pthread_rwlock_wrlock(&dir->dir_lock);
}
static inline void dir_unlock(struct inode *dir)
{
	pthread_rwlock_unlock(&dir->dir_lock);
}

/* Opens an inode of a FIFO or device node (called from vfs_dentry_open). */
int vfs_open_special(struct file *f);

/* Builds "/a/b" for (mnt, d) relative to root (NULL: the tree's root); length or -errno. */
int vfs_path_string(const struct path *p, const struct path *root, char *buf, size_t len);

/* The walk with an explicit root and start (np: stop before the final component). */
int walk_from(struct task *t, const struct path *root, const struct path *start, const char *path,
	      unsigned int flags, struct path *out, struct nameparent *np);

/* vfs_lookup with the permission checks made under c (access() uses the real ids). */
int vfs_lookup_as(struct task *t, const struct creds *c, int dirfd, const char *path,
		  unsigned int flags, struct path *out);
/* The cached dentry of name in dir, revalidated when its filesystem asks for it
 * (super_ops.revalidate): 1 with a reference in *out; 0 when nothing valid is cached (a
 * stale dentry is dropped, so lookup runs); or a negative errno (-ENOENT: the name is gone). */
int d_lookup_valid(struct dentry *dir, const char *name, struct dentry **out);
/* One component in dir, whose dir_lock the caller holds (either way). */
int lookup_locked(struct dentry *dir, const char *name, struct dentry **out);
/* Creates np's final component (umask and owner applied) with t's permission checks. */
int vfs_create_node(struct task *t, struct nameparent *np, struct vfs_node *node,
		    struct dentry **out);

/* The filesystem context of t, or NULL when t has none (sentry-internal lookups). */
struct fs_context *task_fs(struct task *t);

#endif
