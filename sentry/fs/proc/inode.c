/*
 * procfs's superblock and generic node machinery: lookup and listing of the fixed and dynamic
 * directories, contents generated at open (Linux's seq_file), links, attributes, permissions.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/fs/proc/internal.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/iov.h"

/*
 * Locking: lookup and iterate run under the directory's dir_lock, and kernel_lock comes before
 * every VFS lock, so neither looks at tasks. A name is therefore accepted by lookup on its
 * form alone ("123" under /proc), and whether the task or fd exists is decided where no VFS
 * lock is held: in permission (every walk through a directory), getattr, open, readlink and
 * follow_link, which answer -ENOENT for what has gone. Listings are taken at open. The VFS
 * has no revalidation hook, so a dentry for a gone PID stays cached until evicted, answering
 * -ENOENT to everything but access(F_OK) on the name itself.
 */

/* An open regular file: its contents as of the open. */
struct proc_file {
	struct proc_buf buf;
	int64_t stream_pos; /* atomic; the read position of a stream (writable) open */
};

static const struct inode_ops proc_inode_ops;
static const struct inode_ops proc_magic_link_ops;
static const struct file_ops proc_file_ops;
static const struct file_ops proc_dir_ops;

/* ---- inode numbers ---- */

uint64_t proc_ino(enum proc_id id, int pid, int tid, int fd)
{
	/* id: 8 bits; fd + 1: 21 bits (fd < FD_NR_OPEN = 2^20); tid and pid: 16 bits each
	 * (< PID_MAX). Global nodes are just their id. */
	_Static_assert(PROC_ID_COUNT < 256, "proc ids fit in 8 bits");
	_Static_assert(PID_MAX <= 65536, "PIDs fit in 16 bits");
	_Static_assert(FD_NR_OPEN <= (1 << 20), "fds fit in 20 bits");
	return (uint64_t)id | ((uint64_t)(fd + 1) << 8) | ((uint64_t)tid << 29) |
	       ((uint64_t)pid << 45);
}

/* ---- superblock ---- */

static void proc_evict_inode(struct inode *inode)
{
	free(proc_i(inode));
}

static int proc_statfs(struct superblock *sb, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = PROC_SUPER_MAGIC;
	st->f_bsize = PAGE_SIZE;
	st->f_frsize = PAGE_SIZE;
	st->f_namelen = NAME_MAX;
	return 0;
}

static const struct super_ops proc_super_ops = {
	.evict_inode = proc_evict_inode,
	.statfs = proc_statfs,
};

static struct inode *proc_inode_new(struct superblock *sb, const struct proc_entry *e, int pid,
				    int tid, int fd)
{
	struct proc_inode *pi = calloc(1, sizeof(*pi));
	if (!pi)
		return NULL;
	/* Only magic links get follow_link: the walk resolves the others ("self") by text. */
	inode_init(&pi->vfs, sb, e->mode, e->follow ? &proc_magic_link_ops : &proc_inode_ops,
		   S_ISDIR(e->mode) ? &proc_dir_ops : &proc_file_ops);
	pi->vfs.ino = proc_ino(e->id, pid, tid, fd);
	pi->vfs.nlink = S_ISDIR(e->mode) ? 2 : 1;
	pi->entry = e;
	pi->pid = pid;
	pi->tid = tid;
	pi->fd = fd;
	return &pi->vfs;
}

int procfs_new(struct superblock **out)
{
	struct superblock *sb = sb_new(&proc_super_ops, "proc", PROC_SUPER_MAGIC, "proc");
	if (!sb)
		return -ENOMEM;
	struct inode *root = proc_inode_new(sb, &proc_root_entry, 0, 0, -1);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	int r = sb_set_root(sb, root);
	if (r < 0) {
		sb_put(sb);
		return r;
	}
	*out = sb;
	return 0;
}

int procfs_mount(struct fs_context *fs)
{
	struct superblock *sb;
	int r = procfs_new(&sb);
	if (r < 0)
		return r;
	r = vfs_mount_fs(fs, "/proc", sb);
	sb_put(sb); /* the mount holds its own reference */
	return r;
}

/* ---- the state behind a node ---- */

/* A fixed child shown at this level: /proc/PID/task is not repeated under task/TID. */
static bool entry_visible(const struct proc_inode *dir, const struct proc_entry *e)
{
	return !(e->flags & PROC_TGID_ONLY) || dir->tid == 0;
}

/*
 * Checks that what pi shows still exists and brings its owner (the task's euid/egid, as
 * Linux for a dumpable task) and, for fd links, its mode up to date. No VFS lock held.
 */
