/*
 * The sentry's virtual file system: superblocks, inodes, the dentry cache, mounts, path walk,
 * open files and their operation tables, in the spirit of Linux's and gVisor's VFS.
 */
#ifndef CVISOR_VFS_H
#define CVISOR_VFS_H

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

struct task;
struct creds;
struct mobj;
struct waitqueue;
struct pipe;
struct gofer_client;

struct superblock;
struct inode;
struct dentry;
struct mount;
struct file;
struct path;
struct epitem;

/*
 * How to add a filesystem (procfs, sysfs, devpts ...):
 *   1. sb = sb_new(&my_sb_ops, "proc", PROC_SUPER_MAGIC, "proc");
 *   2. for each inode: allocate a struct that embeds struct inode, call inode_init() and set
 *      ops (struct inode_ops: at least lookup for directories, readlink for symlinks,
 *      follow_link for "magic" links such as /proc/PID/fd/N that jump to a struct path) and
 *      fops (struct file_ops: read for files, iterate for directories). sb_ops.evict_inode
 *      frees the embedding struct when the last reference goes.
 *   3. sb_set_root(sb, root_inode) makes the root dentry.
 *   4. vfs_mount_fs(fs_context, "/proc", sb) mounts it (the directory is created in the
 *      overlay if the image lacks it); the mount takes its own reference on sb, so drop the
 *      one sb_new gave with sb_put(sb).
 * Dentries are only a cache: the VFS calls lookup again for a name whose dentry was evicted,
 * so a dynamic directory (/proc/PID) answers lookup and iterate from its own state. A
 * filesystem never touches the dentry cache itself; inode_ops are called by the VFS, which
 * updates the cache after them. generic_* helpers below serve simple filesystems.
 */

/* ---- attributes ---- */

/* What stat/statx report; filled by inode_ops.getattr or generic_fillattr. */
struct kstat {
	uint64_t dev, ino, nlink, rdev; /* dev/rdev in the kernel's makedev() encoding */
	uint32_t mode, uid, gid, blksize;
	int64_t size, blocks; /* blocks in 512-byte units */
	struct timespec atime, mtime, ctime;
};

/* Attribute changes for inode_ops.setattr; times are absolute (the VFS resolves UTIME_NOW). */
#define ATTR_MODE 0x1
#define ATTR_UID 0x2
#define ATTR_GID 0x4
#define ATTR_SIZE 0x8
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20
#define ATTR_CTIME 0x40 /* set ctime to attr->ctime (the VFS sets it with every change) */

struct iattr {
	unsigned int valid;
	mode_t mode; /* permission bits and S_ISUID/S_ISGID/S_ISVTX; the type is kept */
	uid_t uid;
	gid_t gid;
	int64_t size;
	struct timespec atime, mtime, ctime;
};

/* A new node for inode_ops.mknod: the type is in mode (S_IFREG, S_IFDIR, S_IFLNK ...). */
struct vfs_node {
	mode_t mode;	    /* type | permission bits, umask already applied */
	dev_t rdev;	    /* S_IFCHR, S_IFBLK */
	const char *target; /* S_IFLNK */
	uid_t uid;
	gid_t gid;
};

/* inode_permission masks, as Linux's MAY_*. */
#define MAY_EXEC 0x1
#define MAY_WRITE 0x2
#define MAY_READ 0x4

/* ---- superblocks ---- */

struct super_ops {
	/* Frees the inode's embedding struct and the fs's state for it (last reference gone). */
	void (*evict_inode)(struct inode *inode);
	int (*statfs)(struct superblock *sb, struct statfs *st);
	/* Frees sb->priv (last reference gone, root dentry already released). */
	void (*put_super)(struct superblock *sb);
	/*
	 * For filesystems whose names can change behind the sentry's back (a bind mount the
	 * host shares): called when the walk finds d cached as name in dir, before using it.
	 * 0: name still leads to d's inode (the fs may refresh its attributes); -ESTALE: it now
	 * leads to another file; -ENOENT: it is gone. The VFS drops d on either and, for
	 * -ESTALE, calls lookup again; other errors fail the walk. NULL: cached dentries are
	 * always right (everything changes through the sentry).
	 */
	int (*revalidate)(struct dentry *dir, const char *name, struct dentry *d);
};

