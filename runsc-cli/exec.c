/*
 * runsc exec: a new process in a running container, as runc exec. The process is the
 * container's config.json process with the command line's changes (or a --process file); the
 * sentry makes it with no parent in the sandbox and reports its exit on the connection that
 * asked for it, which runsc exec (or, with --detach, a child of it) waits on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/console.h"
#include "runsc-cli/container.h"
#include "runsc-cli/control_client.h"
#include "sentry/control.h"
#include "sentry/kernel/task.h"

static const char usage[] =
	"runsc exec [--process FILE] [--tty] [--detach] [--pid-file FILE] [--cwd DIR] "
	"[--env K=V]... [--user UID[:GID]] [--additional-gids GID]... [--console-socket SOCKET] "
	"[--no-new-privs] [--cap CAP]... [--preserve-fds 0] ID [COMMAND [ARG...]]";

struct exec_opts {
	const char *process_file, *pid_file, *cwd, *user, *console_socket;
	const char **env; /* --env, in order */
	size_t nenv;
	gid_t *gids; /* --additional-gids */
	size_t ngids;
	uint64_t add_caps; /* --cap: added to the bounding, effective and permitted sets */
	bool tty, detach, no_new_privs;
};

/* The request message (sentry/control.h): "exec", NUL, then "key=value" NUL... */
struct request {
	char *buf;
	size_t len, cap;
	bool failed;
};

/* Appends s and its NUL. */
static void append(struct request *r, const char *s)
{
	size_t need = strlen(s) + 1;

	if (r->failed)
		return;
	if (r->len + need > r->cap) {
		size_t cap = MAX(r->cap * 2, r->len + need + 4096);
		char *buf = realloc(r->buf, cap);

		if (!buf) {
			r->failed = true;
			return;
		}
		r->buf = buf;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, s, need);
	r->len += need;
}

static void add(struct request *r, const char *key, const char *value)
{
	char *field;

	if (asprintf(&field, "%s=%s", key, value) < 0) {
		r->failed = true;
		return;
	}
	append(r, field);
	free(field);
}

static void add_number(struct request *r, const char *key, unsigned long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", v);
	add(r, key, s);
}

/* A decimal id, as runc's strconv.Atoi of --user and --additional-gids. */
static int parse_id(const char *s, const char *what, gid_t *out, struct cli_error **err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v > UINT32_MAX - 1)
		return cli_error(err, 1, "exec: %s: \"%s\" is not a number", what, s);
	*out = v;
	return 0;
}

/* runc appends --env to the process's environment; a name given again replaces the old one. */
static int merge_env(char **base, const struct exec_opts *o, char ***out, struct cli_error **err)
{
	size_t n = 0;
	char **env;

	while (base[n])
		n++;
	env = calloc(n + o->nenv + 1, sizeof(char *));
	if (!env)
		return cli_error(err, 1, "out of memory");
	memcpy(env, base, n * sizeof(char *));
	for (size_t i = 0; i < o->nenv; i++) {
		const char *eq = strchr(o->env[i], '=');
		size_t klen = eq ? (size_t)(eq - o->env[i]) : strlen(o->env[i]);
		size_t k;

		for (k = 0; k < n; k++)
			if (!strncmp(env[k], o->env[i], klen) &&
			    (env[k][klen] == '=' || env[k][klen] == 0))
				break;
		env[k] = (char *)o->env[i];
		if (k == n)
			n++;
	}
	*out = env;
	return 0;
}

/*
 * The process to run: the --process file as it is, else the container's config.json process
 * with the command, --cwd, --env, --user and --additional-gids applied, as runc does.
 */
static int make_request(const struct container *c, const struct exec_opts *o, char **cmd, int ncmd,
			struct request *r, bool *terminal, struct cli_error **err)
{
	struct bundle *b = NULL;
	cleanup_free char **env = NULL;
	uid_t uid;
	gid_t gid;
	int ret = -1;

	if (o->process_file) {
		if (bundle_load_process(o->process_file, &b, err) < 0)
			return -1;
	} else {
		if (ncmd == 0)
			return cli_error(err, 1, "exec: no command given (usage: %s)", usage);
		if (bundle_load(c->bundle, &b, err) < 0)
			return -1;
	}
	uid = b->process.uid;
	gid = b->process.gid;
	if (!o->process_file && o->user) {
		cleanup_free char *user = strdup(o->user);
		char *colon = user ? strchr(user, ':') : NULL;
		gid_t v;

		if (!user) {
			cli_error(err, 1, "out of memory");
			goto out;
		}
		if (colon) {
			*colon = 0;
			if (parse_id(colon + 1, "--user's group", &gid, err) < 0)
				goto out;
		}
		if (parse_id(user, "--user", &v, err) < 0)
			goto out;
		uid = v;
	}
	if (merge_env(b->process.env, o->process_file ? &(struct exec_opts){ 0 } : o, &env, err) <
	    0)
		goto out;
	if (b->process.n_additional_gids + (o->process_file ? 0 : o->ngids) > NGROUPS_MAX_GUEST) {
		cli_error(err, 1, "exec: more than %d additional groups", NGROUPS_MAX_GUEST);
		goto out;
	}

