/* sysfs: the top-level directories of /sys, empty (sys.h says why). */
#include "sentry/fs/sys/sys.h"

#include <stddef.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/vfs.h"

static int add_dir(struct dentry *parent, const char *name, struct dentry **out)
{
	struct vfs_node node = { .mode = S_IFDIR | 0755 };

	return vfs_dir_mknod(NULL, parent, name, &node, out);
}

struct superblock *sysfs_new(void)
{
	static const char *const dirs[] = {
		"block", "bus", "class", "dev", "devices", "firmware", "kernel", "module", "power",
	};
	struct superblock *sb = tmpfs_new("sysfs", 0755);
	struct dentry *fs = NULL;
	int r = 0;

	if (!sb)
		return NULL;
	/* A tmpfs underneath; what statfs and /proc/mounts say is sysfs. */
	sb->type = "sysfs";
	sb->magic = SYSFS_MAGIC;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(dirs); i++)
		r = add_dir(sb->root, dirs[i], NULL);
	if (r == 0)
		r = add_dir(sb->root, "fs", &fs);
	if (r == 0)
		r = add_dir(fs, "cgroup", NULL);
	if (fs)
		dentry_put(fs);
	if (r < 0) {
		sb_put(sb);
		return NULL;
	}
	return sb;
}
