/* anon_inodefs: the one inode behind eventfd, epoll and their kind, and their paths. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/vfs/vfs.h"

#define ANON_INODE_FS_MAGIC 0x09041934

static void anon_evict(struct inode *inode)
{
	free(inode);
}

static const struct super_ops anon_sb_ops = { .evict_inode = anon_evict };
static const struct inode_ops anon_inode_ops;

static pthread_once_t anon_once = PTHREAD_ONCE_INIT;
static struct superblock *anon_sb;
static struct mount *anon_mnt;
static struct inode *anon_inode; /* shared by every anonymous file, as Linux's */

static void anon_init(void)
{
	anon_sb = sb_new(&anon_sb_ops, "anon_inodefs", ANON_INODE_FS_MAGIC, "anon_inodefs");
	struct inode *root = anon_sb ? calloc(1, sizeof(*root)) : NULL;
	struct inode *shared = root ? calloc(1, sizeof(*shared)) : NULL;
	if (!shared) {
		free(root);
		return;
	}
	inode_init(root, anon_sb, S_IFDIR | 0700, &anon_inode_ops, NULL);
	root->ino = sb_alloc_ino(anon_sb);
	if (sb_set_root(anon_sb, root) < 0) {
		free(shared);
		return;
	}
	/* No type bits, owner root, mode 0600: what fstat shows for an eventfd or epoll fd. */
	inode_init(shared, anon_sb, S_IRUSR | S_IWUSR, &anon_inode_ops, NULL);
	shared->ino = sb_alloc_ino(anon_sb);
	anon_inode = shared;
	anon_mnt = mount_new_internal(anon_sb);
}

int anon_inode_path(const char *kind, struct path *out)
{
	pthread_once(&anon_once, anon_init);
	if (!anon_mnt)
		return -ENOMEM;
	char name[64];
	snprintf(name, sizeof(name), "anon_inode:[%s]", kind);
	inode_get(anon_inode);
	struct dentry *d = dentry_new_anon(anon_sb, name, anon_inode);
	if (!d)
		return -ENOMEM;
	mount_get(anon_mnt);
	out->mnt = anon_mnt;
	out->dentry = d;
	return 0;
}
