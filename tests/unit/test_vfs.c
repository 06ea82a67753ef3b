/*
 * Unit tests of the VFS on in-memory trees: path walk and symlinks, mounts, permissions,
 * open/unlink/rename rules, getdents, the fd table, pipes, the overlay, the memory devices,
 * goferfs over a forked gofer (a bind mount following the host's changes). No guest: tasks are
 * bare task_alloc()s whose fs and files are set up here.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gofer/client.h"
#include "gofer/gofer.h"
#include "lib/util.h"
#include "sentry/fs/gofer/goferfs.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/host/host.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/fdtable.h"
#include "syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

static struct task *T;
/* Every task made, so they stay reachable (tests end by exiting, not by tearing down). */
static struct task *all_tasks[8];
static int ntasks;

static struct task *new_task(uid_t uid)
{
	struct task *t = task_alloc();
	ck_assert_ptr_nonnull(t);
	ck_assert_int_lt(ntasks, 8);
	all_tasks[ntasks++] = t;
	t->sighand = sighand_new();
	t->creds.uid = t->creds.euid = t->creds.suid = t->creds.fsuid = uid;
	t->creds.gid = t->creds.egid = t->creds.sgid = t->creds.fsgid = uid;
	creds_init_caps(&t->creds); /* root's capabilities for uid 0 */
	t->process.rlimits[RLIMIT_NOFILE].rlim_cur = 1024;
	t->process.rlimits[RLIMIT_NOFILE].rlim_max = 1024;
	t->files = fdtable_new();
	t->tid = t->tgid = 1;
	/* Handlers, so that the signals the tests send are queued rather than fatal (a bare
	 * task is in no thread group for a group kill to reach). */
	t->sighand->actions[SIGPIPE - 1].handler = 0x1000;
	t->sighand->actions[SIGUSR1 - 1].handler = 0x1000;
	return t;
}

/* A tmpfs as the tree's root and a root task whose cwd is "/". */
static void setup_tmpfs_root(void)
{
	ck_assert_int_eq(memfile_init(), 0);
	struct superblock *sb = tmpfs_new("test", 0755);
	ck_assert_ptr_nonnull(sb);
	ck_assert_int_eq(vfs_mount_at(NULL, sb, 0), 0);
	sb_put(sb);
	T = new_task(0);
	struct path root = { mount_tree_root(), NULL };
	root.dentry = root.mnt->root;
	dentry_get(root.dentry);
	T->fs = fs_context_new(&root);
	path_put(&root);
	current_task = T;
}

/* ---- helpers ---- */

static int mkfile(const char *path, const char *content, mode_t mode)
{
	struct file *f;
	int r = vfs_open(T, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, &f);
	if (r < 0)
		return r;
	if (content) {
		ssize_t n = file_pwrite(f, content, strlen(content), 0);
		ck_assert_int_eq(n, (ssize_t)strlen(content));
	}
	file_put(f);
	return 0;
}

/* Reads the whole file into buf (NUL-terminated); the length or -errno. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	struct file *f;
	int r = vfs_open(T, AT_FDCWD, path, O_RDONLY, 0, &f);
	if (r < 0)
		return r;
	ssize_t n = file_pread(f, buf, len - 1, 0);
	file_put(f);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int lookup_errno(const char *path, unsigned int flags)
{
	struct path p;
	int r = vfs_lookup(T, AT_FDCWD, path, flags, &p);
	if (r == 0)
		path_put(&p);
	return r;
}

static ino_t ino_of(const char *path, int flags)
{
	struct kstat st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, path, flags, &st), 0);
	return st.ino;
}

struct names {
	struct dir_context ctx;
	char buf[4096];
	int count;
	int limit;
};

static bool names_actor(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			unsigned int type)
{
	struct names *n = (struct names *)ctx;
	if (n->limit && n->count == n->limit)
		return false;
	strncat(n->buf, name, len);
	strcat(n->buf, " ");
	n->count++;
	return true;
}

/* The names a directory lists, space-separated, "." and ".." included. */
static const char *list(const char *path, struct names *n)
{
	memset(n, 0, sizeof(*n));
	n->ctx.actor = names_actor;
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, &f), 0);
	ck_assert_int_eq(vfs_iterate(f, &n->ctx), 0);
	file_put(f);
	return n->buf;
}

static bool listed(const char *path, const char *name)
{
	struct names n;
	char key[300];
	snprintf(key, sizeof(key), " %s ", name);
	char all[4200] = " ";
	strcat(all, list(path, &n));
	return strstr(all, key) != NULL;
}

/* ---- path walk ---- */

START_TEST(test_walk_basic)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "a/b", 0755), 0);
	ck_assert_int_eq(mkfile("/a/b/f", "hello", 0644), 0);

	ck_assert_int_eq(lookup_errno("/a/b/f", 0), 0);
	ck_assert_int_eq(lookup_errno("a/b/f", 0), 0);
	ck_assert_int_eq(lookup_errno("a/./b/../b//f", 0), 0);
	ck_assert_int_eq(lookup_errno("/../../a/b/f", 0), 0); /* ".." stops at the root */
	ck_assert_int_eq(lookup_errno("/a/b/", 0), 0);
	ck_assert_int_eq(lookup_errno("/a/b/f/", 0), -ENOTDIR);
	ck_assert_int_eq(lookup_errno("/a/b/f/x", 0), -ENOTDIR);
	ck_assert_int_eq(lookup_errno("/a/b/f/.", 0), -ENOTDIR);
	ck_assert_int_eq(lookup_errno("/a/x", 0), -ENOENT);
	ck_assert_int_eq(lookup_errno("/a/x/y", 0), -ENOENT);
	ck_assert_int_eq(lookup_errno("", 0), -ENOENT);
	ck_assert_int_eq(lookup_errno("/a/b/f", LOOKUP_DIRECTORY), -ENOTDIR);

	char longname[NAME_MAX + 2];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(lookup_errno(longname, 0), -ENAMETOOLONG);

	char buf[64];
	ck_assert_int_eq(slurp("/a/b/f", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");

	/* dirfd-relative and AT_EMPTY_PATH */
	struct file *d;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/a", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	int fd = fd_install(T->files, d, false);
	file_put(d);
	struct path p;
	ck_assert_int_eq(vfs_lookup(T, fd, "b/f", 0, &p), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_lookup(T, fd, "", 0, &p), -ENOENT);
	ck_assert_int_eq(vfs_lookup(T, fd, "", LOOKUP_EMPTY, &p), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_lookup(T, 99, "b", 0, &p), -EBADF);
	ck_assert_int_eq(vfs_lookup(T, 99, "/a", 0, &p), 0); /* absolute ignores dirfd */
	path_put(&p);
}
END_TEST

START_TEST(test_walk_symlinks)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a/b", 0755), 0);
	ck_assert_int_eq(mkfile("/a/b/f", "x", 0644), 0);
	ck_assert_int_eq(vfs_symlink(T, "/a/b", AT_FDCWD, "/abs"), 0);
	ck_assert_int_eq(vfs_symlink(T, "b/f", AT_FDCWD, "/a/rel"), 0);
	ck_assert_int_eq(vfs_symlink(T, "../a/b/", AT_FDCWD, "/a/up"), 0);
	ck_assert_int_eq(vfs_symlink(T, "nowhere", AT_FDCWD, "/dangling"), 0);
	ck_assert_int_eq(vfs_symlink(T, "/loop2", AT_FDCWD, "/loop1"), 0);
	ck_assert_int_eq(vfs_symlink(T, "/loop1", AT_FDCWD, "/loop2"), 0);
	ck_assert_int_eq(vfs_symlink(T, "f", AT_FDCWD, "/a/b/self"), 0);

	ck_assert_int_eq(lookup_errno("/abs/f", 0), 0);
	ck_assert_int_eq(lookup_errno("/a/rel", LOOKUP_FOLLOW), 0);
	ck_assert_int_eq(lookup_errno("/a/up/f", 0), 0);
	ck_assert_int_eq(lookup_errno("/abs/", 0), 0); /* trailing slash follows */
	ck_assert_int_eq(lookup_errno("/a/rel/", 0), -ENOTDIR);
	ck_assert_int_eq(lookup_errno("/dangling", LOOKUP_FOLLOW), -ENOENT);
	ck_assert_int_eq(lookup_errno("/dangling", 0), 0);
	ck_assert_int_eq(lookup_errno("/loop1", LOOKUP_FOLLOW), -ELOOP);
	ck_assert_int_eq(lookup_errno("/loop1/x", 0), -ELOOP);
	ck_assert_int_eq(lookup_errno("/abs", LOOKUP_DIRECTORY), -ENOTDIR); /* not followed */
	ck_assert_int_eq(lookup_errno("/abs", LOOKUP_DIRECTORY | LOOKUP_FOLLOW), 0);

	/* nofollow keeps the link itself; follow lands on the target */
	struct kstat st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/a/rel", AT_SYMLINK_NOFOLLOW, &st), 0);
	ck_assert(S_ISLNK(st.mode));
	ck_assert_int_eq(st.size, 3);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/a/rel", 0, &st), 0);
	ck_assert(S_ISREG(st.mode));
	ck_assert_uint_eq(st.ino, ino_of("/a/b/f", 0));

	/* 40 links in a chain resolve, 41 do not */
	char name[32], target[32];
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "/c%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "/a/b/f");
		else
			snprintf(target, sizeof(target), "c%d", i - 1);
		ck_assert_int_eq(vfs_symlink(T, target, AT_FDCWD, name), 0);
	}
	ck_assert_int_eq(lookup_errno("/c39", LOOKUP_FOLLOW), 0);
	ck_assert_int_eq(lookup_errno("/c40", LOOKUP_FOLLOW), -ELOOP);

	char buf[64];
	ck_assert_int_eq(vfs_readlink(T, AT_FDCWD, "/a/up", buf, sizeof(buf)), 7);
	ck_assert_int_eq(memcmp(buf, "../a/b/", 7), 0);
	ck_assert_int_eq(vfs_readlink(T, AT_FDCWD, "/a/b/f", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(vfs_readlink(T, AT_FDCWD, "/a/up", buf, 2), 2);

	/* open follows unless O_NOFOLLOW; O_CREAT through a dangling link creates the target */
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/a/rel", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/a/rel", O_PATH | O_NOFOLLOW, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dangling", O_CREAT | O_WRONLY, 0644, &f), 0);
	file_put(f);
	ck_assert_int_eq(lookup_errno("/nowhere", 0), 0);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/abs", O_CREAT | O_EXCL | O_WRONLY, 0644, &f),
			 -EEXIST);
}
END_TEST