/*
 * One instance of a filesystem. Two counts, as Linux's s_active and s_count: active counts
 * the users that keep the filesystem alive (mounts, stacked filesystems: sb_get/sb_put);
 * when it drops to 0 the cached dentries and the root go. refs keeps the memory alive while
 * inodes remain (each inode holds one; the active users together hold one).
 */
struct superblock {
	int active; /* atomic */
	int refs;   /* atomic */
	const struct super_ops *ops;
	const char *type;    /* "tmpfs", "overlay" ... for /proc/mounts */
	const char *source;  /* device column of /proc/mounts */
	unsigned long magic; /* statfs f_type */
	dev_t dev;	     /* st_dev of its inodes: an anonymous device (major 0) */
	struct dentry *root; /* a reference, set by sb_set_root */
	uint64_t next_ino;   /* atomic; sb_alloc_ino */
	/* Serializes cross-directory renames so the ancestor check stays true (Linux's
	 * s_vfs_rename_mutex). First of this sb's locks. */
	pthread_mutex_t rename_lock;
	void *priv;
};

struct superblock *sb_new(const struct super_ops *ops, const char *type, unsigned long magic,
			  const char *source);
void sb_get(struct superblock *sb);
void sb_put(struct superblock *sb);
uint64_t sb_alloc_ino(struct superblock *sb);
/* A fresh anonymous device number (major 0), as each superblock gets one. */
dev_t vfs_alloc_anon_dev(void);
/* Makes the root dentry from root (consumes the caller's inode reference). 0 or -ENOMEM. */
int sb_set_root(struct superblock *sb, struct inode *root);

/* ---- inodes ---- */

struct inode_ops {
	/*
	 * The VFS holds dir's dir_lock (shared for lookup, exclusive for the others) and, for
	 * unlink/rmdir/rename, the victim directory's dir_lock exclusive. Names are single
	 * components (no '/', not "." or "..", at most NAME_MAX). New inodes come back with a
	 * reference the caller owns.
	 */
	int (*lookup)(struct dentry *dir, const char *name, struct inode **out); /* -ENOENT */
	int (*mknod)(struct dentry *dir, const char *name, const struct vfs_node *node,
		     struct inode **out);
	int (*link)(struct dentry *old, struct dentry *dir, const char *name);
	int (*unlink)(struct dentry *dir, struct dentry *victim);
	int (*rmdir)(struct dentry *dir, struct dentry *victim); /* -ENOTEMPTY */
	/* target is the dentry that newname names, or NULL; flags RENAME_EXCHANGE only (the VFS
	 * checks RENAME_NOREPLACE and the type rules). */
	int (*rename)(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      const char *newname, struct dentry *target, unsigned int flags);
	/* Copies at most len bytes of the target; returns its length. */
	ssize_t (*readlink)(struct dentry *d, char *buf, size_t len);
	/* Magic links (/proc/PID/fd/N): the path the link leads to, with references. When set,
	 * the walk jumps there instead of resolving readlink's text. */
	int (*follow_link)(struct dentry *d, struct path *out);
	/* NULL: generic_permission on the inode's mode/uid/gid. */
	int (*permission)(struct inode *inode, const struct creds *c, int mask);
	/* NULL: generic_fillattr. */
	int (*getattr)(struct dentry *d, struct kstat *st);
	/* NULL: generic_setattr (ATTR_SIZE gives -EPERM there). Called with no VFS lock held. */
	int (*setattr)(struct dentry *d, const struct iattr *attr);
	/* Prepares f (f->ops, f->priv) for an open of d; NULL: f->ops = inode->fops. Not called
	 * for FIFOs and device nodes, which the VFS opens itself. */
	int (*open)(struct dentry *d, struct file *f);
};