static int proc_refresh(struct proc_inode *pi)
{
	if (!(pi->entry->flags & PROC_TASK))
		return 0;
	struct task *t = proc_task(pi);
	if (!t)
		return -ENOENT;
	pthread_mutex_lock(&kernel_lock);
	uid_t uid = t->creds.euid;
	gid_t gid = t->creds.egid;
	pthread_mutex_unlock(&kernel_lock);
	mode_t mode = pi->entry->mode;
	int r = 0;
	if (pi->fd >= 0)
		r = proc_fd_refresh(pi, t, &mode);
	task_put(t);
	if (r < 0)
		return r;
	pthread_mutex_lock(&pi->vfs.lock);
	pi->vfs.uid = uid;
	pi->vfs.gid = gid;
	pi->vfs.mode = mode;
	pthread_mutex_unlock(&pi->vfs.lock);
	return 0;
}

/* "123" -> 123 for names Linux accepts as numbers (no sign, no leading zero); else -1. */
static long parse_number(const char *name, long max)
{
	if (!*name || (name[0] == '0' && name[1]))
		return -1;
	long n = 0;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
		if (n >= max)
			return -1;
	}
	return n;
}

/* ---- inode operations ---- */

static int proc_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	struct proc_inode *pi = proc_i(dir->inode);
	const struct proc_entry *e = pi->entry;
	struct superblock *sb = dir->inode->sb;

	for (const struct proc_entry *c = e->children; c && c->name; c++) {
		if (entry_visible(pi, c) && strcmp(c->name, name) == 0) {
			*out = proc_inode_new(sb, c, pi->pid, pi->tid, -1);
			return *out ? 0 : -ENOMEM;
		}
	}
	/* The dynamic names: their existence is checked outside the directory lock (above). */
	long n;
	switch (e->dyn) {
	case PROC_DYN_PIDS:
		if ((n = parse_number(name, PID_MAX)) <= 0)
			return -ENOENT;
		*out = proc_inode_new(sb, &proc_pid_dir_entry, (int)n, 0, -1);
		break;
	case PROC_DYN_TIDS:
		if ((n = parse_number(name, PID_MAX)) <= 0)
			return -ENOENT;
		*out = proc_inode_new(sb, &proc_tid_dir_entry, pi->pid, (int)n, -1);
		break;
	case PROC_DYN_FDS:
	case PROC_DYN_FDINFOS:
		if ((n = parse_number(name, FD_NR_OPEN)) < 0)
			return -ENOENT;
		*out = proc_inode_new(
			sb, e->dyn == PROC_DYN_FDS ? &proc_fd_link_entry : &proc_fdinfo_file_entry,
			pi->pid, pi->tid, (int)n);
		break;
	default:
		return -ENOENT;
	}
	return *out ? 0 : -ENOMEM;
}

