/* The container's mounts from its bundle, applied at the sentry's start (sentry/mounts.h). */
#include "sentry/mounts.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/gofer/goferfs.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/sys/sys.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/sentry.h"
#include "sentry/vfs/vfs.h"

/* Says what failed; returns err. */
static int __attribute__((format(printf, 4, 5)))
failed(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

static unsigned int mnt_flags(unsigned int flags)
{
	unsigned int f = 0;

	if (flags & SENTRY_MOUNT_RDONLY)
		f |= MNT_RDONLY;
	if (flags & SENTRY_MOUNT_NOSUID)
		f |= MNT_NOSUID;
	if (flags & SENTRY_MOUNT_NODEV)
		f |= MNT_NODEV;
	if (flags & SENTRY_MOUNT_NOEXEC)
		f |= MNT_NOEXEC;
	return f;
}

/* path in the sandbox's tree as the sentry sees it (no task: no permission checks). */
static int lookup(const char *path, struct path *out)
{
	return vfs_lookup(NULL, AT_FDCWD, path, LOOKUP_FOLLOW, out);
}

/* The mount whose root path is, or NULL. */
static struct mount *mount_rooted_at(const char *path)
{
	struct path p;
	struct mount *m = NULL;

	if (lookup(path, &p) < 0)
		return NULL;
	if (p.mnt && p.dentry == p.mnt->root) {
		m = p.mnt;
		mount_get(m);
	}
	path_put(&p);
	return m;
}

/*
 * Resolves path, making what is missing of it: directories, and the last component as a
 * directory (dir) or an empty file. A dangling symlink there (Debian's /etc/resolv.conf ->
 * ../run/...) gets what it points to made, as runc makes it, within the sandbox's root.
 * -EXDEV when something would be made below a bind mount (the gofer would make it on the
 * host).
 */
static int make_mountpoint_at(const char *path, bool dir, struct path *out, int links)
{
	int r = lookup(path, out);
	if (r != -ENOENT)
		return r;
	char *target = malloc(PATH_MAX);
	if (!target)
		return -ENOMEM;
	ssize_t n = vfs_readlink(NULL, AT_FDCWD, path, target, PATH_MAX - 1);
	if (n > 0) {
		target[n] = '\0';
		char *next = NULL;
		const char *slash = strrchr(path, '/');
		if (target[0] == '/')
			next = strdup(target);
		else if (asprintf(&next, "%.*s/%s", (int)(slash - path), path, target) < 0)
			next = NULL;
		free(target);
		if (!next)
			return -ENOMEM;
		r = links < VFS_MAX_SYMLINKS ? make_mountpoint_at(next, dir, out, links + 1) : -ELOOP;
		free(next);
		return r;
	}
	free(target);
	struct nameparent np;
	r = vfs_lookup_parent(NULL, AT_FDCWD, path, &np);
	if (r == -ENOENT) {
		/* Its directory is missing too: make that first. */
		char *parent = strdup(path);
		char *slash = parent ? strrchr(parent, '/') : NULL;
		if (!slash) {
			free(parent);
			return -ENOMEM;
		}
		*slash = '\0';
		struct path pp;
		r = make_mountpoint_at(*parent ? parent : "/", true, &pp, links);
		free(parent);
		if (r < 0)
			return r;
		path_put(&pp);
		r = vfs_lookup_parent(NULL, AT_FDCWD, path, &np);
	}
	if (r < 0)
		return r;
	if (np.type != LAST_NORM) {
		r = -EINVAL;
	} else if (np.dir.mnt->sb->magic == GOFERFS_MAGIC) {
		r = -EXDEV;
	} else {
		struct vfs_node node = { .mode = dir ? S_IFDIR | 0755 : S_IFREG | 0644 };
		r = vfs_dir_mknod(NULL, np.dir.dentry, np.last, &node, NULL);
		if (r == -EEXIST)
			r = 0;
	}
	nameparent_release(&np);
	return r < 0 ? r : lookup(path, out);
}

static int make_mountpoint(const char *path, bool dir, struct path *out)
{
	return make_mountpoint_at(path, dir, out, 0);
}

/* A tmpfs root's mode=, uid=, gid=. */
static int set_root_attrs(struct dentry *root, const struct sentry_mount *m)
{
	struct iattr a = { 0 };

	if (m->mode >= 0) {
		a.valid |= ATTR_MODE;
		a.mode = (mode_t)m->mode & 07777;
	}
	if (m->uid >= 0) {
		a.valid |= ATTR_UID;
		a.uid = (uid_t)m->uid;
	}
	if (m->gid >= 0) {
		a.valid |= ATTR_GID;
		a.gid = (gid_t)m->gid;
	}
	return a.valid ? vfs_dentry_setattr(root, &a) : 0;
}

/* A new instance of m's filesystem; *flags gets what it forces (read-only). */
static int new_fs(struct gofer_client *gofer, const struct sentry_mount *m, unsigned int *flags,
		  struct superblock **out)
{
	struct superblock *sb = NULL;
	int r = 0;

	switch (m->type) {
	case SENTRY_MOUNT_BIND:
		return goferfs_new(gofer, m->export_index, "none", true, out);
	case SENTRY_MOUNT_PROC:
		return procfs_new(out);
	case SENTRY_MOUNT_TMPFS:
		sb = tmpfs_new(m->source ? m->source : "tmpfs", 01777);
		if (sb)
			r = set_root_attrs(sb->root, m);
		break;
	case SENTRY_MOUNT_SYSFS:
		sb = sysfs_new();
		*flags |= MNT_RDONLY;
		break;
	case SENTRY_MOUNT_CGROUP:
		sb = tmpfs_new("cgroup", 0555);
		if (sb) {
			sb->type = "cgroup2";
			sb->magic = 0x63677270; /* CGROUP2_SUPER_MAGIC */
		}
		*flags |= MNT_RDONLY;
		break;
	case SENTRY_MOUNT_MQUEUE:
		sb = tmpfs_new("mqueue", 01777);
		if (sb) {
			sb->type = "mqueue";
			sb->magic = 0x19800202; /* MQUEUE_MAGIC */
		}
		break;
	case SENTRY_MOUNT_DEVPTS:
		return -EINVAL; /* never a new one: see apply_one */
	}
	if (!sb)
		return -ENOMEM;
	if (r < 0) {
		sb_put(sb);
		return r;
	}
	*out = sb;
	return 0;
}

static const char *const type_names[] = {
	[SENTRY_MOUNT_BIND] = "bind",	  [SENTRY_MOUNT_TMPFS] = "tmpfs",
	[SENTRY_MOUNT_PROC] = "proc",	  [SENTRY_MOUNT_SYSFS] = "sysfs",
	[SENTRY_MOUNT_DEVPTS] = "devpts", [SENTRY_MOUNT_MQUEUE] = "mqueue",
	[SENTRY_MOUNT_CGROUP] = "cgroup",
};

/* The mounts the sentry made at start (/dev's devfs, /dev/shm, /dev/pts), which a mount of
 * the bundle of the same type on the same place configures instead of covering. */
struct builtin_mounts {
	struct mount *dev, *shm, *pts;
};

/* m on a builtin mount of its type: that mount takes m's flags (and a tmpfs's mode, owner).
 * 1 when done so, 0 when m is not such a mount, or a negative errno. */
static int configure_builtin(const struct sentry_mount *m, const struct builtin_mounts *builtin)
{
	struct mount *at = mount_rooted_at(m->destination);
	int r = 0;

	if (!at)
		return 0;
	if (m->type == SENTRY_MOUNT_TMPFS && (at == builtin->dev || at == builtin->shm)) {
		vfs_mount_set_flags(at, mnt_flags(m->flags));
		r = set_root_attrs(at->root, m);
		r = r < 0 ? r : 1;
	} else if (m->type == SENTRY_MOUNT_DEVPTS && at == builtin->pts) {
		vfs_mount_set_flags(at, mnt_flags(m->flags));
		r = 1;
	}
	mount_put(at);
	return r;
}

static int apply_one(struct gofer_client *gofer, const struct sentry_mount *m,
		     const struct builtin_mounts *builtin, char *why, size_t len)
{
	const char *type = type_names[m->type];
	unsigned int flags = mnt_flags(m->flags);
	struct superblock *sb;
	struct path mp;
	int r;

	r = configure_builtin(m, builtin);
	if (r != 0)
		return r < 0 ? failed(r, why, len, "%s mount on %s: %s", type, m->destination,
				      strerror(-r)) :
			       0;
	/* The sandbox has one devpts, the terminals' (sentry/fs/devpts), on /dev/pts. */
	if (m->type == SENTRY_MOUNT_DEVPTS)
		return failed(-EINVAL, why, len, "devpts mount on %s: only /dev/pts has one",
			      m->destination);
	r = new_fs(gofer, m, &flags, &sb);
	if (r < 0)
		return failed(r, why, len, "%s mount on %s: %s", type, m->destination,
			      strerror(-r));
	r = make_mountpoint(m->destination, S_ISDIR(sb->root->inode->mode), &mp);
	if (r == -EXDEV) {
		sb_put(sb);
		return failed(r, why, len,
			      "%s mount on %s: the mountpoint is missing below a bind mount (it "
			      "would be made on the host)",
			      type, m->destination);
	}
	if (r == 0) {
		r = vfs_mount_at(&mp, sb, flags);
		path_put(&mp);
	}
	sb_put(sb);
	if (r < 0)
		return failed(r, why, len, "%s mount on %s: %s", type, m->destination,
			      r == -ENOTDIR ? "a directory and a file cannot be mounted on "
					      "each other" :
					      strerror(-r));
	return 0;
}

static int make_readonly(const char *path, char *why, size_t len)
{
	struct path p;
	int r = lookup(path, &p);

	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r == 0) {
		r = vfs_bind_mount(&p, &p, p.mnt->flags | MNT_RDONLY, true);
		path_put(&p);
	}
	return r < 0 ? failed(r, why, len, "readonlyPaths: %s: %s", path, strerror(-r)) : 0;
}