/* inode->flags */
#define INODE_DEAD 0x1 /* a directory that was removed: nothing may be created in it */

/*
 * An inode: one file of one filesystem. Each filesystem allocates a struct embedding it and
 * calls inode_init; dentries and open files hold references.
 */
struct inode {
	int refs;	       /* atomic */
	struct superblock *sb; /* a reference */
	const struct inode_ops *ops;
	const struct file_ops *fops;
	/*
	 * Directories: guards the entries (Linux's i_rwsem). The VFS takes it shared around
	 * lookup and iterate and exclusive around changes; it may be held across blocking fs
	 * calls (gofer round trips). Taken before lock.
	 */
	pthread_rwlock_t dir_lock;
	/* Guards the attributes below, flags, pipe, and the fs's per-inode data (file contents). */
	pthread_mutex_t lock;
	uint64_t ino;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint64_t nlink;
	dev_t rdev;
	int64_t size;
	int64_t blocks;
	struct timespec atime, mtime, ctime;
	unsigned int flags;
	struct pipe *pipe; /* FIFOs: created at the first open */
	void *priv;
};

void inode_init(struct inode *inode, struct superblock *sb, mode_t mode,
		const struct inode_ops *ops, const struct file_ops *fops);
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);

int generic_permission(struct inode *inode, const struct creds *c, int mask);
/* Checks access to inode under creds c (via inode_ops.permission when set); NULL c: the
 * sentry itself, which may do anything. */
int inode_permission(const struct creds *c, struct inode *inode, int mask);
/* t's credentials, or NULL for the sentry (t NULL). */
const struct creds *task_creds(struct task *t);
void generic_fillattr(struct inode *inode, struct kstat *st);
int generic_setattr(struct dentry *d, const struct iattr *attr);
/* Applies the non-size fields of attr to the inode (caller holds inode->lock). */
void inode_apply_attr(struct inode *inode, const struct iattr *attr);
void vfs_now(struct timespec *ts);

/* ---- dentries ---- */

/* dentry->flags, guarded by dcache_lock */
#define DENTRY_HASHED 0x1 /* findable by name under its parent */
#define DENTRY_DEAD 0x2	  /* unlinked: paths show " (deleted)" */
#define DENTRY_LRU 0x4	  /* unused and on the LRU list */

/*
 * A name in the tree, bound to one inode (there are no negative dentries). The dentry cache
 * holds no reference: an unused dentry sits on an LRU list until evicted. A dentry holds a
 * reference on its parent, so only leaves are ever unused.
 */
struct dentry {
	int refs;	       /* atomic; goes 0 -> 1 only under dcache_lock */
	struct dentry *parent; /* a reference (itself at a superblock root); dcache_lock */
	char *name;	       /* dcache_lock; stable while the parent's dir_lock is held */
	size_t name_len;
	struct inode *inode; /* a reference; never changes */
	struct superblock *sb;
	unsigned int flags; /* DENTRY_*, dcache_lock */
	int mounted;	    /* mounts on this dentry, mount_lock */
	struct dentry *hash_next;
	struct dentry *lru_prev, *lru_next;
};

void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/* A new unhashed dentry for an object outside the tree (pipes, host files): its parent is
 * sb's root. Consumes the inode reference. */
struct dentry *dentry_new_anon(struct superblock *sb, const char *name, struct inode *inode);
/* A name of dir went away by the filesystem's own doing (devpts's /dev/pts/N when its master
 * closes): its cached dentry goes, so the next walk asks lookup again. */
void vfs_name_gone(struct dentry *dir, const char *name);
/* The parent with a reference (itself at a root). */
struct dentry *dentry_parent(struct dentry *d);
/* Copies the current name; returns its length or -ENAMETOOLONG. */
int dentry_name(struct dentry *d, char *buf, size_t len);
/* Most unused dentries kept cached; beyond, the least recently used are evicted. */
extern unsigned long dcache_max_unused;
/* Evicts every unused dentry (tests, memory pressure). */
void dcache_shrink(void);

