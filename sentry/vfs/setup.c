/* The sandbox's mount tree at start: / = overlay(gofer root, tmpfs), /dev, /dev/shm, /dev/pts. */
#include <errno.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/gofer/goferfs.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/internal.h"

/* Mounts a fresh sb on path and drops the creator's reference (the mount keeps its own). */
static int mount_new_sb(struct fs_context *fs, const char *path, struct superblock *sb)
{
	if (!sb)
		return -ENOMEM;
	int r = vfs_mount_fs(fs, path, sb);
	sb_put(sb);
	return r;
}

int vfs_setup_root(struct gofer_client *gofer, bool readonly, struct fs_context **out)
{
	dev_register_devices();
	struct superblock *lower;
	int r = goferfs_new(gofer, 0, "rootfs", false, &lower);
	if (r < 0)
		return r;
	struct superblock *upper = tmpfs_new("none", 0755);
	struct superblock *root_sb = upper ? overlay_new(lower->root, upper) : NULL;
	/* The overlay holds the layers now. */
	sb_put(lower);
	if (upper)
		sb_put(upper);
	if (!root_sb)
		return -ENOMEM;
	r = vfs_mount_at(NULL, root_sb, readonly ? MNT_RDONLY : 0);
	sb_put(root_sb);
	if (r < 0)
		return r;

	struct path root = { mount_tree_root(), NULL };
	root.dentry = root.mnt->root;
	dentry_get(root.dentry);
	struct fs_context *fs = fs_context_new(&root);
	path_put(&root);
	if (!fs)
		return -ENOMEM;
	r = mount_new_sb(fs, "/dev", devfs_new());
	if (r == 0)
		r = mount_new_sb(fs, "/dev/shm", tmpfs_new("shm", 01777));
	if (r == 0)
		r = devpts_mount(fs, "/dev/pts");
	if (r < 0) {
		log_warn("vfs: mounting /dev failed: %d", r);
		fs_context_put(fs);
		return r;
	}
	*out = fs;
	return 0;
}