static int mask(const char *path, char *why, size_t len)
{
	struct path p;
	int r = lookup(path, &p);

	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return failed(r, why, len, "maskedPaths: %s: %s", path, strerror(-r));
	if (S_ISDIR(p.dentry->inode->mode)) {
		struct superblock *sb = tmpfs_new("tmpfs", 0755);
		r = sb ? vfs_mount_at(&p, sb, MNT_RDONLY) : -ENOMEM;
		if (sb)
			sb_put(sb);
	} else {
		struct path null;
		r = lookup("/dev/null", &null);
		if (r == 0) {
			r = S_ISCHR(null.dentry->inode->mode) ?
				    vfs_bind_mount(&null, &p, MNT_RDONLY, false) :
				    -ENODEV;
			path_put(&null);
		}
	}
	path_put(&p);
	return r < 0 ? failed(r, why, len, "maskedPaths: %s: %s", path, strerror(-r)) : 0;
}

int sentry_mounts_apply(struct gofer_client *gofer, const struct sentry_config *cfg, char *why,
			size_t len)
{
	struct builtin_mounts builtin = { mount_rooted_at("/dev"), mount_rooted_at("/dev/shm"),
					  mount_rooted_at("/dev/pts") };
	int r = 0;

	for (int i = 0; r == 0 && i < cfg->nmounts; i++)
		r = apply_one(gofer, &cfg->mounts[i], &builtin, why, len);
	for (size_t i = 0; r == 0 && cfg->readonly_paths && cfg->readonly_paths[i]; i++)
		r = make_readonly(cfg->readonly_paths[i], why, len);
	for (size_t i = 0; r == 0 && cfg->masked_paths && cfg->masked_paths[i]; i++)
		r = mask(cfg->masked_paths[i], why, len);
	if (builtin.dev)
		mount_put(builtin.dev);
	if (builtin.shm)
		mount_put(builtin.shm);
	if (builtin.pts)
		mount_put(builtin.pts);
	return r;
}