	*terminal = o->process_file ? b->process.terminal : o->tty;
	if (!o->process_file && o->cwd && o->cwd[0] != '/') {
		cli_error(err, 1, "exec: --cwd must be an absolute path, not \"%s\"", o->cwd);
		goto out;
	}
	append(r, "exec");
	if (*terminal)
		add(r, "console", "1");
	/* process.capabilities of the process file or the container's config, as runc's exec
	 * takes them, with --cap added; without any (as runc then drops none), root's full sets. */
	if (b->process.has_capabilities) {
		uint64_t extra = o->add_caps;
		char v[120];

		snprintf(v, sizeof(v), "%llu %llu %llu %llu %llu",
			 (unsigned long long)(b->process.cap_bounding | extra),
			 (unsigned long long)(b->process.cap_effective | extra),
			 (unsigned long long)b->process.cap_inheritable,
			 (unsigned long long)(b->process.cap_permitted | extra),
			 (unsigned long long)b->process.cap_ambient);
		add(r, "caps", v);
	}
	if (b->process.no_new_privileges || o->no_new_privs)
		add(r, "nnp", "1");
	/* The detached holder stands for the process: killing it kills the process. */
	if (o->detach)
		add(r, "hangup", "kill");
	if (o->process_file) {
		for (char **a = b->process.args; *a; a++)
			add(r, "arg", *a);
	} else {
		for (int i = 0; i < ncmd; i++)
			add(r, "arg", cmd[i]);
	}
	for (char **e = env; *e; e++)
		add(r, "env", *e);
	add(r, "cwd", !o->process_file && o->cwd ? o->cwd : b->process.cwd);
	add_number(r, "uid", uid);
	add_number(r, "gid", gid);
	for (size_t i = 0; i < b->process.n_additional_gids; i++)
		add_number(r, "group", b->process.additional_gids[i]);
	for (size_t i = 0; !o->process_file && i < o->ngids; i++)
		add_number(r, "group", o->gids[i]);
	if (b->process.umask >= 0)
		add_number(r, "umask", b->process.umask);
	for (size_t i = 0; i < b->process.n_rlimits; i++) {
		char v[80];

		snprintf(v, sizeof(v), "%d %llu %llu", b->process.rlimits[i].resource,
			 (unsigned long long)b->process.rlimits[i].soft,
			 (unsigned long long)b->process.rlimits[i].hard);
		add(r, "rlimit", v);
	}
	if (r->failed) {
		cli_error(err, 1, "out of memory");
		goto out;
	}
	ret = 0;
out:
	bundle_free(b);
	return ret;
}

static int exit_code(int wait_status)
{
	if (wait_status < 0)
		return 128 + SIGKILL; /* the sandbox ended under the process */
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	return 128 + WTERMSIG(wait_status);
}

/*
 * Waits for the process's exit status on conn, forwarding the signals runsc exec gets to it
 * (runc exec's behaviour); returns runsc's exit code (128+N for signal N).
 */
static int wait_forwarding(const char *dir, int conn, int pid)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	cleanup_close int sfd = -1;
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		struct pollfd p[2] = { { .fd = conn, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		struct signalfd_siginfo si;
		struct cli_error *ignored = NULL;
		char request[48];

		if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		/* A process on its way out may be gone already: its status comes next. */
		snprintf(request, sizeof(request), "signal-process %d %u", pid, si.ssi_signo);
		control_request(dir, request, NULL, &ignored);
		cli_error_free(ignored);
	}
	return exit_code(control_exec_status(conn));
}

/*
 * --detach: a child holds the connection and waits, forwarding signals, then exits with the
 * process's status; it is what --pid-file names, so a subreaper (containerd's shim) that
 * inherits it learns the exit code. The parent returns once the process runs.
 */
static int detach(const struct container *c, const struct exec_opts *o, int conn, int pid,
		  struct cli_error **err)
{
	pid_t child = fork();

	if (child < 0)
		return cli_error_errno(err, errno, 1, "exec: fork");
	if (child == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		/* The caller's stdio is the guest process's: holding it would keep the caller
		 * from seeing the end of its output. */
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(null, fd);
		_exit(wait_forwarding(c->dir, conn, pid));
	}
	if (o->pid_file && write_pid_file(o->pid_file, child, err) < 0) {
		kill(child, SIGKILL);
		return -1;
	}
	return 0;
}

