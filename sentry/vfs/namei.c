/*
 * Path walk: one component at a time through the dentry cache, crossing mounts both ways,
 * following symlinks (40 at most), with Linux's rules for ".", "..", and trailing slashes.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/internal.h"

struct fs_context *task_fs(struct task *t)
{
	return t ? t->fs : NULL;
}

int vfs_lookup_one(struct dentry *dir, const char *name, struct dentry **out)
{
	int r = d_lookup_valid(dir, name, out);
	if (r != 0)
		return r < 0 ? r : 0;
	struct inode *di = dir->inode;
	if (!S_ISDIR(di->mode))
		return -ENOTDIR;
	/* Two shared holders may race to fill the same name: d_add keeps the first. */
	dir_lock_shared(di);
	r = lookup_locked(dir, name, out);
	dir_unlock(di);
	return r;
}

/* Moves p down through every mount stacked on it. */
static void follow_mounts(struct path *p)
{
	struct mount *m;
	while (p->mnt && (m = mount_lookup_child(p->mnt, p->dentry))) {
		dentry_get(m->root);
		path_put(p);
		p->mnt = m;
		p->dentry = m->root;
	}
}

/* "..": never above root; at a mount's root, continue from its mountpoint. */
static void follow_dotdot(struct path *cur, const struct path *root)
{
	for (;;) {
		if (path_equal(cur, root))
			return;
		if (!cur->mnt || cur->dentry != cur->mnt->root) {
			struct dentry *parent = dentry_parent(cur->dentry);
			dentry_put(cur->dentry);
			cur->dentry = parent;
			break;
		}
		pthread_mutex_lock(&mount_lock);
		struct mount *pm = cur->mnt->parent;
		struct dentry *mp = cur->mnt->mountpoint;
		if (pm) {
			mount_get(pm);
			dentry_get(mp);
		}
		pthread_mutex_unlock(&mount_lock);
		if (!pm)
			return;
		path_put(cur);
		cur->mnt = pm;
		cur->dentry = mp;
	}
	follow_mounts(cur);
}

/* The text of a symlink joined with what followed it in the path being walked. */
static int expand_link(struct dentry *link, const char *rest, bool slash, char **out)
{
	char *target = malloc(PATH_MAX);
	if (!target)
		return -ENOMEM;
	ssize_t n = vfs_dentry_readlink(link, target, PATH_MAX);
	if (n < 0) {
		free(target);
		return (int)n;
	}
	if (n == 0) {
		free(target);
		return -ENOENT;
	}
	if (n >= PATH_MAX) {
		free(target);
		return -ENAMETOOLONG;
	}
	size_t rl = strlen(rest);
	char *s = malloc((size_t)n + rl + 3);
	if (!s) {
		free(target);
		return -ENOMEM;
	}
	memcpy(s, target, (size_t)n);
	size_t k = (size_t)n;
	/* A trailing slash after the link applies to what it points to. */
	if (rl || slash)
		s[k++] = '/';
	memcpy(s + k, rest, rl + 1);
	free(target);
	*out = s;
	return 0;
}

/*
 * The walk. With np, stops before the final component and describes it there; otherwise
 * resolves everything into out.
 */
static int walk(const struct creds *c, const struct path *root, const struct path *start,
		const char *path, unsigned int flags, struct path *out, struct nameparent *np)
{
	if (!*path) {
		if (!(flags & LOOKUP_EMPTY) || np)
			return -ENOENT;
		if ((flags & LOOKUP_DIRECTORY) && !S_ISDIR(start->dentry->inode->mode))
			return -ENOTDIR;
		path_get(start);
		*out = *start;
		return 0;
	}
	char *buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	const char *p = buf;
	struct path cur = *p == '/' ? *root : *start;
	path_get(&cur);
	int links = 0;
	int r = 0;
	char name[NAME_MAX + 1];

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *comp = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - comp);
		if (len > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		const char *q = p;
		bool slash = *q == '/';
		while (*q == '/')
			q++;
		bool last = !*q;

		struct inode *dir = cur.dentry->inode;
		if (!S_ISDIR(dir->mode)) {
			r = -ENOTDIR;
			goto fail;
		}
		r = inode_permission(c, dir, MAY_EXEC);
		if (r < 0)
			goto fail;

		enum last_type type = LAST_NORM;
		if (len == 1 && comp[0] == '.')
			type = LAST_DOT;
		else if (len == 2 && comp[0] == '.' && comp[1] == '.')
			type = LAST_DOTDOT;

		if (last && np) {
			np->dir = cur;
			memcpy(np->last, comp, len);
			np->last[len] = '\0';
			np->type = type;
			np->trailing_slash = slash;
			free(buf);
			return 0;
		}
		p = q;
		if (type == LAST_DOT)
			continue;
		if (type == LAST_DOTDOT) {
			follow_dotdot(&cur, root);
			continue;
		}

		memcpy(name, comp, len);
		name[len] = '\0';
		struct dentry *child;
		r = vfs_lookup_one(cur.dentry, name, &child);
		if (r < 0)
			goto fail;
		struct path next = { cur.mnt, child };
		if (next.mnt)
			mount_get(next.mnt);
		follow_mounts(&next);

		struct inode *ni = next.dentry->inode;
		if (S_ISLNK(ni->mode) && (!last || (flags & LOOKUP_FOLLOW) || slash)) {
			if (++links > VFS_MAX_SYMLINKS) {
				path_put(&next);
				r = -ELOOP;
				goto fail;
			}
			if (ni->ops && ni->ops->follow_link) {
				struct path target;
				r = ni->ops->follow_link(next.dentry, &target);
				path_put(&next);
				if (r < 0)
					goto fail;
				path_put(&cur);
				cur = target;
				follow_mounts(&cur);
				if (last && slash && !S_ISDIR(cur.dentry->inode->mode)) {
					r = -ENOTDIR;
					goto fail;
				}
				continue;
			}
			char *nbuf = NULL;
			r = expand_link(next.dentry, p, slash && last, &nbuf);
			path_put(&next);
			if (r < 0)
				goto fail;
			free(buf);
			buf = nbuf;
			p = buf;
			if (*p == '/') {
				path_put(&cur);
				cur = *root;
				path_get(&cur);
			}
			continue;
		}
		path_put(&cur);
		cur = next;
		if (last && slash && !S_ISDIR(ni->mode)) {
			r = -ENOTDIR;
			goto fail;
		}
	}
	free(buf);
	if (np) {
		/* Nothing but slashes (or a link that led to "/"): the root itself. */
		np->dir = cur;
		np->last[0] = '\0';
		np->type = LAST_ROOT;
		np->trailing_slash = true;
		return 0;
	}
	if ((flags & LOOKUP_DIRECTORY) && !S_ISDIR(cur.dentry->inode->mode)) {
		path_put(&cur);
		return -ENOTDIR;
	}
	*out = cur;
	return 0;