START_TEST(test_mounts)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a", 0755), 0);
	ck_assert_int_eq(mkfile("/a/under", NULL, 0644), 0);
	struct superblock *sb = tmpfs_new("inner", 01777);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/a", sb), 0);
	struct superblock *nomount = tmpfs_new("x", 0755);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/new/dir", nomount), -ENOENT);
	sb_put(nomount);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/made", tmpfs_new("x", 0755)), 0); /* created */
	sb_put(sb);

	ck_assert_int_eq(lookup_errno("/a/under", 0), -ENOENT); /* covered */
	ck_assert_int_eq(mkfile("/a/inside", "1", 0644), 0);
	ck_assert_int_eq(lookup_errno("/a/inside/../inside", 0), -ENOTDIR);
	ck_assert_int_eq(lookup_errno("/a/../a/inside", 0), 0);

	struct kstat st_a, st_root;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/a", 0, &st_a), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/", 0, &st_root), 0);
	ck_assert_uint_ne(st_a.dev, st_root.dev);
	ck_assert_uint_eq(st_a.mode & 07777, 01777);

	/* ".." from the mount's root crosses back to the parent */
	struct path p;
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/a/..", 0, &p), 0);
	struct kstat st;
	ck_assert_int_eq(vfs_dentry_getattr(p.dentry, &st), 0);
	ck_assert_uint_eq(st.dev, st_root.dev);
	ck_assert_uint_eq(st.ino, st_root.ino);
	path_put(&p);

	/* paths print across mounts; cwd too */
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/a/inside", O_RDONLY, 0, &f), 0);
	char buf[PATH_MAX];
	ck_assert_int_eq(file_path(f, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "/a/inside");
	file_put(f);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/a", 0, &p), 0);
	ck_assert_int_eq(vfs_chdir(T, &p), 0);
	path_put(&p);
	ck_assert_int_eq(fs_context_cwd_path(T->fs, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "/a");
	ck_assert_int_eq(fs_context_cwd_path(T->fs, buf, 2), -ENAMETOOLONG);
	ck_assert_int_eq(lookup_errno("inside", 0), 0);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a", AT_REMOVEDIR), -EBUSY);

	/* chroot: "/" and ".." stop at the new root */
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/a", 0, &p), 0);
	ck_assert_int_eq(vfs_chroot(T, &p), 0);
	path_put(&p);
	ck_assert_int_eq(lookup_errno("/inside", 0), 0);
	ck_assert_int_eq(lookup_errno("/../../inside", 0), 0);
	ck_assert_int_eq(lookup_errno("/under", 0), -ENOENT);
}
END_TEST

/* Bind mounts: a subtree shown again (recursively or not), files on files, flags per mount. */
START_TEST(test_bind_mounts)
{
	setup_tmpfs_root();
	dev_register_devices();
	/* Root with every capability (mknod of a device needs CAP_MKNOD). */
	T->creds.cap_effective = T->creds.cap_permitted = ~0ULL;
	char buf[64];
	struct path src, dst, p;
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/src", 0755), 0);
	ck_assert_int_eq(mkfile("/src/f", "src", 0644), 0);
	ck_assert_int_eq(vfs_mknod(T, AT_FDCWD, "/src/null", S_IFCHR | 0666, makedev(1, 3)), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/src/sub", 0755), 0);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/src/sub", tmpfs_new("sub", 0755)), 0);
	ck_assert_int_eq(mkfile("/src/sub/g", "g", 0644), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/dst", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/flat", 0755), 0);
	ck_assert_int_eq(mkfile("/file", "file", 0644), 0);
	ck_assert_int_eq(mkfile("/file2", "file2", 0755), 0);

	/* Recursive and read-only: the submount comes along with its own (writable) flags. */
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/src", 0, &src), 0);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/dst", 0, &dst), 0);
	ck_assert_int_eq(vfs_bind_mount(&src, &dst, MNT_RDONLY, true), 0);
	path_put(&dst);
	ck_assert_int_eq(slurp("/dst/f", buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "src");
	ck_assert_int_eq(slurp("/dst/sub/g", buf, sizeof(buf)), 1);
	ck_assert_int_eq(mkfile("/dst/new", NULL, 0644), -EROFS);
	ck_assert_int_eq(mkfile("/dst/f", "x", 0644), -EROFS);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/dst/d", 0755), -EROFS);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/dst/f", 0), -EROFS);
	ck_assert_int_eq(mkfile("/dst/sub/h", "h", 0644), 0);
	ck_assert_int_eq(slurp("/src/sub/h", buf, sizeof(buf)), 1); /* the same filesystem */
	ck_assert_int_eq(mkfile("/src/new", "n", 0644), 0);	     /* the source stays writable */
	ck_assert_int_eq(slurp("/dst/new", buf, sizeof(buf)), 1);

	/* Not recursive: below the bound directory, only what its own filesystem holds. */
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/flat", 0, &dst), 0);
	ck_assert_int_eq(vfs_bind_mount(&src, &dst, 0, false), 0);
	path_put(&dst);
	ck_assert_int_eq(lookup_errno("/flat/sub/g", 0), -ENOENT);
	ck_assert_int_eq(lookup_errno("/flat/f", 0), 0);

	/* Flags of a mount: nodev, then noexec on a file bound on itself. */
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/flat/null", O_RDONLY, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/flat", 0, &p), 0);
	vfs_mount_set_flags(p.mnt, MNT_NODEV);
	path_put(&p);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/flat/null", O_RDONLY, 0, &f), -EACCES);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/src/null", O_RDONLY, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_open_exec(T, "/file2", &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/file2", 0, &p), 0);
	ck_assert_int_eq(vfs_bind_mount(&p, &p, MNT_NOEXEC, false), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_open_exec(T, "/file2", &f), -EACCES);

	/* A file on a file: reads and writes reach the bound file. */
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/file2", 0, &p), 0);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/file", 0, &dst), 0);
	ck_assert_int_eq(vfs_bind_mount(&p, &dst, 0, false), 0);
	ck_assert_int_eq(slurp("/file", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "file2");
	ck_assert_int_eq(mkfile("/file", "new", 0644), 0);
	ck_assert_int_eq(slurp("/file2", buf, sizeof(buf)), 3);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/file", 0), -EBUSY);
	/* A directory and a file do not go on each other. */
	ck_assert_int_eq(vfs_bind_mount(&src, &dst, 0, false), -ENOTDIR);
	path_put(&dst);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/flat", 0, &dst), 0);
	ck_assert_int_eq(vfs_bind_mount(&p, &dst, 0, false), -ENOTDIR);
	path_put(&dst);
	path_put(&p);
	path_put(&src);
}
END_TEST

/* ---- permissions ---- */

