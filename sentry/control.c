/*
 * The sentry's control channel (sentry/control.h): one thread accepting runsc's requests on
 * the socket it was handed before sealing. Requests are validated strictly; a malformed one
 * gets an error reply and the connection closes, never more.
 */
#include "sentry/control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/host/host.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

/* A client has this long to send its request: a stalled one must not block the next. */
#define CONTROL_REQUEST_TIMEOUT_MS 5000

static int listen_fd = -1;
static struct task *init_task;
/* Whether init runs; only the control thread reads or writes it after control_start. */
static bool started;
/* The sandbox's root, where exec'd processes start (init may chroot; they do not follow). */
static struct path sandbox_root;

/*
 * The connections of exec requests, each kept open until its process exits (the exit status
 * is the last message on it). Guarded by kernel_lock, under which exits are reported.
 */
struct exec_conn {
	struct task *task; /* no reference: the entry goes when the task exits */
	int fd;
	bool kill_on_hangup; /* the requester is the process's stand-in (runsc exec --detach) */
	struct exec_conn *next;
};
static struct exec_conn *exec_conns;

/*
 * Replies that must reach runsc before the sandbox can end (a signal that kills init, a start
 * of a program that exits at once) are sent under kernel_lock: init's exit takes it before it
 * ends the process. MSG_DONTWAIT keeps that short; a reply is far below the socket's buffer.
 */