fail:
	path_put(&cur);
	free(buf);
	return r;
}

/* t's root (or the tree's root for the sentry itself), with references. */
static int get_root(struct task *t, struct path *root)
{
	struct fs_context *fs = task_fs(t);
	if (fs) {
		fs_context_root(fs, root);
		return 0;
	}
	root->mnt = mount_tree_root();
	if (!root->mnt)
		return -ENOENT;
	root->dentry = root->mnt->root;
	dentry_get(root->dentry);
	return 0;
}

/* Where a relative path starts: dirfd or the cwd, with references. */
static int get_start(struct task *t, int dirfd, const char *path, bool empty_ok, struct path *start)
{
	if (dirfd == AT_FDCWD) {
		struct fs_context *fs = task_fs(t);
		if (fs) {
			fs_context_cwd(fs, start);
			return 0;
		}
		return get_root(t, start);
	}
	if (!t || !t->files)
		return -EBADF;
	struct file *f = fd_get(t->files, dirfd);
	if (!f)
		return -EBADF;
	if (!f->path.mnt) {
		file_put(f);
		return -EBADF;
	}
	/* The starting point must be a directory unless the path is empty (AT_EMPTY_PATH). */
	if ((*path || !empty_ok) && !S_ISDIR(f->inode->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	*start = f->path;
	path_get(start);
	file_put(f);
	return 0;
}

int walk_from(struct task *t, const struct path *root, const struct path *start, const char *path,
	      unsigned int flags, struct path *out, struct nameparent *np)
{
	return walk(task_creds(t), root, start, path, flags, out, np);
}

int vfs_lookup_from(struct task *t, const struct path *start, const char *path, unsigned int flags,
		    struct path *out)
{
	struct path root;
	int r = get_root(t, &root);
	if (r < 0)
		return r;
	r = walk(task_creds(t), &root, start, path, flags, out, NULL);
	path_put(&root);
	return r;
}

int vfs_lookup_as(struct task *t, const struct creds *c, int dirfd, const char *path,
		  unsigned int flags, struct path *out)
{
	struct path root, start = { 0 };
	int r = get_root(t, &root);
	if (r < 0)
		return r;
	if (path[0] != '/') {
		r = get_start(t, dirfd, path, flags & LOOKUP_EMPTY, &start);
		if (r < 0) {
			path_put(&root);
			return r;
		}
	}
	r = walk(c, &root, path[0] == '/' ? &root : &start, path, flags, out, NULL);
	path_put(&start);
	path_put(&root);
	return r;
}

int vfs_lookup(struct task *t, int dirfd, const char *path, unsigned int flags, struct path *out)
{
	return vfs_lookup_as(t, task_creds(t), dirfd, path, flags, out);
}

int vfs_lookup_parent(struct task *t, int dirfd, const char *path, struct nameparent *np)
{
	struct path root, start = { 0 };
	int r = get_root(t, &root);
	if (r < 0)
		return r;
	if (path[0] != '/') {
		r = get_start(t, dirfd, path, false, &start);
		if (r < 0) {
			path_put(&root);
			return r;
		}
	}
	r = walk(task_creds(t), &root, path[0] == '/' ? &root : &start, path, 0, NULL, np);
	path_put(&start);
	path_put(&root);
	return r;
}

void nameparent_release(struct nameparent *np)
{
	path_put(&np->dir);
}