START_TEST(test_permissions)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/priv", 0700), 0);
	ck_assert_int_eq(mkfile("/priv/secret", "s", 0600), 0);
	ck_assert_int_eq(mkfile("/noexec", "#!", 0644), 0);
	ck_assert_int_eq(mkfile("/exec", "x", 0111), 0);
	T->fs->umask = 0;
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/tmp", 01777), 0);
	T->fs->umask = 022;

	struct file *f;
	/* root: read/write anything; exec needs an x bit */
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/priv/secret", O_RDWR, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_open_exec(T, "/noexec", &f), -EACCES);
	ck_assert_int_eq(vfs_open_exec(T, "/exec", &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_open_exec(T, "/priv", &f), -EACCES);
	ck_assert_int_eq(vfs_open_exec(T, "/none", &f), -ENOENT);
	ck_assert_int_eq(vfs_access(T, AT_FDCWD, "/noexec", X_OK, 0), -EACCES);
	ck_assert_int_eq(vfs_access(T, AT_FDCWD, "/noexec", R_OK | W_OK, 0), 0);

	/* another user */
	struct task *root = T;
	T = new_task(1000);
	T->fs = fs_context_fork(root->fs);
	current_task = T;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/priv/secret", O_RDONLY, 0, &f), -EACCES);
	ck_assert_int_eq(lookup_errno("/priv/secret", 0), -EACCES);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/noexec", O_WRONLY, 0, &f), -EACCES);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/noexec", O_RDONLY, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/mine", 0755), -EACCES);
	ck_assert_int_eq(vfs_access(T, AT_FDCWD, "/noexec", W_OK, 0), -EACCES);
	ck_assert_int_eq(vfs_access(T, AT_FDCWD, "/noexec", R_OK, 0), 0);

	/* sticky /tmp: only the owner removes; new files belong to the creator */
	ck_assert_int_eq(mkfile("/tmp/mine", "", 0644), 0);
	struct kstat st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/tmp/mine", 0, &st), 0);
	ck_assert_uint_eq(st.uid, 1000);
	ck_assert_uint_eq(st.mode & 0777, 0644 & ~022);
	struct path p;
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/tmp/mine", 0, &p), 0);
	ck_assert_int_eq(vfs_chown(T, &p, 0, (gid_t)-1), -EPERM);
	ck_assert_int_eq(vfs_chmod(T, &p, 0600), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/noexec", 0, &p), 0);
	ck_assert_int_eq(vfs_chmod(T, &p, 0777), -EPERM);
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
	ck_assert_int_eq(vfs_utimes(T, &p, ts), -EPERM);
	path_put(&p);

	T = root;
	current_task = T;
	ck_assert_int_eq(mkfile("/tmp/roots", "", 0644), 0);
	T = new_task(1000);
	T->fs = fs_context_fork(root->fs);
	current_task = T;
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/tmp/roots", 0), -EPERM);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/tmp/mine", 0), 0);
}
END_TEST

/* ---- open, read, write ---- */

START_TEST(test_open_rw)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/d", 0755), 0);
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d", O_WRONLY, 0, &f), -EISDIR);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d", O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/", O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/nofile/", O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/x", O_RDONLY, 0, &f), -ENOENT);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/x/y", O_CREAT | O_RDONLY, 0, &f), -ENOENT);

	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f", O_CREAT | O_RDWR, 0666, &f), 0);
	ck_assert_int_eq(file_pwrite(f, "0123456789", 10, 0), 10);
	char buf[64] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), 10); /* pwrite left the position at 0 */
	ck_assert_int_eq(vfs_llseek(f, 2, SEEK_SET), 2);
	iov.iov_len = 3;
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), 3);
	ck_assert_int_eq(memcmp(buf, "234", 3), 0);
	ck_assert_int_eq(vfs_llseek(f, 0, SEEK_CUR), 5);
	ck_assert_int_eq(vfs_llseek(f, -1, SEEK_END), 9);
	ck_assert_int_eq(vfs_llseek(f, -20, SEEK_END), -EINVAL);
	ck_assert_int_eq(vfs_llseek(f, 100, SEEK_SET), 100);
	struct iovec w = { "Z", 1 };
	ck_assert_int_eq(vfs_writev(f, &w, 1, NULL), 1); /* leaves a hole */
	struct kstat st;
	ck_assert_int_eq(file_stat(f, &st), 0);
	ck_assert_int_eq(st.size, 101);
	ck_assert_int_eq(file_pread(f, buf, 5, 50), 5);
	ck_assert_int_eq(buf[0] | buf[1] | buf[4], 0);
	ck_assert_int_eq(vfs_llseek(f, 20, SEEK_DATA), 20);
	ck_assert_int_eq(vfs_llseek(f, 200, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(vfs_ftruncate(T, f, 4), 0);
	ck_assert_int_eq(file_pread(f, buf, 64, 0), 4);
	ck_assert_int_eq(vfs_ftruncate(T, f, 8), 0);
	ck_assert_int_eq(file_pread(f, buf, 64, 0), 8);
	ck_assert_int_eq(memcmp(buf, "0123\0\0\0\0", 8), 0); /* shrink then grow reads zeros */
	file_put(f);

	/* O_APPEND writes at the end whatever the position */
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f", O_WRONLY | O_APPEND, 0, &f), 0);
	ck_assert_int_eq(file_pwrite(f, "ab", 2, 0), 2);
	file_put(f);
	ck_assert_int_eq(slurp("/d/f", buf, sizeof(buf)), 10);
	ck_assert_int_eq(memcmp(buf + 8, "ab", 2), 0);

	/* O_TRUNC, access modes, the umask */
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f", O_RDONLY | O_TRUNC, 0, &f), 0);
	iov = (struct iovec){ buf, 1 };
	ck_assert_int_eq(vfs_writev(f, &iov, 1, NULL), -EBADF);
	file_put(f);
	ck_assert_int_eq(slurp("/d/f", buf, sizeof(buf)), 0);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f", O_WRONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), -EBADF);
	file_put(f);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), -EISDIR);
	file_put(f);
	T->fs->umask = 027;
	ck_assert_int_eq(mkfile("/d/g", NULL, 0777), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/d/g", 0, &st), 0);
	ck_assert_uint_eq(st.mode, S_IFREG | 0750);

	/* O_PATH files do no I/O */
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/g", O_PATH | O_RDWR, 0, &f), 0);
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), -EBADF);
	ck_assert_int_eq(file_stat(f, &st), 0);
	file_put(f);
}
END_TEST

