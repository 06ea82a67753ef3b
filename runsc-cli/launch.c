/*
 * Creating a container (runsc-cli/launch.h). runsc forks the sandbox's root process, which
 * starts the gofer and the sentry and waits for them; runsc records the container once the
 * sentry says the guest is loaded, then lets the root process go on its own. Until then the
 * root process dies with runsc (PR_SET_PDEATHSIG), so a runsc killed mid-create leaves no
 * sandbox behind, only a directory without a record, which the next create of the ID reuses.
 */
#include "runsc-cli/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/proctitle.h"
#include "lib/util.h"
#include "platform/platform.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/console.h"
#include "runsc-cli/container.h"
#include "runsc-cli/control_client.h"
#include "runsc-cli/hooks.h"
#include "runsc-cli/mounts.h"
#include "runsc-cli/sandbox.h"
#include "sentry/kernel/task.h"

/* What of the bundle the sandbox cannot do yet: said now, before anything is made. */
static int check_supported(const struct bundle *b, const struct launch_opts *o,
			   struct cli_error **err)
{
	bool detached = o->mode != LAUNCH_FOREGROUND;

	/* runc's rules: a detached terminal needs the socket, the socket needs a terminal. */
	if (b->process.terminal && detached && !o->console_socket)
		return cli_error(err, 1,
				 "cannot allocate a terminal for a detached container "
				 "without --console-socket");
	if (o->console_socket && (!detached || !b->process.terminal))
		return cli_error(err, 1,
				 "cannot use --console-socket unless the container is detached "
				 "and process.terminal is true");
	if (b->process.n_additional_gids > NGROUPS_MAX_GUEST)
		return cli_error(err, 1,
				 "config.json: process.user.additionalGids: more than %d "
				 "groups",
				 NGROUPS_MAX_GUEST);
	return 0;
}

/*
 * A detached container with a terminal has no stdio of runsc's: its caller (containerd's
 * shim) reads runsc create's output until every holder closes it, as runc's container holds
 * only its pty. The sandbox's stdin and stdout become /dev/null; its stderr a pipe that
 * runsc reads only when the sandbox fails to start (copy_messages).
 */
static void quiet_stdio(int errpipe[2])
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	dup2(errpipe[1], STDERR_FILENO);
	close(errpipe[0]);
	close(errpipe[1]);
}

/* The messages of a sandbox that failed (all its processes gone) to runsc's stderr. */
static void copy_messages(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
}

/* process.consoleSize, when given: the terminal's first window size. */
static void console_size(const struct bundle *b, unsigned short *rows, unsigned short *cols)
{
	json_object *process, *size, *v;

	if (!json_object_object_get_ex(b->json, "process", &process) ||
	    !json_object_object_get_ex(process, "consoleSize", &size))
		return;
	if (json_object_object_get_ex(size, "height", &v))
		*rows = (unsigned short)json_object_get_int(v);
	if (json_object_object_get_ex(size, "width", &v))
		*cols = (unsigned short)json_object_get_int(v);
}

