/*
 * /proc/PID and /proc/PID/task/TID: what one process shows (stat, status, cmdline, maps ...),
 * read from its task under kernel_lock and from its mm, fd table and fs context by reference.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/cred.h"
#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"

/* The kernel ABI's handler values. */
#define HANDLER_DFL 0
#define HANDLER_IGN 1

/* Most bytes of guest memory cmdline or environ copy out (Linux's are bounded by the stack). */
#define PROC_MAX_STRINGS (4u << 20)

/* ---- tasks ---- */

struct task *proc_task(const struct proc_inode *pi)
{
	struct task *t = task_lookup(pi->tid ? pi->tid : pi->pid);
	if (t && pi->tid && t->tgid != pi->pid) {
		task_put(t);
		return NULL;
	}
	return t;
}

bool proc_may_access(struct task *t)
{
	struct task *me = current();
	if (!me || me->tgid == t->tgid)
		return true;
	const struct creds *c = &me->creds; /* our own: changed only by ourselves */
	if (creds_capable(c, CAP_SYS_PTRACE))
		return true;
	pthread_mutex_lock(&kernel_lock);
	struct creds tc = t->creds;
	pthread_mutex_unlock(&kernel_lock);
	return c->fsuid == tc.uid && c->fsuid == tc.euid && c->fsuid == tc.suid &&
	       c->fsgid == tc.gid && c->fsgid == tc.egid && c->fsgid == tc.sgid;
}

struct mm *proc_task_mm(struct task *t)
{
	pthread_mutex_lock(&kernel_lock);
	struct mm *mm = t->mm;
	if (mm)
		mm_get(mm);
	pthread_mutex_unlock(&kernel_lock);
	return mm;
}

/* The fd table and fs context are detached under kernel_lock at exit, as the mm is. */
struct fdtable *proc_task_files(struct task *t)
{
	pthread_mutex_lock(&kernel_lock);
	struct fdtable *files = t->files;
	if (files)
		fdtable_get(files);
	pthread_mutex_unlock(&kernel_lock);
	return files;
}

struct fs_context *proc_task_fs(struct task *t)
{
	pthread_mutex_lock(&kernel_lock);
	struct fs_context *fs = t->fs;
	if (fs)
		fs_context_get(fs);
	pthread_mutex_unlock(&kernel_lock);
	return fs;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int proc_list_tasks(struct proc_inode *pi, struct dir_snapshot *s)
{
	bool threads = pi->entry->dyn == PROC_DYN_TIDS;
	int *ids = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	pthread_mutex_lock(&kernel_lock);
	for (struct task *t = kernel_tasks; t; t = t->next_task) {
		if (t->state == TASK_DEAD)
			continue;
		if (threads ? t->tgid != pi->pid : t->tid != t->tgid)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			int *more = realloc(ids, cap * sizeof(*ids));
			if (!more) {
				r = -ENOMEM;
				break;
			}
			ids = more;
		}
		ids[n++] = t->tid;
	}
	pthread_mutex_unlock(&kernel_lock);

	if (r == 0)
		qsort(ids, n, sizeof(*ids), cmp_int);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", ids[i]);
		uint64_t ino = threads ? proc_ino(PROC_ID_TID_DIR, pi->pid, ids[i], -1) :
					 proc_ino(PROC_ID_PID_DIR, ids[i], 0, -1);
		r = dir_snapshot_add(s, name, ino, DT_DIR);
	}
	free(ids);
	return r;
}

/* ---- the task's view for stat, status, statm ---- */