START_TEST(test_namespace_ops)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a", 0755), -EEXIST);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/a/b/", 0755), 0); /* a trailing slash is fine */
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/", 0755), -EEXIST);
	ck_assert_int_eq(mkfile("/a/f", "data", 0644), 0);
	ck_assert_int_eq(mkfile("/a/b/g", "g", 0644), 0);

	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a", AT_REMOVEDIR), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a", 0), -EISDIR);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a/f", AT_REMOVEDIR), -ENOTDIR);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a/f/", 0), -ENOTDIR);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a/.", AT_REMOVEDIR), -EINVAL);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a/..", AT_REMOVEDIR), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/a/none", 0), -ENOENT);

	/* rename rules */
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a", AT_FDCWD, "/a/b/c", 0), -EINVAL);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/f", AT_FDCWD, "/a/b", 0), -EISDIR);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/b", AT_FDCWD, "/a/f", 0), -ENOTDIR);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/f", AT_FDCWD, "/a/f2/", 0), -ENOTDIR);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/f", AT_FDCWD, "/a/b/g", RENAME_NOREPLACE),
			 -EEXIST);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/f", AT_FDCWD, "/a/f", 0), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/e", 0755), 0);
	ck_assert_int_eq(mkfile("/e/x", "", 0644), 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/b", AT_FDCWD, "/e", 0), -ENOTEMPTY);

	struct file *keep;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/a/b/g", O_RDONLY, 0, &keep), 0);
	ino_t ino = ino_of("/a/f", 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/f", AT_FDCWD, "/a/b/g", 0), 0);
	ck_assert_int_eq(lookup_errno("/a/f", 0), -ENOENT);
	ck_assert_uint_eq(ino_of("/a/b/g", 0), ino);
	char buf[64];
	ck_assert_int_eq(slurp("/a/b/g", buf, sizeof(buf)), 4);
	/* the replaced file lives on for whoever has it open, as deleted */
	ck_assert_int_eq(file_pread(keep, buf, sizeof(buf), 0), 1);
	ck_assert_int_eq(file_path(keep, buf, sizeof(buf)), 16);
	ck_assert_str_eq(buf, "/a/b/g (deleted)");
	file_put(keep);

	/* a directory moves with its contents, and its old name goes */
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a/b", AT_FDCWD, "/moved", 0), 0);
	ck_assert_int_eq(slurp("/moved/g", buf, sizeof(buf)), 4);
	ck_assert_int_eq(lookup_errno("/a/b", 0), -ENOENT);
	struct kstat st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/a", 0, &st), 0);
	ck_assert_uint_eq(st.nlink, 2);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/", 0, &st), 0);
	ck_assert_uint_eq(st.nlink, 5); /* ., .., a, e, moved */

	/* exchange */
	ck_assert_int_eq(mkfile("/e/y", "y", 0644), 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/e/x", AT_FDCWD, "/moved/g", RENAME_EXCHANGE), 0);
	ck_assert_int_eq(slurp("/e/x", buf, sizeof(buf)), 4);
	ck_assert_int_eq(slurp("/moved/g", buf, sizeof(buf)), 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/e/none", AT_FDCWD, "/e/y", RENAME_EXCHANGE),
			 -ENOENT);

	/* hard links */
	ck_assert_int_eq(vfs_link(T, AT_FDCWD, "/e/x", AT_FDCWD, "/e/hard", 0), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/e/hard", 0, &st), 0);
	ck_assert_uint_eq(st.nlink, 2);
	ck_assert_uint_eq(st.ino, ino_of("/e/x", 0));
	ck_assert_int_eq(vfs_link(T, AT_FDCWD, "/e", AT_FDCWD, "/e2", 0), -EPERM);
	ck_assert_int_eq(vfs_link(T, AT_FDCWD, "/e/x", AT_FDCWD, "/e/y", 0), -EEXIST);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/e/x", 0), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/e/hard", 0, &st), 0);
	ck_assert_uint_eq(st.nlink, 1);

	/* mknod: FIFOs, devices need root, no directories */
	ck_assert_int_eq(vfs_mknod(T, AT_FDCWD, "/fifo", S_IFIFO | 0600, 0), 0);
	ck_assert_int_eq(vfs_mknod(T, AT_FDCWD, "/dir", S_IFDIR | 0600, 0), -EPERM);
	ck_assert_int_eq(vfs_mknod(T, AT_FDCWD, "/null", S_IFCHR | 0666, makedev(1, 3)), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/null", 0, &st), 0);
	ck_assert_uint_eq(st.rdev, makedev(1, 3));

	/* a removed cwd: lookups in it fail, getcwd says ENOENT */
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/gone", 0755), 0);
	struct path p;
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/gone", 0, &p), 0);
	ck_assert_int_eq(vfs_chdir(T, &p), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/gone", AT_REMOVEDIR), 0);
	ck_assert_int_eq(mkfile("new", NULL, 0644), -ENOENT);
	ck_assert_int_eq(fs_context_cwd_path(T->fs, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(lookup_errno("..", 0), 0);
}
END_TEST

START_TEST(test_getdents)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/d", 0755), 0);
	char name[16];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "/d/f%d", i);
		ck_assert_int_eq(mkfile(name, NULL, 0644), 0);
	}
	struct names n;
	ck_assert_str_eq(list("/d", &n), ". .. f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 ");

	/* Reading in pieces continues where it stopped, even across deletions. */
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	memset(&n, 0, sizeof(n));
	n.ctx.actor = names_actor;
	n.limit = 4;
	ck_assert_int_eq(vfs_iterate(f, &n.ctx), 0);
	ck_assert_str_eq(n.buf, ". .. f0 f1 ");
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/f2", 0), 0);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/f0", 0), 0);
	ck_assert_int_eq(mkfile("/d/new", NULL, 0644), 0);
	n.buf[0] = '\0';
	n.count = 0;
	n.limit = 0;
	ck_assert_int_eq(vfs_iterate(f, &n.ctx), 0);
	ck_assert_str_eq(n.buf, "f3 f4 f5 f6 f7 f8 f9 new ");
	/* at the end: nothing more; rewinding starts over */
	n.buf[0] = '\0';
	ck_assert_int_eq(vfs_iterate(f, &n.ctx), 0);
	ck_assert_str_eq(n.buf, "");
	ck_assert_int_eq(vfs_llseek(f, 0, SEEK_SET), 0);
	ck_assert_int_eq(vfs_iterate(f, &n.ctx), 0);
	ck_assert_str_eq(n.buf, ". .. f1 f3 f4 f5 f6 f7 f8 f9 new ");
	file_put(f);

	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f1", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_iterate(f, &n.ctx), -ENOTDIR);
	file_put(f);
}
END_TEST

/* ---- fd table ---- */

START_TEST(test_fdtable)
{
	setup_tmpfs_root();
	ck_assert_int_eq(mkfile("/f", NULL, 0644), 0);
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/f", O_RDONLY, 0, &f), 0);
	struct fdtable *fdt = T->files;
	ck_assert_int_eq(fd_install(fdt, f, false), 0);
	ck_assert_int_eq(fd_install(fdt, f, true), 1);
	ck_assert_int_eq(fd_install(fdt, f, false), 2);
	ck_assert_int_eq(fd_get_flags(fdt, 1), FD_CLOEXEC);
	ck_assert_int_eq(fd_get_flags(fdt, 2), 0);
	ck_assert_int_eq(fd_get_flags(fdt, 3), -EBADF);
	ck_assert_int_eq(fd_close(fdt, 0), 0);
	ck_assert_int_eq(fd_close(fdt, 0), -EBADF);
	ck_assert_int_eq(fd_close(fdt, -1), -EBADF);
	ck_assert_int_eq(fd_install(fdt, f, false), 0); /* lowest free again */
	ck_assert_int_eq(fd_install_min(fdt, f, 10, false, 1024), 10);
	ck_assert_int_eq(fd_install_min(fdt, f, 10, false, 1024), 11);
	ck_assert_int_eq(fd_install_min(fdt, f, 1024, false, 1024), -EINVAL);
	ck_assert_int_eq(fd_install(fdt, f, false), 3);

	/* dup2 onto an open fd replaces it; beyond the limit is EBADF */
	ck_assert_int_eq(fd_install_at(fdt, 2, f, true, 1024), 2);
	ck_assert_int_eq(fd_get_flags(fdt, 2), FD_CLOEXEC);
	ck_assert_int_eq(fd_install_at(fdt, 1024, f, false, 1024), -EBADF);
	ck_assert_int_eq(fd_install_at(fdt, 500, f, false, 1024), 500);
	ck_assert_int_eq(fdtable_next_fd(fdt, 12), 500);
	ck_assert_int_eq(fdtable_next_fd(fdt, 501), -1);

	/* fork copies; the copies are independent */
	struct fdtable *child = fdtable_fork(fdt);
	ck_assert_int_eq(fd_close(child, 500), 0);
	struct file *g = fd_get(fdt, 500);
	ck_assert_ptr_eq(g, f);
	file_put(g);
	ck_assert_ptr_null(fd_get(child, 500));
	fdtable_put(child);

	/* exec closes the FD_CLOEXEC ones */
	fdtable_close_on_exec(fdt);
	ck_assert_int_eq(fd_get_flags(fdt, 1), -EBADF);
	ck_assert_int_eq(fd_get_flags(fdt, 2), -EBADF);
	ck_assert_int_eq(fd_get_flags(fdt, 0), 0);

	/* close_range */
	fd_close_range(fdt, 10, 11, true);
	ck_assert_int_eq(fd_get_flags(fdt, 10), FD_CLOEXEC);
	fd_close_range(fdt, 3, ~0u, false);
	ck_assert_int_eq(fdtable_next_fd(fdt, 1), -1);

	/* RLIMIT_NOFILE */
	T->process.rlimits[RLIMIT_NOFILE].rlim_cur = 4;
	ck_assert_int_eq(fd_install(fdt, f, false), 1);
	ck_assert_int_eq(fd_install(fdt, f, false), 2);
	ck_assert_int_eq(fd_install(fdt, f, false), 3);
	ck_assert_int_eq(fd_install(fdt, f, false), -EMFILE);
	file_put(f);
}
END_TEST

/* ---- pipes ---- */

START_TEST(test_pipe_buf)
{
	struct pipe_buf b;
	ck_assert_int_eq(pipe_buf_init(&b, 8), 0);
	char out[16];
	struct iovec in_iov = { "abcdef", 6 }, out_iov = { out, 4 };
	struct iov_iter it;
	iov_iter_init(&it, &in_iov, 1);
	ck_assert_uint_eq(pipe_buf_push(&b, &it, 6), 6);
	iov_iter_init(&it, &out_iov, 1);
	ck_assert_uint_eq(pipe_buf_pop(&b, &it, 4), 4);
	ck_assert_int_eq(memcmp(out, "abcd", 4), 0);
	/* wraps around the end */
	struct iovec two[2] = { { "12", 2 }, { "3456789", 7 } };
	iov_iter_init(&it, two, 2);
	ck_assert_uint_eq(pipe_buf_push(&b, &it, 9), 6); /* 2 left + 6 free */
	ck_assert_uint_eq(b.len, 8);
	out_iov.iov_len = 16;
	iov_iter_init(&it, &out_iov, 1);
	ck_assert_uint_eq(pipe_buf_pop(&b, &it, 16), 8);
	ck_assert_int_eq(memcmp(out, "ef123456", 8), 0);
	ck_assert_uint_eq(b.len, 0);
	/* resize keeps the bytes */
	iov_iter_init(&it, &in_iov, 1);
	ck_assert_uint_eq(pipe_buf_push(&b, &it, 6), 6);
	ck_assert_int_eq(pipe_buf_resize(&b, 4), -EBUSY);
	ck_assert_int_eq(pipe_buf_resize(&b, 32), 0);
	iov_iter_init(&it, &out_iov, 1);
	ck_assert_uint_eq(pipe_buf_pop(&b, &it, 16), 6);
	ck_assert_int_eq(memcmp(out, "abcdef", 6), 0);
	pipe_buf_destroy(&b);
}
END_TEST