static ssize_t proc_readlink(struct dentry *d, char *buf, size_t len)
{
	struct proc_inode *pi = proc_i(d->inode);
	if (!pi->entry->readlink)
		return -EINVAL;
	char *tmp = malloc(PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	int n = pi->entry->readlink(pi, tmp, PATH_MAX);
	if (n >= 0)
		memcpy(buf, tmp, MIN((size_t)n, len));
	free(tmp);
	return n;
}

static int proc_follow_link(struct dentry *d, struct path *out)
{
	struct proc_inode *pi = proc_i(d->inode);
	return pi->entry->follow(pi, out);
}

static int proc_permission(struct inode *inode, const struct creds *c, int mask)
{
	struct proc_inode *pi = proc_i(inode);
	const struct proc_entry *e = pi->entry;

	/* Nothing is ever created in a procfs directory. The VFS asks this with the directory
	 * locked, where tasks may not be looked at: answer before that. */
	if (S_ISDIR(e->mode) && (mask & MAY_WRITE))
		return -EACCES;
	/* A read-only sysctl stays read-only for root too (Linux's sysctl_perm). */
	if ((e->flags & PROC_SYSCTL) && (mask & MAY_WRITE) && !e->write)
		return -EACCES;
	int r = proc_refresh(pi);
	if (r < 0)
		return r;
	/* A process may always list its own fds (Linux's proc_fd_permission). */
	if (e->id == PROC_ID_FD && current() && current()->tgid == pi->pid)
		return 0;
	return generic_permission(inode, c, mask);
}

static int proc_getattr(struct dentry *d, struct kstat *st)
{
	int r = proc_refresh(proc_i(d->inode));
	if (r < 0)
		return r;
	generic_fillattr(d->inode, st);
	return 0;
}

/* As Linux's proc_setattr: no chmod; the rest (O_TRUNC's size, times, owners, which come
 * from the task anyway) is accepted and has no effect, so `echo x > comm` works. */
static int proc_setattr(struct dentry *d, const struct iattr *attr)
{
	return (attr->valid & ATTR_MODE) ? -EPERM : 0;
}

/* Lists a directory at open: its fixed children, then the tasks or fds of the moment. */
static int proc_dir_open(struct proc_inode *pi, struct file *f)
{
	const struct proc_entry *e = pi->entry;
	struct dir_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int r = 0;
	for (const struct proc_entry *c = e->children; r == 0 && c && c->name; c++)
		if (entry_visible(pi, c))
			r = dir_snapshot_add(s, c->name, proc_ino(c->id, pi->pid, pi->tid, -1),
					     vfs_dtype(c->mode));
	if (r == 0 && e->dyn != PROC_DYN_NONE)
		r = e->dyn == PROC_DYN_PIDS || e->dyn == PROC_DYN_TIDS ? proc_list_tasks(pi, s) :
									 proc_list_fds(pi, s);
	if (r < 0) {
		dir_snapshot_free(s);
		free(s);
		return r;
	}
	f->priv = s;
	return 0;
}

static int proc_open(struct dentry *d, struct file *f)
{
	struct proc_inode *pi = proc_i(d->inode);
	const struct proc_entry *e = pi->entry;
	int r = proc_refresh(pi);
	if (r < 0)
		return r;
	if (e->flags & PROC_PTRACE) {
		struct task *t = proc_task(pi);
		if (!t)
			return -ENOENT;
		bool ok = proc_may_access(t);
		task_put(t);
		if (!ok)
			return -EACCES;
	}
	if (S_ISDIR(e->mode))
		return proc_dir_open(pi, f);
	/* Writes (comm) take kernel_lock, which may not be taken under the file's pos_lock that
	 * vfs_writev holds around a file with a position: writable opens are streams. */
	if (f->mode & FMODE_WRITE)
		f->mode |= FMODE_STREAM;
	if (!(f->mode & FMODE_READ) || !e->show)
		return 0;
	struct proc_file *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	r = e->show(pi, &pf->buf);
	if (r == 0 && pf->buf.oom)
		r = -ENOMEM;
	if (r < 0) {
		proc_buf_free(&pf->buf);
		free(pf);
		return r == -ESRCH ? -ENOENT : r; /* it went between the checks */
	}
	f->priv = pf;
	return 0;
}

static const struct inode_ops proc_inode_ops = {
	.lookup = proc_lookup,
	.readlink = proc_readlink,
	.permission = proc_permission,
	.getattr = proc_getattr,
	.setattr = proc_setattr,
	.open = proc_open,
};

static const struct inode_ops proc_magic_link_ops = {
	.readlink = proc_readlink,
	.follow_link = proc_follow_link,
	.permission = proc_permission,
	.getattr = proc_getattr,
	.setattr = proc_setattr,
};

/* ---- file operations ---- */

/* Copies the contents from pos; the count. */
static size_t copy_contents(struct proc_buf *b, int64_t pos, const struct iovec *iov, int iovcnt)
{
	if (pos < 0 || (uint64_t)pos >= b->len)
		return 0;
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	return copy_to_iter(b->data + pos, b->len - (size_t)pos, &it);
}

static ssize_t proc_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	struct proc_file *pf = f->priv;
	if (!pf)
		return 0;
	if (!(f->mode & FMODE_STREAM)) {
		size_t n = copy_contents(&pf->buf, *pos, iov, iovcnt);
		*pos += (int64_t)n;
		return (ssize_t)n;
	}
	/* No pos_lock for a stream: concurrent readers claim their bytes with a CAS. */
	int64_t at = __atomic_load_n(&pf->stream_pos, __ATOMIC_RELAXED);
	size_t n;
	do {
		n = copy_contents(&pf->buf, at, iov, iovcnt);
	} while (n && !__atomic_compare_exchange_n(&pf->stream_pos, &at, at + (int64_t)n, false,
						   __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return (ssize_t)n;
}

static ssize_t proc_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	const struct proc_entry *e = proc_i(f->inode)->entry;
	/* Linux: per-task files without a write method give EINVAL, the others EIO. */
	if (!e->write)
		return (e->flags & PROC_TASK) ? -EINVAL : -EIO;
	char buf[64];
	struct iov_iter it;
	iov_iter_init(&it, iov, iovcnt);
	size_t count = it.count;
	size_t n = copy_from_iter(buf, MIN(count, sizeof(buf) - 1), &it);
	buf[n] = '\0';
	ssize_t r = e->write(proc_i(f->inode), buf, count);
	if (r > 0)
		*pos += r;
	return r;
}

/* As Linux's seq_lseek: no SEEK_END, the size is not known. */
static int64_t proc_llseek(struct file *f, int64_t off, int whence)
{
	int64_t base, np;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &np) || np < 0)
		return -EINVAL;
	f->pos = np;
	return np;
}

static void proc_file_release(struct file *f)
{
	struct proc_file *pf = f->priv;
	if (pf) {
		proc_buf_free(&pf->buf);
		free(pf);
	}
}

static int proc_iterate(struct file *f, struct dir_context *ctx)
{
	struct dir_snapshot *s = f->priv;
	return s ? dir_snapshot_emit(s, ctx) : 0;
}

static void proc_dir_release(struct file *f)
{
	struct dir_snapshot *s = f->priv;
	if (s) {
		dir_snapshot_free(s);
		free(s);
	}
}

static const struct file_ops proc_file_ops = {
	.read = proc_read,
	.write = proc_write,
	.llseek = proc_llseek,
	.release = proc_file_release,
};

static const struct file_ops proc_dir_ops = {
	.iterate = proc_iterate,
	.release = proc_dir_release,
};