/* Sizes and bounds from the VMAs: Linux keeps them as counters, cvisor adds them up. */
static void fill_mm_view(struct mm *mm, struct proc_task_view *v)
{
	uint64_t rss;
	mm_sizes(mm, &v->vm_size, &rss);
	v->vm_rss = rss;
	v->vm_peak = v->vm_size; /* no high-water marks are kept */
	v->vm_hwm = v->vm_rss;

	pthread_mutex_lock(&mm->lock);
	struct inode *exe = mm->exe ? mm->exe->inode : NULL;
	for (struct vma *vma = mm->vmas; vma; vma = vma->next) {
		uint64_t size = vma->end - vma->start;
		bool shared = vma->flags & VMA_SHARED;
		bool stack = vma->flags & (VMA_STACK | VMA_GROWSDOWN);
		bool of_exe = vma->file && exe && vma->file->inode == exe;

		/* Pages are not tracked one by one: the mapped sizes stand for what is resident,
		 * as mm_sizes does. */
		if (vma->file)
			v->rss_file += size;
		else if (shared)
			v->rss_shmem += size;
		else
			v->rss_anon += size;
		if (stack)
			v->vm_stack += size;
		else if (!shared && (vma->prot & PROT_WRITE))
			v->vm_data += size;
		if (vma->file && (vma->prot & PROT_EXEC)) {
			if (of_exe) {
				v->vm_exe += size;
				if (!v->start_code || vma->start < v->start_code)
					v->start_code = vma->start;
				v->end_code = MAX(v->end_code, vma->end);
			} else {
				v->vm_lib += size;
			}
		} else if (of_exe && (vma->prot & PROT_WRITE)) {
			if (!v->start_data || vma->start < v->start_data)
				v->start_data = vma->start;
			v->end_data = MAX(v->end_data, vma->end);
		}
	}
	v->start_stack = mm->stack_start;
	v->start_brk = mm->brk_start;
	v->arg_start = mm->arg_start;
	v->arg_end = mm->arg_end;
	v->env_start = mm->env_start;
	v->env_end = mm->env_end;
	pthread_mutex_unlock(&mm->lock);
	v->has_mm = true;
}

/* The state letter of t; kernel_lock held. */
static char task_state_locked(struct task *t)
{
	if (t->state != TASK_RUNNING)
		return 'Z';
	if (__atomic_load_n(&t->sig.jobctl, __ATOMIC_RELAXED) & JOBCTL_STOPPED)
		return 'T';
	if (t == current())
		return 'R';
	pthread_mutex_lock(&t->wake_lock);
	bool running = t->in_guest;
	pthread_mutex_unlock(&t->wake_lock);
	/* In the sentry and not the reader: blocked in a syscall, as far as can be told. */
	return running ? 'R' : 'S';
}

/*
 * Fills v for pi's task: the whole thread group for /proc/PID (times and thread count), the
 * thread for /proc/PID/task/TID. -ESRCH when it has gone.
 */
static int task_view(struct proc_inode *pi, struct proc_task_view *v)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ESRCH;
	memset(v, 0, sizeof(*v));
	v->permitted = proc_may_access(t);

	pthread_mutex_lock(&kernel_lock);
	v->pid = t->tid;
	v->tgid = t->tgid;
	v->ppid = t->parent ? t->parent->tgid : 0;
	v->pgid = task_process(t)->pgid;
	v->sid = task_process(t)->sid;
	v->tpgid = -1; /* no controlling terminal */
	memcpy(v->comm, t->comm, sizeof(v->comm) - 1);
	v->state = task_state_locked(t);
	uint64_t utime = 0, stime = 0;
	for (struct task *th = kernel_tasks; th; th = th->next_task) {
		if (th->tgid != t->tgid || th->state == TASK_DEAD)
			continue;
		v->num_threads++;
		if (pi->tid == 0 || th == t) {
			utime += th->utime_ns;
			stime += th->stime_ns;
		}
	}
	v->utime = utime / PROC_NS_PER_TICK;
	v->stime = stime / PROC_NS_PER_TICK;
	v->priority = 20; /* the default nice 0 as Linux shows it (prio - MAX_RT_PRIO) */
	if (t->start_time_ns > kernel_boot_ns)
		v->start_time = (t->start_time_ns - kernel_boot_ns) / PROC_NS_PER_TICK;
	v->wchan = v->state == 'S';
	v->exit_signal = t->exit_signal;
	v->exit_code = t->state == TASK_ZOMBIE ? t->exit_status : 0;

	v->sig_pending = t->sig.pending;
	v->sig_shared_pending = task_shared_owner(t)->sig.shared_pending;
	v->sig_blocked = t->sig.blocked;
	v->sigq_queued = t->sig.queued;
	v->sigq_limit = task_process(t)->rlimits[RLIMIT_SIGPENDING].rlim_cur;
	/* sighand writers hold kernel_lock too, so it is enough to read the actions. */
	if (t->sighand) {
		for (int sig = 1; sig <= GUEST_NSIG; sig++) {
			uint64_t h = t->sighand->actions[sig - 1].handler;
			if (h == HANDLER_IGN)
				v->sig_ignored |= GSIG_BIT(sig);
			else if (h != HANDLER_DFL)
				v->sig_caught |= GSIG_BIT(sig);
		}
	}

	const struct creds *c = &t->creds;
	v->uid[0] = c->uid, v->uid[1] = c->euid, v->uid[2] = c->suid, v->uid[3] = c->fsuid;
	v->gid[0] = c->gid, v->gid[1] = c->egid, v->gid[2] = c->sgid, v->gid[3] = c->fsgid;
	v->ngroups = MIN(c->ngroups, PROC_NGROUPS_MAX);
	for (int i = 0; i < v->ngroups; i++)
		v->groups[i] = c->groups[i];
	v->cap_inh = c->cap_inheritable;
	v->cap_prm = c->cap_permitted;
	v->cap_eff = c->cap_effective;
	v->cap_bnd = c->cap_bset;
	v->cap_amb = c->cap_ambient;
	v->no_new_privs = t->no_new_privs;
	v->seccomp = t->seccomp ? 2 : 0; /* SECCOMP_MODE_FILTER */
	v->rsslim = task_process(t)->rlimits[RLIMIT_RSS].rlim_cur;

	struct mm *mm = t->mm;
	if (mm)
		mm_get(mm);
	struct fdtable *files = t->files;
	if (files)
		fdtable_get(files);
	struct fs_context *fs = t->fs;
	if (fs)
		fs_context_get(fs);
	pthread_mutex_unlock(&kernel_lock);
	task_put(t);

	v->umask = -1;
	if (fs) {
		v->umask = (int)__atomic_load_n(&fs->umask, __ATOMIC_RELAXED);
		fs_context_put(fs);
	}
	if (files) {
		pthread_mutex_lock(&files->lock);
		v->fdsize = MAX(files->size, 64); /* Linux's smallest table */
		pthread_mutex_unlock(&files->lock);
		fdtable_put(files);
	}
	if (mm) {
		fill_mm_view(mm, v);
		mm_put(mm);
	}
	return 0;
}