START_TEST(test_pipe_nonblocking)
{
	setup_tmpfs_root();
	struct file *r, *w;
	ck_assert_int_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	char buf[8192];
	struct iovec iov = { buf, sizeof(buf) };
	ck_assert_int_eq(vfs_readv(r, &iov, 1, NULL), -EAGAIN);
	struct waitqueue *wq;
	ck_assert_uint_eq(vfs_poll(r, &wq), 0);
	ck_assert_ptr_nonnull(wq);
	ck_assert_uint_eq(vfs_poll(w, &wq), POLLOUT | POLLWRNORM);
	ck_assert_int_eq(file_pread(r, buf, 1, 0), -ESPIPE);
	ck_assert_int_eq(vfs_llseek(r, 0, SEEK_SET), -ESPIPE);

	/* fill to within 100 bytes of the 64 KiB */
	memset(buf, 'x', sizeof(buf));
	size_t filled = 0;
	while (filled < PIPE_DEFAULT_SIZE - 100) {
		iov.iov_len = MIN(sizeof(buf), PIPE_DEFAULT_SIZE - 100 - filled);
		ssize_t n = vfs_writev(w, &iov, 1, NULL);
		ck_assert_int_gt(n, 0);
		filled += (size_t)n;
	}
	ck_assert_uint_eq(vfs_poll(w, &wq) & POLLOUT, 0);
	iov.iov_len = 200; /* <= PIPE_BUF: all or nothing */
	ck_assert_int_eq(vfs_writev(w, &iov, 1, NULL), -EAGAIN);
	iov.iov_len = 5000; /* > PIPE_BUF: what fits */
	ck_assert_int_eq(vfs_writev(w, &iov, 1, NULL), 100);
	ck_assert_int_eq(vfs_writev(w, &iov, 1, NULL), -EAGAIN);
	ck_assert_uint_eq(vfs_poll(r, &wq), POLLIN | POLLRDNORM);
	ck_assert_int_eq(pipe_get_size(r), PIPE_DEFAULT_SIZE);
	ck_assert_int_eq(pipe_set_size(r, 4096), -EBUSY);

	/* drain; with the writer gone, EOF and POLLHUP */
	iov.iov_len = sizeof(buf);
	size_t drained = 0;
	ssize_t n;
	while ((n = vfs_readv(r, &iov, 1, NULL)) > 0)
		drained += (size_t)n;
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_uint_eq(drained, PIPE_DEFAULT_SIZE);
	file_put(w);
	ck_assert_int_eq(vfs_readv(r, &iov, 1, NULL), 0);
	ck_assert_uint_eq(vfs_poll(r, &wq), POLLHUP);

	/* with the reader gone: EPIPE and SIGPIPE */
	file_put(r);
	ck_assert_int_eq(pipe_create(0, &r, &w), 0);
	char path[64];
	ck_assert_int_eq(file_path(r, path, sizeof(path)), (int)strlen(path));
	ck_assert_int_eq(strncmp(path, "pipe:[", 6), 0);
	file_put(r);
	ck_assert_uint_eq(vfs_poll(w, &wq) & POLLERR, POLLERR);
	iov.iov_len = 1;
	ck_assert_int_eq(vfs_writev(w, &iov, 1, NULL), -EPIPE);
	ck_assert(task_pending_signals(T) & GSIG_BIT(SIGPIPE));
	file_put(w);
}
END_TEST

struct pipe_thread {
	struct file *f;
	struct task *t;
	ssize_t result;
	char buf[16];
};

static void *reader_main(void *arg)
{
	struct pipe_thread *pt = arg;
	current_task = pt->t;
	struct iovec iov = { pt->buf, sizeof(pt->buf) };
	pt->result = vfs_readv(pt->f, &iov, 1, NULL);
	return NULL;
}

START_TEST(test_pipe_blocking)
{
	setup_tmpfs_root();
	struct file *r, *w;
	ck_assert_int_eq(pipe_create(0, &r, &w), 0);
	struct pipe_thread pt = { .f = r, .t = new_task(0) };
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, reader_main, &pt), 0);
	usleep(50000); /* let it block */
	ck_assert_int_eq(file_pwrite(w, "hi", 2, 0), -ESPIPE);
	struct iovec iov = { "hi", 2 };
	ck_assert_int_eq(vfs_writev(w, &iov, 1, NULL), 2);
	pthread_join(thr, NULL);
	ck_assert_int_eq(pt.result, 2);
	ck_assert_int_eq(memcmp(pt.buf, "hi", 2), 0);

	/* a blocked reader wakes with EOF when the last writer goes */
	ck_assert_int_eq(pthread_create(&thr, NULL, reader_main, &pt), 0);
	usleep(50000);
	file_put(w);
	pthread_join(thr, NULL);
	ck_assert_int_eq(pt.result, 0);

	/* and a signal ends the wait */
	file_put(r);
	ck_assert_int_eq(pipe_create(0, &r, &w), 0);
	pt.f = r;
	ck_assert_int_eq(pthread_create(&thr, NULL, reader_main, &pt), 0);
	usleep(50000);
	ck_assert_int_eq(task_send_signal(pt.t, SIGUSR1, NULL), 0);
	pthread_join(thr, NULL);
	ck_assert_int_eq(pt.result, -ERESTARTSYS);
	file_put(r);
	file_put(w);
}
END_TEST

START_TEST(test_fifo)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mknod(T, AT_FDCWD, "/fifo", S_IFIFO | 0666, 0), 0);
	struct file *r, *w;
	/* a non-blocking writer with no reader: ENXIO; a non-blocking reader opens at once */
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/fifo", O_WRONLY | O_NONBLOCK, 0, &w), -ENXIO);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/fifo", O_RDONLY | O_NONBLOCK, 0, &r), 0);
	struct waitqueue *wq;
	ck_assert_uint_eq(vfs_poll(r, &wq) & POLLHUP, 0); /* no writer has come yet */
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/fifo", O_WRONLY, 0, &w), 0);
	struct iovec iov = { "abc", 3 };
	ck_assert_int_eq(vfs_writev(w, &iov, 1, NULL), 3);
	char buf[8];
	iov = (struct iovec){ buf, sizeof(buf) };
	ck_assert_int_eq(vfs_readv(r, &iov, 1, NULL), 3);
	file_put(w);
	ck_assert_uint_eq(vfs_poll(r, &wq) & POLLHUP, POLLHUP);
	file_put(r);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/fifo", O_RDWR, 0, &r), 0);
	file_put(r);
}
END_TEST

/* ---- overlay ---- */

/* Lower: /d/f1 ("lower"), /d/sub/x, /d/link -> f1, /g. Overlay of it as the root. */
static void setup_overlay(void)
{
	ck_assert_int_eq(memfile_init(), 0);
	T = new_task(0);
	current_task = T;
	struct superblock *lower = tmpfs_new("lower", 0755);
	struct dentry *lr = lower->root, *d, *sub;
	struct vfs_node dir = { .mode = S_IFDIR | 0755 }, file = { .mode = S_IFREG | 0644 },
			link = { .mode = S_IFLNK | 0777, .target = "f1" };
	ck_assert_int_eq(vfs_dir_mknod(NULL, lr, "d", &dir, &d), 0);
	ck_assert_int_eq(vfs_dir_mknod(NULL, d, "sub", &dir, &sub), 0);
	ck_assert_int_eq(vfs_dir_mknod(NULL, sub, "x", &file, NULL), 0);
	ck_assert_int_eq(vfs_dir_mknod(NULL, d, "link", &link, NULL), 0);
	ck_assert_int_eq(vfs_dir_mknod(NULL, lr, "g", &file, NULL), 0);
	struct dentry *f1;
	ck_assert_int_eq(vfs_dir_mknod(NULL, d, "f1", &file, &f1), 0);
	struct file *f;
	ck_assert_int_eq(vfs_dentry_open(NULL, f1, O_WRONLY, &f), 0);
	ck_assert_int_eq(file_pwrite(f, "lower", 5, 0), 5);
	file_put(f);
	dentry_put(f1);
	dentry_put(sub);
	dentry_put(d);
	struct superblock *upper = tmpfs_new("upper", 0755);
	struct superblock *ovl = overlay_new(lower->root, upper);
	ck_assert_ptr_nonnull(ovl);
	ck_assert_int_eq(vfs_mount_at(NULL, ovl, 0), 0);
	sb_put(ovl);
	sb_put(upper);
	/* keep lower's root reachable for the checks below */
	struct path root = { mount_tree_root(), NULL };
	root.dentry = root.mnt->root;
	dentry_get(root.dentry);
	T->fs = fs_context_new(&root);
	path_put(&root);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/lowerview", lower), 0);
	sb_put(lower);
}