static void reply(int fd, const char *msg, size_t len)
{
	/* A client gone meanwhile is its own problem: nothing to do about it here. */
	if (send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: reply: %s", strerror(errno));
}

static void reply_str(int fd, const char *msg)
{
	reply(fd, msg, strlen(msg));
}

/* Decimal digits only (no sign, no spaces, no leading zeros beyond "0"), at most max. */
static int parse_decimal(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		unsigned d = *s - '0';

		if (*s < '0' || *s > '9' || d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* "N" in 1..GUEST_NSIG, decimal, nothing else. 0 or -EINVAL. */
static int parse_signal(const char *s, int *sig)
{
	unsigned long long v;

	if (parse_decimal(s, GUEST_NSIG, &v) < 0 || v < 1)
		return -EINVAL;
	*sig = v;
	return 0;
}

/*
 * Before "start", init has never run: it has default actions for every signal, so a signal
 * that terminates by default ends the sandbox as it would have ended init, and any other one
 * would have no effect yet.
 */
static void signal_unstarted(int fd, int sig)
{
	enum sig_default action = signal_default_action(sig);

	reply_str(fd, "ok");
	if (sig == SIGKILL || action == SIG_DFL_TERM || action == SIG_DFL_CORE) {
		close(fd);
		kernel_shutdown(sig);
	}
}

static void signal_init(int fd, int sig)
{
	int err;

	pthread_mutex_lock(&kernel_lock);
	err = task_group_send_signal_locked(init_task, sig, NULL);
	reply_str(fd, err < 0 ? "error cannot queue the signal" : "ok");
	pthread_mutex_unlock(&kernel_lock);
}

static void signal_all(int fd, int sig)
{
	pthread_mutex_lock(&kernel_lock);
	for (struct task *t = kernel_tasks; t; t = t->next_task) {
		/* Init last: its end takes the sandbox down before the others hear of it. */
		if (t->tid == t->tgid && t->state == TASK_RUNNING && t != init_task)
			task_group_send_signal_locked(t, sig, NULL);
	}
	task_group_send_signal_locked(init_task, sig, NULL);
	reply_str(fd, "ok");
	pthread_mutex_unlock(&kernel_lock);
}

static void ps(int fd)
{
	char *buf = malloc(CONTROL_REPLY_MAX);
	size_t len = 0;
	int n;

	if (!buf) {
		reply_str(fd, "error out of memory");
		return;
	}
	len = snprintf(buf, CONTROL_REPLY_MAX, "ok");
	pthread_mutex_lock(&kernel_lock);
	for (struct task *t = kernel_tasks; t; t = t->next_task) {
		char comm[sizeof(t->comm) + 1];

		if (t->tid != t->tgid || t->state != TASK_RUNNING)
			continue;
		memcpy(comm, t->comm, sizeof(t->comm));
		comm[sizeof(t->comm)] = 0;
		/* A name is one word on the line: runsc prints what it gets. */
		for (char *c = comm; *c; c++)
			if (*c <= ' ' || *c == 0x7f)
				*c = '?';
		n = snprintf(buf + len, CONTROL_REPLY_MAX - len, "\n%d %d %u %c %llu %s", t->tgid,
			     t->parent ? t->parent->tgid : 0, (unsigned)t->creds.uid,
			     (__atomic_load_n(&t->sig.jobctl, __ATOMIC_ACQUIRE) & JOBCTL_STOPPED) ?
				     'S' :
				     'R',
			     (unsigned long long)(t->start_time_ns - kernel_boot_ns),
			     comm[0] ? comm : "?");
		if (n < 0 || (size_t)n >= CONTROL_REPLY_MAX - len)
			break; /* the list is cut at the reply's limit */
		len += n;
	}
	pthread_mutex_unlock(&kernel_lock);
	reply(fd, buf, len);
	free(buf);
}

static void start(int fd)
{
	int err;

	if (started) {
		reply_str(fd, "error the container is already started");
		return;
	}
	pthread_mutex_lock(&kernel_lock);
	err = task_start(init_task);
	if (err < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "error cannot start the first task: %s", strerror(-err));
		reply_str(fd, msg);
		_exit(125);
	}
	started = true;
	reply_str(fd, "ok");
	pthread_mutex_unlock(&kernel_lock);
}

/* "signal-process PID N": as kill(PID, N) from outside the sandbox (runsc exec's forwarding). */
static void signal_process(int fd, const char *args)
{
	char pid_str[16];
	const char *space = strchr(args, ' ');
	unsigned long long pid;
	struct task *t;
	int sig;

	if (!space || (size_t)(space - args) >= sizeof(pid_str)) {
		reply_str(fd, "error malformed request");
		return;
	}
	memcpy(pid_str, args, space - args);
	pid_str[space - args] = 0;
	if (parse_decimal(pid_str, PID_MAX - 1, &pid) < 0 || pid == 0 ||
	    parse_signal(space + 1, &sig) < 0) {
		reply_str(fd, "error malformed request");
		return;
	}
	pthread_mutex_lock(&kernel_lock);
	t = pid_lookup_locked(pid);
	if (!t || t->tid != t->tgid || t->state != TASK_RUNNING)
		reply_str(fd, "error no such process");
	else if (task_group_send_signal_locked(t, sig, NULL) < 0)
		reply_str(fd, "error cannot queue the signal");
	else
		reply_str(fd, "ok");
	pthread_mutex_unlock(&kernel_lock);
}

/* A detached task has exited (kernel_lock held): its exec connection gets the status. */
static void detached_exited(struct task *t, int wait_status)
{
	for (struct exec_conn **pp = &exec_conns; *pp; pp = &(*pp)->next) {
		struct exec_conn *c = *pp;
		char msg[32];

		if (c->task != t)
			continue;
		snprintf(msg, sizeof(msg), "exit %d", wait_status);
		reply_str(c->fd, msg);
		close(c->fd);
		*pp = c->next;
		free(c);
		return;
	}
}

/* An exec request's process, decoded; strings point into the request. */
struct exec_request {
	char **argv, **envp; /* NULL-terminated */
	const char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t groups[NGROUPS_MAX_GUEST];
	int ngroups;
	int umask; /* -1: 022 */
	struct sentry_rlimit rlimits[16];
	int nrlimits;
	int guest_fds[CONTROL_EXEC_FDS]; /* the guest fd of each passed host fd, in order */
	int nfds;
	bool console; /* the one passed fd is a host terminal: the process gets a devpts pty */
	bool kill_on_hangup; /* "hangup=kill": the connection's end kills the process */
	bool has_caps;       /* "caps=BOUNDING EFFECTIVE INHERITABLE PERMITTED AMBIENT" */
	unsigned long long caps[5];
	bool no_new_privs;   /* "nnp=1" */
};

/* Exactly n decimals separated by single spaces (s is cut up). 0 or -EINVAL. */
static int parse_decimals(char *s, int n, unsigned long long *v)
{
	for (int i = 0; i < n; i++) {
		char *f = strsep(&s, " ");

		if (!f || (i == n - 1) != !s || parse_decimal(f, UINT64_MAX, &v[i]) < 0)
			return -EINVAL;
	}
	return 0;
}

/* "RES SOFT HARD" after "rlimit=". */
static int parse_rlimit(char *s, struct sentry_rlimit *rl)
{
	unsigned long long v[3];

	if (parse_decimals(s, 3, v) < 0 || v[0] >= 16 || v[1] > v[2])
		return -EINVAL;
	rl->resource = v[0];
	rl->soft = v[1];
	rl->hard = v[2];
	return 0;
}

/*
 * Decodes the fields after "exec\0" (body[0, len), each "key=value\0"). The arrays are
 * allocated here; the caller frees them. NULL, or what is wrong.
 */
static const char *parse_exec(char *body, size_t len, int nfds, struct exec_request *r)
{
	size_t nargs = 0, nenv = 0;
	unsigned long long v;
	char *p, *next, *end = body + len;

	memset(r, 0, sizeof(*r));
	r->umask = -1;
	if (len == 0 || body[len - 1] != 0)
		return "malformed request";
	for (p = body; p < end; p += strlen(p) + 1) {
		nargs += !strncmp(p, "arg=", 4);
		nenv += !strncmp(p, "env=", 4);
	}
	r->argv = calloc(nargs + 1, sizeof(char *));
	r->envp = calloc(nenv + 1, sizeof(char *));
	if (!r->argv || !r->envp)
		return "out of memory";
	nargs = nenv = 0;
	for (p = body; p < end; p = next) {
		char *eq = strchr(p, '='), *val;

		next = p + strlen(p) + 1;
		if (!eq)
			return "malformed request";
		val = eq + 1;
		*eq = 0;
		if (!strcmp(p, "arg")) {
			r->argv[nargs++] = val;
		} else if (!strcmp(p, "env")) {
			r->envp[nenv++] = val;
		} else if (!strcmp(p, "cwd")) {
			if (val[0] != '/')
				return "the working directory must be an absolute path";
			r->cwd = val;
		} else if (!strcmp(p, "uid") || !strcmp(p, "gid")) {
			/* (uid_t)-1 is "unchanged" to the kernel, never an id. */
			if (parse_decimal(val, UINT32_MAX - 1, &v) < 0)
				return "malformed user or group id";
			if (p[0] == 'u')
				r->uid = v;
			else
				r->gid = v;
		} else if (!strcmp(p, "group")) {
			if (parse_decimal(val, UINT32_MAX - 1, &v) < 0)
				return "malformed group id";
			if (r->ngroups == NGROUPS_MAX_GUEST)
				return "too many additional groups";
			r->groups[r->ngroups++] = v;
		} else if (!strcmp(p, "umask")) {
			if (parse_decimal(val, 0777, &v) < 0)
				return "malformed umask";
			r->umask = v;
		} else if (!strcmp(p, "rlimit")) {
			if (r->nrlimits == (int)ARRAY_SIZE(r->rlimits))
				return "too many rlimits";
			if (parse_rlimit(val, &r->rlimits[r->nrlimits++]) < 0)
				return "malformed rlimit";
		} else if (!strcmp(p, "console")) {
			r->console = !strcmp(val, "1");
		} else if (!strcmp(p, "caps")) {
			if (parse_decimals(val, 5, r->caps) < 0)
				return "malformed caps";
			r->has_caps = true;
		} else if (!strcmp(p, "nnp")) {
			if (strcmp(val, "1"))
				return "malformed nnp";
			r->no_new_privs = true;
		} else if (!strcmp(p, "hangup")) {
			if (strcmp(val, "kill"))
				return "malformed hangup";
			r->kill_on_hangup = true;
		} else if (!strcmp(p, "fd")) {
			if (parse_decimal(val, 2, &v) < 0 || r->nfds == CONTROL_EXEC_FDS)
				return "malformed fd";
			for (int i = 0; i < r->nfds; i++)
				if (r->guest_fds[i] == (int)v)
					return "malformed fd";
			r->guest_fds[r->nfds++] = v;
		} else {
			return "unknown field in the exec request";
		}
	}
	if (nargs == 0 || !r->argv[0][0])
		return "no program to run";
	if (r->nfds != nfds)
		return "the stdio fds do not match the request";
	if (r->console && nfds != 1)
		return "a console takes one fd";
	return NULL;
}

/* Releases what a task that never ran holds (as fork's failure path does). */
static void free_unstarted(struct task *t)
{
	if (t->mm)
		mm_put(t->mm);
	if (t->files)
		fdtable_put(t->files);
	if (t->fs)
		fs_context_put(t->fs);
	if (t->sighand)
		sighand_put(t->sighand);
	task_put(t);
}

/*
 * Makes r's process: a fresh fd table with the passed stdio, the sandbox's root, r's
 * credentials and limits, then execve of r's program (resolved through r's PATH). *t is the
 * task, not yet in the tree; NULL with a reply sent on failure.
 */
static struct task *make_exec_task(int fd, struct exec_request *r, int *fds,
				    struct file **console)
{
	struct task *t = task_alloc();
	char path[4096], msg[4400];
	struct path cwd;
	int err;

	if (!t) {
		reply_str(fd, "error out of memory");
		return NULL;
	}
	task_set_initial_creds(t, r->uid, r->gid, r->groups, r->ngroups);
	if (r->has_caps)
		creds_set_oci_caps(&t->creds, r->caps[0], r->caps[1], r->caps[2], r->caps[3],
				   r->caps[4]);
	t->no_new_privs = r->no_new_privs;
	t->seccomp = seccomp_container_profile;
	task_set_initial_rlimits(t, r->rlimits, r->nrlimits);
	t->sighand = sighand_new();
	t->files = fdtable_new();
	t->fs = fs_context_new(&sandbox_root);
	t->mm = mm_new();
	if (!t->sighand || !t->files || !t->fs || !t->mm) {
		reply_str(fd, "error out of memory");
		goto fail;
	}
	if (r->umask >= 0)
		t->fs->umask = r->umask;
	/* A terminal: the process's stdio is a pty joined to the host terminal runsc made. */
	if (r->console) {
		if ((err = devpts_attach_console(fds[0], r->uid, console)) < 0) {
			snprintf(msg, sizeof(msg), "error cannot attach the console: %s",
				 strerror(-err));
			reply_str(fd, msg);
			goto fail;
		}
		fds[0] = -1; /* the console's now */
		for (int i = 0; i < 3; i++)
			if (fd_install_at(t->files, i, *console, false,
					  task_rlimit(t, RLIMIT_NOFILE)) < 0) {
				reply_str(fd, "error cannot install the stdio fds");
				goto fail;
			}
	}
	for (int i = 0; i < r->nfds && !r->console; i++) {
		struct file *f;

		if ((err = hostfile_new(fds[i], &f)) < 0) {
			snprintf(msg, sizeof(msg), "error cannot use stdio fd %d: %s",
				 r->guest_fds[i], strerror(-err));
			reply_str(fd, msg);
			goto fail;
		}
		fds[i] = -1; /* the file's now */
		err = fd_install_at(t->files, r->guest_fds[i], f, false,
				    task_rlimit(t, RLIMIT_NOFILE));
		file_put(f);
		if (err < 0) {
			reply_str(fd, "error cannot install the stdio fds");
			goto fail;
		}
	}
	current_task = t;
	if (r->cwd) {
		err = vfs_lookup(t, AT_FDCWD, r->cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &cwd);
		if (err == 0) {
			err = vfs_chdir(t, &cwd);
			path_put(&cwd);
		}
		if (err < 0) {
			snprintf(msg, sizeof(msg), "error chdir to cwd (\"%s\"): %s", r->cwd,
				 strerror(-err));
			reply_str(fd, msg);
			goto fail;
		}
	}
	err = loader_resolve_command(t, r->argv[0], r->envp, path, sizeof(path));
	if (err == 0)
		err = task_execve(t, path, r->argv, r->envp);
	if (err < 0) {
		/* runc's words, which Docker and containerd map to 127 and 126. */
		snprintf(msg, sizeof(msg), "cannot-exec %d exec: \"%s\": %s", -err, r->argv[0],
			 err == -ENOENT && !strchr(r->argv[0], '/') ?
				 "executable file not found in $PATH" :
				 strerror(-err));
		reply_str(fd, msg);
		goto fail;
	}
	current_task = NULL;
	return t;

fail:
	current_task = NULL;
	free_unstarted(t);
	return NULL;
}

/*
 * "exec": a new process in the running sandbox, with no parent inside it. The connection
 * stays open: "ok PID" once it runs, "exit STATUS" when it ends. Returns whether the
 * connection is kept (then it is exec_conns').
 */
static bool exec_process(int fd, char *body, size_t len, int *fds, int nfds)
{
	struct exec_request r;
	struct exec_conn *conn = NULL;
	struct file *console = NULL;
	struct task *t = NULL;
	const char *bad;
	bool kept = false;
	char msg[32];
	int pid;

	bad = parse_exec(body, len, nfds, &r);
	if (bad) {
		char err[128];

		snprintf(err, sizeof(err), "error %s", bad);
		reply_str(fd, err);
		goto out;
	}
	if (!(conn = calloc(1, sizeof(*conn)))) {
		reply_str(fd, "error out of memory");
		goto out;
	}
	t = make_exec_task(fd, &r, fds, &console);
	if (!t)
		goto out;
	pthread_mutex_lock(&kernel_lock);
	pid = task_attach_detached_locked(t);
	if (pid < 0) {
		pthread_mutex_unlock(&kernel_lock);
		reply_str(fd, "error no PID left for the process");
		free_unstarted(t);
		goto out;
	}
	/* A session leader of its own (as runc's exec): the terminal is its controlling one. */
	if (console)
		devpts_set_ctty_locked(console, t);
	/* Its thread waits for kernel_lock: the PID and the entry are there before it runs. */
	if (task_start(t) < 0) {
		task_detach_unstarted_locked(t);
		pthread_mutex_unlock(&kernel_lock);
		reply_str(fd, "error cannot start a thread for the process");
		free_unstarted(t);
		goto out;
	}
	conn->task = t;
	conn->fd = fd;
	conn->kill_on_hangup = r.kill_on_hangup;
	conn->next = exec_conns;
	exec_conns = steal_pointer(&conn);
	snprintf(msg, sizeof(msg), "ok %d", pid);
	reply_str(fd, msg);
	kept = true;
	pthread_mutex_unlock(&kernel_lock);
out:
	if (console)
		file_put(console);
	free(conn);
	free(r.argv);
	free(r.envp);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return kept;
}

/* The fds a request carried (SCM_RIGHTS), at most CONTROL_EXEC_FDS; the rest are closed. */
static int received_fds(struct msghdr *mh, int *fds)
{
	int n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t k;
		int *in;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		in = (int *)CMSG_DATA(c);
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			if (n < CONTROL_EXEC_FDS && !(mh->msg_flags & MSG_CTRUNC))
				fds[n++] = in[i];
			else
				close(in[i]);
		}
	}
	if (mh->msg_flags & MSG_CTRUNC) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return -1;
	}
	return n;
}