static int show_stat(struct proc_inode *pi, struct proc_buf *b)
{
	struct proc_task_view v;
	int r = task_view(pi, &v);
	if (r == 0)
		proc_fmt_stat(b, &v);
	return r;
}

static int show_status(struct proc_inode *pi, struct proc_buf *b)
{
	struct proc_task_view v;
	int r = task_view(pi, &v);
	if (r == 0)
		proc_fmt_status(b, &v);
	return r;
}

static int show_statm(struct proc_inode *pi, struct proc_buf *b)
{
	struct proc_task_view v;
	int r = task_view(pi, &v);
	if (r == 0)
		proc_fmt_statm(b, &v);
	return r;
}

/* ---- files read from the task ---- */

static int show_comm(struct proc_inode *pi, struct proc_buf *b)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ESRCH;
	char comm[16];
	pthread_mutex_lock(&kernel_lock);
	memcpy(comm, t->comm, sizeof(comm));
	pthread_mutex_unlock(&kernel_lock);
	task_put(t);
	comm[sizeof(comm) - 1] = '\0';
	proc_buf_printf(b, "%s\n", comm);
	return 0;
}

/* Linux: a thread group may rename its own threads; the name is cut to 15 bytes, kept
 * verbatim (a newline from echo stays). */
static ssize_t write_comm(struct proc_inode *pi, const char *buf, size_t count)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ESRCH;
	ssize_t r = (ssize_t)count;
	pthread_mutex_lock(&kernel_lock);
	if (current() && current()->tgid == t->tgid) {
		memset(t->comm, 0, sizeof(t->comm));
		memcpy(t->comm, buf, MIN(strlen(buf), sizeof(t->comm) - 1));
	} else {
		r = -EINVAL;
	}
	pthread_mutex_unlock(&kernel_lock);
	task_put(t);
	return r;
}

static int show_limits(struct proc_inode *pi, struct proc_buf *b)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ESRCH;
	struct rlimit rl[PROC_NLIMITS];
	pthread_mutex_lock(&kernel_lock);
	memcpy(rl, task_process(t)->rlimits, sizeof(rl));
	pthread_mutex_unlock(&kernel_lock);
	task_put(t);
	proc_fmt_limits(b, rl);
	return 0;
}

static int show_oom_score_adj(struct proc_inode *pi, struct proc_buf *b)
{
	proc_buf_puts(b, "0\n");
	return 0;
}