/* ---- mounts and paths ---- */

#define MNT_RDONLY 0x1
#define MNT_NOEXEC 0x2
#define MNT_INTERNAL 0x4 /* not in the tree: pipes, host files; paths print the dentry name */
#define MNT_NOSUID 0x8	 /* shown only: the sentry honours no set-id bits on exec anyway */
#define MNT_NODEV 0x10	 /* device nodes cannot be opened (EACCES) */

struct mount {
	int refs;	       /* atomic */
	struct superblock *sb; /* a reference */
	struct dentry *root;   /* a reference */
	/* Where it is mounted, guarded by mount_lock; both references. NULL for the tree's root
	 * and internal mounts. */
	struct mount *parent;
	struct dentry *mountpoint;
	unsigned int flags;
	struct mount *next; /* all attached mounts, mount_lock */
};

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

void mount_get(struct mount *m);
void mount_put(struct mount *m);
/* A detached mount of sb (takes its own sb reference), for internal filesystems. */
struct mount *mount_new_internal(struct superblock *sb);

void path_get(const struct path *p);
void path_put(struct path *p);
static inline bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

/* The root of the mount tree, with a reference (NULL before vfs_setup_root). */
struct mount *mount_tree_root(void);
/* Calls fn for each attached mount, parents before children, under mount_lock: for
 * /proc/mounts. fn must not take VFS locks. */
void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg);

/* ---- per-task filesystem context ---- */

/* Root, cwd and umask; shared by CLONE_FS tasks, copied on fork. */
struct fs_context {
	int refs;	      /* atomic */
	pthread_mutex_t lock; /* guards root, cwd */
	struct path root, cwd;
	mode_t umask; /* atomic */
};

struct fs_context *fs_context_new(const struct path *root);
struct fs_context *fs_context_fork(struct fs_context *fs);
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
/* Copies out root or cwd with references. */
void fs_context_root(struct fs_context *fs, struct path *out);
void fs_context_cwd(struct fs_context *fs, struct path *out);
/* The absolute path of the cwd as getcwd and /proc/PID/cwd show it; length or -errno. */
int fs_context_cwd_path(struct fs_context *fs, char *buf, size_t len);

/* Builds the sandbox's tree: / = overlay(gofer root, tmpfs), devfs on /dev, tmpfs on
 * /dev/shm. readonly: / is mounted MNT_RDONLY (writes fail with EROFS; /dev, /dev/shm and
 * later mounts stay writable, as with runc's readonly root). Returns the initial context
 * (root = cwd = /, umask 022). */
int vfs_setup_root(struct gofer_client *gofer, bool readonly, struct fs_context **out);
/* Mounts sb on path (resolved from fs's root; created as a directory when missing). */
int vfs_mount_fs(struct fs_context *fs, const char *path, struct superblock *sb);
/* The same with an explicit parent mount and mountpoint. */
int vfs_mount_at(const struct path *mountpoint, struct superblock *sb, unsigned int flags);
/* The same showing root (a dentry of sb) as the mount's root. A directory goes on a
 * directory and a non-directory on a non-directory, else -ENOTDIR. */
int vfs_mount_root_at(const struct path *mountpoint, struct superblock *sb, struct dentry *root,
		      unsigned int flags);
/*
 * A bind mount: what src shows appears at mountpoint too, with flags (MNT_*). recursive
 * (rbind): the mounts below src come along, copied (each keeps its own flags). On failure
 * part of a recursive copy may stay attached (there is no umount): the caller gives up.
 */
int vfs_bind_mount(const struct path *src, const struct path *mountpoint, unsigned int flags,
		   bool recursive);
/* A remount: m's flags become flags (MNT_RDONLY ...). */
void vfs_mount_set_flags(struct mount *m, unsigned int flags);

/* ---- path walk ---- */

#define LOOKUP_FOLLOW 0x1    /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2 /* the result must be a directory */
#define LOOKUP_EMPTY 0x4     /* "" names dirfd itself (AT_EMPTY_PATH) */
#define LOOKUP_NO_AUTOMOUNT 0x8