/* Serves one request; returns whether the connection is kept open (an exec's). */
static bool serve(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	union {
		char buf[CMSG_SPACE(CONTROL_EXEC_FDS * sizeof(int))];
		struct cmsghdr align;
	} cmsg;
	cleanup_free char *req = malloc(CONTROL_EXEC_MAX + 1);
	struct iovec iov = { req, CONTROL_EXEC_MAX + 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cmsg.buf,
			     .msg_controllen = sizeof(cmsg.buf) };
	int fds[CONTROL_EXEC_FDS], nfds;
	ssize_t n;
	int sig;

	if (!req || poll(&p, 1, CONTROL_REQUEST_TIMEOUT_MS) <= 0)
		return false;
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return false;
	nfds = received_fds(&mh, fds);
	if ((size_t)n > CONTROL_EXEC_MAX || nfds < 0) {
		reply_str(fd, "error malformed request");
		goto close_fds;
	}
	if ((size_t)n >= 5 && !memcmp(req, "exec", 5))
		return exec_process(fd, req + 5, n - 5, fds, nfds);
	if (nfds > 0 || (size_t)n > CONTROL_REQUEST_MAX || memchr(req, 0, n)) {
		reply_str(fd, "error malformed request");
		goto close_fds;
	}
	req[n] = 0;
	if (!strcmp(req, "start")) {
		start(fd);
	} else if (!strncmp(req, "signal ", 7) && parse_signal(req + 7, &sig) == 0) {
		if (started)
			signal_init(fd, sig);
		else
			signal_unstarted(fd, sig);
	} else if (!strncmp(req, "signal-all ", 11) && parse_signal(req + 11, &sig) == 0) {
		if (started)
			signal_all(fd, sig);
		else
			signal_unstarted(fd, sig);
	} else if (!strncmp(req, "signal-process ", 15)) {
		signal_process(fd, req + 15);
	} else if (!strcmp(req, "ps")) {
		ps(fd);
	} else {
		reply_str(fd, "error unknown request");
	}
	return false;

close_fds:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return false;
}