START_TEST(test_overlay_read_and_copy_up)
{
	setup_overlay();
	char buf[64];
	ck_assert_int_eq(slurp("/d/f1", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "lower");
	ck_assert_int_eq(slurp("/d/link", buf, sizeof(buf)), 5);
	ino_t ino = ino_of("/d/f1", 0);
	ck_assert_uint_eq(ino, ino_of("/lowerview/d/f1", 0));
	struct kstat st_root, st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/", 0, &st_root), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/d/f1", 0, &st), 0);
	ck_assert_uint_eq(st.dev, st_root.dev);

	/* read-only open does not copy up; a write does, and the lower file stays */
	struct file *ro;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f1", O_RDONLY, 0, &ro), 0);
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f1", O_RDWR, 0, &f), 0);
	ck_assert_int_eq(file_pwrite(f, "UP", 2, 0), 2);
	ck_assert_int_eq(file_pread(f, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(memcmp(buf, "UPwer", 5), 0);
	file_put(f);
	file_put(ro);
	ck_assert_int_eq(slurp("/d/f1", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "UPwer");
	ck_assert_int_eq(slurp("/lowerview/d/f1", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "lower");
	ck_assert_uint_eq(ino_of("/d/f1", 0), ino); /* stable across copy-up */
	dcache_shrink();
	ck_assert_uint_eq(ino_of("/d/f1", 0), ino); /* and after the cache forgets */

	/* chmod copies up with the data; mode and times carry over */
	struct kstat before;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/g", 0, &before), 0);
	struct path p;
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/g", 0, &p), 0);
	ck_assert_int_eq(vfs_chmod(T, &p, 0600), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/g", 0, &st), 0);
	ck_assert_uint_eq(st.mode, S_IFREG | 0600);
	ck_assert_int_eq(st.mtime.tv_sec, before.mtime.tv_sec);
	ck_assert_int_eq(st.mtime.tv_nsec, before.mtime.tv_nsec);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/lowerview/g", 0, &st), 0);
	ck_assert_uint_eq(st.mode, S_IFREG | 0644);

	/* truncate copies up too */
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/d/sub/x", 0, &p), 0);
	ck_assert_int_eq(vfs_truncate(T, &p, 3), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/d/sub/x", 0, &st), 0);
	ck_assert_int_eq(st.size, 3);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/lowerview/d/sub/x", 0, &st), 0);
	ck_assert_int_eq(st.size, 0);
}
END_TEST

START_TEST(test_overlay_whiteouts)
{
	setup_overlay();
	struct names n;
	ck_assert_str_eq(list("/d", &n), ". .. sub link f1 ");
	ck_assert_int_eq(mkfile("/d/new", "n", 0644), 0);
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/d/sub/inner", 0755), 0);
	/* merged, no duplicates: upper entries first, then the lower ones */
	ck_assert_str_eq(list("/d", &n), ". .. new sub link f1 ");
	ck_assert_str_eq(list("/d/sub", &n), ". .. inner x ");

	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/f1", 0), 0);
	ck_assert_int_eq(lookup_errno("/d/f1", 0), -ENOENT);
	ck_assert(!listed("/d", "f1"));
	ck_assert_int_eq(lookup_errno("/lowerview/d/f1", 0), 0);
	ck_assert_int_eq(lookup_errno("/d/link", LOOKUP_FOLLOW), -ENOENT); /* dangling now */
	dcache_shrink();
	ck_assert_int_eq(lookup_errno("/d/f1", 0), -ENOENT);

	/* a new file in the whiteout's place shows no trace of the old one */
	ck_assert_int_eq(mkfile("/d/f1", "again", 0644), 0);
	char buf[64];
	ck_assert_int_eq(slurp("/d/f1", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "again");
	ck_assert(listed("/d", "f1"));
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/f1", 0), 0);
	ck_assert(!listed("/d", "f1"));

	/* rmdir of a merged directory: empty in the merged view, lower entries whited out */
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/sub", AT_REMOVEDIR), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/sub/x", 0), 0);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/sub", AT_REMOVEDIR), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/sub/inner", AT_REMOVEDIR), 0);
	ck_assert_str_eq(list("/d/sub", &n), ". .. ");
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/sub", AT_REMOVEDIR), 0);
	ck_assert_int_eq(lookup_errno("/d/sub", 0), -ENOENT);
	ck_assert_int_eq(lookup_errno("/lowerview/d/sub/x", 0), 0);
	/* made again, it is opaque: the lower x does not come back */
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/d/sub", 0700), 0);
	ck_assert_str_eq(list("/d/sub", &n), ". .. ");
	ck_assert_int_eq(lookup_errno("/d/sub/x", 0), -ENOENT);
	dcache_shrink();
	ck_assert_int_eq(lookup_errno("/d/sub/x", 0), -ENOENT);
	ck_assert_str_eq(list("/d", &n), ". .. new sub link ");
}
END_TEST

START_TEST(test_overlay_rename)
{
	setup_overlay();
	/* lower directories cannot move (EXDEV); files can, leaving a whiteout */
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/d", AT_FDCWD, "/e", 0), -EXDEV);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/d/f1", AT_FDCWD, "/moved", 0), 0);
	ck_assert_int_eq(lookup_errno("/d/f1", 0), -ENOENT);
	char buf[64];
	ck_assert_int_eq(slurp("/moved", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "lower");
	ck_assert_int_eq(lookup_errno("/lowerview/d/f1", 0), 0);
	dcache_shrink();
	ck_assert_int_eq(lookup_errno("/d/f1", 0), -ENOENT);
	ck_assert_int_eq(slurp("/moved", buf, sizeof(buf)), 5);

	/* onto a lower file: replaced */
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/moved", AT_FDCWD, "/g", 0), 0);
	ck_assert_int_eq(slurp("/g", buf, sizeof(buf)), 5);
	ck_assert_int_eq(lookup_errno("/moved", 0), -ENOENT);

	/* new directories move freely, also over an empty lower one (which must not show) */
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/nd", 0755), 0);
	ck_assert_int_eq(mkfile("/nd/in", "i", 0644), 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/nd", AT_FDCWD, "/d/nd2", 0), 0);
	ck_assert_int_eq(slurp("/d/nd2/in", buf, sizeof(buf)), 1);
	ck_assert_int_eq(vfs_unlink(T, AT_FDCWD, "/d/sub/x", 0), 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/d/nd2", AT_FDCWD, "/d/sub", 0), 0);
	struct names n;
	ck_assert_str_eq(list("/d/sub", &n), ". .. in ");

	/* symlinks copy up as symlinks */
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/d/link", AT_FDCWD, "/link2", 0), 0);
	ck_assert_int_eq(vfs_readlink(T, AT_FDCWD, "/link2", buf, sizeof(buf)), 2);
	ck_assert_int_eq(memcmp(buf, "f1", 2), 0);
	ck_assert_int_eq(vfs_rename(T, AT_FDCWD, "/a", AT_FDCWD, "/b", RENAME_EXCHANGE), -ENOENT);
}
END_TEST

/* ---- devices ---- */

START_TEST(test_devices)
{
	setup_tmpfs_root();
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/dev", 0755), 0);
	struct superblock *dev = devfs_new();
	ck_assert_ptr_nonnull(dev);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/dev", dev), 0);
	sb_put(dev);
	struct file *f;
	char buf[64];
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dev/null", O_RDWR, 0, &f), 0);
	struct iovec iov = { buf, sizeof(buf) };
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), 0);
	ck_assert_int_eq(vfs_writev(f, &iov, 1, NULL), 64);
	file_put(f);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dev/zero", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), 64);
	ck_assert_int_eq(buf[0] | buf[63], 0);
	file_put(f);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dev/full", O_WRONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_writev(f, &iov, 1, NULL), -ENOSPC);
	file_put(f);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dev/urandom", O_RDONLY, 0, &f), 0);
	char r1[32] = { 0 }, r2[32] = { 0 };
	ck_assert_int_eq(file_pread(f, r1, 32, 0), 32);
	ck_assert_int_eq(file_pread(f, r2, 32, 0), 32);
	ck_assert_int_ne(memcmp(r1, r2, 32), 0);
	file_put(f);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dev/tty", O_RDWR, 0, &f), -ENXIO);
	ck_assert_int_eq(vfs_readlink(T, AT_FDCWD, "/dev/stdout", buf, sizeof(buf)), 15);
	ck_assert_int_eq(lookup_errno("/dev/shm", LOOKUP_DIRECTORY), 0);
	/* a node for a device the sandbox lacks */
	ck_assert_int_eq(vfs_mknod(T, AT_FDCWD, "/dev/sda", S_IFBLK | 0600, makedev(8, 0)), 0);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/dev/sda", O_RDONLY, 0, &f), -ENXIO);
	struct statfs sfs;
	struct path p;
	ck_assert_int_eq(vfs_lookup(T, AT_FDCWD, "/dev", 0, &p), 0);
	ck_assert_int_eq(vfs_statfs(T, &p, &sfs), 0);
	ck_assert_int_eq(sfs.f_type, TMPFS_MAGIC);
	path_put(&p);
}
END_TEST

/* ---- lifetimes ---- */

START_TEST(test_cache_eviction)
{
	setup_tmpfs_root();
	dcache_max_unused = 8;
	ck_assert_int_eq(vfs_mkdir(T, AT_FDCWD, "/d", 0755), 0);
	char name[32];
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/d/f%d", i);
		ck_assert_int_eq(mkfile(name, "x", 0644), 0);
	}
	/* evicted names are found again through the filesystem */
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/d/f%d", i);
		ck_assert_int_eq(lookup_errno(name, 0), 0);
	}
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/d/f5", O_RDONLY, 0, &f), 0);
	dcache_shrink();
	char buf[4];
	ck_assert_int_eq(file_pread(f, buf, sizeof(buf), 0), 1);
	ck_assert_int_eq(file_path(f, name, sizeof(name)), 5);
	file_put(f);
}
END_TEST

