/* Process syscalls: fork/vfork/clone, execve, exit, wait, IDs, credentials, sessions. */
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/kernel/cred.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE(fork)
{
	return task_clone(t, SIGCHLD, 0, 0, 0, 0);
}

SYSCALL_DEFINE(vfork)
{
	return task_clone(t, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* x86-64 order: flags, stack, parent_tid, child_tid, tls. */
SYSCALL_DEFINE(clone)
{
	return task_clone(t, a[0], a[1], a[2], a[3], a[4]);
}

/* Copies a NULL-terminated guest array of strings (argv, envp) into one sentry allocation. */
static long copy_in_strv(struct task *t, uint64_t addr, char ***out)
{
	/* Linux's limits: MAX_ARG_STRINGS and, in practice, a quarter of the 8 MiB stack. */
	const size_t max_total = 2 << 20, max_count = 0x7fffffff;
	size_t count = 0, cap = 16, total = 0;
	char **v = malloc(cap * sizeof(*v));
	char *buf = malloc(PATH_MAX * 32);
	long err;

	*out = NULL;
	if (!v || !buf) {
		err = -ENOMEM;
		goto fail;
	}
	for (; addr;) {
		uint64_t p;
		long n;

		if ((err = copy_in(t, &p, addr + count * sizeof(p), sizeof(p))) < 0)
			goto fail;
		if (!p)
			break;
		n = copy_in_string(t, buf, p, PATH_MAX * 32);
		if (n < 0) {
			err = n == -ENAMETOOLONG ? -E2BIG : n;
			goto fail;
		}
		total += n + 1;
		if (total > max_total || count + 1 >= max_count) {
			err = -E2BIG;
			goto fail;
		}
		if (count + 1 >= cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				goto fail;
			}
			v = nv;
		}
		v[count] = strdup(buf);
		if (!v[count]) {
			err = -ENOMEM;
			goto fail;
		}
		count++;
	}
	v[count] = NULL;
	free(buf);
	*out = v;
	return 0;
fail:
	if (v) {
		for (size_t i = 0; i < count; i++)
			free(v[i]);
		free(v);
	}
	free(buf);
	return err;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

SYSCALL_DEFINE(execve)
{
	char path[PATH_MAX];
	char **argv = NULL, **envp = NULL;
	long err;

	if ((err = copy_in_path(t, path, a[0])) < 0)
		return err;
	if ((err = copy_in_strv(t, a[1], &argv)) < 0)
		return err;
	if ((err = copy_in_strv(t, a[2], &envp)) < 0) {
		free_strv(argv);
		return err;
	}
	err = task_execve(t, path, argv, envp);
	free_strv(argv);
	free_strv(envp);
	return err;
}

SYSCALL_DEFINE(exit)
{
	/* This thread only; the last one's status is the process's. */
	task_exit(t, (a[0] & 0xff) << 8);
}

SYSCALL_DEFINE(exit_group)
{
	task_exit_group(t, (a[0] & 0xff) << 8);
}

/* The guest's struct rusage: the sentry reports times, the rest is zero. */
static int put_rusage(struct task *t, uint64_t addr)
{
	struct rusage ru;

	if (!addr)
		return 0;
	memset(&ru, 0, sizeof(ru));
	return copy_out(t, addr, &ru, sizeof(ru));
}

SYSCALL_DEFINE(wait4)
{
	int pid = (int)a[0], options = (int)a[2];
	struct wait_result res;
	int idtype, id;
	long ret;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT_MIN)
		return -ESRCH;
	if (pid > 0) {
		idtype = P_PID;
		id = pid;
	} else if (pid == 0) {
		idtype = P_PGID;
		id = 0;
	} else if (pid == -1) {
		idtype = P_ALL;
		id = 0;
	} else {
		idtype = P_PGID;
		id = -pid;
	}
	ret = task_wait(t, idtype, id, options | WEXITED, &res);
	if (ret <= 0)
		return ret;
	if (a[1] && copy_out(t, a[1], &res.status, sizeof(res.status)) < 0)
		return -EFAULT;
	if (put_rusage(t, a[3]) < 0)
		return -EFAULT;
	return ret;
}

SYSCALL_DEFINE(waitid)
{
	int idtype = (int)a[0], id = (int)a[1], options = (int)a[3];
	struct wait_result res;
	struct guest_siginfo si;
	long ret;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
		return -EINVAL;
	if (idtype == P_PID && id <= 0)
		return -EINVAL;
	ret = task_wait(t, idtype, id, options, &res);
	if (ret < 0)
		return ret;
	memset(&si, 0, sizeof(si));
	if (ret > 0) {
		si.signo = SIGCHLD;
		si.code = res.code;
		si.kill.pid = res.pid;
		si.kill.uid = res.uid;
		si.kill.status = res.code == CLD_EXITED ? WEXITSTATUS(res.status)
			       : res.code == CLD_STOPPED ? WSTOPSIG(res.status)
			       : res.code == CLD_CONTINUED ? SIGCONT
							   : WTERMSIG(res.status);
	}
	if (a[2] && copy_out(t, a[2], &si, sizeof(si)) < 0)
		return -EFAULT;
	if (put_rusage(t, a[4]) < 0)
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(getpid)
{
	return t->tgid;
}

SYSCALL_DEFINE(gettid)
{
	return t->tid;
}

SYSCALL_DEFINE(getppid)
{
	int ppid;

	pthread_mutex_lock(&kernel_lock);
	ppid = t->parent ? t->parent->tgid : 0;
	pthread_mutex_unlock(&kernel_lock);
	return ppid;
}

SYSCALL_DEFINE(getuid)
{
	return t->creds.uid;
}

SYSCALL_DEFINE(geteuid)
{
	return t->creds.euid;
}

SYSCALL_DEFINE(getgid)
{
	return t->creds.gid;
}

SYSCALL_DEFINE(getegid)
{
	return t->creds.egid;
}

SYSCALL_DEFINE(getresuid)
{
	uid_t ids[3] = { t->creds.uid, t->creds.euid, t->creds.suid };

	for (int i = 0; i < 3; i++)
		if (copy_out(t, a[i], &ids[i], sizeof(ids[i])) < 0)
			return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(getresgid)
{
	gid_t ids[3] = { t->creds.gid, t->creds.egid, t->creds.sgid };

	for (int i = 0; i < 3; i++)
		if (copy_out(t, a[i], &ids[i], sizeof(ids[i])) < 0)
			return -EFAULT;
	return 0;
}

/* setresuid's rule: without cap, a task may only pick among its real, effective, saved IDs. */
static long set_ids(struct task *t, int cap, uint32_t *real, uint32_t *eff, uint32_t *saved,
		    uint32_t *fs, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t want[3] = { r, e, s };

	if (!task_capable(t, cap)) {
		for (int i = 0; i < 3; i++) {
			if (want[i] == (uint32_t)-1)
				continue;
			if (want[i] != *real && want[i] != *eff && want[i] != *saved)
				return -EPERM;
		}
	}
	if (r != (uint32_t)-1)
		*real = r;
	if (e != (uint32_t)-1)
		*eff = e;
	if (s != (uint32_t)-1)
		*saved = s;
	*fs = *eff;
	return 0;
}

/* A change of user IDs, and what it does to the capability sets. */
static long set_uids(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	struct creds old = t->creds;
	long err = set_ids(t, CAP_SETUID, &t->creds.uid, &t->creds.euid, &t->creds.suid,
			   &t->creds.fsuid, r, e, s);

	if (err == 0)
		creds_fix_setuid(&t->creds, &old);
	return err;
}

static long set_gids(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	return set_ids(t, CAP_SETGID, &t->creds.gid, &t->creds.egid, &t->creds.sgid,
		       &t->creds.fsgid, r, e, s);
}

SYSCALL_DEFINE(setresuid)
{
	return set_uids(t, a[0], a[1], a[2]);
}

SYSCALL_DEFINE(setresgid)
{
	return set_gids(t, a[0], a[1], a[2]);
}

SYSCALL_DEFINE(setuid)
{
	uint32_t id = a[0];

	if (id == (uint32_t)-1)
		return -EINVAL;
	if (task_capable(t, CAP_SETUID))
		return set_uids(t, id, id, id);
	return set_uids(t, -1, id, -1);
}

SYSCALL_DEFINE(setgid)
{
	uint32_t id = a[0];

	if (id == (uint32_t)-1)
		return -EINVAL;
	if (task_capable(t, CAP_SETGID))
		return set_gids(t, id, id, id);
	return set_gids(t, -1, id, -1);
}

SYSCALL_DEFINE(setreuid)
{
	return set_uids(t, a[0], a[1], -1);
}

SYSCALL_DEFINE(setregid)
{
	return set_gids(t, a[0], a[1], -1);
}

/*
 * setfsuid/setfsgid: always the old value back; the new one is taken if it is one of the
 * task's IDs or the task holds CAP_SETUID (CAP_SETGID). -1 only queries.
 */
SYSCALL_DEFINE(setfsuid)
{
	struct creds old = t->creds;
	uint32_t id = a[0];

	if (id != (uint32_t)-1 &&
	    (id == old.uid || id == old.euid || id == old.suid || id == old.fsuid ||
	     task_capable(t, CAP_SETUID)) &&
	    id != old.fsuid) {
		t->creds.fsuid = id;
		creds_fix_setfsuid(&t->creds, &old);
	}
	return old.fsuid;
}

SYSCALL_DEFINE(setfsgid)
{
	struct creds *c = &t->creds;
	uint32_t id = a[0], old = c->fsgid;

	if (id != (uint32_t)-1 &&
	    (id == c->gid || id == c->egid || id == c->sgid || id == c->fsgid ||
	     task_capable(t, CAP_SETGID)))
		c->fsgid = id;
	return old;
}

/* capget/capset's header: a version, and the pid (0: the caller). */
struct cap_header {
	uint32_t version;
	int32_t pid;
};

/* One 32-bit slice of the three sets; version 1 has one, versions 2 and 3 two. */
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* The slices the header's version carries, or -EINVAL after writing back the version
 * Linux prefers (_LINUX_CAPABILITY_VERSION_3), as cap_validate_magic does. */
static long cap_slices(struct task *t, uint64_t header)
{
	uint32_t version = _LINUX_CAPABILITY_VERSION_3;

	if (copy_in(t, &version, header, sizeof(version)) < 0)
		return -EFAULT;
	switch (version) {
	case _LINUX_CAPABILITY_VERSION_1:
		return 1;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		return 2;
	}
	version = _LINUX_CAPABILITY_VERSION_3;
	if (copy_out(t, header, &version, sizeof(version)) < 0)
		return -EFAULT;
	return -EINVAL;
}

SYSCALL_DEFINE(capget)
{
	struct cap_header h;
	struct cap_data d[2];
	struct creds c;
	long n = cap_slices(t, a[0]);

	/* A NULL data pointer asks only for the version. */
	if (!a[1] || n < 0)
		return !a[1] && n == -EINVAL ? 0 : n;
	if (copy_in(t, &h, a[0], sizeof(h)) < 0)
		return -EFAULT;
	if (h.pid < 0)
		return -EINVAL;
	if (h.pid && h.pid != t->tid) {
		struct task *p = task_lookup(h.pid);

		if (!p)
			return -ESRCH;
		pthread_mutex_lock(&kernel_lock);
		c = p->creds;
		pthread_mutex_unlock(&kernel_lock);
		task_put(p);
	} else {
		c = t->creds;
	}
	for (int i = 0; i < 2; i++) {
		d[i].effective = c.cap_effective >> (32 * i);
		d[i].permitted = c.cap_permitted >> (32 * i);
		d[i].inheritable = c.cap_inheritable >> (32 * i);
	}
	return copy_out(t, a[1], d, n * sizeof(d[0]));
}

static uint64_t cap_join(uint32_t lo, uint32_t hi)
{
	return (lo | (uint64_t)hi << 32) & CRED_CAP_FULL;
}

/* capset on the caller only; the rules of Linux's cap_capset. */
SYSCALL_DEFINE(capset)
{
	struct cap_header h;
	struct cap_data d[2] = { { 0 } };
	struct creds *c = &t->creds;
	uint64_t eff, prm, inh;
	long n = cap_slices(t, a[0]);

	if (n < 0)
		return n;
	if (copy_in(t, &h, a[0], sizeof(h)) < 0)
		return -EFAULT;
	if (h.pid != 0 && h.pid != t->tid)
		return -EPERM;
	if (copy_in(t, d, a[1], n * sizeof(d[0])) < 0)
		return -EFAULT;
	eff = cap_join(d[0].effective, d[1].effective);
	prm = cap_join(d[0].permitted, d[1].permitted);
	inh = cap_join(d[0].inheritable, d[1].inheritable);
	/* Without CAP_SETPCAP, the inheritable set only takes what is permitted. */
	if (!creds_capable(c, CAP_SETPCAP) && (inh & ~(c->cap_inheritable | c->cap_permitted)))
		return -EPERM;
	if (inh & ~(c->cap_inheritable | c->cap_bset))
		return -EPERM;
	if (prm & ~c->cap_permitted)
		return -EPERM;
	if (eff & ~prm)
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = prm;
	c->cap_inheritable = inh;
	c->cap_ambient &= prm & inh;
	return 0;
}

SYSCALL_DEFINE(getgroups)
{
	int size = (int)a[0];

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return t->creds.ngroups;
	if (size < t->creds.ngroups)
		return -EINVAL;
	if (copy_out(t, a[1], t->creds.groups, sizeof(gid_t) * t->creds.ngroups) < 0)
		return -EFAULT;
	return t->creds.ngroups;
}

SYSCALL_DEFINE(setgroups)
{
	int size = (int)a[0];
	gid_t groups[NGROUPS_MAX_GUEST];

	if (!task_capable(t, CAP_SETGID))
		return -EPERM;
	if (size < 0 || size > NGROUPS_MAX_GUEST)
		return -EINVAL;
	if (copy_in(t, groups, a[1], sizeof(gid_t) * size) < 0)
		return -EFAULT;
	memcpy(t->creds.groups, groups, sizeof(gid_t) * size);
	t->creds.ngroups = size;
	return 0;
}

/* The process group or session of a task's process (pid 0: the caller's); kernel_lock held. */
static int process_ids_locked(struct task *t, int pid, bool session)
{
	struct task *p = pid ? pid_lookup_locked(pid) : t;

	if (!p || p->state == TASK_DEAD)
		return -ESRCH;
	return session ? task_process(p)->sid : task_process(p)->pgid;
}

SYSCALL_DEFINE(getpgid)
{
	int pgid;

	pthread_mutex_lock(&kernel_lock);
	pgid = process_ids_locked(t, (int)a[0], false);
	pthread_mutex_unlock(&kernel_lock);
	return pgid;
}

SYSCALL_DEFINE(getpgrp)
{
	int pgid;

	pthread_mutex_lock(&kernel_lock);
	pgid = process_ids_locked(t, 0, false);
	pthread_mutex_unlock(&kernel_lock);
	return pgid;
}

SYSCALL_DEFINE(getsid)
{
	int sid;

	pthread_mutex_lock(&kernel_lock);
	sid = process_ids_locked(t, (int)a[0], true);
	pthread_mutex_unlock(&kernel_lock);
	return sid;
}

/* A process group exists in session sid; kernel_lock held. */
static bool pgrp_in_session_locked(int pgid, int sid)
{
	for (struct task *q = kernel_tasks; q; q = q->next_task)
		if (task_process(q)->pgid == pgid && task_process(q)->sid == sid)
			return true;
	return false;
}

/* Linux's setpgid: the caller's process or a child of it, in its session, not a session
 * leader; from any thread of the caller. */
SYSCALL_DEFINE(setpgid)
{
	int pid = (int)a[0] ? (int)a[0] : t->tgid;
	int pgid = (int)a[1] ? (int)a[1] : pid;
	struct task_process *self, *proc;
	struct task *p;
	long ret;

	if ((int)a[1] < 0)
		return -EINVAL;
	pthread_mutex_lock(&kernel_lock);
	self = task_process(t);
	p = pid_lookup_locked(pid);
	ret = -ESRCH;
	if (!p || p->state == TASK_DEAD)
		goto out;
	ret = -EINVAL;
	if (p->tid != p->tgid)
		goto out;
	proc = task_process(p);
	if (p->tgid != t->tgid) {
		ret = -ESRCH;
		if (!p->parent || p->parent->tgid != t->tgid)
			goto out;
		ret = -EPERM;
		if (proc->sid != self->sid)
			goto out;
	}
	ret = -EPERM;
	if (proc->sid == p->tgid)
		goto out;
	if (pgid != p->tgid && !pgrp_in_session_locked(pgid, self->sid))
		goto out;
	proc->pgid = pgid;
	ret = 0;
out:
	pthread_mutex_unlock(&kernel_lock);
	return ret;
}

/* Makes the caller's process, from any of its threads, a new session and its group. */
SYSCALL_DEFINE(setsid)
{
	struct task_process *self;
	long ret;

	pthread_mutex_lock(&kernel_lock);
	self = task_process(t);
	/* A session leader leads its group too: the group ID is taken either way. */
	for (struct task *q = kernel_tasks; q; q = q->next_task)
		if (task_process(q)->pgid == t->tgid) {
			ret = -EPERM;
			goto out;
		}
	self->sid = self->pgid = t->tgid;
	ret = t->tgid;
out:
	pthread_mutex_unlock(&kernel_lock);
	return ret;
}

SYSCALL_DEFINE(set_tid_address)
{
	t->clear_child_tid = a[0];
	return t->tid;
}

SYSCALL_DEFINE(set_robust_list)
{
	/* struct robust_list_head is three words on 64-bit. */
	if (a[1] != 24)
		return -EINVAL;
	t->robust_list = a[0];
	t->robust_list_len = a[1];
	return 0;
}

SYSCALL_DEFINE(get_robust_list)
{
	uint64_t len = t->robust_list_len;

	if ((int)a[0] != 0 && (int)a[0] != t->tid)
		return -ESRCH;
	if (copy_out(t, a[1], &t->robust_list, sizeof(uint64_t)) < 0 ||
	    copy_out(t, a[2], &len, sizeof(len)) < 0)
		return -EFAULT;
	return 0;
}

/* PR_CAP_AMBIENT: a[1] is the operation, a[2] the capability. */
static long prctl_cap_ambient(struct task *t, const uint64_t a[6])
{
	struct creds *c = &t->creds;

	if (a[1] == PR_CAP_AMBIENT_CLEAR_ALL) {
		if (a[2] || a[3] || a[4])
			return -EINVAL;
		c->cap_ambient = 0;
		return 0;
	}
	if (a[2] > CRED_CAP_LAST || a[3] || a[4])
		return -EINVAL;
	switch (a[1]) {
	case PR_CAP_AMBIENT_IS_SET:
		return (c->cap_ambient >> a[2]) & 1;
	case PR_CAP_AMBIENT_RAISE:
		if (!(c->cap_permitted & c->cap_inheritable & CRED_CAP(a[2])))
			return -EPERM;
		c->cap_ambient |= CRED_CAP(a[2]);
		return 0;
	case PR_CAP_AMBIENT_LOWER:
		c->cap_ambient &= ~CRED_CAP(a[2]);
		return 0;
	}
	return -EINVAL;
}

SYSCALL_DEFINE(prctl)
{
	char name[16];

	switch ((int)a[0]) {
	case PR_SET_NAME:
		if (copy_in_string(t, name, a[1], sizeof(name)) == -EFAULT)
			return -EFAULT;
		name[15] = '\0';
		pthread_mutex_lock(&kernel_lock);
		memcpy(t->comm, name, sizeof(name));
		pthread_mutex_unlock(&kernel_lock);
		return 0;
	case PR_GET_NAME:
		pthread_mutex_lock(&kernel_lock);
		memcpy(name, t->comm, sizeof(name));
		pthread_mutex_unlock(&kernel_lock);
		return copy_out(t, a[1], name, sizeof(name));
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_DUMPABLE:
		return a[1] <= 1 ? 0 : -EINVAL;
	case PR_SET_NO_NEW_PRIVS:
		if (a[1] != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		t->no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (a[1] || a[2] || a[3] || a[4])
			return -EINVAL;
		return t->no_new_privs;
	case PR_GET_SECCOMP:
		/* The container's profile is a filter; no guest filter or strict mode exists. */
		return t->seccomp ? SECCOMP_MODE_FILTER : SECCOMP_MODE_DISABLED;
	case PR_CAPBSET_READ:
		if (a[1] > CRED_CAP_LAST)
			return -EINVAL;
		return (t->creds.cap_bset >> a[1]) & 1;
	case PR_CAPBSET_DROP:
		if (!task_capable(t, CAP_SETPCAP))
			return -EPERM;
		if (a[1] > CRED_CAP_LAST)
			return -EINVAL;
		t->creds.cap_bset &= ~CRED_CAP(a[1]);
		return 0;
	case PR_CAP_AMBIENT:
		return prctl_cap_ambient(t, a);
	case PR_GET_KEEPCAPS:
		return !!(t->creds.securebits & CRED_SECBIT_KEEP_CAPS);
	case PR_SET_KEEPCAPS:
		if (a[1] > 1)
			return -EINVAL;
		if (a[1])
			t->creds.securebits |= CRED_SECBIT_KEEP_CAPS;
		else
			t->creds.securebits &= ~CRED_SECBIT_KEEP_CAPS;
		return 0;
	case PR_GET_SECUREBITS:
		return t->creds.securebits;
	case PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&kernel_lock);
		t->child_subreaper = a[1] != 0;
		pthread_mutex_unlock(&kernel_lock);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int v = t->child_subreaper;

		return copy_out(t, a[1], &v, sizeof(v));
	}
	default:
		return -EINVAL;
	}
}