#define VFS_MAX_SYMLINKS 40

/*
 * Resolves path from dirfd (AT_FDCWD: t's cwd) or t's root when absolute, crossing mounts
 * and following symlinks (at most 40: -ELOOP), checking search permission on every
 * directory. out gets references.
 */
int vfs_lookup(struct task *t, int dirfd, const char *path, unsigned int flags, struct path *out);
/* The same from an explicit starting directory. */
int vfs_lookup_from(struct task *t, const struct path *start, const char *path, unsigned int flags,
		    struct path *out);

/* Kinds of final component that the *at() calls treat specially. */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

/* The result of resolving everything but the final component. */
struct nameparent {
	struct path dir; /* references */
	char last[256];	 /* the final component (LAST_NORM) */
	enum last_type type;
	bool trailing_slash; /* "a/b/" */
};

int vfs_lookup_parent(struct task *t, int dirfd, const char *path, struct nameparent *np);
void nameparent_release(struct nameparent *np);

/*
 * One component in dir, through the dentry cache (no permission check, no mount crossing):
 * for stacked filesystems and the walk itself. -ENOENT when absent.
 */
int vfs_lookup_one(struct dentry *dir, const char *name, struct dentry **out);

/*
 * ---- namespace operations on dentries ----
 * They take the directory locks and keep the dentry cache right. c: the credentials the
 * permission checks (write+search on the directory, the sticky bit) are made against, under
 * the locks; NULL for none (stacked filesystems acting for themselves).
 */
int vfs_dir_mknod(const struct creds *c, struct dentry *dir, const char *name,
		  const struct vfs_node *node, struct dentry **out);
int vfs_dir_link(const struct creds *c, struct dentry *old, struct dentry *dir, const char *name);
/* isdir: rmdir; else unlink. */
int vfs_dir_unlink(const struct creds *c, struct dentry *dir, const char *name, bool isdir);
/* flags: RENAME_NOREPLACE, RENAME_EXCHANGE, and VFS_RENAME_MUST_DIR (a trailing slash
 * was given: the source must be a directory). */
#define VFS_RENAME_MUST_DIR (1u << 30)
int vfs_dir_rename(const struct creds *c, struct dentry *olddir, const char *oldname,
		   struct dentry *newdir, const char *newname, unsigned int flags);
int vfs_dentry_getattr(struct dentry *d, struct kstat *st);
int vfs_dentry_setattr(struct dentry *d, const struct iattr *attr);
ssize_t vfs_dentry_readlink(struct dentry *d, char *buf, size_t len);
/* Opens d (mnt may be NULL for a stacked filesystem's private use). */
int vfs_dentry_open(struct mount *mnt, struct dentry *d, int flags, struct file **out);

/* ---- namespace operations for syscalls (permission checks against t->creds) ---- */

int vfs_open(struct task *t, int dirfd, const char *path, int flags, mode_t mode,
	     struct file **out);
int vfs_mknod(struct task *t, int dirfd, const char *path, mode_t mode, dev_t dev);
int vfs_mkdir(struct task *t, int dirfd, const char *path, mode_t mode);
int vfs_symlink(struct task *t, const char *target, int dirfd, const char *path);
/* flags: AT_SYMLINK_FOLLOW, AT_EMPTY_PATH */
int vfs_link(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	     int flags);
/* flags: AT_REMOVEDIR */
int vfs_unlink(struct task *t, int dirfd, const char *path, int flags);
/* flags: RENAME_NOREPLACE, RENAME_EXCHANGE */
int vfs_rename(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
	       unsigned int flags);
ssize_t vfs_readlink(struct task *t, int dirfd, const char *path, char *buf, size_t len);
/* flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH */
int vfs_stat(struct task *t, int dirfd, const char *path, int flags, struct kstat *st);
int vfs_statfs(struct task *t, const struct path *p, struct statfs *st);
/* mode: F_OK or R_OK|W_OK|X_OK; flags: AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH */
int vfs_access(struct task *t, int dirfd, const char *path, int mode, int flags);
/* chmod/chown/utimes/truncate on a resolved path, with Linux's permission rules.
 * uid/gid (uid_t)-1: unchanged. times NULL: both now; tv_nsec UTIME_NOW/UTIME_OMIT. */