/*
 * A detached exec's stand-in (runsc exec --detach, what containerd's shim knows as the process)
 * killed with SIGKILL cannot forward it: its connection's end kills the process instead, as
 * SIGKILL to runc's process would have. Fills fds with the connections to watch after
 * listen_fd; returns how many fit.
 */
static int watched_conns(struct pollfd *fds, int max)
{
	int n = 0;

	pthread_mutex_lock(&kernel_lock);
	for (struct exec_conn *c = exec_conns; c && n < max; c = c->next)
		if (c->kill_on_hangup)
			fds[n++] = (struct pollfd){ .fd = c->fd, .events = POLLRDHUP };
	pthread_mutex_unlock(&kernel_lock);
	return n;
}

/* The connection fd ended: SIGKILL to its process, if it is still the entry's. */
static void conn_hung_up(int fd)
{
	pthread_mutex_lock(&kernel_lock);
	for (struct exec_conn *c = exec_conns; c; c = c->next) {
		if (c->fd != fd || !c->kill_on_hangup)
			continue;
		c->kill_on_hangup = false; /* once: the exit closes and frees the entry */
		if (c->task->state == TASK_RUNNING)
			task_group_send_signal_locked(c->task, SIGKILL, NULL);
		break;
	}
	pthread_mutex_unlock(&kernel_lock);
}

