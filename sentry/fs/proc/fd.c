/*
 * /proc/PID/fd and /proc/PID/fdinfo: a magic link per open fd, leading to the open file's path
 * (opening it opens that path anew), and its position, flags and mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"

/* The file at fd/N of pi's task, with a reference; -ENOENT when the task or fd has gone. */
static int task_fd_file(struct proc_inode *pi, struct task *t, struct file **out, bool *cloexec)
{
	struct fdtable *files = proc_task_files(t);
	if (!files)
		return -ENOENT;
	struct file *f = fd_get(files, pi->fd);
	int flags = f && cloexec ? fd_get_flags(files, pi->fd) : 0;
	fdtable_put(files);
	if (!f)
		return -ENOENT;
	if (cloexec)
		*cloexec = flags > 0 && (flags & FD_CLOEXEC);
	*out = f;
	return 0;
}

int proc_fd_refresh(struct proc_inode *pi, struct task *t, mode_t *mode)
{
	struct file *f;
	int r = task_fd_file(pi, t, &f, NULL);
	if (r < 0)
		return r;
	if (pi->entry->id == PROC_ID_FD_LINK) {
		/* As Linux: the owner's bits say how the file is open. */
		*mode = S_IFLNK;
		if (f->mode & FMODE_READ)
			*mode |= S_IRUSR | S_IXUSR;
		if (f->mode & FMODE_WRITE)
			*mode |= S_IWUSR | S_IXUSR;
	}
	file_put(f);
	return 0;
}

int proc_list_fds(struct proc_inode *pi, struct dir_snapshot *s)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ENOENT;
	struct fdtable *files = proc_task_files(t);
	task_put(t);
	if (!files)
		return 0; /* a zombie has no fds */
	bool links = pi->entry->dyn == PROC_DYN_FDS;
	int r = 0;
	for (int fd = fdtable_next_fd(files, 0); r == 0 && fd >= 0;
	     fd = fdtable_next_fd(files, fd + 1)) {
		char name[16];
		snprintf(name, sizeof(name), "%d", fd);
		r = dir_snapshot_add(s, name,
				     proc_ino(links ? PROC_ID_FD_LINK : PROC_ID_FDINFO_FILE,
					      pi->pid, pi->tid, fd),
				     links ? DT_LNK : DT_REG);
	}
	fdtable_put(files);
	return r;
}

/* The open file behind a link, after Linux's check that the reader may look into the task. */
static int fd_link_file(struct proc_inode *pi, struct file **out)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ENOENT;
	int r = proc_may_access(t) ? task_fd_file(pi, t, out, NULL) : -EACCES;
	task_put(t);
	return r;
}

static int readlink_fd(struct proc_inode *pi, char *buf, size_t len)
{
	struct file *f;
	int r = fd_link_file(pi, &f);
	if (r < 0)
		return r;
	r = file_path(f, buf, len);
	file_put(f);
	return r;
}

/*
 * Following the link gives the open file's path (pipes and host files included: their
 * internal path reopens the same pipe), so an open of /proc/PID/fd/N is a new open file
 * description of the same file, as Linux's; its access is checked anew against the file.
 */
static int follow_fd(struct proc_inode *pi, struct path *out)
{
	struct file *f;
	int r = fd_link_file(pi, &f);
	if (r < 0)
		return r;
	*out = f->path;
	path_get(out);
	file_put(f);
	return 0;
}

static int show_fdinfo(struct proc_inode *pi, struct proc_buf *b)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ESRCH;
	struct file *f;
	bool cloexec = false;
	int r = task_fd_file(pi, t, &f, &cloexec);
	task_put(t);
	if (r < 0)
		return r;
	unsigned int flags = file_flags(f) | (cloexec ? O_CLOEXEC : 0);
	int64_t pos = __atomic_load_n(&f->pos, __ATOMIC_RELAXED);
	proc_fmt_fdinfo(b, pos, flags, proc_mount_id(f->path.mnt), f->inode->ino);
	file_put(f);
	return 0;
}

const struct proc_entry proc_fd_link_entry = {
	.id = PROC_ID_FD_LINK,
	.mode = S_IFLNK | 0700,
	.flags = PROC_TASK | PROC_PTRACE,
	.readlink = readlink_fd,
	.follow = follow_fd,
};

const struct proc_entry proc_fdinfo_file_entry = {
	.id = PROC_ID_FDINFO_FILE,
	.mode = S_IFREG | 0444,
	.flags = PROC_TASK | PROC_PTRACE,
	.show = show_fdinfo,
};