int vfs_chmod(struct task *t, const struct path *p, mode_t mode);
int vfs_chown(struct task *t, const struct path *p, uid_t uid, gid_t gid);
int vfs_utimes(struct task *t, const struct path *p, const struct timespec times[2]);
int vfs_truncate(struct task *t, const struct path *p, int64_t size);
int vfs_chdir(struct task *t, const struct path *p);
int vfs_chroot(struct task *t, const struct path *p);

/* ---- open files ---- */

/* Linux's renameat2 flags, for headers that lack them. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

struct dir_context;
/* Called once per entry by file_ops.iterate via dir_emit; false: the buffer is full. */
typedef bool (*filldir_t)(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			  unsigned int type);
struct dir_context {
	filldir_t actor;
	/* The position of the entry being emitted; the fs advances it past each entry it emits
	 * (the cookie the next getdents continues from). 0 and 1 are "." and "..", which the
	 * VFS emits; filesystems start at 2. */
	int64_t pos;
};

static inline bool dir_emit(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			    unsigned int type)
{
	return ctx->actor(ctx, name, len, ino, type);
}

struct file_ops {
	/*
	 * Buffers are sentry pointers (into guest memory, straight from usercopy_iovecs). *pos
	 * is the position to use and is advanced by the count; stream files ignore it. An
	 * O_APPEND write goes at the end of file and leaves *pos there. pos is NULL for a read
	 * or write at the current position of a FMODE_OWN_POS file. A short count is not an
	 * error; blocking files sleep with task_wait_event and return -ERESTARTSYS on a signal
	 * when nothing was transferred.
	 */
	ssize_t (*read)(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);
	ssize_t (*write)(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos);
	/* NULL: generic_file_llseek. */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	int (*iterate)(struct file *f, struct dir_context *ctx);
	/* -ENOTTY when unknown; arg is a guest address or value; t is the caller. */
	long (*ioctl)(struct file *f, struct task *t, unsigned int cmd, uint64_t arg);
	/* Readiness (POLLIN ...) now, and the queue woken when it changes (NULL: never
	 * changes). NULL hook: always readable and writable. */
	unsigned int (*poll)(struct file *f, struct waitqueue **wq);
	/* MAP_SHARED: the mobj backing [off, off+len) (with a reference) and its offset there. */
	int (*mmap)(struct file *f, uint64_t off, size_t len, struct mobj **m, uint64_t *m_off);
	int (*fsync)(struct file *f, bool datasync);
	int (*fallocate)(struct file *f, int mode, int64_t off, int64_t len);
	/* fstat: attributes through the open file (a host fd it holds); NULL: the inode's
	 * getattr. */
	int (*getattr)(struct file *f, struct kstat *st);
	/* F_SETFL changed O_NONBLOCK or O_APPEND (host files mirror it). */
	void (*setfl)(struct file *f, unsigned int flags);
	void (*release)(struct file *f);
};

/* file->mode */
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_PATH 0x4	 /* O_PATH: no I/O */
#define FMODE_STREAM 0x8 /* no position: pread/pwrite/lseek give -ESPIPE */
/* The position is kept by the file itself (a host file shares its offset with other host
 * processes): read/write get pos NULL, llseek is the file's alone, f->pos is unused. */
#define FMODE_OWN_POS 0x10

/* The flags F_SETFL may change. */
#define FILE_SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

