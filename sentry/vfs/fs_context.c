/* Per-task filesystem context (root, cwd, umask) and the paths the sentry prints for files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/internal.h"

struct fs_context *fs_context_new(const struct path *root)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->refs = 1;
	pthread_mutex_init(&fs->lock, NULL);
	fs->root = *root;
	path_get(root);
	fs->cwd = *root;
	path_get(root);
	fs->umask = 022;
	return fs;
}

struct fs_context *fs_context_fork(struct fs_context *old)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->refs = 1;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_lock(&old->lock);
	fs->root = old->root;
	path_get(&fs->root);
	fs->cwd = old->cwd;
	path_get(&fs->cwd);
	pthread_mutex_unlock(&old->lock);
	fs->umask = __atomic_load_n(&old->umask, __ATOMIC_RELAXED);
	return fs;
}

void fs_context_get(struct fs_context *fs)
{
	__atomic_fetch_add(&fs->refs, 1, __ATOMIC_RELAXED);
}

void fs_context_put(struct fs_context *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

void fs_context_root(struct fs_context *fs, struct path *out)
{
	pthread_mutex_lock(&fs->lock);
	*out = fs->root;
	path_get(out);
	pthread_mutex_unlock(&fs->lock);
}

void fs_context_cwd(struct fs_context *fs, struct path *out)
{
	pthread_mutex_lock(&fs->lock);
	*out = fs->cwd;
	path_get(out);
	pthread_mutex_unlock(&fs->lock);
}

int vfs_chdir(struct task *t, const struct path *p)
{
	if (!S_ISDIR(p->dentry->inode->mode))
		return -ENOTDIR;
	int r = inode_permission(task_creds(t), p->dentry->inode, MAY_EXEC);
	if (r < 0)
		return r;
	struct fs_context *fs = t->fs;
	path_get(p);
	pthread_mutex_lock(&fs->lock);
	struct path old = fs->cwd;
	fs->cwd = *p;
	pthread_mutex_unlock(&fs->lock);
	path_put(&old);
	return 0;
}

int vfs_chroot(struct task *t, const struct path *p)
{
	if (!S_ISDIR(p->dentry->inode->mode))
		return -ENOTDIR;
	int r = inode_permission(task_creds(t), p->dentry->inode, MAY_EXEC);
	if (r < 0)
		return r;
	if (!task_capable(t, CAP_SYS_CHROOT))
		return -EPERM;
	struct fs_context *fs = t->fs;
	path_get(p);
	pthread_mutex_lock(&fs->lock);
	struct path old = fs->root;
	fs->root = *p;
	pthread_mutex_unlock(&fs->lock);
	path_put(&old);
	return 0;
}

/* Prepends s to the string ending at buf + *pos. */
static int prepend(char *buf, size_t *pos, const char *s, size_t n)
{
	if (n > *pos)
		return -ENAMETOOLONG;
	*pos -= n;
	memcpy(buf + *pos, s, n);
	return 0;
}

int vfs_path_string(const struct path *p, const struct path *root, char *buf, size_t len)
{
	if (len == 0)
		return -ENAMETOOLONG;
	char *tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	size_t pos = len - 1;
	tmp[pos] = '\0';
	int r = 0;
	bool any = false;

	pthread_mutex_lock(&mount_lock);
	pthread_mutex_lock(&dcache_lock);
	struct mount *mnt = p->mnt;
	struct dentry *d = p->dentry;
	bool dead = d->flags & DENTRY_DEAD;
	if (mnt && (mnt->flags & MNT_INTERNAL)) {
		/* Pipes and host files: their name is the whole story ("pipe:[12]"). */
		r = prepend(tmp, &pos, d->name, d->name_len);
		any = true;
		goto out;
	}
	if (dead)
		r = prepend(tmp, &pos, " (deleted)", 10);
	while (r == 0) {
		if (root && mnt == root->mnt && d == root->dentry)
			break;
		if (d->parent == d || (mnt && d == mnt->root)) {
			if (mnt && mnt->parent) {
				d = mnt->mountpoint;
				mnt = mnt->parent;
				continue;
			}
			break;
		}
		r = prepend(tmp, &pos, d->name, d->name_len);
		if (r == 0)
			r = prepend(tmp, &pos, "/", 1);
		any = true;
		d = d->parent;
	}
	if (r == 0 && !any)
		r = prepend(tmp, &pos, "/", 1);
	else if (r == 0 && dead && pos == len - 1 - 10)
		r = prepend(tmp, &pos, "/", 1);
out:
	pthread_mutex_unlock(&dcache_lock);
	pthread_mutex_unlock(&mount_lock);
	if (r == 0) {
		r = (int)(len - 1 - pos);
		memcpy(buf, tmp + pos, (size_t)r + 1);
	}
	free(tmp);
	return r;
}

int fs_context_cwd_path(struct fs_context *fs, char *buf, size_t len)
{
	struct path cwd, root;
	fs_context_cwd(fs, &cwd);
	fs_context_root(fs, &root);
	int r;
	if (__atomic_load_n(&cwd.dentry->flags, __ATOMIC_RELAXED) & DENTRY_DEAD)
		r = -ENOENT; /* getcwd in a removed directory, as Linux */
	else
		r = vfs_path_string(&cwd, &root, buf, len);
	path_put(&cwd);
	path_put(&root);
	return r;
}

int file_path(struct file *f, char *buf, size_t len)
{
	struct task *t = current();
	struct path root = { 0 };
	if (t && t->fs)
		fs_context_root(t->fs, &root);
	int r = vfs_path_string(&f->path, root.mnt ? &root : NULL, buf, len);
	path_put(&root);
	return r;
}
