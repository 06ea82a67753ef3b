/* What the files of sentry/fs/proc/ share: the node tables, procfs inodes, task snapshots. */
#ifndef CVISOR_FS_PROC_INTERNAL_H
#define CVISOR_FS_PROC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/fs/proc/format.h"
#include "sentry/vfs/vfs.h"

struct task;
struct mm;
struct fdtable;
struct fs_context;

/*
 * Every node of the tree has a number of its own: with the PID, TID and fd it makes the inode
 * number, so a file keeps its number across lookups ((pid, file) -> ino).
 */
enum proc_id {
	PROC_ID_ROOT = 1,
	PROC_ID_SELF,
	PROC_ID_THREAD_SELF,
	PROC_ID_CPUINFO,
	PROC_ID_MEMINFO,
	PROC_ID_MOUNTS,
	PROC_ID_UPTIME,
	PROC_ID_LOADAVG,
	PROC_ID_STAT,
	PROC_ID_VERSION,
	PROC_ID_FILESYSTEMS,
	PROC_ID_SYS,
	PROC_ID_SYS_KERNEL,
	PROC_ID_SYS_HOSTNAME,
	PROC_ID_SYS_OSTYPE,
	PROC_ID_SYS_OSRELEASE,
	PROC_ID_SYS_PID_MAX,
	PROC_ID_SYS_NGROUPS_MAX,
	PROC_ID_SYS_CAP_LAST_CAP,
	PROC_ID_SYS_VM,
	PROC_ID_SYS_OVERCOMMIT,
	PROC_ID_SYS_FS,
	PROC_ID_SYS_NR_OPEN,
	PROC_ID_SYS_PIPE_MAX,
	/* Per task. */
	PROC_ID_PID_DIR,
	PROC_ID_TID_DIR,
	PROC_ID_TASK,
	PROC_ID_AUXV,
	PROC_ID_CMDLINE,
	PROC_ID_COMM,
	PROC_ID_CWD,
	PROC_ID_ENVIRON,
	PROC_ID_EXE,
	PROC_ID_FD,
	PROC_ID_FD_LINK,
	PROC_ID_FDINFO,
	PROC_ID_FDINFO_FILE,
	PROC_ID_LIMITS,
	PROC_ID_MAPS,
	PROC_ID_PID_MOUNTS,
	PROC_ID_MOUNTINFO,
	PROC_ID_OOM_SCORE_ADJ,
	PROC_ID_ROOT_LINK,
	PROC_ID_PID_STAT,
	PROC_ID_STATM,
	PROC_ID_STATUS,
	PROC_ID_COUNT
};

/* The dynamic part of a directory: names that come from the task list or an fd table. */
enum proc_dyn {
	PROC_DYN_NONE,
	PROC_DYN_PIDS,	  /* /proc: one directory per thread group */
	PROC_DYN_TIDS,	  /* /proc/PID/task: one directory per thread */
	PROC_DYN_FDS,	  /* /proc/PID/fd: one magic link per open fd */
	PROC_DYN_FDINFOS, /* /proc/PID/fdinfo: one file per open fd */
};

/* proc_entry.flags */
#define PROC_TASK 0x1	   /* about a task: owned by its euid/egid, gone when it is */
#define PROC_PTRACE 0x2	   /* reading or following needs ptrace read access to the task */
#define PROC_TGID_ONLY 0x4 /* under /proc/PID only, not /proc/PID/task/TID */
#define PROC_SYSCTL 0x8	   /* under /proc/sys: not writable, even by root, without write */

struct proc_inode;

/* One node kind of the tree (a row of a directory's table, or a dynamic child's template). */
struct proc_entry {
	const char *name;
	enum proc_id id;
	mode_t mode; /* type and permission bits */
	unsigned int flags;
	/* Regular files: the whole contents, made at open. 0 or -errno. */
	int (*show)(struct proc_inode *pi, struct proc_buf *b);
	/* Writable files: buf holds the first bytes of a write of count bytes (NUL-terminated).
	 * Returns count or -errno. */
	ssize_t (*write)(struct proc_inode *pi, const char *buf, size_t count);
	/* Symlinks: the target's text into buf (len bytes, NUL-terminated); its length. */
	int (*readlink)(struct proc_inode *pi, char *buf, size_t len);
	/* Magic links: the path itself, with references. */
	int (*follow)(struct proc_inode *pi, struct path *out);
	/* Directories: fixed children (ending with a NULL name) and the dynamic ones. */
	const struct proc_entry *children;
	enum proc_dyn dyn;
};

/* A procfs inode: the entry it shows, and for whom. */
struct proc_inode {
	struct inode vfs;
	const struct proc_entry *entry;
	int pid; /* the thread group of /proc/PID; 0 outside */
	int tid; /* the thread of /proc/PID/task/TID; 0 outside */
	int fd;	 /* fd/N and fdinfo/N; -1 elsewhere */
};

static inline struct proc_inode *proc_i(struct inode *inode)
{
	return (struct proc_inode *)inode;
}

/* Tables (root.c, base.c, fd.c). */
extern const struct proc_entry proc_root_entry;
extern const struct proc_entry proc_pid_dir_entry;
extern const struct proc_entry proc_tid_dir_entry;
extern const struct proc_entry proc_fd_link_entry;
extern const struct proc_entry proc_fdinfo_file_entry;

/* The inode number of (entry, pid, tid, fd). */
uint64_t proc_ino(enum proc_id id, int pid, int tid, int fd);

/* ---- tasks (base.c) ---- */

/* The task a node is about, with a reference (task_put), or NULL when it has gone (reaped). */
struct task *proc_task(const struct proc_inode *pi);
/* Whether the calling task may look into t (Linux's ptrace_may_access, read mode, fs ids). */
bool proc_may_access(struct task *t);
/* t's mm, fd table or fs context with a reference, or NULL (a zombie). */
struct mm *proc_task_mm(struct task *t);
struct fdtable *proc_task_files(struct task *t);
struct fs_context *proc_task_fs(struct task *t);
/* Adds the thread groups (/proc) or the threads of pi's group (task/) to a listing. */
int proc_list_tasks(struct proc_inode *pi, struct dir_snapshot *s);

/* ---- fds (fd.c) ---- */

/* fd/N and fdinfo/N: -ENOENT unless fd N of t is open; the link's mode shows its access. */
int proc_fd_refresh(struct proc_inode *pi, struct task *t, mode_t *mode);
/* Adds the open fds of pi's task to a listing. */
int proc_list_fds(struct proc_inode *pi, struct dir_snapshot *s);

/* ---- paths and mounts (mounts.c) ---- */

/* The text of path p as the calling task sees it (relative to its root); length or -errno. */
int proc_path_string(const struct path *p, char *buf, size_t len);
/* Mount table files for a reader. */
int proc_show_mounts(struct proc_buf *b);
int proc_show_mountinfo(struct proc_buf *b);
int proc_show_filesystems(struct proc_buf *b);
/* A mount's id as /proc/PID/mountinfo and fdinfo show it; 0 for internal mounts. */
int proc_mount_id(struct mount *m);

/* ---- host facts (host.c) ---- */

/* The host's /proc/cpuinfo and /proc/version as snapshot at start (NULL if none). */
const char *proc_host_cpuinfo(void);
const char *proc_host_version(void);
/* Online CPUs of the host at start (at least 1). */
int proc_host_ncpu(void);

#endif