/* Accepted and forgotten: there is no OOM killer in the sandbox to steer. */
static ssize_t write_oom_score_adj(struct proc_inode *pi, const char *buf, size_t count)
{
	char *end;
	long v = strtol(buf, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (end == buf || *end || v < -1000 || v > 1000)
		return -EINVAL;
	return (ssize_t)count;
}

/* Copies guest memory [start, end) of mm, stopping at the first unreadable page. */
static void copy_guest(struct mm *mm, uint64_t start, uint64_t end, struct proc_buf *b)
{
	if (end <= start)
		return;
	if (end - start > PROC_MAX_STRINGS)
		end = start + PROC_MAX_STRINGS;
	for (uint64_t addr = start; addr < end;) {
		size_t n = MIN(end - addr, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
		if (!proc_buf_reserve(b, n) || mm_copy_in(mm, b->data + b->len, addr, n) < 0)
			return;
		b->len += n;
		addr += n;
	}
}

/* The task's mm and one of its ranges; a zombie has none: empty contents. */
static int task_mm_range(struct proc_inode *pi, struct mm **mmp)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ESRCH;
	*mmp = proc_task_mm(t);
	task_put(t);
	return 0;
}

static int show_cmdline(struct proc_inode *pi, struct proc_buf *b)
{
	struct mm *mm;
	int r = task_mm_range(pi, &mm);
	if (r < 0 || !mm)
		return r;
	pthread_mutex_lock(&mm->lock);
	uint64_t arg_start = mm->arg_start, arg_end = mm->arg_end;
	uint64_t env_start = mm->env_start, env_end = mm->env_end;
	pthread_mutex_unlock(&mm->lock);

	char last = 0;
	if (arg_end > arg_start && mm_copy_in(mm, &last, arg_end - 1, 1) == 0 && last) {
		/* The process wrote over its argv (setproctitle): Linux then shows the text up
		 * to its first NUL, which may run into the environment, at most a page. */
		uint64_t end = env_start == arg_end && env_end > env_start ? env_end : arg_end;
		copy_guest(mm, arg_start, MIN(end, arg_start + PAGE_SIZE), b);
		char *nul = b->len ? memchr(b->data, '\0', b->len) : NULL;
		if (nul)
			b->len = (size_t)(nul - b->data) + 1;
	} else {
		copy_guest(mm, arg_start, arg_end, b);
	}
	mm_put(mm);
	return 0;
}

static int show_environ(struct proc_inode *pi, struct proc_buf *b)
{
	struct mm *mm;
	int r = task_mm_range(pi, &mm);
	if (r < 0 || !mm)
		return r;
	pthread_mutex_lock(&mm->lock);
	uint64_t start = mm->env_start, end = mm->env_end;
	pthread_mutex_unlock(&mm->lock);
	copy_guest(mm, start, end, b);
	mm_put(mm);
	return 0;
}

static int show_auxv(struct proc_inode *pi, struct proc_buf *b)
{
	struct mm *mm;
	int r = task_mm_range(pi, &mm);
	if (r < 0 || !mm)
		return r;
	pthread_mutex_lock(&mm->lock);
	uint64_t start = mm->auxv_start, end = mm->auxv_end;
	pthread_mutex_unlock(&mm->lock);
	copy_guest(mm, start, end, b);
	mm_put(mm);
	return 0;
}

static int show_maps(struct proc_inode *pi, struct proc_buf *b)
{
	struct mm *mm;
	int r = task_mm_range(pi, &mm);
	if (r < 0 || !mm)
		return r;
	/* mm_format_maps stops where the buffer ends: grow until it all fits. */
	for (size_t room = 16384;; room *= 2) {
		if (!proc_buf_reserve(b, room))
			break;
		size_t n = mm_format_maps(mm, b->data, room);
		if (n < room) {
			b->len = n;
			b->data[n] = '\0';
			break;
		}
	}
	mm_put(mm);
	return 0;
}

static int show_mounts(struct proc_inode *pi, struct proc_buf *b)
{
	return proc_show_mounts(b);
}

static int show_mountinfo(struct proc_inode *pi, struct proc_buf *b)
{
	return proc_show_mountinfo(b);
}

/* ---- links: cwd, root, exe ---- */

/* The path behind a cwd/root/exe link, with references; -EACCES without ptrace access. */
static int task_link_path(struct proc_inode *pi, struct path *out)
{
	struct task *t = proc_task(pi);
	if (!t)
		return -ENOENT;
	int r = -ENOENT;
	if (!proc_may_access(t)) {
		r = -EACCES;
	} else if (pi->entry->id == PROC_ID_EXE) {
		struct mm *mm = proc_task_mm(t);
		if (mm) {
			pthread_mutex_lock(&mm->lock);
			if (mm->exe) {
				*out = mm->exe->path;
				path_get(out);
				r = 0;
			}
			pthread_mutex_unlock(&mm->lock);
			mm_put(mm);
		}
	} else {
		struct fs_context *fs = proc_task_fs(t);
		if (fs) {
			if (pi->entry->id == PROC_ID_CWD)
				fs_context_cwd(fs, out);
			else
				fs_context_root(fs, out);
			fs_context_put(fs);
			r = 0;
		}
	}
	task_put(t);
	return r;
}

static int follow_task_link(struct proc_inode *pi, struct path *out)
{
	return task_link_path(pi, out);
}

static int readlink_task_link(struct proc_inode *pi, char *buf, size_t len)
{
	struct path p;
	int r = task_link_path(pi, &p);
	if (r < 0)
		return r;
	r = proc_path_string(&p, buf, len);
	path_put(&p);
	return r;
}

/* ---- the tables ---- */

#define TASK_FILE(n, i, m, f, s)                                                                   \
	{                                                                                          \
		.name = n, .id = i, .mode = S_IFREG | (m), .flags = PROC_TASK | (f), .show = s     \
	}
#define TASK_LINK(n, i)                                                                            \
	{                                                                                          \
		.name = n, .id = i, .mode = S_IFLNK | 0777, .flags = PROC_TASK | PROC_PTRACE,      \
		.readlink = readlink_task_link, .follow = follow_task_link                         \
	}

/* In Linux's order (alphabetical). */
static const struct proc_entry pid_entries[] = {
	TASK_FILE("auxv", PROC_ID_AUXV, 0400, PROC_PTRACE, show_auxv),
	TASK_FILE("cmdline", PROC_ID_CMDLINE, 0444, 0, show_cmdline),
	{ .name = "comm",
	  .id = PROC_ID_COMM,
	  .mode = S_IFREG | 0644,
	  .flags = PROC_TASK,
	  .show = show_comm,
	  .write = write_comm },
	TASK_LINK("cwd", PROC_ID_CWD),
	TASK_FILE("environ", PROC_ID_ENVIRON, 0400, PROC_PTRACE, show_environ),
	TASK_LINK("exe", PROC_ID_EXE),
	{ .name = "fd",
	  .id = PROC_ID_FD,
	  .mode = S_IFDIR | 0500,
	  .flags = PROC_TASK,
	  .dyn = PROC_DYN_FDS },
	{ .name = "fdinfo",
	  .id = PROC_ID_FDINFO,
	  .mode = S_IFDIR | 0555,
	  .flags = PROC_TASK,
	  .dyn = PROC_DYN_FDINFOS },
	TASK_FILE("limits", PROC_ID_LIMITS, 0444, 0, show_limits),
	TASK_FILE("maps", PROC_ID_MAPS, 0444, PROC_PTRACE, show_maps),
	TASK_FILE("mountinfo", PROC_ID_MOUNTINFO, 0444, 0, show_mountinfo),
	TASK_FILE("mounts", PROC_ID_PID_MOUNTS, 0444, 0, show_mounts),
	{ .name = "oom_score_adj",
	  .id = PROC_ID_OOM_SCORE_ADJ,
	  .mode = S_IFREG | 0644,
	  .flags = PROC_TASK,
	  .show = show_oom_score_adj,
	  .write = write_oom_score_adj },
	TASK_LINK("root", PROC_ID_ROOT_LINK),
	TASK_FILE("stat", PROC_ID_PID_STAT, 0444, 0, show_stat),
	TASK_FILE("statm", PROC_ID_STATM, 0444, 0, show_statm),
	TASK_FILE("status", PROC_ID_STATUS, 0444, 0, show_status),
	{ .name = "task",
	  .id = PROC_ID_TASK,
	  .mode = S_IFDIR | 0555,
	  .flags = PROC_TASK | PROC_TGID_ONLY,
	  .dyn = PROC_DYN_TIDS },
	{ 0 },
};

const struct proc_entry proc_pid_dir_entry = {
	.id = PROC_ID_PID_DIR,
	.mode = S_IFDIR | 0555,
	.flags = PROC_TASK,
	.children = pid_entries,
};

/* The same files for one thread; entry_visible leaves task/ out. */
const struct proc_entry proc_tid_dir_entry = {
	.id = PROC_ID_TID_DIR,
	.mode = S_IFDIR | 0555,
	.flags = PROC_TASK,
	.children = pid_entries,
};