/* The sentry's view of the bundle. Strings stay the bundle's (heap, not argv). */
static int make_config(struct global_flags *g, const struct bundle *b, const struct launch_opts *o,
		       struct sentry_config *cfg, struct sentry_rlimit **rlimits,
		       struct cli_error **err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->argv = b->process.args;
	cfg->envp = b->process.env;
	cfg->cwd = b->process.cwd;
	cfg->uid = b->process.uid;
	cfg->gid = b->process.gid;
	cfg->groups = b->process.additional_gids;
	cfg->ngroups = b->process.n_additional_gids;
	cfg->umask = b->process.umask;
	cfg->hostname = b->hostname;
	cfg->readonly_root = b->root_readonly;
	cfg->platform = g->platform;
	cfg->strace = g->strace;
	cfg->has_caps = b->process.has_capabilities;
	cfg->caps_bounding = b->process.cap_bounding;
	cfg->caps_effective = b->process.cap_effective;
	cfg->caps_inheritable = b->process.cap_inheritable;
	cfg->caps_permitted = b->process.cap_permitted;
	cfg->caps_ambient = b->process.cap_ambient;
	cfg->no_new_privs = b->process.no_new_privileges;
	cfg->seccomp = b->seccomp;
	/* Even run holds the guest back: startContainer hooks come before it runs. */
	cfg->wait_for_start = true;
	cfg->control_fd = cfg->ready_fd = cfg->debug_fd = -1;
	*rlimits = calloc(b->process.n_rlimits + 1, sizeof(**rlimits));
	if (!*rlimits)
		return cli_error(err, 1, "out of memory");
	for (size_t i = 0; i < b->process.n_rlimits; i++) {
		(*rlimits)[i].resource = b->process.rlimits[i].resource;
		(*rlimits)[i].soft = b->process.rlimits[i].soft;
		(*rlimits)[i].hard = b->process.rlimits[i].hard;
	}
	cfg->rlimits = *rlimits;
	cfg->nrlimits = b->process.n_rlimits;
	if (g->debug_log) {
		cfg->debug_fd = open(g->debug_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (cfg->debug_fd < 0)
			return cli_error_errno(err, errno, 1, "cannot open the debug log %s",
					       g->debug_log);
	}
	return 0;
}

/* The pids the root process reports once the sandbox runs: "SENTRY GOFER". */
struct started_msg {
	pid_t sentry, gofer;
};

static bool recv_go(int link)
{
	char go[4];
	ssize_t n;

	do
		n = recv(link, go, sizeof(go), 0);
	while (n < 0 && errno == EINTR);
	return n == 2 && !memcmp(go, "go", 2);
}

/*
 * The sandbox's root process: starts the sandbox, tells runsc the pids, and waits for runsc
 * to have recorded the container ("go"; runsc gone before that: the sandbox is killed). It
 * answers "go" once it no longer dies with runsc, so that runsc does not exit before.
 * Exits with the sandbox's status.
 */
static void __attribute__((noreturn))
root_process(const char *rootfs, const char *cgroup, struct sentry_config *cfg, int link,
	     pid_t creator)
{
	struct cli_error *err = NULL;
	struct started_msg msg;
	struct sandbox sb;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != creator)
		_exit(1);
	/* Out of the caller's session: a terminal's ^C is runsc run's to forward to the guest,
	 * not a signal that takes the sandbox down. */
	setsid();
	proctitle_set("runsc-sandbox");
	/* In the cgroup before the gofer and the sentry are born: they and the stubs inherit it. */
	if (cgroup_enter(cgroup, &err) < 0 || sandbox_start(&sb, rootfs, cfg, &err) < 0) {
		cli_error_report(err);
		_exit(125);
	}
	/* The sentry has its own copies: with these closed, runsc sees the sentry's end. */
	close(cfg->ready_fd);
	close(cfg->control_fd);
	if (cfg->console)
		close(cfg->console_fd);
	msg.sentry = sb.sentry_pid;
	msg.gofer = sb.gofer_pid;
	if (send(link, &msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg) || !recv_go(link) ||
	    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0 || send(link, "go", 2, MSG_NOSIGNAL) != 2)
		kill(sb.sentry_pid, SIGKILL);
	close(link);
	_exit(sandbox_wait(&sb));
}

static bool recv_started(int link, struct started_msg *msg)
{
	ssize_t n;

	do
		n = recv(link, msg, sizeof(*msg), 0);
	while (n < 0 && errno == EINTR);
	return n == sizeof(*msg);
}

/* The sentry's byte: the guest is loaded (and started unless it waits for runsc start). */
static bool read_ready(int fd)
{
	ssize_t n;
	char byte;

	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * runc run's behaviour: signals to runsc go to the guest's init (through the control
 * channel), until the root process exits. Its status, 128+N for signal N.
 */
static int forward_signals_until_exit(const char *dir, pid_t root)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct timespec tick = { 1, 0 };
	struct cli_error *ignored;
	char request[32];
	sigset_t set;
	int status, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* SIGCHLD may have come before the mask: waitpid is asked on every turn. */
	while (waitpid(root, &status, WNOHANG) == 0) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig <= 0 || sig == SIGCHLD)
			continue;
		ignored = NULL;
		/* A guest on its way out may not answer: the next turn sees it gone. */
		snprintf(request, sizeof(request), "signal %d", sig);
		control_request(dir, request, NULL, &ignored);
		cli_error_free(ignored);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * run in the foreground: the container ends, its record goes (poststop hooks run, as runc's
 * destroy runs them), its status is runsc's.
 */
static int wait_foreground(const struct container *c, pid_t root)
{
	struct cli_error *err = NULL, *warning = NULL;
	int code, lock_fd;

	code = forward_signals_until_exit(c->dir, root);
	lock_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd >= 0)
		flock(lock_fd, LOCK_EX);
	/* The sentry and the gofer die with the root process: the cgroup empties. */
	if (cgroup_destroy(c->cgroup, &err) < 0 || container_remove_dir(c->dir, &err) < 0)
		cli_error_report(err);
	if (container_run_hooks(c, HOOK_POSTSTOP, &warning) < 0)
		cli_error_report(warning);
	if (lock_fd >= 0)
		close(lock_fd);
	return code;
}