#define CONTROL_WATCH_MAX 64

static void *control_thread(void *arg)
{
	struct pollfd fds[1 + CONTROL_WATCH_MAX];

	for (;;) {
		int n, fd;

		fds[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		n = 1 + watched_conns(fds + 1, CONTROL_WATCH_MAX);
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("control: poll: %s", strerror(errno));
			return NULL;
		}
		for (int i = 1; i < n; i++)
			if (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR))
				conn_hung_up(fds[i].fd);
		if (!(fds[0].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			/* The channel is gone; the guest runs on, only runsc can no longer reach
			 * it. */
			log_warn("control: accept: %s", strerror(errno));
			return NULL;
		}
		if (!serve(fd))
			close(fd);
	}
}

int control_start(const struct sentry_config *cfg, struct task *init)
{
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	listen_fd = cfg->control_fd;
	init_task = init;
	fs_context_root(init->fs, &sandbox_root);
	kernel_detached_exit_hook = detached_exited;
	if (!cfg->wait_for_start) {
		if ((err = task_start(init)) < 0)
			return err;
		started = true;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&thread, &attr, control_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	if (cfg->ready_fd >= 0) {
		if (write(cfg->ready_fd, "1", 1) != 1)
			return -errno;
		close(cfg->ready_fd);
	}
	return 0;
}
