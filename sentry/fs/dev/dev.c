/*
 * The memory character devices (/dev/null, zero, full, random, urandom; /dev/tty gives ENXIO
 * as for a process without a controlling terminal) and devfs, the tmpfs that holds their nodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/log.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/host/host.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

static ssize_t null_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	return 0;
}

static ssize_t sink_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	size_t n = iov_length(iov, iovcnt);
	*pos += (int64_t)n;
	return (ssize_t)n;
}

/* null, zero and full always seek to 0, as Linux's null_lseek. */
static int64_t zero_llseek(struct file *f, int64_t off, int whence)
{
	f->pos = 0;
	return 0;
}

static ssize_t zero_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++) {
		memset(iov[i].iov_base, 0, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	*pos += (int64_t)n;
	return (ssize_t)n;
}

/* MAP_SHARED of /dev/zero is shared anonymous memory: a fresh mobj each time. */
static int zero_mmap(struct file *f, uint64_t off, size_t len, struct mobj **m, uint64_t *m_off)
{
	*m = mobj_new(len);
	if (!*m)
		return -ENOMEM;
	*m_off = 0;
	return 0;
}

static ssize_t full_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	return iov_length(iov, iovcnt) ? -ENOSPC : 0;
}

static ssize_t random_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++) {
		size_t done = 0;
		while (done < iov[i].iov_len) {
			ssize_t k =
				getrandom((char *)iov[i].iov_base + done, iov[i].iov_len - done, 0);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				return n + done ? (ssize_t)(n + done) : -errno;
			}
			done += (size_t)k;
		}
		n += done;
	}
	return (ssize_t)n;
}

/* /dev/tty: the caller's controlling terminal among the sandbox's ptys, else runsc's own
 * terminal when it has one. */
static int tty_open(struct file *f)
{
	int r = devpts_open_ctty(f);
	return r == -ENXIO ? hostfile_open_console(f) : r;
}

static const struct file_ops null_fops = { .read = null_read,
					   .write = sink_write,
					   .llseek = zero_llseek };
static const struct file_ops zero_fops = {
	.read = zero_read, .write = sink_write, .llseek = zero_llseek, .mmap = zero_mmap
};
static const struct file_ops full_fops = { .read = zero_read,
					   .write = full_write,
					   .llseek = zero_llseek };
static const struct file_ops random_fops = { .read = random_read, .write = sink_write };

static void register_once(void)
{
	vfs_register_chrdev(1, 3, &null_fops, NULL);
	vfs_register_chrdev(1, 5, &zero_fops, NULL);
	vfs_register_chrdev(1, 7, &full_fops, NULL);
	vfs_register_chrdev(1, 8, &random_fops, NULL);
	vfs_register_chrdev(1, 9, &random_fops, NULL);
	vfs_register_chrdev(5, 0, NULL, tty_open);
}

void dev_register_devices(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, register_once);
}

static int add_node(struct dentry *dir, const char *name, mode_t mode, dev_t rdev,
		    const char *target)
{
	struct vfs_node node = { .mode = mode, .rdev = rdev, .target = target };
	return vfs_dir_mknod(NULL, dir, name, &node, NULL);
}

/* Host terminals are named in devpts, which is mounted on /dev/pts. */
void devfs_add_pts(unsigned int index, struct inode *tty)
{
	devpts_name_host_tty(index, tty);
}

struct superblock *devfs_new(void)
{
	dev_register_devices();
	struct superblock *sb = tmpfs_new("tmpfs", 0755);
	if (!sb)
		return NULL;
	struct dentry *root = sb->root;
	static const struct {
		const char *name;
		unsigned int major, minor;
	} devs[] = {
		{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" }, /* devpts's, as runc makes it */
	};
	int r = 0;
	for (size_t i = 0; r == 0 && i < sizeof(devs) / sizeof(devs[0]); i++)
		r = add_node(root, devs[i].name, S_IFCHR | 0666,
			     makedev(devs[i].major, devs[i].minor), NULL);
	for (size_t i = 0; r == 0 && i < sizeof(links) / sizeof(links[0]); i++)
		r = add_node(root, links[i].name, S_IFLNK | 0777, 0, links[i].target);
	if (r == 0)
		r = add_node(root, "shm", S_IFDIR | 01777, 0, NULL);
	if (r == 0)
		r = add_node(root, "pts", S_IFDIR | 0755, 0, NULL);
	if (r == 0)
		r = add_node(root, "mqueue", S_IFDIR | 01777, 0, NULL);
	if (r < 0) {
		log_warn("devfs: populating /dev failed: %d", r);
		sb_put(sb);
		return NULL;
	}
	return sb;
}