int container_run_hooks(const struct container *c, enum hook_kind kind, struct cli_error **err)
{
	struct oci_hook *list;
	json_object *state;
	size_t n;
	int r;

	if (container_hooks(c, kind, &list, &n, err) < 0)
		return -1;
	if (n == 0)
		return 0;
	state = container_state_json(c, false);
	if (!state) {
		hooks_free_list(list, n);
		return cli_error(err, 1, "out of memory");
	}
	r = hooks_run(list, n, kind,
		      json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE),
		      err);
	json_object_put(state);
	hooks_free_list(list, n);
	return r;
}

int container_start(struct container *c, struct cli_error **err)
{
	struct cli_error *warning = NULL;
	char *running = strdup("running");

	if (!running)
		return cli_error(err, 1, "out of memory");
	if (container_run_hooks(c, HOOK_START_CONTAINER, err) < 0 ||
	    control_request(c->dir, "start", NULL, err) < 0) {
		free(running);
		return -1;
	}
	free(c->status);
	c->status = running;
	if (container_save(c, err) < 0)
		return -1;
	if (container_run_hooks(c, HOOK_POSTSTART, &warning) < 0)
		cli_error_report(warning);
	return 0;
}

int container_launch(struct global_flags *g, const struct launch_opts *o, struct cli_error **err)
{
	struct bundle *b = NULL;
	struct container c = { 0 };
	struct sentry_config cfg = { .control_fd = -1, .ready_fd = -1, .debug_fd = -1 };
	struct console_relay *relay = NULL;
	int errpipe[2] = { -1, -1 };
	cleanup_free struct sentry_rlimit *rlimits = NULL;
	struct sandbox_mounts mounts = { 0 };
	cleanup_free char *dir = NULL, *cgroup = NULL;
	int lock_fd = -1, ready[2] = { -1, -1 }, link[2] = { -1, -1 };
	struct started_msg msg;
	pid_t root = -1, creator = getpid();
	int ret = -1, code;

	if (!platform_lookup(g->platform))
		return cli_error(err, 1, "unknown platform %s", g->platform);
	if (strcmp(g->network, "none") != 0)
		return cli_error(err, 1, "network %s is not available (available: none)",
				 g->network);
	if (container_id_check(o->id, err) < 0 || bundle_load(o->bundle, &b, err) < 0)
		return -1;
	if (check_supported(b, o, err) < 0 || make_config(g, b, o, &cfg, &rlimits, err) < 0)
		goto out;
	/* The bundle's mounts: checked now, applied by the sentry (and the gofer's exports). */
	if (mounts_prepare(b, &mounts, err) < 0)
		goto out;
	cfg.mounts = mounts.list;
	cfg.nmounts = (int)mounts.n;
	cfg.readonly_paths = b->readonly_paths;
	cfg.masked_paths = b->masked_paths;
	if (container_reserve(g->root, o->id, &lock_fd, err) < 0)
		goto out;
	if (asprintf(&dir, "%s/%s", g->root, o->id) < 0) {
		dir = NULL;
		cli_error(err, 1, "out of memory");
		goto out;
	}
	/* From here a failure removes the directory, and the cgroup once it exists. */
	cgroup = cgroup_path(b->cgroups_path, o->id);
	if (!cgroup) {
		cli_error(err, 1, "out of memory");
		goto remove;
	}
	if (container_note_cgroup(dir, cgroup, err) < 0 ||
	    cgroup_create(cgroup, &b->resources, err) < 0) {
		free(steal_pointer(&cgroup));
		goto remove;
	}
	cfg.control_fd = control_listen(dir, err);
	if (cfg.control_fd < 0)
		goto remove;
	if (pipe2(ready, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, link) < 0) {
		cli_error_errno(err, errno, 1, "pipe");
		goto remove;
	}
	cfg.ready_fd = ready[1];
	/* process.terminal: the console's master goes to the socket (or to runsc run's relay). */
	if (b->process.terminal) {
		unsigned short rows = 0, cols = 0;

		console_size(b, &rows, &cols);
		if ((o->console_socket ? console_setup(o->console_socket, rows, cols,
						       &cfg.console_fd, err)
				       : console_foreground_open(rows, cols, &cfg.console_fd, &relay,
								 err)) < 0)
			goto remove;
		cfg.console = true;
		if (o->mode != LAUNCH_FOREGROUND && pipe2(errpipe, O_CLOEXEC) < 0) {
			cli_error_errno(err, errno, 1, "pipe");
			goto remove;
		}
	}
	root = fork();
	if (root < 0) {
		cli_error_errno(err, errno, 1, "cannot start the sandbox");
		goto remove;
	}
	if (root == 0) {
		/* The lock is the creator's: a copy here would outlive it. */
		close(lock_fd);
		close(ready[0]);
		close(link[0]);
		if (relay)
			close(console_relay_master(relay));
		if (errpipe[1] >= 0)
			quiet_stdio(errpipe);
		root_process(b->rootfs, cgroup, &cfg, link[1], creator);
	}
	if (cfg.console) {
		close(cfg.console_fd);
		cfg.console = false;
	}
	if (errpipe[1] >= 0) {
		close(errpipe[1]);
		errpipe[1] = -1;
	}
	if (relay && console_foreground_start(relay, err) < 0)
		goto kill_root;
	close(ready[1]);
	ready[1] = -1;
	close(link[1]);
	link[1] = -1;
	close(cfg.control_fd);
	cfg.control_fd = -1;

	/* The root process has started the sandbox, then the sentry has loaded the guest. */
	if (!recv_started(link[0], &msg) || !read_ready(ready[0])) {
		/* They said why on stderr already; their status is ours. */
		close(link[0]);
		link[0] = -1;
		code = wait_child(root);
		if (errpipe[0] >= 0)
			copy_messages(errpipe[0]);
		cli_error(err, code ? code : 1, "%s", "");
		goto remove;
	}

	c.root = (char *)g->root;
	c.id = (char *)o->id;
	c.dir = dir;
	c.bundle = b->dir;
	c.rootfs = b->rootfs;
	c.created = container_timestamp();
	c.status = strdup("created");
	c.annotations = b->annotations;
	c.cgroup = cgroup;
	c.hooks = b->hooks_json;
	if (!c.created || !c.status || host_process_get(root, &c.sandbox) < 0 ||
	    host_process_get(msg.sentry, &c.sentry) < 0 ||
	    host_process_get(msg.gofer, &c.gofer) < 0) {
		cli_error(err, 1, "the sandbox ended while it was being created");
		goto kill_root;
	}
	if (container_save(&c, err) < 0 || container_run_hooks(&c, HOOK_PRESTART, err) < 0 ||
	    container_run_hooks(&c, HOOK_CREATE_RUNTIME, err) < 0 ||
	    container_run_hooks(&c, HOOK_CREATE_CONTAINER, err) < 0)
		goto kill_root;
	if (o->pid_file && write_pid_file(o->pid_file, root, err) < 0)
		goto kill_root;
	if (send(link[0], "go", 2, MSG_NOSIGNAL) != 2 || !recv_go(link[0])) {
		cli_error(err, 1, "the sandbox ended while it was being created");
		goto kill_root;
	}
	/* run: a container that cannot start is not left behind. */
	if (o->mode != LAUNCH_CREATE && container_start(&c, err) < 0)
		goto kill_root;
	close(lock_fd);
	lock_fd = -1;
	ret = o->mode == LAUNCH_FOREGROUND ? wait_foreground(&c, root) : 0;
	goto out;

kill_root:
	kill(root, SIGKILL);
	wait_child(root);
remove:
	if (cgroup)
		cgroup_destroy(cgroup, err);
	if (dir)
		container_remove_dir(dir, err);
out:
	free(c.created);
	free(c.status);
	if (lock_fd >= 0)
		close(lock_fd);
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (link[i] >= 0)
			close(link[i]);
	}
	if (cfg.control_fd >= 0)
		close(cfg.control_fd);
	if (cfg.debug_fd >= 0)
		close(cfg.debug_fd);
	if (cfg.console)
		close(cfg.console_fd);
	for (int i = 0; i < 2; i++)
		if (errpipe[i] >= 0)
			close(errpipe[i]);
	console_foreground_finish(relay);
	mounts_free(&mounts);
	bundle_free(b);
	return ret;
}

int launch_command(struct global_flags *g, const char *cmd, const char *usage, bool run, int argc,
		   char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "detach", no_argument, NULL, 'd' }, /* run only, as the two below */
		{ "keep", no_argument, NULL, 'k' },
		{ 0 },
	};
	struct launch_opts o = { .bundle = ".", .mode = run ? LAUNCH_FOREGROUND : LAUNCH_CREATE };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, run ? "+:b:dh" : "+:b:h", opts, NULL)) != -1) {
		if (!run && (c == 'd' || c == 'k'))
			c = '?';
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'd':
			o.mode = LAUNCH_DETACHED;
			break;
		case 'P': /* the sentry never pivots: its root is an empty directory */
		case 'K': /* keyrings are the host kernel's; the guest never reaches them */
			break;
		case 'F':
			if (atoi(optarg) != 0)
				return cli_error(err, 1, "%s: --preserve-fds is not supported yet", cmd);
			break;
		case 'k':
			return cli_error(err, 1, "%s: --keep is not supported yet", cmd);
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, cmd, c, argv, usage);
		}
	}
	if (expect_args(err, cmd, argc - optind, 1, 1, usage) < 0)
		return -1;
	o.id = argv[optind];
	return container_launch(g, &o, err);
}