/* ---- host files ---- */

struct host_reader {
	struct file *f;
	struct task *t;
	ssize_t result;
	char buf[16];
};

static void *host_reader_main(void *arg)
{
	struct host_reader *hr = arg;
	current_task = hr->t;
	struct iovec iov = { hr->buf, sizeof(hr->buf) };
	hr->result = vfs_readv(hr->f, &iov, 1, NULL);
	return NULL;
}

START_TEST(test_hostfile)
{
	setup_tmpfs_root();
	/* a host pipe: readiness through the notifier, EOF, stream rules */
	int hp[2];
	ck_assert_int_eq(pipe(hp), 0);
	struct file *r;
	ck_assert_int_eq(hostfile_new(hp[0], &r), 0);
	struct kstat st;
	ck_assert_int_eq(file_stat(r, &st), 0);
	ck_assert(S_ISFIFO(st.mode));
	char path[64];
	ck_assert_int_gt(file_path(r, path, sizeof(path)), 0);
	ck_assert_int_eq(strncmp(path, "pipe:[", 6), 0);
	ck_assert_int_eq(vfs_llseek(r, 0, SEEK_SET), -ESPIPE);
	struct waitqueue *wq;
	ck_assert_uint_eq(vfs_poll(r, &wq) & POLLIN, 0);
	ck_assert_ptr_nonnull(wq);
	ck_assert_int_eq(file_setfl(r, O_NONBLOCK), 0);
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	ck_assert_int_eq(vfs_readv(r, &iov, 1, NULL), -EAGAIN);
	ck_assert_int_eq(file_setfl(r, 0), 0);

	/* a blocked reader is woken by the host side writing */
	struct host_reader hr = { .f = r, .t = new_task(0) };
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, host_reader_main, &hr), 0);
	usleep(50000);
	ck_assert_int_eq(write(hp[1], "ping", 4), 4);
	pthread_join(thr, NULL);
	ck_assert_int_eq(hr.result, 4);
	ck_assert_int_eq(memcmp(hr.buf, "ping", 4), 0);
	/* and by a signal */
	ck_assert_int_eq(pthread_create(&thr, NULL, host_reader_main, &hr), 0);
	usleep(50000);
	ck_assert_int_eq(task_send_signal(hr.t, SIGUSR1, NULL), 0);
	pthread_join(thr, NULL);
	ck_assert_int_eq(hr.result, -ERESTARTSYS);
	close(hp[1]);
	ck_assert_int_eq(vfs_readv(r, &iov, 1, NULL), 0);
	ck_assert_int_eq(vfs_ioctl(r, T, TCGETS, 0), -ENOTTY);
	file_put(r); /* closes hp[0] */

	/* a host regular file: reads and writes at the host's offset, shared with the host */
	char tmpl[] = "/tmp/cvisor-hostfile-XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	int dupfd = dup(fd);
	struct file *f;
	ck_assert_int_eq(hostfile_new(fd, &f), 0);
	struct iovec w = { "abc", 3 };
	ck_assert_int_eq(vfs_writev(f, &w, 1, NULL), 3);
	ck_assert_int_eq(lseek(dupfd, 0, SEEK_CUR), 3); /* the host offset moved */
	ck_assert_int_eq(write(dupfd, "de", 2), 2);
	ck_assert_int_eq(vfs_llseek(f, 0, SEEK_CUR), 5);
	ck_assert_int_eq(file_pread(f, buf, sizeof(buf), 1), 4);
	ck_assert_int_eq(memcmp(buf, "bcde", 4), 0);
	ck_assert_int_eq(vfs_llseek(f, 0, SEEK_END), 5);
	ck_assert_int_eq(vfs_llseek(f, 1, SEEK_SET), 1);
	iov.iov_len = 2;
	ck_assert_int_eq(vfs_readv(f, &iov, 1, NULL), 2);
	ck_assert_int_eq(memcmp(buf, "bc", 2), 0);
	ck_assert_int_eq(file_stat(f, &st), 0);
	ck_assert_int_eq(st.size, 5);
	file_put(f);
	close(dupfd);
}
END_TEST

/* ---- eventfd and epoll ---- */

struct ep_thread {
	struct file *ep;
	struct task *t;
	int result;
	struct epoll_result ev[4];
};

static void *ep_waiter_main(void *arg)
{
	struct ep_thread *et = arg;
	current_task = et->t;
	et->result = epoll_wait_file(et->t, et->ep, et->ev, 4, NULL, false);
	return NULL;
}

START_TEST(test_epoll)
{
	setup_tmpfs_root();
	struct file *efd, *ep, *r, *w, *reg;
	ck_assert_int_eq(eventfd_create(2, O_NONBLOCK | EFD_SEMAPHORE, &efd), 0);
	char path[64];
	ck_assert_int_gt(file_path(efd, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "anon_inode:[eventfd]");
	uint64_t v;
	struct iovec iov = { &v, sizeof(v) };
	ck_assert_int_eq(vfs_readv(efd, &iov, 1, NULL), 8); /* semaphore: one at a time */
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(vfs_readv(efd, &iov, 1, NULL), 8);
	ck_assert_int_eq(vfs_readv(efd, &iov, 1, NULL), -EAGAIN);
	v = UINT64_MAX;
	ck_assert_int_eq(vfs_writev(efd, &iov, 1, NULL), -EINVAL);
	v = UINT64_MAX - 1;
	ck_assert_int_eq(vfs_writev(efd, &iov, 1, NULL), 8);
	v = 1;
	ck_assert_int_eq(vfs_writev(efd, &iov, 1, NULL), -EAGAIN); /* full */
	iov.iov_len = 4;
	ck_assert_int_eq(vfs_readv(efd, &iov, 1, NULL), -EINVAL);
	iov.iov_len = 8;

	ck_assert_int_eq(epoll_create_file(0, &ep), 0);
	ck_assert_int_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	ck_assert_int_eq(mkfile("/f", "x", 0644), 0);
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/f", O_RDONLY, 0, &reg), 0);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_ADD, 3, r, EPOLLIN, 30), 0);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_ADD, 3, r, EPOLLIN, 30), -EEXIST);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_ADD, 4, reg, EPOLLIN, 40), -EPERM);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_ADD, 5, ep, EPOLLIN, 50), -EINVAL);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_MOD, 6, w, EPOLLOUT, 60), -ENOENT);
	ck_assert_int_eq(epoll_ctl_file(r, EPOLL_CTL_ADD, 6, w, EPOLLOUT, 60), -EINVAL);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_ADD, 7, efd, EPOLLIN | EPOLLET, 70), 0);

	struct epoll_result ev[4];
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 1); /* efd is full */
	ck_assert_uint_eq(ev[0].data, 70);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 0); /* edge already seen */

	/* level-triggered: reported while data remains; one-shot: once */
	struct iovec one = { "z", 1 };
	ck_assert_int_eq(vfs_writev(w, &one, 1, NULL), 1);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 1);
	ck_assert_uint_eq(ev[0].events, EPOLLIN);
	ck_assert_uint_eq(ev[0].data, 30);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 1);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, EPOLLIN | EPOLLONESHOT, 31), 0);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 1);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 0);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, EPOLLIN, 32), 0);
	char c;
	struct iovec in = { &c, 1 };
	ck_assert_int_eq(vfs_readv(r, &in, 1, NULL), 1);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 0);

	/* a waiter sleeps until a watched file becomes ready */
	struct ep_thread et = { .ep = ep, .t = new_task(0) };
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, ep_waiter_main, &et), 0);
	usleep(50000);
	ck_assert_int_eq(vfs_writev(w, &one, 1, NULL), 1);
	pthread_join(thr, NULL);
	ck_assert_int_eq(et.result, 1);
	ck_assert_uint_eq(et.ev[0].data, 32);

	/* closing the last reference to a watched file drops its item */
	file_put(r);
	file_put(w);
	ck_assert_int_eq(epoll_wait_file(T, ep, ev, 4, NULL, true), 0);

	/* epoll inside epoll: no loops */
	struct file *ep2;
	ck_assert_int_eq(epoll_create_file(0, &ep2), 0);
	ck_assert_int_eq(epoll_ctl_file(ep2, EPOLL_CTL_ADD, 9, ep, EPOLLIN, 90), 0);
	ck_assert_int_eq(epoll_ctl_file(ep, EPOLL_CTL_ADD, 10, ep2, EPOLLIN, 100), -ELOOP);
	file_put(ep);
	file_put(ep2);
	file_put(efd);
	file_put(reg);
}
END_TEST

