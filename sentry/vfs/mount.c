/* The mount tree: mounts, paths, and attaching a filesystem at a directory. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "sentry/vfs/internal.h"

pthread_mutex_t mount_lock = PTHREAD_MUTEX_INITIALIZER;

/* Attached mounts in the order they were made (so parents come first); mount_lock. Each
 * holds a reference owned by the tree (there is no umount yet). */
static struct mount *mounts_head, **mounts_tail = &mounts_head;
static struct mount *tree_root; /* mount_lock */

void mount_get(struct mount *m)
{
	__atomic_fetch_add(&m->refs, 1, __ATOMIC_RELAXED);
}

void mount_put(struct mount *m)
{
	if (!m || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	dentry_put(m->root);
	sb_put(m->sb);
	if (m->parent) {
		dentry_put(m->mountpoint);
		mount_put(m->parent);
	}
	free(m);
}

/* A mount of sb showing the tree below root (sb->root, or a dentry of sb for a bind). */
static struct mount *mount_alloc(struct superblock *sb, struct dentry *root, unsigned int flags)
{
	struct mount *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->refs = 1;
	sb_get(sb);
	m->sb = sb;
	dentry_get(root);
	m->root = root;
	m->flags = flags;
	return m;
}

struct mount *mount_new_internal(struct superblock *sb)
{
	return mount_alloc(sb, sb->root, MNT_INTERNAL);
}

void path_get(const struct path *p)
{
	if (p->mnt)
		mount_get(p->mnt);
	if (p->dentry)
		dentry_get(p->dentry);
}

void path_put(struct path *p)
{
	if (p->dentry)
		dentry_put(p->dentry);
	if (p->mnt)
		mount_put(p->mnt);
	p->dentry = NULL;
	p->mnt = NULL;
}

struct mount *mount_lookup_child(struct mount *mnt, struct dentry *d)
{
	if (!__atomic_load_n(&d->mounted, __ATOMIC_ACQUIRE))
		return NULL;
	struct mount *found = NULL;
	pthread_mutex_lock(&mount_lock);
	/* The last one made on this spot covers the earlier ones. */
	for (struct mount *m = mounts_head; m; m = m->next)
		if (m->parent == mnt && m->mountpoint == d)
			found = m;
	if (found)
		mount_get(found);
	pthread_mutex_unlock(&mount_lock);
	return found;
}

struct mount *mount_tree_root(void)
{
	pthread_mutex_lock(&mount_lock);
	struct mount *m = tree_root;
	if (m)
		mount_get(m);
	pthread_mutex_unlock(&mount_lock);
	return m;
}

static void mount_attach(struct mount *m)
{
	*mounts_tail = m;
	mounts_tail = &m->next;
}

/*
 * Puts m (the tree's reference) at mp, or at the tree's root when mp is NULL. As Linux's
 * graft_tree: a directory goes on a directory, anything else on a non-directory (a file
 * bind mount). Under mount_lock; m is put on failure.
 */
static int mount_graft_locked(struct mount *m, const struct path *mp)
{
	if (!mp) {
		if (tree_root) {
			mount_put(m);
			return -EBUSY;
		}
		tree_root = m;
	} else {
		if (S_ISDIR(mp->dentry->inode->mode) != S_ISDIR(m->root->inode->mode)) {
			mount_put(m);
			return -ENOTDIR;
		}
		path_get(mp);
		m->parent = mp->mnt;
		m->mountpoint = mp->dentry;
		__atomic_fetch_add(&mp->dentry->mounted, 1, __ATOMIC_RELEASE);
	}
	mount_attach(m);
	return 0;
}

int vfs_mount_root_at(const struct path *mp, struct superblock *sb, struct dentry *root,
		      unsigned int flags)
{
	struct mount *m = mount_alloc(sb, root, flags & ~MNT_INTERNAL);
	if (!m)
		return -ENOMEM;
	pthread_mutex_lock(&mount_lock);
	int r = mount_graft_locked(m, mp);
	pthread_mutex_unlock(&mount_lock);
	return r;
}

int vfs_mount_at(const struct path *mp, struct superblock *sb, unsigned int flags)
{
	return vfs_mount_root_at(mp, sb, sb->root, flags);
}

/* A copied mount and the one it copies, while vfs_bind_mount copies a tree. */
struct bind_copy {
	struct mount *orig, *copy;
};

int vfs_bind_mount(const struct path *src, const struct path *mp, unsigned int flags,
		   bool recursive)
{
	if (!src->mnt || (src->mnt->flags & MNT_INTERNAL))
		return -EINVAL;
	struct mount *top = mount_alloc(src->mnt->sb, src->dentry, flags & ~MNT_INTERNAL);
	if (!top)
		return -ENOMEM;
	pthread_mutex_lock(&mount_lock);
	/* Only the mounts that were there before: the copies go at the end of the list. */
	size_t before = 0;
	for (struct mount *m = mounts_head; m; m = m->next)
		before++;
	int r = mount_graft_locked(top, mp);
	struct bind_copy *map = NULL;
	size_t n = 0;
	if (r == 0 && recursive) {
		map = malloc((before + 1) * sizeof(*map));
		if (!map)
			r = -ENOMEM;
		else
			map[n++] = (struct bind_copy){ src->mnt, top };
	}
	/* The list is in creation order, so a mount's parent is met (and copied) before it. */
	struct mount *m = mounts_head;
	for (size_t i = 0; r == 0 && recursive && i < before; i++, m = m->next) {
		size_t j;
		for (j = 0; j < n && map[j].orig != m->parent; j++)
			;
		if (j == n || m == src->mnt)
			continue;
		/* Below the source mount, only what lies under the bound directory comes along. */
		if (j == 0 && !d_is_ancestor(src->dentry, m->mountpoint))
			continue;
		struct mount *c = mount_alloc(m->sb, m->root, m->flags);
		if (!c) {
			r = -ENOMEM;
			break;
		}
		struct path at = { map[j].copy, m->mountpoint };
		r = mount_graft_locked(c, &at);
		if (r == 0)
			map[n++] = (struct bind_copy){ m, c };
	}
	pthread_mutex_unlock(&mount_lock);
	free(map);
	return r;
}

void vfs_mount_set_flags(struct mount *m, unsigned int flags)
{
	pthread_mutex_lock(&mount_lock);
	m->flags = (m->flags & MNT_INTERNAL) | (flags & ~MNT_INTERNAL);
	pthread_mutex_unlock(&mount_lock);
}

int vfs_mount_fs(struct fs_context *fs, const char *path, struct superblock *sb)
{
	struct path root;
	fs_context_root(fs, &root);
	struct path mp;
	unsigned int flags = LOOKUP_FOLLOW | LOOKUP_DIRECTORY;
	int r = walk_from(NULL, &root, &root, path, flags, &mp, NULL);
	if (r == -ENOENT) {
		/* The image may lack the directory (a minimal rootfs without /proc): make it; in
		 * the overlay it lives in memory only. */
		struct nameparent np;
		r = walk_from(NULL, &root, &root, path, 0, NULL, &np);
		if (r == 0) {
			struct vfs_node node = { .mode = S_IFDIR | 0755 };
			struct dentry *d;
			r = np.type == LAST_NORM ?
				    vfs_dir_mknod(NULL, np.dir.dentry, np.last, &node, &d) :
				    -EINVAL;
			if (r == 0)
				dentry_put(d);
			nameparent_release(&np);
		}
		if (r == 0 || r == -EEXIST)
			r = walk_from(NULL, &root, &root, path, flags, &mp, NULL);
	}
	path_put(&root);
	if (r < 0)
		return r;
	r = vfs_mount_at(&mp, sb, 0);
	path_put(&mp);
	return r;
}

void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg)
{
	pthread_mutex_lock(&mount_lock);
	for (struct mount *m = mounts_head; m; m = m->next)
		fn(m, arg);
	pthread_mutex_unlock(&mount_lock);
}