/* An open file description; shared by dup'd fds and across fork. */
struct file {
	int refs;	    /* atomic */
	unsigned int flags; /* O_* as given to open, minus O_CREAT/O_EXCL/O_TRUNC/O_CLOEXEC;
			     * F_SETFL changes them: read and written atomically */
	unsigned int mode;  /* FMODE_*, fixed */
	/* Guards pos; held across read/write/lseek/getdents of a file with a position so the
	 * position moves atomically (Linux's f_pos_lock). See the lock order. */
	pthread_mutex_t pos_lock;
	int64_t pos;
	struct path path;    /* references; an internal mount for pipes and host files */
	struct inode *inode; /* path.dentry->inode */
	const struct file_ops *ops;
	void *priv;
	/* The epoll items watching this file (sentry/fs/anon/epoll.c's lock guards it): they
	 * go when the file is released, as Linux's. */
	struct epitem *ep_links;
};

/* A new file on path (takes references) with ops; refs = 1. For filesystems and anon files. */
struct file *file_new(const struct path *path, int flags, const struct file_ops *ops);
void file_get(struct file *f);
void file_put(struct file *f);
static inline unsigned int file_flags(struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
}
int file_setfl(struct file *f, unsigned int flags);

/* pos NULL: the file's position (advanced). -EBADF when not open for it, -EISDIR ... */
ssize_t vfs_readv(struct file *f, const struct iovec *iov, int iovcnt, const int64_t *pos);
ssize_t vfs_writev(struct file *f, const struct iovec *iov, int iovcnt, const int64_t *pos);
/* Sentry buffers: for the ELF loader, private file mappings, copy-up, sendfile. */
ssize_t file_pread(struct file *f, void *buf, size_t len, int64_t off);
ssize_t file_pwrite(struct file *f, const void *buf, size_t len, int64_t off);
int64_t vfs_llseek(struct file *f, int64_t off, int whence);
int64_t generic_file_llseek(struct file *f, int64_t off, int whence);
/* Emits ".", "..", then the fs's entries from f->pos; leaves f->pos after the last one. */
int vfs_iterate(struct file *f, struct dir_context *ctx);
unsigned int vfs_poll(struct file *f, struct waitqueue **wq);
long vfs_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg);
int vfs_fsync(struct file *f, bool datasync);
int vfs_fallocate(struct file *f, int mode, int64_t off, int64_t len);
int vfs_ftruncate(struct task *t, struct file *f, int64_t size);
int file_stat(struct file *f, struct kstat *st);
/* The absolute path as /proc/PID/fd/N shows it ("pipe:[ino]" for pipes); length or -errno. */
int file_path(struct file *f, char *buf, size_t len);
/* MAP_SHARED backing (tmpfs, overlay upper files), or -ENODEV. */
int file_mmap_mobj(struct file *f, uint64_t off, size_t len, struct mobj **m, uint64_t *m_off);
/* execve: a regular file with exec permission (else -EACCES), opened read-only. */
int vfs_open_exec(struct task *t, const char *path, struct file **out);

/* A file over one of the sentry's inherited host fds (sentry/fs/host/host.h has the rest). */
int hostfile_new(int host_fd, struct file **out);

/* ---- devices ---- */

/* Registers the file_ops that an open of a character device node (major, minor) gets. */
int vfs_register_chrdev(unsigned int major, unsigned int minor, const struct file_ops *ops,
			int (*open)(struct file *f));

/* ---- directory snapshots (for filesystems whose listing is fetched whole) ---- */

struct dir_snapshot_entry {
	char *name;
	uint64_t ino;
	unsigned int type; /* DT_* */
};
struct dir_snapshot {
	struct dir_snapshot_entry *ents;
	size_t n, cap;
};
int dir_snapshot_add(struct dir_snapshot *s, const char *name, uint64_t ino, unsigned int type);
void dir_snapshot_free(struct dir_snapshot *s);
/* Emits entries from ctx->pos (entry i has position i + 2). */
int dir_snapshot_emit(struct dir_snapshot *s, struct dir_context *ctx);

/* DT_* of a mode. */
unsigned int vfs_dtype(mode_t mode);

/* ---- generic helpers for stacked filesystems ---- */

/* The statfs of the filesystem d lives on. */
int vfs_dentry_statfs(struct dentry *d, struct statfs *st);

#endif