/* ---- goferfs: the host changes what a bind mount shows ---- */

static char host_dir[] = "/tmp/cvisor-vfs-XXXXXX";

/* host_dir/rel, for the host's own changes. */
static const char *host_path(const char *rel)
{
	static char p[2][256];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", host_dir, rel);
	return p[i];
}

static void host_write(const char *rel, const char *content, const char *mode)
{
	FILE *fp = fopen(host_path(rel), mode);
	ck_assert_ptr_nonnull(fp);
	fputs(content, fp);
	fclose(fp);
}

static void host_empty(void)
{
	const char *names[] = { "grow", "grow-link", "created", "doomed", "replaced", "tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		unlink(host_path(names[i]));
}

/* The tcase's fixture, run in the parent, so a failed test leaves nothing behind either. */
static void host_dir_make(void)
{
	ck_assert_ptr_nonnull(mkdtemp(host_dir));
}

static void host_dir_remove(void)
{
	host_empty();
	rmdir(host_dir);
}

/* A tmpfs root with goferfs on /g over host_dir served by a forked gofer; shared as a bind
 * mount's, or not as the rootfs's. */
static void setup_gofer(bool shared)
{
	setup_tmpfs_root();
	host_empty();
	host_write("grow", "one\n", "w");
	host_write("doomed", "doomed\n", "w");
	host_write("replaced", "old\n", "w");
	ck_assert_int_eq(chmod(host_path("grow"), 0644), 0);
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int root_fd = open(host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(sv[0]);
		_exit(root_fd >= 0 && gofer_serve(sv[1], root_fd) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	close(sv[1]);
	struct gofer_client *c;
	ck_assert_int_eq(gofer_client_new(sv[0], &c), 0);
	struct superblock *sb;
	ck_assert_int_eq(goferfs_new(c, 0, "test", shared, &sb), 0);
	ck_assert_int_eq(vfs_mount_fs(T->fs, "/g", sb), 0);
	sb_put(sb);
}

/* What the host does while the guest holds grow open and has its names cached. */
static void host_changes(void)
{
	host_write("grow", "two\n", "a");
	ck_assert_int_eq(chmod(host_path("grow"), 0600), 0);
	ck_assert_int_eq(link(host_path("grow"), host_path("grow-link")), 0);
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, host_path("grow"), times, 0), 0);
	host_write("created", "new\n", "w");
	ck_assert_int_eq(unlink(host_path("doomed")), 0);
	host_write("tmp", "fresh\n", "w");
	ck_assert_int_eq(rename(host_path("tmp"), host_path("replaced")), 0);
}

START_TEST(test_goferfs_shared_follows_host)
{
	setup_gofer(true);
	char buf[64];
	struct kstat st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/g/grow", 0, &st), 0);
	ck_assert_int_eq(st.size, 4);
	ck_assert_int_eq(slurp("/g/doomed", buf, sizeof(buf)), 7);
	ck_assert_int_eq(slurp("/g/replaced", buf, sizeof(buf)), 4);
	struct file *f;
	ck_assert_int_eq(vfs_open(T, AT_FDCWD, "/g/grow", O_RDONLY, 0, &f), 0);
	int fd = fd_install(T->files, f, false);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vfs_llseek(f, 0, SEEK_END), 4);

	host_changes();

	/* Each way to the size after its own append (each refreshes the cached one): lseek from
	 * the end, the raw fstat, fstat as glibc makes it, stat by path. */
	ck_assert_int_eq(vfs_llseek(f, -4, SEEK_END), 4);
	host_write("grow", "3\n", "a");
	ck_assert_int_eq(file_stat(f, &st), 0);
	ck_assert_int_eq(st.size, 10);
	ck_assert_uint_eq(st.mode, S_IFREG | 0600);
	host_write("grow", "4\n", "a");
	ck_assert_int_eq(vfs_stat(T, fd, "", AT_EMPTY_PATH, &st), 0);
	ck_assert_int_eq(st.size, 12);
	ck_assert_uint_eq(st.nlink, 2);
	host_write("grow", "5\n", "a");
	struct timespec old_mtime[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, host_path("grow"), old_mtime, 0), 0);
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/g/grow", 0, &st), 0);
	ck_assert_int_eq(st.size, 14);
	ck_assert_uint_eq(st.mode, S_IFREG | 0600);
	ck_assert_uint_eq(st.nlink, 2);
	ck_assert_int_eq(st.mtime.tv_sec, 1000000000);
	/* the open file reads to the host's end */
	ck_assert_int_eq(file_pread(f, buf, sizeof(buf), 0), 14);
	ck_assert_int_eq(memcmp(buf, "one\ntwo\n3\n4\n5\n", 14), 0);
	/* names: new, gone, replaced */
	ck_assert_int_eq(slurp("/g/created", buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "new\n");
	ck_assert_int_eq(lookup_errno("/g/doomed", 0), -ENOENT);
	ck_assert_int_eq(slurp("/g/replaced", buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "fresh\n");
	ck_assert(listed("/g", "created"));
	ck_assert(listed("/g", "grow-link"));
	ck_assert(!listed("/g", "doomed"));
	/* the guest may now make the name the host removed */
	ck_assert_int_eq(mkfile("/g/doomed", "again", 0644), 0);
	ck_assert_int_eq(slurp("/g/doomed", buf, sizeof(buf)), 5);

	fd_close(T->files, fd);
	file_put(f);
}
END_TEST

/* The rootfs's goferfs (changed only through the sentry) trusts what it cached. */
START_TEST(test_goferfs_unshared_keeps_cache)
{
	setup_gofer(false);
	char buf[64];
	struct kstat st;
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/g/grow", 0, &st), 0);
	ck_assert_int_eq(st.size, 4);
	ck_assert_int_eq(slurp("/g/doomed", buf, sizeof(buf)), 7);
	host_changes();
	ck_assert_int_eq(vfs_stat(T, AT_FDCWD, "/g/grow", 0, &st), 0);
	ck_assert_int_eq(st.size, 4);
	ck_assert_int_eq(lookup_errno("/g/doomed", 0), 0);
}
END_TEST

static Suite *vfs_suite(void)
{
	Suite *s = suite_create("vfs");
	TCase *tc = tcase_create("walk");
	tcase_add_test(tc, test_walk_basic);
	tcase_add_test(tc, test_walk_symlinks);
	tcase_add_test(tc, test_mounts);
	tcase_add_test(tc, test_bind_mounts);
	tcase_add_test(tc, test_permissions);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_open_rw);
	tcase_add_test(tc, test_namespace_ops);
	tcase_add_test(tc, test_getdents);
	tcase_add_test(tc, test_fdtable);
	tcase_add_test(tc, test_devices);
	tcase_add_test(tc, test_cache_eviction);
	suite_add_tcase(s, tc);

	tc = tcase_create("pipes");
	tcase_add_test(tc, test_pipe_buf);
	tcase_add_test(tc, test_pipe_nonblocking);
	tcase_add_test(tc, test_pipe_blocking);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_hostfile);
	tcase_add_test(tc, test_epoll);
	suite_add_tcase(s, tc);

	tc = tcase_create("overlay");
	tcase_add_test(tc, test_overlay_read_and_copy_up);
	tcase_add_test(tc, test_overlay_whiteouts);
	tcase_add_test(tc, test_overlay_rename);
	suite_add_tcase(s, tc);

	tc = tcase_create("goferfs");
	tcase_add_unchecked_fixture(tc, host_dir_make, host_dir_remove);
	tcase_add_test(tc, test_goferfs_shared_follows_host);
	tcase_add_test(tc, test_goferfs_unshared_keeps_cache);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfs_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