int cmd_exec(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "console-socket", required_argument, NULL, 'S' },
		{ "no-new-privs", no_argument, NULL, 'N' },
		{ "cap", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct exec_opts o = { 0 };
	cleanup_free const char **env = calloc(argc, sizeof(char *));
	cleanup_free gid_t *gids = calloc(argc, sizeof(gid_t));
	struct request r = { 0 };
	struct container *c = NULL;
	const char *status;
	int ch, conn = -1, pid, fds[3], nfds = 0, ret = -1, console_fd = -1;
	struct console_relay *relay = NULL;
	bool terminal = false;

	if (!env || !gids)
		return cli_error(err, 1, "out of memory");
	o.env = env;
	o.gids = gids;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:p:tdC:e:u:g:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o.process_file = optarg;
			break;
		case 't':
			o.tty = true;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'P':
			o.pid_file = optarg;
			break;
		case 'C':
			o.cwd = optarg;
			break;
		case 'e':
			env[o.nenv++] = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'g':
			if (parse_id(optarg, "--additional-gids", &gids[o.ngids++], err) < 0)
				return -1;
			break;
		case 'S':
			o.console_socket = optarg;
			break;
		case 'N':
			o.no_new_privs = true;
			break;
		case 'F':
			/* conmon passes 0; fds beyond stdio do not reach the sandbox yet. */
			if (strcmp(optarg, "0"))
				return cli_error(err, 1,
						 "exec: --preserve-fds %s: passing fds beyond "
						 "stdio is not supported yet",
						 optarg);
			break;
		case 'c': {
			size_t k;

			for (k = 0; bundle_capability_names[k]; k++)
				if (!strcmp(optarg, bundle_capability_names[k]))
					break;
			if (!bundle_capability_names[k])
				return cli_error(err, 1, "exec: unknown capability \"%s\"", optarg);
			o.add_caps |= 1ULL << k;
			break;
		}
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "exec", ch, argv, usage);
		}
	}
	if (expect_args(err, "exec", argc - optind, 1, argc, usage) < 0)
		return -1;
	if (container_load(g->root, argv[optind], NULL, &c, err) < 0)
		return -1;
	status = container_status(c);
	if (!strcmp(status, "stopped")) {
		cli_error(err, 1, "cannot exec in a stopped container");
		goto out;
	}
	if (!strcmp(status, "paused")) {
		cli_error(err, 1, "cannot exec in a paused container");
		goto out;
	}
	if (make_request(c, &o, argv + optind + 1, argc - optind - 1, &r, &terminal, err) < 0)
		goto out;
	/* runc's rules: a detached terminal needs the socket, the socket needs both. */
	if (terminal && o.detach && !o.console_socket) {
		cli_error(err, 1, "exec: cannot allocate a terminal for a detached process without "
				  "--console-socket");
		goto out;
	}
	if (o.console_socket && (!terminal || !o.detach)) {
		cli_error(err, 1, "exec: cannot use --console-socket unless the process is detached "
				  "and has a terminal");
		goto out;
	}
	/* A terminal: the host pty's replica is the process's stdio (runsc-cli/console.h). */
	if (terminal) {
		if ((o.console_socket ? console_setup(o.console_socket, 0, 0, &fds[0], err)
				      : console_foreground_open(0, 0, &fds[0], &relay, err)) < 0)
			goto out;
		nfds = 1;
		console_fd = fds[0];
		add_number(&r, "fd", 0);
	}
	/* runsc's own stdio becomes the process's; one that is closed stays closed. */
	for (int fd = 0; fd < 3 && !terminal; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		fds[nfds++] = fd;
		add_number(&r, "fd", fd);
	}
	if (r.failed) {
		cli_error(err, 1, "out of memory");
		goto out;
	}
	conn = control_exec(c->dir, r.buf, r.len, fds, nfds, &pid, err);
	if (console_fd >= 0) {
		close(console_fd); /* the sentry has its own */
		console_fd = -1;
	}
	if (conn < 0 || (relay && console_foreground_start(relay, err) < 0))
		goto out;
	if (o.detach) {
		ret = detach(c, &o, conn, pid, err);
		goto out;
	}
	if (o.pid_file && write_pid_file(o.pid_file, getpid(), err) < 0)
		goto out;
	ret = wait_forwarding(c->dir, conn, pid);
out:
	if (conn >= 0)
		close(conn);
	if (console_fd >= 0)
		close(console_fd);
	/* What the process wrote last is relayed before runsc exec exits. */
	console_foreground_finish(relay);
	free(r.buf);
	container_free(c);
	return ret;
}
